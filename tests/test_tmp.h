/* SPDX-License-Identifier: MIT */
/* Temporary directories of the tests.
 *
 * Where the mount and cluster tests make theirs:
 * $CFS_TEST_TMP when set (scripts/test.sh gives each run its own, so
 * that its last-resort clean-up touches only what its own tests left),
 * else /tmp. It must be traversable by every user (tests run tools as
 * nobody). */
#ifndef CFS_TEST_TMP_H
#define CFS_TEST_TMP_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static inline const char *cfs_test_tmp(void)
{
	const char *d = getenv("CFS_TEST_TMP");
	return d && *d ? d : "/tmp";
}

static inline int cfs_test_rm_one(const char *path, const struct stat *st, int flag,
				  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes dir and everything below it (what a unit test made there). */
static inline void cfs_test_rm_rf(const char *dir)
{
	nftw(dir, cfs_test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
