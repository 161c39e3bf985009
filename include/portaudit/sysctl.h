/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_SYSCTL_H
#define PORTAUDIT_SYSCTL_H

/* Kernel sysctls read from <root>/proc/sys (the network namespace of the caller). */

#include <stddef.h>
#include <stdint.h>

#include "portaudit/portset.h"
#include "portaudit/root.h"

#define SYSCTL_PORT_RANGE "net.ipv4.ip_local_port_range"
#define SYSCTL_RESERVED_PORTS "net.ipv4.ip_local_reserved_ports"
#define SYSCTL_UNPRIVILEGED_PORT_START "net.ipv4.ip_unprivileged_port_start"

/*
 * The /proc/sys path of a key, as systemd-sysctl and procps derive it: when the
 * first separator is '.', dots and slashes swap; when it is '/', the key is
 * taken literally.  Writes at most size bytes; returns 0 or -ENAMETOOLONG.
 */
int sysctl_key_to_path(const char *key, char *buf, size_t size);

/*
 * Read a sysctl's whole value with a single read from offset 0, since the
 * kernel produces it only on the first read (REFERENCE §1.3).  Returns 0 and a
 * NUL-terminated malloc'd value with its length, or a negative errno (-EBADFD:
 * not a regular file).
 */
int sysctl_read(const struct root *r, const char *key, char **ret_value, size_t *ret_len);

/*
 * Write a sysctl's whole value the way the kernel needs it (REFERENCE §1.2): one
 * buffer from offset 0, and after a short count the rest on the same
 * descriptor, where the kernel continues (ORing into a bitmap sysctl) from the
 * last item it took.  Returns 0 or a negative errno (-EINVAL: the kernel
 * refused the value).
 */
int sysctl_write(const struct root *r, const char *key, const char *value, size_t len);

/* Parse "min<blank>max" as the kernel prints ip_local_port_range; 0 or -EBADMSG. */
int sysctl_parse_port_range(const char *value, uint16_t *ret_lo, uint16_t *ret_hi);

/* Parse one decimal unsigned number with optional surrounding blanks; 0 or -EBADMSG. */
int sysctl_parse_uint(const char *value, unsigned *ret);

#endif
