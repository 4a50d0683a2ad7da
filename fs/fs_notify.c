/* SPDX-License-Identifier: MIT */
/* The notifier thread: cache invalidation and inotify replay (see
 * fs_notify.h for the technique).
 *
 * After each commit the engine calls on_commit() on its committer thread
 * with the batch's records. There, under the model's read lock, the
 * records become one unit of work (fs_notify_map.c):
 *  - invalidation items: the inodes whose content or attributes changed
 *    and the directory entries that went away or were renamed;
 *  - self-ops: the system calls that make the kernel raise the events a
 *    local file system would have raised, in record order, with each
 *    file modified at most once per unit (inotify merges such events
 *    anyway: an event means "changed since you last looked").
 * The notifier thread takes the units in order. It first invalidates, with
 * no lock held (the notify calls may wait for requests in flight), and
 * then has the replayer perform the self-ops on its clone of the mount
 * (fs_replay.h), after the users' own calls of the commit were answered.
 * It never holds a lock across a system call on the mount (fuse-notify.md
 * §5.1). Handlers never wait for it. The committer waits for a unit's
 * invalidation before the batch is answered, and, for a sync unit
 * (fs_notify_i.h: the ATTRIB events on the values of a key the user's own
 * chmod changed), for its replay too, so that those events are queued
 * before the user's call returns: a sync unit does not wait for the
 * answer. */
#include "fs_notify.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs_i.h"
#include "fs_inode.h"
#include "fs_notify_i.h"
#include "fs_replay.h"
#include "log.h"

struct cfs_notify {
	struct cfs_fs *fs;
	char *mnt;
	pthread_t thread;
	struct cfs_replayer *rp; /* performs the self-ops (fs_replay.h) */
	pid_t tid;    /* the replayer's pid: its requests carry it */
	dev_t dev;    /* the mount's device (0: not known yet) */
	/* Notifier thread only: the replayer works on its own clone of the
	 * mount (cloned), or walks the mount point, which then must still be
	 * the mount's (dev_ok: dev is known), see run_unit(). */
	bool cloned;
	bool dev_ok;

	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct cfs_unit *qhead, *qtail; /* self-op queue, guarded by qlock */
	bool stop;		    /* guarded by qlock */
	/* The mount point is gone (cfs_notify_detach): no more replays;
	 * invalidations go on. Guarded by qlock. */
	bool detached;

	/* The invalidation thread: takes units first, invalidates, then
	 * hands them to the notifier thread for their self-ops. */
	pthread_t ithread;
	pthread_cond_t icond;	       /* guarded by qlock */
	struct cfs_unit *ihead, *itail;    /* guarded by qlock */
	uint64_t gen;		       /* written by the committer under qlock */
	uint64_t pre_done;	       /* guarded by qlock */
	pthread_cond_t pre_cond;       /* signalled when pre_done moves */
	uint64_t replayed;	       /* the last unit done with; guarded by qlock */
	uint64_t released;	       /* the last sync unit whose commit need not
				        * wait any longer; guarded by qlock */
	pthread_cond_t replay_cond;    /* signalled when replayed or released moves */
	/* Self-ops of the units queued and not yet done with (the
	 * backlog the gate bounds); guarded by qlock. */
	uint64_t backlog;
	/* Self-ops carried out so far: the replay's progress (atomic). */
	uint64_t ops_run;
	/* The last unit whose users' calls were answered (cfs_notify_answered);
	 * guarded by qlock. */
	uint64_t answered;
	pthread_cond_t answer_cond; /* signalled when answered moves */

	/* The self-op in progress, as the handlers must see it. */
	pthread_mutex_t view_lock;
	const struct cfs_selfop *cur; /* guarded by view_lock */

	char quorum[16]; /* committer thread only */
};

static const char *quorum_word(const struct cfs_model *m)
{
	return cfs_model_quorate(m) ? "quorate" : "lost";
}

/* The two unit queues (to the invalidation thread, to the notifier
 * thread) share these; qlock is held by the caller of push, taken by pop. */
static void queue_push(struct cfs_unit **head, struct cfs_unit **tail, pthread_cond_t *cond,
		       struct cfs_unit *u)
{
	u->next = NULL;
	if (*tail)
		(*tail)->next = u;
	else
		*head = u;
	*tail = u;
	pthread_cond_signal(cond);
}

/* Waits for a unit; NULL once the notifier stops. */
static struct cfs_unit *queue_pop(struct cfs_notify *nt, struct cfs_unit **head,
				  struct cfs_unit **tail, pthread_cond_t *cond)
{
	pthread_mutex_lock(&nt->qlock);
	while (!*head && !nt->stop)
		pthread_cond_wait(cond, &nt->qlock);
	struct cfs_unit *u = nt->stop ? NULL : *head;
	if (u) {
		*head = u->next;
		if (!*head)
			*tail = NULL;
		u->next = NULL;
	}
	pthread_mutex_unlock(&nt->qlock);
	return u;
}

static void queue_unit(struct cfs_notify *nt, struct cfs_unit *u);

static void on_commit(void *ud, const struct cfs_record *recs, size_t n)
{
	struct cfs_notify *nt = ud;
	struct cfs_unit *u = calloc(1, sizeof(*u));
	if (!u)
		return;
	const struct cfs_model *m = &nt->fs->e->model;
	for (size_t i = 0; i < n; i++) {
		const struct cfs_origin *o = recs[i].origin;
		if (!o || o->what == CFS_ORIGIN_NONE ||
		    (u->norigins && memcmp(&u->origins[u->norigins - 1], o, sizeof(*o)) == 0))
			continue;
		if (u->norigins < CFS_ARRAY_SIZE(u->origins))
			u->origins[u->norigins++] = *o;
		else
			u->origins_overflow = true;
	}
	cfs_engine_rdlock(nt->fs->e);
	for (size_t i = 0; i < n; i++)
		cfs_unit_map(u, m, &recs[i]);
	cfs_fsparam_flush(u, m);
	/* The event log grew (fs_ports.c appended before this listener): its
	 * size is fresh for tail's polling, and IN_MODIFY for inotify users. */
	cfs_unit_modify(u, NULL, "log", CFS_INO_LOG);
	cfs_unit_inval(u, CFS_INO_LOG1, NULL);
	const char *q = quorum_word(m);
	if (strcmp(q, nt->quorum) != 0) {
		if (nt->quorum[0])
			cfs_unit_modify(u, NULL, "quorum", CFS_INO_QUORUM);
		snprintf(nt->quorum, sizeof(nt->quorum), "%s", q);
	}
	cfs_engine_unlock(nt->fs->e);
	queue_unit(nt, u);
}

/* Queues a unit for the threads and waits (bounded) until the kernel's
 * caches no longer show what it changed. */
static void queue_unit(struct cfs_notify *nt, struct cfs_unit *u)
{
	if (!u->nitems && !u->nops) {
		cfs_unit_free(u);
		return;
	}
	cfs_unit_built(u);
	/* Once queued, u belongs to the notifier threads (which free it):
	 * keep its generation. */
	const bool sync = u->sync;
	pthread_mutex_lock(&nt->qlock);
	const uint64_t gen = u->gen = ++nt->gen;
	nt->backlog += u->nops;
	queue_push(&nt->ihead, &nt->itail, &nt->icond, u);
	/* The caches must be exact before the writer is answered, so that a
	 * read right after an acknowledged change shows it. The wait is
	 * bounded: an invalidation can wait for a page that another request,
	 * itself waiting for this commit, holds locked; after the bound that
	 * request is answered and its page let go. */
	struct timespec until = cfs_deadline_us(200 * 1000);
	while (nt->pre_done < gen && !nt->stop)
		if (pthread_cond_timedwait(&nt->pre_cond, &nt->qlock, &until) != 0)
			break;
	/* A sync unit's events belong to the user's call: they are queued
	 * before it is answered (run_unit releases the wait early when one
	 * of them could only be raised after the answer). Bounded, as any
	 * wait here. */
	until = cfs_deadline_us(1000 * 1000);
	while (sync && nt->replayed < gen && nt->released < gen && !nt->stop)
		if (pthread_cond_timedwait(&nt->replay_cond, &nt->qlock, &until) != 0)
			break;
	pthread_mutex_unlock(&nt->qlock);
}

/* After this node took the cluster's state (engine.h, cfs_engine_install),
 * the kernel may cache any name and any content of the tree it had: every
 * entry and inode of the old tree and of the new one is invalidated
 * (entries of the new tree too, for names the kernel remembers as
 * missing). The records this node had not seen follow as a commit, for
 * inotify. Committer thread: both models hold still. */
struct walk {
	struct cfs_fs *fs;
	const struct cfs_model *m;
	struct cfs_unit *u;
	uint64_t parent;
};

static void walk_entry(void *ud, const char *name, uint64_t ino, mode_t type)
{
	struct walk *w = ud;
	cfs_unit_inval(w->u, w->parent, name);
	cfs_unit_inval(w->u, ino, NULL);
	struct cfs_node n;
	if (!S_ISDIR(type) || ino == CFS_INO_PORTS || cfs_resolve(w->m, ino, &n) < 0)
		return;
	uint64_t up = w->parent;
	w->parent = ino;
	cfs_node_each_child(w->fs, w->m, &n, walk_entry, w);
	w->parent = up;
}

static void walk_tree(struct cfs_fs *fs, const struct cfs_model *m, struct cfs_unit *u)
{
	struct cfs_node root;
	if (cfs_resolve(m, CFS_INO_ROOT, &root) < 0)
		return;
	struct walk w = {fs, m, u, CFS_INO_ROOT};
	cfs_unit_inval(u, CFS_INO_ROOT, NULL);
	cfs_node_each_child(fs, m, &root, walk_entry, &w);
}

static void on_reset(void *ud, const struct cfs_engine_reset *rs)
{
	struct cfs_notify *nt = ud;
	struct cfs_unit *u = calloc(1, sizeof(*u));
	if (!u)
		return;
	walk_tree(nt->fs, rs->old_model, u);
	walk_tree(nt->fs, &nt->fs->e->model, u);
	cfs_unit_inval(u, CFS_INO_LOG, NULL); /* the event log starts anew */
	cfs_unit_inval(u, CFS_INO_LOG1, NULL);
	snprintf(nt->quorum, sizeof(nt->quorum), "%s", quorum_word(&nt->fs->e->model));
	queue_unit(nt, u);
}

/* True when invalidating this item could wait for a request that is
 * waiting for this very commit (the user's own write or mkdir): those go
 * after the writer is answered. */
static bool is_post(const struct cfs_unit *u, const struct cfs_inval *it)
{
	if (u->origins_overflow)
		return true;
	for (size_t i = 0; i < u->norigins; i++) {
		const struct cfs_origin *o = &u->origins[i];
		if (o->ino == it->ino)
			return true;
	}
	return false;
}

static void invalidate(struct fuse_session *se, const struct cfs_unit *u, bool post)
{
	/* Entries first (names that went away), then contents. Errors only
	 * mean the kernel had nothing cached. */
	for (size_t i = 0; i < u->nitems; i++)
		if (u->items[i].name && is_post(u, &u->items[i]) == post)
			fuse_lowlevel_notify_inval_entry(se, u->items[i].ino, u->items[i].name,
							 strlen(u->items[i].name));
	for (size_t i = 0; i < u->nitems; i++)
		if (!u->items[i].name && is_post(u, &u->items[i]) == post)
			fuse_lowlevel_notify_inval_inode(se, u->items[i].ino, 0, 0);
}

static void *inval_main(void *arg)
{
	struct cfs_notify *nt = arg;
	struct fuse_session *se = nt->fs->se;
	struct cfs_unit *u;
	while ((u = queue_pop(nt, &nt->ihead, &nt->itail, &nt->icond))) {
		invalidate(se, u, false);
		pthread_mutex_lock(&nt->qlock);
		nt->pre_done = u->gen;
		pthread_cond_broadcast(&nt->pre_cond);
		pthread_mutex_unlock(&nt->qlock);
		invalidate(se, u, true);
		cfs_unit_drop_items(u);

		/* State, then caches, then the events (fuse-notify.md §2.5).
		 * A unit without self-ops goes the same way, so that `replayed`
		 * only moves forward. */
		pthread_mutex_lock(&nt->qlock);
		queue_push(&nt->qhead, &nt->qtail, &nt->qcond, u);
		pthread_mutex_unlock(&nt->qlock);
	}
	return NULL;
}

/* --- the notifier thread --- */

static void set_view(struct cfs_notify *nt, const struct cfs_selfop *o)
{
	pthread_mutex_lock(&nt->view_lock);
	nt->cur = o;
	pthread_mutex_unlock(&nt->view_lock);
}

static void run_op(struct cfs_notify *nt, const struct cfs_selfop *o)
{
	static const enum cfs_replay_op calls[] = {
		[CFS_SOP_MKDIR] = CFS_R_MKDIR,     [CFS_SOP_MKNOD] = CFS_R_MKNOD,
		[CFS_SOP_SYMLINK] = CFS_R_SYMLINK, [CFS_SOP_UNLINK] = CFS_R_UNLINK,
		[CFS_SOP_RMDIR] = CFS_R_RMDIR,     [CFS_SOP_RENAME] = CFS_R_RENAME,
		[CFS_SOP_MODIFY] = CFS_R_MODIFY,   [CFS_SOP_ATTRIB] = CFS_R_ATTRIB,
	};
	if (o->skip || !o->path ||
	    ((o->op == CFS_SOP_RENAME || o->op == CFS_SOP_SYMLINK) && !o->path2))
		return;
	/* The name may have been reused since (a user's mkdir of a name the
	 * cluster just deleted): then it is not ours to remove or touch. The
	 * check runs with no view set: it sees the tree as everyone does. A
	 * modification or a touch is checked by the handlers instead
	 * (cfs_notify_self_target), which saves a hop and a GETATTR before
	 * the event. */
	bool removes = o->op == CFS_SOP_UNLINK || o->op == CFS_SOP_RMDIR || o->op == CFS_SOP_RENAME;
	uint64_t expect = o->ntomb && removes ? cfs_tomb_at(o, 0)->ino : 0;
	struct stat cur;
	if (expect && cfs_replayer_call(nt->rp, CFS_R_LSTAT, o->path, NULL, &cur) == 0 &&
	    (uint64_t)cur.st_ino != expect)
		return;
	set_view(nt, o);
	int r = cfs_replayer_call(nt->rp, calls[o->op], o->path, o->path2, NULL);
	if (r < 0)
		cfs_log(LOG_DEBUG, "self-op on %s failed: %s", o->path, strerror(-r));
	set_view(nt, NULL);
}

/* True once replays are over: the daemon stops, or the mount point went. */
static bool replays_over(struct cfs_notify *nt)
{
	pthread_mutex_lock(&nt->qlock);
	bool s = nt->stop || nt->detached;
	pthread_mutex_unlock(&nt->qlock);
	return s;
}

/* A sync unit (cfs_unit.sync) whose commit is answered now: a replay
 * would otherwise wait for the very call that waits for it. */
static void release_unit(struct cfs_notify *nt, const struct cfs_unit *u)
{
	pthread_mutex_lock(&nt->qlock);
	if (nt->released < u->gen)
		nt->released = u->gen;
	pthread_cond_broadcast(&nt->replay_cond);
	pthread_mutex_unlock(&nt->qlock);
}

/* Whether an ATTRIB self-op of a sync unit can run while the user's call
 * holds its directory's lock: only when the kernel has every name of the
 * path cached (a lookup would wait for that lock). */
static bool reachable_now(struct cfs_notify *nt, const struct cfs_selfop *o)
{
	char *dir = o->path ? strdup(o->path) : NULL;
	bool ok = false;
	if (dir) {
		/* Paths are relative to the replayer's mount ("" is its root). */
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
		ok = cfs_replayer_call(nt->rp, CFS_R_CACHED, o->path, dir, NULL) == 0;
	}
	free(dir);
	return ok;
}

static void run_unit(struct cfs_notify *nt, struct cfs_unit *u)
{
	if (!u->nops || replays_over(nt)) {
		release_unit(nt, u);
		return;
	}
	bool sync = u->sync;
	/* Without a clone, after a lazy unmount, paths under the mount point
	 * lead elsewhere: replay nothing then (fuse-notify.md §5.6). */
	struct stat st;
	if (!nt->cloned && (!nt->dev_ok || cfs_replayer_call(nt->rp, CFS_R_STAT, "", NULL, &st) != 0 ||
			    st.st_dev != nt->dev)) {
		release_unit(nt, u);
		return;
	}
	for (size_t i = 0; i < u->nops; i++) {
		if (i && replays_over(nt)) {
			release_unit(nt, u);
			return; /* dropped (fs_notify.h) */
		}
		if (sync && u->ops[i].op == CFS_SOP_ATTRIB && !reachable_now(nt, &u->ops[i])) {
			release_unit(nt, u);
			sync = false;
		}
		run_op(nt, &u->ops[i]);
		__atomic_add_fetch(&nt->ops_run, 1, __ATOMIC_RELAXED);
	}
}

/* The replayer's clone of the mount, or else the mount point's device,
 * read once the loop serves it (without a clone). */
static void attach(struct cfs_notify *nt)
{
	struct stat st;
	int r = cfs_replayer_attach(nt->rp, nt->mnt, &st);
	if (r == 0 && st.st_ino == CFS_INO_ROOT && (!nt->dev || st.st_dev == nt->dev)) {
		nt->dev = st.st_dev;
		nt->cloned = nt->dev_ok = true;
		return;
	}
	if (r == 0) {
		/* The mount point showed something else already: it was
		 * unmounted, or mounted over, before we got here. */
		cfs_log(LOG_WARNING, "%s is not this daemon's mount any more: no inotify replays",
			nt->mnt);
		cfs_notify_detach(nt->fs);
		return;
	}
	cfs_log(LOG_WARNING,
		"no mount of its own for the inotify replays (%s): they walk %s, and an "
		"unmount during a replay can fail as busy",
		strerror(-r), nt->mnt);
	for (int i = 0; i < 500 && !nt->dev_ok && !replays_over(nt); i++) {
		if (cfs_replayer_call(nt->rp, CFS_R_STAT, "", NULL, &st) == 0 &&
		    st.st_ino == CFS_INO_ROOT && (!nt->dev || st.st_dev == nt->dev)) {
			nt->dev = st.st_dev;
			nt->dev_ok = true;
			break;
		}
		usleep(10000);
	}
}

/* A unit that holds a user's own call (an origin) is replayed once that
 * call was answered: the kernel raises the call's own events (the write's
 * IN_MODIFY) when the answer reaches it, and those come before the events
 * of what the call made the daemon do, as a local file system gives them.
 * Bounded, as the answer of a refused call never comes. */
static void wait_answered(struct cfs_notify *nt, const struct cfs_unit *u)
{
	if (!u->norigins && !u->origins_overflow)
		return;
	struct timespec until = cfs_deadline_us(100 * 1000);
	pthread_mutex_lock(&nt->qlock);
	while (nt->answered < u->gen && !nt->stop && !nt->detached)
		if (pthread_cond_timedwait(&nt->answer_cond, &nt->qlock, &until) != 0)
			break;
	pthread_mutex_unlock(&nt->qlock);
}

/* Whether a later unit already queued modifies the same file as o, with
 * nothing in between that could take its path away. inotify merges
 * modifications a watcher has not read yet anyway ("changed since you
 * last looked"), so when the replays lag behind the commits (many
 * writers), o's event is left to that later replay, which comes after a
 * newer content: the file still shows new content when its event
 * arrives. Only plain modifications qualify. Bounded, as the queue can be
 * long. */
static bool modified_later(struct cfs_notify *nt, const struct cfs_unit *u, size_t from,
			   const struct cfs_selfop *o)
{
	enum { SCAN_OPS = 4096 };
	size_t seen = 0;
	bool found = false;
	pthread_mutex_lock(&nt->qlock);
	const struct cfs_unit *w = u;
	size_t i = from;
	while (w && !found && seen < SCAN_OPS) {
		for (; i < w->nops && seen < SCAN_OPS; i++, seen++) {
			const struct cfs_selfop *x = &w->ops[i];
			if (x->op != CFS_SOP_MODIFY && x->op != CFS_SOP_ATTRIB) {
				seen = SCAN_OPS; /* a name may change: stop */
				break;
			}
			if (w != u && x->op == CFS_SOP_MODIFY && x->ino == o->ino && !x->ntomb &&
			    x->path && strcmp(x->path, o->path) == 0) {
				found = true;
				break;
			}
		}
		/* Units whose replay waits for a user's answer, or that a
		 * user's call waits for, keep their own events. */
		w = w == u ? nt->qhead : w->next;
		if (w && (w->sync || w->norigins || w->origins_overflow))
			break;
		i = 0;
	}
	pthread_mutex_unlock(&nt->qlock);
	return found;
}

/* Self-ops replayed since the heap was last trimmed: a burst of changes
 * (building a large cluster) queues hundreds of megabytes of them, which
 * free() keeps in the allocator's arenas once they are done. */
#define TRIM_AFTER_OPS 20000

/* Gives the heap's free memory back once the queue is drained after a
 * burst, so that the daemon's size at rest follows its state (notifier
 * thread). */
static void trim_after_burst(struct cfs_notify *nt, size_t *ops_since_trim)
{
	if (*ops_since_trim < TRIM_AFTER_OPS)
		return;
	pthread_mutex_lock(&nt->qlock);
	bool drained = !nt->qhead;
	pthread_mutex_unlock(&nt->qlock);
	if (drained) {
		malloc_trim(0);
		*ops_since_trim = 0;
	}
}

static void *notify_main(void *arg)
{
	struct cfs_notify *nt = arg;
	attach(nt);
	struct cfs_unit *u;
	size_t ops_since_trim = 0;
	while ((u = queue_pop(nt, &nt->qhead, &nt->qtail, &nt->qcond))) {
		if (!u->sync)
			wait_answered(nt, u);
		for (size_t i = 0; !u->sync && i < u->nops; i++) {
			struct cfs_selfop *o = &u->ops[i];
			if (o->op == CFS_SOP_MODIFY && !o->ntomb && o->path &&
			    modified_later(nt, u, i + 1, o))
				o->skip = true;
		}
		run_unit(nt, u);
		pthread_mutex_lock(&nt->qlock);
		nt->replayed = u->gen;
		nt->backlog -= u->nops;
		pthread_cond_broadcast(&nt->replay_cond);
		pthread_mutex_unlock(&nt->qlock);
		ops_since_trim += u->nops;
		cfs_unit_free(u);
		trim_after_burst(nt, &ops_since_trim);
	}
	return NULL;
}

/* The engine's gate (committer thread): before a commit that renames or
 * removes names, wait for the replays of the earlier ones, which name
 * files by the paths of their time: a rename committed before an earlier
 * change is replayed would send that change's event nowhere. Bounded, as
 * a replay can wait for a request that waits for a commit: 100 ms.
 *
 * Before any commit, while more than cfs_fs.replay_backlog self-ops
 * (default 65536, about 190 bytes each with their strings: 12 MB) still
 * wait for their replay, the next commit waits for them as long as
 * the replay goes on (a self-op done in every 100 ms): commits in a burst
 * (building a large cluster) are faster than their replays, and without
 * this bound their queue grew to hundreds of megabytes (1.35 million
 * files built: 140 MB). A replay that stands still (its request waits for
 * this commit) is not waited for. */
static void replay_gate(void *ud, bool changes_names)
{
	struct cfs_notify *nt = ud;
	struct timespec until = cfs_deadline_us(100 * 1000);
	pthread_mutex_lock(&nt->qlock);
	while (changes_names && nt->replayed < nt->gen && !nt->stop && !nt->detached)
		if (pthread_cond_timedwait(&nt->replay_cond, &nt->qlock, &until) != 0)
			break;
	const size_t most = nt->fs->replay_backlog ? nt->fs->replay_backlog
						   : CFS_REPLAY_BACKLOG_DEFAULT;
	uint64_t seen = __atomic_load_n(&nt->ops_run, __ATOMIC_RELAXED);
	while (nt->backlog > most && !nt->stop && !nt->detached) {
		until = cfs_deadline_us(100 * 1000);
		if (pthread_cond_timedwait(&nt->replay_cond, &nt->qlock, &until) == 0)
			continue;
		uint64_t now = __atomic_load_n(&nt->ops_run, __ATOMIC_RELAXED);
		if (now == seen)
			break;
		seen = now;
	}
	pthread_mutex_unlock(&nt->qlock);
}

/* --- the handlers' side --- */

void cfs_notify_answered(struct cfs_fs *fs)
{
	struct cfs_notify *nt = fs->notify;
	if (!nt)
		return;
	pthread_mutex_lock(&nt->qlock);
	nt->answered = nt->gen;
	pthread_cond_broadcast(&nt->answer_cond);
	pthread_mutex_unlock(&nt->qlock);
}

bool cfs_notify_is_self(struct cfs_fs *fs, fuse_req_t req)
{
	if (!fs->notify)
		return false;
	pid_t tid = __atomic_load_n(&fs->notify->tid, __ATOMIC_ACQUIRE);
	return tid && fuse_req_ctx(req)->pid == tid;
}

int cfs_notify_lookup(struct cfs_fs *fs, uint64_t parent, const char *name, uint64_t *ret_ino,
		      mode_t *ret_mode)
{
	struct cfs_notify *nt = fs->notify;
	int r = 0;
	pthread_mutex_lock(&nt->view_lock);
	const struct cfs_selfop *o = nt->cur;
	if (o) {
		bool creates = o->op == CFS_SOP_MKDIR || o->op == CFS_SOP_MKNOD ||
			       o->op == CFS_SOP_SYMLINK;
		if (creates && o->parent == parent && strcmp(o->name, name) == 0)
			r = 1;
		/* A tomb before a rename's new name: the name is one when the
		 * rename replaces what had it. */
		for (int i = 0; r == 0 && i < o->ntomb; i++) {
			const struct cfs_tomb *t = cfs_tomb_at(o, i);
			if (t->parent == parent && strcmp(t->name, name) == 0) {
				*ret_ino = t->ino;
				*ret_mode = t->mode;
				r = 2;
			}
		}
		if (r == 0 && o->op == CFS_SOP_RENAME && o->parent == parent &&
		    strcmp(o->name2, name) == 0)
			r = 1;
	}
	pthread_mutex_unlock(&nt->view_lock);
	return r;
}

bool cfs_notify_self_target(struct cfs_fs *fs, uint64_t ino)
{
	struct cfs_notify *nt = fs->notify;
	bool ok = true;
	pthread_mutex_lock(&nt->view_lock);
	const struct cfs_selfop *o = nt->cur;
	if (o && (o->op == CFS_SOP_MODIFY || o->op == CFS_SOP_ATTRIB) && o->ino && o->ino != ino)
		ok = false;
	pthread_mutex_unlock(&nt->view_lock);
	return ok;
}

int cfs_notify_tomb_entry(struct cfs_fs *fs, uint64_t parent, const char *name,
			  uint64_t *ret_ino, mode_t *ret_mode)
{
	struct cfs_notify *nt = fs->notify;
	int r = -ENOENT;
	pthread_mutex_lock(&nt->view_lock);
	const struct cfs_selfop *o = nt->cur;
	for (int i = 0; o && i < o->ntomb; i++) {
		const struct cfs_tomb *t = cfs_tomb_at(o, i);
		if (t->parent == parent && strcmp(t->name, name) == 0) {
			*ret_ino = t->ino;
			*ret_mode = t->mode;
			r = 0;
		}
	}
	pthread_mutex_unlock(&nt->view_lock);
	return r;
}

int cfs_notify_tomb_mode(struct cfs_fs *fs, uint64_t ino, mode_t *ret_mode)
{
	struct cfs_notify *nt = fs->notify;
	int r = -ENOENT;
	pthread_mutex_lock(&nt->view_lock);
	const struct cfs_selfop *o = nt->cur;
	for (int i = 0; o && i < o->ntomb; i++) {
		if (cfs_tomb_at(o, i)->ino == ino) {
			*ret_mode = cfs_tomb_at(o, i)->mode;
			r = 0;
		}
	}
	pthread_mutex_unlock(&nt->view_lock);
	return r;
}

/* The notifier follows the commits from a point of the order, with the
 * quorum word as of that point (committer thread). */
struct follow {
	struct cfs_notify *nt;
	int r;
};

static void follow_commits(struct cfs_engine *e, void *ud)
{
	struct follow *a = ud;
	snprintf(a->nt->quorum, sizeof(a->nt->quorum), "%s", quorum_word(&e->model));
	a->r = cfs_engine_add_listener(e, on_commit, a->nt);
	if (a->r == 0 && (a->r = cfs_engine_set_reset(e, a->nt, on_reset)) == 0)
		cfs_engine_set_gate(e, replay_gate, a->nt);
}

int cfs_notify_start(struct cfs_fs *fs, const char *mnt, dev_t dev, struct cfs_replayer *rp)
{
	struct cfs_notify *nt = calloc(1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	nt->fs = fs;
	nt->rp = rp;
	nt->tid = rp->pid;
	nt->dev = dev;
	nt->mnt = realpath(mnt, NULL);
	if (!nt->mnt) {
		free(nt);
		return -errno;
	}
	pthread_mutex_init(&nt->qlock, NULL);
	pthread_cond_init(&nt->qcond, NULL);
	pthread_mutex_init(&nt->view_lock, NULL);
	pthread_cond_init(&nt->icond, NULL);
	pthread_cond_init(&nt->pre_cond, NULL);
	pthread_cond_init(&nt->replay_cond, NULL);
	pthread_cond_init(&nt->answer_cond, NULL);
	fs->notify = nt;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&nt->thread, NULL, notify_main, nt);
	if (r == 0 && (r = pthread_create(&nt->ithread, NULL, inval_main, nt)) != 0) {
		pthread_mutex_lock(&nt->qlock);
		nt->stop = true;
		pthread_cond_broadcast(&nt->qcond);
		pthread_mutex_unlock(&nt->qlock);
		pthread_join(nt->thread, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		fs->notify = NULL;
		free(nt->mnt);
		free(nt);
		return -r;
	}
	struct follow a = {nt, 0};
	int lr = cfs_engine_call_sync(fs->e, follow_commits, &a);
	if (lr == 0)
		lr = a.r;
	if (lr < 0) {
		cfs_notify_stop(fs);
		return lr;
	}
	return 0;
}

bool cfs_notify_drain(struct cfs_fs *fs, long ms)
{
	struct cfs_notify *nt = fs->notify;
	if (!nt)
		return true;
	struct timespec until = cfs_deadline_us((int64_t)ms * 1000);
	pthread_mutex_lock(&nt->qlock);
	const uint64_t owed = nt->gen;
	while (nt->replayed < owed && !nt->stop && !nt->detached)
		if (pthread_cond_timedwait(&nt->replay_cond, &nt->qlock, &until) != 0)
			break;
	bool done = nt->replayed >= owed;
	pthread_mutex_unlock(&nt->qlock);
	return done;
}

void cfs_notify_detach(struct cfs_fs *fs)
{
	struct cfs_notify *nt = fs->notify;
	if (!nt)
		return;
	pthread_mutex_lock(&nt->qlock);
	bool was = nt->detached;
	nt->detached = true;
	pthread_cond_broadcast(&nt->replay_cond);
	pthread_mutex_unlock(&nt->qlock);
	if (!was)
		cfs_replayer_kill(nt->rp);
}

void cfs_notify_quiesce(struct cfs_fs *fs)
{
	struct cfs_notify *nt = fs->notify;
	if (!nt)
		return;
	pthread_mutex_lock(&nt->qlock);
	nt->stop = true;
	pthread_cond_broadcast(&nt->qcond);
	pthread_cond_broadcast(&nt->icond);
	pthread_cond_broadcast(&nt->pre_cond);
	pthread_cond_broadcast(&nt->replay_cond);
	pthread_cond_broadcast(&nt->answer_cond);
	pthread_mutex_unlock(&nt->qlock);
}

void cfs_notify_stop(struct cfs_fs *fs)
{
	struct cfs_notify *nt = fs->notify;
	if (!nt)
		return;
	cfs_engine_remove_listener(fs->e, nt);
	cfs_engine_set_gate(fs->e, NULL, NULL);
	cfs_notify_quiesce(fs);
	pthread_join(nt->ithread, NULL);
	pthread_join(nt->thread, NULL);
	for (struct cfs_unit **q = &nt->qhead; q; q = q == &nt->qhead ? &nt->ihead : NULL) {
		while (*q) {
			struct cfs_unit *u = *q;
			*q = u->next;
			cfs_unit_free(u);
		}
	}
	pthread_cond_destroy(&nt->icond);
	pthread_cond_destroy(&nt->pre_cond);
	pthread_cond_destroy(&nt->replay_cond);
	pthread_cond_destroy(&nt->answer_cond);
	pthread_mutex_destroy(&nt->qlock);
	pthread_cond_destroy(&nt->qcond);
	pthread_mutex_destroy(&nt->view_lock);
	fs->notify = NULL;
	free(nt->mnt);
	free(nt);
}
