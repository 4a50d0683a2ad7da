/* SPDX-License-Identifier: MIT */
/* The ceiling for port throughput: a FUSE file system that does nothing
 * but the round trip.
 *
 *   fusemin MOUNTPOINT RECORDS mt|st
 *
 * Serves one file, MOUNTPOINT/events, whose content is RECORDS (read into
 * memory once). Each open is a stream of its own from RECORDS' start; each
 * read gives the next whole lines that fit in size - 1 bytes, as a port
 * reader is given them (core/port.h, cfs_reader_take), straight from the
 * in-memory copy with fuse_reply_buf: no lock, no formatting, no copy in
 * user space. At the end it gives 0 (EOF).
 *
 * The FUSE setup is the daemon's for an events file opened read-write
 * (daemon/main.c, fs/fs_ops.c cfs_init, fs/fs_ports.c): options
 * default_permissions, max_write 1 MiB, open flags FOPEN_DIRECT_IO |
 * FOPEN_NOFLUSH | FOPEN_STREAM through a raw open reply;
 * fuse_session_loop_mt with 10 idle and 64 threads at most ("mt") or
 * fuse_session_loop ("st"). Runs until unmounted or signalled.
 *
 * Build: cc -O2 -Wall -pthread fusemin.c $(pkg-config --cflags --libs fuse3) */
#define FUSE_USE_VERSION 314
#include "common.h"

#include <linux/fuse.h>
#include <fuse_lowlevel.h>
#include <sys/uio.h>
#include <sys/stat.h>

#define INO_EVENTS 2

static char *recs;
static size_t nrecs;

struct stream {
	size_t pos; /* next byte of recs it gets */
};

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
	}
}

static void m_init(void *ud, struct fuse_conn_info *conn)
{
	(void)ud;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	conn->want |= FUSE_CAP_AUTO_INVAL_DATA & conn->capable;
	conn->max_write = 1024 * 1024;
}

static void m_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent != FUSE_ROOT_ID || strcmp(name, "events") != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct fuse_entry_param e = {.ino = INO_EVENTS};
	fill_attr(INO_EVENTS, &e.attr);
	fuse_reply_entry(req, &e);
}

static void m_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != INO_EVENTS) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void m_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != INO_EVENTS) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	struct stream *s = calloc(1, sizeof(*s));
	if (!s) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* The daemon's raw reply (fs/fs_ports.c): libfuse 3.14 cannot set
	 * FOPEN_STREAM. */
	struct fuse_open_out arg = {.fh = (uintptr_t)s,
				    .open_flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH | FOPEN_STREAM};
	struct iovec iov = {&arg, sizeof(arg)};
	if (fuse_reply_iov(req, &iov, 1) == -ENOENT)
		free(s);
}

static void m_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)ino;
	(void)off;
	struct stream *s = (struct stream *)(uintptr_t)fi->fh;
	size_t limit = size > 1 ? size - 1 : 1;
	size_t avail = nrecs - s->pos;
	size_t n = avail < limit ? avail : limit;
	if (n < avail) {
		const char *nl = memrchr(recs + s->pos, '\n', n);
		if (nl)
			n = (size_t)(nl - (recs + s->pos)) + 1;
	}
	const char *p = recs + s->pos;
	s->pos += n;
	fuse_reply_buf(req, p, n);
}

static void m_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	free((void *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.init = m_init,
	.lookup = m_lookup,
	.getattr = m_getattr,
	.open = m_open,
	.read = m_read,
	.release = m_release,
};

static void load(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	nrecs = (size_t)st.st_size;
	recs = malloc(nrecs ? nrecs : 1);
	if (!recs)
		die("out of memory");
	for (size_t got = 0; got < nrecs;) {
		ssize_t n = read(fd, recs + got, nrecs - got);
		if (n <= 0)
			die("%s: short read", path);
		got += (size_t)n;
	}
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[3], "mt") != 0 && strcmp(argv[3], "st") != 0))
		die("usage: fusemin MOUNTPOINT RECORDS mt|st");
	load(argv[2]);
	char *av[] = {argv[0], "-odefault_permissions", "-ofsname=fusemin", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, av);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		die("fuse_session_new failed");
	if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0)
		die("cannot mount on %s", argv[1]);
	int r;
	if (strcmp(argv[3], "st") == 0) {
		r = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();
		if (!lc)
			die("out of memory");
		fuse_loop_cfg_set_idle_threads(lc, 10);
		fuse_loop_cfg_set_max_threads(lc, 64);
		r = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return r < 0 ? 1 : 0;
}
