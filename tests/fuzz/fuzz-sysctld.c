/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sysctl.d line parser and the next-boot simulation on arbitrary bytes,
 * read as one file that both tools apply and that procps applies once more
 * as /etc/sysctl.conf.  Checked beyond "no crash": keys come out normalized
 * (normalizing again changes nothing), values stripped, lines ascending;
 * systemd-sysctl writes a key once by name or once per matching glob; and the simulated kernel never
 * ends in a state it would refuse (a reversed range, or a range starting below
 * ip_unprivileged_port_start).
 */
#include <errno.h>
#include <string.h>

#include "portaudit/diag.h"
#include "portaudit/sysctld.h"

#include "fuzz.h"

static const char *const want[] = {
	"net/ipv4/ip_local_reserved_ports",
	"net/ipv4/ip_local_port_range",
	"net/ipv4/ip_unprivileged_port_start",
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sysctld c = { 0 };
	struct sysctld_file files[2] = {
		{ .path = (char *)"/etc/sysctl.d/fuzz.conf", .used = { true, true } },
		{ .path = (char *)"/etc/sysctl.conf", .used = { false, true }, .final_pass = true },
	};
	size_t order_systemd[] = { 0 }, order_procps[] = { 0, 1 };
	struct diag notes;
	int r;

	diag_init(&notes, 0);
	c.files = files;
	c.n_files = 2;
	c.order[SYSCTLD_SYSTEMD] = order_systemd;
	c.n_order[SYSCTLD_SYSTEMD] = 1;
	c.order[SYSCTLD_PROCPS] = order_procps;
	c.n_order[SYSCTLD_PROCPS] = 2;

	for (size_t f = 0; f < 2; f++) {
		size_t first = c.n_assignments;

		r = sysctld_parse_buffer(&c, f, (const char *)data, size, want, ARRAY_SIZE(want),
					 &notes);
		if (r == -ENOMEM)
			goto out;
		FUZZ_CHECK(r == 0, "sysctld_parse_buffer() returned %d", r);
		files[f].first_assignment = first;
		files[f].n_assignments = c.n_assignments - first;
	}
	FUZZ_CHECK(files[0].n_assignments == files[1].n_assignments,
		   "the same bytes gave %zu and %zu assignments", files[0].n_assignments,
		   files[1].n_assignments);

	for (size_t i = 0; i < c.n_assignments; i++) {
		const struct sysctld_assignment *a = &c.assignments[i];
		char again[256], why[512];
		size_t vl;

		FUZZ_CHECK(a->line >= 1, "assignment %zu has line 0", i);
		FUZZ_CHECK(i == 0 || a->file != a[-1].file || a->line > a[-1].line,
			   "assignment %zu is not after the one before", i);
		if (strlen(a->key) < sizeof(again)) {
			strcpy(again, a->key);
			FUZZ_CHECK(strcmp(sysctld_normalize_key(again), a->key) == 0,
				   "key '%s' normalizes to '%s'", a->key, again);
		}
		if (a->value) {
			vl = strlen(a->value);
			FUZZ_CHECK(vl == 0 || (!is_ws(a->value[0]) && !is_ws(a->value[vl - 1])),
				   "value '%s' is not stripped", a->value);
			for (size_t k = 0; k < ARRAY_SIZE(want); k++)
				for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++)
					(void)sysctld_value_problem(want[k], a->value, t, why,
								    sizeof(why));
		}
	}

	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		struct sysctld_boot b;

		if (t == SYSCTLD_SYSTEMD)
			for (size_t k = 0; k < ARRAY_SIZE(want); k++) {
				const struct sysctld_assignment *w[64];
				size_t n = sysctld_writes(&c, t, want[k], w, ARRAY_SIZE(w));

				/* Several writes only come from globs, one per matching glob. */
				for (size_t i = 0; n > 1 && i < n && i < ARRAY_SIZE(w); i++)
					FUZZ_CHECK(w[i]->glob,
						   "systemd-sysctl writes %s %zu times, once by name",
						   want[k], n);
			}
		r = sysctld_next_boot(&c, t, &b);
		if (r == -ENOMEM)
			goto out;
		FUZZ_CHECK(r == 0, "sysctld_next_boot() returned %d", r);
		FUZZ_CHECK(b.range_lo <= b.range_hi, "range %u-%u is reversed", b.range_lo,
			   b.range_hi);
		FUZZ_CHECK(b.range_lo >= b.unprivileged_start,
			   "range starts at %u, below the unprivileged start %u", b.range_lo,
			   b.unprivileged_start);
	}
out:
	/* The files and orders are this function's own: only the parsed part is freed. */
	for (size_t i = 0; i < c.n_assignments; i++) {
		free(c.assignments[i].key);
		free(c.assignments[i].value);
	}
	free(c.assignments);
	diag_done(&notes);
	return 0;
}
