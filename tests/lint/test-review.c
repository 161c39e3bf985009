/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The defects the code review of issue 9 fixed, each where a test can show it:
 * every case here failed (or crashed) before its fix.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portaudit/diag.h"
#include "portaudit/fix.h"
#include "portaudit/inventory.h"
#include "portaudit/report.h"
#include "portaudit/snapshot.h"
#include "snapbuild.h"

/*
 * fix_diff(): NULL means "no file", whatever the length beside it says.  It
 * used to compare the lengths only when both pointers were set, and then call
 * memcmp(NULL, b, a_len) for an absent a with a stale length against an empty b.
 */
static void test_diff_absent_file_ignores_its_length(void **state)
{
	char *d = NULL;

	assert_int_equal(fix_diff(NULL, 5, "", 0, "old", "new", &d), 0);
	assert_non_null(d);
	/* An absent file against an empty one: a header, and no line to add. */
	assert_string_equal(d, "--- /dev/null\n+++ new\n@@ -0,0 +0,0 @@\n");
	free(d);

	assert_int_equal(fix_diff("", 0, NULL, 7, "old", "new", &d), 0);
	assert_string_equal(d, "--- old\n+++ /dev/null\n@@ -0,0 +0,0 @@\n");
	free(d);

	assert_int_equal(fix_diff(NULL, 3, NULL, 9, "old", "new", &d), 0);
	assert_string_equal(d, "");
	free(d);
}

/* The first diagnostic of an inventory, without the file name. */
static void first_error(const char *yaml, char *buf, size_t size)
{
	struct inventory *inv = inventory_new();
	struct diag d;

	assert_non_null(inv);
	diag_init(&d, 0);
	assert_int_equal(inventory_parse_buffer(inv, "t.yaml", yaml, strlen(yaml), NULL, &d),
			 -EINVAL);
	assert_true(d.n > 0);
	diag_format(&d.entries[0], buf, size);
	diag_done(&d);
	inventory_free(inv);
}

/*
 * Ten digits are 2^32 and more: in an unsigned long of 32 bits (i386, armhf)
 * 4294967297 wrapped to 1, a valid port.  Every such number is "above 65535".
 */
static void test_inventory_port_does_not_wrap(void **state)
{
	static const char *const yaml[] = {
		"version: 1\nservices:\n  a:\n    ports: [4294967297]\n",
		"version: 1\nservices:\n  a:\n    ports: [4294967296]\n",
		"version: 1\nservices:\n  a:\n    ports: [\"1-4294968295\"]\n",
		"version: 1\nservices:\n  a:\n    ports: [9999999999]\n",
	};
	char line[512];

	for (size_t i = 0; i < sizeof(yaml) / sizeof(yaml[0]); i++) {
		first_error(yaml[i], line, sizeof(line));
		assert_non_null(strstr(line, "is above 65535"));
	}
	first_error("version: 1\npolicy:\n  min_ephemeral_ports: 4294967296\n", line,
		    sizeof(line));
	assert_non_null(strstr(line, "invalid value '4294967296' for policy 'min_ephemeral_ports'"));
}

/*
 * The verbose host summary names the file of each kernel value below the root.
 * It was built in a 512-byte buffer, so a --root path longer than that came out
 * cut; any path open(2) takes must come out whole.
 */
static void test_report_host_path_is_not_cut(void **state)
{
	const struct report_text_options o = { .verbose = 1, .fail_on = SEVERITY_ERROR };
	struct snapshot snap;
	struct inventory *inv = NULL;
	struct report_input in;
	char root[PATH_MAX - 64], *want, *text = NULL;
	size_t len = 0;
	FILE *f;

	memset(root, 'r', sizeof(root) - 1);
	root[0] = '/';
	root[sizeof(root) - 1] = '\0';
	assert_int_equal(snapbuild_init(&snap, 32768, 60999), 0);
	free(snap.kernel.source);
	assert_int_not_equal(asprintf(&snap.kernel.source, "%s/proc/sys/net/ipv4", root), -1);
	assert_int_equal(snapbuild_inventory("version: 1\n", NULL, &inv), 0);
	in = (struct report_input){ .inv = inv, .snap = &snap, .fail_on = SEVERITY_ERROR };

	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(report_text(f, &in, &o), 0);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < 3; i++) {
		static const char *const names[] = { "ip_local_port_range",
						     "ip_local_reserved_ports",
						     "ip_unprivileged_port_start" };

		assert_int_not_equal(asprintf(&want, "%s/proc/sys/net/ipv4/%s", root, names[i]),
				     -1);
		assert_non_null(strstr(text, want));
		free(want);
	}
	free(text);
	inventory_free(inv);
	snapshot_done(&snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_absent_file_ignores_its_length),
		cmocka_unit_test(test_inventory_port_does_not_wrap),
		cmocka_unit_test(test_report_host_path_is_not_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
