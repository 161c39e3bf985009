/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_POLICY_H
#define PORTAUDIT_POLICY_H

/*
 * The policy engine (DESIGN §5): a pure function from (inventory, snapshot) to
 * findings.  No I/O: everything it knows comes in through its arguments, so
 * tests build both by hand.  The inventory's policy section is the policy.
 *
 * The rules, for each inventory service S and each of its protocols P (one
 * finding per id, service and protocol; its port is the lowest affected port and
 * ports lists them all when there are several):
 *
 *   ephemeral-overlap   ports of S/P inside [range_lo, range_hi] of the live
 *                       kernel and not in the live reserved set.  error; info
 *                       when S has reserve: false.  Reserved ports outside the
 *                       range are harmless and never a finding.
 *   config-overridden   ports of S/P (reserve: true) inside the range at the
 *                       next boot, that some sysctl.d assignment of
 *                       ip_local_reserved_ports contains but the value
 *                       systemd-sysctl leaves at the next boot does not (a later
 *                       file overrides it, or the last write is one the kernel
 *                       refuses): error, naming the file that wins.  When
 *                       systemd-sysctl keeps them but procps "sysctl --system"
 *                       would not: warning, naming procps's winning file.
 *   not-persistent      ports of S/P (reserve: true) in the live reserved set,
 *                       inside the range at the next boot, that the value
 *                       systemd-sysctl leaves at the next boot lacks, and that
 *                       config-overridden did not already report: warning.
 *   port-held           (TCP) ports of S/P where no TCP socket is in LISTEN but
 *                       some other TCP socket (not bound-inactive) has the port
 *                       as its local port; (UDP) ports with a connected UDP
 *                       socket and no unconnected one.  error.  Evidence: each
 *                       such socket (at most POLICY_EVIDENCE_SOCKETS) with its
 *                       owner when resolved.
 *   not-listening       ports of S/P with no TCP listener or bound-inactive
 *                       socket (TCP), no bound UDP socket (UDP), no socket unit
 *                       Listen entry of that protocol, and no port-held finding:
 *                       info.  Only when sockets were read.
 *   unexpected-owner    S has process: and/or unit:, and a listener on a port of
 *                       S/P (TCP LISTEN; UDP unconnected) has no holder that
 *                       matches both (comm equals process; the holder's unit
 *                       equals unit, or, for unit: x.socket, is x.service or
 *                       an x@... instance of it).  A listener
 *                       held only by PID 1 is a socket unit's: it matches when a
 *                       socket unit listing the port has the unit's name or its
 *                       stem with ".socket", and process: is not checked.  A
 *                       listener whose holders are unknown is skipped (the
 *                       owners note says why).  warning.
 *
 * and for the host:
 *
 *   self-connect        every TCP socket whose local address and port equal its
 *                       remote ones, whatever the port: error, one finding per
 *                       (service owning the port, or none) and port.
 *   unlisted-listener   TCP listeners and socket-unit Listen entries on a port
 *                       inside the live range, not live reserved, and in no
 *                       service for that protocol: one per protocol and port,
 *                       severity policy.unlisted_listeners (ignore: none).
 *                       UDP sockets are left out: the kernel picks ephemeral
 *                       UDP ports for clients too, so a bound UDP socket in the
 *                       range says nothing about a server.
 *   ephemeral-pool-small  range size minus live reserved ports inside the
 *                       range below policy.min_ephemeral_ports (0: never): warning.
 *   range-parity        range_lo and range_hi of the same parity: info.
 *
 * Socket checks (port-held, not-listening, unexpected-owner, self-connect,
 * unlisted-listener) are skipped when the snapshot has no sockets.
 */

#include <stddef.h>
#include <stdint.h>

#include "portaudit/finding.h"

struct inventory;
struct snapshot;

/* At most this many sockets are evidence of one finding; the rest are counted. */
#define POLICY_EVIDENCE_SOCKETS 8

/*
 * The socket inodes whose owners the findings may need (held sockets on
 * inventory ports, self-connected sockets, listeners on ports of services that
 * name a process or unit, unlisted listeners), sorted and unique, for
 * snapshot_resolve_owners().  Returns 0 or -ENOMEM; *ret may be NULL when
 * *ret_n is 0.
 */
int policy_owner_inodes(const struct inventory *inv, const struct snapshot *snap, uint64_t **ret,
			size_t *ret_n);

/*
 * Evaluate.  Uses snap->owners when snap->owners_resolved (evidence and
 * remediations name owners; unexpected-owner needs them).  Returns 0 and the
 * findings in report order, or -ENOMEM.
 */
int policy_evaluate(const struct inventory *inv, const struct snapshot *snap,
		    struct findings *ret);

/*
 * Discovery mode (DESIGN §4): fill inv, which must be empty and discovered, with
 * what the host serves: one service per listening process (named after its
 * comm; "port-N" when the owner is unknown) holding its TCP listeners and its
 * unconnected UDP sockets outside the range, and one per socket unit (named
 * after the unit without ".socket") holding its Listen ports.  Listeners on
 * loopback count: that is where clients connect to themselves.  Owners must be
 * resolved for the listeners (policy_discovery_inodes()).  Returns 0, or -ENOMEM.
 */
int policy_discover(const struct snapshot *snap, struct inventory *inv);

/* The socket inodes policy_discover() needs the owners of.  As policy_owner_inodes(). */
int policy_discovery_inodes(const struct snapshot *snap, uint64_t **ret, size_t *ret_n);

#endif
