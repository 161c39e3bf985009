/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "portaudit/owners.h"

/* What readlink(2) gives for a socket descriptor: "socket:[INODE]". */
#define SOCKET_PREFIX "socket:["
#define SOCKET_PREFIX_LEN (sizeof(SOCKET_PREFIX) - 1)

/* The inodes asked for, sorted and unique, with whether a holder other than PID 1 was seen. */
struct wanted {
	uint64_t *inode;
	bool *held;
	size_t n;
	size_t n_open; /* inodes without such a holder yet */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int wanted_init(struct wanted *w, const uint64_t *inodes, size_t n)
{
	size_t k = 0;

	w->inode = reallocarray(NULL, n, sizeof(*w->inode));
	w->held = calloc(n, sizeof(*w->held));
	if (!w->inode || !w->held)
		return -ENOMEM;
	memcpy(w->inode, inodes, n * sizeof(*inodes));
	qsort(w->inode, n, sizeof(*w->inode), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || w->inode[k - 1] != w->inode[i])
			w->inode[k++] = w->inode[i];
	w->n = w->n_open = k;
	return 0;
}

static void wanted_done(struct wanted *w)
{
	free(w->inode);
	free(w->held);
}

/* Index of inode in w, or -1. */
static ssize_t wanted_find(const struct wanted *w, uint64_t inode)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->inode[mid] == inode)
			return (ssize_t)mid;
		if (w->inode[mid] < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The inode of a readlink() result "socket:[N]" (len bytes, not terminated); false otherwise. */
static bool parse_socket_link(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (len < SOCKET_PREFIX_LEN + 2 || memcmp(s, SOCKET_PREFIX, SOCKET_PREFIX_LEN) != 0 ||
	    s[len - 1] != ']')
		return false;
	for (i = SOCKET_PREFIX_LEN; i < len - 1; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

/* A /proc entry name that is a process id: digits only, no leading zero; 0 when not. */
static pid_t parse_pid(const char *s)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0x3fffffff / 10)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return (pid_t)v;
}

static void owner_done(struct owner *o)
{
	free(o->unit);
	o->unit = NULL;
}

void owners_done(struct owners *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		owner_done(&o->v[i]);
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

/* Append (inode, pid) unless entries from first on already hold it. */
static int owners_add(struct owners *o, size_t *cap, size_t first, uint64_t inode, pid_t pid)
{
	for (size_t i = first; i < o->n; i++)
		if (o->v[i].inode == inode)
			return 0;
	if (o->n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct owner *v = reallocarray(o->v, c, sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->v = v;
		*cap = c;
	}
	o->v[o->n++] = (struct owner){ .inode = inode, .pid = pid };
	return 1;
}

/* Drop the entries from first on (a process that vanished). */
static void owners_truncate(struct owners *o, size_t first)
{
	while (o->n > first)
		owner_done(&o->v[--o->n]);
}

/* /proc/PID/comm into comm[16]; -ENOENT or -ESRCH when the process is gone. */
static int read_comm(const struct root *r, pid_t pid, char comm[16])
{
	_cleanup_close_ int fd = -1;
	char path[64], buf[64];
	ssize_t n;
	int ret;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	/* O_NONBLOCK: a FIFO planted in an offline tree must not hang the open. */
	ret = root_open(r, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, &fd);
	if (ret < 0)
		return ret;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 15)
		n = 15;
	memcpy(comm, buf, (size_t)n);
	comm[n] = '\0';
	return 0;
}

static bool gone(int err)
{
	return err == -ENOENT || err == -ESRCH;
}

/*
 * Scan one process's fd directory, appending its holders of wanted inodes.
 * Returns 0, or -ENOMEM; a process that vanishes leaves no entries.
 */
static int scan_pid(const struct root *r, pid_t pid, struct wanted *w, struct owners *o,
		    size_t *cap)
{
	DIR *fdd = NULL;
	struct dirent *e;
	size_t first = o->n;
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	ret = root_opendir(r, path, &fdd);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		if (ret == -EACCES || ret == -EPERM) {
			o->n_denied++;
			o->complete = false;
		} else if (!gone(ret))
			o->complete = false;
		return 0;
	}
	o->n_pids++;
	for (;;) {
		char link[64];
		uint64_t inode;
		ssize_t n;

		errno = 0;
		e = readdir(fdd);
		if (!e)
			break;
		if (e->d_name[0] == '.')
			continue;
		o->n_fds++;
		/* One readlink per descriptor into the stack: no allocation in the hot loop. */
		n = readlinkat(dirfd(fdd), e->d_name, link, sizeof(link));
		if (n < 0 && (errno == EACCES || errno == EPERM)) {
			/*
			 * Reading the directory needs less than reading its links: the
			 * links need ptrace read access, which fails even for root when
			 * the target holds capabilities the caller lacks.
			 */
			o->n_denied++;
			o->complete = false;
			break;
		}
		if (n <= 0 || !parse_socket_link(link, (size_t)n, &inode))
			continue;
		if (wanted_find(w, inode) < 0)
			continue;
		ret = owners_add(o, cap, first, inode, pid);
		if (ret < 0) {
			closedir(fdd);
			return ret;
		}
	}
	ret = !e && errno ? -errno : 0;
	closedir(fdd);
	if (ret < 0) {
		/* The directory went away under readdir(): the process exited. */
		owners_truncate(o, first);
		if (!gone(ret))
			o->complete = false;
		return 0;
	}
	if (o->n == first)
		return 0;

	ret = read_comm(r, pid, o->v[first].comm);
	if (gone(ret)) {
		owners_truncate(o, first);
		return 0;
	}
	for (size_t i = first + 1; i < o->n; i++)
		memcpy(o->v[i].comm, o->v[first].comm, sizeof(o->v[i].comm));

	if (r->live) {
		char *unit = NULL;

		/* Not every process is in a unit (the host's PID 1 need not be systemd). */
		ret = sd_pid_get_unit(pid, &unit);
		if (ret == -ENOMEM)
			return ret;
		for (size_t i = first; ret >= 0 && i < o->n; i++) {
			o->v[i].unit = strdup(unit);
			if (!o->v[i].unit) {
				free(unit);
				return -ENOMEM;
			}
		}
		free(unit);
	}

	for (size_t i = first; i < o->n && pid != 1; i++) {
		ssize_t k = wanted_find(w, o->v[i].inode);

		if (!w->held[k]) {
			w->held[k] = true;
			w->n_open--;
		}
	}
	return 0;
}

/*
 * The network namespace of pid (the inode of /proc/PID/ns/net), 0 when it
 * cannot be told (another user's process, a kernel thread, one that exited).
 */
static uint64_t pid_netns(int procfd, pid_t pid)
{
	char path[48];
	struct stat st;

	snprintf(path, sizeof(path), "%d/ns/net", (int)pid);
	return fstatat(procfd, path, &st, 0) < 0 ? 0 : (uint64_t)st.st_ino;
}

/* The PIDs of /proc (thread-group leaders), in readdir order. */
static int list_pids(DIR *proc, pid_t **ret, size_t *ret_n, bool *ret_complete)
{
	pid_t *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	for (;;) {
		pid_t pid;

		errno = 0;
		e = readdir(proc);
		if (!e) {
			if (errno != 0)
				*ret_complete = false;
			break;
		}
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		pid = parse_pid(e->d_name);
		if (pid <= 0)
			continue;
		if (n == cap) {
			pid_t *nv = reallocarray(v, cap ? 2 * cap : 256, sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? 2 * cap : 256;
		}
		v[n++] = pid;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int owners_find(const struct root *r, const uint64_t *inodes, size_t n_inodes,
		struct owners *ret)
{
	struct owners o = { .complete = true };
	_cleanup_free_ pid_t *pids = NULL;
	_cleanup_free_ bool *later = NULL;
	struct wanted w = {};
	uint64_t own_netns = 0;
	DIR *proc = NULL;
	size_t cap = 0, n_pids = 0;
	int err;

	if (n_inodes == 0) {
		*ret = o;
		return 0;
	}
	err = wanted_init(&w, inodes, n_inodes);
	if (err < 0)
		goto fail;

	err = root_opendir(r, "/proc", &proc);
	if (err == -ENOMEM)
		goto fail;
	if (err < 0) {
		/* No /proc (an offline tree without one): nobody could be examined. */
		o.complete = false;
		wanted_done(&w);
		*ret = o;
		return 0;
	}
	/*
	 * readdir(/proc) lists thread-group leaders only, never the other threads,
	 * whose fd tables are the leader's (CLONE_FILES) in all but odd cases.
	 */
	err = list_pids(proc, &pids, &n_pids, &o.complete);
	if (err < 0)
		goto fail;
	later = calloc(n_pids ? n_pids : 1, sizeof(*later));
	if (!later) {
		err = -ENOMEM;
		goto fail;
	}
	/*
	 * Two passes: first the processes in our network namespace (or whose
	 * namespace we cannot tell), where the holders of its sockets nearly
	 * always are, then, only for inodes still without a holder, the others
	 * (a socket passed to, or created before setns() by, a process of another
	 * namespace).  On a host with containers the first pass skips their
	 * processes' descriptor tables for one stat() each.
	 */
	if (r->live)
		own_netns = pid_netns(dirfd(proc), getpid());
	for (int pass = 0; pass < 2 && w.n_open > 0; pass++)
		for (size_t i = 0; i < n_pids && w.n_open > 0; i++) {
			if (pass == 0 && own_netns) {
				uint64_t ns = pid_netns(dirfd(proc), pids[i]);

				later[i] = ns && ns != own_netns;
			}
			if (later[i] != (pass == 1))
				continue;
			err = scan_pid(r, pids[i], &w, &o, &cap);
			if (err < 0)
				goto fail;
		}
	closedir(proc);
	wanted_done(&w);
	*ret = o;
	return 0;

fail:
	if (proc)
		closedir(proc);
	wanted_done(&w);
	owners_done(&o);
	return err;
}

const struct owner *owners_lookup(const struct owners *o, uint64_t inode)
{
	const struct owner *init = NULL;

	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].inode != inode)
			continue;
		if (o->v[i].pid != 1)
			return &o->v[i];
		if (!init)
			init = &o->v[i];
	}
	return init;
}
