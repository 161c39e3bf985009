/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "portaudit/portset.h"

/* A plain bool-per-port model to check the bitmap against. */
struct model {
	bool p[PORTSET_PORTS];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	/* splitmix64: deterministic, so a failure reproduces. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint16_t rand_port(void)
{
	/* Favour word edges and the ends, where off-by-one bugs live. */
	switch (rng() % 4) {
	case 0: {
		static const uint16_t edges[] = { 0, 1, 62, 63, 64, 65, 127, 128, 65471, 65472, 65534, 65535 };
		return edges[rng() % ARRAY_SIZE(edges)];
	}
	default:
		return (uint16_t)rng();
	}
}

static void assert_matches_model(const struct portset *s, const struct model *m)
{
	unsigned n = 0;

	for (unsigned p = 0; p < PORTSET_PORTS; p++) {
		if (portset_contains(s, (uint16_t)p) != m->p[p])
			fail_msg("port %u: set says %d, model says %d", p,
				 portset_contains(s, (uint16_t)p), m->p[p]);
		n += m->p[p];
	}
	assert_int_equal(portset_count(s), n);
	assert_int_equal(portset_is_empty(s), n == 0);
}

static void random_set(struct portset *s, struct model *m)
{
	unsigned items = (unsigned)(rng() % 12);

	portset_clear(s);
	memset(m, 0, sizeof(*m));
	for (unsigned i = 0; i < items; i++) {
		uint16_t a = rand_port(), b = rand_port();
		if (a > b) {
			uint16_t t = a;
			a = b;
			b = t;
		}
		if (rng() % 3 == 0)
			b = a; /* a single port */
		else if (rng() % 2) {
			unsigned end = a + (unsigned)(rng() % 200);
			b = (uint16_t)(end > 65535 ? 65535 : end);
		}
		portset_add_range(s, a, b);
		for (unsigned p = a; p <= b; p++)
			m->p[p] = true;
	}
}

static void test_clear_fill(void **state)
{
	struct portset s;

	portset_fill(&s);
	assert_int_equal(portset_count(&s), 65536);
	assert_true(portset_contains(&s, 0));
	assert_true(portset_contains(&s, 65535));
	assert_false(portset_is_empty(&s));
	portset_clear(&s);
	assert_int_equal(portset_count(&s), 0);
	assert_true(portset_is_empty(&s));
}

static void test_add_remove_contains(void **state)
{
	struct portset s;

	portset_clear(&s);
	portset_add(&s, 0);
	portset_add(&s, 63);
	portset_add(&s, 64);
	portset_add(&s, 65535);
	portset_add(&s, 65535); /* idempotent */
	assert_int_equal(portset_count(&s), 4);
	assert_true(portset_contains(&s, 63));
	assert_true(portset_contains(&s, 64));
	assert_false(portset_contains(&s, 62));
	assert_false(portset_contains(&s, 65));
	portset_remove(&s, 63);
	portset_remove(&s, 63); /* removing an absent port changes nothing */
	portset_remove(&s, 1);
	assert_false(portset_contains(&s, 63));
	assert_int_equal(portset_count(&s), 3);
}

static void test_ranges_random(void **state)
{
	struct portset s;
	static struct model m;

	for (int round = 0; round < 300; round++) {
		random_set(&s, &m);
		/* Remove a random range and compare. */
		uint16_t a = rand_port(), b = rand_port();
		if (a > b) {
			uint16_t t = a;
			a = b;
			b = t;
		}
		portset_remove_range(&s, a, b);
		for (unsigned p = a; p <= b; p++)
			m.p[p] = false;
		assert_matches_model(&s, &m);
	}
}

static void test_range_edges(void **state)
{
	struct portset s;

	portset_clear(&s);
	portset_add_range(&s, 0, 65535);
	assert_int_equal(portset_count(&s), 65536);
	portset_remove_range(&s, 1, 65534);
	assert_int_equal(portset_count(&s), 2);
	assert_true(portset_contains(&s, 0));
	assert_true(portset_contains(&s, 65535));

	portset_clear(&s);
	portset_add_range(&s, 63, 64); /* straddles a word boundary */
	assert_int_equal(portset_count(&s), 2);
	portset_add_range(&s, 128, 128);
	assert_int_equal(portset_count(&s), 3);
	portset_add_range(&s, 64, 191); /* two whole words' worth */
	assert_int_equal(portset_count(&s), 129);
}

static void test_set_operations_random(void **state)
{
	static struct model ma, mb, want;

	for (int round = 0; round < 100; round++) {
		struct portset a, b, r;

		random_set(&a, &ma);
		random_set(&b, &mb);

		r = a;
		portset_union(&r, &b);
		for (unsigned p = 0; p < PORTSET_PORTS; p++)
			want.p[p] = ma.p[p] || mb.p[p];
		assert_matches_model(&r, &want);

		r = a;
		portset_intersect(&r, &b);
		for (unsigned p = 0; p < PORTSET_PORTS; p++)
			want.p[p] = ma.p[p] && mb.p[p];
		assert_matches_model(&r, &want);

		r = a;
		portset_subtract(&r, &b);
		for (unsigned p = 0; p < PORTSET_PORTS; p++)
			want.p[p] = ma.p[p] && !mb.p[p];
		assert_matches_model(&r, &want);

		assert_true(portset_equal(&a, &a));
		r = a;
		portset_union(&r, &b);
		assert_int_equal(portset_equal(&r, &a), portset_count(&r) == portset_count(&a));
	}
}

static void test_equal(void **state)
{
	struct portset a, b;

	portset_clear(&a);
	portset_clear(&b);
	assert_true(portset_equal(&a, &b));
	portset_add(&a, 65535);
	assert_false(portset_equal(&a, &b));
	portset_add(&b, 65535);
	assert_true(portset_equal(&a, &b));
	portset_add(&b, 0);
	assert_false(portset_equal(&a, &b));
}

static void test_count_range(void **state)
{
	static struct model m;
	struct portset s;

	portset_clear(&s);
	portset_add_range(&s, 32768, 60999);
	assert_int_equal(portset_count_range(&s, 32768, 60999), 28232);
	assert_int_equal(portset_count_range(&s, 0, 65535), 28232);
	assert_int_equal(portset_count_range(&s, 32767, 32768), 1);
	assert_int_equal(portset_count_range(&s, 60999, 61000), 1);
	assert_int_equal(portset_count_range(&s, 61000, 65535), 0);
	assert_int_equal(portset_count_range(&s, 40000, 40000), 1);
	assert_int_equal(portset_count_range(&s, 5, 4), 0); /* empty interval */

	for (int round = 0; round < 200; round++) {
		uint16_t a = rand_port(), b = rand_port();
		unsigned want = 0;

		random_set(&s, &m);
		for (unsigned p = a; p <= b && a <= b; p++)
			want += m.p[p];
		assert_int_equal(portset_count_range(&s, a, b), want);
	}
}

static void test_runs(void **state)
{
	struct portset s;
	struct portrun run;
	unsigned cursor = 0, n = 0;

	portset_clear(&s);
	assert_false(portset_next_run(&s, &cursor, &run));

	portset_add(&s, 0);
	portset_add_range(&s, 63, 64);
	portset_add_range(&s, 1000, 1999);
	portset_add(&s, 65535);
	static const struct portrun want[] = { { 0, 0 }, { 63, 64 }, { 1000, 1999 }, { 65535, 65535 } };
	PORTSET_FOREACH_RUN(&s, c, run)
	{
		assert_true(n < ARRAY_SIZE(want));
		assert_int_equal(run.lo, want[n].lo);
		assert_int_equal(run.hi, want[n].hi);
		n++;
	}
	assert_int_equal(n, ARRAY_SIZE(want));

	portset_fill(&s);
	cursor = 0;
	assert_true(portset_next_run(&s, &cursor, &run));
	assert_int_equal(run.lo, 0);
	assert_int_equal(run.hi, 65535);
	assert_int_equal(cursor, 65536);
	assert_false(portset_next_run(&s, &cursor, &run));

	/* A cursor inside a run yields the rest of that run. */
	cursor = 100;
	assert_true(portset_next_run(&s, &cursor, &run));
	assert_int_equal(run.lo, 100);
}

static void test_runs_random(void **state)
{
	static struct model m, rebuilt;
	struct portset s;
	struct portrun run;

	for (int round = 0; round < 100; round++) {
		int prev_hi = -2;

		random_set(&s, &m);
		memset(&rebuilt, 0, sizeof(rebuilt));
		PORTSET_FOREACH_RUN(&s, c, run)
		{
			/* Runs are sorted, maximal and never touch. */
			assert_true((int)run.lo > prev_hi + 1);
			assert_true(run.lo <= run.hi);
			for (unsigned p = run.lo; p <= run.hi; p++)
				rebuilt.p[p] = true;
			prev_hi = run.hi;
		}
		assert_memory_equal(&rebuilt, &m, sizeof(m));
	}
}

/* The words in use of struct portset lie inside the bitmap. */
static void assert_bound_holds(const struct portset *s)
{
	assert_true(s->lo <= PORTSET_WORDS);
	assert_true(s->hi <= PORTSET_WORDS);
}

static void model_runs_match(const struct portset *s, const struct model *m)
{
	static struct model rebuilt;
	struct portrun run;

	memset(&rebuilt, 0, sizeof(rebuilt));
	PORTSET_FOREACH_RUN(s, c, run)
	{
		for (unsigned p = run.lo; p <= run.hi; p++)
			rebuilt.p[p] = true;
	}
	assert_memory_equal(&rebuilt, m, sizeof(*m));
}

/*
 * Every operation, in random sequences on three sets, against the model: the
 * bound is kept, and the operations that walk only the bound (union,
 * intersect, subtract, count, is_empty, equal, runs) agree with the model
 * whatever the bounds of their operands.
 */
static void test_ops_random_bounded(void **state)
{
	static struct model m[3], t;
	struct portset s[3];

	for (int i = 0; i < 3; i++) {
		/* Garbage in the words not in use must never show. */
		memset(&s[i], 0xa5, sizeof(s[i]));
		portset_clear(&s[i]);
		memset(&m[i], 0, sizeof(m[i]));
	}
	for (int step = 0; step < 3000; step++) {
		unsigned a = (unsigned)(rng() % 3), b = (unsigned)(rng() % 3);
		uint16_t lo = rand_port(), hi = rand_port();

		if (lo > hi) {
			uint16_t x = lo;
			lo = hi;
			hi = x;
		}
		if (rng() % 4 == 0) /* mostly short runs, as a service has */
			hi = (uint16_t)(lo + (rng() % 200 < 65535u - lo ? rng() % 200 : 0));
		switch (rng() % 11) {
		case 0: portset_add(&s[a], lo); m[a].p[lo] = true; break;
		case 1: portset_remove(&s[a], lo); m[a].p[lo] = false; break;
		case 2:
			portset_add_range(&s[a], lo, hi);
			for (unsigned p = lo; p <= hi; p++)
				m[a].p[p] = true;
			break;
		case 3:
			portset_remove_range(&s[a], lo, hi);
			for (unsigned p = lo; p <= hi; p++)
				m[a].p[p] = false;
			break;
		case 4:
			portset_union(&s[a], &s[b]);
			for (unsigned p = 0; p < PORTSET_PORTS; p++)
				m[a].p[p] = m[a].p[p] || m[b].p[p];
			break;
		case 5:
			portset_intersect(&s[a], &s[b]);
			for (unsigned p = 0; p < PORTSET_PORTS; p++)
				m[a].p[p] = m[a].p[p] && m[b].p[p];
			break;
		case 6:
			portset_subtract(&s[a], &s[b]);
			for (unsigned p = 0; p < PORTSET_PORTS; p++)
				m[a].p[p] = m[a].p[p] && !m[b].p[p];
			break;
		case 7:
			if (rng() % 8 == 0) {
				portset_fill(&s[a]);
				memset(&m[a], 1, sizeof(m[a]));
			}
			break;
		case 8:
			if (rng() % 4 == 0) {
				portset_clear(&s[a]);
				memset(&m[a], 0, sizeof(m[a]));
			}
			break;
		case 9:
			portset_copy(&s[a], &s[b]);
			m[a] = m[b];
			break;
		default:
			/* Equal sets with different bounds: a set rebuilt from runs. */
			portset_clear(&s[a]);
			portset_add_range(&s[a], 0, 65535);
			for (unsigned p = 0; p < PORTSET_PORTS; p++)
				if (!m[b].p[p])
					portset_remove(&s[a], (uint16_t)p);
			m[a] = m[b];
			break;
		}
		assert_bound_holds(&s[a]);
		assert_matches_model(&s[a], &m[a]);
		t = m[a];
		assert_int_equal(portset_equal(&s[a], &s[b]), memcmp(&t, &m[b], sizeof(t)) == 0);
		assert_int_equal(portset_equal(&s[b], &s[a]), memcmp(&t, &m[b], sizeof(t)) == 0);
		if (step % 10 == 0)
			model_runs_match(&s[a], &m[a]);
	}
}

/* Parse a C string (NUL bytes need parse_bytes). */
static int parse(const char *in, struct portset *s, struct portset_parse_info *info)
{
	return portset_parse(in, strlen(in), s, info);
}

static char *formatted(const struct portset *s)
{
	char *out = NULL;

	assert_int_equal(portset_format_alloc(s, &out), 0);
	return out;
}

/* Every row of REFERENCE §1.1 that the kernel accepts, with what it reads back. */
static void test_parse_kernel_table_accepted(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "8080", "8080" },
		{ "1000,2000", "1000,2000" },
		{ "1000\n", "1000" },
		{ "1000,2000\n", "1000,2000" },
		{ "1000,2000\n\n", "1000,2000" },
		{ "1000\n2000", "1000,2000" },
		{ "1000\n\n\n2000\n", "1000,2000" },
		{ "\n1000", "1000" },
		{ "1000-1005", "1000-1005" },
		{ "1000-1000", "1000" },
		{ "1000,1000,1000", "1000" },
		{ "1000-1010,1005-1020", "1000-1020" },
		{ "1000-1010,1011-1020", "1000-1020" },
		{ "3000,1000", "1000,3000" },
		{ "5,4,3,2,1", "1-5" },
		{ "0", "0" },
		{ "0-5", "0-5" },
		{ "65535", "65535" },
		{ "1000,", "1000" },
		{ "1000-1005,", "1000-1005" },
		{ "0x10", "16" },
		{ "010", "8" },
		{ "1000-0x3F0", "1000-1008" },
		{ "\n", "" },
		/* Beyond the table: forms the kernel's grammar also accepts. */
		{ "0X1f", "31" },
		{ "00", "0" },
		{ "0", "0" },
		{ "1000,\n2000", "1000,2000" },
		{ "00000000000000001000", "512" }, /* 20 characters: still parsed (octal) */
		{ "0x000000000000000010", "16" },  /* 20 characters with the prefix */
		{ "0-65535", "0-65535" },
		{ "1-3,5,7-9", "1-3,5,7-9" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct portset s;
		struct portset_parse_info info = { 0 };
		int r = parse(rows[i].in, &s, &info);

		if (r != 0)
			fail_msg("'%s' rejected at byte %zu: %s", rows[i].in, info.offset,
				 portset_parse_error_to_string(info.error));
		char *out = formatted(&s);
		assert_string_equal(out, rows[i].out);
		free(out);
	}
}

/* Every row of REFERENCE §1.1 that the kernel rejects, with where and why. */
static void test_parse_kernel_table_rejected(void **state)
{
	static const struct {
		const char *in;
		size_t offset;
		enum portset_parse_error error;
	} rows[] = {
		{ "1000, 2000", 5, PORTSET_PARSE_SPACE },
		{ "1000 ,2000", 4, PORTSET_PARSE_SPACE },
		{ "1000 2000", 4, PORTSET_PARSE_SPACE },
		{ "1000\t2000", 4, PORTSET_PARSE_SPACE },
		{ " 1000", 0, PORTSET_PARSE_SPACE },
		{ "1000\r\n", 4, PORTSET_PARSE_BAD_SEPARATOR },
		{ "1000 - 1005", 4, PORTSET_PARSE_SPACE },
		{ "1000- 1005", 5, PORTSET_PARSE_SPACE },
		{ "1000 -1005", 4, PORTSET_PARSE_SPACE },
		{ "1005-1000", 0, PORTSET_PARSE_REVERSED },
		{ "65536", 0, PORTSET_PARSE_OUT_OF_RANGE },
		{ "1000,70000", 5, PORTSET_PARSE_OUT_OF_RANGE },
		{ "1000-65536", 5, PORTSET_PARSE_OUT_OF_RANGE },
		{ "4294968296", 0, PORTSET_PARSE_OUT_OF_RANGE },
		{ "18446744073709551616", 0, PORTSET_PARSE_OUT_OF_RANGE },
		{ "-5", 0, PORTSET_PARSE_NEGATIVE },
		{ "+1000", 0, PORTSET_PARSE_EXPECTED_NUMBER },
		{ "abc", 0, PORTSET_PARSE_EXPECTED_NUMBER },
		{ "1000;2000", 4, PORTSET_PARSE_BAD_SEPARATOR },
		{ "1000:2000", 4, PORTSET_PARSE_BAD_SEPARATOR },
		{ ",1000", 0, PORTSET_PARSE_EXPECTED_NUMBER },
		{ "1000,,2000", 5, PORTSET_PARSE_EXPECTED_NUMBER },
		{ ",", 0, PORTSET_PARSE_EXPECTED_NUMBER },
		{ "1000-", 5, PORTSET_PARSE_MISSING_END },
		{ "1000--1005", 5, PORTSET_PARSE_NEGATIVE },
		{ "1000-1005-1010", 9, PORTSET_PARSE_BAD_SEPARATOR },
		{ "1000-1005-", 9, PORTSET_PARSE_BAD_SEPARATOR },
		{ "08080", 1, PORTSET_PARSE_OCTAL_DIGIT },
		{ "0009", 3, PORTSET_PARSE_OCTAL_DIGIT },
		{ " ", 0, PORTSET_PARSE_SPACE },
		/* Beyond the table. */
		{ "000000000000000001000", 0, PORTSET_PARSE_TOO_LONG }, /* 21 characters */
		{ "0x", 1, PORTSET_PARSE_BAD_SEPARATOR },
		{ "0x1g", 3, PORTSET_PARSE_BAD_SEPARATOR },
		{ "-", 0, PORTSET_PARSE_EXPECTED_NUMBER },
		{ "\n,", 1, PORTSET_PARSE_EXPECTED_NUMBER },
		{ "1000\n,2000", 5, PORTSET_PARSE_EXPECTED_NUMBER },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct portset s;
		struct portset_parse_info info = { 0 };
		int r = parse(rows[i].in, &s, &info);

		if (r != -EINVAL)
			fail_msg("'%s' accepted, the kernel rejects it", rows[i].in);
		if (info.offset != rows[i].offset || info.error != rows[i].error)
			fail_msg("'%s': got byte %zu '%s', want byte %zu '%s'", rows[i].in,
				 info.offset, portset_parse_error_to_string(info.error),
				 rows[i].offset, portset_parse_error_to_string(rows[i].error));
	}
}

static void test_parse_nul_bytes(void **state)
{
	struct portset s;
	struct portset_parse_info info;

	/* proc_do_large_bitmap() allows NUL only after the end of a range. */
	assert_int_equal(portset_parse("1-2\0" "3", 5, &s, &info), 0);
	assert_int_equal(portset_count(&s), 3);
	assert_true(portset_contains(&s, 3));
	assert_int_equal(portset_parse("1\0", 2, &s, &info), -EINVAL);
	assert_int_equal(info.offset, 1);
	assert_int_equal(info.error, PORTSET_PARSE_BAD_SEPARATOR);
}

static void test_parse_empty_and_untouched_output(void **state)
{
	struct portset s, before;
	struct portset_parse_info info = { .offset = 12345 };

	assert_int_equal(portset_parse("", 0, &s, &info), 0);
	assert_true(portset_is_empty(&s));
	assert_int_equal(info.offset, 12345); /* untouched on success */

	portset_clear(&s);
	portset_add(&s, 7);
	before = s;
	assert_int_equal(parse("1,2,x", &s, &info), -EINVAL);
	assert_true(portset_equal(&s, &before)); /* untouched on failure */
	assert_int_equal(parse("1,2,x", &s, NULL), -EINVAL); /* info is optional */
}

static void test_parse_format_roundtrip_random(void **state)
{
	static struct model m;

	for (int round = 0; round < 300; round++) {
		struct portset s, back;
		struct portset_parse_info info;

		random_set(&s, &m);
		char *out = formatted(&s);
		assert_int_equal(parse(out, &back, &info), 0);
		assert_true(portset_equal(&s, &back));
		free(out);
	}
}

static void test_format(void **state)
{
	struct portset s;
	char buf[16];
	size_t n;

	portset_clear(&s);
	assert_int_equal(portset_format(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");

	portset_add_range(&s, 1, 3);
	portset_add(&s, 5);
	portset_add_range(&s, 7, 9);
	portset_add(&s, 65535);
	assert_int_equal(portset_format(&s, NULL, 0), strlen("1-3,5,7-9,65535"));

	/* Like snprintf: truncated but terminated, full length returned. */
	n = portset_format(&s, buf, 6);
	assert_int_equal(n, strlen("1-3,5,7-9,65535"));
	assert_string_equal(buf, "1-3,5");

	n = portset_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "1-3,5,7-9,65535");
	assert_int_equal(n, 15);
}

static void test_format_worst_case(void **state)
{
	struct portset s;
	char *out;

	/* Pairs 0-1,3-4,6-7,...: the longest canonical list (REFERENCE §1.3). */
	portset_clear(&s);
	for (unsigned p = 0; p + 1 < PORTSET_PORTS; p += 3)
		portset_add_range(&s, (uint16_t)p, (uint16_t)(p + 1));
	portset_add(&s, 65535);
	out = formatted(&s);
	assert_int_equal(strlen(out) + 1, 254738); /* the kernel adds "\n" */
	assert_true(strlen(out) < PORTSET_FORMAT_MAX);
	free(out);
}

static void test_error_strings(void **state)
{
	for (int e = 0; e < _PORTSET_PARSE_ERROR_MAX; e++) {
		const char *s = portset_parse_error_to_string((enum portset_parse_error)e);
		assert_non_null(s);
		assert_true(strlen(s) > 5);
	}
	assert_string_equal(portset_parse_error_to_string(_PORTSET_PARSE_ERROR_MAX),
			    "invalid port list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clear_fill),
		cmocka_unit_test(test_add_remove_contains),
		cmocka_unit_test(test_ranges_random),
		cmocka_unit_test(test_range_edges),
		cmocka_unit_test(test_set_operations_random),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_count_range),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_runs_random),
		cmocka_unit_test(test_ops_random_bounded),
		cmocka_unit_test(test_parse_kernel_table_accepted),
		cmocka_unit_test(test_parse_kernel_table_rejected),
		cmocka_unit_test(test_parse_nul_bytes),
		cmocka_unit_test(test_parse_empty_and_untouched_output),
		cmocka_unit_test(test_parse_format_roundtrip_random),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_worst_case),
		cmocka_unit_test(test_error_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
