/* SPDX-License-Identifier: MIT */
/* What a resource type means: whether its resources run an agent, which
 * parameters they take, and the restart policy's values.
 *
 * Everything here is computed from the registry alone (and from tables
 * compiled in), so the state machine may ask it: every node gets the same
 * answer.
 *
 *  - A type named "ocf:PROVIDER:AGENT" runs the OCF agent
 *    OCF_ROOT/resource.d/PROVIDER/AGENT. Its parameters are described
 *    under its key, ResourceTypes\<id>\Parameters, one REG_SZ value per
 *    parameter: "CONTENT [required] [unique] [default=TEXT]" (the agent's
 *    meta-data, written by the daemon that found the agent).
 *  - "Generic Application", "Generic Script" and "IP Address" run their
 *    built-in jobs, with parameter lists compiled in. A resource of one of
 *    them runs its job once its main parameter (CommandLine,
 *    ScriptFilepath, Address) is set; until then it is a placeholder that
 *    runs nothing, as the bootstrap's "Cluster IP Address" is.
 *  - Every other type is state-only: its resources change state at once
 *    and run nothing.
 *
 * A resource's parameters are the REG_SZ values of its key's
 * "Parameters" subkey, as Windows keeps a resource's private properties. */
#ifndef CFS_RESTYPE_H
#define CFS_RESTYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* Registry names. */
#define CFS_P_PARAMETERS "Parameters"
#define CFS_P_RESTART_ACTION "RestartAction"
#define CFS_P_RESTART_THRESHOLD "RestartThreshold"
#define CFS_P_RESTART_PERIOD "RestartPeriod"
#define CFS_P_PENDING_TIMEOUT "PendingTimeout"
#define CFS_P_MONITOR_INTERVAL "LooksAlivePollInterval"
/* Kept by the state machine on a resource (managed): restarts made in the
 * current period and when that period began (ns since the epoch, the
 * failing command's stamped time); and 1 when a clean stop of its node
 * took it offline, so that the node's next start brings it back. */
#define CFS_P_RESTART_COUNT "RestartCount"
#define CFS_P_RESTART_WINDOW "RestartPeriodStart"
#define CFS_P_PERSISTENT_STATE "PersistentState"
/* On a group while it moves (managed): the node it goes to and the ids of
 * the resources to bring online there. */
#define CFS_P_MOVE_TARGET "MoveTarget"
#define CFS_P_MOVE_RESOURCES "MoveResources"
/* On an OCF type: the agent file's "mtime size" when its meta-data was
 * read (so that a restart reads it again only when the agent changed). */
#define CFS_P_AGENT_STAMP "AgentStamp"

enum cfs_agent_kind {
	CFS_AGENT_NONE,	  /* state-only */
	CFS_AGENT_OCF,	  /* ocf:PROVIDER:AGENT */
	CFS_AGENT_APP,	  /* Generic Application */
	CFS_AGENT_SCRIPT, /* Generic Script */
	CFS_AGENT_IP,	  /* IP Address */
};

/* The kind of job a type's name stands for. */
enum cfs_agent_kind cfs_type_agent_kind(const char *type_name);
/* The kind of job resource r runs now: NONE for state-only types and for
 * built-in types whose main parameter is not set. */
enum cfs_agent_kind cfs_res_agent_kind(const struct cfs_model *m, const struct cfs_object *r);
static inline bool cfs_res_runs_agent(const struct cfs_model *m, const struct cfs_object *r)
{
	return cfs_res_agent_kind(m, r) != CFS_AGENT_NONE;
}

/* One parameter of a type. Strings point into the definition's storage. */
struct cfs_param_def {
	char *name;
	char *content; /* "string", "integer", "boolean", ... */
	bool required;
	bool unique;
	char *dflt;    /* NULL: none */
};

/* A type's parameters, sorted by name (n = 0 and known = false when the
 * type has no list: then any parameter is accepted). */
struct cfs_param_list {
	struct cfs_param_def *v;
	size_t n;
	bool known;
};
/* Fills the list of type (a resource type object); 0 or -ENOMEM. */
int cfs_type_params(const struct cfs_model *m, const struct cfs_object *type,
		    struct cfs_param_list *ret);
void cfs_param_list_free(struct cfs_param_list *l);
/* The definition of name in l, or NULL. */
const struct cfs_param_def *cfs_param_find(const struct cfs_param_list *l, const char *name);
/* Parses a definition value ("integer required default=5"); the strings
 * are malloc'd into def (free with cfs_param_def_free). 0/-EINVAL/-ENOMEM. */
int cfs_param_def_parse(const char *name, const char *text, struct cfs_param_def *def);
void cfs_param_def_free(struct cfs_param_def *def);
/* Checks a parameter value against its definition (NULL: anything goes).
 * 0 or -EINVAL with a reason. */
int cfs_param_check(const struct cfs_param_def *def, const char *value, const char **ret_why);

/* A resource's parameter (REG_SZ of its Parameters key), or NULL. */
const char *cfs_res_param(const struct cfs_object *r, const char *name);

/* --- the restart policy --- */

enum cfs_restart_action {
	CFS_RESTART_NONE = 0,	  /* ClusterResourceDontRestart */
	CFS_RESTART_LOCAL = 1,	  /* ClusterResourceRestartNoNotify */
	CFS_RESTART_FAILOVER = 2, /* ClusterResourceRestartNotify: then fail the group over */
};

/* A policy property: its file name, registry name, range and default. */
struct cfs_policy_prop {
	const char *file;  /* "restart_action" */
	const char *value; /* "RestartAction" */
	uint32_t min, max;
	uint32_t dflt;	   /* when neither the resource nor its type has it */
};
/* The five properties, NULL-file terminated. */
extern const struct cfs_policy_prop cfs_policy_props[];
/* By file or registry name (case-insensitive), or NULL. */
const struct cfs_policy_prop *cfs_policy_find(const char *name);
/* Parses what a file or the control file takes: restart_action takes
 * norestart, restart, failover or 0..2; times take milliseconds, or a
 * number with ms, s, m or h. 0 or -EINVAL with a reason. */
int cfs_policy_parse(const struct cfs_policy_prop *p, const char *text, uint32_t *ret,
		     const char **ret_why);
/* The word or number a file shows ("failover\n", "5000\n"), appended. */
int cfs_policy_format(const struct cfs_policy_prop *p, uint32_t v, struct cfs_buf *out);
/* The value in force for r: its own, else its type's, else the default. */
uint32_t cfs_res_policy(const struct cfs_model *m, const struct cfs_object *r,
			const struct cfs_policy_prop *p);
/* Whether r has a value of its own. */
bool cfs_res_policy_own(const struct cfs_object *r, const struct cfs_policy_prop *p);

#endif
