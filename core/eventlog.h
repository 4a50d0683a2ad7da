/* SPDX-License-Identifier: MIT */
/* The event log: one human-readable line per change record, for `tail -f`.
 *
 * The log is append-only in generations of CFS_EVENTLOG_GEN records: the
 * records with seq in [g*GEN+1, (g+1)*GEN] make generation g. The current
 * generation is the file `log`; the previous one is `log.1`. When a
 * generation is full, `log` starts again empty (like logrotate's
 * copytruncate; `tail -f` reports the truncation and goes on), and the full
 * one becomes `log.1`. So retention is between GEN and 2*GEN records. The
 * text is a pure function of the records, so it is the same after a
 * restart (rebuilt from the journal).
 *
 * Line format (fields separated by one blank; a field with blanks, quotes
 * or control characters is double-quoted, with backslash escapes inside;
 * a backslash alone, as in a registry path, is written as it is):
 *   TIME SEQ KIND CHANGE NAME [PROP] [OLD -> NEW]
 * e.g. "2026-11-22T03:12:45.123456Z 1234 group state web offline -> online".
 * TIME is UTC with microseconds; a missing OLD or NEW is "-". */
#ifndef CFS_EVENTLOG_H
#define CFS_EVENTLOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "journal.h"

#define CFS_EVENTLOG_GEN 32768

struct cfs_eventlog_gen {
	uint64_t first_seq; /* 0: empty */
	struct cfs_buf text;
	int64_t mtime_ns;
};

struct cfs_eventlog {
	pthread_mutex_t lock;
	struct cfs_eventlog_gen cur, prev; /* guarded by lock */
	uint64_t next_seq; /* the seq after the last line (guarded by lock) */
};

/* Builds the log from what the journal holds. 0/-ENOMEM. */
int cfs_eventlog_init(struct cfs_eventlog *el, struct cfs_journal *j);
void cfs_eventlog_free(struct cfs_eventlog *el);
/* Builds the log again from the journal, for a node that took the
 * cluster's state (engine.h, cfs_engine_install): its lines are then the
 * cluster's. 0/-ENOMEM (then the log is left as it was). */
int cfs_eventlog_reset(struct cfs_eventlog *el, struct cfs_journal *j);
/* Appends records (those it has a line for already are skipped); returns
 * 1 if the log rotated, 0 if not, or -ENOMEM. */
int cfs_eventlog_append(struct cfs_eventlog *el, const struct cfs_record *recs, size_t n);
/* Copies bytes [off, off+size) of `log` (which 0) or `log.1` (which 1). */
ssize_t cfs_eventlog_read(struct cfs_eventlog *el, int which, off_t off, char *buf, size_t size);
/* Size and modification time of `log` or `log.1`. */
void cfs_eventlog_stat(struct cfs_eventlog *el, int which, uint64_t *ret_size,
		       int64_t *ret_mtime_ns);
/* One record's line (with its newline). */
int cfs_eventlog_format(const struct cfs_record *r, struct cfs_buf *out);

#endif
