/* SPDX-License-Identifier: MIT */
/* Disk faults in the commit path: the store's SQLite writes (pwrite64 on
 * the WAL) and syncs (fdatasync), failed by the wrappers of
 * fault_inject.c while the engine commits.
 *
 * What must hold (engine.h, store.h): a failed store commit fails every
 * batch of its group commit with the store's errno (a batch that failed on
 * its own keeps its own error), rolls the model back, publishes no record,
 * and loses nothing acknowledged before it; the engine goes on working
 * once the fault clears, with no gap in the sequence numbers; and after a
 * restart the state is the acknowledged one, also when the process died
 * right after the fault.
 *
 * To get several batches into one group commit, the test holds the
 * committer in the completion callback of a batch before them (callbacks
 * run on the committer thread), queues the batches, arms the fault and lets
 * the committer go. Every test has its own state directory (mkdtemp),
 * removed by the fixture whatever the outcome. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_tmp.h"
#include "engine.h"
#include "fault_inject.h"
#include "store.h"

static char dir[64];
static struct cfs_engine *eng;
/* Strings made by the helpers, freed by the fixture. */
static struct cfs_vec garbage;

static char *gc(char *p)
{
	cr_assert_not_null(p);
	cr_assert_eq(cfs_vec_push(&garbage, p), 0);
	return p;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cfs-faults-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void release_held(void);

static void teardown(void)
{
	fi_disarm();
	release_held(); /* a test that failed while it held the committer */
	cfs_engine_free(eng);
	eng = NULL;
	for (size_t i = 0; i < garbage.n; i++)
		free(garbage.v[i]);
	cfs_vec_free(&garbage);
	if (dir[0])
		cfs_test_rm_rf(dir);
	dir[0] = '\0';
}

TestSuite(store_faults, .init = setup, .fini = teardown, .timeout = 120);

static void run_ok(const char *text);

/* Opens the engine on dir; the first time, with a node for the groups. */
static void open_engine(void)
{
	/* Only the fields this test needs: the struct is growing elsewhere. */
	struct cfs_engine_config cfg = {.state_dir = dir, .cluster_name = "faultcl"};
	const char *why = NULL;
	int r = cfs_engine_open(&cfg, &eng, &why);
	cr_assert_eq(r, 0, "open %s: %d (%s)", dir, r, why ? why : "-");
	cfs_engine_rdlock(eng);
	size_t nodes = cfs_model_count(&eng->model, CFS_KIND_NODE);
	cfs_engine_unlock(eng);
	if (!nodes)
		run_ok("node-add n1 1 10.0.0.1");
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

static int run(const char *text)
{
	const char *why = NULL;
	return cfs_engine_run_text(eng, text, &why);
}

/* The registry tree with ids, types, data and security (under the read
 * lock): equal dumps mean equal models. */
static void dump_key(struct cfs_buf *b, const struct cfs_key *k, int depth)
{
	cfs_buf_printf(b, "%*sK#%llu \"%s\" %04o %u %u\n", depth * 2, "",
		       (unsigned long long)k->id, k->name, k->mode, k->uid, k->gid);
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		cfs_buf_printf(b, "%*sV#%llu \"%s\" %u ", depth * 2 + 2, "",
			       (unsigned long long)v->id, v->name, v->type);
		for (size_t j = 0; j < v->len; j++)
			cfs_buf_printf(b, "%02x", v->data[j]);
		cfs_buf_puts(b, "\n");
	}
	for (size_t i = 0; i < k->subkeys.n; i++)
		dump_key(b, k->subkeys.v[i], depth + 1);
}

static char *dump(void)
{
	struct cfs_buf b = {0};
	cfs_engine_rdlock(eng);
	dump_key(&b, eng->model.reg.root, 0);
	cfs_engine_unlock(eng);
	return gc(cfs_buf_steal(&b));
}

static bool has_group(const char *name)
{
	cfs_engine_rdlock(eng);
	bool r = cfs_model_by_name(&eng->model, CFS_KIND_GROUP, name) != NULL;
	cfs_engine_unlock(eng);
	return r;
}

/* Text of registry value K\name ("(none)" when missing). */
static char *reg_text(const char *key, const char *name)
{
	cfs_engine_rdlock(eng);
	struct cfs_key *k;
	struct cfs_value *v = NULL;
	if (cfs_reg_lookup(&eng->model.reg, key, &k) == 0)
		v = cfs_key_value(k, name);
	char *s = strdup(v ? (const char *)v->data : "(none)");
	cfs_engine_unlock(eng);
	return gc(s);
}

static uint64_t next_seq(void)
{
	return cfs_journal_next_seq(&eng->journal);
}

static uint64_t applied_seq(void)
{
	cfs_engine_rdlock(eng);
	uint64_t s = eng->applied_seq;
	cfs_engine_unlock(eng);
	return s;
}

/* Whether a record of that kind, change and name has a seq in [from, to). */
static bool journal_has(uint64_t from, uint64_t to, enum cfs_kind kind, enum cfs_change change,
			const char *name)
{
	bool found = false;
	for (uint64_t s = from; s < to && !found; s++) {
		struct cfs_record r = {0};
		cr_assert_eq(cfs_journal_get(&eng->journal, s, &r), 0, "seq %llu",
			     (unsigned long long)s);
		found = r.kind == kind && r.change == change && r.obj_name &&
			strcmp(r.obj_name, name) == 0;
		cfs_record_clear(&r);
	}
	return found;
}

/* ------------------------------------------------------------------ */
/* Batches and their outcomes.                                         */

struct outcome {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int err;
	const char *why;
	int line;
	/* Holding the committer: set when its callback runs; it returns
	 * only once go is set. */
	bool hold, entered, go;
};

static struct outcome outcome_new(void)
{
	return (struct outcome){.lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER};
}

static void on_done(void *ud, int err, const char *why, int line)
{
	struct outcome *o = ud;
	pthread_mutex_lock(&o->lock);
	o->err = err;
	o->why = why;
	o->line = line;
	o->done = true;
	o->entered = true;
	pthread_cond_broadcast(&o->cond);
	while (o->hold && !o->go)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

static void submit(const char *text, struct outcome *o)
{
	struct cfs_vec cmds = {0};
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		struct cfs_cmd *c;
		const char *why = NULL;
		cr_assert_eq(cfs_cmd_parse(p, len, &c, &why), 0, "%.*s: %s", (int)len, p, why);
		cr_assert_eq(cfs_vec_push(&cmds, c), 0);
		p += len + (p[len] == '\n');
	}
	cr_assert_eq(cfs_engine_submit(eng, (struct cfs_cmd **)cmds.v, cmds.n, 0, 0, on_done, o),
		     0);
}

static void wait_done(struct outcome *o)
{
	pthread_mutex_lock(&o->lock);
	while (!o->done)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

/* The outcome whose callback holds the committer (static storage: a
 * failed assertion leaves the test's frame while the committer still
 * writes there). */
static struct outcome *held;

/* Submits a batch whose completion holds the committer until release(). */
static void hold_committer(struct outcome *o, const char *text)
{
	o->hold = true;
	held = o;
	submit(text, o);
	pthread_mutex_lock(&o->lock);
	while (!o->entered)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

static void release(struct outcome *o)
{
	held = NULL;
	pthread_mutex_lock(&o->lock);
	o->go = true;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

static void release_held(void)
{
	if (held)
		release(held);
}

/* ------------------------------------------------------------------ */
/* Listener: what was published after each commit.                     */

static struct {
	pthread_mutex_t lock;
	size_t calls, recs;
	uint64_t first_seq, last_seq; /* of everything heard */
} heard = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void listener(void *ud, const struct cfs_record *recs, size_t n)
{
	(void)ud;
	pthread_mutex_lock(&heard.lock);
	heard.calls++;
	for (size_t i = 0; i < n; i++) {
		if (!heard.recs++)
			heard.first_seq = recs[i].seq;
		heard.last_seq = recs[i].seq;
	}
	pthread_mutex_unlock(&heard.lock);
}

/* ------------------------------------------------------------------ */
/* A failing store commit fails the group commit as a whole.           */

struct fault_case {
	char name[32];
	unsigned calls;	  /* enum fi_call */
	char suffix[16];  /* of the file that fails */
	int err;	  /* injected errno */
	unsigned skip;	  /* selected calls that go through first */
	int want;	  /* what each batch is told */
};

static struct fault_case fault_cases[] = {
	/* SQLite writes WAL frames with pwrite64 (header, then page) and
	 * syncs the WAL with fdatasync at the commit (synchronous=FULL). */
	{"first WAL write", FI_PWRITE, "-wal", EIO, 0, -EIO},
	{"a later WAL write", FI_PWRITE, "-wal", EIO, 3, -EIO},
	{"WAL write, disk full", FI_PWRITE, "-wal", ENOSPC, 1, -ENOSPC},
	{"WAL sync", FI_FDATASYNC, "-wal", EIO, 0, -EIO},
};

ParameterizedTestParameters(store_faults, group_commit)
{
	return cr_make_param_array(struct fault_case, fault_cases,
				   sizeof(fault_cases) / sizeof(fault_cases[0]));
}

ParameterizedTest(struct fault_case *fc, store_faults, group_commit)
{
	open_engine();
	cfs_engine_set_listener(eng, listener, NULL);
	run_ok("group-create acked-1\nreg-create-key K\nreg-set K v sz before");
	run_ok("group-create acked-2");

	static struct outcome hold, b[3];
	hold = outcome_new();
	hold_committer(&hold, "group-create acked-3");
	cr_assert_eq(hold.err, 0);
	/* acked-3 is committed and published: this is the state to keep */
	char *before = dump();
	uint64_t seq = next_seq();
	cr_assert_eq(applied_seq(), seq);
	size_t calls = heard.calls;

	for (int i = 0; i < 3; i++)
		b[i] = outcome_new();
	submit("group-create failed-1\nreg-set K v sz during", &b[0]);
	submit("group-create failed-2\ngroup-create acked-1", &b[1]); /* fails on its own */
	submit("reg-create-key K\\failed-3\nreg-delete K v", &b[2]);
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	fi_arm(&(struct fi_plan){.calls = fc->calls, .path_prefix = prefix,
				 .path_suffix = fc->suffix, .err = fc->err, .skip = fc->skip,
				 .times = 1});
	release(&hold);
	for (int i = 0; i < 3; i++)
		wait_done(&b[i]);
	fi_disarm();
	cr_assert_eq(fi_injected(), 1, "%s: the fault was not hit (%u calls seen)", fc->name,
		     fi_seen());

	/* (a) every batch of the group is told, with the store's errno */
	cr_assert_eq(b[0].err, fc->want, "%s: batch 1 got %d", fc->name, b[0].err);
	cr_assert_eq(b[0].line, -1);
	cr_assert_not_null(b[0].why);
	cr_assert_eq(b[1].err, -EEXIST, "%s: a batch that failed itself keeps its error",
		     fc->name);
	cr_assert_eq(b[1].line, 1);
	cr_assert_eq(b[2].err, fc->want, "%s: batch 3 got %d", fc->name, b[2].err);
	cr_assert_eq(b[2].line, -1);

	/* (b) the model is rolled back, and nothing was published */
	char *after = dump();
	cr_assert_str_eq(after, before, "%s: the model was not rolled back", fc->name);
	cr_assert(!has_group("failed-1"));
	cr_assert_str_eq(reg_text("K", "v"), "before");
	cr_assert_eq(next_seq(), seq, "%s: records of a failed commit were published", fc->name);
	cr_assert_eq(applied_seq(), seq);
	cr_assert_eq(heard.calls, calls, "%s: the listener heard a failed commit", fc->name);

	/* the engine goes on once the fault is gone, with no gap: the next
	 * commit's records start at the failed commit's first seq */
	run_ok("group-create failed-1\nreg-set K v sz after");
	pthread_mutex_lock(&heard.lock);
	cr_assert_eq(heard.first_seq + heard.recs - 1, heard.last_seq, "a gap in the seqs heard");
	pthread_mutex_unlock(&heard.lock);
	cr_assert(journal_has(seq, next_seq(), CFS_KIND_GROUP, CFS_CH_ADDED, "failed-1"),
		  "%s: the records from seq %llu are not the next commit's", fc->name,
		  (unsigned long long)seq);
	char *good = dump();
	uint64_t good_seq = next_seq();

	/* (c) after a restart: what was acknowledged, nothing else */
	close_engine();
	open_engine();
	char *again = dump();
	cr_assert_str_eq(again, good, "%s: the state changed across a restart", fc->name);
	cr_assert_eq(next_seq(), good_seq);
	for (int i = 1; i <= 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "acked-%d", i);
		cr_assert(has_group(name), "%s: %s was lost", fc->name, name);
	}
	cr_assert(!has_group("failed-2"));
	cr_assert_str_eq(reg_text("K", "v"), "after");
	cr_assert(journal_has(seq, next_seq(), CFS_KIND_GROUP, CFS_CH_ADDED, "failed-1"),
		  "%s: the journal kept records of the failed commit", fc->name);
	cr_assert(!journal_has(seq, next_seq(), CFS_KIND_GROUP, CFS_CH_ADDED, "failed-2"));
}

/* A disk that stays broken for several commits: each one fails alone and
 * leaves nothing behind. */
Test(store_faults, fault_lasting_several_commits)
{
	open_engine();
	run_ok("group-create acked");
	char *before = dump();
	uint64_t seq = next_seq();
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	fi_arm(&(struct fi_plan){.calls = FI_PWRITE | FI_FDATASYNC, .path_prefix = prefix,
				 .path_suffix = "-wal"});
	for (int i = 0; i < 4; i++) {
		char text[64];
		snprintf(text, sizeof(text), "group-create failed-%d", i);
		cr_assert_eq(run(text), -EIO);
		cr_assert_str_eq(dump(), before);
		cr_assert_eq(next_seq(), seq);
	}
	cr_assert_geq(fi_injected(), 4);
	fi_disarm();
	run_ok("group-create after");
	close_engine();
	open_engine();
	cr_assert(has_group("acked"));
	cr_assert(has_group("after"));
	for (int i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof(name), "failed-%d", i);
		cr_assert(!has_group(name), "%s survived", name);
	}
}

/* A batch that fails to commit leaves the engine's id counter ahead (ids
 * are never reused), and a restart keeps it so. */
Test(store_faults, ids_not_reused_after_fault)
{
	open_engine();
	run_ok("reg-create-key A");
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	fi_arm(&(struct fi_plan){.calls = FI_FDATASYNC, .path_prefix = prefix,
				 .path_suffix = "-wal", .times = 1});
	cr_assert_eq(run("reg-create-key B"), -EIO);
	fi_disarm();
	run_ok("reg-create-key C");
	cfs_engine_rdlock(eng);
	struct cfs_key *a = cfs_key_subkey(eng->model.reg.root, "A");
	struct cfs_key *c = cfs_key_subkey(eng->model.reg.root, "C");
	uint64_t a_id = a->id, c_id = c->id;
	cfs_engine_unlock(eng);
	cr_assert_gt(c_id, a_id + 1, "C took the id of the failed B");
	close_engine();
	open_engine();
	cfs_engine_rdlock(eng);
	cr_assert_eq(cfs_key_subkey(eng->model.reg.root, "C")->id, c_id);
	cr_assert_null(cfs_key_subkey(eng->model.reg.root, "B"));
	cfs_engine_unlock(eng);
}

/* ------------------------------------------------------------------ */
/* A crash right after a failed commit.                                */

/* Child: commits batch A, then fails batch B's commit with the fault of
 * `calls`, then dies by SIGKILL without closing anything (as after a
 * crash). Reports by exit status; no Criterion calls in the child. */
static void crash_child(unsigned calls)
{
	struct cfs_store *s = NULL;
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	if (cfs_store_open(dir, &s) < 0)
		_exit(10);
	struct cfs_store_record rec = {.seq = 1, .obj_id = "a", .obj_name = "A"};
	if (cfs_store_begin(s) < 0 || cfs_store_put_key(s, 2, 1, "A", 0755, 0, 0, 1) < 0 ||
	    cfs_store_put_record(s, &rec) < 0 || cfs_store_set_meta(s, "next_seq", 2) < 0 ||
	    cfs_store_commit(s) < 0)
		_exit(11);
	rec = (struct cfs_store_record){.seq = 2, .obj_id = "b", .obj_name = "B"};
	if (cfs_store_begin(s) < 0 || cfs_store_put_key(s, 3, 1, "B", 0755, 0, 0, 2) < 0 ||
	    cfs_store_put_record(s, &rec) < 0 || cfs_store_set_meta(s, "next_seq", 3) < 0)
		_exit(12);
	fi_arm(&(struct fi_plan){.calls = calls, .path_prefix = prefix, .path_suffix = "-wal",
				 .times = 1});
	int r = cfs_store_commit(s);
	fi_disarm();
	if (r != -EIO)
		_exit(13);
	if (fi_injected() != 1)
		_exit(14);
	raise(SIGKILL);
	_exit(15);
}

static int count_key(void *ud, uint64_t id, uint64_t parent, const char *name, uint32_t mode,
		     uint32_t uid, uint32_t gid, int64_t mtime_ns)
{
	struct cfs_buf *b = ud;
	cfs_buf_printf(b, "%s ", name);
	return 0;
}

static void check_crash_after_fault(unsigned calls)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		crash_child(calls);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "child did not die by SIGKILL (exit status %d)",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	struct cfs_store *s = NULL;
	cr_assert_eq(cfs_store_open(dir, &s), 0);
	struct cfs_buf keys = {0};
	const struct cfs_store_loader ld = {.key = count_key};
	int r = cfs_store_load(s, &ld, &keys);
	uint64_t next = 0;
	int r2 = cfs_store_get_meta(s, "next_seq", &next);
	uint64_t first = 0, last = 0;
	int r3 = cfs_store_journal_range(s, &first, &last);
	cfs_store_free(s);
	char *got = gc(cfs_buf_steal(&keys));
	cr_assert_eq(r, 0);
	cr_assert_eq(r2, 0);
	cr_assert_eq(r3, 0);
	cr_assert_str_eq(got, "A ", "after the crash the store holds keys [%s]", got);
	cr_assert_eq(next, 2, "next_seq %llu", (unsigned long long)next);
	cr_assert_eq(last, 1, "the journal ends at %llu", (unsigned long long)last);
}

/* A write that fails leaves a WAL without B's commit frame. */
Test(store_faults, crash_after_failed_write)
{
	check_crash_after_fault(FI_PWRITE);
}

/* A sync that fails comes after B's frames, commit frame included, were
 * written: they must not come back when the WAL is recovered. */
Test(store_faults, crash_after_failed_sync)
{
	check_crash_after_fault(FI_FDATASYNC);
}

/* The same through the engine: a batch answered with -EIO does not come
 * back after a crash. */
static void engine_crash_child(void)
{
	struct cfs_engine_config cfg = {.state_dir = dir, .cluster_name = "faultcl"};
	const char *why = NULL;
	char prefix[80];
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	if (cfs_engine_open(&cfg, &eng, &why) < 0)
		_exit(10);
	if (cfs_engine_run_text(eng, "node-add n1 1 10.0.0.1\ngroup-create acked", &why) < 0)
		_exit(11);
	fi_arm(&(struct fi_plan){.calls = FI_FDATASYNC, .path_prefix = prefix,
				 .path_suffix = "-wal", .times = 1});
	int r = cfs_engine_run_text(eng, "group-create failed", &why);
	fi_disarm();
	if (r != -EIO)
		_exit(12);
	raise(SIGKILL);
	_exit(13);
}

Test(store_faults, engine_crash_after_failed_sync)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		engine_crash_child();
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "child did not die by SIGKILL (exit status %d)",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	open_engine();
	cr_assert(has_group("acked"));
	cr_assert(!has_group("failed"), "a batch answered -EIO came back after a crash");
	uint64_t seq = next_seq();
	run_ok("group-create failed");
	cr_assert(journal_has(seq, next_seq(), CFS_KIND_GROUP, CFS_CH_ADDED, "failed"));
}
