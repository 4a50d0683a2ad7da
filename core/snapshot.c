/* SPDX-License-Identifier: MIT */
#include "snapshot.h"

#include <errno.h>
#include <string.h>

#include "wire.h"

#define SNAP_VERSION 3 /* 2: values carry flags, mode, uid, gid; 3: the root's security */
#define SNAP_MAGIC 0x70616e73u /* "snap" */

static int put_key(struct cfs_buf *out, const struct cfs_key *k)
{
	int r = cfs_wire_u64(out, k->id);
	if (r == 0)
		r = cfs_wire_u64(out, k->parent->id);
	if (r == 0)
		r = cfs_wire_str(out, k->name);
	if (r == 0)
		r = cfs_wire_u32(out, k->mode);
	if (r == 0)
		r = cfs_wire_u32(out, k->uid);
	if (r == 0)
		r = cfs_wire_u32(out, k->gid);
	if (r == 0)
		r = cfs_wire_u64(out, (uint64_t)k->mtime_ns);
	return r;
}

/* Keys depth first, so that a parent always comes before its children. */
static int put_keys(struct cfs_buf *out, const struct cfs_key *k, uint32_t *count)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < k->subkeys.n; i++) {
		const struct cfs_key *c = k->subkeys.v[i];
		if ((r = put_key(out, c)) == 0) {
			++*count;
			r = put_keys(out, c, count);
		}
	}
	return r;
}

static int put_values(struct cfs_buf *out, const struct cfs_key *k, uint32_t *count)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		if ((r = cfs_wire_u64(out, v->id)) == 0 && (r = cfs_wire_u64(out, k->id)) == 0 &&
		    (r = cfs_wire_str(out, v->name)) == 0 && (r = cfs_wire_u32(out, v->type)) == 0 &&
		    (r = cfs_wire_bytes(out, v->data, v->len)) == 0 &&
		    (r = cfs_wire_u64(out, (uint64_t)v->mtime_ns)) == 0 &&
		    (r = cfs_wire_u32(out, v->flags)) == 0 && (r = cfs_wire_u32(out, v->mode)) == 0 &&
		    (r = cfs_wire_u32(out, v->uid)) == 0 && (r = cfs_wire_u32(out, v->gid)) == 0)
			++*count;
	}
	for (size_t i = 0; r == 0 && i < k->subkeys.n; i++)
		r = put_values(out, k->subkeys.v[i], count);
	return r;
}

/* A count placeholder at off, filled in later. */
static void patch_u32(struct cfs_buf *out, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		out->data[off + (size_t)i] = (char)(v >> (8 * i));
}

int cfs_snapshot_encode(const struct cfs_model *m, const struct cfs_snapshot_meta *meta,
			struct cfs_buf *out)
{
	int r = cfs_wire_u32(out, SNAP_MAGIC);
	if (r == 0)
		r = cfs_wire_u8(out, SNAP_VERSION);
	const uint64_t f[] = {meta->next_id, meta->next_seq, (uint64_t)meta->root_mtime, meta->hist,
			      meta->generation};
	for (size_t i = 0; r == 0 && i < CFS_ARRAY_SIZE(f); i++)
		r = cfs_wire_u64(out, f[i]);
	const uint32_t sec[] = {meta->root_mode, meta->root_uid, meta->root_gid};
	for (size_t i = 0; r == 0 && i < CFS_ARRAY_SIZE(sec); i++)
		r = cfs_wire_u32(out, sec[i]);
	uint32_t n = 0;
	size_t at = out->len;
	if (r == 0 && (r = cfs_wire_u32(out, 0)) == 0 && (r = put_keys(out, m->reg.root, &n)) == 0)
		patch_u32(out, at, n);
	n = 0;
	at = out->len;
	if (r == 0 && (r = cfs_wire_u32(out, 0)) == 0 && (r = put_values(out, m->reg.root, &n)) == 0)
		patch_u32(out, at, n);
	return r;
}

int cfs_snapshot_put_count(struct cfs_buf *out, size_t n)
{
	return n > UINT32_MAX ? -E2BIG : cfs_wire_u32(out, (uint32_t)n);
}

int cfs_snapshot_put_record(struct cfs_buf *out, const struct cfs_record *c)
{
	int r;
	if ((r = cfs_wire_u64(out, c->seq)) < 0 || (r = cfs_wire_u64(out, (uint64_t)c->time_ns)) < 0 ||
	    (r = cfs_wire_u32(out, (uint32_t)c->kind)) < 0 ||
	    (r = cfs_wire_u32(out, (uint32_t)c->change)) < 0)
		return r;
	const char *s[] = {c->obj_id, c->obj_name, c->parent_id, c->prop, c->old_value,
			   c->new_value};
	for (size_t k = 0; r == 0 && k < CFS_ARRAY_SIZE(s); k++)
		r = cfs_wire_str(out, s[k]);
	return r;
}

void cfs_snapshot_free(struct cfs_snapshot *s)
{
	if (!s)
		return;
	cfs_model_free(&s->model);
	for (size_t i = 0; i < s->nrecs; i++)
		cfs_record_clear(&s->recs[i]);
	free(s->recs);
	*s = (struct cfs_snapshot){0};
}

static int get_keys(struct cfs_wire_reader *rd, struct cfs_registry *reg, const char **why)
{
	uint32_t n = cfs_wire_get_u32(rd);
	for (uint32_t i = 0; i < n && cfs_wire_ok(rd, false); i++) {
		uint64_t id = cfs_wire_get_u64(rd), parent = cfs_wire_get_u64(rd);
		char *name = cfs_wire_get_str(rd, CFS_NAME_MAX);
		uint32_t mode = cfs_wire_get_u32(rd), uid = cfs_wire_get_u32(rd),
			 gid = cfs_wire_get_u32(rd);
		int64_t mtime = (int64_t)cfs_wire_get_u64(rd);
		struct cfs_key *p = cfs_reg_key(reg, parent);
		int r = -EINVAL;
		if (!cfs_wire_ok(rd, false) || !name)
			*why = "a snapshot key is malformed";
		else if (!p || id <= CFS_REG_ROOT_ID || id == UINT64_MAX || cfs_reg_key(reg, id) ||
			 cfs_reg_value(reg, id))
			*why = "a snapshot key has a bad id or parent";
		else if ((r = cfs_reg_add_key(reg, p, id, name, mode & 07777, uid, gid, mtime,
					      NULL)) < 0)
			*why = r == -ENOMEM ? "out of memory" : "a snapshot key cannot be added";
		free(name);
		if (r < 0)
			return r;
	}
	if (!cfs_wire_ok(rd, false)) {
		*why = "a snapshot ends inside its keys";
		return -EINVAL;
	}
	return 0;
}

static int get_values(struct cfs_wire_reader *rd, struct cfs_registry *reg, const char **why)
{
	uint32_t n = cfs_wire_get_u32(rd);
	for (uint32_t i = 0; i < n && cfs_wire_ok(rd, false); i++) {
		uint64_t id = cfs_wire_get_u64(rd), key = cfs_wire_get_u64(rd);
		char *name = cfs_wire_get_str(rd, CFS_NAME_MAX);
		uint32_t type = cfs_wire_get_u32(rd);
		const void *data;
		size_t len = cfs_wire_get_bytes(rd, CFS_VALUE_MAX, &data);
		int64_t mtime = (int64_t)cfs_wire_get_u64(rd);
		uint32_t flags = cfs_wire_get_u32(rd), mode = cfs_wire_get_u32(rd),
			 uid = cfs_wire_get_u32(rd), gid = cfs_wire_get_u32(rd);
		struct cfs_key *k = cfs_reg_key(reg, key);
		struct cfs_value *v;
		int r = -EINVAL;
		if (!cfs_wire_ok(rd, false) || !name)
			*why = "a snapshot value is malformed";
		else if (!k || id <= CFS_REG_ROOT_ID || id == UINT64_MAX || cfs_reg_key(reg, id) ||
			 cfs_reg_value(reg, id) || cfs_key_value(k, name))
			*why = "a snapshot value has a bad id, key or name";
		else if ((r = cfs_reg_set_value(reg, k, id, name, type, data, len, mtime, &v)) < 0)
			*why = r == -ENOMEM ? "out of memory" : "a snapshot value cannot be added";
		if (r == 0) {
			v->flags = flags & CFS_VAL_FLAGS_ALL;
			v->mode = mode & 07777;
			v->uid = uid;
			v->gid = gid;
		}
		free(name);
		if (r < 0)
			return r;
	}
	if (!cfs_wire_ok(rd, false)) {
		*why = "a snapshot ends inside its values";
		return -EINVAL;
	}
	return 0;
}

static int get_records(struct cfs_wire_reader *rd, struct cfs_snapshot *s, const char **why)
{
	uint32_t n = cfs_wire_get_u32(rd);
	/* A record takes at least 48 bytes: a count beyond that is a lie. */
	if (!cfs_wire_ok(rd, false) || n > (size_t)(rd->end - rd->p) / 48 || n > CFS_JOURNAL_RING) {
		*why = "a snapshot's record count is wrong";
		return -EINVAL;
	}
	if (n && !(s->recs = calloc(n, sizeof(*s->recs))))
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct cfs_record *c = &s->recs[i];
		s->nrecs = i + 1;
		c->seq = cfs_wire_get_u64(rd);
		c->time_ns = (int64_t)cfs_wire_get_u64(rd);
		uint32_t kind = cfs_wire_get_u32(rd), change = cfs_wire_get_u32(rd);
		char **f[] = {&c->obj_id, &c->obj_name, &c->parent_id, &c->prop, &c->old_value,
			      &c->new_value};
		for (size_t k = 0; k < CFS_ARRAY_SIZE(f); k++)
			*f[k] = cfs_wire_get_str(rd, CFS_CMDLINE_MAX);
		c->kind = kind < CFS_KIND_COUNT ? (enum cfs_kind)kind : CFS_KIND_CLUSTER;
		c->change = change < CFS_CH_COUNT ? (enum cfs_change)change : CFS_CH_ADDED;
		bool in_order = i == 0 ? c->seq > 0 : c->seq == s->recs[i - 1].seq + 1;
		if (!cfs_wire_ok(rd, false) || kind >= CFS_KIND_COUNT || change >= CFS_CH_COUNT ||
		    !in_order || c->seq >= s->meta.next_seq) {
			*why = "a snapshot record is malformed or out of order";
			return -EINVAL;
		}
	}
	if (n && s->recs[n - 1].seq + 1 != s->meta.next_seq) {
		*why = "a snapshot's records do not end at its next sequence number";
		return -EINVAL;
	}
	return 0;
}

int cfs_snapshot_decode(const void *p, size_t len, struct cfs_snapshot *ret, const char **why)
{
	const char *reason = "a malformed snapshot";
	struct cfs_snapshot s = {0};
	struct cfs_wire_reader rd = cfs_wire_reader(p, len);
	int r = -EINVAL;
	if (cfs_wire_get_u32(&rd) != SNAP_MAGIC || cfs_wire_get_u8(&rd) != SNAP_VERSION) {
		reason = "not a snapshot of this version";
		goto fail;
	}
	s.meta.next_id = cfs_wire_get_u64(&rd);
	s.meta.next_seq = cfs_wire_get_u64(&rd);
	s.meta.root_mtime = (int64_t)cfs_wire_get_u64(&rd);
	s.meta.hist = cfs_wire_get_u64(&rd);
	s.meta.generation = cfs_wire_get_u64(&rd);
	s.meta.root_mode = cfs_wire_get_u32(&rd);
	s.meta.root_uid = cfs_wire_get_u32(&rd);
	s.meta.root_gid = cfs_wire_get_u32(&rd);
	if (!cfs_wire_ok(&rd, false) || !s.meta.next_seq)
		goto fail;
	/* The collection keys come with the snapshot: a bare registry. */
	if ((r = cfs_reg_init(&s.model.reg)) < 0)
		goto fail;
	if ((r = get_keys(&rd, &s.model.reg, &reason)) < 0 ||
	    (r = get_values(&rd, &s.model.reg, &reason)) < 0 || (r = get_records(&rd, &s, &reason)) < 0)
		goto fail;
	r = -EINVAL;
	if (!cfs_wire_ok(&rd, true)) {
		reason = "trailing bytes after a snapshot";
		goto fail;
	}
	if (s.meta.next_id < s.model.reg.next_id) {
		reason = "a snapshot's next id is below its ids";
		goto fail;
	}
	s.model.reg.next_id = s.meta.next_id;
	s.model.reg.root->mtime_ns = s.meta.root_mtime;
	s.model.reg.root->mode = s.meta.root_mode;
	s.model.reg.root->uid = s.meta.root_uid;
	s.model.reg.root->gid = s.meta.root_gid;
	if ((r = cfs_model_index(&s.model)) < 0) {
		reason = "a snapshot's objects cannot be indexed";
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	if (r == -ENOMEM)
		reason = "out of memory";
	cfs_snapshot_free(&s);
	if (why)
		*why = reason;
	return r;
}
