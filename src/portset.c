/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "portaudit/portset.h"

static inline uint64_t bit(unsigned port)
{
	return UINT64_C(1) << (port % 64u);
}

/* Mask of the bits lo..hi (0..63) of one word. */
static inline uint64_t word_mask(unsigned lo, unsigned hi)
{
	uint64_t upto_hi = hi == 63 ? UINT64_MAX : (UINT64_C(1) << (hi + 1)) - 1;
	return upto_hi & (UINT64_MAX << lo);
}

/* Word i of s: 0 outside the words in use. */
static inline uint64_t word(const struct portset *s, unsigned i)
{
	return i >= s->lo && i < s->hi ? s->w[i] : 0;
}

/* Bring the word wi into use, zeroing the words that come into use with it. */
static void use_word(struct portset *s, unsigned wi)
{
	if (s->lo >= s->hi) {
		s->w[wi] = 0;
		s->lo = (uint16_t)wi;
		s->hi = (uint16_t)(wi + 1);
	} else if (wi < s->lo) {
		memset(s->w + wi, 0, (s->lo - wi) * sizeof(s->w[0]));
		s->lo = (uint16_t)wi;
	} else if (wi >= s->hi) {
		memset(s->w + s->hi, 0, (wi + 1 - s->hi) * sizeof(s->w[0]));
		s->hi = (uint16_t)(wi + 1);
	}
}

void portset_clear(struct portset *s)
{
	s->lo = s->hi = 0;
}

void portset_fill(struct portset *s)
{
	memset(s->w, 0xff, sizeof(s->w));
	s->lo = 0;
	s->hi = PORTSET_WORDS;
}

void portset_copy(struct portset *dst, const struct portset *src)
{
	dst->lo = src->lo;
	dst->hi = src->hi;
	if (src->lo < src->hi)
		memcpy(dst->w + src->lo, src->w + src->lo, (src->hi - src->lo) * sizeof(src->w[0]));
}

void portset_add(struct portset *s, uint16_t port)
{
	use_word(s, port / 64u);
	s->w[port / 64u] |= bit(port);
}

void portset_remove(struct portset *s, uint16_t port)
{
	if (port / 64u >= s->lo && port / 64u < s->hi)
		s->w[port / 64u] &= ~bit(port);
}

bool portset_contains(const struct portset *s, uint16_t port)
{
	return word(s, port / 64u) & bit(port);
}

/* Set (set=true) or clear the bits lo..hi, a whole word at a time. */
static void change_range(struct portset *s, unsigned lo, unsigned hi, bool set)
{
	unsigned from = lo / 64u, to = hi / 64u;

	assert(lo <= hi && hi < PORTSET_PORTS);

	if (set) {
		use_word(s, from);
		use_word(s, to);
	} else {
		if (s->lo >= s->hi)
			return;
		from = MAX(from, s->lo);
		to = MIN(to + 1, s->hi) - 1; /* below from when the range misses the words in use */
	}
	for (unsigned wi = from; wi <= to && wi < PORTSET_WORDS; wi++) {
		unsigned first = wi == lo / 64u ? lo % 64u : 0;
		unsigned last = wi == hi / 64u ? hi % 64u : 63;
		uint64_t m = word_mask(first, last);

		if (set)
			s->w[wi] |= m;
		else
			s->w[wi] &= ~m;
	}
}

void portset_add_range(struct portset *s, uint16_t lo, uint16_t hi)
{
	change_range(s, lo, hi, true);
}

void portset_remove_range(struct portset *s, uint16_t lo, uint16_t hi)
{
	change_range(s, lo, hi, false);
}

void portset_union(struct portset *dst, const struct portset *src)
{
	if (src->lo >= src->hi)
		return;
	use_word(dst, src->lo);
	use_word(dst, src->hi - 1u);
	for (unsigned i = src->lo; i < src->hi; i++)
		dst->w[i] |= src->w[i];
}

void portset_intersect(struct portset *dst, const struct portset *src)
{
	unsigned lo = MAX(dst->lo, src->lo), hi = MIN(dst->hi, src->hi);

	if (lo >= hi) {
		dst->lo = dst->hi = 0;
		return;
	}
	dst->lo = (uint16_t)lo;
	dst->hi = (uint16_t)hi;
	for (unsigned i = lo; i < hi; i++)
		dst->w[i] &= src->w[i];
}

void portset_subtract(struct portset *dst, const struct portset *src)
{
	unsigned lo = MAX(dst->lo, src->lo), hi = MIN(dst->hi, src->hi);

	for (unsigned i = lo; i < hi; i++)
		dst->w[i] &= ~src->w[i];
}

unsigned portset_count(const struct portset *s)
{
	unsigned n = 0;

	for (unsigned i = s->lo; i < s->hi; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

unsigned portset_count_range(const struct portset *s, uint16_t lo, uint16_t hi)
{
	unsigned n = 0;

	if (lo > hi)
		return 0;
	for (unsigned wi = MAX(lo / 64u, s->lo); wi <= hi / 64u && wi < s->hi; wi++) {
		unsigned first = wi == lo / 64u ? lo % 64u : 0;
		unsigned last = wi == hi / 64u ? hi % 64u : 63;

		n += (unsigned)__builtin_popcountll(s->w[wi] & word_mask(first, last));
	}
	return n;
}

bool portset_is_empty(const struct portset *s)
{
	for (unsigned i = s->lo; i < s->hi; i++)
		if (s->w[i])
			return false;
	return true;
}

bool portset_equal(const struct portset *a, const struct portset *b)
{
	unsigned lo, hi;

	if (a->lo >= a->hi)
		return portset_is_empty(b);
	if (b->lo >= b->hi)
		return portset_is_empty(a);
	lo = MIN(a->lo, b->lo);
	hi = MAX(a->hi, b->hi);
	for (unsigned i = lo; i < hi; i++)
		if (word(a, i) != word(b, i))
			return false;
	return true;
}

/*
 * First port >= from whose bit equals want, or PORTSET_PORTS when there is
 * none.  Outside the words in use every bit is clear.
 */
static unsigned find_next(const struct portset *s, unsigned from, bool want)
{
	unsigned wi = from / 64u;
	uint64_t w;

	if (from >= PORTSET_PORTS)
		return PORTSET_PORTS;
	if (wi < s->lo || wi >= s->hi) {
		if (!want)
			return from;
		if (wi >= s->hi || s->lo >= s->hi)
			return PORTSET_PORTS;
		wi = s->lo;
		from = wi * 64u;
	}
	w = (want ? s->w[wi] : ~s->w[wi]) & (UINT64_MAX << (from % 64u));
	while (w == 0) {
		if (++wi == s->hi)
			return want ? PORTSET_PORTS : wi * 64u;
		w = want ? s->w[wi] : ~s->w[wi];
	}
	return wi * 64u + (unsigned)__builtin_ctzll(w);
}

bool portset_next_run(const struct portset *s, unsigned *cursor, struct portrun *ret)
{
	unsigned lo = find_next(s, *cursor, true);

	if (lo >= PORTSET_PORTS)
		return false;

	unsigned end = find_next(s, lo + 1, false);

	ret->lo = (uint16_t)lo;
	ret->hi = (uint16_t)(end - 1);
	*cursor = end;
	return true;
}

/*
 * The parser below follows proc_do_large_bitmap() and proc_get_long() in
 * kernel/sysctl.c (Linux 5.x-6.x), because a value is only correct if the kernel
 * reads it the same way.  The kernel copies at most 21 bytes (TMPBUFLEN - 1) of a
 * number into a NUL-terminated scratch buffer, accepts an optional '-' (to reject
 * it later), requires a digit, reads base 0 like strtoul ("0x" + hex digit means
 * hex, any other leading '0' means octal), rejects a number that fills all 21
 * bytes, and then demands that the next byte, if any, is an allowed terminator:
 * '-' ',' '\n' after the first number of an item, ',' '\n' '\0' after the second.
 * One terminator byte is consumed, then any run of newlines.  Everything it rejects
 * is EINVAL; the reason codes here only say why, for people.
 */
#define KERNEL_NUMBER_MAX 21u

struct number {
	unsigned long value; /* saturated at PORTSET_PORTS */
	bool negative;
	bool has_terminator;
	char terminator;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static int fail(struct portset_parse_info *info, size_t offset, enum portset_parse_error e)
{
	if (info) {
		info->offset = offset;
		info->error = e;
	}
	return -EINVAL;
}

static int get_number(const char *buf, size_t len, size_t *pos, const char *terminators,
		      size_t n_terminators, enum portset_parse_error if_empty,
		      struct number *ret, struct portset_parse_info *info)
{
	size_t start = *pos, size = len - start;
	/* The kernel's scratch copy: bytes at or past 'window' read as NUL. */
	size_t window = start + (size < KERNEL_NUMBER_MAX ? size : KERNEL_NUMBER_MAX);
#define AT(i) ((i) < window ? buf[i] : '\0')
	size_t p = start;
	unsigned base = 10;
	bool overflow = false;
	unsigned long value = 0;

	if (size == 0)
		return fail(info, start, if_empty);

	ret->negative = false;
	if (buf[p] == '-' && size > 1) {
		ret->negative = true;
		p++;
	}
	if (!is_digit(AT(p))) {
		char c = AT(p);
		return fail(info, p,
			    c == ' ' || c == '\t' ? PORTSET_PARSE_SPACE
						  : PORTSET_PARSE_EXPECTED_NUMBER);
	}
	if (AT(p) == '0') {
		char x = AT(p + 1);
		if ((x == 'x' || x == 'X') && digit_value(AT(p + 2)) < 16) {
			base = 16;
			p += 2;
		} else
			base = 8;
	}
	for (; digit_value(AT(p)) < (int)base; p++) {
		value = value * base + (unsigned long)digit_value(AT(p));
		if (value >= PORTSET_PORTS) {
			overflow = true;
			value = PORTSET_PORTS;
		}
	}
#undef AT
	if (p - start >= KERNEL_NUMBER_MAX)
		return fail(info, start, PORTSET_PARSE_TOO_LONG);

	ret->has_terminator = p < len;
	if (ret->has_terminator) {
		char c = buf[p];

		if (!memchr(terminators, c, n_terminators)) {
			enum portset_parse_error e = PORTSET_PARSE_BAD_SEPARATOR;

			if (base == 8 && (c == '8' || c == '9'))
				e = PORTSET_PARSE_OCTAL_DIGIT;
			else if (c == ' ' || c == '\t')
				e = PORTSET_PARSE_SPACE;
			return fail(info, p, e);
		}
		ret->terminator = c;
	}
	if (ret->negative)
		return fail(info, start, PORTSET_PARSE_NEGATIVE);
	if (overflow)
		return fail(info, start, PORTSET_PARSE_OUT_OF_RANGE);

	ret->value = value;
	*pos = p;
	return 0;
}

static void skip_newlines(const char *buf, size_t len, size_t *pos)
{
	while (*pos < len && buf[*pos] == '\n')
		(*pos)++;
}

int portset_parse(const char *buf, size_t len, struct portset *ret,
		  struct portset_parse_info *ret_info)
{
	static const char after_first[] = { '-', ',', '\n' };
	static const char after_second[] = { ',', '\n', '\0' };
	struct portset set;
	size_t pos = 0;
	int r;

	portset_clear(&set);
	skip_newlines(buf, len, &pos);
	while (pos < len) {
		struct number a, b;
		size_t item = pos;

		r = get_number(buf, len, &pos, after_first, sizeof(after_first),
			       PORTSET_PARSE_EXPECTED_NUMBER, &a, ret_info);
		if (r < 0)
			return r;
		b = a;
		if (pos < len)
			pos++; /* the terminator */
		if (a.has_terminator && a.terminator == '-') {
			r = get_number(buf, len, &pos, after_second, sizeof(after_second),
				       PORTSET_PARSE_MISSING_END, &b, ret_info);
			if (r < 0)
				return r;
			if (a.value > b.value)
				return fail(ret_info, item, PORTSET_PARSE_REVERSED);
			if (pos < len)
				pos++;
		}
		portset_add_range(&set, (uint16_t)a.value, (uint16_t)b.value);
		skip_newlines(buf, len, &pos);
	}

	portset_copy(ret, &set);
	return 0;
}

const char *portset_parse_error_to_string(enum portset_parse_error e)
{
	static const char *const table[_PORTSET_PARSE_ERROR_MAX] = {
		[PORTSET_PARSE_EXPECTED_NUMBER] = "expected a port number",
		[PORTSET_PARSE_SPACE] = "blanks are not allowed in the list",
		[PORTSET_PARSE_NEGATIVE] = "negative number",
		[PORTSET_PARSE_TOO_LONG] = "number longer than 20 characters",
		[PORTSET_PARSE_OUT_OF_RANGE] = "port number above 65535",
		[PORTSET_PARSE_OCTAL_DIGIT] =
			"digit 8 or 9 in a number with a leading zero, which the kernel reads as octal",
		[PORTSET_PARSE_BAD_SEPARATOR] = "expected ',', '-' or a newline after a number",
		[PORTSET_PARSE_MISSING_END] = "range without an end",
		[PORTSET_PARSE_REVERSED] = "range start is greater than its end",
	};

	if ((unsigned)e >= ARRAY_SIZE(table))
		return "invalid port list";
	return table[e];
}

/* Append the decimal form of v at buf + *n when it fits; always advance *n. */
static void put_number(char *buf, size_t size, size_t *n, unsigned v)
{
	char tmp[8];
	size_t k = 0;

	do {
		tmp[k++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	while (k--) {
		if (*n + 1 < size)
			buf[*n] = tmp[k];
		(*n)++;
	}
}

static void put_char(char *buf, size_t size, size_t *n, char c)
{
	if (*n + 1 < size)
		buf[*n] = c;
	(*n)++;
}

size_t portset_format(const struct portset *s, char *buf, size_t size)
{
	struct portrun run;
	size_t n = 0;

	PORTSET_FOREACH_RUN(s, cursor, run)
	{
		if (n > 0)
			put_char(buf, size, &n, ',');
		put_number(buf, size, &n, run.lo);
		if (run.hi != run.lo) {
			put_char(buf, size, &n, '-');
			put_number(buf, size, &n, run.hi);
		}
	}
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

int portset_format_alloc(const struct portset *s, char **ret)
{
	size_t n = portset_format(s, NULL, 0);
	char *buf = malloc(n + 1);

	if (!buf)
		return -ENOMEM;
	portset_format(s, buf, n + 1);
	*ret = buf;
	return 0;
}

char *portset_format_cut(const struct portset *s, char *buf, size_t size)
{
	static const char more[] = ",...";
	size_t len = portset_format(s, buf, size), end;

	if (len < size)
		return buf;
	/* Keep whole items, and room for the marker. */
	end = size - sizeof(more);
	while (end > 0 && buf[end] != ',')
		end--;
	memcpy(buf + end, end ? more : more + 1, end ? sizeof(more) : sizeof(more) - 1);
	return buf;
}

int portset_format_kernel(const struct portset *s, char **ret, size_t *ret_len)
{
	size_t len = portset_format(s, NULL, 0);
	char *buf = malloc(len + 2);

	if (!buf)
		return -ENOMEM;
	portset_format(s, buf, len + 1);
	buf[len++] = '\n';
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}
