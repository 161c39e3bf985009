/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "portaudit/macro.h"
#include "portaudit/options.h"

/* Parse a NULL-terminated argument list (argv[0] supplied here). */
static int parse(struct options *o, const char *const *args)
{
	char *argv[32] = { (char *)"portaudit" };
	int argc = 1;

	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return options_parse(argc, argv, o);
}

#define PARSE(o, ...) parse((o), (const char *const[]){ __VA_ARGS__, NULL })

static void test_defaults(void **state)
{
	struct options o;

	assert_int_equal(parse(&o, (const char *const[]){ NULL }), 0);
	assert_int_equal(o.action, ACTION_AUDIT);
	assert_null(o.root);
	assert_int_equal(o.format, FORMAT_TEXT);
	assert_int_equal(o.fail_on, SEVERITY_ERROR);
	assert_false(o.fix);
	options_done(&o);
}

static void test_all_options(void **state)
{
	struct options o;

	assert_int_equal(PARSE(&o, "-c", "a.yaml", "--inventory=b.d", "-r", "/srv/t",
			       "--format", "json", "--fail-on", "warning", "--fix", "--dry-run",
			       "--no-apply", "--journal", "-v", "-v"),
			 0);
	assert_int_equal(o.n_inventories, 2);
	assert_string_equal(o.inventories[0], "a.yaml");
	assert_string_equal(o.inventories[1], "b.d");
	assert_null(o.inventories[2]);
	assert_string_equal(o.root, "/srv/t");
	assert_int_equal(o.format, FORMAT_JSON);
	assert_int_equal(o.fail_on, SEVERITY_WARNING);
	assert_true(o.fix && o.dry_run && o.no_apply && o.journal);
	assert_false(o.print_inventory);
	assert_int_equal(o.verbose, 2);
	options_done(&o);

	/* --fix writes; --print-inventory only prints: one run does one of them. */
	assert_int_equal(PARSE(&o, "--fix", "--print-inventory"), -EINVAL);
	assert_string_equal(o.error, "--print-inventory excludes --fix");
	options_done(&o);

	assert_int_equal(PARSE(&o, "--root=/x", "-fjson", "--fail-on=info", "-q"), 0);
	assert_string_equal(o.root, "/x");
	assert_int_equal(o.fail_on, SEVERITY_INFO);
	assert_true(o.quiet);
	options_done(&o);
}

static void test_actions(void **state)
{
	struct options o;

	assert_int_equal(PARSE(&o, "--help"), 0);
	assert_int_equal(o.action, ACTION_HELP);
	options_done(&o);
	assert_int_equal(PARSE(&o, "--version"), 0);
	assert_int_equal(o.action, ACTION_VERSION);
	options_done(&o);
}

static void test_errors(void **state)
{
	static const struct {
		const char *args[4];
		const char *message;
	} rows[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "-z" }, "unknown option '-z'" },
		{ { "--format", "xml" }, "unknown format 'xml' (expected text or json)" },
		{ { "--fail-on", "fatal" }, "unknown level 'fatal' for --fail-on (expected error, warning or info)" },
		{ { "--root" }, "option '--root' needs an argument" },
		{ { "-c" }, "option '-c' needs an argument" },
		{ { "--root", "" }, "--root needs a directory" },
		{ { "extra" }, "unexpected argument 'extra'" },
		{ { "--dry-run" }, "--dry-run only makes sense with --fix" },
		{ { "--no-apply" }, "--no-apply only makes sense with --fix" },
		{ { "-q", "-v" }, "--quiet and --verbose exclude each other" },
		{ { "--fix=yes" }, "option '--fix' takes no argument" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct options o;

		assert_int_equal(parse(&o, rows[i].args), -EINVAL);
		assert_string_equal(o.error, rows[i].message);
		options_done(&o);
	}
}

static void test_help_lists_design_flags(void **state)
{
	static const char *const flags[] = {
		"--inventory", "--root", "--format", "--fail-on", "--fix", "--dry-run",
		"--no-apply", "--print-inventory", "--quiet", "--verbose", "--version", "--help",
	};
	const char *help = options_help();

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (!strstr(help, flags[i]))
			fail_msg("--help does not mention %s", flags[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_lists_design_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
