/* SPDX-License-Identifier: MIT */
/* Many machines, one cluster: three clusterfs daemons on a real three-node
 * Corosync cluster (network namespaces on this machine, udpu, 300 ms
 * token; cluster_harness.h), driven through their mounts with real tools.
 * Every test brings up its own cluster and tears it down, also when it
 * fails. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster_harness.h"
#include "mount_harness.h"

static void setup(void)
{
	cl_require();
	cl_up(3, NULL);
}

static void teardown(void)
{
	cl_down();
}

TestSuite(cluster, .init = setup, .fini = teardown, .timeout = 240);

/* Waits until every node's log ends with the same record (asynchronous
 * work, like a node reconciling its interfaces after it joined, may still
 * be adding records for a moment). */
static void wait_same_seq(void)
{
	bool same = cl_wait(1, 10, "1", "for m in $M1 $M2 $M3; do tail -n 1 $m/log | cut -d' ' -f2; "
				      "done | sort -u | wc -l");
	char *seqs = cl_out(1, "for m in $M1 $M2 $M3; do tail -n 1 $m/log | cut -d' ' -f2; done");
	if (!same) {
		char *tails = cl_out(1, "for i in 1 2 3; do echo \"--- node $i: log\"; "
					"tail -n 12 $B/n$i/mnt/log; echo \"--- node $i: interfaces\"; "
					"grep -r '' $B/n$i/mnt/netinterfaces/*/state; "
					"echo \"--- node $i: log size $(stat -c %%s $B/n$i/mnt/log) "
					"$(wc -c < $B/n$i/mnt/log); journal after the 4th last line:\"; "
					"s=$(tail -n 4 $B/n$i/mnt/log | head -n 1 | cut -d' ' -f2); "
					"mkdir -p $B/n$i/mnt/ports/dbg; touch $B/go; "
					"START=$s FILTER=all GO=$B/go TIMEOUT=1 $PORT_CLIENT drain "
					"$B/n$i/mnt/ports/dbg/events | cut -c1-150; "
					"echo \"--- node $i: daemon\"; "
					"tail -n 40 $B/n$i/log/clusterfs.log; done");
		cr_assert_fail("the nodes' logs end at different records: %s%s", seqs, tails);
	}
	free(seqs);
}

/* Everything the tree shows, except what is per node by design (the log's
 * rotation, local_node, ports). */
static char *tree(int i)
{
	return cl_out(i, "cd $M && find . \\( -path ./ports -o -name log -o -name log.1 -o "
			 "-name local_node -o -name control \\) -prune -o -printf '%%p %%y %%m\\n' "
			 "| sort && grep -r --exclude-dir=ports --exclude=log --exclude=log.1 "
			 "--exclude=local_node --exclude=control '' . | sort");
}

/* Waits (up to 10 s) until nodes a and b show the same tree. */
static void assert_same_trees(int a, int b)
{
	char *ta = NULL, *tb = NULL;
	for (int k = 0; k < 50; k++) {
		free(ta);
		free(tb);
		ta = tree(a);
		tb = tree(b);
		if (strcmp(ta, tb) == 0)
			break;
		usleep(200000);
	}
	if (strcmp(ta, tb) != 0) {
		/* Where they differ, for the report. */
		char pa[64], pb[64];
		snprintf(pa, sizeof(pa), "/tmp/cfs-tree-%d-a", (int)getpid());
		snprintf(pb, sizeof(pb), "/tmp/cfs-tree-%d-b", (int)getpid());
		FILE *fa = fopen(pa, "w"), *fb = fopen(pb, "w");
		if (fa)
			fputs(ta, fa), fclose(fa);
		if (fb)
			fputs(tb, fb), fclose(fb);
		char *d = cl_out(1, "diff %s %s | head -n 40; rm -f %s %s", pa, pb, pa, pb);
		cr_assert_fail("nodes %d and %d differ:\n%s", a, b, d);
	}
	free(ta);
	free(tb);
}

Test(cluster, a_change_on_one_node_shows_on_the_others_with_its_sequence_and_inotify)
{
	char *out = cl_out(2, WATCHDOG_AFTER(30)
			   "inotifywait -q -m -e create --format '%%e %%f' $M/groups > $B/inw 2>&1 &\n"
			   "w=$!\n"
			   "sleep 0.5\n"
			   "mkdir $M1/groups/web\n"
			   "for k in $(seq 200); do grep -q web $B/inw && break; sleep 0.02; done\n"
			   "kill $w\n"
			   "cat $B/inw\n"
			   "for k in $(seq 200); do grep -q ' group added web ' $M3/log && break; sleep 0.02; done\n"
			   "for m in $M1 $M2 $M3; do grep ' group added web ' $m/log | cut -d' ' -f2; done\n"
			   "cat $M3/groups/web/state\n");
	cr_assert(strstr(out, "CREATE,ISDIR web"), "no inotify event on node 2: %s", out);
	/* One record, one sequence number, on every node. */
	char *p = strchr(out, '\n') + 1;
	unsigned s1, s2, s3;
	cr_assert_eq(sscanf(p, "%u %u %u", &s1, &s2, &s3), 3, "%s", out);
	cr_assert(s1 == s2 && s2 == s3, "sequence numbers differ: %u %u %u", s1, s2, s3);
	cr_assert(strstr(out, "offline\n"), "%s", out);
	free(out);
}

Test(cluster, concurrent_writers_on_every_node_end_with_identical_trees)
{
	char *out = cl_out(1, WATCHDOG_AFTER(120)
			   "pids=\n"
			   "for i in 1 2 3; do\n"
			   "  m=$B/n$i/mnt\n"
			   "  ( for k in $(seq 20); do\n"
			   "      mkdir $m/groups/g$i-$k\n"
			   "      echo \"v$i.$k\" > $m/registry/Shared-$((k %% 5))\n"
			   "      mkdir $m/groups/same-$k 2>/dev/null\n"
			   "    done ) &\n"
			   "  pids=\"$pids $!\"\n"
			   "done\n"
			   "wait $pids\n"
			   "ls $M/groups | grep -c -- '^g'\n");
	cr_assert_str_eq(out, "60\n");
	free(out);
	wait_same_seq();
	assert_same_trees(1, 2);
	assert_same_trees(1, 3);
}

Test(cluster, a_killed_node_is_down_on_the_others_and_its_groups_fail_over)
{
	char *out = cl_out(1, "mkdir $M/groups/web\n"
			      "printf '%%s\\n' 'resource-create ip \"IP Address\" web' "
			      "'group-preferred web n3 n2' 'group-move web n3' 'group-online web' "
			      "> $M/control\n");
	free(out);
	/* Node 3 applies the change a moment after node 1 answered it. */
	cr_assert(cl_wait(3, 10, "n3 online", "echo $(cat $M/groups/web/owner $M/groups/web/state)"));
	out = cl_out(1, "$CL corosync kill 3 && $CL daemon kill 3");
	free(out);
	for (int i = 1; i <= 2; i++) {
		cr_assert(cl_wait(i, 10, "down", "cat $M/nodes/n3/state"), "node %d", i);
		cr_assert(cl_wait(i, 5, "n2 online online", "echo $(cat $M/groups/web/owner "
			  "$M/groups/web/state $M/resources/ip/state)"), "node %d", i);
		cr_assert(cl_wait(i, 5, "quorate", "cat $M/quorum"));
	}
	/* The survivors recorded the failover alike: pending, then online. */
	out = cl_out(1, "for m in $M1 $M2; do grep -E ' (resource state ip|group owner web)' $m/log "
			"| tail -n 3 | cut -d' ' -f2-; done");
	char *half = strstr(out, "\n");
	cr_assert_not_null(half);
	cr_assert(strstr(out, "resource state ip online -> onlinepending"), "%s", out);
	cr_assert(strstr(out, "resource state ip onlinepending -> online"), "%s", out);
	cr_assert(strstr(out, "group owner web n3 -> n2"), "%s", out);
	/* Both lists are identical (three lines each). */
	size_t len = strlen(out);
	cr_assert_eq(len % 2, 0);
	cr_assert_eq(strncmp(out, out + len / 2, len / 2), 0, "%s", out);
	free(out);
}

Test(cluster, a_restarted_node_catches_up_from_its_old_state_directory)
{
	char *out = cl_out(1, "mkdir $M/groups/before\n"
			      "$CL daemon kill 3 && $CL corosync kill 3\n"
			      "for k in $(seq 50); do [ \"$(cat $M/nodes/n3/state)\" = down ] && break; "
			      "sleep 0.1; done\n"
			      "mkdir $M/groups/while-away\n"
			      "echo secret > $M2/registry/AddedMeanwhile\n"
			      "$CL corosync start 3 >/dev/null && $CL daemon start 3\n"
			      "cat $M3/registry/AddedMeanwhile; ls $M3/groups | grep -c -e before -e while-away\n"
			      "cat $M3/nodes/n3/state\n");
	cr_assert_str_eq(out, "secret\n2\nup\n");
	free(out);
	wait_same_seq();
	assert_same_trees(1, 3);
}

Test(cluster, a_partitioned_minority_refuses_writes_keeps_reads_and_converges)
{
	/* A reader on node 3 follows all along: it sees the minority's own
	 * records, then is told they were replaced. */
	char *out = cl_out(1, "mkdir $M/groups/before\n"
			      "for k in $(seq 200); do [ -d $M3/groups/before ] && break; sleep 0.02; done\n"
			      "mkdir $M3/ports/p && echo all > $M3/ports/p/filter\n"
			      "( timeout 30 cat $M3/ports/p/events > $B/p3 & )\n"
			      "$CL corosync linkdown 3\n"
			      "for k in $(seq 100); do [ \"$(cat $M3/quorum)\" = lost ] && break; sleep 0.05; done\n"
			      "cat $M3/quorum $M1/quorum\n"
			      "mkdir $M3/groups/minority 2>&1 | sed 's/.*: //'\n"
			      "( echo x > $M3/registry/MinorityValue ) 2>&1 | sed 's/.*: //'\n"
			      "ls $M3/groups | grep -c before\n"
			      "mkdir $M1/groups/majority && echo majority-ok\n");
	cr_assert_str_eq(out, "lost\nquorate\nRead-only file system\nRead-only file system\n1\n"
			      "majority-ok\n");
	free(out);
	out = cl_out(1, "$CL corosync linkup 3\n"
			"for k in $(seq 200); do [ \"$(cat $M3/quorum)\" = quorate ] && break; sleep 0.05; done\n"
			"cat $M3/quorum\n"
			"ls $M3/groups | grep -c -e majority -e minority\n"
			"ls $M3/registry | grep -c MinorityValue\n"
			"cat $M3/nodes/n1/state $M3/nodes/n3/state\n");
	cr_assert_str_eq(out, "quorate\n1\n0\nup\nup\n");
	free(out);
	wait_same_seq();
	assert_same_trees(1, 3);
	/* The reader was told; the logs are the same again. */
	cr_assert(cl_wait(1, 10, "1", "grep -c '\"reason\":\"replaced\"' $B/p3"),
		  "no record of the replaced history on node 3's port");
	out = cl_out(1, "cmp $M1/log $M3/log && echo same-log; pkill -f \"cat $M3/ports/p/events\"; "
			"true");
	cr_assert_str_eq(out, "same-log\n");
	free(out);
}

Test(cluster, a_port_reader_resumes_from_a_sequence_number_on_another_node)
{
	const char *pc = getenv("PORT_CLIENT");
	cr_assert_not_null(pc);
	/* A reader on node 1 read up to the record that made group r2 (seq
	 * S); it goes on from S + 1 on node 2 and gets exactly what node 1
	 * has after S. */
	char *out = cl_out(1, "mkdir $M/ports/p\n"
			      "for k in 1 2 3 4 5; do mkdir $M/groups/r$k; done\n"
			      "touch $B/go\n"
			      "START=1 FILTER=all GO=$B/go TIMEOUT=2 %s drain $M/ports/p/events "
			      "| grep -v '\"type\":\"snapshot' > $B/n1.rec\n"
			      "s=$(grep '\"r2\"' $B/n1.rec | head -n 1 | sed 's/.*\"seq\":\\([0-9]*\\).*/\\1/')\n"
			      "mkdir $M2/ports/q\n"
			      "START=$((s + 1)) FILTER=all GO=$B/go TIMEOUT=2 %s drain $M2/ports/q/events "
			      "> $B/n2.rec\n"
			      "awk -v s=$s -F'\"seq\":' '{split($2,a,\",\"); if (a[1] > s) print}' "
			      "$B/n1.rec > $B/n1.after\n"
			      "awk -F'\"seq\":' '{split($2,a,\",\"); if (a[1] != \"\") print}' $B/n2.rec "
			      "> $B/n2.after\n"
			      "wc -l < $B/n2.after\n"
			      "cmp $B/n1.after $B/n2.after && echo same\n",
			   pc, pc);
	cr_assert(strstr(out, "same\n"), "node 2's records after the resume point differ: %s", out);
	cr_assert_neq(atoi(out), 0, "%s", out);
	free(out);
}

/* The legacy APIs on a surviving node see the master's node fail: the
 * Windows notifications of the failover (node down, the group moving and
 * coming online) and the CMM sequence of a master failover (the master
 * leaves, the vice-master takes over). */
Test(cluster, the_shims_see_a_failover_through_their_notifications)
{
	const char *watch = getenv("CLUSAPI_WATCH"), *cmm = getenv("CMM_MONITOR");
	cr_assert(watch && cmm);
	char *out = cl_out(2, WATCHDOG_AFTER(60)
			   "mkdir $M1/groups/web\n"
			   "echo 'resource-create app \"Generic Service\" web' > $M1/control\n"
			   "echo online > $M1/groups/web/state\n"
			   "for k in $(seq 200); do [ \"$(cat $M/groups/web/state)\" = online ] && break; "
			   "sleep 0.02; done\n"
			   "cat $M/nodes/n1/role $M/nodes/n2/role $M/groups/web/owner\n"
			   "export CLUSTERFS_MOUNT=$M\n"
			   "READY=$B/w.ready %s 3 > $B/watch.out 2> $B/watch.err &\n"
			   "w=$!\n"
			   "%s -n 20 -t 5 > $B/cmm.out 2> $B/cmm.err &\n"
			   "c=$!\n"
			   "for k in $(seq 200); do [ -e $B/w.ready ] && grep -q members: $B/cmm.out && break; sleep 0.05; done\n"
			   "$CL corosync kill 1 && $CL daemon kill 1\n"
			   "for k in $(seq 200); do [ \"$(cat $M/nodes/n1/state)\" = down ] && break; sleep 0.05; done\n"
			   "wait $w\n"
			   /* On a loaded machine node 3 may drop out of the ring for a
			    * moment too; the failover then waits for quorum. */
			   "for k in $(seq 100); do [ \"$(cat $M/groups/web/owner)\" = n2 ] && "
			   "[ \"$(cat $M/groups/web/state)\" = online ] && break; sleep 0.1; done\n"
			   "sleep 1; kill $c; wait $c\n"
			   "cat $M/nodes/n2/role $M/groups/web/owner $M/groups/web/state\n"
			   "echo --- clusapi; cat $B/watch.out $B/watch.err\n"
			   "echo --- cmm; cat $B/cmm.out $B/cmm.err\n",
			   watch, cmm);
	cr_assert(strstr(out, "master\nvicemaster\nn1\n"), "%s", out);
	if (!strstr(out, "master\nn2\nonline\n")) {
		char *logs = cl_out(2, "for i in 1 2 3; do echo \"--- node $i: daemon\"; "
				       "tail -n 70 $B/n$i/log/clusterfs.log; done");
		cr_assert_fail("after the failover: %s%s", out, logs);
	}
	const char *w = strstr(out, "--- clusapi");
	cr_assert_not_null(w);
	cr_assert(strstr(w, "NODE_STATE n1"), "%s", out);
	cr_assert(strstr(w, "GROUP_PROPERTY web"), "%s", out);
	cr_assert(strstr(w, "GROUP_STATE web"), "%s", out);
	cr_assert(strstr(w, "RESOURCE_STATE app"), "%s", out);
	const char *c = strstr(out, "--- cmm");
	cr_assert_not_null(c);
	cr_assert(strstr(c, "MASTER_ELECTED node 2"), "%s", out);
	cr_assert(strstr(c, "MEMBER_LEFT node 1"), "%s", out);
	free(out);
}

/* A resource that keeps failing on its node fails over by its policy
 * (restart_action failover, past restart_threshold): its group moves to
 * the next preferred node, whose daemon starts the process there; the
 * first node's process is stopped. Every node logs the same steps. */
Test(cluster, a_failing_resource_fails_over_to_the_next_node_by_its_policy)
{
	char *out = cl_out(1, WATCHDOG_AFTER(60)
			   "pid_of() { read -r p _ < $B/n$1/state/agents/$(cat $M/resources/app/id).pid; "
			   "echo $p; }\n"
			   "wait_for() { for k in $(seq $(($1 * 50))); do eval \"$2\" && return 0; "
			   "sleep 0.02; done; echo \"timed out: $2\" >&2; return 1; }\n"
			   "printf '%%s\\n' 'group-create g' 'group-preferred g n1 n2' "
			   "'resource-create app \"Generic Application\" g' "
			   "'resource-param app CommandLine \"sleep 311\"' "
			   "'resource-policy app restart_threshold 1' 'group-online g' > $M/control\n"
			   "wait_for 10 '[ \"$(cat $M/resources/app/state)\" = online ]'\n"
			   "p1=$(pid_of 1); kill -0 $p1\n"
			   /* the first failure: restarted on n1 */
			   "kill -9 $p1\n"
			   "wait_for 10 '[ \"$(pid_of 1 2>/dev/null)\" != $p1 ] && "
			   "[ \"$(cat $M/resources/app/state)\" = online ]'\n"
			   "cat $M/groups/g/owner\n"
			   /* the second, past the threshold: over to n2 */
			   "kill -9 $(pid_of 1)\n"
			   "wait_for 10 '[ \"$(cat $M3/groups/g/owner)\" = n2 ] && "
			   "[ \"$(cat $M3/resources/app/state)\" = online ]'\n"
			   "cat $M/groups/g/owner $M/groups/g/state\n"
			   "p2=$(pid_of 2); kill -0 $p2 && echo running on n2\n"
			   "tr '\\0' ' ' < /proc/$p2/cmdline; echo\n"
			   "pgrep -f -x 'sleep 311' | wc -l\n");
	cr_assert_str_eq(out, "n1\nn2\nonline\nrunning on n2\nsleep 311 \n1\n", "%s", out);
	free(out);
	wait_same_seq();
	out = cl_out(1, "for m in $M1 $M2 $M3; do grep -E ' (resource state app|group owner g) ' $m/log "
			"| cut -d' ' -f2- | md5sum; done | sort -u | wc -l");
	cr_assert_str_eq(out, "1\n", "the nodes logged the failover differently");
	free(out);
}

/* Node 3's daemon, started again as this process's (a subreaper's) child,
 * so that its exit status can be read. */
static pid_t restart_node3(void)
{
	char *out = cl_out(3, "$CL daemon stop 3 > /dev/null; $CL daemon start 3 > /dev/null\n"
			      "$CL daemon pid 3");
	pid_t pid = (pid_t)atoi(out);
	cr_assert_gt(pid, 0, "node 3 did not start: %s", out);
	free(out);
	return pid;
}

/* Waits up to 5 s for pid to exit; its wait status then, or -1. */
static int gone_within_5s(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	return -1;
}

/* Stopping a node of a live cluster (README "Stopping"): while node 1
 * keeps changing the cluster, so that node 3's daemon replays them all,
 * `fusermount3 -u` on node 3 succeeds on its first call, and the daemon
 * (its Corosync threads too) is gone within 5 s with status 0; the same
 * with SIGTERM; and with its Corosync hung (SIGSTOP), the stop is still
 * over within 5 s (forced, status 1, when leaving the group hangs). */
Test(cluster, stopping_a_node_during_changes_is_bounded)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	char *out = cl_out(1, "( for k in $(seq 3000); do mkdir $M1/groups/busy$k || break\n"
			      "    echo \"reg-set \\\"\\\" V$k REG_SZ $k\" > $M1/control; sleep 0.005; done ) "
			      "> /dev/null 2>&1 &\n"
			      "echo $! > $B/writer.pid\n");
	free(out);
	for (int round = 0; round < 3; round++) {
		pid_t pid = restart_node3();
		usleep(300000);
		char *err = NULL;
		int st;
		if (round == 0) {
			int rc = cl_sh(3, NULL, &err, "fusermount3 -u $M3");
			cr_assert_eq(rc, 0, "fusermount3 -u on node 3 failed: %s", err);
			st = gone_within_5s(pid);
			cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
				  "after fusermount3 -u, node 3's daemon: %d", st);
		} else if (round == 1) {
			kill(pid, SIGTERM);
			st = gone_within_5s(pid);
			cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
				  "after SIGTERM, node 3's daemon: %d", st);
		} else {
			out = cl_out(3, "$CL corosync pid 3");
			pid_t cs = (pid_t)atoi(out);
			free(out);
			cr_assert_gt(cs, 0);
			kill(cs, SIGSTOP);
			kill(pid, SIGTERM);
			st = gone_within_5s(pid);
			kill(cs, SIGCONT);
			cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) <= 1,
				  "after SIGTERM with Corosync hung, node 3's daemon: %d", st);
		}
		free(err);
		out = cl_out(3, "grep -c \" $M3 \" /proc/self/mountinfo || true");
		cr_assert_str_eq(out, "0\n", "round %d: node 3's mount is still there", round);
		free(out);
	}
	out = cl_out(1, "kill $(cat $B/writer.pid)\n"
			"$CL daemon start 3 > /dev/null\n"
			"cat $M3/nodes/n3/state\n");
	cr_assert_str_eq(out, "up\n", "node 3 comes back");
	free(out);
	/* ...with the cluster's state and history: nothing of what the
	 * others committed while it stopped, again and again, is missing. */
	wait_same_seq();
	assert_same_trees(1, 3);
}
