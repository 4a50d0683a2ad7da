/* SPDX-License-Identifier: MIT */
/* The notifier: after every commit it makes the kernel's caches exact and
 * raises, through the mount itself, the inotify events a local file system
 * would have raised for the change.
 *
 * The kernel raises no inotify event for a change a FUSE daemon makes on
 * its own. So the notifier thread replays each change as an ordinary
 * system call on the mount (mkdir, mknod, symlink, unlink, rmdir, rename,
 * open+ftruncate+close, utimensat): a "self-op". The handlers recognise
 * the notifier's requests by the caller's thread id and only acknowledge
 * them, since the change is already committed. The kernel then raises the
 * event, after the reply, when the new state is already readable.
 *
 * The system calls themselves are made by a child process, the replayer
 * (fs_replay.h), so that a killed daemon never hangs its own mount, and
 * through a clone of the mount that no namespace shows, so that they never
 * make the mount point busy for an unmount.
 *
 * For a self-op to pass the kernel's path walk, the handlers show the
 * notifier a slightly different tree. The name it is about to create is
 * hidden (LOOKUP says ENOENT). The names it is about to remove or rename
 * away are still there as tombstones with their old inode numbers. Both
 * are set per self-op; the handlers (fs_ops.c) ask cfs_notify_lookup()
 * and cfs_notify_tomb_*() below.
 *
 * A change made by a user's own system call (mkdir, write, rename, ...)
 * already gets its event from the kernel. Its batch carries a
 * `struct cfs_origin`, and the notifier skips exactly that one self-op.
 * The other effects of the same command still get theirs: the resources
 * that follow their group, the group's derived state. */
#ifndef CFS_FS_NOTIFY_H
#define CFS_FS_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs.h"
#include "cfs_limits.h"

/* What a user's system call changed, which the kernel reports itself. */
struct cfs_origin {
	enum {
		CFS_ORIGIN_NONE,
		CFS_ORIGIN_CREATE, /* ino = parent directory, name */
		CFS_ORIGIN_DELETE, /* ino = parent directory, name */
		CFS_ORIGIN_RENAME, /* ino = parent directory, name = old name */
		CFS_ORIGIN_WRITE,  /* ino = the file written */
		CFS_ORIGIN_ATTRIB, /* ino = the file or directory */
	} what;
	uint64_t ino;
	char name[CFS_NAME_MAX + 1];
};

/* True when req comes from the notifier thread. */
bool cfs_notify_is_self(struct cfs_fs *fs, fuse_req_t req);

/* A user's call whose change carries an origin was answered (fs_pending.c,
 * on the committer thread, after the commit's listeners): the rest of that
 * commit is replayed after it (fs_notify.c, wait_answered). */
void cfs_notify_answered(struct cfs_fs *fs);

/* For the notifier's LOOKUPs: returns 1 if (parent, name) is hidden, 2 if
 * it is a tombstone (ino and mode filled), 0 otherwise. */
int cfs_notify_lookup(struct cfs_fs *fs, uint64_t parent, const char *name, uint64_t *ret_ino,
		      mode_t *ret_mode);
/* For the notifier's OPEN and SETATTR: false when its modification or
 * touch reached another inode than the one it is for (the name was reused
 * since): the handler refuses it (ENOENT), and no event is raised. */
bool cfs_notify_self_target(struct cfs_fs *fs, uint64_t ino);
/* The tombstone for (parent, name) whatever the op: 0 or -ENOENT. */
int cfs_notify_tomb_entry(struct cfs_fs *fs, uint64_t parent, const char *name,
			  uint64_t *ret_ino, mode_t *ret_mode);
/* For the notifier's GETATTR/SETATTR on a tombstone: 0 and mode, or -ENOENT. */
int cfs_notify_tomb_mode(struct cfs_fs *fs, uint64_t ino, mode_t *ret_mode);

/* Starts the notifier thread (after fs->se is set) and hooks it to the
 * engine's commits. mnt is the mount point's path, dev the mount's device
 * as the mount table shows it (0: not known). 0/-errno. */
struct cfs_replayer;
int cfs_notify_start(struct cfs_fs *fs, const char *mnt, dev_t dev, struct cfs_replayer *rp);

/* Stopping (README "Stopping"). The replays of acknowledged changes that
 * are still owed when the daemon stops are made for a bounded time
 * (cfs_notify_drain, while the session still serves), and dropped after
 * it: a watcher then gets IN_UNMOUNT when the file system goes, as for
 * any unmount, and the changes are on disk. */

/* Waits up to ms for the replays of every change committed so far (the
 * session must still serve them). True when none is left. Any thread. */
bool cfs_notify_drain(struct cfs_fs *fs, long ms);
/* The mount point was unmounted: no more replays (the replayer goes, and
 * with it its clone of the mount, so that the session ends once nobody
 * else has the file system open); invalidations go on for files still
 * open. Any thread, while the notifier runs; idempotent. */
void cfs_notify_detach(struct cfs_fs *fs);
/* The session loop has ended: nobody waits for the notifier any more, and
 * what is queued is dropped. Does not wait for its threads, which may be
 * in a request until the session's device closes. Idempotent. */
void cfs_notify_quiesce(struct cfs_fs *fs);
/* Quiesces, unhooks and joins it (after the session's device is closed),
 * and frees it. */
void cfs_notify_stop(struct cfs_fs *fs);

#endif
