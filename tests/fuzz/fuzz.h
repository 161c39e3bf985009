/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_FUZZ_H
#define PORTAUDIT_FUZZ_H

/*
 * Shared by the libFuzzer targets and the replay driver: every target defines
 * LLVMFuzzerTestOneInput(), which libFuzzer calls with a fresh heap copy of
 * each input, and which replay.c calls on every file of the committed corpus.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the target checks failed: say which, then abort for the fuzzer. */
#define FUZZ_CHECK(cond, ...)                                                              \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,  \
				#cond);                                                    \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
			abort();                                                           \
		}                                                                          \
	} while (0)

#endif
