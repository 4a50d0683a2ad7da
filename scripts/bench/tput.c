/* SPDX-License-Identifier: MIT */
/* Port read throughput.
 *
 *   tput EVENTS NREADERS BUFSZ MARKER [rw]
 *
 * rw: each reader opens EVENTS read-write, a stream that gives as many
 * whole lines as fit (what programs and libclusapi use); without it,
 * read-only, the seekable tool mode that gives one line per read.
 * Opens EVENTS (a named port's events file; its start is a sequence
 * number) NREADERS times: each open is an independent reader. Then all
 * reader threads start together and read(2) with a BUFSZ buffer as fast as
 * they can until the last line they got contains MARKER (the journal's
 * newest record). Each counts the lines it got; a first line that is the
 * "not_retained" error record gives the first retained seq. A reader is
 * complete when its records = seq(MARKER line) - first seq + 1.
 * Prints: RESULT key=value ... */
#include "common.h"

#include <pthread.h>
#include <stdbool.h>

struct rd {
	int fd;
	pthread_t th;
	int64_t t0, t1;
	unsigned long long lines, bytes, reads, specials, first_seq, end_seq;
	int err;
	bool done;
};

static size_t bufsz;
static const char *marker;
static pthread_barrier_t bar;

static void *run(void *arg)
{
	struct rd *r = arg;
	char *buf = malloc(bufsz);
	if (!buf)
		die("out of memory");
	pthread_barrier_wait(&bar);
	r->t0 = now_ns();
	bool first = true;
	for (;;) {
		ssize_t n = read(r->fd, buf, bufsz);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			r->err = n < 0 ? errno : -1;
			break;
		}
		r->reads++;
		r->bytes += (unsigned long long)n;
		const char *p = buf, *end = buf + n;
		if (first) {
			first = false;
			const char *nl = memchr(p, '\n', (size_t)n);
			if (nl && memmem(p, (size_t)(nl - p), "\"change\":\"error\"", 16)) {
				r->specials++;
				r->first_seq = json_u64(p, nl, "first_retained");
			} else if (nl) {
				r->first_seq = json_u64(p, nl, "seq");
			}
		}
		while ((p = memchr(p, '\n', (size_t)(end - p)))) {
			r->lines++;
			p++;
		}
		/* The last complete line: is it the marker? */
		if (n >= 2 && buf[n - 1] == '\n') {
			const char *q = buf + n - 2;
			while (q > buf && *q != '\n')
				q--;
			if (*q == '\n')
				q++;
			if (memmem(q, (size_t)(buf + n - q), marker, strlen(marker))) {
				r->end_seq = json_u64(q, buf + n, "seq");
				r->done = true;
				break;
			}
		}
	}
	r->t1 = now_ns();
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		die("usage: tput EVENTS NREADERS BUFSZ MARKER [rw]");
	int mode = argc > 5 && strcmp(argv[5], "rw") == 0 ? O_RDWR : O_RDONLY;
	int n = atoi(argv[2]);
	bufsz = (size_t)atol(argv[3]);
	marker = argv[4];
	struct rd *rs = calloc((size_t)n, sizeof(*rs));
	int64_t o0 = now_ns();
	for (int i = 0; i < n; i++) {
		rs[i].fd = open(argv[1], mode);
		if (rs[i].fd < 0)
			die("open %s (reader %d): %s", argv[1], i + 1, strerror(errno));
	}
	int64_t o1 = now_ns();
	pthread_barrier_init(&bar, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		pthread_create(&rs[i].th, NULL, run, &rs[i]);
	for (int i = 0; i < n; i++)
		pthread_join(rs[i].th, NULL);
	int64_t t0 = INT64_MAX, t1 = 0;
	unsigned long long total = 0, bytes = 0, reads = 0;
	int complete = 0, errs = 0;
	unsigned long long specials = 0;
	int64_t *rate = calloc((size_t)n, sizeof(int64_t));
	char why[256] = "";
	for (int i = 0; i < n; i++) {
		struct rd *r = &rs[i];
		if (r->t0 < t0)
			t0 = r->t0;
		if (r->t1 > t1)
			t1 = r->t1;
		unsigned long long recs = r->lines - r->specials;
		total += recs;
		bytes += r->bytes;
		reads += r->reads;
		double secs = (double)(r->t1 - r->t0) / 1e9;
		rate[i] = (int64_t)((double)recs / (secs > 0 ? secs : 1e-9));
		unsigned long long want = r->done && r->end_seq >= r->first_seq
						  ? r->end_seq - r->first_seq + 1
						  : 0;
		if (r->done && recs == want)
			complete++;
		else if (!why[0])
			snprintf(why, sizeof(why),
				 "reader_%d:records_%llu_want_%llu(seq_%llu..%llu)_done_%d_err_%d", i + 1,
				 recs, want, r->first_seq, r->end_seq, r->done, r->err);
		errs += r->err != 0;
		specials += r->specials;
		close(r->fd);
	}
	qsort(rate, (size_t)n, sizeof(*rate), cmp_i64);
	double wall = (double)(t1 - t0) / 1e9;
	printf("RESULT readers=%d records=%llu per_reader=%llu wall_s=%.4f agg_rps=%.0f "
	       "reader_rps_min=%lld reader_rps_med=%lld reader_rps_max=%lld MBps=%.1f "
	       "bytes_per_read=%.0f bytes_per_record=%.0f complete=%d errors=%d open_s=%.4f "
	       "first_seq=%llu end_seq=%llu specials=%llu",
	       n, total, total / (unsigned long long)n, wall, (double)total / wall,
	       (long long)rate[0], (long long)pct(rate, (size_t)n, 50), (long long)rate[n - 1],
	       (double)bytes / wall / 1e6, reads ? (double)bytes / (double)reads : 0.0,
	       total ? (double)bytes / (double)total : 0.0, complete, errs,
	       (double)(o1 - o0) / 1e9, rs[0].first_seq, rs[0].end_seq, specials);
	if (why[0])
		printf(" first_incomplete=%s", why);
	printf("\n");
	return 0;
}
