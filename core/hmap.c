/* SPDX-License-Identifier: MIT */
#include "hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char cfs_smap_tomb_storage;
#define CFS_SMAP_TOMB (&cfs_smap_tomb_storage)

uint64_t cfs_hash_str(const char *s)
{
	/* FNV-1a, then a final mix so that low bits are well spread. */
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static int smap_grow(struct cfs_smap *m)
{
	size_t cap = m->cap ? m->cap : 8;
	while (m->n * 2 + 2 > cap)
		cap *= 2;
	struct cfs_smap_slot *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct cfs_smap_slot *o = &m->slots[i];
		if (!o->key || o->key == CFS_SMAP_TOMB)
			continue;
		size_t j = o->hash & (cap - 1);
		while (s[j].key)
			j = (j + 1) & (cap - 1);
		s[j] = *o;
	}
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	m->used = m->n;
	return 0;
}

static struct cfs_smap_slot *smap_find(const struct cfs_smap *m, const char *key, uint64_t h)
{
	if (!m->cap)
		return NULL;
	size_t j = h & (m->cap - 1);
	for (;;) {
		struct cfs_smap_slot *s = &m->slots[j];
		if (!s->key)
			return NULL;
		if (s->key != CFS_SMAP_TOMB && s->hash == h && strcmp(s->key, key) == 0)
			return s;
		j = (j + 1) & (m->cap - 1);
	}
}

void *cfs_smap_get(const struct cfs_smap *m, const char *key)
{
	struct cfs_smap_slot *s = smap_find(m, key, cfs_hash_str(key));
	return s ? s->val : NULL;
}

int cfs_smap_put(struct cfs_smap *m, const char *key, void *val)
{
	uint64_t h = cfs_hash_str(key);
	struct cfs_smap_slot *s = smap_find(m, key, h);
	if (s) {
		s->key = key;
		s->val = val;
		return 0;
	}
	if ((m->used + 1) * 4 > m->cap * 3) {
		int r = smap_grow(m);
		if (r < 0)
			return r;
	}
	size_t j = h & (m->cap - 1);
	while (m->slots[j].key && m->slots[j].key != CFS_SMAP_TOMB)
		j = (j + 1) & (m->cap - 1);
	if (!m->slots[j].key)
		m->used++;
	m->slots[j] = (struct cfs_smap_slot){key, val, h};
	m->n++;
	return 0;
}

void *cfs_smap_del(struct cfs_smap *m, const char *key)
{
	struct cfs_smap_slot *s = smap_find(m, key, cfs_hash_str(key));
	if (!s)
		return NULL;
	void *v = s->val;
	s->key = CFS_SMAP_TOMB;
	s->val = NULL;
	m->n--;
	return v;
}

void cfs_smap_free(struct cfs_smap *m)
{
	free(m->slots);
	*m = (struct cfs_smap){0};
}

#define IMAP_TOMB UINT64_MAX

static int imap_grow(struct cfs_imap *m)
{
	size_t cap = m->cap ? m->cap : 8;
	while (m->n * 2 + 2 > cap)
		cap *= 2;
	struct cfs_imap_slot *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct cfs_imap_slot *o = &m->slots[i];
		if (!o->key || o->key == IMAP_TOMB)
			continue;
		size_t j = hash_u64(o->key) & (cap - 1);
		while (s[j].key)
			j = (j + 1) & (cap - 1);
		s[j] = *o;
	}
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	m->used = m->n;
	return 0;
}

static struct cfs_imap_slot *imap_find(const struct cfs_imap *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	size_t j = hash_u64(key) & (m->cap - 1);
	for (;;) {
		struct cfs_imap_slot *s = &m->slots[j];
		if (!s->key)
			return NULL;
		if (s->key == key)
			return s;
		j = (j + 1) & (m->cap - 1);
	}
}

void *cfs_imap_get(const struct cfs_imap *m, uint64_t key)
{
	struct cfs_imap_slot *s = imap_find(m, key);
	return s ? s->val : NULL;
}

int cfs_imap_put(struct cfs_imap *m, uint64_t key, void *val)
{
	struct cfs_imap_slot *s = imap_find(m, key);
	if (s) {
		s->val = val;
		return 0;
	}
	if ((m->used + 1) * 4 > m->cap * 3) {
		int r = imap_grow(m);
		if (r < 0)
			return r;
	}
	size_t j = hash_u64(key) & (m->cap - 1);
	while (m->slots[j].key && m->slots[j].key != IMAP_TOMB)
		j = (j + 1) & (m->cap - 1);
	if (!m->slots[j].key)
		m->used++;
	m->slots[j] = (struct cfs_imap_slot){key, val};
	m->n++;
	return 0;
}

void *cfs_imap_del(struct cfs_imap *m, uint64_t key)
{
	struct cfs_imap_slot *s = imap_find(m, key);
	if (!s)
		return NULL;
	void *v = s->val;
	s->key = IMAP_TOMB;
	s->val = NULL;
	m->n--;
	return v;
}

void cfs_imap_each(const struct cfs_imap *m, void (*fn)(uint64_t key, void *val, void *ud),
		   void *ud)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != UINT64_MAX)
			fn(m->slots[i].key, m->slots[i].val, ud);
}

void cfs_imap_free(struct cfs_imap *m)
{
	free(m->slots);
	*m = (struct cfs_imap){0};
}
