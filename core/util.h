/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every core module: the error convention's
 * reason setter, growable byte buffers, pointer vectors, cleanup
 * attributes and time. Nothing here logs or aborts; allocation failure is
 * reported as -ENOMEM. */
#ifndef CFS_UTIL_H
#define CFS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define CFS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void cfs_freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(cfs_freep)))

/* Sets *why to reason (a static string) and returns err (a -errno):
 * `return cfs_fail(why, "no such node", -ENOENT);`. */
static inline int cfs_fail(const char **why, const char *reason, int err)
{
	*why = reason;
	return err;
}

/* Growable byte buffer; always NUL-terminated past len when data != NULL. */
struct cfs_buf {
	char *data;
	size_t len;
	size_t cap;
};

int cfs_buf_reserve(struct cfs_buf *b, size_t extra);
int cfs_buf_append(struct cfs_buf *b, const void *p, size_t n);
int cfs_buf_puts(struct cfs_buf *b, const char *s);
int cfs_buf_printf(struct cfs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cfs_buf_reset(struct cfs_buf *b);
void cfs_buf_free(struct cfs_buf *b);
/* Hands the data over to the caller (never NULL on success: "" for empty). */
char *cfs_buf_steal(struct cfs_buf *b);

/* Vector of pointers. */
struct cfs_vec {
	void **v;
	size_t n;
	size_t cap;
};

int cfs_vec_push(struct cfs_vec *vec, void *p);
int cfs_vec_insert(struct cfs_vec *vec, size_t at, void *p);
void cfs_vec_remove_at(struct cfs_vec *vec, size_t at);
/* Removes the first occurrence of p; returns true when found. */
bool cfs_vec_remove(struct cfs_vec *vec, const void *p);
ssize_t cfs_vec_find(const struct cfs_vec *vec, const void *p);
void cfs_vec_free(struct cfs_vec *vec);

/* Wall clock in nanoseconds since the epoch. */
int64_t cfs_now_ns(void);
/* Monotonic clock in nanoseconds. */
int64_t cfs_mono_ns(void);
/* The wall clock us microseconds from now: a deadline for
 * pthread_cond_timedwait on a condition variable of the default clock. */
struct timespec cfs_deadline_us(int64_t us);

/* strdup/strndup returning NULL on failure (thin, for symmetry). */
char *cfs_strndup(const char *s, size_t n);

/* True when s is valid UTF-8 of length n. */
bool cfs_utf8_valid(const char *s, size_t n);

#endif
