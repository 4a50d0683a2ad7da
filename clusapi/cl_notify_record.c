/* SPDX-License-Identifier: MIT */
/* Notification ports (cl_notify_i.h): the records a port gives (JSON
 * Lines, one per matching registration, with its port key) turned into the
 * V1 or V2 events the registrations asked for; the overflow record and the
 * end of the port (the daemon went away) turned into the events the shim
 * makes itself. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl_notify_i.h"

/* State words (as records carry them) to the Windows enum numbers. */
static DWORD state_number(const char *kind, const char *word)
{
	static const struct {
		const char *kind, *word;
		DWORD v;
	} t[] = {
		{"node", "up", 0},	       {"node", "down", 1},
		{"node", "paused", 2},	       {"node", "joining", 3},
		{"group", "online", 0},	       {"group", "offline", 1},
		{"group", "failed", 2},	       {"group", "partialonline", 3},
		{"group", "pending", 4},       {"resource", "inherited", 0},
		{"resource", "initializing", 1}, {"resource", "online", 2},
		{"resource", "offline", 3},    {"resource", "failed", 4},
		{"resource", "pending", 128},  {"resource", "onlinepending", 129},
		{"resource", "offlinepending", 130}, {"network", "unavailable", 0},
		{"network", "down", 1},	       {"network", "partitioned", 2},
		{"network", "up", 3},	       {"netinterface", "unavailable", 0},
		{"netinterface", "failed", 1}, {"netinterface", "unreachable", 2},
		{"netinterface", "up", 3},
	};
	for (size_t i = 0; word && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].kind, kind) == 0 && strcmp(t[i].word, word) == 0)
			return t[i].v;
	return (DWORD)-1;
}

/* A node's id from its name (owner lists name nodes; nodes are never
 * renamed); NULL when unknown. */
static char *node_id(struct cl_port *p, const char *name)
{
	char id[CL_ID_LEN + 1], *real = NULL;
	if (cl_lookup(p->mount, CL_NODE, name, id, &real) < 0)
		return NULL;
	free(real);
	return strdup(id);
}

/* ---- records -------------------------------------------------------- */

/* A record's fields (borrowed from the JSON object). */
struct rec {
	const char *kind, *change, *id, *name, *parent, *prop, *old, *new;
	DWORD v1, v2type;
	uint64_t v2flags, key;
};

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static uint64_t jnum(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static struct cl_reg *reg_by_key(struct cl_port *p, uint64_t key)
{
	for (size_t i = 0; i < p->nregs; i++)
		if (p->regs[i].key == key)
			return &p->regs[i];
	return NULL;
}

/* The resource type name of resource id, for V2 resource events: read
 * from the mount, else as last seen (the resource may be gone). */
static char *resource_type(struct cl_port *p, const char *id)
{
	char *tid = NULL, *name = NULL;
	const size_t nt = sizeof(p->types) / sizeof(p->types[0]);
	if (!id || strlen(id) != CL_ID_LEN)
		return NULL;
	if (cl_prop(p->mount, "Resources", id, "Type", &tid) == 0)
		cl_prop(p->mount, "ResourceTypes", tid, "Name", &name);
	free(tid);
	size_t at = nt;
	for (size_t i = 0; i < nt; i++)
		if (strcmp(p->types[i].id, id) == 0)
			at = i;
	if (!name)
		return at < nt && p->types[at].type ? strdup(p->types[at].type) : NULL;
	if (at == nt) {
		at = p->types_next++ % nt;
		memcpy(p->types[at].id, id, CL_ID_LEN + 1);
	}
	free(p->types[at].type);
	p->types[at].type = strdup(name);
	return name;
}

/* Fills a V2 event from a record (reference §2.5). */
static int v2_fill(struct cl_port *p, const struct rec *r, struct cl_event *ev)
{
	ev->v2type = r->v2type;
	ev->v2flag = r->v2flags;
	const char *k = r->kind, *c = r->change;
	bool is = false;
#define IS(kk, cc) (is = strcmp(k, kk) == 0 && strcmp(c, cc) == 0)
	if (strcmp(k, "registry") == 0) {
		/* Name: the key path; VALUE events name the value in ObjectId. */
		cl_set_str(&ev->name, r->name);
		if (r->v2flags == CLUSTER_CHANGE_REGISTRY_VALUE_V2)
			cl_set_str(&ev->id, r->prop);
		return 0;
	}
	if (strcmp(k, "resourcetype") == 0) {
		cl_set_str(&ev->name, r->name);
		return 0;
	}
	if (strcmp(k, "cluster") == 0) {
		if (strcmp(c, "renamed") == 0) {
			cl_set_str(&ev->name, r->new);
			return 0;
		}
		return cl_buf_proplist(ev, r->prop ? r->prop : "Name", r->new ? r->new : "");
	}
	cl_set_str(&ev->name, r->name);
	cl_set_str(&ev->id, r->id);
	/* Nodes and networks have no parent. */
	if (strcmp(k, "node") != 0 && strcmp(k, "network") != 0)
		cl_set_str(&ev->parent, r->parent);
	if (IS("resource", "deleted") && r->prop) {
		cl_set_str(&ev->type, r->prop); /* the record names it */
	} else if (strcmp(k, "resource") == 0) {
		char *t = resource_type(p, r->id);
		cl_set_str(&ev->type, t);
		free(t);
	}
	if (strcmp(c, "state") == 0)
		return cl_buf_dword(ev, state_number(k, r->new));
	if (IS("group", "added")) {
		/* CLUSTER_GROUP_ADDED_V2: the group type. */
		uint32_t type = ClusGroupTypeUnknown;
		cl_prop_u32(p->mount, "Groups", r->id, "GroupType", &type);
		return cl_buf_dword(ev, type);
	}
	if (IS("node", "added") || IS("node", "deleted"))
		return cl_buf_dword(ev, state_number("node", r->new ? r->new : r->old ? r->old : "down"));
	if (IS("resource", "added") || IS("resource", "deleted") || IS("resource", "group") ||
	    IS("group", "owner"))
		/* RESOURCE_ADDED: the group; DELETED: the previous group;
		 * OWNER_GROUP: the new group; OWNER_NODE: the new node. */
		return cl_buf_wstr(ev, r->parent ? r->parent : "", 0);
	if (IS("netinterface", "added"))
		return cl_buf_wstr(ev, r->parent ? r->parent : "", 0); /* the node */
	if (IS("group", "member_added") || IS("group", "member_removed") ||
	    IS("node", "group_gained") || IS("node", "group_lost"))
		return cl_buf_wstr(ev, r->prop ? r->prop : "", 0); /* the resource; the group */
	if (IS("resource", "dependents"))
		return cl_buf_multi(ev, r->prop, NULL, p); /* the dependents' ids */
	if (IS("group", "preferred_owners") || IS("resource", "possible_owners"))
		return cl_buf_multi(ev, r->new, node_id, p);
	if (IS("resource", "dependencies")) {
		/* The dependency expression: "[a] and [b]". */
		char *expr = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&expr, &len);
		if (!f)
			return -ENOMEM;
		char *copy = strdup(r->new ? r->new : "");
		int n = 0;
		for (char *save, *w = copy ? strtok_r(copy, "\n", &save) : NULL; w;
		     w = strtok_r(NULL, "\n", &save))
			fprintf(f, "%s[%s]", n++ ? " and " : "", w);
		fclose(f);
		free(copy);
		int e = expr ? cl_buf_wstr(ev, expr, 0) : -ENOMEM;
		free(expr);
		return e;
	}
	if (strcmp(c, "renamed") == 0)
		return cl_buf_proplist(ev, "Name", r->new ? r->new : "");
	if (strcmp(c, "property") == 0)
		return cl_buf_proplist(ev, r->prop ? r->prop : "", r->new ? r->new : "");
	(void)is;
#undef IS
	return 0;
}

/* Turns one record line into events. Lock held. */
static void dispatch(struct cl_port *p, const char *line)
{
	json_tokener_reset(p->tok);
	json_object *o = json_tokener_parse_ex(p->tok, line, (int)strlen(line));
	if (!o)
		return;
	struct rec r = {
		.kind = jstr(o, "kind"),
		.change = jstr(o, "change"),
		.id = jstr(o, "id"),
		.name = jstr(o, "name"),
		.parent = jstr(o, "parent"),
		.prop = jstr(o, "prop"),
		.old = jstr(o, "old"),
		.new = jstr(o, "new"),
		.v1 = (DWORD)jnum(o, "v1"),
		.v2type = (DWORD)jnum(o, "v2type"),
		.v2flags = jnum(o, "v2flags"),
		.key = jnum(o, "key"),
	};
	if (!r.change) {
		json_object_put(o);
		return;
	}
	if (strcmp(r.change, "overflow") == 0) {
		/* Records were lost to this port: RECONNECT (V1) or
		 * LOST_NOTIFICATIONS (V2) to each registration that asked for
		 * it, else to the first, so a loss is never silent. */
		bool told = false;
		for (size_t i = 0; i <= p->nregs && p->nregs; i++) {
			struct cl_reg *g = &p->regs[i < p->nregs ? i : 0];
			bool v1 = g->version == 1;
			bool asked = v1 ? (g->v1 & CLUSTER_CHANGE_CLUSTER_RECONNECT) != 0
					: g->v2type == CLUSTER_OBJECT_TYPE_CLUSTER &&
						  (g->v2flags & (CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2 |
								 CLUSTER_CHANGE_CLUSTER_RECONNECT_V2));
			if (i == p->nregs ? told : !asked)
				continue;
			struct cl_event *ev = cl_event_new(g, cl_port_cluster_name(p));
			if (ev) {
				ev->v1 = CLUSTER_CHANGE_CLUSTER_RECONNECT;
				ev->v2type = CLUSTER_OBJECT_TYPE_CLUSTER;
				ev->v2flag = !v1 && (g->v2flags & CLUSTER_CHANGE_CLUSTER_RECONNECT_V2) &&
							     !(g->v2flags & CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2)
						     ? CLUSTER_CHANGE_CLUSTER_RECONNECT_V2
						     : CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2;
				if (!v1)
					cl_set_str(&ev->name, "");
			}
			cl_port_push(p, ev);
			told = true;
		}
		json_object_put(o);
		return;
	}
	struct cl_reg *g = r.kind ? reg_by_key(p, r.key) : NULL;
	if (g) {
		struct cl_event *ev = cl_event_new(g, NULL);
		if (ev) {
			ev->v1 = r.v1;
			/* V1 names: the object's name; registry: the key path
			 * from the root; cluster: its (new) name. */
			if (strcmp(r.kind, "cluster") == 0)
				cl_set_str(&ev->name, r.change && strcmp(r.change, "renamed") == 0 && r.new
							      ? r.new
							      : cl_port_cluster_name(p));
			else
				cl_set_str(&ev->name, r.name);
			if (g->version == 2) {
				cl_set_str(&ev->name, "");
				if (v2_fill(p, &r, ev) < 0) {
					cl_event_free(ev);
					ev = NULL;
				}
			}
			cl_port_push(p, ev);
		}
	}
	json_object_put(o);
}

/* Dispatches the whole lines of what a read returned (n bytes, or -1 with
 * errno). Lock held. 1 when there was something, 0 when there was nothing,
 * -errno when the port is gone (-ENOTCONN at its end). */
int cl_port_take(struct cl_port *p, const char *buf, ssize_t n)
{
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ENOTCONN;
	char *nb = realloc(p->partial, p->plen + (size_t)n + 1);
	if (!nb)
		return 0; /* try again later */
	p->partial = nb;
	memcpy(p->partial + p->plen, buf, (size_t)n);
	p->plen += (size_t)n;
	p->partial[p->plen] = '\0';
	char *start = p->partial, *nl;
	while ((nl = memchr(start, '\n', p->plen - (size_t)(start - p->partial)))) {
		*nl = '\0';
		dispatch(p, start);
		start = nl + 1;
	}
	p->plen -= (size_t)(start - p->partial);
	memmove(p->partial, start, p->plen);
	return 1;
}

/* Reads what the port has, without blocking. Lock held, and only when no
 * other thread reads (!p->polling). */
int cl_port_fill(struct cl_port *p)
{
	char buf[65536];
	return cl_port_take(p, buf, read(p->fd, buf, sizeof(buf)));
}

/* The daemon went away: CLUSTER_STATE to registrations that asked. */
void cl_port_lost(struct cl_port *p)
{
	if (p->lost)
		return;
	p->lost = true;
	for (size_t i = 0; i < p->nregs; i++) {
		struct cl_reg *g = &p->regs[i];
		bool asked = g->version == 1 ? (g->v1 & CLUSTER_CHANGE_CLUSTER_STATE) != 0
					     : g->v2type == CLUSTER_OBJECT_TYPE_CLUSTER &&
						       (g->v2flags & CLUSTER_CHANGE_CLUSTER_STATE_V2);
		if (!asked)
			continue;
		struct cl_event *ev =
			cl_event_new(g, g->version == 1 ? cl_port_cluster_name(p) : "");
		if (ev) {
			ev->v1 = CLUSTER_CHANGE_CLUSTER_STATE;
			ev->v2type = CLUSTER_OBJECT_TYPE_CLUSTER;
			ev->v2flag = CLUSTER_CHANGE_CLUSTER_STATE_V2;
		}
		cl_port_push(p, ev);
	}
}
