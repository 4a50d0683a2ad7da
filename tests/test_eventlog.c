/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"

static struct cfs_record mk(uint64_t seq, const char *name, const char *oldv, const char *newv)
{
	return (struct cfs_record){.seq = seq,
				   .time_ns = 1795317288586524688LL,
				   .kind = CFS_KIND_GROUP,
				   .change = CFS_CH_STATE,
				   .obj_id = "id",
				   .obj_name = (char *)name,
				   .old_value = (char *)oldv,
				   .new_value = (char *)newv};
}

Test(eventlog, format)
{
	struct cfs_buf b = {0};
	struct cfs_record r = mk(121, "web", "offline", "online");
	cr_assert_eq(cfs_eventlog_format(&r, &b), 0);
	cr_assert_str_eq(b.data, "2026-11-22T03:14:48.586524Z 121 group state web offline -> online\n");
	cfs_buf_reset(&b);
	r = mk(7, "Cluster Group", NULL, "a\"b\nc");
	cr_assert_eq(cfs_eventlog_format(&r, &b), 0);
	cr_assert_str_eq(b.data, "2026-11-22T03:14:48.586524Z 7 group state \"Cluster Group\" - -> "
				 "\"a\\\"b\\nc\"\n");
	cfs_buf_reset(&b);
	struct cfs_record k = {.seq = 9, .time_ns = 0, .kind = CFS_KIND_REGISTRY,
			       .change = CFS_CH_VALUE_SET, .obj_name = "", .prop = "v",
			       .new_value = "1"};
	cr_assert_eq(cfs_eventlog_format(&k, &b), 0);
	cr_assert_str_eq(b.data, "1970-01-01T00:00:00.000000Z 9 registry value_set \\ v - -> 1\n");
	cfs_buf_free(&b);
}

Test(eventlog, generations_rotate)
{
	struct cfs_journal j;
	cr_assert_eq(cfs_journal_init(&j, 1), 0);
	struct cfs_eventlog el;
	cr_assert_eq(cfs_eventlog_init(&el, &j), 0);
	uint64_t size, prev_size;
	int64_t mt;
	/* Fill the first generation exactly. */
	for (uint64_t s = 1; s <= CFS_EVENTLOG_GEN; s++) {
		struct cfs_record r = mk(s, "g", "offline", "online");
		cr_assert_eq(cfs_eventlog_append(&el, &r, 1), 0);
	}
	cfs_eventlog_stat(&el, 0, &size, &mt);
	cr_assert_gt(size, 0);
	cfs_eventlog_stat(&el, 1, &prev_size, &mt);
	cr_assert_eq(prev_size, 0);
	/* The next record starts a new generation: log.1 holds the old one. */
	struct cfs_record r = mk(CFS_EVENTLOG_GEN + 1, "g", "online", "offline");
	cr_assert_eq(cfs_eventlog_append(&el, &r, 1), 1);
	cfs_eventlog_stat(&el, 1, &prev_size, &mt);
	cr_assert_eq(prev_size, size);
	cfs_eventlog_stat(&el, 0, &size, &mt);
	char buf[256];
	ssize_t n = cfs_eventlog_read(&el, 0, 0, buf, sizeof(buf) - 1);
	cr_assert_eq((uint64_t)n, size);
	buf[n] = '\0';
	cr_assert(strstr(buf, " 32769 group state g online -> offline\n"), "%s", buf);
	/* Reads past the end are empty. */
	cr_assert_eq(cfs_eventlog_read(&el, 0, (off_t)size + 10, buf, sizeof(buf)), 0);
	cfs_eventlog_free(&el);
	cfs_journal_free(&j);
}

Test(eventlog, rebuilt_from_journal_is_identical)
{
	struct cfs_journal j;
	cr_assert_eq(cfs_journal_init(&j, 1), 0);
	struct cfs_eventlog live;
	cr_assert_eq(cfs_eventlog_init(&live, &j), 0);
	for (uint64_t s = 1; s <= 40000; s++) {
		char name[32];
		snprintf(name, sizeof(name), "g%llu", (unsigned long long)s);
		struct cfs_record r = mk(s, name, "offline", "online");
		cr_assert_eq(cfs_journal_publish(&j, &r, 1), 0);
		cr_assert_geq(cfs_eventlog_append(&live, &r, 1), 0);
	}
	struct cfs_eventlog rebuilt;
	cr_assert_eq(cfs_eventlog_init(&rebuilt, &j), 0);
	for (int which = 0; which < 2; which++) {
		uint64_t a, b;
		int64_t mt;
		cfs_eventlog_stat(&live, which, &a, &mt);
		cfs_eventlog_stat(&rebuilt, which, &b, &mt);
		cr_assert_eq(a, b, "generation %d: %llu vs %llu", which, (unsigned long long)a,
			     (unsigned long long)b);
		char *x = malloc(a + 1), *y = malloc(b + 1);
		cr_assert_eq(cfs_eventlog_read(&live, which, 0, x, a), (ssize_t)a);
		cr_assert_eq(cfs_eventlog_read(&rebuilt, which, 0, y, b), (ssize_t)b);
		cr_assert_eq(memcmp(x, y, a), 0);
		free(x);
		free(y);
	}
	cfs_eventlog_free(&live);
	cfs_eventlog_free(&rebuilt);
	cfs_journal_free(&j);
}
