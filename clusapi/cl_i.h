/* SPDX-License-Identifier: MIT */
/* libclusapi internals. The library talks to the daemon only through the
 * mount: it reads object properties from registry/<Collection>/<id>/<Prop>
 * (handles keep the object's id, so a rename does not break them), changes
 * the cluster by writing one command line per call to the control file, and
 * reads notifications from anonymous ports (ports/clone).
 *
 * Conventions: internal functions return 0 or -errno; the exported calls
 * convert to Win32 codes (cl_error.c) and set the thread's last error.
 *
 * Handles (cl_handle.c) are table slots with a generation, never raw
 * pointers, so a closed, stale or wrong-kind handle is detected without
 * touching freed memory. A call holds a reference on each object it uses,
 * so closing a handle in one thread while another uses it is safe. The
 * table frees an object through its kind's destructor, which the module
 * owning the kind declares (CL_HANDLE_KIND).
 *
 * Calls run one way: each file calls only files after it in
 * cl_node.c, cl_group.c, cl_resource.c; cl_enum.c, cl_registry.c;
 * cl_cluster.c; cl_notify*.c (in the order cl_notify_i.h gives); cl_handle.c,
 * cl_mount.c, cl_wstr.c;
 * cl_error.c. */
#ifndef CL_I_H
#define CL_I_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clusapi.h"

#define CL_EXPORT __attribute__((visibility("default")))
#define CL_ID_LEN 36

enum cl_kind {
	CL_CLUSTER = 1,
	CL_NODE,
	CL_GROUP,
	CL_RESOURCE,
	CL_NETWORK,
	CL_NETIF,
	CL_KEY,
	CL_PORT,
	CL_EVENT,
	CL_ENUM, /* HCLUSENUM, HGROUPENUM, HNODEENUM, HRESENUM */
	CL_NKINDS /* not a kind: the size of a table indexed by kind */
};

struct cl_port;

/* A cluster connection: the mount it reads and writes. */
struct cl_cluster {
	char *mount;
};

/* An enumeration snapshot: (type bit, UTF-8 name) items. */
struct cl_enum {
	DWORD *types;
	char **names;
	size_t n;
	int family; /* 1 cluster, 2 group, 3 node, 4 resource */
};

struct cl_obj {
	enum cl_kind kind;
	unsigned refs;	       /* guarded by the table lock */
	HANDLE handle;	       /* its table handle; NULL once closed */
	struct cl_obj *parent; /* the cluster it came from (a reference), or NULL */
	union {
		struct cl_cluster cluster;
		struct {
			char id[CL_ID_LEN + 1];
			char *name; /* name when opened (HANDLE_CLOSE's name if deleted) */
		} object;	    /* node, group, resource, network, netif */
		struct {
			char *path; /* registry path from the root, '\' separated; "" = root */
		} key;
		struct cl_port *port; /* CL_PORT and CL_EVENT */
		struct cl_enum en;
	} u;
};

/* cl_handle.c: the table at the bottom; it calls nothing else here. */
/* Declares, in the module that owns kind k, what frees its objects' data
 * (o->u's member, not o, which the table frees after it): destroy(o) runs
 * once, when the last reference goes, without the table lock. NULL: the
 * kind's objects own nothing but themselves. Registered when the library
 * loads, before any call can run. Use once per kind, at file scope, with
 * a semicolon. */
#define CL_HANDLE_KIND(k, destroy)                                                      \
	static void __attribute__((constructor)) cl_handle_kind_##k(void)               \
	{                                                                               \
		cl_handle_set_destructor(k, destroy);                                   \
	}                                                                               \
	_Static_assert((k) > 0 && (k) < CL_NKINDS, #k " is a handle kind")
void cl_handle_set_destructor(enum cl_kind k, void (*destroy)(struct cl_obj *o));
/* Puts o in the table (o->refs becomes 1, the table's); returns its handle,
 * or NULL (no memory). */
HANDLE cl_handle_new(struct cl_obj *o);
/* The same for an object that depends on parent (which it references):
 * 0 and *ret, or -EBADF (parent closed meanwhile) or -ENOMEM with o
 * freed. */
int cl_handle_child(struct cl_obj *parent, struct cl_obj *o, HANDLE *ret);
/* The object behind h if it is live and of kind k, with a reference taken;
 * NULL otherwise. */
struct cl_obj *cl_handle_get(HANDLE h, enum cl_kind k);
void cl_obj_ref(struct cl_obj *o);
/* True while o's handle is open. */
bool cl_obj_live(struct cl_obj *o);
void cl_obj_put(struct cl_obj *o);
/* Removes h from the table (if live and of kind k) and returns the object
 * with the table's reference, for the caller to put; NULL otherwise. */
struct cl_obj *cl_handle_take(HANDLE h, enum cl_kind k);
/* Calls fn on every live object whose parent is c (with a reference the
 * callee must put); used by CloseCluster. fn runs without the table
 * lock. */
void cl_handle_foreach_child(struct cl_obj *c, void (*fn)(struct cl_obj *o));
/* Calls fn(o, arg) on every live object of kind k (with a reference it
 * must put), without the table lock. */
void cl_handle_foreach_kind(enum cl_kind k, void (*fn)(struct cl_obj *o, void *arg), void *arg);
/* Frees an object that is in no table slot and has no references: its
 * kind's destructor, then o. NULL is a no-op. */
void cl_obj_free(struct cl_obj *o);

/* cl_error.c */
DWORD cl_set_error(DWORD e); /* sets the last error, returns e */
/* What each call reports for an errno; 0 means "use the generic mapping". */
struct cl_errmap {
	int err;
	DWORD code;
};
DWORD cl_win32(int neg_errno, const struct cl_errmap *map);

/* cl_wstr.c */
/* UTF-16 (NUL-terminated) -> UTF-8, malloc'd. -EINVAL for unpaired
 * surrogates, -ENOMEM. */
int cl_wide_to_utf8(LPCWSTR w, char **ret);
/* UTF-8 (len bytes) -> UTF-16 units appended to *buf (not terminated);
 * -EINVAL for invalid UTF-8. */
int cl_utf8_to_wide(const char *s, size_t len, WCHAR **ret, size_t *ret_units);
/* The cch convention: copies s (UTF-8) into buf of *cch WCHARs as UTF-16
 * with a NUL. On success *cch = length without the NUL and ERROR_SUCCESS;
 * when buf is NULL or too small, ERROR_MORE_DATA and *cch = the length
 * needed without the NUL. A NULL cch with a NULL buf is a no-op; a buf
 * without its cch is ERROR_INVALID_PARAMETER. */
DWORD cl_copy_out(const char *s, LPWSTR buf, LPDWORD cch);

/* cl_mount.c */
/* Resolves the mount for a cluster name (NULL: the local one). */
int cl_mount_resolve(const char *name, char **ret_mount);
/* Reads a whole file below the mount ("relative/path"); NUL-terminated. */
int cl_read(const char *mount, const char *rel, char **ret, size_t *ret_len);
/* Reads a one-line file and drops its trailing newline. */
int cl_read_line(const char *mount, const char *rel, char **ret);
/* Reads registry/<coll>/<id>/<prop> as one line. */
int cl_prop(const char *mount, const char *coll, const char *id, const char *prop, char **ret);
int cl_prop_u32(const char *mount, const char *coll, const char *id, const char *prop,
		uint32_t *ret);
/* Runs one control-file command: the words are quoted, joined with blanks
 * and written in one write(). NULL ends the list. 0 or -errno. */
int cl_control(const char *mount, const char *verb, ...) __attribute__((sentinel));
/* Several commands as one transaction: append lines, then run them in one
 * write() (which frees the buffer). */
struct cl_cmdbuf {
	char *buf;
	size_t len, cap;
};
int cl_cmd_vappend(struct cl_cmdbuf *b, const char *verb, va_list ap);
int cl_cmd_append(struct cl_cmdbuf *b, const char *verb, ...) __attribute__((sentinel));
int cl_cmd_run(const char *mount, struct cl_cmdbuf *b);
/* verb first words[0..n): one line. */
int cl_cmd_appendv(struct cl_cmdbuf *b, const char *verb, const char *first, const char **words,
		   size_t n);
/* Appends one word holding len arbitrary bytes (escaped) to the last line. */
int cl_cmd_append_bytes(struct cl_cmdbuf *b, const void *data, size_t len);
/* The entries of a directory below the mount, sorted (strcmp). */
int cl_list_dir(const char *mount, const char *rel, char ***ret, size_t *ret_n);
void cl_strv_free(char **v, size_t n);
/* The collection name in the registry and in the tree for an object kind. */
const char *cl_kind_coll(enum cl_kind k);
const char *cl_kind_dir(enum cl_kind k);
/* Looks up an object of kind k by name (exact, then ASCII case-insensitive)
 * or by id; fills id (CL_ID_LEN + 1) and *ret_name (malloc'd). */
int cl_lookup(const char *mount, enum cl_kind k, const char *name, char *id, char **ret_name);
/* The mount behind an object handle (its parent cluster's). */
const char *cl_mount_of(const struct cl_obj *o);
/* The object's current name (by its id). */
int cl_object_name(const struct cl_obj *o, char **ret);

/* cl_cluster.c: cluster handles, and what every object handle shares */
/* Gives o a handle below cluster c (NULL: none); NULL with the last error
 * set and o freed. */
HANDLE cl_object_adopt(struct cl_obj *c, struct cl_obj *o);
/* Opens a handle for an object of kind k below cluster c. */
HANDLE cl_object_open(struct cl_obj *c, enum cl_kind k, const char *id, const char *name);
/* Converts a wide name argument; sets the last error on failure. */
int cl_arg(LPCWSTR w, char **ret);
/* Closes an object handle of kind k (and queues HANDLE_CLOSE where it was
 * registered). */
BOOL cl_object_close(HANDLE h, enum cl_kind k);
/* Opens an object of kind k by name or id; ENOENT gives not_found. */
HANDLE cl_open_named(HCLUSTER hCluster, enum cl_kind k, LPCWSTR wname, DWORD not_found);
/* The object's State value (the Windows enum number). */
int cl_state_of(const struct cl_obj *o, uint32_t *ret);

/* cl_registry.c */
/* A key handle for path (from the root, '\\' separated) below cluster c. */
HKEY cl_key_open(struct cl_obj *c, const char *path);

/* cl_notify.c */
/* Queues HANDLE_CLOSE for o on every port where it is registered, and
 * drops those registrations. */
void cl_notify_handle_closed(struct cl_obj *o);
/* For the fuzz harness (fuzz/fuzz_clusapi_records.c): runs record text
 * through a port that has no descriptor, as port reads in pieces of chunk
 * bytes (0: one piece) would deliver it, with one V1 registration of every
 * bit (port key 1) and one V2 registration per object type with every
 * flag (keys 2..9). Each event is then copied out as GetClusterNotify and
 * GetClusterNotifyV2 would, into buffers of cch units. The mount is only
 * read (cluster name, resource types, node ids): a path that is no mount
 * reads as a daemon that went away. Returns the number of events, or
 * -ENOMEM. Not exported. */
long cl_notify_replay(const char *mount, const char *text, size_t len, size_t chunk, DWORD cch);

#endif
