/* SPDX-License-Identifier: MIT */
#include "model.h"
#include "restype.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static const char *const kind_names[CFS_KIND_COUNT] = {
	[CFS_KIND_CLUSTER] = "cluster",	      [CFS_KIND_NODE] = "node",
	[CFS_KIND_GROUP] = "group",	      [CFS_KIND_RESOURCE] = "resource",
	[CFS_KIND_RESTYPE] = "resourcetype",  [CFS_KIND_NETWORK] = "network",
	[CFS_KIND_NETINTERFACE] = "netinterface", [CFS_KIND_REGISTRY] = "registry",
};

static const char *const collections[CFS_KIND_COUNT] = {
	[CFS_KIND_NODE] = "Nodes",
	[CFS_KIND_GROUP] = "Groups",
	[CFS_KIND_RESOURCE] = "Resources",
	[CFS_KIND_RESTYPE] = "ResourceTypes",
	[CFS_KIND_NETWORK] = "Networks",
	[CFS_KIND_NETINTERFACE] = "NetworkInterfaces",
};

const char *cfs_kind_name(enum cfs_kind kind)
{
	return (unsigned)kind < CFS_KIND_COUNT ? kind_names[kind] : "unknown";
}

int cfs_kind_parse(const char *s)
{
	for (int k = 0; k < CFS_KIND_COUNT; k++)
		if (strcasecmp(s, kind_names[k]) == 0)
			return k;
	return -EINVAL;
}

const char *cfs_kind_collection(enum cfs_kind kind)
{
	return (unsigned)kind < CFS_KIND_COUNT ? collections[kind] : NULL;
}

struct state_word {
	uint32_t state;
	const char *word;
};

static const struct state_word node_states[] = {
	{CFS_NODE_UP, "up"}, {CFS_NODE_DOWN, "down"}, {CFS_NODE_PAUSED, "paused"},
	{CFS_NODE_JOINING, "joining"}, {0, NULL}};
static const struct state_word group_states[] = {
	{CFS_GROUP_ONLINE, "online"}, {CFS_GROUP_OFFLINE, "offline"},
	{CFS_GROUP_FAILED, "failed"}, {CFS_GROUP_PARTIAL_ONLINE, "partialonline"},
	{CFS_GROUP_PENDING, "pending"}, {0, NULL}};
static const struct state_word res_states[] = {
	{CFS_RES_INHERITED, "inherited"}, {CFS_RES_INITIALIZING, "initializing"},
	{CFS_RES_ONLINE, "online"}, {CFS_RES_OFFLINE, "offline"}, {CFS_RES_FAILED, "failed"},
	{CFS_RES_PENDING, "pending"}, {CFS_RES_ONLINE_PENDING, "onlinepending"},
	{CFS_RES_OFFLINE_PENDING, "offlinepending"}, {0, NULL}};
static const struct state_word net_states[] = {
	{CFS_NET_UNAVAILABLE, "unavailable"}, {CFS_NET_DOWN, "down"},
	{CFS_NET_PARTITIONED, "partitioned"}, {CFS_NET_UP, "up"}, {0, NULL}};
static const struct state_word netif_states[] = {
	{CFS_NETIF_UNAVAILABLE, "unavailable"}, {CFS_NETIF_FAILED, "failed"},
	{CFS_NETIF_UNREACHABLE, "unreachable"}, {CFS_NETIF_UP, "up"}, {0, NULL}};
static const struct state_word roles[] = {
	{CFS_ROLE_NONE, "none"}, {CFS_ROLE_INTERNAL, "internal"}, {CFS_ROLE_CLIENT, "client"},
	{CFS_ROLE_INTERNAL_AND_CLIENT, "internalandclient"}, {0, NULL}};

static const struct state_word *state_table(enum cfs_kind kind)
{
	switch (kind) {
	case CFS_KIND_NODE:
		return node_states;
	case CFS_KIND_GROUP:
		return group_states;
	case CFS_KIND_RESOURCE:
		return res_states;
	case CFS_KIND_NETWORK:
		return net_states;
	case CFS_KIND_NETINTERFACE:
		return netif_states;
	default:
		return NULL;
	}
}

static const char *word_of(const struct state_word *t, uint32_t v)
{
	for (; t && t->word; t++)
		if (t->state == v)
			return t->word;
	return "unknown";
}

static int parse_word(const struct state_word *t, const char *w)
{
	for (; t && t->word; t++)
		if (strcasecmp(t->word, w) == 0)
			return (int)t->state;
	return -EINVAL;
}

const char *cfs_state_name(enum cfs_kind kind, uint32_t state)
{
	return word_of(state_table(kind), state);
}

int cfs_state_parse(enum cfs_kind kind, const char *word)
{
	return parse_word(state_table(kind), word);
}

const char *cfs_role_name(uint32_t role)
{
	return word_of(roles, role);
}

int cfs_role_parse(const char *word)
{
	return parse_word(roles, word);
}

bool cfs_prop_is_managed(enum cfs_kind kind, const char *prop)
{
	static const char *const common[] = {CFS_P_NAME, CFS_P_STATE, NULL};
	static const char *const node[] = {CFS_P_NODE_NUMBER, CFS_P_ADDRESS, NULL};
	/* The CMM view of a node (cmm.h); cmm.c keeps them up to date. */
	static const char *const cmm_node[] = {CFS_P_CMM_ROLE, CFS_P_CMM_ELIGIBLE,
					       CFS_P_CMM_DISQUALIFIED, CFS_P_CMM_SYNCHRO_NEEDED,
					       CFS_P_CMM_FROZEN, CFS_P_CMM_EXCLUDED,
					       CFS_P_CMM_INCARNATION, CFS_P_CMM_SWLOAD,
					       CFS_P_CMM_DOMAIN, NULL};
	static const char *const group[] = {CFS_P_OWNER_NODE, CFS_P_PREFERRED_OWNERS,
					     CFS_P_GROUP_TYPE, CFS_P_MOVE_TARGET,
					     CFS_P_MOVE_RESOURCES, NULL};
	/* The restart policy's counters and a clean stop's mark (restype.h). */
	static const char *const res[] = {CFS_P_TYPE, CFS_P_GROUP, CFS_P_POSSIBLE_OWNERS,
					  CFS_P_DEPENDENCIES, CFS_P_RESTART_COUNT,
					  CFS_P_RESTART_WINDOW, CFS_P_PERSISTENT_STATE, NULL};
	static const char *const net[] = {CFS_P_ROLE, CFS_P_ADDRESS, CFS_P_ADDRESS_MASK, NULL};
	static const char *const netif[] = {CFS_P_NODE, CFS_P_NETWORK, CFS_P_ADAPTER,
					    CFS_P_ADDRESS, NULL};
	static const char *const cluster[] = {CFS_P_CLUSTER_NAME, CFS_P_CLUSTER_ID,
					      CFS_P_CMM_STATUS, CFS_P_CMM_LAST_MASTER,
					      CFS_P_QUORUM, NULL};
	const char *const *lists[3] = {common, NULL, NULL};
	switch (kind) {
	case CFS_KIND_NODE:
		lists[1] = node;
		lists[2] = cmm_node;
		break;
	case CFS_KIND_GROUP:
		lists[1] = group;
		break;
	case CFS_KIND_RESOURCE:
		lists[1] = res;
		break;
	case CFS_KIND_NETWORK:
		lists[1] = net;
		break;
	case CFS_KIND_NETINTERFACE:
		lists[1] = netif;
		break;
	case CFS_KIND_CLUSTER:
		lists[0] = cluster;
		break;
	default:
		break;
	}
	for (int l = 0; l < 3; l++)
		for (const char *const *p = lists[l]; p && *p; p++)
			if (strcmp(*p, prop) == 0)
				return true;
	return false;
}

uint32_t cfs_obj_state(const struct cfs_object *o)
{
	return cfs_key_get_dword(o->key, CFS_P_STATE, UINT32_MAX);
}

int cfs_model_init(struct cfs_model *m)
{
	*m = (struct cfs_model){0};
	int r = cfs_reg_init(&m->reg);
	if (r < 0)
		return r;
	for (int k = 0; k < CFS_KIND_COUNT; k++) {
		if (!collections[k])
			continue;
		r = cfs_reg_add_key(&m->reg, m->reg.root, 0, collections[k], 0755, 0, 0, 0,
				    &m->coll[k]);
		if (r < 0) {
			cfs_model_free(m);
			return r;
		}
	}
	return 0;
}

static void object_free(struct cfs_object *o)
{
	if (!o)
		return;
	if (o->key)
		o->key->obj = NULL;
	cfs_vec_free(&o->members);
	free(o->name);
	free(o);
}

void cfs_model_free(struct cfs_model *m)
{
	for (int k = 0; k < CFS_KIND_COUNT; k++) {
		struct cfs_key *c = m->coll[k];
		for (size_t i = 0; c && i < c->subkeys.n; i++)
			object_free(((struct cfs_key *)c->subkeys.v[i])->obj);
		cfs_smap_free(&m->by_name[k]);
	}
	cfs_smap_free(&m->by_id);
	cfs_reg_free(&m->reg);
	*m = (struct cfs_model){0};
}

/* Attaches the collection keys found in a freshly loaded registry and
 * builds an object for every key below them. */
int cfs_model_index(struct cfs_model *m)
{
	for (int k = 0; k < CFS_KIND_COUNT; k++) {
		if (!collections[k])
			continue;
		m->coll[k] = cfs_key_subkey(m->reg.root, collections[k]);
		if (!m->coll[k]) {
			int r = cfs_reg_add_key(&m->reg, m->reg.root, 0, collections[k], 0755, 0, 0,
						0, &m->coll[k]);
			if (r < 0)
				return r;
		}
		struct cfs_key *c = m->coll[k];
		for (size_t i = 0; i < c->subkeys.n; i++) {
			struct cfs_key *key = c->subkeys.v[i];
			struct cfs_object *o = calloc(1, sizeof(*o));
			if (!o)
				return -ENOMEM;
			o->kind = k;
			o->key = key;
			o->name = strdup(cfs_key_get_sz(key, CFS_P_NAME, NULL));
			if (!o->name) {
				free(o);
				return -ENOMEM;
			}
			key->obj = o;
			if (cfs_smap_put(&m->by_name[k], o->name, o) < 0 ||
			    cfs_smap_put(&m->by_id, key->name, o) < 0)
				return -ENOMEM;
		}
	}
	/* Group membership is derived from each resource's Group value. */
	struct cfs_key *rc = m->coll[CFS_KIND_RESOURCE];
	for (size_t i = 0; i < rc->subkeys.n; i++) {
		struct cfs_object *r = ((struct cfs_key *)rc->subkeys.v[i])->obj;
		struct cfs_object *g = cfs_obj_ref(m, r, CFS_P_GROUP);
		if (g && cfs_vec_push(&g->members, r) < 0)
			return -ENOMEM;
	}
	return 0;
}

struct cfs_object *cfs_model_by_name(const struct cfs_model *m, enum cfs_kind kind,
				     const char *name)
{
	return (unsigned)kind < CFS_KIND_COUNT ? cfs_smap_get(&m->by_name[kind], name) : NULL;
}

struct cfs_object *cfs_model_by_id(const struct cfs_model *m, const char *id)
{
	return cfs_smap_get(&m->by_id, id);
}

struct cfs_object *cfs_model_find(const struct cfs_model *m, enum cfs_kind kind,
				  const char *ref)
{
	struct cfs_object *o = cfs_model_by_id(m, ref);
	if (o && o->kind == kind)
		return o;
	return cfs_model_by_name(m, kind, ref);
}

size_t cfs_model_count(const struct cfs_model *m, enum cfs_kind kind)
{
	return (unsigned)kind < CFS_KIND_COUNT ? m->by_name[kind].n : 0;
}

struct cfs_object *cfs_obj_ref(const struct cfs_model *m, const struct cfs_object *o,
			       const char *prop)
{
	const char *id = cfs_key_get_sz(o->key, prop, NULL);
	return *id ? cfs_model_by_id(m, id) : NULL;
}

struct cfs_object *cfs_obj_owner(const struct cfs_model *m, const struct cfs_object *o)
{
	if (o->kind == CFS_KIND_RESOURCE) {
		o = cfs_obj_ref(m, o, CFS_P_GROUP);
		if (!o)
			return NULL;
	}
	if (o->kind != CFS_KIND_GROUP)
		return NULL;
	return cfs_obj_ref(m, o, CFS_P_OWNER_NODE);
}

int cfs_obj_each_ref(const struct cfs_object *o, const char *prop,
		     int (*fn)(const char *id, void *ud), void *ud)
{
	struct cfs_value *v = cfs_key_value(o->key, prop);
	if (!v)
		return 0;
	const char *p = (const char *)v->data, *end = p + v->len;
	while (p < end) {
		int r = fn(p, ud);
		if (r)
			return r;
		p += strlen(p) + 1;
	}
	return 0;
}

static int match_id(const char *id, void *ud)
{
	return strcmp(id, ud) == 0;
}

bool cfs_obj_list_has(const struct cfs_object *o, const char *prop, const char *id)
{
	return cfs_obj_each_ref(o, prop, match_id, (void *)id) == 1;
}

const char *cfs_model_cluster_name(const struct cfs_model *m)
{
	return cfs_key_get_sz(m->reg.root, CFS_P_CLUSTER_NAME, NULL);
}

void cfs_guid_new(char out[CFS_ID_LEN + 1])
{
	uint8_t b[16];
	size_t got = 0;
	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, CFS_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

bool cfs_model_quorate(const struct cfs_model *m)
{
	const char *q = cfs_key_get_sz(m->reg.root, CFS_P_QUORUM, NULL);
	if (q && *q)
		return strcmp(q, "quorate") == 0;
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	size_t up = 0;
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		uint32_t st = cfs_key_get_dword(nc->subkeys.v[i], CFS_P_STATE, CFS_NODE_DOWN);
		up += st == CFS_NODE_UP || st == CFS_NODE_PAUSED;
	}
	return up * 2 > nc->subkeys.n;
}

struct cfs_object *cfs_model_node_by_number(const struct cfs_model *m, uint32_t number)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	for (size_t i = 0; nc && i < nc->subkeys.n; i++) {
		struct cfs_key *k = nc->subkeys.v[i];
		if (k->obj && cfs_key_get_dword(k, CFS_P_NODE_NUMBER, 0) == number)
			return k->obj;
	}
	return NULL;
}
