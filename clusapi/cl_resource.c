/* SPDX-License-Identifier: MIT */
/* Resources and resource types. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_i.h"

static const struct cl_errmap res_errors[] = {
	{ENOENT, ERROR_RESOURCE_NOT_FOUND},
	{EEXIST, ERROR_OBJECT_ALREADY_EXISTS},
	{EINVAL, ERROR_INVALID_NAME},
	{EXDEV, ERROR_INVALID_PARAMETER},
	{ELOOP, ERROR_CIRCULAR_DEPENDENCY},
	{EBUSY, ERROR_INVALID_STATE},
	{EPERM, ERROR_NODE_CANT_HOST_RESOURCE},
	{EHOSTDOWN, ERROR_HOST_NODE_NOT_AVAILABLE},
	{EAGAIN, ERROR_SHARING_PAUSED},
	{0, 0},
};

static bool type_exists(const char *mount, const char *type)
{
	char rel[600], *s;
	snprintf(rel, sizeof(rel), "resourcetypes/%s/id", type);
	if (strchr(type, '/') || cl_read_line(mount, rel, &s) < 0)
		return false;
	free(s);
	return true;
}

CL_EXPORT HRESOURCE WINAPI CreateClusterResource(HGROUP hGroup, LPCWSTR lpszResourceName,
						 LPCWSTR lpszResourceType, DWORD dwFlags)
{
	if (dwFlags & ~CLUSTER_RESOURCE_SEPARATE_MONITOR) {
		cl_set_error(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	struct cl_obj *g = cl_handle_get((HANDLE)hGroup, CL_GROUP);
	if (!g) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return NULL;
	}
	char *name = NULL, *type = NULL, *real = NULL, id[CL_ID_LEN + 1];
	HANDLE h = NULL;
	const char *mount = cl_mount_of(g);
	if (cl_arg(lpszResourceName, &name) == 0 && cl_arg(lpszResourceType, &type) == 0) {
		const struct cl_errmap map[] = {{ENOENT, ERROR_GROUP_NOT_FOUND}, {0, 0}};
		int e = 0;
		if (!*name)
			e = -EINVAL;
		else if (!type_exists(mount, type))
			cl_set_error(ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND), e = 1;
		if (e == 0)
			e = cl_control(mount, "resource-create", name, type, g->u.object.id, NULL);
		if (e == 0)
			e = cl_lookup(mount, CL_RESOURCE, name, id, &real);
		if (e < 0)
			cl_set_error(e == -ENOENT ? cl_win32(e, map) : cl_win32(e, res_errors));
		else if (e == 0)
			h = cl_object_open(g->parent, CL_RESOURCE, id, real);
	}
	free(real);
	free(type);
	free(name);
	cl_obj_put(g);
	return (HRESOURCE)h;
}

CL_EXPORT HRESOURCE WINAPI OpenClusterResource(HCLUSTER hCluster, LPCWSTR lpszResourceName)
{
	return (HRESOURCE)cl_open_named(hCluster, CL_RESOURCE, lpszResourceName,
					ERROR_RESOURCE_NOT_FOUND);
}

CL_EXPORT BOOL WINAPI CloseClusterResource(HRESOURCE hResource)
{
	return cl_object_close((HANDLE)hResource, CL_RESOURCE);
}

static bool is_pending(uint32_t s)
{
	return s >= ClusterResourcePending;
}

CL_EXPORT DWORD WINAPI DeleteClusterResource(HRESOURCE hResource)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hResource, CL_RESOURCE);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	uint32_t s;
	int e = cl_state_of(o, &s);
	DWORD r;
	if (e < 0)
		r = cl_win32(e, res_errors);
	else if (s == ClusterResourceOnline || is_pending(s))
		r = ERROR_INVALID_STATE; /* must be offline or failed (WS2012+) */
	else {
		/* Offline and still refused as busy: another resource depends on it. */
		const struct cl_errmap map[] = {{EBUSY, ERROR_DEPENDENT_RESOURCE_EXISTS}, {0, 0}};
		e = cl_control(cl_mount_of(o), "resource-delete", o->u.object.id, NULL);
		r = e == -EBUSY ? cl_win32(e, map) : cl_win32(e, res_errors);
	}
	cl_obj_put(o);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI SetClusterResourceName(HRESOURCE hResource, LPCWSTR lpszResourceName)
{
	char *name;
	if (cl_arg(lpszResourceName, &name) < 0)
		return GetLastError();
	struct cl_obj *o = cl_handle_get((HANDLE)hResource, CL_RESOURCE);
	DWORD r = ERROR_INVALID_HANDLE;
	if (o) {
		int e = *name ? cl_control(cl_mount_of(o), "resource-rename", o->u.object.id, name, NULL)
			      : -EINVAL;
		r = cl_win32(e, res_errors);
		cl_obj_put(o);
	}
	free(name);
	return cl_set_error(r);
}

/* Adds or removes a possible owner: one daemon command, so two callers
 * cannot lose each other's edit. An empty list means every node; the
 * daemon refuses to remove the last owner (EBUSY). */
static DWORD possible_owner(HRESOURCE hResource, HNODE hNode, bool add)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hResource, CL_RESOURCE);
	struct cl_obj *n = cl_handle_get((HANDLE)hNode, CL_NODE);
	DWORD r = ERROR_INVALID_HANDLE;
	if (o && n) {
		const char *mount = cl_mount_of(o);
		int e = cl_control(mount, add ? "resource-owner-add" : "resource-owner-remove",
				   o->u.object.id, n->u.object.id, NULL);
		r = cl_win32(e, res_errors);
		if (e == -ENOENT) {
			/* The resource gone, or the node gone or not in the list. */
			char *nm;
			if (cl_object_name(o, &nm) == 0) {
				free(nm);
				r = ERROR_CLUSTER_NODE_NOT_FOUND;
			}
		}
	}
	cl_obj_put(n);
	cl_obj_put(o);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI AddClusterResourceNode(HRESOURCE hResource, HNODE hNode)
{
	return possible_owner(hResource, hNode, true);
}

CL_EXPORT DWORD WINAPI RemoveClusterResourceNode(HRESOURCE hResource, HNODE hNode)
{
	return possible_owner(hResource, hNode, false);
}

static bool depends_on(const char *mount, const char *id, const char *provider)
{
	char *deps;
	if (cl_prop(mount, "Resources", id, "Dependencies", &deps) < 0)
		return false;
	bool found = false;
	for (char *save, *w = strtok_r(deps, "\n", &save); w && !found;
	     w = strtok_r(NULL, "\n", &save))
		found = strcmp(w, provider) == 0;
	free(deps);
	return found;
}

static DWORD dependency(HRESOURCE hResource, HRESOURCE hDependsOn, bool add)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hResource, CL_RESOURCE);
	struct cl_obj *p = cl_handle_get((HANDLE)hDependsOn, CL_RESOURCE);
	DWORD r;
	if (!o || !p) {
		r = ERROR_INVALID_HANDLE;
	} else if (add && strcmp(o->u.object.id, p->u.object.id) == 0) {
		r = ERROR_CIRCULAR_DEPENDENCY;
	} else {
		const char *mount = cl_mount_of(o);
		bool has = depends_on(mount, o->u.object.id, p->u.object.id);
		if (add && has) {
			r = ERROR_DEPENDENCY_ALREADY_EXISTS;
		} else if (!add && !has) {
			char *nm;
			int e = cl_object_name(o, &nm);
			if (e == 0) {
				free(nm);
				e = cl_object_name(p, &nm);
			}
			if (e == 0)
				free(nm);
			r = e < 0 ? cl_win32(e, res_errors) : ERROR_DEPENDENCY_NOT_FOUND;
		} else {
			int e = cl_control(mount, add ? "resource-depend" : "resource-undepend",
					   o->u.object.id, p->u.object.id, NULL);
			r = cl_win32(e, res_errors);
		}
	}
	cl_obj_put(p);
	cl_obj_put(o);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI AddClusterResourceDependency(HRESOURCE hResource, HRESOURCE hDependsOn)
{
	return dependency(hResource, hDependsOn, true);
}

CL_EXPORT DWORD WINAPI RemoveClusterResourceDependency(HRESOURCE hResource, HRESOURCE hDependsOn)
{
	return dependency(hResource, hDependsOn, false);
}

CL_EXPORT CLUSTER_RESOURCE_STATE WINAPI GetClusterResourceState(HRESOURCE hResource,
								LPWSTR lpszNodeName,
								LPDWORD lpcchNodeName,
								LPWSTR lpszGroupName,
								LPDWORD lpcchGroupName)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hResource, CL_RESOURCE);
	if (!o) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return ClusterResourceStateUnknown;
	}
	const char *mount = cl_mount_of(o);
	uint32_t s;
	char *gid = NULL, *owner = NULL, *gname = NULL, *nname = NULL;
	int e = cl_state_of(o, &s);
	if (e == 0)
		e = cl_prop(mount, "Resources", o->u.object.id, "Group", &gid);
	if (e == 0)
		e = cl_prop(mount, "Groups", gid, "Name", &gname);
	if (e == 0)
		e = cl_prop(mount, "Groups", gid, "OwnerNode", &owner);
	if (e == 0)
		e = cl_prop(mount, "Nodes", owner, "Name", &nname);
	DWORD r = cl_win32(e, res_errors);
	if (e == 0) {
		DWORD r1 = cl_copy_out(nname, lpszNodeName, lpcchNodeName);
		DWORD r2 = cl_copy_out(gname, lpszGroupName, lpcchGroupName);
		r = r1 ? r1 : r2;
	}
	free(gid);
	free(owner);
	free(gname);
	free(nname);
	cl_obj_put(o);
	cl_set_error(r);
	return e < 0 ? ClusterResourceStateUnknown : (CLUSTER_RESOURCE_STATE)s;
}

CL_EXPORT DWORD WINAPI ChangeClusterResourceGroup(HRESOURCE hResource, HGROUP hGroup)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hResource, CL_RESOURCE);
	struct cl_obj *g = cl_handle_get((HANDLE)hGroup, CL_GROUP);
	DWORD r = ERROR_INVALID_HANDLE;
	if (o && g) {
		const struct cl_errmap map[] = {{ENOENT, ERROR_GROUP_NOT_FOUND}, {0, 0}};
		char *nm;
		int e = cl_object_name(o, &nm);
		if (e == 0) {
			free(nm);
			e = cl_control(cl_mount_of(o), "resource-group", o->u.object.id,
				       g->u.object.id, NULL);
			r = e == -ENOENT ? cl_win32(e, map) : cl_win32(e, res_errors);
		} else {
			r = cl_win32(e, res_errors);
		}
	}
	cl_obj_put(g);
	cl_obj_put(o);
	return cl_set_error(r);
}

static DWORD res_state_cmd(HRESOURCE hResource, const char *verb)
{
	struct cl_obj *o = cl_handle_get((HANDLE)hResource, CL_RESOURCE);
	if (!o)
		return cl_set_error(ERROR_INVALID_HANDLE);
	uint32_t s;
	int e = cl_state_of(o, &s);
	DWORD r;
	if (e < 0) {
		r = cl_win32(e, res_errors);
	} else if (is_pending(s)) {
		r = ERROR_INVALID_STATE;
	} else if (strcmp(verb, "resource-offline") == 0 && s == ClusterResourceFailed) {
		r = ERROR_SUCCESS; /* a failed resource is already not online */
	} else {
		e = cl_control(cl_mount_of(o), verb, o->u.object.id, NULL);
		r = cl_win32(e, res_errors);
		if (e == 0 && cl_state_of(o, &s) == 0 && is_pending(s))
			r = ERROR_IO_PENDING;
	}
	cl_obj_put(o);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI OnlineClusterResource(HRESOURCE hResource)
{
	return res_state_cmd(hResource, "resource-online");
}

CL_EXPORT DWORD WINAPI OfflineClusterResource(HRESOURCE hResource)
{
	return res_state_cmd(hResource, "resource-offline");
}

CL_EXPORT DWORD WINAPI FailClusterResource(HRESOURCE hResource)
{
	return res_state_cmd(hResource, "resource-fail");
}

CL_EXPORT DWORD WINAPI CreateClusterResourceType(HCLUSTER hCluster, LPCWSTR lpszResourceTypeName,
						 LPCWSTR lpszDisplayName,
						 LPCWSTR lpszResourceTypeDll,
						 DWORD dwLooksAlivePollInterval,
						 DWORD dwIsAlivePollInterval)
{
	struct cl_obj *c = cl_handle_get((HANDLE)hCluster, CL_CLUSTER);
	if (!c)
		return cl_set_error(ERROR_INVALID_HANDLE);
	char *name = NULL, *disp = NULL, *dll = NULL;
	DWORD r = ERROR_SUCCESS;
	if (cl_arg(lpszResourceTypeName, &name) < 0 || cl_arg(lpszDisplayName, &disp) < 0 ||
	    cl_arg(lpszResourceTypeDll, &dll) < 0) {
		r = GetLastError();
	} else if (!*name) {
		r = ERROR_INVALID_NAME;
	} else {
		const struct cl_errmap map[] = {{EEXIST, ERROR_ALREADY_EXISTS}, {0, 0}};
		char la[16], ia[16];
		snprintf(la, sizeof(la), "%u", dwLooksAlivePollInterval);
		snprintf(ia, sizeof(ia), "%u", dwIsAlivePollInterval);
		/* One transaction: the type and its common properties. */
		struct cl_cmdbuf b = {0};
		int e = cl_cmd_append(&b, "type-create", name, dll, NULL);
		if (e == 0 && *disp)
			e = cl_cmd_append(&b, "set", "resourcetype", name, "DisplayName", disp, NULL);
		if (e == 0)
			e = cl_cmd_append(&b, "set", "resourcetype", name, "LooksAlivePollInterval",
					  la, NULL);
		if (e == 0)
			e = cl_cmd_append(&b, "set", "resourcetype", name, "IsAlivePollInterval", ia,
					  NULL);
		e = e < 0 ? (free(b.buf), e) : cl_cmd_run(c->u.cluster.mount, &b);
		r = cl_win32(e, map);
	}
	free(name);
	free(disp);
	free(dll);
	cl_obj_put(c);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI DeleteClusterResourceType(HCLUSTER hCluster, LPCWSTR lpszResourceTypeName)
{
	struct cl_obj *c = cl_handle_get((HANDLE)hCluster, CL_CLUSTER);
	if (!c)
		return cl_set_error(ERROR_INVALID_HANDLE);
	char *name;
	DWORD r;
	if (cl_arg(lpszResourceTypeName, &name) < 0) {
		r = GetLastError();
	} else {
		const struct cl_errmap map[] = {{ENOENT, ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND},
						{EBUSY, ERROR_DIR_NOT_EMPTY},
						{ENOTEMPTY, ERROR_DIR_NOT_EMPTY},
						{0, 0}};
		int e = type_exists(c->u.cluster.mount, name)
				? cl_control(c->u.cluster.mount, "type-delete", name, NULL)
				: -ENOENT;
		r = cl_win32(e, map);
		free(name);
	}
	cl_obj_put(c);
	return cl_set_error(r);
}
