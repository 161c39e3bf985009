/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-runner: time commands side by side (bench/README.md).
 *
 *   bench-runner -r RUNS [-W WARMUP] COMMANDS-FILE
 *
 * COMMANDS-FILE has one command per line: a label, a tab, and the argument
 * vector separated by single spaces (no quoting; run directly, no shell).
 * Each command first runs WARMUP times (default 1) unmeasured, then the
 * commands take turns, RUNS rounds, each round starting one command further
 * along so that none always follows the same other.  stdout and stdin are
 * /dev/null; stderr is kept.  For every measured run one line goes to stdout:
 *
 *   LABEL  ROUND  WALL_US  USER_US  SYS_US  MAXRSS_KIB  STATUS
 *
 * wall time from fork() to wait4()'s return (CLOCK_MONOTONIC), CPU time and
 * peak RSS from wait4()'s rusage of that child alone, STATUS its exit status
 * (128+N for signal N).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct command {
	char *label;
	char **argv;
};

static void die(const char *what)
{
	fprintf(stderr, "bench-runner: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long long us(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

static void run(const struct command *c, int devnull, unsigned round, int print)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
			_exit(127);
		execvp(c->argv[0], c->argv);
		fprintf(stderr, "bench-runner: %s: %s\n", c->argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!print)
		return;
	printf("%s\t%u\t%lld\t%lld\t%lld\t%ld\t%d\n", c->label, round,
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000,
	       us(&ru.ru_utime), us(&ru.ru_stime), ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static size_t load(const char *path, struct command **ret)
{
	struct command *v = NULL;
	size_t n = 0, cap = 0, len = 0;
	char *line = NULL;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		die(path);
	while (getline(&line, &len, f) > 0) {
		char *tab, *tok, *save = NULL;
		size_t argc = 0;

		line[strcspn(line, "\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		tab = strchr(line, '\t');
		if (!tab) {
			fprintf(stderr, "bench-runner: %s: no tab in '%s'\n", path, line);
			exit(2);
		}
		*tab = '\0';
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("realloc");
		}
		v[n].label = strdup(line);
		v[n].argv = calloc(strlen(tab + 1) / 2 + 2, sizeof(char *));
		if (!v[n].label || !v[n].argv)
			die("strdup");
		for (tok = strtok_r(tab + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			v[n].argv[argc] = strdup(tok);
			if (!v[n].argv[argc++])
				die("strdup");
		}
		if (argc == 0) {
			fprintf(stderr, "bench-runner: %s: empty command '%s'\n", path, line);
			exit(2);
		}
		n++;
	}
	free(line);
	fclose(f);
	*ret = v;
	return n;
}

int main(int argc, char **argv)
{
	unsigned runs = 11, warmup = 1;
	struct command *cmds;
	int devnull, opt;
	size_t n;

	while ((opt = getopt(argc, argv, "r:W:")) != -1) {
		switch (opt) {
		case 'r': runs = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'W': warmup = (unsigned)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || runs == 0)
		goto usage;
	n = load(argv[optind], &cmds);
	if (n == 0) {
		fprintf(stderr, "bench-runner: %s: no commands\n", argv[optind]);
		return 2;
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		die("/dev/null");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n; i++)
		for (unsigned w = 0; w < warmup; w++)
			run(&cmds[i], devnull, 0, 0);
	for (unsigned r = 1; r <= runs; r++)
		for (size_t i = 0; i < n; i++)
			run(&cmds[(i + r) % n], devnull, r, 1);
	return 0;
usage:
	fprintf(stderr, "usage: bench-runner -r RUNS [-W WARMUP] COMMANDS-FILE\n");
	return 2;
}
