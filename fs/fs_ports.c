/* SPDX-License-Identifier: MIT */
#include "fs_ports.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fuse.h>
#include <sys/uio.h>
#include <time.h>

#include "access.h"
#include "eventlog.h"
#include "fs_inode.h"
#include "log.h"
#include "port.h"

struct cfs_fsports {
	struct cfs_fs *fs;
	struct cfs_ports ports;
	struct cfs_eventlog log;
	bool stopping; /* guarded by ports.lock */
	/* The timer that ends parked reads with a deadline ("wait MS"):
	 * started at the first such request, stopped at shutdown. */
	pthread_t timer;
	pthread_cond_t timer_cv; /* CLOCK_MONOTONIC; with ports.lock */
	bool timer_started, timer_stop;
	/* The waker answers waiting readers after commits, off the
	 * committer thread, so that no reader's formatting delays a commit
	 * (wake_all). */
	pthread_t waker;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cv; /* with wake_lock */
	bool wake_pending, wake_stop, waker_started; /* guarded by wake_lock */
};

/* What fs/ keeps per reader (struct cfs_reader.user), guarded by the
 * ports lock. */
struct park {
	fuse_req_t req; /* a parked read, or NULL */
	size_t size;
	off_t off;
	struct fuse_pollhandle *ph;
	/* "wait MS" (0: forever): a parked read ends with EAGAIN at
	 * deadline (monotonic ms; 0: none). "wake" ends the parked read
	 * now, or, with none parked, the next one that would park. */
	uint32_t wait_ms;
	int64_t deadline;
	bool woken;
	/* The open file's handle, so that readers still open when the
	 * daemon stops (never released) are freed whole. */
	struct pfh *h;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum pfh_kind { PFH_READER, PFH_FILE, PFH_LOG };

#define PFH_MAGIC 0x43465350u /* "CFSP" */

struct pfh {
	uint32_t magic;
	enum pfh_kind kind;
	struct cfs_reader *rd; /* PFH_READER */
	struct cfs_buf snap;   /* PFH_FILE: content at the first read */
	bool snap_taken;
	int which;	       /* PFH_LOG: 0 log, 1 log.1 */
	uint64_t port_id;      /* PFH_FILE */
	const char *file;      /* PFH_FILE */
};

static struct cfs_fsports *P(fuse_req_t req)
{
	return ((struct cfs_fs *)fuse_req_userdata(req))->ports;
}

/* The credentials of a request's caller: its uid, gid and supplementary
 * groups (from /proc; none when they cannot be read, which can only make
 * it see less), and whether it is root or in the admin group. */
static int req_cred(fuse_req_t req, struct cfs_cred *ret)
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

static const char *const port_files[] = {"filter", "events", "start", "stats"};

static uint64_t port_ino(uint64_t id, unsigned tag)
{
	return cfs_ino(id, tag);
}

bool cfs_fsports_owns(uint64_t ino)
{
	if (ino == CFS_INO_PORTS || ino == CFS_INO_CLONE || ino == CFS_INO_LOG ||
	    ino == CFS_INO_LOG1)
		return true;
	unsigned tag = cfs_ino_tag(ino);
	return ino >= CFS_INO_FIXED_END && tag >= TAG_PORTDIR && tag <= TAG_PORT_STATS;
}

bool cfs_fsports_owns_dir(uint64_t ino)
{
	return ino == CFS_INO_PORTS ||
	       (ino >= CFS_INO_FIXED_END && cfs_ino_tag(ino) == TAG_PORTDIR);
}

mode_t cfs_fsports_type(uint64_t ino)
{
	return cfs_fsports_owns_dir(ino) ? S_IFDIR : S_IFREG;
}

/* --- waking readers --- */

struct wake {
	fuse_req_t req;
	char *data;
	ssize_t n; /* bytes, or -errno */
	struct fuse_pollhandle *ph;
};

struct wakes {
	struct wake *v;
	size_t n, cap;
};

static void wakes_push(struct wakes *w, struct wake x)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct wake *v = realloc(w->v, cap * sizeof(*v));
		if (!v) {
			/* Cannot queue: answer at once with what we have. */
			if (x.req)
				fuse_reply_err(x.req, EAGAIN);
			if (x.ph)
				fuse_pollhandle_destroy(x.ph);
			free(x.data);
			return;
		}
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = x;
}

/* Answers a reader's parked read and poll if it has something (lock held;
 * the replies are sent by wakes_send after unlocking). */
static void wake_reader(struct cfs_fsports *fp, struct cfs_reader *rd, struct wakes *w, bool eof)
{
	struct park *pk = rd->user;
	if (!pk)
		return;
	if (pk->req) {
		char *buf = malloc(pk->size);
		ssize_t n = buf ? cfs_reader_take(&fp->ports, rd, (uint64_t)pk->off, buf, pk->size)
				: -ENOMEM;
		if (n == -EAGAIN && eof)
			n = 0;
		if (n != -EAGAIN) {
			wakes_push(w, (struct wake){pk->req, buf, n, NULL});
			pk->req = NULL;
			buf = NULL;
		}
		free(buf);
	}
	if (pk->ph && (eof || cfs_reader_ready(&fp->ports, rd))) {
		wakes_push(w, (struct wake){NULL, NULL, 0, pk->ph});
		pk->ph = NULL;
	}
}

static void wakes_send(struct wakes *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wake *x = &w->v[i];
		if (x->req) {
			if (x->n < 0)
				fuse_reply_err(x->req, (int)-x->n);
			else
				fuse_reply_buf(x->req, x->data, (size_t)x->n);
		}
		if (x->ph) {
			fuse_lowlevel_notify_poll(x->ph);
			fuse_pollhandle_destroy(x->ph);
		}
		free(x->data);
	}
	free(w->v);
	*w = (struct wakes){0};
}

/* Answers every reader with a parked read or a poll handle: those of
 * root and the admin group first, then the others, each one under the
 * ports lock on its own and its reply sent at once. So one user's many
 * readers (each formatting what it gets) neither hold the lock for long
 * nor come before an admin's reader. */
static void wake_all(struct cfs_fsports *fp, bool eof)
{
	struct cfs_vec list = {0};
	struct wakes now = {0};
	pthread_mutex_lock(&fp->ports.lock);
	for (int admin = 1; admin >= 0; admin--) {
		for (size_t i = 0; i < fp->ports.ports.n; i++) {
			struct cfs_port *p = fp->ports.ports.v[i];
			for (size_t k = 0; k < p->readers.n; k++) {
				struct cfs_reader *rd = p->readers.v[k];
				struct park *pk = rd->user;
				if (!pk || (!pk->req && !pk->ph) || rd->cred.admin != admin)
					continue;
				if (cfs_vec_push(&list, rd) == 0)
					cfs_reader_hold(rd);
				else
					wake_reader(fp, rd, &now, eof); /* no memory: here */
			}
		}
	}
	pthread_mutex_unlock(&fp->ports.lock);
	wakes_send(&now);
	for (size_t i = 0; i < list.n; i++) {
		struct cfs_reader *rd = list.v[i];
		struct wakes w = {0};
		pthread_mutex_lock(&fp->ports.lock);
		if (!rd->dead)
			wake_reader(fp, rd, &w, eof);
		cfs_reader_drop(rd);
		pthread_mutex_unlock(&fp->ports.lock);
		wakes_send(&w);
	}
	cfs_vec_free(&list);
}

/* Idle named ports are swept after commits at most once a minute, when
 * a port is made (cfs_port_create), and when ports/ is listed or a name
 * in it is looked up (at most every 100 ms): a port past its time is
 * never seen. */
#define EXPIRY_SWEEP_NS (60 * 1000000000ll)
#define EXPIRY_LOOKUP_NS (100 * 1000000ll)

static void *waker_main(void *arg)
{
	struct cfs_fsports *fp = arg;
	pthread_mutex_lock(&fp->wake_lock);
	while (!fp->wake_stop) {
		if (!fp->wake_pending) {
			pthread_cond_wait(&fp->wake_cv, &fp->wake_lock);
			continue;
		}
		fp->wake_pending = false;
		pthread_mutex_unlock(&fp->wake_lock);
		wake_all(fp, false);
		cfs_ports_expire(&fp->ports, cfs_now_ns(), EXPIRY_SWEEP_NS);
		pthread_mutex_lock(&fp->wake_lock);
	}
	pthread_mutex_unlock(&fp->wake_lock);
	return NULL;
}

/* After each commit (committer thread): the log grows at once (the
 * notifier's IN_MODIFY follows); the waker answers the readers. */
static void on_commit(void *ud, const struct cfs_record *recs, size_t n)
{
	struct cfs_fsports *fp = ud;
	cfs_eventlog_append(&fp->log, recs, n);
	pthread_mutex_lock(&fp->wake_lock);
	bool waker = fp->waker_started;
	fp->wake_pending = true;
	pthread_cond_signal(&fp->wake_cv);
	pthread_mutex_unlock(&fp->wake_lock);
	if (!waker)
		wake_all(fp, false);
}

/* This node took the cluster's state (committer thread): readers that
 * saw replaced records are told, the log is the cluster's again, and
 * everyone is woken. */
static void on_reset(void *ud, const struct cfs_engine_reset *rs)
{
	struct cfs_fsports *fp = ud;
	cfs_ports_rewind(&fp->ports, rs->fork, rs->old_next);
	cfs_eventlog_reset(&fp->log, &fp->fs->e->journal);
	pthread_mutex_lock(&fp->wake_lock);
	bool waker = fp->waker_started;
	fp->wake_pending = true;
	pthread_cond_signal(&fp->wake_cv);
	pthread_mutex_unlock(&fp->wake_lock);
	if (!waker)
		wake_all(fp, false);
}

static void stop_waker(struct cfs_fsports *fp)
{
	pthread_mutex_lock(&fp->wake_lock);
	fp->wake_stop = true;
	bool started = fp->waker_started;
	fp->waker_started = false;
	pthread_cond_signal(&fp->wake_cv);
	pthread_mutex_unlock(&fp->wake_lock);
	if (started)
		pthread_join(fp->waker, NULL);
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
		r = cfs_eventlog_init(&fp->log, &fs->e->journal);
	if (r == 0 && (r = -pthread_create(&fp->waker, NULL, waker_main, fp)) == 0)
		fp->waker_started = true;
	if (r == 0)
		r = cfs_engine_add_listener(fs->e, on_commit, fp);
	if (r == 0)
		cfs_engine_set_reset(fs->e, fp, on_reset);
	if (r < 0) {
		stop_waker(fp);
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

static void stop_timer(struct cfs_fsports *fp)
{
	pthread_mutex_lock(&fp->ports.lock);
	fp->timer_stop = true;
	bool timer = fp->timer_started;
	fp->timer_started = false;
	pthread_cond_signal(&fp->timer_cv);
	pthread_mutex_unlock(&fp->ports.lock);
	if (timer)
		pthread_join(fp->timer, NULL);
}

void cfs_fsports_shutdown(struct cfs_fs *fs)
{
	struct cfs_fsports *fp = fs->ports;
	if (!fp)
		return;
	pthread_mutex_lock(&fp->ports.lock);
	fp->stopping = true;
	pthread_mutex_unlock(&fp->ports.lock);
	stop_timer(fp);
	stop_waker(fp);
	wake_all(fp, true);
}

void cfs_fsports_free(struct cfs_fs *fs)
{
	struct cfs_fsports *fp = fs->ports;
	if (!fp)
		return;
	cfs_engine_remove_listener(fs->e, fp);
	stop_timer(fp);
	stop_waker(fp);
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

/* --- attributes and names --- */

static void set_times(struct stat *st, int64_t ns)
{
	st->st_mtim.tv_sec = ns / 1000000000;
	st->st_mtim.tv_nsec = ns % 1000000000;
	st->st_atim = st->st_ctim = st->st_mtim;
}

/* Fills st; lock held. 0 or -ENOENT. */
static int fill(struct cfs_fsports *fp, uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_gid = fp->fs->admin_gid;
	if (ino == CFS_INO_PORTS) {
		/* Anyone may make a port, as anyone may make a file in /tmp. */
		st->st_mode = S_IFDIR | 01777;
		st->st_nlink = 2;
		set_times(st, cfs_now_ns());
		return 0;
	}
	if (ino == CFS_INO_CLONE) {
		st->st_mode = S_IFREG | 0666;
		return 0;
	}
	if (ino == CFS_INO_LOG || ino == CFS_INO_LOG1) {
		uint64_t size;
		int64_t mtime;
		cfs_eventlog_stat(&fp->log, ino == CFS_INO_LOG1, &size, &mtime);
		/* The log shows every change whatever its key's security: only
		 * root and the admin group may read it (others use a port,
		 * which follows the rule of access.h). */
		st->st_mode = S_IFREG | 0440;
		st->st_size = (off_t)size;
		st->st_blocks = (st->st_size + 511) / 512;
		set_times(st, mtime);
		return 0;
	}
	struct cfs_port *p = cfs_port_by_id(&fp->ports, cfs_ino_id(ino));
	if (!p)
		return -ENOENT;
	st->st_uid = p->uid;
	st->st_gid = p->uid ? p->uid : fp->fs->admin_gid;
	set_times(st, p->ctime_ns);
	switch (cfs_ino_tag(ino)) {
	case TAG_PORTDIR:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	case TAG_PORT_EVENTS:
		st->st_mode = S_IFREG | 0644;
		return 0;
	case TAG_PORT_STATS:
		st->st_mode = S_IFREG | 0444;
		break;
	default:
		st->st_mode = S_IFREG | 0644;
		break;
	}
	/* Small text files: their true size, rendered now. */
	struct cfs_buf b = {0};
	unsigned tag = cfs_ino_tag(ino);
	pthread_mutex_unlock(&fp->ports.lock);
	int r = cfs_port_render(&fp->ports, p->id, port_files[tag - TAG_PORT_FILTER], &b);
	pthread_mutex_lock(&fp->ports.lock);
	st->st_size = (off_t)b.len;
	cfs_buf_free(&b);
	return r;
}

static int make_entry(struct cfs_fsports *fp, uint64_t ino, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->generation = 1;
	/* Ports change under the kernel's feet (other processes' writes):
	 * their attributes are never cached. */
	e->attr_timeout = 0;
	e->entry_timeout = 0;
	pthread_mutex_lock(&fp->ports.lock);
	int r = fill(fp, ino, &e->attr);
	pthread_mutex_unlock(&fp->ports.lock);
	return r;
}

void cfs_fsports_lookup(fuse_req_t req, uint64_t parent, const char *name)
{
	struct cfs_fsports *fp = P(req);
	uint64_t ino = 0;
	if (parent == CFS_INO_ROOT) {
		ino = strcmp(name, "ports") == 0 ? CFS_INO_PORTS
		      : strcmp(name, "log") == 0 ? CFS_INO_LOG
						 : CFS_INO_LOG1;
	} else if (parent == CFS_INO_PORTS) {
		cfs_ports_expire(&fp->ports, cfs_now_ns(), EXPIRY_LOOKUP_NS);
		if (strcmp(name, "clone") == 0) {
			ino = CFS_INO_CLONE;
		} else {
			pthread_mutex_lock(&fp->ports.lock);
			struct cfs_port *p = cfs_port_find(&fp->ports, name);
			if (p)
				ino = port_ino(p->id, TAG_PORTDIR);
			pthread_mutex_unlock(&fp->ports.lock);
		}
	} else if (cfs_ino_tag(parent) == TAG_PORTDIR) {
		for (unsigned i = 0; i < CFS_ARRAY_SIZE(port_files); i++)
			if (strcmp(port_files[i], name) == 0)
				ino = port_ino(cfs_ino_id(parent), TAG_PORT_FILTER + i);
	}
	struct fuse_entry_param e;
	int r = ino ? make_entry(fp, ino, &e) : -ENOENT;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

void cfs_fsports_getattr(fuse_req_t req, uint64_t ino)
{
	struct cfs_fsports *fp = P(req);
	struct stat st;
	pthread_mutex_lock(&fp->ports.lock);
	int r = fill(fp, ino, &st);
	pthread_mutex_unlock(&fp->ports.lock);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, 0);
}

static bool add_dirent(fuse_req_t req, char *buf, size_t size, size_t *len, const char *name,
		       uint64_t ino, mode_t type, off_t next)
{
	struct stat st = {.st_ino = ino, .st_mode = type};
	size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);
	if (*len + need > size)
		return false;
	fuse_add_direntry(req, buf + *len, size - *len, name, &st, next);
	*len += need;
	return true;
}

void cfs_fsports_readdir(fuse_req_t req, uint64_t ino, size_t size, off_t off)
{
	struct cfs_fsports *fp = P(req);
	char *buf = malloc(size ? size : 1);
	size_t len = 0;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	bool ok = true;
	/* Offsets: 1 ".", 2 "..", 3 "clone" or the first file, port id X at X + 4. */
	if (off < 1)
		ok = add_dirent(req, buf, size, &len, ".", ino, S_IFDIR, 1);
	if (ok && off < 2)
		ok = add_dirent(req, buf, size, &len, "..",
				ino == CFS_INO_PORTS ? CFS_INO_ROOT : CFS_INO_PORTS, S_IFDIR, 2);
	if (ino == CFS_INO_PORTS && off == 0)
		cfs_ports_expire(&fp->ports, cfs_now_ns(), EXPIRY_LOOKUP_NS);
	pthread_mutex_lock(&fp->ports.lock);
	if (ino == CFS_INO_PORTS) {
		if (ok && off < 3)
			ok = add_dirent(req, buf, size, &len, "clone", CFS_INO_CLONE, S_IFREG, 3);
		for (size_t i = 0; ok && i < fp->ports.ports.n; i++) {
			struct cfs_port *p = fp->ports.ports.v[i];
			if (!p->name || p->closed || (off_t)(p->id + 4) <= off)
				continue;
			ok = add_dirent(req, buf, size, &len, p->name, port_ino(p->id, TAG_PORTDIR),
					S_IFDIR, (off_t)(p->id + 4));
		}
	} else if (cfs_port_by_id(&fp->ports, cfs_ino_id(ino))) {
		for (unsigned i = 0; ok && i < CFS_ARRAY_SIZE(port_files); i++)
			if ((off_t)(i + 3) > off)
				ok = add_dirent(req, buf, size, &len, port_files[i],
						port_ino(cfs_ino_id(ino), TAG_PORT_FILTER + i), S_IFREG,
						(off_t)(i + 3));
	} else {
		pthread_mutex_unlock(&fp->ports.lock);
		free(buf);
		fuse_reply_err(req, ENOENT);
		return;
	}
	pthread_mutex_unlock(&fp->ports.lock);
	fuse_reply_buf(req, buf, len);
	free(buf);
}

/* --- creating and removing ports --- */

void cfs_fsports_mkdir(fuse_req_t req, uint64_t parent, const char *name)
{
	struct cfs_fsports *fp = P(req);
	if (parent != CFS_INO_PORTS) {
		fuse_reply_err(req, EPERM);
		return;
	}
	uint64_t id;
	struct cfs_cred c;
	int r = req_cred(req, &c);
	if (r == 0) {
		r = cfs_port_create(&fp->ports, name, &c, &id);
		if (r == -EDQUOT)
			cfs_log(LOG_NOTICE, "mkdir ports/%s refused: uid %u has its quota of named "
				"ports (--limit-ports)", name, c.uid);
		cfs_cred_free(&c);
	}
	struct fuse_entry_param e;
	if (r == 0)
		r = make_entry(fp, port_ino(id, TAG_PORTDIR), &e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

void cfs_fsports_rmdir(fuse_req_t req, uint64_t parent, const char *name)
{
	struct cfs_fsports *fp = P(req);
	if (parent != CFS_INO_PORTS) {
		fuse_reply_err(req, EPERM);
		return;
	}
	struct cfs_cred c;
	int r = req_cred(req, &c);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	pthread_mutex_lock(&fp->ports.lock);
	struct cfs_port *p = cfs_port_find(&fp->ports, name);
	r = !p ? -ENOENT : (!c.admin && c.uid != p->uid) ? -EPERM : 0;
	pthread_mutex_unlock(&fp->ports.lock);
	cfs_cred_free(&c);
	if (r == 0)
		r = cfs_port_remove(&fp->ports, name);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* Blocked readers get the closing record, then end-of-file. */
	wake_all(fp, false);
	fuse_reply_err(req, 0);
}

/* --- files --- */

bool cfs_fsports_is_fh(uint64_t fh)
{
	return fh && ((struct pfh *)(uintptr_t)fh)->magic == PFH_MAGIC;
}

/* Opens a reader of ports/clone or of an events file for h (the
 * caller's credentials decide what it sees and count for its quotas). */
static int open_reader(fuse_req_t req, uint64_t ino, int acc, struct pfh *h)
{
	struct cfs_fsports *fp = P(req);
	/* An anonymous port is configured and read through its one
	 * descriptor: any other open could never get a record. */
	if (ino == CFS_INO_CLONE && acc != O_RDWR)
		return -EINVAL;
	struct cfs_cred c;
	int r = req_cred(req, &c);
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

void cfs_fsports_open(fuse_req_t req, uint64_t ino, struct fuse_file_info *fi)
{
	struct cfs_fsports *fp = P(req);
	int acc = fi->flags & O_ACCMODE;
	struct pfh *h = calloc(1, sizeof(*h));
	int r = h ? 0 : -ENOMEM;
	if (r == 0) {
		h->magic = PFH_MAGIC;
		unsigned tag = cfs_ino_tag(ino);
		if (ino == CFS_INO_PORTS || (ino >= CFS_INO_FIXED_END && tag == TAG_PORTDIR)) {
			r = -EISDIR;
		} else if (ino == CFS_INO_LOG || ino == CFS_INO_LOG1) {
			h->kind = PFH_LOG;
			h->which = ino == CFS_INO_LOG1;
			r = acc == O_RDONLY ? 0 : -EACCES;
			/* The kernel checks the mode (0440 root:ADMIN) first;
			 * this holds without default_permissions too. */
			struct cfs_cred c;
			if (r == 0 && (r = req_cred(req, &c)) == 0) {
				r = c.admin ? 0 : -EACCES;
				cfs_cred_free(&c);
			}
		} else if (ino == CFS_INO_CLONE || tag == TAG_PORT_EVENTS) {
			r = open_reader(req, ino, acc, h);
		} else {
			h->kind = PFH_FILE;
			h->port_id = cfs_ino_id(ino);
			h->file = port_files[tag - TAG_PORT_FILTER];
			if (acc != O_RDONLY && tag == TAG_PORT_STATS)
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

static void interrupted(fuse_req_t req, void *data)
{
	struct cfs_reader *rd = data;
	struct cfs_fsports *fp = P(req);
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

static void read_events(fuse_req_t req, struct pfh *h, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct cfs_fsports *fp = P(req);
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
	char *buf = malloc(size ? size : 1);
	ssize_t n = buf ? cfs_reader_take(&fp->ports, rd, (uint64_t)off, buf, size) : -ENOMEM;
	if (n == -EAGAIN && fp->stopping)
		n = 0;
	bool woken = pk->woken;
	pk->woken = false;
	if (n == -EAGAIN && !woken && !(fi->flags & O_NONBLOCK) && !fuse_req_interrupted(req)) {
		pk->req = req;
		pk->size = size;
		pk->off = off;
		pk->deadline = pk->wait_ms ? mono_ms() + pk->wait_ms : 0;
		if (pk->deadline)
			pthread_cond_signal(&fp->timer_cv);
		pthread_mutex_unlock(&fp->ports.lock);
		free(buf);
		return;
	}
	pthread_mutex_unlock(&fp->ports.lock);
	if (n == -EAGAIN && fuse_req_interrupted(req))
		n = -EINTR;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

void cfs_fsports_read(fuse_req_t req, uint64_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)ino;
	struct cfs_fsports *fp = P(req);
	struct pfh *h = (struct pfh *)(uintptr_t)fi->fh;
	if (h->kind == PFH_READER) {
		read_events(req, h, size, off, fi);
		return;
	}
	if (h->kind == PFH_LOG) {
		char *buf = malloc(size ? size : 1);
		ssize_t n = buf ? cfs_eventlog_read(&fp->log, h->which, off, buf, size) : -ENOMEM;
		if (n < 0)
			fuse_reply_err(req, (int)-n);
		else
			fuse_reply_buf(req, buf, (size_t)n);
		free(buf);
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

/* Ends the parked reads whose deadline passed (EAGAIN), then sleeps until
 * the next deadline or a new one. */
static void *timer_main(void *arg)
{
	struct cfs_fsports *fp = arg;
	pthread_mutex_lock(&fp->ports.lock);
	while (!fp->timer_stop) {
		int64_t now = mono_ms(), next = 0;
		struct wakes w = {0};
		for (size_t i = 0; i < fp->ports.ports.n; i++) {
			struct cfs_port *p = fp->ports.ports.v[i];
			for (size_t k = 0; k < p->readers.n; k++) {
				struct park *pk = ((struct cfs_reader *)p->readers.v[k])->user;
				if (!pk || !pk->req || !pk->deadline)
					continue;
				if (pk->deadline <= now) {
					wakes_push(&w, (struct wake){pk->req, NULL, -EAGAIN, NULL});
					pk->req = NULL;
					pk->deadline = 0;
				} else if (!next || pk->deadline < next) {
					next = pk->deadline;
				}
			}
		}
		if (w.n) {
			pthread_mutex_unlock(&fp->ports.lock);
			wakes_send(&w);
			pthread_mutex_lock(&fp->ports.lock);
			continue;
		}
		if (!next) {
			pthread_cond_wait(&fp->timer_cv, &fp->ports.lock);
		} else {
			struct timespec ts = {.tv_sec = next / 1000, .tv_nsec = (next % 1000) * 1000000};
			pthread_cond_timedwait(&fp->timer_cv, &fp->ports.lock, &ts);
		}
	}
	pthread_mutex_unlock(&fp->ports.lock);
	return NULL;
}

/* "wake" and "wait MS" on a reader: how its blocking reads end (see
 * struct park). Returns 1 when buf was one of them, 0 when it was not,
 * -errno when it was but is bad. */
static int reader_wait_line(struct cfs_fsports *fp, struct pfh *h, const char *buf, size_t size)
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
		if (ms && !fp->timer_started && !fp->timer_stop) {
			if (pthread_create(&fp->timer, NULL, timer_main, fp) == 0)
				fp->timer_started = true;
			else
				r = -EAGAIN;
		}
	}
	pthread_mutex_unlock(&fp->ports.lock);
	if (parked)
		fuse_reply_err(parked, EAGAIN);
	return r < 0 ? r : 1;
}

void cfs_fsports_write(fuse_req_t req, uint64_t ino, const char *buf, size_t size,
		       struct fuse_file_info *fi)
{
	(void)ino;
	struct cfs_fsports *fp = P(req);
	struct pfh *h = (struct pfh *)(uintptr_t)fi->fh;
	const char *why = NULL;
	int r;
	if (memchr(buf, '\0', size)) {
		r = -EINVAL;
	} else if (h->kind == PFH_READER && (r = reader_wait_line(fp, h, buf, size)) != 0) {
		why = "wait takes milliseconds (at most a day)";
		if (r > 0) {
			fuse_reply_write(req, size);
			return;
		}
	} else if (h->kind == PFH_READER) {
		r = cfs_reader_write(&fp->ports, h->rd, buf, size, &why);
	} else if (h->kind == PFH_FILE && strcmp(h->file, "filter") == 0) {
		struct cfs_cred c;
		if ((r = req_cred(req, &c)) == 0) {
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
		wake_all(fp, false);
}

void cfs_fsports_poll(fuse_req_t req, struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	struct cfs_fsports *fp = P(req);
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
	struct cfs_fsports *fp = P(req);
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
