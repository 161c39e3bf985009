/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portaudit/diag.h"

void diag_init(struct diag *d, size_t max)
{
	*d = (struct diag){ .max = max ? max : DIAG_MAX_DEFAULT };
}

void diag_done(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->entries[i].file);
		free(d->entries[i].message);
	}
	free(d->entries);
	d->entries = NULL;
	d->n = d->total = 0;
}

bool diag_full(const struct diag *d)
{
	return d->n >= d->max;
}

int diag_add(struct diag *d, const char *file, unsigned line, unsigned column, const char *fmt,
	     ...)
{
	struct diag_entry e = { .line = line, .column = column };
	va_list ap;
	int r;

	d->total++;
	if (diag_full(d))
		return -ENOSPC;
	if (!d->entries) {
		d->entries = calloc(d->max, sizeof(*d->entries));
		if (!d->entries)
			return -ENOMEM;
	}
	va_start(ap, fmt);
	r = vasprintf(&e.message, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	e.file = strdup(file ? file : "");
	if (!e.file) {
		free(e.message);
		return -ENOMEM;
	}
	d->entries[d->n++] = e;
	return 0;
}

size_t diag_format(const struct diag_entry *e, char *buf, size_t size)
{
	int n;

	if (e->line && e->column)
		n = snprintf(buf, size, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
	else if (e->line)
		n = snprintf(buf, size, "%s:%u: %s", e->file, e->line, e->message);
	else
		n = snprintf(buf, size, "%s: %s", e->file, e->message);
	return n < 0 ? 0 : (size_t)n;
}

char *diag_quote(const char *value, size_t len, size_t max_chars, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, shown = 0;

	if (size == 0)
		return buf;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		char tmp[4];
		size_t k = 0;

		if (shown >= max_chars) {
			if (o + 4 <= size - 1) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c == '\n') {
			tmp[k++] = '\\';
			tmp[k++] = 'n';
		} else if (c == '\t') {
			tmp[k++] = '\\';
			tmp[k++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			tmp[k++] = '\\';
			tmp[k++] = 'x';
			tmp[k++] = hex[c >> 4];
			tmp[k++] = hex[c & 15];
		} else if (c == '\'' || c == '\\') {
			tmp[k++] = '\\';
			tmp[k++] = (char)c;
		} else
			tmp[k++] = (char)c;
		if (o + k > size - 1)
			break;
		memcpy(buf + o, tmp, k);
		o += k;
		shown++;
	}
	buf[o] = '\0';
	return buf;
}
