/* SPDX-License-Identifier: MIT */
#include "txn.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "value.h"

enum undo_type {
	U_KEY_ADD,
	U_KEY_DEL,
	U_KEY_RENAME,
	U_KEY_SEC,
	U_VAL_SET,
	U_VAL_DEL,
	U_VAL_RENAME,
	U_VAL_SEC,
	U_OBJ_ADD,
	U_OBJ_DEL,
	U_OBJ_RENAME,
	U_MEMBER_ADD,
	U_MEMBER_DEL,
};

/* One undo entry: enough to put back exactly what one mutation changed. */
struct cfs_undo {
	enum undo_type type;
	uint64_t id;	 /* key or value id */
	uint64_t parent; /* key id: parent of a key, owner of a value */
	char *name;
	uint32_t a, b, c; /* mode/uid/gid or value type */
	uint32_t vflags, vmode, vuid, vgid; /* a value's flags and own security */
	uint8_t *data;
	size_t len;
	int64_t mtime_ns;
	bool existed;
	struct cfs_object *obj;
	struct cfs_object *group;
};

void cfs_txn_init(struct cfs_txn *t, struct cfs_model *m, uint64_t next_seq)
{
	*t = (struct cfs_txn){.m = m, .next_seq = next_seq};
}

struct cfs_txn_mark cfs_txn_mark(const struct cfs_txn *t)
{
	return (struct cfs_txn_mark){t->undo.n, t->dirty.n, t->nrecs, t->next_seq};
}

static void undo_free(struct cfs_undo *u, bool applied)
{
	if (!u)
		return;
	/* A deleted object is owned by its undo entry until the deletion is
	 * final; an object whose creation is undone is freed by the undo. */
	if (u->type == U_OBJ_DEL && !applied && u->obj) {
		cfs_vec_free(&u->obj->members);
		free(u->obj->name);
		free(u->obj);
	}
	free(u->name);
	free(u->data);
	free(u);
}

static struct cfs_undo *undo_push(struct cfs_txn *t, enum undo_type type)
{
	struct cfs_undo *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->type = type;
	if (cfs_vec_push(&t->undo, u) < 0) {
		free(u);
		return NULL;
	}
	return u;
}

static void undo_drop_last(struct cfs_txn *t)
{
	struct cfs_undo *u = t->undo.v[--t->undo.n];
	undo_free(u, true);
}

static int mark_dirty(struct cfs_txn *t, uint64_t id, bool is_value)
{
	return cfs_vec_push(&t->dirty, (void *)(uintptr_t)((id << 1) | (is_value ? 1 : 0)));
}

/* A key's directory time moves when its entries change: with undo (the
 * U_KEY_SEC entry restores mode, owner and time alike) and persisted. A
 * failure only loses the time update, never the change itself. */
static void touch_key(struct cfs_txn *t, struct cfs_key *key)
{
	if (key->mtime_ns == t->now_ns)
		return;
	struct cfs_undo *u = undo_push(t, U_KEY_SEC);
	if (!u)
		return;
	u->id = key->id;
	u->a = key->mode;
	u->b = key->uid;
	u->c = key->gid;
	u->mtime_ns = key->mtime_ns;
	if (mark_dirty(t, key->id, false) < 0) {
		undo_drop_last(t);
		return;
	}
	key->mtime_ns = t->now_ns;
}

static void index_obj(struct cfs_model *m, struct cfs_object *o)
{
	/* Capacity for these was reserved when the object was first indexed
	 * or is reclaimed from its removal, so put cannot fail here except
	 * on a grow; a failure would only lose an index entry, never memory. */
	cfs_smap_put(&m->by_name[o->kind], o->name, o);
	cfs_smap_put(&m->by_id, o->key->name, o);
	o->key->obj = o;
}

static void unindex_obj(struct cfs_model *m, struct cfs_object *o)
{
	cfs_smap_del(&m->by_name[o->kind], o->name);
	cfs_smap_del(&m->by_id, o->key->name);
	o->key->obj = NULL;
}

static size_t member_pos(const struct cfs_vec *v, uint64_t key_id)
{
	size_t i = 0;
	while (i < v->n && ((struct cfs_object *)v->v[i])->key->id < key_id)
		i++;
	return i;
}

static void undo_one(struct cfs_txn *t, struct cfs_undo *u)
{
	struct cfs_registry *reg = &t->m->reg;
	struct cfs_key *k;
	struct cfs_value *v;
	switch (u->type) {
	case U_KEY_ADD:
		k = cfs_reg_key(reg, u->id);
		if (k)
			cfs_reg_remove_key(reg, k);
		break;
	case U_KEY_DEL:
		k = cfs_reg_key(reg, u->parent);
		if (k)
			cfs_reg_add_key(reg, k, u->id, u->name, u->a, u->b, u->c, u->mtime_ns, NULL);
		break;
	case U_KEY_RENAME:
		k = cfs_reg_key(reg, u->id);
		if (k)
			cfs_reg_rename_key(reg, k, u->name);
		break;
	case U_KEY_SEC:
		k = cfs_reg_key(reg, u->id);
		if (k) {
			k->mode = u->a;
			k->uid = u->b;
			k->gid = u->c;
			k->mtime_ns = u->mtime_ns;
		}
		break;
	case U_VAL_SET:
		v = cfs_reg_value(reg, u->id);
		if (v && !u->existed)
			cfs_reg_remove_value(reg, v);
		else if (v && cfs_reg_set_value(reg, v->key, v->id, v->name, u->a, u->data, u->len,
						u->mtime_ns, NULL) == 0)
			v->flags = u->vflags;
		break;
	case U_VAL_DEL:
		k = cfs_reg_key(reg, u->parent);
		if (k && cfs_reg_set_value(reg, k, u->id, u->name, u->a, u->data, u->len, u->mtime_ns,
					   &v) == 0) {
			v->flags = u->vflags;
			v->mode = u->vmode;
			v->uid = u->vuid;
			v->gid = u->vgid;
		}
		break;
	case U_VAL_SEC:
		v = cfs_reg_value(reg, u->id);
		if (v) {
			v->flags = u->vflags;
			v->mode = u->vmode;
			v->uid = u->vuid;
			v->gid = u->vgid;
		}
		break;
	case U_VAL_RENAME:
		v = cfs_reg_value(reg, u->id);
		if (v)
			cfs_reg_rename_value(reg, v, u->name);
		break;
	case U_OBJ_ADD:
		unindex_obj(t->m, u->obj);
		cfs_vec_free(&u->obj->members);
		free(u->obj->name);
		free(u->obj);
		break;
	case U_OBJ_DEL:
		/* Its key was re-created (same id) by the undo entries after it. */
		u->obj->key = cfs_reg_key(reg, u->id);
		assert(u->obj->key);
		index_obj(t->m, u->obj);
		u->obj = NULL; /* owned by the model again */
		break;
	case U_OBJ_RENAME:
		cfs_smap_del(&t->m->by_name[u->obj->kind], u->obj->name);
		free(u->obj->name);
		u->obj->name = u->name;
		u->name = NULL;
		cfs_smap_put(&t->m->by_name[u->obj->kind], u->obj->name, u->obj);
		break;
	case U_MEMBER_ADD:
		cfs_vec_remove(&u->group->members, u->obj);
		break;
	case U_MEMBER_DEL:
		cfs_vec_insert(&u->group->members,
			       member_pos(&u->group->members, u->obj->key->id), u->obj);
		break;
	}
}

void cfs_txn_rollback(struct cfs_txn *t, struct cfs_txn_mark mark)
{
	while (t->undo.n > mark.undo) {
		struct cfs_undo *u = t->undo.v[--t->undo.n];
		undo_one(t, u);
		undo_free(u, false);
	}
	t->dirty.n = mark.dirty;
	while (t->nrecs > mark.recs)
		cfs_record_clear(&t->recs[--t->nrecs]);
	t->next_seq = mark.seq;
}

void cfs_txn_forget(struct cfs_txn *t)
{
	for (size_t i = 0; i < t->undo.n; i++) {
		struct cfs_undo *u = t->undo.v[i];
		/* The deletion is final: free the object now. */
		if (u->type == U_OBJ_DEL && u->obj) {
			cfs_vec_free(&u->obj->members);
			free(u->obj->name);
			free(u->obj);
			u->obj = NULL;
		}
		undo_free(u, true);
	}
	t->undo.n = 0;
}

void cfs_txn_free(struct cfs_txn *t)
{
	cfs_txn_forget(t);
	cfs_vec_free(&t->undo);
	cfs_vec_free(&t->dirty);
	for (size_t i = 0; i < t->nrecs; i++)
		cfs_record_clear(&t->recs[i]);
	free(t->recs);
	*t = (struct cfs_txn){0};
}

int cfs_txn_record_raw(struct cfs_txn *t, const struct cfs_record *rec)
{
	if (t->nrecs == t->caprecs) {
		size_t cap = t->caprecs ? t->caprecs * 2 : 16;
		struct cfs_record *r = realloc(t->recs, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		t->recs = r;
		t->caprecs = cap;
	}
	struct cfs_record *dst = &t->recs[t->nrecs];
	int r = cfs_record_copy(dst, rec);
	if (r < 0)
		return r;
	/* The key's security as it is now, for readers that get the record
	 * after the key is gone (access.h). */
	struct cfs_key *k = rec->key_id ? cfs_reg_key(&t->m->reg, rec->key_id) : NULL;
	if (k && !dst->sec && (r = cfs_key_sec_chain(k, &dst->sec, &dst->nsec)) < 0) {
		cfs_record_clear(dst);
		return r;
	}
	dst->seq = t->next_seq++;
	dst->time_ns = t->now_ns;
	dst->origin = t->origin;
	t->nrecs++;
	return 0;
}

int cfs_txn_record(struct cfs_txn *t, enum cfs_kind kind, enum cfs_change change,
		   const struct cfs_object *obj, const char *prop, const char *old_value,
		   const char *new_value)
{
	struct cfs_record rec = {
		.kind = kind,
		.change = change,
		.prop = (char *)prop,
		.old_value = (char *)old_value,
		.new_value = (char *)new_value,
	};
	const char *parent = NULL;
	struct cfs_object *p = NULL;
	if (obj) {
		rec.obj_id = (char *)cfs_obj_id(obj);
		rec.obj_name = obj->name;
		rec.key_id = obj->key->id;
		switch (obj->kind) {
		case CFS_KIND_GROUP:
			p = cfs_obj_ref(t->m, obj, CFS_P_OWNER_NODE);
			break;
		case CFS_KIND_RESOURCE:
			p = cfs_obj_ref(t->m, obj, CFS_P_GROUP);
			break;
		case CFS_KIND_NETINTERFACE:
			p = cfs_obj_ref(t->m, obj, CFS_P_NODE);
			break;
		default:
			break;
		}
		parent = p ? cfs_obj_id(p) : "";
	}
	rec.parent_id = (char *)parent;
	return cfs_txn_record_raw(t, &rec);
}

/* Text of a value for records: its text form, hex for binary types, and
 * NULL when it is larger than a record should carry (readers read the
 * file instead). */
static char *record_text(uint32_t type, const void *data, size_t len)
{
	struct cfs_buf b = {0};
	if (len > 65536)
		return NULL;
	if (type == CFS_REG_BINARY || type == CFS_REG_NONE) {
		for (size_t i = 0; i < len; i++)
			if (cfs_buf_printf(&b, "%02x", ((const uint8_t *)data)[i]) < 0)
				goto oom;
	} else {
		if (cfs_value_format(type, data, len, &b) < 0)
			goto oom;
		if (b.len && b.data[b.len - 1] == '\n')
			b.data[--b.len] = '\0';
	}
	return cfs_buf_steal(&b);
oom:
	cfs_buf_free(&b);
	return NULL;
}

static int reg_record(struct cfs_txn *t, enum cfs_change change, struct cfs_key *key,
		      const char *prop, const char *old_value, const char *new_value,
		      uint64_t value_id)
{
	struct cfs_buf path = {0};
	int r = cfs_key_path(key, &path);
	if (r < 0)
		return r;
	struct cfs_record rec = {
		.kind = CFS_KIND_REGISTRY,
		.change = change,
		.obj_id = "",
		.obj_name = path.data,
		.parent_id = "",
		.prop = (char *)prop,
		.old_value = (char *)old_value,
		.new_value = (char *)new_value,
		.key_id = key->id,
		.value_id = value_id,
		.parent_key_id = key->parent ? key->parent->id : 0,
	};
	r = cfs_txn_record_raw(t, &rec);
	cfs_buf_free(&path);
	return r;
}

int cfs_txn_add_key(struct cfs_txn *t, struct cfs_key *parent, const char *name, uint32_t mode,
		    uint32_t uid, uint32_t gid, struct cfs_key **ret)
{
	struct cfs_key *k;
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	struct cfs_undo *u = undo_push(t, U_KEY_ADD);
	if (!u)
		return -ENOMEM;
	int r = cfs_reg_add_key(&t->m->reg, parent, 0, name, mode, uid, gid, t->now_ns, &k);
	if (r < 0) {
		undo_drop_last(t);
		return r;
	}
	u->id = k->id;
	if ((r = mark_dirty(t, k->id, false)) < 0 ||
	    (r = reg_record(t, CFS_CH_KEY_ADDED, k, NULL, NULL, NULL, 0)) < 0) {
		cfs_txn_rollback(t, mark);
		return r;
	}
	touch_key(t, parent);
	if (ret)
		*ret = k;
	return 0;
}

int cfs_txn_del_key(struct cfs_txn *t, struct cfs_key *key)
{
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	int r;
	/* Children first, so every level gets its own record. */
	while (key->subkeys.n)
		if ((r = cfs_txn_del_key(t, key->subkeys.v[key->subkeys.n - 1])) < 0)
			goto fail;
	while (key->values.n)
		if ((r = cfs_txn_del_value(t, key->values.v[key->values.n - 1])) < 0)
			goto fail;
	r = -ENOMEM;
	struct cfs_undo *u = undo_push(t, U_KEY_DEL);
	if (!u || !(u->name = strdup(key->name)))
		goto fail;
	u->id = key->id;
	u->parent = key->parent->id;
	u->a = key->mode;
	u->b = key->uid;
	u->c = key->gid;
	u->mtime_ns = key->mtime_ns;
	if ((r = mark_dirty(t, key->id, false)) < 0 ||
	    (r = reg_record(t, CFS_CH_KEY_DELETED, key, NULL, NULL, NULL, 0)) < 0)
		goto fail;
	struct cfs_key *parent = key->parent;
	cfs_reg_remove_key(&t->m->reg, key);
	touch_key(t, parent);
	return 0;
fail:
	cfs_txn_rollback(t, mark);
	return r;
}

int cfs_txn_rename_key(struct cfs_txn *t, struct cfs_key *key, const char *name)
{
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	if (strcmp(key->name, name) == 0)
		return 0;
	struct cfs_undo *u = undo_push(t, U_KEY_RENAME);
	if (!u || !(u->name = strdup(key->name))) {
		if (u)
			undo_drop_last(t);
		return -ENOMEM;
	}
	u->id = key->id;
	char *old = u->name;
	int r = cfs_reg_rename_key(&t->m->reg, key, name);
	if (r < 0) {
		undo_drop_last(t);
		return r;
	}
	if ((r = mark_dirty(t, key->id, false)) < 0 ||
	    (r = reg_record(t, CFS_CH_KEY_RENAMED, key, NULL, old, name, 0)) < 0) {
		cfs_txn_rollback(t, mark);
		return r;
	}
	touch_key(t, key->parent);
	return 0;
}

int cfs_txn_set_security(struct cfs_txn *t, struct cfs_key *key, uint32_t mode, uint32_t uid,
			 uint32_t gid)
{
	mode &= 07777;
	if (key->mode == mode && key->uid == uid && key->gid == gid)
		return 0;
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	struct cfs_undo *u = undo_push(t, U_KEY_SEC);
	if (!u)
		return -ENOMEM;
	u->id = key->id;
	u->a = key->mode;
	u->b = key->uid;
	u->c = key->gid;
	u->mtime_ns = key->mtime_ns;
	char old[64], new[64];
	snprintf(old, sizeof(old), "%04o %u %u", key->mode, key->uid, key->gid);
	snprintf(new, sizeof(new), "%04o %u %u", mode, uid, gid);
	key->mode = mode;
	key->uid = uid;
	key->gid = gid;
	int r;
	if ((r = mark_dirty(t, key->id, false)) < 0 ||
	    (r = reg_record(t, CFS_CH_SECURITY, key, NULL, old, new, 0)) < 0) {
		cfs_txn_rollback(t, mark);
		return r;
	}
	return 0;
}

int cfs_txn_set_value(struct cfs_txn *t, struct cfs_key *key, const char *name, uint32_t type,
		      const void *data, size_t len)
{
	return cfs_txn_set_value_flags(t, key, name, type, 0, data, len);
}

int cfs_txn_set_value_flags(struct cfs_txn *t, struct cfs_key *key, const char *name,
			    uint32_t type, uint32_t flags, const void *data, size_t len)
{
	struct cfs_value *v = cfs_key_value(key, name);
	flags &= CFS_VAL_UNTYPED | CFS_VAL_NOEOL;
	if (v)
		flags |= v->flags & CFS_VAL_OWN_SECURITY;
	if (v && v->type == type && v->flags == flags && v->len == len &&
	    (len == 0 || memcmp(v->data, data, len) == 0))
		return 0;
	if (!v && cfs_reg_entries(&t->m->reg) >= CFS_REG_ENTRIES_MAX)
		return -ENOSPC;
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	struct cfs_undo *u = undo_push(t, U_VAL_SET);
	if (!u)
		return -ENOMEM;
	char *old_text = NULL, *new_text = NULL;
	int r = -ENOMEM;
	if (v) {
		u->existed = true;
		u->a = v->type;
		u->vflags = v->flags;
		u->len = v->len;
		u->mtime_ns = v->mtime_ns;
		u->data = malloc(v->len + 1);
		if (!u->data)
			goto fail;
		memcpy(u->data, v->data, v->len);
		old_text = record_text(v->type, v->data, v->len);
	}
	new_text = record_text(type, data, len);
	r = cfs_reg_set_value(&t->m->reg, key, v ? v->id : 0, name, type, data, len, t->now_ns, &v);
	if (r < 0)
		goto fail;
	v->flags = flags;
	u->id = v->id;
	if ((r = mark_dirty(t, v->id, true)) < 0 ||
	    (r = reg_record(t, CFS_CH_VALUE_SET, key, name, old_text, new_text, v->id)) < 0)
		goto fail;
	if (!u->existed)
		t->recs[t->nrecs - 1].flags |= CFS_REC_CREATED;
	if (!u->existed)
		touch_key(t, key);
	free(old_text);
	free(new_text);
	return 0;
fail:
	cfs_txn_rollback(t, mark);
	free(old_text);
	free(new_text);
	return r;
}

int cfs_txn_set_value_security(struct cfs_txn *t, struct cfs_value *val, uint32_t mode,
			       uint32_t uid, uint32_t gid)
{
	mode &= 07777;
	if ((val->flags & CFS_VAL_OWN_SECURITY) && val->mode == mode && val->uid == uid &&
	    val->gid == gid)
		return 0;
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	struct cfs_undo *u = undo_push(t, U_VAL_SEC);
	if (!u)
		return -ENOMEM;
	u->id = val->id;
	u->vflags = val->flags;
	u->vmode = val->mode;
	u->vuid = val->uid;
	u->vgid = val->gid;
	char old[64], new[64];
	snprintf(old, sizeof(old), "%04o %u %u", cfs_value_mode(val), cfs_value_uid(val),
		 cfs_value_gid(val));
	snprintf(new, sizeof(new), "%04o %u %u", mode, uid, gid);
	val->flags |= CFS_VAL_OWN_SECURITY;
	val->mode = mode;
	val->uid = uid;
	val->gid = gid;
	int r;
	if ((r = mark_dirty(t, val->id, true)) < 0 ||
	    (r = reg_record(t, CFS_CH_SECURITY, val->key, val->name, old, new, val->id)) < 0) {
		cfs_txn_rollback(t, mark);
		return r;
	}
	return 0;
}

int cfs_txn_del_value(struct cfs_txn *t, struct cfs_value *val)
{
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	struct cfs_undo *u = undo_push(t, U_VAL_DEL);
	int r = -ENOMEM;
	if (!u || !(u->name = strdup(val->name)) || !(u->data = malloc(val->len + 1)))
		goto fail;
	memcpy(u->data, val->data, val->len);
	u->len = val->len;
	u->a = val->type;
	u->vflags = val->flags;
	u->vmode = val->mode;
	u->vuid = val->uid;
	u->vgid = val->gid;
	u->id = val->id;
	u->parent = val->key->id;
	u->mtime_ns = val->mtime_ns;
	char *old_text = record_text(val->type, val->data, val->len);
	struct cfs_key *key = val->key;
	if ((r = mark_dirty(t, val->id, true)) < 0 ||
	    (r = reg_record(t, CFS_CH_VALUE_DELETED, key, val->name, old_text, NULL, val->id)) < 0) {
		free(old_text);
		goto fail;
	}
	free(old_text);
	cfs_reg_remove_value(&t->m->reg, val);
	touch_key(t, key);
	return 0;
fail:
	cfs_txn_rollback(t, mark);
	return r;
}

int cfs_txn_rename_value(struct cfs_txn *t, struct cfs_value *val, const char *name)
{
	if (strcmp(val->name, name) == 0)
		return 0;
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	struct cfs_undo *u = undo_push(t, U_VAL_RENAME);
	if (!u || !(u->name = strdup(val->name))) {
		if (u)
			undo_drop_last(t);
		return -ENOMEM;
	}
	u->id = val->id;
	int r = cfs_reg_rename_value(&t->m->reg, val, name);
	if (r < 0) {
		undo_drop_last(t);
		return r;
	}
	if ((r = mark_dirty(t, val->id, true)) < 0 ||
	    (r = reg_record(t, CFS_CH_VALUE_RENAMED, val->key, name, u->name, name, val->id)) < 0) {
		cfs_txn_rollback(t, mark);
		return r;
	}
	touch_key(t, val->key);
	return 0;
}

int cfs_txn_set_dword(struct cfs_txn *t, struct cfs_key *key, const char *name, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	return cfs_txn_set_value(t, key, name, CFS_REG_DWORD, le, sizeof(le));
}

int cfs_txn_obj_add(struct cfs_txn *t, enum cfs_kind kind, struct cfs_key *key,
		    struct cfs_object **ret)
{
	struct cfs_object *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->kind = kind;
	o->key = key;
	o->name = strdup(cfs_key_get_sz(key, CFS_P_NAME, NULL));
	struct cfs_undo *u = o->name ? undo_push(t, U_OBJ_ADD) : NULL;
	if (!u) {
		free(o->name);
		free(o);
		return -ENOMEM;
	}
	u->obj = o;
	u->id = key->id;
	if (cfs_smap_put(&t->m->by_name[kind], o->name, o) < 0 ||
	    cfs_smap_put(&t->m->by_id, key->name, o) < 0) {
		cfs_txn_rollback(t, (struct cfs_txn_mark){t->undo.n - 1, t->dirty.n, t->nrecs,
							  t->next_seq});
		return -ENOMEM;
	}
	key->obj = o;
	*ret = o;
	return 0;
}

int cfs_txn_obj_del(struct cfs_txn *t, struct cfs_object *obj)
{
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	struct cfs_undo *u = undo_push(t, U_OBJ_DEL);
	if (!u)
		return -ENOMEM;
	u->obj = obj;
	u->id = obj->key->id;
	struct cfs_key *key = obj->key;
	unindex_obj(t->m, obj);
	int r = cfs_txn_del_key(t, key);
	if (r < 0) {
		cfs_txn_rollback(t, mark);
		return r;
	}
	return 0;
}

int cfs_txn_obj_rename(struct cfs_txn *t, struct cfs_object *obj, const char *name)
{
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	int r = cfs_txn_set_value(t, obj->key, CFS_P_NAME, CFS_REG_SZ, name, strlen(name));
	if (r < 0)
		return r;
	char *copy = strdup(name);
	struct cfs_undo *u = copy ? undo_push(t, U_OBJ_RENAME) : NULL;
	if (!u) {
		free(copy);
		cfs_txn_rollback(t, mark);
		return -ENOMEM;
	}
	u->obj = obj;
	u->name = obj->name;
	cfs_smap_del(&t->m->by_name[obj->kind], obj->name);
	obj->name = copy;
	if (cfs_smap_put(&t->m->by_name[obj->kind], obj->name, obj) < 0) {
		cfs_txn_rollback(t, mark);
		return -ENOMEM;
	}
	return 0;
}

int cfs_txn_member_add(struct cfs_txn *t, struct cfs_object *group, struct cfs_object *res)
{
	struct cfs_undo *u = undo_push(t, U_MEMBER_ADD);
	if (!u)
		return -ENOMEM;
	u->group = group;
	u->obj = res;
	int r = cfs_vec_insert(&group->members, member_pos(&group->members, res->key->id), res);
	if (r < 0)
		undo_drop_last(t);
	return r;
}

int cfs_txn_member_del(struct cfs_txn *t, struct cfs_object *group, struct cfs_object *res)
{
	struct cfs_undo *u = undo_push(t, U_MEMBER_DEL);
	if (!u)
		return -ENOMEM;
	u->group = group;
	u->obj = res;
	cfs_vec_remove(&group->members, res);
	return 0;
}

int cfs_txn_set_state(struct cfs_txn *t, struct cfs_object *obj, uint32_t state)
{
	uint32_t old = cfs_obj_state(obj);
	if (old == state)
		return 0;
	int r = cfs_txn_set_dword(t, obj->key, CFS_P_STATE, state);
	return r < 0 ? r : cfs_txn_record(t, obj->kind, CFS_CH_STATE, obj, NULL,
					  cfs_state_name(obj->kind, old),
					  cfs_state_name(obj->kind, state));
}
