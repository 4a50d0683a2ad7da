/* SPDX-License-Identifier: MIT */
/* State snapshots: the whole replicated state of a node in one buffer, for
 * a node that joins a cluster to take over (replica.c streams it in
 * chunks).
 *
 * A snapshot holds the registry (every key and value with its id, so that
 * inode numbers stay the same on every node), the counters that must
 * agree across nodes (next registry id, next journal sequence number, the
 * history fingerprint and the cluster generation) and the retained
 * journal, so that ports and the event log can resume on the new node from
 * any sequence number the source still had. */
#ifndef CFS_SNAPSHOT_H
#define CFS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "model.h"
#include "util.h"

struct cfs_snapshot_meta {
	uint64_t next_id;    /* the registry's next id */
	uint64_t next_seq;   /* the journal's next sequence number */
	int64_t root_mtime;  /* the registry root's mtime (not a row) */
	uint32_t root_mode, root_uid, root_gid; /* and its security */
	uint64_t hist;	     /* the history fingerprint (engine.h) */
	uint64_t generation; /* the cluster generation (replica.c) */
};

/* Appends the registry of m (keys parents first, then values) and meta. */
int cfs_snapshot_encode(const struct cfs_model *m, const struct cfs_snapshot_meta *meta,
			struct cfs_buf *out);
/* Then the records, in increasing consecutive seqs ending just below
 * meta->next_seq: their count, then each record's persisted fields. */
int cfs_snapshot_put_count(struct cfs_buf *out, size_t n);
int cfs_snapshot_put_record(struct cfs_buf *out, const struct cfs_record *r);

/* A decoded snapshot: an indexed model, its meta and the records (each
 * with only its persisted fields). */
struct cfs_snapshot {
	struct cfs_model model;
	struct cfs_snapshot_meta meta;
	struct cfs_record *recs;
	size_t nrecs;
};

/* Decodes a whole snapshot. Everything is checked: ids, parents before
 * children, names, counts, record order. 0, -ENOMEM, or -EINVAL with a
 * static reason. On failure *ret is left empty. */
int cfs_snapshot_decode(const void *p, size_t len, struct cfs_snapshot *ret,
			const char **why);
void cfs_snapshot_free(struct cfs_snapshot *s);

#endif
