/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * All netlink traffic of portaudit: NETLINK_SOCK_DIAG dumps through libmnl
 * (REFERENCE §4.2, §4.3).  Live only: the kernel answers for the caller's
 * network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portaudit/sockets.h"

/*
 * The kernel puts at most about 32 KiB of a dump into one message
 * (netlink_recvmsg() caps max_recvmsg_len there), and it sizes the next
 * message after the buffer the reader offered: 32 KiB holds about 250 sockets
 * per recvmsg().
 */
#define DUMP_BUFSIZE 32768u

#define STATE_BIT(s) (UINT32_C(1) << (s))

/*
 * Exactly LISTEN: inet_diag_dump_icsk() then walks the listening hash only and
 * skips the established hash, O(listeners) (REFERENCE §4.2: 0.09 ms at 100k
 * connections, against 17 ms for ss's LISTEN|CLOSE).
 */
#define MASK_TCP_LISTEN STATE_BIT(SOCKREC_LISTEN)
/* A bound UDP socket is CLOSE, a connected one ESTABLISHED (REFERENCE §4.3). */
#define MASK_UDP (STATE_BIT(SOCKREC_CLOSE) | STATE_BIT(SOCKREC_ESTABLISHED))
/*
 * Every other TCP state, and bound-inactive in the same dump.  Asking for
 * TCP_BOUND_INACTIVE in a dump of its own would cost a second walk of the
 * established hash: inet_diag_dump_icsk() walks it whenever a bit other than
 * LISTEN is set (measured on 6.18 with 18000 connections: 10-13 ms for
 * 1<<13 alone, 0.09 ms for LISTEN).  CLOSE is left out, so a record in
 * state CLOSE in this dump is a bound-inactive one: the kernel reports those
 * with idiag_state TCP_CLOSE, not 13.
 */
#define MASK_TCP_OTHER                                                                     \
	((STATE_BIT(SOCKREC_STATE_MAX + 1) - 2) & ~STATE_BIT(SOCKREC_CLOSE) &              \
	 ~STATE_BIT(SOCKREC_LISTEN))
#define MASK_TCP_BOUND_INACTIVE STATE_BIT(SOCKREC_BOUND_INACTIVE)

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char *buf;
};

/* One dump's context for the message callback. */
struct dump {
	struct sockets *s;
	const struct portset *held_ports;
	enum proto proto;
	bool other;           /* the other-TCP dump: a CLOSE record is bound-inactive */
	uint64_t probe_inode; /* our own bound-inactive probe, left out of the results */
	bool probe_seen;
	uint64_t n_bound_inactive;
	int error;            /* why the callback stopped the dump */
};

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

static int nl_open(struct nl *nl, const char **reterr_what)
{
	int fd;

	nl->sock = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl->sock) {
		*reterr_what = "opening a NETLINK_SOCK_DIAG socket";
		return -errno;
	}
	/* mnl_socket_open2() would need libmnl 1.0.4; configure asks for 1.0.3. */
	fd = mnl_socket_get_fd(nl->sock);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int k = -errno;

		nl_close(nl);
		*reterr_what = "binding the netlink socket";
		return k;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	return 0;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	int8_t *v6only = data;

	if (mnl_attr_get_type(a) == INET_DIAG_SKV6ONLY && mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
		*v6only = mnl_attr_get_u8(a) ? 1 : 0;
	return MNL_CB_OK;
}

/*
 * One socket: parsed into a record on the stack and handed to the shared
 * filter, which keeps it or only counts it.  Nothing is allocated per socket.
 */
static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct inet_diag_msg *m;
	struct sockrec rec;
	size_t alen;
	int k;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m)) {
		d->error = -EBADMSG;
		return MNL_CB_ERROR;
	}
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return MNL_CB_OK;
	rec = (struct sockrec){
		.family = m->idiag_family,
		.proto = (uint8_t)d->proto,
		.state = m->idiag_state,
		.v6only = -1,
		.lport = ntohs(m->id.idiag_sport),
		.rport = ntohs(m->id.idiag_dport),
		.ifindex = m->id.idiag_if,
		.uid = m->idiag_uid,
		.inode = m->idiag_inode,
	};
	alen = m->idiag_family == AF_INET ? 4 : 16;
	memcpy(rec.laddr, m->id.idiag_src, alen);
	memcpy(rec.raddr, m->id.idiag_dst, alen);
	/*
	 * INET_DIAG_SKV6ONLY comes unasked with every AF_INET6 socket in LISTEN
	 * or CLOSE (inet_diag_msg_attrs_fill()); other states leave it unknown.
	 */
	if (m->idiag_family == AF_INET6 &&
	    mnl_attr_parse(nlh, sizeof(*m), attr_cb, &rec.v6only) < MNL_CB_OK) {
		d->error = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (d->other && (rec.state == SOCKREC_CLOSE || rec.state == SOCKREC_BOUND_INACTIVE)) {
		if (rec.inode == d->probe_inode && d->probe_inode != 0) {
			d->probe_seen = true;
			return MNL_CB_OK;
		}
		rec.state = SOCKREC_BOUND_INACTIVE;
		d->n_bound_inactive++;
	}
	k = sockets_add(d->s, d->held_ports, &rec);
	if (k < 0) {
		d->error = k;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/*
 * One SOCK_DIAG_BY_FAMILY dump.  mnl_cb_run() checks the sequence number and
 * port id, stops at NLMSG_DONE and turns NLMSG_ERROR into errno; it reports a
 * dump the kernel marked NLM_F_DUMP_INTR as EINTR.  Returns 0 or a negative
 * errno (-EINTR: interrupted, start over on a fresh socket).
 */
static int dump(struct nl *nl, int family, int ipproto, uint32_t states, struct dump *d)
{
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	unsigned seq = ++nl->seq;

	nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = (uint8_t)ipproto;
	req->idiag_ext = 0; /* no extensions: every byte less is a byte less per socket */
	req->idiag_states = states;

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, DUMP_BUFSIZE);
		int k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		errno = 0;
		k = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, data_cb, d);
		if (k == MNL_CB_STOP)
			return 0;
		if (k == MNL_CB_ERROR)
			return d->error ? d->error : errno ? -errno : -EBADMSG;
	}
}

/* Where the lists stood before a dump, to undo an interrupted one. */
struct mark {
	size_t listeners, udp, held;
	uint64_t n_tcp_other, n_bound_inactive;
	bool probe_seen;
};

/* Both families; a dump the kernel interrupted is started over once. */
static int dump_both(struct nl *nl, int ipproto, uint32_t states, struct dump *d,
		     const char **reterr_what)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		struct mark m = {
			d->s->listeners.n, d->s->udp.n,		 d->s->held.n,
			d->s->n_tcp_other, d->n_bound_inactive, d->probe_seen,
		};
		int k;

		for (unsigned attempt = 0;; attempt++) {
			d->error = 0;
			k = dump(nl, families[i], ipproto, states, d);
			if (k == -EINTR && attempt == 1)
				*reterr_what = "repeating an interrupted sock_diag dump";
			if (k != -EINTR || attempt == 1)
				break;
			d->s->listeners.n = m.listeners;
			d->s->udp.n = m.udp;
			d->s->held.n = m.held;
			d->s->n_tcp_other = m.n_tcp_other;
			d->n_bound_inactive = m.n_bound_inactive;
			d->probe_seen = m.probe_seen;
			/* The rest of the interrupted dump may still be queued: a new socket. */
			nl_close(nl);
			k = nl_open(nl, reterr_what);
			if (k < 0)
				return k;
		}
		if (k < 0)
			return k;
	}
	return 0;
}

/*
 * A TCP socket of our own bound to 127.0.0.1 and an ephemeral port, neither
 * listening nor connected: if the dump shows it, the kernel dumps bound-inactive
 * sockets.  A kernel without TCP_BOUND_INACTIVE (6.1) ignores the bit and
 * answers without error, so an empty answer alone proves nothing.
 * SO_REUSEADDR lets a server that sets it bind the port meanwhile.
 */
static int probe_open(uint64_t *ret_inode)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	_cleanup_close_ int fd = -1;
	struct stat st;
	int one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || fstat(fd, &st) < 0)
		return -errno;
	*ret_inode = (uint64_t)st.st_ino;
	return TAKE_FD(fd);
}

static int dumps(struct nl *nl, const struct portset *held_ports, struct diag *notes,
		 struct sockets *s, const char **reterr_what)
{
	struct dump d = { .s = s, .held_ports = held_ports, .proto = PROTO_TCP };
	_cleanup_close_ int probe = -1;
	int k, probe_error = 0;

	*reterr_what = "dumping TCP listeners";
	k = dump_both(nl, IPPROTO_TCP, MASK_TCP_LISTEN, &d, reterr_what);
	if (k < 0)
		return k;

	*reterr_what = "dumping UDP sockets";
	d.proto = PROTO_UDP;
	k = dump_both(nl, IPPROTO_UDP, MASK_UDP, &d, reterr_what);
	if (k < 0)
		return k;

	k = probe_open(&d.probe_inode);
	if (k < 0)
		probe_error = k;
	else
		probe = k;
	*reterr_what = "dumping other TCP sockets";
	d.proto = PROTO_TCP;
	d.other = true;
	k = dump_both(nl, IPPROTO_TCP, MASK_TCP_OTHER | MASK_TCP_BOUND_INACTIVE, &d, reterr_what);
	if (k < 0)
		return k;

	s->bound_inactive = d.probe_seen || d.n_bound_inactive > 0;
	if (s->bound_inactive)
		return 0;
	if (probe_error < 0)
		k = diag_add(notes, "netlink sock_diag", 0, 0,
			     "cannot tell whether this kernel lists TCP sockets that are bound but not listening: probe socket: %s",
			     strerror(-probe_error));
	else
		k = diag_add(notes, "netlink sock_diag", 0, 0,
			     "this kernel cannot list TCP sockets that are bound but not listening (needs TCP_BOUND_INACTIVE, Linux 6.8+)");
	return k == -ENOMEM ? k : 0;
}

int sockets_netlink_read(const struct portset *held_ports, struct diag *notes, struct sockets *s,
			 const char **reterr_what)
{
	struct nl nl = {};
	int k;

	nl.buf = malloc(DUMP_BUFSIZE);
	if (!nl.buf)
		return -ENOMEM;
	k = nl_open(&nl, reterr_what);
	if (k >= 0)
		k = dumps(&nl, held_ports, notes, s, reterr_what);
	nl_close(&nl);
	free(nl.buf);
	return k;
}
