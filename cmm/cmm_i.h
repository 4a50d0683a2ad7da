/* SPDX-License-Identifier: MIT */
/* libcgha_cmm internals (hidden: only the cmm_* API is exported).
 *
 * The library talks to the daemon only through the mount:
 *   local_node                 the name of this node
 *   nodes/N/{id,number,address,role,eligible,qualification,synchro,
 *            frozen,excluded,incarnation,swload,domain}
 *   control                    cmm-release, cmm-remove, cmm-setqualif, cmm-seize
 *   ports/clone                the notification fd (JSON Lines records)
 * Every call that touches the mount runs in a short-lived worker thread
 * and the caller waits at most the connection timeout (cmm_connect) for
 * it: a hung daemon gives CMM_ETIMEDOUT instead of a hung caller. The
 * waits are condition waits, which signals do not interrupt. */
#ifndef CMM_I_H
#define CMM_I_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "cmm.h"

/* One node as the mount shows it. */
struct cmmi_node {
	cmm_member_t m;
	char id[64];
};

/* A consistent-enough view: every node, and which one is this node. */
struct cmmi_view {
	struct cmmi_node *nodes;
	size_t n;
	ssize_t local; /* index of this node, -1 if not found */
};

/* The mount point: $CLUSTERFS_MOUNT, else /mnt/clusterfs. */
const char *cmmi_mount(void);

/* Runs fn(ctx) in a worker thread and waits up to timeout. Returns fn's
 * result (0 or -errno), or -ETIMEDOUT: then the worker owns ctx and calls
 * free_ctx(ctx) when fn returns. Otherwise ctx stays the caller's. */
int cmmi_run(int (*fn)(void *ctx), void *ctx, void (*free_ctx)(void *ctx),
	     const struct timespec *timeout);

/* The files of nodes/N/ a view reads, in the order cmmi_node_parse takes
 * their first lines. */
#define CMMI_NODE_FILES 12
extern const char *const cmmi_node_files[CMMI_NODE_FILES];
/* Fills *out from node name's file lines v (any strings: each is
 * truncated to its field, unknown words read as "no"). */
void cmmi_node_parse(const char *name, const char *const v[CMMI_NODE_FILES], struct cmmi_node *out);

/* Reads the whole view (bounded by timeout). 0 or -errno (-ENOTCONN when
 * there is no clusterfs mount). */
int cmmi_view_load(struct cmmi_view *v, const struct timespec *timeout);
void cmmi_view_free(struct cmmi_view *v);
struct cmmi_node *cmmi_view_by_id(struct cmmi_view *v, cmm_nodeid_t nodeid);
struct cmmi_node *cmmi_view_role(struct cmmi_view *v, uint32_t role_bit);

/* Writes one command line to control; 0 or the -errno the daemon gave. */
int cmmi_control(const char *line, const struct timespec *timeout);

/* Opens ports/clone (O_RDWR, non-blocking, close-on-exec) and registers
 * the filter the library needs. The fd, or -errno. */
int cmmi_port_open(const struct timespec *timeout);
/* Reads what is pending on fd (non-blocking) into *out (malloc'd, *len
 * bytes). 0, or -errno; -EPIPE at end of file (the port is gone). */
/* Reads what the port has; takes ownership of dupfd (a duplicate of the
 * port's fd made by the caller). */
int cmmi_port_read(int dupfd, char **out, size_t *len, const struct timespec *timeout);

/* One record, as far as notifications care (cmm_rec.c). A node's "added"
 * record only teaches the node's number (learn). */
struct cmmi_rec {
	bool cluster, learn;
	cmm_nodeid_t number;
	char id[64];
	char old[16], new[16];
};
/* Parses one record line (NUL-terminated, no newline): 1 and *r when it
 * is a record that makes notifications, 0 when it is not (*r untouched),
 * -1 when it says the port is gone. */
int cmmi_rec_parse(const char *line, struct cmmi_rec *r);
/* The notification kinds of a record, in order: how many (0 to 2). */
int cmmi_rec_kinds(const struct cmmi_rec *r, cmm_cmchanges_t out[2]);

/* errno (positive) -> CMM code: the one mapping place. */
cmm_error_t cmmi_error(int err);

#endif
