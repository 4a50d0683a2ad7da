/* SPDX-License-Identifier: MIT */
/* The state machine of groups and resources: a group's state derived from
 * its resources', bringing resources online and offline in dependency
 * order (and, for resources that run agents, waiting for their node's
 * reports), moves and failovers. The commands that use it are in apply.c. */
#include "apply_i.h"

#include <errno.h>
#include <string.h>

#include "cmm.h"

/* A group's state follows its resources; an empty group keeps the state
 * it was last set to. */
static uint32_t group_derived_state(const struct cfs_object *g)
{
	size_t online = 0, failed = 0, pending = 0, n = g->members.n;
	for (size_t i = 0; i < n; i++) {
		switch (cfs_obj_state(g->members.v[i])) {
		case CFS_RES_ONLINE:
			online++;
			break;
		case CFS_RES_FAILED:
			failed++;
			break;
		case CFS_RES_PENDING:
		case CFS_RES_ONLINE_PENDING:
		case CFS_RES_OFFLINE_PENDING:
			pending++;
			break;
		default:
			break;
		}
	}
	if (pending)
		return CFS_GROUP_PENDING;
	if (online == n)
		return CFS_GROUP_ONLINE;
	if (online)
		return CFS_GROUP_PARTIAL_ONLINE;
	return failed ? CFS_GROUP_FAILED : CFS_GROUP_OFFLINE;
}

int cfs_apply_group_update(struct cfs_txn *t, struct cfs_object *g)
{
	if (!g || g == t->defer_group || g->members.n == 0)
		return 0;
	return cfs_txn_set_state(t, g, group_derived_state(g));
}

int cfs_apply_res_state(struct cfs_txn *t, struct cfs_object *r, uint32_t state)
{
	int e = cfs_txn_set_state(t, r, state);
	return e < 0 ? e : cfs_apply_group_update(t, cfs_obj_ref(t->m, r, CFS_P_GROUP));
}

/* The node a group may run on now, or an error. */
int cfs_apply_node_usable(struct cfs_object *node, const char **why)
{
	if (!node)
		return cfs_fail(why, "group has no owner node", -EHOSTDOWN);
	switch (cfs_obj_state(node)) {
	case CFS_NODE_UP:
		return 0;
	case CFS_NODE_PAUSED:
		return cfs_fail(why, "node is paused", -EAGAIN);
	default:
		return cfs_fail(why, "node is not up", -EHOSTDOWN);
	}
}

static bool res_may_run_on(const struct cfs_object *r, const struct cfs_object *node)
{
	struct cfs_value *v = cfs_key_value(r->key, CFS_P_POSSIBLE_OWNERS);
	if (!v || v->len == 0)
		return true; /* an empty list means every node */
	return cfs_obj_list_has(r, CFS_P_POSSIBLE_OWNERS, cfs_obj_id(node));
}

bool cfs_apply_is_down(uint32_t s)
{
	return s == CFS_RES_OFFLINE || s == CFS_RES_FAILED;
}

/* Whether every provider of r is online (what a start waits for). */
static int provider_not_online(const char *id, void *ud)
{
	struct cfs_object *p = cfs_model_by_id(ud, id);
	return p && cfs_obj_state(p) != CFS_RES_ONLINE;
}

bool cfs_apply_providers_online(const struct cfs_model *m, const struct cfs_object *r)
{
	return cfs_obj_each_ref(r, CFS_P_DEPENDENCIES, provider_not_online, (void *)m) == 0;
}

/* Whether every dependent of r is down (what a stop waits for). */
bool cfs_apply_dependents_down(const struct cfs_model *m, const struct cfs_object *r)
{
	struct cfs_object *g = cfs_obj_ref(m, r, CFS_P_GROUP);
	for (size_t i = 0; g && i < g->members.n; i++) {
		struct cfs_object *d = g->members.v[i];
		if (cfs_obj_list_has(d, CFS_P_DEPENDENCIES, cfs_obj_id(r)) &&
		    !cfs_apply_is_down(cfs_obj_state(d)))
			return false;
	}
	return true;
}

/* A resource has just come online: state-only dependents that waited for
 * it (OnlinePending) and now have all their providers come online too,
 * and so on outward. Those that run an agent wait for it to start them. */
int cfs_apply_settle_up(struct cfs_txn *t, struct cfs_object *r, unsigned depth)
{
	struct cfs_object *g = cfs_obj_ref(t->m, r, CFS_P_GROUP);
	if (depth > CFS_LIST_MAX)
		return -ELOOP;
	for (size_t i = 0; g && i < g->members.n; i++) {
		struct cfs_object *d = g->members.v[i];
		if (cfs_obj_state(d) != CFS_RES_ONLINE_PENDING ||
		    !cfs_obj_list_has(d, CFS_P_DEPENDENCIES, cfs_obj_id(r)) ||
		    cfs_res_runs_agent(t->m, d) || !cfs_apply_providers_online(t->m, d))
			continue;
		int e = cfs_apply_res_state(t, d, CFS_RES_ONLINE);
		if (e == 0)
			e = cfs_apply_settle_up(t, d, depth + 1);
		if (e < 0)
			return e;
	}
	return 0;
}

struct settle {
	struct cfs_txn *t;
	unsigned depth;
};

static int settle_provider(const char *id, void *ud)
{
	struct settle *s = ud;
	struct cfs_object *p = cfs_model_by_id(s->t->m, id);
	if (!p || cfs_obj_state(p) != CFS_RES_OFFLINE_PENDING || cfs_res_runs_agent(s->t->m, p) ||
	    !cfs_apply_dependents_down(s->t->m, p))
		return 0;
	int e = cfs_apply_res_state(s->t, p, CFS_RES_OFFLINE);
	return e < 0 ? e : cfs_apply_settle_down(s->t, p, s->depth + 1);
}

/* A resource has just gone down: state-only providers that waited for
 * their dependents (OfflinePending) go offline once all of them are down,
 * and so on inward. */
int cfs_apply_settle_down(struct cfs_txn *t, struct cfs_object *r, unsigned depth)
{
	if (depth > CFS_LIST_MAX)
		return -ELOOP;
	struct settle s = {t, depth};
	return cfs_obj_each_ref(r, CFS_P_DEPENDENCIES, settle_provider, &s);
}

/* A resource in OnlinePending goes on as far as it can now: a state-only
 * one comes online once its providers are (those are advanced first);
 * one that runs an agent waits for its start. */
int cfs_apply_res_advance(struct cfs_txn *t, struct cfs_object *r, unsigned depth)
{
	if (depth > CFS_LIST_MAX)
		return -ELOOP;
	if (cfs_obj_state(r) != CFS_RES_ONLINE_PENDING || cfs_res_runs_agent(t->m, r))
		return 0;
	struct cfs_value *v = cfs_key_value(r->key, CFS_P_DEPENDENCIES);
	const char *p = v ? (const char *)v->data : "", *end = p + (v ? v->len : 0);
	for (; p < end; p += strlen(p) + 1) {
		struct cfs_object *x = cfs_model_by_id(t->m, p);
		int e = x ? cfs_apply_res_advance(t, x, depth + 1) : 0;
		if (e < 0)
			return e;
	}
	if (cfs_obj_state(r) != CFS_RES_ONLINE_PENDING || !cfs_apply_providers_online(t->m, r))
		return 0;
	int e = cfs_apply_res_state(t, r, CFS_RES_ONLINE);
	return e < 0 ? e : cfs_apply_settle_up(t, r, depth + 1);
}

struct dep_walk {
	struct cfs_txn *t;
	unsigned depth;
	const char **why;
};

static int online_provider(const char *id, void *ud)
{
	struct dep_walk *w = ud;
	struct cfs_object *p = cfs_model_by_id(w->t->m, id);
	return p ? cfs_apply_res_online(w->t, p, w->depth + 1, w->why) : 0;
}

/* Asks r to come online: its providers first, then r goes OnlinePending.
 * A state-only resource whose providers are online is online at once; one
 * that runs an agent stays OnlinePending until its node's supervisor
 * reports the start (resource-started). */
int cfs_apply_res_online(struct cfs_txn *t, struct cfs_object *r, unsigned depth,
			 const char **why)
{
	if (depth > CFS_LIST_MAX)
		return cfs_fail(why, "dependency chain too deep", -ELOOP);
	uint32_t s = cfs_obj_state(r);
	if (s == CFS_RES_ONLINE || s == CFS_RES_ONLINE_PENDING)
		return 0;
	struct cfs_object *node = cfs_obj_owner(t->m, r);
	int e = cfs_apply_node_usable(node, why);
	if (e < 0)
		return e;
	if (!res_may_run_on(r, node))
		return cfs_fail(why, "owner node is not a possible owner of the resource", -EPERM);
	/* Providers first. */
	struct dep_walk w = {t, depth, why};
	e = cfs_obj_each_ref(r, CFS_P_DEPENDENCIES, online_provider, &w);
	if (e < 0)
		return e;
	/* Every transition is recorded, so watchers see OnlinePending then
	 * Online even when nothing runs. */
	if ((e = cfs_apply_res_state(t, r, CFS_RES_ONLINE_PENDING)) < 0)
		return e;
	if (cfs_res_runs_agent(t->m, r) || !cfs_apply_providers_online(t->m, r))
		return 0;
	if ((e = cfs_apply_res_state(t, r, CFS_RES_ONLINE)) < 0)
		return e;
	return cfs_apply_settle_up(t, r, depth + 1);
}

/* Dependents of r: resources in its group that list r as a provider. */
int cfs_apply_offline_dependents(struct cfs_txn *t, struct cfs_object *r, unsigned depth,
				 const char **why)
{
	struct cfs_object *g = cfs_obj_ref(t->m, r, CFS_P_GROUP);
	for (size_t i = 0; g && i < g->members.n; i++) {
		struct cfs_object *d = g->members.v[i];
		if (cfs_obj_list_has(d, CFS_P_DEPENDENCIES, cfs_obj_id(r))) {
			int e = cfs_apply_res_offline(t, d, depth + 1, why);
			if (e < 0)
				return e;
		}
	}
	return 0;
}

/* Asks r to go offline: its dependents first, then r goes OfflinePending;
 * a state-only resource whose dependents are down is offline at once, one
 * that runs an agent stays OfflinePending until its stop is reported
 * (resource-stopped). */
int cfs_apply_res_offline(struct cfs_txn *t, struct cfs_object *r, unsigned depth,
			  const char **why)
{
	if (depth > CFS_LIST_MAX)
		return cfs_fail(why, "dependency chain too deep", -ELOOP);
	uint32_t s = cfs_obj_state(r);
	if (cfs_apply_is_down(s) || s == CFS_RES_OFFLINE_PENDING)
		return 0;
	int e = cfs_apply_offline_dependents(t, r, depth, why);
	if (e < 0)
		return e;
	if ((e = cfs_apply_res_state(t, r, CFS_RES_OFFLINE_PENDING)) < 0)
		return e;
	if (cfs_res_runs_agent(t->m, r) || !cfs_apply_dependents_down(t->m, r))
		return 0;
	if ((e = cfs_apply_res_state(t, r, CFS_RES_OFFLINE)) < 0)
		return e;
	return cfs_apply_settle_down(t, r, depth + 1);
}

/* Runs fn on every resource of g with the group's derived state held back
 * until the end: the group goes Pending, then to its final state. */
int cfs_apply_group_each(struct cfs_txn *t, struct cfs_object *g,
			 int (*fn)(struct cfs_txn *, struct cfs_object *, unsigned, const char **),
			 const char **why)
{
	int e;
	if (g->members.n == 0)
		return 0;
	if ((e = cfs_txn_set_state(t, g, CFS_GROUP_PENDING)) < 0)
		return e;
	t->defer_group = g;
	for (size_t i = 0; i < g->members.n; i++)
		if ((e = fn(t, g->members.v[i], 0, why)) < 0)
			break;
	t->defer_group = NULL;
	return e < 0 ? e : cfs_apply_group_update(t, g);
}

/* True when some resource of g is not yet online (want_online) or not
 * yet down: only then is there anything to do. */
static bool group_needs(const struct cfs_object *g, bool want_online)
{
	for (size_t i = 0; i < g->members.n; i++) {
		uint32_t s = cfs_obj_state(g->members.v[i]);
		if (want_online ? s != CFS_RES_ONLINE : !cfs_apply_is_down(s))
			return true;
	}
	return false;
}

int cfs_apply_group_online(struct cfs_txn *t, struct cfs_object *g, const char **why)
{
	int e = cfs_apply_node_usable(cfs_obj_ref(t->m, g, CFS_P_OWNER_NODE), why);
	if (e < 0)
		return e;
	if (g->members.n == 0)
		return cfs_txn_set_state(t, g, CFS_GROUP_ONLINE);
	if (!group_needs(g, true))
		return cfs_apply_group_update(t, g);
	/* An administrator's online starts failed resources afresh. */
	for (size_t i = 0; i < g->members.n; i++)
		if ((e = cfs_apply_res_fresh(t, g->members.v[i])) < 0)
			return e;
	return cfs_apply_group_each(t, g, cfs_apply_res_online, why);
}

int cfs_apply_group_offline(struct cfs_txn *t, struct cfs_object *g, const char **why)
{
	if (g->members.n == 0)
		return cfs_txn_set_state(t, g, CFS_GROUP_OFFLINE);
	if (!group_needs(g, false))
		return cfs_apply_group_update(t, g);
	return cfs_apply_group_each(t, g, cfs_apply_res_offline, why);
}

int cfs_apply_set_owner(struct cfs_txn *t, struct cfs_object *g, struct cfs_object *node)
{
	struct cfs_object *old = cfs_obj_ref(t->m, g, CFS_P_OWNER_NODE);
	if (old == node)
		return 0;
	int e = cfs_apply_set_sz(t, g, CFS_P_OWNER_NODE, cfs_obj_id(node));
	if (e == 0)
		e = cfs_txn_record(t, CFS_KIND_GROUP, CFS_CH_OWNER, g, NULL, old ? old->name : "",
				   node->name);
	/* The nodes' view of it (V2 NODE_GROUP_LOST / GAINED). */
	if (e == 0 && old)
		e = cfs_txn_record(t, CFS_KIND_NODE, CFS_CH_GROUP_LOST, old, cfs_obj_id(g), g->name,
				   NULL);
	if (e == 0)
		e = cfs_txn_record(t, CFS_KIND_NODE, CFS_CH_GROUP_GAINED, node, cfs_obj_id(g), NULL,
				   g->name);
	return e;
}

/* Move: offline on the old owner, new owner, back online on the new one
 * (only what was online before). When something of the group runs an
 * agent, the move waits for its stops on the old node (apply_agents.c). */
int cfs_apply_group_move(struct cfs_txn *t, struct cfs_object *g, struct cfs_object *node,
		      const char **why)
{
	int e = cfs_apply_node_usable(node, why);
	if (e < 0)
		return e;
	if (cfs_obj_ref(t->m, g, CFS_P_OWNER_NODE) == node)
		return 0;
	for (size_t i = 0; i < g->members.n; i++)
		if (!res_may_run_on(g->members.v[i], node))
			return cfs_fail(why, "node is not a possible owner of every resource",
					-EPERM);
	bool was_online_empty = g->members.n == 0 && cfs_obj_state(g) == CFS_GROUP_ONLINE;
	struct cfs_vec was = {0};
	bool agents = false;
	for (size_t i = 0; i < g->members.n; i++) {
		uint32_t s = cfs_obj_state(g->members.v[i]);
		if (!cfs_apply_is_down(s) && cfs_vec_push(&was, g->members.v[i]) < 0) {
			cfs_vec_free(&was);
			return -ENOMEM;
		}
		agents |= !cfs_apply_is_down(s) && cfs_res_runs_agent(t->m, g->members.v[i]);
	}
	if (agents) {
		e = cfs_apply_move_begin(t, g, node, &was, why);
		cfs_vec_free(&was);
		return e;
	}
	if (was_online_empty)
		e = cfs_txn_set_state(t, g, CFS_GROUP_OFFLINE);
	else if (was.n)
		e = cfs_apply_group_each(t, g, cfs_apply_res_offline, why);
	if (e == 0)
		e = cfs_apply_set_owner(t, g, node);
	if (e == 0 && was_online_empty)
		e = cfs_txn_set_state(t, g, CFS_GROUP_ONLINE);
	if (e == 0 && was.n) {
		if ((e = cfs_txn_set_state(t, g, CFS_GROUP_PENDING)) == 0) {
			t->defer_group = g;
			for (size_t i = 0; e == 0 && i < was.n; i++)
				e = cfs_apply_res_online(t, was.v[i], 0, why);
			t->defer_group = NULL;
			if (e == 0)
				e = cfs_apply_group_update(t, g);
		}
	}
	cfs_vec_free(&was);
	return e;
}

static bool may_take_group(const struct cfs_object *g, const struct cfs_object *node)
{
	if (cfs_obj_state(node) != CFS_NODE_UP)
		return false;
	for (size_t i = 0; i < g->members.n; i++)
		if (!res_may_run_on(g->members.v[i], node))
			return false;
	return true;
}

bool cfs_apply_may_take_group(const struct cfs_object *g, const struct cfs_object *node)
{
	return may_take_group(g, node);
}

struct pick {
	const struct cfs_model *m;
	const struct cfs_object *g;
	const struct cfs_object *exclude;
	struct cfs_object *node;
};

static int first_preferred(const char *id, void *ud)
{
	struct pick *p = ud;
	struct cfs_object *n = cfs_model_by_id(p->m, id);
	if (n && n != p->exclude && n->kind == CFS_KIND_NODE && may_take_group(p->g, n)) {
		p->node = n;
		return 1;
	}
	return 0;
}

/* Where a group goes when its node is down (or, with exclude, away from
 * that node): the first preferred owner that is up and may run all its
 * resources, else the lowest-numbered such node; NULL when there is
 * none. */
struct cfs_object *cfs_apply_failover_target(const struct cfs_model *m, const struct cfs_object *g,
					     const struct cfs_object *exclude)
{
	struct pick p = {m, g, exclude, NULL};
	cfs_obj_each_ref(g, CFS_P_PREFERRED_OWNERS, first_preferred, &p);
	if (p.node)
		return p.node;
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	uint32_t best = UINT32_MAX;
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		struct cfs_object *n = ((struct cfs_key *)nc->subkeys.v[i])->obj;
		uint32_t num = n ? cfs_key_get_dword(n->key, CFS_P_NODE_NUMBER, UINT32_MAX) : 0;
		if (n && n != exclude && may_take_group(g, n) && num < best) {
			best = num;
			p.node = n;
		}
	}
	return p.node;
}

/* A group whose owner node went down moves, as decided at this point of
 * the order: what was running there comes online on the new owner
 * (OnlinePending, then Online, or OnlinePending until the new node's
 * supervisor starts it), or fails where nobody can take it. A move in
 * progress ends here: what it was to bring online comes online too. */
int cfs_apply_group_failover(struct cfs_txn *t, struct cfs_object *g, const char **why)
{
	struct cfs_object *owner = cfs_obj_ref(t->m, g, CFS_P_OWNER_NODE);
	if (owner && cfs_obj_state(owner) != CFS_NODE_DOWN)
		return cfs_fail(why, "the group's node is not down", -EBUSY);
	struct cfs_object *node = cfs_apply_failover_target(t->m, g, NULL);
	struct cfs_vec was = {0};
	int e = cfs_apply_move_cancel(t, g, &was);
	for (size_t i = 0; e == 0 && i < g->members.n; i++)
		if (!cfs_apply_is_down(cfs_obj_state(g->members.v[i])) &&
		    cfs_vec_find(&was, g->members.v[i]) < 0)
			e = cfs_vec_push(&was, g->members.v[i]);
	if (e == 0 && node)
		e = cfs_apply_set_owner(t, g, node);
	if (e == 0 && was.n) {
		if ((e = cfs_txn_set_state(t, g, CFS_GROUP_PENDING)) == 0) {
			t->defer_group = g;
			for (size_t i = 0; e == 0 && i < was.n; i++) {
				struct cfs_object *r = was.v[i];
				e = cfs_apply_res_state(t, r, node ? CFS_RES_ONLINE_PENDING : CFS_RES_FAILED);
			}
			for (size_t i = 0; e == 0 && node && i < was.n; i++)
				e = cfs_apply_res_advance(t, was.v[i], 0);
			t->defer_group = NULL;
			if (e == 0)
				e = cfs_apply_group_update(t, g);
		}
	}
	cfs_vec_free(&was);
	return e;
}
