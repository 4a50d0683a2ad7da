/* SPDX-License-Identifier: MIT */
#include "journal.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const char *const change_names[CFS_CH_COUNT] = {
	[CFS_CH_ADDED] = "added",
	[CFS_CH_DELETED] = "deleted",
	[CFS_CH_RENAMED] = "renamed",
	[CFS_CH_STATE] = "state",
	[CFS_CH_PROPERTY] = "property",
	[CFS_CH_OWNER] = "owner",
	[CFS_CH_PREFERRED_OWNERS] = "preferred_owners",
	[CFS_CH_POSSIBLE_OWNERS] = "possible_owners",
	[CFS_CH_DEPENDENCIES] = "dependencies",
	[CFS_CH_GROUP] = "group",
	[CFS_CH_MEMBER_ADDED] = "member_added",
	[CFS_CH_MEMBER_REMOVED] = "member_removed",
	[CFS_CH_KEY_ADDED] = "key_added",
	[CFS_CH_KEY_DELETED] = "key_deleted",
	[CFS_CH_KEY_RENAMED] = "key_renamed",
	[CFS_CH_VALUE_SET] = "value_set",
	[CFS_CH_VALUE_DELETED] = "value_deleted",
	[CFS_CH_SECURITY] = "security",
	[CFS_CH_VALUE_RENAMED] = "value_renamed",
	[CFS_CH_GROUP_GAINED] = "group_gained",
	[CFS_CH_GROUP_LOST] = "group_lost",
	[CFS_CH_DEPENDENTS] = "dependents",
};

const char *cfs_change_name(enum cfs_change c)
{
	return (unsigned)c < CFS_CH_COUNT ? change_names[c] : "unknown";
}

int cfs_change_parse(const char *s)
{
	for (int c = 0; c < CFS_CH_COUNT; c++)
		if (strcasecmp(s, change_names[c]) == 0)
			return c;
	return -EINVAL;
}

void cfs_record_clear(struct cfs_record *r)
{
	if (r->mem) {
		free(r->mem);
	} else {
		free(r->obj_id);
		free(r->obj_name);
		free(r->parent_id);
		free(r->prop);
		free(r->old_value);
		free(r->new_value);
	}
	free(r->json);
	free(r->sec);
	*r = (struct cfs_record){0};
}

/* The strings go in one block: the journal keeps 65,536 copies and every
 * commit makes one per record, and six small allocations each (most
 * strings are a few bytes, many empty) cost three times the bytes. */
int cfs_record_copy(struct cfs_record *dst, const struct cfs_record *src)
{
	const char *from[] = {src->obj_id, src->obj_name, src->parent_id,
			      src->prop,   src->old_value, src->new_value};
	size_t len[CFS_ARRAY_SIZE(from)], total = 0;
	for (size_t i = 0; i < CFS_ARRAY_SIZE(from); i++) {
		len[i] = from[i] ? strlen(from[i]) + 1 : 0;
		total += len[i];
	}
	*dst = *src;
	dst->json = NULL;
	dst->json_len = 0;
	dst->obj_id = dst->obj_name = dst->parent_id = dst->prop = NULL;
	dst->old_value = dst->new_value = NULL;
	dst->sec = NULL;
	dst->mem = NULL;
	if (src->nsec && !(dst->sec = malloc(src->nsec * sizeof(*src->sec))))
		return -ENOMEM;
	if (src->nsec)
		memcpy(dst->sec, src->sec, src->nsec * sizeof(*src->sec));
	if (!total)
		return 0;
	char *p = dst->mem = malloc(total);
	if (!p) {
		cfs_record_clear(dst);
		return -ENOMEM;
	}
	char **to[] = {&dst->obj_id, &dst->obj_name, &dst->parent_id,
		       &dst->prop,   &dst->old_value, &dst->new_value};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(from); i++) {
		if (!from[i])
			continue;
		memcpy(p, from[i], len[i]);
		*to[i] = p;
		p += len[i];
	}
	return 0;
}

int cfs_journal_init(struct cfs_journal *j, uint64_t next_seq)
{
	*j = (struct cfs_journal){.first_seq = next_seq, .next_seq = next_seq};
	j->ring = calloc(CFS_JOURNAL_RING, sizeof(*j->ring));
	if (!j->ring)
		return -ENOMEM;
	pthread_mutex_init(&j->lock, NULL);
	return 0;
}

void cfs_journal_free(struct cfs_journal *j)
{
	if (!j->ring)
		return;
	for (size_t i = 0; i < CFS_JOURNAL_RING; i++)
		cfs_record_clear(&j->ring[i]);
	free(j->ring);
	pthread_mutex_destroy(&j->lock);
	j->ring = NULL;
}

int cfs_journal_publish(struct cfs_journal *j, const struct cfs_record *recs, size_t n)
{
	/* Copy outside the lock; swap in under it. */
	struct cfs_record *copies = calloc(n ? n : 1, sizeof(*copies));
	if (!copies)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		copies[i].origin = NULL;
		if (cfs_record_copy(&copies[i], &recs[i]) < 0) {
			while (i--)
				cfs_record_clear(&copies[i]);
			free(copies);
			return -ENOMEM;
		}
	}
	pthread_mutex_lock(&j->lock);
	for (size_t i = 0; i < n; i++) {
		struct cfs_record *slot = &j->ring[copies[i].seq % CFS_JOURNAL_RING];
		struct cfs_record old = *slot;
		*slot = copies[i];
		slot->origin = NULL;
		copies[i] = old; /* freed below, outside the lock */
		j->next_seq = slot->seq + 1;
	}
	if (j->next_seq - j->first_seq > CFS_JOURNAL_RING)
		j->first_seq = j->next_seq - CFS_JOURNAL_RING;
	pthread_mutex_unlock(&j->lock);
	for (size_t i = 0; i < n; i++)
		cfs_record_clear(&copies[i]);
	free(copies);
	return 0;
}

int cfs_journal_load(struct cfs_journal *j, const struct cfs_record *rec)
{
	struct cfs_record copy;
	int r = cfs_record_copy(&copy, rec);
	if (r < 0)
		return r;
	copy.origin = NULL;
	pthread_mutex_lock(&j->lock);
	struct cfs_record *slot = &j->ring[rec->seq % CFS_JOURNAL_RING];
	cfs_record_clear(slot);
	*slot = copy;
	/* The loaded range ends right below next_seq: it starts at the first
	 * record loaded, or later if more than the ring holds was loaded. */
	if (j->first_seq == j->next_seq || rec->seq < j->first_seq)
		j->first_seq = rec->seq;
	if (j->next_seq - j->first_seq > CFS_JOURNAL_RING)
		j->first_seq = j->next_seq - CFS_JOURNAL_RING;
	pthread_mutex_unlock(&j->lock);
	return 0;
}

int cfs_journal_reset(struct cfs_journal *j, const struct cfs_record *recs, size_t n,
		      uint64_t next_seq)
{
	if (n > CFS_JOURNAL_RING) {
		recs += n - CFS_JOURNAL_RING;
		n = CFS_JOURNAL_RING;
	}
	struct cfs_record *ring = calloc(CFS_JOURNAL_RING, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (cfs_record_copy(&ring[recs[i].seq % CFS_JOURNAL_RING], &recs[i]) < 0) {
			for (size_t k = 0; k < CFS_JOURNAL_RING; k++)
				cfs_record_clear(&ring[k]);
			free(ring);
			return -ENOMEM;
		}
		ring[recs[i].seq % CFS_JOURNAL_RING].origin = NULL;
	}
	pthread_mutex_lock(&j->lock);
	struct cfs_record *old = j->ring;
	j->ring = ring;
	j->next_seq = next_seq;
	j->first_seq = n ? recs[0].seq : next_seq;
	pthread_mutex_unlock(&j->lock);
	for (size_t k = 0; k < CFS_JOURNAL_RING; k++)
		cfs_record_clear(&old[k]);
	free(old);
	return 0;
}

uint64_t cfs_journal_first_seq(struct cfs_journal *j)
{
	pthread_mutex_lock(&j->lock);
	uint64_t s = j->first_seq;
	pthread_mutex_unlock(&j->lock);
	return s;
}

int cfs_journal_get(struct cfs_journal *j, uint64_t seq, struct cfs_record *ret)
{
	pthread_mutex_lock(&j->lock);
	int r;
	if (seq >= j->next_seq)
		r = -ENOENT;
	else if (seq < j->first_seq)
		r = -ESTALE;
	else
		r = cfs_record_copy(ret, &j->ring[seq % CFS_JOURNAL_RING]);
	pthread_mutex_unlock(&j->lock);
	return r;
}

uint64_t cfs_journal_next_seq(struct cfs_journal *j)
{
	pthread_mutex_lock(&j->lock);
	uint64_t s = j->next_seq;
	pthread_mutex_unlock(&j->lock);
	return s;
}

int cfs_journal_scan(struct cfs_journal *j, uint64_t from, uint64_t to,
		     int (*fn)(const struct cfs_record *r, void *ud), void *ud, uint64_t *ret_next)
{
	int r = 0;
	pthread_mutex_lock(&j->lock);
	if (from < j->first_seq) {
		/* Evicted since the caller looked: say so rather than skip. */
		if (ret_next)
			*ret_next = j->first_seq;
		pthread_mutex_unlock(&j->lock);
		return -ESTALE;
	}
	if (to > j->next_seq)
		to = j->next_seq;
	uint64_t s = from;
	for (; s < to; s++)
		if ((r = fn(&j->ring[s % CFS_JOURNAL_RING], ud)) != 0)
			break;
	pthread_mutex_unlock(&j->lock);
	if (ret_next)
		*ret_next = s;
	return r;
}

static int json_str(struct cfs_buf *out, const char *s)
{
	if (!s)
		return cfs_buf_puts(out, "null");
	int r = cfs_buf_append(out, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; r == 0 && *p; p++) {
		switch (*p) {
		case '"':
			r = cfs_buf_puts(out, "\\\"");
			break;
		case '\\':
			r = cfs_buf_puts(out, "\\\\");
			break;
		case '\n':
			r = cfs_buf_puts(out, "\\n");
			break;
		case '\t':
			r = cfs_buf_puts(out, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				r = cfs_buf_printf(out, "\\u%04x", *p);
			else
				r = cfs_buf_append(out, p, 1);
		}
	}
	return r ? r : cfs_buf_append(out, "\"", 1);
}

int cfs_record_to_json(const struct cfs_record *r, struct cfs_buf *out)
{
	int e = cfs_buf_printf(out, "{\"seq\":%llu,\"time\":%lld.%09lld,\"kind\":\"%s\",\"change\":\"%s\"",
			       (unsigned long long)r->seq, (long long)(r->time_ns / 1000000000),
			       (long long)(r->time_ns % 1000000000), cfs_kind_name(r->kind),
			       cfs_change_name(r->change));
	const struct {
		const char *k;
		const char *v;
	} f[] = {{"id", r->obj_id},	 {"name", r->obj_name}, {"parent", r->parent_id},
		 {"prop", r->prop},	 {"old", r->old_value}, {"new", r->new_value}};
	for (size_t i = 0; e == 0 && i < CFS_ARRAY_SIZE(f); i++) {
		if (!f[i].v)
			continue;
		if ((e = cfs_buf_printf(out, ",\"%s\":", f[i].k)) == 0)
			e = json_str(out, f[i].v);
	}
	return e ? e : cfs_buf_append(out, "}", 1);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A string and its end (a NULL string hashes differently from ""). */
static uint64_t fnv_str(uint64_t h, const char *s)
{
	static const unsigned char null_mark = 0xff, end = 0;
	return s ? fnv(fnv(h, s, strlen(s)), &end, 1) : fnv(h, &null_mark, 1);
}

uint64_t cfs_record_hash(uint64_t h, const struct cfs_record *r)
{
	if (!h)
		h = 0xcbf29ce484222325ull;
	uint64_t fixed[] = {r->seq, (uint64_t)r->time_ns, (uint64_t)r->kind, (uint64_t)r->change};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(fixed); i++)
		for (int b = 0; b < 8; b++) {
			unsigned char c = (unsigned char)(fixed[i] >> (8 * b));
			h = fnv(h, &c, 1);
		}
	const char *s[] = {r->obj_id, r->obj_name, r->parent_id, r->prop, r->old_value,
			   r->new_value};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(s); i++)
		h = fnv_str(h, s[i]);
	return h;
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool cfs_record_equal(const struct cfs_record *a, const struct cfs_record *b)
{
	return a->seq == b->seq && a->time_ns == b->time_ns && a->kind == b->kind &&
	       a->change == b->change && str_equal(a->obj_id, b->obj_id) &&
	       str_equal(a->obj_name, b->obj_name) && str_equal(a->parent_id, b->parent_id) &&
	       str_equal(a->prop, b->prop) && str_equal(a->old_value, b->old_value) &&
	       str_equal(a->new_value, b->new_value);
}
