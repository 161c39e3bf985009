/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procnet_parse_buffer() on arbitrary bytes, as each of /proc/net/tcp, tcp6,
 * udp and udp6.  Checked beyond "no crash": only -ENOMEM may fail a parse;
 * every record has the file's family and protocol, a state 1..12, no v6only
 * or ifindex (procfs has neither) and, for IPv4, nothing past the fourth
 * address byte; each line yields at most one record or one note, with a line
 * number inside the input; and a record printed back the way the kernel
 * prints it parses into the same record.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "portaudit/sockets.h"

#include "fuzz.h"

struct ctx {
	int family;
	enum proto proto;
	size_t n;
	struct sockrec last;
};

static const uint8_t zero[16];

static int check_record(const struct sockrec *s, void *userdata)
{
	struct ctx *c = userdata;

	FUZZ_CHECK(s->family == c->family, "family %u, want %d", s->family, c->family);
	FUZZ_CHECK(s->proto == c->proto, "proto %u, want %d", s->proto, c->proto);
	FUZZ_CHECK(s->state >= 1 && s->state <= SOCKREC_STATE_MAX, "state %u", s->state);
	FUZZ_CHECK(s->v6only == -1, "v6only %d from procfs", s->v6only);
	FUZZ_CHECK(s->ifindex == 0, "ifindex %u from procfs", s->ifindex);
	if (s->family == AF_INET)
		FUZZ_CHECK(!memcmp(s->laddr + 4, zero, 12) && !memcmp(s->raddr + 4, zero, 12),
			   "IPv4 record with bytes past the address");
	c->n++;
	c->last = *s;
	return 0;
}

/* One line as get_tcp4_sock() / udp4_format_sock() and their IPv6 twins print it. */
static int print_line(const struct sockrec *s, char *buf, size_t size)
{
	char l[33], r[33];
	size_t words = s->family == AF_INET ? 1 : 4;

	for (size_t i = 0; i < words; i++) {
		uint32_t lw, rw;

		memcpy(&lw, s->laddr + 4 * i, 4);
		memcpy(&rw, s->raddr + 4 * i, 4);
		snprintf(l + 8 * i, 9, "%08X", lw);
		snprintf(r + 8 * i, 9, "%08X", rw);
	}
	return snprintf(buf, size,
			"%4d: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 00000000 %5u        0 %llu 2 0000000000000000 0\n",
			0, l, s->lport, r, s->rport, s->state, s->uid, (unsigned long long)s->inode);
}

static void check_one(const uint8_t *data, size_t size, int family, enum proto proto)
{
	struct ctx c = { .family = family, .proto = proto };
	struct diag notes;
	size_t lines = 0;
	int k;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size > 0 && data[size - 1] != '\n')
		lines++;

	diag_init(&notes, 0);
	k = procnet_parse_buffer((const char *)data, size, "F", family, proto, check_record, &c,
				 &notes);
	if (k == -ENOMEM) {
		diag_done(&notes);
		return;
	}
	FUZZ_CHECK(k == 0, "procnet_parse_buffer() returned %d", k);
	FUZZ_CHECK(c.n + notes.total <= lines, "%zu records and %zu notes from %zu lines", c.n,
		   notes.total, lines);
	for (size_t i = 0; i < notes.n; i++)
		FUZZ_CHECK(notes.entries[i].line >= 1 && notes.entries[i].line <= lines,
			   "note on line %u of %zu", notes.entries[i].line, lines);
	diag_done(&notes);

	if (c.n > 0) {
		struct ctx again = { .family = family, .proto = proto };
		char line[512];
		int n = print_line(&c.last, line, sizeof(line));

		FUZZ_CHECK(n > 0 && (size_t)n < sizeof(line), "printed line of %d bytes", n);
		diag_init(&notes, 0);
		k = procnet_parse_buffer(line, (size_t)n, "F", family, proto, check_record, &again,
					 &notes);
		FUZZ_CHECK(k == 0 || k == -ENOMEM, "reparse returned %d", k);
		if (k == 0) {
			FUZZ_CHECK(notes.total == 0 && again.n == 1,
				   "reparse of '%.*s': %zu records, %zu notes", n - 1, line,
				   again.n, notes.total);
			FUZZ_CHECK(memcmp(&again.last, &c.last, sizeof(c.last)) == 0,
				   "reparse of '%.*s' differs", n - 1, line);
		}
		diag_done(&notes);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_one(data, size, AF_INET, PROTO_TCP);
	check_one(data, size, AF_INET6, PROTO_TCP);
	check_one(data, size, AF_INET, PROTO_UDP);
	check_one(data, size, AF_INET6, PROTO_UDP);
	return 0;
}
