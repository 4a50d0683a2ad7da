/* SPDX-License-Identifier: MIT */
/* Helpers shared by the scripts/bench-notify.sh programs (header only;
 * each program is one translation unit built with `cc -O2 -pthread`). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void sleep_ns(int64_t ns)
{
	if (ns <= 0)
		return;
	struct timespec ts = {ns / 1000000000, ns % 1000000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values (p in 0..100). */
static inline int64_t pct(const int64_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* "p50 p99 max" of ns values in microseconds, as key=value words. */
static inline void print_pcts(const char *key, int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	if (!n) {
		printf(" %s_p50=nan %s_p90=nan %s_p99=nan %s_max=nan %s_min=nan", key, key, key, key,
		       key);
		return;
	}
	printf(" %s_p50=%.1f %s_p90=%.1f %s_p99=%.1f %s_max=%.1f %s_min=%.1f", key,
	       pct(v, n, 50) / 1e3, key, pct(v, n, 90) / 1e3, key, pct(v, n, 99) / 1e3, key,
	       v[n - 1] / 1e3, key, v[0] / 1e3);
}

/* write(2) of all of buf in ONE call (a control transaction); dies on a
 * short write. Returns 0 or -errno. */
static inline int write_once(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		die("short write: %zd of %zu bytes", n, len);
	return 0;
}

struct sbuf {
	char *d;
	size_t len, cap;
};

static inline void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = b->cap - b->len;
		int n = vsnprintf(b->d ? b->d + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf");
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		b->d = realloc(b->d, cap);
		if (!b->d)
			die("out of memory");
		b->cap = cap;
	}
}

/* Parses the unsigned number after "key": in a JSON line (0 if absent). */
static inline unsigned long long json_u64(const char *line, const char *end, const char *key)
{
	char pat[64];
	int k = snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = memmem(line, (size_t)(end - line), pat, (size_t)k);
	if (!p)
		return 0;
	return strtoull(p + k, NULL, 10);
}

#endif
