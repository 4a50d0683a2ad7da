/* SPDX-License-Identifier: MIT */
/* Tests of the SQLite store: open/lock, batches, load order, values, meta,
 * journal, persistence and durability across kill -9. Every test gets its
 * own state directory under /tmp, removed by the fixture. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test_tmp.h"
#include "store.h"

#define LOG_MAX 256

/* One loader or journal callback, copied out of the store. */
struct entry {
	char what; /* 'k' key, 'v' value, 'j' journal record */
	uint64_t id, parent;
	char *name;
	uint32_t mode, uid, gid, type, flags;
	void *data;
	size_t len;
	int64_t mtime;
	struct cfs_store_record rec; /* strings are owned copies */
};

struct log {
	struct entry e[LOG_MAX];
	size_t n;
	int stop_at;  /* callback number (1-based) that returns stop_ret */
	int stop_ret;
};

static char tmpdir[64];
static struct log g_log;
static struct cfs_store *g_store;

static char *dup_or_null(const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	cr_assert_not_null(p);
	return p;
}

static void log_reset(struct log *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct entry *e = &l->e[i];
		free(e->name);
		free(e->data);
		free((char *)e->rec.obj_id);
		free((char *)e->rec.obj_name);
		free((char *)e->rec.parent_id);
		free((char *)e->rec.prop);
		free((char *)e->rec.old_value);
		free((char *)e->rec.new_value);
	}
	memset(l, 0, sizeof(*l));
}

static struct entry *log_add(struct log *l, char what)
{
	cr_assert_lt(l->n, LOG_MAX);
	struct entry *e = &l->e[l->n++];
	e->what = what;
	return e;
}

static int log_result(struct log *l)
{
	return l->stop_at > 0 && (size_t)l->stop_at == l->n ? l->stop_ret : 0;
}

static int on_key(void *ud, uint64_t id, uint64_t parent, const char *name, uint32_t mode,
		  uint32_t uid, uint32_t gid, int64_t mtime_ns)
{
	struct log *l = ud;
	struct entry *e = log_add(l, 'k');

	cr_assert_not_null(name);
	e->id = id;
	e->parent = parent;
	e->name = dup_or_null(name);
	e->mode = mode;
	e->uid = uid;
	e->gid = gid;
	e->mtime = mtime_ns;
	return log_result(l);
}

/* A value with flags 0 and no security of its own (most tests). */
static int put_val(struct cfs_store *s, uint64_t id, uint64_t key, const char *name, uint32_t type,
		   const void *data, size_t len, int64_t mtime_ns)
{
	const struct cfs_store_value v = {.id = id,
					  .key = key,
					  .name = name,
					  .type = type,
					  .data = data,
					  .len = len,
					  .mtime_ns = mtime_ns};
	return cfs_store_put_value(s, &v);
}

static int on_value(void *ud, const struct cfs_store_value *v)
{
	struct log *l = ud;
	struct entry *e = log_add(l, 'v');
	uint64_t id = v->id, key = v->key;
	const char *name = v->name;
	uint32_t type = v->type;
	const void *data = v->data;
	size_t len = v->len;
	int64_t mtime_ns = v->mtime_ns;

	cr_assert_not_null(name);
	cr_assert_not_null(data, "data must not be NULL, even when empty");
	e->id = id;
	e->parent = key;
	e->name = dup_or_null(name);
	e->type = type;
	e->data = malloc(len + 1);
	cr_assert_not_null(e->data);
	memcpy(e->data, data, len);
	e->len = len;
	e->mtime = mtime_ns;
	e->flags = v->flags;
	e->mode = v->mode;
	e->uid = v->uid;
	e->gid = v->gid;
	return log_result(l);
}

static int on_record(void *ud, const struct cfs_store_record *rec)
{
	struct log *l = ud;
	struct entry *e = log_add(l, 'j');

	e->rec = *rec;
	e->rec.obj_id = dup_or_null(rec->obj_id);
	e->rec.obj_name = dup_or_null(rec->obj_name);
	e->rec.parent_id = dup_or_null(rec->parent_id);
	e->rec.prop = dup_or_null(rec->prop);
	e->rec.old_value = dup_or_null(rec->old_value);
	e->rec.new_value = dup_or_null(rec->new_value);
	return log_result(l);
}

static const struct cfs_store_loader loader = {.key = on_key, .value = on_value};

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cfs-store-test-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
	memset(&g_log, 0, sizeof(g_log));
	g_store = NULL;
}

static void teardown(void)
{
	cfs_store_free(g_store);
	g_store = NULL;
	log_reset(&g_log);
	if (tmpdir[0])
		cfs_test_rm_rf(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 60);

static char *sub(const char *name)
{
	static char buf[2][128];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/* (Re)opens g_store on tmpdir. */
static void reopen(void)
{
	cfs_store_free(g_store);
	g_store = NULL;
	int r = cfs_store_open(tmpdir, &g_store);
	cr_assert_eq(r, 0, "open: %s", strerror(-r));
	cr_assert_not_null(g_store);
}

static void load_all(void)
{
	log_reset(&g_log);
	cr_assert_eq(cfs_store_load(g_store, &loader, &g_log), 0);
}

static void read_all(uint64_t from)
{
	log_reset(&g_log);
	cr_assert_eq(cfs_store_read_journal(g_store, from, on_record, &g_log), 0);
}

static struct cfs_store_record mkrec(uint64_t seq)
{
	return (struct cfs_store_record){
		.seq = seq,
		.time_ns = (int64_t)(seq % 1000000) * 1000 - 7,
		.kind = (int)(seq % 4),
		.change = (int)(seq % 3),
		.obj_id = "6f1c2d3e-0000-4000-8000-000000000001",
		.obj_name = "node1",
		.parent_id = seq % 2 ? NULL : "parent",
		.prop = "state",
		.old_value = seq % 2 ? "offline" : NULL,
		.new_value = "online",
	};
}

/* Opens the database next to the store with plain SQLite. */
static sqlite3 *raw_open(void)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(sub("cluster.db"), &db, SQLITE_OPEN_READWRITE, NULL);
	cr_assert_eq(rc, SQLITE_OK, "sqlite3_open_v2: %d", rc);
	return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* ---- open, lock ---- */

Test(store, open_creates_dir_0700)
{
	struct cfs_store *s = NULL;
	struct stat st;

	cr_assert_eq(cfs_store_open(sub("state"), &s), 0);
	cr_assert_not_null(s);
	cr_assert_eq(stat(sub("state"), &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(access(sub("state/cluster.db"), F_OK), 0);
	cr_assert_eq(access(sub("state/lock"), F_OK), 0);
	cfs_store_free(s);
}

Test(store, open_existing_dir_and_free_null)
{
	cfs_store_free(NULL);
	reopen();
	reopen();
}

Test(store, open_errors)
{
	struct cfs_store *s = NULL;
	int fd;

	cr_assert_eq(cfs_store_open(NULL, &s), -EINVAL);
	cr_assert_eq(cfs_store_open("", &s), -EINVAL);
	cr_assert_eq(cfs_store_open(tmpdir, NULL), -EINVAL);
	/* parents are not created */
	cr_assert_eq(cfs_store_open(sub("a/b"), &s), -ENOENT);
	/* a file where the directory should be */
	fd = open(sub("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(cfs_store_open(sub("file"), &s), -ENOTDIR);
	cr_assert_null(s);
}

Test(store, open_rejects_foreign_file)
{
	struct cfs_store *s = NULL;
	char junk[4096];
	int fd;

	memset(junk, 'x', sizeof(junk));
	fd = open(sub("cluster.db"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	cr_assert_eq(cfs_store_open(tmpdir, &s), -EIO);
	cr_assert_null(s);
}

Test(store, schema_and_pragmas)
{
	sqlite3 *db;

	reopen();
	cfs_store_free(g_store);
	g_store = NULL;
	db = raw_open();
	cr_assert_eq(raw_int(db, "PRAGMA user_version"), 2);
	cr_assert_eq(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
				 "name IN ('keys', 'vals', 'meta', 'journal')"),
		     4);
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* reopening an existing database keeps it */
	reopen();
}

Test(store, open_rejects_unknown_schema_version)
{
	struct cfs_store *s = NULL;
	sqlite3 *db;

	reopen();
	cfs_store_free(g_store);
	g_store = NULL;
	db = raw_open();
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 3", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(cfs_store_open(tmpdir, &s), -EPROTONOSUPPORT);
	cr_assert_null(s);
}

/* A state directory a version 1 daemon made (values without flags and
 * security) opens, is upgraded in place, and its values load with flags
 * 0: an explicit type and their key's security. */
Test(store, upgrades_version_1)
{
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(sub("cluster.db"), &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
				  "PRAGMA journal_mode = WAL;"
				  "CREATE TABLE keys(id INTEGER PRIMARY KEY, parent INTEGER NOT NULL, "
				  "name TEXT NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL, "
				  "gid INTEGER NOT NULL, mtime INTEGER NOT NULL);"
				  "CREATE TABLE vals(id INTEGER PRIMARY KEY, key INTEGER NOT NULL, "
				  "name TEXT NOT NULL, type INTEGER NOT NULL, data BLOB NOT NULL, "
				  "mtime INTEGER NOT NULL);"
				  "CREATE TABLE meta(name TEXT PRIMARY KEY, v INTEGER NOT NULL);"
				  "CREATE TABLE journal(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, "
				  "kind INTEGER NOT NULL, change INTEGER NOT NULL, obj_id TEXT, "
				  "obj_name TEXT, parent_id TEXT, prop TEXT, old_value TEXT, "
				  "new_value TEXT);"
				  "INSERT INTO keys VALUES(2, 1, 'K', 493, 0, 0, 5);"
				  "INSERT INTO vals VALUES(3, 2, 'v', 1, x'6869', 6);"
				  "PRAGMA user_version = 1;",
				  NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(db);
	reopen();
	cr_assert_eq(cfs_store_load(g_store, &loader, &g_log), 0);
	cr_assert_eq(g_log.n, 2);
	cr_assert_eq(g_log.e[1].what, 'v');
	cr_assert_eq(g_log.e[1].len, 2);
	cr_assert_eq(memcmp(g_log.e[1].data, "hi", 2), 0);
	cr_assert_eq(g_log.e[1].flags, 0);
	cfs_store_free(g_store);
	g_store = NULL;
	db = raw_open();
	cr_assert_eq(raw_int(db, "PRAGMA user_version"), 2);
	sqlite3_close(db);
}

/* Flags, mode and owner of a value come back as they were put. */
Test(store, value_flags_and_security)
{
	reopen();
	const struct cfs_store_value v = {.id = 2,
					  .key = 1,
					  .name = "v",
					  .type = 3,
					  .data = "\0",
					  .len = 1,
					  .mtime_ns = 9,
					  .flags = 5,
					  .mode = 0640,
					  .uid = 1000,
					  .gid = UINT32_MAX};
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_value(g_store, &v), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();
	cr_assert_eq(cfs_store_load(g_store, &loader, &g_log), 0);
	cr_assert_eq(g_log.n, 1);
	cr_assert_eq(g_log.e[0].flags, 5);
	cr_assert_eq(g_log.e[0].mode, 0640);
	cr_assert_eq(g_log.e[0].uid, 1000);
	cr_assert_eq(g_log.e[0].gid, UINT32_MAX);
}

Test(store, lock_second_handle_busy)
{
	struct cfs_store *s = NULL;

	reopen();
	cr_assert_eq(cfs_store_open(tmpdir, &s), -EBUSY);
	cr_assert_null(s);
	/* the failed attempt did not disturb the holder */
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_set_meta(g_store, "x", 1), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	/* released on free */
	cfs_store_free(g_store);
	g_store = NULL;
	cr_assert_eq(cfs_store_open(tmpdir, &s), 0);
	cfs_store_free(s);
}

Test(store, lock_held_by_other_process)
{
	struct cfs_store *s = NULL;
	int ready[2], go[2], status;
	char c = 0;
	pid_t pid;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct cfs_store *cs = NULL;
		int r;

		close(ready[0]);
		close(go[1]);
		r = cfs_store_open(tmpdir, &cs);
		c = r == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || r < 0)
			_exit(1);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		cfs_store_free(cs);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	cr_assert_eq(c, 'y', "child could not open the store");
	cr_assert_eq(cfs_store_open(tmpdir, &s), -EBUSY);
	cr_assert_null(s);
	close(go[1]);
	/* only "it ended": under valgrind a child's exit status reports leak
	 * checks of the heap it inherited, so results travel through pipes */
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	close(ready[0]);
	cr_assert_eq(cfs_store_open(tmpdir, &s), 0);
	cfs_store_free(s);
}

Test(store, lock_seen_by_forked_child)
{
	int res[2], status, r = 0;
	pid_t pid;

	reopen();
	cr_assert_eq(pipe2(res, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* never touch the inherited connection; just try to open anew */
		struct cfs_store *cs = NULL;

		r = cfs_store_open(tmpdir, &cs);
		if (cs)
			r = 1;
		_exit(write(res[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(res[1]);
	cr_assert_eq(read(res[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(res[0]);
	cr_assert_eq(r, -EBUSY, "child open: %d", r);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
}

/* ---- keys and values ---- */

Test(store, load_empty)
{
	reopen();
	load_all();
	cr_assert_eq(g_log.n, 0);
}

Test(store, keys_then_values_in_id_order)
{
	static const uint64_t key_ids[] = {9, 3, 5, 2};
	static const uint64_t val_ids[] = {30, 10, 20};

	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	/* values first, so that load order cannot come from insert order */
	for (size_t i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "v%llu", (unsigned long long)val_ids[i]);
		cr_assert_eq(put_val(g_store, val_ids[i], 2, name, 4, "abcd", 4,
						 (int64_t)val_ids[i] * 7),
			     0);
	}
	for (size_t i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof(name), "k%llu", (unsigned long long)key_ids[i]);
		cr_assert_eq(cfs_store_put_key(g_store, key_ids[i], key_ids[i] == 2 ? 1 : 2, name,
					       0750, 1000 + (uint32_t)key_ids[i], 2000,
					       -(int64_t)key_ids[i]),
			     0);
	}
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();
	load_all();

	static const uint64_t want[] = {2, 3, 5, 9, 10, 20, 30};
	cr_assert_eq(g_log.n, 7);
	for (size_t i = 0; i < 7; i++) {
		struct entry *e = &g_log.e[i];
		char name[16];
		cr_assert_eq(e->id, want[i]);
		cr_assert_eq(e->what, i < 4 ? 'k' : 'v');
		snprintf(name, sizeof(name), "%c%llu", e->what, (unsigned long long)e->id);
		cr_assert_str_eq(e->name, name);
		if (e->what == 'k') {
			cr_assert_eq(e->parent, e->id == 2 ? 1 : 2);
			cr_assert_eq(e->mode, 0750);
			cr_assert_eq(e->uid, 1000 + e->id);
			cr_assert_eq(e->gid, 2000);
			cr_assert_eq(e->mtime, -(int64_t)e->id);
		} else {
			cr_assert_eq(e->parent, 2);
			cr_assert_eq(e->type, 4);
			cr_assert_eq(e->len, 4);
			cr_assert_eq(memcmp(e->data, "abcd", 4), 0);
			cr_assert_eq(e->mtime, (int64_t)e->id * 7);
		}
	}
}

Test(store, full_width_fields)
{
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_key(g_store, INT64_MAX, INT64_MAX - 1, "big", UINT32_MAX,
				       UINT32_MAX, UINT32_MAX - 1, INT64_MIN),
		     0);
	cr_assert_eq(put_val(g_store, INT64_MAX, INT64_MAX, "big", UINT32_MAX, "", 0,
					 INT64_MAX),
		     0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();
	load_all();
	cr_assert_eq(g_log.n, 2);
	cr_assert_eq(g_log.e[0].id, (uint64_t)INT64_MAX);
	cr_assert_eq(g_log.e[0].parent, (uint64_t)INT64_MAX - 1);
	cr_assert_eq(g_log.e[0].mode, UINT32_MAX);
	cr_assert_eq(g_log.e[0].uid, UINT32_MAX);
	cr_assert_eq(g_log.e[0].gid, UINT32_MAX - 1);
	cr_assert_eq(g_log.e[0].mtime, INT64_MIN);
	cr_assert_eq(g_log.e[1].type, UINT32_MAX);
	cr_assert_eq(g_log.e[1].mtime, INT64_MAX);
}

Test(store, root_is_never_stored)
{
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 1, 1, "", 0755, 0, 0, 0), -EINVAL);
	cfs_store_rollback(g_store);
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 2, 1, "child", 0755, 0, 0, 0), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();
	load_all();
	cr_assert_eq(g_log.n, 1);
	cr_assert_eq(g_log.e[0].id, 2);
	cr_assert_eq(g_log.e[0].parent, 1);
}

Test(store, put_is_upsert)
{
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 2, 1, "old", 0700, 1, 1, 1), 0);
	cr_assert_eq(put_val(g_store, 3, 2, "old", 1, "old", 3, 1), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 2, 1, "new", 0755, 2, 2, 2), 0);
	cr_assert_eq(put_val(g_store, 3, 2, "new", 3, "newer", 5, 2), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();
	load_all();
	cr_assert_eq(g_log.n, 2);
	cr_assert_str_eq(g_log.e[0].name, "new");
	cr_assert_eq(g_log.e[0].mode, 0755);
	cr_assert_eq(g_log.e[0].mtime, 2);
	cr_assert_str_eq(g_log.e[1].name, "new");
	cr_assert_eq(g_log.e[1].type, 3);
	cr_assert_eq(g_log.e[1].len, 5);
	cr_assert_eq(memcmp(g_log.e[1].data, "newer", 5), 0);
}

Test(store, delete_keys_and_values)
{
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 2, 1, "a", 0755, 0, 0, 0), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 3, 1, "b", 0755, 0, 0, 0), 0);
	cr_assert_eq(put_val(g_store, 10, 2, "x", 1, "x", 1, 0), 0);
	cr_assert_eq(put_val(g_store, 11, 3, "y", 1, "y", 1, 0), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_del_key(g_store, 3), 0);
	cr_assert_eq(cfs_store_del_value(g_store, 10), 0);
	/* deleting what is not there is fine */
	cr_assert_eq(cfs_store_del_key(g_store, 77), 0);
	cr_assert_eq(cfs_store_del_value(g_store, 77), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();
	load_all();
	cr_assert_eq(g_log.n, 2);
	cr_assert_eq(g_log.e[0].what, 'k');
	cr_assert_eq(g_log.e[0].id, 2);
	cr_assert_eq(g_log.e[1].what, 'v');
	cr_assert_eq(g_log.e[1].id, 11);
}

Test(store, binary_values_round_trip)
{
	static const char nul_mid[] = {'a', '\0', 'b', '\0', '\0', 'c'};
	unsigned char all[256];
	size_t big_len = 1024 * 1024;
	unsigned char *big = malloc(big_len);
	sqlite3 *db;

	cr_assert_not_null(big);
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	for (size_t i = 0; i < big_len; i++)
		big[i] = (unsigned char)(i * 131 + (i >> 8));
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(put_val(g_store, 2, 1, "nul", 3, nul_mid, sizeof(nul_mid), 0), 0);
	cr_assert_eq(put_val(g_store, 3, 1, "all", 3, all, sizeof(all), 0), 0);
	cr_assert_eq(put_val(g_store, 4, 1, "empty-null", 0, NULL, 0, 0), 0);
	cr_assert_eq(put_val(g_store, 5, 1, "empty", 1, "zzz", 0, 0), 0);
	cr_assert_eq(put_val(g_store, 6, 1, "big", 3, big, big_len, 0), 0);
	cr_assert_eq(put_val(g_store, 7, 1, "zeros", 3, "\0\0\0\0", 4, 0), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();
	load_all();
	cr_assert_eq(g_log.n, 6);
	cr_assert_eq(g_log.e[0].len, sizeof(nul_mid));
	cr_assert_eq(memcmp(g_log.e[0].data, nul_mid, sizeof(nul_mid)), 0);
	cr_assert_eq(g_log.e[1].len, sizeof(all));
	cr_assert_eq(memcmp(g_log.e[1].data, all, sizeof(all)), 0);
	cr_assert_eq(g_log.e[2].len, 0);
	cr_assert_eq(g_log.e[3].len, 0);
	cr_assert_eq(g_log.e[4].len, big_len);
	cr_assert_eq(memcmp(g_log.e[4].data, big, big_len), 0);
	cr_assert_eq(g_log.e[5].len, 4);
	cr_assert_eq(memcmp(g_log.e[5].data, "\0\0\0\0", 4), 0);
	free(big);

	/* empty values are empty blobs on disk, never NULL */
	cfs_store_free(g_store);
	g_store = NULL;
	db = raw_open();
	cr_assert_eq(raw_int(db, "SELECT count(*) FROM vals WHERE data IS NULL"), 0);
	cr_assert_eq(raw_int(db, "SELECT count(*) FROM vals WHERE typeof(data) = 'blob'"), 6);
	cr_assert_eq(raw_int(db, "SELECT count(*) FROM vals WHERE length(data) = 0"), 2);
	sqlite3_close(db);
}

Test(store, loader_stop_and_partial_loaders)
{
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	for (uint64_t id = 2; id <= 5; id++) {
		cr_assert_eq(cfs_store_put_key(g_store, id, 1, "k", 0755, 0, 0, 0), 0);
		cr_assert_eq(put_val(g_store, id, id, "v", 1, "v", 1, 0), 0);
	}
	cr_assert_eq(cfs_store_commit(g_store), 0);

	/* a key callback stops the load: no values are reported */
	g_log.stop_at = 2;
	g_log.stop_ret = 42;
	cr_assert_eq(cfs_store_load(g_store, &loader, &g_log), 42);
	cr_assert_eq(g_log.n, 2);
	log_reset(&g_log);

	/* a value callback stops it with an errno */
	g_log.stop_at = 5;
	g_log.stop_ret = -ENOENT;
	cr_assert_eq(cfs_store_load(g_store, &loader, &g_log), -ENOENT);
	cr_assert_eq(g_log.n, 5);
	cr_assert_eq(g_log.e[4].what, 'v');
	log_reset(&g_log);

	/* the statements were reset: a full load still works */
	load_all();
	cr_assert_eq(g_log.n, 8);

	const struct cfs_store_loader keys_only = {.key = on_key};
	const struct cfs_store_loader values_only = {.value = on_value};
	log_reset(&g_log);
	cr_assert_eq(cfs_store_load(g_store, &keys_only, &g_log), 0);
	cr_assert_eq(g_log.n, 4);
	cr_assert_eq(g_log.e[3].what, 'k');
	log_reset(&g_log);
	cr_assert_eq(cfs_store_load(g_store, &values_only, &g_log), 0);
	cr_assert_eq(g_log.n, 4);
	cr_assert_eq(g_log.e[0].what, 'v');
	cr_assert_eq(cfs_store_load(g_store, NULL, &g_log), -EINVAL);
	cr_assert_eq(cfs_store_load(NULL, &loader, &g_log), -EINVAL);
}

/* ---- meta ---- */

Test(store, meta_counters)
{
	uint64_t v = 99;

	reopen();
	cr_assert_eq(cfs_store_get_meta(g_store, "next_id", &v), 0);
	cr_assert_eq(v, 0, "missing counters read as 0");
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_set_meta(g_store, "next_id", 42), 0);
	cr_assert_eq(cfs_store_set_meta(g_store, "next_seq", UINT64_MAX), 0);
	cr_assert_eq(cfs_store_set_meta(g_store, "zero", 0), 0);
	/* the batch sees its own writes */
	cr_assert_eq(cfs_store_get_meta(g_store, "next_id", &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_set_meta(g_store, "next_id", 43), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();
	cr_assert_eq(cfs_store_get_meta(g_store, "next_id", &v), 0);
	cr_assert_eq(v, 43);
	cr_assert_eq(cfs_store_get_meta(g_store, "next_seq", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	v = 5;
	cr_assert_eq(cfs_store_get_meta(g_store, "zero", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cfs_store_get_meta(g_store, NULL, &v), -EINVAL);
	cr_assert_eq(cfs_store_get_meta(g_store, "x", NULL), -EINVAL);
	cr_assert_eq(cfs_store_get_meta(NULL, "x", &v), -EINVAL);
}

/* ---- batches ---- */

static void write_everything(struct cfs_store *s, uint64_t n)
{
	struct cfs_store_record rec = mkrec(n);
	char name[32];

	snprintf(name, sizeof(name), "key%llu", (unsigned long long)n);
	cr_assert_eq(cfs_store_put_key(s, 1 + n, 1, name, 0755, 0, 0, (int64_t)n), 0);
	cr_assert_eq(put_val(s, n, 1 + n, name, 1, name, strlen(name), 0), 0);
	cr_assert_eq(cfs_store_set_meta(s, "next_id", n + 1), 0);
	cr_assert_eq(cfs_store_put_record(s, &rec), 0);
}

static void assert_empty(void)
{
	uint64_t v = 1, first = 1, last = 1;

	load_all();
	cr_assert_eq(g_log.n, 0);
	cr_assert_eq(cfs_store_get_meta(g_store, "next_id", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cfs_store_journal_range(g_store, &first, &last), 0);
	cr_assert_eq(first, 0);
	cr_assert_eq(last, 0);
}

Test(store, rollback_discards)
{
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	write_everything(g_store, 1);
	cfs_store_rollback(g_store);
	assert_empty();
	reopen();
	assert_empty();
	/* the store is usable after a rollback */
	cr_assert_eq(cfs_store_begin(g_store), 0);
	write_everything(g_store, 2);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	load_all();
	cr_assert_eq(g_log.n, 2);
}

Test(store, rollback_of_later_batch_keeps_earlier)
{
	uint64_t v;

	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	write_everything(g_store, 1);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	cr_assert_eq(cfs_store_begin(g_store), 0);
	write_everything(g_store, 2);
	cr_assert_eq(cfs_store_del_key(g_store, 2), 0);
	cfs_store_rollback(g_store);
	load_all();
	cr_assert_eq(g_log.n, 2);
	cr_assert_eq(g_log.e[0].id, 2);
	cr_assert_eq(g_log.e[1].id, 1);
	cr_assert_eq(cfs_store_get_meta(g_store, "next_id", &v), 0);
	cr_assert_eq(v, 2);
}

Test(store, free_discards_open_batch)
{
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	write_everything(g_store, 1);
	reopen();
	assert_empty();
}

Test(store, batch_state_errors)
{
	struct cfs_store_record rec = mkrec(1);

	reopen();
	cr_assert_eq(cfs_store_put_key(g_store, 2, 1, "k", 0, 0, 0, 0), -EINVAL);
	cr_assert_eq(cfs_store_del_key(g_store, 2), -EINVAL);
	cr_assert_eq(put_val(g_store, 2, 1, "v", 0, "", 0, 0), -EINVAL);
	cr_assert_eq(cfs_store_del_value(g_store, 2), -EINVAL);
	cr_assert_eq(cfs_store_set_meta(g_store, "m", 1), -EINVAL);
	cr_assert_eq(cfs_store_put_record(g_store, &rec), -EINVAL);
	cr_assert_eq(cfs_store_commit(g_store), -EINVAL);
	cfs_store_rollback(g_store);
	cfs_store_rollback(NULL);
	cr_assert_eq(cfs_store_begin(NULL), -EINVAL);
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_begin(g_store), -EINVAL);
	cr_assert_eq(cfs_store_trim_journal(g_store, 5), -EINVAL);
	/* neither error hurt the batch */
	cr_assert_eq(cfs_store_put_record(g_store, &rec), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	read_all(0);
	cr_assert_eq(g_log.n, 1);
	cr_assert_eq(g_log.e[0].rec.seq, 1);
}

Test(store, failed_write_poisons_batch)
{
	reopen();
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 2, 1, "ok", 0755, 0, 0, 0), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 3, 1, NULL, 0755, 0, 0, 0), -EINVAL);
	/* later writes and the commit report the first failure */
	cr_assert_eq(cfs_store_put_key(g_store, 4, 1, "ok", 0755, 0, 0, 0), -EINVAL);
	cr_assert_eq(cfs_store_commit(g_store), -EINVAL);
	/* and the whole batch is gone */
	load_all();
	cr_assert_eq(g_log.n, 0);
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_key(g_store, 4, 1, "ok", 0755, 0, 0, 0), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	load_all();
	cr_assert_eq(g_log.n, 1);
}

/* Runs one write in a fresh batch and returns its result (the batch is
 * rolled back). */
#define IN_BATCH(expr)                                                                             \
	({                                                                                         \
		cr_assert_eq(cfs_store_begin(g_store), 0);                                         \
		int r_ = (expr);                                                                   \
		cfs_store_rollback(g_store);                                                       \
		r_;                                                                                \
	})

Test(store, invalid_arguments)
{
	struct cfs_store_record rec = mkrec(0);
	const uint64_t too_big = (uint64_t)INT64_MAX + 1;

	reopen();
	cr_assert_eq(IN_BATCH(cfs_store_put_key(g_store, 0, 1, "k", 0, 0, 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_put_key(g_store, too_big, 1, "k", 0, 0, 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_put_key(g_store, 2, 0, "k", 0, 0, 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_put_key(g_store, 2, too_big, "k", 0, 0, 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_put_key(g_store, 2, 1, NULL, 0, 0, 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_put_key(NULL, 2, 1, "k", 0, 0, 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_del_key(g_store, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_del_key(NULL, 2)), -EINVAL);
	cr_assert_eq(IN_BATCH(put_val(g_store, 0, 1, "v", 0, "", 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(put_val(g_store, 2, 0, "v", 0, "", 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(put_val(g_store, 2, 1, NULL, 0, "", 0, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(put_val(g_store, 2, 1, "v", 0, NULL, 1, 0)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_del_value(g_store, too_big)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_set_meta(g_store, NULL, 1)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_put_record(g_store, NULL)), -EINVAL);
	cr_assert_eq(IN_BATCH(cfs_store_put_record(g_store, &rec)), -EINVAL);
	rec.seq = too_big;
	cr_assert_eq(IN_BATCH(cfs_store_put_record(g_store, &rec)), -EINVAL);
	cr_assert_eq(cfs_store_commit(NULL), -EINVAL);
	cr_assert_eq(cfs_store_read_journal(g_store, 0, NULL, NULL), -EINVAL);
	cr_assert_eq(cfs_store_read_journal(NULL, 0, on_record, &g_log), -EINVAL);
	cr_assert_eq(cfs_store_journal_range(g_store, NULL, NULL), -EINVAL);
	cr_assert_eq(cfs_store_trim_journal(NULL, 1), -EINVAL);
	assert_empty();
}

/* ---- journal ---- */

static void put_records(uint64_t first, uint64_t last)
{
	cr_assert_eq(cfs_store_begin(g_store), 0);
	for (uint64_t seq = first; seq <= last; seq++) {
		struct cfs_store_record rec = mkrec(seq);
		cr_assert_eq(cfs_store_put_record(g_store, &rec), 0);
	}
	cr_assert_eq(cfs_store_commit(g_store), 0);
}

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		cr_assert_null(got);
	else
		cr_assert_str_eq(got, want);
}

static void assert_record(const struct cfs_store_record *got, uint64_t seq)
{
	struct cfs_store_record want = mkrec(seq);

	cr_assert_eq(got->seq, want.seq);
	cr_assert_eq(got->time_ns, want.time_ns);
	cr_assert_eq(got->kind, want.kind);
	cr_assert_eq(got->change, want.change);
	assert_str_or_null(got->obj_id, want.obj_id);
	assert_str_or_null(got->obj_name, want.obj_name);
	assert_str_or_null(got->parent_id, want.parent_id);
	assert_str_or_null(got->prop, want.prop);
	assert_str_or_null(got->old_value, want.old_value);
	assert_str_or_null(got->new_value, want.new_value);
}

static void assert_range(uint64_t first, uint64_t last)
{
	uint64_t f = 99, l = 99;

	cr_assert_eq(cfs_store_journal_range(g_store, &f, &l), 0);
	cr_assert_eq(f, first);
	cr_assert_eq(l, last);
}

Test(store, journal_put_and_read)
{
	struct cfs_store_record all_null = {.seq = 6, .time_ns = -1, .kind = -2, .change = 7};

	reopen();
	assert_range(0, 0);
	read_all(0);
	cr_assert_eq(g_log.n, 0);
	put_records(1, 5);
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_record(g_store, &all_null), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	reopen();

	read_all(0);
	cr_assert_eq(g_log.n, 6);
	for (uint64_t i = 0; i < 5; i++)
		assert_record(&g_log.e[i].rec, i + 1);
	struct cfs_store_record *r6 = &g_log.e[5].rec;
	cr_assert_eq(r6->seq, 6);
	cr_assert_eq(r6->time_ns, -1);
	cr_assert_eq(r6->kind, -2);
	cr_assert_eq(r6->change, 7);
	cr_assert(!r6->obj_id && !r6->obj_name && !r6->parent_id && !r6->prop &&
		  !r6->old_value && !r6->new_value);

	read_all(3);
	cr_assert_eq(g_log.n, 4);
	cr_assert_eq(g_log.e[0].rec.seq, 3);
	read_all(7);
	cr_assert_eq(g_log.n, 0);
	read_all(UINT64_MAX);
	cr_assert_eq(g_log.n, 0);

	/* a non-zero callback return stops the read and is returned */
	log_reset(&g_log);
	g_log.stop_at = 2;
	g_log.stop_ret = 9;
	cr_assert_eq(cfs_store_read_journal(g_store, 2, on_record, &g_log), 9);
	cr_assert_eq(g_log.n, 2);
	cr_assert_eq(g_log.e[1].rec.seq, 3);
	read_all(0);
	cr_assert_eq(g_log.n, 6);
}

Test(store, journal_put_is_upsert)
{
	struct cfs_store_record rec = mkrec(4);

	reopen();
	put_records(4, 4);
	rec.new_value = "changed";
	cr_assert_eq(cfs_store_begin(g_store), 0);
	cr_assert_eq(cfs_store_put_record(g_store, &rec), 0);
	cr_assert_eq(cfs_store_commit(g_store), 0);
	read_all(0);
	cr_assert_eq(g_log.n, 1);
	cr_assert_str_eq(g_log.e[0].rec.new_value, "changed");
}

Test(store, journal_range_and_trim)
{
	reopen();
	cr_assert_eq(cfs_store_trim_journal(g_store, 10), 0);
	assert_range(0, 0);
	put_records(3, 12);
	assert_range(3, 12);
	cr_assert_eq(cfs_store_trim_journal(g_store, 0), 0);
	cr_assert_eq(cfs_store_trim_journal(g_store, 1), 0);
	cr_assert_eq(cfs_store_trim_journal(g_store, 3), 0);
	assert_range(3, 12);
	cr_assert_eq(cfs_store_trim_journal(g_store, 8), 0);
	assert_range(8, 12);
	reopen();
	assert_range(8, 12);
	read_all(0);
	cr_assert_eq(g_log.n, 5);
	cr_assert_eq(g_log.e[0].rec.seq, 8);
	/* keep_from past the end empties the journal */
	cr_assert_eq(cfs_store_trim_journal(g_store, 13), 0);
	assert_range(0, 0);
	/* seq goes on after a trim */
	put_records(13, 14);
	assert_range(13, 14);
}

Test(store, journal_extreme_seqs)
{
	reopen();
	put_records(INT64_MAX - 1, INT64_MAX);
	assert_range(INT64_MAX - 1, INT64_MAX);
	read_all(INT64_MAX);
	cr_assert_eq(g_log.n, 1);
	cr_assert_eq(g_log.e[0].rec.seq, (uint64_t)INT64_MAX);
	cr_assert_eq(cfs_store_trim_journal(g_store, INT64_MAX), 0);
	assert_range(INT64_MAX, INT64_MAX);
	cr_assert_eq(cfs_store_trim_journal(g_store, UINT64_MAX), 0);
	assert_range(0, 0);
}

static int nested_read(void *ud, const struct cfs_store_record *rec)
{
	(void)rec;
	return cfs_store_read_journal(ud, 0, on_record, &g_log);
}

Test(store, journal_nested_read_is_refused)
{
	reopen();
	put_records(1, 2);
	cr_assert_eq(cfs_store_read_journal(g_store, 0, nested_read, g_store), -EBUSY);
	read_all(0);
	cr_assert_eq(g_log.n, 2);
}

/* ---- persistence and durability ---- */

Test(store, persistence_across_reopen)
{
	uint64_t v;

	for (uint64_t n = 1; n <= 4; n++) {
		reopen();
		load_all();
		cr_assert_eq(g_log.n, 2 * (n - 1));
		cr_assert_eq(cfs_store_get_meta(g_store, "next_id", &v), 0);
		cr_assert_eq(v, n == 1 ? 0 : n);
		assert_range(n == 1 ? 0 : 1, n - 1);
		cr_assert_eq(cfs_store_begin(g_store), 0);
		write_everything(g_store, n);
		cr_assert_eq(cfs_store_commit(g_store), 0);
	}
	cfs_store_free(g_store);
	g_store = NULL;
	reopen();
	load_all();
	cr_assert_eq(g_log.n, 8);
	for (uint64_t i = 0; i < 4; i++) {
		cr_assert_eq(g_log.e[i].what, 'k');
		cr_assert_eq(g_log.e[i].id, i + 2);
		cr_assert_eq(g_log.e[4 + i].what, 'v');
		cr_assert_eq(g_log.e[4 + i].id, i + 1);
	}
	read_all(0);
	cr_assert_eq(g_log.n, 4);
	for (uint64_t i = 0; i < 4; i++)
		assert_record(&g_log.e[i].rec, i + 1);
}

#define DURABLE_BATCHES 40

/* Child: commits DURABLE_BATCHES batches, optionally starts one more that
 * it never commits, then kills itself with SIGKILL. Reports failures by
 * exit status (no Criterion calls in the child). */
static void durable_child(bool leave_open_batch)
{
	struct cfs_store *s = NULL;

	if (cfs_store_open(tmpdir, &s) < 0)
		_exit(10);
	for (uint64_t n = 1; n <= DURABLE_BATCHES; n++) {
		struct cfs_store_record rec = mkrec(n);
		char name[32];

		snprintf(name, sizeof(name), "key%llu", (unsigned long long)n);
		if (cfs_store_begin(s) < 0 ||
		    cfs_store_put_key(s, 1 + n, 1, name, 0755, 0, 0, (int64_t)n) < 0 ||
		    put_val(s, n, 1 + n, name, 3, "a\0b", 3, 0) < 0 ||
		    cfs_store_set_meta(s, "next_id", n + 1) < 0 ||
		    cfs_store_put_record(s, &rec) < 0)
			_exit(11);
		if (cfs_store_commit(s) < 0)
			_exit(12);
	}
	if (leave_open_batch) {
		struct cfs_store_record rec = mkrec(DURABLE_BATCHES + 1);

		if (cfs_store_begin(s) < 0 ||
		    cfs_store_put_key(s, 1000, 1, "lost", 0755, 0, 0, 0) < 0 ||
		    cfs_store_set_meta(s, "next_id", 1000) < 0 ||
		    cfs_store_put_record(s, &rec) < 0)
			_exit(13);
	}
	raise(SIGKILL);
	_exit(14);
}

static void check_durable(bool leave_open_batch)
{
	struct stat st;
	uint64_t v;
	int status;
	pid_t pid;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		durable_child(leave_open_batch);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "child did not die by SIGKILL (exit status %d)",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* the child never closed the database: recovery goes through the WAL */
	cr_assert_eq(stat(sub("cluster.db-wal"), &st), 0);
	cr_assert_gt(st.st_size, 0);

	reopen();
	load_all();
	cr_assert_eq(g_log.n, 2 * DURABLE_BATCHES);
	for (uint64_t i = 0; i < DURABLE_BATCHES; i++) {
		cr_assert_eq(g_log.e[i].id, i + 2);
		cr_assert_eq(g_log.e[DURABLE_BATCHES + i].len, 3);
		cr_assert_eq(memcmp(g_log.e[DURABLE_BATCHES + i].data, "a\0b", 3), 0);
	}
	cr_assert_eq(cfs_store_get_meta(g_store, "next_id", &v), 0);
	cr_assert_eq(v, DURABLE_BATCHES + 1);
	assert_range(1, DURABLE_BATCHES);
	read_all(0);
	cr_assert_eq(g_log.n, DURABLE_BATCHES);
	for (uint64_t i = 0; i < DURABLE_BATCHES; i++)
		assert_record(&g_log.e[i].rec, i + 1);
}

Test(store, durable_after_kill9)
{
	check_durable(false);
}

Test(store, uncommitted_batch_lost_on_kill9)
{
	check_durable(true);
}
