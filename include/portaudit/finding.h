/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_FINDING_H
#define PORTAUDIT_FINDING_H

/*
 * Findings (DESIGN §5): what the policy engine concludes, with the evidence for
 * it and what to do.  Ids, severities and MESSAGE_IDs are an interface that
 * scripts, the journal catalog and the JSON output rely on.  Pure: no I/O.
 *
 * A finding points into the snapshot and the inventory it was computed from
 * (service names, sockets, units, sysctl.d files); they must outlive it.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portaudit/macro.h"

struct sockrec;
struct socket_unit;
struct unit_listen;

enum severity {
	SEVERITY_INFO,
	SEVERITY_WARNING,
	SEVERITY_ERROR,
	_SEVERITY_MAX,
	_SEVERITY_INVALID = -EINVAL,
};

/* In the order of the DESIGN §5 table, which is also the order of the report. */
enum finding_id {
	FINDING_EPHEMERAL_OVERLAP,
	FINDING_NOT_PERSISTENT,
	FINDING_CONFIG_OVERRIDDEN,
	FINDING_PORT_HELD,
	FINDING_SELF_CONNECT,
	FINDING_NOT_LISTENING,
	FINDING_UNEXPECTED_OWNER,
	FINDING_UNLISTED_LISTENER,
	FINDING_EPHEMERAL_POOL_SMALL,
	FINDING_RANGE_PARITY,
	_FINDING_ID_MAX,
	_FINDING_ID_INVALID = -EINVAL,
};

enum evidence_kind {
	EVIDENCE_KERNEL,     /* a live kernel value: key, value; source is the /proc/sys file */
	EVIDENCE_ASSIGNMENT, /* a sysctl.d line: key, value; source file and line */
	EVIDENCE_BOOT,       /* a value at the next boot under tool: key, value; source, line of
			      * the assignment that set it (NULL/0: the kernel default) */
	EVIDENCE_SOCKET,     /* sock; source "netlink" or "procfs" */
	EVIDENCE_UNIT,       /* a socket unit's Listen entry: unit, listen; source "bus" or
			      * "private" */
	EVIDENCE_INVENTORY,  /* where the service is defined: source file, line, column */
	_EVIDENCE_KIND_MAX,
};

struct evidence {
	enum evidence_kind kind;
	char *text;            /* why this piece matters, for people; NULL when the reporter's
				* line from the fields below says it all */
	const char *source;    /* where it was read, as shown to the operator; NULL: nowhere */
	unsigned line, column; /* in source; 0 when not applicable */
	const char *key;       /* KERNEL, ASSIGNMENT, BOOT: the sysctl key ("net.ipv4....") */
	char *value;           /* KERNEL, ASSIGNMENT, BOOT: the value, as read or as the
				* kernel would print it */
	int tool;              /* BOOT: enum sysctld_tool; else -1 */
	const struct sockrec *sock;       /* SOCKET */
	const struct socket_unit *unit;   /* UNIT */
	const struct unit_listen *listen; /* UNIT */
};

struct finding {
	enum finding_id id;
	enum severity severity;
	const char *service;   /* the inventory service, or NULL (self-connect off the
				* inventory, unlisted-listener, host-wide findings) */
	int proto;             /* enum proto, or -1 for host-wide findings */
	uint16_t port;         /* the affected port, or the first of ports; 0: none */
	char *ports;           /* every affected port in list syntax when more than one, else NULL */
	char *message;         /* one line */
	char *remediation;     /* one line or more, what to do */
	struct evidence *evidence;
	size_t n_evidence;
};

struct findings {
	struct finding *v; /* in report order: severity (error first), id, service, port */
	size_t n;
	size_t count[_SEVERITY_MAX];
};

/* "ephemeral-overlap", ...; NULL for anything else. */
const char *finding_id_to_string(enum finding_id id) _pure_;
/* The id for its name, or _FINDING_ID_INVALID. */
enum finding_id finding_id_from_string(const char *s) _pure_;
/* The fixed journal MESSAGE_ID of id: 32 lowercase hex digits; NULL for a bad id. */
const char *finding_id_message_id(enum finding_id id) _pure_;
/* The severity a finding of id has by default (before reserve: false or the policy). */
enum severity finding_id_default_severity(enum finding_id id) _pure_;

/* "error", "warning", "info"; NULL for anything else. */
const char *severity_to_string(enum severity s) _pure_;
/* The severity for its name, or _SEVERITY_INVALID. */
enum severity severity_from_string(const char *s) _pure_;

/* Free the contents of one finding. */
void finding_done(struct finding *f);
/* Free every finding and leave an empty list; accepts a zeroed struct. */
void findings_done(struct findings *fs);
/* Sort into report order and recount; called by the policy engine when it is done. */
void findings_sort(struct findings *fs);
/* Whether any finding is at or above severity s. */
bool findings_any_at_least(const struct findings *fs, enum severity s) _pure_;

#endif
