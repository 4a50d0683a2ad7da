/* SPDX-License-Identifier: MIT */
/* The event log's files at the root, log and log.1 (core/eventlog.h). The
 * log shows every change whatever its key's security: only root and the
 * admin group may read it (others use a port, which follows the rule of
 * access.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "fs_ports_i.h"

void cfs_fsports_log_stat(struct cfs_fsports *fp, uint64_t ino, struct stat *st)
{
	uint64_t size;
	int64_t mtime;
	cfs_eventlog_stat(&fp->log, ino == CFS_INO_LOG1, &size, &mtime);
	st->st_mode = S_IFREG | 0440;
	st->st_size = (off_t)size;
	st->st_blocks = (st->st_size + 511) / 512;
	cfs_fsports_set_times(st, mtime);
}

int cfs_fsports_log_open(fuse_req_t req, uint64_t ino, int acc, struct pfh *h)
{
	h->kind = PFH_LOG;
	h->which = ino == CFS_INO_LOG1;
	int r = acc == O_RDONLY ? 0 : -EACCES;
	/* The kernel checks the mode (0440 root:ADMIN) first;
	 * this holds without default_permissions too. */
	struct cfs_cred c;
	if (r == 0 && (r = cfs_fsports_req_cred(req, &c)) == 0) {
		r = c.admin ? 0 : -EACCES;
		cfs_cred_free(&c);
	}
	return r;
}

void cfs_fsports_log_read(fuse_req_t req, struct pfh *h, size_t size, off_t off)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	char *buf = malloc(size ? size : 1);
	ssize_t n = buf ? cfs_eventlog_read(&fp->log, h->which, off, buf, size) : -ENOMEM;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}
