/* SPDX-License-Identifier: MIT */
/*
 * clusapi.h: the Windows Failover Cluster API (clusapi.dll) for Linux, over a
 * clusterfs mount. Build with `pkg-config --cflags --libs clusapi`.
 *
 * Types follow the Windows ABI: DWORD is 32 bits, WCHAR is one UTF-16 code
 * unit, so buffer sizes and cch counts mean what they mean on Windows.
 * Write wide literals as u"..." (C11), or as L"..." when the whole program
 * is built with -fshort-wchar. ClusapiUtf8ToWide and ClusapiWideToUtf8
 * convert from and to UTF-8.
 *
 * Linux extensions (not in Windows): the Clusapi* helpers at the end, and
 * ClusapiEventFd, which gives the pollable descriptor behind the handle of
 * GetNotifyEventHandle.
 *
 * The library finds the mount in the environment variable CLUSTERFS_MOUNT,
 * else at /mnt/clusterfs. See README.md for the choices made where the
 * Windows documentation is silent.
 */
#ifndef CLUSAPI_H
#define CLUSAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CLUSAPI_VERSION
#define CLUSAPI_VERSION 0x0A00 /* the V2 notification API is present */
#endif
#define CLUSAPI_VERSION_SERVER2008 0x00000600
#define CLUSAPI_VERSION_SERVER2008R2 0x00000700
#define CLUSAPI_VERSION_WINDOWS8 0x00000701
#define CLUSAPI_VERSION_WINDOWSBLUE 0x00000702
#define CLUSAPI_VERSION_WINTHRESHOLD 0x00000703
#define CLUSAPI_VERSION_RS3 0x00000A00

/* ---- Windows base types (LP64-safe: never `long`) ---------------------- */
#ifndef CLUSAPI_NO_BASE_TYPES
typedef uint32_t DWORD;
typedef int32_t LONG;
typedef int32_t BOOL;
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef uint16_t WCHAR;
typedef uintptr_t DWORD_PTR;
typedef uintptr_t ULONG_PTR;
typedef uint32_t REGSAM;
typedef uint32_t SECURITY_INFORMATION;
typedef void *HANDLE;
typedef HANDLE *LPHANDLE;
typedef void *PVOID;
typedef void *LPVOID;
typedef void *PSECURITY_DESCRIPTOR;
typedef DWORD *LPDWORD;
typedef DWORD *PDWORD;
typedef BYTE *LPBYTE;
typedef const BYTE *LPCBYTE;
typedef WCHAR *LPWSTR;
typedef WCHAR *PWSTR;
typedef const WCHAR *LPCWSTR;
typedef const WCHAR *PCWSTR;
typedef struct _FILETIME {
	DWORD dwLowDateTime;
	DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
typedef struct _SECURITY_ATTRIBUTES {
	DWORD nLength;
	LPVOID lpSecurityDescriptor;
	BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;
#endif
#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif
#ifndef WINAPI
#define WINAPI
#endif
#define INVALID_HANDLE_VALUE ((HANDLE)(intptr_t)-1)
#define INFINITE 0xFFFFFFFFu
#define WAIT_OBJECT_0 0u

/* Opaque handles. */
typedef struct _HCLUSTER *HCLUSTER;
typedef struct _HNODE *HNODE;
typedef struct _HRESOURCE *HRESOURCE;
typedef struct _HGROUP *HGROUP;
typedef struct _HNETWORK *HNETWORK;
typedef struct _HNETINTERFACE *HNETINTERFACE;
typedef struct _HCHANGE *HCHANGE;
typedef struct _HCLUSENUM *HCLUSENUM;
typedef struct _HGROUPENUM *HGROUPENUM;
typedef struct _HRESENUM *HRESENUM;
typedef struct _HNODEENUM *HNODEENUM;
typedef struct _HKEY_CLUSAPI *HKEY;
typedef HKEY *PHKEY;

/* ---- Error codes (winerror.h values) ----------------------------------- */
#ifndef CLUSAPI_NO_ERROR_CODES
#define ERROR_SUCCESS 0
#define NO_ERROR 0
#define ERROR_INVALID_FUNCTION                         1
#define ERROR_FILE_NOT_FOUND                           2
#define ERROR_ACCESS_DENIED                            5
#define ERROR_INVALID_HANDLE                           6
#define ERROR_NOT_ENOUGH_MEMORY                        8
#define ERROR_INVALID_DATA                             13
#define ERROR_OUTOFMEMORY                              14
#define ERROR_NOT_SUPPORTED                            50
#define ERROR_SHARING_PAUSED                           70
#define ERROR_INVALID_PARAMETER                        87
#define ERROR_CALL_NOT_IMPLEMENTED                     120
#define ERROR_INSUFFICIENT_BUFFER                      122
#define ERROR_INVALID_NAME                             123
#define ERROR_DIR_NOT_EMPTY                            145
#define ERROR_BAD_ARGUMENTS                            160
#define ERROR_ALREADY_EXISTS                           183
#define ERROR_MORE_DATA                                234
#define WAIT_TIMEOUT                                   258
#define ERROR_NO_MORE_ITEMS                            259
#define ERROR_OPERATION_ABORTED                        995
#define ERROR_IO_PENDING                               997
#define ERROR_INVALID_FLAGS                            1004
#define ERROR_KEY_DELETED                              1018
#define ERROR_KEY_HAS_CHILDREN                         1020
#define ERROR_CIRCULAR_DEPENDENCY                      1059
#define ERROR_EXCEPTION_IN_SERVICE                     1064
#define ERROR_NOT_FOUND                                1168
#define ERROR_GEN_FAILURE                              31
#define ERROR_CANCELLED                                1223
#define RPC_S_SERVER_UNAVAILABLE                       1722
#define RPC_S_CALL_FAILED                              1726
#define EPT_S_NOT_REGISTERED                           1753
#define ERROR_RESOURCE_TYPE_NOT_FOUND                  1813
#define ERROR_RESOURCE_NAME_NOT_FOUND                  1814
#define ERROR_DEPENDENT_RESOURCE_EXISTS                5001
#define ERROR_DEPENDENCY_NOT_FOUND                     5002
#define ERROR_DEPENDENCY_ALREADY_EXISTS                5003
#define ERROR_RESOURCE_NOT_ONLINE                      5004
#define ERROR_HOST_NODE_NOT_AVAILABLE                  5005
#define ERROR_RESOURCE_NOT_AVAILABLE                   5006
#define ERROR_RESOURCE_NOT_FOUND                       5007
#define ERROR_SHUTDOWN_CLUSTER                         5008
#define ERROR_CANT_EVICT_ACTIVE_NODE                   5009
#define ERROR_OBJECT_ALREADY_EXISTS                    5010
#define ERROR_OBJECT_IN_LIST                           5011
#define ERROR_GROUP_NOT_AVAILABLE                      5012
#define ERROR_GROUP_NOT_FOUND                          5013
#define ERROR_GROUP_NOT_ONLINE                         5014
#define ERROR_HOST_NODE_NOT_RESOURCE_OWNER             5015
#define ERROR_HOST_NODE_NOT_GROUP_OWNER                5016
#define ERROR_RESOURCE_ONLINE                          5019
#define ERROR_QUORUM_RESOURCE                          5020
#define ERROR_CLUSTER_SHUTTING_DOWN                    5022
#define ERROR_INVALID_STATE                            5023
#define ERROR_RESOURCE_PROPERTIES_STORED               5024
#define ERROR_CORE_RESOURCE                            5026
#define ERROR_NETWORK_NOT_AVAILABLE                    5035
#define ERROR_NODE_NOT_AVAILABLE                       5036
#define ERROR_ALL_NODES_NOT_AVAILABLE                  5037
#define ERROR_RESOURCE_FAILED                          5038
#define ERROR_CLUSTER_INVALID_NODE                     5039
#define ERROR_CLUSTER_NODE_EXISTS                      5040
#define ERROR_CLUSTER_NODE_NOT_FOUND                   5042
#define ERROR_CLUSTER_NETWORK_EXISTS                   5044
#define ERROR_CLUSTER_NETWORK_NOT_FOUND                5045
#define ERROR_CLUSTER_NETINTERFACE_EXISTS              5046
#define ERROR_CLUSTER_NETINTERFACE_NOT_FOUND           5047
#define ERROR_CLUSTER_INVALID_REQUEST                  5048
#define ERROR_CLUSTER_NODE_DOWN                        5050
#define ERROR_CLUSTER_NODE_UNREACHABLE                 5051
#define ERROR_CLUSTER_NODE_NOT_MEMBER                  5052
#define ERROR_CLUSTER_INVALID_NETWORK                  5054
#define ERROR_CLUSTER_NODE_UP                          5056
#define ERROR_CLUSTER_NODE_NOT_PAUSED                  5058
#define ERROR_CLUSTER_NETWORK_NOT_INTERNAL             5060
#define ERROR_CLUSTER_NODE_ALREADY_UP                  5061
#define ERROR_CLUSTER_NODE_ALREADY_DOWN                5062
#define ERROR_CLUSTER_NODE_ALREADY_MEMBER              5065
#define ERROR_INVALID_OPERATION_ON_QUORUM              5068
#define ERROR_DEPENDENCY_NOT_ALLOWED                   5069
#define ERROR_CLUSTER_NODE_PAUSED                      5070
#define ERROR_NODE_CANT_HOST_RESOURCE                  5071
#define ERROR_CLUSTER_NODE_NOT_READY                   5072
#define ERROR_CLUSTER_NODE_SHUTTING_DOWN               5073
#define ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND          5078
#define ERROR_CLUSTER_RESNAME_NOT_FOUND                5080
#define ERROR_CLUSTER_DATABASE_SEQMISMATCH             5083
#define ERROR_RESMON_INVALID_STATE                     5084
#define ERROR_RESOURCE_PROPERTY_UNCHANGEABLE           5089
#define ERROR_CLUSTER_MEMBERSHIP_INVALID_STATE         5890
#define ERROR_CLUSTER_INSTANCE_ID_MISMATCH             5893
#define ERROR_CLUSTER_CANT_CREATE_DUP_CLUSTER_NAME     5900
#define ERROR_CLUSTER_OLD_VERSION                      5904
#define ERROR_CLUSTER_GROUP_MOVING                     5908
#define ERROR_CLUSTER_RESOURCE_TYPE_BUSY               5909
#define ERROR_RESOURCE_CALL_TIMED_OUT                  5910
#define ERROR_CLUSTER_INVALID_STRING_TERMINATION       5916
#define ERROR_CLUSTER_INVALID_STRING_FORMAT            5917
#define ERROR_CLUSTER_NULL_DATA                        5920
#define ERROR_CLUSTER_PARTIAL_READ                     5921
#define ERROR_CLUSTER_PARTIAL_WRITE                    5922
#define ERROR_CLUSTER_CANT_DESERIALIZE_DATA            5923
#define ERROR_CLUSTER_NO_QUORUM                        5925
#define ERROR_DEPENDENCY_TREE_TOO_COMPLEX              5929
#define ERROR_CLUSTER_OBJECT_ALREADY_USED              5936
#define ERROR_CLUSTER_RESOURCE_CONFIGURATION_ERROR     5943
#define ERROR_CLUSTER_GROUP_BUSY                       5944
#define ERROR_CLUSTER_NOT_SHARED_VOLUME                5945
#define ERROR_CLUSTER_GROUP_QUEUED                     5959
#define ERROR_CLUSTER_RESOURCE_LOCKED_STATUS           5960
#define ERROR_CLUSTER_NODE_DRAIN_IN_PROGRESS           5962
#define ERROR_CLUSTER_RESOURCE_IS_IN_MAINTENANCE_MODE  5970
#define ERROR_CLUSTER_AFFINITY_CONFLICT                5971
#define ERROR_NODE_NOT_ACTIVE_CLUSTER_MEMBER           5980
#define ERROR_CLUSTER_RESOURCE_NOT_MONITORED           5981
#define ERROR_CLUSTER_NODE_QUARANTINED                 5985
#define ERROR_GROUPSET_NOT_AVAILABLE                   5991
#define ERROR_GROUPSET_NOT_FOUND                       5992
#endif

/* ---- Registry (winnt.h) ------------------------------------------------ */
#define REG_NONE 0
#define REG_SZ 1
#define REG_EXPAND_SZ 2
#define REG_BINARY 3
#define REG_DWORD 4
#define REG_MULTI_SZ 7
#define REG_QWORD 11
#define REG_CREATED_NEW_KEY 1
#define REG_OPENED_EXISTING_KEY 2
#define REG_OPTION_NON_VOLATILE 0
#define REG_OPTION_VOLATILE 1
#define KEY_QUERY_VALUE 0x0001
#define KEY_SET_VALUE 0x0002
#define KEY_CREATE_SUB_KEY 0x0004
#define KEY_ENUMERATE_SUB_KEYS 0x0008
#define KEY_NOTIFY 0x0010
#define KEY_READ 0x20019
#define KEY_WRITE 0x20006
#define KEY_ALL_ACCESS 0xF003F
#define MAXIMUM_ALLOWED 0x02000000
#define OWNER_SECURITY_INFORMATION 0x1
#define GROUP_SECURITY_INFORMATION 0x2
#define DACL_SECURITY_INFORMATION 0x4
#define SACL_SECURITY_INFORMATION 0x8

/* ---- V1 notification flags (CLUSTER_CHANGE) ---------------------------- */
#define CLUSTER_CHANGE_NODE_STATE 0x00000001u
#define CLUSTER_CHANGE_NODE_DELETED 0x00000002u
#define CLUSTER_CHANGE_NODE_ADDED 0x00000004u
#define CLUSTER_CHANGE_NODE_PROPERTY 0x00000008u
#define CLUSTER_CHANGE_REGISTRY_NAME 0x00000010u
#define CLUSTER_CHANGE_REGISTRY_ATTRIBUTES 0x00000020u
#define CLUSTER_CHANGE_REGISTRY_VALUE 0x00000040u
#define CLUSTER_CHANGE_REGISTRY_SUBTREE 0x00000080u
#define CLUSTER_CHANGE_RESOURCE_STATE 0x00000100u
#define CLUSTER_CHANGE_RESOURCE_DELETED 0x00000200u
#define CLUSTER_CHANGE_RESOURCE_ADDED 0x00000400u
#define CLUSTER_CHANGE_RESOURCE_PROPERTY 0x00000800u
#define CLUSTER_CHANGE_GROUP_STATE 0x00001000u
#define CLUSTER_CHANGE_GROUP_DELETED 0x00002000u
#define CLUSTER_CHANGE_GROUP_ADDED 0x00004000u
#define CLUSTER_CHANGE_GROUP_PROPERTY 0x00008000u
#define CLUSTER_CHANGE_RESOURCE_TYPE_DELETED 0x00010000u
#define CLUSTER_CHANGE_RESOURCE_TYPE_ADDED 0x00020000u
#define CLUSTER_CHANGE_RESOURCE_TYPE_PROPERTY 0x00040000u
#define CLUSTER_CHANGE_CLUSTER_RECONNECT 0x00080000u
#define CLUSTER_CHANGE_NETWORK_STATE 0x00100000u
#define CLUSTER_CHANGE_NETWORK_DELETED 0x00200000u
#define CLUSTER_CHANGE_NETWORK_ADDED 0x00400000u
#define CLUSTER_CHANGE_NETWORK_PROPERTY 0x00800000u
#define CLUSTER_CHANGE_NETINTERFACE_STATE 0x01000000u
#define CLUSTER_CHANGE_NETINTERFACE_DELETED 0x02000000u
#define CLUSTER_CHANGE_NETINTERFACE_ADDED 0x04000000u
#define CLUSTER_CHANGE_NETINTERFACE_PROPERTY 0x08000000u
#define CLUSTER_CHANGE_QUORUM_STATE 0x10000000u
#define CLUSTER_CHANGE_CLUSTER_STATE 0x20000000u
#define CLUSTER_CHANGE_CLUSTER_PROPERTY 0x40000000u
#define CLUSTER_CHANGE_HANDLE_CLOSE 0x80000000u
#define CLUSTER_CHANGE_ALL 0xFFFFFFFFu
typedef DWORD CLUSTER_CHANGE;

/* ---- V2 notifications --------------------------------------------------- */
typedef enum CLUSTER_NOTIFICATIONS_VERSION {
	CLUSTER_NOTIFICATIONS_V1 = 1,
	CLUSTER_NOTIFICATIONS_V2 = 2,
} CLUSTER_NOTIFICATIONS_VERSION;

typedef enum CLUSTER_OBJECT_TYPE {
	CLUSTER_OBJECT_TYPE_NONE = 0x0,
	CLUSTER_OBJECT_TYPE_CLUSTER = 0x1,
	CLUSTER_OBJECT_TYPE_GROUP = 0x2,
	CLUSTER_OBJECT_TYPE_RESOURCE = 0x3,
	CLUSTER_OBJECT_TYPE_RESOURCE_TYPE = 0x4,
	CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE = 0x5,
	CLUSTER_OBJECT_TYPE_NETWORK = 0x6,
	CLUSTER_OBJECT_TYPE_NODE = 0x7,
	CLUSTER_OBJECT_TYPE_REGISTRY = 0x8,
	CLUSTER_OBJECT_TYPE_QUORUM = 0x9,
	CLUSTER_OBJECT_TYPE_SHARED_VOLUME = 0xA,
	CLUSTER_OBJECT_TYPE_GROUPSET = 0xD,
	CLUSTER_OBJECT_TYPE_AFFINITYRULE = 0x10,
	CLUSTER_OBJECT_TYPE_FAULTDOMAIN = 0x11,
} CLUSTER_OBJECT_TYPE;

/* The V2 flag values are LONGLONG masks. */
#define CLUSTER_CHANGE_CLUSTER_RECONNECT_V2 0x1
#define CLUSTER_CHANGE_CLUSTER_STATE_V2 0x2
#define CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2 0x4
#define CLUSTER_CHANGE_CLUSTER_HANDLE_CLOSE_V2 0x8
#define CLUSTER_CHANGE_CLUSTER_NETWORK_ADDED_V2 0x10
#define CLUSTER_CHANGE_CLUSTER_NODE_ADDED_V2 0x20
#define CLUSTER_CHANGE_CLUSTER_RESOURCE_TYPE_ADDED_V2 0x40
#define CLUSTER_CHANGE_CLUSTER_COMMON_PROPERTY_V2 0x80
#define CLUSTER_CHANGE_CLUSTER_PRIVATE_PROPERTY_V2 0x100
#define CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2 0x200
#define CLUSTER_CHANGE_CLUSTER_RENAME_V2 0x400
#define CLUSTER_CHANGE_CLUSTER_MEMBERSHIP_V2 0x800
#define CLUSTER_CHANGE_CLUSTER_UPGRADED_V2 0x1000
#define CLUSTER_CHANGE_CLUSTER_ALL_V2 0x1FFF

#define CLUSTER_CHANGE_GROUP_DELETED_V2 0x1
#define CLUSTER_CHANGE_GROUP_COMMON_PROPERTY_V2 0x2
#define CLUSTER_CHANGE_GROUP_PRIVATE_PROPERTY_V2 0x4
#define CLUSTER_CHANGE_GROUP_STATE_V2 0x8
#define CLUSTER_CHANGE_GROUP_OWNER_NODE_V2 0x10
#define CLUSTER_CHANGE_GROUP_PREFERRED_OWNERS_V2 0x20
#define CLUSTER_CHANGE_GROUP_RESOURCE_ADDED_V2 0x40
#define CLUSTER_CHANGE_GROUP_RESOURCE_GAINED_V2 0x80
#define CLUSTER_CHANGE_GROUP_RESOURCE_LOST_V2 0x100
#define CLUSTER_CHANGE_GROUP_HANDLE_CLOSE_V2 0x200
#define CLUSTER_CHANGE_GROUP_ALL_V2 0x3FF

#define CLUSTER_CHANGE_RESOURCE_COMMON_PROPERTY_V2 0x1
#define CLUSTER_CHANGE_RESOURCE_PRIVATE_PROPERTY_V2 0x2
#define CLUSTER_CHANGE_RESOURCE_STATE_V2 0x4
#define CLUSTER_CHANGE_RESOURCE_OWNER_GROUP_V2 0x8
#define CLUSTER_CHANGE_RESOURCE_DEPENDENCIES_V2 0x10
#define CLUSTER_CHANGE_RESOURCE_DEPENDENTS_V2 0x20
#define CLUSTER_CHANGE_RESOURCE_POSSIBLE_OWNERS_V2 0x40
#define CLUSTER_CHANGE_RESOURCE_DELETED_V2 0x80
#define CLUSTER_CHANGE_RESOURCE_DLL_UPGRADED_V2 0x100
#define CLUSTER_CHANGE_RESOURCE_HANDLE_CLOSE_V2 0x200
#define CLUSTER_CHANGE_RESOURCE_TERMINAL_STATE_V2 0x400
#define CLUSTER_CHANGE_RESOURCE_ALL_V2 0x7FF

#define CLUSTER_CHANGE_RESOURCE_TYPE_DELETED_V2 0x1
#define CLUSTER_CHANGE_RESOURCE_TYPE_COMMON_PROPERTY_V2 0x2
#define CLUSTER_CHANGE_RESOURCE_TYPE_PRIVATE_PROPERTY_V2 0x4
#define CLUSTER_CHANGE_RESOURCE_TYPE_POSSIBLE_OWNERS_V2 0x8
#define CLUSTER_CHANGE_RESOURCE_TYPE_DLL_UPGRADED_V2 0x10
#define CLUSTER_RESOURCE_TYPE_SPECIFIC_V2 0x20
#define CLUSTER_CHANGE_RESOURCE_TYPE_ALL_V2 0x3F

#define CLUSTER_CHANGE_NETINTERFACE_DELETED_V2 0x1
#define CLUSTER_CHANGE_NETINTERFACE_COMMON_PROPERTY_V2 0x2
#define CLUSTER_CHANGE_NETINTERFACE_PRIVATE_PROPERTY_V2 0x4
#define CLUSTER_CHANGE_NETINTERFACE_STATE_V2 0x8
#define CLUSTER_CHANGE_NETINTERFACE_HANDLE_CLOSE_V2 0x10
#define CLUSTER_CHANGE_NETINTERFACE_ALL_V2 0x1F

#define CLUSTER_CHANGE_NETWORK_DELETED_V2 0x1
#define CLUSTER_CHANGE_NETWORK_COMMON_PROPERTY_V2 0x2
#define CLUSTER_CHANGE_NETWORK_PRIVATE_PROPERTY_V2 0x4
#define CLUSTER_CHANGE_NETWORK_STATE_V2 0x8
#define CLUSTER_CHANGE_NETWORK_HANDLE_CLOSE_V2 0x10
#define CLUSTER_CHANGE_NETWORK_ALL_V2 0x1F

#define CLUSTER_CHANGE_NODE_NETINTERFACE_ADDED_V2 0x1
#define CLUSTER_CHANGE_NODE_DELETED_V2 0x2
#define CLUSTER_CHANGE_NODE_COMMON_PROPERTY_V2 0x4
#define CLUSTER_CHANGE_NODE_PRIVATE_PROPERTY_V2 0x8
#define CLUSTER_CHANGE_NODE_STATE_V2 0x10
#define CLUSTER_CHANGE_NODE_GROUP_GAINED_V2 0x20
#define CLUSTER_CHANGE_NODE_GROUP_LOST_V2 0x40
#define CLUSTER_CHANGE_NODE_HANDLE_CLOSE_V2 0x80
#define CLUSTER_CHANGE_NODE_ALL_V2 0xFF

#define CLUSTER_CHANGE_REGISTRY_ATTRIBUTES_V2 0x1
#define CLUSTER_CHANGE_REGISTRY_NAME_V2 0x2
#define CLUSTER_CHANGE_REGISTRY_SUBTREE_V2 0x4
#define CLUSTER_CHANGE_REGISTRY_VALUE_V2 0x8
#define CLUSTER_CHANGE_REGISTRY_HANDLE_CLOSE_V2 0x10
#define CLUSTER_CHANGE_REGISTRY_ALL_V2 0x1F

#define CLUSTER_CHANGE_QUORUM_STATE_V2 0x1
#define CLUSTER_CHANGE_QUORUM_ALL_V2 0x1
#define CLUSTER_CHANGE_SHARED_VOLUME_STATE_V2 0x1
#define CLUSTER_CHANGE_SHARED_VOLUME_ADDED_V2 0x2
#define CLUSTER_CHANGE_SHARED_VOLUME_REMOVED_V2 0x4
#define CLUSTER_CHANGE_SHARED_VOLUME_ALL_V2 0x7

/* 16 bytes with FilterFlags at offset 8, as under the MSVC ABI. */
typedef struct _NOTIFY_FILTER_AND_TYPE {
	DWORD dwObjectType;
	LONGLONG FilterFlags __attribute__((aligned(8)));
} NOTIFY_FILTER_AND_TYPE, *PNOTIFY_FILTER_AND_TYPE;

typedef struct _CLUSTER_MEMBERSHIP_INFO {
	BOOL HasQuorum;
	DWORD UpnodesSize;
	BYTE Upnodes[1];
} CLUSTER_MEMBERSHIP_INFO, *PCLUSTER_MEMBERSHIP_INFO;

/* ---- States ------------------------------------------------------------- */
typedef enum CLUSTER_NODE_STATE {
	ClusterNodeStateUnknown = -1,
	ClusterNodeUp = 0,
	ClusterNodeDown = 1,
	ClusterNodePaused = 2,
	ClusterNodeJoining = 3,
} CLUSTER_NODE_STATE;

typedef enum CLUSTER_GROUP_STATE {
	ClusterGroupStateUnknown = -1,
	ClusterGroupOnline = 0,
	ClusterGroupOffline = 1,
	ClusterGroupFailed = 2,
	ClusterGroupPartialOnline = 3,
	ClusterGroupPending = 4,
} CLUSTER_GROUP_STATE;

typedef enum CLUSTER_RESOURCE_STATE {
	ClusterResourceStateUnknown = -1,
	ClusterResourceInherited = 0,
	ClusterResourceInitializing = 1,
	ClusterResourceOnline = 2,
	ClusterResourceOffline = 3,
	ClusterResourceFailed = 4,
	ClusterResourcePending = 128,
	ClusterResourceOnlinePending = 129,
	ClusterResourceOfflinePending = 130,
} CLUSTER_RESOURCE_STATE;

typedef enum CLUSTER_NETWORK_STATE {
	ClusterNetworkStateUnknown = -1,
	ClusterNetworkUnavailable = 0,
	ClusterNetworkDown = 1,
	ClusterNetworkPartitioned = 2,
	ClusterNetworkUp = 3,
} CLUSTER_NETWORK_STATE;

typedef enum CLUSTER_NETINTERFACE_STATE {
	ClusterNetInterfaceStateUnknown = -1,
	ClusterNetInterfaceUnavailable = 0,
	ClusterNetInterfaceFailed = 1,
	ClusterNetInterfaceUnreachable = 2,
	ClusterNetInterfaceUp = 3,
} CLUSTER_NETINTERFACE_STATE;

typedef enum NODE_CLUSTER_STATE {
	ClusterStateNotInstalled = 0x00,
	ClusterStateNotConfigured = 0x01,
	ClusterStateNotRunning = 0x03,
	ClusterStateRunning = 0x13,
} NODE_CLUSTER_STATE;

/* ---- Enumerations ------------------------------------------------------- */
#define CLUSTER_ENUM_NODE 0x00000001u
#define CLUSTER_ENUM_RESTYPE 0x00000002u
#define CLUSTER_ENUM_RESOURCE 0x00000004u
#define CLUSTER_ENUM_GROUP 0x00000008u
#define CLUSTER_ENUM_NETWORK 0x00000010u
#define CLUSTER_ENUM_NETINTERFACE 0x00000020u
#define CLUSTER_ENUM_SHARED_VOLUME_GROUP 0x20000000u
#define CLUSTER_ENUM_SHARED_VOLUME_RESOURCE 0x40000000u
#define CLUSTER_ENUM_INTERNAL_NETWORK 0x80000000u
#define CLUSTER_ENUM_ALL 0x0000003Fu

#define CLUSTER_NODE_ENUM_NETINTERFACES 0x1u
#define CLUSTER_NODE_ENUM_GROUPS 0x2u
#define CLUSTER_NODE_ENUM_PREFERRED_GROUPS 0x4u
#define CLUSTER_NODE_ENUM_ALL 0x3u

#define CLUSTER_GROUP_ENUM_CONTAINS 0x1u
#define CLUSTER_GROUP_ENUM_NODES 0x2u
#define CLUSTER_GROUP_ENUM_ALL 0x3u

#define CLUSTER_RESOURCE_ENUM_DEPENDS 0x1u
#define CLUSTER_RESOURCE_ENUM_PROVIDES 0x2u
#define CLUSTER_RESOURCE_ENUM_NODES 0x4u
#define CLUSTER_RESOURCE_ENUM_ALL 0x7u

/* For ClusterResourceTypeOpenEnum and ClusterNetworkOpenEnum, which this
 * library does not implement; the values are Windows' own. */
#define CLUSTER_RESOURCE_TYPE_ENUM_NODES 0x1u
#define CLUSTER_RESOURCE_TYPE_ENUM_RESOURCES 0x2u
#define CLUSTER_RESOURCE_TYPE_ENUM_ALL 0x3u

#define CLUSTER_NETWORK_ENUM_NETINTERFACES 0x1u
#define CLUSTER_NETWORK_ENUM_ALL 0x1u

#define CLUSTER_RESOURCE_SEPARATE_MONITOR 1u

typedef enum CLUSGROUP_TYPE {
	ClusGroupTypeCoreCluster = 1,
	ClusGroupTypeAvailableStorage = 2,
	ClusGroupTypeTemporary = 3,
	ClusGroupTypeSharedVolume = 4,
	ClusGroupTypeStoragePool = 5,
	ClusGroupTypeFileServer = 100,
	ClusGroupTypePrintServer = 101,
	ClusGroupTypeDhcpServer = 102,
	ClusGroupTypeDtc = 103,
	ClusGroupTypeMsmq = 104,
	ClusGroupTypeWins = 105,
	ClusGroupTypeStandAloneDfs = 106,
	ClusGroupTypeGenericApplication = 107,
	ClusGroupTypeGenericService = 108,
	ClusGroupTypeGenericScript = 109,
	ClusGroupTypeIScsiNameService = 110,
	ClusGroupTypeVirtualMachine = 111,
	ClusGroupTypeTsSessionBroker = 112,
	ClusGroupTypeIScsiTarget = 113,
	ClusGroupTypeScaleoutFileServer = 114,
	ClusGroupTypeVMReplicaBroker = 115,
	ClusGroupTypeTaskScheduler = 116,
	ClusGroupTypeClusterUpdateAgent = 117,
	ClusGroupTypeScaleoutCluster = 118,
	ClusGroupTypeStorageReplica = 119,
	ClusGroupTypeVMReplicaCoordinator = 120,
	ClusGroupTypeCrossClusterOrchestrator = 121,
	ClusGroupTypeInfrastructureFileServer = 122,
	ClusGroupTypeUnknown = 9999,
} CLUSGROUP_TYPE;

/* Property lists (the payload of *_COMMON_PROPERTY_V2 events). */
#define CLUSPROP_SYNTAX_ENDMARK 0x00000000u
#define CLUSPROP_SYNTAX_NAME 0x00040003u
#define CLUSPROP_SYNTAX_LIST_VALUE_BINARY 0x00010001u
#define CLUSPROP_SYNTAX_LIST_VALUE_DWORD 0x00010002u
#define CLUSPROP_SYNTAX_LIST_VALUE_SZ 0x00010003u
#define CLUSPROP_SYNTAX_LIST_VALUE_EXPAND_SZ 0x00010004u
#define CLUSPROP_SYNTAX_LIST_VALUE_MULTI_SZ 0x00010005u
#define CLUSPROP_SYNTAX_LIST_VALUE_ULARGE_INTEGER 0x00010006u

typedef struct _CLUSTERVERSIONINFO {
	DWORD dwVersionInfoSize;
	WORD MajorVersion;
	WORD MinorVersion;
	WORD BuildNumber;
	WCHAR szVendorId[64];
	WCHAR szCSDVersion[64];
	DWORD dwClusterHighestVersion;
	DWORD dwClusterLowestVersion;
	DWORD dwFlags;
	DWORD dwReserved;
} CLUSTERVERSIONINFO, *LPCLUSTERVERSIONINFO, *PCLUSTERVERSIONINFO;

/* ---- Last error (thread-local) ----------------------------------------- */
DWORD WINAPI GetLastError(void);
void WINAPI SetLastError(DWORD dwErrCode);

/* ---- Cluster ------------------------------------------------------------ */
HCLUSTER WINAPI OpenCluster(LPCWSTR lpszClusterName);
BOOL WINAPI CloseCluster(HCLUSTER hCluster);
DWORD WINAPI GetClusterInformation(HCLUSTER hCluster, LPWSTR lpszClusterName,
				   LPDWORD lpcchClusterName, LPCLUSTERVERSIONINFO lpClusterInfo);
DWORD WINAPI GetNodeClusterState(LPCWSTR lpszNodeName, LPDWORD pdwClusterState);

/* ---- Notification ports (V1 and V2) ------------------------------------- */
HCHANGE WINAPI CreateClusterNotifyPort(HCHANGE hChange, HCLUSTER hCluster, DWORD dwFilter,
				       DWORD_PTR dwNotifyKey);
DWORD WINAPI RegisterClusterNotify(HCHANGE hChange, DWORD dwFilterType, HANDLE hObject,
				   DWORD_PTR dwNotifyKey);
DWORD WINAPI GetClusterNotify(HCHANGE hChange, DWORD_PTR *lpdwNotifyKey, LPDWORD lpdwFilterType,
			      LPWSTR lpszName, LPDWORD lpcchName, DWORD dwMilliseconds);
BOOL WINAPI CloseClusterNotifyPort(HCHANGE hChange);
HCHANGE WINAPI CreateClusterNotifyPortV2(HCHANGE hChange, HCLUSTER hCluster,
					 NOTIFY_FILTER_AND_TYPE *Filters, DWORD dwFilterCount,
					 DWORD_PTR dwNotifyKey);
DWORD WINAPI RegisterClusterNotifyV2(HCHANGE hChange, NOTIFY_FILTER_AND_TYPE Filter,
				     HANDLE hObject, DWORD_PTR dwNotifyKey);
DWORD WINAPI GetClusterNotifyV2(HCHANGE hChange, DWORD_PTR *lpdwNotifyKey,
				PNOTIFY_FILTER_AND_TYPE pFilterAndType, BYTE *buffer,
				LPDWORD lpbBufferSize, LPWSTR lpszObjectId, LPDWORD lpcchObjectId,
				LPWSTR lpszParentId, LPDWORD lpcchParentId, LPWSTR lpszName,
				LPDWORD lpcchName, LPWSTR lpszType, LPDWORD lpcchType,
				DWORD dwMilliseconds);
DWORD WINAPI GetNotifyEventHandle(HCHANGE hChange, LPHANDLE lphTargetEvent);

/* ---- Nodes -------------------------------------------------------------- */
HNODE WINAPI OpenClusterNode(HCLUSTER hCluster, LPCWSTR lpszNodeName);
BOOL WINAPI CloseClusterNode(HNODE hNode);
CLUSTER_NODE_STATE WINAPI GetClusterNodeState(HNODE hNode);
DWORD WINAPI GetClusterNodeId(HNODE hNode, LPWSTR lpszNodeId, LPDWORD lpcchName);
DWORD WINAPI PauseClusterNode(HNODE hNode);
DWORD WINAPI ResumeClusterNode(HNODE hNode);
DWORD WINAPI EvictClusterNode(HNODE hNode);
HNODEENUM WINAPI ClusterNodeOpenEnum(HNODE hNode, DWORD dwType);
DWORD WINAPI ClusterNodeGetEnumCount(HNODEENUM hNodeEnum);
DWORD WINAPI ClusterNodeEnum(HNODEENUM hNodeEnum, DWORD dwIndex, LPDWORD lpdwType,
			     LPWSTR lpszName, LPDWORD lpcchName);
DWORD WINAPI ClusterNodeCloseEnum(HNODEENUM hNodeEnum);
HKEY WINAPI GetClusterNodeKey(HNODE hNode, REGSAM samDesired);

/* ---- Groups ------------------------------------------------------------- */
HGROUP WINAPI CreateClusterGroup(HCLUSTER hCluster, LPCWSTR lpszGroupName);
HGROUP WINAPI OpenClusterGroup(HCLUSTER hCluster, LPCWSTR lpszGroupName);
BOOL WINAPI CloseClusterGroup(HGROUP hGroup);
DWORD WINAPI DeleteClusterGroup(HGROUP hGroup);
DWORD WINAPI SetClusterGroupName(HGROUP hGroup, LPCWSTR lpszGroupName);
CLUSTER_GROUP_STATE WINAPI GetClusterGroupState(HGROUP hGroup, LPWSTR lpszNodeName,
						LPDWORD lpcchNodeName);
DWORD WINAPI OnlineClusterGroup(HGROUP hGroup, HNODE hDestinationNode);
DWORD WINAPI OfflineClusterGroup(HGROUP hGroup);
DWORD WINAPI MoveClusterGroup(HGROUP hGroup, HNODE hDestinationNode);
DWORD WINAPI SetClusterGroupNodeList(HGROUP hGroup, DWORD NodeCount, HNODE NodeList[]);
HGROUPENUM WINAPI ClusterGroupOpenEnum(HGROUP hGroup, DWORD dwType);
DWORD WINAPI ClusterGroupGetEnumCount(HGROUPENUM hGroupEnum);
DWORD WINAPI ClusterGroupEnum(HGROUPENUM hGroupEnum, DWORD dwIndex, LPDWORD lpdwType,
			      LPWSTR lpszResourceName, LPDWORD lpcchName);
DWORD WINAPI ClusterGroupCloseEnum(HGROUPENUM hGroupEnum);
HKEY WINAPI GetClusterGroupKey(HGROUP hGroup, REGSAM samDesired);

/* ---- Resources ---------------------------------------------------------- */
HRESOURCE WINAPI CreateClusterResource(HGROUP hGroup, LPCWSTR lpszResourceName,
				       LPCWSTR lpszResourceType, DWORD dwFlags);
HRESOURCE WINAPI OpenClusterResource(HCLUSTER hCluster, LPCWSTR lpszResourceName);
BOOL WINAPI CloseClusterResource(HRESOURCE hResource);
DWORD WINAPI DeleteClusterResource(HRESOURCE hResource);
DWORD WINAPI SetClusterResourceName(HRESOURCE hResource, LPCWSTR lpszResourceName);
DWORD WINAPI AddClusterResourceNode(HRESOURCE hResource, HNODE hNode);
DWORD WINAPI RemoveClusterResourceNode(HRESOURCE hResource, HNODE hNode);
DWORD WINAPI AddClusterResourceDependency(HRESOURCE hResource, HRESOURCE hDependsOn);
DWORD WINAPI RemoveClusterResourceDependency(HRESOURCE hResource, HRESOURCE hDependsOn);
CLUSTER_RESOURCE_STATE WINAPI GetClusterResourceState(HRESOURCE hResource, LPWSTR lpszNodeName,
						      LPDWORD lpcchNodeName, LPWSTR lpszGroupName,
						      LPDWORD lpcchGroupName);
DWORD WINAPI ChangeClusterResourceGroup(HRESOURCE hResource, HGROUP hGroup);
DWORD WINAPI OnlineClusterResource(HRESOURCE hResource);
DWORD WINAPI OfflineClusterResource(HRESOURCE hResource);
DWORD WINAPI FailClusterResource(HRESOURCE hResource);
HRESENUM WINAPI ClusterResourceOpenEnum(HRESOURCE hResource, DWORD dwType);
DWORD WINAPI ClusterResourceGetEnumCount(HRESENUM hResEnum);
DWORD WINAPI ClusterResourceEnum(HRESENUM hResEnum, DWORD dwIndex, LPDWORD lpdwType,
				 LPWSTR lpszName, LPDWORD lpcchName);
DWORD WINAPI ClusterResourceCloseEnum(HRESENUM hResEnum);
HKEY WINAPI GetClusterResourceKey(HRESOURCE hResource, REGSAM samDesired);

/* ---- Resource types ----------------------------------------------------- */
DWORD WINAPI CreateClusterResourceType(HCLUSTER hCluster, LPCWSTR lpszResourceTypeName,
				       LPCWSTR lpszDisplayName, LPCWSTR lpszResourceTypeDll,
				       DWORD dwLooksAlivePollInterval,
				       DWORD dwIsAlivePollInterval);
DWORD WINAPI DeleteClusterResourceType(HCLUSTER hCluster, LPCWSTR lpszResourceTypeName);

/* ---- Networks and network interfaces ------------------------------------ */
HNETWORK WINAPI OpenClusterNetwork(HCLUSTER hCluster, LPCWSTR lpszNetworkName);
BOOL WINAPI CloseClusterNetwork(HNETWORK hNetwork);
CLUSTER_NETWORK_STATE WINAPI GetClusterNetworkState(HNETWORK hNetwork);
HKEY WINAPI GetClusterNetworkKey(HNETWORK hNetwork, REGSAM samDesired);
HNETINTERFACE WINAPI OpenClusterNetInterface(HCLUSTER hCluster, LPCWSTR lpszInterfaceName);
BOOL WINAPI CloseClusterNetInterface(HNETINTERFACE hNetInterface);
CLUSTER_NETINTERFACE_STATE WINAPI GetClusterNetInterfaceState(HNETINTERFACE hNetInterface);
HKEY WINAPI GetClusterNetInterfaceKey(HNETINTERFACE hNetInterface, REGSAM samDesired);

/* ---- Cluster-wide enumeration ------------------------------------------- */
HCLUSENUM WINAPI ClusterOpenEnum(HCLUSTER hCluster, DWORD dwType);
DWORD WINAPI ClusterGetEnumCount(HCLUSENUM hEnum);
DWORD WINAPI ClusterEnum(HCLUSENUM hEnum, DWORD dwIndex, LPDWORD lpdwType, LPWSTR lpszName,
			 LPDWORD lpcchName);
DWORD WINAPI ClusterCloseEnum(HCLUSENUM hEnum);

/* ---- Cluster database (registry) ---------------------------------------- */
HKEY WINAPI GetClusterKey(HCLUSTER hCluster, REGSAM samDesired);
LONG WINAPI ClusterRegOpenKey(HKEY hKey, LPCWSTR lpszSubKey, REGSAM samDesired, PHKEY phkResult);
LONG WINAPI ClusterRegCreateKey(HKEY hKey, LPCWSTR lpszSubKey, DWORD dwOptions,
				REGSAM samDesired, LPSECURITY_ATTRIBUTES lpSecurityAttributes,
				PHKEY phkResult, LPDWORD lpdwDisposition);
LONG WINAPI ClusterRegDeleteKey(HKEY hKey, LPCWSTR lpszSubKey);
LONG WINAPI ClusterRegCloseKey(HKEY hKey);
DWORD WINAPI ClusterRegSetValue(HKEY hKey, LPCWSTR lpszValueName, DWORD dwType,
				const BYTE *lpData, DWORD cbData);
DWORD WINAPI ClusterRegDeleteValue(HKEY hKey, LPCWSTR lpszValueName);
LONG WINAPI ClusterRegQueryValue(HKEY hKey, LPCWSTR lpszValueName, LPDWORD lpdwValueType,
				 LPBYTE lpData, LPDWORD lpcbData);
LONG WINAPI ClusterRegEnumKey(HKEY hKey, DWORD dwIndex, LPWSTR lpszName, LPDWORD lpcchName,
			      PFILETIME lpftLastWriteTime);
DWORD WINAPI ClusterRegEnumValue(HKEY hKey, DWORD dwIndex, LPWSTR lpszValueName,
				 LPDWORD lpcchValueName, LPDWORD lpdwType, LPBYTE lpData,
				 LPDWORD lpcbData);
LONG WINAPI ClusterRegQueryInfoKey(HKEY hKey, LPDWORD lpcSubKeys, LPDWORD lpcchMaxSubKeyLen,
				   LPDWORD lpcValues, LPDWORD lpcchMaxValueNameLen,
				   LPDWORD lpcbMaxValueLen, LPDWORD lpcbSecurityDescriptor,
				   PFILETIME lpftLastWriteTime);
LONG WINAPI ClusterRegGetKeySecurity(HKEY hKey, SECURITY_INFORMATION RequestedInformation,
				     PSECURITY_DESCRIPTOR pSecurityDescriptor,
				     LPDWORD lpcbSecurityDescriptor);
LONG WINAPI ClusterRegSetKeySecurity(HKEY hKey, SECURITY_INFORMATION SecurityInformation,
				     PSECURITY_DESCRIPTOR pSecurityDescriptor);

/* ---- Linux extensions --------------------------------------------------- */
/* The descriptor behind an event handle from GetNotifyEventHandle: it polls
 * readable (POLLIN) while the port has an event to give. It belongs to the
 * port; do not close it. -1 with ERROR_INVALID_HANDLE for a bad handle. */
int ClusapiEventFd(HANDLE hEvent);
/* Length of a NUL-terminated UTF-16 string, in WCHARs. */
size_t ClusapiWideLen(LPCWSTR s);
/* UTF-8 -> UTF-16 and back, into memory the caller frees with ClusapiFree.
 * NULL (with ERROR_INVALID_PARAMETER or ERROR_NOT_ENOUGH_MEMORY) when the
 * input is not valid. */
LPWSTR ClusapiUtf8ToWide(const char *s);
char *ClusapiWideToUtf8(LPCWSTR s);
void ClusapiFree(void *p);

#ifdef __cplusplus
}
#endif
#endif /* CLUSAPI_H */
