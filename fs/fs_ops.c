/* SPDX-License-Identifier: MIT */
/* Low-level FUSE handlers.
 *
 * Rules every handler follows:
 *  - Reads take the engine's read lock, resolve the inode (fs_inode.h) and
 *    reply; they never block on anything else.
 *  - Changes are turned into commands and submitted to the engine; the
 *    handler returns at once and the reply is sent from the engine's
 *    committer thread once the change is durable (or refused). So no worker
 *    thread waits for a commit, and nothing is acknowledged before it is on
 *    disk.
 *  - Each request gets exactly one reply.
 *  - Handlers never touch the mount and never call fuse_lowlevel_notify_*;
 *    cache invalidation happens on the invalidation thread (fs_inval.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "control.h"
#include "fs.h"
#include "fs_inode.h"
#include "fs_notify.h"
#include "fs_ports.h"
#include "log.h"
#include "value.h"

#define XATTR_TYPE "user.cluster.type"

static struct cfs_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* --- per-open state --- */

enum fh_kind { FH_ATTR, FH_VALUE, FH_CONTROL, FH_FIXED, FH_SELF };

struct fh {
	enum fh_kind kind;
	pthread_mutex_t lock;
	struct cfs_buf staged; /* FH_VALUE: the value's text as this writer sees it */
	bool staged_loaded;
	bool trunc_pending; /* opened with O_TRUNC and nothing written yet */
	struct cfs_buf line;	/* FH_CONTROL: an incomplete last line */
	struct cfs_ctl ctl;	/* FH_CONTROL: the block being held (control.h) */
	struct cfs_buf snap;	/* read snapshot, taken at the first read */
	bool snap_taken;
	struct fh *prev, *next; /* cfs_fs.fh_open, guarded by cfs_fs.fh_lock */
};

/* Files still open when the session ends are never released: destroy
 * frees them. */
static void fh_link(struct cfs_fs *fs, struct fh *h)
{
	pthread_mutex_lock(&fs->fh_lock);
	h->next = fs->fh_open;
	if (fs->fh_open)
		fs->fh_open->prev = h;
	fs->fh_open = h;
	pthread_mutex_unlock(&fs->fh_lock);
}

static void fh_free(struct cfs_fs *fs, struct fh *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&fs->fh_lock);
	if (h->prev)
		h->prev->next = h->next;
	else if (fs->fh_open == h)
		fs->fh_open = h->next;
	if (h->next)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&fs->fh_lock);
	cfs_buf_free(&h->staged);
	cfs_buf_free(&h->line);
	cfs_ctl_free(&h->ctl);
	cfs_buf_free(&h->snap);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* --- rendering --- */

static const char *const root_names[] = {
	[CFS_INO_NODES] = "nodes",	   [CFS_INO_GROUPS] = "groups",
	[CFS_INO_RESOURCES] = "resources", [CFS_INO_RESTYPES] = "resourcetypes",
	[CFS_INO_NETWORKS] = "networks",   [CFS_INO_NETIFS] = "netinterfaces",
	[CFS_INO_NAME] = "name",	   [CFS_INO_ID] = "id",
	[CFS_INO_STATE] = "state",	   [CFS_INO_QUORUM] = "quorum",
	[CFS_INO_CONTROL] = "control",	   [CFS_INO_PORTS] = "ports",
	[CFS_INO_LOG] = "log",		   [CFS_INO_LOG1] = "log.1",
	[CFS_INO_LOCAL_NODE] = "local_node",
};

static bool quorate(const struct cfs_model *m)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	size_t up = 0;
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		uint32_t s = cfs_key_get_dword(nc->subkeys.v[i], CFS_P_STATE, CFS_NODE_DOWN);
		up += s == CFS_NODE_UP || s == CFS_NODE_PAUSED;
	}
	return up * 2 > nc->subkeys.n;
}

/* Content of a file node (model read-locked). */
static int render(const struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
		  struct cfs_buf *out)
{
	switch (n->type) {
	case N_FIXED:
		switch (n->ino) {
		case CFS_INO_NAME:
			return cfs_buf_printf(out, "%s\n", cfs_model_cluster_name(m));
		case CFS_INO_ID:
			return cfs_buf_printf(out, "%s\n",
					      cfs_key_get_sz(m->reg.root, CFS_P_CLUSTER_ID, NULL));
		case CFS_INO_STATE:
			return cfs_buf_puts(out, "up\n");
		case CFS_INO_QUORUM:
			return cfs_buf_puts(out, quorate(m) ? "quorate\n" : "lost\n");
		case CFS_INO_LOCAL_NODE: {
			const char *id = fs->e->local_node_id;
			struct cfs_object *o = id ? cfs_model_by_id(m, id) : NULL;
			return cfs_buf_printf(out, "%s\n", o ? o->name : "");
		}
		default:
			return cfs_buf_append(out, "", 0);
		}
	case N_REGVAL:
		return cfs_value_format(n->val->type, n->val->data, n->val->len, out);
	case N_ATTR:
		return n->spec->render(m, n->obj, out);
	default:
		return -EISDIR;
	}
}

static int64_t key_values_mtime(const struct cfs_key *k)
{
	int64_t t = k->mtime_ns;
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		if (v->mtime_ns > t)
			t = v->mtime_ns;
	}
	return t;
}

static void set_times(struct stat *st, int64_t ns)
{
	st->st_mtim.tv_sec = ns / 1000000000;
	st->st_mtim.tv_nsec = ns % 1000000000;
	st->st_ctim = st->st_atim = st->st_mtim;
}

/* Fills st for a node (model read-locked). */
static int fill_attr(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
		     struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_gid = fs->admin_gid;
	st->st_blksize = 4096;
	int64_t t = m->reg.root->mtime_ns;
	struct cfs_buf b = {0};
	int r;
	switch (n->type) {
	case N_FIXED:
		st->st_nlink = 1;
		if (n->ino == CFS_INO_ROOT) {
			st->st_mode = S_IFDIR | 0755;
			st->st_nlink = 10; /* ".", "..", 6 collections, registry, ports */
		} else if (cfs_coll_kind(n->ino) >= 0) {
			enum cfs_kind k = cfs_coll_kind(n->ino);
			bool writable = k == CFS_KIND_GROUP || k == CFS_KIND_RESOURCE ||
					k == CFS_KIND_RESTYPE || k == CFS_KIND_NODE;
			st->st_mode = S_IFDIR | (writable ? 0775 : 0555);
			st->st_nlink = 2 + cfs_model_count(m, k);
			t = m->coll[k]->mtime_ns;
		} else if (n->ino == CFS_INO_CONTROL) {
			st->st_mode = S_IFREG | 0220;
		} else {
			st->st_mode = S_IFREG | (n->ino == CFS_INO_NAME ? 0664 : 0444);
			if ((r = render(fs, m, n, &b)) < 0)
				return r;
			st->st_size = (off_t)b.len;
			t = key_values_mtime(m->reg.root);
		}
		break;
	case N_REGKEY:
		st->st_mode = S_IFDIR | n->key->mode;
		st->st_uid = n->key->uid;
		st->st_gid = n->key->gid;
		st->st_nlink = 2 + n->key->subkeys.n;
		t = n->key->mtime_ns;
		break;
	case N_REGVAL:
		st->st_mode = S_IFREG | (n->key->mode & 0666);
		st->st_uid = n->key->uid;
		st->st_gid = n->key->gid;
		st->st_nlink = 1;
		if ((r = render(fs, m, n, &b)) < 0)
			return r;
		st->st_size = (off_t)b.len;
		t = n->val->mtime_ns;
		break;
	case N_OBJDIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = n->obj->kind == CFS_KIND_GROUP ? 3 : 2;
		t = key_values_mtime(n->key);
		break;
	case N_MEMBERS:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		t = key_values_mtime(n->key);
		break;
	case N_MEMBER:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)(strlen("../../../resources/") + strlen(n->obj->name));
		t = n->key->mtime_ns;
		break;
	case N_ATTR:
		st->st_mode = S_IFREG | (n->spec->writable ? 0664 : 0444);
		st->st_nlink = 1;
		if ((r = render(fs, m, n, &b)) < 0)
			return r;
		st->st_size = (off_t)b.len;
		t = key_values_mtime(n->key);
		break;
	}
	cfs_buf_free(&b);
	st->st_blocks = (st->st_size + 511) / 512;
	set_times(st, t);
	return 0;
}

/* Resolves a child name (model read-locked). Returns its inode or 0. */
static uint64_t child_ino(const struct cfs_model *m, const struct cfs_node *p, const char *name)
{
	switch (p->type) {
	case N_FIXED:
		if (p->ino == CFS_INO_ROOT) {
			if (strcmp(name, "registry") == 0)
				return cfs_ino(CFS_REG_ROOT_ID, TAG_REGKEY);
			for (uint64_t i = CFS_INO_NODES; i < CFS_INO_FIXED_END; i++)
				if (root_names[i] && strcmp(root_names[i], name) == 0)
					return i;
			return 0;
		}
		if (cfs_coll_kind(p->ino) >= 0) {
			struct cfs_object *o = cfs_model_by_name(m, cfs_coll_kind(p->ino), name);
			return o ? cfs_ino(o->key->id, TAG_OBJDIR) : 0;
		}
		return 0;
	case N_OBJDIR: {
		const struct cfs_attr_spec *s = cfs_attr_specs(p->obj->kind);
		for (unsigned i = 0; s && s[i].name; i++)
			if (strcmp(s[i].name, name) == 0)
				return cfs_ino(p->key->id, TAG_ATTR + i);
		if (p->obj->kind == CFS_KIND_GROUP && strcmp(name, "resources") == 0)
			return cfs_ino(p->key->id, TAG_MEMBERS);
		return 0;
	}
	case N_MEMBERS: {
		struct cfs_object *r = cfs_model_by_name(m, CFS_KIND_RESOURCE, name);
		if (r && cfs_vec_find(&p->obj->members, r) >= 0)
			return cfs_ino(r->key->id, TAG_MEMBER);
		return 0;
	}
	case N_REGKEY: {
		struct cfs_key *k = cfs_key_subkey(p->key, name);
		if (k)
			return cfs_ino(k->id, TAG_REGKEY);
		struct cfs_value *v = cfs_key_value(p->key, name);
		return v ? cfs_ino(v->id, TAG_REGVAL) : 0;
	}
	default:
		return 0;
	}
}

/* Looks up parent/name and fills an entry (takes the read lock). */
static int make_entry(struct cfs_fs *fs, uint64_t parent, const char *name,
		      struct fuse_entry_param *e)
{
	struct cfs_engine *en = fs->e;
	cfs_engine_rdlock(en);
	struct cfs_node p, c;
	int r = cfs_resolve(&en->model, parent, &p);
	if (r == 0) {
		if (p.type != N_FIXED && p.type != N_OBJDIR && p.type != N_MEMBERS &&
		    p.type != N_REGKEY)
			r = -ENOTDIR;
		else if (p.type == N_FIXED && p.ino != CFS_INO_ROOT && cfs_coll_kind(p.ino) < 0)
			r = -ENOTDIR;
	}
	uint64_t ino = r == 0 ? child_ino(&en->model, &p, name) : 0;
	if (r == 0 && !ino)
		r = -ENOENT;
	if (r == 0)
		r = cfs_resolve(&en->model, ino, &c);
	if (r == 0) {
		memset(e, 0, sizeof(*e));
		e->ino = ino;
		e->generation = 1;
		e->attr_timeout = fs->timeout;
		e->entry_timeout = fs->timeout;
		r = fill_attr(fs, &en->model, &c, &e->attr);
	}
	cfs_engine_unlock(en);
	return r;
}

/* The file type an inode number stands for (fs_inode.h). */
static mode_t ino_mode(uint64_t ino)
{
	if (ino < CFS_INO_FIXED_END)
		return ino == CFS_INO_ROOT || cfs_coll_kind(ino) >= 0 ? S_IFDIR | 0555 : S_IFREG | 0444;
	switch (cfs_ino_tag(ino)) {
	case TAG_REGKEY:
	case TAG_OBJDIR:
	case TAG_MEMBERS:
		return S_IFDIR | 0555;
	case TAG_MEMBER:
		return S_IFLNK | 0777;
	default:
		return S_IFREG | 0444;
	}
}

/* What the notifier sees of a name it is about to remove or rename away:
 * the old inode, not cached (fs_notify.h). */
static void tomb_entry(struct cfs_fs *fs, uint64_t ino, mode_t mode, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->generation = 1;
	e->attr.st_ino = ino;
	e->attr.st_mode = mode;
	e->attr.st_nlink = S_ISDIR(mode) ? 2 : 1;
	e->attr.st_gid = fs->admin_gid;
}

static void cfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct cfs_fs *fs = fs_of(req);
	struct fuse_entry_param e;
	if (cfs_notify_is_self(fs, req)) {
		uint64_t ino;
		mode_t mode;
		int v = cfs_notify_lookup(fs, parent, name, &ino, &mode);
		if (v == 1) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		if (v == 2) {
			tomb_entry(fs, ino, mode, &e);
			fuse_reply_entry(req, &e);
			return;
		}
	}
	if (cfs_fsports_owns_dir(parent) ||
	    (parent == CFS_INO_ROOT && (strcmp(name, "ports") == 0 || strcmp(name, "log") == 0 ||
					strcmp(name, "log.1") == 0))) {
		cfs_fsports_lookup(req, parent, name);
		return;
	}
	int r = make_entry(fs, parent, name, &e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

static void cfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	/* Inodes are computed, not allocated (fs_inode.h): nothing to free. */
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

static void cfs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	(void)count;
	(void)forgets;
	fuse_reply_none(req);
}

static int resolve_locked(struct cfs_fs *fs, fuse_ino_t ino, struct cfs_node *n)
{
	return cfs_resolve(&fs->e->model, ino, n);
}

static void cfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct cfs_fs *fs = fs_of(req);
	if (cfs_fsports_owns(ino)) {
		cfs_fsports_getattr(req, ino);
		return;
	}
	struct cfs_node n;
	struct stat st;
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0)
		r = fill_attr(fs, &fs->e->model, &n, &st);
	cfs_engine_unlock(fs->e);
	if (r < 0 && cfs_notify_is_self(fs, req)) {
		/* The notifier replays changes in order, so it may reach
		 * something a later change already removed: it still gets the
		 * attributes of what the inode was. */
		mode_t mode;
		if (cfs_notify_tomb_mode(fs, ino, &mode) < 0)
			mode = ino_mode(ino);
		struct fuse_entry_param e;
		tomb_entry(fs, ino, mode, &e);
		fuse_reply_attr(req, &e.attr, 0);
		return;
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, fs->timeout);
}

static void cfs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct cfs_fs *fs = fs_of(req);
	struct cfs_node n;
	char target[CFS_NAME_MAX + 64];
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0 && n.type != N_MEMBER)
		r = -EINVAL;
	if (r == 0)
		snprintf(target, sizeof(target), "../../../resources/%s", n.obj->name);
	cfs_engine_unlock(fs->e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, target);
}

/* --- directories --- */

static void cfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cfs_fs *fs = fs_of(req);
	struct cfs_node n;
	if (cfs_fsports_owns(ino)) {
		/* Port listings change with other processes' mkdir: no cache. */
		if (cfs_fsports_owns_dir(ino))
			fuse_reply_open(req, fi);
		else
			fuse_reply_err(req, ENOTDIR);
		return;
	}
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	cfs_engine_unlock(fs->e);
	if (r == 0 && (n.type == N_REGVAL || n.type == N_ATTR || n.type == N_MEMBER ||
		       (n.type == N_FIXED && n.ino != CFS_INO_ROOT && cfs_coll_kind(ino) < 0)))
		r = -ENOTDIR;
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* The kernel may cache listings: every change to one is invalidated. */
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

struct dirbuf {
	fuse_req_t req;
	char *buf;
	size_t size, len;
	bool full;
};

/* Adds one entry; off is the offset of the NEXT entry. */
static void dir_add(struct dirbuf *d, const char *name, uint64_t ino, mode_t type, off_t off)
{
	if (d->full)
		return;
	struct stat st = {.st_ino = ino, .st_mode = type};
	size_t need = fuse_add_direntry(d->req, NULL, 0, name, NULL, 0);
	if (d->len + need > d->size) {
		d->full = true;
		return;
	}
	fuse_add_direntry(d->req, d->buf + d->len, d->size - d->len, name, &st, off);
	d->len += need;
}

/* Offsets: 1 and 2 are "." and "..", an entry with id X (or slot X) is at
 * X + 3, so a listing resumes correctly however the directory changed. */
#define OFF(x) ((off_t)(x) + 3)

static size_t first_from(const struct cfs_vec *v, uint64_t min_id)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (*(const uint64_t *)v->v[mid] < min_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void list_dir(struct cfs_fs *fs, const struct cfs_node *n, uint64_t parent_ino,
		     off_t off, struct dirbuf *d)
{
	const struct cfs_model *m = &fs->e->model;
	if (off < 1)
		dir_add(d, ".", n->ino, S_IFDIR, 1);
	if (off < 2)
		dir_add(d, "..", parent_ino, S_IFDIR, 2);
	uint64_t min = off >= 3 ? (uint64_t)off - 2 : 0; /* first id/slot wanted */
	switch (n->type) {
	case N_FIXED:
		if (n->ino == CFS_INO_ROOT) {
			for (uint64_t i = CFS_INO_NODES; i < CFS_INO_FIXED_END; i++) {
				if (i < min || !root_names[i])
					continue;
				mode_t t = cfs_coll_kind(i) >= 0 || i == CFS_INO_PORTS ? S_IFDIR
										: S_IFREG;
				dir_add(d, root_names[i], i, t, OFF(i));
			}
			if (min <= CFS_INO_FIXED_END)
				dir_add(d, "registry", cfs_ino(CFS_REG_ROOT_ID, TAG_REGKEY), S_IFDIR,
					OFF(CFS_INO_FIXED_END));
		} else {
			struct cfs_key *c = m->coll[cfs_coll_kind(n->ino)];
			for (size_t i = first_from(&c->subkeys, min); i < c->subkeys.n; i++) {
				struct cfs_key *k = c->subkeys.v[i];
				if (k->obj)
					dir_add(d, k->obj->name, cfs_ino(k->id, TAG_OBJDIR), S_IFDIR,
						OFF(k->id));
			}
		}
		break;
	case N_OBJDIR: {
		const struct cfs_attr_spec *s = cfs_attr_specs(n->obj->kind);
		for (unsigned i = 0; s && s[i].name; i++)
			if (i >= min)
				dir_add(d, s[i].name, cfs_ino(n->key->id, TAG_ATTR + i), S_IFREG,
					OFF(i));
		if (n->obj->kind == CFS_KIND_GROUP && min <= 60)
			dir_add(d, "resources", cfs_ino(n->key->id, TAG_MEMBERS), S_IFDIR, OFF(60));
		break;
	}
	case N_MEMBERS: {
		const struct cfs_vec *v = &n->obj->members;
		for (size_t i = 0; i < v->n; i++) {
			struct cfs_object *r = v->v[i];
			if (r->key->id >= min)
				dir_add(d, r->name, cfs_ino(r->key->id, TAG_MEMBER), S_IFLNK,
					OFF(r->key->id));
		}
		break;
	}
	case N_REGKEY: {
		/* Subkeys and values share the id space: merge by id. */
		const struct cfs_vec *ks = &n->key->subkeys, *vs = &n->key->values;
		size_t i = first_from(ks, min), j = first_from(vs, min);
		while (!d->full && (i < ks->n || j < vs->n)) {
			struct cfs_key *k = i < ks->n ? ks->v[i] : NULL;
			struct cfs_value *v = j < vs->n ? vs->v[j] : NULL;
			if (k && (!v || k->id < v->id)) {
				dir_add(d, k->name, cfs_ino(k->id, TAG_REGKEY), S_IFDIR, OFF(k->id));
				i++;
			} else {
				dir_add(d, v->name, cfs_ino(v->id, TAG_REGVAL), S_IFREG, OFF(v->id));
				j++;
			}
		}
		break;
	}
	default:
		break;
	}
}

static uint64_t parent_of(const struct cfs_model *m, const struct cfs_node *n)
{
	switch (n->type) {
	case N_FIXED:
		return CFS_INO_ROOT;
	case N_OBJDIR:
		return cfs_coll_ino(n->obj->kind);
	case N_MEMBERS:
		return cfs_ino(n->key->id, TAG_OBJDIR);
	case N_REGKEY:
		return n->key->parent ? cfs_ino(n->key->parent->id, TAG_REGKEY) : CFS_INO_ROOT;
	default:
		(void)m;
		return CFS_INO_ROOT;
	}
}

static void cfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	(void)fi;
	struct cfs_fs *fs = fs_of(req);
	if (cfs_fsports_owns_dir(ino)) {
		cfs_fsports_readdir(req, ino, size, off);
		return;
	}
	struct dirbuf d = {.req = req, .size = size};
	d.buf = malloc(size ? size : 1);
	if (!d.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	struct cfs_node n;
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0)
		list_dir(fs, &n, parent_of(&fs->e->model, &n), off, &d);
	cfs_engine_unlock(fs->e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, d.buf, d.len);
	free(d.buf);
}

/* --- files --- */

static void cfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cfs_fs *fs = fs_of(req);
	struct cfs_node n;
	if (cfs_notify_is_self(fs, req)) {
		/* The notifier's open+ftruncate+close raises IN_MODIFY and
		 * IN_CLOSE_WRITE; it changes nothing and caches nothing. */
		struct fh *h = calloc(1, sizeof(*h));
		if (!h) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		pthread_mutex_init(&h->lock, NULL);
		fh_link(fs, h);
		h->kind = FH_SELF;
		fi->fh = (uintptr_t)h;
		fi->direct_io = 1;
		fi->noflush = 1;
		fuse_reply_open(req, fi);
		return;
	}
	if (cfs_fsports_owns(ino)) {
		cfs_fsports_open(req, ino, fi);
		return;
	}
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	cfs_engine_unlock(fs->e);
	if (r == 0 && n.type != N_REGVAL && n.type != N_ATTR && n.type != N_FIXED)
		r = -EISDIR;
	if (r == 0 && n.type == N_FIXED && (ino == CFS_INO_ROOT || cfs_coll_kind(ino) >= 0))
		r = -EISDIR;
	if (r == 0 && (fi->flags & O_ACCMODE) != O_RDONLY) {
		if ((n.type == N_ATTR && !n.spec->writable) ||
		    (n.type == N_FIXED && ino != CFS_INO_NAME && ino != CFS_INO_CONTROL))
			r = -EACCES;
	}
	if (r == 0 && ino == CFS_INO_CONTROL && (fi->flags & O_ACCMODE) != O_WRONLY)
		r = -EACCES;
	struct fh *h = r == 0 ? calloc(1, sizeof(*h)) : NULL;
	if (r == 0 && !h)
		r = -ENOMEM;
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	pthread_mutex_init(&h->lock, NULL);
	fh_link(fs, h);
	h->kind = n.type == N_REGVAL ? FH_VALUE
		  : n.type == N_ATTR ? FH_ATTR
		  : ino == CFS_INO_CONTROL ? FH_CONTROL
					 : FH_FIXED;
	h->trunc_pending = h->kind == FH_VALUE && (fi->flags & O_TRUNC);
	fi->fh = (uintptr_t)h;
	/* Content is served from the page cache until a change invalidates
	 * it; the control file has no content. Writes bypass the page cache:
	 * a cached write keeps its page locked until the commit answers it,
	 * and the notifier's invalidation of that page would then wait for
	 * the writer. That wait is bounded while the daemon lives, but a
	 * daemon killed meanwhile could never finish exiting (its thread
	 * stuck on the page), so its connection would never end and the
	 * writer would hang. */
	bool writes = (fi->flags & O_ACCMODE) != O_RDONLY;
	fi->keep_cache = h->kind != FH_CONTROL && !writes;
	fi->direct_io = h->kind == FH_CONTROL || writes;
	fi->noflush = !writes;
	fuse_reply_open(req, fi);
}

static void cfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct cfs_fs *fs = fs_of(req);
	if (cfs_fsports_is_fh(fi->fh)) {
		cfs_fsports_read(req, ino, size, off, fi);
		return;
	}
	struct fh *h = (struct fh *)(uintptr_t)fi->fh;
	pthread_mutex_lock(&h->lock);
	int r = 0;
	/* A reader sees one consistent version of the file for the whole
	 * open, as it would reading a file replaced by rename. */
	if (!h->snap_taken || off == 0) {
		struct cfs_node n;
		cfs_buf_reset(&h->snap);
		cfs_engine_rdlock(fs->e);
		r = resolve_locked(fs, ino, &n);
		if (r == 0)
			r = render(fs, &fs->e->model, &n, &h->snap);
		cfs_engine_unlock(fs->e);
		h->snap_taken = r == 0;
	}
	if (r < 0) {
		pthread_mutex_unlock(&h->lock);
		fuse_reply_err(req, -r);
		return;
	}
	size_t len = h->snap.len;
	size_t start = (size_t)off < len ? (size_t)off : len;
	size_t n = len - start < size ? len - start : size;
	/* Reply from a copy with the lock released: once the reply is out,
	 * the reader may close and RELEASE may free h on another thread. */
	char *copy = malloc(n ? n : 1);
	if (copy && n)
		memcpy(copy, h->snap.data + start, n);
	pthread_mutex_unlock(&h->lock);
	if (copy)
		fuse_reply_buf(req, copy, n);
	else
		fuse_reply_err(req, ENOMEM);
	free(copy);
}

/* A pending change: what to reply once the engine has committed it. */
enum pend_kind { P_ERR, P_WRITE, P_ENTRY, P_VALUE_WRITE, P_ATTR, P_NONE };

struct pending {
	fuse_req_t req;
	struct cfs_fs *fs;
	enum pend_kind kind;
	size_t written;
	uint64_t parent;
	struct fh *fh;
	struct cfs_buf restore; /* P_VALUE_WRITE: staged text before this write */
	char *desc; /* what was asked, for the log */
	struct cfs_origin origin; /* what the kernel reports itself */
	char name[];
};

static void pending_done(void *ud, int err, const char *why, int line)
{
	struct pending *p = ud;
	if (err < 0)
		cfs_log(LOG_NOTICE, "%s: refused%s%.0d: %s (%s)", p->desc ? p->desc : "change",
			line > 0 ? " at line " : "", line > 0 ? line + 1 : 0,
			why ? why : strerror(-err), strerror(-err));
	switch (p->kind) {
	case P_NONE:
		break;
	case P_ERR:
		fuse_reply_err(p->req, -err);
		break;
	case P_VALUE_WRITE:
		if (err < 0) {
			pthread_mutex_lock(&p->fh->lock);
			cfs_buf_reset(&p->fh->staged);
			cfs_buf_append(&p->fh->staged, p->restore.data ? p->restore.data : "",
				       p->restore.len);
			/* A refused write leaves the value as it was, O_TRUNC included. */
			p->fh->trunc_pending = false;
			pthread_mutex_unlock(&p->fh->lock);
		}
		/* fall through */
	case P_WRITE:
		if (err < 0)
			fuse_reply_err(p->req, -err);
		else
			fuse_reply_write(p->req, p->written);
		break;
	case P_ATTR: {
		struct stat st;
		struct cfs_node n;
		if (err == 0) {
			cfs_engine_rdlock(p->fs->e);
			err = cfs_resolve(&p->fs->e->model, p->parent, &n);
			if (err == 0)
				err = fill_attr(p->fs, &p->fs->e->model, &n, &st);
			cfs_engine_unlock(p->fs->e);
		}
		if (err < 0)
			fuse_reply_err(p->req, -err);
		else
			fuse_reply_attr(p->req, &st, p->fs->timeout);
		break;
	}
	case P_ENTRY: {
		struct fuse_entry_param e;
		if (err == 0)
			err = make_entry(p->fs, p->parent, p->name, &e);
		if (err < 0)
			fuse_reply_err(p->req, -err);
		else
			fuse_reply_entry(p->req, &e);
		break;
	}
	}
	cfs_buf_free(&p->restore);
	free(p->desc);
	free(p);
}

static void set_origin(struct pending *p, int what, uint64_t ino, const char *name)
{
	p->origin.what = what;
	p->origin.ino = ino;
	snprintf(p->origin.name, sizeof(p->origin.name), "%s", name ? name : "");
}

static struct pending *pending_new(fuse_req_t req, enum pend_kind kind, const char *name)
{
	size_t n = name ? strlen(name) + 1 : 1;
	struct pending *p = calloc(1, sizeof(*p) + n);
	if (!p)
		return NULL;
	p->req = req;
	p->fs = fs_of(req);
	p->kind = kind;
	if (name)
		memcpy(p->name, name, n);
	return p;
}

/* Submits cmds (owned) and replies from the committer; on a submission
 * failure replies here. */
static void submit(fuse_req_t req, struct pending *p, struct cfs_vec *cmds)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	if (cmds->n) {
		struct cfs_buf b = {0};
		cfs_cmd_format(cmds->v[0], &b);
		p->desc = cfs_buf_steal(&b);
	}
	int r = cfs_engine_submit_from(p->fs->e, (struct cfs_cmd **)cmds->v, cmds->n, ctx->uid,
				       ctx->gid, &p->origin, pending_done, p);
	*cmds = (struct cfs_vec){0};
	if (r < 0) {
		fuse_reply_err(req, -r);
		cfs_buf_free(&p->restore);
		free(p->desc);
		free(p);
	}
}

static void free_cmds(struct cfs_vec *cmds)
{
	for (size_t i = 0; i < cmds->n; i++)
		cfs_cmd_free(cmds->v[i]);
	cfs_vec_free(cmds);
}

static int push_cmd(struct cfs_vec *cmds, enum cfs_op op, int argc, const char *const *argv,
		    const size_t *lens)
{
	struct cfs_cmd *c;
	int r = cfs_cmd_newv(&c, op, argc, argv, lens);
	if (r == 0 && (r = cfs_vec_push(cmds, c)) < 0)
		cfs_cmd_free(c);
	return r;
}

/* The control file; its language is core/control.h.
 *
 * The complete lines of one write() are parsed as one batch, and the
 * write returns the first failing line's errno; nothing of a refused
 * write is kept. An unterminated last line waits for the next write; at
 * close it runs (an open "begin" is dropped, and close reports EINVAL). */
static int backend_line(void *ud, const char *line, size_t len, struct cfs_vec *cmds,
			const char **ret_why)
{
	return cfs_engine_backend_line(ud, line, len, cmds, ret_why);
}

static void submit_control(fuse_req_t req, struct cfs_vec *cmds, enum pend_kind kind,
			   size_t written)
{
	struct pending *p = pending_new(req, kind, NULL);
	if (!p) {
		free_cmds(cmds);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->written = written;
	set_origin(p, CFS_ORIGIN_WRITE, CFS_INO_CONTROL, NULL);
	submit(req, p, cmds);
}

static void write_control(fuse_req_t req, struct fh *h, const char *buf, size_t size)
{
	struct cfs_vec cmds = {0};
	const char *why = NULL;
	int bad = 0;
	pthread_mutex_lock(&h->lock);
	int r = 0;
	if (h->line.len + size > CFS_CONTROL_BUF_MAX)
		r = -E2BIG;
	if (r == 0)
		r = cfs_buf_append(&h->line, buf, size);
	if (r < 0) {
		pthread_mutex_unlock(&h->lock);
		fuse_reply_err(req, -r);
		return;
	}
	/* Complete lines now; an incomplete last line waits. */
	char *last_nl = h->line.len ? memrchr(h->line.data, '\n', h->line.len) : NULL;
	size_t upto = last_nl ? (size_t)(last_nl - h->line.data) + 1 : 0;
	r = cfs_ctl_parse(&h->ctl, h->line.data, upto, backend_line, fs_of(req)->e, &cmds, &why,
			  &bad);
	if (r == 0) {
		memmove(h->line.data, h->line.data + upto, h->line.len - upto);
		h->line.len -= upto;
	} else {
		/* Nothing of this write is kept. */
		h->line.len -= size;
	}
	h->line.data[h->line.len] = '\0';
	pthread_mutex_unlock(&h->lock);
	if (r < 0) {
		cfs_log(LOG_NOTICE, "control: line %d: %s", bad, why ? why : strerror(-r));
		free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	if (cmds.n == 0) {
		cfs_vec_free(&cmds);
		fuse_reply_write(req, size);
		return;
	}
	submit_control(req, &cmds, P_WRITE, size);
}

static int value_path(const struct cfs_key *k, struct cfs_buf *out)
{
	return cfs_key_path(k, out);
}

static void write_value(fuse_req_t req, fuse_ino_t ino, struct fh *h, const char *buf,
			size_t size, off_t off)
{
	struct cfs_fs *fs = fs_of(req);
	struct cfs_vec cmds = {0};
	struct cfs_buf path = {0};
	char name[CFS_NAME_MAX + 1], type[32];
	struct pending *p = pending_new(req, P_VALUE_WRITE, NULL);
	int r = p ? 0 : -ENOMEM;
	if (r == 0 && (uint64_t)off + size > CFS_VALUE_MAX)
		r = -EFBIG;
	pthread_mutex_lock(&h->lock);
	if (r == 0) {
		struct cfs_node n;
		cfs_engine_rdlock(fs->e);
		r = resolve_locked(fs, ino, &n);
		if (r == 0) {
			snprintf(name, sizeof(name), "%s", n.val->name);
			snprintf(type, sizeof(type), "%s", cfs_regtype_name(n.val->type));
			r = value_path(n.key, &path);
			/* The writer's view starts from the current text unless the
			 * file was opened with O_TRUNC. */
			if (r == 0 && !h->staged_loaded) {
				cfs_buf_reset(&h->staged);
				if (!h->trunc_pending)
					r = cfs_value_format(n.val->type, n.val->data, n.val->len,
							     &h->staged);
				h->staged_loaded = true;
			}
		}
		cfs_engine_unlock(fs->e);
	}
	if (r == 0)
		r = cfs_buf_append(&p->restore, h->staged.data ? h->staged.data : "",
				   h->staged.len);
	if (r == 0) {
		size_t end = (size_t)off + size;
		if (end > h->staged.len) {
			r = cfs_buf_reserve(&h->staged, end - h->staged.len);
			if (r == 0) {
				memset(h->staged.data + h->staged.len, 0, end - h->staged.len);
				h->staged.len = end;
				h->staged.data[end] = '\0';
			}
		}
		if (r == 0)
			memcpy(h->staged.data + off, buf, size);
		h->trunc_pending = false;
	}
	if (r == 0) {
		const char *a[] = {path.data, name, type, h->staged.data};
		size_t l[] = {path.len, strlen(name), strlen(type), h->staged.len};
		r = push_cmd(&cmds, CFS_OP_REG_SET, 4, a, l);
	}
	pthread_mutex_unlock(&h->lock);
	cfs_buf_free(&path);
	if (r < 0) {
		if (p) {
			/* Nothing was submitted: put the writer's view back. */
			pthread_mutex_lock(&h->lock);
			if (p->restore.data || p->restore.len) {
				cfs_buf_reset(&h->staged);
				cfs_buf_append(&h->staged, p->restore.data ? p->restore.data : "",
					       p->restore.len);
			}
			pthread_mutex_unlock(&h->lock);
			cfs_buf_free(&p->restore);
			free(p);
		}
		free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	p->fh = h;
	p->written = size;
	set_origin(p, CFS_ORIGIN_WRITE, ino, NULL);
	submit(req, p, &cmds);
}

static void write_attr(fuse_req_t req, fuse_ino_t ino, struct fh *h, const char *buf,
		       size_t size)
{
	struct cfs_fs *fs = fs_of(req);
	struct cfs_vec cmds = {0};
	const char *why = NULL;
	char *text = NULL;
	int r = memchr(buf, '\0', size) ? -EINVAL : 0;
	struct cfs_node n;
	size_t kept = 0;
	bool acc = false;
	cfs_engine_rdlock(fs->e);
	if (r == 0)
		r = resolve_locked(fs, ino, &n);
	acc = r == 0 && n.type == N_ATTR && n.spec->accumulate;
	cfs_engine_unlock(fs->e);
	if (r == 0 && acc) {
		pthread_mutex_lock(&h->lock);
		kept = h->staged.len;
		r = cfs_buf_append(&h->staged, buf, size);
		if (r == 0 && !(text = cfs_strndup(h->staged.data, h->staged.len)))
			r = -ENOMEM;
		pthread_mutex_unlock(&h->lock);
	} else if (r == 0 && !(text = cfs_strndup(buf, size))) {
		r = -ENOMEM;
	}
	if (r == 0) {
		cfs_engine_rdlock(fs->e);
		r = resolve_locked(fs, ino, &n);
		if (r == 0 && n.type == N_FIXED) {
			/* The cluster's name. */
			size_t len = strcspn(text, "\n");
			text[len] = '\0';
			const char *a[] = {text};
			r = push_cmd(&cmds, CFS_OP_CLUSTER_RENAME, 1, a, NULL);
		} else if (r == 0) {
			r = n.spec->write ? n.spec->write(&fs->e->model, n.obj, text, &cmds, &why)
					  : -EACCES;
		}
		cfs_engine_unlock(fs->e);
	}
	free(text);
	if (r < 0 && acc) {
		pthread_mutex_lock(&h->lock); /* this write is not kept */
		h->staged.len = kept;
		pthread_mutex_unlock(&h->lock);
	}
	if (r < 0) {
		cfs_log(LOG_NOTICE, "write refused: %s", why ? why : strerror(-r));
		free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	if (cmds.n == 0) {
		cfs_vec_free(&cmds);
		fuse_reply_write(req, size);
		return;
	}
	struct pending *p = pending_new(req, P_WRITE, NULL);
	if (!p) {
		free_cmds(&cmds);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->written = size;
	set_origin(p, CFS_ORIGIN_WRITE, ino, NULL);
	submit(req, p, &cmds);
}

static void cfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	if (cfs_fsports_is_fh(fi->fh)) {
		cfs_fsports_write(req, ino, buf, size, fi);
		return;
	}
	struct fh *h = (struct fh *)(uintptr_t)fi->fh;
	switch (h->kind) {
	case FH_SELF:
		/* The notifier's writes are acknowledgements only. */
		fuse_reply_write(req, size);
		break;
	case FH_CONTROL:
		write_control(req, h, buf, size);
		break;
	case FH_VALUE:
		write_value(req, ino, h, buf, size, off);
		break;
	default:
		write_attr(req, ino, h, buf, size);
		break;
	}
}

/* Close: a control file's unterminated last line is run now, and a value
 * opened with O_TRUNC and never written becomes empty. */
static void cfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (cfs_fsports_is_fh(fi->fh)) {
		fuse_reply_err(req, 0);
		return;
	}
	struct fh *h = (struct fh *)(uintptr_t)fi->fh;
	if (h->kind == FH_CONTROL) {
		/* Run the rest as if a newline had been written. */
		struct cfs_vec cmds = {0};
		const char *why = NULL;
		int bad = 0, r = 0;
		pthread_mutex_lock(&h->lock);
		if (h->line.len)
			r = cfs_ctl_parse(&h->ctl, h->line.data, h->line.len, backend_line,
					  fs_of(req)->e, &cmds, &why, &bad);
		cfs_buf_reset(&h->line);
		bool open_block = cfs_ctl_end(&h->ctl);
		pthread_mutex_unlock(&h->lock);
		if (r == 0 && open_block) {
			why = "begin without commit: nothing applied";
			r = -EINVAL;
			free_cmds(&cmds);
		}
		if (r < 0)
			cfs_log(LOG_NOTICE, "control: at close: %s", why ? why : strerror(-r));
		if (r < 0 || cmds.n == 0) {
			free_cmds(&cmds);
			fuse_reply_err(req, r < 0 ? -r : 0);
			return;
		}
		submit_control(req, &cmds, P_ERR, 0);
		return;
	}
	fuse_reply_err(req, 0);
}

/* A value opened with O_TRUNC and never written becomes empty when its
 * last descriptor closes (not at the first close of a dup: a shell closes
 * one copy of a redirection before it writes through the other). Nothing
 * waits for this: RELEASE has no caller to tell. */
static void truncate_at_release(struct cfs_fs *fs, fuse_ino_t ino)
{
	struct cfs_vec cmds = {0};
	struct cfs_buf path = {0};
	struct cfs_node n;
	char name[CFS_NAME_MAX + 1], type[32];
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0) {
		snprintf(name, sizeof(name), "%s", n.val->name);
		snprintf(type, sizeof(type), "%s", cfs_regtype_name(n.val->type));
		r = value_path(n.key, &path);
	}
	cfs_engine_unlock(fs->e);
	if (r == 0) {
		const char *a[] = {path.data, name, type, ""};
		r = push_cmd(&cmds, CFS_OP_REG_SET, 4, a, NULL);
	}
	cfs_buf_free(&path);
	struct pending *p = r == 0 ? calloc(1, sizeof(*p) + 1) : NULL;
	if (!p) {
		free_cmds(&cmds);
		return;
	}
	p->fs = fs;
	p->kind = P_NONE;
	/* open(O_TRUNC) raised IN_MODIFY already. */
	set_origin(p, CFS_ORIGIN_WRITE, ino, NULL);
	struct cfs_buf b = {0};
	cfs_cmd_format(cmds.v[0], &b);
	p->desc = cfs_buf_steal(&b);
	if (cfs_engine_submit_from(fs->e, (struct cfs_cmd **)cmds.v, cmds.n, 0, 0, &p->origin,
				   pending_done, p) < 0) {
		free(p->desc);
		free(p);
	}
}

static void cfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (cfs_fsports_is_fh(fi->fh)) {
		cfs_fsports_release(req, fi);
		return;
	}
	struct fh *h = (struct fh *)(uintptr_t)fi->fh;
	if (h->kind == FH_VALUE && h->trunc_pending)
		truncate_at_release(fs_of(req), ino);
	fh_free(fs_of(req), (struct fh *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* --- namespace changes --- */

/* Submits one command whose effect on (parent, name) or on an inode the
 * kernel reports itself (origin), replying from the committer. */
static void reply_cmd(fuse_req_t req, enum pend_kind kind, uint64_t parent, const char *name,
		      int origin, uint64_t origin_ino, enum cfs_op op, int argc,
		      const char *const *argv, int err)
{
	struct cfs_vec cmds = {0};
	if (err == 0)
		err = push_cmd(&cmds, op, argc, argv, NULL);
	struct pending *p = err == 0 ? pending_new(req, kind, name) : NULL;
	if (err == 0 && !p)
		err = -ENOMEM;
	if (err < 0) {
		free_cmds(&cmds);
		fuse_reply_err(req, -err);
		return;
	}
	p->parent = parent;
	set_origin(p, origin, origin_ino, name);
	submit(req, p, &cmds);
}

static bool is_admin(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	if (ctx->uid == 0 || ctx->gid == fs_of(req)->admin_gid)
		return true;
	gid_t groups[64];
	int n = fuse_req_getgroups(req, 64, groups);
	for (int i = 0; i < n && i < 64; i++)
		if (groups[i] == fs_of(req)->admin_gid)
			return true;
	return false;
}

/* The notifier creating what already exists: reply with it. */
static bool self_create(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct cfs_fs *fs = fs_of(req);
	if (!cfs_notify_is_self(fs, req))
		return false;
	struct fuse_entry_param e;
	int r = make_entry(fs, parent, name, &e);
	uint64_t ino;
	mode_t mode;
	if (r < 0 && cfs_notify_tomb_entry(fs, parent, name, &ino, &mode) == 0) {
		/* Created and deleted again since: what it was. */
		tomb_entry(fs, ino, mode, &e);
		r = 0;
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
	return true;
}

/* The notifier removing or renaming what is already gone: acknowledge. */
static bool self_ack(fuse_req_t req)
{
	if (!cfs_notify_is_self(fs_of(req), req))
		return false;
	fuse_reply_err(req, 0);
	return true;
}

static void cfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	/* Only the group listings hold links, and the cluster makes them. */
	if (!self_create(req, parent, name))
		fuse_reply_err(req, EPERM);
}

static void cfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct cfs_fs *fs = fs_of(req);
	if (self_create(req, parent, name))
		return;
	if (parent == CFS_INO_PORTS) {
		cfs_fsports_mkdir(req, parent, name);
		return;
	}
	struct cfs_node p;
	struct cfs_buf path = {0};
	char modestr[16];
	snprintf(modestr, sizeof(modestr), "%o",
		 (unsigned)(mode & 07777 & ~fuse_req_ctx(req)->umask));
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	if (r == 0 && p.type == N_REGKEY) {
		r = cfs_key_path(p.key, &path);
		if (r == 0 && path.len)
			r = cfs_buf_append(&path, "\\", 1);
		if (r == 0)
			r = cfs_buf_puts(&path, name);
	}
	cfs_engine_unlock(fs->e);
	if (r < 0) {
		cfs_buf_free(&path);
		fuse_reply_err(req, -r);
		return;
	}
	const char *a[] = {name};
	if (p.type == N_REGKEY) {
		const char *ka[] = {path.data, modestr};
		reply_cmd(req, P_ENTRY, parent, name, CFS_ORIGIN_CREATE, parent, CFS_OP_REG_CREATE_KEY, 2, ka, 0);
	} else if (parent == CFS_INO_GROUPS) {
		reply_cmd(req, P_ENTRY, parent, name, CFS_ORIGIN_CREATE, parent, CFS_OP_GROUP_CREATE, 1, a, 0);
	} else if (parent == CFS_INO_RESTYPES) {
		reply_cmd(req, P_ENTRY, parent, name, CFS_ORIGIN_CREATE, parent, CFS_OP_TYPE_CREATE, 1, a, 0);
	} else {
		cfs_log(LOG_NOTICE, "mkdir %s: create %s through the control file", name,
			parent == CFS_INO_RESOURCES ? "resources (resource-create NAME TYPE GROUP)"
						    : "this kind of object");
		fuse_reply_err(req, EPERM);
	}
	cfs_buf_free(&path);
}

static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	struct cfs_fs *fs = fs_of(req);
	if (self_ack(req))
		return;
	struct cfs_node p;
	struct cfs_buf path = {0};
	int kind = cfs_coll_kind(parent);
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	bool is_key = false;
	if (r == 0 && p.type == N_REGKEY) {
		struct cfs_key *k = cfs_key_subkey(p.key, name);
		struct cfs_value *v = cfs_key_value(p.key, name);
		if (dir && !k)
			r = v ? -ENOTDIR : -ENOENT;
		else if (dir && (k->subkeys.n || k->values.n))
			r = -ENOTEMPTY; /* rmdir(2) removes empty directories only */
		else if (!dir && !v)
			r = k ? -EISDIR : -ENOENT;
		is_key = dir;
		if (r == 0)
			r = cfs_key_path(dir ? k : p.key, &path);
	}
	cfs_engine_unlock(fs->e);
	if (r < 0) {
		cfs_buf_free(&path);
		fuse_reply_err(req, -r);
		return;
	}
	const char *a[] = {name};
	if (p.type == N_REGKEY && is_key) {
		const char *ka[] = {path.data};
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_DELETE, parent, CFS_OP_REG_DELETE_KEY, 1, ka, 0);
	} else if (p.type == N_REGKEY) {
		const char *va[] = {path.data, name};
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_DELETE, parent, CFS_OP_REG_DELETE, 2, va, 0);
	} else if (dir && kind == CFS_KIND_GROUP) {
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_DELETE, parent, CFS_OP_GROUP_DELETE, 1, a, 0);
	} else if (dir && kind == CFS_KIND_RESOURCE) {
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_DELETE, parent, CFS_OP_RES_DELETE, 1, a, 0);
	} else if (dir && kind == CFS_KIND_RESTYPE) {
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_DELETE, parent, CFS_OP_TYPE_DELETE, 1, a, 0);
	} else if (dir && kind == CFS_KIND_NODE) {
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_DELETE, parent, CFS_OP_NODE_EVICT, 1, a, 0);
	} else {
		fuse_reply_err(req, EPERM);
	}
	cfs_buf_free(&path);
}

static void cfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent == CFS_INO_PORTS && !cfs_notify_is_self(fs_of(req), req)) {
		cfs_fsports_rmdir(req, parent, name);
		return;
	}
	remove_entry(req, parent, name, true);
}

static void cfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, false);
}

static void cfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      dev_t rdev)
{
	(void)rdev;
	struct cfs_fs *fs = fs_of(req);
	if (self_create(req, parent, name))
		return;
	struct cfs_node p;
	struct cfs_buf path = {0};
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	if (r == 0 && p.type != N_REGKEY)
		r = -EPERM;
	if (r == 0 && !S_ISREG(mode))
		r = -EPERM;
	if (r == 0 && (cfs_key_value(p.key, name) || cfs_key_subkey(p.key, name)))
		r = -EEXIST;
	if (r == 0)
		r = cfs_key_path(p.key, &path);
	cfs_engine_unlock(fs->e);
	const char *a[] = {path.data ? path.data : "", name, "REG_SZ", ""};
	reply_cmd(req, P_ENTRY, parent, name, CFS_ORIGIN_CREATE, parent, CFS_OP_REG_SET, 4, a, r);
	cfs_buf_free(&path);
}

static void cfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		       const char *newname, unsigned int flags)
{
	struct cfs_fs *fs = fs_of(req);
	if (self_ack(req))
		return;
	if (flags & RENAME_EXCHANGE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (parent != newparent) {
		/* Objects stay in their collection; keys and values in their key. */
		fuse_reply_err(req, EXDEV);
		return;
	}
	struct cfs_node p;
	struct cfs_buf path = {0};
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	bool key = false;
	if (r == 0 && p.type == N_REGKEY) {
		struct cfs_key *k = cfs_key_subkey(p.key, name);
		struct cfs_value *v = cfs_key_value(p.key, name);
		if (!k && !v)
			r = -ENOENT;
		else if (cfs_key_subkey(p.key, newname) || cfs_key_value(p.key, newname))
			r = strcmp(name, newname) == 0 ? 0 : -EEXIST;
		key = k != NULL;
		if (r == 0)
			r = cfs_key_path(k ? k : p.key, &path);
	}
	cfs_engine_unlock(fs->e);
	int kind = cfs_coll_kind(parent);
	const char *a[] = {name, newname};
	if (r < 0) {
		fuse_reply_err(req, -r);
	} else if (p.type == N_REGKEY && key) {
		const char *ka[] = {path.data, newname};
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_RENAME, parent, CFS_OP_REG_RENAME_KEY, 2, ka, 0);
	} else if (p.type == N_REGKEY) {
		const char *va[] = {path.data, name, newname};
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_RENAME, parent, CFS_OP_REG_RENAME, 3, va, 0);
	} else if (kind == CFS_KIND_GROUP) {
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_RENAME, parent, CFS_OP_GROUP_RENAME, 2, a, 0);
	} else if (kind == CFS_KIND_RESOURCE) {
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_RENAME, parent, CFS_OP_RES_RENAME, 2, a, 0);
	} else if (kind == CFS_KIND_NETWORK) {
		reply_cmd(req, P_ERR, parent, name, CFS_ORIGIN_RENAME, parent, CFS_OP_NET_RENAME, 2, a, 0);
	} else {
		fuse_reply_err(req, EPERM);
	}
	cfs_buf_free(&path);
}

/* --- attributes --- */

static void cfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			struct fuse_file_info *fi)
{
	(void)fi;
	struct cfs_fs *fs = fs_of(req);
	struct cfs_node n;
	struct cfs_buf path = {0}, text = {0};
	struct cfs_vec cmds = {0};
	char name[CFS_NAME_MAX + 1] = "", type[32] = "";
	if (cfs_notify_is_self(fs, req) || cfs_fsports_owns(ino)) {
		/* An acknowledgement (the notifier's), or a port file or the log,
		 * whose truncation and times mean nothing: current attributes. */
		cfs_getattr(req, ino, fi);
		return;
	}
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0 && (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))) {
		/* A key's security is the directory's mode and owner. */
		if (n.type != N_REGKEY) {
			r = -EPERM;
		} else {
			char mode[16], uid[16], gid[16];
			snprintf(mode, sizeof(mode), "%o",
				 (unsigned)((to_set & FUSE_SET_ATTR_MODE ? attr->st_mode
									  : n.key->mode) & 07777));
			snprintf(uid, sizeof(uid), "%u",
				 to_set & FUSE_SET_ATTR_UID ? (unsigned)attr->st_uid : n.key->uid);
			snprintf(gid, sizeof(gid), "%u",
				 to_set & FUSE_SET_ATTR_GID ? (unsigned)attr->st_gid : n.key->gid);
			r = cfs_key_path(n.key, &path);
			const char *a[] = {path.data, mode, uid, gid};
			if (r == 0)
				r = push_cmd(&cmds, CFS_OP_REG_SECURITY, 4, a, NULL);
		}
	}
	if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE) && n.type == N_REGVAL) {
		/* truncate(2): the text form cut or zero-extended. */
		snprintf(name, sizeof(name), "%s", n.val->name);
		snprintf(type, sizeof(type), "%s", cfs_regtype_name(n.val->type));
		cfs_buf_reset(&path);
		r = cfs_key_path(n.key, &path);
		if (r == 0)
			r = cfs_value_format(n.val->type, n.val->data, n.val->len, &text);
		if (r == 0 && (size_t)attr->st_size > CFS_VALUE_MAX)
			r = -EFBIG;
		if (r == 0 && (size_t)attr->st_size != text.len) {
			size_t sz = (size_t)attr->st_size;
			if (sz > text.len) {
				r = cfs_buf_reserve(&text, sz - text.len);
				if (r == 0) {
					memset(text.data + text.len, 0, sz - text.len);
					text.len = sz;
				}
			} else {
				text.len = sz;
			}
			const char *a[] = {path.data, name, type, text.data};
			size_t l[] = {path.len, strlen(name), strlen(type), text.len};
			if (r == 0)
				r = push_cmd(&cmds, CFS_OP_REG_SET, 4, a, l);
		}
	} else if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE) &&
		   !(n.type == N_ATTR || n.type == N_FIXED)) {
		r = -EISDIR;
	}
	cfs_engine_unlock(fs->e);
	cfs_buf_free(&path);
	cfs_buf_free(&text);
	if (r < 0) {
		free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	/* Object files ignore truncation (a write replaces their content) and
	 * times are the cluster's: the reply shows the current attributes. */
	if (cmds.n == 0) {
		cfs_vec_free(&cmds);
		struct stat st;
		cfs_engine_rdlock(fs->e);
		r = resolve_locked(fs, ino, &n);
		if (r == 0)
			r = fill_attr(fs, &fs->e->model, &n, &st);
		cfs_engine_unlock(fs->e);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_attr(req, &st, fs->timeout);
		return;
	}
	struct pending *p = pending_new(req, P_ERR, NULL);
	if (!p) {
		free_cmds(&cmds);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* Reply with the new attributes once committed. */
	p->parent = ino;
	p->kind = P_ATTR;
	set_origin(p, to_set & FUSE_SET_ATTR_SIZE ? CFS_ORIGIN_WRITE : CFS_ORIGIN_ATTRIB, ino, NULL);
	submit(req, p, &cmds);
}

static void cfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct cfs_fs *fs = fs_of(req);
	struct cfs_node n;
	char value[32] = "";
	if (cfs_fsports_owns(ino)) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0 && (n.type != N_REGVAL || strcmp(name, XATTR_TYPE) != 0))
		r = -ENODATA;
	if (r == 0)
		snprintf(value, sizeof(value), "%s", cfs_regtype_name(n.val->type));
	cfs_engine_unlock(fs->e);
	size_t len = strlen(value);
	if (r < 0)
		fuse_reply_err(req, -r);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, value, len);
}

static void cfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct cfs_fs *fs = fs_of(req);
	struct cfs_node n = {0};
	int r = 0;
	if (!cfs_fsports_owns(ino)) {
		cfs_engine_rdlock(fs->e);
		r = resolve_locked(fs, ino, &n);
		cfs_engine_unlock(fs->e);
	}
	size_t len = r == 0 && n.type == N_REGVAL ? sizeof(XATTR_TYPE) : 0;
	if (r < 0)
		fuse_reply_err(req, -r);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, XATTR_TYPE, len);
}

static void cfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			 size_t size, int flags)
{
	struct cfs_fs *fs = fs_of(req);
	struct cfs_node n;
	struct cfs_buf path = {0};
	char vname[CFS_NAME_MAX + 1] = "", type[32] = "";
	if (cfs_fsports_owns(ino)) {
		fuse_reply_err(req, ENOTSUP);
		return;
	}
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0 && (n.type != N_REGVAL || strcmp(name, XATTR_TYPE) != 0))
		r = -ENOTSUP;
	if (r == 0 && (flags & XATTR_CREATE))
		r = -EEXIST;
	if (r == 0 && (size == 0 || size >= sizeof(type)))
		r = -EINVAL;
	if (r == 0) {
		memcpy(type, value, size);
		type[size] = '\0';
		if (cfs_regtype_parse(type) < 0)
			r = -EINVAL;
		snprintf(vname, sizeof(vname), "%s", n.val->name);
		if (r == 0)
			r = cfs_key_path(n.key, &path);
	}
	if (r == 0 && !is_admin(req) && fuse_req_ctx(req)->uid != n.key->uid)
		r = -EPERM;
	cfs_engine_unlock(fs->e);
	const char *a[] = {path.data ? path.data : "", vname, type};
	reply_cmd(req, P_ERR, ino, NULL, CFS_ORIGIN_ATTRIB, ino, CFS_OP_REG_TYPE, 3, a, r);
	cfs_buf_free(&path);
}

static void cfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino;
	/* The type cannot be removed, only changed; nothing else exists. */
	fuse_reply_err(req, strcmp(name, XATTR_TYPE) == 0 ? EPERM : ENODATA);
}

static void cfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	struct cfs_fs *fs = fs_of(req);
	struct statvfs st = {0};
	cfs_engine_rdlock(fs->e);
	st.f_files = cfs_reg_entries(&fs->e->model.reg);
	cfs_engine_unlock(fs->e);
	st.f_bsize = 4096;
	st.f_frsize = 4096;
	st.f_ffree = CFS_REG_ENTRIES_MAX > st.f_files ? CFS_REG_ENTRIES_MAX - st.f_files : 0;
	st.f_favail = st.f_ffree;
	st.f_namemax = CFS_NAME_MAX;
	fuse_reply_statfs(req, &st);
}

static void cfs_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct fuse_pollhandle *ph)
{
	(void)ino;
	if (fi && cfs_fsports_is_fh(fi->fh)) {
		cfs_fsports_poll(req, fi, ph);
		return;
	}
	/* Ordinary files are always ready. Never answer ENOSYS: the kernel
	 * would then treat every file of the mount as always ready. */
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

static void cfs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	(void)ino;
	(void)mask;
	/* default_permissions makes the kernel check modes itself. */
	fuse_reply_err(req, 0);
}

/* Before any other request. */
static void cfs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct cfs_fs *fs = userdata;
	pthread_mutex_init(&fs->fh_lock, NULL);
	fs->fh_open = NULL;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	/* Writeback caching would acknowledge writes before the daemon sees
	 * them; every write must reach the engine synchronously. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	conn->want |= FUSE_CAP_AUTO_INVAL_DATA & conn->capable;
	conn->max_write = 1024 * 1024;
}

/* The session ends (only after init): files the kernel never released
 * go now. */
static void cfs_destroy(void *userdata)
{
	struct cfs_fs *fs = userdata;
	pthread_mutex_lock(&fs->fh_lock);
	struct fh *h = fs->fh_open;
	pthread_mutex_unlock(&fs->fh_lock);
	while (h) {
		struct fh *next = h->next;
		fh_free(fs, h);
		h = next;
	}
	pthread_mutex_destroy(&fs->fh_lock);
}

const struct fuse_lowlevel_ops cfs_fs_ops = {
	.init = cfs_init,
	.destroy = cfs_destroy,
	.lookup = cfs_lookup,
	.forget = cfs_forget,
	.forget_multi = cfs_forget_multi,
	.getattr = cfs_getattr,
	.setattr = cfs_setattr,
	.readlink = cfs_readlink,
	.mknod = cfs_mknod,
	.symlink = cfs_symlink,
	.mkdir = cfs_mkdir,
	.unlink = cfs_unlink,
	.rmdir = cfs_rmdir,
	.rename = cfs_rename,
	.open = cfs_open,
	.read = cfs_read,
	.write = cfs_write,
	.flush = cfs_flush,
	.release = cfs_release,
	.opendir = cfs_opendir,
	.readdir = cfs_readdir,
	.statfs = cfs_statfs,
	.setxattr = cfs_setxattr,
	.getxattr = cfs_getxattr,
	.listxattr = cfs_listxattr,
	.removexattr = cfs_removexattr,
	.access = cfs_access,
	.poll = cfs_poll,
};
