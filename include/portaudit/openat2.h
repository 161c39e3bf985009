/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_OPENAT2_H
#define PORTAUDIT_OPENAT2_H

/*
 * openat2(2) through syscall(2): glibc 2.36 has no wrapper, and older kernel
 * headers no struct open_how.  Shared by root.c and its test.
 */

#include <sys/syscall.h>
#if HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#ifndef RESOLVE_IN_ROOT
struct open_how {
	unsigned long long flags;
	unsigned long long mode;
	unsigned long long resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif
#if !HAVE_DECL_SYS_OPENAT2
#define SYS_openat2 437
#endif

#endif
