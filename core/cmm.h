/* SPDX-License-Identifier: MIT */
/* The Cluster Membership Monitor (CMM) view of the nodes: roles, master
 * eligibility, qualification, and the election that assigns the roles.
 *
 * Everything lives in the registry, on each node's key, so it is durable,
 * replicated with the commands, and seen by inotify, ports and the log
 * like any other property:
 *
 *   value          type   file (nodes/N/)   words
 *   Role           DWORD  role              out, in, vicemaster, master
 *   MasterEligible DWORD  eligible          yes, no          (default yes)
 *   Disqualified   DWORD  qualification     qualified, disqualified
 *   SynchroNeeded  DWORD  synchro           ready, needed
 *   Frozen         DWORD  frozen            yes, no
 *   Excluded       DWORD  excluded          yes, no
 *   Incarnation    DWORD  incarnation       decimal; +1 each time the node joins
 *   SoftwareLoad   SZ     swload            free text (at most 31 bytes)
 *   DomainId       DWORD  domain            decimal
 *
 * A missing value has its default (the first word, 0, or ""). The cluster
 * root holds CmmStatus (SZ: valid, stale, invalid) and CmmLastMaster (SZ:
 * the id of the node that was master last).
 *
 * Every change of one of them is a node "property" record whose prop is
 * the value name and whose old/new are the words above.
 *
 * The election (cfs_cmm_elect) is deterministic: it depends only on the
 * model, so every replica computes the same roles.
 *  - Members are the nodes that are up or paused and not excluded. Every
 *    other node is "out".
 *  - Master: the current master while it stays a member, master-eligible
 *    and qualified (a desynchronized master keeps the role: it holds the
 *    only up-to-date copy). Otherwise the current vice-master if it is
 *    eligible, qualified and synchronized. Otherwise the lowest-numbered
 *    member that is eligible, qualified, not frozen and synchronized (or,
 *    desynchronized, the last master: it holds the most recent data).
 *    Otherwise there is no master.
 *  - Vice-master (only when there is a master): the current vice-master
 *    while it stays an eligible, qualified member; otherwise the
 *    lowest-numbered other member that is eligible, qualified and not
 *    frozen (it may be desynchronized). Otherwise none.
 *  - Every other member is "in". A frozen node keeps the role it has but
 *    is never elected to a new one.
 * Roles change in phases so that the records come in the order of the
 * CMM notifications: nodes leaving (-> out), demotions (master or
 * vice-master -> in), the new master, the new vice-master, nodes joining
 * without a role (out -> in). A master that becomes vice-master passes
 * through "in". A node going from out to a role bumps its Incarnation
 * first. */
#ifndef CFS_CMM_H
#define CFS_CMM_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "txn.h"

enum cfs_cmm_role {
	CFS_CMM_OUT = 0,
	CFS_CMM_IN = 1,
	CFS_CMM_VICEMASTER = 2,
	CFS_CMM_MASTER = 3,
};

/* The value names of the table above (CFS_P_CMM_*) are in model.h, with
 * the model's other properties: the model maintains them all. */

#define CFS_CMM_SWLOAD_MAX 31 /* cmm_swload_t holds 32 bytes with the NUL */

/* "out", "in", "vicemaster", "master". */
const char *cfs_cmm_role_name(uint32_t role);
uint32_t cfs_cmm_role(const struct cfs_object *node);

/* Renders the node file named file ("role", "eligible", ...) as one line.
 * -ENOENT when file is not a CMM file. */
int cfs_cmm_render(const struct cfs_object *node, const char *file, struct cfs_buf *out);

/* The registry value a CMM file shows (NULL when file is not one). */
const char *cfs_cmm_file_prop(const char *file);

/* node-cmm NODE ATTR VALUE: sets eligible, qualification, synchro, frozen,
 * excluded, swload or domain, then runs the election. -EINVAL (unknown
 * attribute or word), -EPERM (role, incarnation: the cluster keeps them),
 * -ENAMETOOLONG (swload too long). */
int cfs_cmm_set(struct cfs_txn *t, struct cfs_object *node, const char *attr, const char *value,
		const char **why);

/* Recomputes every role (the rule above) and records what changed. */
int cfs_cmm_elect(struct cfs_txn *t);

/* The node is about to be deleted: its role becomes out (recorded). */
int cfs_cmm_node_gone(struct cfs_txn *t, struct cfs_object *node);

/* cmm-release NODE: switchover. NODE must be the master (-EPERM; -EHOSTDOWN
 * when it is out of the cluster). The vice-master must be eligible,
 * qualified and synchronized (-ECANCELED otherwise, nothing changes). The
 * vice-master becomes master, and the old master its vice-master when it
 * is still eligible, qualified and not frozen. */
int cfs_cmm_release(struct cfs_txn *t, struct cfs_object *node, const char **why);

/* cmm-remove NODE: the node leaves the cluster (its state becomes down).
 * -EHOSTDOWN when it is not a member; -ECANCELED when it is the master and
 * no vice-master can take over. */
int cfs_cmm_remove(struct cfs_txn *t, struct cfs_object *node, const char **why);

/* cmm-setqualif CALLER TARGET WORD: WORD is qualified, disqualified,
 * synchro-ready or synchro-needed. CALLER must be the master (-EPERM;
 * -EHOSTDOWN when out of the cluster); TARGET must be master-eligible
 * unless it is out of the cluster (-EINVAL). */
int cfs_cmm_setqualif(struct cfs_txn *t, struct cfs_object *caller, struct cfs_object *target,
		      const char *word, const char **why);

/* cmm-seize NODE: requalifies NODE when there is no master and no
 * qualified eligible member. -EPERM when a master exists, NODE is not
 * eligible, or an eligible member is qualified; -EHOSTDOWN when NODE is
 * not a member; -ECANCELED (and nothing changes) when NODE still cannot
 * be elected master (frozen, or desynchronized and not the last master). */
int cfs_cmm_seize(struct cfs_txn *t, struct cfs_object *node, const char **why);

/* cmm-status valid|stale|invalid: the cluster's CMM status (a back-end
 * reports a stale view or a split brain). */
int cfs_cmm_status(struct cfs_txn *t, const char *word, const char **why);

#endif
