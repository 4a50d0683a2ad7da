/* SPDX-License-Identifier: MIT */
/* The daemon's supervisor of resource agents (core/supervisor.h), and the
 * clean stop that takes this node's resources offline first.
 *
 * A clean stop comes two ways. SIGTERM, SIGINT or SIGHUP: the daemon's
 * stopper (daemon/stop.c) first drains the node (cfs_fsagents_drain:
 * cfs_supervisor_drain) while the mount still answers, so that every
 * transition reaches inotify, ports and the log; then it ends the session.
 * fusermount3 -u: the session has already ended when we learn it, and the
 * drain runs after the loop (cfs_fsagents_stop), with the mount gone.
 * kill -9 drains nothing: what runs keeps running, and the next start's
 * probes find it. */
#include "fs_agents.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "supervisor.h"

struct cfs_fsagents {
	struct cfs_supervisor *sup;
	pthread_mutex_t lock;
	bool drained; /* guarded by lock */
};

void cfs_fsagents_drain(struct cfs_fs *fs)
{
	struct cfs_fsagents *a = fs->agents;
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	bool first = !a->drained;
	a->drained = true;
	pthread_mutex_unlock(&a->lock);
	if (!first)
		return;
	cfs_log(LOG_INFO, "clean stop: taking this node's resources offline");
	if (cfs_supervisor_drain(a->sup) == 0)
		cfs_log(LOG_INFO, "clean stop: nothing of this node runs any more");
}

int cfs_fsagents_start(struct cfs_fs *fs, const char *state_dir, const char *ocf_root)
{
	struct cfs_fsagents *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	char *run_dir;
	if (asprintf(&run_dir, "%s/agents", state_dir) < 0) {
		free(a);
		return -ENOMEM;
	}
	if (!ocf_root)
		ocf_root = getenv("OCF_ROOT") && *getenv("OCF_ROOT") ? getenv("OCF_ROOT")
								     : "/usr/lib/ocf";
	struct cfs_supervisor_config cfg = {
		.engine = fs->e, .ocf_root = ocf_root, .run_dir = run_dir, .log = cfs_log};
	const char *why = NULL;
	int r = cfs_supervisor_start(&cfg, &a->sup, &why);
	free(run_dir);
	if (r < 0) {
		cfs_log(LOG_ERR, "resource agents: %s", why ? why : strerror(-r));
		pthread_mutex_destroy(&a->lock);
		free(a);
		return r;
	}
	fs->agents = a;
	cfs_log(LOG_INFO, "resource agents from %s/resource.d", ocf_root);
	return 0;
}

void cfs_fsagents_stop(struct cfs_fs *fs)
{
	struct cfs_fsagents *a = fs->agents;
	if (!a)
		return;
	cfs_fsagents_drain(fs);
	cfs_supervisor_free(a->sup);
	pthread_mutex_destroy(&a->lock);
	free(a);
	fs->agents = NULL;
}
