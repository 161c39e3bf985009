/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "portaudit/confdirs.h"
#include "portaudit/root.h"

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static void conffile_done(struct conffile *f)
{
	if (f->shadowed)
		for (char **p = f->shadowed; *p; p++)
			free(*p);
	free(f->shadowed);
	free(f->path);
	*f = (struct conffile){ 0 };
}

void conffiles_done(struct conffiles *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		conffile_done(&f->files[i]);
	free(f->files);
	*f = (struct conffiles){ 0 };
}

/* Whether name is "<something><suffix>" and not hidden. */
static bool name_matches(const char *name, const char *suffix)
{
	size_t len = strlen(name), slen = strlen(suffix);

	return name[0] != '.' && len > slen && memcmp(name + len - slen, suffix, slen) == 0;
}

/*
 * Whether the symlink name (in dfd, path below the root) masks its name.  systemd
 * masks by a symlink to /dev/null and, since it stats the target, by anything that
 * ends in a character device (stat_may_be_dev_null() does not hard-code 1:3).  The
 * link text is compared first because an offline tree rarely has a dev/null of its
 * own; then the link is resolved inside the root, which also keeps callers from
 * reading a link to /dev/zero as configuration.  A link that does not resolve is
 * not a mask: the caller reports it when it opens the file.
 */
static int is_masking_symlink(const struct root *r, int dfd, const char *name,
			      const char *path, bool *ret)
{
	static const char devnull[] = "/dev/null";
	char target[sizeof(devnull) + 1];
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;

	n = readlinkat(dfd, name, target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(devnull) - 1 && memcmp(target, devnull, (size_t)n) == 0) {
		*ret = true;
		return 0;
	}
	*ret = root_open(r, path, O_PATH, &fd) >= 0 && fstat(fd, &st) >= 0 &&
	       S_ISCHR(st.st_mode);
	return 0;
}

/* dir + "/" + name, without doubling a trailing slash of dir ("/" stays "/x"). */
static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir);
	char *s;

	while (len > 0 && dir[len - 1] == '/')
		len--;
	if (asprintf(&s, "%.*s/%s", (int)len, dir, name) < 0)
		return NULL;
	return s;
}

struct listing {
	struct conffile *files;
	size_t n, size;
};

static void listing_done(struct listing *l)
{
	struct conffiles f = { .files = l->files, .n = l->n };

	conffiles_done(&f);
	*l = (struct listing){ 0 };
}

/* Add every matching entry of one directory to l, each with its own path. */
static int list_dir(const struct root *r, const char *dir, size_t dir_index, DIR *d,
		    const char *suffix, struct listing *l)
{
	int dfd = dirfd(d);

	for (;;) {
		_cleanup_free_ char *path = NULL;
		struct dirent *de;
		const char *name;
		struct stat st;
		bool masked;
		int ret;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno != 0)
				return -errno;
			return 0;
		}
		if (!name_matches(de->d_name, suffix))
			continue;
		/* d_type may be DT_UNKNOWN on some file systems: ask the inode itself. */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) /* removed since readdir() */
				continue;
			return -errno;
		}
		/* A directory, socket or FIFO is no configuration, and hides nothing. */
		if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISCHR(st.st_mode))
			continue;
		path = path_join(dir, de->d_name);
		if (!path)
			return -ENOMEM;
		masked = S_ISCHR(st.st_mode);
		if (S_ISLNK(st.st_mode)) {
			ret = is_masking_symlink(r, dfd, de->d_name, path, &masked);
			if (ret == -ENOENT || ret == -EINVAL) /* replaced since fstatat() */
				continue;
			if (ret < 0)
				return ret;
		}

		if (l->n == l->size) {
			size_t size = l->size ? l->size * 2 : 16;
			struct conffile *files = reallocarray(l->files, size, sizeof(*files));

			if (!files)
				return -ENOMEM;
			l->files = files;
			l->size = size;
		}
		/* Initializers are unsequenced: take the name before handing path over. */
		name = path + strlen(path) - strlen(de->d_name);
		l->files[l->n++] = (struct conffile){
			.name = name,
			.path = TAKE_PTR(path),
			.dir_index = dir_index,
			.masked = masked,
		};
	}
}

static int compare_name_then_dir(const void *a, const void *b)
{
	const struct conffile *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return (x->dir_index > y->dir_index) - (x->dir_index < y->dir_index);
}

/*
 * Sort by name, then by directory, so that each name's winner comes first and is
 * followed by the entries it shadows; fold each run of one name into its winner.
 * Moved-from slots are zeroed, so listing_done() stays correct at every step.
 */
static int merge(struct listing *l)
{
	size_t out = 0;

	if (l->n > 0)
		qsort(l->files, l->n, sizeof(*l->files), compare_name_then_dir);
	for (size_t i = 0; i < l->n;) {
		size_t end = i + 1;

		while (end < l->n && strcmp(l->files[end].name, l->files[i].name) == 0)
			end++;
		if (end > i + 1) {
			char **shadowed = calloc(end - i, sizeof(*shadowed));

			if (!shadowed)
				return -ENOMEM;
			for (size_t k = i + 1; k < end; k++) {
				shadowed[k - i - 1] = TAKE_PTR(l->files[k].path);
				l->files[k] = (struct conffile){ 0 };
			}
			l->files[i].shadowed = shadowed;
		}
		if (out != i) {
			l->files[out] = l->files[i];
			l->files[i] = (struct conffile){ 0 };
		}
		out++;
		i = end;
	}
	l->n = out;
	return 0;
}

/* The identity of a directory already listed. */
struct dir_id {
	dev_t dev;
	ino_t ino;
};

/* List dirs[i] into l unless it is missing or was already listed under another path. */
static int add_dir(const struct root *r, const char *dir, size_t i, const char *suffix,
		   struct dir_id *seen, size_t *n_seen, struct listing *l)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct stat st;
	int ret;

	ret = root_opendir(r, dir, &d);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	if (fstat(dirfd(d), &st) < 0)
		return -errno;
	/* Merged /usr (/lib -> usr/lib): a second visit would shadow each file by itself. */
	for (size_t j = 0; j < *n_seen; j++)
		if (seen[j].dev == st.st_dev && seen[j].ino == st.st_ino)
			return 0;
	seen[(*n_seen)++] = (struct dir_id){ .dev = st.st_dev, .ino = st.st_ino };
	return list_dir(r, dir, i, d, suffix, l);
}

int confdirs_list(const struct root *r, const char *const *dirs, size_t n_dirs,
		  const char *suffix, struct conffiles *ret, size_t *reterr_dir)
{
	_cleanup_(listing_done) struct listing l = { 0 };
	_cleanup_free_ struct dir_id *seen = NULL;
	size_t n_seen = 0, i = 0;
	int k;

	assert(r && (dirs || n_dirs == 0) && suffix && ret);

	seen = calloc(n_dirs ? n_dirs : 1, sizeof(*seen));
	if (!seen) {
		i = n_dirs;
		k = -ENOMEM;
		goto fail;
	}
	for (; i < n_dirs; i++) {
		k = add_dir(r, dirs[i], i, suffix, seen, &n_seen, &l);
		if (k < 0)
			goto fail;
	}
	k = merge(&l);
	if (k < 0)
		goto fail;

	*ret = (struct conffiles){ .files = l.files, .n = l.n };
	l = (struct listing){ 0 };
	return 0;

fail:
	/* i is n_dirs when no single directory is to blame (memory, while merging). */
	if (reterr_dir)
		*reterr_dir = i;
	return k;
}
