/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by apply.c and apply_registry.c. */
#ifndef CFS_APPLY_I_H
#define CFS_APPLY_I_H

#include "apply.h"

int cfs_check_obj_name(const char *name, const char **why);
struct cfs_object *cfs_find_or_fail(struct cfs_model *m, enum cfs_kind kind, const char *ref,
				    const char **why);
int cfs_group_update(struct cfs_txn *t, struct cfs_object *g);
char *cfs_list_names(struct cfs_model *m, const struct cfs_object *o, const char *prop);
struct cfs_object *cfs_apply_default_node(struct cfs_model *m);

/* Dispatch without the rollback wrapper. */
int cfs_apply_op(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why);
int cfs_apply_registry(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why);

#endif
