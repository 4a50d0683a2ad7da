/* SPDX-License-Identifier: MIT */
#include "access.h"

#include <errno.h>
#include <string.h>

#include "model.h"

int cfs_cred_init(struct cfs_cred *c, uint32_t uid, uint32_t gid, const uint32_t *groups,
		  size_t ngroups, uint32_t admin_gid)
{
	*c = (struct cfs_cred){.uid = uid, .gid = gid};
	if (ngroups) {
		c->groups = malloc(ngroups * sizeof(*groups));
		if (!c->groups)
			return -ENOMEM;
		memcpy(c->groups, groups, ngroups * sizeof(*groups));
		c->ngroups = ngroups;
	}
	c->admin = uid == 0 || cfs_cred_in_group(c, admin_gid);
	return 0;
}

struct cfs_cred cfs_cred_root(void)
{
	return (struct cfs_cred){.admin = true};
}

int cfs_cred_copy(struct cfs_cred *dst, const struct cfs_cred *src)
{
	*dst = *src;
	dst->groups = NULL;
	if (src->ngroups) {
		dst->groups = malloc(src->ngroups * sizeof(*src->groups));
		if (!dst->groups) {
			*dst = (struct cfs_cred){0};
			return -ENOMEM;
		}
		memcpy(dst->groups, src->groups, src->ngroups * sizeof(*src->groups));
	}
	return 0;
}

void cfs_cred_free(struct cfs_cred *c)
{
	if (!c)
		return;
	free(c->groups);
	*c = (struct cfs_cred){0};
}

bool cfs_cred_in_group(const struct cfs_cred *c, uint32_t gid)
{
	if (c->gid == gid)
		return true;
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

unsigned cfs_sec_bits(const struct cfs_sec *s, const struct cfs_cred *c)
{
	if (c->admin || c->uid == 0)
		return 7;
	if (c->uid == s->uid)
		return (s->mode >> 6) & 7;
	if (cfs_cred_in_group(c, s->gid))
		return (s->mode >> 3) & 7;
	return s->mode & 7;
}

bool cfs_sec_chain_readable(const struct cfs_sec *chain, size_t n, const struct cfs_cred *c)
{
	if (c->admin)
		return true;
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(cfs_sec_bits(&chain[i], c) & 1))
			return false;
	return (cfs_sec_bits(&chain[n - 1], c) & 4) != 0;
}

static struct cfs_sec sec_of(const struct cfs_key *k)
{
	return (struct cfs_sec){k->mode, k->uid, k->gid};
}

bool cfs_key_readable(const struct cfs_key *k, const struct cfs_cred *c)
{
	if (c->admin)
		return true;
	struct cfs_sec s = sec_of(k);
	if (!(cfs_sec_bits(&s, c) & 4))
		return false;
	for (; k; k = k->parent) {
		s = sec_of(k);
		if (!(cfs_sec_bits(&s, c) & 1))
			return false;
	}
	return true;
}

int cfs_key_sec_chain(const struct cfs_key *k, struct cfs_sec **ret, uint32_t *ret_n)
{
	uint32_t n = k->depth + 1;
	struct cfs_sec *v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = n; k && i > 0; k = k->parent)
		v[--i] = sec_of(k);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The key a record is about, in the current model, or NULL. */
static const struct cfs_key *record_key(const struct cfs_model *m, const struct cfs_record *r)
{
	if (r->key_id)
		return cfs_reg_key(&m->reg, r->key_id);
	/* Reloaded from the store: no key id, find it by what it names. */
	struct cfs_key *k = NULL;
	if (r->kind == CFS_KIND_REGISTRY) {
		if (r->obj_name && cfs_reg_lookup(&m->reg, r->obj_name, &k) < 0)
			k = NULL;
	} else if (r->kind == CFS_KIND_CLUSTER) {
		k = m->reg.root;
	} else if (r->obj_id && *r->obj_id) {
		struct cfs_object *o = cfs_model_by_id(m, r->obj_id);
		k = o ? o->key : NULL;
	}
	return k;
}

bool cfs_record_visible(const struct cfs_model *m, const struct cfs_record *r,
			const struct cfs_cred *c)
{
	if (c->admin)
		return true;
	if (r->kind != CFS_KIND_REGISTRY && r->change != CFS_CH_PROPERTY)
		return true;
	const struct cfs_key *k = record_key(m, r);
	/* A record about a value that has a security of its own (chmod on
	 * its file) follows the value's: what its file would let c read. */
	const struct cfs_value *v =
		k && r->kind == CFS_KIND_REGISTRY && r->prop ? cfs_key_value(k, r->prop) : NULL;
	if (v && (v->flags & CFS_VAL_OWN_SECURITY))
		return cfs_value_may_read(v, c->uid, c->gid, c->groups, c->ngroups);
	if (k)
		return cfs_key_readable(k, c);
	return cfs_sec_chain_readable(r->sec, r->nsec, c);
}
