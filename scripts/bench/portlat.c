/* SPDX-License-Identifier: MIT */
/* Change -> port reader latency.
 *
 *   portlat read|select CLONE CONTROL N GAP_US FILTER KEY VALUE
 *
 * Opens CLONE (ports/clone) read-write: an anonymous port; writes FILTER
 * (e.g. "kind=registry") to it. A reader thread is blocked in read() with
 * a 64 KiB buffer ("read"), or in select() and then read() ("select"); it
 * takes CLOCK_MONOTONIC as soon as read() returns, and looks in what it
 * got for the record whose "new" is the value being waited for. The main
 * thread makes N changes through CONTROL, one write(2) each:
 * "reg-set KEY VALUE sz <i>", ~GAP_US apart (after the previous record
 * arrived). t0 = just before write(), t1 = when write() returned.
 * Prints: RESULT key=value ... (latencies in microseconds: "before" and
 * "after" to the record, "write" the write() itself, i.e. the commit). */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/select.h>

static int pfd;
static bool use_select;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int64_t *arrived; /* per change: when its record came (0: not yet) */
static int nchanges;
static atomic_ulong lines, reads, bad_lines, partial;
static atomic_int rerr;

static void *reader(void *arg)
{
	(void)arg;
	static char buf[64 * 1024 + 1];
	size_t carry = 0; /* an incomplete line kept from the last read */
	for (;;) {
		if (use_select) {
			fd_set rf;
			FD_ZERO(&rf);
			FD_SET(pfd, &rf);
			int k = select(pfd + 1, &rf, NULL, NULL, NULL);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				atomic_store(&rerr, errno);
				return NULL;
			}
		}
		ssize_t n = read(pfd, buf + carry, 64 * 1024 - carry);
		int64_t ts = now_ns();
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			atomic_store(&rerr, n < 0 ? errno : -1);
			return NULL;
		}
		atomic_fetch_add(&reads, 1);
		size_t len = carry + (size_t)n;
		char *p = buf, *end = buf + len;
		pthread_mutex_lock(&mu);
		bool woke = false;
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			atomic_fetch_add(&lines, 1);
			char *q = memmem(p, (size_t)(nl - p), "\"new\":\"", 7);
			if (q) {
				long v = strtol(q + 7, NULL, 10);
				if (v >= 0 && v < nchanges && !arrived[v]) {
					arrived[v] = ts;
					woke = true;
				}
			} else {
				atomic_fetch_add(&bad_lines, 1);
			}
			p = nl + 1;
		}
		if (woke)
			pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		carry = (size_t)(end - p);
		if (carry) {
			atomic_fetch_add(&partial, 1);
			if (carry >= 64 * 1024)
				carry = 0; /* a line longer than the buffer: drop it */
			memmove(buf, p, carry);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 9)
		die("usage: portlat read|select CLONE CONTROL N GAP_US FILTER KEY VALUE");
	use_select = strcmp(argv[1], "select") == 0;
	pfd = open(argv[2], O_RDWR);
	if (pfd < 0)
		die("open %s: %s", argv[2], strerror(errno));
	int cfd = open(argv[3], O_WRONLY);
	if (cfd < 0)
		die("open %s: %s", argv[3], strerror(errno));
	nchanges = atoi(argv[4]);
	int64_t gap = atoll(argv[5]) * 1000;
	char filt[256];
	int fl = snprintf(filt, sizeof(filt), "%s\n", argv[6]);
	if (write_once(pfd, filt, (size_t)fl) < 0)
		die("writing the filter to %s: %s", argv[2], strerror(errno));
	const char *key = argv[7], *val = argv[8];
	arrived = calloc((size_t)nchanges, sizeof(*arrived));
	int64_t *before = calloc((size_t)nchanges, sizeof(int64_t));
	int64_t *after = calloc((size_t)nchanges, sizeof(int64_t));
	int64_t *wlat = calloc((size_t)nchanges, sizeof(int64_t));
	size_t nw = 0;
	pthread_t th;
	pthread_create(&th, NULL, reader, NULL);
	sleep_ns(50000000); /* let the reader block */

	size_t got = 0, lost = 0, errs = 0;
	int first_err = 0;
	char cmd[512];
	for (int i = 0; i < nchanges; i++) {
		int len = snprintf(cmd, sizeof(cmd), "reg-set %s %s sz %d\n", key, val, i);
		int64_t t0 = now_ns();
		int r = write_once(cfd, cmd, (size_t)len);
		int64_t t1 = now_ns();
		if (r == 0)
			wlat[nw++] = t1 - t0;
		if (r < 0) {
			errs++;
			if (!first_err)
				first_err = -r;
			continue;
		}
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 3;
		pthread_mutex_lock(&mu);
		while (!arrived[i] && !atomic_load(&rerr))
			if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT)
				break;
		int64_t ts = arrived[i];
		pthread_mutex_unlock(&mu);
		if (!ts) {
			lost++;
			if (atomic_load(&rerr))
				break;
			continue;
		}
		before[got] = ts - t0;
		after[got] = ts - t1;
		got++;
		sleep_ns(gap);
	}
	printf("RESULT n=%d got=%zu lost=%zu errors=%zu reads=%lu lines=%lu other_lines=%lu "
	       "split_lines=%lu reader_error=%d",
	       nchanges, got, lost, errs, atomic_load(&reads), atomic_load(&lines),
	       atomic_load(&bad_lines), atomic_load(&partial), atomic_load(&rerr));
	print_pcts("before", before, got);
	print_pcts("after", after, got);
	print_pcts("write", wlat, nw);
	size_t neg = 0;
	for (size_t k = 0; k < got; k++)
		neg += after[k] < 0;
	printf(" after_negative=%zu", neg);
	if (first_err)
		printf(" first_error=%s", strerrorname_np(first_err));
	printf("\n");
	fflush(stdout);
	_exit(0); /* the reader is still blocked in read() */
}
