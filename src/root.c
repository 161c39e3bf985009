/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#if HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "portaudit/root.h"

#ifndef RESOLVE_IN_ROOT
struct open_how {
	unsigned long long flags;
	unsigned long long mode;
	unsigned long long resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif
#if !HAVE_DECL_SYS_OPENAT2
#define SYS_openat2 437
#endif

int root_new(const char *path, struct root **ret)
{
	_cleanup_(root_freep) struct root *r = NULL;

	if (!path || !*path)
		path = "/";
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->path = strdup(path);
	if (!r->path)
		return -ENOMEM;
	r->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	/* Only "/" itself is live: any other directory is an offline tree. */
	r->live = strcmp(path, "/") == 0;
	*ret = TAKE_PTR(r);
	return 0;
}

struct root *root_free(struct root *r)
{
	if (!r)
		return NULL;
	safe_close(r->fd);
	free(r->path);
	free(r);
	return NULL;
}

int root_open(const struct root *r, const char *path, int flags, int *ret_fd)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? 0644 : 0,
		/* /proc magic links would lead out of an offline tree. */
		.resolve = RESOLVE_IN_ROOT | (r->live ? 0 : RESOLVE_NO_MAGICLINKS),
	};
	int fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	fd = (int)syscall(SYS_openat2, r->fd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) {
		/* Linux < 5.6: the live root needs no confinement; a tree does. */
		if (!r->live)
			return -ENOSYS;
		fd = openat(r->fd, path, flags | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int root_opendir(const struct root *r, const char *path, DIR **ret_dir)
{
	_cleanup_close_ int fd = -1;
	DIR *d;
	int ret;

	ret = root_open(r, path, O_RDONLY | O_DIRECTORY, &fd);
	if (ret < 0)
		return ret;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	/* The stream owns the fd now. */
	fd = -1;
	*ret_dir = d;
	return 0;
}

char *root_display_path(const struct root *r, const char *path)
{
	char *s;
	const char *sep = path[0] == '/' ? "" : "/";

	if (r->live)
		return asprintf(&s, "%s%s", sep, path) < 0 ? NULL : s;
	return asprintf(&s, "%s%s%s", r->path, sep, path) < 0 ? NULL : s;
}

int root_read_fd(int fd, size_t size_hint, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	/* Room for one byte more than max tells a file of max bytes from a longer one. */
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t want = cap ? cap * 2 : (size_hint < 4096 ? 4096 : size_hint + 1);
			char *b;

			if (want > max + 1)
				want = max + 1;
			if (want <= cap)
				return -EFBIG;
			b = realloc(buf, want + 1);
			if (!b)
				return -ENOMEM;
			buf = b;
			cap = want;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}
