/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_REPORT_H
#define PORTAUDIT_REPORT_H

/* Reporters: turn a snapshot (and, later, findings) into output. */

#include <stdio.h>

struct snapshot;
struct json_object;

/*
 * The snapshot as a JSON object (documented in portaudit(8), "SNAPSHOT"):
 * kernel values, the sysctl.d configuration with every assignment and the value
 * at the next boot per tool, and the notes.  Returns 0 or -ENOMEM.
 */
int report_json_snapshot(const struct snapshot *s, struct json_object **ret);

/* Write obj to f, pretty-printed, with a final newline.  Returns 0 or -EIO. */
int report_json_print(struct json_object *obj, FILE *f);

#endif
