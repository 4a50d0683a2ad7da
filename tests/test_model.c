/* SPDX-License-Identifier: MIT */
/* Tests of model.h: typed objects over the registry.
 *
 * Most tests build a registry the way the engine loads one from the store
 * (raw keys and values with their stored ids, parents first), index it
 * with cfs_model_index() and look at what the indexes derive from it:
 * objects by name (per kind) and by id (all kinds), group members in key
 * id order, references stored as ids, the collections. Then the tables:
 * kind, state and role words, managed properties, and GUIDs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "txn.h"
#include "value.h"

static struct cfs_model m;
static struct cfs_vec garbage;

static char *gc(char *p)
{
	cr_assert_not_null(p);
	cr_assert_eq(cfs_vec_push(&garbage, p), 0);
	return p;
}

static void setup(void)
{
	m = (struct cfs_model){0};
}

static void teardown(void)
{
	cfs_model_free(&m);
	for (size_t i = 0; i < garbage.n; i++)
		free(garbage.v[i]);
	cfs_vec_free(&garbage);
}

TestSuite(model, .init = setup, .fini = teardown);

/* ------------------------------------------------------------------ */
/* A registry as the store loads it.                                   */

/* Object ids (key names) of the loaded cluster. */
#define N1 "00000000-0000-4000-8000-000000000001"
#define N2 "00000000-0000-4000-8000-000000000002"
#define G1 "00000000-0000-4000-8000-000000000011"
#define G2 "00000000-0000-4000-8000-000000000012"
#define RC "00000000-0000-4000-8000-000000000021"
#define RA "00000000-0000-4000-8000-000000000022"
#define RB "00000000-0000-4000-8000-000000000023"
#define RO "00000000-0000-4000-8000-000000000024"
#define RN "00000000-0000-4000-8000-000000000025"
#define T1 "00000000-0000-4000-8000-000000000031"
#define T2 "00000000-0000-4000-8000-000000000032"
#define GONE "00000000-0000-4000-8000-0000000000ff"

static struct cfs_key *lkey(struct cfs_key *parent, uint64_t id, const char *name)
{
	struct cfs_key *k = NULL;
	int r = cfs_reg_add_key(&m.reg, parent, id, name, 0755, 0, 0, 7, &k);
	cr_assert_eq(r, 0, "key %s: %d", name, r);
	return k;
}

static void lval(struct cfs_key *k, uint64_t id, const char *name, uint32_t type,
		 const void *data, size_t len)
{
	int r = cfs_reg_set_value(&m.reg, k, id, name, type, data, len, 7, NULL);
	cr_assert_eq(r, 0, "value %s: %d", name, r);
}

static void lsz(struct cfs_key *k, uint64_t id, const char *name, const char *s)
{
	lval(k, id, name, CFS_REG_SZ, s, strlen(s));
}

static void ldword(struct cfs_key *k, uint64_t id, const char *name, uint32_t v)
{
	uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
	lval(k, id, name, CFS_REG_DWORD, b, 4);
}

/* An object key with its Name (ids: key, key + 1 for Name). */
static struct cfs_key *lobj(struct cfs_key *coll, uint64_t id, const char *guid,
			    const char *name)
{
	struct cfs_key *k = lkey(coll, id, guid);
	if (name)
		lsz(k, id + 1, CFS_P_NAME, name);
	return k;
}

/* The cluster the tests index:
 *   root: ClusterName "cl", ClusterId; Software\Vendor (not objects)
 *   Nodes: node1 (N1, up, number 1), node2 (N2, no state)
 *   Groups: web (G1) on node1, preferred node2 then node1; empty (G2),
 *           owned by nobody
 *   Resources, in key id order: c and a in web, b in empty, orphan in a
 *           group that does not exist, nogroup without a Group value
 *   ResourceTypes: "Generic Service" (T1), "web" (T2: a name a group has)
 *   no Networks and no NetworkInterfaces collection keys */
static void load_cluster(void)
{
	cr_assert_eq(cfs_reg_init(&m.reg), 0);
	struct cfs_key *root = m.reg.root;
	struct cfs_key *nodes = lkey(root, 2, "Nodes");
	struct cfs_key *groups = lkey(root, 3, "Groups");
	struct cfs_key *res = lkey(root, 4, "Resources");
	struct cfs_key *types = lkey(root, 5, "ResourceTypes");
	struct cfs_key *sw = lkey(root, 6, "Software");
	lkey(sw, 7, "Vendor");
	lsz(root, 8, CFS_P_CLUSTER_NAME, "cl");
	lsz(root, 9, CFS_P_CLUSTER_ID, "00000000-0000-4000-8000-0000000000c1");

	struct cfs_key *n1 = lobj(nodes, 10, N1, "node1");
	ldword(n1, 12, CFS_P_NODE_NUMBER, 1);
	ldword(n1, 13, CFS_P_STATE, CFS_NODE_UP);
	lobj(nodes, 14, N2, "node2");

	struct cfs_key *g1 = lobj(groups, 20, G1, "web");
	lsz(g1, 22, CFS_P_OWNER_NODE, N1);
	lval(g1, 23, CFS_P_PREFERRED_OWNERS, CFS_REG_MULTI_SZ, N2 "\0" N1 "\0",
	     2 * (CFS_ID_LEN + 1));
	ldword(g1, 24, CFS_P_STATE, CFS_GROUP_OFFLINE);
	lobj(groups, 25, G2, "empty");

	struct cfs_key *rc = lobj(res, 30, RC, "c");
	lsz(rc, 32, CFS_P_GROUP, G1);
	lsz(rc, 33, CFS_P_TYPE, T1);
	struct cfs_key *ra = lobj(res, 34, RA, "a");
	lsz(ra, 36, CFS_P_GROUP, G1);
	lval(ra, 37, CFS_P_DEPENDENCIES, CFS_REG_MULTI_SZ, RC "\0", CFS_ID_LEN + 1);
	struct cfs_key *rb = lobj(res, 38, RB, "b");
	lsz(rb, 40, CFS_P_GROUP, G2);
	struct cfs_key *ro = lobj(res, 41, RO, "orphan");
	lsz(ro, 43, CFS_P_GROUP, GONE);
	lobj(res, 44, RN, "nogroup");

	lobj(types, 50, T1, "Generic Service");
	lobj(types, 52, T2, "web");
	cr_assert_eq(cfs_model_index(&m), 0);
}

static struct cfs_object *by_name(enum cfs_kind kind, const char *name)
{
	struct cfs_object *o = cfs_model_by_name(&m, kind, name);
	cr_assert_not_null(o, "no %s \"%s\"", cfs_kind_name(kind), name);
	return o;
}

/* ------------------------------------------------------------------ */
/* Init and free.                                                      */

Test(model, init_makes_the_collections)
{
	cr_assert_eq(cfs_model_init(&m), 0);
	for (int k = 0; k < CFS_KIND_COUNT; k++) {
		const char *name = cfs_kind_collection(k);
		if (!cfs_kind_is_object(k)) {
			cr_assert_null(name);
			cr_assert_null(m.coll[k]);
			continue;
		}
		cr_assert_not_null(m.coll[k], "%s", cfs_kind_name(k));
		cr_assert_eq(cfs_key_subkey(m.reg.root, name), m.coll[k]);
		cr_assert_eq(m.coll[k]->parent, m.reg.root);
		cr_assert_eq(m.coll[k]->mode, 0755);
		cr_assert_eq(cfs_model_count(&m, k), 0);
	}
	cr_assert_eq(m.reg.root->subkeys.n, 6);
	cr_assert_eq(m.by_id.n, 0);
	cr_assert_str_eq(cfs_model_cluster_name(&m), "");
	cfs_model_free(&m);
	cr_assert_null(m.reg.root, "free leaves an empty model");
	cfs_model_free(&m); /* and an empty model can be freed again */
}

/* Freeing frees every object (the sanitizer build checks for leaks). */
Test(model, free_after_index)
{
	load_cluster();
	cr_assert_gt(m.by_id.n, 0);
	cfs_model_free(&m);
	cr_assert_eq(m.by_id.n, 0);
	for (int k = 0; k < CFS_KIND_COUNT; k++)
		cr_assert_null(m.coll[k]);
}

/* ------------------------------------------------------------------ */
/* Indexing a loaded registry.                                         */

Test(model, index_builds_an_object_per_key)
{
	load_cluster();
	static const struct {
		enum cfs_kind kind;
		size_t n;
	} counts[] = {
		{CFS_KIND_NODE, 2},	{CFS_KIND_GROUP, 2},   {CFS_KIND_RESOURCE, 5},
		{CFS_KIND_RESTYPE, 2},	{CFS_KIND_NETWORK, 0}, {CFS_KIND_NETINTERFACE, 0},
		{CFS_KIND_CLUSTER, 0},	{CFS_KIND_REGISTRY, 0},
	};
	size_t total = 0;
	for (size_t i = 0; i < CFS_ARRAY_SIZE(counts); i++) {
		cr_assert_eq(cfs_model_count(&m, counts[i].kind), counts[i].n, "%s: %zu",
			     cfs_kind_name(counts[i].kind), cfs_model_count(&m, counts[i].kind));
		total += counts[i].n;
	}
	cr_assert_eq(m.by_id.n, total);
	for (int k = CFS_KIND_NODE; k <= CFS_KIND_NETINTERFACE; k++) {
		struct cfs_key *c = m.coll[k];
		cr_assert_not_null(c);
		for (size_t i = 0; i < c->subkeys.n; i++) {
			struct cfs_key *key = c->subkeys.v[i];
			struct cfs_object *o = key->obj;
			cr_assert_not_null(o, "%s has no object", key->name);
			cr_assert_eq(o->kind, k);
			cr_assert_eq(o->key, key);
			cr_assert_str_eq(cfs_obj_id(o), key->name);
			cr_assert_str_eq(o->name, cfs_key_get_sz(key, CFS_P_NAME, NULL));
			cr_assert_eq(cfs_model_by_id(&m, key->name), o);
			cr_assert_eq(cfs_model_by_name(&m, k, o->name), o);
		}
	}
	/* keys outside the collections are no objects */
	struct cfs_key *sw = cfs_key_subkey(m.reg.root, "Software");
	cr_assert_null(sw->obj);
	cr_assert_null(cfs_key_subkey(sw, "Vendor")->obj);
	cr_assert_null(m.reg.root->obj);
}

/* Collection keys the registry lacks are created by the index. */
Test(model, index_creates_missing_collections)
{
	load_cluster();
	uint64_t ids[] = {m.coll[CFS_KIND_NETWORK]->id, m.coll[CFS_KIND_NETINTERFACE]->id};
	cr_assert_eq(cfs_key_subkey(m.reg.root, "Networks"), m.coll[CFS_KIND_NETWORK]);
	cr_assert_eq(cfs_key_subkey(m.reg.root, "NetworkInterfaces"),
		     m.coll[CFS_KIND_NETINTERFACE]);
	cr_assert_gt(ids[0], 52, "new keys take new ids");
	cr_assert_neq(ids[0], ids[1]);
	/* and the loaded ones are the loaded keys */
	cr_assert_eq(m.coll[CFS_KIND_GROUP]->id, 3);
}

Test(model, index_of_a_fresh_model)
{
	cr_assert_eq(cfs_model_init(&m), 0);
	struct cfs_key *groups = m.coll[CFS_KIND_GROUP];
	cr_assert_eq(cfs_model_index(&m), 0);
	cr_assert_eq(m.coll[CFS_KIND_GROUP], groups, "existing collections are kept");
	cr_assert_eq(m.reg.root->subkeys.n, 6, "and none is made twice");
	cr_assert_eq(m.by_id.n, 0);
}

/* An object key without a Name is still an object (named ""). */
Test(model, index_object_without_name)
{
	cr_assert_eq(cfs_reg_init(&m.reg), 0);
	struct cfs_key *nodes = lkey(m.reg.root, 2, "Nodes");
	lobj(nodes, 3, N1, NULL);
	cr_assert_eq(cfs_model_index(&m), 0);
	struct cfs_object *o = cfs_model_by_id(&m, N1);
	cr_assert_not_null(o);
	cr_assert_str_eq(o->name, "");
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_NODE, ""), o);
	cr_assert_eq(cfs_obj_state(o), UINT32_MAX, "no State value reads as UINT32_MAX");
}

/* ------------------------------------------------------------------ */
/* Lookups.                                                            */

Test(model, lookup_by_name_and_id)
{
	load_cluster();
	struct cfs_object *web = by_name(CFS_KIND_GROUP, "web");
	struct cfs_object *tweb = by_name(CFS_KIND_RESTYPE, "web");
	cr_assert_neq(web, tweb, "names are per kind");
	cr_assert_str_eq(cfs_obj_id(web), G1);
	cr_assert_str_eq(cfs_obj_id(tweb), T2);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_NODE, "web"));
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "Web"), "names are exact");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, G1), "an id is not a name");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_COUNT, "web"));
	cr_assert_null(cfs_model_by_name(&m, (enum cfs_kind)-1, "web"));
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_COUNT), 0);

	/* ids are unique across kinds */
	cr_assert_eq(cfs_model_by_id(&m, G1), web);
	cr_assert_eq(cfs_model_by_id(&m, T2), tweb);
	cr_assert_eq(cfs_model_by_id(&m, N1)->kind, CFS_KIND_NODE);
	cr_assert_null(cfs_model_by_id(&m, GONE));
	cr_assert_null(cfs_model_by_id(&m, "web"));

	/* find: by id of that kind, else by name */
	cr_assert_eq(cfs_model_find(&m, CFS_KIND_GROUP, G1), web);
	cr_assert_eq(cfs_model_find(&m, CFS_KIND_GROUP, "web"), web);
	cr_assert_eq(cfs_model_find(&m, CFS_KIND_RESTYPE, "web"), tweb);
	cr_assert_null(cfs_model_find(&m, CFS_KIND_RESOURCE, G1), "an id of another kind");
	cr_assert_null(cfs_model_find(&m, CFS_KIND_GROUP, "nosuch"));
}

/* A name that is another object's id: the id wins for its kind. */
Test(model, find_prefers_the_id)
{
	load_cluster();
	struct cfs_txn t;
	cfs_txn_init(&t, &m, 1);
	struct cfs_object *empty = by_name(CFS_KIND_GROUP, "empty");
	cr_assert_eq(cfs_txn_obj_rename(&t, empty, G1), 0);
	cfs_txn_free(&t);
	cr_assert_eq(cfs_model_find(&m, CFS_KIND_GROUP, G1), by_name(CFS_KIND_GROUP, "web"));
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, G1), empty);
}

/* Renaming (through a transaction, the only way) moves the name index
 * entry and nothing else; an index rebuilt from the registry agrees. */
Test(model, name_index_after_rename)
{
	load_cluster();
	struct cfs_object *web = by_name(CFS_KIND_GROUP, "web");
	struct cfs_txn t;
	cfs_txn_init(&t, &m, 1);
	cr_assert_eq(cfs_txn_obj_rename(&t, web, "www"), 0);
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "www"), web);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "web"));
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_RESTYPE, "web")->kind, CFS_KIND_RESTYPE);
	cr_assert_eq(cfs_model_by_id(&m, G1), web, "the id does not change");
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_GROUP), 2);
	/* references are ids: the members and the resources' Group still hold */
	cr_assert_eq(cfs_obj_ref(&m, by_name(CFS_KIND_RESOURCE, "c"), CFS_P_GROUP), web);
	cr_assert_eq(web->members.n, 2);
	cfs_txn_forget(&t);
	cfs_txn_free(&t);

	/* the registry is the truth: a model rebuilt from it agrees */
	cr_assert_str_eq(cfs_key_get_sz(web->key, CFS_P_NAME, NULL), "www");
	struct cfs_model m2 = {0};
	cr_assert_eq(cfs_reg_init(&m2.reg), 0);
	struct cfs_key *stack[64];
	struct cfs_key *copy[64];
	size_t sp = 0;
	stack[sp] = m.reg.root;
	copy[sp++] = m2.reg.root;
	while (sp) {
		struct cfs_key *k = stack[--sp], *c = copy[sp];
		for (size_t i = 0; i < k->values.n; i++) {
			const struct cfs_value *v = k->values.v[i];
			cr_assert_eq(cfs_reg_set_value(&m2.reg, c, v->id, v->name, v->type, v->data,
						       v->len, v->mtime_ns, NULL),
				     0);
		}
		for (size_t i = 0; i < k->subkeys.n; i++) {
			struct cfs_key *s = k->subkeys.v[i], *n = NULL;
			cr_assert_eq(cfs_reg_add_key(&m2.reg, c, s->id, s->name, s->mode, s->uid,
						     s->gid, s->mtime_ns, &n),
				     0);
			cr_assert_lt(sp, CFS_ARRAY_SIZE(stack));
			stack[sp] = s;
			copy[sp++] = n;
		}
	}
	int r = cfs_model_index(&m2);
	struct cfs_object *w2 = cfs_model_by_name(&m2, CFS_KIND_GROUP, "www");
	bool old = cfs_model_by_name(&m2, CFS_KIND_GROUP, "web") != NULL;
	size_t members = w2 ? w2->members.n : 0;
	const char *id = w2 ? cfs_obj_id(w2) : "";
	bool same_id = strcmp(id, G1) == 0;
	cfs_model_free(&m2);
	cr_assert_eq(r, 0);
	cr_assert_not_null(w2);
	cr_assert_not(old);
	cr_assert(same_id);
	cr_assert_eq(members, 2);
}

/* ------------------------------------------------------------------ */
/* Members and references.                                             */

Test(model, members_in_key_id_order)
{
	load_cluster();
	struct cfs_object *web = by_name(CFS_KIND_GROUP, "web");
	struct cfs_object *empty = by_name(CFS_KIND_GROUP, "empty");
	cr_assert_eq(web->members.n, 2);
	cr_assert_eq(web->members.v[0], by_name(CFS_KIND_RESOURCE, "c"), "c's key id is lower");
	cr_assert_eq(web->members.v[1], by_name(CFS_KIND_RESOURCE, "a"));
	cr_assert_eq(empty->members.n, 1);
	cr_assert_eq(empty->members.v[0], by_name(CFS_KIND_RESOURCE, "b"));
	/* a resource whose group is gone, or that has none, is nobody's */
	size_t all = 0;
	struct cfs_key *gc_ = m.coll[CFS_KIND_GROUP];
	for (size_t i = 0; i < gc_->subkeys.n; i++)
		all += ((struct cfs_key *)gc_->subkeys.v[i])->obj->members.n;
	cr_assert_eq(all, 3);
	cr_assert_eq(by_name(CFS_KIND_NODE, "node1")->members.n, 0);
}

Test(model, refs_and_owner)
{
	load_cluster();
	struct cfs_object *n1 = by_name(CFS_KIND_NODE, "node1");
	struct cfs_object *web = by_name(CFS_KIND_GROUP, "web");
	struct cfs_object *empty = by_name(CFS_KIND_GROUP, "empty");
	struct cfs_object *c = by_name(CFS_KIND_RESOURCE, "c");
	struct cfs_object *b = by_name(CFS_KIND_RESOURCE, "b");
	struct cfs_object *orphan = by_name(CFS_KIND_RESOURCE, "orphan");
	struct cfs_object *nogroup = by_name(CFS_KIND_RESOURCE, "nogroup");

	cr_assert_eq(cfs_obj_ref(&m, web, CFS_P_OWNER_NODE), n1);
	cr_assert_eq(cfs_obj_ref(&m, c, CFS_P_TYPE), by_name(CFS_KIND_RESTYPE, "Generic Service"));
	cr_assert_null(cfs_obj_ref(&m, empty, CFS_P_OWNER_NODE), "unset");
	cr_assert_null(cfs_obj_ref(&m, orphan, CFS_P_GROUP), "an id nothing has");
	cr_assert_null(cfs_obj_ref(&m, n1, CFS_P_NODE_NUMBER), "not a string value");

	cr_assert_eq(cfs_obj_owner(&m, web), n1);
	cr_assert_eq(cfs_obj_owner(&m, c), n1, "a resource is on its group's owner");
	cr_assert_null(cfs_obj_owner(&m, b), "its group has no owner");
	cr_assert_null(cfs_obj_owner(&m, orphan));
	cr_assert_null(cfs_obj_owner(&m, nogroup));
	cr_assert_null(cfs_obj_owner(&m, n1), "a node is on no node");
	cr_assert_null(cfs_obj_owner(&m, by_name(CFS_KIND_RESTYPE, "web")));
}

struct seen {
	char ids[4][CFS_ID_LEN + 1];
	int n;
	int stop_at; /* 1-based call that returns 7 */
};

static int collect(const char *id, void *ud)
{
	struct seen *s = ud;
	if (s->n < 4)
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", id);
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

Test(model, list_refs)
{
	load_cluster();
	struct cfs_object *web = by_name(CFS_KIND_GROUP, "web");
	struct seen s = {0};
	cr_assert_eq(cfs_obj_each_ref(web, CFS_P_PREFERRED_OWNERS, collect, &s), 0);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.ids[0], N2, "the list's order is kept");
	cr_assert_str_eq(s.ids[1], N1);
	s = (struct seen){.stop_at = 1};
	cr_assert_eq(cfs_obj_each_ref(web, CFS_P_PREFERRED_OWNERS, collect, &s), 7,
		     "a non-zero return stops and is returned");
	cr_assert_eq(s.n, 1);
	s = (struct seen){0};
	cr_assert_eq(cfs_obj_each_ref(web, CFS_P_DEPENDENCIES, collect, &s), 0);
	cr_assert_eq(s.n, 0, "a missing list has no entries");

	cr_assert(cfs_obj_list_has(web, CFS_P_PREFERRED_OWNERS, N1));
	cr_assert(cfs_obj_list_has(web, CFS_P_PREFERRED_OWNERS, N2));
	cr_assert_not(cfs_obj_list_has(web, CFS_P_PREFERRED_OWNERS, G1));
	cr_assert_not(cfs_obj_list_has(web, CFS_P_PREFERRED_OWNERS, "00000000"),
		      "a prefix of an entry is not an entry");
	struct cfs_object *a = by_name(CFS_KIND_RESOURCE, "a");
	cr_assert(cfs_obj_list_has(a, CFS_P_DEPENDENCIES, RC));
	cr_assert_not(cfs_obj_list_has(by_name(CFS_KIND_RESOURCE, "c"), CFS_P_DEPENDENCIES, RA));
}

Test(model, cluster_values_and_state)
{
	load_cluster();
	cr_assert_str_eq(cfs_model_cluster_name(&m), "cl");
	cr_assert_eq(cfs_obj_state(by_name(CFS_KIND_NODE, "node1")), CFS_NODE_UP);
	cr_assert_eq(cfs_obj_state(by_name(CFS_KIND_GROUP, "web")), CFS_GROUP_OFFLINE);
	cr_assert_eq(cfs_obj_state(by_name(CFS_KIND_NODE, "node2")), UINT32_MAX);
}

/* ------------------------------------------------------------------ */
/* Tables.                                                             */

Test(model, kinds)
{
	static const struct {
		enum cfs_kind kind;
		const char *name, *collection;
		bool object;
	} kinds[] = {
		{CFS_KIND_CLUSTER, "cluster", NULL, false},
		{CFS_KIND_NODE, "node", "Nodes", true},
		{CFS_KIND_GROUP, "group", "Groups", true},
		{CFS_KIND_RESOURCE, "resource", "Resources", true},
		{CFS_KIND_RESTYPE, "resourcetype", "ResourceTypes", true},
		{CFS_KIND_NETWORK, "network", "Networks", true},
		{CFS_KIND_NETINTERFACE, "netinterface", "NetworkInterfaces", true},
		{CFS_KIND_REGISTRY, "registry", NULL, false},
	};
	cr_assert_eq(CFS_ARRAY_SIZE(kinds), CFS_KIND_COUNT);
	for (size_t i = 0; i < CFS_ARRAY_SIZE(kinds); i++) {
		enum cfs_kind k = kinds[i].kind;
		cr_assert_str_eq(cfs_kind_name(k), kinds[i].name);
		cr_assert_eq(cfs_kind_parse(kinds[i].name), (int)k);
		char upper[32];
		snprintf(upper, sizeof(upper), "%s", kinds[i].name);
		upper[0] = (char)(upper[0] - 'a' + 'A');
		cr_assert_eq(cfs_kind_parse(upper), (int)k, "kinds parse in any case");
		if (kinds[i].collection)
			cr_assert_str_eq(cfs_kind_collection(k), kinds[i].collection);
		else
			cr_assert_null(cfs_kind_collection(k));
		cr_assert_eq(cfs_kind_is_object(k), kinds[i].object);
	}
	cr_assert_str_eq(cfs_kind_name(CFS_KIND_COUNT), "unknown");
	cr_assert_str_eq(cfs_kind_name((enum cfs_kind)-1), "unknown");
	cr_assert_null(cfs_kind_collection(CFS_KIND_COUNT));
	cr_assert_eq(cfs_kind_parse("groups"), -EINVAL);
	cr_assert_eq(cfs_kind_parse(""), -EINVAL);
	cr_assert_eq(cfs_kind_parse("unknown"), -EINVAL);
}

struct state_case {
	enum cfs_kind kind;
	uint32_t state;
	char word[20];
};

static struct state_case state_cases[] = {
	{CFS_KIND_NODE, CFS_NODE_UP, "up"},
	{CFS_KIND_NODE, CFS_NODE_DOWN, "down"},
	{CFS_KIND_NODE, CFS_NODE_PAUSED, "paused"},
	{CFS_KIND_NODE, CFS_NODE_JOINING, "joining"},
	{CFS_KIND_GROUP, CFS_GROUP_ONLINE, "online"},
	{CFS_KIND_GROUP, CFS_GROUP_OFFLINE, "offline"},
	{CFS_KIND_GROUP, CFS_GROUP_FAILED, "failed"},
	{CFS_KIND_GROUP, CFS_GROUP_PARTIAL_ONLINE, "partialonline"},
	{CFS_KIND_GROUP, CFS_GROUP_PENDING, "pending"},
	{CFS_KIND_RESOURCE, CFS_RES_INHERITED, "inherited"},
	{CFS_KIND_RESOURCE, CFS_RES_INITIALIZING, "initializing"},
	{CFS_KIND_RESOURCE, CFS_RES_ONLINE, "online"},
	{CFS_KIND_RESOURCE, CFS_RES_OFFLINE, "offline"},
	{CFS_KIND_RESOURCE, CFS_RES_FAILED, "failed"},
	{CFS_KIND_RESOURCE, CFS_RES_PENDING, "pending"},
	{CFS_KIND_RESOURCE, CFS_RES_ONLINE_PENDING, "onlinepending"},
	{CFS_KIND_RESOURCE, CFS_RES_OFFLINE_PENDING, "offlinepending"},
	{CFS_KIND_NETWORK, CFS_NET_UNAVAILABLE, "unavailable"},
	{CFS_KIND_NETWORK, CFS_NET_DOWN, "down"},
	{CFS_KIND_NETWORK, CFS_NET_PARTITIONED, "partitioned"},
	{CFS_KIND_NETWORK, CFS_NET_UP, "up"},
	{CFS_KIND_NETINTERFACE, CFS_NETIF_UNAVAILABLE, "unavailable"},
	{CFS_KIND_NETINTERFACE, CFS_NETIF_FAILED, "failed"},
	{CFS_KIND_NETINTERFACE, CFS_NETIF_UNREACHABLE, "unreachable"},
	{CFS_KIND_NETINTERFACE, CFS_NETIF_UP, "up"},
};

ParameterizedTestParameters(model, state_words)
{
	return cr_make_param_array(struct state_case, state_cases, CFS_ARRAY_SIZE(state_cases));
}

/* Each state's word, both ways, in any case. */
ParameterizedTest(struct state_case *sc, model, state_words)
{
	cr_assert_str_eq(cfs_state_name(sc->kind, sc->state), sc->word);
	cr_assert_eq(cfs_state_parse(sc->kind, sc->word), (int)sc->state);
	char upper[20];
	for (size_t i = 0; i < sizeof(upper); i++)
		upper[i] = (char)(sc->word[i] >= 'a' && sc->word[i] <= 'z' ? sc->word[i] - 32
									 : sc->word[i]);
	cr_assert_eq(cfs_state_parse(sc->kind, upper), (int)sc->state);
}

Test(model, state_words_outside_the_tables)
{
	cr_assert_str_eq(cfs_state_name(CFS_KIND_NODE, 99), "unknown");
	cr_assert_str_eq(cfs_state_name(CFS_KIND_RESTYPE, 0), "unknown", "types have no state");
	cr_assert_str_eq(cfs_state_name(CFS_KIND_REGISTRY, 0), "unknown");
	cr_assert_eq(cfs_state_parse(CFS_KIND_NODE, "online"), -EINVAL, "words are per kind");
	cr_assert_eq(cfs_state_parse(CFS_KIND_GROUP, "onlinepending"), -EINVAL);
	cr_assert_eq(cfs_state_parse(CFS_KIND_RESTYPE, "up"), -EINVAL);
	cr_assert_eq(cfs_state_parse(CFS_KIND_GROUP, ""), -EINVAL);
	cr_assert_eq(cfs_state_parse(CFS_KIND_GROUP, "0"), -EINVAL, "numbers are no words");
}

Test(model, roles)
{
	static const struct {
		uint32_t role;
		const char *word;
	} roles[] = {{CFS_ROLE_NONE, "none"},
		     {CFS_ROLE_INTERNAL, "internal"},
		     {CFS_ROLE_CLIENT, "client"},
		     {CFS_ROLE_INTERNAL_AND_CLIENT, "internalandclient"}};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(roles); i++) {
		cr_assert_str_eq(cfs_role_name(roles[i].role), roles[i].word);
		cr_assert_eq(cfs_role_parse(roles[i].word), (int)roles[i].role);
	}
	cr_assert_eq(cfs_role_parse("CLIENT"), CFS_ROLE_CLIENT);
	cr_assert_eq(cfs_role_parse("both"), -EINVAL);
	cr_assert_str_eq(cfs_role_name(4), "unknown");
}

Test(model, managed_properties)
{
	static const struct {
		enum cfs_kind kind;
		const char *prop;
		bool managed;
	} cases[] = {
		{CFS_KIND_NODE, CFS_P_NAME, true},
		{CFS_KIND_NODE, CFS_P_STATE, true},
		{CFS_KIND_NODE, CFS_P_NODE_NUMBER, true},
		{CFS_KIND_NODE, CFS_P_ADDRESS, true},
		{CFS_KIND_NODE, CFS_P_DESCRIPTION, false},
		{CFS_KIND_GROUP, CFS_P_OWNER_NODE, true},
		{CFS_KIND_GROUP, CFS_P_PREFERRED_OWNERS, true},
		{CFS_KIND_GROUP, CFS_P_GROUP_TYPE, true},
		{CFS_KIND_GROUP, CFS_P_DESCRIPTION, false},
		{CFS_KIND_GROUP, CFS_P_TYPE, false},
		{CFS_KIND_RESOURCE, CFS_P_TYPE, true},
		{CFS_KIND_RESOURCE, CFS_P_GROUP, true},
		{CFS_KIND_RESOURCE, CFS_P_POSSIBLE_OWNERS, true},
		{CFS_KIND_RESOURCE, CFS_P_DEPENDENCIES, true},
		{CFS_KIND_RESOURCE, CFS_P_OWNER_NODE, false},
		{CFS_KIND_RESTYPE, CFS_P_NAME, true},
		{CFS_KIND_RESTYPE, CFS_P_DLL_NAME, false},
		{CFS_KIND_NETWORK, CFS_P_ROLE, true},
		{CFS_KIND_NETWORK, CFS_P_ADDRESS_MASK, true},
		{CFS_KIND_NETINTERFACE, CFS_P_NODE, true},
		{CFS_KIND_NETINTERFACE, CFS_P_NETWORK, true},
		{CFS_KIND_NETINTERFACE, CFS_P_ADAPTER, true},
		{CFS_KIND_NETINTERFACE, CFS_P_ROLE, false},
		{CFS_KIND_CLUSTER, CFS_P_CLUSTER_NAME, true},
		{CFS_KIND_CLUSTER, CFS_P_CLUSTER_ID, true},
		{CFS_KIND_CLUSTER, CFS_P_NAME, false},
		{CFS_KIND_CLUSTER, CFS_P_DESCRIPTION, false},
		{CFS_KIND_NODE, "state", false}, /* names are exact */
	};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(cases); i++)
		cr_assert_eq(cfs_prop_is_managed(cases[i].kind, cases[i].prop), cases[i].managed,
			     "%s %s", cfs_kind_name(cases[i].kind), cases[i].prop);
}

/* GUIDs: lower-case 8-4-4-4-12, version 4, RFC 4122 variant, all
 * different. */
Test(model, guids)
{
	enum { N = 256 };
	char (*ids)[CFS_ID_LEN + 1] = calloc(N, sizeof(*ids));
	gc((char *)ids);
	for (int i = 0; i < N; i++) {
		cfs_guid_new(ids[i]);
		const char *g = ids[i];
		cr_assert_eq(strlen(g), CFS_ID_LEN);
		for (int j = 0; j < CFS_ID_LEN; j++) {
			if (j == 8 || j == 13 || j == 18 || j == 23)
				cr_assert_eq(g[j], '-', "%s", g);
			else
				cr_assert(strchr("0123456789abcdef", g[j]) && g[j], "%s", g);
		}
		cr_assert_eq(g[14], '4', "version 4: %s", g);
		cr_assert(strchr("89ab", g[19]), "variant: %s", g);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(g, ids[j]);
	}
}
