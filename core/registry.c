/* SPDX-License-Identifier: MIT */
#include "registry.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfs_limits.h"
#include "value.h"

static void key_free(struct cfs_key *k)
{
	if (!k)
		return;
	cfs_vec_free(&k->subkeys);
	cfs_vec_free(&k->values);
	cfs_smap_free(&k->subkey_by_name);
	cfs_smap_free(&k->value_by_name);
	free(k->name);
	free(k);
}

static void value_free(struct cfs_value *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->data);
	free(v);
}

int cfs_reg_init(struct cfs_registry *reg)
{
	*reg = (struct cfs_registry){.next_id = CFS_REG_ROOT_ID};
	struct cfs_key *root = calloc(1, sizeof(*root));
	if (!root)
		return -ENOMEM;
	root->name = strdup("");
	root->id = reg->next_id++;
	root->mode = 0755;
	if (!root->name || cfs_imap_put(&reg->keys, root->id, root) < 0) {
		key_free(root);
		return -ENOMEM;
	}
	reg->root = root;
	return 0;
}

static void free_tree(struct cfs_key *k)
{
	for (size_t i = 0; i < k->subkeys.n; i++)
		free_tree(k->subkeys.v[i]);
	for (size_t i = 0; i < k->values.n; i++)
		value_free(k->values.v[i]);
	key_free(k);
}

void cfs_reg_free(struct cfs_registry *reg)
{
	if (reg->root)
		free_tree(reg->root);
	cfs_imap_free(&reg->keys);
	cfs_imap_free(&reg->values);
	*reg = (struct cfs_registry){0};
}

struct cfs_key *cfs_reg_key(const struct cfs_registry *reg, uint64_t id)
{
	return id ? cfs_imap_get(&reg->keys, id) : NULL;
}

struct cfs_value *cfs_reg_value(const struct cfs_registry *reg, uint64_t id)
{
	return id ? cfs_imap_get(&reg->values, id) : NULL;
}

struct cfs_key *cfs_key_subkey(const struct cfs_key *key, const char *name)
{
	return cfs_smap_get(&key->subkey_by_name, name);
}

struct cfs_value *cfs_key_value(const struct cfs_key *key, const char *name)
{
	return cfs_smap_get(&key->value_by_name, name);
}

int cfs_key_path(const struct cfs_key *key, struct cfs_buf *out)
{
	const struct cfs_key *chain[CFS_KEY_DEPTH_MAX + 1];
	size_t n = 0;
	for (const struct cfs_key *k = key; k && k->parent && n < CFS_ARRAY_SIZE(chain); k = k->parent)
		chain[n++] = k;
	while (n--) {
		int r = cfs_buf_puts(out, chain[n]->name);
		if (r < 0)
			return r;
		if (n && (r = cfs_buf_append(out, "\\", 1)) < 0)
			return r;
	}
	return cfs_buf_append(out, "", 0);
}

int cfs_reg_lookup(const struct cfs_registry *reg, const char *path, struct cfs_key **ret)
{
	struct cfs_key *k = reg->root;
	const char *p = path;
	char part[CFS_NAME_MAX + 1];
	while (*p) {
		while (*p == '\\' || *p == '/')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, "\\/");
		if (n > CFS_NAME_MAX)
			return -ENOENT;
		memcpy(part, p, n);
		part[n] = '\0';
		k = cfs_key_subkey(k, part);
		if (!k)
			return -ENOENT;
		p += n;
	}
	*ret = k;
	return 0;
}

int cfs_reg_check_name(const char *name, bool is_key)
{
	size_t n = strlen(name);
	if (n == 0)
		return -EINVAL;
	if (n > CFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || (is_key && *p == '\\'))
			return -EINVAL;
	return cfs_utf8_valid(name, n) ? 0 : -EINVAL;
}

/* Insert position keeping vec sorted by id (ids are the first field of both
 * struct cfs_key and struct cfs_value). */
static size_t sorted_pos(const struct cfs_vec *vec, uint64_t id)
{
	size_t lo = 0, hi = vec->n;
	if (hi && *(const uint64_t *)vec->v[hi - 1] < id)
		return hi;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (*(const uint64_t *)vec->v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void sorted_remove(struct cfs_vec *vec, uint64_t id)
{
	size_t i = sorted_pos(vec, id);
	assert(i < vec->n && *(const uint64_t *)vec->v[i] == id);
	cfs_vec_remove_at(vec, i);
}

static uint64_t take_id(struct cfs_registry *reg, uint64_t id)
{
	if (!id)
		id = reg->next_id;
	if (id >= reg->next_id)
		reg->next_id = id + 1;
	return id;
}

int cfs_reg_add_key(struct cfs_registry *reg, struct cfs_key *parent, uint64_t id,
		    const char *name, uint32_t mode, uint32_t uid, uint32_t gid,
		    int64_t mtime_ns, struct cfs_key **ret)
{
	if (cfs_key_subkey(parent, name))
		return -EEXIST;
	struct cfs_key *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->name = strdup(name);
	if (!k->name)
		goto oom;
	uint64_t saved_next = reg->next_id;
	k->id = take_id(reg, id);
	k->parent = parent;
	k->depth = parent->depth + 1;
	k->mode = mode & 07777;
	k->uid = uid;
	k->gid = gid;
	k->mtime_ns = mtime_ns;
	if (cfs_imap_put(&reg->keys, k->id, k) < 0) {
		reg->next_id = saved_next;
		goto oom;
	}
	if (cfs_smap_put(&parent->subkey_by_name, k->name, k) < 0) {
		cfs_imap_del(&reg->keys, k->id);
		reg->next_id = saved_next;
		goto oom;
	}
	if (cfs_vec_insert(&parent->subkeys, sorted_pos(&parent->subkeys, k->id), k) < 0) {
		cfs_smap_del(&parent->subkey_by_name, k->name);
		cfs_imap_del(&reg->keys, k->id);
		reg->next_id = saved_next;
		goto oom;
	}
	if (ret)
		*ret = k;
	return 0;
oom:
	key_free(k);
	return -ENOMEM;
}

void cfs_reg_remove_key(struct cfs_registry *reg, struct cfs_key *key)
{
	assert(key->parent && key->subkeys.n == 0 && key->values.n == 0);
	struct cfs_key *parent = key->parent;
	cfs_smap_del(&parent->subkey_by_name, key->name);
	sorted_remove(&parent->subkeys, key->id);
	cfs_imap_del(&reg->keys, key->id);
	key_free(key);
}

int cfs_reg_rename_key(struct cfs_registry *reg, struct cfs_key *key, const char *name)
{
	(void)reg;
	struct cfs_key *parent = key->parent;
	struct cfs_key *other = cfs_key_subkey(parent, name);
	if (other == key)
		return 0;
	if (other)
		return -EEXIST;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	if (cfs_smap_put(&parent->subkey_by_name, copy, key) < 0) {
		free(copy);
		return -ENOMEM;
	}
	cfs_smap_del(&parent->subkey_by_name, key->name);
	free(key->name);
	key->name = copy;
	return 0;
}

int cfs_reg_set_value(struct cfs_registry *reg, struct cfs_key *key, uint64_t id,
		      const char *name, uint32_t type, const void *data, size_t len,
		      int64_t mtime_ns, struct cfs_value **ret)
{
	/* One spare byte keeps text values NUL-terminated for readers. */
	uint8_t *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	struct cfs_value *v = cfs_key_value(key, name);
	if (v) {
		/* Replacing keeps flags and security: the caller sets them. */
		free(v->data);
		v->data = copy;
		v->len = len;
		v->type = type;
		v->mtime_ns = mtime_ns;
		if (ret)
			*ret = v;
		return 0;
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->name = strdup(name))) {
		free(v);
		free(copy);
		return -ENOMEM;
	}
	uint64_t saved_next = reg->next_id;
	v->id = take_id(reg, id);
	v->key = key;
	v->type = type;
	v->data = copy;
	v->len = len;
	v->mtime_ns = mtime_ns;
	if (cfs_imap_put(&reg->values, v->id, v) < 0)
		goto oom;
	if (cfs_smap_put(&key->value_by_name, v->name, v) < 0) {
		cfs_imap_del(&reg->values, v->id);
		goto oom;
	}
	if (cfs_vec_insert(&key->values, sorted_pos(&key->values, v->id), v) < 0) {
		cfs_smap_del(&key->value_by_name, v->name);
		cfs_imap_del(&reg->values, v->id);
		goto oom;
	}
	if (ret)
		*ret = v;
	return 0;
oom:
	reg->next_id = saved_next;
	value_free(v);
	return -ENOMEM;
}

void cfs_reg_remove_value(struct cfs_registry *reg, struct cfs_value *val)
{
	struct cfs_key *key = val->key;
	cfs_smap_del(&key->value_by_name, val->name);
	sorted_remove(&key->values, val->id);
	cfs_imap_del(&reg->values, val->id);
	value_free(val);
}

int cfs_reg_rename_value(struct cfs_registry *reg, struct cfs_value *val, const char *name)
{
	(void)reg;
	struct cfs_key *key = val->key;
	struct cfs_value *other = cfs_key_value(key, name);
	if (other == val)
		return 0;
	if (other)
		return -EEXIST;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	if (cfs_smap_put(&key->value_by_name, copy, val) < 0) {
		free(copy);
		return -ENOMEM;
	}
	cfs_smap_del(&key->value_by_name, val->name);
	free(val->name);
	val->name = copy;
	return 0;
}

const char *cfs_key_get_sz(const struct cfs_key *key, const char *name, size_t *ret_len)
{
	struct cfs_value *v = cfs_key_value(key, name);
	if (!v || (v->type != 1 && v->type != 2 && v->type != 7)) {
		if (ret_len)
			*ret_len = 0;
		return "";
	}
	if (ret_len)
		*ret_len = v->len;
	return (const char *)v->data;
}

uint32_t cfs_key_get_dword(const struct cfs_key *key, const char *name, uint32_t dflt)
{
	struct cfs_value *v = cfs_key_value(key, name);
	if (!v || v->type != 4 /* REG_DWORD */ || v->len != 4)
		return dflt;
	return (uint32_t)v->data[0] | (uint32_t)v->data[1] << 8 | (uint32_t)v->data[2] << 16 |
	       (uint32_t)v->data[3] << 24;
}

uint32_t cfs_value_mode(const struct cfs_value *v)
{
	if (v->type == CFS_REG_LINK)
		return 0777;
	return v->flags & CFS_VAL_OWN_SECURITY ? v->mode & 07777 : v->key->mode & 0666;
}

uint32_t cfs_value_uid(const struct cfs_value *v)
{
	return v->flags & CFS_VAL_OWN_SECURITY ? v->uid : v->key->uid;
}

uint32_t cfs_value_gid(const struct cfs_value *v)
{
	return v->flags & CFS_VAL_OWN_SECURITY ? v->gid : v->key->gid;
}

/* The permission bits (rwx, 0..7) that apply to a caller. */
static unsigned class_bits(uint32_t mode, uint32_t owner, uint32_t group, uint32_t uid,
			   uint32_t gid, const uint32_t *groups, size_t ngroups)
{
	if (uid == owner)
		return (mode >> 6) & 7;
	bool member = gid == group;
	for (size_t i = 0; !member && i < ngroups; i++)
		member = groups[i] == group;
	return member ? (mode >> 3) & 7 : mode & 7;
}

bool cfs_value_may_read(const struct cfs_value *v, uint32_t uid, uint32_t gid,
			const uint32_t *groups, size_t ngroups)
{
	if (uid == 0)
		return true; /* CAP_DAC_OVERRIDE */
	for (const struct cfs_key *k = v->key; k; k = k->parent)
		if (!(class_bits(k->mode, k->uid, k->gid, uid, gid, groups, ngroups) & 1))
			return false;
	return (class_bits(cfs_value_mode(v), cfs_value_uid(v), cfs_value_gid(v), uid, gid, groups,
			   ngroups) & 4) != 0;
}

int cfs_value_text(const struct cfs_value *v, struct cfs_buf *out)
{
	int r = cfs_value_format(v->type, v->data, v->len, out);
	if (r == 0 && (v->flags & CFS_VAL_NOEOL) && out->len && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	return r;
}
