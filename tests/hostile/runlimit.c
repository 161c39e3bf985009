/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runlimit SECONDS REPORT PROGRAM [ARG...]: run PROGRAM in a process group of
 * its own, kill the group after SECONDS, and write "EXIT MILLISECONDS MAXRSS_KIB"
 * to the file REPORT, where EXIT is the program's exit status, 124 when it was
 * killed for taking too long, or 128 + the signal that ended it.  Exits with
 * EXIT too.  The peak RSS is the program's own (wait4(2)'s ru_maxrss), so the
 * hostile-input tests need neither /usr/bin/time nor a shell in between.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t expired;
static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
	kill(-child, SIGKILL);
}

int main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct timespec t0, t1;
	struct rusage ru;
	unsigned long seconds;
	long ms;
	int status, code;
	FILE *f;

	if (argc < 4) {
		fprintf(stderr, "usage: runlimit SECONDS REPORT PROGRAM [ARG...]\n");
		return 2;
	}
	seconds = strtoul(argv[1], NULL, 10);
	if (seconds == 0) {
		fprintf(stderr, "runlimit: bad number of seconds '%s'\n", argv[1]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	if (child < 0) {
		perror("runlimit: fork");
		return 2;
	}
	if (child == 0) {
		setpgid(0, 0);
		execvp(argv[3], argv + 3);
		fprintf(stderr, "runlimit: cannot run '%s': %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	/* Also here: the alarm may come before the child has made its group. */
	setpgid(child, child);
	if (sigaction(SIGALRM, &sa, NULL) < 0) {
		perror("runlimit: sigaction");
		kill(child, SIGKILL);
		return 2;
	}
	alarm((unsigned)seconds);
	while (wait4(child, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("runlimit: wait4");
			return 2;
		}
	}
	alarm(0);
	/* Whatever the program left running in its group goes with it. */
	kill(-child, SIGKILL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (expired)
		code = 124;
	else if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	else
		code = WEXITSTATUS(status);
	f = fopen(argv[2], "we");
	if (!f) {
		fprintf(stderr, "runlimit: cannot write '%s': %s\n", argv[2], strerror(errno));
		return 2;
	}
	fprintf(f, "%d %ld %ld\n", code, ms, ru.ru_maxrss);
	if (fclose(f) != 0) {
		fprintf(stderr, "runlimit: cannot write '%s': %s\n", argv[2], strerror(errno));
		return 2;
	}
	return code;
}
