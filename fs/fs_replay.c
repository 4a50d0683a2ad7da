/* SPDX-License-Identifier: MIT */
#include "fs_replay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A request: this header, then a and b with their NULs (alen and blen
 * bytes). Only what the paths need crosses the pipe: a fixed 8 KiB message
 * cost two more pages to copy each way per call. */
struct msg_hdr {
	int op;
	unsigned alen;
	unsigned blen;
};

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

/* The child's side: where the paths lead. */
struct child {
	int root;		/* the clone's root (O_PATH), or -1 */
	char base[PATH_MAX];	/* the mount point, for calls without a clone */
};

/* dfd and path for a path relative to the mount (buf: PATH_MAX). */
static const char *resolve(const struct child *c, const char *rel, char *buf, int *ret_dfd)
{
	if (c->root >= 0) {
		*ret_dfd = c->root;
		return rel[0] ? rel : ".";
	}
	*ret_dfd = AT_FDCWD;
	if (snprintf(buf, PATH_MAX, "%s%s%s", c->base, rel[0] ? "/" : "", rel) >= PATH_MAX)
		return NULL;
	return buf;
}

/* Sends fd (or, when it is negative, the errno -fd) over the socket. */
static void send_fd(int sock, int fd)
{
	int err = fd < 0 ? -fd : 0;
	struct iovec iov = {&err, sizeof(err)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		/* The replayer sees no descriptor: it walks the mount point. */
	}
}

/* A descriptor from send_fd, or -errno. */
static int recv_fd(int sock)
{
	int err = 0;
	struct iovec iov = {&err, sizeof(err)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t n;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(err))
		return -EIO;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		int fd;
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		return fd;
	}
	return err ? -err : -EIO;
}

/* Without CAP_SYS_ADMIN (a daemon run by a user): a helper process gets
 * the capability in a user namespace of its own, where open_tree() may
 * clone the mount (its copy of the mount point's mount), and hands the
 * clone over. The helper's namespaces end with it; the clone stays. */
static int clone_in_userns(const char *mnt)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(sv[0]);
		close(sv[1]);
		return e;
	}
	if (pid == 0) {
		int fd = -EPERM;
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			fd = -errno;
		else if ((fd = open_tree(AT_FDCWD, mnt, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
			fd = -errno;
		send_fd(sv[1], fd);
		_exit(0);
	}
	close(sv[1]);
	int fd = recv_fd(sv[0]);
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

static int attach(struct child *c, const char *mnt, struct stat *st)
{
	if (snprintf(c->base, sizeof(c->base), "%s", mnt) >= (int)sizeof(c->base))
		return -ENAMETOOLONG;
	int fd = open_tree(AT_FDCWD, mnt, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		fd = clone_in_userns(mnt);
	else if (fd < 0)
		fd = -errno;
	if (fd < 0)
		return fd;
	/* A clone of a shared mount joins its peer group; mounts made
	 * later inside the tree need not reach the clone. */
	struct mount_attr ma = {.propagation = MS_PRIVATE};
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0) {
		/* Older kernels: the clone stays a peer, which is harmless. */
	}
	if (fstat(fd, st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	c->root = fd;
	return 0;
}

static int perform(struct child *c, const struct msg *m, struct stat *st)
{
	char pa[PATH_MAX], pb[PATH_MAX];
	int r = 0, fd, da, db = AT_FDCWD;
	if (m->op == CFS_R_ATTACH)
		return attach(c, m->a, st);
	const char *a = resolve(c, m->a, pa, &da), *b = NULL;
	bool two = m->op == CFS_R_RENAME || m->op == CFS_R_CACHED;
	if (two)
		b = resolve(c, m->b, pb, &db);
	if (!a || (two && !b))
		return -ENAMETOOLONG;
	switch (m->op) {
	case CFS_R_STAT:
		r = fstatat(da, a, st, 0);
		break;
	case CFS_R_LSTAT:
		r = fstatat(da, a, st, AT_SYMLINK_NOFOLLOW);
		break;
	case CFS_R_MKDIR:
		r = mkdirat(da, a, 0755);
		break;
	case CFS_R_MKNOD:
		r = mknodat(da, a, S_IFREG | 0644, 0);
		break;
	case CFS_R_SYMLINK:
		r = symlinkat(m->b, da, a);
		break;
	case CFS_R_UNLINK:
		r = unlinkat(da, a, 0);
		break;
	case CFS_R_RMDIR:
		r = unlinkat(da, a, AT_REMOVEDIR);
		break;
	case CFS_R_RENAME:
		r = renameat(da, a, db, b);
		break;
	case CFS_R_MODIFY:
		/* IN_OPEN, IN_MODIFY and IN_CLOSE_WRITE, as for a writer: an
		 * fallocate that keeps the size, only acknowledged by the
		 * daemon (fs_ops.c, cfs_fallocate): OPEN, FALLOCATE, FLUSH,
		 * RELEASE. Not a truncation to the file's size: the kernel sets
		 * the size a SETATTR answer carries without checking it against
		 * a later invalidation, so a reader could see the old length
		 * (test cache::size_after_quick_rewrites). Not O_TRUNC at the
		 * open: the kernel then sets the cached size to 0 without
		 * marking it stale. Not a one-byte direct write: it hung test
		 * many_changes_while_reading. */
		fd = openat(da, a, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		r = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1);
		if (r < 0)
			r = -errno;
		else
			memset(st, 0, sizeof(*st));
		close(fd);
		return r;
	case CFS_R_ATTRIB:
		r = utimensat(da, a, NULL, AT_SYMLINK_NOFOLLOW);
		break;
	case CFS_R_CACHED: {
		struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
				       .resolve = RESOLVE_CACHED};
		if (fstatat(db, b, st, 0) < 0)
			return -errno;
		fd = (int)syscall(SYS_openat2, da, a, &how, sizeof(how));
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
	struct child c = {.root = -1};
	struct ack a;
	/* Interactive signals are for the daemon; this one ends with its pipe
	 * or with its parent. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct msg_hdr h;
		if (full_io(in, &h, sizeof(h), false) < 0)
			_exit(0);
		if (h.alen < 1 || h.alen > sizeof(m.a) || h.blen > sizeof(m.b))
			_exit(0); /* not the daemon's: stop */
		if (full_io(in, m.a, h.alen, false) < 0 ||
		    (h.blen && full_io(in, m.b, h.blen, false) < 0))
			_exit(0);
		m.op = h.op;
		m.a[h.alen - 1] = '\0';
		m.b[h.blen ? h.blen - 1 : 0] = '\0';
		memset(&a, 0, sizeof(a));
		a.err = perform(&c, &m, &a.st);
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

int cfs_replayer_attach(struct cfs_replayer *rp, const char *mnt, struct stat *ret_st)
{
	return cfs_replayer_call(rp, CFS_R_ATTACH, mnt, NULL, ret_st);
}

int cfs_replayer_call(struct cfs_replayer *rp, enum cfs_replay_op op, const char *a,
		      const char *b, struct stat *ret_st)
{
	struct ack k;
	if (rp->pid <= 0)
		return -ESRCH;
	size_t alen = strlen(a) + 1, blen = b ? strlen(b) + 1 : 0;
	if (alen > PATH_MAX || blen > PATH_MAX)
		return -ENAMETOOLONG;
	/* One write of what the paths need (only the notifier thread
	 * writes to the pipe). */
	static __thread char buf[sizeof(struct msg_hdr) + 2 * PATH_MAX];
	struct msg_hdr h = {.op = op, .alen = (unsigned)alen, .blen = (unsigned)blen};
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), a, alen);
	if (blen)
		memcpy(buf + sizeof(h) + alen, b, blen);
	int r = full_io(rp->req_fd, buf, sizeof(h) + alen + blen, true);
	if (r == 0)
		r = full_io(rp->ack_fd, &k, sizeof(k), false);
	if (r < 0)
		return r;
	if (ret_st)
		*ret_st = k.st;
	return k.err;
}

void cfs_replayer_kill(struct cfs_replayer *rp)
{
	if (rp->pid > 0)
		kill(rp->pid, SIGKILL);
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
