/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_MACRO_H
#define PORTAUDIT_MACRO_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _fallthrough_ __attribute__((fallthrough))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Close an fd, keeping errno; returns -1 so that "fd = safe_close(fd)" resets it. */
static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}
static inline void closep(int *fd)
{
	safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership over: yields the value and resets the variable. */
#define TAKE_PTR(p)                                                                        \
	({                                                                                 \
		__typeof__(p) _p = (p);                                                    \
		(p) = NULL;                                                                \
		_p;                                                                        \
	})
#define TAKE_FD(fd)                                                                        \
	({                                                                                 \
		int _fd = (fd);                                                            \
		(fd) = -1;                                                                 \
		_fd;                                                                       \
	})

/* Define type##_freep(type **) for a destructor "type *type_free(type *)". */
#define DEFINE_FREEP(type, func)                                                           \
	static inline void func##p(type **p)                                               \
	{                                                                                  \
		if (*p)                                                                    \
			func(*p);                                                          \
	}

#endif
