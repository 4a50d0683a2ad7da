/* SPDX-License-Identifier: MIT */
#include "eventlog.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static int field(struct cfs_buf *out, const char *s)
{
	if (!s)
		return cfs_buf_puts(out, " -");
	bool quote = !*s;
	for (const unsigned char *p = (const unsigned char *)s; *p && !quote; p++)
		quote = *p <= ' ' || *p == '"' || *p == 0x7f;
	int r = cfs_buf_append(out, " ", 1);
	if (r < 0 || !quote)
		return r < 0 ? r : cfs_buf_puts(out, s);
	r = cfs_buf_append(out, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; r == 0 && *p; p++) {
		if (*p == '"' || *p == '\\')
			r = cfs_buf_printf(out, "\\%c", *p);
		else if (*p == '\n')
			r = cfs_buf_puts(out, "\\n");
		else if (*p == '\t')
			r = cfs_buf_puts(out, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			r = cfs_buf_printf(out, "\\x%02x", *p);
		else
			r = cfs_buf_append(out, p, 1);
	}
	return r < 0 ? r : cfs_buf_append(out, "\"", 1);
}

int cfs_eventlog_format(const struct cfs_record *r, struct cfs_buf *out)
{
	time_t t = (time_t)(r->time_ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char ts[40];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	int e = cfs_buf_printf(out, "%s.%06ldZ %llu %s %s", ts,
			       (long)((r->time_ns % 1000000000) / 1000), (unsigned long long)r->seq,
			       cfs_kind_name(r->kind), cfs_change_name(r->change));
	if (e == 0)
		e = field(out, r->obj_name ? (*r->obj_name ? r->obj_name : "\\") : "-");
	if (e == 0 && r->prop)
		e = field(out, r->prop);
	if (e == 0 && (r->old_value || r->new_value)) {
		if ((e = field(out, r->old_value)) == 0 && (e = cfs_buf_puts(out, " ->")) == 0)
			e = field(out, r->new_value);
	}
	return e < 0 ? e : cfs_buf_append(out, "\n", 1);
}

static uint64_t gen_first(uint64_t seq)
{
	return (seq - 1) / CFS_EVENTLOG_GEN * CFS_EVENTLOG_GEN + 1;
}

/* Lock held. */
static int append_one(struct cfs_eventlog *el, const struct cfs_record *r, bool *rotated)
{
	if (!r->seq || r->seq < el->next_seq)
		return 0;
	el->next_seq = r->seq + 1;
	uint64_t g = gen_first(r->seq);
	if (el->cur.first_seq != g) {
		if (el->cur.first_seq) {
			cfs_buf_free(&el->prev.text);
			el->prev = el->cur;
			if (el->prev.first_seq + CFS_EVENTLOG_GEN != g) {
				/* A whole generation went by unseen: nothing to show. */
				cfs_buf_free(&el->prev.text);
				el->prev = (struct cfs_eventlog_gen){0};
			}
			*rotated = true;
		}
		el->cur = (struct cfs_eventlog_gen){.first_seq = g};
	}
	el->cur.mtime_ns = r->time_ns;
	return cfs_eventlog_format(r, &el->cur.text);
}

int cfs_eventlog_append(struct cfs_eventlog *el, const struct cfs_record *recs, size_t n)
{
	bool rotated = false;
	int r = 0;
	pthread_mutex_lock(&el->lock);
	for (size_t i = 0; i < n && r == 0; i++)
		r = append_one(el, &recs[i], &rotated);
	pthread_mutex_unlock(&el->lock);
	return r < 0 ? r : rotated;
}

static int init_one(const struct cfs_record *r, void *ud)
{
	bool rotated;
	return append_one(ud, r, &rotated) < 0;
}

/* Fills an empty log from the journal (lock held). */
static int build(struct cfs_eventlog *el, struct cfs_journal *j)
{
	uint64_t next = cfs_journal_next_seq(j), first = cfs_journal_first_seq(j);
	if (next <= 1)
		return 0;
	/* The previous generation too, as far as the journal still has it. */
	uint64_t g = gen_first(next - 1);
	uint64_t from = g > CFS_EVENTLOG_GEN ? g - CFS_EVENTLOG_GEN : 1;
	if (from < first)
		from = first;
	return cfs_journal_scan(j, from, next, init_one, el, NULL) ? -ENOMEM : 0;
}

int cfs_eventlog_init(struct cfs_eventlog *el, struct cfs_journal *j)
{
	*el = (struct cfs_eventlog){0};
	pthread_mutex_init(&el->lock, NULL);
	pthread_mutex_lock(&el->lock);
	int r = build(el, j);
	pthread_mutex_unlock(&el->lock);
	return r;
}

int cfs_eventlog_reset(struct cfs_eventlog *el, struct cfs_journal *j)
{
	pthread_mutex_lock(&el->lock);
	struct cfs_eventlog_gen cur = el->cur, prev = el->prev;
	uint64_t next = el->next_seq;
	el->cur = el->prev = (struct cfs_eventlog_gen){0};
	el->next_seq = 0;
	int r = build(el, j);
	if (r < 0) {
		cfs_buf_free(&el->cur.text);
		cfs_buf_free(&el->prev.text);
		el->cur = cur;
		el->prev = prev;
		el->next_seq = next;
	} else {
		cfs_buf_free(&cur.text);
		cfs_buf_free(&prev.text);
	}
	pthread_mutex_unlock(&el->lock);
	return r;
}

void cfs_eventlog_free(struct cfs_eventlog *el)
{
	cfs_buf_free(&el->cur.text);
	cfs_buf_free(&el->prev.text);
	pthread_mutex_destroy(&el->lock);
}

ssize_t cfs_eventlog_read(struct cfs_eventlog *el, int which, off_t off, char *buf, size_t size)
{
	pthread_mutex_lock(&el->lock);
	const struct cfs_buf *t = which ? &el->prev.text : &el->cur.text;
	size_t n = 0;
	if (off >= 0 && (size_t)off < t->len) {
		n = t->len - (size_t)off;
		if (n > size)
			n = size;
		memcpy(buf, t->data + off, n);
	}
	pthread_mutex_unlock(&el->lock);
	return (ssize_t)n;
}

void cfs_eventlog_stat(struct cfs_eventlog *el, int which, uint64_t *ret_size,
		       int64_t *ret_mtime_ns)
{
	pthread_mutex_lock(&el->lock);
	const struct cfs_eventlog_gen *g = which ? &el->prev : &el->cur;
	*ret_size = g->text.len;
	*ret_mtime_ns = g->mtime_ns;
	pthread_mutex_unlock(&el->lock);
}
