/* SPDX-License-Identifier: MIT */
/* Tests of apply.h: the deterministic state machine.
 *
 * Each test builds a model (cfs_model_init) and a transaction, and applies
 * commands given in their text form, parsed, stamped and applied like the
 * engine does. Failing commands are checked with fails(), which also
 * proves that the command left the model exactly as it was (a full dump of
 * the registry tree compared before and after, plus the model's indexes)
 * and added no records. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cfs_limits.h"
#include "value.h"

static struct cfs_model m;
static struct cfs_txn t;
static const char *last_why;
/* Strings made by the helpers, freed by the fixture (so that a failing
 * assertion, which ends the test early, leaks nothing). */
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
	cfs_txn_init(&t, &m, 1);
}

static void teardown(void)
{
	cfs_txn_free(&t);
	cfs_model_free(&m);
	for (size_t i = 0; i < garbage.n; i++)
		free(garbage.v[i]);
	cfs_vec_free(&garbage);
}

TestSuite(apply, .init = setup, .fini = teardown);

/* ------------------------------------------------------------------ */
/* Dumps and invariants.                                               */

static void dump_key(struct cfs_buf *b, const struct cfs_key *k, int depth, bool mtimes)
{
	cfs_buf_printf(b, "%*sK#%llu \"%s\" mode=%04o uid=%u gid=%u", depth * 2, "",
		       (unsigned long long)k->id, k->name, k->mode, k->uid, k->gid);
	if (mtimes)
		cfs_buf_printf(b, " mtime=%lld", (long long)k->mtime_ns);
	cfs_buf_puts(b, "\n");
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		cfs_buf_printf(b, "%*sV#%llu \"%s\" type=%u flags=%x", depth * 2 + 2, "",
			       (unsigned long long)v->id, v->name, v->type, v->flags);
		if (v->flags & CFS_VAL_OWN_SECURITY)
			cfs_buf_printf(b, " sec=%04o/%u/%u", v->mode, v->uid, v->gid);
		cfs_buf_printf(b, " len=%zu data=", v->len);
		for (size_t j = 0; j < v->len; j++)
			cfs_buf_printf(b, "%02x", v->data[j]);
		if (mtimes)
			cfs_buf_printf(b, " mtime=%lld", (long long)v->mtime_ns);
		cfs_buf_puts(b, "\n");
	}
	for (size_t i = 0; i < k->subkeys.n; i++)
		dump_key(b, k->subkeys.v[i], depth + 1, mtimes);
}

/* The whole registry tree: keys, values, types, data and security (and
 * the times when mtimes is set), in array order (which is id order). */
static char *dump_ex(bool mtimes)
{
	struct cfs_buf b = {0};
	dump_key(&b, m.reg.root, 0, mtimes);
	return gc(cfs_buf_steal(&b));
}

static char *dump(void)
{
	return dump_ex(false);
}

/* The model's derived state must agree with the registry. */
/* Compares two dumps and reports the first line that differs. */
static void assert_same_dump(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want) == 0)
		return;
	size_t line = 1;
	const char *g = got, *w = want;
	while (*g && *g == *w) {
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	while (g > got && g[-1] != '\n') {
		g--;
		w--;
	}
	int gl = (int)strcspn(g, "\n"), wl = (int)strcspn(w, "\n");
	cr_assert_fail("%s: registry differs at line %zu:\n  got:  %.*s\n  want: %.*s", what,
		       line, gl, g, wl, w);
}

static void audit(void)
{
	size_t total = 0;
	for (int kind = 0; kind < CFS_KIND_COUNT; kind++) {
		const char *cname = cfs_kind_collection(kind);
		if (!cname) {
			cr_assert_eq(m.by_name[kind].n, 0);
			continue;
		}
		struct cfs_key *c = m.coll[kind];
		cr_assert_not_null(c);
		cr_assert_eq(cfs_key_subkey(m.reg.root, cname), c);
		for (size_t i = 0; i < c->subkeys.n; i++) {
			struct cfs_key *k = c->subkeys.v[i];
			struct cfs_object *o = k->obj;
			cr_assert_not_null(o, "%s\\%s has no object", cname, k->name);
			cr_assert_eq(o->kind, kind);
			cr_assert_eq(o->key, k);
			cr_assert_eq(cfs_model_by_id(&m, k->name), o, "id index of %s", o->name);
			cr_assert_eq(cfs_model_by_name(&m, kind, o->name), o, "name index of %s",
				     o->name);
			cr_assert_str_eq(o->name, cfs_key_get_sz(k, CFS_P_NAME, NULL));
			if (kind == CFS_KIND_GROUP) {
				/* members = resources whose Group is this group, by key id */
				struct cfs_key *rc = m.coll[CFS_KIND_RESOURCE];
				size_t n = 0;
				for (size_t j = 0; j < rc->subkeys.n; j++) {
					struct cfs_key *rk = rc->subkeys.v[j];
					if (strcmp(cfs_key_get_sz(rk, CFS_P_GROUP, NULL), k->name))
						continue;
					cr_assert_lt(n, o->members.n, "group %s misses members",
						     o->name);
					cr_assert_eq(o->members.v[n], rk->obj,
						     "group %s member %zu is wrong", o->name, n);
					n++;
				}
				cr_assert_eq(n, o->members.n, "group %s has %zu members, want %zu",
					     o->name, o->members.n, n);
			}
		}
		cr_assert_eq(m.by_name[kind].n, c->subkeys.n, "%s: %zu names for %zu keys", cname,
			     m.by_name[kind].n, c->subkeys.n);
		cr_assert_eq(cfs_model_count(&m, kind), c->subkeys.n);
		total += c->subkeys.n;
	}
	cr_assert_eq(m.by_id.n, total);
}

/* No operation leaves a group or resource in a pending state. */
static void assert_nothing_pending(void)
{
	struct cfs_key *gc = m.coll[CFS_KIND_GROUP], *rc = m.coll[CFS_KIND_RESOURCE];
	for (size_t i = 0; i < gc->subkeys.n; i++) {
		struct cfs_object *g = ((struct cfs_key *)gc->subkeys.v[i])->obj;
		cr_assert_neq(cfs_obj_state(g), CFS_GROUP_PENDING, "group %s left pending",
			      g->name);
	}
	for (size_t i = 0; i < rc->subkeys.n; i++) {
		struct cfs_object *r = ((struct cfs_key *)rc->subkeys.v[i])->obj;
		uint32_t s = cfs_obj_state(r);
		cr_assert(s != CFS_RES_PENDING && s != CFS_RES_ONLINE_PENDING &&
				  s != CFS_RES_OFFLINE_PENDING,
			  "resource %s left %s", r->name, cfs_state_name(CFS_KIND_RESOURCE, s));
	}
}

/* Every record has the next sequence number. */
static void assert_seqs(void)
{
	for (size_t i = 0; i < t.nrecs; i++)
		cr_assert_eq(t.recs[i].seq, 1 + i, "record %zu has seq %llu", i,
			     (unsigned long long)t.recs[i].seq);
	cr_assert_eq(t.next_seq, 1 + t.nrecs);
}

/* ------------------------------------------------------------------ */
/* Running commands.                                                   */

static int apply_cmd(struct cfs_cmd *c)
{
	cfs_cmd_stamp(c, 1000, 1000);
	last_why = NULL;
	int r = cfs_apply(&t, c, &last_why);
	cfs_cmd_free(c);
	return r;
}

static int vrun(const char *fmt, va_list ap)
{
	char *line;
	cr_assert_geq(vasprintf(&line, fmt, ap), 0);
	gc(line);
	struct cfs_cmd *c;
	const char *why = NULL;
	int r = cfs_cmd_parse(line, strlen(line), &c, &why);
	cr_assert_eq(r, 0, "cannot parse [%s]: %s", line, why ? why : "-");
	return apply_cmd(c);
}

/* Applies a command that must succeed. */
__attribute__((format(printf, 1, 2))) static void ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line;
	va_list aq;
	va_copy(aq, ap);
	cr_assert_geq(vasprintf(&line, fmt, aq), 0);
	gc(line);
	va_end(aq);
	int r = vrun(fmt, ap);
	va_end(ap);
	cr_assert_eq(r, 0, "[%s] failed: %d (%s)", line, r, last_why ? last_why : "-");
	assert_nothing_pending();
}

struct snapshot {
	char *dump;
	size_t nrecs;
	uint64_t next_seq;
	size_t undo, dirty;
};

static struct snapshot snap(void)
{
	return (struct snapshot){dump(), t.nrecs, t.next_seq, t.undo.n, t.dirty.n};
}

/* The model is exactly as in s; frees s. */
static void assert_unchanged(struct snapshot *s, const char *what)
{
	char *now = dump();
	assert_same_dump(now, s->dump, what);
	cr_assert_eq(t.nrecs, s->nrecs, "%s left %zu records", what, t.nrecs - s->nrecs);
	cr_assert_eq(t.next_seq, s->next_seq, "%s used sequence numbers", what);
	cr_assert_eq(t.undo.n, s->undo, "%s left undo entries", what);
	cr_assert_eq(t.dirty.n, s->dirty, "%s left dirty ids", what);
	audit();
}

static int vfails(int err, const char *fmt, va_list ap)
{
	char *line;
	va_list aq;
	va_copy(aq, ap);
	cr_assert_geq(vasprintf(&line, fmt, aq), 0);
	gc(line);
	va_end(aq);
	struct snapshot s = snap();
	int r = vrun(fmt, ap);
	cr_assert_eq(r, err, "[%s]: got %d (%s), want %d", line, r, last_why ? last_why : "-",
		     err);
	cr_assert_not_null(last_why, "[%s] gave no reason", line);
	assert_unchanged(&s, line);
	return r;
}

/* Applies a command that must fail with err and change nothing. */
__attribute__((format(printf, 2, 3))) static void fails(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfails(err, fmt, ap);
	va_end(ap);
}

/* Same with explicit arguments (for bytes the line syntax would need to
 * quote). */
static int run_argv(enum cfs_op op, int argc, const char *const *argv)
{
	struct cfs_cmd *c;
	cr_assert_eq(cfs_cmd_new(&c, op, argc, argv), 0);
	return apply_cmd(c);
}

static void fails_argv(int err, enum cfs_op op, int argc, const char *const *argv)
{
	struct snapshot s = snap();
	int r = run_argv(op, argc, argv);
	cr_assert_eq(r, err, "%s [%.60s]: got %d (%s), want %d", cfs_op_verb(op), argv[0], r,
		     last_why ? last_why : "-", err);
	assert_unchanged(&s, cfs_op_verb(op));
}

/* ------------------------------------------------------------------ */
/* Looking at the model.                                               */

static struct cfs_object *obj(enum cfs_kind kind, const char *name)
{
	struct cfs_object *o = cfs_model_by_name(&m, kind, name);
	cr_assert_not_null(o, "no %s named \"%s\"", cfs_kind_name(kind), name);
	return o;
}

#define GROUP(n) obj(CFS_KIND_GROUP, n)
#define RES(n) obj(CFS_KIND_RESOURCE, n)
#define NODE(n) obj(CFS_KIND_NODE, n)

static const char *state_of(enum cfs_kind kind, const char *name)
{
	return cfs_state_name(kind, cfs_obj_state(obj(kind, name)));
}

#define GSTATE(n) state_of(CFS_KIND_GROUP, n)
#define RSTATE(n) state_of(CFS_KIND_RESOURCE, n)
#define NSTATE(n) state_of(CFS_KIND_NODE, n)

static const char *owner_of(const char *group)
{
	struct cfs_object *n = cfs_obj_owner(&m, GROUP(group));
	return n ? n->name : "(none)";
}

static struct cfs_value *value_at(const char *path, const char *name)
{
	struct cfs_key *k;
	if (cfs_reg_lookup(&m.reg, path, &k) < 0)
		return NULL;
	return cfs_key_value(k, name);
}

static struct cfs_key *key_at(const char *path)
{
	struct cfs_key *k;
	return cfs_reg_lookup(&m.reg, path, &k) < 0 ? NULL : k;
}

/* Registry path of an object's key: "Groups\<id>". */
static char *obj_path(struct cfs_object *o)
{
	struct cfs_buf b = {0};
	cr_assert_eq(cfs_key_path(o->key, &b), 0);
	return gc(cfs_buf_steal(&b));
}

/* Text of the records since index from whose change is in mask, one per
 * line: "state resource:ip offline>onlinepending". */
#define CH(c) (1u << (c))
static char *trace_raw(size_t from, unsigned mask)
{
	struct cfs_buf b = {0};
	for (size_t i = from; i < t.nrecs; i++) {
		const struct cfs_record *r = &t.recs[i];
		if (!(mask & CH(r->change)))
			continue;
		cfs_buf_printf(&b, "%s %s:%s %s>%s\n", cfs_change_name(r->change),
			       cfs_kind_name(r->kind), r->obj_name ? r->obj_name : "-",
			       r->old_value ? r->old_value : "-", r->new_value ? r->new_value : "-");
	}
	return cfs_buf_steal(&b);
}

static char *trace(size_t from, unsigned mask)
{
	return gc(trace_raw(from, mask));
}

static void assert_trace(size_t from, unsigned mask, const char *const *want, size_t n)
{
	struct cfs_buf w = {0};
	for (size_t i = 0; i < n; i++)
		cfs_buf_printf(&w, "%s\n", want[i]);
	char *expect = gc(cfs_buf_steal(&w));
	char *got = trace(from, mask);
	cr_assert_str_eq(got, expect, "records:\n%s\nwant:\n%s", got, expect);
}

#define ASSERT_TRACE(from, mask, ...)                                                     \
	do {                                                                               \
		static const char *const want_[] = {__VA_ARGS__};                          \
		assert_trace(from, mask, want_, CFS_ARRAY_SIZE(want_));                    \
	} while (0)

/* The last record of change c made since from (or NULL). */
static const struct cfs_record *last_rec(size_t from, enum cfs_change c)
{
	for (size_t i = t.nrecs; i-- > from;)
		if (t.recs[i].change == c)
			return &t.recs[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* A small cluster used by most tests:                                 */
/*   nodes n1 (up), n2 (up), n3 (paused), n4 (down)                    */
/*   types "Generic Service", "IP Address", "Unused"                   */
/*   group web on n1 with a dependency chain top -> mid -> base,      */
/*   created in the order mid, base, top (so neither member order nor   */
/*   reverse member order is the dependency order)                     */
/*   group pair on n1 with two independent resources r1, r2            */
/*   empty group spare on n2                                           */

static void cluster(void)
{
	ok("node-add n1 1 10.0.0.1");
	ok("node-add n2 2 10.0.0.2");
	ok("node-add n3 3 10.0.0.3 paused");
	ok("node-add n4 4 10.0.0.4 down");
	ok("type-create \"Generic Service\" clusres.dll");
	ok("type-create \"IP Address\"");
	ok("type-create Unused");
	ok("group-create web n1");
	ok("resource-create mid \"Generic Service\" web");
	ok("resource-create base \"IP Address\" web");
	ok("resource-create top \"Generic Service\" web");
	ok("resource-depend top mid");
	ok("resource-depend mid base");
	ok("group-create pair n1");
	ok("resource-create r1 \"Generic Service\" pair");
	ok("resource-create r2 \"Generic Service\" pair");
	ok("group-create spare n2");
	audit();
	assert_seqs();
}

/* ------------------------------------------------------------------ */
/* Nodes.                                                              */

Test(apply, node_add)
{
	size_t from = t.nrecs;
	ok("node-add n1 1 10.0.0.1");
	struct cfs_object *n = NODE("n1");
	cr_assert_eq(n->kind, CFS_KIND_NODE);
	cr_assert_eq(n->key->parent, m.coll[CFS_KIND_NODE]);
	cr_assert_eq(strlen(cfs_obj_id(n)), CFS_ID_LEN);
	cr_assert_eq(cfs_key_get_dword(n->key, CFS_P_NODE_NUMBER, 0), 1);
	cr_assert_str_eq(cfs_key_get_sz(n->key, CFS_P_ADDRESS, NULL), "10.0.0.1");
	cr_assert_str_eq(NSTATE("n1"), "up");
	cr_assert_eq(cfs_model_find(&m, CFS_KIND_NODE, cfs_obj_id(n)), n, "found by id");
	cr_assert_eq(cfs_model_find(&m, CFS_KIND_NODE, "n1"), n, "found by name");
	cr_assert_null(cfs_model_find(&m, CFS_KIND_GROUP, "n1"));
	const struct cfs_record *r = last_rec(from, CFS_CH_ADDED);
	cr_assert_not_null(r);
	cr_assert_eq(r->kind, CFS_KIND_NODE);
	cr_assert_str_eq(r->obj_id, cfs_obj_id(n));
	cr_assert_str_eq(r->obj_name, "n1");
	cr_assert_str_eq(r->new_value, "up");
	cr_assert_eq(r->key_id, n->key->id);
	ok("node-add n2 2 10.0.0.2 paused");
	cr_assert_str_eq(NSTATE("n2"), "paused");
	ok("node-add n3 3 10.0.0.3 Down");
	cr_assert_str_eq(NSTATE("n3"), "down");
	ok("node-add n4 4294967295 10.0.0.4 joining");
	cr_assert_str_eq(NSTATE("n4"), "joining");
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_NODE), 4);
	audit();
	assert_seqs();
}

Test(apply, node_add_errors)
{
	ok("node-add n1 1 10.0.0.1");
	fails(-EINVAL, "node-add n2 0 10.0.0.2");
	fails(-EINVAL, "node-add n2 -1 10.0.0.2");
	fails(-EINVAL, "node-add n2 x 10.0.0.2");
	fails(-EINVAL, "node-add n2 2x 10.0.0.2");
	fails(-EINVAL, "node-add n2 \"\" 10.0.0.2");
	fails(-EINVAL, "node-add n2 4294967296 10.0.0.2");
	fails(-EINVAL, "node-add n2 2 10.0.0.2 sleeping");
	fails(-EINVAL, "node-add n2 2 10.0.0.2 pause"); /* a verb, not a state */
	fails(-EEXIST, "node-add n2 1 10.0.0.2");	/* number taken */
	fails(-EEXIST, "node-add n1 2 10.0.0.2");	/* name taken */
	fails(-EINVAL, "node-add a/b 2 10.0.0.2");
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_NODE), 1);
}

Test(apply, node_state)
{
	cluster();
	size_t from = t.nrecs;
	ok("node-state n1 pause");
	cr_assert_str_eq(NSTATE("n1"), "paused");
	ok("node-state n1 pause"); /* already paused: fine, no record */
	ok("node-state n1 resume");
	cr_assert_str_eq(NSTATE("n1"), "up");
	ASSERT_TRACE(from, CH(CFS_CH_STATE), "state node:n1 up>paused", "state node:n1 paused>up");
	fails(-EHOSTDOWN, "node-state n4 pause");
	fails(-EINVAL, "node-state n4 resume");
	fails(-EINVAL, "node-state n1 sideways");
	fails(-ENOENT, "node-state nX up");
	ok("node-state n4 up");
	ok("node-state n4 Down");
	cr_assert_str_eq(NSTATE("n4"), "down");
	ok("node-state %s joining", cfs_obj_id(NODE("n4")));
	cr_assert_str_eq(NSTATE("n4"), "joining");
	assert_seqs();
}

Test(apply, node_evict)
{
	cluster();
	fails(-EBUSY, "node-evict n1"); /* owns web and pair */
	fails(-EBUSY, "node-evict n2"); /* owns spare */
	fails(-ENOENT, "node-evict nX");
	ok("network-add net1 10.1.0.0 16 internalandclient up");
	ok("netif-add \"n3 - eth0\" n3 net1 eth0 10.1.0.3 up");
	ok("netif-add \"n1 - eth0\" n1 net1 eth0 10.1.0.1 up");
	char *id = gc(strdup(cfs_obj_id(NODE("n3"))));
	size_t from = t.nrecs;
	ok("node-evict n3");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_NODE, "n3"));
	cr_assert_null(cfs_model_by_id(&m, id));
	cr_assert_null(cfs_key_subkey(m.coll[CFS_KIND_NODE], id));
	/* its interface went with it, the other node's stayed */
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_NETINTERFACE, "n3 - eth0"));
	obj(CFS_KIND_NETINTERFACE, "n1 - eth0");
	ASSERT_TRACE(from, CH(CFS_CH_DELETED), "deleted netinterface:n3 - eth0 ->-",
		     "deleted node:n3 ->-");
	/* the name and number are free again */
	ok("node-add n3 3 10.0.0.33");
	audit();
	assert_seqs();
}

/* ------------------------------------------------------------------ */
/* Groups.                                                             */

Test(apply, group_create)
{
	ok("node-add n2 2 10.0.0.2");
	ok("node-add n1 1 10.0.0.1 down");
	ok("node-add n3 3 10.0.0.3");
	size_t from = t.nrecs;
	ok("group-create web");
	struct cfs_object *g = GROUP("web");
	cr_assert_str_eq(GSTATE("web"), "offline");
	/* default owner: the lowest-numbered node that is up */
	cr_assert_str_eq(owner_of("web"), "n2");
	cr_assert_eq(cfs_key_get_dword(g->key, CFS_P_GROUP_TYPE, 0), 9999);
	cr_assert_eq(g->members.n, 0);
	const struct cfs_record *r = last_rec(from, CFS_CH_ADDED);
	cr_assert_not_null(r);
	cr_assert_eq(r->kind, CFS_KIND_GROUP);
	cr_assert_str_eq(r->obj_name, "web");
	cr_assert_str_eq(r->parent_id, cfs_obj_id(NODE("n2")), "a group's parent is its owner");
	ok("group-create db n3 5");
	cr_assert_str_eq(owner_of("db"), "n3");
	cr_assert_eq(cfs_key_get_dword(GROUP("db")->key, CFS_P_GROUP_TYPE, 0), 5);
	ok("group-create \"two words\" \"\" 1");
	cr_assert_str_eq(owner_of("two words"), "n2");
	ok("group-create byid %s", cfs_obj_id(NODE("n3")));
	cr_assert_str_eq(owner_of("byid"), "n3");
	fails(-ENOENT, "group-create x nX");
	fails(-EINVAL, "group-create x n2 big");
	fails(-EINVAL, "group-create x n2 -1");
	fails(-EEXIST, "group-create web");
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_GROUP), 4);
	audit();
	assert_seqs();
}

Test(apply, group_create_without_nodes)
{
	fails(-EHOSTDOWN, "group-create web");
	/* with only a down node, that node is the owner */
	ok("node-add n1 1 10.0.0.1 down");
	ok("group-create web");
	cr_assert_str_eq(owner_of("web"), "n1");
}

Test(apply, group_rename)
{
	cluster();
	struct cfs_object *g = GROUP("web");
	char *id = gc(strdup(cfs_obj_id(g)));
	size_t from = t.nrecs;
	ok("group-rename web www");
	cr_assert_eq(GROUP("www"), g, "same object");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "web"));
	cr_assert_str_eq(cfs_obj_id(g), id, "the id (key name) does not change");
	cr_assert_str_eq(cfs_key_get_sz(g->key, CFS_P_NAME, NULL), "www");
	ASSERT_TRACE(from, CH(CFS_CH_RENAMED), "renamed group:www web>www");
	/* references by id still resolve */
	cr_assert_eq(cfs_obj_ref(&m, RES("top"), CFS_P_GROUP), g);
	fails(-EEXIST, "group-rename www pair");
	fails(-ENOENT, "group-rename web x");
	size_t n = t.nrecs;
	ok("group-rename www www");
	cr_assert_eq(t.nrecs, n, "renaming to the same name records nothing");
	ok("group-rename %s web", id);
	cr_assert_eq(GROUP("web"), g);
	/* the old name is free for a new group */
	ok("group-rename web old-web");
	ok("group-create web");
	cr_assert_neq(GROUP("web"), g);
	audit();
	assert_seqs();
}

Test(apply, group_delete)
{
	cluster();
	fails(-ENOTEMPTY, "group-delete web");
	fails(-ENOTEMPTY, "group-delete pair");
	fails(-ENOENT, "group-delete nope");
	struct cfs_object *g = GROUP("spare");
	char *id = gc(strdup(cfs_obj_id(g)));
	uint64_t kid = g->key->id;
	size_t from = t.nrecs;
	ok("group-delete spare");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "spare"));
	cr_assert_null(cfs_model_by_id(&m, id));
	cr_assert_null(cfs_reg_key(&m.reg, kid));
	const struct cfs_record *r = last_rec(from, CFS_CH_DELETED);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->obj_name, "spare");
	cr_assert_str_eq(r->obj_id, id);
	cr_assert_not_null(last_rec(from, CFS_CH_KEY_DELETED));
	/* emptying a group makes it deletable */
	ok("resource-delete r1");
	ok("resource-delete r2");
	ok("group-delete pair");
	audit();
	assert_seqs();
}

/* ------------------------------------------------------------------ */
/* Resources.                                                          */

Test(apply, resource_create)
{
	cluster();
	size_t from = t.nrecs;
	ok("resource-create new \"IP Address\" spare");
	struct cfs_object *r = RES("new"), *g = GROUP("spare");
	cr_assert_str_eq(RSTATE("new"), "offline");
	cr_assert_eq(cfs_obj_ref(&m, r, CFS_P_GROUP), g);
	cr_assert_eq(cfs_obj_ref(&m, r, CFS_P_TYPE), obj(CFS_KIND_RESTYPE, "IP Address"));
	cr_assert_eq(cfs_obj_owner(&m, r), NODE("n2"), "a resource is on its group's owner");
	cr_assert_eq(g->members.n, 1);
	cr_assert_eq(g->members.v[0], r);
	ASSERT_TRACE(from, CH(CFS_CH_ADDED) | CH(CFS_CH_MEMBER_ADDED),
		     "added resource:new ->offline", "member_added group:spare ->new");
	const struct cfs_record *ma = last_rec(from, CFS_CH_MEMBER_ADDED);
	cr_assert_eq(ma->value_id, r->key->id, "member record carries the resource's key id");
	const struct cfs_record *ad = last_rec(from, CFS_CH_ADDED);
	cr_assert_str_eq(ad->parent_id, cfs_obj_id(g), "a resource's parent is its group");
	/* the type and the group must exist */
	fails(-ENOENT, "resource-create x \"No Such Type\" web");
	fails(-ENOENT, "resource-create x \"IP Address\" nogroup");
	fails(-EEXIST, "resource-create top \"IP Address\" spare");
	/* by id */
	ok("resource-create byid %s %s", cfs_obj_id(obj(CFS_KIND_RESTYPE, "Unused")),
	   cfs_obj_id(GROUP("spare")));
	cr_assert_eq(GROUP("spare")->members.n, 2);
	audit();
	assert_seqs();
}

/* A resource joining an online group makes it partially online. */
Test(apply, resource_create_in_online_group)
{
	cluster();
	ok("group-online pair");
	cr_assert_str_eq(GSTATE("pair"), "online");
	ok("resource-create r3 \"Generic Service\" pair");
	cr_assert_str_eq(GSTATE("pair"), "partialonline");
}

/* group-online: providers before dependents, each resource passes
 * OnlinePending, the group passes Pending once. */
Test(apply, group_online_order)
{
	cluster();
	size_t from = t.nrecs;
	ok("group-online web");
	ASSERT_TRACE(from, CH(CFS_CH_STATE),
		     "state group:web offline>pending",
		     "state resource:base offline>onlinepending",
		     "state resource:base onlinepending>online",
		     "state resource:mid offline>onlinepending",
		     "state resource:mid onlinepending>online",
		     "state resource:top offline>onlinepending",
		     "state resource:top onlinepending>online",
		     "state group:web pending>online");
	cr_assert_str_eq(GSTATE("web"), "online");
	cr_assert_str_eq(RSTATE("top"), "online");
	/* a state record's parent is the group */
	const struct cfs_record *r = last_rec(from, CFS_CH_STATE);
	cr_assert_eq(r->kind, CFS_KIND_GROUP);
	for (size_t i = from; i < t.nrecs; i++) {
		if (t.recs[i].change == CFS_CH_STATE && t.recs[i].kind == CFS_KIND_RESOURCE)
			cr_assert_str_eq(t.recs[i].parent_id, cfs_obj_id(GROUP("web")));
	}
	assert_seqs();
}

/* Bringing one resource online brings its providers first, not its
 * dependents. */
Test(apply, resource_online_brings_providers)
{
	cluster();
	size_t from = t.nrecs;
	ok("resource-online mid");
	ASSERT_TRACE(from, CH(CFS_CH_STATE) ,
		     "state resource:base offline>onlinepending",
		     "state group:web offline>pending",
		     "state resource:base onlinepending>online",
		     "state group:web pending>partialonline",
		     "state resource:mid offline>onlinepending",
		     "state group:web partialonline>pending",
		     "state resource:mid onlinepending>online",
		     "state group:web pending>partialonline");
	cr_assert_str_eq(RSTATE("top"), "offline");
	cr_assert_str_eq(GSTATE("web"), "partialonline");
	size_t n = t.nrecs;
	ok("resource-online mid");
	cr_assert_eq(t.nrecs, n, "already online: nothing happens");
}

/* group-offline: dependents before providers. */
Test(apply, group_offline_order)
{
	cluster();
	ok("group-online web");
	size_t from = t.nrecs;
	ok("group-offline web");
	ASSERT_TRACE(from, CH(CFS_CH_STATE),
		     "state group:web online>pending",
		     "state resource:top online>offlinepending",
		     "state resource:top offlinepending>offline",
		     "state resource:mid online>offlinepending",
		     "state resource:mid offlinepending>offline",
		     "state resource:base online>offlinepending",
		     "state resource:base offlinepending>offline",
		     "state group:web pending>offline");
	cr_assert_str_eq(GSTATE("web"), "offline");
}

/* Taking a provider offline takes its dependents offline first. */
Test(apply, resource_offline_takes_dependents)
{
	cluster();
	ok("group-online web");
	size_t from = t.nrecs;
	ok("resource-offline base");
	ASSERT_TRACE(from, CH(CFS_CH_STATE) ,
		     "state resource:top online>offlinepending",
		     "state group:web online>pending",
		     "state resource:top offlinepending>offline",
		     "state group:web pending>partialonline",
		     "state resource:mid online>offlinepending",
		     "state group:web partialonline>pending",
		     "state resource:mid offlinepending>offline",
		     "state group:web pending>partialonline",
		     "state resource:base online>offlinepending",
		     "state group:web partialonline>pending",
		     "state resource:base offlinepending>offline",
		     "state group:web pending>offline");
	size_t n = t.nrecs;
	ok("resource-offline base");
	cr_assert_eq(t.nrecs, n, "already offline: nothing happens");
}

/* The group state follows its resources. */
Test(apply, group_derived_state)
{
	cluster();
	ok("resource-online r1");
	cr_assert_str_eq(GSTATE("pair"), "partialonline");
	ok("resource-online r2");
	cr_assert_str_eq(GSTATE("pair"), "online");
	ok("resource-offline r1");
	cr_assert_str_eq(GSTATE("pair"), "partialonline");
	ok("resource-fail r2");
	cr_assert_str_eq(RSTATE("r2"), "failed");
	cr_assert_str_eq(GSTATE("pair"), "failed");
	ok("resource-online r1");
	cr_assert_str_eq(GSTATE("pair"), "partialonline",
			 "one online and one failed resource: partially online");
	ok("resource-online r2"); /* a failed resource can be brought online again */
	cr_assert_str_eq(RSTATE("r2"), "online");
	cr_assert_str_eq(GSTATE("pair"), "online");
	ok("group-offline pair");
	cr_assert_str_eq(GSTATE("pair"), "offline");
	/* an empty group keeps what it was set to */
	ok("group-online spare");
	cr_assert_str_eq(GSTATE("spare"), "online");
	ok("group-offline spare");
	cr_assert_str_eq(GSTATE("spare"), "offline");
}

Test(apply, resource_fail)
{
	cluster();
	ok("group-online web");
	size_t from = t.nrecs;
	ok("resource-fail base");
	/* dependents go offline (not failed), then the resource fails */
	ASSERT_TRACE(from, CH(CFS_CH_STATE),
		     "state resource:top online>offlinepending",
		     "state group:web online>pending",
		     "state resource:top offlinepending>offline",
		     "state group:web pending>partialonline",
		     "state resource:mid online>offlinepending",
		     "state group:web partialonline>pending",
		     "state resource:mid offlinepending>offline",
		     "state group:web pending>partialonline",
		     "state resource:base online>failed",
		     "state group:web partialonline>failed");
	cr_assert_str_eq(RSTATE("base"), "failed");
	cr_assert_str_eq(RSTATE("mid"), "offline");
	cr_assert_str_eq(GSTATE("web"), "failed");
	/* group-online recovers everything */
	ok("group-online web");
	cr_assert_str_eq(GSTATE("web"), "online");
	cr_assert_str_eq(RSTATE("base"), "online");
	fails(-ENOENT, "resource-fail nope");
}

Test(apply, online_needs_usable_node)
{
	cluster();
	ok("group-create g3 n3"); /* paused */
	ok("resource-create x3 \"Generic Service\" g3");
	ok("group-create g4 n4"); /* down */
	ok("resource-create x4 \"Generic Service\" g4");
	ok("group-create e3 n3");
	fails(-EAGAIN, "group-online g3");
	fails(-EAGAIN, "resource-online x3");
	fails(-EAGAIN, "group-online e3");
	fails(-EHOSTDOWN, "group-online g4");
	fails(-EHOSTDOWN, "resource-online x4");
	/* offline works on any node */
	ok("group-offline g3");
	ok("node-state n3 resume");
	ok("group-online g3");
	cr_assert_str_eq(GSTATE("g3"), "online");
}

Test(apply, possible_owners)
{
	cluster();
	size_t from = t.nrecs;
	ok("resource-owners base n2");
	ASSERT_TRACE(from, CH(CFS_CH_POSSIBLE_OWNERS), "possible_owners resource:base >n2");
	fails(-EPERM, "resource-online base");
	/* group-online fails as a whole: nothing of it stays */
	fails(-EPERM, "group-online web");
	fails(-EPERM, "resource-online top"); /* through its provider chain */
	ok("resource-owners base n1 n2 n1");
	struct cfs_value *v = cfs_key_value(RES("base")->key, CFS_P_POSSIBLE_OWNERS);
	cr_assert_eq(v->type, CFS_REG_MULTI_SZ);
	cr_assert_eq(v->len, 2 * (CFS_ID_LEN + 1), "duplicates are dropped");
	cr_assert(cfs_obj_list_has(RES("base"), CFS_P_POSSIBLE_OWNERS, cfs_obj_id(NODE("n1"))));
	ok("group-online web");
	fails(-ENOENT, "resource-owners base n1 nX");
	/* an empty list means every node */
	ok("resource-owners base");
	cr_assert_eq(cfs_key_value(RES("base")->key, CFS_P_POSSIBLE_OWNERS)->len, 0);
	ok("group-move web n2");
	assert_seqs();
}

/* One node at a time, in one step (AddClusterResourceNode and
 * RemoveClusterResourceNode), with the empty list meaning every node. */
Test(apply, possible_owner_add_remove)
{
	cluster();
	size_t from = t.nrecs;
	ok("resource-owner-add base n2"); /* already every node: nothing */
	cr_assert_eq(t.nrecs, from);
	ok("resource-owner-remove base n3");
	ASSERT_TRACE(from, CH(CFS_CH_POSSIBLE_OWNERS),
		     "possible_owners resource:base >n1\nn2\nn4");
	fails(-ENOENT, "resource-owner-remove base n3");
	fails(-EEXIST, "resource-owner-add base n2");
	fails(-ENOENT, "resource-owner-add base nX");
	fails(-ENOENT, "resource-owner-add nosuch n2");
	from = t.nrecs;
	ok("resource-owner-add base n3");
	ASSERT_TRACE(from, CH(CFS_CH_POSSIBLE_OWNERS),
		     "possible_owners resource:base n1\nn2\nn4>n1\nn2\nn4\nn3");
	ok("resource-owners base n2");
	fails(-EBUSY, "resource-owner-remove base n2"); /* the last one */
	cr_assert(cfs_obj_list_has(RES("base"), CFS_P_POSSIBLE_OWNERS, cfs_obj_id(NODE("n2"))));
	audit();
	assert_seqs();
}

Test(apply, preferred_owners)
{
	cluster();
	size_t from = t.nrecs;
	ok("group-preferred web n2 n1");
	ASSERT_TRACE(from, CH(CFS_CH_PREFERRED_OWNERS), "preferred_owners group:web >n2\nn1");
	struct cfs_value *v = cfs_key_value(GROUP("web")->key, CFS_P_PREFERRED_OWNERS);
	cr_assert_not_null(v);
	cr_assert_eq(v->type, CFS_REG_MULTI_SZ);
	cr_assert_eq(strcmp((char *)v->data, cfs_obj_id(NODE("n2"))), 0, "order is kept");
	size_t n = t.nrecs;
	ok("group-preferred web n2 n1");
	cr_assert_eq(t.nrecs, n, "the same list records nothing");
	fails(-ENOENT, "group-preferred web nX");
	fails(-ENOENT, "group-preferred nogroup n1");
	ok("group-preferred web");
	cr_assert_eq(cfs_key_value(GROUP("web")->key, CFS_P_PREFERRED_OWNERS)->len, 0);
}

/* ------------------------------------------------------------------ */
/* Moving groups.                                                      */

Test(apply, group_move_online)
{
	cluster();
	ok("group-online web");
	size_t from = t.nrecs;
	ok("group-move web n2");
	ASSERT_TRACE(from, CH(CFS_CH_STATE) | CH(CFS_CH_OWNER),
		     "state group:web online>pending",
		     "state resource:top online>offlinepending",
		     "state resource:top offlinepending>offline",
		     "state resource:mid online>offlinepending",
		     "state resource:mid offlinepending>offline",
		     "state resource:base online>offlinepending",
		     "state resource:base offlinepending>offline",
		     "state group:web pending>offline",
		     "owner group:web n1>n2",
		     "state group:web offline>pending",
		     "state resource:base offline>onlinepending",
		     "state resource:base onlinepending>online",
		     "state resource:mid offline>onlinepending",
		     "state resource:mid onlinepending>online",
		     "state resource:top offline>onlinepending",
		     "state resource:top onlinepending>online",
		     "state group:web pending>online");
	cr_assert_str_eq(owner_of("web"), "n2");
	cr_assert_str_eq(GSTATE("web"), "online");
	const struct cfs_record *r = last_rec(from, CFS_CH_OWNER);
	cr_assert_str_eq(r->parent_id, cfs_obj_id(NODE("n2")));
	cr_assert_str_eq(cfs_key_get_sz(GROUP("web")->key, CFS_P_OWNER_NODE, NULL),
			 cfs_obj_id(NODE("n2")));
	assert_seqs();
}

/* Only what was online comes back online on the new node. */
Test(apply, group_move_partial)
{
	cluster();
	ok("resource-online r1");
	ok("resource-fail r2");
	size_t from = t.nrecs;
	ok("group-move pair n2");
	ASSERT_TRACE(from, CH(CFS_CH_STATE) | CH(CFS_CH_OWNER),
		     "state group:pair partialonline>pending",
		     "state resource:r1 online>offlinepending",
		     "state resource:r1 offlinepending>offline",
		     "state group:pair pending>failed",
		     "owner group:pair n1>n2",
		     "state group:pair failed>pending",
		     "state resource:r1 offline>onlinepending",
		     "state resource:r1 onlinepending>online",
		     "state group:pair pending>partialonline");
	cr_assert_str_eq(RSTATE("r1"), "online");
	cr_assert_str_eq(RSTATE("r2"), "failed");
}

Test(apply, group_move_offline)
{
	cluster();
	size_t from = t.nrecs;
	ok("group-move web n2");
	ASSERT_TRACE(from, CH(CFS_CH_STATE) | CH(CFS_CH_OWNER), "owner group:web n1>n2");
	cr_assert_str_eq(GSTATE("web"), "offline");
	cr_assert_str_eq(owner_of("web"), "n2");
	/* moving an online empty group: offline, owner, online */
	ok("group-online spare");
	from = t.nrecs;
	ok("group-move spare n1");
	ASSERT_TRACE(from, CH(CFS_CH_STATE) | CH(CFS_CH_OWNER),
		     "state group:spare online>offline", "owner group:spare n2>n1",
		     "state group:spare offline>online");
	/* to where it already is: nothing */
	size_t n = t.nrecs;
	ok("group-move spare n1");
	cr_assert_eq(t.nrecs, n);
}

Test(apply, group_move_errors)
{
	cluster();
	ok("group-online web");
	fails(-EAGAIN, "group-move web n3");
	fails(-EHOSTDOWN, "group-move web n4");
	fails(-ENOENT, "group-move web nX");
	fails(-ENOENT, "group-move nogroup n2");
	fails(-EAGAIN, "group-move spare n3");
	fails(-EHOSTDOWN, "group-move spare n4");
	ok("resource-owners mid n1");
	fails(-EPERM, "group-move web n2");
	/* the check covers offline resources too */
	ok("group-offline web");
	fails(-EPERM, "group-move web n2");
	cr_assert_str_eq(owner_of("web"), "n1");
}

/* ------------------------------------------------------------------ */
/* Dependencies.                                                       */

Test(apply, dependencies)
{
	cluster();
	fails(-ELOOP, "resource-depend top top");
	fails(-ELOOP, "resource-depend mid top");  /* direct cycle */
	fails(-ELOOP, "resource-depend base top"); /* through mid */
	fails(-ELOOP, "resource-depend base mid");
	fails(-EXDEV, "resource-depend top r1");
	fails(-EXDEV, "resource-depend r1 base");
	fails(-ENOENT, "resource-depend top nope");
	fails(-ENOENT, "resource-depend nope top");
	/* already there: no change, no record */
	size_t n = t.nrecs;
	ok("resource-depend top mid");
	cr_assert_eq(t.nrecs, n);
	/* a second provider */
	size_t from = t.nrecs;
	ok("resource-depend top base");
	ASSERT_TRACE(from, CH(CFS_CH_DEPENDENCIES), "dependencies resource:top mid>mid\nbase");
	cr_assert(cfs_obj_list_has(RES("top"), CFS_P_DEPENDENCIES, cfs_obj_id(RES("base"))));
	from = t.nrecs;
	ok("resource-undepend top mid");
	ASSERT_TRACE(from, CH(CFS_CH_DEPENDENCIES), "dependencies resource:top mid\nbase>base");
	cr_assert(!cfs_obj_list_has(RES("top"), CFS_P_DEPENDENCIES, cfs_obj_id(RES("mid"))));
	/* now mid may depend on top */
	ok("resource-depend mid top");
	fails(-ELOOP, "resource-depend top mid");
	n = t.nrecs;
	ok("resource-undepend r1 r2"); /* not a dependency: nothing */
	cr_assert_eq(t.nrecs, n);
	audit();
	assert_seqs();
}

/* ------------------------------------------------------------------ */
/* Deleting things in use.                                             */

Test(apply, resource_delete)
{
	cluster();
	ok("group-online web");
	fails(-EBUSY, "resource-delete top");
	fails(-EBUSY, "resource-delete base");
	ok("group-offline web");
	fails(-EBUSY, "resource-delete base"); /* mid depends on it */
	fails(-EBUSY, "resource-delete mid");  /* top depends on it */
	fails(-ENOENT, "resource-delete nope");
	struct cfs_object *top = RES("top");
	uint64_t kid = top->key->id;
	size_t from = t.nrecs;
	ok("resource-delete top");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_RESOURCE, "top"));
	cr_assert_null(cfs_reg_key(&m.reg, kid));
	cr_assert_eq(GROUP("web")->members.n, 2);
	ASSERT_TRACE(from, CH(CFS_CH_MEMBER_REMOVED) | CH(CFS_CH_DELETED),
		     "member_removed group:web top>-", "deleted resource:top ->-");
	ok("resource-delete mid");
	ok("resource-delete base");
	cr_assert_eq(GROUP("web")->members.n, 0);
	ok("group-delete web");
	/* a failed resource can be deleted */
	ok("resource-fail r1");
	ok("resource-delete r1");
	audit();
	assert_seqs();
}

Test(apply, resource_group_change)
{
	cluster();
	ok("group-online pair");
	fails(-EBUSY, "resource-group r1 spare"); /* online, and spare runs on n2 */
	fails(-ENOENT, "resource-group r1 nogroup");
	ok("group-offline pair");
	size_t from = t.nrecs;
	ok("resource-group r1 spare");
	cr_assert_eq(cfs_obj_ref(&m, RES("r1"), CFS_P_GROUP), GROUP("spare"));
	cr_assert_eq(GROUP("pair")->members.n, 1);
	cr_assert_eq(GROUP("spare")->members.n, 1);
	ASSERT_TRACE(from, CH(CFS_CH_MEMBER_ADDED) | CH(CFS_CH_MEMBER_REMOVED) | CH(CFS_CH_GROUP),
		     "member_removed group:pair r1>-", "group resource:r1 pair>spare",
		     "member_added group:spare ->r1");
	cr_assert_eq(cfs_obj_owner(&m, RES("r1")), NODE("n2"));
	size_t n = t.nrecs;
	ok("resource-group r1 spare");
	cr_assert_eq(t.nrecs, n);
	audit();
}

/* As Windows' ChangeClusterResourceGroup: the whole dependency tree
 * moves, providers and dependents alike, from whichever member: the
 * resource first, then the rest in the group's member order. */
Test(apply, resource_group_change_moves_dependency_tree)
{
	cluster();
	ok("resource-create lone \"Generic Service\" web");
	size_t from = t.nrecs;
	ok("resource-group mid spare");
	ASSERT_TRACE(from, CH(CFS_CH_MEMBER_ADDED) | CH(CFS_CH_MEMBER_REMOVED) | CH(CFS_CH_GROUP),
		     "member_removed group:web mid>-", "group resource:mid web>spare",
		     "member_added group:spare ->mid",
		     "member_removed group:web base>-", "group resource:base web>spare",
		     "member_added group:spare ->base",
		     "member_removed group:web top>-", "group resource:top web>spare",
		     "member_added group:spare ->top");
	cr_assert_eq(GROUP("web")->members.n, 1, "lone stays: no dependency links it");
	cr_assert_eq(GROUP("spare")->members.n, 3);
	cr_assert(cfs_obj_list_has(RES("top"), CFS_P_DEPENDENCIES, cfs_obj_id(RES("mid"))));
	audit();
	/* Online resources keep their state between groups of one node. */
	ok("group-create web2 n2");
	ok("resource-online top");
	ok("resource-group base web2");
	cr_assert_str_eq(RSTATE("top"), "online");
	cr_assert_str_eq(RSTATE("base"), "online");
	cr_assert_eq(GROUP("web2")->members.n, 3);
	cr_assert_eq(GROUP("spare")->members.n, 0);
	cr_assert_str_eq(GSTATE("web2"), "online");
	/* ...but not to a group on another node: nothing changes. */
	size_t n_before = t.nrecs;
	fails(-EBUSY, "resource-group top web");
	cr_assert_eq(t.nrecs, n_before);
	cr_assert_eq(GROUP("web2")->members.n, 3);
	ok("resource-offline base");
	ok("resource-group top web");
	cr_assert_eq(GROUP("web")->members.n, 4);
	audit();
	assert_seqs();
}

Test(apply, type_delete)
{
	cluster();
	fails(-EBUSY, "type-delete \"IP Address\"");
	fails(-EBUSY, "type-delete \"Generic Service\"");
	fails(-ENOENT, "type-delete Nope");
	ok("type-delete Unused");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_RESTYPE, "Unused"));
	ok("resource-delete top");
	ok("resource-delete mid");
	ok("resource-delete r1");
	ok("resource-delete r2");
	ok("type-delete \"Generic Service\"");
	audit();
}

Test(apply, type_create)
{
	size_t from = t.nrecs;
	ok("type-create \"Physical Disk\" clusres.dll");
	struct cfs_object *ty = obj(CFS_KIND_RESTYPE, "Physical Disk");
	cr_assert_str_eq(cfs_key_get_sz(ty->key, CFS_P_DLL_NAME, NULL), "clusres.dll");
	ok("type-create Bare");
	cr_assert_null(cfs_key_value(obj(CFS_KIND_RESTYPE, "Bare")->key, CFS_P_DLL_NAME));
	ASSERT_TRACE(from, CH(CFS_CH_ADDED), "added resourcetype:Physical Disk ->-",
		     "added resourcetype:Bare ->-");
	fails(-EEXIST, "type-create Bare x.dll");
}

/* ------------------------------------------------------------------ */
/* Networks and interfaces.                                            */

Test(apply, networks)
{
	cluster();
	ok("network-add net1 10.1.0.0 16 internalandclient up");
	struct cfs_object *n = obj(CFS_KIND_NETWORK, "net1");
	cr_assert_eq(cfs_key_get_dword(n->key, CFS_P_ROLE, 99), CFS_ROLE_INTERNAL_AND_CLIENT);
	cr_assert_str_eq(state_of(CFS_KIND_NETWORK, "net1"), "up");
	fails(-EINVAL, "network-add net2 10.2.0.0 16 sideways up");
	fails(-EINVAL, "network-add net2 10.2.0.0 16 none on");
	fails(-EEXIST, "network-add net1 10.2.0.0 16 none up");
	ok("netif-add if1 n1 net1 eth0 10.1.0.1 up");
	struct cfs_object *ni = obj(CFS_KIND_NETINTERFACE, "if1");
	cr_assert_eq(cfs_obj_ref(&m, ni, CFS_P_NODE), NODE("n1"));
	cr_assert_eq(cfs_obj_ref(&m, ni, CFS_P_NETWORK), n);
	fails(-ENOENT, "netif-add if2 nX net1 eth1 10.1.0.2 up");
	fails(-ENOENT, "netif-add if2 n1 netX eth1 10.1.0.2 up");
	fails(-EINVAL, "netif-add if2 n1 net1 eth1 10.1.0.2 sideways");
	fails(-EBUSY, "network-delete net1");
	size_t from = t.nrecs;
	ok("network-state net1 partitioned");
	ok("netif-state if1 unreachable");
	ok("network-role net1 client");
	ASSERT_TRACE(from, CH(CFS_CH_STATE) | CH(CFS_CH_PROPERTY),
		     "state network:net1 up>partitioned",
		     "state netinterface:if1 up>unreachable",
		     "property network:net1 internalandclient>client");
	fails(-EINVAL, "network-state net1 sideways");
	fails(-EINVAL, "netif-state if1 sideways");
	fails(-EINVAL, "network-role net1 sideways");
	size_t k = t.nrecs;
	ok("network-role net1 client");
	cr_assert_eq(t.nrecs, k);
	ok("network-rename net1 \"Cluster Network 1\"");
	cr_assert_eq(cfs_obj_ref(&m, ni, CFS_P_NETWORK), n, "references are ids");
	ok("netif-delete if1");
	ok("network-delete \"Cluster Network 1\"");
	cr_assert_eq(cfs_model_count(&m, CFS_KIND_NETWORK), 0);
	audit();
	assert_seqs();
}

Test(apply, cluster_rename)
{
	size_t from = t.nrecs;
	ok("cluster-rename alpha");
	cr_assert_str_eq(cfs_model_cluster_name(&m), "alpha");
	struct cfs_value *id = cfs_key_value(m.reg.root, CFS_P_CLUSTER_ID);
	cr_assert_not_null(id, "the first rename sets the cluster id");
	char *cid = gc(cfs_strndup((char *)id->data, id->len));
	cr_assert_eq(strlen(cid), CFS_ID_LEN);
	ok("cluster-rename beta");
	cr_assert_str_eq(cfs_model_cluster_name(&m), "beta");
	id = cfs_key_value(m.reg.root, CFS_P_CLUSTER_ID);
	cr_assert_eq(strncmp((char *)id->data, cid, CFS_ID_LEN), 0, "the id stays");
	ASSERT_TRACE(from, CH(CFS_CH_RENAMED), "renamed cluster:alpha >alpha",
		     "renamed cluster:beta alpha>beta");
	size_t n = t.nrecs;
	ok("cluster-rename beta");
	cr_assert_eq(t.nrecs, n);
	fails(-EINVAL, "cluster-rename a/b");
}

/* ------------------------------------------------------------------ */
/* Names.                                                              */

struct name_case {
	char name[300];
	int err;
};

static struct name_case name_cases[] = {
	{"a/b", -EINVAL},   {"/", -EINVAL},    {"a\x01" "b", -EINVAL}, {"a\nb", -EINVAL},
	{"a\tb", -EINVAL},  {"\x7f", -EINVAL}, {".", -EINVAL},	       {"..", -EINVAL},
	{"", -EINVAL},	    {"\xff", -EINVAL}, {"\xc3(", -EINVAL},     {"", -ENAMETOOLONG},
	{"ok name", 0},	    {"a\\b", 0},       {"caf\xc3\xa9", 0},     {"", 0},
};

ParameterizedTestParameters(apply, names)
{
	size_t n = CFS_ARRAY_SIZE(name_cases);
	memset(name_cases[11].name, 'x', CFS_NAME_MAX + 1); /* 256 bytes */
	memset(name_cases[n - 1].name, 'y', CFS_NAME_MAX);  /* 255 bytes */
	return cr_make_param_array(struct name_case, name_cases, n);
}

/* Every command that names something checks the name the same way. */
ParameterizedTest(struct name_case *nc, apply, names)
{
	cluster();
	ok("network-add net1 10.1.0.0 16 none up");
	const char *N = nc->name;
	struct {
		enum cfs_op op;
		int argc;
		const char *argv[6];
		enum cfs_kind kind;
	} cmds[] = {
		{CFS_OP_NODE_ADD, 3, {N, "9", "10.0.0.9"}, CFS_KIND_NODE},
		{CFS_OP_GROUP_CREATE, 1, {N}, CFS_KIND_GROUP},
		{CFS_OP_RES_CREATE, 3, {N, "Unused", "spare"}, CFS_KIND_RESOURCE},
		{CFS_OP_TYPE_CREATE, 1, {N}, CFS_KIND_RESTYPE},
		{CFS_OP_NET_ADD, 5, {N, "10.9.0.0", "16", "none", "up"}, CFS_KIND_NETWORK},
		{CFS_OP_NETIF_ADD, 6, {N, "n1", "net1", "eth9", "10.9.0.1", "up"},
		 CFS_KIND_NETINTERFACE},
		{CFS_OP_GROUP_RENAME, 2, {"pair", N}, CFS_KIND_GROUP},
		{CFS_OP_RES_RENAME, 2, {"r1", N}, CFS_KIND_RESOURCE},
		{CFS_OP_NET_RENAME, 2, {"net1", N}, CFS_KIND_NETWORK},
		{CFS_OP_CLUSTER_RENAME, 1, {N}, CFS_KIND_CLUSTER},
	};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(cmds); i++) {
		if (nc->err) {
			fails_argv(nc->err, cmds[i].op, cmds[i].argc, cmds[i].argv);
			continue;
		}
		/* A good name: the create/rename works, then is undone by
		 * hand so that the next command can use the name too. */
		struct cfs_txn_mark mark = cfs_txn_mark(&t);
		char *before = dump();
		int r = run_argv(cmds[i].op, cmds[i].argc, cmds[i].argv);
		cr_assert_eq(r, 0, "%s \"%.40s\": %d (%s)", cfs_op_verb(cmds[i].op), N, r,
			     last_why ? last_why : "-");
		if (cmds[i].kind == CFS_KIND_CLUSTER)
			cr_assert_str_eq(cfs_model_cluster_name(&m), N);
		else
			cr_assert_not_null(cfs_model_by_name(&m, cmds[i].kind, N));
		cfs_txn_rollback(&t, mark);
		char *after = dump();
		assert_same_dump(after, before, "state after rollback");
		audit();
	}
}

Test(apply, duplicate_names)
{
	cluster();
	ok("network-add net1 10.1.0.0 16 none up");
	ok("network-add net2 10.2.0.0 16 none up");
	ok("netif-add if1 n1 net1 eth0 10.1.0.1 up");
	fails(-EEXIST, "node-add n1 9 10.0.0.9");
	fails(-EEXIST, "group-create web");
	fails(-EEXIST, "resource-create top Unused spare");
	fails(-EEXIST, "type-create \"IP Address\"");
	fails(-EEXIST, "network-add net1 10.3.0.0 16 none up");
	fails(-EEXIST, "netif-add if1 n2 net1 eth0 10.1.0.2 up");
	fails(-EEXIST, "group-rename pair web");
	fails(-EEXIST, "resource-rename r1 top");
	fails(-EEXIST, "network-rename net2 net1");
	/* names are per kind */
	ok("group-create top");
	ok("resource-create web Unused spare");
	ok("type-create web");
	audit();
}

/* ------------------------------------------------------------------ */
/* Free properties: set / unset.                                       */

Test(apply, set_unset)
{
	cluster();
	size_t from = t.nrecs;
	ok("set group web Description \"the web tier\"");
	struct cfs_value *v = cfs_key_value(GROUP("web")->key, "Description");
	cr_assert_not_null(v);
	cr_assert_eq(v->type, CFS_REG_SZ);
	cr_assert_eq(v->len, 12);
	cr_assert(memcmp(v->data, "the web tier", 12) == 0);
	const struct cfs_record *r = last_rec(from, CFS_CH_PROPERTY);
	cr_assert_not_null(r);
	cr_assert_eq(r->kind, CFS_KIND_GROUP);
	cr_assert_str_eq(r->prop, "Description");
	cr_assert_null(r->old_value);
	cr_assert_str_eq(r->new_value, "the web tier");
	/* replace; a trailing newline is dropped as for any SZ text */
	ok("set group %s Description \"new text\\n\"", cfs_obj_id(GROUP("web")));
	v = cfs_key_value(GROUP("web")->key, "Description");
	cr_assert_eq(v->len, 8);
	r = last_rec(from, CFS_CH_PROPERTY);
	cr_assert_str_eq(r->old_value, "the web tier");
	cr_assert_str_eq(r->new_value, "new text");
	ok("set resource top Comment x");
	ok("set node n1 Rack 12");
	ok("set resourcetype Unused Note x");
	ok("set group web \"Odd Name \\\\ ok\" x");
	/* managed properties */
	fails(-EPERM, "set group web State 0");
	fails(-EPERM, "set group web Name other");
	fails(-EPERM, "set group web OwnerNode x");
	fails(-EPERM, "set resource top Dependencies x");
	fails(-EPERM, "set resource top Group x");
	fails(-EPERM, "set node n1 NodeNumber 7");
	fails(-EPERM, "unset group web State");
	fails(-EPERM, "unset resource top Type");
	/* bad input */
	fails(-ENOENT, "set group nogroup Description x");
	fails(-EINVAL, "set galaxy web Description x");
	fails(-EINVAL, "set cluster web Description x");
	fails(-EINVAL, "set registry web Description x");
	fails(-EINVAL, "set group web \"a/b\" x");
	fails(-EINVAL, "set group web \"\" x");
	fails(-EINVAL, "set group web Description \"a\\x00b\"");
	fails(-EINVAL, "set group web Description \"\\xff\"");
	/* unset */
	from = t.nrecs;
	ok("unset group web Description");
	cr_assert_null(cfs_key_value(GROUP("web")->key, "Description"));
	r = last_rec(from, CFS_CH_PROPERTY);
	cr_assert_str_eq(r->old_value, "new text");
	cr_assert_null(r->new_value);
	fails(-ENOENT, "unset group web Description");
	audit();
	assert_seqs();
}

/* ------------------------------------------------------------------ */
/* Registry commands.                                                  */

Test(apply, reg_create_key)
{
	cluster();
	size_t from = t.nrecs;
	ok("reg-create-key Software");
	struct cfs_key *k = key_at("Software");
	cr_assert_not_null(k);
	cr_assert_eq(k->parent, m.reg.root);
	cr_assert_eq(k->mode, m.reg.root->mode, "default mode: the parent's");
	cr_assert_eq(k->uid, 1000, "owner: who asked");
	const struct cfs_record *r = last_rec(from, CFS_CH_KEY_ADDED);
	cr_assert_not_null(r);
	cr_assert_eq(r->kind, CFS_KIND_REGISTRY);
	cr_assert_str_eq(r->obj_name, "Software");
	cr_assert_eq(r->key_id, k->id);
	cr_assert_eq(r->parent_key_id, m.reg.root->id);
	ok("reg-create-key Software\\Vendor 0700");
	cr_assert_eq(key_at("Software/Vendor")->mode, 0700);
	ok("reg-create-key Software/Vendor/App");
	cr_assert_eq(key_at("Software\\Vendor\\App")->mode, 0700, "inherits 0700");
	ok("reg-create-key \"Software\\\\Vendor\\\\With Space\\\\\"");
	cr_assert_not_null(key_at("Software\\Vendor\\With Space"));
	r = last_rec(from, CFS_CH_KEY_ADDED);
	cr_assert_str_eq(r->obj_name, "Software\\Vendor\\With Space");
	/* below an object key: allowed (parameters of a resource) */
	char *p = obj_path(RES("top"));
	ok("reg-create-key %s\\Parameters", p);
	cr_assert_not_null(cfs_key_subkey(RES("top")->key, "Parameters"));
	/* errors */
	fails(-EEXIST, "reg-create-key Software");
	fails(-EEXIST, "reg-create-key Groups");
	fails(-ENOENT, "reg-create-key Nope\\Key");
	fails(-EPERM, "reg-create-key Groups\\NotAGroup");
	fails(-EPERM, "reg-create-key Nodes\\x");
	fails(-EINVAL, "reg-create-key Software\\..");
	fails(-EINVAL, "reg-create-key Software\\.");
	fails(-EINVAL, "reg-create-key \"Software\\\\a\\x01\"");
	fails(-EINVAL, "reg-create-key \"\"");
	fails(-EINVAL, "reg-create-key \"\\\\\"");
	fails(-EINVAL, "reg-create-key Software\\x 0800");
	fails(-EINVAL, "reg-create-key Software\\x rwx");
	fails(-EINVAL, "reg-create-key Software\\x 10000");
	char longname[CFS_NAME_MAX + 2];
	memset(longname, 'k', CFS_NAME_MAX + 1);
	longname[CFS_NAME_MAX + 1] = '\0';
	fails(-ENAMETOOLONG, "reg-create-key Software\\%s", longname);
	longname[CFS_NAME_MAX] = '\0';
	ok("reg-create-key Software\\%s", longname);
	audit();
	assert_seqs();
}

Test(apply, reg_create_key_depth)
{
	struct cfs_buf path = {0};
	for (int d = 1; d <= CFS_KEY_DEPTH_MAX; d++) {
		cfs_buf_printf(&path, "%sd%d", d > 1 ? "\\" : "", d);
		ok("reg-create-key %s", path.data);
	}
	cfs_buf_puts(&path, "\\toodeep");
	fails(-ENAMETOOLONG, "reg-create-key %s", path.data);
	cfs_buf_free(&path);
}

Test(apply, reg_set_types)
{
	ok("reg-create-key K");
	static const struct {
		const char *type;
		const char *text; /* as written in the command line */
		uint32_t want_type;
		const char *want;
		size_t want_len;
	} cases[] = {
		{"sz", "hello", CFS_REG_SZ, "hello", 5},
		{"REG_SZ", "\"line\\n\"", CFS_REG_SZ, "line", 4},
		{"expand_sz", "%PATH%", CFS_REG_EXPAND_SZ, "%PATH%", 6},
		{"multi_sz", "\"a\\nb\\nc\\n\"", CFS_REG_MULTI_SZ, "a\0b\0c\0", 6},
		{"dword", "42", CFS_REG_DWORD, "\x2a\0\0\0", 4},
		{"dword", "0xdeadbeef", CFS_REG_DWORD, "\xef\xbe\xad\xde", 4},
		{"4", "7", CFS_REG_DWORD, "\x07\0\0\0", 4},
		{"qword", "4294967296", CFS_REG_QWORD, "\0\0\0\0\x01\0\0\0", 8},
		{"binary", "\"\\x00\\x01\\xff\\n\"", CFS_REG_BINARY, "\0\x01\xff\n", 4},
		{"none", "\"\"", CFS_REG_NONE, "", 0},
	};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(cases); i++) {
		size_t from = t.nrecs;
		ok("reg-set K v%zu %s %s", i, cases[i].type, cases[i].text);
		char name[16];
		snprintf(name, sizeof(name), "v%zu", i);
		struct cfs_value *v = value_at("K", name);
		cr_assert_not_null(v);
		cr_assert_eq(v->type, cases[i].want_type, "case %zu type %u", i, v->type);
		cr_assert_eq(v->len, cases[i].want_len, "case %zu len %zu", i, v->len);
		cr_assert(memcmp(v->data, cases[i].want, v->len) == 0, "case %zu data", i);
		const struct cfs_record *r = last_rec(from, CFS_CH_VALUE_SET);
		cr_assert_not_null(r);
		cr_assert_str_eq(r->prop, name);
		cr_assert_str_eq(r->obj_name, "K");
		cr_assert_eq(r->value_id, v->id);
	}
	/* replace keeps the id */
	uint64_t id = value_at("K", "v0")->id;
	ok("reg-set K v0 dword 1");
	cr_assert_eq(value_at("K", "v0")->id, id);
	cr_assert_eq(value_at("K", "v0")->type, CFS_REG_DWORD);
	/* setting the same again records nothing */
	size_t n = t.nrecs;
	ok("reg-set K v0 dword 1");
	cr_assert_eq(t.nrecs, n);
	/* errors */
	fails(-ERANGE, "reg-set K v0 dword 4294967296");
	fails(-ERANGE, "reg-set K v0 qword 18446744073709551616");
	fails(-EINVAL, "reg-set K v0 dword abc");
	fails(-EINVAL, "reg-set K v0 dword -1");
	fails(-EINVAL, "reg-set K v0 sz \"a\\x00b\"");
	fails(-EINVAL, "reg-set K v0 sz \"\\xc3\"");
	fails(-EINVAL, "reg-set K v0 text abc");
	fails(-EINVAL, "reg-set K v0 5 abc");
	fails(-EINVAL, "reg-set K \"a/b\" sz x");
	fails(-EINVAL, "reg-set K \"\" sz x");
	fails(-EINVAL, "reg-set K . sz x");
	fails(-ENOENT, "reg-set Nope v sz x");
	char longname[CFS_NAME_MAX + 2];
	memset(longname, 'v', CFS_NAME_MAX + 1);
	longname[CFS_NAME_MAX + 1] = '\0';
	fails(-ENAMETOOLONG, "reg-set K %s sz x", longname);
	/* a value name may hold a backslash (only key names may not) */
	ok("reg-set K \"a\\\\b\" sz x");
	cr_assert_not_null(value_at("K", "a\\b"));
	audit();
	assert_seqs();
}

Test(apply, reg_set_raw)
{
	ok("reg-create-key K");
	ok("reg-set-raw K d dword \"\\x01\\x02\\x03\\x04\"");
	cr_assert_eq(cfs_key_get_dword(key_at("K"), "d", 0), 0x04030201);
	ok("reg-set-raw K m multi_sz \"a\\x00b\\x00\"");
	cr_assert_eq(value_at("K", "m")->len, 4);
	ok("reg-set-raw K b binary \"\\x00 \\n\"");
	cr_assert_eq(value_at("K", "b")->len, 3);
	fails(-EINVAL, "reg-set-raw K d dword \"\\x01\\x02\\x03\"");
	fails(-EINVAL, "reg-set-raw K q qword \"\\x01\"");
	fails(-EINVAL, "reg-set-raw K m multi_sz abc");	    /* not terminated */
	fails(-EINVAL, "reg-set-raw K m multi_sz \"a\\nb\\x00\""); /* newline */
	fails(-EINVAL, "reg-set-raw K s sz \"a\\x00\"");
}

Test(apply, reg_value_too_big)
{
	ok("reg-create-key K");
	size_t n = CFS_VALUE_MAX + 1;
	char *big = gc(malloc(n + 1));
	memset(big, 'a', n);
	big[n] = '\0';
	const char *args[] = {"K", "big", "binary", big};
	fails_argv(-EFBIG, CFS_OP_REG_SET, 4, args);
	fails_argv(-EFBIG, CFS_OP_REG_SET_RAW, 4, args);
	args[2] = "sz";
	fails_argv(-EFBIG, CFS_OP_REG_SET, 4, args);
	big[n - 1] = '\0';
	args[2] = "binary";
	cr_assert_eq(run_argv(CFS_OP_REG_SET, 4, args), 0);
	cr_assert_eq(value_at("K", "big")->len, CFS_VALUE_MAX);
}

Test(apply, reg_delete_rename)
{
	ok("reg-create-key K");
	ok("reg-set K a sz one");
	ok("reg-set K b sz two");
	uint64_t aid = value_at("K", "a")->id;
	size_t from = t.nrecs;
	ok("reg-rename K a c");
	cr_assert_null(value_at("K", "a"));
	cr_assert_eq(value_at("K", "c")->id, aid, "a rename keeps the id");
	cr_assert_not_null(last_rec(from, CFS_CH_VALUE_RENAMED));
	cr_assert_str_eq(last_rec(from, CFS_CH_VALUE_RENAMED)->prop, "c");
	fails(-EEXIST, "reg-rename K c b");
	fails(-ENOENT, "reg-rename K a x");
	fails(-EINVAL, "reg-rename K c \"x/y\"");
	fails(-ENOENT, "reg-rename Nope c x");
	size_t n = t.nrecs;
	ok("reg-rename K c c");
	cr_assert_eq(t.nrecs, n);
	from = t.nrecs;
	ok("reg-delete K c");
	cr_assert_null(value_at("K", "c"));
	cr_assert_null(cfs_reg_value(&m.reg, aid));
	const struct cfs_record *r = last_rec(from, CFS_CH_VALUE_DELETED);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->prop, "c");
	cr_assert_str_eq(r->old_value, "one");
	fails(-ENOENT, "reg-delete K c");
	fails(-ENOENT, "reg-delete Nope b");
	/* key rename */
	ok("reg-create-key K\\Sub");
	ok("reg-create-key L");
	uint64_t kid = key_at("K")->id;
	from = t.nrecs;
	ok("reg-rename-key K K2");
	cr_assert_null(key_at("K"));
	cr_assert_eq(key_at("K2")->id, kid);
	cr_assert_not_null(key_at("K2\\Sub"));
	r = last_rec(from, CFS_CH_KEY_RENAMED);
	cr_assert_str_eq(r->old_value, "K");
	cr_assert_str_eq(r->new_value, "K2");
	fails(-EEXIST, "reg-rename-key K2 L");
	fails(-EEXIST, "reg-rename-key K2 Groups");
	fails(-EINVAL, "reg-rename-key K2 \"a\\\\b\"");
	fails(-EINVAL, "reg-rename-key K2 ..");
	fails(-ENOENT, "reg-rename-key K x");
	audit();
	assert_seqs();
}

Test(apply, reg_type_conversion)
{
	ok("reg-create-key K");
	ok("reg-set K n sz 12");
	ok("reg-type K n dword");
	struct cfs_value *v = value_at("K", "n");
	cr_assert_eq(v->type, CFS_REG_DWORD);
	cr_assert_eq(cfs_key_get_dword(key_at("K"), "n", 0), 12);
	ok("reg-type K n qword");
	cr_assert_eq(value_at("K", "n")->len, 8);
	ok("reg-type K n sz");
	v = value_at("K", "n");
	cr_assert_eq(v->type, CFS_REG_SZ);
	cr_assert_eq(v->len, 2);
	cr_assert(memcmp(v->data, "12", 2) == 0);
	ok("reg-type K n multi_sz");
	cr_assert_eq(value_at("K", "n")->len, 3);
	ok("reg-type K n binary");
	cr_assert_eq(value_at("K", "n")->len, 3, "\"12\\n\" as raw bytes");
	ok("reg-set K s sz abc");
	fails(-EINVAL, "reg-type K s dword");
	fails(-EINVAL, "reg-type K s nosuchtype");
	ok("reg-set K big sz 4294967296");
	fails(-ERANGE, "reg-type K big dword");
	ok("reg-set K m multi_sz \"a\\nb\"");
	ok("reg-type K m sz");
	cr_assert_eq(value_at("K", "m")->len, 3, "the lines become one string \"a\\nb\"");
	fails(-ENOENT, "reg-type K nope sz");
	audit();
}

Test(apply, reg_security)
{
	ok("reg-create-key K");
	size_t from = t.nrecs;
	ok("reg-security K 0750 1001 1002");
	struct cfs_key *k = key_at("K");
	cr_assert_eq(k->mode, 0750);
	cr_assert_eq(k->uid, 1001);
	cr_assert_eq(k->gid, 1002);
	const struct cfs_record *r = last_rec(from, CFS_CH_SECURITY);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->old_value, "0755 1000 0");
	cr_assert_str_eq(r->new_value, "0750 1001 1002");
	size_t n = t.nrecs;
	ok("reg-security K 750 1001 1002");
	cr_assert_eq(t.nrecs, n, "no change, no record");
	ok("reg-security K 4755 0 0");
	cr_assert_eq(key_at("K")->mode, 04755);
	fails(-EINVAL, "reg-security K 0800 0 0");
	fails(-EINVAL, "reg-security K 17777 0 0");
	fails(-EINVAL, "reg-security K rwx 0 0");
	fails(-EINVAL, "reg-security K 0755 -1 0");
	fails(-EINVAL, "reg-security K 0755 0 x");
	fails(-EINVAL, "reg-security K 0755 4294967295 0");
	fails(-ENOENT, "reg-security Nope 0755 0 0");
}

Test(apply, reg_delete_key)
{
	cluster();
	ok("reg-create-key K");
	ok("reg-create-key K\\Sub");
	ok("reg-set K v sz x");
	fails(-ENOTEMPTY, "reg-delete-key K");
	size_t from = t.nrecs;
	ok("reg-delete-key K\\Sub");
	cr_assert_null(key_at("K\\Sub"));
	cr_assert_not_null(last_rec(from, CFS_CH_KEY_DELETED));
	/* values go with the key */
	uint64_t vid = value_at("K", "v")->id;
	ok("reg-delete-key K");
	cr_assert_null(key_at("K"));
	cr_assert_null(cfs_reg_value(&m.reg, vid));
	fails(-ENOENT, "reg-delete-key K");
	audit();
}

/* The cluster's structure cannot be changed through the registry. */
Test(apply, reg_structural_keys)
{
	cluster();
	char *g = obj_path(GROUP("spare"));
	char *r = obj_path(RES("top"));
	fails(-EPERM, "reg-delete-key \"\"");
	fails(-EPERM, "reg-delete-key \"\\\\\"");
	fails(-EPERM, "reg-delete-key Groups");
	fails(-EPERM, "reg-delete-key ResourceTypes");
	fails(-EPERM, "reg-delete-key %s", g); /* empty object key */
	fails(-EPERM, "reg-delete-key %s", r);
	fails(-EPERM, "reg-rename-key Groups Groupz");
	fails(-EPERM, "reg-rename-key %s other", g);
	fails(-EPERM, "reg-rename-key %s other", r);
}

/* Values the model maintains are read-only through the registry; other
 * values of object keys are free. */
Test(apply, reg_managed_values)
{
	cluster();
	ok("network-add net1 10.1.0.0 16 none up");
	ok("netif-add if1 n1 net1 eth0 10.1.0.1 up");
	char *g = obj_path(GROUP("web"));
	char *r = obj_path(RES("top"));
	char *n = obj_path(NODE("n1"));
	char *net = obj_path(obj(CFS_KIND_NETWORK, "net1"));
	char *ni = obj_path(obj(CFS_KIND_NETINTERFACE, "if1"));
	fails(-EPERM, "reg-set %s State dword 0", g);
	fails(-EPERM, "reg-set %s Name sz other", g);
	fails(-EPERM, "reg-set %s OwnerNode sz x", g);
	fails(-EPERM, "reg-set %s PreferredOwners multi_sz x", g);
	fails(-EPERM, "reg-set %s GroupType dword 1", g);
	fails(-EPERM, "reg-set-raw %s State dword \"\\x00\\x00\\x00\\x00\"", g);
	fails(-EPERM, "reg-delete %s State", g);
	fails(-EPERM, "reg-delete %s Name", g);
	fails(-EPERM, "reg-rename %s State Foo", g);
	fails(-EPERM, "reg-type %s State sz", g);
	fails(-EPERM, "reg-set %s Dependencies multi_sz x", r);
	fails(-EPERM, "reg-set %s Group sz x", r);
	fails(-EPERM, "reg-set %s Type sz x", r);
	fails(-EPERM, "reg-set %s PossibleOwners multi_sz x", r);
	fails(-EPERM, "reg-set %s NodeNumber dword 9", n);
	fails(-EPERM, "reg-set %s Address sz x", n);
	fails(-EPERM, "reg-set %s Role dword 0", net);
	fails(-EPERM, "reg-set %s AddressMask sz x", net);
	fails(-EPERM, "reg-set %s Adapter sz x", ni);
	fails(-EPERM, "reg-set %s Node sz x", ni);
	fails(-EPERM, "reg-set \"\" ClusterName sz x");
	/* free values */
	ok("reg-set %s Description sz \"front end\"", g);
	cr_assert_not_null(cfs_key_value(GROUP("web")->key, "Description"));
	ok("reg-set %s Count dword 3", r);
	ok("reg-rename %s Count Count2", r);
	/* renaming a free value onto a managed name is refused too */
	fails(-EPERM, "reg-rename %s Count2 State", r);
	ok("reg-delete %s Count2", r);
	ok("reg-set \"\" Site sz lab");
	/* a managed name below an object key (not on it) is free */
	ok("reg-create-key %s\\Parameters", r);
	ok("reg-set %s\\Parameters State dword 1", r);
	audit();
	assert_seqs();
}

/* Values as files (fs_registry.c): a value made by a file has no type
 * of its own and holds whatever is written; one with a type parses. */
Test(apply, reg_files_untyped_values)
{
	ok("reg-create-key K");
	size_t from = t.nrecs;
	ok("reg-create K v");
	struct cfs_value *v = value_at("K", "v");
	cr_assert_eq(v->type, CFS_REG_SZ);
	cr_assert_eq(v->flags, CFS_VAL_UNTYPED | CFS_VAL_NOEOL);
	cr_assert_eq(v->len, 0);
	cr_assert(last_rec(from, CFS_CH_VALUE_SET)->flags & CFS_REC_CREATED);
	fails(-EEXIST, "reg-create K v");
	ok("reg-create-key K\\Sub");
	fails(-EEXIST, "reg-create K Sub");
	fails(-EINVAL, "reg-create K \"a/b\"");
	fails(-ENOENT, "reg-create Nope v");
	/* Text with a final newline: REG_SZ, the newline dropped. */
	ok("reg-write K v \"hello\\n\"");
	v = value_at("K", "v");
	cr_assert_eq(v->type, CFS_REG_SZ);
	cr_assert_eq(v->flags, CFS_VAL_UNTYPED);
	cr_assert_eq(v->len, 5);
	/* Without one: REG_SZ that shows no newline. */
	ok("reg-write K v abc");
	cr_assert_eq(value_at("K", "v")->flags, CFS_VAL_UNTYPED | CFS_VAL_NOEOL);
	struct cfs_buf text = {0};
	cr_assert_eq(cfs_value_text(value_at("K", "v"), &text), 0);
	cr_assert_eq(text.len, 3);
	cfs_buf_free(&text);
	/* Bytes that are not text: REG_BINARY, as written. */
	ok("reg-write K v \"a\\x00b\\xff\\n\"");
	v = value_at("K", "v");
	cr_assert_eq(v->type, CFS_REG_BINARY);
	cr_assert_eq(v->flags, CFS_VAL_UNTYPED);
	cr_assert_eq(v->len, 5);
	/* And back to text. */
	ok("reg-write K v \"7\\n\"");
	cr_assert_eq(value_at("K", "v")->type, CFS_REG_SZ);
	/* A write to a missing value makes an untyped one. */
	ok("reg-write K w \"\\x00\\x01\"");
	cr_assert_eq(value_at("K", "w")->type, CFS_REG_BINARY);
	cr_assert_eq(value_at("K", "w")->flags, CFS_VAL_UNTYPED);
	/* A type chosen explicitly stays, and what does not parse is refused. */
	ok("reg-type K v dword");
	cr_assert_eq(value_at("K", "v")->flags, 0);
	fails(-EINVAL, "reg-write K v abc");
	fails(-EINVAL, "reg-write K v \"\\x00\"");
	ok("reg-write K v \"42\\n\"");
	cr_assert_eq(cfs_key_get_dword(key_at("K"), "v", 0), 42);
	ok("reg-set K s sz typed");
	fails(-EINVAL, "reg-write K s \"\\xff\"");
	/* truncate: the file's content cut or zero-extended. */
	ok("reg-write K u \"hello\\n\"");
	ok("reg-truncate K u 3");
	cr_assert_eq(value_at("K", "u")->len, 3);
	cr_assert_eq(value_at("K", "u")->flags, CFS_VAL_UNTYPED | CFS_VAL_NOEOL);
	ok("reg-truncate K u 5");
	cr_assert_eq(value_at("K", "u")->type, CFS_REG_BINARY, "NULs are not text");
	cr_assert_eq(value_at("K", "u")->len, 5);
	ok("reg-truncate K u 0");
	cr_assert_eq(value_at("K", "u")->len, 0);
	fails(-EINVAL, "reg-truncate K v 0");
	fails(-EFBIG, "reg-truncate K u %d", CFS_VALUE_MAX + 1);
	fails(-EINVAL, "reg-truncate K u -1");
	fails(-EINVAL, "reg-truncate K u x");
	fails(-ENOENT, "reg-truncate K nope 0");
	audit();
	assert_seqs();
}

Test(apply, reg_files_links_and_security)
{
	cluster();
	ok("reg-create-key K");
	ok("reg-link K l ../target");
	struct cfs_value *l = value_at("K", "l");
	cr_assert_eq(l->type, CFS_REG_LINK);
	cr_assert_eq(l->len, 9);
	cr_assert_eq(cfs_value_mode(l), 0777);
	fails(-EEXIST, "reg-link K l other");
	fails(-EINVAL, "reg-link K e \"\"");
	fails(-EINVAL, "reg-write K l x");
	fails(-EINVAL, "reg-set K l sz x");
	fails(-EINVAL, "reg-type K l sz");
	ok("reg-set K s sz x");
	fails(-EINVAL, "reg-set K s link /x");
	fails(-EINVAL, "reg-type K s link");
	char longt[CFS_LINK_MAX + 2];
	memset(longt, 'a', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = '\0';
	fails(-ENAMETOOLONG, "reg-link K long %s", longt);
	/* A value follows its key's security until it has its own. */
	struct cfs_key *k = key_at("K");
	struct cfs_value *s = value_at("K", "s");
	cr_assert_eq(cfs_value_mode(s), 0644);
	ok("reg-security K 0750 7 8");
	cr_assert_eq(cfs_value_mode(s), 0640);
	cr_assert_eq(cfs_value_uid(s), 7);
	cr_assert_eq(cfs_value_gid(s), 8);
	size_t from = t.nrecs;
	ok("reg-value-security K s 0600 9 10");
	cr_assert_eq(s->flags & CFS_VAL_OWN_SECURITY, CFS_VAL_OWN_SECURITY);
	const struct cfs_record *r = last_rec(from, CFS_CH_SECURITY);
	cr_assert_str_eq(r->prop, "s");
	cr_assert_eq(r->value_id, s->id);
	cr_assert_str_eq(r->old_value, "0640 7 8");
	cr_assert_str_eq(r->new_value, "0600 9 10");
	ok("reg-security K 0700 1 1");
	cr_assert_eq(cfs_value_mode(s), 0600, "its own mode stays");
	cr_assert_eq(cfs_value_uid(s), 9);
	size_t n = t.nrecs;
	ok("reg-value-security K s 600 9 10");
	cr_assert_eq(t.nrecs, n, "no change, no record");
	/* Writing keeps the value's own security. */
	ok("reg-set K s sz y");
	cr_assert_eq(cfs_value_mode(value_at("K", "s")), 0600);
	fails(-EINVAL, "reg-value-security K s 0800 0 0");
	fails(-ENOENT, "reg-value-security K nope 0600 0 0");
	fails(-EPERM, "reg-value-security %s Name 0600 0 0", obj_path(GROUP("web")));
	(void)k;
	/* Who may read it. */
	ok("reg-security K 0755 0 0");
	ok("reg-value-security K s 0640 5 6");
	s = value_at("K", "s");
	uint32_t sup[] = {6};
	cr_assert(cfs_value_may_read(s, 0, 0, NULL, 0));
	cr_assert(cfs_value_may_read(s, 5, 99, NULL, 0));
	cr_assert(cfs_value_may_read(s, 77, 6, NULL, 0));
	cr_assert(cfs_value_may_read(s, 77, 99, sup, 1));
	cr_assert(!cfs_value_may_read(s, 77, 99, NULL, 0));
	ok("reg-security K 0700 0 0");
	cr_assert(!cfs_value_may_read(s, 5, 99, NULL, 0), "the key cannot be searched");
	audit();
	assert_seqs();
}

/* rename(2) onto an existing name replaces it, as on a local file system. */
Test(apply, reg_files_rename_replaces)
{
	cluster();
	ok("reg-create-key K");
	ok("reg-set K a sz one");
	ok("reg-set K b sz two");
	uint64_t aid = value_at("K", "a")->id, bid = value_at("K", "b")->id;
	fails(-EEXIST, "reg-rename K a b");
	size_t from = t.nrecs;
	ok("reg-rename K a b replace");
	cr_assert_null(value_at("K", "a"));
	cr_assert_eq(value_at("K", "b")->id, aid);
	cr_assert_null(cfs_reg_value(&m.reg, bid));
	cr_assert_eq(t.nrecs, from + 2);
	cr_assert_eq(t.recs[from].change, CFS_CH_VALUE_DELETED);
	cr_assert(t.recs[from].flags & CFS_REC_REPLACED);
	cr_assert_eq(t.recs[from].value_id, bid);
	cr_assert_eq(t.recs[from + 1].change, CFS_CH_VALUE_RENAMED);
	/* Onto nothing, replace is a plain rename. */
	ok("reg-rename K b c replace");
	ok("reg-create-key K\\D");
	ok("reg-create-key K\\E");
	ok("reg-set K\\E v sz x");
	fails(-EISDIR, "reg-rename K c D replace");
	fails(-EINVAL, "reg-rename K c d nonsense");
	/* Keys: onto an empty key only. */
	ok("reg-create-key K\\F");
	uint64_t fid = key_at("K\\F")->id;
	fails(-ENOTEMPTY, "reg-rename-key K\\F E replace");
	fails(-ENOTDIR, "reg-rename-key K\\F c replace");
	fails(-EEXIST, "reg-rename-key K\\F D");
	from = t.nrecs;
	ok("reg-rename-key K\\F D replace");
	cr_assert_eq(key_at("K\\D")->id, fid);
	cr_assert(t.recs[from].flags & CFS_REC_REPLACED);
	cr_assert_eq(t.recs[from].change, CFS_CH_KEY_DELETED);
	/* Not onto what the cluster keeps. */
	char *g = obj_path(GROUP("web"));
	ok("reg-set %s Free sz x", g);
	fails(-EPERM, "reg-rename %s Free Name replace", g);
	ok("reg-create-key X");
	fails(-EPERM, "reg-rename-key X Groups replace");
	audit();
	assert_seqs();
}

/* ------------------------------------------------------------------ */
/* Atomicity: rollback of a batch.                                     */

Test(apply, rollback_batch)
{
	cluster();
	ok("group-create empty n2");
	ok("resource-create solo Unused pair");
	ok("reg-create-key Software");
	ok("reg-set Software Keep sz yes");
	ok("network-add net1 10.1.0.0 16 none up");
	ok("type-create Spare");
	struct cfs_object *web = GROUP("web"), *empty = GROUP("empty"), *solo = RES("solo");
	struct cfs_object *top = RES("top");
	char *before = dump();
	struct cfs_txn_mark mark = cfs_txn_mark(&t);
	uint64_t seq = t.next_seq;
	size_t nrecs = t.nrecs;

	ok("group-create g2 n2");
	ok("resource-create r9 \"Generic Service\" g2");
	ok("group-rename web web-renamed");
	ok("resource-group solo g2");
	ok("group-delete empty");
	ok("group-online web-renamed");
	ok("group-move web-renamed n2");
	ok("resource-fail base");
	ok("resource-undepend top mid");
	ok("resource-delete top");
	ok("resource-rename r1 r1-renamed");
	ok("set group pair Description x");
	ok("reg-create-key Software\\New");
	ok("reg-set Software Keep dword 5");
	ok("reg-rename Software Keep Kept");
	ok("reg-security Software 0700 5 5");
	ok("reg-rename-key Software Soft");
	ok("network-delete net1");
	ok("type-delete Spare");
	cr_assert_gt(t.nrecs, nrecs + 20);

	cfs_txn_rollback(&t, mark);

	char *after = dump();
	assert_same_dump(after, before, "state after rollback");
	cr_assert_eq(t.next_seq, seq);
	cr_assert_eq(t.nrecs, nrecs);
	audit();
	/* the indexes point at the same objects as before */
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "web"), web);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "web-renamed"));
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "g2"));
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_RESOURCE, "r9"));
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_GROUP, "empty"), empty);
	cr_assert_eq(cfs_model_by_id(&m, cfs_obj_id(empty)), empty);
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_RESOURCE, "top"), top);
	cr_assert_eq(cfs_model_by_name(&m, CFS_KIND_RESOURCE, "r1"), RES("r1"));
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_RESOURCE, "r1-renamed"));
	cr_assert_eq(cfs_obj_ref(&m, solo, CFS_P_GROUP), GROUP("pair"));
	cr_assert_eq(GROUP("pair")->members.n, 3);
	cr_assert_eq(GROUP("pair")->members.v[2], solo);
	cr_assert_eq(web->members.n, 3);
	cr_assert_str_eq(owner_of("web"), "n1");
	cr_assert_str_eq(GSTATE("web"), "offline");
	cr_assert_not_null(obj(CFS_KIND_NETWORK, "net1"));
	cr_assert_not_null(obj(CFS_KIND_RESTYPE, "Spare"));

	/* the model keeps working, and sequence numbers continue */
	ok("group-online web");
	ok("group-rename web web2");
	ok("group-create web");
	assert_seqs();
	audit();
}

/* A batch that deletes and re-creates the same names rolls back too. */
Test(apply, rollback_reuse_of_names)
{
	cluster();
	char *before = dump();
	struct cfs_group_ptrs {
		struct cfs_object *spare, *r1;
	} p = {GROUP("spare"), RES("r1")};
	struct cfs_txn_mark mark = cfs_txn_mark(&t);
	ok("group-delete spare");
	ok("group-create spare n1");
	ok("resource-delete r1");
	ok("resource-create r1 Unused spare");
	ok("group-rename spare tmp");
	ok("group-rename web spare");
	ok("group-rename tmp web");
	cfs_txn_rollback(&t, mark);
	char *after = dump();
	assert_same_dump(after, before, "state after rollback");
	audit();
	cr_assert_eq(GROUP("spare"), p.spare);
	cr_assert_eq(RES("r1"), p.r1);
	cr_assert_eq(GROUP("pair")->members.v[0], p.r1);
}

/* Marks nest: rolling back to an inner mark keeps what came before it. */
Test(apply, rollback_nested_marks)
{
	cluster();
	struct cfs_txn_mark outer = cfs_txn_mark(&t);
	char *d0 = dump();
	ok("group-create a");
	char *d1 = dump();
	struct cfs_txn_mark inner = cfs_txn_mark(&t);
	ok("group-create b");
	ok("group-delete a");
	cfs_txn_rollback(&t, inner);
	char *d2 = dump();
	assert_same_dump(d2, d1, "state after rollback");
	GROUP("a");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "b"));
	cfs_txn_rollback(&t, outer);
	char *d3 = dump();
	assert_same_dump(d3, d0, "state after rollback");
	audit();
}

/* Applied commands are kept after cfs_txn_forget (a durable commit). */
Test(apply, forget_keeps_changes)
{
	cluster();
	ok("group-delete spare");
	ok("resource-delete r1");
	char *d = dump();
	cfs_txn_forget(&t);
	char *d2 = dump();
	assert_same_dump(d2, d, "state after rollback");
	cr_assert_eq(t.undo.n, 0);
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_GROUP, "spare"));
	audit();
	/* rolling back to a mark from before forget undoes nothing */
	struct cfs_txn_mark mk = {0, t.dirty.n, t.nrecs, t.next_seq};
	cfs_txn_rollback(&t, mk);
	char *d3 = dump();
	assert_same_dump(d3, d, "state after rollback");
}

/* Sequence numbers: one per record, consecutive, across commands; a
 * failed command uses none. */
Test(apply, sequence_numbers)
{
	cfs_txn_free(&t);
	cfs_txn_init(&t, &m, 1000);
	ok("node-add n1 1 10.0.0.1");
	size_t n1 = t.nrecs;
	cr_assert_gt(n1, 3);
	for (size_t i = 0; i < t.nrecs; i++)
		cr_assert_eq(t.recs[i].seq, 1000 + i);
	fails(-EEXIST, "node-add n1 2 10.0.0.2");
	ok("group-create web");
	for (size_t i = 0; i < t.nrecs; i++)
		cr_assert_eq(t.recs[i].seq, 1000 + i);
	cr_assert_eq(t.next_seq, 1000 + t.nrecs);
	/* every record carries the command's time */
	struct cfs_cmd *c;
	cr_assert_eq(cfs_cmd_parse("group-create timed", 18, &c, NULL), 0);
	cfs_cmd_stamp(c, 0, 0);
	c->time_ns = 123456789;
	size_t from = t.nrecs;
	cr_assert_eq(cfs_apply(&t, c, NULL), 0);
	cfs_cmd_free(c);
	for (size_t i = from; i < t.nrecs; i++)
		cr_assert_eq(t.recs[i].time_ns, 123456789);
	cr_assert_eq(GROUP("timed")->key->mtime_ns, 123456789);
}

/* Applying the same commands (same ids and times) to the same state gives
 * the same state: what makes replication possible. */
Test(apply, deterministic)
{
	static const char *const lines[] = {
		"node-add n1 1 10.0.0.1",
		"node-add n2 2 10.0.0.2",
		"type-create T",
		"group-create g n1",
		"resource-create a T g",
		"resource-create b T g",
		"resource-depend b a",
		"group-online g",
		"group-move g n2",
		"reg-create-key K",
		"reg-set K v multi_sz \"x\\ny\"",
		"set group g Description d",
	};
	struct cfs_cmd *cmds[CFS_ARRAY_SIZE(lines)];
	for (size_t i = 0; i < CFS_ARRAY_SIZE(lines); i++) {
		cr_assert_eq(cfs_cmd_parse(lines[i], strlen(lines[i]), &cmds[i], NULL), 0);
		cfs_cmd_stamp(cmds[i], 7, 7);
	}
	char *d[2];
	char *rec[2];
	for (int run_ = 0; run_ < 2; run_++) {
		struct cfs_model m2;
		struct cfs_txn t2;
		cr_assert_eq(cfs_model_init(&m2), 0);
		cfs_txn_init(&t2, &m2, 1);
		for (size_t i = 0; i < CFS_ARRAY_SIZE(lines); i++)
			cr_assert_eq(cfs_apply(&t2, cmds[i], NULL), 0, "%s", lines[i]);
		struct cfs_buf b = {0};
		dump_key(&b, m2.reg.root, 0, true);
		d[run_] = gc(cfs_buf_steal(&b));
		for (size_t i = 0; i < t2.nrecs; i++) {
			cr_assert_eq(cfs_record_to_json(&t2.recs[i], &b), 0);
			cfs_buf_puts(&b, "\n");
		}
		rec[run_] = gc(cfs_buf_steal(&b));
		cfs_txn_free(&t2);
		cfs_model_free(&m2);
	}
	assert_same_dump(d[0], d[1], "state after rollback");
	cr_assert_str_eq(rec[0], rec[1]);
	for (size_t i = 0; i < CFS_ARRAY_SIZE(lines); i++)
		cfs_cmd_free(cmds[i]);
}

/* Rolling back restores the times too (a directory's mtime in fs/ must
 * not move for a change that never happened). */
Test(apply, rollback_restores_mtimes)
{
	cluster();
	ok("reg-create-key K");
	ok("reg-create-key K\\Sub");
	ok("reg-set K v sz x");
	char *before = dump_ex(true);
	struct cfs_txn_mark mark = cfs_txn_mark(&t);
	ok("set group web Description x"); /* new value: the key's time moves */
	ok("reg-set K w sz y");
	ok("reg-rename K v v2");
	ok("reg-delete-key K\\Sub");
	ok("group-delete spare");
	cfs_txn_rollback(&t, mark);
	char *after = dump_ex(true);
	assert_same_dump(after, before, "state after rollback");
}

Test(apply, unknown_object_refs)
{
	cluster();
	fails(-ENOENT, "group-online nope");
	fails(-ENOENT, "group-offline nope");
	fails(-ENOENT, "resource-online nope");
	fails(-ENOENT, "resource-offline nope");
	fails(-ENOENT, "resource-rename nope x");
	fails(-ENOENT, "network-delete nope");
	fails(-ENOENT, "netif-delete nope");
	fails(-ENOENT, "netif-state nope up");
	/* an object of another kind is not found by name or id */
	fails(-ENOENT, "group-online top");
	fails(-ENOENT, "group-online %s", cfs_obj_id(RES("top")));
	fails(-ENOENT, "resource-online web");
}

/* Asking for the state something is already in changes nothing and
 * records nothing, for groups as for resources. */
Test(apply, group_ops_idempotent)
{
	cluster();
	size_t n = t.nrecs;
	ok("group-offline web");
	cr_assert_eq(t.nrecs, n, "offline group taken offline:\n%s", trace(n, ~0u));
	ok("group-online web");
	n = t.nrecs;
	ok("group-online web");
	cr_assert_eq(t.nrecs, n, "online group brought online:\n%s", trace(n, ~0u));
}

/* Evicting a node leaves no reference to it behind: it leaves the
 * possible and preferred owner lists it was on. */
Test(apply, node_evict_cleans_references)
{
	cluster();
	ok("resource-owners r1 n1 n3");
	ok("group-preferred pair n3 n1");
	char *id = gc(strdup(cfs_obj_id(NODE("n3"))));
	ok("node-evict n3");
	cr_assert(!cfs_obj_list_has(RES("r1"), CFS_P_POSSIBLE_OWNERS, id),
		  "r1's possible owners still name the evicted node");
	cr_assert(!cfs_obj_list_has(GROUP("pair"), CFS_P_PREFERRED_OWNERS, id),
		  "pair's preferred owners still name the evicted node");
}

/* ------------------------------------------------------------------ */
/* Failover and quorum (replicated back-ends).                         */

Test(apply, group_failover_to_the_first_preferred_owner_that_is_up)
{
	cluster();
	ok("group-online web");
	ok("group-preferred web n3 n2 n1");
	ok("node-state n1 down");
	fails(-EBUSY, "group-failover spare"); /* its node n2 is up */
	size_t from = t.nrecs;
	ok("group-failover web");
	/* n3 is paused: the next preferred owner, n2, takes it; what ran
	 * comes online there, each through onlinepending. */
	cr_assert_str_eq(owner_of("web"), "n2");
	cr_assert_str_eq(GSTATE("web"), "online");
	cr_assert_str_eq(RSTATE("base"), "online");
	cr_assert_str_eq(RSTATE("top"), "online");
	ASSERT_TRACE(from, CH(CFS_CH_STATE) | CH(CFS_CH_OWNER),
		     "owner group:web n1>n2",
		     "state group:web online>pending",
		     "state resource:mid online>onlinepending",
		     "state resource:base online>onlinepending",
		     "state resource:top online>onlinepending",
		     "state resource:base onlinepending>online",
		     "state resource:mid onlinepending>online",
		     "state resource:top onlinepending>online",
		     "state group:web pending>online");
	assert_nothing_pending();
	audit();
}

Test(apply, group_failover_without_preferences_takes_the_lowest_numbered_node)
{
	cluster();
	ok("group-online pair");
	ok("node-state n1 down");
	ok("group-failover pair");
	cr_assert_str_eq(owner_of("pair"), "n2");
	cr_assert_str_eq(RSTATE("r1"), "online");
	/* An offline group with nowhere to go stays where it was. */
	ok("node-state n2 down");
	ok("group-failover spare");
	/* n1 and n2 down, n3 paused, n4 down: nobody can take it. */
	cr_assert_str_eq(owner_of("spare"), "n2");
	audit();
}

Test(apply, group_failover_with_nowhere_to_go_fails_what_ran)
{
	cluster();
	ok("resource-owners r1 n1");
	ok("group-online pair");
	ok("node-state n1 down");
	size_t from = t.nrecs;
	ok("group-failover pair");
	/* r1 may only run on n1: nobody can take the group. */
	cr_assert_str_eq(owner_of("pair"), "n1");
	cr_assert_str_eq(RSTATE("r1"), "failed");
	cr_assert_str_eq(RSTATE("r2"), "failed");
	cr_assert_str_eq(GSTATE("pair"), "failed");
	ASSERT_TRACE(from, CH(CFS_CH_OWNER), );
	assert_nothing_pending();
}

Test(apply, cluster_quorum)
{
	cluster();
	cr_assert(cfs_model_quorate(&m)); /* derived: n1, n2 of 4 up... */
	ok("cluster-quorum lost");
	cr_assert(!cfs_model_quorate(&m));
	const struct cfs_record *r = last_rec(0, CFS_CH_PROPERTY);
	cr_assert_not_null(r);
	cr_assert_str_eq(r->prop, "Quorum");
	cr_assert_str_eq(r->new_value, "lost");
	size_t n = t.nrecs;
	ok("cluster-quorum lost"); /* no change, no record */
	cr_assert_eq(t.nrecs, n);
	ok("cluster-quorum quorate");
	cr_assert(cfs_model_quorate(&m));
	fails(-EINVAL, "cluster-quorum maybe");
	fails(-EPERM, "reg-set \"\" Quorum sz lost");
}
