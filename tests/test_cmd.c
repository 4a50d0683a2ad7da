/* SPDX-License-Identifier: MIT */
/* Tests of cmd.h: verbs and argument counts, the line syntax (blanks,
 * quotes, escapes), format/parse round trips with binary arguments and
 * stamping. Parameters hold their bytes inline because Criterion runs
 * each parameterized test in a new process. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cfs_limits.h"

/* ------------------------------------------------------------------ */
/* The verb table, as documented in cmd.h. max -1: a list (min + up to  */
/* CFS_LIST_MAX more).                                                 */

struct verb_case {
	char verb[24];
	enum cfs_op op;
	int min, max;
	int creates; /* stamping gives it a new object id */
};

static const struct verb_case verbs[] = {
	{"cluster-rename", CFS_OP_CLUSTER_RENAME, 1, 1, 1},
	{"node-add", CFS_OP_NODE_ADD, 3, 4, 1},
	{"node-evict", CFS_OP_NODE_EVICT, 1, 1, 0},
	{"node-state", CFS_OP_NODE_STATE, 2, 2, 0},
	{"group-create", CFS_OP_GROUP_CREATE, 1, 3, 1},
	{"group-delete", CFS_OP_GROUP_DELETE, 1, 1, 0},
	{"group-rename", CFS_OP_GROUP_RENAME, 2, 2, 0},
	{"group-online", CFS_OP_GROUP_ONLINE, 1, 1, 0},
	{"group-offline", CFS_OP_GROUP_OFFLINE, 1, 1, 0},
	{"group-move", CFS_OP_GROUP_MOVE, 2, 2, 0},
	{"group-preferred", CFS_OP_GROUP_PREFERRED, 1, -1, 0},
	{"resource-create", CFS_OP_RES_CREATE, 3, 3, 1},
	{"resource-delete", CFS_OP_RES_DELETE, 1, 1, 0},
	{"resource-rename", CFS_OP_RES_RENAME, 2, 2, 0},
	{"resource-online", CFS_OP_RES_ONLINE, 1, 1, 0},
	{"resource-offline", CFS_OP_RES_OFFLINE, 1, 1, 0},
	{"resource-fail", CFS_OP_RES_FAIL, 1, 1, 0},
	{"resource-group", CFS_OP_RES_GROUP, 2, 2, 0},
	{"resource-owners", CFS_OP_RES_OWNERS, 1, -1, 0},
	{"resource-owner-add", CFS_OP_RES_OWNER_ADD, 2, 2, 0},
	{"resource-owner-remove", CFS_OP_RES_OWNER_REMOVE, 2, 2, 0},
	{"resource-depend", CFS_OP_RES_DEPEND, 2, 2, 0},
	{"resource-undepend", CFS_OP_RES_UNDEPEND, 2, 2, 0},
	{"type-create", CFS_OP_TYPE_CREATE, 1, 2, 1},
	{"type-delete", CFS_OP_TYPE_DELETE, 1, 1, 0},
	{"network-add", CFS_OP_NET_ADD, 5, 5, 1},
	{"network-delete", CFS_OP_NET_DELETE, 1, 1, 0},
	{"network-rename", CFS_OP_NET_RENAME, 2, 2, 0},
	{"network-state", CFS_OP_NET_STATE, 2, 2, 0},
	{"network-role", CFS_OP_NET_ROLE, 2, 2, 0},
	{"netif-add", CFS_OP_NETIF_ADD, 6, 6, 1},
	{"netif-delete", CFS_OP_NETIF_DELETE, 1, 1, 0},
	{"netif-state", CFS_OP_NETIF_STATE, 2, 2, 0},
	{"set", CFS_OP_SET, 4, 4, 0},
	{"unset", CFS_OP_UNSET, 3, 3, 0},
	{"reg-create-key", CFS_OP_REG_CREATE_KEY, 1, 2, 0},
	{"reg-delete-key", CFS_OP_REG_DELETE_KEY, 1, 1, 0},
	{"reg-rename-key", CFS_OP_REG_RENAME_KEY, 2, 3, 0},
	{"reg-set", CFS_OP_REG_SET, 4, 4, 0},
	{"reg-set-raw", CFS_OP_REG_SET_RAW, 4, 4, 0},
	{"reg-delete", CFS_OP_REG_DELETE, 2, 2, 0},
	{"reg-rename", CFS_OP_REG_RENAME, 3, 4, 0},
	{"reg-type", CFS_OP_REG_TYPE, 3, 3, 0},
	{"reg-security", CFS_OP_REG_SECURITY, 4, 4, 0},
	{"node-cmm", CFS_OP_NODE_CMM, 3, 3, 0},
	{"cmm-elect", CFS_OP_CMM_ELECT, 0, 0, 0},
	{"cmm-release", CFS_OP_CMM_RELEASE, 1, 1, 0},
	{"cmm-remove", CFS_OP_CMM_REMOVE, 1, 1, 0},
	{"cmm-setqualif", CFS_OP_CMM_SETQUALIF, 3, 3, 0},
	{"cmm-seize", CFS_OP_CMM_SEIZE, 1, 1, 0},
	{"cmm-status", CFS_OP_CMM_STATUS, 1, 1, 0},
	{"cluster-quorum", CFS_OP_CLUSTER_QUORUM, 1, 1, 0},
	{"group-failover", CFS_OP_GROUP_FAILOVER, 1, 1, 0},
	{"reg-create", CFS_OP_REG_CREATE, 2, 2, 0},
	{"reg-write", CFS_OP_REG_WRITE, 3, 3, 0},
	{"reg-truncate", CFS_OP_REG_TRUNCATE, 3, 3, 0},
	{"reg-link", CFS_OP_REG_LINK, 3, 3, 0},
	{"reg-value-security", CFS_OP_REG_VALUE_SECURITY, 5, 5, 0},
	{"resource-started", CFS_OP_RES_STARTED, 3, 4, 0},
	{"resource-stopped", CFS_OP_RES_STOPPED, 3, 4, 0},
	{"resource-monitor", CFS_OP_RES_MONITOR, 3, 4, 0},
	{"resource-param", CFS_OP_RES_PARAM, 3, 3, 0},
	{"resource-param-unset", CFS_OP_RES_PARAM_UNSET, 2, 2, 0},
	{"resource-policy", CFS_OP_RES_POLICY, 3, 3, 0},
	{"group-evacuate", CFS_OP_GROUP_EVACUATE, 1, 1, 0},
	{"type-agent", CFS_OP_TYPE_AGENT, 6, -1, 1},
};

Test(cmd, verb_table_is_complete)
{
	cr_assert_eq(CFS_ARRAY_SIZE(verbs), CFS_OP_COUNT);
	for (int op = 0; op < CFS_OP_COUNT; op++) {
		int seen = 0;
		for (size_t i = 0; i < CFS_ARRAY_SIZE(verbs); i++)
			seen += verbs[i].op == (enum cfs_op)op;
		cr_assert_eq(seen, 1, "op %d listed %d times", op, seen);
	}
	cr_assert_str_eq(cfs_op_verb(CFS_OP_COUNT), "unknown");
	cr_assert_str_eq(cfs_op_verb((enum cfs_op)-1), "unknown");
}

ParameterizedTestParameters(cmd, verb)
{
	return cr_make_param_array(struct verb_case, (void *)verbs, CFS_ARRAY_SIZE(verbs));
}

/* "verb a0 a1 ... a(n-1)" */
static char *make_line(const char *verb, int n)
{
	struct cfs_buf b = {0};
	cr_assert_eq(cfs_buf_puts(&b, verb), 0);
	for (int i = 0; i < n; i++)
		cr_assert_eq(cfs_buf_printf(&b, " a%d", i), 0);
	return cfs_buf_steal(&b);
}

static void check_count(const struct verb_case *v, int n, int want)
{
	char *line = make_line(v->verb, n);
	struct cfs_cmd *c = NULL;
	const char *why = NULL;
	int r = cfs_cmd_parse(line, strlen(line), &c, &why);
	cr_assert_eq(r, want, "%s with %d arguments: parse = %d, want %d", v->verb, n, r, want);
	if (r == 0) {
		cr_assert_eq(c->op, v->op);
		cr_assert_eq(c->argc, n);
		for (int i = 0; i < n; i++) {
			char a[16];
			snprintf(a, sizeof(a), "a%d", i);
			cr_assert_str_eq(c->argv[i], a);
			cr_assert_eq(c->arglen[i], strlen(a));
		}
		cr_assert_eq(c->id[0], '\0', "parse must not stamp");
		cr_assert_eq(c->time_ns, 0);
		cfs_cmd_free(c);
	} else {
		cr_assert_not_null(why, "%s with %d arguments: no reason given", v->verb, n);
	}
	/* cfs_cmd_new agrees. */
	const char **argv = calloc((size_t)n + 1, sizeof(*argv));
	char(*store)[16] = calloc((size_t)n + 1, sizeof(*store));
	for (int i = 0; i < n; i++) {
		snprintf(store[i], sizeof(store[i]), "a%d", i);
		argv[i] = store[i];
	}
	c = NULL;
	r = cfs_cmd_new(&c, v->op, n, argv);
	cr_assert_eq(r, want, "%s with %d arguments: cfs_cmd_new = %d, want %d", v->verb, n, r,
		     want);
	if (r == 0) {
		cr_assert_eq(c->argc, n);
		cfs_cmd_free(c);
	}
	free(argv);
	free(store);
	free(line);
}

ParameterizedTest(struct verb_case *v, cmd, verb)
{
	cr_assert_str_eq(cfs_op_verb(v->op), v->verb);
	int top = v->max < 0 ? v->min + 4 : v->max + 2;
	for (int n = 0; n <= top; n++) {
		bool ok = n >= v->min && (v->max < 0 || n <= v->max);
		check_count(v, n, ok ? 0 : -EINVAL);
	}
	if (v->max < 0) {
		/* A list takes up to CFS_LIST_MAX entries; more is E2BIG. */
		check_count(v, v->min + CFS_LIST_MAX, 0);
		check_count(v, v->min + CFS_LIST_MAX + 1, -E2BIG);
	}
}

/* Stamping: time, uid/gid, and a fresh GUID for creating commands only. */
ParameterizedTestParameters(cmd, stamp)
{
	return cr_make_param_array(struct verb_case, (void *)verbs, CFS_ARRAY_SIZE(verbs));
}

static void assert_guid(const char *id)
{
	cr_assert_eq(strlen(id), CFS_ID_LEN, "id \"%s\"", id);
	for (int i = 0; i < CFS_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			cr_assert_eq(id[i], '-', "id \"%s\"", id);
		else
			cr_assert(isxdigit((unsigned char)id[i]) && !isupper((unsigned char)id[i]),
				  "id \"%s\"", id);
	}
	cr_assert_eq(id[14], '4', "version 4 GUID: \"%s\"", id);
	cr_assert(strchr("89ab", id[19]), "RFC 4122 variant: \"%s\"", id);
}

ParameterizedTest(struct verb_case *v, cmd, stamp)
{
	char *line = make_line(v->verb, v->min);
	struct cfs_cmd *c;
	cr_assert_eq(cfs_cmd_parse(line, strlen(line), &c, NULL), 0);
	int64_t before = cfs_now_ns();
	cfs_cmd_stamp(c, 1234, 5678);
	int64_t after = cfs_now_ns();
	cr_assert(c->time_ns >= before && c->time_ns <= after);
	cr_assert_eq(c->uid, 1234);
	cr_assert_eq(c->gid, 5678);
	if (v->creates) {
		assert_guid(c->id);
		/* Stamping again keeps the id (a command is stamped once; a
		 * replayed command must keep it). */
		char id[CFS_ID_LEN + 1];
		memcpy(id, c->id, sizeof(id));
		cfs_cmd_stamp(c, 1, 1);
		cr_assert_str_eq(c->id, id);
		/* Two commands get two ids. */
		struct cfs_cmd *d;
		cr_assert_eq(cfs_cmd_parse(line, strlen(line), &d, NULL), 0);
		cfs_cmd_stamp(d, 0, 0);
		cr_assert_str_neq(d->id, c->id);
		cfs_cmd_free(d);
	} else {
		cr_assert_str_eq(c->id, "", "%s must not get an id", v->verb);
	}
	cfs_cmd_free(c);
	free(line);
}

Test(cmd, new_rejects_bad_op)
{
	struct cfs_cmd *c = NULL;
	const char *argv[] = {"x"};
	cr_assert_eq(cfs_cmd_new(&c, CFS_OP_COUNT, 1, argv), -EINVAL);
	cr_assert_eq(cfs_cmd_new(&c, (enum cfs_op)-1, 1, argv), -EINVAL);
	cr_assert_eq(cfs_cmd_new(&c, CFS_OP_GROUP_CREATE, -1, argv), -EINVAL);
	cr_assert_null(c);
}

Test(cmd, new_copies_arguments)
{
	char a0[] = "web", a1[] = "n\0de";
	const char *argv[] = {a0, a1};
	size_t lens[] = {3, 4};
	struct cfs_cmd *c;
	cr_assert_eq(cfs_cmd_newv(&c, CFS_OP_GROUP_MOVE, 2, argv, lens), 0);
	memset(a0, 'X', 3);
	memset(a1, 'Y', 4);
	cr_assert_str_eq(c->argv[0], "web");
	cr_assert_eq(c->arglen[1], 4);
	cr_assert(memcmp(c->argv[1], "n\0de", 5) == 0, "copied with its NUL terminator");
	cfs_cmd_free(c);
	cfs_cmd_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Line syntax. Every line uses resource-owners (one or more arguments) */
/* so that any number of arguments is accepted; args are what follows.  */

#define MAXA 4
struct tok_case {
	char line[96];
	size_t len;
	int ret;
	int argc; /* arguments after the verb */
	char args[MAXA][32];
	size_t lens[MAXA];
};

#define L(s) s, sizeof(s) - 1

static const struct tok_case tok_cases[] = {
	{L("resource-owners web"), 0, 1, {"web"}, {3}},
	{L("resource-owners a b c"), 0, 3, {"a", "b", "c"}, {1, 1, 1}},
	{L("  resource-owners \t a  \t b   "), 0, 2, {"a", "b"}, {1, 1}},
	{L("resource-owners \"a b\""), 0, 1, {"a b"}, {3}},
	{L("resource-owners \"\""), 0, 1, {""}, {0}},
	{L("resource-owners \"\" \"\""), 0, 2, {"", ""}, {0, 0}},
	{L("resource-owners \"a\\\"b\""), 0, 1, {"a\"b"}, {3}},
	{L("resource-owners \"a\\\\b\""), 0, 1, {"a\\b"}, {3}},
	{L("resource-owners \"a\\nb\""), 0, 1, {"a\nb"}, {3}},
	{L("resource-owners \"\\t\\r\\n\""), 0, 1, {"\t\r\n"}, {3}},
	{L("resource-owners \"\\x41\\x00\\xff\""), 0, 1, {"A\0\xff"}, {3}},
	{L("resource-owners \"\\x4a\\x4A\""), 0, 1, {"JJ"}, {2}},
	{L("resource-owners \"\\x00\""), 0, 1, {"\0"}, {1}},
	{L("resource-owners \"x\" y"), 0, 2, {"x", "y"}, {1, 1}},
	{L("resource-owners \"x\"\ty"), 0, 2, {"x", "y"}, {1, 1}},
	{L("resource-owners \"tab\there\""), 0, 1, {"tab\there"}, {8}},
	{L("resource-owners \xc3\xa9t\xc3\xa9"), 0, 1, {"\xc3\xa9t\xc3\xa9"}, {5}},
	/* Unquoted arguments take backslashes literally (registry paths). */
	{L("resource-owners Software\\Foo"), 0, 1, {"Software\\Foo"}, {12}},
	{L("resource-owners a\\nb"), 0, 1, {"a\\nb"}, {4}},
	/* The verb itself may be quoted. */
	{L("\"resource-owners\" x"), 0, 1, {"x"}, {1}},
	/* Errors. */
	{L("resource-owners \"abc"), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"abc\\\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"abc\\"), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"a\"b"), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"a\"\"b\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners a\"b"), -EINVAL, 0, {""}, {0}},
	{L("resource-owners ab\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"\\q\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"\\0\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"\\x4\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"\\x\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"\\xZZ\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"\\xg1\""), -EINVAL, 0, {""}, {0}},
	{L("resource-owners \"\\x4"), -EINVAL, 0, {""}, {0}},
	{L("resource-owners a\0b"), -EINVAL, 0, {""}, {0}},
	{L("resource-owners"), -EINVAL, 0, {""}, {0}},
	{L(""), -EINVAL, 0, {""}, {0}},
	{L("   \t  "), -EINVAL, 0, {""}, {0}},
	{L("frobnicate x"), -EINVAL, 0, {""}, {0}},
	{L("RESOURCE-OWNERS x"), -EINVAL, 0, {""}, {0}},
	{L("resource-owner x"), -EINVAL, 0, {""}, {0}},
	{L("resource-ownersx x"), -EINVAL, 0, {""}, {0}},
	{L("\"\" x"), -EINVAL, 0, {""}, {0}},
	/* A verb is the whole first argument: one with a NUL inside is
	 * not the verb that precedes the NUL. */
	{L("\"resource-owners\\x00junk\" x"), -EINVAL, 0, {""}, {0}},
};

ParameterizedTestParameters(cmd, tokenize)
{
	return cr_make_param_array(struct tok_case, (void *)tok_cases, CFS_ARRAY_SIZE(tok_cases));
}

ParameterizedTest(struct tok_case *tc, cmd, tokenize)
{
	struct cfs_cmd *c = NULL;
	const char *why = NULL;
	int r = cfs_cmd_parse(tc->line, tc->len, &c, &why);
	if (r != tc->ret && r == 0)
		cfs_cmd_free(c);
	cr_assert_eq(r, tc->ret, "line [%.*s]: got %d (%s), want %d", (int)tc->len, tc->line, r,
		     why ? why : "-", tc->ret);
	if (r < 0) {
		cr_assert_not_null(why, "a failing parse gives a reason");
		return;
	}
	cr_assert_eq(c->op, CFS_OP_RES_OWNERS);
	cr_assert_eq(c->argc, tc->argc);
	for (int i = 0; i < tc->argc; i++) {
		cr_assert_eq(c->arglen[i], tc->lens[i], "arg %d length %zu, want %zu", i,
			     c->arglen[i], tc->lens[i]);
		cr_assert(memcmp(c->argv[i], tc->args[i], tc->lens[i]) == 0, "arg %d bytes", i);
		cr_assert_eq(c->argv[i][c->arglen[i]], '\0', "arg %d NUL-terminated", i);
	}
	cfs_cmd_free(c);
}

Test(cmd, unknown_verb_reason)
{
	struct cfs_cmd *c = NULL;
	const char *why = NULL;
	cr_assert_eq(cfs_cmd_parse("frobnicate x", 12, &c, &why), -EINVAL);
	cr_assert_not_null(why);
	cr_assert_null(c);
	why = NULL;
	cr_assert_eq(cfs_cmd_parse("group-create", 12, &c, &why), -EINVAL);
	cr_assert_not_null(why);
	why = NULL;
	cr_assert_eq(cfs_cmd_parse("group-create \"x", 15, &c, &why), -EINVAL);
	cr_assert_not_null(why);
	/* ret_why may be NULL */
	cr_assert_eq(cfs_cmd_parse("frobnicate", 10, &c, NULL), -EINVAL);
	/* and a successful parse clears it */
	why = "stale";
	cr_assert_eq(cfs_cmd_parse("group-create x", 14, &c, &why), 0);
	cr_assert_null(why);
	cfs_cmd_free(c);
}

/* Only len bytes are read: the line need not be NUL-terminated. */
Test(cmd, parse_respects_len)
{
	const char buf[] = "group-create web EXTRA-GARBAGE";
	struct cfs_cmd *c;
	cr_assert_eq(cfs_cmd_parse(buf, 16, &c, NULL), 0);
	cr_assert_eq(c->argc, 1);
	cr_assert_str_eq(c->argv[0], "web");
	cfs_cmd_free(c);
	/* a quote cut off by len is unterminated */
	const char q[] = "group-create \"web\"";
	cr_assert_eq(cfs_cmd_parse(q, sizeof(q) - 2, &c, NULL), -EINVAL);
}

Test(cmd, line_too_long)
{
	size_t n = CFS_CMDLINE_MAX + 1;
	char *line = malloc(n + 1);
	cr_assert_not_null(line);
	memcpy(line, "reg-set-raw k v binary ", 23);
	memset(line + 23, 'a', n - 23);
	line[n] = '\0';
	struct cfs_cmd *c = NULL;
	const char *why = NULL;
	cr_assert_eq(cfs_cmd_parse(line, n, &c, &why), -E2BIG);
	cr_assert_not_null(why);
	/* exactly at the limit is fine */
	cr_assert_eq(cfs_cmd_parse(line, n - 1, &c, &why), 0);
	cr_assert_eq(c->arglen[3], n - 1 - 23);
	cfs_cmd_free(c);
	free(line);
}

Test(cmd, too_many_arguments)
{
	/* More tokens than any command takes. */
	struct cfs_buf b = {0};
	cfs_buf_puts(&b, "resource-owners r");
	for (int i = 0; i < CFS_LIST_MAX + 20; i++)
		cfs_buf_printf(&b, " n%d", i);
	struct cfs_cmd *c = NULL;
	const char *why = NULL;
	cr_assert_eq(cfs_cmd_parse(b.data, b.len, &c, &why), -E2BIG);
	cr_assert_not_null(why);
	cfs_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* format -> parse round trips.                                        */

#define RA 6
struct rt_case {
	enum cfs_op op;
	int argc;
	char args[RA][40];
	size_t lens[RA];
};

static const struct rt_case rt_cases[] = {
	{CFS_OP_GROUP_CREATE, 1, {"web"}, {3}},
	{CFS_OP_GROUP_CREATE, 3, {"my group", "", "5"}, {8, 0, 1}},
	{CFS_OP_GROUP_RENAME, 2, {"a\"b", "c\\d"}, {3, 3}},
	{CFS_OP_GROUP_RENAME, 2, {"\"", "\\"}, {1, 1}},
	{CFS_OP_SET, 4, {"group", "web", "Description", "line1\nline2\ttab\r"}, {5, 3, 11, 16}},
	{CFS_OP_REG_SET_RAW, 4, {"Software\\Vendor", "Blob", "binary", "\0\x01\x02 \xff\x7f\"\\"},
	 {15, 4, 6, 9}},
	{CFS_OP_REG_SET_RAW, 4, {"k", "v", "dword", "\0\0\0\0"}, {1, 1, 5, 4}},
	{CFS_OP_REG_SET_RAW, 4, {"k", "v", "binary", "\n"}, {1, 1, 6, 1}},
	{CFS_OP_REG_SET, 4, {"k k", "v v", "sz", " lead and trail "}, {3, 3, 2, 16}},
	{CFS_OP_REG_SET, 4, {"k", "v", "sz", "\xc3\xa9\xe2\x82\xac"}, {1, 1, 2, 5}},
	{CFS_OP_REG_SET, 4, {"k", "v", "sz", "\x80\xfe invalid utf8"}, {1, 1, 2, 15}},
	{CFS_OP_REG_SET, 4, {"k", "v", "sz", "\x1b[0m\x01\x1f"}, {1, 1, 2, 7}},
	{CFS_OP_RES_OWNERS, 5, {"r", "", " ", "\t", "\"\""}, {1, 0, 1, 1, 2}},
	{CFS_OP_NODE_ADD, 4, {"n1", "1", "10.0.0.1", "up"}, {2, 1, 8, 2}},
	{CFS_OP_REG_SECURITY, 4, {"a/b\\c", "0755", "0", "0"}, {5, 4, 1, 1}},
};

ParameterizedTestParameters(cmd, roundtrip)
{
	return cr_make_param_array(struct rt_case, (void *)rt_cases, CFS_ARRAY_SIZE(rt_cases));
}

/* The formatted line is one safe line: no control bytes, no DEL. */
static void assert_line_safe(const struct cfs_buf *b)
{
	for (size_t i = 0; i < b->len; i++) {
		unsigned char ch = (unsigned char)b->data[i];
		cr_assert(ch >= 0x20 && ch != 0x7f, "raw byte 0x%02x at %zu in [%.200s]", ch, i,
			  b->data);
	}
}

static void roundtrip(enum cfs_op op, int argc, const char *const *argv, const size_t *lens)
{
	struct cfs_cmd *c, *d;
	cr_assert_eq(cfs_cmd_newv(&c, op, argc, argv, lens), 0);
	struct cfs_buf line = {0};
	cr_assert_eq(cfs_cmd_format(c, &line), 0);
	assert_line_safe(&line);
	cr_assert(strncmp(line.data, cfs_op_verb(op), strlen(cfs_op_verb(op))) == 0);
	const char *why = NULL;
	int r = cfs_cmd_parse(line.data, line.len, &d, &why);
	if (r != 0) {
		size_t len = line.len;
		char head[201];
		snprintf(head, sizeof(head), "%s", line.data);
		cfs_buf_free(&line);
		cfs_cmd_free(c);
		cr_assert_fail("parse of formatted [%s] (%zu bytes): %d (%s)", head, len, r,
			       why ? why : "-");
	}
	cr_assert_eq(r, 0, "parse of formatted [%.200s] (%zu bytes): %d (%s)", line.data, line.len,
		     r, why ? why : "-");
	cr_assert_eq(d->op, op);
	cr_assert_eq(d->argc, argc);
	for (int i = 0; i < argc; i++) {
		cr_assert_eq(d->arglen[i], lens[i], "arg %d of [%.200s]: %zu bytes, want %zu", i,
			     line.data, d->arglen[i], lens[i]);
		cr_assert(memcmp(d->argv[i], argv[i], lens[i]) == 0, "arg %d of [%.200s]", i,
			  line.data);
	}
	/* Formatting the parsed command gives the same line. */
	struct cfs_buf again = {0};
	cr_assert_eq(cfs_cmd_format(d, &again), 0);
	cr_assert_eq(again.len, line.len);
	cr_assert(memcmp(again.data, line.data, line.len) == 0);
	cfs_buf_free(&again);
	cfs_buf_free(&line);
	cfs_cmd_free(c);
	cfs_cmd_free(d);
}

ParameterizedTest(struct rt_case *rc, cmd, roundtrip)
{
	const char *argv[RA];
	for (int i = 0; i < rc->argc; i++)
		argv[i] = rc->args[i];
	roundtrip(rc->op, rc->argc, argv, rc->lens);
}

Test(cmd, format_simple_forms)
{
	static const struct {
		enum cfs_op op;
		int argc;
		const char *argv[4];
		const char *line;
	} cases[] = {
		{CFS_OP_GROUP_CREATE, 1, {"web"}, "group-create web"},
		{CFS_OP_GROUP_CREATE, 1, {"my web"}, "group-create \"my web\""},
		{CFS_OP_GROUP_CREATE, 1, {""}, "group-create \"\""},
		{CFS_OP_GROUP_RENAME, 2, {"a\"b", "c\\d"}, "group-rename \"a\\\"b\" \"c\\\\d\""},
		{CFS_OP_GROUP_CREATE, 1, {"a\nb\tc"}, "group-create \"a\\nb\\tc\""},
		{CFS_OP_GROUP_CREATE, 1, {"\x01\x7f"}, "group-create \"\\x01\\x7f\""},
		{CFS_OP_GROUP_CREATE, 1, {"\xc3\xa9"}, "group-create \xc3\xa9"},
	};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(cases); i++) {
		struct cfs_cmd *c;
		cr_assert_eq(cfs_cmd_new(&c, cases[i].op, cases[i].argc, cases[i].argv), 0);
		struct cfs_buf b = {0};
		cr_assert_eq(cfs_cmd_format(c, &b), 0);
		cr_assert_str_eq(b.data, cases[i].line);
		cfs_buf_free(&b);
		cfs_cmd_free(c);
	}
}

/* Random binary arguments, fixed seed: format -> parse is the identity. */
Test(cmd, roundtrip_random)
{
	unsigned seed = 12345;
	for (int iter = 0; iter < 2000; iter++) {
		int argc = 1 + rand_r(&seed) % 5;
		char bufs[5][64];
		const char *argv[5];
		size_t lens[5];
		for (int i = 0; i < argc; i++) {
			lens[i] = (size_t)(rand_r(&seed) % 64);
			for (size_t k = 0; k < lens[i]; k++) {
				/* bias towards the interesting bytes */
				static const char special[] = {'\0', ' ', '\t', '\n', '\r', '"',
							       '\\', 'x', '\x7f', '\x01', '\xff'};
				bufs[i][k] = rand_r(&seed) % 3
						     ? special[rand_r(&seed) % sizeof(special)]
						     : (char)(rand_r(&seed) & 0xff);
			}
			argv[i] = bufs[i];
		}
		roundtrip(CFS_OP_RES_OWNERS, argc, argv, lens);
	}
}

static void *to_free;

static void free_it(void)
{
	free(to_free);
	to_free = NULL;
}

/* A value of the maximum size with many bytes that need escaping
 * round-trips within CFS_CMDLINE_MAX. */
Test(cmd, roundtrip_max_value, .fini = free_it)
{
	size_t n = CFS_VALUE_MAX;
	char *v = to_free = malloc(n);
	cr_assert_not_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = (char)(i % 7 == 0 ? '\0' : 'a' + i % 26);
	const char *argv[] = {"Key", "Val", "binary", v};
	size_t lens[] = {3, 3, 6, n};
	roundtrip(CFS_OP_REG_SET_RAW, 4, argv, lens);
}

/* Worst case: a maximum-size value made only of bytes that need a \xHH
 * escape. Any value the registry accepts must be expressible as one
 * command line (the text form is what a replicated back-end carries). */
Test(cmd, roundtrip_max_value_all_escaped, .fini = free_it)
{
	size_t n = CFS_VALUE_MAX;
	char *v = to_free = calloc(1, n);
	cr_assert_not_null(v);
	const char *argv[] = {"Key", "Val", "binary", v};
	size_t lens[] = {3, 3, 6, n};
	roundtrip(CFS_OP_REG_SET_RAW, 4, argv, lens);
}
