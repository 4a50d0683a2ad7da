/* SPDX-License-Identifier: MIT */
/* What a new cluster starts with, whatever its back-end: the standard
 * resource types, the core group "Cluster Group" (its network name and IP
 * address resources, online) and "Available Storage", as Windows creates
 * them. */
#ifndef CFS_BOOTSTRAP_H
#define CFS_BOOTSTRAP_H

#include "util.h"

/* Appends the commands (unstamped) to cmds; the groups go to owner (a
 * node's name or id, which must exist when they apply). 0 or -ENOMEM. */
int cfs_bootstrap_cmds(struct cfs_vec *cmds, const char *owner);

#endif
