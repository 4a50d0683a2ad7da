/* SPDX-License-Identifier: MIT */
#include "pool.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct cfs_pool_block {
	struct cfs_pool_block *next;
	size_t size; /* data bytes */
	int mapped;
	alignas(16) unsigned char data[];
};

#define ALIGN 16u

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static struct cfs_pool_block *block_new(size_t data_size)
{
	size_t total = sizeof(struct cfs_pool_block) + data_size;
	struct cfs_pool_block *b;
	int mapped = total >= CFS_POOL_MMAP_MIN;
	if (mapped) {
		total = round_up(total, 4096);
		void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		b = m;
	} else {
		if (!(b = calloc(1, total)))
			return NULL;
	}
	b->size = total - sizeof(*b);
	b->mapped = mapped;
	return b;
}

static void block_free(struct cfs_pool_block *b)
{
	if (b->mapped)
		munmap(b, sizeof(*b) + b->size);
	else
		free(b);
}

void *cfs_pool_alloc(struct cfs_pool *p, size_t size)
{
	if (size > SIZE_MAX / 2)
		return NULL;
	size = round_up(size ? size : 1, ALIGN);
	if (!p->head || p->head->size - p->used < size) {
		size_t want = p->head ? 2 * p->head->size : CFS_POOL_FIRST;
		if (want > CFS_POOL_BLOCK_MAX)
			want = CFS_POOL_BLOCK_MAX;
		if (want < size)
			want = size;
		struct cfs_pool_block *b = block_new(want);
		if (!b)
			return NULL;
		b->next = p->head;
		p->head = b;
		p->used = 0;
		p->total += sizeof(*b) + b->size;
	}
	void *r = p->head->data + p->used;
	p->used += size;
	return r;
}

char *cfs_pool_strdup(struct cfs_pool *p, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = cfs_pool_alloc(p, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

char *cfs_pool_printf(struct cfs_pool *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *d = cfs_pool_alloc(p, (size_t)n + 1);
	if (!d)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return d;
}

void cfs_pool_free(struct cfs_pool *p)
{
	struct cfs_pool_block *b = p->head;
	while (b) {
		struct cfs_pool_block *next = b->next;
		block_free(b);
		b = next;
	}
	*p = (struct cfs_pool){0};
}
