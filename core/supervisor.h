/* SPDX-License-Identifier: MIT */
/* The supervisor: runs this node's resource agents and reports what they
 * did as commands.
 *
 * It owns everything about agents that depends on this machine, which the
 * state machine must never decide: an agent's exit code, a timeout, a
 * process that died. It acts only on the resources whose group this node
 * owns (engine->local_node_id), from what the committed model says:
 *
 *   OnlinePending, providers online   start      -> resource-started R N ok|failed
 *   OfflinePending, dependents down   stop       -> resource-stopped R N ok|failed
 *   Online, every monitor_interval    monitor    -> resource-monitor R N failed
 *     (a Generic Application's exit is seen at once)
 *   Offline or Failed, or moved away, while something may still run here:
 *                                     stop (a clean-up, reported only in the log)
 *   OnlinePending again (a restart)   stop first, then start
 *
 * and the state machine (apply_agents.c) decides what follows, on every
 * node alike. On start it first probes every resource of this node (a
 * monitor, as Pacemaker's probes): one found dead while the cluster says
 * online is reported failed, one found running while the cluster says
 * it is starting is reported started, and what runs where the cluster
 * says offline is stopped. Resources a clean stop took offline
 * (PersistentState) are then brought back online.
 *
 * It also keeps the OCF agents under OCF_ROOT/resource.d as resource types
 * (type-agent, with their meta-data; inotify on the directories), in a
 * thread of its own.
 *
 * Threads: a main loop (waits for commits, timers and process exits, and
 * decides), one worker per action in flight (runs it with no lock of the
 * daemon held, then submits its report and waits for it to commit), and
 * the scanner. The commit listener only wakes the loop. */
#ifndef CFS_SUPERVISOR_H
#define CFS_SUPERVISOR_H

#include "engine.h"

struct cfs_supervisor;

struct cfs_supervisor_config {
	struct cfs_engine *engine;
	const char *ocf_root; /* NULL: /usr/lib/ocf */
	const char *run_dir;  /* pid files and outputs (created if missing) */
	void (*log)(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

/* Starts the supervisor (after the engine's back-end). 0 or -errno with a
 * static reason. */
int cfs_supervisor_start(const struct cfs_supervisor_config *cfg, struct cfs_supervisor **ret,
			 const char **ret_why);
/* A clean stop of this node: every group of this node in which something
 * runs moves to another node that may take it, or goes offline there
 * (group-evacuate); then waits until nothing runs here any more, at most
 * the longest pending timeout of its resources plus 5 s. 0 or -ETIME. */
int cfs_supervisor_drain(struct cfs_supervisor *s);
/* How many resources it keeps runtime state for: those in the model that
 * run agents, and those deleted while something of them was still here,
 * until that is gone. */
size_t cfs_supervisor_tracked(struct cfs_supervisor *s);
/* Stops its threads (actions still in flight are killed) and frees it;
 * what runs keeps running. NULL is a no-op. */
void cfs_supervisor_free(struct cfs_supervisor *s);

#endif
