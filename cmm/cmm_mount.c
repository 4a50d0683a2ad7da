/* SPDX-License-Identifier: MIT */
/* libcgha_cmm: reading and writing the mount, each call bounded by the
 * connection timeout (cmm_i.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmm_i.h"

const char *cmmi_mount(void)
{
	const char *m = getenv("CLUSTERFS_MOUNT");
	return m && *m ? m : "/mnt/clusterfs";
}

/* --- bounded calls --- */

struct job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs; /* caller + worker */
	bool done;
	int rc;
	int (*fn)(void *);
	void *ctx;
	void (*free_ctx)(void *);
	bool abandoned; /* the caller timed out: the worker frees ctx */
};

static void job_unref(struct job *j)
{
	pthread_mutex_lock(&j->lock);
	int left = --j->refs;
	pthread_mutex_unlock(&j->lock);
	if (left)
		return;
	if (j->abandoned && j->free_ctx)
		j->free_ctx(j->ctx);
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	int rc = j->fn(j->ctx);
	pthread_mutex_lock(&j->lock);
	j->rc = rc;
	j->done = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	job_unref(j);
	return NULL;
}

int cmmi_run(int (*fn)(void *ctx), void *ctx, void (*free_ctx)(void *ctx),
	     const struct timespec *timeout)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);
	j->refs = 2;
	j->fn = fn;
	j->ctx = ctx;
	j->free_ctx = free_ctx;
	/* The worker takes no signals: they stay with the application's
	 * threads. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t th;
	int e = pthread_create(&th, &attr, job_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (e) {
		pthread_cond_destroy(&j->cond);
		pthread_mutex_destroy(&j->lock);
		free(j);
		return e == EAGAIN ? -EBUSY : -e;
	}
	/* A timeout beyond 100 years is no timeout (and cannot overflow). */
	bool forever = timeout->tv_sec > 100L * 365 * 86400;
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	if (!forever) {
		until.tv_sec += timeout->tv_sec;
		until.tv_nsec += timeout->tv_nsec;
		while (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	/* Not a cancellation point: a caller cancelled here would leave
	 * j->lock held (deferred-cancel-safe, reference §1). */
	int cancel;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	pthread_mutex_lock(&j->lock);
	while (!j->done) {
		int w = forever ? pthread_cond_wait(&j->cond, &j->lock)
				: pthread_cond_timedwait(&j->cond, &j->lock, &until);
		if (w != 0 && !j->done)
			break;
	}
	int rc = j->done ? j->rc : -ETIMEDOUT;
	if (!j->done)
		j->abandoned = true;
	pthread_mutex_unlock(&j->lock);
	pthread_setcancelstate(cancel, NULL);
	job_unref(j);
	return rc;
}

/* --- files --- */

const char *const cmmi_node_files[CMMI_NODE_FILES] = {
	"id",	   "number", "address",	 "role",	"eligible", "qualification",
	"synchro", "frozen", "excluded", "incarnation", "swload",   "domain",
};

static int read_all(int fd, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || (len += (size_t)n) == size - 1)
			break;
	}
	buf[len] = '\0';
	*ret_len = len;
	return 0;
}

/* Reads a small file of the mount (its first line, without newline). */
static int read_line(const char *path, char *buf, size_t size)
{
	int fd;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	size_t len;
	int r = read_all(fd, buf, size, &len);
	close(fd);
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static uint32_t to_u32(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 10);
}

void cmmi_node_parse(const char *name, const char *const v[CMMI_NODE_FILES], struct cmmi_node *out)
{
	memset(out, 0, sizeof(*out));
	copy_str(out->id, sizeof(out->id), v[0]);
	out->m.nodeid = to_u32(v[1]);
	copy_str(out->m.name, sizeof(out->m.name), name);
	copy_str(out->m.addr, sizeof(out->m.addr), v[2]);
	uint32_t f = 0;
	if (strcmp(v[3], "master") == 0)
		f |= CMM_MASTER;
	else if (strcmp(v[3], "vicemaster") == 0)
		f |= CMM_VICEMASTER;
	else if (strcmp(v[3], "in") != 0)
		f |= CMM_OUT_OF_CLUSTER;
	if (strcmp(v[4], "yes") == 0)
		f |= CMM_ELIGIBLE_MEMBER;
	if (strcmp(v[5], "disqualified") == 0)
		f |= CMM_FLAG_DISQUALIFIED;
	if (strcmp(v[6], "needed") == 0)
		f |= CMM_FLAG_SYNCHRO_NEEDED;
	if (strcmp(v[7], "yes") == 0)
		f |= CMM_FROZEN_MEMBER;
	if (strcmp(v[8], "yes") == 0)
		f |= CMM_EXCLUDED_MEMBER;
	out->m.sflag = f;
	out->m.incarnation_number = to_u32(v[9]);
	copy_str(out->m.software_load_id, sizeof(out->m.software_load_id), v[10]);
	out->m.domainid = to_u32(v[11]);
}

/* Fills one node from nodes/NAME/. -ENOENT when it vanished meanwhile. */
static int load_node(const char *dir, const char *name, struct cmmi_node *out)
{
	char v[CMMI_NODE_FILES][CMM_MAX_NAME_SIZE];
	const char *vp[CMMI_NODE_FILES];
	char path[PATH_MAX];
	for (size_t i = 0; i < CMMI_NODE_FILES; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", dir, name,
				     cmmi_node_files[i]) >= sizeof(path))
			return -ENAMETOOLONG;
		int r = read_line(path, v[i], sizeof(v[i]));
		if (r < 0)
			return r;
		vp[i] = v[i];
	}
	cmmi_node_parse(name, vp, out);
	return 0;
}

struct load_ctx {
	struct cmmi_view v;
};

static int by_nodeid(const void *a, const void *b)
{
	cmm_nodeid_t x = ((const struct cmmi_node *)a)->m.nodeid;
	cmm_nodeid_t y = ((const struct cmmi_node *)b)->m.nodeid;
	return x < y ? -1 : x > y;
}

static void load_free(void *p)
{
	struct load_ctx *c = p;
	cmmi_view_free(&c->v);
	free(c);
}

static int load_main(void *p)
{
	struct load_ctx *c = p;
	char path[PATH_MAX], local[CMM_MAX_NAME_SIZE];
	snprintf(path, sizeof(path), "%s/local_node", cmmi_mount());
	int r = read_line(path, local, sizeof(local));
	if (r == -ENOENT)
		return -ENOTCONN; /* not a clusterfs mount */
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/nodes", cmmi_mount());
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ENOTCONN : -errno;
	size_t cap = 0;
	c->v.local = -1;
	struct dirent *de;
	r = 0;
	while (r == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (c->v.n == cap) {
			cap = cap ? cap * 2 : 8;
			struct cmmi_node *nn = realloc(c->v.nodes, cap * sizeof(*nn));
			if (!nn) {
				r = -ENOMEM;
				break;
			}
			c->v.nodes = nn;
		}
		int e = load_node(path, de->d_name, &c->v.nodes[c->v.n]);
		if (e == -ENOENT)
			continue; /* evicted while we looked */
		if (e < 0) {
			r = e;
			break;
		}
		if (strcmp(de->d_name, local) == 0)
			c->v.local = (ssize_t)c->v.n;
		c->v.n++;
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	if (r < 0)
		return r;
	/* Tables come in node id order; remember where this node went. */
	char local_id[sizeof(c->v.nodes[0].id)] = "";
	if (c->v.local >= 0)
		memcpy(local_id, c->v.nodes[c->v.local].id, sizeof(local_id));
	qsort(c->v.nodes, c->v.n, sizeof(*c->v.nodes), by_nodeid);
	for (size_t i = 0; c->v.local >= 0 && i < c->v.n; i++)
		if (strcmp(c->v.nodes[i].id, local_id) == 0)
			c->v.local = (ssize_t)i;
	return 0;
}

int cmmi_view_load(struct cmmi_view *v, const struct timespec *timeout)
{
	struct load_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int r = cmmi_run(load_main, c, load_free, timeout);
	if (r == -ETIMEDOUT)
		return r;
	if (r == 0) {
		*v = c->v;
		free(c);
	} else {
		load_free(c);
	}
	return r;
}

void cmmi_view_free(struct cmmi_view *v)
{
	free(v->nodes);
	v->nodes = NULL;
	v->n = 0;
}

struct cmmi_node *cmmi_view_by_id(struct cmmi_view *v, cmm_nodeid_t nodeid)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->nodes[i].m.nodeid == nodeid)
			return &v->nodes[i];
	return NULL;
}

struct cmmi_node *cmmi_view_role(struct cmmi_view *v, uint32_t role_bit)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->nodes[i].m.sflag & role_bit)
			return &v->nodes[i];
	return NULL;
}

/* --- control --- */

struct control_ctx {
	char *line;
};

static void control_free(void *p)
{
	struct control_ctx *c = p;
	free(c->line);
	free(c);
}

static int control_main(void *p)
{
	struct control_ctx *c = p;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/control", cmmi_mount());
	int fd;
	do
		fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return errno == ENOENT ? -ENOTCONN : -errno;
	size_t len = strlen(c->line);
	ssize_t n;
	do
		n = write(fd, c->line, len);
	while (n < 0 && errno == EINTR);
	int r = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

int cmmi_control(const char *line, const struct timespec *timeout)
{
	struct control_ctx *c = calloc(1, sizeof(*c));
	if (!c || !(c->line = malloc(strlen(line) + 2))) {
		free(c);
		return -ENOMEM;
	}
	sprintf(c->line, "%s\n", line);
	int r = cmmi_run(control_main, c, control_free, timeout);
	if (r != -ETIMEDOUT)
		control_free(c);
	return r;
}

/* --- the notification port --- */

/* Role records of nodes and the cluster's CmmStatus records. */
/* Role and status changes, and added nodes (their records name their
 * numbers). */
#define PORT_FILTER "kind=node,cluster change=property\nkind=node change=added\n"

struct port_ctx {
	int fd;
	char *buf;
	size_t len;
};

static void port_free(void *p)
{
	struct port_ctx *c = p;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

static int port_open_main(void *p)
{
	struct port_ctx *c = p;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/ports/clone", cmmi_mount());
	do
		c->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	while (c->fd < 0 && errno == EINTR);
	if (c->fd < 0)
		return errno == ENOENT ? -ENOTCONN : -errno;
	ssize_t n;
	do
		n = write(c->fd, PORT_FILTER, strlen(PORT_FILTER));
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int cmmi_port_open(const struct timespec *timeout)
{
	struct port_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	int r = cmmi_run(port_open_main, c, port_free, timeout);
	if (r == -ETIMEDOUT)
		return r;
	if (r == 0) {
		r = c->fd;
		c->fd = -1;
	}
	port_free(c);
	return r;
}

static int port_read_main(void *p)
{
	struct port_ctx *c = p;
	size_t cap = 0;
	for (;;) {
		if (cap - c->len < 65536) {
			cap = cap ? cap * 2 : 131072;
			char *nb = realloc(c->buf, cap);
			if (!nb)
				return -ENOMEM;
			c->buf = nb;
		}
		ssize_t n = read(c->fd, c->buf + c->len, cap - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		c->len += (size_t)n;
	}
}

int cmmi_port_read(int dupfd, char **out, size_t *len, const struct timespec *timeout)
{
	struct port_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		close(dupfd);
		return -ENOMEM;
	}
	/* The worker reads the caller's duplicate (made while the port could
	 * not be closed), so that a timed-out read never touches an fd number
	 * the application may reuse. */
	c->fd = dupfd;
	int r = cmmi_run(port_read_main, c, port_free, timeout);
	if (r == -ETIMEDOUT)
		return r;
	*out = c->buf;
	*len = c->len;
	c->buf = NULL;
	port_free(c);
	return r;
}
