/* SPDX-License-Identifier: MIT */
/* The FUSE floor of scripts/bench-tree.sh: a read-only FUSE file system
 * that serves a directory tree by path and does nothing else, with the
 * kernel caching clusterfs asks for.
 *
 *   treefloor SOURCE MOUNTPOINT
 *
 * Why not libfuse's examples: passthrough_ll keeps an O_PATH descriptor
 * per inode the kernel holds (the whole tree, with long timeouts: more
 * than the open-files limit allows here), and passthrough (the high-level
 * API) cannot cache: its init sets the entry and attribute timeouts to 0
 * whatever the options say, libfuse 3.14's high-level opendir cannot ask
 * for a readdir cache, and its READDIRPLUS entries carry no attributes
 * (so ls -l still makes a LOOKUP per entry).
 *
 * Here a node ID is its inode number under SOURCE (SOURCE's own swapped
 * with 1, the root's ID), and a table maps it to its path relative to
 * SOURCE, which stays open as the only lasting descriptor: every request
 * works by path (fstatat, openat) from it. The tree must be one file
 * system that does not change while mounted (the table is never pruned:
 * FORGET is ignored). A file open holds one descriptor until its release.
 *
 * The FUSE setup is the daemon's (daemon/main.c, fs/fs_ops.c cfs_init,
 * cfs_opendir, cfs_open): options default_permissions and fsname;
 * capabilities READDIRPLUS and READDIRPLUS_AUTO, CACHE_SYMLINKS,
 * AUTO_INVAL_DATA, no writeback cache; entries and attributes cached for
 * an hour (its default timeout), READDIRPLUS with every entry's
 * attributes; OPENDIR answered ENOSYS when the kernel allows it
 * (FUSE_CAP_NO_OPENDIR_SUPPORT: the kernel then caches every listing),
 * else with cache_readdir and keep_cache; files opened with keep_cache and
 * noflush; fuse_session_loop_mt with 10 idle and 64 threads at most.
 * Writes are refused (EROFS). Runs until unmounted or signalled.
 *
 * Build: cc -O2 -Wall -pthread treefloor.c $(pkg-config --cflags --libs fuse3) */
#define FUSE_USE_VERSION 314
#include "common.h"

#include <dirent.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <sys/stat.h>

#define TIMEOUT 3600.0

static int root_fd;
static ino_t root_ino;
static int no_opendir;

/* Node ID <-> inode number: the root's inode and 1 swap places. */
static fuse_ino_t id_of(ino_t ino)
{
	return ino == root_ino ? FUSE_ROOT_ID : ino == FUSE_ROOT_ID ? root_ino : ino;
}

/* Node ID -> path relative to SOURCE ("." for the root): open addressing,
 * grown at half full. */
struct slot {
	fuse_ino_t id;
	char *path;
};
static struct slot *tab;
static size_t tab_cap, tab_n;
static pthread_rwlock_t tab_lock = PTHREAD_RWLOCK_INITIALIZER;

static size_t slot_of(struct slot *t, size_t cap, fuse_ino_t id)
{
	size_t i = (size_t)(id * 0x9E3779B97F4A7C15ull) & (cap - 1);
	while (t[i].id && t[i].id != id)
		i = (i + 1) & (cap - 1);
	return i;
}

/* A copy of ID's path (free it), or NULL if unknown. */
static char *path_of(fuse_ino_t id)
{
	char *p = NULL;
	pthread_rwlock_rdlock(&tab_lock);
	struct slot *s = &tab[slot_of(tab, tab_cap, id)];
	if (s->id)
		p = strdup(s->path);
	pthread_rwlock_unlock(&tab_lock);
	return p;
}

/* Records ID at PATH (a hard link keeps its first path). */
static int remember(fuse_ino_t id, const char *path)
{
	int r = 0;
	pthread_rwlock_wrlock(&tab_lock);
	if (2 * (tab_n + 1) > tab_cap) {
		size_t cap = tab_cap ? 2 * tab_cap : 1 << 16;
		struct slot *t = calloc(cap, sizeof(*t));
		if (!t) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < tab_cap; i++)
			if (tab[i].id)
				t[slot_of(t, cap, tab[i].id)] = tab[i];
		free(tab);
		tab = t;
		tab_cap = cap;
	}
	struct slot *s = &tab[slot_of(tab, tab_cap, id)];
	if (!s->id) {
		if (!(s->path = strdup(path))) {
			r = -ENOMEM;
			goto out;
		}
		s->id = id;
		tab_n++;
	}
out:
	pthread_rwlock_unlock(&tab_lock);
	return r;
}

/* PARENT/NAME, relative to SOURCE (free it). */
static char *join(const char *parent, const char *name)
{
	char *p;
	if (strcmp(parent, ".") == 0)
		return strdup(name);
	return asprintf(&p, "%s/%s", parent, name) < 0 ? NULL : p;
}

/* The entry for PATH (attributes from ST), recorded in the table. */
static int entry(const char *path, const struct stat *st, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = id_of(st->st_ino);
	e->attr = *st;
	e->attr_timeout = TIMEOUT;
	e->entry_timeout = TIMEOUT;
	return remember(e->ino, path);
}

static void f_init(void *ud, struct fuse_conn_info *conn)
{
	(void)ud;
	conn->want |= FUSE_CAP_CACHE_SYMLINKS & conn->capable;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	conn->want |= FUSE_CAP_AUTO_INVAL_DATA & conn->capable;
	conn->want |= (FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO) & conn->capable;
	no_opendir = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0;
}

static void f_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	char *dir = path_of(parent), *path = dir ? join(dir, name) : NULL;
	struct stat st;
	struct fuse_entry_param e;
	int r = !dir ? ESTALE : !path ? ENOMEM : 0;
	if (!r && fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		r = errno;
	if (!r)
		r = -entry(path, &st, &e);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_entry(req, &e);
	free(path);
	free(dir);
}

static void f_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	char *path = path_of(ino);
	struct stat st;
	if (!path)
		fuse_reply_err(req, ESTALE);
	else if (fstatat(root_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &st, TIMEOUT);
	free(path);
}

static void f_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char *path = path_of(ino), buf[PATH_MAX + 1];
	ssize_t n = path ? readlinkat(root_fd, path, buf, PATH_MAX) : -1;
	if (!path)
		fuse_reply_err(req, ESTALE);
	else if (n < 0)
		fuse_reply_err(req, errno);
	else {
		buf[n] = '\0';
		fuse_reply_readlink(req, buf);
	}
	free(path);
}

static void f_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	if (no_opendir) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

/* READDIR or READDIRPLUS: the entries after OFF (an offset the previous
 * call gave), "." and ".." left out, from a directory stream opened for
 * this call only. */
static void list(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
	char *dir = path_of(ino), *buf = malloc(size);
	DIR *dp = NULL;
	size_t len = 0;
	int r = !dir ? ESTALE : !buf ? ENOMEM : 0, fd = -1;
	if (!r && ((fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		   !(dp = fdopendir(fd)))) {
		r = errno;
		if (fd >= 0)
			close(fd);
	}
	if (!r && off)
		seekdir(dp, off);
	while (!r) {
		errno = 0;
		struct dirent *d = readdir(dp);
		if (!d) {
			if (errno && !len)
				r = errno;
			break;
		}
		const char *n = d->d_name;
		if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
			continue;
		size_t add;
		if (plus) {
			struct stat st;
			struct fuse_entry_param e;
			char *path = join(dir, n);
			if (!path) {
				r = ENOMEM;
				break;
			}
			if (fstatat(dirfd(dp), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
				r = errno;
			else
				r = -entry(path, &st, &e);
			free(path);
			if (r)
				break;
			add = fuse_add_direntry_plus(req, buf + len, size - len, n, &e, d->d_off);
		} else {
			struct stat st = {.st_ino = d->d_ino, .st_mode = (mode_t)d->d_type << 12};
			add = fuse_add_direntry(req, buf + len, size - len, n, &st, d->d_off);
		}
		if (add > size - len)
			break;
		len += add;
	}
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_buf(req, buf, len);
	if (dp)
		closedir(dp);
	free(buf);
	free(dir);
}

static void f_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)fi;
	list(req, ino, size, off, 0);
}

static void f_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	(void)fi;
	list(req, ino, size, off, 1);
}

static void f_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	char *path = path_of(ino);
	int fd = path ? openat(root_fd, path, O_RDONLY | O_CLOEXEC) : -1;
	if (!path)
		fuse_reply_err(req, ESTALE);
	else if (fd < 0)
		fuse_reply_err(req, errno);
	else {
		fi->fh = (uint64_t)fd;
		fi->keep_cache = 1;
		fi->noflush = 1;
		if (fuse_reply_open(req, fi) == -ENOENT)
			close(fd); /* the open was interrupted: no release */
	}
	free(path);
}

static void f_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)ino;
	char *buf = malloc(size ? size : 1);
	ssize_t n = buf ? pread((int)fi->fh, buf, size, off) : -1;
	if (!buf)
		fuse_reply_err(req, ENOMEM);
	else if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void f_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	close((int)fi->fh);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.init = f_init,
	.lookup = f_lookup,
	.getattr = f_getattr,
	.readlink = f_readlink,
	.opendir = f_opendir,
	.readdir = f_readdir,
	.readdirplus = f_readdirplus,
	.open = f_open,
	.read = f_read,
	.release = f_release,
};

int main(int argc, char **argv)
{
	struct stat st;
	if (argc != 3)
		die("usage: treefloor SOURCE MOUNTPOINT");
	if ((root_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(root_fd, &st) < 0)
		die("%s: %s", argv[1], strerror(errno));
	root_ino = st.st_ino;
	if (remember(FUSE_ROOT_ID, ".") < 0)
		die("out of memory");
	char *av[] = {argv[0], "-odefault_permissions", "-ofsname=treefloor", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, av);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		die("fuse_session_new failed");
	if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[2]) != 0)
		die("cannot mount on %s", argv[2]);
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	if (!lc)
		die("out of memory");
	fuse_loop_cfg_set_idle_threads(lc, 10);
	fuse_loop_cfg_set_max_threads(lc, 64);
	int r = fuse_session_loop_mt(se, lc);
	fuse_loop_cfg_destroy(lc);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return r < 0 ? 1 : 0;
}
