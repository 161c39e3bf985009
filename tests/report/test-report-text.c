/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text reporter on a hand-built audit (sample.c): the line of each kind of
 * evidence, the whole default report against tests/report/expected-default.txt,
 * and the properties every mode keeps: grouping by severity, indentation, the
 * summary line, --quiet, --verbose, colour only when asked, no trailing blanks,
 * no line longer than 200 columns.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sample.h"

#define LINE_MAX_COLUMNS 200

static int setup(void **state)
{
	struct sample *s = malloc(sizeof(*s));

	if (!s)
		return -1;
	sample_init(s);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	sample_done(*state);
	free(*state);
	return 0;
}

static char *evidence(const struct sample *s, enum finding_id id, size_t i)
{
	const struct finding *f = &s->findings.v[sample_find(s, id)];
	size_t n;
	char *buf;

	assert_true(i < f->n_evidence);
	n = report_evidence_line(&s->snap, &f->evidence[i], NULL, 0);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(report_evidence_line(&s->snap, &f->evidence[i], buf, n + 1), n);
	assert_int_equal(strlen(buf), n);
	return buf;
}

static void assert_evidence(const struct sample *s, enum finding_id id, size_t i, const char *want)
{
	char *got = evidence(s, id, i);

	assert_string_equal(got, want);
	free(got);
}

/* report_text() into a string. */
static char *render(const struct report_input *in, const struct report_text_options *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(report_text(f, in, o), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* The lines of text, NULL-terminated; the text is cut in place. */
static char **split(char *text, size_t *ret_n)
{
	size_t n = 0, cap = 16;
	char **v = malloc(cap * sizeof(*v));

	assert_non_null(v);
	for (char *p = text; *p;) {
		char *nl = strchr(p, '\n');

		assert_non_null(nl); /* every line ends in a newline */
		*nl = '\0';
		if (n + 2 > cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[n++] = p;
		p = nl + 1;
	}
	v[n] = NULL;
	*ret_n = n;
	return v;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* 0 error, 1 warning, 2 info for a finding's first line; -1 for any other line. */
static int header_rank(const char *line)
{
	static const char *const words[] = { "error: ", "warning: ", "info: " };

	for (int i = 0; i < 3; i++)
		if (starts_with(line, words[i]))
			return i;
	return -1;
}

/*
 * What every report keeps, coloured or not: no trailing blanks, no control
 * byte but the colours' ESC, short lines, findings grouped error, warning,
 * info, each followed by lines indented by 4 (evidence, "fix:") and then a
 * blank line or the end.  Returns the number of findings seen.
 */
static size_t check_layout(const char *report, bool color)
{
	char *text = strdup(report);
	size_t n, findings = 0;
	char **lines;
	int last_rank = -1;

	assert_non_null(text);
	lines = split(text, &n);
	for (size_t i = 0; i < n; i++) {
		char *l = lines[i];
		size_t len = strlen(l);
		int rank;

		if (color && l[0] == '\033') {
			/* "ESC[1;3Xm" word "ESC[0m": the only escapes allowed. */
			char *end = strstr(l, "\033[0m");

			assert_non_null(end);
			assert_true(starts_with(l, "\033[1;31merror\033[0m: ") ||
				    starts_with(l, "\033[1;33mwarning\033[0m: ") ||
				    starts_with(l, "\033[1;34minfo\033[0m: "));
			memmove(l, strchr(l, 'm') + 1, strlen(strchr(l, 'm') + 1) + 1);
			end = strstr(l, "\033[0m");
			memmove(end, end + 4, strlen(end + 4) + 1);
			len = strlen(l);
		}
		for (size_t k = 0; k < len; k++)
			assert_false((unsigned char)l[k] < 0x20 || l[k] == 0x7f);
		assert_true(len <= LINE_MAX_COLUMNS);
		if (len > 0) {
			assert_int_not_equal(l[len - 1], ' ');
			assert_int_not_equal(l[len - 1], '\t');
		}
		rank = header_rank(l);
		if (rank < 0)
			continue;
		findings++;
		assert_true(rank >= last_rank);
		last_rank = rank;
		/* The block: the first line is "SEV: ID: ...", then indented lines. */
		assert_non_null(strchr(l + strlen("warning"), ':'));
		for (i++; i < n && lines[i][0] && header_rank(lines[i]) < 0; i++) {
			const char *b = lines[i];
			bool indented = starts_with(b, "    ") && b[4] != ' ';
			bool continued = starts_with(b, "         ") && b[9] != ' ' &&
					 (starts_with(lines[i - 1], "    fix: ") ||
					  starts_with(lines[i - 1], "         "));

			assert_true(indented || continued);
		}
		assert_true(i == n || lines[i][0] == '\0');
	}
	free(lines);
	free(text);
	return findings;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static const char *last_line(const char *text)
{
	size_t len = strlen(text);

	assert_true(len > 0 && text[len - 1] == '\n');
	for (size_t i = len - 1; i > 0; i--)
		if (text[i - 1] == '\n')
			return text + i;
	return text;
}

/* ---- evidence lines ----------------------------------------------------------------- */

static void test_evidence_kinds(void **state)
{
	struct sample *s = *state;

	assert_evidence(s, FINDING_EPHEMERAL_OVERLAP, 0,
			"net.ipv4.ip_local_port_range = 28000 29000 (/proc/sys/net/ipv4/ip_local_port_range)");
	/* The kernel's trailing newline is not part of the value. */
	assert_evidence(s, FINDING_EPHEMERAL_OVERLAP, 1,
			"net.ipv4.ip_local_reserved_ports = 28999,30000 (/proc/sys/net/ipv4/ip_local_reserved_ports)");
	assert_evidence(s, FINDING_EPHEMERAL_OVERLAP, 2,
			"service defined at " SAMPLE_INVENTORY_FILE ":3:3");
	assert_evidence(s, FINDING_CONFIG_OVERRIDDEN, 0,
			"/etc/sysctl.d/10-db.conf:3: net.ipv4.ip_local_reserved_ports = 28350 (reserves it, but is overridden)");
	assert_evidence(s, FINDING_CONFIG_OVERRIDDEN, 1,
			"at the next boot (systemd-sysctl): net.ipv4.ip_local_reserved_ports = 28400, from /etc/sysctl.d/99-zz-local.conf:1");
	assert_evidence(s, FINDING_CONFIG_OVERRIDDEN, 2,
			"at the next boot (sysctl --system): net.ipv4.ip_local_reserved_ports = (none), the kernel default");
	assert_evidence(s, FINDING_PORT_HELD, 0,
			"tcp ESTABLISHED 127.0.0.1:28350 -> 127.0.0.1:3306, pid 4242 (sysbench, session-1.scope), via netlink");
	assert_evidence(s, FINDING_PORT_HELD, 1,
			"tcp TIME_WAIT 127.0.0.1:28350 -> 127.0.0.2:3306, no owner (TIME_WAIT), via netlink");
	assert_evidence(s, FINDING_SELF_CONNECT, 0,
			"tcp ESTABLISHED 127.0.0.1:40000 -> 127.0.0.1:40000, owner unknown (uid 0), via procfs");
	assert_evidence(s, FINDING_UNEXPECTED_OWNER, 0,
			"socket unit web.socket listens on [::]:8080 (Stream), via bus");
	/* PID 1 (systemd) and two nginx hold it: the first other than PID 1 is named. */
	assert_evidence(s, FINDING_UNEXPECTED_OWNER, 1,
			"tcp ESTABLISHED [::1]:28352 -> [::1]:8080, pid 777 (nginx) and 2 more, via netlink");
	/* Nothing but the text: it is shown with its source. */
	assert_evidence(s, FINDING_UNEXPECTED_OWNER, 2,
			"a listener on [::]:8080 that has gone (netlink)");
	/* A listener has no peer; an owner with a unit but no comm. */
	assert_evidence(s, FINDING_UNLISTED_LISTENER, 0,
			"tcp LISTEN [::]:28500, pid 900 (rogue.service), via netlink");
	assert_evidence(s, FINDING_NOT_LISTENING, 0,
			"service defined at " SAMPLE_INVENTORY_FILE ":11:3");
}

static void test_evidence_owners_not_resolved(void **state)
{
	struct sample *s = *state;

	s->snap.owners_resolved = false;
	assert_evidence(s, FINDING_PORT_HELD, 0,
			"tcp ESTABLISHED 127.0.0.1:28350 -> 127.0.0.1:3306, uid 1000, via netlink");
	/* TIME_WAIT never has an owner, resolved or not. */
	assert_evidence(s, FINDING_PORT_HELD, 1,
			"tcp TIME_WAIT 127.0.0.1:28350 -> 127.0.0.2:3306, no owner (TIME_WAIT), via netlink");
	s->snap.owners_resolved = true;
	/* Resolved, but a socket of inode 0 (not TIME_WAIT) has nobody to look up. */
	s->held[0].inode = 0;
	assert_evidence(s, FINDING_PORT_HELD, 0,
			"tcp ESTABLISHED 127.0.0.1:28350 -> 127.0.0.1:3306, owner unknown (uid 1000), via netlink");
	s->held[0].inode = 5001;
}

static void test_evidence_long_value_cut(void **state)
{
	struct sample *s = *state;
	const struct finding *f = &s->findings.v[sample_find(s, FINDING_EPHEMERAL_POOL_SMALL)];
	const char *full = f->evidence[1].value;
	char *line = evidence(s, FINDING_EPHEMERAL_POOL_SMALL, 1);
	const char *prefix = "net.ipv4.ip_local_reserved_ports = ";
	const char *cut;
	size_t shown;

	assert_true(strlen(full) > 5000);
	assert_true(strlen(line) <= LINE_MAX_COLUMNS - 4);
	assert_true(starts_with(line, prefix));
	cut = strstr(line, "... (1000 ports) (/proc/sys/net/ipv4/ip_local_reserved_ports)");
	assert_non_null(cut);
	assert_string_equal(cut, "... (1000 ports) (/proc/sys/net/ipv4/ip_local_reserved_ports)");
	/* What is shown is the start of the list, cut where an item ends. */
	shown = (size_t)(cut - line) - strlen(prefix);
	assert_true(shown >= 60 && shown <= 120);
	assert_memory_equal(line + strlen(prefix), full, shown);
	assert_int_equal(full[shown], ',');
	free(line);
}

static void test_evidence_buffer(void **state)
{
	struct sample *s = *state;
	const struct evidence *e = &s->findings.v[sample_find(s, FINDING_SELF_CONNECT)].evidence[0];
	const char *want = "tcp ESTABLISHED 127.0.0.1:40000 -> 127.0.0.1:40000";
	char small[16];
	size_t n = report_evidence_line(&s->snap, e, NULL, 0);

	/* Like snprintf: the whole length, and as much as fits, terminated. */
	assert_int_equal(report_evidence_line(&s->snap, e, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, want, sizeof(small) - 1);
	assert_true(n > strlen(want));
}

static void test_evidence_control_bytes(void **state)
{
	struct sample *s = *state;
	struct evidence e = {
		.kind = EVIDENCE_ASSIGNMENT,
		.key = "net.ipv4.ip_local_reserved_ports",
		.value = (char *)"28350\033]0;owned\a\r",
		.source = "/etc/sysctl.d/\033[2J.conf",
		.line = 7,
		.tool = -1,
	};
	char buf[256];

	report_evidence_line(&s->snap, &e, buf, sizeof(buf));
	assert_string_equal(buf,
			    "/etc/sysctl.d/?[2J.conf:7: net.ipv4.ip_local_reserved_ports = 28350?]0;owned??");
}

/* ---- whole reports ------------------------------------------------------------------ */

static char *read_expected(const char *name)
{
	const char *srcdir = getenv("abs_top_srcdir");
	char path[4096], *text = NULL, *out;
	size_t len = 0, n;
	FILE *f;

	assert_non_null(srcdir); /* set by make check (AM_TESTS_ENVIRONMENT) */
	snprintf(path, sizeof(path), "%s/tests/report/%s", srcdir, name);
	f = fopen(path, "re");
	assert_non_null(f);
	text = malloc(1 << 16);
	assert_non_null(text);
	len = fread(text, 1, (1 << 16) - 1, f);
	assert_false(ferror(f));
	fclose(f);
	text[len] = '\0';
	/* "@VERSION@" stands for the program's version. */
	out = malloc(len + 64);
	assert_non_null(out);
	n = 0;
	for (const char *p = text; *p;) {
		const char *v = strstr(p, "@VERSION@");
		size_t k = v ? (size_t)(v - p) : strlen(p);

		memcpy(out + n, p, k);
		n += k;
		p += k;
		if (v) {
			n += (size_t)sprintf(out + n, "%s", PACKAGE_VERSION);
			p += strlen("@VERSION@");
		}
	}
	out[n] = '\0';
	free(text);
	return out;
}

static void test_default_report(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_ERROR };
	char *got = render(&s->in, &o), *want = read_expected("expected-default.txt");

	assert_string_equal(got, want);
	assert_int_equal(check_layout(got, false), 10);
	assert_null(strchr(got, '\033'));
	free(got);
	free(want);
}

static void test_grouping_ignores_list_order(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_ERROR };
	char *unsorted = render(&s->in, &o), *sorted;

	/* In report order (findings_sort) the output is the same: grouping is stable. */
	findings_sort(&s->findings);
	sorted = render(&s->in, &o);
	assert_int_equal(check_layout(sorted, false), 10);
	assert_true(strstr(sorted, "error: port-held") > strstr(sorted, "error: ephemeral-overlap"));
	assert_true(strstr(unsorted, "error: port-held") < strstr(unsorted, "error: ephemeral-overlap"));
	free(unsorted);
	free(sorted);
}

static void test_summary(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_ERROR };
	struct findings warnings_only = { 0 };
	char *text;

	text = render(&s->in, &o);
	assert_string_equal(last_line(text),
			    "10 findings: 4 errors, 4 warnings, 2 info; failing on error: exit 1\n");
	free(text);

	o.fail_on = SEVERITY_INFO;
	text = render(&s->in, &o);
	assert_string_equal(last_line(text),
			    "10 findings: 4 errors, 4 warnings, 2 info; failing on info: exit 1\n");
	free(text);

	/* One warning, failing on error: the verdict is exit 0. */
	warnings_only.v = &s->findings.v[sample_find(s, FINDING_NOT_PERSISTENT)];
	warnings_only.n = 1;
	s->in.findings = &warnings_only;
	o.fail_on = SEVERITY_ERROR;
	text = render(&s->in, &o);
	assert_string_equal(last_line(text),
			    "1 finding: 0 errors, 1 warning, 0 info; failing on error: exit 0\n");
	assert_int_equal(check_layout(text, false), 1);
	free(text);
	s->in.findings = &s->findings;
}

static void test_no_findings(void **state)
{
	struct sample *s = *state;
	struct findings none = { 0 };
	struct report_text_options o = { .fail_on = SEVERITY_WARNING };
	char *text;

	s->in.findings = &none;
	text = render(&s->in, &o);
	assert_string_equal(last_line(text), "no findings; failing on warning: exit 0\n");
	assert_int_equal(check_layout(text, false), 0);
	assert_true(starts_with(text, "portaudit "));
	free(text);

	o.quiet = true;
	text = render(&s->in, &o);
	assert_string_equal(text, "");
	free(text);
	s->in.findings = &s->findings;
}

static void test_quiet(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_WARNING, .quiet = true };
	struct findings infos = { 0 };
	char *text;

	text = render(&s->in, &o);
	/* Only the 8 errors and warnings: no header, no notes, no summary. */
	assert_int_equal(check_layout(text, false), 8);
	assert_true(starts_with(text, "error: "));
	assert_null(strstr(text, "\ninfo: "));
	assert_null(strstr(text, "portaudit 0"));
	assert_null(strstr(text, "note: "));
	assert_null(strstr(text, "findings:"));
	assert_int_equal(count(text, "\nwarning: "), 4);
	free(text);

	o.fail_on = SEVERITY_ERROR;
	text = render(&s->in, &o);
	assert_int_equal(check_layout(text, false), 4);
	assert_null(strstr(text, "warning: "));
	free(text);

	/* Nothing at or above fail_on: nothing at all. */
	infos.v = &s->findings.v[sample_find(s, FINDING_RANGE_PARITY)];
	infos.n = 1;
	s->in.findings = &infos;
	o.fail_on = SEVERITY_WARNING;
	text = render(&s->in, &o);
	assert_string_equal(text, "");
	free(text);
	s->in.findings = &s->findings;
}

static void test_verbose(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_ERROR, .verbose = 1 };
	char *text = render(&s->in, &o), *plain;

	assert_int_equal(check_layout(text, false), 10);
	assert_non_null(strstr(text, "\nkernel: net.ipv4.ip_local_port_range = 28000 29000 (/proc/sys/net/ipv4/ip_local_port_range)\n"));
	assert_non_null(strstr(text, "\nkernel: net.ipv4.ip_unprivileged_port_start = 1024 (/proc/sys/net/ipv4/ip_unprivileged_port_start)\n"));
	assert_non_null(strstr(text, "\nat the next boot (systemd-sysctl): net.ipv4.ip_local_reserved_ports = 28400, from /etc/sysctl.d/99-zz-local.conf:1\n"));
	assert_non_null(strstr(text, "\nsockets (netlink): 2 listening, 1 udp, 4 other tcp kept of 1534 seen; bound-inactive tcp visible\n"));
	assert_non_null(strstr(text, "\nowners: 5 found in 120 processes (2400 descriptors), complete\n"));
	assert_non_null(strstr(text, "\nsocket units (bus): 1\n"));
	/* Every note, and no "more notes" line. */
	assert_int_equal(count(text, "\nnote: "), 7);
	assert_null(strstr(text, "more note"));
	free(text);

	/* Without -v: five notes, and how many more there are. */
	o.verbose = 0;
	plain = render(&s->in, &o);
	assert_int_equal(count(plain, "\nnote: "), 5);
	assert_non_null(strstr(plain, "\n(2 more notes; -v shows them)\n"));
	assert_null(strstr(plain, "\nkernel: "));
	assert_null(strstr(plain, "\nsockets ("));
	free(plain);
}

static void test_notes_not_kept(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_ERROR, .verbose = 1 };
	char *text;

	/* The snapshot kept 7 notes but was told of 9. */
	s->snap.notes.total += 2;
	text = render(&s->in, &o);
	assert_non_null(strstr(text, "\n(2 more notes not kept)\n"));
	free(text);
	s->snap.notes.total -= 2;
}

static void test_color(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_ERROR, .color = true };
	char *text;

	text = render(&s->in, &o);
	assert_int_equal(check_layout(text, true), 10);
	/* Exactly the ten severity words, each opened and reset. */
	assert_int_equal(count(text, "\033["), 20);
	assert_int_equal(count(text, "\033[1;31merror\033[0m: "), 4);
	assert_int_equal(count(text, "\033[1;33mwarning\033[0m: "), 4);
	assert_int_equal(count(text, "\033[1;34minfo\033[0m: "), 2);
	/* Not the summary, not the notes. */
	assert_null(strchr(last_line(text), '\033'));
	free(text);

	/* Quiet and verbose colour the same words only. */
	o.quiet = true;
	text = render(&s->in, &o);
	assert_int_equal(count(text, "\033["), 8);
	free(text);
	o.quiet = false;
	o.verbose = 1;
	text = render(&s->in, &o);
	assert_int_equal(count(text, "\033["), 20);
	free(text);

	/* And never an escape without colour, in any mode. */
	o.color = false;
	for (int mode = 0; mode < 3; mode++) {
		o.quiet = mode == 1;
		o.verbose = mode == 2;
		text = render(&s->in, &o);
		assert_null(strchr(text, '\033'));
		free(text);
	}
}

static void test_message_control_bytes(void **state)
{
	struct sample *s = *state;
	struct finding *f = &s->findings.v[sample_find(s, FINDING_RANGE_PARITY)];
	struct findings one = { .v = f, .n = 1 };
	struct report_text_options o = { .fail_on = SEVERITY_INFO, .quiet = true };
	char *text;

	free(f->message);
	f->message = strdup("bad\033[31m message \t ");
	assert_non_null(f->message);
	s->in.findings = &one;
	text = render(&s->in, &o);
	assert_true(starts_with(text, "info: range-parity: bad?[31m message\n"));
	assert_int_equal(check_layout(text, false), 1);
	free(text);

	/* Blank lines of a remediation would end the block: they are left out. */
	free(f->remediation);
	f->remediation = strdup("first \n\n \t\n  second\n");
	assert_non_null(f->remediation);
	text = render(&s->in, &o);
	assert_non_null(strstr(text, "\n    fix: first\n           second\n"));
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_null(strstr(text, "\n\n"));
	free(text);
	free(f->remediation);
	f->remediation = strdup("\nsecond");
	assert_non_null(f->remediation);
	text = render(&s->in, &o);
	assert_non_null(strstr(text, "\n    fix:\n         second\n"));
	free(text);
	s->in.findings = &s->findings;
}

static void test_headers(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_ERROR };
	struct inventory *discovered = inventory_new();
	char *text;

	s->snap.live = false;
	s->snap.root = (char *)"/srv/image";
	text = render(&s->in, &o);
	assert_true(starts_with(text, "portaudit " PACKAGE_VERSION ": root /srv/image\n"));
	free(text);
	s->snap.live = true;
	s->snap.root = (char *)"/";

	assert_non_null(discovered);
	discovered->discovered = true;
	s->in.inv = discovered;
	text = render(&s->in, &o);
	assert_non_null(strstr(text, "\nno inventory found: discovery mode, the listeners and socket units of this host are the inventory (0 services)\n"));
	assert_null(strstr(text, "\ninventory: "));
	free(text);
	s->in.inv = s->inv;
	inventory_free(discovered);

	/* Five inventory files: three named, the rest counted; all of them with -v. */
	for (int i = 2; i <= 5; i++) {
		char name[64];

		snprintf(name, sizeof(name), "/etc/portaudit/inventory.d/%d.yaml", i);
		s->inv->sources = realloc(s->inv->sources,
					  (s->inv->n_sources + 1) * sizeof(*s->inv->sources));
		assert_non_null(s->inv->sources);
		s->inv->sources[s->inv->n_sources] = strdup(name);
		assert_non_null(s->inv->sources[s->inv->n_sources++]);
	}
	text = render(&s->in, &o);
	assert_non_null(strstr(text, "\ninventory: 4 services, 2772 tcp and 1 udp ports, from " SAMPLE_INVENTORY_FILE ", /etc/portaudit/inventory.d/2.yaml, /etc/portaudit/inventory.d/3.yaml and 2 more\n"));
	free(text);
	o.verbose = 1;
	text = render(&s->in, &o);
	assert_non_null(strstr(text, ", /etc/portaudit/inventory.d/3.yaml, /etc/portaudit/inventory.d/4.yaml, /etc/portaudit/inventory.d/5.yaml\n"));
	free(text);
}

static void test_write_error(void **state)
{
	struct sample *s = *state;
	struct report_text_options o = { .fail_on = SEVERITY_ERROR };
	FILE *f = fopen("/dev/full", "we");

	if (!f)
		skip();
	assert_int_equal(report_text(f, &s->in, &o), -EIO);
	fclose(f);
}

static void set_env(const char *name, const char *value)
{
	if (value)
		assert_int_equal(setenv(name, value, 1), 0);
	else
		assert_int_equal(unsetenv(name), 0);
}

static void test_want_color(void **state)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	FILE *tty, *mem;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		if (master >= 0)
			close(master);
		skip(); /* no pseudo-terminals here */
	}
	tty = fopen(ptsname(master), "we");
	assert_non_null(tty);
	mem = open_memstream(&buf, &len);
	assert_non_null(mem);

	set_env("NO_COLOR", NULL);
	set_env("TERM", "xterm-256color");
	assert_true(report_want_color(tty));
	assert_false(report_want_color(mem));
	set_env("NO_COLOR", ""); /* empty: as if unset (no-color.org) */
	assert_true(report_want_color(tty));
	set_env("NO_COLOR", "1");
	assert_false(report_want_color(tty));
	set_env("NO_COLOR", NULL);
	set_env("TERM", "dumb");
	assert_false(report_want_color(tty));
	set_env("TERM", NULL);
	assert_false(report_want_color(tty));
	set_env("TERM", "");
	assert_false(report_want_color(tty));

	fclose(mem);
	free(buf);
	fclose(tty);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_evidence_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_owners_not_resolved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_long_value_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_control_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouping_ignores_list_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verbose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notes_not_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_color, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_control_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test(test_want_color),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
