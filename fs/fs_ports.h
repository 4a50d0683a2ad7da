/* SPDX-License-Identifier: MIT */
/* The ports/ directory and the event log files, over core/port.h and
 * core/eventlog.h.
 *
 * A reader's blocking read is parked: the request is kept (no worker
 * thread waits) and answered by the waker thread when a commit brings it
 * something (off the engine's committer thread), or with EAGAIN at its
 * deadline ("wait MS") or on "wake", or with EINTR when the kernel
 * interrupts it (Ctrl-C), or with EOF at shutdown. O_NONBLOCK gives EAGAIN; poll keeps
 * the poll handle and notifies it. Event files are direct_io, so nothing
 * is cached and every reader has its own stream; opened for writing they
 * are nonseekable streams, opened read-only seekable files that give one
 * line per read (core/port.h). Every reader and every port made carries
 * its opener's credentials (uid, gid, supplementary groups): they decide
 * what it sees (core/access.h) and count for that user's quotas. */
#ifndef CFS_FS_PORTS_H
#define CFS_FS_PORTS_H

#include <stdbool.h>

#include "fs.h"
#include "port.h"

/* Loads the named ports and builds the log; hooks to the engine's
 * commits (before the notifier, so readers are woken first). lim: the
 * users' quotas (NULL: the defaults). */
int cfs_fsports_start(struct cfs_fs *fs, const char *state_dir,
		      const struct cfs_port_limits *lim);
/* Answers every parked read with EOF (before unmounting). */
void cfs_fsports_shutdown(struct cfs_fs *fs);
void cfs_fsports_free(struct cfs_fs *fs);

/* True when ino belongs to ports/ or the log (this module answers). */
bool cfs_fsports_owns(uint64_t ino);
bool cfs_fsports_owns_dir(uint64_t ino);

/* Handlers for those inodes; each makes exactly one reply. */
void cfs_fsports_lookup(fuse_req_t req, uint64_t parent, const char *name);
void cfs_fsports_getattr(fuse_req_t req, uint64_t ino);
/* plus: a READDIRPLUS reply whose entries carry no inode (nothing of
 * ports/ is cached; the kernel looks each up when it needs it). */
void cfs_fsports_readdir(fuse_req_t req, uint64_t ino, size_t size, off_t off, bool plus);
void cfs_fsports_mkdir(fuse_req_t req, uint64_t parent, const char *name);
void cfs_fsports_rmdir(fuse_req_t req, uint64_t parent, const char *name);
void cfs_fsports_open(fuse_req_t req, uint64_t ino, struct fuse_file_info *fi);
/* These take the fh made by cfs_fsports_open (cfs_fsports_is_fh() tells). */
bool cfs_fsports_is_fh(uint64_t fh);
void cfs_fsports_read(fuse_req_t req, uint64_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi);
void cfs_fsports_write(fuse_req_t req, uint64_t ino, const char *buf, size_t size,
		       struct fuse_file_info *fi);
void cfs_fsports_poll(fuse_req_t req, struct fuse_file_info *fi, struct fuse_pollhandle *ph);
void cfs_fsports_release(fuse_req_t req, struct fuse_file_info *fi);

/* Attributes of a fixed ports/log inode for a directory listing. */
mode_t cfs_fsports_type(uint64_t ino);

#endif
