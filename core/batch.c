/* SPDX-License-Identifier: MIT */
#include "batch.h"

#include <errno.h>
#include <stdlib.h>

int cfs_batch_new(struct cfs_cmd **cmds, size_t n, cfs_done_fn done, void *ud,
		  const void *origin, struct cfs_batch **ret)
{
	struct cfs_batch *b = calloc(1, sizeof(*b));
	if (!b) {
		for (size_t i = 0; i < n; i++)
			cfs_cmd_free(cmds[i]);
		free(cmds);
		return -ENOMEM;
	}
	*b = (struct cfs_batch){.cmds = cmds, .n = n, .done = done, .ud = ud, .origin = origin,
				.line = -1};
	*ret = b;
	return 0;
}

void cfs_batch_free(struct cfs_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		cfs_cmd_free(b->cmds[i]);
	free(b->cmds);
	free(b);
}
