/* SPDX-License-Identifier: MIT */
/* Concurrent writers on some nodes' control files, counted by a port
 * reader on another node (scripts/bench-cluster.sh).
 *
 *   wflood CLONE KEY W N LINES GAP_US CONTROL...
 *
 * Opens CLONE (a node's ports/clone) read-write, an anonymous port with
 * the filter "registry=KEY"; a reader thread counts the value_set records
 * it reads (an overflow record counts what it says was lost, and is
 * reported). Then W writer threads per CONTROL each make N write(2)s,
 * GAP_US apart, each of LINES changes "reg-set KEY c<C>w<W> sz <i>" (a
 * distinct value per writer; LINES > 1: one transaction of LINES
 * changes). t_start is when the writers are released.
 * With W=1, one CONTROL and a gap this measures durable write() latency;
 * with many writers, the rate of committed changes seen by the reader.
 * Prints: RESULT changes= seen= secs= rps= (seen / (last record - t_start))
 * write_secs= (last write returned) write_p50= write_p99= write_max= (us,
 * per write)
 * errors= overflow_lost= first_error= */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

static int pfd;
static long total;
static atomic_long seen, overflow_lost, other_lines;
static atomic_llong t_last;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool go;
static int64_t t_start;

struct writer {
	pthread_t th;
	const char *control;
	int c, w;
	long n;
	int lines;
	int64_t gap_ns;
	const char *key;
	int64_t *lat;
	long nlat, errors;
	int first_err;
	int64_t t_end;
};

static void *reader(void *arg)
{
	(void)arg;
	static char buf[64 * 1024 + 1];
	size_t carry = 0;
	for (;;) {
		ssize_t n = read(pfd, buf + carry, 64 * 1024 - carry);
		int64_t ts = now_ns();
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return NULL;
		}
		size_t len = carry + (size_t)n;
		char *p = buf, *end = buf + len;
		long got = 0;
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			if (memmem(p, (size_t)(nl - p), "\"value_set\"", 11)) {
				got++;
			} else if (memmem(p, (size_t)(nl - p), "\"overflow\"", 10)) {
				unsigned long long a = json_u64(p, nl, "lost_from"),
						   b = json_u64(p, nl, "lost_to");
				if (b >= a) {
					got += (long)(b - a + 1);
					atomic_fetch_add(&overflow_lost, (long)(b - a + 1));
				}
			} else {
				atomic_fetch_add(&other_lines, 1);
			}
			p = nl + 1;
		}
		if (got) {
			atomic_store(&t_last, ts);
			atomic_fetch_add(&seen, got);
		}
		carry = (size_t)(end - p);
		if (carry >= 64 * 1024)
			carry = 0;
		memmove(buf, p, carry);
	}
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int fd = open(w->control, O_WRONLY);
	if (fd < 0)
		die("open %s: %s", w->control, strerror(errno));
	pthread_mutex_lock(&mu);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	struct sbuf cmd = {0};
	for (long i = 0; i < w->n; i++) {
		cmd.len = 0;
		for (int k = 0; k < w->lines; k++)
			sb_printf(&cmd, "reg-set %s c%dw%d sz %ld\n", w->key, w->c, w->w,
				  i * w->lines + k);
		int64_t t0 = now_ns();
		int r = write_once(fd, cmd.d, cmd.len);
		int64_t t1 = now_ns();
		if (r < 0) {
			if (!w->errors++)
				w->first_err = -r;
		} else {
			w->lat[w->nlat++] = t1 - t0;
		}
		sleep_ns(w->gap_ns);
	}
	w->t_end = now_ns();
	free(cmd.d);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 8)
		die("usage: wflood CLONE KEY W N LINES GAP_US CONTROL...");
	const char *key = argv[2];
	int nw = atoi(argv[3]);
	long n = atol(argv[4]);
	int lines = atoi(argv[5]) > 0 ? atoi(argv[5]) : 1;
	int64_t gap = atoll(argv[6]) * 1000;
	int nc = argc - 7;
	pfd = open(argv[1], O_RDWR);
	if (pfd < 0)
		die("open %s: %s", argv[1], strerror(errno));
	char filt[512];
	int fl = snprintf(filt, sizeof(filt), "registry=%s\n", key);
	if (write_once(pfd, filt, (size_t)fl) < 0)
		die("writing the filter to %s: %s", argv[1], strerror(errno));
	total = (long)nc * nw * n * lines;
	struct writer *ws = calloc((size_t)(nc * nw), sizeof(*ws));
	for (int c = 0; c < nc; c++) {
		for (int k = 0; k < nw; k++) {
			struct writer *w = &ws[c * nw + k];
			*w = (struct writer){.control = argv[7 + c], .c = c + 1, .w = k + 1, .n = n,
					     .lines = lines, .gap_ns = gap, .key = key};
			w->lat = calloc((size_t)n, sizeof(*w->lat));
			if (!w->lat)
				die("out of memory");
			pthread_create(&w->th, NULL, writer_main, w);
		}
	}
	pthread_t rt;
	pthread_create(&rt, NULL, reader, NULL);
	sleep_ns(100000000); /* the reader blocks, the writers open */
	pthread_mutex_lock(&mu);
	t_start = now_ns();
	go = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	int64_t wend = 0;
	long errors = 0;
	int first_err = 0;
	for (int i = 0; i < nc * nw; i++) {
		pthread_join(ws[i].th, NULL);
		if (ws[i].t_end > wend)
			wend = ws[i].t_end;
		errors += ws[i].errors;
		if (!first_err)
			first_err = ws[i].first_err;
	}
	/* What was acknowledged reaches the reader within a few seconds. */
	int64_t deadline = now_ns() + 10 * 1000000000LL;
	while (atomic_load(&seen) < total - errors * lines && now_ns() < deadline)
		sleep_ns(2000000);
	int64_t last = atomic_load(&t_last);
	double secs = (double)(last - t_start) / 1e9;
	long s = atomic_load(&seen);
	int64_t *all = calloc((size_t)total + 1, sizeof(*all));
	size_t na = 0;
	for (int i = 0; i < nc * nw; i++) {
		memcpy(all + na, ws[i].lat, (size_t)ws[i].nlat * sizeof(*all));
		na += (size_t)ws[i].nlat;
	}
	printf("RESULT changes=%ld seen=%ld secs=%.6f rps=%.0f write_secs=%.6f", total, s, secs,
	       secs > 0 ? (double)s / secs : 0.0, (double)(wend - t_start) / 1e9);
	print_pcts("write", all, na);
	printf(" errors=%ld overflow_lost=%ld other_lines=%ld", errors, atomic_load(&overflow_lost),
	       atomic_load(&other_lines));
	if (first_err)
		printf(" first_error=%s", strerrorname_np(first_err));
	printf("\n");
	fflush(stdout);
	_exit(0); /* the reader is still blocked in read() */
}
