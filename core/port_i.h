/* SPDX-License-Identifier: MIT */
/* What the files of notification ports share (private to core/).
 *
 * port.h is the contract and says what ports do; the work is split by job:
 *   port.c           the set of ports: opening and closing it, named ports
 *                    made, found, removed and expired, their files, quotas
 *   port_reader.c    readers: formatting records for them, open, close,
 *                    where they start, marks and positions, refill, take,
 *                    rewind
 *   port_snapshot.c  a reader's snapshot start: what the filter wants of
 *                    the model, collected under its read lock and
 *                    formatted after it
 *   port_write.c     lines written to a port (filter and start) and the
 *                    text of a named port's files
 *
 * Locks (port.h): io_lock is taken before the ports lock, which nests
 * outside the model's read lock, which nests outside the journal's lock.
 * "Lock held" below means the ports lock. */
#ifndef CFS_PORT_I_H
#define CFS_PORT_I_H

#include "port.h"

/* A snapshot made for a reader: what it is given first at a snapshot
 * start (port_snapshot.c). */
struct cfs_port_snap {
	struct cfs_buf out; /* the lines and the closing snapshot_end */
	uint64_t seq;	    /* the seq it stands for */
	long lines;	    /* record lines */
};

/* --- port.c: ports and their files --- */

/* The word of a start mode in a port file ("now", "snapshot", "seq",
 * "continue"). */
const char *cfs_port_start_word(enum cfs_start s);
/* A new port with its times set, or NULL. */
struct cfs_port *cfs_port_new(void);
/* NULL is a no-op. */
void cfs_port_free(struct cfs_port *p);
/* Queues a named port's file with p as it is now (lock held); it is
 * written by the next cfs_ports_flush(). 0/-ENOMEM. */
int cfs_port_save(struct cfs_ports *ps, const struct cfs_port *p);
/* Writes the port files queued, in order (lock NOT held: it takes io_lock,
 * then the ports lock for a moment). Once it returns, every change queued
 * before the call is on disk. Returns the first failure of its writes. */
int cfs_ports_flush(struct cfs_ports *ps);

/* --- port.c: quotas --- */

/* What one user other than root and the admin group holds (lock held). */
struct cfs_port_usage {
	size_t named, anon, readers;
	uint64_t pending, watch;
	size_t named_all, named_users; /* every named port; those of such users */
};

struct cfs_port_usage cfs_ports_usage(struct cfs_ports *ps, uint32_t uid);

/* The bytes formatted for rd and not yet read, which count for its user's
 * pending quota. */
static inline uint64_t cfs_reader_pending(const struct cfs_reader *rd)
{
	return rd->out.len;
}

/* -EDQUOT when rd's user holds more formatted unread bytes than allowed
 * (lock held). */
int cfs_ports_check_pending(struct cfs_ports *ps, const struct cfs_reader *rd);
/* What c may still have formatted and unread (lock held); UINT64_MAX: no
 * limit. */
uint64_t cfs_ports_pending_room(struct cfs_ports *ps, const struct cfs_cred *c);

/* --- port_reader.c --- */

/* Appends one line per registration of f that wants r, when c may see r
 * (m NULL: the caller checked). Returns the number of lines, or -ENOMEM.
 * A journal record (snapshot false; journal lock held: the record caches
 * its JSON) is formatted once for all readers. */
long cfs_port_format_matches(const struct cfs_filter *f, const struct cfs_record *r, bool snapshot,
			     const struct cfs_model *m, const struct cfs_cred *c,
			     struct cfs_buf *out);
/* Places a reader where start mode st (and st_seq) says; what it had
 * formatted is dropped. A snapshot start takes snap when it is given (made
 * without the ports lock; it is emptied), or makes one. Lock held. 0, or
 * -EDQUOT when a snapshot puts its user over the pending bytes quota (the
 * reader is then empty), or -ENOMEM. */
int cfs_reader_begin(struct cfs_ports *ps, struct cfs_reader *rd, enum cfs_start st,
		     uint64_t st_seq, struct cfs_port_snap *snap);

/* --- port_snapshot.c --- */

/* Makes a snapshot for a reader with filter f and credentials c; -EDQUOT
 * as soon as it is larger than room bytes (so a refused one costs little).
 * Takes the model's read lock itself; the ports lock may be held or not. */
int cfs_port_snap_make(struct cfs_ports *ps, const struct cfs_filter *f, const struct cfs_cred *c,
		       uint64_t room, struct cfs_port_snap *ret);
/* Frees what s holds and empties it. */
void cfs_port_snap_free(struct cfs_port_snap *s);

#endif
