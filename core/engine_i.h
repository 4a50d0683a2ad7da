/* SPDX-License-Identifier: MIT */
/* What engine.c shares with engine_sync.c (taking and installing whole
 * states); not for other modules. */
#ifndef CFS_ENGINE_I_H
#define CFS_ENGINE_I_H

#include "engine.h"
#include "store.h"

struct cfs_store;

/* Writes one record's persisted fields to the store (inside a batch). */
int cfs_engine_put_record(struct cfs_store *s, const struct cfs_record *c);

/* Calls every commit listener with recs (committer thread). */
void cfs_engine_call_listeners(struct cfs_engine *e, const struct cfs_record *recs, size_t n);

/* Writes one registry value, flags and security included, into the
 * store's current batch. */
int cfs_engine_put_value(struct cfs_store *s, const struct cfs_value *v);
/* The registry root: not a row but meta values (its time and security). */
int cfs_engine_put_root(struct cfs_store *s, const struct cfs_key *k);

#endif
