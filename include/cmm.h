/* SPDX-License-Identifier: MIT */
/* cmm.h: the Netra HA Cluster Membership Monitor API (libcgha_cmm), over a
 * clusterfs mount.
 *
 * Build: cc app.c $(pkg-config --cflags --libs cgha_cmm) -lrt
 * (or just -lcgha_cmm -lrt when the header and library are in the
 * default paths). The mount is $CLUSTERFS_MOUNT, else /mnt/clusterfs.
 *
 * Numeric values are those of the public clone of this API (Sun's
 * Honeycomb cmm.h); docs/cmm.md lists the choices made where Sun's
 * documentation is silent. Every function is MT-safe and is not
 * interrupted by signals. */
#ifndef CGHA_CMM_H
#define CGHA_CMM_H

#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	CMM_OK = 0,
	CMM_EBADF = -100,
	CMM_EBUSY = -99,
	CMM_ECANCELED = -98,
	CMM_EEXIST = -97,
	CMM_EINVAL = -96,
	CMM_ENOENT = -95,
	CMM_ENOMSG = -94,
	CMM_ENOTSUP = -93,
	CMM_EPERM = -92,
	CMM_ERANGE = -91,
	CMM_ESRCH = -90,
	CMM_ENOCLUSTER = -89,
	CMM_ECONN = -88,
	CMM_ETIMEDOUT = -87,
	CMM_EAGAIN = -86,
	CMM_ENOMEM = -85,
	CMM_EOTHER = -84
} cmm_error_t;

#define CMM_MAX_NAME_SIZE 256
#define CMM_MAX_ADDR_SIZE 64
#define CMM_MAX_SWLOADID_SIZE 32
#define CMM_MAX_MEMBERS 1024 /* the largest table cmm_member_getall fills */

typedef uint32_t cmm_nodeid_t;
typedef uint32_t cmm_incarn_t;
typedef uint32_t cmm_domainid_t;
typedef char cmm_membername_t[CMM_MAX_NAME_SIZE];
typedef char cmm_memberaddr_t[CMM_MAX_ADDR_SIZE];
typedef char cmm_swload_t[CMM_MAX_SWLOADID_SIZE];
#ifndef __sun
typedef struct timespec timespec_t;
#endif

#define CMM_INVALID_NODE_ID ((cmm_nodeid_t)-1)
#define CMM_NO_NODE 0
#define CMM_NO_DOMAIN 0

typedef struct cmm_member_t {
	cmm_nodeid_t nodeid;
	cmm_membername_t name;
	cmm_memberaddr_t addr;
	cmm_domainid_t domainid;
	uint32_t sflag;
	cmm_incarn_t incarnation_number;
	cmm_swload_t software_load_id;
} cmm_member_t;

/* sflag bits. */
#define CMM_MASTER 0x0001
#define CMM_VICEMASTER 0x0002
#define CMM_OUT_OF_CLUSTER 0x0004
#define CMM_ROLE_MASK 0x0007
#define CMM_FROZEN_MEMBER 0x0100
#define CMM_EXCLUDED_MEMBER 0x0200
#define CMM_ELIGIBLE_MEMBER 0x0400
#define CMM_FLAG_DISQUALIFIED 0x0800
#define CMM_FLAG_SYNCHRO_NEEDED 0x1000

typedef enum {
	CMM_QUALIFIED_MEMBER = -150,
	CMM_SYNCHRO_READY = -149,
	CMM_DISQUALIFIED_MEMBER = -148,
	CMM_SYNCHRO_NEEDED = -147
} cmm_qualif_t;

typedef enum {
	CMM_MASTER_ELECTED = 250,
	CMM_MASTER_DEMOTED = 251,
	CMM_VICEMASTER_ELECTED = 252,
	CMM_VICEMASTER_DEMOTED = 253,
	CMM_MEMBER_JOINED = 254,
	CMM_MEMBER_LEFT = 255,
	CMM_STALE_CLUSTER = 256,
	CMM_INVALID_CLUSTER = 257,
	CMM_VALID_CLUSTER = 258,
	CMM_NODE_ELIGIBLE = 259,  /* Honeycomb only: never sent */
	CMM_NODE_INELIGIBLE = 260 /* Honeycomb only: never sent */
} cmm_cmchanges_t;

typedef enum {
	CMM_CMC_NOTIFY_ADD = 20,
	CMM_CMC_NOTIFY_REM = 21,
	CMM_CMC_NOTIFY_SET = 22,
	CMM_CMC_NOTIFY_ALL = 23,
	CMM_CMC_NOTIFY_NONE = 24
} cmm_cmcfilter_t;

typedef struct {
	cmm_cmchanges_t cmchange;
	cmm_nodeid_t nodeid;
} cmm_cmc_notification_t;

typedef void (*cmm_notify_t)(const cmm_cmc_notification_t *change_notification,
			     void *client_data);

cmm_error_t cmm_connect(const timespec_t timeout);
cmm_error_t cmm_disconnect(void);
cmm_error_t cmm_node_getid(cmm_nodeid_t *const me);
cmm_error_t cmm_member_getinfo(cmm_nodeid_t const nodeid, cmm_member_t *const member);
cmm_error_t cmm_potential_getinfo(cmm_nodeid_t const nodeid, cmm_member_t *const member);
cmm_error_t cmm_master_getinfo(cmm_member_t *const member);
cmm_error_t cmm_vicemaster_getinfo(cmm_member_t *const member);
cmm_error_t cmm_member_getcount(uint32_t *const member_count);
cmm_error_t cmm_member_getall(uint32_t const table_size, cmm_member_t *const member_table,
			      uint32_t *const member_count);
cmm_error_t cmm_mastership_release(void);
cmm_error_t cmm_membership_remove(void);
cmm_error_t cmm_member_setqualif(cmm_nodeid_t const nodeid, cmm_qualif_t const new_qualif);
cmm_error_t cmm_member_seizequalif(void);
cmm_error_t cmm_config_reload(void);
cmm_error_t cmm_cmc_register(cmm_notify_t const callback, void *client_data);
cmm_error_t cmm_cmc_unregister(void);
cmm_error_t cmm_cmc_filter(cmm_cmcfilter_t const action,
			   cmm_cmchanges_t const *const notifications_list,
			   uint32_t const notifications_count);
cmm_error_t cmm_notify_getfd(int *const fd);
cmm_error_t cmm_notify_dispatch(void);
char *cmm_strerror(cmm_error_t errnum);

int cmm_member_isdesynchronized(cmm_member_t const *member);
int cmm_member_isdisqualified(cmm_member_t const *member);
int cmm_member_iseligible(cmm_member_t const *member);
int cmm_member_isexcluded(cmm_member_t const *member);
int cmm_member_isfrozen(cmm_member_t const *member);
int cmm_member_ismaster(cmm_member_t const *member);
int cmm_member_isoutofcluster(cmm_member_t const *member);
int cmm_member_isqualified(cmm_member_t const *member);
int cmm_member_isvicemaster(cmm_member_t const *member);

#ifdef __cplusplus
}
#endif

#endif
