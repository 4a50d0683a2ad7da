/* SPDX-License-Identifier: MIT */
/* What the files answering the mount's requests share (private to fs/).
 *
 * One file per subtree, one per job:
 *   fs_ops.c       the ops table and the handlers: each resolves the inode
 *                  (fs_inode.h) and dispatches on its type to a subtree;
 *                  the open-file list; the notifier's view of the tree
 *   fs_node.c      a resolved node's attributes, content, children and
 *                  listing, each asked of its subtree
 *   fs_root.c      the fixed files at the root and the root listing
 *   fs_objects.c   collections, object directories and files, member links
 *   fs_registry.c  registry keys and values, the value's type attribute
 *   fs_control.c   the control file (its language is core/control.h)
 *   fs_pending.c   replies sent once a change is committed
 *   fs_ports*.c    ports/ and the event log (fs_ports.h; fs_ports_i.h
 *                  says which file does what)
 *
 * The subtree functions named *_stat, *_render, *_child, *_list and the
 * command builders run under the engine's read lock, with a node resolved
 * by the caller; they take no lock and never reply. Functions taking a
 * fuse_req_t make exactly one reply (or hand the request to a pending
 * reply that makes it). */
#ifndef CFS_FS_I_H
#define CFS_FS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "control.h"
#include "fs.h"
#include "fs_inode.h"
#include "fs_notify.h"

static inline struct cfs_fs *cfs_fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* --- per-open state (fs_ops.c) --- */

enum cfs_fh_kind {
	CFS_FH_ATTR,
	CFS_FH_VALUE,
	CFS_FH_CONTROL,
	CFS_FH_FIXED,
	CFS_FH_SELF,
	CFS_FH_PARAM, /* a file of a resource's parameters/ (fs_params.c) */
};

struct cfs_fh {
	enum cfs_fh_kind kind;
	uint64_t ino;		/* the inode opened (set once, before it is shared) */
	pthread_mutex_t lock;	/* guards the fields below */
	struct cfs_buf staged;	/* VALUE: the value's text as this writer sees it;
				 * ATTR (accumulating files): what was written */
	bool staged_loaded;
	bool trunc_pending;	/* opened with O_TRUNC, nothing written yet: a VALUE
				 * with a type, or an ATTR list or free text (each
				 * emptied at the last close) */
	bool gone;		/* VALUE: removed while open; staged is all it has */
	struct cfs_buf line;	/* CONTROL: an incomplete last line */
	struct cfs_ctl ctl;	/* CONTROL: the block being held */
	struct cfs_buf snap;	/* read snapshot, taken at the first read */
	bool snap_taken;
	struct cfs_fh *prev, *next; /* cfs_fs.fh_open, guarded by cfs_fs.fh_lock */
};

/* A new open file of ino (on the open-file list), or NULL. */
struct cfs_fh *cfs_fh_new(struct cfs_fs *fs, enum cfs_fh_kind kind, uint64_t ino);
/* Takes it off the list and frees it; NULL is a no-op. */
void cfs_fh_free(struct cfs_fs *fs, struct cfs_fh *h);

/* Whether a WRITE request of size bytes at off may be taken whole: one
 * that reaches past limit, or that may be a piece of a longer write()
 * (cfs_fs.write_piece), is refused with EFBIG before anything is
 * applied, so that a refused write() never returns a short count. */
int cfs_write_fits(const struct cfs_fs *fs, off_t off, size_t size, size_t limit);

/* --- nodes (fs_node.c; model read-locked) --- */

/* The content of a file node; -EISDIR for a directory. */
int cfs_node_render(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
		    struct cfs_buf *out);
/* Fills st for a node. 0/-errno. */
int cfs_fill_attr(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
		  struct stat *st);
bool cfs_node_is_dir(const struct cfs_node *n);
/* The entry and attribute timeout of n, in seconds. */
double cfs_node_timeout(const struct cfs_fs *fs, const struct cfs_node *n);
/* Looks up parent/name and fills an entry (takes the read lock itself). */
int cfs_make_entry(struct cfs_fs *fs, uint64_t parent, const char *name,
		   struct fuse_entry_param *e);

/* The newest change time of a key and its values. */
static inline int64_t cfs_key_values_mtime(const struct cfs_key *k)
{
	int64_t t = k->mtime_ns;
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		if (v->mtime_ns > t)
			t = v->mtime_ns;
	}
	return t;
}

/* A directory listing being filled; or, with each set, walked: each gets
 * every entry instead. plus: a READDIRPLUS reply, each entry with its
 * attributes (filled under the caller's read lock on the model). */
struct cfs_dirbuf {
	fuse_req_t req;
	char *buf;
	size_t size, len;
	bool full;
	bool plus;
	void (*each)(void *ud, const char *name, uint64_t ino, mode_t type);
	void *ud;
};

/* Lists n from offset off: ".", ".." and the subtree's entries. */
void cfs_node_list(struct cfs_fs *fs, const struct cfs_node *n, off_t off,
		   struct cfs_dirbuf *d);

/* Calls fn for each entry of directory n of model m (no "." and ".."),
 * under the caller's hold on m. */
void cfs_node_each_child(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
			 void (*fn)(void *ud, const char *name, uint64_t ino, mode_t type),
			 void *ud);

/* Adds one entry unless the buffer is full; off is the offset of the NEXT
 * entry. In a plus listing, the entry carries what a LOOKUP of it would
 * answer (cfs_make_entry), except for ".", "..", ports/ and the log: those
 * go with no inode (the kernel then links nothing and takes no lookup
 * count, and asks with a LOOKUP when it needs them). */
void cfs_dir_add(struct cfs_dirbuf *d, const char *name, uint64_t ino, mode_t type, off_t off);

/* Offsets: 1 and 2 are "." and "..", an entry with id X (or slot X) is at
 * X + 3, so a listing resumes correctly however the directory changed. A
 * subtree's listing gets `min`, the first id or slot wanted. */
#define CFS_DIR_OFF(x) ((off_t)(x) + 3)

/* The index of the first element of v (sorted by the uint64_t id each
 * element starts with: keys and values) whose id is >= min_id. */
size_t cfs_first_from(const struct cfs_vec *v, uint64_t min_id);

/* --- replies after commit (fs_pending.c) --- */

/* What to reply once the engine has committed (or refused) a change. */
enum cfs_reply {
	CFS_REPLY_ERR,	       /* 0 or the error */
	CFS_REPLY_WRITE,       /* `written` bytes */
	CFS_REPLY_ENTRY,       /* the entry (parent, name) */
	CFS_REPLY_VALUE_WRITE, /* as WRITE; refused: fh's staged text = restore */
	CFS_REPLY_ATTR,	       /* the attributes of `parent` (the inode changed) */
	CFS_REPLY_OPEN,	       /* the open `fi` of fh; refused: fh is freed */
	CFS_REPLY_NONE,	       /* nobody waits (req is NULL) */
};

struct cfs_pending {
	fuse_req_t req;
	struct cfs_fs *fs;
	enum cfs_reply kind;
	size_t written;
	uint64_t parent;
	struct cfs_fh *fh;
	struct fuse_file_info fi; /* OPEN: what to answer */
	struct cfs_buf restore;	  /* VALUE_WRITE: staged text before this write */
	char *desc;		  /* what was asked, for the log */
	struct cfs_origin origin; /* what the kernel reports itself */
	char name[];
};

/* A pending reply to req; name (may be NULL) is copied. NULL: no memory. */
struct cfs_pending *cfs_pending_new(fuse_req_t req, enum cfs_reply kind, const char *name);
void cfs_pending_free(struct cfs_pending *p);
void cfs_pending_set_origin(struct cfs_pending *p, int what, uint64_t ino, const char *name);
/* Submits cmds (owned; emptied) and replies from the committer; on a
 * submission failure replies here and frees p. */
void cfs_pending_submit(fuse_req_t req, struct cfs_pending *p, struct cfs_vec *cmds);

/* Replies err (< 0), or submits cmds (owned) and replies `kind` once
 * committed, with ino as both the pending's parent and the origin's
 * inode, and name as both the entry's and the origin's name. */
void cfs_pending_reply_cmds(fuse_req_t req, int err, struct cfs_vec *cmds, enum cfs_reply kind,
			    uint64_t ino, const char *name, int origin);
/* A write of `written` bytes to ino that made cmds (owned): replies at
 * once when there are none, else once they are committed. */
void cfs_pending_reply_write(fuse_req_t req, uint64_t ino, struct cfs_vec *cmds, size_t written);
/* Submits cmds (owned) that no request waits for, as root; the outcome is
 * only logged. */
void cfs_pending_submit_detached(struct cfs_fs *fs, uint64_t ino, struct cfs_vec *cmds);

/* Builds one command and appends it to cmds. 0/-errno. */
int cfs_push_cmd(struct cfs_vec *cmds, enum cfs_op op, int argc, const char *const *argv,
		 const size_t *lens);
/* Frees the commands and the vector. */
void cfs_free_cmds(struct cfs_vec *cmds);

/* --- the root (fs_root.c) --- */

int cfs_fsroot_render(struct cfs_fs *fs, const struct cfs_model *m, uint64_t ino,
		      struct cfs_buf *out);
/* The root and its fixed files, not the collections. */
int cfs_fsroot_stat(struct cfs_fs *fs, const struct cfs_model *m, const struct cfs_node *n,
		    struct stat *st, int64_t *ret_mtime);
uint64_t cfs_fsroot_child(const char *name);
void cfs_fsroot_list(struct cfs_dirbuf *d, uint64_t min);
/* A write to the cluster's name (the one writable fixed file). */
void cfs_fsroot_write(fuse_req_t req, uint64_t ino, const char *buf, size_t size);

/* --- a resource's parameters/ (fs_params.c) --- */

/* CFS_NODE_PARAMS and CFS_NODE_PARAM nodes (model read-locked, like the others). */
int cfs_fsparam_stat(const struct cfs_model *m, const struct cfs_node *n, struct stat *st,
		     int64_t *ret_mtime);
int cfs_fsparam_render(const struct cfs_model *m, const struct cfs_node *n, struct cfs_buf *out);
uint64_t cfs_fsparam_child(const struct cfs_model *m, const struct cfs_node *p, const char *name);
void cfs_fsparam_list(const struct cfs_model *m, const struct cfs_node *n, struct cfs_dirbuf *d,
		      uint64_t min);
/* A write to a parameter file (takes the lock itself; one reply). */
void cfs_fsparam_write(fuse_req_t req, uint64_t ino, const char *buf, size_t size);
/* Commands for a new parameter file and for its removal (p: CFS_NODE_PARAMS). */
int cfs_fsparam_mknod(const struct cfs_node *p, const char *name, struct cfs_vec *cmds);
int cfs_fsparam_remove(const struct cfs_node *p, const char *name, bool dir, struct cfs_vec *cmds);
struct cfs_unit;
struct cfs_record;
/* The notifier's invalidations for what registry record r changed in
 * resources' parameters/ (model read-locked, after the change): a
 * resource's Parameters key, a type's parameter list, a resource's type. */
void cfs_fsparam_map(struct cfs_unit *u, const struct cfs_model *m, const struct cfs_record *r);
/* After the commit's last record was mapped (model read-locked): the
 * resources of the types whose parameter list changed. */
void cfs_fsparam_flush(struct cfs_unit *u, const struct cfs_model *m);
/* truncate(2) of a parameter file: to its size, nothing; to 0, the
 * parameter becomes empty; other sizes -EINVAL. */
int cfs_fsparam_truncate(const struct cfs_model *m, const struct cfs_node *n, off_t size,
			 off_t cur, struct cfs_vec *cmds);

/* --- objects (fs_objects.c) --- */

/* Collections (fixed inodes), object directories, groups' resources/,
 * member links and object files. */
int cfs_fsobj_stat(const struct cfs_model *m, const struct cfs_node *n, struct stat *st,
		   int64_t *ret_mtime);
int cfs_fsobj_render(const struct cfs_model *m, const struct cfs_node *n, struct cfs_buf *out);
uint64_t cfs_fsobj_child(const struct cfs_model *m, const struct cfs_node *p, const char *name);
void cfs_fsobj_list(const struct cfs_model *m, const struct cfs_node *n, struct cfs_dirbuf *d,
		    uint64_t min);
/* A member link's target (CFS_NODE_MEMBER). */
void cfs_fsobj_link_target(const struct cfs_node *n, char *buf, size_t size);
void cfs_fsobj_write(fuse_req_t req, uint64_t ino, struct cfs_fh *h, const char *buf,
		     size_t size);
/* truncate(2) of an object file of current size cur: 0 with cmds filled
 * (a list or free text emptied; none when the size is already right), or
 * -EINVAL (a value cannot be cut), -EACCES (read-only), -EFBIG. */
int cfs_fsobj_truncate(const struct cfs_model *m, const struct cfs_node *n, off_t size, off_t cur,
		       struct cfs_vec *cmds);
/* The last close of an object file opened with O_TRUNC and never
 * written: a list or free text becomes empty (nothing waits for it). */
void cfs_fsobj_truncate_at_release(struct cfs_fs *fs, uint64_t ino);
/* Commands for mkdir, rmdir and rename in a collection (no lock needed):
 * 0 with cmds filled, or -errno. */
int cfs_fsobj_mkdir(uint64_t parent, const char *name, struct cfs_vec *cmds);
int cfs_fsobj_remove(uint64_t parent, const char *name, bool dir, struct cfs_vec *cmds);
int cfs_fsobj_rename(uint64_t parent, const char *name, const char *newname,
		     struct cfs_vec *cmds);

/* --- the registry (fs_registry.c) --- */

/* Keys (directories) and values (files). */
int cfs_fsreg_stat(const struct cfs_node *n, struct stat *st, int64_t *ret_mtime);
int cfs_fsreg_render(const struct cfs_node *n, struct cfs_buf *out);
uint64_t cfs_fsreg_child(const struct cfs_node *p, const char *name);
void cfs_fsreg_list(const struct cfs_node *n, struct cfs_dirbuf *d, uint64_t min);
void cfs_fsreg_write(fuse_req_t req, uint64_t ino, struct cfs_fh *h, const char *buf,
		     size_t size, off_t off);
/* A value link's target (CFS_NODE_REGVAL of type REG_LINK), or -EINVAL. */
int cfs_fsreg_link_target(const struct cfs_node *n, char *buf, size_t size);
/* open(2) of a value with O_TRUNC: 0 with cmds filled when the value is
 * emptied now (answer the open once they commit), or with none (nothing
 * to empty, or a value with a type: *ret_pending is set, and the open
 * file's view of it starts empty: cfs_fh.trunc_pending). */
int cfs_fsreg_open_trunc(const struct cfs_node *n, bool *ret_pending, struct cfs_vec *cmds);
/* The last close of a value with a type opened with O_TRUNC and never
 * written. */
void cfs_fsreg_truncate_at_release(struct cfs_fs *fs, uint64_t ino);
/* Command builders on a resolved key (p) or node (n): 0 with cmds
 * filled (setattr: maybe none), or -errno. */
int cfs_fsreg_mkdir(const struct cfs_node *p, const char *name, mode_t mode,
		    struct cfs_vec *cmds);
int cfs_fsreg_mknod(const struct cfs_node *p, const char *name, mode_t mode,
		    struct cfs_vec *cmds);
int cfs_fsreg_symlink(const struct cfs_node *p, const char *name, const char *target,
		      struct cfs_vec *cmds);
int cfs_fsreg_remove(const struct cfs_node *p, const char *name, bool dir, struct cfs_vec *cmds);
/* rename(2) within one key (flags: RENAME_NOREPLACE; the caller refuses
 * others and a move to another key). */
int cfs_fsreg_rename(const struct cfs_node *p, const char *name, const char *newname,
		     unsigned flags, struct cfs_vec *cmds);
int cfs_fsreg_setattr(const struct cfs_node *n, const struct stat *attr, int to_set,
		      struct cfs_vec *cmds);
/* The type attribute of values (user.cluster.type); nothing else has
 * extended attributes. Each makes one reply. */
void cfs_fsreg_getxattr(fuse_req_t req, uint64_t ino, const char *name, size_t size);
void cfs_fsreg_listxattr(fuse_req_t req, uint64_t ino, size_t size);
void cfs_fsreg_setxattr(fuse_req_t req, uint64_t ino, const char *name, const char *value,
			size_t size, int flags);
void cfs_fsreg_removexattr(fuse_req_t req, uint64_t ino, const char *name);

/* --- the control file (fs_control.c) --- */

void cfs_fsctl_write(fuse_req_t req, struct cfs_fh *h, const char *buf, size_t size);
void cfs_fsctl_flush(fuse_req_t req, struct cfs_fh *h);

#endif
