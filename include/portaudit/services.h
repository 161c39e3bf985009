/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_SERVICES_H
#define PORTAUDIT_SERVICES_H

/*
 * Service names ("domain", "https") resolved through <root>/etc/services in the
 * services(5) format, read by portaudit itself: getservbyname(3) would consult
 * the host's file and ignore --root.  Matching follows glibc's files backend:
 * names and aliases are case-sensitive and the first line defining a name for a
 * protocol wins.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "portaudit/macro.h"

struct root;

enum proto {
	PROTO_TCP,
	PROTO_UDP,
	_PROTO_MAX,
	_PROTO_INVALID = -EINVAL,
};

/* Largest <root>/etc/services that services_load() reads (-EFBIG beyond it). */
#define SERVICES_FILE_MAX (4u * 1024u * 1024u)

/* "tcp" or "udp"; NULL for anything else. */
const char *proto_to_string(enum proto p) _pure_;
/* PROTO_TCP for "tcp", PROTO_UDP for "udp" (case-sensitive), else _PROTO_INVALID. */
enum proto proto_from_string(const char *s) _pure_;

struct services;

/*
 * Parse len bytes in the services(5) format: "name port/proto [alias...]", fields
 * separated by blanks, '#' starting a comment anywhere, blank lines ignored.  A
 * line without a decimal port 1..65535 and a protocol "tcp" or "udp" is skipped
 * and counted in *ret_skipped (optional).  Returns 0, or -ENOMEM.
 */
int services_parse_buffer(const char *buf, size_t len, struct services **ret,
			  unsigned *ret_skipped);

/*
 * Read and parse <root>/etc/services.  A missing file yields an empty table.
 * Returns 0, -EFBIG above SERVICES_FILE_MAX, -EISDIR or -EBADFD for a directory
 * or another non-regular file, or another negative errno from opening or reading.
 */
int services_load(const struct root *r, struct services **ret);

/* Port of name (or an alias) for protocol p: 0, -ENOENT, or -EINVAL for a bad p. */
int services_lookup(const struct services *s, const char *name, enum proto p,
		    uint16_t *ret_port);

/* Number of distinct (name, protocol) pairs in the table, aliases included. */
size_t services_size(const struct services *s) _pure_;

/* Free the table; accepts NULL, returns NULL. */
struct services *services_free(struct services *s);
DEFINE_FREEP(struct services, services_free)

#endif
