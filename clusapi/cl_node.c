/* SPDX-License-Identifier: MIT */
/* Nodes, networks and network interfaces. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl_i.h"

CL_EXPORT HNODE WINAPI OpenClusterNode(HCLUSTER hCluster, LPCWSTR lpszNodeName)
{
	return (HNODE)cl_open_named(hCluster, CL_NODE, lpszNodeName, ERROR_CLUSTER_NODE_NOT_FOUND);
}

CL_EXPORT BOOL WINAPI CloseClusterNode(HNODE hNode)
{
	return cl_object_close((HANDLE)hNode, CL_NODE);
}

/* The state of an object handle, or `unknown` with the last error set. */
static int state_or_unknown(HANDLE h, enum cl_kind k, DWORD not_found)
{
	struct cl_obj *o = cl_handle_get(h, k);
	if (!o) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return -1;
	}
	uint32_t s;
	const struct cl_errmap map[] = {{ENOENT, not_found}, {0, 0}};
	int e = cl_state_of(o, &s);
	cl_obj_put(o);
	if (e < 0) {
		cl_set_error(cl_win32(e, map));
		return -1;
	}
	cl_set_error(ERROR_SUCCESS);
	return (int)s;
}

CL_EXPORT CLUSTER_NODE_STATE WINAPI GetClusterNodeState(HNODE hNode)
{
	return (CLUSTER_NODE_STATE)state_or_unknown((HANDLE)hNode, CL_NODE,
						    ERROR_CLUSTER_NODE_NOT_FOUND);
}

CL_EXPORT DWORD WINAPI GetClusterNodeId(HNODE hNode, LPWSTR lpszNodeId, LPDWORD lpcchName)
{
	if (!lpcchName)
		return cl_set_error(ERROR_INVALID_PARAMETER);
	if (hNode) {
		struct cl_obj *o = cl_handle_get((HANDLE)hNode, CL_NODE);
		if (!o)
			return cl_set_error(ERROR_INVALID_HANDLE);
		DWORD r = cl_copy_out(o->u.object.id, lpszNodeId, lpcchName);
		cl_obj_put(o);
		return cl_set_error(r);
	}
	/* NULL: the node this program runs on (its host name), else node 1. */
	char *mount, host[256] = "", id[CL_ID_LEN + 1], *name = NULL;
	int e = cl_mount_resolve(NULL, &mount);
	if (e < 0)
		return cl_set_error(cl_win32(e, NULL));
	gethostname(host, sizeof(host) - 1);
	e = cl_lookup(mount, CL_NODE, host, id, &name);
	free(name);
	free(mount);
	if (e < 0)
		return cl_set_error(cl_win32(e, (const struct cl_errmap[]){
			{ENOENT, ERROR_CLUSTER_NODE_NOT_FOUND}, {0, 0}}));
	return cl_set_error(cl_copy_out(id, lpszNodeId, lpcchName));
}

static const struct cl_errmap node_errors[] = {
	{ENOENT, ERROR_CLUSTER_NODE_NOT_FOUND},
	{EBUSY, ERROR_CANT_EVICT_ACTIVE_NODE},
	{EPERM, ERROR_CANT_EVICT_ACTIVE_NODE},
	{0, 0},
};

static DWORD node_cmd(HNODE hNode, const char *verb, const char *arg)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hNode, CL_NODE);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	uint32_t s;
	int e = cl_state_of(o, &s);
	DWORD r = ERROR_SUCCESS;
	if (e < 0)
		r = cl_win32(e, node_errors);
	else if (arg && strcmp(arg, "pause") == 0 && s == ClusterNodeDown)
		r = ERROR_CLUSTER_NODE_DOWN;
	else if (arg && strcmp(arg, "pause") == 0 && s == ClusterNodePaused)
		r = ERROR_SUCCESS; /* already paused */
	else if (arg && strcmp(arg, "resume") == 0 && s != ClusterNodePaused)
		r = ERROR_SUCCESS; /* not paused: nothing to do, as ApiResumeNode */
	else
		r = cl_win32(cl_control(cl_mount_of(o), verb, o->u.object.id, arg, NULL), node_errors);
	cl_obj_put(o);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI PauseClusterNode(HNODE hNode)
{
	return node_cmd(hNode, "node-state", "pause");
}

CL_EXPORT DWORD WINAPI ResumeClusterNode(HNODE hNode)
{
	return node_cmd(hNode, "node-state", "resume");
}

CL_EXPORT DWORD WINAPI EvictClusterNode(HNODE hNode)
{
	return node_cmd(hNode, "node-evict", NULL);
}

static HKEY object_key(HANDLE h, enum cl_kind k)
{
	struct cl_obj *o = cl_handle_get(h, k);
	if (!o) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	char path[128];
	snprintf(path, sizeof(path), "%s\\%s", cl_kind_coll(k), o->u.object.id);
	HKEY key = cl_key_open(o->parent, path);
	cl_obj_put(o);
	return key;
}

CL_EXPORT HKEY WINAPI GetClusterNodeKey(HNODE hNode, REGSAM samDesired)
{
	return object_key((HANDLE)hNode, CL_NODE);
}

CL_EXPORT HKEY WINAPI GetClusterGroupKey(HGROUP hGroup, REGSAM samDesired)
{
	return object_key((HANDLE)hGroup, CL_GROUP);
}

CL_EXPORT HKEY WINAPI GetClusterResourceKey(HRESOURCE hResource, REGSAM samDesired)
{
	return object_key((HANDLE)hResource, CL_RESOURCE);
}

CL_EXPORT HKEY WINAPI GetClusterNetworkKey(HNETWORK hNetwork, REGSAM samDesired)
{
	return object_key((HANDLE)hNetwork, CL_NETWORK);
}

CL_EXPORT HKEY WINAPI GetClusterNetInterfaceKey(HNETINTERFACE hNetInterface, REGSAM samDesired)
{
	return object_key((HANDLE)hNetInterface, CL_NETIF);
}

CL_EXPORT HNETWORK WINAPI OpenClusterNetwork(HCLUSTER hCluster, LPCWSTR lpszNetworkName)
{
	return (HNETWORK)cl_open_named(hCluster, CL_NETWORK, lpszNetworkName,
				       ERROR_CLUSTER_NETWORK_NOT_FOUND);
}

CL_EXPORT BOOL WINAPI CloseClusterNetwork(HNETWORK hNetwork)
{
	return cl_object_close((HANDLE)hNetwork, CL_NETWORK);
}

CL_EXPORT CLUSTER_NETWORK_STATE WINAPI GetClusterNetworkState(HNETWORK hNetwork)
{
	return (CLUSTER_NETWORK_STATE)state_or_unknown((HANDLE)hNetwork, CL_NETWORK,
						       ERROR_CLUSTER_NETWORK_NOT_FOUND);
}

CL_EXPORT HNETINTERFACE WINAPI OpenClusterNetInterface(HCLUSTER hCluster,
						       LPCWSTR lpszInterfaceName)
{
	return (HNETINTERFACE)cl_open_named(hCluster, CL_NETIF, lpszInterfaceName,
					    ERROR_CLUSTER_NETINTERFACE_NOT_FOUND);
}

CL_EXPORT BOOL WINAPI CloseClusterNetInterface(HNETINTERFACE hNetInterface)
{
	return cl_object_close((HANDLE)hNetInterface, CL_NETIF);
}

CL_EXPORT CLUSTER_NETINTERFACE_STATE WINAPI GetClusterNetInterfaceState(HNETINTERFACE hNetInterface)
{
	return (CLUSTER_NETINTERFACE_STATE)state_or_unknown((HANDLE)hNetInterface, CL_NETIF,
							    ERROR_CLUSTER_NETINTERFACE_NOT_FOUND);
}
