/* SPDX-License-Identifier: MIT */
/* Child processes for agents: each in a session (and so a process group)
 * of its own, with the default signal dispositions and an empty signal
 * mask, stdin on /dev/null, no descriptor of the daemon's but its own.
 *
 * Spawning uses posix_spawn (vfork-like), which is safe from a threaded
 * daemon. Nothing here takes a lock or logs; the calls block only the
 * calling thread, each for at most its timeout. */
#ifndef CFS_PROC_H
#define CFS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* Runs argv (argv[0] a path) in cwd (NULL: "/") with envp, its stdout and
 * stderr captured into *out (NULL: discarded; at most 64 KiB kept), and
 * waits for it to exit, at most timeout_ms. On timeout its whole process
 * group is killed (SIGKILL), nothing of it is left running, and -ETIME is
 * returned. *ret_pgid (may be NULL) is set to its process group as soon as
 * it runs, so another thread can kill it meanwhile (cfs_proc_kill_group).
 * Returns 0 with *ret_status its exit code (128 + signal when a signal
 * ended it), or -errno when it could not run. Descendants that leave the
 * group keep running, and a descendant that keeps the output open does not
 * hold the call up: the output is what was written until the exit. */
int cfs_proc_run(char *const argv[], char *const envp[], const char *cwd, int timeout_ms,
		 struct cfs_buf *out, int *ret_status, volatile pid_t *ret_pgid);

/* Starts argv as a long-running process in cwd, its stdout and stderr
 * appended to out_path (NULL: /dev/null). 0 with *ret_pid, or -errno
 * (-ENOENT: the program does not exist). The caller reaps it. */
int cfs_proc_spawn(char *const argv[], char *const envp[], const char *cwd, const char *out_path,
		   pid_t *ret_pid);

/* SIGKILL to a process group. */
void cfs_proc_kill_group(pid_t pgid);
/* True while some process of the group lives. */
bool cfs_proc_group_alive(pid_t pgid);

/* A process's start time (clock ticks since boot, /proc/PID/stat field
 * 22), to tell it from a later process with the same pid; 0 when it does
 * not exist or is a zombie. */
uint64_t cfs_proc_start_time(pid_t pid);
/* A descriptor that polls readable when pid exits (pidfd_open), or -errno. */
int cfs_proc_pidfd(pid_t pid);

#endif
