/* SPDX-License-Identifier: MIT */
/* Who may learn what: the one rule every stream of change records follows.
 *
 * No file, record or API result shows a reader anything it could not read
 * directly, with its own credentials, at that moment. Registry keys carry
 * the only security in the cluster (a key's mode, owner and group, shown
 * as a directory's; its value files take its permission bits without x).
 * So a reader may see a record about a key, or about one of its values,
 * exactly when the kernel's default_permissions would let it read that
 * key's value files: search (x) on every key from the registry root down
 * to the key itself, and read (r) on the key. Each check picks the owner,
 * group or other bits as the kernel does (the owner's bits alone when the
 * reader owns the key; the group's when its gid or one of its
 * supplementary groups is the key's; the others' otherwise). Root and the
 * admin group see everything.
 *
 * A value with a security of its own (chmod or chown of its file) is the
 * exception: a record about it follows the value's security (search on
 * every key down to its key, read on the value), as long as the value
 * exists.
 *
 * Records about objects (nodes, groups, ...) are visible to everyone:
 * objects have no security of their own and their directories are world
 * readable. The exception is a `property` record, which carries the text
 * of a value of the object's key: it follows that key like a registry
 * record (a free property is readable only through the registry).
 *
 * The check is made when a record is delivered, against the key's current
 * security, so a change of security takes effect from that moment for
 * records not yet delivered, in both directions. A record about a key that
 * no longer exists follows the security the key had when the record was
 * made (cfs_record.sec); records reloaded from the store after a restart
 * carry none, and those whose key is gone go to root and the admin group
 * only.
 *
 * Pure functions; the model must be read-locked by the caller where one is
 * passed. */
#ifndef CFS_ACCESS_H
#define CFS_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "registry.h"

/* A reader's credentials, taken when it opened its file. */
struct cfs_cred {
	uint32_t uid, gid;
	uint32_t *groups; /* supplementary groups, malloc'd */
	size_t ngroups;
	bool admin; /* root or a member of the admin group: sees everything */
};

/* Fills c (groups are copied); admin is computed against admin_gid.
 * 0 or -ENOMEM (then c is empty and not admin). */
int cfs_cred_init(struct cfs_cred *c, uint32_t uid, uint32_t gid, const uint32_t *groups,
		  size_t ngroups, uint32_t admin_gid);
/* Root's credentials (no allocation). */
struct cfs_cred cfs_cred_root(void);
int cfs_cred_copy(struct cfs_cred *dst, const struct cfs_cred *src);
void cfs_cred_free(struct cfs_cred *c);
/* True when c has gid as its group or a supplementary group. */
bool cfs_cred_in_group(const struct cfs_cred *c, uint32_t gid);

/* Permission bits (r=4, w=2, x=1) a security grants c, as the kernel
 * picks them (root: all). */
unsigned cfs_sec_bits(const struct cfs_sec *s, const struct cfs_cred *c);
/* The rule above for a chain of securities, the root key's first and the
 * key's last. */
bool cfs_sec_chain_readable(const struct cfs_sec *chain, size_t n, const struct cfs_cred *c);
/* The same for a key of the current model. */
bool cfs_key_readable(const struct cfs_key *k, const struct cfs_cred *c);
/* A copy of k's chain (root first) for cfs_record.sec. 0 or -ENOMEM. */
int cfs_key_sec_chain(const struct cfs_key *k, struct cfs_sec **ret, uint32_t *ret_n);

/* Whether c may see r now (m read-locked). */
bool cfs_record_visible(const struct cfs_model *m, const struct cfs_record *r,
			const struct cfs_cred *c);

#endif
