/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_INVENTORY_H
#define PORTAUDIT_INVENTORY_H

/*
 * The inventory of schema version 1 (DESIGN §4): what this host serves.  Loaded
 * from YAML with libyaml's event parser into typed structures; every schema rule
 * is an input error in a struct diag, positioned at the offending node.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portaudit/diag.h"
#include "portaudit/portset.h"
#include "portaudit/services.h"

/* A file larger than this is refused before parsing. */
#define INVENTORY_FILE_MAX (4u * 1024u * 1024u)
/* Deepest nesting the schema has is 4 (top, services, service, ports). */
#define INVENTORY_DEPTH_MAX 4u
#define INVENTORY_NAME_MAX 128u
/*
 * Services in one inventory, all files together.  Each costs a finding or
 * more, so 65,535 one-port services in a 2 MB file took over 500 MiB for the
 * JSON report; at 8192 it peaks near 110 MiB (215 MiB with both protocols).
 */
#define INVENTORY_SERVICES_MAX 8192u
/* The kernel's process name (comm) holds 15 characters. */
#define INVENTORY_PROCESS_MAX 15u

enum inventory_reserve {
	RESERVE_EPHEMERAL, /* inventory ports inside ip_local_port_range */
	RESERVE_ALL,
	RESERVE_NONE,
	_RESERVE_MAX,
};

enum inventory_level {
	LEVEL_IGNORE,
	LEVEL_INFO,
	LEVEL_WARNING,
	LEVEL_ERROR,
	_LEVEL_MAX,
};

/* Where something was written: file (shown to the operator), line, column. */
struct inventory_mark {
	const char *file; /* points into struct inventory's sources */
	unsigned line, column;
};

/* One entry of "ports:" as written: a number, a range "a-b", or a service name. */
struct inventory_item {
	uint16_t lo, hi; /* for a name: 0, 0 */
	char *name;      /* a name from <root>/etc/services, or NULL */
	struct inventory_mark mark;
};

struct inventory_service {
	char *name;
	struct inventory_item *items;
	size_t n_items;
	bool protocols[_PROTO_MAX];   /* which protocols the ports are for */
	struct portrun *runs[_PROTO_MAX]; /* resolved, sorted, merged ports per protocol */
	size_t n_runs[_PROTO_MAX];
	bool reserve;                 /* false: audit only, never reserve */
	char *unit;                   /* expected systemd unit, or NULL */
	char *process;                /* expected comm, or NULL */
	struct inventory_mark mark;   /* where the service is defined */
};

struct inventory_policy {
	enum inventory_reserve reserve;
	enum inventory_level unlisted_listeners;
	unsigned min_ephemeral_ports;
};

struct inventory {
	struct inventory_service *services;
	size_t n_services;
	struct inventory_policy policy;
	struct portset ports[_PROTO_MAX]; /* every inventory port, per protocol */
	char **sources;                   /* files loaded, in order */
	size_t n_sources;
	bool discovered;                  /* no inventory found: discovery mode */
	/* private: name lookup */
	struct inventory_index *index;
};

/* An empty inventory with the default policy; NULL on ENOMEM. */
struct inventory *inventory_new(void);
/* Free; accepts NULL, returns NULL. */
struct inventory *inventory_free(struct inventory *inv);
DEFINE_FREEP(struct inventory, inventory_free)

/*
 * Parse one YAML document of len bytes, named file in messages, into inv
 * (adding to what earlier files put there).  Input errors go to diag; returns 0
 * when the buffer added no error, -EINVAL when it did, -ENOMEM.
 */
int inventory_parse_buffer(struct inventory *inv, const char *file, const char *buf, size_t len,
			   const struct services *services, struct diag *diag);

/* The service named name, or NULL. */
const struct inventory_service *inventory_find(const struct inventory *inv, const char *name);

/* The service's ports for protocol p as a set. */
void inventory_service_ports(const struct inventory_service *svc, enum proto p,
			     struct portset *ret);

const char *inventory_reserve_to_string(enum inventory_reserve r);
const char *inventory_level_to_string(enum inventory_level v);

/*
 * The inventory as schema-1 YAML, emitted with libyaml: loading it back yields
 * the same services, ports, protocols, flags and policy.  Returns 0 and a
 * malloc'd NUL-terminated buffer, or a negative errno.
 */
int inventory_to_yaml(const struct inventory *inv, char **ret, size_t *ret_len);

#endif
