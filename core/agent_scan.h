/* SPDX-License-Identifier: MIT */
/* Finding OCF agents and keeping them as resource types (agent_scan.c). */
#ifndef CFS_AGENT_SCAN_H
#define CFS_AGENT_SCAN_H

#include <stdbool.h>
#include <syslog.h>

#include "engine.h"

/* One pass over root/resource.d: registers (type-agent) the agents that
 * are new or changed, deletes the types of agents that are gone and that
 * no resource uses. Runs commands through the engine and waits for them;
 * stops early when *stop becomes true. 0 or -errno. */
int cfs_agent_scan(struct cfs_engine *e, const char *root, void (*log)(int, const char *, ...),
		   const volatile bool *stop);

#endif
