/* SPDX-License-Identifier: MIT */
/* Durable store of the embedded back-end: the registry (keys and values)
 * and the journal, in SQLite (WAL mode, synchronous=FULL) under a state
 * directory. Only the engine's committer thread uses a store; it is not
 * thread-safe. Every function returns 0 or -errno (SQLite errors map to
 * -EIO, a full disk to -ENOSPC, a busy/locked database to -EBUSY).
 *
 * A write batch is begin, any number of put/del calls, then commit (or
 * rollback). Nothing is durable before cfs_store_commit() returns 0, and
 * everything is durable after it does (it survives kill -9 and power loss
 * as far as fsync does). A batch whose commit failed does not come back in
 * a later recovery either, unless the disk kept failing until the crash. */
#ifndef CFS_STORE_H
#define CFS_STORE_H

#include <stddef.h>
#include <stdint.h>

struct cfs_store;

/* One persisted journal record. Strings may be NULL (stored as NULL). */
struct cfs_store_record {
	uint64_t seq;
	int64_t time_ns;
	int kind;   /* enum cfs_kind */
	int change; /* enum cfs_change */
	const char *obj_id;
	const char *obj_name;
	const char *parent_id;
	const char *prop;
	const char *old_value;
	const char *new_value;
};

/* One persisted registry value. flags, mode, uid and gid are struct
 * cfs_value's (registry.h); the store keeps them without looking. */
struct cfs_store_value {
	uint64_t id;
	uint64_t key;
	const char *name;
	uint32_t type;
	const void *data;
	size_t len;
	int64_t mtime_ns;
	uint32_t flags;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
};

struct cfs_store_loader {
	/* Called for each key in increasing id order (so a parent always comes
	 * before its children; the root, id 1, is not stored). */
	int (*key)(void *ud, uint64_t id, uint64_t parent, const char *name, uint32_t mode,
		   uint32_t uid, uint32_t gid, int64_t mtime_ns);
	/* Called for each value, in increasing id order, after all keys
	 * (data is never NULL, even when empty). */
	int (*value)(void *ud, const struct cfs_store_value *v);
};

/* Opens or creates DIR/cluster.db (DIR is created with mode 0700 if
 * missing). A store of an older schema is upgraded in place (version 1,
 * before values had flags and their own security, becomes version 2); a
 * newer one is -EPROTONOSUPPORT. Takes an exclusive advisory lock on DIR/lock so that two
 * daemons never share a state directory: -EBUSY if another holds it. */
int cfs_store_open(const char *dir, struct cfs_store **ret);
void cfs_store_free(struct cfs_store *s);

/* Streams the whole registry to the loader; a non-zero return from a
 * callback stops loading and is returned. */
int cfs_store_load(struct cfs_store *s, const struct cfs_store_loader *ld, void *ud);

/* Small persistent counters ("next_id", "next_seq", ...). Missing -> 0. */
int cfs_store_get_meta(struct cfs_store *s, const char *name, uint64_t *ret);

int cfs_store_begin(struct cfs_store *s);
int cfs_store_put_key(struct cfs_store *s, uint64_t id, uint64_t parent, const char *name,
		      uint32_t mode, uint32_t uid, uint32_t gid, int64_t mtime_ns);
int cfs_store_del_key(struct cfs_store *s, uint64_t id);
int cfs_store_put_value(struct cfs_store *s, const struct cfs_store_value *v);
int cfs_store_del_value(struct cfs_store *s, uint64_t id);
int cfs_store_set_meta(struct cfs_store *s, const char *name, uint64_t v);
int cfs_store_put_record(struct cfs_store *s, const struct cfs_store_record *rec);
/* Deletes every key, value and journal record (meta stays), inside a
 * batch: for a node that takes another node's whole state. */
int cfs_store_clear(struct cfs_store *s);
int cfs_store_commit(struct cfs_store *s);
void cfs_store_rollback(struct cfs_store *s);

/* Journal reading: calls cb for each record with seq >= from, in order,
 * until cb returns non-zero (which is returned). */
int cfs_store_read_journal(struct cfs_store *s, uint64_t from,
			   int (*cb)(void *ud, const struct cfs_store_record *rec), void *ud);
/* Lowest and highest retained seq (both 0 when the journal is empty). */
int cfs_store_journal_range(struct cfs_store *s, uint64_t *ret_first, uint64_t *ret_last);
/* Deletes journal records with seq < keep_from (own transaction; must not
 * be called inside a batch). */
int cfs_store_trim_journal(struct cfs_store *s, uint64_t keep_from);

#endif
