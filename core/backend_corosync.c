/* SPDX-License-Identifier: MIT */
/* The Corosync back-end: many machines, one cluster.
 *
 * The daemon joins the CPG group "clusterfs:<cluster name>" of the
 * Corosync running on its machine (in its network namespace) and feeds the
 * replica (replica.h) with what CPG delivers. This is the only file that
 * includes Corosync's headers; the protocol itself is pure C and tested
 * without Corosync.
 *
 *  - Identity: this node's number is Corosync's node id (cpg_local_get),
 *    its name and address the node list's `name` and `ring0_addr` (cmap).
 *  - Quorum: votequorum's quorate flag and expected votes, tracked; a
 *    change is told to the other members in order (the replica decides).
 *  - Threads: the dispatch thread polls the CPG and votequorum descriptors
 *    and runs their callbacks, so every confchg and message reaches the
 *    replica in delivery order from one thread. A sender thread multicasts
 *    (cpg_mcast_joined, agreed order), retrying flow control, so nobody
 *    else ever blocks on Corosync and one node's messages keep their
 *    order. When Corosync goes away (CS_ERR_LIBRARY), waiting writers are
 *    answered, changes are refused, and the dispatch thread connects again
 *    every 200 ms; joining again syncs the node.
 *  - The CPG handle is kept for the life of a connection (pmxcfs found
 *    that initialising and finalising repeatedly confuses Corosync);
 *    a rejoin leaves and joins the group on the same handle. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <corosync/cmap.h>
#include <corosync/corotypes.h>
#include <corosync/cpg.h>
#include <corosync/votequorum.h>

#include "backend.h"
#include "engine.h"
#include "membership.h"
#include "netwatch.h"
#include "replica.h"

/* How long start() waits for the first sync before the daemon mounts
 * anyway (read-only until it syncs). */
#define FIRST_SYNC_MS 20000
#define QUORATE_MS 10000 /* then, for a quorate partition */
#define MERGE_GRACE_MS 1000 /* the same, when Corosync is quorate */
#define RECONNECT_MS 200

struct out_msg {
	struct out_msg *next;
	size_t len;
	unsigned char data[];
};

struct cs {
	struct cfs_engine *e;
	struct cfs_replica *rep;
	int stop_pipe[2]; /* wakes the dispatch thread */
	pthread_t dispatch;
	bool dispatch_started;

	/* The connection: set up and torn down by the dispatch thread;
	 * conn_lock also keeps it alive while the sender multicasts. */
	pthread_mutex_t conn_lock;
	cpg_handle_t cpg;
	votequorum_handle_t vq;
	bool connected; /* guarded by conn_lock */
	bool joined;	/* guarded by conn_lock */
	struct cpg_name group;
	uint32_t nodeid;
	bool rejoin; /* set by anyone, handled by the dispatch thread (atomic) */
	bool stopping;

	/* The sender: a queue of messages to multicast, in order. */
	pthread_mutex_t slock;
	pthread_cond_t scond;
	struct out_msg *shead, *stail; /* guarded by slock */
	bool sstop;		       /* guarded by slock */
	pthread_t sender;
	bool sender_started;

	/* This node's view of Corosync (guarded by vlock). */
	pthread_mutex_t vlock;
	bool quorate;
	uint32_t expected;
	struct cfs_config_node *nodes;
	size_t nnodes;
	char cluster_name[CFS_NAME_MAX + 1];

	/* This node's networks (committer thread starts it). */
	struct cfs_netwatch *net;
};

/* ---- the node list and cluster name (cmap) ---- */

static void read_config(struct cs *c)
{
	cmap_handle_t h;
	if (cmap_initialize(&h) != CS_OK)
		return;
	struct cfs_config_node *nodes = NULL;
	size_t n = 0;
	for (unsigned i = 0; i < 1024; i++) {
		char key[128];
		uint32_t id;
		snprintf(key, sizeof(key), "nodelist.node.%u.nodeid", i);
		if (cmap_get_uint32(h, key, &id) != CS_OK)
			break;
		struct cfs_config_node *grown = realloc(nodes, (n + 1) * sizeof(*nodes));
		if (!grown)
			break;
		nodes = grown;
		struct cfs_config_node *cn = &nodes[n++];
		memset(cn, 0, sizeof(*cn));
		cn->nodeid = id;
		char *s = NULL;
		snprintf(key, sizeof(key), "nodelist.node.%u.name", i);
		if (cmap_get_string(h, key, &s) == CS_OK)
			snprintf(cn->name, sizeof(cn->name), "%s", s);
		else
			snprintf(cn->name, sizeof(cn->name), "node%" PRIu32, id);
		free(s);
		s = NULL;
		snprintf(key, sizeof(key), "nodelist.node.%u.ring0_addr", i);
		if (cmap_get_string(h, key, &s) == CS_OK)
			snprintf(cn->address, sizeof(cn->address), "%s", s);
		free(s);
	}
	char *name = NULL;
	pthread_mutex_lock(&c->vlock);
	if (cmap_get_string(h, "totem.cluster_name", &name) == CS_OK && name[0])
		snprintf(c->cluster_name, sizeof(c->cluster_name), "%s", name);
	free(c->nodes);
	c->nodes = nodes;
	c->nnodes = n;
	pthread_mutex_unlock(&c->vlock);
	free(name);
	cmap_finalize(h);
}

/* ---- quorum (votequorum) ---- */

static void update_quorum(struct cs *c, bool quorate)
{
	struct votequorum_info info;
	uint32_t expected = 0;
	if (votequorum_getinfo(c->vq, c->nodeid, &info) == CS_OK)
		expected = info.highest_expected;
	pthread_mutex_lock(&c->vlock);
	bool changed = c->quorate != quorate || c->expected != expected;
	c->quorate = quorate;
	c->expected = expected;
	pthread_mutex_unlock(&c->vlock);
	if (changed)
		cfs_replica_quorum_changed(c->rep);
}

static void vq_notify(votequorum_handle_t h, uint64_t context, uint32_t quorate, uint32_t n,
		      votequorum_node_t nodes[])
{
	(void)n;
	(void)nodes;
	struct cs *c = (struct cs *)(uintptr_t)context;
	(void)h;
	update_quorum(c, quorate != 0);
}

/* ---- CPG callbacks (dispatch thread) ---- */

static struct cs *cs_of(cpg_handle_t h)
{
	void *ctx = NULL;
	cpg_context_get(h, &ctx);
	return ctx;
}

static void on_deliver(cpg_handle_t h, const struct cpg_name *group, uint32_t nodeid, uint32_t pid,
		       void *msg, size_t len)
{
	(void)group;
	struct cs *c = cs_of(h);
	cfs_replica_deliver(c->rep, (struct cfs_member){nodeid, pid}, msg, len);
}

static void on_confchg(cpg_handle_t h, const struct cpg_name *group,
		       const struct cpg_address *members, size_t n, const struct cpg_address *left,
		       size_t nleft, const struct cpg_address *joined, size_t njoined)
{
	(void)group;
	(void)joined;
	(void)njoined;
	struct cs *c = cs_of(h);
	struct cfs_member *m = calloc(n ? n : 1, sizeof(*m));
	if (!m)
		abort(); /* a lost configuration change cannot be recovered */
	for (size_t i = 0; i < n; i++)
		m[i] = (struct cfs_member){members[i].nodeid, members[i].pid};
	for (size_t i = 0; i < nleft; i++)
		cfs_engine_log(c->e, LOG_NOTICE, "cluster: node %" PRIu32 " (pid %" PRIu32 ") left (%s)",
			       left[i].nodeid, left[i].pid,
			       left[i].reason == CPG_REASON_NODEDOWN   ? "node down"
			       : left[i].reason == CPG_REASON_PROCDOWN ? "daemon gone"
								       : "left");
	cfs_replica_confchg(c->rep, m, n);
	free(m);
}

/* ---- the connection ---- */

static void disconnect(struct cs *c, const char *why)
{
	pthread_mutex_lock(&c->conn_lock);
	bool was = c->connected;
	if (c->connected) {
		if (c->joined)
			cpg_leave(c->cpg, &c->group);
		cpg_finalize(c->cpg);
		votequorum_finalize(c->vq);
	}
	c->connected = c->joined = false;
	pthread_mutex_unlock(&c->conn_lock);
	if (was) {
		cfs_engine_log(c->e, LOG_WARNING, "cluster: %s: changes are refused until the node "
						  "is back in the cluster",
			       why);
		cfs_replica_lost(c->rep);
	}
}

static int connect_corosync(struct cs *c)
{
	static cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_confchg,
	};
	static votequorum_callbacks_t vq_callbacks = {.votequorum_quorum_notify_fn = vq_notify};
	cpg_handle_t cpg;
	votequorum_handle_t vq;
	if (cpg_model_initialize(&cpg, CPG_MODEL_V1, (cpg_model_data_t *)&model, c) != CS_OK)
		return -ENOTCONN;
	unsigned int nodeid;
	if (cpg_local_get(cpg, &nodeid) != CS_OK ||
	    votequorum_initialize(&vq, &vq_callbacks) != CS_OK) {
		cpg_finalize(cpg);
		return -ENOTCONN;
	}
	votequorum_context_set(vq, c);
	read_config(c);
	pthread_mutex_lock(&c->vlock);
	snprintf(c->group.value, sizeof(c->group.value), "clusterfs:%.100s", c->cluster_name);
	c->group.length = (uint32_t)strlen(c->group.value);
	pthread_mutex_unlock(&c->vlock);
	pthread_mutex_lock(&c->conn_lock);
	c->cpg = cpg;
	c->vq = vq;
	c->nodeid = nodeid;
	c->connected = true;
	pthread_mutex_unlock(&c->conn_lock);
	struct votequorum_info info;
	bool quorate = votequorum_getinfo(vq, nodeid, &info) == CS_OK &&
		       (info.flags & VOTEQUORUM_INFO_QUORATE);
	update_quorum(c, quorate);
	votequorum_trackstart(vq, (uint64_t)(uintptr_t)c, CS_TRACK_CHANGES);
	cfs_replica_set_self(c->rep, (struct cfs_member){nodeid, (uint32_t)getpid()});
	cs_error_t err;
	for (int tries = 0; (err = cpg_join(cpg, &c->group)) == CS_ERR_TRY_AGAIN && tries < 100;
	     tries++)
		usleep(10000);
	if (err != CS_OK) {
		disconnect(c, "cannot join the cluster's process group");
		return -ENOTCONN;
	}
	pthread_mutex_lock(&c->conn_lock);
	c->joined = true;
	pthread_mutex_unlock(&c->conn_lock);
	cfs_engine_log(c->e, LOG_INFO, "cluster: node %u joined %s", nodeid, c->group.value);
	return 0;
}

/* Waits up to ms for the stop pipe; true when stopping. */
static bool nap(struct cs *c, int ms)
{
	struct pollfd p = {c->stop_pipe[0], POLLIN, 0};
	return poll(&p, 1, ms) > 0;
}

static void *dispatch_main(void *arg)
{
	struct cs *c = arg;
	bool warned = false;
	while (!__atomic_load_n(&c->stopping, __ATOMIC_ACQUIRE)) {
		if (!c->connected) {
			if (connect_corosync(c) < 0) {
				if (!warned)
					cfs_engine_log(c->e, LOG_WARNING,
						       "cluster: corosync is not reachable; trying "
						       "again every %d ms",
						       RECONNECT_MS);
				warned = true;
				if (nap(c, RECONNECT_MS))
					break;
				continue;
			}
			warned = false;
		}
		int cfd = -1, qfd = -1;
		cpg_fd_get(c->cpg, &cfd);
		votequorum_fd_get(c->vq, &qfd);
		struct pollfd p[3] = {
			{c->stop_pipe[0], POLLIN, 0}, {cfd, POLLIN, 0}, {qfd, POLLIN, 0}};
		if (poll(p, 3, 1000) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			char buf[16];
			if (read(c->stop_pipe[0], buf, sizeof(buf)) < 0) {
				/* Woken for a rejoin or a stop: both are checked below. */
			}
		}
		if (__atomic_load_n(&c->stopping, __ATOMIC_ACQUIRE))
			break;
		cs_error_t err = CS_OK;
		if (p[1].revents)
			err = cpg_dispatch(c->cpg, CS_DISPATCH_ALL);
		if ((err == CS_OK || err == CS_ERR_TRY_AGAIN) && p[2].revents)
			err = votequorum_dispatch(c->vq, CS_DISPATCH_ALL);
		if (err != CS_OK && err != CS_ERR_TRY_AGAIN) {
			disconnect(c, "the connection to corosync was lost");
			nap(c, RECONNECT_MS);
		} else if (__atomic_exchange_n(&c->rejoin, false, __ATOMIC_ACQ_REL)) {
			disconnect(c, "this node left the cluster to take its state again");
		}
	}
	return NULL;
}

/* ---- the sender ---- */

static void *sender_main(void *arg)
{
	struct cs *c = arg;
	for (;;) {
		pthread_mutex_lock(&c->slock);
		while (!c->shead && !c->sstop)
			pthread_cond_wait(&c->scond, &c->slock);
		struct out_msg *m = c->shead;
		if (!m) {
			pthread_mutex_unlock(&c->slock);
			break;
		}
		c->shead = m->next;
		if (!c->shead)
			c->stail = NULL;
		pthread_mutex_unlock(&c->slock);
		struct iovec iov = {m->data, m->len};
		for (;;) {
			pthread_mutex_lock(&c->conn_lock);
			cs_error_t err = c->joined ? cpg_mcast_joined(c->cpg, CPG_TYPE_AGREED, &iov, 1)
						   : CS_ERR_NOT_EXIST;
			pthread_mutex_unlock(&c->conn_lock);
			if (err != CS_ERR_TRY_AGAIN)
				break; /* sent, or the group is gone (the replica hears of it) */
			usleep(500);
			pthread_mutex_lock(&c->slock);
			bool stop = c->sstop;
			pthread_mutex_unlock(&c->slock);
			if (stop)
				break;
		}
		free(m);
	}
	return NULL;
}

static int cs_mcast(void *ud, const void *data, size_t len)
{
	struct cs *c = ud;
	struct out_msg *m = malloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->len = len;
	memcpy(m->data, data, len);
	pthread_mutex_lock(&c->slock);
	if (c->sstop) {
		pthread_mutex_unlock(&c->slock);
		free(m);
		return -ENOTCONN;
	}
	if (c->stail)
		c->stail->next = m;
	else
		c->shead = m;
	c->stail = m;
	pthread_cond_signal(&c->scond);
	pthread_mutex_unlock(&c->slock);
	return 0;
}

/* ---- what the replica asks ---- */

static int cs_local_view(void *ud, struct cfs_local_view *ret)
{
	struct cs *c = ud;
	pthread_mutex_lock(&c->vlock);
	ret->quorate = c->quorate;
	ret->expected_votes = c->expected;
	ret->nnodes = c->nnodes;
	ret->nodes = malloc(sizeof(*ret->nodes) * (c->nnodes ? c->nnodes : 1));
	if (ret->nodes)
		memcpy(ret->nodes, c->nodes, sizeof(*ret->nodes) * c->nnodes);
	else
		ret->nnodes = 0;
	pthread_mutex_unlock(&c->vlock);
	return ret->nodes ? 0 : -ENOMEM;
}

/* This node's object, once the cluster knows it (committer thread; the
 * id is set once and read by FUSE handlers without a lock). */
static void note_local_node(struct cs *c, struct cfs_engine *e)
{
	if (__atomic_load_n(&e->local_node_id, __ATOMIC_ACQUIRE))
		return;
	struct cfs_object *n = cfs_model_node_by_number(&e->model, c->nodeid);
	if (n)
		__atomic_store_n(&e->local_node_id, strdup(cfs_obj_id(n)), __ATOMIC_RELEASE);
}

static void cs_membership(void *ud, struct cfs_engine *e, const struct cfs_view *v)
{
	struct cs *c = ud;
	const char *why = NULL;
	if (v->step == CFS_VIEW_MEMBERS && v->quorate != v->was_quorate)
		cfs_engine_log(e, v->quorate ? LOG_NOTICE : LOG_WARNING,
			       v->quorate ? "cluster: quorate (%zu of %" PRIu32 " expected votes)"
					  : "cluster: quorum lost (%zu of %" PRIu32
					    " expected votes): changes are refused (EROFS), "
					    "reads go on",
			       v->nmembers, v->expected_votes);
	int r = cfs_membership_apply(e, v, &why);
	if (r < 0)
		cfs_engine_log(e, LOG_ERR, "cluster: membership step refused: %s",
			       why ? why : strerror(-r));
	if (v->step != CFS_VIEW_MEMBERS)
		return;
	note_local_node(c, e);
	/* This node's networks, now that it can change the cluster. */
	if (v->quorate && !c->net && c->nodeid)
		cfs_netwatch_start(e, c->nodeid, false, &c->net);
	else if (v->quorate)
		cfs_netwatch_kick(c->net);
}

static void cs_rejoin(void *ud, const char *why)
{
	struct cs *c = ud;
	cfs_engine_log(c->e, LOG_ERR, "cluster: %s; taking the cluster's state again", why);
	__atomic_store_n(&c->rejoin, true, __ATOMIC_RELEASE);
	if (write(c->stop_pipe[1], "r", 1) < 0) {
		/* The pipe is full: the dispatch thread is awake anyway. */
	}
}

static const struct cfs_replica_ops cs_ops = {
	.mcast = cs_mcast,
	.local_view = cs_local_view,
	.membership = cs_membership,
	.rejoin = cs_rejoin,
};

/* ---- life cycle ---- */

static void barrier(struct cfs_engine *e, void *ud)
{
	(void)e;
	__atomic_store_n((int *)ud, 1, __ATOMIC_RELEASE);
}

static void cs_stop(void *state)
{
	struct cs *c = state;
	if (!c)
		return;
	__atomic_store_n(&c->stopping, true, __ATOMIC_RELEASE);
	if (c->dispatch_started) {
		if (write(c->stop_pipe[1], "x", 1) < 0) {
			/* Full pipe: the thread is awake. */
		}
		pthread_join(c->dispatch, NULL);
	}
	disconnect(c, "the daemon is stopping");
	/* The replica's calls still queued on the committer run before it
	 * goes. */
	int done = 0;
	if (c->rep && cfs_engine_deliver_call(c->e, barrier, &done) == 0)
		while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
			usleep(1000);
	cfs_netwatch_stop(c->net);
	if (c->sender_started) {
		pthread_mutex_lock(&c->slock);
		c->sstop = true;
		pthread_cond_signal(&c->scond);
		pthread_mutex_unlock(&c->slock);
		pthread_join(c->sender, NULL);
	}
	while (c->shead) {
		struct out_msg *m = c->shead;
		c->shead = m->next;
		free(m);
	}
	cfs_replica_free(c->rep);
	if (c->stop_pipe[0] >= 0) {
		close(c->stop_pipe[0]);
		close(c->stop_pipe[1]);
	}
	free(c->nodes);
	pthread_mutex_destroy(&c->conn_lock);
	pthread_mutex_destroy(&c->slock);
	pthread_cond_destroy(&c->scond);
	pthread_mutex_destroy(&c->vlock);
	free(c);
}

static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = -pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static void settle(struct cfs_engine *e)
{
	int done = 0;
	if (cfs_engine_deliver_call(e, barrier, &done) == 0)
		while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
			usleep(1000);
}

static int cs_start(struct cfs_engine *e, void **ret_state)
{
	struct cs *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->e = e;
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	pthread_mutex_init(&c->conn_lock, NULL);
	pthread_mutex_init(&c->slock, NULL);
	pthread_cond_init(&c->scond, NULL);
	pthread_mutex_init(&c->vlock, NULL);
	snprintf(c->cluster_name, sizeof(c->cluster_name), "clusterfs");
	int r;
	if (pipe2(c->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = cfs_replica_new(e, &cs_ops, c, &c->rep)) < 0)
		goto fail;
	if ((r = start_thread(&c->sender, sender_main, c)) < 0)
		goto fail;
	c->sender_started = true;
	if ((r = start_thread(&c->dispatch, dispatch_main, c)) < 0)
		goto fail;
	c->dispatch_started = true;
	/* A Corosync just started may first form a ring of its own and merge
	 * with the others a moment later: a daemon that mounted after that
	 * first sync would show its old state until the merge. So the daemon
	 * mounts once it synced in a quorate partition (the cluster's state),
	 * waiting for one at most QUORATE_MS more when Corosync itself is not
	 * quorate. When Corosync is quorate, the daemons of the others may
	 * simply not run yet and the first one must not wait long; but the
	 * ring may also have merged just after this daemon's first sync, with
	 * the group's configuration change on its way: MERGE_GRACE_MS covers
	 * that. */
	if (cfs_replica_wait_synced(c->rep, FIRST_SYNC_MS) == 0) {
		pthread_mutex_lock(&c->vlock);
		bool ring_quorate = c->quorate;
		pthread_mutex_unlock(&c->vlock);
		if (cfs_replica_wait_quorate(c->rep, ring_quorate ? MERGE_GRACE_MS : QUORATE_MS) < 0 &&
		    !ring_quorate)
			cfs_engine_log(e, LOG_WARNING, "cluster: no quorum after %d s; serving "
						       "this node's last state read-only meanwhile",
				       QUORATE_MS / 1000);
		settle(e); /* the first membership step is applied */
	} else {
		cfs_engine_log(e, LOG_WARNING, "cluster: not in sync with a cluster after %d s; "
					       "serving this node's last state read-only meanwhile",
			       FIRST_SYNC_MS / 1000);
	}
	*ret_state = c;
	return 0;
fail:
	cs_stop(c);
	return r;
}

/* The cluster's name for a new state directory: Corosync's. */
static int cs_default_name(char *buf, size_t n)
{
	cmap_handle_t h;
	char *name = NULL;
	if (cmap_initialize(&h) != CS_OK)
		return -ENOTCONN;
	int r = cmap_get_string(h, "totem.cluster_name", &name) == CS_OK && name[0] ? 0 : -ENOENT;
	if (r == 0)
		snprintf(buf, n, "%s", name);
	free(name);
	cmap_finalize(h);
	return r;
}

const struct cfs_backend_ops cfs_backend_corosync = {
	.name = "corosync",
	.start = cs_start,
	.stop = cs_stop,
	.default_cluster_name = cs_default_name,
};
