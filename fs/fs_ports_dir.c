/* SPDX-License-Identifier: MIT */
/* The names and attributes of ports/ (fs_ports.h): the directory, a named
 * port's directory and its files, and the log's attributes (asked of
 * fs_ports_log.c); mkdir and rmdir, which make and remove named ports.
 * Their attributes are never cached (ports change under the kernel's feet), but the log's (attr_timeout). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_ports_i.h"
#include "log.h"

const char *const cfs_fsports_files[4] = {"filter", "events", "start", "stats"};

static uint64_t port_ino(uint64_t id, unsigned tag)
{
	return cfs_ino(id, tag);
}

/* --- attributes and names --- */

/* Fills st; lock held. 0 or -ENOENT. */
static int fill(struct cfs_fsports *fp, uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_gid = fp->fs->admin_gid;
	if (ino == CFS_INO_PORTS) {
		/* Anyone may make a port, as anyone may make a file in /tmp. */
		st->st_mode = S_IFDIR | 01777;
		st->st_nlink = 2;
		cfs_fsports_set_times(st, cfs_now_ns());
		return 0;
	}
	if (ino == CFS_INO_CLONE) {
		st->st_mode = S_IFREG | 0666;
		return 0;
	}
	if (ino == CFS_INO_LOG || ino == CFS_INO_LOG1) {
		cfs_fsports_log_stat(fp, ino, st);
		return 0;
	}
	struct cfs_port *p = cfs_port_by_id(&fp->ports, cfs_ino_id(ino));
	if (!p)
		return -ENOENT;
	st->st_uid = p->uid;
	st->st_gid = p->uid ? p->uid : fp->fs->admin_gid;
	cfs_fsports_set_times(st, p->ctime_ns);
	switch (cfs_ino_tag(ino)) {
	case CFS_TAG_PORTDIR:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	case CFS_TAG_PORT_EVENTS:
		st->st_mode = S_IFREG | 0644;
		return 0;
	case CFS_TAG_PORT_STATS:
		st->st_mode = S_IFREG | 0444;
		break;
	default:
		st->st_mode = S_IFREG | 0644;
		break;
	}
	/* Small text files: their true size, rendered now. */
	struct cfs_buf b = {0};
	unsigned tag = cfs_ino_tag(ino);
	pthread_mutex_unlock(&fp->ports.lock);
	int r = cfs_port_render(&fp->ports, p->id, cfs_fsports_files[tag - CFS_TAG_PORT_FILTER], &b);
	pthread_mutex_lock(&fp->ports.lock);
	st->st_size = (off_t)b.len;
	cfs_buf_free(&b);
	return r;
}

/* Ports change under the kernel's feet (other processes' writes): their
 * names and attributes are never cached. The log's are: the notifier
 * invalidates them with every commit (it grows) and every reset, before
 * the change is acknowledged, so its IN_MODIFY replay (once a commit)
 * costs no LOOKUP and no GETATTR. */
static double attr_timeout(const struct cfs_fsports *fp, uint64_t ino)
{
	return ino == CFS_INO_LOG ? fp->fs->timeout : 0.0;
}

static int make_entry(struct cfs_fsports *fp, uint64_t ino, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->generation = 1;
	e->attr_timeout = attr_timeout(fp, ino);
	e->entry_timeout = e->attr_timeout;
	pthread_mutex_lock(&fp->ports.lock);
	int r = fill(fp, ino, &e->attr);
	pthread_mutex_unlock(&fp->ports.lock);
	return r;
}

void cfs_fsports_lookup(fuse_req_t req, uint64_t parent, const char *name)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	uint64_t ino = 0;
	if (parent == CFS_INO_ROOT) {
		ino = strcmp(name, "ports") == 0 ? CFS_INO_PORTS
		      : strcmp(name, "log") == 0 ? CFS_INO_LOG
						 : CFS_INO_LOG1;
	} else if (parent == CFS_INO_PORTS) {
		cfs_ports_expire(&fp->ports, cfs_now_ns(), CFS_FSPORTS_EXPIRY_LOOKUP_NS);
		if (strcmp(name, "clone") == 0) {
			ino = CFS_INO_CLONE;
		} else {
			pthread_mutex_lock(&fp->ports.lock);
			struct cfs_port *p = cfs_port_find(&fp->ports, name);
			if (p)
				ino = port_ino(p->id, CFS_TAG_PORTDIR);
			pthread_mutex_unlock(&fp->ports.lock);
		}
	} else if (cfs_ino_tag(parent) == CFS_TAG_PORTDIR) {
		for (unsigned i = 0; i < CFS_ARRAY_SIZE(cfs_fsports_files); i++)
			if (strcmp(cfs_fsports_files[i], name) == 0)
				ino = port_ino(cfs_ino_id(parent), CFS_TAG_PORT_FILTER + i);
	}
	struct fuse_entry_param e;
	int r = ino ? make_entry(fp, ino, &e) : -ENOENT;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

void cfs_fsports_getattr(fuse_req_t req, uint64_t ino)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	struct stat st;
	pthread_mutex_lock(&fp->ports.lock);
	int r = fill(fp, ino, &st);
	pthread_mutex_unlock(&fp->ports.lock);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, attr_timeout(fp, ino));
}

/* A listing being filled (plus: READDIRPLUS). */
struct listing {
	fuse_req_t req;
	char *buf;
	size_t size, len;
	bool plus;
};

/* Adds one entry; false when it does not fit. A plus entry has no inode
 * (e.ino 0): the kernel links nothing and takes no lookup count, so these
 * entries stay uncached and are looked up as after a plain listing. */
static bool add_dirent(struct listing *l, const char *name, uint64_t ino, mode_t type, off_t next)
{
	struct fuse_entry_param e = {.attr = {.st_ino = ino, .st_mode = type}};
	size_t need = l->plus ? fuse_add_direntry_plus(l->req, NULL, 0, name, NULL, 0)
			      : fuse_add_direntry(l->req, NULL, 0, name, NULL, 0);
	if (l->len + need > l->size)
		return false;
	if (l->plus)
		fuse_add_direntry_plus(l->req, l->buf + l->len, l->size - l->len, name, &e, next);
	else
		fuse_add_direntry(l->req, l->buf + l->len, l->size - l->len, name, &e.attr, next);
	l->len += need;
	return true;
}

void cfs_fsports_readdir(fuse_req_t req, uint64_t ino, size_t size, off_t off, bool plus)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	struct listing l = {.req = req, .size = size, .plus = plus};
	char *buf = l.buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	bool ok = true;
	/* Offsets: 1 ".", 2 "..", 3 "clone" or the first file, port id X at X + 4. */
	if (off < 1)
		ok = add_dirent(&l, ".", ino, S_IFDIR, 1);
	if (ok && off < 2)
		ok = add_dirent(&l, "..", ino == CFS_INO_PORTS ? CFS_INO_ROOT : CFS_INO_PORTS,
				S_IFDIR, 2);
	if (ino == CFS_INO_PORTS && off == 0)
		cfs_ports_expire(&fp->ports, cfs_now_ns(), CFS_FSPORTS_EXPIRY_LOOKUP_NS);
	pthread_mutex_lock(&fp->ports.lock);
	if (ino == CFS_INO_PORTS) {
		if (ok && off < 3)
			ok = add_dirent(&l, "clone", CFS_INO_CLONE, S_IFREG, 3);
		for (size_t i = 0; ok && i < fp->ports.ports.n; i++) {
			struct cfs_port *p = fp->ports.ports.v[i];
			if (!p->name || p->closed || (off_t)(p->id + 4) <= off)
				continue;
			ok = add_dirent(&l, p->name, port_ino(p->id, CFS_TAG_PORTDIR), S_IFDIR,
					(off_t)(p->id + 4));
		}
	} else if (cfs_port_by_id(&fp->ports, cfs_ino_id(ino))) {
		for (unsigned i = 0; ok && i < CFS_ARRAY_SIZE(cfs_fsports_files); i++)
			if ((off_t)(i + 3) > off)
				ok = add_dirent(&l, cfs_fsports_files[i],
						port_ino(cfs_ino_id(ino), CFS_TAG_PORT_FILTER + i),
						S_IFREG, (off_t)(i + 3));
	} else {
		pthread_mutex_unlock(&fp->ports.lock);
		free(buf);
		fuse_reply_err(req, ENOENT);
		return;
	}
	pthread_mutex_unlock(&fp->ports.lock);
	fuse_reply_buf(req, buf, l.len);
	free(buf);
}

/* --- creating and removing ports --- */

void cfs_fsports_mkdir(fuse_req_t req, uint64_t parent, const char *name)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	if (parent != CFS_INO_PORTS) {
		fuse_reply_err(req, EPERM);
		return;
	}
	uint64_t id;
	struct cfs_cred c;
	int r = cfs_fsports_req_cred(req, &c);
	if (r == 0) {
		r = cfs_port_create(&fp->ports, name, &c, &id);
		if (r == -EDQUOT)
			cfs_log(LOG_NOTICE, "mkdir ports/%s refused: uid %u has its quota of named "
				"ports (--limit-ports)", name, c.uid);
		cfs_cred_free(&c);
	}
	struct fuse_entry_param e;
	if (r == 0)
		r = make_entry(fp, port_ino(id, CFS_TAG_PORTDIR), &e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

void cfs_fsports_rmdir(fuse_req_t req, uint64_t parent, const char *name)
{
	struct cfs_fsports *fp = cfs_fsports_of(req);
	if (parent != CFS_INO_PORTS) {
		fuse_reply_err(req, EPERM);
		return;
	}
	struct cfs_cred c;
	int r = cfs_fsports_req_cred(req, &c);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	pthread_mutex_lock(&fp->ports.lock);
	struct cfs_port *p = cfs_port_find(&fp->ports, name);
	r = !p ? -ENOENT : (!c.admin && c.uid != p->uid) ? -EPERM : 0;
	pthread_mutex_unlock(&fp->ports.lock);
	cfs_cred_free(&c);
	if (r == 0)
		r = cfs_port_remove(&fp->ports, name);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* Blocked readers get the closing record, then end-of-file. */
	cfs_fsports_wake_all(fp, false);
	fuse_reply_err(req, 0);
}
