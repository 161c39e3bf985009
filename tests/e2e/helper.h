/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_TESTS_E2E_HELPER_H
#define PORTAUDIT_TESTS_E2E_HELPER_H

/*
 * What the reproduction clients of tests/e2e share: IPv4 addresses from the
 * command line, "ADDR:PORT" for people, a monotonic deadline, and dying with
 * errno's text.  The clients print one line per event and flush it at once,
 * because lib.sh waits for those lines in their output files.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "portaudit/macro.h"

static const char *helper_name = "e2e";

/* Say what failed with errno's text on stderr, and exit 1. */
_Noreturn _printf_(1, 2) static inline void helper_die(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fprintf(stderr, "%s: ", helper_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(saved));
	exit(1);
}

/* A decimal number in [min, max], or exit 2 with a usage message. */
static inline unsigned long helper_number(const char *s, unsigned long min, unsigned long max,
					  const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "%s: bad %s '%s'\n", helper_name, what, s);
		exit(2);
	}
	return v;
}

/* An IPv4 socket address from text, or exit 2. */
static inline struct sockaddr_in helper_addr(const char *addr, uint16_t port)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port) };

	if (inet_pton(AF_INET, addr, &in.sin_addr) != 1) {
		fprintf(stderr, "%s: bad IPv4 address '%s'\n", helper_name, addr);
		exit(2);
	}
	return in;
}

/* "ADDR:PORT" of an IPv4 socket address into buf. */
static inline const char *helper_format(const struct sockaddr_in *in, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a)))
		helper_die("inet_ntop");
	snprintf(buf, size, "%s:%u", a, (unsigned)ntohs(in->sin_port));
	return buf;
}

/* Both ends of a connected socket; true when they are the same address and port. */
static inline bool helper_ends(int fd, struct sockaddr_in *ret_local, struct sockaddr_in *ret_peer)
{
	socklen_t len = sizeof(*ret_local);

	if (getsockname(fd, (struct sockaddr *)ret_local, &len) < 0)
		helper_die("getsockname");
	len = sizeof(*ret_peer);
	if (getpeername(fd, (struct sockaddr *)ret_peer, &len) < 0)
		helper_die("getpeername");
	return ret_local->sin_addr.s_addr == ret_peer->sin_addr.s_addr &&
	       ret_local->sin_port == ret_peer->sin_port;
}

/* Seconds on the monotonic clock. */
static inline double helper_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		helper_die("clock_gettime");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep for ms milliseconds (a signal may cut it short). */
static inline void helper_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Hold everything open until a signal ends the process. */
_Noreturn static inline void helper_hold(void)
{
	for (;;)
		pause();
}

#endif
