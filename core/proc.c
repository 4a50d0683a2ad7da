/* SPDX-License-Identifier: MIT */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_MAX (64 * 1024)

int cfs_proc_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
#else
	(void)pid;
	return -ENOSYS;
#endif
}

/* Attributes and file actions shared by both kinds of spawn: a new
 * session, default signals, an empty mask, stdin from /dev/null, stdout
 * and stderr to out_fd, nothing else open. */
static int spawn(char *const argv[], char *const envp[], const char *cwd, int out_fd,
		 pid_t *ret_pid)
{
	posix_spawnattr_t at;
	posix_spawn_file_actions_t fa;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	int r = posix_spawnattr_init(&at);
	if (r)
		return -r;
	if ((r = posix_spawn_file_actions_init(&fa))) {
		posix_spawnattr_destroy(&at);
		return -r;
	}
	if (!r)
		r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
						      POSIX_SPAWN_SETSIGDEF);
	if (!r)
		r = posix_spawnattr_setsigmask(&at, &none);
	if (!r)
		r = posix_spawnattr_setsigdefault(&at, &all);
	if (!r)
		r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	if (!r)
		r = posix_spawn_file_actions_addchdir_np(&fa, cwd && *cwd ? cwd : "/");
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!r)
		r = posix_spawn(ret_pid, argv[0], &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return -r;
}

void cfs_proc_kill_group(pid_t pgid)
{
	if (pgid > 1)
		kill(-pgid, SIGKILL);
}

bool cfs_proc_group_alive(pid_t pgid)
{
	return pgid > 1 && kill(-pgid, 0) == 0;
}

int cfs_proc_run(char *const argv[], char *const envp[], const char *cwd, int timeout_ms,
		 struct cfs_buf *out, int *ret_status, volatile pid_t *ret_pgid)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid;
	int r = spawn(argv, envp, cwd, p[1], &pid);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return r;
	}
	if (ret_pgid)
		*ret_pgid = pid;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	int pfd = cfs_proc_pidfd(pid);
	int64_t deadline = cfs_mono_ns() + (int64_t)timeout_ms * 1000000;
	int status = 0;
	bool exited = false, timed_out = false, eof = false;
	char buf[4096];
	while (!exited) {
		int64_t left = (deadline - cfs_mono_ns()) / 1000000;
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd fds[2] = {{.fd = eof ? -1 : p[0], .events = POLLIN},
					{.fd = pfd, .events = POLLIN}};
		/* Without a pidfd, look at the child every 10 ms. */
		int wait = pfd < 0 && left > 10 ? 10 : (int)left;
		if (poll(fds, 2, wait) < 0 && errno != EINTR)
			break;
		if (fds[0].revents) {
			ssize_t n = read(p[0], buf, sizeof(buf));
			if (n > 0 && out && out->len < OUT_MAX)
				cfs_buf_append(out, buf, (size_t)n);
			else if (n == 0)
				eof = true;
		}
		if (pfd < 0 || fds[1].revents) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			exited = w == pid || (w < 0 && errno == ECHILD);
		}
	}
	if (!exited) {
		/* The whole group, so that nothing it started is left. */
		cfs_proc_kill_group(pid);
		waitpid(pid, &status, 0);
		for (int i = 0; i < 100 && cfs_proc_group_alive(pid); i++) {
			cfs_proc_kill_group(pid);
			usleep(10000);
		}
	}
	/* What is left in the pipe, without waiting for a descendant that
	 * keeps it open. */
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		if (out && out->len < OUT_MAX)
			cfs_buf_append(out, buf, (size_t)n);
	close(p[0]);
	if (pfd >= 0)
		close(pfd);
	if (timed_out)
		return -ETIME;
	if (!exited)
		return -ECHILD;
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

int cfs_proc_spawn(char *const argv[], char *const envp[], const char *cwd, const char *out_path,
		   pid_t *ret_pid)
{
	int fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		      0640);
	if (fd < 0)
		return -errno;
	if (access(argv[0], X_OK) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	int r = spawn(argv, envp, cwd, fd, ret_pid);
	close(fd);
	return r;
}

uint64_t cfs_proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold blanks and parentheses: fields count
	 * from the last ')'. Field 3 is the state, field 22 the start time. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}
