/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * owners_find() on offline trees that imitate /proc: fd symlinks "socket:[N]"
 * and others, comm files, entries that are no process, a process without fd
 * directory (it vanished) and one without comm (it vanished later).  The live
 * kernel side is tests/owners/owners.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "portaudit/owners.h"

static char tree[] = "/tmp/portaudit-test-owners.XXXXXX";

_printf_(1, 2) static char *path_of(const char *fmt, ...)
{
	static char buf[4096];
	char rel[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(buf, sizeof(buf), "%s/%s", tree, rel);
	return buf;
}

static void mkdirs(const char *rel)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s", rel);
	for (char *s = p; (s = strchr(s + 1, '/'));) {
		*s = '\0';
		mkdir(path_of("%s", p), 0755);
		*s = '/';
	}
	assert_true(mkdir(path_of("%s", p), 0755) == 0 || errno == EEXIST);
}

/* A process: its comm (NULL: no comm file) and its fd links. */
static void proc(const char *pid, const char *comm, const char *const *links)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "proc/%s/fd", pid);
	mkdirs(rel);
	if (comm) {
		FILE *f = fopen(path_of("proc/%s/comm", pid), "w");

		assert_non_null(f);
		fprintf(f, "%s\n", comm);
		assert_int_equal(fclose(f), 0);
	}
	for (size_t i = 0; links && links[i]; i++)
		assert_int_equal(symlink(links[i], path_of("proc/%s/fd/%zu", pid, i)), 0);
}

static int setup(void **state _unused_)
{
	static const char *const init[] = { "/dev/null", "socket:[100]", "socket:[300]", NULL };
	static const char *const web[] = { "/dev/null", "pipe:[100]", "socket:[100]",
					   "socket:[100]", "anon_inode:[eventfd]", NULL };
	static const char *const odd[] = { "socket:[200", "socket:[2x0]", "socket:[]",
					   "socket:[-200]", "socket:200", "Socket:[200]",
					   "socket:[99999999999999999999999]", NULL };
	static const char *const db[] = { "socket:[200]", "socket:[18446744073709551615]", NULL };
	static const char *const gone[] = { "socket:[400]", NULL };
	static const char *const lead[] = { "socket:[500]", NULL };

	if (!mkdtemp(tree))
		return -1;
	proc("1", "systemd", init);
	proc("42", "web-server-with-a-long-name", web);
	proc("77", "odd", odd);
	proc("1234", "db", db);
	proc("55", NULL, gone);   /* no comm: exited after its fds were read */
	mkdirs("proc/66");        /* no fd directory: exited before */
	proc("0123", "lead", lead); /* not a pid */
	proc("net", "net", lead);
	assert_int_equal(symlink("42", path_of("proc/self")), 0);
	return 0;
}

static int rm_entry(const char *p, const struct stat *st _unused_, int flag _unused_,
		    struct FTW *ftw _unused_)
{
	return remove(p);
}

static int teardown(void **state _unused_)
{
	return nftw(tree, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct root *open_tree(void)
{
	struct root *r = NULL;

	assert_int_equal(root_new(tree, &r), 0);
	assert_false(r->live);
	return r;
}

/* The pids holding inode, ascending, space-separated. */
static const char *holders(const struct owners *o, uint64_t inode)
{
	static char buf[256];
	int pids[16];
	size_t n = 0, len = 0;

	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].inode == inode && n < ARRAY_SIZE(pids))
			pids[n++] = o->v[i].pid;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
			int t = pids[j];
			pids[j] = pids[j - 1];
			pids[j - 1] = t;
		}
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", i ? " " : "", pids[i]);
	return buf;
}

static void test_holders(void **state _unused_)
{
	_cleanup_(root_freep) struct root *r = open_tree();
	/* 999 is nobody's, so the scan visits every process */
	const uint64_t want[] = { 100, 200, 300, 400, 500, UINT64_MAX, 999, 100 };
	struct owners o;
	const struct owner *w;

	assert_int_equal(owners_find(r, want, ARRAY_SIZE(want), &o), 0);
	assert_true(o.complete);
	assert_int_equal(o.n_denied, 0);
	/* 1, 42, 77, 1234 and 55; not 66 (no fd dir), 0123, net or self */
	assert_int_equal(o.n_pids, 5);
	assert_string_equal(holders(&o, 100), "1 42");  /* twice in 42: one entry */
	assert_string_equal(holders(&o, 200), "1234");  /* none of odd's links */
	assert_string_equal(holders(&o, 300), "1");
	assert_string_equal(holders(&o, 400), "");     /* 55 vanished */
	assert_string_equal(holders(&o, 500), "");     /* "0123" is no pid */
	assert_string_equal(holders(&o, UINT64_MAX), "1234");
	assert_string_equal(holders(&o, 999), "");
	assert_int_equal(o.n, 5);

	w = owners_lookup(&o, 100);
	assert_non_null(w);
	assert_int_equal(w->pid, 42);
	assert_string_equal(w->comm, "web-server-with"); /* comm is 15 bytes at most */
	assert_null(w->unit);                            /* never for an offline root */
	w = owners_lookup(&o, 300);
	assert_non_null(w);
	assert_int_equal(w->pid, 1);
	assert_string_equal(w->comm, "systemd");
	w = owners_lookup(&o, UINT64_MAX);
	assert_non_null(w);
	assert_string_equal(w->comm, "db");
	assert_null(owners_lookup(&o, 400));
	assert_null(owners_lookup(&o, 12345));
	owners_done(&o);
	assert_int_equal(o.n, 0);
	assert_null(o.v);
}

/* Asked for inodes only PID 1 holds, the scan still looks at every process. */
static void test_pid1_only(void **state _unused_)
{
	_cleanup_(root_freep) struct root *r = open_tree();
	const uint64_t want[] = { 300 };
	struct owners o;

	assert_int_equal(owners_find(r, want, 1, &o), 0);
	assert_int_equal(o.n_pids, 5);
	assert_string_equal(holders(&o, 300), "1");
	owners_done(&o);
}

static void test_nothing_asked(void **state _unused_)
{
	_cleanup_(root_freep) struct root *r = open_tree();
	struct owners o;

	assert_int_equal(owners_find(r, NULL, 0, &o), 0);
	assert_true(o.complete);
	assert_int_equal(o.n, 0);
	assert_int_equal(o.n_pids, 0);
	owners_done(&o);
}

/* A tree without /proc: nobody examined, and the result says so. */
static void test_no_proc(void **state _unused_)
{
	_cleanup_(root_freep) struct root *r = NULL;
	const uint64_t want[] = { 100 };
	struct owners o;

	assert_int_equal(root_new(path_of("proc/42/fd"), &r), 0);
	assert_int_equal(owners_find(r, want, 1, &o), 0);
	assert_false(o.complete);
	assert_int_equal(o.n, 0);
	assert_null(owners_lookup(&o, 100));
	owners_done(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holders),
		cmocka_unit_test(test_pid1_only),
		cmocka_unit_test(test_nothing_asked),
		cmocka_unit_test(test_no_proc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
