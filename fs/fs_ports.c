/* SPDX-License-Identifier: MIT */
/* ports/ and the event log (fs_ports.h): the module's life (start,
 * shutdown, free), its hooks on the engine's commits, which inodes are
 * its, and the handlers on its open files, each dispatching on the kind
 * of file (fs_ports_i.h lists the files that do the rest). */
#include "fs_ports.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fuse.h>
#include <sys/uio.h>
#include <time.h>

#include "access.h"
#include "fs_ports_i.h"
#include "log.h"

/* The credentials of a request's caller: its uid, gid and supplementary
 * groups (from /proc; none when they cannot be read, which can only make
 * it see less), and whether it is root or in the admin group. */
int cfs_fsports_req_cred(fuse_req_t req, struct cfs_cred *ret)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	uint32_t admin_gid = ((struct cfs_fs *)fuse_req_userdata(req))->admin_gid;
	gid_t small[64], *groups = small;
	int n = fuse_req_getgroups(req, (int)CFS_ARRAY_SIZE(small), small);
	if (n > (int)CFS_ARRAY_SIZE(small)) {
		groups = malloc((size_t)n * sizeof(*groups));
		int k = groups ? fuse_req_getgroups(req, n, groups) : -ENOMEM;
		n = k > n ? n : k;
	}
	if (n < 0)
		n = 0;
	uint32_t *g = malloc(((size_t)n + 1) * sizeof(*g));
	int r = g ? 0 : -ENOMEM;
	for (int i = 0; r == 0 && i < n; i++)
		g[i] = groups[i];
	if (r == 0)
		r = cfs_cred_init(ret, ctx->uid, ctx->gid, g, (size_t)n, admin_gid);
	free(g);
	if (groups != small)
		free(groups);
	return r;
}

bool cfs_fsports_owns(uint64_t ino)
{
	if (ino == CFS_INO_PORTS || ino == CFS_INO_CLONE || ino == CFS_INO_LOG ||
	    ino == CFS_INO_LOG1)
		return true;
	unsigned tag = cfs_ino_tag(ino);
	return ino >= CFS_INO_FIXED_END && tag >= CFS_TAG_PORTDIR && tag <= CFS_TAG_PORT_STATS;
}

bool cfs_fsports_owns_dir(uint64_t ino)
{
	return ino == CFS_INO_PORTS ||
	       (ino >= CFS_INO_FIXED_END && cfs_ino_tag(ino) == CFS_TAG_PORTDIR);
}

mode_t cfs_fsports_type(uint64_t ino)
{
	return cfs_fsports_owns_dir(ino) ? S_IFDIR : S_IFREG;
}

/* After each commit (committer thread): the log grows at once (the
 * notifier's IN_MODIFY follows); the waker answers the readers. */
static void on_commit(void *ud, const struct cfs_record *recs, size_t n)
{
	struct cfs_fsports *fp = ud;
	cfs_eventlog_append(&fp->log, recs, n);
	cfs_fsports_wake_later(fp);
}

/* This node took the cluster's state (committer thread): readers that
 * saw replaced records are told, the log is the cluster's again, and
 * everyone is woken. */
static void on_reset(void *ud, const struct cfs_engine_reset *rs)
{
	struct cfs_fsports *fp = ud;
	cfs_ports_rewind(&fp->ports, rs->fork, rs->old_next);
	cfs_eventlog_reset(&fp->log, &fp->fs->e->journal);
	cfs_fsports_wake_later(fp);
}

/* The log starts from the journal and follows the commits from the same
 * point of the order (committer thread): a back-end may be committing
 * other nodes' changes while the mount starts. */
struct attach {
	struct cfs_fsports *fp;
	int r;
};

static void attach(struct cfs_engine *e, void *ud)
{
	struct attach *a = ud;
	a->r = cfs_eventlog_init(&a->fp->log, &e->journal);
	if (a->r == 0 && (a->r = cfs_engine_add_listener(e, on_commit, a->fp)) == 0)
		a->r = cfs_engine_set_reset(e, a->fp, on_reset);
	if (a->r < 0) {
		cfs_engine_remove_listener(e, a->fp);
		cfs_eventlog_free(&a->fp->log);
	}
}

int cfs_fsports_start(struct cfs_fs *fs, const char *state_dir,
		      const struct cfs_port_limits *lim)
{
	struct cfs_fsports *fp = calloc(1, sizeof(*fp));
	if (!fp)
		return -ENOMEM;
	fp->fs = fs;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&fp->timer_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&fp->wake_lock, NULL);
	pthread_cond_init(&fp->wake_cv, NULL);
	int r = cfs_ports_open(&fp->ports, fs->e, state_dir, lim);
	if (r == 0)
		r = cfs_fsports_waker_start(fp);
	if (r == 0) {
		struct attach a = {fp, 0};
		r = cfs_engine_call_sync(fs->e, attach, &a);
		if (r == 0)
			r = a.r;
	}
	if (r < 0) {
		cfs_fsports_waker_stop(fp);
		cfs_ports_close(&fp->ports);
		pthread_cond_destroy(&fp->timer_cv);
		pthread_cond_destroy(&fp->wake_cv);
		pthread_mutex_destroy(&fp->wake_lock);
		free(fp);
		return r;
	}
	fs->ports = fp;
	return 0;
}

void cfs_fsports_shutdown(struct cfs_fs *fs)
{
	struct cfs_fsports *fp = fs->ports;
	if (!fp)
		return;
	pthread_mutex_lock(&fp->ports.lock);
	fp->stopping = true;
	pthread_mutex_unlock(&fp->ports.lock);
	cfs_fsports_timer_stop(fp);
	cfs_fsports_waker_stop(fp);
	cfs_fsports_wake_all(fp, true);
}

void cfs_fsports_free(struct cfs_fs *fs)
{
	struct cfs_fsports *fp = fs->ports;
	if (!fp)
		return;
	cfs_engine_remove_listener(fs->e, fp);
	cfs_fsports_timer_stop(fp);
	cfs_fsports_waker_stop(fp);
	/* Readers still open (their files were never released) go too. */
	for (size_t i = 0; i < fp->ports.ports.n; i++) {
		struct cfs_port *p = fp->ports.ports.v[i];
		for (size_t k = 0; k < p->readers.n; k++) {
			struct cfs_reader *rd = p->readers.v[k];
			struct park *pk = rd->user;
			if (pk && pk->ph)
				fuse_pollhandle_destroy(pk->ph);
			if (pk && pk->h) {
				cfs_buf_free(&pk->h->snap);
				free(pk->h);
			}
			free(pk);
			rd->user = NULL;
		}
	}
	/* Closed like any reader (the position each one reached); closing
	 * an anonymous port's reader frees the port, so look again each time. */
	for (;;) {
		struct cfs_reader *rd = NULL;
		for (size_t i = 0; !rd && i < fp->ports.ports.n; i++) {
			struct cfs_port *p = fp->ports.ports.v[i];
			if (p->readers.n)
				rd = p->readers.v[p->readers.n - 1];
		}
		if (!rd)
			break;
		cfs_reader_close(&fp->ports, rd);
	}
	cfs_ports_close(&fp->ports);
	cfs_eventlog_free(&fp->log);
	pthread_cond_destroy(&fp->timer_cv);
	pthread_cond_destroy(&fp->wake_cv);
	pthread_mutex_destroy(&fp->wake_lock);
	free(fp);
	fs->ports = NULL;
}

/* --- files --- */

bool cfs_fsports_is_fh(uint64_t fh)
{
	return fh && ((struct pfh *)(uintptr_t)fh)->magic == PFH_MAGIC;
}

void cfs_fsports_open(fuse_req_t req, uint64_t ino, struct fuse_file_info *fi)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	int acc = fi->flags & O_ACCMODE;
	struct pfh *h = calloc(1, sizeof(*h));
	int r = h ? 0 : -ENOMEM;
	if (r == 0) {
		h->magic = PFH_MAGIC;
		unsigned tag = cfs_ino_tag(ino);
		if (ino == CFS_INO_PORTS || (ino >= CFS_INO_FIXED_END && tag == CFS_TAG_PORTDIR)) {
			r = -EISDIR;
		} else if (ino == CFS_INO_LOG || ino == CFS_INO_LOG1) {
			r = cfs_fsports_log_open(req, ino, acc, h);
		} else if (ino == CFS_INO_CLONE || tag == CFS_TAG_PORT_EVENTS) {
			r = cfs_fsports_reader_open(req, ino, acc, h);
		} else {
			h->kind = PFH_FILE;
			h->port_id = cfs_ino_id(ino);
			h->file = cfs_fsports_files[tag - CFS_TAG_PORT_FILTER];
			if (acc != O_RDONLY && tag == CFS_TAG_PORT_STATS)
				r = -EACCES;
		}
	}
	if (r < 0) {
		free(h);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	fi->noflush = 1;
	if (h->kind != PFH_READER) {
		fuse_reply_open(req, fi);
		return;
	}
	/* A reader opened for writing is a stream (FOPEN_STREAM, which
	 * libfuse 3.14 cannot set, hence the raw reply): no file position,
	 * so the kernel does not serialize read() and write() on one
	 * descriptor, and a thread can write filter, "wait" or "wake" lines
	 * while another is blocked in read(). One opened read-only (tools:
	 * head, grep, awk, sed) is a seekable regular file: coreutils' head
	 * seeks back after reading ahead, and gets what it sought back over
	 * again at its next read (port.h: "A reader's position"). */
	uint32_t flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH | (h->rd->seekable ? 0 : FOPEN_STREAM);
	struct fuse_open_out arg = {.fh = fi->fh, .open_flags = flags};
	struct iovec iov = {&arg, sizeof(arg)};
	if (fuse_reply_iov(req, &iov, 1) == -ENOENT) {
		/* The open was interrupted: nobody will release it. */
		free(h->rd->user);
		h->rd->user = NULL;
		cfs_reader_close(&fp->ports, h->rd);
		free(h);
	}
}

void cfs_fsports_read(fuse_req_t req, uint64_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)ino;
	struct cfs_fsports *fp = cfs_fsports_of(req);
	struct pfh *h = (struct pfh *)(uintptr_t)fi->fh;
	if (h->kind == PFH_READER) {
		cfs_fsports_reader_read(req, h, size, off, fi);
		return;
	}
	if (h->kind == PFH_LOG) {
		cfs_fsports_log_read(req, h, size, off);
		return;
	}
	if (!h->snap_taken || off == 0) {
		cfs_buf_reset(&h->snap);
		int r = cfs_port_render(&fp->ports, h->port_id, h->file, &h->snap);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		h->snap_taken = true;
	}
	size_t start = (size_t)off < h->snap.len ? (size_t)off : h->snap.len;
	size_t n = h->snap.len - start < size ? h->snap.len - start : size;
	/* From a copy: once the kernel has the reply, the file may be
	 * released (and h freed) while this thread is still in the reply
	 * call. */
	char *copy = malloc(n ? n : 1);
	if (!copy) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(copy, h->snap.data ? h->snap.data + start : "", n);
	fuse_reply_buf(req, copy, n);
	free(copy);
}

void cfs_fsports_write(fuse_req_t req, uint64_t ino, const char *buf, size_t size,
		       struct fuse_file_info *fi)
{
	(void)ino;
	struct cfs_fsports *fp = cfs_fsports_of(req);
	struct pfh *h = (struct pfh *)(uintptr_t)fi->fh;
	const char *why = NULL;
	int r;
	if (memchr(buf, '\0', size)) {
		r = -EINVAL;
	} else if (h->kind == PFH_READER &&
		   (r = cfs_fsports_reader_wait_line(fp, h, buf, size)) != 0) {
		why = "wait takes milliseconds (at most a day)";
		if (r > 0) {
			fuse_reply_write(req, size);
			return;
		}
	} else if (h->kind == PFH_READER) {
		r = cfs_reader_write(&fp->ports, h->rd, buf, size, &why);
	} else if (h->kind == PFH_FILE && strcmp(h->file, "filter") == 0) {
		struct cfs_cred c;
		if ((r = cfs_fsports_req_cred(req, &c)) == 0) {
			r = cfs_port_write_filter(&fp->ports, h->port_id, &c, buf, size, &why);
			cfs_cred_free(&c);
		}
	} else if (h->kind == PFH_FILE && strcmp(h->file, "start") == 0) {
		r = cfs_port_write_start(&fp->ports, h->port_id, buf, size);
		why = "start takes now, snapshot, continue or a sequence number";
	} else {
		r = -EACCES;
	}
	if (r < 0) {
		cfs_log(LOG_NOTICE, "port write refused: %s", why ? why : strerror(-r));
		fuse_reply_err(req, -r);
		return;
	}
	/* Once answered, the file may be released and h freed. */
	bool reader = h->kind == PFH_READER;
	fuse_reply_write(req, size);
	/* A new filter or start may give a waiting reader something. */
	if (reader)
		cfs_fsports_wake_all(fp, false);
}

void cfs_fsports_poll(fuse_req_t req, struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	struct pfh *h = (struct pfh *)(uintptr_t)fi->fh;
	if (h->kind != PFH_READER) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
		return;
	}
	struct fuse_pollhandle *old = NULL;
	pthread_mutex_lock(&fp->ports.lock);
	struct park *pk = h->rd->user;
	unsigned ev = POLLOUT | POLLWRNORM;
	if (fp->stopping || cfs_reader_ready(&fp->ports, h->rd)) {
		ev |= POLLIN | POLLRDNORM;
	} else if (ph) {
		old = pk->ph;
		pk->ph = ph;
		ph = NULL;
	}
	pthread_mutex_unlock(&fp->ports.lock);
	if (old)
		fuse_pollhandle_destroy(old);
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, ev);
}

void cfs_fsports_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	struct pfh *h = (struct pfh *)(uintptr_t)fi->fh;
	if (h->kind == PFH_READER) {
		pthread_mutex_lock(&fp->ports.lock);
		struct park *pk = h->rd->user;
		fuse_req_t parked = pk->req;
		struct fuse_pollhandle *ph = pk->ph;
		pk->req = NULL;
		pk->ph = NULL;
		h->rd->user = NULL;
		pthread_mutex_unlock(&fp->ports.lock);
		if (parked)
			fuse_reply_buf(parked, "", 0);
		if (ph)
			fuse_pollhandle_destroy(ph);
		free(pk);
		cfs_reader_close(&fp->ports, h->rd);
	}
	cfs_buf_free(&h->snap);
	h->magic = 0;
	free(h);
	fuse_reply_err(req, 0);
}
