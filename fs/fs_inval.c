/* SPDX-License-Identifier: MIT */
/* Keeps the kernel's caches exact.
 *
 * The mount uses long entry and attribute timeouts, cached listings and
 * kept page caches, so that warm reads cost no round trip. The price is
 * that every change must be invalidated explicitly. After each commit the
 * engine hands this module the batch's records (on the committer thread);
 * they are mapped here to the inodes and directory entries whose content,
 * attributes or existence may have changed, and queued. A dedicated thread
 * calls fuse_lowlevel_notify_inval_* for them, with no lock held: those
 * calls may wait for requests in flight on the same inode, and a handler
 * or a lock holder must never be the one waiting (fuse-notify.md §5). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "fs_inode.h"
#include "hmap.h"

struct item {
	uint64_t ino;	 /* the inode, or the parent directory when name is set */
	char *name;	 /* entry to drop, or NULL */
};

struct cfs_inval {
	struct cfs_fs *fs;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *items; /* guarded by lock */
	size_t n, cap;	    /* guarded by lock */
	bool stop;	    /* guarded by lock */
};

/* Collects a batch's items with duplicates removed (committer thread). */
struct collect {
	struct item *v;
	size_t n, cap;
	struct cfs_imap seen; /* inode items already added */
};

static void add(struct collect *c, uint64_t ino, const char *name)
{
	if (!ino)
		return;
	if (!name) {
		if (cfs_imap_get(&c->seen, ino))
			return;
		cfs_imap_put(&c->seen, ino, (void *)1);
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct item *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return; /* then the timeout bounds staleness */
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].ino = ino;
	c->v[c->n].name = name ? strdup(name) : NULL;
	if (name && !c->v[c->n].name)
		return;
	c->n++;
}

static void add_obj_files(struct collect *c, enum cfs_kind kind, uint64_t key_id)
{
	const struct cfs_attr_spec *s = cfs_attr_specs(kind);
	for (unsigned i = 0; s && s[i].name; i++)
		add(c, cfs_ino(key_id, TAG_ATTR + i), NULL);
	add(c, cfs_ino(key_id, TAG_OBJDIR), NULL);
}

static void add_members_files(struct collect *c, const struct cfs_object *g)
{
	for (size_t i = 0; g && i < g->members.n; i++) {
		const struct cfs_object *r = g->members.v[i];
		add_obj_files(c, CFS_KIND_RESOURCE, r->key->id);
	}
}

static const char *last_component(const char *path)
{
	const char *p = strrchr(path, '\\');
	return p ? p + 1 : path;
}

/* Maps one record (model read-locked). */
static void map_record(struct collect *c, const struct cfs_model *m, const struct cfs_record *r)
{
	uint64_t coll = cfs_coll_ino(r->kind);
	struct cfs_object *o = r->obj_id && *r->obj_id ? cfs_model_by_id(m, r->obj_id) : NULL;
	switch (r->kind) {
	case CFS_KIND_CLUSTER:
		add(c, CFS_INO_NAME, NULL);
		add(c, CFS_INO_ID, NULL);
		return;
	case CFS_KIND_REGISTRY: {
		struct cfs_key *k = cfs_reg_key(&m->reg, r->key_id);
		uint64_t dir = cfs_ino(r->key_id, TAG_REGKEY);
		uint64_t pdir = r->parent_key_id ? cfs_ino(r->parent_key_id, TAG_REGKEY) : 0;
		switch (r->change) {
		case CFS_CH_VALUE_SET:
			add(c, cfs_ino(r->value_id, TAG_REGVAL), NULL);
			add(c, dir, NULL);
			break;
		case CFS_CH_VALUE_DELETED:
			add(c, dir, r->prop);
			add(c, dir, NULL);
			break;
		case CFS_CH_KEY_ADDED:
			add(c, pdir, NULL);
			break;
		case CFS_CH_KEY_DELETED:
			add(c, pdir, last_component(r->obj_name));
			add(c, pdir, NULL);
			break;
		case CFS_CH_KEY_RENAMED:
			add(c, pdir, r->old_value);
			add(c, pdir, NULL);
			add(c, dir, NULL);
			break;
		case CFS_CH_SECURITY:
			add(c, dir, NULL);
			for (size_t i = 0; k && i < k->values.n; i++)
				add(c, cfs_ino(((struct cfs_value *)k->values.v[i])->id, TAG_REGVAL),
				    NULL);
			break;
		default:
			break;
		}
		/* A value of an object's key may show in the object's files;
		 * values of the root show in the root's files. */
		if (k && k->obj)
			add_obj_files(c, k->obj->kind, k->id);
		if (k == m->reg.root) {
			add(c, CFS_INO_NAME, NULL);
			add(c, CFS_INO_ID, NULL);
		}
		return;
	}
	default:
		break;
	}
	add_obj_files(c, r->kind, r->key_id);
	if (r->kind == CFS_KIND_NODE)
		add(c, CFS_INO_QUORUM, NULL);
	switch (r->change) {
	case CFS_CH_ADDED:
		add(c, coll, NULL);
		break;
	case CFS_CH_DELETED:
		add(c, coll, r->obj_name);
		add(c, coll, NULL);
		break;
	case CFS_CH_RENAMED:
		add(c, coll, r->old_value);
		add(c, coll, NULL);
		if (r->kind == CFS_KIND_GROUP) {
			add_members_files(c, o);
		} else if (r->kind == CFS_KIND_RESOURCE && o) {
			/* Its group's listing and its siblings' dependency files. */
			struct cfs_object *g = cfs_obj_ref(m, o, CFS_P_GROUP);
			if (g) {
				add(c, cfs_ino(g->key->id, TAG_MEMBERS), r->old_value);
				add(c, cfs_ino(g->key->id, TAG_MEMBERS), NULL);
				add_members_files(c, g);
			}
		} else if (r->kind == CFS_KIND_NETWORK || r->kind == CFS_KIND_NODE ||
			   r->kind == CFS_KIND_RESTYPE) {
			/* Shown by name in other objects' files. */
			enum cfs_kind others[] = {CFS_KIND_NETINTERFACE, CFS_KIND_GROUP,
						  CFS_KIND_RESOURCE};
			for (size_t k = 0; k < CFS_ARRAY_SIZE(others); k++) {
				struct cfs_key *ck = m->coll[others[k]];
				for (size_t i = 0; i < ck->subkeys.n; i++)
					add_obj_files(c, others[k],
						      ((struct cfs_key *)ck->subkeys.v[i])->id);
			}
		}
		break;
	case CFS_CH_OWNER:
		add_members_files(c, o);
		break;
	case CFS_CH_MEMBER_ADDED:
		add(c, cfs_ino(r->key_id, TAG_MEMBERS), NULL);
		break;
	case CFS_CH_MEMBER_REMOVED:
		add(c, cfs_ino(r->key_id, TAG_MEMBERS), r->old_value);
		add(c, cfs_ino(r->key_id, TAG_MEMBERS), NULL);
		break;
	default:
		break;
	}
}

static void on_commit(void *ud, const struct cfs_record *recs, size_t n)
{
	struct cfs_inval *iv = ud;
	struct collect c = {0};
	cfs_engine_rdlock(iv->fs->e);
	for (size_t i = 0; i < n; i++)
		map_record(&c, &iv->fs->e->model, &recs[i]);
	cfs_engine_unlock(iv->fs->e);
	cfs_imap_free(&c.seen);
	if (!c.n) {
		free(c.v);
		return;
	}
	pthread_mutex_lock(&iv->lock);
	if (iv->n + c.n > iv->cap) {
		size_t cap = iv->cap ? iv->cap : 256;
		while (cap < iv->n + c.n)
			cap *= 2;
		struct item *v = realloc(iv->items, cap * sizeof(*v));
		if (v) {
			iv->items = v;
			iv->cap = cap;
		}
	}
	if (iv->n + c.n <= iv->cap) {
		memcpy(iv->items + iv->n, c.v, c.n * sizeof(*c.v));
		iv->n += c.n;
		c.n = 0;
	}
	pthread_cond_signal(&iv->cond);
	pthread_mutex_unlock(&iv->lock);
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].name);
	free(c.v);
}

static void *inval_main(void *arg)
{
	struct cfs_inval *iv = arg;
	struct fuse_session *se = iv->fs->se;
	for (;;) {
		pthread_mutex_lock(&iv->lock);
		while (!iv->n && !iv->stop)
			pthread_cond_wait(&iv->cond, &iv->lock);
		if (iv->stop) {
			pthread_mutex_unlock(&iv->lock);
			break;
		}
		struct item *batch = iv->items;
		size_t n = iv->n;
		iv->items = NULL;
		iv->n = iv->cap = 0;
		pthread_mutex_unlock(&iv->lock);
		/* Entries first (names that went away), then contents. Errors
		 * only mean the kernel had nothing cached. */
		for (size_t i = 0; i < n; i++)
			if (batch[i].name)
				fuse_lowlevel_notify_inval_entry(se, batch[i].ino, batch[i].name,
								 strlen(batch[i].name));
		for (size_t i = 0; i < n; i++)
			if (!batch[i].name)
				fuse_lowlevel_notify_inval_inode(se, batch[i].ino, 0, 0);
		for (size_t i = 0; i < n; i++)
			free(batch[i].name);
		free(batch);
	}
	return NULL;
}

int cfs_inval_start(struct cfs_fs *fs)
{
	struct cfs_inval *iv = calloc(1, sizeof(*iv));
	if (!iv)
		return -ENOMEM;
	iv->fs = fs;
	pthread_mutex_init(&iv->lock, NULL);
	pthread_cond_init(&iv->cond, NULL);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&iv->thread, NULL, inval_main, iv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		free(iv);
		return -r;
	}
	fs->inval = iv;
	cfs_engine_set_listener(fs->e, on_commit, iv);
	return 0;
}

void cfs_inval_stop(struct cfs_fs *fs)
{
	struct cfs_inval *iv = fs->inval;
	if (!iv)
		return;
	cfs_engine_set_listener(fs->e, NULL, NULL);
	pthread_mutex_lock(&iv->lock);
	iv->stop = true;
	pthread_cond_signal(&iv->cond);
	pthread_mutex_unlock(&iv->lock);
	pthread_join(iv->thread, NULL);
	for (size_t i = 0; i < iv->n; i++)
		free(iv->items[i].name);
	free(iv->items);
	pthread_mutex_destroy(&iv->lock);
	pthread_cond_destroy(&iv->cond);
	free(iv);
	fs->inval = NULL;
}
