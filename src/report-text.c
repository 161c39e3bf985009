/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portaudit/fix.h"
#include "portaudit/inventory.h"
#include "portaudit/options.h"
#include "portaudit/report.h"
#include "portaudit/snapshot.h"
#include "portaudit/sysctl.h"

/*
 * A value longer than this is cut in a line of evidence (a reserved list can be
 * 250 KB): with the count of ports after it, the key before it and the /proc
 * path, the line stays under 200 columns.
 */
#define VALUE_SHOWN_MAX 90
/* The affected ports in a finding's first line are cut sooner: the message follows. */
#define PORTS_SHOWN_MAX 60
/* Notes shown without --verbose. */
#define NOTES_SHOWN 5
/* Inventory files named in the header without --verbose. */
#define SOURCES_SHOWN 3
/* Evidence lines are formatted on the stack first, on the heap when longer. */
#define LINE_STACK_MAX 512

#define SGR_RESET "\033[0m"

static const char *const severity_sgr[_SEVERITY_MAX] = {
	[SEVERITY_ERROR] = "\033[1;31m",   /* bold red */
	[SEVERITY_WARNING] = "\033[1;33m", /* bold yellow */
	[SEVERITY_INFO] = "\033[1;34m",    /* bold blue */
};

/* A line being formatted like snprintf: len counts what the whole line needs. */
struct line {
	char *buf;
	size_t size, len;
};

_printf_(2, 3) static void line_add(struct line *l, const char *fmt, ...)
{
	bool room = l->len < l->size;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? l->buf + l->len : NULL, room ? l->size - l->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
}

/*
 * A value as one short piece of a line: "(none)" when empty; longer than max,
 * cut before a comma so that no item is split, and followed by how many ports
 * the whole list holds, since that is what the operator can no longer count.
 */
static void line_add_value(struct line *l, const char *value, size_t max)
{
	size_t len = value ? strlen(value) : 0, cut;
	struct portset set;

	while (len > 0 && strchr(" \t\n", value[len - 1]))
		len--;
	if (len == 0) {
		line_add(l, "(none)");
		return;
	}
	if (len <= max) {
		line_add(l, "%.*s", (int)len, value);
		return;
	}
	for (cut = max; cut > 0 && value[cut] != ','; cut--)
		;
	if (cut == 0)
		cut = max;
	if (portset_parse(value, len, &set, NULL) == 0)
		line_add(l, "%.*s... (%u ports)", (int)cut, value, portset_count(&set));
	else
		line_add(l, "%.*s... (%zu bytes)", (int)cut, value, len);
}

/* "FILE:LINE:COLUMN", "FILE:LINE" or "FILE". */
static void line_add_where(struct line *l, const char *source, unsigned line, unsigned column)
{
	if (line && column)
		line_add(l, "%s:%u:%u", source, line, column);
	else if (line)
		line_add(l, "%s:%u", source, line);
	else
		line_add(l, "%s", source);
}

/* ", pid 4242 (sysbench, session-1.scope)" and the like: who holds the socket. */
static void line_add_owner(struct line *l, const struct snapshot *snap, const struct sockrec *s)
{
	const struct owner *o;
	size_t others = 0;

	/* A TIME_WAIT socket is the kernel's alone: no process holds it (inode 0). */
	if (s->proto == PROTO_TCP && s->state == SOCKREC_TIME_WAIT) {
		line_add(l, ", no owner (TIME_WAIT)");
		return;
	}
	if (!snap || !snap->owners_resolved) {
		line_add(l, ", uid %u", s->uid);
		return;
	}
	o = s->inode ? owners_lookup(&snap->owners, s->inode) : NULL;
	if (!o) {
		line_add(l, ", owner unknown (uid %u)", s->uid);
		return;
	}
	line_add(l, ", pid %d", (int)o->pid);
	if (o->comm[0] && o->unit)
		line_add(l, " (%s, %s)", o->comm, o->unit);
	else if (o->comm[0] || o->unit)
		line_add(l, " (%s)", o->comm[0] ? o->comm : o->unit);
	for (size_t i = 0; i < snap->owners.n; i++)
		if (snap->owners.v[i].inode == s->inode && snap->owners.v[i].pid != o->pid)
			others++;
	if (others)
		line_add(l, " and %zu more", others);
}

static void line_add_socket(struct line *l, const struct snapshot *snap, const struct sockrec *s)
{
	char local[SOCKREC_FORMAT_MAX], remote[SOCKREC_FORMAT_MAX];
	const char *proto = proto_to_string(s->proto);

	if (sockrec_format_local(s, local, sizeof(local)) < 0)
		snprintf(local, sizeof(local), "?:%u", s->lport);
	line_add(l, "%s %s %s", proto ? proto : "?", sockrec_state_to_string(s), local);
	/* Listeners and unconnected sockets have no peer: "-> 0.0.0.0:0" would only be noise. */
	if (s->rport != 0) {
		if (sockrec_format_remote(s, remote, sizeof(remote)) < 0)
			snprintf(remote, sizeof(remote), "?:%u", s->rport);
		line_add(l, " -> %s", remote);
	}
	line_add_owner(l, snap, s);
}

static void line_add_evidence(struct line *l, const struct snapshot *snap, const struct evidence *e)
{
	switch (e->kind) {
	case EVIDENCE_KERNEL:
		if (!e->key)
			break;
		line_add(l, "%s = ", e->key);
		line_add_value(l, e->value, VALUE_SHOWN_MAX);
		if (e->source)
			line_add(l, " (%s)", e->source);
		return;
	case EVIDENCE_ASSIGNMENT:
		if (!e->key || !e->source)
			break;
		line_add_where(l, e->source, e->line, 0);
		line_add(l, ": %s = ", e->key);
		line_add_value(l, e->value, VALUE_SHOWN_MAX);
		if (e->text)
			line_add(l, " (%s)", e->text);
		return;
	case EVIDENCE_BOOT:
		if (!e->key)
			break;
		line_add(l, "at the next boot (%s): %s = ",
			 e->tool >= 0 && e->tool < _SYSCTLD_TOOL_MAX ?
				 sysctld_tool_to_string((enum sysctld_tool)e->tool) :
				 "?",
			 e->key);
		line_add_value(l, e->value, VALUE_SHOWN_MAX);
		if (e->source) {
			line_add(l, ", from ");
			line_add_where(l, e->source, e->line, 0);
		} else
			line_add(l, ", the kernel default");
		if (e->text)
			line_add(l, " (%s)", e->text);
		return;
	case EVIDENCE_SOCKET:
		if (!e->sock)
			break;
		line_add_socket(l, snap, e->sock);
		if (e->source)
			line_add(l, ", via %s", e->source);
		return;
	case EVIDENCE_UNIT:
		if (!e->unit || !e->listen)
			break;
		line_add(l, "socket unit %s listens on %s (%s)", e->unit->name, e->listen->address,
			 e->listen->type);
		if (e->source)
			line_add(l, ", via %s", e->source);
		return;
	case EVIDENCE_INVENTORY:
		if (!e->source)
			break;
		line_add(l, "service defined at ");
		line_add_where(l, e->source, e->line, e->column);
		return;
	default:
		break;
	}
	/* Nothing more specific to say: the policy engine's text, and where it came from. */
	line_add(l, "%s", e->text ? e->text : "(no text)");
	if (e->source) {
		line_add(l, " (");
		line_add_where(l, e->source, e->line, e->column);
		line_add(l, ")");
	}
}

/*
 * Control bytes become '?': values and process names come from files and
 * processes anyone may have written, and an escape sequence in them must not
 * reach the operator's terminal, nor a newline split an entry.
 */
static void sanitize(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
}

size_t report_evidence_line(const struct snapshot *snap, const struct evidence *e, char *buf,
			    size_t size)
{
	struct line l = { .buf = buf, .size = size };

	if (size > 0)
		buf[0] = '\0';
	line_add_evidence(&l, snap, e);
	if (size > 0)
		sanitize(buf, l.len < size ? l.len : size - 1);
	return l.len;
}

/* ---- the text report ------------------------------------------------------------------ */

struct out {
	FILE *f;
	const struct report_text_options *o;
	bool started; /* something was written: the next section starts with a blank line */
};

/*
 * Write s as lines: the first after first, the others (s may hold newlines)
 * after cont.  Control bytes are shown as '?', trailing blanks dropped, and
 * empty lines after the first left out: a blank line ends a finding's block.
 */
static void put_lines(struct out *out, const char *first, const char *cont, const char *s)
{
	const char *indent = first;
	bool is_first = true;

	for (;;) {
		size_t len = strcspn(s, "\n"), end = len;

		while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		if (end > 0 || is_first) {
			size_t n = strlen(indent);

			while (end == 0 && n > 0 && indent[n - 1] == ' ')
				n--;
			fwrite(indent, 1, n, out->f);
			for (size_t i = 0; i < end; i++) {
				unsigned char c = (unsigned char)s[i];

				fputc(c < 0x20 || c == 0x7f ? '?' : c, out->f);
			}
			fputc('\n', out->f);
		}
		if (!s[len] || !s[len + 1])
			break;
		s += len + 1;
		indent = cont;
		is_first = false;
	}
	out->started = true;
}

_printf_(2, 3) static void put(struct out *out, const char *fmt, ...)
{
	char buf[LINE_STACK_MAX];
	_cleanup_free_ char *heap = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf)) {
		va_start(ap, fmt);
		if (vasprintf(&heap, fmt, ap) < 0)
			heap = NULL; /* out of memory: the line is cut, not lost */
		va_end(ap);
	}
	put_lines(out, "", "", heap ? heap : buf);
}

static void section(struct out *out)
{
	if (out->started)
		fputc('\n', out->f);
}

/* The evidence line of e, allocated when it does not fit the caller's buffer. */
static const char *evidence_line(const struct snapshot *snap, const struct evidence *e,
				 char *buf, size_t size, char **ret_heap)
{
	size_t n = report_evidence_line(snap, e, buf, size);

	*ret_heap = NULL;
	if (n < size)
		return buf;
	*ret_heap = malloc(n + 1);
	if (!*ret_heap)
		return buf; /* cut, but still a line */
	report_evidence_line(snap, e, *ret_heap, n + 1);
	return *ret_heap;
}

static void put_header(struct out *out, const struct report_input *in)
{
	const struct snapshot *snap = in->snap;
	const struct inventory *inv = in->inv;

	if (snap) {
		const struct snapshot_kernel *k = &snap->kernel;
		unsigned size = (unsigned)k->range_hi - k->range_lo + 1;
		unsigned inside = portset_count_range(&k->reserved, k->range_lo, k->range_hi);

		if (snap->live)
			put(out, "portaudit %s: live host, this network namespace", PACKAGE_VERSION);
		else
			put(out, "portaudit %s: root %s", PACKAGE_VERSION, snap->root);
		if (k->range_lo <= k->range_hi)
			put(out, "ephemeral ports %u-%u (%u), %u reserved inside, %u left for clients",
			    k->range_lo, k->range_hi, size, inside, size - inside);
	} else
		put(out, "portaudit %s", PACKAGE_VERSION);

	if (!inv)
		return;
	if (inv->discovered) {
		put(out, "no inventory found: discovery mode, the listeners and socket units of this host are the inventory (%zu service%s)",
		    inv->n_services, inv->n_services == 1 ? "" : "s");
	} else {
		struct line l = { 0 };
		_cleanup_free_ char *text = NULL;
		size_t shown = out->o->verbose ? inv->n_sources : SOURCES_SHOWN;

		/* Measure, then fill: the list of files has no useful bound. */
		for (int pass = 0; pass < 2; pass++) {
			l.len = 0;
			line_add(&l, "inventory: %zu service%s, %u tcp and %u udp ports",
				 inv->n_services, inv->n_services == 1 ? "" : "s",
				 portset_count(&inv->ports[PROTO_TCP]),
				 portset_count(&inv->ports[PROTO_UDP]));
			for (size_t i = 0; i < inv->n_sources && i < shown; i++)
				line_add(&l, "%s%s", i == 0 ? ", from " : ", ", inv->sources[i]);
			if (inv->n_sources > shown)
				line_add(&l, " and %zu more", inv->n_sources - shown);
			if (pass == 0) {
				text = malloc(l.len + 1);
				if (!text)
					return;
				l.buf = text;
				l.size = l.len + 1;
			}
		}
		put(out, "%s", text);
	}
}

/* An evidence line built from snapshot values, for the verbose host summary. */
static void put_value(struct out *out, enum evidence_kind kind, int tool, const char *key,
		      const char *value, const char *source, unsigned line)
{
	const struct evidence e = {
		.kind = kind,
		.key = key,
		.value = (char *)value,
		.tool = tool,
		.source = source,
		.line = line,
	};
	char buf[LINE_STACK_MAX];
	_cleanup_free_ char *heap = NULL;

	put(out, "%s%s", kind == EVIDENCE_KERNEL ? "kernel: " : "",
	    evidence_line(NULL, &e, buf, sizeof(buf), &heap));
}

static void put_host(struct out *out, const struct report_input *in)
{
	const struct snapshot *snap = in->snap;
	const struct snapshot_kernel *k = &snap->kernel;
	_cleanup_free_ char *reserved = NULL;
	/* The --root path is under PATH_MAX (or it would not open), then /proc/sys/net/ipv4. */
	char value[64], path[PATH_MAX + 64];

	snprintf(value, sizeof(value), "%u %u", k->range_lo, k->range_hi);
	snprintf(path, sizeof(path), "%s/ip_local_port_range", k->source ? k->source : "?");
	put_value(out, EVIDENCE_KERNEL, -1, SYSCTL_PORT_RANGE, value, path, 0);
	if (portset_format_alloc(&k->reserved, &reserved) == 0) {
		snprintf(path, sizeof(path), "%s/ip_local_reserved_ports", k->source ? k->source : "?");
		put_value(out, EVIDENCE_KERNEL, -1, SYSCTL_RESERVED_PORTS, reserved, path, 0);
	}
	snprintf(path, sizeof(path), "%s/ip_unprivileged_port_start", k->source ? k->source : "?");
	if (k->have_unprivileged_start) {
		snprintf(value, sizeof(value), "%u", k->unprivileged_start);
		put_value(out, EVIDENCE_KERNEL, -1, SYSCTL_UNPRIVILEGED_PORT_START, value, path, 0);
	} else
		put_value(out, EVIDENCE_KERNEL, -1, SYSCTL_UNPRIVILEGED_PORT_START,
			  "(missing: kernel older than 4.11)", path, 0);

	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		const struct sysctld_boot *b = &snap->boot[t];
		const struct sysctld_assignment *a;
		_cleanup_free_ char *list = NULL;

		a = b->range_from;
		snprintf(value, sizeof(value), "%u %u", b->range_lo, b->range_hi);
		put_value(out, EVIDENCE_BOOT, t, SYSCTL_PORT_RANGE, value,
			  a && a->file < snap->sysctld.n_files ? snap->sysctld.files[a->file].shown : NULL,
			  a ? a->line : 0);
		a = b->reserved_from;
		if (portset_format_alloc(&b->reserved, &list) == 0)
			put_value(out, EVIDENCE_BOOT, t, SYSCTL_RESERVED_PORTS, list,
				  a && a->file < snap->sysctld.n_files ?
					  snap->sysctld.files[a->file].shown :
					  NULL,
				  a ? a->line : 0);
	}

	if (snap->have_sockets) {
		const struct sockets *s = &snap->sockets;
		const char *backend = sockets_backend_to_string(s->backend);

		put(out, "sockets (%s): %zu listening, %zu udp, %zu other tcp kept of %llu seen; bound-inactive tcp %s",
		    backend ? backend : "?", s->listeners.n, s->udp.n, s->held.n,
		    (unsigned long long)s->n_tcp_other,
		    s->bound_inactive ? "visible" : "not visible");
	} else
		put(out, "sockets: not read");

	if (snap->owners_resolved) {
		const struct owners *o = &snap->owners;

		if (o->complete)
			put(out, "owners: %zu found in %zu processes (%zu descriptors), complete", o->n,
			    o->n_pids, o->n_fds);
		else
			put(out, "owners: %zu found in %zu processes (%zu descriptors), incomplete: %zu processes could not be examined",
			    o->n, o->n_pids, o->n_fds, o->n_denied);
	} else
		put(out, "owners: not resolved");

	put(out, "socket units (%s): %zu", units_transport_to_string(snap->units.transport) ?: "?",
	    snap->units.n);
}

/* "mysql tcp/28350", "tcp/40000", "mysql", "": what a finding is about. */
static void line_add_subject(struct line *l, const struct finding *fd)
{
	const char *proto = fd->proto >= 0 ? proto_to_string((enum proto)fd->proto) : NULL;
	char port[8];

	if (fd->service)
		line_add(l, "%s", fd->service);
	if (fd->port == 0 && !fd->ports) {
		if (proto)
			line_add(l, "%s%s", fd->service ? " " : "", proto);
		return;
	}
	line_add(l, "%s%s%s", fd->service ? " " : "", proto ? proto : "port",
		 proto ? "/" : " ");
	snprintf(port, sizeof(port), "%u", fd->port);
	line_add_value(l, fd->ports ? fd->ports : port, PORTS_SHOWN_MAX);
}

static void put_finding(struct out *out, const struct report_input *in, const struct finding *fd)
{
	const char *sev = severity_to_string(fd->severity);
	const char *id = finding_id_to_string(fd->id);
	const char *msg = fd->message && fd->message[0] ? fd->message : "(no message)";
	char subject[256] = "";
	struct line l = { .buf = subject, .size = sizeof(subject) };
	_cleanup_free_ char *rest = NULL;

	line_add_subject(&l, fd);
	section(out);
	/* The severity word alone is coloured: "error" in bold red, and so on. */
	if (out->o->color && sev)
		fprintf(out->f, "%s%s%s", severity_sgr[fd->severity], sev, SGR_RESET);
	else
		fputs(sev ? sev : "?", out->f);
	if (asprintf(&rest, ": %s: %s%s%s", id ? id : "?", subject, subject[0] ? ": " : "",
		     msg) < 0)
		rest = NULL;
	put_lines(out, "", "    ", rest ? rest : ": (out of memory)");

	for (size_t i = 0; i < fd->n_evidence; i++) {
		char buf[LINE_STACK_MAX];
		_cleanup_free_ char *heap = NULL;

		put_lines(out, "    ", "    ",
			  evidence_line(in->snap, &fd->evidence[i], buf, sizeof(buf), &heap));
	}
	if (fd->remediation && fd->remediation[0])
		put_lines(out, "    fix: ", "         ", fd->remediation);
}

static void put_notes(struct out *out, const struct diag *d)
{
	size_t shown = out->o->verbose ? d->n : (d->n < NOTES_SHOWN ? d->n : NOTES_SHOWN);
	char line[2048];

	if (d->total == 0)
		return;
	section(out);
	for (size_t i = 0; i < shown; i++) {
		diag_format(&d->entries[i], line, sizeof(line));
		put_lines(out, "note: ", "      ", line);
	}
	if (d->n > shown)
		put(out, "(%zu more note%s; -v shows them)", d->n - shown, d->n - shown == 1 ? "" : "s");
	if (d->total > d->n)
		put(out, "(%zu more note%s not kept)", d->total - d->n,
		    d->total - d->n == 1 ? "" : "s");
}

static void put_summary(struct out *out, const struct report_input *in, const struct findings *fs)
{
	size_t count[_SEVERITY_MAX] = { 0 };
	const char *fail_on = severity_to_string(out->o->fail_on);
	struct report_input verdict = *in;
	const char *fixed = "";
	int exit_code;

	verdict.findings = fs;
	verdict.fail_on = out->o->fail_on;
	exit_code = report_exit_status(&verdict);
	if (exit_code == EXIT_FIX_FAILED)
		fixed = in->fix->dry_run ? ", and --fix would fail" : ", and --fix failed";

	for (size_t i = 0; i < fs->n; i++)
		if ((unsigned)fs->v[i].severity < _SEVERITY_MAX)
			count[fs->v[i].severity]++;
	section(out);
	if (fs->n == 0)
		put(out, "no findings; failing on %s%s: exit %d", fail_on ? fail_on : "?", fixed,
		    exit_code);
	else
		put(out, "%zu finding%s: %zu error%s, %zu warning%s, %zu info; failing on %s%s: exit %d",
		    fs->n, fs->n == 1 ? "" : "s", count[SEVERITY_ERROR],
		    count[SEVERITY_ERROR] == 1 ? "" : "s", count[SEVERITY_WARNING],
		    count[SEVERITY_WARNING] == 1 ? "" : "s", count[SEVERITY_INFO],
		    fail_on ? fail_on : "?", fixed, exit_code);
}

/* Text that keeps its layout (a diff): control bytes but newlines and tabs shown as '?'. */
static void put_raw(struct out *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		fputc((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : c, out->f);
	}
	out->started = true;
}

/* A set in list syntax, cut at a whole item for a line; "(none)" when empty. */
static const char *set_text(const struct portset *set, char *buf, size_t size)
{
	if (portset_is_empty(set)) {
		snprintf(buf, size, "(none)");
		return buf;
	}
	return portset_format_cut(set, buf, size);
}

static void put_fix_problems(struct out *out, const struct diag *d, const char *what)
{
	char line[2048];

	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->entries[i], line, sizeof(line));
		put_lines(out, what, "    ", line);
	}
}

/* What --fix did, or with --dry-run would do. */
static void put_fix(struct out *out, const struct fix_result *res)
{
	const struct fix_plan *p = res->plan;
	char a[128], b[128];

	if (!p)
		return;
	section(out);
	if (p->skip == FIX_SKIP_DISCOVERED) {
		put(out, "fix: nothing done: no inventory was found, and ports discovered on a running host are never reserved; install an inventory (portaudit --print-inventory writes a start)");
		return;
	}
	if (p->skip == FIX_SKIP_DISABLED) {
		put(out, "fix: nothing done: %s is a symlink to /dev/null, so the administrator has disabled portaudit's fragment; remove the symlink to let portaudit manage it",
		    res->fragment_shown);
		return;
	}
	if (res->dry_run) {
		if (!p->changed)
			put(out, "fix (dry run): nothing to change: %s and the live value already reserve %s",
			    res->fragment_shown, set_text(&p->desired, a, sizeof(a)));
		else {
			put(out, "fix (dry run): nothing written; portaudit --fix would make these changes:");
			put_raw(out, res->diff ? res->diff : "");
		}
	} else {
		if (!p->text)
			put(out, "fix: nothing to reserve, and no fragment to update");
		else if (res->written)
			put(out, "fix: %s written: reserves %s", res->fragment_shown,
			    set_text(&p->fragment, a, sizeof(a)));
		else if (!p->fragment_changed)
			put(out, "fix: %s is up to date: reserves %s", res->fragment_shown,
			    set_text(&p->fragment, a, sizeof(a)));
		if (res->applied && p->live_changed)
			put(out, "fix: live net.ipv4.ip_local_reserved_ports set to %s (was %s), read back and verified",
			    set_text(&p->live_after, a, sizeof(a)), set_text(&p->live_before, b, sizeof(b)));
		else if (res->applied)
			put(out, "fix: live net.ipv4.ip_local_reserved_ports already holds %s",
			    set_text(&p->desired, a, sizeof(a)));
		else if (res->no_apply)
			put(out, "fix: live value not written (--no-apply)%s",
			    p->live_changed ? "; it takes effect at the next boot" : "");
		else if (res->offline)
			put(out, "fix: live value not written: --root names a tree, not this kernel");
	}
	for (size_t i = 0; i < p->n_kept && out->o->verbose; i++)
		put(out, "fix: keeps %s, which %s:%u reserves", set_text(&p->kept[i].ports, a, sizeof(a)),
		    p->kept[i].source, p->kept[i].line);
	put_fix_problems(out, &p->warnings, "fix warning: ");
	put_fix_problems(out, &res->problems, res->dry_run ? "fix would fail: " : "fix failed: ");
}

int report_text(FILE *f, const struct report_input *in, const struct report_text_options *o)
{
	static const struct findings none = { 0 };
	const struct findings *fs = in->findings ? in->findings : &none;
	struct out out = { .f = f, .o = o };
	static const enum severity order[] = { SEVERITY_ERROR, SEVERITY_WARNING, SEVERITY_INFO };

	if (!o->quiet) {
		put_header(&out, in);
		if (o->verbose && in->snap) {
			section(&out);
			put_host(&out, in);
		}
		if (in->fix)
			put_fix(&out, in->fix);
	} else if (in->fix)
		put_fix_problems(&out, &in->fix->problems,
				 in->fix->dry_run ? "fix would fail: " : "fix failed: ");
	/* Grouped by severity whatever order the list is in; within a group, the list's. */
	for (size_t s = 0; s < ARRAY_SIZE(order); s++) {
		if (o->quiet && order[s] < o->fail_on)
			continue;
		for (size_t i = 0; i < fs->n; i++)
			if (fs->v[i].severity == order[s])
				put_finding(&out, in, &fs->v[i]);
	}
	if (!o->quiet) {
		if (in->snap)
			put_notes(&out, &in->snap->notes);
		put_summary(&out, in, fs);
	}
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}

bool report_want_color(FILE *f)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	int fd;

	/* https://no-color.org: set and not empty means no colour, whatever its value. */
	if (no_color && no_color[0])
		return false;
	if (!term || !term[0] || strcmp(term, "dumb") == 0)
		return false;
	fd = fileno(f);
	return fd >= 0 && isatty(fd) == 1;
}
