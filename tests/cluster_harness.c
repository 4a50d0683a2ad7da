/* SPDX-License-Identifier: MIT */
#include "cluster_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mount_harness.h"
#include "test_tmp.h"

struct cluster C;

static const char *cluster_sh(void)
{
	const char *p = getenv("CLUSTER_SH");
	cr_assert_not_null(p, "CLUSTER_SH is not set");
	return p;
}

void cl_require(void)
{
	if (geteuid() != 0)
		cr_skip_test("cluster tests need root (network namespaces)");
	if (access("/usr/sbin/corosync", X_OK) != 0)
		cr_skip_test("corosync is not installed");
	mnt_require_fuse();
}

/* The guard: runs in its own session so that nothing that kills the
 * test's process group kills it too, holds no descriptor but its pipe, and
 * tears the cluster down once the test process is gone. */
static void guard_main(int rfd)
{
	setsid();
	for (int fd = 0; fd < 1024; fd++)
		if (fd != rfd)
			close(fd);
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	char c;
	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "bash '%s' down -d '%s' -p '%s'; rm -rf '%s'", cluster_sh(),
		 C.base, C.prefix, C.base);
	execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
	_exit(127);
}

static void start_guard(void)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	(void)cluster_sh();
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[1]);
		guard_main(p[0]);
	}
	close(p[0]);
	C.guard = pid;
	C.guard_fd = p[1];
}

static int vrun(int i, char **out, char **err, const char *fmt, va_list ap)
{
	char *script;
	cr_assert_geq(vasprintf(&script, fmt, ap), 0);
	char cl[512], mnt[9][256];
	const char *env[2 * 12 + 1] = {0};
	size_t k = 0;
	snprintf(cl, sizeof(cl), "bash %s -d %s -p %s", cluster_sh(), C.base, C.prefix);
	env[k++] = "B";
	env[k++] = C.base;
	env[k++] = "CL";
	env[k++] = cl;
	for (int n = 1; n <= C.n && n < 9; n++) {
		static const char *const names[] = {"", "M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8"};
		snprintf(mnt[n], sizeof(mnt[n]), "%s/n%d/mnt", C.base, n);
		env[k++] = names[n];
		env[k++] = mnt[n];
	}
	if (i >= 1 && i < 9) {
		env[k++] = "M";
		env[k++] = mnt[i];
	}
	int r = bash_env(env, out, err, script);
	free(script);
	return r;
}

int cl_sh(int i, char **out, char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vrun(i, out, err, fmt, ap);
	va_end(ap);
	return r;
}

char *cl_out(int i, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out, *err;
	int r = vrun(i, &out, &err, fmt, ap);
	va_end(ap);
	if (r != 0) {
		/* What the daemons said, for the report. */
		char *logs = NULL, *ignored = NULL;
		cl_sh(0, &logs, &ignored,
		      "for f in $B/n*/log/clusterfs.log; do echo \"--- $f\"; tail -n 15 $f; done");
		cr_assert_fail("node %d: script failed (%d): %s\nstderr: %s\n%s", i, r, fmt, err,
			       logs ? logs : "");
	}
	free(err);
	return out;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

bool cl_wait(int i, double secs, const char *want, const char *fmt, ...)
{
	double until = now_s() + secs;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		char *out = NULL;
		vrun(i, &out, NULL, fmt, ap);
		va_end(ap);
		size_t n = out ? strlen(out) : 0;
		while (n && out[n - 1] == '\n')
			out[--n] = '\0';
		bool ok = out && strcmp(out, want) == 0;
		free(out);
		if (ok)
			return true;
		if (now_s() > until)
			return false;
		usleep(20000);
	}
}

void cl_up(int n, const char *extra)
{
	memset(&C, 0, sizeof(C));
	C.n = n;
	C.guard_fd = -1;
	snprintf(C.base, sizeof(C.base), "%s/cfs-cluster.XXXXXX", cfs_test_tmp());
	cr_assert_not_null(mkdtemp(C.base));
	snprintf(C.prefix, sizeof(C.prefix), "cfst%d", (int)getpid());
	/* For scripts/test.sh's last-resort clean-up. */
	char mark[256];
	snprintf(mark, sizeof(mark), "%s/prefix.%s", C.base, C.prefix);
	FILE *f = fopen(mark, "w");
	if (f)
		fclose(f);
	start_guard();
	const char *bin = getenv("CLUSTERFS_BIN");
	cr_assert_not_null(bin, "CLUSTERFS_BIN is not set");
	char *out = NULL, *err = NULL;
	int r = cl_sh(0, &out, &err,
		      "CLUSTERFS='%s' $CL up -n %d -- --cache-timeout=3600 %s >/dev/null", bin, n,
		      extra ? extra : "");
	if (r != 0) {
		char *logs = NULL;
		cl_sh(0, &logs, NULL, "tail -n 20 $B/n*/log/* 2>&1");
		cl_down();
		cr_assert_fail("cluster.sh up failed (%d): %s\n%s", r, err, logs ? logs : "");
	}
	free(out);
	free(err);
	for (int i = 1; i <= n; i++) {
		if (cl_wait(i, 20, "quorate", "cat $M/quorum"))
			continue;
		char *logs = NULL;
		cl_sh(0, &logs, NULL,
		      "for d in $B/n*; do echo \"--- $d\"; cat $d/mnt/quorum; tail -n 15 $d/log/*; done "
		      "2>&1");
		cl_down();
		cr_assert_fail("node %d never became quorate\n%s", i, logs ? logs : "");
	}
}

void cl_down(void)
{
	if (C.guard_fd < 0 || !C.guard)
		return;
	close(C.guard_fd);
	C.guard_fd = -1;
	int st;
	while (waitpid(C.guard, &st, 0) < 0 && errno == EINTR)
		;
	C.guard = 0;
}
