/* SPDX-License-Identifier: MIT */
/* libclusapi notification ports, V1 and V2, against a live mount: every
 * notification type, the fields of each V2 event, keys, per-object and
 * registry registrations, timeouts, ERROR_MORE_DATA, HANDLE_CLOSE and the
 * documented port patterns, overflow (RECONNECT), the event handle, and a
 * daemon that goes away. */
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>

#include "clusapi_util.h"

TestSuite(clusnotify, .init = cl_setup, .fini = teardown, .timeout = 120);

static HCLUSTER c;

static void open_cluster(void)
{
	c = OpenCluster(NULL);
	cr_assert_not_null(c);
}

static const struct {
	DWORD flag;
	const char *name;
} v1names[] = {
	{CLUSTER_CHANGE_NODE_STATE, "NODE_STATE"},
	{CLUSTER_CHANGE_NODE_DELETED, "NODE_DELETED"},
	{CLUSTER_CHANGE_NODE_ADDED, "NODE_ADDED"},
	{CLUSTER_CHANGE_NODE_PROPERTY, "NODE_PROPERTY"},
	{CLUSTER_CHANGE_REGISTRY_NAME, "REGISTRY_NAME"},
	{CLUSTER_CHANGE_REGISTRY_ATTRIBUTES, "REGISTRY_ATTRIBUTES"},
	{CLUSTER_CHANGE_REGISTRY_VALUE, "REGISTRY_VALUE"},
	{CLUSTER_CHANGE_RESOURCE_STATE, "RESOURCE_STATE"},
	{CLUSTER_CHANGE_RESOURCE_DELETED, "RESOURCE_DELETED"},
	{CLUSTER_CHANGE_RESOURCE_ADDED, "RESOURCE_ADDED"},
	{CLUSTER_CHANGE_RESOURCE_PROPERTY, "RESOURCE_PROPERTY"},
	{CLUSTER_CHANGE_GROUP_STATE, "GROUP_STATE"},
	{CLUSTER_CHANGE_GROUP_DELETED, "GROUP_DELETED"},
	{CLUSTER_CHANGE_GROUP_ADDED, "GROUP_ADDED"},
	{CLUSTER_CHANGE_GROUP_PROPERTY, "GROUP_PROPERTY"},
	{CLUSTER_CHANGE_RESOURCE_TYPE_DELETED, "RESOURCE_TYPE_DELETED"},
	{CLUSTER_CHANGE_RESOURCE_TYPE_ADDED, "RESOURCE_TYPE_ADDED"},
	{CLUSTER_CHANGE_RESOURCE_TYPE_PROPERTY, "RESOURCE_TYPE_PROPERTY"},
	{CLUSTER_CHANGE_CLUSTER_RECONNECT, "CLUSTER_RECONNECT"},
	{CLUSTER_CHANGE_NETWORK_STATE, "NETWORK_STATE"},
	{CLUSTER_CHANGE_NETWORK_DELETED, "NETWORK_DELETED"},
	{CLUSTER_CHANGE_NETWORK_ADDED, "NETWORK_ADDED"},
	{CLUSTER_CHANGE_NETWORK_PROPERTY, "NETWORK_PROPERTY"},
	{CLUSTER_CHANGE_NETINTERFACE_STATE, "NETINTERFACE_STATE"},
	{CLUSTER_CHANGE_NETINTERFACE_DELETED, "NETINTERFACE_DELETED"},
	{CLUSTER_CHANGE_NETINTERFACE_ADDED, "NETINTERFACE_ADDED"},
	{CLUSTER_CHANGE_NETINTERFACE_PROPERTY, "NETINTERFACE_PROPERTY"},
	{CLUSTER_CHANGE_CLUSTER_STATE, "CLUSTER_STATE"},
	{CLUSTER_CHANGE_CLUSTER_PROPERTY, "CLUSTER_PROPERTY"},
	{CLUSTER_CHANGE_HANDLE_CLOSE, "HANDLE_CLOSE"},
};

static const char *v1name(DWORD f)
{
	for (size_t i = 0; i < sizeof(v1names) / sizeof(v1names[0]); i++)
		if (v1names[i].flag == f)
			return v1names[i].name;
	return "?";
}

/* Takes every queued V1 event ("FLAG name" or, with keys, "key:FLAG
 * name", joined with '|'); the port must then be empty. */
static const char *drain(HCHANGE p, bool keys)
{
	static char out[16384];
	out[0] = '\0';
	for (;;) {
		WCHAR name[512];
		DWORD_PTR key = 0;
		DWORD type = 0, cch = 512;
		DWORD r = GetClusterNotify(p, &key, &type, name, &cch, 0);
		if (r == WAIT_TIMEOUT)
			break;
		cr_assert_eq(r, ERROR_SUCCESS, "GetClusterNotify: %u", r);
		char item[1100];
		if (keys)
			snprintf(item, sizeof(item), "%s%lu:%s %s", *out ? "|" : "", (unsigned long)key,
				 v1name(type), U(name));
		else
			snprintf(item, sizeof(item), "%s%s %s", *out ? "|" : "", v1name(type), U(name));
		strncat(out, item, sizeof(out) - strlen(out) - 1);
	}
	return out;
}

static HCHANGE port(DWORD filter, DWORD_PTR key)
{
	HCHANGE p = CreateClusterNotifyPort(INVALID_HANDLE_VALUE, c, filter, key);
	cr_assert_not_null(p, "CreateClusterNotifyPort: %u", GetLastError());
	return p;
}

/* ---- V1 ------------------------------------------------------------- */

Test(clusnotify, v1_port_keys_and_added_filters)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_ADDED | CLUSTER_CHANGE_GROUP_STATE, 1);
	/* Reusing the port adds a filter with its own key; same handle. */
	cr_assert_eq(CreateClusterNotifyPort(p, c, CLUSTER_CHANGE_RESOURCE_ADDED, 2), p);
	cr_assert_null(CreateClusterNotifyPort(p, INVALID_HANDLE_VALUE, CLUSTER_CHANGE_ALL, 3));
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	cr_assert_null(CreateClusterNotifyPort((HCHANGE)c, c, CLUSTER_CHANGE_ALL, 3));
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	cr_assert_null(CreateClusterNotifyPort(INVALID_HANDLE_VALUE, (HCLUSTER)p, 1, 3));
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	CTL("'group-create web' 'resource-create ip \"IP Address\" web' 'group-online web'");
	/* The group passes through pending to online. */
	cr_assert_str_eq(drain(p, true),
			 "1:GROUP_ADDED web|2:RESOURCE_ADDED ip|1:GROUP_STATE web|1:GROUP_STATE web");
	/* A port on no cluster (INVALID_HANDLE_VALUE) takes registrations
	 * through RegisterClusterNotify. */
	HCHANGE q = CreateClusterNotifyPort(INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE, 0, 0);
	cr_assert_not_null(q);
	cr_assert_eq(RegisterClusterNotify(q, CLUSTER_CHANGE_GROUP_DELETED, c, 9), ERROR_SUCCESS);
	CTL("'group-create x' 'group-delete x'");
	cr_assert_str_eq(drain(q, true), "9:GROUP_DELETED x");
	cr_assert(CloseClusterNotifyPort(q));
	cr_assert(CloseClusterNotifyPort(p));
	cr_assert_eq(GetClusterNotify(p, NULL, NULL, NULL, NULL, 0), ERROR_INVALID_HANDLE);
	cr_assert_not(CloseClusterNotifyPort(p));
	CloseCluster(c);
}

/* Every V1 notification type that a change makes, with its name. */
Test(clusnotify, v1_every_change_type)
{
	open_cluster();
	/* Node properties apart: the CMM roles change with membership. */
	HCHANGE p = port(CLUSTER_CHANGE_ALL & ~(CLUSTER_CHANGE_REGISTRY_NAME |
						CLUSTER_CHANGE_REGISTRY_VALUE |
						CLUSTER_CHANGE_REGISTRY_ATTRIBUTES |
						CLUSTER_CHANGE_NODE_PROPERTY),
			 0);
	char line[512];
	snprintf(line, sizeof(line), "'netif-add \"n2 - eth1\" n2 net9 eth1 198.51.100.2 up'");
	CTL("'node-add n2 2 192.0.2.20 up'", "'node-state n2 pause'",
	    "'network-add net9 198.51.100.0 24 internal up'", "'network-state net9 down'",
	    "'network-role net9 client'", line, "'netif-state \"n2 - eth1\" failed'",
	    "'set netinterface \"n2 - eth1\" Description d'", "'netif-delete \"n2 - eth1\"'",
	    "'network-delete net9'");
	cr_assert_str_eq(drain(p, false),
			 "NODE_ADDED n2|NODE_STATE n2|NETWORK_ADDED net9|"
			 "NETWORK_STATE net9|NETWORK_PROPERTY net9|NETINTERFACE_ADDED n2 - eth1|"
			 "NETINTERFACE_STATE n2 - eth1|NETINTERFACE_PROPERTY n2 - eth1|"
			 "NETINTERFACE_DELETED n2 - eth1|NETWORK_DELETED net9");
	HCHANGE props = port(CLUSTER_CHANGE_NODE_PROPERTY, 0);
	CTL("'set node n2 Description d'");
	cr_assert_str_eq(drain(props, false), "NODE_PROPERTY n2");
	CloseClusterNotifyPort(props);
	CTL("'node-evict n2'");
	cr_assert_str_eq(drain(p, false), "NODE_DELETED n2");
	CTL("'type-create T' 'set resourcetype T Description d' 'group-create web'",
	    "'resource-create ip \"IP Address\" web' 'resource-create r T web'",
	    "'resource-depend r ip' 'set resource ip Description d'");
	cr_assert_str_eq(drain(p, false),
			 "RESOURCE_TYPE_ADDED T|RESOURCE_TYPE_PROPERTY T|GROUP_ADDED web|"
			 "RESOURCE_ADDED ip|GROUP_PROPERTY web|RESOURCE_ADDED r|GROUP_PROPERTY web|"
			 "RESOURCE_PROPERTY r|RESOURCE_PROPERTY ip");
	CTL("'resource-online r'");
	/* Each transition: ip then r through onlinepending, and the
	 * group's derived state after each (pending, partialonline,
	 * pending, online). */
	cr_assert_str_eq(drain(p, false),
			 "RESOURCE_STATE ip|GROUP_STATE web|RESOURCE_STATE ip|GROUP_STATE web|"
			 "RESOURCE_STATE r|GROUP_STATE web|RESOURCE_STATE r|GROUP_STATE web");
	CTL("'group-offline web'", "'group-rename web www'", "'resource-delete r'", "'type-delete T'",
	    "'resource-delete ip'", "'group-delete www'", "'cluster-rename big'");
	cr_assert_str_eq(drain(p, false),
			 "GROUP_STATE web|RESOURCE_STATE r|RESOURCE_STATE r|RESOURCE_STATE ip|"
			 "RESOURCE_STATE ip|GROUP_STATE web|GROUP_PROPERTY www|GROUP_PROPERTY www|"
			 "RESOURCE_DELETED r|RESOURCE_TYPE_DELETED T|GROUP_PROPERTY www|"
			 "RESOURCE_DELETED ip|GROUP_DELETED www|CLUSTER_PROPERTY big");
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

Test(clusnotify, v1_per_object_registrations_duplicate_with_own_keys)
{
	open_cluster();
	CTL("'group-create a' 'group-create b'");
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_STATE, 1);
	HGROUP a = OpenClusterGroup(c, W("a"));
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_GROUP_STATE | CLUSTER_CHANGE_GROUP_PROPERTY,
					   a, 2),
		     ERROR_SUCCESS);
	/* The docs' own example: the handle itself as the key. */
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_GROUP_STATE, a, (DWORD_PTR)a),
		     ERROR_SUCCESS);
	CTL("'group-online a' 'group-online b' 'set group a Description d' 'set group b Description d'");
	char want[256];
	snprintf(want, sizeof(want), "1:GROUP_STATE a|2:GROUP_STATE a|%lu:GROUP_STATE a|"
				     "1:GROUP_STATE b|2:GROUP_PROPERTY a",
		 (unsigned long)(DWORD_PTR)a);
	cr_assert_str_eq(drain(p, true), want);
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

/* RegisterClusterNotify on each kind of object handle: only that
 * object's events come, with the registration's key. */
Test(clusnotify, v1_per_object_on_every_handle_kind)
{
	open_cluster();
	char line[512];
	snprintf(line, sizeof(line), "'netif-add \"n2 - eth1\" %s net9 eth1 198.51.100.2 up'", host());
	CTL("'node-add n2 2 192.0.2.20 up' 'network-add net9 198.51.100.0 24 internal up'",
	    "'network-add net8 198.51.101.0 24 internal up'", line,
	    "'group-create web' 'resource-create ip \"IP Address\" web'",
	    "'resource-create ip2 \"IP Address\" web'");
	HCHANGE p = port(0, 0);
	HNODE n = OpenClusterNode(c, W("n2"));
	HNETWORK net = OpenClusterNetwork(c, W("net9"));
	HNETINTERFACE ni = OpenClusterNetInterface(c, W("n2 - eth1"));
	HRESOURCE r = OpenClusterResource(c, W("ip"));
	cr_assert(n && net && ni && r);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_NODE_STATE, n, 1), 0);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_NETWORK_STATE |
						   CLUSTER_CHANGE_NETWORK_PROPERTY,
					   net, 2),
		     0);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_NETINTERFACE_STATE, ni, 3), 0);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_RESOURCE_STATE |
						   CLUSTER_CHANGE_RESOURCE_DELETED,
					   r, 4),
		     0);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_NETWORK_STATE, n, 5),
		     ERROR_INVALID_PARAMETER);
	CTL("'node-state n2 pause' 'network-state net9 down' 'network-state net8 down'",
	    "'network-role net9 client' 'netif-state \"n2 - eth1\" failed'",
	    "'resource-online ip2' 'resource-online ip' 'resource-offline ip' 'resource-delete ip'");
	cr_assert_str_eq(drain(p, true),
			 "1:NODE_STATE n2|2:NETWORK_STATE net9|2:NETWORK_PROPERTY net9|"
			 "3:NETINTERFACE_STATE n2 - eth1|4:RESOURCE_STATE ip|4:RESOURCE_STATE ip|"
			 "4:RESOURCE_STATE ip|4:RESOURCE_STATE ip|4:RESOURCE_DELETED ip");
	/* Their keys. */
	HKEY nk = GetClusterNetworkKey(net, KEY_READ), ik = GetClusterNetInterfaceKey(ni, KEY_READ);
	cr_assert(nk && ik);
	WCHAR v[64];
	DWORD cb = sizeof(v), type;
	cr_assert_eq(ClusterRegQueryValue(ik, W("Adapter"), &type, (BYTE *)v, &cb), 0);
	cr_assert_str_eq(U(v), "eth1");
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

Test(clusapi_errors_on_register, register_errors, .init = cl_setup, .fini = teardown)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_STATE, 1);
	HGROUP g = OpenClusterGroup(c, W("Cluster Group"));
	HNODE n = OpenClusterNode(c, W(host()));
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_GROUP_STATE, (HANDLE)(uintptr_t)0x1234, 1),
		     ERROR_INVALID_HANDLE);
	cr_assert_eq(RegisterClusterNotify((HCHANGE)g, CLUSTER_CHANGE_GROUP_STATE, g, 1),
		     ERROR_INVALID_HANDLE);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_GROUP_STATE, n, 1),
		     ERROR_INVALID_PARAMETER);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_GROUP_ADDED, g, 1),
		     ERROR_INVALID_PARAMETER);
	cr_assert_eq(RegisterClusterNotify(p, 0, g, 1), ERROR_INVALID_PARAMETER);
	/* HANDLE_CLOSE alone takes a cluster handle; SUBTREE alone is nothing. */
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_HANDLE_CLOSE, g, 1),
		     ERROR_INVALID_PARAMETER);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_HANDLE_CLOSE, c, 1), ERROR_SUCCESS);
	HKEY rk = GetClusterKey(c, KEY_READ);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_REGISTRY_SUBTREE, rk, 1),
		     ERROR_INVALID_PARAMETER);
	NOTIFY_FILTER_AND_TYPE f = {CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_STATE_V2};
	cr_assert_eq(RegisterClusterNotifyV2(p, f, n, 1), ERROR_INVALID_PARAMETER);
	f.FilterFlags = 0x400; /* not a group flag */
	cr_assert_eq(RegisterClusterNotifyV2(p, f, g, 1), ERROR_INVALID_PARAMETER);
	f = (NOTIFY_FILTER_AND_TYPE){0x55, 1};
	cr_assert_eq(RegisterClusterNotifyV2(p, f, c, 1), ERROR_INVALID_PARAMETER);
	cr_assert_null(CreateClusterNotifyPortV2(INVALID_HANDLE_VALUE, c, &f, 1, 0));
	cr_assert_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	/* A failed registration added nothing. */
	CTL("'group-online \"Cluster Group\"' 'set group \"Cluster Group\" Description x'");
	cr_assert_str_eq(drain(p, true), "");
	CloseCluster(c);
}

/* ---- V2 ------------------------------------------------------------- */

struct v2 {
	DWORD_PTR key;
	NOTIFY_FILTER_AND_TYPE ft;
	BYTE buf[1024];
	DWORD cb;
	char id[128], parent[128], name[256], type[128];
};

static DWORD get_v2(HCHANGE p, struct v2 *e, DWORD ms)
{
	WCHAR id[128], parent[128], name[256], type[128];
	DWORD cid = 128, cpar = 128, cname = 256, ctype = 128;
	e->cb = sizeof(e->buf);
	DWORD r = GetClusterNotifyV2(p, &e->key, &e->ft, e->buf, &e->cb, id, &cid, parent, &cpar,
				     name, &cname, type, &ctype, ms);
	if (r == ERROR_SUCCESS) {
		snprintf(e->id, sizeof(e->id), "%s", U(id));
		snprintf(e->parent, sizeof(e->parent), "%s", U(parent));
		snprintf(e->name, sizeof(e->name), "%s", U(name));
		snprintf(e->type, sizeof(e->type), "%s", U(type));
	}
	return r;
}

static struct v2 next_v2(HCHANGE p)
{
	struct v2 e;
	DWORD r = get_v2(p, &e, 0);
	cr_assert_eq(r, ERROR_SUCCESS, "GetClusterNotifyV2: %u", r);
	return e;
}

/* The next event that is not a node property change (the CMM roles
 * change with membership). */
static struct v2 next_v2_no_node_props(HCHANGE p)
{
	for (;;) {
		struct v2 e = next_v2(p);
		if (e.ft.dwObjectType != CLUSTER_OBJECT_TYPE_NODE ||
		    e.ft.FilterFlags != CLUSTER_CHANGE_NODE_COMMON_PROPERTY_V2)
			return e;
	}
}

static DWORD dword_of(const struct v2 *e)
{
	cr_assert_eq(e->cb, 4);
	return e->buf[0] | e->buf[1] << 8 | e->buf[2] << 16 | (DWORD)e->buf[3] << 24;
}

/* The buffer as UTF-16 strings (MULTI_SZ items joined with ','). */
static const char *wbuf(const struct v2 *e)
{
	static char out[1024];
	out[0] = '\0';
	WCHAR w[512];
	cr_assert_eq(e->cb % 2, 0);
	memcpy(w, e->buf, e->cb);
	for (size_t i = 0; i < e->cb / 2 && w[i];) {
		if (*out)
			strcat(out, ",");
		strcat(out, U(w + i));
		i += ClusapiWideLen(w + i) + 1;
	}
	return out;
}

static void expect_at(const struct v2 *e, DWORD type, uint64_t flag, int line)
{
	cr_assert_eq(e->ft.dwObjectType, type, "line %d: type %u (%s), want %u", line,
		     e->ft.dwObjectType, e->name, type);
	cr_assert_eq((uint64_t)e->ft.FilterFlags, flag, "line %d: flag 0x%llx (%s), want 0x%llx",
		     line, (unsigned long long)e->ft.FilterFlags, e->name, (unsigned long long)flag);
}
#define expect(e, type, flag) expect_at(e, type, flag, __LINE__)

static HCHANGE port_v2(DWORD type, uint64_t flags, DWORD_PTR key)
{
	NOTIFY_FILTER_AND_TYPE f = {type, (LONGLONG)flags};
	HCHANGE p = CreateClusterNotifyPortV2(INVALID_HANDLE_VALUE, c, &f, 1, key);
	cr_assert_not_null(p, "CreateClusterNotifyPortV2: %u", GetLastError());
	return p;
}

static void add_v2(HCHANGE p, DWORD type, uint64_t flags, DWORD_PTR key)
{
	NOTIFY_FILTER_AND_TYPE f = {type, (LONGLONG)flags};
	cr_assert_eq(CreateClusterNotifyPortV2(p, c, &f, 1, key), p);
}

Test(clusnotify, v2_group_and_resource_fields)
{
	open_cluster();
	HCHANGE p = port_v2(CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2, 1);
	add_v2(p, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_ALL_V2, 2);
	add_v2(p, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_ALL_V2, 3);
	CTL("'node-add n2 2 192.0.2.20 up' 'group-create web'");
	const char *me = shx("cat nodes/%s/id", host());
	char meid[64], gid[64], n2id[64];
	snprintf(meid, sizeof(meid), "%s", me);
	snprintf(n2id, sizeof(n2id), "%s", shx("cat nodes/n2/id"));
	snprintf(gid, sizeof(gid), "%s", shx("cat groups/web/id"));
	struct v2 e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2);
	cr_assert_eq(e.key, 1);
	cr_assert_eq(dword_of(&e), ClusGroupTypeUnknown);
	cr_assert_str_eq(e.id, gid);
	cr_assert_str_eq(e.parent, meid);
	cr_assert_str_eq(e.name, "web");
	cr_assert_str_eq(e.type, "");
	CTL("'resource-create ip \"IP Address\" web'");
	char rid[64];
	snprintf(rid, sizeof(rid), "%s", shx("cat resources/ip/id"));
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_RESOURCE_ADDED_V2);
	cr_assert_eq(e.key, 2);
	cr_assert_str_eq(e.id, rid); /* the new resource */
	cr_assert_str_eq(e.name, "ip");
	cr_assert_str_eq(wbuf(&e), gid);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_RESOURCE_GAINED_V2);
	cr_assert_str_eq(e.id, gid);
	cr_assert_str_eq(e.parent, meid);
	cr_assert_str_eq(e.name, "web");
	cr_assert_str_eq(wbuf(&e), rid);
	CTL("'group-online web'");
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_STATE_V2);
	cr_assert_eq(dword_of(&e), ClusterGroupPending);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_STATE_V2);
	cr_assert_eq(e.key, 3);
	cr_assert_eq(dword_of(&e), ClusterResourceOnlinePending);
	cr_assert_str_eq(e.id, rid);
	cr_assert_str_eq(e.parent, gid);
	cr_assert_str_eq(e.name, "ip");
	cr_assert_str_eq(e.type, "IP Address");
	e = next_v2(p);
	cr_assert_eq(dword_of(&e), ClusterResourceOnline);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_STATE_V2);
	cr_assert_eq(dword_of(&e), ClusterGroupOnline);
	CTL("'group-move web n2'");
	/* Offline on the old owner first, then the owner changes. */
	for (;;) {
		e = next_v2(p);
		if (e.ft.FilterFlags == CLUSTER_CHANGE_GROUP_OWNER_NODE_V2)
			break;
	}
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_OWNER_NODE_V2);
	cr_assert_str_eq(e.parent, n2id);
	cr_assert_str_eq(wbuf(&e), n2id);
	struct v2 t;
	while (get_v2(p, &t, 0) == ERROR_SUCCESS)
		;
	CTL("'group-preferred web n2'", "'resource-owners ip n2'", "'group-offline web'");
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_PREFERRED_OWNERS_V2);
	cr_assert_str_eq(wbuf(&e), n2id);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_POSSIBLE_OWNERS_V2);
	cr_assert_str_eq(wbuf(&e), n2id);
	while (get_v2(p, &t, 0) == ERROR_SUCCESS)
		;
	CTL("'resource-create app \"Generic Service\" web'", "'resource-depend app ip'",
	    "'resource-rename app app2'", "'resource-undepend app2 ip'", "'group-create db'",
	    "'resource-group app2 db'",
	    "'resource-delete app2'", "'group-rename web www'", "'group-delete db'");
	char aid[160];
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_RESOURCE_ADDED_V2);
	snprintf(aid, sizeof(aid), "%s", e.id);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_RESOURCE_GAINED_V2);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_DEPENDENCIES_V2);
	cr_assert_str_eq(e.name, "app");
	cr_assert_str_eq(wbuf(&e), "[ip]");
	e = next_v2(p); /* and on the provider: its dependents */
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_DEPENDENTS_V2);
	cr_assert_str_eq(e.name, "ip");
	cr_assert_str_eq(wbuf(&e), aid);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_COMMON_PROPERTY_V2);
	cr_assert_str_eq(e.name, "app2");
	/* A property list: count 1, Name = "app2". */
	cr_assert_eq(e.buf[0], 1);
	cr_assert_eq(e.buf[4] | e.buf[5] << 8 | e.buf[6] << 16 | (DWORD)e.buf[7] << 24,
		     CLUSPROP_SYNTAX_NAME);
	cr_assert_eq(e.buf[8], 10); /* "Name" + NUL in bytes */
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_DEPENDENCIES_V2);
	cr_assert_str_eq(wbuf(&e), "");
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_DEPENDENTS_V2);
	cr_assert_str_eq(wbuf(&e), "");
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2);
	cr_assert_str_eq(e.name, "db");
	char dbid[160];
	snprintf(dbid, sizeof(dbid), "%s", e.id);
	/* Moving it: lost by web, its owner group, gained by db. */
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_RESOURCE_LOST_V2);
	cr_assert_str_eq(e.name, "web");
	cr_assert_str_eq(wbuf(&e), aid);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_OWNER_GROUP_V2);
	cr_assert_str_eq(e.parent, dbid);
	cr_assert_str_eq(wbuf(&e), dbid);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_RESOURCE_GAINED_V2);
	cr_assert_str_eq(e.name, "db");
	cr_assert_str_eq(e.id, dbid);
	/* Deleting it: lost by db (the id survives the deletion), then the
	 * resource with the group it was in. */
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_RESOURCE_LOST_V2);
	cr_assert_str_eq(e.name, "db");
	cr_assert_str_eq(wbuf(&e), aid);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE, CLUSTER_CHANGE_RESOURCE_DELETED_V2);
	cr_assert_str_eq(e.id, aid);
	cr_assert_str_eq(wbuf(&e), dbid);
	/* Read after the deletion, and still typed: the record carries it. */
	cr_assert_str_eq(e.type, "Generic Service");
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_COMMON_PROPERTY_V2);
	cr_assert_str_eq(e.name, "www");
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_DELETED_V2);
	cr_assert_str_eq(e.name, "db");
	cr_assert_eq(e.cb, 0);
	cr_assert_eq(get_v2(p, &e, 0), WAIT_TIMEOUT);
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

Test(clusnotify, v2_node_network_type_cluster_fields)
{
	open_cluster();
	HCHANGE p = port_v2(CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_ALL_V2, 1);
	add_v2(p, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_ALL_V2, 2);
	add_v2(p, CLUSTER_OBJECT_TYPE_NETWORK, CLUSTER_CHANGE_NETWORK_ALL_V2, 3);
	add_v2(p, CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE, CLUSTER_CHANGE_NETINTERFACE_ALL_V2, 4);
	add_v2(p, CLUSTER_OBJECT_TYPE_RESOURCE_TYPE, CLUSTER_CHANGE_RESOURCE_TYPE_ALL_V2, 5);
	CTL("'group-create g'");
	struct v2 e;
	while (get_v2(p, &e, 0) == ERROR_SUCCESS)
		;
	char back[300];
	snprintf(back, sizeof(back), "'group-move g %s'", host());
	CTL("'node-add n2 2 192.0.2.20 joining'", "'node-state n2 up'", "'group-move g n2'", back,
	    "'network-add net9 198.51.100.0 24 internal up'",
	    "'netif-add \"n2 - eth1\" n2 net9 eth1 198.51.100.2 up'", "'netif-state \"n2 - eth1\" failed'",
	    "'type-create T'", "'type-delete T'", "'cluster-rename big'", "'node-evict n2'");
	char n2[160], gid[64], me[64];
	snprintf(gid, sizeof(gid), "%s", shx("cat groups/g/id"));
	snprintf(me, sizeof(me), "%s", shx("cat nodes/%s/id", host()));
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_NODE_ADDED_V2);
	cr_assert_eq(dword_of(&e), ClusterNodeJoining);
	cr_assert_str_eq(e.name, "n2");
	snprintf(n2, sizeof(n2), "%s", e.id);
	cr_assert_eq(strlen(n2), 36);
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_STATE_V2);
	cr_assert_eq(dword_of(&e), ClusterNodeUp);
	cr_assert_str_eq(e.id, n2);
	cr_assert_str_eq(e.parent, "");
	/* A group moving: lost by one node, gained by the other, and back. */
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_GROUP_LOST_V2);
	cr_assert_str_eq(e.id, me);
	cr_assert_str_eq(wbuf(&e), gid);
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_GROUP_GAINED_V2);
	cr_assert_str_eq(e.id, n2);
	cr_assert_str_eq(e.name, "n2");
	cr_assert_str_eq(wbuf(&e), gid);
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_GROUP_LOST_V2);
	cr_assert_str_eq(e.id, n2);
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_GROUP_GAINED_V2);
	cr_assert_str_eq(e.id, me);
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_NETWORK_ADDED_V2);
	cr_assert_str_eq(e.name, "net9");
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_NETINTERFACE_ADDED_V2);
	cr_assert_str_eq(e.name, "n2 - eth1");
	cr_assert_str_eq(wbuf(&e), n2);
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE, CLUSTER_CHANGE_NETINTERFACE_STATE_V2);
	cr_assert_eq(dword_of(&e), ClusterNetInterfaceFailed);
	cr_assert_str_eq(e.parent, n2);
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_RESOURCE_TYPE_ADDED_V2);
	cr_assert_str_eq(e.name, "T");
	cr_assert_str_eq(e.id, "");
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_RESOURCE_TYPE, CLUSTER_CHANGE_RESOURCE_TYPE_DELETED_V2);
	cr_assert_str_eq(e.name, "T");
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_RENAME_V2);
	cr_assert_str_eq(e.name, "big");
	/* Evicting n2 takes its interface with it. */
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE, CLUSTER_CHANGE_NETINTERFACE_DELETED_V2);
	e = next_v2_no_node_props(p);
	expect(&e, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_DELETED_V2);
	cr_assert_str_eq(e.id, n2);
	while (get_v2(p, &e, 0) == ERROR_SUCCESS)
		expect(&e, CLUSTER_OBJECT_TYPE_NODE, CLUSTER_CHANGE_NODE_COMMON_PROPERTY_V2);
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

Test(clusnotify, v2_several_filters_in_one_call_and_reconnect_v2)
{
	open_cluster();
	NOTIFY_FILTER_AND_TYPE f[] = {
		{CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_DELETED_V2},
		{CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2 |
						      CLUSTER_CHANGE_CLUSTER_RECONNECT_V2},
	};
	HCHANGE p = CreateClusterNotifyPortV2(INVALID_HANDLE_VALUE, c, f, 2, 9);
	cr_assert_not_null(p);
	CTL("'group-create x' 'group-delete x'");
	struct v2 e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2);
	cr_assert_eq(e.key, 9);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_DELETED_V2);
	cr_assert_eq(e.key, 9);
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

/* ---- registry ------------------------------------------------------- */

Test(clusnotify, registry_watches_root_subtree_and_keys)
{
	open_cluster();
	HCHANGE root = port(CLUSTER_CHANGE_REGISTRY_VALUE | CLUSTER_CHANGE_REGISTRY_NAME, 1);
	HCHANGE all = port(CLUSTER_CHANGE_REGISTRY_VALUE | CLUSTER_CHANGE_REGISTRY_NAME |
				   CLUSTER_CHANGE_REGISTRY_ATTRIBUTES | CLUSTER_CHANGE_REGISTRY_SUBTREE,
			   2);
	CTL("'reg-create-key Soft' 'reg-create-key Soft\\\\A'");
	HKEY rk = GetClusterKey(c, KEY_READ), soft = NULL;
	cr_assert_eq(ClusterRegOpenKey(rk, W("Soft"), KEY_READ, &soft), ERROR_SUCCESS);
	HCHANGE key = port(0, 0);
	cr_assert_eq(RegisterClusterNotify(key, CLUSTER_CHANGE_REGISTRY_VALUE, soft, 3), ERROR_SUCCESS);
	cr_assert_eq(RegisterClusterNotify(key, CLUSTER_CHANGE_REGISTRY_VALUE |
							CLUSTER_CHANGE_REGISTRY_SUBTREE,
					   soft, 4),
		     ERROR_SUCCESS);
	drain(root, false);
	drain(all, false);
	CTL("'reg-set \"\" top REG_SZ x'", "'reg-set Soft v REG_DWORD 1'", "'reg-set Soft\\\\A w REG_SZ y'",
	    "'reg-create-key Soft\\\\A\\\\B'", "'reg-security Soft 0700 0 0'");
	/* Without SUBTREE: the root key's own values and children. */
	cr_assert_str_eq(drain(root, true), "1:REGISTRY_VALUE ");
	cr_assert_str_eq(drain(all, true),
			 "2:REGISTRY_VALUE |2:REGISTRY_VALUE Soft|2:REGISTRY_VALUE Soft\\A|"
			 "2:REGISTRY_NAME Soft\\A\\B|2:REGISTRY_ATTRIBUTES Soft");
	cr_assert_str_eq(drain(key, true), "3:REGISTRY_VALUE Soft|4:REGISTRY_VALUE Soft|"
					   "4:REGISTRY_VALUE Soft\\A");
	/* V2: the value's name in ObjectId, the key path in Name. */
	HCHANGE p = port_v2(CLUSTER_OBJECT_TYPE_REGISTRY,
			    CLUSTER_CHANGE_REGISTRY_VALUE_V2 | CLUSTER_CHANGE_REGISTRY_SUBTREE_V2, 5);
	DWORD two = 2;
	cr_assert_eq(ClusterRegSetValue(soft, W("v"), REG_DWORD, (const BYTE *)&two, 4), 0);
	struct v2 e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_REGISTRY, CLUSTER_CHANGE_REGISTRY_VALUE_V2);
	cr_assert_str_eq(e.id, "v");
	cr_assert_str_eq(e.name, "Soft");
	cr_assert_eq(e.cb, 0);
	CloseClusterNotifyPort(p);
	CloseClusterNotifyPort(root);
	CloseClusterNotifyPort(all);
	CloseClusterNotifyPort(key);
	CloseCluster(c);
}

/* A legacy client that is not root (run as nobody) gets no notification
 * for a key it cannot read: it inherits the rule of the mount (README:
 * "Security"). Root's port gets both. */
Test(clusnotify, registry_notifications_follow_key_permissions)
{
	shx("chmod 755 \"$D\"");
	CTL("'reg-create-key Vault' 'reg-security Vault 0700 0 0' 'reg-create-key Open'");
	int ready[2], go[2], res[2];
	cr_assert(pipe(ready) == 0 && pipe(go) == 0 && pipe(res) == 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		HCLUSTER h = OpenCluster(NULL);
		HCHANGE p = h ? CreateClusterNotifyPort(INVALID_HANDLE_VALUE, h,
							CLUSTER_CHANGE_REGISTRY_VALUE |
								CLUSTER_CHANGE_REGISTRY_SUBTREE,
							7)
			      : NULL;
		if (!p)
			_exit(11);
		char ch = 0;
		if (write(ready[1], "r", 1) != 1 || read(go[0], &ch, 1) != 1)
			_exit(12);
		char out[1024] = "";
		for (DWORD wait = 2000;; wait = 300) {
			WCHAR name[256];
			DWORD type = 0, cch = 256;
			DWORD_PTR key = 0;
			if (GetClusterNotify(p, &key, &type, name, &cch, wait) != ERROR_SUCCESS)
				break;
			char *u = ClusapiWideToUtf8(name);
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lu:%s",
				 *out ? "|" : "", (unsigned long)key, u ? u : "?");
			ClusapiFree(u);
		}
		size_t n = strlen(out);
		_exit(write(res[1], out, n) == (ssize_t)n ? 0 : 13);
	}
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	char ch = 0;
	cr_assert_eq(read(ready[0], &ch, 1), 1, "the client as nobody could not make its port");
	open_cluster();
	HCHANGE mine = port(CLUSTER_CHANGE_REGISTRY_VALUE | CLUSTER_CHANGE_REGISTRY_SUBTREE, 1);
	CTL("'reg-set Vault password REG_SZ s3cret'", "'reg-set Open v REG_SZ hello'");
	cr_assert_eq(write(go[1], "g", 1), 1);
	char got[1024] = "";
	ssize_t n = read(res[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	int st = 0;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client as nobody: status %d", st);
	cr_assert_str_eq(got, "7:Open", "nobody's notifications");
	cr_assert_str_eq(drain(mine, true), "1:REGISTRY_VALUE Vault|1:REGISTRY_VALUE Open");
	CloseClusterNotifyPort(mine);
	CloseCluster(c);
	close(ready[0]);
	close(go[1]);
	close(res[0]);
}

/* ---- timeouts, MORE_DATA ------------------------------------------- */

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *make_group_later(void *arg)
{
	usleep(300 * 1000);
	HGROUP g = CreateClusterGroup(c, W("later"));
	CloseClusterGroup(g);
	return arg;
}

Test(clusnotify, timeouts_zero_finite_infinite)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_ADDED, 1);
	int64_t t0 = ms_now();
	cr_assert_eq(GetClusterNotify(p, NULL, NULL, NULL, NULL, 0), WAIT_TIMEOUT);
	cr_assert_lt(ms_now() - t0, 1000);
	t0 = ms_now();
	cr_assert_eq(GetClusterNotify(p, NULL, NULL, NULL, NULL, 400), WAIT_TIMEOUT);
	cr_assert_geq(ms_now() - t0, 390);
	pthread_t t;
	pthread_create(&t, NULL, make_group_later, NULL);
	WCHAR name[64];
	DWORD cch = 64, type;
	DWORD_PTR key;
	cr_assert_eq(GetClusterNotify(p, &key, &type, name, &cch, INFINITE), ERROR_SUCCESS);
	cr_assert_eq(type, CLUSTER_CHANGE_GROUP_ADDED);
	cr_assert_str_eq(U(name), "later");
	pthread_join(t, NULL);
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

Test(clusnotify, more_data_keeps_the_event)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_ADDED, 1);
	CTL("'group-create a-long-group-name' 'group-create b'");
	WCHAR name[64];
	DWORD cch = 4, type = 0;
	DWORD_PTR key = 0;
	cr_assert_eq(GetClusterNotify(p, &key, &type, name, &cch, 0), ERROR_MORE_DATA);
	cr_assert_eq(cch, 17); /* without the NUL */
	cr_assert_eq(type, 0);
	/* A buffer without its size is refused; the event stays. */
	cr_assert_eq(GetClusterNotify(p, &key, &type, name, NULL, 0), ERROR_INVALID_PARAMETER);
	cch = 0;
	cr_assert_eq(GetClusterNotify(p, &key, &type, NULL, &cch, 0), ERROR_MORE_DATA);
	cr_assert_eq(cch, 17);
	cch = 18;
	cr_assert_eq(GetClusterNotify(p, &key, &type, name, &cch, 0), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), "a-long-group-name");
	cr_assert_eq(cch, 17);
	cch = 64;
	cr_assert_eq(GetClusterNotify(p, &key, &type, name, &cch, 0), ERROR_SUCCESS);
	cr_assert_str_eq(U(name), "b");
	CloseClusterNotifyPort(p);
	/* V2: each too-small size gets what it needs (strings with their
	 * NUL, so the counts can be passed back as they are), then the same
	 * event comes. */
	p = port_v2(CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_STATE_V2, 7);
	CTL("'group-online b'");
	WCHAR id[64], parent[64], type_s[64];
	BYTE buf[2];
	DWORD cb = 2, cid = 5, cpar = 64, cname = 1, ctype = 64;
	NOTIFY_FILTER_AND_TYPE ft;
	cr_assert_eq(GetClusterNotifyV2(p, &key, &ft, buf, &cb, id, &cid, parent, &cpar, name,
					&cname, type_s, &ctype, 0),
		     ERROR_MORE_DATA);
	cr_assert_eq(cb, 4);
	cr_assert_eq(cid, 37);
	cr_assert_eq(cpar, 64); /* big enough: unchanged */
	cr_assert_eq(cname, 2);
	BYTE big[4];
	cpar = 64;
	cr_assert_eq(GetClusterNotifyV2(p, &key, &ft, big, &cb, id, &cid, parent, &cpar, name,
					&cname, type_s, &ctype, 0),
		     ERROR_SUCCESS);
	cr_assert_eq(key, 7);
	cr_assert_str_eq(U(name), "b");
	cr_assert_eq(cname, 1);
	cr_assert_eq(big[0], ClusterGroupOnline);
	/* Everything optional may be NULL. */
	CTL("'group-offline b'");
	cr_assert_eq(GetClusterNotifyV2(p, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
					NULL, NULL, 0),
		     ERROR_SUCCESS);
	cr_assert_eq(GetClusterNotifyV2(p, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
					NULL, NULL, 0),
		     WAIT_TIMEOUT);
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

/* ---- closing: HANDLE_CLOSE and the documented patterns -------------- */

struct loop {
	HCHANGE port;
	char seen[8192];
	DWORD result;
};

/* Microsoft's "Notification Port Example" event thread: loop until
 * HANDLE_CLOSE, then close the port. */
static void *event_thread(void *arg)
{
	struct loop *l = arg;
	for (;;) {
		WCHAR name[256];
		DWORD cch = 256, type = 0;
		DWORD_PTR key;
		DWORD r = GetClusterNotify(l->port, &key, &type, name, &cch, 2500);
		if (r == WAIT_TIMEOUT)
			continue;
		if (r != ERROR_SUCCESS) {
			l->result = r;
			break;
		}
		char item[300];
		snprintf(item, sizeof(item), "%s%s %s", *l->seen ? "|" : "", v1name(type), U(name));
		strncat(l->seen, item, sizeof(l->seen) - strlen(l->seen) - 1);
		if (type == CLUSTER_CHANGE_HANDLE_CLOSE)
			break;
	}
	CloseClusterNotifyPort(l->port);
	return NULL;
}

Test(clusnotify, notification_port_example_ends_on_handle_close)
{
	open_cluster();
	const DWORD filter = CLUSTER_CHANGE_GROUP_ADDED | CLUSTER_CHANGE_GROUP_DELETED |
			     CLUSTER_CHANGE_GROUP_STATE | CLUSTER_CHANGE_RESOURCE_ADDED |
			     CLUSTER_CHANGE_RESOURCE_DELETED | CLUSTER_CHANGE_RESOURCE_STATE |
			     CLUSTER_CHANGE_HANDLE_CLOSE;
	struct loop l = {.port = port(filter, filter)};
	pthread_t t;
	pthread_create(&t, NULL, event_thread, &l);
	HGROUP g = CreateClusterGroup(c, W("ClusDocEx Group"));
	HRESOURCE r = CreateClusterResource(g, W("ClusDocEx Share"), W("File Share"), 0);
	cr_assert(g && r);
	cr_assert_eq(OnlineClusterGroup(g, NULL), ERROR_SUCCESS);
	cr_assert_eq(OfflineClusterGroup(g), ERROR_SUCCESS);
	cr_assert_eq(DeleteClusterResource(r), ERROR_SUCCESS);
	cr_assert_eq(DeleteClusterGroup(g), ERROR_SUCCESS);
	/* Closing handles that were not registered ends nothing. */
	CloseClusterResource(r);
	CloseClusterGroup(g);
	CloseCluster(c);
	pthread_join(t, NULL);
	cr_assert_eq(l.result, 0);
	cr_assert_str_eq(l.seen,
			 "GROUP_ADDED ClusDocEx Group|RESOURCE_ADDED ClusDocEx Share|"
			 "GROUP_STATE ClusDocEx Group|RESOURCE_STATE ClusDocEx Share|"
			 "RESOURCE_STATE ClusDocEx Share|GROUP_STATE ClusDocEx Group|"
			 "GROUP_STATE ClusDocEx Group|RESOURCE_STATE ClusDocEx Share|"
			 "RESOURCE_STATE ClusDocEx Share|GROUP_STATE ClusDocEx Group|"
			 "RESOURCE_DELETED ClusDocEx Share|GROUP_DELETED ClusDocEx Group|"
			 "HANDLE_CLOSE testcluster");
}

static void *wait_forever(void *arg)
{
	struct loop *l = arg;
	l->result = GetClusterNotify(l->port, NULL, NULL, NULL, NULL, INFINITE);
	return NULL;
}

Test(clusnotify, close_from_another_thread_unblocks_with_invalid_handle)
{
	open_cluster();
	struct loop l = {.port = port(CLUSTER_CHANGE_GROUP_ADDED, 1), .result = 12345};
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, wait_forever, &l);
	usleep(200 * 1000);
	CTL("'group-create x'"); /* one waiter gets it */
	usleep(100 * 1000);
	cr_assert(CloseClusterNotifyPort(l.port));
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(l.result, ERROR_INVALID_HANDLE);
	CloseCluster(c);
}

Test(clusnotify, handle_close_for_registered_object_handles)
{
	open_cluster();
	CTL("'group-create web' 'reg-create-key Soft'");
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_ADDED, 1);
	HGROUP g = OpenClusterGroup(c, W("web"));
	HGROUP other = OpenClusterGroup(c, W("web"));
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_GROUP_STATE | CLUSTER_CHANGE_HANDLE_CLOSE,
					   g, 5),
		     ERROR_SUCCESS);
	HKEY rk = GetClusterKey(c, KEY_READ), soft = NULL;
	cr_assert_eq(ClusterRegOpenKey(rk, W("Soft"), KEY_READ, &soft), 0);
	cr_assert_eq(RegisterClusterNotify(p, CLUSTER_CHANGE_REGISTRY_VALUE | CLUSTER_CHANGE_HANDLE_CLOSE,
					   soft, 6),
		     ERROR_SUCCESS);
	NOTIFY_FILTER_AND_TYPE f = {CLUSTER_OBJECT_TYPE_GROUP,
				    CLUSTER_CHANGE_GROUP_STATE_V2 | CLUSTER_CHANGE_GROUP_HANDLE_CLOSE_V2};
	cr_assert_eq(RegisterClusterNotifyV2(p, f, g, 7), ERROR_SUCCESS);
	CTL("'group-online web'");
	cr_assert(CloseClusterGroup(other)); /* not registered: nothing */
	/* Events made before the close come before HANDLE_CLOSE; the name is
	 * the object's, the key the registration's. */
	cr_assert(CloseClusterGroup(g));
	cr_assert_str_eq(drain(p, true), "5:GROUP_STATE web|7:GROUP_STATE web|5:HANDLE_CLOSE web|"
					 "7:HANDLE_CLOSE web");
	/* The registration ended with its handle. */
	CTL("'group-offline web'");
	cr_assert_str_eq(drain(p, true), "");
	cr_assert_eq(ClusterRegCloseKey(soft), ERROR_SUCCESS);
	cr_assert_str_eq(drain(p, true), "6:HANDLE_CLOSE Soft");
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

Test(clusnotify, v2_handle_close_carries_the_object)
{
	open_cluster();
	HCHANGE p = port_v2(CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_HANDLE_CLOSE_V2, 1);
	HGROUP g = OpenClusterGroup(c, W("Cluster Group"));
	NOTIFY_FILTER_AND_TYPE f = {CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_HANDLE_CLOSE_V2};
	cr_assert_eq(RegisterClusterNotifyV2(p, f, g, 2), ERROR_SUCCESS);
	CloseClusterGroup(g);
	struct v2 e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_GROUP, CLUSTER_CHANGE_GROUP_HANDLE_CLOSE_V2);
	cr_assert_eq(e.key, 2);
	cr_assert_str_eq(e.name, "Cluster Group");
	cr_assert_str_eq(e.id, shx("cat 'groups/Cluster Group/id'"));
	CloseCluster(c);
	e = next_v2(p);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_HANDLE_CLOSE_V2);
	cr_assert_eq(e.key, 1);
	/* The port outlives the cluster handle until it is closed. */
	cr_assert_eq(get_v2(p, &e, 0), WAIT_TIMEOUT);
	CloseClusterNotifyPort(p);
}

Test(clusnotify, close_cluster_with_enumerations_and_ports_open)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_STATE | CLUSTER_CHANGE_HANDLE_CLOSE, 1);
	HCLUSENUM e = ClusterOpenEnum(c, CLUSTER_ENUM_NODE);
	HGROUP g = OpenClusterGroup(c, W("Cluster Group"));
	HKEY k = GetClusterKey(c, KEY_READ);
	cr_assert(e && g && k);
	cr_assert(CloseCluster(c));
	cr_assert_str_eq(drain(p, true), "1:HANDLE_CLOSE testcluster");
	cr_assert_eq(ClusterGetEnumCount(e), 0);
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	cr_assert_eq(ClusterRegCloseKey(k), ERROR_INVALID_HANDLE);
	CloseClusterNotifyPort(p);
}

Test(clusnotify, closing_a_port_discards_its_events)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_ADDED, 1);
	CTL("'group-create a'");
	cr_assert(CloseClusterNotifyPort(p));
	cr_assert_eq(GetClusterNotify(p, NULL, NULL, NULL, NULL, 0), ERROR_INVALID_HANDLE);
	/* A new port starts from now. */
	p = port(CLUSTER_CHANGE_GROUP_ADDED, 1);
	cr_assert_str_eq(drain(p, false), "");
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}

/* ---- overflow, event handle, daemon gone ----------------------------- */

Test(clusnotify, overflow_gives_reconnect_then_goes_on, .timeout = 300)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_CLUSTER_RECONNECT | CLUSTER_CHANGE_GROUP_ADDED, 1);
	HCHANGE q = port(CLUSTER_CHANGE_GROUP_ADDED, 2); /* did not ask: told anyway */
	HCHANGE v2 = port_v2(CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2 |
							       CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2,
			     3);
	CTL("'group-create before'");
	/* Well over the 65,536 records the journal keeps, unread. */
	shx("for b in $(seq 0 89); do for i in $(seq 0 999); do echo \"reg-set \\\"\\\" v$i REG_DWORD "
	    "$b\"; done > \"$D/batch\"; cat \"$D/batch\" > control; done");
	CTL("'group-create after'");
	/* "before" may come first: a port that was polled may already have
	 * taken it in before it fell out of the journal. */
	const char *got = drain(p, true);
	cr_assert(strstr(got, "1:CLUSTER_RECONNECT testcluster|1:GROUP_ADDED after") &&
		  strlen(strstr(got, "1:CLUSTER_RECONNECT")) == strlen("1:CLUSTER_RECONNECT testcluster|1:GROUP_ADDED after"),
		  "%s", got);
	got = drain(q, true);
	cr_assert(strstr(got, "2:CLUSTER_RECONNECT testcluster|2:GROUP_ADDED after"), "%s", got);
	struct v2 e = next_v2(v2);
	if (strcmp(e.name, "before") == 0)
		e = next_v2(v2);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2);
	e = next_v2(v2);
	expect(&e, CLUSTER_OBJECT_TYPE_CLUSTER, CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2);
	cr_assert_str_eq(e.name, "after");
	CloseCluster(c);
}

static bool readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

Test(clusnotify, event_handle_polls_readable_while_events_wait)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_GROUP_ADDED, 1);
	HANDLE ev = NULL, ev2 = NULL;
	cr_assert_eq(GetNotifyEventHandle(p, &ev), ERROR_SUCCESS);
	cr_assert_eq(GetNotifyEventHandle(p, &ev2), ERROR_SUCCESS);
	cr_assert_eq(ev, ev2);
	int fd = ClusapiEventFd(ev);
	cr_assert_geq(fd, 0);
	cr_assert_not(readable(fd));
	CTL("'group-create a' 'group-create b'");
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 5000), 1);
	/* Still readable after one of two, and after a too-small buffer. */
	WCHAR name[64];
	DWORD cch = 64;
	cr_assert_eq(GetClusterNotify(p, NULL, NULL, name, &cch, 0), ERROR_SUCCESS);
	cr_assert(readable(fd));
	cch = 0;
	cr_assert_eq(GetClusterNotify(p, NULL, NULL, name, &cch, 0), ERROR_MORE_DATA);
	cr_assert(readable(fd));
	cch = 64;
	cr_assert_eq(GetClusterNotify(p, NULL, NULL, name, &cch, 0), ERROR_SUCCESS);
	cr_assert_not(readable(fd));
	cr_assert_eq(ClusapiEventFd((HANDLE)p), -1);
	cr_assert_eq(GetLastError(), ERROR_INVALID_HANDLE);
	cr_assert_eq(GetNotifyEventHandle(p, NULL), ERROR_INVALID_PARAMETER);
	CloseClusterNotifyPort(p);
	cr_assert_eq(ClusapiEventFd(ev), -1);
	cr_assert_eq(GetNotifyEventHandle(p, &ev), ERROR_INVALID_HANDLE);
	CloseCluster(c);
}

Test(clusnotify, daemon_gone_gives_cluster_state_then_an_error)
{
	open_cluster();
	HCHANGE p = port(CLUSTER_CHANGE_CLUSTER_STATE | CLUSTER_CHANGE_GROUP_ADDED, 1);
	struct loop l = {.port = p, .result = 12345};
	mnt_stop_daemon(&M);
	WCHAR name[64];
	DWORD cch = 64, type = 0;
	cr_assert_eq(GetClusterNotify(p, NULL, &type, name, &cch, INFINITE), ERROR_SUCCESS);
	cr_assert_eq(type, CLUSTER_CHANGE_CLUSTER_STATE);
	cr_assert_str_eq(U(name), "testcluster");
	/* No hang, whatever the timeout. */
	wait_forever(&l);
	cr_assert_eq(l.result, RPC_S_SERVER_UNAVAILABLE);
	HGROUP g = CreateClusterGroup(c, W("x"));
	cr_assert_null(g);
	cr_assert_neq(GetLastError(), ERROR_SUCCESS);
	CloseClusterNotifyPort(p);
	CloseCluster(c);
}
