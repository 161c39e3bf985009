/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_PORTSET_H
#define PORTAUDIT_PORTSET_H

/*
 * A set of ports 0..65535 as a fixed 65536-bit bitmap (8 KiB), the shape of the
 * kernel's own net.ipv4.ip_local_reserved_ports.  Pure: no I/O, no allocation
 * except in portset_format_alloc().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portaudit/macro.h"

#define PORTSET_PORTS 65536u
#define PORTSET_WORDS (PORTSET_PORTS / 64u)

/* Longest canonical list: "0-1,3-4,6-7,...": 254738 bytes (REFERENCE §1.3). */
#define PORTSET_FORMAT_MAX 262144u

/*
 * A bitmap of all 65536 ports, of which only the words w[lo..hi-1] are in use:
 * the ports outside them are not in the set, whatever those words hold
 * (lo >= hi: the set is empty).  Every operation walks only the words in use,
 * so clearing costs nothing and the small set of one service costs a word or
 * two instead of 1024 (issue 8).  Use the functions below, portset_copy()
 * included: a struct assignment works but copies all 8 KiB.
 */
struct portset {
	uint64_t w[PORTSET_WORDS];
	uint16_t lo, hi; /* word indices, hi exclusive */
};

/* An inclusive run of ports lo..hi. */
struct portrun {
	uint16_t lo;
	uint16_t hi;
};

/* Why the kernel would refuse a list (every case is EINVAL to the kernel). */
enum portset_parse_error {
	PORTSET_PARSE_EXPECTED_NUMBER, /* an item does not start with a digit */
	PORTSET_PARSE_SPACE,           /* blank where the kernel allows none */
	PORTSET_PARSE_NEGATIVE,        /* '-' before a number */
	PORTSET_PARSE_TOO_LONG,        /* a number of 21 or more characters */
	PORTSET_PARSE_OUT_OF_RANGE,    /* a number above 65535 */
	PORTSET_PARSE_OCTAL_DIGIT,     /* '8' or '9' after a leading zero (octal) */
	PORTSET_PARSE_BAD_SEPARATOR,   /* a number followed by something else */
	PORTSET_PARSE_MISSING_END,     /* "a-" with nothing after the dash */
	PORTSET_PARSE_REVERSED,        /* "a-b" with a > b */
	_PORTSET_PARSE_ERROR_MAX,
};

/* Where and why a parse failed: offset is the byte that the kernel stops at. */
struct portset_parse_info {
	size_t offset;
	enum portset_parse_error error;
};

/* Empty the set. */
void portset_clear(struct portset *s);
/* Add every port 0..65535. */
void portset_fill(struct portset *s);
/* Add one port. */
void portset_add(struct portset *s, uint16_t port);
/* Add ports lo..hi inclusive; lo must not exceed hi. */
void portset_add_range(struct portset *s, uint16_t lo, uint16_t hi);
/* Remove one port. */
void portset_remove(struct portset *s, uint16_t port);
/* Remove ports lo..hi inclusive; lo must not exceed hi. */
void portset_remove_range(struct portset *s, uint16_t lo, uint16_t hi);
/* Whether port is in the set. */
bool portset_contains(const struct portset *s, uint16_t port) _pure_;

/* dst = dst | src. */
void portset_union(struct portset *dst, const struct portset *src);
/* dst = dst & src. */
void portset_intersect(struct portset *dst, const struct portset *src);
/* dst = dst & ~src. */
void portset_subtract(struct portset *dst, const struct portset *src);

/* Number of ports in the set. */
unsigned portset_count(const struct portset *s) _pure_;
/* Number of ports of the set within lo..hi inclusive (0 when lo > hi). */
unsigned portset_count_range(const struct portset *s, uint16_t lo, uint16_t hi) _pure_;
/* Whether the set is empty. */
bool portset_is_empty(const struct portset *s) _pure_;
/* Whether both sets hold the same ports. */
bool portset_equal(const struct portset *a, const struct portset *b) _pure_;
/* *dst = *src, copying only the words in use. */
void portset_copy(struct portset *dst, const struct portset *src);

/*
 * Find the first run at or after *cursor (0..65536).  Returns true and stores
 * the run in *ret and the position after it in *cursor; false when none is left.
 */
bool portset_next_run(const struct portset *s, unsigned *cursor, struct portrun *ret);

#define PORTSET_FOREACH_RUN(s, cursor, run)                                                \
	for (unsigned cursor = 0; portset_next_run((s), &cursor, &(run));)

/*
 * Parse len bytes in the kernel's list syntax for ip_local_reserved_ports, exactly
 * as proc_do_large_bitmap() does for one write at offset 0 of at most 4095 bytes:
 * items "a" or "a-b" separated by ',' or newlines, leading and repeated newlines
 * skipped, a trailing ',' allowed, numbers in C base 0 (010 is 8, 0x10 is 16).
 * An empty buffer yields an empty set (the kernel ignores a zero-length write).
 * Returns 0 and fills *ret, or -EINVAL and fills *ret_info when given.
 */
int portset_parse(const char *buf, size_t len, struct portset *ret,
		  struct portset_parse_info *ret_info);

/* A short English explanation of a parse error. */
const char *portset_parse_error_to_string(enum portset_parse_error e) _pure_;

/*
 * Write the canonical list ("a,b-c", sorted and merged, decimal, no spaces, no
 * newline: the kernel reads back this plus "\n") into buf like snprintf: the
 * result is NUL-terminated when size > 0, and the full length is returned.
 * The empty set is "": a writer must still send "\n", because the kernel
 * ignores a zero-length write instead of clearing the set.
 */
size_t portset_format(const struct portset *s, char *buf, size_t size);

/*
 * portset_format() cut for a message: when the list does not fit in size bytes,
 * it ends after the last whole item that fits, followed by ",...", so no number
 * is ever shown in part.  buf is always NUL-terminated (size must be at least 5).
 * Returns buf.
 */
char *portset_format_cut(const struct portset *s, char *buf, size_t size);

/*
 * The set as the kernel prints it and as a writer must send it: the canonical
 * list and one newline ("\n" alone for the empty set), in a new NUL-terminated
 * buffer.  Returns 0 or -ENOMEM.
 */
int portset_format_kernel(const struct portset *s, char **ret, size_t *ret_len);

/* portset_format() into a new buffer; returns 0 or -ENOMEM. */
int portset_format_alloc(const struct portset *s, char **ret);

#endif
