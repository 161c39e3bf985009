/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_OPTIONS_H
#define PORTAUDIT_OPTIONS_H

/* The command line of DESIGN §6, parsed into a struct; prints nothing. */

#include <stdbool.h>
#include <stddef.h>

#include "portaudit/finding.h"

enum exit_code {
	EXIT_CLEAN = 0,    /* no finding at or above --fail-on */
	EXIT_FINDINGS = 1, /* findings at or above --fail-on */
	EXIT_BAD_INPUT = 2,
	EXIT_FIX_FAILED = 3,
};

enum output_format {
	FORMAT_TEXT,
	FORMAT_JSON,
};

enum options_action {
	ACTION_AUDIT,
	ACTION_HELP,
	ACTION_VERSION,
};

struct options {
	enum options_action action;
	const char *root;           /* --root, NULL for "/" */
	const char **inventories;   /* -c, repeatable; NULL-terminated, malloc'd array */
	size_t n_inventories;
	enum output_format format;
	enum severity fail_on;
	bool fix, dry_run, no_apply, print_inventory, journal;
	bool snapshot;              /* --snapshot: print what was read of the host as JSON */
	bool quiet;
	unsigned verbose;
	char error[256]; /* why options_parse() failed, one line */
};

/*
 * Parse argv.  Returns 0, or -EINVAL with opts->error set to a one-line message.
 * Strings point into argv.
 */
int options_parse(int argc, char *argv[], struct options *opts);

/* Release what options_parse() allocated. */
void options_done(struct options *opts);

/* The text of --help. */
const char *options_help(void);

#endif
