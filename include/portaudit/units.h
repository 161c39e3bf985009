/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_UNITS_H
#define PORTAUDIT_UNITS_H

/*
 * systemd socket units and the addresses they listen on, read from systemd over
 * sd-bus (org.freedesktop.systemd1(5), REFERENCE §6.1-6.2): the system bus, or
 * PID 1's private socket when the bus is not up yet (before sysinit.target).
 * No bus at all is a note, not an error.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portaudit/diag.h"
#include "portaudit/root.h"

/* How long one method call to systemd may take. */
#define UNITS_CALL_TIMEOUT_USEC (5 * 1000 * 1000ULL)

/* One Listen= entry of a socket unit. */
struct unit_listen {
	char *type;       /* as systemd says: "Stream", "Datagram", "SequentialPacket", "FIFO" */
	char *address;    /* as systemd says: "127.0.0.1:8080", "[::]:53", "/run/x.sock", "@abs" */
	bool inet;        /* an IP socket: family, proto, port and addr below are set */
	int family;       /* AF_INET or AF_INET6 */
	int proto;        /* enum proto: Stream is PROTO_TCP, Datagram PROTO_UDP; else -1 (SCTP) */
	uint16_t port;
	uint8_t addr[16]; /* network order; the first 4 bytes for AF_INET */
};

struct socket_unit {
	char *name;            /* "web.socket" */
	char *load_state;      /* "loaded", "not-found", "masked", ... */
	char *active_state;    /* "active", "inactive", ... */
	char *unit_file_state; /* ListUnitFilesByPatterns: "enabled", "static"...; NULL: no file */
	char *bind_ipv6_only;  /* "default", "both", "ipv6-only" */
	char *fragment_path;   /* FragmentPath, "" when there is none */
	struct unit_listen *listen;
	size_t n_listen;
};

/* none: no bus reachable, or an offline root. */
enum units_transport {
	UNITS_NONE,
	UNITS_BUS,
	UNITS_PRIVATE,
	_UNITS_TRANSPORT_MAX,
};

struct units {
	enum units_transport transport;
	struct socket_unit *v; /* sorted by name */
	size_t n;
};

/* "none", "bus", "private"; NULL for anything else. */
const char *units_transport_to_string(enum units_transport t);

/*
 * Read every socket unit, loaded or only on disk (ListUnitsByPatterns, then
 * ListUnitFilesByPatterns + LoadUnit), from the live system: over the system bus,
 * else over /run/systemd/private (root only).  An offline root, no reachable bus,
 * a template unit file and a unit that fails to load are notes.  Returns 0 or
 * -ENOMEM.
 */
int units_read(const struct root *r, struct diag *notes, struct units *ret);

/* Same, over transport t only (UNITS_NONE reads nothing): for tests. */
int units_read_transport(const struct root *r, enum units_transport t, struct diag *notes,
			 struct units *ret);

/* Free the units; accepts a zeroed struct. */
void units_done(struct units *u);

/*
 * Parse one Listen entry (type, address) as systemd formats it.  Pure.  Returns
 * 0, -EINVAL for a malformed IP address (or a NULL argument), or -ENOMEM.
 */
int units_parse_listen(const char *type, const char *address, struct unit_listen *ret);

/* Free what units_parse_listen() allocated; accepts a zeroed struct. */
void units_listen_done(struct unit_listen *l);

#endif
