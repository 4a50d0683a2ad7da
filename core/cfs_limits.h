/* SPDX-License-Identifier: MIT */
/* Every limit on what a user controls, in one place. Exceeding one is an
 * error with a specific errno, never a silent truncation. */
#ifndef CFS_CFS_LIMITS_H
#define CFS_CFS_LIMITS_H

/* Bytes in an object name, key name or value name (ENAMETOOLONG). */
#define CFS_NAME_MAX 255
/* Bytes in one registry value, in its stored form (EFBIG). */
#define CFS_VALUE_MAX (1024 * 1024)
/* Bytes in a symbolic link's target in the registry (REG_LINK values),
 * as the kernel's PATH_MAX less the NUL (ENAMETOOLONG). */
#define CFS_LINK_MAX 4095
/* Objects of one kind: nodes, groups, resources, ... (ENOSPC). */
#define CFS_OBJECTS_MAX 1000000
/* Registry keys plus values in the whole cluster database (ENOSPC). */
#define CFS_REG_ENTRIES_MAX 8000000
/* Depth of the registry key tree below its root (ENAMETOOLONG). */
#define CFS_KEY_DEPTH_MAX 32
/* Entries in one list property: owners, dependencies (E2BIG). */
#define CFS_LIST_MAX 1024
/* Bytes in one command line written to the control file (E2BIG). */
#define CFS_CMDLINE_MAX (CFS_VALUE_MAX * 4 + 4096) /* every byte as \\xHH */
/* Bytes buffered by one writer of the control file (E2BIG). */
#define CFS_CONTROL_BUF_MAX (16 * 1024 * 1024)
/* Length of an object id: a GUID in its 36-character text form. */
#define CFS_ID_LEN 36

#endif
