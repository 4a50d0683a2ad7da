/* SPDX-License-Identifier: MIT */
/* Notification ports (cl_notify_i.h): the events a port queues for its
 * callers, the readiness of its event handle, and the V2 payloads (the
 * buffer GetClusterNotifyV2 gives: DWORDs, UTF-16 strings, MULTI_SZ, property
 * lists). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl_notify_i.h"

/* ---- events --------------------------------------------------------- */

void cl_event_free(struct cl_event *ev)
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

struct cl_event *cl_event_new(const struct cl_reg *g, const char *name)
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
		cl_event_free(ev);
		return NULL;
	}
	return ev;
}

void cl_set_str(char **field, const char *s)
{
	char *n = strdup(s ? s : "");
	if (n) {
		free(*field);
		*field = n;
	}
}

/* Keeps readyfd signalled exactly while events are queued. Lock held. */
void cl_port_update_ready(struct cl_port *p)
{
	bool want = p->head != NULL;
	uint64_t v = 1;
	if (want && !p->ready)
		p->ready = write(p->readyfd, &v, sizeof(v)) == sizeof(v);
	else if (!want && p->ready)
		p->ready = !(read(p->readyfd, &v, sizeof(v)) == sizeof(v));
}

void cl_port_push(struct cl_port *p, struct cl_event *ev)
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

struct cl_event *cl_port_pop(struct cl_port *p)
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
const char *cl_port_cluster_name(struct cl_port *p)
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

int cl_buf_dword(struct cl_event *ev, DWORD v)
{
	BYTE b[4] = {(BYTE)v, (BYTE)(v >> 8), (BYTE)(v >> 16), (BYTE)(v >> 24)};
	return buf_put(ev, b, 4);
}

/* UTF-16LE with its NUL, padded with zeros to a multiple of pad bytes. */
int cl_buf_wstr(struct cl_event *ev, const char *s, size_t pad)
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
int cl_buf_multi(struct cl_event *ev, const char *items,
		 char *(*map)(struct cl_port *, const char *), struct cl_port *p)
{
	char *copy = strdup(items ? items : "");
	int e = copy ? 0 : -ENOMEM;
	for (char *save, *w = e ? NULL : strtok_r(copy, "\n", &save); w && e == 0;
	     w = strtok_r(NULL, "\n", &save)) {
		char *m = map ? map(p, w) : NULL;
		e = cl_buf_wstr(ev, m ? m : w, 0);
		free(m);
	}
	free(copy);
	static const BYTE nul[2];
	return e ? e : buf_put(ev, nul, 2);
}

/* A property list with one string property (CLUSPROP format: count, then
 * name, value, end mark, each DWORD-aligned). */
int cl_buf_proplist(struct cl_event *ev, const char *name, const char *value)
{
	int e = cl_buf_dword(ev, 1);
	WCHAR *w;
	size_t n;
	if (e == 0 && cl_utf8_to_wide(name, strlen(name), &w, &n) == 0) {
		free(w);
		e = cl_buf_dword(ev, CLUSPROP_SYNTAX_NAME);
		e = e ? e : cl_buf_dword(ev, (DWORD)((n + 1) * 2));
		e = e ? e : cl_buf_wstr(ev, name, 4);
	}
	if (e == 0 && cl_utf8_to_wide(value, strlen(value), &w, &n) == 0) {
		free(w);
		e = cl_buf_dword(ev, CLUSPROP_SYNTAX_LIST_VALUE_SZ);
		e = e ? e : cl_buf_dword(ev, (DWORD)((n + 1) * 2));
		e = e ? e : cl_buf_wstr(ev, value, 4);
	}
	return e ? e : cl_buf_dword(ev, CLUSPROP_SYNTAX_ENDMARK);
}
