/* SPDX-License-Identifier: MIT */
/* Every object file of every kind, with its exact content, and every
 * write path of the object tree (README: "The tree", "Object files",
 * "Changing the cluster", state rules). */
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

TestSuite(objects, .init = mnt_setup, .fini = teardown, .timeout = 60);

/* A script that hangs (a request the daemon never answers) is killed
 * after 20 s, so that the test fails instead of timing out. */
#define WATCHDOG WATCHDOG_AFTER(20)

/* Every script starts in the mount point, stops at the first failing
 * command, and knows the host's node name as $h. "put TEXT FILE" writes
 * printf's expansion of TEXT to FILE in a single write() (bash's own
 * printf and echo write line by line). */
#define PRE \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M\"; h=$(hostname)\n" \
	"put() { printf -- \"$1\" > \"$D/.put\"; cat \"$D/.put\" > \"$2\"; }\n"

static char *xs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xs(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	cr_assert_geq(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	return s;
}

static const char *host(void)
{
	static char h[256];
	if (!h[0])
		cr_assert_eq(gethostname(h, sizeof(h) - 1), 0);
	return h;
}

static void run(const char *script)
{
	free(out_of(script));
}

/* A group web with ip (IP Address) and app (MyType, depends on ip). */
static void make_web(void)
{
	run("printf '%s\\n' 'type-create MyType' 'group-create web' "
	    "'resource-create ip \"IP Address\" web' 'resource-create app MyType web' "
	    "'resource-depend app ip' > control");
}

static void add_n2(void)
{
	run("echo 'node-add n2 2 10.0.0.2' > control");
}

/* --- nodes --- */

Test(objects, node_files_of_the_host)
{
	expect_out("address\ndescription\ndomain\neligible\nexcluded\nfrozen\nid\nincarnation\n"
		   "number\nqualification\nrole\nstate\nswload\nsynchro\n",
		   "ls nodes/$h");
	/* The embedded cluster's only node is the CMM master. */
	expect_out("master\nyes\nqualified\nready\nno\nno\n1\n\n0\n",
		   "cd nodes/$h; cat role eligible qualification synchro frozen excluded "
		   "incarnation swload domain");
	expect_out("1\nup\n\n", "cat nodes/$h/number nodes/$h/state nodes/$h/description");
	/* The id is a GUID and names the node's registry key; the address is
	 * the registry's Address value. */
	expect_out("ok\n", "id=$(cat nodes/$h/id)\n"
			   "[[ $id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]\n"
			   "[ -d registry/Nodes/$id ]\n"
			   "[ \"$(cat registry/Nodes/$id/Name)\" = \"$h\" ]\n"
			   "[ \"$(cat registry/Nodes/$id/Address)\" = \"$(cat nodes/$h/address)\" ]\n"
			   "[ -n \"$(cat nodes/$h/address)\" ]\n"
			   "[ $(wc -l < nodes/$h/address) = 1 ]\n"
			   "echo ok");
	expect_out("444 id\n444 number\n664 state\n444 address\n664 description\n555 .\n775 ..\n",
		   "cd nodes/$h; for f in id number state address description . ..; do "
		   "echo \"$(stat -c %a $f) $f\"; done");
	expect_out("d\n", "stat -c %U:%G nodes/$h/state | grep -q '^root:root$'; echo d");
	stop_check(true);
}

Test(objects, node_added_through_control)
{
	add_n2();
	run("printf '%s\\n' 'node-add n3 3 10.0.0.3 down' 'node-add n4 4 10.0.0.4 joining' > control");
	expect_out("n2\nn3\nn4\n", "ls nodes | grep -v \"^$h$\"");
	expect_out("2\n10.0.0.2\nup\n\n3\n10.0.0.3\ndown\n4\njoining\n",
		   "cat nodes/n2/number nodes/n2/address nodes/n2/state nodes/n2/description "
		   "nodes/n3/number nodes/n3/address nodes/n3/state nodes/n4/number nodes/n4/state");
	expect_out("n2\n", "cat registry/Nodes/$(cat nodes/n2/id)/Name");
	stop_check(true);
}

Test(objects, node_state_writes)
{
	add_n2();
	expect_out("paused\nup\ndown\nup\njoining\npaused\nup\n",
		   "echo pause > nodes/n2/state; cat nodes/n2/state\n"
		   "echo resume > nodes/n2/state; cat nodes/n2/state\n"
		   "echo down > nodes/n2/state; cat nodes/n2/state\n"
		   "echo up > nodes/n2/state; cat nodes/n2/state\n"
		   "echo joining > nodes/n2/state; cat nodes/n2/state\n"
		   "echo up > nodes/n2/state; echo paused > nodes/n2/state; cat nodes/n2/state\n"
		   "echo resume > nodes/n2/state; cat nodes/n2/state");
	expect_err("Invalid argument", "echo sleeping > nodes/n2/state");
	expect_out("up\n", "cat nodes/n2/state");
	expect_err("Permission denied", "echo 7 > nodes/n2/number");
	expect_err("Permission denied", "echo 1.2.3.4 > nodes/n2/address");
	expect_err("Permission denied", "echo x > nodes/n2/id");
	expect_out("2\n10.0.0.2\n", "cat nodes/n2/number nodes/n2/address");
	stop_check(true);
}

Test(objects, quorum_follows_nodes)
{
	expect_out("quorate\n", "cat quorum");
	run("printf '%s\\n' 'node-add n2 2 10.0.0.2 down' 'node-add n3 3 10.0.0.3 down' > control");
	/* 1 of 3 up. */
	expect_out("lost\n", "cat quorum");
	run("echo up > nodes/n2/state");
	expect_out("quorate\n", "cat quorum");
	/* Paused counts as up. */
	run("echo pause > nodes/n2/state");
	expect_out("quorate\n", "cat quorum");
	run("echo down > nodes/n2/state");
	expect_out("lost\n", "cat quorum");
	stop_check(true);
}

Test(objects, rmdir_node_evicts_it_and_its_interfaces)
{
	add_n2();
	run("echo 'network-add net1 10.1.0.0 16 client up' > control\n"
	    "echo 'netif-add if1 n2 net1 eth9 10.1.0.5 up' > control");
	expect_out("if1\n", "ls netinterfaces | grep if1");
	run("rmdir nodes/n2");
	expect_out("0\n0\n", "ls nodes | grep -c n2 || true; ls netinterfaces | grep -c if1 || true");
	expect_err("No such file or directory", "cat nodes/n2/state");
	/* A node that owns a group cannot be evicted. */
	add_n2();
	run("mkdir groups/g; echo n2 > groups/g/owner");
	expect_err("Device or resource busy", "rmdir nodes/n2");
	expect_out("n2\n", "cat groups/g/owner");
	run("echo $h > groups/g/owner; rmdir nodes/n2");
	expect_out("", "ls nodes | grep n2 || true");
	stop_check(true);
}

/* --- groups --- */

Test(objects, default_groups)
{
	char *h = xs("%s\n", host());
	expect_out("description\nid\nowner\npreferred_owners\nresources\nstate\ntype\n",
		   "ls 'groups/Cluster Group'");
	char *e = xs("online\n%s1\n\n", h);
	expect_out(e, "cd 'groups/Cluster Group'; cat state owner type preferred_owners description");
	free(e);
	e = xs("offline\n%s2\n\n", h);
	expect_out(e, "cd 'groups/Available Storage'; cat state owner type preferred_owners description");
	free(e);
	expect_out("0\n", "stat -c %s 'groups/Cluster Group/preferred_owners'");
	expect_out("Cluster IP Address\nCluster Name\n", "ls 'groups/Cluster Group/resources'");
	expect_out("", "ls 'groups/Available Storage/resources'");
	expect_out("../../../resources/Cluster IP Address\n../../../resources/Cluster Name\n",
		   "cd 'groups/Cluster Group/resources'; readlink 'Cluster IP Address' 'Cluster Name'");
	/* The symlinks resolve to the resources' directories. */
	expect_out("Cluster Group\n", "cat 'groups/Cluster Group/resources/Cluster Name/group'");
	expect_out("ok\n", "id=$(cat 'groups/Cluster Group/id')\n"
			   "[ \"$(cat registry/Groups/$id/Name)\" = 'Cluster Group' ]\n"
			   "[ \"$(cat registry/Groups/$id/GroupType)\" = 1 ]\n"
			   "echo ok");
	expect_out("555 .\n444 id\n664 state\n664 owner\n664 preferred_owners\n444 type\n"
		   "664 description\n555 resources\n775 ..\n",
		   "cd 'groups/Cluster Group'; for f in . id state owner preferred_owners type "
		   "description resources ..; do echo \"$(stat -c %a $f) $f\"; done");
	free(h);
	stop_check(true);
}

Test(objects, group_created_by_mkdir_and_control)
{
	add_n2();
	run("mkdir groups/web; printf '%s\\n' 'group-create g2 n2 1' 'group-create g3 n2' > control");
	char *e = xs("offline\n%s\n9999\n\n", host());
	expect_out(e, "cd groups/web; cat state owner type preferred_owners description; ls resources");
	free(e);
	expect_out("offline\nn2\n1\noffline\nn2\n9999\n",
		   "cat groups/g2/state groups/g2/owner groups/g2/type groups/g3/state groups/g3/owner "
		   "groups/g3/type");
	/* The default owner is the lowest-numbered node that is up. */
	run("echo down > nodes/$h/state; mkdir groups/g4; echo up > nodes/$h/state");
	expect_out("n2\n", "cat groups/g4/owner");
	expect_out("Available Storage\nCluster Group\ng2\ng3\ng4\nweb\n", "ls groups");
	stop_check(true);
}

Test(objects, empty_group_online_offline)
{
	run("mkdir groups/web");
	expect_out("online\noffline\noffline\n", "echo online > groups/web/state; cat groups/web/state\n"
						 "echo offline > groups/web/state; cat groups/web/state\n"
						 "echo offline > groups/web/state; cat groups/web/state");
	expect_err("Invalid argument", "echo partialonline > groups/web/state");
	expect_err("Invalid argument", "echo failed > groups/web/state");
	expect_err("Permission denied", "echo 2 > groups/web/type");
	expect_err("Permission denied", "echo x > groups/web/id");
	expect_out("offline\n9999\n", "cat groups/web/state groups/web/type");
	stop_check(true);
}

Test(objects, group_online_brings_resources_online)
{
	make_web();
	expect_out("offline\noffline\noffline\n", "cat groups/web/state resources/ip/state resources/app/state");
	run("echo online > groups/web/state");
	expect_out("online\nonline\nonline\n", "cat groups/web/state resources/ip/state resources/app/state");
	/* The resource states are the registry's State values (ClusterResourceOnline = 2). */
	expect_out("2\n2\n0\n", "cat registry/Resources/$(cat resources/ip/id)/State "
				"registry/Resources/$(cat resources/app/id)/State "
				"registry/Groups/$(cat groups/web/id)/State");
	run("echo offline > groups/web/state");
	expect_out("offline\noffline\noffline\n3\n1\n",
		   "cat groups/web/state resources/ip/state resources/app/state "
		   "registry/Resources/$(cat resources/app/id)/State "
		   "registry/Groups/$(cat groups/web/id)/State");
	/* The group's resources/ listing and symlinks are unchanged by states. */
	expect_out("app\nip\n../../../resources/app\n../../../resources/ip\n",
		   "ls groups/web/resources; readlink groups/web/resources/app groups/web/resources/ip");
	expect_out("offline\nonline\n", "cat groups/web/resources/app/state; "
				  "echo online > groups/web/state; cat groups/web/resources/app/state");
	stop_check(true);
}

Test(objects, resources_follow_dependency_order)
{
	make_web();
	run("echo 'resource-create db MyType web' > control; echo +app > resources/db/dependencies");
	/* Bringing the top of the chain online brings its providers first. */
	run("echo online > resources/db/state");
	expect_out("online\nonline\nonline\nonline\n",
		   "cat resources/ip/state resources/app/state resources/db/state groups/web/state");
	/* Taking a provider offline takes its dependents down first. */
	run("echo offline > resources/ip/state");
	expect_out("offline\noffline\noffline\noffline\n",
		   "cat resources/ip/state resources/app/state resources/db/state groups/web/state");
	/* A provider alone: the group is partially online. */
	run("echo online > resources/app/state");
	expect_out("online\nonline\noffline\npartialonline\n",
		   "cat resources/ip/state resources/app/state resources/db/state groups/web/state");
	expect_out("3\n", "cat registry/Groups/$(cat groups/web/id)/State");
	/* Offline in the middle: db goes with app, ip stays. */
	run("echo online > groups/web/state; echo offline > resources/app/state");
	expect_out("online\noffline\noffline\npartialonline\n",
		   "cat resources/ip/state resources/app/state resources/db/state groups/web/state");
	stop_check(true);
}

Test(objects, resource_failed)
{
	make_web();
	run("echo online > groups/web/state; echo failed > resources/ip/state");
	/* The dependent is taken down; nothing online: the group failed. */
	expect_out("failed\noffline\nfailed\n",
		   "cat resources/ip/state resources/app/state groups/web/state");
	expect_out("4\n2\n", "cat registry/Resources/$(cat resources/ip/id)/State "
			     "registry/Groups/$(cat groups/web/id)/State");
	/* A failed resource can be brought online again. */
	run("echo online > groups/web/state");
	expect_out("online\nonline\nonline\n", "cat resources/ip/state resources/app/state groups/web/state");
	expect_err("Invalid argument", "echo onlinepending > resources/ip/state");
	expect_err("Permission denied", "echo x > resources/ip/owner");
	expect_err("Permission denied", "echo MyType > resources/ip/type");
	expect_out("online\n", "cat resources/ip/state");
	stop_check(true);
}

Test(objects, failed_and_online_is_partialonline)
{
	/* README: "failed when one failed and none is online": with one
	 * online and one failed, some are online: partialonline. */
	run("printf '%s\\n' 'type-create T' 'group-create g' 'resource-create a T g' "
	    "'resource-create b T g' 'resource-online a' > control");
	expect_out("partialonline\n", "cat groups/g/state");
	run("echo failed > resources/b/state");
	expect_out("online\nfailed\npartialonline\n",
		   "cat resources/a/state resources/b/state groups/g/state");
	stop_check(true);
}

Test(objects, group_owner_of_host_is_noop)
{
	make_web();
	run("echo online > groups/web/state; echo $h > groups/web/owner");
	char *e = xs("%s\nonline\nonline\n%s\n", host(), host());
	expect_out(e, "cat groups/web/owner groups/web/state resources/app/state resources/app/owner");
	free(e);
	expect_err("No such file or directory", "echo nosuchnode > groups/web/owner");
	e = xs("%s\n", host());
	expect_out(e, "cat groups/web/owner");
	free(e);
	stop_check(true);
}

Test(objects, group_move)
{
	make_web();
	add_n2();
	run("echo online > groups/web/state; echo n2 > groups/web/owner");
	expect_out("n2\nonline\nonline\nonline\nn2\nn2\n",
		   "cat groups/web/owner groups/web/state resources/ip/state resources/app/state "
		   "resources/ip/owner resources/app/owner");
	expect_out("ok\n", "[ \"$(cat registry/Groups/$(cat groups/web/id)/OwnerNode)\" = "
			   "\"$(cat nodes/n2/id)\" ]; echo ok");
	/* Only what was online comes back online. */
	run("echo offline > resources/app/state; echo $h > groups/web/owner");
	char *e = xs("%s\nonline\noffline\npartialonline\n%s\n", host(), host());
	expect_out(e, "cat groups/web/owner resources/ip/state resources/app/state groups/web/state "
		      "resources/app/owner");
	free(e);
	/* An offline group stays offline. */
	run("echo offline > groups/web/state; echo n2 > groups/web/owner");
	expect_out("n2\noffline\noffline\n", "cat groups/web/owner groups/web/state resources/ip/state");
	/* An empty online group stays online. */
	run("mkdir groups/e; echo online > groups/e/state; echo n2 > groups/e/owner");
	expect_out("n2\nonline\n", "cat groups/e/owner groups/e/state");
	stop_check(true);
}

Test(objects, group_move_to_paused_node_is_eagain)
{
	make_web();
	add_n2();
	run("echo online > groups/web/state; echo pause > nodes/n2/state");
	expect_err("Resource temporarily unavailable", "echo n2 > groups/web/owner");
	char *e = xs("%s\nonline\nonline\n", host());
	expect_out(e, "cat groups/web/owner groups/web/state resources/app/state");
	free(e);
	run("echo resume > nodes/n2/state; echo n2 > groups/web/owner");
	expect_out("n2\nonline\n", "cat groups/web/owner groups/web/state");
	stop_check(true);
}

Test(objects, group_move_to_down_node_is_ehostdown)
{
	make_web();
	add_n2();
	run("echo down > nodes/n2/state");
	expect_err("Host is down", "echo n2 > groups/web/owner");
	char *e = xs("%s\n", host());
	expect_out(e, "cat groups/web/owner");
	free(e);
	/* Nor can a group come online on a down or paused node. */
	run("echo up > nodes/n2/state; echo n2 > groups/web/owner; echo down > nodes/n2/state");
	expect_err("Host is down", "echo online > groups/web/state");
	expect_out("offline\noffline\n", "cat groups/web/state resources/ip/state");
	run("echo up > nodes/n2/state; echo pause > nodes/n2/state");
	expect_err("Resource temporarily unavailable", "echo online > groups/web/state");
	expect_out("offline\n", "cat groups/web/state");
	stop_check(true);
}

Test(objects, group_move_needs_possible_owner)
{
	make_web();
	add_n2();
	run("echo $h > resources/ip/possible_owners");
	expect_err("Operation not permitted", "echo n2 > groups/web/owner");
	char *e = xs("%s\n", host());
	expect_out(e, "cat groups/web/owner");
	free(e);
	/* Nor can it come online on a node that is not a possible owner. */
	run("echo n2 > resources/app/possible_owners");
	expect_err("Operation not permitted", "echo online > resources/app/state");
	expect_out("offline\noffline\n", "cat resources/app/state resources/ip/state");
	stop_check(true);
}

Test(objects, possible_owners_file)
{
	make_web();
	add_n2();
	run("echo 'node-add n3 3 10.0.0.3' > control");
	expect_out("0\n", "stat -c %s resources/ip/possible_owners");
	char *e = xs("n2\n%s\n", host());
	expect_out(e, "put \"n2\\n$h\\n\" resources/ip/possible_owners; cat resources/ip/possible_owners");
	free(e);
	e = xs("n2\n%s\nn3\n", host());
	expect_out(e, "echo +n3 > resources/ip/possible_owners; cat resources/ip/possible_owners");
	free(e);
	expect_out("n2\nn3\n", "echo -$h > resources/ip/possible_owners; cat resources/ip/possible_owners");
	/* Several edits in one write. */
	expect_out("n3\n", "put '+n3\\n-n2\\n' resources/ip/possible_owners; "
			   "cat resources/ip/possible_owners");
	/* The registry keeps ids. */
	expect_out("ok\n", "[ \"$(cat registry/Resources/$(cat resources/ip/id)/PossibleOwners)\" = "
			   "\"$(cat nodes/n3/id)\" ]; echo ok");
	expect_err("No such file or directory", "echo +nosuch > resources/ip/possible_owners");
	expect_err("No such file or directory", "echo nosuch > resources/ip/possible_owners");
	expect_err("Invalid argument", "put 'n2\\n+n3\\n' resources/ip/possible_owners");
	expect_out("n3\n", "cat resources/ip/possible_owners");
	/* An empty list: every node. */
	expect_out("0\n", "echo > resources/ip/possible_owners; stat -c %s resources/ip/possible_owners");
	stop_check(true);
}

Test(objects, preferred_owners_file)
{
	run("mkdir groups/web");
	add_n2();
	expect_out("", "cat groups/web/preferred_owners");
	char *e = xs("n2\n%s\n", host());
	expect_out(e, "put \"n2\\n$h\\n\" groups/web/preferred_owners; cat groups/web/preferred_owners");
	free(e);
	e = xs("%s\n", host());
	expect_out(e, "echo -n2 > groups/web/preferred_owners; cat groups/web/preferred_owners");
	free(e);
	e = xs("%s\nn2\n", host());
	expect_out(e, "echo +n2 > groups/web/preferred_owners; cat groups/web/preferred_owners");
	/* Adding one that is there moves nothing twice. */
	expect_out(e, "echo +n2 > groups/web/preferred_owners; cat groups/web/preferred_owners");
	free(e);
	expect_out("ok\n", "id=$(cat groups/web/id)\n"
			   "[ \"$(cat registry/Groups/$id/PreferredOwners)\" = "
			   "\"$(printf '%s\\n%s' $(cat nodes/$h/id) $(cat nodes/n2/id))\" ]; echo ok");
	expect_err("No such file or directory", "echo +nosuch > groups/web/preferred_owners");
	expect_err("Invalid argument", "put '-n2\\nn2\\n' groups/web/preferred_owners");
	expect_out("n2\n", "put 'n2\\n' groups/web/preferred_owners; cat groups/web/preferred_owners");
	expect_out("", "echo > groups/web/preferred_owners; cat groups/web/preferred_owners");
	stop_check(true);
}

Test(objects, list_file_written_line_by_line)
{
	/* bash's printf writes "n2\n" and "<host>\n" with two write()s into
	 * one open file: together they are the whole list that was written. */
	make_web();
	add_n2();
	char *e = xs("n2\n%s\n", host());
	expect_out(e, "printf 'n2\\n%s\\n' $h > groups/web/preferred_owners; cat groups/web/preferred_owners");
	free(e);
	run("echo 'resource-create db MyType web' > control");
	expect_out("app\nip\n", "printf 'app\\nip\\n' > resources/db/dependencies; cat resources/db/dependencies");
	stop_check(true);
}

/* --- resources --- */

Test(objects, default_resources)
{
	expect_out("dependencies\ndescription\ngroup\nid\nmonitor_interval\nowner\nparameters\n"
		   "pending_timeout\npossible_owners\nrestart_action\nrestart_period\n"
		   "restart_threshold\nstate\ntype\n",
		   "ls 'resources/Cluster Name'");
	char *e = xs("Cluster IP Address\n\nCluster Group\n%s\nonline\nNetwork Name\n", host());
	expect_out(e, "cd 'resources/Cluster Name'; cat dependencies description group owner "
		      "possible_owners state type");
	free(e);
	e = xs("\nCluster Group\n%s\nonline\nIP Address\n", host());
	expect_out(e, "cd 'resources/Cluster IP Address'; cat dependencies description group owner "
		      "possible_owners state type");
	free(e);
	expect_out("555 .\n444 id\n444 type\n664 group\n664 state\n444 owner\n664 possible_owners\n"
		   "664 dependencies\n664 description\n775 ..\n",
		   "cd 'resources/Cluster Name'; for f in . id type group state owner possible_owners "
		   "dependencies description ..; do echo \"$(stat -c %a $f) $f\"; done");
	/* The registry holds references as ids. */
	expect_out("ok\n", "cd 'resources/Cluster Name'; R=../../registry/Resources/$(cat id)\n"
			   "[ \"$(cat $R/Name)\" = 'Cluster Name' ]\n"
			   "[ \"$(cat $R/Group)\" = \"$(cat '../../groups/Cluster Group/id')\" ]\n"
			   "[ \"$(cat $R/Type)\" = \"$(cat '../../resourcetypes/Network Name/id')\" ]\n"
			   "[ \"$(cat $R/Dependencies)\" = \"$(cat '../Cluster IP Address/id')\" ]\n"
			   "[ \"$(cat $R/State)\" = 2 ]\n"
			   "echo ok");
	stop_check(true);
}

Test(objects, resource_created_through_control)
{
	make_web();
	char *e = xs("ip\n\nweb\n%s\noffline\nMyType\n", host());
	expect_out(e, "cd resources/app; cat dependencies description group owner possible_owners "
		      "state type");
	free(e);
	expect_out("app\nip\n../../../resources/app\n../../../resources/ip\n",
		   "ls groups/web/resources; readlink groups/web/resources/app groups/web/resources/ip");
	expect_out("Cluster IP Address\nCluster Name\napp\nip\n", "ls resources");
	/* The resource's owner is its group's owner. */
	add_n2();
	run("echo n2 > groups/web/owner");
	expect_out("n2\nn2\n", "cat resources/app/owner resources/ip/owner");
	stop_check(true);
}

Test(objects, dependencies_file)
{
	make_web();
	run("printf '%s\\n' 'resource-create db MyType web' 'resource-create fs MyType web' > control");
	expect_out("", "cat resources/db/dependencies");
	/* A whole list. */
	expect_out("app\nfs\n", "put 'app\\nfs\\n' resources/db/dependencies; cat resources/db/dependencies");
	/* A whole list replaces: fs stays, app goes, ip comes. */
	expect_out("fs\nip\n", "put 'fs\\nip\\n' resources/db/dependencies; cat resources/db/dependencies");
	/* Edits. */
	expect_out("fs\nip\napp\n", "echo +app > resources/db/dependencies; cat resources/db/dependencies");
	expect_out("ip\napp\n", "echo -fs > resources/db/dependencies; cat resources/db/dependencies");
	expect_out("app\nfs\n", "put '-ip\\n+fs\\n' resources/db/dependencies; "
				"cat resources/db/dependencies");
	/* The registry keeps ids, in the same order. */
	expect_out("ok\n", "[ \"$(cat registry/Resources/$(cat resources/db/id)/Dependencies)\" = "
			   "\"$(printf '%s\\n%s' $(cat resources/app/id) $(cat resources/fs/id))\" ]; echo ok");
	/* Emptied. */
	expect_out("0\n", "echo > resources/db/dependencies; stat -c %s resources/db/dependencies");
	/* Refused edits change nothing. */
	run("echo +app > resources/db/dependencies");
	expect_err("No such file or directory", "echo +nosuch > resources/db/dependencies");
	expect_err("Too many levels of symbolic links", "echo +db > resources/app/dependencies");
	expect_err("Too many levels of symbolic links", "echo +db > resources/db/dependencies");
	expect_err("Invalid argument", "put 'ip\\n+fs\\n' resources/db/dependencies");
	expect_out("app\nip\n", "cat resources/db/dependencies resources/app/dependencies");
	stop_check(true);
}

Test(objects, resource_group_change)
{
	make_web();
	run("mkdir groups/other; echo 'resource-create solo MyType web' > control");
	run("echo other > resources/solo/group");
	expect_out("other\nsolo\napp\nip\n",
		   "cat resources/solo/group; ls groups/other/resources; ls groups/web/resources");
	expect_out("ok\n", "[ \"$(cat registry/Resources/$(cat resources/solo/id)/Group)\" = "
			   "\"$(cat groups/other/id)\" ]; echo ok");
	/* The owner follows the new group. */
	add_n2();
	run("echo n2 > groups/other/owner");
	expect_out("n2\n", "cat resources/solo/owner");
	/* A resource takes its dependency tree along, as on Windows. */
	run("echo other > resources/app/group");
	expect_out("other\nother\n", "cat resources/app/group resources/ip/group");
	expect_out("app\nip\nsolo\n", "ls groups/other/resources");
	expect_out("", "ls groups/web/resources");
	/* Online, to a group on another node: EBUSY, and nothing moves. */
	run("echo online > resources/solo/state");
	expect_err("Device or resource busy", "echo web > resources/solo/group");
	expect_err("No such file or directory", "echo nosuch > resources/ip/group");
	expect_out("other\nother\nother\n",
		   "cat resources/solo/group resources/app/group resources/ip/group");
	/* The group's state follows its members. */
	expect_out("partialonline\n", "cat groups/other/state");
	/* Between groups of one node, an online resource stays online. */
	run("mkdir groups/g2; echo n2 > groups/g2/owner; echo g2 > resources/solo/group");
	expect_out("online\ng2\nonline\noffline\n", "cat resources/solo/state resources/solo/group "
							"groups/g2/state groups/other/state");
	stop_check(true);
}

Test(objects, rmdir_resource_and_type)
{
	make_web();
	run("echo 'resource-create solo MyType web' > control; echo online > groups/web/state");
	expect_err("Device or resource busy", "rmdir resources/solo");
	run("echo offline > resources/solo/state; rmdir resources/solo");
	expect_out("app\nip\n", "ls groups/web/resources");
	expect_err("No such file or directory", "cat resources/solo/state");
	/* Depended on: EBUSY (offline first). */
	run("echo offline > groups/web/state");
	expect_err("Device or resource busy", "rmdir resources/ip");
	/* A type in use. */
	expect_err("Device or resource busy", "rmdir resourcetypes/MyType");
	run("rmdir resources/app; rmdir resourcetypes/MyType");
	expect_out("ip\n", "ls groups/web/resources");
	expect_out("0\n", "ls resourcetypes | grep -c MyType || true");
	/* A group with resources: ENOTEMPTY. */
	expect_err("Directory not empty", "rmdir groups/web");
	run("rmdir resources/ip; rmdir groups/web");
	expect_out("Available Storage\nCluster Group\n", "ls groups");
	stop_check(true);
}

/* --- resource types --- */

Test(objects, resource_types)
{
	expect_out("File Share\nGeneric Application\nGeneric Script\nGeneric Service\nIP Address\n"
		   "Network Name\nPhysical Disk\n",
		   "ls resourcetypes");
	expect_out("description\ndll\nid\nclusres.dll\nclusres2.dll\n\n",
		   "ls 'resourcetypes/IP Address'; cat 'resourcetypes/IP Address/dll' "
		   "'resourcetypes/File Share/dll' 'resourcetypes/IP Address/description'");
	expect_out("555 .\n444 id\n444 dll\n664 description\n775 ..\n",
		   "cd 'resourcetypes/IP Address'; for f in . id dll description ..; do "
		   "echo \"$(stat -c %a $f) $f\"; done");
	run("mkdir resourcetypes/MyType; echo 'type-create T2 my.dll' > control");
	expect_out("description\ndll\nid\n\n\nmy.dll\n",
		   "ls resourcetypes/MyType; cat resourcetypes/MyType/dll resourcetypes/MyType/description "
		   "resourcetypes/T2/dll");
	expect_out("ok\n", "id=$(cat resourcetypes/T2/id)\n"
			   "[ \"$(cat registry/ResourceTypes/$id/Name)\" = T2 ]\n"
			   "[ \"$(cat registry/ResourceTypes/$id/DllName)\" = my.dll ]\n"
			   "echo ok");
	expect_err("Permission denied", "echo x.dll > resourcetypes/T2/dll");
	run("rmdir resourcetypes/T2");
	expect_out("0\n", "ls resourcetypes | grep -c T2 || true");
	stop_check(true);
}

/* --- networks and interfaces --- */

Test(objects, networks)
{
	expect_out("address\ndescription\nid\nprefix\nrole\nstate\n", "ls 'networks/Cluster Network 1'");
	/* Every network shows valid words. */
	expect_out("ok\n", "for n in networks/*; do\n"
			   "  grep -qxE 'up|down|partitioned|unavailable' \"$n/state\"\n"
			   "  grep -qxE 'none|internal|client|internalandclient' \"$n/role\"\n"
			   "  grep -qxE '[0-9]+' \"$n/prefix\"\n"
			   "done; echo ok");
	run("echo 'network-add net1 10.1.0.0 16 client up' > control");
	expect_out("10.1.0.0\n\n16\nclient\nup\n",
		   "cd networks/net1; cat address description prefix role state");
	expect_out("555 .\n444 id\n444 state\n664 role\n444 address\n444 prefix\n664 description\n",
		   "cd networks/net1; for f in . id state role address prefix description; do "
		   "echo \"$(stat -c %a $f) $f\"; done");
	expect_out("internal\nnone\ninternalandclient\n",
		   "echo internal > networks/net1/role; cat networks/net1/role\n"
		   "echo none > networks/net1/role; cat networks/net1/role\n"
		   "echo internalandclient > networks/net1/role; cat networks/net1/role");
	expect_out("3\n", "cat registry/Networks/$(cat networks/net1/id)/Role");
	expect_err("Invalid argument", "echo everyone > networks/net1/role");
	expect_err("Permission denied", "echo down > networks/net1/state");
	expect_err("Permission denied", "echo 8 > networks/net1/prefix");
	expect_err("Permission denied", "echo 1.1.1.1 > networks/net1/address");
	expect_out("internalandclient\nup\n16\n", "cat networks/net1/role networks/net1/state networks/net1/prefix");
	run("echo 'network-state net1 partitioned' > control");
	expect_out("partitioned\n", "cat networks/net1/state");
	stop_check(true);
}

Test(objects, netinterfaces)
{
	/* The host's interfaces are named "<node> - <adapter>". */
	expect_out("ok\n", "for i in netinterfaces/*; do\n"
			   "  [ \"$(cat \"$i/node\")\" = \"$h\" ]\n"
			   "  [ \"${i#netinterfaces/}\" = \"$h - $(cat \"$i/adapter\")\" ]\n"
			   "  [ -d \"networks/$(cat \"$i/network\")\" ]\n"
			   "  grep -qxE 'up|failed|unreachable|unavailable' \"$i/state\"\n"
			   "done; echo ok");
	expect_out("lo\n127.0.0.1\n", "cat \"netinterfaces/$h - lo/adapter\" \"netinterfaces/$h - lo/address\"");
	add_n2();
	run("echo 'network-add net1 10.1.0.0 16 client up' > control\n"
	    "echo 'netif-add if1 n2 net1 eth9 10.1.0.5 up' > control");
	expect_out("adapter\naddress\ndescription\nid\nnetwork\nnode\nstate\n"
		   "eth9\n10.1.0.5\n\nnet1\nn2\nup\n",
		   "ls netinterfaces/if1; cd netinterfaces/if1; cat adapter address description network node state");
	expect_out("555 .\n444 id\n444 node\n444 network\n444 adapter\n444 address\n444 state\n"
		   "664 description\n555 ..\n",
		   "cd netinterfaces/if1; for f in . id node network adapter address state description ..; "
		   "do echo \"$(stat -c %a $f) $f\"; done");
	expect_err("Permission denied", "echo failed > netinterfaces/if1/state");
	expect_err("Permission denied", "echo n1 > netinterfaces/if1/node");
	run("echo 'netif-state if1 unreachable' > control");
	expect_out("unreachable\n", "cat netinterfaces/if1/state");
	/* References are ids in the registry. */
	expect_out("ok\n", "R=registry/NetworkInterfaces/$(cat netinterfaces/if1/id)\n"
			   "[ \"$(cat $R/Node)\" = \"$(cat nodes/n2/id)\" ]\n"
			   "[ \"$(cat $R/Network)\" = \"$(cat networks/net1/id)\" ]\n"
			   "echo ok");
	stop_check(true);
}

/* --- renames --- */

Test(objects, mv_group)
{
	make_web();
	run("id=$(cat groups/web/id); echo $id > $D/id; mv groups/web groups/www");
	expect_out("Available Storage\nCluster Group\nwww\n", "ls groups");
	expect_out("same\nwww\nwww\nwww\n", "[ \"$(cat groups/www/id)\" = \"$(cat $D/id)\" ] && echo same\n"
					   "cat registry/Groups/$(cat $D/id)/Name resources/ip/group "
					   "resources/app/group");
	expect_err("No such file or directory", "cat groups/web/state");
	expect_out("app\nip\n", "ls groups/www/resources");
	stop_check(true);
}

Test(objects, mv_resource)
{
	make_web();
	run("mv resources/ip resources/addr");
	expect_out("Cluster IP Address\nCluster Name\naddr\napp\n", "ls resources");
	expect_out("addr\napp\n../../../resources/addr\naddr\naddr\n",
		   "ls groups/web/resources; readlink groups/web/resources/addr; "
		   "cat resources/app/dependencies registry/Resources/$(cat resources/addr/id)/Name");
	expect_err("No such file or directory", "cat resources/ip/state");
	stop_check(true);
}

Test(objects, mv_network)
{
	add_n2();
	run("echo 'network-add net1 10.1.0.0 16 client up' > control\n"
	    "echo 'netif-add if1 n2 net1 eth9 10.1.0.5 up' > control\n"
	    "mv networks/net1 networks/backbone");
	expect_out("backbone\nbackbone\n10.1.0.0\n",
		   "cat netinterfaces/if1/network registry/Networks/$(cat networks/backbone/id)/Name "
		   "networks/backbone/address");
	expect_out("0\n", "ls networks | grep -c '^net1$' || true");
	stop_check(true);
}

Test(objects, mv_of_other_kinds_refused)
{
	add_n2();
	run("mkdir resourcetypes/MyType");
	expect_err("Operation not permitted", "python3 -c 'import os; os.rename(\"nodes/n2\", \"nodes/n9\")'");
	expect_err("Operation not permitted",
		   "python3 -c 'import os; os.rename(\"resourcetypes/MyType\", \"resourcetypes/T9\")'");
	expect_out("n2\nMyType\n", "ls nodes | grep n; ls resourcetypes | grep Type");
	stop_check(true);
}

/* --- descriptions and the cluster's name --- */

Test(objects, description_files)
{
	make_web();
	add_n2();
	run("echo 'network-add net1 10.1.0.0 16 client up' > control\n"
	    "echo 'netif-add if1 n2 net1 eth9 10.1.0.5 up' > control");
	const char *files[] = {"nodes/n2", "groups/web", "resources/ip", "resourcetypes/MyType",
			       "networks/net1", "netinterfaces/if1"};
	const char *keys[] = {"Nodes", "Groups", "Resources", "ResourceTypes", "Networks",
			      "NetworkInterfaces"};
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		char *s = xs("echo 'Web front end, tier 1' > %s/description; cat %s/description\n"
			     "cat registry/%s/$(cat %s/id)/Description\n"
			     "getfattr --only-values -n user.cluster.type registry/%s/$(cat %s/id)/Description; echo",
			     files[i], files[i], keys[i], files[i], keys[i], files[i]);
		expect_out("Web front end, tier 1\nWeb front end, tier 1\nREG_SZ\n", s);
		free(s);
		s = xs("echo 'second' > %s/description; cat %s/description", files[i], files[i]);
		expect_out("second\n", s);
		free(s);
	}
	/* Text without a newline, and UTF-8. */
	expect_out("caf\xc3\xa9\n", "printf 'caf\\xc3\\xa9' > groups/web/description; cat groups/web/description");
	stop_check(true);
}

Test(objects, cluster_name_and_id)
{
	expect_out("testcluster\nup\n", "cat name state");
	expect_out("ok\n", "[[ $(cat id) =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]\n"
			   "[ \"$(cat registry/ClusterId)\" = \"$(cat id)\" ]; echo ok");
	expect_out("prod\nprod\n", "echo prod > name; cat name registry/ClusterName");
	expect_out("664\n444\n444\n444\n220\n", "stat -c %a name id state quorum control");
	expect_err("Permission denied", "echo down > state");
	expect_err("Permission denied", "echo lost > quorum");
	expect_err("Permission denied", "echo x > id");
	expect_out("prod\nup\nquorate\n", "cat name state quorum");
	stop_check(true);
}

Test(objects, mkdir_resourcetype)
{
	run("mkdir resourcetypes/MyType");
	expect_out("description\ndll\nid\n", "ls resourcetypes/MyType");
	expect_out("8\n", "ls resourcetypes | wc -l");
	expect_out("MyType\n", "cat registry/ResourceTypes/$(cat resourcetypes/MyType/id)/Name");
	/* Resources of the new type can be created. */
	run("mkdir groups/g; echo 'resource-create r MyType g' > control");
	expect_out("MyType\n", "cat resources/r/type");
	stop_check(true);
}
