/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * portset_parse() on arbitrary bytes, the kernel's list syntax for
 * ip_local_reserved_ports.  Checked beyond "no crash": an error offset lies
 * inside the input; an accepted set formats to canonical text that parses back
 * to the same set (also with the "\n" a writer appends), formats again to the
 * same bytes, and is truncated like snprintf when the buffer is short.
 */
#include <errno.h>
#include <string.h>

#include "portaudit/portset.h"

#include "fuzz.h"

/* The canonical text has only digits, ',' and '-', in sorted, merged runs. */
static void check_canonical(const struct portset *s, const char *text, size_t len)
{
	struct portrun run;
	unsigned count = 0;
	long prev_hi = -2;

	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK((text[i] >= '0' && text[i] <= '9') || text[i] == ',' || text[i] == '-',
			   "byte 0x%02x at %zu of the formatted list", (unsigned char)text[i], i);
	PORTSET_FOREACH_RUN(s, cursor, run)
	{
		FUZZ_CHECK(run.lo <= run.hi, "run %u-%u", run.lo, run.hi);
		/* Runs are maximal: the next one starts past a gap. */
		FUZZ_CHECK((long)run.lo > prev_hi + 1, "run %u-%u after %ld", run.lo, run.hi, prev_hi);
		prev_hi = run.hi;
		count += (unsigned)run.hi - run.lo + 1;
	}
	FUZZ_CHECK(count == portset_count(s), "runs hold %u ports, the set %u", count,
		   portset_count(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[PORTSET_FORMAT_MAX + 2], again[PORTSET_FORMAT_MAX + 1];
	struct portset s, back;
	struct portset_parse_info info = { .offset = SIZE_MAX, .error = _PORTSET_PARSE_ERROR_MAX };
	char small[16];
	size_t n, k;
	int r;

	r = portset_parse((const char *)data, size, &s, &info);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL, "portset_parse() returned %d", r);
		FUZZ_CHECK(info.offset <= size, "error offset %zu past the input of %zu bytes",
			   info.offset, size);
		FUZZ_CHECK((unsigned)info.error < _PORTSET_PARSE_ERROR_MAX, "error %d",
			   (int)info.error);
		FUZZ_CHECK(portset_parse_error_to_string(info.error) != NULL, "no message");
		/* The info is optional. */
		FUZZ_CHECK(portset_parse((const char *)data, size, &back, NULL) == -EINVAL,
			   "parse without info accepted what parse with info refused");
		return 0;
	}
	FUZZ_CHECK(r == 0, "portset_parse() returned %d", r);

	n = portset_format(&s, NULL, 0);
	FUZZ_CHECK(n < PORTSET_FORMAT_MAX, "formatted length %zu", n);
	FUZZ_CHECK(portset_format(&s, text, sizeof(text)) == n, "second length differs");
	FUZZ_CHECK(strlen(text) == n, "strlen %zu, returned %zu", strlen(text), n);
	check_canonical(&s, text, n);

	r = portset_parse(text, n, &back, &info);
	FUZZ_CHECK(r == 0, "formatted list '%.80s' does not parse back (offset %zu)", text,
		   info.offset);
	FUZZ_CHECK(portset_equal(&s, &back), "'%.80s' parses back to another set", text);
	FUZZ_CHECK(portset_format(&back, again, sizeof(again)) == n && memcmp(text, again, n) == 0,
		   "formatting is not a fixed point");

	/* What a writer sends to the kernel: the list and a newline. */
	text[n] = '\n';
	text[n + 1] = '\0';
	r = portset_parse(text, n + 1, &back, NULL);
	FUZZ_CHECK(r == 0 && portset_equal(&s, &back), "list plus newline differs");

	/* snprintf semantics: a short buffer holds a NUL-terminated prefix. */
	k = size % sizeof(small);
	memset(small, 'X', sizeof(small));
	FUZZ_CHECK(portset_format(&s, small, k) == n, "length with a %zu-byte buffer", k);
	if (k > 0) {
		size_t kept = n < k - 1 ? n : k - 1;
		FUZZ_CHECK(small[kept] == '\0' && memcmp(small, text, kept) == 0,
			   "truncated output with a %zu-byte buffer", k);
	}
	for (size_t i = k; i < sizeof(small); i++)
		FUZZ_CHECK(small[i] == 'X', "byte %zu written past a %zu-byte buffer", i, k);
	return 0;
}
