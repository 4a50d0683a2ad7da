/* SPDX-License-Identifier: MIT */
/* The control file's FUSE side; its language (lines, batches, begin /
 * commit / abort blocks) is core/control.h.
 *
 * The complete lines of one write() are parsed as one batch, and the
 * write returns the first failing line's errno; nothing of a refused
 * write is kept. An unterminated last line waits for the next write; at
 * close (FLUSH) it runs, an open "begin" is dropped, and close reports
 * EINVAL. */
#include <errno.h>
#include <string.h>

#include "fs_i.h"
#include "log.h"

static int backend_line(void *ud, const char *line, size_t len, struct cfs_vec *cmds,
			const char **why)
{
	return cfs_engine_backend_line(ud, line, len, cmds, why);
}

void cfs_fsctl_write(fuse_req_t req, struct cfs_fh *h, const char *buf, size_t size)
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
	r = cfs_ctl_parse(&h->ctl, h->line.data, upto, backend_line, cfs_fs_of(req)->e, &cmds,
			  &why, &bad);
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
		cfs_free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	cfs_pending_reply_write(req, CFS_INO_CONTROL, &cmds, size);
}

/* Runs the rest as if a newline had been written; replies once it is
 * committed. */
void cfs_fsctl_flush(fuse_req_t req, struct cfs_fh *h)
{
	struct cfs_vec cmds = {0};
	const char *why = NULL;
	int bad = 0, r = 0;
	pthread_mutex_lock(&h->lock);
	if (h->line.len)
		r = cfs_ctl_parse(&h->ctl, h->line.data, h->line.len, backend_line,
				  cfs_fs_of(req)->e, &cmds, &why, &bad);
	cfs_buf_reset(&h->line);
	bool open_block = cfs_ctl_end(&h->ctl);
	pthread_mutex_unlock(&h->lock);
	if (r == 0 && open_block) {
		why = "begin without commit: nothing applied";
		r = -EINVAL;
		cfs_free_cmds(&cmds);
	}
	if (r < 0)
		cfs_log(LOG_NOTICE, "control: at close: %s", why ? why : strerror(-r));
	if (r < 0 || cmds.n == 0) {
		cfs_free_cmds(&cmds);
		fuse_reply_err(req, r < 0 ? -r : 0);
		return;
	}
	cfs_pending_reply_cmds(req, 0, &cmds, CFS_REPLY_ERR, CFS_INO_CONTROL, NULL,
			       CFS_ORIGIN_WRITE);
}
