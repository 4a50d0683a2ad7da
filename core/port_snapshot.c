/* SPDX-License-Identifier: MIT */
/* A reader's snapshot start (port.h: "snapshot"): one record per object,
 * key and value that the port's filter wants and the reader may see, then
 * a snapshot_end marker carrying the sequence number the reader goes on
 * from (port_reader.c hands it to the reader).
 *
 * The records are collected (copied) under the model's read lock, which is
 * all the committer waits for, and formatted after it, with no lock held:
 * formatting is nearly all of the cost. */
#include "port_i.h"

#include <errno.h>
#include <string.h>

#include "value.h"

void cfs_port_snap_free(struct cfs_port_snap *s)
{
	cfs_buf_free(&s->out);
	*s = (struct cfs_port_snap){0};
}

/* What a snapshot collects under the model's read lock: each record's
 * strings are copied into one arena (items hold offsets), so that the lock
 * is held for a walk and a few large copies, not for many allocations. */
#define SNAP_NONE SIZE_MAX

struct snap_item {
	enum cfs_kind kind;
	enum cfs_change change;
	size_t id, name, parent, prop, value; /* offsets in the arena, or SNAP_NONE */
};

struct snap {
	const struct cfs_filter *f;
	const struct cfs_cred *c;
	struct cfs_buf arena; /* NUL-terminated strings; "" at offset 0 */
	struct snap_item *items;
	size_t n, cap;
	int err;
};

static bool wanted(const struct cfs_filter *f, const struct cfs_record *r)
{
	for (size_t i = 0; i < f->n; i++)
		if (cfs_reg_match(&f->regs[i], r))
			return true;
	return false;
}

static size_t arena_put(struct snap *s, const char *str)
{
	if (!str)
		return SNAP_NONE;
	if (!*str)
		return 0;
	size_t off = s->arena.len;
	if (s->err == 0 && (s->err = cfs_buf_append(&s->arena, str, strlen(str) + 1)) < 0)
		return 0;
	return off;
}

static struct snap_item *snap_item(struct snap *s)
{
	if (s->err)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct snap_item *v = realloc(s->items, cap * sizeof(*v));
		if (!v) {
			s->err = -ENOMEM;
			return NULL;
		}
		s->items = v;
		s->cap = cap;
	}
	return &s->items[s->n++];
}

static void snap_record(struct snap *s, const struct cfs_record *r)
{
	if (!wanted(s->f, r))
		return;
	struct snap_item *it = snap_item(s);
	if (it)
		*it = (struct snap_item){r->kind,
					 r->change,
					 arena_put(s, r->obj_id),
					 arena_put(s, r->obj_name),
					 arena_put(s, r->parent_id),
					 arena_put(s, r->prop),
					 arena_put(s, r->new_value)};
}

/* A value's text as records carry it, appended to the arena with its NUL. */
static size_t arena_value(struct snap *s, const struct cfs_value *v)
{
	struct cfs_buf *a = &s->arena;
	size_t off = a->len;
	if (s->err)
		return 0;
	if (v->type == CFS_REG_BINARY || v->type == CFS_REG_NONE) {
		static const char hex[] = "0123456789abcdef";
		if ((s->err = cfs_buf_reserve(a, v->len * 2 + 1)) < 0)
			return 0;
		for (size_t b = 0; b < v->len; b++) {
			a->data[a->len++] = hex[v->data[b] >> 4];
			a->data[a->len++] = hex[v->data[b] & 15];
		}
	} else {
		if ((s->err = cfs_value_format(v->type, v->data, v->len, a)) < 0)
			return 0;
		if (a->len > off && a->data[a->len - 1] == '\n')
			a->len--;
	}
	if ((s->err = cfs_buf_append(a, "", 1)) < 0)
		return 0;
	return off;
}

static void snap_registry(struct snap *s, const struct cfs_key *k, struct cfs_buf *path)
{
	/* What the reader could not reach by path it does not get: nothing
	 * below a key it may not search, and no key or values it may not
	 * read (access.h). */
	struct cfs_sec sec = {k->mode, k->uid, k->gid};
	if (!s->c->admin && !(cfs_sec_bits(&sec, s->c) & 1))
		return;
	bool readable = cfs_key_readable(k, s->c);
	size_t base = path->len;
	if (k->parent) {
		if (base)
			cfs_buf_append(path, "\\", 1);
		cfs_buf_puts(path, k->name);
	}
	const char *kpath = path->data ? path->data : "";
	size_t kname = SNAP_NONE;
	struct cfs_record r = {.kind = CFS_KIND_REGISTRY, .change = CFS_CH_KEY_ADDED,
			       .obj_id = "", .obj_name = (char *)kpath, .parent_id = ""};
	if (readable && k->parent && wanted(s->f, &r)) {
		struct snap_item *it = snap_item(s);
		kname = arena_put(s, kpath);
		if (it)
			*it = (struct snap_item){r.kind, r.change, 0, kname, 0, SNAP_NONE, SNAP_NONE};
	}
	r.change = CFS_CH_VALUE_SET;
	r.new_value = "";
	for (size_t i = 0; readable && i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		r.prop = v->name;
		if (!wanted(s->f, &r))
			continue;
		if (kname == SNAP_NONE)
			kname = arena_put(s, kpath);
		size_t prop = arena_put(s, v->name), value = arena_value(s, v);
		struct snap_item *it = snap_item(s);
		if (it)
			*it = (struct snap_item){r.kind, r.change, 0, kname, 0, prop, value};
	}
	for (size_t i = 0; i < k->subkeys.n; i++)
		snap_registry(s, k->subkeys.v[i], path);
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
}

static char *arena_str(const struct snap *s, size_t off)
{
	return off == SNAP_NONE ? NULL : s->arena.data + off;
}

/* Makes a snapshot for a reader with filter f and credentials c; -EDQUOT
 * as soon as it is larger than room bytes (so a refused one costs little).
 * Takes the model's read lock itself; the ports lock may be held or not. */
int cfs_port_snap_make(struct cfs_ports *ps, const struct cfs_filter *f, const struct cfs_cred *c,
		       uint64_t room, struct cfs_port_snap *ret)
{
	struct cfs_engine *e = ps->e;
	struct snap s = {.f = f, .c = c};
	*ret = (struct cfs_port_snap){0};
	s.err = cfs_buf_append(&s.arena, "", 1);
	cfs_engine_rdlock(e);
	const struct cfs_model *m = &e->model;
	ret->seq = e->applied_seq;
	struct cfs_record cr = {.kind = CFS_KIND_CLUSTER, .change = CFS_CH_ADDED,
				.obj_id = (char *)cfs_key_get_sz(m->reg.root, CFS_P_CLUSTER_ID, NULL),
				.obj_name = (char *)cfs_model_cluster_name(m), .parent_id = ""};
	snap_record(&s, &cr);
	for (int k = CFS_KIND_NODE; k <= CFS_KIND_NETINTERFACE; k++) {
		struct cfs_key *coll = m->coll[k];
		for (size_t i = 0; i < coll->subkeys.n; i++) {
			struct cfs_object *o = ((struct cfs_key *)coll->subkeys.v[i])->obj;
			if (!o)
				continue;
			struct cfs_object *parent =
				k == CFS_KIND_GROUP	     ? cfs_obj_ref(m, o, CFS_P_OWNER_NODE)
				: k == CFS_KIND_RESOURCE     ? cfs_obj_ref(m, o, CFS_P_GROUP)
				: k == CFS_KIND_NETINTERFACE ? cfs_obj_ref(m, o, CFS_P_NODE)
							     : NULL;
			bool has_state = k != CFS_KIND_RESTYPE;
			struct cfs_record r = {
				.kind = k,
				.change = CFS_CH_ADDED,
				.obj_id = (char *)cfs_obj_id(o),
				.obj_name = o->name,
				.parent_id = parent ? (char *)cfs_obj_id(parent) : "",
				.new_value = has_state ? (char *)cfs_state_name(k, cfs_obj_state(o))
						       : NULL,
			};
			snap_record(&s, &r);
		}
	}
	struct cfs_buf path = {0};
	cfs_buf_puts(&path, "");
	snap_registry(&s, m->reg.root, &path);
	cfs_buf_free(&path);
	cfs_engine_unlock(e);
	int r = s.err;
	for (size_t i = 0; r == 0 && i < s.n; i++) {
		const struct snap_item *it = &s.items[i];
		struct cfs_record rec = {.kind = it->kind,
					 .change = it->change,
					 .obj_id = arena_str(&s, it->id),
					 .obj_name = arena_str(&s, it->name),
					 .parent_id = arena_str(&s, it->parent),
					 .prop = arena_str(&s, it->prop),
					 .new_value = arena_str(&s, it->value)};
		long n = cfs_port_format_matches(f, &rec, true, NULL, c, &ret->out);
		if (n < 0)
			r = (int)n;
		else if (ret->out.len > room)
			r = -EDQUOT;
		else
			ret->lines += n;
	}
	free(s.items);
	cfs_buf_free(&s.arena);
	if (r == 0)
		r = cfs_buf_printf(&ret->out,
				   "{\"seq\":%llu,\"change\":\"snapshot_end\",\"records\":%ld}\n",
				   (unsigned long long)ret->seq, ret->lines);
	if (r < 0)
		cfs_port_snap_free(ret);
	return r;
}
