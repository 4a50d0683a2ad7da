/* SPDX-License-Identifier: MIT */
/* Kills processes with SIGKILL, saying when (scripts/bench-cluster.sh).
 *
 *   killts [PID...]
 *
 * Prints CLOCK_MONOTONIC in ns (the clock every network namespace
 * shares), then sends SIGKILL to each PID in turn; the time is the
 * start of a node's crash. Fails if a kill fails. With no PID it only
 * prints the time (the script's clock). */
#include "common.h"

#include <signal.h>

int main(int argc, char **argv)
{
	int64_t t = now_ns();
	int rc = 0;
	for (int i = 1; i < argc; i++)
		if (kill((pid_t)atoi(argv[i]), SIGKILL) < 0) {
			fprintf(stderr, "killts: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		}
	printf("%lld\n", (long long)t);
	return rc;
}
