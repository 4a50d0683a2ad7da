/* SPDX-License-Identifier: MIT */
/* The notifier thread: cache invalidation and inotify replay (see
 * fs_notify.h for the technique).
 *
 * After each commit the engine calls on_commit() on its committer thread
 * with the batch's records. There, under the model's read lock, the
 * records become one unit of work:
 *  - invalidation items: the inodes whose content or attributes changed
 *    and the directory entries that went away or were renamed;
 *  - self-ops: the system calls that make the kernel raise the events a
 *    local file system would have raised, in record order, with each
 *    file modified at most once per unit (inotify merges such events
 *    anyway: an event means "changed since you last looked").
 * The notifier thread takes the units in order. It first invalidates, with
 * no lock held (the notify calls may wait for requests in flight), and
 * then performs the self-ops on the mount. It never holds a lock across a
 * system call on the mount (fuse-notify.md §5.1). Handlers never wait for
 * it. */
#include "fs_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs_inode.h"
#include "fs_replay.h"
#include "hmap.h"
#include "log.h"

struct item {
	uint64_t ino; /* the inode, or the parent directory when name is set */
	char *name;   /* entry to drop, or NULL */
};

struct tomb {
	uint64_t parent;
	const char *name; /* points into the op's strings, or owned */
	uint64_t ino;
	mode_t mode;
	bool owned;
};

enum sop { S_MKDIR, S_MKNOD, S_SYMLINK, S_UNLINK, S_RMDIR, S_RENAME, S_MODIFY, S_ATTRIB };

struct selfop {
	enum sop op;
	char *path;	/* relative to the mount */
	char *path2;	/* rename: new path; symlink: target */
	uint64_t parent; /* the entry created, removed or renamed */
	char *name;
	char *name2;	/* rename: the new name (hidden until done) */
	uint64_t ino;	/* modify/attrib: the inode */
	struct tomb tomb[6];
	int ntomb;
};

struct unit {
	struct unit *next;
	uint64_t gen;	/* order of commits */
	struct cfs_origin origins[8]; /* copies: the batches' own end soon */
	size_t norigins;
	bool origins_overflow;	/* more than fit: everything counts as "post" */
	struct item *items;
	size_t nitems, capitems;
	struct selfop *ops;
	size_t nops, capops;
	struct cfs_imap seen;	 /* invalidated inodes already listed */
	struct cfs_imap touched; /* inodes modified or created in this unit */
};

struct cfs_notify {
	struct cfs_fs *fs;
	char *mnt;
	pthread_t thread;
	struct cfs_replayer *rp; /* performs the self-ops (fs_replay.h) */
	pid_t tid;    /* the replayer's pid: its requests carry it */
	dev_t dev;    /* the mount's device, to detect a lazy unmount */
	bool dev_ok;

	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct unit *qhead, *qtail; /* self-op queue, guarded by qlock */
	bool stop;		    /* guarded by qlock */

	/* The invalidation thread: takes units first, invalidates, then
	 * hands them to the notifier thread for their self-ops. */
	pthread_t ithread;
	pthread_cond_t icond;	       /* guarded by qlock */
	struct unit *ihead, *itail;    /* guarded by qlock */
	uint64_t gen;		       /* committer thread only */
	uint64_t pre_done;	       /* guarded by qlock */
	pthread_cond_t pre_cond;       /* signalled when pre_done moves */
	uint64_t replayed;	       /* the last unit done with; guarded by qlock */
	pthread_cond_t replay_cond;    /* signalled when replayed moves */

	/* The self-op in progress, as the handlers must see it. */
	pthread_mutex_t view_lock;
	const struct selfop *cur; /* guarded by view_lock */

	char quorum[16]; /* committer thread only */
};

/* --- building a unit (committer thread, model read-locked) --- */

static void add_item(struct unit *u, uint64_t ino, const char *name)
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
		struct item *v = realloc(u->items, cap * sizeof(*v));
		if (!v)
			return; /* then the cache timeout bounds staleness */
		u->items = v;
		u->capitems = cap;
	}
	char *copy = name ? strdup(name) : NULL;
	if (name && !copy)
		return;
	u->items[u->nitems++] = (struct item){ino, copy};
}

static struct selfop *new_op(struct unit *u, enum sop op)
{
	if (u->nops == u->capops) {
		size_t cap = u->capops ? u->capops * 2 : 32;
		struct selfop *v = realloc(u->ops, cap * sizeof(*v));
		if (!v)
			return NULL;
		u->ops = v;
		u->capops = cap;
	}
	struct selfop *o = &u->ops[u->nops++];
	*o = (struct selfop){.op = op};
	return o;
}

static void op_free(struct selfop *o)
{
	for (int i = 0; i < o->ntomb; i++)
		if (o->tomb[i].owned)
			free((char *)o->tomb[i].name);
	free(o->path);
	free(o->path2);
	free(o->name);
	free(o->name2);
}

static bool origin_is(const struct cfs_origin *o, int what, uint64_t ino, const char *name)
{
	return o && (int)o->what == what && o->ino == ino && (!name || strcmp(o->name, name) == 0);
}

/* A modification of a file (at most once per unit, and not right after
 * the unit created it). */
static void op_modify(struct unit *u, const struct cfs_origin *origin, const char *path,
		      uint64_t ino)
{
	add_item(u, ino, NULL);
	if (origin_is(origin, CFS_ORIGIN_WRITE, ino, NULL) || cfs_imap_get(&u->touched, ino))
		return;
	struct selfop *o = new_op(u, S_MODIFY);
	if (!o)
		return;
	o->path = strdup(path);
	o->ino = ino;
	cfs_imap_put(&u->touched, ino, (void *)1);
}

static void op_attrib(struct unit *u, const struct cfs_origin *origin, const char *path,
		      uint64_t ino)
{
	add_item(u, ino, NULL);
	if (origin_is(origin, CFS_ORIGIN_ATTRIB, ino, NULL))
		return;
	struct selfop *o = new_op(u, S_ATTRIB);
	if (!o)
		return;
	o->path = strdup(path);
	o->ino = ino;
}

static void op_create(struct unit *u, const struct cfs_origin *origin, enum sop op,
		      const char *path, uint64_t parent, const char *name, uint64_t ino,
		      const char *target)
{
	add_item(u, parent, NULL);
	if (origin_is(origin, CFS_ORIGIN_CREATE, parent, name))
		return;
	struct selfop *o = new_op(u, op);
	if (!o)
		return;
	o->path = strdup(path);
	o->path2 = target ? strdup(target) : NULL;
	o->parent = parent;
	o->name = strdup(name);
	o->ino = ino;
	/* What it creates may be gone again by the time it runs (created and
	 * deleted in one unit): it then still sees what it was. */
	mode_t mode = op == S_MKDIR ? S_IFDIR | 0755 : op == S_SYMLINK ? S_IFLNK | 0777 : S_IFREG | 0444;
	o->tomb[o->ntomb++] = (struct tomb){parent, o->name, ino, mode, false};
	cfs_imap_put(&u->touched, ino, (void *)1);
}

/* A removal. tombs[0] is the entry removed; an extra tomb may make its
 * parent directory reachable (a file of an object being deleted). */
static void op_remove(struct unit *u, const struct cfs_origin *origin, enum sop op,
		      const char *path, uint64_t parent, const char *name, uint64_t ino,
		      mode_t mode, const struct tomb *outer)
{
	add_item(u, parent, name);
	add_item(u, parent, NULL);
	if (origin_is(origin, CFS_ORIGIN_DELETE, parent, name))
		return;
	struct selfop *o = new_op(u, op);
	if (!o)
		return;
	o->path = strdup(path);
	o->parent = parent;
	o->name = strdup(name);
	o->tomb[o->ntomb++] = (struct tomb){parent, o->name, ino, mode};
	if (outer)
		o->tomb[o->ntomb++] = *outer; /* its name is a static or long-lived string */
}

static void op_rename(struct unit *u, const struct cfs_origin *origin, const char *dir,
		      uint64_t parent, const char *old, const char *new, uint64_t ino, mode_t mode)
{
	add_item(u, parent, old);
	add_item(u, parent, NULL);
	add_item(u, ino, NULL);
	if (origin_is(origin, CFS_ORIGIN_RENAME, parent, old))
		return;
	struct selfop *o = new_op(u, S_RENAME);
	if (!o)
		return;
	if (asprintf(&o->path, "%s/%s", dir, old) < 0)
		o->path = NULL;
	if (asprintf(&o->path2, "%s/%s", dir, new) < 0)
		o->path2 = NULL;
	o->parent = parent;
	o->name = strdup(old);
	o->name2 = strdup(new);
	o->tomb[o->ntomb++] = (struct tomb){parent, o->name, ino, mode};
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
static void obj_file(struct unit *u, const struct cfs_origin *origin, enum cfs_kind kind,
		     const char *name, uint64_t key_id, const char *file)
{
	int slot = slot_of(kind, file);
	if (slot < 0)
		return;
	char path[2 * CFS_NAME_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s/%s", coll_dir(kind), name, file);
	op_modify(u, origin, path, cfs_ino(key_id, TAG_ATTR + (unsigned)slot));
}

/* Every attribute inode of an object: invalidated (cheap, and safe). */
static void obj_inval_all(struct unit *u, enum cfs_kind kind, uint64_t key_id)
{
	const struct cfs_attr_spec *s = cfs_attr_specs(kind);
	for (unsigned i = 0; s && s[i].name; i++)
		add_item(u, cfs_ino(key_id, TAG_ATTR + i), NULL);
	add_item(u, cfs_ino(key_id, TAG_OBJDIR), NULL);
}

static void members_file(struct unit *u, const struct cfs_origin *origin,
			 const struct cfs_object *g, const char *file)
{
	for (size_t i = 0; g && i < g->members.n; i++) {
		const struct cfs_object *r = g->members.v[i];
		obj_file(u, origin, CFS_KIND_RESOURCE, r->name, r->key->id, file);
	}
}

/* Earlier modifications in this unit of something now removed must still
 * reach it: give them tombstones for the file (and its directory). */
static void tomb_earlier(struct unit *u, uint64_t ino, uint64_t parent, uint64_t dir_parent,
			 const char *dir_name, uint64_t dir_ino)
{
	for (size_t i = 0; i < u->nops; i++) {
		struct selfop *o = &u->ops[i];
		if (o->op != S_MODIFY || o->ino != ino || o->ntomb || !o->path)
			continue;
		const char *file = strrchr(o->path, '/');
		o->tomb[o->ntomb++] = (struct tomb){parent, file ? file + 1 : o->path, ino,
						    S_IFREG | 0444};
		if (dir_name && (o->name2 = strdup(dir_name)))
			o->tomb[o->ntomb++] = (struct tomb){dir_parent, o->name2, dir_ino,
							    S_IFDIR | 0555};
	}
}

static void obj_deleted(struct unit *u, const struct cfs_origin *origin, enum cfs_kind kind,
			const char *name, uint64_t key_id)
{
	uint64_t coll = cfs_coll_ino(kind);
	uint64_t dir_ino = cfs_ino(key_id, TAG_OBJDIR);
	char path[2 * CFS_NAME_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", coll_dir(kind), name);
	obj_inval_all(u, kind, key_id);
	const struct cfs_attr_spec *specs = cfs_attr_specs(kind);
	for (unsigned i = 0; specs && specs[i].name; i++)
		tomb_earlier(u, cfs_ino(key_id, TAG_ATTR + i), dir_ino, coll, name, dir_ino);
	/* Children first, unless the user's own rmdir already removed the
	 * directory: then only its IN_DELETE exists (the kernel's). */
	if (!origin_is(origin, CFS_ORIGIN_DELETE, coll, name)) {
		const struct cfs_attr_spec *s = cfs_attr_specs(kind);
		char *stable_name = NULL;
		for (unsigned i = 0; s && s[i].name; i++) {
			char fpath[3 * CFS_NAME_MAX + 64];
			snprintf(fpath, sizeof(fpath), "%s/%s", path, s[i].name);
			size_t before = u->nops;
			op_remove(u, NULL, S_UNLINK, fpath, dir_ino, s[i].name,
				  cfs_ino(key_id, TAG_ATTR + i), S_IFREG | 0444, NULL);
			if (u->nops > before) {
				/* The object's own directory stays reachable for it. */
				struct selfop *o = &u->ops[u->nops - 1];
				if (!stable_name)
					stable_name = o->name2 = strdup(name);
				o->tomb[o->ntomb++] =
					(struct tomb){coll, stable_name, dir_ino, S_IFDIR | 0555};
			}
		}
		if (kind == CFS_KIND_GROUP) {
			char rpath[2 * CFS_NAME_MAX + 80];
			snprintf(rpath, sizeof(rpath), "%s/resources", path);
			size_t before = u->nops;
			op_remove(u, NULL, S_RMDIR, rpath, dir_ino, "resources",
				  cfs_ino(key_id, TAG_MEMBERS), S_IFDIR | 0555, NULL);
			if (u->nops > before) {
				struct selfop *o = &u->ops[u->nops - 1];
				if (!stable_name)
					stable_name = o->name2 = strdup(name);
				o->tomb[o->ntomb++] =
					(struct tomb){coll, stable_name, dir_ino, S_IFDIR | 0555};
			}
		}
	}
	op_remove(u, origin, S_RMDIR, path, coll, name, dir_ino, S_IFDIR | 0555, NULL);
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

static const char *last_component(const char *path)
{
	const char *p = strrchr(path, '\\');
	return p ? p + 1 : path;
}

static void map_registry(struct unit *u, const struct cfs_model *m, const struct cfs_record *r)
{
	const struct cfs_origin *origin = r->origin;
	struct cfs_key *k = cfs_reg_key(&m->reg, r->key_id);
	uint64_t dir = cfs_ino(r->key_id, TAG_REGKEY);
	uint64_t pdir = r->parent_key_id ? cfs_ino(r->parent_key_id, TAG_REGKEY) : 0;
	char *kpath = reg_dir(r->obj_name ? r->obj_name : "");
	if (!kpath)
		return;
	char *vpath = NULL;
	if (r->prop && asprintf(&vpath, "%s/%s", kpath, r->prop) < 0)
		vpath = NULL;
	switch (r->change) {
	case CFS_CH_VALUE_SET:
		if (!vpath)
			break;
		if (r->flags & CFS_REC_CREATED)
			op_create(u, origin, S_MKNOD, vpath, dir, r->prop,
				  cfs_ino(r->value_id, TAG_REGVAL), NULL);
		else
			op_modify(u, origin, vpath, cfs_ino(r->value_id, TAG_REGVAL));
		add_item(u, dir, NULL);
		break;
	case CFS_CH_VALUE_DELETED:
		tomb_earlier(u, cfs_ino(r->value_id, TAG_REGVAL), dir, 0, NULL, 0);
		if (vpath)
			op_remove(u, origin, S_UNLINK, vpath, dir, r->prop,
				  cfs_ino(r->value_id, TAG_REGVAL), S_IFREG | 0444, NULL);
		break;
	case CFS_CH_VALUE_RENAMED:
		op_rename(u, origin, kpath, dir, r->old_value, r->new_value,
			  cfs_ino(r->value_id, TAG_REGVAL), S_IFREG | 0444);
		break;
	case CFS_CH_KEY_ADDED:
		op_create(u, origin, S_MKDIR, kpath, pdir, last_component(r->obj_name), dir, NULL);
		break;
	case CFS_CH_KEY_DELETED: {
		/* Its values and subkeys went first: let their replays reach
		 * them through this key, now gone. */
		size_t kl = strlen(kpath);
		for (size_t i = 0; i < u->nops; i++) {
			struct selfop *o = &u->ops[i];
			if (!o->path || strncmp(o->path, kpath, kl) != 0 || o->path[kl] != '/' ||
			    o->ntomb >= (int)CFS_ARRAY_SIZE(o->tomb))
				continue;
			char *nm = strdup(last_component(r->obj_name));
			if (nm)
				o->tomb[o->ntomb++] = (struct tomb){pdir, nm, dir, S_IFDIR | 0755, true};
		}
		op_remove(u, origin, S_RMDIR, kpath, pdir, last_component(r->obj_name), dir,
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
		op_attrib(u, origin, kpath, dir);
		for (size_t i = 0; k && i < k->values.n; i++) {
			struct cfs_value *v = k->values.v[i];
			char *p;
			if (asprintf(&p, "%s/%s", kpath, v->name) >= 0) {
				op_attrib(u, NULL, p, cfs_ino(v->id, TAG_REGVAL));
				free(p);
			}
		}
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
		add_item(u, CFS_INO_NAME, NULL);
		add_item(u, CFS_INO_ID, NULL);
	}
	free(kpath);
	free(vpath);
}

static void map_object(struct unit *u, const struct cfs_model *m, const struct cfs_record *r)
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
		op_create(u, origin, S_MKDIR, path, coll, name, cfs_ino(r->key_id, TAG_OBJDIR),
			  NULL);
		break;
	case CFS_CH_DELETED:
		obj_deleted(u, origin, kind, name, r->key_id);
		break;
	case CFS_CH_RENAMED:
		op_rename(u, origin, dir, coll, r->old_value, r->new_value,
			  cfs_ino(r->key_id, TAG_OBJDIR), S_IFDIR | 0555);
		if (kind == CFS_KIND_RESOURCE && o) {
			struct cfs_object *g = cfs_obj_ref(m, o, CFS_P_GROUP);
			if (g) {
				char gdir[2 * CFS_NAME_MAX + 64];
				snprintf(gdir, sizeof(gdir), "groups/%s/resources", g->name);
				op_rename(u, NULL, gdir, cfs_ino(g->key->id, TAG_MEMBERS),
					  r->old_value, r->new_value, cfs_ino(r->key_id, TAG_MEMBER),
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
		op_create(u, origin, S_SYMLINK, lpath, cfs_ino(r->key_id, TAG_MEMBERS), r->new_value,
			  cfs_ino(r->value_id, TAG_MEMBER), target);
		break;
	}
	case CFS_CH_MEMBER_REMOVED: {
		char lpath[3 * CFS_NAME_MAX + 64];
		snprintf(lpath, sizeof(lpath), "groups/%s/resources/%s", name, r->old_value);
		op_remove(u, origin, S_UNLINK, lpath, cfs_ino(r->key_id, TAG_MEMBERS), r->old_value,
			  cfs_ino(r->value_id, TAG_MEMBER), S_IFLNK | 0777, NULL);
		break;
	}
	default:
		break;
	}
}

static void map_record(struct unit *u, const struct cfs_model *m, const struct cfs_record *r)
{
	switch (r->kind) {
	case CFS_KIND_CLUSTER:
		/* Other cluster records (CmmStatus) show under registry/ only. */
		if (r->change != CFS_CH_RENAMED)
			break;
		op_modify(u, r->origin, "name", CFS_INO_NAME);
		add_item(u, CFS_INO_ID, NULL);
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

static void unit_free(struct unit *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nitems; i++)
		free(u->items[i].name);
	free(u->items);
	for (size_t i = 0; i < u->nops; i++)
		op_free(&u->ops[i]);
	free(u->ops);
	cfs_imap_free(&u->seen);
	cfs_imap_free(&u->touched);
	free(u);
}

static const char *quorum_word(const struct cfs_model *m)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	size_t up = 0;
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		uint32_t s = cfs_key_get_dword(nc->subkeys.v[i], CFS_P_STATE, CFS_NODE_DOWN);
		up += s == CFS_NODE_UP || s == CFS_NODE_PAUSED;
	}
	return up * 2 > nc->subkeys.n ? "quorate" : "lost";
}

/* The two unit queues (to the invalidation thread, to the notifier
 * thread) share these; qlock is held by the caller of push, taken by pop. */
static void queue_push(struct unit **head, struct unit **tail, pthread_cond_t *cond,
		       struct unit *u)
{
	u->next = NULL;
	if (*tail)
		(*tail)->next = u;
	else
		*head = u;
	*tail = u;
	pthread_cond_signal(cond);
}

/* Waits for a unit; NULL once the notifier stops. */
static struct unit *queue_pop(struct cfs_notify *nt, struct unit **head, struct unit **tail,
			      pthread_cond_t *cond)
{
	pthread_mutex_lock(&nt->qlock);
	while (!*head && !nt->stop)
		pthread_cond_wait(cond, &nt->qlock);
	struct unit *u = nt->stop ? NULL : *head;
	if (u) {
		*head = u->next;
		if (!*head)
			*tail = NULL;
		u->next = NULL;
	}
	pthread_mutex_unlock(&nt->qlock);
	return u;
}

/* CLOCK_REALTIME (the condition variables' clock) ms from now. */
static struct timespec deadline_ms(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += ms * 1000000;
	while (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static void on_commit(void *ud, const struct cfs_record *recs, size_t n)
{
	struct cfs_notify *nt = ud;
	struct unit *u = calloc(1, sizeof(*u));
	if (!u)
		return;
	const struct cfs_model *m = &nt->fs->e->model;
	for (size_t i = 0; i < n; i++) {
		const struct cfs_origin *o = recs[i].origin;
		if (!o || o->what == CFS_ORIGIN_NONE ||
		    (u->norigins && memcmp(&u->origins[u->norigins - 1], o, sizeof(*o)) == 0))
			continue;
		if (u->norigins < CFS_ARRAY_SIZE(u->origins))
			u->origins[u->norigins++] = *o;
		else
			u->origins_overflow = true;
	}
	cfs_engine_rdlock(nt->fs->e);
	for (size_t i = 0; i < n; i++)
		map_record(u, m, &recs[i]);
	/* The event log grew (fs_ports.c appended before this listener): its
	 * size is fresh for tail's polling, and IN_MODIFY for inotify users. */
	op_modify(u, NULL, "log", CFS_INO_LOG);
	add_item(u, CFS_INO_LOG1, NULL);
	const char *q = quorum_word(m);
	if (strcmp(q, nt->quorum) != 0) {
		if (nt->quorum[0])
			op_modify(u, NULL, "quorum", CFS_INO_QUORUM);
		snprintf(nt->quorum, sizeof(nt->quorum), "%s", q);
	}
	cfs_engine_unlock(nt->fs->e);
	if (!u->nitems && !u->nops) {
		unit_free(u);
		return;
	}
	/* Once queued, u belongs to the notifier threads (which free it):
	 * keep its generation. */
	const uint64_t gen = u->gen = ++nt->gen;
	pthread_mutex_lock(&nt->qlock);
	queue_push(&nt->ihead, &nt->itail, &nt->icond, u);
	/* The caches must be exact before the writer is answered, so that a
	 * read right after an acknowledged change shows it. The wait is
	 * bounded: an invalidation can wait for a page that another request,
	 * itself waiting for this commit, holds locked; after the bound that
	 * request is answered and its page let go. */
	struct timespec until = deadline_ms(200);
	while (nt->pre_done < gen && !nt->stop)
		if (pthread_cond_timedwait(&nt->pre_cond, &nt->qlock, &until) != 0)
			break;
	pthread_mutex_unlock(&nt->qlock);
}

/* True when invalidating this item could wait for a request that is
 * waiting for this very commit (the user's own write or mkdir): those go
 * after the writer is answered. */
static bool is_post(const struct unit *u, const struct item *it)
{
	if (u->origins_overflow)
		return true;
	for (size_t i = 0; i < u->norigins; i++) {
		const struct cfs_origin *o = &u->origins[i];
		if (o->ino == it->ino)
			return true;
	}
	return false;
}

static void invalidate(struct fuse_session *se, const struct unit *u, bool post)
{
	/* Entries first (names that went away), then contents. Errors only
	 * mean the kernel had nothing cached. */
	for (size_t i = 0; i < u->nitems; i++)
		if (u->items[i].name && is_post(u, &u->items[i]) == post)
			fuse_lowlevel_notify_inval_entry(se, u->items[i].ino, u->items[i].name,
							 strlen(u->items[i].name));
	for (size_t i = 0; i < u->nitems; i++)
		if (!u->items[i].name && is_post(u, &u->items[i]) == post)
			fuse_lowlevel_notify_inval_inode(se, u->items[i].ino, 0, 0);
}

static void *inval_main(void *arg)
{
	struct cfs_notify *nt = arg;
	struct fuse_session *se = nt->fs->se;
	struct unit *u;
	while ((u = queue_pop(nt, &nt->ihead, &nt->itail, &nt->icond))) {
		invalidate(se, u, false);
		pthread_mutex_lock(&nt->qlock);
		nt->pre_done = u->gen;
		pthread_cond_broadcast(&nt->pre_cond);
		pthread_mutex_unlock(&nt->qlock);
		invalidate(se, u, true);

		/* State, then caches, then the events (fuse-notify.md §2.5). */
		pthread_mutex_lock(&nt->qlock);
		if (u->nops) {
			queue_push(&nt->qhead, &nt->qtail, &nt->qcond, u);
			u = NULL;
		} else {
			nt->replayed = u->gen;
			pthread_cond_broadcast(&nt->replay_cond);
		}
		pthread_mutex_unlock(&nt->qlock);
		unit_free(u);
	}
	return NULL;
}

/* --- the notifier thread --- */

static void set_view(struct cfs_notify *nt, const struct selfop *o)
{
	pthread_mutex_lock(&nt->view_lock);
	nt->cur = o;
	pthread_mutex_unlock(&nt->view_lock);
}

static void run_op(struct cfs_notify *nt, const struct selfop *o)
{
	static const enum cfs_replay_op calls[] = {
		[S_MKDIR] = CFS_R_MKDIR,   [S_MKNOD] = CFS_R_MKNOD,   [S_SYMLINK] = CFS_R_SYMLINK,
		[S_UNLINK] = CFS_R_UNLINK, [S_RMDIR] = CFS_R_RMDIR,   [S_RENAME] = CFS_R_RENAME,
		[S_MODIFY] = CFS_R_MODIFY, [S_ATTRIB] = CFS_R_ATTRIB,
	};
	char *p = NULL, *p2 = NULL;
	if (!o->path || asprintf(&p, "%s/%s", nt->mnt, o->path) < 0)
		return;
	if (o->op == S_RENAME && (!o->path2 || asprintf(&p2, "%s/%s", nt->mnt, o->path2) < 0)) {
		free(p);
		return;
	}
	/* The name may have been reused since (a user's mkdir of a name the
	 * cluster just deleted): then it is not ours to remove or touch. The
	 * check runs with no view set: it sees the tree as everyone does. */
	uint64_t expect = o->op == S_MODIFY || o->op == S_ATTRIB ? o->ino
			  : o->ntomb && (o->op == S_UNLINK || o->op == S_RMDIR || o->op == S_RENAME)
				  ? o->tomb[0].ino
				  : 0;
	struct stat cur;
	if (expect && cfs_replayer_call(nt->rp, CFS_R_LSTAT, p, NULL, &cur) == 0 &&
	    (uint64_t)cur.st_ino != expect) {
		free(p);
		free(p2);
		return;
	}
	set_view(nt, o);
	int r = cfs_replayer_call(nt->rp, calls[o->op], p,
				  o->op == S_SYMLINK ? o->path2 : p2, NULL);
	if (r < 0)
		cfs_log(LOG_DEBUG, "self-op on %s failed: %s", o->path, strerror(-r));
	set_view(nt, NULL);
	free(p);
	free(p2);
}

static bool stopping(struct cfs_notify *nt)
{
	pthread_mutex_lock(&nt->qlock);
	bool s = nt->stop;
	pthread_mutex_unlock(&nt->qlock);
	return s;
}

static void run_unit(struct cfs_notify *nt, struct unit *u)
{
	if (!u->nops)
		return;
	/* After a lazy unmount, paths under the mount point lead elsewhere:
	 * replay nothing then (fuse-notify.md §5.6). */
	struct stat st;
	if (!nt->dev_ok || cfs_replayer_call(nt->rp, CFS_R_STAT, nt->mnt, NULL, &st) != 0 ||
	    st.st_dev != nt->dev)
		return;
	for (size_t i = 0; i < u->nops; i++) {
		if ((i & 63) == 0 && stopping(nt))
			return; /* shutting down: drop the rest */
		run_op(nt, &u->ops[i]);
	}
}

static void *notify_main(void *arg)
{
	struct cfs_notify *nt = arg;
	/* The mount's device, read once the loop serves it. */
	struct stat st;
	for (int i = 0; i < 500 && !nt->dev_ok; i++) {
		if (cfs_replayer_call(nt->rp, CFS_R_STAT, nt->mnt, NULL, &st) == 0 &&
		    st.st_ino == CFS_INO_ROOT) {
			nt->dev = st.st_dev;
			nt->dev_ok = true;
			break;
		}
		pthread_mutex_lock(&nt->qlock);
		bool stop = nt->stop;
		pthread_mutex_unlock(&nt->qlock);
		if (stop)
			return NULL;
		usleep(10000);
	}
	struct unit *u;
	while ((u = queue_pop(nt, &nt->qhead, &nt->qtail, &nt->qcond))) {
		run_unit(nt, u);
		pthread_mutex_lock(&nt->qlock);
		nt->replayed = u->gen;
		pthread_cond_broadcast(&nt->replay_cond);
		pthread_mutex_unlock(&nt->qlock);
		unit_free(u);
	}
	return NULL;
}

/* The engine's gate (committer thread): before the next commit, wait for
 * the replays of the earlier ones, which name files by the paths of their
 * time: a rename committed before an earlier change is replayed would
 * send that change's event nowhere. Bounded, as a replay can wait for a
 * request that waits for a commit. */
static void replay_gate(void *ud)
{
	struct cfs_notify *nt = ud;
	struct timespec until = deadline_ms(100);
	pthread_mutex_lock(&nt->qlock);
	while (nt->replayed < nt->gen && !nt->stop)
		if (pthread_cond_timedwait(&nt->replay_cond, &nt->qlock, &until) != 0)
			break;
	pthread_mutex_unlock(&nt->qlock);
}

/* --- the handlers' side --- */

bool cfs_notify_is_self(struct cfs_fs *fs, fuse_req_t req)
{
	if (!fs->notify)
		return false;
	pid_t tid = __atomic_load_n(&fs->notify->tid, __ATOMIC_ACQUIRE);
	return tid && fuse_req_ctx(req)->pid == tid;
}

int cfs_notify_lookup(struct cfs_fs *fs, uint64_t parent, const char *name, uint64_t *ret_ino,
		      mode_t *ret_mode)
{
	struct cfs_notify *nt = fs->notify;
	int r = 0;
	pthread_mutex_lock(&nt->view_lock);
	const struct selfop *o = nt->cur;
	if (o) {
		bool creates = o->op == S_MKDIR || o->op == S_MKNOD || o->op == S_SYMLINK;
		if (creates && o->parent == parent && strcmp(o->name, name) == 0)
			r = 1;
		else if (o->op == S_RENAME && o->parent == parent && strcmp(o->name2, name) == 0)
			r = 1;
		for (int i = 0; r == 0 && i < o->ntomb; i++) {
			if (o->tomb[i].parent == parent && strcmp(o->tomb[i].name, name) == 0) {
				*ret_ino = o->tomb[i].ino;
				*ret_mode = o->tomb[i].mode;
				r = 2;
			}
		}
	}
	pthread_mutex_unlock(&nt->view_lock);
	return r;
}

int cfs_notify_tomb_entry(struct cfs_fs *fs, uint64_t parent, const char *name,
			  uint64_t *ret_ino, mode_t *ret_mode)
{
	struct cfs_notify *nt = fs->notify;
	int r = -ENOENT;
	pthread_mutex_lock(&nt->view_lock);
	const struct selfop *o = nt->cur;
	for (int i = 0; o && i < o->ntomb; i++) {
		if (o->tomb[i].parent == parent && strcmp(o->tomb[i].name, name) == 0) {
			*ret_ino = o->tomb[i].ino;
			*ret_mode = o->tomb[i].mode;
			r = 0;
		}
	}
	pthread_mutex_unlock(&nt->view_lock);
	return r;
}

int cfs_notify_tomb_mode(struct cfs_fs *fs, uint64_t ino, mode_t *ret_mode)
{
	struct cfs_notify *nt = fs->notify;
	int r = -ENOENT;
	pthread_mutex_lock(&nt->view_lock);
	const struct selfop *o = nt->cur;
	for (int i = 0; o && i < o->ntomb; i++) {
		if (o->tomb[i].ino == ino) {
			*ret_mode = o->tomb[i].mode;
			r = 0;
		}
	}
	pthread_mutex_unlock(&nt->view_lock);
	return r;
}

int cfs_notify_start(struct cfs_fs *fs, const char *mnt, struct cfs_replayer *rp)
{
	struct cfs_notify *nt = calloc(1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	nt->fs = fs;
	nt->rp = rp;
	nt->tid = rp->pid;
	nt->mnt = realpath(mnt, NULL);
	if (!nt->mnt) {
		free(nt);
		return -errno;
	}
	pthread_mutex_init(&nt->qlock, NULL);
	pthread_cond_init(&nt->qcond, NULL);
	pthread_mutex_init(&nt->view_lock, NULL);
	pthread_cond_init(&nt->icond, NULL);
	pthread_cond_init(&nt->pre_cond, NULL);
	pthread_cond_init(&nt->replay_cond, NULL);
	cfs_engine_rdlock(fs->e);
	snprintf(nt->quorum, sizeof(nt->quorum), "%s", quorum_word(&fs->e->model));
	cfs_engine_unlock(fs->e);
	fs->notify = nt;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&nt->thread, NULL, notify_main, nt);
	if (r == 0 && (r = pthread_create(&nt->ithread, NULL, inval_main, nt)) != 0) {
		pthread_mutex_lock(&nt->qlock);
		nt->stop = true;
		pthread_cond_broadcast(&nt->qcond);
		pthread_mutex_unlock(&nt->qlock);
		pthread_join(nt->thread, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		fs->notify = NULL;
		free(nt->mnt);
		free(nt);
		return -r;
	}
	int lr = cfs_engine_add_listener(fs->e, on_commit, nt);
	if (lr == 0)
		cfs_engine_set_gate(fs->e, replay_gate, nt);
	if (lr < 0) {
		cfs_notify_stop(fs);
		return lr;
	}
	return 0;
}

void cfs_notify_stop(struct cfs_fs *fs)
{
	struct cfs_notify *nt = fs->notify;
	if (!nt)
		return;
	cfs_engine_remove_listener(fs->e, nt);
	cfs_engine_set_gate(fs->e, NULL, NULL);
	pthread_mutex_lock(&nt->qlock);
	nt->stop = true;
	pthread_cond_broadcast(&nt->qcond);
	pthread_cond_broadcast(&nt->icond);
	pthread_cond_broadcast(&nt->pre_cond);
	pthread_cond_broadcast(&nt->replay_cond);
	pthread_mutex_unlock(&nt->qlock);
	pthread_join(nt->ithread, NULL);
	pthread_join(nt->thread, NULL);
	for (struct unit **q = &nt->qhead; q; q = q == &nt->qhead ? &nt->ihead : NULL) {
		while (*q) {
			struct unit *u = *q;
			*q = u->next;
			unit_free(u);
		}
	}
	pthread_cond_destroy(&nt->icond);
	pthread_cond_destroy(&nt->pre_cond);
	pthread_cond_destroy(&nt->replay_cond);
	pthread_mutex_destroy(&nt->qlock);
	pthread_cond_destroy(&nt->qcond);
	pthread_mutex_destroy(&nt->view_lock);
	fs->notify = NULL;
	free(nt->mnt);
	free(nt);
}
