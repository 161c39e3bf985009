/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot test's client (tests/boot/boot.sh), started by systemd as an
 * ordinary service inside the test's namespaces:
 *   boot-client PORT STATUS-FILE
 * listens on 127.0.0.1:PORT (an explicit bind, outside the ephemeral range),
 * then connects to it again and again without binding, so the kernel picks
 * every source port from the ephemeral range.  Each connection is reset at
 * close (SO_LINGER 0), so no TIME_WAIT keeps a port and the few ports of the
 * test's narrow range come back round at once.  Every 20 ms the counts and
 * every source port seen so far are written to STATUS-FILE (renamed into
 * place):
 *   connects N
 *   failures N
 *   ports P1 P2 ...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static bool seen[65536];
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Monotonic time in milliseconds. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write the status to a temporary file and rename it over PATH. */
static int write_status(const char *path, unsigned long long connects, unsigned long long failures)
{
	char tmp[4096];
	FILE *f;
	int r;

	r = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "connects %llu\nfailures %llu\nports", connects, failures);
	for (unsigned p = 1; p < 65536; p++)
		if (seen[p])
			fprintf(f, " %u", p);
	fputc('\n', f);
	if (fclose(f) != 0)
		return -errno;
	if (rename(tmp, path) < 0)
		return -errno;
	return 0;
}

/* One connection to ADDR: record its source port, accept it on LFD, reset both ends. */
static int one_connect(int lfd, const struct sockaddr_in *addr)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	int fd, afd, r = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &len) == 0)
		seen[ntohs(local.sin_port)] = true;
	else
		r = -errno;
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd >= 0) {
		(void)setsockopt(afd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
		close(afd);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(fd);
	return r;
}

int main(int argc, char *argv[])
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	unsigned long long connects = 0, failures = 0;
	long long last = 0;
	struct sigaction sa = { .sa_handler = on_term };
	char *end;
	unsigned long port;
	int lfd, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PORT STATUS-FILE\n", argv[0]);
		return 2;
	}
	errno = 0;
	port = strtoul(argv[1], &end, 10);
	if (errno || *end || port == 0 || port > 65535) {
		fprintf(stderr, "bad port: %s\n", argv[1]);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 64) < 0) {
		perror("listener");
		return 1;
	}
	fprintf(stderr, "connecting to 127.0.0.1:%lu\n", port);
	while (!stop) {
		int r = one_connect(lfd, &addr);

		if (r < 0) {
			failures++;
			/* EADDRNOTAVAIL: the range is used up for now; do not spin. */
			usleep(1000);
		} else
			connects++;
		if (now_ms() - last >= 20) {
			last = now_ms();
			r = write_status(argv[2], connects, failures);
			if (r < 0) {
				fprintf(stderr, "%s: %s\n", argv[2], strerror(-r));
				return 1;
			}
		}
	}
	close(lfd);
	return write_status(argv[2], connects, failures) < 0;
}
