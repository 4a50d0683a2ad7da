/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static bool log_syslog;
static bool log_debug;

void cfs_log_init(bool use_syslog, bool debug)
{
	log_syslog = use_syslog;
	log_debug = debug;
	if (use_syslog)
		openlog("clusterfs", LOG_PID, LOG_DAEMON);
}

void cfs_log(int prio, const char *fmt, ...)
{
	if (prio == LOG_DEBUG && !log_debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		static const char *const names[] = {"emerg", "alert", "crit", "error",
						    "warning", "notice", "info", "debug"};
		char line[2048];
		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "clusterfs: %s: %s\n", names[prio & 7], line);
	}
	va_end(ap);
}
