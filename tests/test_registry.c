/* SPDX-License-Identifier: MIT */
/* Tests of registry.h: the raw key/value tree, its indexes, id order,
 * names and paths. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfs_limits.h"
#include "registry.h"

static struct cfs_registry reg;

static void setup(void)
{
	cr_assert_eq(cfs_reg_init(&reg), 0);
}

static void teardown(void)
{
	cfs_reg_free(&reg);
}

TestSuite(registry, .init = setup, .fini = teardown);

/* Checks every structural invariant of the tree below key, recursively:
 * parents, depths, sorted-by-id arrays, name indexes and id indexes. */
static size_t audit_key(const struct cfs_key *k)
{
	size_t count = 1;
	cr_assert_eq(cfs_reg_key(&reg, k->id), k, "key %lu not in the id index",
		     (unsigned long)k->id);
	cr_assert_lt(k->id, reg.next_id);
	cr_assert_eq(k->subkey_by_name.n, k->subkeys.n);
	cr_assert_eq(k->value_by_name.n, k->values.n);
	for (size_t i = 0; i < k->subkeys.n; i++) {
		const struct cfs_key *c = k->subkeys.v[i];
		cr_assert_eq(c->parent, k);
		cr_assert_eq(c->depth, k->depth + 1);
		cr_assert_eq(cfs_key_subkey(k, c->name), c, "subkey \"%s\" not by name", c->name);
		if (i)
			cr_assert_lt(((const struct cfs_key *)k->subkeys.v[i - 1])->id, c->id,
				     "subkeys of \"%s\" not sorted by id", k->name);
		count += audit_key(c);
	}
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		cr_assert_eq(v->key, k);
		cr_assert_eq(cfs_reg_value(&reg, v->id), v);
		cr_assert_eq(cfs_key_value(k, v->name), v);
		cr_assert_lt(v->id, reg.next_id);
		cr_assert_eq(v->data[v->len], '\0', "value data keeps a spare NUL");
		if (i)
			cr_assert_lt(((const struct cfs_value *)k->values.v[i - 1])->id, v->id,
				     "values of \"%s\" not sorted by id", k->name);
		count++;
	}
	return count;
}

static void audit(void)
{
	cr_assert_eq(reg.root->depth, 0);
	cr_assert_null(reg.root->parent);
	size_t n = audit_key(reg.root);
	cr_assert_eq(n, cfs_reg_entries(&reg), "tree has %zu entries, indexes %zu", n,
		     cfs_reg_entries(&reg));
}

static struct cfs_key *add(struct cfs_key *parent, const char *name)
{
	struct cfs_key *k = NULL;
	int r = cfs_reg_add_key(&reg, parent, 0, name, 0750, 10, 20, 1000, &k);
	cr_assert_eq(r, 0, "add \"%s\": %d", name, r);
	return k;
}

static struct cfs_value *set(struct cfs_key *k, const char *name, uint32_t type,
			     const char *data)
{
	struct cfs_value *v = NULL;
	int r = cfs_reg_set_value(&reg, k, 0, name, type, data, strlen(data), 2000, &v);
	cr_assert_eq(r, 0);
	return v;
}

static char *path_of(const struct cfs_key *k)
{
	struct cfs_buf b = {0};
	cr_assert_eq(cfs_key_path(k, &b), 0);
	return cfs_buf_steal(&b);
}

Test(registry, init)
{
	cr_assert_not_null(reg.root);
	cr_assert_eq(reg.root->id, CFS_REG_ROOT_ID);
	cr_assert_str_eq(reg.root->name, "");
	cr_assert_eq(reg.root->mode, 0755);
	cr_assert_eq(reg.root->uid, 0);
	cr_assert_eq(reg.root->gid, 0);
	cr_assert_eq(reg.root->depth, 0);
	cr_assert_eq(reg.next_id, CFS_REG_ROOT_ID + 1);
	cr_assert_eq(cfs_reg_entries(&reg), 1);
	cr_assert_eq(cfs_reg_key(&reg, 1), reg.root);
	cr_assert_null(cfs_reg_key(&reg, 0));
	cr_assert_null(cfs_reg_key(&reg, 2));
	cr_assert_null(cfs_reg_value(&reg, 0));
	cr_assert_null(cfs_reg_value(&reg, 1));
	audit();
}

Test(registry, add_keys)
{
	struct cfs_key *a = add(reg.root, "A");
	struct cfs_key *b = add(reg.root, "B");
	struct cfs_key *c = add(a, "C");
	cr_assert_eq(a->id, 2);
	cr_assert_eq(b->id, 3);
	cr_assert_eq(c->id, 4);
	cr_assert_eq(reg.next_id, 5);
	cr_assert_eq(c->depth, 2);
	cr_assert_eq(c->parent, a);
	cr_assert_eq(a->mode, 0750);
	cr_assert_eq(a->uid, 10);
	cr_assert_eq(a->gid, 20);
	cr_assert_eq(a->mtime_ns, 1000);
	cr_assert_eq(cfs_key_subkey(reg.root, "A"), a);
	cr_assert_null(cfs_key_subkey(reg.root, "C"));
	cr_assert_null(cfs_key_subkey(reg.root, "a"));
	cr_assert_eq(reg.root->subkeys.n, 2);
	cr_assert_eq(reg.root->subkeys.v[0], a);
	cr_assert_eq(reg.root->subkeys.v[1], b);
	/* the name is copied */
	char name[] = "D";
	struct cfs_key *d = add(b, name);
	name[0] = 'X';
	cr_assert_str_eq(d->name, "D");
	audit();
}

Test(registry, add_key_masks_mode)
{
	struct cfs_key *k;
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 0, "m", 0170755, 0, 0, 0, &k), 0);
	cr_assert_eq(k->mode, 0755);
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 0, "s", 07777, 0, 0, 0, &k), 0);
	cr_assert_eq(k->mode, 07777);
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 0, "n", 0, 0, 0, 0, NULL), 0);
	cr_assert_eq(cfs_key_subkey(reg.root, "n")->mode, 0);
}

Test(registry, add_duplicate_key)
{
	struct cfs_key *a = add(reg.root, "A");
	uint64_t next = reg.next_id;
	size_t entries = cfs_reg_entries(&reg);
	struct cfs_key *k = NULL;
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 0, "A", 0755, 0, 0, 0, &k), -EEXIST);
	cr_assert_null(k);
	cr_assert_eq(reg.next_id, next, "a failed add must not use up an id");
	cr_assert_eq(cfs_reg_entries(&reg), entries);
	cr_assert_eq(cfs_key_subkey(reg.root, "A"), a);
	/* the same name under another parent is fine */
	add(a, "A");
	audit();
}

/* Explicit ids (loading, undo) may be lower than next_id: the arrays stay
 * sorted by id, and next_id never goes down. */
Test(registry, explicit_ids_sorted)
{
	struct cfs_key *k;
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 100, "k100", 0755, 0, 0, 0, &k), 0);
	cr_assert_eq(k->id, 100);
	cr_assert_eq(reg.next_id, 101);
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 50, "k50", 0755, 0, 0, 0, &k), 0);
	cr_assert_eq(reg.next_id, 101);
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 75, "k75", 0755, 0, 0, 0, &k), 0);
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 0, "next", 0755, 0, 0, 0, &k), 0);
	cr_assert_eq(k->id, 101);
	cr_assert_eq(cfs_reg_add_key(&reg, reg.root, 10, "k10", 0755, 0, 0, 0, &k), 0);
	uint64_t want[] = {10, 50, 75, 100, 101};
	cr_assert_eq(reg.root->subkeys.n, 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(((struct cfs_key *)reg.root->subkeys.v[i])->id, want[i]);
	/* values too */
	struct cfs_value *v;
	cr_assert_eq(cfs_reg_set_value(&reg, k, 500, "v500", 1, "x", 1, 0, &v), 0);
	cr_assert_eq(reg.next_id, 501);
	cr_assert_eq(cfs_reg_set_value(&reg, k, 300, "v300", 1, "x", 1, 0, &v), 0);
	cr_assert_eq(cfs_reg_set_value(&reg, k, 400, "v400", 1, "x", 1, 0, &v), 0);
	cr_assert_eq(cfs_reg_set_value(&reg, k, 0, "vnext", 1, "x", 1, 0, &v), 0);
	cr_assert_eq(v->id, 501);
	uint64_t wantv[] = {300, 400, 500, 501};
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(((struct cfs_value *)k->values.v[i])->id, wantv[i]);
	audit();
}

/* Keys and values share one id space and ids are never reused. */
Test(registry, ids_shared_and_not_reused)
{
	struct cfs_key *a = add(reg.root, "A");
	struct cfs_value *v = set(a, "v", 1, "x");
	struct cfs_key *b = add(reg.root, "B");
	cr_assert_eq(v->id, a->id + 1);
	cr_assert_eq(b->id, v->id + 1);
	uint64_t bid = b->id, vid = v->id;
	cfs_reg_remove_key(&reg, b);
	cfs_reg_remove_value(&reg, v);
	cr_assert_null(cfs_reg_key(&reg, bid));
	cr_assert_null(cfs_reg_value(&reg, vid));
	struct cfs_key *b2 = add(reg.root, "B");
	struct cfs_value *v2 = set(a, "v", 1, "x");
	cr_assert_gt(b2->id, bid);
	cr_assert_gt(v2->id, bid);
	cr_assert_neq(v2->id, vid);
	audit();
}

Test(registry, remove_keys)
{
	struct cfs_key *k[10];
	for (int i = 0; i < 10; i++) {
		char n[8];
		snprintf(n, sizeof(n), "k%d", i);
		k[i] = add(reg.root, n);
	}
	uint64_t id3 = k[3]->id;
	cfs_reg_remove_key(&reg, k[3]);
	cfs_reg_remove_key(&reg, k[0]);
	cfs_reg_remove_key(&reg, k[9]);
	cr_assert_null(cfs_key_subkey(reg.root, "k3"));
	cr_assert_null(cfs_reg_key(&reg, id3));
	cr_assert_eq(reg.root->subkeys.n, 7);
	int want[] = {1, 2, 4, 5, 6, 7, 8};
	for (int i = 0; i < 7; i++)
		cr_assert_eq(reg.root->subkeys.v[i], k[want[i]]);
	/* re-adding a removed name works and goes last */
	struct cfs_key *n3 = add(reg.root, "k3");
	cr_assert_eq(reg.root->subkeys.v[7], n3);
	audit();
}

Test(registry, rename_key)
{
	struct cfs_key *a = add(reg.root, "A");
	struct cfs_key *b = add(reg.root, "B");
	add(a, "child");
	uint64_t id = a->id;
	cr_assert_eq(cfs_reg_rename_key(&reg, a, "Z"), 0);
	cr_assert_str_eq(a->name, "Z");
	cr_assert_eq(a->id, id);
	cr_assert_eq(cfs_key_subkey(reg.root, "Z"), a);
	cr_assert_null(cfs_key_subkey(reg.root, "A"));
	cr_assert_eq(reg.root->subkeys.v[0], a, "position by id is kept");
	cr_assert_eq(cfs_reg_rename_key(&reg, a, "B"), -EEXIST);
	cr_assert_str_eq(a->name, "Z");
	cr_assert_eq(cfs_key_subkey(reg.root, "B"), b);
	cr_assert_eq(cfs_reg_rename_key(&reg, a, "Z"), 0, "rename to itself");
	cr_assert_eq(cfs_key_subkey(reg.root, "Z"), a);
	/* the freed name is available again */
	struct cfs_key *a2 = add(reg.root, "A");
	cr_assert_neq(a2, a);
	char *p = path_of(cfs_key_subkey(a, "child"));
	cr_assert_str_eq(p, "Z\\child");
	free(p);
	audit();
}

Test(registry, values)
{
	struct cfs_key *k = add(reg.root, "K");
	char data[] = "hello";
	struct cfs_value *v;
	cr_assert_eq(cfs_reg_set_value(&reg, k, 0, "greeting", 1, data, 5, 77, &v), 0);
	data[0] = 'J';
	cr_assert_eq(v->len, 5);
	cr_assert(memcmp(v->data, "hello", 5) == 0, "data is copied");
	cr_assert_eq(v->data[5], '\0');
	cr_assert_eq(v->type, 1);
	cr_assert_eq(v->mtime_ns, 77);
	cr_assert_eq(v->key, k);
	cr_assert_eq(cfs_key_value(k, "greeting"), v);
	uint64_t id = v->id;
	/* replace: same id and struct, new data, type and time */
	struct cfs_value *v2;
	uint8_t bin[] = {0, 1, 2, 0};
	cr_assert_eq(cfs_reg_set_value(&reg, k, 0, "greeting", 3, bin, 4, 88, &v2), 0);
	cr_assert_eq(v2, v);
	cr_assert_eq(v2->id, id);
	cr_assert_eq(v2->type, 3);
	cr_assert_eq(v2->len, 4);
	cr_assert(memcmp(v2->data, bin, 4) == 0);
	cr_assert_eq(v2->mtime_ns, 88);
	cr_assert_eq(k->values.n, 1);
	/* empty value */
	cr_assert_eq(cfs_reg_set_value(&reg, k, 0, "empty", 1, NULL, 0, 0, &v2), 0);
	cr_assert_eq(v2->len, 0);
	cr_assert_not_null(v2->data);
	cr_assert_eq(v2->data[0], '\0');
	/* a value and a subkey may share a name */
	add(k, "greeting");
	cr_assert_eq(cfs_key_value(k, "greeting"), v);
	audit();
	cfs_reg_remove_value(&reg, v);
	cr_assert_null(cfs_key_value(k, "greeting"));
	cr_assert_null(cfs_reg_value(&reg, id));
	cr_assert_eq(k->values.n, 1);
	audit();
}

Test(registry, rename_value)
{
	struct cfs_key *k = add(reg.root, "K");
	struct cfs_value *a = set(k, "a", 1, "1");
	struct cfs_value *b = set(k, "b", 1, "2");
	cr_assert_eq(cfs_reg_rename_value(&reg, a, "b"), -EEXIST);
	cr_assert_str_eq(a->name, "a");
	cr_assert_eq(cfs_key_value(k, "b"), b);
	cr_assert_eq(cfs_reg_rename_value(&reg, a, "c"), 0);
	cr_assert_eq(cfs_key_value(k, "c"), a);
	cr_assert_null(cfs_key_value(k, "a"));
	cr_assert_eq(k->values.v[0], a, "position by id is kept");
	cr_assert_eq(cfs_reg_rename_value(&reg, a, "c"), 0);
	audit();
}

/* Removing a key with children is a programming error (asserted), so only
 * empty keys are removed here; many keys under one parent keep order. */
Test(registry, many_keys)
{
	enum { N = 5000 };
	struct cfs_key *p = add(reg.root, "P");
	for (int i = 0; i < N; i++) {
		char n[16];
		snprintf(n, sizeof(n), "k%05d", i);
		add(p, n);
	}
	for (int i = 0; i < N; i += 2) {
		char n[16];
		snprintf(n, sizeof(n), "k%05d", i);
		struct cfs_key *k = cfs_key_subkey(p, n);
		cr_assert_not_null(k);
		cfs_reg_remove_key(&reg, k);
	}
	cr_assert_eq(p->subkeys.n, N / 2);
	for (int i = 0; i < N; i++) {
		char n[16];
		snprintf(n, sizeof(n), "k%05d", i);
		if (i & 1)
			cr_assert_not_null(cfs_key_subkey(p, n));
		else
			cr_assert_null(cfs_key_subkey(p, n));
	}
	audit();
}

/* ------------------------------------------------------------------ */
/* Name checks.                                                        */

struct name_case {
	char name[300];
	int key_ret;
	int value_ret;
};

static struct name_case name_cases[] = {
	{"a", 0, 0},
	{"Name With Spaces", 0, 0},
	{" lead", 0, 0},
	{"...", 0, 0},
	{".hidden", 0, 0},
	{"a.", 0, 0},
	{"Gr\xc3\xbc\xc3\x9f" "e", 0, 0},
	{"\xe2\x82\xac", 0, 0},
	{"a\\b", -EINVAL, 0}, /* '\' separates keys only */
	{"\\", -EINVAL, 0},
	{"", -EINVAL, -EINVAL},
	{".", -EINVAL, -EINVAL},
	{"..", -EINVAL, -EINVAL},
	{"a/b", -EINVAL, -EINVAL},
	{"/", -EINVAL, -EINVAL},
	{"a\tb", -EINVAL, -EINVAL},
	{"a\nb", -EINVAL, -EINVAL},
	{"\x01", -EINVAL, -EINVAL},
	{"\x1f", -EINVAL, -EINVAL},
	{"x\x7f", -EINVAL, -EINVAL},
	{"\r", -EINVAL, -EINVAL},
	{"\xff", -EINVAL, -EINVAL},
	{"\xc3", -EINVAL, -EINVAL},
	{"\xc0\xaf", -EINVAL, -EINVAL}, /* overlong '/' */
	{"\xed\xa0\x80", -EINVAL, -EINVAL},
	{"", 0, 0}, /* filled in: 255 bytes */
	{"", -ENAMETOOLONG, -ENAMETOOLONG}, /* filled in: 256 bytes */
	{"", 0, 0}, /* filled in: 85 x 3-byte UTF-8 = 255 bytes */
	{"", -ENAMETOOLONG, -ENAMETOOLONG}, /* filled in: 86 x 3 = 258 bytes */
};

ParameterizedTestParameters(registry, check_name)
{
	size_t n = CFS_ARRAY_SIZE(name_cases);
	memset(name_cases[n - 4].name, 'x', CFS_NAME_MAX);
	memset(name_cases[n - 3].name, 'y', CFS_NAME_MAX + 1);
	for (int i = 0; i < 85; i++)
		memcpy(name_cases[n - 2].name + 3 * i, "\xe2\x82\xac", 3);
	for (int i = 0; i < 86; i++)
		memcpy(name_cases[n - 1].name + 3 * i, "\xe2\x82\xac", 3);
	return cr_make_param_array(struct name_case, name_cases, n);
}

ParameterizedTest(struct name_case *c, registry, check_name)
{
	int r = cfs_reg_check_name(c->name, true);
	cr_assert_eq(r, c->key_ret, "key name \"%.40s\" (%zu bytes): %d, want %d", c->name,
		     strlen(c->name), r, c->key_ret);
	r = cfs_reg_check_name(c->name, false);
	cr_assert_eq(r, c->value_ret, "value name \"%.40s\" (%zu bytes): %d, want %d", c->name,
		     strlen(c->name), r, c->value_ret);
}

/* ------------------------------------------------------------------ */
/* Paths.                                                              */

Test(registry, lookup_and_path)
{
	struct cfs_key *a = add(reg.root, "A");
	struct cfs_key *b = add(a, "B");
	struct cfs_key *c = add(b, "C d");
	struct cfs_key *k;
	static const struct {
		const char *path;
		int which; /* 0 root, 1 A, 2 B, 3 C, -1 ENOENT */
	} cases[] = {
		{"", 0},	   {"\\", 0},	       {"/", 0},	     {"A", 1},
		{"A\\B", 2},	   {"A/B", 2},	       {"\\A\\B\\", 2},	     {"/A/B/", 2},
		{"A//B", 2},	   {"A\\/B", 2},       {"A\\B\\C d", 3},     {"A/B\\C d", 3},
		{"a", -1},	   {"B", -1},	       {"A\\C d", -1},	     {"A\\B\\C", -1},
		{"A\\B\\C d\\x", -1}, {"A\\.", -1},     {"A\\..\\A", -1},     {"X\\A", -1},
	};
	struct cfs_key *keys[] = {reg.root, a, b, c};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(cases); i++) {
		k = NULL;
		int r = cfs_reg_lookup(&reg, cases[i].path, &k);
		if (cases[i].which < 0) {
			cr_assert_eq(r, -ENOENT, "lookup \"%s\": %d", cases[i].path, r);
		} else {
			cr_assert_eq(r, 0, "lookup \"%s\": %d", cases[i].path, r);
			cr_assert_eq(k, keys[cases[i].which], "lookup \"%s\"", cases[i].path);
		}
	}
	char *p = path_of(reg.root);
	cr_assert_str_eq(p, "");
	free(p);
	p = path_of(a);
	cr_assert_str_eq(p, "A");
	free(p);
	p = path_of(c);
	cr_assert_str_eq(p, "A\\B\\C d");
	/* the path looks the key up again */
	cr_assert_eq(cfs_reg_lookup(&reg, p, &k), 0);
	cr_assert_eq(k, c);
	free(p);
	/* path appends */
	struct cfs_buf b2 = {0};
	cfs_buf_puts(&b2, "HKLM\\");
	cr_assert_eq(cfs_key_path(b, &b2), 0);
	cr_assert_str_eq(b2.data, "HKLM\\A\\B");
	cfs_buf_free(&b2);
}

Test(registry, lookup_long_component)
{
	char name[CFS_NAME_MAX + 1];
	memset(name, 'n', CFS_NAME_MAX);
	name[CFS_NAME_MAX] = '\0';
	struct cfs_key *k = add(reg.root, name), *got;
	cr_assert_eq(cfs_reg_lookup(&reg, name, &got), 0);
	cr_assert_eq(got, k);
	char longer[CFS_NAME_MAX + 2];
	memset(longer, 'n', CFS_NAME_MAX + 1);
	longer[CFS_NAME_MAX + 1] = '\0';
	cr_assert_eq(cfs_reg_lookup(&reg, longer, &got), -ENOENT);
}

/* The deepest key the tree allows has a complete path. */
Test(registry, deep_path)
{
	struct cfs_key *k = reg.root;
	struct cfs_buf want = {0};
	for (int d = 1; d <= CFS_KEY_DEPTH_MAX; d++) {
		char n[8];
		snprintf(n, sizeof(n), "d%d", d);
		k = add(k, n);
		if (d > 1)
			cfs_buf_puts(&want, "\\");
		cfs_buf_puts(&want, n);
	}
	cr_assert_eq(k->depth, CFS_KEY_DEPTH_MAX);
	char *p = path_of(k);
	cr_assert_str_eq(p, want.data);
	struct cfs_key *got;
	cr_assert_eq(cfs_reg_lookup(&reg, p, &got), 0);
	cr_assert_eq(got, k);
	free(p);
	cfs_buf_free(&want);
	audit();
}

Test(registry, typed_readers)
{
	struct cfs_key *k = add(reg.root, "K");
	uint8_t le[4] = {0x78, 0x56, 0x34, 0x12};
	cr_assert_eq(cfs_reg_set_value(&reg, k, 0, "dw", 4, le, 4, 0, NULL), 0);
	set(k, "sz", 1, "text");
	set(k, "exp", 2, "%x%");
	cr_assert_eq(cfs_reg_set_value(&reg, k, 0, "multi", 7, "a\0b\0", 4, 0, NULL), 0);
	set(k, "bin", 3, "raw");
	cr_assert_eq(cfs_reg_set_value(&reg, k, 0, "short", 4, le, 3, 0, NULL), 0);
	size_t len = 99;
	cr_assert_str_eq(cfs_key_get_sz(k, "sz", &len), "text");
	cr_assert_eq(len, 4);
	cr_assert_str_eq(cfs_key_get_sz(k, "exp", &len), "%x%");
	cr_assert_eq(cfs_key_get_sz(k, "multi", &len)[2], 'b');
	cr_assert_eq(len, 4);
	cr_assert_str_eq(cfs_key_get_sz(k, "bin", &len), "", "binary is another type");
	cr_assert_eq(len, 0);
	cr_assert_str_eq(cfs_key_get_sz(k, "missing", &len), "");
	cr_assert_eq(len, 0);
	cr_assert_str_eq(cfs_key_get_sz(k, "dw", NULL), "");
	cr_assert_eq(cfs_key_get_dword(k, "dw", 7), 0x12345678);
	cr_assert_eq(cfs_key_get_dword(k, "missing", 7), 7);
	cr_assert_eq(cfs_key_get_dword(k, "short", 7), 7);
	cr_assert_eq(cfs_key_get_dword(k, "sz", 7), 7);
}

/* Freeing a populated tree releases everything (checked under valgrind). */
Test(registry, free_populated)
{
	for (int i = 0; i < 50; i++) {
		char n[8];
		snprintf(n, sizeof(n), "k%d", i);
		struct cfs_key *k = add(reg.root, n);
		for (int j = 0; j < 5; j++) {
			snprintf(n, sizeof(n), "s%d", j);
			struct cfs_key *s = add(k, n);
			set(s, "v", 1, "value");
			set(k, n, 1, "value");
		}
	}
	audit();
	cfs_reg_free(&reg);
	cr_assert_null(reg.root);
	cr_assert_eq(cfs_reg_init(&reg), 0); /* for the fixture */
}
