/* SPDX-License-Identifier: MIT */
/* The replayer: a child process that performs the notifier's system calls
 * on the mount (fs_notify.h).
 *
 * Why a process and not a thread: a thread of the daemon blocked in a
 * request on the daemon's own mount keeps the daemon from ever finishing
 * to die when it is killed (the kernel waits for that request, which only
 * the dead daemon could answer), and every process touching the mount then
 * hangs. A separate process lets a killed daemon die at once: its
 * /dev/fuse descriptor closes, the replayer's request fails, and the
 * replayer dies with its parent (PR_SET_PDEATHSIG).
 *
 * Its own mount. The kernel counts the files and paths in use per mount:
 * a replayer that walked the mount point would make `fusermount3 -u` and
 * `umount` fail with EBUSY whenever they come during a replay. So
 * cfs_replayer_attach() takes a detached clone of the mount
 * (open_tree(OPEN_TREE_CLONE): the same file system on a mount that no
 * namespace shows and no unmount of the mount point counts), and every
 * call after it is made relative to the clone. inotify watches belong to
 * inodes, not to mounts, so watchers on the mount point get the events
 * all the same (fanotify mount marks would not). The file system then
 * lives as long as the clone does: once the mount point is unmounted, the
 * replayer must go (cfs_replayer_kill) for the session to end. A daemon
 * without CAP_SYS_ADMIN takes the clone in a user namespace of its own
 * (a helper process that hands it over and exits). Where neither works
 * (user namespaces disabled), the replayer walks the mount point as
 * before, and an unmount during a replay can be busy.
 *
 * Spawn it before any thread exists. Calls are serialized by the caller
 * (only the notifier thread uses it); cfs_replayer_kill() may come from
 * any thread. */
#ifndef CFS_FS_REPLAY_H
#define CFS_FS_REPLAY_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Every path is relative to the mount ("" is its root). */
enum cfs_replay_op {
	CFS_R_STAT,   /* stat(a) */
	CFS_R_LSTAT,  /* lstat(a) */
	CFS_R_MKDIR,  /* mkdir(a) */
	CFS_R_MKNOD,  /* mknod(a, S_IFREG) */
	CFS_R_SYMLINK, /* symlink(b, a): b is the link's target, as is */
	CFS_R_UNLINK, /* unlink(a) */
	CFS_R_RMDIR,  /* rmdir(a) */
	CFS_R_RENAME, /* rename(a, b) */
	CFS_R_MODIFY, /* open(a, O_WRONLY) + ftruncate to its size + close */
	CFS_R_ATTRIB, /* utimensat(a, NULL) */
	/* stat(b), the directory holding a (its attributes fresh again), then
	 * whether a resolves from the kernel's caches alone: 0, or -EAGAIN
	 * when reaching it would ask the daemon for a name, which waits for
	 * a directory lock a caller of the daemon may hold. */
	CFS_R_CACHED,
	CFS_R_ATTACH, /* a: the mount point (absolute); see cfs_replayer_attach */
};

struct cfs_replayer {
	pid_t pid;  /* its requests carry this pid */
	int req_fd; /* to the child */
	int ack_fd; /* from the child */
};

/* Forks the replayer. 0/-errno. */
int cfs_replayer_spawn(struct cfs_replayer *rp);
/* Tells the replayer where the mount is (mnt: absolute) and has it take
 * its clone of the mount; ret_st: the clone's root. 0, or -errno when
 * there is no clone: then the calls walk mnt itself (ret_st untouched). */
int cfs_replayer_attach(struct cfs_replayer *rp, const char *mnt, struct stat *ret_st);
/* Runs one call in the replayer: 0 or -errno (of the call). */
int cfs_replayer_call(struct cfs_replayer *rp, enum cfs_replay_op op, const char *a,
		      const char *b, struct stat *ret_st);
/* Ends the replayer now (SIGKILL), from any thread: its clone of the
 * mount goes with it once a call in flight returns. Later calls fail.
 * cfs_replayer_stop() still reaps it. */
void cfs_replayer_kill(struct cfs_replayer *rp);
/* Ends the replayer (it exits when its pipe closes) and reaps it.
 * Idempotent. */
void cfs_replayer_stop(struct cfs_replayer *rp);

#endif
