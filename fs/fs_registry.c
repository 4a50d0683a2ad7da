/* SPDX-License-Identifier: MIT */
/* registry/: each key is a directory (its mode and owner are the key's
 * security), each value a file showing the value's text form, with the
 * value's type as the extended attribute user.cluster.type.
 *
 * A value file is written like an ordinary file: each write applies the
 * whole text as this writer sees it (the current text, or nothing after
 * O_TRUNC, with the write laid over it at its offset). truncate(2) cuts or
 * zero-extends the text form; a value opened with O_TRUNC and never
 * written becomes empty when its last descriptor closes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs_i.h"
#include "value.h"

#define XATTR_TYPE "user.cluster.type"

int cfs_fsreg_stat(const struct cfs_node *n, struct stat *st, int64_t *ret_mtime)
{
	st->st_uid = n->key->uid;
	st->st_gid = n->key->gid;
	if (n->type == N_REGKEY) {
		st->st_mode = S_IFDIR | n->key->mode;
		st->st_nlink = 2 + n->key->subkeys.n;
		*ret_mtime = n->key->mtime_ns;
		return 0;
	}
	struct cfs_buf b = {0};
	st->st_mode = S_IFREG | (n->key->mode & 0666);
	st->st_nlink = 1;
	int r = cfs_fsreg_render(n, &b);
	st->st_size = (off_t)b.len;
	cfs_buf_free(&b);
	*ret_mtime = n->val->mtime_ns;
	return r;
}

int cfs_fsreg_render(const struct cfs_node *n, struct cfs_buf *out)
{
	return cfs_value_format(n->val->type, n->val->data, n->val->len, out);
}

uint64_t cfs_fsreg_child(const struct cfs_node *p, const char *name)
{
	struct cfs_key *k = cfs_key_subkey(p->key, name);
	if (k)
		return cfs_ino(k->id, TAG_REGKEY);
	struct cfs_value *v = cfs_key_value(p->key, name);
	return v ? cfs_ino(v->id, TAG_REGVAL) : 0;
}

void cfs_fsreg_list(const struct cfs_node *n, struct cfs_dirbuf *d, uint64_t min)
{
	/* Subkeys and values share the id space: merge by id. */
	const struct cfs_vec *ks = &n->key->subkeys, *vs = &n->key->values;
	size_t i = cfs_first_from(ks, min), j = cfs_first_from(vs, min);
	while (!d->full && (i < ks->n || j < vs->n)) {
		struct cfs_key *k = i < ks->n ? ks->v[i] : NULL;
		struct cfs_value *v = j < vs->n ? vs->v[j] : NULL;
		if (k && (!v || k->id < v->id)) {
			cfs_dir_add(d, k->name, cfs_ino(k->id, TAG_REGKEY), S_IFDIR,
				    CFS_DIR_OFF(k->id));
			i++;
		} else {
			cfs_dir_add(d, v->name, cfs_ino(v->id, TAG_REGVAL), S_IFREG,
				    CFS_DIR_OFF(v->id));
			j++;
		}
	}
}

/* --- value files --- */

void cfs_fsreg_write(fuse_req_t req, uint64_t ino, struct cfs_fh *h, const char *buf,
		     size_t size, off_t off)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_vec cmds = {0};
	struct cfs_buf path = {0};
	char name[CFS_NAME_MAX + 1], type[32];
	struct cfs_pending *p = cfs_pending_new(req, CFS_REPLY_VALUE_WRITE, NULL);
	int r = p ? 0 : -ENOMEM;
	if (r == 0 && (uint64_t)off + size > CFS_VALUE_MAX)
		r = -EFBIG;
	pthread_mutex_lock(&h->lock);
	if (r == 0) {
		struct cfs_node n;
		cfs_engine_rdlock(fs->e);
		r = cfs_resolve(&fs->e->model, ino, &n);
		if (r == 0) {
			snprintf(name, sizeof(name), "%s", n.val->name);
			snprintf(type, sizeof(type), "%s", cfs_regtype_name(n.val->type));
			r = cfs_key_path(n.key, &path);
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
		r = cfs_push_cmd(&cmds, CFS_OP_REG_SET, 4, a, l);
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
			cfs_pending_free(p);
		}
		cfs_free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	p->fh = h;
	p->written = size;
	cfs_pending_set_origin(p, CFS_ORIGIN_WRITE, ino, NULL);
	cfs_pending_submit(req, p, &cmds);
}

/* Not at the first close of a dup: a shell closes one copy of a
 * redirection before it writes through the other. Nothing waits for
 * this: RELEASE has no caller to tell. open(O_TRUNC) raised IN_MODIFY
 * already. */
void cfs_fsreg_truncate_at_release(struct cfs_fs *fs, uint64_t ino)
{
	struct cfs_vec cmds = {0};
	struct cfs_buf path = {0};
	struct cfs_node n;
	char name[CFS_NAME_MAX + 1], type[32];
	cfs_engine_rdlock(fs->e);
	int r = cfs_resolve(&fs->e->model, ino, &n);
	if (r == 0) {
		snprintf(name, sizeof(name), "%s", n.val->name);
		snprintf(type, sizeof(type), "%s", cfs_regtype_name(n.val->type));
		r = cfs_key_path(n.key, &path);
	}
	cfs_engine_unlock(fs->e);
	if (r == 0) {
		const char *a[] = {path.data, name, type, ""};
		r = cfs_push_cmd(&cmds, CFS_OP_REG_SET, 4, a, NULL);
	}
	cfs_buf_free(&path);
	if (r < 0) {
		cfs_free_cmds(&cmds);
		return;
	}
	cfs_pending_submit_detached(fs, ino, &cmds);
}

/* --- command builders (model read-locked) --- */

int cfs_fsreg_mkdir(const struct cfs_node *p, const char *name, mode_t mode,
		    struct cfs_vec *cmds)
{
	struct cfs_buf path = {0};
	char modestr[16];
	snprintf(modestr, sizeof(modestr), "%o", (unsigned)mode);
	int r = cfs_key_path(p->key, &path);
	if (r == 0 && path.len)
		r = cfs_buf_append(&path, "\\", 1);
	if (r == 0)
		r = cfs_buf_puts(&path, name);
	const char *a[] = {path.data, modestr};
	if (r == 0)
		r = cfs_push_cmd(cmds, CFS_OP_REG_CREATE_KEY, 2, a, NULL);
	cfs_buf_free(&path);
	return r;
}

/* A new file is an empty REG_SZ value. */
int cfs_fsreg_mknod(const struct cfs_node *p, const char *name, mode_t mode,
		    struct cfs_vec *cmds)
{
	struct cfs_buf path = {0};
	int r = 0;
	if (!S_ISREG(mode))
		r = -EPERM;
	if (r == 0 && (cfs_key_value(p->key, name) || cfs_key_subkey(p->key, name)))
		r = -EEXIST;
	if (r == 0)
		r = cfs_key_path(p->key, &path);
	const char *a[] = {path.data, name, "REG_SZ", ""};
	if (r == 0)
		r = cfs_push_cmd(cmds, CFS_OP_REG_SET, 4, a, NULL);
	cfs_buf_free(&path);
	return r;
}

int cfs_fsreg_remove(const struct cfs_node *p, const char *name, bool dir, struct cfs_vec *cmds)
{
	struct cfs_buf path = {0};
	struct cfs_key *k = cfs_key_subkey(p->key, name);
	struct cfs_value *v = cfs_key_value(p->key, name);
	int r = 0;
	if (dir && !k)
		r = v ? -ENOTDIR : -ENOENT;
	else if (dir && (k->subkeys.n || k->values.n))
		r = -ENOTEMPTY; /* rmdir(2) removes empty directories only */
	else if (!dir && !v)
		r = k ? -EISDIR : -ENOENT;
	if (r == 0)
		r = cfs_key_path(dir ? k : p->key, &path);
	if (r == 0 && dir) {
		const char *a[] = {path.data};
		r = cfs_push_cmd(cmds, CFS_OP_REG_DELETE_KEY, 1, a, NULL);
	} else if (r == 0) {
		const char *a[] = {path.data, name};
		r = cfs_push_cmd(cmds, CFS_OP_REG_DELETE, 2, a, NULL);
	}
	cfs_buf_free(&path);
	return r;
}

/* Within one key (the caller refuses a move to another). */
int cfs_fsreg_rename(const struct cfs_node *p, const char *name, const char *newname,
		     struct cfs_vec *cmds)
{
	struct cfs_buf path = {0};
	struct cfs_key *k = cfs_key_subkey(p->key, name);
	struct cfs_value *v = cfs_key_value(p->key, name);
	int r = 0;
	if (!k && !v)
		r = -ENOENT;
	else if (cfs_key_subkey(p->key, newname) || cfs_key_value(p->key, newname))
		r = strcmp(name, newname) == 0 ? 0 : -EEXIST;
	if (r == 0)
		r = cfs_key_path(k ? k : p->key, &path);
	if (r == 0 && k) {
		const char *a[] = {path.data, newname};
		r = cfs_push_cmd(cmds, CFS_OP_REG_RENAME_KEY, 2, a, NULL);
	} else if (r == 0) {
		const char *a[] = {path.data, name, newname};
		r = cfs_push_cmd(cmds, CFS_OP_REG_RENAME, 3, a, NULL);
	}
	cfs_buf_free(&path);
	return r;
}

/* chmod/chown of a key set its security; truncate(2) of a value cuts or
 * zero-extends its text form (none when the size is already right). */
int cfs_fsreg_setattr(const struct cfs_node *n, const struct stat *attr, int to_set,
		      struct cfs_vec *cmds)
{
	struct cfs_buf path = {0}, text = {0};
	char name[CFS_NAME_MAX + 1] = "", type[32] = "";
	int r = 0;
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		/* A key's security is the directory's mode and owner. */
		if (n->type != N_REGKEY) {
			r = -EPERM;
		} else {
			char mode[16], uid[16], gid[16];
			snprintf(mode, sizeof(mode), "%o",
				 (unsigned)((to_set & FUSE_SET_ATTR_MODE ? attr->st_mode
									  : n->key->mode) & 07777));
			snprintf(uid, sizeof(uid), "%u",
				 to_set & FUSE_SET_ATTR_UID ? (unsigned)attr->st_uid : n->key->uid);
			snprintf(gid, sizeof(gid), "%u",
				 to_set & FUSE_SET_ATTR_GID ? (unsigned)attr->st_gid : n->key->gid);
			r = cfs_key_path(n->key, &path);
			const char *a[] = {path.data, mode, uid, gid};
			if (r == 0)
				r = cfs_push_cmd(cmds, CFS_OP_REG_SECURITY, 4, a, NULL);
		}
	}
	if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE) && n->type == N_REGVAL) {
		/* truncate(2): the text form cut or zero-extended. */
		snprintf(name, sizeof(name), "%s", n->val->name);
		snprintf(type, sizeof(type), "%s", cfs_regtype_name(n->val->type));
		cfs_buf_reset(&path);
		r = cfs_key_path(n->key, &path);
		if (r == 0)
			r = cfs_value_format(n->val->type, n->val->data, n->val->len, &text);
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
				r = cfs_push_cmd(cmds, CFS_OP_REG_SET, 4, a, l);
		}
	} else if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE)) {
		r = -EISDIR; /* a key */
	}
	cfs_buf_free(&path);
	cfs_buf_free(&text);
	return r;
}

/* --- the type attribute --- */

static bool is_admin(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	if (ctx->uid == 0 || ctx->gid == cfs_fs_of(req)->admin_gid)
		return true;
	gid_t groups[64];
	int n = fuse_req_getgroups(req, 64, groups);
	for (int i = 0; i < n && i < 64; i++)
		if (groups[i] == cfs_fs_of(req)->admin_gid)
			return true;
	return false;
}

void cfs_fsreg_getxattr(fuse_req_t req, uint64_t ino, const char *name, size_t size)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_node n;
	char value[32] = "";
	cfs_engine_rdlock(fs->e);
	int r = cfs_resolve(&fs->e->model, ino, &n);
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

void cfs_fsreg_listxattr(fuse_req_t req, uint64_t ino, size_t size)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_node n;
	cfs_engine_rdlock(fs->e);
	int r = cfs_resolve(&fs->e->model, ino, &n);
	cfs_engine_unlock(fs->e);
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

void cfs_fsreg_setxattr(fuse_req_t req, uint64_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_node n;
	struct cfs_buf path = {0};
	struct cfs_vec cmds = {0};
	char vname[CFS_NAME_MAX + 1] = "", type[32] = "";
	cfs_engine_rdlock(fs->e);
	int r = cfs_resolve(&fs->e->model, ino, &n);
	if (r == 0 && (n.type != N_REGVAL || strcmp(name, XATTR_TYPE) != 0))
		r = -ENOTSUP;
	if (r == 0 && (flags & XATTR_CREATE))
		r = -EEXIST;
	/* A C string's own terminator may come along; any other NUL makes
	 * the name another one (found by scripts/abuse.sh: "REG_SZ\0junk"
	 * converted a value to REG_SZ). */
	if (r == 0 && size && value[size - 1] == '\0')
		size--;
	if (r == 0 && (size == 0 || size >= sizeof(type) || memchr(value, '\0', size)))
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
	const char *a[] = {path.data, vname, type};
	if (r == 0)
		r = cfs_push_cmd(&cmds, CFS_OP_REG_TYPE, 3, a, NULL);
	cfs_buf_free(&path);
	cfs_pending_reply_cmds(req, r, &cmds, CFS_REPLY_ERR, ino, NULL, CFS_ORIGIN_ATTRIB);
}

void cfs_fsreg_removexattr(fuse_req_t req, uint64_t ino, const char *name)
{
	(void)ino;
	/* The type cannot be removed, only changed; nothing else exists. */
	fuse_reply_err(req, strcmp(name, XATTR_TYPE) == 0 ? EPERM : ENODATA);
}
