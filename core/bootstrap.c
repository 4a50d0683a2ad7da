/* SPDX-License-Identifier: MIT */
#include "bootstrap.h"

#include "cmd.h"

static const struct {
	const char *name;
	const char *dll;
} standard_types[] = {
	{"Generic Application", "clusres.dll"},
	{"Generic Script", "clusres.dll"},
	{"Generic Service", "clusres.dll"},
	{"IP Address", "clusres.dll"},
	{"Network Name", "clusres.dll"},
	{"Physical Disk", "clusres.dll"},
	{"File Share", "clusres2.dll"},
};

static int push(struct cfs_vec *cmds, enum cfs_op op, int argc, const char *const *argv)
{
	struct cfs_cmd *c;
	int r = cfs_cmd_new(&c, op, argc, argv);
	if (r == 0 && (r = cfs_vec_push(cmds, c)) < 0)
		cfs_cmd_free(c);
	return r;
}

int cfs_bootstrap_cmds(struct cfs_vec *cmds, const char *owner)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < CFS_ARRAY_SIZE(standard_types); i++) {
		const char *args[] = {standard_types[i].name, standard_types[i].dll};
		r = push(cmds, CFS_OP_TYPE_CREATE, 2, args);
	}
	const char *core[] = {"Cluster Group", owner, "1"};
	const char *storage[] = {"Available Storage", owner, "2"};
	const char *cname[] = {"Cluster Name", "Network Name", "Cluster Group"};
	const char *cip[] = {"Cluster IP Address", "IP Address", "Cluster Group"};
	const char *dep[] = {"Cluster Name", "Cluster IP Address"};
	const char *online[] = {"Cluster Group"};
	if (r == 0)
		r = push(cmds, CFS_OP_GROUP_CREATE, 3, core);
	if (r == 0)
		r = push(cmds, CFS_OP_GROUP_CREATE, 3, storage);
	if (r == 0)
		r = push(cmds, CFS_OP_RES_CREATE, 3, cname);
	if (r == 0)
		r = push(cmds, CFS_OP_RES_CREATE, 3, cip);
	if (r == 0)
		r = push(cmds, CFS_OP_RES_DEPEND, 2, dep);
	if (r == 0)
		r = push(cmds, CFS_OP_GROUP_ONLINE, 1, online);
	return r;
}
