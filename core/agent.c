/* SPDX-License-Identifier: MIT */
#include "agent.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cfs_agent_action_name(enum cfs_agent_action a)
{
	static const char *const names[] = {"start", "stop", "monitor", "validate-all"};
	return (unsigned)a < CFS_ARRAY_SIZE(names) ? names[a] : "?";
}

const char *cfs_agent_param(const struct cfs_agent_ctx *c, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < c->params.n; i++) {
		const char *p = c->params.v[i];
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return p + n + 1;
	}
	return NULL;
}

void cfs_agent_reason(struct cfs_agent_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(res->reason);
	if (vasprintf(&res->reason, fmt, ap) < 0)
		res->reason = NULL;
	va_end(ap);
}

void cfs_agent_result_free(struct cfs_agent_result *res)
{
	if (!res)
		return;
	cfs_buf_free(&res->out);
	free(res->reason);
	*res = (struct cfs_agent_result){0};
}

void cfs_agent_ctx_free(struct cfs_agent_ctx *c)
{
	if (!c)
		return;
	free(c->res_id);
	free(c->res_name);
	free(c->type_name);
	for (size_t i = 0; i < c->params.n; i++)
		free(c->params.v[i]);
	cfs_vec_free(&c->params);
	*c = (struct cfs_agent_ctx){0};
}

int cfs_agent_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
		  struct cfs_agent_result *res, volatile pid_t *pgid)
{
	*res = (struct cfs_agent_result){0};
	switch (c->kind) {
	case CFS_AGENT_OCF:
		return cfs_agent_ocf_run(c, a, res, pgid);
	case CFS_AGENT_APP:
		return cfs_agent_app_run(c, a, res, pgid);
	case CFS_AGENT_SCRIPT:
		return cfs_agent_script_run(c, a, res, pgid);
	case CFS_AGENT_IP:
		return cfs_agent_ip_run(c, a, res, pgid);
	default:
		res->rc = CFS_OCF_SUCCESS;
		return 0;
	}
}
