/* SPDX-License-Identifier: MIT */
/* Files that behave like files (README: "The registry", "Names"): the
 * same steps, made with the real tools, inside registry/ and on a tmpfs
 * mounted for the test must give the same results and the same inotify
 * events. Where the registry must differ (README lists why), the test
 * says so and checks the registry's own behaviour. Also the regression
 * tests of three bugs where an error still changed something: a key name
 * taken as a path, a write over the limit that half-applied, and a
 * truncate of an object file that silently did nothing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mount_checks.h"
#include "mount_harness.h"

/* The tmpfs the registry is compared with: DIR/tmpfs in the test's
 * temporary directory, unmounted in .fini (and the directory removed with
 * the rest). Each test runs in a mount namespace of its own, so that even
 * a test process that dies leaves no mount behind (its daemon dies with
 * it). */
static char tmpfs_dir[sizeof(M.dir) + 8];

static void setup(void)
{
	mnt_require_fuse();
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "private mounts: %s",
		     strerror(errno));
	mnt_setup();
	snprintf(tmpfs_dir, sizeof(tmpfs_dir), "%s/tmpfs", M.dir);
	cr_assert_eq(mkdir(tmpfs_dir, 0755), 0, "mkdir: %s", strerror(errno));
	cr_assert_eq(mount("cfs-test", tmpfs_dir, "tmpfs", 0, "mode=0755"), 0, "mount tmpfs: %s",
		     strerror(errno));
}

static void fini(void)
{
	if (tmpfs_dir[0]) {
		umount2(tmpfs_dir, MNT_DETACH);
		tmpfs_dir[0] = '\0';
	}
	teardown();
}

TestSuite(files, .init = setup, .fini = fini, .timeout = 90);

/* $T is the tmpfs, $P the probe (files_probe.c). Scripts run with set -e
 * and in the C locale; "as U CMD" runs CMD as uid/gid U. */
#define PRE                                                                                       \
	WATCHDOG_AFTER(60)                                                                        \
	"set -e -o pipefail; export LC_ALL=C; umask 022; chmod 755 \"$D\"\n"                      \
	"export P=\"$FILES_PROBE\"\n"                                                             \
	"as() { u=$1; shift; setpriv --reuid=$u --regid=$u --clear-groups \"$@\"; }\n"

static char *pre_t(void)
{
	char *p;
	cr_assert_geq(asprintf(&p, PRE "T='%s'\n", tmpfs_dir), 0);
	return p;
}

static char *vrun(const char *fmt, va_list ap)
{
	char *body, *pre = pre_t();
	cr_assert_geq(vasprintf(&body, fmt, ap), 0);
	char *out = out_of_pre(pre, body);
	free(body);
	free(pre);
	return out;
}

/* stdout of the script (which must succeed). */
__attribute__((format(printf, 1, 2), warn_unused_result)) static char *run(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out = vrun(fmt, ap);
	va_end(ap);
	return out;
}

/* The same, for its effect only. */
__attribute__((format(printf, 1, 2))) static void run_ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(vrun(fmt, ap));
	va_end(ap);
}

static void expect(const char *want, const char *script)
{
	char *pre = pre_t();
	expect_out_pre(pre, want, script);
	free(pre);
}

static void expect_fail(const char *errtext, const char *script)
{
	char *pre = pre_t();
	expect_err_pre(pre, errtext, script);
	free(pre);
}

/* Runs setup, then steps() inside the directory K of the registry and of
 * the tmpfs, each watched by inotify while the steps run (and settle ms
 * after), and asserts that both print the same and give the same
 * events. steps is a bash function body; $1 is the directory. Returns
 * the registry's output. */
static char *same_as_tmpfs(const char *setup, const char *steps, int settle)
{
	char *out[2];
	const char *roots[] = {"$M/registry", "$T"};
	for (int i = 0; i < 2; i++)
		out[i] = run("R=%s; mkdir \"$R/K\"; cd \"$R/K\"\n%s\n"
			     "steps() {\ncd \"$1\"\n%s\n}\nexport -f steps as; export D\n"
			     "\"$P\" events \"$R/K\" %d bash -c 'set -o pipefail; steps \"$0\"' \"$R/K\"",
			     roots[i], setup, steps, settle);
	cr_assert_str_eq(out[0], out[1], "the registry differs from tmpfs:\n--- registry:\n%s\n"
					 "--- tmpfs:\n%s",
			 out[0], out[1]);
	free(out[1]);
	return out[0];
}

/* --- values are files, compared with tmpfs --- */

Test(files, create_write_read_truncate)
{
	run_ok("head -c 3000 /dev/urandom > \"$D/rnd\"");
	char *out = same_as_tmpfs(
		"",
		/* A new file is empty. */
		"touch n; stat -c '%s %a %u %g %F' n; cat n; od -An -c n\n"
		/* It holds exactly the bytes written: text... */
		"echo hello > v; cat v; stat -c %s v\n"
		"printf 'no newline' > w; cat w; echo; stat -c %s w\n"
		"printf 'a\\n\\n' > two; od -An -c two\n"
		/* ...or not. */
		"printf 'a\\0b\\xff' > b; od -An -tx1 b; stat -c %s b\n"
		"head -c 2000 \"$D/rnd\" > h; head -c 2000 \"$D/rnd\" | cmp - h && echo same\n"
		"dd if=\"$D/rnd\" of=d bs=7 count=100 status=none; head -c 700 \"$D/rnd\" | cmp - d "
		"&& echo same\n"
		"printf XY | dd of=d bs=1 seek=3 conv=notrunc status=none; od -An -tx1 -N 8 d | "
		"cut -c1-9,16-\n"
		"printf 'text' > b; od -An -c b\n"
		"echo more >> v; cat v\n"
		/* O_TRUNC empties at open, before anything is written. */
		"python3 -c 'import os; fd = os.open(\"v\", os.O_WRONLY | os.O_TRUNC); "
		"print(os.stat(\"v\").st_size); os.close(fd)'\n"
		"echo again > v\n"
		/* truncate cuts and zero-extends. */
		"truncate -s 3 v; od -An -c v; truncate -s 6 v; od -An -tx1 v\n"
		": > v; stat -c %s v\n"
		"rm n; ls\n",
		400);
	cr_assert(strstr(out, "exit 0\n"), "%s", out);
	free(out);
	/* A value made by a file and never given a type: text is REG_SZ,
	 * anything else REG_BINARY, as it was last written. */
	expect("REG_SZ\nREG_BINARY\nREG_SZ\n",
	       "cd \"$M/registry/K\"; for v in w h two; do getfattr --only-values -n user.cluster.type $v; "
	       "echo; done");
	stop_check(true);
}

Test(files, chmod_chown_value)
{
	char *out = same_as_tmpfs(
		"echo x > v; chmod 755 .",
		"chmod 600 v; stat -c '%a %u %g' v\n"
		"chown 65534:65534 v; stat -c '%a %u %g' v\n"
		/* To its current owner: still allowed, still an ATTRIB. */
		"chown 65534 v; stat -c '%a %u %g' v\n"
		"ls -l v | cut -d' ' -f1,3,4\n"
		/* The kernel enforces the mode. */
		"as 65534 cat v\n"
		"as 12345 cat v 2>&1 | sed 's/^cat: //' || true\n"
		"as 65534 bash -c 'echo mine > v'; cat v\n"
		"chmod 640 v; chgrp 0 v; stat -c '%a %u %g' v\n"
		/* A value with its own mode keeps it when its key's changes. */
		"chmod 700 .; stat -c %a v; chmod 755 .\n",
		400);
	free(out);
	stop_check(true);
}

/* A value without a mode of its own follows its key's (the Windows
 * model: ClusterRegSetKeySecurity sets the values' too): the one place
 * where a chmod of a directory changes its files. */
Test(files, key_mode_applies_to_values_without_their_own)
{
	run_ok("mkdir \"$M/registry/K\"; cd \"$M/registry/K\"; echo a > a; echo b > b; chmod 600 b");
	expect("750 640 600\n", "cd \"$M/registry/K\"; chmod 750 .; stat -c %a . a b | tr '\\n' ' ' | "
				 "sed 's/ $/\\n/'");
	expect("700 0 0\n600 0 0\n", "echo 'reg-security K 0700 0 0' > \"$M/control\"; "
				     "stat -c '%a %u %g' \"$M/registry/K\" \"$M/registry/K/a\"");
	stop_check(true);
}

/* The events of a chmod on a key, its values' included, are queued
 * before chmod returns: they come before those of the next call. */
Test(files, key_attrib_events_before_the_next_call)
{
	run_ok("mkdir \"$M/registry/K\"; cd \"$M/registry/K\"; echo a > a; echo b > b; chmod 600 b; "
	    "mkdir \"$T/K\"; cd \"$T/K\"; echo a > a; echo b > b; chmod 600 b");
	char *reg = run("\"$P\" attrib-order \"$M/registry/K\" marker");
	char *tmp = run("\"$P\" attrib-order \"$T/K\" marker");
	/* tmpfs: the key itself, then the next call's. The registry: a's
	 * too (b has its own mode), before the next call's; the two ATTRIBs
	 * of the one chmod in either order. */
	cr_assert_str_eq(tmp, ". ATTRIB,ISDIR\nmarker CREATE\nmarker CLOSE_WRITE\n");
	cr_assert(strcmp(reg, ". ATTRIB,ISDIR\na ATTRIB\nmarker CREATE\nmarker CLOSE_WRITE\n") == 0 ||
			  strcmp(reg, "a ATTRIB\n. ATTRIB,ISDIR\nmarker CREATE\nmarker CLOSE_WRITE\n") == 0,
		  "%s", reg);
	free(reg);
	free(tmp);
	stop_check(true);
}

Test(files, symlinks)
{
	char *out = same_as_tmpfs(
		"echo target > v",
		"ln -s v l; readlink l; cat l; stat -c '%F %s' l; ls -l l | awk '{ print $1, $(NF - 2), $(NF - 1), $NF }'\n"
		"ln -s ../nowhere dangling; readlink dangling\n"
		"cat dangling 2>&1 || true\n"
		"ln -s v l 2>&1 || true\n"
		"chown -h 65534 l; stat -c %u l; stat -L -c %u l\n"
		"mv dangling d2; readlink d2\n"
		"echo through > l; cat v\n"
		"rm l d2; ls\n",
		400);
	free(out);
	/* A link is a REG_LINK value: its target is its data. */
	run_ok("cd \"$M/registry/K\"; ln -s v l");
	expect("v\n", "echo 'reg-set K x REG_SZ y' > \"$M/control\"; readlink \"$M/registry/K/l\"");
	expect_fail("Invalid argument", "echo 'reg-type K l REG_SZ' > \"$M/control\"");
	run_ok("echo 'reg-link K made ../K/v' > \"$M/control\"");
	expect("through\n", "cat \"$M/registry/K/made\"");
	/* A value has one name: no hard links (README, "The registry"). */
	expect_fail("Operation not permitted", "ln \"$M/registry/K/v\" \"$M/registry/K/hard\"");
	stop_check(true);
}

Test(files, rename_replaces)
{
	char *out = same_as_tmpfs(
		"echo a > a; echo b > b",
		/* A reader of the replaced file keeps reading what it had. */
		"exec 3< b; mv a b; cat b; cat <&3; exec 3<&-; ls\n"
		"mkdir D E; echo 1 > E/x\n"
		"py() { python3 -c 'import os, sys\n"
		"try:\n    os.rename(sys.argv[1], sys.argv[2]); print(\"ok\")\n"
		"except OSError as e:\n    print(os.strerror(e.errno))' \"$@\"; }\n"
		"py b D; py D b; py D E; py D F; mkdir G; py F G; ls\n"
		"py b b; cat b; py nope x\n",
		400);
	free(out);
	stop_check(true);
}

/* The same changes made elsewhere (the control file here; another node,
 * a shim) are replayed for inotify as the system calls a local file
 * system would have seen: a rename that replaces, a link, a value's own
 * security. */
Test(files, changes_made_elsewhere_give_the_same_events)
{
	const char *setup = "mkdir \"$R/K\"; cd \"$R/K\"; echo a > a; echo b > b";
	char *reg = run("R=$M/registry; %s; \"$P\" events \"$R/K\" 800 bash -c "
			"'for l in \"reg-rename K a b replace\" \"reg-link K l b\" "
			"\"reg-value-security K b 0600 0 0\" \"reg-delete K l\"; do "
			"echo \"$l\" > \"$0/control\"; done' \"$M\"",
			setup);
	char *tmp = run("R=$T; %s; \"$P\" events \"$R/K\" 100 bash -c "
			"'mv a b; ln -s b l; chmod 600 b; rm l'",
			setup);
	cr_assert_str_eq(reg, tmp, "--- registry:\n%s--- tmpfs:\n%s", reg, tmp);
	free(reg);
	free(tmp);
	stop_check(true);
}

Test(files, write_to_an_unlinked_value)
{
	char *out = same_as_tmpfs("echo hello > v", "\"$P\" unlink-write v", 400);
	cr_assert(strstr(out, "write 3\n") && strstr(out, "data 78797a6c6f0a\n") &&
			  strstr(out, "nlink 0 size 6\n"),
		  "%s", out);
	free(out);
	stop_check(true);
}

Test(files, names)
{
	/* The same characters as tmpfs for a value: '\' is ordinary. */
	char *out = same_as_tmpfs("", "echo x > 'a\\b'; ls; cat 'a\\b'; mv 'a\\b' 'c\\d'; ls", 400);
	free(out);
	/* A key name cannot hold '\' (Windows refuses it too), nor control
	 * characters; a name is never taken as a path. */
	run_ok("mkdir \"$M/registry/BS\" \"$M/registry/BS/a\"");
	char *before = run("echo 'reg-security BS 0755 0 0' > \"$M/control\"; "
			   "find \"$M/registry/BS\" | sort");
	expect_fail("Invalid argument", "mkdir \"$M/registry/BS/a\\\\b\"");
	expect_fail("Invalid argument", "mkdir \"$M/registry/BS/$(printf 'x\\ty')\"");
	expect_fail("Invalid argument", "python3 -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "
					"\"$M/registry/BS/a\" \"$M/registry/BS/q\\\\r\"");
	expect_fail("Invalid argument", "touch \"$M/registry/BS/$(printf 'x\\ty')\"");
	char *after = run("find \"$M/registry/BS\" | sort");
	cr_assert_str_eq(after, before, "a refused name changed the registry");
	/* Objects: the same rule as values. */
	expect_fail("Invalid argument", "mkdir \"$M/groups/$(printf 'g\\001')\"");
	run_ok("mkdir \"$M/groups/g\\\\h\"");
	expect("g\\h\n", "ls \"$M/groups\" | grep h");
	free(before);
	free(after);
	stop_check(true);
}

/* --- all or nothing --- */

/* Regression: one write() of 1 MiB + 1 byte returned a short count and
 * kept the first 1 MiB. Now it fails whole, and nothing is recorded. */
Test(files, write_over_the_limit_changes_nothing)
{
	run_ok("mkdir \"$M/registry/K\"; echo before > \"$M/registry/K/v\"; "
	    "mkdir \"$M/groups/G\"; echo desc > \"$M/groups/G/description\"");
	const char *write_big = "python3 -c 'import os, sys\n"
				"fd = os.open(sys.argv[1], os.O_WRONLY)\n"
				"try:\n    n = os.write(fd, b\"a\" * (1024 * 1024 + 1)); print(\"wrote\", n)\n"
				"except OSError as e:\n    print(os.strerror(e.errno))' ";
	char *log0 = run("wc -l < \"$M/log\"");
	char *out = run("%s \"$M/registry/K/v\"; cat \"$M/registry/K/v\"; %s \"$M/groups/G/description\"; "
			"cat \"$M/groups/G/description\"",
			write_big, write_big);
	cr_assert_str_eq(out, "File too large\nbefore\nFile too large\ndesc\n");
	/* A write() of exactly 1 MiB may be the first piece of a longer one:
	 * refused as well (README, "Limits"). */
	char *out2 = run("python3 -c 'import os, sys\n"
			 "fd = os.open(sys.argv[1], os.O_WRONLY)\n"
			 "try:\n    os.write(fd, b\"a\" * (1024 * 1024))\n"
			 "except OSError as e:\n    print(os.strerror(e.errno))' \"$M/registry/K/v\"");
	cr_assert_str_eq(out2, "File too large\n");
	char *log1 = run("wc -l < \"$M/log\"");
	cr_assert_str_eq(log1, log0, "a refused write was recorded");
	/* head writes in pieces: those before the limit stay, as on any file
	 * system; the one that would pass it fails whole. */
	expect_fail("File too large", "head -c 2M /dev/zero | tr '\\0' a > \"$M/registry/K/v\"");
	char *size = run("stat -c %%s \"$M/registry/K/v\"");
	cr_assert_leq(atol(size), 1024 * 1024);
	/* A value of exactly 1 MiB, written in pieces. */
	expect("1048576\n", "head -c 1048576 /dev/zero | tr '\\0' b > \"$D/mib\"; "
			    "cat \"$D/mib\" > \"$M/registry/K/v\"; stat -c %s \"$M/registry/K/v\"");
	expect_fail("File too large", "truncate -s 1048577 \"$M/registry/K/v\"");
	expect("1048576\n", "stat -c %s \"$M/registry/K/v\"");
	free(log0);
	free(log1);
	free(out);
	free(out2);
	free(size);
	stop_check(true);
}

/* A value with a type chosen for it still refuses what does not parse,
 * and a refused write changes nothing, O_TRUNC included. */
Test(files, typed_values_refuse_what_does_not_parse)
{
	run_ok("mkdir \"$M/registry/K\"; cd \"$M/registry/K\"; echo 5 > d; "
	    "setfattr -n user.cluster.type -v REG_DWORD d; echo text > s; "
	    "setfattr -n user.cluster.type -v REG_SZ s");
	expect_fail("Invalid argument", "echo abc > \"$M/registry/K/d\"");
	expect_fail("Invalid argument", "printf 'a\\0b' > \"$M/registry/K/s\"");
	expect("5\ntext\n", "cat \"$M/registry/K/d\" \"$M/registry/K/s\"");
	expect("7\n", "echo 7 > \"$M/registry/K/d\"; cat \"$M/registry/K/d\"");
	stop_check(true);
}

/* Regression: truncate of an object file returned 0 and did nothing. */
Test(files, truncate_object_files)
{
	run_ok("mkdir \"$M/groups/G\"; echo 'some text' > \"$M/groups/G/description\"; "
	    "echo \"$(hostname)\" > \"$M/groups/G/preferred_owners\"");
	char *state = run("cat \"$M/groups/G/state\"");
	/* Free text and lists can be emptied. */
	expect("\n", "truncate -s 0 \"$M/groups/G/description\"; cat \"$M/groups/G/description\"");
	expect("0\n", "truncate -s 0 \"$M/groups/G/preferred_owners\"; "
		      "stat -c %s \"$M/groups/G/preferred_owners\"");
	/* To its size: nothing to do. */
	run_ok("truncate -s $(stat -c %%s \"$M/groups/G/state\") \"$M/groups/G/state\"");
	/* Anything else fails, and changes nothing. */
	run_ok("echo 'keep' > \"$M/groups/G/description\"");
	expect_fail("Invalid argument", "truncate -s 0 \"$M/groups/G/state\"");
	expect_fail("Invalid argument", "truncate -s 2 \"$M/groups/G/description\"");
	expect_fail("File too large", "truncate -s 10G \"$M/groups/G/description\"");
	expect_fail("File too large", "truncate -s 10G \"$M/groups/G/state\"");
	expect_fail("Permission denied", "truncate -s 0 \"$M/groups/G/id\"");
	expect_fail("Invalid argument", "truncate -s 0 \"$M/name\"");
	char *state2 = run("cat \"$M/groups/G/state\"");
	cr_assert_str_eq(state2, state);
	expect("keep\n", "cat \"$M/groups/G/description\"");
	/* O_TRUNC with nothing written empties free text at the last close. */
	expect("\n", ": > \"$M/groups/G/description\"; for i in $(seq 50); do "
		     "[ \"$(stat -c %s \"$M/groups/G/description\")\" = 1 ] && break; sleep 0.02; done; "
		     "cat \"$M/groups/G/description\"");
	free(state);
	free(state2);
	stop_check(true);
}
