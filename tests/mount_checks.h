/* SPDX-License-Identifier: MIT */
/* Checks shared by the mount tests (mount_checks.c). */
#ifndef CFS_MOUNT_CHECKS_H
#define CFS_MOUNT_CHECKS_H

#include <stdbool.h>

extern int stop_status;	     /* the daemon's wait status after stop_daemon_or_abort() */
extern bool stop_was_zombie; /* it had died, but a thread of it was stuck */

/* SIGTERM; the daemon must stop and unmount within 5 s, else its
 * connection is aborted. True when it stopped cleanly. */
bool stop_daemon_or_abort(void);
/* Stops the daemon and asserts that it stopped cleanly (and, with
 * check_mount, that nothing is left mounted). */
void stop_check(bool check_mount);
/* The fixture's teardown, safe against a hung or dead daemon. */
void teardown(void);
/* A note on the daemon's state and the end of its log (malloc'd). */
char *daemon_note(void);

#endif
