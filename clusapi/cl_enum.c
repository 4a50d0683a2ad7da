/* SPDX-License-Identifier: MIT */
/* Enumerations. Each is a snapshot taken when it is opened, as on Windows
 * (ApiCreateEnum returns the whole list). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_i.h"

static int add(struct cl_enum *en, DWORD type, const char *name)
{
	char **nn = realloc(en->names, (en->n + 1) * sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	en->names = nn;
	DWORD *nt = realloc(en->types, (en->n + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	en->types = nt;
	if (!(en->names[en->n] = strdup(name)))
		return -ENOMEM;
	en->types[en->n++] = type;
	return 0;
}

/* Adds the names of the objects of collection coll (registry ids) that
 * pass keep (NULL: all). */
static int add_objects(struct cl_enum *en, const char *mount, const char *coll, DWORD type,
		       bool (*keep)(const char *mount, const char *id, const void *arg),
		       const void *arg)
{
	char rel[64], **ids = NULL;
	size_t n = 0;
	snprintf(rel, sizeof(rel), "registry/%s", coll);
	int e = cl_list_dir(mount, rel, &ids, &n);
	for (size_t i = 0; e == 0 && i < n; i++) {
		char *name;
		if (keep && !keep(mount, ids[i], arg))
			continue;
		if (cl_prop(mount, coll, ids[i], "Name", &name) < 0)
			continue; /* deleted meanwhile */
		e = add(en, type, name);
		free(name);
	}
	if (ids)
		cl_strv_free(ids, n);
	return e;
}

/* Adds the names of the ids listed (one per line) in prop of object id. */
static int add_listed(struct cl_enum *en, const char *mount, const char *coll, const char *id,
		      const char *prop, const char *item_coll, DWORD type)
{
	char *list;
	int e = cl_prop(mount, coll, id, prop, &list);
	if (e == -ENOENT)
		return 0; /* no list */
	if (e < 0)
		return e;
	for (char *save, *w = strtok_r(list, "\n", &save); w && e == 0;
	     w = strtok_r(NULL, "\n", &save)) {
		char *name;
		if (cl_prop(mount, item_coll, w, "Name", &name) == 0) {
			e = add(en, type, name);
			free(name);
		}
	}
	free(list);
	return e;
}

/* prop of object id equals (or, as a list, contains) arg. */
static bool prop_has(const char *mount, const char *coll, const char *id, const char *prop,
		     const char *want)
{
	char *v;
	if (cl_prop(mount, coll, id, prop, &v) < 0)
		return false;
	bool found = false;
	for (char *save, *w = strtok_r(v, "\n", &save); w && !found; w = strtok_r(NULL, "\n", &save))
		found = strcmp(w, want) == 0;
	free(v);
	return found;
}

struct has {
	const char *coll, *prop, *want;
};

static bool keep_has(const char *mount, const char *id, const void *arg)
{
	const struct has *h = arg;
	return prop_has(mount, h->coll, id, h->prop, h->want);
}

static bool keep_internal(const char *mount, const char *id, const void *arg)
{
	char *role;
	if (cl_prop(mount, "Networks", id, "Role", &role) < 0)
		return false;
	/* ClusterNetworkRoleInternalUse (1), InternalAndClient (3). */
	bool in = strcmp(role, "1") == 0 || strcmp(role, "3") == 0;
	free(role);
	return in;
}

static void enum_data_free(struct cl_enum *en)
{
	for (size_t i = 0; i < en->n; i++)
		free(en->names[i]);
	free(en->names);
	free(en->types);
}

/* The handle table frees an enumeration's snapshot with it. */
static void enum_free(struct cl_obj *o)
{
	enum_data_free(&o->u.en);
}

CL_HANDLE_KIND(CL_ENUM, enum_free);

/* Makes the enumeration handle, or (e < 0) frees en and reports e, with
 * ENOENT as not_found (the enumerated object is gone). */
static HANDLE open_enum(struct cl_obj *parent_cluster, struct cl_enum *en, int e, DWORD not_found,
			int family)
{
	en->family = family;
	struct cl_obj *o = e < 0 ? NULL : calloc(1, sizeof(*o));
	if (!o) {
		enum_data_free(en);
		const struct cl_errmap map[] = {{ENOENT, not_found}, {0, 0}};
		cl_set_error(cl_win32(e < 0 ? e : -ENOMEM, map));
		return NULL;
	}
	o->kind = CL_ENUM;
	o->u.en = *en;
	return cl_object_adopt(parent_cluster, o);
}

#define ENUM_VALID                                                                         \
	(CLUSTER_ENUM_ALL | CLUSTER_ENUM_INTERNAL_NETWORK | CLUSTER_ENUM_SHARED_VOLUME_GROUP | \
	 CLUSTER_ENUM_SHARED_VOLUME_RESOURCE)

CL_EXPORT HCLUSENUM WINAPI ClusterOpenEnum(HCLUSTER hCluster, DWORD dwType)
{
	struct cl_obj *c = cl_handle_get((HANDLE)hCluster, CL_CLUSTER);
	if (!c) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	if (!dwType || (dwType & ~ENUM_VALID)) {
		cl_obj_put(c);
		cl_set_error(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	const char *m = c->u.cluster.mount;
	struct cl_enum en = {0};
	int e = 0;
	if (e == 0 && (dwType & CLUSTER_ENUM_NODE))
		e = add_objects(&en, m, "Nodes", CLUSTER_ENUM_NODE, NULL, NULL);
	if (e == 0 && (dwType & CLUSTER_ENUM_RESTYPE))
		e = add_objects(&en, m, "ResourceTypes", CLUSTER_ENUM_RESTYPE, NULL, NULL);
	if (e == 0 && (dwType & CLUSTER_ENUM_RESOURCE))
		e = add_objects(&en, m, "Resources", CLUSTER_ENUM_RESOURCE, NULL, NULL);
	if (e == 0 && (dwType & CLUSTER_ENUM_GROUP))
		e = add_objects(&en, m, "Groups", CLUSTER_ENUM_GROUP, NULL, NULL);
	if (e == 0 && (dwType & CLUSTER_ENUM_NETWORK))
		e = add_objects(&en, m, "Networks", CLUSTER_ENUM_NETWORK, NULL, NULL);
	if (e == 0 && (dwType & CLUSTER_ENUM_NETINTERFACE))
		e = add_objects(&en, m, "NetworkInterfaces", CLUSTER_ENUM_NETINTERFACE, NULL, NULL);
	if (e == 0 && (dwType & CLUSTER_ENUM_INTERNAL_NETWORK))
		e = add_objects(&en, m, "Networks", CLUSTER_ENUM_INTERNAL_NETWORK, keep_internal,
				NULL);
	/* No shared volumes exist here: those bits add nothing. */
	HANDLE h = open_enum(c, &en, e, ERROR_NOT_FOUND, 1);
	cl_obj_put(c);
	return (HCLUSENUM)h;
}

CL_EXPORT HGROUPENUM WINAPI ClusterGroupOpenEnum(HGROUP hGroup, DWORD dwType)
{
	struct cl_obj *g = cl_handle_get((HANDLE)hGroup, CL_GROUP);
	if (!g) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	HANDLE h = NULL;
	if (!dwType || (dwType & ~CLUSTER_GROUP_ENUM_ALL)) {
		cl_set_error(ERROR_INVALID_PARAMETER);
	} else {
		const char *m = cl_mount_of(g);
		struct cl_enum en = {0};
		char *nm;
		int e = cl_object_name(g, &nm);
		if (e == 0)
			free(nm);
		struct has in_group = {"Resources", "Group", g->u.object.id};
		if (e == 0 && (dwType & CLUSTER_GROUP_ENUM_CONTAINS))
			e = add_objects(&en, m, "Resources", CLUSTER_GROUP_ENUM_CONTAINS, keep_has,
					&in_group);
		if (e == 0 && (dwType & CLUSTER_GROUP_ENUM_NODES))
			e = add_listed(&en, m, "Groups", g->u.object.id, "PreferredOwners", "Nodes",
				       CLUSTER_GROUP_ENUM_NODES);
		h = open_enum(g->parent, &en, e, ERROR_GROUP_NOT_FOUND, 2);
	}
	cl_obj_put(g);
	return (HGROUPENUM)h;
}

CL_EXPORT HNODEENUM WINAPI ClusterNodeOpenEnum(HNODE hNode, DWORD dwType)
{
	struct cl_obj *n = cl_handle_get((HANDLE)hNode, CL_NODE);
	if (!n) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	HANDLE h = NULL;
	const DWORD valid = CLUSTER_NODE_ENUM_ALL | CLUSTER_NODE_ENUM_PREFERRED_GROUPS;
	if (!dwType || (dwType & ~valid)) {
		cl_set_error(ERROR_INVALID_PARAMETER);
	} else {
		const char *m = cl_mount_of(n);
		struct cl_enum en = {0};
		char *nm;
		int e = cl_object_name(n, &nm);
		if (e == 0)
			free(nm);
		struct has on_node = {"NetworkInterfaces", "Node", n->u.object.id};
		struct has owned = {"Groups", "OwnerNode", n->u.object.id};
		struct has preferred = {"Groups", "PreferredOwners", n->u.object.id};
		if (e == 0 && (dwType & CLUSTER_NODE_ENUM_NETINTERFACES))
			e = add_objects(&en, m, "NetworkInterfaces", CLUSTER_NODE_ENUM_NETINTERFACES,
					keep_has, &on_node);
		if (e == 0 && (dwType & CLUSTER_NODE_ENUM_GROUPS))
			e = add_objects(&en, m, "Groups", CLUSTER_NODE_ENUM_GROUPS, keep_has, &owned);
		if (e == 0 && (dwType & CLUSTER_NODE_ENUM_PREFERRED_GROUPS))
			e = add_objects(&en, m, "Groups", CLUSTER_NODE_ENUM_PREFERRED_GROUPS, keep_has,
					&preferred);
		h = open_enum(n->parent, &en, e, ERROR_CLUSTER_NODE_NOT_FOUND, 3);
	}
	cl_obj_put(n);
	return (HNODEENUM)h;
}

CL_EXPORT HRESENUM WINAPI ClusterResourceOpenEnum(HRESOURCE hResource, DWORD dwType)
{
	struct cl_obj *r = cl_handle_get((HANDLE)hResource, CL_RESOURCE);
	if (!r) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	HANDLE h = NULL;
	if (!dwType || (dwType & ~CLUSTER_RESOURCE_ENUM_ALL)) {
		cl_set_error(ERROR_INVALID_PARAMETER);
	} else {
		const char *m = cl_mount_of(r);
		struct cl_enum en = {0};
		char *nm, *owners = NULL;
		int e = cl_object_name(r, &nm);
		if (e == 0)
			free(nm);
		struct has dependent = {"Resources", "Dependencies", r->u.object.id};
		if (e == 0 && (dwType & CLUSTER_RESOURCE_ENUM_DEPENDS))
			e = add_listed(&en, m, "Resources", r->u.object.id, "Dependencies",
				       "Resources", CLUSTER_RESOURCE_ENUM_DEPENDS);
		if (e == 0 && (dwType & CLUSTER_RESOURCE_ENUM_PROVIDES))
			e = add_objects(&en, m, "Resources", CLUSTER_RESOURCE_ENUM_PROVIDES, keep_has,
					&dependent);
		if (e == 0 && (dwType & CLUSTER_RESOURCE_ENUM_NODES)) {
			/* No list: every node may own it. */
			bool listed = cl_prop(m, "Resources", r->u.object.id, "PossibleOwners",
					      &owners) == 0 && *owners;
			e = listed ? add_listed(&en, m, "Resources", r->u.object.id, "PossibleOwners",
						"Nodes", CLUSTER_RESOURCE_ENUM_NODES)
				   : add_objects(&en, m, "Nodes", CLUSTER_RESOURCE_ENUM_NODES, NULL, NULL);
			free(owners);
		}
		h = open_enum(r->parent, &en, e, ERROR_RESOURCE_NOT_FOUND, 4);
	}
	cl_obj_put(r);
	return (HRESENUM)h;
}

/* The enumeration behind h if it is of the family (1 cluster, 2 group,
 * 3 node, 4 resource), with a reference. */
static struct cl_obj *get_enum(HANDLE h, int family)
{
	struct cl_obj *o = cl_handle_get(h, CL_ENUM);
	if (o && o->u.en.family != family) {
		cl_obj_put(o);
		o = NULL;
	}
	return o;
}

static DWORD enum_count(HANDLE h, int family)
{
	struct cl_obj *o = get_enum(h, family);
	if (!o) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return 0;
	}
	DWORD n = (DWORD)o->u.en.n;
	cl_obj_put(o);
	cl_set_error(ERROR_SUCCESS);
	return n;
}

static DWORD enum_item(HANDLE h, int family, DWORD i, LPDWORD type, LPWSTR name, LPDWORD cch)
{
	if (!cch)
		return cl_set_error(ERROR_INVALID_PARAMETER);
	struct cl_obj *o = get_enum(h, family);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	DWORD r = ERROR_NO_MORE_ITEMS;
	if (i < o->u.en.n) {
		if (type)
			*type = o->u.en.types[i];
		r = cl_copy_out(o->u.en.names[i], name, cch);
	}
	cl_obj_put(o);
	return cl_set_error(r);
}

static DWORD enum_close(HANDLE h, int family)
{
	struct cl_obj *o = get_enum(h, family);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	cl_obj_put(o);
	if (!(o = cl_handle_take(h, CL_ENUM)))
		return cl_set_error(ERROR_INVALID_HANDLE);
	cl_obj_put(o);
	return cl_set_error(ERROR_SUCCESS);
}

CL_EXPORT DWORD WINAPI ClusterGetEnumCount(HCLUSENUM hEnum)
{
	return enum_count((HANDLE)hEnum, 1);
}

CL_EXPORT DWORD WINAPI ClusterEnum(HCLUSENUM hEnum, DWORD dwIndex, LPDWORD lpdwType,
				   LPWSTR lpszName, LPDWORD lpcchName)
{
	return enum_item((HANDLE)hEnum, 1, dwIndex, lpdwType, lpszName, lpcchName);
}

CL_EXPORT DWORD WINAPI ClusterCloseEnum(HCLUSENUM hEnum)
{
	return enum_close((HANDLE)hEnum, 1);
}

CL_EXPORT DWORD WINAPI ClusterGroupGetEnumCount(HGROUPENUM hGroupEnum)
{
	return enum_count((HANDLE)hGroupEnum, 2);
}

CL_EXPORT DWORD WINAPI ClusterGroupEnum(HGROUPENUM hGroupEnum, DWORD dwIndex, LPDWORD lpdwType,
					LPWSTR lpszResourceName, LPDWORD lpcchName)
{
	return enum_item((HANDLE)hGroupEnum, 2, dwIndex, lpdwType, lpszResourceName, lpcchName);
}

CL_EXPORT DWORD WINAPI ClusterGroupCloseEnum(HGROUPENUM hGroupEnum)
{
	return enum_close((HANDLE)hGroupEnum, 2);
}

CL_EXPORT DWORD WINAPI ClusterNodeGetEnumCount(HNODEENUM hNodeEnum)
{
	return enum_count((HANDLE)hNodeEnum, 3);
}

CL_EXPORT DWORD WINAPI ClusterNodeEnum(HNODEENUM hNodeEnum, DWORD dwIndex, LPDWORD lpdwType,
				       LPWSTR lpszName, LPDWORD lpcchName)
{
	return enum_item((HANDLE)hNodeEnum, 3, dwIndex, lpdwType, lpszName, lpcchName);
}

CL_EXPORT DWORD WINAPI ClusterNodeCloseEnum(HNODEENUM hNodeEnum)
{
	return enum_close((HANDLE)hNodeEnum, 3);
}

CL_EXPORT DWORD WINAPI ClusterResourceGetEnumCount(HRESENUM hResEnum)
{
	return enum_count((HANDLE)hResEnum, 4);
}

CL_EXPORT DWORD WINAPI ClusterResourceEnum(HRESENUM hResEnum, DWORD dwIndex, LPDWORD lpdwType,
					   LPWSTR lpszName, LPDWORD lpcchName)
{
	return enum_item((HANDLE)hResEnum, 4, dwIndex, lpdwType, lpszName, lpcchName);
}

CL_EXPORT DWORD WINAPI ClusterResourceCloseEnum(HRESENUM hResEnum)
{
	return enum_close((HANDLE)hResEnum, 4);
}
