/* SPDX-License-Identifier: MIT */
/* What the files answering ports/ and the event log share (private to
 * fs/; fs_ports.h is their interface to the rest of fs/).
 *
 *   fs_ports.c         start, shutdown and free; the engine's hooks; which
 *                      inodes are ports'; the handlers on an open file
 *                      (open, read, write, poll, release), by its kind
 *   fs_ports_dir.c     names and attributes: lookup, getattr, readdir of
 *                      ports/ and a port's directory, mkdir and rmdir
 *   fs_ports_reader.c  an events file or ports/clone: its reader's open,
 *                      its parked reads and their interrupts, "wait" and
 *                      "wake" lines
 *   fs_ports_wake.c    answering parked reads and polls: the waker thread
 *                      after commits, the timer thread at deadlines
 *   fs_ports_log.c     the log files (log, log.1)
 *
 * Threads: request threads run the handlers; the engine's committer
 * thread runs the hooks (on_commit, on_reset); the waker and the timer
 * are this module's own. Locks: ports.lock (core/port.h, where its order
 * with the model's and the journal's locks is) guards the ports, their
 * readers, what fs/ keeps per reader (struct park) and the fields below
 * that say so; wake_lock guards the waker's. The two are never held
 * together. */
#ifndef CFS_FS_PORTS_I_H
#define CFS_FS_PORTS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "eventlog.h"
#include "fs_inode.h"
#include "fs_ports.h"
#include "port.h"

struct cfs_fsports {
	struct cfs_fs *fs;
	struct cfs_ports ports;
	struct cfs_eventlog log;
	bool stopping; /* guarded by ports.lock */
	/* The timer that ends parked reads with a deadline ("wait MS"):
	 * started at the first such request, stopped at shutdown. */
	pthread_t timer;
	pthread_cond_t timer_cv; /* CLOCK_MONOTONIC; with ports.lock */
	bool timer_started, timer_stop; /* guarded by ports.lock */
	/* The waker answers waiting readers after commits, off the
	 * committer thread, so that no reader's formatting delays a commit
	 * (cfs_fsports_wake_all). */
	pthread_t waker;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cv; /* with wake_lock */
	bool wake_pending, wake_stop, waker_started; /* guarded by wake_lock */
};

/* What fs/ keeps per reader (struct cfs_reader.user), guarded by the
 * ports lock. */
struct park {
	fuse_req_t req; /* a parked read, or NULL */
	size_t size;
	off_t off;
	struct fuse_pollhandle *ph;
	/* "wait MS" (0: forever): a parked read ends with EAGAIN at
	 * deadline (monotonic ms; 0: none). "wake" ends the parked read
	 * now, or, with none parked, the next one that would park. */
	uint32_t wait_ms;
	int64_t deadline;
	bool woken;
	/* The open file's handle, so that readers still open when the
	 * daemon stops (never released) are freed whole. */
	struct pfh *h;
};

enum pfh_kind { PFH_READER, PFH_FILE, PFH_LOG };

#define PFH_MAGIC 0x43465350u /* "CFSP" */

/* An open file of ports/ or the log (fuse_file_info.fh). */
struct pfh {
	uint32_t magic;
	enum pfh_kind kind;
	struct cfs_reader *rd; /* PFH_READER */
	struct cfs_buf snap;   /* PFH_FILE: content at the first read */
	bool snap_taken;
	int which;	       /* PFH_LOG: 0 log, 1 log.1 */
	uint64_t port_id;      /* PFH_FILE */
	const char *file;      /* PFH_FILE */
};

static inline struct cfs_fsports *cfs_fsports_of(fuse_req_t req)
{
	return ((struct cfs_fs *)fuse_req_userdata(req))->ports;
}

/* Idle named ports are swept after commits at most once a minute, when
 * a port is made (cfs_port_create), and when ports/ is listed or a name
 * in it is looked up (at most every 100 ms): a port past its time is
 * never seen. */
#define CFS_FSPORTS_EXPIRY_SWEEP_NS (60 * 1000000000ll)
#define CFS_FSPORTS_EXPIRY_LOOKUP_NS (100 * 1000000ll)

/* Monotonic milliseconds (a parked read's deadline). */
static inline int64_t cfs_fsports_mono_ms(void)
{
	return cfs_mono_ns() / 1000000;
}

static inline void cfs_fsports_set_times(struct stat *st, int64_t ns)
{
	st->st_mtim.tv_sec = ns / 1000000000;
	st->st_mtim.tv_nsec = ns % 1000000000;
	st->st_atim = st->st_ctim = st->st_mtim;
}

/* --- fs_ports.c --- */

/* The credentials of a request's caller: its uid, gid and supplementary
 * groups (from /proc; none when they cannot be read, which can only make
 * it see less), and whether it is root or in the admin group. */
int cfs_fsports_req_cred(fuse_req_t req, struct cfs_cred *ret);

/* --- fs_ports_dir.c --- */

/* A port directory's files, in the order of their tags (CFS_TAG_PORT_FILTER
 * and on). */
extern const char *const cfs_fsports_files[4];

/* --- fs_ports_reader.c --- */

/* Opens a reader of ports/clone or of an events file for h (the
 * caller's credentials decide what it sees and count for its quotas). */
int cfs_fsports_reader_open(fuse_req_t req, uint64_t ino, int acc, struct pfh *h);
/* A read of a reader: answered now, or parked (one reply either way). */
void cfs_fsports_reader_read(fuse_req_t req, struct pfh *h, size_t size, off_t off,
			     struct fuse_file_info *fi);
/* "wake" and "wait MS" on a reader: how its blocking reads end (see
 * struct park). Returns 1 when buf was one of them, 0 when it was not,
 * -errno when it was but is bad. */
int cfs_fsports_reader_wait_line(struct cfs_fsports *fp, struct pfh *h, const char *buf,
				 size_t size);

/* --- fs_ports_wake.c --- */

/* Answers every reader with a parked read or a poll handle (eof: with
 * end-of-file when it has nothing). Takes the ports lock itself. */
void cfs_fsports_wake_all(struct cfs_fsports *fp, bool eof);
/* After a commit or a reset: has the waker answer the readers, or answers
 * them here when the waker is not running. */
void cfs_fsports_wake_later(struct cfs_fsports *fp);
/* Starts the waker thread. 0/-errno. */
int cfs_fsports_waker_start(struct cfs_fsports *fp);
/* Stops the waker for good and waits for it if it runs. */
void cfs_fsports_waker_stop(struct cfs_fsports *fp);
/* Starts the timer unless it runs or was stopped (ports lock held).
 * 0 or -EAGAIN. */
int cfs_fsports_timer_start(struct cfs_fsports *fp);
/* Stops the timer for good and waits for it. */
void cfs_fsports_timer_stop(struct cfs_fsports *fp);

/* --- fs_ports_log.c --- */

/* The log file ino's attributes (the rest of st filled by the caller). */
void cfs_fsports_log_stat(struct cfs_fsports *fp, uint64_t ino, struct stat *st);
/* Opens log or log.1 (ino) for h: read-only, root and the admin group
 * only. 0/-errno. */
int cfs_fsports_log_open(fuse_req_t req, uint64_t ino, int acc, struct pfh *h);
/* A read of an open log file (one reply). */
void cfs_fsports_log_read(fuse_req_t req, struct pfh *h, size_t size, off_t off);

#endif
