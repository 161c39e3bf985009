/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: owners_find() on the inodes given, printed for owners.sh.
 *
 *   ownerdump [--root DIR] INODE...
 *
 * prints "scan complete=C denied=N pids=P fds=F usec=T", then one line
 * "owner INODE PID COMM UNIT" per entry (UNIT "-" when unknown), then one line
 * "lookup INODE PID" per inode asked for (PID "-" when nobody holds it).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portaudit/owners.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int main(int argc, char **argv)
{
	_cleanup_(root_freep) struct root *root = NULL;
	_cleanup_free_ uint64_t *inodes = NULL;
	const char *root_path = NULL;
	struct owners o;
	size_t n = 0;
	uint64_t t0, t1;
	int i = 1, r;

	if (argc > 2 && strcmp(argv[1], "--root") == 0) {
		root_path = argv[2];
		i = 3;
	}
	inodes = calloc((size_t)argc, sizeof(*inodes));
	if (!inodes)
		return 1;
	for (; i < argc; i++) {
		char *end;

		errno = 0;
		inodes[n++] = strtoull(argv[i], &end, 10);
		if (errno || *end || end == argv[i]) {
			fprintf(stderr, "ownerdump: bad inode '%s'\n", argv[i]);
			return 2;
		}
	}
	r = root_new(root_path, &root);
	if (r < 0) {
		fprintf(stderr, "ownerdump: root: %s\n", strerror(-r));
		return 1;
	}
	t0 = now_usec();
	r = owners_find(root, inodes, n, &o);
	t1 = now_usec();
	if (r < 0) {
		fprintf(stderr, "ownerdump: owners_find: %s\n", strerror(-r));
		return 1;
	}
	printf("scan complete=%d denied=%zu pids=%zu fds=%zu usec=%" PRIu64 "\n", o.complete,
	       o.n_denied, o.n_pids, o.n_fds, t1 - t0);
	for (size_t k = 0; k < o.n; k++)
		printf("owner %" PRIu64 " %d %s %s\n", o.v[k].inode, (int)o.v[k].pid, o.v[k].comm,
		       o.v[k].unit ? o.v[k].unit : "-");
	for (size_t k = 0; k < n; k++) {
		const struct owner *w = owners_lookup(&o, inodes[k]);

		if (w)
			printf("lookup %" PRIu64 " %d\n", inodes[k], (int)w->pid);
		else
			printf("lookup %" PRIu64 " -\n", inodes[k]);
	}
	owners_done(&o);
	return 0;
}
