/* SPDX-License-Identifier: MIT */
/* Notification ports: a subscriber's own filtered, ordered stream of
 * change records.
 *
 * A port has a filter (filter.h) and any number of readers. Each reader
 * has its own cursor into the global journal, so readers never slow the
 * daemon and never see records out of order. The journal's in-memory ring
 * bounds every backlog. A reader that falls behind the ring gets ONE
 * overflow record naming the sequence numbers it lost, then continues with
 * the oldest record still there.
 *
 * Named ports are durable: they are kept as small files under
 * STATE_DIR/ports/ (written atomically and fsynced before the mkdir that
 * made them is answered), with their filter, start mode, and the position
 * their readers reached. Anonymous ports live as long as their one reader.
 *
 * Where a new reader starts is the port's start mode:
 *   now        records committed from now on (the default);
 *   snapshot   one record per existing object, key and value that the
 *              filter wants ("snapshot":true), then a snapshot_end marker
 *              carrying the sequence number S, then every record from S on:
 *              no gap and no overlap;
 *   SEQ        resume: records from sequence number SEQ on (an explicit
 *              error record first if SEQ is no longer retained);
 *   continue   from the position where this port's readers stopped.
 *
 * Records are JSON Lines (cfs_record_to_json plus "v1", "v2type",
 * "v2flags" and "key"); one line per matching registration.
 *
 * Thread safety: every function takes the ports lock itself, except where
 * noted. It nests outside the journal's lock and the model's read lock. */
#ifndef CFS_PORT_H
#define CFS_PORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "filter.h"

#define CFS_PORTS_MAX 4096 /* named ports (ENOSPC) */

enum cfs_start { CFS_START_NOW, CFS_START_SNAPSHOT, CFS_START_SEQ, CFS_START_CONTINUE };

struct cfs_reader;

struct cfs_port {
	uint64_t id;   /* stable id of a named port (inode numbers); 0 if anonymous */
	char *name;    /* NULL for an anonymous port */
	uint32_t uid;  /* owner (the creator) */
	struct cfs_filter filter;
	enum cfs_start start;
	uint64_t start_seq;
	uint64_t position; /* lowest seq no reader has been given yet (for continue) */
	uint64_t delivered, dropped;
	bool closed;   /* removed: readers get a closing record, then EOF */
	struct cfs_vec readers;
	int64_t ctime_ns;
};

/* Where one record's lines end in a reader's out buffer. */
struct cfs_out_mark {
	size_t end;    /* offset in out after the record's lines */
	uint64_t next; /* the record's seq + 1 */
};

struct cfs_reader {
	struct cfs_port *port;
	uint64_t cursor;    /* next seq to look at */
	struct cfs_buf out; /* formatted, not yet delivered */
	size_t out_off;
	/* Where the reader stopped (the port's position, for "continue"):
	 * every record below `given` was taken whole or not wanted. Records
	 * formatted into out count only once all their lines are taken;
	 * marks[mark_head..nmarks) say where each one's lines end. */
	uint64_t given;
	struct cfs_out_mark *marks;
	size_t mark_head, nmarks, mark_cap;
	bool started;
	bool closed_sent;
	bool overflowed;    /* an overflow record is owed */
	uint64_t lost_from, lost_to;
	void *user;	    /* fs/: parked request and poll handle */
};

struct cfs_ports {
	pthread_mutex_t lock;
	struct cfs_engine *e;
	char *dir;	       /* STATE_DIR/ports */
	struct cfs_vec ports;  /* every port, named and anonymous */
	uint64_t next_id;      /* for named ports */
};

/* Loads the named ports from STATE_DIR/ports. 0/-errno. */
int cfs_ports_open(struct cfs_ports *ps, struct cfs_engine *e, const char *state_dir);
/* Saves positions and frees everything (readers must be gone). */
void cfs_ports_close(struct cfs_ports *ps);

/* Named ports (callers hold the lock for lookups they keep using). */
struct cfs_port *cfs_port_find(struct cfs_ports *ps, const char *name);	 /* lock held */
struct cfs_port *cfs_port_by_id(struct cfs_ports *ps, uint64_t id);	 /* lock held */
/* Creates a named port, durably. -EEXIST, -EINVAL (bad name), -ENOSPC. */
int cfs_port_create(struct cfs_ports *ps, const char *name, uint32_t uid, uint64_t *ret_id);
/* Removes a named port: its file goes, its readers get a closing record. */
int cfs_port_remove(struct cfs_ports *ps, const char *name);

/* A reader of a named port (by id), or of a new anonymous port. */
int cfs_reader_open(struct cfs_ports *ps, uint64_t port_id, struct cfs_reader **ret);
int cfs_reader_open_anon(struct cfs_ports *ps, uint32_t uid, struct cfs_reader **ret);
/* Closes a reader (and its port if anonymous); saves a named port's
 * position. */
void cfs_reader_close(struct cfs_ports *ps, struct cfs_reader *rd);

/* Applies written text to a reader's port: complete lines, each a filter
 * line (filter.h) or "start now|snapshot|continue|SEQ" (which restarts
 * this reader there). All lines apply or none. 0/-errno, reason in *why. */
int cfs_reader_write(struct cfs_ports *ps, struct cfs_reader *rd, const char *text, size_t len,
		     const char **why);
/* Applies filter lines to a named port (the filter file). */
int cfs_port_write_filter(struct cfs_ports *ps, uint64_t port_id, const char *text, size_t len,
			  const char **why);
/* Sets a named port's start mode ("now", "snapshot", "continue", SEQ). */
int cfs_port_write_start(struct cfs_ports *ps, uint64_t port_id, const char *text, size_t len);

/* Takes up to size-1 bytes for a reader (whole lines when they fit):
 * bytes (>0), 0 at the end of a closed port, or -EAGAIN when nothing is
 * there yet. Lock held by the caller. */
ssize_t cfs_reader_take(struct cfs_ports *ps, struct cfs_reader *rd, char *buf, size_t size);
/* True when cfs_reader_take() would not return -EAGAIN. Lock held. */
bool cfs_reader_ready(struct cfs_ports *ps, struct cfs_reader *rd);

/* Text of a named port's files. */
int cfs_port_render(struct cfs_ports *ps, uint64_t port_id, const char *file,
		    struct cfs_buf *out);

/* One port record as JSON (no newline). key: the registration's notify key. */
int cfs_port_format(const struct cfs_record *r, uint64_t key, bool snapshot,
		    struct cfs_buf *out);

#endif
