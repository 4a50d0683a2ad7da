/* SPDX-License-Identifier: MIT */
/* An events file or ports/clone, open: its reader (core/port.h). A
 * blocking read that finds nothing is parked (fs_ports.h) and answered
 * later by whoever unparks it: fs_ports_wake.c when records come or its
 * deadline passes, a "wake" line, the kernel's interrupt, or its release. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fs_ports_i.h"
#include "log.h"

int cfs_fsports_reader_open(fuse_req_t req, uint64_t ino, int acc, struct pfh *h)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	/* An anonymous port is configured and read through its one
	 * descriptor: any other open could never get a record. */
	if (ino == CFS_INO_CLONE && acc != O_RDWR)
		return -EINVAL;
	struct cfs_cred c;
	int r = cfs_fsports_req_cred(req, &c);
	if (r < 0)
		return r;
	h->kind = PFH_READER;
	r = ino == CFS_INO_CLONE
		    ? cfs_reader_open_anon(&fp->ports, &c, &h->rd)
		    : cfs_reader_open(&fp->ports, cfs_ino_id(ino), &c, acc == O_RDONLY, &h->rd);
	if (r == -EDQUOT)
		cfs_log(LOG_NOTICE, "open of %s refused: uid %u is over its quota (--limit-%s)",
			ino == CFS_INO_CLONE ? "ports/clone" : "an events file", c.uid,
			ino == CFS_INO_CLONE ? "anon" : "readers, --limit-watch or --limit-pending");
	cfs_cred_free(&c);
	if (r == 0 && !(h->rd->user = calloc(1, sizeof(struct park)))) {
		cfs_reader_close(&fp->ports, h->rd);
		r = -ENOMEM;
	}
	if (r == 0)
		((struct park *)h->rd->user)->h = h;
	return r;
}

static void interrupted(fuse_req_t req, void *data)
{
	struct cfs_reader *rd = data;
	struct cfs_fsports *fp = cfs_fsports_of(req);
	bool mine = false;
	pthread_mutex_lock(&fp->ports.lock);
	struct park *pk = rd->user;
	if (pk && pk->req == req) {
		pk->req = NULL;
		mine = true;
	}
	pthread_mutex_unlock(&fp->ports.lock);
	/* Exactly one side answers a parked read: whoever unparks it. */
	if (mine)
		fuse_reply_err(req, EINTR);
}

void cfs_fsports_reader_read(fuse_req_t req, struct pfh *h, size_t size, off_t off,
			     struct fuse_file_info *fi)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	struct cfs_reader *rd = h->rd;
	/* Before the lock: it may run at once if the interrupt came first. */
	fuse_req_interrupt_func(req, interrupted, rd);
	pthread_mutex_lock(&fp->ports.lock);
	struct park *pk = rd->user;
	if (pk->req) {
		pthread_mutex_unlock(&fp->ports.lock);
		fuse_reply_err(req, EBUSY); /* one blocked read per open file */
		return;
	}
	/* The reply is sent from out after the unlock: its own memory, as
	 * the file may be released meanwhile. Exactly the read's size (not
	 * cfs_buf_reserve's next power of two: 128 KiB for a 64 KiB read,
	 * which the daemon's malloc maps and unmaps on every read, main.c). */
	struct cfs_buf out = {.data = malloc(size + 1), .cap = size + 1};
	ssize_t n = out.data ? 0 : -ENOMEM;
	if (n == 0)
		n = cfs_reader_take_buf(&fp->ports, rd, (uint64_t)off, &out, size);
	if (n == -EAGAIN && fp->stopping)
		n = 0;
	bool woken = pk->woken;
	pk->woken = false;
	if (n == -EAGAIN && !woken && !(fi->flags & O_NONBLOCK) && !fuse_req_interrupted(req)) {
		pk->req = req;
		pk->size = size;
		pk->off = off;
		pk->deadline = pk->wait_ms ? cfs_fsports_mono_ms() + pk->wait_ms : 0;
		if (pk->deadline)
			pthread_cond_signal(&fp->timer_cv);
		pthread_mutex_unlock(&fp->ports.lock);
		cfs_buf_free(&out);
		return;
	}
	pthread_mutex_unlock(&fp->ports.lock);
	if (n == -EAGAIN && fuse_req_interrupted(req))
		n = -EINTR;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, out.data, (size_t)n);
	cfs_buf_free(&out);
}

int cfs_fsports_reader_wait_line(struct cfs_fsports *fp, struct pfh *h, const char *buf,
				 size_t size)
{
	char line[32];
	if (size == 0 || size >= sizeof(line))
		return 0;
	memcpy(line, buf, size);
	line[size] = '\0';
	if (line[size - 1] == '\n')
		line[size - 1] = '\0';
	bool wake = strcmp(line, "wake") == 0;
	if (!wake && strncmp(line, "wait ", 5) != 0)
		return 0;
	unsigned long ms = 0;
	if (!wake) {
		char *end;
		errno = 0;
		ms = strtoul(line + 5, &end, 10);
		if (!line[5] || *end || errno || ms > 86400000ul)
			return -EINVAL;
	}
	fuse_req_t parked = NULL;
	int r = 0;
	pthread_mutex_lock(&fp->ports.lock);
	struct park *pk = h->rd->user;
	if (wake) {
		parked = pk->req;
		pk->req = NULL;
		pk->woken = !parked;
	} else {
		pk->wait_ms = (uint32_t)ms;
		if (ms)
			r = cfs_fsports_timer_start(fp);
	}
	pthread_mutex_unlock(&fp->ports.lock);
	if (parked)
		fuse_reply_err(parked, EAGAIN);
	return r < 0 ? r : 1;
}
