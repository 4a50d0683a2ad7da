/* SPDX-License-Identifier: MIT */
/* The cluster registry: a tree of keys holding typed values. It is the one
 * source of truth for everything persistent: every object (node, group,
 * resource, ...) is a key whose values are its properties.
 *
 * Keys and values share one id space. Ids are assigned in increasing order
 * and never reused, so they double as stable inode numbers in fs/ and as
 * stable readdir offsets: each key keeps its subkeys and values in arrays
 * sorted by id (creation appends; only undo and loading insert in the
 * middle).
 *
 * The functions here are raw mutators: they keep the tree and its indexes
 * consistent and check structure (names, duplicates) but know nothing of
 * objects, permissions or persistence. Changes that users ask for go
 * through txn.h, which validates, records undo and records what to persist.
 * Not thread-safe: the engine's model lock guards the whole registry. */
#ifndef CFS_REGISTRY_H
#define CFS_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hmap.h"
#include "util.h"

struct cfs_object;

/* struct cfs_value.flags. 0 is a value set with an explicit type whose
 * security is its key's: every value made before these flags existed. */
/* Its type was never chosen: it takes whatever bytes are written (text
 * stays REG_SZ, anything else becomes REG_BINARY; cfs_value_classify). */
#define CFS_VAL_UNTYPED 0x1u
/* A REG_SZ whose file shows no final newline (it was written without
 * one): the file holds exactly the bytes written. Only with UNTYPED. */
#define CFS_VAL_NOEOL 0x2u
/* mode, uid and gid below are the value's own; otherwise they follow
 * its key's (cfs_value_mode() and friends). */
#define CFS_VAL_OWN_SECURITY 0x4u
#define CFS_VAL_FLAGS_ALL 0x7u

/* A key's security: its mode (permission bits only), owner and group. */
struct cfs_sec {
	uint32_t mode, uid, gid;
};

struct cfs_value {
	uint64_t id;
	struct cfs_key *key;
	char *name;
	uint32_t type; /* enum cfs_regtype */
	uint8_t *data; /* stored form, see value.h */
	size_t len;
	int64_t mtime_ns;
	uint32_t flags; /* CFS_VAL_* */
	/* The value's own security (a file's mode and owner), meaningful with
	 * CFS_VAL_OWN_SECURITY; read them through the accessors below. */
	uint32_t mode; /* permission bits only (07777) */
	uint32_t uid;
	uint32_t gid;
};

struct cfs_key {
	uint64_t id;
	struct cfs_key *parent; /* NULL for the root */
	char *name;		/* "" for the root */
	unsigned depth;		/* 0 for the root */
	/* The key's security: maps onto a directory's mode and owner. */
	uint32_t mode; /* permission bits only (07777) */
	uint32_t uid;
	uint32_t gid;
	int64_t mtime_ns;
	struct cfs_vec subkeys; /* struct cfs_key *, sorted by id */
	struct cfs_vec values;	/* struct cfs_value *, sorted by id */
	struct cfs_smap subkey_by_name;
	struct cfs_smap value_by_name;
	struct cfs_object *obj; /* set when this key is an object's key */
};

struct cfs_registry {
	struct cfs_key *root;
	struct cfs_imap keys;	/* id -> struct cfs_key * */
	struct cfs_imap values; /* id -> struct cfs_value * */
	uint64_t next_id;	/* next id to hand out; never decreases */
};

#define CFS_REG_ROOT_ID 1

/* Creates an empty registry with a root key (id 1, mode 0755, root:root). */
int cfs_reg_init(struct cfs_registry *reg);
void cfs_reg_free(struct cfs_registry *reg);

struct cfs_key *cfs_reg_key(const struct cfs_registry *reg, uint64_t id);
struct cfs_value *cfs_reg_value(const struct cfs_registry *reg, uint64_t id);
static inline size_t cfs_reg_entries(const struct cfs_registry *reg)
{
	return reg->keys.n + reg->values.n;
}

struct cfs_key *cfs_key_subkey(const struct cfs_key *key, const char *name);
struct cfs_value *cfs_key_value(const struct cfs_key *key, const char *name);

/* The key's path below the root with '\' separators ("" for the root). */
int cfs_key_path(const struct cfs_key *key, struct cfs_buf *out);
/* Resolves a '\'- or '/'-separated path from the root. 0 or -ENOENT. */
int cfs_reg_lookup(const struct cfs_registry *reg, const char *path, struct cfs_key **ret);

/* Checks a key or value name: 1..CFS_NAME_MAX bytes of UTF-8, no '/',
 * no '\' (keys only), no control characters, not "." or "..".
 * Returns 0, -EINVAL or -ENAMETOOLONG. */
int cfs_reg_check_name(const char *name, bool is_key);

/* Raw mutators. id 0 means "assign the next id". They fail with -EEXIST on
 * a duplicate name and -ENOMEM; they never leave a half-done change. */
int cfs_reg_add_key(struct cfs_registry *reg, struct cfs_key *parent, uint64_t id,
		    const char *name, uint32_t mode, uint32_t uid, uint32_t gid,
		    int64_t mtime_ns, struct cfs_key **ret);
/* The key must have no subkeys and no values (asserted). */
void cfs_reg_remove_key(struct cfs_registry *reg, struct cfs_key *key);
int cfs_reg_rename_key(struct cfs_registry *reg, struct cfs_key *key, const char *name);
/* Creates or replaces a value; data is copied. */
int cfs_reg_set_value(struct cfs_registry *reg, struct cfs_key *key, uint64_t id,
		      const char *name, uint32_t type, const void *data, size_t len,
		      int64_t mtime_ns, struct cfs_value **ret);
void cfs_reg_remove_value(struct cfs_registry *reg, struct cfs_value *val);
int cfs_reg_rename_value(struct cfs_registry *reg, struct cfs_value *val, const char *name);

/* A value's effective security: its own, or its key's (the key's mode
 * without x bits). A value's file shows these, and the kernel enforces
 * them (default_permissions). A REG_LINK value's mode is 0777, as any
 * symbolic link's. */
uint32_t cfs_value_mode(const struct cfs_value *v);
uint32_t cfs_value_uid(const struct cfs_value *v);
uint32_t cfs_value_gid(const struct cfs_value *v);

/* Whether a caller (uid, primary gid and supplementary groups) may read
 * the value through the mount: search permission on every key from the
 * root down to its own, and read permission on the value, by the rules
 * the kernel applies (uid 0 may search a key that anyone may search and
 * read everything; owner bits, then group bits, then other bits). For
 * anything that hands a value's content to someone outside the mount,
 * such as event records. */
bool cfs_value_may_read(const struct cfs_value *v, uint32_t uid, uint32_t gid,
			const uint32_t *groups, size_t ngroups);

/* A value's file content: its text form (value.h), without the final
 * newline for CFS_VAL_NOEOL values. */
int cfs_value_text(const struct cfs_value *v, struct cfs_buf *out);

/* Typed readers for values of object keys. They return a fallback when the
 * value is missing or of another type. */
const char *cfs_key_get_sz(const struct cfs_key *key, const char *name, size_t *ret_len);
uint32_t cfs_key_get_dword(const struct cfs_key *key, const char *name, uint32_t dflt);

#endif
