/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure part of --fix (include/portaudit/fix.h, DESIGN §7) on hand-built
 * snapshots: the desired set D under each policy, the union with every other
 * file's assignment, what the live value releases, what would still override
 * the fragment at the next boot, masking, the size advice, no-op detection,
 * the fragment's text, the unified diff (checked with patch(1) where it is
 * installed) and the snapshot update that follows a fix.  Files are added to
 * the snapshot in the order both tools would apply them (sorted by name), as
 * the builder applies them in the order they are added.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "portaudit/finding.h"
#include "portaudit/fix.h"
#include "portaudit/inventory.h"
#include "portaudit/policy.h"
#include "portaudit/snapshot.h"
#include "snapbuild.h"

#define OK(expr) assert_int_equal((expr), 0)

/* The kernel defaults of a fresh network namespace. */
#define DEF_LO 32768
#define DEF_HI 60999

#define FRAG FIX_FRAGMENT_PATH
#define INV(services) "version: 1\nservices:\n" services
#define POLICY(reserve) "policy:\n  reserve: " reserve "\n"
#define RESERVED(v) "net.ipv4.ip_local_reserved_ports = " v "\n"
#define ASSIGN_PREFIX "net.ipv4.ip_local_reserved_ports = "

static const char *const port_keys[] = {
	"net/ipv4/ip_local_reserved_ports",
	"net/ipv4/ip_local_port_range",
	"net/ipv4/ip_unprivileged_port_start",
};

struct t {
	struct snapshot snap;
	struct inventory *inv;
	struct fix_current cur;
	struct fix_plan plan;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	if (!t || snapbuild_init(&t->snap, DEF_LO, DEF_HI) < 0) {
		free(t);
		return -1;
	}
	t->cur.kind = FIX_CURRENT_ABSENT;
	diag_init(&t->plan.warnings, 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	/* The plan points into the snapshot and the current fragment: it goes first. */
	fix_plan_done(&t->plan);
	fix_current_done(&t->cur);
	inventory_free(t->inv);
	snapshot_done(&t->snap);
	free(t);
	return 0;
}

static void inv(struct t *t, const char *yaml)
{
	struct diag d;
	char line[512];
	int k;

	inventory_free(t->inv);
	t->inv = NULL;
	diag_init(&d, 0);
	k = snapbuild_inventory(yaml, &d, &t->inv);
	for (size_t i = 0; i < d.n; i++) {
		diag_format(&d.entries[i], line, sizeof(line));
		print_error("%s\n", line);
	}
	diag_done(&d);
	OK(k);
}

static void file(struct t *t, const char *path, const char *content)
{
	OK(snapbuild_sysctld_file(&t->snap, path, content));
}

static void reserve(struct t *t, const char *list)
{
	OK(snapbuild_reserve(&t->snap, list));
}

/* The fragment as fix_read_current() would find a regular file holding text. */
static void current_file(struct t *t, const char *text, size_t len)
{
	fix_current_done(&t->cur);
	t->cur.kind = FIX_CURRENT_FILE;
	t->cur.text = malloc(len + 1);
	assert_non_null(t->cur.text);
	memcpy(t->cur.text, text, len);
	t->cur.text[len] = '\0';
	t->cur.len = len;
}

static void compute(struct t *t)
{
	fix_plan_done(&t->plan);
	OK(fix_plan_compute(t->inv, &t->snap, &t->cur, FRAG, &t->plan));
}

static void assert_set(const struct portset *s, const char *expect)
{
	_cleanup_free_ char *got = NULL;

	OK(portset_format_alloc(s, &got));
	assert_string_equal(got, expect);
}

static void print_diag(const struct diag *d)
{
	char line[1024];

	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->entries[i], line, sizeof(line));
		print_message("  %s\n", line);
	}
}

/* The warning of the plan at index i: its file, line and words of its message. */
static void assert_warning(const struct fix_plan *p, size_t i, const char *file, unsigned line,
			   const char *needle1, const char *needle2)
{
	const struct diag_entry *e;

	if (i >= p->warnings.n)
		print_diag(&p->warnings);
	assert_true(i < p->warnings.n);
	e = &p->warnings.entries[i];
	assert_string_equal(e->file, file);
	assert_int_equal(e->line, line);
	if (needle1 && !strstr(e->message, needle1))
		fail_msg("warning '%s' lacks '%s'", e->message, needle1);
	if (needle2 && !strstr(e->message, needle2))
		fail_msg("warning '%s' lacks '%s'", e->message, needle2);
}

static void assert_no_warnings(const struct fix_plan *p)
{
	if (p->warnings.total != 0)
		print_diag(&p->warnings);
	assert_int_equal(p->warnings.total, 0);
}

/*
 * The text is a fragment as the tools read it: comments, and exactly one
 * assignment of the reserved ports with the value expect (NULL: none), which
 * the kernel takes as written.
 */
static void assert_fragment(const char *text, size_t len, const char *expect)
{
	struct sysctld c = { 0 };
	struct diag notes;
	char buf[256];

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_true(len > 0 && text[len - 1] == '\n');
	diag_init(&notes, 0);
	OK(sysctld_parse_buffer(&c, 0, text, len, port_keys, ARRAY_SIZE(port_keys), &notes));
	assert_int_equal(notes.total, 0);
	diag_done(&notes);
	if (!expect) {
		assert_int_equal(c.n_assignments, 0);
		sysctld_done(&c);
		return;
	}
	assert_int_equal(c.n_assignments, 1);
	assert_string_equal(c.assignments[0].key, "net/ipv4/ip_local_reserved_ports");
	assert_false(c.assignments[0].glob);
	assert_false(c.assignments[0].ignore_failure);
	assert_string_equal(c.assignments[0].value, expect);
	assert_null(sysctld_value_problem(c.assignments[0].key, c.assignments[0].value,
					  SYSCTLD_SYSTEMD, buf, sizeof(buf)));
	sysctld_done(&c);
	/* Written in the canonical spelling, on a line of its own. */
	snprintf(buf, sizeof(buf), "\n" ASSIGN_PREFIX "%s\n", expect);
	assert_non_null(strstr(text, buf));
}

static size_t file_index(const struct sysctld *c, const char *path)
{
	for (size_t i = 0; i < c->n_files; i++)
		if (strcmp(c->files[i].path, path) == 0)
			return i;
	fail_msg("no file %s in the configuration", path);
	return SIZE_MAX;
}

/* The paths of the tool's order, joined with spaces. */
static void assert_order(const struct sysctld *c, enum sysctld_tool t, const char *expect)
{
	char got[1024] = "";
	size_t len = 0;

	for (size_t o = 0; o < c->n_order[t]; o++) {
		int n = snprintf(got + len, sizeof(got) - len, "%s%s", o ? " " : "",
				 c->files[c->order[t][o]].path);

		assert_true(n > 0 && (size_t)n < sizeof(got) - len);
		len += (size_t)n;
	}
	assert_string_equal(got, expect);
}

static const struct sysctld_file *assignment_file(const struct sysctld *c,
						  const struct sysctld_assignment *a)
{
	assert_non_null(a);
	assert_true(a >= c->assignments && a < c->assignments + c->n_assignments);
	return &c->files[a->file];
}

/* The plan is a fix with nothing overridden, no warning and nothing kept. */
static void assert_clean_plan(const struct fix_plan *p)
{
	assert_int_equal(p->skip, FIX_SKIP_NONE);
	assert_false(p->overridden[SYSCTLD_SYSTEMD]);
	assert_false(p->overridden[SYSCTLD_PROCPS]);
	assert_no_warnings(p);
}

/* ---- D ---- */

#define EDGES                                                                              \
	INV("  edges: {ports: [32767, 32768]}\n"                                            \
	    "  span: {ports: [\"60990-61010\"]}\n"                                          \
	    "  dns: {ports: [40053], protocol: [udp]}\n"                                    \
	    "  low: {ports: [22]}\n"                                                        \
	    "  accepted: {ports: [50000], reserve: false}\n")

static void test_desired_ephemeral(void **state)
{
	struct t *t = *state;

	inv(t, EDGES);
	compute(t);
	/* Inside 32768..60999 only: the ends are in, one beyond each end is not. */
	assert_set(&t->plan.desired, "32768,40053,60990-60999");
	assert_set(&t->plan.fragment, "32768,40053,60990-60999");
	assert_set(&t->plan.others, "");
	assert_set(&t->plan.previous, "");
	assert_int_equal(t->plan.n_kept, 0);
	assert_fragment(t->plan.text, t->plan.len, "32768,40053,60990-60999");
	assert_int_equal(t->plan.value_len, strlen("32768,40053,60990-60999"));
	assert_set(&t->plan.live_before, "");
	assert_set(&t->plan.live_after, "32768,40053,60990-60999");
	assert_true(t->plan.live_changed);
	assert_true(t->plan.fragment_changed);
	assert_true(t->plan.changed);
	assert_clean_plan(&t->plan);
	/* The simulated next boot with the new fragment in place reserves D. */
	for (int tool = 0; tool < _SYSCTLD_TOOL_MAX; tool++) {
		assert_set(&t->plan.boot[tool].reserved, "32768,40053,60990-60999");
		assert_string_equal(assignment_file(&t->plan.model,
						    t->plan.boot[tool].reserved_from)->path,
				    FRAG);
	}
}

static void test_desired_all(void **state)
{
	struct t *t = *state;

	inv(t, EDGES POLICY("all"));
	compute(t);
	/* Every port of a reserve: true service, in or out of the range, tcp or udp. */
	assert_set(&t->plan.desired, "22,32767-32768,40053,60990-61010");
	assert_fragment(t->plan.text, t->plan.len, "22,32767-32768,40053,60990-61010");
	assert_set(&t->plan.live_after, "22,32767-32768,40053,60990-61010");
	assert_clean_plan(&t->plan);
}

static void test_desired_none(void **state)
{
	struct t *t = *state;
	_cleanup_free_ char *diff = NULL;

	reserve(t, "40000");
	inv(t, EDGES POLICY("none"));
	compute(t);
	assert_set(&t->plan.desired, "");
	/* Nothing wanted and no fragment yet: no fragment is written, live stays. */
	assert_null(t->plan.text);
	assert_int_equal(t->plan.len, 0);
	assert_false(t->plan.fragment_changed);
	assert_set(&t->plan.live_after, "40000");
	assert_false(t->plan.live_changed);
	assert_false(t->plan.changed);
	assert_clean_plan(&t->plan);
	OK(fix_plan_diff(&t->plan, FRAG, FIX_RESERVED_PROC, &diff));
	assert_string_equal(diff, "");
}

static void test_desired_next_boot_range(void **state)
{
	struct t *t = *state;

	/* systemd-sysctl sets 20000..29999 at the next boot; procps then 10000..10999. */
	file(t, "/etc/sysctl.d/50-range.conf", "net.ipv4.ip_local_port_range = 20000 29999\n");
	file(t, "/etc/sysctl.conf", "net.ipv4.ip_local_port_range = 10000 10999\n");
	assert_int_equal(t->snap.boot[SYSCTLD_SYSTEMD].range_lo, 20000);
	assert_int_equal(t->snap.boot[SYSCTLD_PROCPS].range_lo, 10000);
	inv(t, INV("  a: {ports: [9999, 10000, 10500, 10999, 11000]}\n"
		   "  b: {ports: [19999, 20000, 25000, 29999, 30000]}\n"
		   "  c: {ports: [32767, 32768, 60999, 61000]}\n"));
	compute(t);
	/* In the live range, or in the range either tool leaves at the next boot. */
	assert_set(&t->plan.desired, "10000,10500,10999,20000,25000,29999,32768,60999");
	assert_fragment(t->plan.text, t->plan.len,
			"10000,10500,10999,20000,25000,29999,32768,60999");
	assert_clean_plan(&t->plan);
}

static void test_desired_one_port_range(void **state)
{
	struct t *t = *state;

	/* A range of one port, now (45000) or at the next boot (50000), is a range too. */
	OK(snapbuild_range(&t->snap, 45000, 45000));
	file(t, "/etc/sysctl.d/50-range.conf", "net.ipv4.ip_local_port_range = 50000 50000\n");
	assert_int_equal(t->snap.boot[SYSCTLD_SYSTEMD].range_hi, 50000);
	inv(t, INV("  a: {ports: [44999, 45000, 45001, 49999, 50000, 50001]}\n"));
	compute(t);
	assert_set(&t->plan.desired, "45000,50000");
	assert_clean_plan(&t->plan);
}

/* ---- others: the union with every other file ---- */

static void test_union_files(void **state)
{
	struct t *t = *state;

	file(t, "/etc/sysctl.d/10-a.conf", "# ours\n" RESERVED("1000-1002"));
	file(t, "/usr/lib/sysctl.d/50-b.conf", "net/ipv4/ip_local_reserved_ports=2000,2002\n");
	file(t, "/etc/sysctl.d/60-glob.conf", "net.ipv4.ip_local_reserved_port? = 3000\n");
	file(t, "/run/sysctl.d/70-c.conf", "kernel.x = 1\n\n-" RESERVED(" 4000-4001 "));
	reserve(t, "4000-4001");
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_set(&t->plan.desired, "40000");
	assert_set(&t->plan.others, "1000-1002,2000,2002,3000,4000-4001");
	assert_set(&t->plan.fragment, "1000-1002,2000,2002,3000,4000-4001,40000");
	assert_fragment(t->plan.text, t->plan.len, "1000-1002,2000,2002,3000,4000-4001,40000");
	assert_int_equal(t->plan.n_kept, 4);
	assert_string_equal(t->plan.kept[0].source, "/etc/sysctl.d/10-a.conf");
	assert_int_equal(t->plan.kept[0].line, 2);
	assert_set(&t->plan.kept[0].ports, "1000-1002");
	assert_string_equal(t->plan.kept[1].source, "/usr/lib/sysctl.d/50-b.conf");
	assert_int_equal(t->plan.kept[1].line, 1);
	assert_set(&t->plan.kept[1].ports, "2000,2002");
	assert_string_equal(t->plan.kept[2].source, "/etc/sysctl.d/60-glob.conf");
	assert_set(&t->plan.kept[2].ports, "3000");
	assert_string_equal(t->plan.kept[3].source, "/run/sysctl.d/70-c.conf");
	assert_int_equal(t->plan.kept[3].line, 3);
	assert_set(&t->plan.kept[3].ports, "4000-4001");
	/* Nobody's port is released; D joins the live value. */
	assert_set(&t->plan.live_after, "4000-4001,40000");
	assert_clean_plan(&t->plan);
	/* At the next boot the fragment comes last: its union is what both tools leave. */
	assert_set(&t->plan.boot[SYSCTLD_SYSTEMD].reserved,
		   "1000-1002,2000,2002,3000,4000-4001,40000");
	assert_set(&t->plan.boot[SYSCTLD_PROCPS].reserved,
		   "1000-1002,2000,2002,3000,4000-4001,40000");
}

static void test_union_octal(void **state)
{
	struct t *t = *state;

	file(t, "/etc/sysctl.d/20-octal.conf", "# x\n\n" RESERVED("010,8080"));
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	/* The kernel reads 010 as 8: the fragment keeps 8, not 10, and says why. */
	assert_set(&t->plan.others, "8,8080");
	assert_fragment(t->plan.text, t->plan.len, "8,8080,40000");
	assert_int_equal(t->plan.n_kept, 1);
	assert_set(&t->plan.kept[0].ports, "8,8080");
	assert_int_equal(t->plan.kept[0].line, 3);
	assert_int_equal(t->plan.warnings.total, 1);
	assert_warning(&t->plan, 0, "/etc/sysctl.d/20-octal.conf", 3, "'010'", "octal");
	assert_false(t->plan.overridden[SYSCTLD_SYSTEMD]);
}

static void test_union_refused(void **state)
{
	struct t *t = *state;

	file(t, "/etc/sysctl.d/10-good.conf", RESERVED("5000"));
	file(t, "/etc/sysctl.d/30-bad.conf", "\n" RESERVED("1000, 2000"));
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	/* The kernel refuses "1000, 2000" whole: it reserves nothing, so nothing is kept. */
	assert_set(&t->plan.others, "5000");
	assert_fragment(t->plan.text, t->plan.len, "5000,40000");
	assert_int_equal(t->plan.n_kept, 1);
	assert_string_equal(t->plan.kept[0].source, "/etc/sysctl.d/10-good.conf");
	assert_int_equal(t->plan.warnings.total, 1);
	assert_warning(&t->plan, 0, "/etc/sysctl.d/30-bad.conf", 2, "refuses", NULL);
	/* It comes before the fragment: not an override. */
	assert_false(t->plan.overridden[SYSCTLD_SYSTEMD]);
	assert_false(t->plan.overridden[SYSCTLD_PROCPS]);
}

/* ---- previous and the live value after ---- */

static void test_release(void **state)
{
	struct t *t = *state;
	static const char old[] = "# an earlier run\n" RESERVED("40000,41000,42000,43000");

	/*
	 * The fragment reserved 40000-43000 (thousands); 42000 is also another file's,
	 * 43000 is still wanted, 44000 was set by hand, 45000 is new.
	 */
	file(t, "/etc/sysctl.d/10-other.conf", RESERVED("42000"));
	file(t, FRAG, old);
	current_file(t, old, strlen(old));
	reserve(t, "40000,41000,42000,43000,44000");
	inv(t, INV("  a: {ports: [43000, 45000]}\n"));
	compute(t);
	assert_set(&t->plan.previous, "40000,41000,42000,43000");
	assert_set(&t->plan.others, "42000");
	assert_set(&t->plan.desired, "43000,45000");
	/* The fragment's own line is neither kept nor part of others. */
	assert_int_equal(t->plan.n_kept, 1);
	assert_string_equal(t->plan.kept[0].source, "/etc/sysctl.d/10-other.conf");
	assert_fragment(t->plan.text, t->plan.len, "42000,43000,45000");
	assert_set(&t->plan.live_before, "40000,41000,42000,43000,44000");
	assert_set(&t->plan.live_after, "42000,43000,44000,45000");
	assert_true(t->plan.live_changed);
	assert_true(t->plan.fragment_changed);
	assert_true(t->plan.changed);
	assert_clean_plan(&t->plan);
}

static void test_release_nothing(void **state)
{
	struct t *t = *state;
	static const char old[] = RESERVED("40000");

	/* The fragment reserved 40000 and D still wants it: nothing is released. */
	file(t, FRAG, old);
	current_file(t, old, strlen(old));
	reserve(t, "40000,50000");
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_set(&t->plan.previous, "40000");
	assert_set(&t->plan.live_after, "40000,50000");
	assert_false(t->plan.live_changed);
	/* The old file lacks the header: rewritten all the same. */
	assert_true(t->plan.fragment_changed);
	assert_true(t->plan.changed);
}

/* ---- what would still override the fragment at the next boot ---- */

static void test_override_later_file(void **state)
{
	struct t *t = *state;

	file(t, "/etc/sysctl.d/zz-x.conf", "# local\n" RESERVED("1000"));
	reserve(t, "1000");
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_fragment(t->plan.text, t->plan.len, "1000,40000");
	/* zz-x.conf sorts after 99-zz-portaudit.conf and lacks 40000. */
	assert_order(&t->plan.model, SYSCTLD_SYSTEMD, FRAG " /etc/sysctl.d/zz-x.conf");
	assert_true(t->plan.overridden[SYSCTLD_SYSTEMD]);
	assert_int_equal(t->plan.overrides[SYSCTLD_SYSTEMD].tool, SYSCTLD_SYSTEMD);
	assert_string_equal(t->plan.overrides[SYSCTLD_SYSTEMD].source, "/etc/sysctl.d/zz-x.conf");
	assert_int_equal(t->plan.overrides[SYSCTLD_SYSTEMD].line, 2);
	assert_false(t->plan.overrides[SYSCTLD_SYSTEMD].refused);
	assert_set(&t->plan.overrides[SYSCTLD_SYSTEMD].dropped, "40000");
	assert_set(&t->plan.boot[SYSCTLD_SYSTEMD].reserved, "1000");
	assert_true(t->plan.overridden[SYSCTLD_PROCPS]);
	assert_string_equal(t->plan.overrides[SYSCTLD_PROCPS].source, "/etc/sysctl.d/zz-x.conf");
	/* Failing under systemd-sysctl is fix_execute()'s to report, not a warning. */
	assert_no_warnings(&t->plan);
}

static void test_override_superset(void **state)
{
	struct t *t = *state;

	file(t, "/etc/sysctl.d/10-a.conf", RESERVED("2000"));
	file(t, "/etc/sysctl.d/zz-x.conf", RESERVED("1000,39990-40010"));
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_fragment(t->plan.text, t->plan.len, "1000,2000,39990-40010");
	assert_clean_plan(&t->plan);
	assert_null(t->plan.overrides[SYSCTLD_SYSTEMD].source);
	assert_set(&t->plan.overrides[SYSCTLD_SYSTEMD].dropped, "");
	/* zz-x.conf wins, and holds D. */
	assert_string_equal(assignment_file(&t->plan.model,
					    t->plan.boot[SYSCTLD_SYSTEMD].reserved_from)->path,
			    "/etc/sysctl.d/zz-x.conf");
}

static void test_override_refused(void **state)
{
	struct t *t = *state;

	file(t, "/etc/sysctl.d/zz-x.conf", RESERVED("1000, 2000"));
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	/*
	 * systemd-sysctl writes only the last assignment, which the kernel refuses:
	 * the set stays empty.  procps writes the fragment first, and the refused
	 * write after it leaves the fragment's value in place.
	 */
	assert_true(t->plan.overridden[SYSCTLD_SYSTEMD]);
	assert_true(t->plan.overrides[SYSCTLD_SYSTEMD].refused);
	assert_string_equal(t->plan.overrides[SYSCTLD_SYSTEMD].source, "/etc/sysctl.d/zz-x.conf");
	assert_int_equal(t->plan.overrides[SYSCTLD_SYSTEMD].line, 1);
	assert_set(&t->plan.overrides[SYSCTLD_SYSTEMD].dropped, "40000");
	assert_false(t->plan.overridden[SYSCTLD_PROCPS]);
	assert_set(&t->plan.boot[SYSCTLD_PROCPS].reserved, "40000");
	/* The only warning is the refused value itself. */
	assert_int_equal(t->plan.warnings.total, 1);
	assert_warning(&t->plan, 0, "/etc/sysctl.d/zz-x.conf", 1, "refuses", NULL);
}

static void test_override_glob_after(void **state)
{
	struct t *t = *state;

	/* A glob never writes a key that some file sets by name: the fragment's stands. */
	file(t, "/etc/sysctl.d/zz-glob.conf", "net.ipv4.ip_local_reserved_port? = 1000\n");
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_fragment(t->plan.text, t->plan.len, "1000,40000");
	assert_clean_plan(&t->plan);
	assert_set(&t->plan.boot[SYSCTLD_SYSTEMD].reserved, "1000,40000");
}

static void test_override_exclusion(void **state)
{
	struct t *t = *state;

	/*
	 * "-key" in a later file replaces the fragment's entry in systemd-sysctl's
	 * map with one that writes nothing, so the set stays empty at the next boot
	 * (checked against systemd-sysctl 252 in a network namespace).  The fix
	 * fails, and must name the file that does it.
	 */
	file(t, "/etc/sysctl.d/zz-x.conf", "# x\n-net.ipv4.ip_local_reserved_ports\n");
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_true(t->plan.overridden[SYSCTLD_SYSTEMD]);
	assert_set(&t->plan.overrides[SYSCTLD_SYSTEMD].dropped, "40000");
	assert_set(&t->plan.boot[SYSCTLD_SYSTEMD].reserved, "");
	assert_false(t->plan.overridden[SYSCTLD_PROCPS]);
	assert_non_null(t->plan.overrides[SYSCTLD_SYSTEMD].source);
	assert_string_equal(t->plan.overrides[SYSCTLD_SYSTEMD].source, "/etc/sysctl.d/zz-x.conf");
	assert_int_equal(t->plan.overrides[SYSCTLD_SYSTEMD].line, 2);
}

static void test_override_sysctl_conf(void **state)
{
	struct t *t = *state;

	file(t, "/etc/sysctl.conf", "#\n#\n" RESERVED("1000"));
	inv(t, INV("  a: {ports: [40000, 40002]}\n"));
	compute(t);
	/* Its ports join the union; procps applies it again last, systemd-sysctl never. */
	assert_fragment(t->plan.text, t->plan.len, "1000,40000,40002");
	assert_int_equal(t->plan.n_kept, 1);
	assert_string_equal(t->plan.kept[0].source, "/etc/sysctl.conf");
	assert_order(&t->plan.model, SYSCTLD_PROCPS, FRAG " /etc/sysctl.conf");
	assert_false(t->plan.overridden[SYSCTLD_SYSTEMD]);
	assert_true(t->plan.overridden[SYSCTLD_PROCPS]);
	assert_string_equal(t->plan.overrides[SYSCTLD_PROCPS].source, "/etc/sysctl.conf");
	assert_int_equal(t->plan.overrides[SYSCTLD_PROCPS].line, 3);
	assert_set(&t->plan.overrides[SYSCTLD_PROCPS].dropped, "40000,40002");
	assert_int_equal(t->plan.warnings.total, 1);
	assert_warning(&t->plan, 0, "/etc/sysctl.conf", 3, "procps", "40000,40002");
}

static void test_override_long_list(void **state)
{
	struct t *t = *state;
	const struct diag_entry *e;
	const char *m;
	char yaml[1024];
	size_t len;

	/* 30 isolated ports that only procps would drop: the warning lists them. */
	file(t, "/etc/sysctl.conf", RESERVED("1000"));
	len = (size_t)snprintf(yaml, sizeof(yaml), "%s", INV("  a:\n    ports: ["));
	for (unsigned i = 0; i < 30; i++)
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "%s%u", i ? ", " : "",
					40000 + 2 * i);
	len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "]\n");
	assert_true(len < sizeof(yaml));
	inv(t, yaml);
	compute(t);
	assert_true(t->plan.overridden[SYSCTLD_PROCPS]);
	assert_int_equal(portset_count(&t->plan.overrides[SYSCTLD_PROCPS].dropped), 30);
	assert_int_equal(t->plan.warnings.total, 1);
	e = &t->plan.warnings.entries[0];
	print_message("%s\n", e->message);
	/* Every number in it is a port that is dropped: none is cut short. */
	for (m = e->message; *m;) {
		char *end;
		unsigned long v;

		if (*m < '0' || *m > '9') {
			m++;
			continue;
		}
		v = strtoul(m, &end, 10);
		if (v > 65535 || !portset_contains(&t->plan.overrides[SYSCTLD_PROCPS].dropped,
						   (uint16_t)v))
			fail_msg("'%lu' in the warning is not a dropped port: %s", v, e->message);
		m = end;
	}
}

static void test_sysctl_conf_superset(void **state)
{
	struct t *t = *state;

	file(t, "/etc/sysctl.conf", RESERVED("1000,40000"));
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_fragment(t->plan.text, t->plan.len, "1000,40000");
	assert_clean_plan(&t->plan);
}

static void test_debian_99_sysctl(void **state)
{
	struct t *t = *state;

	/* Debian's /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf, without procps's final pass. */
	file(t, "/etc/sysctl.d/99-sysctl.conf", RESERVED("1000"));
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_order(&t->plan.model, SYSCTLD_SYSTEMD, "/etc/sysctl.d/99-sysctl.conf " FRAG);
	assert_fragment(t->plan.text, t->plan.len, "1000,40000");
	assert_clean_plan(&t->plan);
	assert_string_equal(assignment_file(&t->plan.model,
					    t->plan.boot[SYSCTLD_SYSTEMD].reserved_from)->path,
			    FRAG);
}

static void test_debian_99_sysctl_and_final_pass(void **state)
{
	struct t *t = *state;

	/* The same file through the symlink and again through procps's final pass. */
	file(t, "/etc/sysctl.d/99-sysctl.conf", RESERVED("1000"));
	file(t, "/etc/sysctl.conf", RESERVED("1000"));
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_fragment(t->plan.text, t->plan.len, "1000,40000");
	assert_false(t->plan.overridden[SYSCTLD_SYSTEMD]);
	assert_true(t->plan.overridden[SYSCTLD_PROCPS]);
	assert_string_equal(t->plan.overrides[SYSCTLD_PROCPS].source, "/etc/sysctl.conf");
	assert_int_equal(t->plan.warnings.total, 1);
	assert_warning(&t->plan, 0, "/etc/sysctl.conf", 1, "procps", "40000");
}

/* ---- skipped: masked fragment, discovery mode ---- */

static void assert_nothing_planned(struct t *t)
{
	_cleanup_free_ char *diff = NULL;

	assert_set(&t->plan.desired, "");
	assert_null(t->plan.text);
	assert_false(t->plan.fragment_changed);
	assert_false(t->plan.live_changed);
	assert_false(t->plan.changed);
	assert_true(portset_equal(&t->plan.live_after, &t->snap.kernel.reserved));
	assert_true(portset_equal(&t->plan.live_before, &t->snap.kernel.reserved));
	assert_false(t->plan.overridden[SYSCTLD_SYSTEMD]);
	assert_false(t->plan.overridden[SYSCTLD_PROCPS]);
	assert_int_equal(t->plan.model.n_files, 0);
	OK(fix_plan_diff(&t->plan, FRAG, FIX_RESERVED_PROC, &diff));
	assert_string_equal(diff, "");
}

static void test_masked(void **state)
{
	struct t *t = *state;

	/* A later file would override the fragment: a disabled fix does not care. */
	file(t, "/etc/sysctl.d/zz-x.conf", RESERVED("1000"));
	reserve(t, "1000");
	t->cur.kind = FIX_CURRENT_MASKED;
	t->cur.target = strdup("/dev/null");
	assert_non_null(t->cur.target);
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_int_equal(t->plan.skip, FIX_SKIP_DISABLED);
	assert_nothing_planned(t);
}

static void test_discovered(void **state)
{
	struct t *t = *state;

	OK(snapbuild_listen(&t->snap, "0.0.0.0:40000", -1, 10));
	OK(snapbuild_owner(&t->snap, 10, 100, "myapp", NULL));
	t->inv = inventory_new();
	assert_non_null(t->inv);
	t->inv->discovered = true;
	OK(policy_discover(&t->snap, t->inv));
	assert_non_null(inventory_find(t->inv, "myapp"));
	compute(t);
	assert_int_equal(t->plan.skip, FIX_SKIP_DISCOVERED);
	assert_nothing_planned(t);
}

/* ---- the same name in a lower directory ---- */

static void test_lower_same_name(void **state)
{
	struct t *t = *state;
	size_t lower, frag;

	file(t, "/etc/sysctl.d/50-a.conf", RESERVED("1000"));
	file(t, "/usr/lib/sysctl.d/" FIX_FRAGMENT_NAME, RESERVED("7000"));
	reserve(t, "1000,7000");
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	/* Hidden by the fragment (sysctl.d(5)): neither others nor previous. */
	assert_set(&t->plan.others, "1000");
	assert_set(&t->plan.previous, "");
	assert_int_equal(t->plan.n_kept, 1);
	assert_fragment(t->plan.text, t->plan.len, "1000,40000");
	lower = file_index(&t->plan.model, "/usr/lib/sysctl.d/" FIX_FRAGMENT_NAME);
	frag = file_index(&t->plan.model, FRAG);
	assert_false(t->plan.model.files[lower].used[SYSCTLD_SYSTEMD]);
	assert_false(t->plan.model.files[lower].used[SYSCTLD_PROCPS]);
	assert_order(&t->plan.model, SYSCTLD_SYSTEMD, "/etc/sysctl.d/50-a.conf " FRAG);
	assert_order(&t->plan.model, SYSCTLD_PROCPS, "/etc/sysctl.d/50-a.conf " FRAG);
	assert_non_null(t->plan.model.files[frag].shadowed);
	assert_string_equal(t->plan.model.files[frag].shadowed[0],
			    "/usr/lib/sysctl.d/" FIX_FRAGMENT_NAME);
	assert_null(t->plan.model.files[frag].shadowed[1]);
	assert_set(&t->plan.boot[SYSCTLD_SYSTEMD].reserved, "1000,40000");
	/* Not the fragment's port: the live 7000 is nobody portaudit may release. */
	assert_set(&t->plan.live_after, "1000,7000,40000");
	assert_clean_plan(&t->plan);
}

/* ---- the size advice ---- */

/* D: 700 isolated ports, "10000,10002,...,11398", 700 * 6 - 1 bytes. */
static void long_value(struct t *t)
{
	size_t size = 16384, len;
	char *yaml = malloc(size);

	assert_non_null(yaml);
	len = (size_t)snprintf(yaml, size, "%s", INV("  many:\n    ports: ["));
	for (unsigned i = 0; i < 700; i++)
		len += (size_t)snprintf(yaml + len, size - len, "%s%u", i ? ", " : "",
					10000 + 2 * i);
	len += (size_t)snprintf(yaml + len, size - len, "%s", "]\n" POLICY("all"));
	assert_true(len < size);
	inv(t, yaml);
	free(yaml);
	compute(t);
}

static void test_value_long(void **state)
{
	struct t *t = *state;

	long_value(t);
	assert_int_equal(portset_count(&t->plan.desired), 700);
	assert_int_equal(t->plan.value_len, 700 * 6 - 1);
	assert_true(t->plan.value_len > FIX_VALUE_ADVISED_MAX);
	assert_int_equal(t->plan.len, strlen(t->plan.text));
	assert_non_null(strstr(t->plan.text, "\n" ASSIGN_PREFIX "10000,10002,"));
	assert_non_null(strstr(t->plan.text, ",11396,11398\n"));
	/* The advice comes first, about the fragment as a whole. */
	assert_true(t->plan.warnings.total >= 1);
	assert_warning(&t->plan, 0, FRAG, 0, "4199 bytes", "4095");
	/* systemd-sysctl, which boots the host, writes it whole. */
	assert_false(t->plan.overridden[SYSCTLD_SYSTEMD]);
	assert_int_equal(portset_count(&t->plan.boot[SYSCTLD_SYSTEMD].reserved), 700);
}

static void test_value_long_one_warning(void **state)
{
	struct t *t = *state;

	/*
	 * One warning for one problem: the advice already says procps writes only
	 * the first 4095 bytes.  The fragment is not another file whose
	 * assignment could be "moved into a sysctl.d file".
	 */
	long_value(t);
	print_diag(&t->plan.warnings);
	for (size_t i = 0; i < t->plan.warnings.n; i++)
		if (strcmp(t->plan.warnings.entries[i].file, FRAG) == 0 &&
		    t->plan.warnings.entries[i].line != 0)
			fail_msg("a warning about the fragment's own line: %s",
				 t->plan.warnings.entries[i].message);
	assert_int_equal(t->plan.warnings.total, 1);
}

static void test_value_range(void **state)
{
	struct t *t = *state;

	/* 30000 ports in one range: a short value, no advice. */
	inv(t, INV("  many: {ports: [\"20000-49999\"]}\n") POLICY("all"));
	compute(t);
	assert_int_equal(portset_count(&t->plan.desired), 30000);
	assert_int_equal(t->plan.value_len, strlen("20000-49999"));
	assert_fragment(t->plan.text, t->plan.len, "20000-49999");
	assert_clean_plan(&t->plan);
}

/* ---- no-op detection ---- */

/* Plan D = {40000} with no fragment, and return the text it would write. */
static char *first_text(struct t *t)
{
	char *text;

	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_non_null(t->plan.text);
	text = strdup(t->plan.text);
	assert_non_null(text);
	return text;
}

static void test_noop(void **state)
{
	struct t *t = *state;
	_cleanup_free_ char *text = first_text(t), *diff = NULL;

	/* The host as the first fix left it: the fragment in place, the live value set. */
	file(t, FRAG, text);
	current_file(t, text, strlen(text));
	reserve(t, "40000");
	compute(t);
	assert_string_equal(t->plan.text, text);
	assert_set(&t->plan.previous, "40000");
	assert_false(t->plan.fragment_changed);
	assert_false(t->plan.live_changed);
	assert_false(t->plan.changed);
	assert_clean_plan(&t->plan);
	OK(fix_plan_diff(&t->plan, FRAG, FIX_RESERVED_PROC, &diff));
	assert_string_equal(diff, "");
}

static void test_noop_one_byte(void **state)
{
	struct t *t = *state;
	_cleanup_free_ char *text = first_text(t), *other = NULL;
	size_t len = strlen(text);

	file(t, FRAG, text);
	reserve(t, "40000");
	other = strdup(text);
	assert_non_null(other);

	/* A byte of the header differs. */
	other[2] ^= 0x20;
	current_file(t, other, len);
	compute(t);
	assert_true(t->plan.fragment_changed);
	assert_true(t->plan.changed);
	assert_false(t->plan.live_changed);
	other[2] ^= 0x20;

	/* The same text without its final newline. */
	current_file(t, other, len - 1);
	compute(t);
	assert_true(t->plan.fragment_changed);

	/* The same text and one byte more. */
	current_file(t, text, len);
	t->cur.text = realloc(t->cur.text, len + 2);
	assert_non_null(t->cur.text);
	memcpy(t->cur.text + len, "\n", 2);
	t->cur.len = len + 1;
	compute(t);
	assert_true(t->plan.fragment_changed);

	/* Exactly the text again. */
	current_file(t, text, len);
	compute(t);
	assert_false(t->plan.fragment_changed);
	assert_false(t->plan.changed);
}

static void test_empty_absent(void **state)
{
	struct t *t = *state;

	/* Port 22 is outside the range: D is empty, and with no fragment none is written. */
	inv(t, INV("  ssh: {ports: [22]}\n"));
	compute(t);
	assert_set(&t->plan.desired, "");
	assert_null(t->plan.text);
	assert_int_equal(t->plan.len, 0);
	assert_int_equal(t->plan.value_len, 0);
	assert_false(t->plan.fragment_changed);
	assert_false(t->plan.changed);
	assert_clean_plan(&t->plan);
}

static void test_empty_existing(void **state)
{
	struct t *t = *state;
	static const char old[] = RESERVED("40000");

	/* D became empty: the fragment stays but assigns nothing; 40000 is released. */
	file(t, FRAG, old);
	current_file(t, old, strlen(old));
	reserve(t, "40000,50000");
	inv(t, INV("  ssh: {ports: [22]}\n"));
	compute(t);
	assert_set(&t->plan.desired, "");
	assert_set(&t->plan.fragment, "");
	assert_fragment(t->plan.text, t->plan.len, NULL);
	assert_int_equal(t->plan.value_len, 0);
	assert_true(t->plan.fragment_changed);
	assert_set(&t->plan.live_after, "50000");
	assert_true(t->plan.live_changed);
	assert_set(&t->plan.boot[SYSCTLD_SYSTEMD].reserved, "");
	assert_clean_plan(&t->plan);
}

/* ---- the fragment's text ---- */

static void check_fragment_text(const char *list, bool empty)
{
	_cleanup_free_ char *text = NULL;
	struct portset s;
	size_t len = SIZE_MAX, value_len = SIZE_MAX, lines = 0;

	OK(portset_parse(list, strlen(list), &s, NULL));
	OK(fix_fragment_text(&s, &text, &len, &value_len));
	assert_int_equal(len, strlen(text));
	/* Four lines of header comment, then the assignment or a comment that there is none. */
	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		assert_non_null(strchr(p, '\n'));
		if (lines < 4 || empty)
			assert_true(strncmp(p, "# ", 2) == 0);
		lines++;
	}
	assert_int_equal(lines, 5);
	assert_fragment(text, len, empty ? NULL : list);
	assert_int_equal(value_len, empty ? 0 : strlen(list));
}

static void test_fragment_text(void **state)
{
	_cleanup_free_ char *text = NULL;
	struct portset s;
	size_t len;

	(void)state;
	check_fragment_text("1,3-5,65535", false);
	check_fragment_text("0-65535", false);
	check_fragment_text("", true);
	/* ret_value_len is optional. */
	portset_clear(&s);
	portset_add(&s, 7);
	OK(fix_fragment_text(&s, &text, &len, NULL));
	assert_fragment(text, len, "7");
}

/* ---- fix_diff ---- */

static void check_diff(const char *a, const char *b, const char *expect)
{
	_cleanup_free_ char *d = NULL;

	OK(fix_diff(a, a ? strlen(a) : 0, b, b ? strlen(b) : 0, "a", "b", &d));
	assert_string_equal(d, expect);
}

static void test_diff(void **state)
{
	(void)state;
	check_diff("x\ny\n", "x\ny\n", "");
	check_diff("", "", "");
	check_diff(NULL, "x\ny\n", "--- /dev/null\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
	check_diff("x\ny\n", NULL, "--- a\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n");
	/* A changed middle line keeps its context. */
	check_diff("1\n2\n3\n", "1\nX\n3\n", "--- a\n+++ b\n@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n");
	check_diff("1\n2\n3\n4\n", "1\n3\n4\n5\n",
		   "--- a\n+++ b\n@@ -1,4 +1,4 @@\n 1\n-2\n 3\n 4\n+5\n");
	/* A missing final newline is marked as diff(1) does. */
	check_diff("x\n", "x",
		   "--- a\n+++ b\n@@ -1,1 +1,1 @@\n-x\n+x\n\\ No newline at end of file\n");
	check_diff("x", "x\ny\n",
		   "--- a\n+++ b\n@@ -1,1 +1,2 @@\n-x\n\\ No newline at end of file\n+x\n+y\n");
}

static char tmpdir[64];

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
	assert_int_equal(fclose(f), 0);
}

/* Run patch(1) on path with the diff; returns its exit status. */
static int run_patch(const char *path, const char *diff_path)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/usr/bin/patch", "patch", "--batch", "--silent", "--remove-empty-files",
		      "--no-backup-if-mismatch", "-i", diff_path, path, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The diff from a to b turns a file holding a (no file: NULL) into one holding b. */
static void check_patch(const char *a, const char *b)
{
	char path[128], diff_path[128], *got = NULL;
	_cleanup_free_ char *d = NULL;
	struct stat st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/f", tmpdir);
	snprintf(diff_path, sizeof(diff_path), "%s/d", tmpdir);
	(void)unlink(path);
	if (a)
		write_file(path, a);
	OK(fix_diff(a, a ? strlen(a) : 0, b, b ? strlen(b) : 0, "f", "f (new)", &d));
	write_file(diff_path, d);
	if (run_patch(path, diff_path) != 0)
		fail_msg("patch refused:\n%s", d);
	if (!b) {
		assert_int_equal(stat(path, &st), -1);
		return;
	}
	f = fopen(path, "re");
	assert_non_null(f);
	got = calloc(1, 4096);
	assert_non_null(got);
	n = fread(got, 1, 4095, f);
	fclose(f);
	assert_int_equal(n, strlen(b));
	assert_string_equal(got, b);
	free(got);
}

/* A directory for patch(1) to work in, removed with whatever it holds even after a failure. */
static int patch_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-fix-plan.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int patch_teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char path[sizeof(tmpdir) + sizeof(de->d_name) + 1];

	(void)state;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
			(void)unlink(path);
		}
	closedir(d);
	return rmdir(tmpdir) == 0 ? 0 : -1;
}

static void test_diff_patch(void **state)
{
	_cleanup_free_ char *old = NULL, *new = NULL;
	struct portset s;

	(void)state;
	if (access("/usr/bin/patch", X_OK) < 0) {
		print_message("/usr/bin/patch is missing: the diffs are not applied\n");
		return;
	}
	check_patch("1\n2\n3\n", "1\nX\n3\n");
	check_patch("1\n2\n3\n4\n", "0\n1\n3\n4\n5\n");
	check_patch(NULL, "x\ny\n");
	check_patch("x\ny\n", NULL);
	check_patch("x\n", "x");
	check_patch("x", "x\ny\n");
	/* A real fragment change. */
	portset_clear(&s);
	portset_add(&s, 40000);
	OK(fix_fragment_text(&s, &old, &(size_t){ 0 }, NULL));
	portset_add_range(&s, 1000, 1010);
	OK(fix_fragment_text(&s, &new, &(size_t){ 0 }, NULL));
	check_patch(old, new);
	check_patch("net.ipv4.ip_local_reserved_ports = 40000\n", new);
}

static void test_plan_diff(void **state)
{
	struct t *t = *state;
	_cleanup_free_ char *diff = NULL, *frag = NULL;
	static const char live[] =
		"--- " FIX_RESERVED_PROC "\n+++ " FIX_RESERVED_PROC " (portaudit --fix)\n"
		"@@ -1,1 +1,1 @@\n-1000\n+1000,40000\n";
	static const char head[] =
		"--- /dev/null\n+++ " FRAG " (portaudit --fix)\n@@ -0,0 +1,5 @@\n+# ";

	reserve(t, "1000");
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	OK(fix_plan_diff(&t->plan, FRAG, FIX_RESERVED_PROC, &diff));
	/* The fragment's diff, then the live value's, as the kernel prints it. */
	OK(fix_diff(NULL, 0, t->plan.text, t->plan.len, FRAG, FRAG " (portaudit --fix)", &frag));
	assert_true(strncmp(frag, head, strlen(head)) == 0);
	assert_int_equal(strlen(diff), strlen(frag) + strlen(live));
	assert_true(strncmp(diff, frag, strlen(frag)) == 0);
	assert_string_equal(diff + strlen(frag), live);
	free(diff);
	diff = NULL;

	/* The fragment already right, the live value not: only the live diff. */
	file(t, FRAG, t->plan.text);
	current_file(t, t->plan.text, t->plan.len);
	compute(t);
	assert_false(t->plan.fragment_changed);
	OK(fix_plan_diff(&t->plan, FRAG, FIX_RESERVED_PROC, &diff));
	assert_string_equal(diff, live);
	free(diff);
	diff = NULL;

	/* An empty live set reads back as a bare newline. */
	reserve(t, "");
	compute(t);
	OK(fix_plan_diff(&t->plan, FRAG, FIX_RESERVED_PROC, &diff));
	assert_string_equal(diff, "--- " FIX_RESERVED_PROC "\n+++ " FIX_RESERVED_PROC
				  " (portaudit --fix)\n@@ -1,1 +1,1 @@\n-\n+40000\n");
}

/* ---- fix_update_snapshot ---- */

static bool has_finding(const struct findings *fs, enum finding_id id)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].id == id)
			return true;
	return false;
}

static void evaluate(struct t *t, struct findings *fs)
{
	findings_done(fs);
	OK(policy_evaluate(t->inv, &t->snap, fs));
}

static void test_update_snapshot(void **state)
{
	struct t *t = *state;
	struct fix_result res = { 0 };
	struct findings fs = { 0 };
	const struct sysctld_assignment *from;
	struct sysctld before;
	const char *kept_source;

	file(t, "/etc/sysctl.d/10-a.conf", RESERVED("1000"));
	reserve(t, "1000");
	inv(t, INV("  a: {ports: [40000]}\n"));
	evaluate(t, &fs);
	assert_true(has_finding(&fs, FINDING_EPHEMERAL_OVERLAP));
	compute(t);
	assert_int_equal(t->plan.n_kept, 1);
	kept_source = t->plan.kept[0].source;
	before = t->snap.sysctld;

	/* Neither written nor applied: the snapshot stays as it was. */
	res.plan = &t->plan;
	fix_update_snapshot(&t->plan, &res, &t->snap);
	assert_ptr_equal(t->snap.sysctld.files, before.files);
	assert_set(&t->snap.kernel.reserved, "1000");

	/* Applied only: live holds 40000, the next boot does not (not-persistent). */
	res.applied = true;
	res.live_read = t->plan.live_after;
	fix_update_snapshot(&t->plan, &res, &t->snap);
	assert_ptr_equal(t->snap.sysctld.files, before.files);
	assert_set(&t->snap.kernel.reserved, "1000,40000");
	evaluate(t, &fs);
	assert_false(has_finding(&fs, FINDING_EPHEMERAL_OVERLAP));
	assert_true(has_finding(&fs, FINDING_NOT_PERSISTENT));

	/* Written too: the configurations swap, and every pointer stays valid. */
	res.written = true;
	fix_update_snapshot(&t->plan, &res, &t->snap);
	assert_ptr_equal(t->plan.model.files, before.files);
	assert_int_equal(t->plan.model.n_files, 1);
	assert_int_equal(t->snap.sysctld.n_files, 2);
	assert_int_equal(file_index(&t->snap.sysctld, FRAG), 1);
	assert_set(&t->snap.boot[SYSCTLD_SYSTEMD].reserved, "1000,40000");
	assert_set(&t->snap.boot[SYSCTLD_PROCPS].reserved, "1000,40000");
	from = t->snap.boot[SYSCTLD_SYSTEMD].reserved_from;
	assert_string_equal(assignment_file(&t->snap.sysctld, from)->path, FRAG);
	assert_string_equal(from->value, "1000,40000");
	/* kept points into the old configuration, which the plan now holds. */
	assert_ptr_equal(t->plan.kept[0].source, kept_source);
	assert_string_equal(t->plan.kept[0].source, "/etc/sysctl.d/10-a.conf");
	assert_string_equal(t->plan.model.files[0].shown, "/etc/sysctl.d/10-a.conf");
	evaluate(t, &fs);
	assert_false(has_finding(&fs, FINDING_EPHEMERAL_OVERLAP));
	assert_false(has_finding(&fs, FINDING_NOT_PERSISTENT));
	assert_false(has_finding(&fs, FINDING_CONFIG_OVERRIDDEN));
	findings_done(&fs);
	/* teardown frees the plan (old configuration) and the snapshot (new one) once each. */
}

static void test_update_snapshot_overridden(void **state)
{
	struct t *t = *state;
	struct fix_result res = { .written = true, .applied = true };
	struct findings fs = { 0 };
	const char *source;

	file(t, "/etc/sysctl.d/zz-x.conf", RESERVED("1000"));
	reserve(t, "1000");
	inv(t, INV("  a: {ports: [40000]}\n"));
	compute(t);
	assert_true(t->plan.overridden[SYSCTLD_SYSTEMD]);
	source = t->plan.overrides[SYSCTLD_SYSTEMD].source;
	res.plan = &t->plan;
	res.live_read = t->plan.live_after;
	fix_update_snapshot(&t->plan, &res, &t->snap);
	/* The override names a file of the new configuration, now the snapshot's. */
	assert_ptr_equal(source, t->snap.sysctld.files[file_index(&t->snap.sysctld,
								   "/etc/sysctl.d/zz-x.conf")]
					 .shown);
	evaluate(t, &fs);
	assert_true(has_finding(&fs, FINDING_CONFIG_OVERRIDDEN));
	findings_done(&fs);
}

/* ---- sysctld_put_file and sysctld_next_boot ---- */

#define A_FRAG_B "/etc/sysctl.d/10-a.conf " FRAG " /etc/sysctl.d/zz-b.conf"

static void test_put_file(void **state)
{
	struct t *t = *state;
	struct sysctld a = { 0 }, b = { 0 };
	struct sysctld_boot boot;
	static const char content[] = "# new\n" RESERVED("5");
	size_t put, lower;

	file(t, "/etc/sysctl.d/10-a.conf", RESERVED("1"));
	file(t, "/usr/lib/sysctl.d/" FIX_FRAGMENT_NAME, RESERVED("2"));
	file(t, "/etc/sysctl.d/zz-b.conf", "net.ipv4.ip_local_port_range = 40000 50000\n");
	file(t, "/etc/sysctl.conf", "net.ipv4.ip_unprivileged_port_start = 900\n");
	OK(sysctld_put_file(&t->snap.sysctld, FRAG, "/shown", content, strlen(content), port_keys,
			    ARRAY_SIZE(port_keys), &a));
	/* The original is untouched. */
	assert_int_equal(t->snap.sysctld.n_files, 4);
	assert_order(&t->snap.sysctld, SYSCTLD_SYSTEMD,
		     "/etc/sysctl.d/10-a.conf /usr/lib/sysctl.d/" FIX_FRAGMENT_NAME
		     " /etc/sysctl.d/zz-b.conf");
	/* A new entry at the end, ordered by name, before procps's final pass. */
	assert_int_equal(a.n_files, 5);
	put = file_index(&a, FRAG);
	assert_int_equal(put, 4);
	assert_string_equal(a.files[put].shown, "/shown");
	assert_order(&a, SYSCTLD_SYSTEMD, A_FRAG_B);
	assert_order(&a, SYSCTLD_PROCPS, A_FRAG_B " /etc/sysctl.conf");
	lower = file_index(&a, "/usr/lib/sysctl.d/" FIX_FRAGMENT_NAME);
	assert_false(a.files[lower].used[SYSCTLD_SYSTEMD]);
	assert_false(a.files[lower].used[SYSCTLD_PROCPS]);
	assert_string_equal(a.files[put].shadowed[0], "/usr/lib/sysctl.d/" FIX_FRAGMENT_NAME);
	assert_int_equal(a.files[put].n_assignments, 1);
	assert_string_equal(a.assignments[a.files[put].first_assignment].value, "5");
	assert_int_equal(a.assignments[a.files[put].first_assignment].line, 2);
	/* Every other file keeps its assignments. */
	assert_int_equal(a.n_assignments, t->snap.sysctld.n_assignments + 1);

	OK(sysctld_next_boot(&a, SYSCTLD_SYSTEMD, &boot));
	assert_set(&boot.reserved, "5");
	assert_ptr_equal(assignment_file(&a, boot.reserved_from), &a.files[put]);
	assert_int_equal(boot.range_lo, 40000);
	assert_int_equal(boot.unprivileged_start, 1024);
	OK(sysctld_next_boot(&a, SYSCTLD_PROCPS, &boot));
	assert_set(&boot.reserved, "5");
	assert_int_equal(boot.unprivileged_start, 900);

	/* Putting the same path again replaces the entry. */
	OK(sysctld_put_file(&a, FRAG, "/shown2", RESERVED("6"), strlen(RESERVED("6")), port_keys,
			    ARRAY_SIZE(port_keys), &b));
	assert_int_equal(b.n_files, 5);
	assert_int_equal(file_index(&b, FRAG), put);
	assert_string_equal(b.files[put].shown, "/shown2");
	assert_int_equal(b.files[put].n_assignments, 1);
	assert_string_equal(b.assignments[b.files[put].first_assignment].value, "6");
	assert_int_equal(b.n_assignments, a.n_assignments);
	assert_order(&b, SYSCTLD_SYSTEMD, A_FRAG_B);
	OK(sysctld_next_boot(&b, SYSCTLD_SYSTEMD, &boot));
	assert_set(&boot.reserved, "6");
	sysctld_done(&a);
	sysctld_done(&b);
}

static void test_put_file_empty_config(void **state)
{
	struct t *t = *state;
	struct sysctld a = { 0 };
	struct sysctld_boot boot;

	OK(sysctld_put_file(&t->snap.sysctld, FRAG, FRAG, "", 0, port_keys, ARRAY_SIZE(port_keys),
			    &a));
	assert_int_equal(a.n_files, 1);
	assert_order(&a, SYSCTLD_SYSTEMD, FRAG);
	assert_order(&a, SYSCTLD_PROCPS, FRAG);
	assert_int_equal(a.n_assignments, 0);
	OK(sysctld_next_boot(&a, SYSCTLD_SYSTEMD, &boot));
	assert_set(&boot.reserved, "");
	assert_null(boot.reserved_from);
	assert_int_equal(boot.range_lo, DEF_LO);
	assert_int_equal(boot.range_hi, DEF_HI);
	sysctld_done(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_desired_ephemeral),
		T(test_desired_all),
		T(test_desired_none),
		T(test_desired_next_boot_range),
		T(test_desired_one_port_range),
		T(test_union_files),
		T(test_union_octal),
		T(test_union_refused),
		T(test_release),
		T(test_release_nothing),
		T(test_override_later_file),
		T(test_override_superset),
		T(test_override_refused),
		T(test_override_glob_after),
		T(test_override_exclusion),
		T(test_override_sysctl_conf),
		T(test_override_long_list),
		T(test_sysctl_conf_superset),
		T(test_debian_99_sysctl),
		T(test_debian_99_sysctl_and_final_pass),
		T(test_masked),
		T(test_discovered),
		T(test_lower_same_name),
		T(test_value_long),
		T(test_value_long_one_warning),
		T(test_value_range),
		T(test_noop),
		T(test_noop_one_byte),
		T(test_empty_absent),
		T(test_empty_existing),
		T(test_fragment_text),
		T(test_diff),
		cmocka_unit_test_setup_teardown(test_diff_patch, patch_setup, patch_teardown),
		T(test_plan_diff),
		T(test_update_snapshot),
		T(test_update_snapshot_overridden),
		T(test_put_file),
		T(test_put_file_empty_config),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
