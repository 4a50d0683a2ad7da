/* SPDX-License-Identifier: MIT */
/* The inode model.
 *
 * clusterfs keeps no inode table. Every inode number is computed from what
 * it shows, so it is stable for the life of the thing it names, and the
 * same after a restart:
 *
 *   1 .. 63              fixed nodes: the root, the collection directories
 *                        and the files at the root (enum cfs_fixed_ino)
 *   (id << 6) | tag      everything else, where id is a registry id (keys
 *                        and values share one id space, ids are never
 *                        reused) and tag says which view of it:
 *      CFS_TAG_REGKEY        a registry key as a directory under registry/
 *      CFS_TAG_REGVAL        a registry value as a file under registry/
 *      CFS_TAG_OBJDIR        an object's directory (groups/web); id = its key
 *      CFS_TAG_MEMBERS       a group's resources/ directory; id = group key
 *      CFS_TAG_MEMBER        a symlink in it; id = the resource's key
 *      CFS_TAG_PARAMS        a resource's parameters/ directory; id = its key
 *      CFS_TAG_PARAM         a parameter its type lists (fs_params.c); id =
 *                        (the resource's key id << 12) | the parameter's
 *                        1-based place in the type's list (by name)
 *      CFS_TAG_PARAMVAL      a parameter set that its type does not list; id =
 *                        the registry value's id
 *      CFS_TAG_ATTR + slot   an object's file (groups/web/state); id = its key
 *      CFS_TAG_PORT*         a named port's directory and files; id = the
 *                        port's own id (ports have their own id space,
 *                        never reused either; fs_ports_dir.c)
 *
 * Because ids are never reused, an inode number never names two things and
 * the generation is always 1. Resolving a number is a hash lookup of the id
 * under the model's read lock; a number whose thing is gone resolves to
 * -ENOENT (-ESTALE for NFS-like callers is not needed: nothing is exported).
 * There is no per-inode state, so FORGET has nothing to free: lookup counts
 * are the kernel's business only. That is what makes lookups, the
 * invalidation thread and restarts trivially consistent. */
#ifndef CFS_FS_INODE_H
#define CFS_FS_INODE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "model.h"

enum cfs_fixed_ino {
	CFS_INO_ROOT = 1,
	CFS_INO_NODES,
	CFS_INO_GROUPS,
	CFS_INO_RESOURCES,
	CFS_INO_RESTYPES,
	CFS_INO_NETWORKS,
	CFS_INO_NETIFS,
	CFS_INO_NAME,
	CFS_INO_ID,
	CFS_INO_STATE,
	CFS_INO_QUORUM,
	CFS_INO_CONTROL,
	CFS_INO_PORTS, /* ports/ */
	CFS_INO_CLONE, /* ports/clone */
	CFS_INO_LOG,   /* log */
	CFS_INO_LOG1,  /* log.1 */
	CFS_INO_LOCAL_NODE, /* local_node: the name of this daemon's node */
	CFS_INO_FIXED_END,
};

enum cfs_tag {
	CFS_TAG_REGKEY = 1,
	CFS_TAG_REGVAL = 2,
	CFS_TAG_OBJDIR = 3,
	CFS_TAG_MEMBERS = 4,
	CFS_TAG_MEMBER = 5,
	CFS_TAG_PARAMS = 6,
	CFS_TAG_PARAM = 7,
	CFS_TAG_ATTR = 8, /* CFS_TAG_ATTR + slot, slot < 32 */
	/* Named ports: id is the port's id (its own id space). */
	CFS_TAG_PORTDIR = 40,
	CFS_TAG_PORT_FILTER = 41,
	CFS_TAG_PORT_EVENTS = 42,
	CFS_TAG_PORT_START = 43,
	CFS_TAG_PORT_STATS = 44,
	CFS_TAG_PARAMVAL = 45,
};

#define CFS_TAG_BITS 6
#define CFS_TAG_MASK ((1u << CFS_TAG_BITS) - 1)

static inline uint64_t cfs_ino(uint64_t id, unsigned tag)
{
	return (id << CFS_TAG_BITS) | tag;
}
static inline uint64_t cfs_ino_id(uint64_t ino)
{
	return ino >> CFS_TAG_BITS;
}
static inline unsigned cfs_ino_tag(uint64_t ino)
{
	return (unsigned)(ino & CFS_TAG_MASK);
}

/* Who an object file is and how it behaves. */
struct cfs_attr_spec {
	const char *name;
	bool writable;
	/* Appends the file's content. */
	int (*render)(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out);
	/* Turns what was written into commands (NULL: read-only). */
	int (*write)(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		     struct cfs_vec *cmds, const char **why);
	/* Lists and free text: what one open writes accumulates, and each
	 * write applies all of it (a shell writes a list line by line).
	 * Other files take each write as a whole new value. */
	bool accumulate;
	/* The registry value it shows, when a node "property" record with
	 * this prop must modify the file (fs_notify.c); NULL otherwise. */
	const char *prop;
};

/* The files of an object kind, NULL-name terminated; slot = index. */
const struct cfs_attr_spec *cfs_attr_specs(enum cfs_kind kind);
const struct cfs_attr_spec *cfs_attr_spec(enum cfs_kind kind, unsigned slot);

/* What an inode number resolves to (valid under the model read lock). */
struct cfs_node {
	uint64_t ino;
	enum {
		CFS_NODE_FIXED,
		CFS_NODE_REGKEY,
		CFS_NODE_REGVAL,
		CFS_NODE_OBJDIR,
		CFS_NODE_MEMBERS,
		CFS_NODE_MEMBER,
		CFS_NODE_ATTR,
		CFS_NODE_PARAMS, /* a resource's parameters/ (obj: the resource) */
		CFS_NODE_PARAM,  /* a file in it (obj; slot, or val for CFS_TAG_PARAMVAL) */
	} type;
	struct cfs_key *key;
	struct cfs_value *val;
	struct cfs_object *obj;
	const struct cfs_attr_spec *spec;
	unsigned slot; /* CFS_NODE_PARAM of CFS_TAG_PARAM: the place in the type's list */
};

/* A parameter file's inode (fs_params.c): 0 or -ENOENT. */
int cfs_fsparam_resolve(const struct cfs_model *m, uint64_t id, unsigned tag,
			struct cfs_node *ret);

/* 0 or -ENOENT. */
int cfs_resolve(const struct cfs_model *m, uint64_t ino, struct cfs_node *ret);

/* The collection directory inode of an object kind (0 for others). */
uint64_t cfs_coll_ino(enum cfs_kind kind);
/* The object kind shown by a collection directory (-1 for others). */
int cfs_coll_kind(uint64_t ino);

#endif
