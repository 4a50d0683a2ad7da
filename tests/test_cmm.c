/* SPDX-License-Identifier: MIT */
/* Tests of cmm.h: CMM roles, the election and the CMM commands, applied
 * through cfs_apply() exactly as the engine does. Each scenario checks the
 * node records in order ("Role n1 out>master"), which is what the CMM
 * notifications are made from, and failing commands are checked to change
 * nothing (registry dump and records). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cmm.h"

static struct cfs_model m;
static struct cfs_txn t;
static const char *last_why;
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

TestSuite(cmm, .init = setup, .fini = teardown);

static void dump_key(struct cfs_buf *b, const struct cfs_key *k)
{
	cfs_buf_printf(b, "K %s\n", k->name);
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		cfs_buf_printf(b, " V %s %u ", v->name, v->type);
		for (size_t j = 0; j < v->len; j++)
			cfs_buf_printf(b, "%02x", v->data[j]);
		cfs_buf_puts(b, "\n");
	}
	for (size_t i = 0; i < k->subkeys.n; i++)
		dump_key(b, k->subkeys.v[i]);
}

static char *dump(void)
{
	struct cfs_buf b = {0};
	dump_key(&b, m.reg.root);
	return gc(cfs_buf_steal(&b));
}

static int run(const char *fmt, va_list ap)
{
	char *line;
	cr_assert_geq(vasprintf(&line, fmt, ap), 0);
	gc(line);
	struct cfs_cmd *c;
	const char *why = NULL;
	cr_assert_eq(cfs_cmd_parse(line, strlen(line), &c, &why), 0, "[%s]: %s", line, why);
	cfs_cmd_stamp(c, 0, 0);
	last_why = NULL;
	int r = cfs_apply(&t, c, &last_why);
	cfs_cmd_free(c);
	return r;
}

__attribute__((format(printf, 1, 2))) static void ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = run(fmt, ap);
	va_end(ap);
	cr_assert_eq(r, 0, "[%s] failed: %d (%s)", fmt, r, last_why ? last_why : "-");
}

/* Must fail with err, give a reason, and change nothing. */
__attribute__((format(printf, 2, 3))) static void fails(int err, const char *fmt, ...)
{
	char *before = dump();
	size_t nrecs = t.nrecs;
	va_list ap;
	va_start(ap, fmt);
	int r = run(fmt, ap);
	va_end(ap);
	cr_assert_eq(r, err, "[%s]: got %d (%s), want %d", fmt, r, last_why ? last_why : "-", err);
	cr_assert_not_null(last_why);
	cr_assert_str_eq(dump(), before, "[%s] changed the registry", fmt);
	cr_assert_eq(t.nrecs, nrecs, "[%s] left records", fmt);
}

/* Node property records since from: "Role n1 out>master", one per line. */
static char *trace(size_t from)
{
	struct cfs_buf b = {0};
	for (size_t i = from; i < t.nrecs; i++) {
		const struct cfs_record *r = &t.recs[i];
		if (r->change != CFS_CH_PROPERTY)
			continue;
		cfs_buf_printf(&b, "%s %s %s>%s\n", r->prop, r->obj_name ? r->obj_name : "-",
			       r->old_value ? r->old_value : "-", r->new_value ? r->new_value : "-");
	}
	return gc(b.data ? cfs_buf_steal(&b) : strdup(""));
}

static void assert_trace(size_t from, const char *const *want, size_t n)
{
	struct cfs_buf w = {0};
	for (size_t i = 0; i < n; i++)
		cfs_buf_printf(&w, "%s\n", want[i]);
	char *expect = gc(w.data ? cfs_buf_steal(&w) : strdup(""));
	char *got = trace(from);
	cr_assert_str_eq(got, expect, "records:\n%s\nwant:\n%s", got, expect);
}

#define TRACE(from, ...)                                                  \
	do {                                                              \
		static const char *const want_[] = {__VA_ARGS__};         \
		assert_trace(from, want_, CFS_ARRAY_SIZE(want_));         \
	} while (0)

static struct cfs_object *node(const char *name)
{
	struct cfs_object *o = cfs_model_by_name(&m, CFS_KIND_NODE, name);
	cr_assert_not_null(o, "no node %s", name);
	return o;
}

static const char *file(const char *name, const char *f)
{
	struct cfs_buf b = {0};
	cr_assert_eq(cfs_cmm_render(node(name), f, &b), 0, "file %s", f);
	return gc(cfs_buf_steal(&b));
}

static const char *role(const char *name)
{
	return cfs_cmm_role_name(cfs_cmm_role(node(name)));
}

/* Three eligible nodes, all down, then up in order: n1 master, n2
 * vice-master, n3 in. */
static void three(void)
{
	ok("node-add n1 1 10.0.0.1 down");
	ok("node-add n2 2 10.0.0.2 down");
	ok("node-add n3 3 10.0.0.3 down");
	ok("node-state n1 up");
	ok("node-state n2 up");
	ok("node-state n3 up");
	cr_assert_str_eq(role("n1"), "master");
	cr_assert_str_eq(role("n2"), "vicemaster");
	cr_assert_str_eq(role("n3"), "in");
}

Test(cmm, single_node_is_master)
{
	size_t from = t.nrecs;
	ok("node-add n1 1 10.0.0.1");
	TRACE(from, "Incarnation n1 0>1", "Role n1 out>master");
	cr_assert_str_eq(file("n1", "role"), "master\n");
	cr_assert_str_eq(file("n1", "incarnation"), "1\n");
	cr_assert_str_eq(file("n1", "eligible"), "yes\n");
	cr_assert_str_eq(file("n1", "qualification"), "qualified\n");
	cr_assert_str_eq(file("n1", "synchro"), "ready\n");
	cr_assert_str_eq(file("n1", "frozen"), "no\n");
	cr_assert_str_eq(file("n1", "excluded"), "no\n");
	cr_assert_str_eq(file("n1", "swload"), "\n");
	cr_assert_str_eq(file("n1", "domain"), "0\n");
	struct cfs_buf b = {0};
	cr_assert_eq(cfs_cmm_render(node("n1"), "state", &b), -ENOENT);
	cfs_buf_free(&b);
	/* The registry holds the values the election wrote. */
	cr_assert_eq(cfs_key_get_dword(node("n1")->key, CFS_P_CMM_ROLE, 99), CFS_CMM_MASTER);
}

Test(cmm, down_node_is_out)
{
	size_t from = t.nrecs;
	ok("node-add n1 1 10.0.0.1 down");
	TRACE(from, );
	cr_assert_str_eq(role("n1"), "out");
	ok("node-add n2 2 10.0.0.2 joining");
	cr_assert_str_eq(role("n2"), "out");
}

Test(cmm, cluster_start)
{
	ok("node-add n1 1 10.0.0.1 down");
	ok("node-add n2 2 10.0.0.2 down");
	ok("node-add n3 3 10.0.0.3 down");
	size_t from = t.nrecs;
	ok("node-state n1 up");
	TRACE(from, "Incarnation n1 0>1", "Role n1 out>master");
	from = t.nrecs;
	ok("node-state n2 up");
	TRACE(from, "Incarnation n2 0>1", "Role n2 out>vicemaster");
	from = t.nrecs;
	ok("node-state n3 up");
	TRACE(from, "Incarnation n3 0>1", "Role n3 out>in");
	/* Pausing keeps membership and roles. */
	from = t.nrecs;
	ok("node-state n1 pause");
	TRACE(from, );
	cr_assert_str_eq(role("n1"), "master");
}

Test(cmm, current_master_keeps_its_role)
{
	ok("node-add n3 3 10.0.0.3 down");
	ok("node-add n1 1 10.0.0.1 down");
	ok("node-add n2 2 10.0.0.2 down");
	ok("node-state n3 up");
	ok("node-state n2 up");
	ok("node-state n1 up");
	cr_assert_str_eq(role("n3"), "master");
	cr_assert_str_eq(role("n2"), "vicemaster");
	cr_assert_str_eq(role("n1"), "in");
}

Test(cmm, failover_on_master_failure)
{
	three();
	size_t from = t.nrecs;
	ok("node-state n1 down");
	TRACE(from, "Role n1 master>out", "Role n2 vicemaster>master", "Role n3 in>vicemaster");
	/* It comes back as a plain member with a new incarnation. */
	from = t.nrecs;
	ok("node-state n1 up");
	TRACE(from, "Incarnation n1 1>2", "Role n1 out>in");
}

Test(cmm, vicemaster_failure)
{
	three();
	size_t from = t.nrecs;
	ok("node-state n2 down");
	TRACE(from, "Role n2 vicemaster>out", "Role n3 in>vicemaster");
}

Test(cmm, desynchronized_vicemaster_cannot_take_over)
{
	three();
	ok("node-cmm n2 synchro needed");
	cr_assert_str_eq(role("n2"), "vicemaster"); /* it may stay vice-master */
	size_t from = t.nrecs;
	ok("node-state n1 down");
	TRACE(from, "Role n1 master>out", "Role n3 in>master");
	cr_assert_str_eq(role("n2"), "vicemaster");
}

Test(cmm, switchover)
{
	three();
	size_t from = t.nrecs;
	ok("cmm-release n1");
	TRACE(from, "Role n1 master>in", "Role n2 vicemaster>master", "Role n1 in>vicemaster");
	cr_assert_str_eq(role("n3"), "in");
	/* Only the master may release. */
	fails(-EPERM, "cmm-release n1");
	fails(-EPERM, "cmm-release n3");
	fails(-ENOENT, "cmm-release nX");
	ok("node-state n3 down");
	fails(-EHOSTDOWN, "cmm-release n3");
}

Test(cmm, switchover_needs_a_vicemaster)
{
	ok("node-add n1 1 10.0.0.1");
	fails(-ECANCELED, "cmm-release n1");
	ok("node-add n2 2 10.0.0.2");
	ok("node-cmm n2 synchro needed");
	fails(-ECANCELED, "cmm-release n1");
	ok("node-cmm n2 synchro ready");
	ok("cmm-release n1");
	cr_assert_str_eq(role("n2"), "master");
	cr_assert_str_eq(role("n1"), "vicemaster");
}

Test(cmm, disqualifying_the_master_fails_over)
{
	three();
	size_t from = t.nrecs;
	ok("cmm-setqualif n1 n1 disqualified");
	TRACE(from, "Disqualified n1 qualified>disqualified", "Role n1 master>in",
	      "Role n2 vicemaster>master", "Role n3 in>vicemaster");
	cr_assert_str_eq(file("n1", "qualification"), "disqualified\n");
	/* Requalified, it becomes nothing more than a member: roles stay. */
	from = t.nrecs;
	ok("cmm-setqualif n2 n1 qualified");
	TRACE(from, "Disqualified n1 disqualified>qualified");
}

Test(cmm, disqualifying_the_vicemaster)
{
	three();
	size_t from = t.nrecs;
	ok("cmm-setqualif n1 n2 disqualified");
	TRACE(from, "Disqualified n2 qualified>disqualified", "Role n2 vicemaster>in",
	      "Role n3 in>vicemaster");
	ok("cmm-setqualif n1 n2 synchro-needed");
	cr_assert_str_eq(file("n2", "synchro"), "needed\n");
	ok("cmm-setqualif n1 n2 synchro-ready");
	cr_assert_str_eq(file("n2", "synchro"), "ready\n");
}

Test(cmm, setqualif_errors)
{
	three();
	ok("node-cmm n3 eligible no");
	fails(-EPERM, "cmm-setqualif n2 n3 disqualified");  /* caller not master */
	fails(-EINVAL, "cmm-setqualif n1 n3 disqualified"); /* target not eligible */
	fails(-EINVAL, "cmm-setqualif n1 n2 sideways");
	fails(-ENOENT, "cmm-setqualif n1 nX qualified");
	ok("node-state n3 down");
	ok("cmm-setqualif n1 n3 disqualified"); /* out of the cluster: allowed */
	fails(-EHOSTDOWN, "cmm-setqualif n3 n1 disqualified");
}

Test(cmm, seizequalif)
{
	three();
	fails(-EPERM, "cmm-seize n1"); /* there is a master */
	ok("cmm-setqualif n1 n3 disqualified");
	ok("cmm-setqualif n1 n2 disqualified");
	ok("cmm-setqualif n1 n1 disqualified");
	cr_assert_str_eq(role("n1"), "in");
	cr_assert_str_eq(role("n2"), "in");
	cr_assert_str_eq(role("n3"), "in");
	ok("node-add n4 4 10.0.0.4 down");
	ok("node-cmm n4 eligible no");
	ok("node-state n4 up");
	fails(-EPERM, "cmm-seize n4"); /* not eligible */
	ok("node-cmm n3 synchro needed");
	fails(-ECANCELED, "cmm-seize n3"); /* still cannot be master */
	size_t from = t.nrecs;
	ok("cmm-seize n2");
	TRACE(from, "Disqualified n2 disqualified>qualified", "Role n2 in>master");
	cr_assert_str_eq(role("n2"), "master");
	fails(-EPERM, "cmm-seize n1"); /* a master again */
}

Test(cmm, seize_refused_while_a_member_is_qualified)
{
	ok("node-add n1 1 10.0.0.1");
	ok("node-add n2 2 10.0.0.2");
	ok("node-cmm n1 frozen yes");
	ok("cmm-setqualif n1 n2 disqualified");
	ok("cmm-setqualif n1 n1 disqualified");
	cr_assert_str_eq(role("n1"), "in");
	ok("node-cmm n2 qualification qualified"); /* n2 takes over (not frozen) */
	cr_assert_str_eq(role("n2"), "master");
	ok("node-cmm n2 qualification disqualified");
	ok("node-cmm n1 qualification qualified"); /* n1 frozen: no master */
	cr_assert_str_eq(role("n1"), "in");
	fails(-EPERM, "cmm-seize n2"); /* n1 is qualified */
}

Test(cmm, membership_remove)
{
	three();
	size_t from = t.nrecs;
	ok("cmm-remove n2");
	TRACE(from, "Role n2 vicemaster>out", "Role n3 in>vicemaster");
	cr_assert_eq(cfs_obj_state(node("n2")), CFS_NODE_DOWN);
	fails(-EHOSTDOWN, "cmm-remove n2");
	from = t.nrecs;
	ok("cmm-remove n1"); /* the master: failover */
	TRACE(from, "Role n1 master>out", "Role n3 vicemaster>master");
	fails(-ECANCELED, "cmm-remove n3"); /* no one can take over */
}

Test(cmm, excluded_ineligible_and_frozen)
{
	three();
	size_t from = t.nrecs;
	ok("node-cmm n2 excluded yes");
	TRACE(from, "Excluded n2 no>yes", "Role n2 vicemaster>out", "Role n3 in>vicemaster");
	ok("node-add n4 4 10.0.0.4");
	ok("node-cmm n4 frozen yes");
	ok("node-cmm n3 eligible no");
	/* n3 loses the vice-mastership; frozen n4 is not elected. */
	cr_assert_str_eq(role("n3"), "in");
	cr_assert_str_eq(role("n4"), "in");
	from = t.nrecs;
	ok("node-cmm n4 frozen no");
	TRACE(from, "Frozen n4 yes>no", "Role n4 in>vicemaster");
	/* Frozen keeps a role it has. */
	ok("node-cmm n4 frozen yes");
	cr_assert_str_eq(role("n4"), "vicemaster");
	from = t.nrecs;
	ok("node-cmm n2 excluded no");
	TRACE(from, "Excluded n2 yes>no", "Incarnation n2 1>2", "Role n2 out>in");
}

Test(cmm, evicting_the_master)
{
	ok("node-add n1 1 10.0.0.1");
	ok("node-add n2 2 10.0.0.2");
	size_t from = t.nrecs;
	ok("node-evict n1");
	TRACE(from, "Role n1 master>out", "Role n2 vicemaster>master");
	cr_assert_null(cfs_model_by_name(&m, CFS_KIND_NODE, "n1"));
}

Test(cmm, node_cmm_attributes)
{
	ok("node-add n1 1 10.0.0.1");
	size_t from = t.nrecs;
	ok("node-cmm n1 swload \"SWL 4.2\"");
	ok("node-cmm n1 domain 17");
	ok("node-cmm n1 domain 17"); /* same: no record */
	TRACE(from, "SoftwareLoad n1 >SWL 4.2", "DomainId n1 0>17");
	cr_assert_str_eq(file("n1", "swload"), "SWL 4.2\n");
	cr_assert_str_eq(file("n1", "domain"), "17\n");
	ok("node-cmm n1 frozen YES");
	cr_assert_str_eq(file("n1", "frozen"), "yes\n");
	fails(-EINVAL, "node-cmm n1 colour blue");
	fails(-EINVAL, "node-cmm n1 frozen maybe");
	fails(-EINVAL, "node-cmm n1 domain -1");
	fails(-EINVAL, "node-cmm n1 domain 4294967296");
	fails(-EPERM, "node-cmm n1 role vicemaster");
	fails(-EPERM, "node-cmm n1 incarnation 5");
	fails(-ENAMETOOLONG, "node-cmm n1 swload 0123456789abcdef0123456789abcdef");
	fails(-EINVAL, "node-cmm n1 swload \"a\\nb\"");
	fails(-ENOENT, "node-cmm nX frozen yes");
	ok("node-cmm n1 swload 0123456789abcdef0123456789abcde"); /* 31 bytes */
}

Test(cmm, values_are_managed)
{
	ok("node-add n1 1 10.0.0.1");
	cr_assert(cfs_prop_is_managed(CFS_KIND_NODE, "Role"));
	cr_assert(cfs_prop_is_managed(CFS_KIND_NODE, "MasterEligible"));
	cr_assert(cfs_prop_is_managed(CFS_KIND_NODE, "Incarnation"));
	cr_assert(cfs_prop_is_managed(CFS_KIND_CLUSTER, "CmmStatus"));
	cr_assert_not(cfs_prop_is_managed(CFS_KIND_NODE, "Colour"));
	/* The model knows the CMM values itself (model.h): each CMM file's
	 * value is one of them. */
	static const char *const files[] = {"role", "eligible", "qualification", "synchro",
					    "frozen", "excluded", "incarnation", "swload",
					    "domain"};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(files); i++) {
		const char *prop = cfs_cmm_file_prop(files[i]);
		cr_assert_not_null(prop, "%s", files[i]);
		cr_assert(cfs_prop_is_managed(CFS_KIND_NODE, prop), "%s", prop);
	}
	cr_assert_null(cfs_cmm_file_prop("colour"));
	cr_assert(cfs_prop_is_managed(CFS_KIND_CLUSTER, CFS_P_CMM_LAST_MASTER));
	fails(-EPERM, "set node n1 Role master");
	fails(-EPERM, "set node n1 Disqualified 1");
}

Test(cmm, status)
{
	ok("cluster-rename c1");
	size_t from = t.nrecs;
	ok("cmm-status stale");
	ok("cmm-status stale");
	ok("cmm-status valid");
	ok("cmm-status invalid");
	struct cfs_buf b = {0};
	for (size_t i = from; i < t.nrecs; i++)
		if (t.recs[i].kind == CFS_KIND_CLUSTER)
			cfs_buf_printf(&b, "%s %s %s>%s\n", cfs_change_name(t.recs[i].change),
				       t.recs[i].prop, t.recs[i].old_value, t.recs[i].new_value);
	char *got = gc(cfs_buf_steal(&b));
	cr_assert_str_eq(got, "property CmmStatus valid>stale\nproperty CmmStatus stale>valid\n"
			      "property CmmStatus valid>invalid\n");
	fails(-EINVAL, "cmm-status broken");
}

Test(cmm, elect_is_idempotent)
{
	three();
	size_t from = t.nrecs;
	ok("cmm-elect");
	cr_assert_eq(t.nrecs, from);
}

Test(cmm, elect_gives_roles_to_a_cluster_made_before_them)
{
	/* A node as an older clusterfs stored it: no CMM values at all. */
	ok("node-add n1 1 10.0.0.1");
	struct cfs_key *k = node("n1")->key;
	cr_assert_eq(cfs_txn_del_value(&t, cfs_key_value(k, CFS_P_CMM_ROLE)), 0);
	cr_assert_eq(cfs_txn_del_value(&t, cfs_key_value(k, CFS_P_CMM_INCARNATION)), 0);
	cr_assert_str_eq(role("n1"), "out");
	size_t from = t.nrecs;
	ok("cmm-elect"); /* what the embedded back-end submits at start */
	TRACE(from, "Incarnation n1 0>1", "Role n1 out>master");
}

Test(cmm, last_master_may_return_desynchronized)
{
	ok("node-add n1 1 10.0.0.1");
	ok("node-add n2 2 10.0.0.2 down");
	ok("node-cmm n2 synchro needed");
	ok("node-cmm n1 synchro needed"); /* the master keeps its role */
	cr_assert_str_eq(role("n1"), "master");
	ok("node-state n1 down");
	size_t from = t.nrecs;
	ok("node-state n2 up"); /* desynchronized, never master: no master */
	TRACE(from, "Incarnation n2 0>1", "Role n2 out>in");
	from = t.nrecs;
	ok("node-state n1 up"); /* the last master holds the newest data */
	TRACE(from, "Incarnation n1 1>2", "Role n1 out>master", "Role n2 in>vicemaster");
	cr_assert_str_eq(cfs_key_get_sz(m.reg.root, CFS_P_CMM_LAST_MASTER, NULL),
			 cfs_obj_id(node("n1")));
	fails(-EPERM, "reg-set \"\" CmmLastMaster sz y");
	fails(-EPERM, "reg-set \"\" CmmStatus sz stale");
}
