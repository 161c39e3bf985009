/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_OWNERS_H
#define PORTAUDIT_OWNERS_H

/*
 * Which processes hold a socket: one scan of <root>/proc/PID/fd, as ss -p does
 * (REFERENCE §4.4), but only for the few inodes that appear in findings, and
 * stopping as soon as each of them has a holder.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "portaudit/root.h"

struct owner {
	uint64_t inode;
	pid_t pid;
	char comm[16];   /* /proc/PID/comm, NUL-terminated; "" when it could not be read */
	char *unit;      /* systemd unit of pid, NULL when unknown */
};

struct owners {
	struct owner *v; /* one entry per (inode, pid) found; an inode may have several holders */
	size_t n;
	size_t n_denied; /* /proc/PID/fd directories we were not allowed to read */
	bool complete;   /* every process could be examined */
	size_t n_pids;   /* /proc/PID/fd directories read: for --verbose and benchmarks */
	size_t n_fds;    /* descriptors examined in them */
};

/*
 * Find the processes holding the given socket inodes by one scan of <root>/proc/[0-9]*\/fd.
 * Stops once every inode has a holder other than PID 1 (systemd holds socket-unit sockets
 * on behalf of the service that also holds them).  The unit comes from sd_pid_get_unit()
 * on a live root only.  Processes that vanish mid-scan are skipped; EACCES on a process's
 * fd directory counts in n_denied and makes the result incomplete.  Returns 0 or -ENOMEM.
 */
int owners_find(const struct root *r, const uint64_t *inodes, size_t n_inodes,
		struct owners *ret);

/* Free the entries; accepts an owners that owners_find() never filled if it is zeroed. */
void owners_done(struct owners *o);

/* The first holder of inode other than PID 1, else PID 1's entry, else NULL. */
const struct owner *owners_lookup(const struct owners *o, uint64_t inode);

#endif
