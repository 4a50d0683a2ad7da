/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "filter.h"

static struct cfs_record rec(enum cfs_kind kind, enum cfs_change change, const char *id,
			     const char *name)
{
	return (struct cfs_record){.kind = kind, .change = change, .obj_id = (char *)id,
				   .obj_name = (char *)name, .parent_id = ""};
}

struct flag_case {
	enum cfs_kind kind;
	enum cfs_change change;
	uint32_t v1, v2type;
	uint64_t v2flags;
};

ParameterizedTestParameters(filter, flags)
{
	static struct flag_case cases[] = {
		{CFS_KIND_NODE, CFS_CH_STATE, 0x1, 7, 0x10},
		{CFS_KIND_NODE, CFS_CH_ADDED, 0x4, 1, 0x20},
		{CFS_KIND_NODE, CFS_CH_DELETED, 0x2, 7, 0x2},
		{CFS_KIND_NODE, CFS_CH_PROPERTY, 0x8, 7, 0x4},
		{CFS_KIND_GROUP, CFS_CH_STATE, 0x1000, 2, 0x8},
		{CFS_KIND_GROUP, CFS_CH_ADDED, 0x4000, 1, 0x4},
		{CFS_KIND_GROUP, CFS_CH_DELETED, 0x2000, 2, 0x1},
		{CFS_KIND_GROUP, CFS_CH_OWNER, 0x8000, 2, 0x10},
		{CFS_KIND_GROUP, CFS_CH_RENAMED, 0x8000, 2, 0x2},
		{CFS_KIND_GROUP, CFS_CH_MEMBER_ADDED, 0x8000, 2, 0x80},
		{CFS_KIND_GROUP, CFS_CH_MEMBER_REMOVED, 0x8000, 2, 0x100},
		{CFS_KIND_GROUP, CFS_CH_PREFERRED_OWNERS, 0x8000, 2, 0x20},
		{CFS_KIND_RESOURCE, CFS_CH_STATE, 0x100, 3, 0x4},
		{CFS_KIND_RESOURCE, CFS_CH_ADDED, 0x400, 2, 0x40},
		{CFS_KIND_RESOURCE, CFS_CH_DELETED, 0x200, 3, 0x80},
		{CFS_KIND_RESOURCE, CFS_CH_GROUP, 0x800, 3, 0x8},
		{CFS_KIND_RESOURCE, CFS_CH_DEPENDENCIES, 0x800, 3, 0x10},
		{CFS_KIND_RESOURCE, CFS_CH_POSSIBLE_OWNERS, 0x800, 3, 0x40},
		{CFS_KIND_RESOURCE, CFS_CH_RENAMED, 0x800, 3, 0x1},
		{CFS_KIND_RESTYPE, CFS_CH_ADDED, 0x20000, 1, 0x40},
		{CFS_KIND_RESTYPE, CFS_CH_DELETED, 0x10000, 4, 0x1},
		{CFS_KIND_RESTYPE, CFS_CH_PROPERTY, 0x40000, 4, 0x2},
		{CFS_KIND_NETWORK, CFS_CH_STATE, 0x100000, 6, 0x8},
		{CFS_KIND_NETWORK, CFS_CH_ADDED, 0x400000, 1, 0x10},
		{CFS_KIND_NETWORK, CFS_CH_DELETED, 0x200000, 6, 0x1},
		{CFS_KIND_NETWORK, CFS_CH_PROPERTY, 0x800000, 6, 0x2},
		{CFS_KIND_NETINTERFACE, CFS_CH_STATE, 0x1000000, 5, 0x8},
		{CFS_KIND_NETINTERFACE, CFS_CH_ADDED, 0x4000000, 7, 0x1},
		{CFS_KIND_NETINTERFACE, CFS_CH_DELETED, 0x2000000, 5, 0x1},
		{CFS_KIND_NETINTERFACE, CFS_CH_PROPERTY, 0x8000000, 5, 0x2},
		{CFS_KIND_CLUSTER, CFS_CH_RENAMED, 0x40000000, 1, 0x400},
		{CFS_KIND_REGISTRY, CFS_CH_KEY_ADDED, 0x10, 8, 0x2},
		{CFS_KIND_REGISTRY, CFS_CH_KEY_DELETED, 0x10, 8, 0x2},
		{CFS_KIND_REGISTRY, CFS_CH_VALUE_SET, 0x40, 8, 0x8},
		{CFS_KIND_REGISTRY, CFS_CH_VALUE_DELETED, 0x40, 8, 0x8},
		{CFS_KIND_REGISTRY, CFS_CH_SECURITY, 0x20, 8, 0x1},
	};
	return cr_make_param_array(struct flag_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct flag_case *c, filter, flags)
{
	struct cfs_record r = rec(c->kind, c->change, "", "x");
	struct cfs_rec_flags f = cfs_record_flags(&r);
	cr_assert_eq(f.v1, c->v1, "%s/%s v1 0x%x", cfs_kind_name(c->kind),
		     cfs_change_name(c->change), f.v1);
	cr_assert_eq(f.v2type, c->v2type);
	cr_assert_eq(f.v2flags, c->v2flags);
}

static bool matches(const char *line, struct cfs_record r)
{
	struct cfs_filter f = {0};
	const char *why = NULL;
	cr_assert_eq(cfs_filter_apply_line(&f, line, &why), 0, "%s: %s", line, why);
	bool m = cfs_reg_match(&f.regs[0], &r);
	cfs_filter_free(&f);
	return m;
}

#define ID1 "11111111-1111-4111-8111-111111111111"
#define ID2 "22222222-2222-4222-8222-222222222222"

Test(filter, match_words)
{
	struct cfs_record gs = rec(CFS_KIND_GROUP, CFS_CH_STATE, ID1, "web");
	struct cfs_record rs = rec(CFS_KIND_RESOURCE, CFS_CH_STATE, ID2, "ip");
	cr_assert(matches("all", gs));
	cr_assert(matches("kind=group", gs));
	cr_assert_not(matches("kind=group", rs));
	cr_assert(matches("kind=group,resource change=state", rs));
	cr_assert_not(matches("kind=group change=added", gs));
	cr_assert(matches("v1=0x1000", gs));
	cr_assert_not(matches("v1=0x1000", rs));
	cr_assert(matches("v1=0xffffffff", rs));
	cr_assert(matches("v2=group:0x8", gs));
	cr_assert(matches("v2=2:0x3ff", gs));
	cr_assert_not(matches("v2=resource:0x8", gs));
	cr_assert(matches("object=" ID1, gs));
	cr_assert_not(matches("object=" ID1, rs));
	cr_assert(matches("kind=* change=*", rs));
}

Test(filter, object_of_group_sees_its_new_resources)
{
	struct cfs_record added = rec(CFS_KIND_RESOURCE, CFS_CH_ADDED, ID2, "ip");
	added.parent_id = ID1;
	cr_assert(matches("object=" ID1, added));
}

Test(filter, registry_paths)
{
	struct cfs_record v = rec(CFS_KIND_REGISTRY, CFS_CH_VALUE_SET, "", "A\\B");
	struct cfs_record deep = rec(CFS_KIND_REGISTRY, CFS_CH_VALUE_SET, "", "A\\B\\C");
	struct cfs_record sub = rec(CFS_KIND_REGISTRY, CFS_CH_KEY_ADDED, "", "A\\B\\C");
	struct cfs_record other = rec(CFS_KIND_REGISTRY, CFS_CH_VALUE_SET, "", "A\\BB");
	cr_assert(matches("registry=A\\B", v));
	cr_assert(matches("registry=A/B", v));
	cr_assert_not(matches("registry=A\\B", deep));
	cr_assert(matches("registry=A\\B subtree", deep));
	cr_assert_not(matches("registry=A\\B subtree", other));
	/* A new subkey changes its parent's names. */
	cr_assert(matches("registry=A\\B", sub));
	cr_assert(matches("registry= subtree", deep));
	cr_assert(matches("registry=A\\B v1=0x10", sub));
	cr_assert_not(matches("registry=A\\B v1=0x40", sub));
}

Test(filter, reset_remove_and_keys)
{
	struct cfs_filter f = {0};
	const char *why;
	cr_assert_eq(cfs_filter_apply_line(&f, "all key=1", &why), 0);
	cr_assert_eq(cfs_filter_apply_line(&f, "kind=group key=2", &why), 0);
	cr_assert_eq(cfs_filter_apply_line(&f, "kind=node key=2", &why), 0);
	cr_assert_eq(f.n, 3);
	cr_assert_eq(f.regs[1].key, 2);
	cr_assert_eq(cfs_filter_apply_line(&f, "remove key=2", &why), 0);
	cr_assert_eq(f.n, 1);
	cr_assert_eq(f.regs[0].key, 1);
	cr_assert_eq(cfs_filter_apply_line(&f, "reset", &why), 0);
	cr_assert_eq(f.n, 0);
	cfs_filter_free(&f);
}

Test(filter, errors_change_nothing)
{
	static const char *const bad[] = {
		"kind=bogus", "change=nope", "v1=0", "v1=xyz", "v2=group", "v2=group:0",
		"v2=nosuch:0x1", "object=short", "frobnicate", "key=abc", "remove", "remove key=x",
		"\"unterminated", "key=5",
		/* Found by fuzz_filter: saved unquoted, it did not parse back,
		 * and a named port's file with it stopped the daemon's start. */
		"\"object=11111111 1111-4111-8111-111111111111\"",
		"\"object=11111111\\\"1111-4111-8111-111111111111\"",
	};
	struct cfs_filter f = {0};
	const char *why;
	cr_assert_eq(cfs_filter_apply_line(&f, "all", &why), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		cr_assert_lt(cfs_filter_apply_line(&f, bad[i], &why), 0, "%s accepted", bad[i]);
		cr_assert_not_null(why, "%s: no reason", bad[i]);
		cr_assert_eq(f.n, 1, "%s changed the filter", bad[i]);
	}
	cfs_filter_free(&f);
}

Test(filter, format_parses_back)
{
	static const char *const lines[] = {
		"all key=3",
		"kind=group,resource change=state key=0",
		"v1=0x1100 key=9",
		"v2=2:0x18 key=1",
		"object=" ID1 " key=4",
		"\"registry=Groups\\\\x y\" subtree v1=0x40 key=5",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct cfs_filter a = {0}, b = {0};
		const char *why;
		cr_assert_eq(cfs_filter_apply_line(&a, lines[i], &why), 0, "%s: %s", lines[i], why);
		struct cfs_buf out = {0};
		cr_assert_eq(cfs_reg_format(&a.regs[0], &out), 0);
		cr_assert_eq(cfs_filter_apply_line(&b, out.data, &why), 0, "%s: %s", out.data, why);
		struct cfs_buf again = {0};
		cr_assert_eq(cfs_reg_format(&b.regs[0], &again), 0);
		cr_assert_str_eq(out.data, again.data);
		cfs_buf_free(&out);
		cfs_buf_free(&again);
		cfs_filter_free(&a);
		cfs_filter_free(&b);
	}
}

Test(filter, limit)
{
	struct cfs_filter f = {0};
	const char *why;
	for (int i = 0; i < CFS_FILTER_MAX; i++)
		cr_assert_eq(cfs_filter_apply_line(&f, "all", &why), 0);
	cr_assert_eq(cfs_filter_apply_line(&f, "all", &why), -E2BIG);
	cfs_filter_free(&f);
}
