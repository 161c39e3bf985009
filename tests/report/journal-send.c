/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The journal reporter's test driver (tests/report/journal.sh, catalog.sh):
 *   journal-send send      report_journal() on the sample findings
 *   journal-send send-big  the same for one finding whose remediation is BIG_SIZE bytes,
 *                          more than any journal client socket buffer takes in one datagram
 *   journal-send stream    "yes" or "no": report_journal_stream()
 *   journal-send ids       "ID MESSAGE_ID" of every finding id
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

/* libsystemd's client asks for an 8 MiB send buffer (doubled by the kernel): exceed it. */
#define BIG_SIZE (20u * 1024u * 1024u)

static int send_big(struct sample *s)
{
	struct finding *f = &s->findings.v[sample_find(s, FINDING_PORT_HELD)];
	struct findings one = { .v = f, .n = 1, .count = { [SEVERITY_ERROR] = 1 } };
	struct report_input in = s->in;
	char *big = malloc(BIG_SIZE + 1);

	if (!big)
		return -1;
	/* A newline in the middle makes it a binary field too. */
	memset(big, 'x', BIG_SIZE);
	big[BIG_SIZE / 2] = '\n';
	big[BIG_SIZE] = '\0';
	free(f->remediation);
	f->remediation = big;
	in.findings = &one;
	return report_journal(&in);
}

int main(int argc, char *argv[])
{
	struct sample s;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: journal-send send|send-big|stream|ids\n");
		return 2;
	}
	if (strcmp(argv[1], "stream") == 0) {
		puts(report_journal_stream() ? "yes" : "no");
		return 0;
	}
	if (strcmp(argv[1], "ids") == 0) {
		for (int id = 0; id < _FINDING_ID_MAX; id++)
			printf("%s %s\n", finding_id_to_string((enum finding_id)id),
			       finding_id_message_id((enum finding_id)id));
		return 0;
	}
	sample_init(&s);
	if (strcmp(argv[1], "send") == 0)
		r = report_journal(&s.in);
	else if (strcmp(argv[1], "send-big") == 0)
		r = send_big(&s);
	else {
		fprintf(stderr, "journal-send: unknown mode '%s'\n", argv[1]);
		sample_done(&s);
		return 2;
	}
	sample_done(&s);
	if (r < 0) {
		fprintf(stderr, "journal-send: report_journal: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
