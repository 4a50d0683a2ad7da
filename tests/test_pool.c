/* SPDX-License-Identifier: MIT */
/* core/pool.c: a bump allocator whose allocations die together. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pool.h"

Test(pool, allocations_are_aligned_zeroed_and_distinct)
{
	struct cfs_pool p = {0};
	unsigned char *prev = NULL;
	for (size_t size = 0; size < 300; size++) {
		unsigned char *a = cfs_pool_alloc(&p, size);
		cr_assert_not_null(a);
		cr_assert_eq((uintptr_t)a % 16, 0, "size %zu: not 16-byte aligned", size);
		for (size_t i = 0; i < size; i++)
			cr_assert_eq(a[i], 0, "size %zu: byte %zu not zero", size, i);
		memset(a, 0xa5, size);
		cr_assert(a != prev);
		prev = a;
	}
	cfs_pool_free(&p);
	cr_assert_null(p.head);
	cr_assert_eq(p.total, 0);
}

Test(pool, strings_survive_growth_until_freed)
{
	struct cfs_pool p = {0};
	enum { N = 20000 };
	static char *s[N];
	for (int i = 0; i < N; i++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "name-%d", i);
		s[i] = i % 2 ? cfs_pool_strdup(&p, buf) : cfs_pool_printf(&p, "name-%d", i);
		cr_assert_not_null(s[i]);
	}
	for (int i = 0; i < N; i++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "name-%d", i);
		cr_assert_str_eq(s[i], buf);
	}
	/* Blocks double from CFS_POOL_FIRST: 20000 strings of 16 bytes
	 * (rounded) take at most about twice their size, with no per-string
	 * overhead. */
	cr_assert_lt(p.total, 2 * N * 16 + CFS_POOL_FIRST, "%zu bytes for %d strings", p.total, N);
	cr_assert_null(cfs_pool_strdup(&p, NULL));
	cfs_pool_free(&p);
	/* Reusable after a free. */
	cr_assert_str_eq(cfs_pool_strdup(&p, "again"), "again");
	cfs_pool_free(&p);
}

Test(pool, a_request_bigger_than_a_block_gets_its_own)
{
	struct cfs_pool p = {0};
	cr_assert_not_null(cfs_pool_strdup(&p, "small"));
	size_t big = 3 * CFS_POOL_BLOCK_MAX + 5;
	unsigned char *b = cfs_pool_alloc(&p, big);
	cr_assert_not_null(b);
	cr_assert_eq(b[0], 0);
	cr_assert_eq(b[big - 1], 0);
	memset(b, 1, big);
	cr_assert_geq(p.total, big);
	/* Absurd sizes fail, and leave the pool as it was. */
	size_t total = p.total;
	cr_assert_null(cfs_pool_alloc(&p, SIZE_MAX - 8));
	cr_assert_eq(p.total, total);
	cfs_pool_free(&p);
}
