/* SPDX-License-Identifier: MIT */
/* Open-addressing hash maps used by the model's indexes.
 *
 * cfs_smap maps a borrowed C string to a pointer: the key string must stay
 * alive and unchanged while it is in the map (it normally lives inside the
 * value that is mapped). cfs_imap maps a 64-bit integer to a pointer.
 * Neither is thread-safe; the model lock guards them. */
#ifndef CFS_HMAP_H
#define CFS_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct cfs_smap_slot {
	const char *key; /* NULL: empty; CFS_SMAP_TOMB: deleted */
	void *val;
	uint64_t hash;
};

struct cfs_smap {
	struct cfs_smap_slot *slots;
	size_t cap; /* power of two or 0 */
	size_t n;
	size_t used; /* n + tombstones */
};

void *cfs_smap_get(const struct cfs_smap *m, const char *key);
/* Inserts or replaces. Returns 0 or -ENOMEM. */
int cfs_smap_put(struct cfs_smap *m, const char *key, void *val);
/* Returns the removed value or NULL. */
void *cfs_smap_del(struct cfs_smap *m, const char *key);
void cfs_smap_free(struct cfs_smap *m);

struct cfs_imap_slot {
	uint64_t key; /* 0 is reserved for "empty", UINT64_MAX for "deleted" */
	void *val;
};

struct cfs_imap {
	struct cfs_imap_slot *slots;
	size_t cap;
	size_t n;
	size_t used;
};

/* Keys must not be 0 or UINT64_MAX. */
void *cfs_imap_get(const struct cfs_imap *m, uint64_t key);
int cfs_imap_put(struct cfs_imap *m, uint64_t key, void *val);
void *cfs_imap_del(struct cfs_imap *m, uint64_t key);
/* Calls fn for every entry, in no particular order (fn must not change
 * the map). */
void cfs_imap_each(const struct cfs_imap *m, void (*fn)(uint64_t key, void *val, void *ud),
		   void *ud);
void cfs_imap_free(struct cfs_imap *m);

uint64_t cfs_hash_str(const char *s);

#endif
