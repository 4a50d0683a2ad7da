/* SPDX-License-Identifier: MIT */
/* Where the mount and cluster tests make their temporary directories:
 * $CFS_TEST_TMP when set (scripts/test.sh gives each run its own, so
 * that its last-resort clean-up touches only what its own tests left),
 * else /tmp. It must be traversable by every user (tests run tools as
 * nobody). */
#ifndef CFS_TEST_TMP_H
#define CFS_TEST_TMP_H

#include <stdlib.h>

static inline const char *cfs_test_tmp(void)
{
	const char *d = getenv("CFS_TEST_TMP");
	return d && *d ? d : "/tmp";
}

#endif
