/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portaudit/root.h"
#include "portaudit/services.h"

/* One (name, protocol) pair; the name is an offset into the pool, which may move. */
struct service_entry {
	size_t name;
	size_t seq; /* definition order, so that sorting can keep the first one */
	uint16_t port;
	uint8_t proto;
};

/* A sorted array without duplicate (name, protocol) pairs, searched by bisection. */
struct services {
	char *pool; /* NUL-terminated names, back to back */
	size_t pool_len, pool_cap;
	struct service_entry *entries;
	size_t n, cap;
};

static const char *const proto_table[_PROTO_MAX] = {
	[PROTO_TCP] = "tcp",
	[PROTO_UDP] = "udp",
};

const char *proto_to_string(enum proto p)
{
	if ((unsigned)p >= ARRAY_SIZE(proto_table))
		return NULL;
	return proto_table[p];
}

/* Like proto_from_string() for a field that is not NUL-terminated. */
static enum proto proto_from_field(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(proto_table); i++)
		if (strlen(proto_table[i]) == len && memcmp(proto_table[i], s, len) == 0)
			return (enum proto)i;
	return _PROTO_INVALID;
}

enum proto proto_from_string(const char *s)
{
	if (!s)
		return _PROTO_INVALID;
	return proto_from_field(s, strlen(s));
}

struct services *services_free(struct services *s)
{
	if (!s)
		return NULL;
	free(s->pool);
	free(s->entries);
	free(s);
	return NULL;
}

size_t services_size(const struct services *s)
{
	return s->n;
}

/* Make room for need more elements of size elem in *p, doubling; 0 or -ENOMEM. */
static int reserve(void **p, size_t *cap, size_t used, size_t need, size_t elem)
{
	size_t want, c;
	void *q;

	if (need <= *cap - used)
		return 0;
	if (used > SIZE_MAX / elem - need)
		return -ENOMEM;
	want = used + need;
	c = *cap ? *cap : 64;
	while (c < want)
		c = c > SIZE_MAX / 2 ? want : c * 2;
	q = reallocarray(*p, c, elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int add_entry(struct services *s, const char *name, size_t name_len, uint16_t port,
		     enum proto p)
{
	int r;

	if (name_len == SIZE_MAX)
		return -ENOMEM;
	r = reserve((void **)&s->pool, &s->pool_cap, s->pool_len, name_len + 1, 1);
	if (r < 0)
		return r;
	r = reserve((void **)&s->entries, &s->cap, s->n, 1, sizeof(*s->entries));
	if (r < 0)
		return r;

	memcpy(s->pool + s->pool_len, name, name_len);
	s->pool[s->pool_len + name_len] = '\0';
	s->entries[s->n] = (struct service_entry){
		.name = s->pool_len,
		.seq = s->n,
		.port = port,
		.proto = (uint8_t)p,
	};
	s->pool_len += name_len + 1;
	s->n++;
	return 0;
}

/* glibc's files backend splits fields with isspace(); a CR of a CRLF file is one. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next blank-separated field of line[0..len) at or after *pos; false at the end. */
static bool next_field(const char *line, size_t len, size_t *pos, const char **ret,
		       size_t *ret_len)
{
	size_t p = *pos, start;

	while (p < len && is_blank(line[p]))
		p++;
	if (p == len)
		return false;
	start = p;
	while (p < len && !is_blank(line[p]))
		p++;
	*ret = line + start;
	*ret_len = p - start;
	*pos = p;
	return true;
}

/* "port/proto" with a decimal port 1..65535 and a known protocol; false otherwise. */
static bool parse_port_proto(const char *f, size_t len, uint16_t *ret_port, enum proto *ret_proto)
{
	unsigned long v = 0;
	size_t i = 0;
	enum proto p;

	for (; i < len && f[i] >= '0' && f[i] <= '9'; i++) {
		v = v * 10 + (unsigned long)(f[i] - '0');
		if (v > 65535)
			v = 65536; /* saturate: the value is rejected below */
	}
	if (i == 0 || i == len || f[i] != '/' || v == 0 || v > 65535)
		return false;
	p = proto_from_field(f + i + 1, len - i - 1);
	if (p < 0)
		return false;
	*ret_port = (uint16_t)v;
	*ret_proto = p;
	return true;
}

/* Add the name and aliases of one line (comment already cut off); 0 or -ENOMEM. */
static int parse_line(struct services *s, const char *line, size_t len, unsigned *skipped)
{
	const char *name, *pp, *alias;
	size_t name_len, pp_len, alias_len, pos = 0;
	uint16_t port;
	enum proto p;
	int r;

	if (!next_field(line, len, &pos, &name, &name_len))
		return 0; /* blank or comment only */
	if (!next_field(line, len, &pos, &pp, &pp_len) ||
	    !parse_port_proto(pp, pp_len, &port, &p)) {
		if (*skipped < UINT_MAX)
			(*skipped)++;
		return 0;
	}

	r = add_entry(s, name, name_len, port, p);
	if (r < 0)
		return r;
	while (next_field(line, len, &pos, &alias, &alias_len)) {
		r = add_entry(s, alias, alias_len, port, p);
		if (r < 0)
			return r;
	}
	return 0;
}

static int entry_compare(const void *a, const void *b, void *userdata)
{
	const struct service_entry *x = a, *y = b;
	const char *pool = userdata;
	int c = strcmp(pool + x->name, pool + y->name);

	if (c != 0)
		return c;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int services_parse_buffer(const char *buf, size_t len, struct services **ret,
			  unsigned *ret_skipped)
{
	_cleanup_(services_freep) struct services *s = NULL;
	unsigned skipped = 0;
	size_t pos = 0, kept = 0;
	int r;

	assert(buf || len == 0);

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;

	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t end = 0;

		pos += n + (nl ? 1 : 0);
		/* glibc cuts a line at the first '#', even inside a field, and at a NUL. */
		while (end < n && line[end] != '#' && line[end] != '\0')
			end++;
		r = parse_line(s, line, end, &skipped);
		if (r < 0)
			return r;
	}

	/* Sort by (name, proto, order of definition), then keep the first of each pair. */
	if (s->n > 1)
		qsort_r(s->entries, s->n, sizeof(*s->entries), entry_compare, s->pool);
	for (size_t i = 0; i < s->n; i++) {
		const struct service_entry *e = &s->entries[i];

		if (kept > 0) {
			const struct service_entry *last = &s->entries[kept - 1];

			if (last->proto == e->proto &&
			    strcmp(s->pool + last->name, s->pool + e->name) == 0)
				continue;
		}
		s->entries[kept++] = *e;
	}
	s->n = kept;

	if (ret_skipped)
		*ret_skipped = skipped;
	*ret = TAKE_PTR(s);
	return 0;
}

int services_lookup(const struct services *s, const char *name, enum proto p,
		    uint16_t *ret_port)
{
	size_t lo = 0, hi;

	assert(s);
	assert(name);

	if ((unsigned)p >= _PROTO_MAX)
		return -EINVAL;

	hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct service_entry *e = &s->entries[mid];
		int c = strcmp(s->pool + e->name, name);

		if (c == 0)
			c = e->proto < (uint8_t)p ? -1 : e->proto > (uint8_t)p;
		if (c == 0) {
			*ret_port = e->port;
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

int services_load(const struct root *r, struct services **ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int k;

	/* O_NONBLOCK: a FIFO planted in an offline tree must not hang the open. */
	k = root_open(r, "/etc/services", O_RDONLY | O_NOCTTY | O_NONBLOCK, &fd);
	if (k == -ENOENT)
		/* A minimal container image may have no services file at all. */
		return services_parse_buffer("", 0, ret, NULL);
	if (k < 0)
		return k;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if (st.st_size > (off_t)SERVICES_FILE_MAX)
		return -EFBIG;

	k = root_read_fd(fd, (size_t)st.st_size, SERVICES_FILE_MAX, &buf, &len);
	if (k < 0)
		return k;
	return services_parse_buffer(buf, len, ret, NULL);
}
