/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_TESTS_SNAPBUILD_H
#define PORTAUDIT_TESTS_SNAPBUILD_H

/*
 * A snapshot builder for tests of the pure cores (STYLE "Pure cores with
 * builders"): a struct snapshot put together by hand, with no filesystem, no
 * netlink and no bus.  Everything it allocates is what snapshot_done() frees,
 * so a test ends with snapshot_done() as the program does.  Every function
 * returns 0 or a negative errno (-EINVAL for a malformed argument).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "portaudit/inventory.h"
#include "portaudit/snapshot.h"

/*
 * A live snapshot of the root "/" with the range lo..hi, nothing reserved,
 * ip_unprivileged_port_start 1024, no sysctl.d file (the next boot under both
 * tools is the kernel default), sockets read (none yet) over netlink with
 * bound-inactive sockets visible, socket units read over the bus (none yet),
 * owners not resolved, and an empty notes list.
 */
int snapbuild_init(struct snapshot *s, uint16_t lo, uint16_t hi);

/* Set the live ip_local_port_range. */
int snapbuild_range(struct snapshot *s, uint16_t lo, uint16_t hi);

/* Set the live ip_local_reserved_ports to list, in the kernel's syntax ("" empties it). */
int snapbuild_reserve(struct snapshot *s, const char *list);

/*
 * Add a sysctl.d file, applied by both tools after the files added before it
 * ("/etc/sysctl.conf": by procps only, after every other file, as procps's
 * final pass).  Its assignments of the three port keys are parsed with
 * sysctl.d's line syntax, and the next boot of both tools is computed again.
 */
int snapbuild_sysctld_file(struct snapshot *s, const char *path, const char *content);

/*
 * Add a socket as sockets_add() sorts it into the lists (every non-listening TCP
 * socket is kept).  local and remote are "A.B.C.D:PORT" or "[V6]:PORT" of one
 * family; remote NULL is the wildcard address and port 0.  v6only applies to
 * AF_INET6 only (AF_INET records get -1).
 */
int snapbuild_socket(struct snapshot *s, enum proto proto, uint8_t state, const char *local,
		     const char *remote, int v6only, uint64_t inode);

/* A TCP socket in state (SOCKREC_ESTABLISHED, SOCKREC_TIME_WAIT, ...), not a listener. */
int snapbuild_tcp(struct snapshot *s, uint8_t state, const char *local, const char *remote,
		  uint64_t inode);

/* A TCP listener. */
int snapbuild_listen(struct snapshot *s, const char *local, int v6only, uint64_t inode);

/* A UDP socket: unconnected when remote is NULL, else connected. */
int snapbuild_udp(struct snapshot *s, const char *local, const char *remote, int v6only,
		  uint64_t inode);

/* Record pid (comm, systemd unit or NULL) as a holder of inode; owners count as resolved. */
int snapbuild_owner(struct snapshot *s, uint64_t inode, pid_t pid, const char *comm,
		    const char *unit);

/* Add a Listen entry (type as systemd says it: "Stream", "Datagram") to socket unit name. */
int snapbuild_unit(struct snapshot *s, const char *name, const char *type, const char *address);

/*
 * Parse one inventory from a YAML string (named "inv.yaml") into a new
 * inventory, with an empty /etc/services.  -EINVAL when the YAML has any input
 * error; the errors are in diag when given.
 */
int snapbuild_inventory(const char *yaml, struct diag *diag, struct inventory **ret);

#endif
