/* SPDX-License-Identifier: MIT */
/* What the files of notification ports share (private to core/).
 *
 * port.h is the contract and says what ports do; the work is split by job:
 *   port.c           the set of ports: opening and closing it, named ports
 *                    made, found, removed and expired, their files, quotas
 *   port_snapshot.c  a reader's snapshot start: what the filter wants of
 *                    the model, collected under its read lock and
 *                    formatted after it
 *
 * Locks (port.h): io_lock is taken before the ports lock, which nests
 * outside the model's read lock, which nests outside the journal's lock.
 * "Lock held" below means the ports lock. */
#ifndef CFS_PORT_I_H
#define CFS_PORT_I_H

#include "port.h"

/* --- port.c --- */

/* Appends one line per registration of f that wants r, when c may see r
 * (m NULL: the caller checked). Returns the number of lines. A journal
 * record (cache allowed) is formatted once for all readers. */
long cfs_port_format_matches(const struct cfs_filter *f, const struct cfs_record *r, bool snapshot,
			     const struct cfs_model *m, const struct cfs_cred *c,
			     struct cfs_buf *out);

/* --- port_snapshot.c --- */

/* A snapshot made for a reader: what it is given first at a snapshot
 * start. */
struct cfs_port_snap {
	struct cfs_buf out; /* the lines and the closing snapshot_end */
	uint64_t seq;	    /* the seq it stands for */
	long lines;	    /* record lines */
};

/* Makes a snapshot for a reader with filter f and credentials c; -EDQUOT
 * as soon as it is larger than room bytes (so a refused one costs little).
 * Takes the model's read lock itself; the ports lock may be held or not. */
int cfs_port_snap_make(struct cfs_ports *ps, const struct cfs_filter *f, const struct cfs_cred *c,
		       uint64_t room, struct cfs_port_snap *ret);
/* Frees what s holds and empties it. */
void cfs_port_snap_free(struct cfs_port_snap *s);

#endif
