/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portaudit/fix.h"
#include "portaudit/inventory.h"
#include "portaudit/snapshot.h"

#define RESERVED_KEY "net/ipv4/ip_local_reserved_ports"

static const char *const port_keys[] = {
	"net/ipv4/ip_local_reserved_ports",
	"net/ipv4/ip_local_port_range",
	"net/ipv4/ip_unprivileged_port_start",
};

static const char fragment_header[] =
	"# Written by portaudit --fix from its inventory: edits are overwritten.\n"
	"# net.ipv4.ip_local_reserved_ports holds one value and the last file that\n"
	"# assigns it wins, so this file also keeps every port other sysctl.d files\n"
	"# reserve.  To stop portaudit managing it, make it a symlink to /dev/null.\n";

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void add_range(struct portset *s, uint16_t lo, uint16_t hi)
{
	if (lo <= hi)
		portset_add_range(s, lo, hi);
}

/*
 * D: what the inventory asks --fix to reserve.  boot is the next boot per tool
 * with the fragment in place: it hides any file of its name in a lower
 * directory, and such a file may set the range.
 */
static void desired_set(const struct inventory *inv, const struct snapshot *snap,
			const struct sysctld_boot *boot, struct portset *ret)
{
	struct portset range;

	portset_clear(ret);
	if (inv->policy.reserve == RESERVE_NONE)
		return;
	for (size_t i = 0; i < inv->n_services; i++) {
		const struct inventory_service *svc = &inv->services[i];

		if (!svc->reserve)
			continue;
		for (int p = 0; p < _PROTO_MAX; p++)
			for (size_t j = 0; svc->protocols[p] && j < svc->n_runs[p]; j++)
				portset_add_range(ret, svc->runs[p][j].lo, svc->runs[p][j].hi);
	}
	if (inv->policy.reserve == RESERVE_ALL)
		return;
	/* Inside the range now, or inside the one the next boot sets. */
	portset_clear(&range);
	add_range(&range, snap->kernel.range_lo, snap->kernel.range_hi);
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++)
		add_range(&range, boot[t].range_lo, boot[t].range_hi);
	portset_intersect(ret, &range);
}

/* Whether file is the fragment, or one of its name that the fragment hides. */
static bool is_fragment(const struct sysctld_file *f)
{
	return !f->final_pass && strcmp(base_name(f->path), FIX_FRAGMENT_NAME) == 0;
}

static int kept_add(struct fix_plan *p, const struct sysctld_file *f,
		    const struct sysctld_assignment *a, const struct portset *ports)
{
	struct fix_kept *k = reallocarray(p->kept, p->n_kept + 1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	p->kept = k;
	k[p->n_kept++] = (struct fix_kept){
		.source = f->shown ? f->shown : f->path,
		.line = a->line,
		.ports = *ports,
	};
	return 0;
}

/*
 * others and previous: what every other file, and the fragment itself, assign
 * to the reserved key, as the kernel reads it.
 */
static int assigned(struct fix_plan *p, const struct sysctld *c)
{
	portset_clear(&p->others);
	portset_clear(&p->previous);
	for (size_t i = 0; i < c->n_assignments; i++) {
		const struct sysctld_assignment *a = &c->assignments[i];
		const struct sysctld_file *f = &c->files[a->file];
		char why[256];
		const char *problem;
		struct portset set;
		int k;

		if (!a->value || f->masked || !(f->used[SYSCTLD_SYSTEMD] || f->used[SYSCTLD_PROCPS]) ||
		    !sysctld_key_matches(a->key, a->glob, RESERVED_KEY))
			continue;
		problem = sysctld_value_problem(RESERVED_KEY, a->value, SYSCTLD_SYSTEMD, why,
						sizeof(why));
		if (portset_parse(a->value, strlen(a->value), &set, NULL) < 0) {
			if (!is_fragment(f))
				diag_add(&p->warnings, f->shown ? f->shown : f->path, a->line, 0,
					 "net.ipv4.ip_local_reserved_ports: %s; the fragment cannot keep what it meant to reserve",
					 problem ? problem : "the kernel refuses it");
			continue;
		}
		if (is_fragment(f)) {
			if (strcmp(f->path, FIX_FRAGMENT_PATH) == 0)
				portset_union(&p->previous, &set);
			continue;
		}
		if (problem)
			diag_add(&p->warnings, f->shown ? f->shown : f->path, a->line, 0,
				 "net.ipv4.ip_local_reserved_ports: %s; the fragment keeps the ports as the kernel reads them",
				 problem);
		portset_union(&p->others, &set);
		k = kept_add(p, f, a, &set);
		if (k < 0)
			return k;
	}
	return 0;
}

int fix_fragment_text(const struct portset *set, char **ret, size_t *ret_len,
		      size_t *ret_value_len)
{
	static const char assign[] = "net.ipv4.ip_local_reserved_ports = ";
	static const char none[] = "# Nothing to reserve: no assignment, so other files decide.\n";
	size_t hlen = sizeof(fragment_header) - 1, vlen = portset_format(set, NULL, 0), len;
	char *buf, *p;

	if (portset_is_empty(set))
		len = hlen + sizeof(none) - 1;
	else
		len = hlen + sizeof(assign) - 1 + vlen + 1;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	p = mempcpy(buf, fragment_header, hlen);
	if (portset_is_empty(set))
		p = mempcpy(p, none, sizeof(none) - 1);
	else {
		p = mempcpy(p, assign, sizeof(assign) - 1);
		p += portset_format(set, p, vlen + 1);
		*p++ = '\n';
	}
	*p = '\0';
	*ret = buf;
	*ret_len = len;
	if (ret_value_len)
		*ret_value_len = portset_is_empty(set) ? 0 : vlen;
	return 0;
}

/*
 * The last "-net.ipv4.ip_local_reserved_ports" line tool reads, when it is the
 * key's last line: systemd-sysctl 252 then drops every earlier assignment.
 */
static const struct sysctld_assignment *last_exclusion(const struct sysctld *c,
						       enum sysctld_tool t)
{
	const struct sysctld_assignment *last = NULL;

	for (size_t o = 0; o < c->n_order[t]; o++) {
		const struct sysctld_file *f = &c->files[c->order[t][o]];

		for (size_t i = f->first_assignment;
		     !f->masked && i < f->first_assignment + f->n_assignments; i++)
			if (!c->assignments[i].glob &&
			    strcmp(c->assignments[i].key, RESERVED_KEY) == 0)
				last = &c->assignments[i];
	}
	return last && !last->value ? last : NULL;
}

/* Which ports of D the next boot under tool leaves unreserved, and who decides that. */
static void find_override(struct fix_plan *p, enum sysctld_tool t)
{
	const struct sysctld_boot *b = &p->boot[t];
	struct fix_override *o = &p->overrides[t];
	const struct sysctld_assignment *a = b->reserved_rejected ?: b->reserved_from;

	o->tool = t;
	o->dropped = p->desired;
	portset_subtract(&o->dropped, &b->reserved);
	p->overridden[t] = !portset_is_empty(&o->dropped);
	if (!p->overridden[t])
		return;
	o->refused = b->reserved_rejected != NULL;
	if (!a) {
		a = last_exclusion(&p->model, t);
		o->excluded = a != NULL;
	}
	if (a) {
		const struct sysctld_file *f = &p->model.files[a->file];

		o->source = f->shown ? f->shown : f->path;
		o->line = a->line;
	}
}

int fix_plan_compute(const struct inventory *inv, const struct snapshot *snap,
		     const struct fix_current *current, const char *fragment_shown,
		     struct fix_plan *ret)
{
	struct fix_plan p = { .current = current };
	struct portset gone;
	int k;

	diag_init(&p.warnings, 0);
	p.live_before = p.live_after = snap->kernel.reserved;
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++)
		p.boot[t] = snap->boot[t];
	if (inv->discovered)
		p.skip = FIX_SKIP_DISCOVERED;
	else if (current->kind == FIX_CURRENT_MASKED)
		p.skip = FIX_SKIP_DISABLED;
	if (p.skip != FIX_SKIP_NONE) {
		*ret = p;
		return 0;
	}

	/* The range at the next boot does not depend on what the fragment reserves. */
	k = sysctld_put_file(&snap->sysctld, FIX_FRAGMENT_PATH, fragment_shown, "", 0, port_keys,
			     ARRAY_SIZE(port_keys), &p.model);
	for (int t = 0; k == 0 && t < _SYSCTLD_TOOL_MAX; t++)
		k = sysctld_next_boot(&p.model, (enum sysctld_tool)t, &p.boot[t]);
	if (k < 0)
		goto fail;
	desired_set(inv, snap, p.boot, &p.desired);
	sysctld_done(&p.model);
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++)
		p.boot[t] = snap->boot[t];
	k = assigned(&p, &snap->sysctld);
	if (k < 0)
		goto fail;
	p.fragment = p.desired;
	portset_union(&p.fragment, &p.others);

	/* Only what the fragment alone reserved, and D no longer wants, is released. */
	gone = p.previous;
	portset_subtract(&gone, &p.others);
	portset_subtract(&gone, &p.desired);
	portset_subtract(&p.live_after, &gone);
	portset_union(&p.live_after, &p.desired);
	p.live_changed = !portset_equal(&p.live_before, &p.live_after);

	if (!portset_is_empty(&p.desired) || current->kind != FIX_CURRENT_ABSENT) {
		k = fix_fragment_text(&p.fragment, &p.text, &p.len, &p.value_len);
		if (k < 0)
			goto fail;
		p.fragment_changed = current->kind != FIX_CURRENT_FILE || current->len != p.len ||
				     memcmp(current->text, p.text, p.len) != 0;
		if (p.value_len > FIX_VALUE_ADVISED_MAX)
			diag_add(&p.warnings, fragment_shown, 0, 0,
				 "the value is %zu bytes: procps \"sysctl -p\" and \"sysctl --system\" write only the first 4095 bytes of it; systemd-sysctl writes it whole",
				 p.value_len);
		k = sysctld_put_file(&snap->sysctld, FIX_FRAGMENT_PATH, fragment_shown, p.text,
				     p.len, port_keys, ARRAY_SIZE(port_keys), &p.model);
		if (k < 0)
			goto fail;
		for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
			k = sysctld_next_boot(&p.model, (enum sysctld_tool)t, &p.boot[t]);
			if (k < 0)
				goto fail;
			find_override(&p, (enum sysctld_tool)t);
		}
		/* The fragment's own line wins but is cut by procps: the size advice says so. */
		if (p.overridden[SYSCTLD_PROCPS] && !p.overridden[SYSCTLD_SYSTEMD] &&
		    !(p.overrides[SYSCTLD_PROCPS].source &&
		      strcmp(p.overrides[SYSCTLD_PROCPS].source, fragment_shown) == 0)) {
			const struct fix_override *o = &p.overrides[SYSCTLD_PROCPS];
			char list[128];

			portset_format_cut(&o->dropped, list, sizeof(list));
			diag_add(&p.warnings, o->source ? o->source : fragment_shown, o->line, 0,
				 "procps \"sysctl --system\" applies this last and would leave %s unreserved, though systemd-sysctl keeps them: move the assignment into a sysctl.d file",
				 list);
		}
	}
	p.changed = p.fragment_changed || p.live_changed;
	*ret = p;
	return 0;
fail:
	fix_plan_done(&p);
	return -ENOMEM;
}

void fix_plan_done(struct fix_plan *p)
{
	free(p->kept);
	free(p->text);
	sysctld_done(&p->model);
	diag_done(&p->warnings);
	*p = (struct fix_plan){ 0 };
}

void fix_update_snapshot(struct fix_plan *p, const struct fix_result *res, struct snapshot *s)
{
	if (res->written) {
		struct sysctld tmp = s->sysctld;

		s->sysctld = p->model;
		p->model = tmp;
		for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++)
			s->boot[t] = p->boot[t];
	}
	if (res->applied)
		s->kernel.reserved = res->live_read;
}

/* A text cut into lines (each with its "\n", the last maybe without). */
struct lines {
	const char **at;
	size_t *len;
	size_t n;
};

static int split_lines(const char *s, size_t len, struct lines *ret)
{
	size_t n = 0, cap = 0;

	*ret = (struct lines){ 0 };
	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && s[j] != '\n')
			j++;
		if (j < len)
			j++;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			const char **a = reallocarray(ret->at, c, sizeof(*a));
			size_t *l;

			if (!a)
				return -ENOMEM;
			ret->at = a;
			l = reallocarray(ret->len, c, sizeof(*l));
			if (!l)
				return -ENOMEM;
			ret->len = l;
			cap = c;
		}
		ret->at[n] = s + i;
		ret->len[n] = j - i;
		n++;
		i = j;
	}
	ret->n = n;
	return 0;
}

static void lines_done(struct lines *l)
{
	free(l->at);
	free(l->len);
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *n;

		while (cap < b->len + len + 1)
			cap *= 2;
		n = realloc(b->s, cap);
		if (!n) {
			b->oom = true;
			return;
		}
		b->s = n;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_done(struct buf *b)
{
	free(b->s);
}

/* One diff line: the marker, the line, and a newline (with the usual note when it had none). */
static void diff_line(struct buf *b, char mark, const char *s, size_t len)
{
	buf_add(b, &mark, 1);
	buf_add(b, s, len);
	if (len == 0 || s[len - 1] != '\n')
		buf_str(b, "\n\\ No newline at end of file\n");
}

/* Beyond this many cells the longest common subsequence is not searched for. */
#define DIFF_LCS_MAX (4u * 1024u * 1024u)

int fix_diff(const char *a, size_t a_len, const char *b, size_t b_len, const char *label_a,
	     const char *label_b, char **ret)
{
	struct lines la = { 0 }, lb = { 0 };
	_cleanup_free_ uint32_t *lcs = NULL;
	struct buf out = { 0 };
	char hunk[96];
	size_t i = 0, j = 0, w;
	int k;

	/* NULL is no file, whatever its length says: never handed to memcmp(). */
	if (!a)
		a_len = 0;
	if (!b)
		b_len = 0;
	if (!a == !b && a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0)) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	k = split_lines(a ? a : "", a ? a_len : 0, &la);
	if (k >= 0)
		k = split_lines(b ? b : "", b ? b_len : 0, &lb);
	if (k < 0)
		goto done;

	/* lcs[i][j]: the longest common subsequence of la[i..] and lb[j..]. */
	w = lb.n + 1;
	if ((la.n + 1) * w <= DIFF_LCS_MAX) {
		lcs = calloc((la.n + 1) * w, sizeof(*lcs));
		k = -ENOMEM;
		if (!lcs)
			goto done;
		for (size_t x = la.n; x-- > 0;)
			for (size_t y = lb.n; y-- > 0;)
				lcs[x * w + y] = line_eq(&la, x, &lb, y) ?
							 lcs[(x + 1) * w + y + 1] + 1 :
							 (lcs[(x + 1) * w + y] > lcs[x * w + y + 1] ?
								  lcs[(x + 1) * w + y] :
								  lcs[x * w + y + 1]);
	}

	buf_str(&out, "--- ");
	buf_str(&out, a ? label_a : "/dev/null");
	buf_str(&out, "\n+++ ");
	buf_str(&out, b ? label_b : "/dev/null");
	buf_str(&out, "\n");
	snprintf(hunk, sizeof(hunk), "@@ -%zu,%zu +%zu,%zu @@\n", la.n ? (size_t)1 : 0, la.n,
		 lb.n ? (size_t)1 : 0, lb.n);
	buf_str(&out, hunk);
	while (i < la.n || j < lb.n) {
		if (lcs && i < la.n && j < lb.n && line_eq(&la, i, &lb, j)) {
			diff_line(&out, ' ', la.at[i], la.len[i]);
			i++, j++;
		} else if (i < la.n && (!lcs || j == lb.n ||
					lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
			diff_line(&out, '-', la.at[i], la.len[i]);
			i++;
		} else {
			diff_line(&out, '+', lb.at[j], lb.len[j]);
			j++;
		}
	}
	k = out.oom ? -ENOMEM : 0;
	if (k == 0)
		*ret = TAKE_PTR(out.s);
done:
	free(out.s);
	lines_done(&la);
	lines_done(&lb);
	return k;
}

int fix_plan_diff(const struct fix_plan *p, const char *fragment_shown, const char *live_shown,
		  char **ret)
{
	_cleanup_free_ char *frag = NULL, *live = NULL, *before = NULL, *after = NULL,
			    *label = NULL;
	const struct fix_current *c = p->current;
	_cleanup_(buf_done) struct buf out = { 0 };
	int k;

	if (p->skip != FIX_SKIP_NONE) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	if (asprintf(&label, "%s (portaudit --fix)", fragment_shown) < 0)
		return -ENOMEM;
	if (p->fragment_changed) {
		k = fix_diff(c->kind == FIX_CURRENT_FILE ? c->text : NULL, c->len, p->text, p->len,
			     fragment_shown, label, &frag);
		if (k < 0)
			return k;
		buf_str(&out, frag);
	}
	if (p->live_changed) {
		size_t bl, al;

		free(label);
		label = NULL;
		if (asprintf(&label, "%s (portaudit --fix)", live_shown) < 0)
			return -ENOMEM;
		if (portset_format_kernel(&p->live_before, &before, &bl) < 0 ||
		    portset_format_kernel(&p->live_after, &after, &al) < 0)
			return -ENOMEM;
		k = fix_diff(before, bl, after, al, live_shown, label, &live);
		if (k < 0)
			return k;
		buf_str(&out, live);
	}
	if (!out.s)
		buf_str(&out, "");
	if (out.oom)
		return -ENOMEM;
	*ret = TAKE_PTR(out.s);
	return 0;
}
