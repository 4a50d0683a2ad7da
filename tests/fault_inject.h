/* SPDX-License-Identifier: MIT */
/* Failure injection for unit tests, after libqb's tests/_failure_injection.c:
 * the test binary that links fault_inject.c defines write, pwrite,
 * pwrite64, fsync and fdatasync itself. Every caller in the process (core/
 * linked statically, SQLite through its PLT) reaches these wrappers first;
 * they pass each call on to the next definition (dlsym(RTLD_NEXT): libc, or
 * a sanitizer's interceptor) unless a fault is armed.
 *
 * An armed fault fails the calls it selects: the functions in `calls`, on a
 * descriptor whose file path starts with `path_prefix` and ends with
 * `path_suffix` (NULL or "": any), after `skip` such calls went through,
 * `times` times (0: until disarmed). A failing write or sync returns -1
 * with errno set to `err`; nothing reaches the file.
 *
 * Arming and disarming may race with the calls (SQLite runs on the
 * engine's committer thread): the plan is published before the switch and
 * the counters are atomic. Arm only while no selected call is in flight if
 * the exact call that fails matters. */
#ifndef CFS_FAULT_INJECT_H
#define CFS_FAULT_INJECT_H

#include <stdbool.h>

enum fi_call {
	FI_WRITE = 1u << 0,
	FI_PWRITE = 1u << 1,   /* pwrite and pwrite64 */
	FI_FSYNC = 1u << 2,
	FI_FDATASYNC = 1u << 3,
};

struct fi_plan {
	unsigned calls; /* enum fi_call bits */
	const char *path_prefix;
	const char *path_suffix;
	int err;	/* errno of a failed call (EIO when 0) */
	unsigned skip;	/* selected calls let through first */
	unsigned times; /* failures to inject; 0: every selected call */
};

/* Arms a fault (replacing any armed one) and clears the counters. The
 * strings are copied. */
void fi_arm(const struct fi_plan *plan);
void fi_disarm(void);
/* Selected calls seen while armed, and failures injected, since fi_arm(). */
unsigned fi_seen(void);
unsigned fi_injected(void);

#endif
