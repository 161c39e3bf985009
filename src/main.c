/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "portaudit/diag.h"
#include "portaudit/inventory-sources.h"
#include "portaudit/options.h"
#include "portaudit/portset.h"
#include "portaudit/report.h"
#include "portaudit/root.h"
#include "portaudit/services.h"
#include "portaudit/snapshot.h"
#include "portaudit/sysctl.h"

static int print_kernel_ports(const struct snapshot *snap, unsigned verbose)
{
	const struct snapshot_kernel *k = &snap->kernel;
	_cleanup_free_ char *list = NULL;
	unsigned range_size = (unsigned)k->range_hi - k->range_lo + 1;
	unsigned reserved_inside = portset_count_range(&k->reserved, k->range_lo, k->range_hi);

	if (portset_format_alloc(&k->reserved, &list) < 0)
		return -ENOMEM;
	printf("portaudit %s: %s (this network namespace)\n", PACKAGE_VERSION,
	       snap->live ? "live host" : snap->root);
	printf("  %-36s %u-%u (%u ports)\n", SYSCTL_PORT_RANGE, k->range_lo, k->range_hi,
	       range_size);
	printf("  %-36s %s (%u ports, %u inside the range)\n", SYSCTL_RESERVED_PORTS,
	       *list ? list : "(none)", portset_count(&k->reserved), reserved_inside);
	if (k->have_unprivileged_start)
		printf("  %-36s %u\n", SYSCTL_UNPRIVILEGED_PORT_START, k->unprivileged_start);
	printf("  ephemeral ports left for clients: %u\n", range_size - reserved_inside);
	if (verbose)
		printf("  source: %s\n", k->source);
	return 0;
}

/* Every input error, one line each, then how many were left out. */
static void print_diag(const struct diag *d)
{
	char line[2048];

	for (size_t i = 0; i < d->n; i++) {
		diag_format(&d->entries[i], line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	/* Loading stops once the list is full, so the rest is not even counted. */
	if (d->total > d->n)
		fprintf(stderr, "portaudit: too many errors, stopped after the first %zu\n", d->n);
}

static void print_inventory_summary(const struct inventory *inv)
{
	if (inv->discovered) {
		printf("  inventory: none found (%s, inventory.d): discovery mode, in which the live\n"
		       "  listeners and socket units are the inventory (not read by this version yet)\n",
		       INVENTORY_DEFAULT_FILE);
		return;
	}
	printf("  inventory: %zu service%s, %u tcp and %u udp ports, from", inv->n_services,
	       inv->n_services == 1 ? "" : "s", portset_count(&inv->ports[PROTO_TCP]),
	       portset_count(&inv->ports[PROTO_UDP]));
	for (size_t i = 0; i < inv->n_sources; i++)
		printf(" %s", inv->sources[i]);
	printf("\n");
}

static int load_inventory(const struct options *opts, const struct root *root,
			  struct inventory **ret)
{
	_cleanup_(root_freep) struct root *host = NULL;
	_cleanup_(services_freep) struct services *services = NULL;
	struct diag diag;
	int r;

	r = services_load(root, &services);
	if (r < 0) {
		_cleanup_free_ char *shown = root_display_path(root, "/etc/services");
		fprintf(stderr, "portaudit: cannot read '%s': %s\n", shown ? shown : "/etc/services",
			strerror(-r));
		return r;
	}
	/* -c paths are the operator's, on this host, even with --root. */
	if (opts->n_inventories > 0 && !root->live) {
		r = root_new("/", &host);
		if (r < 0) {
			fprintf(stderr, "portaudit: cannot open '/': %s\n", strerror(-r));
			return r;
		}
	}
	diag_init(&diag, 0);
	r = inventory_sources_load(root, host ? host : root, opts->inventories,
				   opts->n_inventories, services, &diag, ret);
	if (r == 0 && diag.total > 0) {
		print_diag(&diag);
		*ret = inventory_free(*ret);
		r = -EINVAL;
	} else if (r < 0)
		fprintf(stderr, "portaudit: out of memory\n");
	diag_done(&diag);
	return r;
}

static int print_inventory(const struct inventory *inv)
{
	_cleanup_free_ char *yaml = NULL;
	size_t len;

	if (inventory_to_yaml(inv, &yaml, &len) < 0) {
		fprintf(stderr, "portaudit: out of memory\n");
		return EXIT_BAD_INPUT;
	}
	if (inv->discovered)
		fprintf(stderr, "portaudit: no inventory found; discovering listeners and socket units is not built yet, so this one is empty\n");
	fwrite(yaml, 1, len, stdout);
	return EXIT_CLEAN;
}

/* Gather the snapshot, or say in one line why not. */
static int gather(const struct root *root, const struct inventory *inv, struct snapshot *ret)
{
	_cleanup_free_ char *msg = NULL;
	int r;

	r = snapshot_gather(root, &inv->ports[PROTO_TCP], ret, &msg);
	if (r < 0)
		fprintf(stderr, "portaudit: %s\n", msg ? msg : strerror(-r));
	return r;
}

/* The snapshot as JSON, with the owner of every socket in it. */
static int print_snapshot(const struct root *root, struct snapshot *snap)
{
	_cleanup_free_ uint64_t *inodes = NULL;
	struct json_object *obj = NULL;
	size_t n;
	int r;

	r = snapshot_inodes(snap, &inodes, &n);
	if (r == 0)
		r = snapshot_resolve_owners(snap, root, inodes, n);
	if (r == 0)
		r = report_json_snapshot(snap, &obj);
	if (r == 0)
		r = report_json_print(obj, stdout);
	json_object_put(obj);
	if (r < 0) {
		fprintf(stderr, "portaudit: cannot print the snapshot: %s\n", strerror(-r));
		return EXIT_BAD_INPUT;
	}
	return EXIT_CLEAN;
}

static int run(const struct options *opts)
{
	_cleanup_(root_freep) struct root *root = NULL;
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(snapshot_done) struct snapshot snap = { 0 };
	int r;

	r = root_new(opts->root, &root);
	if (r < 0) {
		fprintf(stderr, "portaudit: cannot open root '%s': %s\n",
			opts->root ? opts->root : "/", strerror(-r));
		return EXIT_BAD_INPUT;
	}
	if (load_inventory(opts, root, &inv) < 0)
		return EXIT_BAD_INPUT;
	if (opts->print_inventory)
		return print_inventory(inv);
	if (gather(root, inv, &snap) < 0)
		return EXIT_BAD_INPUT;
	if (opts->snapshot)
		return print_snapshot(root, &snap);
	if (!opts->quiet) {
		if (print_kernel_ports(&snap, opts->verbose) < 0) {
			fprintf(stderr, "portaudit: out of memory\n");
			return EXIT_BAD_INPUT;
		}
		print_inventory_summary(inv);
		printf("Not checked by this version: the findings (see --snapshot for what was read).\n");
	}
	return EXIT_CLEAN;
}

int main(int argc, char *argv[])
{
	struct options opts;
	const char *unbuilt;
	int ret;

	if (options_parse(argc, argv, &opts) < 0) {
		fprintf(stderr, "portaudit: %s (see 'portaudit --help')\n", opts.error);
		options_done(&opts);
		return EXIT_BAD_INPUT;
	}
	switch (opts.action) {
	case ACTION_HELP:
		fputs(options_help(), stdout);
		ret = EXIT_CLEAN;
		break;
	case ACTION_VERSION:
		printf("portaudit %s\n", PACKAGE_VERSION);
		ret = EXIT_CLEAN;
		break;
	case ACTION_AUDIT:
	default:
		unbuilt = options_unbuilt(&opts);
		if (unbuilt) {
			fprintf(stderr, "portaudit: %s is not built in this version yet\n", unbuilt);
			ret = EXIT_BAD_INPUT;
		} else
			ret = run(&opts);
		break;
	}
	options_done(&opts);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "portaudit: cannot write output: %s\n", strerror(errno));
		return EXIT_BAD_INPUT;
	}
	return ret;
}
