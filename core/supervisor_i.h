/* SPDX-License-Identifier: MIT */
/* The supervisor (supervisor.h), inside: what its files share.
 *
 *   supervisor.c       start, clean stop (drain) and free; the main loop
 *                      and its decisions; the OCF agents' scanner
 *   supervisor_jobs.c  the workers: start, stop, monitor and probe jobs,
 *                      and the reports they send
 *   supervisor_view.c  snapshots of the model into views, the parameters'
 *                      hash, the runtime table (struct rt)
 *
 * Calls run one way: supervisor.c -> supervisor_jobs.c -> supervisor_view.c.
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
#ifndef CFS_SUPERVISOR_I_H
#define CFS_SUPERVISOR_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "agent.h"
#include "hmap.h"
#include "supervisor.h"

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
	bool seen;	    /* in the main loop's last snapshot */
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

#define LOG(s, prio, ...)                          \
	do {                                       \
		if ((s)->log)                      \
			(s)->log(prio, __VA_ARGS__); \
	} while (0)

/* Wakes the main loop. */
static inline void cfs_sup_wake(struct cfs_supervisor *s)
{
	uint64_t one = 1;
	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is full: the loop is awake anyway. */
	}
}

/* supervisor_view.c */
void cfs_sup_view_free(struct view *v);
void cfs_sup_views_free(struct cfs_vec *vs); /* frees the views and vs's array */
uint64_t cfs_sup_params_hash(const struct view *v);
/* Every resource that runs an agent, appended to out as struct view *.
 * Takes the engine's read lock. 0 or -ENOMEM (out holds what was taken). */
int cfs_sup_snapshot(struct cfs_supervisor *s, struct cfs_vec *out);
/* The runtime entry of resource id, made when missing; NULL: no memory.
 * These three: lock held (or the supervisor's threads gone). */
struct rt *cfs_sup_rt_get(struct cfs_supervisor *s, const char *id);
void cfs_sup_rt_unwatch(struct rt *rt);
void cfs_sup_rt_watch(struct rt *rt, pid_t pid);

/* supervisor_jobs.c */
/* Hands v to a new worker for job (lock held; takes v's content and marks
 * rt busy); false when no worker could start (v is left as it was). */
bool cfs_sup_dispatch(struct cfs_supervisor *s, struct rt *rt, enum job job, struct view *v);

#endif
