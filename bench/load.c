/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-load: the socket load of the benchmark (bench/README.md), in the
 * caller's network namespace.
 *
 *   bench-load -n CONNS -l LISTENERS [-b BASE] [-w WORKERS] [-H PORT] [-s PORT]
 *
 * LISTENERS idle listeners, alternately on 127.0.0.1 and [::1] (v6-only), on
 * ports BASE, BASE+1, ...  CONNS established loopback connections (2*CONNS
 * ESTABLISHED sockets), spread over WORKERS processes (default: enough for at
 * most 8000 connections, 16000 descriptors, each: RLIMIT_NOFILE is 20000 on
 * the machines this runs on).  Worker w listens on BASE+LISTENERS+w, the odd
 * ones on [::1], connects its share to itself and accepts each connection.
 * -H PORT: one more connection whose client side is bound to 127.0.0.1:PORT (a
 * client holding a service port).  -s PORT: a TCP self-connect on
 * 127.0.0.1:PORT (simultaneous open, as in REFERENCE §3.1).
 *
 * Prints "ready PID" on stdout once every socket is in place, then sleeps
 * until SIGTERM or SIGINT, which it passes on to the workers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONNS_PER_WORKER 8000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t addr_of(bool v6, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_loopback;
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*s4);
}

static int listener(bool v6, unsigned port, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(v6, port, &ss);
	int one = 1;
	int fd;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0))
		die("setsockopt");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind listener");
	if (listen(fd, backlog) < 0)
		die("listen");
	return fd;
}

/* A connection from lport (0: any) to port on the same family, accepted from lfd. */
static void connect_one(int lfd, bool v6, unsigned port, unsigned lport)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, afd;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (lport) {
		len = addr_of(v6, lport, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len) < 0)
			die("bind client");
	}
	len = addr_of(v6, port, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd < 0)
		die("accept");
}

/* Simultaneous open of a socket bound to 127.0.0.1:port onto itself. */
static void self_connect(unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(false, port, &ss);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind self-connect");
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("self-connect");
}

static void worker(unsigned port, bool v6, unsigned n, int ready_fd)
{
	int lfd = listener(v6, port, 1024);
	char c = 'r';

	for (unsigned i = 0; i < n; i++)
		connect_one(lfd, v6, port, 0);
	if (write(ready_fd, &c, 1) != 1)
		die("write");
	close(ready_fd);
	while (!stop)
		pause();
	_exit(0);
}

static unsigned arg(const char *s, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max) {
		fprintf(stderr, "bench-load: bad number '%s'\n", s);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	unsigned conns = 0, listeners = 0, base = 20000, workers = 0, held = 0, selfc = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	pid_t *pids;
	int pipefd[2], opt;

	while ((opt = getopt(argc, argv, "n:l:b:w:H:s:")) != -1) {
		switch (opt) {
		case 'n': conns = arg(optarg, 10000000); break;
		case 'l': listeners = arg(optarg, 20000); break;
		case 'b': base = arg(optarg, 65535); break;
		case 'w': workers = arg(optarg, 4096); break;
		case 'H': held = arg(optarg, 65535); break;
		case 's': selfc = arg(optarg, 65535); break;
		default:
			fprintf(stderr, "usage: bench-load -n CONNS -l LISTENERS [-b BASE] [-w WORKERS] [-H PORT] [-s PORT]\n");
			return 2;
		}
	}
	if (workers == 0)
		workers = conns ? (conns + CONNS_PER_WORKER - 1) / CONNS_PER_WORKER : 0;
	if (conns && workers == 0)
		workers = 1;
	if (base + listeners + workers > 65536) {
		fprintf(stderr, "bench-load: ports past 65535\n");
		return 2;
	}
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		die("sigaction");
	if (pipe(pipefd) < 0)
		die("pipe");
	for (unsigned i = 0; i < listeners; i++)
		(void)listener(i % 2, base + i, 16);

	/* Before the workers connect, which could take these ports as source ports. */
	if (held) {
		int lfd = listener(false, base + listeners + workers, 4);

		connect_one(lfd, false, base + listeners + workers, held);
	}
	if (selfc)
		self_connect(selfc);

	pids = calloc(workers ? workers : 1, sizeof(*pids));
	if (!pids)
		die("calloc");
	for (unsigned w = 0; w < workers; w++) {
		unsigned share = conns / workers + (w < conns % workers);

		pids[w] = fork();
		if (pids[w] < 0)
			die("fork");
		if (pids[w] == 0) {
			close(pipefd[0]);
			worker(base + listeners + w, w % 2, share, pipefd[1]);
		}
	}
	close(pipefd[1]);
	for (unsigned w = 0; w < workers; w++) {
		char c;

		ssize_t k;

		while ((k = read(pipefd[0], &c, 1)) < 0 && errno == EINTR && !stop)
			;
		if (k != 1) {
			fprintf(stderr, "bench-load: %s\n", stop ? "stopped" : "a worker failed");
			for (unsigned i = 0; i < workers; i++)
				kill(pids[i], SIGTERM);
			return 1;
		}
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!stop)
		pause();
	for (unsigned w = 0; w < workers; w++)
		kill(pids[w], SIGTERM);
	for (unsigned w = 0; w < workers; w++)
		waitpid(pids[w], NULL, 0);
	free(pids);
	return 0;
}
