/* SPDX-License-Identifier: MIT */
/* The tree a fresh embedded cluster shows, and the everyday write paths. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mount_harness.h"

TestSuite(basic, .init = mnt_setup, .fini = mnt_teardown, .timeout = 60);

Test(basic, fresh_tree)
{
	char *out = shout("cd \"$M\" && ls");
	cr_assert_str_eq(out, "control\ngroups\nid\nlocal_node\nlog\nlog.1\nname\nnetinterfaces\nnetworks\n"
			      "nodes\nports\nquorum\nregistry\nresources\nresourcetypes\nstate\n");
	free(out);
	out = shout("cat \"$M/name\" \"$M/state\" \"$M/quorum\"");
	cr_assert_str_eq(out, "testcluster\nup\nquorate\n");
	free(out);
	out = shout("ls \"$M/nodes\"; cat \"$M/nodes/$(hostname)/state\" \"$M/nodes/$(hostname)/number\"");
	char *host = shout("hostname");
	char expect[512];
	snprintf(expect, sizeof(expect), "%sup\n1\n", host);
	cr_assert_str_eq(out, expect);
	free(out);
	free(host);
	out = shout("cd \"$M/groups\" && ls && cat 'Cluster Group/state' 'Available Storage/state'");
	cr_assert_str_eq(out, "Available Storage\nCluster Group\nonline\noffline\n");
	free(out);
	out = shout("ls \"$M/resourcetypes\" | wc -l; ls \"$M/netinterfaces\" | grep -c ' - lo$'");
	cr_assert_str_eq(out, "7\n1\n");
	free(out);
}

Test(basic, group_lifecycle)
{
	char *out = shout("cd \"$M/groups\" && mkdir web && cat web/state && "
			  "echo online > web/state && cat web/state && "
			  "mv web www && ls && cat www/state && rmdir www && ls");
	cr_assert_str_eq(out, "offline\nonline\nAvailable Storage\nCluster Group\nwww\nonline\n"
			      "Available Storage\nCluster Group\n");
	free(out);
}

Test(basic, bad_state_word_changes_nothing)
{
	char *err = NULL;
	free(shout("mkdir \"$M/groups/web\""));
	cr_assert_neq(shrc(&err, "echo bogus > \"$M/groups/web/state\""), 0);
	cr_assert(strstr(err, "Invalid argument"), "stderr: %s", err);
	free(err);
	char *out = shout("cat \"$M/groups/web/state\"");
	cr_assert_str_eq(out, "offline\n");
	free(out);
}
