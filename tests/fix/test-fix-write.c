/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The writers of --fix against temporary trees used as --root: the atomic
 * replacement below the root (root_replace_file()), reading what is at the
 * fragment's path (fix_read_current()), the lock (fix_lock()) and carrying a
 * plan out on an offline tree (fix_execute()).  No root privileges and no
 * network: an offline root never writes a live sysctl.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "portaudit/fix.h"
#include "portaudit/inventory.h"
#include "portaudit/root.h"
#include "portaudit/snapshot.h"
#include "snapbuild.h"

#define OK(expr) assert_int_equal((expr), 0)

#define FRAG FIX_FRAGMENT_PATH
#define TEMP FIX_FRAGMENT_DIR "/" FIX_TEMP_NAME
#define RESERVED(v) "net.ipv4.ip_local_reserved_ports = " v "\n"

struct t {
	char dir[64];
	struct root *r;
};

/* The absolute path of rel (a path below the tree, starting with '/'). */
static const char *at(const struct t *t, const char *rel)
{
	static char buf[2][512];
	static int which;
	char *b = buf[which++ % 2];

	assert_true((size_t)snprintf(b, sizeof(buf[0]), "%s%s", t->dir, rel) < sizeof(buf[0]));
	return b;
}

static void put(const struct t *t, const char *rel, const char *content)
{
	int fd = open(at(t, rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(content);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void mkdirs(const struct t *t, const char *rel)
{
	assert_int_equal(mkdir(at(t, rel), 0755), 0);
}

static void link_to(const struct t *t, const char *target, const char *rel)
{
	assert_int_equal(symlink(target, at(t, rel)), 0);
}

/* The content of rel, malloc'd; NULL when it cannot be opened. */
static char *slurp(const struct t *t, const char *rel)
{
	int fd = open(at(t, rel), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *buf;
	size_t len;

	if (fd < 0)
		return NULL;
	assert_int_equal(root_read_fd(fd, 0, 4u << 20, &buf, &len), 0);
	close(fd);
	return buf;
}

static void assert_content(const struct t *t, const char *rel, const char *expect)
{
	_cleanup_free_ char *got = slurp(t, rel);

	assert_non_null(got);
	assert_string_equal(got, expect);
}

static bool exists(const struct t *t, const char *rel)
{
	struct stat st;

	return lstat(at(t, rel), &st) == 0;
}

static mode_t lmode(const struct t *t, const char *rel)
{
	struct stat st;

	assert_int_equal(lstat(at(t, rel), &st), 0);
	return st.st_mode;
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test-fix-write.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	/* An offline host: the three port sysctls, /etc/sysctl.d and /run. */
	mkdirs(t, "/etc");
	mkdirs(t, "/etc/sysctl.d");
	mkdirs(t, "/run");
	mkdirs(t, "/proc");
	mkdirs(t, "/proc/sys");
	mkdirs(t, "/proc/sys/net");
	mkdirs(t, "/proc/sys/net/ipv4");
	put(t, "/proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	put(t, "/proc/sys/net/ipv4/ip_local_reserved_ports", "\n");
	put(t, "/proc/sys/net/ipv4/ip_unprivileged_port_start", "1024\n");
	put(t, "/victim", "keep\n");
	if (root_new(t->dir, &t->r) < 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct t *t = *state;
	int k;

	root_free(t->r);
	k = nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return k == 0 ? 0 : -1;
}

static int replace(const struct t *t, const char *data, const char **step)
{
	return root_replace_file(t->r, FIX_FRAGMENT_DIR, FIX_FRAGMENT_NAME, FIX_TEMP_NAME, data,
				 strlen(data), 0644, step);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- root_replace_file ---- */

static void test_replace_create(void **state)
{
	struct t *t = *state;
	static const char data[] = "a\0b\n";
	const char *step = NULL;
	mode_t old = umask(077);
	_cleanup_free_ char *got = NULL;
	int k;

	k = root_replace_file(t->r, FIX_FRAGMENT_DIR, FIX_FRAGMENT_NAME, FIX_TEMP_NAME, data,
			      sizeof(data) - 1, 0644, &step);
	umask(old);
	OK(k);
	assert_null(step);
	/* 0644 whatever the umask, and every byte as given. */
	assert_true(S_ISREG(lmode(t, FRAG)));
	assert_int_equal(lmode(t, FRAG) & 07777, 0644);
	{
		int fd = open(at(t, FRAG), O_RDONLY | O_CLOEXEC);
		char buf[16];

		assert_true(fd >= 0);
		assert_int_equal(read(fd, buf, sizeof(buf)), 4);
		assert_memory_equal(buf, data, 4);
		close(fd);
	}
	assert_false(exists(t, TEMP));
}

static void test_replace_existing(void **state)
{
	struct t *t = *state;
	struct stat before, after;
	char buf[16] = "";
	int fd;

	put(t, FRAG, "old\n");
	assert_int_equal(chmod(at(t, FRAG), 0600), 0);
	fd = open(at(t, FRAG), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &before), 0);
	OK(replace(t, "new content\n", NULL));
	assert_content(t, FRAG, "new content\n");
	assert_int_equal(lstat(at(t, FRAG), &after), 0);
	/* A new inode renamed over the old one, which still holds the old bytes. */
	assert_true(after.st_ino != before.st_ino);
	assert_int_equal(after.st_mode & 07777, 0644);
	assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0), 4);
	assert_string_equal(buf, "old\n");
	close(fd);
	assert_false(exists(t, TEMP));
	/* Again with the same bytes: still fine. */
	OK(replace(t, "new content\n", NULL));
	assert_content(t, FRAG, "new content\n");
}

static void test_replace_creates_dir(void **state)
{
	struct t *t = *state;
	const char *step = NULL;

	assert_int_equal(rmdir(at(t, "/etc/sysctl.d")), 0);
	OK(replace(t, "x\n", &step));
	assert_true(S_ISDIR(lmode(t, "/etc/sysctl.d")));
	assert_content(t, FRAG, "x\n");

	/* No /etc: nothing is created. */
	assert_int_equal(unlink(at(t, FRAG)), 0);
	assert_int_equal(rmdir(at(t, "/etc/sysctl.d")), 0);
	assert_int_equal(rmdir(at(t, "/etc")), 0);
	assert_int_equal(replace(t, "x\n", &step), -ENOENT);
	assert_string_equal(step, "open the directory");
	assert_false(exists(t, "/etc"));
}

static void test_replace_symlink_target(void **state)
{
	struct t *t = *state;
	const char *step = NULL;

	/* Relative and absolute (which resolves inside the tree): never written through. */
	link_to(t, "../../victim", FRAG);
	assert_int_equal(replace(t, "x\n", &step), -ELOOP);
	assert_string_equal(step, "check the file");
	assert_true(S_ISLNK(lmode(t, FRAG)));
	assert_content(t, "/victim", "keep\n");
	assert_false(exists(t, TEMP));

	assert_int_equal(unlink(at(t, FRAG)), 0);
	link_to(t, "/victim", FRAG);
	step = NULL;
	assert_int_equal(replace(t, "x\n", &step), -ELOOP);
	assert_string_equal(step, "check the file");
	assert_content(t, "/victim", "keep\n");
	assert_false(exists(t, TEMP));

	/* A dangling one too. */
	assert_int_equal(unlink(at(t, FRAG)), 0);
	link_to(t, "../../nowhere", FRAG);
	assert_int_equal(replace(t, "x\n", NULL), -ELOOP);
	assert_false(exists(t, "/nowhere"));
	assert_false(exists(t, TEMP));
}

static void test_replace_symlink_dir(void **state)
{
	struct t *t = *state;
	const char *step = NULL;

	assert_int_equal(rmdir(at(t, "/etc/sysctl.d")), 0);
	mkdirs(t, "/elsewhere");
	link_to(t, "../elsewhere", "/etc/sysctl.d");
	assert_int_equal(replace(t, "x\n", &step), -ELOOP);
	assert_string_equal(step, "open the directory");
	assert_false(exists(t, "/elsewhere/" FIX_FRAGMENT_NAME));
	assert_false(exists(t, "/elsewhere/" FIX_TEMP_NAME));
	assert_true(S_ISLNK(lmode(t, "/etc/sysctl.d")));
}

static void test_replace_stale_temp(void **state)
{
	struct t *t = *state;

	put(t, TEMP, "junk from a crashed run\n");
	assert_int_equal(chmod(at(t, TEMP), 0600), 0);
	OK(replace(t, "x\n", NULL));
	assert_content(t, FRAG, "x\n");
	assert_int_equal(lmode(t, FRAG) & 07777, 0644);
	assert_false(exists(t, TEMP));
}

static void test_replace_temp_symlink(void **state)
{
	struct t *t = *state;

	/* A symlink planted at the temporary name is removed, not followed. */
	link_to(t, "../../victim", TEMP);
	OK(replace(t, "x\n", NULL));
	assert_content(t, "/victim", "keep\n");
	assert_true(S_ISREG(lmode(t, FRAG)));
	assert_content(t, FRAG, "x\n");
	assert_false(exists(t, TEMP));

	/* Also when the target does not exist: O_CREAT must not create it. */
	link_to(t, "../../created", TEMP);
	OK(replace(t, "y\n", NULL));
	assert_false(exists(t, "/created"));
	assert_content(t, FRAG, "y\n");
}

static void test_replace_not_regular(void **state)
{
	struct t *t = *state;
	const char *step = NULL;

	/* A directory or a FIFO at the name: refused without opening it. */
	mkdirs(t, FRAG);
	assert_int_equal(replace(t, "x\n", &step), -EEXIST);
	assert_string_equal(step, "check the file");
	assert_true(S_ISDIR(lmode(t, FRAG)));
	assert_int_equal(rmdir(at(t, FRAG)), 0);

	assert_int_equal(mkfifo(at(t, FRAG), 0644), 0);
	alarm(5);
	assert_int_equal(replace(t, "x\n", NULL), -EEXIST);
	alarm(0);
	assert_true(S_ISFIFO(lmode(t, FRAG)));
	assert_false(exists(t, TEMP));
	assert_int_equal(unlink(at(t, FRAG)), 0);

	/* A step after the check fails: its name comes back, the file stays as it was. */
	put(t, FRAG, "previous\n");
	mkdirs(t, TEMP);
	put(t, TEMP "/keep", "x");
	step = NULL;
	assert_int_equal(replace(t, "x\n", &step), -EISDIR);
	assert_string_equal(step, "remove a stale temporary file");
	assert_content(t, FRAG, "previous\n");
	/* Without ret_step as well. */
	assert_int_equal(replace(t, "x\n", NULL), -EISDIR);
}

/* ---- fix_read_current ---- */

static void read_current(const struct t *t, struct fix_current *c)
{
	alarm(5);
	OK(fix_read_current(t->r, c));
	alarm(0);
}

static void test_current_absent(void **state)
{
	struct t *t = *state;
	struct fix_current c;

	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_ABSENT);
	assert_int_equal(c.error, 0);
	assert_null(c.text);
	assert_null(c.target);
	fix_current_done(&c);

	/* No sysctl.d, and a sysctl.d that is no directory. */
	assert_int_equal(rmdir(at(t, "/etc/sysctl.d")), 0);
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_ABSENT);
	assert_int_equal(c.error, 0);
	fix_current_done(&c);
	put(t, "/etc/sysctl.d", "");
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_ABSENT);
	assert_int_equal(c.error, 0);
	fix_current_done(&c);
}

static void test_current_file(void **state)
{
	struct t *t = *state;
	struct fix_current c;
	char *big;

	put(t, FRAG, "# x\n" RESERVED("40000"));
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_FILE);
	assert_int_equal(c.error, 0);
	assert_string_equal(c.text, "# x\n" RESERVED("40000"));
	assert_int_equal(c.len, strlen("# x\n" RESERVED("40000")));
	assert_null(c.target);
	fix_current_done(&c);

	put(t, FRAG, "");
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_FILE);
	assert_int_equal(c.error, 0);
	assert_non_null(c.text);
	assert_int_equal(c.len, 0);
	fix_current_done(&c);

	/* Longer than FIX_FRAGMENT_READ_MAX: a file all the same, replaced unread. */
	big = malloc(FIX_FRAGMENT_READ_MAX + 2);
	assert_non_null(big);
	memset(big, '#', FIX_FRAGMENT_READ_MAX + 1);
	big[FIX_FRAGMENT_READ_MAX + 1] = '\0';
	put(t, FRAG, big);
	free(big);
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_FILE);
	assert_int_equal(c.error, -EFBIG);
	fix_current_done(&c);
}

static void test_current_links(void **state)
{
	struct t *t = *state;
	struct fix_current c;

	link_to(t, "/dev/null", FRAG);
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_MASKED);
	assert_string_equal(c.target, "/dev/null");
	assert_null(c.text);
	fix_current_done(&c);

	assert_int_equal(unlink(at(t, FRAG)), 0);
	put(t, "/etc/sysctl.d/other.conf", "x\n");
	link_to(t, "other.conf", FRAG);
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_SYMLINK);
	assert_string_equal(c.target, "other.conf");
	assert_null(c.text);
	fix_current_done(&c);

	assert_int_equal(unlink(at(t, FRAG)), 0);
	link_to(t, "../../nowhere", FRAG);
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_SYMLINK);
	assert_string_equal(c.target, "../../nowhere");
	fix_current_done(&c);
}

static void test_current_other(void **state)
{
	struct t *t = *state;
	struct fix_current c;

	mkdirs(t, FRAG);
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_OTHER);
	assert_null(c.text);
	fix_current_done(&c);
	assert_int_equal(rmdir(at(t, FRAG)), 0);

	/* A FIFO nobody writes to: reading it would block forever (alarm() guards). */
	assert_int_equal(mkfifo(at(t, FRAG), 0644), 0);
	read_current(t, &c);
	assert_int_equal(c.kind, FIX_CURRENT_OTHER);
	assert_null(c.text);
	fix_current_done(&c);
}

#define DOTS8                                                                              \
	"../sysctl.d/../sysctl.d/../sysctl.d/../sysctl.d/../sysctl.d/../sysctl.d/../sysctl.d/" \
	"../sysctl.d/"
#define DEBIAN "/etc/sysctl.d/99-sysctl.conf"
#define DEEP "/etc/sysctl.d/98-deep.conf"

static void test_open_dotdot_link_renames(void **state)
{
	struct t *t = *state;
	unsigned opens = 0, failed = 0;
	int last = 0, status, p[2];
	long start;
	pid_t pid;
	char c;

	/*
	 * Debian's /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf, read (by
	 * sysctld_load(), for the union the fragment keeps) while some other
	 * process on the host renames files: openat2(RESOLVE_IN_ROOT) fails a ".."
	 * step with EAGAIN when a rename happened meanwhile, and asks to be retried.
	 */
	put(t, "/etc/sysctl.conf", RESERVED("1000"));
	link_to(t, "../sysctl.conf", DEBIAN);
	/* The same with more ".." steps, each of which can see the rename. */
	link_to(t, DOTS8 DOTS8 DOTS8 DOTS8 "../sysctl.conf", DEEP);
	for (int i = 0; i < 2; i++) {
		int fd = -1;

		OK(root_open(t->r, i ? DEEP : DEBIAN, O_RDONLY, &fd));
		close(fd);
	}
	put(t, "/a", "");
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Bounded even if the parent dies before it kills us. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(10);
		close(p[0]);
		(void)rename(at(t, "/a"), at(t, "/b"));
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;) {
			(void)rename(at(t, "/b"), at(t, "/a"));
			(void)rename(at(t, "/a"), at(t, "/b"));
		}
	}
	close(p[1]);
	/* Until the first failure, for at most 250 ms, once the renames have begun. */
	if (read(p[0], &c, 1) == 1) {
		start = now_ms();
		while (!failed && now_ms() - start < 250) {
			int fd = -1, k = root_open(t->r, opens % 2 ? DEEP : DEBIAN, O_RDONLY, &fd);

			opens++;
			if (k < 0) {
				failed++;
				last = k;
			} else
				close(fd);
		}
	}
	close(p[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(opens > 0);
	if (failed)
		fail_msg("open %u failed with %s", opens, strerror(-last));
}

/* ---- fix_lock ---- */

/*
 * In a child (its own open file description, so its flock competes with the
 * parent's): try the lock for timeout_ms.  Exit 0 when the result was want
 * after between min_ms and max_ms, else 1.
 */
static void child_try_lock(const struct t *t, unsigned timeout_ms, int want, long min_ms,
			   long max_ms)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		_cleanup_free_ char *note = NULL;
		long start = now_ms(), took;
		int fd = -1, k;

		alarm(10);
		k = fix_lock(t->r, timeout_ms, &fd, &note);
		took = now_ms() - start;
		if (k != want || took < min_ms || took > max_ms) {
			fprintf(stderr, "child: fix_lock() = %d after %ld ms, wanted %d",
				k, took, want);
			fprintf(stderr, " in %ld..%ld ms\n", min_ms, max_ms);
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_lock_exclusive(void **state)
{
	struct t *t = *state;
	static char sentinel[] = "untouched";
	char *note = sentinel;
	int fd = -1;

	OK(fix_lock(t->r, 0, &fd, &note));
	assert_true(fd >= 0);
	/* Written on success: no note when the lock file itself is locked. */
	assert_null(note);
	assert_true(S_ISREG(lmode(t, FIX_LOCK_PATH)));
	/* Held: a second run gives up after its timeout. */
	child_try_lock(t, 120, -ETIMEDOUT, 110, 1500);
	close(fd);
	/* Released: the next run takes it at once. */
	child_try_lock(t, 0, 0, 0, 500);
}

static void test_lock_waits(void **state)
{
	struct t *t = *state;
	_cleanup_free_ char *note = NULL;
	int p[2], q[2], fd = -1, status;
	long start, took;
	char c;
	pid_t pid;

	/* p: "I hold the lock"; q: "I am about to release it" (written before exiting). */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe2(q, O_NONBLOCK), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *n = NULL;
		int cfd = -1;
		const struct timespec hold = { .tv_nsec = 80 * 1000 * 1000 };

		close(p[0]);
		close(q[0]);
		if (fix_lock(t->r, 0, &cfd, &n) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		nanosleep(&hold, NULL);
		if (write(q[1], "r", 1) != 1)
			_exit(1);
		/* The lock goes with the process. */
		_exit(0);
	}
	close(p[1]);
	close(q[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	start = now_ms();
	OK(fix_lock(t->r, 5000, &fd, &note));
	took = now_ms() - start;
	/*
	 * Got only once the child let go: its last word is already in the pipe.  A
	 * lock that did not wait would get here while the child still sleeps.
	 */
	assert_int_equal(read(q[0], &c, 1), 1);
	assert_int_equal(c, 'r');
	close(q[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	print_message("waited %ld ms\n", took);
	assert_true(took < 2000);
	close(fd);
}

static void test_lock_fallback(void **state)
{
	struct t *t = *state;
	_cleanup_free_ char *note = NULL;
	struct stat st;
	int fd = -1;

	/* No /run in the tree: the sysctl.d directory is locked instead, and said so. */
	assert_int_equal(rmdir(at(t, "/run")), 0);
	OK(fix_lock(t->r, 0, &fd, &note));
	assert_non_null(note);
	print_message("%s\n", note);
	assert_non_null(strstr(note, FIX_LOCK_PATH));
	assert_non_null(strstr(note, FIX_FRAGMENT_DIR));
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_false(exists(t, "/run"));
	child_try_lock(t, 60, -ETIMEDOUT, 50, 1500);
	close(fd);
	child_try_lock(t, 0, 0, 0, 500);
}

static void test_lock_symlink(void **state)
{
	struct t *t = *state;
	_cleanup_free_ char *note = NULL;
	int fd = -1;

	/* A symlink at the lock's path is neither followed nor a reason to fall back. */
	link_to(t, "../created", FIX_LOCK_PATH);
	assert_int_equal(fix_lock(t->r, 0, &fd, &note), -ELOOP);
	assert_int_equal(fd, -1);
	assert_false(exists(t, "/created"));
}

/* ---- fix_execute on an offline tree ---- */

struct run {
	struct snapshot snap;
	struct inventory *inv;
	struct fix_current cur;
	struct fix_plan plan;
	struct fix_result res;
};

/*
 * Gather the tree, read the fragment, plan for the inventory yaml and carry it
 * out (with dry_run: find what would fail).
 */
static void run_fix_as(const struct t *t, const char *yaml, bool dry_run, struct run *run)
{
	_cleanup_free_ char *msg = NULL;

	*run = (struct run){ 0 };
	OK(snapbuild_inventory(yaml, NULL, &run->inv));
	OK(snapshot_gather(t->r, NULL, false, &run->snap, &msg));
	assert_false(run->snap.live);
	OK(fix_result_init(&run->res, t->r, dry_run, /* no_apply= */ false));
	assert_true(run->res.offline);
	assert_string_equal(run->res.fragment_shown, at(t, FRAG));
	OK(fix_read_current(t->r, &run->cur));
	OK(fix_plan_compute(run->inv, &run->snap, &run->cur, run->res.fragment_shown, &run->plan));
	OK(fix_execute(t->r, &run->plan, &run->res));
	assert_ptr_equal(run->res.plan, &run->plan);
	/* Never the live value under --root. */
	assert_false(run->res.apply_attempted);
	assert_false(run->res.applied);
	assert_content(t, "/proc/sys/net/ipv4/ip_local_reserved_ports", "\n");
}

static void run_fix(const struct t *t, const char *yaml, struct run *run)
{
	run_fix_as(t, yaml, /* dry_run= */ false, run);
}

static void run_done(struct run *run)
{
	fix_result_done(&run->res);
	fix_plan_done(&run->plan);
	fix_current_done(&run->cur);
	inventory_free(run->inv);
	snapshot_done(&run->snap);
}

static void print_problems(const struct fix_result *res)
{
	char line[1024];

	for (size_t i = 0; i < res->problems.n; i++) {
		diag_format(&res->problems.entries[i], line, sizeof(line));
		print_message("  %s\n", line);
	}
}

#define INV_40000 "version: 1\nservices:\n  a: {ports: [40000]}\n"

static void test_execute_writes(void **state)
{
	struct t *t = *state;
	struct run run;

	put(t, "/etc/sysctl.d/10-a.conf", RESERVED("1000"));
	run_fix(t, INV_40000, &run);
	print_problems(&run.res);
	assert_true(run.plan.fragment_changed);
	assert_true(run.res.written);
	assert_int_equal(run.res.write_error, 0);
	assert_false(run.res.failed);
	assert_int_equal(run.res.problems.total, 0);
	assert_content(t, FRAG, run.plan.text);
	assert_non_null(strstr(run.plan.text, "\n" RESERVED("1000,40000")));
	assert_int_equal(lmode(t, FRAG) & 07777, 0644);
	assert_false(exists(t, TEMP));
	run_done(&run);

	/* A second run finds it in place: nothing to write. */
	run_fix(t, INV_40000, &run);
	assert_int_equal(run.cur.kind, FIX_CURRENT_FILE);
	assert_false(run.plan.fragment_changed);
	assert_false(run.res.written);
	assert_false(run.res.failed);
	assert_int_equal(run.res.problems.total, 0);
	run_done(&run);
}

static void test_execute_symlink(void **state)
{
	struct t *t = *state;
	struct run run;
	const struct diag_entry *e;

	link_to(t, "../../victim", FRAG);
	run_fix(t, INV_40000, &run);
	print_problems(&run.res);
	assert_int_equal(run.cur.kind, FIX_CURRENT_SYMLINK);
	assert_false(run.res.written);
	assert_true(run.res.failed);
	assert_int_equal(run.res.write_error, -ELOOP);
	assert_int_equal(run.res.problems.total, 1);
	e = &run.res.problems.entries[0];
	assert_string_equal(e->file, at(t, FRAG));
	assert_non_null(strstr(e->message, "symlink"));
	assert_non_null(strstr(e->message, "../../victim"));
	assert_true(S_ISLNK(lmode(t, FRAG)));
	assert_content(t, "/victim", "keep\n");
	assert_false(exists(t, TEMP));
	run_done(&run);
}

static void test_execute_other(void **state)
{
	struct t *t = *state;
	struct run run;

	mkdirs(t, FRAG);
	run_fix(t, INV_40000, &run);
	print_problems(&run.res);
	assert_int_equal(run.cur.kind, FIX_CURRENT_OTHER);
	assert_false(run.res.written);
	assert_true(run.res.failed);
	assert_int_equal(run.res.problems.total, 1);
	assert_string_equal(run.res.problems.entries[0].file, at(t, FRAG));
	assert_non_null(strstr(run.res.problems.entries[0].message, "not a regular file"));
	assert_true(S_ISDIR(lmode(t, FRAG)));
	run_done(&run);
}

static void test_execute_masked(void **state)
{
	struct t *t = *state;
	struct run run;

	link_to(t, "/dev/null", FRAG);
	run_fix(t, INV_40000, &run);
	assert_int_equal(run.plan.skip, FIX_SKIP_DISABLED);
	assert_false(run.res.written);
	assert_false(run.res.failed);
	assert_int_equal(run.res.problems.total, 0);
	assert_true(S_ISLNK(lmode(t, FRAG)));
	run_done(&run);
}

static void test_execute_overridden(void **state)
{
	struct t *t = *state;
	struct run run;
	const struct diag_entry *e;

	put(t, "/etc/sysctl.d/zz-x.conf", "# later\n" RESERVED("1000"));
	run_fix(t, INV_40000, &run);
	print_problems(&run.res);
	/* Written all the same (it protects whatever it can), and the fix failed. */
	assert_true(run.res.written);
	assert_content(t, FRAG, run.plan.text);
	assert_true(run.res.failed);
	assert_int_equal(run.res.problems.total, 1);
	e = &run.res.problems.entries[0];
	assert_string_equal(e->file, at(t, "/etc/sysctl.d/zz-x.conf"));
	assert_int_equal(e->line, 2);
	assert_non_null(strstr(e->message, "40000"));
	assert_non_null(strstr(e->message, "systemd-sysctl"));
	run_done(&run);
}

static void test_execute_overridden_long_list(void **state)
{
	struct t *t = *state;
	struct run run;
	const char *m;
	char yaml[1024];
	size_t len;

	/* 30 isolated ports that a later file drops: the problem line names them all. */
	put(t, "/etc/sysctl.d/zz-x.conf", RESERVED("1000"));
	len = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nservices:\n  a:\n    ports: [");
	for (unsigned i = 0; i < 30; i++)
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "%s%u", i ? ", " : "",
					40000 + 2 * i);
	len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "]\n");
	assert_true(len < sizeof(yaml));
	run_fix(t, yaml, &run);
	print_problems(&run.res);
	assert_true(run.res.failed);
	assert_int_equal(run.res.problems.total, 1);
	/* Every number after the file names is a dropped port: none is cut short. */
	m = strstr(run.res.problems.entries[0].message, "leaves ");
	assert_non_null(m);
	while (*m) {
		char *end;
		unsigned long v;

		if (*m < '0' || *m > '9') {
			m++;
			continue;
		}
		v = strtoul(m, &end, 10);
		if (v > 65535 ||
		    !portset_contains(&run.plan.overrides[SYSCTLD_SYSTEMD].dropped, (uint16_t)v))
			fail_msg("'%lu' in the problem is not a dropped port", v);
		m = end;
	}
	run_done(&run);
}

static void test_execute_write_fails(void **state)
{
	struct t *t = *state;
	struct run run;
	const struct diag_entry *e;

	put(t, FRAG, RESERVED("30000"));
	mkdirs(t, TEMP);
	put(t, TEMP "/x", "");
	run_fix(t, INV_40000, &run);
	print_problems(&run.res);
	assert_false(run.res.written);
	assert_true(run.res.failed);
	assert_int_equal(run.res.write_error, -EISDIR);
	assert_string_equal(run.res.write_step, "remove a stale temporary file");
	assert_int_equal(run.res.problems.total, 1);
	e = &run.res.problems.entries[0];
	assert_string_equal(e->file, at(t, FRAG));
	assert_non_null(strstr(e->message, "remove a stale temporary file"));
	assert_content(t, FRAG, RESERVED("30000"));
	run_done(&run);

	/* A later file would override it too: said once the fragment is in place, not now. */
	put(t, "/etc/sysctl.d/zz-x.conf", RESERVED("1000"));
	run_fix(t, INV_40000, &run);
	print_problems(&run.res);
	assert_true(run.plan.overridden[SYSCTLD_SYSTEMD]);
	assert_true(run.res.failed);
	assert_int_equal(run.res.problems.total, 1);
	assert_non_null(strstr(run.res.problems.entries[0].message, "remove a stale"));
	run_done(&run);
}

/* The tree's /etc/sysctl.d holds exactly the names given (NULL-terminated). */
static void assert_sysctld_holds(const struct t *t, const char *const *names)
{
	size_t n = 0, found = 0;
	struct dirent *de;
	DIR *d = opendir(at(t, FIX_FRAGMENT_DIR));

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		found++;
		for (n = 0; names[n] && strcmp(names[n], de->d_name) != 0; n++)
			;
		if (!names[n])
			fail_msg("unexpected %s in sysctl.d", de->d_name);
	}
	closedir(d);
	for (n = 0; names[n]; n++)
		;
	assert_int_equal(found, n);
}

static void test_execute_dry_run(void **state)
{
	struct t *t = *state;
	static const char *const names[] = { "10-a.conf", NULL };
	struct run run;

	put(t, "/etc/sysctl.d/10-a.conf", RESERVED("1000"));
	run_fix_as(t, INV_40000, /* dry_run= */ true, &run);
	print_problems(&run.res);
	assert_true(run.res.dry_run);
	assert_true(run.plan.fragment_changed);
	assert_false(run.res.written);
	assert_false(run.res.failed);
	assert_int_equal(run.res.problems.total, 0);
	/* Nothing written: no fragment, no temporary file. */
	assert_sysctld_holds(t, names);
	run_done(&run);
}

static void test_execute_dry_run_refused(void **state)
{
	struct t *t = *state;
	struct run run;

	/* What would fail is found, and nothing is touched. */
	link_to(t, "../../victim", FRAG);
	run_fix_as(t, INV_40000, /* dry_run= */ true, &run);
	print_problems(&run.res);
	assert_false(run.res.written);
	assert_true(run.res.failed);
	assert_int_equal(run.res.problems.total, 1);
	assert_string_equal(run.res.problems.entries[0].file, at(t, FRAG));
	assert_non_null(strstr(run.res.problems.entries[0].message, "would not be written"));
	assert_non_null(strstr(run.res.problems.entries[0].message, "../../victim"));
	assert_true(S_ISLNK(lmode(t, FRAG)));
	assert_content(t, "/victim", "keep\n");
	run_done(&run);
}

static void test_execute_dry_run_overridden(void **state)
{
	struct t *t = *state;
	static const char *const names[] = { "zz-x.conf", NULL };
	struct run run;

	put(t, "/etc/sysctl.d/zz-x.conf", RESERVED("1000"));
	run_fix_as(t, INV_40000, /* dry_run= */ true, &run);
	print_problems(&run.res);
	assert_false(run.res.written);
	assert_true(run.res.failed);
	assert_int_equal(run.res.problems.total, 1);
	assert_string_equal(run.res.problems.entries[0].file, at(t, "/etc/sysctl.d/zz-x.conf"));
	assert_int_equal(run.res.problems.entries[0].line, 1);
	assert_sysctld_holds(t, names);
	run_done(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_replace_create),
		T(test_replace_existing),
		T(test_replace_creates_dir),
		T(test_replace_symlink_target),
		T(test_replace_symlink_dir),
		T(test_replace_stale_temp),
		T(test_replace_temp_symlink),
		T(test_replace_not_regular),
		T(test_current_absent),
		T(test_current_file),
		T(test_current_links),
		T(test_current_other),
		T(test_open_dotdot_link_renames),
		T(test_lock_exclusive),
		T(test_lock_waits),
		T(test_lock_fallback),
		T(test_lock_symlink),
		T(test_execute_writes),
		T(test_execute_symlink),
		T(test_execute_other),
		T(test_execute_masked),
		T(test_execute_overridden),
		T(test_execute_overridden_long_list),
		T(test_execute_write_fails),
		T(test_execute_dry_run),
		T(test_execute_dry_run_refused),
		T(test_execute_dry_run_overridden),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
