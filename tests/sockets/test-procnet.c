/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The /proc/net parser on hand-written buffers (lines as a 6.18 kernel printed
 * them, then damaged), the shared filter, the record helpers, and sockets_read()
 * on an offline root built in a temporary directory.  The address fields are
 * what a little-endian kernel prints (REFERENCE §4.1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "portaudit/sockets.h"

#define MAX_RECORDS 64

struct collected {
	struct sockrec v[MAX_RECORDS];
	size_t n;
};

static int collect(const struct sockrec *s, void *userdata)
{
	struct collected *c = userdata;

	assert_true(c->n < MAX_RECORDS);
	c->v[c->n++] = *s;
	return 0;
}

/* Parse text as file "F" and return the records; notes go to *notes. */
static int parse(const char *text, int family, enum proto proto, struct collected *c,
		 struct diag *notes)
{
	memset(c, 0, sizeof(*c));
	diag_init(notes, 50);
	return procnet_parse_buffer(text, strlen(text), "F", family, proto, collect, c, notes);
}

static const char *note_text(const struct diag *d, size_t i, char *buf, size_t size)
{
	assert_true(i < d->n);
	diag_format(&d->entries[i], buf, size);
	return buf;
}

static void assert_addr(int family, const uint8_t *got, const char *want)
{
	uint8_t w[16] = { 0 };

	assert_int_equal(inet_pton(family, want, w), 1);
	assert_memory_equal(got, w, 16);
}

static void assert_rec(const struct sockrec *s, int family, enum proto proto, unsigned state,
		       const char *laddr, unsigned lport, const char *raddr, unsigned rport,
		       unsigned uid, uint64_t inode)
{
	assert_int_equal(s->family, family);
	assert_int_equal(s->proto, proto);
	assert_int_equal(s->state, state);
	assert_addr(family, s->laddr, laddr);
	assert_int_equal(s->lport, lport);
	assert_addr(family, s->raddr, raddr);
	assert_int_equal(s->rport, rport);
	assert_int_equal(s->uid, uid);
	assert_int_equal(s->inode, inode);
	assert_int_equal(s->v6only, -1);
	assert_int_equal(s->ifindex, 0);
}

static const char tcp4[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
	"   0: 0100007F:1388 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 210324 2 00000000007daa77 100 0 0 10 0                    \n"
	"   1: 0100007F:1388 0100007F:A3EA 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000016d44c7f 20 0 0 10 -1                         \n"
	"   2: 0100007F:A242 0100007F:138D 06 00000000:00000000 03:0000173F 00000000     0        0 0 3 000000005e34c63e                                      \n"
	"   3: 0100007F:A3EA 0100007F:1388 01 00000000:00000000 00:00000000 00000000  1000        0 210326 2 000000007ca75b60 20 0 0 10 -1                    \n"
	"   4: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4294967296 1 0000000000000000 100 0 0 10 0\n";

static void test_tcp4(void **state)
{
	struct collected c;
	struct diag notes;

	assert_int_equal(parse(tcp4, AF_INET, PROTO_TCP, &c, &notes), 0);
	assert_int_equal(notes.total, 0);
	assert_int_equal(c.n, 5);
	assert_rec(&c.v[0], AF_INET, PROTO_TCP, 10, "127.0.0.1", 5000, "0.0.0.0", 0, 0, 210324);
	/* Not yet accepted: no struct socket, so inode 0. */
	assert_rec(&c.v[1], AF_INET, PROTO_TCP, 1, "127.0.0.1", 5000, "127.0.0.1", 41962, 0, 0);
	assert_rec(&c.v[2], AF_INET, PROTO_TCP, 6, "127.0.0.1", 41538, "127.0.0.1", 5005, 0, 0);
	assert_rec(&c.v[3], AF_INET, PROTO_TCP, 1, "127.0.0.1", 41962, "127.0.0.1", 5000, 1000,
		   210326);
	/* Inodes are unsigned long: wider than 32 bits is fine. */
	assert_rec(&c.v[4], AF_INET, PROTO_TCP, 10, "0.0.0.0", 22, "0.0.0.0", 0, 0,
		   UINT64_C(4294967296));
	diag_done(&notes);
}

static const char tcp6[] =
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 00000000000000000000000000000000:138B 00000000000000000000000000000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 210325 2 00000000d835e87f 100 0 0 10 0\n"
	"   1: 00000000000000000000000001000000:138C 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 210330 2 0000000000000000 100 0 0 10 0\n"
	"   2: 0000000000000000FFFF00000100007F:138B 0000000000000000FFFF00000100007F:A05C 01 00000000:00000000 00:00000000 00000000     0        0 0 1 00000000fab1b919 20 0 0 10 -1\n"
	"   3: 00000000000000000000000001000000:A10E 00000000000000000000000001000000:138E 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n"
	"   4: B80D0120000000000000000001000000:0050 B80D0120000000000000000002000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 20 0 0 10 -1\n";

static void test_tcp6(void **state)
{
	struct collected c;
	struct diag notes;

	assert_int_equal(parse(tcp6, AF_INET6, PROTO_TCP, &c, &notes), 0);
	assert_int_equal(notes.total, 0);
	assert_int_equal(c.n, 5);
	assert_rec(&c.v[0], AF_INET6, PROTO_TCP, 10, "::", 5003, "::", 0, 0, 210325);
	assert_rec(&c.v[1], AF_INET6, PROTO_TCP, 10, "::1", 5004, "::", 0, 101, 210330);
	assert_rec(&c.v[2], AF_INET6, PROTO_TCP, 1, "::ffff:127.0.0.1", 5003, "::ffff:127.0.0.1",
		   41052, 0, 0);
	assert_rec(&c.v[3], AF_INET6, PROTO_TCP, 6, "::1", 41230, "::1", 5006, 0, 0);
	assert_rec(&c.v[4], AF_INET6, PROTO_TCP, 1, "2001:db8::1", 80, "2001:db8::2", 50000, 0, 77);
	diag_done(&notes);
}

static const char udp4[] =
	"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n"
	" 8823: 00000000:14B4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 210344 2 00000000fc864423 0        \n"
	"12738: 0100007F:A3FF 0100007F:14B4 01 00000000:00000000 00:00000000 00000000    65534        0 210346 2 0000000078ee377d 0        \n";

static const char udp6[] =
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
	" 8824: 00000000000000000000000001000000:14B5 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 210345 2 00000000fe23f19c 0\n"
	"12338: 0000000000000000FFFF00000100007F:A26F 0000000000000000FFFF00000100007F:14B4 01 00000000:00000000 00:00000000 00000000     0        0 210347 2 000000009cb72f2e 0\n";

static void test_udp(void **state)
{
	struct collected c;
	struct diag notes;

	assert_int_equal(parse(udp4, AF_INET, PROTO_UDP, &c, &notes), 0);
	assert_int_equal(notes.total, 0);
	assert_int_equal(c.n, 2);
	assert_rec(&c.v[0], AF_INET, PROTO_UDP, 7, "0.0.0.0", 5300, "0.0.0.0", 0, 0, 210344);
	assert_rec(&c.v[1], AF_INET, PROTO_UDP, 1, "127.0.0.1", 41983, "127.0.0.1", 5300, 65534,
		   210346);
	diag_done(&notes);

	assert_int_equal(parse(udp6, AF_INET6, PROTO_UDP, &c, &notes), 0);
	assert_int_equal(notes.total, 0);
	assert_int_equal(c.n, 2);
	assert_rec(&c.v[0], AF_INET6, PROTO_UDP, 7, "::1", 5301, "::", 0, 0, 210345);
	assert_rec(&c.v[1], AF_INET6, PROTO_UDP, 1, "::ffff:127.0.0.1", 41583, "::ffff:127.0.0.1",
		   5300, 0, 210347);
	diag_done(&notes);
}

#define GOOD4 "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0\n"

static void test_malformed(void **state)
{
	char huge[5000 + 2];
	char *text;
	struct collected c;
	struct diag notes;
	char b[512];

	memset(huge, 'x', sizeof(huge) - 2);
	huge[sizeof(huge) - 2] = '\n';
	huge[sizeof(huge) - 1] = '\0';
	assert_true(asprintf(&text,
			     "  sl  local_address rem_address   st\n"                 /* 1 */
			     GOOD4                                                   /* 2 */
			     "hello world\n"                                         /* 3 */
			     "   1: 0100007F:0050 00000000:0000 0A 00000000:00000000\n" /* 4 */
			     "   2: 0100007G:0050 00000000:0000 0A 0:0 0:0 0 0 0 7\n"   /* 5 */
			     "   3: 0100007F:10000 00000000:0000 0A 0:0 0:0 0 0 0 7\n"  /* 6 */
			     "   4: 0100007F:0050 00000000 0A 0:0 0:0 0 0 0 7\n"        /* 7 */
			     "   5: 0100007F:0050 00000000:0000 0D 0:0 0:0 0 0 0 7\n"   /* 8 */
			     "   6: 0100007F:0050 00000000:0000 00 0:0 0:0 0 0 0 7\n"   /* 9 */
			     "   7: 0100007F:0050 00000000:0000 A 0:0 0:0 0 0 0 7\n"    /* 10 */
			     "   8: 0100007F:0050 00000000:0000 0A 0:0 0:0 0 4294967296 0 7\n" /* 11 */
			     "   9: 0100007F:0050 00000000:0000 0A 0:0 0:0 0 0 0 -7\n"  /* 12 */
			     "  10 0100007F:0050 00000000:0000 0A 0:0 0:0 0 0 0 7\n"    /* 13 */
			     "%s"                                                    /* 14 */
			     "\n"                                                    /* 15 */
			     "  11: 00000000000000000000000001000000:0050 00000000:0000 0A 0:0 0:0 0 0 0 7\n" /* 16 */
			     "  12: 0100007F:0050 0100007F:FFFF 01 0:0 0:0 0 0 0 8\n", /* 17 */
			     huge) > 0);

	assert_int_equal(parse(text, AF_INET, PROTO_TCP, &c, &notes), 0);
	assert_int_equal(c.n, 2);
	assert_rec(&c.v[0], AF_INET, PROTO_TCP, 10, "127.0.0.1", 80, "0.0.0.0", 0, 0, 100);
	assert_rec(&c.v[1], AF_INET, PROTO_TCP, 1, "127.0.0.1", 80, "127.0.0.1", 65535, 0, 8);

	assert_int_equal(notes.total, 13);
	assert_string_equal(note_text(&notes, 0, b, sizeof(b)),
			    "F:3: expected at least 10 fields, found 2, skipping");
	assert_string_equal(note_text(&notes, 1, b, sizeof(b)),
			    "F:4: expected at least 10 fields, found 5, skipping");
	assert_string_equal(note_text(&notes, 2, b, sizeof(b)),
			    "F:5: bad local address '0100007G:0050', skipping");
	assert_string_equal(note_text(&notes, 3, b, sizeof(b)),
			    "F:6: local port out of range in '0100007F:10000', skipping");
	assert_string_equal(note_text(&notes, 4, b, sizeof(b)),
			    "F:7: bad remote address '00000000', skipping");
	assert_string_equal(note_text(&notes, 5, b, sizeof(b)), "F:8: bad state '0D', skipping");
	assert_string_equal(note_text(&notes, 6, b, sizeof(b)), "F:9: bad state '00', skipping");
	assert_string_equal(note_text(&notes, 7, b, sizeof(b)), "F:10: bad state 'A', skipping");
	assert_string_equal(note_text(&notes, 8, b, sizeof(b)),
			    "F:11: bad uid '4294967296', skipping");
	assert_string_equal(note_text(&notes, 9, b, sizeof(b)), "F:12: bad inode '-7', skipping");
	assert_string_equal(note_text(&notes, 10, b, sizeof(b)), "F:13: bad slot '10', skipping");
	assert_string_equal(note_text(&notes, 11, b, sizeof(b)),
			    "F:14: line too long (5000 bytes), skipping");
	/* An IPv6 address in an IPv4 file. */
	assert_string_equal(note_text(&notes, 12, b, sizeof(b)),
			    "F:16: bad local address '00000000000000000000000001000000:0050', skipping");
	diag_done(&notes);
	free(text);
}

static void test_quoting(void **state)
{
	static const char text[] = "   0: 0100'07F:0050 00000000:0000 0A 0:0 0:0 0 0 0 7\n"
				   "   1: 0100\00107F:0050 00000000:0000 0A 0:0 0:0 0 0 0 7\n";
	struct collected c;
	struct diag notes;
	char b[512];

	memset(&c, 0, sizeof(c));
	diag_init(&notes, 0);
	assert_int_equal(procnet_parse_buffer(text, sizeof(text) - 1, "/proc/net/tcp", AF_INET,
					      PROTO_TCP, collect, &c, &notes),
			 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(notes.total, 2);
	assert_string_equal(note_text(&notes, 0, b, sizeof(b)),
			    "/proc/net/tcp:1: bad local address '0100\\'07F:0050', skipping");
	assert_string_equal(note_text(&notes, 1, b, sizeof(b)),
			    "/proc/net/tcp:2: bad local address '0100\\x0107F:0050', skipping");
	diag_done(&notes);
}

static void test_empty_and_header(void **state)
{
	struct collected c;
	struct diag notes;

	assert_int_equal(parse("", AF_INET, PROTO_TCP, &c, &notes), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(notes.total, 0);
	diag_done(&notes);

	assert_int_equal(parse("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
			       AF_INET, PROTO_TCP, &c, &notes),
			 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(notes.total, 0);
	diag_done(&notes);

	/* Blank lines are no records and no errors; a header elsewhere than line 1 is. */
	assert_int_equal(parse("\n\n  \t \n", AF_INET, PROTO_TCP, &c, &notes), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(notes.total, 0);
	diag_done(&notes);

	/* No header and no final newline: the line still counts. */
	assert_int_equal(parse("   0: 0100007F:0050 00000000:0000 0A 0:0 0:0 0 0 0 7", AF_INET,
			       PROTO_TCP, &c, &notes),
			 0);
	assert_int_equal(c.n, 1);
	assert_rec(&c.v[0], AF_INET, PROTO_TCP, 10, "127.0.0.1", 80, "0.0.0.0", 0, 0, 7);
	assert_int_equal(notes.total, 0);
	diag_done(&notes);
}

static int stop_at_second(const struct sockrec *s, void *userdata)
{
	size_t *n = userdata;

	return ++*n == 2 ? -ECANCELED : 0;
}

static void test_callback_and_arguments(void **state)
{
	struct diag notes;
	size_t n = 0;

	diag_init(&notes, 0);
	assert_int_equal(procnet_parse_buffer(tcp4, strlen(tcp4), "F", AF_INET, PROTO_TCP,
					      stop_at_second, &n, &notes),
			 -ECANCELED);
	assert_int_equal(n, 2);
	assert_int_equal(procnet_parse_buffer(tcp4, strlen(tcp4), "F", AF_UNIX, PROTO_TCP,
					      stop_at_second, &n, &notes),
			 -EINVAL);
	assert_int_equal(procnet_parse_buffer(tcp4, strlen(tcp4), "F", AF_INET, _PROTO_MAX,
					      stop_at_second, &n, &notes),
			 -EINVAL);
	assert_int_equal(n, 2);
	diag_done(&notes);
}

static struct sockrec rec(int family, enum proto proto, unsigned state, const char *laddr,
			  unsigned lport, const char *raddr, unsigned rport)
{
	struct sockrec s = {
		.family = (uint8_t)family,
		.proto = (uint8_t)proto,
		.state = (uint8_t)state,
		.v6only = -1,
		.lport = (uint16_t)lport,
		.rport = (uint16_t)rport,
	};

	assert_int_equal(inet_pton(family, laddr, s.laddr), 1);
	assert_int_equal(inet_pton(family, raddr, s.raddr), 1);
	return s;
}

static void test_format(void **state)
{
	struct sockrec s;
	char b[SOCKREC_FORMAT_MAX];

	s = rec(AF_INET, PROTO_TCP, 10, "127.0.0.1", 80, "0.0.0.0", 0);
	assert_int_equal(sockrec_format_local(&s, b, sizeof(b)), 0);
	assert_string_equal(b, "127.0.0.1:80");
	assert_int_equal(sockrec_format_remote(&s, b, sizeof(b)), 0);
	assert_string_equal(b, "0.0.0.0:0");

	s = rec(AF_INET6, PROTO_TCP, 10, "::", 443, "::", 0);
	assert_int_equal(sockrec_format_local(&s, b, sizeof(b)), 0);
	assert_string_equal(b, "[::]:443");

	s = rec(AF_INET6, PROTO_TCP, 1, "::ffff:127.0.0.1", 5003, "2001:db8::1", 65535);
	assert_int_equal(sockrec_format_local(&s, b, sizeof(b)), 0);
	assert_string_equal(b, "[::ffff:127.0.0.1]:5003");
	assert_int_equal(sockrec_format_remote(&s, b, sizeof(b)), 0);
	assert_string_equal(b, "[2001:db8::1]:65535");

	/* The longest: a full v4-mapped form and a five-digit port. */
	s = rec(AF_INET6, PROTO_TCP, 1, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 65535,
		"::", 0);
	assert_int_equal(sockrec_format_local(&s, b, sizeof(b)), 0);
	assert_true(strlen(b) < SOCKREC_FORMAT_MAX);
	assert_int_equal(sockrec_format_local(&s, b, strlen(b)), -ENOBUFS);

	s.family = AF_UNIX;
	assert_int_equal(sockrec_format_local(&s, b, sizeof(b)), -EAFNOSUPPORT);
}

static void test_self_connected_and_names(void **state)
{
	struct sockrec s;

	s = rec(AF_INET, PROTO_TCP, 1, "127.0.0.1", 40000, "127.0.0.1", 40000);
	assert_true(sockrec_is_self_connected(&s));
	s = rec(AF_INET, PROTO_TCP, 1, "127.0.0.1", 40000, "127.0.0.2", 40000);
	assert_false(sockrec_is_self_connected(&s));
	s = rec(AF_INET, PROTO_TCP, 1, "127.0.0.1", 40000, "127.0.0.1", 40001);
	assert_false(sockrec_is_self_connected(&s));
	s = rec(AF_INET6, PROTO_TCP, 1, "::1", 40000, "::1", 40000);
	assert_true(sockrec_is_self_connected(&s));
	s = rec(AF_INET6, PROTO_TCP, 1, "::1", 40000, "::2", 40000);
	assert_false(sockrec_is_self_connected(&s));
	s = rec(AF_INET, PROTO_TCP, 7, "0.0.0.0", 0, "0.0.0.0", 0);
	assert_false(sockrec_is_self_connected(&s));

	assert_string_equal(sockrec_state_to_string(&s), "CLOSE");
	s.state = SOCKREC_BOUND_INACTIVE;
	assert_string_equal(sockrec_state_to_string(&s), "BOUND_INACTIVE");
	s.state = 6;
	assert_string_equal(sockrec_state_to_string(&s), "TIME_WAIT");
	s.state = 14;
	assert_string_equal(sockrec_state_to_string(&s), "UNKNOWN");
	s.proto = PROTO_UDP;
	s.state = 7;
	assert_string_equal(sockrec_state_to_string(&s), "UNCONN");
	s.state = 1;
	assert_string_equal(sockrec_state_to_string(&s), "ESTABLISHED");
	s.state = 10;
	assert_string_equal(sockrec_state_to_string(&s), "UNKNOWN");

	assert_string_equal(sockets_backend_to_string(SOCKETS_NETLINK), "netlink");
	assert_string_equal(sockets_backend_to_string(SOCKETS_PROCFS), "procfs");
	assert_null(sockets_backend_to_string(_SOCKETS_BACKEND_MAX));
	assert_int_equal(sockets_backend_from_string("procfs"), SOCKETS_PROCFS);
	assert_int_equal(sockets_backend_from_string("netlink"), SOCKETS_NETLINK);
	assert_int_equal(sockets_backend_from_string("proc"), _SOCKETS_BACKEND_INVALID);
}

static void test_filter(void **state)
{
	struct sockets s = {};
	struct portset held;
	struct sockrec r;

	portset_clear(&held);
	portset_add(&held, 41000);
	portset_add(&held, 41002);

	r = rec(AF_INET, PROTO_TCP, SOCKREC_LISTEN, "0.0.0.0", 41000, "0.0.0.0", 0);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	r = rec(AF_INET6, PROTO_TCP, SOCKREC_BOUND_INACTIVE, "::", 41000, "::", 0);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	/* A TCP socket in CLOSE is in no table a backend reads: dropped, not counted. */
	r = rec(AF_INET, PROTO_TCP, SOCKREC_CLOSE, "0.0.0.0", 41000, "0.0.0.0", 0);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	/* On a held port that a TCP socket listens on: an accepted connection, not kept. */
	r = rec(AF_INET, PROTO_TCP, SOCKREC_TIME_WAIT, "127.0.0.1", 41000, "127.0.0.1", 80);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	r = rec(AF_INET6, PROTO_TCP, 1, "::1", 41000, "::1", 50000);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	/* On a held port nothing listens on: kept. */
	r = rec(AF_INET, PROTO_TCP, SOCKREC_TIME_WAIT, "127.0.0.1", 41002, "127.0.0.1", 80);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	r = rec(AF_INET, PROTO_TCP, 8 /* CLOSE_WAIT */, "127.0.0.1", 41001, "127.0.0.1", 80);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	r = rec(AF_INET, PROTO_TCP, 1, "127.0.0.1", 40000, "127.0.0.1", 40000);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	r = rec(AF_INET, PROTO_TCP, 1, "127.0.0.1", 80, "127.0.0.1", 41000);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	r = rec(AF_INET, PROTO_UDP, 7, "0.0.0.0", 53, "0.0.0.0", 0);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	r = rec(AF_INET6, PROTO_UDP, 1, "::1", 41000, "::1", 53);
	assert_int_equal(sockets_add(&s, &held, &r), 0);
	r = rec(AF_INET6, PROTO_UDP, 10, "::1", 41000, "::1", 53);
	assert_int_equal(sockets_add(&s, &held, &r), 0);

	assert_int_equal(s.listeners.n, 2);
	assert_int_equal(s.listeners.v[0].state, SOCKREC_LISTEN);
	assert_int_equal(s.listeners.v[1].state, SOCKREC_BOUND_INACTIVE);
	assert_int_equal(s.udp.n, 2);
	assert_int_equal(s.udp.v[0].lport, 53);
	assert_int_equal(s.udp.v[1].lport, 41000);
	assert_int_equal(s.n_tcp_other, 6);
	assert_int_equal(s.held.n, 2);
	assert_int_equal(s.held.v[0].state, SOCKREC_TIME_WAIT);
	assert_int_equal(s.held.v[0].lport, 41002);
	assert_true(sockrec_is_self_connected(&s.held.v[1]));
	sockets_done(&s);
	assert_null(s.listeners.v);
	assert_int_equal(s.n_tcp_other, 0);

	/* No held ports: only the self-connect is kept. */
	r = rec(AF_INET, PROTO_TCP, SOCKREC_TIME_WAIT, "127.0.0.1", 41000, "127.0.0.1", 80);
	assert_int_equal(sockets_add(&s, NULL, &r), 0);
	r = rec(AF_INET, PROTO_TCP, 1, "127.0.0.1", 40000, "127.0.0.1", 40000);
	assert_int_equal(sockets_add(&s, NULL, &r), 0);
	assert_int_equal(s.n_tcp_other, 2);
	assert_int_equal(s.held.n, 1);
	assert_int_equal(s.held.v[0].lport, 40000);
	sockets_done(&s);
}

/* Write path below dir (creating proc/net), content text. */
static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/net/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char tree[] = "/tmp/portaudit-test-procnet-XXXXXX";

static int make_tree(void **state)
{
	char path[512];

	assert_non_null(mkdtemp(tree));
	snprintf(path, sizeof(path), "%s/proc", tree);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/net", tree);
	assert_int_equal(mkdir(path, 0755), 0);
	put_file(tree, "tcp", tcp4);
	put_file(tree, "tcp6", tcp6);
	put_file(tree, "udp", udp4);
	return 0;
}

static int remove_tree(void **state)
{
	static const char *const names[] = { "tcp", "tcp6", "udp", "udp6" };
	char path[512];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/proc/net/%s", tree, names[i]);
		if (unlink(path) < 0)
			rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/proc/net", tree);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", tree);
	rmdir(path);
	rmdir(tree);
	return 0;
}

static void test_read_offline(void **state)
{
	struct root *r = NULL;
	struct portset held;
	struct sockets s;
	struct diag notes;
	char b[1024], want[1024];

	assert_int_equal(root_new(tree, &r), 0);
	portset_clear(&held);
	portset_add(&held, 41538); /* the TIME_WAIT of tcp4 line 3 */

	diag_init(&notes, 0);
	s.n_tcp_other = 12345;
	assert_int_equal(sockets_read(r, &held, &notes, &s), 0);
	assert_int_equal(s.backend, SOCKETS_PROCFS);
	assert_false(s.bound_inactive);
	/* udp6 is missing: a note, and the other three are read. */
	assert_int_equal(notes.total, 1);
	snprintf(want, sizeof(want), "%s/proc/net/udp6: missing, its sockets are not listed", tree);
	assert_string_equal(note_text(&notes, 0, b, sizeof(b)), want);
	assert_int_equal(s.listeners.n, 4);
	assert_int_equal(s.listeners.v[0].lport, 5000);
	assert_int_equal(s.listeners.v[2].family, AF_INET6);
	assert_int_equal(s.udp.n, 2);
	/* tcp4 lines 2, 3, 4 and tcp6 lines 3, 4, 5. */
	assert_int_equal(s.n_tcp_other, 6);
	assert_int_equal(s.held.n, 1);
	assert_int_equal(s.held.v[0].lport, 41538);
	assert_int_equal(s.held.v[0].state, SOCKREC_TIME_WAIT);
	sockets_done(&s);
	diag_done(&notes);

	/* Netlink is for the live system only. */
	diag_init(&notes, 0);
	assert_int_equal(sockets_read_backend(r, SOCKETS_NETLINK, NULL, &notes, &s), -EOPNOTSUPP);
	assert_int_equal(notes.total, 1);
	assert_string_equal(
		note_text(&notes, 0, b, sizeof(b)),
		"netlink sock_diag: reading sockets over netlink below an offline root failed: Operation not supported");
	assert_int_equal(sockets_read_backend(r, _SOCKETS_BACKEND_MAX, NULL, &notes, &s), -EINVAL);
	diag_done(&notes);

	/* A file that exists but cannot be read is an error, and a note names it. */
	snprintf(b, sizeof(b), "%s/proc/net/udp6", tree);
	assert_int_equal(mkdir(b, 0755), 0);
	diag_init(&notes, 0);
	s.n_tcp_other = 12345;
	assert_int_equal(sockets_read(r, NULL, &notes, &s), -EISDIR);
	assert_int_equal(s.n_tcp_other, 12345); /* untouched on failure */
	assert_int_equal(notes.total, 1);
	snprintf(want, sizeof(want), "%s/proc/net/udp6: cannot read: Is a directory", tree);
	assert_string_equal(note_text(&notes, 0, b, sizeof(b)), want);
	diag_done(&notes);

	root_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_empty_and_header),
		cmocka_unit_test(test_callback_and_arguments),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_self_connected_and_names),
		cmocka_unit_test(test_filter),
		cmocka_unit_test_setup_teardown(test_read_offline, make_tree, remove_tree),
	};

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	/* The buffers hold what a little-endian kernel prints. */
	printf("1..0 # SKIP the /proc/net samples are little-endian\n");
	return 77;
#endif
	return cmocka_run_group_tests(tests, NULL, NULL);
}
