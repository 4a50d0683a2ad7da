/* SPDX-License-Identifier: MIT */
/* Registry value types and their two forms.
 *
 * Stored form (what the registry holds and the store persists):
 *   SZ, EXPAND_SZ  UTF-8 bytes, no terminator, no NUL inside
 *   MULTI_SZ       UTF-8 strings, each followed by one NUL
 *   DWORD, QWORD   4 or 8 bytes, little endian
 *   BINARY, NONE   raw bytes
 *   LINK           a symbolic link's target: UTF-8, 1..CFS_LINK_MAX bytes,
 *                  no NUL (a value file that is a symlink; fs_registry.c)
 * Text form (what a value file shows and accepts):
 *   SZ, EXPAND_SZ  the string and a newline
 *   MULTI_SZ       one string per line
 *   DWORD, QWORD   decimal and a newline (writes also take 0x hex)
 *   BINARY, NONE   the raw bytes, unchanged
 *   LINK           the target and a newline
 * Parsing drops one trailing newline from text types, so `echo x > f`
 * stores "x". */
#ifndef CFS_VALUE_H
#define CFS_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Windows REG_* numbers, so the shims pass them through unchanged. */
enum cfs_regtype {
	CFS_REG_NONE = 0,
	CFS_REG_SZ = 1,
	CFS_REG_EXPAND_SZ = 2,
	CFS_REG_BINARY = 3,
	CFS_REG_DWORD = 4,
	CFS_REG_LINK = 6,
	CFS_REG_MULTI_SZ = 7,
	CFS_REG_QWORD = 11,
};

/* "REG_SZ", ... or NULL for an unknown type. */
const char *cfs_regtype_name(uint32_t type);
/* Accepts "REG_SZ", "sz", "1" (any case). Returns the type or -EINVAL. */
int cfs_regtype_parse(const char *s);
int cfs_regtype_valid(uint32_t type);

/* Text form -> stored form, appended to out. Returns 0, -EINVAL (does not
 * parse as the type), -ERANGE (number too large) or -EFBIG. */
int cfs_value_parse(uint32_t type, const char *text, size_t len, struct cfs_buf *out);
/* Stored form -> text form, appended to out. */
int cfs_value_format(uint32_t type, const void *data, size_t len, struct cfs_buf *out);
/* Checks that data is a valid stored form of type. 0 or -EINVAL. */
int cfs_value_check(uint32_t type, const void *data, size_t len);

/* A value written as a file's bytes without a type chosen for it (a file
 * made by mknod or open(O_CREAT)): text stays text, anything else is
 * bytes. Valid UTF-8 without NUL becomes REG_SZ (one trailing newline
 * dropped, as cfs_value_parse does; *ret_noeol is set when there was
 * none, so that the file shows exactly what was written); anything else
 * becomes REG_BINARY. The stored form is appended to out. 0, -EFBIG or
 * -ENOMEM. */
int cfs_value_classify(const void *data, size_t len, struct cfs_buf *out, uint32_t *ret_type,
		       bool *ret_noeol);

#endif
