/* SPDX-License-Identifier: MIT */
/* OCF resource agents (resource agent API 1.0/1.1), run as Pacemaker runs
 * them: OCF_ROOT/resource.d/PROVIDER/AGENT ACTION, with the resource's
 * parameters as OCF_RESKEY_name, OCF_RESOURCE_INSTANCE the resource's id
 * (stable across renames, so the agent's state files are too), and the
 * action's timeout as OCF_RESKEY_CRM_meta_timeout. An agent states why it
 * failed on a line "ocf-exit-reason:TEXT". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "proc.h"

char *cfs_agent_ocf_path(const char *ocf_root, const char *type_name)
{
	if (strncmp(type_name, "ocf:", 4) != 0)
		return NULL;
	const char *prov = type_name + 4, *colon = strchr(prov, ':');
	if (!colon || colon == prov || !colon[1] || strchr(colon + 1, ':') ||
	    strchr(type_name, '/') || strstr(type_name, ".."))
		return NULL;
	char *path;
	if (asprintf(&path, "%s/resource.d/%.*s/%s", ocf_root, (int)(colon - prov), prov,
		     colon + 1) < 0)
		return NULL;
	return path;
}

static int env_add(struct cfs_vec *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int env_add(struct cfs_vec *env, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if (cfs_vec_push(env, s) < 0) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

static void env_free(struct cfs_vec *env)
{
	for (size_t i = 0; i < env->n; i++)
		free(env->v[i]);
	cfs_vec_free(env);
}

/* The reason of a failed result: the agent's exit reason, else its last
 * line of output, else what the code means. */
static void set_reason(struct cfs_agent_result *res)
{
	static const char *const meaning[] = {
		"success", "generic error", "invalid arguments", "unimplemented action",
		"insufficient privileges", "not installed", "not configured", "not running"};
	const char *out = res->out.data ? res->out.data : "";
	const char *tag = "ocf-exit-reason:";
	const char *r = NULL, *p = out;
	while ((p = strstr(p, tag))) {
		r = p + strlen(tag);
		p = r;
	}
	if (r) {
		cfs_agent_reason(res, "%.*s", (int)strcspn(r, "\n"), r);
		return;
	}
	const char *last = NULL;
	for (p = out; *p;) {
		size_t n = strcspn(p, "\n");
		if (n)
			last = p;
		p += n + (p[n] ? 1 : 0);
	}
	if (last)
		cfs_agent_reason(res, "%.*s", (int)strcspn(last, "\n"), last);
	else if (res->rc >= 0 && res->rc < (int)CFS_ARRAY_SIZE(meaning))
		cfs_agent_reason(res, "%s (exit code %d)", meaning[res->rc], res->rc);
	else
		cfs_agent_reason(res, "exit code %d", res->rc);
}

int cfs_agent_ocf_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
		      struct cfs_agent_result *res, volatile pid_t *pgid)
{
	char *path = cfs_agent_ocf_path(c->ocf_root, c->type_name);
	if (!path) {
		res->rc = CFS_OCF_ERR_INSTALLED;
		cfs_agent_reason(res, "%s is not an OCF agent name (ocf:PROVIDER:AGENT)",
				 c->type_name);
		return 0;
	}
	if (access(path, X_OK) < 0) {
		/* As Pacemaker: a probe of an agent that is not there finds the
		 * resource not running; other actions fail. */
		res->rc = a == CFS_ACT_MONITOR || a == CFS_ACT_STOP ? CFS_OCF_NOT_RUNNING
								   : CFS_OCF_ERR_INSTALLED;
		if (a == CFS_ACT_STOP)
			res->rc = CFS_OCF_SUCCESS;
		cfs_agent_reason(res, "the agent %s is not installed on this node", path);
		free(path);
		return 0;
	}
	const char *prov = c->type_name + 4, *colon = strchr(prov, ':');
	struct cfs_vec env = {0};
	int r = env_add(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (!r)
		r = env_add(&env, "OCF_ROOT=%s", c->ocf_root);
	if (!r)
		r = env_add(&env, "OCF_RA_VERSION_MAJOR=1");
	if (!r)
		r = env_add(&env, "OCF_RA_VERSION_MINOR=1");
	if (!r)
		r = env_add(&env, "OCF_RESOURCE_INSTANCE=%s", c->res_id);
	if (!r)
		r = env_add(&env, "OCF_RESOURCE_TYPE=%s", colon + 1);
	if (!r)
		r = env_add(&env, "OCF_RESOURCE_PROVIDER=%.*s", (int)(colon - prov), prov);
	if (!r)
		r = env_add(&env, "OCF_RESKEY_CRM_meta_timeout=%u", c->timeout_ms);
	if (!r && a == CFS_ACT_MONITOR)
		r = env_add(&env, "OCF_RESKEY_CRM_meta_interval=%u", c->monitor_interval_ms);
	/* The agents' own logging goes to their stderr, which is ours. */
	if (!r)
		r = env_add(&env, "HA_LOGFACILITY=none");
	if (!r)
		r = env_add(&env, "HA_LOGTAG=clusterfs(%s)", c->res_name);
	for (size_t i = 0; !r && i < c->params.n; i++)
		r = env_add(&env, "OCF_RESKEY_%s", (const char *)c->params.v[i]);
	if (!r)
		r = cfs_vec_push(&env, NULL);
	if (r < 0) {
		env_free(&env);
		free(path);
		return r;
	}
	char *argv[] = {path, (char *)cfs_agent_action_name(a), NULL};
	int status = 0;
	r = cfs_proc_run(argv, (char *const *)env.v, "/", (int)c->timeout_ms, &res->out, &status,
			 pgid);
	env_free(&env);
	free(path);
	if (r == -ETIME) {
		res->rc = -ETIME;
		cfs_agent_reason(res, "%s timed out after %u ms: its processes were killed",
				 cfs_agent_action_name(a), c->timeout_ms);
		return 0;
	}
	if (r < 0)
		return r;
	res->rc = status;
	if (status != CFS_OCF_SUCCESS)
		set_reason(res);
	return 0;
}
