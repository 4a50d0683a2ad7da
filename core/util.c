/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

int cfs_buf_reserve(struct cfs_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int cfs_buf_append(struct cfs_buf *b, const void *p, size_t n)
{
	int r = cfs_buf_reserve(b, n);
	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int cfs_buf_puts(struct cfs_buf *b, const char *s)
{
	return cfs_buf_append(b, s, strlen(s));
}

int cfs_buf_printf(struct cfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	int r = cfs_buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void cfs_buf_reset(struct cfs_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void cfs_buf_free(struct cfs_buf *b)
{
	free(b->data);
	*b = (struct cfs_buf){0};
}

char *cfs_buf_steal(struct cfs_buf *b)
{
	if (!b->data && cfs_buf_reserve(b, 0) < 0)
		return NULL;
	char *p = b->data;
	p[b->len] = '\0';
	*b = (struct cfs_buf){0};
	return p;
}

int cfs_vec_insert(struct cfs_vec *vec, size_t at, void *p)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		void **v = realloc(vec->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	memmove(vec->v + at + 1, vec->v + at, (vec->n - at) * sizeof(*vec->v));
	vec->v[at] = p;
	vec->n++;
	return 0;
}

int cfs_vec_push(struct cfs_vec *vec, void *p)
{
	return cfs_vec_insert(vec, vec->n, p);
}

void cfs_vec_remove_at(struct cfs_vec *vec, size_t at)
{
	memmove(vec->v + at, vec->v + at + 1, (vec->n - at - 1) * sizeof(*vec->v));
	vec->n--;
}

ssize_t cfs_vec_find(const struct cfs_vec *vec, const void *p)
{
	for (size_t i = 0; i < vec->n; i++)
		if (vec->v[i] == p)
			return (ssize_t)i;
	return -1;
}

bool cfs_vec_remove(struct cfs_vec *vec, const void *p)
{
	ssize_t i = cfs_vec_find(vec, p);
	if (i < 0)
		return false;
	cfs_vec_remove_at(vec, (size_t)i);
	return true;
}

void cfs_vec_free(struct cfs_vec *vec)
{
	free(vec->v);
	*vec = (struct cfs_vec){0};
}

int64_t cfs_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct timespec cfs_deadline_us(int64_t us)
{
	int64_t t = cfs_now_ns() + us * 1000;
	return (struct timespec){.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
}

int64_t cfs_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *cfs_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

bool cfs_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}
