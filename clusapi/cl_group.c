/* SPDX-License-Identifier: MIT */
/* Groups. Online, offline and move finish inside the daemon's commit, so
 * they return ERROR_SUCCESS, or ERROR_IO_PENDING when the group is still
 * pending afterwards. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cl_i.h"

static const struct cl_errmap group_errors[] = {
	{ENOENT, ERROR_GROUP_NOT_FOUND},
	{EEXIST, ERROR_OBJECT_ALREADY_EXISTS},
	{EINVAL, ERROR_INVALID_NAME},
	{ENOTEMPTY, ERROR_DIR_NOT_EMPTY},
	{EHOSTDOWN, ERROR_HOST_NODE_NOT_AVAILABLE},
	{EAGAIN, ERROR_SHARING_PAUSED},
	{EPERM, ERROR_NODE_CANT_HOST_RESOURCE},
	{EBUSY, ERROR_INVALID_STATE},
	{0, 0},
};

CL_EXPORT HGROUP WINAPI CreateClusterGroup(HCLUSTER hCluster, LPCWSTR lpszGroupName)
{
	struct cl_obj *c = cl_handle_get((HANDLE)hCluster, CL_CLUSTER);
	if (!c) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	char *name, *real = NULL, id[CL_ID_LEN + 1];
	HANDLE h = NULL;
	if (cl_arg(lpszGroupName, &name) == 0) {
		int e = *name ? cl_control(c->u.cluster.mount, "group-create", name, NULL) : -EINVAL;
		if (e == 0)
			e = cl_lookup(c->u.cluster.mount, CL_GROUP, name, id, &real);
		if (e < 0)
			cl_set_error(cl_win32(e, group_errors));
		else
			h = cl_object_open(c, CL_GROUP, id, real);
		free(real);
		free(name);
	}
	cl_obj_put(c);
	return (HGROUP)h;
}

CL_EXPORT HGROUP WINAPI OpenClusterGroup(HCLUSTER hCluster, LPCWSTR lpszGroupName)
{
	return (HGROUP)cl_open_named(hCluster, CL_GROUP, lpszGroupName, ERROR_GROUP_NOT_FOUND);
}

CL_EXPORT BOOL WINAPI CloseClusterGroup(HGROUP hGroup)
{
	return cl_object_close((HANDLE)hGroup, CL_GROUP);
}

/* Runs verb on the group (with an optional second argument). */
static DWORD group_cmd(HGROUP hGroup, const char *verb, const char *arg)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hGroup, CL_GROUP);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	int e = cl_control(cl_mount_of(o), verb, o->u.object.id, arg, NULL);
	cl_obj_put(o);
	return cl_set_error(cl_win32(e, group_errors));
}

CL_EXPORT DWORD WINAPI DeleteClusterGroup(HGROUP hGroup)
{
	return group_cmd(hGroup, "group-delete", NULL);
}

CL_EXPORT DWORD WINAPI SetClusterGroupName(HGROUP hGroup, LPCWSTR lpszGroupName)
{
	char *name;
	if (cl_arg(lpszGroupName, &name) < 0)
		return GetLastError();
	DWORD r = *name ? group_cmd(hGroup, "group-rename", name)
			: cl_set_error(ERROR_INVALID_NAME);
	free(name);
	return r;
}

/* The name of node id (for owner names), or "" when unknown. */
static char *node_name(const char *mount, const char *id)
{
	char *name;
	if (cl_prop(mount, "Nodes", id, "Name", &name) < 0)
		name = strdup("");
	return name;
}

CL_EXPORT CLUSTER_GROUP_STATE WINAPI GetClusterGroupState(HGROUP hGroup, LPWSTR lpszNodeName,
							  LPDWORD lpcchNodeName)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hGroup, CL_GROUP);
	if (!o) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return ClusterGroupStateUnknown;
	}
	uint32_t s;
	char *owner = NULL;
	int e = cl_state_of(o, &s);
	if (e == 0 && lpcchNodeName)
		e = cl_prop(cl_mount_of(o), "Groups", o->u.object.id, "OwnerNode", &owner);
	DWORD r = cl_win32(e, group_errors);
	if (e == 0 && lpcchNodeName) {
		char *name = node_name(cl_mount_of(o), owner);
		/* A short buffer still returns the state; the last error says
		 * ERROR_MORE_DATA and *lpcchNodeName the length needed. */
		r = name ? cl_copy_out(name, lpszNodeName, lpcchNodeName) : ERROR_NOT_ENOUGH_MEMORY;
		free(name);
	}
	free(owner);
	cl_obj_put(o);
	cl_set_error(r);
	return e < 0 ? ClusterGroupStateUnknown : (CLUSTER_GROUP_STATE)s;
}

/* ERROR_IO_PENDING if the group is still pending, else ERROR_SUCCESS. */
static DWORD settled(struct cl_obj *o)
{
	uint32_t s;
	return cl_state_of(o, &s) == 0 && s == ClusterGroupPending ? ERROR_IO_PENDING
								     : ERROR_SUCCESS;
}

/* Runs verb on the group, first moving it to hNode when one is given. */
static DWORD group_state_cmd(HGROUP hGroup, HNODE hNode, const char *verb)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hGroup, CL_GROUP);
	struct cl_obj *n = hNode ? cl_handle_get((HANDLE)hNode, CL_NODE) : NULL;
	DWORD r;
	if (!o || (hNode && !n)) {
		r = ERROR_INVALID_HANDLE;
		goto out;
	}
	uint32_t s;
	int e = cl_state_of(o, &s);
	if (e == 0 && s == ClusterGroupPending) {
		r = ERROR_INVALID_STATE;
		goto out;
	}
	struct cl_cmdbuf b = {0};
	if (e == 0 && n)
		e = cl_cmd_append(&b, "group-move", o->u.object.id, n->u.object.id, NULL);
	if (e == 0 && verb)
		e = cl_cmd_append(&b, verb, o->u.object.id, NULL);
	e = e < 0 ? (free(b.buf), e) : cl_cmd_run(cl_mount_of(o), &b);
	r = e < 0 ? cl_win32(e, group_errors) : settled(o);
out:
	cl_obj_put(n);
	cl_obj_put(o);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI OnlineClusterGroup(HGROUP hGroup, HNODE hDestinationNode)
{
	return group_state_cmd(hGroup, hDestinationNode, "group-online");
}

CL_EXPORT DWORD WINAPI OfflineClusterGroup(HGROUP hGroup)
{
	return group_state_cmd(hGroup, NULL, "group-offline");
}

/* A node a group may move to: up, and not where the group is. */
static bool usable(const char *mount, const char *id, const char *owner)
{
	uint32_t s;
	return strcmp(id, owner) != 0 && cl_prop_u32(mount, "Nodes", id, "State", &s) == 0 &&
	       s == ClusterNodeUp;
}

/* The best node for a move without a destination: the first usable
 * preferred owner, else the lowest-numbered usable node. */
static int best_node(const char *mount, const char *gid, char *ret_id)
{
	char *owner, *pref = NULL, **nodes = NULL;
	size_t nn = 0;
	int e = cl_prop(mount, "Groups", gid, "OwnerNode", &owner);
	if (e < 0)
		return e;
	e = -EHOSTDOWN;
	if (cl_prop(mount, "Groups", gid, "PreferredOwners", &pref) == 0) {
		for (char *save, *id = strtok_r(pref, "\n", &save); id;
		     id = strtok_r(NULL, "\n", &save)) {
			if (usable(mount, id, owner) && strlen(id) == CL_ID_LEN) {
				memcpy(ret_id, id, CL_ID_LEN + 1);
				e = 0;
				break;
			}
		}
	}
	if (e < 0 && cl_list_dir(mount, "registry/Nodes", &nodes, &nn) == 0) {
		uint32_t best = UINT32_MAX, num;
		for (size_t i = 0; i < nn; i++) {
			if (usable(mount, nodes[i], owner) &&
			    cl_prop_u32(mount, "Nodes", nodes[i], "NodeNumber", &num) == 0 &&
			    num < best && strlen(nodes[i]) == CL_ID_LEN) {
				best = num;
				memcpy(ret_id, nodes[i], CL_ID_LEN + 1);
				e = 0;
			}
		}
	}
	cl_strv_free(nodes, nn);
	free(pref);
	free(owner);
	return e;
}

CL_EXPORT DWORD WINAPI MoveClusterGroup(HGROUP hGroup, HNODE hDestinationNode)
{
	if (hDestinationNode)
		return group_state_cmd(hGroup, hDestinationNode, NULL);
	struct cl_obj *o = cl_handle_get((HANDLE)hGroup, CL_GROUP);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	char id[CL_ID_LEN + 1];
	int e = best_node(cl_mount_of(o), o->u.object.id, id);
	if (e == 0)
		e = cl_control(cl_mount_of(o), "group-move", o->u.object.id, id, NULL);
	DWORD r = e < 0 ? cl_win32(e, group_errors) : settled(o);
	cl_obj_put(o);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI SetClusterGroupNodeList(HGROUP hGroup, DWORD NodeCount, HNODE NodeList[])
{
	if (NodeCount && !NodeList)
		return cl_set_error(ERROR_INVALID_PARAMETER);
	struct cl_obj *o = cl_handle_get((HANDLE)hGroup, CL_GROUP);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	struct cl_cmdbuf b = {0};
	/* group-preferred GROUP NODE...: built as one line by hand. */
	DWORD r = ERROR_SUCCESS;
	const char **ids = calloc(NodeCount + 3, sizeof(*ids));
	struct cl_obj **nodes = calloc(NodeCount + 1, sizeof(*nodes));
	if (!ids || !nodes) {
		r = ERROR_NOT_ENOUGH_MEMORY;
		goto out;
	}
	for (DWORD i = 0; i < NodeCount; i++) {
		if (!(nodes[i] = cl_handle_get((HANDLE)NodeList[i], CL_NODE))) {
			r = ERROR_INVALID_HANDLE;
			goto out;
		}
		ids[i] = nodes[i]->u.object.id;
	}
	int e = cl_cmd_appendv(&b, "group-preferred", o->u.object.id, ids, NodeCount);
	e = e < 0 ? (free(b.buf), e) : cl_cmd_run(cl_mount_of(o), &b);
	r = cl_win32(e, group_errors);
out:
	for (DWORD i = 0; nodes && i < NodeCount; i++)
		cl_obj_put(nodes[i]);
	free(nodes);
	free(ids);
	cl_obj_put(o);
	return cl_set_error(r);
}
