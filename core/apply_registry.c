/* SPDX-License-Identifier: MIT */
/* Registry commands. The registry is open to users except where the model
 * keeps its own data: the root and collection keys, object keys themselves
 * (create, delete and rename them through their objects) and the values
 * the model maintains (cfs_prop_is_managed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply_registry.h"
#include "value.h"

/* The object kind whose key this is, or -1. */
static int obj_kind_of(struct cfs_model *m, struct cfs_key *key)
{
	if (key == m->reg.root)
		return CFS_KIND_CLUSTER;
	return key->obj ? (int)key->obj->kind : -1;
}

static bool is_structural(struct cfs_model *m, struct cfs_key *key)
{
	if (key == m->reg.root || key->obj)
		return true;
	for (int k = 0; k < CFS_KIND_COUNT; k++)
		if (m->coll[k] == key)
			return true;
	return false;
}

static int lookup(struct cfs_model *m, const char *path, struct cfs_key **ret, const char **why)
{
	if (cfs_reg_lookup(&m->reg, path, ret) < 0)
		return cfs_fail(why, "no such registry key", -ENOENT);
	return 0;
}

/* Splits "a\b\c" into the parent path "a\b" and the last name "c". */
static int split_path(const char *path, char **ret_parent, const char **ret_name)
{
	const char *p = path + strlen(path);
	while (p > path && (p[-1] == '\\' || p[-1] == '/'))
		p--;
	size_t end = (size_t)(p - path);
	while (p > path && p[-1] != '\\' && p[-1] != '/')
		p--;
	char *parent = cfs_strndup(path, (size_t)(p - path));
	if (!parent)
		return -ENOMEM;
	/* The name is path[p..end): copy it into the tail of parent's buffer? No:
	 * return a pointer into path and cut trailing separators in place. */
	*ret_parent = parent;
	*ret_name = p;
	return (int)(end - (size_t)(p - path));
}

static int value_writable(struct cfs_model *m, struct cfs_key *key, const char *name,
			  const char **why)
{
	int kind = obj_kind_of(m, key);
	if (kind >= 0 && cfs_prop_is_managed(kind, name))
		return cfs_fail(why, "value is maintained by the cluster", -EPERM);
	return 0;
}

/* The optional "replace" word of reg-rename and reg-rename-key. */
static int replace_arg(const struct cfs_cmd *cmd, int i, const char **why)
{
	if (cmd->argc > i && strcmp(cmd->argv[i], "replace") != 0)
		return cfs_fail(why, "the last word must be replace", -EINVAL);
	return 0;
}

static int parse_mode(const char *s, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 8);
	if (!*s || *end || errno || v > 07777)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int parse_id(const char *s, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT32_MAX - 1)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int parse_size(const char *s, size_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || *s == '-' || *s == '+')
		return -EINVAL;
	if (errno || v > CFS_VALUE_MAX)
		return -EFBIG;
	*ret = (size_t)v;
	return 0;
}

/* The reason for a value that could not be stored. */
static int value_fail(const char **why, int e)
{
	return cfs_fail(why, e == -EFBIG	   ? "value too large"
			     : e == -ERANGE	   ? "number out of range"
			     : e == -ENAMETOOLONG ? "link target too long"
						   : "value does not parse as its type",
			e);
}

/* A name for a new value of key: a good name, free, not the cluster's,
 * and room for it. */
static int new_value_ok(struct cfs_txn *t, struct cfs_key *key, const char *name, const char **why)
{
	int e = cfs_reg_check_name(name, false);
	if (e < 0)
		return cfs_fail(why, "bad value name", e);
	if ((e = value_writable(t->m, key, name, why)) < 0)
		return e;
	if (cfs_key_subkey(key, name) || cfs_key_value(key, name))
		return cfs_fail(why, "a key or value of that name exists", -EEXIST);
	if (cfs_reg_entries(&t->m->reg) >= CFS_REG_ENTRIES_MAX)
		return cfs_fail(why, "registry full", -ENOSPC);
	return 0;
}

/* A value file's new content (reg-write, reg-truncate). A value whose
 * type was chosen parses it as its text form; one whose type never was
 * takes the bytes as they are (cfs_value_classify). A missing value is
 * created without a type. */
static int write_value(struct cfs_txn *t, struct cfs_key *key, const char *name,
		       const char *data, size_t len, const char **why)
{
	struct cfs_value *v = cfs_key_value(key, name);
	struct cfs_buf b = {0};
	int e = v ? value_writable(t->m, key, name, why) : new_value_ok(t, key, name, why);
	if (e < 0)
		return e;
	if (v && v->type == CFS_REG_LINK)
		return cfs_fail(why, "a link's target is set when it is made", -EINVAL);
	if (v && !(v->flags & CFS_VAL_UNTYPED)) {
		if ((e = cfs_value_parse(v->type, data, len, &b)) == 0)
			e = cfs_txn_set_value(t, key, name, v->type, b.data ? b.data : "", b.len);
		else
			value_fail(why, e);
	} else {
		uint32_t type;
		bool noeol;
		if ((e = cfs_value_classify(data, len, &b, &type, &noeol)) == 0)
			e = cfs_txn_set_value_flags(t, key, name, type,
						    CFS_VAL_UNTYPED | (noeol ? CFS_VAL_NOEOL : 0),
						    b.data ? b.data : "", b.len);
		else
			value_fail(why, e);
	}
	cfs_buf_free(&b);
	return e;
}

/* truncate(2) of a value file: its content cut or zero-extended. */
static int truncate_value(struct cfs_txn *t, struct cfs_key *key, const char *name,
			  const char *sizestr, const char **why)
{
	struct cfs_value *v = cfs_key_value(key, name);
	size_t size;
	int e = parse_size(sizestr, &size);
	if (e < 0)
		return cfs_fail(why, e == -EFBIG ? "value too large" : "size must be a number", e);
	if (!v)
		return cfs_fail(why, "no such value", -ENOENT);
	struct cfs_buf text = {0};
	if ((e = cfs_value_text(v, &text)) == 0 && size > text.len)
		e = cfs_buf_reserve(&text, size - text.len);
	if (e == 0) {
		if (size > text.len)
			memset(text.data + text.len, 0, size - text.len);
		text.len = size;
		e = write_value(t, key, name, text.data ? text.data : "", size, why);
	}
	cfs_buf_free(&text);
	return e;
}

/* rename(2) onto an existing name replaces what is there: a value (not a
 * key: EISDIR), or an empty key (not a value: ENOTDIR). The deletion is
 * recorded as a replacement, before the rename's own record. */
static int replace_target(struct cfs_txn *t, struct cfs_key *key, const char *newname,
			  bool is_key, const char **why)
{
	struct cfs_model *m = t->m;
	struct cfs_key *k = cfs_key_subkey(key, newname);
	struct cfs_value *v = cfs_key_value(key, newname);
	int e;
	if (is_key && v)
		return cfs_fail(why, "a value of that name exists", -ENOTDIR);
	if (!is_key && k)
		return cfs_fail(why, "a key of that name exists", -EISDIR);
	if (k) {
		if (is_structural(m, k))
			return cfs_fail(why, "key belongs to the cluster's structure", -EPERM);
		if (k->subkeys.n || k->values.n)
			return cfs_fail(why, "the key replaced is not empty", -ENOTEMPTY);
		e = cfs_txn_del_key(t, k);
	} else if (v) {
		if ((e = value_writable(m, key, newname, why)) < 0)
			return e;
		e = cfs_txn_del_value(t, v);
	} else {
		return 0;
	}
	if (e == 0)
		t->recs[t->nrecs - 1].flags |= CFS_REC_REPLACED;
	return e;
}

static int create_key(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_model *m = t->m;
	char *parent_path;
	const char *name;
	int n = split_path(cmd->argv[0], &parent_path, &name);
	if (n < 0)
		return n;
	char leaf[CFS_NAME_MAX + 2];
	int e = 0;
	struct cfs_key *parent = NULL, *k;
	if (n == 0) {
		e = cfs_fail(why, "empty key name", -EINVAL);
	} else if (n > CFS_NAME_MAX) {
		e = cfs_fail(why, "key name too long", -ENAMETOOLONG);
	} else {
		memcpy(leaf, name, (size_t)n);
		leaf[n] = '\0';
		e = lookup(m, parent_path, &parent, why);
	}
	free(parent_path);
	if (e < 0)
		return e;
	if ((e = cfs_reg_check_name(leaf, true)) < 0)
		return cfs_fail(why, "bad key name", e);
	if (cfs_key_subkey(parent, leaf) || cfs_key_value(parent, leaf))
		return cfs_fail(why, "a key or value of that name exists", -EEXIST);
	for (int kk = 0; kk < CFS_KIND_COUNT; kk++)
		if (m->coll[kk] == parent)
			return cfs_fail(why, "create objects through their own directory", -EPERM);
	if (parent->depth + 1 > CFS_KEY_DEPTH_MAX)
		return cfs_fail(why, "registry tree too deep", -ENAMETOOLONG);
	if (cfs_reg_entries(&m->reg) >= CFS_REG_ENTRIES_MAX)
		return cfs_fail(why, "registry full", -ENOSPC);
	uint32_t mode = parent->mode;
	if (cmd->argc > 1 && parse_mode(cmd->argv[1], &mode) < 0)
		return cfs_fail(why, "mode must be octal", -EINVAL);
	return cfs_txn_add_key(t, parent, leaf, mode, cmd->uid, parent->gid, &k);
}

static int set_value(struct cfs_txn *t, struct cfs_key *key, const char *name,
		     const char *typestr, const char *data, size_t len, bool raw, const char **why)
{
	int e = cfs_reg_check_name(name, false);
	if (e < 0)
		return cfs_fail(why, "bad value name", e);
	if ((e = value_writable(t->m, key, name, why)) < 0)
		return e;
	int type = cfs_regtype_parse(typestr);
	if (type < 0)
		return cfs_fail(why, "unknown value type", -EINVAL);
	if (cfs_key_subkey(key, name))
		return cfs_fail(why, "a subkey of that name exists", -EEXIST);
	struct cfs_value *old = cfs_key_value(key, name);
	if (old && (old->type == CFS_REG_LINK) != (type == CFS_REG_LINK))
		return cfs_fail(why, "a link stays a link, and nothing else becomes one", -EINVAL);
	struct cfs_buf b = {0};
	if (raw) {
		e = cfs_value_check((uint32_t)type, data, len);
		if (e == 0)
			e = cfs_buf_append(&b, data, len);
	} else {
		e = cfs_value_parse((uint32_t)type, data, len, &b);
	}
	if (e == 0 && b.len > CFS_VALUE_MAX)
		e = -EFBIG;
	if (e == 0)
		e = cfs_txn_set_value(t, key, name, (uint32_t)type, b.data ? b.data : "", b.len);
	else
		value_fail(why, e);
	cfs_buf_free(&b);
	return e;
}

int cfs_apply_registry(struct cfs_txn *t, const struct cfs_cmd *cmd, const char **why)
{
	struct cfs_model *m = t->m;
	char *const *a = cmd->argv;
	struct cfs_key *key;
	struct cfs_value *v;
	int e;

	if (cmd->op == CFS_OP_REG_CREATE_KEY)
		return create_key(t, cmd, why);
	if ((e = lookup(m, a[0], &key, why)) < 0)
		return e;
	switch (cmd->op) {
	case CFS_OP_REG_DELETE_KEY:
		if (is_structural(m, key))
			return cfs_fail(why, "key belongs to the cluster's structure", -EPERM);
		if (key->subkeys.n)
			return cfs_fail(why, "key has subkeys", -ENOTEMPTY);
		return cfs_txn_del_key(t, key);
	case CFS_OP_REG_RENAME_KEY:
		if (is_structural(m, key))
			return cfs_fail(why, "key belongs to the cluster's structure", -EPERM);
		if ((e = cfs_reg_check_name(a[1], true)) < 0)
			return cfs_fail(why, "bad key name", e);
		if ((e = replace_arg(cmd, 2, why)) < 0)
			return e;
		if (cfs_key_subkey(key->parent, a[1]) == key)
			return 0;
		if (cmd->argc > 2) {
			if ((e = replace_target(t, key->parent, a[1], true, why)) < 0)
				return e;
		} else if (cfs_key_subkey(key->parent, a[1]) || cfs_key_value(key->parent, a[1])) {
			return cfs_fail(why, "a key or value of that name exists", -EEXIST);
		}
		return cfs_txn_rename_key(t, key, a[1]);
	case CFS_OP_REG_SET:
	case CFS_OP_REG_SET_RAW:
		return set_value(t, key, a[1], a[2], a[3], cmd->arglen[3],
				 cmd->op == CFS_OP_REG_SET_RAW, why);
	case CFS_OP_REG_DELETE:
		if (!(v = cfs_key_value(key, a[1])))
			return cfs_fail(why, "no such value", -ENOENT);
		if ((e = value_writable(m, key, a[1], why)) < 0)
			return e;
		return cfs_txn_del_value(t, v);
	case CFS_OP_REG_RENAME:
		if (!(v = cfs_key_value(key, a[1])))
			return cfs_fail(why, "no such value", -ENOENT);
		if ((e = value_writable(m, key, a[1], why)) < 0 ||
		    (e = value_writable(m, key, a[2], why)) < 0)
			return e;
		if ((e = cfs_reg_check_name(a[2], false)) < 0)
			return cfs_fail(why, "bad value name", e);
		if ((e = replace_arg(cmd, 3, why)) < 0)
			return e;
		if (cfs_key_value(key, a[2]) == v)
			return 0;
		if (cmd->argc > 3) {
			if ((e = replace_target(t, key, a[2], false, why)) < 0)
				return e;
		} else if (cfs_key_value(key, a[2]) || cfs_key_subkey(key, a[2])) {
			return cfs_fail(why, "a key or value of that name exists", -EEXIST);
		}
		return cfs_txn_rename_value(t, v, a[2]);
	case CFS_OP_REG_TYPE: {
		if (!(v = cfs_key_value(key, a[1])))
			return cfs_fail(why, "no such value", -ENOENT);
		if ((e = value_writable(m, key, a[1], why)) < 0)
			return e;
		/* Its own text, as the file shows it. */
		struct cfs_buf text = {0};
		e = cfs_value_text(v, &text);
		if (e == 0)
			e = set_value(t, key, a[1], a[2], text.data ? text.data : "", text.len, false,
				      why);
		cfs_buf_free(&text);
		return e;
	}
	case CFS_OP_REG_SECURITY: {
		uint32_t mode, uid, gid;
		if (parse_mode(a[1], &mode) < 0 || parse_id(a[2], &uid) < 0 ||
		    parse_id(a[3], &gid) < 0)
			return cfs_fail(why, "expected octal mode, uid and gid", -EINVAL);
		return cfs_txn_set_security(t, key, mode, uid, gid);
	}
	case CFS_OP_REG_VALUE_SECURITY: {
		uint32_t mode, uid, gid;
		if (!(v = cfs_key_value(key, a[1])))
			return cfs_fail(why, "no such value", -ENOENT);
		if ((e = value_writable(m, key, a[1], why)) < 0)
			return e;
		if (parse_mode(a[2], &mode) < 0 || parse_id(a[3], &uid) < 0 ||
		    parse_id(a[4], &gid) < 0)
			return cfs_fail(why, "expected octal mode, uid and gid", -EINVAL);
		return cfs_txn_set_value_security(t, v, mode, uid, gid);
	}
	case CFS_OP_REG_CREATE:
		if ((e = new_value_ok(t, key, a[1], why)) < 0)
			return e;
		return cfs_txn_set_value_flags(t, key, a[1], CFS_REG_SZ,
					       CFS_VAL_UNTYPED | CFS_VAL_NOEOL, "", 0);
	case CFS_OP_REG_WRITE:
		return write_value(t, key, a[1], a[2], cmd->arglen[2], why);
	case CFS_OP_REG_TRUNCATE:
		return truncate_value(t, key, a[1], a[2], why);
	case CFS_OP_REG_LINK:
		if ((e = new_value_ok(t, key, a[1], why)) < 0)
			return e;
		if ((e = cfs_value_check(CFS_REG_LINK, a[2], cmd->arglen[2])) < 0)
			return cfs_fail(why, cmd->arglen[2] > CFS_LINK_MAX ? "link target too long"
									    : "bad link target",
					cmd->arglen[2] > CFS_LINK_MAX ? -ENAMETOOLONG : e);
		return cfs_txn_set_value(t, key, a[1], CFS_REG_LINK, a[2], cmd->arglen[2]);
	default:
		return cfs_fail(why, "unknown command", -EINVAL);
	}
}
