/* SPDX-License-Identifier: MIT */
/* Mount tests: a real daemon on a temporary mount point and state
 * directory, driven with real tools through bash.
 *
 * mnt_start() runs the daemon in the foreground as a child (it gets
 * SIGTERM if the test process dies, so no mount outlives a crashed test)
 * and waits until the tree is mounted. mnt_stop() stops it, detaches the
 * mount if it is still there and removes the temporary directory; call it
 * from a fixture's .fini so that it runs even when an assertion fails. */
#ifndef CFS_MOUNT_HARNESS_H
#define CFS_MOUNT_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct mnt {
	char dir[256];        /* the temporary directory holding both */
	char mnt[PATH_MAX];   /* DIR/mnt */
	char state[PATH_MAX]; /* DIR/state */
	char log[PATH_MAX];   /* DIR/daemon.log */
	pid_t pid;
};

/* The fixture used by most mount tests: one daemon per test. */
extern struct mnt M;
void mnt_setup(void);
void mnt_teardown(void);

/* Skips the test (cr_skip_test) when FUSE is not usable here. */
void mnt_require_fuse(void);
/* Creates the directories (first call) and starts a daemon; extra is
 * appended to its command line (may be NULL). Asserts on failure. */
void mnt_start(struct mnt *m, const char *extra);
/* SIGTERM and wait (clean shutdown). */
void mnt_stop_daemon(struct mnt *m);
/* SIGKILL: the mount is left behind, as after a crash. */
void mnt_kill9(struct mnt *m);
/* Stops the daemon if running, detaches the mount, removes the dir. */
void mnt_cleanup(struct mnt *m);

/* Runs a bash script with $M set to the mount point, $S to the state
 * dir and $D to the temporary directory. stdout is returned in *out
 * (malloc'd, may be NULL), stderr in *err (may be NULL). Returns the exit
 * status (or 128+signal). */
int sh(struct mnt *m, char **out, char **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Runs a bash script with the environment variables given as name, value
 * pairs (NULL-terminated). Returns the exit status (or 128+signal); stdout
 * and stderr go to *out and *err (malloc'd; either may be NULL). */
int bash_env(const char *const *env, char **out, char **err, const char *script);
/* Shorthand: runs the script on M and returns stdout (malloc'd); asserts
 * that it exits 0. */
char *shout(const char *fmt, ...) __attribute__((format(printf, 1, 2), warn_unused_result));
/* Runs the script on M; returns the exit status; stderr goes to *err. */
int shrc(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A script prelude that kills the script after SECS seconds, so that a
 * request the daemon never answers fails the test instead of hanging it. */
#define WATCHDOG_AFTER(secs) \
	"( sleep " #secs "; kill -KILL $$ ) > /dev/null 2>&1 & trap \"kill $! 2> /dev/null\" EXIT\n"

/* A shell snippet that aborts the FUSE connection of whatever is mounted
 * at MNT (a shell word, e.g. "'%s'" or "\"$M\""), the only way out of a
 * hung mount; fusectl is mounted for it when needed, and unmounted again. */
#define ABORT_MOUNT_SH(MNT) \
	"fc=/sys/fs/fuse/connections; fc_mounted=; " \
	"mountpoint -q $fc || { mount -t fusectl none $fc && fc_mounted=1; }; " \
	"for dev in $(awk -v m=" MNT " '$5 == m { print $3 }' /proc/self/mountinfo); do " \
	"echo 1 > $fc/${dev#*:}/abort; done 2>/dev/null; [ -z \"$fc_mounted\" ] || umount $fc; "

#endif
