/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay driver: a main() for a fuzz target built without libFuzzer, so that
 * `make check` runs every committed corpus input through the target with the
 * ordinary compiler.  Arguments are files, directories (every regular file in
 * them, in name order) or @LIST (one path per line of the file LIST, "-" for
 * standard input).  Without arguments it replays the target's own corpus,
 * $abs_top_srcdir/tests/fuzz/corpus/FUZZ_TARGET.  Each input runs in a child
 * process, so that one crash or failed check (an abort) does not hide the next:
 * every failing input is named, then the exit status is 1.  It is also 1 when
 * an input cannot be read or none was run.  REPLAY_NO_FORK=1 runs the inputs in
 * this process instead, for a debugger.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target, e.g. -DFUZZ_TARGET=\"portset\""
#endif

static unsigned n_inputs, n_errors, n_failed;
static bool no_fork;

/* Run one input in a child; false when it crashed or exited non-zero. */
static bool run_input(const char *path, const uint8_t *data, size_t len)
{
	pid_t pid;
	int status;

	if (no_fork) {
		LLVMFuzzerTestOneInput(data, len);
		return true;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "replay: fork: %s\n", strerror(errno));
		return false;
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, len);
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "replay: waitpid: %s\n", strerror(errno));
			return false;
		}
	if (WIFSIGNALED(status)) {
		printf("FAILED: %s: killed by signal %d (%s)\n", path, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return false;
	}
	if (WEXITSTATUS(status) != 0) {
		printf("FAILED: %s: exit status %d\n", path, WEXITSTATUS(status));
		return false;
	}
	return true;
}

/* Read the whole file into an exactly sized buffer, as libFuzzer hands it over. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *b;
			cap = cap ? cap * 2 : 4096;
			b = realloc(buf, cap);
			if (!b) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = b;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);

	/* An exactly sized copy, so that a sanitizer build catches a read past the end. */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy) {
		free(buf);
		return -1;
	}
	memcpy(copy, buf, len);
	free(buf);

	printf("%s (%zu bytes)\n", path, len);
	if (!run_input(path, copy, len))
		n_failed++;
	free(copy);
	n_inputs++;
	return 0;
}

static int skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int run_path(const char *path);

static int run_dir(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, skip_entry, alphasort);

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name) >=
		    sizeof(path)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", dir, list[i]->d_name);
			n_errors++;
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path) < 0)
			n_errors++;
		free(list[i]);
	}
	free(list);
	return 0;
}

/* @LIST: every line of LIST (or of standard input for "@-") is a path. */
static int run_list(const char *list)
{
	FILE *f = strcmp(list, "-") == 0 ? stdin : fopen(list, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", list, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && run_path(line) < 0)
			n_errors++;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;

	if (path[0] == '@')
		return run_list(path + 1);
	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? run_dir(path) : run_file(path);
}

int main(int argc, char **argv)
{
	const char *nf = getenv("REPLAY_NO_FORK");

	no_fork = nf && strcmp(nf, "1") == 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (run_path(argv[i]) < 0)
				n_errors++;
	} else {
		const char *top = getenv("abs_top_srcdir");
		char dir[PATH_MAX];

		if (!top) {
			fprintf(stderr, "replay: give corpus directories, or set abs_top_srcdir\n");
			return 1;
		}
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top, FUZZ_TARGET);
		if (run_path(dir) < 0)
			n_errors++;
	}
	printf("replay %s: %u inputs run, %u failed, %u unreadable\n", FUZZ_TARGET, n_inputs,
	       n_failed, n_errors);
	/* A corpus that ran nothing tests nothing. */
	return n_failed > 0 || n_errors > 0 || n_inputs == 0 ? 1 : 0;
}
