/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * services_parse_buffer() on arbitrary bytes, then lookups.  Checked beyond
 * "no crash": parsing succeeds (only ENOMEM may fail it), a name found has a
 * port 1..65535, a bad protocol is -EINVAL, and since the first line defining a
 * (name, protocol) pair wins, the input twice over holds the same pairs with
 * the same ports as the input once, and skips twice as many lines.
 */
#include <errno.h>
#include <string.h>

#include "portaudit/services.h"

#include "fuzz.h"

/* Names worth asking for: common ones, the empty name, and the input's first field. */
static const char *const fixed_names[] = { "http", "domain", "www", "" };

static void first_field(const uint8_t *data, size_t size, char *buf, size_t bufsize)
{
	size_t i = 0, o = 0;

	while (i < size && strchr(" \t\r\v\f\n", data[i]) && data[i] != '\0')
		i++;
	while (i < size && o + 1 < bufsize && !strchr(" \t\r\v\f\n#", data[i]))
		buf[o++] = (char)data[i++]; /* strchr() also stops at a NUL byte */
	buf[o] = '\0';
}

static int lookup(const struct services *s, const char *name, enum proto p, uint16_t *port)
{
	int r = services_lookup(s, name, p, port);

	FUZZ_CHECK(r == 0 || r == -ENOENT, "services_lookup('%s') returned %d", name, r);
	FUZZ_CHECK(r < 0 || *port != 0, "'%s' resolves to port 0", name);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct services *once = NULL, *twice = NULL;
	const char *names[ARRAY_SIZE(fixed_names) + 1];
	char first[64];
	char *doubled;
	unsigned skipped = 0, skipped_twice = 0;
	uint16_t port;
	int r;

	r = services_parse_buffer((const char *)data, size, &once, &skipped);
	if (r == -ENOMEM)
		return 0;
	FUZZ_CHECK(r == 0 && once, "services_parse_buffer() returned %d", r);
	FUZZ_CHECK(services_lookup(once, "http", _PROTO_INVALID, &port) == -EINVAL,
		   "a bad protocol is not -EINVAL");
	FUZZ_CHECK(services_lookup(once, "http", _PROTO_MAX, &port) == -EINVAL,
		   "protocol _PROTO_MAX is not -EINVAL");

	/* The input, a newline, the input: every pair is defined first by the first copy. */
	doubled = malloc(2 * size + 1);
	if (!doubled) {
		services_free(once);
		return 0;
	}
	if (size)
		memcpy(doubled, data, size);
	doubled[size] = '\n';
	if (size)
		memcpy(doubled + size + 1, data, size);
	r = services_parse_buffer(doubled, 2 * size + 1, &twice, &skipped_twice);
	free(doubled);
	if (r == -ENOMEM) {
		services_free(once);
		return 0;
	}
	FUZZ_CHECK(r == 0 && twice, "services_parse_buffer() of the doubled input returned %d", r);
	FUZZ_CHECK(services_size(once) == services_size(twice),
		   "%zu pairs from the input, %zu from the input twice", services_size(once),
		   services_size(twice));
	FUZZ_CHECK(skipped_twice == 2 * skipped, "%u lines skipped in the input, %u in it twice",
		   skipped, skipped_twice);

	first_field(data, size, first, sizeof(first));
	memcpy(names, fixed_names, sizeof(fixed_names));
	names[ARRAY_SIZE(fixed_names)] = first;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (enum proto p = 0; p < _PROTO_MAX; p++) {
			uint16_t a = 0, b = 0;
			int ra = lookup(once, names[i], p, &a), rb = lookup(twice, names[i], p, &b);

			FUZZ_CHECK(ra == rb && a == b, "'%s'/%s: %d (port %u) once, %d (port %u) twice",
				   names[i], proto_to_string(p), ra, a, rb, b);
		}

	services_free(twice);
	services_free(once);
	return 0;
}
