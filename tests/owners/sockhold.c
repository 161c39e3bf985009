/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: hold a listening socket until killed.
 *
 *   sockhold [--fork] [--dup] PORT
 *
 * Listens on 0.0.0.0:PORT (TCP; lo need not be up in a fresh netns), prints
 * "pid PID inode INODE" (plus " child PID" with --fork, whose child keeps the
 * same socket), flushes, and sleeps.  --dup also dup()s the socket, so that
 * one process holds it twice.  The child dies with its parent
 * (PR_SET_PDEATHSIG), so killing the printed pid is enough even when the test
 * is interrupted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	bool do_fork = false, do_dup = false;
	struct stat st;
	pid_t child = 0;
	int fd, one = 1, i;

	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--fork") == 0)
			do_fork = true;
		else if (strcmp(argv[i], "--dup") == 0)
			do_dup = true;
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: sockhold [--fork] [--dup] PORT\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[i]));
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    fstat(fd, &st) < 0) {
		fprintf(stderr, "sockhold: %s\n", strerror(errno));
		return 1;
	}
	if (do_dup && dup(fd) < 0) {
		fprintf(stderr, "sockhold: dup: %s\n", strerror(errno));
		return 1;
	}
	if (do_fork) {
		pid_t parent = getpid();

		child = fork();
		if (child < 0) {
			fprintf(stderr, "sockhold: fork: %s\n", strerror(errno));
			return 1;
		}
		if (child == 0) {
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
				_exit(1);
			for (;;)
				pause();
		}
	}
	printf("pid %d inode %lu", (int)getpid(), (unsigned long)st.st_ino);
	if (child)
		printf(" child %d", (int)child);
	printf("\n");
	fflush(stdout);
	for (;;)
		pause();
}
