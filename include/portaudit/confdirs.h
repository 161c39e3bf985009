/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_CONFDIRS_H
#define PORTAUDIT_CONFDIRS_H

/*
 * Configuration directories merged the way systemd's conf-files code (and procps
 * "sysctl --system") merges them: see sysctl.d(5), "Configuration Directories and
 * Precedence".  Files from all directories are ordered by file name; a name in an
 * earlier (higher priority) directory hides the same name in later ones; a symlink
 * to /dev/null masks the name.
 */

#include <stdbool.h>
#include <stddef.h>

struct root;

/* One file that won its name. */
struct conffile {
	const char *name;  /* the last component of path: "50-x.conf" (points into path) */
	char *path;        /* below the root, as dirs[dir_index] + "/" + name */
	size_t dir_index;  /* index into the dirs array given to confdirs_list() */
	bool masked;       /* a symlink to "/dev/null", or a character device: skip it */
	char **shadowed;   /* NULL-terminated paths of the same name in later dirs, or NULL */
};

/* The merged listing, sorted by name in byte order (strcmp). */
struct conffiles {
	struct conffile *files;
	size_t n;
};

/*
 * List the files named "*<suffix>" in dirs (n_dirs paths below the root, highest
 * priority first).  Names starting with '.' and the bare suffix are ignored, and so
 * are entries that are neither regular files, symlinks nor character devices (they
 * hide nothing either).  A missing directory is skipped, and so is a directory
 * already listed under another path (merged /usr: /lib is /usr/lib).  A symlink is
 * not followed, except to find out whether it masks: callers open it through the
 * root, where it resolves inside the root.  With n_dirs == 1 this lists one
 * directory.  Returns 0 and fills *ret, or a negative errno: then, when reterr_dir
 * is not NULL, it receives the index of the directory that failed, or n_dirs when
 * no directory is to blame (-ENOMEM while merging).
 */
int confdirs_list(const struct root *r, const char *const *dirs, size_t n_dirs,
		  const char *suffix, struct conffiles *ret, size_t *reterr_dir);

/* Free the contents and leave an empty listing; accepts NULL and an empty listing. */
void conffiles_done(struct conffiles *f);

#endif
