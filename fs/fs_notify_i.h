/* SPDX-License-Identifier: MIT */
/* The notifier's unit of work, shared by the code that builds it from a
 * commit's records (fs_notify_map.c) and the threads that carry it out
 * (fs_notify.c). Private to fs/. */
#ifndef CFS_FS_NOTIFY_I_H
#define CFS_FS_NOTIFY_I_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "fs_notify.h"
#include "hmap.h"
#include "journal.h"
#include "model.h"
#include "pool.h"

/* An invalidation: an inode, or a directory entry. */
struct cfs_inval {
	uint64_t ino; /* the inode, or the parent directory when name is set */
	char *name;   /* entry to drop, or NULL */
};

/* A name the notifier still sees, with its old inode, while its self-op
 * runs (fs_notify.h). */
struct cfs_tomb {
	uint64_t parent;
	const char *name; /* the unit's (cfs_unit.strings), or a static string */
	uint64_t ino;
	mode_t mode;
};

/* A self-op: the system call the replayer makes on the mount. */
enum cfs_sop {
	CFS_SOP_MKDIR,
	CFS_SOP_MKNOD,
	CFS_SOP_SYMLINK,
	CFS_SOP_UNLINK,
	CFS_SOP_RMDIR,
	CFS_SOP_RENAME,
	CFS_SOP_MODIFY,
	CFS_SOP_ATTRIB,
};

struct cfs_selfop {
	enum cfs_sop op;
	char *path;	/* relative to the mount */
	char *path2;	/* rename: new path; symlink: target */
	uint64_t parent; /* the entry created, removed or renamed */
	char *name;
	char *name2;	/* rename: the new name (hidden until done) */
	uint64_t ino;	/* modify/attrib: the inode */
	/* Its tombs (cfs_tomb_at): most self-ops have one or two, so those
	 * are inline; up to CFS_TOMB_MAX go to tomb_more. A burst queues
	 * hundreds of thousands of self-ops: their size is the daemon's. */
	struct cfs_tomb tomb_in[2];
	struct cfs_tomb *tomb_more;
	int ntomb;
	/* A later unit queued modifies the same file: its replay raises the
	 * event (fs_notify.c, modified_later). Notifier thread only. */
	bool skip;
};

#define CFS_TOMB_MAX 6

/* The last component of a registry key path in '\\' form. */
static inline const char *cfs_key_leaf(const char *path)
{
	const char *p = strrchr(path, '\\');
	return p ? p + 1 : path;
}

static inline struct cfs_tomb *cfs_tomb_at(const struct cfs_selfop *o, int i)
{
	return i < 2 ? (struct cfs_tomb *)&o->tomb_in[i] : &o->tomb_more[i - 2];
}

/* Adds a tomb to o: false when o has CFS_TOMB_MAX already or memory ran
 * out (the caller still owns t's name then). */
bool cfs_tomb_add(struct cfs_selfop *o, struct cfs_tomb t);

/* One commit's work: what to invalidate, then the self-ops in order. */
struct cfs_unit {
	struct cfs_unit *next;
	uint64_t gen;	/* order of commits */
	struct cfs_origin origins[8]; /* copies: the batches' own end soon */
	size_t norigins;
	bool origins_overflow;	/* more than fit: everything counts as "post" */
	struct cfs_inval *items;
	size_t nitems, capitems;
	struct cfs_selfop *ops;
	size_t nops, capops;
	/* Every string of its ops, items and tombs: freed with the unit in
	 * one go (pool.h says why). */
	struct cfs_pool strings;
	struct cfs_imap seen;	 /* invalidated inodes already listed */
	struct cfs_imap touched; /* inodes modified or created in this unit */
	/* Resource types whose parameter list changed, by key id
	 * (cfs_fsparam_flush). */
	struct cfs_imap relist_types;
	/* Its ATTRIB self-ops are what a user's own system call changed
	 * besides its target (the values of a key whose mode it changed): a
	 * local file system queues those events before the call returns, so
	 * the call is answered after them (fs_notify.c). */
	bool sync;
	/* An entry a rename in this unit replaces (a deletion recorded with
	 * CFS_REC_REPLACED): the rename's replay finds it there. */
	struct cfs_tomb replaced;
};

/* Building a unit (committer thread, model read-locked). Allocation
 * failures drop an item or a self-op: the cache timeout then bounds
 * staleness, and an event is missed. */

/* Invalidates ino (once per unit), or the entry name in directory ino. */
void cfs_unit_inval(struct cfs_unit *u, uint64_t ino, const char *name);
/* A modification of the file at path (relative to the mount): at most
 * once per unit, not right after the unit created it, and not when the
 * writer's own write (origin) raises the event. */
void cfs_unit_modify(struct cfs_unit *u, const struct cfs_origin *origin, const char *path,
		     uint64_t ino);
/* Adds what one record changed. */
void cfs_unit_map(struct cfs_unit *u, const struct cfs_model *m, const struct cfs_record *r);
/* Building is over (the unit is queued): what only building needed goes
 * (seen, touched, the self-ops' spare room). A burst of commits queues
 * units faster than they are replayed, so what they hold is the daemon's
 * peak size. */
void cfs_unit_built(struct cfs_unit *u);
/* The invalidations were made: the items go (the self-ops stay; the
 * names stay in the unit's strings until it is freed). */
void cfs_unit_drop_items(struct cfs_unit *u);
/* NULL is a no-op. */
void cfs_unit_free(struct cfs_unit *u);

#endif
