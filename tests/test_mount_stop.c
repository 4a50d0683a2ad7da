/* SPDX-License-Identifier: MIT */
/* Stopping (README "Stopping"): `fusermount3 -u` succeeds on its first
 * call whatever the daemon is doing, SIGTERM stops it at any moment, a
 * second signal at once, and the systemd unit's own commands stop it; the
 * daemon is gone within 5 s with status 0 (1 when forced), leaves no
 * replayer, no mount and no lock behind, and the next start finds every
 * change that was acknowledged.
 *
 * Each test loops: start, a burst of changes, the stop at once, checks;
 * the next round's start is the restart that checks the round before. A
 * burst is a control write of a few hundred lines (registry values, groups
 * and resources brought online, whose states the daemon then changes
 * itself), a flood of ports (made, filtered, opened anonymously, removed,
 * and records for all of them) and, in the signal tests, writers and port
 * readers still busy in the background when the signal comes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mount_checks.h"
#include "mount_harness.h"

#define ROUNDS 20

/* Scripts that must not hang the test: killed after 60 s. They never cd
 * into the mount, which would make it busy. */
#define PRE WATCHDOG_AFTER(60) "set -e -o pipefail; export LC_ALL=C\n"

static void setup(void)
{
	mnt_require_fuse();
}

static void stop_teardown(void)
{
	if (M.dir[0]) {
		char *o = NULL;
		sh(&M, &o, NULL, "[ -f \"$D/bg.pids\" ] && for p in $(cat \"$D/bg.pids\"); do "
				 "kill $p 2>/dev/null; done; true");
		free(o);
	}
	teardown();
}

TestSuite(stop, .init = setup, .fini = stop_teardown, .timeout = 300);

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The daemon's children: its replayer (fs_replay.h). */
static pid_t replayer_of(pid_t daemon)
{
	char *o = NULL;
	sh(&M, &o, NULL, "pgrep -P %d | head -n 1", (int)daemon);
	pid_t p = o ? (pid_t)atoi(o) : 0;
	free(o);
	return p;
}

/* Waits up to ms for pid (a child) to exit; its wait status then. */
static bool wait_exit(pid_t pid, int ms, int *ret_status)
{
	int64_t until = mono_ms() + ms;
	do {
		if (waitpid(pid, ret_status, WNOHANG) == pid)
			return true;
		usleep(5000);
	} while (mono_ms() < until);
	return false;
}

/* The end of the daemon's log and what its threads wait for (malloc'd). */
static char *state_note(pid_t pid)
{
	char *o = NULL;
	sh(&M, &o, NULL,
	   "for t in /proc/%d/task/*; do echo \"thread $(cat $t/comm 2>/dev/null): "
	   "$(cat $t/wchan 2>/dev/null)\"; done; grep \" $M \" /proc/self/mountinfo; "
	   "tail -n 12 \"$D/daemon.log\"",
	   (int)pid);
	return o ? o : strdup("");
}

/* The daemon must be gone within ms of t0 with exit status want; then no
 * replayer, no mount and no lock may be left. */
static void expect_stopped(const char *how, int round, int64_t t0, int ms, int want,
			   pid_t replayer)
{
	pid_t pid = M.pid;
	int st = 0;
	bool gone = wait_exit(pid, ms - (int)(mono_ms() - t0), &st);
	if (!gone) {
		char *n = state_note(pid);
		stop_daemon_or_abort();
		cr_assert_fail("round %d, %s: the daemon was still there %d ms later\n%s", round, how,
			       ms, n);
	}
	M.pid = 0;
	int64_t took = mono_ms() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != want) {
		char *o = NULL;
		sh(&M, &o, NULL, "tail -n 12 \"$D/daemon.log\"");
		cr_assert_fail("round %d, %s: the daemon ended with %s %d (wanted status %d) "
			       "after %lld ms\n%s",
			       round, how, WIFEXITED(st) ? "status" : "signal",
			       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), want, (long long)took,
			       o);
	}
	/* The replayer dies with the daemon (it may stay a zombie of init's
	 * for a moment). */
	char *o = NULL;
	int rc = sh(&M, &o, NULL,
		    "for i in $(seq 100); do s=$(awk '{print $3}' /proc/%d/stat 2>/dev/null || true); "
		    "[ -z \"$s\" ] || [ \"$s\" = Z ] && break; sleep 0.01; done\n"
		    "s=$(awk '{print $3}' /proc/%d/stat 2>/dev/null || true)\n"
		    "[ -z \"$s\" ] || [ \"$s\" = Z ] || echo \"the replayer %d is still there ($s)\"\n"
		    "grep -q \" $M \" /proc/self/mountinfo && echo 'the mount is still there'\n"
		    "flock -n \"$S/lock\" true || echo 'the state directory is still locked'\n"
		    "true",
		    (int)replayer, (int)replayer, (int)replayer);
	cr_assert(rc == 0 && o && !o[0], "round %d, %s: left behind: %s", round, how, o);
	free(o);
}

/* A burst that is over when the script returns and leaves nothing open
 * on the mount. Acknowledged changes go to $D/acked. */
#define BURST                                                                                      \
	"{ echo \"reg-create-key It$I\"\n"                                                         \
	"  for j in $(seq 200); do echo \"reg-set It$I v$j REG_SZ i$I-$j\"; done\n"               \
	"  for g in 1 2 3 4 5; do echo \"group-create g$I-$g\"\n"                                  \
	"    echo \"resource-create r$I-$g \\\"IP Address\\\" g$I-$g\"; echo \"group-online g$I-$g\"; done\n" \
	"} > \"$D/b$I\"\n"                                                                         \
	"cat \"$D/b$I\" > \"$M/control\"\n"                                                        \
	"echo \"It$I\" >> \"$D/acked\"\n"                                                          \
	"for p in $(seq 8); do mkdir \"$M/ports/f$I-$p\"; echo all > \"$M/ports/f$I-$p/filter\"; done\n" \
	"for p in $(seq 8); do exec 4<>\"$M/ports/clone\"; echo all >&4; exec 4>&-; done\n"       \
	"for j in $(seq 100); do echo \"reg-set It$I w$j REG_DWORD $j\"; done > \"$D/c$I\"\n"     \
	"cat \"$D/c$I\" > \"$M/control\"\n"                                                        \
	"echo \"Itw$I\" >> \"$D/acked\"\n"                                                         \
	"for p in $(seq 4); do rmdir \"$M/ports/f$I-$p\"; done\n"                                  \
	"for g in 1 2 3; do echo \"group-offline g$I-$g\"; done > \"$M/control\"\n"          \
	"echo \"group-create z$I\" > \"$M/control\"\n"

/* Still busy when the script returns: a writer of one value per write,
 * readers of four ports, and a second big write. $D/acked.mid gets what
 * was acknowledged. The writers' descriptors are opened here, while the
 * mount is surely there: a path opened after the stop would lead to the
 * directory below it. */
#define BACKGROUND                                                                                 \
	"echo \"reg-create-key Mid$I\" > \"$M/control\"\n"                                         \
	"exec 7>\"$M/control\" 8>\"$M/control\"\n"                                                \
	"( exec 8>&-; n=0\n"                                                                      \
	"  while [ $n -lt 100000 ]; do n=$((n + 1))\n"                                             \
	"    echo \"reg-set Mid$I w$n REG_SZ m$I-$n\" >&7 || break\n"                             \
	"    echo \"Mid$I $n\" >> \"$D/acked.mid\"; done ) 2> /dev/null &\n"                      \
	"echo $! >> \"$D/bg.pids\"\n"                                                              \
	"exec 7>&-\n"                                                                              \
	"for p in 5 6 7 8; do cat \"$M/ports/f$I-$p/events\" > /dev/null 2>&1 &\n"                 \
	"  echo $! >> \"$D/bg.pids\"; done\n"                                                      \
	"for j in $(seq 300); do echo \"reg-set It$I x$j REG_SZ y$j\"; done > \"$D/x$I\"\n"       \
	"( cat \"$D/x$I\" >&8 && echo \"Itx$I\" >> \"$D/acked\" ) 2> /dev/null &\n"              \
	"echo $! >> \"$D/bg.pids\"\n"                                                              \
	"exec 8>&-\n"

/* After a restart: everything that round I acknowledged is there. */
#define CHECK_ACKED                                                                                \
	"want() { for j in $(seq 200); do echo \"$M/registry/It$I/v$j:i$I-$j\"; done\n"            \
	"  grep -qx \"Itw$I\" \"$D/acked\" && for j in $(seq 100); do echo \"$M/registry/It$I/w$j:$j\"; done\n" \
	"  grep -qx \"Itx$I\" \"$D/acked\" && for j in $(seq 300); do echo \"$M/registry/It$I/x$j:y$j\"; done\n" \
	"  { cat \"$D/acked.mid\" 2> /dev/null || true; } | awk -v k=\"Mid$I\" -v m=\"$M\" -v i=\"$I\" \\\n" \
	"    '$1 == k { printf \"%%s/registry/%%s/w%%s:m%%s-%%s\\n\", m, k, $2, i, $2 }'; }\n"            \
	"if grep -qx \"It$I\" \"$D/acked\"; then\n"                                                \
	"  want | sort > \"$D/want\"\n"                                                            \
	"  { grep -r . \"$M/registry/It$I\"; grep -r . \"$M/registry/Mid$I\" 2> /dev/null || true; } | sort > \"$D/have\"\n" \
	"  comm -23 \"$D/want\" \"$D/have\" | head -n 5\n"                                         \
	"  for g in 1 2 3 4 5; do [ -d \"$M/groups/g$I-$g\" ] && [ -d \"$M/resources/r$I-$g\" ] || echo \"no g$I-$g\"; done\n" \
	"  [ -d \"$M/groups/z$I\" ] || echo \"no z$I\"\n"                                             \
	"fi\n"

static void check_acked(int round)
{
	if (round < 1)
		return;
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e, PRE "I=%d\n" CHECK_ACKED, round);
	cr_assert(rc == 0 && o && !o[0],
		  "round %d: after the restart, acknowledged changes are missing (%d):\n%s%s", round,
		  rc, o, e);
	free(o);
	free(e);
}

static void run(const char *what, int round, const char *script)
{
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e, PRE "I=%d\n%s", round, script);
	if (rc != 0) {
		char *n = daemon_note();
		cr_assert_fail("round %d, %s failed (%d):\n%s%s%s", round, what, rc, o, e, n);
	}
	free(o);
	free(e);
}

/* Kills what a round left running (the writers end by themselves). */
static void kill_background(void)
{
	char *o = NULL;
	sh(&M, &o, NULL, "[ -f \"$D/bg.pids\" ] && for p in $(cat \"$D/bg.pids\"); do "
			 "kill $p 2>/dev/null; done; rm -f \"$D/bg.pids\"; true");
	free(o);
}

/* The last start: the last round's changes are there, and a SIGTERM with
 * nothing going on stops it cleanly. */
static void final_check(int rounds)
{
	mnt_start(&M, NULL);
	check_acked(rounds);
	stop_check(true);
}

/* `fusermount3 -u` right after a burst, with an inotify watcher on the
 * mount: it succeeds on its first call, and the daemon exits within 5 s
 * with status 0. */
Test(stop, unmount_right_after_a_burst)
{
	for (int i = 1; i <= ROUNDS; i++) {
		mnt_start(&M, NULL);
		check_acked(i - 1);
		pid_t rp = replayer_of(M.pid);
		run("the burst", i,
		    "inotifywait -m -q \"$M/registry\" \"$M/groups\" > /dev/null 2>&1 &\n"
		    "echo $! >> \"$D/bg.pids\"\n" BURST);
		char *e = NULL;
		int64_t t0 = mono_ms();
		int rc = sh(&M, NULL, &e, "fusermount3 -u \"$M\"");
		if (rc != 0) {
			char *n = state_note(M.pid);
			cr_assert_fail("round %d: fusermount3 -u failed on its first call: %s\n%s", i,
				       e, n);
		}
		free(e);
		expect_stopped("fusermount3 -u", i, t0, 5000, 0, rp);
		kill_background();
	}
	final_check(ROUNDS);
}

/* SIGTERM in the middle of a burst, with writers and port readers busy. */
Test(stop, sigterm_in_the_middle_of_a_burst)
{
	for (int i = 1; i <= ROUNDS; i++) {
		mnt_start(&M, NULL);
		check_acked(i - 1);
		pid_t rp = replayer_of(M.pid);
		run("the burst", i, BURST BACKGROUND);
		usleep((useconds_t)(i % 5) * 40000); /* at different moments */
		int64_t t0 = mono_ms();
		kill(M.pid, SIGTERM);
		expect_stopped("SIGTERM", i, t0, 5000, 0, rp);
		kill_background();
	}
	final_check(ROUNDS);
}

/* A blocked port reader (a user's open file: the unmount is busy, as for
 * any file system) and an inotify watcher: SIGTERM stops the daemon
 * within 5 s with status 0, the reader gets end-of-file, and the watcher
 * got the events of the burst. */
Test(stop, sigterm_with_a_blocked_reader_and_a_watcher)
{
	for (int i = 1; i <= ROUNDS; i++) {
		mnt_start(&M, NULL);
		check_acked(i - 1);
		pid_t rp = replayer_of(M.pid);
		run("the burst", i,
		    "mkdir \"$M/ports/blk$I\"\n"
		    "echo 'registry=Nowhere/Never' > \"$M/ports/blk$I/filter\"\n"
		    /* Not left from the round before: the watcher's shell may not
		     * have truncated it yet when the wait below starts. */
		    "rm -f \"$D/blk.rc\" \"$D/iw.err\"\n"
		    "( cat \"$M/ports/blk$I/events\" > \"$D/blk.out\" 2>&1; echo $? > \"$D/blk.rc\" ) &\n"
		    "inotifywait -m -r \"$M\" > \"$D/iw.out\" 2> \"$D/iw.err\" &\n"
		    "echo $! >> \"$D/bg.pids\"\n"
		    "ready=no; for k in $(seq 6000); do grep -q '^readers 1$' \"$M/ports/blk$I/stats\" && "
		    "grep -q 'Watches established' \"$D/iw.err\" && { ready=yes; break; }; sleep 0.01; done\n"
		    "[ $ready = yes ] || { echo 'the reader or the watcher was not ready after 60 s'; exit 1; }\n" BURST
		    BACKGROUND
		    "out=$(fusermount3 -u \"$M\" 2>&1) && { echo 'the unmount was not busy'; exit 1; }\n"
		    "case $out in *busy*) ;; *) echo \"$out\"; exit 1 ;; esac\n");
		int64_t t0 = mono_ms();
		kill(M.pid, SIGTERM);
		expect_stopped("SIGTERM", i, t0, 5000, 0, rp);
		char *o = NULL;
		sh(&M, &o, NULL,
		   "for k in $(seq 200); do [ -s \"$D/blk.rc\" ] && break; sleep 0.01; done\n"
		   "echo \"reader: $(cat \"$D/blk.rc\" 2>/dev/null) $(wc -c < \"$D/blk.out\")\"\n"
		   "grep -e '/groups/ CREATE,ISDIR g%d-5$' -e '/registry/ CREATE,ISDIR It%d$' "
		   "-e '/groups/ CREATE,ISDIR z%d$' \"$D/iw.out\" | sed 's|.*/mnt/||' | sort -u\n",
		   i, i, i);
		char want[256];
		snprintf(want, sizeof(want),
			 "reader: 0 0\ngroups/ CREATE,ISDIR g%d-5\ngroups/ CREATE,ISDIR z%d\n"
			 "registry/ CREATE,ISDIR It%d\n",
			 i, i, i);
		if (strcmp(o, want) != 0) {
			char *n = NULL;
			sh(&M, &n, NULL, "tail -n 12 \"$D/daemon.log\"; tail -n 5 \"$D/iw.out\"; "
			   "grep -m 8 -e '/registry/ ' -e 'OVERFLOW' \"$D/iw.out\"; cat \"$D/blk.out\"");
			cr_assert_fail("round %d: the blocked reader gets end-of-file (status 0, "
				       "nothing read), and the watcher on the mount the burst's "
				       "events:\n--- got:\n%s--- expected:\n%s--- log:\n%s",
				       i, o, want, n);
		}
		free(o);
		kill_background();
	}
	final_check(ROUNDS);
}

/* A second signal exits at once (status 1), and loses nothing that was
 * acknowledged. */
Test(stop, a_second_signal_exits_at_once)
{
	for (int i = 1; i <= 5; i++) {
		mnt_start(&M, NULL);
		check_acked(i - 1);
		pid_t rp = replayer_of(M.pid);
		run("the burst", i, BURST BACKGROUND);
		kill(M.pid, SIGTERM);
		usleep(2000);
		int64_t t0 = mono_ms();
		kill(M.pid, SIGINT);
		expect_stopped("a second signal", i, t0, 1000, 1, rp);
		kill_background();
	}
	final_check(5);
}

/* A lazy unmount while a user has a file open: the daemon serves it until
 * it is closed, then exits with status 0. */
Test(stop, lazy_unmount_serves_open_files_until_closed)
{
	mnt_start(&M, NULL);
	pid_t rp = replayer_of(M.pid);
	char *o = NULL;
	int rc = sh(&M, &o, NULL, PRE
	    "mkdir \"$M/ports/p\"; echo all > \"$M/ports/p/filter\"\n"
	    "exec 5>\"$M/control\"\n"
	    "cat \"$M/ports/p/events\" > \"$D/p.out\" &\n"
	    "echo $! > \"$D/p.pid\"\n"
	    "for k in $(seq 500); do grep -q '^readers 1$' \"$M/ports/p/stats\" && break; sleep 0.01; done\n"
	    "fusermount3 -u -z \"$M\"\n"
	    "sleep 0.5\n"
	    "echo 'reg-create-key AfterLazy' >&5\n"
	    "for k in $(seq 200); do grep -q AfterLazy \"$D/p.out\" && break; sleep 0.01; done\n"
	    "grep -c AfterLazy \"$D/p.out\"\n");
	cr_assert(rc == 0 && strcmp(o, "1\n") == 0,
		  "after a lazy unmount, open files still work (%d): %s", rc, o);
	free(o);
	cr_assert(waitpid(M.pid, NULL, WNOHANG) == 0, "the daemon stopped while a file was open");
	int64_t t0 = mono_ms();
	o = NULL;
	sh(&M, &o, NULL, "kill $(cat \"$D/p.pid\")");
	free(o);
	expect_stopped("the last open file closed", 1, t0, 5000, 0, rp);
	final_check(0);
}

/* daemon/clusterfs.service, with its own commands: ExecStartPre and
 * ExecStart (Type=forking), a burst, ExecStop, and then what systemd does
 * after ExecStop (KillMode=control-group): SIGTERM to whatever is left.
 * ExecStop succeeds on its first call and the daemon is gone within 5 s
 * with status 0. With a user's file open on the mount ExecStop fails (the
 * unit ignores that) and the SIGTERM stops the daemon all the same. */
static char *unit_command(const char *key, const char *bin)
{
	const char *unit = getenv("CLUSTERFS_SERVICE");
	cr_assert_not_null(unit, "CLUSTERFS_SERVICE is not set");
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e,
		    "line=$(grep '^%s=' '%s' | head -n 1); line=${line#*=}; line=${line#-}\n"
		    "[ -n \"$line\" ] || exit 1\n"
		    "line=${line//\\/mnt\\/clusterfs/$M}\n"
		    "case '%s' in ExecStart) set -- $line; shift\n"
		    "  line=\"'%s' --state-dir=$S --cluster-name=testcluster $*\" ;; esac\n"
		    "printf '%%s' \"$line\"",
		    key, unit, key, bin);
	cr_assert(rc == 0 && o && o[0], "no %s= in %s: %s", key, unit, e);
	free(e);
	return o;
}

static pid_t unit_start(void)
{
	const char *bin = getenv("CLUSTERFS_BIN");
	cr_assert_not_null(bin);
	char *pre = unit_command("ExecStartPre", bin), *start = unit_command("ExecStart", bin);
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e, "rmdir \"$M\"; %s && %s >> \"$D/daemon.log\" 2>&1\n"
				"pgrep -f -o -- \"--state-dir=$S \"",
		    pre, start);
	cr_assert(rc == 0, "ExecStartPre/ExecStart failed (%d): %s %s", rc, o, e);
	pid_t pid = (pid_t)atoi(o);
	cr_assert_gt(pid, 0, "no daemon after ExecStart: %s", o);
	free(pre);
	free(start);
	free(o);
	free(e);
	return pid;
}

Test(stop, systemd_unit_exec_stop)
{
	/* The daemon forks; as a subreaper this test gets its exit status. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	const char *bin = getenv("CLUSTERFS_BIN");
	mnt_start(&M, NULL); /* the directories, and a first start to compare */
	stop_check(true);
	for (int i = 1; i <= 6; i++) {
		bool busy = i % 3 == 0;
		M.pid = unit_start();
		check_acked(i - 1);
		pid_t rp = replayer_of(M.pid);
		run("the burst", i,
		    busy ? BURST "sleep 60 < \"$M/name\" &\necho $! >> \"$D/bg.pids\"\n" : BURST);
		char *stop = unit_command("ExecStop", bin);
		char *e = NULL;
		int64_t t0 = mono_ms();
		int rc = sh(&M, NULL, &e, "%s", stop);
		if (busy)
			cr_assert(rc != 0 && strstr(e, "busy"),
				  "round %d: ExecStop with a user's file open: %d %s", i, rc, e);
		else
			cr_assert_eq(rc, 0, "round %d: ExecStop (%s) failed: %s", i, stop, e);
		free(e);
		free(stop);
		/* systemd: SIGTERM to the processes left in the unit. */
		kill(M.pid, SIGTERM);
		kill(rp, SIGTERM);
		expect_stopped(busy ? "ExecStop (busy) and SIGTERM" : "ExecStop and SIGTERM", i, t0,
			       5000, 0, rp);
		kill_background();
	}
	final_check(6);
}

/* A daemon run by a user (here nobody, with a private /dev/fuse it may
 * open, in a mount namespace of the test's own): its replayer takes its
 * clone of the mount in a user namespace, so the user's `fusermount3 -u`
 * right after a burst succeeds too, and the daemon exits with status 0.
 * Skipped where users may not make user namespaces. */
Test(stop, unmount_of_a_user_daemon_right_after_a_burst)
{
	mnt_start(&M, NULL); /* the directories */
	stop_check(true);
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e, WATCHDOG_AFTER(120)
		    "set -e; BIN=\"$CLUSTERFS_BIN\"; export BIN\n"
		    "command -v setpriv > /dev/null && command -v unshare > /dev/null || "
		    "{ echo SKIP no setpriv or unshare; exit 0; }\n"
		    "setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U -m true 2> /dev/null || "
		    "{ echo SKIP no user namespaces for users here; exit 0; }\n"
		    "chmod 755 \"$D\"; mkdir -p \"$D/ustate\"; chown 65534:65534 \"$D/ustate\" \"$M\"\n"
		    "set -- $(stat -c '%%t %%T' /dev/fuse)\n"
		    "mknod -m 666 \"$D/fuse\" c $((0x$1)) $((0x$2))\n"
		    "unshare -m --propagation private bash -c '\n"
		    "  mount --bind \"$D/fuse\" /dev/fuse\n"
		    "  U=\"setpriv --reuid=65534 --regid=65534 --clear-groups\"\n"
		    "  for i in 1 2 3 4 5; do\n"
		    "    $U env HOME=\"$D\" \"$BIN\" -f --admin-group=65534 --state-dir \"$D/ustate\" \\\n"
		    "      --cluster-name t \"$M\" >> \"$D/user.log\" 2>&1 &\n"
		    "    pid=$!\n"
		    "    for k in $(seq 500); do $U test -r \"$M/name\" && break; sleep 0.01; done\n"
		    "    $U bash -c \"{ echo reg-create-key U$i; for j in \\$(seq 300); do \\\n"
		    "      echo reg-set U$i v\\$j REG_SZ \\$j; done; } > $M/control && \\\n"
		    "      fusermount3 -u $M\" || echo \"round $i: fusermount3 -u failed\"\n"
		    "    for k in $(seq 500); do kill -0 $pid 2> /dev/null || break; sleep 0.01; done\n"
		    "    kill -0 $pid 2> /dev/null && { echo \"round $i: still there after 5 s\"; kill -9 $pid; }\n"
		    "    rc=0; wait $pid || rc=$?\n"
		    "    [ $rc = 0 ] || echo \"round $i: status $rc\"\n"
		    "    grep -q \" $M \" /proc/self/mountinfo && { echo \"round $i: still mounted\"; umount -l \"$M\"; }\n"
		    "  done; true'\n"
		    "grep -m 1 'no mount of its own' \"$D/user.log\" || true\n");
	if (o && strncmp(o, "SKIP", 4) == 0)
		cr_skip_test("%s", o);
	cr_assert(rc == 0 && o && !o[0], "a user's daemon (%d): %s%s", rc, o, e);
	free(o);
	free(e);
}
