/* SPDX-License-Identifier: MIT */
/* A bump allocator for many small allocations that die together (a
 * commit's inotify replay: its paths and names). Freeing the pool frees
 * all of them at once.
 *
 * Why: a burst of commits (building a large cluster) queues hundreds of
 * thousands of such strings on the committing thread, between the model's
 * own long-lived allocations. Freed one by one after the replay, they
 * leave holes in pages the model still uses, and the daemon's resident
 * size stays at its peak. The pool's blocks are its own: once a pool has
 * grown past CFS_POOL_MMAP_MIN its blocks are mapped pages, given back to
 * the kernel when the pool is freed; smaller pools are a few heap
 * blocks. Not thread-safe: one owner at a time. */
#ifndef CFS_POOL_H
#define CFS_POOL_H

#include <stdarg.h>
#include <stddef.h>

struct cfs_pool_block;

struct cfs_pool {
	struct cfs_pool_block *head; /* the block allocations come from */
	size_t used;		     /* bytes of head's data used */
	size_t total;		     /* bytes of every block, headers included */
};

/* The first block's size, and the size from which blocks are mapped. */
#define CFS_POOL_FIRST 1024
#define CFS_POOL_MMAP_MIN (64 * 1024)
/* Blocks double up to this size (bigger requests get a block their own
 * size). */
#define CFS_POOL_BLOCK_MAX (1024 * 1024)

/* size bytes aligned for any scalar type (16), or NULL when memory ran
 * out. Zero-filled: blocks are. */
void *cfs_pool_alloc(struct cfs_pool *p, size_t size);
/* A copy of s in the pool; NULL when memory ran out (or s is NULL). */
char *cfs_pool_strdup(struct cfs_pool *p, const char *s);
char *cfs_pool_printf(struct cfs_pool *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Frees every block; the pool is empty and reusable after. */
void cfs_pool_free(struct cfs_pool *p);

#endif
