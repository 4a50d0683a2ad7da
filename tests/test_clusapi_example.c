/* SPDX-License-Identifier: MIT */
/* examples/clusapi_monitor.c, a legacy-style Windows cluster tool, built the
 * way a user builds it (the command in its header comment, with pkg-config
 * pointed at the build tree's uninstalled clusapi.pc) and run against a
 * real daemon. Its stdout is the V1 event transcript, one "CHANGE NAME"
 * line per GetClusterNotify, which must be exactly what each of its steps
 * makes, ending with the HANDLE_CLOSE of CloseCluster.
 *
 * Everything is built and run in the fixture's temporary directory ($D),
 * which teardown() removes, whatever happened. Environment (set by meson):
 * CLUSTERFS_BIN, CFS_SOURCE_ROOT, CFS_BUILD_ROOT. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mount_checks.h"
#include "mount_harness.h"

TestSuite(clusapi_example, .init = mnt_setup, .fini = teardown, .timeout = 120);

/* A script that hangs is killed after 60 s, so that the test fails
 * instead of timing out. */
#define WATCHDOG WATCHDOG_AFTER(60)

/* Scripts start in $D/example with pkg-config seeing the build tree. */
#define PRE                                                                              \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; mkdir -p \"$D/example\"; cd \"$D/example\"\n" \
		 "export PKG_CONFIG_PATH=\"$CFS_BUILD_ROOT/meson-uninstalled\"\n"

/* How the example is run: the library from the build tree (where
 * `pkg-config --libs-only-L` points), the cluster from CLUSTERFS_MOUNT.
 * When the library was built with AddressSanitizer (scripts/test.sh
 * --sanitize), its runtime must be loaded first (and LeakSanitizer then checks
 * the library as the example uses it). The exit status is printed
 * to stderr last; stdout is the program's own. */
#define RUN                                                                              \
	"export LD_LIBRARY_PATH=$(pkg-config --libs-only-L clusapi | sed 's/^ *-L//; s/ *-L/:/g; s/ *$//')\n" \
	"asan=$(ldd \"${LD_LIBRARY_PATH%%%%:*}/libclusapi.so\" | awk '/libasan/ { print $3 }')\n" \
	"if [ -n \"$asan\" ]; then export LD_PRELOAD=$asan; fi\n" \
	"rc=0; timeout -k 5 50 ./a.out \"$@\" || rc=$?; echo \"exit $rc\" >&2\n"

static void need_env(void)
{
	cr_assert(getenv("CFS_SOURCE_ROOT") && getenv("CFS_BUILD_ROOT"),
		  "CFS_SOURCE_ROOT and CFS_BUILD_ROOT must be set (meson test sets them)");
}

/* Copies the example to $D/example and builds it with the command its
 * header documents, run as it is written; asserts that it builds without
 * a single diagnostic. */
static void build_example(void)
{
	need_env();
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e,
		    PRE "cp \"$CFS_SOURCE_ROOT/examples/clusapi_monitor.c\" .\n"
			"cmd=$(sed -n 's/^ \\*   \\(cc .*\\)$/\\1/p' clusapi_monitor.c)\n"
			"[ -n \"$cmd\" ] && [ $(printf '%%s\\n' \"$cmd\" | wc -l) = 1 ] ||"
			" { echo 'no single \" *   cc ...\" line in the header comment' >&2; exit 1; }\n"
			"echo \"$cmd\"\n"
			/* The library must come from this build tree. */
			"libs=$(pkg-config --libs clusapi)\n"
			"case \" $libs \" in *\" -L$CFS_BUILD_ROOT/clusapi \"*) ;;"
			" *) echo \"pkg-config --libs clusapi gives $libs\" >&2; exit 1 ;; esac\n"
			"eval \"$cmd\" > cc.out 2>&1 || { cat cc.out >&2; exit 1; }\n"
			/* A sanitizer build's library brings the linker's warnings
			 * about libasan itself: not the example's. */
			"grep -v -e '/libasan\\.so[.0-9]*: warning:' cc.out > cc.own || true\n"
			"if [ -s cc.own ]; then echo 'the build printed:' >&2; cat cc.own >&2; exit 1; fi\n"
			"[ -x a.out ]\n");
	cr_assert_eq(rc, 0, "building the example failed:\n%s\n%s", o ? o : "", e ? e : "");
	cr_assert_str_eq(o,
			 "cc -fshort-wchar $(pkg-config --cflags clusapi) clusapi_monitor.c "
			 "$(pkg-config --libs clusapi) -lpthread\n",
			 "the documented build command changed");
	free(o);
	free(e);
}

/* Runs the built example with CLUSTERFS_MOUNT=mount (NULL: the daemon's
 * mount) and args (shell words, may be ""); returns its exit status, with
 * its stdout and stderr. */
static int run_example(const char *mount, const char *args, char **out, char **err)
{
	char *o = NULL, *e = NULL;
	char *env = NULL;
	cr_assert_geq(asprintf(&env, "export CLUSTERFS_MOUNT=%s\n", mount ? mount : "\"$M\""), 0);
	int rc = sh(&M, &o, &e, PRE "%sset -- %s\n" RUN, env, args);
	free(env);
	cr_assert_eq(rc, 0, "the run script failed (%d):\n%s", rc, e ? e : "");
	/* The last line of stderr is "exit N". */
	char *last = e + strlen(e);
	cr_assert(last > e && last[-1] == '\n');
	last[-1] = '\0';
	char *nl = strrchr(e, '\n');
	char *line = nl ? nl + 1 : e;
	int status = -1;
	cr_assert_eq(sscanf(line, "exit %d", &status), 1, "no exit status in: %s", e);
	*line = '\0';
	if (status == 124 || status == 137) {
		char *n = daemon_note();
		cr_assert_fail("the example hung (killed after 50 s); stdout:\n%s\nstderr:\n%s%s", o, e, n);
	}
	*out = o;
	*err = e;
	return status;
}

/* Asserts stdout, with both shown escaped when they differ. */
static void expect_transcript(const char *got, const char *expected, const char *err)
{
	if (strcmp(got, expected) == 0)
		return;
	char *g = esc(got), *x = esc(expected), *n = daemon_note();
	cr_assert_fail("transcript:\n--- got:      %s\n--- expected: %s\n--- stderr:\n%s%s", g, x, err, n);
}

/* What each step of the example makes, in the order of the steps. */
#define TRANSCRIPT(g, r)                                                          \
	/* CreateClusterGroup */                                                  \
	"GROUP_ADDED " g "\n"                                                     \
	/* CreateClusterResource(..., "Generic Service") */                       \
	"RESOURCE_ADDED " r "\n"                                                  \
	/* OnlineClusterGroup: the group goes pending, its resource goes          \
	 * online through onlinepending, then the group is online */              \
	"GROUP_STATE " g "\n"                                                     \
	"RESOURCE_STATE " r "\n"                                                  \
	"RESOURCE_STATE " r "\n"                                                  \
	"GROUP_STATE " g "\n"                                                     \
	/* OfflineClusterGroup: the same way down */                              \
	"GROUP_STATE " g "\n"                                                     \
	"RESOURCE_STATE " r "\n"                                                  \
	"RESOURCE_STATE " r "\n"                                                  \
	"GROUP_STATE " g "\n"                                                     \
	/* DeleteClusterResource, DeleteClusterGroup */                           \
	"RESOURCE_DELETED " r "\n"                                                \
	"GROUP_DELETED " g "\n"                                                   \
	/* CloseClusterResource and CloseClusterGroup make nothing here (those    \
	 * handles are not registered with the port); CloseCluster makes the      \
	 * HANDLE_CLOSE that ends the event thread. */                            \
	"HANDLE_CLOSE testcluster\n"

#define STEPS                                                                             \
	"creating the group\ncreating the resource\nbringing the group online\n"         \
	"taking the group offline\ndeleting the resource\ndeleting the group\n"          \
	"closing the cluster\ndone\n"

Test(clusapi_example, transcript)
{
	build_example();
	char *out, *err;
	int status = run_example(NULL, "", &out, &err);
	cr_assert_eq(status, 0, "the example exited with %d; stderr:\n%s\nstdout:\n%s", status, err,
		     out);
	expect_transcript(out, TRANSCRIPT("ClusapiMonitorGroup", "ClusapiMonitorService"), err);
	cr_assert_str_eq(err, STEPS);

	/* The same records, as the daemon's event log has them: the port and
	 * the log agree on every group and resource change. */
	char *fromlog = shout("awk '($3 == \"group\" || $3 == \"resource\") &&"
			      " ($4 == \"added\" || $4 == \"deleted\" || $4 == \"state\") &&"
			      " $5 ~ /^ClusapiMonitor/ { print toupper($3 \"_\" $4), $5 }' \"$M/log\"\n"
			      "echo HANDLE_CLOSE $(cat \"$M/name\")\n");
	expect_transcript(out, fromlog, "(the transcript made from the daemon's log)");
	free(fromlog);

	/* Nothing is left behind, and the daemon is fine. */
	expect_out("testcluster\n\n\n",
		   "cat \"$M/name\"; ls \"$M/groups\" | grep ClusapiMonitor || echo\n"
		   "ls \"$M/resources\" | grep ClusapiMonitor || echo");
	free(out);
	free(err);

	/* A second run in the same process tree sees the same thing: nothing
	 * of the first run is left in the cluster or the journal's way. */
	status = run_example(NULL, "", &out, &err);
	cr_assert_eq(status, 0, "second run: exit %d; stderr:\n%s", status, err);
	expect_transcript(out, TRANSCRIPT("ClusapiMonitorGroup", "ClusapiMonitorService"), err);
	free(out);
	free(err);
}

/* Names beyond ASCII: UTF-8 arguments -> UTF-16 calls -> UTF-16 events ->
 * UTF-8 output. Both are longer than the event thread's first name buffer
 * (8 WCHARs), so each event first comes back as ERROR_MORE_DATA and must
 * still be there on the retry; the emoji are surrogate pairs (2 WCHARs). */
Test(clusapi_example, unicode_names)
{
	build_example();
	char *out, *err;
	int status = run_example(NULL, "'Grüppe Ω 🙂' 'Dienst-日本語-🙂🙂'", &out, &err);
	cr_assert_eq(status, 0, "exit %d; stderr:\n%s", status, err);
	expect_transcript(out, TRANSCRIPT("Grüppe Ω 🙂", "Dienst-日本語-🙂🙂"), err);
	/* The name fits in exactly 8 WCHARs with its NUL, or needs one more. */
	free(out);
	free(err);
	status = run_example(NULL, "abcdefg abcdefgh", &out, &err);
	cr_assert_eq(status, 0, "exit %d; stderr:\n%s", status, err);
	expect_transcript(out, TRANSCRIPT("abcdefg", "abcdefgh"), err);
	free(out);
	free(err);
}

/* A step that fails: the group exists already. CreateClusterGroup fails
 * with ERROR_OBJECT_ALREADY_EXISTS (5010), the program still closes the
 * cluster (so its event thread ends on HANDLE_CLOSE) and exits 1, and the
 * existing group is left alone. */
Test(clusapi_example, existing_group)
{
	build_example();
	free(shout("mkdir \"$M/groups/ClusapiMonitorGroup\""));
	char *out, *err;
	int status = run_example(NULL, "", &out, &err);
	cr_assert_eq(status, 1, "exit %d; stderr:\n%s", status, err);
	expect_transcript(out, "HANDLE_CLOSE testcluster\n", err);
	cr_assert_str_eq(err, "creating the group\nCreateClusterGroup failed: error 5010\n"
			      "closing the cluster\nFAILED\n");
	expect_out("offline\n", "cat \"$M/groups/ClusapiMonitorGroup/state\"");
	free(out);
	free(err);
}

/* No cluster where CLUSTERFS_MOUNT points: OpenCluster fails with
 * EPT_S_NOT_REGISTERED (1753, "the cluster service is not running") and the
 * program exits 1 at once. */
Test(clusapi_example, no_cluster)
{
	build_example();
	char *out, *err;
	int status = run_example("\"$D/nothing\"", "", &out, &err);
	cr_assert_eq(status, 1, "exit %d; stderr:\n%s", status, err);
	cr_assert_str_eq(out, "");
	cr_assert_str_eq(err, "OpenCluster failed: error 1753\n");
	free(out);
	free(err);
}

/* The L"..." strings need -fshort-wchar: without it the example stops the
 * build with a message that says so, rather than passing 32-bit strings
 * where UTF-16 is expected. */
Test(clusapi_example, build_without_short_wchar)
{
	need_env();
	char *o = NULL, *e = NULL;
	int rc = sh(&M, &o, &e,
		    PRE "cp \"$CFS_SOURCE_ROOT/examples/clusapi_monitor.c\" .\n"
			"! cc $(pkg-config --cflags clusapi) clusapi_monitor.c $(pkg-config --libs clusapi)"
			" -lpthread -o plain 2> cc.out\n"
			"grep -o 'error: #error \"build with -fshort-wchar' cc.out\n"
			"[ ! -e plain ]\n");
	cr_assert_eq(rc, 0, "expected the #error of the example:\n%s\n%s", o ? o : "", e ? e : "");
	cr_assert_str_eq(o, "error: #error \"build with -fshort-wchar\n");
	free(o);
	free(e);
}
