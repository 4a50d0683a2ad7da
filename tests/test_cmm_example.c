/* SPDX-License-Identifier: MIT */
/* examples/cmm_monitor.c builds as a legacy client would, with only cc,
 * the pkg-config flags of cgha_cmm and -lrt, and runs against a live mount
 * with the simulation back-end: it prints the members, then each
 * notification, and exits after the number asked for. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "mount_checks.h"
#include "mount_harness.h"

static void setup(void)
{
	mnt_require_fuse();
	mnt_start(&M, "--backend=sim");
}

TestSuite(cmm_example, .init = setup, .fini = teardown, .timeout = 120);

#define PRE                                                                                      \
	"( sleep 30; kill -KILL $$ ) > /dev/null 2>&1 & trap \"kill $! 2> /dev/null\" EXIT\n"    \
	"set -e -o pipefail; export LC_ALL=C; cd \"$M\"; h=$(hostname)\n"

Test(cmm_example, builds_with_pkg_config_and_runs)
{
	cr_assert_not_null(getenv("CMM_EXAMPLE"));
	/* Only the pkg-config flags and -lrt ($CMM_EXAMPLE_CFLAGS is empty
	 * except in a sanitized build). */
	char *out = out_of("cd \"$D\"; flags=$(PKG_CONFIG_PATH=\"$CMM_PC\" pkg-config --cflags --libs cgha_cmm)\n"
			   "case \"$flags\" in *-lcgha_cmm*) ;; *) echo \"no -lcgha_cmm: $flags\"; exit 1;; esac\n"
			   "cc -Wall -Wextra -Werror $CMM_EXAMPLE_CFLAGS \"$CMM_EXAMPLE\" $flags -lrt -o cmm_monitor\n"
			   "echo built");
	cr_assert_str_eq(out, "built\n");
	free(out);
	out = out_of("export LD_LIBRARY_PATH=\"$CMM_LIBDIR\" CLUSTERFS_MOUNT=\"$M\"\n"
		     "echo 'sim join n2 2 10.0.0.2 swload=SWL-1' > control\n"
		     "\"$D/cmm_monitor\" -n 4 -t 5 > \"$D/out\" 2>&1 & p=$!\n"
		     "for i in $(seq 100); do grep -q waiting \"$D/out\" && break; sleep 0.1; done\n"
		     "echo 'sim join n3 3 10.0.0.3' > control\n"
		     /* One change at a time: the monitor prints the roles as
		      * they are when it dispatches. */
		     "for i in $(seq 100); do grep -q MEMBER_JOINED \"$D/out\" && break; sleep 0.1; done\n"
		     "echo \"cmm-release $h\" > control\n"
		     "wait $p\n"
		     /* The roles the monitor prints are read when it dispatches,
		      * which may be before or after the next change: leave
		      * them out of the notification lines. */
		     "sed \"s/$h/HOST/g\" \"$D/out\" | sed -E 's/ +/ /g; s/, now [a-z-]+\\)/)/'");
	const char *want =
		"cmm_monitor: this node is 1\n"
		"cmm_monitor: the master is node 1 (HOST)\n"
		"members: 2\n";
	cr_assert_eq(strncmp(out, want, strlen(want)), 0, "got:\n%s", out);
	/* The member lines (in directory order), then the notifications. */
	cr_assert(strstr(out, " 1 HOST master eligible incarnation=1 domain=0 swload=-\n"), "%s", out);
	cr_assert(strstr(out, " 2 n2 vice-master eligible incarnation=1 domain=0 swload=SWL-1\n"),
		  "%s", out);
	const char *tail = "cmm_monitor: waiting for notifications\n"
			   "cmm_monitor: MEMBER_JOINED node 3 (n3)\n"
			   "cmm_monitor: MASTER_DEMOTED node 1 (HOST)\n"
			   "cmm_monitor: MASTER_ELECTED node 2 (n2)\n"
			   "cmm_monitor: VICEMASTER_ELECTED node 1 (HOST)\n"
			   "cmm_monitor: 4 notifications\n";
	cr_assert(strstr(out, tail), "got:\n%s", out);
	free(out);
	stop_check(true);
}
