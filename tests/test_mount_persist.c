/* SPDX-License-Identifier: MIT */
/* Durability: everything survives a clean restart with the same ids and
 * inode numbers, and what was acknowledged survives kill -9 (README:
 * "Durability and the journal", "The daemon"). */
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

TestSuite(persist, .init = mnt_setup, .fini = teardown, .timeout = 120);

/* A script that hangs (a request the daemon never answers) is killed
 * after 20 s, so that the test fails instead of timing out. */
#define WATCHDOG WATCHDOG_AFTER(20)

#define PRE \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M\"; h=$(hostname)\n" \
	"put() { printf -- \"$1\" > \"$D/.put\"; cat \"$D/.put\" > \"$2\"; }\n"

/* Everything the tree shows, inode numbers included, written to $D/$1
 * (but the control file, the event log and the notification ports). */
#define SKIP "\\( -path ./control -o -path ./ports -o -path ./log -o -path ./log.1 \\) -prune -o"
#define SNAP \
	"cd \"$M\"; { find . " SKIP " -printf '%p %y %m %U %G %s %i\\n' | sort;" \
	" find . " SKIP " -type f -print0 | sort -z | xargs -0 cat -v;" \
	" find . -type l -print0 | sort -z | xargs -0 -r readlink;" \
	" find ./registry -type f -print0 | sort -z | xargs -0 getfattr -n user.cluster.type; }" \
	" > \"$D/$1\""

static void run(const char *script)
{
	free(out_of(script));
}

static void snap(const char *file)
{
	char *e = NULL;
	int rc = sh(&M, NULL, &e, "%sset -- %s\n%s", WATCHDOG, file, SNAP);
	if (rc != 0) {
		char *n = daemon_note();
		cr_assert_fail("snapshot failed: %s%s", e, n);
	}
	free(e);
}

static void expect_same_snap(const char *a, const char *b)
{
	char *d = NULL;
	sh(&M, &d, NULL, "cd \"$D\"; diff %s %s | head -n 30", a, b);
	cr_assert_str_empty(d, "the tree differs after the restart:\n%s", d);
	free(d);
}

static void restart(void)
{
	cr_assert(stop_daemon_or_abort(), "the daemon did not exit within 5 s of SIGTERM (its shutdown "
					  "hangs); its FUSE connection had to be aborted");
	char *o = NULL;
	sh(&M, &o, NULL, "grep -c \" $M \" /proc/mounts || true");
	cr_assert_str_eq(o, "0\n", "a clean stop leaves no mount behind");
	free(o);
	mnt_start(&M, NULL);
}

/* Something of everything. */
static void populate(void)
{
	run("put 'type-create MyType my.dll\\ngroup-create web\\nresource-create ip \"IP Address\" web\\n"
	    "resource-create app MyType web\\nresource-depend app ip\\nnode-add n2 2 10.0.0.2\\n"
	    "network-add net1 10.1.0.0 16 client up\\nnetif-add if1 n2 net1 eth9 10.1.0.5 up\\n' control\n"
	    "echo online > groups/web/state\n"
	    "mkdir groups/db; echo 'resource-create data MyType db' > control\n"
	    "echo online > resources/data/state; echo failed > resources/data/state\n"
	    "echo n2 > groups/db/owner; echo pause > nodes/n2/state\n"
	    "put \"n2\\n$h\\n\" groups/web/preferred_owners; echo $h > resources/ip/possible_owners\n"
	    "echo 'Front end' > groups/web/description; echo internal > networks/net1/role\n"
	    "mkdir groups/tmp; mv groups/tmp groups/renamed; mv resources/app resources/application\n"
	    "mv networks/net1 networks/backbone; echo prod > name\n"
	    "mkdir registry/Software registry/Software/Sub registry/Old\n"
	    "echo hello > registry/Software/sz\n"
	    "echo 42 > registry/Software/dw; setfattr -n user.cluster.type -v REG_DWORD registry/Software/dw\n"
	    "echo 7 > registry/Software/qw; setfattr -n user.cluster.type -v REG_QWORD registry/Software/qw\n"
	    "printf 'a\\nb\\n' > registry/Software/ms; setfattr -n user.cluster.type -v REG_MULTI_SZ registry/Software/ms\n"
	    "touch registry/Software/bin; setfattr -n user.cluster.type -v REG_BINARY registry/Software/bin\n"
	    "printf 'x\\0y\\xff' > registry/Software/bin\n"
	    "echo '%PATH%' > registry/Software/ex; setfattr -n user.cluster.type -v REG_EXPAND_SZ registry/Software/ex\n"
	    "echo v > registry/Software/Sub/old; mv registry/Software/Sub/old registry/Software/Sub/new\n"
	    "mv registry/Old registry/New; chmod 0750 registry/Software/Sub; chown 12:34 registry/Software/Sub\n"
	    "echo 8080 > registry/Groups/$(cat groups/web/id)/Port\n"
	    "mkdir registry/Groups/$(cat groups/web/id)/Parameters\n"
	    "mkdir groups/gone; rmdir groups/gone; echo x > registry/Software/gone; rm registry/Software/gone\n");
}

Test(persist, clean_restart_keeps_everything)
{
	populate();
	snap(".before");
	restart();
	snap(".after");
	expect_same_snap(".before", ".after");
	/* And the parts that matter, spelled out. */
	expect_out("online\nonline\nonline\nfailed\nfailed\npaused\nn2\nprod\n",
		   "cat groups/web/state resources/ip/state resources/application/state "
		   "resources/data/state groups/db/state nodes/n2/state groups/db/owner name");
	expect_out("ip\nFront end\ninternal\nbackbone\n",
		   "cat resources/application/dependencies groups/web/description networks/backbone/role "
		   "netinterfaces/if1/network");
	expect_out("Available Storage\nCluster Group\ndb\nrenamed\nweb\n", "ls groups");
	expect_out("hello\n42\n7\na\nb\n%PATH%\n 78 00 79 ff\n",
		   "cd registry/Software; cat sz dw qw ms ex; od -An -tx1 bin");
	expect_out("REG_SZ REG_DWORD REG_QWORD REG_MULTI_SZ REG_EXPAND_SZ REG_BINARY ",
		   "cd registry/Software; for v in sz dw qw ms ex bin; do "
		   "getfattr --only-values -n user.cluster.type $v; echo -n ' '; done");
	expect_out("750 12 34\n640 12 34\nnew\n",
		   "stat -c '%a %u %g' registry/Software/Sub registry/Software/Sub/new; ls registry/Software/Sub");
	/* Changes keep working after the restart, and survive another one. */
	run("mkdir groups/after; echo resume > nodes/n2/state; echo 99 > registry/Software/dw2");
	snap(".before");
	restart();
	snap(".after");
	expect_same_snap(".before", ".after");
	expect_out("offline\nup\n99\n", "cat groups/after/state nodes/n2/state registry/Software/dw2");
	stop_check(false);
}

Test(persist, ids_and_inodes_are_stable)
{
	populate();
	run("for f in groups/web groups/web/state resources/ip resources/ip/state nodes/n2 "
	    "registry/Software registry/Software/dw groups/web/resources/ip groups/web/resources; do "
	    "echo \"$f $(stat -c %i \"$f\")\"; done > $D/ino1\n"
	    "cat groups/web/id resources/ip/id nodes/n2/id id resourcetypes/MyType/id > $D/id1");
	restart();
	run("for f in groups/web groups/web/state resources/ip resources/ip/state nodes/n2 "
	    "registry/Software registry/Software/dw groups/web/resources/ip groups/web/resources; do "
	    "echo \"$f $(stat -c %i \"$f\")\"; done > $D/ino2\n"
	    "cat groups/web/id resources/ip/id nodes/n2/id id resourcetypes/MyType/id > $D/id2");
	expect_out("same\n", "cmp $D/ino1 $D/ino2 && cmp $D/id1 $D/id2 && echo same");
	/* A renamed object keeps its id and inode. */
	run("stat -c %i groups/web > $D/i1; cat groups/web/id > $D/g1; mv groups/web groups/www");
	restart();
	expect_out("same\n", "[ $(stat -c %i groups/www) = $(cat $D/i1) ] && "
			     "[ $(cat groups/www/id) = $(cat $D/g1) ] && echo same");
	/* A new object never takes an inode number that was used before. */
	run("stat -c %i groups/renamed > $D/old; rmdir groups/renamed; mkdir groups/renamed");
	expect_out("new\n", "[ $(stat -c %i groups/renamed) != $(cat $D/old) ] && echo new");
	stop_check(false);
}

Test(persist, second_daemon_refused)
{
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e, "mkdir -p \"$D/m2\"; timeout 10 \"$CLUSTERFS_BIN\" -f --state-dir \"$S\" \"$D/m2\"");
	cr_assert_neq(rc, 0, "a second daemon started on the same state directory");
	cr_assert(strstr(o, "another daemon uses this state directory") ||
		  strstr(e, "another daemon uses this state directory"),
		  "stdout: %s\nstderr: %s", o, e);
	free(o);
	free(e);
	/* The first one is unharmed. */
	expect_out("testcluster\n", "cat name; grep -c \" $D/m2 \" /proc/mounts > /dev/null && exit 1 || true");
	stop_check(false);
}

Test(persist, restart_after_kill9_detaches_dead_mount)
{
	run("mkdir groups/web; echo online > groups/web/state");
	mnt_kill9(&M);
	char *e = NULL;
	int rc = sh(&M, NULL, &e, "timeout -s KILL 10 stat \"$M/name\"");
	cr_assert_neq(rc, 0);
	cr_assert(strstr(e, "Transport endpoint is not connected"),
		  "after kill -9 the mount should be dead (ENOTCONN), got (%d): %s", rc, e);
	free(e);
	mnt_start(&M, NULL);
	expect_out("online\n1\n", "cat groups/web/state; grep -c \" $M \" /proc/mounts");
	stop_check(false);
}

/* Starts a background loop that writes and appends what was acknowledged
 * to $D/acked, kills the daemon -9 while it runs, waits for the loop to
 * stop and restarts the daemon. */
static void kill9_during(const char *loop_body, unsigned ms)
{
	char *o = NULL;
	int rc = sh(&M, &o, NULL,
		    ": > \"$D/acked\"\n"
		    "( set +e; cd \"$M\"; for i in $(seq 1 5000); do %s || break; echo $i >> \"$D/acked\"; done ) "
		    "> /dev/null 2>&1 < /dev/null &\n"
		    "echo $!",
		    loop_body);
	cr_assert_eq(rc, 0);
	int pid = atoi(o);
	free(o);
	usleep(ms * 1000);
	char *n = NULL;
	sh(&M, &n, NULL, "wc -l < \"$D/acked\"");
	cr_assert_gt(atoi(n), 0, "nothing was acknowledged before the kill");
	free(n);
	mnt_kill9(&M);
	/* The loop stops at its first failure (the connection is gone). */
	rc = sh(&M, NULL, NULL, "for i in $(seq 1 200); do kill -0 %d 2>/dev/null || exit 0; sleep 0.05; done; "
				"exit 1", pid);
	if (rc != 0) {
		/* The mount hangs: abort its connection so that the writer, the
		 * killed daemon and the teardown are not stuck forever. */
		char *why = NULL;
		sh(&M, &why, NULL,
		   "for p in /proc/[0-9]*; do\n"
		   "  case \"$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)\" in *\"$S\"*) ;; *) [ ${p#/proc/} = %d ] || continue;; esac\n"
		   "  for t in $p/task/*; do echo \"${t#/proc/} $(cut -d' ' -f3 $t/stat) $(cat $t/wchan)\";"
		   " head -n 6 $t/stack 2>/dev/null; done; done\n"
		   "for t in /proc/[0-9]*/task/*; do ls -l $t/fd 2>/dev/null | grep -q /dev/fuse || continue;"
		   " echo \"/dev/fuse held by ${t#/proc/} ($(cut -d' ' -f3,4 $t/stat) $(cat $t/wchan))\";"
		   " head -n 8 $t/stack 2>/dev/null; done\n"
		   ABORT_MOUNT_SH("\"$M\"") "kill %d", pid, pid);
		cr_assert_fail("the writer did not stop after the kill: the mount hangs\n%s", why);
	}
	mnt_start(&M, NULL);
}

Test(persist, kill9_keeps_acknowledged_mkdirs)
{
	kill9_during("mkdir groups/g$i", 700);
	expect_out("", "while read i; do [ -d groups/g$i ] || echo \"missing g$i\"; "
		       "[ \"$(cat groups/g$i/state)\" = offline ] || echo \"bad g$i\"; done < $D/acked");
	/* At most the one in flight is there beyond what was acknowledged. */
	expect_out("ok\n", "n=$(wc -l < $D/acked); g=$(ls groups | grep -c '^g[0-9]')\n"
			   "[ $g -ge $n ] && [ $g -le $((n + 1)) ] && echo ok || echo \"$n acked, $g there\"");
	/* The cluster works after the recovery. */
	run("mkdir groups/after; echo online > groups/after/state");
	expect_out("online\n", "cat groups/after/state");
	stop_check(false);
}

Test(persist, kill9_keeps_acknowledged_registry_values)
{
	run("mkdir registry/K");
	kill9_during("echo value$i > registry/K/v$i", 700);
	expect_out("", "while read i; do [ \"$(cat registry/K/v$i)\" = value$i ] || echo \"bad v$i\"; "
		       "done < $D/acked");
	/* Converting and rewriting one value again and again. */
	run("echo 0 > registry/K/n; setfattr -n user.cluster.type -v REG_DWORD registry/K/n");
	kill9_during("echo $((i * 11)) > registry/K/n", 600);
	expect_out("ok\n", "last=$(tail -n 1 $D/acked); v=$(cat registry/K/n)\n"
			   "[ $v = $((last * 11)) ] || [ $v = $(((last + 1) * 11)) ] && echo ok || "
			   "echo \"last acked $last, value $v\"");
	expect_out("REG_DWORD", "getfattr --only-values -n user.cluster.type registry/K/n");
	stop_check(false);
}

/* Group commit: writers whose changes reach the daemon together (each
 * its own value file, so the kernel lets their write()s through at once)
 * commit in shared transactions, yet each is answered on its own: a
 * refused write gets its own EINVAL and changes nothing, the others
 * succeed, and everything acknowledged survives kill -9. */
Test(persist, concurrent_writers_get_their_own_errno)
{
	run("mkdir registry/K\n"
	    "for k in 0 1 2 3 4 5 6 7; do echo 0 > registry/K/d$k;"
	    " setfattr -n user.cluster.type -v REG_DWORD registry/K/d$k; done");
	static const char PY[] =
		"import errno, os, threading\n"
		"M = os.environ['M']; D = os.environ['D']\n"
		"res = {}\n"
		"def writer(k):\n"
		"    last, bad = 0, []\n"
		"    for i in range(1, 61):\n"
		"        refused = k % 2 == 1 and i % 3 == 0\n"
		"        data = b'notanumber\\n' if refused else b'%d\\n' % (k * 1000 + i)\n"
		"        try:\n"
		"            fd = os.open('%s/registry/K/d%d' % (M, k), os.O_WRONLY | os.O_TRUNC)\n"
		"            try:\n"
		"                os.write(fd, data)\n"
		"            finally:\n"
		"                os.close(fd)\n"
		"            if refused:\n"
		"                bad.append('write %d of d%d was accepted' % (i, k))\n"
		"            else:\n"
		"                last = k * 1000 + i\n"
		"        except OSError as e:\n"
		"            if not refused or e.errno != errno.EINVAL:\n"
		"                bad.append('write %d of d%d: %s' % (i, k, errno.errorcode.get(e.errno, e.errno)))\n"
		"    res[k] = (last, bad)\n"
		"ts = [threading.Thread(target=writer, args=(k,)) for k in range(8)]\n"
		"for t in ts: t.start()\n"
		"for t in ts: t.join()\n"
		"with open(D + '/last', 'w') as f:\n"
		"    for k in range(8):\n"
		"        f.write('%d %d\\n' % (k, res[k][0]))\n"
		"for k in range(8):\n"
		"    for b in res[k][1]:\n"
		"        print(b)\n";
	char *e = NULL;
	cr_assert_eq(sh(&M, NULL, &e, "cat > \"$D/gc.py\" <<'EOF'\n%sEOF\n", PY), 0, "%s", e);
	free(e);
	expect_out("", "timeout 60 python3 \"$D/gc.py\"");
	/* Every writer's last acknowledged value shows, and survives kill -9. */
	const char *check = "while read k v; do [ \"$(cat registry/K/d$k)\" = $v ] || "
			    "echo \"d$k: $(cat registry/K/d$k), last acknowledged $v\"; done < \"$D/last\"";
	expect_out("", check);
	mnt_kill9(&M);
	mnt_start(&M, NULL);
	expect_out("", check);
	expect_out("REG_DWORD", "getfattr --only-values -n user.cluster.type registry/K/d7");
	stop_check(false);
}

Test(persist, kill9_control_batches_are_atomic)
{
	/* Each batch is one write() of 20 lines: 10 groups and 10 registry
	 * values. After the kill, a batch is there whole or not at all, and
	 * every acknowledged one is there. */
	run("mkdir registry/B; awk -v D=\"$D\" 'BEGIN { for (i = 1; i <= 2000; i++) { f = D \"/batch\" i; "
	    "for (j = 1; j <= 10; j++) { print \"group-create b\" i \"_\" j > f; "
	    "print \"reg-set B v\" i \"_\" j \" REG_DWORD \" i j > f } close(f) } }'");
	kill9_during("cat $D/batch$i > control", 800);
	expect_out("", "while read i; do for j in $(seq 1 10); do [ -d groups/b${i}_$j ] || echo \"missing b${i}_$j\"; "
		       "[ \"$(cat registry/B/v${i}_$j)\" = $i$j ] || echo \"missing v${i}_$j\"; done; done < $D/acked");
	expect_out("", "ls groups | sed -n 's/^b\\([0-9]*\\)_[0-9]*$/\\1/p' | sort | uniq -c | "
		       "awk '$1 != 10 { print \"batch \" $2 \" has \" $1 \" groups\" }'\n"
		       "ls registry/B | sed -n 's/^v\\([0-9]*\\)_[0-9]*$/\\1/p' | sort | uniq -c | "
		       "awk '$1 != 10 { print \"batch \" $2 \" has \" $1 \" values\" }'\n"
		       "g=$(ls groups | grep -c '^b' || true); r=$(ls registry/B | wc -l)\n"
		       "[ $g = $r ] || echo \"$g groups, $r values\"");
	stop_check(false);
}

Test(persist, kill9_without_writes)
{
	populate();
	snap(".before");
	mnt_kill9(&M);
	mnt_start(&M, NULL);
	snap(".after");
	expect_same_snap(".before", ".after");
	stop_check(false);
}
