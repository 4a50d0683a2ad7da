/* SPDX-License-Identifier: MIT */
/* The supervisor (supervisor_i.h): the workers. One detached thread per
 * job runs an agent's action with no lock of the daemon held, updates the
 * resource's struct rt, and sends its report (a resource-started,
 * -stopped or -monitor command), waiting for it to commit; a report the
 * engine refused is kept to be sent again. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "apply_i.h"
#include "supervisor_i.h"

/* A failed clean-up stop is tried again after this long. */
#define CLEANUP_RETRY_NS (10 * 1000000000LL)
/* A report the engine refused (no quorum, ...) is sent again after this. */
#define REPORT_RETRY_NS (1 * 1000000000LL)

struct work {
	struct cfs_supervisor *s;
	enum job job;
	struct view v; /* owned */
	struct rt *rt;
	char *report;  /* JOB_REPORT */
};

/* --- jobs --- */

/* Each output line to the log, with the resource's name. */
static void log_output(struct cfs_supervisor *s, const struct view *v, const char *action,
		       const struct cfs_buf *out)
{
	const char *p = out->data ? out->data : "";
	int lines = 0;
	while (*p && lines < 50) {
		size_t n = strcspn(p, "\n");
		if (n && strncmp(p, "ocf-exit-reason:", 16) != 0)
			LOG(s, LOG_INFO, "resource %s: %s: %.*s", v->ctx.res_name, action, (int)n, p);
		lines += n != 0;
		p += n + (p[n] ? 1 : 0);
	}
}

static char *report_text(const struct view *v, const char *verb, const char *node, bool ok,
			 const char *reason)
{
	const char *a[] = {v->ctx.res_id, node, ok ? "ok" : "failed", reason};
	struct cfs_cmd *c;
	enum cfs_op op = strcmp(verb, "started") == 0	? CFS_OP_RES_STARTED
			 : strcmp(verb, "stopped") == 0 ? CFS_OP_RES_STOPPED
							: CFS_OP_RES_MONITOR;
	if (cfs_cmd_new(&c, op, reason ? 4 : 3, a) < 0)
		return NULL;
	struct cfs_buf b = {0};
	cfs_cmd_format(c, &b);
	cfs_cmd_free(c);
	return cfs_buf_steal(&b);
}

/* Submits a report and waits for its commit; on a refusal it is kept in
 * rt to be sent again. */
static void send_report(struct cfs_supervisor *s, struct rt *rt, const char *name, char *text)
{
	if (!text)
		return;
	const char *why = NULL;
	int r = cfs_engine_run_text(s->e, text, &why);
	if (r < 0 && r != -ESHUTDOWN && !s->stopping) {
		LOG(s, LOG_WARNING, "resource %s: report not taken (%s): sent again in 1 s", name,
		    why ? why : strerror(-r));
		pthread_mutex_lock(&s->lock);
		free(rt->report);
		rt->report = text;
		rt->not_before = cfs_mono_ns() + REPORT_RETRY_NS;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	free(text);
}

static const char *node_id(struct cfs_supervisor *s)
{
	return s->e->local_node_id ? s->e->local_node_id : "";
}

/* Runs action a; logs it; returns the result code (or -errno). */
static int act(struct cfs_supervisor *s, struct work *w, enum cfs_agent_action a,
	       struct cfs_agent_result *res)
{
	int r = cfs_agent_run(&w->v.ctx, a, res, &w->rt->pgid);
	w->rt->pgid = 0;
	const char *an = cfs_agent_action_name(a);
	if (r < 0) {
		res->rc = CFS_OCF_ERR_GENERIC;
		cfs_agent_reason(res, "cannot run %s: %s", an, strerror(-r));
	}
	log_output(s, &w->v, an, &res->out);
	if (res->rc != 0 && !(a == CFS_ACT_MONITOR && res->rc == CFS_OCF_NOT_RUNNING &&
			      w->job == JOB_PROBE))
		LOG(s, res->rc == CFS_OCF_NOT_RUNNING ? LOG_WARNING : LOG_ERR,
		    "resource %s: %s: %s", w->v.ctx.res_name, an,
		    res->reason ? res->reason : "failed");
	return res->rc;
}

static void job_start(struct cfs_supervisor *s, struct work *w)
{
	struct view *v = &w->v;
	struct cfs_agent_result res = {0};
	char *report = NULL;
	int rc = 0;
	if (v->missing) {
		LOG(s, LOG_ERR, "resource %s: start: the required parameter %s is not set",
		    v->ctx.res_name, v->missing);
		char *reason;
		if (asprintf(&reason, "required parameter %s is not set", v->missing) < 0)
			reason = NULL;
		report = report_text(v, "started", node_id(s), false, reason);
		free(reason);
		goto out;
	}
	uint64_t h = cfs_sup_params_hash(v);
	pthread_mutex_lock(&s->lock);
	bool validated = w->rt->validated && w->rt->params_hash == h;
	pthread_mutex_unlock(&s->lock);
	if (!validated && v->ctx.kind == CFS_AGENT_OCF) {
		rc = act(s, w, CFS_ACT_VALIDATE, &res);
		if (rc != 0 && rc != CFS_OCF_ERR_UNIMPLEMENTED) {
			char *reason;
			if (asprintf(&reason, "validate-all: %s", res.reason ? res.reason : "failed") <
			    0)
				reason = NULL;
			report = report_text(v, "started", node_id(s), false, reason);
			free(reason);
			goto out;
		}
		cfs_agent_result_free(&res);
	}
	pthread_mutex_lock(&s->lock);
	w->rt->validated = true;
	w->rt->params_hash = h;
	pthread_mutex_unlock(&s->lock);
	rc = act(s, w, CFS_ACT_START, &res);
	pthread_mutex_lock(&s->lock);
	w->rt->active = true; /* even a failed start may have left something */
	w->rt->last_check = cfs_mono_ns();
	if (rc == 0 && v->ctx.kind == CFS_AGENT_APP)
		cfs_sup_rt_watch(w->rt, cfs_agent_app_pid(&v->ctx));
	pthread_mutex_unlock(&s->lock);
	if (rc == 0)
		LOG(s, LOG_NOTICE, "resource %s: started", v->ctx.res_name);
	report = report_text(v, "started", node_id(s), rc == 0, rc == 0 ? NULL : res.reason);
out:
	cfs_agent_result_free(&res);
	send_report(s, w->rt, v->ctx.res_name, report);
}

/* Stops; returns the result code. */
static int do_stop(struct cfs_supervisor *s, struct work *w, struct cfs_agent_result *res)
{
	int rc = act(s, w, CFS_ACT_STOP, res);
	pthread_mutex_lock(&s->lock);
	if (rc == 0) {
		w->rt->active = false;
		cfs_sup_rt_unwatch(w->rt);
	} else {
		w->rt->not_before = cfs_mono_ns() + CLEANUP_RETRY_NS;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc == 0)
		LOG(s, LOG_NOTICE, "resource %s: stopped%s", w->v.ctx.res_name,
		    w->job == JOB_CLEANUP ? " (clean-up)" : "");
	return rc;
}

static void job_stop(struct cfs_supervisor *s, struct work *w)
{
	struct cfs_agent_result res = {0};
	int rc = do_stop(s, w, &res);
	char *report = NULL;
	if (w->job == JOB_STOP)
		report = report_text(&w->v, "stopped", node_id(s), rc == 0, rc ? res.reason : NULL);
	else if (w->job == JOB_RESTART_STOP && rc != 0) {
		char *reason;
		if (asprintf(&reason, "stop before the restart: %s",
			     res.reason ? res.reason : "failed") < 0)
			reason = NULL;
		report = report_text(&w->v, "started", node_id(s), false, reason);
		free(reason);
	}
	cfs_agent_result_free(&res);
	send_report(s, w->rt, w->v.ctx.res_name, report);
}

static void job_monitor(struct cfs_supervisor *s, struct work *w)
{
	struct view *v = &w->v;
	struct cfs_agent_result res = {0};
	int rc = act(s, w, CFS_ACT_MONITOR, &res);
	char *report = NULL;
	pthread_mutex_lock(&s->lock);
	w->rt->last_check = cfs_mono_ns();
	if (rc == 0 && v->ctx.kind == CFS_AGENT_APP)
		cfs_sup_rt_watch(w->rt, cfs_agent_app_pid(&v->ctx));
	if (rc != 0)
		cfs_sup_rt_unwatch(w->rt);
	/* Running, or perhaps half-running: a stop comes before a restart. */
	w->rt->active = rc != CFS_OCF_NOT_RUNNING || w->job != JOB_PROBE;
	pthread_mutex_unlock(&s->lock);
	if (w->job == JOB_PROBE) {
		bool running = rc == 0;
		LOG(s, LOG_INFO, "resource %s: probe: %s (the cluster says %s)", v->ctx.res_name,
		    running ? "running" : rc == CFS_OCF_NOT_RUNNING ? "not running" : "failed",
		    cfs_state_name(CFS_KIND_RESOURCE, v->state));
		if (v->local && v->state == CFS_RES_ONLINE && !running)
			report = report_text(v, "monitor", node_id(s), false,
					     rc == CFS_OCF_NOT_RUNNING
						     ? "not running when clusterfs started"
						     : res.reason);
		else if (v->local && v->state == CFS_RES_ONLINE_PENDING && running)
			report = report_text(v, "started", node_id(s), true, NULL);
	} else if (rc != 0) {
		report = report_text(v, "monitor", node_id(s), false,
				     res.reason ? res.reason : "monitor failed");
	}
	cfs_agent_result_free(&res);
	send_report(s, w->rt, v->ctx.res_name, report);
}

static void *worker_main(void *arg)
{
	struct work *w = arg;
	struct cfs_supervisor *s = w->s;
	switch (w->job) {
	case JOB_START:
		job_start(s, w);
		break;
	case JOB_STOP:
	case JOB_CLEANUP:
	case JOB_RESTART_STOP:
		job_stop(s, w);
		break;
	case JOB_MONITOR:
	case JOB_PROBE:
		job_monitor(s, w);
		break;
	case JOB_REPORT:
		send_report(s, w->rt, w->v.ctx.res_name, w->report);
		w->report = NULL;
		break;
	}
	pthread_mutex_lock(&s->lock);
	w->rt->busy = false;
	s->workers--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	cfs_sup_wake(s);
	cfs_sup_view_free(&w->v);
	free(w->report);
	free(w);
	return NULL;
}

/* Hands v to a worker (lock held; takes v's content). */
bool cfs_sup_dispatch(struct cfs_supervisor *s, struct rt *rt, enum job job, struct view *v)
{
	if (s->workers >= MAX_WORKERS)
		return false;
	struct work *w = calloc(1, sizeof(*w));
	if (!w)
		return false;
	*w = (struct work){.s = s, .job = job, .v = *v, .rt = rt};
	if (job == JOB_REPORT) {
		w->report = rt->report;
		rt->report = NULL;
	}
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&th, &at, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	if (r != 0) {
		if (job == JOB_REPORT)
			rt->report = w->report;
		free(w);
		return false;
	}
	*v = (struct view){0};
	rt->busy = true;
	s->workers++;
	return true;
}
