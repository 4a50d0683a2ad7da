/* SPDX-License-Identifier: MIT */
/* Replies after commit.
 *
 * A change is turned into commands and submitted to the engine; the
 * handler returns at once and the reply is sent from the engine's
 * committer thread once the change is durable (or refused). So no worker
 * thread waits for a commit, and nothing is acknowledged before it is on
 * disk. A refused change is logged here, with the reason and the line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "log.h"

static void pending_done(void *ud, int err, const char *why, int line)
{
	struct cfs_pending *p = ud;
	if (err < 0)
		cfs_log(LOG_NOTICE, "%s: refused%s%.0d: %s (%s)", p->desc ? p->desc : "change",
			line > 0 ? " at line " : "", line > 0 ? line + 1 : 0,
			why ? why : strerror(-err), strerror(-err));
	switch (p->kind) {
	case CFS_REPLY_NONE:
		break;
	case CFS_REPLY_ERR:
		fuse_reply_err(p->req, -err);
		break;
	case CFS_REPLY_VALUE_WRITE:
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
	case CFS_REPLY_WRITE:
		if (err < 0)
			fuse_reply_err(p->req, -err);
		else
			fuse_reply_write(p->req, p->written);
		break;
	case CFS_REPLY_ATTR: {
		struct stat st;
		struct cfs_node n;
		if (err == 0) {
			cfs_engine_rdlock(p->fs->e);
			err = cfs_resolve(&p->fs->e->model, p->parent, &n);
			if (err == 0)
				err = cfs_fill_attr(p->fs, &p->fs->e->model, &n, &st);
			cfs_engine_unlock(p->fs->e);
		}
		if (err < 0)
			fuse_reply_err(p->req, -err);
		else
			fuse_reply_attr(p->req, &st, 0); /* uncached: fs_ops.c, cfs_setattr */
		break;
	}
	case CFS_REPLY_OPEN:
		if (err < 0) {
			cfs_fh_free(p->fs, p->fh);
			fuse_reply_err(p->req, -err);
		} else {
			fuse_reply_open(p->req, &p->fi);
		}
		break;
	case CFS_REPLY_ENTRY: {
		struct fuse_entry_param e;
		if (err == 0)
			err = cfs_make_entry(p->fs, p->parent, p->name, &e);
		if (err < 0)
			fuse_reply_err(p->req, -err);
		else
			fuse_reply_entry(p->req, &e);
		break;
	}
	}
	if (p->origin.what != CFS_ORIGIN_NONE)
		cfs_notify_answered(p->fs);
	cfs_pending_free(p);
}

void cfs_pending_set_origin(struct cfs_pending *p, int what, uint64_t ino, const char *name)
{
	p->origin.what = what;
	p->origin.ino = ino;
	snprintf(p->origin.name, sizeof(p->origin.name), "%s", name ? name : "");
}

struct cfs_pending *cfs_pending_new(fuse_req_t req, enum cfs_reply kind, const char *name)
{
	size_t n = name ? strlen(name) + 1 : 1;
	struct cfs_pending *p = calloc(1, sizeof(*p) + n);
	if (!p)
		return NULL;
	p->req = req;
	p->fs = cfs_fs_of(req);
	p->kind = kind;
	if (name)
		memcpy(p->name, name, n);
	return p;
}

void cfs_pending_free(struct cfs_pending *p)
{
	if (!p)
		return;
	cfs_buf_free(&p->restore);
	free(p->desc);
	free(p);
}

void cfs_pending_submit(fuse_req_t req, struct cfs_pending *p, struct cfs_vec *cmds)
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
		if (p->kind == CFS_REPLY_OPEN)
			cfs_fh_free(p->fs, p->fh); /* never answered: no RELEASE comes */
		fuse_reply_err(req, -r);
		cfs_pending_free(p);
	}
}

void cfs_pending_reply_cmds(fuse_req_t req, int err, struct cfs_vec *cmds, enum cfs_reply kind,
			    uint64_t ino, const char *name, int origin)
{
	struct cfs_pending *p = err == 0 ? cfs_pending_new(req, kind, name) : NULL;
	if (err == 0 && !p)
		err = -ENOMEM;
	if (err < 0) {
		cfs_free_cmds(cmds);
		fuse_reply_err(req, -err);
		return;
	}
	p->parent = ino;
	cfs_pending_set_origin(p, origin, ino, name);
	cfs_pending_submit(req, p, cmds);
}

void cfs_pending_reply_write(fuse_req_t req, uint64_t ino, struct cfs_vec *cmds, size_t written)
{
	if (cmds->n == 0) {
		cfs_vec_free(cmds);
		fuse_reply_write(req, written);
		return;
	}
	struct cfs_pending *p = cfs_pending_new(req, CFS_REPLY_WRITE, NULL);
	if (!p) {
		cfs_free_cmds(cmds);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->written = written;
	cfs_pending_set_origin(p, CFS_ORIGIN_WRITE, ino, NULL);
	cfs_pending_submit(req, p, cmds);
}

void cfs_pending_submit_detached(struct cfs_fs *fs, uint64_t ino, struct cfs_vec *cmds)
{
	struct cfs_pending *p = cmds->n ? calloc(1, sizeof(*p) + 1) : NULL;
	if (!p) {
		cfs_free_cmds(cmds);
		return;
	}
	p->fs = fs;
	p->kind = CFS_REPLY_NONE;
	cfs_pending_set_origin(p, CFS_ORIGIN_WRITE, ino, NULL);
	struct cfs_buf b = {0};
	cfs_cmd_format(cmds->v[0], &b);
	p->desc = cfs_buf_steal(&b);
	if (cfs_engine_submit_from(fs->e, (struct cfs_cmd **)cmds->v, cmds->n, 0, 0, &p->origin,
				   pending_done, p) < 0)
		cfs_pending_free(p);
	*cmds = (struct cfs_vec){0};
}

void cfs_free_cmds(struct cfs_vec *cmds)
{
	for (size_t i = 0; i < cmds->n; i++)
		cfs_cmd_free(cmds->v[i]);
	cfs_vec_free(cmds);
}

int cfs_push_cmd(struct cfs_vec *cmds, enum cfs_op op, int argc, const char *const *argv,
		 const size_t *lens)
{
	struct cfs_cmd *c;
	int r = cfs_cmd_newv(&c, op, argc, argv, lens);
	if (r == 0 && (r = cfs_vec_push(cmds, c)) < 0)
		cfs_cmd_free(c);
	return r;
}
