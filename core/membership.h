/* SPDX-License-Identifier: MIT */
/* Membership steps: what a replicated back-end changes in the cluster when
 * its membership or quorum changes (replica.h's struct cfs_view).
 *
 * A step is computed on the committer from the model at its place in the
 * order and from the view, which is the same on every member, and every
 * command is stamped with the view's time and with ids derived from the
 * cluster's id: every node computes exactly the same commands, records and
 * ids.
 *
 *  - joining: the nodes that are taking the cluster's state are `joining`.
 *  - members: configured nodes the cluster does not know yet are added;
 *    nodes with a daemon in the group are `up` (a paused node stays
 *    paused), the others `down`; the quorum decision is recorded
 *    (`cluster-quorum`) and the CMM status follows it (valid / stale).
 *    With quorum, a new cluster gets its standard types and core groups,
 *    every group whose node is down fails over (`group-failover`), and the
 *    CMM roles are elected again. Without quorum nothing moves: the
 *    partition only records what it sees. */
#ifndef CFS_MEMBERSHIP_H
#define CFS_MEMBERSHIP_H

#include "model.h"
#include "replica.h"
#include "util.h"

/* Appends the step's stamped commands to cmds (struct cfs_cmd *). Reads
 * the model only. 0 or -ENOMEM. */
int cfs_membership_cmds(const struct cfs_model *m, const struct cfs_view *v,
			struct cfs_vec *cmds);

/* Runs a step on the committer: commits its commands as the back-end's own
 * batch, then sets the engine's refusal and generation. Returns the
 * batch's outcome (0 or -errno with a reason). */
int cfs_membership_apply(struct cfs_engine *e, const struct cfs_view *v, const char **why);

/* A node's id in the cluster: derived from the cluster's id and the node
 * number, the same on every member. */
void cfs_membership_node_id(const struct cfs_model *m, uint32_t nodeid,
			    char out[CFS_ID_LEN + 1]);

#endif
