/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sysctl.d model on hand-built configurations: line syntax, key spelling,
 * which assignment each tool writes, the kernel's verdict on each value, and
 * the value at the next boot.  The same rules are checked against the real
 * systemd-sysctl and procps by tests/sysctld/differential.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portaudit/diag.h"
#include "portaudit/sysctld.h"

#define RESERVED "net/ipv4/ip_local_reserved_ports"
#define RANGE "net/ipv4/ip_local_port_range"
#define UNPRIV "net/ipv4/ip_unprivileged_port_start"

static const char *const want[] = { RESERVED, RANGE, UNPRIV };

/*
 * A configuration of files given as (name, content) pairs, applied by both
 * tools in the given order; a trailing "/etc/sysctl.conf" pair marked final is
 * procps's extra pass.
 */
struct conf {
	struct sysctld c;
	struct diag notes;
};

static void conf_add(struct conf *t, const char *path, const char *content, bool systemd,
		     bool procps, bool final)
{
	size_t i = t->c.n_files;
	size_t first = t->c.n_assignments;

	t->c.files = realloc(t->c.files, (i + 1) * sizeof(*t->c.files));
	assert_non_null(t->c.files);
	t->c.files[i] = (struct sysctld_file){ .path = strdup(path), .final_pass = final };
	t->c.n_files++;
	for (int tool = 0; tool < _SYSCTLD_TOOL_MAX; tool++) {
		if (!(tool == SYSCTLD_SYSTEMD ? systemd : procps))
			continue;
		t->c.files[i].used[tool] = true;
		t->c.order[tool] = realloc(t->c.order[tool],
					   (t->c.n_order[tool] + 1) * sizeof(size_t));
		assert_non_null(t->c.order[tool]);
		t->c.order[tool][t->c.n_order[tool]++] = i;
	}
	assert_int_equal(sysctld_parse_buffer(&t->c, i, content, strlen(content), want,
					      ARRAY_SIZE(want), &t->notes),
			 0);
	t->c.files[i].first_assignment = first;
	t->c.files[i].n_assignments = t->c.n_assignments - first;
}

static void conf_file(struct conf *t, const char *path, const char *content)
{
	conf_add(t, path, content, true, true, false);
}

static void conf_init(struct conf *t)
{
	*t = (struct conf){ 0 };
	diag_init(&t->notes, 0);
}

static void conf_done(struct conf *t)
{
	sysctld_done(&t->c);
	diag_done(&t->notes);
}

static char *boot_reserved(const struct sysctld_boot *b)
{
	char *s;

	assert_int_equal(portset_format_alloc(&b->reserved, &s), 0);
	return s;
}

static void test_normalize(void **state)
{
	static const char *const cases[][2] = {
		{ "net.ipv4.ip_local_reserved_ports", RESERVED },
		{ "net/ipv4/ip_local_reserved_ports", RESERVED },
		{ "net.ipv4..ip_local_reserved_ports", RESERVED },
		{ "/net//ipv4/./ip_local_reserved_ports/", RESERVED },
		{ "net/ipv4/conf/eth0.100/rp_filter", "net/ipv4/conf/eth0.100/rp_filter" },
		{ "net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter" },
		{ "kernel", "kernel" },
		{ "", "" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[128];

		strcpy(buf, cases[i][0]);
		assert_string_equal(sysctld_normalize_key(buf), cases[i][1]);
	}
}

static void test_line_syntax(void **state)
{
	struct conf t;
	const struct sysctld_assignment *a;

	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/a.conf",
		  "# net.ipv4.ip_local_reserved_ports = 1\n"
		  "; net.ipv4.ip_local_reserved_ports = 2\n"
		  "\n"
		  "   net.ipv4.ip_local_reserved_ports   =   8080,9090 \t \n"
		  "-net.ipv4.ip_local_port_range = 40000 40009\r\n"
		  "net.ipv4.ip_local_reserved_ports = \"8080\"\n"
		  "net.ipv4.ip_local_reserved_ports =\n"
		  "-net.ipv4.ip_local_reserved_ports\n"
		  "net.ipv4.ip_local_reserved_port? = 1\n"
		  "net.ipv4.tcp_fin_timeout = 30\n"
		  "net.ipv4.ip_local_reserved_ports\n"
		  "net.ipv4.ip_local_*_ports = 2\n");
	assert_int_equal(t.c.n_assignments, 7);
	a = t.c.assignments;
	assert_int_equal(a[0].line, 4);
	assert_string_equal(a[0].key, RESERVED);
	assert_string_equal(a[0].value, "8080,9090");
	assert_false(a[0].ignore_failure);
	assert_int_equal(a[1].line, 5);
	assert_string_equal(a[1].key, RANGE);
	assert_string_equal(a[1].value, "40000 40009");
	assert_true(a[1].ignore_failure);
	assert_string_equal(a[2].value, "\"8080\"");
	assert_string_equal(a[3].value, "");
	assert_null(a[4].value);
	assert_false(a[4].glob);
	assert_true(a[5].glob);
	assert_string_equal(a[5].key, "net/ipv4/ip_local_reserved_port?");
	assert_true(a[6].glob);
	/* The one non-assignment is noted with its line. */
	assert_int_equal(t.notes.total, 1);
	assert_int_equal(t.notes.entries[0].line, 11);
	assert_non_null(strstr(t.notes.entries[0].message, "not an assignment"));
	conf_done(&t);
}

static void test_line_ends(void **state)
{
	struct conf t;
	static const char content[] = "net.ipv4.ip_local_reserved_ports = 1\r"
				      "net.ipv4.ip_local_port_range = 2000 3000\0"
				      "net.ipv4.ip_unprivileged_port_start = 5\n";

	/* systemd's read_line() ends lines at CR and NUL too. */
	conf_init(&t);
	conf_add(&t, "/etc/sysctl.d/a.conf", "", true, true, false);
	assert_int_equal(sysctld_parse_buffer(&t.c, 0, content, sizeof(content) - 1, want,
					      ARRAY_SIZE(want), &t.notes),
			 0);
	assert_int_equal(t.c.n_assignments, 3);
	assert_int_equal(t.c.assignments[2].line, 3);
	assert_int_equal(t.notes.total, 1);
	assert_non_null(strstr(t.notes.entries[0].message, "split its lines differently"));
	conf_done(&t);
}

static void test_systemd_last_wins(void **state)
{
	struct conf t;
	const struct sysctld_assignment *w[4];
	struct sysctld_boot b;
	char *s;

	conf_init(&t);
	conf_file(&t, "/usr/lib/sysctl.d/50-a.conf", "net.ipv4.ip_local_reserved_ports = 7000\n");
	conf_file(&t, "/etc/sysctl.d/70-b.conf", "net/ipv4/ip_local_reserved_ports = 7100\n");
	assert_int_equal(sysctld_writes(&t.c, SYSCTLD_SYSTEMD, "net.ipv4.ip_local_reserved_ports",
					w, 4),
			 1);
	assert_string_equal(w[0]->value, "7100");
	/* procps writes both, in order. */
	assert_int_equal(sysctld_writes(&t.c, SYSCTLD_PROCPS, RESERVED, w, 4), 2);
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_SYSTEMD, &b), 0);
	s = boot_reserved(&b);
	assert_string_equal(s, "7100");
	free(s);
	assert_ptr_equal(b.reserved_from, &t.c.assignments[1]);
	assert_null(b.reserved_rejected);
	assert_int_equal(b.range_lo, 32768);
	assert_int_equal(b.range_hi, 60999);
	assert_null(b.range_from);
	conf_done(&t);
}

static void test_exclusion_cancels(void **state)
{
	struct conf t;
	const struct sysctld_assignment *w[4];
	struct sysctld_boot b;

	/* "-key" after an assignment replaces it in systemd's map: nothing is written. */
	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/a.conf",
		  "net.ipv4.ip_local_reserved_ports = 7000\n"
		  "net.ipv4.ip_local_reserved_port? = 7001\n"
		  "-net.ipv4.ip_local_reserved_ports\n");
	assert_int_equal(sysctld_writes(&t.c, SYSCTLD_SYSTEMD, RESERVED, w, 4), 0);
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_SYSTEMD, &b), 0);
	assert_true(portset_is_empty(&b.reserved));
	assert_null(b.reserved_from);
	conf_done(&t);
}

static void test_glob_yields_to_explicit(void **state)
{
	struct conf t;
	const struct sysctld_assignment *w[4];

	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/a.conf",
		  "net.ipv4.ip_local_reserved_ports = 7000\n"
		  "net.ipv4.ip_local_reserved_port? = 7001\n");
	assert_int_equal(sysctld_writes(&t.c, SYSCTLD_SYSTEMD, RESERVED, w, 4), 1);
	assert_string_equal(w[0]->value, "7000");
	conf_done(&t);

	/* Without an explicit entry, the last matching glob writes. */
	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/a.conf",
		  "net.ipv4.ip_local_reserved_port? = 7001\n"
		  "net.ipv4.ip_local_*_ports = 7002\n");
	assert_int_equal(sysctld_writes(&t.c, SYSCTLD_SYSTEMD, RESERVED, w, 4), 2);
	assert_string_equal(w[1]->value, "7002");
	conf_done(&t);
}

static void test_order_of_keys(void **state)
{
	struct conf t;
	struct sysctld_boot b;

	/*
	 * The range's start may not be below ip_unprivileged_port_start, so the order
	 * of the two writes decides.  systemd keeps an entry's place when the same
	 * value comes again: here the range (first in 10-a) is written before the
	 * lowered start, and the kernel refuses it.
	 */
	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/10-a.conf", "net.ipv4.ip_local_port_range = 1000 2000\n");
	conf_file(&t, "/etc/sysctl.d/50-b.conf", "net.ipv4.ip_unprivileged_port_start = 500\n");
	conf_file(&t, "/etc/sysctl.d/60-c.conf", "net.ipv4.ip_local_port_range = 1000 2000\n");
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_SYSTEMD, &b), 0);
	assert_int_equal(b.range_lo, 32768);
	assert_int_equal(b.unprivileged_start, 500);
	assert_ptr_equal(b.range_rejected, &t.c.assignments[0]);
	/* procps writes the third line after the second: accepted. */
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_PROCPS, &b), 0);
	assert_int_equal(b.range_lo, 1000);
	assert_int_equal(b.range_hi, 2000);
	assert_ptr_equal(b.range_from, &t.c.assignments[2]);
	conf_done(&t);

	/* Another value moves the entry to the end: now it follows the lowered start. */
	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/10-a.conf", "net.ipv4.ip_local_port_range = 1000 2000\n");
	conf_file(&t, "/etc/sysctl.d/50-b.conf", "net.ipv4.ip_unprivileged_port_start = 500\n");
	conf_file(&t, "/etc/sysctl.d/60-c.conf", "net.ipv4.ip_local_port_range = 1000 2001\n");
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_SYSTEMD, &b), 0);
	assert_int_equal(b.range_lo, 1000);
	assert_int_equal(b.range_hi, 2001);
	conf_done(&t);
}

static void test_rejected_keeps_default(void **state)
{
	struct conf t;
	struct sysctld_boot b;
	char *s;

	/* systemd writes only the last value: refused, the default stays. */
	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/a.conf",
		  "net.ipv4.ip_local_reserved_ports = 9000\n"
		  "net.ipv4.ip_local_reserved_ports = 8080, 9090\n");
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_SYSTEMD, &b), 0);
	assert_true(portset_is_empty(&b.reserved));
	assert_ptr_equal(b.reserved_rejected, &t.c.assignments[1]);
	/* procps wrote 9000 first, and the refused write leaves it. */
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_PROCPS, &b), 0);
	s = boot_reserved(&b);
	assert_string_equal(s, "9000");
	free(s);
	conf_done(&t);
}

static void test_procps_final_pass(void **state)
{
	struct conf t;
	struct sysctld_boot b;
	char *s;

	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/99-sysctl.conf", "net.ipv4.ip_local_reserved_ports = 1111\n");
	conf_file(&t, "/etc/sysctl.d/99-zz-portaudit.conf",
		  "net.ipv4.ip_local_reserved_ports = 2222\n");
	conf_add(&t, "/etc/sysctl.conf", "net.ipv4.ip_local_reserved_ports = 1111\n", false, true,
		 true);
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_SYSTEMD, &b), 0);
	s = boot_reserved(&b);
	assert_string_equal(s, "2222");
	free(s);
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_PROCPS, &b), 0);
	s = boot_reserved(&b);
	assert_string_equal(s, "1111");
	free(s);
	assert_string_equal(t.c.files[b.reserved_from->file].path, "/etc/sysctl.conf");
	conf_done(&t);
}

/* "a,a+2,..." with n odd ports from start. */
static char *odd_list(unsigned start, unsigned n)
{
	size_t cap = (size_t)n * 7 + 64, o = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	for (unsigned i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s%u", i ? "," : "", start + 2 * i);
	return s;
}

static void test_procps_truncates(void **state)
{
	_cleanup_free_ char *list = odd_list(10001, 1000), *content = NULL;
	struct conf t;
	struct sysctld_boot b;
	char why[256];
	const char *p;

	assert_true(asprintf(&content, "net.ipv4.ip_local_reserved_ports = %s\n", list) > 0);
	conf_init(&t);
	conf_file(&t, "/etc/sysctl.d/a.conf", content);
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_SYSTEMD, &b), 0);
	assert_int_equal(portset_count(&b.reserved), 1000);
	/* 682 five-digit ports and commas fit in 4095 bytes: the same as REFERENCE §1.2. */
	assert_int_equal(sysctld_next_boot(&t.c, SYSCTLD_PROCPS, &b), 0);
	assert_int_equal(portset_count(&b.reserved), 682);
	assert_null(sysctld_value_problem(RESERVED, list, SYSCTLD_SYSTEMD, why, sizeof(why)));
	p = sysctld_value_problem(RESERVED, list, SYSCTLD_PROCPS, why, sizeof(why));
	assert_non_null(p);
	assert_non_null(strstr(p, "682 of 1000 ports"));
	conf_done(&t);
}

static void test_value_problems(void **state)
{
	static const struct {
		const char *key, *value, *problem;
	} cases[] = {
		{ RESERVED, "8080,9090", NULL },
		{ RESERVED, "", NULL },
		{ RESERVED, "8080, 9090", "the kernel refuses it: blanks are not allowed" },
		{ RESERVED, "\"8080\"", "the kernel refuses it: expected a port number at byte 1" },
		{ RESERVED, "010", "the kernel reads '010' as 8 (a leading zero means octal)" },
		{ RESERVED, "1000,0x10", "the kernel reads '0x10' as 16 (hexadecimal)" },
		{ RESERVED, "08080", "the kernel refuses it: digit 8 or 9" },
		{ RESERVED, "65536", "the kernel refuses it: port number above 65535" },
		{ RANGE, "40000 40009", NULL },
		{ RANGE, "2000\t3000", NULL },
		{ RANGE, "40001 40000", "the kernel refuses it: the start is above the end" },
		{ RANGE, "2000,3000", "the kernel refuses it: not two numbers" },
		{ RANGE, "0 100", "the kernel refuses it: not two numbers" },
		{ RANGE, "", "the kernel refuses it: not two numbers" },
		{ RANGE, "5000", "one number: the kernel sets only the start of the range" },
		{ RANGE, "5000 6000 7000", "the kernel ignores everything after the second number" },
		{ RANGE, "0x9c40 0x9c49", "the kernel reads '0x9c40' as 40000 (hexadecimal)" },
		{ UNPRIV, "1024", NULL },
		{ UNPRIV, "70000", "the kernel refuses it: not a number 0..65535" },
		{ "net.ipv4.tcp_fin_timeout", "x", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char why[256];
		const char *p = sysctld_value_problem(cases[i].key, cases[i].value, SYSCTLD_SYSTEMD,
						      why, sizeof(why));

		if (!cases[i].problem) {
			if (p)
				fail_msg("case %zu ('%s'): unexpected problem '%s'", i, cases[i].value,
					 p);
			continue;
		}
		if (!p || strncmp(p, cases[i].problem, strlen(cases[i].problem)) != 0)
			fail_msg("case %zu ('%s'): got '%s', want '%s...'", i, cases[i].value,
				 p ? p : "(none)", cases[i].problem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_line_syntax),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_systemd_last_wins),
		cmocka_unit_test(test_exclusion_cancels),
		cmocka_unit_test(test_glob_yields_to_explicit),
		cmocka_unit_test(test_order_of_keys),
		cmocka_unit_test(test_rejected_keeps_default),
		cmocka_unit_test(test_procps_final_pass),
		cmocka_unit_test(test_procps_truncates),
		cmocka_unit_test(test_value_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
