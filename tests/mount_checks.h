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

/* stdout of a script run with the prefix pre; asserts exit status 0. */
char *out_of_pre(const char *pre, const char *script);
/* Asserts the script's stdout. */
void expect_out_pre(const char *pre, const char *expect, const char *script);
/* Asserts that the script fails with errtext on stderr. */
void expect_err_pre(const char *pre, const char *errtext, const char *script);
/* s with newlines and control bytes escaped (malloc'd). */
char *esc(const char *s);

/* Each test file defines PRE (its scripts' common prelude). */
#define out_of(script) out_of_pre(PRE, script)
#define expect_out(expect, script) expect_out_pre(PRE, expect, script)
#define expect_err(errtext, script) expect_err_pre(PRE, errtext, script)

#endif
