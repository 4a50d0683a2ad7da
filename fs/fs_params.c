/* SPDX-License-Identifier: MIT */
/* A resource's parameters/ directory: one file per parameter, kept in the
 * registry as the REG_SZ values of the resource's Parameters key.
 *
 * It lists the parameters the resource's type knows (an OCF agent's
 * meta-data, a built-in type's list; restype.h), set or not, and any other
 * parameter set on a type without such a list. A set parameter reads as
 * its value and a newline; an unset one is empty. Writing a file sets the
 * parameter (each write is the whole value; one trailing newline is
 * dropped), creating it when the type does not list it (a type with a
 * list refuses other names: EINVAL), and removing the file unsets it.
 *
 * The kernel caches the directory, its entries, its files' attributes and
 * their content like any other. What they show
 * follows the resource's Parameters key and its type's parameter list, so
 * the notifier invalidates them on changes of either (cfs_fsparam_map). */
#include <errno.h>
#include <string.h>

#include "fs_i.h"
#include "fs_notify_i.h"
#include "log.h"
#include "restype.h"
#include "value.h"

#define SLOT_BITS 12
#define SLOT_MAX ((1u << SLOT_BITS) - 1)
/* Listing offsets of parameters the type does not list start here. */
#define EXTRA_BASE (SLOT_MAX + 1)

static struct cfs_object *res_type(const struct cfs_model *m, const struct cfs_object *r)
{
	return cfs_obj_ref(m, r, CFS_P_TYPE);
}

static struct cfs_key *params_key(const struct cfs_object *r)
{
	return cfs_key_subkey(r->key, CFS_P_PARAMETERS);
}

int cfs_fsparam_resolve(const struct cfs_model *m, uint64_t id, unsigned tag,
			struct cfs_node *ret)
{
	if (tag == CFS_TAG_PARAMVAL) {
		struct cfs_value *v = cfs_reg_value(&m->reg, id);
		struct cfs_key *k = v ? v->key : NULL;
		if (!k || strcmp(k->name, CFS_P_PARAMETERS) != 0 || !k->parent ||
		    !k->parent->obj || k->parent->obj->kind != CFS_KIND_RESOURCE)
			return -ENOENT;
		ret->type = CFS_NODE_PARAM;
		ret->val = v;
		ret->obj = k->parent->obj;
		ret->key = k->parent;
		return 0;
	}
	struct cfs_key *k = cfs_reg_key(&m->reg, id >> SLOT_BITS);
	unsigned slot = (unsigned)(id & SLOT_MAX);
	if (!k || !k->obj || k->obj->kind != CFS_KIND_RESOURCE || slot == 0)
		return -ENOENT;
	struct cfs_param_list l;
	if (cfs_type_params(m, res_type(m, k->obj), &l) < 0)
		return -ENOMEM;
	bool ok = slot <= l.n;
	cfs_param_list_free(&l);
	if (!ok)
		return -ENOENT;
	ret->type = CFS_NODE_PARAM;
	ret->obj = k->obj;
	ret->key = k;
	ret->slot = slot;
	return 0;
}

/* The parameter's name (malloc'd), or NULL. */
static char *param_name(const struct cfs_model *m, const struct cfs_node *n)
{
	if (n->val)
		return strdup(n->val->name);
	struct cfs_param_list l;
	if (cfs_type_params(m, res_type(m, n->obj), &l) < 0)
		return NULL;
	char *name = n->slot >= 1 && n->slot <= l.n ? strdup(l.v[n->slot - 1].name) : NULL;
	cfs_param_list_free(&l);
	return name;
}

int cfs_fsparam_render(const struct cfs_model *m, const struct cfs_node *n, struct cfs_buf *out)
{
	if (n->type != CFS_NODE_PARAM)
		return -EISDIR;
	char *name = param_name(m, n);
	if (!name)
		return -ENOENT;
	struct cfs_key *pk = params_key(n->obj);
	struct cfs_value *v = pk ? cfs_key_value(pk, name) : NULL;
	free(name);
	if (!v)
		return 0;
	if (v->type == CFS_REG_SZ || v->type == CFS_REG_EXPAND_SZ) {
		int r = cfs_buf_puts(out, (const char *)v->data);
		return r < 0 ? r : cfs_buf_append(out, "\n", 1);
	}
	return cfs_value_format(v->type, v->data, v->len, out);
}

int cfs_fsparam_stat(const struct cfs_model *m, const struct cfs_node *n, struct stat *st,
		     int64_t *ret_mtime)
{
	struct cfs_key *pk = params_key(n->obj);
	*ret_mtime = pk ? cfs_key_values_mtime(pk) : n->obj->key->mtime_ns;
	if (n->type == CFS_NODE_PARAMS) {
		st->st_mode = S_IFDIR | 0775;
		st->st_nlink = 2;
		return 0;
	}
	struct cfs_buf b = {0};
	int r = cfs_fsparam_render(m, n, &b);
	st->st_mode = S_IFREG | 0664;
	st->st_nlink = 1;
	st->st_size = (off_t)b.len;
	cfs_buf_free(&b);
	return r;
}

uint64_t cfs_fsparam_child(const struct cfs_model *m, const struct cfs_node *p, const char *name)
{
	struct cfs_param_list l;
	if (cfs_type_params(m, res_type(m, p->obj), &l) < 0)
		return 0;
	uint64_t ino = 0;
	for (size_t i = 0; i < l.n && i < SLOT_MAX && !ino; i++)
		if (strcmp(l.v[i].name, name) == 0)
			ino = cfs_ino(p->obj->key->id << SLOT_BITS | (i + 1), CFS_TAG_PARAM);
	cfs_param_list_free(&l);
	struct cfs_key *pk = params_key(p->obj);
	struct cfs_value *v = !ino && pk ? cfs_key_value(pk, name) : NULL;
	return v ? cfs_ino(v->id, CFS_TAG_PARAMVAL) : ino;
}

void cfs_fsparam_list(const struct cfs_model *m, const struct cfs_node *n, struct cfs_dirbuf *d,
		      uint64_t min)
{
	struct cfs_param_list l;
	if (cfs_type_params(m, res_type(m, n->obj), &l) < 0)
		return;
	for (size_t i = 0; i < l.n && i < SLOT_MAX; i++)
		if (i + 1 >= min)
			cfs_dir_add(d, l.v[i].name,
				    cfs_ino(n->obj->key->id << SLOT_BITS | (i + 1), CFS_TAG_PARAM),
				    S_IFREG, CFS_DIR_OFF(i + 1));
	struct cfs_key *pk = params_key(n->obj);
	for (size_t i = 0; pk && i < pk->values.n; i++) {
		struct cfs_value *v = pk->values.v[i];
		if (cfs_param_find(&l, v->name) || EXTRA_BASE + v->id < min)
			continue;
		cfs_dir_add(d, v->name, cfs_ino(v->id, CFS_TAG_PARAMVAL), S_IFREG,
			    CFS_DIR_OFF(EXTRA_BASE + v->id));
	}
	cfs_param_list_free(&l);
}

static int push(struct cfs_vec *cmds, enum cfs_op op, int argc, const char *const *argv)
{
	struct cfs_cmd *c;
	int r = cfs_cmd_new(&c, op, argc, argv);
	if (r == 0 && (r = cfs_vec_push(cmds, c)) < 0)
		cfs_cmd_free(c);
	return r;
}

void cfs_fsparam_write(fuse_req_t req, uint64_t ino, const char *buf, size_t size)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_vec cmds = {0};
	struct cfs_node n;
	int r = memchr(buf, '\0', size) ? -EINVAL : 0;
	char *text = r == 0 ? cfs_strndup(buf, size) : NULL;
	if (r == 0 && !text)
		r = -ENOMEM;
	if (r == 0 && size && text[size - 1] == '\n')
		text[size - 1] = '\0';
	cfs_engine_rdlock(fs->e);
	if (r == 0)
		r = cfs_resolve(&fs->e->model, ino, &n);
	char *name = r == 0 ? param_name(&fs->e->model, &n) : NULL;
	if (r == 0 && !name)
		r = -ENOENT;
	if (r == 0) {
		const char *a[] = {cfs_obj_id(n.obj), name, text};
		r = push(&cmds, CFS_OP_RES_PARAM, 3, a);
	}
	cfs_engine_unlock(fs->e);
	free(name);
	free(text);
	if (r < 0) {
		cfs_free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	cfs_pending_reply_write(req, ino, &cmds, size);
}

int cfs_fsparam_mknod(const struct cfs_node *p, const char *name, struct cfs_vec *cmds)
{
	const char *a[] = {cfs_obj_id(p->obj), name, ""};
	return push(cmds, CFS_OP_RES_PARAM, 3, a);
}

int cfs_fsparam_truncate(const struct cfs_model *m, const struct cfs_node *n, off_t size,
			 off_t cur, struct cfs_vec *cmds)
{
	if (size == cur)
		return 0;
	if (size != 0)
		return -EINVAL; /* a parameter is a whole text: empty it or write it */
	char *name = param_name(m, n);
	if (!name)
		return -ENOENT;
	const char *a[] = {cfs_obj_id(n->obj), name, ""};
	int r = push(cmds, CFS_OP_RES_PARAM, 3, a);
	free(name);
	return r;
}

int cfs_fsparam_remove(const struct cfs_node *p, const char *name, bool dir, struct cfs_vec *cmds)
{
	if (dir)
		return -ENOTDIR;
	const char *a[] = {cfs_obj_id(p->obj), name};
	return push(cmds, CFS_OP_RES_PARAM_UNSET, 2, a);
}

/* The listed parameters' inodes of resource res: their attributes carry
 * the Parameters key's values mtime, and extra slots past the list cover
 * one that was just removed from it. */
static void inval_slots(struct cfs_unit *u, const struct cfs_model *m,
			const struct cfs_object *res, size_t extra)
{
	struct cfs_param_list l;
	size_t n = extra;
	if (cfs_type_params(m, res_type(m, res), &l) == 0) {
		n += l.n;
		cfs_param_list_free(&l);
	}
	for (size_t i = 1; i <= n && i <= SLOT_MAX; i++)
		cfs_unit_inval(u, cfs_ino(res->key->id << SLOT_BITS | i, CFS_TAG_PARAM), NULL);
}

/* res's parameter list changed: a name may now stand for another slot or
 * be gone, so its parameters/ goes from the kernel's cache whole (the
 * entry's invalidation drops everything cached below it). */
static void relist(struct cfs_unit *u, const struct cfs_model *m, const struct cfs_object *res)
{
	cfs_unit_inval(u, cfs_ino(res->key->id, CFS_TAG_OBJDIR), "parameters");
	cfs_unit_inval(u, cfs_ino(res->key->id, CFS_TAG_PARAMS), NULL);
	inval_slots(u, m, res, 1);
}

/* Relists every resource of type, or (type NULL) of one of types (keyed
 * by their key ids). */
static void relist_resources_of(struct cfs_unit *u, const struct cfs_model *m,
				const struct cfs_imap *types, const struct cfs_object *type)
{
	const struct cfs_key *c = m->coll[CFS_KIND_RESOURCE];
	for (size_t i = 0; c && i < c->subkeys.n; i++) {
		const struct cfs_key *rk = c->subkeys.v[i];
		const struct cfs_object *res = rk->obj;
		const struct cfs_object *t = res ? res_type(m, res) : NULL;
		if (t && (type ? t == type : cfs_imap_get(types, t->key->id) != NULL))
			relist(u, m, res);
	}
}

void cfs_fsparam_flush(struct cfs_unit *u, const struct cfs_model *m)
{
	if (!u->relist_types.n)
		return;
	relist_resources_of(u, m, &u->relist_types, NULL);
	cfs_imap_free(&u->relist_types);
}

static bool is_params_name(const char *s)
{
	return s && strcmp(s, CFS_P_PARAMETERS) == 0;
}

/* What record r changed under an object: a resource's parameters, a
 * type's parameter list, or a resource's type. */
static void params_of(struct cfs_unit *u, const struct cfs_model *m, const struct cfs_record *r,
		      const struct cfs_object *owner, bool whole)
{
	if (owner->kind == CFS_KIND_RESTYPE) {
		/* Its resources are found once for the whole commit
		 * (cfs_fsparam_flush): registering a type writes a record per
		 * parameter, and each pass is over every resource. */
		if (cfs_imap_put(&u->relist_types, owner->key->id, (void *)owner) < 0)
			relist_resources_of(u, m, NULL, owner); /* now, then */
		return;
	}
	if (owner->kind != CFS_KIND_RESOURCE)
		return;
	if (whole) {
		relist(u, m, owner);
		return;
	}
	uint64_t dir = cfs_ino(owner->key->id, CFS_TAG_PARAMS);
	cfs_unit_inval(u, dir, NULL);
	const char *names[] = {r->prop, r->old_value, r->new_value};
	size_t nnames = r->change == CFS_CH_VALUE_RENAMED ? 3 : 1;
	for (size_t i = 0; i < nnames; i++)
		if (names[i])
			cfs_unit_inval(u, dir, names[i]);
	if (r->value_id)
		cfs_unit_inval(u, cfs_ino(r->value_id, CFS_TAG_PARAMVAL), NULL);
	inval_slots(u, m, owner, 0);
}

void cfs_fsparam_map(struct cfs_unit *u, const struct cfs_model *m, const struct cfs_record *r)
{
	const struct cfs_key *k = cfs_reg_key(&m->reg, r->key_id);
	switch (r->change) {
	case CFS_CH_KEY_ADDED:
	case CFS_CH_KEY_DELETED:
	case CFS_CH_KEY_RENAMED: {
		/* A Parameters key itself: the list (or the values) as a whole. */
		bool leaf = r->obj_name && is_params_name(cfs_key_leaf(r->obj_name));
		if (!leaf && !is_params_name(r->old_value) && !is_params_name(r->new_value))
			return;
		const struct cfs_key *p = k ? k->parent : cfs_reg_key(&m->reg, r->parent_key_id);
		if (p && p->obj)
			params_of(u, m, r, p->obj, true);
		return;
	}
	case CFS_CH_VALUE_SET:
	case CFS_CH_VALUE_DELETED:
	case CFS_CH_VALUE_RENAMED:
		if (!k)
			return;
		if (k->obj && k->obj->kind == CFS_KIND_RESOURCE && r->prop &&
		    strcmp(r->prop, CFS_P_TYPE) == 0) {
			/* Its type changed. A resource gets its type when it is
			 * created, with nothing of it cached yet: building a
			 * large cluster need not pay for this. */
			if (!(r->flags & CFS_REC_CREATED))
				relist(u, m, k->obj);
			return;
		}
		if (is_params_name(k->name) && k->parent && k->parent->obj)
			params_of(u, m, r, k->parent->obj, false);
		return;
	default:
		return;
	}
}
