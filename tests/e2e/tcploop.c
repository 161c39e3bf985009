/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper for seed 001 ("TCP Loop Connect"): the careless client that
 * makes ONE socket with SO_REUSEADDR and calls connect() on it again and again
 * until it succeeds.  Nothing listens on the port, so every attempt is refused
 * and the kernel gives the socket a fresh ephemeral source port for the next
 * one, until it gives it the destination port itself: a TCP simultaneous open
 * with itself (REFERENCE §3.1).
 *
 *   tcploop [-t SECONDS] [-a ADDR] PORT
 *
 * Prints "connected after N tries: local A:P peer A:P (itself)" and holds the
 * socket until killed (the seed waits for Enter instead), or exits 1 after
 * SECONDS (default 20) with "not connected after N tries ...".
 */
#include <getopt.h>

#include "helper.h"

int main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1";
	double limit = 20, deadline;
	struct sockaddr_in dst, local, peer;
	char l[64], p[64];
	int fd, one = 1, last = 0, c;
	unsigned long tries;
	bool self;

	helper_name = "tcploop";
	while ((c = getopt(argc, argv, "a:t:")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 't':
			limit = (double)helper_number(optarg, 1, 3600, "time limit");
			break;
		default:
			fprintf(stderr, "usage: tcploop [-t SECONDS] [-a ADDR] PORT\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: tcploop [-t SECONDS] [-a ADDR] PORT\n");
		return 2;
	}
	dst = helper_addr(addr, (uint16_t)helper_number(argv[optind], 1, 65535, "port"));

	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (fd < 0)
		helper_die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		helper_die("setsockopt SO_REUSEADDR");
	printf("trying to connect to %s\n", helper_format(&dst, p, sizeof(p)));
	fflush(stdout);

	deadline = helper_now() + limit;
	for (tries = 1;; tries++) {
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0)
			break;
		last = errno;
		if (helper_now() > deadline) {
			printf("not connected after %lu tries in %.0f s (last error: %s)\n", tries,
			       limit, strerror(last));
			return 1;
		}
		/* Refused is the expected answer; anything else (no port left, say) is
		 * retried too, but without spinning. */
		if (last != ECONNREFUSED)
			helper_sleep_ms(1);
	}
	self = helper_ends(fd, &local, &peer);
	printf("connected after %lu tries: local %s peer %s%s\n", tries,
	       helper_format(&local, l, sizeof(l)), helper_format(&peer, p, sizeof(p)),
	       self ? " (itself)" : "");
	fflush(stdout);
	helper_hold();
}
