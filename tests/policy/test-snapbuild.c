/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The snapshot builder itself (tests/lib/snapbuild.c): the policy and fix-plan
 * tests are only as good as the snapshots it builds, so check that they are
 * what the readers would have produced: the sysctl.d order of both tools with
 * /etc/sysctl.conf last for procps, the next boot recomputed, sockets in the
 * lists sockets_add() picks, owners and units as their modules keep them, and
 * everything freed by snapshot_done() (run under valgrind).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "portaudit/snapshot.h"
#include "snapbuild.h"

#define OK(expr) assert_int_equal((expr), 0)

static char *fmt(const struct portset *s)
{
	char *p = NULL;

	OK(portset_format_alloc(s, &p));
	return p;
}

static void assert_set(const struct portset *s, const char *want)
{
	_cleanup_free_ char *got = fmt(s);

	assert_string_equal(got, want);
}

static void test_init(void **state)
{
	struct snapshot s;

	(void)state;
	OK(snapbuild_init(&s, 28000, 29000));
	assert_true(s.live);
	assert_string_equal(s.root, "/");
	assert_string_equal(s.kernel.source, "/proc/sys/net/ipv4");
	assert_int_equal(s.kernel.range_lo, 28000);
	assert_int_equal(s.kernel.range_hi, 29000);
	assert_true(portset_is_empty(&s.kernel.reserved));
	assert_true(s.have_sockets);
	assert_false(s.owners_resolved);
	assert_int_equal(s.notes.n, 0);
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		assert_int_equal(s.boot[t].range_lo, 32768);
		assert_int_equal(s.boot[t].range_hi, 60999);
		assert_int_equal(s.boot[t].unprivileged_start, 1024);
		assert_true(portset_is_empty(&s.boot[t].reserved));
		assert_null(s.boot[t].reserved_from);
	}
	OK(snapbuild_range(&s, 40000, 40000));
	assert_int_equal(s.kernel.range_lo, 40000);
	assert_int_equal(s.kernel.range_hi, 40000);
	assert_int_equal(snapbuild_range(&s, 2, 1), -EINVAL);
	snapshot_done(&s);
	assert_int_equal(snapbuild_init(&s, 2, 1), -EINVAL);
}

static void test_reserve(void **state)
{
	struct snapshot s;

	(void)state;
	OK(snapbuild_init(&s, 32768, 60999));
	OK(snapbuild_reserve(&s, "30000-30010,28350"));
	assert_set(&s.kernel.reserved, "28350,30000-30010");
	/* The kernel's own grammar: a blank is refused, the set is left alone. */
	assert_int_equal(snapbuild_reserve(&s, "1, 2"), -EINVAL);
	assert_set(&s.kernel.reserved, "28350,30000-30010");
	OK(snapbuild_reserve(&s, ""));
	assert_true(portset_is_empty(&s.kernel.reserved));
	snapshot_done(&s);
}

static void test_sysctld(void **state)
{
	const struct sysctld_assignment *w[4];
	struct snapshot s;

	(void)state;
	OK(snapbuild_init(&s, 32768, 60999));
	OK(snapbuild_sysctld_file(&s, "/etc/sysctl.conf",
				  "net.ipv4.ip_local_reserved_ports = 1111\n"));
	OK(snapbuild_sysctld_file(&s, "/etc/sysctl.d/10-a.conf",
				  "# comment\nnet.ipv4.ip_local_reserved_ports = 2222\n"
				  "net.ipv4.ip_local_port_range = 40000 50001\n"
				  "kernel.printk = 4\n"));
	OK(snapbuild_sysctld_file(&s, "/usr/lib/sysctl.d/90-b.conf",
				  "net/ipv4/ip_local_reserved_ports = 3333\nnot an assignment\n"));
	assert_int_equal(s.sysctld.n_files, 3);
	assert_true(s.sysctld.files[0].final_pass);
	assert_false(s.sysctld.files[0].used[SYSCTLD_SYSTEMD]);
	assert_true(s.sysctld.files[0].used[SYSCTLD_PROCPS]);
	assert_string_equal(s.sysctld.files[2].shown, "/usr/lib/sysctl.d/90-b.conf");

	/* systemd-sysctl: the files in call order, without /etc/sysctl.conf. */
	assert_int_equal(s.sysctld.n_order[SYSCTLD_SYSTEMD], 2);
	assert_int_equal(s.sysctld.order[SYSCTLD_SYSTEMD][0], 1);
	assert_int_equal(s.sysctld.order[SYSCTLD_SYSTEMD][1], 2);
	/* procps: the same, then /etc/sysctl.conf last although it was added first. */
	assert_int_equal(s.sysctld.n_order[SYSCTLD_PROCPS], 3);
	assert_int_equal(s.sysctld.order[SYSCTLD_PROCPS][0], 1);
	assert_int_equal(s.sysctld.order[SYSCTLD_PROCPS][1], 2);
	assert_int_equal(s.sysctld.order[SYSCTLD_PROCPS][2], 0);

	/* Only the three port keys are kept, with their file and line. */
	assert_int_equal(s.sysctld.n_assignments, 4);
	assert_int_equal(s.sysctld.files[1].first_assignment, 1);
	assert_int_equal(s.sysctld.files[1].n_assignments, 2);
	assert_int_equal(sysctld_writes(&s.sysctld, SYSCTLD_SYSTEMD,
					"net.ipv4.ip_local_reserved_ports", w, 4),
			 1);
	assert_int_equal(w[0]->file, 2);
	assert_int_equal(w[0]->line, 1);
	assert_int_equal(s.notes.n, 1);
	assert_int_equal(s.notes.entries[0].line, 2);

	/* The next boot of each tool, recomputed after every file. */
	assert_set(&s.boot[SYSCTLD_SYSTEMD].reserved, "3333");
	assert_ptr_equal(s.boot[SYSCTLD_SYSTEMD].reserved_from, w[0]);
	assert_set(&s.boot[SYSCTLD_PROCPS].reserved, "1111");
	assert_int_equal(s.boot[SYSCTLD_PROCPS].reserved_from->file, 0);
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		assert_int_equal(s.boot[t].range_lo, 40000);
		assert_int_equal(s.boot[t].range_hi, 50001);
		assert_int_equal(s.boot[t].range_from->line, 3);
	}
	snapshot_done(&s);
}

static void test_sockets(void **state)
{
	char buf[SOCKREC_FORMAT_MAX];
	struct snapshot s;
	const struct sockrec *r;

	(void)state;
	OK(snapbuild_init(&s, 32768, 60999));
	OK(snapbuild_listen(&s, "0.0.0.0:22", 1, 1));
	OK(snapbuild_listen(&s, "[::]:22", 0, 2));
	OK(snapbuild_socket(&s, PROTO_TCP, SOCKREC_BOUND_INACTIVE, "127.0.0.1:23", NULL, -1, 3));
	OK(snapbuild_tcp(&s, SOCKREC_ESTABLISHED, "127.0.0.1:28350", "127.0.0.1:3306", 4));
	OK(snapbuild_tcp(&s, SOCKREC_TIME_WAIT, "[::1]:40000", "[::1]:40000", 0));
	OK(snapbuild_udp(&s, "0.0.0.0:53", NULL, 0, 5));
	OK(snapbuild_udp(&s, "[::1]:40053", "[::1]:53", 1, 6));

	assert_int_equal(s.sockets.listeners.n, 3);
	r = &s.sockets.listeners.v[0];
	assert_int_equal(r->family, AF_INET);
	assert_int_equal(r->state, SOCKREC_LISTEN);
	assert_int_equal(r->v6only, -1);
	assert_int_equal(r->inode, 1);
	OK(sockrec_format_local(r, buf, sizeof(buf)));
	assert_string_equal(buf, "0.0.0.0:22");
	r = &s.sockets.listeners.v[1];
	assert_int_equal(r->family, AF_INET6);
	assert_int_equal(r->v6only, 0);
	OK(sockrec_format_local(r, buf, sizeof(buf)));
	assert_string_equal(buf, "[::]:22");
	assert_string_equal(sockrec_state_to_string(&s.sockets.listeners.v[2]), "BOUND_INACTIVE");

	assert_int_equal(s.sockets.held.n, 2);
	assert_int_equal(s.sockets.n_tcp_other, 2);
	r = &s.sockets.held.v[0];
	assert_int_equal(r->proto, PROTO_TCP);
	assert_int_equal(r->lport, 28350);
	assert_int_equal(r->rport, 3306);
	OK(sockrec_format_remote(r, buf, sizeof(buf)));
	assert_string_equal(buf, "127.0.0.1:3306");
	assert_false(sockrec_is_self_connected(r));
	r = &s.sockets.held.v[1];
	assert_string_equal(sockrec_state_to_string(r), "TIME_WAIT");
	assert_true(sockrec_is_self_connected(r));
	assert_int_equal(r->inode, 0);

	assert_int_equal(s.sockets.udp.n, 2);
	assert_string_equal(sockrec_state_to_string(&s.sockets.udp.v[0]), "UNCONN");
	assert_int_equal(s.sockets.udp.v[0].v6only, -1);
	assert_string_equal(sockrec_state_to_string(&s.sockets.udp.v[1]), "ESTABLISHED");
	assert_int_equal(s.sockets.udp.v[1].v6only, 1);

	/* Malformed endpoints and mixed families are refused and add nothing. */
	assert_int_equal(snapbuild_listen(&s, "localhost:22", -1, 9), -EINVAL);
	assert_int_equal(snapbuild_listen(&s, "[::1]22", -1, 9), -EINVAL);
	assert_int_equal(snapbuild_listen(&s, "127.0.0.1:65536", -1, 9), -EINVAL);
	assert_int_equal(snapbuild_tcp(&s, SOCKREC_ESTABLISHED, "127.0.0.1:1", "[::1]:2", 9),
			 -EINVAL);
	assert_int_equal(snapbuild_tcp(&s, SOCKREC_LISTEN, "127.0.0.1:1", NULL, 9), -EINVAL);
	assert_int_equal(s.sockets.listeners.n + s.sockets.held.n + s.sockets.udp.n, 7);
	snapshot_done(&s);
}

static void test_owners_units(void **state)
{
	const struct owner *o;
	struct snapshot s;

	(void)state;
	OK(snapbuild_init(&s, 32768, 60999));
	OK(snapbuild_owner(&s, 7, 1, "systemd", "init.scope"));
	OK(snapbuild_owner(&s, 7, 42, "nginx", "nginx.service"));
	OK(snapbuild_owner(&s, 8, 43, "sshd", NULL));
	assert_true(s.owners_resolved);
	o = owners_lookup(&s.owners, 7);
	assert_non_null(o);
	assert_int_equal(o->pid, 42);
	assert_string_equal(o->comm, "nginx");
	assert_string_equal(o->unit, "nginx.service");
	assert_null(owners_lookup(&s.owners, 8)->unit);
	assert_null(owners_lookup(&s.owners, 9));
	assert_int_equal(snapbuild_owner(&s, 9, 44, "a-name-of-16-chr", NULL), -EINVAL);

	OK(snapbuild_unit(&s, "web.socket", "Stream", "[::]:8080"));
	OK(snapbuild_unit(&s, "dns.socket", "Datagram", "127.0.0.1:53"));
	OK(snapbuild_unit(&s, "web.socket", "Stream", "/run/web.sock"));
	assert_int_equal(snapbuild_unit(&s, "bad.socket", "Stream", "[::1:80"), -EINVAL);
	assert_int_equal(s.units.n, 2);
	assert_string_equal(s.units.v[0].name, "dns.socket");
	assert_int_equal(s.units.v[0].listen[0].proto, PROTO_UDP);
	assert_int_equal(s.units.v[0].listen[0].port, 53);
	assert_string_equal(s.units.v[1].name, "web.socket");
	assert_int_equal(s.units.v[1].n_listen, 2);
	assert_true(s.units.v[1].listen[0].inet);
	assert_int_equal(s.units.v[1].listen[0].proto, PROTO_TCP);
	assert_false(s.units.v[1].listen[1].inet);
	snapshot_done(&s);
}

static void test_inventory(void **state)
{
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	struct inventory *bad = NULL;
	struct portset p;
	struct diag d;

	(void)state;
	OK(snapbuild_inventory("version: 1\nservices:\n  db: {ports: [3306, \"40000-40002\"]}\n",
			       NULL, &inv));
	assert_int_equal(inv->n_services, 1);
	inventory_service_ports(inventory_find(inv, "db"), PROTO_TCP, &p);
	assert_set(&p, "3306,40000-40002");

	diag_init(&d, 0);
	assert_int_equal(snapbuild_inventory("version: 2\nservices: {}\n", &d, &bad), -EINVAL);
	assert_null(bad);
	assert_true(d.n >= 1);
	assert_string_equal(d.entries[0].file, "inv.yaml");
	diag_done(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),	     cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_sysctld),	     cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_owners_units), cmocka_unit_test(test_inventory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
