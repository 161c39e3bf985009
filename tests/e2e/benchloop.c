/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper for seed 003: a benchmark client ("sysbench") on the database's
 * own host.  It keeps opening short connections to ADDR:PORT (another service
 * of the host), one query each, and lets the kernel pick every source port
 * from net.ipv4.ip_local_port_range.  While the database is down, nothing
 * keeps the kernel from picking the database's port: the first connection
 * whose source port is HOLDPORT is kept open, as a benchmark keeps its
 * connections, and the database can no longer bind it (REFERENCE §3.2).
 *
 *   benchloop [-n COMM] [-t SECONDS] ADDR PORT HOLDPORT
 *
 * Sets its comm to COMM (default "sysbench") so that owners can be checked.
 * Prints "query N from local port P" per connection, then "held after N
 * connections: local A:P peer A:P" and holds that connection until killed; or
 * exits 1 after SECONDS (default 20) with "not held after N connections ...".
 */
#include <getopt.h>
#include <sys/prctl.h>
#include <sys/time.h>

#include "helper.h"

/* One query: write a line and read the echoed line (up to 2 s). */
static void query(int fd)
{
	static const char q[] = "SELECT 1;\n";
	struct timeval tv = { .tv_sec = 2 };
	char c;
	ssize_t k;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		helper_die("setsockopt SO_RCVTIMEO");
	if (write(fd, q, sizeof(q) - 1) != (ssize_t)(sizeof(q) - 1))
		return;
	do
		k = read(fd, &c, 1);
	while (k == 1 && c != '\n');
}

int main(int argc, char *argv[])
{
	static const char usage[] = "usage: benchloop [-n COMM] [-t SECONDS] ADDR PORT HOLDPORT\n";
	const char *comm = "sysbench";
	double limit = 20, deadline;
	struct sockaddr_in dst, local, peer;
	unsigned long n = 0;
	uint16_t port, hold;
	char l[64], p[64];
	int fd, c, last = 0;

	helper_name = "benchloop";
	while ((c = getopt(argc, argv, "n:t:")) != -1) {
		switch (c) {
		case 'n':
			comm = optarg;
			break;
		case 't':
			limit = (double)helper_number(optarg, 1, 3600, "time limit");
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (argc - optind != 3) {
		fputs(usage, stderr);
		return 2;
	}
	port = (uint16_t)helper_number(argv[optind + 1], 1, 65535, "port");
	dst = helper_addr(argv[optind], port);
	hold = (uint16_t)helper_number(argv[optind + 2], 1, 65535, "port to hold");
	if (prctl(PR_SET_NAME, comm, 0, 0, 0) < 0)
		helper_die("prctl PR_SET_NAME");

	deadline = helper_now() + limit;
	for (;;) {
		if (helper_now() > deadline) {
			printf("not held after %lu connections in %.0f s (last error: %s)\n", n,
			       limit, last ? strerror(last) : "none");
			return 1;
		}
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			helper_die("socket");
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			/* The target restarting, or every port of a narrow range in
			 * TIME_WAIT for a moment: a benchmark retries. */
			last = errno;
			close(fd);
			helper_sleep_ms(10);
			continue;
		}
		n++;
		helper_ends(fd, &local, &peer);
		if (ntohs(local.sin_port) == hold)
			break;
		query(fd);
		printf("query %lu from local port %u\n", n, (unsigned)ntohs(local.sin_port));
		fflush(stdout);
		close(fd);
	}
	printf("held after %lu connections: local %s peer %s\n", n,
	       helper_format(&local, l, sizeof(l)), helper_format(&peer, p, sizeof(p)));
	fflush(stdout);
	helper_hold();
}
