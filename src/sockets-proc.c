/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "portaudit/sockets.h"

/* A /proc/net file is read whole; 256 MiB is about 1.5 million sockets. */
#define PROCNET_FILE_MAX (256u * 1024u * 1024u)
/* The kernel's lines are under 200 bytes (tcp6 is the longest). */
#define PROCNET_LINE_MAX 4096u
/* sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode */
#define PROCNET_FIELDS 10u
/* How much of a bad value a note quotes. */
#define QUOTE_MAX 48u

enum {
	FIELD_SL = 0,
	FIELD_LOCAL = 1,
	FIELD_REMOTE = 2,
	FIELD_STATE = 3,
	FIELD_UID = 7,
	FIELD_INODE = 9,
};

struct field {
	const char *p;
	size_t len;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 8 hex digits as a u32; false otherwise. */
static bool parse_hex32(const char *p, uint32_t *ret)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 8; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	*ret = v;
	return true;
}

/* A decimal number up to max; false otherwise. */
static bool parse_dec(const struct field *f, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (f->len == 0)
		return false;
	for (size_t i = 0; i < f->len; i++) {
		unsigned d;

		if (f->p[i] < '0' || f->p[i] > '9')
			return false;
		d = (unsigned)(f->p[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

enum endpoint_error {
	ENDPOINT_OK,
	ENDPOINT_BAD,        /* not "HEX:HEX" of the family's width */
	ENDPOINT_PORT_RANGE, /* a port above 0xFFFF */
};

/*
 * "0100007F:0050": the address as the kernel prints it, one %08X per 32-bit word
 * of the address as stored (network order) read as a native integer; storing
 * each parsed word back natively restores the bytes on any endianness
 * (REFERENCE §4.1).  The port is already in host order.
 */
static enum endpoint_error parse_endpoint(const struct field *f, int family, uint8_t addr[16],
					  uint16_t *ret_port)
{
	size_t alen = family == AF_INET ? 8 : 32, plen;
	const char *port;
	uint32_t v = 0;

	if (f->len < alen + 2 || f->p[alen] != ':')
		return ENDPOINT_BAD;
	memset(addr, 0, 16);
	for (size_t i = 0; i < alen / 8; i++) {
		uint32_t w;

		if (!parse_hex32(f->p + 8 * i, &w))
			return ENDPOINT_BAD;
		memcpy(addr + 4 * i, &w, sizeof(w));
	}
	port = f->p + alen + 1;
	plen = f->len - alen - 1;
	for (size_t i = 0; i < plen; i++) {
		int h = hexval(port[i]);

		if (h < 0)
			return ENDPOINT_BAD;
		v = v > 0xFFFFu ? v : v << 4 | (uint32_t)h; /* saturate: rejected below */
	}
	if (v > 0xFFFFu)
		return ENDPOINT_PORT_RANGE;
	*ret_port = (uint16_t)v;
	return ENDPOINT_OK;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Note a problem with line n; a full list is fine, only -ENOMEM is returned. */
_printf_(4, 5) static int note_line(struct diag *notes, const char *file, unsigned n,
				    const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (k < 0)
		return 0;
	return diag_add(notes, file, n, 0, "%s, skipping", msg) == -ENOMEM ? -ENOMEM : 0;
}

static const char *quote(const struct field *f, char *buf, size_t size)
{
	return diag_quote(f->p, f->len, QUOTE_MAX, buf, size);
}

/* Parse one line (without its newline) into *rec: 1 a record, 0 skipped, or -ENOMEM. */
static int parse_line(const char *line, size_t len, unsigned n, const char *file, int family,
		      enum proto proto, struct diag *notes, struct sockrec *rec)
{
	struct field fields[PROCNET_FIELDS], sl;
	char q[4 * QUOTE_MAX + 8];
	unsigned nf = 0;
	uint64_t slot, uid, inode;
	uint32_t state;
	int h1, h2;

	if (len > PROCNET_LINE_MAX)
		return note_line(notes, file, n, "line too long (%zu bytes)", len);

	for (size_t i = 0; i < len && nf < PROCNET_FIELDS;) {
		size_t start;

		while (i < len && is_blank(line[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank(line[i]))
			i++;
		fields[nf++] = (struct field){ line + start, i - start };
	}
	if (nf == 0)
		return 0; /* a blank line */
	/* The header: "  sl  local_address rem_address   st tx_queue ..." */
	if (n == 1 && fields[0].len == 2 && memcmp(fields[0].p, "sl", 2) == 0)
		return 0;
	if (nf < PROCNET_FIELDS)
		return note_line(notes, file, n, "expected at least %u fields, found %u",
				 PROCNET_FIELDS, nf);

	/* "%4d:" of a row counter or hash slot. */
	sl = (struct field){ fields[FIELD_SL].p, fields[FIELD_SL].len - 1 };
	if (fields[FIELD_SL].p[sl.len] != ':' || !parse_dec(&sl, UINT32_MAX, &slot))
		return note_line(notes, file, n, "bad slot '%s'",
				 quote(&fields[FIELD_SL], q, sizeof(q)));

	*rec = (struct sockrec){
		.family = (uint8_t)family,
		.proto = (uint8_t)proto,
		.v6only = -1,
	};
	for (unsigned i = FIELD_LOCAL; i <= FIELD_REMOTE; i++) {
		const char *which = i == FIELD_LOCAL ? "local" : "remote";
		enum endpoint_error e;

		if (i == FIELD_LOCAL)
			e = parse_endpoint(&fields[i], family, rec->laddr, &rec->lport);
		else
			e = parse_endpoint(&fields[i], family, rec->raddr, &rec->rport);
		if (e == ENDPOINT_BAD)
			return note_line(notes, file, n, "bad %s address '%s'", which,
					 quote(&fields[i], q, sizeof(q)));
		if (e == ENDPOINT_PORT_RANGE)
			return note_line(notes, file, n, "%s port out of range in '%s'", which,
					 quote(&fields[i], q, sizeof(q)));
	}

	/* "%02X" of the kernel state; 0C (NEW_SYN_RECV) is printed as 03. */
	h1 = fields[FIELD_STATE].len == 2 ? hexval(fields[FIELD_STATE].p[0]) : -1;
	h2 = fields[FIELD_STATE].len == 2 ? hexval(fields[FIELD_STATE].p[1]) : -1;
	state = h1 < 0 || h2 < 0 ? 0 : (uint32_t)(h1 << 4 | h2);
	if (state == 0 || state > SOCKREC_STATE_MAX)
		return note_line(notes, file, n, "bad state '%s'",
				 quote(&fields[FIELD_STATE], q, sizeof(q)));
	rec->state = (uint8_t)state;

	if (!parse_dec(&fields[FIELD_UID], UINT32_MAX, &uid))
		return note_line(notes, file, n, "bad uid '%s'",
				 quote(&fields[FIELD_UID], q, sizeof(q)));
	if (!parse_dec(&fields[FIELD_INODE], UINT64_MAX, &inode))
		return note_line(notes, file, n, "bad inode '%s'",
				 quote(&fields[FIELD_INODE], q, sizeof(q)));
	rec->uid = (uint32_t)uid;
	rec->inode = inode;
	return 1;
}

int procnet_parse_buffer(const char *buf, size_t len, const char *file, int family,
			 enum proto proto, int (*cb)(const struct sockrec *s, void *userdata),
			 void *userdata, struct diag *notes)
{
	size_t pos = 0;
	unsigned n = 0;

	if ((family != AF_INET && family != AF_INET6) || (proto != PROTO_TCP && proto != PROTO_UDP))
		return -EINVAL;

	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		struct sockrec rec;
		int k;

		pos += llen + (nl ? 1 : 0);
		if (n < UINT_MAX)
			n++;
		k = parse_line(line, llen, n, file, family, proto, notes, &rec);
		if (k < 0)
			return k;
		if (k == 0)
			continue;
		k = cb(&rec, userdata);
		if (k < 0)
			return k;
	}
	return 0;
}

struct add_ctx {
	struct sockets *s;
	const struct portset *held_ports;
};

static int add_record(const struct sockrec *rec, void *userdata)
{
	struct add_ctx *c = userdata;

	return sockets_add(c->s, c->held_ports, rec);
}

static const struct {
	const char *path;
	int family;
	enum proto proto;
} procnet_files[] = {
	{ "/proc/net/tcp", AF_INET, PROTO_TCP },
	{ "/proc/net/tcp6", AF_INET6, PROTO_TCP },
	{ "/proc/net/udp", AF_INET, PROTO_UDP },
	{ "/proc/net/udp6", AF_INET6, PROTO_UDP },
};

/* Read and parse one file: 1 done, 0 missing (noted), or a negative errno (noted). */
static int read_one(const struct root *r, size_t i, struct add_ctx *c, struct diag *notes)
{
	_cleanup_free_ char *display = NULL, *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len;
	int k;

	display = root_display_path(r, procnet_files[i].path);
	if (!display)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO planted in an offline tree must not hang the open. */
	k = root_open(r, procnet_files[i].path, O_RDONLY | O_NONBLOCK, &fd);
	if (k == -ENOENT) {
		k = diag_add(notes, display, 0, 0, "missing, its sockets are not listed");
		return k == -ENOMEM ? k : 0;
	}
	/*
	 * procfs files are regular; a FIFO or /dev/zero in a tree is no socket table
	 * (a directory fails the read with EISDIR).
	 */
	if (k >= 0 && fstat(fd, &st) < 0)
		k = -errno;
	if (k >= 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		k = -EBADFD;
	/* A tree's file has its size (procfs says 0): too large is known before reading. */
	if (k >= 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > PROCNET_FILE_MAX)
		k = -EFBIG;
	if (k >= 0)
		k = root_read_fd(fd, 0, PROCNET_FILE_MAX, &buf, &len);
	if (k < 0 && k != -ENOMEM &&
	    diag_add(notes, display, 0, 0, "cannot read: %s",
		     k == -EBADFD ? "not a regular file" : strerror(-k)) == -ENOMEM)
		return -ENOMEM;
	if (k < 0)
		return k;
	k = procnet_parse_buffer(buf, len, display, procnet_files[i].family,
				 procnet_files[i].proto, add_record, c, notes);
	return k < 0 ? k : 1;
}

int sockets_proc_read(const struct root *r, const struct portset *held_ports, struct diag *notes,
		      struct sockets *s)
{
	struct add_ctx c = { s, held_ports };
	unsigned found = 0;

	for (size_t i = 0; i < ARRAY_SIZE(procnet_files); i++) {
		int k = read_one(r, i, &c, notes);

		if (k < 0)
			return k;
		found += (unsigned)k;
	}
	/* The running system without /proc/net: nothing to audit is not "no sockets". */
	if (r->live && found == 0)
		return -ENOENT;
	/* /proc/net cannot show TCP sockets that are only bound (REFERENCE §4.3). */
	s->bound_inactive = false;
	return 0;
}
