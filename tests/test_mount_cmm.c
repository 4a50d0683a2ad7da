/* SPDX-License-Identifier: MIT */
/* CMM roles on a live mount, driven through the simulation back-end
 * (--backend=sim, "sim ..." lines of the control file; docs/cmm.md): the
 * node files, the role records of each scenario in the event log, inotify
 * on a role file, errors, atomic batches, and persistence. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mount_checks.h"
#include "mount_harness.h"

static void sim_setup(void)
{
	mnt_require_fuse();
	mnt_start(&M, "--backend=sim");
}

TestSuite(cmm_sim, .init = sim_setup, .fini = teardown, .timeout = 90);
TestSuite(cmm_local, .init = mnt_setup, .fini = teardown, .timeout = 60);

#define WATCHDOG WATCHDOG_AFTER(20)

/* $h: the host (node 1). put TEXT FILE: one write(). mark: remembers
 * where the log is; roles: the role records since the mark, one per
 * line, "NODE OLD>NEW". */
#define PRE                                                                                   \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M\"; h=$(hostname)\n"            \
		 "put() { printf -- \"$1\" > \"$D/.put\"; cat \"$D/.put\" > \"$2\"; }\n"      \
		 "mark() { wc -l < log > \"$D/mark\"; }\n"                                    \
		 "roles() { tail -n +$(( $(cat \"$D/mark\") + 1 )) log | "                    \
		 "awk '$3==\"node\" && $4==\"property\" && $6==\"Role\" {print $5\" \"$7\">\"$9}' " \
		 "| sed \"s/^$h /H /\"; }\n"

static void run(const char *script)
{
	free(out_of(script));
}

/* The log is appended by the committer's listener: allow it a moment. */
static void expect_roles(const char *want)
{
	char *got = NULL;
	for (int i = 0; i < 50; i++) {
		free(got);
		got = out_of("roles");
		if (strcmp(got, want) == 0)
			break;
		usleep(100000);
	}
	char *g = esc(got), *w = esc(want);
	cr_assert_str_eq(got, want, "role records:\n  got:  %s\n  want: %s", g, w);
	free(g);
	free(w);
	free(got);
}

/* Three eligible nodes: the host master, n2 vice-master, n3 in. */
static void three(void)
{
	run("mark; echo 'sim join n2 2 10.0.0.2' > control; echo 'sim join n3 3 10.0.0.3' > control");
	expect_roles("n2 out>vicemaster\nn3 out>in\n");
	expect_out("master\nvicemaster\nin\n", "cat nodes/$h/role nodes/n2/role nodes/n3/role");
}

Test(cmm_sim, host_is_master_with_its_files)
{
	expect_out("master\n1\nyes\nqualified\nready\n",
		   "cd nodes/$h; cat role incarnation eligible qualification synchro");
	expect_out("444 role\n664 eligible\n664 qualification\n444 incarnation\n664 swload\n",
		   "cd nodes/$h; for f in role eligible qualification incarnation swload; do "
		   "echo \"$(stat -c %a $f) $f\"; done");
	/* The registry shows the same values. */
	expect_out("3\n1\n", "id=$(cat nodes/$h/id); cat registry/Nodes/$id/Role "
			     "registry/Nodes/$id/Incarnation");
	stop_check(true);
}

Test(cmm_sim, add_then_join)
{
	run("mark; echo 'sim add n2 2 10.0.0.2 eligible=no domain=7' > control");
	expect_out("out\nno\n7\n0\ndown\n",
		   "cd nodes/n2; cat role eligible domain incarnation state");
	run("echo 'sim join n2' > control");
	expect_roles("n2 out>in\n");
	expect_out("in\n1\nup\n", "cd nodes/n2; cat role incarnation state");
	stop_check(true);
}

Test(cmm_sim, set_and_evict)
{
	run("echo 'sim join n2 2 10.0.0.2' > control");
	run("echo 'sim set n2 swload Load 7  b' > control; echo 'sim set n2 domain 9' > control");
	expect_out("Load 7  b\n9\n", "cat nodes/n2/swload nodes/n2/domain");
	expect_err("Invalid argument", "echo 'sim set n2 domain' > control");
	run("mark; echo 'sim evict n2' > control");
	expect_roles("n2 vicemaster>out\n");
	expect_out("", "ls nodes | grep -v \"^$h$\" || true");
	stop_check(true);
}

Test(cmm_sim, vicemaster_elected_and_member_joined)
{
	three();
	stop_check(true);
}

Test(cmm_sim, failover_on_master_failure)
{
	three();
	run("mark; echo \"sim fail $h\" > control");
	expect_roles("H master>out\nn2 vicemaster>master\nn3 in>vicemaster\n");
	expect_out("out\ndown\n", "cat nodes/$h/role nodes/$h/state");
	/* The host comes back as a plain member, with a new incarnation. */
	run("mark; echo \"sim join $h\" > control");
	expect_roles("H out>in\n");
	expect_out("2\n", "cat nodes/$h/incarnation");
	stop_check(true);
}

Test(cmm_sim, switchover_through_control)
{
	three();
	run("mark; echo \"cmm-release $h\" > control");
	expect_roles("H master>in\nn2 vicemaster>master\nH in>vicemaster\n");
	expect_err("Operation not permitted", "echo \"cmm-release $h\" > control");
	expect_err("Operation not permitted", "echo 'cmm-release n3' > control");
	stop_check(true);
}

Test(cmm_sim, leave_and_cancel)
{
	run("echo 'sim join n2 2 10.0.0.2' > control");
	run("mark; echo 'sim leave n2' > control");
	expect_roles("n2 vicemaster>out\n");
	/* The master cannot leave: nobody can take over. Nothing changes. */
	expect_err("Operation canceled", "echo \"sim leave $h\" > control");
	expect_out("master\nup\n", "cat nodes/$h/role nodes/$h/state");
	expect_err("Host is down", "echo 'sim leave n2' > control");
	stop_check(true);
}

Test(cmm_sim, qualification_changes)
{
	three();
	run("mark; echo 'sim qualif n2 disqualified' > control");
	expect_roles("n2 vicemaster>in\nn3 in>vicemaster\n");
	expect_out("disqualified\n", "cat nodes/n2/qualification");
	/* Disqualifying the master fails over to the vice-master. */
	run("mark; echo \"cmm-setqualif $h $h disqualified\" > control");
	expect_roles("H master>in\nn3 vicemaster>master\n");
	/* Through the node's file. */
	run("mark; echo qualified > nodes/n2/qualification");
	expect_roles("n2 in>vicemaster\n");
	/* A desynchronized vice-master cannot take over, and the host is
	 * disqualified: no master, so no vice-master either. */
	run("mark; echo needed > nodes/n2/synchro; echo 'sim fail n3' > control");
	expect_roles("n3 master>out\nn2 vicemaster>in\n");
	expect_out("needed\nin\nin\n", "cat nodes/n2/synchro nodes/n2/role nodes/$h/role");
	stop_check(true);
}

Test(cmm_sim, seizequalif)
{
	run("echo 'sim join n2 2 10.0.0.2' > control");
	run("put \"cmm-setqualif $h n2 disqualified\\ncmm-setqualif $h $h disqualified\\n\" control");
	expect_out("in\nin\n", "cat nodes/$h/role nodes/n2/role");
	run("mark; echo \"cmm-seize $h\" > control");
	expect_roles("H in>master\n");
	expect_err("Operation not permitted", "echo 'cmm-seize n2' > control");
	stop_check(true);
}

Test(cmm_sim, errors_change_nothing)
{
	run("echo 'sim join n2 2 10.0.0.2' > control");
	run("mark");
	expect_err("Invalid argument", "echo 'sim frobnicate n2' > control");
	expect_err("Invalid argument", "echo 'sim qualif n2 sideways' > control");
	expect_err("Invalid argument", "echo 'sim join n9 9 10.0.0.9 colour=blue' > control");
	expect_err("No such file or directory", "echo 'sim fail n9' > control");
	expect_err("Invalid argument", "echo maybe > nodes/n2/frozen");
	expect_err("Permission denied", "echo master > nodes/n2/role");
	expect_err("Operation not permitted", "echo 3 > registry/Nodes/$(cat nodes/n2/id)/Role");
	/* One write is one transaction: the join is undone with the bad line. */
	expect_err("No such file or directory", "put 'sim join n4 4 10.0.0.4\\nsim fail n9\\n' control");
	expect_out("n2\n", "ls nodes | grep -v \"^$h$\"");
	expect_roles("");
	stop_check(true);
}

Test(cmm_sim, begin_commit_block)
{
	run("mark; printf '%s\\n' begin 'sim add n2 2 10.0.0.2' 'sim add n3 3 10.0.0.3' "
	    "'sim join n3' 'sim join n2' commit > control");
	/* The election ran after each command, in the block's order. */
	expect_roles("n3 out>vicemaster\nn2 out>in\n");
	stop_check(true);
}

Test(cmm_sim, stale_and_split_brain)
{
	run("mark; for w in stale valid splitbrain valid; do echo \"sim $w\" > control; done");
	char *got = NULL;
	const char *want = "valid>stale\nstale>valid\nvalid>invalid\ninvalid>valid\n";
	for (int i = 0; i < 50; i++) {
		free(got);
		got = out_of("tail -n +$(( $(cat \"$D/mark\") + 1 )) log | "
			     "awk '$3==\"cluster\" && $6==\"CmmStatus\" {print $7\">\"$9}'");
		if (strcmp(got, want) == 0)
			break;
		usleep(100000);
	}
	cr_assert_str_eq(got, want);
	free(got);
	expect_out("valid\n", "cat registry/CmmStatus");
	stop_check(true);
}

Test(cmm_sim, inotify_sees_role_changes)
{
	three();
	run("inotifywait -q -m -e modify --format '%w%f %e' nodes/n2/role nodes/n3/role "
	    "> \"$D/ino\" 2>/dev/null & echo $! > \"$D/ino.pid\"; sleep 0.5\n"
	    "echo \"sim fail $h\" > control; sleep 1; kill $(cat \"$D/ino.pid\")");
	expect_out("nodes/n2/role MODIFY\nnodes/n3/role MODIFY\n", "sort -u \"$D/ino\"");
	stop_check(true);
}

Test(cmm_sim, port_gets_role_records)
{
	run("mkdir ports/w; echo 'kind=node change=property key=5' > ports/w/filter");
	run("timeout 2 cat ports/w/events > \"$D/ev\" 2>/dev/null & p=$!; sleep 0.5\n"
	    "echo 'sim join n2 2 10.0.0.2' > control; wait $p || true");
	expect_out("Incarnation 0 1 5\nRole out vicemaster 5\n",
		   "jq -r '\"\\(.prop) \\(.old) \\(.new) \\(.key)\"' \"$D/ev\"");
	stop_check(true);
}

Test(cmm_sim, roles_survive_a_restart)
{
	three();
	cr_assert(stop_daemon_or_abort());
	mnt_start(&M, "--backend=sim");
	expect_out("master\nvicemaster\nin\n", "cat nodes/$h/role nodes/n2/role nodes/n3/role");
	stop_check(true);
}

Test(cmm_local, no_sim_lines_without_the_sim_backend)
{
	expect_out("master\n", "cat nodes/$h/role");
	expect_out("ok 444\n", "[ \"$(cat local_node)\" = \"$h\" ] && echo ok $(stat -c %a local_node)");
	expect_err("Permission denied", "echo x > local_node");
	expect_err("Operation not supported", "echo 'sim join n2 2 10.0.0.2' > control");
	expect_out("", "ls nodes | grep -v \"^$h$\" || true");
	stop_check(true);
}
