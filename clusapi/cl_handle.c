/* SPDX-License-Identifier: MIT */
/* The handle table. A handle is (generation << half) | (slot + 1): never
 * NULL, never INVALID_HANDLE_VALUE (the generation's top bit stays clear),
 * and a closed slot's next tenant gets a new generation, so a stale handle
 * never reaches another object. One mutex guards the table and every
 * object's reference count.
 *
 * The table knows no kind: it frees an object through the destructor that
 * the module owning the kind declared (CL_HANDLE_KIND), the way libqb's
 * QB_HDB_DECLARE and corosync's DECLARE_HDB_DATABASE give each handle
 * database its destructor. So this file calls nothing else in libclusapi,
 * and calls run one way: cl_cluster.c -> cl_notify.c -> cl_handle.c. */
#include <errno.h>
#include <stdlib.h>

#include "cl_i.h"

/* Each kind's destructor; NULL: its objects own nothing but themselves.
 * Written by the CL_HANDLE_KIND constructors while the library loads,
 * before any call can run, and only read after: it needs no lock.
 *
 * Lock order: a module's own locks (a port's mu) before the table lock.
 * The table lock is innermost: nothing outside this file runs while it is
 * held. A destructor runs without it (cl_obj_put drops it first), so it
 * may take its module's locks and put references it holds (a port puts
 * the objects registered on it); a caller holding a module lock puts only
 * references it knows are not the last, since a last one runs the
 * destructor right there. */
static void (*destructors[CL_NKINDS])(struct cl_obj *o);

#define HALF (sizeof(uintptr_t) * 4)
#define SLOT_MASK (((uintptr_t)1 << HALF) - 1)
#define GEN_MAX (((uintptr_t)1 << (HALF - 1)) - 1)

struct slot {
	struct cl_obj *obj; /* NULL: free */
	uintptr_t gen;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots; /* guarded by lock */
static size_t nslots, nfree_hint;

static HANDLE encode(size_t i)
{
	return (HANDLE)((slots[i].gen << HALF) | (uintptr_t)(i + 1));
}

/* The slot of a live handle, or -1. Called with the lock held. */
static ssize_t decode(HANDLE h)
{
	uintptr_t v = (uintptr_t)h;
	uintptr_t i = (v & SLOT_MASK);
	if (i == 0 || i > nslots)
		return -1;
	i--;
	if (!slots[i].obj || slots[i].gen != v >> HALF)
		return -1;
	return (ssize_t)i;
}

void cl_handle_set_destructor(enum cl_kind k, void (*destroy)(struct cl_obj *o))
{
	destructors[k] = destroy;
}

HANDLE cl_handle_new(struct cl_obj *o)
{
	pthread_mutex_lock(&lock);
	size_t i = nfree_hint;
	while (i < nslots && slots[i].obj)
		i++;
	if (i == nslots) {
		size_t n = nslots ? nslots * 2 : 64;
		struct slot *s = n < SLOT_MASK ? realloc(slots, n * sizeof(*s)) : NULL;
		if (!s) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		for (size_t k = nslots; k < n; k++)
			s[k] = (struct slot){NULL, 0};
		slots = s;
		nslots = n;
	}
	slots[i].gen = slots[i].gen >= GEN_MAX ? 1 : slots[i].gen + 1;
	slots[i].obj = o;
	nfree_hint = i + 1;
	o->refs = 1;
	o->handle = encode(i);
	HANDLE h = o->handle;
	pthread_mutex_unlock(&lock);
	return h;
}

bool cl_obj_live(struct cl_obj *o)
{
	pthread_mutex_lock(&lock);
	bool live = o->handle != NULL;
	pthread_mutex_unlock(&lock);
	return live;
}

int cl_handle_child(struct cl_obj *parent, struct cl_obj *o, HANDLE *ret)
{
	if (parent)
		cl_obj_ref(parent);
	o->parent = parent;
	/* A parent closed meanwhile (CloseCluster in another thread) gets no
	 * new children: they would outlive it. */
	HANDLE h = !parent || cl_obj_live(parent) ? cl_handle_new(o) : NULL;
	if (!h) {
		int e = parent && !cl_obj_live(parent) ? -EBADF : -ENOMEM;
		cl_obj_put(parent);
		cl_obj_free(o);
		return e;
	}
	*ret = h;
	return 0;
}

struct cl_obj *cl_handle_get(HANDLE h, enum cl_kind k)
{
	pthread_mutex_lock(&lock);
	ssize_t i = decode(h);
	struct cl_obj *o = i >= 0 && slots[i].obj->kind == k ? slots[i].obj : NULL;
	if (o)
		o->refs++;
	pthread_mutex_unlock(&lock);
	return o;
}

void cl_obj_ref(struct cl_obj *o)
{
	pthread_mutex_lock(&lock);
	o->refs++;
	pthread_mutex_unlock(&lock);
}

void cl_obj_put(struct cl_obj *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&lock);
	bool last = --o->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last) {
		struct cl_obj *parent = o->parent;
		cl_obj_free(o);
		cl_obj_put(parent);
	}
}

struct cl_obj *cl_handle_take(HANDLE h, enum cl_kind k)
{
	pthread_mutex_lock(&lock);
	ssize_t i = decode(h);
	struct cl_obj *o = NULL;
	if (i >= 0 && slots[i].obj->kind == k) {
		o = slots[i].obj;
		o->handle = NULL;
		slots[i].obj = NULL;
		if ((size_t)i < nfree_hint)
			nfree_hint = (size_t)i;
	}
	pthread_mutex_unlock(&lock);
	return o;
}

/* Collects matching live objects with a reference each, then calls fn
 * outside the lock (fn may close handles). */
static void foreach(bool (*match)(const struct cl_obj *o, const void *arg), const void *marg,
		    void (*fn)(struct cl_obj *o, void *arg), void *arg)
{
	pthread_mutex_lock(&lock);
	size_t n = 0;
	for (size_t i = 0; i < nslots; i++)
		n += slots[i].obj && match(slots[i].obj, marg);
	struct cl_obj **v = n ? malloc(n * sizeof(*v)) : NULL;
	size_t k = 0;
	for (size_t i = 0; v && i < nslots; i++) {
		if (slots[i].obj && match(slots[i].obj, marg)) {
			slots[i].obj->refs++;
			v[k++] = slots[i].obj;
		}
	}
	pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < k; i++)
		fn(v[i], arg);
	free(v);
}

static bool is_child(const struct cl_obj *o, const void *c)
{
	return o->parent == c;
}

static void call_child(struct cl_obj *o, void *fn)
{
	((void (*)(struct cl_obj *))fn)(o);
}

void cl_handle_foreach_child(struct cl_obj *c, void (*fn)(struct cl_obj *o))
{
	foreach(is_child, c, call_child, (void *)fn);
}

static bool is_kind(const struct cl_obj *o, const void *k)
{
	return o->kind == *(const enum cl_kind *)k;
}

void cl_handle_foreach_kind(enum cl_kind k, void (*fn)(struct cl_obj *o, void *arg), void *arg)
{
	foreach(is_kind, &k, fn, arg);
}

void cl_obj_free(struct cl_obj *o)
{
	if (!o)
		return;
	if (destructors[o->kind])
		destructors[o->kind](o);
	free(o);
}
