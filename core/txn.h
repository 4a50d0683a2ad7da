/* SPDX-License-Identifier: MIT */
/* Transactions: the only way the model is mutated.
 *
 * A transaction wraps the registry's raw mutators and the model's indexes
 * so that (1) every mutation has an undo entry, which makes a command, or a
 * whole batch of them, atomic: on error everything since a mark is rolled
 * back; (2) every touched key or value id is remembered, so the store can
 * persist exactly what changed; (3) change records are collected with
 * consecutive sequence numbers. Registry-level records (value set, key
 * added, ...) are emitted automatically by the mutators, and so is a state
 * record by cfs_txn_set_state (apply.c and cmm.c both change states);
 * other object-level records (owner, members, ...) by the apply code. */
#ifndef CFS_TXN_H
#define CFS_TXN_H

#include "journal.h"
#include "model.h"

struct cfs_txn {
	struct cfs_model *m;
	int64_t now_ns;	 /* the current command's time */
	uint64_t next_seq;
	struct cfs_vec undo;  /* struct cfs_undo * */
	struct cfs_vec dirty; /* (id << 1) | is_value, as uintptr_t */
	struct cfs_record *recs;
	size_t nrecs, caprecs;
	/* Group whose derived state is recomputed only at the end of the
	 * current group-wide operation (avoids flapping records). */
	struct cfs_object *defer_group;
	/* Copied into every record made: the current batch's origin token. */
	const void *origin;
};

struct cfs_txn_mark {
	size_t undo, dirty, recs;
	uint64_t seq;
};

void cfs_txn_init(struct cfs_txn *t, struct cfs_model *m, uint64_t next_seq);
struct cfs_txn_mark cfs_txn_mark(const struct cfs_txn *t);
/* Undoes everything after mark, newest first. */
void cfs_txn_rollback(struct cfs_txn *t, struct cfs_txn_mark mark);
/* Forgets undo information (after a durable commit) and frees what the
 * undone-never changes left behind (deleted objects). Records and dirty
 * ids stay until cfs_txn_free(). */
void cfs_txn_forget(struct cfs_txn *t);
void cfs_txn_free(struct cfs_txn *t);

/* Registry mutations (they also emit registry records). */
int cfs_txn_add_key(struct cfs_txn *t, struct cfs_key *parent, const char *name, uint32_t mode,
		    uint32_t uid, uint32_t gid, struct cfs_key **ret);
/* Deletes a key and everything below it, children first. */
int cfs_txn_del_key(struct cfs_txn *t, struct cfs_key *key);
int cfs_txn_rename_key(struct cfs_txn *t, struct cfs_key *key, const char *name);
int cfs_txn_set_security(struct cfs_txn *t, struct cfs_key *key, uint32_t mode, uint32_t uid,
			 uint32_t gid);
/* Creates or replaces a value with an explicit type (flags 0); a no-op
 * (no record) when type, flags and data are equal. A value's own security
 * stays; a new value's follows its key. */
int cfs_txn_set_value(struct cfs_txn *t, struct cfs_key *key, const char *name, uint32_t type,
		      const void *data, size_t len);
/* The same with CFS_VAL_UNTYPED / CFS_VAL_NOEOL (registry.h) as given. */
int cfs_txn_set_value_flags(struct cfs_txn *t, struct cfs_key *key, const char *name,
			    uint32_t type, uint32_t flags, const void *data, size_t len);
/* Gives a value its own mode and owner (a security record naming it). */
int cfs_txn_set_value_security(struct cfs_txn *t, struct cfs_value *val, uint32_t mode,
			       uint32_t uid, uint32_t gid);
int cfs_txn_del_value(struct cfs_txn *t, struct cfs_value *val);
int cfs_txn_rename_value(struct cfs_txn *t, struct cfs_value *val, const char *name);
/* cfs_txn_set_value of a DWORD (little-endian, as the registry stores it). */
int cfs_txn_set_dword(struct cfs_txn *t, struct cfs_key *key, const char *name, uint32_t v);

/* Object index mutations. */
int cfs_txn_obj_add(struct cfs_txn *t, enum cfs_kind kind, struct cfs_key *key,
		    struct cfs_object **ret);
/* Unindexes obj and deletes its key (with everything below it). */
int cfs_txn_obj_del(struct cfs_txn *t, struct cfs_object *obj);
/* Sets Name and updates the name index. */
int cfs_txn_obj_rename(struct cfs_txn *t, struct cfs_object *obj, const char *name);
int cfs_txn_member_add(struct cfs_txn *t, struct cfs_object *group, struct cfs_object *res);
int cfs_txn_member_del(struct cfs_txn *t, struct cfs_object *group, struct cfs_object *res);
/* Sets an object's State and records the transition (a state record with
 * the old and new state words); a no-op, without record, when equal. */
int cfs_txn_set_state(struct cfs_txn *t, struct cfs_object *obj, uint32_t state);

/* Appends a record (strings copied; NULL allowed) and gives it the next
 * sequence number. */
int cfs_txn_record(struct cfs_txn *t, enum cfs_kind kind, enum cfs_change change,
		   const struct cfs_object *obj, const char *prop, const char *old_value,
		   const char *new_value);
/* Lower level: a record filled by the caller (strings are copied). */
int cfs_txn_record_raw(struct cfs_txn *t, const struct cfs_record *rec);

#endif
