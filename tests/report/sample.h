/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_TESTS_REPORT_SAMPLE_H
#define PORTAUDIT_TESTS_REPORT_SAMPLE_H

/*
 * A hand-built audit for the reporters' tests: a small snapshot (kernel values,
 * sysctl.d assignments, sockets with and without owners, a socket unit, notes),
 * an inventory parsed from YAML, and ten findings, one of each id, with every
 * kind of evidence, every severity, service NULL and not, port 0 and a port
 * list, and a reserved list long enough to be cut.  The findings are in no
 * particular order (not report order) so that grouping is the reporter's job.
 */

#include "portaudit/finding.h"
#include "portaudit/inventory.h"
#include "portaudit/report.h"
#include "portaudit/snapshot.h"

#define SAMPLE_INVENTORY_FILE "/etc/portaudit/inventory.yaml"
/* The even ports 28000..29998 of the long reserved list in ephemeral-pool-small's evidence. */
#define SAMPLE_LONG_PORTS 1000u

struct sample {
	struct snapshot snap;
	struct inventory *inv;
	struct findings findings;
	struct report_input in;
	/* what snap points to */
	struct sockrec listeners[2], udp[1], held[4];
	struct owner owners[5];
	struct socket_unit unit;
	struct unit_listen listen;
	struct sysctld_file files[2];
	struct sysctld_assignment assignments[2];
	size_t order[2];
};

/* Build the sample into s (which must stay where it is); aborts on failure. */
void sample_init(struct sample *s);
/* Free what sample_init() allocated. */
void sample_done(struct sample *s);
/* Index in s->findings of the finding with id; aborts when there is none. */
size_t sample_find(const struct sample *s, enum finding_id id);

#endif
