/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_FIX_H
#define PORTAUDIT_FIX_H

/*
 * --fix (DESIGN §7).  The plan is pure (fix-plan.c): from the inventory, the
 * snapshot and the fragment as it is now, it works out the desired set, the new
 * fragment, the live change and whatever would still override the fragment at
 * boot.  The writers (fix-write.c, fix-apply.c, lock.c) carry it out below the
 * root and are the only code in portaudit that changes the host.
 *
 *   D (desired)    the ports of the services with reserve: true, every protocol
 *                  (the kernel reserves port numbers, not protocols); with
 *                  policy.reserve: ephemeral only those inside the live range or
 *                  the range either tool leaves at the next boot; all: every
 *                  one; none: nothing.
 *   others         every port that an assignment of net.ipv4.ip_local_reserved_ports
 *                  in any other file either tool applies reserves, read as the
 *                  kernel reads it (010 is 8).  A value the kernel refuses adds
 *                  nothing.  Files named like the fragment in lower directories
 *                  are hidden by it (sysctl.d(5)) and do not count.
 *   fragment       D ∪ others: the one value the last file must carry, since the
 *                  last assignment wins.  Written when D is not empty or the
 *                  fragment exists; an empty set is written as a fragment that
 *                  assigns nothing.
 *   live after     (live − (previous − others − D)) ∪ D, where previous is what
 *                  the fragment reserved so far: ports only portaudit reserved
 *                  and no longer wanted are released, nobody else's.
 *   overrides      the next boot is simulated with the new fragment in place
 *                  (sysctld_put_file(), sysctld_next_boot()): a port of D that
 *                  systemd-sysctl would not reserve makes --fix fail (exit 3),
 *                  naming the file; one that only procps "sysctl --system"
 *                  would drop is a warning.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "portaudit/diag.h"
#include "portaudit/portset.h"
#include "portaudit/sysctld.h"

struct inventory;
struct root;
struct snapshot;

#define FIX_FRAGMENT_DIR "/etc/sysctl.d"
/* Sorts after Debian's 99-sysctl.conf, so systemd-sysctl applies it last (REFERENCE §5.2). */
#define FIX_FRAGMENT_NAME "99-zz-portaudit.conf"
#define FIX_FRAGMENT_PATH FIX_FRAGMENT_DIR "/" FIX_FRAGMENT_NAME
/* Neither tool reads it: both want the ".conf" suffix. */
#define FIX_TEMP_NAME ".99-zz-portaudit.conf.tmp"
#define FIX_LOCK_PATH "/run/portaudit.lock"
#define FIX_RESERVED_PROC "/proc/sys/net/ipv4/ip_local_reserved_ports"
/* procps "sysctl -p/-w/--system" write one window of 4095 bytes and drop the rest. */
#define FIX_VALUE_ADVISED_MAX 4000u
/* A current fragment longer than this is not read, only replaced. */
#define FIX_FRAGMENT_READ_MAX (1024u * 1024u)

/* What is at the fragment's path now. */
enum fix_current_kind {
	FIX_CURRENT_ABSENT,
	FIX_CURRENT_FILE,    /* a regular file: text holds it */
	FIX_CURRENT_MASKED,  /* a symlink to /dev/null: the administrator disabled it */
	FIX_CURRENT_SYMLINK, /* another symlink: never written through or replaced */
	FIX_CURRENT_OTHER,   /* a directory, FIFO, device or socket: never replaced */
	_FIX_CURRENT_MAX,
};

struct fix_current {
	enum fix_current_kind kind;
	char *text;          /* FIX_CURRENT_FILE: the content, NUL-terminated */
	size_t len;
	char *target;        /* a symlink's target */
	int error;           /* negative errno when it could not be read (kind stays ABSENT) */
};

/* Why --fix changes nothing at all. */
enum fix_skip {
	FIX_SKIP_NONE,
	FIX_SKIP_DISCOVERED, /* no inventory: discovered ports are never reserved */
	FIX_SKIP_DISABLED,   /* the fragment is masked with /dev/null */
	_FIX_SKIP_MAX,
};

/* A file whose assignment would still win over the fragment at the next boot. */
struct fix_override {
	enum sysctld_tool tool;
	const char *source;                     /* the winning file as shown, or NULL: none */
	unsigned line;                          /* its line */
	bool refused;                           /* the winner is a value the kernel refuses */
	bool excluded;                          /* the winner is a "-key" line, which cancels it */
	struct portset dropped;                 /* the ports of D it leaves unreserved */
};

/* An assignment whose ports the fragment keeps. */
struct fix_kept {
	const char *source;                     /* the file as shown */
	unsigned line;
	struct portset ports;                   /* what the kernel reads in it */
};

struct fix_plan {
	enum fix_skip skip;
	struct portset desired;       /* D */
	struct portset others;        /* reserved by other files */
	struct portset previous;      /* what the current fragment assigns */
	struct portset fragment;      /* D ∪ others */
	struct fix_kept *kept;        /* the assignments others came from, in file order */
	size_t n_kept;
	const struct fix_current *current; /* borrowed */
	char *text;                   /* the new fragment, or NULL when none is written */
	size_t len;
	size_t value_len;             /* bytes of the assigned value */
	bool fragment_changed;        /* text differs from the current file */
	struct portset live_before, live_after;
	bool live_changed;
	bool changed;                 /* fragment_changed || live_changed */
	struct fix_override overrides[_SYSCTLD_TOOL_MAX];
	bool overridden[_SYSCTLD_TOOL_MAX];
	struct sysctld model;         /* the configuration with the new fragment in place */
	struct sysctld_boot boot[_SYSCTLD_TOOL_MAX]; /* ... and the next boot it gives */
	struct diag warnings;         /* FILE:LINE: values the kernel misreads or refuses, size advice */
};

/*
 * Plan the fix.  current is the fragment as read under the lock
 * (fix_read_current()); fragment_shown names it in messages.  Pure.  The
 * plan's file names point into the snapshot's and the plan's configurations,
 * so it must not outlive either.  Returns 0 or -ENOMEM.
 */
int fix_plan_compute(const struct inventory *inv, const struct snapshot *snap,
		     const struct fix_current *current, const char *fragment_shown,
		     struct fix_plan *ret);

/* Free the contents. */
void fix_plan_done(struct fix_plan *p);

/*
 * The fragment for a set: the header comment and, unless the set is empty, one
 * canonical assignment.  Returns 0 and a malloc'd text, or -ENOMEM.
 */
int fix_fragment_text(const struct portset *set, char **ret, size_t *ret_len,
		      size_t *ret_value_len);

/*
 * A unified diff from a to b (either may be NULL: no file), labelled with
 * the two names; "" when they are equal.  One hunk holds every line, so any
 * patch(1) applies it.  Pure.  Returns 0 and a malloc'd text, or -ENOMEM.
 */
int fix_diff(const char *a, size_t a_len, const char *b, size_t b_len, const char *label_a,
	     const char *label_b, char **ret);

/*
 * The plan as text: the diff of the fragment and of the live value (what
 * --dry-run prints).  Returns 0 and a malloc'd text, or -ENOMEM.
 */
int fix_plan_diff(const struct fix_plan *p, const char *fragment_shown, const char *live_shown,
		  char **ret);

/* The outcome of carrying the plan out. */
struct fix_result {
	const struct fix_plan *plan;
	bool dry_run, no_apply;
	bool offline;                 /* --root: there is no live kernel to write */
	bool written;                 /* the fragment was replaced */
	int write_error;              /* negative errno of the failed step, or 0 */
	const char *write_step;       /* which step failed: "open", "write", "rename", ... */
	bool apply_attempted;
	bool applied;                 /* the live value holds live_after (written now or already) */
	int apply_error;
	struct portset live_read;     /* read back after writing */
	bool failed;                  /* exit 3 */
	struct diag problems;         /* one line each: why it failed */
	char *fragment_shown, *live_shown; /* paths as the operator sees them */
	char *diff;                   /* fix_plan_diff() */
	char *lock_note;              /* how runs were serialised, when not by FIX_LOCK_PATH */
};

/*
 * Start a result: the paths as shown below r, an empty problem list.  Returns
 * 0 or -ENOMEM.
 */
int fix_result_init(struct fix_result *res, const struct root *r, bool dry_run, bool no_apply);

/*
 * Read what is at the fragment's path below r without following a symlink.
 * Returns 0 (what could not be read is in ret->error), or -ENOMEM.
 */
int fix_read_current(const struct root *r, struct fix_current *ret);

/* Free the contents. */
void fix_current_done(struct fix_current *c);

/*
 * Carry the plan out: unless res->no_apply or the root is an offline tree,
 * write the live value and read it back; then write the fragment if it
 * changed (root_replace_file()).  The live value goes first because the old
 * fragment is the only record of the ports this run releases: if the live
 * write fails (or the run is killed) while ports are to be released, the old
 * fragment is kept, so that the next run can still release them; when
 * nothing is released the fragment is written anyway.  The live value is
 * written even when the fragment cannot be, since it protects the host until
 * the next boot.  With res->dry_run nothing is written, and only what would
 * fail is found.  Each failure goes into res->problems and sets res->failed:
 * a fragment in the way, a failed step, a file that would still override the
 * fragment at the next boot.  Returns 0 or -ENOMEM.
 */
int fix_execute(const struct root *r, const struct fix_plan *p, struct fix_result *res);

/*
 * After fix_execute(): make the snapshot describe the host as the fix left it
 * (the new configuration when the fragment was written, the read-back live
 * value when it was applied), so that the findings evaluated next are the ones
 * that remain.  The configurations are swapped, so pointers into either stay
 * valid while both p and s live.
 */
void fix_update_snapshot(struct fix_plan *p, const struct fix_result *res, struct snapshot *s);

/* Free the contents. */
void fix_result_done(struct fix_result *res);

/*
 * Serialise --fix runs: an exclusive flock(2) on FIX_LOCK_PATH below r, waited
 * for up to timeout_ms.  Where <root>/run cannot hold it (missing, read-only),
 * the sysctl.d directory itself is locked and *ret_note says so (malloc'd).
 * Returns 0 and the descriptor to close, -ETIMEDOUT, or a negative errno.
 */
int fix_lock(const struct root *r, unsigned timeout_ms, int *ret_fd, char **ret_note);

#endif
