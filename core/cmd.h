/* SPDX-License-Identifier: MIT */
/* Commands: the one way to change the cluster.
 *
 * A command is a verb and string arguments. It has a text form, one line,
 * which is what the control file takes and what a replicated back-end will
 * carry: "group-create web", "reg-set Groups\\x Count dword 5".
 * Arguments are separated by blanks; an argument with blanks, quotes,
 * backslashes or special bytes is double-quoted, with \" \\ \n \t \r \xHH
 * escapes inside. Objects are referred to by id or by name.
 *
 * Everything that makes applying a command non-deterministic is decided
 * when it is submitted and carried in it: the time and the ids of objects
 * it creates. Applying the same commands in the same order to the same
 * state gives the same state and records, on every node. */
#ifndef CFS_CMD_H
#define CFS_CMD_H

#include <stdint.h>
#include <sys/types.h>

#include "cfs_limits.h"
#include "util.h"

enum cfs_op {
	CFS_OP_CLUSTER_RENAME,	/* name (the first one also sets the cluster id) */
	CFS_OP_NODE_ADD,	/* name number address [state] */
	CFS_OP_NODE_EVICT,	/* node */
	CFS_OP_NODE_STATE,	/* node up|down|paused|joining|pause|resume */
	CFS_OP_GROUP_CREATE,	/* name [owner-node [group-type]] */
	CFS_OP_GROUP_DELETE,	/* group */
	CFS_OP_GROUP_RENAME,	/* group new-name */
	CFS_OP_GROUP_ONLINE,	/* group */
	CFS_OP_GROUP_OFFLINE,	/* group */
	CFS_OP_GROUP_MOVE,	/* group node */
	CFS_OP_GROUP_PREFERRED, /* group node... (replaces the list) */
	CFS_OP_RES_CREATE,	/* name type group */
	CFS_OP_RES_DELETE,	/* resource */
	CFS_OP_RES_RENAME,	/* resource new-name */
	CFS_OP_RES_ONLINE,	/* resource */
	CFS_OP_RES_OFFLINE,	/* resource */
	CFS_OP_RES_FAIL,	/* resource */
	CFS_OP_RES_GROUP,	/* resource group */
	CFS_OP_RES_OWNERS,	/* resource node... (replaces the list) */
	CFS_OP_RES_OWNER_ADD,	/* resource node */
	CFS_OP_RES_OWNER_REMOVE, /* resource node */
	CFS_OP_RES_DEPEND,	/* resource provider */
	CFS_OP_RES_UNDEPEND,	/* resource provider */
	CFS_OP_TYPE_CREATE,	/* name [dll] */
	CFS_OP_TYPE_DELETE,	/* type */
	CFS_OP_NET_ADD,		/* name address mask role state */
	CFS_OP_NET_DELETE,	/* network */
	CFS_OP_NET_RENAME,	/* network new-name */
	CFS_OP_NET_STATE,	/* network state */
	CFS_OP_NET_ROLE,	/* network role */
	CFS_OP_NETIF_ADD,	/* name node network adapter address state */
	CFS_OP_NETIF_DELETE,	/* netinterface */
	CFS_OP_NETIF_STATE,	/* netinterface state */
	CFS_OP_SET,		/* kind object property text (free properties) */
	CFS_OP_UNSET,		/* kind object property */
	CFS_OP_REG_CREATE_KEY,	/* path [mode] (octal; default: the parent's) */
	CFS_OP_REG_DELETE_KEY,	/* path (must be empty) */
	CFS_OP_REG_RENAME_KEY,	/* path new-name [replace] */
	CFS_OP_REG_SET,		/* path name type text */
	CFS_OP_REG_SET_RAW,	/* path name type stored-bytes */
	CFS_OP_REG_DELETE,	/* path name */
	CFS_OP_REG_RENAME,	/* path name new-name [replace] */
	CFS_OP_REG_TYPE,	/* path name type (converts via the text form) */
	CFS_OP_REG_SECURITY,	/* path mode uid gid (octal mode) */
	/* CMM (cmm.h). */
	CFS_OP_NODE_CMM,	/* node attribute value */
	CFS_OP_CMM_ELECT,	/* (recomputes the roles) */
	CFS_OP_CMM_RELEASE,	/* master-node (switchover) */
	CFS_OP_CMM_REMOVE,	/* node (leaves the cluster) */
	CFS_OP_CMM_SETQUALIF,	/* caller-node target-node qualification */
	CFS_OP_CMM_SEIZE,	/* node */
	CFS_OP_CMM_STATUS,	/* valid|stale|invalid */
	/* Replicated back-ends (backend_corosync.c). */
	CFS_OP_CLUSTER_QUORUM,	/* quorate|lost */
	CFS_OP_GROUP_FAILOVER,	/* group (its owner node is down) */
	/* Registry values as files (fs_registry.c). Appended: the numbers of
	 * earlier verbs cross the wire between nodes. */
	CFS_OP_REG_CREATE,	/* path name: a new, empty value without a type */
	CFS_OP_REG_WRITE,	/* path name bytes: a value file's new content */
	CFS_OP_REG_TRUNCATE,	/* path name size: its content cut or zero-extended */
	CFS_OP_REG_LINK,	/* path name target: a new REG_LINK (a symlink) */
	CFS_OP_REG_VALUE_SECURITY, /* path name mode uid gid: the value's own */
	/* Resources that run agents (apply_agents.c). The reports come from
	 * the supervisor of the resource's node; each applies only while the
	 * resource is still on that node and in the state it reports on. */
	CFS_OP_RES_STARTED,	/* resource node ok|failed [reason] */
	CFS_OP_RES_STOPPED,	/* resource node ok|failed [reason] */
	CFS_OP_RES_MONITOR,	/* resource node ok|failed [reason] */
	CFS_OP_RES_PARAM,	/* resource name value */
	CFS_OP_RES_PARAM_UNSET, /* resource name */
	CFS_OP_RES_POLICY,	/* resource property value|default */
	CFS_OP_GROUP_EVACUATE,	/* group (a clean stop of its node) */
	CFS_OP_TYPE_AGENT,	/* name dll description stamp pending-ms monitor-ms [param def]... */
	CFS_OP_COUNT,
};

struct cfs_cmd {
	enum cfs_op op;
	int argc;
	char **argv;	  /* argc strings, each NUL-terminated */
	size_t *arglen;	  /* byte length of each (arguments may hold NULs) */
	int64_t time_ns;  /* submission time, set by cfs_cmd_stamp() */
	char id[CFS_ID_LEN + 1]; /* id for the object it creates, or "" */
	uint32_t uid;	  /* who asked (for new registry keys' owner) */
	uint32_t gid;
};

const char *cfs_op_verb(enum cfs_op op);

/* Builds a command from arguments (copied). -EINVAL for a wrong count. */
int cfs_cmd_new(struct cfs_cmd **ret, enum cfs_op op, int argc, const char *const *argv);
/* Same with explicit lengths, for binary arguments. */
int cfs_cmd_newv(struct cfs_cmd **ret, enum cfs_op op, int argc, const char *const *argv,
		 const size_t *arglen);
/* Parses one line (without its newline). -EINVAL with a reason in
 * *why (static string) on a syntax error, unknown verb or wrong count. */
int cfs_cmd_parse(const char *line, size_t len, struct cfs_cmd **ret, const char **why);
/* Appends the line form (no newline) to out. */
int cfs_cmd_format(const struct cfs_cmd *cmd, struct cfs_buf *out);
/* Builds a command from arguments and appends its line form and a
 * newline to out (the text cfs_engine_run_text takes). 0 or -errno. */
int cfs_cmd_append_line(struct cfs_buf *out, enum cfs_op op, int argc, const char *const *argv);
/* Fills the submission time and, for creating commands, a new id. */
void cfs_cmd_stamp(struct cfs_cmd *cmd, uint32_t uid, uint32_t gid);
void cfs_cmd_free(struct cfs_cmd *cmd);

#endif
