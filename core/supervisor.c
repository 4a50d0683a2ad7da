/* SPDX-License-Identifier: MIT */
/* The supervisor (supervisor.h): its start, clean stop (drain) and free;
 * the main loop, which takes a snapshot, decides what each resource needs
 * and hands jobs to workers (supervisor_jobs.c), and waits for commits,
 * timers and process exits; and the scanner of the OCF agents. What the
 * files share, and the concurrency, is in supervisor_i.h. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "agent_scan.h"
#include "apply_i.h"
#include "proc.h"
#include "supervisor_i.h"

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
			cfs_sup_wake(s);
			return;
		}
	}
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
	struct rt *rt = cfs_sup_rt_get(s, v->ctx.res_id);
	if (!rt)
		return;
	rt->seen = true;
	if (rt->busy)
		return;
	if (v->local && v->ctx.timeout_ms > s->drain_ms)
		s->drain_ms = v->ctx.timeout_ms;
	if (rt->report) {
		if (now >= rt->not_before)
			cfs_sup_dispatch(s, rt, JOB_REPORT, v);
		return;
	}
	if (!v->local) {
		if (rt->active && now >= rt->not_before)
			cfs_sup_dispatch(s, rt, JOB_CLEANUP, v);
		return;
	}
	switch (v->state) {
	case CFS_RES_ONLINE_PENDING:
		if (rt->active)
			cfs_sup_dispatch(s, rt, JOB_RESTART_STOP, v);
		else if (v->providers_online && !s->draining)
			cfs_sup_dispatch(s, rt, JOB_START, v);
		break;
	case CFS_RES_OFFLINE_PENDING:
		if (dependents_stopped(s, views, v))
			cfs_sup_dispatch(s, rt, JOB_STOP, v);
		break;
	case CFS_RES_ONLINE:
		if (rt->app_exited || (v->monitor_ms && now >= monitor_due(rt, v)))
			cfs_sup_dispatch(s, rt, JOB_MONITOR, v);
		break;
	default:
		if (rt->active && now >= rt->not_before)
			cfs_sup_dispatch(s, rt, JOB_CLEANUP, v);
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

/* Forgets the resources that are gone from the model and of which
 * nothing is left here: nothing in flight, nothing that may run, no
 * report to send, no process watched (lock held). The others' marks are
 * cleared for the next round. */
static void forget_gone(struct cfs_supervisor *s)
{
	for (size_t i = 0; i < s->rts.cap; i++) {
		struct rt *rt = s->rts.slots[i].val;
		if (!rt)
			continue;
		if (rt->seen || rt->busy || rt->active || rt->report || rt->app_pidfd >= 0) {
			rt->seen = false;
			continue;
		}
		/* A deletion leaves a tombstone: the walk goes on safely. */
		cfs_smap_del(&s->rts, rt->id);
		free(rt);
	}
}

size_t cfs_supervisor_tracked(struct cfs_supervisor *s)
{
	pthread_mutex_lock(&s->lock);
	size_t n = s->rts.n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* --- the main loop --- */

static void probe_all(struct cfs_supervisor *s)
{
	struct cfs_vec views = {0};
	if (cfs_sup_snapshot(s, &views) < 0)
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
		struct rt *rt = cfs_sup_rt_get(s, v->ctx.res_id);
		/* Probes run a few at a time, each within its timeout. */
		while (rt && !s->stopping && s->workers >= 8)
			pthread_cond_wait(&s->cond, &s->lock);
		if (rt && !s->stopping && (v->local || v->ctx.kind == CFS_AGENT_APP))
			cfs_sup_dispatch(s, rt, JOB_PROBE, v);
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
	cfs_sup_views_free(&views);
}

static void *loop_main(void *arg)
{
	struct cfs_supervisor *s = arg;
	probe_all(s);
	while (!s->stopping) {
		struct cfs_vec views = {0};
		if (cfs_sup_snapshot(s, &views) < 0) {
			cfs_sup_views_free(&views);
			usleep(100000);
			continue;
		}
		int64_t now = cfs_mono_ns();
		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < views.n; i++)
			decide(s, &views, views.v[i], now);
		forget_gone(s);
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
		cfs_sup_views_free(&views);
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
	bool busy = cfs_sup_snapshot(s, &views) < 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; !busy && i < views.n; i++) {
		struct view *v = views.v[i];
		struct rt *rt = cfs_smap_get(&s->rts, v->ctx.res_id);
		busy = (rt && (rt->busy || rt->active)) ||
		       (v->local && (v->state == CFS_RES_ONLINE ||
				     v->state == CFS_RES_OFFLINE_PENDING));
	}
	pthread_mutex_unlock(&s->lock);
	cfs_sup_views_free(&views);
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
	cfs_sup_wake(s);
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
		cfs_sup_wake(s);
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
		struct timespec ts = cfs_deadline_us(100 * 1000);
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < s->rts.cap; i++) {
		struct rt *rt = s->rts.slots ? s->rts.slots[i].val : NULL;
		if (rt) {
			cfs_sup_rt_unwatch(rt);
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
