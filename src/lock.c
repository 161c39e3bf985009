/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include "portaudit/fix.h"
#include "portaudit/root.h"

/* Take an exclusive flock on fd, polling every 10 ms for up to timeout_ms. */
static int lock_fd(int fd, unsigned timeout_ms)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	unsigned waited = 0;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return -errno;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
		waited += 10;
	}
}

int fix_lock(const struct root *r, unsigned timeout_ms, int *ret_fd, char **ret_note)
{
	_cleanup_free_ char *note = NULL;
	_cleanup_close_ int fd = -1;
	int k;

	/* Never truncated or written: only its lock matters, so O_NOFOLLOW is enough. */
	k = root_open(r, FIX_LOCK_PATH, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY, &fd);
	if (k == -ENOENT || k == -EROFS || k == -EACCES) {
		const char *dir = FIX_FRAGMENT_DIR;
		int why = k;

		/*
		 * An offline tree without /run, or a read-only one: lock the directory
		 * written, or, when the fix is to create it, the root of the tree.
		 */
		k = root_open(r, dir, O_RDONLY | O_DIRECTORY, &fd);
		if (k == -ENOENT) {
			dir = "/";
			k = root_open(r, dir, O_RDONLY | O_DIRECTORY, &fd);
		}
		if (asprintf(&note, "%s cannot be created (%s), so the lock is taken on %s",
			     FIX_LOCK_PATH, strerror(-why), dir) < 0)
			return -ENOMEM;
	}
	if (k < 0)
		return k;
	k = lock_fd(fd, timeout_ms);
	if (k < 0)
		return k;
	*ret_fd = TAKE_FD(fd);
	*ret_note = TAKE_PTR(note);
	return 0;
}
