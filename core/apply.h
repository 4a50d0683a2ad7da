/* SPDX-License-Identifier: MIT */
/* The deterministic state machine: validates one command against the model
 * and applies it through a transaction. On error nothing of the command is
 * left (the transaction is rolled back to where the command started) and a
 * static reason is returned in *why for the daemon's log.
 *
 * Errors: -ENOENT (an object, key or value named does not exist), -EEXIST
 * (name taken), -EINVAL (a word, number or value does not parse), -EPERM
 * (the model maintains that value or key), -ENOTEMPTY (group with
 * resources, key with subkeys), -EBUSY (object in use: online, owned,
 * depended on), -ELOOP (dependency cycle), -EXDEV (dependency across
 * groups), -EHOSTDOWN (target node is down), -EAGAIN (target node paused),
 * -ENAMETOOLONG, -EFBIG, -E2BIG, -ENOSPC (limits), -ENOMEM. */
#ifndef CFS_APPLY_H
#define CFS_APPLY_H

#include "cmd.h"
#include "txn.h"

int cfs_apply(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why);

#endif
