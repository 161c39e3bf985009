/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "portaudit/sockets.h"

static const char *const backend_table[_SOCKETS_BACKEND_MAX] = {
	[SOCKETS_NETLINK] = "netlink",
	[SOCKETS_PROCFS] = "procfs",
};

const char *sockets_backend_to_string(enum sockets_backend b)
{
	if ((unsigned)b >= ARRAY_SIZE(backend_table))
		return NULL;
	return backend_table[b];
}

enum sockets_backend sockets_backend_from_string(const char *s)
{
	if (!s)
		return _SOCKETS_BACKEND_INVALID;
	for (size_t i = 0; i < ARRAY_SIZE(backend_table); i++)
		if (strcmp(backend_table[i], s) == 0)
			return (enum sockets_backend)i;
	return _SOCKETS_BACKEND_INVALID;
}

/* The names of include/net/tcp_states.h. */
static const char *const tcp_state_table[SOCKREC_BOUND_INACTIVE + 1] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT",   [3] = "SYN_RECV",   [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2",   [6] = "TIME_WAIT",  [7] = "CLOSE",      [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK",    [10] = "LISTEN",    [11] = "CLOSING",   [12] = "NEW_SYN_RECV",
	[13] = "BOUND_INACTIVE",
};

const char *sockrec_state_to_string(const struct sockrec *s)
{
	if (s->proto == PROTO_UDP) {
		if (s->state == SOCKREC_CLOSE)
			return "UNCONN";
		if (s->state == SOCKREC_ESTABLISHED)
			return "ESTABLISHED";
		return "UNKNOWN";
	}
	if (s->state >= ARRAY_SIZE(tcp_state_table) || !tcp_state_table[s->state])
		return "UNKNOWN";
	return tcp_state_table[s->state];
}

static int format_addr(int family, const uint8_t addr[16], uint16_t port, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!inet_ntop(family, addr, a, sizeof(a)))
		return -errno;
	if (family == AF_INET6)
		n = snprintf(buf, size, "[%s]:%u", a, port);
	else
		n = snprintf(buf, size, "%s:%u", a, port);
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return 0;
}

int sockrec_format_local(const struct sockrec *s, char *buf, size_t size)
{
	return format_addr(s->family, s->laddr, s->lport, buf, size);
}

int sockrec_format_remote(const struct sockrec *s, char *buf, size_t size)
{
	return format_addr(s->family, s->raddr, s->rport, buf, size);
}

bool sockrec_is_self_connected(const struct sockrec *s)
{
	size_t alen = s->family == AF_INET ? 4 : 16;

	if (s->family != AF_INET && s->family != AF_INET6)
		return false;
	return s->lport != 0 && s->lport == s->rport && memcmp(s->laddr, s->raddr, alen) == 0;
}

static int socklist_append(struct socklist *l, const struct sockrec *rec)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct sockrec *v;

		if (cap < l->cap)
			return -ENOMEM;
		v = reallocarray(l->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *rec;
	return 0;
}

static void socklist_done(struct socklist *l)
{
	free(l->v);
	*l = (struct socklist){};
}

void sockets_done(struct sockets *s)
{
	socklist_done(&s->listeners);
	socklist_done(&s->udp);
	socklist_done(&s->held);
	portset_clear(&s->listening);
	s->n_tcp_other = 0;
	s->bound_inactive = false;
}

/*
 * The same selection as the netlink dumps' state masks (sockets-netlink.c), so
 * that procfs, which the kernel cannot filter, yields the same sets: UDP in
 * CLOSE (bound, unconnected) or ESTABLISHED (connected); TCP in LISTEN or
 * bound-inactive as listeners; TCP in any state but CLOSE as "other".  A TCP
 * socket in CLOSE is in none of the tables /proc/net/tcp walks; a bound one is
 * bound-inactive, which only netlink can see.
 */
int sockets_add(struct sockets *s, const struct portset *held_ports, const struct sockrec *rec)
{
	if (rec->proto == PROTO_UDP) {
		if (rec->state != SOCKREC_CLOSE && rec->state != SOCKREC_ESTABLISHED)
			return 0;
		return socklist_append(&s->udp, rec);
	}
	if (rec->proto != PROTO_TCP)
		return 0;
	if (rec->state == SOCKREC_LISTEN)
		portset_add(&s->listening, rec->lport);
	if (rec->state == SOCKREC_LISTEN || rec->state == SOCKREC_BOUND_INACTIVE)
		return socklist_append(&s->listeners, rec);
	if (rec->state == SOCKREC_CLOSE || rec->state == 0 || rec->state > SOCKREC_STATE_MAX)
		return 0;
	s->n_tcp_other++;
	if ((held_ports && portset_contains(held_ports, rec->lport) &&
	     !portset_contains(&s->listening, rec->lport)) ||
	    sockrec_is_self_connected(rec))
		return socklist_append(&s->held, rec);
	return 0;
}

/* Drop the kept sockets whose port a listener read after them turned out to have. */
static void drop_listened(struct sockets *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->held.n; i++)
		if (sockrec_is_self_connected(&s->held.v[i]) ||
		    !portset_contains(&s->listening, s->held.v[i].lport))
			s->held.v[n++] = s->held.v[i];
	s->held.n = n;
}

static int read_netlink(const struct root *r, const struct portset *held_ports,
			struct diag *notes, struct sockets *s, const char **reterr_what)
{
	if (!r->live) {
		*reterr_what = "reading sockets over netlink below an offline root";
		return -EOPNOTSUPP;
	}
	return sockets_netlink_read(held_ports, notes, s, reterr_what);
}

static int read_procfs(const struct root *r, const struct portset *held_ports, struct diag *notes,
		       struct sockets *s, const char **reterr_what)
{
	*reterr_what = "reading /proc/net";
	return sockets_proc_read(r, held_ports, notes, s);
}

/* The two backends (STYLE: backend choice by the root, an ops table in sockets.c). */
static const struct {
	int (*read)(const struct root *r, const struct portset *held_ports, struct diag *notes,
		    struct sockets *s, const char **reterr_what);
} backend_ops[_SOCKETS_BACKEND_MAX] = {
	[SOCKETS_NETLINK] = { read_netlink },
	[SOCKETS_PROCFS] = { read_procfs },
};

static int run_backend(const struct root *r, enum sockets_backend b,
		       const struct portset *held_ports, struct diag *notes, struct sockets *ret,
		       const char **reterr_what)
{
	struct sockets s = { .backend = b };
	int k;

	portset_clear(&s.listening);
	k = backend_ops[b].read(r, held_ports, notes, &s, reterr_what);
	if (k < 0) {
		sockets_done(&s);
		return k;
	}
	drop_listened(&s);
	*ret = s;
	return 0;
}

int sockets_read_backend(const struct root *r, enum sockets_backend b,
			 const struct portset *held_ports, struct diag *notes, struct sockets *ret)
{
	const char *what = NULL;
	int k;

	if ((unsigned)b >= _SOCKETS_BACKEND_MAX)
		return -EINVAL;
	k = run_backend(r, b, held_ports, notes, ret, &what);
	if (k < 0 && k != -ENOMEM && b == SOCKETS_NETLINK) {
		/* A full list is fine: only -ENOMEM would matter more than k. */
		if (diag_add(notes, "netlink sock_diag", 0, 0, "%s failed: %s",
			     what ? what : "reading", strerror(-k)) == -ENOMEM)
			return -ENOMEM;
	}
	return k;
}

int sockets_read(const struct root *r, const struct portset *held_ports, struct diag *notes,
		 struct sockets *ret)
{
	const char *what = NULL;
	int k;

	if (!r->live)
		return run_backend(r, SOCKETS_PROCFS, held_ports, notes, ret, &what);

	k = run_backend(r, SOCKETS_NETLINK, held_ports, notes, ret, &what);
	if (k >= 0 || k == -ENOMEM)
		return k;
	if (diag_add(notes, "netlink sock_diag", 0, 0, "%s failed: %s, reading /proc/net instead",
		     what ? what : "reading", strerror(-k)) == -ENOMEM)
		return -ENOMEM;
	return run_backend(r, SOCKETS_PROCFS, held_ports, notes, ret, &what);
}
