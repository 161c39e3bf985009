/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "portaudit/fix.h"
#include "portaudit/root.h"
#include "portaudit/sysctl.h"

/* Whether the symlink at the fragment's path masks it, as confdirs.c decides for sysctld. */
static bool masks(const struct root *r, const char *target)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (strcmp(target, "/dev/null") == 0)
		return true;
	return root_open(r, FIX_FRAGMENT_PATH, O_PATH, &fd) == 0 && fstat(fd, &st) == 0 &&
	       S_ISCHR(st.st_mode);
}

int fix_read_current(const struct root *r, struct fix_current *ret)
{
	struct fix_current c = { .kind = FIX_CURRENT_ABSENT };
	_cleanup_close_ int fd = -1;
	struct stat st;
	int k;

	k = root_lstat(r, FIX_FRAGMENT_PATH, &st);
	if (k == -ENOENT || k == -ENOTDIR) {
		*ret = c;
		return 0;
	}
	if (k < 0) {
		c.error = k;
		*ret = c;
		return k == -ENOMEM ? k : 0;
	}
	if (S_ISLNK(st.st_mode)) {
		k = root_readlink(r, FIX_FRAGMENT_PATH, &c.target);
		if (k == -ENOMEM)
			return k;
		c.kind = c.target && masks(r, c.target) ? FIX_CURRENT_MASKED : FIX_CURRENT_SYMLINK;
		c.error = k;
	} else if (S_ISCHR(st.st_mode)) {
		c.kind = FIX_CURRENT_MASKED;
	} else if (!S_ISREG(st.st_mode)) {
		c.kind = FIX_CURRENT_OTHER;
	} else {
		c.kind = FIX_CURRENT_FILE;
		/* Non-blocking and not following: what lstat saw may have been replaced since. */
		k = root_open(r, FIX_FRAGMENT_PATH, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, &fd);
		if (k == 0 && fstat(fd, &st) < 0)
			k = -errno;
		if (k == 0 && !S_ISREG(st.st_mode))
			k = -EBADFD;
		if (k == 0)
			k = root_read_fd(fd, (size_t)st.st_size, FIX_FRAGMENT_READ_MAX, &c.text, &c.len);
		if (k == -ENOMEM)
			return k;
		/* Unreadable or too long: it is replaced all the same. */
		c.error = k;
	}
	*ret = c;
	return 0;
}

void fix_current_done(struct fix_current *c)
{
	free(c->text);
	free(c->target);
	*c = (struct fix_current){ 0 };
}

/* Why the fragment cannot be written, before trying, or NULL. */
static const char *refuse_current(const struct fix_current *c)
{
	switch (c->kind) {
	case FIX_CURRENT_SYMLINK:
		return "it is a symlink, which portaudit neither writes through nor replaces: remove it, or point it at /dev/null to stop portaudit managing the fragment";
	case FIX_CURRENT_OTHER:
		return "it is not a regular file: remove it";
	default:
		return NULL;
	}
}

/* A fragment that is in the way (a symlink, not a regular file): a problem, and failed. */
static int refuse(const struct fix_plan *p, struct fix_result *res)
{
	const char *why = refuse_current(p->current);
	const char *verb = res->dry_run ? "would not be written" : "not written";

	if (!why)
		return 0;
	res->failed = true;
	res->write_error = p->current->kind == FIX_CURRENT_SYMLINK ? -ELOOP : -EEXIST;
	res->write_step = "check the file";
	if (p->current->target)
		return diag_add(&res->problems, res->fragment_shown, 0, 0, "%s: %s (it points to %s)",
				verb, why, p->current->target);
	return diag_add(&res->problems, res->fragment_shown, 0, 0, "%s: %s", verb, why);
}

/*
 * Whether the fragment's path holds exactly the new text: root_replace_file()
 * can fail after its rename, when only the directory's fsync is left.
 */
static bool in_place(const struct root *r, const struct fix_plan *p)
{
	_cleanup_(fix_current_done) struct fix_current c = { 0 };

	return fix_read_current(r, &c) == 0 && c.kind == FIX_CURRENT_FILE && c.error == 0 &&
	       c.len == p->len && memcmp(c.text, p->text, p->len) == 0;
}

static int write_fragment(const struct root *r, const struct fix_plan *p,
			  struct fix_result *res)
{
	int k;

	k = root_replace_file(r, FIX_FRAGMENT_DIR, FIX_FRAGMENT_NAME, FIX_TEMP_NAME, p->text,
			      p->len, 0644, &res->write_step);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		const char *hint = "";

		res->failed = true;
		res->write_error = k;
		if (k == -EROFS)
			hint = ": the file system is read-only";
		else if (k == -ENOSPC || k == -EDQUOT)
			hint = ": the file system is full";
		else if (k == -ELOOP)
			hint = ": a symlink is in the way, and portaudit never writes through one";
		if (in_place(r, p)) {
			res->written = true;
			return diag_add(&res->problems, res->fragment_shown, 0, 0,
					"written, but cannot %s: %s%s; the new fragment is in place but may not survive a crash",
					res->write_step, strerror(-k), hint);
		}
		return diag_add(&res->problems, res->fragment_shown, 0, 0,
				"not written (cannot %s: %s%s); the previous fragment is unchanged",
				res->write_step, strerror(-k), hint);
	}
	res->written = true;
	return 0;
}

/* The ports the plan releases from the live value (only the current fragment reserves them). */
static struct portset released(const struct fix_plan *p)
{
	struct portset set = p->live_before;

	portset_subtract(&set, &p->live_after);
	return set;
}

/*
 * The live value could not be written (error k) and the plan releases ports:
 * the current fragment, the only record of them, stays (see fix_execute()).
 */
static int keep_record(const struct fix_plan *p, struct fix_result *res, int k)
{
	struct portset set = released(p);
	char list[128];

	res->failed = true;
	res->write_error = k;
	res->write_step = "keep the record of the ports to release";
	portset_format_cut(&set, list, sizeof(list));
	return diag_add(&res->problems, res->fragment_shown, 0, 0,
			"not written, since the live value could not be set and this fragment is the only record of %s, which portaudit reserved and releases; the previous fragment is unchanged, and the next run that can set the live value finishes both",
			list);
}

/* Write the live value from offset 0 (sysctl_write() resumes after a short count). */
static int write_live(const struct root *r, const struct fix_plan *p)
{
	_cleanup_free_ char *value = NULL;
	size_t len;

	/* With its newline: the kernel ignores an empty write instead of clearing the set. */
	if (portset_format_kernel(&p->live_after, &value, &len) < 0)
		return -ENOMEM;
	return sysctl_write(r, SYSCTL_RESERVED_PORTS, value, len);
}

/* Read the live value back into res->live_read. */
static int read_live(const struct root *r, struct fix_result *res)
{
	_cleanup_free_ char *back = NULL;
	size_t blen;
	int k;

	k = sysctl_read(r, SYSCTL_RESERVED_PORTS, &back, &blen);
	if (k == 0 && portset_parse(back, blen, &res->live_read, NULL) < 0)
		k = -EBADMSG;
	return k;
}

/*
 * Judge the live write (write_k) and its read-back (read_k) once the fragment
 * is dealt with, so that a problem can say whether the fragment was written.
 */
static int check_live(const struct fix_plan *p, struct fix_result *res, int write_k, int read_k)
{
	int k = write_k < 0 ? write_k : read_k;

	if (write_k == 0 && read_k < 0) {
		/* The kernel took the whole value (sysctl_write() succeeded): it is set. */
		res->failed = true;
		res->apply_error = read_k;
		return diag_add(&res->problems, res->live_shown, 0, 0,
				"written, but cannot read it back to verify it (%s)", strerror(-read_k));
	}
	if (k < 0) {
		const char *hint = "";

		res->failed = true;
		res->apply_error = k;
		if (k == -EROFS)
			hint = ": /proc/sys is read-only here (a container?)";
		else if (k == -EPERM || k == -EACCES)
			hint = ": not permitted (portaudit needs root, or CAP_NET_ADMIN over this network namespace)";
		return diag_add(&res->problems, res->live_shown, 0, 0,
				"not set (%s%s); %s", strerror(-k), hint,
				res->written ? "the fragment is written and takes effect at the next boot"
					     : "nothing was changed");
	}
	if (!portset_equal(&res->live_read, &p->live_after)) {
		res->failed = true;
		res->apply_error = -EIO;
		return diag_add(&res->problems, res->live_shown, 0, 0,
				"reads back as a different set than was written (%u ports instead of %u): another writer at the same time?",
				portset_count(&res->live_read), portset_count(&p->live_after));
	}
	res->applied = true;
	return 0;
}

/* The file that would still win over the fragment at the next boot: a problem, and failed. */
static int overridden(const struct fix_plan *p, struct fix_result *res)
{
	const struct fix_override *o = &p->overrides[SYSCTLD_SYSTEMD];
	char list[128];

	portset_format_cut(&o->dropped, list, sizeof(list));
	res->failed = true;
	if (o->source && o->excluded)
		return diag_add(&res->problems, o->source, o->line, 0,
				"\"-net.ipv4.ip_local_reserved_ports\" after %s cancels every earlier assignment of the key under systemd-sysctl, so %s stays unreserved at the next boot: remove the line",
				res->fragment_shown, list);
	if (o->source)
		return diag_add(&res->problems, o->source, o->line, 0,
				"%s net.ipv4.ip_local_reserved_ports after %s, so systemd-sysctl leaves %s unreserved at the next boot: add them to it, or remove the assignment",
				o->refused ? "assigns a value the kernel refuses to" : "assigns",
				res->fragment_shown, list);
	return diag_add(&res->problems, res->fragment_shown, 0, 0,
			"systemd-sysctl would leave %s unreserved at the next boot", list);
}

int fix_execute(const struct root *r, const struct fix_plan *p, struct fix_result *res)
{
	bool apply = !res->dry_run && !res->no_apply && !res->offline;
	int k, write_k = 0, read_k = 0;

	res->plan = p;
	if (p->skip != FIX_SKIP_NONE)
		return 0;
	/*
	 * The live value goes first.  live_after releases the ports only the current
	 * fragment reserves, and that fragment is the only record of them: replaced
	 * before they are released, by a run that then fails or is killed, it would
	 * leave them reserved until the next boot, since the next run reads the new
	 * fragment and no longer knows them.  Written first, the next run still reads
	 * the old fragment, plans the same live value and writes the fragment.
	 */
	if (apply && p->live_changed) {
		res->apply_attempted = true;
		write_k = write_live(r, p);
		if (write_k == 0)
			read_k = read_live(r, res);
		if (write_k == -ENOMEM || read_k == -ENOMEM)
			return -ENOMEM;
	}
	if (p->text && p->fragment_changed) {
		k = refuse(p, res);
		if (k == 0 && !res->failed && !res->dry_run) {
			struct portset set = released(p);

			/*
			 * Replaced now, it would forget them while they are still
			 * reserved; a fragment is still written when nothing is
			 * released (a read-only /proc/sys in a container).
			 */
			if (write_k < 0 && !portset_is_empty(&set))
				k = keep_record(p, res, write_k);
			else
				k = write_fragment(r, p, res);
		}
		if (k == -ENOMEM)
			return k;
	}
	/* Worth saying once the fragment is (or would be) in place. */
	if (p->overridden[SYSCTLD_SYSTEMD] && (!res->write_error || res->written)) {
		k = overridden(p, res);
		if (k == -ENOMEM)
			return k;
	}
	if (!apply)
		return 0;
	if (!p->live_changed) {
		res->applied = true;
		res->live_read = p->live_after;
		return 0;
	}
	return check_live(p, res, write_k, read_k);
}

int fix_result_init(struct fix_result *res, const struct root *r, bool dry_run, bool no_apply)
{
	*res = (struct fix_result){ .dry_run = dry_run, .no_apply = no_apply, .offline = !r->live };
	diag_init(&res->problems, 0);
	res->fragment_shown = root_display_path(r, FIX_FRAGMENT_PATH);
	res->live_shown = root_display_path(r, FIX_RESERVED_PROC);
	if (!res->fragment_shown || !res->live_shown) {
		fix_result_done(res);
		return -ENOMEM;
	}
	return 0;
}

void fix_result_done(struct fix_result *res)
{
	diag_done(&res->problems);
	free(res->fragment_shown);
	free(res->live_shown);
	free(res->diff);
	free(res->lock_note);
	*res = (struct fix_result){ 0 };
}
