/* SPDX-License-Identifier: MIT */
/* Resources that run agents, as the state machine sees them.
 *
 * Nothing here runs anything or looks at the machine: an agent runs on the
 * resource's node, in that daemon's supervisor (supervisor.h), and what
 * it saw comes back as a command, applied here in the cluster's order on
 * every node:
 *
 *   resource-started R NODE ok|failed   R was OnlinePending: Online, or a
 *                                       failure (below)
 *   resource-stopped R NODE ok|failed   R was OfflinePending: Offline, or
 *                                       Failed (a stop that failed)
 *   resource-monitor R NODE failed      R was Online: a failure
 *
 * A report applies only while R is still on NODE and in the state it
 * reports on; a late one (the group moved, the administrator changed his
 * mind) changes nothing.
 *
 * A failure follows R's restart policy, with its registry values
 * (restype.h): R goes Failed; within RestartThreshold restarts per
 * RestartPeriod (counted with the commands' stamped times, kept in R's
 * key) it goes OnlinePending again, and so do its dependents that were
 * online (their node stops them first, then starts them once R is up
 * again). Past the threshold R stays Failed and its dependents go offline;
 * with RestartAction 2 its group then moves to another node that may take
 * it, or, where there is none, goes offline around the failed resource
 * and ends Failed.
 *
 * A move of a group in which something runs waits for the stops on the
 * old node before the new one starts anything: the group keeps the target
 * and what to bring online there in MoveTarget and MoveResources until
 * every member is down. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apply_i.h"
#include "value.h"

static int fail_no_resource(const char **why)
{
	return cfs_fail(why, "no such resource", -ENOENT);
}

/* --- moves that wait for stops --- */

bool cfs_apply_group_moving(const struct cfs_object *g)
{
	return cfs_key_value(g->key, CFS_P_MOVE_TARGET) != NULL;
}

static int del_value(struct cfs_txn *t, struct cfs_key *k, const char *name)
{
	struct cfs_value *v = cfs_key_value(k, name);
	return v ? cfs_txn_del_value(t, v) : 0;
}

static int set_id_list(struct cfs_txn *t, struct cfs_key *k, const char *name,
		       const struct cfs_vec *objs)
{
	struct cfs_buf b = {0};
	int e = 0;
	for (size_t i = 0; e == 0 && i < objs->n; i++) {
		const char *id = cfs_obj_id(objs->v[i]);
		e = cfs_buf_append(&b, id, strlen(id) + 1);
	}
	if (e == 0)
		e = cfs_txn_set_value(t, k, name, CFS_REG_MULTI_SZ, b.data ? b.data : "", b.len);
	cfs_buf_free(&b);
	return e;
}

/* The members of g named in its MoveResources, appended to *out once. */
static int move_list(const struct cfs_model *m, const struct cfs_object *g, struct cfs_vec *out)
{
	struct cfs_value *v = cfs_key_value(g->key, CFS_P_MOVE_RESOURCES);
	const char *p = v ? (const char *)v->data : "", *end = p + (v ? v->len : 0);
	int e = 0;
	for (; e == 0 && p < end; p += strlen(p) + 1) {
		struct cfs_object *r = cfs_model_by_id(m, p);
		if (r && cfs_vec_find(&g->members, r) >= 0 && cfs_vec_find(out, r) < 0)
			e = cfs_vec_push(out, r);
	}
	return e;
}

static int clear_counters(struct cfs_txn *t, struct cfs_object *r)
{
	int e = del_value(t, r->key, CFS_P_RESTART_COUNT);
	return e < 0 ? e : del_value(t, r->key, CFS_P_RESTART_WINDOW);
}

/* Finishes g's move once every member is down: the owner changes (to the
 * target if it may still take the group, else the group stays), and what
 * ran comes online there, with fresh restart counts. Where nobody can
 * take it, what ran fails. */
static int move_progress(struct cfs_txn *t, struct cfs_object *g, const char **why)
{
	if (!g || !cfs_apply_group_moving(g))
		return 0;
	for (size_t i = 0; i < g->members.n; i++)
		if (!cfs_apply_is_down(cfs_obj_state(g->members.v[i])))
			return 0;
	struct cfs_model *m = t->m;
	struct cfs_object *target = cfs_model_by_id(m, cfs_key_get_sz(g->key, CFS_P_MOVE_TARGET,
								       NULL));
	struct cfs_object *owner = cfs_obj_ref(m, g, CFS_P_OWNER_NODE);
	struct cfs_object *node = NULL;
	if (target && target->kind == CFS_KIND_NODE && cfs_apply_may_take_group(g, target))
		node = target;
	else if (owner && cfs_apply_node_usable(owner, why) == 0)
		node = owner;
	struct cfs_vec list = {0};
	int e = move_list(m, g, &list);
	if (e == 0)
		e = del_value(t, g->key, CFS_P_MOVE_TARGET);
	if (e == 0)
		e = del_value(t, g->key, CFS_P_MOVE_RESOURCES);
	if (e == 0 && node)
		e = cfs_apply_set_owner(t, g, node);
	if (e == 0 && list.n && (e = cfs_txn_set_state(t, g, CFS_GROUP_PENDING)) == 0) {
		t->defer_group = g;
		for (size_t i = 0; e == 0 && i < list.n; i++) {
			struct cfs_object *r = list.v[i];
			if ((e = clear_counters(t, r)) < 0)
				break;
			const char *ignored = NULL;
			if (!node || cfs_apply_res_online(t, r, 0, &ignored) < 0)
				e = cfs_apply_res_state(t, r, CFS_RES_FAILED);
		}
		t->defer_group = NULL;
		if (e == 0)
			e = cfs_apply_group_update(t, g);
	}
	cfs_vec_free(&list);
	return e;
}

int cfs_apply_move_begin(struct cfs_txn *t, struct cfs_object *g, struct cfs_object *node,
			 const struct cfs_vec *was, const char **why)
{
	if (cfs_apply_group_moving(g))
		return cfs_fail(why, "the group is moving", -EBUSY);
	int e = cfs_txn_set_value(t, g->key, CFS_P_MOVE_TARGET, CFS_REG_SZ, cfs_obj_id(node),
				  strlen(cfs_obj_id(node)));
	if (e == 0)
		e = set_id_list(t, g->key, CFS_P_MOVE_RESOURCES, was);
	if (e == 0)
		e = cfs_apply_group_each(t, g, cfs_apply_res_offline, why);
	return e < 0 ? e : move_progress(t, g, why);
}

int cfs_apply_move_cancel(struct cfs_txn *t, struct cfs_object *g, struct cfs_vec *was)
{
	if (!cfs_apply_group_moving(g))
		return 0;
	int e = move_list(t->m, g, was);
	if (e == 0)
		e = del_value(t, g->key, CFS_P_MOVE_TARGET);
	return e < 0 ? e : del_value(t, g->key, CFS_P_MOVE_RESOURCES);
}

/* --- the restart policy --- */

int cfs_apply_res_fresh(struct cfs_txn *t, struct cfs_object *r)
{
	int e = del_value(t, r->key, CFS_P_PERSISTENT_STATE);
	if (e == 0 && cfs_obj_state(r) == CFS_RES_FAILED)
		e = clear_counters(t, r);
	return e;
}

static uint64_t get_qword(const struct cfs_key *k, const char *name, bool *ret_has)
{
	struct cfs_value *v = cfs_key_value(k, name);
	uint64_t x = 0;
	*ret_has = v && v->type == CFS_REG_QWORD && v->len == 8;
	for (int i = 7; *ret_has && i >= 0; i--)
		x = x << 8 | v->data[i];
	return x;
}

static int set_qword(struct cfs_txn *t, struct cfs_key *k, const char *name, uint64_t x)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(x >> (8 * i));
	return cfs_txn_set_value(t, k, name, CFS_REG_QWORD, b, sizeof(b));
}

/* Whether the policy lets r restart now; counts the restart if so. */
static int count_restart(struct cfs_txn *t, struct cfs_object *r, bool *ret_restart)
{
	uint32_t threshold = cfs_res_policy(t->m, r, cfs_policy_find(CFS_P_RESTART_THRESHOLD));
	uint64_t period_ns =
		(uint64_t)cfs_res_policy(t->m, r, cfs_policy_find(CFS_P_RESTART_PERIOD)) * 1000000;
	bool has;
	uint64_t start = get_qword(r->key, CFS_P_RESTART_WINDOW, &has);
	uint32_t count = cfs_key_get_dword(r->key, CFS_P_RESTART_COUNT, 0);
	uint64_t now = (uint64_t)t->now_ns;
	if (!has || now < start || now - start > period_ns) {
		start = now;
		count = 0;
	}
	*ret_restart = count < threshold;
	if (*ret_restart)
		count++;
	int e = set_qword(t, r->key, CFS_P_RESTART_WINDOW, start);
	return e < 0 ? e : cfs_txn_set_dword(t, r->key, CFS_P_RESTART_COUNT, count);
}

/* Dependents of r that are online go OnlinePending with it (transitively):
 * they restart once r is back. */
static int restart_dependents(struct cfs_txn *t, struct cfs_object *r, unsigned depth)
{
	struct cfs_object *g = cfs_obj_ref(t->m, r, CFS_P_GROUP);
	if (depth > CFS_LIST_MAX)
		return -ELOOP;
	for (size_t i = 0; g && i < g->members.n; i++) {
		struct cfs_object *d = g->members.v[i];
		if (!cfs_obj_list_has(d, CFS_P_DEPENDENCIES, cfs_obj_id(r)))
			continue;
		uint32_t s = cfs_obj_state(d);
		if (s != CFS_RES_ONLINE && s != CFS_RES_ONLINE_PENDING)
			continue;
		int e = cfs_apply_res_state(t, d, CFS_RES_ONLINE_PENDING);
		if (e == 0)
			e = restart_dependents(t, d, depth + 1);
		if (e < 0)
			return e;
	}
	return 0;
}

static int res_failure_decide(struct cfs_txn *t, struct cfs_object *r, struct cfs_object *g,
			      struct cfs_object *owner, const struct cfs_vec *was,
			      const char **why);

/* r (which runs an agent) failed: the restart policy decides. */
static int res_failure(struct cfs_txn *t, struct cfs_object *r, const char **why)
{
	struct cfs_model *m = t->m;
	struct cfs_object *g = cfs_obj_ref(m, r, CFS_P_GROUP);
	struct cfs_object *owner = cfs_obj_owner(m, r);
	/* What was up (or on its way) before, r included: what a failover
	 * brings online elsewhere. */
	struct cfs_vec was = {0};
	int e = 0;
	for (size_t i = 0; e == 0 && g && i < g->members.n; i++) {
		struct cfs_object *x = g->members.v[i];
		if (x == r || !cfs_apply_is_down(cfs_obj_state(x)))
			e = cfs_vec_push(&was, x);
	}
	if (e == 0)
		e = res_failure_decide(t, r, g, owner, &was, why);
	cfs_vec_free(&was);
	return e;
}

static int res_failure_decide(struct cfs_txn *t, struct cfs_object *r, struct cfs_object *g,
			      struct cfs_object *owner, const struct cfs_vec *was, const char **why)
{
	struct cfs_model *m = t->m;
	int e = cfs_apply_res_state(t, r, CFS_RES_FAILED);
	if (e < 0)
		return e;
	uint32_t action = cfs_res_policy(m, r, cfs_policy_find(CFS_P_RESTART_ACTION));
	bool moving = g && cfs_apply_group_moving(g);
	const char *ignored = NULL;
	bool usable = owner && cfs_apply_node_usable(owner, &ignored) == 0;
	bool restart = false;
	if (!moving && usable && action != CFS_RESTART_NONE && (e = count_restart(t, r, &restart)) < 0)
		return e;
	if (restart) {
		if ((e = restart_dependents(t, r, 0)) < 0)
			return e;
		return cfs_apply_res_online(t, r, 0, why);
	}
	if ((e = cfs_apply_offline_dependents(t, r, 0, why)) < 0 ||
	    (e = cfs_apply_settle_down(t, r, 0)) < 0)
		return e;
	if (moving || !usable || action != CFS_RESTART_FAILOVER)
		return move_progress(t, g, why);
	/* Past the threshold: the group fails over, or ends failed. */
	struct cfs_object *target = cfs_apply_failover_target(m, g, owner);
	if (!target)
		return cfs_apply_group_each(t, g, cfs_apply_res_offline, why);
	return cfs_apply_move_begin(t, g, target, was, why);
}

int cfs_apply_res_fail(struct cfs_txn *t, struct cfs_object *r, const char **why)
{
	if (cfs_res_runs_agent(t->m, r) && !cfs_apply_is_down(cfs_obj_state(r)))
		return res_failure(t, r, why);
	int e = cfs_apply_offline_dependents(t, r, 0, why);
	return e < 0 ? e : cfs_apply_res_state(t, r, CFS_RES_FAILED);
}

/* --- the supervisor's reports --- */

static int report(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_model *m = t->m;
	struct cfs_object *r = cfs_model_find(m, CFS_KIND_RESOURCE, cmd->argv[0]);
	if (!r)
		return fail_no_resource(why);
	struct cfs_object *node = cfs_model_find(m, CFS_KIND_NODE, cmd->argv[1]);
	if (!node)
		return cfs_fail(why, "no such node", -ENOENT);
	bool ok = strcmp(cmd->argv[2], "ok") == 0;
	if (!ok && strcmp(cmd->argv[2], "failed") != 0)
		return cfs_fail(why, "a report says ok or failed", -EINVAL);
	/* A late report changes nothing. */
	if (cfs_obj_owner(m, r) != node)
		return 0;
	uint32_t s = cfs_obj_state(r);
	struct cfs_object *g = cfs_obj_ref(m, r, CFS_P_GROUP);
	int e;
	switch (cmd->op) {
	case CFS_OP_RES_STARTED:
		if (s != CFS_RES_ONLINE_PENDING)
			return 0;
		if (!ok)
			return res_failure(t, r, why);
		if ((e = cfs_apply_res_state(t, r, CFS_RES_ONLINE)) < 0)
			return e;
		return cfs_apply_settle_up(t, r, 0);
	case CFS_OP_RES_STOPPED:
		if (s != CFS_RES_OFFLINE_PENDING)
			return 0;
		if ((e = cfs_apply_res_state(t, r, ok ? CFS_RES_OFFLINE : CFS_RES_FAILED)) < 0 ||
		    (e = cfs_apply_settle_down(t, r, 0)) < 0)
			return e;
		return move_progress(t, g, why);
	default: /* CFS_OP_RES_MONITOR */
		if (ok || s != CFS_RES_ONLINE)
			return 0;
		return res_failure(t, r, why);
	}
}

/* --- a clean stop --- */

/* The group's node stops cleanly: what runs moves to another node that
 * may take the group, or goes offline with a mark (PersistentState) for
 * the node's next start. State-only resources stay as they are: nothing
 * of theirs runs. */
static int group_evacuate(struct cfs_txn *t, struct cfs_object *g, const char **why)
{
	struct cfs_model *m = t->m;
	struct cfs_vec was = {0};
	bool agents = false;
	int e = 0;
	if (cfs_apply_group_moving(g))
		return 0;
	for (size_t i = 0; e == 0 && i < g->members.n; i++) {
		struct cfs_object *r = g->members.v[i];
		if (cfs_apply_is_down(cfs_obj_state(r)))
			continue;
		agents |= cfs_res_runs_agent(m, r);
		e = cfs_vec_push(&was, r);
	}
	struct cfs_object *owner = cfs_obj_ref(m, g, CFS_P_OWNER_NODE);
	struct cfs_object *target = agents ? cfs_apply_failover_target(m, g, owner) : NULL;
	if (e < 0 || !agents) {
		cfs_vec_free(&was);
		return e;
	}
	if (target) {
		e = cfs_apply_move_begin(t, g, target, &was, why);
		cfs_vec_free(&was);
		return e;
	}
	if ((e = cfs_txn_set_state(t, g, CFS_GROUP_PENDING)) == 0) {
		t->defer_group = g;
		for (size_t i = 0; e == 0 && i < was.n; i++)
			if (cfs_res_runs_agent(m, was.v[i]))
				e = cfs_apply_res_offline(t, was.v[i], 0, why);
		for (size_t i = 0; e == 0 && i < was.n; i++) {
			struct cfs_object *r = was.v[i];
			uint32_t s = cfs_obj_state(r);
			if (s == CFS_RES_OFFLINE || s == CFS_RES_OFFLINE_PENDING)
				e = cfs_txn_set_dword(t, r->key, CFS_P_PERSISTENT_STATE, 1);
		}
		t->defer_group = NULL;
		if (e == 0)
			e = cfs_apply_group_update(t, g);
	}
	cfs_vec_free(&was);
	return e;
}

/* --- parameters and policy values --- */

/* A parameter of r's type: a known name (when the type lists its
 * parameters) with a value that fits. value: its text (NULL for a removal
 * or a value that is not text); regtype: the registry type of a value that
 * is not text (Windows keeps numbers as REG_DWORD), else 0. */
static int check_param(const struct cfs_model *m, const struct cfs_object *r, const char *name,
		       const char *value, uint32_t regtype, const char **why)
{
	struct cfs_param_list l;
	int e = cfs_type_params(m, cfs_obj_ref(m, r, CFS_P_TYPE), &l);
	if (e < 0)
		return e;
	const struct cfs_param_def *def = cfs_param_find(&l, name);
	if (l.known && !def)
		e = cfs_fail(why, "the resource's type has no such parameter", -EINVAL);
	else if (value)
		e = cfs_param_check(def, value, why);
	else if (def && regtype && !((regtype == CFS_REG_DWORD || regtype == CFS_REG_QWORD) &&
				     (strcmp(def->content, "integer") == 0 ||
				      strcmp(def->content, "boolean") == 0)))
		e = cfs_fail(why, "this parameter takes text (REG_SZ)", -EINVAL);
	cfs_param_list_free(&l);
	return e;
}

/* A parameter change is also a property record of the resource (prop
 * "Parameters\NAME"), for port readers. */
static int record_param(struct cfs_txn *t, struct cfs_object *r, const char *name,
			const char *old, const char *new)
{
	char prop[CFS_NAME_MAX + 16];
	snprintf(prop, sizeof(prop), CFS_P_PARAMETERS "\\%s", name);
	return cfs_txn_record(t, CFS_KIND_RESOURCE, CFS_CH_PROPERTY, r, prop, old, new);
}

static int res_param(struct cfs_txn *t, struct cfs_object *r, const char *name,
		     const struct cfs_cmd *cmd, const char **why)
{
	int e = cfs_reg_check_name(name, false);
	if (e == -ENAMETOOLONG)
		return cfs_fail(why, "name too long", e);
	if (e < 0)
		return cfs_fail(why, "bad parameter name", e);
	const char *value = cmd->op == CFS_OP_RES_PARAM ? cmd->argv[2] : NULL;
	if (value && (memchr(value, '\0', cmd->arglen[2]) ||
		      !cfs_utf8_valid(value, cmd->arglen[2])))
		return cfs_fail(why, "a parameter is UTF-8 text without NUL", -EINVAL);
	if ((e = check_param(t->m, r, name, value, 0, why)) < 0)
		return e;
	struct cfs_key *pk = cfs_key_subkey(r->key, CFS_P_PARAMETERS);
	struct cfs_value *old = pk ? cfs_key_value(pk, name) : NULL;
	char *oldtext = old && old->type == CFS_REG_SZ ? cfs_strndup((char *)old->data, old->len)
						      : NULL;
	if (!value) {
		if (!old)
			e = cfs_fail(why, "no such parameter", -ENOENT);
		else if ((e = cfs_txn_del_value(t, old)) == 0)
			e = record_param(t, r, name, oldtext, NULL);
	} else {
		if (!pk)
			e = cfs_txn_add_key(t, r->key, CFS_P_PARAMETERS, r->key->mode, r->key->uid,
					    r->key->gid, &pk);
		if (e == 0 && !(oldtext && strcmp(oldtext, value) == 0) &&
		    (e = cfs_txn_set_value(t, pk, name, CFS_REG_SZ, value, strlen(value))) == 0)
			e = record_param(t, r, name, oldtext, value);
	}
	free(oldtext);
	return e;
}

static int policy_record(struct cfs_txn *t, struct cfs_object *o,
			 const struct cfs_policy_prop *p, bool had, uint32_t old, bool has,
			 uint32_t new)
{
	struct cfs_buf a = {0}, b = {0};
	int e = 0;
	if (had)
		e = cfs_policy_format(p, old, &a);
	if (e == 0 && has)
		e = cfs_policy_format(p, new, &b);
	if (a.len)
		a.data[--a.len] = '\0';
	if (b.len)
		b.data[--b.len] = '\0';
	if (e == 0)
		e = cfs_txn_record(t, o->kind, CFS_CH_PROPERTY, o, p->value, had ? a.data : NULL,
				   has ? b.data : NULL);
	cfs_buf_free(&a);
	cfs_buf_free(&b);
	return e;
}

static int res_policy(struct cfs_txn *t, struct cfs_object *r, const struct cfs_cmd *cmd,
		      const char **why)
{
	const struct cfs_policy_prop *p = cfs_policy_find(cmd->argv[1]);
	if (!p)
		return cfs_fail(why, "unknown policy property (restart_action, restart_threshold, "
				     "restart_period, pending_timeout, monitor_interval)", -EINVAL);
	bool had = cfs_res_policy_own(r, p);
	uint32_t old = cfs_key_get_dword(r->key, p->value, 0), v = 0;
	if (strcasecmp(cmd->argv[2], "default") == 0) {
		if (!cfs_key_value(r->key, p->value))
			return 0;
		int e = cfs_txn_del_value(t, cfs_key_value(r->key, p->value));
		return e < 0 ? e : policy_record(t, r, p, had, old, false, 0);
	}
	int e = cfs_policy_parse(p, cmd->argv[2], &v, why);
	if (e < 0)
		return e;
	if (had && old == v)
		return 0;
	if ((e = cfs_txn_set_dword(t, r->key, p->value, v)) < 0)
		return e;
	return policy_record(t, r, p, had, old, true, v);
}

/* --- agent types --- */

/* type-agent NAME DLL DESCRIPTION STAMP PENDING MONITOR [PARAM DEF]...:
 * creates or updates a type found on a node, with its parameters. */
static int type_agent(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_model *m = t->m;
	char *const *a = cmd->argv;
	if (cfs_type_agent_kind(a[0]) != CFS_AGENT_OCF)
		return cfs_fail(why, "an agent type is named ocf:PROVIDER:AGENT", -EINVAL);
	if ((cmd->argc - 6) % 2)
		return cfs_fail(why, "parameters come as name and definition", -EINVAL);
	uint32_t pending, monitor;
	const struct cfs_policy_prop *pp = cfs_policy_find(CFS_P_PENDING_TIMEOUT);
	const struct cfs_policy_prop *mp = cfs_policy_find(CFS_P_MONITOR_INTERVAL);
	if (cfs_policy_parse(pp, a[4], &pending, why) < 0 ||
	    cfs_policy_parse(mp, a[5], &monitor, why) < 0)
		return -EINVAL;
	struct cfs_object *o = cfs_model_by_name(m, CFS_KIND_RESTYPE, a[0]);
	int e;
	if (!o && (e = cfs_apply_type_create(t, cmd, a[0], a[1], &o, why)) < 0)
		return e;
	struct cfs_key *k = o->key;
	if ((e = cfs_txn_set_value(t, k, CFS_P_DLL_NAME, CFS_REG_SZ, a[1], strlen(a[1]))) < 0 ||
	    (e = cfs_txn_set_value(t, k, CFS_P_AGENT_STAMP, CFS_REG_SZ, a[3], strlen(a[3]))) < 0 ||
	    (e = cfs_txn_set_dword(t, k, CFS_P_PENDING_TIMEOUT, pending)) < 0 ||
	    (e = cfs_txn_set_dword(t, k, CFS_P_MONITOR_INTERVAL, monitor)) < 0)
		return e;
	const char *olddesc = cfs_key_get_sz(k, CFS_P_DESCRIPTION, NULL);
	if (strcmp(olddesc, a[2]) != 0) {
		char *old = strdup(olddesc);
		if (!old)
			return -ENOMEM;
		e = cfs_txn_set_value(t, k, CFS_P_DESCRIPTION, CFS_REG_SZ, a[2], strlen(a[2]));
		if (e == 0)
			e = cfs_txn_record(t, CFS_KIND_RESTYPE, CFS_CH_PROPERTY, o,
					   CFS_P_DESCRIPTION, old, a[2]);
		free(old);
		if (e < 0)
			return e;
	}
	struct cfs_key *pk = cfs_key_subkey(k, CFS_P_PARAMETERS);
	if (!pk && (e = cfs_txn_add_key(t, k, CFS_P_PARAMETERS, k->mode, k->uid, k->gid, &pk)) < 0)
		return e;
	/* Definitions no longer there go; the others are set. */
	for (size_t i = pk->values.n; i-- > 0;) {
		struct cfs_value *v = pk->values.v[i];
		bool keep = false;
		for (int j = 6; j + 1 < cmd->argc; j += 2)
			keep |= strcmp(a[j], v->name) == 0;
		if (!keep && (e = cfs_txn_del_value(t, v)) < 0)
			return e;
	}
	for (int j = 6; j + 1 < cmd->argc; j += 2) {
		if (cfs_reg_check_name(a[j], false) < 0)
			return cfs_fail(why, "bad parameter name", -EINVAL);
		if ((e = cfs_txn_set_value(t, pk, a[j], CFS_REG_SZ, a[j + 1], strlen(a[j + 1]))) < 0)
			return e;
	}
	return 0;
}

int cfs_apply_agents_op(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_object *o;
	switch (cmd->op) {
	case CFS_OP_RES_STARTED:
	case CFS_OP_RES_STOPPED:
	case CFS_OP_RES_MONITOR:
		return report(t, cmd, why);
	case CFS_OP_RES_PARAM:
	case CFS_OP_RES_PARAM_UNSET:
		if (!(o = cfs_model_find(t->m, CFS_KIND_RESOURCE, cmd->argv[0])))
			return fail_no_resource(why);
		return res_param(t, o, cmd->argv[1], cmd, why);
	case CFS_OP_RES_POLICY:
		if (!(o = cfs_model_find(t->m, CFS_KIND_RESOURCE, cmd->argv[0])))
			return fail_no_resource(why);
		return res_policy(t, o, cmd, why);
	case CFS_OP_GROUP_EVACUATE:
		if (!(o = cfs_model_find(t->m, CFS_KIND_GROUP, cmd->argv[0])))
			return cfs_fail(why, "no such group", -ENOENT);
		return group_evacuate(t, o, why);
	case CFS_OP_TYPE_AGENT:
		return type_agent(t, cmd, why);
	default:
		return cfs_fail(why, "not an agent command", -EINVAL);
	}
}

/* --- values written through the registry --- */

static int check_policy_value(struct cfs_txn *t, struct cfs_key *k, const char *name,
			      const struct cfs_policy_prop *p, const char **why)
{
	struct cfs_value *v = cfs_key_value(k, name);
	if (!v)
		return 0;
	uint32_t x = cfs_key_get_dword(k, name, 0);
	if (v->type != CFS_REG_DWORD || v->len != 4 || x < p->min || x > p->max) {
		return cfs_fail(why, "a policy value is a REG_DWORD in its range (README: "
				     "\"Resources that run\")", -EINVAL);
	}
	if (k->obj && k->obj->kind == CFS_KIND_RESOURCE)
		return policy_record(t, k->obj, p, false, 0, true, x);
	return 0;
}

int cfs_apply_agents_check(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_model *m = t->m;
	const char *name;
	struct cfs_key *k;
	switch (cmd->op) {
	case CFS_OP_SET: {
		/* A policy value set as a free property (CreateClusterResourceType
		 * does) is kept as the REG_DWORD it is. */
		int kind = cfs_kind_parse(cmd->argv[0]);
		const struct cfs_policy_prop *p = cfs_policy_find(cmd->argv[2]);
		if ((kind != CFS_KIND_RESOURCE && kind != CFS_KIND_RESTYPE) || !p ||
		    strcmp(p->value, cmd->argv[2]) != 0)
			return 0;
		struct cfs_object *o = cfs_model_find(m, kind, cmd->argv[1]);
		uint32_t v;
		if (!o || cfs_policy_parse(p, cmd->argv[3], &v, why) < 0)
			return -EINVAL;
		return cfs_txn_set_dword(t, o->key, p->value, v);
	}
	case CFS_OP_REG_SET:
	case CFS_OP_REG_SET_RAW:
	case CFS_OP_REG_TYPE:
	case CFS_OP_REG_CREATE:
	case CFS_OP_REG_WRITE:
	case CFS_OP_REG_TRUNCATE:
	case CFS_OP_REG_LINK:
		name = cmd->argv[1];
		break;
	case CFS_OP_REG_RENAME:
		name = cmd->argv[2];
		break;
	default:
		return 0;
	}
	if (cfs_reg_lookup(&m->reg, cmd->argv[0], &k) < 0)
		return 0;
	const struct cfs_policy_prop *p = cfs_policy_find(name);
	if (k->obj && (k->obj->kind == CFS_KIND_RESOURCE || k->obj->kind == CFS_KIND_RESTYPE) && p &&
	    strcmp(p->value, name) == 0)
		return check_policy_value(t, k, name, p, why);
	struct cfs_key *parent = k->parent;
	if (strcmp(k->name, CFS_P_PARAMETERS) == 0 && parent && parent->obj &&
	    parent->obj->kind == CFS_KIND_RESOURCE) {
		struct cfs_value *v = cfs_key_value(k, name);
		if (!v)
			return 0;
		bool text = v->type == CFS_REG_SZ || v->type == CFS_REG_EXPAND_SZ;
		return check_param(m, parent->obj, name, text ? (const char *)v->data : NULL,
				   text ? 0 : v->type, why);
	}
	return 0;
}
