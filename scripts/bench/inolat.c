/* SPDX-License-Identifier: MIT */
/* Change -> inotify IN_MODIFY latency.
 *
 *   inolat ctl  DIR FILE N GAP_US CONTROL CMD_EVEN CMD_ODD WANT_EVEN WANT_ODD
 *   inolat file DIR FILE N GAP_US
 *
 * A reader thread is blocked in read() on an inotify fd watching DIR for
 * IN_MODIFY; it takes CLOCK_MONOTONIC as soon as read() returns a buffer
 * holding an IN_MODIFY for FILE. The main thread makes N changes, one at a
 * time, ~GAP_US apart (after the previous event arrived and the inotify
 * queue is quiet):
 *   ctl:  one write(2) of the line CMD_EVEN / CMD_ODD (by the parity of i;
 *         "%d" is replaced by i; a newline is appended) to CONTROL. t0 = just before write(), t1 = when it
 *         returned. Unless WANT_EVEN is "-", the reader thread reads FILE
 *         right after the timestamp and compares it with WANT_EVEN /
 *         WANT_ODD ("%d" -> i, "\n" appended): the README promises the new
 *         content is there when the event arrives.
 *   file: open(DIR/FILE, O_WRONLY|O_TRUNC) + write("i\n") + close.
 *         t0 = just before open(), t1 = after close().
 * Prints one line: RESULT key=value ... (latencies in microseconds). */
#include "common.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

static int ifd;
static const char *dir, *file;
static char path[4096];
static bool verify;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int64_t *hit_ts;       /* timestamps of buffers holding a matching event */
static bool *hit_ok;	      /* content matched at that moment */
static char (*hit_seen)[64];  /* what was read (on mismatch) */
static size_t nhits, caphits; /* guarded by mu */
static atomic_int in_read;
static atomic_ulong gen;
static atomic_ulong overflows;
static atomic_int want_i = -1; /* the change in flight (for verification) */
static const char *want_even = "", *want_odd = "";

static void expect_text(int i, char *out, size_t n)
{
	snprintf(out, n, (i & 1) ? want_odd : want_even, i);
	strncat(out, "\n", n - strlen(out) - 1);
}

static void *reader(void *arg)
{
	(void)arg;
	char buf[64 * 1024] __attribute__((aligned(8)));
	for (;;) {
		atomic_store(&in_read, 1);
		ssize_t n = read(ifd, buf, sizeof(buf));
		int64_t ts = now_ns();
		atomic_store(&in_read, 0);
		atomic_fetch_add(&gen, 1);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return NULL;
		}
		bool match = false;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				atomic_fetch_add(&overflows, 1);
			if ((ev->mask & IN_MODIFY) && ev->len && strcmp(ev->name, file) == 0)
				match = true;
			p += sizeof(*ev) + ev->len;
		}
		if (!match)
			continue;
		bool ok = true;
		char seen[64] = "";
		int wi = atomic_load(&want_i);
		if (verify && wi >= 0) {
			char want[64];
			expect_text(wi, want, sizeof(want));
			int fd = open(path, O_RDONLY);
			ssize_t k = fd >= 0 ? read(fd, seen, sizeof(seen) - 1) : -1;
			if (fd >= 0)
				close(fd);
			seen[k > 0 ? k : 0] = '\0';
			ok = strcmp(seen, want) == 0;
		}
		pthread_mutex_lock(&mu);
		if (nhits == caphits) {
			caphits = caphits ? caphits * 2 : 4096;
			hit_ts = realloc(hit_ts, caphits * sizeof(*hit_ts));
			hit_ok = realloc(hit_ok, caphits * sizeof(*hit_ok));
			hit_seen = realloc(hit_seen, caphits * sizeof(*hit_seen));
			if (!hit_ts || !hit_ok || !hit_seen)
				die("out of memory");
		}
		hit_ts[nhits] = ts;
		hit_ok[nhits] = ok;
		memcpy(hit_seen[nhits], seen, sizeof(seen));
		nhits++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
}

/* Waits until the reader is blocked in read() on an empty queue and has
 * been for a while (no stray event of an earlier change can then be taken
 * for the next one's). */
static bool quiesce(void)
{
	int64_t end = now_ns() + 2000000000LL;
	while (now_ns() < end) {
		unsigned long g = atomic_load(&gen);
		int q = 0;
		if (atomic_load(&in_read) && ioctl(ifd, FIONREAD, &q) == 0 && q == 0) {
			sleep_ns(100000);
			if (atomic_load(&gen) == g && atomic_load(&in_read) &&
			    ioctl(ifd, FIONREAD, &q) == 0 && q == 0)
				return true;
		} else {
			sleep_ns(50000);
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	if (argc < 6)
		die("usage: inolat ctl|file DIR FILE N GAP_US [CONTROL CMD_EVEN CMD_ODD WANT_EVEN WANT_ODD]");
	bool ctl = strcmp(argv[1], "ctl") == 0;
	dir = argv[2];
	file = argv[3];
	int n = atoi(argv[4]);
	int64_t gap = atoll(argv[5]) * 1000;
	const char *cmd_even = NULL, *cmd_odd = NULL;
	int cfd = -1;
	if (ctl) {
		if (argc < 11)
			die("ctl needs CONTROL CMD_EVEN CMD_ODD WANT_EVEN WANT_ODD");
		cfd = open(argv[6], O_WRONLY);
		if (cfd < 0)
			die("open %s: %s", argv[6], strerror(errno));
		cmd_even = argv[7];
		cmd_odd = argv[8];
		want_even = argv[9];
		want_odd = argv[10];
		verify = strcmp(want_even, "-") != 0;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ifd = inotify_init1(IN_CLOEXEC);
	if (ifd < 0 || inotify_add_watch(ifd, dir, IN_MODIFY) < 0)
		die("inotify on %s: %s", dir, strerror(errno));
	pthread_t th;
	pthread_create(&th, NULL, reader, NULL);

	int64_t *before = calloc((size_t)n, sizeof(int64_t));
	int64_t *after = calloc((size_t)n, sizeof(int64_t));
	size_t accounted = 0, got = 0, lost = 0, extra = 0, mismatch = 0, errs = 0, noisy = 0;
	char first_mismatch[256] = "";
	int first_err = 0;
	char cmd[512], text[64];
	for (int i = 0; i < n; i++) {
		if (!quiesce())
			noisy++;
		pthread_mutex_lock(&mu);
		size_t base = nhits;
		extra += nhits - accounted; /* events beyond one per change */
		accounted = nhits;
		pthread_mutex_unlock(&mu);
		atomic_store(&want_i, i);
		int64_t t0, t1;
		int r = 0;
		if (ctl) {
			int len = snprintf(cmd, sizeof(cmd) - 1, (i & 1) ? cmd_odd : cmd_even, i);
			cmd[len++] = '\n'; /* one whole line: one transaction */
			t0 = now_ns();
			r = write_once(cfd, cmd, (size_t)len);
			t1 = now_ns();
		} else {
			int len = snprintf(text, sizeof(text), "%d\n", i);
			t0 = now_ns();
			int fd = open(path, O_WRONLY | O_TRUNC);
			if (fd < 0 || write(fd, text, (size_t)len) != len)
				r = -errno;
			if (fd >= 0)
				close(fd);
			t1 = now_ns();
		}
		if (r < 0) {
			errs++;
			if (!first_err)
				first_err = -r;
			continue;
		}
		/* Wait for this change's event (3 s at most). */
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 3;
		pthread_mutex_lock(&mu);
		while (nhits == base)
			if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT)
				break;
		bool have = nhits > base;
		int64_t ts = have ? hit_ts[base] : 0;
		bool ok = have ? hit_ok[base] : true;
		char seen[64];
		if (have)
			memcpy(seen, hit_seen[base], sizeof(seen));
		pthread_mutex_unlock(&mu);
		if (!have) {
			lost++;
			continue;
		}
		accounted = base + 1;
		before[got] = ts - t0;
		after[got] = ts - t1;
		got++;
		if (!ok) {
			mismatch++;
			if (!first_mismatch[0]) {
				char want[64];
				expect_text(i, want, sizeof(want));
				want[strcspn(want, "\n")] = '\0';
				seen[strcspn(seen, "\n")] = '\0';
				snprintf(first_mismatch, sizeof(first_mismatch),
					 "change_%d:want_'%s'_read_'%s'", i, want, seen);
			}
		}
		sleep_ns(gap);
	}
	/* Late events of the last change. */
	sleep_ns(20000000);
	pthread_mutex_lock(&mu);
	extra += nhits - accounted;
	pthread_mutex_unlock(&mu);
	printf("RESULT n=%d got=%zu lost=%zu extra=%zu mismatch=%zu errors=%zu noisy=%zu "
	       "qoverflow=%lu",
	       n, got, lost, extra, mismatch, errs, noisy, atomic_load(&overflows));
	print_pcts("before", before, got);
	print_pcts("after", after, got);
	size_t neg = 0;
	for (size_t k = 0; k < got; k++)
		neg += after[k] < 0;
	printf(" after_negative=%zu", neg);
	if (first_err)
		printf(" first_error=%s", strerrorname_np(first_err));
	if (first_mismatch[0])
		printf(" first_mismatch=%s", first_mismatch);
	printf("\n");
	return 0;
}
