/* SPDX-License-Identifier: MIT */
/* Cluster tests: a real N-node Corosync cluster on this machine, one
 * network namespace per node, and one clusterfs daemon per node
 * (--backend=corosync), each mounted in this mount namespace
 * (scripts/cluster.sh does the work).
 *
 * Nothing outlives a test, even one that crashes or is killed: cl_up()
 * first forks a guard process that holds the read end of a pipe whose
 * write end only the test process has; when the test process ends, for
 * whatever reason, the guard sees the pipe close and runs
 * `cluster.sh down` (daemons, mounts, Corosyncs, namespaces) and removes
 * the test's directory. cl_down() does the same at once and waits. */
#ifndef CFS_CLUSTER_HARNESS_H
#define CFS_CLUSTER_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

struct cluster {
	int n;
	char base[128];	  /* the test's directory: node i lives in base/n<i> */
	char prefix[32];  /* namespaces prefix-n<i>, prefix-hub */
	pid_t guard;
	int guard_fd;	  /* the write end the guard watches */
};

extern struct cluster C;

/* Skips the test when this machine cannot run clusters (not root, no
 * corosync, no FUSE). */
void cl_require(void);
/* Starts n nodes and waits until every node's daemon is synced and
 * quorate; extra is passed to every daemon. Asserts on failure. */
void cl_up(int n, const char *extra);
/* Tears everything down (also safe when nothing runs). */
void cl_down(void);

/* Runs a bash script with $M set to node i's mount point (i from 1),
 * $B to the test's directory, $CL to "scripts/cluster.sh -d B -p P", and
 * $M1..$M<n> to every node's mount point. Returns the exit status; stdout
 * and stderr (each may be NULL) are malloc'd. */
int cl_sh(int i, char **out, char **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Runs the script on node i, asserts exit 0, returns stdout (malloc'd). */
char *cl_out(int i, const char *fmt, ...) __attribute__((format(printf, 2, 3), warn_unused_result));
/* Polls (every 20 ms, up to secs) until the script on node i prints
 * want (its stdout, without the trailing newline). Returns true when it
 * did. */
bool cl_wait(int i, double secs, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
