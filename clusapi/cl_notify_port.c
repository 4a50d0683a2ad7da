/* SPDX-License-Identifier: MIT */
/* Notification ports (cl_notify_i.h): making a port (an anonymous clusterfs
 * port, ports/clone) and freeing it, and its registrations
 * (CreateClusterNotifyPort[V2], RegisterClusterNotify[V2]), each written
 * to the port as filter lines with a port key of its own. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cl_notify_i.h"

/* The V1 bits the shim makes itself or that only modify others. */
#define V1_CLIENT                                                                      \
	(CLUSTER_CHANGE_HANDLE_CLOSE | CLUSTER_CHANGE_CLUSTER_STATE |                     \
	 CLUSTER_CHANGE_CLUSTER_RECONNECT | CLUSTER_CHANGE_REGISTRY_SUBTREE)
#define V1_REGISTRY                                                                    \
	(CLUSTER_CHANGE_REGISTRY_NAME | CLUSTER_CHANGE_REGISTRY_ATTRIBUTES |              \
	 CLUSTER_CHANGE_REGISTRY_VALUE)

/* ---- ports ---------------------------------------------------------- */

void cl_port_free(struct cl_port *p)
{
	if (!p)
		return;
	for (struct cl_event *ev; (ev = cl_port_pop(p));)
		cl_event_free(ev);
	for (size_t i = 0; i < p->nregs; i++)
		cl_obj_put(p->regs[i].obj);
	free(p->regs);
	free(p->partial);
	free(p->mount);
	free(p->cluster_name);
	for (size_t i = 0; i < sizeof(p->types) / sizeof(p->types[0]); i++)
		free(p->types[i].type);
	if (p->tok)
		json_tokener_free(p->tok);
	if (p->fd >= 0)
		close(p->fd);
	if (p->wakefd >= 0)
		close(p->wakefd);
	if (p->readyfd >= 0)
		close(p->readyfd);
	if (p->epfd >= 0)
		close(p->epfd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* The handle table frees a port handle's port with it. An event handle
 * owns nothing: its port is its parent's, which it references. */
static void port_obj_free(struct cl_obj *o)
{
	cl_port_free(o->u.port);
}

CL_HANDLE_KIND(CL_PORT, port_obj_free);
CL_HANDLE_KIND(CL_EVENT, NULL);

static int port_new(const char *mount, struct cl_port **ret)
{
	struct cl_port *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = p->wakefd = p->readyfd = p->epfd = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	p->next_key = 1;
	p->wait_ms = -1;
	int e = (p->mount = strdup(mount)) && (p->tok = json_tokener_new()) ? 0 : -ENOMEM;
	if (e == 0 && cl_read_line(mount, "name", &p->cluster_name) < 0)
		p->cluster_name = strdup("");
	char *path = NULL;
	if (e == 0 && asprintf(&path, "%s/ports/clone", mount) < 0)
		e = -ENOMEM;
	if (e == 0 && (p->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		e = -errno;
	free(path);
	if (e == 0 && ((p->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
		       (p->readyfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
		       (p->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0))
		e = -errno;
	struct epoll_event a = {.events = EPOLLIN}, b = {.events = EPOLLIN};
	if (e == 0 && (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->fd, &a) < 0 ||
		       epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->readyfd, &b) < 0))
		e = -errno;
	if (e < 0) {
		cl_port_free(p);
		return e;
	}
	*ret = p;
	return 0;
}

/* Writes text to the port (filter lines). Lock held. */
int cl_port_write(struct cl_port *p, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	do
		n = write(p->fd, text, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
}

/* Appends `"registry=PATH"` quoted for a filter line. */
static void put_registry(FILE *f, const char *path, bool subtree)
{
	fputs(" \"registry=", f);
	for (const char *c = path; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', f);
		fputc(*c, f);
	}
	fputs(subtree ? "\" subtree" : "\"", f);
}

/* The filter lines for registration g (may be none: a registration for
 * client-made events only). */
static char *reg_lines(const struct cl_reg *g)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	const struct cl_obj *o = g->obj;
	bool object = o && o->kind != CL_CLUSTER && o->kind != CL_KEY;
	const char *path = o && o->kind == CL_KEY ? o->u.key.path : "";
	if (g->version == 1) {
		bool subtree = g->v1 & CLUSTER_CHANGE_REGISTRY_SUBTREE;
		DWORD reg = g->v1 & V1_REGISTRY, other = g->v1 & ~V1_REGISTRY & ~V1_CLIENT;
		if (other) {
			fprintf(f, "v1=0x%x", other);
			if (object)
				fprintf(f, " object=%s", o->u.object.id);
			fprintf(f, " key=%llu\n", (unsigned long long)g->key);
		}
		if (reg) {
			fprintf(f, "v1=0x%x", reg);
			put_registry(f, path, subtree);
			fprintf(f, " key=%llu\n", (unsigned long long)g->key);
		}
	} else {
		static const uint64_t client[] = {
			[CLUSTER_OBJECT_TYPE_CLUSTER] = CLUSTER_CHANGE_CLUSTER_RECONNECT_V2 |
							CLUSTER_CHANGE_CLUSTER_STATE_V2 |
							CLUSTER_CHANGE_CLUSTER_HANDLE_CLOSE_V2 |
							CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2,
			[CLUSTER_OBJECT_TYPE_GROUP] = CLUSTER_CHANGE_GROUP_HANDLE_CLOSE_V2,
			[CLUSTER_OBJECT_TYPE_RESOURCE] = CLUSTER_CHANGE_RESOURCE_HANDLE_CLOSE_V2,
			[CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE] = CLUSTER_CHANGE_NETINTERFACE_HANDLE_CLOSE_V2,
			[CLUSTER_OBJECT_TYPE_NETWORK] = CLUSTER_CHANGE_NETWORK_HANDLE_CLOSE_V2,
			[CLUSTER_OBJECT_TYPE_NODE] = CLUSTER_CHANGE_NODE_HANDLE_CLOSE_V2,
			[CLUSTER_OBJECT_TYPE_REGISTRY] = CLUSTER_CHANGE_REGISTRY_HANDLE_CLOSE_V2 |
							 CLUSTER_CHANGE_REGISTRY_SUBTREE_V2,
		};
		uint64_t flags = g->v2flags & ~(g->v2type < sizeof(client) / sizeof(client[0])
							? client[g->v2type]
							: 0);
		if (flags) {
			fprintf(f, "v2=%u:0x%llx", g->v2type, (unsigned long long)flags);
			if (g->v2type == CLUSTER_OBJECT_TYPE_REGISTRY)
				put_registry(f, path, g->v2flags & CLUSTER_CHANGE_REGISTRY_SUBTREE_V2);
			else if (object)
				fprintf(f, " object=%s", o->u.object.id);
			fprintf(f, " key=%llu\n", (unsigned long long)g->key);
		}
	}
	fclose(f);
	return text;
}

/* Adds a registration to port p, holding a reference on obj. Lock held. */
static DWORD port_register(struct cl_port *p, struct cl_reg g, struct cl_obj *obj)
{
	if (p->closed)
		return ERROR_INVALID_HANDLE;
	/* A handle closed meanwhile (by another thread) takes no new
	 * registration: its HANDLE_CLOSE has been made already. */
	if (obj && !cl_obj_live(obj))
		return ERROR_INVALID_HANDLE;
	struct cl_reg *v = realloc(p->regs, (p->nregs + 1) * sizeof(*v));
	if (!v)
		return ERROR_NOT_ENOUGH_MEMORY;
	p->regs = v;
	g.key = p->next_key++;
	g.obj = obj;
	char *lines = reg_lines(&g);
	if (!lines)
		return ERROR_NOT_ENOUGH_MEMORY;
	int e = *lines ? cl_port_write(p, lines) : 0;
	free(lines);
	if (e < 0)
		return e == -EINVAL ? ERROR_INVALID_PARAMETER : cl_win32(e, NULL);
	if (obj)
		cl_obj_ref(obj);
	p->regs[p->nregs++] = g;
	return ERROR_SUCCESS;
}

/* Which handle kinds a V1 per-object registration takes, and its bits. */
static DWORD v1_allowed(enum cl_kind k)
{
	switch (k) {
	case CL_CLUSTER:
		return CLUSTER_CHANGE_ALL;
	case CL_GROUP:
		return CLUSTER_CHANGE_GROUP_DELETED | CLUSTER_CHANGE_GROUP_PROPERTY |
		       CLUSTER_CHANGE_GROUP_STATE | CLUSTER_CHANGE_HANDLE_CLOSE;
	case CL_NODE:
		return CLUSTER_CHANGE_NODE_DELETED | CLUSTER_CHANGE_NODE_PROPERTY |
		       CLUSTER_CHANGE_NODE_STATE | CLUSTER_CHANGE_HANDLE_CLOSE;
	case CL_RESOURCE:
		return CLUSTER_CHANGE_RESOURCE_DELETED | CLUSTER_CHANGE_RESOURCE_PROPERTY |
		       CLUSTER_CHANGE_RESOURCE_STATE | CLUSTER_CHANGE_HANDLE_CLOSE;
	case CL_NETWORK:
		return CLUSTER_CHANGE_NETWORK_DELETED | CLUSTER_CHANGE_NETWORK_PROPERTY |
		       CLUSTER_CHANGE_NETWORK_STATE | CLUSTER_CHANGE_HANDLE_CLOSE;
	case CL_NETIF:
		return CLUSTER_CHANGE_NETINTERFACE_DELETED | CLUSTER_CHANGE_NETINTERFACE_PROPERTY |
		       CLUSTER_CHANGE_NETINTERFACE_STATE | CLUSTER_CHANGE_HANDLE_CLOSE;
	case CL_KEY:
		return V1_REGISTRY | CLUSTER_CHANGE_REGISTRY_SUBTREE | CLUSTER_CHANGE_HANDLE_CLOSE;
	default:
		return 0;
	}
}

/* The V2 object type a handle kind registers, and each type's flags. */
static DWORD v2_type_of(enum cl_kind k)
{
	switch (k) {
	case CL_GROUP:
		return CLUSTER_OBJECT_TYPE_GROUP;
	case CL_RESOURCE:
		return CLUSTER_OBJECT_TYPE_RESOURCE;
	case CL_NODE:
		return CLUSTER_OBJECT_TYPE_NODE;
	case CL_NETWORK:
		return CLUSTER_OBJECT_TYPE_NETWORK;
	case CL_NETIF:
		return CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE;
	case CL_KEY:
		return CLUSTER_OBJECT_TYPE_REGISTRY;
	default:
		return CLUSTER_OBJECT_TYPE_NONE;
	}
}

static uint64_t v2_all(DWORD type)
{
	switch (type) {
	case CLUSTER_OBJECT_TYPE_CLUSTER:
		return CLUSTER_CHANGE_CLUSTER_ALL_V2;
	case CLUSTER_OBJECT_TYPE_GROUP:
		return CLUSTER_CHANGE_GROUP_ALL_V2;
	case CLUSTER_OBJECT_TYPE_RESOURCE:
		return CLUSTER_CHANGE_RESOURCE_ALL_V2;
	case CLUSTER_OBJECT_TYPE_RESOURCE_TYPE:
		return CLUSTER_CHANGE_RESOURCE_TYPE_ALL_V2;
	case CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE:
		return CLUSTER_CHANGE_NETINTERFACE_ALL_V2;
	case CLUSTER_OBJECT_TYPE_NETWORK:
		return CLUSTER_CHANGE_NETWORK_ALL_V2;
	case CLUSTER_OBJECT_TYPE_NODE:
		return CLUSTER_CHANGE_NODE_ALL_V2;
	case CLUSTER_OBJECT_TYPE_REGISTRY:
		return CLUSTER_CHANGE_REGISTRY_ALL_V2;
	case CLUSTER_OBJECT_TYPE_QUORUM:
		return CLUSTER_CHANGE_QUORUM_ALL_V2;
	case CLUSTER_OBJECT_TYPE_SHARED_VOLUME:
		return CLUSTER_CHANGE_SHARED_VOLUME_ALL_V2;
	default:
		return 0;
	}
}

/* Any live object handle of a kind that can be registered. */
static struct cl_obj *any_object(HANDLE h)
{
	static const enum cl_kind kinds[] = {CL_CLUSTER, CL_GROUP, CL_RESOURCE, CL_NODE,
					     CL_NETWORK, CL_NETIF,   CL_KEY};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct cl_obj *o = cl_handle_get(h, kinds[i]);
		if (o)
			return o;
	}
	return NULL;
}

static const char *cluster_mount(struct cl_obj *o)
{
	return o->kind == CL_CLUSTER ? o->u.cluster.mount : cl_mount_of(o);
}

/* Creates a port (hChange INVALID_HANDLE_VALUE) or adds to one; reg is
 * the cluster-wide registration to add (NULL: none). */
static HCHANGE create_or_add(HCHANGE hChange, HCLUSTER hCluster, const struct cl_reg *regs,
			     size_t nregs)
{
	bool create = (HANDLE)hChange == INVALID_HANDLE_VALUE;
	bool no_cluster = (HANDLE)hCluster == INVALID_HANDLE_VALUE;
	struct cl_obj *c = no_cluster ? NULL : cl_handle_get((HANDLE)hCluster, CL_CLUSTER);
	struct cl_obj *po = NULL;
	DWORD r = ERROR_SUCCESS;
	HCHANGE ret = NULL;
	if ((!no_cluster && !c) || (no_cluster && !create)) {
		r = ERROR_INVALID_HANDLE;
		goto out;
	}
	if (create) {
		char *mount = NULL;
		int e = c ? 0 : cl_mount_resolve(NULL, &mount);
		struct cl_port *p = NULL;
		if (e == 0)
			e = port_new(c ? c->u.cluster.mount : mount, &p);
		free(mount);
		po = e == 0 ? calloc(1, sizeof(*po)) : NULL;
		if (!po) {
			cl_port_free(p);
			r = e < 0 ? cl_win32(e, (const struct cl_errmap[]){
						{ENOENT, EPT_S_NOT_REGISTERED}, {0, 0}})
				  : ERROR_NOT_ENOUGH_MEMORY;
			goto out;
		}
		po->kind = CL_PORT;
		po->u.port = p;
		if (!cl_handle_new(po)) {
			cl_obj_free(po);
			po = NULL;
			r = ERROR_NOT_ENOUGH_MEMORY;
			goto out;
		}
		cl_obj_ref(po); /* ours, as with get */
	} else if (!(po = cl_handle_get((HANDLE)hChange, CL_PORT))) {
		r = ERROR_INVALID_HANDLE;
		goto out;
	}
	struct cl_port *p = po->u.port;
	pthread_mutex_lock(&p->mu);
	if (c && strcmp(c->u.cluster.mount, p->mount) != 0)
		r = ERROR_INVALID_PARAMETER; /* one port, one cluster */
	for (size_t i = 0; r == ERROR_SUCCESS && i < nregs; i++)
		r = port_register(p, regs[i], c);
	pthread_mutex_unlock(&p->mu);
	if (r == ERROR_SUCCESS) {
		ret = (HCHANGE)po->handle;
	} else if (create) {
		struct cl_obj *t = cl_handle_take(po->handle, CL_PORT);
		cl_obj_put(t);
	}
out:
	cl_obj_put(po);
	cl_obj_put(c);
	cl_set_error(r);
	return ret;
}

CL_EXPORT HCHANGE WINAPI CreateClusterNotifyPort(HCHANGE hChange, HCLUSTER hCluster,
						 DWORD dwFilter, DWORD_PTR dwNotifyKey)
{
	struct cl_reg g = {.notify_key = dwNotifyKey, .version = 1, .v1 = dwFilter};
	return create_or_add(hChange, hCluster, &g, dwFilter ? 1 : 0);
}

CL_EXPORT HCHANGE WINAPI CreateClusterNotifyPortV2(HCHANGE hChange, HCLUSTER hCluster,
						   NOTIFY_FILTER_AND_TYPE *Filters,
						   DWORD dwFilterCount, DWORD_PTR dwNotifyKey)
{
	if (dwFilterCount && !Filters) {
		cl_set_error(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	struct cl_reg *regs = dwFilterCount < 4096 ? calloc((size_t)dwFilterCount + 1, sizeof(*regs))
						   : NULL;
	if (dwFilterCount >= 4096) {
		cl_set_error(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	if (!regs) {
		cl_set_error(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	for (DWORD i = 0; i < dwFilterCount; i++) {
		uint64_t all = v2_all(Filters[i].dwObjectType);
		uint64_t flags = (uint64_t)Filters[i].FilterFlags;
		if (!all || !flags || (flags & ~all)) {
			free(regs);
			cl_set_error(ERROR_INVALID_PARAMETER);
			return NULL;
		}
		regs[i] = (struct cl_reg){.notify_key = dwNotifyKey, .version = 2,
					  .v2type = Filters[i].dwObjectType, .v2flags = flags};
	}
	HCHANGE h = create_or_add(hChange, hCluster, regs, dwFilterCount);
	free(regs);
	return h;
}

/* A per-object registration (V1 or V2) of hObject on hChange. */
static DWORD register_object(HCHANGE hChange, struct cl_reg g, HANDLE hObject)
{
	struct cl_obj *po = cl_handle_get((HANDLE)hChange, CL_PORT);
	struct cl_obj *o = po ? any_object(hObject) : NULL;
	DWORD r = ERROR_SUCCESS;
	if (!po || !o) {
		r = ERROR_INVALID_HANDLE;
	} else if (g.version == 1) {
		/* HANDLE_CLOSE alone takes a cluster handle (reference §6.3);
		 * SUBTREE only modifies other registry bits. */
		DWORD alone = g.v1 & ~(CLUSTER_CHANGE_HANDLE_CLOSE | CLUSTER_CHANGE_REGISTRY_SUBTREE);
		if (!g.v1 || (g.v1 & ~v1_allowed(o->kind)) || (o->kind != CL_CLUSTER && !alone))
			r = ERROR_INVALID_PARAMETER;
	} else {
		uint64_t all = v2_all(g.v2type);
		if (!all || !g.v2flags || (g.v2flags & ~all) ||
		    (o->kind != CL_CLUSTER && v2_type_of(o->kind) != g.v2type))
			r = ERROR_INVALID_PARAMETER;
	}
	if (r == ERROR_SUCCESS) {
		struct cl_port *p = po->u.port;
		pthread_mutex_lock(&p->mu);
		r = strcmp(cluster_mount(o), p->mount) != 0 ? ERROR_INVALID_PARAMETER
							     : port_register(p, g, o);
		pthread_mutex_unlock(&p->mu);
	}
	cl_obj_put(o);
	cl_obj_put(po);
	return cl_set_error(r);
}

CL_EXPORT DWORD WINAPI RegisterClusterNotify(HCHANGE hChange, DWORD dwFilterType, HANDLE hObject,
					     DWORD_PTR dwNotifyKey)
{
	struct cl_reg g = {.notify_key = dwNotifyKey, .version = 1, .v1 = dwFilterType};
	return register_object(hChange, g, hObject);
}

CL_EXPORT DWORD WINAPI RegisterClusterNotifyV2(HCHANGE hChange, NOTIFY_FILTER_AND_TYPE Filter,
					       HANDLE hObject, DWORD_PTR dwNotifyKey)
{
	struct cl_reg g = {.notify_key = dwNotifyKey, .version = 2, .v2type = Filter.dwObjectType,
			   .v2flags = (uint64_t)Filter.FilterFlags};
	return register_object(hChange, g, hObject);
}
