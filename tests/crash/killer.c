/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * killer DELAY_US COMMAND [ARG...]: run COMMAND in a process group of its own
 * and SIGKILL the whole group DELAY_US microseconds after the fork, unless it
 * has exited by then; then wait until every process of it is gone (this
 * helper is their subreaper, so a killed strace's tracee is reaped here too,
 * and nothing of the run is still in a system call when the caller looks at
 * what it left).  COMMAND's output goes to stderr; stdout gets one line:
 * "killed US", "exit STATUS US" or "signal N US", US being the microseconds
 * from the fork to the kill or the exit.
 * A test helper for tests/crash/kill.sh, not a test.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char *argv[])
{
	long long t0, delay, t_exit = -1;
	int status = 0, killed = 0, pidfd, n;
	char *end;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: killer DELAY_US COMMAND [ARG...]\n");
		return 2;
	}
	errno = 0;
	delay = strtoll(argv[1], &end, 10);
	if (errno || *end || delay < 0) {
		fprintf(stderr, "killer: bad delay '%s'\n", argv[1]);
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		perror("killer: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	t0 = now_us();
	pid = fork();
	if (pid < 0) {
		perror("killer: fork");
		return 2;
	}
	if (pid == 0) {
		/* Its output goes to stderr: stdout carries only the verdict. */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		setpgid(0, 0);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	/* Both sides set it, so the group exists whichever runs first. */
	setpgid(pid, pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		perror("killer: pidfd_open");
		kill(-pid, SIGKILL);
		return 2;
	}
	/* Woken by the exit itself, so an early exit is timed exactly. */
	for (;;) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		long long left = t0 + delay - now_us();
		struct timespec ts;

		if (left <= 0)
			break;
		ts.tv_sec = left / 1000000;
		ts.tv_nsec = (left % 1000000) * 1000;
		n = ppoll(&pfd, 1, &ts, NULL);
		if (n > 0) {
			t_exit = now_us();
			break;
		}
		if (n < 0 && errno != EINTR) {
			perror("killer: ppoll");
			break;
		}
	}
	/*
	 * The whole group, a tracee whose strace was the leader included, while the
	 * unreaped leader still holds the group's id.
	 */
	if (t_exit < 0) {
		killed = kill(-pid, SIGKILL) == 0;
		t_exit = now_us();
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	/* Orphans of the group were reparented to this subreaper: wait for each. */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	if (killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		printf("killed %lld\n", t_exit - t0);
	else if (WIFEXITED(status))
		printf("exit %d %lld\n", WEXITSTATUS(status), t_exit - t0);
	else
		printf("signal %d %lld\n", WTERMSIG(status), t_exit - t0);
	return 0;
}
