/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portaudit/confdirs.h"
#include "portaudit/inventory-sources.h"

static const char *const default_dirs[] = {
	"/etc/portaudit/inventory.d",
	"/run/portaudit/inventory.d",
	"/usr/lib/portaudit/inventory.d",
};

struct source_ctx {
	const struct root *root; /* where the files of this load are */
	const struct services *services;
	struct diag *diag;
	struct inventory *inv;
	size_t loaded;
	int oom;
};

/* "FILE: cannot WHAT: REASON" */
static void add_error(struct source_ctx *c, const char *shown, const char *what, int r)
{
	if (diag_add(c->diag, shown, 0, 0, "cannot %s: %s", what, strerror(-r)) == -ENOMEM)
		c->oom = -ENOMEM;
}

/*
 * doas's rule: as root, the configuration that decides what portaudit writes
 * must be owned by root and writable by no one else.
 */
static bool trusted(struct source_ctx *c, const char *shown, const struct stat *st)
{
	int r = 0;

	if (geteuid() != 0)
		return true;
	if (st->st_uid != 0)
		r = diag_add(c->diag, shown, 0, 0,
			     "refusing an inventory %s owned by uid %u, not root",
			     S_ISDIR(st->st_mode) ? "directory" : "file", (unsigned)st->st_uid);
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		r = diag_add(c->diag, shown, 0, 0,
			     "refusing an inventory %s writable by group or others (mode %04o)",
			     S_ISDIR(st->st_mode) ? "directory" : "file",
			     (unsigned)(st->st_mode & 07777));
	else
		return true;
	if (r == -ENOMEM)
		c->oom = -ENOMEM;
	return false;
}

/* Read and parse one file; a missing file is fine when optional. */
static void load_file(struct source_ctx *c, const char *path, const char *as_typed, bool optional)
{
	_cleanup_free_ char *shown = as_typed ? strdup(as_typed) : root_display_path(c->root, path);
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len = 0;
	int r;

	if (!shown) {
		c->oom = -ENOMEM;
		return;
	}
	/* O_NONBLOCK: a FIFO planted among the drop-ins must not hang a boot. */
	r = root_open(c->root, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, &fd);
	if (r == -ENOENT && optional)
		return;
	if (r < 0) {
		add_error(c, shown, "open", r);
		return;
	}
	if (fstat(fd, &st) < 0) {
		add_error(c, shown, "stat", -errno);
		return;
	}
	/* A link to /dev/null masks the file, as it masks a drop-in. */
	if (S_ISCHR(st.st_mode) && optional)
		return;
	if (!S_ISREG(st.st_mode)) {
		diag_add(c->diag, shown, 0, 0, "not a regular file");
		return;
	}
	c->loaded++;
	if (!trusted(c, shown, &st))
		return;
	/* Refuse a large file before reading it; root_read_fd() catches one that grew. */
	if ((uintmax_t)st.st_size > INVENTORY_FILE_MAX)
		r = -EFBIG;
	else
		r = root_read_fd(fd, (size_t)st.st_size, INVENTORY_FILE_MAX, &buf, &len);
	if (r == -EFBIG) {
		diag_add(c->diag, shown, 0, 0,
			 "file is larger than %u bytes, too large for an inventory",
			 INVENTORY_FILE_MAX);
		return;
	}
	if (r == -ENOMEM) {
		c->oom = r;
		return;
	}
	if (r < 0) {
		add_error(c, shown, "read", r);
		return;
	}
	r = inventory_parse_buffer(c->inv, shown, buf, len, c->services, c->diag);
	if (r == -ENOMEM)
		c->oom = r;
}

/* Load the "*.yaml" of dirs in merged name order; masked names are skipped. */
static void load_dirs(struct source_ctx *c, const char *const *dirs, size_t n_dirs)
{
	_cleanup_(conffiles_done) struct conffiles files = { 0 };
	size_t bad = 0;
	int r;

	for (size_t i = 0; i < n_dirs; i++) {
		_cleanup_close_ int fd = -1;
		struct stat st;

		if (root_open(c->root, dirs[i], O_PATH | O_DIRECTORY, &fd) < 0 ||
		    fstat(fd, &st) < 0)
			continue; /* missing: confdirs_list says the rest */
		_cleanup_free_ char *shown = root_display_path(c->root, dirs[i]);
		if (!shown || !trusted(c, shown, &st))
			return;
	}
	r = confdirs_list(c->root, dirs, n_dirs, ".yaml", &files, &bad);
	if (r == -ENOMEM) {
		c->oom = r;
		return;
	}
	if (r < 0) {
		_cleanup_free_ char *shown =
			root_display_path(c->root, bad < n_dirs ? dirs[bad] : dirs[0]);
		add_error(c, shown ? shown : dirs[0], "list the directory", r);
		return;
	}
	for (size_t i = 0; i < files.n && !c->oom; i++)
		if (!files.files[i].masked)
			load_file(c, files.files[i].path, NULL, /* optional= */ false);
}

/* An operator's -c path made absolute against the working directory. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *s;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	return asprintf(&s, "%s/%s", cwd, path) < 0 ? NULL : s;
}

int inventory_sources_load(const struct root *root, const struct root *host,
			   const char *const *paths, size_t n_paths,
			   const struct services *services, struct diag *diag,
			   struct inventory **ret)
{
	_cleanup_(inventory_freep) struct inventory *inv = inventory_new();
	struct source_ctx c = { .services = services, .diag = diag };

	if (!inv)
		return -ENOMEM;
	c.inv = inv;
	if (n_paths == 0) {
		c.root = root;
		load_file(&c, INVENTORY_DEFAULT_FILE, NULL, /* optional= */ true);
		load_dirs(&c, default_dirs, ARRAY_SIZE(default_dirs));
	} else {
		c.root = host;
		for (size_t i = 0; i < n_paths && !c.oom; i++) {
			_cleanup_free_ char *path = absolute(paths[i]);
			_cleanup_close_ int fd = -1;
			struct stat st;
			int r;

			if (!path)
				return -ENOMEM;
			r = root_open(host, path, O_PATH, &fd);
			if (r < 0 || fstat(fd, &st) < 0) {
				add_error(&c, paths[i], "open", r < 0 ? r : -errno);
				continue;
			}
			if (S_ISDIR(st.st_mode)) {
				const char *dirs[] = { path };
				size_t before = c.loaded, errors = diag->total;

				load_dirs(&c, dirs, 1);
				if (c.loaded == before && diag->total == errors)
					diag_add(diag, paths[i], 0, 0, "no *.yaml inventory file in this directory");
			} else
				load_file(&c, path, paths[i], /* optional= */ false);
		}
	}
	if (c.oom)
		return c.oom;
	inv->discovered = c.loaded == 0;
	*ret = TAKE_PTR(inv);
	return 0;
}
