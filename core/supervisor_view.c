/* SPDX-License-Identifier: MIT */
/* The supervisor (supervisor_i.h): snapshots of the committed model into
 * views of the resources that run agents, taken under the engine's read
 * lock; the hash of a view's parameters (a validate-all holds for one
 * hash); and the runtime table, one struct rt per resource this node has
 * acted on, with the process of a Generic Application it watches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply_i.h"
#include "proc.h"
#include "supervisor_i.h"
#include "value.h"

/* --- snapshots --- */

void cfs_sup_view_free(struct view *v)
{
	cfs_agent_ctx_free(&v->ctx);
	free(v->missing);
	for (size_t i = 0; i < v->dependents.n; i++)
		free(v->dependents.v[i]);
	cfs_vec_free(&v->dependents);
	*v = (struct view){0};
}

void cfs_sup_views_free(struct cfs_vec *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		cfs_sup_view_free(vs->v[i]);
		free(vs->v[i]);
	}
	cfs_vec_free(vs);
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

uint64_t cfs_sup_params_hash(const struct view *v)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < v->ctx.params.n; i++)
		h = fnv(h, v->ctx.params.v[i]);
	return h;
}

/* The resource's parameters as name=value (text form of each value). */
static int copy_params(const struct cfs_object *r, struct cfs_vec *out)
{
	struct cfs_key *pk = cfs_key_subkey(r->key, CFS_P_PARAMETERS);
	for (size_t i = 0; pk && i < pk->values.n; i++) {
		struct cfs_value *v = pk->values.v[i];
		struct cfs_buf b = {0};
		cfs_buf_printf(&b, "%s=", v->name);
		if (v->type == CFS_REG_DWORD || v->type == CFS_REG_QWORD) {
			cfs_value_format(v->type, v->data, v->len, &b);
			while (b.len && b.data[b.len - 1] == '\n')
				b.data[--b.len] = '\0';
		} else if (v->type == CFS_REG_SZ || v->type == CFS_REG_EXPAND_SZ) {
			cfs_buf_puts(&b, (const char *)v->data);
		} else {
			cfs_buf_free(&b);
			continue;
		}
		char *s = cfs_buf_steal(&b);
		if (!s || cfs_vec_push(out, s) < 0) {
			free(s);
			return -ENOMEM;
		}
	}
	return 0;
}

static int snap_one(struct cfs_supervisor *s, const struct cfs_model *m, struct cfs_object *r,
		    const struct cfs_object *self, struct view *v)
{
	struct cfs_object *type = cfs_obj_ref(m, r, CFS_P_TYPE);
	v->ctx.kind = cfs_res_agent_kind(m, r);
	v->ctx.ocf_root = s->ocf_root;
	v->ctx.run_dir = s->run_dir;
	v->state = cfs_obj_state(r);
	v->local = self && cfs_obj_owner(m, r) == self;
	v->providers_online = cfs_apply_providers_online(m, r);
	v->persistent = cfs_key_get_dword(r->key, CFS_P_PERSISTENT_STATE, 0) == 1;
	v->ctx.timeout_ms = cfs_res_policy(m, r, cfs_policy_find(CFS_P_PENDING_TIMEOUT));
	v->monitor_ms = cfs_res_policy(m, r, cfs_policy_find(CFS_P_MONITOR_INTERVAL));
	v->ctx.monitor_interval_ms = v->monitor_ms;
	if (!(v->ctx.res_id = strdup(cfs_obj_id(r))) || !(v->ctx.res_name = strdup(r->name)) ||
	    !(v->ctx.type_name = strdup(type ? type->name : "")))
		return -ENOMEM;
	int e = copy_params(r, &v->ctx.params);
	struct cfs_param_list l;
	if (e == 0 && (e = cfs_type_params(m, type, &l)) == 0) {
		for (size_t i = 0; i < l.n && !v->missing; i++) {
			const char *p = cfs_agent_param(&v->ctx, l.v[i].name);
			if (l.v[i].required && (!p || !*p))
				v->missing = strdup(l.v[i].name);
		}
		cfs_param_list_free(&l);
	}
	struct cfs_object *g = cfs_obj_ref(m, r, CFS_P_GROUP);
	for (size_t i = 0; e == 0 && g && i < g->members.n; i++) {
		struct cfs_object *d = g->members.v[i];
		if (!cfs_obj_list_has(d, CFS_P_DEPENDENCIES, cfs_obj_id(r)))
			continue;
		char *id = strdup(cfs_obj_id(d));
		if (!id || cfs_vec_push(&v->dependents, id) < 0) {
			free(id);
			e = -ENOMEM;
		}
	}
	return e;
}

/* Every resource that runs an agent (all of them: a resource that moved
 * away may still have something running here). */
int cfs_sup_snapshot(struct cfs_supervisor *s, struct cfs_vec *out)
{
	struct cfs_engine *e = s->e;
	int r = 0;
	cfs_engine_rdlock(e);
	const struct cfs_model *m = &e->model;
	struct cfs_object *self = e->local_node_id ? cfs_model_by_id(m, e->local_node_id) : NULL;
	struct cfs_key *rc = m->coll[CFS_KIND_RESOURCE];
	for (size_t i = 0; r == 0 && i < rc->subkeys.n; i++) {
		struct cfs_object *o = ((struct cfs_key *)rc->subkeys.v[i])->obj;
		if (!o || !cfs_res_runs_agent(m, o))
			continue;
		struct view *v = calloc(1, sizeof(*v));
		if (!v || (r = snap_one(s, m, o, self, v)) < 0 || (r = cfs_vec_push(out, v)) < 0) {
			if (v)
				cfs_sup_view_free(v);
			free(v);
			r = r < 0 ? r : -ENOMEM;
		}
	}
	cfs_engine_unlock(e);
	return r;
}

struct rt *cfs_sup_rt_get(struct cfs_supervisor *s, const char *id)
{
	struct rt *rt = cfs_smap_get(&s->rts, id);
	if (rt)
		return rt;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	snprintf(rt->id, sizeof(rt->id), "%s", id);
	rt->app_pidfd = -1;
	if (cfs_smap_put(&s->rts, rt->id, rt) < 0) {
		free(rt);
		return NULL;
	}
	return rt;
}

void cfs_sup_rt_unwatch(struct rt *rt)
{
	if (rt->app_pidfd >= 0)
		close(rt->app_pidfd);
	rt->app_pidfd = -1;
	rt->app_pid = 0;
	rt->app_exited = false;
}

/* Watches a Generic Application's process for its exit (lock held). */
void cfs_sup_rt_watch(struct rt *rt, pid_t pid)
{
	if (pid == rt->app_pid && rt->app_pidfd >= 0)
		return;
	cfs_sup_rt_unwatch(rt);
	if (pid <= 0)
		return;
	int fd = cfs_proc_pidfd(pid);
	rt->app_pid = pid;
	rt->app_pidfd = fd >= 0 ? fd : -1;
}
