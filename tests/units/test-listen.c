/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * units_parse_listen() on every address shape systemd's Listen property shows
 * (REFERENCE §6.1, systemd's sockaddr_pretty() and socket_port_type_to_string()),
 * and on malformed IP addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "portaudit/services.h"
#include "portaudit/units.h"

struct good {
	const char *type, *address;
	int family;      /* 0: not an IP socket */
	int proto;
	const char *addr; /* inet_pton() form */
	unsigned port;
};

static const struct good goods[] = {
	/* web.socket, dns.socket of REFERENCE §6.3 */
	{ "Stream", "127.0.0.1:8080", AF_INET, PROTO_TCP, "127.0.0.1", 8080 },
	{ "Stream", "[::]:8443", AF_INET6, PROTO_TCP, "::", 8443 },
	{ "Stream", "[::1]:9000", AF_INET6, PROTO_TCP, "::1", 9000 },
	{ "Datagram", "0.0.0.0:5353", AF_INET, PROTO_UDP, "0.0.0.0", 5353 },
	{ "Stream", "[::]:53", AF_INET6, PROTO_TCP, "::", 53 },
	{ "Datagram", "[::]:53", AF_INET6, PROTO_UDP, "::", 53 },
	/* ports at the ends, full addresses */
	{ "Stream", "255.255.255.255:65535", AF_INET, PROTO_TCP, "255.255.255.255", 65535 },
	{ "Datagram", "10.0.0.1:1", AF_INET, PROTO_UDP, "10.0.0.1", 1 },
	{ "Stream", "[2001:db8::1:0:0:1]:443", AF_INET6, PROTO_TCP, "2001:db8::1:0:0:1", 443 },
	{ "Stream", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1", AF_INET6, PROTO_TCP,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	/* v4-mapped: sockaddr_pretty(translate_ipv6=false) keeps the IPv6 form */
	{ "Stream", "[::ffff:127.0.0.1]:80", AF_INET6, PROTO_TCP, "::ffff:127.0.0.1", 80 },
	/* link-local with a scope: after the port (systemd >= 250), or inside the brackets */
	{ "Stream", "[fe80::1]:80%2", AF_INET6, PROTO_TCP, "fe80::1", 80 },
	{ "Stream", "[fe80::1]:80%eth0", AF_INET6, PROTO_TCP, "fe80::1", 80 },
	{ "Datagram", "[fe80::1%3]:546", AF_INET6, PROTO_UDP, "fe80::1", 546 },
	/* SCTP: an IP socket, but not audited */
	{ "SequentialPacket", "127.0.0.1:5000", AF_INET, -1, "127.0.0.1", 5000 },
	{ "SequentialPacket", "[::]:5000", AF_INET6, -1, "::", 5000 },
	/* AF_UNIX, abstract, vsock, unnamed */
	{ "Stream", "/run/demo.sock", 0, -1, NULL, 0 },
	{ "Stream", "@demo-abstract", 0, -1, NULL, 0 },
	{ "SequentialPacket", "/run/demo.seq", 0, -1, NULL, 0 },
	{ "Datagram", "/run/systemd/journal/socket", 0, -1, NULL, 0 },
	{ "Stream", "vsock:2:1234", 0, -1, NULL, 0 },
	{ "Stream", "vsock::1234", 0, -1, NULL, 0 },
	{ "Datagram", "<unnamed>", 0, -1, NULL, 0 },
	/* the other port types: the address is a path or a netlink spec, never IP */
	{ "FIFO", "/run/initctl", 0, -1, NULL, 0 },
	{ "Special", "/proc/kmsg", 0, -1, NULL, 0 },
	{ "MessageQueue", "/mq", 0, -1, NULL, 0 },
	{ "USBFunction", "/dev/usb-ffs/adb", 0, -1, NULL, 0 },
	{ "Netlink", "kobject-uevent 1", 0, -1, NULL, 0 },
	{ "Netlink", "audit 1", 0, -1, NULL, 0 },
	/* a type systemd may add later: kept, not IP */
	{ "Frobnicate", "127.0.0.1:80", 0, -1, NULL, 0 },
};

static void test_good(void **state _unused_)
{
	for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
		const struct good *g = &goods[i];
		struct unit_listen l;
		uint8_t want[16] = { 0 };

		print_message("%s %s\n", g->type, g->address);
		assert_int_equal(units_parse_listen(g->type, g->address, &l), 0);
		assert_string_equal(l.type, g->type);
		assert_string_equal(l.address, g->address);
		assert_int_equal(l.inet, g->family != 0);
		if (g->family) {
			assert_int_equal(l.family, g->family);
			assert_int_equal(l.proto, g->proto);
			assert_int_equal(l.port, g->port);
			assert_int_equal(inet_pton(g->family, g->addr, want), 1);
			assert_memory_equal(l.addr, want, sizeof(want));
		} else
			assert_int_equal(l.proto, -1);
		units_listen_done(&l);
		assert_null(l.type);
		assert_null(l.address);
	}
}

static void test_network_order(void **state _unused_)
{
	struct unit_listen l;
	static const uint8_t v4[16] = { 192, 168, 1, 2 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x05 };

	assert_int_equal(units_parse_listen("Stream", "192.168.1.2:443", &l), 0);
	assert_memory_equal(l.addr, v4, sizeof(v4));
	units_listen_done(&l);
	assert_int_equal(units_parse_listen("Stream", "[2001:db8::5]:443", &l), 0);
	assert_memory_equal(l.addr, v6, sizeof(v6));
	units_listen_done(&l);
}

static const char *const bad_addresses[] = {
	"",
	"127.0.0.1",
	"127.0.0.1:",
	"127.0.0.1:0",
	"127.0.0.1:65536",
	"127.0.0.1:99999",
	"127.0.0.1:123456",
	"127.0.0.1:080",
	"127.0.0.1:+80",
	"127.0.0.1:-1",
	"127.0.0.1:80 ",
	" 127.0.0.1:80",
	"127.0.0.1 :80",
	"127.0.0.1:8o",
	"127.0.0.1:80%2",
	"256.0.0.1:80",
	"1.2.3:80",
	"1.2.3.4.5:80",
	"01.2.3.4:80",
	"0x7f.0.0.1:80",
	"localhost:80",
	":80",
	"::1:80",
	"[::1]",
	"[::1]:",
	"[::1]80",
	"[::1:80",
	"::1]:80",
	"[]:80",
	"[::1]:0",
	"[::1]:65536",
	"[::g]:80",
	"[1.2.3.4]:80",
	"[::1]:80%",
	"[fe80::1%]:80",
	"[%2]:80",
	"[fe80::1%2]:80%2",
	"[fe80::1]:80%eth/0",
	"[fe80::1]:80%eth 0",
	"[fe80::1]:%2",
	"[::1]]:80",
	"[[::1]:80",
	"[::1]:80:80",
};

static void test_bad(void **state _unused_)
{
	static const char *const types[] = { "Stream", "Datagram", "SequentialPacket" };

	for (size_t t = 0; t < ARRAY_SIZE(types); t++)
		for (size_t i = 0; i < ARRAY_SIZE(bad_addresses); i++) {
			struct unit_listen l, orig;

			memset(&l, 0xa5, sizeof(l));
			orig = l;
			print_message("%s '%s'\n", types[t], bad_addresses[i]);
			assert_int_equal(units_parse_listen(types[t], bad_addresses[i], &l), -EINVAL);
			/* ret_* is written only on success */
			assert_memory_equal(&l, &orig, sizeof(l));
		}
}

static void test_null(void **state _unused_)
{
	struct unit_listen l;

	assert_int_equal(units_parse_listen(NULL, "127.0.0.1:80", &l), -EINVAL);
	assert_int_equal(units_parse_listen("Stream", NULL, &l), -EINVAL);
	units_listen_done(NULL);
}

static void test_transport_strings(void **state _unused_)
{
	assert_string_equal(units_transport_to_string(UNITS_NONE), "none");
	assert_string_equal(units_transport_to_string(UNITS_BUS), "bus");
	assert_string_equal(units_transport_to_string(UNITS_PRIVATE), "private");
	assert_null(units_transport_to_string(_UNITS_TRANSPORT_MAX));
	assert_null(units_transport_to_string((enum units_transport)-1));
}

/* Under --root nothing is read over any transport, and the note says so. */
static void test_offline_root(void **state _unused_)
{
	_cleanup_(root_freep) struct root *r = NULL;
	struct diag notes;
	struct units u = { .transport = UNITS_BUS };

	assert_int_equal(root_new("/usr", &r), 0);
	diag_init(&notes, 0);
	assert_int_equal(units_read(r, &notes, &u), 0);
	assert_int_equal(u.transport, UNITS_NONE);
	assert_int_equal(u.n, 0);
	assert_int_equal(notes.n, 1);
	assert_string_equal(notes.entries[0].file, "/usr");
	assert_string_equal(notes.entries[0].message, "socket units are not read under --root");
	units_done(&u);
	diag_done(&notes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_network_order),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_transport_strings),
		cmocka_unit_test(test_offline_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
