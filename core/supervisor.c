/* SPDX-License-Identifier: MIT */
/* The supervisor (supervisor.h).
 *
 * Concurrency: `lock` guards the runtime table (struct rt, one per
 * resource this node has acted on) and the counters below it. The main
 * loop takes a snapshot of the model under the engine's read lock, drops
 * it, then decides under `lock`; a decision marks the resource busy and
 * hands a job to a new worker thread. A worker runs its action with no
 * lock held, updates its rt under `lock`, submits its report and waits
 * for the commit (so that the loop never decides on a state the report is
 * about to change), then clears busy and wakes the loop. The engine's
 * commit listener only writes to the wake-up eventfd. */
#include "supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "agent.h"
#include "agent_scan.h"
#include "apply_i.h"
#include "hmap.h"
#include "proc.h"
#include "value.h"

/* A failed clean-up stop is tried again after this long. */
#define CLEANUP_RETRY_NS (10 * 1000000000LL)
/* A report the engine refused (no quorum, ...) is sent again after this. */
#define REPORT_RETRY_NS (1 * 1000000000LL)
#define MAX_WORKERS 64

enum job {
	JOB_START,	  /* report resource-started */
	JOB_STOP,	  /* report resource-stopped */
	JOB_MONITOR,	  /* report resource-monitor failed */
	JOB_PROBE,	  /* at start: report what differs from the cluster's view */
	JOB_CLEANUP,	  /* stop, reported only in the log */
	JOB_RESTART_STOP, /* stop before a restart; a failure fails the start */
	JOB_REPORT,	  /* send a report again */
};

/* What this node knows of one resource (guarded by s->lock). */
struct rt {
	char id[CFS_ID_LEN + 1];
	bool active;	    /* something of it may run here */
	bool busy;	    /* a job in flight */
	bool validated;	    /* validate-all passed for params_hash */
	uint64_t params_hash;
	int64_t last_check; /* monotonic ns of the last start or monitor; 0: never */
	int64_t not_before;   /* no clean-up or report before this */
	pid_t app_pid;	    /* a Generic Application's process being watched */
	int app_pidfd;
	bool app_exited;
	char *report;	    /* a report still to be sent (command text) */
	volatile pid_t pgid; /* of the action in flight */
};

/* A resource of this node as the last snapshot saw it. */
struct view {
	struct cfs_agent_ctx ctx;
	uint32_t state;
	bool local;
	bool providers_online;
	bool persistent;
	char *missing; /* a required parameter that is not set */
	struct cfs_vec dependents; /* char * ids */
	uint32_t monitor_ms;
};

struct cfs_supervisor {
	struct cfs_engine *e;
	char *ocf_root, *run_dir;
	void (*log)(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	int wake_fd;
	pthread_t loop, scanner;
	bool loop_started, scanner_started;
	volatile bool stopping;

	pthread_mutex_t lock;
	pthread_cond_t cond;	/* a worker finished (guarded by lock) */
	struct cfs_smap rts;	/* id -> struct rt * */
	unsigned workers;	/* in flight */
	bool draining;		/* a clean stop: start nothing more */
	bool ready;		/* the probes are done */
	uint32_t drain_ms;	/* the longest pending timeout seen */
};

struct work {
	struct cfs_supervisor *s;
	enum job job;
	struct view v; /* owned */
	struct rt *rt;
	char *report;  /* JOB_REPORT */
};

#define LOG(s, prio, ...)                          \
	do {                                       \
		if ((s)->log)                      \
			(s)->log(prio, __VA_ARGS__); \
	} while (0)

static void wake(struct cfs_supervisor *s)
{
	uint64_t one = 1;
	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is full: the loop is awake anyway. */
	}
}

/* Whether g holds a resource that runs. */
static bool group_runs(const struct cfs_model *m, const struct cfs_object *g)
{
	for (size_t i = 0; g && i < g->members.n; i++)
		if (cfs_res_runs_agent(m, g->members.v[i]))
			return true;
	return false;
}

/* Wakes the loop for commits that concern resources that run (their
 * state, parameters and policy, their groups, the nodes): a burst of
 * other changes (a tree of state-only resources being built) costs the
 * loop nothing. The listener runs on the committer thread, the model's
 * only writer, so it may read the model without its lock. */
static void on_commit(void *ud, const struct cfs_record *recs, size_t n)
{
	struct cfs_supervisor *s = ud;
	const struct cfs_model *m = &s->e->model;
	for (size_t i = 0; i < n; i++) {
		const struct cfs_record *r = &recs[i];
		const struct cfs_object *o = r->obj_id && *r->obj_id ? cfs_model_by_id(m, r->obj_id)
								      : NULL;
		bool wanted = false;
		switch (r->kind) {
		case CFS_KIND_NODE:
			wanted = r->change == CFS_CH_STATE;
			break;
		case CFS_KIND_GROUP:
			wanted = group_runs(m, o);
			break;
		case CFS_KIND_RESOURCE:
			/* A deleted one, or one that now runs (or did). */
			wanted = !o || cfs_res_runs_agent(m, o) || r->change == CFS_CH_PROPERTY;
			break;
		default:
			break;
		}
		if (wanted) {
			wake(s);
			return;
		}
	}
}

/* --- snapshots --- */

static void view_free(struct view *v)
{
	cfs_agent_ctx_free(&v->ctx);
	free(v->missing);
	for (size_t i = 0; i < v->dependents.n; i++)
		free(v->dependents.v[i]);
	cfs_vec_free(&v->dependents);
	*v = (struct view){0};
}

static void views_free(struct cfs_vec *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		view_free(vs->v[i]);
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

static uint64_t params_hash(const struct view *v)
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
static int snapshot(struct cfs_supervisor *s, struct cfs_vec *out)
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
				view_free(v);
			free(v);
			r = r < 0 ? r : -ENOMEM;
		}
	}
	cfs_engine_unlock(e);
	return r;
}

static struct rt *rt_get(struct cfs_supervisor *s, const char *id)
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

static void rt_unwatch(struct rt *rt)
{
	if (rt->app_pidfd >= 0)
		close(rt->app_pidfd);
	rt->app_pidfd = -1;
	rt->app_pid = 0;
	rt->app_exited = false;
}

/* Watches a Generic Application's process for its exit (lock held). */
static void rt_watch(struct rt *rt, pid_t pid)
{
	if (pid == rt->app_pid && rt->app_pidfd >= 0)
		return;
	rt_unwatch(rt);
	if (pid <= 0)
		return;
	int fd = cfs_proc_pidfd(pid);
	rt->app_pid = pid;
	rt->app_pidfd = fd >= 0 ? fd : -1;
}

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
	uint64_t h = params_hash(v);
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
		rt_watch(w->rt, cfs_agent_app_pid(&v->ctx));
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
		rt_unwatch(w->rt);
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
		rt_watch(w->rt, cfs_agent_app_pid(&v->ctx));
	if (rc != 0)
		rt_unwatch(w->rt);
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
	wake(s);
	view_free(&w->v);
	free(w->report);
	free(w);
	return NULL;
}

/* Hands v to a worker (lock held; takes v's content). */
static bool dispatch(struct cfs_supervisor *s, struct rt *rt, enum job job, struct view *v)
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

/* --- decisions --- */

static bool dependents_stopped(struct cfs_supervisor *s, const struct cfs_vec *views,
			       const struct view *v)
{
	for (size_t i = 0; i < v->dependents.n; i++) {
		const char *id = v->dependents.v[i];
		struct rt *d = cfs_smap_get(&s->rts, id);
		if (d && (d->busy || d->active))
			return false;
		for (size_t j = 0; j < views->n; j++) {
			const struct view *x = views->v[j];
			/* (A view handed to a worker is empty: its rt is busy.) */
			if (x->ctx.res_id && strcmp(x->ctx.res_id, id) == 0 &&
			    !cfs_apply_is_down(x->state))
				return false;
		}
	}
	return true;
}

/* When v's next monitor is due (the interval in force now counts from
 * the last start or check). */
static int64_t monitor_due(const struct rt *rt, const struct view *v)
{
	return rt->last_check ? rt->last_check + (int64_t)v->monitor_ms * 1000000 : 0;
}

/* What v needs now (lock held); may dispatch a job. */
static void decide(struct cfs_supervisor *s, const struct cfs_vec *views, struct view *v,
		   int64_t now)
{
	struct rt *rt = rt_get(s, v->ctx.res_id);
	if (!rt || rt->busy)
		return;
	if (v->local && v->ctx.timeout_ms > s->drain_ms)
		s->drain_ms = v->ctx.timeout_ms;
	if (rt->report) {
		if (now >= rt->not_before)
			dispatch(s, rt, JOB_REPORT, v);
		return;
	}
	if (!v->local) {
		if (rt->active && now >= rt->not_before)
			dispatch(s, rt, JOB_CLEANUP, v);
		return;
	}
	switch (v->state) {
	case CFS_RES_ONLINE_PENDING:
		if (rt->active)
			dispatch(s, rt, JOB_RESTART_STOP, v);
		else if (v->providers_online && !s->draining)
			dispatch(s, rt, JOB_START, v);
		break;
	case CFS_RES_OFFLINE_PENDING:
		if (dependents_stopped(s, views, v))
			dispatch(s, rt, JOB_STOP, v);
		break;
	case CFS_RES_ONLINE:
		if (rt->app_exited || (v->monitor_ms && now >= monitor_due(rt, v)))
			dispatch(s, rt, JOB_MONITOR, v);
		break;
	default:
		if (rt->active && now >= rt->not_before)
			dispatch(s, rt, JOB_CLEANUP, v);
		break;
	}
}

/* When the loop must look again at the latest (lock held). */
static int64_t next_due(struct cfs_supervisor *s, const struct cfs_vec *views, int64_t now)
{
	int64_t due = now + 60 * 1000000000LL;
	for (size_t i = 0; i < views->n; i++) {
		const struct view *v = views->v[i];
		struct rt *rt = v->ctx.res_id ? cfs_smap_get(&s->rts, v->ctx.res_id) : NULL;
		if (!rt || rt->busy)
			continue;
		if (rt->report || (rt->active && (!v->local || cfs_apply_is_down(v->state))))
			due = rt->not_before < due ? rt->not_before : due;
		if (v->local && v->state == CFS_RES_ONLINE && v->monitor_ms && monitor_due(rt, v) < due)
			due = monitor_due(rt, v);
	}
	return due < now ? now : due;
}

/* --- the main loop --- */

static void probe_all(struct cfs_supervisor *s)
{
	struct cfs_vec views = {0};
	if (snapshot(s, &views) < 0)
		LOG(s, LOG_ERR, "supervisor: out of memory taking the probes' snapshot");
	/* What a clean stop took offline, to bring back after the probes
	 * (dispatching a probe takes its view). */
	struct cfs_vec back = {0};
	for (size_t i = 0; i < views.n; i++) {
		struct view *v = views.v[i];
		char *id = v->local && v->persistent && v->state == CFS_RES_OFFLINE
				   ? strdup(v->ctx.res_id)
				   : NULL;
		if (id && cfs_vec_push(&back, id) < 0)
			free(id);
	}
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < views.n; i++) {
		struct view *v = views.v[i];
		struct rt *rt = rt_get(s, v->ctx.res_id);
		/* Probes run a few at a time, each within its timeout. */
		while (rt && !s->stopping && s->workers >= 8)
			pthread_cond_wait(&s->cond, &s->lock);
		if (rt && !s->stopping && (v->local || v->ctx.kind == CFS_AGENT_APP))
			dispatch(s, rt, JOB_PROBE, v);
	}
	while (s->workers > 0)
		pthread_cond_wait(&s->cond, &s->lock);
	s->ready = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	/* What a clean stop took offline comes back. */
	for (size_t i = 0; i < back.n; i++) {
		const char *a[] = {back.v[i]};
		struct cfs_cmd *c;
		const char *why = NULL;
		if (!s->stopping && cfs_cmd_new(&c, CFS_OP_RES_ONLINE, 1, a) == 0 &&
		    cfs_engine_run(s->e, c, &why) == 0)
			LOG(s, LOG_NOTICE, "resource %s: back online after a clean stop",
			    (char *)back.v[i]);
		free(back.v[i]);
	}
	cfs_vec_free(&back);
	views_free(&views);
}

static void *loop_main(void *arg)
{
	struct cfs_supervisor *s = arg;
	probe_all(s);
	while (!s->stopping) {
		struct cfs_vec views = {0};
		if (snapshot(s, &views) < 0) {
			views_free(&views);
			usleep(100000);
			continue;
		}
		int64_t now = cfs_mono_ns();
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < views.n; i++)
			decide(s, &views, views.v[i], now);
		int64_t due = next_due(s, &views, now);
		/* The exits to watch. */
		struct pollfd fds[1 + MAX_WORKERS * 4];
		struct rt *who[CFS_ARRAY_SIZE(fds)];
		nfds_t n = 0;
		fds[n++] = (struct pollfd){.fd = s->wake_fd, .events = POLLIN};
		for (size_t i = 0; i < views.n && n < CFS_ARRAY_SIZE(fds); i++) {
			struct view *v = views.v[i];
			struct rt *rt = v->ctx.res_id ? cfs_smap_get(&s->rts, v->ctx.res_id) : NULL;
			if (rt && rt->app_pidfd >= 0 && !rt->app_exited) {
				who[n] = rt;
				fds[n++] = (struct pollfd){.fd = rt->app_pidfd, .events = POLLIN};
			}
		}
		pthread_mutex_unlock(&s->lock);
		views_free(&views);
		int64_t ms = (due - cfs_mono_ns()) / 1000000;
		int pr = poll(fds, n, ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms + 1);
		if (pr <= 0)
			continue;
		if (fds[0].revents) {
			uint64_t x;
			if (read(s->wake_fd, &x, sizeof(x)) < 0) {
				/* Nothing to read: fine. */
			}
		}
		pthread_mutex_lock(&s->lock);
		for (nfds_t i = 1; i < n; i++)
			if (fds[i].revents) {
				/* The process exited: reap it if it is ours, and
				 * check at once. */
				waitpid(who[i]->app_pid, NULL, WNOHANG);
				who[i]->app_exited = true;
				who[i]->last_check = 0;
			}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static void *scanner_main(void *arg)
{
	struct cfs_supervisor *s = arg;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/resource.d", s->ocf_root);
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
			      IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR;
	while (!s->stopping) {
		/* Watches first, so that no change between the scan and the
		 * wait is missed: the root and each provider directory. */
		if (in >= 0) {
			inotify_add_watch(in, dir, mask);
			DIR *d = opendir(dir);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				char p[4096 + 256];
				if (de->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
				inotify_add_watch(in, p, mask & ~IN_ONLYDIR);
			}
			if (d)
				closedir(d);
		}
		cfs_agent_scan(s->e, s->ocf_root, s->log, &s->stopping);
		if (in < 0)
			break;
		/* Wait for a change, then let a burst (a package install) end. */
		bool changed = false;
		while (!s->stopping && !changed) {
			struct pollfd p = {.fd = in, .events = POLLIN};
			if (poll(&p, 1, 500) > 0) {
				char buf[4096];
				while (read(in, buf, sizeof(buf)) > 0)
					changed = true;
			}
		}
		for (int i = 0; i < 4 && !s->stopping; i++) {
			usleep(50000);
			char buf[4096];
			while (read(in, buf, sizeof(buf)) > 0)
				i = 0;
		}
	}
	if (in >= 0)
		close(in);
	return NULL;
}

int cfs_supervisor_start(const struct cfs_supervisor_config *cfg, struct cfs_supervisor **ret,
			 const char **ret_why)
{
	struct cfs_supervisor *s = calloc(1, sizeof(*s));
	if (!s)
		return cfs_fail(ret_why, "out of memory", -ENOMEM);
	s->e = cfg->engine;
	s->log = cfg->log;
	s->ocf_root = strdup(cfg->ocf_root ? cfg->ocf_root : "/usr/lib/ocf");
	s->run_dir = strdup(cfg->run_dir);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	int r = 0;
	const char *why = NULL;
	if (!s->ocf_root || !s->run_dir)
		r = cfs_fail(&why, "out of memory", -ENOMEM);
	else if (s->wake_fd < 0)
		r = cfs_fail(&why, "cannot make an eventfd", -errno);
	else if (mkdir(s->run_dir, 0750) < 0 && errno != EEXIST)
		r = cfs_fail(&why, "cannot make the agents' run directory", -errno);
	if (r == 0 && (r = cfs_engine_add_listener(s->e, on_commit, s)) < 0)
		why = "no room for another commit listener";
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (r == 0 && (r = -pthread_create(&s->loop, NULL, loop_main, s)) == 0)
		s->loop_started = true;
	if (r == 0 && (r = -pthread_create(&s->scanner, NULL, scanner_main, s)) == 0)
		s->scanner_started = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		if (!why)
			why = "cannot start a thread";
		cfs_supervisor_free(s);
		return cfs_fail(ret_why, why, r);
	}
	*ret = s;
	return 0;
}

/* Whether something of this node still runs or is on its way. */
static bool node_busy(struct cfs_supervisor *s)
{
	struct cfs_vec views = {0};
	bool busy = snapshot(s, &views) < 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; !busy && i < views.n; i++) {
		struct view *v = views.v[i];
		struct rt *rt = cfs_smap_get(&s->rts, v->ctx.res_id);
		busy = (rt && (rt->busy || rt->active)) ||
		       (v->local && (v->state == CFS_RES_ONLINE ||
				     v->state == CFS_RES_OFFLINE_PENDING));
	}
	pthread_mutex_unlock(&s->lock);
	views_free(&views);
	return busy;
}

int cfs_supervisor_drain(struct cfs_supervisor *s)
{
	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	while (!s->ready && !s->stopping)
		pthread_cond_wait(&s->cond, &s->lock);
	s->draining = true;
	uint32_t limit_ms = s->drain_ms + 5000;
	pthread_mutex_unlock(&s->lock);
	/* The groups of this node in which something runs. */
	struct cfs_vec groups = {0};
	cfs_engine_rdlock(s->e);
	const struct cfs_model *m = &s->e->model;
	struct cfs_object *self = s->e->local_node_id ? cfs_model_by_id(m, s->e->local_node_id)
						     : NULL;
	struct cfs_key *gc = m->coll[CFS_KIND_GROUP];
	for (size_t i = 0; self && i < gc->subkeys.n; i++) {
		struct cfs_object *g = ((struct cfs_key *)gc->subkeys.v[i])->obj;
		bool runs = false;
		for (size_t j = 0; g && j < g->members.n; j++)
			runs |= cfs_res_runs_agent(m, g->members.v[j]) &&
				!cfs_apply_is_down(cfs_obj_state(g->members.v[j]));
		char *id = g && runs && cfs_obj_ref(m, g, CFS_P_OWNER_NODE) == self
				   ? strdup(cfs_obj_id(g))
				   : NULL;
		if (id && cfs_vec_push(&groups, id) < 0)
			free(id);
	}
	cfs_engine_unlock(s->e);
	for (size_t i = 0; i < groups.n; i++) {
		const char *a[] = {groups.v[i]};
		struct cfs_cmd *c;
		const char *why = NULL;
		if (cfs_cmd_new(&c, CFS_OP_GROUP_EVACUATE, 1, a) == 0 &&
		    cfs_engine_run(s->e, c, &why) < 0)
			LOG(s, LOG_WARNING, "clean stop: group %s: %s", (char *)groups.v[i],
			    why ? why : "refused");
		free(groups.v[i]);
	}
	cfs_vec_free(&groups);
	wake(s);
	int64_t end = cfs_mono_ns() + (int64_t)limit_ms * 1000000;
	while (node_busy(s)) {
		if (cfs_mono_ns() > end) {
			LOG(s, LOG_WARNING, "clean stop: resources still running after %u ms",
			    limit_ms);
			return -ETIME;
		}
		usleep(20000);
	}
	return 0;
}

void cfs_supervisor_free(struct cfs_supervisor *s)
{
	if (!s)
		return;
	cfs_engine_remove_listener(s->e, s);
	s->stopping = true;
	if (s->wake_fd >= 0)
		wake(s);
	pthread_mutex_lock(&s->lock);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->loop_started)
		pthread_join(s->loop, NULL);
	if (s->scanner_started)
		pthread_join(s->scanner, NULL);
	/* Workers still running: kill their actions and wait for them. */
	pthread_mutex_lock(&s->lock);
	while (s->workers > 0) {
		for (size_t i = 0; i < s->rts.cap; i++) {
			struct rt *rt = s->rts.slots ? s->rts.slots[i].val : NULL;
			if (rt && rt->pgid)
				cfs_proc_kill_group(rt->pgid);
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < s->rts.cap; i++) {
		struct rt *rt = s->rts.slots ? s->rts.slots[i].val : NULL;
		if (rt) {
			rt_unwatch(rt);
			free(rt->report);
			free(rt);
		}
	}
	cfs_smap_free(&s->rts);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->ocf_root);
	free(s->run_dir);
	free(s);
}
