/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_SNAPSHOT_H
#define PORTAUDIT_SNAPSHOT_H

/*
 * The host snapshot (DESIGN §1, §2): everything portaudit reads of the host,
 * gathered once, with where each piece came from.  The policy engine and the
 * reporters only look at it; snapshot.c is the only module that calls readers.
 */

#include <stdbool.h>
#include <stdint.h>

#include "portaudit/diag.h"
#include "portaudit/owners.h"
#include "portaudit/portset.h"
#include "portaudit/sockets.h"
#include "portaudit/sysctld.h"
#include "portaudit/units.h"

struct root;

/* The kernel's three port sysctls of this network namespace. */
struct snapshot_kernel {
	uint16_t range_lo, range_hi;
	struct portset reserved;
	unsigned unprivileged_start;
	bool have_unprivileged_start; /* false on kernels < 4.11, which lack the key */
	char *source;                 /* the directory read, as shown: "/proc/sys/net/ipv4" */
	char *range_source;           /* the files read, as shown */
	char *reserved_source;
};

struct snapshot {
	bool live;                    /* the running system, not a --root tree */
	char *root;                   /* "/" or the --root path */
	struct snapshot_kernel kernel;
	struct sysctld sysctld;       /* the configuration, with every assignment's file:line */
	struct sysctld_boot boot[_SYSCTLD_TOOL_MAX]; /* the values it leaves at the next boot */
	struct sockets sockets;       /* listeners, UDP, and the TCP sockets the filter kept */
	bool have_sockets;            /* false: they could not be read (noted) */
	struct units units;           /* systemd socket units (live only) */
	struct owners owners;         /* holders of the sockets asked about, see below */
	bool owners_resolved;         /* snapshot_resolve_owners() ran */
	struct diag notes;            /* what could not be read or is doubtful, non-fatal */
};

/*
 * Read the host below r.  held_ports (may be NULL) are the TCP ports whose
 * non-listening sockets are kept (sockets_read()); all others are only counted.
 * With hold_unit_ports, the TCP ports socket units listen on are kept too
 * (discovery mode, where those units are the inventory).  Non-fatal problems
 * become notes; an unreadable or malformed kernel value is an error with a
 * one-line reason in *reterr_msg (malloc'd).  Returns 0, or a negative errno.
 */
int snapshot_gather(const struct root *r, const struct portset *held_ports, bool hold_unit_ports,
		    struct snapshot *ret, char **reterr_msg);

/* The inodes of every socket record of the snapshot (0s left out), for owners. */
int snapshot_inodes(const struct snapshot *s, uint64_t **ret, size_t *ret_n);

/*
 * Find the processes holding the given socket inodes (owners_find(): one scan of
 * <root>/proc/[pid]/fd that stops once each has a holder other than PID 1), kept
 * in s->owners; an incomplete scan (another user's processes) becomes a note.
 * Returns 0 or -ENOMEM.
 */
int snapshot_resolve_owners(struct snapshot *s, const struct root *r, const uint64_t *inodes,
			    size_t n_inodes);

/* Free the contents. */
void snapshot_done(struct snapshot *s);

#endif
