/* SPDX-License-Identifier: MIT */
/* Building the notifier's units (fs_notify_i.h): the committer thread
 * turns a commit's records, under the model's read lock, into the inodes
 * and entries to invalidate and the self-ops that replay the change on
 * the mount, with the paths they use and the tombstones that let them
 * reach names a later record of the same unit removed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_i.h"
#include "fs_inode.h"
#include "fs_notify_i.h"
#include "value.h"

void cfs_unit_inval(struct cfs_unit *u, uint64_t ino, const char *name)
{
	if (!ino)
		return;
	if (!name) {
		if (cfs_imap_get(&u->seen, ino))
			return;
		if (cfs_imap_put(&u->seen, ino, (void *)1) < 0)
			return;
	}
	if (u->nitems == u->capitems) {
		size_t cap = u->capitems ? u->capitems * 2 : 64;
		struct cfs_inval *v = realloc(u->items, cap * sizeof(*v));
		if (!v)
			return; /* then the cache timeout bounds staleness */
		u->items = v;
		u->capitems = cap;
	}
	char *copy = name ? cfs_pool_strdup(&u->strings, name) : NULL;
	if (name && !copy)
		return;
	u->items[u->nitems++] = (struct cfs_inval){ino, copy};
}

static struct cfs_selfop *new_op(struct cfs_unit *u, enum cfs_sop op)
{
	if (u->nops == u->capops) {
		size_t cap = u->capops ? u->capops * 2 : 32;
		struct cfs_selfop *v = realloc(u->ops, cap * sizeof(*v));
		if (!v)
			return NULL;
		u->ops = v;
		u->capops = cap;
	}
	struct cfs_selfop *o = &u->ops[u->nops++];
	*o = (struct cfs_selfop){.op = op};
	return o;
}

bool cfs_tomb_add(struct cfs_selfop *o, struct cfs_tomb t)
{
	if (o->ntomb >= CFS_TOMB_MAX)
		return false;
	if (o->ntomb >= 2 && !o->tomb_more &&
	    !(o->tomb_more = calloc(CFS_TOMB_MAX - 2, sizeof(*o->tomb_more))))
		return false;
	*cfs_tomb_at(o, o->ntomb++) = t;
	return true;
}

/* Its strings are the unit's (u->strings). */
static void op_free(struct cfs_selfop *o)
{
	free(o->tomb_more);
}

static bool origin_is(const struct cfs_origin *o, int what, uint64_t ino, const char *name)
{
	return o && (int)o->what == what && o->ino == ino && (!name || strcmp(o->name, name) == 0);
}

/* A modification of a file (at most once per unit, and not right after
 * the unit created it). */
void cfs_unit_modify(struct cfs_unit *u, const struct cfs_origin *origin, const char *path,
		      uint64_t ino)
{
	cfs_unit_inval(u, ino, NULL);
	if (origin_is(origin, CFS_ORIGIN_WRITE, ino, NULL) || cfs_imap_get(&u->touched, ino))
		return;
	struct cfs_selfop *o = new_op(u, CFS_SOP_MODIFY);
	if (!o)
		return;
	o->path = cfs_pool_strdup(&u->strings, path);
	o->ino = ino;
	cfs_imap_put(&u->touched, ino, (void *)1);
}

static void op_attrib(struct cfs_unit *u, const struct cfs_origin *origin, const char *path,
		      uint64_t ino)
{
	cfs_unit_inval(u, ino, NULL);
	if (origin_is(origin, CFS_ORIGIN_ATTRIB, ino, NULL))
		return;
	struct cfs_selfop *o = new_op(u, CFS_SOP_ATTRIB);
	if (!o)
		return;
	o->path = cfs_pool_strdup(&u->strings, path);
	o->ino = ino;
}

static void op_create(struct cfs_unit *u, const struct cfs_origin *origin, enum cfs_sop op,
		      const char *path, uint64_t parent, const char *name, uint64_t ino,
		      const char *target)
{
	cfs_unit_inval(u, parent, NULL);
	if (origin_is(origin, CFS_ORIGIN_CREATE, parent, name))
		return;
	struct cfs_selfop *o = new_op(u, op);
	if (!o)
		return;
	o->path = cfs_pool_strdup(&u->strings, path);
	o->path2 = cfs_pool_strdup(&u->strings, target);
	o->parent = parent;
	o->name = cfs_pool_strdup(&u->strings, name);
	o->ino = ino;
	/* What it creates may be gone again by the time it runs (created and
	 * deleted in one unit): it then still sees what it was. */
	mode_t mode = op == CFS_SOP_MKDIR     ? S_IFDIR | 0755
		      : op == CFS_SOP_SYMLINK ? S_IFLNK | 0777
					      : S_IFREG | 0444;
	cfs_tomb_add(o, (struct cfs_tomb){parent, o->name, ino, mode});
	cfs_imap_put(&u->touched, ino, (void *)1);
}

/* A removal. tombs[0] is the entry removed; an extra tomb may make its
 * parent directory reachable (a file of an object being deleted). */
static void op_remove(struct cfs_unit *u, const struct cfs_origin *origin, enum cfs_sop op,
		      const char *path, uint64_t parent, const char *name, uint64_t ino,
		      mode_t mode, const struct cfs_tomb *outer)
{
	cfs_unit_inval(u, parent, name);
	cfs_unit_inval(u, parent, NULL);
	if (origin_is(origin, CFS_ORIGIN_DELETE, parent, name))
		return;
	struct cfs_selfop *o = new_op(u, op);
	if (!o)
		return;
	o->path = cfs_pool_strdup(&u->strings, path);
	o->parent = parent;
	o->name = cfs_pool_strdup(&u->strings, name);
	cfs_tomb_add(o, (struct cfs_tomb){parent, o->name, ino, mode});
	if (outer)
		cfs_tomb_add(o, *outer); /* its name is a static or long-lived string */
}

static void op_rename(struct cfs_unit *u, const struct cfs_origin *origin, const char *dir,
		      uint64_t parent, const char *old, const char *new, uint64_t ino, mode_t mode)
{
	cfs_unit_inval(u, parent, old);
	cfs_unit_inval(u, parent, NULL);
	cfs_unit_inval(u, ino, NULL);
	if (origin_is(origin, CFS_ORIGIN_RENAME, parent, old))
		return;
	struct cfs_selfop *o = new_op(u, CFS_SOP_RENAME);
	if (!o)
		return;
	o->path = cfs_pool_printf(&u->strings, "%s/%s", dir, old);
	o->path2 = cfs_pool_printf(&u->strings, "%s/%s", dir, new);
	o->parent = parent;
	o->name = cfs_pool_strdup(&u->strings, old);
	o->name2 = cfs_pool_strdup(&u->strings, new);
	cfs_tomb_add(o, (struct cfs_tomb){parent, o->name, ino, mode});
	/* Onto a name it replaces: the replay finds what was there, so that
	 * the kernel replaces it as it does for a user's rename. */
	if (u->replaced.name && o->name2 && u->replaced.parent == parent &&
	    strcmp(u->replaced.name, new) == 0)
		cfs_tomb_add(o, (struct cfs_tomb){parent, o->name2, u->replaced.ino,
						    u->replaced.mode});
}

/* A deletion that a rename onto the name made (CFS_REC_REPLACED): no
 * unlink of its own; the rename that follows replaces it. */
static void replaced(struct cfs_unit *u, uint64_t parent, const char *name, uint64_t ino,
		     mode_t mode)
{
	cfs_unit_inval(u, parent, name);
	cfs_unit_inval(u, parent, NULL);
	cfs_unit_inval(u, ino, NULL);
	u->replaced = (struct cfs_tomb){parent, cfs_pool_strdup(&u->strings, name), ino, mode};
}

static const char *coll_dir(enum cfs_kind kind)
{
	static const char *const dirs[CFS_KIND_COUNT] = {
		[CFS_KIND_NODE] = "nodes",	       [CFS_KIND_GROUP] = "groups",
		[CFS_KIND_RESOURCE] = "resources",     [CFS_KIND_RESTYPE] = "resourcetypes",
		[CFS_KIND_NETWORK] = "networks",       [CFS_KIND_NETINTERFACE] = "netinterfaces",
	};
	return (unsigned)kind < CFS_KIND_COUNT ? dirs[kind] : NULL;
}

static int slot_of(enum cfs_kind kind, const char *file)
{
	const struct cfs_attr_spec *s = cfs_attr_specs(kind);
	for (int i = 0; s && s[i].name; i++)
		if (strcmp(s[i].name, file) == 0)
			return i;
	return -1;
}

/* Modifies one file of an object. */
static void obj_file(struct cfs_unit *u, const struct cfs_origin *origin, enum cfs_kind kind,
		     const char *name, uint64_t key_id, const char *file)
{
	int slot = slot_of(kind, file);
	if (slot < 0)
		return;
	char path[2 * CFS_NAME_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s/%s", coll_dir(kind), name, file);
	cfs_unit_modify(u, origin, path, cfs_ino(key_id, CFS_TAG_ATTR + (unsigned)slot));
}

/* Every attribute inode of an object: invalidated (cheap, and safe). */
static void obj_inval_all(struct cfs_unit *u, enum cfs_kind kind, uint64_t key_id)
{
	const struct cfs_attr_spec *s = cfs_attr_specs(kind);
	for (unsigned i = 0; s && s[i].name; i++)
		cfs_unit_inval(u, cfs_ino(key_id, CFS_TAG_ATTR + i), NULL);
	cfs_unit_inval(u, cfs_ino(key_id, CFS_TAG_OBJDIR), NULL);
}

static void members_file(struct cfs_unit *u, const struct cfs_origin *origin,
			 const struct cfs_object *g, const char *file)
{
	for (size_t i = 0; g && i < g->members.n; i++) {
		const struct cfs_object *r = g->members.v[i];
		obj_file(u, origin, CFS_KIND_RESOURCE, r->name, r->key->id, file);
	}
}

/* Earlier modifications in this unit of something now removed must still
 * reach it: give them tombstones for the file (and its directory). */
static void tomb_earlier(struct cfs_unit *u, uint64_t ino, uint64_t parent, uint64_t dir_parent,
			 const char *dir_name, uint64_t dir_ino)
{
	for (size_t i = 0; i < u->nops; i++) {
		struct cfs_selfop *o = &u->ops[i];
		if (o->op != CFS_SOP_MODIFY || o->ino != ino || o->ntomb || !o->path)
			continue;
		const char *file = strrchr(o->path, '/');
		cfs_tomb_add(o, (struct cfs_tomb){parent, file ? file + 1 : o->path, ino,
						    S_IFREG | 0444});
		if (dir_name && (o->name2 = cfs_pool_strdup(&u->strings, dir_name)))
			cfs_tomb_add(o, (struct cfs_tomb){dir_parent, o->name2, dir_ino,
							    S_IFDIR | 0555});
	}
}

static void obj_deleted(struct cfs_unit *u, const struct cfs_origin *origin, enum cfs_kind kind,
			const char *name, uint64_t key_id)
{
	uint64_t coll = cfs_coll_ino(kind);
	uint64_t dir_ino = cfs_ino(key_id, CFS_TAG_OBJDIR);
	char path[2 * CFS_NAME_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", coll_dir(kind), name);
	obj_inval_all(u, kind, key_id);
	const struct cfs_attr_spec *specs = cfs_attr_specs(kind);
	for (unsigned i = 0; specs && specs[i].name; i++)
		tomb_earlier(u, cfs_ino(key_id, CFS_TAG_ATTR + i), dir_ino, coll, name, dir_ino);
	/* Children first, unless the user's own rmdir already removed the
	 * directory: then only its IN_DELETE exists (the kernel's). */
	if (!origin_is(origin, CFS_ORIGIN_DELETE, coll, name)) {
		const struct cfs_attr_spec *s = cfs_attr_specs(kind);
		char *stable_name = NULL;
		for (unsigned i = 0; s && s[i].name; i++) {
			char fpath[3 * CFS_NAME_MAX + 64];
			snprintf(fpath, sizeof(fpath), "%s/%s", path, s[i].name);
			size_t before = u->nops;
			op_remove(u, NULL, CFS_SOP_UNLINK, fpath, dir_ino, s[i].name,
				  cfs_ino(key_id, CFS_TAG_ATTR + i), S_IFREG | 0444, NULL);
			if (u->nops > before) {
				/* The object's own directory stays reachable for it. */
				struct cfs_selfop *o = &u->ops[u->nops - 1];
				if (!stable_name)
					stable_name = o->name2 = cfs_pool_strdup(&u->strings, name);
				cfs_tomb_add(o, (struct cfs_tomb){coll, stable_name, dir_ino,
									S_IFDIR | 0555});
			}
		}
		/* A group's resources/ and a resource's parameters/. */
		const char *sub = kind == CFS_KIND_GROUP ? "resources"
				  : kind == CFS_KIND_RESOURCE ? "parameters"
							      : NULL;
		if (sub) {
			char rpath[2 * CFS_NAME_MAX + 80];
			snprintf(rpath, sizeof(rpath), "%s/%s", path, sub);
			size_t before = u->nops;
			op_remove(u, NULL, CFS_SOP_RMDIR, rpath, dir_ino, sub,
				  cfs_ino(key_id, kind == CFS_KIND_GROUP ? CFS_TAG_MEMBERS : CFS_TAG_PARAMS),
				  kind == CFS_KIND_GROUP ? S_IFDIR | 0555 : S_IFDIR | 0775, NULL);
			if (u->nops > before) {
				struct cfs_selfop *o = &u->ops[u->nops - 1];
				if (!stable_name)
					stable_name = o->name2 = cfs_pool_strdup(&u->strings, name);
				cfs_tomb_add(o, (struct cfs_tomb){coll, stable_name, dir_ino,
									S_IFDIR | 0555});
			}
		}
	}
	op_remove(u, origin, CFS_SOP_RMDIR, path, coll, name, dir_ino, S_IFDIR | 0555, NULL);
}

/* "registry/<key path with />" for a key path in '\' form. */
static char *reg_dir(const char *keypath)
{
	char *p;
	if (asprintf(&p, "registry%s%s", *keypath ? "/" : "", keypath) < 0)
		return NULL;
	for (char *c = p; *c; c++)
		if (*c == '\\')
			*c = '/';
	return p;
}

static void map_registry(struct cfs_unit *u, const struct cfs_model *m, const struct cfs_record *r)
{
	const struct cfs_origin *origin = r->origin;
	struct cfs_key *k = cfs_reg_key(&m->reg, r->key_id);
	uint64_t dir = cfs_ino(r->key_id, CFS_TAG_REGKEY);
	uint64_t pdir = r->parent_key_id ? cfs_ino(r->parent_key_id, CFS_TAG_REGKEY) : 0;
	char *kpath = reg_dir(r->obj_name ? r->obj_name : "");
	if (!kpath)
		return;
	char *vpath = NULL;
	if (r->prop && asprintf(&vpath, "%s/%s", kpath, r->prop) < 0)
		vpath = NULL;
	struct cfs_value *val = r->value_id ? cfs_reg_value(&m->reg, r->value_id) : NULL;
	bool is_link = val && val->type == CFS_REG_LINK;
	mode_t vmode = is_link ? S_IFLNK | 0777 : S_IFREG | 0444;
	switch (r->change) {
	case CFS_CH_VALUE_SET:
		if (!vpath)
			break;
		if (r->flags & CFS_REC_CREATED)
			op_create(u, origin, is_link ? CFS_SOP_SYMLINK : CFS_SOP_MKNOD, vpath, dir,
				  r->prop, cfs_ino(r->value_id, CFS_TAG_REGVAL),
				  is_link ? (const char *)val->data : NULL);
		else if (is_link) /* a link's target changed: nothing to replay */
			cfs_unit_inval(u, cfs_ino(r->value_id, CFS_TAG_REGVAL), NULL);
		else
			cfs_unit_modify(u, origin, vpath, cfs_ino(r->value_id, CFS_TAG_REGVAL));
		cfs_unit_inval(u, dir, NULL);
		break;
	case CFS_CH_VALUE_DELETED:
		tomb_earlier(u, cfs_ino(r->value_id, CFS_TAG_REGVAL), dir, 0, NULL, 0);
		if (r->flags & CFS_REC_REPLACED)
			replaced(u, dir, r->prop, cfs_ino(r->value_id, CFS_TAG_REGVAL), vmode);
		else if (vpath)
			op_remove(u, origin, CFS_SOP_UNLINK, vpath, dir, r->prop,
				  cfs_ino(r->value_id, CFS_TAG_REGVAL), vmode, NULL);
		break;
	case CFS_CH_VALUE_RENAMED:
		op_rename(u, origin, kpath, dir, r->old_value, r->new_value,
			  cfs_ino(r->value_id, CFS_TAG_REGVAL), vmode);
		break;
	case CFS_CH_KEY_ADDED:
		op_create(u, origin, CFS_SOP_MKDIR, kpath, pdir, cfs_key_leaf(r->obj_name), dir,
			  NULL);
		break;
	case CFS_CH_KEY_DELETED: {
		if (r->flags & CFS_REC_REPLACED) {
			replaced(u, pdir, cfs_key_leaf(r->obj_name), dir, S_IFDIR | 0755);
			break;
		}
		/* Its values and subkeys went first: let their replays reach
		 * them through this key, now gone. */
		size_t kl = strlen(kpath);
		for (size_t i = 0; i < u->nops; i++) {
			struct cfs_selfop *o = &u->ops[i];
			if (!o->path || strncmp(o->path, kpath, kl) != 0 || o->path[kl] != '/' ||
			    o->ntomb >= CFS_TOMB_MAX)
				continue;
			char *nm = cfs_pool_strdup(&u->strings, cfs_key_leaf(r->obj_name));
			if (nm)
				cfs_tomb_add(o, (struct cfs_tomb){pdir, nm, dir, S_IFDIR | 0755});
		}
		op_remove(u, origin, CFS_SOP_RMDIR, kpath, pdir, cfs_key_leaf(r->obj_name), dir,
			  S_IFDIR | 0755, NULL);
		break;
	}
	case CFS_CH_KEY_RENAMED: {
		char *parent = strdup(kpath);
		char *slash = parent ? strrchr(parent, '/') : NULL;
		if (slash) {
			*slash = '\0';
			op_rename(u, origin, parent, pdir, r->old_value, r->new_value, dir,
				  S_IFDIR | 0755);
		}
		free(parent);
		break;
	}
	case CFS_CH_SECURITY:
		if (r->prop) {
			/* A value's own security. */
			if (vpath)
				op_attrib(u, origin, vpath, cfs_ino(r->value_id, CFS_TAG_REGVAL));
			break;
		}
		op_attrib(u, origin, kpath, dir);
		/* Its values that follow its security changed too. When the
		 * user's own chmod or chown made the change, their events are
		 * part of that call's (cfs_unit.sync). */
		size_t before = u->nops;
		for (size_t i = 0; k && i < k->values.n; i++) {
			struct cfs_value *v = k->values.v[i];
			char *p;
			if ((v->flags & CFS_VAL_OWN_SECURITY) || v->type == CFS_REG_LINK)
				continue;
			if (asprintf(&p, "%s/%s", kpath, v->name) >= 0) {
				op_attrib(u, NULL, p, cfs_ino(v->id, CFS_TAG_REGVAL));
				free(p);
			}
		}
		if (u->nops > before && origin_is(origin, CFS_ORIGIN_ATTRIB, dir, NULL))
			u->sync = true;
		break;
	default:
		break;
	}
	/* A value of an object's key may show in the object's files (those
	 * get their own events from the object records); the root's values
	 * are the cluster's name and id. */
	if (k && k->obj)
		obj_inval_all(u, k->obj->kind, k->id);
	if (k == m->reg.root) {
		cfs_unit_inval(u, CFS_INO_NAME, NULL);
		cfs_unit_inval(u, CFS_INO_ID, NULL);
	}
	cfs_fsparam_map(u, m, r);
	free(kpath);
	free(vpath);
}

static void map_object(struct cfs_unit *u, const struct cfs_model *m, const struct cfs_record *r)
{
	const struct cfs_origin *origin = r->origin;
	enum cfs_kind kind = r->kind;
	const char *dir = coll_dir(kind);
	uint64_t coll = cfs_coll_ino(kind);
	struct cfs_object *o = r->obj_id && *r->obj_id ? cfs_model_by_id(m, r->obj_id) : NULL;
	const char *name = r->obj_name ? r->obj_name : "";
	char path[2 * CFS_NAME_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (r->change != CFS_CH_DELETED)
		obj_inval_all(u, kind, r->key_id);

	switch (r->change) {
	case CFS_CH_ADDED:
		/* The directory appears complete, with its files. */
		op_create(u, origin, CFS_SOP_MKDIR, path, coll, name,
			  cfs_ino(r->key_id, CFS_TAG_OBJDIR), NULL);
		break;
	case CFS_CH_DELETED:
		obj_deleted(u, origin, kind, name, r->key_id);
		break;
	case CFS_CH_RENAMED:
		op_rename(u, origin, dir, coll, r->old_value, r->new_value,
			  cfs_ino(r->key_id, CFS_TAG_OBJDIR), S_IFDIR | 0555);
		if (kind == CFS_KIND_RESOURCE && o) {
			struct cfs_object *g = cfs_obj_ref(m, o, CFS_P_GROUP);
			if (g) {
				char gdir[2 * CFS_NAME_MAX + 64];
				snprintf(gdir, sizeof(gdir), "groups/%s/resources", g->name);
				op_rename(u, NULL, gdir, cfs_ino(g->key->id, CFS_TAG_MEMBERS),
					  r->old_value, r->new_value, cfs_ino(r->key_id, CFS_TAG_MEMBER),
					  S_IFLNK | 0777);
				/* Siblings that depend on it show its name. */
				for (size_t i = 0; i < g->members.n; i++) {
					struct cfs_object *d = g->members.v[i];
					if (cfs_obj_list_has(d, CFS_P_DEPENDENCIES, r->obj_id))
						obj_file(u, NULL, CFS_KIND_RESOURCE, d->name,
							 d->key->id, "dependencies");
				}
			}
		} else if (kind == CFS_KIND_GROUP) {
			members_file(u, NULL, o, "group");
		} else if (kind == CFS_KIND_NETWORK) {
			struct cfs_key *nc = m->coll[CFS_KIND_NETINTERFACE];
			for (size_t i = 0; i < nc->subkeys.n; i++) {
				struct cfs_object *ni = ((struct cfs_key *)nc->subkeys.v[i])->obj;
				if (ni && o && cfs_obj_ref(m, ni, CFS_P_NETWORK) == o)
					obj_file(u, NULL, CFS_KIND_NETINTERFACE, ni->name,
						 ni->key->id, "network");
			}
		}
		break;
	case CFS_CH_STATE:
		obj_file(u, origin, kind, name, r->key_id, "state");
		break;
	case CFS_CH_OWNER:
		obj_file(u, origin, kind, name, r->key_id, "owner");
		members_file(u, NULL, o, "owner");
		break;
	case CFS_CH_PREFERRED_OWNERS:
		obj_file(u, origin, kind, name, r->key_id, "preferred_owners");
		break;
	case CFS_CH_POSSIBLE_OWNERS:
		obj_file(u, origin, kind, name, r->key_id, "possible_owners");
		break;
	case CFS_CH_DEPENDENCIES:
		obj_file(u, origin, kind, name, r->key_id, "dependencies");
		break;
	case CFS_CH_GROUP: {
		obj_file(u, origin, kind, name, r->key_id, "group");
		struct cfs_object *old = r->old_value
						 ? cfs_model_by_name(m, CFS_KIND_GROUP, r->old_value)
						 : NULL;
		struct cfs_object *now = o ? cfs_obj_ref(m, o, CFS_P_GROUP) : NULL;
		if (!old || !now || cfs_obj_ref(m, old, CFS_P_OWNER_NODE) !=
					    cfs_obj_ref(m, now, CFS_P_OWNER_NODE))
			obj_file(u, NULL, kind, name, r->key_id, "owner");
		break;
	}
	case CFS_CH_PROPERTY:
		if (r->prop && strcmp(r->prop, CFS_P_DESCRIPTION) == 0)
			obj_file(u, origin, kind, name, r->key_id, "description");
		else if (r->prop && strcmp(r->prop, "role") == 0)
			obj_file(u, origin, kind, name, r->key_id, "role");
		else if (r->prop)
			for (const struct cfs_attr_spec *sp = cfs_attr_specs(kind); sp && sp->name;
			     sp++)
				if (sp->prop && strcmp(sp->prop, r->prop) == 0)
					obj_file(u, origin, kind, name, r->key_id, sp->name);
		break;
	case CFS_CH_MEMBER_ADDED: {
		char lpath[3 * CFS_NAME_MAX + 64], target[CFS_NAME_MAX + 32];
		snprintf(lpath, sizeof(lpath), "groups/%s/resources/%s", name, r->new_value);
		snprintf(target, sizeof(target), "../../../resources/%s", r->new_value);
		op_create(u, origin, CFS_SOP_SYMLINK, lpath, cfs_ino(r->key_id, CFS_TAG_MEMBERS),
			  r->new_value, cfs_ino(r->value_id, CFS_TAG_MEMBER), target);
		break;
	}
	case CFS_CH_MEMBER_REMOVED: {
		char lpath[3 * CFS_NAME_MAX + 64];
		snprintf(lpath, sizeof(lpath), "groups/%s/resources/%s", name, r->old_value);
		op_remove(u, origin, CFS_SOP_UNLINK, lpath, cfs_ino(r->key_id, CFS_TAG_MEMBERS),
			  r->old_value, cfs_ino(r->value_id, CFS_TAG_MEMBER), S_IFLNK | 0777, NULL);
		break;
	}
	default:
		break;
	}
}

void cfs_unit_map(struct cfs_unit *u, const struct cfs_model *m, const struct cfs_record *r)
{
	switch (r->kind) {
	case CFS_KIND_CLUSTER:
		/* Other cluster records (CmmStatus) show under registry/ only. */
		if (r->change != CFS_CH_RENAMED)
			break;
		cfs_unit_modify(u, r->origin, "name", CFS_INO_NAME);
		cfs_unit_inval(u, CFS_INO_ID, NULL);
		break;
	case CFS_KIND_REGISTRY:
		map_registry(u, m, r);
		break;
	default:
		if (cfs_kind_is_object(r->kind))
			map_object(u, m, r);
		break;
	}
}

void cfs_unit_built(struct cfs_unit *u)
{
	cfs_imap_free(&u->seen);
	cfs_imap_free(&u->touched);
	if (u->nops && u->nops < u->capops) {
		struct cfs_selfop *v = realloc(u->ops, u->nops * sizeof(*v));
		if (v) {
			u->ops = v;
			u->capops = u->nops;
		}
	}
}

void cfs_unit_drop_items(struct cfs_unit *u)
{
	free(u->items);
	u->items = NULL;
	u->nitems = u->capitems = 0;
}

void cfs_unit_free(struct cfs_unit *u)
{
	if (!u)
		return;
	cfs_unit_drop_items(u);
	for (size_t i = 0; i < u->nops; i++)
		op_free(&u->ops[i]);
	free(u->ops);
	cfs_imap_free(&u->seen);
	cfs_imap_free(&u->touched);
	cfs_imap_free(&u->relist_types);
	cfs_pool_free(&u->strings);
	free(u);
}
