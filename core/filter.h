/* SPDX-License-Identifier: MIT */
/* Port filters: which change records a subscriber wants, each wanted
 * registration tagged with the subscriber's notify key.
 *
 * A filter is a list of registrations, one per line of text:
 *
 *   all                          every record
 *   kind=group,resource          records of these kinds ...
 *   change=state,added           ... and of these changes (both optional)
 *   v1=0x1000                    records whose CLUSTER_CHANGE_* flag is in the mask
 *   v2=group:0x8                 records of that V2 object type with a flag in the mask
 *   object=ID                    only records about this object (by id)
 *   registry=PATH [subtree]      only registry records of this key (and below)
 *   key=N                        the notify key echoed in each record (default 0)
 *
 * Words combine with AND within a line; lines combine with OR, and a
 * record matching several lines is delivered once per line, each with its
 * own key (as a Windows notification port does). "reset" removes every
 * registration; "remove key=N" those with key N.
 *
 * Every record maps to exactly one V1 flag and one V2 (object type, flag)
 * pair (cfs_record_flags), the values of clusapi.h. */
#ifndef CFS_FILTER_H
#define CFS_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "cfs_limits.h"

/* Windows values (clusapi.md sections 1 and 2). */
#define CFS_V1_CLUSTER_RECONNECT 0x00080000u
#define CFS_V2_TYPE_CLUSTER 1u
#define CFS_V2_CLUSTER_LOST_NOTIFICATIONS 0x200u

struct cfs_rec_flags {
	uint32_t v1;
	uint32_t v2type;
	uint64_t v2flags;
};

/* The V1 flag and V2 type/flag a record is reported with. */
struct cfs_rec_flags cfs_record_flags(const struct cfs_record *r);

/* V2 object type name ("group") or number -> value, or -EINVAL. */
int cfs_v2type_parse(const char *s);

#define CFS_FILTER_MAX 1024 /* registrations in one filter (E2BIG) */

struct cfs_reg {
	uint64_t key;	       /* notify key */
	uint32_t kinds;	       /* bit per enum cfs_kind; 0 = any */
	uint64_t changes;      /* bit per enum cfs_change; 0 = any */
	uint32_t v1;	       /* 0 = no V1 condition */
	uint32_t v2type;       /* with v2flags */
	uint64_t v2flags;      /* 0 = no V2 condition */
	char object[CFS_ID_LEN + 1]; /* "" = any object */
	char *registry;	       /* key path ('\'), NULL = no registry condition */
	bool subtree;
	bool all;
};

struct cfs_filter {
	struct cfs_reg *regs;
	size_t n;
};

/* Applies one line (a registration, "reset" or "remove key=N") to f.
 * Names of objects are resolved by the caller beforehand (object= takes
 * an id). Returns 0 or -EINVAL/-E2BIG/-ENOMEM with a reason in *why. */
int cfs_filter_apply_line(struct cfs_filter *f, const char *line, const char **why);
/* True when registration g wants record r. */
bool cfs_reg_match(const struct cfs_reg *g, const struct cfs_record *r);
/* Text form of one registration (one line, no newline) for persistence. */
int cfs_reg_format(const struct cfs_reg *g, struct cfs_buf *out);
int cfs_filter_copy(struct cfs_filter *dst, const struct cfs_filter *src);
void cfs_filter_free(struct cfs_filter *f);

#endif
