/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: run sockets_read() (or one forced backend) and print one
 * normalized line per record, for sockets.sh to compare with ss and with the
 * other backend:
 *
 *   LIST PROTO STATE LOCAL REMOTE v6only=1|0|- uid=U ino=I if=N
 *
 * LIST is "listen", "udp" or "held".  A last line "# ..." sums up.  Notes go to
 * standard error as "note: FILE:LINE: message".
 *
 *   sockdump [-b auto|netlink|procfs] [-r ROOT] [-p HELD-PORT-LIST] [-q] [-t N]
 *
 * -q prints the summary only; -t N reads N times and prints the median and
 * minimum wall time of one read and the peak RSS instead of the records.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "portaudit/sockets.h"

static void print_list(const char *name, const struct socklist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sockrec *s = &l->v[i];
		char local[SOCKREC_FORMAT_MAX], remote[SOCKREC_FORMAT_MAX];

		if (sockrec_format_local(s, local, sizeof(local)) < 0 ||
		    sockrec_format_remote(s, remote, sizeof(remote)) < 0) {
			fprintf(stderr, "sockdump: cannot format a record of family %u\n",
				s->family);
			exit(1);
		}
		printf("%s %s %s %s %s v6only=%s uid=%u ino=%llu if=%u\n", name,
		       proto_to_string(s->proto), sockrec_state_to_string(s), local, remote,
		       s->v6only < 0 ? "-" : s->v6only ? "1" : "0", s->uid,
		       (unsigned long long)s->inode, s->ifindex);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int read_once(const struct root *r, const char *backend, const struct portset *held,
		     struct diag *notes, struct sockets *ret)
{
	if (strcmp(backend, "auto") == 0)
		return sockets_read(r, held, notes, ret);
	return sockets_read_backend(r, sockets_backend_from_string(backend), held, notes, ret);
}

int main(int argc, char **argv)
{
	const char *backend = "auto", *root_path = NULL, *held_list = NULL;
	struct portset held;
	struct root *r = NULL;
	struct diag notes;
	struct sockets s;
	bool quiet = false;
	unsigned runs = 0;
	int c, k;

	while ((c = getopt(argc, argv, "b:r:p:qt:")) != -1) {
		switch (c) {
		case 'b':
			backend = optarg;
			break;
		case 'r':
			root_path = optarg;
			break;
		case 'p':
			held_list = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 't':
			runs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: sockdump [-b auto|netlink|procfs] [-r ROOT] [-p PORTS] [-q] [-t N]\n");
			return 2;
		}
	}
	if (strcmp(backend, "auto") != 0 && sockets_backend_from_string(backend) < 0) {
		fprintf(stderr, "sockdump: unknown backend '%s'\n", backend);
		return 2;
	}
	portset_clear(&held);
	if (held_list && portset_parse(held_list, strlen(held_list), &held, NULL) < 0) {
		fprintf(stderr, "sockdump: bad port list '%s'\n", held_list);
		return 2;
	}
	k = root_new(root_path, &r);
	if (k < 0) {
		fprintf(stderr, "sockdump: cannot open root: %s\n", strerror(-k));
		return 1;
	}

	if (runs > 0) {
		double *t = calloc(runs, sizeof(*t));
		struct rusage ru;

		if (!t)
			return 1;
		for (unsigned i = 0; i < runs; i++) {
			double t0 = now_ms();

			diag_init(&notes, 0);
			k = read_once(r, backend, held_list ? &held : NULL, &notes, &s);
			t[i] = now_ms() - t0;
			diag_done(&notes);
			if (k < 0) {
				fprintf(stderr, "sockdump: %s\n", strerror(-k));
				return 1;
			}
			if (i + 1 < runs)
				sockets_done(&s);
		}
		qsort(t, runs, sizeof(*t), cmp_double);
		getrusage(RUSAGE_SELF, &ru);
		printf("# backend=%s runs=%u median_ms=%.3f min_ms=%.3f maxrss_kib=%ld listeners=%zu udp=%zu held=%zu tcp_other=%llu\n",
		       sockets_backend_to_string(s.backend), runs, t[runs / 2], t[0], ru.ru_maxrss,
		       s.listeners.n, s.udp.n, s.held.n, (unsigned long long)s.n_tcp_other);
		free(t);
		sockets_done(&s);
		root_free(r);
		return 0;
	}

	diag_init(&notes, 100);
	k = read_once(r, backend, held_list ? &held : NULL, &notes, &s);
	for (size_t i = 0; i < notes.n; i++) {
		char line[1024];

		diag_format(&notes.entries[i], line, sizeof(line));
		fprintf(stderr, "note: %s\n", line);
	}
	diag_done(&notes);
	if (k < 0) {
		fprintf(stderr, "sockdump: %s\n", strerror(-k));
		root_free(r);
		return 1;
	}
	if (!quiet) {
		print_list("listen", &s.listeners);
		print_list("udp", &s.udp);
		print_list("held", &s.held);
	}
	printf("# backend=%s listeners=%zu udp=%zu held=%zu held_cap=%zu tcp_other=%llu bound_inactive=%s\n",
	       sockets_backend_to_string(s.backend), s.listeners.n, s.udp.n, s.held.n, s.held.cap,
	       (unsigned long long)s.n_tcp_other, s.bound_inactive ? "yes" : "no");
	sockets_done(&s);
	root_free(r);
	return 0;
}
