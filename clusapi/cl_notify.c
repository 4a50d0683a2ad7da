/* SPDX-License-Identifier: MIT */
/* Notification ports.
 *
 * An HCHANGE is an anonymous clusterfs port (ports/clone, opened O_RDWR).
 * Every registration (a CreateClusterNotifyPort filter, a
 * RegisterClusterNotify call, a V2 filter) becomes filter lines on that
 * port with its own port key; the daemon then sends one record per
 * matching registration, in global order, each with that key. The shim
 * maps the key back to the registration and turns the record into the V1
 * or V2 event the registration asked for.
 *
 * The shim adds what clusapi.dll makes on the client side: HANDLE_CLOSE
 * when a registered handle is closed, CLUSTER_RECONNECT (V1) and
 * CLUSTER_LOST_NOTIFICATIONS (V2) when the port overflowed, and
 * CLUSTER_STATE when the daemon went away.
 *
 * Concurrency: p->mu guards everything in the port. At most one waiter at
 * a time polls the descriptor without the lock (p->polling); others wait on
 * p->cv. Close sets p->closed, signals the wake eventfd and broadcasts, so
 * every waiter returns ERROR_INVALID_HANDLE; the memory lives until the
 * last call holding a reference returns. Lock order: port lock, then the
 * handle table's lock. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cl_i.h"

/* The V1 bits the shim makes itself or that only modify others. */
#define V1_CLIENT                                                                      \
	(CLUSTER_CHANGE_HANDLE_CLOSE | CLUSTER_CHANGE_CLUSTER_STATE |                     \
	 CLUSTER_CHANGE_CLUSTER_RECONNECT | CLUSTER_CHANGE_REGISTRY_SUBTREE)
#define V1_REGISTRY                                                                    \
	(CLUSTER_CHANGE_REGISTRY_NAME | CLUSTER_CHANGE_REGISTRY_ATTRIBUTES |              \
	 CLUSTER_CHANGE_REGISTRY_VALUE)

struct cl_reg {
	uint64_t key;	      /* the port key of its filter lines */
	DWORD_PTR notify_key; /* the caller's */
	int version;	      /* 1 or 2 */
	DWORD v1;	      /* V1: the filter, client bits included */
	DWORD v2type;	      /* V2: object type and flags */
	uint64_t v2flags;
	struct cl_obj *obj; /* the registered handle (a reference); NULL: none */
};

struct cl_event {
	struct cl_event *next;
	DWORD_PTR notify_key;
	DWORD v1;
	DWORD v2type;
	uint64_t v2flag;
	char *name, *id, *parent, *type; /* UTF-8, never NULL */
	BYTE *buf;
	size_t buflen;
};

struct cl_port {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;	     /* the port file */
	int wakefd;  /* eventfd: signalled at close, wakes the poller */
	int readyfd; /* eventfd: signalled while events are queued here */
	int epfd;    /* epoll over fd and readyfd: the event handle's fd */
	bool ready;  /* readyfd is signalled */
	char *mount;
	char *cluster_name; /* for RECONNECT and CLUSTER_STATE names */
	bool closed, lost;
	/* One thread at a time reads the port (polling); a thread that
	 * must read now (a HANDLE_CLOSE drain) counts itself in drainers,
	 * so waiters leave the reading to it. */
	bool polling;
	unsigned drainers;
	int64_t wait_ms; /* the daemon's "wait" for this reader (-1: not set) */
	struct cl_event *head, *tail;
	char *partial; /* an incomplete line from the last read */
	size_t plen;
	struct cl_reg *regs;
	size_t nregs;
	uint64_t next_key;
	HANDLE event; /* GetNotifyEventHandle's handle, or NULL */
	json_tokener *tok; /* reused for every record line */
	/* Resources' type names as last seen, for events about resources
	 * that are gone by the time their record is read. */
	struct {
		char id[CL_ID_LEN + 1];
		char *type;
	} types[64];
	unsigned types_next;
	uint64_t stat_events;
};

/* ---- events --------------------------------------------------------- */

static void event_free(struct cl_event *ev)
{
	if (!ev)
		return;
	free(ev->name);
	free(ev->id);
	free(ev->parent);
	free(ev->type);
	free(ev->buf);
	free(ev);
}

static struct cl_event *event_new(const struct cl_reg *g, const char *name)
{
	struct cl_event *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->notify_key = g->notify_key;
	ev->name = strdup(name ? name : "");
	ev->id = strdup("");
	ev->parent = strdup("");
	ev->type = strdup("");
	if (!ev->name || !ev->id || !ev->parent || !ev->type) {
		event_free(ev);
		return NULL;
	}
	return ev;
}

static void set_str(char **field, const char *s)
{
	char *n = strdup(s ? s : "");
	if (n) {
		free(*field);
		*field = n;
	}
}

/* Keeps readyfd signalled exactly while events are queued. Lock held. */
static void update_ready(struct cl_port *p)
{
	bool want = p->head != NULL;
	uint64_t v = 1;
	if (want && !p->ready)
		p->ready = write(p->readyfd, &v, sizeof(v)) == sizeof(v);
	else if (!want && p->ready)
		p->ready = !(read(p->readyfd, &v, sizeof(v)) == sizeof(v));
}

static void push(struct cl_port *p, struct cl_event *ev)
{
	if (!ev)
		return;
	if (p->tail)
		p->tail->next = ev;
	else
		p->head = ev;
	p->tail = ev;
	p->stat_events++;
}

static struct cl_event *pop(struct cl_port *p)
{
	struct cl_event *ev = p->head;
	if (ev) {
		p->head = ev->next;
		if (!p->head)
			p->tail = NULL;
	}
	return ev;
}

/* The cluster's current name (for RECONNECT, CLUSTER_STATE, HANDLE_CLOSE
 * and cluster events); the last one known once the daemon is gone. Lock
 * held. */
static const char *cluster_name(struct cl_port *p)
{
	char *name;
	if (!p->lost && cl_read_line(p->mount, "name", &name) == 0) {
		free(p->cluster_name);
		p->cluster_name = name;
	}
	return p->cluster_name ? p->cluster_name : "";
}

/* ---- payloads ------------------------------------------------------- */

static int buf_put(struct cl_event *ev, const void *data, size_t len)
{
	BYTE *b = realloc(ev->buf, ev->buflen + len);
	if (!b)
		return -ENOMEM;
	memcpy(b + ev->buflen, data, len);
	ev->buf = b;
	ev->buflen += len;
	return 0;
}

static int buf_dword(struct cl_event *ev, DWORD v)
{
	BYTE b[4] = {(BYTE)v, (BYTE)(v >> 8), (BYTE)(v >> 16), (BYTE)(v >> 24)};
	return buf_put(ev, b, 4);
}

/* UTF-16LE with its NUL, padded with zeros to a multiple of pad bytes. */
static int buf_wstr(struct cl_event *ev, const char *s, size_t pad)
{
	WCHAR *w = NULL;
	size_t n = 0;
	int e = cl_utf8_to_wide(s, strlen(s), &w, &n);
	for (size_t i = 0; e == 0 && i <= n; i++) {
		BYTE b[2] = {(BYTE)w[i], (BYTE)(w[i] >> 8)};
		e = buf_put(ev, b, 2);
	}
	free(w);
	static const BYTE zero[4];
	size_t bytes = (n + 1) * 2;
	if (e == 0 && pad && bytes % pad)
		e = buf_put(ev, zero, pad - bytes % pad);
	return e;
}

/* A MULTI_SZ of items (newline-separated), each mapped through map (may
 * be NULL). */
static int buf_multi(struct cl_event *ev, const char *items, char *(*map)(struct cl_port *, const char *),
		     struct cl_port *p)
{
	char *copy = strdup(items ? items : "");
	int e = copy ? 0 : -ENOMEM;
	for (char *save, *w = e ? NULL : strtok_r(copy, "\n", &save); w && e == 0;
	     w = strtok_r(NULL, "\n", &save)) {
		char *m = map ? map(p, w) : NULL;
		e = buf_wstr(ev, m ? m : w, 0);
		free(m);
	}
	free(copy);
	static const BYTE nul[2];
	return e ? e : buf_put(ev, nul, 2);
}

/* A property list with one string property (CLUSPROP format: count, then
 * name, value, end mark, each DWORD-aligned). */
static int buf_proplist(struct cl_event *ev, const char *name, const char *value)
{
	int e = buf_dword(ev, 1);
	WCHAR *w;
	size_t n;
	if (e == 0 && cl_utf8_to_wide(name, strlen(name), &w, &n) == 0) {
		free(w);
		e = buf_dword(ev, CLUSPROP_SYNTAX_NAME);
		e = e ? e : buf_dword(ev, (DWORD)((n + 1) * 2));
		e = e ? e : buf_wstr(ev, name, 4);
	}
	if (e == 0 && cl_utf8_to_wide(value, strlen(value), &w, &n) == 0) {
		free(w);
		e = buf_dword(ev, CLUSPROP_SYNTAX_LIST_VALUE_SZ);
		e = e ? e : buf_dword(ev, (DWORD)((n + 1) * 2));
		e = e ? e : buf_wstr(ev, value, 4);
	}
	return e ? e : buf_dword(ev, CLUSPROP_SYNTAX_ENDMARK);
}

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
		set_str(&ev->name, r->name);
		if (r->v2flags == CLUSTER_CHANGE_REGISTRY_VALUE_V2)
			set_str(&ev->id, r->prop);
		return 0;
	}
	if (strcmp(k, "resourcetype") == 0) {
		set_str(&ev->name, r->name);
		return 0;
	}
	if (strcmp(k, "cluster") == 0) {
		if (strcmp(c, "renamed") == 0) {
			set_str(&ev->name, r->new);
			return 0;
		}
		return buf_proplist(ev, r->prop ? r->prop : "Name", r->new ? r->new : "");
	}
	set_str(&ev->name, r->name);
	set_str(&ev->id, r->id);
	/* Nodes and networks have no parent. */
	if (strcmp(k, "node") != 0 && strcmp(k, "network") != 0)
		set_str(&ev->parent, r->parent);
	if (IS("resource", "deleted") && r->prop) {
		set_str(&ev->type, r->prop); /* the record names it */
	} else if (strcmp(k, "resource") == 0) {
		char *t = resource_type(p, r->id);
		set_str(&ev->type, t);
		free(t);
	}
	if (strcmp(c, "state") == 0)
		return buf_dword(ev, state_number(k, r->new));
	if (IS("group", "added")) {
		/* CLUSTER_GROUP_ADDED_V2: the group type. */
		uint32_t type = ClusGroupTypeUnknown;
		cl_prop_u32(p->mount, "Groups", r->id, "GroupType", &type);
		return buf_dword(ev, type);
	}
	if (IS("node", "added") || IS("node", "deleted"))
		return buf_dword(ev, state_number("node", r->new ? r->new : r->old ? r->old : "down"));
	if (IS("resource", "added") || IS("resource", "deleted") || IS("resource", "group") ||
	    IS("group", "owner"))
		/* RESOURCE_ADDED: the group; DELETED: the previous group;
		 * OWNER_GROUP: the new group; OWNER_NODE: the new node. */
		return buf_wstr(ev, r->parent ? r->parent : "", 0);
	if (IS("netinterface", "added"))
		return buf_wstr(ev, r->parent ? r->parent : "", 0); /* the node */
	if (IS("group", "member_added") || IS("group", "member_removed") ||
	    IS("node", "group_gained") || IS("node", "group_lost"))
		return buf_wstr(ev, r->prop ? r->prop : "", 0); /* the resource; the group */
	if (IS("resource", "dependents"))
		return buf_multi(ev, r->prop, NULL, p); /* the dependents' ids */
	if (IS("group", "preferred_owners") || IS("resource", "possible_owners"))
		return buf_multi(ev, r->new, node_id, p);
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
		int e = expr ? buf_wstr(ev, expr, 0) : -ENOMEM;
		free(expr);
		return e;
	}
	if (strcmp(c, "renamed") == 0)
		return buf_proplist(ev, "Name", r->new ? r->new : "");
	if (strcmp(c, "property") == 0)
		return buf_proplist(ev, r->prop ? r->prop : "", r->new ? r->new : "");
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
			struct cl_event *ev = event_new(g, cluster_name(p));
			if (ev) {
				ev->v1 = CLUSTER_CHANGE_CLUSTER_RECONNECT;
				ev->v2type = CLUSTER_OBJECT_TYPE_CLUSTER;
				ev->v2flag = !v1 && (g->v2flags & CLUSTER_CHANGE_CLUSTER_RECONNECT_V2) &&
							     !(g->v2flags & CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2)
						     ? CLUSTER_CHANGE_CLUSTER_RECONNECT_V2
						     : CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2;
				if (!v1)
					set_str(&ev->name, "");
			}
			push(p, ev);
			told = true;
		}
		json_object_put(o);
		return;
	}
	struct cl_reg *g = r.kind ? reg_by_key(p, r.key) : NULL;
	if (g) {
		struct cl_event *ev = event_new(g, NULL);
		if (ev) {
			ev->v1 = r.v1;
			/* V1 names: the object's name; registry: the key path
			 * from the root; cluster: its (new) name. */
			if (strcmp(r.kind, "cluster") == 0)
				set_str(&ev->name, r.change && strcmp(r.change, "renamed") == 0 && r.new
							   ? r.new
							   : cluster_name(p));
			else
				set_str(&ev->name, r.name);
			if (g->version == 2) {
				set_str(&ev->name, "");
				if (v2_fill(p, &r, ev) < 0) {
					event_free(ev);
					ev = NULL;
				}
			}
			push(p, ev);
		}
	}
	json_object_put(o);
}

/* Dispatches the whole lines of what a read returned (n bytes, or -1 with
 * errno). Lock held. 1 when there was something, 0 when there was nothing,
 * -errno when the port is gone (-ENOTCONN at its end). */
static int port_take(struct cl_port *p, const char *buf, ssize_t n)
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
static int port_fill(struct cl_port *p)
{
	char buf[65536];
	return port_take(p, buf, read(p->fd, buf, sizeof(buf)));
}

/* The daemon went away: CLUSTER_STATE to registrations that asked. */
static void port_lost(struct cl_port *p)
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
		struct cl_event *ev = event_new(g, g->version == 1 ? cluster_name(p) : "");
		if (ev) {
			ev->v1 = CLUSTER_CHANGE_CLUSTER_STATE;
			ev->v2type = CLUSTER_OBJECT_TYPE_CLUSTER;
			ev->v2flag = CLUSTER_CHANGE_CLUSTER_STATE_V2;
		}
		push(p, ev);
	}
}

/* ---- ports ---------------------------------------------------------- */

static void port_free(struct cl_port *p)
{
	if (!p)
		return;
	for (struct cl_event *ev; (ev = pop(p));)
		event_free(ev);
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
	port_free(o->u.port);
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
		port_free(p);
		return e;
	}
	*ret = p;
	return 0;
}

/* Writes text to the port (filter lines). Lock held. */
static int port_write(struct cl_port *p, const char *text)
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
	int e = *lines ? port_write(p, lines) : 0;
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
			port_free(p);
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

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms for an event and gives it to copy(); the event is
 * removed unless copy says ERROR_MORE_DATA. */
static DWORD port_get(HCHANGE hChange, DWORD ms, DWORD (*copy)(const struct cl_event *, void *),
		      void *arg)
{
	struct cl_obj *po = cl_handle_get((HANDLE)hChange, CL_PORT);
	if (!po)
		return cl_set_error(ERROR_INVALID_HANDLE);
	struct cl_port *p = po->u.port;
	const bool forever = ms == INFINITE;
	bool first_wait = true;
	const int64_t deadline = forever ? 0 : now_ms() + ms;
	DWORD r;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->closed) {
			r = ERROR_INVALID_HANDLE;
			break;
		}
		if (!p->head && !p->lost && !p->polling && !p->drainers && port_fill(p) < 0)
			port_lost(p);
		if (p->head) {
			r = copy(p->head, arg);
			if (r != ERROR_MORE_DATA)
				event_free(pop(p));
			break;
		}
		if (p->lost) {
			r = RPC_S_SERVER_UNAVAILABLE;
			break;
		}
		int64_t left = forever ? 0 : deadline - now_ms();
		if (!forever && left <= 0) {
			r = WAIT_TIMEOUT;
			break;
		}
		if (p->polling || p->drainers) {
			if (forever) {
				pthread_cond_wait(&p->cv, &p->mu);
			} else {
				struct timespec ts;
				clock_gettime(CLOCK_MONOTONIC, &ts);
				ts.tv_sec += left / 1000;
				ts.tv_nsec += (left % 1000) * 1000000;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				pthread_cond_timedwait(&p->cv, &p->mu, &ts);
			}
			continue;
		}
		/* This thread reads. The first wait of a call is one blocking
		 * read that the daemon answers with the first record, or with
		 * EAGAIN after the call's timeout ("wait MS") or at a "wake";
		 * a wait for the rest of a timeout polls. */
		p->polling = true;
		bool blocking = forever || first_wait;
		first_wait = false;
		int64_t want = forever ? 0 : (int64_t)ms;
		pthread_mutex_unlock(&p->mu);
		char buf[65536];
		ssize_t n = -1;
		int err = EAGAIN;
		if (blocking && want != p->wait_ms) {
			char line[32];
			snprintf(line, sizeof(line), "wait %lld\n", (long long)want);
			if (port_write(p, line) == 0)
				p->wait_ms = want;
			else
				blocking = false;
		}
		if (blocking) {
			int fl = fcntl(p->fd, F_GETFL);
			if (fl >= 0 && fcntl(p->fd, F_SETFL, fl & ~O_NONBLOCK) == 0) {
				n = read(p->fd, buf, sizeof(buf));
				err = errno;
				fcntl(p->fd, F_SETFL, fl);
			} else {
				blocking = false;
			}
		}
		if (!blocking) {
			struct pollfd fds[2] = {{.fd = p->fd, .events = POLLIN},
						{.fd = p->wakefd, .events = POLLIN}};
			/* Signals do not interrupt the call: it waits again. */
			int pr = poll(fds, 2, forever ? -1 : left > INT32_MAX ? INT32_MAX : (int)left);
			uint64_t v;
			/* The wake eventfd also says "events were queued
			 * here" (a HANDLE_CLOSE); drained unless closing. */
			if (pr > 0 && (fds[1].revents & POLLIN) && !p->closed &&
			    read(p->wakefd, &v, sizeof(v)) < 0) {
				/* nothing to drain */
			}
		}
		pthread_mutex_lock(&p->mu);
		p->polling = false;
		errno = err;
		if (blocking && port_take(p, buf, n) < 0)
			port_lost(p);
		pthread_cond_broadcast(&p->cv);
	}
	update_ready(p);
	pthread_mutex_unlock(&p->mu);
	cl_obj_put(po);
	return cl_set_error(r);
}

struct v1_out {
	DWORD_PTR *key;
	LPDWORD type;
	LPWSTR name;
	LPDWORD cch;
};

static DWORD copy_v1(const struct cl_event *ev, void *arg)
{
	struct v1_out *o = arg;
	DWORD r = cl_copy_out(ev->name, o->name, o->cch);
	if (r == ERROR_MORE_DATA)
		return r; /* *cch = the length needed, without the NUL */
	if (o->key)
		*o->key = ev->notify_key;
	if (o->type)
		*o->type = ev->v1;
	return r;
}

CL_EXPORT DWORD WINAPI GetClusterNotify(HCHANGE hChange, DWORD_PTR *lpdwNotifyKey,
					LPDWORD lpdwFilterType, LPWSTR lpszName,
					LPDWORD lpcchName, DWORD dwMilliseconds)
{
	if (lpszName && !lpcchName)
		return cl_set_error(ERROR_INVALID_PARAMETER); /* a buffer of no size */
	struct v1_out o = {lpdwNotifyKey, lpdwFilterType, lpszName, lpcchName};
	return port_get(hChange, dwMilliseconds, copy_v1, &o);
}

struct v2_out {
	DWORD_PTR *key;
	PNOTIFY_FILTER_AND_TYPE ft;
	BYTE *buf;
	LPDWORD cb;
	LPWSTR str[4];
	LPDWORD cch[4];
};

/* The length of s in UTF-16 units. */
static DWORD units(const char *s)
{
	WCHAR *w;
	size_t n = 0;
	if (cl_utf8_to_wide(s, strlen(s), &w, &n) == 0)
		free(w);
	return (DWORD)n;
}

static DWORD copy_v2(const struct cl_event *ev, void *arg)
{
	struct v2_out *o = arg;
	const char *s[4] = {ev->id, ev->parent, ev->name, ev->type};
	/* First check every buffer: on ERROR_MORE_DATA each one that is too
	 * small gets the size it needs (strings: with the NUL, so the count
	 * can be passed back as the capacity), the others keep theirs, and
	 * the event stays queued. */
	bool more = false;
	if (o->cb && (!o->buf || *o->cb < ev->buflen)) {
		if (ev->buflen || !o->buf) {
			more = more || ev->buflen > 0;
			if (ev->buflen)
				*o->cb = (DWORD)ev->buflen;
		}
	}
	for (int i = 0; i < 4; i++) {
		if (!o->cch[i])
			continue;
		DWORD need = units(s[i]) + 1;
		if (!o->str[i] || *o->cch[i] < need) {
			*o->cch[i] = need;
			more = true;
		}
	}
	if (more)
		return ERROR_MORE_DATA;
	for (int i = 0; i < 4; i++)
		if (o->cch[i])
			cl_copy_out(s[i], o->str[i], o->cch[i]);
	if (o->cb) {
		if (ev->buflen)
			memcpy(o->buf, ev->buf, ev->buflen);
		*o->cb = (DWORD)ev->buflen;
	}
	if (o->key)
		*o->key = ev->notify_key;
	if (o->ft) {
		o->ft->dwObjectType = ev->v2type;
		o->ft->FilterFlags = (LONGLONG)ev->v2flag;
	}
	return ERROR_SUCCESS;
}

CL_EXPORT DWORD WINAPI GetClusterNotifyV2(HCHANGE hChange, DWORD_PTR *lpdwNotifyKey,
					  PNOTIFY_FILTER_AND_TYPE pFilterAndType, BYTE *buffer,
					  LPDWORD lpbBufferSize, LPWSTR lpszObjectId,
					  LPDWORD lpcchObjectId, LPWSTR lpszParentId,
					  LPDWORD lpcchParentId, LPWSTR lpszName, LPDWORD lpcchName,
					  LPWSTR lpszType, LPDWORD lpcchType, DWORD dwMilliseconds)
{
	if ((buffer && !lpbBufferSize) || (lpszObjectId && !lpcchObjectId) ||
	    (lpszParentId && !lpcchParentId) || (lpszName && !lpcchName) || (lpszType && !lpcchType))
		return cl_set_error(ERROR_INVALID_PARAMETER); /* a buffer of no size */
	struct v2_out o = {lpdwNotifyKey,
			   pFilterAndType,
			   buffer,
			   lpbBufferSize,
			   {lpszObjectId, lpszParentId, lpszName, lpszType},
			   {lpcchObjectId, lpcchParentId, lpcchName, lpcchType}};
	return port_get(hChange, dwMilliseconds, copy_v2, &o);
}

CL_EXPORT BOOL WINAPI CloseClusterNotifyPort(HCHANGE hChange)
{
	struct cl_obj *po = cl_handle_take((HANDLE)hChange, CL_PORT);
	if (!po) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	struct cl_port *p = po->u.port;
	uint64_t one = 1;
	pthread_mutex_lock(&p->mu);
	p->closed = true;
	/* Queued events are thrown away; waiters get ERROR_INVALID_HANDLE. */
	for (struct cl_event *ev; (ev = pop(p));)
		event_free(ev);
	if (write(p->wakefd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on overflow: already signalled */
	}
	pthread_cond_broadcast(&p->cv);
	HANDLE event = p->event;
	p->event = NULL;
	bool reading = p->polling;
	pthread_mutex_unlock(&p->mu);
	/* A blocked read ends at the daemon's "wake" (if it has not parked
	 * yet, its read returns at once). */
	if (reading)
		port_write(p, "wake\n");
	struct cl_obj *eo = event ? cl_handle_take(event, CL_EVENT) : NULL;
	cl_obj_put(eo);
	cl_obj_put(po);
	return TRUE;
}

CL_EXPORT DWORD WINAPI GetNotifyEventHandle(HCHANGE hChange, LPHANDLE lphTargetEvent)
{
	if (!lphTargetEvent)
		return cl_set_error(ERROR_INVALID_PARAMETER);
	struct cl_obj *po = cl_handle_get((HANDLE)hChange, CL_PORT);
	if (!po)
		return cl_set_error(ERROR_INVALID_HANDLE);
	struct cl_port *p = po->u.port;
	DWORD r = ERROR_SUCCESS;
	pthread_mutex_lock(&p->mu);
	if (p->closed)
		r = ERROR_INVALID_HANDLE;
	else if (!p->event) {
		/* The event handle keeps the port's memory while it lives; it
		 * dies with CloseClusterNotifyPort. */
		struct cl_obj *eo = calloc(1, sizeof(*eo));
		if (eo) {
			eo->kind = CL_EVENT;
			eo->u.port = p;
		}
		if (!eo || cl_handle_child(po, eo, &p->event) < 0)
			r = ERROR_NOT_ENOUGH_MEMORY;
	}
	if (r == ERROR_SUCCESS)
		*lphTargetEvent = p->event;
	update_ready(p);
	pthread_mutex_unlock(&p->mu);
	cl_obj_put(po);
	return cl_set_error(r);
}

CL_EXPORT int ClusapiEventFd(HANDLE hEvent)
{
	struct cl_obj *eo = cl_handle_get(hEvent, CL_EVENT);
	if (!eo) {
		cl_set_error(ERROR_INVALID_HANDLE);
		return -1;
	}
	int fd = eo->u.port->epfd;
	cl_obj_put(eo);
	return fd;
}

/* ---- HANDLE_CLOSE --------------------------------------------------- */

static DWORD v2_handle_close(enum cl_kind k, DWORD *type)
{
	switch (k) {
	case CL_CLUSTER:
		*type = CLUSTER_OBJECT_TYPE_CLUSTER;
		return CLUSTER_CHANGE_CLUSTER_HANDLE_CLOSE_V2;
	case CL_GROUP:
		*type = CLUSTER_OBJECT_TYPE_GROUP;
		return CLUSTER_CHANGE_GROUP_HANDLE_CLOSE_V2;
	case CL_RESOURCE:
		*type = CLUSTER_OBJECT_TYPE_RESOURCE;
		return CLUSTER_CHANGE_RESOURCE_HANDLE_CLOSE_V2;
	case CL_NODE:
		*type = CLUSTER_OBJECT_TYPE_NODE;
		return CLUSTER_CHANGE_NODE_HANDLE_CLOSE_V2;
	case CL_NETWORK:
		*type = CLUSTER_OBJECT_TYPE_NETWORK;
		return CLUSTER_CHANGE_NETWORK_HANDLE_CLOSE_V2;
	case CL_NETIF:
		*type = CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE;
		return CLUSTER_CHANGE_NETINTERFACE_HANDLE_CLOSE_V2;
	case CL_KEY:
		*type = CLUSTER_OBJECT_TYPE_REGISTRY;
		return CLUSTER_CHANGE_REGISTRY_HANDLE_CLOSE_V2;
	default:
		*type = 0;
		return 0;
	}
}

static void port_handle_closed(struct cl_obj *po, void *arg)
{
	struct cl_obj *o = arg;
	struct cl_port *p = po->u.port;
	pthread_mutex_lock(&p->mu);
	bool registered = false;
	for (size_t i = 0; i < p->nregs; i++)
		registered = registered || p->regs[i].obj == o;
	pthread_mutex_unlock(&p->mu);
	if (!registered) {
		cl_obj_put(po);
		return;
	}
	/* The closed object's name: current if it still exists. */
	char *name = NULL;
	if (o->kind == CL_CLUSTER) {
		pthread_mutex_lock(&p->mu);
		name = strdup(cluster_name(p));
		pthread_mutex_unlock(&p->mu);
	} else if (o->kind == CL_KEY) {
		name = strdup(o->u.key.path);
	} else if (cl_object_name(o, &name) < 0) {
		name = strdup(o->u.object.name ? o->u.object.name : "");
	}
	pthread_mutex_lock(&p->mu);
	/* What was committed before the close comes before HANDLE_CLOSE:
	 * take it in now, as removing the registration drops what the port
	 * still holds for it. */
	int e = 0;
	if (!p->closed && !p->lost) {
		/* Take over the reading: end a waiter's blocked read. */
		p->drainers++;
		while (p->polling) {
			uint64_t one = 1;
			pthread_mutex_unlock(&p->mu);
			port_write(p, "wake\n");
			if (write(p->wakefd, &one, sizeof(one)) < 0) {
				/* already signalled */
			}
			pthread_mutex_lock(&p->mu);
			if (p->polling)
				pthread_cond_wait(&p->cv, &p->mu);
		}
		while (!p->lost && (e = port_fill(p)) > 0)
			;
		if (e < 0)
			port_lost(p);
		p->drainers--;
	}
	size_t k = 0;
	for (size_t i = 0; i < p->nregs; i++) {
		struct cl_reg *g = &p->regs[i];
		if (g->obj != o) {
			p->regs[k++] = *g;
			continue;
		}
		DWORD type, flag = v2_handle_close(o->kind, &type);
		bool asked = g->version == 1 ? (g->v1 & CLUSTER_CHANGE_HANDLE_CLOSE) != 0
					     : g->v2type == type && (g->v2flags & flag);
		if (asked && !p->closed) {
			struct cl_event *ev = event_new(g, name);
			if (ev) {
				ev->v1 = CLUSTER_CHANGE_HANDLE_CLOSE;
				ev->v2type = type;
				ev->v2flag = flag;
				if (o->kind != CL_CLUSTER && o->kind != CL_KEY)
					set_str(&ev->id, o->u.object.id);
			}
			push(p, ev);
		}
		/* The registration ends with its handle. */
		char line[64];
		snprintf(line, sizeof(line), "remove key=%llu\n", (unsigned long long)g->key);
		if (!p->closed)
			port_write(p, line);
		cl_obj_put(g->obj);
	}
	p->nregs = k;
	update_ready(p);
	pthread_cond_broadcast(&p->cv);
	uint64_t one = 1;
	if (p->head && write(p->wakefd, &one, sizeof(one)) < 0) {
		/* already signalled */
	}
	pthread_mutex_unlock(&p->mu);
	free(name);
	cl_obj_put(po);
}

void cl_notify_handle_closed(struct cl_obj *o)
{
	cl_handle_foreach_kind(CL_PORT, port_handle_closed, o);
}

/* ---- replay, for the fuzz harness ------------------------------------ */

long cl_notify_replay(const char *mount, const char *text, size_t len, size_t chunk, DWORD cch)
{
	enum { NTYPES = CLUSTER_OBJECT_TYPE_REGISTRY };
	struct cl_port *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = p->wakefd = p->readyfd = p->epfd = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->wait_ms = -1;
	p->regs = calloc(NTYPES + 1, sizeof(*p->regs));
	if (!(p->mount = strdup(mount)) || !(p->tok = json_tokener_new()) || !p->regs) {
		port_free(p);
		return -ENOMEM;
	}
	/* Key 1: V1, every bit; keys 2..: V2, one object type each, every flag. */
	p->regs[0] = (struct cl_reg){.key = 1, .notify_key = 1, .version = 1,
				     .v1 = CLUSTER_CHANGE_ALL};
	for (DWORD t = 1; t <= NTYPES; t++)
		p->regs[t] = (struct cl_reg){.key = t + 1, .notify_key = t + 1, .version = 2,
					     .v2type = t, .v2flags = ~0ull};
	p->nregs = p->next_key = NTYPES + 1;
	pthread_mutex_lock(&p->mu);
	for (size_t off = 0; off < len; off += chunk ? chunk : len) {
		size_t n = chunk && len - off > chunk ? chunk : len - off;
		port_take(p, text + off, (ssize_t)n);
	}
	long events = 0;
	WCHAR *w = calloc((size_t)cch + 1, sizeof(WCHAR));
	BYTE *b = malloc((size_t)cch * 2 + 1);
	for (struct cl_event *ev; w && b && (ev = pop(p)); events++) {
		DWORD_PTR key;
		DWORD type, c1 = cch, cb = cch * 2, c[4] = {cch, cch, cch, cch};
		NOTIFY_FILTER_AND_TYPE ft;
		struct v1_out o1 = {&key, &type, w, &c1};
		copy_v1(ev, &o1);
		/* Each string its own buffer: copy_v2 fills them all. */
		WCHAR *s[4] = {calloc((size_t)cch + 1, sizeof(WCHAR)),
			       calloc((size_t)cch + 1, sizeof(WCHAR)),
			       calloc((size_t)cch + 1, sizeof(WCHAR)),
			       calloc((size_t)cch + 1, sizeof(WCHAR))};
		if (s[0] && s[1] && s[2] && s[3]) {
			struct v2_out o2 = {&key, &ft, b, &cb, {s[0], s[1], s[2], s[3]},
					    {&c[0], &c[1], &c[2], &c[3]}};
			copy_v2(ev, &o2);
		}
		for (int i = 0; i < 4; i++)
			free(s[i]);
		event_free(ev);
	}
	free(w);
	free(b);
	pthread_mutex_unlock(&p->mu);
	port_free(p);
	return events;
}
