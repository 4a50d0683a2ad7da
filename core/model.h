/* SPDX-License-Identifier: MIT */
/* The cluster model: typed objects over the registry.
 *
 * Every object (node, group, resource, resource type, network, network
 * interface) is a registry key below its collection key (Nodes, Groups,
 * ...). The key's name is the object's id, a GUID string; its values are
 * the object's properties ("Name", "State", "OwnerNode", ...). The registry
 * is the one source of truth: the struct cfs_object and the indexes here
 * (by id, by name, a group's members) are derived from it and rebuilt from
 * it on load. References between objects are stored as ids, so renaming an
 * object never rewrites other objects.
 *
 * Not thread-safe: the engine's model lock guards everything here. */
#ifndef CFS_MODEL_H
#define CFS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "hmap.h"
#include "cfs_limits.h"
#include "registry.h"
#include "util.h"

enum cfs_kind {
	CFS_KIND_CLUSTER,
	CFS_KIND_NODE,
	CFS_KIND_GROUP,
	CFS_KIND_RESOURCE,
	CFS_KIND_RESTYPE,
	CFS_KIND_NETWORK,
	CFS_KIND_NETINTERFACE,
	CFS_KIND_REGISTRY,
	CFS_KIND_COUNT,
};

/* "cluster", "node", ... */
const char *cfs_kind_name(enum cfs_kind kind);
int cfs_kind_parse(const char *s); /* kind or -EINVAL */
/* Registry collection key of an object kind ("Groups"), NULL for others. */
const char *cfs_kind_collection(enum cfs_kind kind);
static inline bool cfs_kind_is_object(enum cfs_kind k)
{
	return k >= CFS_KIND_NODE && k <= CFS_KIND_NETINTERFACE;
}

/* Windows state enums (clusapi.md section 4), same numbers. */
enum cfs_node_state {
	CFS_NODE_UP = 0,
	CFS_NODE_DOWN = 1,
	CFS_NODE_PAUSED = 2,
	CFS_NODE_JOINING = 3,
};
enum cfs_group_state {
	CFS_GROUP_ONLINE = 0,
	CFS_GROUP_OFFLINE = 1,
	CFS_GROUP_FAILED = 2,
	CFS_GROUP_PARTIAL_ONLINE = 3,
	CFS_GROUP_PENDING = 4,
};
enum cfs_resource_state {
	CFS_RES_INHERITED = 0,
	CFS_RES_INITIALIZING = 1,
	CFS_RES_ONLINE = 2,
	CFS_RES_OFFLINE = 3,
	CFS_RES_FAILED = 4,
	CFS_RES_PENDING = 128,
	CFS_RES_ONLINE_PENDING = 129,
	CFS_RES_OFFLINE_PENDING = 130,
};
enum cfs_network_state {
	CFS_NET_UNAVAILABLE = 0,
	CFS_NET_DOWN = 1,
	CFS_NET_PARTITIONED = 2,
	CFS_NET_UP = 3,
};
enum cfs_netif_state {
	CFS_NETIF_UNAVAILABLE = 0,
	CFS_NETIF_FAILED = 1,
	CFS_NETIF_UNREACHABLE = 2,
	CFS_NETIF_UP = 3,
};
enum cfs_network_role {
	CFS_ROLE_NONE = 0,
	CFS_ROLE_INTERNAL = 1,
	CFS_ROLE_CLIENT = 2,
	CFS_ROLE_INTERNAL_AND_CLIENT = 3,
};

/* State words as files show them: the enum name without its prefix, in
 * lower case ("online", "partialonline", "onlinepending"). */
const char *cfs_state_name(enum cfs_kind kind, uint32_t state);
/* Parses a state word of kind (case-insensitive). State or -EINVAL. */
int cfs_state_parse(enum cfs_kind kind, const char *word);
const char *cfs_role_name(uint32_t role);
int cfs_role_parse(const char *word);

/* Property (registry value) names. */
#define CFS_P_NAME "Name"
#define CFS_P_STATE "State"
#define CFS_P_DESCRIPTION "Description"
#define CFS_P_NODE_NUMBER "NodeNumber"
#define CFS_P_ADDRESS "Address"
#define CFS_P_ADDRESS_MASK "AddressMask"
#define CFS_P_OWNER_NODE "OwnerNode"
#define CFS_P_PREFERRED_OWNERS "PreferredOwners"
#define CFS_P_GROUP_TYPE "GroupType"
#define CFS_P_TYPE "Type"
#define CFS_P_GROUP "Group"
#define CFS_P_POSSIBLE_OWNERS "PossibleOwners"
#define CFS_P_DEPENDENCIES "Dependencies"
#define CFS_P_DLL_NAME "DllName"
#define CFS_P_ROLE "Role"
#define CFS_P_NODE "Node"
#define CFS_P_NETWORK "Network"
#define CFS_P_ADAPTER "Adapter"
#define CFS_P_CLUSTER_NAME "ClusterName"
#define CFS_P_CLUSTER_ID "ClusterId"
/* The CMM view's values (cmm.h gives their meaning, files and words).
 * They are named here, with the model's other properties, so that the
 * model knows them without asking cmm.c: every one is maintained by the
 * model (cfs_prop_is_managed). On a node's key: */
#define CFS_P_CMM_ROLE "Role"
#define CFS_P_CMM_ELIGIBLE "MasterEligible"
#define CFS_P_CMM_DISQUALIFIED "Disqualified"
#define CFS_P_CMM_SYNCHRO_NEEDED "SynchroNeeded"
#define CFS_P_CMM_FROZEN "Frozen"
#define CFS_P_CMM_EXCLUDED "Excluded"
#define CFS_P_CMM_INCARNATION "Incarnation"
#define CFS_P_CMM_SWLOAD "SoftwareLoad"
#define CFS_P_CMM_DOMAIN "DomainId"
/* On the cluster root: */
#define CFS_P_CMM_STATUS "CmmStatus"
#define CFS_P_CMM_LAST_MASTER "CmmLastMaster"
/* The cluster's quorum as a replicated back-end decided it (cluster-quorum;
 * absent: derived from the node states, see cfs_model_quorate). */
#define CFS_P_QUORUM "Quorum"

/* True when a value of an object key is maintained by the model (state,
 * references, name); such values cannot be written through the registry. */
bool cfs_prop_is_managed(enum cfs_kind kind, const char *prop);


struct cfs_object {
	enum cfs_kind kind;
	struct cfs_key *key; /* key->name is the id */
	char *name;	     /* copy of the Name value (index key) */
	/* Group: its resources (struct cfs_object *), sorted by key id. */
	struct cfs_vec members;
};

static inline const char *cfs_obj_id(const struct cfs_object *o)
{
	return o->key->name;
}
uint32_t cfs_obj_state(const struct cfs_object *o);

struct cfs_model {
	struct cfs_registry reg;
	struct cfs_key *coll[CFS_KIND_COUNT]; /* collection keys (NULL: none) */
	struct cfs_smap by_name[CFS_KIND_COUNT];
	struct cfs_smap by_id; /* id -> object, all kinds */
};

/* An empty model: the registry root and the collection keys. */
int cfs_model_init(struct cfs_model *m);
void cfs_model_free(struct cfs_model *m);

/* Rebuilds objects and indexes from the registry (after loading it). */
int cfs_model_index(struct cfs_model *m);

struct cfs_object *cfs_model_by_name(const struct cfs_model *m, enum cfs_kind kind,
				     const char *name);
struct cfs_object *cfs_model_by_id(const struct cfs_model *m, const char *id);
/* By id, then by name; NULL when neither matches an object of kind. */
struct cfs_object *cfs_model_find(const struct cfs_model *m, enum cfs_kind kind,
				  const char *ref);
size_t cfs_model_count(const struct cfs_model *m, enum cfs_kind kind);

/* Relationship readers (NULL or empty when unset). */
struct cfs_object *cfs_obj_ref(const struct cfs_model *m, const struct cfs_object *o,
			       const char *prop);
/* The node a group or resource is on (a resource is on its group's owner). */
struct cfs_object *cfs_obj_owner(const struct cfs_model *m, const struct cfs_object *o);
/* Calls fn for each id in a MULTI_SZ list property; stops on non-zero. */
int cfs_obj_each_ref(const struct cfs_object *o, const char *prop,
		     int (*fn)(const char *id, void *ud), void *ud);
bool cfs_obj_list_has(const struct cfs_object *o, const char *prop, const char *id);

/* The node with that NodeNumber, or NULL. */
struct cfs_object *cfs_model_node_by_number(const struct cfs_model *m, uint32_t number);

/* Cluster-level values live in the registry root. */
const char *cfs_model_cluster_name(const struct cfs_model *m);
/* Whether the cluster has quorum: the back-end's decision when it made one
 * (the root's Quorum value), else more than half of the nodes up or
 * paused. */
bool cfs_model_quorate(const struct cfs_model *m);

/* Creates a new GUID string (lower-case 8-4-4-4-12) from getrandom(). */
void cfs_guid_new(char out[CFS_ID_LEN + 1]);

#endif
