/* SPDX-License-Identifier: MIT */
/* The set of ports (port.h): opening and closing it, named ports made,
 * found, removed and expired, their files under STATE_DIR/ports, and the
 * users' quotas. Readers are port_reader.c's. */
#include "port_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- persistence of named ports --- */

const char *cfs_port_start_word(enum cfs_start s)
{
	switch (s) {
	case CFS_START_SNAPSHOT:
		return "snapshot";
	case CFS_START_SEQ:
		return "seq";
	case CFS_START_CONTINUE:
		return "continue";
	default:
		return "now";
	}
}

/* Port files are written in the order their changes were made, never
 * under the ports lock: a change queues the file's new text (or its
 * removal) under the ports lock, and whoever flushes next (io_lock,
 * taken before the ports lock) writes the queue in order. So a user who
 * makes and removes ports in a loop does not hold every reader up for its
 * fsyncs. */
struct port_io {
	uint64_t id; /* names the temporary file: any port name fits, and a
		      * dot file is never a port (see cfs_port_create) */
	char *name;
	struct cfs_buf text; /* the new file; none: remove it */
	bool remove;
};

static int queue_io(struct cfs_ports *ps, const struct cfs_port *p, struct cfs_buf *text)
{
	struct port_io *io = calloc(1, sizeof(*io));
	if (io)
		io->id = p->id;
	if (!io || !(io->name = strdup(p->name)) || cfs_vec_push(&ps->io_queue, io) < 0) {
		if (io)
			free(io->name);
		free(io);
		cfs_buf_free(text);
		return -ENOMEM;
	}
	if (text) {
		io->text = *text;
		*text = (struct cfs_buf){0};
	} else {
		io->remove = true;
	}
	return 0;
}

/* Queues p's file (lock held). */
int cfs_port_save(struct cfs_ports *ps, const struct cfs_port *p)
{
	struct cfs_buf b = {0};
	int r = cfs_buf_printf(&b, "id %llu\nuid %u\nadmin %d\natime %lld\nstart %s %llu\n"
			       "position %llu\n",
			       (unsigned long long)p->id, p->uid, p->admin, (long long)p->atime_ns,
			       cfs_port_start_word(p->start), (unsigned long long)p->start_seq,
			       (unsigned long long)p->position);
	for (size_t i = 0; r == 0 && i < p->filter.n; i++) {
		struct cfs_buf line = {0};
		r = cfs_reg_format(&p->filter.regs[i], &line);
		if (r == 0)
			r = cfs_buf_printf(&b, "filter %s\n", line.data);
		cfs_buf_free(&line);
	}
	if (r < 0) {
		cfs_buf_free(&b);
		return r;
	}
	return queue_io(ps, p, &b);
}

static int write_port_file(struct cfs_ports *ps, const struct port_io *io)
{
	char *tmp = NULL, *path = NULL;
	int r = 0;
	if (asprintf(&tmp, "%s/.%llu.tmp", ps->dir, (unsigned long long)io->id) < 0 ||
	    asprintf(&path, "%s/%s", ps->dir, io->name) < 0)
		r = -ENOMEM;
	if (r == 0 && io->remove) {
		r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
		goto out;
	}
	int fd = r == 0 ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	if (r == 0 && fd < 0)
		r = -errno;
	if (r == 0 && (write(fd, io->text.data, io->text.len) != (ssize_t)io->text.len ||
		       fsync(fd) < 0))
		r = -EIO;
	if (fd >= 0)
		close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r == 0) {
		int dfd = open(ps->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	} else if (tmp) {
		unlink(tmp);
	}
out:
	free(tmp);
	free(path);
	return r;
}

/* Writes what is queued, in order (lock NOT held). Once it returns, every
 * change queued before the call is on disk. Returns the first failure of
 * the writes it made. */
int cfs_ports_flush(struct cfs_ports *ps)
{
	pthread_mutex_lock(&ps->io_lock);
	pthread_mutex_lock(&ps->lock);
	struct cfs_vec q = ps->io_queue;
	ps->io_queue = (struct cfs_vec){0};
	pthread_mutex_unlock(&ps->lock);
	int r = 0;
	for (size_t i = 0; i < q.n; i++) {
		struct port_io *io = q.v[i];
		int e = write_port_file(ps, io);
		if (e < 0 && r == 0)
			r = e;
		free(io->name);
		cfs_buf_free(&io->text);
		free(io);
	}
	cfs_vec_free(&q);
	pthread_mutex_unlock(&ps->io_lock);
	return r;
}

struct cfs_port *cfs_port_new(void)
{
	struct cfs_port *p = calloc(1, sizeof(*p));
	if (p)
		p->ctime_ns = p->atime_ns = cfs_now_ns();
	return p;
}

void cfs_port_free(struct cfs_port *p)
{
	if (!p)
		return;
	cfs_filter_free(&p->filter);
	cfs_vec_free(&p->readers);
	free(p->name);
	free(p);
}

static int load_port(struct cfs_ports *ps, const char *name)
{
	char *path;
	if (asprintf(&path, "%s/%s", ps->dir, name) < 0)
		return -ENOMEM;
	FILE *f = fopen(path, "re");
	free(path);
	if (!f)
		return -errno;
	struct cfs_port *p = cfs_port_new();
	int r = p && (p->name = strdup(name)) ? 0 : -ENOMEM;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int admin = -1; /* files from before quotas: root's ports are the admins' */
	while (r == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		unsigned long long a = 0;
		long long t = 0;
		char word[16];
		const char *why;
		if (sscanf(line, "id %llu", &a) == 1)
			p->id = a;
		else if (sscanf(line, "uid %llu", &a) == 1)
			p->uid = (uint32_t)a;
		else if (sscanf(line, "admin %llu", &a) == 1)
			admin = a != 0;
		else if (sscanf(line, "atime %lld", &t) == 1 && t > 0)
			p->atime_ns = t;
		else if (sscanf(line, "position %llu", &a) == 1)
			p->position = a;
		else if (sscanf(line, "start %15s %llu", word, &a) == 2) {
			p->start = strcmp(word, "snapshot") == 0   ? CFS_START_SNAPSHOT
				   : strcmp(word, "seq") == 0	   ? CFS_START_SEQ
				   : strcmp(word, "continue") == 0 ? CFS_START_CONTINUE
								   : CFS_START_NOW;
			p->start_seq = a;
		} else if (strncmp(line, "filter ", 7) == 0)
			r = cfs_filter_apply_line(&p->filter, line + 7, &why);
	}
	free(line);
	fclose(f);
	if (p)
		p->admin = admin < 0 ? p->uid == 0 : admin;
	if (r == 0 && !p->id)
		r = -EUCLEAN;
	if (r == 0)
		r = cfs_vec_push(&ps->ports, p);
	if (r < 0) {
		cfs_port_free(p);
		return r;
	}
	if (p->id >= ps->next_id)
		ps->next_id = p->id + 1;
	return 0;
}

int cfs_ports_open(struct cfs_ports *ps, struct cfs_engine *e, const char *state_dir,
		   const struct cfs_port_limits *lim)
{
	*ps = (struct cfs_ports){.e = e, .next_id = 1,
				 .lim = lim ? *lim : CFS_PORT_LIMITS_DEFAULT};
	pthread_mutex_init(&ps->lock, NULL);
	pthread_mutex_init(&ps->io_lock, NULL);
	if (asprintf(&ps->dir, "%s/ports", state_dir) < 0)
		return -ENOMEM;
	if (mkdir(ps->dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	DIR *d = opendir(ps->dir);
	if (!d)
		return -errno;
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* ".", ".." and leftovers of interrupted saves */
		r = load_port(ps, de->d_name);
	}
	closedir(d);
	return r;
}

void cfs_ports_close(struct cfs_ports *ps)
{
	pthread_mutex_lock(&ps->lock);
	for (size_t i = 0; i < ps->ports.n; i++) {
		struct cfs_port *p = ps->ports.v[i];
		if (p->name && !p->closed)
			cfs_port_save(ps, p);
	}
	pthread_mutex_unlock(&ps->lock);
	if (ps->dir)
		cfs_ports_flush(ps);
	for (size_t i = 0; i < ps->ports.n; i++)
		cfs_port_free(ps->ports.v[i]);
	cfs_vec_free(&ps->ports);
	cfs_vec_free(&ps->io_queue);
	free(ps->dir);
	pthread_mutex_destroy(&ps->io_lock);
	pthread_mutex_destroy(&ps->lock);
}

struct cfs_port *cfs_port_find(struct cfs_ports *ps, const char *name)
{
	for (size_t i = 0; i < ps->ports.n; i++) {
		struct cfs_port *p = ps->ports.v[i];
		if (p->name && !p->closed && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

struct cfs_port *cfs_port_by_id(struct cfs_ports *ps, uint64_t id)
{
	for (size_t i = 0; id && i < ps->ports.n; i++) {
		struct cfs_port *p = ps->ports.v[i];
		if (p->id == id && !p->closed)
			return p;
	}
	return NULL;
}

/* --- quotas --- */

struct cfs_port_usage cfs_ports_usage(struct cfs_ports *ps, uint32_t uid)
{
	struct cfs_port_usage u = {0};
	for (size_t i = 0; i < ps->ports.n; i++) {
		struct cfs_port *p = ps->ports.v[i];
		if (p->name && !p->closed) {
			u.named_all++;
			u.named_users += !p->admin;
			u.named += !p->admin && p->uid == uid;
		} else if (!p->name) {
			u.anon += !p->admin && p->uid == uid;
		}
		for (size_t k = 0; k < p->readers.n; k++) {
			const struct cfs_reader *rd = p->readers.v[k];
			if (rd->cred.admin || rd->cred.uid != uid)
				continue;
			u.readers += p->name != NULL;
			u.pending += cfs_reader_pending(rd);
			u.watch += p->filter.n;
		}
	}
	return u;
}

/* -EDQUOT when rd's user holds more formatted unread bytes than allowed
 * (checked after a snapshot, the one thing that formats much at once). */
int cfs_ports_check_pending(struct cfs_ports *ps, const struct cfs_reader *rd)
{
	if (rd->cred.admin || !ps->lim.pending)
		return 0;
	return cfs_ports_usage(ps, rd->cred.uid).pending > ps->lim.pending ? -EDQUOT : 0;
}

/* What c may still have formatted and unread (lock held). */
uint64_t cfs_ports_pending_room(struct cfs_ports *ps, const struct cfs_cred *c)
{
	if (c->admin || !ps->lim.pending)
		return UINT64_MAX;
	uint64_t used = cfs_ports_usage(ps, c->uid).pending;
	return used < ps->lim.pending ? ps->lim.pending - used : 0;
}

/* --- named ports made, removed and expired --- */

static int port_remove(struct cfs_ports *ps, struct cfs_port *p);

int cfs_port_create(struct cfs_ports *ps, const char *name, const struct cfs_cred *c,
		    uint64_t *ret_id)
{
	int r = cfs_reg_check_name(name, true);
	if (r < 0)
		return r;
	/* Dot files in STATE_DIR/ports are a save's temporary files, which
	 * loading skips: such a port would not survive a restart. */
	if (name[0] == '.')
		return -EINVAL;
	if (strcmp(name, "clone") == 0)
		return -EEXIST;
	cfs_ports_expire(ps, cfs_now_ns(), 0);
	pthread_mutex_lock(&ps->lock);
	struct cfs_port_usage u = cfs_ports_usage(ps, c->uid);
	struct cfs_port *p = NULL;
	if (cfs_port_find(ps, name))
		r = -EEXIST;
	else if (u.named_all >= CFS_PORTS_MAX)
		r = -ENOSPC;
	else if (!c->admin && ps->lim.ports && u.named >= ps->lim.ports)
		r = -EDQUOT;
	else if (!c->admin && u.named_users >= CFS_PORTS_MAX - CFS_PORTS_ADMIN_RESERVE)
		r = -ENOSPC;
	else if (!(p = cfs_port_new()) || !(p->name = strdup(name)))
		r = -ENOMEM;
	if (r == 0) {
		p->id = ps->next_id++;
		p->uid = c->uid;
		p->admin = c->admin;
		r = cfs_vec_push(&ps->ports, p);
	}
	if (r == 0 && (r = cfs_port_save(ps, p)) < 0)
		cfs_vec_remove(&ps->ports, p);
	uint64_t id = r == 0 ? p->id : 0;
	pthread_mutex_unlock(&ps->lock);
	if (r < 0) {
		cfs_port_free(p);
		return r;
	}
	/* Durable before the mkdir is answered. */
	if ((r = cfs_ports_flush(ps)) < 0) {
		pthread_mutex_lock(&ps->lock);
		struct cfs_port *q = cfs_port_by_id(ps, id);
		if (q)
			port_remove(ps, q);
		pthread_mutex_unlock(&ps->lock);
		cfs_ports_flush(ps);
		return r;
	}
	if (ret_id)
		*ret_id = id;
	return 0;
}

/* Removes p (a named port, lock held): its file goes; its readers get a
 * closing record, and it is freed with the last of them. */
static int port_remove(struct cfs_ports *ps, struct cfs_port *p)
{
	int r = queue_io(ps, p, NULL);
	if (r < 0)
		return r;
	p->closed = true;
	if (!p->readers.n) {
		cfs_vec_remove(&ps->ports, p);
		cfs_port_free(p);
	}
	return 0;
}

int cfs_port_remove(struct cfs_ports *ps, const char *name)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = cfs_port_find(ps, name);
	int r = p ? port_remove(ps, p) : -ENOENT;
	pthread_mutex_unlock(&ps->lock);
	return r < 0 ? r : cfs_ports_flush(ps);
}

int cfs_ports_expire(struct cfs_ports *ps, int64_t now_ns, int64_t every_ns)
{
	int n = 0;
	pthread_mutex_lock(&ps->lock);
	if (ps->lim.expiry_ns > 0 && now_ns - ps->last_sweep >= every_ns) {
		ps->last_sweep = now_ns;
		for (size_t i = ps->ports.n; i-- > 0;) {
			struct cfs_port *p = ps->ports.v[i];
			if (p->name && !p->closed && !p->admin && !p->readers.n &&
			    now_ns - p->atime_ns > ps->lim.expiry_ns && port_remove(ps, p) == 0)
				n++;
		}
	}
	pthread_mutex_unlock(&ps->lock);
	if (n)
		cfs_ports_flush(ps);
	return n;
}
