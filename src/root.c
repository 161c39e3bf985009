/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "portaudit/openat2.h"
#include "portaudit/root.h"

int root_new(const char *path, struct root **ret)
{
	_cleanup_(root_freep) struct root *r = NULL;

	if (!path || !*path)
		path = "/";
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->path = strdup(path);
	if (!r->path)
		return -ENOMEM;
	r->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	/* Only "/" itself is live: any other directory is an offline tree. */
	r->live = strcmp(path, "/") == 0;
	*ret = TAKE_PTR(r);
	return 0;
}

struct root *root_free(struct root *r)
{
	if (!r)
		return NULL;
	safe_close(r->fd);
	free(r->path);
	free(r);
	return NULL;
}

/* The path relative to the root fd: leading slashes dropped, "" meaning the root. */
static const char *root_relative(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static mode_t create_mode(int flags)
{
	return (flags & O_CREAT) ? 0644 : 0;
}

/*
 * Set once openat2(2) is known to be unusable in this process: missing (Linux < 5.6,
 * valgrind 3.19 returns ENOSYS for it) or refused by a seccomp filter.  Only this
 * negative answer is remembered, so a working openat2 is never given up on because
 * of one genuine EPERM.  Races between threads only repeat the detection.
 */
static int openat2_unusable;

/*
 * Whether openat2 itself is refused, as opposed to the open it was asked for.  The
 * kernel rejects a size below OPEN_HOW_SIZE_VER0 with EINVAL before it reads any
 * argument; a filter answers with its own errno whatever the arguments.  An open can
 * fail with a genuine EPERM (an immutable file opened for writing, O_NOATIME on
 * another user's file, a sealed memfd), which must be reported, not retried.
 */
static bool openat2_refused(void)
{
	return syscall(SYS_openat2, AT_FDCWD, NULL, NULL, (size_t)0) < 0 && errno != EINVAL;
}

/* openat2 with RESOLVE_IN_ROOT: an fd, a negative errno, or -ENOSYS when unusable. */
static int open_kernel(const struct root *r, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = create_mode(flags),
		/* /proc magic links would lead out of an offline tree. */
		.resolve = RESOLVE_IN_ROOT | (r->live ? 0 : RESOLVE_NO_MAGICLINKS),
	};
	int fd;

	if (__atomic_load_n(&openat2_unusable, __ATOMIC_RELAXED))
		return -ENOSYS;
	fd = (int)syscall(SYS_openat2, r->fd, path, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	fd = -errno;
	if (fd == -ENOSYS || (fd == -EPERM && openat2_refused())) {
		__atomic_store_n(&openat2_unusable, 1, __ATOMIC_RELAXED);
		return -ENOSYS;
	}
	return fd;
}

/*
 * The userspace equivalent of openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) for an
 * offline tree, after fs/namei.c.  The kernel is only ever asked to open one name in a
 * directory fd with O_NOFOLLOW, so it never follows a symlink itself: the walker reads
 * each link and splices its body into the rest of the path, an absolute body starting
 * again at the root.  ".." is resolved on the list of directory names walked down from
 * the root (`below`), and the directory fd is then walked again from the root fd:
 * ".." at the root stays at the root, and no rename during the walk can take it above
 * the root (openat2 detects such a race and fails with EAGAIN; the walker does not
 * need to).  Holding one directory fd whatever the depth keeps a long path from
 * running out of descriptors.
 */

/* Linux's bound on the symlinks one lookup follows (MAXSYMLINKS, include/linux/namei.h). */
#define WALK_MAX_LINKS 40
/* The inode number of every procfs root (PROC_ROOT_INO, fs/proc/internal.h). */
#define PROC_ROOT_INO 1

struct walk {
	int root_fd;      /* borrowed */
	char *todo;       /* the path still to walk; symlink bodies are spliced in front */
	char *below;      /* the current directory as names below the root: "", "a/b" */
	size_t below_len;
	size_t below_cap;
	int cur;          /* O_PATH fd of below, or -1: walk below again from the root */
	unsigned links;   /* symlinks followed so far */
};

static void walk_done(struct walk *w)
{
	free(w->todo);
	free(w->below);
	safe_close(w->cur);
}

/* The current directory: the root, or below walked again after "..". */
static int walk_dir(struct walk *w)
{
	int fd;

	if (w->below_len == 0)
		return w->root_fd;
	if (w->cur >= 0)
		return w->cur;
	fd = w->root_fd;
	for (char *p = w->below;;) {
		char *end = strchrnul(p, '/');
		char c = *end;
		int next;

		*end = '\0';
		next = openat(fd, p, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		*end = c;
		if (fd != w->root_fd)
			safe_close(fd);
		if (next < 0)
			/* Each was a directory a moment ago: the tree changes under us. */
			return errno == ENOENT || errno == ENOTDIR ? -EAGAIN : -errno;
		fd = next;
		if (!c)
			break;
		p = end + 1;
	}
	w->cur = fd;
	return fd;
}

/* Step down into the directory name (len bytes), whose O_PATH fd the walk takes. */
static int walk_push(struct walk *w, const char *name, size_t len, int fd)
{
	size_t need = w->below_len + 1 + len + 1;

	if (need > w->below_cap) {
		size_t cap = w->below_cap ? w->below_cap : 256;
		char *b;

		while (cap < need)
			cap *= 2;
		b = realloc(w->below, cap);
		if (!b) {
			safe_close(fd);
			return -ENOMEM;
		}
		w->below = b;
		w->below_cap = cap;
	}
	if (w->below_len > 0)
		w->below[w->below_len++] = '/';
	memcpy(w->below + w->below_len, name, len);
	w->below_len += len;
	w->below[w->below_len] = '\0';
	safe_close(w->cur);
	w->cur = fd;
	return 0;
}

/* Step up; at the root, ".." is the root itself (RESOLVE_IN_ROOT). */
static void walk_pop(struct walk *w)
{
	char *slash;

	if (w->below_len == 0)
		return;
	slash = memrchr(w->below, '/', w->below_len);
	w->below_len = slash ? (size_t)(slash - w->below) : 0;
	w->below[w->below_len] = '\0';
	w->cur = safe_close(w->cur);
}

static bool all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * Whether the procfs symlink in directory dir is a magic link: 1, 0 or a negative
 * errno.  The kernel's magic links are exactly the ones in a process's directory:
 * /proc/PID/{exe,cwd,root} and /proc/PID/{fd,map_files,ns}/N, and the same below
 * /proc/PID/task/TID.  The other procfs links are plain text (self, thread-self, net,
 * mounts, fs/xfs/stat) and live in no numbered directory.  below names the real
 * directories walked, so /proc/self has already become /proc/PID here.
 */
static int walk_is_magic(const struct walk *w, int dir)
{
	const char *parent, *grand = NULL;
	size_t plen, glen = 0;
	struct stat st;

	if (fstat(dir, &st) < 0)
		return -errno;
	if (st.st_ino == PROC_ROOT_INO || w->below_len == 0)
		return 0;
	parent = memrchr(w->below, '/', w->below_len);
	parent = parent ? parent + 1 : w->below;
	plen = (size_t)(w->below + w->below_len - parent);
	if (parent > w->below) {
		const char *g = memrchr(w->below, '/', (size_t)(parent - 1 - w->below));

		grand = g ? g + 1 : w->below;
		glen = (size_t)(parent - 1 - grand);
	}
	return all_digits(parent, plen) || (grand && all_digits(grand, glen));
}

/* fs.protected_symlinks of the running kernel; 1 (Debian's default) when unreadable. */
static int protected_symlinks(void)
{
	static int cached = -1;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	char buf[16];
	ssize_t n;
	int fd;

	if (v >= 0)
		return v;
	v = 1;
	fd = open("/proc/sys/fs/protected_symlinks", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] == '0')
			v = 0;
		safe_close(fd);
	}
	__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}

/*
 * may_follow_link() of fs/namei.c: with fs.protected_symlinks, a link in a sticky
 * world-writable directory is followed only by its owner or when the directory's
 * owner owns it too (Documentation/admin-guide/sysctl/fs.rst).
 */
static int walk_may_follow(int dir, const struct stat *link)
{
	struct stat st;

	if (link->st_uid == geteuid() || !protected_symlinks())
		return 0;
	if (fstat(dir, &st) < 0)
		return -errno;
	if ((st.st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH) || st.st_uid == link->st_uid)
		return 0;
	return -EACCES;
}

/*
 * Follow the symlink link_fd (an O_PATH|O_NOFOLLOW fd, stat st) in directory dir:
 * the new path is its body followed by rest, and *pos points at its start.
 */
static int walk_follow(struct walk *w, int dir, int link_fd, const struct stat *st,
		       const char *rest, char **pos)
{
	char body[PATH_MAX];
	struct statfs sfs;
	size_t rest_len;
	ssize_t n;
	char *todo;
	int r;

	if (++w->links > WALK_MAX_LINKS)
		return -ELOOP;
	r = walk_may_follow(dir, st);
	if (r < 0)
		return r;
	/* Before the magic check: procfs refuses other processes' links with EACCES first. */
	n = readlinkat(link_fd, "", body, sizeof(body));
	if (n < 0)
		return -errno;
	if (fstatfs(link_fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type == PROC_SUPER_MAGIC) {
		/* RESOLVE_NO_MAGICLINKS: the kernel would jump, not read the body. */
		r = walk_is_magic(w, dir);
		if (r != 0)
			return r < 0 ? r : -ELOOP;
	}
	if ((size_t)n >= sizeof(body))
		return -ENAMETOOLONG;
	if (n == 0)
		return -ENOENT;
	rest_len = strlen(rest);
	todo = malloc((size_t)n + rest_len + 1);
	if (!todo)
		return -ENOMEM;
	memcpy(todo, body, (size_t)n);
	memcpy(todo + n, rest, rest_len + 1);
	free(w->todo);
	w->todo = todo;
	*pos = todo;
	if (body[0] == '/') {
		w->below_len = 0;
		w->cur = safe_close(w->cur);
	}
	return 0;
}

/*
 * Walk path (relative to root_fd, at most PATH_MAX - 1 bytes like any path) and open
 * it with flags.  Returns the fd or a negative errno.
 */
static int walk_open(int root_fd, const char *path, int flags)
{
	_cleanup_(walk_done) struct walk w = { .root_fd = root_fd, .cur = -1 };
	char *p;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	/* open(2) drops what O_PATH ignores; openat2(2) refuses it. */
	if ((flags & O_PATH) && (flags & ~(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)))
		return -EINVAL;
	w.todo = strdup(path);
	if (!w.todo)
		return -ENOMEM;

	for (p = w.todo;;) {
		char *end, *next, c;
		bool slash, follow;
		struct stat st;
		int dir, fd, r;
		size_t len;

		while (*p == '/')
			p++;
		if (!*p) {
			/*
			 * The path ends in a directory: "", "/", ".", "..".  Opening "." in it
			 * gives open(2)'s own answers (EISDIR for O_CREAT, EEXIST with O_EXCL).
			 */
			dir = walk_dir(&w);
			if (dir < 0)
				return dir;
			fd = openat(dir, ".", flags | O_CLOEXEC, create_mode(flags));
			return fd < 0 ? -errno : fd;
		}
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		slash = *end == '/';
		for (next = end; *next == '/'; next++)
			;
		if (len == 1 && p[0] == '.') {
			p = end;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			walk_pop(&w);
			p = end;
			continue;
		}
		dir = walk_dir(&w);
		if (dir < 0)
			return dir;
		/* The component as a string of its own, for openat(). */
		c = *end;
		*end = '\0';
		fd = openat(dir, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		r = fd < 0 ? -errno : 0;
		*end = c;

		if (*next) {
			/* A directory on the way, or a symlink to one. */
			if (r < 0)
				return r;
			if (fstat(fd, &st) < 0) {
				r = -errno;
				safe_close(fd);
				return r;
			}
			if (S_ISLNK(st.st_mode)) {
				r = walk_follow(&w, dir, fd, &st, end, &p);
				safe_close(fd);
				if (r < 0)
					return r;
				continue;
			}
			if (!S_ISDIR(st.st_mode)) {
				safe_close(fd);
				return -ENOTDIR;
			}
			r = walk_push(&w, p, len, fd);
			if (r < 0)
				return r;
			p = end;
			continue;
		}

		/*
		 * The last component.  A trailing slash asks for a directory and follows a
		 * symlink even with O_NOFOLLOW; O_CREAT with one is EISDIR; O_CREAT|O_EXCL
		 * never follows (fs/namei.c, open_last_lookups() and build_open_flags()).
		 */
		if (slash && (flags & O_CREAT)) {
			safe_close(fd);
			return -EISDIR;
		}
		follow = slash || !((flags & O_NOFOLLOW) ||
				    (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL));
		if (r == 0 && fstat(fd, &st) < 0) {
			r = -errno;
			safe_close(fd);
			return r;
		}
		if (r == 0 && S_ISLNK(st.st_mode) && follow) {
			r = walk_follow(&w, dir, fd, &st, slash ? "/" : "", &p);
			safe_close(fd);
			if (r < 0)
				return r;
			continue;
		}
		safe_close(fd);
		if (r < 0 && !(r == -ENOENT && (flags & O_CREAT)))
			return r;
		if (r == 0 && slash && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		/*
		 * Open the name itself in its directory, which is inside the tree.  With
		 * O_NOFOLLOW the kernel cannot follow a symlink planted at the name since
		 * the look above (O_CREAT included): the open then fails with ELOOP or
		 * EEXIST, or with O_PATH yields the link itself, all inside the tree.
		 */
		*end = '\0';
		fd = openat(dir, p, flags | O_NOFOLLOW | O_CLOEXEC | (slash ? O_DIRECTORY : 0),
			    create_mode(flags));
		return fd < 0 ? -errno : fd;
	}
}

/* root_open() without openat2: the walker for a tree, a plain openat for "/". */
static int open_userspace(const struct root *r, const char *path, int flags)
{
	int fd;

	if (!r->live)
		return walk_open(r->fd, path, flags);
	/* The live root needs no confinement. */
	fd = openat(r->fd, path, flags | O_CLOEXEC, create_mode(flags));
	return fd < 0 ? -errno : fd;
}

int root_open(const struct root *r, const char *path, int flags, int *ret_fd)
{
	int fd;

	path = root_relative(path);
	fd = open_kernel(r, path, flags);
	if (fd == -ENOSYS)
		fd = open_userspace(r, path, flags);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

int root_open_fallback(const struct root *r, const char *path, int flags, int *ret_fd)
{
	int fd = open_userspace(r, root_relative(path), flags);

	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

int root_opendir(const struct root *r, const char *path, DIR **ret_dir)
{
	_cleanup_close_ int fd = -1;
	DIR *d;
	int ret;

	ret = root_open(r, path, O_RDONLY | O_DIRECTORY, &fd);
	if (ret < 0)
		return ret;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	/* The stream owns the fd now. */
	fd = -1;
	*ret_dir = d;
	return 0;
}

char *root_display_path(const struct root *r, const char *path)
{
	char *s;
	const char *sep = path[0] == '/' ? "" : "/";

	if (r->live)
		return asprintf(&s, "%s%s", sep, path) < 0 ? NULL : s;
	return asprintf(&s, "%s%s%s", r->path, sep, path) < 0 ? NULL : s;
}

int root_read_fd(int fd, size_t size_hint, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	/* Room for one byte more than max tells a file of max bytes from a longer one. */
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t want = cap ? cap * 2 : (size_hint < 4096 ? 4096 : size_hint + 1);
			char *b;

			if (want > max + 1)
				want = max + 1;
			if (want <= cap)
				return -EFBIG;
			b = realloc(buf, want + 1);
			if (!b)
				return -ENOMEM;
			buf = b;
			cap = want;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* The parent directory of path below the root (O_PATH) and the last component. */
static int open_parent(const struct root *r, const char *path, int *ret_fd, const char **ret_name)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash = strrchr(path, '/');
	int k;

	if (!slash || !slash[1])
		return -EINVAL;
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	k = root_open(r, *dir ? dir : "/", O_PATH | O_DIRECTORY, ret_fd);
	if (k < 0)
		return k;
	*ret_name = slash + 1;
	return 0;
}

int root_lstat(const struct root *r, const char *path, struct stat *ret)
{
	_cleanup_close_ int dfd = -1;
	const char *name;
	int k;

	k = open_parent(r, path, &dfd, &name);
	if (k < 0)
		return k;
	if (fstatat(dfd, name, ret, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

int root_readlink(const struct root *r, const char *path, char **ret)
{
	_cleanup_close_ int dfd = -1;
	char buf[PATH_MAX];
	const char *name;
	ssize_t n;
	int k;

	k = open_parent(r, path, &dfd, &name);
	if (k < 0)
		return k;
	n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

/* Open dir below the root for writing entries in it, creating it when its parent exists. */
static int open_write_dir(const struct root *r, const char *dir, int *ret_fd)
{
	_cleanup_close_ int pfd = -1;
	const char *name;
	int k;

	k = root_open(r, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, ret_fd);
	if (k != -ENOENT)
		return k;
	k = open_parent(r, dir, &pfd, &name);
	if (k < 0)
		return k;
	if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	return root_open(r, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, ret_fd);
}

int root_write_fd(int fd, const void *buf, size_t len)
{
	const char *data = buf;

	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int root_replace_file(const struct root *r, const char *dir, const char *name, const char *temp,
		      const void *data, size_t len, mode_t mode, const char **ret_step)
{
	_cleanup_close_ int dfd = -1, fd = -1;
	const char *step;
	struct stat st;
	int k;

	step = "open the directory";
	k = open_write_dir(r, dir, &dfd);
	if (k == -ENOTDIR) {
		/* O_DIRECTORY|O_NOFOLLOW on a symlink: say what it is. */
		struct stat lst;

		if (root_lstat(r, dir, &lst) == 0 && S_ISLNK(lst.st_mode))
			k = -ELOOP;
	}
	if (k < 0)
		goto fail;

	step = "check the file";
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode)) {
			k = -ELOOP;
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			k = -EEXIST;
			goto fail;
		}
	} else if (errno != ENOENT) {
		k = -errno;
		goto fail;
	}

	/* Only one run holds the lock, so a temporary file left behind is a crashed run's. */
	step = "remove a stale temporary file";
	if (unlinkat(dfd, temp, 0) < 0 && errno != ENOENT) {
		k = -errno;
		goto fail;
	}
	step = "create the temporary file";
	fd = openat(dfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0) {
		k = -errno;
		goto fail;
	}
	step = "set its mode";
	if (fchmod(fd, mode) < 0) {
		k = -errno;
		goto fail_unlink;
	}
	step = "write the temporary file";
	k = root_write_fd(fd, data, len);
	if (k < 0)
		goto fail_unlink;
	step = "fsync the temporary file";
	if (fsync(fd) < 0) {
		k = -errno;
		goto fail_unlink;
	}
	step = "close the temporary file";
	if (close(TAKE_FD(fd)) < 0) {
		k = -errno;
		goto fail_unlink;
	}
	step = "rename it into place";
	if (renameat(dfd, temp, dfd, name) < 0) {
		k = -errno;
		goto fail_unlink;
	}
	/* The file is in place; a failed directory fsync only loses durability. */
	step = "fsync the directory";
	if (fsync(dfd) < 0) {
		k = -errno;
		goto fail;
	}
	return 0;

fail_unlink:
	(void)unlinkat(dfd, temp, 0);
fail:
	if (ret_step)
		*ret_step = step;
	return k;
}
