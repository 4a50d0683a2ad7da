/* SPDX-License-Identifier: MIT */
/* Readers of ports (port.h): opening and closing them, where they start,
 * and what they are given: journal records formatted for them (once for
 * all readers), the marks that say how far they consumed, overflow
 * records, and the rewind after this node took the cluster's state.
 *
 * A reader's out buffer holds what was formatted for it; [out_off, len)
 * is not yet given. A mark after out[0..end) names the first record not
 * consumed there, so that a named port's position moves only over records
 * whose every line a reader was given (port.h: "A reader's position"). */
#include "port_i.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
	/* "KEY}\n" by hand: snprintf per line was a tenth of a reader's
	 * time at full speed. */
	char tail[32], digits[24];
	int nd = 0;
	do {
		digits[nd++] = (char)('0' + key % 10);
		key /= 10;
	} while (key);
	int n = 0;
	while (nd)
		tail[n++] = digits[--nd];
	tail[n++] = '}';
	tail[n++] = '\n';
	tail[n] = '\0';
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

/* The model a reader's records are checked against (NULL: it sees
 * everything). */
static const struct cfs_model *model_for(struct cfs_ports *ps, const struct cfs_reader *rd)
{
	return rd->cred.admin ? NULL : &ps->e->model;
}

/* Calls fn for the journal's records from rd's cursor on (as
 * cfs_journal_scan), with the model's read lock when m is given: whether a
 * record may go to this reader depends on the model now, and the read
 * lock is taken before the journal's (port.h). Sets *next to the seq where
 * the scan stopped. -ESTALE (nothing visited) when the ring evicted the
 * cursor's record since the caller checked: the caller owes an overflow
 * record first. */
static int scan_from_cursor(struct cfs_ports *ps, const struct cfs_reader *rd,
			    const struct cfs_model *m,
			    int (*fn)(const struct cfs_record *, void *), void *ud, uint64_t *next)
{
	if (m)
		cfs_engine_rdlock(ps->e);
	int r = cfs_journal_scan(&ps->e->journal, rd->cursor, UINT64_MAX, fn, ud, next);
	if (m)
		cfs_engine_unlock(ps->e);
	return r == -ESTALE ? r : 0;
}

/* Formats what the reader may have next, up to about want bytes. */
static void refill(struct cfs_ports *ps, struct cfs_reader *rd, size_t want)
{
	struct cfs_journal *j = &ps->e->journal;
	struct cfs_port *p = rd->port;
	uint64_t first = cfs_journal_first_seq(j);
again:
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
	struct fill f = {rd, model_for(ps, rd), want, 0, 0};
	uint64_t next;
	if (scan_from_cursor(ps, rd, f.m, fill_one, &f, &next) == -ESTALE) {
		/* Committers evicted more between the check and the scan. */
		first = next;
		goto again;
	}
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

/* A stream reader (not seekable) never reads again what it was given:
 * drop it, with its marks, before more is formatted. Without this the
 * buffer of a reader that always leaves part of a refill for the next
 * read (a read never takes whole what was formatted for it) only grew,
 * and finding how far it consumed walked every mark since it opened. */
static void drop_given(struct cfs_reader *rd)
{
	if (rd->seekable || !rd->out_off || rd->out_off == rd->out.len)
		return;
	rd->seq0 = consumed(rd);
	size_t k = 0;
	while (k < rd->nmarks && rd->marks[k].end <= rd->out_off)
		k++;
	for (size_t i = k; i < rd->nmarks; i++) {
		rd->marks[i - k] = rd->marks[i];
		rd->marks[i - k].end -= rd->out_off;
	}
	rd->nmarks -= k;
	memmove(rd->out.data, rd->out.data + rd->out_off, rd->out.len - rd->out_off);
	rd->out.len -= rd->out_off;
	rd->out.data[rd->out.len] = '\0';
	rd->out_off = 0;
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

struct direct {
	struct cfs_reader *rd;
	const struct cfs_model *m;
	struct cfs_buf *dst;
	size_t limit;
	long lines;
};

static int direct_one(const struct cfs_record *r, void *ud)
{
	struct direct *d = ud;
	size_t before = d->dst->len;
	long n = cfs_port_format_matches(&d->rd->port->filter, r, false, d->m, &d->rd->cred,
					 d->dst);
	if (n >= 0 && d->dst->len <= d->limit) {
		d->lines += n;
		return 0;
	}
	/* It does not fit whole (or memory ran out): it stays for the next
	 * read, and the scan stops before it. */
	d->dst->len = before;
	if (d->dst->data)
		d->dst->data[before] = '\0';
	return 1;
}

/* The common case of a stream reader that keeps up: nothing formatted
 * for it is left, and no overflow or closing record is owed. Its next
 * records are formatted straight into dst, whole records only, up to
 * limit bytes, so they are not copied through rd->out; all of them are
 * given by this read, hence consumed. Returns the bytes put in dst (0:
 * nothing fitted or nothing is there; the caller goes the general way,
 * which also splits a record too large for one read). Lock held. */
static size_t take_direct(struct cfs_ports *ps, struct cfs_reader *rd, struct cfs_buf *dst,
			  size_t limit)
{
	if (rd->seekable || rd->out.len != rd->out_off || rd->port->closed ||
	    rd->cursor < cfs_journal_first_seq(&ps->e->journal))
		return 0;
	compact(rd);
	struct direct d = {rd, model_for(ps, rd), dst, dst->len + limit, 0};
	size_t start = dst->len;
	uint64_t next;
	if (scan_from_cursor(ps, rd, d.m, direct_one, &d, &next) == -ESTALE)
		return 0; /* overrun meanwhile: the general way reports it */
	/* Records looked at and not wanted are consumed with the rest. */
	rd->cursor = rd->seq0 = next;
	rd->port->delivered += (uint64_t)d.lines;
	note_position(rd);
	rd->off += dst->len - start;
	return dst->len - start;
}

ssize_t cfs_reader_take_buf(struct cfs_ports *ps, struct cfs_reader *rd, uint64_t off,
			    struct cfs_buf *dst, size_t size)
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
	size_t direct = take_direct(ps, rd, dst, limit);
	if (direct)
		return (ssize_t)direct;
	if (rd->out.len == rd->out_off)
		compact(rd);
	else if (rd->out.len - rd->out_off < limit)
		drop_given(rd);
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
	if (cfs_buf_append(dst, s, n) < 0)
		return -ENOMEM;
	rd->out_off += n;
	rd->off += n;
	note_position(rd);
	return (ssize_t)n;
}

ssize_t cfs_reader_take(struct cfs_ports *ps, struct cfs_reader *rd, uint64_t off, char *buf,
			size_t size)
{
	struct cfs_buf dst = {0};
	ssize_t n = cfs_reader_take_buf(ps, rd, off, &dst, size);
	if (n > 0)
		memcpy(buf, dst.data, (size_t)n);
	cfs_buf_free(&dst);
	return n;
}
