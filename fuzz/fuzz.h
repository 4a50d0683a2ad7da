/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer harnesses (one per parser, fuzz_*.c): a check
 * that crashes the run, so libFuzzer keeps the input, and the exact-size
 * copies that let AddressSanitizer see a read past what a parser was
 * given (libFuzzer's own buffer would hide a read of one byte past it
 * behind its allocation's slack only when it has some). */
#ifndef CFS_FUZZ_H
#define CFS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
				#cond);                                                    \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* A heap copy of exactly n bytes, not terminated (never NULL). */
static inline char *fuzz_bytes(const void *p, size_t n)
{
	char *c = malloc(n ? n : 1);
	if (!c)
		abort();
	if (n)
		memcpy(c, p, n);
	return c;
}

/* A heap copy of n bytes and a NUL (never NULL). */
static inline char *fuzz_str(const void *p, size_t n)
{
	char *c = malloc(n + 1);
	if (!c)
		abort();
	if (n)
		memcpy(c, p, n);
	c[n] = '\0';
	return c;
}

/* The separator between the parts of one input (writes, fields) where a
 * harness needs several: ASCII RS, which no test string uses. */
#define FUZZ_SEP '\x1e'

/* Walks the parts of one input split at FUZZ_SEP: always at least one
 * part (possibly empty), one more after each separator.
 *   struct fuzz_split sp = {data, size};
 *   while (fuzz_part(&sp, &part, &len)) ... */
struct fuzz_split {
	const uint8_t *data;
	size_t size, off;
	int done;
};

static inline int fuzz_part(struct fuzz_split *s, const uint8_t **ret, size_t *ret_len)
{
	if (s->done)
		return 0;
	const uint8_t *p = s->data + s->off;
	size_t left = s->size - s->off;
	const uint8_t *sep = left ? memchr(p, FUZZ_SEP, left) : NULL;
	*ret = p;
	*ret_len = sep ? (size_t)(sep - p) : left;
	if (sep)
		s->off += *ret_len + 1;
	else
		s->done = 1;
	return 1;
}

#endif
