/* SPDX-License-Identifier: MIT */
/* Answering parked reads and polls of port readers (fs_ports.h): after
 * commits, by the waker thread, off the committer's; at a parked read's
 * deadline ("wait MS"), by the timer thread. Replies are gathered under
 * the ports lock and sent once it is released (struct wakes). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "fs_ports_i.h"

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
		struct cfs_buf out = {0};
		ssize_t n = cfs_buf_reserve(&out, pk->size);
		if (n == 0)
			n = cfs_reader_take_buf(&fp->ports, rd, (uint64_t)pk->off, &out, pk->size);
		if (n == -EAGAIN && eof)
			n = 0;
		if (n != -EAGAIN) {
			wakes_push(w, (struct wake){pk->req, out.data, n, NULL});
			pk->req = NULL;
			out = (struct cfs_buf){0};
		}
		cfs_buf_free(&out);
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
void cfs_fsports_wake_all(struct cfs_fsports *fp, bool eof)
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
		cfs_fsports_wake_all(fp, false);
		cfs_ports_expire(&fp->ports, cfs_now_ns(), CFS_FSPORTS_EXPIRY_SWEEP_NS);
		pthread_mutex_lock(&fp->wake_lock);
	}
	pthread_mutex_unlock(&fp->wake_lock);
	return NULL;
}

void cfs_fsports_wake_later(struct cfs_fsports *fp)
{
	pthread_mutex_lock(&fp->wake_lock);
	bool waker = fp->waker_started;
	fp->wake_pending = true;
	pthread_cond_signal(&fp->wake_cv);
	pthread_mutex_unlock(&fp->wake_lock);
	if (!waker)
		cfs_fsports_wake_all(fp, false);
}

int cfs_fsports_waker_start(struct cfs_fsports *fp)
{
	int r = -pthread_create(&fp->waker, NULL, waker_main, fp);
	if (r == 0)
		fp->waker_started = true;
	return r;
}

void cfs_fsports_waker_stop(struct cfs_fsports *fp)
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

/* Ends the parked reads whose deadline passed (EAGAIN), then sleeps until
 * the next deadline or a new one. */
static void *timer_main(void *arg)
{
	struct cfs_fsports *fp = arg;
	pthread_mutex_lock(&fp->ports.lock);
	while (!fp->timer_stop) {
		int64_t now = cfs_fsports_mono_ms(), next = 0;
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

int cfs_fsports_timer_start(struct cfs_fsports *fp)
{
	if (fp->timer_started || fp->timer_stop)
		return 0;
	if (pthread_create(&fp->timer, NULL, timer_main, fp) != 0)
		return -EAGAIN;
	fp->timer_started = true;
	return 0;
}

void cfs_fsports_timer_stop(struct cfs_fsports *fp)
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
