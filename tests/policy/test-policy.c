/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy engine on hand-built snapshots, rule by rule, from the contract in
 * include/portaudit/policy.h (DESIGN §5).  Each case builds the kernel values,
 * sysctl.d files, sockets, owners and socket units it needs with
 * tests/lib/snapbuild.h, an inventory from YAML, and checks the findings: id,
 * severity, service, protocol, port(s), evidence counts by kind, and key
 * substrings of the texts.  Every evaluation is also checked for the invariants
 * every finding list must keep (report order, counts, ports vs port, evidence
 * pointing into the snapshot).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portaudit/finding.h"
#include "portaudit/inventory.h"
#include "portaudit/policy.h"
#include "portaudit/snapshot.h"
#include "snapbuild.h"

#define OK(expr) assert_int_equal((expr), 0)

/* The kernel defaults of a fresh network namespace, also the next boot's without sysctl.d. */
#define DEF_LO 32768
#define DEF_HI 60999

#define INV(services) "version: 1\nservices:\n" services
#define RESERVED_LINE(v) "net.ipv4.ip_local_reserved_ports = " v "\n"

struct t {
	struct snapshot snap;
	struct inventory *inv;
	struct findings fs;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	if (!t || snapbuild_init(&t->snap, DEF_LO, DEF_HI) < 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	/* Findings point into the inventory and the snapshot: they go first. */
	findings_done(&t->fs);
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

	diag_init(&d, 0);
	k = snapbuild_inventory(yaml, &d, &t->inv);
	for (size_t i = 0; i < d.n; i++) {
		diag_format(&d.entries[i], line, sizeof(line));
		print_error("%s\n", line);
	}
	diag_done(&d);
	OK(k);
}

/*
 * Give service the bare unit name unit.  policy.h promises that "x" means
 * "x.service", but the inventory parser accepts only full unit names today, so
 * the short form can only be put in by hand.
 */
static void set_unit(struct t *t, const char *service, const char *unit)
{
	struct inventory_service *svc = (struct inventory_service *)inventory_find(t->inv, service);

	assert_non_null(svc);
	free(svc->unit);
	svc->unit = strdup(unit);
	assert_non_null(svc->unit);
}

static bool in_socklist(const struct socklist *l, const struct sockrec *p)
{
	return l->n > 0 && p >= l->v && p < l->v + l->n;
}

static bool in_snapshot(const struct snapshot *s, const struct sockrec *p)
{
	return in_socklist(&s->sockets.listeners, p) || in_socklist(&s->sockets.udp, p) ||
	       in_socklist(&s->sockets.held, p);
}

static bool unit_in_snapshot(const struct snapshot *s, const struct socket_unit *u,
			     const struct unit_listen *l)
{
	for (size_t i = 0; i < s->units.n; i++)
		if (u == &s->units.v[i])
			return l >= u->listen && l < u->listen + u->n_listen;
	return false;
}

static int report_cmp(const struct finding *a, const struct finding *b)
{
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (!a->service != !b->service)
		return a->service ? -1 : 1;
	if (a->service && b->service && strcmp(a->service, b->service) != 0)
		return strcmp(a->service, b->service);
	return a->port < b->port ? -1 : a->port > b->port;
}

/* What every finding list must satisfy, whatever the input. */
static void check_invariants(const struct t *t)
{
	size_t count[_SEVERITY_MAX] = { 0 };

	for (size_t i = 0; i < t->fs.n; i++) {
		const struct finding *f = &t->fs.v[i];
		size_t n_sock = 0;

		assert_in_range(f->id, 0, _FINDING_ID_MAX - 1);
		assert_in_range(f->severity, 0, _SEVERITY_MAX - 1);
		count[f->severity]++;
		assert_non_null(f->message);
		assert_true(f->message[0] != '\0');
		assert_null(strchr(f->message, '\n'));
		assert_non_null(f->remediation);
		assert_true(f->proto == -1 || f->proto == PROTO_TCP || f->proto == PROTO_UDP);
		if (f->service)
			assert_non_null(inventory_find(t->inv, f->service));
		if (f->ports) {
			struct portset set;
			struct portrun first;
			unsigned cursor = 0;

			/* Several ports: the list syntax, and port is the lowest of them. */
			OK(portset_parse(f->ports, strlen(f->ports), &set, NULL));
			assert_true(portset_count(&set) > 1);
			assert_true(portset_next_run(&set, &cursor, &first));
			assert_int_equal(first.lo, f->port);
		}
		if (f->n_evidence > 0)
			assert_non_null(f->evidence);
		for (size_t e = 0; e < f->n_evidence; e++) {
			const struct evidence *ev = &f->evidence[e];

			/*
			 * text may be NULL: the reporters compose the line from the
			 * fields (report_evidence_line()), which must then be there.
			 */
			assert_in_range(ev->kind, 0, _EVIDENCE_KIND_MAX - 1);
			switch (ev->kind) {
			case EVIDENCE_SOCKET:
				n_sock++;
				assert_non_null(ev->sock);
				assert_true(in_snapshot(&t->snap, ev->sock));
				break;
			case EVIDENCE_UNIT:
				assert_non_null(ev->unit);
				assert_non_null(ev->listen);
				assert_true(unit_in_snapshot(&t->snap, ev->unit, ev->listen));
				break;
			case EVIDENCE_KERNEL:
				assert_non_null(ev->key);
				assert_non_null(ev->value);
				assert_non_null(ev->source);
				break;
			case EVIDENCE_ASSIGNMENT:
				assert_non_null(ev->key);
				assert_non_null(ev->source);
				assert_true(ev->line > 0);
				break;
			case EVIDENCE_BOOT:
				assert_non_null(ev->key);
				assert_non_null(ev->value);
				assert_true(ev->tool == SYSCTLD_SYSTEMD || ev->tool == SYSCTLD_PROCPS);
				/* The kernel default has no source and no line. */
				assert_true(!ev->source == !ev->line);
				break;
			case EVIDENCE_INVENTORY:
				assert_non_null(ev->source);
				assert_true(ev->line > 0);
				break;
			default:
				break;
			}
		}
		assert_true(n_sock <= POLICY_EVIDENCE_SOCKETS);
		if (i > 0)
			assert_true(report_cmp(&t->fs.v[i - 1], f) <= 0);
	}
	for (int s = 0; s < _SEVERITY_MAX; s++)
		assert_int_equal(t->fs.count[s], count[s]);
}

static void eval(struct t *t)
{
	findings_done(&t->fs);
	OK(policy_evaluate(t->inv, &t->snap, &t->fs));
	check_invariants(t);
}

static bool same_service(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* How many findings of id there are (for service, or any when ANY). */
static size_t count_id(const struct t *t, enum finding_id id)
{
	size_t n = 0;

	for (size_t i = 0; i < t->fs.n; i++)
		n += t->fs.v[i].id == id;
	return n;
}

/* How many findings of id concern service (NULL: host or no service). */
static size_t count_for(const struct t *t, enum finding_id id, const char *service)
{
	size_t n = 0;

	for (size_t i = 0; i < t->fs.n; i++)
		n += t->fs.v[i].id == id && same_service(t->fs.v[i].service, service);
	return n;
}

/* The finding (id, service, proto, port), which must exist exactly once. */
static const struct finding *get(const struct t *t, enum finding_id id, const char *service,
				 int proto, uint16_t port)
{
	const struct finding *found = NULL;
	size_t n = 0;

	for (size_t i = 0; i < t->fs.n; i++) {
		const struct finding *f = &t->fs.v[i];

		if (f->id == id && same_service(f->service, service) && f->proto == proto &&
		    f->port == port) {
			found = f;
			n++;
		}
	}
	if (n != 1)
		print_error("%zu findings %s service=%s proto=%d port=%u, expected 1\n", n,
			    finding_id_to_string(id), service ? service : "(null)", proto, port);
	assert_int_equal(n, 1);
	return found;
}

static size_t n_ev(const struct finding *f, enum evidence_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n_evidence; i++)
		n += f->evidence[i].kind == kind;
	return n;
}

/* Whether the message or the remediation says s. */
static bool says(const struct finding *f, const char *s)
{
	return strstr(f->message, s) || (f->remediation && strstr(f->remediation, s));
}

static void assert_says(const struct finding *f, const char *s)
{
	if (!says(f, s))
		print_error("'%s' not in message '%s' / remediation '%s'\n", s, f->message,
			    f->remediation ? f->remediation : "(null)");
	assert_true(says(f, s));
}

/* Whether some BOOT or ASSIGNMENT evidence cites file (a path ending in it) at line. */
static bool cites(const struct finding *f, const char *file, unsigned line)
{
	for (size_t i = 0; i < f->n_evidence; i++) {
		const struct evidence *e = &f->evidence[i];
		size_t n, m = strlen(file);

		if (e->kind != EVIDENCE_BOOT && e->kind != EVIDENCE_ASSIGNMENT)
			continue;
		if (!e->source || e->line != line)
			continue;
		n = strlen(e->source);
		if (n >= m && strcmp(e->source + n - m, file) == 0)
			return true;
	}
	return false;
}

static void assert_ports(const struct finding *f, const char *list)
{
	struct portset want, got;

	assert_non_null(f->ports);
	OK(portset_parse(list, strlen(list), &want, NULL));
	OK(portset_parse(f->ports, strlen(f->ports), &got, NULL));
	if (!portset_equal(&want, &got))
		print_error("ports '%s', expected '%s'\n", f->ports, list);
	assert_true(portset_equal(&want, &got));
}

/* ---- ephemeral-overlap ------------------------------------------------------------- */

static void test_overlap_range_ends(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	inv(t, INV("  below: {ports: [27999]}\n"
		   "  low: {ports: [28000]}\n"
		   "  high: {ports: [29000]}\n"
		   "  above: {ports: [29001]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 2);
	f = get(t, FINDING_EPHEMERAL_OVERLAP, "low", PROTO_TCP, 28000);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_null(f->ports);
	assert_says(f, "28000");
	assert_true(n_ev(f, EVIDENCE_KERNEL) >= 1);
	f = get(t, FINDING_EPHEMERAL_OVERLAP, "high", PROTO_TCP, 29000);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_null(f->ports);
	assert_says(f, "29000");
}

static void test_overlap_one_port_range(void **state)
{
	struct t *t = *state;

	OK(snapbuild_range(&t->snap, 40000, 40000));
	inv(t, INV("  below: {ports: [39999]}\n"
		   "  only: {ports: [40000]}\n"
		   "  above: {ports: [40001]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 1);
	assert_int_equal(get(t, FINDING_EPHEMERAL_OVERLAP, "only", PROTO_TCP, 40000)->severity,
			 SEVERITY_ERROR);
}

static void test_overlap_reserved(void **state)
{
	struct t *t = *state;

	/* Reserved inside the range: protected; reserved outside it: harmless. */
	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_reserve(&t->snap, "5000,28350"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:28350", -1, 1));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:5000", -1, 2));
	inv(t, INV("  inside: {ports: [28350]}\n"
		   "  outside: {ports: [5000]}\n"
		   "policy: {min_ephemeral_ports: 0}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 0);
	for (size_t i = 0; i < t->fs.n; i++)
		assert_null(t->fs.v[i].service);
}

static void test_overlap_reserve_false(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	/*
	 * Sysctl.d files that would make both config-overridden (a later file drops
	 * the ports) and, for the live-reserved one, not-persistent: with reserve:
	 * false neither applies, only an informational overlap.
	 */
	OK(snapbuild_reserve(&t->snap, "40001"));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/10-a.conf",
				  RESERVED_LINE("40000,40001")));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/90-b.conf", RESERVED_LINE("50000")));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:40000", -1, 1));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:40001", -1, 2));
	inv(t, INV("  accepted: {ports: [40000], reserve: false}\n"
		   "  kept: {ports: [40001], reserve: false}\n"));
	eval(t);
	f = get(t, FINDING_EPHEMERAL_OVERLAP, "accepted", PROTO_TCP, 40000);
	assert_int_equal(f->severity, SEVERITY_INFO);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 1);
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 0);
	assert_int_equal(count_id(t, FINDING_NOT_PERSISTENT), 0);
}

static void test_overlap_port_range_one_finding(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_range(&t->snap, 28000, 30005));
	OK(snapbuild_reserve(&t->snap, "28350"));
	inv(t, INV("  r: {ports: [28350, \"30000-30010\", \"27990-28002\"]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 1);
	f = get(t, FINDING_EPHEMERAL_OVERLAP, "r", PROTO_TCP, 28000);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_ports(f, "28000-28002,30000-30005");
}

static void test_overlap_two_protocols(void **state)
{
	struct t *t = *state;

	inv(t, INV("  memcached: {ports: [40000], protocol: [tcp, udp]}\n"
		   "  dns: {ports: [40053], protocol: [udp]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 3);
	assert_int_equal(get(t, FINDING_EPHEMERAL_OVERLAP, "memcached", PROTO_TCP, 40000)->severity,
			 SEVERITY_ERROR);
	assert_int_equal(get(t, FINDING_EPHEMERAL_OVERLAP, "memcached", PROTO_UDP, 40000)->severity,
			 SEVERITY_ERROR);
	assert_int_equal(get(t, FINDING_EPHEMERAL_OVERLAP, "dns", PROTO_UDP, 40053)->severity,
			 SEVERITY_ERROR);
}

/* ---- config-overridden and not-persistent ------------------------------------------ */

static void test_override_later_file(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_reserve(&t->snap, "40000"));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/10-db.conf", RESERVED_LINE("40000")));
	OK(snapbuild_sysctld_file(&t->snap, "/usr/lib/sysctl.d/90-vendor.conf",
				  "# the vendor's\n" RESERVED_LINE("50000")));
	assert_false(portset_contains(&t->snap.boot[SYSCTLD_SYSTEMD].reserved, 40000));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:40000", -1, 1));
	inv(t, INV("  db: {ports: [40000]}\n"));
	eval(t);
	f = get(t, FINDING_CONFIG_OVERRIDDEN, "db", PROTO_TCP, 40000);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_null(f->ports);
	assert_true(cites(f, "/usr/lib/sysctl.d/90-vendor.conf", 2));
	assert_says(f, "90-vendor.conf");
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 1);
	/* Already reported as overridden: not also not-persistent.  Live-reserved: no overlap. */
	assert_int_equal(count_id(t, FINDING_NOT_PERSISTENT), 0);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 0);
}

static void test_override_refused_value(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	/* The last assignment has a blank the kernel refuses: the set stays empty. */
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/10-db.conf", RESERVED_LINE("40000")));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/90-bad.conf",
				  RESERVED_LINE("40000, 50000")));
	assert_non_null(t->snap.boot[SYSCTLD_SYSTEMD].reserved_rejected);
	assert_false(portset_contains(&t->snap.boot[SYSCTLD_SYSTEMD].reserved, 40000));
	inv(t, INV("  db: {ports: [40000]}\n"));
	eval(t);
	f = get(t, FINDING_CONFIG_OVERRIDDEN, "db", PROTO_TCP, 40000);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_true(cites(f, "/etc/sysctl.d/90-bad.conf", 1));
	assert_says(f, "90-bad.conf");
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 1);
}

static void test_override_procps_only(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	/* systemd-sysctl never reads /etc/sysctl.conf; procps applies it last. */
	OK(snapbuild_reserve(&t->snap, "40000,40001"));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.conf",
				  "# local\n\n" RESERVED_LINE("50000")));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/10-db.conf",
				  RESERVED_LINE("40000-40001")));
	assert_true(portset_contains(&t->snap.boot[SYSCTLD_SYSTEMD].reserved, 40000));
	assert_false(portset_contains(&t->snap.boot[SYSCTLD_PROCPS].reserved, 40000));
	inv(t, INV("  db: {ports: [\"40000-40001\"]}\n"));
	eval(t);
	f = get(t, FINDING_CONFIG_OVERRIDDEN, "db", PROTO_TCP, 40000);
	assert_int_equal(f->severity, SEVERITY_WARNING);
	assert_ports(f, "40000-40001");
	assert_true(cites(f, "/etc/sysctl.conf", 3));
	assert_says(f, "/etc/sysctl.conf");
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 1);
	/* systemd-sysctl keeps them: persistent. */
	assert_int_equal(count_id(t, FINDING_NOT_PERSISTENT), 0);
}

static void test_override_outside_boot_range(void **state)
{
	struct t *t = *state;

	/* At the next boot the range starts above the port: no risk there, no finding. */
	OK(snapbuild_reserve(&t->snap, "40000"));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/10-db.conf", RESERVED_LINE("40000")));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/20-range.conf",
				  "net.ipv4.ip_local_port_range = 45000 60999\n"));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/90-x.conf", RESERVED_LINE("50000")));
	assert_int_equal(t->snap.boot[SYSCTLD_SYSTEMD].range_lo, 45000);
	inv(t, INV("  db: {ports: [40000]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 0);
	assert_int_equal(count_id(t, FINDING_NOT_PERSISTENT), 0);
}

static void test_not_persistent(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_reserve(&t->snap, "40000"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:40000", -1, 1));
	inv(t, INV("  db: {ports: [40000]}\n"));
	eval(t);
	f = get(t, FINDING_NOT_PERSISTENT, "db", PROTO_TCP, 40000);
	assert_int_equal(f->severity, SEVERITY_WARNING);
	assert_null(f->ports);
	assert_says(f, "40000");
	assert_true(n_ev(f, EVIDENCE_BOOT) >= 1);
	assert_int_equal(count_id(t, FINDING_NOT_PERSISTENT), 1);
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 0);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 0);
}

static void test_not_persistent_other_file(void **state)
{
	struct t *t = *state;

	/* A file reserves something else: nothing ever contained 40000, so not overridden. */
	OK(snapbuild_reserve(&t->snap, "40000"));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/10-other.conf", RESERVED_LINE("40001")));
	inv(t, INV("  db: {ports: [40000]}\n"));
	eval(t);
	assert_int_equal(get(t, FINDING_NOT_PERSISTENT, "db", PROTO_TCP, 40000)->severity,
			 SEVERITY_WARNING);
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 0);
}

static void test_not_persistent_persisted(void **state)
{
	struct t *t = *state;

	OK(snapbuild_reserve(&t->snap, "40000"));
	OK(snapbuild_sysctld_file(&t->snap, "/etc/sysctl.d/10-db.conf", RESERVED_LINE("40000")));
	inv(t, INV("  db: {ports: [40000]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_NOT_PERSISTENT), 0);
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 0);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 0);
}

static void test_not_persistent_outside_boot_range(void **state)
{
	struct t *t = *state;

	/* Live range 28000-29000; the next boot has the default 32768-60999. */
	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_reserve(&t->snap, "28350"));
	inv(t, INV("  sb: {ports: [28350]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_NOT_PERSISTENT), 0);
	assert_int_equal(count_id(t, FINDING_CONFIG_OVERRIDDEN), 0);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_OVERLAP), 0);
}

/* ---- port-held --------------------------------------------------------------------- */

static void test_held_established(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28350", "127.0.0.1:3306", 777));
	OK(snapbuild_owner(&t->snap, 777, 4242, "sysbench", "session-1.scope"));
	inv(t, INV("  sb: {ports: [28350]}\n"));
	eval(t);
	f = get(t, FINDING_PORT_HELD, "sb", PROTO_TCP, 28350);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_null(f->ports);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 1);
	for (size_t i = 0; i < f->n_evidence; i++)
		if (f->evidence[i].kind == EVIDENCE_SOCKET) {
			assert_int_equal(f->evidence[i].sock->inode, 777);
			assert_int_equal(f->evidence[i].sock->lport, 28350);
		}
	assert_says(f, "28350");
	assert_non_null(strstr(f->remediation, "4242"));
	assert_non_null(strstr(f->remediation, "sysbench"));
	/* The service cannot bind, which is more than not listening. */
	assert_int_equal(count_for(t, FINDING_NOT_LISTENING, "sb"), 0);
}

static void test_held_time_wait(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_tcp(&t->snap, SOCKREC_TIME_WAIT, "127.0.0.1:28350", "127.0.0.1:3306", 0));
	inv(t, INV("  sb: {ports: [28350]}\n"));
	eval(t);
	f = get(t, FINDING_PORT_HELD, "sb", PROTO_TCP, 28350);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 1);
	assert_int_equal(count_for(t, FINDING_NOT_LISTENING, "sb"), 0);
}

static void test_held_but_listening(void **state)
{
	struct t *t = *state;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28350", "127.0.0.1:3306", 777));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:28350", -1, 778));
	/* "Listens" is per port, whatever the family: a v6-only listener also counts. */
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28351", "127.0.0.1:3306", 779));
	OK(snapbuild_listen(&t->snap, "[::1]:28351", 1, 780));
	inv(t, INV("  sb: {ports: [28350, 28351]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_PORT_HELD), 0);
	assert_int_equal(count_id(t, FINDING_NOT_LISTENING), 0);
}

static void test_held_bound_inactive(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	/* A bound-inactive socket is not LISTEN (port-held) but is bound (not-listening). */
	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_socket(&t->snap, PROTO_TCP, SOCKREC_BOUND_INACTIVE, "0.0.0.0:28350", NULL, -1,
			    10));
	OK(snapbuild_socket(&t->snap, PROTO_TCP, SOCKREC_BOUND_INACTIVE, "0.0.0.0:28351", NULL, -1,
			    11));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28351", "127.0.0.1:3306", 12));
	inv(t, INV("  alone: {ports: [28350]}\n"
		   "  busy: {ports: [28351]}\n"));
	eval(t);
	assert_int_equal(count_for(t, FINDING_PORT_HELD, "alone"), 0);
	assert_int_equal(count_for(t, FINDING_NOT_LISTENING, "alone"), 0);
	f = get(t, FINDING_PORT_HELD, "busy", PROTO_TCP, 28351);
	/* Only the ESTABLISHED one holds the port against the service. */
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 1);
	assert_int_equal(count_id(t, FINDING_PORT_HELD), 1);
	assert_int_equal(count_id(t, FINDING_NOT_LISTENING), 0);
}

static void test_held_evidence_capped(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	for (unsigned i = 0; i < POLICY_EVIDENCE_SOCKETS + 2; i++) {
		char remote[32];

		snprintf(remote, sizeof(remote), "127.0.0.1:%u", 3306 + i);
		OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28350", remote, 900 + i));
	}
	inv(t, INV("  sb: {ports: [28350]}\n"));
	eval(t);
	f = get(t, FINDING_PORT_HELD, "sb", PROTO_TCP, 28350);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), POLICY_EVIDENCE_SOCKETS);
	assert_int_equal(count_id(t, FINDING_PORT_HELD), 1);
}

static void test_held_two_ports_one_finding(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28352", "127.0.0.1:3306", 1));
	OK(snapbuild_tcp(&t->snap, SOCKREC_TIME_WAIT, "127.0.0.1:28350", "127.0.0.1:3306", 0));
	/* Not an inventory port: nobody's concern. */
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28999", "127.0.0.1:3306", 2));
	inv(t, INV("  sb: {ports: [\"28350-28352\"]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_PORT_HELD), 1);
	f = get(t, FINDING_PORT_HELD, "sb", PROTO_TCP, 28350);
	assert_ports(f, "28350,28352");
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 2);
	/* 28351 is neither held nor listened on. */
	f = get(t, FINDING_NOT_LISTENING, "sb", PROTO_TCP, 28351);
	assert_null(f->ports);
}

static void test_held_udp(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_udp(&t->snap, "127.0.0.1:40053", "127.0.0.1:53", -1, 5));
	OK(snapbuild_udp(&t->snap, "127.0.0.1:40054", "127.0.0.1:53", -1, 6));
	OK(snapbuild_udp(&t->snap, "0.0.0.0:40054", NULL, -1, 7));
	inv(t, INV("  held: {ports: [40053], protocol: [udp]}\n"
		   "  served: {ports: [40054], protocol: [udp]}\n"));
	eval(t);
	f = get(t, FINDING_PORT_HELD, "held", PROTO_UDP, 40053);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 1);
	assert_int_equal(count_id(t, FINDING_PORT_HELD), 1);
	assert_int_equal(count_id(t, FINDING_NOT_LISTENING), 0);
}

/* ---- self-connect ------------------------------------------------------------------ */

static void test_self_connect(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28350", "127.0.0.1:28350", 9));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "[::1]:28400", "[::1]:28400", 10));
	/* Any port, inside the range or not. */
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "10.0.0.1:5000", "10.0.0.1:5000", 11));
	/* Same port, other address; same address, other port: ordinary connections. */
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28500", "127.0.0.2:28500", 12));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28501", "127.0.0.1:28502", 13));
	inv(t, INV("  sb: {ports: [28350]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_SELF_CONNECT), 3);
	f = get(t, FINDING_SELF_CONNECT, "sb", PROTO_TCP, 28350);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 1);
	f = get(t, FINDING_SELF_CONNECT, NULL, PROTO_TCP, 28400);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 1);
	for (size_t i = 0; i < f->n_evidence; i++)
		if (f->evidence[i].kind == EVIDENCE_SOCKET)
			assert_int_equal(f->evidence[i].sock->inode, 10);
	f = get(t, FINDING_SELF_CONNECT, NULL, PROTO_TCP, 5000);
	assert_int_equal(f->severity, SEVERITY_ERROR);
}

static void test_self_connect_owner(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	/* Two self-connected sockets on one port (v4 and v6): one finding, both as evidence. */
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:45000", "127.0.0.1:45000", 21));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "[::1]:45000", "[::1]:45000", 22));
	OK(snapbuild_owner(&t->snap, 21, 3131, "loadgen", NULL));
	inv(t, INV("  other: {ports: [3306]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_SELF_CONNECT), 1);
	f = get(t, FINDING_SELF_CONNECT, NULL, PROTO_TCP, 45000);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 2);
	assert_says(f, "45000");
}

static void test_host_evidence_capped(void **state)
{
	struct t *t = *state;

	/* Many self-connected sockets, and many listeners, on one port: one finding each. */
	for (unsigned i = 1; i <= POLICY_EVIDENCE_SOCKETS + 2; i++) {
		char a[32];

		snprintf(a, sizeof(a), "127.0.0.%u:45000", i);
		OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, a, a, 100 + i));
		snprintf(a, sizeof(a), "127.0.0.%u:40000", i);
		OK(snapbuild_listen(&t->snap, a, -1, 200 + i));
	}
	inv(t, INV("  other: {ports: [3306]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_SELF_CONNECT), 1);
	assert_int_equal(n_ev(get(t, FINDING_SELF_CONNECT, NULL, PROTO_TCP, 45000), EVIDENCE_SOCKET),
			 POLICY_EVIDENCE_SOCKETS);
	assert_int_equal(count_id(t, FINDING_UNLISTED_LISTENER), 1);
	assert_int_equal(n_ev(get(t, FINDING_UNLISTED_LISTENER, NULL, PROTO_TCP, 40000),
			      EVIDENCE_SOCKET),
			 POLICY_EVIDENCE_SOCKETS);
}

/* ---- not-listening ----------------------------------------------------------------- */

static void test_not_listening(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	inv(t, INV("  web: {ports: [8080]}\n"));
	eval(t);
	f = get(t, FINDING_NOT_LISTENING, "web", PROTO_TCP, 8080);
	assert_int_equal(f->severity, SEVERITY_INFO);
	assert_null(f->ports);
	assert_says(f, "8080");
	assert_int_equal(t->fs.n, 1);
}

static void test_not_listening_families(void **state)
{
	struct t *t = *state;

	OK(snapbuild_listen(&t->snap, "[::]:8080", 0, 1));
	OK(snapbuild_listen(&t->snap, "[::1]:8081", 1, 2));
	OK(snapbuild_listen(&t->snap, "127.0.0.1:8082", -1, 3));
	inv(t, INV("  dual: {ports: [8080]}\n"
		   "  v6only: {ports: [8081]}\n"
		   "  loopback: {ports: [8082]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_NOT_LISTENING), 0);
	assert_int_equal(t->fs.n, 0);
}

static void test_not_listening_units_and_udp(void **state)
{
	struct t *t = *state;

	/* A socket unit listens for its service; only for its own protocol. */
	OK(snapbuild_unit(&t->snap, "web.socket", "Stream", "[::]:8080"));
	OK(snapbuild_unit(&t->snap, "mdns.socket", "Stream", "[::]:5353"));
	OK(snapbuild_unit(&t->snap, "syslog.socket", "Datagram", "0.0.0.0:514"));
	OK(snapbuild_udp(&t->snap, "0.0.0.0:5354", NULL, -1, 4));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:5355", -1, 5));
	inv(t, INV("  web: {ports: [8080]}\n"
		   "  mdns: {ports: [5353], protocol: [udp]}\n"
		   "  syslog: {ports: [514], protocol: [udp]}\n"
		   "  bound: {ports: [5354], protocol: [udp]}\n"
		   "  tcponly: {ports: [5355], protocol: [udp]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_NOT_LISTENING), 2);
	assert_int_equal(get(t, FINDING_NOT_LISTENING, "mdns", PROTO_UDP, 5353)->severity,
			 SEVERITY_INFO);
	assert_int_equal(get(t, FINDING_NOT_LISTENING, "tcponly", PROTO_UDP, 5355)->severity,
			 SEVERITY_INFO);
}

static void test_not_listening_range(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_listen(&t->snap, "0.0.0.0:8081", -1, 1));
	inv(t, INV("  r: {ports: [\"8080-8083\"]}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_NOT_LISTENING), 1);
	f = get(t, FINDING_NOT_LISTENING, "r", PROTO_TCP, 8080);
	assert_ports(f, "8080,8082-8083");
}

/* ---- unexpected-owner -------------------------------------------------------------- */

static void test_owner_comm(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_listen(&t->snap, "0.0.0.0:3306", -1, 100));
	OK(snapbuild_owner(&t->snap, 100, 42, "mariadbd", "mariadb.service"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3307", -1, 101));
	OK(snapbuild_owner(&t->snap, 101, 43, "mysqld", "mysql.service"));
	inv(t, INV("  db: {ports: [3306], process: mysqld}\n"
		   "  db2: {ports: [3307], process: mysqld}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_UNEXPECTED_OWNER), 1);
	f = get(t, FINDING_UNEXPECTED_OWNER, "db", PROTO_TCP, 3306);
	assert_int_equal(f->severity, SEVERITY_WARNING);
	assert_true(n_ev(f, EVIDENCE_SOCKET) >= 1);
	assert_says(f, "mariadbd");
}

static void test_owner_unit(void **state)
{
	struct t *t = *state;

	OK(snapbuild_listen(&t->snap, "0.0.0.0:3306", -1, 100));
	OK(snapbuild_owner(&t->snap, 100, 42, "mysqld", "mysql.service"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3307", -1, 101));
	OK(snapbuild_owner(&t->snap, 101, 43, "mysqld", "mariadb.service"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3308", -1, 102));
	OK(snapbuild_owner(&t->snap, 102, 44, "mysqld", "mysql.service"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3309", -1, 103));
	OK(snapbuild_owner(&t->snap, 103, 45, "mysqld", "other.service"));
	inv(t, INV("  short: {ports: [3306], unit: mysql.service}\n"
		   "  wrong: {ports: [3307], unit: mysql.service}\n"
		   "  full: {ports: [3308], unit: mysql.service}\n"
		   "  both: {ports: [3309], unit: mysql.service, process: mysqld}\n"));
	set_unit(t, "short", "mysql");
	set_unit(t, "wrong", "mysql");
	set_unit(t, "both", "mysql");
	eval(t);
	assert_int_equal(count_id(t, FINDING_UNEXPECTED_OWNER), 2);
	assert_says(get(t, FINDING_UNEXPECTED_OWNER, "wrong", PROTO_TCP, 3307), "mariadb");
	/* The comm matches, the unit does not: both must. */
	assert_int_equal(get(t, FINDING_UNEXPECTED_OWNER, "both", PROTO_TCP, 3309)->severity,
			 SEVERITY_WARNING);
}

static void test_owner_any_holder(void **state)
{
	struct t *t = *state;

	/* A shell that inherited the socket does not hide the right process. */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3306", -1, 100));
	OK(snapbuild_owner(&t->snap, 100, 43, "bash", "session-1.scope"));
	OK(snapbuild_owner(&t->snap, 100, 42, "mysqld", "mysql.service"));
	inv(t, INV("  db: {ports: [3306], process: mysqld, unit: mysql.service}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_UNEXPECTED_OWNER), 0);
}

static void test_owner_socket_unit(void **state)
{
	struct t *t = *state;

	/* Held only by PID 1: the socket unit decides, process: is not checked. */
	OK(snapbuild_listen(&t->snap, "[::]:8080", 0, 200));
	OK(snapbuild_owner(&t->snap, 200, 1, "systemd", "init.scope"));
	OK(snapbuild_unit(&t->snap, "web.socket", "Stream", "[::]:8080"));
	OK(snapbuild_listen(&t->snap, "[::]:8081", 0, 201));
	OK(snapbuild_owner(&t->snap, 201, 1, "systemd", "init.scope"));
	OK(snapbuild_unit(&t->snap, "wrong.socket", "Stream", "[::]:8081"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:8082", -1, 202));
	OK(snapbuild_owner(&t->snap, 202, 1, "systemd", "init.scope"));
	OK(snapbuild_unit(&t->snap, "site.socket", "Stream", "0.0.0.0:8082"));
	inv(t, INV("  web: {ports: [8080], unit: web.service, process: nginx}\n"
		   "  api: {ports: [8081], unit: api.service}\n"
		   "  site: {ports: [8082], unit: site.service}\n"));
	set_unit(t, "web", "web");
	eval(t);
	assert_int_equal(count_for(t, FINDING_UNEXPECTED_OWNER, "web"), 0);
	assert_int_equal(count_for(t, FINDING_UNEXPECTED_OWNER, "site"), 0);
	assert_int_equal(get(t, FINDING_UNEXPECTED_OWNER, "api", PROTO_TCP, 8081)->severity,
			 SEVERITY_WARNING);
	assert_int_equal(count_id(t, FINDING_UNEXPECTED_OWNER), 1);
}

static void test_owner_unknown(void **state)
{
	struct t *t = *state;

	/* Owners not resolved at all. */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3306", -1, 100));
	inv(t, INV("  db: {ports: [3306], process: mysqld}\n"
		   "  db2: {ports: [3307], process: mysqld}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_UNEXPECTED_OWNER), 0);
	/* Resolved, but nobody was found holding this listener. */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3307", -1, 101));
	OK(snapbuild_owner(&t->snap, 999, 42, "other", NULL));
	eval(t);
	assert_int_equal(count_id(t, FINDING_UNEXPECTED_OWNER), 0);
}

static void test_owner_udp(void **state)
{
	struct t *t = *state;

	OK(snapbuild_udp(&t->snap, "0.0.0.0:53", NULL, -1, 300));
	OK(snapbuild_owner(&t->snap, 300, 77, "dnsmasq", "dnsmasq.service"));
	/* A connected UDP socket is no listener. */
	OK(snapbuild_udp(&t->snap, "127.0.0.1:54", "127.0.0.1:53", -1, 301));
	OK(snapbuild_owner(&t->snap, 301, 77, "dnsmasq", "dnsmasq.service"));
	inv(t, INV("  dns: {ports: [53], protocol: [udp], process: named}\n"
		   "  dns2: {ports: [54], protocol: [udp], process: named}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_UNEXPECTED_OWNER), 1);
	assert_int_equal(get(t, FINDING_UNEXPECTED_OWNER, "dns", PROTO_UDP, 53)->severity,
			 SEVERITY_WARNING);
}

/* ---- unlisted-listener ------------------------------------------------------------- */

static void test_unlisted_levels(void **state)
{
	static const struct {
		const char *level;
		int severity; /* -1: no finding */
	} cases[] = {
		{ "ignore", -1 },
		{ "info", SEVERITY_INFO },
		{ "warning", SEVERITY_WARNING },
		{ "error", SEVERITY_ERROR },
	};
	struct t *t = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char yaml[256];
		const struct finding *f;

		findings_done(&t->fs);
		t->inv = inventory_free(t->inv);
		snapshot_done(&t->snap);
		OK(snapbuild_init(&t->snap, DEF_LO, DEF_HI));
		OK(snapbuild_listen(&t->snap, "0.0.0.0:40000", -1, 1));
		OK(snapbuild_listen(&t->snap, "0.0.0.0:3306", -1, 2));
		snprintf(yaml, sizeof(yaml),
			 INV("  db: {ports: [3306]}\n") "policy: {unlisted_listeners: %s}\n",
			 cases[i].level);
		inv(t, yaml);
		eval(t);
		if (cases[i].severity < 0) {
			assert_int_equal(count_id(t, FINDING_UNLISTED_LISTENER), 0);
			assert_int_equal(t->fs.n, 0);
			continue;
		}
		assert_int_equal(count_id(t, FINDING_UNLISTED_LISTENER), 1);
		f = get(t, FINDING_UNLISTED_LISTENER, NULL, PROTO_TCP, 40000);
		assert_int_equal(f->severity, cases[i].severity);
		assert_null(f->ports);
		assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 1);
		assert_says(f, "40000");
		assert_int_equal(t->fs.n, 1);
	}
}

static void test_unlisted_edges(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	OK(snapbuild_reserve(&t->snap, "40001"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:40001", -1, 1)); /* reserved */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:22", -1, 2));    /* outside the range */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:32767", -1, 3)); /* one below it */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:32768", -1, 4)); /* its first port */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:40002", -1, 5)); /* in the inventory */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:40003", -1, 6)); /* inventory, UDP only */
	OK(snapbuild_udp(&t->snap, "0.0.0.0:40004", NULL, -1, 7)); /* UDP: left out */
	OK(snapbuild_unit(&t->snap, "web.socket", "Stream", "[::]:40005"));
	OK(snapbuild_listen(&t->snap, "[::]:40006", 0, 8));
	OK(snapbuild_unit(&t->snap, "api.socket", "Stream", "[::]:40006"));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:40007", -1, 9));
	OK(snapbuild_listen(&t->snap, "[::]:40007", 1, 10));
	inv(t, INV("  known: {ports: [40002]}\n"
		   "  dgram: {ports: [40003], protocol: [udp]}\n"
		   "policy: {min_ephemeral_ports: 0}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_UNLISTED_LISTENER), 5);
	assert_int_equal(get(t, FINDING_UNLISTED_LISTENER, NULL, PROTO_TCP, 32768)->severity,
			 SEVERITY_WARNING);
	assert_int_equal(get(t, FINDING_UNLISTED_LISTENER, NULL, PROTO_TCP, 40003)->severity,
			 SEVERITY_WARNING);
	f = get(t, FINDING_UNLISTED_LISTENER, NULL, PROTO_TCP, 40005);
	assert_int_equal(f->severity, SEVERITY_WARNING);
	assert_int_equal(n_ev(f, EVIDENCE_UNIT), 1);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 0);
	f = get(t, FINDING_UNLISTED_LISTENER, NULL, PROTO_TCP, 40006);
	assert_int_equal(n_ev(f, EVIDENCE_UNIT), 1);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 1);
	f = get(t, FINDING_UNLISTED_LISTENER, NULL, PROTO_TCP, 40007);
	assert_int_equal(n_ev(f, EVIDENCE_SOCKET), 2);
}

/* ---- ephemeral-pool-small and range-parity ----------------------------------------- */

static void test_pool_small_boundary(void **state)
{
	static const struct {
		const char *reserved;
		bool small;
	} cases[] = {
		{ "", false },          /* exactly the minimum left */
		{ "1000,61000", false }, /* reserved, but outside the range */
		{ "40000", true },      /* one fewer */
		{ "32768", true },      /* one fewer, at the range's end */
	};
	struct t *t = *state;
	unsigned size = DEF_HI - DEF_LO + 1;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char yaml[256], left[16];
		const struct finding *f;

		findings_done(&t->fs);
		t->inv = inventory_free(t->inv);
		OK(snapbuild_reserve(&t->snap, cases[i].reserved));
		snprintf(yaml, sizeof(yaml), INV("  db: {ports: [3306]}\n")
			 "policy: {min_ephemeral_ports: %u}\n", size);
		inv(t, yaml);
		eval(t);
		if (!cases[i].small) {
			assert_int_equal(count_id(t, FINDING_EPHEMERAL_POOL_SMALL), 0);
			continue;
		}
		assert_int_equal(count_id(t, FINDING_EPHEMERAL_POOL_SMALL), 1);
		f = get(t, FINDING_EPHEMERAL_POOL_SMALL, NULL, -1, 0);
		assert_int_equal(f->severity, SEVERITY_WARNING);
		assert_null(f->ports);
		assert_true(n_ev(f, EVIDENCE_KERNEL) >= 1);
		snprintf(left, sizeof(left), "%u", size - 1);
		assert_says(f, left);
	}
}

static void test_pool_small_default_and_zero(void **state)
{
	struct t *t = *state;
	const struct finding *f;

	/* 1001 ports against the default minimum of 16384. */
	OK(snapbuild_range(&t->snap, 28000, 29000));
	inv(t, INV("  db: {ports: [3306]}\n"));
	assert_int_equal(t->inv->policy.min_ephemeral_ports, 16384);
	eval(t);
	f = get(t, FINDING_EPHEMERAL_POOL_SMALL, NULL, -1, 0);
	assert_int_equal(f->severity, SEVERITY_WARNING);
	assert_says(f, "1001");

	/* 0 turns the check off, even for a range of one port. */
	findings_done(&t->fs);
	t->inv = inventory_free(t->inv);
	OK(snapbuild_range(&t->snap, 40000, 40000));
	inv(t, INV("  db: {ports: [3306]}\n") "policy: {min_ephemeral_ports: 0}\n");
	eval(t);
	assert_int_equal(count_id(t, FINDING_EPHEMERAL_POOL_SMALL), 0);
}

static void test_range_parity(void **state)
{
	static const struct {
		uint16_t lo, hi;
		bool same;
	} cases[] = {
		{ 28000, 29000, true },  { DEF_LO, DEF_HI, false }, { 40000, 40000, true },
		{ 40001, 60999, true },  { 40001, 60998, false },
	};
	struct t *t = *state;

	inv(t, INV("  db: {ports: [3306]}\n") "policy: {min_ephemeral_ports: 0}\n");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct finding *f;
		char lo[8], hi[8];

		OK(snapbuild_range(&t->snap, cases[i].lo, cases[i].hi));
		eval(t);
		if (!cases[i].same) {
			assert_int_equal(count_id(t, FINDING_RANGE_PARITY), 0);
			continue;
		}
		assert_int_equal(count_id(t, FINDING_RANGE_PARITY), 1);
		f = get(t, FINDING_RANGE_PARITY, NULL, -1, 0);
		assert_int_equal(f->severity, SEVERITY_INFO);
		assert_null(f->ports);
		snprintf(lo, sizeof(lo), "%u", cases[i].lo);
		snprintf(hi, sizeof(hi), "%u", cases[i].hi);
		assert_says(f, lo);
		assert_says(f, hi);
	}
}

/* ---- no sockets, report order ------------------------------------------------------ */

static void test_no_sockets(void **state)
{
	struct t *t = *state;

	/* Sockets could not be read: the socket checks say nothing, the others stand. */
	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28350", "127.0.0.1:28350", 1));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:28500", -1, 2));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3306", -1, 3));
	OK(snapbuild_owner(&t->snap, 3, 42, "mariadbd", NULL));
	t->snap.have_sockets = false;
	inv(t, INV("  sb: {ports: [28350]}\n"
		   "  web: {ports: [8080]}\n"
		   "  db: {ports: [3306], process: mysqld}\n"));
	eval(t);
	assert_int_equal(count_id(t, FINDING_PORT_HELD), 0);
	assert_int_equal(count_id(t, FINDING_SELF_CONNECT), 0);
	assert_int_equal(count_id(t, FINDING_NOT_LISTENING), 0);
	assert_int_equal(count_id(t, FINDING_UNEXPECTED_OWNER), 0);
	assert_int_equal(count_id(t, FINDING_UNLISTED_LISTENER), 0);
	get(t, FINDING_EPHEMERAL_OVERLAP, "sb", PROTO_TCP, 28350);
	get(t, FINDING_EPHEMERAL_POOL_SMALL, NULL, -1, 0);
	get(t, FINDING_RANGE_PARITY, NULL, -1, 0);
	assert_int_equal(t->fs.n, 3);
}

static void test_report_order(void **state)
{
	static const struct {
		enum finding_id id;
		enum severity severity;
		const char *service;
		uint16_t port;
	} want[] = {
		{ FINDING_EPHEMERAL_OVERLAP, SEVERITY_ERROR, "alpha", 28100 },
		{ FINDING_EPHEMERAL_OVERLAP, SEVERITY_ERROR, "zeta", 28050 },
		{ FINDING_SELF_CONNECT, SEVERITY_ERROR, NULL, 28600 },
		{ FINDING_UNLISTED_LISTENER, SEVERITY_WARNING, NULL, 28500 },
		{ FINDING_UNLISTED_LISTENER, SEVERITY_WARNING, NULL, 28700 },
		{ FINDING_EPHEMERAL_OVERLAP, SEVERITY_INFO, "beta", 28200 },
		{ FINDING_NOT_LISTENING, SEVERITY_INFO, "alpha", 28100 },
		{ FINDING_NOT_LISTENING, SEVERITY_INFO, "beta", 28200 },
		{ FINDING_NOT_LISTENING, SEVERITY_INFO, "gamma", 5000 },
		{ FINDING_NOT_LISTENING, SEVERITY_INFO, "zeta", 28050 },
		{ FINDING_RANGE_PARITY, SEVERITY_INFO, NULL, 0 },
	};
	struct t *t = *state;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:28700", -1, 1));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:28500", -1, 2));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28600", "127.0.0.1:28600", 3));
	inv(t, INV("  zeta: {ports: [28050]}\n"
		   "  gamma: {ports: [5000]}\n"
		   "  beta: {ports: [28200], reserve: false}\n"
		   "  alpha: {ports: [28100]}\n"
		   "policy: {min_ephemeral_ports: 0}\n"));
	eval(t);
	for (size_t i = 0; i < t->fs.n; i++)
		print_message("%zu: %s %s %s %u\n", i, severity_to_string(t->fs.v[i].severity),
			      finding_id_to_string(t->fs.v[i].id),
			      t->fs.v[i].service ? t->fs.v[i].service : "-", t->fs.v[i].port);
	assert_int_equal(t->fs.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(t->fs.v[i].id, want[i].id);
		assert_int_equal(t->fs.v[i].severity, want[i].severity);
		assert_true(same_service(t->fs.v[i].service, want[i].service));
		assert_int_equal(t->fs.v[i].port, want[i].port);
	}
	assert_int_equal(t->fs.count[SEVERITY_ERROR], 3);
	assert_int_equal(t->fs.count[SEVERITY_WARNING], 2);
	assert_int_equal(t->fs.count[SEVERITY_INFO], 6);
	assert_true(findings_any_at_least(&t->fs, SEVERITY_ERROR));
}

/* ---- owner inodes, discovery ------------------------------------------------------- */

static void assert_sorted_unique(const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i] != 0);
		if (i > 0)
			assert_true(v[i - 1] < v[i]);
	}
}

static void test_owner_inodes(void **state)
{
	static const uint64_t want[] = { 100, 102, 104, 105, 107 };
	struct t *t = *state;
	_cleanup_free_ uint64_t *v = NULL;
	size_t n;

	OK(snapbuild_range(&t->snap, 28000, 29000));
	/* Added in descending inode order: the result must be sorted anyway. */
	OK(snapbuild_udp(&t->snap, "0.0.0.0:53", NULL, -1, 107));        /* dns names a process */
	OK(snapbuild_udp(&t->snap, "0.0.0.0:28700", NULL, -1, 106));     /* UDP in the range */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:28500", -1, 105));        /* unlisted */
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "[::1]:28350", "[::1]:28350", 104));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:45000", "127.0.0.1:80", 103));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "127.0.0.1:28350", "127.0.0.1:3306", 102));
	OK(snapbuild_tcp(&t->snap, SOCKREC_TIME_WAIT, "127.0.0.1:28350", "127.0.0.1:3307", 0));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:5432", -1, 101));         /* pg names nothing */
	OK(snapbuild_listen(&t->snap, "0.0.0.0:3306", -1, 100));         /* db names a process */
	inv(t, INV("  db: {ports: [3306], process: mysqld}\n"
		   "  pg: {ports: [5432]}\n"
		   "  sb: {ports: [28350]}\n"
		   "  dns: {ports: [53], protocol: [udp], process: named}\n"
		   "policy: {min_ephemeral_ports: 0}\n"));
	OK(policy_owner_inodes(t->inv, &t->snap, &v, &n));
	for (size_t i = 0; i < n; i++)
		print_message("inode %" PRIu64 "\n", v[i]);
	assert_int_equal(n, ARRAY_SIZE(want));
	assert_memory_equal(v, want, sizeof(want));
}

static void test_owner_inodes_none(void **state)
{
	struct t *t = *state;
	_cleanup_free_ uint64_t *v = NULL;
	size_t n = 1;

	inv(t, INV("  db: {ports: [3306], process: mysqld}\n"));
	OK(policy_owner_inodes(t->inv, &t->snap, &v, &n));
	assert_int_equal(n, 0);
}

/* The discovery snapshot: what a small host serves. */
static void discovery_host(struct t *t)
{
	OK(snapbuild_range(&t->snap, 28000, 29000));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:22", -1, 10));
	OK(snapbuild_listen(&t->snap, "[::]:22", 1, 11));
	OK(snapbuild_listen(&t->snap, "127.0.0.1:6379", -1, 12));
	OK(snapbuild_udp(&t->snap, "0.0.0.0:28700", NULL, -1, 13));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:9100", -1, 14));
	OK(snapbuild_udp(&t->snap, "0.0.0.0:5353", NULL, -1, 15));
	OK(snapbuild_tcp(&t->snap, SOCKREC_ESTABLISHED, "10.0.0.1:22", "10.0.0.2:50000", 16));
	OK(snapbuild_listen(&t->snap, "0.0.0.0:28500", -1, 17));
	OK(snapbuild_unit(&t->snap, "web.socket", "Stream", "[::]:8080"));
	/* systemd holds the socket unit's listener: the port is web's, not a second service's. */
	OK(snapbuild_listen(&t->snap, "[::]:8080", 0, 18));
	OK(snapbuild_owner(&t->snap, 18, 1, "systemd", "init.scope"));
	OK(snapbuild_owner(&t->snap, 10, 500, "sshd", "ssh.service"));
	OK(snapbuild_owner(&t->snap, 11, 500, "sshd", "ssh.service"));
	OK(snapbuild_owner(&t->snap, 12, 600, "redis-server", "redis-server.service"));
	OK(snapbuild_owner(&t->snap, 13, 700, "dhclient", "networking.service"));
	OK(snapbuild_owner(&t->snap, 15, 800, "avahi-daemon", "avahi-daemon.service"));
	OK(snapbuild_owner(&t->snap, 16, 501, "sshd", "ssh.service"));
	OK(snapbuild_owner(&t->snap, 17, 900, "myapp", NULL));
}

static void assert_service_ports(const struct inventory *inv, const char *name, const char *tcp,
				 const char *udp)
{
	const struct inventory_service *svc = inventory_find(inv, name);
	struct portset got, want;

	if (!svc)
		print_error("no service '%s'\n", name);
	assert_non_null(svc);
	inventory_service_ports(svc, PROTO_TCP, &got);
	OK(portset_parse(tcp, strlen(tcp), &want, NULL));
	assert_true(portset_equal(&got, &want));
	inventory_service_ports(svc, PROTO_UDP, &got);
	OK(portset_parse(udp, strlen(udp), &want, NULL));
	assert_true(portset_equal(&got, &want));
}

static void test_discover(void **state)
{
	struct t *t = *state;
	_cleanup_(inventory_freep) struct inventory *back = NULL;
	_cleanup_free_ char *yaml = NULL;
	size_t len;

	discovery_host(t);
	t->inv = inventory_new();
	assert_non_null(t->inv);
	t->inv->discovered = true;
	OK(policy_discover(&t->snap, t->inv));
	assert_true(t->inv->discovered);
	assert_service_ports(t->inv, "sshd", "22", "");
	assert_service_ports(t->inv, "redis-server", "6379", "");
	assert_service_ports(t->inv, "port-9100", "9100", "");
	assert_service_ports(t->inv, "avahi-daemon", "", "5353");
	assert_service_ports(t->inv, "web", "8080", "");
	/* A TCP listener inside the range is a service all the same. */
	assert_service_ports(t->inv, "myapp", "28500", "");
	/* dhclient's only socket is a UDP one inside the range: not a service. */
	assert_null(inventory_find(t->inv, "dhclient"));
	assert_int_equal(t->inv->n_services, 6);

	OK(inventory_to_yaml(t->inv, &yaml, &len));
	print_message("%s", yaml);
	OK(snapbuild_inventory(yaml, NULL, &back));
	assert_int_equal(back->n_services, t->inv->n_services);
	for (size_t i = 0; i < t->inv->n_services; i++) {
		const struct inventory_service *a = &t->inv->services[i];
		const struct inventory_service *b = inventory_find(back, a->name);

		assert_non_null(b);
		for (enum proto p = 0; p < _PROTO_MAX; p++) {
			struct portset x, y;

			inventory_service_ports(a, p, &x);
			inventory_service_ports(b, p, &y);
			assert_true(portset_equal(&x, &y));
		}
	}

	/* Audited with what it discovered, the host has no unlisted or silent service. */
	findings_done(&t->fs);
	OK(policy_evaluate(t->inv, &t->snap, &t->fs));
	check_invariants(t);
	assert_int_equal(count_id(t, FINDING_UNLISTED_LISTENER), 0);
	assert_int_equal(count_id(t, FINDING_NOT_LISTENING), 0);
}

static void test_discovery_inodes(void **state)
{
	static const uint64_t listeners[] = { 10, 11, 12, 14, 15, 17, 18 };
	struct t *t = *state;
	_cleanup_free_ uint64_t *v = NULL;
	size_t n;

	discovery_host(t);
	OK(policy_discovery_inodes(&t->snap, &v, &n));
	assert_sorted_unique(v, n);
	for (size_t i = 0; i < ARRAY_SIZE(listeners); i++) {
		bool found = false;

		for (size_t j = 0; j < n; j++)
			found = found || v[j] == listeners[i];
		if (!found)
			print_error("inode %" PRIu64 " missing\n", listeners[i]);
		assert_true(found);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_overlap_range_ends),
		T(test_overlap_one_port_range),
		T(test_overlap_reserved),
		T(test_overlap_reserve_false),
		T(test_overlap_port_range_one_finding),
		T(test_overlap_two_protocols),
		T(test_override_later_file),
		T(test_override_refused_value),
		T(test_override_procps_only),
		T(test_override_outside_boot_range),
		T(test_not_persistent),
		T(test_not_persistent_other_file),
		T(test_not_persistent_persisted),
		T(test_not_persistent_outside_boot_range),
		T(test_held_established),
		T(test_held_time_wait),
		T(test_held_but_listening),
		T(test_held_bound_inactive),
		T(test_held_evidence_capped),
		T(test_held_two_ports_one_finding),
		T(test_held_udp),
		T(test_self_connect),
		T(test_self_connect_owner),
		T(test_host_evidence_capped),
		T(test_not_listening),
		T(test_not_listening_families),
		T(test_not_listening_units_and_udp),
		T(test_not_listening_range),
		T(test_owner_comm),
		T(test_owner_unit),
		T(test_owner_any_holder),
		T(test_owner_socket_unit),
		T(test_owner_unknown),
		T(test_owner_udp),
		T(test_unlisted_levels),
		T(test_unlisted_edges),
		T(test_pool_small_boundary),
		T(test_pool_small_default_and_zero),
		T(test_range_parity),
		T(test_no_sockets),
		T(test_report_order),
		T(test_owner_inodes),
		T(test_owner_inodes_none),
		T(test_discover),
		T(test_discovery_inodes),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
