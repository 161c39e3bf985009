/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portaudit/sysctl.h"

int sysctl_key_to_path(const char *key, char *buf, size_t size)
{
	static const char prefix[] = "/proc/sys/";
	size_t klen = strlen(key);
	const char *sep = strpbrk(key, "./");
	bool swap = sep && *sep == '.';

	if (sizeof(prefix) + klen > size)
		return -ENAMETOOLONG;
	memcpy(buf, prefix, sizeof(prefix) - 1);
	for (size_t i = 0; i < klen; i++) {
		char c = key[i];

		if (swap && c == '.')
			c = '/';
		else if (swap && c == '/')
			c = '.';
		buf[sizeof(prefix) - 1 + i] = c;
	}
	buf[sizeof(prefix) - 1 + klen] = '\0';
	return 0;
}

/* Open the /proc/sys file of key below the root. */
static int open_key(const struct root *r, const char *key, int flags, int *ret_fd)
{
	char path[4096];
	int ret;

	ret = sysctl_key_to_path(key, path, sizeof(path));
	if (ret < 0)
		return ret;
	return root_open(r, path, flags | O_NOCTTY, ret_fd);
}

int sysctl_read(const struct root *r, const char *key, char **ret_value, size_t *ret_len)
{
	/* Worst case of ip_local_reserved_ports is 254738 bytes. */
	size_t size = 512 * 1024;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int ret;

	/* O_NONBLOCK: a FIFO planted in an offline tree must not hang the open. */
	ret = open_key(r, key, O_RDONLY | O_NONBLOCK, &fd);
	if (ret < 0)
		return ret;
	/* /proc/sys files are regular; a FIFO or a device in a tree is no value. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;

	for (;;) {
		_cleanup_free_ char *buf = malloc(size + 1);
		ssize_t n;

		if (!buf)
			return -ENOMEM;
		n = pread(fd, buf, size, 0);
		if (n < 0)
			return -errno;
		/* A full buffer may be a cut value: the kernel gives it all in one read. */
		if ((size_t)n == size && size < 16 * 1024 * 1024) {
			size *= 2;
			continue;
		}
		buf[n] = '\0';
		*ret_len = (size_t)n;
		*ret_value = TAKE_PTR(buf);
		return 0;
	}
}

int sysctl_write(const struct root *r, const char *key, const char *value, size_t len)
{
	_cleanup_close_ int fd = -1;
	int ret;

	ret = open_key(r, key, O_WRONLY, &fd);
	if (ret < 0)
		return ret;
	/* The kernel continues (ORs) from where it stopped on the same descriptor. */
	return root_write_fd(fd, value, len);
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return s;
}

/* Read a decimal number of at most 65535 at *s, advancing it; 0 or -EBADMSG. */
static int parse_u16(const char **s, unsigned *ret)
{
	unsigned v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -EBADMSG;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 65535)
			return -EBADMSG;
	}
	*s = p;
	*ret = v;
	return 0;
}

int sysctl_parse_port_range(const char *value, uint16_t *ret_lo, uint16_t *ret_hi)
{
	const char *p = skip_blanks(value);
	unsigned lo, hi;

	if (parse_u16(&p, &lo) < 0 || (*p != ' ' && *p != '\t'))
		return -EBADMSG;
	p = skip_blanks(p);
	if (parse_u16(&p, &hi) < 0 || *skip_blanks(p) != '\0' || lo > hi)
		return -EBADMSG;
	*ret_lo = (uint16_t)lo;
	*ret_hi = (uint16_t)hi;
	return 0;
}

int sysctl_parse_uint(const char *value, unsigned *ret)
{
	const char *p = skip_blanks(value);
	unsigned v;

	if (parse_u16(&p, &v) < 0 || *skip_blanks(p) != '\0')
		return -EBADMSG;
	*ret = v;
	return 0;
}
