/* SPDX-License-Identifier: MIT */
#include "fs_inode.h"

#include <errno.h>

static const enum cfs_kind coll_kinds[] = {
	[CFS_INO_NODES] = CFS_KIND_NODE,	  [CFS_INO_GROUPS] = CFS_KIND_GROUP,
	[CFS_INO_RESOURCES] = CFS_KIND_RESOURCE, [CFS_INO_RESTYPES] = CFS_KIND_RESTYPE,
	[CFS_INO_NETWORKS] = CFS_KIND_NETWORK,	  [CFS_INO_NETIFS] = CFS_KIND_NETINTERFACE,
};

uint64_t cfs_coll_ino(enum cfs_kind kind)
{
	for (uint64_t i = CFS_INO_NODES; i <= CFS_INO_NETIFS; i++)
		if (coll_kinds[i] == kind)
			return i;
	return 0;
}

int cfs_coll_kind(uint64_t ino)
{
	return ino >= CFS_INO_NODES && ino <= CFS_INO_NETIFS ? (int)coll_kinds[ino] : -1;
}

int cfs_resolve(const struct cfs_model *m, uint64_t ino, struct cfs_node *ret)
{
	*ret = (struct cfs_node){.ino = ino};
	if (ino < CFS_INO_FIXED_END) {
		if (ino == 0)
			return -ENOENT;
		ret->type = CFS_NODE_FIXED;
		return 0;
	}
	uint64_t id = cfs_ino_id(ino);
	unsigned tag = cfs_ino_tag(ino);
	struct cfs_key *k;
	switch (tag) {
	case CFS_TAG_REGKEY:
		ret->type = CFS_NODE_REGKEY;
		ret->key = cfs_reg_key(&m->reg, id);
		return ret->key ? 0 : -ENOENT;
	case CFS_TAG_REGVAL:
		ret->type = CFS_NODE_REGVAL;
		ret->val = cfs_reg_value(&m->reg, id);
		if (!ret->val)
			return -ENOENT;
		ret->key = ret->val->key;
		return 0;
	case CFS_TAG_PARAM:
	case CFS_TAG_PARAMVAL:
		return cfs_fsparam_resolve(m, id, tag, ret);
	default:
		break;
	}
	k = cfs_reg_key(&m->reg, id);
	if (!k || !k->obj)
		return -ENOENT;
	ret->key = k;
	ret->obj = k->obj;
	switch (tag) {
	case CFS_TAG_OBJDIR:
		ret->type = CFS_NODE_OBJDIR;
		return 0;
	case CFS_TAG_MEMBERS:
		ret->type = CFS_NODE_MEMBERS;
		return k->obj->kind == CFS_KIND_GROUP ? 0 : -ENOENT;
	case CFS_TAG_MEMBER:
		ret->type = CFS_NODE_MEMBER;
		return k->obj->kind == CFS_KIND_RESOURCE ? 0 : -ENOENT;
	case CFS_TAG_PARAMS:
		ret->type = CFS_NODE_PARAMS;
		return k->obj->kind == CFS_KIND_RESOURCE ? 0 : -ENOENT;
	default:
		if (tag < CFS_TAG_ATTR)
			return -ENOENT;
		ret->type = CFS_NODE_ATTR;
		ret->spec = cfs_attr_spec(k->obj->kind, tag - CFS_TAG_ATTR);
		return ret->spec ? 0 : -ENOENT;
	}
}
