/* SPDX-License-Identifier: MIT */
/* The replication protocol (replica.h) over a simulated group: several
 * engines in one process, each with its own state directory, and a bus
 * that delivers multicast messages in one total order to the members of a
 * partition, as Corosync's CPG does, with configuration changes where the
 * test puts them. The bus is driven by the test thread, which plays every
 * node's dispatch thread; the engines' committers run as in the daemon. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_tmp.h"
#include "engine.h"
#include "membership.h"
#include "replica.h"

#define MAXN 4

struct msg {
	struct cfs_member from;
	size_t len;
	unsigned char *data;
};

/* A partition: its members and the messages sent in it, in total order. */
struct bus {
	pthread_mutex_t lock;
	struct msg *q;
	size_t n, cap;
};

struct node {
	int idx;
	char dir[64];
	struct cfs_engine *e;
	struct cfs_replica *r;
	struct cfs_member id;
	struct bus *bus; /* the partition it is in (NULL: down) */
	bool vq_quorate; /* what its "Corosync" says */
	int rejoins;
	const char *rejoin_why;
	/* Reset notifications seen (installs). */
	int resets;
	uint64_t last_fork, last_old_next;
};

static struct node nodes[MAXN];
static struct bus buses[2];
static int nnodes;

/* ---- the simulated transport ---- */

static int bus_mcast(void *ud, const void *data, size_t len)
{
	struct node *n = ud;
	struct bus *b = __atomic_load_n(&n->bus, __ATOMIC_ACQUIRE);
	if (!b)
		return -ENOTCONN;
	pthread_mutex_lock(&b->lock);
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->q = realloc(b->q, b->cap * sizeof(*b->q));
	}
	struct msg *m = &b->q[b->n++];
	m->from = n->id;
	m->len = len;
	m->data = malloc(len ? len : 1);
	memcpy(m->data, data, len);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

static int local_view(void *ud, struct cfs_local_view *ret)
{
	struct node *n = ud;
	ret->quorate = __atomic_load_n(&n->vq_quorate, __ATOMIC_ACQUIRE);
	ret->expected_votes = 3;
	ret->nnodes = 3;
	ret->nodes = calloc(3, sizeof(*ret->nodes));
	for (int i = 0; i < 3; i++) {
		ret->nodes[i].nodeid = (uint32_t)i + 1;
		snprintf(ret->nodes[i].name, sizeof(ret->nodes[i].name), "n%d", i + 1);
		snprintf(ret->nodes[i].address, sizeof(ret->nodes[i].address), "10.0.0.%d",
			 i + 1);
	}
	return 0;
}

static void membership(void *ud, struct cfs_engine *e, const struct cfs_view *v)
{
	(void)ud;
	cfs_membership_apply(e, v, NULL);
}

static void rejoin(void *ud, const char *why)
{
	struct node *n = ud;
	__atomic_add_fetch(&n->rejoins, 1, __ATOMIC_SEQ_CST);
	n->rejoin_why = why;
}

static const struct cfs_replica_ops ops = {
	.mcast = bus_mcast,
	.local_view = local_view,
	.membership = membership,
	.rejoin = rejoin,
};

static void on_reset(void *ud, const struct cfs_engine_reset *rs)
{
	struct node *n = ud;
	n->resets++;
	n->last_fork = rs->fork;
	n->last_old_next = rs->old_next;
}

static void on_commit(void *ud, const struct cfs_record *recs, size_t n)
{
	(void)ud;
	(void)recs;
	(void)n;
}

/* ---- nodes ---- */

static void node_open(int i, bool fresh)
{
	struct node *n = &nodes[i];
	if (fresh) {
		snprintf(n->dir, sizeof(n->dir), "/tmp/cfs-replica-test-XXXXXX");
		cr_assert_not_null(mkdtemp(n->dir));
	}
	n->idx = i;
	char name[16];
	snprintf(name, sizeof(name), "cl%d", i);
	struct cfs_engine_config cfg = {.state_dir = n->dir, .cluster_name = name};
	const char *why = NULL;
	cr_assert_eq(cfs_engine_open(&cfg, &n->e, &why), 0, "open: %s", why ? why : "-");
	cfs_engine_add_listener(n->e, on_commit, n);
	cfs_engine_set_reset(n->e, n, on_reset);
	n->id = (struct cfs_member){(uint32_t)i + 1, 1000u + (uint32_t)i};
	n->vq_quorate = true;
	cr_assert_eq(cfs_replica_new(n->e, &ops, n, &n->r), 0);
	cfs_replica_set_self(n->r, n->id);
	if (i >= nnodes)
		nnodes = i + 1;
}

/* Stops a node's daemon (its state directory stays). */
static void node_close(int i)
{
	struct node *n = &nodes[i];
	__atomic_store_n(&n->bus, NULL, __ATOMIC_RELEASE);
	if (n->e)
		cfs_engine_stop(n->e);
	cfs_replica_free(n->r);
	cfs_engine_free(n->e);
	n->r = NULL;
	n->e = NULL;
}

static void setup(void)
{
	memset(nodes, 0, sizeof(nodes));
	nnodes = 0;
	for (int i = 0; i < 2; i++)
		buses[i] = (struct bus){.lock = PTHREAD_MUTEX_INITIALIZER};
}

static void teardown(void)
{
	for (int i = 0; i < MAXN; i++) {
		if (nodes[i].e)
			node_close(i);
		if (nodes[i].dir[0])
			cfs_test_rm_rf(nodes[i].dir);
	}
	for (int b = 0; b < 2; b++) {
		for (size_t i = 0; i < buses[b].n; i++)
			free(buses[b].q[i].data);
		free(buses[b].q);
	}
}

TestSuite(replica, .init = setup, .fini = teardown, .timeout = 120);

/* ---- driving the bus ---- */

static void barrier_fn(struct cfs_engine *e, void *ud)
{
	(void)e;
	__atomic_store_n((int *)ud, 1, __ATOMIC_RELEASE);
}

/* Waits until every live engine's committer has run everything queued. */
static void settle_committers(void)
{
	for (int i = 0; i < nnodes; i++) {
		if (!nodes[i].e)
			continue;
		int flag = 0;
		cr_assert_eq(cfs_engine_deliver_call(nodes[i].e, barrier_fn, &flag), 0);
		while (!__atomic_load_n(&flag, __ATOMIC_ACQUIRE))
			usleep(200);
	}
}

static bool in_bus(int i, struct bus *b)
{
	return nodes[i].e && nodes[i].bus == b;
}

/* Delivers every message of the partition to its members, in order, until
 * nobody sends anything more. */
static void run_bus(struct bus *b)
{
	for (int rounds = 0; rounds < 1000; rounds++) {
		settle_committers();
		pthread_mutex_lock(&b->lock);
		struct msg *q = b->q;
		size_t n = b->n;
		b->q = NULL;
		b->n = b->cap = 0;
		pthread_mutex_unlock(&b->lock);
		if (!n)
			return;
		for (size_t k = 0; k < n; k++) {
			for (int i = 0; i < nnodes; i++)
				if (in_bus(i, b))
					cfs_replica_deliver(nodes[i].r, q[k].from, q[k].data, q[k].len);
			free(q[k].data);
		}
		free(q);
	}
	cr_assert_fail("the bus never went quiet");
}

/* Delivers only the oldest message of the partition (after letting the
 * committers send what they owe). Returns false when there was none. */
static bool deliver_one(struct bus *b)
{
	settle_committers();
	pthread_mutex_lock(&b->lock);
	if (!b->n) {
		pthread_mutex_unlock(&b->lock);
		return false;
	}
	struct msg m = b->q[0];
	memmove(b->q, b->q + 1, (b->n - 1) * sizeof(*b->q));
	b->n--;
	pthread_mutex_unlock(&b->lock);
	for (int i = 0; i < nnodes; i++)
		if (in_bus(i, b))
			cfs_replica_deliver(nodes[i].r, m.from, m.data, m.len);
	free(m.data);
	return true;
}

static void run_all(void)
{
	run_bus(&buses[0]);
	run_bus(&buses[1]);
	settle_committers();
}

/* A configuration change in partition b: its members become mask. */
static void confchg(struct bus *b, unsigned mask)
{
	struct cfs_member m[MAXN];
	size_t n = 0;
	for (int i = 0; i < nnodes; i++) {
		if (mask & (1u << i)) {
			m[n++] = nodes[i].id;
			__atomic_store_n(&nodes[i].bus, b, __ATOMIC_RELEASE);
		} else if (nodes[i].bus == b) {
			__atomic_store_n(&nodes[i].bus, NULL, __ATOMIC_RELEASE);
		}
	}
	for (int i = 0; i < nnodes; i++)
		if (mask & (1u << i))
			cfs_replica_confchg(nodes[i].r, m, n);
}

/* ---- observing ---- */

struct fp {
	uint64_t next_seq, hist, generation;
};

static void fp_fn(struct cfs_engine *e, void *ud)
{
	struct fp *f = ud;
	f->next_seq = e->next_seq;
	f->hist = e->hist;
	f->generation = e->generation;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	f[1].next_seq = 1;
}

static struct fp fingerprint(int i)
{
	struct fp f[2] = {0};
	cr_assert_eq(cfs_engine_deliver_call(nodes[i].e, fp_fn, f), 0);
	while (!__atomic_load_n(&f[1].next_seq, __ATOMIC_ACQUIRE))
		usleep(200);
	return f[0];
}

static void assert_same(int a, int b)
{
	struct fp x = fingerprint(a), y = fingerprint(b);
	cr_assert_eq(x.next_seq, y.next_seq, "node %d next_seq %llu, node %d %llu", a + 1,
		     (unsigned long long)x.next_seq, b + 1, (unsigned long long)y.next_seq);
	cr_assert_eq(x.hist, y.hist, "nodes %d and %d: same seq, different history", a + 1, b + 1);
}

static char *obj_word(int i, enum cfs_kind kind, const char *name, const char *prop)
{
	struct cfs_engine *e = nodes[i].e;
	cfs_engine_rdlock(e);
	struct cfs_object *o = cfs_model_by_name(&e->model, kind, name);
	char *out = NULL;
	if (o && strcmp(prop, "State") == 0)
		out = strdup(cfs_state_name(kind, cfs_obj_state(o)));
	else if (o && strcmp(prop, "OwnerNode") == 0) {
		struct cfs_object *n = cfs_obj_ref(&e->model, o, CFS_P_OWNER_NODE);
		out = strdup(n ? n->name : "");
	}
	cfs_engine_unlock(e);
	return out ? out : strdup("(none)");
}

static void assert_word(int i, enum cfs_kind kind, const char *name, const char *prop,
			const char *want)
{
	char *got = obj_word(i, kind, name, prop);
	cr_assert_str_eq(got, want, "node %d: %s %s %s is %s, not %s", i + 1,
			 cfs_kind_name(kind), name, prop, got, want);
	free(got);
}

static bool quorate(int i)
{
	cfs_engine_rdlock(nodes[i].e);
	bool q = cfs_model_quorate(&nodes[i].e->model);
	cfs_engine_unlock(nodes[i].e);
	return q;
}

struct find_rec {
	const char *kind, *name, *old, *new;
	bool found;
};

static int match_rec(const struct cfs_record *r, void *ud)
{
	struct find_rec *f = ud;
	f->found |= r->change == CFS_CH_STATE && strcmp(cfs_kind_name(r->kind), f->kind) == 0 &&
		    r->obj_name && strcmp(r->obj_name, f->name) == 0 && r->old_value &&
		    strcmp(r->old_value, f->old) == 0 && r->new_value &&
		    strcmp(r->new_value, f->new) == 0;
	return 0;
}

/* Whether node i's journal has a state record kind:name old -> new. */
static bool journal_has(int i, const char *kind, const char *name, const char *old,
			const char *new)
{
	struct find_rec f = {kind, name, old, new, false};
	uint64_t next;
	struct cfs_journal *j = &nodes[i].e->journal;
	cfs_journal_scan(j, cfs_journal_first_seq(j), cfs_journal_next_seq(j), match_rec, &f, &next);
	return f.found;
}

/* ---- submitting ---- */

struct outcome {
	int done;
	int err;
	const char *why;
};

static void on_done(void *ud, int err, const char *why, int line)
{
	(void)line;
	struct outcome *o = ud;
	o->err = err;
	o->why = why;
	__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
}

/* Submits text on node i; returns the submission's own result. */
static int submit(int i, const char *line, struct outcome *o)
{
	struct cfs_cmd *c;
	const char *why;
	cr_assert_eq(cfs_cmd_parse(line, strlen(line), &c, &why), 0, "%s: %s", line, why);
	struct cfs_cmd **v = malloc(sizeof(*v));
	v[0] = c;
	*o = (struct outcome){0};
	return cfs_engine_submit(nodes[i].e, v, 1, 0, 0, on_done, o);
}

/* Submits, runs the buses, and returns the answer. */
static int change(int i, const char *line)
{
	struct outcome o;
	int r = submit(i, line, &o);
	if (r < 0)
		return r;
	run_all();
	cr_assert(o.done, "%s on node %d was never answered", line, i + 1);
	return o.err;
}

/* ---- scenarios ---- */

static void form(unsigned mask)
{
	for (int i = 0; i < 3; i++)
		if (mask & (1u << i))
			node_open(i, true);
	confchg(&buses[0], mask);
	run_all();
}

Test(replica, three_fresh_nodes_form_one_cluster)
{
	form(7);
	assert_same(0, 1);
	assert_same(0, 2);
	for (int i = 0; i < 3; i++) {
		cr_assert(cfs_replica_synced(nodes[i].r));
		cr_assert(quorate(i), "node %d is not quorate", i + 1);
		assert_word(i, CFS_KIND_NODE, "n1", "State", "up");
		assert_word(i, CFS_KIND_NODE, "n3", "State", "up");
		assert_word(i, CFS_KIND_GROUP, "Cluster Group", "OwnerNode", "n1");
	}
	/* Nodes 2 and 3 took node 1's state: one cluster name. */
	cfs_engine_rdlock(nodes[2].e);
	cr_assert_str_eq(cfs_model_cluster_name(&nodes[2].e->model), "cl0");
	cfs_engine_unlock(nodes[2].e);
}

Test(replica, a_change_anywhere_applies_everywhere_with_its_answer)
{
	form(7);
	cr_assert_eq(change(1, "group-create web"), 0);
	for (int i = 0; i < 3; i++)
		assert_word(i, CFS_KIND_GROUP, "web", "State", "offline");
	assert_same(0, 1);
	assert_same(1, 2);
	/* Every node computes the same refusal. */
	cr_assert_eq(change(2, "group-create web"), -EEXIST);
	assert_same(0, 2);
}

Test(replica, concurrent_writers_end_identical)
{
	form(7);
	struct outcome o[30];
	char line[64];
	for (int k = 0; k < 30; k++) {
		snprintf(line, sizeof(line), "group-create g%d", k % 10);
		cr_assert_eq(submit(k % 3, line, &o[k]), 0);
	}
	run_all();
	int ok = 0;
	for (int k = 0; k < 30; k++) {
		cr_assert(o[k].done);
		ok += o[k].err == 0;
		cr_assert(o[k].err == 0 || o[k].err == -EEXIST, "%d", o[k].err);
	}
	cr_assert_eq(ok, 10, "each name created exactly once");
	assert_same(0, 1);
	assert_same(0, 2);
}

Test(replica, a_node_that_leaves_is_down_and_its_groups_fail_over)
{
	form(7);
	cr_assert_eq(change(0, "group-create web n3"), 0);
	cr_assert_eq(change(0, "resource-create ip \"IP Address\" web"), 0);
	cr_assert_eq(change(0, "group-online web"), 0);
	cr_assert_eq(change(0, "group-preferred web n3 n2"), 0);
	assert_word(0, CFS_KIND_GROUP, "web", "OwnerNode", "n3");
	node_close(2);
	confchg(&buses[0], 3);
	run_all();
	for (int i = 0; i < 2; i++) {
		assert_word(i, CFS_KIND_NODE, "n3", "State", "down");
		assert_word(i, CFS_KIND_GROUP, "web", "OwnerNode", "n2");
		assert_word(i, CFS_KIND_GROUP, "web", "State", "online");
		assert_word(i, CFS_KIND_RESOURCE, "ip", "State", "online");
		cr_assert(quorate(i));
	}
	assert_same(0, 1);
}

Test(replica, a_minority_refuses_changes_and_takes_the_majority_state_back)
{
	form(7);
	cr_assert_eq(change(0, "group-create before"), 0);
	/* Partition: {1,2} and {3}. */
	confchg(&buses[0], 3);
	confchg(&buses[1], 4);
	run_all();
	cr_assert(quorate(0));
	cr_assert(!quorate(2));
	assert_word(2, CFS_KIND_NODE, "n1", "State", "down");
	struct outcome o;
	int r = submit(2, "group-create minority", &o);
	if (r == 0) {
		run_all();
		cr_assert(o.done);
		r = o.err;
	}
	cr_assert_eq(r, -EROFS, "a minority write gave %d", r);
	cr_assert_eq(change(0, "group-create majority"), 0);
	struct fp before = fingerprint(2);
	/* Heal. */
	confchg(&buses[0], 7);
	run_all();
	assert_same(0, 2);
	assert_word(2, CFS_KIND_GROUP, "majority", "State", "offline");
	assert_word(2, CFS_KIND_GROUP, "minority", "State", "(none)");
	assert_word(2, CFS_KIND_NODE, "n3", "State", "up");
	cr_assert(quorate(2));
	/* The minority's own records (the others going down) were replaced,
	 * and its listeners were told from where. */
	cr_assert_geq(nodes[2].resets, 1);
	cr_assert_lt(nodes[2].last_fork, before.next_seq);
}

Test(replica, a_restarted_node_catches_up_from_an_old_state_directory)
{
	form(7);
	cr_assert_eq(change(0, "group-create a"), 0);
	node_close(2);
	confchg(&buses[0], 3);
	run_all();
	cr_assert_eq(change(1, "group-create b"), 0);
	cr_assert_eq(change(1, "reg-create-key Later"), 0);
	node_open(2, false);
	confchg(&buses[0], 7);
	run_all();
	assert_same(0, 2);
	assert_word(2, CFS_KIND_GROUP, "b", "State", "offline");
	assert_word(2, CFS_KIND_NODE, "n3", "State", "up");
	/* While it took the state, the others showed it joining. */
	cr_assert(journal_has(0, "node", "n3", "down", "joining"));
	cr_assert(journal_has(0, "node", "n3", "joining", "up"));
	/* It was only behind: nothing it had was replaced. */
	cr_assert_eq(nodes[2].last_fork, nodes[2].last_old_next);
}

/* The registry root's security is no row of the store: the snapshot
 * carries it, and the node that took it keeps it across a restart. */
static void assert_root_sec(int i, uint32_t mode, uint32_t uid, uint32_t gid)
{
	cfs_engine_rdlock(nodes[i].e);
	const struct cfs_key *root = nodes[i].e->model.reg.root;
	uint32_t m = root->mode, u = root->uid, g = root->gid;
	cfs_engine_unlock(nodes[i].e);
	cr_assert(m == mode && u == uid && g == gid, "node %d: root %o %u:%u, expected %o %u:%u",
		  i + 1, m, u, g, mode, uid, gid);
}

Test(replica, the_registry_root_security_reaches_a_joining_node)
{
	form(3);
	cr_assert_eq(change(0, "reg-security \"\" 0750 65534 4242"), 0);
	node_open(2, true);
	confchg(&buses[0], 7);
	run_all();
	assert_same(0, 2);
	assert_root_sec(2, 0750, 65534, 4242);
	node_close(2);
	confchg(&buses[0], 3);
	run_all();
	node_open(2, false);
	assert_root_sec(2, 0750, 65534, 4242);
}

Test(replica, a_change_held_by_a_sync_cut_short_is_applied_once)
{
	form(7);
	/* Node 3 goes: a sync starts. A change sent now is held... */
	confchg(&buses[0], 3);
	struct outcome o;
	cr_assert_eq(submit(1, "group-create once", &o), 0);
	cr_assert(deliver_one(&buses[0])); /* SYNC_START */
	cr_assert(deliver_one(&buses[0])); /* the change: held */
	/* ...and node 3 is back before the sync is over. */
	confchg(&buses[0], 7);
	run_all();
	cr_assert(o.done);
	cr_assert_eq(o.err, 0, "%d", o.err);
	for (int i = 0; i < 3; i++)
		assert_word(i, CFS_KIND_GROUP, "once", "State", "offline");
	assert_same(0, 1);
	assert_same(0, 2);
}

Test(replica, a_sync_interrupted_during_the_snapshot_starts_over)
{
	form(3);
	cr_assert_eq(change(0, "group-create early"), 0);
	node_open(2, true);
	confchg(&buses[0], 7);
	/* SYNC_START, then three STATEs: decided; node 3 waits for the
	 * snapshot, which is cut off by another change. */
	for (int k = 0; k < 4; k++)
		cr_assert(deliver_one(&buses[0]));
	confchg(&buses[0], 7);
	run_all();
	assert_same(0, 2);
	assert_word(2, CFS_KIND_NODE, "n3", "State", "up");
	assert_word(2, CFS_KIND_GROUP, "early", "State", "offline");
}

/* A daemon waits before it mounts for a sync in a quorate partition
 * (backend_corosync.c): alone of three it is synced but not quorate; once
 * a majority has synced it is. */
Test(replica, waiting_for_a_quorate_sync)
{
	form(1);
	cr_assert_eq(cfs_replica_wait_synced(nodes[0].r, 1000), 0);
	cr_assert_eq(cfs_replica_wait_quorate(nodes[0].r, 50), -ETIMEDOUT);
	node_open(1, true);
	confchg(&buses[0], 3);
	run_all();
	cr_assert_eq(cfs_replica_wait_quorate(nodes[0].r, 1000), 0);
	cr_assert_eq(cfs_replica_wait_quorate(nodes[1].r, 1000), 0);
}

Test(replica, quorum_follows_what_corosync_says)
{
	form(7);
	__atomic_store_n(&nodes[0].vq_quorate, false, __ATOMIC_RELEASE);
	cfs_replica_quorum_changed(nodes[0].r);
	run_all();
	for (int i = 0; i < 3; i++)
		cr_assert(!quorate(i), "node %d still quorate", i + 1);
	cr_assert_eq(change(1, "group-create x"), -EROFS);
	__atomic_store_n(&nodes[0].vq_quorate, true, __ATOMIC_RELEASE);
	cfs_replica_quorum_changed(nodes[0].r);
	run_all();
	cr_assert(quorate(1));
	cr_assert_eq(change(1, "group-create x"), 0);
	assert_same(0, 2);
}

Test(replica, garbage_messages_are_ignored)
{
	form(7);
	static const unsigned char junk[][8] = {
		{0}, {1, 1}, {1, 1, 0xff}, {3, 1, 1, 0, 0, 0}, {4, 1, 9}, {9, 9, 9}, {2, 1},
	};
	for (size_t k = 0; k < sizeof(junk) / sizeof(junk[0]); k++)
		bus_mcast(&nodes[1], junk[k], sizeof(junk[k]));
	run_all();
	cr_assert_eq(change(0, "group-create after"), 0);
	assert_same(0, 1);
	assert_same(0, 2);
}

Test(replica, the_group_gone_answers_waiting_writers)
{
	form(7);
	struct outcome o;
	cr_assert_eq(submit(0, "group-create lost", &o), 0);
	cfs_replica_lost(nodes[0].r);
	cr_assert(o.done);
	cr_assert_eq(o.err, -EROFS);
	struct outcome o2;
	cr_assert_eq(submit(0, "group-create later", &o2), -EROFS);
	/* Alone, it shows itself as a partition of one without quorum. */
	settle_committers();
	cr_assert(!quorate(0));
	assert_word(0, CFS_KIND_NODE, "n2", "State", "down");
	assert_word(0, CFS_KIND_NODE, "n1", "State", "up");
	cr_assert(quorate(1));
}
