/* SPDX-License-Identifier: MIT */
/* Resource agents in the daemon (fs_agents.c): the supervisor, and the
 * clean stop that takes this node's resources offline first. */
#ifndef CFS_FS_AGENTS_H
#define CFS_FS_AGENTS_H

#include "fs.h"

/* Starts the supervisor (run directory STATE_DIR/agents; OCF agents under
 * ocf_root, NULL: $OCF_ROOT or /usr/lib/ocf) once the mount and the
 * notifier are up. 0 or -errno. */
int cfs_fsagents_start(struct cfs_fs *fs, const char *state_dir, const char *ocf_root);
/* The clean stop's first step, while the mount still answers: takes this
 * node's resources offline (once; later calls return at once). Called by
 * the daemon's stopper on a stop signal. Safe when never started. */
void cfs_fsagents_drain(struct cfs_fs *fs);
/* After the session loop, before the engine stops: takes this node's
 * resources offline if no signal did already, then stops the supervisor.
 * Safe when never started. */
void cfs_fsagents_stop(struct cfs_fs *fs);

#endif
