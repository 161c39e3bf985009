/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_SOCKETS_H
#define PORTAUDIT_SOCKETS_H

/*
 * The sockets of the caller's network namespace (DESIGN §2, §3; REFERENCE §4):
 * listeners, bound UDP sockets, and the few other TCP sockets the audit needs
 * (held ports, self-connects).  Two backends fill the same records with the same
 * filter: netlink sock_diag (sockets-netlink.c, live only) and the
 * /proc/net/{tcp,tcp6,udp,udp6} text (sockets-proc.c, below any root).
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portaudit/diag.h"
#include "portaudit/portset.h"
#include "portaudit/root.h"
#include "portaudit/services.h"

/* Kernel TCP states (include/net/tcp_states.h); the UDP code reuses two of them. */
#define SOCKREC_ESTABLISHED 1
#define SOCKREC_TIME_WAIT 6
#define SOCKREC_CLOSE 7  /* UDP: bound, not connected */
#define SOCKREC_LISTEN 10
#define SOCKREC_STATE_MAX 12 /* TCP_NEW_SYN_RECV, the highest state a socket is in */
/* State of a TCP socket bound but neither listening nor connected (TCP_BOUND_INACTIVE). */
#define SOCKREC_BOUND_INACTIVE 13

/* Room for sockrec_format_local()'s longest output: "[v6]:port" and the NUL. */
#define SOCKREC_FORMAT_MAX 56

/* A socket record (DESIGN §2). Addresses in network byte order (AF_INET: first 4 bytes). */
struct sockrec {
	uint8_t family;        /* AF_INET or AF_INET6 */
	uint8_t proto;         /* enum proto: PROTO_TCP or PROTO_UDP */
	uint8_t state;         /* TCP 1..12 or SOCKREC_BOUND_INACTIVE; UDP 7 unconnected, 1 connected */
	int8_t v6only;         /* AF_INET6: 1 v6-only, 0 dual-stack (also holds the IPv4 port),
				* -1 unknown (procfs; netlink sends it for LISTEN and CLOSE states
				* only); AF_INET: -1 */
	uint16_t lport, rport; /* host byte order */
	uint32_t ifindex;      /* bound device or 0 (netlink only) */
	uint32_t uid;
	uint64_t inode;        /* 0 for TIME_WAIT, request and not yet accepted sockets */
	uint8_t laddr[16], raddr[16];
};

struct socklist {
	struct sockrec *v;
	size_t n, cap;
};

enum sockets_backend {
	SOCKETS_NETLINK,
	SOCKETS_PROCFS,
	_SOCKETS_BACKEND_MAX,
	_SOCKETS_BACKEND_INVALID = -EINVAL,
};

struct sockets {
	enum sockets_backend backend; /* the one that produced the records */
	struct socklist listeners;    /* TCP LISTEN and TCP bound-inactive sockets, v4 and v6 */
	struct socklist udp;          /* every bound UDP socket, unconnected (7) or connected (1) */
	struct socklist held;         /* other TCP sockets the filter kept (see sockets_read) */
	struct portset listening;     /* local ports of the TCP LISTEN sockets */
	uint64_t n_tcp_other;         /* how many other TCP sockets were seen, kept or not */
	bool bound_inactive;          /* bound-inactive TCP sockets were dumped; false: invisible
				       * (old kernel, or procfs) */
};

/* "netlink" or "procfs"; NULL for anything else. */
const char *sockets_backend_to_string(enum sockets_backend b) _pure_;
/* SOCKETS_NETLINK for "netlink", SOCKETS_PROCFS for "procfs", else _SOCKETS_BACKEND_INVALID. */
enum sockets_backend sockets_backend_from_string(const char *s) _pure_;

/*
 * The state's name: the kernel's TCP names ("LISTEN", "ESTABLISHED", "TIME_WAIT",
 * ...), "BOUND_INACTIVE", and for UDP "UNCONN" (7) and "ESTABLISHED" (1), as ss
 * says.  "UNKNOWN" for a state no socket of that protocol is in.
 */
const char *sockrec_state_to_string(const struct sockrec *s) _pure_;

/*
 * Format the local "addr:port" into buf: "127.0.0.1:80", "[::1]:80",
 * "[::ffff:127.0.0.1]:80".  Wildcards are printed as what they are, "0.0.0.0:80"
 * and "[::]:80", never ss's "*:80": v6only says whether "[::]" also covers IPv4,
 * and "*" would hide the family.  Returns 0, -ENOBUFS when size is too small
 * (SOCKREC_FORMAT_MAX always suffices), or -EAFNOSUPPORT for an unknown family.
 */
int sockrec_format_local(const struct sockrec *s, char *buf, size_t size);
/* The same for the remote address and port ("0.0.0.0:0" for a listener). */
int sockrec_format_remote(const struct sockrec *s, char *buf, size_t size);

/* Whether local == remote address and port (a TCP self-connect); false for port 0. */
bool sockrec_is_self_connected(const struct sockrec *s) _pure_;

/*
 * Read the sockets of the caller's network namespace.  Live root: netlink
 * sock_diag; if netlink is unavailable (the socket cannot be opened, bound or
 * used: EPROTONOSUPPORT, EACCES, a seccomp filter...) fall back to procfs and add
 * a note saying why.  Offline root: procfs below the root (<root>/proc/net/tcp,
 * tcp6, udp, udp6; a missing file is a note).  held_ports (may be NULL = empty):
 * a TCP socket that is neither LISTEN nor bound-inactive is kept in ->held when
 * it is self-connected, or when its local port is in held_ports and no TCP
 * socket listens on that port (one that does shares the port with its
 * listener: an accepted connection, which holds nothing); all others are only
 * counted.  So a server's connections are never kept, however many, and
 * memory stays bounded by what the checks need (DESIGN §10).  Malformed procfs lines: note "FILE:LINE: ..., skipping".  Returns 0
 * and fills *ret, or a negative errno: -ENOMEM, or a procfs file that exists but
 * cannot be read (also noted) when procfs is the only source, or -ENOENT when
 * the live /proc/net has none of the four files.
 */
int sockets_read(const struct root *r, const struct portset *held_ports, struct diag *notes,
		 struct sockets *ret);

/*
 * Like sockets_read() with the backend forced and no fallback (tests compare
 * netlink with procfs on the live namespace).  Netlink needs the live root
 * (-EOPNOTSUPP otherwise); its failures are returned, with a note saying what
 * failed.
 */
int sockets_read_backend(const struct root *r, enum sockets_backend b,
			 const struct portset *held_ports, struct diag *notes,
			 struct sockets *ret);

/* Free the lists and leave empty ones; accepts an empty struct. */
void sockets_done(struct sockets *s);

/*
 * Parse one /proc/net file's content (len bytes, need not be NUL-terminated):
 * family AF_INET or AF_INET6 (tcp/udp vs. tcp6/udp6), proto from the file name.
 * Calls cb for every well-formed record; a malformed line is noted as
 * "FILE:LINE: ..., skipping" and parsing goes on.  Allocates nothing per line.
 * Returns 0, -EINVAL for a bad family or proto, -ENOMEM from the note list, or
 * the first negative value cb returns (which stops the parse).
 */
int procnet_parse_buffer(const char *buf, size_t len, const char *file, int family,
			 enum proto proto, int (*cb)(const struct sockrec *s, void *userdata),
			 void *userdata, struct diag *notes);

/*
 * Backend interface: called by sockets.c only (sockets-netlink.c and
 * sockets-proc.c are its two implementations).
 */

/*
 * Sort one record into s: the filter both backends share.  A TCP listener
 * seen after the sockets on its port (procfs reads tcp before tcp6) is made up
 * for by sockets_read().  Returns 0 or -ENOMEM.
 */
int sockets_add(struct sockets *s, const struct portset *held_ports, const struct sockrec *rec);

/*
 * Dump over netlink sock_diag into s (which is empty).  On failure returns a
 * negative errno and, in *reterr_what, what failed ("opening the netlink
 * socket", "dumping TCP sockets", ...), for the caller's note.
 */
int sockets_netlink_read(const struct portset *held_ports, struct diag *notes, struct sockets *s,
			 const char **reterr_what);

/* Read <root>/proc/net/{tcp,tcp6,udp,udp6} into s (which is empty); see sockets_read(). */
int sockets_proc_read(const struct root *r, const struct portset *held_ports, struct diag *notes,
		      struct sockets *s);

#endif
