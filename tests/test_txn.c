/* SPDX-License-Identifier: MIT */
/* Tests of txn.h: the transaction every change of the model goes through.
 *
 * Each mutator is checked for what it must leave behind: the change
 * itself, its registry record (kind, change, path, names, texts, ids,
 * seq, time, origin), the dirty ids the store will write, and an undo
 * entry that cfs_txn_rollback() uses to put back exactly what was there
 * (compared as a dump of the whole tree with ids, data, security and
 * times). Rollback goes newest first, so the same value or key changed
 * several times comes back to its first state, and marks nest. Objects
 * whose deletion becomes final are freed by cfs_txn_forget() (the
 * sanitizer build checks that nothing leaks). test_apply.c covers the
 * same machinery through commands; this suite calls cfs_txn_* directly. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn.h"
#include "value.h"

#define SEQ0 100
#define T0 1000 /* the times the mutators stamp */

static struct cfs_model m;
static struct cfs_txn t;
static struct cfs_vec garbage;

static char *gc(char *p)
{
	cr_assert_not_null(p);
	cr_assert_eq(cfs_vec_push(&garbage, p), 0);
	return p;
}

static void setup(void)
{
	cr_assert_eq(cfs_model_init(&m), 0);
	cfs_txn_init(&t, &m, SEQ0);
	t.now_ns = T0;
}

static void teardown(void)
{
	cfs_txn_free(&t);
	cfs_model_free(&m);
	for (size_t i = 0; i < garbage.n; i++)
		free(garbage.v[i]);
	cfs_vec_free(&garbage);
}

TestSuite(txn, .init = setup, .fini = teardown);

/* ------------------------------------------------------------------ */
/* Helpers.                                                            */

static void dump_key(struct cfs_buf *b, const struct cfs_key *k, int depth)
{
	cfs_buf_printf(b, "%*sK#%llu \"%s\" %04o %u:%u t=%lld%s\n", depth * 2, "",
		       (unsigned long long)k->id, k->name, k->mode, k->uid, k->gid,
		       (long long)k->mtime_ns, k->obj ? " obj" : "");
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		cfs_buf_printf(b, "%*sV#%llu \"%s\" type=%u t=%lld data=", depth * 2 + 2, "",
			       (unsigned long long)v->id, v->name, v->type, (long long)v->mtime_ns);
		for (size_t j = 0; j < v->len; j++)
			cfs_buf_printf(b, "%02x", v->data[j]);
		cfs_buf_puts(b, "\n");
	}
	for (size_t i = 0; i < k->subkeys.n; i++)
		dump_key(b, k->subkeys.v[i], depth + 1);
}

/* The whole tree: ids, names, security, times, types and data, in array
 * (id) order, and which keys carry an object. */
static char *dump(void)
{
	struct cfs_buf b = {0};
	dump_key(&b, m.reg.root, 0);
	for (int k = 0; k < CFS_KIND_COUNT; k++)
		cfs_buf_printf(&b, "%s: %zu names\n", cfs_kind_name(k), m.by_name[k].n);
	cfs_buf_printf(&b, "ids: %zu\n", m.by_id.n);
	return gc(cfs_buf_steal(&b));
}

/* Ends the transaction as a durable commit does, and starts the next one
 * at time now: what follows is all the new transaction holds. */
static void fresh(int64_t now)
{
	cfs_txn_free(&t);
	cfs_txn_init(&t, &m, SEQ0);
	t.now_ns = now;
}

static struct cfs_key *add_key(struct cfs_key *parent, const char *name)
{
	struct cfs_key *k = NULL;
	int r = cfs_txn_add_key(&t, parent, name, 0755, 0, 0, &k);
	cr_assert_eq(r, 0, "add %s: %d", name, r);
	cr_assert_not_null(k);
	return k;
}

static void set_sz(struct cfs_key *k, const char *name, const char *text)
{
	int r = cfs_txn_set_value(&t, k, name, CFS_REG_SZ, text, strlen(text));
	cr_assert_eq(r, 0, "set %s=%s: %d", name, text, r);
}

static struct cfs_key *key_at(const char *path)
{
	struct cfs_key *k;
	return cfs_reg_lookup(&m.reg, path, &k) == 0 ? k : NULL;
}

static bool dirty_has(uint64_t id, bool is_value)
{
	uintptr_t want = (uintptr_t)((id << 1) | (is_value ? 1 : 0));
	for (size_t i = 0; i < t.dirty.n; i++)
		if ((uintptr_t)t.dirty.v[i] == want)
			return true;
	return false;
}

static const struct cfs_record *last(void)
{
	cr_assert_gt(t.nrecs, 0);
	return &t.recs[t.nrecs - 1];
}

/* The state of the transaction's lists, to check that something left them
 * as they were. */
struct counts {
	size_t undo, dirty, recs;
	uint64_t seq;
};

static struct counts counts(void)
{
	return (struct counts){t.undo.n, t.dirty.n, t.nrecs, t.next_seq};
}

static void assert_counts(struct counts c, const char *what)
{
	cr_assert_eq(t.undo.n, c.undo, "%s left undo entries", what);
	cr_assert_eq(t.dirty.n, c.dirty, "%s left dirty ids", what);
	cr_assert_eq(t.nrecs, c.recs, "%s left records", what);
	cr_assert_eq(t.next_seq, c.seq, "%s used sequence numbers", what);
}

/* Checks the fields every registry record has. */
static void assert_reg_record(const struct cfs_record *r, enum cfs_change change,
			      const char *path, const struct cfs_key *key)
{
	cr_assert_eq(r->kind, CFS_KIND_REGISTRY);
	cr_assert_eq(r->change, change, "change %s, want %s", cfs_change_name(r->change),
		     cfs_change_name(change));
	cr_assert_str_eq(r->obj_id, "");
	cr_assert_str_eq(r->obj_name, path);
	cr_assert_str_eq(r->parent_id, "");
	cr_assert_eq(r->key_id, key->id);
	cr_assert_eq(r->parent_key_id, key->parent ? key->parent->id : 0);
	cr_assert_eq(r->time_ns, t.now_ns);
}

/* Every record has the next sequence number, from SEQ0. */
static void assert_seqs(void)
{
	for (size_t i = 0; i < t.nrecs; i++)
		cr_assert_eq(t.recs[i].seq, SEQ0 + i, "record %zu has seq %llu", i,
			     (unsigned long long)t.recs[i].seq);
	cr_assert_eq(t.next_seq, SEQ0 + t.nrecs);
}

/* An object like apply.c makes one: a key named by a GUID below the
 * kind's collection, with its Name. */
static struct cfs_object *new_obj(enum cfs_kind kind, const char *name)
{
	char id[CFS_ID_LEN + 1];
	cfs_guid_new(id);
	struct cfs_key *k = add_key(m.coll[kind], id);
	set_sz(k, CFS_P_NAME, name);
	struct cfs_object *o = NULL;
	cr_assert_eq(cfs_txn_obj_add(&t, kind, k, &o), 0);
	cr_assert_not_null(o);
	return o;
}

/* ------------------------------------------------------------------ */
/* Keys.                                                               */

Test(txn, add_key)
{
	struct cfs_key *a = add_key(m.reg.root, "A");
	uint64_t before_id = m.reg.next_id;
	struct cfs_key *b = NULL;
	cr_assert_eq(cfs_txn_add_key(&t, a, "B", 0170750, 7, 8, &b), 0);
	cr_assert_eq(b->parent, a);
	cr_assert_eq(b->id, before_id);
	cr_assert_eq(b->mode, 0750, "only the permission bits are kept");
	cr_assert_eq(b->uid, 7);
	cr_assert_eq(b->gid, 8);
	cr_assert_eq(b->mtime_ns, T0);
	cr_assert_eq(cfs_key_subkey(a, "B"), b);
	assert_reg_record(last(), CFS_CH_KEY_ADDED, "A\\B", b);
	cr_assert_null(last()->prop);
	cr_assert_null(last()->old_value);
	cr_assert_null(last()->new_value);
	cr_assert(dirty_has(b->id, false));
	assert_seqs();

	/* a name taken: nothing happens */
	struct counts c = counts();
	char *d = dump();
	cr_assert_eq(cfs_txn_add_key(&t, a, "B", 0755, 0, 0, NULL), -EEXIST);
	assert_counts(c, "a duplicate key");
	cr_assert_str_eq(dump(), d);
}

/* A new subkey moves its parent's time, persisted and undone with it. */
Test(txn, add_key_touches_parent)
{
	struct cfs_key *a = add_key(m.reg.root, "A");
	fresh(T0 + 5);
	char *d = dump();
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	add_key(a, "B");
	cr_assert_eq(a->mtime_ns, T0 + 5);
	cr_assert(dirty_has(a->id, false));
	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d);
	cr_assert_eq(a->mtime_ns, T0);
}

Test(txn, rename_key)
{
	struct cfs_key *a = add_key(m.reg.root, "A");
	struct cfs_key *b = add_key(a, "B");
	add_key(a, "Other");
	fresh(T0 + 1);
	char *d = dump();
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	size_t dirty0 = t.dirty.n;
	cr_assert_eq(cfs_txn_rename_key(&t, b, "C"), 0);
	cr_assert_str_eq(b->name, "C");
	cr_assert_eq(cfs_key_subkey(a, "C"), b);
	cr_assert_null(cfs_key_subkey(a, "B"));
	const struct cfs_record *r = last();
	cr_assert_eq(r->kind, CFS_KIND_REGISTRY);
	cr_assert_eq(r->change, CFS_CH_KEY_RENAMED);
	cr_assert_str_eq(r->obj_name, "A\\C", "the record names the key's new path");
	cr_assert_str_eq(r->old_value, "B");
	cr_assert_str_eq(r->new_value, "C");
	cr_assert_eq(r->key_id, b->id);
	cr_assert_eq(r->parent_key_id, a->id);
	cr_assert(dirty_has(b->id, false));
	cr_assert(dirty_has(a->id, false), "the parent's entries changed: its time moves");
	cr_assert_eq(a->mtime_ns, T0 + 1);
	cr_assert_gt(t.dirty.n, dirty0);

	/* the same name: nothing to do; a taken one: nothing done */
	struct counts c = counts();
	cr_assert_eq(cfs_txn_rename_key(&t, b, "C"), 0);
	assert_counts(c, "a rename to the same name");
	cr_assert_eq(cfs_txn_rename_key(&t, b, "Other"), -EEXIST);
	assert_counts(c, "a rename onto another key");
	cr_assert_str_eq(b->name, "C");

	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d);
	cr_assert_eq(cfs_key_subkey(a, "B"), b);
	cr_assert_null(cfs_key_subkey(a, "C"));
}

Test(txn, set_security)
{
	struct cfs_key *a = add_key(m.reg.root, "A");
	fresh(T0 + 1);
	char *d = dump();
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	cr_assert_eq(cfs_txn_set_security(&t, a, 0172700, 5, 6), 0);
	cr_assert_eq(a->mode, 02700);
	cr_assert_eq(a->uid, 5);
	cr_assert_eq(a->gid, 6);
	cr_assert_eq(a->mtime_ns, T0, "security is not an entry: the time stays");
	assert_reg_record(last(), CFS_CH_SECURITY, "A", a);
	cr_assert_str_eq(last()->old_value, "0755 0 0");
	cr_assert_str_eq(last()->new_value, "2700 5 6");
	cr_assert(dirty_has(a->id, false));
	struct counts c = counts();
	cr_assert_eq(cfs_txn_set_security(&t, a, 012700, 5, 6), 0);
	assert_counts(c, "security set to what it is");
	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d);
}

/* A key goes with everything below it, deepest first, each level with
 * its own record; rollback brings the whole subtree back with its ids. */
Test(txn, del_key_subtree)
{
	struct cfs_key *k = add_key(m.reg.root, "K");
	set_sz(k, "v1", "one");
	set_sz(k, "v2", "two");
	struct cfs_key *s1 = add_key(k, "S1");
	set_sz(s1, "w", "deep");
	struct cfs_key *s2 = add_key(k, "S2");
	cr_assert_eq(cfs_txn_set_security(&t, s2, 0700, 3, 4), 0);
	uint64_t ids[] = {k->id, s1->id, s2->id, cfs_key_value(k, "v1")->id,
			  cfs_key_value(k, "v2")->id, cfs_key_value(s1, "w")->id};
	fresh(T0 + 10);
	char *d = dump();
	size_t from = t.nrecs;
	struct cfs_txn_mark mk = cfs_txn_mark(&t);

	cr_assert_eq(cfs_txn_del_key(&t, k), 0);
	cr_assert_null(cfs_key_subkey(m.reg.root, "K"));
	for (size_t i = 0; i < 3; i++)
		cr_assert_null(cfs_reg_key(&m.reg, ids[i]));
	for (size_t i = 3; i < 6; i++)
		cr_assert_null(cfs_reg_value(&m.reg, ids[i]));
	static const struct {
		enum cfs_change change;
		const char *path, *prop, *old;
	} want[] = {
		{CFS_CH_KEY_DELETED, "K\\S2", NULL, NULL},
		{CFS_CH_VALUE_DELETED, "K\\S1", "w", "deep"},
		{CFS_CH_KEY_DELETED, "K\\S1", NULL, NULL},
		{CFS_CH_VALUE_DELETED, "K", "v2", "two"},
		{CFS_CH_VALUE_DELETED, "K", "v1", "one"},
		{CFS_CH_KEY_DELETED, "K", NULL, NULL},
	};
	cr_assert_eq(t.nrecs - from, CFS_ARRAY_SIZE(want));
	for (size_t i = 0; i < CFS_ARRAY_SIZE(want); i++) {
		const struct cfs_record *r = &t.recs[from + i];
		cr_assert_eq(r->change, want[i].change, "record %zu: %s", i,
			     cfs_change_name(r->change));
		cr_assert_str_eq(r->obj_name, want[i].path, "record %zu", i);
		if (want[i].prop) {
			cr_assert_str_eq(r->prop, want[i].prop);
			cr_assert_str_eq(r->old_value, want[i].old);
			cr_assert_null(r->new_value);
		} else {
			cr_assert_null(r->prop);
		}
	}
	for (size_t i = 0; i < CFS_ARRAY_SIZE(ids); i++)
		cr_assert(dirty_has(ids[i], i >= 3), "id %llu is not dirty",
			  (unsigned long long)ids[i]);
	cr_assert(dirty_has(m.reg.root->id, false), "the parent's time moved");
	cr_assert_eq(m.reg.root->mtime_ns, T0 + 10);
	assert_seqs();

	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d, "the subtree did not come back as it was");
	cr_assert_eq(t.nrecs, from);
	cr_assert_eq(t.next_seq, SEQ0 + from);
}

/* ------------------------------------------------------------------ */
/* Values.                                                             */

Test(txn, set_value_new_and_replace)
{
	struct cfs_key *k = add_key(m.reg.root, "K");
	fresh(T0 + 1);
	char *d0 = dump();
	struct cfs_txn_mark m0 = cfs_txn_mark(&t);

	cr_assert_eq(cfs_txn_set_value(&t, k, "v", CFS_REG_SZ, "abc", 3), 0);
	struct cfs_value *v = cfs_key_value(k, "v");
	cr_assert_not_null(v);
	cr_assert_eq(v->mtime_ns, T0 + 1);
	const struct cfs_record *r = last();
	cr_assert_eq(r->kind, CFS_KIND_REGISTRY);
	cr_assert_eq(r->change, CFS_CH_VALUE_SET);
	cr_assert_str_eq(r->obj_name, "K");
	cr_assert_str_eq(r->prop, "v");
	cr_assert_null(r->old_value);
	cr_assert_str_eq(r->new_value, "abc");
	cr_assert_eq(r->value_id, v->id);
	cr_assert_eq(r->key_id, k->id);
	cr_assert(r->flags & CFS_REC_CREATED, "a new value is marked created");
	cr_assert(dirty_has(v->id, true));
	cr_assert(dirty_has(k->id, false), "a new entry moves the key's time");
	cr_assert_eq(k->mtime_ns, T0 + 1);
	uint64_t id = v->id;
	char *d1 = dump();
	struct cfs_txn_mark m1 = cfs_txn_mark(&t);

	/* replacing: same id, old and new text, the key's time stays */
	t.now_ns = T0 + 2;
	static const uint8_t five[4] = {5, 0, 0, 0};
	cr_assert_eq(cfs_txn_set_value(&t, k, "v", CFS_REG_DWORD, five, 4), 0);
	cr_assert_eq(cfs_key_value(k, "v"), v);
	cr_assert_eq(v->id, id);
	cr_assert_eq(v->type, CFS_REG_DWORD);
	cr_assert_eq(v->mtime_ns, T0 + 2);
	cr_assert_eq(k->mtime_ns, T0 + 1);
	r = last();
	cr_assert_str_eq(r->old_value, "abc");
	cr_assert_str_eq(r->new_value, "5");
	cr_assert_not(r->flags & CFS_REC_CREATED);

	/* the same type and bytes: a no-op, no record */
	struct counts c = counts();
	cr_assert_eq(cfs_txn_set_value(&t, k, "v", CFS_REG_DWORD, five, 4), 0);
	assert_counts(c, "setting a value to what it is");
	/* the same bytes as another type is a change */
	cr_assert_eq(cfs_txn_set_value(&t, k, "v", CFS_REG_BINARY, five, 4), 0);
	cr_assert_str_eq(last()->old_value, "5");
	cr_assert_str_eq(last()->new_value, "05000000", "binary data is shown in hex");

	cfs_txn_rollback(&t, m1);
	cr_assert_str_eq(dump(), d1, "a replaced value comes back with its type, data and time");
	cfs_txn_rollback(&t, m0);
	cr_assert_str_eq(dump(), d0);
	cr_assert_null(cfs_key_value(k, "v"));
	cr_assert_null(cfs_reg_value(&m.reg, id));
}

/* Record texts: the text form without its last newline, hex for binary
 * and none types, and no text at all above 64 KiB. */
Test(txn, value_record_texts)
{
	struct cfs_key *k = add_key(m.reg.root, "K");
	cr_assert_eq(cfs_txn_set_value(&t, k, "m", CFS_REG_MULTI_SZ, "a\0b\0", 4), 0);
	cr_assert_str_eq(last()->new_value, "a\nb");
	cr_assert_eq(cfs_txn_set_value(&t, k, "n", CFS_REG_NONE, "\x01\xfe", 2), 0);
	cr_assert_str_eq(last()->new_value, "01fe");
	static const uint8_t q[8] = {0, 0, 0, 0, 1, 0, 0, 0};
	cr_assert_eq(cfs_txn_set_value(&t, k, "q", CFS_REG_QWORD, q, 8), 0);
	cr_assert_str_eq(last()->new_value, "4294967296");
	cr_assert_eq(cfs_txn_set_value(&t, k, "e", CFS_REG_SZ, "", 0), 0);
	cr_assert_str_eq(last()->new_value, "");
	size_t big = 65537;
	char *data = gc(malloc(big));
	memset(data, 'x', big);
	cr_assert_eq(cfs_txn_set_value(&t, k, "big", CFS_REG_SZ, data, big), 0);
	cr_assert_null(last()->new_value, "a value over 64 KiB has no text in its record");
	cr_assert_eq(cfs_txn_set_value(&t, k, "big", CFS_REG_SZ, data, 65536), 0);
	cr_assert_null(last()->old_value);
	cr_assert_not_null(last()->new_value);
	cr_assert_eq(strlen(last()->new_value), 65536);
}

Test(txn, del_value)
{
	struct cfs_key *k = add_key(m.reg.root, "K");
	set_sz(k, "a", "1");
	set_sz(k, "b", "2");
	set_sz(k, "c", "3");
	fresh(T0 + 1);
	char *d = dump();
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	struct cfs_value *b = cfs_key_value(k, "b");
	uint64_t id = b->id;
	cr_assert_eq(cfs_txn_del_value(&t, b), 0);
	cr_assert_null(cfs_key_value(k, "b"));
	cr_assert_eq(k->values.n, 2);
	const struct cfs_record *r = last();
	cr_assert_eq(r->change, CFS_CH_VALUE_DELETED);
	cr_assert_str_eq(r->obj_name, "K");
	cr_assert_str_eq(r->prop, "b");
	cr_assert_str_eq(r->old_value, "2");
	cr_assert_null(r->new_value);
	cr_assert_eq(r->value_id, id);
	cr_assert(dirty_has(id, true));
	cr_assert(dirty_has(k->id, false));
	cr_assert_eq(k->mtime_ns, T0 + 1);
	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d, "the value comes back in its place, with its id and time");
	cr_assert_eq(cfs_key_value(k, "b")->id, id);
}

Test(txn, rename_value)
{
	struct cfs_key *k = add_key(m.reg.root, "K");
	set_sz(k, "a", "1");
	set_sz(k, "taken", "2");
	fresh(T0 + 1);
	char *d = dump();
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	struct cfs_value *v = cfs_key_value(k, "a");
	cr_assert_eq(cfs_txn_rename_value(&t, v, "b"), 0);
	cr_assert_eq(cfs_key_value(k, "b"), v);
	cr_assert_null(cfs_key_value(k, "a"));
	const struct cfs_record *r = last();
	cr_assert_eq(r->change, CFS_CH_VALUE_RENAMED);
	cr_assert_str_eq(r->prop, "b", "prop is the new name");
	cr_assert_str_eq(r->old_value, "a");
	cr_assert_str_eq(r->new_value, "b");
	cr_assert_eq(r->value_id, v->id);
	cr_assert(dirty_has(v->id, true));
	cr_assert(dirty_has(k->id, false));
	struct counts c = counts();
	cr_assert_eq(cfs_txn_rename_value(&t, v, "b"), 0);
	assert_counts(c, "a rename to the same name");
	cr_assert_eq(cfs_txn_rename_value(&t, v, "taken"), -EEXIST);
	assert_counts(c, "a rename onto another value");
	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d);
	cr_assert_eq(cfs_key_value(k, "a"), v);
	cr_assert_null(cfs_key_value(k, "b"));
}

/* ------------------------------------------------------------------ */
/* Objects and members.                                                */

Test(txn, obj_add_and_rollback)
{
	char *d = dump();
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	struct cfs_object *g = new_obj(CFS_KIND_GROUP, "web");
	cr_assert_eq(g->kind, CFS_KIND_GROUP);
	cr_assert_str_eq(g->name, "web");
	cr_assert_eq(g->key->obj, g);
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "web"), g);
	cr_assert_eq(cfs_model_by_id(&m, cfs_obj_id(g)), g);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_RESOURCE, "web"));
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_GROUP), 1);
	/* obj_add itself only indexes: its records are the key's and Name's */
	cr_assert_eq(t.nrecs, 2);
	cr_assert_eq(t.recs[0].change, CFS_CH_KEY_ADDED);
	cr_assert_eq(t.recs[1].change, CFS_CH_VALUE_SET);
	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "web"));
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_GROUP), 0);
	cr_assert_eq(m.by_id.n, 0);
}

Test(txn, obj_del_and_rollback)
{
	struct cfs_object *g = new_obj(CFS_KIND_GROUP, "web");
	set_sz(g->key, CFS_P_DESCRIPTION, "d");
	char *id = gc(strdup(cfs_obj_id(g)));
	uint64_t key_id = g->key->id;
	fresh(T0 + 1);
	char *d = dump();
	size_t from = t.nrecs;
	struct cfs_txn_mark mk = cfs_txn_mark(&t);

	cr_assert_eq(cfs_txn_obj_del(&t, g), 0);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "web"));
	cr_assert_null(cfs_model_by_id(&m, id));
	cr_assert_null(cfs_reg_key(&m.reg, key_id));
	cr_assert_eq(m.coll[CFS_KIND_GROUP]->subkeys.n, 0);
	/* its values, then its key */
	cr_assert_eq(t.nrecs - from, 3);
	cr_assert_eq(last()->change, CFS_CH_KEY_DELETED);
	cr_assert(dirty_has(key_id, false));
	cr_assert(dirty_has(m.coll[CFS_KIND_GROUP]->id, false));

	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d);
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "web"), g, "the same object is back");
	cr_assert_eq(cfs_model_by_id(&m, id), g);
	cr_assert_eq(g->key, cfs_reg_key(&m.reg, key_id));
	cr_assert_eq(g->key->obj, g);
}

/* After cfs_txn_forget() a deletion is final and the object is freed
 * (as it is by cfs_txn_free() when nothing was forgotten). */
Test(txn, forget_frees_deleted_objects)
{
	struct cfs_object *a = new_obj(CFS_KIND_GROUP, "a");
	struct cfs_object *b = new_obj(CFS_KIND_NODE, "b");
	struct cfs_object *c = new_obj(CFS_KIND_RESOURCE, "c");
	cfs_txn_forget(&t);
	cr_assert_eq(cfs_txn_obj_del(&t, a), 0);
	cr_assert_eq(cfs_txn_obj_del(&t, b), 0);
	size_t nrecs = t.nrecs, ndirty = t.dirty.n;
	cfs_txn_forget(&t);
	cr_assert_eq(t.undo.n, 0);
	cr_assert_eq(t.nrecs, nrecs, "records stay until cfs_txn_free()");
	cr_assert_eq(t.dirty.n, ndirty, "dirty ids stay until cfs_txn_free()");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "a"));
	/* deleted, not forgotten: freed with the transaction */
	cr_assert_eq(cfs_txn_obj_del(&t, c), 0);
	cfs_txn_free(&t);
	cr_assert_eq(t.undo.n, 0);
	cr_assert_null(t.recs);
	cfs_txn_init(&t, &m, SEQ0);
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_RESOURCE), 0);
}

Test(txn, obj_rename)
{
	struct cfs_object *g = new_obj(CFS_KIND_GROUP, "old");
	struct cfs_object *r = new_obj(CFS_KIND_RESOURCE, "new");
	fresh(T0);
	char *d = dump();
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	cr_assert_eq(cfs_txn_obj_rename(&t, g, "new"), 0, "names are per kind");
	cr_assert_str_eq(g->name, "new");
	cr_assert_str_eq(cfs_key_get_sz(g->key, CFS_P_NAME, NULL), "new");
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "new"), g);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "old"));
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_RESOURCE, "new"), r);
	const struct cfs_record *rec = last();
	cr_assert_eq(rec->change, CFS_CH_VALUE_SET);
	cr_assert_str_eq(rec->prop, CFS_P_NAME);
	cr_assert_str_eq(rec->old_value, "old");
	cr_assert_str_eq(rec->new_value, "new");
	cr_assert_eq(cfs_txn_obj_rename(&t, g, "newer"), 0);
	cfs_txn_rollback(&t, mk);
	cr_assert_str_eq(dump(), d);
	cr_assert_str_eq(g->name, "old");
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "old"), g);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "new"));
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "newer"));
}

/* Members stay sorted by key id whatever the order they come in, and
 * rollback puts each back where it was. */
Test(txn, members)
{
	struct cfs_object *g = new_obj(CFS_KIND_GROUP, "g");
	struct cfs_object *r[4];
	for (int i = 0; i < 4; i++) {
		char name[8];
		snprintf(name, sizeof(name), "r%d", i);
		r[i] = new_obj(CFS_KIND_RESOURCE, name);
	}
	size_t nrecs = t.nrecs, ndirty = t.dirty.n;
	cr_assert_eq(cfs_txn_member_add(&t, g, r[2]), 0);
	cr_assert_eq(cfs_txn_member_add(&t, g, r[0]), 0);
	cr_assert_eq(cfs_txn_member_add(&t, g, r[3]), 0);
	cr_assert_eq(t.nrecs, nrecs, "membership makes no record of its own");
	cr_assert_eq(t.dirty.n, ndirty, "membership is derived: nothing to write");
	cr_assert_eq(g->members.n, 3);
	cr_assert_eq(g->members.v[0], r[0]);
	cr_assert_eq(g->members.v[1], r[2]);
	cr_assert_eq(g->members.v[2], r[3]);
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	cr_assert_eq(cfs_txn_member_del(&t, g, r[2]), 0);
	cr_assert_eq(cfs_txn_member_add(&t, g, r[1]), 0);
	cr_assert_eq(cfs_txn_member_del(&t, g, r[0]), 0);
	cr_assert_eq(g->members.n, 2);
	cr_assert_eq(g->members.v[0], r[1]);
	cr_assert_eq(g->members.v[1], r[3]);
	cfs_txn_rollback(&t, mk);
	cr_assert_eq(g->members.n, 3);
	cr_assert_eq(g->members.v[0], r[0]);
	cr_assert_eq(g->members.v[1], r[2]);
	cr_assert_eq(g->members.v[2], r[3]);
}

/* ------------------------------------------------------------------ */
/* Records.                                                            */

Test(txn, records_and_parents)
{
	struct cfs_object *n = new_obj(CFS_KIND_NODE, "n1");
	struct cfs_object *g = new_obj(CFS_KIND_GROUP, "g");
	struct cfs_object *r = new_obj(CFS_KIND_RESOURCE, "r");
	struct cfs_object *net = new_obj(CFS_KIND_NETWORK, "net");
	struct cfs_object *nif = new_obj(CFS_KIND_NETINTERFACE, "nif");
	set_sz(g->key, CFS_P_OWNER_NODE, cfs_obj_id(n));
	set_sz(r->key, CFS_P_GROUP, cfs_obj_id(g));
	set_sz(nif->key, CFS_P_NODE, cfs_obj_id(n));
	static int token;
	t.origin = &token;
	char old[] = "offline", new[] = "online";
	cr_assert_eq(cfs_txn_record(&t, CFS_KIND_GROUP, CFS_CH_STATE, g, NULL, old, new), 0);
	memset(old, 'X', sizeof(old) - 1); /* the record has its own copy */
	const struct cfs_record *rec = last();
	cr_assert_eq(rec->kind, CFS_KIND_GROUP);
	cr_assert_eq(rec->change, CFS_CH_STATE);
	cr_assert_str_eq(rec->obj_id, cfs_obj_id(g));
	cr_assert_str_eq(rec->obj_name, "g");
	cr_assert_str_eq(rec->parent_id, cfs_obj_id(n), "a group's parent is its owner");
	cr_assert_str_eq(rec->old_value, "offline");
	cr_assert_str_eq(rec->new_value, "online");
	cr_assert_null(rec->prop);
	cr_assert_eq(rec->key_id, g->key->id);
	cr_assert_eq(rec->origin, &token);
	cr_assert_eq(rec->time_ns, T0);
	cr_assert_eq(cfs_txn_record(&t, CFS_KIND_RESOURCE, CFS_CH_ADDED, r, "p", NULL, NULL), 0);
	cr_assert_str_eq(last()->parent_id, cfs_obj_id(g), "a resource's parent is its group");
	cr_assert_str_eq(last()->prop, "p");
	cr_assert_eq(cfs_txn_record(&t, CFS_KIND_NETINTERFACE, CFS_CH_ADDED, nif, NULL, NULL,
				    NULL),
		     0);
	cr_assert_str_eq(last()->parent_id, cfs_obj_id(n), "an interface's parent is its node");
	cr_assert_eq(cfs_txn_record(&t, CFS_KIND_NETWORK, CFS_CH_ADDED, net, NULL, NULL, NULL),
		     0);
	cr_assert_str_eq(last()->parent_id, "");
	cr_assert_eq(cfs_txn_record(&t, CFS_KIND_CLUSTER, CFS_CH_RENAMED, NULL, NULL, "a", "b"),
		     0);
	cr_assert_null(last()->obj_id);
	cr_assert_null(last()->parent_id);
	/* raw: the caller's seq, time and origin are replaced */
	struct cfs_record raw = {.seq = 7, .time_ns = 9, .kind = CFS_KIND_REGISTRY,
				 .change = CFS_CH_KEY_ADDED, .obj_id = "", .obj_name = "X"};
	cr_assert_eq(cfs_txn_record_raw(&t, &raw), 0);
	cr_assert_eq(last()->time_ns, T0);
	cr_assert_eq(last()->origin, &token);
	cr_assert_neq(last()->obj_name, raw.obj_name);
	cr_assert_str_eq(last()->obj_name, "X");
	assert_seqs();
}

/* Records from every mutator share one sequence; a rollback gives back
 * the numbers it took. */
Test(txn, consecutive_seqs)
{
	struct cfs_key *k = add_key(m.reg.root, "K");
	set_sz(k, "v", "1");
	struct cfs_object *g = new_obj(CFS_KIND_GROUP, "g");
	cr_assert_eq(cfs_txn_record(&t, CFS_KIND_GROUP, CFS_CH_STATE, g, NULL, "a", "b"), 0);
	struct cfs_txn_mark mk = cfs_txn_mark(&t);
	uint64_t seq = t.next_seq;
	cr_assert_eq(cfs_txn_rename_key(&t, k, "K2"), 0);
	cr_assert_eq(cfs_txn_set_security(&t, k, 0700, 1, 1), 0);
	cr_assert_eq(cfs_txn_obj_rename(&t, g, "g2"), 0);
	assert_seqs();
	cfs_txn_rollback(&t, mk);
	cr_assert_eq(t.next_seq, seq);
	cr_assert_eq(cfs_txn_del_value(&t, cfs_key_value(k, "v")), 0);
	cr_assert_eq(last()->seq, seq, "the seq given back is used again");
	assert_seqs();
}

/* ------------------------------------------------------------------ */
/* Rollback order and nesting.                                         */

/* A long chain of changes, many of them to the same key and value:
 * rolling back to each mark in turn, newest first, gives back the state
 * at that mark exactly. Undoing in any other order would not (a value
 * renamed then changed, a key renamed then re-created under its old
 * name, ...). */
Test(txn, rollback_each_mark_in_reverse)
{
	struct cfs_key *k = add_key(m.reg.root, "K");
	struct cfs_object *g = new_obj(CFS_KIND_GROUP, "g");
	struct cfs_object *res = new_obj(CFS_KIND_RESOURCE, "r");
	uint64_t k_id = k->id;
	fresh(T0);
	enum { STEPS = 19 };
	char *d[STEPS + 1];
	struct cfs_txn_mark mk[STEPS + 1];
	struct counts c[STEPS + 1];
	int s = 0;
#define STEP(expr)                                                                       \
	do {                                                                             \
		d[s] = dump();                                                           \
		mk[s] = cfs_txn_mark(&t);                                                \
		c[s] = counts();                                                         \
		t.now_ns = T0 + 10 * (s + 1);                                            \
		cr_assert_eq((expr), 0, "step %d: %s", s, #expr);                         \
		s++;                                                                     \
	} while (0)
	static const uint8_t one[4] = {1, 0, 0, 0};
	STEP(cfs_txn_set_value(&t, k, "v", CFS_REG_SZ, "a", 1));
	STEP(cfs_txn_set_value(&t, k, "v", CFS_REG_DWORD, one, 4));
	STEP(cfs_txn_rename_value(&t, cfs_key_value(k, "v"), "w"));
	STEP(cfs_txn_set_value(&t, k, "w", CFS_REG_SZ, "b", 1));
	STEP(cfs_txn_set_value(&t, k, "v", CFS_REG_SZ, "new v", 5));
	STEP(cfs_txn_del_value(&t, cfs_key_value(k, "w")));
	STEP(cfs_txn_add_key(&t, k, "S", 0700, 1, 2, NULL));
	STEP(cfs_txn_set_security(&t, k, 0711, 3, 4));
	STEP(cfs_txn_rename_key(&t, k, "K2"));
	STEP(cfs_txn_add_key(&t, m.reg.root, "K", 0755, 0, 0, NULL));
	STEP(cfs_txn_set_value(&t, key_at("K2\\S"), "deep", CFS_REG_SZ, "x", 1));
	STEP(cfs_txn_member_add(&t, g, res));
	STEP(cfs_txn_obj_rename(&t, g, "g2"));
	STEP(cfs_txn_obj_rename(&t, g, "g"));
	STEP(cfs_txn_member_del(&t, g, res));
	STEP(cfs_txn_obj_del(&t, res));
	STEP(cfs_txn_del_key(&t, key_at("K2")));
	STEP(cfs_txn_rename_key(&t, key_at("K"), "K2"));
	STEP(cfs_txn_obj_del(&t, g));
#undef STEP
	cr_assert_eq(s, STEPS);
	cr_assert_gt(t.nrecs, STEPS);
	assert_seqs();
	for (int i = STEPS - 1; i >= 0; i--) {
		cfs_txn_rollback(&t, mk[i]);
		char *now = dump();
		cr_assert_str_eq(now, d[i], "rolled back to before step %d:\n%s\nwant:\n%s", i, now,
				 d[i]);
		assert_counts(c[i], "a rollback");
	}
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "g"), g);
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_RESOURCE, "r"), res);
	cr_assert_eq(g->members.n, 0);
	/* (a key deleted and brought back is a new struct with the old id) */
	cr_assert_eq(key_at("K")->id, k_id);
}

/* Rolling back an inner mark keeps what came before it; the outer mark
 * then takes the rest; an inner mark rolled back twice is a no-op. */
Test(txn, rollback_nested_mark)
{
	struct cfs_key *k = add_key(m.reg.root, "K");
	fresh(T0);
	char *d0 = dump();
	struct cfs_txn_mark outer = cfs_txn_mark(&t);
	set_sz(k, "a", "1");
	struct cfs_object *g = new_obj(CFS_KIND_GROUP, "g");
	char *d1 = dump();
	struct counts c1 = counts();
	struct cfs_txn_mark inner = cfs_txn_mark(&t);
	set_sz(k, "a", "2");
	set_sz(k, "b", "3");
	cr_assert_eq(cfs_txn_obj_rename(&t, g, "h"), 0);
	cr_assert_eq(cfs_txn_obj_del(&t, g), 0);
	cfs_txn_rollback(&t, inner);
	cr_assert_str_eq(dump(), d1);
	assert_counts(c1, "the inner rollback");
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "g"), g);
	cfs_txn_rollback(&t, inner);
	cr_assert_str_eq(dump(), d1);
	/* more work after the inner rollback, then the outer one */
	set_sz(k, "c", "4");
	cfs_txn_rollback(&t, outer);
	cr_assert_str_eq(dump(), d0);
	assert_counts((struct counts){0, 0, 0, SEQ0}, "the outer rollback");
}
