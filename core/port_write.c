/* SPDX-License-Identifier: MIT */
/* What is written to a port, and the text of a named port's files
 * (port.h): filter lines and start lines, written to a reader (its port's
 * filter; a start restarts that reader only) or to a named port's filter
 * and start files. All lines of one write apply or none, within the
 * writer's quotas of registrations. */
#include "port_i.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* What a writer may leave in a port: max lines (0: no quota), and, when
 * it has k readers of the port, room lines for them all together. */
struct line_quota {
	uint32_t max;
	size_t k;
	uint64_t room;
};

static struct line_quota line_quota(struct cfs_ports *ps, const struct cfs_port *p,
				    const struct cfs_cred *c)
{
	struct line_quota q = {0};
	if (c->admin)
		return q;
	q.max = ps->lim.filter;
	if (!ps->lim.watch)
		return q;
	for (size_t i = 0; i < p->readers.n; i++) {
		const struct cfs_reader *rd = p->readers.v[i];
		q.k += !rd->cred.admin && rd->cred.uid == c->uid;
	}
	uint64_t others = cfs_ports_usage(ps, c->uid).watch - q.k * p->filter.n;
	q.room = ps->lim.watch > others ? ps->lim.watch - others : 0;
	return q;
}

/* Applies text lines to a copy of p's filter (and start), then swaps;
 * the filter it replaced goes to *ret_old (NULL: freed). */
static int apply_lines(struct cfs_port *p, const char *text, size_t len, bool allow_start,
		       struct line_quota q, bool *ret_restart, enum cfs_start *ret_st,
		       uint64_t *ret_seq, struct cfs_filter *ret_old, const char **why)
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
	if (r == 0 && q.max && f.n > q.max && f.n > p->filter.n) {
		*why = "too many registrations in one port for this user (--limit-filter)";
		r = -EDQUOT;
	} else if (r == 0 && q.k && f.n * q.k > q.room && f.n > p->filter.n) {
		*why = "too many registrations in this user's readers (--limit-watch)";
		r = -EDQUOT;
	}
	if (r < 0) {
		cfs_filter_free(&f);
		return r;
	}
	if (ret_old)
		*ret_old = p->filter;
	else
		cfs_filter_free(&p->filter);
	p->filter = f;
	p->filter_gen++;
	*ret_restart = restart;
	*ret_st = st;
	*ret_seq = seq;
	return 0;
}

int cfs_reader_write(struct cfs_ports *ps, struct cfs_reader *rd, const char *text, size_t len,
		     const char **why)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = rd->port;
	bool restart = false;
	enum cfs_start st;
	uint64_t seq;
	struct cfs_filter old = {0};
	/* A reader's own start does not change its port's. */
	int r = p->closed ? -EPIPE
			  : apply_lines(p, text, len, true, line_quota(ps, p, &rd->cred), &restart,
					&st, &seq, &old, why);
	bool applied = r == 0;
	uint64_t gen = p->filter_gen;
	struct cfs_port_snap *snap = NULL, made;
	if (r == 0 && restart && st == CFS_START_SNAPSHOT) {
		/* Made without the ports lock; the kernel does not release
		 * the file (and so the reader) while this write runs. */
		struct cfs_filter f;
		uint64_t room = cfs_ports_pending_room(ps, &rd->cred);
		if (room != UINT64_MAX)
			room += cfs_reader_pending(rd); /* the snapshot replaces it */
		r = cfs_filter_copy(&f, &p->filter);
		pthread_mutex_unlock(&ps->lock);
		if (r == 0 && (r = cfs_port_snap_make(ps, &f, &rd->cred, room, &made)) == 0)
			snap = &made;
		if (r == -EDQUOT)
			*why = "a snapshot over this user's quota of unread bytes (--limit-pending)";
		cfs_filter_free(&f);
		pthread_mutex_lock(&ps->lock);
	}
	if (r == 0 && restart && (r = cfs_reader_begin(ps, rd, st, seq, snap)) == -EDQUOT)
		*why = "a snapshot over this user's quota of unread bytes (--limit-pending)";
	else if (snap && r < 0)
		cfs_port_snap_free(snap);
	if (applied && r < 0 && p->filter_gen == gen) {
		/* All lines or none: a write refused after its lines were
		 * applied (its snapshot: over the quota, or no memory) takes
		 * them back, unless another write changed the filter while the
		 * snapshot was made without the lock (then they stay). */
		cfs_filter_free(&p->filter);
		p->filter = old;
		old = (struct cfs_filter){0};
	}
	cfs_filter_free(&old);
	bool save = r == 0 && p->name;
	if (save)
		cfs_port_save(ps, p);
	pthread_mutex_unlock(&ps->lock);
	if (save)
		cfs_ports_flush(ps);
	return r;
}

int cfs_port_write_filter(struct cfs_ports *ps, uint64_t port_id, const struct cfs_cred *c,
			  const char *text, size_t len, const char **why)
{
	pthread_mutex_lock(&ps->lock);
	struct cfs_port *p = cfs_port_by_id(ps, port_id);
	bool restart = false;
	enum cfs_start st;
	uint64_t seq;
	int r = p ? apply_lines(p, text, len, false, line_quota(ps, p, c), &restart, &st, &seq,
				NULL, why)
		  : -ENOENT;
	if (r == 0)
		r = cfs_port_save(ps, p);
	pthread_mutex_unlock(&ps->lock);
	return r < 0 ? r : cfs_ports_flush(ps);
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
		r = cfs_port_save(ps, p);
	}
	pthread_mutex_unlock(&ps->lock);
	return r < 0 ? r : cfs_ports_flush(ps);
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
			r = cfs_buf_printf(out, "%s\n", cfs_port_start_word(p->start));
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
