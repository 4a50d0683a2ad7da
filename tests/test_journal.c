/* SPDX-License-Identifier: MIT */
/* Tests of journal.h: change names, record copies, the in-memory ring
 * (publish, get, -ENOENT, -ESTALE after wrapping) and the JSON form. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

static struct cfs_journal j;
static bool j_open;

static void teardown(void)
{
	if (j_open)
		cfs_journal_free(&j);
	j_open = false;
}

TestSuite(journal, .fini = teardown);

static void open_journal(uint64_t next)
{
	cr_assert_eq(cfs_journal_init(&j, next), 0);
	j_open = true;
}

/* A record whose strings encode its seq, so gets can be checked. */
static void make(struct cfs_record *r, uint64_t seq, char bufs[6][32])
{
	snprintf(bufs[0], 32, "id-%llu", (unsigned long long)seq);
	snprintf(bufs[1], 32, "name-%llu", (unsigned long long)seq);
	snprintf(bufs[2], 32, "parent-%llu", (unsigned long long)seq);
	snprintf(bufs[3], 32, "prop-%llu", (unsigned long long)seq);
	snprintf(bufs[4], 32, "old-%llu", (unsigned long long)seq);
	snprintf(bufs[5], 32, "new-%llu", (unsigned long long)seq);
	*r = (struct cfs_record){
		.seq = seq,
		.time_ns = (int64_t)seq * 1000,
		.kind = (enum cfs_kind)(seq % CFS_KIND_COUNT),
		.change = (enum cfs_change)(seq % CFS_CH_COUNT),
		.obj_id = bufs[0],
		.obj_name = bufs[1],
		.parent_id = bufs[2],
		.prop = bufs[3],
		.old_value = bufs[4],
		.new_value = bufs[5],
		.key_id = seq + 1,
		.value_id = seq + 2,
		.parent_key_id = seq + 3,
	};
}

static void publish_range(uint64_t from, uint64_t n)
{
	enum { CHUNK = 1000 };
	static struct cfs_record recs[CHUNK];
	static char bufs[CHUNK][6][32];
	for (uint64_t done = 0; done < n;) {
		uint64_t k = n - done < CHUNK ? n - done : CHUNK;
		for (uint64_t i = 0; i < k; i++)
			make(&recs[i], from + done + i, bufs[i]);
		cr_assert_eq(cfs_journal_publish(&j, recs, (size_t)k), 0);
		done += k;
	}
}

static void expect_record(uint64_t seq)
{
	struct cfs_record got = {0}, want;
	char bufs[6][32];
	make(&want, seq, bufs);
	int r = cfs_journal_get(&j, seq, &got);
	cr_assert_eq(r, 0, "get %llu: %d", (unsigned long long)seq, r);
	cr_assert_eq(got.seq, seq);
	cr_assert_eq(got.time_ns, want.time_ns);
	cr_assert_eq(got.kind, want.kind);
	cr_assert_eq(got.change, want.change);
	cr_assert_str_eq(got.obj_id, want.obj_id);
	cr_assert_str_eq(got.obj_name, want.obj_name);
	cr_assert_str_eq(got.parent_id, want.parent_id);
	cr_assert_str_eq(got.prop, want.prop);
	cr_assert_str_eq(got.old_value, want.old_value);
	cr_assert_str_eq(got.new_value, want.new_value);
	cr_assert_eq(got.key_id, want.key_id);
	cr_assert_eq(got.value_id, want.value_id);
	cr_assert_eq(got.parent_key_id, want.parent_key_id);
	cfs_record_clear(&got);
}

Test(journal, change_names)
{
	static const char *const names[CFS_CH_COUNT] = {
		[CFS_CH_ADDED] = "added",
		[CFS_CH_DELETED] = "deleted",
		[CFS_CH_RENAMED] = "renamed",
		[CFS_CH_STATE] = "state",
		[CFS_CH_PROPERTY] = "property",
		[CFS_CH_OWNER] = "owner",
		[CFS_CH_PREFERRED_OWNERS] = "preferred_owners",
		[CFS_CH_POSSIBLE_OWNERS] = "possible_owners",
		[CFS_CH_DEPENDENCIES] = "dependencies",
		[CFS_CH_GROUP] = "group",
		[CFS_CH_MEMBER_ADDED] = "member_added",
		[CFS_CH_MEMBER_REMOVED] = "member_removed",
		[CFS_CH_KEY_ADDED] = "key_added",
		[CFS_CH_KEY_DELETED] = "key_deleted",
		[CFS_CH_KEY_RENAMED] = "key_renamed",
		[CFS_CH_VALUE_SET] = "value_set",
		[CFS_CH_VALUE_DELETED] = "value_deleted",
		[CFS_CH_SECURITY] = "security",
	};
	for (int c = 0; c < CFS_CH_COUNT; c++) {
		const char *n = cfs_change_name(c);
		cr_assert_not_null(n);
		cr_assert_str_neq(n, "unknown", "change %d has no name", c);
		if (names[c])
			cr_assert_str_eq(n, names[c]);
		cr_assert_eq(cfs_change_parse(n), c, "\"%s\" does not parse back", n);
		for (int d = 0; d < c; d++)
			cr_assert_str_neq(cfs_change_name(d), n, "two changes named \"%s\"", n);
	}
	cr_assert_eq(cfs_change_parse("STATE"), CFS_CH_STATE);
	cr_assert_eq(cfs_change_parse("bogus"), -EINVAL);
	cr_assert_eq(cfs_change_parse(""), -EINVAL);
	cr_assert_str_eq(cfs_change_name(CFS_CH_COUNT), "unknown");
	cr_assert_str_eq(cfs_change_name((enum cfs_change)-1), "unknown");
}

Test(journal, record_copy_is_deep)
{
	struct cfs_record src, dst;
	char bufs[6][32];
	make(&src, 7, bufs);
	src.prop = NULL;
	cr_assert_eq(cfs_record_copy(&dst, &src), 0);
	cr_assert_neq(dst.obj_id, src.obj_id);
	cr_assert_str_eq(dst.obj_id, "id-7");
	cr_assert_null(dst.prop);
	strcpy(bufs[1], "changed");
	cr_assert_str_eq(dst.obj_name, "name-7");
	cr_assert_eq(dst.key_id, 8);
	/* A copy of a copy (whose strings share one block) is its own too;
	 * an empty string stays empty, not missing. */
	struct cfs_record again;
	dst.parent_id[0] = '\0';
	cr_assert_eq(cfs_record_copy(&again, &dst), 0);
	cfs_record_clear(&dst);
	cr_assert_str_eq(again.obj_id, "id-7");
	cr_assert_str_eq(again.obj_name, "name-7");
	cr_assert_str_eq(again.parent_id, "");
	cr_assert_null(again.prop);
	cfs_record_clear(&again);
	struct cfs_record none = {.seq = 3}, copy;
	cr_assert_eq(cfs_record_copy(&copy, &none), 0);
	cr_assert_null(copy.obj_id);
	cr_assert_null(copy.new_value);
	cr_assert_eq(copy.seq, 3);
	cfs_record_clear(&copy);
	cr_assert_eq(cfs_record_copy(&dst, &src), 0);
	cfs_record_clear(&dst);
	cr_assert_null(dst.obj_id);
	cr_assert_eq(dst.seq, 0);
	cfs_record_clear(&dst); /* twice is fine */
}

Test(journal, empty)
{
	open_journal(1);
	cr_assert_eq(cfs_journal_next_seq(&j), 1);
	struct cfs_record r = {0};
	cr_assert_eq(cfs_journal_get(&j, 1, &r), -ENOENT);
	cr_assert_eq(cfs_journal_get(&j, 2, &r), -ENOENT);
	cr_assert_eq(cfs_journal_get(&j, UINT64_MAX, &r), -ENOENT);
	/* publishing nothing changes nothing */
	cr_assert_eq(cfs_journal_publish(&j, NULL, 0), 0);
	cr_assert_eq(cfs_journal_next_seq(&j), 1);
}

Test(journal, publish_get)
{
	open_journal(1);
	publish_range(1, 3);
	cr_assert_eq(cfs_journal_next_seq(&j), 4);
	for (uint64_t s = 1; s <= 3; s++)
		expect_record(s);
	struct cfs_record r = {0};
	cr_assert_eq(cfs_journal_get(&j, 4, &r), -ENOENT);
	cr_assert_eq(cfs_journal_get(&j, 1000, &r), -ENOENT);
	publish_range(4, 1);
	expect_record(4);
	cr_assert_eq(cfs_journal_next_seq(&j), 5);
	/* the caller's records are copied: the journal owns its own */
	struct cfs_record rec;
	char bufs[6][32];
	make(&rec, 5, bufs);
	cr_assert_eq(cfs_journal_publish(&j, &rec, 1), 0);
	memset(bufs, 'Z', sizeof(bufs[0]) - 1);
	expect_record(5);
}

Test(journal, null_strings_preserved)
{
	open_journal(1);
	int token;
	struct cfs_record rec = {.seq = 1, .kind = CFS_KIND_GROUP, .change = CFS_CH_ADDED,
				 .obj_id = "x", .origin = &token};
	cr_assert_eq(cfs_journal_publish(&j, &rec, 1), 0);
	struct cfs_record got = {0};
	cr_assert_eq(cfs_journal_get(&j, 1, &got), 0);
	cr_assert_str_eq(got.obj_id, "x");
	cr_assert_null(got.obj_name);
	cr_assert_null(got.parent_id);
	cr_assert_null(got.prop);
	cr_assert_null(got.old_value);
	cr_assert_null(got.new_value);
	cr_assert_null(got.origin, "the origin token is not kept in the journal");
	cfs_record_clear(&got);
}

/* A journal that starts later (after a restart) knows nothing older. */
Test(journal, starts_at_next_seq)
{
	open_journal(1000);
	struct cfs_record r = {0};
	cr_assert_eq(cfs_journal_next_seq(&j), 1000);
	cr_assert_eq(cfs_journal_get(&j, 999, &r), -ESTALE);
	cr_assert_eq(cfs_journal_get(&j, 1, &r), -ESTALE);
	cr_assert_eq(cfs_journal_get(&j, 1000, &r), -ENOENT);
	publish_range(1000, 10);
	expect_record(1000);
	expect_record(1009);
	cr_assert_eq(cfs_journal_get(&j, 999, &r), -ESTALE);
	cr_assert_eq(cfs_journal_get(&j, 1010, &r), -ENOENT);
}

Test(journal, ring_wraps)
{
	open_journal(1);
	uint64_t n = CFS_JOURNAL_RING + 10;
	publish_range(1, n);
	cr_assert_eq(cfs_journal_next_seq(&j), n + 1);
	struct cfs_record r = {0};
	for (uint64_t s = 1; s <= 10; s++)
		cr_assert_eq(cfs_journal_get(&j, s, &r), -ESTALE, "seq %llu overwritten",
			     (unsigned long long)s);
	for (uint64_t s = 11; s <= n; s += 997)
		expect_record(s);
	expect_record(11);
	expect_record(n);
	expect_record(n - CFS_JOURNAL_RING + 1);
	cr_assert_eq(cfs_journal_get(&j, n + 1, &r), -ENOENT);
	cr_assert_eq(cfs_journal_get(&j, 0, &r), -ESTALE);
	cr_assert_eq(cfs_journal_first_seq(&j), 11);
}

static int count_scanned(const struct cfs_record *r, void *ud)
{
	(void)r;
	(*(int *)ud)++;
	return 0;
}

/* A scan from a record the ring has evicted says so (a reader that
 * checked first_seq before a committer evicted more would otherwise skip
 * records without knowing): nothing visited, next is the oldest kept. */
Test(journal, scan_below_first_is_stale)
{
	open_journal(1);
	publish_range(1, CFS_JOURNAL_RING + 10);
	int seen = 0;
	uint64_t next = 0;
	cr_assert_eq(cfs_journal_scan(&j, 5, UINT64_MAX, count_scanned, &seen, &next), -ESTALE);
	cr_assert_eq(seen, 0);
	cr_assert_eq(next, 11);
	cr_assert_eq(cfs_journal_scan(&j, 11, 21, count_scanned, &seen, &next), 0);
	cr_assert_eq(seen, 10);
	cr_assert_eq(next, 21);
}

/* One publish larger than the ring keeps the newest CFS_JOURNAL_RING. */
Test(journal, publish_larger_than_ring)
{
	open_journal(1);
	uint64_t n = CFS_JOURNAL_RING + 5;
	struct cfs_record *recs = calloc(n, sizeof(*recs));
	cr_assert_not_null(recs);
	for (uint64_t i = 0; i < n; i++)
		recs[i] = (struct cfs_record){.seq = i + 1, .kind = CFS_KIND_NODE,
					      .change = CFS_CH_STATE, .obj_id = "n"};
	cr_assert_eq(cfs_journal_publish(&j, recs, n), 0);
	free(recs);
	struct cfs_record r = {0};
	cr_assert_eq(cfs_journal_get(&j, 5, &r), -ESTALE);
	cr_assert_eq(cfs_journal_get(&j, 6, &r), 0);
	cr_assert_eq(r.seq, 6);
	cfs_record_clear(&r);
	cr_assert_eq(cfs_journal_get(&j, n, &r), 0);
	cr_assert_eq(r.seq, n);
	cfs_record_clear(&r);
}

/* Start-up: old records loaded from the store, below next_seq. */
Test(journal, load_old_records)
{
	open_journal(101);
	cr_assert_eq(cfs_journal_first_seq(&j), 101);
	for (uint64_t s = 1; s <= 100; s++) {
		struct cfs_record rec;
		char bufs[6][32];
		make(&rec, s, bufs);
		cr_assert_eq(cfs_journal_load(&j, &rec), 0);
	}
	cr_assert_eq(cfs_journal_first_seq(&j), 1);
	cr_assert_eq(cfs_journal_next_seq(&j), 101);
	for (uint64_t s = 1; s <= 100; s++)
		expect_record(s);
	struct cfs_record r = {0};
	cr_assert_eq(cfs_journal_get(&j, 0, &r), -ESTALE);
	cr_assert_eq(cfs_journal_get(&j, 101, &r), -ENOENT);
	/* publishing continues after them */
	publish_range(101, 5);
	expect_record(1);
	expect_record(105);
	cr_assert_eq(cfs_journal_next_seq(&j), 106);
}

/* Loading more than the ring holds keeps the newest records, the ones
 * right below next_seq, so that the memory range has no hole. */
Test(journal, load_more_than_ring)
{
	uint64_t n = CFS_JOURNAL_RING + 50;
	open_journal(n + 1);
	for (uint64_t s = 1; s <= n; s++) {
		struct cfs_record rec;
		char bufs[6][32];
		make(&rec, s, bufs);
		cr_assert_eq(cfs_journal_load(&j, &rec), 0);
	}
	cr_assert_eq(cfs_journal_first_seq(&j), 51);
	struct cfs_record r = {0};
	cr_assert_eq(cfs_journal_get(&j, 50, &r), -ESTALE);
	expect_record(51);
	expect_record(n);
	expect_record(n / 2);
	cr_assert_eq(cfs_journal_get(&j, n + 1, &r), -ENOENT);
	/* and wraps on as usual */
	publish_range(n + 1, 10);
	cr_assert_eq(cfs_journal_get(&j, 60, &r), -ESTALE);
	expect_record(61);
	expect_record(n + 10);
	cr_assert_eq(cfs_journal_first_seq(&j), 61);
}

/* Readers racing a publisher never see a torn or wrong record. */
struct reader_arg {
	volatile bool stop;
	unsigned bad;
	unsigned reads;
};

static void *reader_main(void *p)
{
	struct reader_arg *a = p;
	while (!a->stop) {
		uint64_t next = cfs_journal_next_seq(&j);
		for (uint64_t s = next > 50 ? next - 50 : 1; s < next; s++) {
			struct cfs_record r = {0};
			int e = cfs_journal_get(&j, s, &r);
			if (e == 0) {
				char want[32];
				snprintf(want, sizeof(want), "id-%llu", (unsigned long long)s);
				if (r.seq != s || !r.obj_id || strcmp(r.obj_id, want) != 0)
					a->bad++;
				cfs_record_clear(&r);
				a->reads++;
			} else if (e != -ESTALE) {
				a->bad++;
			}
		}
	}
	return NULL;
}

Test(journal, concurrent_readers)
{
	open_journal(1);
	struct reader_arg a = {0};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, reader_main, &a), 0);
	for (uint64_t s = 1; s <= 3 * CFS_JOURNAL_RING / 2; s += 100)
		publish_range(s, 100);
	a.stop = true;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(a.bad, 0, "%u bad reads of %u", a.bad, a.reads);
}

/* ------------------------------------------------------------------ */
/* JSON.                                                               */

struct json_case {
	char in[32];
	char out[64];
};

static const struct json_case json_cases[] = {
	{"plain", "\"plain\""},
	{"", "\"\""},
	{"a\"b", "\"a\\\"b\""},
	{"a\\b", "\"a\\\\b\""},
	{"a\nb", "\"a\\nb\""},
	{"a\tb", "\"a\\tb\""},
	{"\r", "\"\\u000d\""},
	{"\x01\x1f", "\"\\u0001\\u001f\""},
	{"\b\f", "\"\\u0008\\u000c\""},
	{"\x7f", "\"\\u007f\""},
	{"/", "\"/\""},
	{"caf\xc3\xa9", "\"caf\xc3\xa9\""},
	{"\\\"\n", "\"\\\\\\\"\\n\""},
};

ParameterizedTestParameters(journal, json_escape)
{
	return cr_make_param_array(struct json_case, (void *)json_cases,
				   CFS_ARRAY_SIZE(json_cases));
}

/* Each string field is escaped the same way. */
ParameterizedTest(struct json_case *c, journal, json_escape)
{
	static const char *const keys[] = {"id", "name", "parent", "prop", "old", "new"};
	for (int f = 0; f < 6; f++) {
		struct cfs_record r = {.seq = 1, .kind = CFS_KIND_GROUP, .change = CFS_CH_PROPERTY};
		char **fields[] = {&r.obj_id, &r.obj_name, &r.parent_id, &r.prop, &r.old_value,
				   &r.new_value};
		*fields[f] = c->in;
		struct cfs_buf b = {0};
		cr_assert_eq(cfs_record_to_json(&r, &b), 0);
		char want[160];
		snprintf(want, sizeof(want),
			 "{\"seq\":1,\"time\":0.000000000,\"kind\":\"group\",\"change\":\"property\","
			 "\"%s\":%s}",
			 keys[f], c->out);
		cr_assert_str_eq(b.data, want);
		cfs_buf_free(&b);
	}
}

Test(journal, json_fields)
{
	struct cfs_record r = {
		.seq = 42,
		.time_ns = 1700000000123456789LL,
		.kind = CFS_KIND_RESOURCE,
		.change = CFS_CH_STATE,
		.obj_id = "0b5e7c1a-1111-4222-8333-444455556666",
		.obj_name = "web ip",
		.parent_id = "g-id",
		.prop = NULL,
		.old_value = "onlinepending",
		.new_value = "online",
	};
	struct cfs_buf b = {0};
	cr_assert_eq(cfs_buf_puts(&b, "X"), 0);
	cr_assert_eq(cfs_record_to_json(&r, &b), 0);
	cr_assert_str_eq(b.data, "X{\"seq\":42,\"time\":1700000000.123456789,\"kind\":\"resource\","
				 "\"change\":\"state\",\"id\":\"0b5e7c1a-1111-4222-8333-444455556666\","
				 "\"name\":\"web ip\",\"parent\":\"g-id\",\"old\":\"onlinepending\","
				 "\"new\":\"online\"}");
	cfs_buf_free(&b);

	/* registry record, large seq, small time */
	struct cfs_record reg = {
		.seq = UINT64_MAX,
		.time_ns = 5,
		.kind = CFS_KIND_REGISTRY,
		.change = CFS_CH_VALUE_SET,
		.obj_id = "",
		.obj_name = "Software\\Vendor",
		.prop = "Count",
		.new_value = "5",
	};
	cr_assert_eq(cfs_record_to_json(&reg, &b), 0);
	cr_assert_str_eq(b.data, "{\"seq\":18446744073709551615,\"time\":0.000000005,"
				 "\"kind\":\"registry\",\"change\":\"value_set\",\"id\":\"\","
				 "\"name\":\"Software\\\\Vendor\",\"prop\":\"Count\",\"new\":\"5\"}");
	cfs_buf_free(&b);

	/* every kind and change has a name in the output */
	for (int k = 0; k < CFS_KIND_COUNT; k++) {
		for (int c = 0; c < CFS_CH_COUNT; c++) {
			struct cfs_record x = {.seq = 1, .kind = k, .change = c};
			cr_assert_eq(cfs_record_to_json(&x, &b), 0);
			char want[128];
			snprintf(want, sizeof(want),
				 "{\"seq\":1,\"time\":0.000000000,\"kind\":\"%s\",\"change\":\"%s\"}",
				 cfs_kind_name(k), cfs_change_name(c));
			cr_assert_str_eq(b.data, want);
			cr_assert_str_neq(cfs_kind_name(k), "unknown");
			cfs_buf_reset(&b);
		}
	}
	cfs_buf_free(&b);
}
