/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portaudit/fix.h"
#include "portaudit/inventory.h"
#include "portaudit/options.h"
#include "portaudit/report.h"
#include "portaudit/services.h"
#include "portaudit/snapshot.h"
#include "portaudit/sysctl.h"

static void json_object_putp(struct json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Add value (NULL: JSON null) under key; consumes value, also on failure.  0 or -ENOMEM. */
static int add(struct json_object *obj, const char *key, struct json_object *value)
{
	if (json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

/* Add a value that must exist: NULL means its constructor ran out of memory. */
static int add_new(struct json_object *obj, const char *key, struct json_object *value)
{
	return value ? add(obj, key, value) : -ENOMEM;
}

static int add_str(struct json_object *obj, const char *key, const char *s)
{
	struct json_object *v = NULL;

	if (s && !(v = json_object_new_string(s)))
		return -ENOMEM;
	return add(obj, key, v);
}

static int add_int(struct json_object *obj, const char *key, int64_t n)
{
	return add_new(obj, key, json_object_new_int64(n));
}

static int add_bool(struct json_object *obj, const char *key, bool b)
{
	return add_new(obj, key, json_object_new_boolean(b));
}

static int append(struct json_object *arr, struct json_object *value)
{
	if (!value || json_object_array_add(arr, value) < 0) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

static int add_portset(struct json_object *obj, const char *key, const struct portset *set)
{
	_cleanup_free_ char *list = NULL;

	if (portset_format_alloc(set, &list) < 0)
		return -ENOMEM;
	return add_str(obj, key, list);
}

static struct json_object *range_new(unsigned lo, unsigned hi)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o || add_int(o, "min", lo) < 0 || add_int(o, "max", hi) < 0)
		return NULL;
	return TAKE_PTR(o);
}

static int add_kernel(struct json_object *host, const struct snapshot_kernel *k)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o || add_str(o, "source", k->source) < 0 ||
	    add_new(o, "ip_local_port_range", range_new(k->range_lo, k->range_hi)) < 0 ||
	    add_portset(o, "ip_local_reserved_ports", &k->reserved) < 0 ||
	    (k->have_unprivileged_start ?
		     add_int(o, "ip_unprivileged_port_start", k->unprivileged_start) :
		     add(o, "ip_unprivileged_port_start", NULL)) < 0)
		return -ENOMEM;
	return add(host, "kernel", TAKE_PTR(o));
}

/* Add {"file": ..., "line": N} for an assignment, or JSON null without one. */
static int add_where(struct json_object *obj, const char *key, const struct sysctld *c,
		     const struct sysctld_assignment *a)
{
	_cleanup_json_ struct json_object *o = NULL;

	if (!a)
		return add(obj, key, NULL);
	o = json_object_new_object();
	if (!o || add_str(o, "file", c->files[a->file].path) < 0 ||
	    add_int(o, "line", a->line) < 0)
		return -ENOMEM;
	return add(obj, key, TAKE_PTR(o));
}

static int add_files(struct json_object *obj, const struct sysctld *c)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_files; i++) {
		const struct sysctld_file *f = &c->files[i];
		_cleanup_json_ struct json_object *o = json_object_new_object();
		_cleanup_json_ struct json_object *sh = json_object_new_array();

		if (!o || !sh)
			return -ENOMEM;
		for (char **p = f->shadowed; p && *p; p++)
			if (append(sh, json_object_new_string(*p)) < 0)
				return -ENOMEM;
		if (add_str(o, "path", f->path) < 0 ||
		    add_bool(o, "systemd_sysctl", f->used[SYSCTLD_SYSTEMD]) < 0 ||
		    add_bool(o, "procps", f->used[SYSCTLD_PROCPS]) < 0 ||
		    add_bool(o, "masked", f->masked) < 0 ||
		    add_bool(o, "final_pass", f->final_pass) < 0 ||
		    add(o, "shadows", TAKE_PTR(sh)) < 0 ||
		    add_str(o, "error", f->error ? strerror(-f->error) : NULL) < 0 ||
		    append(arr, TAKE_PTR(o)) < 0)
			return -ENOMEM;
	}
	return add(obj, "files", TAKE_PTR(arr));
}

static struct json_object *boot_value_new(const struct sysctld_boot *b, const char *key)
{
	if (strcmp(key, SYSCTL_RESERVED_PORTS) == 0) {
		_cleanup_free_ char *list = NULL;

		if (portset_format_alloc(&b->reserved, &list) < 0)
			return NULL;
		return json_object_new_string(list);
	}
	if (strcmp(key, SYSCTL_PORT_RANGE) == 0)
		return range_new(b->range_lo, b->range_hi);
	return json_object_new_int64(b->unprivileged_start);
}

static int add_key(struct json_object *keys, const struct snapshot *s, const char *key)
{
	const struct sysctld *c = &s->sysctld;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	_cleanup_json_ struct json_object *boot = json_object_new_object();
	_cleanup_free_ char *norm = strdup(key);

	if (!o || !arr || !boot || !norm)
		return -ENOMEM;
	sysctld_normalize_key(norm);
	for (size_t i = 0; i < c->n_assignments; i++) {
		const struct sysctld_assignment *a = &c->assignments[i];
		_cleanup_json_ struct json_object *e = NULL;
		char why[512];
		const char *problem;

		if (!sysctld_key_matches(a->key, a->glob, norm))
			continue;
		problem = sysctld_value_problem(key, a->value, SYSCTLD_SYSTEMD, why, sizeof(why));
		e = json_object_new_object();
		if (!e || add_str(e, "file", c->files[a->file].path) < 0 ||
		    add_int(e, "line", a->line) < 0 || add_str(e, "key", a->key) < 0 ||
		    add_str(e, "value", a->value) < 0 ||
		    add_bool(e, "ignore_failure", a->ignore_failure) < 0 ||
		    add_bool(e, "glob", a->glob) < 0 || add_str(e, "problem", problem) < 0)
			return -ENOMEM;
		if (a->value && !problem) {
			problem = sysctld_value_problem(key, a->value, SYSCTLD_PROCPS, why,
							sizeof(why));
			if (add_str(e, "procps_problem", problem) < 0)
				return -ENOMEM;
		}
		if (append(arr, TAKE_PTR(e)) < 0)
			return -ENOMEM;
	}
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		const struct sysctld_boot *b = &s->boot[t];
		const struct sysctld_assignment *from, *rejected;
		_cleanup_json_ struct json_object *v = json_object_new_object();

		if (strcmp(key, SYSCTL_RESERVED_PORTS) == 0)
			from = b->reserved_from, rejected = b->reserved_rejected;
		else if (strcmp(key, SYSCTL_PORT_RANGE) == 0)
			from = b->range_from, rejected = b->range_rejected;
		else
			from = b->unprivileged_from, rejected = b->unprivileged_rejected;
		if (!v || add_new(v, "value", boot_value_new(b, key)) < 0 ||
		    add_where(v, "from", c, from) < 0 || add_where(v, "rejected", c, rejected) < 0 ||
		    add(boot, t == SYSCTLD_SYSTEMD ? "systemd_sysctl" : "procps", TAKE_PTR(v)) < 0)
			return -ENOMEM;
	}
	if (add(o, "assignments", TAKE_PTR(arr)) < 0 || add(o, "next_boot", TAKE_PTR(boot)) < 0)
		return -ENOMEM;
	return add(keys, key, TAKE_PTR(o));
}

/* "owners": every process found holding inode (several when shared), or []. */
static int add_owners(struct json_object *obj, const struct owners *o, uint64_t inode)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; inode && i < o->n; i++) {
		_cleanup_json_ struct json_object *e = NULL;

		if (o->v[i].inode != inode)
			continue;
		e = json_object_new_object();
		if (!e || add_int(e, "pid", o->v[i].pid) < 0 || add_str(e, "comm", o->v[i].comm) < 0 ||
		    add_str(e, "unit", o->v[i].unit) < 0 || append(arr, TAKE_PTR(e)) < 0)
			return -ENOMEM;
	}
	return add(obj, "owners", TAKE_PTR(arr));
}

static int add_socklist(struct json_object *obj, const char *key, const struct socklist *l,
			const struct snapshot *s)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		const struct sockrec *rec = &l->v[i];
		_cleanup_json_ struct json_object *e = json_object_new_object();
		char local[SOCKREC_FORMAT_MAX], remote[SOCKREC_FORMAT_MAX];

		if (!e || sockrec_format_local(rec, local, sizeof(local)) < 0 ||
		    sockrec_format_remote(rec, remote, sizeof(remote)) < 0)
			return -ENOMEM;
		if (add_str(e, "family", rec->family == AF_INET6 ? "ipv6" : "ipv4") < 0 ||
		    add_str(e, "protocol", proto_to_string(rec->proto)) < 0 ||
		    add_str(e, "state", sockrec_state_to_string(rec)) < 0 ||
		    add_str(e, "local", local) < 0 || add_int(e, "port", rec->lport) < 0 ||
		    add_str(e, "remote", remote) < 0 ||
		    (rec->v6only < 0 ? add(e, "v6only", NULL) : add_bool(e, "v6only", rec->v6only)) < 0 ||
		    add_int(e, "uid", rec->uid) < 0 || add_int(e, "inode", (int64_t)rec->inode) < 0)
			return -ENOMEM;
		if (s->owners_resolved && add_owners(e, &s->owners, rec->inode) < 0)
			return -ENOMEM;
		if (append(arr, TAKE_PTR(e)) < 0)
			return -ENOMEM;
	}
	return add(obj, key, TAKE_PTR(arr));
}

static int add_sockets(struct json_object *host, const struct snapshot *s)
{
	_cleanup_json_ struct json_object *o = NULL;

	if (!s->have_sockets)
		return add(host, "sockets", NULL);
	o = json_object_new_object();
	if (!o || add_str(o, "source", sockets_backend_to_string(s->sockets.backend)) < 0 ||
	    add_bool(o, "bound_inactive_visible", s->sockets.bound_inactive) < 0 ||
	    add_int(o, "tcp_other_seen", (int64_t)s->sockets.n_tcp_other) < 0 ||
	    add_socklist(o, "listeners", &s->sockets.listeners, s) < 0 ||
	    add_socklist(o, "udp", &s->sockets.udp, s) < 0 ||
	    add_socklist(o, "held", &s->sockets.held, s) < 0)
		return -ENOMEM;
	if (s->owners_resolved &&
	    (add_bool(o, "owners_complete", s->owners.complete) < 0 ||
	     add_int(o, "owners_denied", (int64_t)s->owners.n_denied) < 0))
		return -ENOMEM;
	return add(host, "sockets", TAKE_PTR(o));
}

static int add_units(struct json_object *host, const struct units *u)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!o || !arr || add_str(o, "transport", units_transport_to_string(u->transport)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < u->n; i++) {
		const struct socket_unit *su = &u->v[i];
		_cleanup_json_ struct json_object *e = json_object_new_object();
		_cleanup_json_ struct json_object *listen = json_object_new_array();

		if (!e || !listen)
			return -ENOMEM;
		for (size_t j = 0; j < su->n_listen; j++) {
			const struct unit_listen *l = &su->listen[j];
			_cleanup_json_ struct json_object *le = json_object_new_object();

			if (!le || add_str(le, "type", l->type) < 0 ||
			    add_str(le, "address", l->address) < 0 ||
			    add_str(le, "protocol",
				    l->inet && l->proto >= 0 ? proto_to_string(l->proto) : NULL) < 0 ||
			    (l->inet ? add_int(le, "port", l->port) : add(le, "port", NULL)) < 0 ||
			    append(listen, TAKE_PTR(le)) < 0)
				return -ENOMEM;
		}
		if (add_str(e, "name", su->name) < 0 || add_str(e, "load_state", su->load_state) < 0 ||
		    add_str(e, "active_state", su->active_state) < 0 ||
		    add_str(e, "unit_file_state", su->unit_file_state) < 0 ||
		    add_str(e, "bind_ipv6_only", su->bind_ipv6_only) < 0 ||
		    add_str(e, "fragment_path", su->fragment_path) < 0 ||
		    add(e, "listen", TAKE_PTR(listen)) < 0 || append(arr, TAKE_PTR(e)) < 0)
			return -ENOMEM;
	}
	if (add(o, "units", TAKE_PTR(arr)) < 0)
		return -ENOMEM;
	return add(host, "socket_units", TAKE_PTR(o));
}

static int add_notes(struct json_object *obj, const struct diag *d)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	char line[2048];

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->entries[i], line, sizeof(line));
		if (append(arr, json_object_new_string(line)) < 0)
			return -ENOMEM;
	}
	if (d->total > d->n) {
		snprintf(line, sizeof(line), "%zu more notes left out", d->total - d->n);
		if (append(arr, json_object_new_string(line)) < 0)
			return -ENOMEM;
	}
	return add(obj, "notes", TAKE_PTR(arr));
}

int report_json_snapshot(const struct snapshot *s, struct json_object **ret)
{
	static const char *const keys[] = {
		SYSCTL_RESERVED_PORTS,
		SYSCTL_PORT_RANGE,
		SYSCTL_UNPRIVILEGED_PORT_START,
	};
	_cleanup_json_ struct json_object *host = json_object_new_object();
	_cleanup_json_ struct json_object *sd = json_object_new_object();
	_cleanup_json_ struct json_object *sdkeys = json_object_new_object();

	if (!host || !sd || !sdkeys || add_str(host, "root", s->root) < 0 ||
	    add_bool(host, "live", s->live) < 0 || add_kernel(host, &s->kernel) < 0 ||
	    add_files(sd, &s->sysctld) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (add_key(sdkeys, s, keys[i]) < 0)
			return -ENOMEM;
	if (add(sd, "keys", TAKE_PTR(sdkeys)) < 0 || add(host, "sysctl_d", TAKE_PTR(sd)) < 0 ||
	    add_sockets(host, s) < 0 || add_units(host, &s->units) < 0 ||
	    add_notes(host, &s->notes) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(host);
	return 0;
}

static int add_evidence_socket(struct json_object *o, const struct snapshot *s,
			       const struct sockrec *rec)
{
	const struct owner *first = s->owners_resolved && rec->inode
					    ? owners_lookup(&s->owners, rec->inode)
					    : NULL;
	char local[SOCKREC_FORMAT_MAX], remote[SOCKREC_FORMAT_MAX];

	if (sockrec_format_local(rec, local, sizeof(local)) < 0 ||
	    sockrec_format_remote(rec, remote, sizeof(remote)) < 0)
		return -ENOMEM;
	if (add_str(o, "protocol", proto_to_string(rec->proto)) < 0 ||
	    add_str(o, "state", sockrec_state_to_string(rec)) < 0 ||
	    add_str(o, "local", local) < 0 || add_str(o, "remote", remote) < 0 ||
	    add_int(o, "inode", (int64_t)rec->inode) < 0 || add_int(o, "uid", rec->uid) < 0 ||
	    (first ? add_int(o, "pid", first->pid) : add(o, "pid", NULL)) < 0 ||
	    add_str(o, "comm", first ? first->comm : NULL) < 0 ||
	    add_str(o, "unit", first ? first->unit : NULL) < 0)
		return -ENOMEM;
	return add_owners(o, &s->owners, s->owners_resolved ? rec->inode : 0);
}

static const char *const evidence_kinds[_EVIDENCE_KIND_MAX] = {
	[EVIDENCE_KERNEL] = "kernel",
	[EVIDENCE_ASSIGNMENT] = "sysctl.d",
	[EVIDENCE_BOOT] = "boot",
	[EVIDENCE_SOCKET] = "socket",
	[EVIDENCE_UNIT] = "unit",
	[EVIDENCE_INVENTORY] = "inventory",
};

static struct json_object *evidence_new(const struct snapshot *s, const struct evidence *e)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	char line[1024];

	if (!o)
		return NULL;
	report_evidence_line(s, e, line, sizeof(line));
	if (add_str(o, "kind", evidence_kinds[e->kind]) < 0 || add_str(o, "text", line) < 0 ||
	    add_str(o, "source", e->source) < 0)
		return NULL;
	switch (e->kind) {
	case EVIDENCE_BOOT:
		if (add_str(o, "tool", sysctld_tool_to_string(e->tool)) < 0)
			return NULL;
		_fallthrough_;
	case EVIDENCE_KERNEL:
	case EVIDENCE_ASSIGNMENT:
		if (add_str(o, "key", e->key) < 0 || add_str(o, "value", e->value) < 0)
			return NULL;
		if (e->kind != EVIDENCE_KERNEL &&
		    (e->line ? add_int(o, "line", e->line) : add(o, "line", NULL)) < 0)
			return NULL;
		break;
	case EVIDENCE_SOCKET:
		if (add_evidence_socket(o, s, e->sock) < 0)
			return NULL;
		break;
	case EVIDENCE_UNIT:
		if (add_str(o, "unit", e->unit->name) < 0 || add_str(o, "type", e->listen->type) < 0 ||
		    add_str(o, "listen", e->listen->address) < 0)
			return NULL;
		break;
	case EVIDENCE_INVENTORY:
		if (add_int(o, "line", e->line) < 0 || add_int(o, "column", e->column) < 0)
			return NULL;
		break;
	default:
		break;
	}
	return TAKE_PTR(o);
}

static struct json_object *finding_new(const struct snapshot *s, const struct finding *f)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	_cleanup_json_ struct json_object *ev = json_object_new_array();
	char one[8];

	if (!o || !ev)
		return NULL;
	for (size_t i = 0; i < f->n_evidence; i++)
		if (append(ev, evidence_new(s, &f->evidence[i])) < 0)
			return NULL;
	snprintf(one, sizeof(one), "%u", f->port);
	if (add_str(o, "id", finding_id_to_string(f->id)) < 0 ||
	    add_str(o, "severity", severity_to_string(f->severity)) < 0 ||
	    add_str(o, "service", f->service) < 0 ||
	    (f->port ? add_int(o, "port", f->port) : add(o, "port", NULL)) < 0 ||
	    add_str(o, "ports", f->ports ? f->ports : f->port ? one : NULL) < 0 ||
	    add_str(o, "protocol", f->proto >= 0 ? proto_to_string(f->proto) : NULL) < 0 ||
	    add_str(o, "message", f->message) < 0 || add(o, "evidence", TAKE_PTR(ev)) < 0 ||
	    add_str(o, "remediation", f->remediation) < 0)
		return NULL;
	return TAKE_PTR(o);
}

static struct json_object *inventory_json_new(const struct inventory *inv)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	_cleanup_json_ struct json_object *src = json_object_new_array();

	if (!o || !src)
		return NULL;
	for (size_t i = 0; !inv->discovered && i < inv->n_sources; i++)
		if (append(src, json_object_new_string(inv->sources[i])) < 0)
			return NULL;
	if (add_bool(o, "discovered", inv->discovered) < 0 || add(o, "sources", TAKE_PTR(src)) < 0 ||
	    add_int(o, "services", (int64_t)inv->n_services) < 0 ||
	    add_str(o, "reserve", inventory_reserve_to_string(inv->policy.reserve)) < 0 ||
	    add_str(o, "unlisted_listeners",
		    inventory_level_to_string(inv->policy.unlisted_listeners)) < 0 ||
	    add_int(o, "min_ephemeral_ports", inv->policy.min_ephemeral_ports) < 0)
		return NULL;
	return TAKE_PTR(o);
}

int report_exit_status(const struct report_input *in)
{
	if (in->fix && in->fix->failed)
		return EXIT_FIX_FAILED;
	return in->findings && findings_any_at_least(in->findings, in->fail_on) ? EXIT_FINDINGS
										  : EXIT_CLEAN;
}

static const char *const fix_skip_names[_FIX_SKIP_MAX] = {
	[FIX_SKIP_NONE] = NULL,
	[FIX_SKIP_DISCOVERED] = "no-inventory",
	[FIX_SKIP_DISABLED] = "disabled",
};

static struct json_object *fix_kept_new(const struct fix_plan *p)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!arr)
		return NULL;
	for (size_t i = 0; i < p->n_kept; i++) {
		_cleanup_json_ struct json_object *o = json_object_new_object();

		if (!o || add_str(o, "source", p->kept[i].source) < 0 ||
		    add_int(o, "line", p->kept[i].line) < 0 ||
		    add_portset(o, "ports", &p->kept[i].ports) < 0 || append(arr, TAKE_PTR(o)) < 0)
			return NULL;
	}
	return TAKE_PTR(arr);
}

static struct json_object *fix_overrides_new(const struct fix_plan *p)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!arr)
		return NULL;
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		const struct fix_override *o = &p->overrides[t];
		_cleanup_json_ struct json_object *j = NULL;

		if (!p->overridden[t])
			continue;
		j = json_object_new_object();
		if (!j || add_str(j, "tool", sysctld_tool_to_string(o->tool)) < 0 ||
		    add_str(j, "source", o->source) < 0 ||
		    (o->source ? add_int(j, "line", o->line) : add(j, "line", NULL)) < 0 ||
		    add_bool(j, "refused", o->refused) < 0 || add_bool(j, "excluded", o->excluded) < 0 ||
		    add_portset(j, "ports", &o->dropped) < 0 ||
		    append(arr, TAKE_PTR(j)) < 0)
			return NULL;
	}
	return TAKE_PTR(arr);
}

static struct json_object *fix_lines_new(const struct diag *d)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	char line[2048];

	if (!arr)
		return NULL;
	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->entries[i], line, sizeof(line));
		if (append(arr, json_object_new_string(line)) < 0)
			return NULL;
	}
	return TAKE_PTR(arr);
}

/* The fix object (portaudit(8), "JSON OUTPUT"). */
static struct json_object *fix_new(const struct fix_result *res)
{
	static const struct fix_plan empty = { 0 };
	const struct fix_plan *p = res->plan ? res->plan : &empty;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	_cleanup_json_ struct json_object *live = json_object_new_object();
	bool changed = res->dry_run ? p->changed : res->written || (res->applied && p->live_changed);

	if (!o || !live)
		return NULL;
	if (add_portset(live, "before", &p->live_before) < 0 ||
	    add_portset(live, "after", &p->live_after) < 0 ||
	    add_bool(live, "changed", p->live_changed) < 0 ||
	    add_str(live, "path", res->live_shown) < 0)
		return NULL;
	if (add_bool(o, "changed", changed) < 0 || add_bool(o, "dry_run", res->dry_run) < 0 ||
	    add_bool(o, "no_apply", res->no_apply) < 0 ||
	    add_str(o, "skipped", fix_skip_names[p->skip]) < 0 ||
	    add_str(o, "fragment", res->fragment_shown) < 0 ||
	    add_bool(o, "fragment_changed", p->fragment_changed) < 0 ||
	    add_bool(o, "written", res->written) < 0 ||
	    (p->text ? add_portset(o, "reserved", &p->fragment) : add(o, "reserved", NULL)) < 0 ||
	    add_portset(o, "desired", &p->desired) < 0 ||
	    add_new(o, "kept", fix_kept_new(p)) < 0 || add(o, "live", TAKE_PTR(live)) < 0 ||
	    add_bool(o, "applied", res->applied) < 0 ||
	    add_new(o, "overridden_by", fix_overrides_new(p)) < 0 ||
	    add_new(o, "warnings", fix_lines_new(&p->warnings)) < 0 ||
	    add_new(o, "errors", fix_lines_new(&res->problems)) < 0 ||
	    add_bool(o, "failed", res->failed) < 0 || add_str(o, "diff", res->diff ? res->diff : "") < 0)
		return NULL;
	return TAKE_PTR(o);
}

int report_json_audit(const struct report_input *in, struct json_object **ret)
{
	const struct findings *fs = in->findings;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	_cleanup_json_ struct json_object *sum = json_object_new_object();
	struct json_object *host = NULL;

	if (!o || !arr || !sum)
		return -ENOMEM;
	for (size_t i = 0; i < fs->n; i++)
		if (append(arr, finding_new(in->snap, &fs->v[i])) < 0)
			return -ENOMEM;
	if (add_int(sum, "error", (int64_t)fs->count[SEVERITY_ERROR]) < 0 ||
	    add_int(sum, "warning", (int64_t)fs->count[SEVERITY_WARNING]) < 0 ||
	    add_int(sum, "info", (int64_t)fs->count[SEVERITY_INFO]) < 0 ||
	    add_int(sum, "total", (int64_t)fs->n) < 0 ||
	    add_str(sum, "fail_on", severity_to_string(in->fail_on)) < 0 ||
	    add_int(sum, "exit", report_exit_status(in)) < 0)
		return -ENOMEM;
	if (report_json_snapshot(in->snap, &host) < 0)
		return -ENOMEM;
	if (add_int(o, "version", 1) < 0 || add_str(o, "portaudit", PACKAGE_VERSION) < 0 ||
	    add(o, "host", host) < 0 || add_new(o, "inventory", inventory_json_new(in->inv)) < 0 ||
	    add(o, "findings", TAKE_PTR(arr)) < 0 || add(o, "summary", TAKE_PTR(sum)) < 0 ||
	    (in->fix && add_new(o, "fix", fix_new(in->fix)) < 0))
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

/* The length of the valid UTF-8 sequence at s (RFC 3629), or 0 when it is none. */
static size_t utf8_length(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

int report_json_print(struct json_object *obj, FILE *f)
{
	const char *text = json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	const unsigned char *p, *run;

	if (!text)
		return -EIO;
	/*
	 * JSON text is UTF-8 (RFC 8259 §8.1), but json-c copies the bytes of a string
	 * as they are: a file name or a sysctl.d value in Latin-1 made the output
	 * invalid.  Such bytes can only be inside strings (json-c writes everything
	 * else in ASCII), so each becomes the escape of U+FFFD there.
	 */
	for (p = run = (const unsigned char *)text;;) {
		size_t n = *p ? utf8_length(p) : 1;

		if (*p && n > 0) {
			p += n;
			continue;
		}
		if (fwrite(run, 1, (size_t)(p - run), f) != (size_t)(p - run))
			return -EIO;
		if (!*p)
			break;
		if (fputs("\\ufffd", f) == EOF)
			return -EIO;
		run = ++p;
	}
	if (fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}
