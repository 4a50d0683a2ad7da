/* SPDX-License-Identifier: MIT */
/* Membership steps (membership.h). */
#include "membership.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "cmd.h"
#include "engine.h"

static uint64_t fnv64(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A GUID-shaped id from the cluster's id and a tag naming the object. */
static void derived_id(const struct cfs_model *m, const char *tag, char out[CFS_ID_LEN + 1])
{
	const char *cid = cfs_key_get_sz(m->reg.root, CFS_P_CLUSTER_ID, NULL);
	if (!cid)
		cid = "";
	uint64_t a = fnv64(0xcbf29ce484222325ull, cid, strlen(cid) + 1);
	a = fnv64(a, tag, strlen(tag));
	uint64_t b = fnv64(a ^ 0x9e3779b97f4a7c15ull, tag, strlen(tag));
	b = fnv64(b, cid, strlen(cid));
	snprintf(out, CFS_ID_LEN + 1, "%08" PRIx32 "-%04" PRIx32 "-%04" PRIx32 "-%04" PRIx32
				      "-%012" PRIx64,
		 (uint32_t)(a >> 32), (uint32_t)(a >> 16) & 0xffff,
		 ((uint32_t)a & 0x0fff) | 0x8000, /* version 8: custom */
		 ((uint32_t)(b >> 48) & 0x3fff) | 0x8000, (uint64_t)(b & 0xffffffffffffull));
}

void cfs_membership_node_id(const struct cfs_model *m, uint32_t nodeid, char out[CFS_ID_LEN + 1])
{
	char tag[32];
	snprintf(tag, sizeof(tag), "node:%" PRIu32, nodeid);
	derived_id(m, tag, out);
}

/* Appends a command stamped for every node alike. */
static int push(const struct cfs_model *m, const struct cfs_view *v, struct cfs_vec *cmds,
		enum cfs_op op, int argc, const char *const *argv, const char *id_tag)
{
	struct cfs_cmd *c;
	int r = cfs_cmd_new(&c, op, argc, argv);
	if (r < 0)
		return r;
	c->time_ns = v->time_ns;
	if (id_tag)
		derived_id(m, id_tag, c->id);
	if ((r = cfs_vec_push(cmds, c)) < 0)
		cfs_cmd_free(c);
	return r;
}

static bool is_member(const struct cfs_view *v, uint32_t nodeid)
{
	for (size_t i = 0; i < v->nmembers; i++)
		if (v->members[i].nodeid == nodeid)
			return true;
	return false;
}

static int joining_cmds(const struct cfs_model *m, const struct cfs_view *v, struct cfs_vec *cmds)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < v->njoining; i++) {
		struct cfs_object *n = cfs_model_node_by_number(m, v->joining[i]);
		if (!n || cfs_obj_state(n) == CFS_NODE_JOINING)
			continue;
		const char *a[] = {cfs_obj_id(n), "joining"};
		r = push(m, v, cmds, CFS_OP_NODE_STATE, 2, a, NULL);
	}
	return r;
}

/* Configured nodes the cluster does not have yet, skipping a name another
 * node already has (node names are unique); their numbers go to added. */
static int add_nodes(const struct cfs_model *m, const struct cfs_view *v, struct cfs_vec *cmds,
		     uint32_t *added, size_t *nadded)
{
	int r = 0;
	*nadded = 0;
	for (size_t i = 0; r == 0 && i < v->nnodes; i++) {
		const struct cfs_config_node *cn = &v->nodes[i];
		if (!cn->nodeid || cfs_model_node_by_number(m, cn->nodeid) ||
		    cfs_model_by_name(m, CFS_KIND_NODE, cn->name) ||
		    cfs_reg_check_name(cn->name, false) < 0)
			continue;
		bool taken = false;
		for (size_t k = 0; k < i; k++)
			taken |= strcmp(v->nodes[k].name, cn->name) == 0 ||
				 v->nodes[k].nodeid == cn->nodeid;
		if (taken)
			continue;
		char num[16], tag[32];
		snprintf(num, sizeof(num), "%" PRIu32, cn->nodeid);
		snprintf(tag, sizeof(tag), "node:%" PRIu32, cn->nodeid);
		const char *a[] = {cn->name, num, cn->address[0] ? cn->address : "-",
				   is_member(v, cn->nodeid) ? "up" : "down"};
		if ((r = push(m, v, cmds, CFS_OP_NODE_ADD, 4, a, tag)) == 0)
			added[(*nadded)++] = cn->nodeid;
	}
	return r;
}

/* The state each known node should have now; "" when it is right. */
static const char *wanted_state(const struct cfs_view *v, uint32_t number, uint32_t cur)
{
	if (is_member(v, number))
		return cur == CFS_NODE_DOWN || cur == CFS_NODE_JOINING ? "up" : "";
	return cur != CFS_NODE_DOWN ? "down" : "";
}

static int netifs_unavailable(const struct cfs_model *m, const struct cfs_view *v,
			      struct cfs_vec *cmds, const struct cfs_object *node)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NETINTERFACE];
	int r = 0;
	for (size_t i = 0; r == 0 && i < nc->subkeys.n; i++) {
		struct cfs_object *ni = ((struct cfs_key *)nc->subkeys.v[i])->obj;
		if (!ni || cfs_obj_ref(m, ni, CFS_P_NODE) != node ||
		    cfs_obj_state(ni) == CFS_NETIF_UNAVAILABLE)
			continue;
		const char *a[] = {cfs_obj_id(ni), "unavailable"};
		r = push(m, v, cmds, CFS_OP_NETIF_STATE, 2, a, NULL);
	}
	return r;
}

static int node_states(const struct cfs_model *m, const struct cfs_view *v, struct cfs_vec *cmds)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	int r = 0;
	for (size_t i = 0; r == 0 && i < nc->subkeys.n; i++) {
		struct cfs_key *k = nc->subkeys.v[i];
		uint32_t number = cfs_key_get_dword(k, CFS_P_NODE_NUMBER, 0);
		if (!k->obj || !number)
			continue;
		const char *want = wanted_state(v, number, cfs_obj_state(k->obj));
		if (*want) {
			const char *a[] = {cfs_obj_id(k->obj), want};
			r = push(m, v, cmds, CFS_OP_NODE_STATE, 2, a, NULL);
		}
		/* A node that is gone cannot report its interfaces: they are
		 * unavailable until it is back (and reconciles them itself). */
		if (r == 0 && strcmp(want, "down") == 0)
			r = netifs_unavailable(m, v, cmds, k->obj);
	}
	return r;
}

/* Groups whose node is down after this step (they fail over). */
static int failovers(const struct cfs_model *m, const struct cfs_view *v, struct cfs_vec *cmds)
{
	struct cfs_key *gc = m->coll[CFS_KIND_GROUP];
	int r = 0;
	for (size_t i = 0; r == 0 && i < gc->subkeys.n; i++) {
		struct cfs_object *g = ((struct cfs_key *)gc->subkeys.v[i])->obj;
		struct cfs_object *owner = g ? cfs_obj_ref(m, g, CFS_P_OWNER_NODE) : NULL;
		uint32_t number = owner ? cfs_key_get_dword(owner->key, CFS_P_NODE_NUMBER, 0) : 0;
		if (!owner || !number || is_member(v, number))
			continue;
		const char *a[] = {cfs_obj_id(g)};
		r = push(m, v, cmds, CFS_OP_GROUP_FAILOVER, 1, a, NULL);
	}
	return r;
}

/* A new cluster's standard contents, on its lowest member (which exists
 * by now: it is a member, so it is known or was just added). */
static int bootstrap(const struct cfs_model *m, const struct cfs_view *v, struct cfs_vec *cmds,
		     const uint32_t *added, size_t nadded)
{
	if (cfs_model_count(m, CFS_KIND_RESTYPE) || !v->nmembers)
		return 0;
	char owner[CFS_ID_LEN + 1];
	struct cfs_object *n = cfs_model_node_by_number(m, v->members[0].nodeid);
	bool just_added = false;
	for (size_t i = 0; i < nadded; i++)
		just_added |= added[i] == v->members[0].nodeid;
	if (n)
		snprintf(owner, sizeof(owner), "%s", cfs_obj_id(n));
	else if (just_added)
		cfs_membership_node_id(m, v->members[0].nodeid, owner);
	else
		return 0; /* the lowest member is not configured: wait */
	struct cfs_vec boot = {0};
	int r = cfs_bootstrap_cmds(&boot, owner);
	for (size_t i = 0; i < boot.n; i++) {
		struct cfs_cmd *c = boot.v[i];
		if (r == 0) {
			char tag[CFS_NAME_MAX + 32];
			snprintf(tag, sizeof(tag), "%s:%s", cfs_op_verb(c->op),
				 c->argc ? c->argv[0] : "");
			c->time_ns = v->time_ns;
			derived_id(m, tag, c->id);
			if ((r = cfs_vec_push(cmds, c)) == 0)
				continue;
		}
		cfs_cmd_free(c);
	}
	cfs_vec_free(&boot);
	return r;
}

int cfs_membership_cmds(const struct cfs_model *m, const struct cfs_view *v, struct cfs_vec *cmds)
{
	if (v->step == CFS_VIEW_JOINING)
		return joining_cmds(m, v, cmds);
	uint32_t *added = calloc(v->nnodes ? v->nnodes : 1, sizeof(*added));
	if (!added)
		return -ENOMEM;
	size_t nadded;
	int r = add_nodes(m, v, cmds, added, &nadded);
	if (r == 0)
		r = node_states(m, v, cmds);
	const char *q[] = {v->quorate ? "quorate" : "lost"};
	if (r == 0)
		r = push(m, v, cmds, CFS_OP_CLUSTER_QUORUM, 1, q, NULL);
	const char *st[] = {v->quorate ? "valid" : "stale"};
	if (r == 0)
		r = push(m, v, cmds, CFS_OP_CMM_STATUS, 1, st, NULL);
	if (r == 0 && v->quorate)
		r = bootstrap(m, v, cmds, added, nadded);
	if (r == 0 && v->quorate)
		r = failovers(m, v, cmds);
	if (r == 0 && v->quorate)
		r = push(m, v, cmds, CFS_OP_CMM_ELECT, 0, NULL, NULL);
	free(added);
	return r;
}

static void free_cmds(struct cfs_vec *cmds)
{
	for (size_t i = 0; i < cmds->n; i++)
		cfs_cmd_free(cmds->v[i]);
	cfs_vec_free(cmds);
}

int cfs_membership_apply(struct cfs_engine *e, const struct cfs_view *v, const char **why)
{
	struct cfs_vec cmds = {0};
	/* Only the committer changes the model: on its thread reading it
	 * needs no lock. */
	int r = cfs_membership_cmds(&e->model, v, &cmds);
	if (r < 0)
		free_cmds(&cmds);
	else if (cmds.n)
		r = cfs_engine_commit_now(e, (struct cfs_cmd **)cmds.v, cmds.n, why);
	else
		cfs_vec_free(&cmds);
	if (r < 0 && r != -ENOMEM) {
		/* A command the model refused (every node refuses it alike):
		 * the others still apply, one by one. */
		struct cfs_vec again = {0};
		if (cfs_membership_cmds(&e->model, v, &again) == 0) {
			for (size_t i = 0; i < again.n; i++) {
				struct cfs_cmd **one = malloc(sizeof(*one));
				if (!one) {
					cfs_cmd_free(again.v[i]);
					continue;
				}
				one[0] = again.v[i];
				cfs_engine_commit_now(e, one, 1, NULL);
			}
			cfs_vec_free(&again);
		} else {
			free_cmds(&again);
		}
	}
	if (v->step == CFS_VIEW_MEMBERS) {
		cfs_engine_set_refusal(e, v->quorate ? 0 : CFS_ENOQUORUM,
				       "the cluster has no quorum: changes are refused until it has");
		int g = cfs_engine_set_generation(e, v->generation);
		if (r == 0)
			r = g;
	}
	return r;
}
