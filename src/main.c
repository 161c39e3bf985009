/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "portaudit/diag.h"
#include "portaudit/fix.h"
#include "portaudit/inventory-sources.h"
#include "portaudit/options.h"
#include "portaudit/policy.h"
#include "portaudit/portset.h"
#include "portaudit/report.h"
#include "portaudit/root.h"
#include "portaudit/services.h"
#include "portaudit/snapshot.h"

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
			r == -EBADFD ? "not a regular file" : strerror(-r));
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
		printf("# Discovered by portaudit %s from the listeners and socket units of this host.\n"
		       "# Edit it and install it as %s.\n",
		       PACKAGE_VERSION, INVENTORY_DEFAULT_FILE);
	fwrite(yaml, 1, len, stdout);
	return EXIT_CLEAN;
}

/* Gather the snapshot, or say in one line why not. */
static int gather(const struct root *root, const struct inventory *inv, struct snapshot *ret)
{
	_cleanup_free_ char *msg = NULL;
	int r;

	r = snapshot_gather(root, &inv->ports[PROTO_TCP], /* hold_unit_ports= */ inv->discovered,
			    ret, &msg);
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

/*
 * Look up the owners the findings will name: only those sockets (DESIGN §3).  In
 * discovery mode the listeners name the services, so every socket read is asked.
 */
static int resolve_owners(const struct root *root, const struct inventory *inv,
			  struct snapshot *snap)
{
	_cleanup_free_ uint64_t *inodes = NULL;
	size_t n;
	int r;

	if (!snap->have_sockets)
		return 0;
	if (inv->discovered)
		r = snapshot_inodes(snap, &inodes, &n);
	else
		r = policy_owner_inodes(inv, snap, &inodes, &n);
	if (r < 0 || n == 0)
		return r;
	return snapshot_resolve_owners(snap, root, inodes, n);
}

static int report(const struct options *opts, const struct report_input *in)
{
	struct json_object *obj = NULL;
	int r;

	if (opts->format == FORMAT_JSON) {
		r = report_json_audit(in, &obj);
		if (r == 0)
			r = report_json_print(obj, stdout);
		json_object_put(obj);
	} else {
		struct report_text_options o = {
			.color = report_want_color(stdout),
			.quiet = opts->quiet,
			.verbose = opts->verbose,
			.fail_on = opts->fail_on,
		};
		r = report_text(stdout, in, &o);
	}
	if (r == -ENOMEM) {
		fprintf(stderr, "portaudit: out of memory\n");
		return r;
	}
	/* A failed write to stdout is reported once, in main(). */
	if (opts->journal || report_journal_stream()) {
		int k = report_journal(in);
		if (k < 0)
			fprintf(stderr, "portaudit: cannot log to the journal: %s, skipping\n",
				strerror(-k));
	}
	return 0;
}

/* How long --fix waits for a concurrent run to finish before giving up. */
#define FIX_LOCK_TIMEOUT_MS 30000u

/*
 * Plan the fix and, unless --dry-run, carry it out, then make the snapshot
 * describe the host as the fix left it.  Failures of the fix itself are in
 * res; only running out of memory is an error here.
 */
static int fix(const struct options *opts, const struct root *root, const struct inventory *inv,
	       struct snapshot *snap, struct fix_current *current, struct fix_plan *plan,
	       struct fix_result *res)
{
	int r;

	r = fix_result_init(res, root, opts->dry_run, opts->no_apply);
	if (r == 0)
		r = fix_read_current(root, current);
	/* A full notes list only counts the note: not an error. */
	if (r == 0 && current->error && current->kind == FIX_CURRENT_ABSENT &&
	    diag_add(&snap->notes, res->fragment_shown, 0, 0,
		     "cannot look at it: %s; planning as if it were missing",
		     strerror(-current->error)) == -ENOMEM)
		r = -ENOMEM;
	if (r == 0)
		r = fix_plan_compute(inv, snap, current, res->fragment_shown, plan);
	if (r == 0) {
		res->plan = plan;
		r = fix_plan_diff(plan, res->fragment_shown, res->live_shown, &res->diff);
	}
	if (r == 0)
		r = fix_execute(root, plan, res);
	if (r == 0 && !opts->dry_run)
		fix_update_snapshot(plan, res, snap);
	if (r < 0)
		fprintf(stderr, "portaudit: out of memory\n");
	return r;
}

/* Serialise with other --fix runs; 0, or the exit status when that failed. */
static int lock(const struct root *root, int *ret_fd)
{
	_cleanup_free_ char *note = NULL;
	int r;

	r = fix_lock(root, FIX_LOCK_TIMEOUT_MS, ret_fd, &note);
	if (r == -ETIMEDOUT) {
		fprintf(stderr, "portaudit: another portaudit --fix has held %s for %u s, giving up\n",
			FIX_LOCK_PATH, FIX_LOCK_TIMEOUT_MS / 1000);
		return EXIT_FIX_FAILED;
	}
	if (r < 0) {
		fprintf(stderr, "portaudit: cannot take the lock %s: %s\n", FIX_LOCK_PATH,
			strerror(-r));
		return EXIT_FIX_FAILED;
	}
	if (note)
		fprintf(stderr, "portaudit: %s\n", note);
	return 0;
}

static int run(const struct options *opts)
{
	_cleanup_(root_freep) struct root *root = NULL;
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(snapshot_done) struct snapshot snap = { 0 };
	_cleanup_(findings_done) struct findings findings = { 0 };
	_cleanup_(fix_result_done) struct fix_result fixres = { 0 };
	_cleanup_(fix_plan_done) struct fix_plan plan = { 0 };
	_cleanup_(fix_current_done) struct fix_current current = { 0 };
	_cleanup_close_ int lock_fd = -1;
	struct report_input in;
	int r;

	r = root_new(opts->root, &root);
	if (r < 0) {
		fprintf(stderr, "portaudit: cannot open root '%s': %s\n",
			opts->root ? opts->root : "/", strerror(-r));
		return EXIT_BAD_INPUT;
	}
	if (load_inventory(opts, root, &inv) < 0)
		return EXIT_BAD_INPUT;
	if (opts->print_inventory && !inv->discovered)
		return print_inventory(inv);
	/* Under the lock from before the host is read: a plan never rests on stale values. */
	if (opts->fix && !opts->dry_run) {
		r = lock(root, &lock_fd);
		if (r != 0)
			return r;
	}
	if (gather(root, inv, &snap) < 0)
		return EXIT_BAD_INPUT;
	if (opts->snapshot)
		return print_snapshot(root, &snap);
	r = resolve_owners(root, inv, &snap);
	if (r == 0 && inv->discovered)
		r = policy_discover(&snap, inv);
	if (r < 0) {
		fprintf(stderr, "portaudit: cannot %s: %s\n",
			r == -ENOMEM ? "continue" : "build the discovered inventory", strerror(-r));
		return EXIT_BAD_INPUT;
	}
	if (opts->print_inventory)
		return print_inventory(inv);
	if (opts->fix && fix(opts, root, inv, &snap, &current, &plan, &fixres) < 0)
		return EXIT_BAD_INPUT;
	r = policy_evaluate(inv, &snap, &findings);
	if (r < 0) {
		fprintf(stderr, "portaudit: out of memory\n");
		return EXIT_BAD_INPUT;
	}
	in = (struct report_input){
		.inv = inv,
		.snap = &snap,
		.findings = &findings,
		.fail_on = opts->fail_on,
		.fix = opts->fix ? &fixres : NULL,
	};
	r = report(opts, &in);
	if (r < 0)
		return fixres.failed ? EXIT_FIX_FAILED : EXIT_BAD_INPUT;
	return report_exit_status(&in);
}

int main(int argc, char *argv[])
{
	struct options opts;
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
