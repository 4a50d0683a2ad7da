/* SPDX-License-Identifier: MIT */
/* No stale reads: the kernel caches entries, attributes, listings and
 * pages for an hour, so every change must show at once, including the
 * files the daemon changes as a consequence (README: "Design": "every
 * read shows the current state at once"). Each scenario reads first (to
 * fill the caches), changes, and reads again right after the change was
 * acknowledged; most repeat, since a late invalidation is a race. */
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

TestSuite(cache, .init = mnt_setup, .fini = teardown, .timeout = 60);

/* A script that hangs (a request the daemon never answers) is killed
 * after 20 s, so that the test fails instead of timing out. */
#define WATCHDOG WATCHDOG_AFTER(20)

/* check WHAT EXPECTED ACTUAL: prints a line when they differ. */
#define PRE \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M\"; h=$(hostname)\n" \
	"put() { printf -- \"$1\" > \"$D/.put\"; cat \"$D/.put\" > \"$2\"; }\n" \
	"check() { [ \"$2\" = \"$3\" ] || echo \"$1: expected '$2', got '$3'\"; }\n"

/* The script prints nothing when every check passed. */
static void expect_clean(const char *script)
{
	char *o = out_of(script);
	if (*o) {
		char *n = daemon_note();
		cr_assert_fail("stale reads:\n%s\n--- script:\n%s%s", o, script, n);
	}
	free(o);
}

static void run(const char *script)
{
	free(out_of(script));
}

static void make_web(void)
{
	run("put 'type-create MyType\\ngroup-create web\\nresource-create ip \"IP Address\" web\\n"
	    "resource-create app MyType web\\nresource-depend app ip\\n' control");
}

Test(cache, same_file_read_before_and_after)
{
	run("mkdir groups/web");
	expect_clean("for i in $(seq 1 40); do\n"
		     "  cat groups/web/state > /dev/null; stat -c %s groups/web/state > /dev/null\n"
		     "  echo online > groups/web/state\n"
		     "  check \"state $i\" online \"$(cat groups/web/state)\"\n"
		     "  check \"size $i\" 7 \"$(stat -c %s groups/web/state)\"\n"
		     "  echo offline > groups/web/state\n"
		     "  check \"state $i\" offline \"$(cat groups/web/state)\"\n"
		     "  check \"size $i\" 8 \"$(stat -c %s groups/web/state)\"\n"
		     "done");
	expect_clean("for i in $(seq 1 40); do\n"
		     "  cat groups/web/description > /dev/null\n"
		     "  echo \"text number $i\" > groups/web/description\n"
		     "  check \"description $i\" \"text number $i\" \"$(cat groups/web/description)\"\n"
		     "  check \"size $i\" $((${#i} + 13)) \"$(stat -c %s groups/web/description)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, group_state_changes_resource_files)
{
	make_web();
	expect_clean("R=registry/Resources/$(cat resources/app/id)\n"
		     "for i in $(seq 1 40); do\n"
		     "  cat resources/ip/state resources/app/state $R/State > /dev/null\n"
		     "  stat -c %s resources/ip/state resources/app/state > /dev/null\n"
		     "  echo online > groups/web/state\n"
		     "  check \"ip $i\" online \"$(cat resources/ip/state)\"\n"
		     "  check \"app $i\" online \"$(cat resources/app/state)\"\n"
		     "  check \"app size $i\" 7 \"$(stat -c %s resources/app/state)\"\n"
		     "  check \"app via link $i\" online \"$(cat groups/web/resources/app/state)\"\n"
		     "  check \"registry $i\" 2 \"$(cat $R/State)\"\n"
		     "  echo offline > groups/web/state\n"
		     "  check \"ip $i\" offline \"$(cat resources/ip/state)\"\n"
		     "  check \"app $i\" offline \"$(cat resources/app/state)\"\n"
		     "  check \"app size $i\" 8 \"$(stat -c %s resources/app/state)\"\n"
		     "  check \"registry $i\" 3 \"$(cat $R/State)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, resource_state_changes_group_and_dependents)
{
	make_web();
	expect_clean("G=registry/Groups/$(cat groups/web/id)\n"
		     "for i in $(seq 1 40); do\n"
		     "  cat groups/web/state resources/app/state $G/State > /dev/null\n"
		     "  echo online > resources/ip/state\n"
		     "  check \"group $i\" partialonline \"$(cat groups/web/state)\"\n"
		     "  check \"group size $i\" 14 \"$(stat -c %s groups/web/state)\"\n"
		     "  check \"registry $i\" 3 \"$(cat $G/State)\"\n"
		     "  echo online > resources/app/state\n"
		     "  check \"group $i\" online \"$(cat groups/web/state)\"\n"
		     "  echo offline > resources/ip/state\n"
		     "  check \"app $i\" offline \"$(cat resources/app/state)\"\n"
		     "  check \"group $i\" offline \"$(cat groups/web/state)\"\n"
		     "  check \"registry $i\" 1 \"$(cat $G/State)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, group_move_changes_owner_files)
{
	make_web();
	run("echo 'node-add n2 2 10.0.0.2' > control; echo online > groups/web/state");
	expect_clean("for i in $(seq 1 30); do\n"
		     "  cat groups/web/owner resources/ip/owner resources/app/owner > /dev/null\n"
		     "  stat -c %s resources/app/owner > /dev/null\n"
		     "  echo n2 > groups/web/owner\n"
		     "  check \"group $i\" n2 \"$(cat groups/web/owner)\"\n"
		     "  check \"ip $i\" n2 \"$(cat resources/ip/owner)\"\n"
		     "  check \"app $i\" n2 \"$(cat resources/app/owner)\"\n"
		     "  check \"app size $i\" 3 \"$(stat -c %s resources/app/owner)\"\n"
		     "  echo $h > groups/web/owner\n"
		     "  check \"group $i\" $h \"$(cat groups/web/owner)\"\n"
		     "  check \"app $i\" $h \"$(cat resources/app/owner)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, node_state_changes_quorum)
{
	run("put 'node-add n2 2 10.0.0.2 down\\nnode-add n3 3 10.0.0.3 down\\n' control");
	expect_clean("for i in $(seq 1 30); do\n"
		     "  cat quorum nodes/n2/state > /dev/null\n"
		     "  echo up > nodes/n2/state\n"
		     "  check \"quorum $i\" quorate \"$(cat quorum)\"\n"
		     "  check \"size $i\" 8 \"$(stat -c %s quorum)\"\n"
		     "  echo down > nodes/n2/state\n"
		     "  check \"quorum $i\" lost \"$(cat quorum)\"\n"
		     "  check \"state $i\" down \"$(cat nodes/n2/state)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, rename_resource_updates_siblings_and_listing)
{
	make_web();
	expect_clean("for i in $(seq 1 30); do\n"
		     "  cat resources/app/dependencies > /dev/null; ls groups/web/resources > /dev/null\n"
		     "  readlink groups/web/resources/ip > /dev/null\n"
		     "  mv resources/ip resources/addr\n"
		     "  check \"deps $i\" addr \"$(cat resources/app/dependencies)\"\n"
		     "  check \"deps size $i\" 5 \"$(stat -c %s resources/app/dependencies)\"\n"
		     "  check \"listing $i\" \"addr app\" \"$(echo $(ls groups/web/resources))\"\n"
		     "  check \"link $i\" ../../../resources/addr \"$(readlink groups/web/resources/addr)\"\n"
		     "  check \"old link $i\" gone \"$(readlink groups/web/resources/ip || echo gone)\"\n"
		     "  check \"resources $i\" \"Cluster IP Address Cluster Name addr app\" \"$(echo $(ls resources))\"\n"
		     "  mv resources/addr resources/ip\n"
		     "  check \"deps $i\" ip \"$(cat resources/app/dependencies)\"\n"
		     "  check \"link $i\" ../../../resources/ip \"$(readlink groups/web/resources/ip)\"\n"
		     "done 2>/dev/null");
	stop_check(true);
}

Test(cache, rename_group_updates_resource_files)
{
	make_web();
	expect_clean("for i in $(seq 1 30); do\n"
		     "  cat resources/ip/group resources/app/group > /dev/null; ls groups > /dev/null\n"
		     "  mv groups/web groups/www\n"
		     "  check \"group $i\" www \"$(cat resources/ip/group)\"\n"
		     "  check \"group size $i\" 4 \"$(stat -c %s resources/app/group)\"\n"
		     "  check \"listing $i\" \"Available Storage|Cluster Group|www\" \"$(ls groups | paste -sd '|')\"\n"
		     "  check \"registry $i\" www \"$(cat registry/Groups/$(cat groups/www/id)/Name)\"\n"
		     "  mv groups/www groups/web\n"
		     "  check \"group $i\" web \"$(cat resources/app/group)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, move_resource_between_groups)
{
	make_web();
	run("put 'group-create db\\nresource-create solo MyType web\\n' control");
	expect_clean("for i in $(seq 1 30); do\n"
		     "  ls groups/web/resources groups/db/resources > /dev/null; cat resources/solo/group > /dev/null\n"
		     "  echo db > resources/solo/group\n"
		     "  check \"web $i\" \"app ip\" \"$(echo $(ls groups/web/resources))\"\n"
		     "  check \"db $i\" solo \"$(echo $(ls groups/db/resources))\"\n"
		     "  check \"group $i\" db \"$(cat resources/solo/group)\"\n"
		     "  check \"gone $i\" gone \"$(stat groups/web/resources/solo 2>/dev/null || echo gone)\"\n"
		     "  echo web > resources/solo/group\n"
		     "  check \"web $i\" \"app ip solo\" \"$(echo $(ls groups/web/resources))\"\n"
		     "  check \"db $i\" \"\" \"$(echo $(ls groups/db/resources))\"\n"
		     "done");
	stop_check(true);
}

Test(cache, long_lived_fd_pread)
{
	make_web();
	/* pread at offset 0 on an fd opened before the change. */
	expect_out("offline\n|online\n|offline\n|online\n|",
		   "python3 -c '\n"
		   "import os, subprocess, sys\n"
		   "fd = os.open(\"resources/app/state\", os.O_RDONLY)\n"
		   "out = os.pread(fd, 100, 0)\n"
		   "for word in (\"online\", \"offline\", \"online\"):\n"
		   "    sys.stdout.write(out.decode() + \"|\")\n"
		   "    with open(\"groups/web/state\", \"w\") as f:\n"
		   "        f.write(word + \"\\n\")\n"
		   "    out = os.pread(fd, 100, 0)\n"
		   "sys.stdout.write(out.decode() + \"|\")\n'");
	/* The same with a registry value rewritten through the control file. */
	expect_out("1\n|22\n|333\n|",
		   "mkdir registry/K; echo 1 > registry/K/v\n"
		   "python3 -c '\n"
		   "import os, sys\n"
		   "fd = os.open(\"registry/K/v\", os.O_RDONLY)\n"
		   "sys.stdout.write(os.pread(fd, 100, 0).decode() + \"|\")\n"
		   "for v in (\"22\", \"333\"):\n"
		   "    with open(\"control\", \"w\") as f:\n"
		   "        f.write(\"reg-set K v REG_SZ \" + v + \"\\n\")\n"
		   "    sys.stdout.write(os.pread(fd, 100, 0).decode() + \"|\")\n'");
	stop_check(true);
}

/* The notifier's own truncation of a changed file (its inotify replay)
 * races with the next change: the kernel must not keep the size its
 * answer carried. Each value change is read through one long-lived fd at
 * once, content and length, many times over, with lengths going up and
 * down. */
Test(cache, size_after_quick_rewrites)
{
	expect_clean("mkdir registry/Q; echo 1 > registry/Q/v\n"
		     "python3 -c '\n"
		     "import os\n"
		     "fd = os.open(\"registry/Q/v\", os.O_RDONLY)\n"
		     "for i in range(300):\n"
		     "    v = \"x\" * (1 + (i * 7) % 13)\n"
		     "    with open(\"control\", \"w\") as f:\n"
		     "        f.write(\"reg-set Q v REG_SZ \" + v + \"\\n\")\n"
		     "    got = os.pread(fd, 100, 0).decode()\n"
		     "    if got != v + \"\\n\":\n"
		     "        print(\"change %d: expected %r, got %r\" % (i, v + \"\\n\", got))\n"
		     "    st = os.fstat(fd).st_size\n"
		     "    if st != len(v) + 1:\n"
		     "        print(\"change %d: size %d, expected %d\" % (i, st, len(v) + 1))\n'");
	stop_check(true);
}

/* A read-only shared mapping sees each change (the invalidation drops its
 * pages); a file opened for writing bypasses the page cache, so the kernel
 * refuses a shared mapping of it (README: "Design"), while a private one
 * still works. */
Test(cache, mmap_read_only_follows_changes_writable_shared_refused)
{
	expect_out("1\n|2\n|3\n|ENODEV|3\n|",
		   "mkdir registry/K; echo 1 > registry/K/v\n"
		   "python3 -c '\n"
		   "import errno, mmap, os, sys\n"
		   "fd = os.open(\"registry/K/v\", os.O_RDONLY)\n"
		   "m = mmap.mmap(fd, 2, mmap.MAP_SHARED, mmap.PROT_READ)\n"
		   "sys.stdout.write(m[:2].decode() + \"|\")\n"
		   "for v in (\"2\", \"3\"):\n"
		   "    with open(\"control\", \"w\") as f:\n"
		   "        f.write(\"reg-set K v REG_SZ \" + v + \"\\n\")\n"
		   "    sys.stdout.write(m[:2].decode() + \"|\")\n"
		   "w = os.open(\"registry/K/v\", os.O_RDWR)\n"
		   "try:\n"
		   "    mmap.mmap(w, 2, mmap.MAP_SHARED, mmap.PROT_READ)\n"
		   "    sys.stdout.write(\"mapped|\")\n"
		   "except OSError as e:\n"
		   "    sys.stdout.write(errno.errorcode[e.errno] + \"|\")\n"
		   "p = mmap.mmap(w, 2, mmap.MAP_PRIVATE, mmap.PROT_READ)\n"
		   "sys.stdout.write(p[:2].decode() + \"|\")\n'");
	stop_check(true);
}

Test(cache, listing_after_control_create_and_delete)
{
	expect_clean("for i in $(seq 1 40); do\n"
		     "  ls groups > /dev/null; stat groups/c$i 2>/dev/null || true\n"
		     "  echo \"group-create c$i\" > control\n"
		     "  check \"listed $i\" 1 \"$(ls groups | grep -cx c$i)\"\n"
		     "  check \"state $i\" offline \"$(cat groups/c$i/state 2>&1)\"\n"
		     "  check \"nlink $i\" 5 \"$(stat -c %h groups)\"\n"
		     "  echo \"group-delete c$i\" > control\n"
		     "  check \"unlisted $i\" 0 \"$(ls groups | grep -cx c$i || true)\"\n"
		     "  check \"gone $i\" gone \"$(stat groups/c$i 2>/dev/null || echo gone)\"\n"
		     "done");
	/* The same in the registry. */
	expect_clean("for i in $(seq 1 40); do\n"
		     "  ls registry > /dev/null; cat registry/v$i 2>/dev/null || true\n"
		     "  echo \"reg-set \\\"\\\" v$i REG_SZ x$i\" > control\n"
		     "  check \"value $i\" x$i \"$(cat registry/v$i 2>&1)\"\n"
		     "  check \"listed $i\" 1 \"$(ls registry | grep -cx v$i)\"\n"
		     "  echo \"reg-delete \\\"\\\" v$i\" > control\n"
		     "  check \"unlisted $i\" 0 \"$(ls registry | grep -cx v$i || true)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, deleted_via_control_then_mkdir)
{
	expect_clean("for i in $(seq 1 40); do\n"
		     "  mkdir groups/web; cat groups/web/state > /dev/null; stat groups/web > /dev/null\n"
		     "  echo 'group-delete web' > control\n"
		     "  mkdir groups/web 2>&1 || echo \"mkdir $i failed\"\n"
		     "  check \"state $i\" offline \"$(cat groups/web/state)\"\n"
		     "  rmdir groups/web\n"
		     "done");
	/* Registry keys and values alike. */
	expect_clean("for i in $(seq 1 40); do\n"
		     "  mkdir registry/K; echo 1 > registry/K/v; cat registry/K/v > /dev/null\n"
		     "  echo 'reg-delete K v' > control\n"
		     "  echo 2 > registry/K/v 2>&1 || echo \"recreate value $i failed\"\n"
		     "  check \"value $i\" 2 \"$(cat registry/K/v)\"\n"
		     "  echo 'reg-delete-key K' > control\n"
		     "  mkdir registry/K 2>&1 || echo \"mkdir $i failed\"\n"
		     "  check \"empty $i\" \"\" \"$(ls registry/K)\"\n"
		     "  rmdir registry/K\n"
		     "done");
	stop_check(true);
}

Test(cache, registry_key_renamed_via_control)
{
	expect_clean("mkdir registry/Old; echo v > registry/Old/x\n"
		     "for i in $(seq 1 40); do\n"
		     "  ls registry > /dev/null; cat registry/Old/x > /dev/null; stat registry/New 2>/dev/null || true\n"
		     "  echo 'reg-rename-key Old New' > control\n"
		     "  check \"new $i\" v \"$(cat registry/New/x 2>&1)\"\n"
		     "  check \"old $i\" gone \"$(stat registry/Old 2>/dev/null || echo gone)\"\n"
		     "  check \"listing $i\" \"0 1\" \"$(ls registry | grep -cx Old || true) $(ls registry | grep -cx New)\"\n"
		     "  echo 'reg-rename-key New Old' > control\n"
		     "  check \"back $i\" v \"$(cat registry/Old/x 2>&1)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, registry_changes_via_control)
{
	run("mkdir registry/K; echo 5 > registry/K/v");
	expect_clean("for i in $(seq 1 30); do\n"
		     "  cat registry/K/v > /dev/null; getfattr -n user.cluster.type registry/K/v > /dev/null\n"
		     "  stat registry/K registry/K/v > /dev/null\n"
		     "  echo 'reg-type K v REG_DWORD' > control\n"
		     "  check \"type $i\" REG_DWORD \"$(getfattr --only-values -n user.cluster.type registry/K/v)\"\n"
		     "  echo \"reg-set K v REG_DWORD $((i * 1000))\" > control\n"
		     "  check \"value $i\" $((i * 1000)) \"$(cat registry/K/v)\"\n"
		     "  check \"size $i\" $(( ${#i} + 4 )) \"$(stat -c %s registry/K/v)\"\n"
		     "  echo 'reg-security K 0700 0 0' > control\n"
		     "  check \"mode $i\" \"700 600\" \"$(stat -c %a registry/K registry/K/v | paste -sd ' ')\"\n"
		     "  echo 'reg-security K 0755 0 0' > control\n"
		     "  check \"mode $i\" \"755 644\" \"$(stat -c %a registry/K registry/K/v | paste -sd ' ')\"\n"
		     "  echo 'reg-set K v REG_SZ 5' > control\n"
		     "  check \"type $i\" REG_SZ \"$(getfattr --only-values -n user.cluster.type registry/K/v)\"\n"
		     "done");
	stop_check(true);
}

/* parameters/ is cached like any directory: its listing, entries and
 * sizes follow the resource's Parameters key (set through the registry
 * or the files) and its type's parameter list, whose change may give a
 * listed name another slot (inode) or none. */
Test(cache, parameters_follow_registry_and_type_list)
{
	make_web();
	expect_clean("P=resources/app/parameters\n"
		     "R=registry/Resources/$(cat resources/app/id)/Parameters\n"
		     "T=registry/ResourceTypes/$(cat resourcetypes/MyType/id)\n"
		     "mkdir -p $R\n"
		     "for i in $(seq 1 15); do\n"
		     "  ls -l $P > /dev/null; stat $P > /dev/null\n"
		     "  echo \"reg-set Resources\\\\$(cat resources/app/id)\\\\Parameters extra REG_SZ v$i\" > control\n"
		     "  check \"extra $i\" \"extra $(( ${#i} + 2 ))\" \"$(cd $P && stat -c '%n %s' extra)\"\n"
		     "  check \"listing $i\" extra \"$(ls $P | paste -sd ' ')\"\n"
		     "  check \"content $i\" \"v$i\" \"$(cat $P/extra)\"\n"
		     "  echo \"reg-set Resources\\\\$(cat resources/app/id)\\\\Parameters extra REG_SZ w$i\" > control\n"
		     "  check \"content again $i\" \"w$i\" \"$(cat $P/extra)\"\n"
		     "  rm $R/extra\n"
		     "  mkdir $T/Parameters; echo string > $T/Parameters/alpha\n"
		     "  check \"listed $i\" alpha \"$(ls $P | paste -sd ' ')\"\n"
		     "  check \"unset $i\" 0 \"$(stat -c %s $P/alpha)\"\n"
		     "  echo \"a$i\" > $P/alpha\n"
		     "  check \"set $i\" \"alpha $(( ${#i} + 2 ))\" \"$(ls -l $P | awk 'NR > 1 { print $9, $5 }')\"\n"
		     "  check \"read $i\" \"a$i\" \"$(cat $P/alpha)\"\n"
		     "  rm $P/alpha\n"
		     "  check \"unset again $i\" 0 \"$(stat -c %s $P/alpha)\"\n"
		     "  echo string > $T/Parameters/beta; rm $T/Parameters/alpha\n"
		     "  check \"relisted $i\" beta \"$(ls $P | paste -sd ' ')\"\n"
		     "  [ ! -e $P/alpha ] || echo \"alpha still there $i\"\n"
		     "  check \"beta $i\" 0 \"$(stat -c %s $P/beta)\"\n"
		     "  rm $T/Parameters/beta; rmdir $T/Parameters\n"
		     "  check \"empty $i\" '' \"$(ls $P)\"\n"
		     "done");
	stop_check(true);
}

/* The event log's name and attributes are cached (its IN_MODIFY replay
 * then costs fewer requests): each commit invalidates them before it is
 * acknowledged, so its size after a change counts that change's record. */
Test(cache, log_size_follows_commits)
{
	run("mkdir registry/K");
	expect_clean("for i in $(seq 1 40); do\n"
		     "  a=$(stat -c %s log)\n"
		     "  echo \"reg-set K v$i sz $i\" > control\n"
		     "  b=$(stat -c %s log); n=$(wc -c < log)\n"
		     "  [ \"$b\" -gt \"$a\" ] || echo \"size $i: $a then $b\"\n"
		     "  check \"size = bytes $i\" \"$n\" \"$b\"\n"
		     "done");
	stop_check(true);
}

Test(cache, registry_and_object_files_agree)
{
	make_web();
	expect_clean("G=registry/Groups/$(cat groups/web/id)\n"
		     "for i in $(seq 1 30); do\n"
		     "  cat groups/web/description $G/Description 2>/dev/null > /dev/null || true\n"
		     "  echo \"desc $i\" > $G/Description\n"
		     "  check \"object $i\" \"desc $i\" \"$(cat groups/web/description)\"\n"
		     "  echo \"set group web Description \\\"via control $i\\\"\" > control\n"
		     "  check \"object $i\" \"via control $i\" \"$(cat groups/web/description)\"\n"
		     "  check \"registry $i\" \"via control $i\" \"$(cat $G/Description)\"\n"
		     "  echo \"file $i\" > groups/web/description\n"
		     "  check \"registry $i\" \"file $i\" \"$(cat $G/Description)\"\n"
		     "done");
	/* The cluster's name. */
	expect_clean("for i in $(seq 1 30); do\n"
		     "  cat name registry/ClusterName > /dev/null\n"
		     "  echo \"cluster-rename c$i\" > control\n"
		     "  check \"name $i\" c$i \"$(cat name)\"\n"
		     "  check \"registry $i\" c$i \"$(cat registry/ClusterName)\"\n"
		     "  echo \"d$i\" > name\n"
		     "  check \"registry $i\" d$i \"$(cat registry/ClusterName)\"\n"
		     "done");
	stop_check(true);
}

Test(cache, network_rename_updates_interfaces)
{
	run("put 'node-add n2 2 10.0.0.2\\nnetwork-add net1 10.1.0.0 16 client up\\n"
	    "netif-add if1 n2 net1 eth9 10.1.0.5 up\\n' control");
	expect_clean("for i in $(seq 1 30); do\n"
		     "  cat netinterfaces/if1/network > /dev/null; ls networks > /dev/null\n"
		     "  mv networks/net1 networks/backbone\n"
		     "  check \"network $i\" backbone \"$(cat netinterfaces/if1/network)\"\n"
		     "  check \"listed $i\" 1 \"$(ls networks | grep -cx backbone)\"\n"
		     "  echo 'network-rename backbone net1' > control\n"
		     "  check \"network $i\" net1 \"$(cat netinterfaces/if1/network)\"\n"
		     "  check \"listed $i\" 0 \"$(ls networks | grep -cx backbone || true)\"\n"
		     "  echo 'netif-state if1 failed' > control\n"
		     "  check \"state $i\" failed \"$(cat netinterfaces/if1/state)\"\n"
		     "  echo 'netif-state if1 up' > control\n"
		     "done");
	stop_check(true);
}

Test(cache, evicted_node_and_its_interfaces)
{
	expect_clean("for i in $(seq 1 30); do\n"
		     "  put \"node-add n2 2 10.0.0.2\\nnetwork-add net$i 10.$i.0.0 16 client up\\n"
		     "netif-add if$i n2 net$i eth9 10.$i.0.5 up\\n\" control\n"
		     "  ls nodes netinterfaces > /dev/null; cat nodes/n2/state netinterfaces/if$i/node > /dev/null\n"
		     "  rmdir nodes/n2\n"
		     "  check \"node $i\" gone \"$(stat nodes/n2 2>/dev/null || echo gone)\"\n"
		     "  check \"interface $i\" 0 \"$(ls netinterfaces | grep -cx if$i || true)\"\n"
		     "  check \"interface file $i\" gone \"$(cat netinterfaces/if$i/node 2>/dev/null || echo gone)\"\n"
		     "  echo \"network-delete net$i\" > control\n"
		     "done");
	stop_check(true);
}

/* READDIRPLUS (fs_ops.c, cfs_readdirplus): on a mount whose caches are
 * cold, `ls -l` takes every entry's attributes from the listing itself,
 * with no LOOKUP or GETATTR per entry. The daemon is restarted with -d
 * (a new mount: nothing cached), whose libfuse trace in daemon.log names
 * each request's opcode and the pid that made it; the shell enters each
 * directory first, so that ls's own requests are the listing's. Fails
 * when the daemon lists without attributes or without READDIRPLUS. */
Test(cache, ls_l_takes_attributes_from_the_listing)
{
	run("mkdir registry/K; for i in $(seq 1 200); do echo x > registry/K/v$i; done\n"
	    "for i in $(seq 1 5); do mkdir registry/K/sub$i; done\n"
	    "for i in $(seq 1 100); do echo \"group-create g$i\"; done > \"$D/groups\"\n"
	    "echo 'type-create T' >> \"$D/groups\"\n"
	    "for i in $(seq 1 20); do echo \"resource-create r$i T g1\"; done >> \"$D/groups\"\n"
	    "cat \"$D/groups\" > control");
	mnt_stop_daemon(&M);
	mnt_start(&M, "-d");
	/* ls_l DIR MIN: ls -l in DIR lists at least MIN entries, all of them,
	 * with READDIRPLUS and nothing per entry; prints what differs. */
	char *o = out_of(
		"ls_l() {\n"
		"  from=$(($(wc -l < \"$D/daemon.log\") + 1))\n"
		"  cd \"$1\"; ls -l > \"$D/ls.out\" & p=$!; wait $p; cd \"$M\"\n"
		"  tail -n +$from \"$D/daemon.log\" | grep -E \", pid: $p\\$\" |\n"
		"    sed -n 's/.*opcode: \\([A-Z]*\\) .*/\\1/p' > \"$D/ops\" || true\n"
		"  n=$(($(wc -l < \"$D/ls.out\") - 1))\n"
		"  [ $n -ge $2 ] || echo \"$1: ls -l listed $n entries, expected $2 or more\"\n"
		"  check \"$1: entries\" \"$(ls -A \"$1\" | wc -l)\" $n\n"
		"  grep -qx READDIRPLUS \"$D/ops\" ||\n"
		"    echo \"$1: no READDIRPLUS from ls: $(sort \"$D/ops\" | uniq -c | paste -sd ' ')\"\n"
		"  check \"$1: LOOKUP and GETATTR from ls\" 0 \"$(grep -cxE 'LOOKUP|GETATTR' \"$D/ops\" || true)\"\n"
		"}\n"
		"ls_l registry/K 205\n"
		"ls_l groups 102\n"
		"ls_l groups/g1 5\n"
		"ls_l groups/g1/resources 20\n"
		"ls_l resources 20\n"
		"ls_l registry/Groups 102\n");
	cr_assert_str_empty(o, "ls -l on a cold mount:\n%s", o);
	free(o);
	stop_check(true);
}
