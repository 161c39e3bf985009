/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

/*
 * Without this, sd_journal_sendv() is a macro adding CODE_FILE, CODE_LINE and
 * CODE_FUNC, which would always name this file: they tell the reader nothing.
 */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "portaudit/fix.h"
#include "portaudit/report.h"
#include "portaudit/snapshot.h"

/* syslog(3) priorities, as the journal's PRIORITY= field wants them. */
static const int severity_priority[_SEVERITY_MAX] = {
	[SEVERITY_ERROR] = 3,   /* LOG_ERR */
	[SEVERITY_WARNING] = 4, /* LOG_WARNING */
	[SEVERITY_INFO] = 6,    /* LOG_INFO */
};
#define PRIORITY_NOTICE 5 /* LOG_NOTICE: the summary of a run with findings */

/* The "KEY=value" fields of one journal entry. */
struct fields {
	char **v;
	size_t n, cap;
};

static void fields_done(struct fields *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		free(fl->v[i]);
	free(fl->v);
	*fl = (struct fields){ 0 };
}

static int fields_take(struct fields *fl, char *field)
{
	if (!field)
		return -ENOMEM;
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 16;
		char **v = reallocarray(fl->v, cap, sizeof(*v));

		if (!v) {
			free(field);
			return -ENOMEM;
		}
		fl->v = v;
		fl->cap = cap;
	}
	fl->v[fl->n++] = field;
	return 0;
}

_printf_(2, 3) static int fields_add(struct fields *fl, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return fields_take(fl, n < 0 ? NULL : s);
}

/* "PORTAUDIT_EVIDENCE=<line>", as long as the line is. */
static int fields_add_evidence(struct fields *fl, const struct snapshot *snap,
			       const struct evidence *e)
{
	static const char key[] = "PORTAUDIT_EVIDENCE=";
	size_t n = report_evidence_line(snap, e, NULL, 0);
	char *s = malloc(sizeof(key) + n);

	if (!s)
		return -ENOMEM;
	memcpy(s, key, sizeof(key) - 1);
	report_evidence_line(snap, e, s + sizeof(key) - 1, n + 1);
	return fields_take(fl, s);
}

/* Send one entry; sd_journal_sendv() sends values holding newlines in its binary form. */
static int fields_send(const struct fields *fl)
{
	_cleanup_free_ struct iovec *iov = calloc(fl->n, sizeof(*iov));

	if (!iov)
		return -ENOMEM;
	for (size_t i = 0; i < fl->n; i++)
		iov[i] = (struct iovec){ .iov_base = fl->v[i], .iov_len = strlen(fl->v[i]) };
	return sd_journal_sendv(iov, (int)fl->n);
}

/* The fields of one finding (see report_journal() in report.h). */
static int finding_fields(const struct report_input *in, const struct finding *fd,
			  struct fields *fl)
{
	const char *id = finding_id_to_string(fd->id);
	const char *message_id = finding_id_message_id(fd->id);
	const char *sev = severity_to_string(fd->severity);
	const char *proto = fd->proto >= 0 ? proto_to_string((enum proto)fd->proto) : NULL;
	_cleanup_free_ char *ports = NULL;
	const char *msg = fd->message ? fd->message : "";
	int r;

	if (!id || !message_id || !sev)
		return -EINVAL;
	if (fd->ports)
		ports = strdup(fd->ports);
	else if (fd->port && asprintf(&ports, "%u", fd->port) < 0)
		ports = NULL;
	if ((fd->ports || fd->port) && !ports)
		return -ENOMEM;

	/* MESSAGE says what the text report's first line says, uncut. */
	if (fd->service && proto && ports)
		r = fields_add(fl, "MESSAGE=portaudit: %s: %s %s/%s: %s", id, fd->service, proto,
			       ports, msg);
	else if (fd->service && ports)
		r = fields_add(fl, "MESSAGE=portaudit: %s: %s port %s: %s", id, fd->service, ports,
			       msg);
	else if (fd->service)
		r = fields_add(fl, "MESSAGE=portaudit: %s: %s: %s", id, fd->service, msg);
	else if (proto && ports)
		r = fields_add(fl, "MESSAGE=portaudit: %s: %s/%s: %s", id, proto, ports, msg);
	else if (ports)
		r = fields_add(fl, "MESSAGE=portaudit: %s: port %s: %s", id, ports, msg);
	else
		r = fields_add(fl, "MESSAGE=portaudit: %s: %s", id, msg);
	if (r < 0 || (r = fields_add(fl, "MESSAGE_ID=%s", message_id)) < 0 ||
	    (r = fields_add(fl, "PRIORITY=%d", severity_priority[fd->severity])) < 0 ||
	    (r = fields_add(fl, "SYSLOG_IDENTIFIER=portaudit")) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_ID=%s", id)) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_SEVERITY=%s", sev)) < 0)
		return r;
	if (fd->service && (r = fields_add(fl, "PORTAUDIT_SERVICE=%s", fd->service)) < 0)
		return r;
	if (fd->port && (r = fields_add(fl, "PORTAUDIT_PORT=%u", fd->port)) < 0)
		return r;
	if (ports && (r = fields_add(fl, "PORTAUDIT_PORTS=%s", ports)) < 0)
		return r;
	if (proto && (r = fields_add(fl, "PORTAUDIT_PROTOCOL=%s", proto)) < 0)
		return r;
	if (fd->remediation && fd->remediation[0] &&
	    (r = fields_add(fl, "PORTAUDIT_REMEDIATION=%s", fd->remediation)) < 0)
		return r;
	for (size_t i = 0; i < fd->n_evidence; i++)
		if ((r = fields_add_evidence(fl, in->snap, &fd->evidence[i])) < 0)
			return r;
	return 0;
}

/* What --fix did, on the summary entry: PORTAUDIT_FIX_* fields. */
static int fix_fields(const struct fix_result *res, struct fields *fl)
{
	const struct fix_plan *p = res->plan;
	_cleanup_free_ char *reserved = NULL;
	char line[2048];
	int r;

	if (!p)
		return 0;
	if ((r = fields_add(fl, "PORTAUDIT_FIX_CHANGED=%d",
			    res->written || (res->applied && p->live_changed))) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_FIX_FAILED=%d", res->failed)) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_FIX_WRITTEN=%d", res->written)) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_FIX_APPLIED=%d", res->applied)) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_FIX_FRAGMENT=%s", res->fragment_shown)) < 0)
		return r;
	if (p->text) {
		if (portset_format_alloc(&p->fragment, &reserved) < 0)
			return -ENOMEM;
		if ((r = fields_add(fl, "PORTAUDIT_FIX_RESERVED=%s", reserved)) < 0)
			return r;
	}
	for (size_t i = 0; i < res->problems.n; i++) {
		diag_format(&res->problems.entries[i], line, sizeof(line));
		if ((r = fields_add(fl, "PORTAUDIT_FIX_ERROR=%s", line)) < 0)
			return r;
	}
	return 0;
}

static int summary_fields(const struct report_input *in, const struct findings *fs,
			  struct fields *fl)
{
	size_t count[_SEVERITY_MAX] = { 0 };
	int r;

	for (size_t i = 0; i < fs->n; i++)
		if ((unsigned)fs->v[i].severity < _SEVERITY_MAX)
			count[fs->v[i].severity]++;
	if (fs->n == 0)
		r = fields_add(fl, "MESSAGE=portaudit: no findings");
	else
		r = fields_add(fl, "MESSAGE=portaudit: %zu finding%s: %zu error%s, %zu warning%s, %zu info",
			       fs->n, fs->n == 1 ? "" : "s", count[SEVERITY_ERROR],
			       count[SEVERITY_ERROR] == 1 ? "" : "s", count[SEVERITY_WARNING],
			       count[SEVERITY_WARNING] == 1 ? "" : "s", count[SEVERITY_INFO]);
	if (r < 0 ||
	    (r = fields_add(fl, "PRIORITY=%d",
			    in->fix && in->fix->failed ? severity_priority[SEVERITY_ERROR] :
			    fs->n			 ? PRIORITY_NOTICE :
							   severity_priority[SEVERITY_INFO])) < 0 ||
	    (r = fields_add(fl, "SYSLOG_IDENTIFIER=portaudit")) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_FINDINGS=%zu", fs->n)) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_ERRORS=%zu", count[SEVERITY_ERROR])) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_WARNINGS=%zu", count[SEVERITY_WARNING])) < 0 ||
	    (r = fields_add(fl, "PORTAUDIT_INFOS=%zu", count[SEVERITY_INFO])) < 0)
		return r;
	if (in->snap && in->snap->root &&
	    (r = fields_add(fl, "PORTAUDIT_ROOT=%s", in->snap->root)) < 0)
		return r;
	if (in->fix)
		return fix_fields(in->fix, fl);
	return 0;
}

int report_journal(const struct report_input *in)
{
	static const struct findings none = { 0 };
	const struct findings *fs = in->findings ? in->findings : &none;
	int ret = 0, r;

	/* Every entry is tried; the first failure to send is the result. */
	for (size_t i = 0; i <= fs->n; i++) {
		struct fields fl = { 0 };

		if (i < fs->n)
			r = finding_fields(in, &fs->v[i], &fl);
		else
			r = summary_fields(in, fs, &fl);
		if (r == -ENOMEM) {
			fields_done(&fl);
			return r;
		}
		if (r == 0)
			r = fields_send(&fl);
		fields_done(&fl);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

bool report_journal_stream(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	char *end;

	/* systemd.exec(5): "DEVICE:INODE", both decimal, of the stream stdout/stderr is. */
	if (!e || e[0] < '0' || e[0] > '9')
		return false;
	errno = 0;
	dev = strtoumax(e, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	ino = strtoumax(end + 1, &end, 10);
	if (errno || *end)
		return false;
	for (int fd = 1; fd <= 2; fd++) {
		struct stat st;

		if (fstat(fd, &st) == 0 && (uintmax_t)st.st_dev == dev &&
		    (uintmax_t)st.st_ino == ino)
			return true;
	}
	return false;
}
