/* SPDX-License-Identifier: MIT */
#include "port_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "value.h"

/* --- formatting --- */

int cfs_port_format(const struct cfs_record *r, uint64_t key, bool snapshot,
		    struct cfs_buf *out)
{
	size_t start = out->len;
	int e = cfs_record_to_json(r, out);
	if (e < 0)
		return e;
	out->len--; /* reopen the object: drop its '}' */
	struct cfs_rec_flags fl = cfs_record_flags(r);
	e = cfs_buf_printf(out, ",\"v1\":%u,\"v2type\":%u,\"v2flags\":%llu,\"key\":%llu%s}", fl.v1,
			   fl.v2type, (unsigned long long)fl.v2flags, (unsigned long long)key,
			   snapshot ? ",\"snapshot\":true" : "");
	if (e < 0)
		out->len = start;
	return e;
}

/* The record's JSON up to its key value ("...,\"key\":"), built once per
 * record in the journal and shared by every reader (journal lock held). */
static int cached_prefix(struct cfs_record *r)
{
	if (r->json)
		return 0;
	struct cfs_buf b = {0};
	int e = cfs_port_format(r, 0, false, &b);
	if (e == 0) {
		/* Cut the trailing "0}" of the key written above. */
		b.len -= 2;
		b.data[b.len] = '\0';
		r->json_len = b.len;
		r->json = cfs_buf_steal(&b);
		e = r->json ? 0 : -ENOMEM;
	}
	cfs_buf_free(&b);
	return e;
}

static int append_key_line(struct cfs_buf *out, const struct cfs_record *r, uint64_t key)
{
	char tail[32];
	int n = snprintf(tail, sizeof(tail), "%llu}\n", (unsigned long long)key);
	int e = cfs_buf_reserve(out, r->json_len + (size_t)n);
	if (e < 0)
		return e;
	memcpy(out->data + out->len, r->json, r->json_len);
	memcpy(out->data + out->len + r->json_len, tail, (size_t)n + 1);
	out->len += r->json_len + (size_t)n;
	return 0;
}

long cfs_port_format_matches(const struct cfs_filter *f, const struct cfs_record *r, bool snapshot,
			     const struct cfs_model *m, const struct cfs_cred *c,
			     struct cfs_buf *out)
{
	long n = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (!cfs_reg_match(&f->regs[i], r))
			continue;
		if (n == 0 && m && !cfs_record_visible(m, r, c))
			return 0;
		int e;
		if (!snapshot && (e = cached_prefix((struct cfs_record *)r)) == 0)
			e = append_key_line(out, r, f->regs[i].key);
		else if ((e = cfs_port_format(r, f->regs[i].key, snapshot, out)) == 0)
			e = cfs_buf_append(out, "\n", 1);
		if (e < 0)
			return -ENOMEM;
		n++;
	}
	return n;
}

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

/* --- readers --- */

static void reader_free(struct cfs_reader *rd)
{
	if (!rd)
		return;
	cfs_cred_free(&rd->cred);
	cfs_buf_free(&rd->out);
	free(rd->marks);
	free(rd);
}

static int reader_attach(struct cfs_ports *ps, struct cfs_port *p, const struct cfs_cred *c,
			 bool seekable, struct cfs_port_snap *snap, struct cfs_reader **ret)
{
	struct cfs_reader *rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->port = p;
	rd->seekable = seekable;
	int r = cfs_cred_copy(&rd->cred, c);
	if (r == 0 && (r = cfs_vec_push(&p->readers, rd)) == 0 &&
	    (r = cfs_reader_begin(ps, rd, p->start, p->start_seq, snap)) < 0)
		cfs_vec_remove(&p->readers, rd);
	if (r < 0) {
		reader_free(rd);
		return r;
	}
	p->atime_ns = cfs_now_ns();
	*ret = rd;
	return 0;
}

int cfs_reader_open(struct cfs_ports *ps, uint64_t port_id, const struct cfs_cred *c,
		    bool seekable, struct cfs_reader **ret)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = cfs_port_by_id(ps, port_id);
	int r = p ? 0 : -ENOENT;
	struct cfs_port_usage u = p && !c->admin ? cfs_ports_usage(ps, c->uid)
						 : (struct cfs_port_usage){0};
	if (r == 0 && !c->admin && ps->lim.readers && u.readers >= ps->lim.readers)
		r = -EDQUOT;
	if (r == 0 && !c->admin && ps->lim.watch && u.watch + p->filter.n > ps->lim.watch)
		r = -EDQUOT;
	/* A snapshot is made without the ports lock (it may take long) and
	 * handed to the reader once the port is looked up again. */
	struct cfs_port_snap *snap = NULL, made;
	if (r == 0 && p->start == CFS_START_SNAPSHOT) {
		struct cfs_filter f;
		uint64_t room = cfs_ports_pending_room(ps, c);
		r = cfs_filter_copy(&f, &p->filter);
		pthread_mutex_unlock(&ps->lock);
		if (r == 0 && (r = cfs_port_snap_make(ps, &f, c, room, &made)) == 0)
			snap = &made;
		cfs_filter_free(&f);
		pthread_mutex_lock(&ps->lock);
		if (r == 0 && !(p = cfs_port_by_id(ps, port_id)))
			r = -ENOENT;
		if (r == 0 && p->start != CFS_START_SNAPSHOT) {
			cfs_port_snap_free(snap);
			snap = NULL;
		}
	}
	if (r == 0)
		r = reader_attach(ps, p, c, seekable, snap, ret);
	else if (snap)
		cfs_port_snap_free(snap);
	pthread_mutex_unlock(&ps->lock);
	return r;
}

int cfs_reader_open_anon(struct cfs_ports *ps, const struct cfs_cred *c, struct cfs_reader **ret)
{
	struct cfs_port *p = cfs_port_new();
	if (!p)
		return -ENOMEM;
	p->uid = c->uid;
	p->admin = c->admin;
	pthread_mutex_lock(&ps->lock);
	int r = 0;
	if (!c->admin && ps->lim.anon && cfs_ports_usage(ps, c->uid).anon >= ps->lim.anon)
		r = -EDQUOT;
	if (r == 0 && (r = cfs_vec_push(&ps->ports, p)) == 0 &&
	    (r = reader_attach(ps, p, c, false, NULL, ret)) < 0)
		cfs_vec_remove(&ps->ports, p);
	pthread_mutex_unlock(&ps->lock);
	if (r < 0)
		cfs_port_free(p);
	return r;
}

/* The first record rd has not consumed: what the last mark it was given
 * whole says (0: unknown, in a snapshot). */
static uint64_t consumed(const struct cfs_reader *rd)
{
	uint64_t seq = rd->seq0;
	for (size_t i = 0; i < rd->nmarks && rd->marks[i].end <= rd->out_off; i++)
		seq = rd->marks[i].seq;
	return seq;
}

static void note_position(struct cfs_reader *rd)
{
	uint64_t c = consumed(rd);
	if (rd->port->name && c > rd->port->position)
		rd->port->position = c;
}

void cfs_reader_hold(struct cfs_reader *rd)
{
	rd->refs++;
}

void cfs_reader_drop(struct cfs_reader *rd)
{
	if (--rd->refs == 0 && rd->dead)
		reader_free(rd);
}

void cfs_reader_close(struct cfs_ports *ps, struct cfs_reader *rd)
{
	if (!rd)
		return;
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = rd->port;
	cfs_vec_remove(&p->readers, rd);
	/* Lines formatted for it that it was not given whole come again
	 * (from the position) and count when they do. */
	for (size_t i = 0; i < rd->nmarks; i++) {
		if (rd->marks[i].end > rd->out_off)
			p->delivered -= p->delivered < rd->marks[i].lines ? p->delivered
									  : rd->marks[i].lines;
	}
	note_position(rd);
	p->atime_ns = cfs_now_ns();
	bool save = p->name && !p->closed;
	if (save)
		cfs_port_save(ps, p); /* its position, for "continue" */
	if ((!p->name || p->closed) && !p->readers.n) {
		cfs_vec_remove(&ps->ports, p);
		cfs_port_free(p);
	}
	rd->port = NULL;
	rd->dead = true;
	bool held = rd->refs > 0;
	pthread_mutex_unlock(&ps->lock);
	if (!held)
		reader_free(rd);
	if (save)
		cfs_ports_flush(ps);
}

/* Records that after out[0..out.len) the first record not consumed is
 * seq, with lines record lines in it since the previous mark. */
static int push_mark(struct cfs_reader *rd, uint64_t seq, uint32_t lines)
{
	if (rd->nmarks && rd->marks[rd->nmarks - 1].end == rd->out.len) {
		rd->marks[rd->nmarks - 1].seq = seq;
		rd->marks[rd->nmarks - 1].lines += lines;
		return 0;
	}
	if (!rd->out.len && !rd->nmarks) {
		rd->seq0 = seq;
		return 0;
	}
	if (rd->nmarks == rd->capmarks) {
		size_t cap = rd->capmarks ? rd->capmarks * 2 : 8;
		struct cfs_mark *v = realloc(rd->marks, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		rd->marks = v;
		rd->capmarks = cap;
	}
	rd->marks[rd->nmarks++] = (struct cfs_mark){rd->out.len, seq, lines};
	return 0;
}

/* Places a reader where start mode st (and seq) says; a snapshot start
 * takes snap when it is given (made without the ports lock), or makes
 * one. Lock held. 0, or -EDQUOT when a snapshot puts its user over the
 * pending bytes quota (the reader is then empty), or -ENOMEM. */
int cfs_reader_begin(struct cfs_ports *ps, struct cfs_reader *rd, enum cfs_start st,
		     uint64_t st_seq, struct cfs_port_snap *snap)
{
	struct cfs_port *p = rd->port;
	uint64_t next = cfs_journal_next_seq(&ps->e->journal);
	uint64_t first = cfs_journal_first_seq(&ps->e->journal);
	cfs_buf_reset(&rd->out);
	rd->out_off = 0;
	rd->nmarks = 0;
	rd->overflowed = false;
	int r = 0;
	switch (st) {
	case CFS_START_SNAPSHOT: {
		struct cfs_port_snap own;
		if (!snap &&
		    (r = cfs_port_snap_make(ps, &p->filter, &rd->cred, UINT64_MAX, &own)) == 0)
			snap = &own;
		if (r < 0)
			break;
		rd->seq0 = 0; /* nothing is consumed before its end */
		cfs_buf_free(&rd->out);
		rd->out = snap->out;
		snap->out = (struct cfs_buf){0};
		rd->cursor = snap->seq;
		r = push_mark(rd, rd->cursor, (uint32_t)snap->lines);
		if (r == 0 && (r = cfs_ports_check_pending(ps, rd)) < 0) {
			cfs_buf_free(&rd->out);
			rd->out_off = rd->nmarks = 0;
		} else if (r == 0) {
			p->delivered += (uint64_t)snap->lines;
		}
		cfs_port_snap_free(snap);
		break;
	}
	case CFS_START_SEQ:
	case CFS_START_CONTINUE: {
		uint64_t want = st == CFS_START_SEQ ? st_seq : p->position;
		if (want == 0)
			want = next;
		rd->seq0 = want;
		if (want < first) {
			cfs_buf_printf(&rd->out,
				       "{\"seq\":%llu,\"change\":\"error\",\"error\":\"not_retained\","
				       "\"requested\":%llu,\"first_retained\":%llu}\n",
				       (unsigned long long)first, (unsigned long long)want,
				       (unsigned long long)first);
			want = first;
			r = push_mark(rd, want, 0);
		}
		rd->cursor = want;
		break;
	}
	default:
		rd->cursor = rd->seq0 = next;
	}
	rd->started = true;
	return r;
}

struct fill {
	struct cfs_reader *rd;
	const struct cfs_model *m; /* NULL: the reader sees everything */
	size_t want;
	long lines;
	int err;
};

static int fill_one(const struct cfs_record *r, void *ud)
{
	struct fill *f = ud;
	struct cfs_reader *rd = f->rd;
	if (rd->out.len - rd->out_off >= f->want)
		return 1;
	long n = cfs_port_format_matches(&rd->port->filter, r, false, f->m, &rd->cred, &rd->out);
	if (n > 0 && push_mark(rd, r->seq + 1, (uint32_t)n) < 0)
		n = -ENOMEM;
	if (n < 0) {
		f->err = (int)n;
		return 1;
	}
	f->lines += n;
	return 0;
}

/* What was formatted for rd and not given yet is dropped (its marks too):
 * rd takes up again at the first record not consumed. */
static void drop_ungiven(struct cfs_reader *rd)
{
	size_t keep = 0;
	while (keep < rd->nmarks && rd->marks[keep].end <= rd->out_off)
		keep++;
	rd->nmarks = keep;
	rd->out.len = rd->out_off;
	if (rd->out.data)
		rd->out.data[rd->out.len] = '\0';
}

void cfs_ports_rewind(struct cfs_ports *ps, uint64_t fork, uint64_t old_next)
{
	if (fork >= old_next)
		return;
	pthread_mutex_lock(&ps->lock);
	for (size_t i = 0; i < ps->ports.n; i++) {
		struct cfs_port *p = ps->ports.v[i];
		bool moved = false;
		if (p->name && p->position > fork) {
			p->position = fork;
			moved = true;
		}
		for (size_t k = 0; k < p->readers.n; k++) {
			struct cfs_reader *rd = p->readers.v[k];
			if (rd->cursor <= fork)
				continue;
			/* It looked at records that are not the cluster's: it is
			 * told, and reads the cluster's from fork on. */
			drop_ungiven(rd);
			uint64_t lost = old_next - fork;
			cfs_buf_printf(&rd->out,
				       "{\"seq\":%llu,\"change\":\"overflow\",\"reason\":\"replaced\","
				       "\"lost_from\":%llu,\"lost_to\":%llu,\"lost\":%llu,\"v1\":%u,"
				       "\"v2type\":%u,\"v2flags\":%u,\"key\":0}\n",
				       (unsigned long long)fork, (unsigned long long)fork,
				       (unsigned long long)(old_next - 1), (unsigned long long)lost,
				       CFS_V1_CLUSTER_RECONNECT, CFS_V2_TYPE_CLUSTER,
				       CFS_V2_CLUSTER_LOST_NOTIFICATIONS);
			rd->cursor = fork;
			push_mark(rd, fork, 0);
		}
		if (moved)
			cfs_port_save(ps, p);
	}
	pthread_mutex_unlock(&ps->lock);
	cfs_ports_flush(ps);
}

/* Formats what the reader may have next, up to about want bytes. */
static void refill(struct cfs_ports *ps, struct cfs_reader *rd, size_t want)
{
	struct cfs_journal *j = &ps->e->journal;
	struct cfs_port *p = rd->port;
	uint64_t first = cfs_journal_first_seq(j);
	if (rd->cursor < first) {
		/* Overrun: the records it has not seen are gone from the ring. */
		uint64_t lost = first - rd->cursor;
		cfs_buf_printf(&rd->out,
			       "{\"seq\":%llu,\"change\":\"overflow\",\"lost_from\":%llu,"
			       "\"lost_to\":%llu,\"lost\":%llu,\"v1\":%u,\"v2type\":%u,\"v2flags\":%u,"
			       "\"key\":0}\n",
			       (unsigned long long)first, (unsigned long long)rd->cursor,
			       (unsigned long long)(first - 1), (unsigned long long)lost,
			       CFS_V1_CLUSTER_RECONNECT, CFS_V2_TYPE_CLUSTER,
			       CFS_V2_CLUSTER_LOST_NOTIFICATIONS);
		p->dropped += lost;
		rd->cursor = first;
		push_mark(rd, first, 0);
	}
	/* Whether a record may go to this reader depends on the model now:
	 * the read lock is taken before the journal's (port.h). */
	struct fill f = {rd, rd->cred.admin ? NULL : &ps->e->model, want, 0, 0};
	uint64_t next;
	if (f.m)
		cfs_engine_rdlock(ps->e);
	cfs_journal_scan(j, rd->cursor, UINT64_MAX, fill_one, &f, &next);
	if (f.m)
		cfs_engine_unlock(ps->e);
	rd->cursor = next;
	/* Records it looked at and did not want are consumed with the rest. */
	push_mark(rd, next, 0);
	if (f.lines > 0)
		p->delivered += (uint64_t)f.lines;
}

/* Drops what was all given (a seekable reader can no longer read it
 * again once it asked for what follows). */
static void compact(struct cfs_reader *rd)
{
	if (rd->out_off && rd->out_off == rd->out.len) {
		rd->seq0 = consumed(rd);
		cfs_buf_reset(&rd->out);
		rd->out_off = 0;
		rd->nmarks = 0;
	}
}

bool cfs_reader_ready(struct cfs_ports *ps, struct cfs_reader *rd)
{
	if (rd->out.len > rd->out_off)
		return true;
	if (rd->port->closed)
		return true;
	compact(rd);
	refill(ps, rd, 1);
	return rd->out.len > rd->out_off;
}

ssize_t cfs_reader_take(struct cfs_ports *ps, struct cfs_reader *rd, uint64_t off, char *buf,
			size_t size)
{
	if (size < 1)
		return -EINVAL;
	if (rd->seekable && off != rd->off) {
		/* A tool that read ahead seeks back to the end of what it
		 * used: it gets those bytes again. */
		if (off > rd->off || rd->off - off > rd->out_off)
			return -EINVAL;
		rd->out_off -= (size_t)(rd->off - off);
		rd->off = off;
	}
	/* Never fill a request exactly (fuse-notify.md §3), except a
	 * one-byte one, which cannot have a next part. */
	size_t limit = size > 1 ? size - 1 : 1;
	if (rd->out.len == rd->out_off)
		compact(rd);
	if (rd->out.len - rd->out_off < limit && !rd->port->closed &&
	    !(rd->seekable && rd->out.len > rd->out_off))
		refill(ps, rd, rd->seekable ? 1 : limit);
	if (rd->out.len == rd->out_off && rd->port->closed) {
		if (rd->closed_sent)
			return 0;
		rd->closed_sent = true;
		cfs_buf_printf(&rd->out, "{\"change\":\"closed\",\"port\":\"%s\"}\n",
			       rd->port->name ? rd->port->name : "");
	}
	size_t avail = rd->out.len - rd->out_off;
	if (!avail)
		return -EAGAIN;
	size_t n = avail < limit ? avail : limit;
	const char *s = rd->out.data + rd->out_off;
	if (rd->seekable) {
		/* One line at most: a tool never reads ahead of what it uses. */
		const char *nl = memchr(s, '\n', n);
		if (nl)
			n = (size_t)(nl - s) + 1;
	} else if (n < avail) {
		/* Whole lines when at least one fits. */
		const char *nl = memrchr(s, '\n', n);
		if (nl)
			n = (size_t)(nl - s) + 1;
	}
	memcpy(buf, s, n);
	rd->out_off += n;
	rd->off += n;
	note_position(rd);
	return (ssize_t)n;
}
