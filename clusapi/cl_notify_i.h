/* SPDX-License-Identifier: MIT */
/* libclusapi's notification ports, inside: the port, its registrations
 * and its queued events, shared by the files that make them up:
 *
 *   cl_notify.c         the calls that take events (GetClusterNotify[V2]),
 *                       close a port, give its event handle; HANDLE_CLOSE;
 *                       the fuzz harness's replay (cl_notify_replay)
 *   cl_notify_port.c    ports and registrations: creating, registering, the
 *                       filter lines written to the port
 *   cl_notify_record.c  the port's records turned into V1 and V2 events
 *   cl_notify_event.c   the event queue and the V2 payloads
 *
 * Calls run one way: cl_notify.c -> cl_notify_port.c, cl_notify_record.c
 * -> cl_notify_event.c.
 *
 * Concurrency: p->mu guards everything in the port. At most one waiter at
 * a time polls the descriptor without the lock (p->polling); others wait on
 * p->cv. Close sets p->closed, signals the wake eventfd and broadcasts, so
 * every waiter returns ERROR_INVALID_HANDLE; the memory lives until the
 * last call holding a reference returns. Lock order: port lock, then the
 * handle table's lock. */
#ifndef CL_NOTIFY_I_H
#define CL_NOTIFY_I_H

#include <json-c/json.h>
#include <sys/types.h>

#include "cl_i.h"

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

/* cl_notify_event.c: events and the queue. Functions taking a port: lock
 * held. */
void cl_event_free(struct cl_event *ev); /* NULL: nothing */
/* An event for registration g (its notify key) named name (NULL: ""), with
 * empty strings elsewhere; NULL when out of memory. */
struct cl_event *cl_event_new(const struct cl_reg *g, const char *name);
/* Replaces *field with a copy of s (NULL: ""); keeps it when out of memory. */
void cl_set_str(char **field, const char *s);
void cl_port_update_ready(struct cl_port *p);
void cl_port_push(struct cl_port *p, struct cl_event *ev); /* NULL: nothing */
struct cl_event *cl_port_pop(struct cl_port *p);	  /* NULL: none queued */
const char *cl_port_cluster_name(struct cl_port *p);
/* V2 payloads, appended to ev->buf: 0 or -ENOMEM. */
int cl_buf_dword(struct cl_event *ev, DWORD v);
int cl_buf_wstr(struct cl_event *ev, const char *s, size_t pad);
int cl_buf_multi(struct cl_event *ev, const char *items,
		 char *(*map)(struct cl_port *, const char *), struct cl_port *p);
int cl_buf_proplist(struct cl_event *ev, const char *name, const char *value);

/* cl_notify_record.c: records. Lock held. */
int cl_port_take(struct cl_port *p, const char *buf, ssize_t n);
int cl_port_fill(struct cl_port *p);
void cl_port_lost(struct cl_port *p);

/* cl_notify_port.c: ports. */
void cl_port_free(struct cl_port *p); /* NULL: nothing */
int cl_port_write(struct cl_port *p, const char *text);

#endif
