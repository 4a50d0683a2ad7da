/* SPDX-License-Identifier: MIT */
/* libclusapi: cluster, node, group, resource, resource type, network and
 * network interface calls and enumerations, with every documented error
 * code, against a live mount (README: "libclusapi"). */
#include <pthread.h>

#include "clusapi_util.h"

TestSuite(clusapi, .init = cl_setup, .fini = teardown, .timeout = 60);

static HCLUSTER open_cluster(void)
{
	HCLUSTER c = OpenCluster(NULL);
	cr_assert_not_null(c, "OpenCluster: %u", GetLastError());
	return c;
}

/* ---- cluster handles ---------------------------------------------- */

Test(clusapi, open_cluster_by_null_name_and_node_name)
{
	HCLUSTER c = open_cluster();
	HCLUSTER c2 = OpenCluster(W("TESTCLUSTER")); /* names ignore case */
	cr_assert_not_null(c2, "%u", GetLastError());
	HCLUSTER c3 = OpenCluster(W(host()));
	cr_assert_not_null(c3, "%u", GetLastError());
	cr_assert(CloseCluster(c));
	cr_assert(CloseCluster(c2));
	cr_assert(CloseCluster(c3));
}

Test(clusapi, open_cluster_errors)
{
	cr_assert_null(OpenCluster(W("no-such-cluster")));
	cr_assert_eq(GetLastError(), RPC_S_SERVER_UNAVAILABLE);
	setenv("CLUSTERFS_MOUNT", "/nonexistent/clusterfs", 1);
	cr_assert_null(OpenCluster(NULL));
	cr_assert_eq(GetLastError(), EPT_S_NOT_REGISTERED);
	DWORD st = 99;
	cr_assert_eq(GetNodeClusterState(NULL, &st), ERROR_SUCCESS);
	cr_assert_eq(st, ClusterStateNotRunning);
	setenv("CLUSTERFS_MOUNT", M.mnt, 1);
	cr_assert_eq(GetNodeClusterState(NULL, &st), ERROR_SUCCESS);
	cr_assert_eq(st, ClusterStateRunning);
}

Test(clusapi, cluster_information)
{
	HCLUSTER c = open_cluster();
	WCHAR name[64];
	DWORD cch = 64;
	CLUSTERVERSIONINFO v = {.dwVersionInfoSize = sizeof(v)};
	cr_assert_eq(GetClusterInformation(c, name, &cch, &v), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), "testcluster");
	cr_assert_eq(cch, 11);
	cr_assert_eq(v.MajorVersion, 10);
	cch = 5; /* too small: the length needed, without the NUL */
	cr_assert_eq(GetClusterInformation(c, name, &cch, NULL), ERROR_MORE_DATA);
	cr_assert_eq(cch, 11);
	cch = 0;
	cr_assert_eq(GetClusterInformation(c, NULL, &cch, NULL), ERROR_MORE_DATA);
	cr_assert_eq(cch, 11);
	v.dwVersionInfoSize = 4;
	cch = 64;
	cr_assert_eq(GetClusterInformation(c, name, &cch, &v), ERROR_INVALID_PARAMETER);
	CloseCluster(c);
}

Test(clusapi, bad_handles_give_invalid_handle)
{
	HCLUSTER c = open_cluster();
	HGROUP g = OpenClusterGroup(c, W("Cluster Group"));
	cr_assert_not_null(g);
	WCHAR name[64];
	DWORD cch = 64;
	/* Never a handle, NULL, a wrong kind. */
	cr_assert_eq(GetClusterInformation((HCLUSTER)(uintptr_t)0xdeadbeef, name, &cch, NULL),
		     ERROR_INVALID_HANDLE);
	cr_assert_eq(GetClusterInformation(NULL, name, &cch, NULL), ERROR_INVALID_HANDLE);
	cr_assert_eq(GetClusterInformation((HCLUSTER)g, name, &cch, NULL), ERROR_INVALID_HANDLE);
	cr_assert_eq(GetClusterNodeState((HNODE)g), ClusterNodeStateUnknown);
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	cr_assert_eq(OnlineClusterGroup(g, (HNODE)g), ERROR_INVALID_HANDLE);
	/* Closed: stale, and closing twice is an error, not a crash. */
	cr_assert(CloseClusterGroup(g));
	cr_assert_eq(GetClusterGroupState(g, NULL, NULL), ClusterGroupStateUnknown);
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	cr_assert_not(CloseClusterGroup(g));
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	/* A new handle in the same slot does not revive the old one. */
	HGROUP g2 = OpenClusterGroup(c, W("Cluster Group"));
	cr_assert_neq(g2, g);
	cr_assert_eq(GetClusterGroupState(g, NULL, NULL), ClusterGroupStateUnknown);
	/* Handles die with their cluster handle. */
	cr_assert(CloseCluster(c));
	cr_assert_eq(GetClusterGroupState(g2, NULL, NULL), ClusterGroupStateUnknown);
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	cr_assert_not(CloseCluster(c));
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
}

/* ---- groups --------------------------------------------------------- */

Test(clusapi, group_create_open_rename_delete)
{
	HCLUSTER c = open_cluster();
	HGROUP g = CreateClusterGroup(c, W("web"));
	cr_assert_not_null(g, "%u", GetLastError());
	cr_assert_str_eq(shx("cat groups/web/state groups/web/type | tr '\\n' ' '"), "offline 9999 ");
	cr_assert_null(CreateClusterGroup(c, W("web")));
	cr_assert_eq(GetLastError(), ERROR_OBJECT_ALREADY_EXISTS);
	cr_assert_null(CreateClusterGroup(c, W("")));
	cr_assert_eq(GetLastError(), ERROR_INVALID_NAME);
	cr_assert_null(CreateClusterGroup(c, W("a/b")));
	cr_assert_eq(GetLastError(), ERROR_INVALID_NAME);
	cr_assert_null(OpenClusterGroup(c, W("nope")));
	cr_assert_eq(GetLastError(), ERROR_GROUP_NOT_FOUND);
	/* By name in any case, and by id. */
	HGROUP g2 = OpenClusterGroup(c, W("WEB"));
	cr_assert_not_null(g2);
	HGROUP g3 = OpenClusterGroup(c, W(shx("cat groups/web/id")));
	cr_assert_not_null(g3);
	/* A rename keeps every handle working. */
	cr_assert_eq(SetClusterGroupName(g, W("www")), ERROR_SUCCESS);
	cr_assert_str_eq(shx("ls groups | grep -c www"), "1");
	cr_assert_eq(SetClusterGroupName(g2, W("Cluster Group")), ERROR_OBJECT_ALREADY_EXISTS);
	cr_assert_eq(SetClusterGroupName(g2, W("")), ERROR_INVALID_NAME);
	cr_assert_eq(GetClusterGroupState(g3, NULL, NULL), ClusterGroupOffline);
	cr_assert_eq(DeleteClusterGroup(g2), ERROR_SUCCESS);
	cr_assert_str_eq(shx("ls groups | grep -c www || true"), "0");
	/* The handle stays open; the group is gone. */
	cr_assert_eq(GetClusterGroupState(g, NULL, NULL), ClusterGroupStateUnknown);
	cr_assert_eq(GetLastError(), ERROR_GROUP_NOT_FOUND);
	cr_assert_eq(DeleteClusterGroup(g), ERROR_GROUP_NOT_FOUND);
	CloseClusterGroup(g);
	CloseClusterGroup(g2);
	CloseClusterGroup(g3);
	CloseCluster(c);
}

Test(clusapi, group_names_are_utf16)
{
	HCLUSTER c = open_cluster();
	const char *name = "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x90\xa7"; /* café ☃ 🐧 */
	HGROUP g = CreateClusterGroup(c, W(name));
	cr_assert_not_null(g, "%u", GetLastError());
	cr_assert_str_eq(shx("ls groups | grep caf"), name);
	HCLUSENUM e = ClusterOpenEnum(c, CLUSTER_ENUM_GROUP);
	WCHAR buf[64];
	bool found = false;
	for (DWORD i = 0; i < ClusterGetEnumCount(e); i++) {
		DWORD cch = 64, type;
		cr_assert_eq(ClusterEnum(e, i, &type, buf, &cch), ERROR_SUCCESS);
		if (strcmp(U(buf), name) == 0) {
			found = true;
			/* 4 + 1 + 1 + 1 + 2 (a surrogate pair) UTF-16 units. */
			cr_assert_eq(cch, 9);
		}
	}
	cr_assert(found);
	ClusterCloseEnum(e);
	WCHAR bad[] = {0xD800, 'x', 0};
	cr_assert_null(CreateClusterGroup(c, bad));
	cr_assert_eq(GetLastError(), ERROR_INVALID_NAME);
	CloseCluster(c);
}

Test(clusapi, group_state_online_offline_and_owner)
{
	HCLUSTER c = open_cluster();
	CTL("'group-create web' 'resource-create ip \"IP Address\" web'");
	HGROUP g = OpenClusterGroup(c, W("web"));
	WCHAR node[64];
	DWORD cch = 64;
	cr_assert_eq(GetClusterGroupState(g, node, &cch), ClusterGroupOffline);
	cr_assert_str_eq(U(node), host());
	cr_assert_eq(cch, strlen(host()));
	/* A short buffer still gives the state, with ERROR_MORE_DATA. */
	cch = 1;
	cr_assert_eq(GetClusterGroupState(g, node, &cch), ClusterGroupOffline);
	cr_assert_eq(GetLastError(), ERROR_MORE_DATA);
	cr_assert_eq(cch, strlen(host()));
	cr_assert_eq(OnlineClusterGroup(g, NULL), ERROR_SUCCESS);
	cr_assert_eq(GetClusterGroupState(g, NULL, NULL), ClusterGroupOnline);
	cr_assert_str_eq(shx("cat resources/ip/state"), "online");
	/* Online again: nothing to do. */
	cr_assert_eq(OnlineClusterGroup(g, NULL), ERROR_SUCCESS);
	cr_assert_eq(OfflineClusterGroup(g), ERROR_SUCCESS);
	cr_assert_eq(GetClusterGroupState(g, NULL, NULL), ClusterGroupOffline);
	/* Not empty. */
	cr_assert_eq(DeleteClusterGroup(g), ERROR_DIR_NOT_EMPTY);
	CloseClusterGroup(g);
	CloseCluster(c);
}

Test(clusapi, group_move_and_preferred_owners)
{
	HCLUSTER c = open_cluster();
	CTL("'node-add n2 2 192.0.2.20 up' 'node-add n3 3 192.0.2.30 down' 'group-create web'",
	    "'resource-create ip \"IP Address\" web' 'group-online web'");
	HGROUP g = OpenClusterGroup(c, W("web"));
	HNODE me = OpenClusterNode(c, W(host()));
	HNODE n2 = OpenClusterNode(c, W("n2"));
	HNODE n3 = OpenClusterNode(c, W("n3"));
	cr_assert(me && n2 && n3);
	/* To the current owner: nothing happens. */
	cr_assert_eq(MoveClusterGroup(g, me), ERROR_SUCCESS);
	cr_assert_eq(MoveClusterGroup(g, n2), ERROR_SUCCESS);
	WCHAR owner[64];
	DWORD cch = 64;
	cr_assert_eq(GetClusterGroupState(g, owner, &cch), ClusterGroupOnline);
	cr_assert_str_eq(U(owner), "n2");
	cr_assert_eq(MoveClusterGroup(g, n3), ERROR_HOST_NODE_NOT_AVAILABLE);
	/* No destination: the best other node (the first preferred owner
	 * that is up, else the lowest-numbered). */
	cr_assert_eq(MoveClusterGroup(g, NULL), ERROR_SUCCESS);
	cch = 64;
	GetClusterGroupState(g, owner, &cch);
	cr_assert_str_eq(U(owner), host());
	HNODE list[] = {n3, n2};
	cr_assert_eq(SetClusterGroupNodeList(g, 2, list), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat groups/web/preferred_owners | tr '\\n' ' '"), "n3 n2 ");
	cr_assert_eq(MoveClusterGroup(g, NULL), ERROR_SUCCESS);
	cch = 64;
	GetClusterGroupState(g, owner, &cch);
	cr_assert_str_eq(U(owner), "n2");
	/* The preferred owners enumerate as nodes of the group. */
	HGROUPENUM e = ClusterGroupOpenEnum(g, CLUSTER_GROUP_ENUM_NODES);
	cr_assert_eq(ClusterGroupGetEnumCount(e), 2);
	WCHAR name[64];
	DWORD type;
	cch = 64;
	cr_assert_eq(ClusterGroupEnum(e, 0, &type, name, &cch), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), "n3");
	cr_assert_eq(type, CLUSTER_GROUP_ENUM_NODES);
	ClusterGroupCloseEnum(e);
	/* Online on a given node moves it there first. */
	cr_assert_eq(OfflineClusterGroup(g), ERROR_SUCCESS);
	cr_assert_eq(OnlineClusterGroup(g, me), ERROR_SUCCESS);
	cch = 64;
	cr_assert_eq(GetClusterGroupState(g, owner, &cch), ClusterGroupOnline);
	cr_assert_str_eq(U(owner), host());
	/* A paused node cannot take it. */
	cr_assert_eq(PauseClusterNode(n2), ERROR_SUCCESS);
	cr_assert_eq(MoveClusterGroup(g, n2), ERROR_SHARING_PAUSED);
	cr_assert_eq(SetClusterGroupNodeList(g, 0, NULL), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat groups/web/preferred_owners"), "");
	HNODE badlist[] = {(HNODE)g};
	cr_assert_eq(SetClusterGroupNodeList(g, 1, badlist), ERROR_INVALID_HANDLE);
	CloseCluster(c);
}

/* ---- resources ------------------------------------------------------ */

Test(clusapi, resource_create_open_rename_delete)
{
	HCLUSTER c = open_cluster();
	HGROUP g = CreateClusterGroup(c, W("web"));
	HRESOURCE r = CreateClusterResource(g, W("ip"), W("IP Address"), 0);
	cr_assert_not_null(r, "%u", GetLastError());
	cr_assert_str_eq(shx("cat resources/ip/type resources/ip/group | tr '\\n' ' '"),
			 "IP Address web ");
	cr_assert_null(CreateClusterResource(g, W("ip"), W("IP Address"), 0));
	cr_assert_eq(GetLastError(), ERROR_OBJECT_ALREADY_EXISTS);
	cr_assert_null(CreateClusterResource(g, W("x"), W("No Such Type"), 0));
	cr_assert_eq(GetLastError(), ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND);
	cr_assert_null(CreateClusterResource(g, W("x"), W("IP Address"), 2));
	cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	HRESOURCE sep = CreateClusterResource(g, W("sep"), W("IP Address"),
					      CLUSTER_RESOURCE_SEPARATE_MONITOR);
	cr_assert_not_null(sep);
	cr_assert_null(OpenClusterResource(c, W("")));
	cr_assert_eq(GetLastError(), ERROR_RESOURCE_NOT_FOUND);
	cr_assert_null(OpenClusterResource(c, W("nope")));
	cr_assert_eq(GetLastError(), ERROR_RESOURCE_NOT_FOUND);
	HRESOURCE r2 = OpenClusterResource(c, W("IP"));
	cr_assert_not_null(r2);
	cr_assert_eq(SetClusterResourceName(r2, W("addr")), ERROR_SUCCESS);
	cr_assert_eq(SetClusterResourceName(r2, W("sep")), ERROR_OBJECT_ALREADY_EXISTS);
	WCHAR node[64], group[64];
	DWORD cn = 64, cg = 64;
	cr_assert_eq(GetClusterResourceState(r, node, &cn, group, &cg), ClusterResourceOffline);
	cr_assert_str_eq(U(node), host());
	cr_assert_str_eq(U(group), "web");
	cg = 2;
	cr_assert_eq(GetClusterResourceState(r, NULL, NULL, group, &cg), ClusterResourceOffline);
	cr_assert_eq(GetLastError(), ERROR_MORE_DATA);
	cr_assert_eq(cg, 3);
	cr_assert_eq(DeleteClusterResource(r), ERROR_SUCCESS);
	cr_assert_eq(GetClusterResourceState(r2, NULL, NULL, NULL, NULL), ClusterResourceStateUnknown);
	cr_assert_eq(GetLastError(), ERROR_RESOURCE_NOT_FOUND);
	cr_assert_eq(DeleteClusterResource(r), ERROR_RESOURCE_NOT_FOUND);
	CloseCluster(c);
}

Test(clusapi, resource_online_offline_fail_delete_rules)
{
	HCLUSTER c = open_cluster();
	CTL("'group-create web' 'resource-create ip \"IP Address\" web'",
	    "'resource-create app \"Generic Service\" web' 'resource-depend app ip'");
	HRESOURCE ip = OpenClusterResource(c, W("ip"));
	HRESOURCE app = OpenClusterResource(c, W("app"));
	cr_assert_eq(OnlineClusterResource(app), ERROR_SUCCESS);
	/* Its provider came online first. */
	cr_assert_eq(GetClusterResourceState(ip, NULL, NULL, NULL, NULL), ClusterResourceOnline);
	cr_assert_eq(GetClusterResourceState(app, NULL, NULL, NULL, NULL), ClusterResourceOnline);
	cr_assert_eq(DeleteClusterResource(app), ERROR_INVALID_STATE);
	cr_assert_eq(FailClusterResource(app), ERROR_SUCCESS);
	cr_assert_eq(GetClusterResourceState(app, NULL, NULL, NULL, NULL), ClusterResourceFailed);
	/* Offline of a failed resource succeeds at once. */
	cr_assert_eq(OfflineClusterResource(app), ERROR_SUCCESS);
	cr_assert_eq(OfflineClusterResource(ip), ERROR_SUCCESS);
	cr_assert_eq(GetClusterResourceState(ip, NULL, NULL, NULL, NULL), ClusterResourceOffline);
	cr_assert_eq(OfflineClusterResource(ip), ERROR_SUCCESS);
	/* Depended on. */
	cr_assert_eq(DeleteClusterResource(ip), ERROR_DEPENDENT_RESOURCE_EXISTS);
	CloseCluster(c);
}

/* A resource that runs: OnlineClusterResource returns ERROR_IO_PENDING
 * while its agent starts it (a Generic Script whose start takes 1 s), and
 * FailClusterResource goes through its restart policy. */
static void wait_state(HRESOURCE r, CLUSTER_RESOURCE_STATE want)
{
	for (int i = 0; i < 200; i++) {
		if (GetClusterResourceState(r, NULL, NULL, NULL, NULL) == want)
			return;
		usleep(25000);
	}
	cr_assert_fail("the resource never reached state %d", (int)want);
}

Test(clusapi, resource_pending_while_its_agent_runs)
{
	HCLUSTER c = open_cluster();
	shx("printf '%%s\\n' '#!/bin/sh' 'f=\"$(dirname \"$0\")/up\"' "
	    "'case $1 in start) sleep 1; touch \"$f\";; stop) rm -f \"$f\";; "
	    "monitor) test -e \"$f\";; esac' > \"$D/s.sh\"; chmod +x \"$D/s.sh\"; "
	    "printf '%%s\\n' 'group-create g' 'resource-create s \"Generic Script\" g' "
	    "\"resource-param s ScriptFilepath $D/s.sh\" > control");
	HRESOURCE r = OpenClusterResource(c, W("s"));
	cr_assert_not_null(r);
	cr_assert_eq(OnlineClusterResource(r), ERROR_IO_PENDING);
	cr_assert_eq(GetClusterResourceState(r, NULL, NULL, NULL, NULL), ClusterResourceOnlinePending);
	cr_assert_eq(OnlineClusterResource(r), ERROR_INVALID_STATE);
	wait_state(r, ClusterResourceOnline);
	/* A failure restarts it (restart_action failover, threshold 3, one
	 * node): pending again, then online. */
	DWORD f = FailClusterResource(r);
	cr_assert(f == ERROR_IO_PENDING || f == ERROR_SUCCESS, "FailClusterResource: %lu",
		  (unsigned long)f);
	wait_state(r, ClusterResourceOnline);
	cr_assert_str_eq(shx("grep -c 'resource state s online -> failed' log"), "1");
	DWORD o = OfflineClusterResource(r);
	cr_assert(o == ERROR_IO_PENDING || o == ERROR_SUCCESS);
	wait_state(r, ClusterResourceOffline);
	CloseClusterResource(r);
	CloseCluster(c);
}

Test(clusapi, resource_dependencies)
{
	HCLUSTER c = open_cluster();
	CTL("'group-create web' 'group-create db' 'resource-create ip \"IP Address\" web'",
	    "'resource-create app \"Generic Service\" web' 'resource-create disk \"Physical Disk\" db'");
	HRESOURCE ip = OpenClusterResource(c, W("ip"));
	HRESOURCE app = OpenClusterResource(c, W("app"));
	HRESOURCE disk = OpenClusterResource(c, W("disk"));
	cr_assert_eq(AddClusterResourceDependency(app, ip), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat resources/app/dependencies"), "ip");
	cr_assert_eq(AddClusterResourceDependency(app, ip), ERROR_DEPENDENCY_ALREADY_EXISTS);
	cr_assert_eq(AddClusterResourceDependency(app, app), ERROR_CIRCULAR_DEPENDENCY);
	cr_assert_eq(AddClusterResourceDependency(ip, app), ERROR_CIRCULAR_DEPENDENCY);
	cr_assert_eq(AddClusterResourceDependency(app, disk), ERROR_INVALID_PARAMETER);
	HRESENUM e = ClusterResourceOpenEnum(app, CLUSTER_RESOURCE_ENUM_DEPENDS);
	cr_assert_eq(ClusterResourceGetEnumCount(e), 1);
	ClusterResourceCloseEnum(e);
	e = ClusterResourceOpenEnum(ip, CLUSTER_RESOURCE_ENUM_PROVIDES | CLUSTER_RESOURCE_ENUM_NODES);
	cr_assert_eq(ClusterResourceGetEnumCount(e), 2);
	WCHAR name[64];
	DWORD cch = 64, type;
	cr_assert_eq(ClusterResourceEnum(e, 0, &type, name, &cch), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), "app");
	cr_assert_eq(type, CLUSTER_RESOURCE_ENUM_PROVIDES);
	cch = 64;
	cr_assert_eq(ClusterResourceEnum(e, 1, &type, name, &cch), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), host());
	cr_assert_eq(type, CLUSTER_RESOURCE_ENUM_NODES);
	cch = 64;
	cr_assert_eq(ClusterResourceEnum(e, 2, &type, name, &cch), ERROR_NO_MORE_ITEMS);
	ClusterResourceCloseEnum(e);
	cr_assert_null(ClusterResourceOpenEnum(ip, 8));
	cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	cr_assert_eq(RemoveClusterResourceDependency(app, ip), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat resources/app/dependencies"), "");
	cr_assert_eq(RemoveClusterResourceDependency(app, ip), ERROR_DEPENDENCY_NOT_FOUND);
	CloseCluster(c);
}

Test(clusapi, resource_possible_owners_and_group_change)
{
	HCLUSTER c = open_cluster();
	CTL("'node-add n2 2 192.0.2.20 up' 'group-create web' 'group-create db'",
	    "'resource-create ip \"IP Address\" web'");
	HRESOURCE ip = OpenClusterResource(c, W("ip"));
	HNODE me = OpenClusterNode(c, W(host()));
	HNODE n2 = OpenClusterNode(c, W("n2"));
	/* An empty list means every node: adding one changes nothing. */
	cr_assert_eq(AddClusterResourceNode(ip, n2), ERROR_SUCCESS);
	cr_assert_eq(RemoveClusterResourceNode(ip, n2), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat resources/ip/possible_owners"), host());
	cr_assert_eq(RemoveClusterResourceNode(ip, n2), ERROR_CLUSTER_NODE_NOT_FOUND);
	cr_assert_eq(AddClusterResourceNode(ip, me), ERROR_OBJECT_ALREADY_EXISTS);
	cr_assert_eq(RemoveClusterResourceNode(ip, me), ERROR_INVALID_STATE);
	cr_assert_eq(AddClusterResourceNode(ip, n2), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat resources/ip/possible_owners | sort | tr '\\n' ' '"),
			 shx("printf '%%s\\n' %s n2 | sort | tr '\\n' ' '", host()));
	cr_assert_eq(AddClusterResourceNode(ip, (HNODE)ip), ERROR_INVALID_HANDLE);
	HGROUP db = OpenClusterGroup(c, W("db"));
	cr_assert_eq(ChangeClusterResourceGroup(ip, db), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat resources/ip/group"), "db");
	HGROUPENUM e = ClusterGroupOpenEnum(db, CLUSTER_GROUP_ENUM_CONTAINS);
	cr_assert_eq(ClusterGroupGetEnumCount(e), 1);
	ClusterGroupCloseEnum(e);
	/* The dependency tree moves along, online resources stay online
	 * between groups of one node. */
	CTL("'resource-create app \"Generic Application\" db' 'resource-depend app ip'");
	HRESOURCE app = OpenClusterResource(c, W("app"));
	cr_assert_eq(OnlineClusterResource(ip), ERROR_SUCCESS);
	HGROUP web = OpenClusterGroup(c, W("web"));
	cr_assert_eq(ChangeClusterResourceGroup(app, web), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat resources/app/group resources/ip/group | tr '\\n' ' '"), "web web ");
	cr_assert_eq(GetClusterResourceState(ip, NULL, 0, NULL, 0), ClusterResourceOnline);
	/* Online, to a group on another node: refused, nothing moves. */
	cr_assert_eq(MoveClusterGroup(db, n2), ERROR_SUCCESS);
	cr_assert_eq(ChangeClusterResourceGroup(ip, db), ERROR_INVALID_STATE);
	cr_assert_str_eq(shx("cat resources/app/group resources/ip/group | tr '\\n' ' '"), "web web ");
	cr_assert_eq(OfflineClusterResource(ip), ERROR_SUCCESS);
	cr_assert_eq(ChangeClusterResourceGroup(ip, db), ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat resources/app/group resources/ip/group | tr '\\n' ' '"), "db db ");
	CloseCluster(c);
}

struct owner_adder {
	HRESOURCE res;
	HNODE node;
	DWORD rc;
};

static void *add_owner(void *arg)
{
	struct owner_adder *a = arg;
	a->rc = AddClusterResourceNode(a->res, a->node);
	return NULL;
}

/* Possible-owner edits from many threads at once: none is lost. */
Test(clusapi, possible_owner_edits_do_not_race)
{
	HCLUSTER c = open_cluster();
	CTL("'node-add n2 2 192.0.2.20' 'node-add n3 3 192.0.2.30' 'node-add n4 4 192.0.2.40'",
	    "'node-add n5 5 192.0.2.50' 'node-add n6 6 192.0.2.60' 'node-add n7 7 192.0.2.70'",
	    "'node-add n8 8 192.0.2.80' 'node-add n9 9 192.0.2.90' 'group-create web'",
	    "'resource-create ip \"IP Address\" web'");
	HRESOURCE ip = OpenClusterResource(c, W("ip"));
	cr_assert_eq(RemoveClusterResourceNode(ip, OpenClusterNode(c, W("n9"))), ERROR_SUCCESS);
	struct owner_adder a[8];
	pthread_t th[8];
	for (int round = 0; round < 5; round++) {
		CTL("\"resource-owners ip $(hostname)\"");
		for (int i = 0; i < 8; i++) {
			char nm[8];
			snprintf(nm, sizeof(nm), "n%d", i + 2);
			a[i] = (struct owner_adder){.res = ip, .node = OpenClusterNode(c, W(nm))};
			cr_assert_not_null(a[i].node);
			pthread_create(&th[i], NULL, add_owner, &a[i]);
		}
		for (int i = 0; i < 8; i++) {
			pthread_join(th[i], NULL);
			cr_assert_eq(a[i].rc, ERROR_SUCCESS, "thread %d: %u", i, a[i].rc);
			CloseClusterNode(a[i].node);
		}
		cr_assert_str_eq(shx("cat resources/ip/possible_owners | wc -l"), "9", "round %d", round);
	}
	CloseCluster(c);
}

Test(clusapi, resource_types)
{
	HCLUSTER c = open_cluster();
	cr_assert_eq(CreateClusterResourceType(c, W("MyType"), W("My Type"), W("mytype.dll"), 5000,
					       60000),
		     ERROR_SUCCESS);
	cr_assert_str_eq(shx("cat resourcetypes/MyType/dll"), "mytype.dll");
	cr_assert_str_eq(shx("cat registry/ResourceTypes/$(cat resourcetypes/MyType/id)/DisplayName"),
			 "My Type");
	cr_assert_eq(CreateClusterResourceType(c, W("MyType"), W("x"), W("x.dll"), 1, 1),
		     ERROR_ALREADY_EXISTS);
	cr_assert_eq(CreateClusterResourceType(c, W(""), W("x"), W("x.dll"), 1, 1),
		     ERROR_INVALID_NAME);
	HGROUP g = CreateClusterGroup(c, W("g"));
	HRESOURCE r = CreateClusterResource(g, W("r"), W("MyType"), 0);
	cr_assert_not_null(r);
	cr_assert_eq(DeleteClusterResourceType(c, W("MyType")), ERROR_DIR_NOT_EMPTY);
	cr_assert_eq(DeleteClusterResource(r), ERROR_SUCCESS);
	cr_assert_eq(DeleteClusterResourceType(c, W("MyType")), ERROR_SUCCESS);
	cr_assert_eq(DeleteClusterResourceType(c, W("MyType")), ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND);
	cr_assert_eq(DeleteClusterResourceType((HCLUSTER)g, W("x")), ERROR_INVALID_HANDLE);
	CloseCluster(c);
}

/* ---- nodes, networks, interfaces ------------------------------------ */

Test(clusapi, nodes)
{
	HCLUSTER c = open_cluster();
	CTL("'node-add n2 2 192.0.2.20 up' 'node-add n3 3 192.0.2.30 down' 'group-create g n2'");
	HNODE me = OpenClusterNode(c, W(host()));
	cr_assert_not_null(me);
	cr_assert_null(OpenClusterNode(c, W("nope")));
	cr_assert_eq(GetLastError(), ERROR_CLUSTER_NODE_NOT_FOUND);
	cr_assert_eq(GetClusterNodeState(me), ClusterNodeUp);
	WCHAR id[64];
	DWORD cch = 64;
	cr_assert_eq(GetClusterNodeId(me, id, &cch), ERROR_SUCCESS);
	cr_assert_str_eq(U(id), shx("cat nodes/%s/id", host()));
	cr_assert_eq(cch, 36);
	cch = 64;
	cr_assert_eq(GetClusterNodeId(NULL, id, &cch), ERROR_SUCCESS); /* this host */
	cr_assert_str_eq(U(id), shx("cat nodes/%s/id", host()));
	cch = 10;
	cr_assert_eq(GetClusterNodeId(me, id, &cch), ERROR_MORE_DATA);
	cr_assert_eq(cch, 36);
	cr_assert_eq(PauseClusterNode(me), ERROR_SUCCESS);
	cr_assert_eq(GetClusterNodeState(me), ClusterNodePaused);
	cr_assert_eq(PauseClusterNode(me), ERROR_SUCCESS);
	cr_assert_eq(ResumeClusterNode(me), ERROR_SUCCESS);
	cr_assert_eq(GetClusterNodeState(me), ClusterNodeUp);
	cr_assert_eq(ResumeClusterNode(me), ERROR_SUCCESS);
	HNODE n3 = OpenClusterNode(c, W("n3"));
	cr_assert_eq(GetClusterNodeState(n3), ClusterNodeDown);
	cr_assert_eq(PauseClusterNode(n3), ERROR_CLUSTER_NODE_DOWN);
	HNODE n2 = OpenClusterNode(c, W("n2"));
	HNODEENUM e = ClusterNodeOpenEnum(n2, CLUSTER_NODE_ENUM_GROUPS);
	cr_assert_eq(ClusterNodeGetEnumCount(e), 1);
	ClusterNodeCloseEnum(e);
	cr_assert_eq(EvictClusterNode(n2), ERROR_CANT_EVICT_ACTIVE_NODE);
	cr_assert_eq(EvictClusterNode(n3), ERROR_SUCCESS);
	cr_assert_eq(GetClusterNodeState(n3), ClusterNodeStateUnknown);
	cr_assert_eq(GetLastError(), ERROR_CLUSTER_NODE_NOT_FOUND);
	cr_assert_null(ClusterNodeOpenEnum(me, 0));
	cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	CloseCluster(c);
}

Test(clusapi, networks_and_interfaces)
{
	HCLUSTER c = open_cluster();
	char line[512];
	snprintf(line, sizeof(line), "'netif-add \"n9 - eth9\" %s net9 eth9 198.51.100.9 up'", host());
	CTL("'network-add net9 198.51.100.0 24 internal up'", line);
	HNETWORK n = OpenClusterNetwork(c, W("net9"));
	cr_assert_not_null(n, "%u", GetLastError());
	cr_assert_eq(GetClusterNetworkState(n), ClusterNetworkUp);
	HNETINTERFACE i = OpenClusterNetInterface(c, W("n9 - eth9"));
	cr_assert_not_null(i, "%u", GetLastError());
	cr_assert_eq(GetClusterNetInterfaceState(i), ClusterNetInterfaceUp);
	cr_assert_null(OpenClusterNetwork(c, W("nope")));
	cr_assert_eq(GetLastError(), ERROR_CLUSTER_NETWORK_NOT_FOUND);
	cr_assert_null(OpenClusterNetInterface(c, W("nope")));
	cr_assert_eq(GetLastError(), ERROR_CLUSTER_NETINTERFACE_NOT_FOUND);
	HNODE me = OpenClusterNode(c, W(host()));
	HNODEENUM e = ClusterNodeOpenEnum(me, CLUSTER_NODE_ENUM_NETINTERFACES);
	bool found = false;
	for (DWORD k = 0; k < ClusterNodeGetEnumCount(e); k++) {
		WCHAR name[128];
		DWORD cch = 128, type;
		cr_assert_eq(ClusterNodeEnum(e, k, &type, name, &cch), ERROR_SUCCESS);
		found = found || strcmp(U(name), "n9 - eth9") == 0;
	}
	cr_assert(found);
	ClusterNodeCloseEnum(e);
	HCLUSENUM ce = ClusterOpenEnum(c, CLUSTER_ENUM_INTERNAL_NETWORK);
	cr_assert_geq(ClusterGetEnumCount(ce), 1);
	ClusterCloseEnum(ce);
	CTL("'netif-delete \"n9 - eth9\"' 'network-delete net9'");
	cr_assert_eq(GetClusterNetworkState(n), ClusterNetworkStateUnknown);
	cr_assert_eq(GetLastError(), ERROR_CLUSTER_NETWORK_NOT_FOUND);
	cr_assert_eq(GetClusterNetInterfaceState(i), ClusterNetInterfaceStateUnknown);
	cr_assert_eq(GetLastError(), ERROR_CLUSTER_NETINTERFACE_NOT_FOUND);
	CloseClusterNetwork(n);
	CloseClusterNetInterface(i);
	CloseCluster(c);
}

/* ---- cluster enumeration -------------------------------------------- */

Test(clusapi, cluster_enum)
{
	HCLUSTER c = open_cluster();
	cr_assert_null(ClusterOpenEnum(c, 0));
	cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	cr_assert_null(ClusterOpenEnum(c, 0x100));
	cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	HCLUSENUM e = ClusterOpenEnum(c, CLUSTER_ENUM_ALL);
	cr_assert_not_null(e);
	DWORD n = ClusterGetEnumCount(e);
	char want[8192] = "", got[8192] = "";
	/* What ls shows, kind by kind in the CLUSTER_ENUM bit order. */
	snprintf(want, sizeof(want), "%s",
		 shx("for d in nodes resourcetypes resources groups networks netinterfaces; do "
		     "ls $d | sort; done | tr '\\n' '|'"));
	DWORD last = 0;
	for (DWORD i = 0; i < n; i++) {
		WCHAR name[128];
		DWORD cch = 128, type;
		cr_assert_eq(ClusterEnum(e, i, &type, name, &cch), ERROR_SUCCESS);
		cr_assert_geq(type, last);
		last = type;
		strcat(got, U(name));
		strcat(got, "|");
	}
	/* Within a kind the order is by id, so compare sorted per kind. */
	cr_assert_eq(strlen(got), strlen(want));
	WCHAR small[2];
	DWORD cch = 2, type;
	cr_assert_eq(ClusterEnum(e, 0, &type, small, &cch), ERROR_MORE_DATA);
	cr_assert_eq(cch, strlen(host()));
	cch = 2;
	cr_assert_eq(ClusterEnum(e, n, &type, small, &cch), ERROR_NO_MORE_ITEMS);
	/* A snapshot: later changes do not show. */
	CTL("'group-create later'");
	cr_assert_eq(ClusterGetEnumCount(e), n);
	cr_assert_eq(ClusterCloseEnum(e), ERROR_SUCCESS);
	cr_assert_eq(ClusterCloseEnum(e), ERROR_INVALID_HANDLE);
	/* A group enumeration handle is not a cluster one. */
	HGROUP g = OpenClusterGroup(c, W("later"));
	HGROUPENUM ge = ClusterGroupOpenEnum(g, CLUSTER_GROUP_ENUM_ALL);
	cr_assert_eq(ClusterEnum((HCLUSENUM)ge, 0, &type, small, &cch), ERROR_INVALID_HANDLE);
	cr_assert_eq(ClusterCloseEnum((HCLUSENUM)ge), ERROR_INVALID_HANDLE);
	cr_assert_eq(ClusterGroupCloseEnum(ge), ERROR_SUCCESS);
	e = ClusterOpenEnum(c, CLUSTER_ENUM_RESTYPE);
	cr_assert_eq(ClusterGetEnumCount(e), 7);
	ClusterCloseEnum(e);
	CloseCluster(c);
}

/* ---- threads -------------------------------------------------------- */

static HCLUSTER shared;

static void *creator(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < 10; i++) {
		char name[32];
		snprintf(name, sizeof(name), "t%d-%d", id, i);
		HGROUP g = CreateClusterGroup(shared, W(name));
		if (!g || OnlineClusterGroup(g, NULL) != ERROR_SUCCESS ||
		    GetClusterGroupState(g, NULL, NULL) != ClusterGroupOnline ||
		    !CloseClusterGroup(g))
			return (void *)1;
		/* Another thread's failure is not ours: last errors are per thread. */
		if (GetLastError() != ERROR_SUCCESS)
			return (void *)2;
	}
	return NULL;
}

Test(clusapi, threads_share_handles_and_keep_their_own_last_error)
{
	shared = open_cluster();
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, creator, (void *)(intptr_t)i);
	SetLastError(1234);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		cr_assert_null(r, "thread %d failed (%p)", i, r);
	}
	cr_assert_eq(GetLastError(), 1234);
	cr_assert_str_eq(shx("ls groups | grep -c '^t'"), "40");
	CloseCluster(shared);
}
