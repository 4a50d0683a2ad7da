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
 * Who sees what (access.h): each reader has the credentials it was opened
 * with, and gets a record only when those may read what the record is
 * about, checked against the current model as the record is formatted for
 * it. Snapshots skip the keys and values the reader may not read.
 *
 * A reader's position: every reader's bytes have offsets (the file offset
 * of its open file). A record counts as consumed by the reader when the
 * reader has been given all of its lines; a named port's position (where
 * "continue" starts) is the first record its readers have not consumed,
 * and moves forward only. A "seekable" reader (an events file opened
 * read-only: tools) gets at most one line per read and may read again
 * what it was last given (a tool that read ahead and seeks back), so what
 * it was given is what the tool used.
 *
 * Limits (struct cfs_port_limits): root and the admin group are limited
 * only by the global count of named ports, of which a reserve is theirs
 * alone; every other user has its own quota of named ports, anonymous
 * ports, readers, registrations per port, registrations of all its
 * readers (what one record can cost it) and formatted unread bytes, and
 * gets -EDQUOT past it. Named ports of other users that no reader has
 * opened for the expiry time are removed (cfs_ports_expire).
 *
 * Thread safety: every function takes the ports lock itself, except where
 * noted. It nests outside the model's read lock, which nests outside the
 * journal's lock.
 *
 * The code is split by job; core/port_i.h says which file does what. */
#ifndef CFS_PORT_H
#define CFS_PORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "access.h"
#include "engine.h"
#include "filter.h"

#define CFS_PORTS_MAX 4096	   /* named ports in all (ENOSPC) */
#define CFS_PORTS_ADMIN_RESERVE 256 /* of those, only root and the admin group's */

/* Per-user quotas of users other than root and the admin group (EDQUOT),
 * and the idle expiry of their named ports; 0 means no limit (no expiry). */
struct cfs_port_limits {
	uint32_t ports;	   /* named ports a user owns */
	uint32_t anon;	   /* anonymous ports (open ports/clone) */
	uint32_t readers;  /* open events files of named ports */
	uint32_t filter;   /* registration lines in one port, as this user writes them */
	uint32_t watch;	   /* registration lines of all its readers together (a reader
			    * counts its port's): the lines one record can make for it */
	uint64_t pending;  /* bytes formatted for its readers and not yet read */
	int64_t expiry_ns; /* a named port no reader has opened for this long goes */
};

#define CFS_PORT_LIMITS_DEFAULT                                                              \
	((struct cfs_port_limits){.ports = 64, .anon = 256, .readers = 256, .filter = 256,   \
				  .watch = 1024, .pending = 64u << 20,                      \
				  .expiry_ns = 7 * 86400 * 1000000000ll})

enum cfs_start { CFS_START_NOW, CFS_START_SNAPSHOT, CFS_START_SEQ, CFS_START_CONTINUE };

struct cfs_reader;

struct cfs_port {
	uint64_t id;   /* stable id of a named port (inode numbers); 0 if anonymous */
	char *name;    /* NULL for an anonymous port */
	uint32_t uid;  /* owner (the creator) */
	bool admin;    /* the creator was root or in the admin group: no quota, no expiry */
	struct cfs_filter filter;
	uint64_t filter_gen; /* counts changes of filter (a refused write's undo) */
	enum cfs_start start;
	uint64_t start_seq;
	uint64_t position; /* lowest seq no reader has been given yet */
	uint64_t delivered, dropped;
	bool closed;   /* removed: readers get a closing record, then EOF */
	struct cfs_vec readers;
	int64_t ctime_ns;
	int64_t atime_ns; /* when it last had a reader (idle since), kept on disk */
};

/* Where a reader's consumption stands after out[0..end): the first record
 * not consumed, and how many record lines (for "delivered") it took. */
struct cfs_mark {
	size_t end;
	uint64_t seq;
	uint32_t lines;
};

struct cfs_reader {
	struct cfs_port *port;
	struct cfs_cred cred; /* taken at open: decides what it sees */
	bool seekable;	    /* one line per read; may re-read its last lines */
	uint64_t cursor;    /* next seq to look at */
	struct cfs_buf out; /* formatted; [out_off, len) not yet delivered */
	size_t out_off;
	uint64_t off;	    /* file offset of out[out_off] */
	uint64_t seq0;	    /* first record not consumed at out[0] (0: unknown) */
	struct cfs_mark *marks; /* by increasing end */
	size_t nmarks, capmarks;
	bool started;
	bool closed_sent;
	bool overflowed;    /* an overflow record is owed */
	uint64_t lost_from, lost_to;
	void *user;	    /* fs/: parked request and poll handle */
	/* Holds (cfs_reader_hold) keep a closed reader's memory until the
	 * last is dropped; a closed reader is dead: only refs and dead may
	 * be looked at (its port may be gone). */
	unsigned refs;
	bool dead;
};

struct cfs_ports {
	pthread_mutex_t lock;
	struct cfs_engine *e;
	char *dir;	       /* STATE_DIR/ports */
	struct cfs_vec ports;  /* every port, named and anonymous */
	uint64_t next_id;      /* for named ports */
	struct cfs_port_limits lim;
	int64_t last_sweep;    /* of cfs_ports_expire */
	/* Port files to write or remove, in order (port.c: "Port files");
	 * io_lock is taken before lock, and is held while they are written. */
	struct cfs_vec io_queue;
	pthread_mutex_t io_lock;
};

/* Loads the named ports from STATE_DIR/ports. lim: NULL for the
 * defaults. 0/-errno. */
int cfs_ports_open(struct cfs_ports *ps, struct cfs_engine *e, const char *state_dir,
		   const struct cfs_port_limits *lim);
/* Saves positions and frees everything (readers must be gone). */
void cfs_ports_close(struct cfs_ports *ps);

/* The engine replaced this node's records >= fork with the cluster's
 * (engine.h, struct cfs_engine_reset; old_next was its next seq): a
 * reader that looked at any of them gets an overflow record (reason
 * "replaced", lost_from..lost_to) and then the cluster's records from
 * fork; what it had formatted and not been given is dropped, and named
 * ports' positions past fork go back to it. */
void cfs_ports_rewind(struct cfs_ports *ps, uint64_t fork, uint64_t old_next);

/* Named ports (callers hold the lock for lookups they keep using). */
struct cfs_port *cfs_port_find(struct cfs_ports *ps, const char *name);	 /* lock held */
struct cfs_port *cfs_port_by_id(struct cfs_ports *ps, uint64_t id);	 /* lock held */
/* Creates a named port owned by c, durably. -EEXIST, -EINVAL (bad name),
 * -EDQUOT (c's quota), -ENOSPC (all ports, or all that other users than
 * root and the admin group may have). */
int cfs_port_create(struct cfs_ports *ps, const char *name, const struct cfs_cred *c,
		    uint64_t *ret_id);
/* Removes the named ports of users other than root and the admin group
 * that have had no reader for the expiry time (at now_ns, wall clock),
 * unless the last such sweep was less than every_ns ago. Returns how many
 * went. */
int cfs_ports_expire(struct cfs_ports *ps, int64_t now_ns, int64_t every_ns);
/* Removes a named port: its file goes, its readers get a closing record. */
int cfs_port_remove(struct cfs_ports *ps, const char *name);

/* A reader with credentials c (copied) of a named port (by id), or of a
 * new anonymous port. -ENOENT, -EDQUOT (c's quota of readers, anonymous
 * ports, registrations of its readers, or pending bytes: a snapshot
 * start), -ENOMEM. */
int cfs_reader_open(struct cfs_ports *ps, uint64_t port_id, const struct cfs_cred *c,
		    bool seekable, struct cfs_reader **ret);
int cfs_reader_open_anon(struct cfs_ports *ps, const struct cfs_cred *c,
			 struct cfs_reader **ret);
/* Keeps rd's memory while the ports lock is released (lock held). */
void cfs_reader_hold(struct cfs_reader *rd);
/* Drops a hold (lock held); frees a dead reader with its last hold. */
void cfs_reader_drop(struct cfs_reader *rd);
/* Closes a reader (and its port if anonymous); saves a named port's
 * position (what the reader consumed). */
void cfs_reader_close(struct cfs_ports *ps, struct cfs_reader *rd);

/* Applies written text to a reader's port: complete lines, each a filter
 * line (filter.h) or "start now|snapshot|continue|SEQ" (which restarts
 * this reader there). All lines apply or none. The reader's credentials
 * count for the quotas. 0/-errno, reason in *why. */
int cfs_reader_write(struct cfs_ports *ps, struct cfs_reader *rd, const char *text, size_t len,
		     const char **why);
/* Applies filter lines to a named port (the filter file), written by c. */
int cfs_port_write_filter(struct cfs_ports *ps, uint64_t port_id, const struct cfs_cred *c,
			  const char *text, size_t len, const char **why);
/* Sets a named port's start mode ("now", "snapshot", "continue", SEQ). */
int cfs_port_write_start(struct cfs_ports *ps, uint64_t port_id, const char *text, size_t len);

/* Takes bytes for a reader's read of size bytes at file offset off:
 * whole lines when they fit, less than size unless size is 1 (a read
 * that fills its request makes the kernel ask for more), and for a
 * seekable reader at most one line. Returns bytes (>0), 0 at the end of a
 * closed port, -EAGAIN when nothing is there yet, or -EINVAL for an
 * offset a seekable reader cannot serve (before what it was last given,
 * or past what it was given). Lock held by the caller. */
ssize_t cfs_reader_take(struct cfs_ports *ps, struct cfs_reader *rd, uint64_t off, char *buf,
			size_t size);
/* The same, appending the bytes to dst (empty: what the reply is sent
 * from) rather than copying them to a buffer of size bytes: a stream
 * reader that keeps up has its records formatted straight into dst. */
ssize_t cfs_reader_take_buf(struct cfs_ports *ps, struct cfs_reader *rd, uint64_t off,
			    struct cfs_buf *dst, size_t size);
/* True when cfs_reader_take() would not return -EAGAIN. Lock held. */
bool cfs_reader_ready(struct cfs_ports *ps, struct cfs_reader *rd);

/* Text of a named port's files. */
int cfs_port_render(struct cfs_ports *ps, uint64_t port_id, const char *file,
		    struct cfs_buf *out);

/* One port record as JSON (no newline). key: the registration's notify key. */
int cfs_port_format(const struct cfs_record *r, uint64_t key, bool snapshot,
		    struct cfs_buf *out);

#endif
