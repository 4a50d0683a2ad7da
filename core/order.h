/* SPDX-License-Identifier: MIT */
/* The order of changes: the seam between submitting a batch and applying
 * it.
 *
 * Every batch a client submits goes to the engine's order, which hands it
 * back through cfs_engine_deliver() in the order the cluster agreed on; the
 * committer applies delivered batches strictly in delivery order. Applying
 * the same batches in the same order to the same state gives the same
 * state and the same records (cmd.h), so an order that delivers the same
 * sequence on every node keeps every node's copy identical.
 *
 *  - "local" (engine.c): a single node. Delivery is submission; the
 *    committer's queue is the whole order. The engine starts with it.
 *  - "cpg" (backend_corosync.c): batches are multicast in Corosync CPG
 *    agreed order and delivered on every member, the sender included; the
 *    sender's batch is answered when it comes back.
 *
 * A back-end that orders batches itself installs its order from its
 * start() (cfs_engine_set_order). */
#ifndef CFS_ORDER_H
#define CFS_ORDER_H

struct cfs_batch;

struct cfs_order_ops {
	const char *name;
	/* Takes a stamped batch and makes it reach cfs_engine_deliver() on
	 * every node, in the same order everywhere. Called on the
	 * submitter's thread, with no engine lock held. Returns 0 (the batch
	 * is the order's now), or -errno: nothing was taken and the engine
	 * answers the submitter with that errno. */
	int (*submit)(void *state, struct cfs_batch *b);
	/* Optional: the committer could not make delivered batches durable
	 * (a store error). Other nodes did, so this node's copy no longer
	 * matches theirs: a replicated order resynchronises it. Called on the
	 * committer thread. */
	void (*diverged)(void *state, int err);
};

#endif
