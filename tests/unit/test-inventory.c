/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portaudit/inventory.h"

static struct services *services;

static int setup(void **state)
{
	static const char etc_services[] = "domain 53/tcp\ndomain 53/udp\n"
					   "http 80/tcp www\nmysql 3306/tcp\nsyslog 514/udp\n";
	return services_parse_buffer(etc_services, strlen(etc_services), &services, NULL);
}

static int teardown(void **state)
{
	services_free(services);
	return 0;
}

/* Load one buffer; returns the first error as "LINE:COL: message" or "" when none. */
static char *first_error(const char *yaml, struct inventory **ret_inv)
{
	struct inventory *inv = inventory_new();
	struct diag d;
	static char line[1024];
	int r;

	assert_non_null(inv);
	diag_init(&d, 0);
	r = inventory_parse_buffer(inv, "t.yaml", yaml, strlen(yaml), services, &d);
	assert_int_equal(r == 0, d.total == 0);
	line[0] = '\0';
	if (d.n > 0) {
		diag_format(&d.entries[0], line, sizeof(line));
		/* Drop "t.yaml:" to keep the table short. */
		size_t skip = strlen("t.yaml:") + (line[strlen("t.yaml:")] == ' ');
		memmove(line, line + skip, strlen(line) - skip + 1);
	}
	diag_done(&d);
	if (ret_inv)
		*ret_inv = inv;
	else
		inventory_free(inv);
	return line;
}

static const char design_example[] =
	"version: 1\n"
	"services:\n"
	"  mysql:\n"
	"    ports: [3306, 33060]\n"
	"    unit: mysql.service\n"
	"    process: mysqld\n"
	"  sysbench-target:\n"
	"    ports: [28350]\n"
	"  memcached:\n"
	"    ports: [11211]\n"
	"    protocol: [tcp, udp]\n"
	"  kube-nodeports:\n"
	"    ports: [\"30000-32767\"]\n"
	"    reserve: false\n"
	"  dns:\n"
	"    ports: [domain]\n"
	"policy:\n"
	"  reserve: ephemeral\n"
	"  unlisted_listeners: warning\n"
	"  min_ephemeral_ports: 16384\n";

static void test_design_example(void **state)
{
	struct inventory *inv;
	const struct inventory_service *s;
	struct portset set;

	assert_string_equal(first_error(design_example, &inv), "");
	assert_int_equal(inv->n_services, 5);

	s = inventory_find(inv, "mysql");
	assert_non_null(s);
	assert_string_equal(s->unit, "mysql.service");
	assert_string_equal(s->process, "mysqld");
	assert_true(s->reserve);
	assert_true(s->protocols[PROTO_TCP]);
	assert_false(s->protocols[PROTO_UDP]);
	inventory_service_ports(s, PROTO_TCP, &set);
	assert_int_equal(portset_count(&set), 2);
	assert_true(portset_contains(&set, 3306) && portset_contains(&set, 33060));
	assert_int_equal(s->mark.line, 3);
	assert_int_equal(s->mark.column, 3);

	s = inventory_find(inv, "memcached");
	assert_true(s->protocols[PROTO_TCP] && s->protocols[PROTO_UDP]);
	assert_true(portset_contains(&inv->ports[PROTO_UDP], 11211));

	s = inventory_find(inv, "kube-nodeports");
	assert_false(s->reserve);
	assert_int_equal(s->n_runs[PROTO_TCP], 1);
	assert_int_equal(s->runs[PROTO_TCP][0].lo, 30000);
	assert_int_equal(s->runs[PROTO_TCP][0].hi, 32767);

	s = inventory_find(inv, "dns");
	assert_string_equal(s->items[0].name, "domain");
	assert_int_equal(s->runs[PROTO_TCP][0].lo, 53);
	assert_false(portset_contains(&inv->ports[PROTO_UDP], 53)); /* tcp only */

	assert_null(inventory_find(inv, "nosuch"));
	assert_int_equal(portset_count(&inv->ports[PROTO_TCP]), 2 + 1 + 1 + 2768 + 1);
	assert_int_equal(inv->policy.reserve, RESERVE_EPHEMERAL);
	assert_int_equal(inv->policy.unlisted_listeners, LEVEL_WARNING);
	assert_int_equal(inv->policy.min_ephemeral_ports, 16384);
	inventory_free(inv);
}

static void test_defaults_and_forms(void **state)
{
	struct inventory *inv;
	const struct inventory_service *s;

	assert_string_equal(first_error("version: 1\n"
					"services:\n"
					"  a: {ports: 8080}\n"             /* a single port without brackets */
					"  b: {ports: [www, 9000-9002, '9003'], protocol: tcp}\n"
					"  c: {ports: [syslog], protocol: udp, reserve: False}\n"
					"  d: {ports: [7000, 7001-7002]}\n" /* adjacent runs merge */
					"policy: {reserve: all, unlisted_listeners: ignore, min_ephemeral_ports: 0}\n",
					&inv),
			    "");
	s = inventory_find(inv, "a");
	assert_int_equal(s->runs[PROTO_TCP][0].lo, 8080);
	s = inventory_find(inv, "b");
	assert_int_equal(s->n_runs[PROTO_TCP], 2);
	assert_int_equal(s->runs[PROTO_TCP][0].lo, 80);
	assert_int_equal(s->runs[PROTO_TCP][1].lo, 9000);
	assert_int_equal(s->runs[PROTO_TCP][1].hi, 9003);
	s = inventory_find(inv, "c");
	assert_false(s->protocols[PROTO_TCP]);
	assert_int_equal(s->runs[PROTO_UDP][0].lo, 514);
	assert_false(s->reserve);
	s = inventory_find(inv, "d");
	assert_int_equal(s->n_runs[PROTO_TCP], 1);
	assert_int_equal(s->runs[PROTO_TCP][0].hi, 7002);
	assert_int_equal(inv->policy.reserve, RESERVE_ALL);
	assert_int_equal(inv->policy.unlisted_listeners, LEVEL_IGNORE);
	assert_int_equal(inv->policy.min_ephemeral_ports, 0);
	inventory_free(inv);

	/* A UTF-8 byte-order mark is not content. */
	assert_string_equal(first_error("\xef\xbb\xbfversion: 1\nservices:\n  a: {ports: [1]}\n", &inv), "");
	assert_int_equal(inv->n_services, 1);
	inventory_free(inv);

	/* Quoted numbers count as numbers; "~" and "null" are empty. */
	assert_string_equal(first_error("version: 1\nservices: ~\npolicy: {min_ephemeral_ports: '100'}\n", &inv), "");
	assert_int_equal(inv->policy.min_ephemeral_ports, 100);
	inventory_free(inv);
	assert_string_equal(first_error("version: 1\nservices: null\npolicy: null\n", &inv), "");
	assert_int_equal(inv->n_services, 0);
	inventory_free(inv);

	/* The default policy when the file has none; "services:" may be empty. */
	assert_string_equal(first_error("version: 1\nservices:\n", &inv), "");
	assert_int_equal(inv->n_services, 0);
	assert_int_equal(inv->policy.reserve, RESERVE_EPHEMERAL);
	assert_int_equal(inv->policy.unlisted_listeners, LEVEL_WARNING);
	assert_int_equal(inv->policy.min_ephemeral_ports, 16384);
	inventory_free(inv);
}

/* Every schema rule: the input and the exact first error. */
static void test_rules(void **state)
{
	static const struct {
		const char *yaml, *error;
	} rows[] = {
		{ "", "empty inventory file (expected 'version: 1' and 'services:')" },
		{ "# only a comment\n", "empty inventory file (expected 'version: 1' and 'services:')" },
		{ "services: {}\n", "1:1: missing key 'version' in the inventory" },
		{ "version: 2\n", "1:10: unsupported inventory version '2' (this portaudit reads version 1)" },
		{ "version: '1.0'\n", "1:10: unsupported inventory version '1.0' (this portaudit reads version 1)" },
		{ "- 1\n", "1:1: expected a mapping for the inventory, got a list" },
		{ "version: 1\nservice: {}\n", "2:1: unknown key 'service' in the inventory (expected version, services, policy)" },
		{ "version: 1\nversion: 1\n", "2:1: duplicate key 'version' in the inventory (first at line 1, column 1)" },
		{ "version: 1\nservices: [a]\n", "2:11: expected a mapping of service names for 'services', got a list" },
		{ "version: 1\nservices:\n  a: {ports: [80], port: 1}\n", "3:20: unknown key 'port' in service 'a' (expected ports, protocol, reserve, unit, process)" },
		{ "version: 1\nservices:\n  a: {protocol: tcp}\n", "3:6: missing key 'ports' in service 'a'" },
		{ "version: 1\nservices:\n  a: {ports: [80], ports: [81]}\n", "3:20: duplicate key 'ports' in service 'a' (first at line 3, column 7)" },
		{ "version: 1\nservices:\n  a: {ports: [0]}\n", "3:15: port 0 in '0' is not a port a service can listen on" },
		{ "version: 1\nservices:\n  a: {ports: [65536]}\n", "3:15: port '65536' is above 65535" },
		{ "version: 1\nservices:\n  a: {ports: [99999999999]}\n", "3:15: port '99999999999' is above 65535" },
		{ "version: 1\nservices:\n  a: {ports: [080]}\n", "3:15: port '080' has a leading zero, which YAML 1.1 reads as octal: write the number without it" },
		{ "version: 1\nservices:\n  a: {ports: ['9000-8000']}\n", "3:15: reversed port range '9000-8000' (the low port comes first)" },
		{ "version: 1\nservices:\n  a: {ports: ['9000 - 9010']}\n", "3:15: invalid port range '9000 - 9010' (expected 'low-high', e.g. '30000-32767')" },
		{ "version: 1\nservices:\n  a: {ports: ['0-10']}\n", "3:15: port 0 in '0-10' is not a port a service can listen on" },
		{ "version: 1\nservices:\n  a: {ports: [1.5]}\n", "3:15: invalid port '1.5' (expected a number from 1 to 65535, a range 'low-high' or a service name)" },
		{ "version: 1\nservices:\n  a: {ports: [-1]}\n", "3:15: invalid port '-1' (expected a number from 1 to 65535, a range 'low-high' or a service name)" },
		{ "version: 1\nservices:\n  a: {ports: [nosuch]}\n", "3:15: unknown service name 'nosuch' for tcp (not in /etc/services)" },
		{ "version: 1\nservices:\n  a: {ports: [syslog]}\n", "3:15: unknown service name 'syslog' for tcp (not in /etc/services)" },
		{ "version: 1\nservices:\n  a: {ports: []}\n", "3:14: empty port list in service 'a'" },
		{ "version: 1\nservices:\n  a: {ports: ['']}\n", "3:15: empty port in service 'a'" },
		{ "version: 1\nservices:\n  a: {ports: {x: 1}}\n", "3:14: expected a list of ports for 'ports', got a mapping" },
		{ "version: 1\nservices:\n  a: {ports: [80, 80]}\n", "3:3: port 80/tcp is listed twice in service 'a'" },
		{ "version: 1\nservices:\n  a: {ports: [80]}\n  b: {ports: ['70-90']}\n", "4:3: port 80/tcp of service 'b' is already claimed by service 'a' (t.yaml:3:3)" },
		{ "version: 1\nservices:\n  a: {ports: [80]}\n  a: {ports: [81]}\n", "4:3: duplicate service 'a' (first at line 3, column 3)" },
		{ "version: 1\nservices:\n  'a b': {ports: [80]}\n", "3:3: invalid service name 'a b' (letters, digits and ._@:+- only, at most 128)" },
		{ "version: 1\nservices:\n  a: {ports: [80], protocol: sctp}\n", "3:30: unknown protocol 'sctp' (expected tcp or udp)" },
		{ "version: 1\nservices:\n  a: {ports: [80], protocol: [tcp, tcp]}\n", "3:36: protocol 'tcp' listed twice (first at line 3, column 31)" },
		{ "version: 1\nservices:\n  a: {ports: [80], protocol: []}\n", "3:30: empty protocol list (expected tcp, udp or [tcp, udp])" },
		{ "version: 1\nservices:\n  a: {ports: [80], reserve: yes}\n", "3:29: expected true or false for 'reserve', got 'yes'" },
		{ "version: 1\nservices:\n  a: {ports: [80], unit: mysql}\n", "3:26: invalid unit name 'mysql' (expected a systemd unit such as mysql.service or mysql.socket)" },
		{ "version: 1\nservices:\n  a: {ports: [80], process: averyveryverylongname}\n", "3:29: process name 'averyveryverylongname' is longer than 15 characters, the most the kernel keeps of a command name (comm)" },
		{ "version: 1\nservices:\n  a: {ports: [80], process: /usr/sbin/x}\n", "3:29: invalid process name '/usr/sbin/x' (expected a command name such as mysqld)" },
		{ "version: 1\npolicy: {reserve: some}\n", "2:19: unknown value 'some' for policy 'reserve' (expected ephemeral, all or none)" },
		{ "version: 1\npolicy: {unlisted_listeners: loud}\n", "2:30: unknown value 'loud' for policy 'unlisted_listeners' (expected ignore, info, warning or error)" },
		{ "version: 1\npolicy: {min_ephemeral_ports: 70000}\n", "2:31: invalid value '70000' for policy 'min_ephemeral_ports' (expected a number from 0 to 65536)" },
		{ "version: 1\npolicy: {colour: red}\n", "2:10: unknown key 'colour' in 'policy' (expected reserve, unlisted_listeners, min_ephemeral_ports)" },
		{ "version: 1\nservices:\n  a: &x {ports: [80]}\n", "3:6: YAML anchors are not allowed in an inventory ('&x')" },
		{ "version: 1\nservices:\n  a: {ports: [80]}\n  b: *x\n", "4:6: YAML aliases are not allowed in an inventory ('*x')" },
		{ "version: !!int 1\n", "1:10: YAML tags are not allowed in an inventory ('tag:yaml.org,2002:int')" },
		{ "version: 1\nservices:\n  a: {ports: [[80]]}\n", "3:15: nesting deeper than the inventory schema allows (4 levels)" },
		{ "version: 1\nservices: {a: {ports: [80]}\n", "3:1: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping" },
		{ "version: 1\n\tservices:\n", "2:1: YAML syntax error: found a tab character that violates indentation while scanning a plain scalar" },
		{ "version: 1\n---\nversion: 1\n", "2:1: more than one YAML document in an inventory file" },
		{ "version: 1\nservices:\n  caf\xe9: {ports: [80]}\n", "3:7: invalid trailing UTF-8 octet (byte 0x3a): not valid UTF-8 text" },
		{ "version: 1\n[a]: 1\n", "2:1: keys in the inventory must be plain words, got a list" },
		{ "version: 1\nservices:\n  a: {ports: [80], unit: 'foo@.service'}\n", "3:26: invalid unit name 'foo@.service' (expected a systemd unit such as mysql.service or mysql.socket)" },
	};

	unsigned bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const char *got = first_error(rows[i].yaml, NULL);
		if (strcmp(got, rows[i].error) != 0) {
			print_error("row %zu:\n  got:  %s\n  want: %s\n", i, got, rows[i].error);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_errors_continue_and_bound(void **state)
{
	struct inventory *inv = inventory_new();
	struct diag d;
	char yaml[8192];
	size_t o;

	/* Three independent mistakes are all reported in one run. */
	diag_init(&d, 0);
	o = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nservices:\n  a: {ports: [0]}\n"
						 "  b: {ports: [80], reserve: maybe}\n"
						 "policy: {reserve: some}\n");
	assert_int_equal(inventory_parse_buffer(inv, "t.yaml", yaml, o, services, &d), -EINVAL);
	assert_int_equal(d.total, 3);
	assert_int_equal(d.entries[2].line, 5);
	diag_done(&d);
	inventory_free(inv);

	/* Fifty mistakes: twenty kept, the loader stops, the count says more. */
	inv = inventory_new();
	diag_init(&d, 0);
	o = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nservices:\n");
	for (int i = 0; i < 50; i++)
		o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "  s%d: {ports: [0]}\n", i);
	assert_int_equal(inventory_parse_buffer(inv, "t.yaml", yaml, o, services, &d), -EINVAL);
	assert_int_equal(d.n, DIAG_MAX_DEFAULT);
	assert_true(d.total > d.n);
	diag_done(&d);
	inventory_free(inv);
}

static void test_two_files(void **state)
{
	struct inventory *inv = inventory_new();
	struct diag d;
	static const char a[] = "version: 1\nservices:\n  web: {ports: [8080]}\npolicy: {reserve: all}\n";
	static const char b[] = "version: 1\nservices:\n  web: {ports: [8081]}\n  api: {ports: [8080]}\n"
				"policy: {reserve: none}\n";
	char line[512];

	diag_init(&d, 0);
	assert_int_equal(inventory_parse_buffer(inv, "/etc/portaudit/inventory.yaml", a, strlen(a), services, &d), 0);
	assert_int_equal(inventory_parse_buffer(inv, "/run/portaudit/inventory.d/b.yaml", b, strlen(b), services, &d), -EINVAL);
	assert_int_equal(d.total, 3);
	diag_format(&d.entries[0], line, sizeof(line));
	assert_string_equal(line, "/run/portaudit/inventory.d/b.yaml:3:3: service 'web' is already defined in /etc/portaudit/inventory.yaml:3:3");
	diag_format(&d.entries[1], line, sizeof(line));
	assert_string_equal(line, "/run/portaudit/inventory.d/b.yaml:4:3: port 8080/tcp of service 'api' is already claimed by service 'web' (/etc/portaudit/inventory.yaml:3:3)");
	diag_format(&d.entries[2], line, sizeof(line));
	assert_string_equal(line, "/run/portaudit/inventory.d/b.yaml:5:19: policy 'reserve' is already set in /etc/portaudit/inventory.yaml:4:19");
	assert_int_equal(inv->policy.reserve, RESERVE_ALL);
	assert_int_equal(inv->n_sources, 2);
	diag_done(&d);
	inventory_free(inv);
}

static void test_billion_laughs_costs_nothing(void **state)
{
	char yaml[4096];
	size_t o = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");

	for (char c = 'b'; c <= 'j'; c++)
		o += (size_t)snprintf(yaml + o, sizeof(yaml) - o,
				      "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1,
				      c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	/* The first problem found is the unknown key; aliases are refused, not expanded. */
	assert_string_equal(first_error(yaml, NULL),
			    "2:1: unknown key 'a' in the inventory (expected version, services, policy)");
}

static void test_deep_nesting_stops_early(void **state)
{
	static char yaml[200000];
	size_t n = 0;

	n += (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nservices: ");
	while (n < sizeof(yaml) - 2)
		yaml[n++] = '[';
	yaml[n] = '\0';
	assert_string_equal(first_error(yaml, NULL),
			    "2:11: expected a mapping of service names for 'services', got a list");
}

static void test_size_limit(void **state)
{
	struct inventory *inv = inventory_new();
	struct diag d;
	char *big = malloc(INVENTORY_FILE_MAX + 2);
	char line[256];

	assert_non_null(big);
	memset(big, '#', INVENTORY_FILE_MAX + 1);
	diag_init(&d, 0);
	assert_int_equal(inventory_parse_buffer(inv, "big.yaml", big, INVENTORY_FILE_MAX + 1, services, &d), -EINVAL);
	diag_format(&d.entries[0], line, sizeof(line));
	assert_string_equal(line, "big.yaml: file is larger than 4194304 bytes, too large for an inventory");
	diag_done(&d);
	inventory_free(inv);
	free(big);
}

/* --print-inventory's YAML loads back to the same structures. */
static void assert_same(const struct inventory *a, const struct inventory *b)
{
	assert_int_equal(a->n_services, b->n_services);
	for (size_t i = 0; i < a->n_services; i++) {
		const struct inventory_service *x = &a->services[i], *y = &b->services[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->n_items, y->n_items);
		for (size_t k = 0; k < x->n_items; k++) {
			assert_int_equal(x->items[k].lo, y->items[k].lo);
			assert_int_equal(x->items[k].hi, y->items[k].hi);
			assert_int_equal(!x->items[k].name, !y->items[k].name);
			if (x->items[k].name)
				assert_string_equal(x->items[k].name, y->items[k].name);
		}
		assert_memory_equal(x->protocols, y->protocols, sizeof(x->protocols));
		for (int p = 0; p < _PROTO_MAX; p++) {
			assert_int_equal(x->n_runs[p], y->n_runs[p]);
			if (x->n_runs[p])
				assert_memory_equal(x->runs[p], y->runs[p], x->n_runs[p] * sizeof(struct portrun));
		}
		assert_int_equal(x->reserve, y->reserve);
		assert_int_equal(!x->unit, !y->unit);
		if (x->unit)
			assert_string_equal(x->unit, y->unit);
		assert_int_equal(!x->process, !y->process);
		if (x->process)
			assert_string_equal(x->process, y->process);
	}
	assert_memory_equal(&a->policy, &b->policy, sizeof(a->policy));
	for (int p = 0; p < _PROTO_MAX; p++)
		assert_true(portset_equal(&a->ports[p], &b->ports[p]));
}

static void test_yaml_round_trip(void **state)
{
	static const char *const inputs[] = {
		design_example,
		"version: 1\nservices:\n  udp-only: {ports: [syslog, 5000-5010], protocol: udp}\n"
		"  'yes': {ports: [1], unit: 'a@b.service'}\n"
		"policy: {reserve: none, unlisted_listeners: error, min_ephemeral_ports: 100}\n",
		"version: 1\nservices:\n",
		/* Values the emitter must quote (found by the fuzz corpus). */
		"version: 1\nservices:\n  a: {ports: [80], process: \"a b\\tc\"}\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct inventory *a, *b;
		char *yaml;
		size_t len;
		struct diag d;

		assert_string_equal(first_error(inputs[i], &a), "");
		assert_int_equal(inventory_to_yaml(a, &yaml, &len), 0);
		assert_int_equal(strlen(yaml), len);
		b = inventory_new();
		diag_init(&d, 0);
		if (inventory_parse_buffer(b, "out.yaml", yaml, len, services, &d) != 0) {
			char line[512];
			diag_format(&d.entries[0], line, sizeof(line));
			fail_msg("emitted YAML does not load: %s\n%s", line, yaml);
		}
		assert_same(a, b);
		diag_done(&d);
		free(yaml);
		inventory_free(a);
		inventory_free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_defaults_and_forms),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_errors_continue_and_bound),
		cmocka_unit_test(test_two_files),
		cmocka_unit_test(test_billion_laughs_costs_nothing),
		cmocka_unit_test(test_deep_nesting_stops_early),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_yaml_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
