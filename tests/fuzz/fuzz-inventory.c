/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inventory_parse_buffer() on arbitrary bytes, with a fixed services table.
 * Checked beyond "no crash": the return value agrees with the diagnostics, and
 * an accepted inventory survives inventory_to_yaml(): its YAML loads back
 * without a diagnostic into the same services, ports, protocols, flags and
 * policy, and emits the same bytes again (the emitter's output is a fixed point).
 * Then the same text is loaded again as a second file into the same inventory:
 * every service and policy key in it is already defined, so it adds nothing.
 */
#include <errno.h>
#include <string.h>

#include "portaudit/diag.h"
#include "portaudit/inventory.h"

#include "fuzz.h"

/*
 * The services table the names resolve through: the usual ones, then names
 * that YAML gives a meaning (null, booleans, indicators, flow punctuation) so
 * that the emitter has to quote them for the round trip to hold.
 */
static const char etc_services[] =
	"domain 53/tcp\n"
	"domain 53/udp\n"
	"http 80/tcp www\n"
	"mysql 3306/tcp\n"
	"syslog 514/udp\n"
	"ntp 123/udp\n"
	"x11 6000/tcp x11-0\n"
	"null 9001/tcp\n"
	"~ 9002/tcp\n"
	"true 9003/tcp yes\n"
	"*x 9004/tcp\n"
	"&a 9005/tcp\n"
	"!t 9006/tcp\n"
	"%p 9007/tcp\n"
	"@at 9008/tcp\n"
	"`bq 9009/tcp\n"
	"a,b 9010/tcp\n"
	"[x] 9011/tcp\n"
	"{y} 9012/tcp\n"
	"'q' 9013/tcp\n"
	"\"d\" 9014/tcp\n"
	": 9015/tcp\n"
	"? 9016/tcp\n"
	"a:b 9017/tcp\n"
	"k: 9018/tcp\n"
	"caf\xc3\xa9 9019/tcp\n"
	"|lit 9020/tcp\n"
	">fold 9021/tcp\n"
	"a\\b 9022/tcp\n"
	"1x 9023/tcp\n"
	"=eq 9024/udp\n"
	"... 9025/udp\n"
	"--- 9026/udp\n";

static struct services *table(void)
{
	static struct services *services;

	/* Parsed once and kept for the process: still reachable, so no leak report. */
	if (!services && services_parse_buffer(etc_services, sizeof(etc_services) - 1, &services,
					       NULL) < 0)
		abort();
	return services;
}

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Everything inventory_to_yaml() promises to carry over; marks and sources excepted. */
static void check_same(const struct inventory *a, const struct inventory *b, const char *yaml)
{
	FUZZ_CHECK(a->n_services == b->n_services, "%zu services, %zu after the round trip:\n%s",
		   a->n_services, b->n_services, yaml);
	for (size_t i = 0; i < a->n_services; i++) {
		const struct inventory_service *x = &a->services[i], *y = &b->services[i];

		FUZZ_CHECK(strcmp(x->name, y->name) == 0, "service '%s' came back as '%s':\n%s",
			   x->name, y->name, yaml);
		FUZZ_CHECK(x->n_items == y->n_items, "service '%s': %zu ports, then %zu:\n%s",
			   x->name, x->n_items, y->n_items, yaml);
		for (size_t k = 0; k < x->n_items; k++) {
			const struct inventory_item *p = &x->items[k], *q = &y->items[k];

			FUZZ_CHECK(p->lo == q->lo && p->hi == q->hi && str_same(p->name, q->name),
				   "service '%s' port %zu: %u-%u '%s', then %u-%u '%s':\n%s",
				   x->name, k, p->lo, p->hi, p->name ? p->name : "", q->lo, q->hi,
				   q->name ? q->name : "", yaml);
		}
		FUZZ_CHECK(memcmp(x->protocols, y->protocols, sizeof(x->protocols)) == 0,
			   "service '%s': protocols differ:\n%s", x->name, yaml);
		for (int p = 0; p < _PROTO_MAX; p++)
			FUZZ_CHECK(x->n_runs[p] == y->n_runs[p] &&
					   (x->n_runs[p] == 0 ||
					    memcmp(x->runs[p], y->runs[p],
						   x->n_runs[p] * sizeof(struct portrun)) == 0),
				   "service '%s': %s ports differ:\n%s", x->name,
				   proto_to_string((enum proto)p), yaml);
		FUZZ_CHECK(x->reserve == y->reserve, "service '%s': reserve differs:\n%s", x->name,
			   yaml);
		FUZZ_CHECK(str_same(x->unit, y->unit), "service '%s': unit differs:\n%s", x->name,
			   yaml);
		FUZZ_CHECK(str_same(x->process, y->process), "service '%s': process differs:\n%s",
			   x->name, yaml);
		FUZZ_CHECK(inventory_find(b, x->name) == y, "service '%s' not found by name",
			   x->name);
	}
	FUZZ_CHECK(a->policy.reserve == b->policy.reserve &&
			   a->policy.unlisted_listeners == b->policy.unlisted_listeners &&
			   a->policy.min_ephemeral_ports == b->policy.min_ephemeral_ports,
		   "policy differs:\n%s", yaml);
	for (int p = 0; p < _PROTO_MAX; p++)
		FUZZ_CHECK(portset_equal(&a->ports[p], &b->ports[p]), "%s port sets differ:\n%s",
			   proto_to_string((enum proto)p), yaml);
}

/* Format every kept diagnostic: the positions and messages must be printable. */
static void check_diag(const struct diag *d)
{
	char line[2048];

	FUZZ_CHECK(d->n <= d->max && d->n <= d->total, "%zu kept, max %zu, total %zu", d->n,
		   d->max, d->total);
	for (size_t i = 0; i < d->n; i++) {
		size_t n = diag_format(&d->entries[i], line, sizeof(line));
		FUZZ_CHECK(n > 0, "empty diagnostic %zu", i);
	}
}

/* Load yaml (from the emitter) into a new inventory that must carry no diagnostic. */
static struct inventory *load_back(const char *yaml, size_t len)
{
	struct inventory *inv = inventory_new();
	struct diag d;
	char line[2048] = "";
	int r;

	if (!inv)
		return NULL;
	diag_init(&d, 0);
	r = inventory_parse_buffer(inv, "round-trip.yaml", yaml, len, table(), &d);
	if (r == -ENOMEM) {
		diag_done(&d);
		return inventory_free(inv);
	}
	if (d.n > 0)
		diag_format(&d.entries[0], line, sizeof(line));
	FUZZ_CHECK(r == 0 && d.total == 0, "emitted YAML does not load back (%d): %s\n%s", r,
		   line, yaml);
	diag_done(&d);
	return inv;
}

/* The accepted text once more, as a later file: errors only, no change. */
static void check_second_file(struct inventory *inv, const uint8_t *data, size_t size)
{
	static struct portset ports[_PROTO_MAX];
	struct inventory_policy policy = inv->policy;
	size_t n = inv->n_services;
	struct diag d;
	int r;

	memcpy(ports, inv->ports, sizeof(ports));
	diag_init(&d, 0);
	r = inventory_parse_buffer(inv, "fuzz-2.yaml", (const char *)data, size, table(), &d);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "second file: returned %d", r);
	check_diag(&d);
	diag_done(&d);
	if (r == -ENOMEM)
		return;
	FUZZ_CHECK(inv->n_services == n, "second file: %zu services, then %zu", n, inv->n_services);
	FUZZ_CHECK(n == 0 || r == -EINVAL, "second file: %zu services defined again without error",
		   n);
	FUZZ_CHECK(memcmp(&policy, &inv->policy, sizeof(policy)) == 0, "second file: policy changed");
	for (int p = 0; p < _PROTO_MAX; p++)
		FUZZ_CHECK(portset_equal(&ports[p], &inv->ports[p]), "second file: %s ports changed",
			   proto_to_string((enum proto)p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv, *back = NULL;
	char *yaml = NULL, *again = NULL;
	size_t len, len_again;
	struct diag d;
	int r;

	inv = inventory_new();
	if (!inv)
		return 0;
	diag_init(&d, 0);
	r = inventory_parse_buffer(inv, "fuzz.yaml", (const char *)data, size, table(), &d);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "inventory_parse_buffer() returned %d",
		   r);
	if (r != -ENOMEM)
		FUZZ_CHECK((r == 0) == (d.total == 0), "returned %d with %zu diagnostics", r,
			   d.total);
	check_diag(&d);
	diag_done(&d);
	if (r < 0)
		goto out;

	if (inventory_to_yaml(inv, &yaml, &len) < 0)
		goto out;
	FUZZ_CHECK(strlen(yaml) == len, "length %zu, strlen %zu", len, strlen(yaml));
	back = load_back(yaml, len);
	if (!back)
		goto out;
	check_same(inv, back, yaml);

	if (inventory_to_yaml(back, &again, &len_again) < 0)
		goto out;
	FUZZ_CHECK(len == len_again && memcmp(yaml, again, len) == 0,
		   "the YAML of the loaded YAML differs:\n%s\n---\n%s", yaml, again);

	check_second_file(inv, data, size);
out:
	free(again);
	free(yaml);
	inventory_free(back);
	inventory_free(inv);
	return 0;
}
