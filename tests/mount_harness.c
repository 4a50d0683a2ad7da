/* SPDX-License-Identifier: MIT */
#include "mount_harness.h"
#include "test_tmp.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC 0x65735546

struct mnt M;

void mnt_require_fuse(void)
{
	if (access("/dev/fuse", R_OK | W_OK) != 0)
		cr_skip_test("/dev/fuse is not usable here");
}

void mnt_setup(void)
{
	mnt_require_fuse();
	mnt_start(&M, NULL);
}

void mnt_teardown(void)
{
	mnt_cleanup(&M);
}

static bool is_mounted(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == FUSE_SUPER_MAGIC;
}

static void make_dirs(struct mnt *m)
{
	if (m->dir[0])
		return;
	snprintf(m->dir, sizeof(m->dir), "%s/cfs-test.XXXXXX", cfs_test_tmp());
	cr_assert_not_null(mkdtemp(m->dir), "mkdtemp: %s", strerror(errno));
	snprintf(m->mnt, sizeof(m->mnt), "%s/mnt", m->dir);
	snprintf(m->state, sizeof(m->state), "%s/state", m->dir);
	snprintf(m->log, sizeof(m->log), "%s/daemon.log", m->dir);
	cr_assert_eq(mkdir(m->mnt, 0755), 0);
}

void mnt_start(struct mnt *m, const char *extra)
{
	make_dirs(m);
	const char *bin = getenv("CLUSTERFS_BIN");
	if (!bin)
		mnt_cleanup(m);
	cr_assert_not_null(bin, "CLUSTERFS_BIN is not set");
	char cmd[PATH_MAX * 4];
	snprintf(cmd, sizeof(cmd), "exec '%s' -f --state-dir '%s' --cluster-name testcluster %s '%s' >>'%s' 2>&1",
		 bin, m->state, extra ? extra : "", m->mnt, m->log);
	pid_t parent = getpid();
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Die with the test: a crashed test must not leave a mount. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	m->pid = pid;
	for (int i = 0; i < 1000; i++) {
		if (is_mounted(m->mnt)) {
			char name[PATH_MAX + sizeof("/name")];
			snprintf(name, sizeof(name), "%s/name", m->mnt);
			if (access(name, R_OK) == 0)
				return;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			m->pid = 0;
			char *log = NULL;
			sh(m, &log, NULL, "cat \"$D/daemon.log\"");
			/* A failing .init gets no .fini: clean up here. */
			mnt_cleanup(m);
			cr_assert_fail("daemon exited before mounting: %s", log ? log : "");
		}
		usleep(10000);
	}
	mnt_cleanup(m);
	cr_assert_fail("daemon did not mount within 10 s");
}

static void wait_gone(struct mnt *m, int sig)
{
	if (m->pid <= 0)
		return;
	kill(m->pid, sig);
	for (int i = 0; i < 1000; i++) {
		int st;
		pid_t r = waitpid(m->pid, &st, WNOHANG);
		if (r == m->pid || (r < 0 && errno == ECHILD))
			break;
		usleep(10000);
		if (i == 500)
			kill(m->pid, SIGKILL);
	}
	m->pid = 0;
}

void mnt_stop_daemon(struct mnt *m)
{
	wait_gone(m, SIGTERM);
}

void mnt_kill9(struct mnt *m)
{
	wait_gone(m, SIGKILL);
}

void mnt_cleanup(struct mnt *m)
{
	if (!m->dir[0])
		return;
	wait_gone(m, SIGTERM);
	if (is_mounted(m->mnt) || access(m->mnt, F_OK) != 0) {
		if (umount2(m->mnt, MNT_DETACH) != 0) {
			char cmd[PATH_MAX + 64];
			snprintf(cmd, sizeof(cmd), "fusermount3 -u -z '%s' 2>/dev/null", m->mnt);
			if (system(cmd) != 0) {
				/* Nothing mounted after all. */
			}
		}
	}
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
	if (system(cmd) != 0) {
		/* Best effort: reported by the leak check of the test runner. */
	}
	memset(m, 0, sizeof(*m));
}

static char *read_all(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 1024 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

int bash_env(const char *const *env, char **out, char **err, const char *script)
{
	char ofile[] = "/tmp/.cfs-out.XXXXXX", efile[] = "/tmp/.cfs-err.XXXXXX";
	int ofd = mkstemp(ofile), efd = mkstemp(efile);
	cr_assert(ofd >= 0 && efd >= 0);
	pid_t pid = fork();
	if (pid == 0) {
		for (size_t i = 0; env && env[i] && env[i + 1]; i += 2)
			setenv(env[i], env[i + 1], 1);
		/* meson test sets MALLOC_PERTURB_ so that glibc fills every
		 * allocation: good for our daemon and libraries (started
		 * elsewhere, they keep it), but coreutils' cat allocates
		 * about 768 KiB per file it reads, so a snapshot of a large
		 * tree spent most of its time in memset (a 4x slower suite). */
		unsetenv("MALLOC_PERTURB_");
		dup2(ofd, 1);
		dup2(efd, 2);
		execl("/bin/bash", "bash", "-c", script, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	char *o = read_all(ofd), *e = read_all(efd);
	close(ofd);
	close(efd);
	unlink(ofile);
	unlink(efile);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int vsh(struct mnt *m, char **out, char **err, const char *fmt, va_list ap)
{
	char *script;
	cr_assert_geq(vasprintf(&script, fmt, ap), 0);
	const char *env[] = {"M", m->mnt, "S", m->state, "D", m->dir, NULL};
	int r = bash_env(env, out, err, script);
	free(script);
	return r;
}

int sh(struct mnt *m, char **out, char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsh(m, out, err, fmt, ap);
	va_end(ap);
	return r;
}

char *shout(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out, *err;
	int r = vsh(&M, &out, &err, fmt, ap);
	va_end(ap);
	cr_assert_eq(r, 0, "script failed (%d): %s\nstderr: %s", r, fmt, err);
	free(err);
	return out;
}

int shrc(char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsh(&M, NULL, err, fmt, ap);
	va_end(ap);
	return r;
}
