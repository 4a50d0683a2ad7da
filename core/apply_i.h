/* SPDX-License-Identifier: MIT */
/* What apply.c and apply_agents.c share (private to the state machine).
 *
 * apply.c owns the resource and group transitions; apply_agents.c the
 * part that resources running agents add: the reports of their node's
 * supervisor, the restart policy, moves that wait for stops, parameters
 * and policy values. Both run inside cfs_apply(), which rolls a failing
 * command back. */
#ifndef CFS_APPLY_I_H
#define CFS_APPLY_I_H

#include "apply.h"
#include "restype.h"

/* --- apply.c --- */

/* Sets r's state and recomputes its group's (unless deferred). */
int cfs_apply_res_state(struct cfs_txn *t, struct cfs_object *r, uint32_t state);
int cfs_apply_group_update(struct cfs_txn *t, struct cfs_object *g);
/* Runs fn on every member of g, the group's state held back to the end. */
int cfs_apply_group_each(struct cfs_txn *t, struct cfs_object *g,
			 int (*fn)(struct cfs_txn *, struct cfs_object *, unsigned, const char **),
			 const char **why);
int cfs_apply_node_usable(struct cfs_object *node, const char **why);
bool cfs_apply_is_down(uint32_t state);
bool cfs_apply_providers_online(const struct cfs_model *m, const struct cfs_object *r);
bool cfs_apply_dependents_down(const struct cfs_model *m, const struct cfs_object *r);
int cfs_apply_res_online(struct cfs_txn *t, struct cfs_object *r, unsigned depth,
			 const char **why);
int cfs_apply_res_offline(struct cfs_txn *t, struct cfs_object *r, unsigned depth,
			  const char **why);
int cfs_apply_offline_dependents(struct cfs_txn *t, struct cfs_object *r, unsigned depth,
				 const char **why);
int cfs_apply_settle_up(struct cfs_txn *t, struct cfs_object *r, unsigned depth);
int cfs_apply_settle_down(struct cfs_txn *t, struct cfs_object *r, unsigned depth);
int cfs_apply_res_advance(struct cfs_txn *t, struct cfs_object *r, unsigned depth);
int cfs_apply_set_owner(struct cfs_txn *t, struct cfs_object *g, struct cfs_object *node);
bool cfs_apply_may_take_group(const struct cfs_object *g, const struct cfs_object *node);
/* Creates a resource type (type-create, type-agent); dll may be NULL. */
int cfs_apply_type_create(struct cfs_txn *t, const struct cfs_cmd *cmd, const char *name,
			  const char *dll, struct cfs_object **ret, const char **why);
struct cfs_object *cfs_apply_failover_target(const struct cfs_model *m, const struct cfs_object *g,
					     const struct cfs_object *exclude);

/* Sets a REG_SZ property of o. */
int cfs_apply_set_sz(struct cfs_txn *t, struct cfs_object *o, const char *prop, const char *s);

/* --- apply_state.c: groups and resources --- */

int cfs_apply_group_online(struct cfs_txn *t, struct cfs_object *g, const char **why);
int cfs_apply_group_offline(struct cfs_txn *t, struct cfs_object *g, const char **why);
/* Offline on the old owner, new owner, back online there (what was). */
int cfs_apply_group_move(struct cfs_txn *t, struct cfs_object *g, struct cfs_object *node,
			 const char **why);
/* g's node is down: to the first preferred owner that is up, else the
 * lowest-numbered node that may take it; what ran comes online there or
 * fails. */
int cfs_apply_group_failover(struct cfs_txn *t, struct cfs_object *g, const char **why);

/* --- apply_agents.c --- */

/* True while g moves and waits for stops on its old node. */
bool cfs_apply_group_moving(const struct cfs_object *g);
/* Starts a move of g to node that waits for the stops of what runs
 * (was: the resources to bring online there). */
int cfs_apply_move_begin(struct cfs_txn *t, struct cfs_object *g, struct cfs_object *node,
			 const struct cfs_vec *was, const char **why);
/* Ends a move in progress without finishing it (a failover does), adding
 * to *was the resources it was to bring online. */
int cfs_apply_move_cancel(struct cfs_txn *t, struct cfs_object *g, struct cfs_vec *was);
/* An administrator's online or offline: forgets the restart count of a
 * failed resource and the mark a clean stop left. */
int cfs_apply_res_fresh(struct cfs_txn *t, struct cfs_object *r);
/* FailClusterResource: a resource that runs an agent goes through the
 * restart policy; a state-only one just fails. */
int cfs_apply_res_fail(struct cfs_txn *t, struct cfs_object *r, const char **why);
/* The commands of resources that run agents (cmd.h: resource-started,
 * resource-stopped, resource-monitor, resource-param, resource-param-unset,
 * resource-policy, group-evacuate, type-agent). */
int cfs_apply_agents_op(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why);
/* After a registry command or a free property succeeded: refuses (-EINVAL)
 * a policy value or a parameter that does not fit, and records a policy
 * change on its resource. */
int cfs_apply_agents_check(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why);

#endif
