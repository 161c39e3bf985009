/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * root_open_fallback(), the userspace resolver for an offline tree, against the
 * kernel's openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) on the same trees: hand-made
 * cases with their expected answers, then thousands of seeded random trees and paths.
 * Every fd either resolver returns must be an inode of the tree.  Where openat2 is
 * missing (valgrind, Linux < 5.6) only the expected answers are checked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__aarch64__)
#include <linux/audit.h>
#endif

#include <cmocka.h>

#include "portaudit/openat2.h"
#include "portaudit/root.h"

/* The scratch directory: base/tree is the root; base itself holds decoys. */
static char base[PATH_MAX];
static char tree[PATH_MAX];
static bool have_openat2;
static int protected_symlinks;

/* snprintf() that fails the test rather than truncate. */
_printf_(3, 4) static void fmt(char *buf, size_t size, const char *format, ...)
{
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(buf, size, format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		fail_msg("does not fit in %zu bytes: %s", size, format);
}

/* What one resolver did: an errno, or the inode it opened. */
struct outcome {
	int err;
	dev_t dev;
	ino_t ino;
};

static bool outcome_eq(const struct outcome *a, const struct outcome *b)
{
	if (a->err || b->err)
		return a->err == b->err;
	return a->dev == b->dev && a->ino == b->ino;
}

static void outcome_str(const struct outcome *o, char *buf, size_t size)
{
	if (o->err)
		fmt(buf, size, "%s", strerrorname_np(o->err) ?: "errno?");
	else
		fmt(buf, size, "inode %llu:%llu", (unsigned long long)o->dev,
			 (unsigned long long)o->ino);
}

static struct outcome outcome_of_fd(int fd)
{
	struct outcome o = { 0 };
	struct stat st;

	if (fd < 0) {
		o.err = -fd;
		return o;
	}
	if (fstat(fd, &st) < 0)
		o.err = errno;
	else {
		o.dev = st.st_dev;
		o.ino = st.st_ino;
	}
	close(fd);
	return o;
}

/* The oracle: the kernel, with the resolve flags root_open() gives it for a tree. */
static struct outcome open_kernel(int root_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? 0644 : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	while (*path == '/')
		path++;
	/* EAGAIN: a rename anywhere on the host raced a ".." step; the answer is to ask again. */
	do
		fd = (int)syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return outcome_of_fd(fd < 0 ? -errno : fd);
}

static struct outcome open_fallback(const struct root *r, const char *path, int flags)
{
	int fd = -1, k = root_open_fallback(r, path, flags, &fd);

	return outcome_of_fd(k < 0 ? k : fd);
}

static struct outcome open_root(const struct root *r, const char *path, int flags)
{
	int fd = -1, k = root_open(r, path, flags, &fd);

	return outcome_of_fd(k < 0 ? k : fd);
}

/* The lowest free descriptor: a leak anywhere moves it up. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* ---- the inodes of a tree ---- */

struct entry {
	dev_t dev;
	ino_t ino;
	mode_t type;
	char *rel;    /* "" for the root */
	char *target; /* of a symlink */
};

struct scan {
	struct entry *e;
	size_t n, cap;
};

static void scan_done(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].rel);
		free(s->e[i].target);
	}
	free(s->e);
	*s = (struct scan){ 0 };
}

static void scan_add(struct scan *s, const struct stat *st, const char *rel, const char *target)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->e = realloc(s->e, s->cap * sizeof(*s->e));
		assert_non_null(s->e);
	}
	s->e[s->n++] = (struct entry){
		.dev = st->st_dev,
		.ino = st->st_ino,
		.type = st->st_mode & S_IFMT,
		.rel = strdup(rel),
		.target = target ? strdup(target) : NULL,
	};
}

/*
 * Every entry below the directory top, not crossing into other filesystems.  Breadth
 * first by path, so that a tree deeper than the fd limit or the stack needs neither.
 */
static void scan_dirs(struct scan *s, const char *top, dev_t dev)
{
	char **queue = NULL;
	size_t head = 0, tail = 0, cap = 0;
	char *path = malloc(PATH_MAX), *target = malloc(PATH_MAX), *sub = malloc(PATH_MAX);

	assert_true(path && target && sub);
	queue = malloc(sizeof(*queue));
	assert_non_null(queue);
	queue[tail++] = strdup("");
	cap = 1;
	while (head < tail) {
		char *rel = queue[head++];
		struct dirent *de;
		DIR *d;

		fmt(path, PATH_MAX, "%s/%s", top, rel);
		d = opendir(path);
		if (!d)
			fail_msg("opendir %s: %m", path);
		while ((de = readdir(d))) {
			struct stat st;
			ssize_t n;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				fail_msg("stat %s/%s: %m", path, de->d_name);
			fmt(sub, PATH_MAX, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
			if (S_ISLNK(st.st_mode)) {
				n = readlinkat(dirfd(d), de->d_name, target, PATH_MAX - 1);
				assert_true(n > 0);
				target[n] = '\0';
				scan_add(s, &st, sub, target);
				continue;
			}
			scan_add(s, &st, sub, NULL);
			if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
				if (tail == cap) {
					cap *= 2;
					queue = realloc(queue, cap * sizeof(*queue));
					assert_non_null(queue);
				}
				queue[tail++] = strdup(sub);
			}
		}
		closedir(d);
		free(rel);
	}
	free(queue);
	free(path);
	free(target);
	free(sub);
}

static int entry_by_inode(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int entry_by_rel(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->rel, ((const struct entry *)b)->rel);
}

/* Scan the tree at path, sorted by inode for scan_find(). */
static void scan_tree(struct scan *s, const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	scan_dirs(s, path, st.st_dev);
	scan_add(s, &st, "", NULL);
	qsort(s->e, s->n, sizeof(*s->e), entry_by_inode);
}

static const struct entry *scan_find(const struct scan *s, const struct outcome *o)
{
	struct entry key = { .dev = o->dev, .ino = o->ino };

	return bsearch(&key, s->e, s->n, sizeof(*s->e), entry_by_inode);
}

/* The tree as one text, for comparing two copies. */
static char *scan_listing(struct scan *s)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);

	assert_non_null(out);
	qsort(s->e, s->n, sizeof(*s->e), entry_by_rel);
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *e = &s->e[i];
		size_t need = strlen(e->rel) + (e->target ? strlen(e->target) : 0) + 32;

		if (len + need > cap) {
			cap = 2 * (len + need);
			out = realloc(out, cap);
			assert_non_null(out);
		}
		len += (size_t)snprintf(out + len, cap - len, "%s %o %s\n", e->rel, e->type,
					e->target ?: "");
	}
	qsort(s->e, s->n, sizeof(*s->e), entry_by_inode);
	return out;
}

/* ---- making trees ---- */

static void make_dir(const char *dir, const char *rel, mode_t mode)
{
	char p[PATH_MAX];

	fmt(p, sizeof(p), "%s/%s", dir, rel);
	if (mkdir(p, mode) < 0)
		fail_msg("mkdir %s: %m", p);
	/* Past the umask. */
	assert_int_equal(chmod(p, mode), 0);
}

static void make_file(const char *dir, const char *rel, const char *content)
{
	char p[PATH_MAX];
	FILE *f;

	fmt(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "wxe");
	if (!f)
		fail_msg("create %s: %m", p);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void make_link(const char *dir, const char *rel, const char *target)
{
	char p[PATH_MAX];

	fmt(p, sizeof(p), "%s/%s", dir, rel);
	if (symlink(target, p) < 0)
		fail_msg("symlink %s: %m", p);
}

static char *repeat(const char *s, unsigned n, const char *tail)
{
	size_t len = strlen(s), tlen = strlen(tail);
	char *out = malloc(len * n + tlen + 1);

	assert_non_null(out);
	for (unsigned i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	memcpy(out + len * n, tail, tlen + 1);
	return out;
}

/*
 * Levels of deep/d/d/...: more directories than the test lets itself hold open (setup()
 * lowers RLIMIT_NOFILE to FD_LIMIT), so a resolver keeping one fd per level fails.
 */
#define DEEP 300
#define FD_LIMIT 256

static void make_deep(void)
{
	char p[PATH_MAX];
	int fd, next;

	fmt(p, sizeof(p), "%s/deep", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (unsigned level = 1; level <= DEEP; level++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_PATH | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
		if (level == DEEP - 100)
			assert_int_equal(mknodat(fd, "mid_target", S_IFREG | 0644, 0), 0);
	}
	{
		/* 4095 bytes, the longest body a symlink can have: far above the root. */
		_cleanup_free_ char *up = repeat("../", 1365, "");
		_cleanup_free_ char *mid = repeat("../", 100, "mid_target");

		assert_int_equal(strlen(up), PATH_MAX - 1);
		assert_int_equal(symlinkat(up, fd, "up"), 0);
		assert_int_equal(symlinkat(mid, fd, "mid"), 0);
		assert_int_equal(mknodat(fd, "f", S_IFREG | 0644, 0), 0);
	}
	close(fd);
}

static int setup(void **state)
{
	const char *top = getenv("abs_top_builddir");
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	char p[PATH_MAX];
	int fd, k;
	FILE *f;

	fmt(base, sizeof(base), "%s/tests/root/tmp-XXXXXX", top ? top : ".");
	if (!mkdtemp(base))
		return -1;
	fmt(tree, sizeof(tree), "%s/tree", base);

	fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	k = (int)syscall(SYS_openat2, fd, ".", &how, sizeof(how));
	have_openat2 = k >= 0;
	if (k >= 0)
		close(k);
	close(fd);
	f = fopen("/proc/sys/fs/protected_symlinks", "re");
	protected_symlinks = 1;
	if (f) {
		if (fscanf(f, "%d", &protected_symlinks) != 1)
			protected_symlinks = 1;
		fclose(f);
	}

	/* Decoys one level above the root: an escape would find these. */
	make_dir(base, "etc", 0755);
	make_file(base, "etc/passwd", "decoy\n");
	make_dir(base, "dir", 0755);
	make_dir(base, "tmp", 0755);

	make_dir(base, "tree", 0755);
	make_dir(tree, "etc", 0755);
	make_file(tree, "etc/passwd", "inside\n");
	make_file(tree, "etc/immutable", "inside\n");
	make_dir(tree, "etc/sysctl.d", 0755);
	make_file(tree, "etc/sysctl.d/10-a.conf", "x = 1\n");
	make_dir(tree, "dir", 0755);
	make_dir(tree, "dir/sub", 0755);
	make_file(tree, "dir/file", "f\n");
	make_file(tree, "dir/sub/file", "g\n");
	make_dir(tree, "tmp", 0755);
	make_dir(tree, "empty", 0755);

	make_link(tree, "abs", "/etc/passwd");
	make_link(tree, "rel", "etc/passwd");
	make_link(tree, "up4", "../../../../etc/passwd");
	make_link(tree, "dir/upfar", "../../../../../../../../etc");
	make_link(tree, "rootdotdot", "/../../etc");
	make_link(tree, "dotdot", "..");
	make_link(tree, "dir/dotdot", "..");
	make_link(tree, "slash", "/");
	make_link(tree, "loop1", "loop2");
	make_link(tree, "loop2", "loop1");
	make_link(tree, "self", "self");
	make_link(tree, "dirlink", "dir");
	make_link(tree, "dirlink_abs", "/dir/");
	make_link(tree, "dirlink_slash", "dir/");
	make_link(tree, "filelink_slash", "dir/file/");
	make_link(tree, "filelink", "dir/file");
	make_link(tree, "dangling", "/nonexistent");
	make_link(tree, "dangling_rel", "nothere/x");
	make_link(tree, "dangling_in", "/dir/created");
	make_link(tree, "fdlink", "/proc/self/fd/0");
	make_link(tree, "esc_create", "../../../../tmp/escaped");
	make_link(tree, "dir/loopdir", "../dir/loopdir/x");
	/* chain0 -> chain1 -> ... -> chain40 -> etc/passwd: chain0 takes 41 links. */
	for (int i = 0; i <= 40; i++) {
		char name[16], target[16];

		fmt(name, sizeof(name), "chain%d", i);
		if (i == 40)
			fmt(target, sizeof(target), "etc/passwd");
		else
			fmt(target, sizeof(target), "chain%d", i + 1);
		make_link(tree, name, target);
	}
	/* Bodies of 4085 bytes: together longer than PATH_MAX, which only paths obey. */
	{
		_cleanup_free_ char *b1 = repeat("./", 2040, "long2");
		_cleanup_free_ char *b2 = repeat("./", 2040, "etc/passwd");

		make_link(tree, "long1", b1);
		make_link(tree, "long2", b2);
	}
	{
		_cleanup_free_ char *name = repeat("y", 255, "");

		fmt(p, sizeof(p), "dir/%s", name);
		make_file(tree, p, "255\n");
	}
	/* fs.protected_symlinks: someone else's link in a sticky world-writable dir. */
	make_dir(tree, "sticky", 01777);
	make_link(tree, "sticky/other", "/etc/passwd");
	fmt(p, sizeof(p), "%s/sticky/other", tree);
	assert_int_equal(lchown(p, 12345, 12345), 0);
	make_deep();
	{
		struct rlimit rl;

		assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
		rl.rlim_cur = FD_LIMIT;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* nftw() holds at most 16 fds, whatever the depth. */
static int remove_tree(const char *path)
{
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void set_immutable(bool on)
{
	char p[PATH_MAX];
	int fd, attr;

	fmt(p, sizeof(p), "%s/etc/immutable", tree);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	/* Where the filesystem has no such flag, test_genuine_eperm() skips. */
	if (ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0) {
		attr = on ? attr | FS_IMMUTABLE_FL : attr & ~FS_IMMUTABLE_FL;
		(void)ioctl(fd, FS_IOC_SETFLAGS, &attr);
	}
	close(fd);
}

static int teardown(void **state)
{
	set_immutable(false);
	return remove_tree(base) == 0 ? 0 : -1;
}

/* ---- hand-made cases ---- */

struct fixed {
	const char *path;
	int flags;
	int err;          /* expected errno, or 0 */
	const char *want; /* what must be opened, below the tree ("" is the root) */
	bool creates;     /* want is made by the open: removed after each resolver */
};

/*
 * Check one resolver's outcome o against c, and that what it opened is in the scan s
 * of the tree; returns the number of problems.
 */
static unsigned check_fixed(const char *who, const struct fixed *c, const struct outcome *o,
			    struct scan *s)
{
	char got[64], p[PATH_MAX * 2];
	struct stat st;
	unsigned bad = 0;

	if (o->err != c->err) {
		outcome_str(o, got, sizeof(got));
		print_error("%s: '%.60s%s' flags %#o: got %s, want %s\n", who, c->path,
			    strlen(c->path) > 60 ? "..." : "", c->flags, got,
			    c->err ? strerrorname_np(c->err) : c->want);
		return 1;
	}
	if (o->err)
		return 0;
	fmt(p, sizeof(p), "%s/%s", tree, c->want);
	if (lstat(p, &st) < 0 || st.st_dev != o->dev || st.st_ino != o->ino) {
		print_error("%s: '%.60s' flags %#o: opened another inode than '%s'\n", who,
			    c->path, c->flags, c->want);
		bad++;
	}
	/*
	 * A file the open made is in the tree when it is the one at tree/want.  Children
	 * (s == NULL) check only that: a cmocka assertion in scan_tree() would go on
	 * running the remaining tests in the child.
	 */
	if (s && !scan_find(s, o) && !(c->creates && bad == 0)) {
		print_error("%s: '%.60s' opened an inode outside the tree\n", who, c->path);
		bad++;
	}
	if (c->creates && unlink(p) < 0) {
		print_error("%s: '%s' was not created\n", who, c->want);
		bad++;
	}
	return bad;
}

static const struct fixed *fixed_cases(size_t *ret_n)
{
	static char *dotslash_ok, *dotslash_long, *dotdots, *deep_file, *deep_up, *deep_mid,
		*toolong, *name255, *exact;
	static struct fixed cases[128];
	size_t n = 0;

	if (!dotslash_ok) {
		/* 4095 bytes is the longest path, 4096 is ENAMETOOLONG. */
		exact = repeat("./", 2042, "/etc/passwd");
		dotslash_ok = repeat("./", 2042, "etc/passwd");
		dotslash_long = repeat("./", 2043, "etc/passwd");
		dotdots = repeat("../", 1300, "etc/passwd");
		deep_file = repeat("d/", DEEP, "f");
		deep_up = repeat("d/", DEEP, "up/etc/passwd");
		deep_mid = repeat("d/", DEEP, "mid");
		toolong = repeat("x", 256, "");
		name255 = repeat("y", 255, "");
		assert_int_equal(strlen(exact), PATH_MAX - 1);
		assert_int_equal(strlen(dotslash_long), PATH_MAX);
	}
#define ADD(...) (cases[n++] = (struct fixed){ __VA_ARGS__ })
	ADD("/etc/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("etc/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("//etc//./passwd", O_RDONLY, 0, "etc/passwd");
	ADD("../../../../etc/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("/../../etc/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("abs", O_RDONLY, 0, "etc/passwd");
	ADD("rel", O_RDONLY, 0, "etc/passwd");
	ADD("up4", O_RDONLY, 0, "etc/passwd");
	ADD("dir/upfar/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("rootdotdot/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("dotdot/etc/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("dotdot/dotdot/dotdot/etc/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("dir/dotdot/etc/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("dir/sub/../../dir/sub/../file", O_RDONLY, 0, "dir/file");
	ADD("dotdot", O_RDONLY | O_DIRECTORY, 0, "");
	ADD("slash", O_PATH, 0, "");
	ADD("slash/etc/passwd", O_RDONLY, 0, "etc/passwd");
	ADD("", O_PATH, 0, "");
	ADD("/", O_RDONLY | O_DIRECTORY, 0, "");
	ADD(".", O_RDONLY, 0, "");
	ADD("..", O_RDONLY, 0, "");
	ADD("/..", O_PATH, 0, "");
	ADD("dir/..", O_RDONLY, 0, "");
	ADD("loop1", O_RDONLY, ELOOP, NULL);
	ADD("self", O_RDONLY, ELOOP, NULL);
	ADD("loop1/x", O_RDONLY, ELOOP, NULL);
	ADD("dir/loopdir", O_RDONLY, ELOOP, NULL);
	ADD("loop1", O_PATH | O_NOFOLLOW, 0, "loop1");
	ADD("chain1", O_RDONLY, 0, "etc/passwd");
	ADD("chain0", O_RDONLY, ELOOP, NULL);
	ADD("chain0", O_PATH | O_NOFOLLOW, 0, "chain0");
	ADD("dirlink/file", O_RDONLY, 0, "dir/file");
	ADD("dirlink", O_RDONLY | O_DIRECTORY, 0, "dir");
	ADD("dirlink/", O_RDONLY, 0, "dir");
	ADD("dirlink/.", O_RDONLY, 0, "dir");
	ADD("dirlink/..", O_RDONLY, 0, "");
	ADD("dirlink_abs/sub/file", O_RDONLY, 0, "dir/sub/file");
	ADD("dirlink_slash", O_RDONLY, 0, "dir");
	ADD("filelink_slash", O_RDONLY, ENOTDIR, NULL);
	ADD("filelink_slash", O_PATH | O_NOFOLLOW, 0, "filelink_slash");
	ADD("dangling", O_RDONLY, ENOENT, NULL);
	ADD("dangling/", O_RDONLY, ENOENT, NULL);
	ADD("dangling_rel", O_RDONLY, ENOENT, NULL);
	ADD("dangling", O_PATH | O_NOFOLLOW, 0, "dangling");
	ADD("fdlink", O_RDONLY, ENOENT, NULL);
	ADD("etc/passwd/", O_RDONLY, ENOTDIR, NULL);
	ADD("etc/passwd/", O_PATH, ENOTDIR, NULL);
	ADD("filelink/", O_RDONLY, ENOTDIR, NULL);
	ADD("filelink/", O_PATH | O_NOFOLLOW, ENOTDIR, NULL);
	ADD("dir/", O_RDONLY, 0, "dir");
	ADD("dir//", O_RDONLY, 0, "dir");
	ADD("dir/./", O_RDONLY, 0, "dir");
	ADD("dir/sub/..", O_RDONLY, 0, "dir");
	ADD("dir/file/.", O_RDONLY, ENOTDIR, NULL);
	ADD("dir/file/..", O_RDONLY, ENOTDIR, NULL);
	ADD("dir/file/x", O_RDONLY, ENOTDIR, NULL);
	ADD("nonexistent/x", O_RDONLY, ENOENT, NULL);
	ADD("abs", O_RDONLY | O_NOFOLLOW, ELOOP, NULL);
	ADD("abs", O_PATH | O_NOFOLLOW, 0, "abs");
	ADD("dirlink/", O_PATH | O_NOFOLLOW, 0, "dir");
	ADD("dirlink/", O_RDONLY | O_NOFOLLOW, 0, "dir");
	ADD("dirlink", O_RDONLY | O_NOFOLLOW | O_DIRECTORY, ENOTDIR, NULL);
	ADD("dirlink/file", O_RDONLY | O_NOFOLLOW, 0, "dir/file");
	ADD("etc/passwd", O_RDONLY | O_DIRECTORY, ENOTDIR, NULL);
	ADD("etc/passwd", O_PATH | O_RDWR, EINVAL, NULL);
	ADD("sticky/other", O_RDONLY, protected_symlinks ? EACCES : 0,
	    protected_symlinks ? NULL : "etc/passwd");
	ADD("sticky/other", O_PATH | O_NOFOLLOW, 0, "sticky/other");
	/* Long paths and deep trees. */
	ADD(exact, O_RDONLY, 0, "etc/passwd");
	ADD(dotslash_ok, O_RDONLY, 0, "etc/passwd");
	ADD(dotslash_long, O_RDONLY, ENAMETOOLONG, NULL);
	ADD(dotdots, O_RDONLY, 0, "etc/passwd");
	ADD(deep_file, O_RDONLY, ENOENT, NULL); /* d/d/... is below deep/, not the root */
	ADD("long1", O_RDONLY, 0, "etc/passwd");
	ADD(toolong, O_RDONLY, ENAMETOOLONG, NULL);
	/* O_CREAT: the parent is resolved in the tree, a final symlink too. */
	ADD("dirlink/new", O_WRONLY | O_CREAT, 0, "dir/new", true);
	ADD("dotdot/dir/new2", O_WRONLY | O_CREAT, 0, "dir/new2", true);
	ADD("dir/upfar/new3", O_WRONLY | O_CREAT | O_EXCL, 0, "etc/new3", true);
	ADD("dangling_in", O_WRONLY | O_CREAT, 0, "dir/created", true);
	ADD("dangling_in", O_WRONLY | O_CREAT | O_EXCL, EEXIST, NULL);
	ADD("dangling_in", O_WRONLY | O_CREAT | O_NOFOLLOW, ELOOP, NULL);
	ADD("esc_create", O_WRONLY | O_CREAT, 0, "tmp/escaped", true);
	ADD("abs", O_WRONLY | O_CREAT, 0, "etc/passwd");
	ADD("abs", O_WRONLY | O_CREAT | O_EXCL, EEXIST, NULL);
	ADD("dir/new/", O_WRONLY | O_CREAT, EISDIR, NULL);
	ADD("dirlink/", O_WRONLY | O_CREAT, EISDIR, NULL);
	ADD("dir", O_WRONLY | O_CREAT, EISDIR, NULL);
	ADD(".", O_WRONLY | O_CREAT, EISDIR, NULL);
	ADD(".", O_WRONLY | O_CREAT | O_EXCL, EEXIST, NULL);
	ADD("dir/sub/..", O_WRONLY | O_CREAT, EISDIR, NULL);
	ADD("nodir/new", O_WRONLY | O_CREAT, ENOENT, NULL);
	ADD("dir/file/new", O_WRONLY | O_CREAT, ENOTDIR, NULL);
	assert_true(n <= ARRAY_SIZE(cases) - 4);
	{
		static char deep_rel[PATH_MAX], deep_up_rel[PATH_MAX], deep_mid_rel[PATH_MAX],
			deep_mid_want[PATH_MAX], n255[300];
		_cleanup_free_ char *mid_dirs = repeat("d/", DEEP - 100, "mid_target");

		fmt(deep_rel, sizeof(deep_rel), "deep/%s", deep_file);
		ADD(deep_rel, O_RDONLY, 0, deep_rel);
		fmt(deep_up_rel, sizeof(deep_up_rel), "deep/%s", deep_up);
		ADD(deep_up_rel, O_RDONLY, 0, "etc/passwd");
		fmt(deep_mid_rel, sizeof(deep_mid_rel), "deep/%s", deep_mid);
		fmt(deep_mid_want, sizeof(deep_mid_want), "deep/%s", mid_dirs);
		ADD(deep_mid_rel, O_RDONLY, 0, deep_mid_want);
		fmt(n255, sizeof(n255), "dir/%s", name255);
		ADD(n255, O_RDONLY, 0, n255);
	}
#undef ADD
	*ret_n = n;
	return cases;
}

static void test_fixed(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	const struct fixed *cases;
	char outside[PATH_MAX];
	struct scan s = { 0 };
	unsigned bad = 0;
	size_t n;
	int low;

	assert_int_equal(root_new(tree, &r), 0);
	assert_false(r->live);
	low = lowest_free_fd();
	scan_tree(&s, tree);
	cases = fixed_cases(&n);
	for (size_t i = 0; i < n; i++) {
		const struct fixed *c = &cases[i];
		struct outcome o;

		if (have_openat2) {
			o = open_kernel(r->fd, c->path, c->flags);
			bad += check_fixed("openat2", c, &o, &s);
		}
		o = open_fallback(r, c->path, c->flags);
		bad += check_fixed("fallback", c, &o, &s);
		o = open_root(r, c->path, c->flags);
		bad += check_fixed("root_open", c, &o, &s);
	}
	scan_done(&s);
	/* Nothing was made next to the tree. */
	fmt(outside, sizeof(outside), "%s/tmp/escaped", base);
	assert_int_equal(access(outside, F_OK), -1);
	print_message("%zu cases, each checked for openat2%s, the fallback and root_open\n", n,
		      have_openat2 ? "" : " (missing: skipped)");
	assert_int_equal(bad, 0);
	assert_int_equal(lowest_free_fd(), low);
}

/* ---- random trees ---- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *g)
{
	/* xorshift64* */
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * 0x2545f4914f6cdd1dULL;
}

static unsigned rng_below(struct rng *g, unsigned n)
{
	return (unsigned)(rng_next(g) >> 33) % n;
}

static const char *const names[] = { "a", "b", "c", "d", "e" };

/* A random path: names, ".", "..", empty components, maybe absolute or slash-ended. */
static void random_path(struct rng *g, char *buf, size_t size, unsigned max_comps)
{
	unsigned comps = 1 + rng_below(g, max_comps);
	size_t len = 0;

	buf[0] = '\0';
	if (rng_below(g, 3) == 0)
		len += (size_t)snprintf(buf + len, size - len, "/");
	for (unsigned i = 0; i < comps && len < size - 8; i++) {
		unsigned k = rng_below(g, 20);
		const char *c = k < 14 ? names[rng_below(g, ARRAY_SIZE(names))] :
				k < 17 ? ".." :
				k < 18 ? "." : "";

		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "/" : "", c);
	}
	if (rng_below(g, 8) == 0 && len < size - 2)
		len += (size_t)snprintf(buf + len, size - len, "/");
	if (len == 0)
		fmt(buf, size, ".");
}

struct spec {
	char rel[64];
	char type; /* 'd', 'f', 'l' */
	char target[64];
};

static void random_dir(struct rng *g, struct spec *out, size_t *n, size_t max, const char *rel,
		       unsigned depth)
{
	for (size_t i = 0; i < ARRAY_SIZE(names) && *n < max; i++) {
		unsigned k = rng_below(g, 10);
		struct spec *s;

		if (k < 1)
			continue;
		s = &out[(*n)++];
		fmt(s->rel, sizeof(s->rel), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (k < 2 || (k < 6 && depth >= 2)) {
			s->type = 'f';
		} else if (k < 6) {
			s->type = 'd';
			random_dir(g, out, n, max, s->rel, depth + 1);
		} else {
			s->type = 'l';
			random_path(g, s->target, sizeof(s->target), 5);
		}
	}
}

static void materialize(const char *dir, const struct spec *s, size_t n)
{
	assert_int_equal(mkdir(dir, 0755), 0);
	for (size_t i = 0; i < n; i++) {
		if (s[i].type == 'd')
			make_dir(dir, s[i].rel, 0755);
		else if (s[i].type == 'f')
			make_file(dir, s[i].rel, "x\n");
		else
			make_link(dir, s[i].rel, s[i].target);
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#define RANDOM_TREES 60
#define RANDOM_PATHS 100

static void test_random(void **state)
{
	static const int lookup_flags[] = {
		O_RDONLY,
		O_PATH,
		O_PATH | O_NOFOLLOW,
		O_RDONLY | O_NOFOLLOW,
		O_RDONLY | O_DIRECTORY,
		O_PATH | O_DIRECTORY | O_NOFOLLOW,
	};
	static const int create_flags[] = {
		O_WRONLY | O_CREAT,
		O_WRONLY | O_CREAT | O_EXCL,
		O_WRONLY | O_CREAT | O_NOFOLLOW,
	};
	const char *seed_env = getenv("PORTAUDIT_ROOT_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	struct rng g = { seed ? seed : 1 };
	unsigned lookups = 0, creations = 0, bad = 0, errors = 0;
	double t_kernel = 0, t_fallback = 0;
	int low;

	/* Without openat2 (valgrind), only that the fallback stays in the tree is checked. */
	low = lowest_free_fd();
	for (unsigned t = 0; t < RANDOM_TREES; t++) {
		_cleanup_(root_freep) struct root *r = NULL;
		struct spec spec[64];
		char dir[PATH_MAX];
		struct scan sc = { 0 };
		size_t n = 0;

		random_dir(&g, spec, &n, ARRAY_SIZE(spec), "", 0);
		fmt(dir, sizeof(dir), "%s/r%u", base, t);
		materialize(dir, spec, n);
		assert_int_equal(root_new(dir, &r), 0);
		scan_tree(&sc, dir);

		for (unsigned i = 0; i < RANDOM_PATHS; i++) {
			bool create = rng_below(&g, 6) == 0;
			int flags = create ? create_flags[rng_below(&g, ARRAY_SIZE(create_flags))] :
					     lookup_flags[rng_below(&g, ARRAY_SIZE(lookup_flags))];
			char path[256], k[64], f[64], rk[256] = "-", rf[256] = "-";
			_cleanup_free_ char *before = NULL, *lk = NULL, *lf = NULL;
			const struct entry *e;
			struct outcome ok, of;
			bool same;
			double t0;

			random_path(&g, path, sizeof(path), 6);
			if (!have_openat2) {
				of = open_fallback(r, path, flags);
				errors += of.err != 0;
				if (create) {
					creations++;
					scan_done(&sc);
					scan_tree(&sc, dir);
				} else {
					lookups++;
				}
				if (of.err || scan_find(&sc, &of) || bad++ >= 10)
					continue;
				print_error("seed %#llx tree %u: '%s' %#o: outside the tree\n",
					    (unsigned long long)seed, t, path, flags);
				continue;
			}
			if (create)
				before = scan_listing(&sc);
			t0 = now_ms();
			ok = open_kernel(r->fd, path, flags);
			if (!create)
				t_kernel += now_ms() - t0;
			if (ok.err)
				errors++;
			if (create) {
				/* Note what openat2 made, and undo it for the fallback. */
				scan_done(&sc);
				scan_tree(&sc, dir);
				lk = scan_listing(&sc);
				if (!ok.err && (e = scan_find(&sc, &ok)))
					fmt(rk, sizeof(rk), "%s", e->rel);
				if (!ok.err && strcmp(lk, before) != 0) {
					char p[PATH_MAX + 256];

					fmt(p, sizeof(p), "%s/%s", dir, rk);
					assert_int_equal(unlink(p), 0);
				}
			} else if (!ok.err && (e = scan_find(&sc, &ok))) {
				fmt(rk, sizeof(rk), "%s", e->rel);
			}

			t0 = now_ms();
			of = open_fallback(r, path, flags);
			if (!create)
				t_fallback += now_ms() - t0;
			if (create) {
				creations++;
				scan_done(&sc);
				scan_tree(&sc, dir);
				lf = scan_listing(&sc);
				if (!of.err && (e = scan_find(&sc, &of)))
					fmt(rf, sizeof(rf), "%s", e->rel);
				/* Same errno or same name opened, and the same tree after. */
				same = ok.err == of.err && strcmp(lk, lf) == 0 &&
				       strcmp(rk, rf) == 0 && (ok.err || strcmp(rk, "-") != 0);
			} else {
				lookups++;
				if (!of.err && (e = scan_find(&sc, &of)))
					fmt(rf, sizeof(rf), "%s", e->rel);
				/* Same errno or same inode, and that inode one of the tree's. */
				same = outcome_eq(&ok, &of) &&
				       (ok.err || (strcmp(rk, "-") != 0 && strcmp(rf, "-") != 0));
			}
			if (!same && bad++ < 10) {
				outcome_str(&ok, k, sizeof(k));
				outcome_str(&of, f, sizeof(f));
				print_error("seed %#llx tree %u: '%s' flags %#o: openat2 %s (%s), "
					    "fallback %s (%s)\n",
					    (unsigned long long)seed, t, path, flags, k, rk, f, rf);
				for (size_t j = 0; j < n; j++)
					print_error("  %c %s%s%s\n", spec[j].type, spec[j].rel,
						    spec[j].type == 'l' ? " -> " : "",
						    spec[j].type == 'l' ? spec[j].target : "");
			}
		}
		scan_done(&sc);
		assert_int_equal(remove_tree(dir), 0);
	}
	print_message("random: seed %#llx, %u trees, %u lookups, %u creating opens, %u errors\n",
		      (unsigned long long)seed, RANDOM_TREES, lookups, creations, errors);
	if (have_openat2)
		print_message("random: %u mismatches; a lookup %.1f us, by the fallback %.1f us\n",
			      bad, t_kernel * 1e3 / lookups, t_fallback * 1e3 / lookups);
	else
		print_message("random: no openat2; %u fallback opens outside the tree\n", bad);
	assert_int_equal(bad, 0);
	/* Errors are compared too, but inodes only where something was opened. */
	assert_true((lookups + creations - errors) * 5 >= lookups + creations);
	assert_int_equal(lowest_free_fd(), low);
}

/* ---- children: seccomp filters and a procfs inside the tree ---- */

/* Run fn in a child; its exit status (77: cannot run here) comes back. */
static int in_child(int (*fn)(const struct root *r), const struct root *r)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		_exit(fn(r));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Make syscall nr fail with err in this process from now on. */
static int deny_syscall(long nr, int err)
{
#if defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
	const unsigned arch = AUDIT_ARCH_X86_64;
#else
	const unsigned arch = AUDIT_ARCH_AARCH64;
#endif
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(insns), .filter = insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/* In a child whose openat2 is filtered: root_open() must still confine. */
static int child_filtered(const struct root *r, int err)
{
	const struct fixed *cases;
	unsigned bad = 0;
	size_t n;

	if (deny_syscall(SYS_openat2, err) < 0)
		return 77;
	cases = fixed_cases(&n);
	for (size_t i = 0; i < n; i++) {
		struct outcome o;

		if (cases[i].creates || (cases[i].flags & O_CREAT))
			continue;
		o = open_root(r, cases[i].path, cases[i].flags);
		bad += check_fixed(err == ENOSYS ? "root_open (openat2 ENOSYS)" :
						   "root_open (openat2 EPERM)",
				   &cases[i], &o, NULL);
	}
	return bad ? 1 : 0;
}

static int child_enosys(const struct root *r)
{
	return child_filtered(r, ENOSYS);
}

static int child_eperm(const struct root *r)
{
	return child_filtered(r, EPERM);
}

static void test_seccomp_enosys(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	int st;

	if (!have_openat2)
		skip(); /* the fallback is all there is: test_fixed covered it */
	assert_int_equal(root_new(tree, &r), 0);
	st = in_child(child_enosys, r);
	if (st == 77)
		skip();
	assert_int_equal(st, 0);
}

static void test_seccomp_eperm(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	int st;

	if (!have_openat2)
		skip();
	assert_int_equal(root_new(tree, &r), 0);
	st = in_child(child_eperm, r);
	if (st == 77)
		skip();
	assert_int_equal(st, 0);
}

/*
 * A genuine EPERM (writing an immutable file) is reported, and openat2 stays in use:
 * with openat(2) itself filtered afterwards, root_open() must still work, which it
 * could not if the EPERM had switched it to the walker.
 */
static int child_genuine_eperm(const struct root *r)
{
	struct outcome o;

	o = open_root(r, "/etc/immutable", O_WRONLY);
	if (o.err != EPERM) {
		print_error("genuine EPERM: root_open() says %s\n",
			    o.err ? strerrorname_np(o.err) : "success");
		return 10;
	}
	if (deny_syscall(SYS_openat, EACCES) < 0)
		return 77;
	o = open_fallback(r, "/up4", O_RDONLY);
	if (o.err != EACCES)
		return 11; /* the filter would not show a switch */
	o = open_root(r, "/up4", O_RDONLY);
	if (o.err != 0)
		return 12;
	return 0;
}

static void test_genuine_eperm(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	struct outcome o;
	int st;

	if (!have_openat2)
		skip();
	assert_int_equal(root_new(tree, &r), 0);
	set_immutable(true);
	o = open_fallback(r, "/etc/immutable", O_WRONLY);
	if (o.err == 0) {
		set_immutable(false);
		skip(); /* no immutable flag on this filesystem, or no CAP_LINUX_IMMUTABLE */
	}
	st = in_child(child_genuine_eperm, r);
	set_immutable(false);
	assert_int_equal(o.err, EPERM);
	if (st == 77)
		skip();
	assert_int_equal(st, 0);
}

/*
 * A procfs mounted inside the tree, as in a chroot: its magic links must fail with
 * ELOOP (RESOLVE_NO_MAGICLINKS), its plain links resolve inside the tree.
 */
static int child_procfs(const struct root *unused)
{
	_cleanup_(root_freep) struct root *r = NULL;
	static const struct {
		const char *path;
		int flags;
		int err; /* expected, or -1: whatever openat2 says */
	} cases[] = {
		{ "/proc/self/exe", O_RDONLY, ELOOP },
		{ "/proc/self/fd/0", O_RDONLY, ELOOP },
		{ "/proc/self/fd/0", O_PATH, ELOOP },
		{ "/proc/thread-self/fd/0", O_RDONLY, ELOOP },
		{ "/proc/self/cwd/etc/passwd", O_RDONLY, ELOOP },
		{ "/proc/self/root/etc/passwd", O_RDONLY, ELOOP },
		{ "/proc/self/ns/net", O_RDONLY, ELOOP },
		{ "/proc/1/root", O_PATH, -1 }, /* EACCES without ptrace rights over pid 1 */
		{ "/proc/self/task/../exe", O_RDONLY, ELOOP },
		{ "/proc/self/cwd", O_PATH | O_NOFOLLOW, 0 },
		{ "/proc/self/fd/0", O_PATH | O_NOFOLLOW, 0 },
		{ "/proc/self/status", O_RDONLY, 0 },
		{ "/proc/self/", O_RDONLY, 0 },
		{ "/proc/self/fd/", O_RDONLY, 0 },
		{ "/proc/net/dev", O_RDONLY, 0 },
		{ "/proc/mounts", O_RDONLY, 0 },
		{ "/proc/sys/net/ipv4/ip_local_port_range", O_RDONLY, 0 },
		{ "/proc/self/../self/status", O_RDONLY, 0 },
		{ "/proc/fs/xfs/stat", O_RDONLY, -1 },
	};
	char mnt[PATH_MAX];
	struct stat tst, pst;
	unsigned bad = 0;

	fmt(mnt, sizeof(mnt), "%s/proc", tree);
	if (unshare(CLONE_NEWNS) < 0)
		return 77;
	/* The type is ignored here; valgrind only wants it readable. */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", mnt, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return 77;
	if (stat(tree, &tst) < 0 || stat(mnt, &pst) < 0 || pst.st_dev == tst.st_dev)
		return 20;
	/* Opened now: an fd from before unshare() sees the old namespace's mounts. */
	if (root_new(tree, &r) < 0)
		return 21;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct outcome k = { 0 }, f;
		char ks[64], fs[64];

		f = open_fallback(r, cases[i].path, cases[i].flags);
		if (have_openat2)
			k = open_kernel(r->fd, cases[i].path, cases[i].flags);
		outcome_str(&k, ks, sizeof(ks));
		outcome_str(&f, fs, sizeof(fs));
		if ((cases[i].err >= 0 && f.err != cases[i].err) ||
		    (have_openat2 && !outcome_eq(&k, &f))) {
			print_error("procfs: '%s' flags %#o: openat2 %s, fallback %s\n",
				    cases[i].path, cases[i].flags, have_openat2 ? ks : "-", fs);
			bad++;
		}
		if (!f.err && f.dev != tst.st_dev && f.dev != pst.st_dev) {
			print_error("procfs: '%s' opened something outside the tree\n",
				    cases[i].path);
			bad++;
		}
	}
	return bad ? 1 : 0;
}

static void test_procfs_in_tree(void **state)
{
	char mnt[PATH_MAX];
	int st;

	fmt(mnt, sizeof(mnt), "%s/proc", tree);
	assert_int_equal(mkdir(mnt, 0555), 0);
	st = in_child(child_procfs, NULL);
	assert_int_equal(rmdir(mnt), 0);
	if (st == 77)
		skip(); /* no mount namespace: not root */
	assert_int_equal(st, 0);
}

/* The live root keeps plain openat(2): /proc magic links work there. */
static void test_live(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	struct outcome o;
	struct stat st;

	assert_int_equal(root_new(NULL, &r), 0);
	assert_true(r->live);
	o = open_fallback(r, "/proc/self/fd/0", O_PATH);
	assert_int_equal(o.err, 0);
	assert_int_equal(fstat(0, &st), 0);
	assert_true(o.dev == st.st_dev && o.ino == st.st_ino);
	o = open_fallback(r, "/nonexistent/portaudit", O_RDONLY);
	assert_int_equal(o.err, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_seccomp_enosys),
		cmocka_unit_test(test_seccomp_eperm),
		cmocka_unit_test(test_genuine_eperm),
		cmocka_unit_test(test_procfs_in_tree),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
