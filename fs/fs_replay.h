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
 * Spawn it before any thread exists. Calls are serialized by the caller
 * (only the notifier thread uses it). */
#ifndef CFS_FS_REPLAY_H
#define CFS_FS_REPLAY_H

#include <sys/stat.h>
#include <sys/types.h>

enum cfs_replay_op {
	CFS_R_STAT,   /* stat(a) */
	CFS_R_LSTAT,  /* lstat(a) */
	CFS_R_MKDIR,  /* mkdir(a) */
	CFS_R_MKNOD,  /* mknod(a, S_IFREG) */
	CFS_R_SYMLINK, /* symlink(b, a) */
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
};

struct cfs_replayer {
	pid_t pid;  /* its requests carry this pid */
	int req_fd; /* to the child */
	int ack_fd; /* from the child */
};

/* Forks the replayer. 0/-errno. */
int cfs_replayer_spawn(struct cfs_replayer *rp);
/* Runs one call in the replayer: 0 or -errno (of the call). */
int cfs_replayer_call(struct cfs_replayer *rp, enum cfs_replay_op op, const char *a,
		      const char *b, struct stat *ret_st);
/* Ends the replayer (it exits when its pipe closes). */
void cfs_replayer_stop(struct cfs_replayer *rp);

#endif
