/* SPDX-License-Identifier: MIT */
#include "engine.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "engine_i.h"
#include "store.h"
#include "txn.h"

char *cfs_default_state_dir(void)
{
	if (geteuid() == 0)
		return strdup("/var/lib/clusterfs");
	char *p = NULL;
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg && *xdg) {
		if (asprintf(&p, "%s/clusterfs", xdg) < 0)
			return NULL;
		return p;
	}
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : "/tmp";
	}
	if (asprintf(&p, "%s/.local/state/clusterfs", home) < 0)
		return NULL;
	return p;
}

int cfs_engine_put_record(struct cfs_store *s, const struct cfs_record *c)
{
	const struct cfs_store_record sr = {
		.seq = c->seq,
		.time_ns = c->time_ns,
		.kind = c->kind,
		.change = c->change,
		.obj_id = c->obj_id,
		.obj_name = c->obj_name,
		.parent_id = c->parent_id,
		.prop = c->prop,
		.old_value = c->old_value,
		.new_value = c->new_value,
	};
	return cfs_store_put_record(s, &sr);
}

int cfs_engine_put_value(struct cfs_store *s, const struct cfs_value *v)
{
	const struct cfs_store_value sv = {
		.id = v->id,
		.key = v->key->id,
		.name = v->name,
		.type = v->type,
		.data = v->data,
		.len = v->len,
		.mtime_ns = v->mtime_ns,
		.flags = v->flags,
		.mode = v->mode,
		.uid = v->uid,
		.gid = v->gid,
	};
	return cfs_store_put_value(s, &sv);
}

/* The root key is not a row of the store: its time and security are meta
 * values. Security is kept plus one, so that 0 still means "never set"
 * (a cluster made before it was kept: 0755 root:root). */
int cfs_engine_put_root(struct cfs_store *s, const struct cfs_key *k)
{
	int r = cfs_store_set_meta(s, "root_mtime", (uint64_t)k->mtime_ns);
	if (r == 0)
		r = cfs_store_set_meta(s, "root_mode", (uint64_t)k->mode + 1);
	if (r == 0)
		r = cfs_store_set_meta(s, "root_uid", (uint64_t)k->uid + 1);
	if (r == 0)
		r = cfs_store_set_meta(s, "root_gid", (uint64_t)k->gid + 1);
	return r;
}

static int load_root(struct cfs_store *s, struct cfs_key *k)
{
	uint64_t mtime = 0, mode = 0, uid = 0, gid = 0;
	int r = cfs_store_get_meta(s, "root_mtime", &mtime);
	if (r == 0)
		r = cfs_store_get_meta(s, "root_mode", &mode);
	if (r == 0)
		r = cfs_store_get_meta(s, "root_uid", &uid);
	if (r == 0)
		r = cfs_store_get_meta(s, "root_gid", &gid);
	if (r < 0)
		return r;
	k->mtime_ns = (int64_t)mtime;
	if (mode)
		k->mode = (uint32_t)(mode - 1);
	if (uid)
		k->uid = (uint32_t)(uid - 1);
	if (gid)
		k->gid = (uint32_t)(gid - 1);
	return 0;
}

/* Writes everything the transaction touched, plus its records, in one
 * store transaction. */
static int persist(struct cfs_engine *e, struct cfs_txn *t, uint64_t hist)
{
	struct cfs_store *s = e->store;
	struct cfs_registry *reg = &e->model.reg;
	int r = cfs_store_begin(s);
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < t->dirty.n; i++) {
		uintptr_t d = (uintptr_t)t->dirty.v[i];
		uint64_t id = d >> 1;
		if (d & 1) {
			struct cfs_value *v = cfs_reg_value(reg, id);
			r = v ? cfs_engine_put_value(s, v) : cfs_store_del_value(s, id);
		} else {
			struct cfs_key *k = cfs_reg_key(reg, id);
			if (k && !k->parent) /* the root is not a row: keep it in meta */
				r = cfs_engine_put_root(s, k);
			else
				r = k ? cfs_store_put_key(s, id, k->parent->id, k->name, k->mode,
							  k->uid, k->gid, k->mtime_ns)
				      : cfs_store_del_key(s, id);
		}
	}
	for (size_t i = 0; r == 0 && i < t->nrecs; i++)
		r = cfs_engine_put_record(s, &t->recs[i]);
	if (r == 0)
		r = cfs_store_set_meta(s, "next_id", reg->next_id);
	if (r == 0)
		r = cfs_store_set_meta(s, "next_seq", t->next_seq);
	if (r == 0 && hist != e->hist)
		r = cfs_store_set_meta(s, "hist", hist);
	if (r == 0)
		r = cfs_store_commit(s);
	else
		cfs_store_rollback(s);
	return r;
}

static void trim_journal(struct cfs_engine *e)
{
	uint64_t first, last;
	if (cfs_store_journal_range(e->store, &first, &last) < 0 || !first)
		return;
	/* Trim in steps of 1/8 of the retention to keep it cheap. */
	if (last - first + 1 > e->journal_keep + e->journal_keep / 8)
		cfs_store_trim_journal(e->store, last + 1 - e->journal_keep);
}

void cfs_engine_call_listeners(struct cfs_engine *e, const struct cfs_record *recs, size_t n)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(e->listeners); i++)
		if (e->listeners[i].fn)
			e->listeners[i].fn(e->listeners[i].ud, recs, n);
}

/* Applies a run of command batches (no call items) in one transaction and
 * one store commit, publishes the records, and answers every batch. */
static void commit_batches(struct cfs_engine *e, struct cfs_batch *list)
{
	struct cfs_txn t;
	cfs_txn_init(&t, &e->model, e->next_seq);
	struct cfs_txn_mark start = cfs_txn_mark(&t);
	e->last_waiters = 0;

	pthread_rwlock_wrlock(&e->lock);
	for (struct cfs_batch *b = list; b; b = b->next) {
		struct cfs_txn_mark mark = cfs_txn_mark(&t);
		e->last_waiters += b->done != NULL;
		b->line = -1;
		if (e->refuse && !b->system) {
			b->err = -e->refuse;
			b->why = e->refuse_why;
			continue;
		}
		t.origin = b->origin;
		for (size_t i = 0; i < b->n; i++) {
			b->err = cfs_apply(&t, b->cmds[i], &b->why);
			if (b->err < 0) {
				b->line = (int)i;
				cfs_txn_rollback(&t, mark);
				break;
			}
		}
	}
	e->applied_seq = t.next_seq;
	pthread_rwlock_unlock(&e->lock);

	uint64_t hist = e->hist;
	for (size_t i = 0; i < t.nrecs; i++)
		hist = cfs_record_hash(hist, &t.recs[i]);
	if (t.dirty.n || t.nrecs) {
		int r = persist(e, &t, hist);
		if (r < 0) {
			pthread_rwlock_wrlock(&e->lock);
			cfs_txn_rollback(&t, start);
			e->applied_seq = t.next_seq;
			pthread_rwlock_unlock(&e->lock);
			hist = e->hist;
			if (e->order->diverged)
				e->order->diverged(e->order_state, r);
			for (struct cfs_batch *b = list; b; b = b->next) {
				if (b->err == 0) {
					b->err = r;
					b->why = "the store could not commit the change";
				}
			}
		}
	}
	cfs_txn_forget(&t);
	e->next_seq = t.next_seq;
	e->hist = hist;
	if (t.nrecs) {
		/* The journal ring is best effort: a copy failure only means a
		 * resuming reader falls back to the store. */
		cfs_journal_publish(&e->journal, t.recs, t.nrecs);
		cfs_engine_call_listeners(e, t.recs, t.nrecs);
		if (++e->commits % 64 == 0)
			trim_journal(e);
	}
	cfs_txn_free(&t);
	while (list) {
		struct cfs_batch *next = list->next;
		if (list->done)
			list->done(list->ud, list->err, list->why, list->line);
		cfs_batch_free(list);
		list = next;
	}
}

/* Runs a queue taken from the committer's queue: runs of command batches
 * commit together; a call item runs alone at its place. */
static void run_queue(struct cfs_engine *e, struct cfs_batch *list)
{
	while (list) {
		struct cfs_batch *end = list, *prev = NULL;
		while (end && !end->call)
			prev = end, end = end->next;
		if (prev) {
			prev->next = NULL;
			commit_batches(e, list);
		}
		if (end) {
			struct cfs_batch *next = end->next;
			end->call(e, end->ud);
			end->ud = NULL;
			cfs_batch_free(end);
			end = next;
		}
		list = end;
	}
}

/* Whether the batches rename or remove names of the tree. The gate holds
 * only those: an earlier commit's replay names files by their paths at
 * its time, and only a rename or a removal can take such a path away. */
static bool changes_names(const struct cfs_batch *list)
{
	for (; list; list = list->next) {
		for (size_t i = 0; i < list->n; i++) {
			switch (list->cmds[i]->op) {
			case CFS_OP_NODE_EVICT:
			case CFS_OP_GROUP_DELETE:
			case CFS_OP_GROUP_RENAME:
			case CFS_OP_RES_DELETE:
			case CFS_OP_RES_RENAME:
			case CFS_OP_RES_GROUP:
			case CFS_OP_TYPE_DELETE:
			case CFS_OP_NET_DELETE:
			case CFS_OP_NET_RENAME:
			case CFS_OP_NETIF_DELETE:
			case CFS_OP_REG_DELETE_KEY:
			case CFS_OP_REG_RENAME_KEY:
			case CFS_OP_REG_DELETE:
			case CFS_OP_REG_RENAME:
				return true;
			default:
				break;
			}
		}
	}
	return false;
}

/* The committer waits (up to e->gather_us, CFS_GATHER_US by default) for
 * the writers it has just answered. A writer answered at the end of a
 * commit sends its next change about 80 us later (FUSE's round trip; up
 * to ~200 us for the last of eight answered one after the other, measured
 * on the 2-core VM), by which time the next commit, started with the
 * writers that queued meanwhile, is already on its way to the disk: eight
 * writers then split into two groups of four, each taking every other
 * commit. Waiting up to this long for as many batches as the last commit
 * answered brings them back into one commit (8 writers against one: 4.3-
 * 4.7x without the wait, 4.6-6.0x with it, in alternated runs of
 * scripts/bench/gcommit). A lone writer never waits (it is the whole
 * group), nor does a commit of changes no one waits for; a group that
 * did not all come back costs the next commit the wait once. Only with
 * the local order: through Corosync a writer's next change comes back
 * after a round of the group's protocol (a millisecond or more), which
 * such a wait would only delay. qlock held. */
static const struct cfs_order_ops order_local;

static void gather(struct cfs_engine *e)
{
	if (!e->qhead || e->qlen >= e->last_waiters || e->stopping ||
	    __atomic_load_n(&e->order, __ATOMIC_ACQUIRE) != &order_local)
		return;
	struct timespec until = cfs_deadline_us(e->gather_us);
	while (e->qlen < e->last_waiters && !e->stopping)
		if (pthread_cond_timedwait(&e->qcond, &e->qlock, &until) != 0)
			break;
}

static void *committer_main(void *arg)
{
	struct cfs_engine *e = arg;
	for (;;) {
		pthread_mutex_lock(&e->qlock);
		while (!e->qhead && !e->stopping)
			pthread_cond_wait(&e->qcond, &e->qlock);
		gather(e);
		void (*gate)(void *, bool) = __atomic_load_n(&e->gate, __ATOMIC_ACQUIRE);
		if (gate && e->qhead) {
			/* Meanwhile more batches queue up: they commit together. */
			void *ud = __atomic_load_n(&e->gate_ud, __ATOMIC_ACQUIRE);
			bool names = changes_names(e->qhead);
			pthread_mutex_unlock(&e->qlock);
			gate(ud, names);
			pthread_mutex_lock(&e->qlock);
		}
		struct cfs_batch *list = e->qhead;
		e->qhead = e->qtail = NULL;
		e->qlen = 0;
		bool stop = e->stopping && !list;
		if (stop)
			e->exited = true; /* cfs_engine_call_sync runs calls itself now */
		pthread_mutex_unlock(&e->qlock);
		if (stop)
			break;
		run_queue(e, list);
	}
	return NULL;
}

int cfs_engine_submit(struct cfs_engine *e, struct cfs_cmd **cmds, size_t n, uint32_t uid,
		      uint32_t gid, cfs_done_fn done, void *ud)
{
	return cfs_engine_submit_from(e, cmds, n, uid, gid, NULL, done, ud);
}

int cfs_engine_submit_from(struct cfs_engine *e, struct cfs_cmd **cmds, size_t n, uint32_t uid,
			   uint32_t gid, const void *origin, cfs_done_fn done, void *ud)
{
	for (size_t i = 0; i < n; i++)
		cfs_cmd_stamp(cmds[i], uid, gid);
	struct cfs_batch *b;
	int r = cfs_batch_new(cmds, n, done, ud, origin, &b);
	if (r < 0)
		return r;
	const struct cfs_order_ops *order = __atomic_load_n(&e->order, __ATOMIC_ACQUIRE);
	void *state = __atomic_load_n(&e->order_state, __ATOMIC_ACQUIRE);
	if ((r = order->submit(state, b)) < 0)
		cfs_batch_free(b);
	return r;
}

/* The single-node order (order.h): a batch is delivered the moment it is
 * submitted, so the committer's queue is the whole order. */
static int local_submit(void *state, struct cfs_batch *b)
{
	return cfs_engine_deliver(state, b);
}

static const struct cfs_order_ops order_local = {
	.name = "local",
	.submit = local_submit,
};

/* Appends b to the committer's queue and wakes it (qlock held). */
static void enqueue_locked(struct cfs_engine *e, struct cfs_batch *b)
{
	b->next = NULL;
	if (e->qtail)
		e->qtail->next = b;
	else
		e->qhead = b;
	e->qtail = b;
	e->qlen++;
	pthread_cond_signal(&e->qcond);
}

int cfs_engine_deliver(struct cfs_engine *e, struct cfs_batch *b)
{
	pthread_mutex_lock(&e->qlock);
	bool stopping = e->stopping;
	if (!stopping)
		enqueue_locked(e, b);
	pthread_mutex_unlock(&e->qlock);
	return stopping ? -ESHUTDOWN : 0;
}

int cfs_engine_deliver_call(struct cfs_engine *e, void (*fn)(struct cfs_engine *e, void *ud),
			    void *ud)
{
	struct cfs_batch *b;
	int r = cfs_batch_new(NULL, 0, NULL, ud, NULL, &b);
	if (r < 0)
		return r;
	b->call = fn;
	if ((r = cfs_engine_deliver(e, b)) < 0)
		cfs_batch_free(b);
	return r;
}

struct outcome {
	int err;
	const char *why;
};

static void keep_outcome(void *ud, int err, const char *why, int line)
{
	(void)line;
	struct outcome *o = ud;
	o->err = err;
	o->why = why;
}

int cfs_engine_commit_now(struct cfs_engine *e, struct cfs_cmd **cmds, size_t n,
			  const char **why)
{
	struct outcome o = {0};
	struct cfs_batch *b;
	int r = cfs_batch_new(cmds, n, keep_outcome, &o, NULL, &b);
	if (r < 0)
		return r;
	b->system = true;
	commit_batches(e, b);
	if (why)
		*why = o.why;
	return o.err;
}

void cfs_engine_set_refusal(struct cfs_engine *e, int err, const char *why)
{
	e->refuse = err;
	e->refuse_why = why;
}

int cfs_engine_set_generation(struct cfs_engine *e, uint64_t generation)
{
	if (generation == e->generation)
		return 0;
	int r = cfs_store_begin(e->store);
	if (r == 0 && (r = cfs_store_set_meta(e->store, "generation", generation)) == 0)
		r = cfs_store_commit(e->store);
	else if (r == 0)
		cfs_store_rollback(e->store);
	if (r == 0)
		e->generation = generation;
	return r;
}

static int closed_submit(void *state, struct cfs_batch *b)
{
	(void)state;
	(void)b;
	return -ESHUTDOWN;
}

static const struct cfs_order_ops order_closed = {
	.name = "closed",
	.submit = closed_submit,
};

void cfs_engine_set_order(struct cfs_engine *e, const struct cfs_order_ops *order, void *state)
{
	/* Submitters read both without a lock: state first. */
	__atomic_store_n(&e->order_state, order ? state : NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&e->order, order ? order : &order_closed, __ATOMIC_RELEASE);
}

void cfs_engine_log(struct cfs_engine *e, int prio, const char *fmt, ...)
{
	if (!e->log)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	e->log(prio, "%s", line);
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int err;
	const char *why;
};

static void waiter_done(void *ud, int err, const char *why, int line)
{
	(void)line;
	struct waiter *w = ud;
	pthread_mutex_lock(&w->lock);
	w->done = true;
	w->err = err;
	w->why = why;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static int run_batch(struct cfs_engine *e, struct cfs_cmd **cmds, size_t n, const char **why)
{
	struct waiter w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	int r = cfs_engine_submit(e, cmds, n, 0, 0, waiter_done, &w);
	if (r < 0)
		return r;
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	if (why)
		*why = w.why;
	return w.err;
}

int cfs_engine_run(struct cfs_engine *e, struct cfs_cmd *cmd, const char **why)
{
	struct cfs_cmd **v = malloc(sizeof(*v));
	if (!v) {
		cfs_cmd_free(cmd);
		return -ENOMEM;
	}
	v[0] = cmd;
	return run_batch(e, v, 1, why);
}

int cfs_engine_run_text(struct cfs_engine *e, const char *text, const char **why)
{
	struct cfs_vec cmds = {0};
	int r = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct cfs_cmd *c;
		if (len) {
			r = cfs_cmd_parse(p, len, &c, why);
			if (r < 0)
				goto fail;
			if ((r = cfs_vec_push(&cmds, c)) < 0) {
				cfs_cmd_free(c);
				goto fail;
			}
		}
		p += len + (nl ? 1 : 0);
	}
	return run_batch(e, (struct cfs_cmd **)cmds.v, cmds.n, why);
fail:
	for (size_t i = 0; i < cmds.n; i++)
		cfs_cmd_free(cmds.v[i]);
	cfs_vec_free(&cmds);
	return r;
}

struct loader {
	struct cfs_registry *reg;
};

static int load_key(void *ud, uint64_t id, uint64_t parent, const char *name, uint32_t mode,
		    uint32_t uid, uint32_t gid, int64_t mtime_ns)
{
	struct loader *l = ud;
	struct cfs_key *p = cfs_reg_key(l->reg, parent);
	if (!p)
		return -EUCLEAN; /* an orphan key: the store is inconsistent */
	return cfs_reg_add_key(l->reg, p, id, name, mode, uid, gid, mtime_ns, NULL);
}

static int load_value(void *ud, const struct cfs_store_value *sv)
{
	struct loader *l = ud;
	struct cfs_key *k = cfs_reg_key(l->reg, sv->key);
	struct cfs_value *v;
	if (!k)
		return -EUCLEAN;
	int r = cfs_reg_set_value(l->reg, k, sv->id, sv->name, sv->type, sv->data, sv->len,
				  sv->mtime_ns, &v);
	if (r == 0) {
		v->flags = sv->flags & CFS_VAL_FLAGS_ALL;
		v->mode = sv->mode & 07777;
		v->uid = sv->uid;
		v->gid = sv->gid;
	}
	return r;
}

static int load_record(void *ud, const struct cfs_store_record *sr)
{
	struct cfs_journal *j = ud;
	struct cfs_record r = {
		.seq = sr->seq,
		.time_ns = sr->time_ns,
		.kind = sr->kind,
		.change = sr->change,
		.obj_id = (char *)sr->obj_id,
		.obj_name = (char *)sr->obj_name,
		.parent_id = (char *)sr->parent_id,
		.prop = (char *)sr->prop,
		.old_value = (char *)sr->old_value,
		.new_value = (char *)sr->new_value,
	};
	return cfs_journal_load(j, &r);
}

/* Puts the retained records back into the in-memory journal, so that
 * readers can resume across a restart. */
static int load_journal(struct cfs_engine *e)
{
	uint64_t first, last;
	int r = cfs_store_journal_range(e->store, &first, &last);
	if (r < 0 || !first)
		return r;
	uint64_t from = last + 1 > e->journal_keep ? last + 1 - e->journal_keep : 1;
	if (from < first)
		from = first;
	return cfs_store_read_journal(e->store, from, load_record, &e->journal);
}

/* Creates the collection keys on first start, durably, in one commit. */
static int create_structure(struct cfs_engine *e)
{
	struct cfs_txn t;
	cfs_txn_init(&t, &e->model, e->next_seq);
	t.now_ns = cfs_now_ns();
	int r = 0;
	for (int k = 0; r == 0 && k < CFS_KIND_COUNT; k++) {
		const char *c = cfs_kind_collection(k);
		if (c && !cfs_key_subkey(e->model.reg.root, c))
			r = cfs_txn_add_key(&t, e->model.reg.root, c, 0755, 0, 0, NULL);
	}
	uint64_t hist = e->hist;
	for (size_t i = 0; i < t.nrecs; i++)
		hist = cfs_record_hash(hist, &t.recs[i]);
	if (r == 0 && (t.dirty.n || t.nrecs))
		r = persist(e, &t, hist);
	if (r == 0) {
		e->next_seq = t.next_seq;
		e->hist = hist;
		cfs_journal_publish(&e->journal, t.recs, t.nrecs);
	}
	cfs_txn_free(&t);
	return r;
}

int cfs_engine_open(const struct cfs_engine_config *cfg, struct cfs_engine **ret,
		    const char **why)
{
	const char *reason = NULL;
	struct cfs_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_rwlock_init(&e->lock, NULL);
	pthread_mutex_init(&e->qlock, NULL);
	pthread_cond_init(&e->qcond, NULL);
	e->journal_keep = cfg->journal_keep && cfg->journal_keep < CFS_JOURNAL_RING
				  ? cfg->journal_keep
				  : CFS_JOURNAL_RING;
	e->backend = cfg->backend;
	e->log = cfg->log;
	e->gather_us = cfg->gather_us ? cfg->gather_us : CFS_GATHER_US;
	cfs_engine_set_order(e, &order_local, e);
	int r;
	if ((r = cfs_reg_init(&e->model.reg)) < 0)
		goto fail;
	if ((r = cfs_store_open(cfg->state_dir, &e->store)) < 0) {
		reason = r == -EBUSY ? "another daemon uses this state directory"
				  : "cannot open the store in the state directory";
		goto fail;
	}
	struct loader l = {&e->model.reg};
	const struct cfs_store_loader ld = {load_key, load_value};
	if ((r = cfs_store_load(e->store, &ld, &l)) < 0) {
		reason = "cannot load the cluster from the store";
		goto fail;
	}
	uint64_t next_id = 0;
	if ((r = cfs_store_get_meta(e->store, "next_id", &next_id)) < 0 ||
	    (r = cfs_store_get_meta(e->store, "next_seq", &e->next_seq)) < 0 ||
	    (r = cfs_store_get_meta(e->store, "hist", &e->hist)) < 0 ||
	    (r = cfs_store_get_meta(e->store, "generation", &e->generation)) < 0)
		goto fail;
	if (next_id > e->model.reg.next_id)
		e->model.reg.next_id = next_id;
	if ((r = load_root(e->store, e->model.reg.root)) < 0)
		goto fail;
	if (e->next_seq == 0)
		e->next_seq = 1;
	if ((r = cfs_journal_init(&e->journal, e->next_seq)) < 0)
		goto fail;
	if ((r = load_journal(e)) < 0) {
		reason = "cannot load the journal from the store";
		goto fail;
	}
	if ((r = create_structure(e)) < 0) {
		reason = "cannot create the cluster's structure";
		goto fail;
	}
	if ((r = cfs_model_index(&e->model)) < 0) {
		reason = "cannot index the loaded cluster";
		goto fail;
	}
	/* Signals are for the main thread; the committer never takes one. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&e->committer, NULL, committer_main, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		r = -r;
		goto fail;
	}
	e->running = true;
	e->applied_seq = e->next_seq;
	if (!*cfs_model_cluster_name(&e->model)) {
		char host[256] = "cluster";
		const char *name = cfg->cluster_name;
		if (!name) {
			if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
				strcpy(host, "cluster");
			host[sizeof(host) - 1] = '\0';
			name = host;
		}
		const char *argv[] = {name};
		struct cfs_cmd *c;
		if ((r = cfs_cmd_new(&c, CFS_OP_CLUSTER_RENAME, 1, argv)) < 0 ||
		    (r = cfs_engine_run(e, c, &reason)) < 0)
			goto fail;
	}
	*ret = e;
	return 0;
fail:
	if (why)
		*why = reason ? reason : strerror(-r);
	cfs_engine_free(e);
	return r;
}

int cfs_engine_backend_line(struct cfs_engine *e, const char *line, size_t len,
			    struct cfs_vec *cmds, const char **why)
{
	if (!e->backend || !e->backend->control || !e->backend_state) {
		*why = "this back-end takes no \"sim\" lines (start the daemon with --backend=sim)";
		return -EOPNOTSUPP;
	}
	return e->backend->control(e->backend_state, line, len, cmds, why);
}

int cfs_engine_start_backend(struct cfs_engine *e)
{
	return e->backend ? e->backend->start(e, &e->backend_state) : 0;
}

/* A call that its caller waits for. */
struct sync_call {
	void (*fn)(struct cfs_engine *e, void *ud);
	void *ud;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void sync_call_run(struct cfs_engine *e, void *ud)
{
	struct sync_call *c = ud;
	c->fn(e, c->ud);
	pthread_mutex_lock(&c->lock);
	c->done = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

int cfs_engine_call_sync(struct cfs_engine *e, void (*fn)(struct cfs_engine *e, void *ud),
			 void *ud)
{
	if (!e->running || pthread_equal(pthread_self(), e->committer)) {
		fn(e, ud);
		return 0;
	}
	struct sync_call c = {.fn = fn, .ud = ud};
	struct cfs_batch *b;
	int r = cfs_batch_new(NULL, 0, NULL, &c, NULL, &b);
	if (r < 0)
		return r;
	b->call = sync_call_run;
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cond, NULL);
	/* Queued even while the engine stops (a stopping committer empties
	 * its queue before it ends); once it ended, nothing runs concurrently
	 * any more and fn runs here. */
	pthread_mutex_lock(&e->qlock);
	bool exited = e->exited;
	if (!exited)
		enqueue_locked(e, b);
	pthread_mutex_unlock(&e->qlock);
	if (exited) {
		cfs_batch_free(b);
		fn(e, ud);
	} else {
		pthread_mutex_lock(&c.lock);
		while (!c.done)
			pthread_cond_wait(&c.cond, &c.lock);
		pthread_mutex_unlock(&c.lock);
	}
	pthread_cond_destroy(&c.cond);
	pthread_mutex_destroy(&c.lock);
	return 0;
}

void cfs_engine_set_listener(struct cfs_engine *e, cfs_listener_fn fn, void *ud)
{
	e->listeners[0].fn = fn;
	e->listeners[0].reset = NULL;
	e->listeners[0].ud = ud;
}

struct listener_change {
	cfs_listener_fn fn;
	cfs_reset_fn reset;
	void *ud;
	int r;
};

static void add_listener_now(struct cfs_engine *e, void *ud)
{
	struct listener_change *c = ud;
	c->r = -ENOSPC;
	for (size_t i = 1; i < CFS_ARRAY_SIZE(e->listeners); i++) {
		if (!e->listeners[i].fn) {
			e->listeners[i].fn = c->fn;
			e->listeners[i].reset = NULL;
			e->listeners[i].ud = c->ud;
			c->r = 0;
			return;
		}
	}
}

int cfs_engine_add_listener(struct cfs_engine *e, cfs_listener_fn fn, void *ud)
{
	struct listener_change c = {.fn = fn, .ud = ud};
	int r = cfs_engine_call_sync(e, add_listener_now, &c);
	return r < 0 ? r : c.r;
}

/* The slot of the listener registered with ud, or NULL (committer). */
static struct cfs_listener *find_listener(struct cfs_engine *e, const void *ud)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(e->listeners); i++)
		if (e->listeners[i].fn && e->listeners[i].ud == ud)
			return &e->listeners[i];
	return NULL;
}

static void set_reset_now(struct cfs_engine *e, void *ud)
{
	struct listener_change *c = ud;
	struct cfs_listener *l = find_listener(e, c->ud);
	c->r = l ? 0 : -ENOENT;
	if (l)
		l->reset = c->reset;
}

int cfs_engine_set_reset(struct cfs_engine *e, void *ud, cfs_reset_fn fn)
{
	struct listener_change c = {.reset = fn, .ud = ud};
	int r = cfs_engine_call_sync(e, set_reset_now, &c);
	return r < 0 ? r : c.r;
}

static void remove_listener_now(struct cfs_engine *e, void *ud)
{
	struct listener_change *c = ud;
	struct cfs_listener *l = find_listener(e, c->ud);
	c->r = l ? 0 : -ENOENT;
	if (l)
		*l = (struct cfs_listener){0};
}

int cfs_engine_remove_listener(struct cfs_engine *e, void *ud)
{
	struct listener_change c = {.ud = ud};
	int r = cfs_engine_call_sync(e, remove_listener_now, &c);
	return r < 0 ? r : c.r;
}

void cfs_engine_set_gate(struct cfs_engine *e, void (*fn)(void *ud, bool changes_names), void *ud)
{
	/* The committer may be running: ud before fn, and fn cleared first. */
	__atomic_store_n(&e->gate, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&e->gate_ud, ud, __ATOMIC_RELEASE);
	__atomic_store_n(&e->gate, fn, __ATOMIC_RELEASE);
}

void cfs_engine_stop(struct cfs_engine *e)
{
	if (e->backend_state) {
		e->backend->stop(e->backend_state);
		e->backend_state = NULL;
	}
	if (e->running) {
		pthread_mutex_lock(&e->qlock);
		e->stopping = true;
		pthread_cond_signal(&e->qcond);
		pthread_mutex_unlock(&e->qlock);
		pthread_join(e->committer, NULL);
		e->running = false;
	}
}

void cfs_engine_free(struct cfs_engine *e)
{
	if (!e)
		return;
	cfs_engine_stop(e);
	cfs_store_free(e->store);
	cfs_journal_free(&e->journal);
	cfs_model_free(&e->model);
	free(e->local_node_id);
	pthread_rwlock_destroy(&e->lock);
	pthread_mutex_destroy(&e->qlock);
	pthread_cond_destroy(&e->qcond);
	free(e);
}
