/* SPDX-License-Identifier: MIT */
/* Little-endian binary encoding for what crosses the wire between nodes
 * (batches, the replication protocol's messages, state snapshots).
 *
 * Writers append to a cfs_buf and return 0 or -ENOMEM. A reader walks a
 * received buffer with every length checked: a get past the end, or a
 * length that does not fit, marks the reader bad and returns zeros, so a
 * decoder reads everything and checks cfs_wire_ok() once at the end. Data
 * from the network is never trusted further than that. */
#ifndef CFS_WIRE_H
#define CFS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

int cfs_wire_u8(struct cfs_buf *b, uint8_t v);
int cfs_wire_u32(struct cfs_buf *b, uint32_t v);
int cfs_wire_u64(struct cfs_buf *b, uint64_t v);
/* A length (u32) and the bytes. */
int cfs_wire_bytes(struct cfs_buf *b, const void *p, size_t n);
/* A NUL-terminated string, as bytes (NULL is written as a length of
 * 0xffffffff and read back as NULL). */
int cfs_wire_str(struct cfs_buf *b, const char *s);

struct cfs_wire_reader {
	const unsigned char *p, *end;
	bool bad;
};

static inline struct cfs_wire_reader cfs_wire_reader(const void *p, size_t n)
{
	return (struct cfs_wire_reader){p, (const unsigned char *)p + n, false};
}

uint8_t cfs_wire_get_u8(struct cfs_wire_reader *r);
uint32_t cfs_wire_get_u32(struct cfs_wire_reader *r);
uint64_t cfs_wire_get_u64(struct cfs_wire_reader *r);
/* Points *ret into the buffer (not copied, not NUL-terminated); returns
 * the length, at most max (longer marks the reader bad). */
size_t cfs_wire_get_bytes(struct cfs_wire_reader *r, size_t max, const void **ret);
/* A malloc'd copy of a string written by cfs_wire_str (NULL for a NULL
 * string, and on error: check cfs_wire_ok()). Refuses embedded NULs. */
char *cfs_wire_get_str(struct cfs_wire_reader *r, size_t max);
/* True when everything read so far was well-formed and, with at_end, the
 * whole buffer was consumed. */
static inline bool cfs_wire_ok(const struct cfs_wire_reader *r, bool at_end)
{
	return !r->bad && (!at_end || r->p == r->end);
}

#endif
