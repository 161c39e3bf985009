/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_REPORT_H
#define PORTAUDIT_REPORT_H

/*
 * Reporters: turn the findings (and the snapshot and inventory they came from)
 * into output for people (text), programs (JSON) and the journal.  Only they
 * and main.c print.
 */

#include <stdbool.h>
#include <stdio.h>

#include "portaudit/finding.h"

struct inventory;
struct snapshot;
struct json_object;
struct fix_result;

/* Everything a report is made from; findings point into inv and snap. */
struct report_input {
	const struct inventory *inv;
	const struct snapshot *snap;
	const struct findings *findings;
	enum severity fail_on;           /* --fail-on: the summary's exit verdict */
	const struct fix_result *fix;    /* --fix: what it did, or NULL */
};

/* The exit status the report announces: 3 when --fix failed, else by fail_on. */
int report_exit_status(const struct report_input *in);

struct report_text_options {
	bool color;            /* ANSI colours; see report_want_color() */
	bool quiet;            /* only the findings at or above fail_on: no header, notes, summary */
	unsigned verbose;      /* 1: the host summary and every note in full */
	enum severity fail_on; /* for the summary line's verdict and --quiet */
};

/*
 * The snapshot as a JSON object (documented in portaudit(8), "SNAPSHOT"):
 * kernel values, the sysctl.d configuration with every assignment and the value
 * at the next boot per tool, and the notes.  Returns 0 or -ENOMEM.
 */
int report_json_snapshot(const struct snapshot *s, struct json_object **ret);

/*
 * The audit as one JSON object (DESIGN §6; portaudit(8), "JSON OUTPUT"):
 * version, host (report_json_snapshot()), inventory, findings, summary.
 * Returns 0 or -ENOMEM.
 */
int report_json_audit(const struct report_input *in, struct json_object **ret);

/* Write obj to f, pretty-printed, with a final newline.  Returns 0 or -EIO. */
int report_json_print(struct json_object *obj, FILE *f);

/* The one-line text of one piece of evidence with the owners of its socket, into buf. */
size_t report_evidence_line(const struct snapshot *snap, const struct evidence *e, char *buf,
			    size_t size);

/*
 * The text report (DESIGN §6): a short header, findings grouped by severity
 * with their evidence indented and the remediation, the notes, and a summary
 * line.  Returns 0 or -EIO.
 */
int report_text(FILE *f, const struct report_input *in, const struct report_text_options *o);

/* Whether to colour output to f: a terminal, TERM not "dumb", and NO_COLOR unset or empty. */
bool report_want_color(FILE *f);

/*
 * Whether standard output or error is a stream to the journal: $JOURNAL_STREAM
 * ("DEVICE:INODE", systemd.exec(5)) names the same file.
 */
bool report_journal_stream(void);

/*
 * Log every finding to the journal with sd_journal_sendv(): MESSAGE,
 * MESSAGE_ID (finding_id_message_id()), PRIORITY, PORTAUDIT_ID,
 * PORTAUDIT_SEVERITY, PORTAUDIT_SERVICE, PORTAUDIT_PORT, PORTAUDIT_PORTS,
 * PORTAUDIT_PROTOCOL, PORTAUDIT_REMEDIATION and one PORTAUDIT_EVIDENCE per
 * piece of evidence; then one summary entry.  Returns 0 or the first negative
 * errno sd_journal_sendv() gave.
 */
int report_journal(const struct report_input *in);

#endif
