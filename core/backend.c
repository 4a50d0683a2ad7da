/* SPDX-License-Identifier: MIT */
/* The back-ends the daemon can run on, by name. The table lives outside
 * the back-ends (as corosync's service table does) so that neither the
 * engine nor one back-end needs to know the others. */
#include <string.h>

#include "backend.h"
#include "config.h"
#include "util.h"

static const struct cfs_backend_ops *const backends[] = {
	&cfs_backend_local,
	&cfs_backend_sim,
#if CFS_HAVE_COROSYNC
	&cfs_backend_corosync,
#endif
};

const struct cfs_backend_ops *cfs_backend_find(const char *name)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(backends); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const struct cfs_backend_ops *cfs_backend_at(size_t i)
{
	return i < CFS_ARRAY_SIZE(backends) ? backends[i] : NULL;
}
