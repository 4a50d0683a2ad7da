/* SPDX-License-Identifier: MIT */
/* The replica: one node's part in keeping every node's copy of the cluster
 * identical over a group communication system with virtual synchrony and
 * agreed (total) order, that is Corosync's CPG. It is pure protocol: the
 * transport (backend_corosync.c) feeds it configuration changes and
 * delivered messages, in delivery order, from one thread, and gives it a
 * way to multicast. Nothing here includes Corosync headers, so the whole
 * protocol is tested in-process (tests/test_replica.c).
 *
 * The order (order.h). A client's batch is multicast; every member applies
 * every delivered batch in delivery order through the same state machine,
 * and the sender answers its client when the batch comes back to it and
 * is durable there. Batches a node sent are matched on delivery by a local
 * id, so the answer carries the errno every node computed.
 *
 * Synchronisation, at every configuration change (CPG confchg):
 *  1. Every member stops applying: delivered batches are held. The leader
 *     (the lowest member) multicasts SYNC_START with a fresh epoch.
 *  2. On SYNC_START, each member multicasts STATE: the fingerprint of its
 *     state (next sequence number, history hash), its cluster generation,
 *     its clock, its Corosync quorum view and node list. The fingerprint
 *     is taken on the committer after everything delivered before the
 *     change was applied, and nothing was applied since.
 *  3. When every member's STATE of the epoch is in, every member decides
 *     the same: the source is the member with the highest (generation,
 *     next sequence number), ties to the lowest member; the targets are
 *     the members whose fingerprint differs from the source's. Without
 *     targets the sync is done. Otherwise the others mark the targets
 *     `joining`, the source multicasts its snapshot (snapshot.h) in
 *     chunks, and the sync is done when the last chunk is delivered.
 *  4. Done: each target installs the snapshot, then every member applies
 *     the membership step (node states, quorum, failover: the back-end's
 *     deterministic commands, stamped with the latest STATE clock), then
 *     the held batches, and goes on applying as batches arrive.
 *  A configuration change during a sync starts over. Nobody applied the
 *  held batches, so they are dropped everywhere, and each member sends its
 *  own again: nothing is applied twice or lost.
 *
 * Quorum. A partition may change the cluster only while more than half of
 * the expected votes are members and every member's Corosync says it is
 * quorate; it is decided at the same place in the order on every member
 * (the membership step), so two partitions never both commit. The
 * generation rises each time a partition becomes quorate, so when
 * partitions merge, the one that was quorate last is the source and a
 * minority's own records (its view of the others leaving) are replaced,
 * and reported, never merged.
 *
 * Threads: cfs_replica_confchg and cfs_replica_deliver run on the
 * transport's dispatch thread; cfs_replica_submit on any thread; the
 * protocol's own work (STATE, snapshots, installs, membership steps) on
 * the engine's committer, as call items at their place in the order. */
#ifndef CFS_REPLICA_H
#define CFS_REPLICA_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "cfs_limits.h"

struct cfs_engine;
struct cfs_replica;

/* A group member: a daemon process on a node. */
struct cfs_member {
	uint32_t nodeid;
	uint32_t pid;
};

/* A node of the configuration (Corosync's node list). */
struct cfs_config_node {
	uint32_t nodeid;
	char name[CFS_NAME_MAX + 1];
	char address[64];
};

/* What a member says about its own Corosync: its quorum view and its
 * configuration. */
struct cfs_local_view {
	bool quorate;		 /* Corosync's votequorum says so */
	uint32_t expected_votes; /* votequorum's expected votes */
	struct cfs_config_node *nodes; /* malloc'd by local_view(), freed by the replica */
	size_t nnodes;
};

/* The input of a membership step: the same on every member. */
struct cfs_view {
	enum { CFS_VIEW_JOINING, CFS_VIEW_MEMBERS } step;
	const struct cfs_member *members; /* sorted */
	size_t nmembers;
	const struct cfs_config_node *nodes; /* sorted by nodeid */
	size_t nnodes;
	const uint32_t *joining; /* CFS_VIEW_JOINING: nodes taking the state */
	size_t njoining;
	uint32_t expected_votes;
	bool quorate;	      /* the decision (see above) */
	bool was_quorate;     /* the decision before this step */
	int64_t time_ns;      /* the commands' time */
	uint64_t generation;  /* after this step */
};

struct cfs_replica_ops {
	/* Multicasts msg to the group in agreed order (the transport copies
	 * it; it retries flow control itself). 0, or -errno when the group is
	 * gone (a configuration change follows when it comes back). Called
	 * from the committer and from submitters. */
	int (*mcast)(void *ud, const void *msg, size_t len);
	/* Fills this node's view of Corosync (committer thread). 0/-errno. */
	int (*local_view)(void *ud, struct cfs_local_view *ret);
	/* Applies a membership step on the committer (it may call
	 * cfs_engine_commit_now and cfs_engine_set_refusal). */
	void (*membership)(void *ud, struct cfs_engine *e, const struct cfs_view *v);
	/* This node can no longer follow the cluster (it could not install
	 * the cluster's state, or its store failed): the transport leaves the
	 * group and joins again, which syncs it. Committer thread. */
	void (*rejoin)(void *ud, const char *why);
};

/* Creates a replica for the engine and installs it as the engine's order
 * (cfs_engine_set_order). Until it is in a group, changes are refused. */
int cfs_replica_new(struct cfs_engine *e, const struct cfs_replica_ops *ops, void *ud,
		    struct cfs_replica **ret);
/* This daemon's member identity, once the transport knows it (dispatch
 * thread, before the first configuration change that includes it). */
void cfs_replica_set_self(struct cfs_replica *r, struct cfs_member self);
/* Stops using the replica: the engine's order is closed, and batches still
 * waiting for delivery are answered with -ESHUTDOWN. Call after the
 * transport stopped calling in and the committer ran every call queued
 * before (no call of the replica may run after this). */
void cfs_replica_free(struct cfs_replica *r);

/* A configuration change: the members now in the group (any order). */
void cfs_replica_confchg(struct cfs_replica *r, const struct cfs_member *members, size_t n);
/* A delivered message, in agreed order. */
void cfs_replica_deliver(struct cfs_replica *r, struct cfs_member from, const void *msg,
			 size_t len);
/* This node's Corosync quorum view changed (any thread): the members
 * learn it in order and decide again. */
void cfs_replica_quorum_changed(struct cfs_replica *r);
/* The group is gone (Corosync stopped): every batch waiting for delivery
 * is answered with -ENOTCONN, and changes are refused until the group is
 * back. */
void cfs_replica_lost(struct cfs_replica *r);

/* True once this node has finished a sync since it joined. */
bool cfs_replica_synced(struct cfs_replica *r);
/* Waits up to timeout_ms for the first sync; 0 or -ETIMEDOUT. */
int cfs_replica_wait_synced(struct cfs_replica *r, int timeout_ms);
/* Waits up to timeout_ms until this node has synced and is in a quorate
 * partition (then it has the cluster's state); 0 or -ETIMEDOUT. */
int cfs_replica_wait_quorate(struct cfs_replica *r, int timeout_ms);

/* The errno clients get while the cluster has no quorum. */
#define CFS_ENOQUORUM EROFS

#endif
