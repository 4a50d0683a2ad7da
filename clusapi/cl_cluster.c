/* SPDX-License-Identifier: MIT */
/* Cluster handles, and what every object handle shares: opening by name,
 * closing (with HANDLE_CLOSE for ports that registered it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl_i.h"

static const struct cl_errmap open_errors[] = {
	/* No clusterfs mounted where we look: the service is not running. */
	{ENOENT, EPT_S_NOT_REGISTERED},
	{ENOTDIR, EPT_S_NOT_REGISTERED},
	{EHOSTUNREACH, RPC_S_SERVER_UNAVAILABLE},
	{0, 0},
};

/* The handle table frees these kinds' objects through these. */
static void cluster_free(struct cl_obj *o)
{
	free(o->u.cluster.mount);
}

/* Nodes, groups, resources, networks and interfaces (cl_object_open). */
static void object_free(struct cl_obj *o)
{
	free(o->u.object.name);
}

CL_HANDLE_KIND(CL_CLUSTER, cluster_free);
CL_HANDLE_KIND(CL_NODE, object_free);
CL_HANDLE_KIND(CL_GROUP, object_free);
CL_HANDLE_KIND(CL_RESOURCE, object_free);
CL_HANDLE_KIND(CL_NETWORK, object_free);
CL_HANDLE_KIND(CL_NETIF, object_free);

HANDLE cl_object_adopt(struct cl_obj *c, struct cl_obj *o)
{
	HANDLE h;
	int e = cl_handle_child(c, o, &h);
	if (e < 0) {
		cl_set_error(e == -ENOMEM ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_HANDLE);
		return NULL;
	}
	return h;
}

int cl_arg(LPCWSTR w, char **ret)
{
	if (!w) {
		cl_set_error(ERROR_INVALID_PARAMETER);
		return -EINVAL;
	}
	int e = cl_wide_to_utf8(w, ret);
	if (e < 0)
		cl_set_error(e == -ENOMEM ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_NAME);
	return e;
}

CL_EXPORT HCLUSTER WINAPI OpenCluster(LPCWSTR lpszClusterName)
{
	char *name = NULL;
	if (lpszClusterName && cl_arg(lpszClusterName, &name) < 0)
		return NULL;
	struct cl_obj *o = calloc(1, sizeof(*o));
	int e = o ? cl_mount_resolve(name, &o->u.cluster.mount) : -ENOMEM;
	free(name);
	if (e < 0) {
		free(o);
		cl_set_error(cl_win32(e, open_errors));
		return NULL;
	}
	o->kind = CL_CLUSTER;
	return (HCLUSTER)cl_object_adopt(NULL, o);
}

static void close_child(struct cl_obj *o)
{
	HANDLE h = o->handle;
	enum cl_kind k = o->kind;
	cl_obj_put(o);
	/* Handles obtained from a cluster die with it; ports and their event
	 * handles do not (the port outlives the cluster handle). */
	if (h && k != CL_PORT && k != CL_EVENT) {
		struct cl_obj *t = cl_handle_take(h, k);
		if (t && k != CL_ENUM) /* enumerations are never registered */
			cl_notify_handle_closed(t);
		cl_obj_put(t);
	}
}

CL_EXPORT BOOL WINAPI CloseCluster(HCLUSTER hCluster)
{
	struct cl_obj *o = cl_handle_take((HANDLE)hCluster, CL_CLUSTER);
	if (!o) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	cl_handle_foreach_child(o, close_child);
	cl_notify_handle_closed(o);
	cl_obj_put(o);
	return TRUE;
}

CL_EXPORT DWORD WINAPI GetClusterInformation(HCLUSTER hCluster, LPWSTR lpszClusterName,
					     LPDWORD lpcchClusterName,
					     LPCLUSTERVERSIONINFO lpClusterInfo)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hCluster, CL_CLUSTER);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	char *name;
	DWORD r;
	int e = cl_read_line(o->u.cluster.mount, "name", &name);
	if (e < 0) {
		r = cl_win32(e, NULL);
	} else {
		if (lpClusterInfo) {
			if (lpClusterInfo->dwVersionInfoSize < sizeof(*lpClusterInfo)) {
				free(name);
				cl_obj_put(o);
				return cl_set_error(ERROR_INVALID_PARAMETER);
			}
			CLUSTERVERSIONINFO v = {.dwVersionInfoSize = sizeof(v),
						.MajorVersion = 10,
						.MinorVersion = 0,
						.BuildNumber = 1,
						.dwClusterHighestVersion = 0x000A0001,
						.dwClusterLowestVersion = 0x000A0001};
			static const char vendor[] = "clusterfs";
			for (size_t i = 0; i < sizeof(vendor); i++)
				v.szVendorId[i] = (WCHAR)vendor[i];
			*lpClusterInfo = v;
		}
		r = cl_copy_out(name, lpszClusterName, lpcchClusterName);
		free(name);
	}
	cl_obj_put(o);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI GetNodeClusterState(LPCWSTR lpszNodeName, LPDWORD pdwClusterState)
{
	if (!pdwClusterState)
		return cl_set_error(ERROR_INVALID_PARAMETER);
	char *name = NULL, *mount = NULL;
	if (lpszNodeName && cl_arg(lpszNodeName, &name) < 0)
		return GetLastError();
	int e = cl_mount_resolve(name, &mount);
	free(name);
	free(mount);
	*pdwClusterState = e == 0 ? ClusterStateRunning : ClusterStateNotRunning;
	return cl_set_error(ERROR_SUCCESS);
}

HANDLE cl_object_open(struct cl_obj *c, enum cl_kind k, const char *id, const char *name)
{
	struct cl_obj *o = calloc(1, sizeof(*o));
	if (!o || !(o->u.object.name = strdup(name))) {
		free(o);
		cl_set_error(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	o->kind = k;
	memcpy(o->u.object.id, id, CL_ID_LEN + 1);
	return cl_object_adopt(c, o);
}

BOOL cl_object_close(HANDLE h, enum cl_kind k)
{
	struct cl_obj *o = cl_handle_take(h, k);
	if (!o) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	cl_notify_handle_closed(o);
	cl_obj_put(o);
	return TRUE;
}

HANDLE cl_open_named(HCLUSTER hCluster, enum cl_kind k, LPCWSTR wname, DWORD not_found)
{
	struct cl_obj *c = cl_handle_get((HANDLE)hCluster, CL_CLUSTER);
	if (!c) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	char *name, *real = NULL, id[CL_ID_LEN + 1];
	HANDLE h = NULL;
	if (cl_arg(wname, &name) == 0) {
		const struct cl_errmap map[] = {{ENOENT, not_found}, {0, 0}};
		int e = cl_lookup(c->u.cluster.mount, k, name, id, &real);
		if (e < 0)
			cl_set_error(cl_win32(e, map));
		else
			h = cl_object_open(c, k, id, real);
		free(real);
		free(name);
	}
	cl_obj_put(c);
	return h;
}

int cl_state_of(const struct cl_obj *o, uint32_t *ret)
{
	return cl_prop_u32(cl_mount_of(o), cl_kind_coll(o->kind), o->u.object.id, "State", ret);
}
