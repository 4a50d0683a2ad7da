/* SPDX-License-Identifier: MIT */
/* The engine: owns the model, the store and the journal, and is the one
 * entry point for every change.
 *
 * Concurrency model:
 *  - `lock` (a rwlock) guards the model. Readers (FUSE handlers) hold it
 *    shared while they look at objects; only the committer thread holds it
 *    exclusive, while it applies commands.
 *  - Clients submit a batch of commands with cfs_engine_submit(); the
 *    committer thread takes every queued batch, applies each one atomically
 *    (a failing command rolls back its whole batch and nothing else), writes
 *    what changed and the new journal records to the store in ONE SQLite
 *    transaction (group commit), and only after that commit returns calls
 *    each batch's completion callback. Nothing is acknowledged before it
 *    is durable. A failed store commit rolls the model back too.
 *  - After the commit, listeners get the batch's records, in sequence
 *    order, on the committer thread. They must not block on the mount or
 *    take the model lock exclusively (fs/ queues the work to its own
 *    thread).
 * A change becomes visible to readers when it is applied, a moment before
 * it is acknowledged; readers never see a change that is later rolled back
 * except in that window when the disk write itself fails. */
#ifndef CFS_ENGINE_H
#define CFS_ENGINE_H

#include <pthread.h>
#include <stdbool.h>

#include "backend.h"
#include "batch.h"
#include "cmd.h"
#include "journal.h"
#include "model.h"
#include "order.h"

struct cfs_store;

/* The committer's default wait for the writers it has just answered
 * (microseconds; see engine.c, gather). */
#define CFS_GATHER_US 200

struct cfs_engine_config {
	const char *state_dir;
	const char *cluster_name; /* first start only; NULL: the host name */
	/* The membership back-end (backend.h; the daemon looks it up by
	 * name in backend.c's table); NULL: none (tests of the engine). */
	const struct cfs_backend_ops *backend;
	/* Journal retention: records kept in the store and in memory (at
	 * most CFS_JOURNAL_RING; 0 means CFS_JOURNAL_RING). */
	uint64_t journal_keep;
	/* How long the committer waits for the writers it has just answered
	 * to send their next change (engine.c, gather); 0 means
	 * CFS_GATHER_US. Tests set it long to make the wait visible. */
	unsigned gather_us;
	/* The program's log (syslog priorities), for what a back-end sees
	 * happen while it runs (a lost connection, a resync); NULL: silent.
	 * core/ itself never writes a log. */
	void (*log)(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

/* Called after each commit with the records it made durable. */
typedef void (*cfs_listener_fn)(void *ud, const struct cfs_record *recs, size_t n);

/* What taking another node's state (cfs_engine_install) did to this
 * node's history, for a listener that keeps positions or caches. */
struct cfs_engine_reset {
	/* Records with seq >= fork were replaced: a reader that saw some of
	 * them saw a history the cluster does not have. fork == old_next
	 * when this node was only behind. */
	uint64_t fork;
	uint64_t old_next; /* next_seq before and after */
	uint64_t new_next;
	/* The tree before the install, readable during the call (the model
	 * lock is not held; only the committer changes models). */
	const struct cfs_model *old_model;
};
/* Called on the committer thread right after an install, before the
 * commit listeners get the records this node had not seen. */
typedef void (*cfs_reset_fn)(void *ud, const struct cfs_engine_reset *rs);

struct cfs_engine {
	pthread_rwlock_t lock;
	struct cfs_model model; /* guarded by lock */
	struct cfs_journal journal;
	struct cfs_store *store; /* committer thread only */
	uint64_t journal_keep;
	uint64_t next_seq; /* committer thread only */
	/* Sequence number after the last APPLIED record (guarded by lock):
	 * a snapshot taken under the read lock shows exactly the records
	 * below it. */
	uint64_t applied_seq;
	unsigned commits;  /* committer thread only */
	/* The history fingerprint: cfs_record_hash() folded over every record
	 * up to next_seq, persisted with it (committer thread only). Nodes
	 * with equal (next_seq, hist) hold equal state. */
	uint64_t hist;
	/* The cluster generation (replica.c), persisted (committer only). */
	uint64_t generation;
	/* While non-zero, clients' batches fail with this errno and reason
	 * (committer thread only; set in order by the back-end). */
	int refuse;
	const char *refuse_why;

	/* Where submitted batches go before they are delivered (order.h);
	 * set before the back-end starts submitting, never changed after. */
	const struct cfs_order_ops *order;
	void *order_state;

	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct cfs_batch *qhead, *qtail; /* delivered batches; guarded by qlock */
	size_t qlen;			 /* how many; guarded by qlock */
	/* Batches of the last commit whose submitter waited for the answer
	 * (committer thread only): how many may come back (committer_main). */
	size_t last_waiters;
	unsigned gather_us;
	bool stopping;			 /* guarded by qlock */
	bool exited;			 /* the committer ended; guarded by qlock */
	pthread_t committer;
	bool running;

	/* Called in order after each commit; changed only on the committer
	 * (cfs_engine_call_sync), or before it runs. */
	struct cfs_listener {
		cfs_listener_fn fn;
		cfs_reset_fn reset;
		void *ud;
	} listeners[4];
	/* Called by the committer before it takes queued batches (see
	 * cfs_engine_set_gate). */
	void (*gate)(void *ud, bool changes_names);
	void *gate_ud;

	const struct cfs_backend_ops *backend;
	void *backend_state;
	void (*log)(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	char *local_node_id; /* id of this host's node */
};

/* Opens the store, loads (or on first start creates) the cluster, starts
 * the committer. Logs nothing; returns 0 or -errno with a reason. */
int cfs_engine_open(const struct cfs_engine_config *cfg, struct cfs_engine **ret,
		    const char **why);
/* Starts the back-end, if there is one (after the listener is set). */
int cfs_engine_start_backend(struct cfs_engine *e);
/* Runs fn(e, ud) on the committer, between two commits, and returns once
 * it ran (on the calling thread when that is the committer, or when the
 * committer does not run). fn sees everything committed before that point
 * applied and published (model, journal), and nothing commits while it
 * runs. It runs also while the engine stops. 0, or -ENOMEM (fn did not
 * run). */
int cfs_engine_call_sync(struct cfs_engine *e, void (*fn)(struct cfs_engine *e, void *ud),
			 void *ud);
/* Sets the first listener (fn NULL: removes it); before the committer
 * has anything to commit (tests). */
void cfs_engine_set_listener(struct cfs_engine *e, cfs_listener_fn fn, void *ud);
/* Listeners change at a point of the order (cfs_engine_call_sync), so they
 * can be added and removed while the cluster changes (a back-end applies
 * other nodes' changes from the start): a listener hears exactly the
 * commits after the point it was added at. To start from a state that
 * matches, read it in the same cfs_engine_call_sync call as the add.
 *
 * Adds a listener after the others (at most 4). 0 or -ENOSPC. */
int cfs_engine_add_listener(struct cfs_engine *e, cfs_listener_fn fn, void *ud);
int cfs_engine_remove_listener(struct cfs_engine *e, void *ud);
/* Gives the listener registered with ud a reset callback. 0 or -ENOENT. */
int cfs_engine_set_reset(struct cfs_engine *e, void *ud, cfs_reset_fn fn);
/* Sets the gate (fn NULL: none): the committer calls it before it takes
 * queued batches, with changes_names true when they rename or remove
 * names of the tree. A listener acting on earlier commits after they
 * were made (the notifier replaying them on the mount by path) catches
 * up there: before those names go, or when it lags too far behind. It
 * runs with no lock of the engine held (meanwhile more batches queue up
 * and commit together); it may wait while that listener makes progress,
 * and only a bounded time for one that stands still (which may be
 * waiting for this very commit). Set it before the back-end starts. */
void cfs_engine_set_gate(struct cfs_engine *e, void (*fn)(void *ud, bool changes_names),
			 void *ud);
/* Stops the back-end, then the committer after it has finished every
 * queued batch. Later submissions fail with -ESHUTDOWN. Idempotent. */
void cfs_engine_stop(struct cfs_engine *e);
/* Stops (if needed) and frees everything. NULL is a no-op. */
void cfs_engine_free(struct cfs_engine *e);

/* Submits a batch to the engine's order; takes ownership of cmds (n of
 * them) and of the array. Each command is stamped with the time, uid/gid
 * and new ids. done is called exactly once, from the committer thread.
 * Returns 0, or -errno if the engine is stopping or the order refused the
 * batch (then done is not called and cmds are freed). */
int cfs_engine_submit(struct cfs_engine *e, struct cfs_cmd **cmds, size_t n, uint32_t uid,
		      uint32_t gid, cfs_done_fn done, void *ud);
/* Same, with an origin token that the batch's records carry to the commit
 * listener (fs/ uses it to know which change the kernel itself reports:
 * the one a user's own system call made). */
int cfs_engine_submit_from(struct cfs_engine *e, struct cfs_cmd **cmds, size_t n, uint32_t uid,
			   uint32_t gid, const void *origin, cfs_done_fn done, void *ud);
/* Called by the order (order.h): queues a batch for the committer, which
 * applies delivered batches in the order of these calls. 0 (the batch is
 * the engine's), or -ESHUTDOWN once the engine is stopping (the batch
 * stays the caller's, and its done is not called). */
int cfs_engine_deliver(struct cfs_engine *e, struct cfs_batch *b);
/* Installs the order batches are submitted to (a back-end's start() does,
 * before it submits anything); NULL: none any more, submissions fail with
 * -ESHUTDOWN (a back-end's stop() does). */
void cfs_engine_set_order(struct cfs_engine *e, const struct cfs_order_ops *order, void *state);

/* Replication (order.h, replica.c): a call the committer makes at its
 * place in the order, between batches, with no lock held. 0 or
 * -ESHUTDOWN (then fn is not called). */
int cfs_engine_deliver_call(struct cfs_engine *e, void (*fn)(struct cfs_engine *e, void *ud),
			    void *ud);

/* The following run on the committer thread only, inside such a call. */

/* Applies and commits a back-end batch at once, as if delivered now;
 * takes ownership of cmds. The commands must carry their stamps (time,
 * ids) already: every node computes the same. Returns the batch's
 * outcome. */
int cfs_engine_commit_now(struct cfs_engine *e, struct cfs_cmd **cmds, size_t n,
			  const char **why);
/* Clients' batches fail with err (a static reason) from now on; 0 lets
 * them through again. The back-end's own batches always apply. */
void cfs_engine_set_refusal(struct cfs_engine *e, int err, const char *why);
/* Sets and persists the cluster generation. 0 or -errno. */
int cfs_engine_set_generation(struct cfs_engine *e, uint64_t generation);
/* The whole state as a snapshot (snapshot.h), appended to out. */
int cfs_engine_snapshot(struct cfs_engine *e, struct cfs_buf *out);
/* Replaces this node's state with a snapshot from another node: durably
 * first (one store transaction), then in memory; then reset listeners,
 * then commit listeners with the records this node had not seen. On
 * failure nothing changed. 0 or -errno with a reason. */
int cfs_engine_install(struct cfs_engine *e, const void *snap, size_t len, const char **why);

/* Submits one command and waits for its outcome. Never call this from a
 * thread the committer waits on (a listener). */
int cfs_engine_run(struct cfs_engine *e, struct cfs_cmd *cmd, const char **why);
/* Hands a back-end line of the control file to the back-end (see
 * cfs_backend_ops.control); -EOPNOTSUPP when it takes none. */
int cfs_engine_backend_line(struct cfs_engine *e, const char *line, size_t len,
			    struct cfs_vec *cmds, const char **why);
/* Parses text (lines) and runs it as one batch, waiting. */
int cfs_engine_run_text(struct cfs_engine *e, const char *text, const char **why);

static inline void cfs_engine_rdlock(struct cfs_engine *e)
{
	pthread_rwlock_rdlock(&e->lock);
}
static inline void cfs_engine_unlock(struct cfs_engine *e)
{
	pthread_rwlock_unlock(&e->lock);
}

/* Hands a line to the program's log, if it gave one. */
void cfs_engine_log(struct cfs_engine *e, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Default state directory: /var/lib/clusterfs for root, else
 * $XDG_STATE_HOME/clusterfs or ~/.local/state/clusterfs. malloc'd. */
char *cfs_default_state_dir(void);

#endif
