/* SPDX-License-Identifier: MIT */
/* Change records and the in-memory journal.
 *
 * Every applied command yields an ordered list of typed change records,
 * each with a 64-bit sequence number that increases by one per record,
 * across restarts (the store keeps the counter and the records). The
 * in-memory journal keeps the most recent CFS_JOURNAL_RING records for
 * readers that resume (ports, the event log); older ones are read back from
 * the store. It has its own lock: publishing never takes the model lock. */
#ifndef CFS_JOURNAL_H
#define CFS_JOURNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

enum cfs_change {
	CFS_CH_ADDED,	  /* object created */
	CFS_CH_DELETED,	  /* object deleted */
	CFS_CH_RENAMED,	  /* old_value/new_value: names */
	CFS_CH_STATE,	  /* old_value/new_value: state words */
	CFS_CH_PROPERTY,  /* prop: value name; old/new: text forms */
	CFS_CH_OWNER,	  /* group owner node: names */
	CFS_CH_PREFERRED_OWNERS,
	CFS_CH_POSSIBLE_OWNERS,
	CFS_CH_DEPENDENCIES,
	CFS_CH_GROUP,	  /* resource moved to another group: names */
	CFS_CH_MEMBER_ADDED,   /* group gained a resource: new_value = name */
	CFS_CH_MEMBER_REMOVED, /* group lost a resource: old_value = name */
	CFS_CH_KEY_ADDED,      /* registry: obj_name = key path */
	CFS_CH_KEY_DELETED,
	CFS_CH_KEY_RENAMED,
	CFS_CH_VALUE_SET,      /* registry: prop = value name */
	CFS_CH_VALUE_DELETED,
	CFS_CH_SECURITY,       /* registry: old/new "mode uid gid" */
	CFS_CH_VALUE_RENAMED,  /* registry: prop = new name; old/new: the names */
	CFS_CH_GROUP_GAINED,   /* node: a group moved to it; prop = the group's id, new = its name */
	CFS_CH_GROUP_LOST,     /* node: a group moved away; prop = the group's id, old = its name */
	CFS_CH_DEPENDENTS,     /* resource: what depends on it; old/new: names; prop: the new ids */
	CFS_CH_COUNT,
};

const char *cfs_change_name(enum cfs_change c);
int cfs_change_parse(const char *s);

struct cfs_record {
	uint64_t seq;
	int64_t time_ns;
	enum cfs_kind kind;
	enum cfs_change change;
	char *obj_id;	 /* object id; registry: "" */
	char *obj_name;	 /* object name; registry: key path */
	char *parent_id; /* group: owner node; resource: group; netif: node */
	char *prop;	 /* property or value name, or NULL */
	char *old_value; /* NULL when not applicable */
	char *new_value;
	/* Where it happened, for cache invalidation in fs/ (not persisted):
	 * the registry key id of the object or registry key, and for registry
	 * value records the value id. */
	uint64_t key_id;
	uint64_t value_id; /* member records: the resource's key id */
	uint64_t parent_key_id; /* registry key records: the parent key */
	/* The submitter's token for the batch that made it (see
	 * cfs_engine_submit_from); valid only during the commit listener
	 * call, NULL in the journal. */
	const void *origin;
	unsigned flags; /* CFS_REC_*; in memory only */
	/* The security of the key at key_id and of its ancestors, root
	 * first, when the record was made (access.h: used once the key is
	 * gone). In memory only: NULL in records reloaded from the store. */
	struct cfs_sec *sec;
	uint32_t nsec;
	/* Port readers' cache of this record's JSON up to its "key" value
	 * (port_reader.c), filled under the journal lock; never copied. */
	char *json;
	size_t json_len;
	/* The one block holding the six strings above in a copy
	 * (cfs_record_copy), or NULL when they are allocated one by one. */
	void *mem;
};

/* A registry value record that created the value (not just changed it). */
#define CFS_REC_CREATED 1u
/* A registry deletion made by a rename onto the deleted name (the rename
 * record follows in the same command): rename(2) replacing its target. */
#define CFS_REC_REPLACED 2u

void cfs_record_clear(struct cfs_record *r);
/* Deep copy. 0 or -ENOMEM. */
int cfs_record_copy(struct cfs_record *dst, const struct cfs_record *src);

#define CFS_JOURNAL_RING 65536

struct cfs_journal {
	pthread_mutex_t lock;
	struct cfs_record *ring; /* CFS_JOURNAL_RING slots; guarded by lock */
	uint64_t first_seq;	 /* oldest seq in the ring; guarded by lock */
	uint64_t next_seq;	 /* seq the next published record gets */
};

int cfs_journal_init(struct cfs_journal *j, uint64_t next_seq);
void cfs_journal_free(struct cfs_journal *j);
/* Appends copies of n records (their seqs must be next_seq, next_seq+1,
 * ...). 0 or -ENOMEM (then nothing was appended). */
int cfs_journal_publish(struct cfs_journal *j, const struct cfs_record *recs, size_t n);
/* Loads one old record at start-up (records come in increasing seq, each
 * below the journal's next_seq; the newest ones are kept if there are more
 * than the ring holds). 0 or -ENOMEM. */
int cfs_journal_load(struct cfs_journal *j, const struct cfs_record *rec);
/* Replaces everything with n records (increasing consecutive seqs ending
 * just below next_seq; copied) and sets next_seq: for a node that took
 * another node's state. 0 or -ENOMEM (then nothing changed). */
int cfs_journal_reset(struct cfs_journal *j, const struct cfs_record *recs, size_t n,
		      uint64_t next_seq);
/* Oldest seq still in memory. */
uint64_t cfs_journal_first_seq(struct cfs_journal *j);
/* Copies the record with seq into *ret. 0, -ENOENT (not yet published) or
 * -ESTALE (no longer in the ring). */
int cfs_journal_get(struct cfs_journal *j, uint64_t seq, struct cfs_record *ret);
uint64_t cfs_journal_next_seq(struct cfs_journal *j);
/* Calls fn for each record with from <= seq < to that is in memory, in
 * order, under the journal's lock (fn must be quick and must not call
 * back into the journal). fn returns non-zero to stop BEFORE consuming
 * that record; the value is returned and *ret_next is that record's seq
 * (otherwise the seq after the last one visited). -ESTALE when from is
 * below the oldest record in memory (evicted, possibly after the caller
 * asked cfs_journal_first_seq(): only the committer sees the journal hold
 * still): nothing is visited and *ret_next is the oldest seq in memory. */
int cfs_journal_scan(struct cfs_journal *j, uint64_t from, uint64_t to,
		     int (*fn)(const struct cfs_record *r, void *ud), void *ud, uint64_t *ret_next);

/* Folds the record's persisted fields into a running history hash (64-bit
 * FNV-1a): two nodes whose hashes agree after the same sequence number
 * made the same records. Not a cryptographic digest: it detects
 * divergence between honest nodes, nothing more. */
uint64_t cfs_record_hash(uint64_t h, const struct cfs_record *r);
/* Whether two records have the same persisted fields. */
bool cfs_record_equal(const struct cfs_record *a, const struct cfs_record *b);

/* Appends one JSON object for the record (no newline) to out. */
int cfs_record_to_json(const struct cfs_record *r, struct cfs_buf *out);

#endif
