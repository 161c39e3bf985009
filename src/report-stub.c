/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * INTERIM, removed when report-text.c and report-journal.c land (a few hours at
 * most): a plain rendering so that the binary links and the end-to-end tests
 * being written against the JSON output can run.  Not the text report of
 * DESIGN §6.
 */
#include <stdio.h>

#include "portaudit/report.h"
#include "portaudit/snapshot.h"

size_t report_evidence_line(const struct snapshot *snap, const struct evidence *e, char *buf,
			    size_t size)
{
	(void)snap;
	return (size_t)snprintf(buf, size, "%s", e->text ? e->text : "");
}

int report_text(FILE *f, const struct report_input *in, const struct report_text_options *o)
{
	(void)o;
	for (size_t i = 0; i < in->findings->n; i++) {
		const struct finding *x = &in->findings->v[i];
		fprintf(f, "%s: %s: %s %u: %s\n  fix: %s\n", severity_to_string(x->severity),
			finding_id_to_string(x->id), x->service ? x->service : "-", x->port,
			x->message, x->remediation);
	}
	return 0;
}

bool report_want_color(FILE *f)
{
	(void)f;
	return false;
}

bool report_journal_stream(void)
{
	return false;
}

int report_journal(const struct report_input *in)
{
	(void)in;
	return 0;
}
