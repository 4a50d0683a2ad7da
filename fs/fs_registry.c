/* SPDX-License-Identifier: MIT */
/* registry/: each key is a directory (its mode and owner are the key's
 * security), each value a file showing the value's content, with the
 * value's type as the extended attribute user.cluster.type, or a
 * symbolic link (a REG_LINK value).
 *
 * A value file behaves as a file of a local file system would, within
 * what a registry value is (README, "The registry"):
 *  - it shows its text form (value.h), or, for a value made by a file and
 *    never given a type, exactly the bytes written (registry.h,
 *    CFS_VAL_UNTYPED);
 *  - each write applies the whole content as this writer sees it (the
 *    current content, with the write laid over it at its offset) as one
 *    command, all or nothing; a write to a value removed meanwhile goes
 *    nowhere and succeeds;
 *  - open(O_TRUNC) of a value without a type empties it before the open
 *    returns; a value with a type takes a whole value per write instead
 *    (the write that follows replaces it, a refused one changes nothing,
 *    and none empties it at the last close, numbers excepted);
 *    truncate(2) cuts or zero-extends its content;
 *  - it has its own mode and owner once chmod or chown gave it one, and
 *    its key's before;
 *  - rename(2) onto an existing value replaces it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs_i.h"
#include "log.h"
#include "value.h"

#define XATTR_TYPE "user.cluster.type"

int cfs_fsreg_stat(const struct cfs_node *n, struct stat *st, int64_t *ret_mtime)
{
	if (n->type == CFS_NODE_REGKEY) {
		st->st_uid = n->key->uid;
		st->st_gid = n->key->gid;
		st->st_mode = S_IFDIR | n->key->mode;
		st->st_nlink = 2 + n->key->subkeys.n;
		*ret_mtime = n->key->mtime_ns;
		return 0;
	}
	const struct cfs_value *v = n->val;
	st->st_uid = cfs_value_uid(v);
	st->st_gid = cfs_value_gid(v);
	st->st_nlink = 1;
	*ret_mtime = v->mtime_ns;
	if (v->type == CFS_REG_LINK) {
		st->st_mode = S_IFLNK | 0777;
		st->st_size = (off_t)v->len;
		return 0;
	}
	struct cfs_buf b = {0};
	st->st_mode = S_IFREG | cfs_value_mode(v);
	int r = cfs_value_text(v, &b);
	st->st_size = (off_t)b.len;
	cfs_buf_free(&b);
	return r;
}

int cfs_fsreg_render(const struct cfs_node *n, struct cfs_buf *out)
{
	return cfs_value_text(n->val, out);
}

int cfs_fsreg_link_target(const struct cfs_node *n, char *buf, size_t size)
{
	if (n->type != CFS_NODE_REGVAL || n->val->type != CFS_REG_LINK || n->val->len >= size)
		return -EINVAL;
	memcpy(buf, n->val->data, n->val->len);
	buf[n->val->len] = '\0';
	return 0;
}

uint64_t cfs_fsreg_child(const struct cfs_node *p, const char *name)
{
	struct cfs_key *k = cfs_key_subkey(p->key, name);
	if (k)
		return cfs_ino(k->id, CFS_TAG_REGKEY);
	struct cfs_value *v = cfs_key_value(p->key, name);
	return v ? cfs_ino(v->id, CFS_TAG_REGVAL) : 0;
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
			cfs_dir_add(d, k->name, cfs_ino(k->id, CFS_TAG_REGKEY), S_IFDIR,
				    CFS_DIR_OFF(k->id));
			i++;
		} else {
			cfs_dir_add(d, v->name, cfs_ino(v->id, CFS_TAG_REGVAL),
				    v->type == CFS_REG_LINK ? S_IFLNK : S_IFREG,
				    CFS_DIR_OFF(v->id));
			j++;
		}
	}
}

/* "path name ..." commands name a value by its key's path and its name. */
static int value_cmd(struct cfs_vec *cmds, enum cfs_op op, const struct cfs_value *v, int extra,
		     const char *const *args, const size_t *lens)
{
	struct cfs_buf path = {0};
	int r = cfs_key_path(v->key, &path);
	const char *a[7] = {path.data, v->name};
	size_t l[7] = {path.len, strlen(v->name)};
	for (int i = 0; i < extra && i < 5; i++) {
		a[2 + i] = args[i];
		l[2 + i] = lens ? lens[i] : strlen(args[i]);
	}
	if (r == 0)
		r = cfs_push_cmd(cmds, op, 2 + extra, a, l);
	cfs_buf_free(&path);
	return r;
}

/* --- value files --- */

int cfs_write_fits(const struct cfs_fs *fs, off_t off, size_t size, size_t limit)
{
	if (off < 0 || (uint64_t)off + size > limit)
		return -EFBIG;
	return fs->write_piece && size >= fs->write_piece ? -EFBIG : 0;
}

void cfs_fsreg_write(fuse_req_t req, uint64_t ino, struct cfs_fh *h, const char *buf,
		     size_t size, off_t off)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_vec cmds = {0};
	struct cfs_buf path = {0};
	char name[CFS_NAME_MAX + 1] = "";
	struct cfs_pending *p = cfs_pending_new(req, CFS_REPLY_VALUE_WRITE, NULL);
	int r = p ? 0 : -ENOMEM;
	/* The text form may carry one newline more than the stored form. */
	if (r == 0 && (r = cfs_write_fits(fs, off, size, CFS_VALUE_MAX + 1)) < 0)
		cfs_log(LOG_NOTICE, "write refused: a value holds %d bytes, and one write() "
				    "brings it at most %zu",
			CFS_VALUE_MAX, fs->write_piece ? fs->write_piece - 1 : (size_t)CFS_VALUE_MAX);
	pthread_mutex_lock(&h->lock);
	if (r == 0 && !h->gone) {
		struct cfs_node n;
		cfs_engine_rdlock(fs->e);
		int e = cfs_resolve(&fs->e->model, ino, &n);
		if (e == 0) {
			snprintf(name, sizeof(name), "%s", n.val->name);
			r = cfs_key_path(n.key, &path);
			/* The writer's view starts from the current content
			 * unless the file was opened with O_TRUNC. */
			if (r == 0 && !h->staged_loaded) {
				cfs_buf_reset(&h->staged);
				if (!h->trunc_pending)
					r = cfs_value_text(n.val, &h->staged);
				h->staged_loaded = true;
			}
		}
		cfs_engine_unlock(fs->e);
		if (e == -ENOENT) {
			/* Removed while open: what it writes goes nowhere. Its
			 * view stays readable through this descriptor, as an
			 * unlinked file's content does. */
			h->gone = true;
			if (!h->staged_loaded) {
				cfs_buf_reset(&h->staged);
				if (h->snap_taken && !h->trunc_pending)
					r = cfs_buf_append(&h->staged, h->snap.data ? h->snap.data : "",
							   h->snap.len);
				h->staged_loaded = true;
			}
		} else if (r == 0) {
			r = e;
		}
	}
	bool gone = h->gone;
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
	if (r == 0 && !gone) {
		const char *a[] = {path.data, name, h->staged.data ? h->staged.data : ""};
		size_t l[] = {path.len, strlen(name), h->staged.len};
		r = cfs_push_cmd(&cmds, CFS_OP_REG_WRITE, 3, a, l);
	}
	if (r < 0 && p && (p->restore.data || p->restore.len)) {
		/* Nothing is submitted: put the writer's view back. */
		cfs_buf_reset(&h->staged);
		cfs_buf_append(&h->staged, p->restore.data, p->restore.len);
	}
	pthread_mutex_unlock(&h->lock);
	cfs_buf_free(&path);
	if (r < 0 || gone) {
		cfs_pending_free(p);
		cfs_free_cmds(&cmds);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_write(req, size);
		return;
	}
	p->fh = h;
	p->written = size;
	cfs_pending_set_origin(p, CFS_ORIGIN_WRITE, ino, NULL);
	cfs_pending_submit(req, p, &cmds);
}

int cfs_fsreg_open_trunc(const struct cfs_node *n, bool *ret_pending, struct cfs_vec *cmds)
{
	const struct cfs_value *v = n->val;
	if (v->type == CFS_REG_LINK)
		return 0;
	if (!(v->flags & CFS_VAL_UNTYPED)) {
		/* A value with a type takes a whole value per write: this
		 * writer's view starts empty, and a write that does not parse
		 * changes nothing (cfs_fsreg_truncate_at_release: none). */
		*ret_pending = true;
		return 0;
	}
	if (v->len == 0 && (v->flags & CFS_VAL_NOEOL))
		return 0; /* already empty */
	const char *a[] = {"0"};
	return value_cmd(cmds, CFS_OP_REG_TRUNCATE, v, 1, a, NULL);
}

/* Nothing waits for this: RELEASE has no caller to tell (and it is not
 * the first close of a dup: a shell closes one copy of a redirection
 * before it writes through the other). open(O_TRUNC) raised IN_MODIFY
 * already. A number, which cannot be empty, stays as it was. */
void cfs_fsreg_truncate_at_release(struct cfs_fs *fs, uint64_t ino)
{
	struct cfs_vec cmds = {0};
	struct cfs_node n;
	const char *a[] = {"0"};
	cfs_engine_rdlock(fs->e);
	int r = cfs_resolve(&fs->e->model, ino, &n);
	if (r == 0 && n.val->type != CFS_REG_DWORD && n.val->type != CFS_REG_QWORD)
		r = value_cmd(&cmds, CFS_OP_REG_TRUNCATE, n.val, 1, a, NULL);
	cfs_engine_unlock(fs->e);
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
	/* A name is never a path: reg-create-key takes one, so a name that
	 * would read as one is refused here, before it is joined. */
	int r = cfs_reg_check_name(name, true);
	if (r < 0)
		return r;
	struct cfs_buf path = {0};
	char modestr[16];
	snprintf(modestr, sizeof(modestr), "%o", (unsigned)mode);
	r = cfs_key_path(p->key, &path);
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

static int key_cmd(struct cfs_vec *cmds, enum cfs_op op, const struct cfs_key *k, int argc,
		   const char *const *args, const size_t *lens)
{
	struct cfs_buf path = {0};
	int r = cfs_key_path(k, &path);
	const char *a[5] = {path.data};
	size_t l[5] = {path.len};
	for (int i = 0; i < argc && i < 4; i++) {
		a[1 + i] = args[i];
		l[1 + i] = lens ? lens[i] : strlen(args[i]);
	}
	if (r == 0)
		r = cfs_push_cmd(cmds, op, 1 + argc, a, l);
	cfs_buf_free(&path);
	return r;
}

/* A new file is an empty value without a type. */
int cfs_fsreg_mknod(const struct cfs_node *p, const char *name, mode_t mode,
		    struct cfs_vec *cmds)
{
	if (!S_ISREG(mode))
		return -EPERM; /* devices, fifos and sockets have no value */
	if (cfs_key_value(p->key, name) || cfs_key_subkey(p->key, name))
		return -EEXIST;
	const char *a[] = {name};
	return key_cmd(cmds, CFS_OP_REG_CREATE, p->key, 1, a, NULL);
}

int cfs_fsreg_symlink(const struct cfs_node *p, const char *name, const char *target,
		      struct cfs_vec *cmds)
{
	if (cfs_key_value(p->key, name) || cfs_key_subkey(p->key, name))
		return -EEXIST;
	const char *a[] = {name, target};
	return key_cmd(cmds, CFS_OP_REG_LINK, p->key, 2, a, NULL);
}

int cfs_fsreg_remove(const struct cfs_node *p, const char *name, bool dir, struct cfs_vec *cmds)
{
	struct cfs_key *k = cfs_key_subkey(p->key, name);
	struct cfs_value *v = cfs_key_value(p->key, name);
	if (dir && !k)
		return v ? -ENOTDIR : -ENOENT;
	if (dir && (k->subkeys.n || k->values.n))
		return -ENOTEMPTY; /* rmdir(2) removes empty directories only */
	if (!dir && !v)
		return k ? -EISDIR : -ENOENT;
	if (dir)
		return key_cmd(cmds, CFS_OP_REG_DELETE_KEY, k, 0, NULL, NULL);
	const char *a[] = {name};
	return key_cmd(cmds, CFS_OP_REG_DELETE, p->key, 1, a, NULL);
}

int cfs_fsreg_rename(const struct cfs_node *p, const char *name, const char *newname,
		     unsigned flags, struct cfs_vec *cmds)
{
	struct cfs_key *k = cfs_key_subkey(p->key, name);
	struct cfs_value *v = cfs_key_value(p->key, name);
	struct cfs_key *tk = cfs_key_subkey(p->key, newname);
	struct cfs_value *tv = cfs_key_value(p->key, newname);
	if (!k && !v)
		return -ENOENT;
	if (strcmp(name, newname) == 0)
		return 0; /* rename(2) of a name onto itself does nothing */
	bool exists = tk || tv;
	if (exists && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	/* rename(2)'s rules for what it would replace. */
	if (exists && k && tv)
		return -ENOTDIR;
	if (exists && v && tk)
		return -EISDIR;
	if (exists && k && (tk->subkeys.n || tk->values.n))
		return -ENOTEMPTY;
	const char *a[] = {name, newname, "replace"};
	if (k)
		return key_cmd(cmds, CFS_OP_REG_RENAME_KEY, k, exists ? 2 : 1, a + 1, NULL);
	return key_cmd(cmds, CFS_OP_REG_RENAME, p->key, exists ? 3 : 2, a, NULL);
}

/* chmod/chown of a key set its security, of a value its own (a REG_LINK's
 * owner only: a link's mode means nothing); truncate(2) of a value cuts
 * or zero-extends its content. Times are the cluster's (the last
 * change's): setting them changes nothing. */
int cfs_fsreg_setattr(const struct cfs_node *n, const struct stat *attr, int to_set,
		      struct cfs_vec *cmds)
{
	int r = 0;
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uint32_t mode = n->type == CFS_NODE_REGKEY ? n->key->mode : cfs_value_mode(n->val);
		uint32_t uid = n->type == CFS_NODE_REGKEY ? n->key->uid : cfs_value_uid(n->val);
		uint32_t gid = n->type == CFS_NODE_REGKEY ? n->key->gid : cfs_value_gid(n->val);
		char m[16], u[16], g[16];
		snprintf(m, sizeof(m), "%o",
			 (unsigned)((to_set & FUSE_SET_ATTR_MODE ? attr->st_mode : mode) & 07777));
		snprintf(u, sizeof(u), "%u", to_set & FUSE_SET_ATTR_UID ? (unsigned)attr->st_uid : uid);
		snprintf(g, sizeof(g), "%u", to_set & FUSE_SET_ATTR_GID ? (unsigned)attr->st_gid : gid);
		const char *a[] = {m, u, g};
		r = n->type == CFS_NODE_REGKEY
			    ? key_cmd(cmds, CFS_OP_REG_SECURITY, n->key, 3, a, NULL)
			    : value_cmd(cmds, CFS_OP_REG_VALUE_SECURITY, n->val, 3, a, NULL);
	}
	if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE)) {
		char size[32];
		snprintf(size, sizeof(size), "%lld", (long long)attr->st_size);
		const char *a[] = {size};
		if (n->type == CFS_NODE_REGKEY)
			r = -EISDIR;
		else if (attr->st_size > CFS_VALUE_MAX)
			r = -EFBIG;
		else
			r = value_cmd(cmds, CFS_OP_REG_TRUNCATE, n->val, 1, a, NULL);
	}
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
	if (r == 0 && (n.type != CFS_NODE_REGVAL || strcmp(name, XATTR_TYPE) != 0))
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
	size_t len = r == 0 && n.type == CFS_NODE_REGVAL ? sizeof(XATTR_TYPE) : 0;
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
	if (r == 0 && (n.type != CFS_NODE_REGVAL || strcmp(name, XATTR_TYPE) != 0))
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
	if (r == 0 && !is_admin(req) && fuse_req_ctx(req)->uid != cfs_value_uid(n.val))
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
