/* SPDX-License-Identifier: MIT */
/* Tests of hmap.h: string and integer maps, many entries, deletes,
 * re-inserts, tombstone reuse, and the borrowed-key contract. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define MANY 100000

static void *ptr(uintptr_t v)
{
	return (void *)v;
}

/* Every live slot is findable and the counters agree with the slots. */
static void smap_audit(const struct cfs_smap *m)
{
	size_t live = 0, empty = 0;
	for (size_t i = 0; i < m->cap; i++) {
		const struct cfs_smap_slot *s = &m->slots[i];
		if (!s->key) {
			empty++;
			continue;
		}
		if (s->val == NULL)
			continue; /* tombstone (deleted slots hold no value) */
		live++;
		cr_assert_eq(cfs_smap_get(m, s->key), s->val, "slot %zu key \"%s\" not findable", i,
			     s->key);
	}
	cr_assert_eq(live, m->n, "live slots %zu, n %zu", live, m->n);
	cr_assert_leq(m->n, m->used);
	cr_assert_eq(m->cap - empty, m->used, "used %zu but %zu non-empty slots", m->used,
		     m->cap - empty);
	if (m->cap) {
		cr_assert_eq(m->cap & (m->cap - 1), 0, "cap %zu not a power of two", m->cap);
		cr_assert_gt(empty, 0, "no empty slot: lookups of a missing key would not end");
	}
}

static void imap_audit(const struct cfs_imap *m)
{
	size_t live = 0, empty = 0;
	for (size_t i = 0; i < m->cap; i++) {
		const struct cfs_imap_slot *s = &m->slots[i];
		if (!s->key) {
			empty++;
			continue;
		}
		if (s->key == UINT64_MAX)
			continue;
		live++;
		cr_assert_eq(cfs_imap_get(m, s->key), s->val);
	}
	cr_assert_eq(live, m->n);
	cr_assert_eq(m->cap - empty, m->used);
	if (m->cap) {
		cr_assert_eq(m->cap & (m->cap - 1), 0);
		cr_assert_gt(empty, 0);
	}
}

Test(hmap, smap_empty)
{
	struct cfs_smap m = {0};
	cr_assert_null(cfs_smap_get(&m, "x"));
	cr_assert_null(cfs_smap_del(&m, "x"));
	cr_assert_eq(m.n, 0);
	cfs_smap_free(&m);
	cfs_smap_free(&m); /* twice is fine: free zeroes */
}

Test(hmap, smap_basic)
{
	struct cfs_smap m = {0};
	cr_assert_eq(cfs_smap_put(&m, "a", ptr(1)), 0);
	cr_assert_eq(cfs_smap_put(&m, "b", ptr(2)), 0);
	cr_assert_eq(cfs_smap_put(&m, "", ptr(3)), 0); /* empty key is a key */
	cr_assert_eq(m.n, 3);
	cr_assert_eq(cfs_smap_get(&m, "a"), ptr(1));
	cr_assert_eq(cfs_smap_get(&m, "b"), ptr(2));
	cr_assert_eq(cfs_smap_get(&m, ""), ptr(3));
	cr_assert_null(cfs_smap_get(&m, "c"));
	cr_assert_null(cfs_smap_get(&m, "A"), "keys are case-sensitive");
	/* replace */
	cr_assert_eq(cfs_smap_put(&m, "a", ptr(10)), 0);
	cr_assert_eq(m.n, 3);
	cr_assert_eq(cfs_smap_get(&m, "a"), ptr(10));
	/* delete */
	cr_assert_eq(cfs_smap_del(&m, "a"), ptr(10));
	cr_assert_null(cfs_smap_get(&m, "a"));
	cr_assert_null(cfs_smap_del(&m, "a"));
	cr_assert_eq(m.n, 2);
	cr_assert_eq(cfs_smap_get(&m, "b"), ptr(2));
	smap_audit(&m);
	cfs_smap_free(&m);
	cr_assert_eq(m.cap, 0);
	cr_assert_null(m.slots);
}

/* The map compares contents, not pointers, and a replacing put takes the
 * new key pointer: the old string may then go away. */
Test(hmap, smap_borrowed_keys)
{
	struct cfs_smap m = {0};
	char *k1 = strdup("name"), *k2 = strdup("name");
	cr_assert_eq(cfs_smap_put(&m, k1, ptr(1)), 0);
	cr_assert_eq(cfs_smap_get(&m, "name"), ptr(1));
	cr_assert_eq(cfs_smap_put(&m, k2, ptr(2)), 0);
	cr_assert_eq(m.n, 1);
	memset(k1, 'X', 4);
	free(k1);
	cr_assert_eq(cfs_smap_get(&m, "name"), ptr(2));
	cr_assert_eq(cfs_smap_del(&m, "name"), ptr(2));
	free(k2);
	cfs_smap_free(&m);
}

Test(hmap, smap_many)
{
	struct cfs_smap m = {0};
	char(*keys)[16] = malloc(sizeof(*keys) * MANY);
	cr_assert_not_null(keys);
	for (uintptr_t i = 0; i < MANY; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key-%lu", (unsigned long)i);
		cr_assert_eq(cfs_smap_put(&m, keys[i], ptr(i + 1)), 0);
	}
	cr_assert_eq(m.n, MANY);
	for (uintptr_t i = 0; i < MANY; i++)
		cr_assert_eq(cfs_smap_get(&m, keys[i]), ptr(i + 1), "key %lu", (unsigned long)i);
	cr_assert_null(cfs_smap_get(&m, "key-100000"));
	smap_audit(&m);

	/* delete every odd key */
	for (uintptr_t i = 1; i < MANY; i += 2)
		cr_assert_eq(cfs_smap_del(&m, keys[i]), ptr(i + 1));
	cr_assert_eq(m.n, MANY / 2);
	for (uintptr_t i = 0; i < MANY; i++) {
		if (i & 1)
			cr_assert_null(cfs_smap_get(&m, keys[i]), "deleted key %lu found",
				       (unsigned long)i);
		else
			cr_assert_eq(cfs_smap_get(&m, keys[i]), ptr(i + 1));
	}
	smap_audit(&m);

	/* re-insert them with new values */
	for (uintptr_t i = 1; i < MANY; i += 2)
		cr_assert_eq(cfs_smap_put(&m, keys[i], ptr(i + 1000000)), 0);
	cr_assert_eq(m.n, MANY);
	for (uintptr_t i = 0; i < MANY; i++)
		cr_assert_eq(cfs_smap_get(&m, keys[i]), ptr(i & 1 ? i + 1000000 : i + 1));
	smap_audit(&m);

	/* delete all, then the map is empty but usable */
	for (uintptr_t i = 0; i < MANY; i++)
		cr_assert_not_null(cfs_smap_del(&m, keys[i]));
	cr_assert_eq(m.n, 0);
	for (uintptr_t i = 0; i < MANY; i += 997)
		cr_assert_null(cfs_smap_get(&m, keys[i]));
	cr_assert_eq(cfs_smap_put(&m, keys[7], ptr(7)), 0);
	cr_assert_eq(cfs_smap_get(&m, keys[7]), ptr(7));
	smap_audit(&m);
	cfs_smap_free(&m);
	free(keys);
}

/* Deleting and re-adding the same key reuses its tombstone. */
Test(hmap, smap_tombstone_reuse_same_key)
{
	struct cfs_smap m = {0};
	cr_assert_eq(cfs_smap_put(&m, "k", ptr(1)), 0);
	size_t cap = m.cap, used = m.used;
	for (int i = 0; i < 100000; i++) {
		cr_assert_eq(cfs_smap_del(&m, "k"), ptr(1));
		cr_assert_eq(cfs_smap_put(&m, "k", ptr(1)), 0);
	}
	cr_assert_eq(m.cap, cap);
	cr_assert_eq(m.used, used);
	cr_assert_eq(m.n, 1);
	smap_audit(&m);
	cfs_smap_free(&m);
}

/* Churn of distinct keys with few live at a time: tombstones are purged
 * by rehashing and the table does not grow without bound. */
Test(hmap, smap_churn_bounded)
{
	struct cfs_smap m = {0};
	enum { LIVE = 10, ROUNDS = 100000 };
	char(*keys)[16] = malloc(sizeof(*keys) * ROUNDS);
	cr_assert_not_null(keys);
	for (int i = 0; i < ROUNDS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "c%d", i);
		cr_assert_eq(cfs_smap_put(&m, keys[i], ptr((uintptr_t)i + 1)), 0);
		if (i >= LIVE)
			cr_assert_eq(cfs_smap_del(&m, keys[i - LIVE]), ptr((uintptr_t)(i - LIVE) + 1));
		cr_assert_leq(m.cap, 64, "cap grew to %zu with %zu live keys", m.cap, m.n);
	}
	cr_assert_eq(m.n, LIVE);
	for (int i = ROUNDS - LIVE; i < ROUNDS; i++)
		cr_assert_eq(cfs_smap_get(&m, keys[i]), ptr((uintptr_t)i + 1));
	cr_assert_null(cfs_smap_get(&m, keys[ROUNDS - LIVE - 1]));
	smap_audit(&m);
	cfs_smap_free(&m);
	free(keys);
}

Test(hmap, imap_basic)
{
	struct cfs_imap m = {0};
	cr_assert_null(cfs_imap_get(&m, 1));
	cr_assert_null(cfs_imap_del(&m, 1));
	uint64_t keys[] = {1, 2, 3, 1ULL << 32, 1ULL << 63, UINT64_MAX - 1, 0x123456789abcdefULL};
	for (size_t i = 0; i < (sizeof(keys) / sizeof(keys[0])); i++)
		cr_assert_eq(cfs_imap_put(&m, keys[i], ptr(i + 1)), 0);
	cr_assert_eq(m.n, (sizeof(keys) / sizeof(keys[0])));
	for (size_t i = 0; i < (sizeof(keys) / sizeof(keys[0])); i++)
		cr_assert_eq(cfs_imap_get(&m, keys[i]), ptr(i + 1));
	cr_assert_null(cfs_imap_get(&m, 4));
	cr_assert_eq(cfs_imap_put(&m, 2, ptr(99)), 0);
	cr_assert_eq(m.n, (sizeof(keys) / sizeof(keys[0])));
	cr_assert_eq(cfs_imap_get(&m, 2), ptr(99));
	cr_assert_eq(cfs_imap_del(&m, 2), ptr(99));
	cr_assert_null(cfs_imap_get(&m, 2));
	cr_assert_null(cfs_imap_del(&m, 2));
	imap_audit(&m);
	cfs_imap_free(&m);
	cr_assert_eq(m.cap, 0);
}

Test(hmap, imap_many)
{
	struct cfs_imap m = {0};
	/* sequential ids like the registry's, plus a scattered set */
	for (uint64_t i = 1; i <= MANY; i++)
		cr_assert_eq(cfs_imap_put(&m, i, ptr(i)), 0);
	for (uint64_t i = 1; i <= MANY; i++)
		cr_assert_eq(cfs_imap_put(&m, i * 0x9e3779b97f4a7c15ULL | 1, ptr(i + MANY)), 0);
	cr_assert_eq(m.n, 2 * MANY);
	for (uint64_t i = 1; i <= MANY; i++) {
		cr_assert_eq(cfs_imap_get(&m, i), ptr(i));
		cr_assert_eq(cfs_imap_get(&m, i * 0x9e3779b97f4a7c15ULL | 1), ptr(i + MANY));
	}
	imap_audit(&m);
	/* delete the sequential ones divisible by 3 */
	for (uint64_t i = 3; i <= MANY; i += 3)
		cr_assert_eq(cfs_imap_del(&m, i), ptr(i));
	for (uint64_t i = 1; i <= MANY; i++) {
		if (i % 3 == 0)
			cr_assert_null(cfs_imap_get(&m, i));
		else
			cr_assert_eq(cfs_imap_get(&m, i), ptr(i));
	}
	imap_audit(&m);
	/* and re-insert them */
	for (uint64_t i = 3; i <= MANY; i += 3)
		cr_assert_eq(cfs_imap_put(&m, i, ptr(i * 7)), 0);
	for (uint64_t i = 1; i <= MANY; i++)
		cr_assert_eq(cfs_imap_get(&m, i), ptr(i % 3 ? i : i * 7));
	cr_assert_eq(m.n, 2 * MANY);
	imap_audit(&m);
	cfs_imap_free(&m);
}

Test(hmap, imap_tombstone_reuse_and_churn)
{
	struct cfs_imap m = {0};
	cr_assert_eq(cfs_imap_put(&m, 42, ptr(1)), 0);
	size_t cap = m.cap, used = m.used;
	for (int i = 0; i < 10000; i++) {
		cr_assert_eq(cfs_imap_del(&m, 42), ptr(1));
		cr_assert_eq(cfs_imap_put(&m, 42, ptr(1)), 0);
	}
	cr_assert_eq(m.cap, cap);
	cr_assert_eq(m.used, used);
	/* churn with ever-increasing ids, as the registry does */
	for (uint64_t id = 100; id < 100100; id++) {
		cr_assert_eq(cfs_imap_put(&m, id, ptr(id)), 0);
		if (id >= 110)
			cr_assert_eq(cfs_imap_del(&m, id - 10), ptr(id - 10));
		cr_assert_leq(m.cap, 64, "cap grew to %zu with %zu live keys", m.cap, m.n);
	}
	cr_assert_eq(m.n, 11);
	imap_audit(&m);
	cfs_imap_free(&m);
}

Test(hmap, hash_str)
{
	cr_assert_eq(cfs_hash_str("abc"), cfs_hash_str("abc"));
	cr_assert_neq(cfs_hash_str("abc"), cfs_hash_str("abd"));
	cr_assert_neq(cfs_hash_str(""), cfs_hash_str("a"));
	/* low bits are spread: 1000 similar keys hit many of 64 buckets */
	int hit[64] = {0}, used = 0;
	for (int i = 0; i < 1000; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		hit[cfs_hash_str(k) & 63]++;
	}
	for (int i = 0; i < 64; i++)
		used += hit[i] > 0;
	cr_assert_geq(used, 60, "only %d of 64 buckets used", used);
}
