/* SPDX-License-Identifier: MIT */
/* What a resolved node is, asked of the subtree it belongs to: its
 * attributes, content, children and listing (model read-locked, except
 * cfs_make_entry which takes the lock). The handlers (fs_ops.c) and the
 * replies after commit (fs_pending.c) share these. */
#include <errno.h>
#include <string.h>

#include "fs_i.h"
#include "fs_ports.h"

int cfs_node_render(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
		    struct cfs_buf *out)
{
	switch (n->type) {
	case CFS_NODE_FIXED:
		return cfs_fsroot_render(fs, m, n->ino, out);
	case CFS_NODE_REGVAL:
		return cfs_fsreg_render(n, out);
	case CFS_NODE_ATTR:
		return cfs_fsobj_render(m, n, out);
	case CFS_NODE_PARAM:
		return cfs_fsparam_render(m, n, out);
	default:
		return -EISDIR;
	}
}

static void set_times(struct stat *st, int64_t ns)
{
	st->st_mtim.tv_sec = ns / 1000000000;
	st->st_mtim.tv_nsec = ns % 1000000000;
	st->st_ctim = st->st_atim = st->st_mtim;
}

int cfs_fill_attr(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
		  struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_gid = fs->admin_gid;
	st->st_blksize = 4096;
	int64_t t = m->reg.root->mtime_ns;
	int r;
	switch (n->type) {
	case CFS_NODE_FIXED:
		r = cfs_coll_kind(n->ino) >= 0 ? cfs_fsobj_stat(m, n, st, &t)
					       : cfs_fsroot_stat(fs, m, n, st, &t);
		break;
	case CFS_NODE_REGKEY:
	case CFS_NODE_REGVAL:
		r = cfs_fsreg_stat(n, st, &t);
		break;
	case CFS_NODE_PARAMS:
	case CFS_NODE_PARAM:
		r = cfs_fsparam_stat(m, n, st, &t);
		break;
	default:
		r = cfs_fsobj_stat(m, n, st, &t);
		break;
	}
	if (r < 0)
		return r;
	st->st_blocks = (st->st_size + 511) / 512;
	set_times(st, t);
	return 0;
}

bool cfs_node_is_dir(const struct cfs_node *n)
{
	switch (n->type) {
	case CFS_NODE_FIXED:
		return n->ino == CFS_INO_ROOT || cfs_coll_kind(n->ino) >= 0;
	case CFS_NODE_OBJDIR:
	case CFS_NODE_MEMBERS:
	case CFS_NODE_REGKEY:
	case CFS_NODE_PARAMS:
		return true;
	default:
		return false;
	}
}

/* Resolves a child name. Returns its inode or 0. */
static uint64_t child_ino(const struct cfs_model *m, const struct cfs_node *p, const char *name)
{
	switch (p->type) {
	case CFS_NODE_FIXED:
		if (p->ino == CFS_INO_ROOT)
			return cfs_fsroot_child(name);
		return cfs_coll_kind(p->ino) >= 0 ? cfs_fsobj_child(m, p, name) : 0;
	case CFS_NODE_OBJDIR:
	case CFS_NODE_MEMBERS:
		return cfs_fsobj_child(m, p, name);
	case CFS_NODE_REGKEY:
		return cfs_fsreg_child(p, name);
	case CFS_NODE_PARAMS:
		return cfs_fsparam_child(m, p, name);
	default:
		return 0;
	}
}

/* Seconds the kernel may keep an entry or attributes of n: every change
 * is invalidated (parameters/ too: cfs_fsparam_map). */
double cfs_node_timeout(const struct cfs_fs *fs, const struct cfs_node *n)
{
	(void)n;
	return fs->timeout;
}

/* The entry of a resolved node c (model read-locked): 0/-errno. */
static int fill_entry(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *c,
		      struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = c->ino;
	e->generation = 1;
	e->attr_timeout = cfs_node_timeout(fs, c);
	e->entry_timeout = e->attr_timeout;
	return cfs_fill_attr(fs, m, c, &e->attr);
}

int cfs_make_entry(struct cfs_fs *fs, uint64_t parent, const char *name,
		   struct fuse_entry_param *e)
{
	struct cfs_engine *en = fs->e;
	cfs_engine_rdlock(en);
	struct cfs_node p, c;
	int r = cfs_resolve(&en->model, parent, &p);
	if (r == 0 && !cfs_node_is_dir(&p))
		r = -ENOTDIR;
	uint64_t ino = r == 0 ? child_ino(&en->model, &p, name) : 0;
	if (r == 0 && !ino)
		r = -ENOENT;
	if (r == 0)
		r = cfs_resolve(&en->model, ino, &c);
	if (r == 0)
		r = fill_entry(fs, &en->model, &c, e);
	cfs_engine_unlock(en);
	return r;
}

/* A plus listing's entry for a child (model read-locked). Ports and the
 * log are looked up by fs_ports*.c under their own lock and never cached,
 * and "." and ".." must take no lookup count: those, and a child that no
 * longer resolves, go with ino 0, name and type only. */
static void plus_entry(struct cfs_fs *fs, const char *name, uint64_t ino, mode_t type,
		       struct fuse_entry_param *e)
{
	struct cfs_node c;
	bool dots = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	if (!dots && !cfs_fsports_owns(ino) && cfs_resolve(&fs->e->model, ino, &c) == 0 &&
	    fill_entry(fs, &fs->e->model, &c, e) == 0)
		return;
	memset(e, 0, sizeof(*e));
	e->attr.st_ino = ino;
	e->attr.st_mode = type;
}

void cfs_dir_add(struct cfs_dirbuf *d, const char *name, uint64_t ino, mode_t type, off_t off)
{
	if (d->each) {
		d->each(d->ud, name, ino, type);
		return;
	}
	if (d->full)
		return;
	size_t need = d->plus ? fuse_add_direntry_plus(d->req, NULL, 0, name, NULL, 0)
			      : fuse_add_direntry(d->req, NULL, 0, name, NULL, 0);
	if (d->len + need > d->size) {
		d->full = true;
		return;
	}
	if (d->plus) {
		struct fuse_entry_param e;
		plus_entry(cfs_fs_of(d->req), name, ino, type, &e);
		fuse_add_direntry_plus(d->req, d->buf + d->len, d->size - d->len, name, &e, off);
	} else {
		struct stat st = {.st_ino = ino, .st_mode = type};
		fuse_add_direntry(d->req, d->buf + d->len, d->size - d->len, name, &st, off);
	}
	d->len += need;
}

size_t cfs_first_from(const struct cfs_vec *v, uint64_t min_id)
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

static uint64_t parent_of(const struct cfs_node *n)
{
	switch (n->type) {
	case CFS_NODE_FIXED:
		return CFS_INO_ROOT;
	case CFS_NODE_OBJDIR:
		return cfs_coll_ino(n->obj->kind);
	case CFS_NODE_MEMBERS:
	case CFS_NODE_PARAMS:
		return cfs_ino(n->key->id, CFS_TAG_OBJDIR);
	case CFS_NODE_REGKEY:
		return n->key->parent ? cfs_ino(n->key->parent->id, CFS_TAG_REGKEY) : CFS_INO_ROOT;
	default:
		return CFS_INO_ROOT;
	}
}

static void list_children(const struct cfs_model *m, const struct cfs_node *n, uint64_t min,
			  struct cfs_dirbuf *d)
{
	switch (n->type) {
	case CFS_NODE_FIXED:
		if (n->ino == CFS_INO_ROOT)
			cfs_fsroot_list(d, min);
		else
			cfs_fsobj_list(m, n, d, min);
		break;
	case CFS_NODE_OBJDIR:
	case CFS_NODE_MEMBERS:
		cfs_fsobj_list(m, n, d, min);
		break;
	case CFS_NODE_REGKEY:
		cfs_fsreg_list(n, d, min);
		break;
	case CFS_NODE_PARAMS:
		cfs_fsparam_list(m, n, d, min);
		break;
	default:
		break;
	}
}

void cfs_node_each_child(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
			 void (*fn)(void *ud, const char *name, uint64_t ino, mode_t type),
			 void *ud)
{
	(void)fs;
	struct cfs_dirbuf d = {.each = fn, .ud = ud};
	list_children(m, n, 0, &d);
}

void cfs_node_list(struct cfs_fs *fs, const struct cfs_node *n, off_t off,
		   struct cfs_dirbuf *d)
{
	const struct cfs_model *m = &fs->e->model;
	if (off < 1)
		cfs_dir_add(d, ".", n->ino, S_IFDIR, 1);
	if (off < 2)
		cfs_dir_add(d, "..", parent_of(n), S_IFDIR, 2);
	uint64_t min = off >= 3 ? (uint64_t)off - 2 : 0; /* first id/slot wanted */
	list_children(m, n, min, d);
}
