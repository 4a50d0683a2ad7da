/* SPDX-License-Identifier: MIT */
/* Whole states: a node's snapshot for another node to take, and taking
 * one (engine.h, cfs_engine_snapshot / cfs_engine_install). Both run on
 * the committer thread, at a precise place in the order, so the snapshot
 * is exactly the state after every batch delivered before that place. */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "engine_i.h"
#include "snapshot.h"
#include "store.h"

static int put_record(const struct cfs_record *r, void *ud)
{
	return cfs_snapshot_put_record(ud, r);
}

int cfs_engine_snapshot(struct cfs_engine *e, struct cfs_buf *out)
{
	const struct cfs_snapshot_meta meta = {
		.next_id = e->model.reg.next_id,
		.next_seq = e->next_seq,
		.root_mtime = e->model.reg.root->mtime_ns,
		.root_mode = e->model.reg.root->mode,
		.root_uid = e->model.reg.root->uid,
		.root_gid = e->model.reg.root->gid,
		.hist = e->hist,
		.generation = e->generation,
	};
	/* Only the committer publishes: the journal holds still. */
	uint64_t first = cfs_journal_first_seq(&e->journal), next;
	int r = cfs_snapshot_encode(&e->model, &meta, out);
	if (r == 0)
		r = cfs_snapshot_put_count(out, e->next_seq - first);
	if (r == 0)
		r = cfs_journal_scan(&e->journal, first, e->next_seq, put_record, out, &next);
	return r;
}

/* Writes the whole state to the store in one transaction. */
static int put_keys(struct cfs_store *st, const struct cfs_key *k)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < k->values.n; i++) {
		r = cfs_engine_put_value(st, k->values.v[i]);
	}
	for (size_t i = 0; r == 0 && i < k->subkeys.n; i++) {
		const struct cfs_key *c = k->subkeys.v[i];
		r = cfs_store_put_key(st, c->id, k->id, c->name, c->mode, c->uid, c->gid,
				      c->mtime_ns);
		if (r == 0)
			r = put_keys(st, c);
	}
	return r;
}

static int persist_snapshot(struct cfs_store *st, const struct cfs_snapshot *s)
{
	int r = cfs_store_begin(st);
	if (r < 0)
		return r;
	if ((r = cfs_store_clear(st)) == 0)
		r = put_keys(st, s->model.reg.root);
	for (size_t i = 0; r == 0 && i < s->nrecs; i++)
		r = cfs_engine_put_record(st, &s->recs[i]);
	const struct {
		const char *name;
		uint64_t v;
	} meta[] = {
		{"next_id", s->model.reg.next_id},
		{"next_seq", s->meta.next_seq},
		{"hist", s->meta.hist},
		{"generation", s->meta.generation},
	};
	for (size_t i = 0; r == 0 && i < CFS_ARRAY_SIZE(meta); i++)
		r = cfs_store_set_meta(st, meta[i].name, meta[i].v);
	if (r == 0)
		r = cfs_engine_put_root(st, s->model.reg.root);
	if (r == 0)
		return cfs_store_commit(st);
	cfs_store_rollback(st);
	return r;
}

/* The first seq where this node's retained history and the snapshot's
 * differ (old_next when this node's history is a prefix of the
 * snapshot's, as far as both still hold records). */
static uint64_t find_fork(struct cfs_engine *e, const struct cfs_snapshot *s)
{
	uint64_t old_next = e->next_seq;
	uint64_t s_first = s->nrecs ? s->recs[0].seq : s->meta.next_seq;
	uint64_t fork = old_next > s->meta.next_seq ? s->meta.next_seq : old_next;
	uint64_t from = cfs_journal_first_seq(&e->journal);
	if (from < s_first)
		from = s_first;
	for (uint64_t seq = from; seq < fork; seq++) {
		struct cfs_record mine;
		if (cfs_journal_get(&e->journal, seq, &mine) < 0)
			continue;
		bool same = cfs_record_equal(&mine, &s->recs[seq - s_first]);
		cfs_record_clear(&mine);
		if (!same)
			return seq;
	}
	return fork;
}

/* Fills the in-memory fields a listener uses to find what a record
 * touched, from the new tree (best effort: a thing deleted since has
 * none, and only its parent is invalidated). */
static void locate(const struct cfs_model *m, struct cfs_record *r)
{
	struct cfs_key *k = NULL;
	if (cfs_kind_is_object(r->kind) && r->obj_id) {
		struct cfs_object *o = cfs_model_by_id(m, r->obj_id);
		k = o ? o->key : NULL;
	} else if (r->kind == CFS_KIND_REGISTRY && r->obj_name) {
		if (cfs_reg_lookup(&m->reg, r->obj_name, &k) < 0)
			k = NULL;
	}
	if (!k)
		return;
	r->key_id = k->id;
	r->parent_key_id = k->parent ? k->parent->id : 0;
	if (r->kind == CFS_KIND_REGISTRY && r->prop) {
		struct cfs_value *v = cfs_key_value(k, r->prop);
		r->value_id = v ? v->id : 0;
	}
}

int cfs_engine_install(struct cfs_engine *e, const void *snap, size_t len, const char **why)
{
	const char *reason = NULL;
	struct cfs_snapshot s;
	int r = cfs_snapshot_decode(snap, len, &s, &reason);
	if (r < 0)
		goto out;
	if ((r = persist_snapshot(e->store, &s)) < 0) {
		reason = "the store could not take the cluster's state";
		cfs_snapshot_free(&s);
		goto out;
	}
	struct cfs_engine_reset rs = {
		.fork = find_fork(e, &s),
		.old_next = e->next_seq,
		.new_next = s.meta.next_seq,
	};
	/* The store has the new state: from here on nothing may fail. A
	 * journal that cannot be copied (no memory) is left empty, as after
	 * an overflow: readers fall back to the store. */
	struct cfs_model old;
	pthread_rwlock_wrlock(&e->lock);
	old = e->model;
	e->model = s.model;
	e->next_seq = e->applied_seq = s.meta.next_seq;
	pthread_rwlock_unlock(&e->lock);
	s.model = (struct cfs_model){0};
	e->hist = s.meta.hist;
	e->generation = s.meta.generation;
	if (cfs_journal_reset(&e->journal, s.recs, s.nrecs, s.meta.next_seq) < 0)
		cfs_journal_reset(&e->journal, NULL, 0, s.meta.next_seq);
	rs.old_model = &old;
	if (rs.fork < rs.old_next)
		cfs_engine_log(e, LOG_WARNING,
			       "this node's records %llu..%llu diverged from the cluster's (made "
			       "while it was cut off) and were replaced by the cluster's",
			       (unsigned long long)rs.fork, (unsigned long long)rs.old_next - 1);
	cfs_engine_log(e, LOG_NOTICE, "took the cluster's state: %llu records, next %llu",
		       (unsigned long long)s.nrecs, (unsigned long long)s.meta.next_seq);
	for (size_t i = 0; i < CFS_ARRAY_SIZE(e->listeners); i++)
		if (e->listeners[i].fn && e->listeners[i].reset)
			e->listeners[i].reset(e->listeners[i].ud, &rs);
	/* What this node had not seen, as if it had been committed now. */
	uint64_t s_first = s.nrecs ? s.recs[0].seq : s.meta.next_seq;
	uint64_t from = rs.fork > s_first ? rs.fork : s_first;
	if (from < s.meta.next_seq) {
		size_t at = (size_t)(from - s_first), n = s.nrecs - at;
		for (size_t i = 0; i < n; i++)
			locate(&e->model, &s.recs[at + i]);
		cfs_engine_call_listeners(e, s.recs + at, n);
	}
	cfs_model_free(&old);
	cfs_snapshot_free(&s);
out:
	if (r < 0 && why)
		*why = reason ? reason : strerror(-r);
	return r;
}
