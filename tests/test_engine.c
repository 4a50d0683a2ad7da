/* SPDX-License-Identifier: MIT */
/* Tests of engine.h with the embedded back-end: first start, atomic
 * batches, durability across a restart, commit listeners and concurrent
 * submitters. Every test gets its own state directory (mkdtemp), removed
 * by the fixture whatever the outcome. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_tmp.h"
#include "engine.h"
#include "value.h"

static char dir[64];
static struct cfs_engine *eng;
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
	snprintf(dir, sizeof(dir), "/tmp/cfs-engine-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	cfs_engine_free(eng);
	eng = NULL;
	for (size_t i = 0; i < garbage.n; i++)
		free(garbage.v[i]);
	cfs_vec_free(&garbage);
	if (dir[0])
		cfs_test_rm_rf(dir);
	dir[0] = '\0';
}

TestSuite(engine, .init = setup, .fini = teardown, .timeout = 600);

static void open_engine_gathering(bool backend, unsigned gather_us)
{
	struct cfs_engine_config cfg = {
		.state_dir = dir,
		.cluster_name = "testcl",
		.backend = &cfs_backend_local,
		.gather_us = gather_us,
	};
	const char *why = NULL;
	int r = cfs_engine_open(&cfg, &eng, &why);
	cr_assert_eq(r, 0, "open %s: %d (%s)", dir, r, why ? why : "-");
	if (backend) {
		r = cfs_engine_start_backend(eng);
		cr_assert_eq(r, 0, "start back-end: %d", r);
	}
}

static void open_engine(bool backend)
{
	open_engine_gathering(backend, 0);
}

static void close_engine(void)
{
	cfs_engine_free(eng);
	eng = NULL;
}

static void run_ok(const char *text)
{
	const char *why = NULL;
	int r = cfs_engine_run_text(eng, text, &why);
	cr_assert_eq(r, 0, "[%s]: %d (%s)", text, r, why ? why : "-");
}

/* ------------------------------------------------------------------ */
/* Dumps (under the read lock).                                        */

static void dump_key(struct cfs_buf *b, const struct cfs_key *k, int depth, bool mtimes)
{
	cfs_buf_printf(b, "%*sK#%llu \"%s\" mode=%04o uid=%u gid=%u", depth * 2, "",
		       (unsigned long long)k->id, k->name, k->mode, k->uid, k->gid);
	if (mtimes)
		cfs_buf_printf(b, " mtime=%lld", (long long)k->mtime_ns);
	cfs_buf_puts(b, "\n");
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		cfs_buf_printf(b, "%*sV#%llu \"%s\" type=%u flags=%x sec=%04o/%u/%u len=%zu data=",
			       depth * 2 + 2, "", (unsigned long long)v->id, v->name, v->type, v->flags,
			       v->mode, v->uid, v->gid, v->len);
		for (size_t j = 0; j < v->len; j++)
			cfs_buf_printf(b, "%02x", v->data[j]);
		if (mtimes)
			cfs_buf_printf(b, " mtime=%lld", (long long)v->mtime_ns);
		cfs_buf_puts(b, "\n");
	}
	for (size_t i = 0; i < k->subkeys.n; i++)
		dump_key(b, k->subkeys.v[i], depth + 1, mtimes);
}

static char *dump_ex(bool mtimes)
{
	struct cfs_buf b = {0};
	cfs_engine_rdlock(eng);
	dump_key(&b, eng->model.reg.root, 0, mtimes);
	cfs_engine_unlock(eng);
	return gc(cfs_buf_steal(&b));
}

static char *dump(void)
{
	return dump_ex(false);
}

/* Compares two dumps line by line and reports how many lines differ,
 * with the first few of them. */
static void assert_same_dump(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want) == 0)
		return;
	struct cfs_buf msg = {0};
	size_t line = 0, diffs = 0;
	const char *g = got, *w = want;
	while (*g || *w) {
		line++;
		int gl = (int)strcspn(g, "\n"), wl = (int)strcspn(w, "\n");
		if (gl != wl || memcmp(g, w, (size_t)gl) != 0) {
			if (++diffs <= 4)
				cfs_buf_printf(&msg, "\n line %zu\n  got:  %.*s\n  want: %.*s", line,
					       gl, g, wl, w);
		}
		g += gl + (g[gl] ? 1 : 0);
		w += wl + (w[wl] ? 1 : 0);
	}
	char *m = gc(cfs_buf_steal(&msg));
	cr_assert_fail("%s: %zu of %zu registry lines differ:%s", what, diffs, line, m);
}

static struct cfs_object *find(enum cfs_kind kind, const char *name)
{
	cfs_engine_rdlock(eng);
	struct cfs_object *o = cfs_model_by_name(&eng->model, kind, name);
	cfs_engine_unlock(eng);
	return o;
}

static const char *state_of(enum cfs_kind kind, const char *name)
{
	cfs_engine_rdlock(eng);
	struct cfs_object *o = cfs_model_by_name(&eng->model, kind, name);
	const char *s = o ? cfs_state_name(kind, cfs_obj_state(o)) : "(missing)";
	cfs_engine_unlock(eng);
	return s;
}

static uint64_t next_seq(void)
{
	return cfs_journal_next_seq(&eng->journal);
}

/* ------------------------------------------------------------------ */
/* Listener: copies every record it gets, and notes each call.         */

#define MAXCALLS 8192
static struct {
	pthread_mutex_t lock;
	struct cfs_record *recs;
	size_t n, cap;
	size_t call_start[MAXCALLS]; /* index of the first record of each call */
	size_t calls;
	const void *origin_seen[MAXCALLS];
} heard = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void listener(void *ud, const struct cfs_record *recs, size_t n)
{
	(void)ud;
	pthread_mutex_lock(&heard.lock);
	if (heard.n + n > heard.cap) {
		heard.cap = (heard.n + n) * 2;
		heard.recs = realloc(heard.recs, heard.cap * sizeof(*heard.recs));
	}
	if (heard.calls < MAXCALLS) {
		heard.call_start[heard.calls] = heard.n;
		heard.origin_seen[heard.calls] = n ? recs[0].origin : NULL;
	}
	heard.calls++;
	for (size_t i = 0; i < n; i++)
		cfs_record_copy(&heard.recs[heard.n++], &recs[i]);
	pthread_mutex_unlock(&heard.lock);
}

static void heard_reset(void)
{
	pthread_mutex_lock(&heard.lock);
	for (size_t i = 0; i < heard.n; i++)
		cfs_record_clear(&heard.recs[i]);
	free(heard.recs);
	heard.recs = NULL;
	heard.n = heard.cap = heard.calls = 0;
	pthread_mutex_unlock(&heard.lock);
}

/* ------------------------------------------------------------------ */

Test(engine, first_start)
{
	open_engine(true);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (*p == '/')
			*p = '-';
	cfs_engine_rdlock(eng);
	struct cfs_model *m = &eng->model;
	cr_assert_str_eq(cfs_model_cluster_name(m), "testcl");
	struct cfs_value *cid = cfs_key_value(m->reg.root, CFS_P_CLUSTER_ID);
	cr_assert_not_null(cid);
	cr_assert_eq(cid->len, CFS_ID_LEN);

	/* node 1, this host, up */
	cr_assert_eq(cfs_model_count(m, CFS_KIND_NODE), 1);
	struct cfs_object *node = cfs_model_by_name(m, CFS_KIND_NODE, host);
	cr_assert_not_null(node, "no node named after the host \"%s\"", host);
	cr_assert_eq(cfs_key_get_dword(node->key, CFS_P_NODE_NUMBER, 0), 1);
	cr_assert_eq(cfs_obj_state(node), CFS_NODE_UP);
	cr_assert_not_null(eng->local_node_id);
	cr_assert_str_eq(eng->local_node_id, cfs_obj_id(node));

	/* the standard resource types */
	static const char *const types[] = {"Generic Application", "Generic Script",
					    "Generic Service",	   "IP Address",
					    "Network Name",	   "Physical Disk",
					    "File Share"};
	cr_assert_eq(cfs_model_count(m, CFS_KIND_RESTYPE), CFS_ARRAY_SIZE(types));
	for (size_t i = 0; i < CFS_ARRAY_SIZE(types); i++)
		cr_assert_not_null(cfs_model_by_name(m, CFS_KIND_RESTYPE, types[i]), "type %s",
				   types[i]);

	/* the core group, online on this node, and available storage */
	struct cfs_object *core = cfs_model_by_name(m, CFS_KIND_GROUP, "Cluster Group");
	struct cfs_object *storage = cfs_model_by_name(m, CFS_KIND_GROUP, "Available Storage");
	cr_assert_not_null(core);
	cr_assert_not_null(storage);
	cr_assert_eq(cfs_model_count(m, CFS_KIND_GROUP), 2);
	cr_assert_eq(cfs_obj_state(core), CFS_GROUP_ONLINE);
	cr_assert_neq(cfs_obj_state(storage), CFS_GROUP_PENDING);
	cr_assert_eq(cfs_obj_owner(m, core), node);
	cr_assert_eq(cfs_obj_owner(m, storage), node);
	cr_assert_eq(cfs_key_get_dword(core->key, CFS_P_GROUP_TYPE, 0), 1);
	cr_assert_eq(cfs_key_get_dword(storage->key, CFS_P_GROUP_TYPE, 0), 2);
	cr_assert_eq(core->members.n, 2);
	struct cfs_object *cname = cfs_model_by_name(m, CFS_KIND_RESOURCE, "Cluster Name");
	struct cfs_object *cip = cfs_model_by_name(m, CFS_KIND_RESOURCE, "Cluster IP Address");
	cr_assert_not_null(cname);
	cr_assert_not_null(cip);
	cr_assert_eq(cfs_obj_state(cname), CFS_RES_ONLINE);
	cr_assert_eq(cfs_obj_state(cip), CFS_RES_ONLINE);
	cr_assert(cfs_obj_list_has(cname, CFS_P_DEPENDENCIES, cfs_obj_id(cip)));
	cr_assert_eq(cfs_obj_ref(m, cname, CFS_P_TYPE),
		     cfs_model_by_name(m, CFS_KIND_RESTYPE, "Network Name"));

	/* the loopback interface */
	char ifname[300];
	snprintf(ifname, sizeof(ifname), "%s - lo", host);
	struct cfs_object *lo = cfs_model_by_name(m, CFS_KIND_NETINTERFACE, ifname);
	cr_assert_not_null(lo, "no network interface \"%s\"", ifname);
	cr_assert_eq(cfs_obj_ref(m, lo, CFS_P_NODE), node);
	cr_assert_str_eq(cfs_key_get_sz(lo->key, CFS_P_ADAPTER, NULL), "lo");
	cr_assert_eq(cfs_obj_state(lo), CFS_NETIF_UP);
	struct cfs_object *net = cfs_obj_ref(m, lo, CFS_P_NETWORK);
	cr_assert_not_null(net);
	cr_assert_eq(net->kind, CFS_KIND_NETWORK);
	cr_assert_eq(cfs_key_get_dword(net->key, CFS_P_ROLE, 99), CFS_ROLE_NONE);
	cr_assert_eq(cfs_obj_state(net), CFS_NET_UP);
	cr_assert_eq(eng->applied_seq, cfs_journal_next_seq(&eng->journal));
	cfs_engine_unlock(eng);
}

/* A restart of an unchanged host changes nothing. */
Test(engine, restart_is_quiet)
{
	open_engine(true);
	char *before = dump();
	uint64_t seq = next_seq();
	close_engine();
	open_engine(true);
	char *after = dump();
	assert_same_dump(after, before, "after a restart");
	cr_assert_eq(next_seq(), seq, "a restart made %llu records",
		     (unsigned long long)(next_seq() - seq));
}

Test(engine, batch_is_atomic)
{
	open_engine(true);
	char *before = dump();
	uint64_t seq = next_seq();
	const char *why = NULL;
	int r = cfs_engine_run_text(eng,
				    "group-create a\n"
				    "group-create b\n"
				    "resource-create r1 \"Generic Service\" a\n"
				    "reg-create-key Software\n"
				    "set group \"Cluster Group\" Description x\n"
				    "group-delete nosuch\n",
				    &why);
	cr_assert_eq(r, -ENOENT, "got %d (%s)", r, why ? why : "-");
	cr_assert_not_null(why);
	char *after = dump();
	assert_same_dump(after, before, "after a failed batch");
	cr_assert_eq(next_seq(), seq);
	cr_assert_null(find(CFS_KIND_GROUP, "a"));
	cr_assert_null(find(CFS_KIND_GROUP, "b"));
	cr_assert_null(find(CFS_KIND_RESOURCE, "r1"));

	/* a syntax error anywhere: nothing runs */
	r = cfs_engine_run_text(eng, "group-create c\ngroup-create \"d\n", &why);
	cr_assert_eq(r, -EINVAL);
	r = cfs_engine_run_text(eng, "group-create c\nfrobnicate\n", &why);
	cr_assert_eq(r, -EINVAL);
	cr_assert_null(find(CFS_KIND_GROUP, "c"));
	after = dump();
	assert_same_dump(after, before, "after a batch that does not parse");
	cr_assert_eq(next_seq(), seq);

	/* nothing of the failed batch survives a restart either */
	close_engine();
	open_engine(false);
	after = dump();
	assert_same_dump(after, before, "failed batches after a restart");
	cr_assert_eq(next_seq(), seq);

	/* and a good batch goes through as a whole; blank lines are fine */
	run_ok("group-create a\n\ngroup-create b\nresource-create r1 \"Generic Service\" a");
	cr_assert_not_null(find(CFS_KIND_GROUP, "a"));
	cr_assert_not_null(find(CFS_KIND_RESOURCE, "r1"));
}

struct outcome {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	int err[4];
	const char *why[4];
	int line[4];
};

struct outcome_slot {
	struct outcome *o;
	int idx;
};

static void on_done(void *ud, int err, const char *why, int line)
{
	struct outcome_slot *slot = ud;
	struct outcome *o = slot->o;
	int i = slot->idx;
	pthread_mutex_lock(&o->lock);
	o->err[i] = err;
	o->why[i] = why;
	o->line[i] = line;
	o->done++;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

static struct cfs_cmd **parse_lines(const char *const *lines, size_t n)
{
	struct cfs_cmd **v = calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(cfs_cmd_parse(lines[i], strlen(lines[i]), &v[i], NULL), 0, "%s",
			     lines[i]);
	return v;
}

/* Batches queued together are still separate: a failing one rolls back
 * alone, and each completion reports its own outcome and failing line. */
Test(engine, batches_are_independent)
{
	open_engine(true);
	struct outcome o = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct outcome_slot ud[3] = {{&o, 0}, {&o, 1}, {&o, 2}};
	static const char *const b0[] = {"group-create x0", "group-create x1"};
	static const char *const b1[] = {"group-create y0", "group-create y1", "group-create y0",
					 "group-create y2"};
	static const char *const b2[] = {"group-create z0"};
	cr_assert_eq(cfs_engine_submit(eng, parse_lines(b0, 2), 2, 0, 0, on_done, &ud[0]), 0);
	cr_assert_eq(cfs_engine_submit(eng, parse_lines(b1, 4), 4, 0, 0, on_done, &ud[1]), 0);
	cr_assert_eq(cfs_engine_submit(eng, parse_lines(b2, 1), 1, 0, 0, on_done, &ud[2]), 0);
	pthread_mutex_lock(&o.lock);
	while (o.done < 3)
		pthread_cond_wait(&o.cond, &o.lock);
	pthread_mutex_unlock(&o.lock);
	cr_assert_eq(o.err[0], 0);
	cr_assert_eq(o.line[0], -1);
	cr_assert_eq(o.err[1], -EEXIST);
	cr_assert_eq(o.line[1], 2, "the third command failed");
	cr_assert_not_null(o.why[1]);
	cr_assert_eq(o.err[2], 0);
	cr_assert_not_null(find(CFS_KIND_GROUP, "x1"));
	cr_assert_null(find(CFS_KIND_GROUP, "y0"));
	cr_assert_null(find(CFS_KIND_GROUP, "y1"));
	cr_assert_not_null(find(CFS_KIND_GROUP, "z0"));
	close_engine();
	open_engine(false);
	cr_assert_not_null(find(CFS_KIND_GROUP, "x0"));
	cr_assert_not_null(find(CFS_KIND_GROUP, "z0"));
	cr_assert_null(find(CFS_KIND_GROUP, "y1"));
}

Test(engine, survives_restart)
{
	open_engine(true);
	run_ok("group-create web\n"
	       "resource-create ip \"IP Address\" web\n"
	       "resource-create svc \"Generic Service\" web\n"
	       "resource-depend svc ip\n"
	       "group-online web\n"
	       "reg-create-key Software\n"
	       "reg-create-key Software\\Vendor\n"
	       "reg-set Software\\Vendor Blob binary \"\\x00\\x01\\xff\"\n"
	       "reg-set Software\\Vendor List multi_sz \"a\\nb\"\n"
	       "reg-security Software\\Vendor 0700 12 34\n"
	       "reg-write Software\\Vendor Untyped \"no newline\"\n"
	       "reg-create Software\\Vendor Empty\n"
	       "reg-link Software\\Vendor Link ../x\n"
	       "reg-value-security Software\\Vendor Blob 0640 5 6\n"
	       "set group web Description \"the web tier\"\n");
	run_ok("group-create tmp\ngroup-rename tmp tmp2\ngroup-delete tmp2");
	run_ok("resource-offline svc");
	char *before = dump();
	uint64_t seq = next_seq();
	uint64_t reg_next;
	cfs_engine_rdlock(eng);
	reg_next = eng->model.reg.next_id;
	cfs_engine_unlock(eng);
	struct cfs_record last = {0};
	cr_assert_eq(cfs_journal_get(&eng->journal, seq - 1, &last), 0);
	close_engine();

	open_engine(false);
	char *after = dump();
	assert_same_dump(after, before, "after a restart");
	cr_assert_eq(next_seq(), seq, "the next sequence number is kept");
	cr_assert_str_eq(state_of(CFS_KIND_GROUP, "web"), "partialonline");
	cr_assert_str_eq(state_of(CFS_KIND_RESOURCE, "svc"), "offline");
	cr_assert_str_eq(state_of(CFS_KIND_RESOURCE, "ip"), "online");
	cr_assert_null(find(CFS_KIND_GROUP, "tmp2"));
	cfs_engine_rdlock(eng);
	cr_assert_geq(eng->model.reg.next_id, reg_next, "ids are never reused");
	struct cfs_object *web = cfs_model_by_name(&eng->model, CFS_KIND_GROUP, "web");
	cr_assert_eq(web->members.n, 2, "membership is rebuilt");
	cr_assert_eq(eng->applied_seq, seq);
	cfs_engine_unlock(eng);
	/* the journal still has the last records */
	struct cfs_record again = {0};
	cr_assert_eq(cfs_journal_get(&eng->journal, seq - 1, &again), 0);
	cr_assert_eq(again.seq, last.seq);
	cr_assert_eq(again.kind, last.kind);
	cr_assert_eq(again.change, last.change);
	cr_assert_eq(again.time_ns, last.time_ns);
	cr_assert_str_eq(again.obj_id, last.obj_id);
	cr_assert_str_eq(again.obj_name, last.obj_name);
	cfs_record_clear(&again);
	cfs_record_clear(&last);
	cr_assert_eq(cfs_journal_get(&eng->journal, seq, &again), -ENOENT);

	/* new changes continue the sequence */
	run_ok("group-create after-restart");
	cr_assert_gt(next_seq(), seq);
	cr_assert_eq(cfs_journal_get(&eng->journal, seq, &again), 0);
	cr_assert_eq(again.seq, seq);
	cfs_record_clear(&again);
	cfs_engine_rdlock(eng);
	struct cfs_object *g = cfs_model_by_name(&eng->model, CFS_KIND_GROUP, "after-restart");
	cr_assert_not_null(g);
	cr_assert_geq(g->key->id, reg_next, "new ids continue after the old ones");
	cfs_engine_unlock(eng);
}

/* The root key's security survives a restart (found by scripts/abuse.sh:
 * `chown nobody registry` came back as root's after a restart, because
 * the root is no row of the store). */
Test(engine, root_security_survives_restart)
{
	open_engine(false);
	run_ok("reg-security \"\" 0750 65534 4242");
	char *before = dump_ex(true);
	close_engine();
	open_engine(false);
	char *after = dump_ex(true);
	assert_same_dump(after, before, "the root after a restart");
	cfs_engine_rdlock(eng);
	cr_assert_eq(eng->model.reg.root->mode, 0750);
	cr_assert_eq(eng->model.reg.root->uid, 65534);
	cr_assert_eq(eng->model.reg.root->gid, 4242);
	cfs_engine_unlock(eng);
}

/* The times survive a restart too (they are what fs/ shows). */
Test(engine, survives_restart_with_times)
{
	open_engine(true);
	run_ok("group-create web\nset group web Description d\nreg-create-key K\n"
	       "reg-create-key K\\Sub\nreg-set K v sz x");
	run_ok("reg-delete-key K\\Sub\nreg-rename K v w\nunset group web Description");
	char *before = dump_ex(true);
	close_engine();
	open_engine(false);
	char *after = dump_ex(true);
	assert_same_dump(after, before, "times after a restart");
}

Test(engine, listener_gets_each_commit_in_order)
{
	heard_reset();
	open_engine(false);
	uint64_t first = next_seq();
	cfs_engine_set_listener(eng, listener, &heard);
	cr_assert_eq(cfs_engine_start_backend(eng), 0);
	size_t boot_calls = heard.calls;
	cr_assert_geq(boot_calls, 1, "the back-end's first commit is heard");
	run_ok("group-create g1");
	run_ok("group-create g2\nresource-create r \"Generic Service\" g2");
	const char *why;
	cr_assert_eq(cfs_engine_run_text(eng, "group-create g3\ngroup-create g1", &why), -EEXIST);
	run_ok("group-online g2");
	cr_assert_eq(heard.calls, boot_calls + 3, "one call per commit, none for a failure");
	/* every record exactly once, in sequence order */
	cr_assert_eq(heard.n, next_seq() - first);
	for (size_t i = 0; i < heard.n; i++) {
		cr_assert_eq(heard.recs[i].seq, first + i);
		struct cfs_record j = {0};
		cr_assert_eq(cfs_journal_get(&eng->journal, heard.recs[i].seq, &j), 0);
		cr_assert_eq(j.kind, heard.recs[i].kind);
		cr_assert_eq(j.change, heard.recs[i].change);
		cfs_record_clear(&j);
	}
	/* each call holds one commit's records */
	size_t s = heard.call_start[boot_calls];
	bool g1 = false;
	for (size_t i = s; i < heard.call_start[boot_calls + 1]; i++)
		g1 |= heard.recs[i].change == CFS_CH_ADDED && heard.recs[i].kind == CFS_KIND_GROUP &&
		      strcmp(heard.recs[i].obj_name, "g1") == 0;
	cr_assert(g1, "the first call after boot holds g1's creation");
	size_t last = heard.call_start[boot_calls + 2];
	bool online = false;
	for (size_t i = last; i < heard.n; i++) {
		cr_assert_neq(heard.recs[i].change, CFS_CH_ADDED);
		online |= heard.recs[i].change == CFS_CH_STATE &&
			  heard.recs[i].kind == CFS_KIND_GROUP &&
			  strcmp(heard.recs[i].new_value, "online") == 0;
	}
	cr_assert(online);
	for (size_t i = 0; i < heard.n; i++)
		cr_assert(!(heard.recs[i].kind == CFS_KIND_GROUP &&
			    heard.recs[i].change == CFS_CH_ADDED &&
			    strcmp(heard.recs[i].obj_name, "g3") == 0),
			  "a rolled-back change was heard");
	close_engine();
	heard_reset();
}

/* The origin token of a batch reaches the listener with its records. */
static void done_signal(void *ud, int err, const char *why, int line)
{
	(void)why;
	(void)line;
	struct outcome *o = ud;
	pthread_mutex_lock(&o->lock);
	o->err[0] = err;
	o->done++;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

Test(engine, origin_reaches_listener)
{
	heard_reset();
	open_engine(false);
	cfs_engine_set_listener(eng, listener, &heard);
	cr_assert_eq(cfs_engine_start_backend(eng), 0);
	size_t c0 = heard.calls;
	static int token;
	struct outcome o = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	static const char *const b[] = {"group-create from-origin"};
	cr_assert_eq(cfs_engine_submit_from(eng, parse_lines(b, 1), 1, 0, 0, &token, done_signal,
					    &o),
		     0);
	pthread_mutex_lock(&o.lock);
	while (!o.done)
		pthread_cond_wait(&o.cond, &o.lock);
	pthread_mutex_unlock(&o.lock);
	cr_assert_eq(o.err[0], 0);
	run_ok("group-create plain");
	cr_assert_eq(heard.calls, c0 + 2);
	cr_assert_eq(heard.origin_seen[c0], &token);
	cr_assert_null(heard.origin_seen[c0 + 1]);
	for (size_t i = 0; i < c0; i++)
		cr_assert_null(heard.origin_seen[i], "the back-end's commits have no origin");
	/* not kept in the journal */
	struct cfs_record r = {0};
	cr_assert_eq(cfs_journal_get(&eng->journal, heard.recs[heard.call_start[c0]].seq, &r), 0);
	cr_assert_null(r.origin);
	cfs_record_clear(&r);
	close_engine();
	heard_reset();
}

/* ------------------------------------------------------------------ */
/* Concurrent submitters.                                              */

enum { THREADS = 4, PER_THREAD = 200 };

static void *submitter(void *arg)
{
	intptr_t k = (intptr_t)arg;
	intptr_t failures = 0;
	for (int i = 0; i < PER_THREAD; i++) {
		char name[32];
		snprintf(name, sizeof(name), "t%ld-g%d", (long)k, i);
		const char *argv[] = {name};
		struct cfs_cmd *c;
		if (cfs_cmd_new(&c, CFS_OP_GROUP_CREATE, 1, argv) < 0) {
			failures++;
			continue;
		}
		const char *why;
		if (cfs_engine_run(eng, c, &why) != 0)
			failures++;
	}
	return (void *)failures;
}

Test(engine, concurrent_submits)
{
	heard_reset();
	open_engine(false);
	cfs_engine_set_listener(eng, listener, &heard);
	cr_assert_eq(cfs_engine_start_backend(eng), 0);
	uint64_t first = heard.n ? heard.recs[0].seq : next_seq();
	pthread_t th[THREADS];
	for (intptr_t k = 0; k < THREADS; k++)
		cr_assert_eq(pthread_create(&th[k], NULL, submitter, (void *)k), 0);
	for (int k = 0; k < THREADS; k++) {
		void *failures;
		pthread_join(th[k], &failures);
		cr_assert_eq((intptr_t)failures, 0, "thread %d: %ld commands failed", k,
			     (long)(intptr_t)failures);
	}
	cfs_engine_rdlock(eng);
	cr_assert_eq(cfs_model_count(&eng->model, CFS_KIND_GROUP), 2 + THREADS * PER_THREAD);
	cfs_engine_unlock(eng);
	/* the listener saw one gap-free sequence */
	for (size_t i = 0; i < heard.n; i++)
		cr_assert_eq(heard.recs[i].seq, first + i);
	cr_assert_eq(first + heard.n, next_seq());
	char *before = dump();
	uint64_t seq = next_seq();
	close_engine();
	open_engine(false);
	char *after = dump();
	assert_same_dump(after, before, "after a restart");
	cr_assert_eq(next_seq(), seq);
	for (int k = 0; k < THREADS; k++) {
		for (int i = 0; i < PER_THREAD; i++) {
			char name[32];
			snprintf(name, sizeof(name), "t%d-g%d", k, i);
			cr_assert_not_null(find(CFS_KIND_GROUP, name), "%s lost", name);
		}
	}
	close_engine();
	heard_reset();
}

/* A listener added while others commit (a back-end applying other nodes'
 * changes as the mount starts) hears exactly the commits after the point
 * it was added at, and one removed meanwhile hears none after its own. */
static uint64_t added_at;

static void add_at_point(struct cfs_engine *e, void *ud)
{
	(void)ud;
	added_at = cfs_journal_next_seq(&e->journal);
	cr_assert_eq(cfs_engine_add_listener(e, listener, &heard), 0);
}

Test(engine, listener_added_while_committing_misses_nothing)
{
	heard_reset();
	open_engine(true);
	pthread_t th[THREADS];
	for (intptr_t k = 0; k < THREADS; k++)
		cr_assert_eq(pthread_create(&th[k], NULL, submitter, (void *)k), 0);
	usleep(20000);
	cr_assert_eq(cfs_engine_call_sync(eng, add_at_point, NULL), 0);
	usleep(20000);
	cr_assert_eq(cfs_engine_remove_listener(eng, &heard), 0);
	pthread_mutex_lock(&heard.lock);
	size_t n_at_removal = heard.n;
	pthread_mutex_unlock(&heard.lock);
	uint64_t end = next_seq();
	for (int k = 0; k < THREADS; k++) {
		void *failures;
		pthread_join(th[k], &failures);
		cr_assert_eq((intptr_t)failures, 0);
	}
	cr_assert_gt(heard.n, 0, "nothing committed while the listener was there");
	cr_assert_eq(heard.n, n_at_removal, "heard commits after its removal");
	for (size_t i = 0; i < heard.n; i++)
		cr_assert_eq(heard.recs[i].seq, added_at + i, "record %zu", i);
	cr_assert_leq(added_at + heard.n, end);
	close_engine();
	heard_reset();
}

/* ------------------------------------------------------------------ */
/* Group commit: the committer waits for the writers it just answered.  */

struct hold {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool held, released;
};

/* A call item that keeps the committer busy until released. */
static void hold_committer(struct cfs_engine *e, void *ud)
{
	(void)e;
	struct hold *h = ud;
	pthread_mutex_lock(&h->lock);
	h->held = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->released)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

static void submit_group(const char *name, struct outcome_slot *slot)
{
	const char *line[1];
	char text[64];
	snprintf(text, sizeof(text), "group-create %s", name);
	line[0] = text;
	cr_assert_eq(cfs_engine_submit(eng, parse_lines(line, 1), 1, 0, 0, on_done, slot), 0);
}

static void wait_done(struct outcome *o, int n)
{
	pthread_mutex_lock(&o->lock);
	while (o->done < n)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Three writers answered by one commit come back 50 ms apart: with a 2 s
 * wait their next changes still commit together. One that does not come
 * back costs the next commit the wait once; a lone writer then never
 * waits. */
Test(engine, answered_writers_commit_together)
{
	heard_reset();
	open_engine_gathering(false, 2000000);
	cfs_engine_set_listener(eng, listener, &heard);
	cr_assert_eq(cfs_engine_start_backend(eng), 0);
	struct outcome o = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct outcome_slot ud[3] = {{&o, 0}, {&o, 1}, {&o, 2}};

	/* Three writers in one commit: queued while the committer is held. */
	struct hold h = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	cr_assert_eq(cfs_engine_deliver_call(eng, hold_committer, &h), 0);
	pthread_mutex_lock(&h.lock);
	while (!h.held)
		pthread_cond_wait(&h.cond, &h.lock);
	pthread_mutex_unlock(&h.lock);
	submit_group("a1", &ud[0]);
	submit_group("b1", &ud[1]);
	submit_group("c1", &ud[2]);
	size_t c0 = heard.calls;
	pthread_mutex_lock(&h.lock);
	h.released = true;
	pthread_cond_broadcast(&h.cond);
	pthread_mutex_unlock(&h.lock);
	wait_done(&o, 3);
	cr_assert_eq(heard.calls, c0 + 1, "the three queued batches commit together");

	/* They come back one by one. */
	submit_group("a2", &ud[0]);
	usleep(50000);
	submit_group("b2", &ud[1]);
	usleep(50000);
	submit_group("c2", &ud[2]);
	wait_done(&o, 6);
	cr_assert_eq(heard.calls, c0 + 2, "the answered writers' next batches commit together");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(o.err[i], 0);

	/* Only one comes back: it waits the 2 s once and commits alone. */
	submit_group("a3", &ud[0]);
	wait_done(&o, 7);
	cr_assert_eq(heard.calls, c0 + 3);
	cr_assert_eq(o.err[0], 0);

	/* A lone writer is the whole group: no wait. */
	double t0 = now_s();
	submit_group("a4", &ud[0]);
	wait_done(&o, 8);
	cr_assert_lt(now_s() - t0, 1.0, "a lone writer waited for others");
	cr_assert_not_null(find(CFS_KIND_GROUP, "c2"));
	cr_assert_not_null(find(CFS_KIND_GROUP, "a4"));
	close_engine();
	heard_reset();
}

/* ------------------------------------------------------------------ */
/* Opening and stopping.                                               */

Test(engine, one_engine_per_state_dir)
{
	open_engine(false);
	struct cfs_engine_config cfg = {.state_dir = dir, .cluster_name = "x", .backend = &cfs_backend_local};
	struct cfs_engine *other = NULL;
	const char *why = NULL;
	cr_assert_eq(cfs_engine_open(&cfg, &other, &why), -EBUSY);
	cr_assert_null(other);
	cr_assert_not_null(why);
}

Test(engine, backend_table)
{
	cr_assert_eq(cfs_backend_find("local"), &cfs_backend_local);
	cr_assert_eq(cfs_backend_find("sim"), &cfs_backend_sim);
	cr_assert_null(cfs_backend_find("raft9"));
	size_t n = 0;
	while (cfs_backend_at(n))
		n++;
	cr_assert_geq(n, 2);
	cfs_engine_free(NULL);
}

/* The cluster name given at the first start is kept; later ones do not
 * rename the cluster. */
Test(engine, cluster_name_first_start_only)
{
	open_engine(false);
	close_engine();
	struct cfs_engine_config cfg = {.state_dir = dir, .cluster_name = "other",
					.backend = &cfs_backend_local};
	const char *why = NULL;
	cr_assert_eq(cfs_engine_open(&cfg, &eng, &why), 0);
	cfs_engine_rdlock(eng);
	cr_assert_str_eq(cfs_model_cluster_name(&eng->model), "testcl");
	cfs_engine_unlock(eng);
}

Test(engine, submit_after_stop)
{
	open_engine(true);
	run_ok("group-create before-stop");
	cfs_engine_stop(eng);
	cfs_engine_stop(eng); /* idempotent */
	struct cfs_cmd **v = malloc(sizeof(*v));
	const char *argv[] = {"late"};
	cr_assert_eq(cfs_cmd_new(&v[0], CFS_OP_GROUP_CREATE, 1, argv), 0);
	cr_assert_eq(cfs_engine_submit(eng, v, 1, 0, 0, NULL, NULL), -ESHUTDOWN);
	const char *why;
	cr_assert_eq(cfs_engine_run_text(eng, "group-create late", &why), -ESHUTDOWN);
	close_engine();
	open_engine(false);
	cr_assert_not_null(find(CFS_KIND_GROUP, "before-stop"));
	cr_assert_null(find(CFS_KIND_GROUP, "late"));
}

/* Commands submitted get the submitter's uid as new keys' owner. */
static void done_only(void *ud, int err, const char *why, int line)
{
	done_signal(ud, err, why, line);
}

Test(engine, submit_stamps_uid)
{
	open_engine(true);
	struct outcome o = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	static const char *const b[] = {"reg-create-key Mine"};
	cr_assert_eq(cfs_engine_submit(eng, parse_lines(b, 1), 1, 4242, 4343, done_only, &o), 0);
	pthread_mutex_lock(&o.lock);
	while (!o.done)
		pthread_cond_wait(&o.cond, &o.lock);
	pthread_mutex_unlock(&o.lock);
	cr_assert_eq(o.err[0], 0);
	cfs_engine_rdlock(eng);
	struct cfs_key *k = cfs_key_subkey(eng->model.reg.root, "Mine");
	cr_assert_not_null(k);
	cr_assert_eq(k->uid, 4242);
	cfs_engine_unlock(eng);
}
