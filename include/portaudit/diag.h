/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_DIAG_H
#define PORTAUDIT_DIAG_H

/*
 * Positioned diagnostics for input errors: "FILE:LINE:COLUMN: message".  Parsers
 * add to a list and keep going, so one run reports every mistake up to a bound
 * (OpenBSD's count-and-continue); only the program prints them.  Pure.
 */

#include <stdbool.h>
#include <stddef.h>

#include "portaudit/macro.h"

#define DIAG_MAX_DEFAULT 20

struct diag_entry {
	char *file;      /* as shown to the operator */
	unsigned line;   /* 1-based; 0 when the message is about the whole file */
	unsigned column; /* 1-based; 0 when unknown */
	char *message;
};

struct diag {
	struct diag_entry *entries;
	size_t n;        /* entries kept */
	size_t max;      /* kept at most; more are only counted */
	size_t total;    /* every error added, kept or not */
};

/* An empty list keeping at most max entries (0 means DIAG_MAX_DEFAULT). */
void diag_init(struct diag *d, size_t max);
/* Free the entries; the list can be reused after diag_init(). */
void diag_done(struct diag *d);

/*
 * Add an error.  Returns 0, -ENOSPC when the list is full (the error is still
 * counted in total), or -ENOMEM.
 */
_printf_(5, 6) int diag_add(struct diag *d, const char *file, unsigned line, unsigned column,
			    const char *fmt, ...);

/* Whether the list is full: callers may stop early. */
bool diag_full(const struct diag *d);

/* "FILE:LINE:COLUMN: message" (or "FILE:LINE:" / "FILE:") into buf like snprintf. */
size_t diag_format(const struct diag_entry *e, char *buf, size_t size);

/*
 * Write value (len bytes) into buf for quoting in a one-line message: control
 * bytes and quotes escaped, cut with "..." past max_chars.  Returns buf.
 */
char *diag_quote(const char *value, size_t len, size_t max_chars, char *buf, size_t size);

#endif
