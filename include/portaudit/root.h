/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_ROOT_H
#define PORTAUDIT_ROOT_H

/*
 * The root context: every host path portaudit reads or writes is opened below it.
 * "/" is the live system; any other directory is an offline tree (a container
 * image, a support bundle, a test fixture) in which absolute symlinks resolve
 * inside the tree and ".." cannot leave it.
 */

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "portaudit/macro.h"

struct root {
	int fd;      /* O_PATH|O_DIRECTORY descriptor of the root */
	char *path;  /* as given, for messages: "/" or "/srv/tree" */
	bool live;   /* the running system (path "/"): netlink and the bus are usable */
};

/* Open the root at path (NULL means "/"). Returns 0 or a negative errno. */
int root_new(const char *path, struct root **ret);
/* Close and free; accepts NULL, returns NULL. */
struct root *root_free(struct root *r);
DEFINE_FREEP(struct root, root_free)

/*
 * Open path (absolute within the root, e.g. "/proc/sys/kernel/x") below the root
 * with open(2) flags; O_CLOEXEC is always added.  Returns 0 or a negative errno.
 */
int root_open(const struct root *r, const char *path, int flags, int *ret_fd);

/*
 * root_open() as it works where openat2(2) is missing or refused by a seccomp filter,
 * forced: for an offline tree a userspace walk with the semantics of RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS, for the live root a plain openat(2).  root_open() falls back
 * to it by itself; tests call it to compare both resolvers on the same tree.
 */
int root_open_fallback(const struct root *r, const char *path, int flags, int *ret_fd);

/*
 * Open the directory path below the root for reading its entries.  Returns 0 or a
 * negative errno (-ENOENT when it does not exist, -ENOTDIR when it is no directory).
 */
int root_opendir(const struct root *r, const char *path, DIR **ret_dir);

/*
 * Read all of fd from its current position into a new NUL-terminated buffer.
 * size_hint (e.g. st_size) sizes the first allocation.  Returns 0, -EFBIG when
 * there is more than max bytes, -ENOMEM, or another negative errno from read(2).
 */
int root_read_fd(int fd, size_t size_hint, size_t max, char **ret, size_t *ret_len);

/*
 * lstat(2) of path below the root: its last component is not followed.
 * Returns 0 or a negative errno.
 */
int root_lstat(const struct root *r, const char *path, struct stat *ret);

/* The target of the symlink path below the root, malloc'd; 0 or a negative errno. */
int root_readlink(const struct root *r, const char *path, char **ret);

/*
 * Replace dir/name below the root with len bytes of data, atomically: a
 * temporary file temp in the same directory, created with O_EXCL|O_NOFOLLOW
 * (a stale one from a crashed run is removed first), given mode, written
 * whole, fsync'ed, renamed over name, and the directory fsync'ed.  A missing
 * dir is created (0755) when its parent exists.  Neither dir nor name may be a
 * symlink: -ELOOP; name may be missing or a regular file, else -EEXIST.  On
 * failure the temporary file is removed, *ret_step (when given) names the step
 * that failed, and name is untouched, except when only the final fsync of the
 * directory failed: then the new file is already in place (not yet durable).
 * Returns 0 or a negative errno.
 */
int root_replace_file(const struct root *r, const char *dir, const char *name, const char *temp,
		      const void *data, size_t len, mode_t mode, const char **ret_step);

/*
 * Write all len bytes of buf to fd from its current position, calling write(2)
 * again after a short count on the same descriptor.  Returns 0 or a negative errno.
 */
int root_write_fd(int fd, const void *buf, size_t len);

/* The path as the operator sees it ("/srv/tree/etc/x"), for messages; NULL on ENOMEM. */
char *root_display_path(const struct root *r, const char *path);

#endif
