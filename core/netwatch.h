/* SPDX-License-Identifier: MIT */
/* Networks and network interfaces that follow the host: for this host's
 * node (by number), one network interface per host interface, on the
 * network of its subnet (made when the cluster has none: "Cluster Network
 * N"), whose states follow the interface; a vanished interface becomes
 * unavailable and nothing is deleted, so ids stay stable while it is away.
 * Netlink link and address changes trigger a new reconciliation, on a
 * thread of its own; its commands go through the engine like any other. */
#ifndef CFS_NETWATCH_H
#define CFS_NETWATCH_H

#include <stdbool.h>
#include <stdint.h>

struct cfs_engine;
struct cfs_netwatch;

/* Starts watching for node `number`; with now, reconciles once before it
 * returns (and fails with its error), else soon on its thread. */
int cfs_netwatch_start(struct cfs_engine *e, uint32_t number, bool now,
		       struct cfs_netwatch **ret);
/* Reconciles again soon (any thread; never blocks). */
void cfs_netwatch_kick(struct cfs_netwatch *w);
/* NULL is a no-op. */
void cfs_netwatch_stop(struct cfs_netwatch *w);

#endif
