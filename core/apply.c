/* SPDX-License-Identifier: MIT */
/* Object commands: nodes, groups, resources, types, networks, interfaces.
 * Registry commands are in apply_registry.c. */
#include "apply.h"
#include "apply_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apply_registry.h"
#include "cmm.h"
#include "value.h"

/* Records a group gaining or losing a resource. The record's prop is the
 * resource's id (the V2 RESOURCE_GAINED/LOST payload, which must survive
 * the resource's deletion); its value_id carries the resource's key id
 * (fs/ needs it for the group's listing). */
static int record_member(struct cfs_txn *t, struct cfs_object *g, struct cfs_object *r, bool added)
{
	int e = cfs_txn_record(t, CFS_KIND_GROUP, added ? CFS_CH_MEMBER_ADDED : CFS_CH_MEMBER_REMOVED,
			       g, cfs_obj_id(r), added ? NULL : r->name, added ? r->name : NULL);
	if (e == 0)
		t->recs[t->nrecs - 1].value_id = r->key->id;
	return e;
}

static int check_obj_name(const char *name, const char **why)
{
	int r = cfs_reg_check_name(name, false);
	if (r == -ENAMETOOLONG)
		return cfs_fail(why, "name too long", r);
	if (r < 0)
		return cfs_fail(why, "name must be UTF-8 without '/' or control characters", r);
	return 0;
}

static struct cfs_object *find_or_fail(struct cfs_model *m, enum cfs_kind kind, const char *ref,
				       const char **why)
{
	struct cfs_object *o = cfs_model_find(m, kind, ref);
	if (!o) {
		static const char *const msg[CFS_KIND_COUNT] = {
			[CFS_KIND_NODE] = "no such node",
			[CFS_KIND_GROUP] = "no such group",
			[CFS_KIND_RESOURCE] = "no such resource",
			[CFS_KIND_RESTYPE] = "no such resource type",
			[CFS_KIND_NETWORK] = "no such network",
			[CFS_KIND_NETINTERFACE] = "no such network interface",
		};
		*why = msg[kind] ? msg[kind] : "no such object";
	}
	return o;
}

int cfs_apply_set_sz(struct cfs_txn *t, struct cfs_object *o, const char *prop, const char *s)
{
	return cfs_txn_set_value(t, o->key, prop, CFS_REG_SZ, s, strlen(s));
}

static int set_dword(struct cfs_txn *t, struct cfs_object *o, const char *prop, uint32_t v)
{
	return cfs_txn_set_dword(t, o->key, prop, v);
}

/* Sets a MULTI_SZ list of ids. */
static int set_list(struct cfs_txn *t, struct cfs_object *o, const char *prop,
		    struct cfs_object **items, size_t n)
{
	struct cfs_buf b = {0};
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = cfs_buf_append(&b, cfs_obj_id(items[i]), strlen(cfs_obj_id(items[i])) + 1);
	if (r == 0)
		r = cfs_txn_set_value(t, o->key, prop, CFS_REG_MULTI_SZ, b.data ? b.data : "", b.len);
	cfs_buf_free(&b);
	return r;
}

/* Names of the objects in a list property, one per line (for records). */
static char *list_names(struct cfs_model *m, const struct cfs_object *o, const char *prop)
{
	struct cfs_buf b = {0};
	struct cfs_value *v = cfs_key_value(o->key, prop);
	const char *p = v ? (const char *)v->data : "", *end = p + (v ? v->len : 0);
	for (; p < end; p += strlen(p) + 1) {
		struct cfs_object *x = cfs_model_by_id(m, p);
		if (b.len)
			cfs_buf_append(&b, "\n", 1);
		cfs_buf_puts(&b, x ? x->name : p);
	}
	return cfs_buf_steal(&b);
}

/* Sets a list property and records the change (old and new names). */
static int replace_list(struct cfs_txn *t, struct cfs_object *o, const char *prop,
			enum cfs_change change, struct cfs_object **items, size_t n)
{
	char *old = list_names(t->m, o, prop);
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	int e = set_list(t, o, prop, items, n);
	if (e == 0 && cfs_txn_mark(t).recs != mark.recs) {
		char *new = list_names(t->m, o, prop);
		e = cfs_txn_record(t, o->kind, change, o, NULL, old, new);
		free(new);
	}
	free(old);
	return e;
}

/* Creates an object key with its Name and indexes it. */
static int obj_create(struct cfs_txn *t, const struct cfs_cmd *cmd, enum cfs_kind kind,
		      const char *name, struct cfs_object **ret, const char **why)
{
	struct cfs_model *m = t->m;
	int r = check_obj_name(name, why);
	if (r < 0)
		return r;
	if (cfs_model_by_name(m, kind, name))
		return cfs_fail(why, "name already in use", -EEXIST);
	if (cfs_model_count(m, kind) >= CFS_OBJECTS_MAX)
		return cfs_fail(why, "too many objects of this kind", -ENOSPC);
	char id[CFS_ID_LEN + 1];
	if (cmd->id[0])
		memcpy(id, cmd->id, sizeof(id));
	else
		cfs_guid_new(id);
	if (cfs_model_by_id(m, id) || cfs_key_subkey(m->coll[kind], id))
		return cfs_fail(why, "id already in use", -EEXIST);
	struct cfs_key *key;
	if ((r = cfs_txn_add_key(t, m->coll[kind], id, 0755, 0, 0, &key)) < 0)
		return r;
	if ((r = cfs_txn_set_value(t, key, CFS_P_NAME, CFS_REG_SZ, name, strlen(name))) < 0)
		return r;
	return cfs_txn_obj_add(t, kind, key, ret);
}

/* Resolves argv[from..argc) to distinct objects of kind. */
static int resolve_list(struct cfs_model *m, enum cfs_kind kind, const struct cfs_cmd *cmd,
			int from, struct cfs_object ***ret, size_t *ret_n, const char **why)
{
	size_t n = (size_t)(cmd->argc - from);
	struct cfs_object **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t k = 0;
	for (int i = from; i < cmd->argc; i++) {
		struct cfs_object *o = find_or_fail(m, kind, cmd->argv[i], why);
		if (!o) {
			free(v);
			return -ENOENT;
		}
		bool dup = false;
		for (size_t j = 0; j < k; j++)
			dup |= v[j] == o;
		if (!dup)
			v[k++] = o;
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

static int set_list_cmd(struct cfs_txn *t, struct cfs_object *o, const char *prop,
			enum cfs_change change, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_object **v;
	size_t n;
	int e = resolve_list(t->m, CFS_KIND_NODE, cmd, 1, &v, &n, why);
	if (e < 0)
		return e;
	e = replace_list(t, o, prop, change, v, n);
	free(v);
	return e;
}

/* Edits r's possible owners by one node in one step, so that two editors
 * (AddClusterResourceNode, RemoveClusterResourceNode) cannot lose each
 * other's change as a read-modify-write of the whole list would. An
 * empty list means every node: adding to it changes nothing, removing
 * from it leaves every other node. The last owner cannot be removed. */
static int owner_edit(struct cfs_txn *t, struct cfs_object *r, struct cfs_object *node, bool add,
		      const char **why)
{
	struct cfs_model *m = t->m;
	struct cfs_value *v = cfs_key_value(r->key, CFS_P_POSSIBLE_OWNERS);
	bool every = !v || v->len == 0;
	bool has = every || cfs_obj_list_has(r, CFS_P_POSSIBLE_OWNERS, cfs_obj_id(node));
	if (add && has)
		return every ? 0 : cfs_fail(why, "already a possible owner", -EEXIST);
	if (!add && !has)
		return cfs_fail(why, "not a possible owner", -ENOENT);
	struct cfs_vec items = {0};
	int e = 0;
	if (every) {
		struct cfs_key *c = m->coll[CFS_KIND_NODE];
		for (size_t i = 0; e == 0 && i < c->subkeys.n; i++) {
			struct cfs_object *x = ((struct cfs_key *)c->subkeys.v[i])->obj;
			if (x && x != node)
				e = cfs_vec_push(&items, x);
		}
	} else {
		for (const char *p = (const char *)v->data; e == 0 && p < (const char *)v->data + v->len;
		     p += strlen(p) + 1) {
			struct cfs_object *x = cfs_model_by_id(m, p);
			if (x && x != node)
				e = cfs_vec_push(&items, x);
		}
	}
	if (e == 0 && add)
		e = items.n >= CFS_LIST_MAX ? cfs_fail(why, "too many possible owners", -E2BIG)
					    : cfs_vec_push(&items, node);
	if (e == 0 && items.n == 0)
		e = cfs_fail(why, "a resource needs a possible owner", -EBUSY);
	if (e == 0)
		e = replace_list(t, r, CFS_P_POSSIBLE_OWNERS, CFS_CH_POSSIBLE_OWNERS,
				 (struct cfs_object **)items.v, items.n);
	cfs_vec_free(&items);
	return e;
}

/* True when provider p (transitively) depends on r. */
static bool depends_on(struct cfs_model *m, struct cfs_object *p, struct cfs_object *r,
		       unsigned depth)
{
	if (p == r)
		return true;
	if (depth > CFS_LIST_MAX)
		return true;
	struct cfs_value *v = cfs_key_value(p->key, CFS_P_DEPENDENCIES);
	const char *s = v ? (const char *)v->data : "", *end = s + (v ? v->len : 0);
	for (; s < end; s += strlen(s) + 1) {
		struct cfs_object *q = cfs_model_by_id(m, s);
		if (q && depends_on(m, q, r, depth + 1))
			return true;
	}
	return false;
}

/* The names (or ids) of the resources that depend on p, one per line. */
static char *dependents_list(struct cfs_model *m, struct cfs_object *p, bool ids)
{
	struct cfs_buf b = {0};
	struct cfs_object *g = cfs_obj_ref(m, p, CFS_P_GROUP);
	for (size_t i = 0; g && i < g->members.n; i++) {
		struct cfs_object *d = g->members.v[i];
		if (!cfs_obj_list_has(d, CFS_P_DEPENDENCIES, cfs_obj_id(p)))
			continue;
		if (b.len)
			cfs_buf_append(&b, "\n", 1);
		cfs_buf_puts(&b, ids ? cfs_obj_id(d) : d->name);
	}
	return cfs_buf_steal(&b);
}

static int change_deps(struct cfs_txn *t, struct cfs_object *r, struct cfs_object *p, bool add,
		       const char **why)
{
	struct cfs_model *m = t->m;
	bool has = cfs_obj_list_has(r, CFS_P_DEPENDENCIES, cfs_obj_id(p));
	if (add == has)
		return 0;
	if (add) {
		if (cfs_obj_ref(m, r, CFS_P_GROUP) != cfs_obj_ref(m, p, CFS_P_GROUP))
			return cfs_fail(why, "dependencies must stay within one group", -EXDEV);
		if (depends_on(m, p, r, 0))
			return cfs_fail(why, "dependency would make a cycle", -ELOOP);
	}
	struct cfs_value *v = cfs_key_value(r->key, CFS_P_DEPENDENCIES);
	size_t cnt = 0;
	const char *s = v ? (const char *)v->data : "", *end = s + (v ? v->len : 0);
	for (const char *q = s; q < end; q += strlen(q) + 1)
		cnt++;
	if (add && cnt >= CFS_LIST_MAX)
		return cfs_fail(why, "too many dependencies", -E2BIG);
	struct cfs_object **items = calloc(cnt + 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	size_t n = 0;
	for (const char *q = s; q < end; q += strlen(q) + 1) {
		struct cfs_object *x = cfs_model_by_id(m, q);
		if (x && x != p)
			items[n++] = x;
	}
	if (add)
		items[n++] = p;
	char *old = list_names(m, r, CFS_P_DEPENDENCIES);
	char *old_dependents = dependents_list(m, p, false);
	int e = set_list(t, r, CFS_P_DEPENDENCIES, items, n);
	free(items);
	if (e == 0) {
		char *new = list_names(m, r, CFS_P_DEPENDENCIES);
		e = cfs_txn_record(t, CFS_KIND_RESOURCE, CFS_CH_DEPENDENCIES, r, NULL, old, new);
		free(new);
	}
	/* The provider's view of it (V2 RESOURCE_DEPENDENTS): names in
	 * old/new, and the new list's ids in prop (names can change before
	 * a reader looks). */
	if (e == 0) {
		char *new = dependents_list(m, p, false), *ids = dependents_list(m, p, true);
		e = cfs_txn_record(t, CFS_KIND_RESOURCE, CFS_CH_DEPENDENTS, p, ids ? ids : "",
				   old_dependents ? old_dependents : "", new ? new : "");
		free(ids);
		free(new);
	}
	free(old_dependents);
	free(old);
	return e;
}

static bool has_dependents(struct cfs_model *m, struct cfs_object *r)
{
	struct cfs_object *g = cfs_obj_ref(m, r, CFS_P_GROUP);
	for (size_t i = 0; g && i < g->members.n; i++)
		if (cfs_obj_list_has(g->members.v[i], CFS_P_DEPENDENCIES, cfs_obj_id(r)))
			return true;
	return false;
}

/* Adds to *tree every resource linked to tree->v[0] through dependencies,
 * either way (its dependency tree). Dependencies never leave a group, so
 * only the members of r's group are looked at. Breadth-first from r, so
 * the order (and with it the order of the records) is deterministic. */
static int dependency_tree(struct cfs_model *m, struct cfs_object *r, struct cfs_vec *tree)
{
	struct cfs_object *g = cfs_obj_ref(m, r, CFS_P_GROUP);
	int e = cfs_vec_push(tree, r);
	for (size_t k = 0; e == 0 && k < tree->n; k++) {
		struct cfs_object *x = tree->v[k];
		for (size_t i = 0; e == 0 && g && i < g->members.n; i++) {
			struct cfs_object *y = g->members.v[i];
			if (y == x || cfs_vec_find(tree, y) >= 0)
				continue;
			if (cfs_obj_list_has(x, CFS_P_DEPENDENCIES, cfs_obj_id(y)) ||
			    cfs_obj_list_has(y, CFS_P_DEPENDENCIES, cfs_obj_id(x)))
				e = cfs_vec_push(tree, y);
		}
	}
	return e;
}

static int move_one(struct cfs_txn *t, struct cfs_object *r, struct cfs_object *old,
		    struct cfs_object *g)
{
	int e;
	if (old && ((e = cfs_txn_member_del(t, old, r)) < 0 ||
		    (e = record_member(t, old, r, false)) < 0))
		return e;
	if ((e = cfs_apply_set_sz(t, r, CFS_P_GROUP, cfs_obj_id(g))) < 0 ||
	    (e = cfs_txn_member_add(t, g, r)) < 0 ||
	    (e = cfs_txn_record(t, CFS_KIND_RESOURCE, CFS_CH_GROUP, r, NULL, old ? old->name : NULL,
				g->name)) < 0)
		return e;
	return record_member(t, g, r, true);
}

/* Moves r and its whole dependency tree to g, as Windows'
 * ChangeClusterResourceGroup does. Resources keep their states when both
 * groups run on the same node; otherwise every one of them must be down
 * (an online resource cannot jump to another node's group). */
static int res_set_group(struct cfs_txn *t, struct cfs_object *r, struct cfs_object *g,
			 const char **why)
{
	struct cfs_model *m = t->m;
	struct cfs_object *old = cfs_obj_ref(m, r, CFS_P_GROUP);
	if (old == g)
		return 0;
	struct cfs_vec tree = {0};
	int e = dependency_tree(m, r, &tree);
	if (e == 0 && old && cfs_obj_ref(m, old, CFS_P_OWNER_NODE) != cfs_obj_ref(m, g, CFS_P_OWNER_NODE))
		for (size_t i = 0; e == 0 && i < tree.n; i++)
			if (!cfs_apply_is_down(cfs_obj_state(tree.v[i])))
				e = cfs_fail(why, "the groups run on different nodes: take the "
						  "resources offline first", -EBUSY);
	for (size_t i = 0; e == 0 && i < tree.n; i++)
		e = move_one(t, tree.v[i], old, g);
	cfs_vec_free(&tree);
	if (e == 0)
		e = cfs_apply_group_update(t, old);
	return e < 0 ? e : cfs_apply_group_update(t, g);
}

static int res_create(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_model *m = t->m;
	struct cfs_object *type = find_or_fail(m, CFS_KIND_RESTYPE, cmd->argv[1], why);
	struct cfs_object *g = type ? find_or_fail(m, CFS_KIND_GROUP, cmd->argv[2], why) : NULL;
	if (!g)
		return -ENOENT;
	struct cfs_object *r;
	int e = obj_create(t, cmd, CFS_KIND_RESOURCE, cmd->argv[0], &r, why);
	if (e < 0)
		return e;
	if ((e = cfs_apply_set_sz(t, r, CFS_P_TYPE, cfs_obj_id(type))) < 0 ||
	    (e = set_dword(t, r, CFS_P_STATE, CFS_RES_OFFLINE)) < 0 ||
	    (e = cfs_apply_set_sz(t, r, CFS_P_GROUP, cfs_obj_id(g))) < 0 ||
	    (e = cfs_txn_member_add(t, g, r)) < 0 ||
	    (e = cfs_txn_record(t, CFS_KIND_RESOURCE, CFS_CH_ADDED, r, NULL, NULL, "offline")) < 0 ||
	    (e = record_member(t, g, r, true)) < 0)
		return e;
	return cfs_apply_group_update(t, g);
}

static int res_delete(struct cfs_txn *t, struct cfs_object *r, const char **why)
{
	struct cfs_model *m = t->m;
	if (!cfs_apply_is_down(cfs_obj_state(r)))
		return cfs_fail(why, "take the resource offline first", -EBUSY);
	if (has_dependents(m, r))
		return cfs_fail(why, "other resources depend on it", -EBUSY);
	struct cfs_object *g = cfs_obj_ref(m, r, CFS_P_GROUP);
	int e;
	if (g && ((e = cfs_txn_member_del(t, g, r)) < 0 || (e = record_member(t, g, r, false)) < 0))
		return e;
	/* The record names the resource's type (V2 RESOURCE_DELETED has it,
	 * and a reader can no longer look it up). */
	struct cfs_object *type = cfs_obj_ref(m, r, CFS_P_TYPE);
	if ((e = cfs_txn_record(t, CFS_KIND_RESOURCE, CFS_CH_DELETED, r, type ? type->name : NULL,
				NULL, NULL)) < 0 ||
	    (e = cfs_txn_obj_del(t, r)) < 0)
		return e;
	return cfs_apply_group_update(t, g);
}

static int rename_obj(struct cfs_txn *t, struct cfs_object *o, const char *name,
		      const char **why)
{
	if (strcmp(o->name, name) == 0)
		return 0;
	int e = check_obj_name(name, why);
	if (e < 0)
		return e;
	if (cfs_model_by_name(t->m, o->kind, name))
		return cfs_fail(why, "name already in use", -EEXIST);
	char *old = strdup(o->name);
	if (!old)
		return -ENOMEM;
	e = cfs_txn_obj_rename(t, o, name);
	if (e == 0)
		e = cfs_txn_record(t, o->kind, CFS_CH_RENAMED, o, NULL, old, name);
	free(old);
	return e;
}

static bool node_in_use(struct cfs_model *m, struct cfs_object *node)
{
	struct cfs_key *gc = m->coll[CFS_KIND_GROUP];
	for (size_t i = 0; i < gc->subkeys.n; i++) {
		struct cfs_object *g = ((struct cfs_key *)gc->subkeys.v[i])->obj;
		if (g && cfs_obj_ref(m, g, CFS_P_OWNER_NODE) == node)
			return true;
	}
	return false;
}

/* Removes an evicted node from every owner list that names it. */
static int drop_node_refs(struct cfs_txn *t, struct cfs_object *node)
{
	static const struct {
		enum cfs_kind kind;
		const char *prop;
		enum cfs_change change;
	} lists[] = {
		{CFS_KIND_GROUP, CFS_P_PREFERRED_OWNERS, CFS_CH_PREFERRED_OWNERS},
		{CFS_KIND_RESOURCE, CFS_P_POSSIBLE_OWNERS, CFS_CH_POSSIBLE_OWNERS},
	};
	struct cfs_model *m = t->m;
	for (size_t l = 0; l < CFS_ARRAY_SIZE(lists); l++) {
		struct cfs_key *c = m->coll[lists[l].kind];
		for (size_t i = 0; i < c->subkeys.n; i++) {
			struct cfs_object *o = ((struct cfs_key *)c->subkeys.v[i])->obj;
			if (!o || !cfs_obj_list_has(o, lists[l].prop, cfs_obj_id(node)))
				continue;
			struct cfs_value *v = cfs_key_value(o->key, lists[l].prop);
			struct cfs_object **items = calloc(CFS_LIST_MAX + 1, sizeof(*items));
			if (!items)
				return -ENOMEM;
			size_t n = 0;
			for (const char *p = (const char *)v->data; p < (const char *)v->data + v->len;
			     p += strlen(p) + 1) {
				struct cfs_object *x = cfs_model_by_id(m, p);
				if (x && x != node && n < CFS_LIST_MAX)
					items[n++] = x;
			}
			int e = replace_list(t, o, lists[l].prop, lists[l].change, items, n);
			free(items);
			if (e < 0)
				return e;
		}
	}
	return 0;
}

static int node_state(struct cfs_txn *t, struct cfs_object *n, const char *word,
		      const char **why)
{
	uint32_t cur = cfs_obj_state(n);
	int s;
	if (strcasecmp(word, "pause") == 0) {
		if (cur != CFS_NODE_UP && cur != CFS_NODE_PAUSED)
			return cfs_fail(why, "only an up node can be paused", -EHOSTDOWN);
		s = CFS_NODE_PAUSED;
	} else if (strcasecmp(word, "resume") == 0) {
		if (cur != CFS_NODE_PAUSED && cur != CFS_NODE_UP)
			return cfs_fail(why, "only a paused node can be resumed", -EINVAL);
		s = CFS_NODE_UP;
	} else if ((s = cfs_state_parse(CFS_KIND_NODE, word)) < 0) {
		return cfs_fail(why, "unknown node state (up, down, paused, joining, pause, resume)",
				-EINVAL);
	}
	return cfs_txn_set_state(t, n, (uint32_t)s);
}

static int parse_u32(const char *s, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int free_prop(struct cfs_txn *t, const struct cfs_cmd *cmd, bool set, const char **why)
{
	int kind = cfs_kind_parse(cmd->argv[0]);
	if (kind < 0 || !cfs_kind_is_object(kind))
		return cfs_fail(why, "unknown object kind", -EINVAL);
	struct cfs_object *o = find_or_fail(t->m, kind, cmd->argv[1], why);
	if (!o)
		return -ENOENT;
	const char *prop = cmd->argv[2];
	int e = cfs_reg_check_name(prop, false);
	if (e < 0)
		return cfs_fail(why, "bad property name", e);
	if (cfs_prop_is_managed(kind, prop))
		return cfs_fail(why, "property is maintained by the cluster", -EPERM);
	struct cfs_value *old = cfs_key_value(o->key, prop);
	char *oldtext = old && old->type == CFS_REG_SZ ? cfs_strndup((char *)old->data, old->len)
						      : NULL;
	if (set) {
		struct cfs_buf b = {0};
		e = cfs_value_parse(CFS_REG_SZ, cmd->argv[3], cmd->arglen[3], &b);
		if (e == 0)
			e = cfs_txn_set_value(t, o->key, prop, CFS_REG_SZ, b.data ? b.data : "", b.len);
		else
			cfs_fail(why, "property text must be UTF-8 without NUL", e);
		if (e == 0)
			e = cfs_txn_record(t, kind, CFS_CH_PROPERTY, o, prop, oldtext,
					   b.data ? b.data : "");
		cfs_buf_free(&b);
	} else if (!old) {
		e = cfs_fail(why, "no such property", -ENOENT);
	} else if ((e = cfs_txn_del_value(t, old)) == 0) {
		e = cfs_txn_record(t, kind, CFS_CH_PROPERTY, o, prop, oldtext, NULL);
	}
	free(oldtext);
	return e;
}

/* The replicated back-end's quorum decision, kept at the root. */
static int cluster_quorum(struct cfs_txn *t, const char *word, const char **why)
{
	if (strcmp(word, "quorate") != 0 && strcmp(word, "lost") != 0)
		return cfs_fail(why, "cluster-quorum takes quorate or lost", -EINVAL);
	struct cfs_key *root = t->m->reg.root;
	const char *cur = cfs_key_get_sz(root, CFS_P_QUORUM, NULL);
	if (cur && strcmp(cur, word) == 0)
		return 0;
	char *old = cur ? strdup(cur) : NULL;
	if (cur && !old)
		return -ENOMEM;
	int r = cfs_txn_set_value(t, root, CFS_P_QUORUM, CFS_REG_SZ, word, strlen(word));
	if (r == 0) {
		struct cfs_record rec = {.kind = CFS_KIND_CLUSTER, .change = CFS_CH_PROPERTY,
					 .obj_id = "", .obj_name = (char *)cfs_model_cluster_name(t->m),
					 .parent_id = "", .prop = CFS_P_QUORUM,
					 .old_value = old, .new_value = (char *)word,
					 .key_id = root->id};
		r = cfs_txn_record_raw(t, &rec);
	}
	free(old);
	return r;
}

static struct cfs_object *default_node(struct cfs_model *m)
{
	/* The lowest-numbered node that is up, else the lowest-numbered. */
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	struct cfs_object *best = NULL, *best_up = NULL;
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		struct cfs_object *n = ((struct cfs_key *)nc->subkeys.v[i])->obj;
		if (!n)
			continue;
		uint32_t num = cfs_key_get_dword(n->key, CFS_P_NODE_NUMBER, UINT32_MAX);
		if (!best || num < cfs_key_get_dword(best->key, CFS_P_NODE_NUMBER, UINT32_MAX))
			best = n;
		if (cfs_obj_state(n) == CFS_NODE_UP &&
		    (!best_up || num < cfs_key_get_dword(best_up->key, CFS_P_NODE_NUMBER, UINT32_MAX)))
			best_up = n;
	}
	return best_up ? best_up : best;
}

int cfs_apply_type_create(struct cfs_txn *t, const struct cfs_cmd *cmd, const char *name,
			  const char *dll, struct cfs_object **ret, const char **why)
{
	struct cfs_object *o;
	int e = obj_create(t, cmd, CFS_KIND_RESTYPE, name, &o, why);
	if (e == 0 && dll)
		e = cfs_apply_set_sz(t, o, CFS_P_DLL_NAME, dll);
	if (e == 0)
		e = cfs_txn_record(t, CFS_KIND_RESTYPE, CFS_CH_ADDED, o, NULL, NULL, NULL);
	if (e == 0)
		*ret = o;
	return e;
}

/* Resource and group commands are refused while the group moves. */
static int check_not_moving(struct cfs_model *m, struct cfs_object *o, const char **why)
{
	struct cfs_object *g = o->kind == CFS_KIND_RESOURCE ? cfs_obj_ref(m, o, CFS_P_GROUP) : o;
	if (g && cfs_apply_group_moving(g))
		return cfs_fail(why, "the group is moving: wait for its stops", -EBUSY);
	return 0;
}

static int apply_op(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_model *m = t->m;
	char *const *a = cmd->argv;
	struct cfs_object *o, *x;
	int e, s;
	uint32_t num;
	char numtext[16];

	switch (cmd->op) {
	case CFS_OP_CLUSTER_RENAME: {
		if ((e = check_obj_name(a[0], why)) < 0)
			return e;
		char *old = strdup(cfs_model_cluster_name(m));
		if (!old)
			return -ENOMEM;
		e = cfs_txn_set_value(t, m->reg.root, CFS_P_CLUSTER_NAME, CFS_REG_SZ, a[0],
				      strlen(a[0]));
		if (e == 0 && !cfs_key_value(m->reg.root, CFS_P_CLUSTER_ID) && cmd->id[0])
			e = cfs_txn_set_value(t, m->reg.root, CFS_P_CLUSTER_ID, CFS_REG_SZ, cmd->id,
					      strlen(cmd->id));
		if (e == 0 && strcmp(old, a[0]) != 0) {
			struct cfs_record rec = {.kind = CFS_KIND_CLUSTER, .change = CFS_CH_RENAMED,
						 .obj_id = "", .obj_name = a[0], .parent_id = "",
						 .old_value = old, .new_value = a[0],
						 .key_id = m->reg.root->id};
			e = cfs_txn_record_raw(t, &rec);
		}
		free(old);
		return e;
	}
	case CFS_OP_NODE_ADD:
		if (parse_u32(a[1], &num) < 0 || num == 0)
			return cfs_fail(why, "node number must be a positive integer", -EINVAL);
		s = cmd->argc > 3 ? cfs_state_parse(CFS_KIND_NODE, a[3]) : CFS_NODE_UP;
		if (s < 0)
			return cfs_fail(why, "unknown node state", -EINVAL);
		for (size_t i = 0; i < m->coll[CFS_KIND_NODE]->subkeys.n; i++) {
			struct cfs_key *k = m->coll[CFS_KIND_NODE]->subkeys.v[i];
			if (cfs_key_get_dword(k, CFS_P_NODE_NUMBER, 0) == num)
				return cfs_fail(why, "node number already in use", -EEXIST);
		}
		/* The record names the node's number, so a reader (the CMM
		 * library) learns it without looking it up. */
		snprintf(numtext, sizeof(numtext), "%" PRIu32, num);
		if ((e = obj_create(t, cmd, CFS_KIND_NODE, a[0], &o, why)) < 0 ||
		    (e = set_dword(t, o, CFS_P_NODE_NUMBER, num)) < 0 ||
		    (e = cfs_apply_set_sz(t, o, CFS_P_ADDRESS, a[2])) < 0 ||
		    (e = set_dword(t, o, CFS_P_STATE, (uint32_t)s)) < 0 ||
		    (e = cfs_txn_record(t, CFS_KIND_NODE, CFS_CH_ADDED, o, numtext, NULL,
					cfs_state_name(CFS_KIND_NODE, (uint32_t)s))) < 0)
			return e;
		return cfs_cmm_elect(t);
	case CFS_OP_NODE_EVICT: {
		if (!(o = find_or_fail(m, CFS_KIND_NODE, a[0], why)))
			return -ENOENT;
		if (node_in_use(m, o))
			return cfs_fail(why, "node still owns groups", -EBUSY);
		if ((e = cfs_cmm_node_gone(t, o)) < 0 || (e = drop_node_refs(t, o)) < 0)
			return e;
		/* Its network interfaces go with it. */
		struct cfs_key *nc = m->coll[CFS_KIND_NETINTERFACE];
		for (size_t i = nc->subkeys.n; i-- > 0;) {
			struct cfs_object *ni = ((struct cfs_key *)nc->subkeys.v[i])->obj;
			if (ni && cfs_obj_ref(m, ni, CFS_P_NODE) == o &&
			    ((e = cfs_txn_record(t, CFS_KIND_NETINTERFACE, CFS_CH_DELETED, ni, NULL,
						 NULL, NULL)) < 0 ||
			     (e = cfs_txn_obj_del(t, ni)) < 0))
				return e;
		}
		if ((e = cfs_txn_record(t, CFS_KIND_NODE, CFS_CH_DELETED, o, NULL, NULL, NULL)) < 0 ||
		    (e = cfs_txn_obj_del(t, o)) < 0)
			return e;
		return cfs_cmm_elect(t);
	}
	case CFS_OP_NODE_STATE:
		if (!(o = find_or_fail(m, CFS_KIND_NODE, a[0], why)))
			return -ENOENT;
		if ((e = node_state(t, o, a[1], why)) < 0)
			return e;
		return cfs_cmm_elect(t);
	case CFS_OP_NODE_CMM:
		if (!(o = find_or_fail(m, CFS_KIND_NODE, a[0], why)))
			return -ENOENT;
		return cfs_cmm_set(t, o, a[1], a[2], why);
	case CFS_OP_CMM_ELECT:
		return cfs_cmm_elect(t);
	case CFS_OP_CMM_RELEASE:
	case CFS_OP_CMM_REMOVE:
	case CFS_OP_CMM_SEIZE:
		if (!(o = find_or_fail(m, CFS_KIND_NODE, a[0], why)))
			return -ENOENT;
		return cmd->op == CFS_OP_CMM_RELEASE  ? cfs_cmm_release(t, o, why)
		       : cmd->op == CFS_OP_CMM_REMOVE ? cfs_cmm_remove(t, o, why)
						      : cfs_cmm_seize(t, o, why);
	case CFS_OP_CMM_SETQUALIF:
		if (!(o = find_or_fail(m, CFS_KIND_NODE, a[0], why)) ||
		    !(x = find_or_fail(m, CFS_KIND_NODE, a[1], why)))
			return -ENOENT;
		return cfs_cmm_setqualif(t, o, x, a[2], why);
	case CFS_OP_CMM_STATUS:
		return cfs_cmm_status(t, a[0], why);
	case CFS_OP_GROUP_CREATE:
		if (cmd->argc > 1 && a[1][0]) {
			if (!(x = find_or_fail(m, CFS_KIND_NODE, a[1], why)))
				return -ENOENT;
		} else {
			x = default_node(m);
			if (!x)
				return cfs_fail(why, "the cluster has no node", -EHOSTDOWN);
		}
		num = 9999; /* ClusGroupTypeUnknown */
		if (cmd->argc > 2 && parse_u32(a[2], &num) < 0)
			return cfs_fail(why, "group type must be a number", -EINVAL);
		if ((e = obj_create(t, cmd, CFS_KIND_GROUP, a[0], &o, why)) < 0 ||
		    (e = set_dword(t, o, CFS_P_STATE, CFS_GROUP_OFFLINE)) < 0 ||
		    (e = cfs_apply_set_sz(t, o, CFS_P_OWNER_NODE, cfs_obj_id(x))) < 0 ||
		    (e = set_dword(t, o, CFS_P_GROUP_TYPE, num)) < 0)
			return e;
		/* "new" of an added record is the object's first state. */
		return cfs_txn_record(t, CFS_KIND_GROUP, CFS_CH_ADDED, o, NULL, NULL, "offline");
	case CFS_OP_GROUP_DELETE:
		if (!(o = find_or_fail(m, CFS_KIND_GROUP, a[0], why)))
			return -ENOENT;
		if (o->members.n)
			return cfs_fail(why, "group still has resources", -ENOTEMPTY);
		if ((e = cfs_txn_record(t, CFS_KIND_GROUP, CFS_CH_DELETED, o, NULL, NULL, NULL)) < 0)
			return e;
		return cfs_txn_obj_del(t, o);
	case CFS_OP_GROUP_RENAME:
	case CFS_OP_RES_RENAME:
	case CFS_OP_NET_RENAME: {
		enum cfs_kind k = cmd->op == CFS_OP_GROUP_RENAME ? CFS_KIND_GROUP
				  : cmd->op == CFS_OP_RES_RENAME ? CFS_KIND_RESOURCE
								 : CFS_KIND_NETWORK;
		if (!(o = find_or_fail(m, k, a[0], why)))
			return -ENOENT;
		return rename_obj(t, o, a[1], why);
	}
	case CFS_OP_GROUP_ONLINE:
	case CFS_OP_GROUP_OFFLINE:
		if (!(o = find_or_fail(m, CFS_KIND_GROUP, a[0], why)))
			return -ENOENT;
		if ((e = check_not_moving(m, o, why)) < 0)
			return e;
		for (size_t i = 0; cmd->op == CFS_OP_GROUP_OFFLINE && i < o->members.n; i++)
			if ((e = cfs_apply_res_fresh(t, o->members.v[i])) < 0)
				return e;
		return cmd->op == CFS_OP_GROUP_ONLINE ? cfs_apply_group_online(t, o, why)
						      : cfs_apply_group_offline(t, o, why);
	case CFS_OP_GROUP_MOVE:
		if (!(o = find_or_fail(m, CFS_KIND_GROUP, a[0], why)) ||
		    !(x = find_or_fail(m, CFS_KIND_NODE, a[1], why)))
			return -ENOENT;
		if ((e = check_not_moving(m, o, why)) < 0)
			return e;
		return cfs_apply_group_move(t, o, x, why);
	case CFS_OP_GROUP_FAILOVER:
		if (!(o = find_or_fail(m, CFS_KIND_GROUP, a[0], why)))
			return -ENOENT;
		return cfs_apply_group_failover(t, o, why);
	case CFS_OP_CLUSTER_QUORUM:
		return cluster_quorum(t, a[0], why);
	case CFS_OP_GROUP_PREFERRED:
		if (!(o = find_or_fail(m, CFS_KIND_GROUP, a[0], why)))
			return -ENOENT;
		return set_list_cmd(t, o, CFS_P_PREFERRED_OWNERS, CFS_CH_PREFERRED_OWNERS, cmd, why);
	case CFS_OP_RES_CREATE:
		return res_create(t, cmd, why);
	case CFS_OP_RES_DELETE:
		if (!(o = find_or_fail(m, CFS_KIND_RESOURCE, a[0], why)))
			return -ENOENT;
		return res_delete(t, o, why);
	case CFS_OP_RES_ONLINE:
	case CFS_OP_RES_OFFLINE:
		if (!(o = find_or_fail(m, CFS_KIND_RESOURCE, a[0], why)))
			return -ENOENT;
		if ((e = check_not_moving(m, o, why)) < 0 || (e = cfs_apply_res_fresh(t, o)) < 0)
			return e;
		return cmd->op == CFS_OP_RES_ONLINE ? cfs_apply_res_online(t, o, 0, why)
						    : cfs_apply_res_offline(t, o, 0, why);
	case CFS_OP_RES_FAIL:
		if (!(o = find_or_fail(m, CFS_KIND_RESOURCE, a[0], why)))
			return -ENOENT;
		return cfs_apply_res_fail(t, o, why);
	case CFS_OP_RES_STARTED:
	case CFS_OP_RES_STOPPED:
	case CFS_OP_RES_MONITOR:
	case CFS_OP_RES_PARAM:
	case CFS_OP_RES_PARAM_UNSET:
	case CFS_OP_RES_POLICY:
	case CFS_OP_GROUP_EVACUATE:
	case CFS_OP_TYPE_AGENT:
		return cfs_apply_agents_op(t, cmd, why);
	case CFS_OP_RES_GROUP:
		if (!(o = find_or_fail(m, CFS_KIND_RESOURCE, a[0], why)) ||
		    !(x = find_or_fail(m, CFS_KIND_GROUP, a[1], why)))
			return -ENOENT;
		return res_set_group(t, o, x, why);
	case CFS_OP_RES_OWNERS:
		if (!(o = find_or_fail(m, CFS_KIND_RESOURCE, a[0], why)))
			return -ENOENT;
		return set_list_cmd(t, o, CFS_P_POSSIBLE_OWNERS, CFS_CH_POSSIBLE_OWNERS, cmd, why);
	case CFS_OP_RES_OWNER_ADD:
	case CFS_OP_RES_OWNER_REMOVE:
		if (!(o = find_or_fail(m, CFS_KIND_RESOURCE, a[0], why)) ||
		    !(x = find_or_fail(m, CFS_KIND_NODE, a[1], why)))
			return -ENOENT;
		return owner_edit(t, o, x, cmd->op == CFS_OP_RES_OWNER_ADD, why);
	case CFS_OP_RES_DEPEND:
	case CFS_OP_RES_UNDEPEND:
		if (!(o = find_or_fail(m, CFS_KIND_RESOURCE, a[0], why)) ||
		    !(x = find_or_fail(m, CFS_KIND_RESOURCE, a[1], why)))
			return -ENOENT;
		if (o == x)
			return cfs_fail(why, "a resource cannot depend on itself", -ELOOP);
		return change_deps(t, o, x, cmd->op == CFS_OP_RES_DEPEND, why);
	case CFS_OP_TYPE_CREATE:
		return cfs_apply_type_create(t, cmd, a[0], cmd->argc > 1 ? a[1] : NULL, &o, why);
	case CFS_OP_TYPE_DELETE: {
		if (!(o = find_or_fail(m, CFS_KIND_RESTYPE, a[0], why)))
			return -ENOENT;
		struct cfs_key *rc = m->coll[CFS_KIND_RESOURCE];
		for (size_t i = 0; i < rc->subkeys.n; i++)
			if (strcmp(cfs_key_get_sz(rc->subkeys.v[i], CFS_P_TYPE, NULL), cfs_obj_id(o)) ==
			    0)
				return cfs_fail(why, "resources of this type exist", -EBUSY);
		if ((e = cfs_txn_record(t, CFS_KIND_RESTYPE, CFS_CH_DELETED, o, NULL, NULL, NULL)) < 0)
			return e;
		return cfs_txn_obj_del(t, o);
	}
	case CFS_OP_NET_ADD: {
		int role = cfs_role_parse(a[3]);
		s = cfs_state_parse(CFS_KIND_NETWORK, a[4]);
		if (role < 0 || s < 0)
			return cfs_fail(why, "unknown network role or state", -EINVAL);
		if ((e = obj_create(t, cmd, CFS_KIND_NETWORK, a[0], &o, why)) < 0 ||
		    (e = cfs_apply_set_sz(t, o, CFS_P_ADDRESS, a[1])) < 0 ||
		    (e = cfs_apply_set_sz(t, o, CFS_P_ADDRESS_MASK, a[2])) < 0 ||
		    (e = set_dword(t, o, CFS_P_ROLE, (uint32_t)role)) < 0 ||
		    (e = set_dword(t, o, CFS_P_STATE, (uint32_t)s)) < 0)
			return e;
		return cfs_txn_record(t, CFS_KIND_NETWORK, CFS_CH_ADDED, o, NULL, NULL,
				      cfs_state_name(CFS_KIND_NETWORK, (uint32_t)s));
	}
	case CFS_OP_NET_DELETE: {
		if (!(o = find_or_fail(m, CFS_KIND_NETWORK, a[0], why)))
			return -ENOENT;
		struct cfs_key *nc = m->coll[CFS_KIND_NETINTERFACE];
		for (size_t i = 0; i < nc->subkeys.n; i++) {
			struct cfs_object *ni = ((struct cfs_key *)nc->subkeys.v[i])->obj;
			if (ni && cfs_obj_ref(m, ni, CFS_P_NETWORK) == o)
				return cfs_fail(why, "network interfaces still use it", -EBUSY);
		}
		if ((e = cfs_txn_record(t, CFS_KIND_NETWORK, CFS_CH_DELETED, o, NULL, NULL, NULL)) < 0)
			return e;
		return cfs_txn_obj_del(t, o);
	}
	case CFS_OP_NET_STATE:
	case CFS_OP_NETIF_STATE: {
		enum cfs_kind k = cmd->op == CFS_OP_NET_STATE ? CFS_KIND_NETWORK
							      : CFS_KIND_NETINTERFACE;
		if (!(o = find_or_fail(m, k, a[0], why)))
			return -ENOENT;
		if ((s = cfs_state_parse(k, a[1])) < 0)
			return cfs_fail(why, "unknown state", -EINVAL);
		return cfs_txn_set_state(t, o, (uint32_t)s);
	}
	case CFS_OP_NET_ROLE: {
		if (!(o = find_or_fail(m, CFS_KIND_NETWORK, a[0], why)))
			return -ENOENT;
		int role = cfs_role_parse(a[1]);
		if (role < 0)
			return cfs_fail(why, "unknown role (none, internal, client, internalandclient)",
					-EINVAL);
		uint32_t old = cfs_key_get_dword(o->key, CFS_P_ROLE, 0);
		if (old == (uint32_t)role)
			return 0;
		if ((e = set_dword(t, o, CFS_P_ROLE, (uint32_t)role)) < 0)
			return e;
		return cfs_txn_record(t, CFS_KIND_NETWORK, CFS_CH_PROPERTY, o, "role",
				      cfs_role_name(old), cfs_role_name((uint32_t)role));
	}
	case CFS_OP_NETIF_ADD:
		if (!(x = find_or_fail(m, CFS_KIND_NODE, a[1], why)))
			return -ENOENT;
		{
			struct cfs_object *net = find_or_fail(m, CFS_KIND_NETWORK, a[2], why);
			if (!net)
				return -ENOENT;
			if ((s = cfs_state_parse(CFS_KIND_NETINTERFACE, a[5])) < 0)
				return cfs_fail(why, "unknown state", -EINVAL);
			if ((e = obj_create(t, cmd, CFS_KIND_NETINTERFACE, a[0], &o, why)) < 0 ||
			    (e = cfs_apply_set_sz(t, o, CFS_P_NODE, cfs_obj_id(x))) < 0 ||
			    (e = cfs_apply_set_sz(t, o, CFS_P_NETWORK, cfs_obj_id(net))) < 0 ||
			    (e = cfs_apply_set_sz(t, o, CFS_P_ADAPTER, a[3])) < 0 ||
			    (e = cfs_apply_set_sz(t, o, CFS_P_ADDRESS, a[4])) < 0 ||
			    (e = set_dword(t, o, CFS_P_STATE, (uint32_t)s)) < 0)
				return e;
		}
		return cfs_txn_record(t, CFS_KIND_NETINTERFACE, CFS_CH_ADDED, o, NULL, NULL,
				      cfs_state_name(CFS_KIND_NETINTERFACE, (uint32_t)s));
	case CFS_OP_NETIF_DELETE:
		if (!(o = find_or_fail(m, CFS_KIND_NETINTERFACE, a[0], why)))
			return -ENOENT;
		if ((e = cfs_txn_record(t, CFS_KIND_NETINTERFACE, CFS_CH_DELETED, o, NULL, NULL,
					NULL)) < 0)
			return e;
		return cfs_txn_obj_del(t, o);
	case CFS_OP_SET:
	case CFS_OP_UNSET:
		e = free_prop(t, cmd, cmd->op == CFS_OP_SET, why);
		return e < 0 ? e : cfs_apply_agents_check(t, cmd, why);
	default:
		e = cfs_apply_registry(t, cmd, why);
		return e < 0 ? e : cfs_apply_agents_check(t, cmd, why);
	}
}

int cfs_apply(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	const char *why_dummy = NULL;
	const char **reason = why ? why : &why_dummy;
	*reason = NULL;
	struct cfs_txn_mark mark = cfs_txn_mark(t);
	t->now_ns = cmd->time_ns ? cmd->time_ns : cfs_now_ns();
	int e = apply_op(t, cmd, reason);
	if (e < 0) {
		t->defer_group = NULL;
		cfs_txn_rollback(t, mark);
		if (!*reason)
			*reason = e == -ENOMEM ? "out of memory" : strerror(-e);
	}
	return e;
}
