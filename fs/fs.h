/* SPDX-License-Identifier: MIT */
/* The FUSE glue: low-level handlers over the engine's model, and the
 * invalidation thread that keeps the kernel's caches exact. */
#ifndef CFS_FS_H
#define CFS_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <stdint.h>

#include "engine.h"

struct cfs_inval;

struct cfs_fs {
	struct cfs_engine *e;
	struct fuse_session *se; /* set before the loop starts */
	uint32_t admin_gid;	 /* group allowed to change things */
	double timeout;		 /* entry and attribute timeout, seconds */
	struct cfs_inval *inval;
};

extern const struct fuse_lowlevel_ops cfs_fs_ops;

/* Starts the invalidation thread and hooks it to the engine's commits.
 * Call after fs->se is set. 0/-errno. */
int cfs_inval_start(struct cfs_fs *fs);
/* Stops it; queued work is dropped (the mount is going away). */
void cfs_inval_stop(struct cfs_fs *fs);

#endif
