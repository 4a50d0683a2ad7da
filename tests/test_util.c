/* SPDX-License-Identifier: MIT */
/* Tests of util.h's clock helpers. */
#include <criterion/criterion.h>

#include "util.h"

/* A deadline is the wall clock plus the delay, normalized (tv_nsec below
 * a second), also for delays of whole seconds and more. */
Test(util, deadline_is_now_plus_the_delay)
{
	static const int64_t delays_us[] = {0, 1, 999999, 1000000, 1500000, 200, 61000000};
	for (size_t i = 0; i < sizeof(delays_us) / sizeof(delays_us[0]); i++) {
		int64_t before = cfs_now_ns();
		struct timespec d = cfs_deadline_us(delays_us[i]);
		int64_t after = cfs_now_ns();
		cr_assert(d.tv_nsec >= 0 && d.tv_nsec < 1000000000, "tv_nsec %ld", d.tv_nsec);
		int64_t at = (int64_t)d.tv_sec * 1000000000 + d.tv_nsec;
		cr_assert_geq(at, before + delays_us[i] * 1000, "delay %lld us",
			      (long long)delays_us[i]);
		cr_assert_leq(at, after + delays_us[i] * 1000, "delay %lld us",
			      (long long)delays_us[i]);
	}
}
