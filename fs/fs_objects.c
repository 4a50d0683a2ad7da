/* SPDX-License-Identifier: MIT */
/* The cluster's objects: the collections at the root (nodes/, groups/,
 * resources/, resourcetypes/, networks/, netinterfaces/), one directory
 * per object holding its files (fs_attrs.c says which and how they read
 * and write), a group's resources/ directory of links to its members, and
 * the collection changes a directory operation can make (mkdir, rmdir,
 * rename). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "log.h"

/* A member link's target, from groups/G/resources/. */
#define MEMBER_TARGET "../../../resources/"

/* Slot of a group's resources/ directory in its listing (after the
 * files' slots). */
#define MEMBERS_SLOT 60
/* Slot of a resource's parameters/ directory. */
#define PARAMS_SLOT 61

int cfs_fsobj_stat(const struct cfs_model *m, const struct cfs_node *n, struct stat *st,
		   int64_t *ret_mtime)
{
	switch (n->type) {
	case CFS_NODE_FIXED: {
		enum cfs_kind k = cfs_coll_kind(n->ino);
		bool writable = k == CFS_KIND_GROUP || k == CFS_KIND_RESOURCE ||
				k == CFS_KIND_RESTYPE || k == CFS_KIND_NODE;
		st->st_mode = S_IFDIR | (writable ? 0775 : 0555);
		st->st_nlink = 2 + cfs_model_count(m, k);
		*ret_mtime = m->coll[k]->mtime_ns;
		return 0;
	}
	case CFS_NODE_OBJDIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = n->obj->kind == CFS_KIND_GROUP || n->obj->kind == CFS_KIND_RESOURCE
				       ? 3
				       : 2;
		*ret_mtime = cfs_key_values_mtime(n->key);
		return 0;
	case CFS_NODE_MEMBERS:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		*ret_mtime = cfs_key_values_mtime(n->key);
		return 0;
	case CFS_NODE_MEMBER:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)(strlen(MEMBER_TARGET) + strlen(n->obj->name));
		*ret_mtime = n->key->mtime_ns;
		return 0;
	case CFS_NODE_ATTR: {
		struct cfs_buf b = {0};
		st->st_mode = S_IFREG | (n->spec->writable ? 0664 : 0444);
		st->st_nlink = 1;
		int r = cfs_fsobj_render(m, n, &b);
		st->st_size = (off_t)b.len;
		cfs_buf_free(&b);
		*ret_mtime = cfs_key_values_mtime(n->key);
		return r;
	}
	default:
		return -ENOENT;
	}
}

int cfs_fsobj_render(const struct cfs_model *m, const struct cfs_node *n, struct cfs_buf *out)
{
	return n->spec->render(m, n->obj, out);
}

uint64_t cfs_fsobj_child(const struct cfs_model *m, const struct cfs_node *p, const char *name)
{
	switch (p->type) {
	case CFS_NODE_FIXED: {
		struct cfs_object *o = cfs_model_by_name(m, cfs_coll_kind(p->ino), name);
		return o ? cfs_ino(o->key->id, CFS_TAG_OBJDIR) : 0;
	}
	case CFS_NODE_OBJDIR: {
		const struct cfs_attr_spec *s = cfs_attr_specs(p->obj->kind);
		for (unsigned i = 0; s && s[i].name; i++)
			if (strcmp(s[i].name, name) == 0)
				return cfs_ino(p->key->id, CFS_TAG_ATTR + i);
		if (p->obj->kind == CFS_KIND_GROUP && strcmp(name, "resources") == 0)
			return cfs_ino(p->key->id, CFS_TAG_MEMBERS);
		if (p->obj->kind == CFS_KIND_RESOURCE && strcmp(name, "parameters") == 0)
			return cfs_ino(p->key->id, CFS_TAG_PARAMS);
		return 0;
	}
	case CFS_NODE_MEMBERS: {
		struct cfs_object *r = cfs_model_by_name(m, CFS_KIND_RESOURCE, name);
		if (r && cfs_vec_find(&p->obj->members, r) >= 0)
			return cfs_ino(r->key->id, CFS_TAG_MEMBER);
		return 0;
	}
	default:
		return 0;
	}
}

void cfs_fsobj_list(const struct cfs_model *m, const struct cfs_node *n, struct cfs_dirbuf *d,
		    uint64_t min)
{
	switch (n->type) {
	case CFS_NODE_FIXED: {
		struct cfs_key *c = m->coll[cfs_coll_kind(n->ino)];
		for (size_t i = cfs_first_from(&c->subkeys, min); i < c->subkeys.n; i++) {
			struct cfs_key *k = c->subkeys.v[i];
			if (k->obj)
				cfs_dir_add(d, k->obj->name, cfs_ino(k->id, CFS_TAG_OBJDIR), S_IFDIR,
					    CFS_DIR_OFF(k->id));
		}
		break;
	}
	case CFS_NODE_OBJDIR: {
		const struct cfs_attr_spec *s = cfs_attr_specs(n->obj->kind);
		for (unsigned i = 0; s && s[i].name; i++)
			if (i >= min)
				cfs_dir_add(d, s[i].name, cfs_ino(n->key->id, CFS_TAG_ATTR + i),
					    S_IFREG, CFS_DIR_OFF(i));
		if (n->obj->kind == CFS_KIND_GROUP && min <= MEMBERS_SLOT)
			cfs_dir_add(d, "resources", cfs_ino(n->key->id, CFS_TAG_MEMBERS), S_IFDIR,
				    CFS_DIR_OFF(MEMBERS_SLOT));
		if (n->obj->kind == CFS_KIND_RESOURCE && min <= PARAMS_SLOT)
			cfs_dir_add(d, "parameters", cfs_ino(n->key->id, CFS_TAG_PARAMS), S_IFDIR,
				    CFS_DIR_OFF(PARAMS_SLOT));
		break;
	}
	case CFS_NODE_MEMBERS: {
		const struct cfs_vec *v = &n->obj->members;
		for (size_t i = 0; i < v->n; i++) {
			struct cfs_object *r = v->v[i];
			if (r->key->id >= min)
				cfs_dir_add(d, r->name, cfs_ino(r->key->id, CFS_TAG_MEMBER), S_IFLNK,
					    CFS_DIR_OFF(r->key->id));
		}
		break;
	}
	default:
		break;
	}
}

void cfs_fsobj_link_target(const struct cfs_node *n, char *buf, size_t size)
{
	snprintf(buf, size, MEMBER_TARGET "%s", n->obj->name);
}

/* Lists and free text accumulate what one open writes (cfs_attr_spec);
 * other files take each write as the whole new value. */
void cfs_fsobj_write(fuse_req_t req, uint64_t ino, struct cfs_fh *h, const char *buf,
		     size_t size)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_vec cmds = {0};
	const char *why = NULL;
	char *text = NULL;
	int r = memchr(buf, '\0', size) ? -EINVAL : 0;
	struct cfs_node n;
	size_t kept = 0;
	bool acc = false;
	cfs_engine_rdlock(fs->e);
	if (r == 0)
		r = cfs_resolve(&fs->e->model, ino, &n);
	acc = r == 0 && n.type == CFS_NODE_ATTR && n.spec->accumulate;
	cfs_engine_unlock(fs->e);
	/* All or nothing: a write that would take the text past a value's
	 * limit, or that may be a piece of a longer write(), is refused
	 * before anything is applied (cfs_write_fits). */
	if (r == 0 && acc) {
		pthread_mutex_lock(&h->lock);
		kept = h->staged.len;
		if ((r = cfs_write_fits(fs, (off_t)kept, size, CFS_VALUE_MAX + 1)) < 0)
			why = "a value holds at most 1 MiB, and one write() a little less";
		if (r == 0)
			r = cfs_buf_append(&h->staged, buf, size);
		if (r == 0 && !(text = cfs_strndup(h->staged.data, h->staged.len)))
			r = -ENOMEM;
		if (r == 0)
			h->trunc_pending = false;
		pthread_mutex_unlock(&h->lock);
	} else if (r == 0 && (r = cfs_write_fits(fs, 0, size, CFS_VALUE_MAX + 1)) < 0) {
		why = "a value holds at most 1 MiB, and one write() a little less";
	} else if (r == 0 && !(text = cfs_strndup(buf, size))) {
		r = -ENOMEM;
	}
	if (r == 0) {
		cfs_engine_rdlock(fs->e);
		r = cfs_resolve(&fs->e->model, ino, &n);
		if (r == 0)
			r = n.spec->write ? n.spec->write(&fs->e->model, n.obj, text, &cmds, &why)
					  : -EACCES;
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
		cfs_free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	cfs_pending_reply_write(req, ino, &cmds, size);
}

int cfs_fsobj_truncate(const struct cfs_model *m, const struct cfs_node *n, off_t size, off_t cur,
		       struct cfs_vec *cmds)
{
	if (size == cur)
		return 0; /* it has that size: nothing to do */
	bool writable = n->type == CFS_NODE_ATTR ? n->spec->writable
					  : n->ino == CFS_INO_NAME || n->ino == CFS_INO_CONTROL;
	if (!writable)
		return -EACCES;
	if (size > CFS_VALUE_MAX)
		return -EFBIG;
	/* A list or free text can be emptied (a list then shows nothing, free
	 * text its one empty line). Other files hold one value, which
	 * cannot be cut: a state word or a name cut short is not a value. */
	if (size == 0 && n->type == CFS_NODE_ATTR && n->spec->accumulate) {
		const char *why = NULL;
		int r = n->spec->write(m, n->obj, "", cmds, &why);
		if (r < 0)
			cfs_log(LOG_NOTICE, "truncate refused: %s", why ? why : strerror(-r));
		return r;
	}
	cfs_log(LOG_NOTICE, "truncate refused: this file holds a whole value; a list or a "
			    "description can be emptied");
	return -EINVAL;
}

void cfs_fsobj_truncate_at_release(struct cfs_fs *fs, uint64_t ino)
{
	struct cfs_vec cmds = {0};
	struct cfs_node n;
	const char *why = NULL;
	cfs_engine_rdlock(fs->e);
	int r = cfs_resolve(&fs->e->model, ino, &n);
	if (r == 0 && n.type == CFS_NODE_ATTR && n.spec->accumulate && n.spec->write)
		r = n.spec->write(&fs->e->model, n.obj, "", &cmds, &why);
	cfs_engine_unlock(fs->e);
	if (r < 0) {
		cfs_free_cmds(&cmds);
		return;
	}
	cfs_pending_submit_detached(fs, ino, &cmds);
}

int cfs_fsobj_mkdir(uint64_t parent, const char *name, struct cfs_vec *cmds)
{
	const char *a[] = {name};
	if (parent == CFS_INO_GROUPS)
		return cfs_push_cmd(cmds, CFS_OP_GROUP_CREATE, 1, a, NULL);
	if (parent == CFS_INO_RESTYPES)
		return cfs_push_cmd(cmds, CFS_OP_TYPE_CREATE, 1, a, NULL);
	cfs_log(LOG_NOTICE, "mkdir %s: create %s through the control file", name,
		parent == CFS_INO_RESOURCES ? "resources (resource-create NAME TYPE GROUP)"
					    : "this kind of object");
	return -EPERM;
}

int cfs_fsobj_remove(uint64_t parent, const char *name, bool dir, struct cfs_vec *cmds)
{
	const char *a[] = {name};
	enum cfs_op op;
	if (!dir)
		return -EPERM; /* object files are not removable */
	switch (cfs_coll_kind(parent)) {
	case CFS_KIND_GROUP:
		op = CFS_OP_GROUP_DELETE;
		break;
	case CFS_KIND_RESOURCE:
		op = CFS_OP_RES_DELETE;
		break;
	case CFS_KIND_RESTYPE:
		op = CFS_OP_TYPE_DELETE;
		break;
	case CFS_KIND_NODE:
		op = CFS_OP_NODE_EVICT;
		break;
	default:
		return -EPERM;
	}
	return cfs_push_cmd(cmds, op, 1, a, NULL);
}

int cfs_fsobj_rename(uint64_t parent, const char *name, const char *newname,
		     struct cfs_vec *cmds)
{
	const char *a[] = {name, newname};
	enum cfs_op op;
	switch (cfs_coll_kind(parent)) {
	case CFS_KIND_GROUP:
		op = CFS_OP_GROUP_RENAME;
		break;
	case CFS_KIND_RESOURCE:
		op = CFS_OP_RES_RENAME;
		break;
	case CFS_KIND_NETWORK:
		op = CFS_OP_NET_RENAME;
		break;
	default:
		return -EPERM;
	}
	return cfs_push_cmd(cmds, op, 2, a, NULL);
}
