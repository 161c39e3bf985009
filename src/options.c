/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portaudit/macro.h"
#include "portaudit/options.h"

enum {
	OPT_FIX = 0x100,
	OPT_DRY_RUN,
	OPT_NO_APPLY,
	OPT_FAIL_ON,
	OPT_PRINT_INVENTORY,
	OPT_JOURNAL,
	OPT_SNAPSHOT,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "inventory", required_argument, NULL, 'c' },
	{ "root", required_argument, NULL, 'r' },
	{ "format", required_argument, NULL, 'f' },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "fix", no_argument, NULL, OPT_FIX },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "no-apply", no_argument, NULL, OPT_NO_APPLY },
	{ "print-inventory", no_argument, NULL, OPT_PRINT_INVENTORY },
	{ "journal", no_argument, NULL, OPT_JOURNAL },
	{ "snapshot", no_argument, NULL, OPT_SNAPSHOT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{},
};

const char *options_help(void)
{
	return "Usage: portaudit [OPTION]...\n"
	       "       portaudit --fix [--dry-run] [--no-apply] [OPTION]...\n"
	       "\n"
	       "Audit whether the service ports of this host can be taken by clients through\n"
	       "the kernel's ephemeral port range (net.ipv4.ip_local_port_range), and with\n"
	       "--fix reserve them in net.ipv4.ip_local_reserved_ports, now and at boot.\n"
	       "\n"
	       "  -c, --inventory PATH   inventory file, or directory of *.yaml (repeatable;\n"
	       "                         replaces the default sources)\n"
	       "  -r, --root DIR         audit the tree below DIR instead of this host\n"
	       "  -f, --format FORMAT    text (default) or json\n"
	       "      --fail-on LEVEL    exit 1 on findings at or above LEVEL: error (default),\n"
	       "                         warning or info\n"
	       "      --fix              reserve the inventory's ports: write\n"
	       "                         /etc/sysctl.d/99-zz-portaudit.conf and the live value\n"
	       "      --dry-run          with --fix: print the plan as a diff, write nothing\n"
	       "      --no-apply         with --fix: write the fragment only, not the live value\n"
	       "      --print-inventory  print the loaded or discovered inventory as YAML\n"
	       "      --journal          also log findings to the systemd journal (the default\n"
	       "                         when run by systemd with output to the journal)\n"
	       "      --snapshot         print what was read of the host (kernel values,\n"
	       "                         sysctl.d, sockets, socket units) as JSON, and exit\n"
	       "  -q, --quiet            print nothing but errors\n"
	       "  -v, --verbose          print more detail (repeatable)\n"
	       "      --version          print the version and exit\n"
	       "      --help             print this help and exit\n"
	       "\n"
	       "Exit status: 0 clean, 1 findings at or above --fail-on, 2 bad input or usage,\n"
	       "3 --fix failed.\n"
	       "\n"
	       "Without an inventory (/etc/portaudit/inventory.yaml, inventory.d), the\n"
	       "listeners and socket units of this host are taken as the inventory.\n";
}

_printf_(2, 3) static int fail(struct options *opts, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(opts->error, sizeof(opts->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int add_inventory(struct options *opts, const char *path)
{
	const char **n = reallocarray(opts->inventories, opts->n_inventories + 2, sizeof(*n));

	if (!n)
		return fail(opts, "out of memory");
	opts->inventories = n;
	n[opts->n_inventories++] = path;
	n[opts->n_inventories] = NULL;
	return 0;
}

int options_parse(int argc, char *argv[], struct options *opts)
{
	int c, r;

	*opts = (struct options){ .format = FORMAT_TEXT, .fail_on = SEVERITY_ERROR };
	opterr = 0;
	optind = 0; /* 0, not 1: also resets getopt's internal state between calls */
	while ((c = getopt_long(argc, argv, ":c:r:f:qvh", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!*optarg)
				return fail(opts, "--inventory needs a path");
			r = add_inventory(opts, optarg);
			if (r < 0)
				return r;
			break;
		case 'r':
			if (!*optarg)
				return fail(opts, "--root needs a directory");
			opts->root = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				opts->format = FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				opts->format = FORMAT_JSON;
			else
				return fail(opts, "unknown format '%s' (expected text or json)", optarg);
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "error") == 0)
				opts->fail_on = SEVERITY_ERROR;
			else if (strcmp(optarg, "warning") == 0)
				opts->fail_on = SEVERITY_WARNING;
			else if (strcmp(optarg, "info") == 0)
				opts->fail_on = SEVERITY_INFO;
			else
				return fail(opts,
					    "unknown level '%s' for --fail-on (expected error, warning or info)",
					    optarg);
			break;
		case OPT_FIX:
			opts->fix = true;
			break;
		case OPT_DRY_RUN:
			opts->dry_run = true;
			break;
		case OPT_NO_APPLY:
			opts->no_apply = true;
			break;
		case OPT_PRINT_INVENTORY:
			opts->print_inventory = true;
			break;
		case OPT_SNAPSHOT:
			opts->snapshot = true;
			break;
		case OPT_JOURNAL:
			opts->journal = true;
			break;
		case 'q':
			opts->quiet = true;
			break;
		case 'v':
			opts->verbose++;
			break;
		case OPT_VERSION:
			opts->action = ACTION_VERSION;
			break;
		case 'h':
			opts->action = ACTION_HELP;
			break;
		case ':':
			return fail(opts, "option '%s' needs an argument", argv[optind - 1]);
		default: {
			const char *arg = argv[optind - 1];

			/* glibc sets optopt for a known option given an unwanted argument. */
			if (optopt && strncmp(arg, "--", 2) == 0)
				return fail(opts, "option '%.*s' takes no argument",
					    (int)strcspn(arg, "="), arg);
			if (optopt)
				return fail(opts, "unknown option '-%c'", optopt);
			return fail(opts, "unknown option '%s'", arg);
		}
		}
	}
	if (optind < argc)
		return fail(opts, "unexpected argument '%s'", argv[optind]);
	if ((opts->dry_run || opts->no_apply) && !opts->fix)
		return fail(opts, "%s only makes sense with --fix",
			    opts->dry_run ? "--dry-run" : "--no-apply");
	if (opts->print_inventory && opts->fix)
		return fail(opts, "--print-inventory excludes --fix");
	if (opts->snapshot && (opts->fix || opts->print_inventory))
		return fail(opts, "--snapshot excludes %s", opts->fix ? "--fix" : "--print-inventory");
	if (opts->quiet && opts->verbose)
		return fail(opts, "--quiet and --verbose exclude each other");
	return 0;
}

void options_done(struct options *opts)
{
	free(opts->inventories);
	opts->inventories = NULL;
	opts->n_inventories = 0;
}
