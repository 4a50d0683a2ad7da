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
 * This file: the calls that take events, close a port and give its event
 * handle, HANDLE_CLOSE, and the fuzz harness's replay of records; the rest
 * is listed in cl_notify_i.h, with the port's concurrency. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cl_notify_i.h"

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
		if (!p->head && !p->lost && !p->polling && !p->drainers && cl_port_fill(p) < 0)
			cl_port_lost(p);
		if (p->head) {
			r = copy(p->head, arg);
			if (r != ERROR_MORE_DATA)
				cl_event_free(cl_port_pop(p));
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
			if (cl_port_write(p, line) == 0)
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
		if (blocking && cl_port_take(p, buf, n) < 0)
			cl_port_lost(p);
		pthread_cond_broadcast(&p->cv);
	}
	cl_port_update_ready(p);
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
	for (struct cl_event *ev; (ev = cl_port_pop(p));)
		cl_event_free(ev);
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
		cl_port_write(p, "wake\n");
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
	cl_port_update_ready(p);
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
		name = strdup(cl_port_cluster_name(p));
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
			cl_port_write(p, "wake\n");
			if (write(p->wakefd, &one, sizeof(one)) < 0) {
				/* already signalled */
			}
			pthread_mutex_lock(&p->mu);
			if (p->polling)
				pthread_cond_wait(&p->cv, &p->mu);
		}
		while (!p->lost && (e = cl_port_fill(p)) > 0)
			;
		if (e < 0)
			cl_port_lost(p);
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
			struct cl_event *ev = cl_event_new(g, name);
			if (ev) {
				ev->v1 = CLUSTER_CHANGE_HANDLE_CLOSE;
				ev->v2type = type;
				ev->v2flag = flag;
				if (o->kind != CL_CLUSTER && o->kind != CL_KEY)
					cl_set_str(&ev->id, o->u.object.id);
			}
			cl_port_push(p, ev);
		}
		/* The registration ends with its handle. */
		char line[64];
		snprintf(line, sizeof(line), "remove key=%llu\n", (unsigned long long)g->key);
		if (!p->closed)
			cl_port_write(p, line);
		cl_obj_put(g->obj);
	}
	p->nregs = k;
	cl_port_update_ready(p);
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
		cl_port_free(p);
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
		cl_port_take(p, text + off, (ssize_t)n);
	}
	long events = 0;
	WCHAR *w = calloc((size_t)cch + 1, sizeof(WCHAR));
	BYTE *b = malloc((size_t)cch * 2 + 1);
	for (struct cl_event *ev; w && b && (ev = cl_port_pop(p)); events++) {
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
		cl_event_free(ev);
	}
	free(w);
	free(b);
	pthread_mutex_unlock(&p->mu);
	cl_port_free(p);
	return events;
}
