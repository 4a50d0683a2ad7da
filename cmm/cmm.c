/* SPDX-License-Identifier: MIT */
/* libcgha_cmm: the CMM API over a clusterfs mount.
 *
 * Process-wide state (the API has no handle): the timeout, and at most
 * one registration (callback, client data, filter, the port fd, a partial
 * line, and a cache of node id -> CMM node id for nodes that may be gone
 * by the time their records are read). `lock` guards it; it is never held
 * while the mount is accessed or a callback runs. `dispatch_lock`
 * (recursive: a callback may dispatch) keeps concurrent dispatchers from
 * interleaving, so callbacks come in record order.
 *
 * Notifications are made from the daemon's records (docs/cmm.md):
 *   node property Role old>new
 *     new out                         CMM_MEMBER_LEFT
 *     master>in                       CMM_MASTER_DEMOTED
 *     vicemaster>in                   CMM_VICEMASTER_DEMOTED
 *     master>vicemaster               CMM_MASTER_DEMOTED, CMM_VICEMASTER_ELECTED
 *     new master                      CMM_MASTER_ELECTED
 *     new vicemaster (from out or in) CMM_VICEMASTER_ELECTED
 *     out>in                          CMM_MEMBER_JOINED
 *   cluster property CmmStatus new    stale: CMM_STALE_CLUSTER, invalid:
 *                                     CMM_INVALID_CLUSTER, valid:
 *                                     CMM_VALID_CLUSTER (node id 0)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmm_i.h"

#define EXPORT __attribute__((visibility("default")))

#define KIND_FIRST CMM_MASTER_ELECTED
#define KIND_LAST CMM_NODE_INELIGIBLE
#define FILTER_ALL ((1u << (KIND_LAST - KIND_FIRST + 1)) - 1)

struct idmap {
	char id[64];
	cmm_nodeid_t nodeid;
};

static struct {
	pthread_mutex_t lock;
	struct timespec timeout;
	cmm_notify_t cb;
	void *data;
	uint32_t filter; /* bit (kind - KIND_FIRST) */
	int fd;
	bool broken;
	unsigned gen; /* bumped by every register/unregister/disconnect */
	char *partial; /* an incomplete last line */
	size_t plen;
	struct idmap *ids;
	size_t nids;
} S = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.timeout = {5, 0},
	.fd = -1,
};

static pthread_mutex_t dispatch_lock;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Drops the registration (S.lock held). */
static void reg_clear(void)
{
	if (S.fd >= 0)
		close(S.fd);
	S.fd = -1;
	S.cb = NULL;
	S.data = NULL;
	S.filter = 0;
	S.broken = false;
	S.gen++;
	free(S.partial);
	S.partial = NULL;
	S.plen = 0;
}

static void init_dispatch_lock(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&dispatch_lock, &a);
	pthread_mutexattr_destroy(&a);
}

static void fork_prepare(void)
{
	pthread_mutex_lock(&S.lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&S.lock);
}

/* The child has no registration: its copy of the fd is closed (the
 * notification fd is valid only in the parent). */
static void fork_child(void)
{
	pthread_mutex_init(&S.lock, NULL);
	init_dispatch_lock();
	reg_clear();
}

static void init(void)
{
	init_dispatch_lock();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static struct timespec timeout_now(void)
{
	pthread_once(&once, init);
	pthread_mutex_lock(&S.lock);
	struct timespec t = S.timeout;
	pthread_mutex_unlock(&S.lock);
	return t;
}

/* Loads the view; this node must be a configured node (else ECONN: a
 * nonpeer node). */
static cmm_error_t load(struct cmmi_view *v)
{
	struct timespec t = timeout_now();
	int r = cmmi_view_load(v, &t);
	if (r < 0)
		return cmmi_error(-r);
	if (v->local < 0) {
		cmmi_view_free(v);
		return CMM_ECONN;
	}
	return CMM_OK;
}

static struct cmmi_node *local(struct cmmi_view *v)
{
	return &v->nodes[v->local];
}

static bool in_cluster(struct cmmi_view *v)
{
	return !(local(v)->m.sflag & CMM_OUT_OF_CLUSTER);
}

/* --- connection --- */

EXPORT cmm_error_t cmm_connect(const timespec_t timeout)
{
	if (timeout.tv_sec < 0 || timeout.tv_nsec < 0 || timeout.tv_nsec >= 1000000000L ||
	    (timeout.tv_sec == 0 && timeout.tv_nsec == 0))
		return CMM_EINVAL;
	struct cmmi_view v;
	cmm_error_t e = load(&v); /* bounded by the previous timeout */
	if (e != CMM_OK)
		return e;
	cmmi_view_free(&v);
	pthread_mutex_lock(&S.lock);
	S.timeout = timeout;
	pthread_mutex_unlock(&S.lock);
	return CMM_OK;
}

EXPORT cmm_error_t cmm_disconnect(void)
{
	pthread_once(&once, init);
	pthread_mutex_lock(&S.lock);
	reg_clear();
	pthread_mutex_unlock(&S.lock);
	return CMM_OK;
}

/* --- information --- */

EXPORT cmm_error_t cmm_node_getid(cmm_nodeid_t *const me)
{
	if (!me)
		return CMM_EINVAL;
	struct cmmi_view v;
	cmm_error_t e = load(&v);
	if (e != CMM_OK) {
		*me = CMM_INVALID_NODE_ID;
		return e;
	}
	*me = local(&v)->m.nodeid;
	cmmi_view_free(&v);
	return CMM_OK;
}

static cmm_error_t getinfo(cmm_nodeid_t nodeid, cmm_member_t *member, bool potential)
{
	if (!member)
		return CMM_EINVAL;
	struct cmmi_view v;
	cmm_error_t e = load(&v);
	if (e != CMM_OK)
		return e;
	struct cmmi_node *n = cmmi_view_by_id(&v, nodeid);
	if (!potential && !in_cluster(&v))
		e = CMM_ENOCLUSTER;
	else if (!n || (!potential && (n->m.sflag & CMM_OUT_OF_CLUSTER)))
		e = CMM_ESRCH;
	else
		*member = n->m;
	cmmi_view_free(&v);
	return e;
}

EXPORT cmm_error_t cmm_member_getinfo(cmm_nodeid_t const nodeid, cmm_member_t *const member)
{
	return getinfo(nodeid, member, false);
}

EXPORT cmm_error_t cmm_potential_getinfo(cmm_nodeid_t const nodeid, cmm_member_t *const member)
{
	return getinfo(nodeid, member, true);
}

static cmm_error_t role_getinfo(cmm_member_t *member, uint32_t role_bit)
{
	if (!member)
		return CMM_EINVAL;
	struct cmmi_view v;
	cmm_error_t e = load(&v);
	if (e != CMM_OK)
		return e;
	struct cmmi_node *master = cmmi_view_role(&v, CMM_MASTER);
	struct cmmi_node *n = cmmi_view_role(&v, role_bit);
	if (!in_cluster(&v) || !master)
		e = CMM_ENOCLUSTER;
	else if (!n)
		e = CMM_ESRCH; /* no vice-master */
	else
		*member = n->m;
	cmmi_view_free(&v);
	return e;
}

EXPORT cmm_error_t cmm_master_getinfo(cmm_member_t *const member)
{
	return role_getinfo(member, CMM_MASTER);
}

EXPORT cmm_error_t cmm_vicemaster_getinfo(cmm_member_t *const member)
{
	return role_getinfo(member, CMM_VICEMASTER);
}

EXPORT cmm_error_t cmm_member_getall(uint32_t const table_size, cmm_member_t *const member_table,
				     uint32_t *const member_count)
{
	if (!member_count)
		return CMM_EINVAL;
	struct cmmi_view v;
	cmm_error_t e = load(&v);
	if (e != CMM_OK)
		return e;
	if (!in_cluster(&v)) {
		cmmi_view_free(&v);
		return CMM_ENOCLUSTER;
	}
	uint32_t n = 0;
	for (size_t i = 0; i < v.n; i++)
		n += !(v.nodes[i].m.sflag & CMM_OUT_OF_CLUSTER);
	if (member_table && n > table_size) {
		e = CMM_ERANGE; /* the table is left untouched */
	} else if (member_table) {
		uint32_t k = 0;
		for (size_t i = 0; i < v.n; i++)
			if (!(v.nodes[i].m.sflag & CMM_OUT_OF_CLUSTER))
				member_table[k++] = v.nodes[i].m;
	}
	*member_count = n;
	cmmi_view_free(&v);
	return e;
}

EXPORT cmm_error_t cmm_member_getcount(uint32_t *const member_count)
{
	if (!member_count)
		return CMM_EINVAL;
	return cmm_member_getall(0, NULL, member_count);
}

/* --- actions --- */

/* Runs "VERB <this node's id> [args]" through control. */
static cmm_error_t act(const char *verb, const char *args, bool need_member)
{
	struct cmmi_view v;
	cmm_error_t e = load(&v);
	if (e != CMM_OK)
		return e;
	if (need_member && !in_cluster(&v)) {
		cmmi_view_free(&v);
		return CMM_ENOCLUSTER;
	}
	char line[256];
	snprintf(line, sizeof(line), "%s %s%s%s", verb, local(&v)->id, args ? " " : "",
		 args ? args : "");
	cmmi_view_free(&v);
	struct timespec t = timeout_now();
	int r = cmmi_control(line, &t);
	return cmmi_error(-r);
}

EXPORT cmm_error_t cmm_mastership_release(void)
{
	return act("cmm-release", NULL, true);
}

EXPORT cmm_error_t cmm_membership_remove(void)
{
	return act("cmm-remove", NULL, true);
}

EXPORT cmm_error_t cmm_member_seizequalif(void)
{
	return act("cmm-seize", NULL, true);
}

EXPORT cmm_error_t cmm_member_setqualif(cmm_nodeid_t const nodeid, cmm_qualif_t const new_qualif)
{
	const char *word;
	switch (new_qualif) {
	case CMM_QUALIFIED_MEMBER:
		word = "qualified";
		break;
	case CMM_DISQUALIFIED_MEMBER:
		word = "disqualified";
		break;
	case CMM_SYNCHRO_READY:
		word = "synchro-ready";
		break;
	case CMM_SYNCHRO_NEEDED:
		word = "synchro-needed";
		break;
	default:
		return CMM_EINVAL;
	}
	struct cmmi_view v;
	cmm_error_t e = load(&v);
	if (e != CMM_OK)
		return e;
	struct cmmi_node *n = cmmi_view_by_id(&v, nodeid);
	char args[160];
	if (n)
		snprintf(args, sizeof(args), "%s %s", n->id, word);
	cmmi_view_free(&v);
	if (!n)
		return CMM_ESRCH;
	return act("cmm-setqualif", args, true);
}

/* The cluster node table is the cluster's registry, which is always
 * current: a reload only checks that the caller may ask for it. */
EXPORT cmm_error_t cmm_config_reload(void)
{
	struct cmmi_view v;
	cmm_error_t e = load(&v);
	if (e != CMM_OK)
		return e;
	if (!in_cluster(&v))
		e = CMM_ENOCLUSTER;
	else if (!(local(&v)->m.sflag & CMM_MASTER))
		e = CMM_EPERM;
	cmmi_view_free(&v);
	return e;
}

/* --- notifications --- */

/* Fills S.ids from a view (S.lock held). */
static void ids_set(struct cmmi_view *v)
{
	struct idmap *m = calloc(v->n + 1, sizeof(*m));
	if (!m)
		return; /* keep the old cache */
	for (size_t i = 0; i < v->n; i++) {
		snprintf(m[i].id, sizeof(m[i].id), "%s", v->nodes[i].id);
		m[i].nodeid = v->nodes[i].m.nodeid;
	}
	/* Nodes of the old cache that are gone stay known. */
	size_t n = v->n;
	struct idmap *all = m;
	for (size_t i = 0; i < S.nids; i++) {
		bool found = false;
		for (size_t k = 0; k < v->n && !found; k++)
			found = strcmp(m[k].id, S.ids[i].id) == 0;
		if (!found) {
			struct idmap *g = realloc(all, (n + 1) * sizeof(*all));
			if (!g)
				break;
			all = g;
			all[n++] = S.ids[i];
		}
	}
	free(S.ids);
	S.ids = all;
	S.nids = n;
}

/* Learns one node's number (S.lock held); on no memory it stays unknown
 * and the view is looked up instead. */
static void ids_learn(const char *id, cmm_nodeid_t nodeid)
{
	for (size_t i = 0; i < S.nids; i++)
		if (strcmp(S.ids[i].id, id) == 0) {
			S.ids[i].nodeid = nodeid;
			return;
		}
	struct idmap *g = realloc(S.ids, (S.nids + 1) * sizeof(*g));
	if (!g)
		return;
	S.ids = g;
	snprintf(S.ids[S.nids].id, sizeof(S.ids[S.nids].id), "%s", id);
	S.ids[S.nids++].nodeid = nodeid;
}

static bool ids_get(const char *id, cmm_nodeid_t *ret)
{
	for (size_t i = 0; i < S.nids; i++)
		if (strcmp(S.ids[i].id, id) == 0) {
			*ret = S.ids[i].nodeid;
			return true;
		}
	return false;
}

EXPORT cmm_error_t cmm_cmc_register(cmm_notify_t const callback, void *client_data)
{
	if (!callback)
		return CMM_EINVAL;
	struct timespec t = timeout_now();
	pthread_mutex_lock(&S.lock);
	bool taken = S.cb != NULL;
	pthread_mutex_unlock(&S.lock);
	if (taken)
		return CMM_EEXIST;
	/* The port first, then the view: a node added in between is in the
	 * view or has an "added" record, never in neither. */
	int fd = cmmi_port_open(&t);
	if (fd < 0)
		return cmmi_error(-fd);
	struct cmmi_view v;
	cmm_error_t e = load(&v);
	if (e != CMM_OK) {
		close(fd);
		return e;
	}
	pthread_mutex_lock(&S.lock);
	if (S.cb) {
		e = CMM_EEXIST; /* another thread was faster */
		close(fd);
	} else {
		reg_clear();
		S.cb = callback;
		S.data = client_data;
		S.filter = FILTER_ALL;
		S.fd = fd;
		ids_set(&v);
	}
	pthread_mutex_unlock(&S.lock);
	cmmi_view_free(&v);
	return e;
}

EXPORT cmm_error_t cmm_cmc_unregister(void)
{
	pthread_once(&once, init);
	pthread_mutex_lock(&S.lock);
	cmm_error_t e = S.cb ? CMM_OK : CMM_ENOENT;
	reg_clear();
	pthread_mutex_unlock(&S.lock);
	return e;
}

EXPORT cmm_error_t cmm_cmc_filter(cmm_cmcfilter_t const action,
				  cmm_cmchanges_t const *const notifications_list,
				  uint32_t const notifications_count)
{
	uint32_t bits = 0;
	bool listed = action == CMM_CMC_NOTIFY_ADD || action == CMM_CMC_NOTIFY_REM ||
		      action == CMM_CMC_NOTIFY_SET;
	if (!listed && action != CMM_CMC_NOTIFY_ALL && action != CMM_CMC_NOTIFY_NONE)
		return CMM_EINVAL;
	if (listed) {
		if (notifications_count && !notifications_list)
			return CMM_EINVAL;
		for (uint32_t i = 0; i < notifications_count; i++) {
			int k = (int)notifications_list[i];
			if (k < KIND_FIRST || k > KIND_LAST)
				return CMM_EINVAL;
			bits |= 1u << (k - KIND_FIRST);
		}
	}
	pthread_once(&once, init);
	pthread_mutex_lock(&S.lock);
	cmm_error_t e = CMM_OK;
	if (!S.cb)
		e = CMM_ENOENT;
	else if (action == CMM_CMC_NOTIFY_ADD)
		S.filter |= bits;
	else if (action == CMM_CMC_NOTIFY_REM)
		S.filter &= ~bits;
	else if (action == CMM_CMC_NOTIFY_SET)
		S.filter = bits;
	else
		S.filter = action == CMM_CMC_NOTIFY_ALL ? FILTER_ALL : 0;
	pthread_mutex_unlock(&S.lock);
	return e;
}

EXPORT cmm_error_t cmm_notify_getfd(int *const fd)
{
	if (!fd)
		return CMM_EINVAL;
	pthread_once(&once, init);
	pthread_mutex_lock(&S.lock);
	cmm_error_t e = !S.cb ? CMM_ENOENT : S.fd < 0 ? CMM_EBADF : CMM_OK;
	if (e == CMM_OK)
		*fd = S.fd;
	pthread_mutex_unlock(&S.lock);
	return e;
}

static cmm_error_t dispatch(void);

EXPORT cmm_error_t cmm_notify_dispatch(void)
{
	/* Deferred-cancel-safe (reference §1): dispatch holds locks across
	 * waits and callbacks, so it is not cancelled halfway. */
	int cancel;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	cmm_error_t e = dispatch();
	pthread_setcancelstate(cancel, NULL);
	return e;
}

/* The errors of reading the port that mean it is gone (the daemon
 * stopped or restarted); others (out of memory, fds or threads) are
 * worth a retry. */
static bool port_gone(int rr)
{
	return rr == -EBADF || rr == -ENOTCONN || rr == -EPIPE || rr == -ENODEV ||
	       rr == -ECONNABORTED || rr == -EIO;
}

static cmm_error_t dispatch(void)
{
	pthread_once(&once, init);
	pthread_mutex_lock(&dispatch_lock);
	pthread_mutex_lock(&S.lock);
	cmm_error_t e = !S.cb ? CMM_ENOENT : (S.fd < 0 || S.broken) ? CMM_EBADF : CMM_OK;
	/* Duplicated under the lock: an unregister in another thread may
	 * close S.fd, and its number be reused, right after. */
	int fd = e == CMM_OK ? fcntl(S.fd, F_DUPFD_CLOEXEC, 0) : -1;
	unsigned gen = S.gen;
	struct timespec t = S.timeout;
	pthread_mutex_unlock(&S.lock);
	if (e == CMM_OK && fd < 0)
		e = CMM_EBUSY; /* out of descriptors: try again */
	if (e != CMM_OK) {
		pthread_mutex_unlock(&dispatch_lock);
		return e;
	}
	char *data = NULL;
	size_t len = 0;
	int rr = cmmi_port_read(fd, &data, &len, &t);
	if (rr == -ETIMEDOUT) {
		pthread_mutex_unlock(&dispatch_lock);
		return CMM_ETIMEDOUT;
	}
	if (rr < 0 && !port_gone(rr)) {
		pthread_mutex_unlock(&dispatch_lock);
		return CMM_EBUSY;
	}

	/* Complete lines -> records. */
	struct cmmi_rec *recs = NULL;
	size_t nrecs = 0;
	bool gone = rr < 0;
	pthread_mutex_lock(&S.lock);
	if (gen != S.gen) {
		/* Unregistered or disconnected meanwhile: this dispatch ends. */
		pthread_mutex_unlock(&S.lock);
		free(data);
		pthread_mutex_unlock(&dispatch_lock);
		return CMM_ENOENT;
	}
	char *all = malloc(S.plen + len + 1);
	if (!all) {
		pthread_mutex_unlock(&S.lock);
		free(data);
		pthread_mutex_unlock(&dispatch_lock);
		return CMM_EBUSY;
	}
	if (S.plen)
		memcpy(all, S.partial, S.plen);
	if (len)
		memcpy(all + S.plen, data, len);
	size_t total = S.plen + len;
	all[total] = '\0';
	free(data);
	char *p = all, *nl;
	size_t lines = 0;
	for (char *q = all; (q = memchr(q, '\n', (size_t)(all + total - q))); q++)
		lines++;
	recs = calloc(lines + 1, sizeof(*recs));
	while (recs && (nl = memchr(p, '\n', (size_t)(all + total - p)))) {
		*nl = '\0';
		int k = cmmi_rec_parse(p, &recs[nrecs]);
		if (k < 0)
			gone = true;
		else if (k > 0)
			nrecs++;
		p = nl + 1;
	}
	free(S.partial);
	S.plen = (size_t)(all + total - p);
	S.partial = S.plen ? malloc(S.plen) : NULL;
	if (S.partial)
		memcpy(S.partial, p, S.plen);
	else
		S.plen = 0;
	free(all);
	if (gone)
		S.broken = true;
	bool missing = false;
	for (size_t i = 0; i < nrecs; i++) {
		cmm_nodeid_t id;
		if (recs[i].learn)
			ids_learn(recs[i].id, recs[i].number);
		else
			missing |= !recs[i].cluster && !ids_get(recs[i].id, &id);
	}
	pthread_mutex_unlock(&S.lock);

	/* A node the cache does not know: the port opened before the view
	 * was read, and every node added since has an "added" record, so
	 * this happens only after records were lost to an overflow. A port
	 * has a record a moment before the change is acknowledged and the
	 * kernel's caches of the tree are refreshed, so the listing may not
	 * show the node yet: look again, briefly. */
	for (int tries = 0; missing && tries < 25; tries++) {
		struct cmmi_view v;
		if (tries)
			usleep(2000);
		if (cmmi_view_load(&v, &t) != 0)
			break;
		pthread_mutex_lock(&S.lock);
		ids_set(&v);
		missing = false;
		for (size_t i = 0; i < nrecs; i++) {
			cmm_nodeid_t id;
			missing |= !recs[i].cluster && !recs[i].learn && !ids_get(recs[i].id, &id);
		}
		pthread_mutex_unlock(&S.lock);
		cmmi_view_free(&v);
	}

	/* Notifications, filtered, then the callbacks without the lock. */
	cmm_cmc_notification_t *notes = calloc(2 * nrecs + 1, sizeof(*notes));
	size_t nn = 0;
	pthread_mutex_lock(&S.lock);
	cmm_notify_t cb = S.cb;
	void *cd = S.data;
	uint32_t filter = S.filter;
	for (size_t i = 0; notes && i < nrecs; i++) {
		cmm_cmchanges_t kinds[2];
		int k = cmmi_rec_kinds(&recs[i], kinds);
		cmm_nodeid_t id = 0;
		if (!recs[i].cluster && !ids_get(recs[i].id, &id))
			id = CMM_INVALID_NODE_ID;
		for (int j = 0; j < k; j++)
			if (filter & (1u << (kinds[j] - KIND_FIRST)))
				notes[nn++] = (cmm_cmc_notification_t){kinds[j], id};
	}
	pthread_mutex_unlock(&S.lock);
	free(recs);
	for (size_t i = 0; cb && i < nn; i++) {
		/* An unregister or disconnect (from the callback itself, or
		 * another thread) ends the dispatch: the callback's data may be
		 * gone. */
		pthread_mutex_lock(&S.lock);
		bool still = gen == S.gen;
		pthread_mutex_unlock(&S.lock);
		if (!still)
			break;
		cb(&notes[i], cd);
	}
	free(notes);
	pthread_mutex_unlock(&dispatch_lock);
	if (!notes && nrecs)
		return CMM_EBUSY;
	return gone ? CMM_EBADF : CMM_OK;
}

/* --- predicates --- */

EXPORT int cmm_member_isdesynchronized(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_FLAG_SYNCHRO_NEEDED) != 0;
}

EXPORT int cmm_member_isdisqualified(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_FLAG_DISQUALIFIED) != 0;
}

EXPORT int cmm_member_iseligible(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_ELIGIBLE_MEMBER) != 0;
}

EXPORT int cmm_member_isexcluded(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_EXCLUDED_MEMBER) != 0;
}

EXPORT int cmm_member_isfrozen(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_FROZEN_MEMBER) != 0;
}

EXPORT int cmm_member_ismaster(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_MASTER) != 0;
}

EXPORT int cmm_member_isvicemaster(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_VICEMASTER) != 0;
}

EXPORT int cmm_member_isoutofcluster(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_OUT_OF_CLUSTER) != 0;
}

/* Qualified: master-eligible and not disqualified. */
EXPORT int cmm_member_isqualified(cmm_member_t const *member)
{
	return member && (member->sflag & CMM_ELIGIBLE_MEMBER) &&
	       !(member->sflag & CMM_FLAG_DISQUALIFIED);
}
