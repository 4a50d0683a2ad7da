/* SPDX-License-Identifier: MIT */
#include "port.h"

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

/* Appends one line per registration of f that wants r. Returns the
 * number of lines. A journal record (cache allowed) is formatted once
 * for all readers. */
static long format_matches(const struct cfs_filter *f, const struct cfs_record *r, bool snapshot,
			   struct cfs_buf *out)
{
	long n = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (!cfs_reg_match(&f->regs[i], r))
			continue;
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

static const char *start_word(enum cfs_start s)
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

static int save_port(struct cfs_ports *ps, const struct cfs_port *p)
{
	struct cfs_buf b = {0};
	int r = cfs_buf_printf(&b, "id %llu\nuid %u\nstart %s %llu\nposition %llu\n",
			       (unsigned long long)p->id, p->uid, start_word(p->start),
			       (unsigned long long)p->start_seq, (unsigned long long)p->position);
	for (size_t i = 0; r == 0 && i < p->filter.n; i++) {
		struct cfs_buf line = {0};
		r = cfs_reg_format(&p->filter.regs[i], &line);
		if (r == 0)
			r = cfs_buf_printf(&b, "filter %s\n", line.data);
		cfs_buf_free(&line);
	}
	/* The temporary file is named by the id: any port name fits in a
	 * file name, and a dot file is never a port (see cfs_port_create). */
	char *tmp = NULL, *path = NULL;
	if (r == 0 && (asprintf(&tmp, "%s/.%llu.tmp", ps->dir, (unsigned long long)p->id) < 0 ||
		       asprintf(&path, "%s/%s", ps->dir, p->name) < 0))
		r = -ENOMEM;
	int fd = r == 0 ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	if (r == 0 && fd < 0)
		r = -errno;
	if (r == 0 && (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) < 0))
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
	free(tmp);
	free(path);
	cfs_buf_free(&b);
	return r;
}

static struct cfs_port *port_new(void)
{
	struct cfs_port *p = calloc(1, sizeof(*p));
	if (p)
		p->ctime_ns = cfs_now_ns();
	return p;
}

static void port_free(struct cfs_port *p)
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
	struct cfs_port *p = port_new();
	int r = p && (p->name = strdup(name)) ? 0 : -ENOMEM;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while (r == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		unsigned long long a = 0;
		char word[16];
		const char *why;
		if (sscanf(line, "id %llu", &a) == 1)
			p->id = a;
		else if (sscanf(line, "uid %llu", &a) == 1)
			p->uid = (uint32_t)a;
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
	if (r == 0 && !p->id)
		r = -EUCLEAN;
	if (r == 0)
		r = cfs_vec_push(&ps->ports, p);
	if (r < 0) {
		port_free(p);
		return r;
	}
	if (p->id >= ps->next_id)
		ps->next_id = p->id + 1;
	return 0;
}

int cfs_ports_open(struct cfs_ports *ps, struct cfs_engine *e, const char *state_dir)
{
	*ps = (struct cfs_ports){.e = e, .next_id = 1};
	pthread_mutex_init(&ps->lock, NULL);
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
	for (size_t i = 0; i < ps->ports.n; i++) {
		struct cfs_port *p = ps->ports.v[i];
		if (p->name && !p->closed)
			save_port(ps, p);
		port_free(p);
	}
	cfs_vec_free(&ps->ports);
	free(ps->dir);
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

int cfs_port_create(struct cfs_ports *ps, const char *name, uint32_t uid, uint64_t *ret_id)
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
	pthread_mutex_lock(&ps->lock);
	size_t named = 0;
	for (size_t i = 0; i < ps->ports.n; i++)
		named += ((struct cfs_port *)ps->ports.v[i])->name != NULL;
	struct cfs_port *p = NULL;
	if (cfs_port_find(ps, name))
		r = -EEXIST;
	else if (named >= CFS_PORTS_MAX)
		r = -ENOSPC;
	else if (!(p = port_new()) || !(p->name = strdup(name)))
		r = -ENOMEM;
	if (r == 0) {
		p->id = ps->next_id++;
		p->uid = uid;
		r = save_port(ps, p);
	}
	if (r == 0 && (r = cfs_vec_push(&ps->ports, p)) < 0) {
		char *path;
		if (asprintf(&path, "%s/%s", ps->dir, name) >= 0) {
			unlink(path);
			free(path);
		}
	}
	if (r == 0 && ret_id)
		*ret_id = p->id;
	pthread_mutex_unlock(&ps->lock);
	if (r < 0)
		port_free(p);
	return r;
}

int cfs_port_remove(struct cfs_ports *ps, const char *name)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = cfs_port_find(ps, name);
	int r = p ? 0 : -ENOENT;
	if (p) {
		char *path;
		if (asprintf(&path, "%s/%s", ps->dir, name) < 0) {
			r = -ENOMEM;
		} else {
			if (unlink(path) < 0 && errno != ENOENT)
				r = -errno;
			free(path);
		}
	}
	if (r == 0) {
		p->closed = true;
		/* Freed with its last reader; now only its readers know it. */
		if (!p->readers.n) {
			cfs_vec_remove(&ps->ports, p);
			port_free(p);
		}
	}
	pthread_mutex_unlock(&ps->lock);
	return r;
}

/* --- readers --- */

static void begin_at(struct cfs_ports *ps, struct cfs_reader *rd);

static int reader_attach(struct cfs_ports *ps, struct cfs_port *p, struct cfs_reader **ret)
{
	struct cfs_reader *rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->port = p;
	if (cfs_vec_push(&p->readers, rd) < 0) {
		free(rd);
		return -ENOMEM;
	}
	begin_at(ps, rd);
	*ret = rd;
	return 0;
}

int cfs_reader_open(struct cfs_ports *ps, uint64_t port_id, struct cfs_reader **ret)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = cfs_port_by_id(ps, port_id);
	int r = p ? reader_attach(ps, p, ret) : -ENOENT;
	pthread_mutex_unlock(&ps->lock);
	return r;
}

int cfs_reader_open_anon(struct cfs_ports *ps, uint32_t uid, struct cfs_reader **ret)
{
	struct cfs_port *p = port_new();
	if (!p)
		return -ENOMEM;
	p->uid = uid;
	pthread_mutex_lock(&ps->lock);
	int r = cfs_vec_push(&ps->ports, p);
	if (r == 0 && (r = reader_attach(ps, p, ret)) < 0)
		cfs_vec_remove(&ps->ports, p);
	pthread_mutex_unlock(&ps->lock);
	if (r < 0)
		port_free(p);
	return r;
}

void cfs_reader_close(struct cfs_ports *ps, struct cfs_reader *rd)
{
	if (!rd)
		return;
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = rd->port;
	cfs_vec_remove(&p->readers, rd);
	if (p->name && !p->closed)
		save_port(ps, p); /* its position, for "continue" */
	if ((!p->name || p->closed) && !p->readers.n) {
		cfs_vec_remove(&ps->ports, p);
		port_free(p);
	}
	pthread_mutex_unlock(&ps->lock);
	cfs_buf_free(&rd->out);
	free(rd->marks);
	free(rd);
}

/* Snapshot: one record per object, key and value the filter wants. */
struct snap {
	const struct cfs_filter *f;
	struct cfs_buf *out;
	long lines;
};

static void snap_record(struct snap *s, const struct cfs_record *r)
{
	long n = format_matches(s->f, r, true, s->out);
	if (n > 0)
		s->lines += n;
}

static void snap_registry(struct snap *s, const struct cfs_key *k, struct cfs_buf *path)
{
	size_t base = path->len;
	if (k->parent) {
		if (base)
			cfs_buf_append(path, "\\", 1);
		cfs_buf_puts(path, k->name);
		struct cfs_record r = {.kind = CFS_KIND_REGISTRY, .change = CFS_CH_KEY_ADDED,
				       .obj_id = "", .obj_name = path->data, .parent_id = ""};
		snap_record(s, &r);
	}
	for (size_t i = 0; i < k->values.n; i++) {
		const struct cfs_value *v = k->values.v[i];
		struct cfs_buf text = {0};
		if (v->type == CFS_REG_BINARY || v->type == CFS_REG_NONE) {
			for (size_t b = 0; b < v->len; b++)
				cfs_buf_printf(&text, "%02x", v->data[b]);
		} else {
			cfs_value_format(v->type, v->data, v->len, &text);
			if (text.len && text.data[text.len - 1] == '\n')
				text.data[--text.len] = '\0';
		}
		struct cfs_record r = {.kind = CFS_KIND_REGISTRY, .change = CFS_CH_VALUE_SET,
				       .obj_id = "", .obj_name = path->data ? path->data : "",
				       .parent_id = "", .prop = v->name,
				       .new_value = text.data ? text.data : ""};
		snap_record(s, &r);
		cfs_buf_free(&text);
	}
	for (size_t i = 0; i < k->subkeys.n; i++)
		snap_registry(s, k->subkeys.v[i], path);
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
}

/* Fills rd->out with a snapshot and returns the seq it stands for. */
static uint64_t snapshot(struct cfs_ports *ps, struct cfs_reader *rd)
{
	struct cfs_engine *e = ps->e;
	struct snap s = {&rd->port->filter, &rd->out, 0};
	cfs_engine_rdlock(e);
	const struct cfs_model *m = &e->model;
	uint64_t seq = e->applied_seq;
	struct cfs_record cr = {.kind = CFS_KIND_CLUSTER, .change = CFS_CH_ADDED,
				.obj_id = (char *)cfs_key_get_sz(m->reg.root, CFS_P_CLUSTER_ID, NULL),
				.obj_name = (char *)cfs_model_cluster_name(m), .parent_id = ""};
	snap_record(&s, &cr);
	for (int k = CFS_KIND_NODE; k <= CFS_KIND_NETINTERFACE; k++) {
		struct cfs_key *c = m->coll[k];
		for (size_t i = 0; i < c->subkeys.n; i++) {
			struct cfs_object *o = ((struct cfs_key *)c->subkeys.v[i])->obj;
			if (!o)
				continue;
			struct cfs_object *parent =
				k == CFS_KIND_GROUP	     ? cfs_obj_ref(m, o, CFS_P_OWNER_NODE)
				: k == CFS_KIND_RESOURCE     ? cfs_obj_ref(m, o, CFS_P_GROUP)
				: k == CFS_KIND_NETINTERFACE ? cfs_obj_ref(m, o, CFS_P_NODE)
							     : NULL;
			bool has_state = k != CFS_KIND_RESTYPE;
			struct cfs_record r = {
				.kind = k,
				.change = CFS_CH_ADDED,
				.obj_id = (char *)cfs_obj_id(o),
				.obj_name = o->name,
				.parent_id = parent ? (char *)cfs_obj_id(parent) : "",
				.new_value = has_state ? (char *)cfs_state_name(k, cfs_obj_state(o))
						       : NULL,
			};
			snap_record(&s, &r);
		}
	}
	struct cfs_buf path = {0};
	cfs_buf_puts(&path, "");
	snap_registry(&s, m->reg.root, &path);
	cfs_buf_free(&path);
	cfs_engine_unlock(e);
	cfs_buf_printf(&rd->out, "{\"seq\":%llu,\"change\":\"snapshot_end\",\"records\":%ld}\n",
		       (unsigned long long)seq, s.lines);
	rd->port->delivered += (uint64_t)s.lines;
	return seq;
}

/* Places a reader where its port's start mode says. Lock held. */
static void begin_at(struct cfs_ports *ps, struct cfs_reader *rd)
{
	struct cfs_port *p = rd->port;
	uint64_t next = cfs_journal_next_seq(&ps->e->journal);
	uint64_t first = cfs_journal_first_seq(&ps->e->journal);
	cfs_buf_reset(&rd->out);
	rd->out_off = 0;
	rd->mark_head = rd->nmarks = 0;
	rd->overflowed = false;
	switch (p->start) {
	case CFS_START_SNAPSHOT:
		rd->cursor = snapshot(ps, rd);
		break;
	case CFS_START_SEQ:
	case CFS_START_CONTINUE: {
		uint64_t want = p->start == CFS_START_SEQ ? p->start_seq : p->position;
		if (want == 0)
			want = next;
		if (want < first) {
			cfs_buf_printf(&rd->out,
				       "{\"seq\":%llu,\"change\":\"error\",\"error\":\"not_retained\","
				       "\"requested\":%llu,\"first_retained\":%llu}\n",
				       (unsigned long long)first, (unsigned long long)want,
				       (unsigned long long)first);
			want = first;
		}
		rd->cursor = want;
		break;
	}
	default:
		rd->cursor = next;
	}
	rd->given = rd->cursor;
	rd->started = true;
}

struct fill {
	struct cfs_reader *rd;
	size_t want;
	long lines;
	int err;
};

/* Room for one more mark, made before a record is formatted. */
static int mark_reserve(struct cfs_reader *rd)
{
	if (rd->nmarks < rd->mark_cap)
		return 0;
	if (rd->mark_head) {
		rd->nmarks -= rd->mark_head;
		memmove(rd->marks, rd->marks + rd->mark_head, rd->nmarks * sizeof(*rd->marks));
		rd->mark_head = 0;
		return 0;
	}
	size_t cap = rd->mark_cap ? rd->mark_cap * 2 : 64;
	struct cfs_out_mark *m = realloc(rd->marks, cap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	rd->marks = m;
	rd->mark_cap = cap;
	return 0;
}

static int fill_one(const struct cfs_record *r, void *ud)
{
	struct fill *f = ud;
	struct cfs_reader *rd = f->rd;
	if (rd->out.len - rd->out_off >= f->want)
		return 1;
	size_t len = rd->out.len;
	long n = mark_reserve(rd) < 0 ? -ENOMEM
				       : format_matches(&rd->port->filter, r, false, &rd->out);
	if (n < 0) {
		/* Stop before this record, with none of its lines. */
		rd->out.len = len;
		if (rd->out.data)
			rd->out.data[len] = '\0';
		f->err = (int)n;
		return 1;
	}
	if (n > 0)
		rd->marks[rd->nmarks++] = (struct cfs_out_mark){rd->out.len, r->seq + 1};
	f->lines += n;
	return 0;
}

/* Moves the reader's given seq over what it has taken, and the port's
 * position with it. Lock held. */
static void note_given(struct cfs_reader *rd)
{
	while (rd->mark_head < rd->nmarks && rd->marks[rd->mark_head].end <= rd->out_off)
		rd->given = rd->marks[rd->mark_head++].next;
	if (rd->out_off == rd->out.len) {
		/* Everything formatted was taken: what was looked at is given. */
		rd->given = rd->cursor;
		rd->mark_head = rd->nmarks = 0;
	}
	if (rd->given > rd->port->position)
		rd->port->position = rd->given;
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
	}
	struct fill f = {rd, want, 0, 0};
	uint64_t next;
	cfs_journal_scan(j, rd->cursor, UINT64_MAX, fill_one, &f, &next);
	rd->cursor = next;
	if (f.lines > 0)
		p->delivered += (uint64_t)f.lines;
	note_given(rd);
}

static void compact(struct cfs_reader *rd)
{
	if (rd->out_off && rd->out_off == rd->out.len) {
		cfs_buf_reset(&rd->out);
		rd->out_off = 0;
	}
}

bool cfs_reader_ready(struct cfs_ports *ps, struct cfs_reader *rd)
{
	compact(rd);
	if (rd->out.len > rd->out_off)
		return true;
	if (rd->port->closed)
		return true;
	refill(ps, rd, 1);
	return rd->out.len > rd->out_off;
}

ssize_t cfs_reader_take(struct cfs_ports *ps, struct cfs_reader *rd, char *buf, size_t size)
{
	if (size < 2)
		return -EINVAL;
	compact(rd);
	size_t limit = size - 1; /* never fill a request exactly (fuse-notify.md §3) */
	if (rd->out.len - rd->out_off < limit && !rd->port->closed)
		refill(ps, rd, limit);
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
	if (n < avail) {
		/* Whole lines when at least one fits. */
		const char *s = rd->out.data + rd->out_off;
		const char *nl = memrchr(s, '\n', n);
		if (nl)
			n = (size_t)(nl - s) + 1;
	}
	memcpy(buf, rd->out.data + rd->out_off, n);
	rd->out_off += n;
	note_given(rd);
	compact(rd);
	return (ssize_t)n;
}

/* --- writes --- */

static int parse_start(const char *w, enum cfs_start *ret, uint64_t *ret_seq)
{
	char *end;
	if (strcmp(w, "now") == 0)
		*ret = CFS_START_NOW;
	else if (strcmp(w, "snapshot") == 0)
		*ret = CFS_START_SNAPSHOT;
	else if (strcmp(w, "continue") == 0)
		*ret = CFS_START_CONTINUE;
	else {
		/* Digits only: strtoull would also take a sign ("-1" is
		 * ULLONG_MAX) and leading blanks. */
		if (*w < '0' || *w > '9')
			return -EINVAL;
		errno = 0;
		unsigned long long v = strtoull(w, &end, 10);
		if (*end || errno || v == 0)
			return -EINVAL;
		*ret = CFS_START_SEQ;
		*ret_seq = v;
	}
	return 0;
}

/* Applies text lines to a copy of p's filter (and start), then swaps. */
static int apply_lines(struct cfs_port *p, const char *text, size_t len, bool allow_start,
		       bool *ret_restart, const char **why)
{
	struct cfs_filter f;
	int r = cfs_filter_copy(&f, &p->filter);
	if (r < 0)
		return r;
	enum cfs_start st = p->start;
	uint64_t seq = p->start_seq;
	bool restart = false;
	char *copy = cfs_strndup(text, len);
	if (!copy) {
		cfs_filter_free(&f);
		return -ENOMEM;
	}
	for (char *save, *line = strtok_r(copy, "\n", &save); r == 0 && line;
	     line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "start ", 6) == 0) {
			char w[32];
			if (!allow_start || sscanf(line + 6, "%31s", w) != 1 ||
			    parse_start(w, &st, &seq) < 0) {
				*why = "start takes now, snapshot, continue or a sequence number";
				r = -EINVAL;
			}
			restart = true;
			continue;
		}
		r = cfs_filter_apply_line(&f, line, why);
	}
	free(copy);
	if (r < 0) {
		cfs_filter_free(&f);
		return r;
	}
	cfs_filter_free(&p->filter);
	p->filter = f;
	if (restart) {
		p->start = st;
		p->start_seq = seq;
	}
	*ret_restart = restart;
	return 0;
}

int cfs_reader_write(struct cfs_ports *ps, struct cfs_reader *rd, const char *text, size_t len,
		     const char **why)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = rd->port;
	enum cfs_start old_start = p->start;
	uint64_t old_seq = p->start_seq;
	bool restart = false;
	int r = p->closed ? -EPIPE : apply_lines(p, text, len, true, &restart, why);
	if (r == 0 && restart) {
		begin_at(ps, rd);
		if (p->name) {
			/* A reader's own start does not change the port's. */
			p->start = old_start;
			p->start_seq = old_seq;
		}
	}
	if (r == 0 && p->name)
		save_port(ps, p);
	pthread_mutex_unlock(&ps->lock);
	return r;
}

int cfs_port_write_filter(struct cfs_ports *ps, uint64_t port_id, const char *text, size_t len,
			  const char **why)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = cfs_port_by_id(ps, port_id);
	bool restart = false;
	int r = p ? apply_lines(p, text, len, false, &restart, why) : -ENOENT;
	if (r == 0)
		r = save_port(ps, p);
	pthread_mutex_unlock(&ps->lock);
	return r;
}

int cfs_port_write_start(struct cfs_ports *ps, uint64_t port_id, const char *text, size_t len)
{
	char w[32];
	const char *nl = memchr(text, '\n', len); /* text is not terminated */
	size_t n = nl ? (size_t)(nl - text) : len;
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= sizeof(w))
		return -EINVAL;
	memcpy(w, text, n);
	w[n] = '\0';
	enum cfs_start st;
	uint64_t seq = 0;
	if (parse_start(w, &st, &seq) < 0)
		return -EINVAL;
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = cfs_port_by_id(ps, port_id);
	int r = p ? 0 : -ENOENT;
	if (p) {
		p->start = st;
		p->start_seq = seq;
		r = save_port(ps, p);
	}
	pthread_mutex_unlock(&ps->lock);
	return r;
}

int cfs_port_render(struct cfs_ports *ps, uint64_t port_id, const char *file,
		    struct cfs_buf *out)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = cfs_port_by_id(ps, port_id);
	int r = p ? 0 : -ENOENT;
	if (p && strcmp(file, "filter") == 0) {
		for (size_t i = 0; r == 0 && i < p->filter.n; i++) {
			struct cfs_buf line = {0};
			r = cfs_reg_format(&p->filter.regs[i], &line);
			if (r == 0)
				r = cfs_buf_printf(out, "%s\n", line.data);
			cfs_buf_free(&line);
		}
		if (r == 0)
			r = cfs_buf_append(out, "", 0);
	} else if (p && strcmp(file, "start") == 0) {
		if (p->start == CFS_START_SEQ)
			r = cfs_buf_printf(out, "%llu\n", (unsigned long long)p->start_seq);
		else
			r = cfs_buf_printf(out, "%s\n", start_word(p->start));
	} else if (p && strcmp(file, "stats") == 0) {
		uint64_t next = cfs_journal_next_seq(&ps->e->journal), queued = 0;
		for (size_t i = 0; i < p->readers.n; i++) {
			struct cfs_reader *rd = p->readers.v[i];
			queued += next > rd->cursor ? next - rd->cursor : 0;
		}
		r = cfs_buf_printf(out,
				   "readers %zu\nqueued %llu\ndelivered %llu\ndropped %llu\n"
				   "position %llu\n",
				   p->readers.n, (unsigned long long)queued,
				   (unsigned long long)p->delivered, (unsigned long long)p->dropped,
				   (unsigned long long)p->position);
	} else if (p) {
		r = -ENOENT;
	}
	pthread_mutex_unlock(&ps->lock);
	return r;
}
