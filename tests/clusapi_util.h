/* SPDX-License-Identifier: MIT */
/* Shared by the libclusapi tests: a daemon per test (the mount harness)
 * with CLUSTERFS_MOUNT pointing at it, and string helpers. */
#ifndef CFS_CLUSAPI_UTIL_H
#define CFS_CLUSAPI_UTIL_H

#include <clusapi.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mount_checks.h"
#include "mount_harness.h"

static inline void cl_setup(void)
{
	mnt_setup();
	setenv("CLUSTERFS_MOUNT", M.mnt, 1);
}

/* UTF-8 -> UTF-16 in one of 16 rotating static buffers. */
static inline LPWSTR W(const char *s)
{
	static WCHAR bufs[16][512];
	static int i;
	LPWSTR w = ClusapiUtf8ToWide(s);
	cr_assert_not_null(w, "bad UTF-8: %s", s);
	WCHAR *b = bufs[i++ % 16];
	size_t n = ClusapiWideLen(w);
	cr_assert_lt(n, 512);
	memcpy(b, w, (n + 1) * sizeof(WCHAR));
	ClusapiFree(w);
	return b;
}

/* UTF-16 -> UTF-8 in one of 16 rotating static buffers. */
static inline const char *U(LPCWSTR w)
{
	static char bufs[16][1536];
	static int i;
	char *s = ClusapiWideToUtf8(w);
	cr_assert_not_null(s);
	char *b = bufs[i++ % 16];
	snprintf(b, 1536, "%s", s);
	ClusapiFree(s);
	return b;
}

/* Runs a shell script in the mount ($M); returns its stdout (static, one
 * trailing newline dropped) and asserts success. */
static inline const char *shx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline const char *shx(const char *fmt, ...)
{
	static char last[8192];
	char *script = NULL, *out = NULL, *err = NULL;
	va_list ap;
	va_start(ap, fmt);
	cr_assert_geq(vasprintf(&script, fmt, ap), 0);
	va_end(ap);
	int rc = sh(&M, &out, &err, "set -e; cd \"$M\"; %s", script);
	cr_assert_eq(rc, 0, "script failed (%d): %s\nstderr: %s", rc, script, err ? err : "");
	snprintf(last, sizeof(last), "%s", out ? out : "");
	size_t n = strlen(last);
	if (n && last[n - 1] == '\n')
		last[n - 1] = '\0';
	free(script);
	free(out);
	free(err);
	return last;
}

/* Control-file lines, each a shell word ('...'), written in one write()
 * as one transaction. The arguments are joined with blanks. */
static inline const char *ctl_run(const char *first, ...)
{
	char words[4096] = "";
	va_list ap;
	va_start(ap, first);
	for (const char *w = first; w; w = va_arg(ap, const char *)) {
		strncat(words, w, sizeof(words) - strlen(words) - 2);
		strcat(words, " ");
	}
	va_end(ap);
	return shx("printf '%%s\\n' %s > \"$D/.c\"; cat \"$D/.c\" > control", words);
}
#define CTL(...) ctl_run(__VA_ARGS__, NULL)

static inline const char *host(void)
{
	static char h[256];
	if (!h[0])
		cr_assert_eq(gethostname(h, sizeof(h) - 1), 0);
	return h;
}

#endif
