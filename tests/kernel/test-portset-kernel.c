/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Differential test of portset_parse() and portset_format() against the kernel:
 * in a network namespace of its own, every input is written to
 * net.ipv4.ip_local_reserved_ports; portaudit must accept exactly what the kernel
 * accepts and format exactly what the kernel reads back.  The host's own sysctls
 * are never touched: the process leaves the host's namespace before opening
 * anything.  Exits 77 (skipped) when no namespace can be created.
 *
 * PORTAUDIT_SEED=N reproduces a run; PORTAUDIT_CASES=N sets the number of
 * random inputs (default 6000).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "portaudit/portset.h"
#include "portaudit/root.h"
#include "portaudit/sysctl.h"

#define RESERVED "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define SENTINEL "7\n"
#define MAX_REPORTS 20

static uint64_t seed;
static uint64_t rng_state;
static unsigned n_random = 6000;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rng() % n);
}

struct buf {
	char b[8192];
	size_t n;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n <= sizeof(b->b)) {
		memcpy(b->b + b->n, s, n);
		b->n += n;
	}
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

_printf_(2, 3) static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static unsigned random_port(void)
{
	switch (pick(6)) {
	case 0:
		return pick(16);
	case 1:
		return 65535 - pick(4);
	case 2:
		return 32768 + pick(28232);
	default:
		return pick(65536);
	}
}

/* One number in one of the spellings that the kernel's strtoul(base 0) meets. */
static void put_number(struct buf *b, unsigned v, bool clean)
{
	switch (pick(clean ? 4 : 20)) {
	case 0:
		putf(b, "0%o", v); /* octal */
		break;
	case 1:
		if (clean)
			putf(b, "%020o", v); /* 20 characters: the longest the kernel takes */
		else
			putf(b, "0%u", v); /* leading zero on decimal: octal, maybe with 8/9 */
		break;
	case 2:
		putf(b, pick(2) ? "0x%x" : "0X%X", v);
		break;
	case 3:
		if (clean)
			putf(b, "%u", v);
		else
			putf(b, "%u", 65536 + pick(100000)); /* out of range */
		break;
	case 4:
		puts_(b, pick(2) ? "4294968296" : "18446744073709551616");
		break;
	case 5:
		putf(b, "-%u", v);
		break;
	case 6:
		putf(b, "+%u", v);
		break;
	case 7: { /* 19 to 22 characters of zero padding: the 21-byte limit */
		unsigned width = 19 + pick(4);
		putf(b, "%0*u", (int)width, v % 512);
		break;
	}
	case 8:
		puts_(b, pick(2) ? "0x" : "0xg");
		break;
	case 9:
		puts_(b, pick(2) ? "" : "abc");
		break;
	case 10:
		putf(b, "0x%018x", v); /* 20 characters */
		break;
	case 11:
		putf(b, "0x%019x", v); /* 21 characters */
		break;
	default:
		putf(b, "%u", v);
		break;
	}
}

static const char *const separators[] = {
	",", ",", ",", "\n", "\n", ",\n", "\n\n", " ", ", ", "\t", "\r\n", ";",
	":", "", ",,", "\n,", "-", "--", "\0",
};

/*
 * An input from the list grammar: "clean" inputs use only forms the kernel
 * accepts (in every spelling), the others take random damage.
 */
static void gen_grammar(struct buf *b, bool clean)
{
	unsigned items = pick(8);

	if (pick(8) == 0)
		puts_(b, pick(2) ? "\n" : (pick(2) || clean ? "\n\n" : " "));
	if (!clean && pick(16) == 0)
		puts_(b, ",");
	for (unsigned i = 0; i < items; i++) {
		unsigned lo = random_port();

		if (i > 0) {
			unsigned s = clean || pick(4) ? pick(7) : pick(ARRAY_SIZE(separators));
			const char *sep = separators[s];
			put(b, sep, *sep ? strlen(sep) : (s + 1 == ARRAY_SIZE(separators)));
		}
		put_number(b, lo, clean);
		if (pick(3) == 0) {
			static const char *const dashes[] = { "-", "-", "-", " - ", "- ", " -" };
			unsigned hi = clean || pick(3) ? lo + pick(500) : random_port();

			puts_(b, clean ? "-" : dashes[pick(ARRAY_SIZE(dashes))]);
			if (!clean && pick(10) == 0)
				continue; /* "a-" */
			put_number(b, hi > 65535 ? 65535 : hi, clean);
			if (pick(10) == 0) { /* after a range end: ',' '\n' and NUL are allowed */
				static const char after[] = { '\0', ',', '\n', '-', ' ' };
				put(b, &after[pick(clean ? 3 : sizeof(after))], 1);
				if (pick(2))
					put_number(b, random_port(), clean);
			}
		}
	}
	if (pick(5) == 0) {
		static const char *const tails[] = { ",", "\n", ",\n", "\n\n", "-", " ", "\r\n" };
		puts_(b, tails[pick(clean ? 4 : ARRAY_SIZE(tails))]);
	}
	if (!clean && pick(30) == 0)
		put(b, "\0", 1);
}

/* A short string of bytes from the characters that matter. */
static void gen_bytes(struct buf *b)
{
	static const char alphabet[] = "0123456789xX-,\n \t\r+abfAF;";
	unsigned n = 1 + pick(24);

	for (unsigned i = 0; i < n; i++) {
		char c = pick(40) == 0 ? '\0' : alphabet[pick(sizeof(alphabet) - 1)];
		put(b, &c, 1);
	}
}

static int fd = -1;

static void escape(const char *in, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < size; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\n')
			o += (size_t)snprintf(out + o, size - o, "\\n");
		else if (c < 0x20 || c >= 0x7f || c == '\'')
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void kernel_set(const char *value, size_t n)
{
	ssize_t w = pwrite(fd, value, n, 0);
	if (w != (ssize_t)n)
		fail_msg("cannot reset the namespace's reserved ports: %s", strerror(errno));
}

/* Write all of buf the way a correct writer must (REFERENCE §1.2); -errno or 0. */
static int kernel_write(const char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = pwrite(fd, buf + done, n - done, (off_t)done);
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

static size_t kernel_read(char *out, size_t size)
{
	ssize_t n = pread(fd, out, size, 0);
	if (n < 0 || (size_t)n == size)
		fail_msg("cannot read the reserved ports back: %s", n < 0 ? strerror(errno) : "too long");
	return (size_t)n;
}

static char readback[512 * 1024];

/* Compare one input; returns true when portaudit agrees with the kernel. */
static bool compare(const char *in, size_t n, unsigned *n_accepted)
{
	struct portset s;
	struct portset_parse_info info;
	char shown[256];
	int kr, pr;
	size_t got;

	kernel_set(SENTINEL, strlen(SENTINEL));
	kr = kernel_write(in, n);
	got = kernel_read(readback, sizeof(readback));
	pr = portset_parse(in, n, &s, &info);
	escape(in, n, shown, sizeof(shown));

	if (kr < 0 && kr != -EINVAL)
		fail_msg("kernel write of '%s' failed unexpectedly: %s", shown, strerror(-kr));
	if (kr == -EINVAL) {
		/* A failed write must change nothing. */
		if (got != strlen(SENTINEL) || memcmp(readback, SENTINEL, got) != 0)
			fail_msg("kernel changed the value on a rejected write of '%s'", shown);
		if (pr == 0) {
			print_error("MISMATCH '%s': kernel rejects, portaudit accepts\n", shown);
			return false;
		}
		return true;
	}
	if (pr < 0) {
		print_error("MISMATCH '%s': kernel accepts, portaudit rejects at byte %zu (%s)\n",
			    shown, info.offset, portset_parse_error_to_string(info.error));
		return false;
	}
	(*n_accepted)++;

	size_t len = portset_format(&s, NULL, 0);
	char *mine = malloc(len + 2);
	assert_non_null(mine);
	portset_format(&s, mine, len + 1);
	mine[len] = '\n';
	bool same = got == len + 1 && memcmp(readback, mine, got) == 0;
	if (!same) {
		char k[128], m[128];
		escape(readback, got, k, sizeof(k));
		escape(mine, len + 1, m, sizeof(m));
		print_error("MISMATCH '%s': kernel reads back '%s', portaudit formats '%s'\n",
			    shown, k, m);
	}
	free(mine);
	return same;
}

static void report(const char *what, unsigned cases, unsigned accepted, unsigned mismatches)
{
	print_message("%s: %u inputs (%u accepted, %u rejected by the kernel), %u mismatches\n",
		      what, cases, accepted, cases - accepted, mismatches);
	if (mismatches)
		fail_msg("%u of %u inputs disagree with the kernel (seed %llu)", mismatches, cases,
			 (unsigned long long)seed);
}

/* The rows of REFERENCE §1.1, written to the real kernel. */
static void test_reference_rows(void **state)
{
	static const char *const rows[] = {
		"8080", "1000,2000", "1000, 2000", "1000 ,2000", "1000 2000", "1000\t2000",
		" 1000", "1000\n", "1000,2000\n", "1000,2000\n\n", "1000\n2000",
		"1000\n\n\n2000\n", "\n1000", "1000\r\n", "1000-1005", "1000 - 1005",
		"1000- 1005", "1000 -1005", "1005-1000", "1000-1000", "1000,1000,1000",
		"1000-1010,1005-1020", "1000-1010,1011-1020", "3000,1000", "5,4,3,2,1", "0",
		"0-5", "65535", "65536", "1000,70000", "1000-65536", "4294968296",
		"18446744073709551616", "-5", "+1000", "abc", "1000;2000", "1000:2000",
		"1000,", "1000-1005,", ",1000", "1000,,2000", ",", "1000-", "1000--1005",
		"1000-1005-1010", "1000-1005-", "0x10", "010", "08080", "0009",
		"1000-0x3F0", "\n", " ",
	};
	unsigned accepted = 0, bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		bad += !compare(rows[i], strlen(rows[i]), &accepted);
	report("REFERENCE §1.1 rows", ARRAY_SIZE(rows), accepted, bad);
}

static void test_random_inputs(void **state)
{
	unsigned accepted = 0, bad = 0, cases = 0;

	rng_state = seed;
	for (unsigned i = 0; i < n_random; i++) {
		struct buf b = { .n = 0 };

		switch (pick(4)) {
		case 0:
			gen_bytes(&b);
			break;
		case 1:
			gen_grammar(&b, /* clean= */ false);
			break;
		default:
			gen_grammar(&b, /* clean= */ true);
			break;
		}
		if (b.n == 0 || b.n > 4095)
			continue; /* zero-length writes are no-ops; long ones are chunked */
		cases++;
		if (!compare(b.b, b.n, &accepted) && ++bad >= MAX_REPORTS)
			break;
	}
	assert_true(cases >= 2000);
	report("random inputs", cases, accepted, bad);
}

/* Canonical lists of random sets, some far beyond one 4095-byte write. */
static void test_canonical_sets(void **state)
{
	unsigned accepted = 0, bad = 0, cases = 0;

	rng_state = seed ^ 0x5eed;
	for (unsigned i = 0; i < 120; i++) {
		struct portset s;
		char *list;

		portset_clear(&s);
		switch (i % 4) {
		case 0: /* dense alternation: long lists */
			for (unsigned p = pick(64); p < 65536; p += 2 + pick(3))
				portset_add(&s, (uint16_t)p);
			break;
		case 1: /* the worst case shape, pairs */
			for (unsigned p = pick(3); p + 1 < 65536; p += 3)
				portset_add_range(&s, (uint16_t)p, (uint16_t)(p + 1));
			break;
		default:
			for (unsigned k = pick(40); k > 0; k--) {
				unsigned lo = random_port(), len = pick(4) ? 0 : pick(300);
				portset_add_range(&s, (uint16_t)lo, (uint16_t)(lo + len > 65535 ? 65535 : lo + len));
			}
			break;
		}
		/* As a writer must: one trailing newline, so that the empty set clears. */
		size_t len = portset_format(&s, NULL, 0);
		list = malloc(len + 2);
		assert_non_null(list);
		portset_format(&s, list, len + 1);
		list[len] = '\n';
		cases++;
		bad += !compare(list, len + 1, &accepted);
		free(list);
	}
	report("canonical sets (up to 254 KB)", cases, accepted, bad);
	assert_int_equal(accepted, cases); /* canonical output must always be accepted */
}

/*
 * sysctl_write(), the writer --fix uses, against the kernel: lists far longer
 * than the 4095 bytes one write() takes arrive whole, and the same list sent
 * in one write() does not, so the comparison can tell a writer that loops
 * from one that does not.
 */
static void test_sysctl_write_long(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	size_t shortest = SIZE_MAX, longest = 0;

	assert_int_equal(root_new("/", &r), 0);
	rng_state = seed ^ 0x771;
	for (unsigned i = 0; i < 8; i++) {
		_cleanup_free_ char *list = NULL, *back = NULL;
		struct portset want, got;
		size_t len, blen;
		ssize_t n;

		portset_clear(&want);
		for (unsigned p = pick(5); p + 1 < 65536; p += (i % 2 ? 3 : 2 + pick(4)))
			portset_add_range(&want, (uint16_t)p, (uint16_t)(p + (i % 2)));
		len = portset_format(&want, NULL, 0);
		list = malloc(len + 2);
		assert_non_null(list);
		portset_format(&want, list, len + 1);
		list[len++] = '\n';
		assert_true(len > 4 * 4096);
		shortest = len < shortest ? len : shortest;
		longest = len > longest ? len : longest;

		assert_int_equal(sysctl_write(r, SYSCTL_RESERVED_PORTS, list, len), 0);
		assert_int_equal(sysctl_read(r, SYSCTL_RESERVED_PORTS, &back, &blen), 0);
		assert_int_equal(portset_parse(back, blen, &got, NULL), 0);
		assert_true(portset_equal(&got, &want));

		/* One write() of the same bytes: the kernel takes only its first window. */
		n = pwrite(fd, list, len, 0);
		assert_true(n > 0 && (size_t)n < len);
		free(back);
		back = NULL;
		assert_int_equal(sysctl_read(r, SYSCTL_RESERVED_PORTS, &back, &blen), 0);
		assert_int_equal(portset_parse(back, blen, &got, NULL), 0);
		assert_true(portset_count(&got) < portset_count(&want));
	}
	print_message("sysctl_write: 8 lists of %zu-%zu bytes set whole; one write() of each fell short\n",
		      shortest, longest);
}

/* Leave the host's network namespace; 0, or -errno when that is impossible here. */
static int enter_private_netns(void)
{
	if (unshare(CLONE_NEWNET) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	/* Unprivileged: a user namespace makes us root of a namespace of our own. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)
		return 0;
	return -errno;
}

int main(void)
{
	const char *env;
	int r;

	env = getenv("PORTAUDIT_SEED");
	seed = env ? strtoull(env, NULL, 0) : 20261121;
	env = getenv("PORTAUDIT_CASES");
	if (env)
		n_random = (unsigned)strtoul(env, NULL, 0);

	r = enter_private_netns();
	if (r < 0) {
		fprintf(stderr, "SKIP: cannot create a network namespace: %s\n", strerror(-r));
		return 77;
	}
	fd = open(RESERVED, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "SKIP: cannot open %s in the new namespace: %s\n", RESERVED,
			strerror(errno));
		return 77;
	}
	print_message("seed %llu (set PORTAUDIT_SEED to reproduce)\n", (unsigned long long)seed);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_rows),
		cmocka_unit_test(test_random_inputs),
		cmocka_unit_test(test_canonical_sets),
		cmocka_unit_test(test_sysctl_write_long),
	};
	r = cmocka_run_group_tests(tests, NULL, NULL);
	close(fd);
	return r;
}
