/* SPDX-License-Identifier: MIT */
/* How the daemon stops (README "Stopping").
 *
 * A stop starts with SIGTERM, SIGINT or SIGHUP, or with the mount point
 * being unmounted (`fusermount3 -u`, `umount`, the systemd unit's
 * ExecStop). The stopper thread carries it out while the session still
 * serves: it waits up to STOP_DRAIN_MS for the inotify replays still owed
 * (fs_notify.h, cfs_notify_drain), then
 *  - after a signal, gives blocked port readers end-of-file
 *    (cfs_fsports_shutdown) and ends the session loop (fuse_session_exit,
 *    and a SIGURG to the main thread so that its wait ends);
 *  - after an unmount, ends the replayer, whose clone of the mount was the
 *    last user of the file system: the kernel ends the session, unless
 *    files are still open on a lazily unmounted mount, which the daemon
 *    then serves until they are closed.
 * main() then shuts the rest down in order (daemon/main.c). The stopper
 * is also the watchdog: a stop that has not finished STOP_BOUND_MS after
 * the signal or the unmount (or, while open files kept the session, after
 * the loop returned) ends with force_exit (status 1), unless the kernel is
 * still releasing the file system's cached entries (in the replayer's exit,
 * or in main()'s own unmount when the replayer went first), which it then
 * waits for, up to STOP_RELEASE_MAX_MS more. A second
 * signal does the same at once. Forcing loses nothing that was acknowledged (every
 * acknowledged change is on disk): it detaches the mount and exits, and
 * the kernel ends the session and the replayer.
 *
 * Signals: only the main thread takes SIGTERM, SIGINT and SIGHUP (every
 * other thread blocks them: libfuse's workers, core's threads, the
 * stopper). */
#ifndef CFS_DAEMON_STOP_H
#define CFS_DAEMON_STOP_H

#include <stdbool.h>
#include <sys/types.h>

#include "fs.h"

#define STOP_DRAIN_MS 1000
#define STOP_BOUND_MS 4000
#define STOP_RELEASE_MAX_MS 60000

/* Installs the signal handlers (SIGPIPE ignored) on the main thread, in
 * the process that serves (after daemonizing), before any other thread.
 * A signal from then on stops the daemon. 0/-errno. */
int cfs_stop_init(void);
/* Starts the stopper thread (its watchdog covers the start-up too).
 * 0/-errno. */
int cfs_stop_start(void);
/* True once a signal asked for a stop: main() does not mount, or does not
 * enter the loop, then. */
bool cfs_stop_requested(void);
/* The session is mounted on mnt (absolute), with device dev as the mount
 * table shows it: the stopper watches the mount table for the unmount
 * (not when dev is 0: unknown), and a forced exit detaches the mount. */
void cfs_stop_mounted(const char *mnt, dev_t dev);
/* The replayer (fs_replay.h) is pid, a child reaped only by main()
 * (0: none, or reaped): the watchdog lets the kernel's release in its
 * exit finish. */
void cfs_stop_replayer(pid_t pid);
/* main() is in its own unmount (fuse_session_unmount) while on: when the
 * replayer's clone of the mount is gone already, the kernel releases the
 * file system's cached entries there, and the watchdog waits for it as
 * for the replayer's exit. */
void cfs_stop_unmounting(bool on);
/* The session's notifier and ports run: the stopper acts on it from now
 * on. */
void cfs_stop_attach(struct cfs_fs *fs);
/* main(), once the loop returned and after cfs_notify_quiesce(): the
 * stopper no longer acts on the session (waits for an action in
 * progress), and the watchdog runs. */
void cfs_stop_loop_returned(void);
/* True once the stopper saw the mount go from the mount table. */
bool cfs_stop_saw_unmount(void);
/* Ends the stopper thread, after main() unmounted. The handlers stay
 * until the process exits: a signal then changes nothing, a second one
 * exits at once. */
void cfs_stop_finish(void);

#endif
