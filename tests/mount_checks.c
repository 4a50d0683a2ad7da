/* SPDX-License-Identifier: MIT */
/* Checks shared by the mount tests: the daemon must stop cleanly at the
 * end of every test, and a failing check shows the daemon's state. */
#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mount_checks.h"
#include "mount_harness.h"

/* Stopping the daemon at the end of a test: SIGTERM must stop it and
 * remove its mount within 5 s (README: "SIGTERM ... stop it cleanly").
 * When it hangs, its FUSE connection is aborted so that nothing stays
 * stuck on the mount, and the test fails. */
int stop_status;	 /* the daemon's wait status */
bool stop_was_zombie; /* it had died, but a thread of it was stuck */

bool stop_daemon_or_abort(void)
{
	stop_status = 0;
	stop_was_zombie = false;
	if (M.pid <= 0)
		return true;
	pid_t pid = M.pid;
	char path[64], st = '?';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f && fscanf(f, "%*d (%*[^)]) %c", &st) == 1 && st == 'Z')
		stop_was_zombie = true;
	if (f)
		fclose(f);
	kill(pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &stop_status, WNOHANG) == pid) {
			M.pid = 0;
			return true;
		}
		usleep(10000);
	}
	char cmd[2 * PATH_MAX + 512];
	snprintf(cmd, sizeof(cmd),
		 ABORT_MOUNT_SH("'%s'"),
		 M.mnt);
	if (system(cmd) != 0) {
		/* Best effort. */
	}
	kill(pid, SIGKILL);
	for (int i = 0; i < 500 && waitpid(pid, NULL, WNOHANG) != pid; i++)
		usleep(10000);
	M.pid = 0;
	return false;
}

void stop_check(bool check_mount)
{
	bool stopped = stop_daemon_or_abort();
	cr_assert(stopped || !stop_was_zombie,
		  "the daemon had died, but one of its threads was stuck in a request on its own "
		  "mount, so the mount hung; its FUSE connection had to be aborted");
	cr_assert(stopped, "the daemon did not exit within 5 s of SIGTERM (its shutdown hangs); "
			   "its FUSE connection had to be aborted");
	cr_assert(!WIFSIGNALED(stop_status), "the daemon died of signal %d (%s)",
		  WTERMSIG(stop_status), strsignal(WTERMSIG(stop_status)));
	cr_assert(WIFEXITED(stop_status) && WEXITSTATUS(stop_status) == 0,
		  "the daemon exited with status %d on SIGTERM", WEXITSTATUS(stop_status));
	if (!check_mount)
		return;
	char *o = NULL;
	sh(&M, &o, NULL, "grep -c \" $M \" /proc/mounts || true");
	cr_assert_str_eq(o, "0\n", "the daemon stopped but left its mount");
	free(o);
}

/* The fixture's teardown, made safe against a daemon that hung or died:
 * its connection is aborted (nothing stays stuck on the mount), and every
 * mount left at the mount point is detached (mnt_cleanup may leave a dead
 * one, or one below a newer one) before the directory is removed. */
void teardown(void)
{
	char dir[sizeof(M.dir)], mnt[sizeof(M.mnt)];
	snprintf(dir, sizeof(dir), "%s", M.dir);
	snprintf(mnt, sizeof(mnt), "%s", M.mnt);
	stop_daemon_or_abort();
	char cmd[4 * PATH_MAX];
	snprintf(cmd, sizeof(cmd),
		 ABORT_MOUNT_SH("'%s'"),
		 mnt);
	if (dir[0] && system(cmd) != 0) {
		/* Best effort. */
	}
	mnt_teardown();
	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd),
		 "for i in 1 2 3 4 5 6 7 8; do grep -q ' %s ' /proc/mounts || break; umount -l '%s'; done; "
		 "rm -rf '%s'",
		 mnt, mnt, dir);
	if (system(cmd) != 0) {
		/* Best effort. */
	}
}

/* For a failed check: whether the daemon died meanwhile, with the end of
 * its log (empty when it is alive). */
char *daemon_note(void)
{
	bool dead = false;
	if (M.pid > 0) {
		char path[64], st = '?';
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)M.pid);
		FILE *f = fopen(path, "r");
		dead = !f || fscanf(f, "%*d (%*[^)]) %c", &st) != 1 || st == 'Z';
		if (f)
			fclose(f);
	}
	if (!dead)
		return strdup("");
	char *log = NULL, *r = NULL;
	sh(&M, &log, NULL, "tail -n 8 \"$D/daemon.log\"");
	if (asprintf(&r, "\n--- the daemon died; the end of its log:\n%s", log ? log : "") < 0)
		r = NULL;
	free(log);
	return r ? r : strdup("");
}

char *esc(const char *s)
{
	char *r = malloc(strlen(s) * 4 + 1), *p = r;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			p += sprintf(p, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	*p = '\0';
	return r;
}

/* Runs the script (after pre), asserts that it exits 0, returns stdout. */
char *out_of_pre(const char *pre, const char *script)
{
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e, "%s%s", pre, script);
	if (rc != 0) {
		/* The message goes to a static buffer and the strings are
		 * freed first: the failed assertion ends the test at once, and
		 * a leak found at exit would be reported as one more failure. */
		static char msg[65536];
		char *n = daemon_note();
		snprintf(msg, sizeof(msg), "script failed (%d%s):\n%s\n--- stderr:\n%s%s", rc,
			 rc == 137 ? ": killed after 20 s, it hung" : "", script, e ? e : "", n);
		free(n);
		free(e);
		free(o);
		cr_assert_fail("%s", msg);
	}
	free(e);
	return o;
}

/* Runs the script (after pre) and compares its stdout. */
void expect_out_pre(const char *pre, const char *expect, const char *script)
{
	char *o = out_of_pre(pre, script);
	if (strcmp(o, expect) != 0) {
		char *eo = esc(o), *ee = esc(expect), *n = daemon_note();
		cr_assert_fail("script:\n%s\n--- got:      %s\n--- expected: %s%s", script, eo, ee, n);
	}
	free(o);
}

/* Runs the script (after pre); it must fail with errtext on stderr. */
void expect_err_pre(const char *pre, const char *errtext, const char *script)
{
	char *e = NULL;
	int rc = shrc(&e, "%s%s", pre, script);
	cr_assert_neq(rc, 0, "script succeeded, expected \"%s\":\n%s", errtext, script);
	if (!strstr(e, errtext)) {
		char *n = daemon_note();
		cr_assert_fail("expected \"%s\" from:\n%s\n--- stderr:\n%s%s", errtext, script, e, n);
	}
	free(e);
}

