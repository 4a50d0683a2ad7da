/* SPDX-License-Identifier: MIT */
/* A batch: the commands of one client request (a write(), a mkdir, a
 * control-file transaction), applied all or nothing, and how to answer the
 * client once the batch is durable.
 *
 * A batch travels from cfs_engine_submit() through the engine's order
 * (order.h) to the committer, which applies it and calls done exactly
 * once. Only the commands and their stamps describe the change; done, ud
 * and origin are the submitting process's own business and never leave
 * it. */
#ifndef CFS_BATCH_H
#define CFS_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd.h"

struct cfs_engine;

/* Called once per batch after its commit (or failure). err is 0 or
 * -errno; why is a static reason or NULL; line is the index of the
 * failing command in the batch (or -1). */
typedef void (*cfs_done_fn)(void *ud, int err, const char *why, int line);

struct cfs_batch {
	struct cfs_batch *next; /* the committer's queue */
	struct cfs_cmd **cmds;	/* n stamped commands, owned */
	size_t n;
	/* The submitter's: how to answer it, and the token the batch's
	 * records carry to commit listeners (NULL for a batch that came
	 * from another node). */
	cfs_done_fn done;
	void *ud;
	const void *origin;
	/* Submitted on this node (an order's bookkeeping: a batch an order
	 * must send again is one of these). */
	bool mine;
	/* The back-end's own batch (membership, quorum): applied even while
	 * the engine refuses clients' changes (cfs_engine_set_refusal). */
	bool system;
	/* A call item instead of commands (cfs_engine_deliver_call): run on
	 * the committer thread at its place in the order, with ud. */
	void (*call)(struct cfs_engine *e, void *ud);
	/* The outcome, set by the committer. */
	int err;
	const char *why;
	int line;
};

/* Makes a batch of n commands (takes ownership of cmds and of the array,
 * also on failure). */
int cfs_batch_new(struct cfs_cmd **cmds, size_t n, cfs_done_fn done, void *ud,
		  const void *origin, struct cfs_batch **ret);
/* Frees the batch and its commands (not calling done). NULL is a no-op. */
void cfs_batch_free(struct cfs_batch *b);

/* The wire form of a batch's commands with their stamps (wire.h), for an
 * order that carries batches to other nodes. Appends to out. */
int cfs_batch_encode(const struct cfs_batch *b, struct cfs_buf *out);
/* Reads what cfs_batch_encode wrote into a new batch with no submitter
 * (done, ud and origin NULL). -EINVAL (with a reason) for anything
 * malformed: an unknown op, a wrong argument count, lengths past the end,
 * trailing bytes. */
int cfs_batch_decode(const void *p, size_t len, struct cfs_batch **ret, const char **why);

#endif
