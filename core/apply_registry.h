/* SPDX-License-Identifier: MIT */
/* Registry commands (reg-*), the half of cfs_apply() that edits the
 * registry directly. Only apply.c calls it: it depends on nothing of
 * apply.c, so the dependency goes one way. */
#ifndef CFS_APPLY_REGISTRY_H
#define CFS_APPLY_REGISTRY_H

#include "cmd.h"
#include "txn.h"

/* Applies a registry command without the rollback wrapper (cfs_apply
 * rolls back on error); 0 or -errno with a static reason in *why. */
int cfs_apply_registry(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why);

#endif
