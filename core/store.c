/* SPDX-License-Identifier: MIT */
/* SQLite back end of the durable store. One connection, prepared statements
 * made once at open, and an flock()ed DIR/lock that keeps other daemons out.
 *
 * Batch rules on top of store.h: put/del/set_meta/put_record outside a batch,
 * begin inside one, and commit outside one are -EINVAL; rollback outside one
 * is a no-op. The first failure inside a batch poisons it: later writes
 * return that error, and commit returns it and discards the whole batch. A
 * failed commit always discards the batch. Ids and journal seqs must be in
 * 1..INT64_MAX (SQLite integers are signed), and key id 1 (the root) is
 * never stored: -EINVAL. Meta counters keep all 64 bits. Pointers handed to
 * loader and journal callbacks are valid only during the call, and a
 * callback must not restart the read it was called from (-EBUSY). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define STORE_SCHEMA_VERSION 2
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_ROOT_ID 1

enum {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_PUT_KEY,
	STMT_DEL_KEY,
	STMT_PUT_VAL,
	STMT_DEL_VAL,
	STMT_GET_META,
	STMT_SET_META,
	STMT_PUT_REC,
	STMT_LOAD_KEYS,
	STMT_LOAD_VALS,
	STMT_READ_JOURNAL,
	STMT_JOURNAL_RANGE,
	STMT_TRIM_JOURNAL,
	STMT_MAX,
};

static const char *const stmt_sql[STMT_MAX] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_PUT_KEY] = "INSERT OR REPLACE INTO keys(id, parent, name, mode, uid, gid, mtime) "
			 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STMT_DEL_KEY] = "DELETE FROM keys WHERE id = ?1",
	[STMT_PUT_VAL] = "INSERT OR REPLACE INTO vals(id, key, name, type, data, mtime, flags, "
			 "mode, uid, gid) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[STMT_DEL_VAL] = "DELETE FROM vals WHERE id = ?1",
	[STMT_GET_META] = "SELECT v FROM meta WHERE name = ?1",
	[STMT_SET_META] = "INSERT OR REPLACE INTO meta(name, v) VALUES(?1, ?2)",
	[STMT_PUT_REC] = "INSERT OR REPLACE INTO journal(seq, time, kind, change, obj_id, "
			 "obj_name, parent_id, prop, old_value, new_value) "
			 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[STMT_LOAD_KEYS] = "SELECT id, parent, name, mode, uid, gid, mtime FROM keys ORDER BY id",
	[STMT_LOAD_VALS] = "SELECT id, key, name, type, data, mtime, flags, mode, uid, gid "
			   "FROM vals ORDER BY id",
	[STMT_READ_JOURNAL] = "SELECT seq, time, kind, change, obj_id, obj_name, parent_id, "
			      "prop, old_value, new_value FROM journal WHERE seq >= ?1 "
			      "ORDER BY seq",
	[STMT_JOURNAL_RANGE] = "SELECT min(seq), max(seq) FROM journal",
	[STMT_TRIM_JOURNAL] = "DELETE FROM journal WHERE seq <= ?1",
};

static const char schema_sql[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE keys("
	"id INTEGER PRIMARY KEY, parent INTEGER NOT NULL, name TEXT NOT NULL, "
	"mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL, "
	"mtime INTEGER NOT NULL);"
	"CREATE TABLE vals("
	"id INTEGER PRIMARY KEY, key INTEGER NOT NULL, name TEXT NOT NULL, "
	"type INTEGER NOT NULL, data BLOB NOT NULL, mtime INTEGER NOT NULL, "
	"flags INTEGER NOT NULL DEFAULT 0, mode INTEGER NOT NULL DEFAULT 0, "
	"uid INTEGER NOT NULL DEFAULT 0, gid INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE meta(name TEXT PRIMARY KEY, v INTEGER NOT NULL);"
	"CREATE TABLE journal("
	"seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind INTEGER NOT NULL, "
	"change INTEGER NOT NULL, obj_id TEXT, obj_name TEXT, parent_id TEXT, prop TEXT, "
	"old_value TEXT, new_value TEXT);"
	"PRAGMA user_version = 2;"
	"COMMIT;";

/* Version 1 -> 2: a value's flags (untyped, no final newline, own
 * security) and its own mode and owner. Every value of a version 1
 * store had an explicit type and its key's security: flags 0. */
static const char upgrade_1_2_sql[] =
	"BEGIN IMMEDIATE;"
	"ALTER TABLE vals ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vals ADD COLUMN mode INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vals ADD COLUMN uid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE vals ADD COLUMN gid INTEGER NOT NULL DEFAULT 0;"
	"PRAGMA user_version = 2;"
	"COMMIT;";

struct cfs_store {
	sqlite3 *db;
	int lock_fd;
	bool in_batch;
	int batch_err; /* first failure inside the batch, 0 if none */
	sqlite3_stmt *stmt[STMT_MAX];
};

/* The one place where SQLite result codes become errnos. */
static int store_errno(sqlite3 *db, int rc)
{
	if (rc == SQLITE_IOERR_NOMEM)
		return -ENOMEM;
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CANTOPEN: {
		int e = db ? sqlite3_system_errno(db) : 0;
		return e > 0 ? -e : -EACCES;
	}
	default:
		return -EIO;
	}
}

static bool id_valid(uint64_t id)
{
	return id > 0 && id <= INT64_MAX;
}

/* Steps a statement that returns no rows, then resets it and drops its
 * bindings (which may point into caller memory). */
static int step_done(struct cfs_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : store_errno(s->db, rc);
}

/* Binds text (NULL binds SQL NULL); the pointer must outlive the step. */
static int bind_text(struct cfs_store *s, sqlite3_stmt *st, int i, const char *v)
{
	int rc = sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : store_errno(s->db, rc);
}

/* NULL for a SQL NULL; -ENOMEM when SQLite could not convert the column. */
static int column_text(sqlite3_stmt *st, int i, const char **ret)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		*ret = NULL;
		return 0;
	}
	*ret = (const char *)sqlite3_column_text(st, i);
	return *ret ? 0 : -ENOMEM;
}

static void rollback_raw(struct cfs_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)step_done(s, s->stmt[STMT_ROLLBACK]);
}

/* Entry check of every write inside a batch. SQLite rolls a transaction
 * back on its own after some errors; writes must then not go on in
 * autocommit mode, so that poisons the batch too. */
static int batch_check(struct cfs_store *s)
{
	if (!s->in_batch)
		return -EINVAL;
	if (s->batch_err == 0 && sqlite3_get_autocommit(s->db))
		s->batch_err = -EIO;
	return s->batch_err;
}

static int batch_result(struct cfs_store *s, int r)
{
	if (r < 0 && s->batch_err == 0)
		s->batch_err = r;
	return r;
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + 1 + strlen(name) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int take_lock(const char *dir, int *ret_fd)
{
	char *path = path_join(dir, "lock");
	int fd, r = 0;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		goto out;
	}
	*ret_fd = fd;
out:
	free(path);
	return r;
}

/* Runs one-row statement SQL and hands back its first column as an int64
 * (text columns go to *ret_text instead when that is non-NULL). */
static int query_one(sqlite3 *db, const char *sql, int64_t *ret, char *ret_text, size_t text_len)
{
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_errno(db, rc);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? -EIO : store_errno(db, rc);
		goto out;
	}
	if (ret)
		*ret = sqlite3_column_int64(st, 0);
	if (ret_text) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (!t) {
			r = -ENOMEM;
			goto out;
		}
		snprintf(ret_text, text_len, "%s", t);
	}
out:
	sqlite3_finalize(st);
	return r;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_errno(db, rc);
}

static int setup_db(struct cfs_store *s)
{
	char mode[16];
	int64_t version;
	int r;

	/* This connection is the database's only user (DIR/lock keeps other
	 * daemons out): it takes SQLite's file locks once and keeps them, and
	 * the WAL index lives in its memory, instead of 6 fcntl() locks per
	 * transaction. Set before WAL mode, so that no -shm file is used. */
	r = query_one(s->db, "PRAGMA locking_mode = EXCLUSIVE", NULL, mode, sizeof(mode));
	if (r < 0)
		return r;
	r = query_one(s->db, "PRAGMA journal_mode = WAL", NULL, mode, sizeof(mode));
	if (r < 0)
		return r;
	if (strcasecmp(mode, "wal") != 0)
		return -EIO;
	r = exec_sql(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF");
	if (r < 0)
		return r;

	r = query_one(s->db, "PRAGMA user_version", &version, NULL, 0);
	if (r < 0)
		return r;
	if (version == 0 || version == 1) {
		/* A new store, or one a daemon before version 2 made. */
		r = exec_sql(s->db, version == 0 ? schema_sql : upgrade_1_2_sql);
		if (r < 0) {
			if (!sqlite3_get_autocommit(s->db))
				(void)exec_sql(s->db, "ROLLBACK");
			return r;
		}
	} else if (version != STORE_SCHEMA_VERSION) {
		return -EPROTONOSUPPORT;
	}

	for (size_t i = 0; i < STMT_MAX; i++) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return store_errno(s->db, rc);
	}
	return 0;
}

int cfs_store_open(const char *dir, struct cfs_store **ret)
{
	struct cfs_store *s = NULL;
	char *path = NULL;
	int rc, r;

	if (!dir || !*dir || !ret)
		return -EINVAL;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lock_fd = -1;
	r = take_lock(dir, &s->lock_fd);
	if (r < 0)
		goto fail;

	path = path_join(dir, "cluster.db");
	if (!path) {
		r = -ENOMEM;
		goto fail;
	}
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		r = store_errno(s->db, rc);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	r = setup_db(s);
	if (r < 0)
		goto fail;

	free(path);
	*ret = s;
	return 0;
fail:
	free(path);
	cfs_store_free(s);
	return r;
}

void cfs_store_free(struct cfs_store *s)
{
	if (!s)
		return;
	if (s->db && s->in_batch)
		cfs_store_rollback(s);
	for (size_t i = 0; i < STMT_MAX; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close_v2(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}

static int load_keys(struct cfs_store *s, const struct cfs_store_loader *ld, void *ud)
{
	sqlite3_stmt *st = s->stmt[STMT_LOAD_KEYS];
	int r;

	if (sqlite3_stmt_busy(st))
		return -EBUSY;
	for (;;) {
		const char *name;
		int rc = sqlite3_step(st);

		if (rc == SQLITE_DONE) {
			r = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			r = store_errno(s->db, rc);
			break;
		}
		name = (const char *)sqlite3_column_text(st, 2);
		if (!name) {
			r = -ENOMEM;
			break;
		}
		r = ld->key(ud, (uint64_t)sqlite3_column_int64(st, 0),
			    (uint64_t)sqlite3_column_int64(st, 1), name,
			    (uint32_t)sqlite3_column_int64(st, 3),
			    (uint32_t)sqlite3_column_int64(st, 4),
			    (uint32_t)sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6));
		if (r != 0)
			break;
	}
	sqlite3_reset(st);
	return r;
}

static int load_values(struct cfs_store *s, const struct cfs_store_loader *ld, void *ud)
{
	sqlite3_stmt *st = s->stmt[STMT_LOAD_VALS];
	int r;

	if (sqlite3_stmt_busy(st))
		return -EBUSY;
	for (;;) {
		struct cfs_store_value v;
		int rc = sqlite3_step(st);

		if (rc == SQLITE_DONE) {
			r = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			r = store_errno(s->db, rc);
			break;
		}
		v = (struct cfs_store_value){
			.id = (uint64_t)sqlite3_column_int64(st, 0),
			.key = (uint64_t)sqlite3_column_int64(st, 1),
			.name = (const char *)sqlite3_column_text(st, 2),
			.type = (uint32_t)sqlite3_column_int64(st, 3),
		};
		if (!v.name) {
			r = -ENOMEM;
			break;
		}
		/* blob before bytes, as SQLite asks; an empty blob comes back as NULL */
		v.data = sqlite3_column_blob(st, 4);
		v.len = (size_t)sqlite3_column_bytes(st, 4);
		if (!v.data) {
			if (sqlite3_errcode(s->db) == SQLITE_NOMEM) {
				r = -ENOMEM;
				break;
			}
			v.data = "";
			v.len = 0;
		}
		v.mtime_ns = sqlite3_column_int64(st, 5);
		v.flags = (uint32_t)sqlite3_column_int64(st, 6);
		v.mode = (uint32_t)sqlite3_column_int64(st, 7);
		v.uid = (uint32_t)sqlite3_column_int64(st, 8);
		v.gid = (uint32_t)sqlite3_column_int64(st, 9);
		r = ld->value(ud, &v);
		if (r != 0)
			break;
	}
	sqlite3_reset(st);
	return r;
}

int cfs_store_load(struct cfs_store *s, const struct cfs_store_loader *ld, void *ud)
{
	int r = 0;

	if (!s || !ld)
		return -EINVAL;
	if (ld->key)
		r = load_keys(s, ld, ud);
	if (r == 0 && ld->value)
		r = load_values(s, ld, ud);
	return r;
}

int cfs_store_get_meta(struct cfs_store *s, const char *name, uint64_t *ret)
{
	sqlite3_stmt *st;
	int rc, r;

	if (!s || !name || !ret)
		return -EINVAL;
	st = s->stmt[STMT_GET_META];
	r = bind_text(s, st, 1, name);
	if (r < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*ret = 0;
	else
		r = store_errno(s->db, rc);
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

int cfs_store_begin(struct cfs_store *s)
{
	int r;

	if (!s || s->in_batch)
		return -EINVAL;
	r = step_done(s, s->stmt[STMT_BEGIN]);
	if (r < 0) {
		rollback_raw(s);
		return r;
	}
	s->in_batch = true;
	s->batch_err = 0;
	return 0;
}

int cfs_store_put_key(struct cfs_store *s, uint64_t id, uint64_t parent, const char *name,
		      uint32_t mode, uint32_t uid, uint32_t gid, int64_t mtime_ns)
{
	sqlite3_stmt *st;
	int r;

	if (!s)
		return -EINVAL;
	r = batch_check(s);
	if (r < 0)
		return r;
	if (!id_valid(id) || id == STORE_ROOT_ID || !id_valid(parent) || !name)
		return batch_result(s, -EINVAL);
	st = s->stmt[STMT_PUT_KEY];
	sqlite3_bind_int64(st, 1, (int64_t)id);
	sqlite3_bind_int64(st, 2, (int64_t)parent);
	r = bind_text(s, st, 3, name);
	if (r < 0) {
		sqlite3_clear_bindings(st);
		return batch_result(s, r);
	}
	sqlite3_bind_int64(st, 4, mode);
	sqlite3_bind_int64(st, 5, uid);
	sqlite3_bind_int64(st, 6, gid);
	sqlite3_bind_int64(st, 7, mtime_ns);
	return batch_result(s, step_done(s, st));
}

static int del_by_id(struct cfs_store *s, int stmt, uint64_t id)
{
	int r;

	if (!s)
		return -EINVAL;
	r = batch_check(s);
	if (r < 0)
		return r;
	if (!id_valid(id))
		return batch_result(s, -EINVAL);
	sqlite3_bind_int64(s->stmt[stmt], 1, (int64_t)id);
	return batch_result(s, step_done(s, s->stmt[stmt]));
}

int cfs_store_del_key(struct cfs_store *s, uint64_t id)
{
	return del_by_id(s, STMT_DEL_KEY, id);
}

int cfs_store_put_value(struct cfs_store *s, const struct cfs_store_value *v)
{
	sqlite3_stmt *st;
	int rc, r;

	if (!s)
		return -EINVAL;
	r = batch_check(s);
	if (r < 0)
		return r;
	if (!v || !id_valid(v->id) || !id_valid(v->key) || !v->name || (!v->data && v->len > 0))
		return batch_result(s, -EINVAL);
	st = s->stmt[STMT_PUT_VAL];
	sqlite3_bind_int64(st, 1, (int64_t)v->id);
	sqlite3_bind_int64(st, 2, (int64_t)v->key);
	r = bind_text(s, st, 3, v->name);
	if (r < 0)
		goto fail;
	sqlite3_bind_int64(st, 4, v->type);
	/* a NULL pointer would bind SQL NULL; "" makes an empty blob */
	rc = sqlite3_bind_blob64(st, 5, v->len > 0 ? v->data : "", v->len, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		r = store_errno(s->db, rc);
		goto fail;
	}
	sqlite3_bind_int64(st, 6, v->mtime_ns);
	sqlite3_bind_int64(st, 7, v->flags);
	sqlite3_bind_int64(st, 8, v->mode);
	sqlite3_bind_int64(st, 9, v->uid);
	sqlite3_bind_int64(st, 10, v->gid);
	return batch_result(s, step_done(s, st));
fail:
	sqlite3_clear_bindings(st);
	return batch_result(s, r);
}

int cfs_store_del_value(struct cfs_store *s, uint64_t id)
{
	return del_by_id(s, STMT_DEL_VAL, id);
}

int cfs_store_set_meta(struct cfs_store *s, const char *name, uint64_t v)
{
	sqlite3_stmt *st;
	int r;

	if (!s)
		return -EINVAL;
	r = batch_check(s);
	if (r < 0)
		return r;
	if (!name)
		return batch_result(s, -EINVAL);
	st = s->stmt[STMT_SET_META];
	r = bind_text(s, st, 1, name);
	if (r < 0) {
		sqlite3_clear_bindings(st);
		return batch_result(s, r);
	}
	/* all 64 bits survive: stored as the same bits in a signed integer */
	sqlite3_bind_int64(st, 2, (int64_t)v);
	return batch_result(s, step_done(s, st));
}

int cfs_store_put_record(struct cfs_store *s, const struct cfs_store_record *rec)
{
	sqlite3_stmt *st;
	const char *texts[6];
	int r;

	if (!s)
		return -EINVAL;
	r = batch_check(s);
	if (r < 0)
		return r;
	if (!rec || !id_valid(rec->seq))
		return batch_result(s, -EINVAL);
	st = s->stmt[STMT_PUT_REC];
	sqlite3_bind_int64(st, 1, (int64_t)rec->seq);
	sqlite3_bind_int64(st, 2, rec->time_ns);
	sqlite3_bind_int(st, 3, rec->kind);
	sqlite3_bind_int(st, 4, rec->change);
	texts[0] = rec->obj_id;
	texts[1] = rec->obj_name;
	texts[2] = rec->parent_id;
	texts[3] = rec->prop;
	texts[4] = rec->old_value;
	texts[5] = rec->new_value;
	for (int i = 0; i < 6; i++) {
		r = bind_text(s, st, 5 + i, texts[i]);
		if (r < 0) {
			sqlite3_clear_bindings(st);
			return batch_result(s, r);
		}
	}
	return batch_result(s, step_done(s, st));
}

/* A COMMIT can fail after SQLite wrote the batch's frames to the WAL,
 * commit frame included (the sync failed, or a write after them did). The
 * connection then ignores them, but the WAL recovery after a crash would
 * find them valid and bring back a batch that was reported failed. A
 * checkpoint that truncates the WAL drops them. Best effort: while the
 * disk still fails, the checkpoint fails too; the frames then go with the
 * next commit (which overwrites them) or a clean close (which checkpoints
 * without them), and only a crash or a failing close before either can
 * still bring the batch back. */
static void drop_failed_frames(struct cfs_store *s)
{
	(void)sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

int cfs_store_commit(struct cfs_store *s)
{
	int r;

	if (!s || !s->in_batch)
		return -EINVAL;
	r = batch_check(s);
	if (r == 0 && (r = step_done(s, s->stmt[STMT_COMMIT])) < 0) {
		rollback_raw(s);
		drop_failed_frames(s);
	} else if (r < 0) {
		rollback_raw(s);
	}
	s->in_batch = false;
	s->batch_err = 0;
	return r;
}

void cfs_store_rollback(struct cfs_store *s)
{
	if (!s || !s->in_batch)
		return;
	rollback_raw(s);
	s->in_batch = false;
	s->batch_err = 0;
}

int cfs_store_read_journal(struct cfs_store *s, uint64_t from,
			   int (*cb)(void *ud, const struct cfs_store_record *rec), void *ud)
{
	sqlite3_stmt *st;
	int r;

	if (!s || !cb)
		return -EINVAL;
	if (from > INT64_MAX)
		return 0;
	st = s->stmt[STMT_READ_JOURNAL];
	if (sqlite3_stmt_busy(st))
		return -EBUSY;
	sqlite3_bind_int64(st, 1, (int64_t)from);
	for (;;) {
		struct cfs_store_record rec;
		int rc = sqlite3_step(st);

		if (rc == SQLITE_DONE) {
			r = 0;
			break;
		}
		if (rc != SQLITE_ROW) {
			r = store_errno(s->db, rc);
			break;
		}
		rec = (struct cfs_store_record){
			.seq = (uint64_t)sqlite3_column_int64(st, 0),
			.time_ns = sqlite3_column_int64(st, 1),
			.kind = sqlite3_column_int(st, 2),
			.change = sqlite3_column_int(st, 3),
		};
		if ((r = column_text(st, 4, &rec.obj_id)) < 0 ||
		    (r = column_text(st, 5, &rec.obj_name)) < 0 ||
		    (r = column_text(st, 6, &rec.parent_id)) < 0 ||
		    (r = column_text(st, 7, &rec.prop)) < 0 ||
		    (r = column_text(st, 8, &rec.old_value)) < 0 ||
		    (r = column_text(st, 9, &rec.new_value)) < 0)
			break;
		r = cb(ud, &rec);
		if (r != 0)
			break;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

int cfs_store_journal_range(struct cfs_store *s, uint64_t *ret_first, uint64_t *ret_last)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	if (!s || !ret_first || !ret_last)
		return -EINVAL;
	st = s->stmt[STMT_JOURNAL_RANGE];
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		/* min/max of an empty table are NULL, which reads as 0 */
		*ret_first = (uint64_t)sqlite3_column_int64(st, 0);
		*ret_last = (uint64_t)sqlite3_column_int64(st, 1);
	} else {
		r = rc == SQLITE_DONE ? -EIO : store_errno(s->db, rc);
	}
	sqlite3_reset(st);
	return r;
}

int cfs_store_clear(struct cfs_store *s)
{
	if (!s)
		return -EINVAL;
	int r = batch_check(s);
	if (r < 0)
		return r;
	return batch_result(s, exec_sql(s->db, "DELETE FROM keys; DELETE FROM vals; "
					       "DELETE FROM journal;"));
}

int cfs_store_trim_journal(struct cfs_store *s, uint64_t keep_from)
{
	sqlite3_stmt *st;

	if (!s || s->in_batch)
		return -EINVAL;
	if (keep_from <= 1)
		return 0;
	/* seq < keep_from, written as seq <= keep_from - 1 so that any
	 * keep_from past INT64_MAX still deletes everything */
	st = s->stmt[STMT_TRIM_JOURNAL];
	sqlite3_bind_int64(st, 1, keep_from - 1 > INT64_MAX ? INT64_MAX : (int64_t)(keep_from - 1));
	return step_done(s, st);
}
