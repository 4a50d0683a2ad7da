/* SPDX-License-Identifier: MIT */
/* Syscall wrappers for failure injection (see fault_inject.h).
 *
 * The build defines _FILE_OFFSET_BITS=64, which renames pwrite to pwrite64
 * in the headers; without it here, each wrapper defines exactly the symbol
 * it is named after. The executable must export them (export_dynamic) so
 * that shared libraries bind to them. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fault_inject.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
	int armed; /* atomic; the plan below is set before it */
	unsigned calls;
	char prefix[PATH_MAX];
	char suffix[PATH_MAX];
	int err;
	unsigned skip, times;
	unsigned seen, injected; /* atomic */
} fi;

void fi_arm(const struct fi_plan *plan)
{
	__atomic_store_n(&fi.armed, 0, __ATOMIC_SEQ_CST);
	fi.calls = plan->calls;
	snprintf(fi.prefix, sizeof(fi.prefix), "%s", plan->path_prefix ? plan->path_prefix : "");
	snprintf(fi.suffix, sizeof(fi.suffix), "%s", plan->path_suffix ? plan->path_suffix : "");
	fi.err = plan->err ? plan->err : EIO;
	fi.skip = plan->skip;
	fi.times = plan->times;
	__atomic_store_n(&fi.seen, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fi.injected, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fi.armed, 1, __ATOMIC_SEQ_CST);
}

void fi_disarm(void)
{
	__atomic_store_n(&fi.armed, 0, __ATOMIC_SEQ_CST);
}

unsigned fi_seen(void)
{
	return __atomic_load_n(&fi.seen, __ATOMIC_SEQ_CST);
}

unsigned fi_injected(void)
{
	return __atomic_load_n(&fi.injected, __ATOMIC_SEQ_CST);
}

static bool path_selected(int fd)
{
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return false;
	path[n] = '\0';
	size_t plen = strlen(fi.prefix), slen = strlen(fi.suffix);
	return strncmp(path, fi.prefix, plen) == 0 &&
	       ((size_t)n >= slen && strcmp(path + n - slen, fi.suffix) == 0);
}

/* Whether this call fails (then errno is set). Keeps errno otherwise. */
static bool inject(unsigned call, int fd)
{
	if (!__atomic_load_n(&fi.armed, __ATOMIC_SEQ_CST) || !(fi.calls & call))
		return false;
	int saved = errno;
	bool selected = path_selected(fd);
	errno = saved;
	if (!selected)
		return false;
	unsigned n = __atomic_add_fetch(&fi.seen, 1, __ATOMIC_SEQ_CST);
	if (n <= fi.skip)
		return false;
	unsigned done = __atomic_load_n(&fi.injected, __ATOMIC_SEQ_CST);
	do {
		if (fi.times && done >= fi.times)
			return false;
	} while (!__atomic_compare_exchange_n(&fi.injected, &done, done + 1, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	errno = fi.err;
	return true;
}

/* The next definition of a function (libc's, or a sanitizer's). */
#define REAL(name, type)                                                                           \
	({                                                                                         \
		static type real_;                                                                 \
		type f_ = __atomic_load_n(&real_, __ATOMIC_ACQUIRE);                               \
		if (!f_) {                                                                         \
			f_ = (type)dlsym(RTLD_NEXT, #name);                                        \
			__atomic_store_n(&real_, f_, __ATOMIC_RELEASE);                            \
		}                                                                                  \
		f_;                                                                                \
	})

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef int (*sync_fn)(int);

ssize_t write(int fd, const void *buf, size_t n)
{
	if (inject(FI_WRITE, fd))
		return -1;
	return REAL(write, write_fn)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (inject(FI_PWRITE, fd))
		return -1;
	return REAL(pwrite, pwrite_fn)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	if (inject(FI_PWRITE, fd))
		return -1;
	return REAL(pwrite64, pwrite64_fn)(fd, buf, n, off);
}

int fsync(int fd)
{
	if (inject(FI_FSYNC, fd))
		return -1;
	return REAL(fsync, sync_fn)(fd);
}

int fdatasync(int fd)
{
	if (inject(FI_FDATASYNC, fd))
		return -1;
	return REAL(fdatasync, sync_fn)(fd);
}
