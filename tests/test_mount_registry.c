/* SPDX-License-Identifier: MIT */
/* The cluster registry under registry/: keys are directories, values are
 * files holding their canonical text form (README: "The registry"). */
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

TestSuite(registry, .init = mnt_setup, .fini = teardown, .timeout = 60);

/* A script that hangs (a request the daemon never answers) is killed
 * after 20 s, so that the test fails instead of timing out. */
#define WATCHDOG WATCHDOG_AFTER(20)

/* Scripts run in $M/registry and stop at the first failing command. $G is
 * the registry key of a group "web" (created here), $R its resource "ip".
 * "put TEXT FILE" writes printf's expansion of TEXT in one write(). */
#define PRE \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M/registry\"\n" \
	"put() { printf -- \"$1\" > \"$D/.put\"; cat \"$D/.put\" > \"$2\"; }\n" \
	"[ -d ../groups/web ] && G=Groups/$(cat ../groups/web/id) || true\n" \
	"[ -d ../resources/ip ] && R=Resources/$(cat ../resources/ip/id) || true\n"

static void run(const char *script)
{
	free(out_of(script));
}

static void make_web(void)
{
	run("printf '%s\\n' 'group-create web' 'resource-create ip \"IP Address\" web' > ../control");
}

/* A listing of the registry with every value's type and text: what must
 * not change when a change is refused. */
#define SNAP "(find . -print0 | sort -z | xargs -0 stat -c '%n %F %a %u %g %s %i'; " \
	     "find . -type f -print0 | sort -z | xargs -0 getfattr -n user.cluster.type; " \
	     "find . -type f -print0 | sort -z | xargs -0 cat) | md5sum"

/* --- keys --- */

Test(registry, top_level)
{
	/* CmmLastMaster: the CMM election's last master (docs/cmm.md). */
	expect_out("ClusterId\nClusterName\nCmmLastMaster\nGroups\nNetworkInterfaces\nNetworks\nNodes\n"
		   "ResourceTypes\nResources\n",
		   "ls");
	expect_out("testcluster\n", "cat ClusterName");
	expect_out("ok\n", "[ \"$(cat ClusterId)\" = \"$(cat ../id)\" ]; "
			   "[ \"$(ls Groups | sort)\" = \"$(cat ../groups/*/id | sort)\" ]; "
			   "[ \"$(ls Resources | sort)\" = \"$(cat ../resources/*/id | sort)\" ]; "
			   "[ \"$(ls ResourceTypes | sort)\" = \"$(cat ../resourcetypes/*/id | sort)\" ]; "
			   "[ \"$(ls Networks | sort)\" = \"$(cat ../networks/*/id | sort)\" ]; "
			   "[ \"$(ls NetworkInterfaces | sort)\" = \"$(cat ../netinterfaces/*/id | sort)\" ]; "
			   "[ \"$(ls Nodes | sort)\" = \"$(cat ../nodes/*/id | sort)\" ]; echo ok");
	expect_out("directory\ndirectory\nregular file\n", "stat -c %F . Groups ClusterName");
	stop_check(true);
}

Test(registry, mkdir_rmdir_keys)
{
	run("mkdir Software; mkdir Software/Vendor; mkdir Software/Vendor/App");
	expect_out("Software\n", "ls | grep Software");
	expect_out("Vendor\nApp\n", "ls Software; ls Software/Vendor");
	expect_out("755 0 0\n", "stat -c '%a %u %g' Software/Vendor");
	expect_err("Directory not empty", "rmdir Software");
	expect_err("Directory not empty", "rmdir Software/Vendor");
	run("rmdir Software/Vendor/App; rmdir Software/Vendor");
	expect_out("", "ls Software");
	/* A key holding values is not empty either. */
	run("echo 1 > Software/v");
	expect_err("Directory not empty", "rmdir Software");
	expect_out("v\n", "ls Software");
	run("rm Software/v; rmdir Software");
	expect_out("", "ls | grep Software || true");
	expect_err("No such file or directory", "ls Software");
	/* mkdir's mode is the key's mode. */
	run("mkdir -m 0700 Private");
	expect_out("700\n", "stat -c %a Private");
	expect_err("File exists", "mkdir Private");
	stop_check(true);
}

/* --- values --- */

/* A value made by a file has no type of its own: text is REG_SZ, and the
 * file holds exactly what was written. */
Test(registry, echo_creates_reg_sz)
{
	run("mkdir K; echo hello > K/greeting");
	expect_out("hello\n", "cat K/greeting");
	expect_out("6\n", "stat -c %s K/greeting");
	expect_out("REG_SZ", "getfattr --only-values -n user.cluster.type K/greeting");
	expect_out("# file: K/greeting\nuser.cluster.type=\"REG_SZ\"\n\n", "getfattr -d K/greeting");
	expect_out("# file: K/greeting\nuser.cluster.type=\"REG_SZ\"\n\n",
		   "getfattr -n user.cluster.type K/greeting");
	/* The file shows what was written, final newline or not. */
	expect_out("a\n\n", "printf 'a\\n\\n' > K/two; cat K/two");
	expect_out("no newline10\nREG_SZ",
		   "printf 'no newline' > K/nonl; cat K/nonl; stat -c %s K/nonl; "
		   "getfattr --only-values -n user.cluster.type K/nonl");
	/* Setting an existing value keeps its type; shorter text replaces. */
	expect_out("hi\n3\n", "echo hi > K/greeting; cat K/greeting; stat -c %s K/greeting");
	expect_out("\n1\n", "echo > K/greeting; cat K/greeting; stat -c %s K/greeting");
	/* touch creates an empty REG_SZ: 0 bytes. */
	expect_out("0\nREG_SZ", "touch K/empty; cat K/empty; stat -c %s K/empty; "
				"getfattr --only-values -n user.cluster.type K/empty");
	/* UTF-8 is kept as is. */
	expect_out("gr\xc3\xbc\xc3\x9f\n", "echo 'gr\xc3\xbc\xc3\x9f' > K/u; cat K/u");
	stop_check(true);
}

Test(registry, reg_expand_sz)
{
	run("mkdir K; echo '%SystemRoot%\\system32' > K/p; setfattr -n user.cluster.type -v REG_EXPAND_SZ K/p");
	expect_out("%SystemRoot%\\system32\nREG_EXPAND_SZ",
		   "cat K/p; getfattr --only-values -n user.cluster.type K/p");
	expect_out("other\nREG_EXPAND_SZ", "echo other > K/p; cat K/p; getfattr --only-values -n user.cluster.type K/p");
	stop_check(true);
}

Test(registry, reg_dword)
{
	run("mkdir K; echo 42 > K/d; setfattr -n user.cluster.type -v REG_DWORD K/d");
	expect_out("42\n3\nREG_DWORD", "cat K/d; stat -c %s K/d; getfattr --only-values -n user.cluster.type K/d");
	/* Each write below is at least as long as the current text (shorter
	 * ones: reg_dword_shorter_text). */
	expect_out("16\n", "echo 0x10 > K/d; cat K/d");
	expect_out("4294967295\n", "echo 0xFFFFFFFF > K/d; cat K/d");
	run("echo 1 > K/z; setfattr -n user.cluster.type -v REG_DWORD K/z");
	expect_out("0\n", "echo 0 > K/z; cat K/z");
	expect_out("123456\n", "printf 123456 > K/z; cat K/z");
	/* Its stored form is 4 bytes, little-endian. */
	run("echo 'reg-set-raw K r REG_DWORD \"\\x01\\x01\\x00\\x00\"' > ../control");
	expect_out("257\nREG_DWORD", "cat K/r; getfattr --only-values -n user.cluster.type K/r");
	stop_check(true);
}

Test(registry, reg_dword_shorter_text)
{
	/* echo opens with O_TRUNC: a shorter number replaces a longer one. */
	run("mkdir K; echo 12345 > K/d; setfattr -n user.cluster.type -v REG_DWORD K/d");
	expect_out("7\n2\n", "echo 7 > K/d || echo \"echo 7 failed\"; cat K/d; stat -c %s K/d");
	expect_out("99\n", "echo 0x63 > K/d; echo 99 > K/d || echo \"echo 99 failed\"; cat K/d");
	/* The same through a value whose text shrinks from 6 to 2 bytes. */
	run("echo 100000 > K/q; setfattr -n user.cluster.type -v REG_QWORD K/q");
	expect_out("5\n", "echo 5 > K/q || echo \"echo 5 failed\"; cat K/q");
	stop_check(true);
}

Test(registry, reg_qword)
{
	run("mkdir K; echo 1 > K/q; setfattr -n user.cluster.type -v REG_QWORD K/q");
	expect_out("REG_QWORD1\n", "getfattr --only-values -n user.cluster.type K/q; cat K/q");
	expect_out("18446744073709551615\n", "echo 18446744073709551615 > K/q; cat K/q");
	run("echo 1 > K/p; setfattr -n user.cluster.type -v REG_QWORD K/p");
	expect_out("4294967296\n", "echo 0x100000000 > K/p; cat K/p");
	/* Its stored form is 8 bytes, little-endian. */
	run("echo 'reg-set-raw K r REG_QWORD \"\\x01\\x02\\x00\\x00\\x00\\x00\\x00\\x00\"' > ../control");
	expect_out("513\n", "cat K/r");
	stop_check(true);
}

Test(registry, reg_multi_sz)
{
	run("mkdir K; echo x > K/m; setfattr -n user.cluster.type -v REG_MULTI_SZ K/m");
	/* Every write commits what this writer has written so far: bash's
	 * printf writes line by line. */
	expect_out("alpha\nbeta\ngamma\n", "printf 'alpha\\nbeta\\ngamma\\n' > K/m; cat K/m");
	expect_out("REG_MULTI_SZ", "getfattr --only-values -n user.cluster.type K/m");
	expect_out("one\n", "echo one > K/m; cat K/m");
	/* Set through the control file. */
	run("echo 'reg-set K n REG_MULTI_SZ \"a b\\nc\"' > ../control");
	expect_out("a b\nc\nREG_MULTI_SZ", "cat K/n; getfattr --only-values -n user.cluster.type K/n");
	/* A converted REG_SZ: its one line. */
	run("echo solo > K/s; setfattr -n user.cluster.type -v REG_MULTI_SZ K/s");
	expect_out("solo\n", "cat K/s");
	stop_check(true);
}

Test(registry, reg_binary_raw_bytes)
{
	run("mkdir K; touch K/b; setfattr -n user.cluster.type -v REG_BINARY K/b");
	/* Raw bytes, NUL and 0xff included, nothing added. */
	expect_out(" 61 00 62 ff 0a\n5\n",
		   "printf 'a\\0b\\xff\\n' > K/b; od -An -tx1 K/b; stat -c %s K/b");
	expect_out("REG_BINARY", "getfattr --only-values -n user.cluster.type K/b");
	expect_out(" 00 00\n2\n", "printf '\\0\\0' > K/b; od -An -tx1 K/b; stat -c %s K/b");
	/* Opened with O_TRUNC and never written: empty once the last
	 * descriptor is closed (RELEASE is asynchronous: wait for it). */
	expect_out("0\n", "printf '' > K/b; for i in $(seq 50); do "
			   "[ $(stat -c %s K/b) = 0 ] && break; sleep 0.02; done; stat -c %s K/b");
	/* Through the control file. */
	run("echo 'reg-set-raw K raw REG_BINARY \"\\x00\\x01\\xfe\"' > ../control");
	expect_out(" 00 01 fe\nREG_BINARY", "od -An -tx1 K/raw; getfattr --only-values -n user.cluster.type K/raw");
	/* REG_NONE holds bytes too. */
	run("touch K/none; setfattr -n user.cluster.type -v REG_NONE K/none");
	expect_out(" 00 41\nREG_NONE", "printf '\\0A' > K/none; od -An -tx1 K/none; "
				      "getfattr --only-values -n user.cluster.type K/none");
	stop_check(true);
}

Test(registry, conversions)
{
	run("mkdir K; echo 0x20 > K/v");
	/* REG_SZ "0x20" -> DWORD 32 -> REG_SZ "32" -> QWORD 32. */
	expect_out("32\nREG_DWORD", "setfattr -n user.cluster.type -v REG_DWORD K/v; cat K/v; "
				   "getfattr --only-values -n user.cluster.type K/v");
	expect_out("32\nREG_SZ", "setfattr -n user.cluster.type -v REG_SZ K/v; cat K/v; "
				"getfattr --only-values -n user.cluster.type K/v");
	expect_out("32\nREG_QWORD", "setfattr -n user.cluster.type -v REG_QWORD K/v; cat K/v; "
				   "getfattr --only-values -n user.cluster.type K/v");
	expect_out("32\nREG_MULTI_SZ", "setfattr -n user.cluster.type -v REG_MULTI_SZ K/v; cat K/v; "
				      "getfattr --only-values -n user.cluster.type K/v");
	/* The same type again changes nothing. */
	expect_out("32\n", "setfattr -n user.cluster.type -v REG_MULTI_SZ K/v; cat K/v");
	stop_check(true);
}

Test(registry, conversion_failure_changes_nothing)
{
	/* Each value's type is set explicitly: then it refuses what does
	 * not parse (a value without a type takes any bytes). */
	run("mkdir K; echo hello > K/s; setfattr -n user.cluster.type -v REG_SZ K/s; "
	    "printf 'a\\nb\\n' > K/m; "
	    "setfattr -n user.cluster.type -v REG_MULTI_SZ K/m; echo 5 > K/d; "
	    "setfattr -n user.cluster.type -v REG_DWORD K/d");
	char *before = out_of(SNAP);
	expect_err("Invalid argument", "setfattr -n user.cluster.type -v REG_DWORD K/s");
	expect_err("Invalid argument", "setfattr -n user.cluster.type -v REG_QWORD K/s");
	expect_err("Invalid argument", "setfattr -n user.cluster.type -v REG_DWORD K/m");
	expect_err("Invalid argument", "setfattr -n user.cluster.type -v REG_NOSUCH K/s");
	expect_err("Invalid argument", "echo abc > K/d");
	expect_err("Invalid argument", "echo -1 > K/d");
	expect_err("Invalid argument", "echo 12abc > K/d");
	expect_err("Invalid argument", "echo 0x > K/d");
	expect_err("Invalid argument", "printf 'x\\0y' > K/s");
	expect_err("Invalid argument", "printf '\\xff\\xfe' > K/s");
	expect_err("Invalid argument", "printf 'a\\0b\\n' > K/m");
	expect_out("hello\nREG_SZa\nb\nREG_MULTI_SZ5\nREG_DWORD",
		   "for v in s m d; do cat K/$v; getfattr --only-values -n user.cluster.type K/$v; done");
	char *after = out_of(SNAP);
	cr_assert_str_eq(after, before, "a refused conversion or write changed the registry");
	free(before);
	free(after);
	stop_check(true);
}

Test(registry, dword_out_of_range_is_erange)
{
	/* README: "decimal or 0x hex, in range"; a number out of its type's
	 * range is ERANGE, and nothing changes. */
	run("mkdir K; echo 5 > K/d; setfattr -n user.cluster.type -v REG_DWORD K/d; echo 4294967296 > K/big");
	expect_err("Numerical result out of range", "echo 4294967296 > K/d");
	expect_err("Numerical result out of range", "echo 0x100000000 > K/d");
	expect_err("Numerical result out of range", "setfattr -n user.cluster.type -v REG_DWORD K/big");
	expect_err("Numerical result out of range", "echo 18446744073709551616 > K/big; "
				       "setfattr -n user.cluster.type -v REG_QWORD K/big");
	/* K/big is REG_SZ: the echo above set it; only the conversion failed. */
	expect_out("5\n18446744073709551616\n18446744073709551616\n", "cat K/d K/big; cat K/big");
	stop_check(true);
}

Test(registry, xattrs)
{
	run("mkdir K; echo x > K/v");
	expect_out("user.cluster.type\n", "getfattr -d -m - --absolute-names K/v | sed -n 's/=.*//p'");
	/* Keys have no type. */
	expect_err("No such attribute", "getfattr -n user.cluster.type K");
	expect_err("Operation not supported", "setfattr -n user.other -v x K/v");
	expect_err("No such attribute", "getfattr -n user.other K/v");
	/* Other namespaces are not supported (rather than empty), so that
	 * ls -l stops asking for security.selinux and ACLs after one answer. */
	expect_err("Operation not supported", "getfattr -n security.selinux K/v");
	expect_err("Operation not supported", "getfattr -n system.posix_acl_access K");
	expect_err("Operation not supported", "getfattr -n trusted.x K/v");
	expect_err("Operation not supported", "getfattr -n security.selinux \"$M/ports/clone\"");
	expect_err("Operation not supported", "setfattr -x security.selinux K/v");
	expect_err("Operation not supported", "setfattr -n security.x -v y K/v");
	/* The type cannot be removed, only changed. */
	expect_err("Operation not permitted", "setfattr -x user.cluster.type K/v");
	expect_out("REG_SZ", "getfattr --only-values -n user.cluster.type K/v");
	/* Numbers are accepted as type names too (REG_DWORD = 4). */
	expect_out("REG_DWORD", "echo 9 > K/n; setfattr -n user.cluster.type -v 4 K/n; "
				"getfattr --only-values -n user.cluster.type K/n");
	stop_check(true);
}

/* --- renames and deletes --- */

Test(registry, mv_value_and_key_within_key)
{
	run("mkdir K; mkdir K/Sub; echo 77 > K/v; setfattr -n user.cluster.type -v REG_DWORD K/v; "
	    "echo inner > K/Sub/x; stat -c %i K/v > $D/iv; stat -c %i K/Sub > $D/ik");
	run("mv K/v K/w; mv K/Sub K/Sub2");
	expect_out("Sub2\nw\n", "ls K");
	expect_out("77\nREG_DWORD\ninner\n", "cat K/w; getfattr --only-values -n user.cluster.type K/w; echo; "
					  "cat K/Sub2/x");
	/* Same thing, same inode. */
	expect_out("ok\n", "[ $(stat -c %i K/w) = $(cat $D/iv) ]; [ $(stat -c %i K/Sub2) = $(cat $D/ik) ]; echo ok");
	expect_err("No such file or directory", "cat K/v");
	expect_err("No such file or directory", "ls K/Sub");
	/* Onto a name in use: it is replaced (RENAME_NOREPLACE: EEXIST). */
	run("echo other > K/o");
	expect_err("File exists", "python3 -c 'import ctypes, os; l = ctypes.CDLL(None, use_errno=True); "
				  "r = l.renameat2(-100, b\"K/w\", -100, b\"K/o\", 1); "
				  "e = ctypes.get_errno(); assert r < 0; raise OSError(e, os.strerror(e))'");
	run("mv K/w K/o");
	expect_out("77\n", "cat K/o");
	expect_err("No such file or directory", "cat K/w");
	stop_check(true);
}

Test(registry, mv_across_keys_is_exdev)
{
	run("mkdir K L; mkdir K/Sub; echo v > K/v");
	char *before = out_of(SNAP);
	expect_err("Invalid cross-device link", "python3 -c 'import os; os.rename(\"K/v\", \"L/v\")'");
	expect_err("Invalid cross-device link", "python3 -c 'import os; os.rename(\"K/Sub\", \"L/Sub\")'");
	expect_err("Invalid cross-device link", "python3 -c 'import os; os.rename(\"K/Sub\", \"Sub\")'");
	char *after = out_of(SNAP);
	cr_assert_str_eq(after, before);
	expect_out("Sub\nv\n", "ls K; ls L");
	free(before);
	free(after);
	stop_check(true);
}

Test(registry, rm_value)
{
	run("mkdir K; echo 1 > K/a; echo 2 > K/b");
	run("rm K/a");
	expect_out("b\n", "ls K");
	expect_err("No such file or directory", "cat K/a");
	expect_err("No such file or directory", "rm K/a");
	/* rm of a key is refused: it is a directory. */
	expect_err("Is a directory", "python3 -c 'import os; os.unlink(\"K\")'");
	/* A removed name can be created again. */
	expect_out("again\nREG_SZ", "echo again > K/a; cat K/a; getfattr --only-values -n user.cluster.type K/a");
	stop_check(true);
}

Test(registry, chmod_chown_key)
{
	run("mkdir K; echo 1 > K/v");
	expect_out("755 0 0\n644 0 0\n", "stat -c '%a %u %g' K K/v");
	run("chmod 0750 K");
	expect_out("750\n640\n", "stat -c %a K K/v");
	run("chmod 0703 K");
	expect_out("703\n602\n", "stat -c %a K K/v");
	run("chown 65534:65534 K");
	expect_out("703 65534 65534\n602 65534 65534\n", "stat -c '%a %u %g' K K/v");
	run("chgrp 0 K");
	expect_out("65534 0\n65534 0\n", "stat -c '%u %g' K K/v");
	/* New values take the key's security. */
	run("chmod 0775 K; echo 2 > K/w");
	expect_out("664 65534 0\n", "stat -c '%a %u %g' K/w");
	/* The owner may now write; others may not. */
	run("chmod 0755 K");
	expect_out("mine\n", "chmod 755 \"$D\"; setpriv --reuid=65534 --regid=65534 --clear-groups bash -c 'echo mine > K/v'; cat K/v");
	expect_err("Permission denied",
		   "setpriv --reuid=65534 --regid=65534 --clear-groups bash -c 'echo x > Groups/y'");
	/* Through the control file. */
	run("echo 'reg-security K 0700 12 34' > ../control");
	expect_out("700 12 34\n600 12 34\n", "stat -c '%a %u %g' K K/v");
	stop_check(true);
}

Test(registry, truncate_value)
{
	run("mkdir K; echo hello > K/s");
	expect_out("hel|3\n", "truncate -s 3 K/s; cat K/s; echo \"|$(stat -c %s K/s)\"");
	expect_out("|0\n", "truncate -s 0 K/s; cat K/s; echo \"|$(stat -c %s K/s)\"");
	run("printf 'abc' > K/b; setfattr -n user.cluster.type -v REG_BINARY K/b");
	expect_out(" 61 62 63 00 00 00\n", "truncate -s 6 K/b; od -An -tx1 K/b");
	expect_out(" 61\n", "truncate -s 1 K/b; od -An -tx1 K/b");
	/* A typed REG_SZ shows its text form: the string and a newline. */
	run("echo typed > K/t; setfattr -n user.cluster.type -v REG_SZ K/t");
	expect_out("ty\n", "truncate -s 2 K/t; cat K/t");
	/* A DWORD cut to nothing does not parse: refused, unchanged. */
	run("echo 123 > K/d; setfattr -n user.cluster.type -v REG_DWORD K/d");
	expect_err("Invalid argument", "truncate -s 0 K/d");
	expect_out("123\n", "cat K/d");
	expect_out("12\n", "truncate -s 2 K/d; cat K/d");
	stop_check(true);
}

/* --- object keys --- */

Test(registry, object_properties)
{
	make_web();
	expect_out("GroupType\nName\nOwnerNode\nState\n", "ls $G");
	expect_out("web\n1\n9999\n", "cat $G/Name $G/State $G/GroupType");
	expect_out("REG_SZ REG_DWORD REG_SZ REG_DWORD ",
		   "for v in Name State OwnerNode GroupType; do "
		   "getfattr --only-values -n user.cluster.type $G/$v; echo -n ' '; done");
	expect_out("ok\n", "[ \"$(cat $G/OwnerNode)\" = \"$(cat ../nodes/$(hostname)/id)\" ]; echo ok");
	/* The State value is the group's state (ClusterGroupOnline = 0). */
	run("echo online > ../groups/web/state");
	expect_out("0\n2\n", "cat $G/State $R/State");
	expect_out("ip\n2\n", "cat $R/Name $R/State");
	expect_out("ok\n", "[ \"$(cat $R/Group)\" = \"${G#Groups/}\" ]; "
			   "[ \"$(cat $R/Type)\" = \"$(cat '../resourcetypes/IP Address/id')\" ]; echo ok");
	stop_check(true);
}

Test(registry, managed_values_are_read_only)
{
	make_web();
	char *before = out_of(SNAP);
	expect_err("Operation not permitted", "echo other > $G/Name");
	expect_err("Operation not permitted", "echo 0 > $G/State");
	expect_err("Operation not permitted", "echo x > $G/OwnerNode");
	expect_err("Operation not permitted", "echo x > $R/Group");
	expect_err("Operation not permitted", "echo x > $R/Type");
	expect_err("Operation not permitted", "echo x > ClusterName");
	expect_err("Operation not permitted", "rm $G/Name");
	expect_err("Operation not permitted", "python3 -c 'import os, sys; os.rename(sys.argv[1] + \"/Name\", "
					      "sys.argv[1] + \"/Alias\")' $G");
	expect_err("Operation not permitted", "setfattr -n user.cluster.type -v REG_SZ $G/State");
	expect_err("Operation not permitted", "truncate -s 0 $G/Name");
	/* A free value cannot take a managed name either. */
	expect_err("Operation not permitted", "echo x > $G/PreferredOwners");
	run("echo x > $G/Free");
	expect_err("Operation not permitted", "python3 -c 'import os, sys; os.rename(sys.argv[1] + \"/Free\", "
					      "sys.argv[1] + \"/PreferredOwners\")' $G");
	run("rm $G/Free");
	char *after = out_of(SNAP);
	cr_assert_str_eq(after, before);
	expect_out("web\n1\nweb\n", "cat $G/Name $G/State; ls ../groups | grep web");
	free(before);
	free(after);
	stop_check(true);
}

Test(registry, description_and_free_values)
{
	make_web();
	run("echo 'Front end' > $G/Description");
	expect_out("Front end\n", "cat ../groups/web/description");
	run("echo 'Changed' > ../groups/web/description");
	expect_out("Changed\nREG_SZ", "cat $G/Description; getfattr --only-values -n user.cluster.type $G/Description");
	/* Other values and subkeys of an object key are free. */
	run("echo 8080 > $R/Port; setfattr -n user.cluster.type -v REG_DWORD $R/Port; mkdir $R/Parameters; "
	    "echo 10.0.0.9 > $R/Parameters/Address");
	expect_out("8080\n10.0.0.9\n", "cat $R/Port $R/Parameters/Address");
	run("mv $R/Port $R/ListenPort; rm $R/ListenPort; rm $R/Parameters/Address; rmdir $R/Parameters");
	expect_out("Group\nName\nState\nType\n", "ls $R");
	/* Removing the description empties the file. */
	run("rm $G/Description");
	expect_out("\n", "cat ../groups/web/description");
	stop_check(true);
}

Test(registry, structural_keys_cannot_be_removed)
{
	make_web();
	char *before = out_of(SNAP);
	/* Object keys are created, renamed and deleted through their objects. */
	expect_err("Operation not permitted", "mkdir Groups/NewGroup");
	expect_err("Operation not permitted", "mv Groups Groups2");
	expect_err("Operation not permitted", "mv $G Groups/x");
	expect_err("Operation not permitted", "echo 'reg-delete-key Groups/'${G#Groups/} > ../control");
	expect_err("Operation not permitted", "echo 'reg-delete-key Groups' > ../control");
	expect_err("Operation not permitted", "echo 'reg-delete-key \"\"' > ../control");
	expect_err("Operation not permitted", "echo 'reg-rename-key Nodes N' > ../control");
	char *after = out_of(SNAP);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	/* An empty collection key is still structural. */
	run("printf '%s\\n' 'group-offline \"Cluster Group\"' 'resource-delete \"Cluster Name\"' "
	    "'resource-delete \"Cluster IP Address\"' 'resource-delete ip' 'group-delete web' "
	    "'group-delete \"Cluster Group\"' 'group-delete \"Available Storage\"' > ../control");
	expect_out("", "ls Groups");
	expect_err("Operation not permitted", "rmdir Groups");
	expect_out("Groups\n", "ls | grep Groups");
	stop_check(true);
}

Test(registry, control_commands)
{
	run("echo 'reg-create-key Software 0750' > ../control");
	expect_out("750\n", "stat -c %a Software");
	run("echo 'reg-create-key Software\\App' > ../control");
	expect_out("750\n", "stat -c %a Software/App");
	run("echo 'reg-set Software\\App Count REG_DWORD 0x0a' > ../control");
	expect_out("10\nREG_DWORD", "cat Software/App/Count; getfattr --only-values -n user.cluster.type Software/App/Count");
	run("echo 'reg-type Software/App Count REG_SZ' > ../control");
	expect_out("10\nREG_SZ", "cat Software/App/Count; getfattr --only-values -n user.cluster.type Software/App/Count");
	run("echo 'reg-rename Software/App Count Total' > ../control");
	expect_out("Total\n", "ls Software/App");
	run("echo 'reg-rename-key Software/App Application' > ../control");
	expect_out("Application\n", "ls Software");
	run("echo 'reg-delete Software/Application Total' > ../control");
	expect_out("", "ls Software/Application");
	/* reg-delete-key takes the values with it, not subkeys. */
	run("echo 'reg-set Software/Application a REG_SZ x' > ../control");
	expect_err("Directory not empty", "echo 'reg-delete-key Software' > ../control");
	run("echo 'reg-delete-key Software/Application' > ../control");
	expect_out("", "ls Software");
	expect_err("No such file or directory", "echo 'reg-delete-key Software/Application' > ../control");
	expect_err("No such file or directory", "echo 'reg-set Nope v REG_SZ x' > ../control");
	stop_check(true);
}
