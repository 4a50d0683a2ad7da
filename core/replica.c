/* SPDX-License-Identifier: MIT */
/* The replication protocol (replica.h has the design). */
#include "replica.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "hmap.h"
#include "wire.h"

enum msg_type {
	MSG_BATCH = 1,	    /* u64 local id, batch (batch.h) */
	MSG_SYNC_START = 2, /* epoch */
	MSG_STATE = 3,	    /* epoch, fingerprint, generation, clock, quorum view, nodes */
	MSG_SNAP = 4,	    /* epoch, u64 total, u64 offset, bytes */
	MSG_QUORUM = 5,	    /* u8 quorate, u32 expected votes */
};

#define MSG_VERSION 1
/* Snapshot chunk size: well inside what CPG carries in one message. */
#define SNAP_CHUNK (256 * 1024)
/* A snapshot larger than this is refused (the registry's own limits keep
 * real ones far below). */
#define SNAP_MAX ((uint64_t)4 << 30)

struct epoch {
	uint32_t nodeid, pid;
	uint64_t n; /* 0: none */
};

/* What the protocol knows of one member. */
struct member {
	struct cfs_member id;
	/* Its last quorum view (from STATE or QUORUM, in order). */
	bool known;
	bool quorate;
	uint32_t expected;
	/* Its STATE in the current epoch. */
	bool have_state;
	uint64_t next_seq, hist, generation;
	int64_t time_ns;
	struct cfs_config_node *nodes;
	size_t nnodes;
};

/* A batch this node sent, until it comes back. */
struct pending {
	uint64_t id;
	struct cfs_batch *b;
};

struct cfs_replica {
	struct cfs_engine *e;
	const struct cfs_replica_ops *ops;
	void *ud;
	struct cfs_member self;

	/* Submitters and the dispatch thread. */
	pthread_mutex_t lock;
	pthread_cond_t synced_cond;
	struct cfs_imap pending; /* local id -> struct pending *; guarded by lock */
	uint64_t next_local_id;	 /* guarded by lock */
	bool connected;		 /* guarded by lock */
	bool synced_once;	 /* guarded by lock */

	/* The dispatch thread's own. */
	bool live; /* false: holding (a sync is running) */
	struct member *members;
	size_t nmembers;
	uint64_t my_epochs; /* epochs this node started as leader */
	struct epoch cur;
	bool decided;
	size_t source;	      /* index in members, once decided */
	bool am_target;
	struct cfs_buf snap;  /* the snapshot being received (targets) */
	uint64_t snap_total;
	uint64_t snap_got;
	struct cfs_batch *held, *held_tail;
	/* The last membership decision the dispatch thread handed over
	 * (quorate: written by it under lock, read by submitters). */
	bool quorate;
	uint64_t generation;
	struct cfs_config_node *view_nodes; /* the node list of the last sync */
	size_t nview_nodes;
};

/* ---- helpers ---- */

static int member_cmp(const void *a, const void *b)
{
	const struct cfs_member *x = a, *y = b;
	if (x->nodeid != y->nodeid)
		return x->nodeid < y->nodeid ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static bool member_eq(struct cfs_member a, struct cfs_member b)
{
	return a.nodeid == b.nodeid && a.pid == b.pid;
}

static struct member *find_member(struct cfs_replica *r, struct cfs_member id)
{
	for (size_t i = 0; i < r->nmembers; i++)
		if (member_eq(r->members[i].id, id))
			return &r->members[i];
	return NULL;
}

static void member_clear_state(struct member *m)
{
	m->have_state = false;
	free(m->nodes);
	m->nodes = NULL;
	m->nnodes = 0;
}

static int put_epoch(struct cfs_buf *b, const struct epoch *ep)
{
	int r = cfs_wire_u32(b, ep->nodeid);
	if (r == 0)
		r = cfs_wire_u32(b, ep->pid);
	return r < 0 ? r : cfs_wire_u64(b, ep->n);
}

static struct epoch get_epoch(struct cfs_wire_reader *rd)
{
	struct epoch ep;
	ep.nodeid = cfs_wire_get_u32(rd);
	ep.pid = cfs_wire_get_u32(rd);
	ep.n = cfs_wire_get_u64(rd);
	return ep;
}

static bool epoch_eq(const struct epoch *a, const struct epoch *b)
{
	return a->n && a->nodeid == b->nodeid && a->pid == b->pid && a->n == b->n;
}

static int msg_start(struct cfs_buf *b, enum msg_type t)
{
	int r = cfs_wire_u8(b, (uint8_t)t);
	return r < 0 ? r : cfs_wire_u8(b, MSG_VERSION);
}

/* Answers a batch that will never be applied, and frees it. */
static void answer(struct cfs_batch *b, int err, const char *why)
{
	if (b->done)
		b->done(b->ud, err, why, -1);
	cfs_batch_free(b);
}

struct answer_with {
	int err;
	const char *why;
};

/* Hands a batch to the committer; one that cannot be taken any more (the
 * engine stops) is answered here. */
static void deliver(struct cfs_replica *r, struct cfs_batch *b)
{
	if (cfs_engine_deliver(r->e, b) < 0)
		answer(b, -ESHUTDOWN, "the daemon is stopping");
}

static void call(struct cfs_replica *r, void (*fn)(struct cfs_engine *, void *), void *ud,
		 void (*free_ud)(void *))
{
	if (cfs_engine_deliver_call(r->e, fn, ud) < 0 && free_ud)
		free_ud(ud);
}

/* ---- sending batches (the order) ---- */

static int encode_batch(uint64_t id, const struct cfs_batch *b, struct cfs_buf *out)
{
	int r = msg_start(out, MSG_BATCH);
	if (r == 0)
		r = cfs_wire_u64(out, id);
	return r < 0 ? r : cfs_batch_encode(b, out);
}

/* Multicasts a pending batch (already in the table). On failure it is
 * taken out of the table again and the error returned. */
static int send_pending(struct cfs_replica *r, uint64_t id, const struct cfs_batch *b)
{
	struct cfs_buf msg = {0};
	int err = encode_batch(id, b, &msg);
	if (err == 0)
		err = r->ops->mcast(r->ud, msg.data, msg.len);
	cfs_buf_free(&msg);
	return err;
}

static int replica_submit(void *state, struct cfs_batch *b)
{
	struct cfs_replica *r = state;
	struct pending *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&r->lock);
	if (!r->connected) {
		pthread_mutex_unlock(&r->lock);
		free(p);
		return -CFS_ENOQUORUM;
	}
	if (r->synced_once && !r->quorate) {
		/* Known to fail in order anyway: do not load the group. */
		pthread_mutex_unlock(&r->lock);
		free(p);
		return -CFS_ENOQUORUM;
	}
	p->id = ++r->next_local_id;
	p->b = b;
	b->mine = true;
	int err = cfs_imap_put(&r->pending, p->id, p);
	pthread_mutex_unlock(&r->lock);
	if (err < 0) {
		free(p);
		return err;
	}
	/* The batch is the table's now: its delivery may race with the rest
	 * of this function, so only the id is used below. */
	err = send_pending(r, p->id, b);
	if (err < 0) {
		pthread_mutex_lock(&r->lock);
		struct pending *q = cfs_imap_get(&r->pending, p->id);
		if (q)
			cfs_imap_del(&r->pending, p->id);
		pthread_mutex_unlock(&r->lock);
		if (!q)
			return 0; /* delivered after all (cannot happen for a failed send) */
		free(q);
		return err == -ENOTCONN ? -CFS_ENOQUORUM : err;
	}
	return 0;
}

static void replica_diverged(void *state, int err)
{
	(void)err;
	struct cfs_replica *r = state;
	r->ops->rejoin(r->ud, "the store could not commit what the cluster committed");
}

static const struct cfs_order_ops replica_order = {
	.name = "cpg",
	.submit = replica_submit,
	.diverged = replica_diverged,
};

/* Takes this node's pending batch with that id (NULL: not ours any more,
 * e.g. answered when the group was lost). */
static struct cfs_batch *take_pending(struct cfs_replica *r, uint64_t id)
{
	pthread_mutex_lock(&r->lock);
	struct pending *p = cfs_imap_get(&r->pending, id);
	if (p)
		cfs_imap_del(&r->pending, id);
	pthread_mutex_unlock(&r->lock);
	if (!p)
		return NULL;
	struct cfs_batch *b = p->b;
	free(p);
	return b;
}

/* Re-sends, from the committer, this node's batches that a configuration
 * change dropped before anyone applied them. */
struct resend {
	struct cfs_replica *r;
	struct cfs_batch *list;
};

static void resend_free(void *ud)
{
	struct resend *s = ud;
	while (s->list) {
		struct cfs_batch *next = s->list->next;
		answer(s->list, -ESHUTDOWN, "the daemon is stopping");
		s->list = next;
	}
	free(s);
}

static void resend_call(struct cfs_engine *e, void *ud)
{
	(void)e;
	struct resend *s = ud;
	struct cfs_replica *r = s->r;
	while (s->list) {
		struct cfs_batch *b = s->list;
		s->list = b->next;
		b->next = NULL;
		b->err = 0;
		b->why = NULL;
		int err = replica_submit(r, b);
		if (err < 0)
			answer(b, err, "the change could not be sent to the cluster again");
	}
	free(s);
}

/* ---- synchronisation ---- */

/* The leader is the lowest member: members are kept sorted. */
#define LEADER 0

/* Drops what a sync held; this node's own batches are sent again. */
static void drop_held(struct cfs_replica *r)
{
	struct resend *s = NULL;
	struct cfs_batch **tail = NULL;
	while (r->held) {
		struct cfs_batch *b = r->held;
		r->held = b->next;
		b->next = NULL;
		if (!b->mine) {
			cfs_batch_free(b);
			continue;
		}
		if (!s) {
			s = calloc(1, sizeof(*s));
			if (!s) {
				answer(b, -ENOMEM, "out of memory");
				continue;
			}
			s->r = r;
			tail = &s->list;
		}
		*tail = b;
		tail = &b->next;
	}
	r->held_tail = NULL;
	if (s)
		call(r, resend_call, s, resend_free);
}

static void hold(struct cfs_replica *r, struct cfs_batch *b)
{
	b->next = NULL;
	if (r->held_tail)
		r->held_tail->next = b;
	else
		r->held = b;
	r->held_tail = b;
}

static void reset_sync(struct cfs_replica *r)
{
	r->live = false;
	r->decided = false;
	r->am_target = false;
	r->cur = (struct epoch){0};
	cfs_buf_free(&r->snap);
	r->snap_total = r->snap_got = 0;
	for (size_t i = 0; i < r->nmembers; i++)
		member_clear_state(&r->members[i]);
}

void cfs_replica_confchg(struct cfs_replica *r, const struct cfs_member *members, size_t n)
{
	struct member *next = calloc(n ? n : 1, sizeof(*next));
	if (!next)
		abort(); /* a lost configuration change cannot be recovered */
	for (size_t i = 0; i < n; i++)
		next[i].id = members[i];
	qsort(next, n, sizeof(*next), member_cmp);
	/* Members that stay keep their last quorum view. */
	for (size_t i = 0; i < n; i++) {
		struct member *old = find_member(r, next[i].id);
		if (old) {
			next[i].known = old->known;
			next[i].quorate = old->quorate;
			next[i].expected = old->expected;
		}
	}
	drop_held(r);
	reset_sync(r);
	free(r->members);
	r->members = next;
	r->nmembers = n;
	pthread_mutex_lock(&r->lock);
	r->connected = find_member(r, r->self) != NULL;
	pthread_mutex_unlock(&r->lock);
	if (n && member_eq(r->members[LEADER].id, r->self)) {
		struct epoch ep = {r->self.nodeid, r->self.pid, ++r->my_epochs};
		struct cfs_buf msg = {0};
		if (msg_start(&msg, MSG_SYNC_START) == 0 && put_epoch(&msg, &ep) == 0)
			r->ops->mcast(r->ud, msg.data, msg.len);
		cfs_buf_free(&msg);
	}
}

/* STATE, made on the committer once everything before the change is
 * applied. */
struct state_call {
	struct cfs_replica *r;
	struct epoch ep;
};

static void send_state(struct cfs_engine *e, void *ud)
{
	struct state_call *c = ud;
	struct cfs_replica *r = c->r;
	struct cfs_local_view lv = {0};
	if (r->ops->local_view(r->ud, &lv) < 0)
		lv = (struct cfs_local_view){0};
	struct cfs_buf msg = {0};
	int err = msg_start(&msg, MSG_STATE);
	if (err == 0)
		err = put_epoch(&msg, &c->ep);
	const uint64_t f[] = {e->next_seq, e->hist, e->generation, (uint64_t)cfs_now_ns()};
	for (size_t i = 0; err == 0 && i < CFS_ARRAY_SIZE(f); i++)
		err = cfs_wire_u64(&msg, f[i]);
	if (err == 0)
		err = cfs_wire_u8(&msg, lv.quorate);
	if (err == 0)
		err = cfs_wire_u32(&msg, lv.expected_votes);
	if (err == 0)
		err = cfs_wire_u32(&msg, (uint32_t)lv.nnodes);
	for (size_t i = 0; err == 0 && i < lv.nnodes; i++) {
		if ((err = cfs_wire_u32(&msg, lv.nodes[i].nodeid)) == 0 &&
		    (err = cfs_wire_str(&msg, lv.nodes[i].name)) == 0)
			err = cfs_wire_str(&msg, lv.nodes[i].address);
	}
	if (err == 0)
		r->ops->mcast(r->ud, msg.data, msg.len);
	cfs_buf_free(&msg);
	free(lv.nodes);
	free(c);
}

static int cfg_node_cmp(const void *a, const void *b)
{
	const struct cfs_config_node *x = a, *y = b;
	return x->nodeid < y->nodeid ? -1 : x->nodeid > y->nodeid;
}

static void on_state(struct cfs_replica *r, struct member *m, struct cfs_wire_reader *rd)
{
	m->next_seq = cfs_wire_get_u64(rd);
	m->hist = cfs_wire_get_u64(rd);
	m->generation = cfs_wire_get_u64(rd);
	m->time_ns = (int64_t)cfs_wire_get_u64(rd);
	bool quorate = cfs_wire_get_u8(rd) != 0;
	uint32_t expected = cfs_wire_get_u32(rd);
	uint32_t n = cfs_wire_get_u32(rd);
	if (!cfs_wire_ok(rd, false) || n > 4096)
		return;
	struct cfs_config_node *nodes = calloc(n ? n : 1, sizeof(*nodes));
	if (!nodes)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		nodes[i].nodeid = cfs_wire_get_u32(rd);
		char *name = cfs_wire_get_str(rd, CFS_NAME_MAX);
		char *addr = cfs_wire_get_str(rd, sizeof(nodes[i].address) - 1);
		if (name)
			strcpy(nodes[i].name, name);
		if (addr)
			strcpy(nodes[i].address, addr);
		free(name);
		free(addr);
	}
	if (!cfs_wire_ok(rd, true)) {
		free(nodes);
		return;
	}
	qsort(nodes, n, sizeof(*nodes), cfg_node_cmp);
	member_clear_state(m);
	m->nodes = nodes;
	m->nnodes = n;
	m->have_state = true;
	m->known = true;
	m->quorate = quorate;
	m->expected = expected;
}

/* The quorum decision from what the members said (the same everywhere). */
static bool decide_quorum(const struct cfs_replica *r, uint32_t *ret_expected)
{
	uint32_t expected = 0;
	bool all = r->nmembers > 0;
	for (size_t i = 0; i < r->nmembers; i++) {
		const struct member *m = &r->members[i];
		all &= m->known && m->quorate;
		if (m->expected > expected)
			expected = m->expected;
	}
	/* Votes are nodes: count distinct node ids among the members. */
	size_t nodes = 0;
	for (size_t i = 0; i < r->nmembers; i++)
		nodes += i == 0 || r->members[i].id.nodeid != r->members[i - 1].id.nodeid;
	if (expected < r->nview_nodes)
		expected = (uint32_t)r->nview_nodes;
	*ret_expected = expected;
	return all && nodes * 2 > expected;
}

/* The decision, for submitters' fast refusal (written by the dispatch
 * thread only, read by submitters under the lock). */
static void set_quorate(struct cfs_replica *r, bool q)
{
	pthread_mutex_lock(&r->lock);
	r->quorate = q;
	pthread_cond_broadcast(&r->synced_cond); /* cfs_replica_wait_quorate */
	pthread_mutex_unlock(&r->lock);
}

/* A membership step handed to the committer. */
struct view_call {
	struct cfs_replica *r;
	struct cfs_view v;
	struct cfs_member *members;
	struct cfs_config_node *nodes;
	uint32_t *joining;
};

static void view_free(void *ud)
{
	struct view_call *c = ud;
	free(c->members);
	free(c->nodes);
	free(c->joining);
	free(c);
}

static void view_run(struct cfs_engine *e, void *ud)
{
	struct view_call *c = ud;
	c->r->ops->membership(c->r->ud, e, &c->v);
	view_free(c);
}

static void queue_view(struct cfs_replica *r, int step, const uint32_t *joining, size_t njoining,
		       int64_t time_ns, bool was_quorate)
{
	struct view_call *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->r = r;
	c->members = malloc(sizeof(*c->members) * (r->nmembers ? r->nmembers : 1));
	c->nodes = malloc(sizeof(*c->nodes) * (r->nview_nodes ? r->nview_nodes : 1));
	c->joining = malloc(sizeof(*c->joining) * (njoining ? njoining : 1));
	if (!c->members || !c->nodes || !c->joining)
		abort();
	for (size_t i = 0; i < r->nmembers; i++)
		c->members[i] = r->members[i].id;
	if (r->nview_nodes)
		memcpy(c->nodes, r->view_nodes, sizeof(*c->nodes) * r->nview_nodes);
	if (njoining)
		memcpy(c->joining, joining, sizeof(*joining) * njoining);
	uint32_t expected;
	c->v = (struct cfs_view){
		.step = step,
		.members = c->members,
		.nmembers = r->nmembers,
		.nodes = c->nodes,
		.nnodes = r->nview_nodes,
		.joining = c->joining,
		.njoining = njoining,
		.quorate = decide_quorum(r, &expected),
		.was_quorate = was_quorate,
		.time_ns = time_ns,
	};
	c->v.expected_votes = expected;
	c->v.generation = r->generation;
	call(r, view_run, c, view_free);
}

/* Snapshot sending, on the source's committer. */
struct snap_call {
	struct cfs_replica *r;
	struct epoch ep;
};

static void send_snapshot(struct cfs_engine *e, void *ud)
{
	struct snap_call *c = ud;
	struct cfs_replica *r = c->r;
	struct cfs_buf snap = {0}, msg = {0};
	int err = cfs_engine_snapshot(e, &snap);
	if (err < 0) {
		/* Without its snapshot nobody can finish this sync: start over. */
		r->ops->rejoin(r->ud, "cannot make a snapshot of the state");
		goto out;
	}
	for (size_t off = 0; err == 0 && (off < snap.len || off == 0);) {
		size_t n = snap.len - off < SNAP_CHUNK ? snap.len - off : SNAP_CHUNK;
		cfs_buf_reset(&msg);
		if ((err = msg_start(&msg, MSG_SNAP)) == 0 && (err = put_epoch(&msg, &c->ep)) == 0 &&
		    (err = cfs_wire_u64(&msg, snap.len)) == 0 && (err = cfs_wire_u64(&msg, off)) == 0 &&
		    (err = cfs_wire_bytes(&msg, snap.data + off, n)) == 0)
			err = r->ops->mcast(r->ud, msg.data, msg.len);
		off += n;
		if (off >= snap.len)
			break;
	}
out:
	cfs_buf_free(&snap);
	cfs_buf_free(&msg);
	free(c);
}

/* Installing, on a target's committer. */
struct install_call {
	struct cfs_replica *r;
	struct cfs_buf snap;
};

static void install_free(void *ud)
{
	struct install_call *c = ud;
	cfs_buf_free(&c->snap);
	free(c);
}

static void install_run(struct cfs_engine *e, void *ud)
{
	struct install_call *c = ud;
	const char *why = NULL;
	if (cfs_engine_install(e, c->snap.data, c->snap.len, &why) < 0)
		c->r->ops->rejoin(c->r->ud, why);
	install_free(c);
}

/* The sync is complete at this point of the order. */
static void finish_sync(struct cfs_replica *r)
{
	if (r->am_target) {
		struct install_call *c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->r = r;
		c->snap = r->snap;
		r->snap = (struct cfs_buf){0};
		call(r, install_run, c, install_free);
	}
	int64_t t = 0;
	uint64_t gen = 0;
	for (size_t i = 0; i < r->nmembers; i++) {
		if (r->members[i].time_ns > t)
			t = r->members[i].time_ns;
		if (r->members[i].generation > gen)
			gen = r->members[i].generation;
	}
	uint32_t expected;
	bool was = r->quorate;
	set_quorate(r, decide_quorum(r, &expected));
	r->generation = gen + (r->quorate ? 1 : 0);
	queue_view(r, CFS_VIEW_MEMBERS, NULL, 0, t, was);
	while (r->held) {
		struct cfs_batch *b = r->held;
		r->held = b->next;
		deliver(r, b);
	}
	r->held_tail = NULL;
	r->live = true;
	pthread_mutex_lock(&r->lock);
	r->synced_once = true;
	pthread_cond_broadcast(&r->synced_cond);
	pthread_mutex_unlock(&r->lock);
}

/* Every member's STATE is in: the same decision everywhere. */
static void decide(struct cfs_replica *r)
{
	r->decided = true;
	size_t src = 0;
	for (size_t i = 1; i < r->nmembers; i++) {
		const struct member *a = &r->members[i], *b = &r->members[src];
		if (a->generation > b->generation ||
		    (a->generation == b->generation && a->next_seq > b->next_seq))
			src = i;
	}
	r->source = src;
	const struct member *s = &r->members[src];
	/* The source's configuration is the cluster's. */
	struct cfs_config_node *nodes = malloc(sizeof(*nodes) * (s->nnodes ? s->nnodes : 1));
	if (!nodes)
		abort();
	memcpy(nodes, s->nodes, sizeof(*nodes) * s->nnodes);
	free(r->view_nodes);
	r->view_nodes = nodes;
	r->nview_nodes = s->nnodes;

	uint32_t *targets = calloc(r->nmembers, sizeof(*targets));
	if (!targets)
		abort();
	size_t nt = 0;
	int64_t t = 0;
	for (size_t i = 0; i < r->nmembers; i++) {
		const struct member *m = &r->members[i];
		if (m->time_ns > t)
			t = m->time_ns;
		if (m->next_seq != s->next_seq || m->hist != s->hist) {
			targets[nt++] = m->id.nodeid;
			if (member_eq(m->id, r->self))
				r->am_target = true;
		}
	}
	if (nt == 0) {
		free(targets);
		finish_sync(r);
		return;
	}
	if (!r->am_target)
		queue_view(r, CFS_VIEW_JOINING, targets, nt, t, r->quorate);
	if (member_eq(s->id, r->self)) {
		struct snap_call *c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->r = r;
		c->ep = r->cur;
		call(r, send_snapshot, c, free);
	}
	free(targets);
}

static void on_snap(struct cfs_replica *r, struct cfs_wire_reader *rd)
{
	uint64_t total = cfs_wire_get_u64(rd), off = cfs_wire_get_u64(rd);
	const void *data;
	size_t n = cfs_wire_get_bytes(rd, SNAP_CHUNK, &data);
	if (!cfs_wire_ok(rd, true) || total > SNAP_MAX || off != r->snap_got ||
	    off + n > total || (n == 0 && total != 0))
		return; /* not the chunk expected: the sender is broken */
	r->snap_total = total;
	r->snap_got = off + n;
	if (r->am_target && cfs_buf_append(&r->snap, data, n) < 0)
		abort();
	if (r->snap_got == total)
		finish_sync(r);
}

static void on_batch(struct cfs_replica *r, struct cfs_member from, struct cfs_wire_reader *rd)
{
	uint64_t id = cfs_wire_get_u64(rd);
	if (!cfs_wire_ok(rd, false))
		return;
	struct cfs_batch *b = NULL;
	if (member_eq(from, r->self))
		b = take_pending(r, id);
	if (!b) {
		const char *why;
		if (cfs_batch_decode(rd->p, (size_t)(rd->end - rd->p), &b, &why) < 0)
			return; /* every member drops it alike */
	}
	if (r->live)
		deliver(r, b);
	else
		hold(r, b);
}

static void on_quorum(struct cfs_replica *r, struct member *m, struct cfs_wire_reader *rd)
{
	bool quorate = cfs_wire_get_u8(rd) != 0;
	uint32_t expected = cfs_wire_get_u32(rd);
	if (!cfs_wire_ok(rd, true))
		return;
	m->known = true;
	m->quorate = quorate;
	m->expected = expected;
	if (!r->live)
		return; /* the sync's end decides with it */
	uint32_t ignored;
	bool was = r->quorate;
	set_quorate(r, decide_quorum(r, &ignored));
	if (r->quorate == was)
		return;
	if (r->quorate)
		r->generation++;
	int64_t t = 0;
	for (size_t i = 0; i < r->nmembers; i++)
		if (r->members[i].time_ns > t)
			t = r->members[i].time_ns;
	queue_view(r, CFS_VIEW_MEMBERS, NULL, 0, t, was);
}

void cfs_replica_deliver(struct cfs_replica *r, struct cfs_member from, const void *msg,
			 size_t len)
{
	struct cfs_wire_reader rd = cfs_wire_reader(msg, len);
	uint8_t type = cfs_wire_get_u8(&rd);
	if (cfs_wire_get_u8(&rd) != MSG_VERSION || !cfs_wire_ok(&rd, false))
		return;
	struct member *m = find_member(r, from);
	if (!m)
		return;
	if (type == MSG_BATCH) {
		on_batch(r, from, &rd);
		return;
	}
	if (type == MSG_QUORUM) {
		on_quorum(r, m, &rd);
		return;
	}
	struct epoch ep = get_epoch(&rd);
	if (!cfs_wire_ok(&rd, false))
		return;
	switch (type) {
	case MSG_SYNC_START:
		/* Only the current leader's, and only while syncing: a stale one
		 * from an earlier configuration is ignored. */
		if (r->live || m != &r->members[LEADER] || ep.nodeid != from.nodeid ||
		    ep.pid != from.pid || !cfs_wire_ok(&rd, true))
			return;
		reset_sync(r);
		r->cur = ep;
		struct state_call *c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->r = r;
		c->ep = ep;
		call(r, send_state, c, free);
		break;
	case MSG_STATE:
		if (r->live || r->decided || !epoch_eq(&ep, &r->cur))
			return;
		on_state(r, m, &rd);
		for (size_t i = 0; i < r->nmembers; i++)
			if (!r->members[i].have_state)
				return;
		decide(r);
		break;
	case MSG_SNAP:
		if (r->live || !r->decided || !epoch_eq(&ep, &r->cur) ||
		    m != &r->members[r->source])
			return;
		on_snap(r, &rd);
		break;
	default:
		break;
	}
}

/* ---- quorum changes of this node's own Corosync ---- */

struct quorum_call {
	struct cfs_replica *r;
};

static void send_quorum(struct cfs_engine *e, void *ud)
{
	(void)e;
	struct quorum_call *c = ud;
	struct cfs_replica *r = c->r;
	struct cfs_local_view lv = {0};
	if (r->ops->local_view(r->ud, &lv) == 0) {
		struct cfs_buf msg = {0};
		if (msg_start(&msg, MSG_QUORUM) == 0 && cfs_wire_u8(&msg, lv.quorate) == 0 &&
		    cfs_wire_u32(&msg, lv.expected_votes) == 0)
			r->ops->mcast(r->ud, msg.data, msg.len);
		cfs_buf_free(&msg);
	}
	free(lv.nodes);
	free(c);
}

void cfs_replica_quorum_changed(struct cfs_replica *r)
{
	struct quorum_call *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->r = r;
	call(r, send_quorum, c, free);
}

/* ---- life cycle ---- */

static void answer_pending(uint64_t id, void *val, void *ud)
{
	(void)id;
	struct pending *p = val;
	const struct answer_with *a = ud;
	answer(p->b, a->err, a->why);
	free(p);
}

static void fail_pending(struct cfs_replica *r, int err, const char *why)
{
	pthread_mutex_lock(&r->lock);
	struct cfs_imap all = r->pending;
	r->pending = (struct cfs_imap){0};
	pthread_mutex_unlock(&r->lock);
	const struct answer_with a = {err, why};
	cfs_imap_each(&all, answer_pending, (void *)&a);
	cfs_imap_free(&all);
}

void cfs_replica_lost(struct cfs_replica *r)
{
	pthread_mutex_lock(&r->lock);
	r->connected = false;
	pthread_mutex_unlock(&r->lock);
	drop_held(r);
	reset_sync(r);
	free(r->members);
	r->members = NULL;
	r->nmembers = 0;
	fail_pending(r, -CFS_ENOQUORUM, "the cluster engine (corosync) is not reachable");
	/* Alone, this node is a partition of one without quorum: it shows the
	 * others down and the quorum lost, as a minority does (replaced by
	 * the cluster's state when it is back). */
	struct member *self = calloc(1, sizeof(*self));
	if (!self)
		return;
	self->id = r->self;
	r->members = self;
	r->nmembers = 1;
	bool was = r->quorate;
	set_quorate(r, false);
	if (r->synced_once)
		queue_view(r, CFS_VIEW_MEMBERS, NULL, 0, cfs_now_ns(), was);
	free(r->members);
	r->members = NULL;
	r->nmembers = 0;
}

bool cfs_replica_synced(struct cfs_replica *r)
{
	pthread_mutex_lock(&r->lock);
	bool s = r->synced_once;
	pthread_mutex_unlock(&r->lock);
	return s;
}

/* Waits (lock held by the caller, until the absolute time) for cond. */
static bool wait_until(struct cfs_replica *r, const struct timespec *until,
		       bool (*cond)(const struct cfs_replica *))
{
	int err = 0;
	while (!cond(r) && err == 0)
		err = pthread_cond_timedwait(&r->synced_cond, &r->lock, until);
	return cond(r);
}

static bool is_synced(const struct cfs_replica *r)
{
	return r->synced_once;
}

static bool is_synced_quorate(const struct cfs_replica *r)
{
	return r->synced_once && r->quorate;
}

int cfs_replica_wait_quorate(struct cfs_replica *r, int timeout_ms)
{
	struct timespec until = cfs_deadline_us((int64_t)timeout_ms * 1000);
	pthread_mutex_lock(&r->lock);
	bool ok = wait_until(r, &until, is_synced_quorate);
	pthread_mutex_unlock(&r->lock);
	return ok ? 0 : -ETIMEDOUT;
}

int cfs_replica_wait_synced(struct cfs_replica *r, int timeout_ms)
{
	struct timespec until = cfs_deadline_us((int64_t)timeout_ms * 1000);
	pthread_mutex_lock(&r->lock);
	bool ok = wait_until(r, &until, is_synced);
	pthread_mutex_unlock(&r->lock);
	return ok ? 0 : -ETIMEDOUT;
}

void cfs_replica_set_self(struct cfs_replica *r, struct cfs_member self)
{
	r->self = self;
}

int cfs_replica_new(struct cfs_engine *e, const struct cfs_replica_ops *ops, void *ud,
		    struct cfs_replica **ret)
{
	struct cfs_replica *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->e = e;
	r->ops = ops;
	r->ud = ud;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->synced_cond, NULL);
	r->generation = e->generation;
	cfs_engine_set_order(e, &replica_order, r);
	*ret = r;
	return 0;
}

void cfs_replica_free(struct cfs_replica *r)
{
	if (!r)
		return;
	cfs_engine_set_order(r->e, NULL, NULL);
	fail_pending(r, -ESHUTDOWN, "the daemon is stopping");
	while (r->held) {
		struct cfs_batch *b = r->held;
		r->held = b->next;
		answer(b, -ESHUTDOWN, "the daemon is stopping");
	}
	reset_sync(r);
	free(r->members);
	free(r->view_nodes);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->synced_cond);
	free(r);
}
