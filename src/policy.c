/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portaudit/inventory.h"
#include "portaudit/policy.h"
#include "portaudit/snapshot.h"
#include "portaudit/sysctl.h"

/* The key as sysctld stores it (normalized) and as people write it. */
#define RESERVED_KEY "net/ipv4/ip_local_reserved_ports"

/* Ports by what is on them, computed once from the snapshot. */
struct port_index {
	struct portset listen_tcp;    /* TCP LISTEN */
	struct portset bound_tcp;     /* TCP LISTEN or bound-inactive */
	struct portset held_tcp;      /* local ports of the other TCP sockets kept */
	struct portset unconn_udp;    /* unconnected UDP */
	struct portset conn_udp;      /* connected UDP */
	struct portset units[_PROTO_MAX]; /* socket units' Listen ports */
	struct portset range;         /* the live ephemeral range */
	struct portset boot_range;    /* the range systemd-sysctl leaves at the next boot */
	struct portset assigned_sd;   /* every port a file systemd-sysctl applies assigns */
	struct portset assigned_any;  /* every port any file assigns */
};

struct eval {
	const struct inventory *inv;
	const struct snapshot *snap;
	struct findings *out;
	size_t cap;
	struct port_index *ix;
	const char *sock_source; /* "netlink" or "procfs" */
};

_printf_(2, 3) static char *fmt(int *err, const char *f, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	if (n < 0) {
		*err = -ENOMEM;
		return NULL;
	}
	return s;
}

/* ---- findings and evidence ------------------------------------------------------- */

/* A new finding about ports (may be NULL or empty for host-wide ones). */
static struct finding *finding_new(struct eval *e, enum finding_id id, enum severity sev,
				   const char *service, int proto, const struct portset *ports)
{
	struct findings *out = e->out;
	struct finding *f;
	struct portrun run;

	if (out->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct finding *v = reallocarray(out->v, cap, sizeof(*v));
		if (!v)
			return NULL;
		out->v = v;
		e->cap = cap;
	}
	f = &out->v[out->n];
	*f = (struct finding){ .id = id, .severity = sev, .service = service, .proto = proto };
	if (ports) {
		unsigned cursor = 0;
		if (portset_next_run(ports, &cursor, &run))
			f->port = run.lo;
		if (portset_count(ports) > 1 && portset_format_alloc(ports, &f->ports) < 0)
			return NULL;
	}
	out->n++;
	return f;
}

static struct evidence *evidence_new(struct finding *f, enum evidence_kind kind)
{
	struct evidence *v = reallocarray(f->evidence, f->n_evidence + 1, sizeof(*v));

	if (!v)
		return NULL;
	f->evidence = v;
	v = &v[f->n_evidence++];
	*v = (struct evidence){ .kind = kind, .tool = -1 };
	return v;
}

static int ev_kernel_range(struct eval *e, struct finding *f)
{
	const struct snapshot_kernel *k = &e->snap->kernel;
	struct evidence *ev = evidence_new(f, EVIDENCE_KERNEL);
	int err = 0;

	if (!ev)
		return -ENOMEM;
	ev->key = SYSCTL_PORT_RANGE;
	ev->source = k->range_source;
	ev->value = fmt(&err, "%u %u", k->range_lo, k->range_hi);
	return err;
}

static int ev_kernel_reserved(struct eval *e, struct finding *f)
{
	const struct snapshot_kernel *k = &e->snap->kernel;
	struct evidence *ev = evidence_new(f, EVIDENCE_KERNEL);

	if (!ev)
		return -ENOMEM;
	ev->key = SYSCTL_RESERVED_PORTS;
	ev->source = k->reserved_source;
	return portset_format_alloc(&k->reserved, &ev->value);
}

static int ev_assignment(struct eval *e, struct finding *f, const struct sysctld_assignment *a,
			 const char *text)
{
	struct evidence *ev = evidence_new(f, EVIDENCE_ASSIGNMENT);
	int err = 0;

	if (!ev)
		return -ENOMEM;
	ev->key = SYSCTL_RESERVED_PORTS;
	ev->source = e->snap->sysctld.files[a->file].shown;
	ev->line = a->line;
	if (a->value && !(ev->value = strdup(a->value)))
		return -ENOMEM;
	if (text && !(ev->text = fmt(&err, "%s", text)))
		return err;
	return 0;
}

/* The reserved ports tool leaves at the next boot, and which line (or default) set them. */
static int ev_boot(struct eval *e, struct finding *f, enum sysctld_tool tool)
{
	const struct sysctld_boot *b = &e->snap->boot[tool];
	struct evidence *ev = evidence_new(f, EVIDENCE_BOOT);
	int err = 0;

	if (!ev)
		return -ENOMEM;
	ev->key = SYSCTL_RESERVED_PORTS;
	ev->tool = tool;
	if (b->reserved_from) {
		ev->source = e->snap->sysctld.files[b->reserved_from->file].shown;
		ev->line = b->reserved_from->line;
	}
	if (b->reserved_rejected) {
		const struct sysctld_assignment *a = b->reserved_rejected;
		char buf[256];
		const char *why = a->value ? sysctld_value_problem(RESERVED_KEY, a->value, tool, buf,
								    sizeof(buf))
					   : NULL;

		ev->text = fmt(&err, "the kernel refuses the value of %s:%u%s%s, so it is not applied",
			       e->snap->sysctld.files[a->file].shown, a->line, why ? ": " : "",
			       why ? why : "");
		if (err)
			return err;
	}
	return portset_format_alloc(&b->reserved, &ev->value);
}

/* The last write of the reserved key that tool makes and the kernel refuses, if any. */
static int ev_rejected(struct eval *e, struct finding *f, enum sysctld_tool tool)
{
	const struct sysctld_assignment *a = e->snap->boot[tool].reserved_rejected;

	if (!a)
		return 0;
	return ev_assignment(e, f, a, "written last, and refused by the kernel");
}

static int ev_socket(struct eval *e, struct finding *f, const struct sockrec *s)
{
	struct evidence *ev = evidence_new(f, EVIDENCE_SOCKET);

	if (!ev)
		return -ENOMEM;
	ev->sock = s;
	ev->source = e->sock_source;
	return 0;
}

static int ev_unit(struct eval *e, struct finding *f, const struct socket_unit *u,
		   const struct unit_listen *l)
{
	struct evidence *ev = evidence_new(f, EVIDENCE_UNIT);

	if (!ev)
		return -ENOMEM;
	ev->unit = u;
	ev->listen = l;
	ev->source = units_transport_to_string(e->snap->units.transport);
	return 0;
}

static int ev_inventory(struct eval *e, struct finding *f, const struct inventory_service *svc)
{
	struct evidence *ev;

	/* A discovered inventory was written by portaudit, not by anyone to point at. */
	if (e->inv->discovered)
		return 0;
	ev = evidence_new(f, EVIDENCE_INVENTORY);
	if (!ev)
		return -ENOMEM;
	ev->source = svc->mark.file;
	ev->line = svc->mark.line;
	ev->column = svc->mark.column;
	return 0;
}

/* "28350" or "28350,30000-30002" (at most ~60 characters, then "..."), into buf. */
static const char *ports_text(const struct portset *p, char *buf, size_t size)
{
	size_t n = portset_format(p, buf, size);

	if (n >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

/* ---- who holds a socket ---------------------------------------------------------- */

static const struct owner *owner_of(const struct snapshot *snap, const struct sockrec *s)
{
	if (!snap->owners_resolved || s->inode == 0)
		return NULL;
	return owners_lookup(&snap->owners, s->inode);
}

/* "pid 4242 (sysbench)" or "uid 1000's process" or "a TIME_WAIT socket", into buf. */
static const char *holder_text(const struct snapshot *snap, const struct sockrec *s, char *buf,
			       size_t size)
{
	const struct owner *o = owner_of(snap, s);

	if (o && o->pid != 1)
		snprintf(buf, size, "pid %d (%s)", (int)o->pid, o->comm[0] ? o->comm : "?");
	else if (s->inode == 0)
		snprintf(buf, size, "a socket in %s", sockrec_state_to_string(s));
	else
		snprintf(buf, size, "the process of uid %u holding socket inode %llu", s->uid,
			 (unsigned long long)s->inode);
	return buf;
}

/* ---- the index ------------------------------------------------------------------- */

/* The ports some assignment of the reserved key (in a file tool applies) contains. */
static void assigned_ports(const struct snapshot *snap, int tool, struct portset *ret)
{
	const struct sysctld *c = &snap->sysctld;

	portset_clear(ret);
	for (size_t i = 0; i < c->n_assignments; i++) {
		const struct sysctld_assignment *a = &c->assignments[i];
		struct portset set;

		if (!a->value || (tool >= 0 && !c->files[a->file].used[tool]) ||
		    !sysctld_key_matches(a->key, a->glob, RESERVED_KEY))
			continue;
		if (portset_parse(a->value, strlen(a->value), &set, NULL) == 0)
			portset_union(ret, &set);
	}
}

static void index_build(const struct snapshot *snap, struct port_index *ix)
{
	const struct sockets *so = &snap->sockets;

	memset(ix, 0, sizeof(*ix));
	for (size_t i = 0; i < so->listeners.n; i++) {
		const struct sockrec *s = &so->listeners.v[i];
		if (s->state == SOCKREC_LISTEN)
			portset_add(&ix->listen_tcp, s->lport);
		portset_add(&ix->bound_tcp, s->lport);
	}
	for (size_t i = 0; i < so->held.n; i++)
		portset_add(&ix->held_tcp, so->held.v[i].lport);
	for (size_t i = 0; i < so->udp.n; i++)
		portset_add(so->udp.v[i].state == SOCKREC_CLOSE ? &ix->unconn_udp : &ix->conn_udp,
			    so->udp.v[i].lport);
	for (size_t i = 0; i < snap->units.n; i++) {
		const struct socket_unit *u = &snap->units.v[i];
		for (size_t j = 0; j < u->n_listen; j++)
			if (u->listen[j].inet && (unsigned)u->listen[j].proto < _PROTO_MAX)
				portset_add(&ix->units[u->listen[j].proto], u->listen[j].port);
	}
	portset_add_range(&ix->range, snap->kernel.range_lo, snap->kernel.range_hi);
	portset_add_range(&ix->boot_range, snap->boot[SYSCTLD_SYSTEMD].range_lo,
			  snap->boot[SYSCTLD_SYSTEMD].range_hi);
	assigned_ports(snap, SYSCTLD_SYSTEMD, &ix->assigned_sd);
	assigned_ports(snap, -1, &ix->assigned_any);
}

/* The first service with port for protocol p, or NULL. */
static const struct inventory_service *service_of(const struct inventory *inv, enum proto p,
						  uint16_t port)
{
	for (size_t i = 0; i < inv->n_services; i++) {
		const struct inventory_service *svc = &inv->services[i];
		for (size_t j = 0; j < svc->n_runs[p]; j++)
			if (svc->runs[p][j].lo <= port && port <= svc->runs[p][j].hi)
				return svc;
	}
	return NULL;
}

/* How to reserve inventory ports inside the range, when the policy lets --fix do it. */
static const char *reserve_hint(const struct eval *e)
{
	return e->inv->policy.reserve == RESERVE_NONE ? NULL : "portaudit --fix";
}

/* ---- per-service rules ----------------------------------------------------------- */

static int check_overlap(struct eval *e, const struct inventory_service *svc, enum proto p,
			 const struct portset *ports)
{
	const struct snapshot_kernel *k = &e->snap->kernel;
	struct portset hit;
	struct finding *f;
	char list[96];
	int err = 0;

	portset_copy(&hit, ports);
	portset_intersect(&hit, &e->ix->range);
	portset_subtract(&hit, &k->reserved);
	if (portset_is_empty(&hit))
		return 0;
	f = finding_new(e, FINDING_EPHEMERAL_OVERLAP,
			svc->reserve ? SEVERITY_ERROR : SEVERITY_INFO, svc->name, p, &hit);
	if (!f)
		return -ENOMEM;
	ports_text(&hit, list, sizeof(list));
	f->message = fmt(&err, "%s %s inside the ephemeral port range %u-%u and not reserved: a client on this host can take %s as its source port",
			 list, portset_count(&hit) > 1 ? "are" : "is", k->range_lo, k->range_hi,
			 portset_count(&hit) > 1 ? "them" : "it");
	if (err)
		return err;
	if (!svc->reserve)
		f->remediation = fmt(&err, "accepted risk (reserve: false): reserve %s or move %s out of %u-%u to remove it",
				     list, svc->name, k->range_lo, k->range_hi);
	else if (reserve_hint(e))
		f->remediation = fmt(&err, "reserve %s now and at every boot: portaudit --fix", list);
	else
		f->remediation = fmt(&err, "policy.reserve is none, so portaudit --fix leaves it: add %s to net.ipv4.ip_local_reserved_ports in a sysctl.d file, or move %s out of %u-%u",
				     list, svc->name, k->range_lo, k->range_hi);
	if (err)
		return err;
	if ((err = ev_kernel_range(e, f)) < 0 || (err = ev_kernel_reserved(e, f)) < 0)
		return err;
	return ev_inventory(e, f, svc);
}


/* Every assignment that contains one of ports, as evidence. */
static int ev_assignments_with(struct eval *e, struct finding *f, const struct portset *ports)
{
	const struct sysctld *c = &e->snap->sysctld;

	for (size_t i = 0; i < c->n_assignments; i++) {
		const struct sysctld_assignment *a = &c->assignments[i];
		struct portset set;
		int r;

		if (!a->value || !sysctld_key_matches(a->key, a->glob, RESERVED_KEY) ||
		    portset_parse(a->value, strlen(a->value), &set, NULL) < 0)
			continue;
		portset_intersect(&set, ports);
		if (portset_is_empty(&set))
			continue;
		r = ev_assignment(e, f, a, "overridden later");
		if (r < 0)
			return r;
	}
	return 0;
}

/* The file and line that decide tool's value at boot ("the kernel default" when none). */
static char *boot_winner(int *err, const struct snapshot *snap, enum sysctld_tool tool)
{
	const struct sysctld_boot *b = &snap->boot[tool];
	const struct sysctld_assignment *a = b->reserved_rejected ?: b->reserved_from;

	if (!a)
		return fmt(err, "the kernel default");
	return fmt(err, "%s:%u", snap->sysctld.files[a->file].shown, a->line);
}

static int check_config(struct eval *e, const struct inventory_service *svc, enum proto p,
			const struct portset *ports, struct portset *ret_overridden)
{
	const struct snapshot *snap = e->snap;
	struct portset want, hit;
	char list[96];
	int err = 0;

	portset_copy(&want, ports);
	portset_clear(ret_overridden);
	if (!svc->reserve)
		return 0;
	portset_intersect(&want, &e->ix->boot_range);

	/* systemd-sysctl: an assignment has the ports, the value at boot does not. */
	portset_copy(&hit, &want);
	portset_intersect(&hit, &e->ix->assigned_sd);
	portset_subtract(&hit, &snap->boot[SYSCTLD_SYSTEMD].reserved);
	if (!portset_is_empty(&hit)) {
		_cleanup_free_ char *winner = boot_winner(&err, snap, SYSCTLD_SYSTEMD);
		const struct sysctld_boot *b = &snap->boot[SYSCTLD_SYSTEMD];
		struct finding *f;

		if (err)
			return err;
		f = finding_new(e, FINDING_CONFIG_OVERRIDDEN, SEVERITY_ERROR, svc->name, p, &hit);
		if (!f)
			return -ENOMEM;
		ports_text(&hit, list, sizeof(list));
		portset_copy(ret_overridden, &hit);
		if (b->reserved_rejected)
			f->message = fmt(&err, "sysctl.d reserves %s, but the last value systemd-sysctl writes, at %s, is one the kernel refuses, so %s will not be reserved at the next boot",
					 list, winner, list);
		else
			f->message = fmt(&err, "sysctl.d reserves %s, but %s assigns net.ipv4.ip_local_reserved_ports later without %s, so systemd-sysctl leaves %s unreserved at the next boot",
					 list, winner, portset_count(&hit) > 1 ? "them" : "it", list);
		if (err)
			return err;
		if (b->reserved_rejected)
			f->remediation = fmt(&err, "correct the value at %s, or run portaudit --fix, whose fragment sorts last",
					     winner);
		else
			f->remediation = fmt(&err, "add %s to the assignment at %s or remove it; portaudit --fix writes a fragment that sorts after it",
					     list, winner);
		if (err)
			return err;
		if ((err = ev_boot(e, f, SYSCTLD_SYSTEMD)) < 0 ||
		    (err = ev_rejected(e, f, SYSCTLD_SYSTEMD)) < 0 ||
		    (err = ev_assignments_with(e, f, &hit)) < 0)
			return err;
		if ((err = ev_inventory(e, f, svc)) < 0)
			return err;
	}

	/* procps "sysctl --system": systemd-sysctl keeps them, procps would not. */
	portset_copy(&hit, &want);
	portset_intersect(&hit, &e->ix->assigned_any);
	portset_intersect(&hit, &snap->boot[SYSCTLD_SYSTEMD].reserved);
	portset_subtract(&hit, &snap->boot[SYSCTLD_PROCPS].reserved);
	if (!portset_is_empty(&hit)) {
		_cleanup_free_ char *winner = boot_winner(&err, snap, SYSCTLD_PROCPS);
		struct finding *f;

		if (err)
			return err;
		f = finding_new(e, FINDING_CONFIG_OVERRIDDEN, SEVERITY_WARNING, svc->name, p, &hit);
		if (!f)
			return -ENOMEM;
		ports_text(&hit, list, sizeof(list));
		f->message = fmt(&err, "systemd-sysctl reserves %s at boot, but \"sysctl --system\" (procps) would drop %s: %s is applied last",
				 list, portset_count(&hit) > 1 ? "them" : "it", winner);
		if (err)
			return err;
		f->remediation = fmt(&err, "add %s to the assignment at %s, or remove that assignment (procps applies /etc/sysctl.conf after every sysctl.d file)",
				     list, winner);
		if (err)
			return err;
		if ((err = ev_boot(e, f, SYSCTLD_PROCPS)) < 0 ||
		    (err = ev_rejected(e, f, SYSCTLD_PROCPS)) < 0 ||
		    (err = ev_boot(e, f, SYSCTLD_SYSTEMD)) < 0 ||
		    (err = ev_assignments_with(e, f, &hit)) < 0)
			return err;
		if ((err = ev_inventory(e, f, svc)) < 0)
			return err;
	}
	return 0;
}

static int check_persistent(struct eval *e, const struct inventory_service *svc, enum proto p,
			    const struct portset *ports, const struct portset *overridden)
{
	const struct snapshot *snap = e->snap;
	struct portset hit;
	struct finding *f;
	char list[96];
	int err = 0;

	portset_copy(&hit, ports);
	if (!svc->reserve)
		return 0;
	portset_intersect(&hit, &e->ix->boot_range);
	portset_intersect(&hit, &snap->kernel.reserved);
	portset_subtract(&hit, &snap->boot[SYSCTLD_SYSTEMD].reserved);
	portset_subtract(&hit, overridden);
	if (portset_is_empty(&hit))
		return 0;
	f = finding_new(e, FINDING_NOT_PERSISTENT, SEVERITY_WARNING, svc->name, p, &hit);
	if (!f)
		return -ENOMEM;
	ports_text(&hit, list, sizeof(list));
	f->message = fmt(&err, "%s %s reserved now, but no sysctl.d file reserves %s: the reservation is lost at the next boot",
			 list, portset_count(&hit) > 1 ? "are" : "is",
			 portset_count(&hit) > 1 ? "them" : "it");
	if (err)
		return err;
	f->remediation = fmt(&err, "make it persistent: portaudit --fix writes /etc/sysctl.d/99-zz-portaudit.conf");
	if (err)
		return err;
	if ((err = ev_kernel_reserved(e, f)) < 0 || (err = ev_boot(e, f, SYSCTLD_SYSTEMD)) < 0)
		return err;
	return ev_inventory(e, f, svc);
}

/* The sockets that hold a port of hit without listening: TCP held, or connected UDP. */
static bool holds(const struct sockrec *s, enum proto p, const struct portset *hit)
{
	if (!portset_contains(hit, s->lport))
		return false;
	return p == PROTO_TCP || s->state != SOCKREC_CLOSE;
}

static int check_held(struct eval *e, const struct inventory_service *svc, enum proto p,
		      const struct portset *ports, struct portset *ret_held)
{
	const struct snapshot *snap = e->snap;
	const struct socklist *list = p == PROTO_TCP ? &snap->sockets.held : &snap->sockets.udp;
	const struct sockrec *first = NULL;
	const struct owner *owner;
	struct portset hit;
	size_t n = 0, shown = 0;
	struct finding *f;
	char text[96], who[96];
	const char *hint;
	int err = 0;

	portset_copy(&hit, ports);
	portset_clear(ret_held);
	if (p == PROTO_TCP) {
		portset_intersect(&hit, &e->ix->held_tcp);
		portset_subtract(&hit, &e->ix->listen_tcp);
	} else {
		portset_intersect(&hit, &e->ix->conn_udp);
		portset_subtract(&hit, &e->ix->unconn_udp);
	}
	if (portset_is_empty(&hit))
		return 0;
	portset_copy(ret_held, &hit);
	f = finding_new(e, FINDING_PORT_HELD, SEVERITY_ERROR, svc->name, p, &hit);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < list->n; i++) {
		const struct sockrec *s = &list->v[i];

		if (!holds(s, p, &hit))
			continue;
		/* Name the holder with a process first: it is the one to stop. */
		if (!first || (!owner_of(snap, first) && owner_of(snap, s)))
			first = s;
		n++;
		if (shown < POLICY_EVIDENCE_SOCKETS) {
			shown++;
			if ((err = ev_socket(e, f, s)) < 0)
				return err;
		}
	}
	ports_text(&hit, text, sizeof(text));
	f->message = fmt(&err, "%s %s held by %zu socket%s that %s not listening, and nothing listens on %s: %s cannot bind %s",
			 text, portset_count(&hit) > 1 ? "are" : "is", n, n == 1 ? "" : "s",
			 n == 1 ? "is" : "are", portset_count(&hit) > 1 ? "them" : "it", svc->name,
			 portset_count(&hit) > 1 ? "them" : "it");
	if (err)
		return err;
	hint = reserve_hint(e);
	{
		struct portset unreserved;

		portset_copy(&unreserved, &hit);
		portset_intersect(&unreserved, &e->ix->range);
		portset_subtract(&unreserved, &snap->kernel.reserved);
		if (portset_is_empty(&unreserved))
			hint = NULL;
	}
	/* hit holds only ports some socket of list holds. */
	assert(first);
	holder_text(snap, first, who, sizeof(who));
	owner = owner_of(snap, first);
	if (owner && owner->pid != 1)
		f->remediation = fmt(&err, "stop %s, which holds %u as a client port%s, then start %s%s%s",
				     who, first->lport, n > 1 ? " (and the other holders above)" : "",
				     svc->unit ? svc->unit : svc->name,
				     hint ? "; reserve it so it cannot happen again: " : "",
				     hint ? hint : "");
	else if (first->state == SOCKREC_TIME_WAIT && n == 1)
		f->remediation = fmt(&err, "wait for the TIME_WAIT socket on %u to expire (60 s) or let %s bind with SO_REUSEADDR%s%s",
				     first->lport, svc->name,
				     hint ? "; reserve it so it cannot happen again: " : "",
				     hint ? hint : "");
	else
		f->remediation = fmt(&err, "find and stop the holders of %s (ss -tanp 'sport = :%u' as root), then start %s%s%s",
				     text, first->lport,
				     svc->unit ? svc->unit : svc->name,
				     hint ? "; reserve it so it cannot happen again: " : "",
				     hint ? hint : "");
	if (err)
		return err;
	return ev_inventory(e, f, svc);
}

static int check_listening(struct eval *e, const struct inventory_service *svc, enum proto p,
			   const struct portset *ports, const struct portset *held)
{
	struct portset hit;
	struct finding *f;
	char list[96];
	int err = 0;

	portset_copy(&hit, ports);
	portset_subtract(&hit, p == PROTO_TCP ? &e->ix->bound_tcp : &e->ix->unconn_udp);
	portset_subtract(&hit, &e->ix->units[p]);
	portset_subtract(&hit, held);
	if (portset_is_empty(&hit))
		return 0;
	f = finding_new(e, FINDING_NOT_LISTENING, SEVERITY_INFO, svc->name, p, &hit);
	if (!f)
		return -ENOMEM;
	ports_text(&hit, list, sizeof(list));
	f->message = fmt(&err, "nothing listens on %s/%s and no socket unit does", proto_to_string(p),
			 list);
	if (err)
		return err;
	f->remediation = fmt(&err, "start %s, or remove %s from the inventory if this host no longer serves %s",
			     svc->unit ? svc->unit : svc->name, list,
			     portset_count(&hit) > 1 ? "them" : "it");
	if (err)
		return err;
	return ev_inventory(e, f, svc);
}

/* systemd unit names: "mysql" means "mysql.service". */
static bool unit_matches(const char *actual, const char *expected)
{
	size_t el = strlen(expected), stem;

	if (!actual)
		return false;
	if (!strchr(expected, '.'))
		return strncmp(actual, expected, el) == 0 && strcmp(actual + el, ".service") == 0;
	if (strcmp(actual, expected) == 0)
		return true;
	/* A socket unit's service: foo.socket starts foo.service, or foo@N.service (Accept=yes). */
	if (el > 7 && strcmp(expected + el - 7, ".socket") == 0) {
		stem = el - 7;
		return strncmp(actual, expected, stem) == 0 &&
		       (strcmp(actual + stem, ".service") == 0 || actual[stem] == '@');
	}
	return false;
}

/* Whether a socket unit that matches expected lists proto/port. */
static bool unit_listens(const struct units *u, const char *expected, enum proto p, uint16_t port)
{
	for (size_t i = 0; i < u->n; i++) {
		const struct socket_unit *su = &u->v[i];
		size_t nl = strlen(su->name);
		bool name_ok = strcmp(su->name, expected) == 0;

		/* "mysql" or "mysql.service" is served by mysql.socket too. */
		if (!name_ok && nl > 7) {
			size_t stem = nl - 7;
			name_ok = strncmp(expected, su->name, stem) == 0 &&
				  (expected[stem] == '\0' || strcmp(expected + stem, ".service") == 0);
		}
		if (!name_ok)
			continue;
		for (size_t j = 0; j < su->n_listen; j++)
			if (su->listen[j].inet && su->listen[j].proto == (int)p &&
			    su->listen[j].port == port)
				return true;
	}
	return false;
}

/* 1: a holder matches; 0: none does; -1: unknown (no holder found, or only PID 1 and no unit). */
static int owner_matches(const struct eval *e, const struct inventory_service *svc, enum proto p,
			 const struct sockrec *s)
{
	const struct owners *o = &e->snap->owners;
	bool any = false, only_init = true;

	if (!e->snap->owners_resolved || s->inode == 0)
		return -1;
	for (size_t i = 0; i < o->n; i++) {
		const struct owner *w = &o->v[i];
		if (w->inode != s->inode)
			continue;
		any = true;
		if (w->pid == 1)
			continue;
		only_init = false;
		if ((!svc->process || strcmp(w->comm, svc->process) == 0) &&
		    (!svc->unit || unit_matches(w->unit, svc->unit)))
			return 1;
	}
	if (!any)
		return -1;
	if (only_init) {
		/* Held by systemd alone: a socket unit's, before its service runs. */
		if (!svc->unit)
			return -1;
		return unit_listens(&e->snap->units, svc->unit, p, s->lport) ? 1 : 0;
	}
	return 0;
}

/* Whether s listens on one of ports of svc/p, and none of its known holders is the expected one. */
static bool served_unexpectedly(const struct eval *e, const struct inventory_service *svc,
				enum proto p, const struct portset *ports, const struct sockrec *s)
{
	return s->state == (p == PROTO_TCP ? SOCKREC_LISTEN : SOCKREC_CLOSE) &&
	       portset_contains(ports, s->lport) && owner_matches(e, svc, p, s) == 0;
}

static int check_owner(struct eval *e, const struct inventory_service *svc, enum proto p,
		       const struct portset *ports)
{
	const struct snapshot *snap = e->snap;
	const struct socklist *list = p == PROTO_TCP ? &snap->sockets.listeners : &snap->sockets.udp;
	struct finding *f = NULL;
	struct portset hit;
	const struct sockrec *first = NULL;
	size_t shown = 0;
	char who[96], want[160], text[96];
	int err = 0;

	if (!svc->process && !svc->unit)
		return 0;
	portset_clear(&hit);
	for (size_t i = 0; i < list->n; i++) {
		const struct sockrec *s = &list->v[i];

		if (!served_unexpectedly(e, svc, p, ports, s))
			continue;
		portset_add(&hit, s->lport);
		if (!first)
			first = s;
	}
	if (!first)
		return 0;
	f = finding_new(e, FINDING_UNEXPECTED_OWNER, SEVERITY_WARNING, svc->name, p, &hit);
	if (!f)
		return -ENOMEM;
	for (const struct sockrec *s = first;
	     s < list->v + list->n && shown < POLICY_EVIDENCE_SOCKETS; s++) {
		if (!served_unexpectedly(e, svc, p, ports, s))
			continue;
		shown++;
		if ((err = ev_socket(e, f, s)) < 0)
			return err;
	}
	if (svc->process && svc->unit)
		snprintf(want, sizeof(want), "process %s in %s", svc->process, svc->unit);
	else if (svc->process)
		snprintf(want, sizeof(want), "process %s", svc->process);
	else
		snprintf(want, sizeof(want), "unit %s", svc->unit);
	{
		const struct owner *o = owner_of(snap, first);

		if (o && o->pid != 1)
			snprintf(who, sizeof(who), "pid %d (%s%s%s)", (int)o->pid, o->comm,
				 o->unit ? ", " : "", o->unit ? o->unit : "");
		else
			snprintf(who, sizeof(who), "systemd (PID 1) for a socket unit that is not %s",
				 svc->unit ? svc->unit : "?");
	}
	ports_text(&hit, text, sizeof(text));
	f->message = fmt(&err, "%s/%s is served by %s, not by the expected %s",
			 proto_to_string(p), text, who, want);
	if (err)
		return err;
	f->remediation = fmt(&err, "check what listens on %s: stop it and start %s, or correct process:/unit: of %s in the inventory",
			     text, svc->unit ? svc->unit : svc->process, svc->name);
	if (err)
		return err;
	return ev_inventory(e, f, svc);
}

static int check_service(struct eval *e, const struct inventory_service *svc)
{
	for (int p = 0; p < _PROTO_MAX; p++) {
		struct portset ports, overridden, held;
		int r;

		if (svc->n_runs[p] == 0)
			continue;
		inventory_service_ports(svc, (enum proto)p, &ports);
		if ((r = check_overlap(e, svc, p, &ports)) < 0 ||
		    (r = check_config(e, svc, p, &ports, &overridden)) < 0 ||
		    (r = check_persistent(e, svc, p, &ports, &overridden)) < 0)
			return r;
		if (!e->snap->have_sockets)
			continue;
		if ((r = check_held(e, svc, p, &ports, &held)) < 0 ||
		    (r = check_listening(e, svc, p, &ports, &held)) < 0 ||
		    (r = check_owner(e, svc, p, &ports)) < 0)
			return r;
	}
	return 0;
}

/* ---- host rules ------------------------------------------------------------------ */

static int check_self_connect(struct eval *e)
{
	const struct socklist *held = &e->snap->sockets.held;

	for (size_t i = 0; i < held->n; i++) {
		const struct sockrec *s = &held->v[i];
		const struct inventory_service *svc;
		struct finding *f = NULL;
		struct portset one;
		bool in_range, reserved;
		char who[96], tuple[SOCKREC_FORMAT_MAX];
		const char *hint;
		int err = 0;

		if (!sockrec_is_self_connected(s))
			continue;
		svc = service_of(e->inv, PROTO_TCP, s->lport);
		/* One finding per service (or none) and port: later sockets join it. */
		for (size_t j = 0; j < e->out->n; j++) {
			struct finding *g = &e->out->v[j];
			if (g->id == FINDING_SELF_CONNECT && g->port == s->lport &&
			    g->service == (svc ? svc->name : NULL))
				f = g;
		}
		if (f) {
			if (f->n_evidence < POLICY_EVIDENCE_SOCKETS && (err = ev_socket(e, f, s)) < 0)
				return err;
			continue;
		}
		portset_clear(&one);
		portset_add(&one, s->lport);
		f = finding_new(e, FINDING_SELF_CONNECT, SEVERITY_ERROR, svc ? svc->name : NULL,
				PROTO_TCP, &one);
		if (!f)
			return -ENOMEM;
		if ((err = ev_socket(e, f, s)) < 0)
			return err;
		holder_text(e->snap, s, who, sizeof(who));
		sockrec_format_local(s, tuple, sizeof(tuple));
		f->message = fmt(&err, "a TCP socket is connected to itself on %s (%s)%s%s%s", tuple,
				 sockrec_state_to_string(s), svc ? ": " : "",
				 svc ? svc->name : "", svc ? " cannot bind it" : "");
		if (err)
			return err;
		in_range = portset_contains(&e->ix->range, s->lport);
		reserved = portset_contains(&e->snap->kernel.reserved, s->lport);
		hint = in_range && !reserved ? (svc ? reserve_hint(e) : NULL) : NULL;
		if (s->state == SOCKREC_TIME_WAIT)
			f->remediation = fmt(&err, "the connection is closing (TIME_WAIT, 60 s); %s",
					     in_range && !reserved
						     ? "reserve the port so that clients cannot pick it again"
						     : "the client chose the port itself (bind before connect): change the client");
		else if (in_range && !reserved)
			f->remediation = fmt(&err, "stop %s, which connected to itself while nothing listened on %u; then reserve %u so that clients cannot pick it%s%s",
					     who, s->lport, s->lport, hint ? ": " : "",
					     hint ? hint : " (add it to the inventory, then portaudit --fix)");
		else
			f->remediation = fmt(&err, "stop %s, which connected to itself on %u; the port is %s, so the client chose it itself (bind before connect): a reservation cannot prevent that, change the client",
					     who, s->lport,
					     in_range ? "reserved" : "outside the ephemeral range");
		if (err)
			return err;
		if (svc && (err = ev_inventory(e, f, svc)) < 0)
			return err;
	}
	return 0;
}

struct candidate {
	uint16_t port;
	uint8_t proto;
	const struct sockrec *sock;       /* or */
	const struct socket_unit *unit;
	const struct unit_listen *listen;
	size_t order; /* sockets before units, each in snapshot order */
};

static int cmp_port(const struct candidate *x, const struct candidate *y)
{
	if (x->proto != y->proto)
		return x->proto - y->proto;
	return (int)x->port - (int)y->port;
}

static int cmp_candidate(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return cmp_port(x, y) ?: (x->order > y->order) - (x->order < y->order);
}

/* A port inside the live range, not reserved, and in no service for protocol p. */
static bool unlisted(const struct inventory *inv, const struct snapshot *snap, enum proto p,
		     uint16_t port)
{
	return port >= snap->kernel.range_lo && port <= snap->kernel.range_hi &&
	       !portset_contains(&snap->kernel.reserved, port) &&
	       !portset_contains(&inv->ports[p], port);
}

static int check_unlisted(struct eval *e)
{
	static const enum severity sev[] = {
		[LEVEL_INFO] = SEVERITY_INFO,
		[LEVEL_WARNING] = SEVERITY_WARNING,
		[LEVEL_ERROR] = SEVERITY_ERROR,
	};
	const struct snapshot *snap = e->snap;
	enum inventory_level level = e->inv->policy.unlisted_listeners;
	_cleanup_free_ struct candidate *c = NULL;
	size_t n = 0, max = snap->sockets.listeners.n;

	if (level == LEVEL_IGNORE || (unsigned)level >= _LEVEL_MAX)
		return 0;
	for (size_t i = 0; i < snap->units.n; i++)
		max += snap->units.v[i].n_listen;
	c = reallocarray(NULL, max ? max : 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < snap->sockets.listeners.n; i++) {
		const struct sockrec *s = &snap->sockets.listeners.v[i];
		if (s->state == SOCKREC_LISTEN && unlisted(e->inv, snap, PROTO_TCP, s->lport))
			c[n] = (struct candidate){ .port = s->lport, .proto = PROTO_TCP, .sock = s,
						   .order = n },
			n++;
	}
	for (size_t i = 0; i < snap->units.n; i++) {
		const struct socket_unit *u = &snap->units.v[i];
		for (size_t j = 0; j < u->n_listen; j++) {
			const struct unit_listen *l = &u->listen[j];
			if (l->inet && (unsigned)l->proto < _PROTO_MAX && unlisted(e->inv, snap, l->proto, l->port))
				c[n] = (struct candidate){ .port = l->port, .proto = l->proto,
							   .unit = u, .listen = l, .order = n },
				n++;
		}
	}
	if (n > 1)
		qsort(c, n, sizeof(*c), cmp_candidate);
	for (size_t i = 0; i < n;) {
		size_t end = i;
		struct portset one;
		struct finding *f;
		char who[96];
		int err = 0;

		while (end < n && cmp_port(&c[i], &c[end]) == 0)
			end++;
		portset_clear(&one);
		portset_add(&one, c[i].port);
		f = finding_new(e, FINDING_UNLISTED_LISTENER, sev[level], NULL, c[i].proto, &one);
		if (!f)
			return -ENOMEM;
		for (size_t j = i; j < end && j - i < POLICY_EVIDENCE_SOCKETS; j++) {
			err = c[j].sock ? ev_socket(e, f, c[j].sock)
					: ev_unit(e, f, c[j].unit, c[j].listen);
			if (err < 0)
				return err;
		}
		if (c[i].sock)
			holder_text(snap, c[i].sock, who, sizeof(who));
		else
			snprintf(who, sizeof(who), "socket unit %s", c[i].unit->name);
		f->message = fmt(&err, "%s listens on %s/%u, inside the ephemeral range %u-%u, and the port is neither in the inventory nor reserved",
				 who, proto_to_string(c[i].proto), c[i].port, snap->kernel.range_lo,
				 snap->kernel.range_hi);
		if (err)
			return err;
		f->remediation = fmt(&err, "add %u/%s to the inventory (portaudit --print-inventory shows what this host serves) and run portaudit --fix, or move the listener out of %u-%u",
				     c[i].port, proto_to_string(c[i].proto), snap->kernel.range_lo,
				     snap->kernel.range_hi);
		if (err)
			return err;
		i = end;
	}
	return 0;
}

static int check_pool(struct eval *e)
{
	const struct snapshot_kernel *k = &e->snap->kernel;
	unsigned size = (unsigned)k->range_hi - k->range_lo + 1;
	unsigned reserved = portset_count_range(&k->reserved, k->range_lo, k->range_hi);
	unsigned left = size - reserved, min = e->inv->policy.min_ephemeral_ports;
	struct finding *f;
	int err = 0;

	if (min == 0 || left >= min)
		return 0;
	f = finding_new(e, FINDING_EPHEMERAL_POOL_SMALL, SEVERITY_WARNING, NULL, -1, NULL);
	if (!f)
		return -ENOMEM;
	f->message = fmt(&err, "only %u ephemeral ports are left for clients (%u in %u-%u, %u of them reserved), fewer than min_ephemeral_ports %u",
			 left, size, k->range_lo, k->range_hi, reserved, min);
	if (err)
		return err;
	f->remediation = fmt(&err, "widen net.ipv4.ip_local_port_range or reserve fewer ports inside it, or lower policy.min_ephemeral_ports");
	if (err)
		return err;
	if ((err = ev_kernel_range(e, f)) < 0)
		return err;
	return ev_kernel_reserved(e, f);
}

static int check_parity(struct eval *e)
{
	const struct snapshot_kernel *k = &e->snap->kernel;
	struct finding *f;
	int err = 0;

	if ((k->range_lo & 1) != (k->range_hi & 1))
		return 0;
	f = finding_new(e, FINDING_RANGE_PARITY, SEVERITY_INFO, NULL, -1, NULL);
	if (!f)
		return -ENOMEM;
	f->message = fmt(&err, "both ends of the ephemeral range %u-%u are %s; the kernel documentation advises one even and one odd, so that connect() and bind() search different halves",
			 k->range_lo, k->range_hi, k->range_lo & 1 ? "odd" : "even");
	if (err)
		return err;
	f->remediation = fmt(&err, "set net.ipv4.ip_local_port_range to \"%u %u\"", k->range_lo,
			     k->range_hi > k->range_lo ? k->range_hi - 1u : k->range_hi + 1u);
	if (err)
		return err;
	return ev_kernel_range(e, f);
}

int policy_evaluate(const struct inventory *inv, const struct snapshot *snap,
		    struct findings *ret)
{
	_cleanup_free_ struct port_index *ix = malloc(sizeof(*ix));
	struct findings out = { 0 };
	struct eval e = { .inv = inv, .snap = snap, .out = &out };
	int r = 0;

	if (!ix)
		return -ENOMEM;
	index_build(snap, ix);
	e.ix = ix;
	e.sock_source = sockets_backend_to_string(snap->sockets.backend);
	for (size_t i = 0; r >= 0 && i < inv->n_services; i++)
		r = check_service(&e, &inv->services[i]);
	if (r >= 0 && snap->have_sockets)
		r = check_self_connect(&e);
	if (r >= 0 && snap->have_sockets)
		r = check_unlisted(&e);
	if (r >= 0)
		r = check_pool(&e);
	if (r >= 0)
		r = check_parity(&e);
	if (r < 0) {
		findings_done(&out);
		return r;
	}
	findings_sort(&out);
	*ret = out;
	return 0;
}

/* ---- owners wanted --------------------------------------------------------------- */

struct inode_list {
	uint64_t *v;
	size_t n, cap;
};

static int inode_add(struct inode_list *l, uint64_t inode)
{
	if (inode == 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		uint64_t *v = reallocarray(l->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = inode;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void inode_finish(struct inode_list *l, uint64_t **ret, size_t *ret_n)
{
	size_t n = 0;

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
	for (size_t i = 0; i < l->n; i++)
		if (n == 0 || l->v[n - 1] != l->v[i])
			l->v[n++] = l->v[i];
	*ret = l->v;
	*ret_n = n;
}

int policy_owner_inodes(const struct inventory *inv, const struct snapshot *snap, uint64_t **ret,
			size_t *ret_n)
{
	const struct sockets *so = &snap->sockets;
	struct inode_list l = { 0 };
	struct portset expect[_PROTO_MAX];
	int r = 0;

	/* Ports of services that name the process or unit expected to listen. */
	for (int p = 0; p < _PROTO_MAX; p++) {
		portset_clear(&expect[p]);
		for (size_t i = 0; i < inv->n_services; i++) {
			struct portset ports;
			if (!inv->services[i].process && !inv->services[i].unit)
				continue;
			inventory_service_ports(&inv->services[i], (enum proto)p, &ports);
			portset_union(&expect[p], &ports);
		}
	}
	for (size_t i = 0; r >= 0 && i < so->held.n; i++)
		if (portset_contains(&inv->ports[PROTO_TCP], so->held.v[i].lport) ||
		    sockrec_is_self_connected(&so->held.v[i]))
			r = inode_add(&l, so->held.v[i].inode);
	for (size_t i = 0; r >= 0 && i < so->listeners.n; i++) {
		const struct sockrec *s = &so->listeners.v[i];
		if (portset_contains(&expect[PROTO_TCP], s->lport) ||
		    (s->state == SOCKREC_LISTEN && inv->policy.unlisted_listeners != LEVEL_IGNORE &&
		     unlisted(inv, snap, PROTO_TCP, s->lport)))
			r = inode_add(&l, s->inode);
	}
	for (size_t i = 0; r >= 0 && i < so->udp.n; i++) {
		const struct sockrec *s = &so->udp.v[i];
		if (portset_contains(s->state == SOCKREC_CLOSE ? &expect[PROTO_UDP]
							       : &inv->ports[PROTO_UDP],
				     s->lport))
			r = inode_add(&l, s->inode);
	}
	if (r < 0) {
		free(l.v);
		return r;
	}
	inode_finish(&l, ret, ret_n);
	return 0;
}

/* ---- discovery ------------------------------------------------------------------- */

int policy_discovery_inodes(const struct snapshot *snap, uint64_t **ret, size_t *ret_n)
{
	const struct sockets *so = &snap->sockets;
	struct inode_list l = { 0 };
	int r = 0;

	for (size_t i = 0; r >= 0 && i < so->listeners.n; i++)
		if (so->listeners.v[i].state == SOCKREC_LISTEN)
			r = inode_add(&l, so->listeners.v[i].inode);
	for (size_t i = 0; r >= 0 && i < so->udp.n; i++)
		if (so->udp.v[i].state == SOCKREC_CLOSE)
			r = inode_add(&l, so->udp.v[i].inode);
	if (r < 0) {
		free(l.v);
		return r;
	}
	inode_finish(&l, ret, ret_n);
	return 0;
}

/* A discovered service: a name and its ports per protocol. */
struct found {
	char base[INVENTORY_NAME_MAX + 1]; /* the name before any "-2" */
	char name[INVENTORY_NAME_MAX + 1];
	char process[INVENTORY_PROCESS_MAX + 1];
	const char *unit;
	struct portset ports[_PROTO_MAX];
};

struct discovery {
	struct found *v;
	size_t n;
	struct portset claimed[_PROTO_MAX];
};

/* Keep the characters a service name may hold (inventory.c's rule); others become '-'. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._@:+-", *s)))
			*s = '-';
}

static struct found *found_get(struct discovery *d, const char *name, const char *process,
			       const char *unit)
{
	char clean[INVENTORY_NAME_MAX + 1];
	struct found *v;

	snprintf(clean, sizeof(clean), "%s", name);
	sanitize(clean);
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].base, clean) == 0 &&
		    strcmp(d->v[i].process, process ? process : "") == 0 &&
		    (d->v[i].unit == unit || (d->v[i].unit && unit && !strcmp(d->v[i].unit, unit))))
			return &d->v[i];
	v = reallocarray(d->v, d->n + 1, sizeof(*v));
	if (!v)
		return NULL;
	d->v = v;
	v = &v[d->n];
	memset(v, 0, sizeof(*v));
	snprintf(v->base, sizeof(v->base), "%s", clean);
	snprintf(v->name, sizeof(v->name), "%s", clean);
	/* The same comm in two units (two python3 servers) gives two services. */
	for (unsigned k = 2;; k++) {
		bool taken = false;
		for (size_t i = 0; i < d->n; i++)
			taken |= strcmp(d->v[i].name, v->name) == 0;
		if (!taken)
			break;
		snprintf(v->name, sizeof(v->name), "%.100s-%u", clean, k);
	}
	snprintf(v->process, sizeof(v->process), "%s", process ? process : "");
	v->unit = unit;
	d->n++;
	return v;
}

static int discover_socket(struct discovery *d, const struct snapshot *snap,
			   const struct sockrec *s, enum proto p)
{
	const struct owner *o = owner_of(snap, s);
	struct found *f;
	char name[32];

	if (portset_contains(&d->claimed[p], s->lport))
		return 0;
	if (o && o->pid != 1 && o->comm[0]) {
		const char *unit = o->unit && strlen(o->unit) > 8 &&
						   strcmp(o->unit + strlen(o->unit) - 8, ".service") == 0
					   ? o->unit
					   : NULL;
		f = found_get(d, o->comm, o->comm, unit);
	} else {
		snprintf(name, sizeof(name), "port-%u", s->lport);
		f = found_get(d, name, NULL, NULL);
	}
	if (!f)
		return -ENOMEM;
	portset_add(&f->ports[p], s->lport);
	portset_add(&d->claimed[p], s->lport);
	return 0;
}

/* A growing text buffer: the YAML below is built in memory, without stdio. */
struct text {
	char *s;
	size_t len, cap;
	bool oom;
};

_printf_(2, 3) static void text_add(struct text *t, const char *f, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		size_t room = t->cap - t->len;
		va_start(ap, f);
		n = vsnprintf(t->s ? t->s + t->len : NULL, room, f, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = (t->cap + (size_t)n + 1) * 2;
		char *p = realloc(t->s, cap);
		if (!p) {
			t->oom = true;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
}

/* The discovery as schema-1 YAML, parsed back by the inventory loader (which checks it). */
static int discovery_yaml(const struct discovery *d, char **ret)
{
	struct text t = { 0 };

	text_add(&t, "version: 1\nservices:\n");
	for (size_t i = 0; i < d->n; i++) {
		const struct found *s = &d->v[i];
		bool both = !portset_is_empty(&s->ports[PROTO_TCP]) &&
			    !portset_is_empty(&s->ports[PROTO_UDP]);
		bool same = both && portset_equal(&s->ports[PROTO_TCP], &s->ports[PROTO_UDP]);

		/* One entry per protocol unless both carry the same ports. */
		for (int p = 0; p < _PROTO_MAX; p++) {
			_cleanup_free_ char *list = NULL;

			if (portset_is_empty(&s->ports[p]) || (same && p == PROTO_UDP))
				continue;
			if (portset_format_alloc(&s->ports[p], &list) < 0) {
				t.oom = true;
				break;
			}
			text_add(&t, "  \"%s%s\":\n    ports: [", s->name,
				 both && !same && p == PROTO_UDP ? "-udp" : "");
			for (char *tok = list, *save = NULL; (tok = strtok_r(tok, ",", &save));
			     tok = NULL)
				text_add(&t, "%s\"%s\"", tok == list ? "" : ", ", tok);
			text_add(&t, "]\n");
			if (same)
				text_add(&t, "    protocol: [tcp, udp]\n");
			else if (p == PROTO_UDP)
				text_add(&t, "    protocol: udp\n");
			if (s->process[0])
				text_add(&t, "    process: \"%s\"\n", s->process);
			if (s->unit)
				text_add(&t, "    unit: \"%s\"\n", s->unit);
		}
	}
	if (t.oom) {
		free(t.s);
		return -ENOMEM;
	}
	*ret = t.s;
	return 0;
}

int policy_discover(const struct snapshot *snap, struct inventory *inv)
{
	struct discovery d = { 0 };
	_cleanup_free_ char *yaml = NULL;
	struct diag diag;
	int r = 0;

	/* Socket units first: their ports belong to the unit, whoever holds them now. */
	for (size_t i = 0; r >= 0 && i < snap->units.n; i++) {
		const struct socket_unit *u = &snap->units.v[i];
		char name[INVENTORY_NAME_MAX + 1];
		struct found *f = NULL;
		size_t nl = strlen(u->name);

		snprintf(name, sizeof(name), "%.*s", (int)(nl > 7 ? nl - 7 : nl), u->name);
		for (size_t j = 0; j < u->n_listen; j++) {
			const struct unit_listen *l = &u->listen[j];
			if (!l->inet || (unsigned)l->proto >= _PROTO_MAX ||
			    portset_contains(&d.claimed[l->proto], l->port))
				continue;
			if (!f && !(f = found_get(&d, name, NULL, NULL))) {
				r = -ENOMEM;
				break;
			}
			portset_add(&f->ports[l->proto], l->port);
			portset_add(&d.claimed[l->proto], l->port);
		}
	}
	for (size_t i = 0; r >= 0 && i < snap->sockets.listeners.n; i++)
		if (snap->sockets.listeners.v[i].state == SOCKREC_LISTEN)
			r = discover_socket(&d, snap, &snap->sockets.listeners.v[i], PROTO_TCP);
	/*
	 * The kernel gives clients' UDP sockets ports from the ephemeral range too:
	 * there a bound UDP socket says nothing about a server, so it is left out.
	 */
	for (size_t i = 0; r >= 0 && i < snap->sockets.udp.n; i++) {
		const struct sockrec *s = &snap->sockets.udp.v[i];
		if (s->state != SOCKREC_CLOSE ||
		    (s->lport >= snap->kernel.range_lo && s->lport <= snap->kernel.range_hi &&
		     !portset_contains(&snap->kernel.reserved, s->lport)))
			continue;
		r = discover_socket(&d, snap, s, PROTO_UDP);
	}
	if (r >= 0)
		r = discovery_yaml(&d, &yaml);
	free(d.v);
	if (r < 0)
		return r;
	diag_init(&diag, 1);
	r = inventory_parse_buffer(inv, "(discovered)", yaml, strlen(yaml), NULL, &diag);
	diag_done(&diag);
	/* Every name and port above is valid by construction: a refusal is a bug. */
	return r == -EINVAL ? -EBADMSG : r;
}
