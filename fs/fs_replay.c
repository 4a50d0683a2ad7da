/* SPDX-License-Identifier: MIT */
#include "fs_replay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct msg {
	int op;
	char a[PATH_MAX];
	char b[PATH_MAX];
};

struct ack {
	int err;
	struct stat st;
};

static int full_io(int fd, void *buf, size_t n, bool wr)
{
	char *p = buf;
	while (n) {
		ssize_t k = wr ? write(fd, p, n) : read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EPIPE;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int perform(const struct msg *m, struct stat *st)
{
	int r = 0, fd;
	switch (m->op) {
	case CFS_R_STAT:
		r = stat(m->a, st);
		break;
	case CFS_R_LSTAT:
		r = lstat(m->a, st);
		break;
	case CFS_R_MKDIR:
		r = mkdir(m->a, 0755);
		break;
	case CFS_R_MKNOD:
		r = mknod(m->a, S_IFREG | 0644, 0);
		break;
	case CFS_R_SYMLINK:
		r = symlink(m->b, m->a);
		break;
	case CFS_R_UNLINK:
		r = unlink(m->a);
		break;
	case CFS_R_RMDIR:
		r = rmdir(m->a);
		break;
	case CFS_R_RENAME:
		r = rename(m->a, m->b);
		break;
	case CFS_R_MODIFY:
		/* IN_OPEN, IN_MODIFY and IN_CLOSE_WRITE, as for a writer. */
		fd = open(m->a, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		r = fstat(fd, st);
		if (r == 0)
			r = ftruncate(fd, st->st_size);
		if (r < 0)
			r = -errno;
		close(fd);
		return r;
	case CFS_R_ATTRIB:
		r = utimensat(AT_FDCWD, m->a, NULL, AT_SYMLINK_NOFOLLOW);
		break;
	case CFS_R_CACHED: {
		struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
				       .resolve = RESOLVE_CACHED};
		if (stat(m->b, st) < 0)
			return -errno;
		fd = (int)syscall(SYS_openat2, AT_FDCWD, m->a, &how, sizeof(how));
		if (fd < 0)
			return errno == ENOSYS || errno == EINVAL || errno == E2BIG ? -EAGAIN : -errno;
		close(fd);
		return 0;
	}
	default:
		return -EINVAL;
	}
	return r < 0 ? -errno : 0;
}

static void child_loop(int in, int out)
{
	static struct msg m;
	struct ack a;
	/* Interactive signals are for the daemon; this one ends with its pipe
	 * or with its parent. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if (full_io(in, &m, sizeof(m), false) < 0)
			_exit(0);
		memset(&a, 0, sizeof(a));
		a.err = perform(&m, &a.st);
		if (full_io(out, &a, sizeof(a), true) < 0)
			_exit(0);
	}
}

int cfs_replayer_spawn(struct cfs_replayer *rp)
{
	int req[2], ack[2];
	if (pipe2(req, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ack, O_CLOEXEC) < 0) {
		int e = -errno;
		close(req[0]);
		close(req[1]);
		return e;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(req[0]);
		close(req[1]);
		close(ack[0]);
		close(ack[1]);
		return e;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		close(req[1]);
		close(ack[0]);
		child_loop(req[0], ack[1]);
	}
	close(req[0]);
	close(ack[1]);
	*rp = (struct cfs_replayer){.pid = pid, .req_fd = req[1], .ack_fd = ack[0]};
	return 0;
}

int cfs_replayer_call(struct cfs_replayer *rp, enum cfs_replay_op op, const char *a,
		      const char *b, struct stat *ret_st)
{
	static __thread struct msg m;
	struct ack k;
	if (rp->pid <= 0)
		return -ESRCH;
	memset(&m, 0, sizeof(m));
	m.op = op;
	if (strlen(a) >= sizeof(m.a) || (b && strlen(b) >= sizeof(m.b)))
		return -ENAMETOOLONG;
	strcpy(m.a, a);
	if (b)
		strcpy(m.b, b);
	int r = full_io(rp->req_fd, &m, sizeof(m), true);
	if (r == 0)
		r = full_io(rp->ack_fd, &k, sizeof(k), false);
	if (r < 0)
		return r;
	if (ret_st)
		*ret_st = k.st;
	return k.err;
}

void cfs_replayer_stop(struct cfs_replayer *rp)
{
	if (rp->pid <= 0)
		return;
	close(rp->req_fd);
	close(rp->ack_fd);
	for (int i = 0; i < 200; i++) {
		if (waitpid(rp->pid, NULL, WNOHANG) == rp->pid) {
			rp->pid = 0;
			return;
		}
		usleep(10000);
	}
	kill(rp->pid, SIGKILL);
	waitpid(rp->pid, NULL, 0);
	rp->pid = 0;
}
