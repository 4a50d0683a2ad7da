/* SPDX-License-Identifier: MIT */
/* The FUSE glue: low-level handlers over the engine's model (the table is
 * fs_ops.c's; fs_i.h lists the files behind it), and the notifier that
 * keeps the kernel's caches exact and raises inotify events for every
 * change (fs_notify.h). */
#ifndef CFS_FS_H
#define CFS_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

struct cfs_notify;
struct cfs_fsports;
struct cfs_fh;
struct cfs_fsagents;

struct cfs_fs {
	struct cfs_engine *e;
	struct fuse_session *se; /* set before the loop starts */
	uint32_t admin_gid;	 /* group allowed to change things */
	double timeout;		 /* entry and attribute timeout, seconds */
	struct cfs_notify *notify;
	struct cfs_fsports *ports; /* ports/ and the event log (fs_ports*.c) */
	struct cfs_fsagents *agents; /* resource agents (fs_agents.c) */
	/* Every open file but the ports' (fs_ops.c), so that those the
	 * kernel never released are freed when the session ends. The lock
	 * is initialized by the session's init. */
	pthread_mutex_t fh_lock;
	struct cfs_fh *fh_open; /* guarded by fh_lock */
	/* The smallest WRITE request that may be a piece of a longer write():
	 * the kernel cuts a write() into requests of at most max_write bytes
	 * (fewer when the caller's buffer does not start on a page), and a
	 * piece already answered cannot be taken back. Set by init. */
	size_t write_piece;
	/* The kernel opens directories itself (FUSE_CAP_NO_OPENDIR_SUPPORT):
	 * no OPENDIR and RELEASEDIR round trips, and every listing cached
	 * until an invalidation or a new mtime. Set by init. */
	bool no_opendir;
	/* The most self-ops (inotify replays, fs_notify.c) that may wait for
	 * their replay before the next commit waits for them; 0: the default
	 * (CFS_REPLAY_BACKLOG_DEFAULT). */
	size_t replay_backlog;
};

#define CFS_REPLAY_BACKLOG_DEFAULT 65536

extern const struct fuse_lowlevel_ops cfs_fs_ops;

#endif
