/* SPDX-License-Identifier: MIT */
/* The root directory and its fixed files: name (writable: renames the
 * cluster), id, state, quorum, local_node, and control (write-only, its
 * writes are fs_control.c's). The collections are fs_objects.c's, ports/
 * and the log fs_ports*.c's, registry/ fs_registry.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "log.h"

static const char *const root_names[] = {
	[CFS_INO_NODES] = "nodes",	   [CFS_INO_GROUPS] = "groups",
	[CFS_INO_RESOURCES] = "resources", [CFS_INO_RESTYPES] = "resourcetypes",
	[CFS_INO_NETWORKS] = "networks",   [CFS_INO_NETIFS] = "netinterfaces",
	[CFS_INO_NAME] = "name",	   [CFS_INO_ID] = "id",
	[CFS_INO_STATE] = "state",	   [CFS_INO_QUORUM] = "quorum",
	[CFS_INO_CONTROL] = "control",	   [CFS_INO_PORTS] = "ports",
	[CFS_INO_LOG] = "log",		   [CFS_INO_LOG1] = "log.1",
	[CFS_INO_LOCAL_NODE] = "local_node",
};

int cfs_fsroot_render(struct cfs_fs *fs, const struct cfs_model *m, uint64_t ino,
		      struct cfs_buf *out)
{
	switch (ino) {
	case CFS_INO_NAME:
		return cfs_buf_printf(out, "%s\n", cfs_model_cluster_name(m));
	case CFS_INO_ID:
		return cfs_buf_printf(out, "%s\n",
				      cfs_key_get_sz(m->reg.root, CFS_P_CLUSTER_ID, NULL));
	case CFS_INO_STATE:
		return cfs_buf_puts(out, "up\n");
	case CFS_INO_QUORUM:
		return cfs_buf_puts(out, cfs_model_quorate(m) ? "quorate\n" : "lost\n");
	case CFS_INO_LOCAL_NODE: {
		const char *id = fs->e->local_node_id;
		struct cfs_object *o = id ? cfs_model_by_id(m, id) : NULL;
		return cfs_buf_printf(out, "%s\n", o ? o->name : "");
	}
	default:
		return cfs_buf_append(out, "", 0);
	}
}

int cfs_fsroot_stat(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
		    struct stat *st, int64_t *ret_mtime)
{
	st->st_nlink = 1;
	if (n->ino == CFS_INO_ROOT) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 10; /* ".", "..", 6 collections, registry, ports */
	} else if (n->ino == CFS_INO_CONTROL) {
		st->st_mode = S_IFREG | 0220;
	} else {
		struct cfs_buf b = {0};
		st->st_mode = S_IFREG | (n->ino == CFS_INO_NAME ? 0664 : 0444);
		int r = cfs_fsroot_render(fs, m, n->ino, &b);
		st->st_size = (off_t)b.len;
		cfs_buf_free(&b);
		if (r < 0)
			return r;
		*ret_mtime = cfs_key_values_mtime(m->reg.root);
	}
	return 0;
}

uint64_t cfs_fsroot_child(const char *name)
{
	if (strcmp(name, "registry") == 0)
		return cfs_ino(CFS_REG_ROOT_ID, CFS_TAG_REGKEY);
	for (uint64_t i = CFS_INO_NODES; i < CFS_INO_FIXED_END; i++)
		if (root_names[i] && strcmp(root_names[i], name) == 0)
			return i;
	return 0;
}

void cfs_fsroot_list(struct cfs_dirbuf *d, uint64_t min)
{
	for (uint64_t i = CFS_INO_NODES; i < CFS_INO_FIXED_END; i++) {
		if (i < min || !root_names[i])
			continue;
		mode_t t = cfs_coll_kind(i) >= 0 || i == CFS_INO_PORTS ? S_IFDIR : S_IFREG;
		cfs_dir_add(d, root_names[i], i, t, CFS_DIR_OFF(i));
	}
	if (min <= CFS_INO_FIXED_END)
		cfs_dir_add(d, "registry", cfs_ino(CFS_REG_ROOT_ID, CFS_TAG_REGKEY), S_IFDIR,
			    CFS_DIR_OFF(CFS_INO_FIXED_END));
}

void cfs_fsroot_write(fuse_req_t req, uint64_t ino, const char *buf, size_t size)
{
	/* Each write is the whole new name, up to its first newline; what
	 * follows that must be blank, as for the object files (found by
	 * scripts/abuse.sh: "a\nb\n" renamed the cluster to "a"). */
	struct cfs_vec cmds = {0};
	char *text = NULL;
	int r = memchr(buf, '\0', size) ? -EINVAL : 0;
	if (r == 0 && !(text = cfs_strndup(buf, size)))
		r = -ENOMEM;
	size_t n = text ? strcspn(text, "\n") : 0;
	if (r == 0 && text[n + strspn(text + n, "\n \t\r")])
		r = -EINVAL;
	if (r == 0) {
		text[n] = '\0';
		const char *a[] = {text};
		r = cfs_push_cmd(&cmds, CFS_OP_CLUSTER_RENAME, 1, a, NULL);
	}
	free(text);
	if (r < 0) {
		cfs_log(LOG_NOTICE, "write refused: %s", strerror(-r));
		cfs_free_cmds(&cmds);
		fuse_reply_err(req, -r);
		return;
	}
	cfs_pending_reply_write(req, ino, &cmds, size);
}
