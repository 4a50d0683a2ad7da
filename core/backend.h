/* SPDX-License-Identifier: MIT */
/* Membership back-ends: where the cluster's nodes and their liveness come
 * from. A back-end is an ops table; the engine calls start() once the model
 * is loaded and stop() before it shuts down. A back-end changes the cluster
 * only by submitting commands (node-add, node-state, network-state, ...)
 * through the engine, like any other client; a replicated back-end also
 * installs the engine's order (order.h) so that every node applies the
 * same commands in the same order.
 *
 * The embedded back-end ("local") makes this host the only node and keeps
 * the networks and network interfaces in step with the host's real
 * interfaces. */
#ifndef CFS_BACKEND_H
#define CFS_BACKEND_H

#include <stddef.h>

struct cfs_engine;
struct cfs_vec;

struct cfs_backend_ops {
	const char *name;
	/* Starts the back-end; it may submit commands from now on. 0/-errno. */
	int (*start)(struct cfs_engine *e, void **ret_state);
	/* Stops it and frees its state; no commands are submitted after. */
	void (*stop)(void *state);
	/* Optional: turns one back-end line of the control file ("sim ...",
	 * without its newline) into commands (struct cfs_cmd *) appended to
	 * cmds, which then run with the rest of the write, atomically. 0 or
	 * -errno with a static reason in *why. NULL: no such lines. */
	int (*control)(void *state, const char *line, size_t len, struct cfs_vec *cmds,
		       const char **why);
	/* Optional: the name a new cluster gets when the user gave none (the
	 * engine opens before the back-end starts). 0 or -errno. */
	int (*default_cluster_name)(char *buf, size_t n);
};

extern const struct cfs_backend_ops cfs_backend_local;
/* The simulation back-end ("sim", backend_sim.c): the embedded cluster,
 * plus nodes that join, leave, fail and change qualification through
 * "sim ..." lines of the control file. */
extern const struct cfs_backend_ops cfs_backend_sim;

/* The Corosync back-end ("corosync", backend_corosync.c), when built:
 * many machines, one cluster, over CPG. */
extern const struct cfs_backend_ops cfs_backend_corosync;

/* The table of back-ends (backend.c). Looks one up by name; NULL when
 * unknown. */
const struct cfs_backend_ops *cfs_backend_find(const char *name);
/* The i-th back-end of the table, NULL past the end (for listings). */
const struct cfs_backend_ops *cfs_backend_at(size_t i);

#endif
