/* SPDX-License-Identifier: MIT */
/* The daemon's log: stderr in the foreground, syslog otherwise. core/ never
 * logs; fs/ and the daemon do, through this. */
#ifndef CFS_LOG_H
#define CFS_LOG_H

#include <stdbool.h>
#include <syslog.h>

void cfs_log_init(bool use_syslog, bool debug);
void cfs_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
