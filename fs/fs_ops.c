/* SPDX-License-Identifier: MIT */
/* The low-level FUSE handlers: each resolves the inode (fs_inode.h) and
 * dispatches on its type to the file of its subtree (fs_i.h lists them).
 *
 * Rules every handler follows:
 *  - Reads take the engine's read lock, resolve the inode and reply; they
 *    never block on anything else.
 *  - Changes are turned into commands and submitted to the engine; the
 *    handler returns at once and the reply is sent from the engine's
 *    committer thread once the change is durable or refused (fs_pending.c).
 *  - Each request gets exactly one reply.
 *  - Handlers never touch the mount and never call fuse_lowlevel_notify_*;
 *    cache invalidation and inotify events are the notifier's
 *    (fs_notify.c), whose own requests get the view it needs here. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_i.h"
#include "fs_ports.h"

/* --- the open-file list --- */

/* Files still open when the session ends are never released: destroy
 * frees them. */
struct cfs_fh *cfs_fh_new(struct cfs_fs *fs, enum cfs_fh_kind kind, uint64_t ino)
{
	struct cfs_fh *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->kind = kind;
	h->ino = ino;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_lock(&fs->fh_lock);
	h->next = fs->fh_open;
	if (fs->fh_open)
		fs->fh_open->prev = h;
	fs->fh_open = h;
	pthread_mutex_unlock(&fs->fh_lock);
	return h;
}

void cfs_fh_free(struct cfs_fs *fs, struct cfs_fh *h)
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

static struct cfs_fh *fh_of(const struct fuse_file_info *fi)
{
	return (struct cfs_fh *)(uintptr_t)fi->fh;
}

static int resolve_locked(struct cfs_fs *fs, fuse_ino_t ino, struct cfs_node *n)
{
	return cfs_resolve(&fs->e->model, ino, n);
}

/* The attributes of a value removed while a descriptor still has it
 * open (fstat of an unlinked file): no link, the size of what that
 * descriptor still reads. False when no descriptor has it. */
static bool gone_attr(struct cfs_fs *fs, uint64_t ino, struct stat *st)
{
	bool found = false;
	if (cfs_ino_tag(ino) != CFS_TAG_REGVAL || ino < CFS_INO_FIXED_END)
		return false;
	pthread_mutex_lock(&fs->fh_lock);
	for (struct cfs_fh *h = fs->fh_open; h && !found; h = h->next) {
		if (h->kind != CFS_FH_VALUE || h->ino != ino)
			continue;
		memset(st, 0, sizeof(*st));
		st->st_ino = ino;
		st->st_mode = S_IFREG | 0600;
		st->st_blksize = 4096;
		pthread_mutex_lock(&h->lock);
		st->st_size = (off_t)(h->staged_loaded ? h->staged.len : h->snap.len);
		pthread_mutex_unlock(&h->lock);
		found = true;
	}
	pthread_mutex_unlock(&fs->fh_lock);
	return found;
}

/* Resolves ino under the read lock (for the type: an inode number's type
 * never changes, and the subtree checks again what it needs). */
static int resolve(struct cfs_fs *fs, fuse_ino_t ino, struct cfs_node *n)
{
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, n);
	cfs_engine_unlock(fs->e);
	return r;
}

/* --- the notifier's view (fs_notify.h) --- */

/* The file type an inode number stands for (fs_inode.h). */
static mode_t ino_mode(uint64_t ino)
{
	if (ino < CFS_INO_FIXED_END)
		return ino == CFS_INO_ROOT || cfs_coll_kind(ino) >= 0 ? S_IFDIR | 0555
								      : S_IFREG | 0444;
	switch (cfs_ino_tag(ino)) {
	case CFS_TAG_REGKEY:
	case CFS_TAG_OBJDIR:
	case CFS_TAG_MEMBERS:
		return S_IFDIR | 0555;
	case CFS_TAG_MEMBER:
		return S_IFLNK | 0777;
	default:
		return S_IFREG | 0444;
	}
}

/* What the notifier sees of a name it is about to remove or rename away:
 * the old inode, not cached. */
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

/* The notifier creating what already exists: reply with it. */
static bool self_create(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (!cfs_notify_is_self(fs, req))
		return false;
	struct fuse_entry_param e;
	int r = cfs_make_entry(fs, parent, name, &e);
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
	if (!cfs_notify_is_self(cfs_fs_of(req), req))
		return false;
	fuse_reply_err(req, 0);
	return true;
}

/* --- lookups and attributes --- */

static void cfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct cfs_fs *fs = cfs_fs_of(req);
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
	int r = cfs_make_entry(fs, parent, name, &e);
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

/* Replies with the current attributes of ino, cached by the kernel for
 * the node's timeout, or not at all (cache false). */
static void reply_attr(fuse_req_t req, fuse_ino_t ino, bool cache)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (cfs_fsports_owns(ino)) {
		cfs_fsports_getattr(req, ino);
		return;
	}
	struct cfs_node n;
	struct stat st;
	double timeout = 0;
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0)
		r = cfs_fill_attr(fs, &fs->e->model, &n, &st);
	if (r == 0 && cache)
		timeout = cfs_node_timeout(fs, &n);
	cfs_engine_unlock(fs->e);
	if (r == -ENOENT && gone_attr(fs, ino, &st)) {
		fuse_reply_attr(req, &st, 0);
		return;
	}
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
		fuse_reply_attr(req, &st, timeout);
}

static void cfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	reply_attr(req, ino, true);
}

/* Object files: a truncate(2) to their size changes nothing; a list or
 * free text can be emptied; anything else is refused
 * (cfs_fsobj_truncate). The times are the cluster's (each file's last
 * change): setting them changes nothing, and the reply shows them. */
/* Every reply here leaves the kernel's attributes uncached (timeout 0):
 * the kernel takes a SETATTR reply's attributes, size included, without
 * the check it makes on a GETATTR reply against an invalidation that
 * overtook it. A reply made before a later commit but read by the kernel
 * after that commit's invalidation would otherwise pin the old size for
 * the cache timeout (seen as a read cut to the old size; the notifier's
 * own truncations, fs_replay.c, race with every commit). The next stat
 * asks the daemon. */
static void cfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			struct fuse_file_info *fi)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_node n;
	struct cfs_vec cmds = {0};
	if (cfs_notify_is_self(fs, req) && !cfs_notify_self_target(fs, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (cfs_notify_is_self(fs, req) || cfs_fsports_owns(ino)) {
		/* An acknowledgement (the notifier's), or a port file or the log,
		 * whose truncation and times mean nothing: current attributes. */
		reply_attr(req, ino, false);
		return;
	}
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0 && (n.type == CFS_NODE_REGKEY || n.type == CFS_NODE_REGVAL)) {
		r = cfs_fsreg_setattr(&n, attr, to_set, &cmds);
	} else if (r == 0 &&
		   (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))) {
		r = -EPERM; /* only keys and values have a security */
	} else if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE)) {
		struct stat cur;
		if (cfs_node_is_dir(&n))
			r = -EISDIR;
		else if ((r = cfs_fill_attr(fs, &fs->e->model, &n, &cur)) < 0)
			;
		else if (n.type == CFS_NODE_PARAM)
			r = cfs_fsparam_truncate(&fs->e->model, &n, attr->st_size, cur.st_size, &cmds);
		else
			r = cfs_fsobj_truncate(&fs->e->model, &n, attr->st_size, cur.st_size, &cmds);
	}
	cfs_engine_unlock(fs->e);
	if (r < 0) {
		cfs_free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	if (cmds.n == 0) {
		cfs_vec_free(&cmds);
		struct stat st;
		cfs_engine_rdlock(fs->e);
		r = resolve_locked(fs, ino, &n);
		if (r == 0)
			r = cfs_fill_attr(fs, &fs->e->model, &n, &st);
		cfs_engine_unlock(fs->e);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_attr(req, &st, 0);
		return;
	}
	/* Reply with the new attributes once committed. */
	cfs_pending_reply_cmds(req, 0, &cmds, CFS_REPLY_ATTR, ino, NULL,
			       to_set & FUSE_SET_ATTR_SIZE ? CFS_ORIGIN_WRITE : CFS_ORIGIN_ATTRIB);
}

/* fallocate(2) is how the notifier raises IN_MODIFY on a file it changes
 * nothing of (fs_replay.c): with FALLOC_FL_KEEP_SIZE the kernel neither
 * takes a size from the answer nor keeps its cached attributes, where a
 * truncation to the file's size would have the kernel set the size the
 * answer carried, stale when a later commit overtook it. Files here are
 * not storage: anyone else is refused. */
static void cfs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
			  struct fuse_file_info *fi)
{
	(void)offset;
	(void)length;
	(void)fi;
	struct cfs_fs *fs = cfs_fs_of(req);
	if (!cfs_notify_is_self(fs, req) || mode != FALLOC_FL_KEEP_SIZE)
		fuse_reply_err(req, EOPNOTSUPP);
	else if (!cfs_notify_self_target(fs, ino))
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_err(req, 0);
}

static void cfs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_node n;
	char target[CFS_LINK_MAX + 1];
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0 && n.type == CFS_NODE_REGVAL)
		r = cfs_fsreg_link_target(&n, target, sizeof(target));
	else if (r == 0 && n.type != CFS_NODE_MEMBER)
		r = -EINVAL;
	else if (r == 0)
		cfs_fsobj_link_target(&n, target, sizeof(target));
	cfs_engine_unlock(fs->e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, target);
}

/* --- directories --- */

static void cfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_node n;
	if (fs->no_opendir) {
		/* Listings need no open state (their offsets are stable), and a
		 * directory gone meanwhile fails its READDIR with ENOENT. The
		 * kernel caches every listing then: ports/ shows a new mtime at
		 * each look (fs_ports_dir.c), so its cache never holds. */
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (cfs_fsports_owns(ino)) {
		/* Port listings change with other processes' mkdir: no cache. */
		if (cfs_fsports_owns_dir(ino))
			fuse_reply_open(req, fi);
		else
			fuse_reply_err(req, ENOTDIR);
		return;
	}
	int r = resolve(fs, ino, &n);
	if (r == 0 && !cfs_node_is_dir(&n))
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

/* READDIR, or READDIRPLUS (plus): the entries with what a LOOKUP of each
 * would answer, all read under one hold of the read lock, so that an
 * `ls -l` costs one round trip per listing instead of one per entry. A
 * commit after the hold invalidates as it does after a LOOKUP: the kernel
 * drops attributes older than an invalidation (attr_version), and an
 * entry invalidation waits for the directory's lock, which the listing
 * holds until its reply is taken in. */
static void list_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (cfs_fsports_owns_dir(ino)) {
		cfs_fsports_readdir(req, ino, size, off, plus);
		return;
	}
	struct cfs_dirbuf d = {.req = req, .size = size, .plus = plus};
	d.buf = malloc(size ? size : 1);
	if (!d.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	struct cfs_node n;
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0)
		cfs_node_list(fs, &n, off, &d);
	cfs_engine_unlock(fs->e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, d.buf, d.len);
	free(d.buf);
}

static void cfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	(void)fi;
	list_dir(req, ino, size, off, false);
}

static void cfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			    struct fuse_file_info *fi)
{
	(void)fi;
	list_dir(req, ino, size, off, true);
}

/* --- files --- */

static void cfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	struct cfs_node n;
	if (cfs_notify_is_self(fs, req)) {
		/* The notifier's open+ftruncate+close raises IN_MODIFY and
		 * IN_CLOSE_WRITE; it changes nothing and caches nothing. */
		if (!cfs_notify_self_target(fs, ino)) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		struct cfs_fh *h = cfs_fh_new(fs, CFS_FH_SELF, ino);
		if (!h) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
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
	struct cfs_vec cmds = {0};
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, ino, &n);
	if (r == 0 && n.type != CFS_NODE_REGVAL && n.type != CFS_NODE_ATTR && n.type != CFS_NODE_FIXED &&
	    n.type != CFS_NODE_PARAM)
		r = -EISDIR;
	if (r == 0 && n.type == CFS_NODE_FIXED && (ino == CFS_INO_ROOT || cfs_coll_kind(ino) >= 0))
		r = -EISDIR;
	if (r == 0 && (fi->flags & O_ACCMODE) != O_RDONLY) {
		if ((n.type == CFS_NODE_ATTR && !n.spec->writable) ||
		    (n.type == CFS_NODE_FIXED && ino != CFS_INO_NAME && ino != CFS_INO_CONTROL))
			r = -EACCES;
	}
	if (r == 0 && ino == CFS_INO_CONTROL && (fi->flags & O_ACCMODE) != O_WRONLY)
		r = -EACCES;
	enum cfs_fh_kind kind = n.type == CFS_NODE_REGVAL ? CFS_FH_VALUE
				: n.type == CFS_NODE_ATTR ? CFS_FH_ATTR
				: n.type == CFS_NODE_PARAM ? CFS_FH_PARAM
				: ino == CFS_INO_CONTROL ? CFS_FH_CONTROL
							 : CFS_FH_FIXED;
	/* O_TRUNC (passed with the open: FUSE_CAP_ATOMIC_O_TRUNC): a value
	 * without a type is empty before the open returns; a value with a
	 * type, a list or free text is replaced by what this open writes, or
	 * emptied at its last close if it writes nothing; other object files
	 * take the write that follows as their whole new value. A value's
	 * content as it is at open is what this descriptor still reads if
	 * the value is removed or replaced while it is open, as an unlinked
	 * file's content stays readable. */
	struct cfs_buf snap = {0};
	bool snap_taken = false, trunc_pending = false;
	if (r == 0 && kind == CFS_FH_VALUE)
		snap_taken = cfs_node_render(fs, &fs->e->model, &n, &snap) == 0;
	if (r == 0 && (fi->flags & O_TRUNC) && kind == CFS_FH_VALUE) {
		r = cfs_fsreg_open_trunc(&n, &trunc_pending, &cmds);
		if (cmds.n)
			cfs_buf_reset(&snap); /* emptied before the open returns */
	} else if (r == 0 && (fi->flags & O_TRUNC) && kind == CFS_FH_ATTR && n.spec->accumulate) {
		trunc_pending = true;
	}
	cfs_engine_unlock(fs->e);
	/* Not under the engine's lock: the open-file list's lock comes first
	 * where both are taken (gone_attr, then a file's own lock). */
	struct cfs_fh *h = r == 0 ? cfs_fh_new(fs, kind, ino) : NULL;
	if (r == 0 && !h)
		r = -ENOMEM;
	if (r < 0) {
		cfs_buf_free(&snap);
		cfs_free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	pthread_mutex_lock(&h->lock);
	h->snap = snap;
	h->snap_taken = snap_taken;
	h->trunc_pending = trunc_pending;
	pthread_mutex_unlock(&h->lock);
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
	bool uncached = h->kind == CFS_FH_CONTROL;
	fi->keep_cache = !uncached && !writes && !cmds.n;
	fi->direct_io = uncached || writes;
	fi->noflush = !writes;
	if (cmds.n == 0) {
		cfs_vec_free(&cmds);
		fuse_reply_open(req, fi);
		return;
	}
	/* The kernel reports the truncation itself (IN_MODIFY). */
	struct cfs_pending *p = cfs_pending_new(req, CFS_REPLY_OPEN, NULL);
	if (!p) {
		cfs_free_cmds(&cmds);
		cfs_fh_free(fs, h);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->fh = h;
	p->fi = *fi;
	cfs_pending_set_origin(p, CFS_ORIGIN_WRITE, ino, NULL);
	cfs_pending_submit(req, p, &cmds);
}

static void cfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (cfs_fsports_is_fh(fi->fh)) {
		cfs_fsports_read(req, ino, size, off, fi);
		return;
	}
	struct cfs_fh *h = fh_of(fi);
	pthread_mutex_lock(&h->lock);
	int r = 0;
	/* A reader sees one consistent version of the file for the whole
	 * open, as it would reading a file replaced by rename. */
	if (h->gone) {
		/* A value removed while open: this descriptor's own view. */
		cfs_buf_reset(&h->snap);
		r = cfs_buf_append(&h->snap, h->staged.data ? h->staged.data : "", h->staged.len);
	} else if (!h->snap_taken || off == 0) {
		struct cfs_node n;
		struct cfs_buf old = h->snap;
		h->snap = (struct cfs_buf){0};
		cfs_engine_rdlock(fs->e);
		r = resolve_locked(fs, ino, &n);
		if (r == 0)
			r = cfs_node_render(fs, &fs->e->model, &n, &h->snap);
		cfs_engine_unlock(fs->e);
		if (r == -ENOENT && h->kind == CFS_FH_VALUE) {
			/* Removed while open: what it was when last read, and
			 * what this descriptor wrote since. */
			h->gone = true;
			if (!h->staged_loaded) {
				cfs_buf_free(&h->staged);
				h->staged = old;
				old = (struct cfs_buf){0};
				h->staged_loaded = true;
			}
			cfs_buf_reset(&h->snap);
			r = cfs_buf_append(&h->snap, h->staged.data ? h->staged.data : "",
					   h->staged.len);
		}
		cfs_buf_free(&old);
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

static void cfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	if (cfs_fsports_is_fh(fi->fh)) {
		cfs_fsports_write(req, ino, buf, size, fi);
		return;
	}
	struct cfs_fh *h = fh_of(fi);
	switch (h->kind) {
	case CFS_FH_SELF:
		/* The notifier's writes are acknowledgements only. */
		fuse_reply_write(req, size);
		break;
	case CFS_FH_CONTROL:
		cfs_fsctl_write(req, h, buf, size);
		break;
	case CFS_FH_VALUE:
		cfs_fsreg_write(req, ino, h, buf, size, off);
		break;
	case CFS_FH_ATTR:
		cfs_fsobj_write(req, ino, h, buf, size);
		break;
	case CFS_FH_PARAM:
		cfs_fsparam_write(req, ino, buf, size);
		break;
	case CFS_FH_FIXED:
		cfs_fsroot_write(req, ino, buf, size);
		break;
	}
}

/* Close: a control file's unterminated last line is run now. */
static void cfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (!cfs_fsports_is_fh(fi->fh) && fh_of(fi)->kind == CFS_FH_CONTROL)
		cfs_fsctl_flush(req, fh_of(fi));
	else
		fuse_reply_err(req, 0);
}

/* The last close: a list, free text or a value with a type opened with
 * O_TRUNC and never written becomes empty. */
static void cfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (cfs_fsports_is_fh(fi->fh)) {
		cfs_fsports_release(req, fi);
		return;
	}
	struct cfs_fh *h = fh_of(fi);
	if (h->kind == CFS_FH_ATTR && h->trunc_pending)
		cfs_fsobj_truncate_at_release(fs, ino);
	else if (h->kind == CFS_FH_VALUE && h->trunc_pending && !h->gone)
		cfs_fsreg_truncate_at_release(fs, ino);
	cfs_fh_free(fs, h);
	fuse_reply_err(req, 0);
}

/* --- namespace changes --- */

static void cfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (self_create(req, parent, name))
		return;
	struct cfs_node p;
	struct cfs_vec cmds = {0};
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	/* Links in a registry key are REG_LINK values; the group listings'
	 * links are the cluster's. */
	if (r == 0 && p.type != CFS_NODE_REGKEY)
		r = -EPERM;
	if (r == 0)
		r = cfs_fsreg_symlink(&p, name, link, &cmds);
	cfs_engine_unlock(fs->e);
	cfs_pending_reply_cmds(req, r, &cmds, CFS_REPLY_ENTRY, parent, name, CFS_ORIGIN_CREATE);
}

/* No hard links: a registry value or an object file has one name. */
static void cfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, EPERM);
}

static void cfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (self_create(req, parent, name))
		return;
	if (parent == CFS_INO_PORTS) {
		cfs_fsports_mkdir(req, parent, name);
		return;
	}
	struct cfs_node p;
	struct cfs_vec cmds = {0};
	mode &= 07777 & ~fuse_req_ctx(req)->umask;
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	if (r == 0 && p.type == CFS_NODE_REGKEY)
		r = cfs_fsreg_mkdir(&p, name, mode, &cmds);
	else if (r == 0)
		r = cfs_fsobj_mkdir(parent, name, &cmds);
	cfs_engine_unlock(fs->e);
	cfs_pending_reply_cmds(req, r, &cmds, CFS_REPLY_ENTRY, parent, name, CFS_ORIGIN_CREATE);
}

static void cfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      dev_t rdev)
{
	(void)rdev;
	struct cfs_fs *fs = cfs_fs_of(req);
	if (self_create(req, parent, name))
		return;
	struct cfs_node p;
	struct cfs_vec cmds = {0};
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	if (r == 0 && p.type == CFS_NODE_PARAMS)
		r = cfs_fsparam_mknod(&p, name, &cmds);
	else if (r == 0 && p.type != CFS_NODE_REGKEY)
		r = -EPERM; /* only registry values and parameters are made by the user */
	else if (r == 0)
		r = cfs_fsreg_mknod(&p, name, mode, &cmds);
	cfs_engine_unlock(fs->e);
	cfs_pending_reply_cmds(req, r, &cmds, CFS_REPLY_ENTRY, parent, name, CFS_ORIGIN_CREATE);
}

static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (self_ack(req))
		return;
	struct cfs_node p;
	struct cfs_vec cmds = {0};
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	if (r == 0 && p.type == CFS_NODE_REGKEY)
		r = cfs_fsreg_remove(&p, name, dir, &cmds);
	else if (r == 0 && p.type == CFS_NODE_PARAMS)
		r = cfs_fsparam_remove(&p, name, dir, &cmds);
	else if (r == 0)
		r = cfs_fsobj_remove(parent, name, dir, &cmds);
	cfs_engine_unlock(fs->e);
	cfs_pending_reply_cmds(req, r, &cmds, CFS_REPLY_ERR, parent, name, CFS_ORIGIN_DELETE);
}

static void cfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent == CFS_INO_PORTS && !cfs_notify_is_self(cfs_fs_of(req), req)) {
		cfs_fsports_rmdir(req, parent, name);
		return;
	}
	remove_entry(req, parent, name, true);
}

static void cfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, false);
}

static void cfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		       const char *newname, unsigned int flags)
{
	struct cfs_fs *fs = cfs_fs_of(req);
	if (self_ack(req))
		return;
	if (flags & ~RENAME_NOREPLACE) {
		/* RENAME_EXCHANGE swaps two names; the registry has no such
		 * change (nor whiteouts). */
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (parent != newparent) {
		/* Objects stay in their collection; keys and values in their key. */
		fuse_reply_err(req, EXDEV);
		return;
	}
	struct cfs_node p;
	struct cfs_vec cmds = {0};
	cfs_engine_rdlock(fs->e);
	int r = resolve_locked(fs, parent, &p);
	if (r == 0 && p.type == CFS_NODE_REGKEY)
		r = cfs_fsreg_rename(&p, name, newname, flags, &cmds);
	else if (r == 0)
		r = cfs_fsobj_rename(parent, name, newname, &cmds);
	cfs_engine_unlock(fs->e);
	cfs_pending_reply_cmds(req, r, &cmds, CFS_REPLY_ERR, parent, name, CFS_ORIGIN_RENAME);
}

/* --- extended attributes: registry values only (fs_registry.c) --- */

/* Only the user namespace exists here (user.cluster.type). A name in any
 * other (security.*, system.*, trusted.*) is answered "not supported", not
 * "no such attribute": ls -l asks security.selinux and
 * system.posix_acl_access of every entry, and coreutils remembers an
 * unsupported answer per device and stops asking, but asks again after
 * each ENODATA. That halves the requests of a warm ls -l. */
static bool xattr_ns_supported(const char *name)
{
	return strncmp(name, "user.", 5) == 0;
}

static void cfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	if (!xattr_ns_supported(name))
		fuse_reply_err(req, EOPNOTSUPP);
	else if (cfs_fsports_owns(ino))
		fuse_reply_err(req, ENODATA);
	else
		cfs_fsreg_getxattr(req, ino, name, size);
}

static void cfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	if (!cfs_fsports_owns(ino))
		cfs_fsreg_listxattr(req, ino, size);
	else if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, "", 0);
}

static void cfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			 size_t size, int flags)
{
	if (cfs_fsports_owns(ino))
		fuse_reply_err(req, ENOTSUP);
	else
		cfs_fsreg_setxattr(req, ino, name, value, size, flags);
}

static void cfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	if (!xattr_ns_supported(name))
		fuse_reply_err(req, EOPNOTSUPP);
	else
		cfs_fsreg_removexattr(req, ino, name);
}

/* --- the rest --- */

static void cfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	struct cfs_fs *fs = cfs_fs_of(req);
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

/* The smallest request the kernel may have cut from a longer write():
 * it sends at most max_write bytes, and at most max_pages pages of the
 * caller's buffer (a buffer that does not start on a page boundary
 * leaves up to a page less). max_pages follows max_write, bounded by
 * fs.fuse.max_pages_limit (256 where the file is missing). */
static size_t write_piece(size_t max_write)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = 256;
	FILE *f = fopen("/proc/sys/fs/fuse/max_pages_limit", "re");
	unsigned long v;
	if (f && fscanf(f, "%lu", &v) == 1 && v > 0)
		pages = v;
	if (f)
		fclose(f);
	if (page <= 0)
		page = 4096;
	size_t piece = pages * (size_t)page < max_write ? pages * (size_t)page : max_write;
	return piece > (size_t)page ? piece - (size_t)page + 1 : piece;
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
	/* Listings with attributes (cfs_readdirplus): the kernel asks for
	 * them when a listing starts and while its entries are being looked
	 * up (ls -l), plain listings otherwise (AUTO). */
	conn->want |= (FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO) & conn->capable;
	fs->no_opendir = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0;
	conn->max_write = 1024 * 1024;
	fs->write_piece = write_piece(conn->max_write);
}

/* The session ends (only after init): files the kernel never released
 * go now. */
static void cfs_destroy(void *userdata)
{
	struct cfs_fs *fs = userdata;
	pthread_mutex_lock(&fs->fh_lock);
	struct cfs_fh *h = fs->fh_open;
	pthread_mutex_unlock(&fs->fh_lock);
	while (h) {
		struct cfs_fh *next = h->next;
		cfs_fh_free(fs, h);
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
	.fallocate = cfs_fallocate,
	.readlink = cfs_readlink,
	.mknod = cfs_mknod,
	.symlink = cfs_symlink,
	.link = cfs_link,
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
	.readdirplus = cfs_readdirplus,
	.statfs = cfs_statfs,
	.setxattr = cfs_setxattr,
	.getxattr = cfs_getxattr,
	.listxattr = cfs_listxattr,
	.removexattr = cfs_removexattr,
	.access = cfs_access,
	.poll = cfs_poll,
};
