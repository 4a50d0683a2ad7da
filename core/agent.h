/* SPDX-License-Identifier: MIT */
/* Resource agents: the jobs a resource type does on its node.
 *
 *   agent_ocf.c    OCF agents (OCF_ROOT/resource.d/PROVIDER/AGENT ACTION)
 *   agent_app.c    Generic Application (a supervised process) and Generic
 *                  Script (SCRIPT start|stop|monitor)
 *   agent_ip.c     IP Address (the address on an interface, as IPaddr2)
 *
 * An action runs synchronously on the calling thread (a supervisor
 * worker), never under a lock of the daemon, and ends within its timeout:
 * what it started is then killed, its whole process group. Results follow
 * the OCF convention whatever the kind of agent: 0 success (for monitor:
 * running), 7 not running, anything else an error; -ETIME when the action
 * timed out. Nothing here logs: the supervisor logs what a result says. */
#ifndef CFS_AGENT_H
#define CFS_AGENT_H

#include <stdint.h>
#include <sys/types.h>

#include "restype.h"
#include "util.h"

enum cfs_agent_action {
	CFS_ACT_START,
	CFS_ACT_STOP,
	CFS_ACT_MONITOR,
	CFS_ACT_VALIDATE,
};

/* OCF exit codes. */
enum {
	CFS_OCF_SUCCESS = 0,
	CFS_OCF_ERR_GENERIC = 1,
	CFS_OCF_ERR_ARGS = 2,
	CFS_OCF_ERR_UNIMPLEMENTED = 3,
	CFS_OCF_ERR_PERM = 4,
	CFS_OCF_ERR_INSTALLED = 5,
	CFS_OCF_ERR_CONFIGURED = 6,
	CFS_OCF_NOT_RUNNING = 7,
};

/* What an action needs, copied out of the model. */
struct cfs_agent_ctx {
	enum cfs_agent_kind kind;
	char *res_id;
	char *res_name;
	char *type_name;
	struct cfs_vec params;	     /* char *: "name=value", the resource's parameters */
	uint32_t timeout_ms;	     /* the action's */
	uint32_t monitor_interval_ms;
	const char *ocf_root;	     /* /usr/lib/ocf */
	const char *run_dir;	     /* where pid files and outputs go (it exists) */
};

struct cfs_agent_result {
	int rc;
	struct cfs_buf out; /* the action's output (stdout and stderr) */
	char *reason;	    /* one line saying why, when rc is not 0 (or NULL) */
};

/* Runs an action. *pgid (may be NULL) gets the process group of a child
 * while it runs, so that a stopping supervisor can kill it. Returns 0 (the
 * outcome is in res->rc) or -errno when the action could not be run. */
int cfs_agent_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
		  struct cfs_agent_result *res, volatile pid_t *pgid);
void cfs_agent_result_free(struct cfs_agent_result *res);
void cfs_agent_ctx_free(struct cfs_agent_ctx *c);
/* A parameter of c, or NULL. */
const char *cfs_agent_param(const struct cfs_agent_ctx *c, const char *name);
const char *cfs_agent_action_name(enum cfs_agent_action a);
/* Sets res->reason (printf-style), replacing any. */
void cfs_agent_reason(struct cfs_agent_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Per kind (called by cfs_agent_run). */
int cfs_agent_ocf_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
		      struct cfs_agent_result *res, volatile pid_t *pgid);
int cfs_agent_app_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
		      struct cfs_agent_result *res, volatile pid_t *pgid);
int cfs_agent_script_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
			 struct cfs_agent_result *res, volatile pid_t *pgid);
int cfs_agent_ip_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
		     struct cfs_agent_result *res, volatile pid_t *pgid);

/* A Generic Application's process, when this node runs it (from its pid
 * file, checked against the process's start time); 0 otherwise. */
pid_t cfs_agent_app_pid(const struct cfs_agent_ctx *c);

/* The path of an OCF type's agent ("ocf:heartbeat:Dummy" ->
 * OCF_ROOT/resource.d/heartbeat/Dummy), malloc'd; NULL for a bad name. */
char *cfs_agent_ocf_path(const char *ocf_root, const char *type_name);

#endif
