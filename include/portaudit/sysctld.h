/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_SYSCTLD_H
#define PORTAUDIT_SYSCTLD_H

/*
 * The sysctl.d configuration as the two tools that apply it at boot see it:
 * systemd-sysctl 252 (systemd-sysctl.service, also behind Debian's procps.service)
 * and procps 4.0.2 "sysctl --system" (the SysV /etc/init.d/procps).  REFERENCE §5
 * holds the facts; sysctl.d(5) the documented part.  Only the keys a caller asks
 * for are kept, with every assignment's file and line, so that the winner and the
 * value at the next boot can be explained.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portaudit/portset.h"

struct root;
struct diag;

enum sysctld_tool {
	SYSCTLD_SYSTEMD, /* systemd-sysctl */
	SYSCTLD_PROCPS,  /* procps sysctl --system */
	_SYSCTLD_TOOL_MAX,
};

/* A line longer than this stops systemd-sysctl reading the file (LONG_LINE_MAX). */
#define SYSCTLD_LINE_MAX (1024u * 1024u)
/* Largest configuration file read; a longer one is noted and skipped. */
#define SYSCTLD_FILE_MAX (16u * 1024u * 1024u)

struct sysctld_file {
	char *path;        /* below the root: "/etc/sysctl.d/99-sysctl.conf" */
	char *shown;       /* as the operator finds it (with --root's directory), for messages */
	bool used[_SYSCTLD_TOOL_MAX]; /* which tools apply it */
	bool masked;       /* a /dev/null mask: hides lower files of its name, applies nothing */
	char **shadowed;   /* NULL-terminated paths of the same name it hides, or NULL */
	bool final_pass;   /* /etc/sysctl.conf, which procps applies again after every other file */
	unsigned systemd_stop_line; /* systemd-sysctl stops reading at this line (too long), or 0 */
	int error;         /* negative errno when it could not be read (noted; applies nothing) */
	size_t first_assignment, n_assignments; /* its assignments in sysctld.assignments */
};

struct sysctld_assignment {
	size_t file;          /* index into sysctld.files */
	unsigned line;        /* 1-based */
	char *key;            /* normalized "/proc/sys"-relative path: "net/ipv4/ip_local_port_range" */
	char *value;          /* whitespace-stripped, quotes kept; NULL for a "-key" exclusion line */
	bool ignore_failure;  /* the '-' prefix */
	bool glob;            /* key holds '*', '?' or '[' */
};

struct sysctld {
	struct sysctld_file *files;
	size_t n_files;
	/* Files in the order each tool applies them (indexes into files). */
	size_t *order[_SYSCTLD_TOOL_MAX];
	size_t n_order[_SYSCTLD_TOOL_MAX];
	/* Assignments to the wanted keys (or globs matching them), in file order. */
	struct sysctld_assignment *assignments;
	size_t n_assignments;
};

/* What the next boot leaves in the three port sysctls of a fresh network namespace. */
struct sysctld_boot {
	struct portset reserved;
	uint16_t range_lo, range_hi;
	unsigned unprivileged_start;
	/* The assignment that produced each value, or NULL for the kernel default. */
	const struct sysctld_assignment *reserved_from, *range_from, *unprivileged_from;
	/* The last write of each key that the kernel refused (the value stayed), or NULL. */
	const struct sysctld_assignment *reserved_rejected, *range_rejected, *unprivileged_rejected;
};

/* "systemd-sysctl" or "sysctl --system". */
const char *sysctld_tool_to_string(enum sysctld_tool t);

/*
 * Normalize a key as systemd-sysctl does: when its first separator is '.', dots
 * and slashes swap; repeated slashes, "." components, and leading and trailing
 * slashes go.  In place; returns s.
 */
char *sysctld_normalize_key(char *s);

/* Whether the normalized key (or glob) applies to the normalized key "want". */
bool sysctld_key_matches(const char *key, bool glob, const char *want);

/*
 * Parse one file's content, appending the assignments of the keys in want
 * (normalized keys) to c, attributed to file index file.  Lines that are neither
 * comments nor assignments are noted ("FILE:LINE: ..., ignoring") as both tools
 * ignore them.  Returns 0 or -ENOMEM.
 */
int sysctld_parse_buffer(struct sysctld *c, size_t file, const char *buf, size_t len,
			 const char *const *want, size_t n_want, struct diag *notes);

/*
 * List and parse <root>'s sysctl.d configuration for both tools, keeping the
 * assignments of the keys in want (any spelling: "net.ipv4.x" or "net/ipv4/x").
 * Unreadable files are noted and apply nothing, as both tools skip them.
 * Returns 0, or -ENOMEM, or the error of a directory that exists but cannot
 * be listed.
 */
int sysctld_load(const struct root *r, const char *const *want, size_t n_want,
		 struct diag *notes, struct sysctld *ret);

/* Free the contents; accepts an emptied struct. */
void sysctld_done(struct sysctld *c);

/*
 * The assignments that tool writes to key (normalized), in order, into ret (up to
 * max); returns their number.  systemd-sysctl writes at most one: the last
 * explicit assignment, else the last matching glob, unless a later "-key" line
 * excluded the key.  procps writes every assignment in order, then
 * /etc/sysctl.conf's again.
 */
size_t sysctld_writes(const struct sysctld *c, enum sysctld_tool tool, const char *key,
		      const struct sysctld_assignment **ret, size_t max);

/*
 * A copy of c as if the file path (in /etc/sysctl.d, the directory of highest
 * priority) held content: it replaces the entry of that path, or joins both
 * tools' order at its name's place (before /etc/sysctl.conf's final pass) and
 * hides the files of the same name in lower directories, as writing it there
 * would.  shown names it in messages.  content is parsed for the keys in want
 * like a file read from disk.  Pure.  Returns 0 or -ENOMEM.
 */
int sysctld_put_file(const struct sysctld *c, const char *path, const char *shown,
		     const char *content, size_t len, const char *const *want, size_t n_want,
		     struct sysctld *ret);

/*
 * Simulate the next boot under tool: the kernel defaults of a fresh network
 * namespace, then every write of the three port sysctls in the tool's order,
 * each accepted or refused by the kernel's own rules (REFERENCE §1.1, §2.1).
 * Returns 0 or -ENOMEM.
 */
int sysctld_next_boot(const struct sysctld *c, enum sysctld_tool tool, struct sysctld_boot *ret);

/*
 * Why the kernel would refuse or misread value for key (one of the three port
 * sysctls) when written by tool, or NULL when it takes it as written.  The
 * text is static or written into buf.
 */
const char *sysctld_value_problem(const char *key, const char *value, enum sysctld_tool tool,
				  char *buf, size_t size);

#endif
