/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: create sockets of every kind sockets.sh needs, print what was
 * made, print "ready", and hold them until killed.  Run it inside a network
 * namespace of the test's own.  Commands, in any number and order:
 *
 *   listen ADDR PORT          TCP listener (an IPv6 one is dual-stack: V6ONLY=0)
 *   listen-v6only ADDR PORT   TCP listener on IPv6 with IPV6_V6ONLY=1
 *   bind ADDR PORT            TCP socket bound, neither listening nor connected
 *                             (IPv6: IPV6_V6ONLY=1)
 *   connect ADDR PORT         TCP client of a listener (prints its local port)
 *   pairs N ADDR PORT         a listener and N connected client/server pairs
 *   timewait ADDR PORT        a listener, one connection closed by the client
 *                             first (its socket goes to TIME_WAIT), listener closed
 *   udp ADDR PORT             UDP socket bound, not connected (IPv6: dual-stack)
 *   udp-v6only ADDR PORT      the same with IPV6_V6ONLY=1
 *   udpconn ADDR PORT RADDR RPORT   UDP socket bound (PORT 0: on connect; IPv6:
 *                             dual-stack) and connected
 *   selfconnect ADDR PORT TRIES     connect to ADDR:PORT, where nothing listens,
 *                             until the kernel picks PORT as source (REFERENCE §3.1)
 *
 * Lines printed: "KIND LOCAL REMOTE" with addresses as "ADDR:PORT" (IPv6 in
 * brackets), then "ready".  Exits 1 with a message when a command fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portaudit/macro.h"

/* Say what failed with errno's text, and exit 1. */
_Noreturn _printf_(1, 2) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("sockpeer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(1);
}

static void make_addr(const char *addr, const char *port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	unsigned long p = strtoul(port, NULL, 10);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		*len = sizeof(*in);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
	} else {
		errno = EINVAL;
		die("bad address '%s'", addr);
	}
}

static const char *fmt_sa(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(in6->sin6_port));
	}
	return buf;
}

/* Print "kind local remote" for a socket. */
static void show(const char *kind, int fd)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	char lb[80], rb[80];

	if (getsockname(fd, (struct sockaddr *)&l, &ll) < 0)
		die("getsockname");
	if (getpeername(fd, (struct sockaddr *)&r, &rl) < 0) {
		memset(&r, 0, sizeof(r));
		r.ss_family = l.ss_family;
	}
	printf("%s %s %s\n", kind, fmt_sa(&l, lb, sizeof(lb)), fmt_sa(&r, rb, sizeof(rb)));
}

static int new_socket(int family, int type, int v6only)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (family == AF_INET6 && v6only >= 0 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		die("IPV6_V6ONLY");
	return fd;
}

static int bound(const char *addr, const char *port, int type, int v6only)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	make_addr(addr, port, &ss, &len);
	fd = new_socket(ss.ss_family, type, v6only);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind %s %s", addr, port);
	return fd;
}

static int listener(const char *addr, const char *port, int v6only)
{
	int fd = bound(addr, port, SOCK_STREAM, v6only);

	if (listen(fd, 4096) < 0)
		die("listen %s %s", addr, port);
	return fd;
}

static int client_of(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	if (getsockname(lfd, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname");
	fd = new_socket(ss.ss_family, SOCK_STREAM, -1);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	return fd;
}

static int accept_one(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		die("accept");
	return fd;
}

static void on_term(int sig)
{
	_exit(0);
}

int main(int argc, char **argv)
{
	signal(SIGTERM, on_term);
	for (int i = 1; i < argc;) {
		const char *cmd = argv[i];
		char **a = argv + i + 1;
		int need = 2;

		if (!strcmp(cmd, "udpconn"))
			need = 4;
		else if (!strcmp(cmd, "pairs") || !strcmp(cmd, "selfconnect"))
			need = 3;
		if (i + need >= argc) {
			errno = EINVAL;
			die("'%s' needs %d arguments", cmd, need);
		}
		i += 1 + need;

		if (!strcmp(cmd, "listen")) {
			show("listen", listener(a[0], a[1], 0));
		} else if (!strcmp(cmd, "listen-v6only")) {
			show("listen", listener(a[0], a[1], 1));
		} else if (!strcmp(cmd, "bind")) {
			show("bind", bound(a[0], a[1], SOCK_STREAM, 1));
		} else if (!strcmp(cmd, "connect")) {
			struct sockaddr_storage ss;
			socklen_t len;
			int fd;

			make_addr(a[0], a[1], &ss, &len);
			fd = new_socket(ss.ss_family, SOCK_STREAM, -1);
			if (connect(fd, (struct sockaddr *)&ss, len) < 0)
				die("connect %s %s", a[0], a[1]);
			show("connect", fd);
		} else if (!strcmp(cmd, "pairs")) {
			unsigned long n = strtoul(a[0], NULL, 10);
			int lfd = listener(a[1], a[2], 1);

			show("listen", lfd);
			for (unsigned long k = 0; k < n; k++) {
				int c = client_of(lfd);

				accept_one(lfd);
				if (k == 0)
					show("pair", c);
			}
			printf("pairs %lu\n", n);
		} else if (!strcmp(cmd, "timewait")) {
			int lfd = listener(a[0], a[1], 1);
			int c = client_of(lfd), s = accept_one(lfd);

			show("timewait", c);
			close(c);
			usleep(20000);
			close(s);
			close(lfd);
			usleep(20000);
		} else if (!strcmp(cmd, "udp")) {
			show("udp", bound(a[0], a[1], SOCK_DGRAM, 0));
		} else if (!strcmp(cmd, "udp-v6only")) {
			show("udp", bound(a[0], a[1], SOCK_DGRAM, 1));
		} else if (!strcmp(cmd, "udpconn")) {
			struct sockaddr_storage ss;
			socklen_t len;
			int fd = bound(a[0], a[1], SOCK_DGRAM, 0);

			make_addr(a[2], a[3], &ss, &len);
			if (connect(fd, (struct sockaddr *)&ss, len) < 0)
				die("connect udp %s %s", a[2], a[3]);
			show("udpconn", fd);
		} else if (!strcmp(cmd, "selfconnect")) {
			unsigned long tries = strtoul(a[2], NULL, 10);
			struct sockaddr_storage ss;
			socklen_t len;
			unsigned long k;

			make_addr(a[0], a[1], &ss, &len);
			for (k = 1; k <= tries; k++) {
				int fd = new_socket(ss.ss_family, SOCK_STREAM, -1);

				if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
					show("selfconnect", fd);
					break;
				}
				if (errno != ECONNREFUSED && errno != EADDRNOTAVAIL)
					die("connect %s %s", a[0], a[1]);
				close(fd);
			}
			if (k > tries) {
				errno = ETIMEDOUT;
				die("no self-connect in %lu attempts", tries);
			}
		} else {
			errno = EINVAL;
			die("unknown command '%s'", cmd);
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
