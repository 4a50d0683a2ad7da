/* SPDX-License-Identifier: MIT */
/* Change -> inotify event and change -> port record, for the SAME changes.
 *
 *   chglat MOUNT KEY VALUE N GAP_US DATAFILE
 *
 * An anonymous port (MOUNT/ports/clone, filter kind=registry) with a
 * reader thread blocked in read() (64 KiB), and an inotify watcher thread
 * blocked in read() on a watch of MOUNT/registry/KEY/VALUE (IN_MODIFY).
 * The main thread makes N changes "reg-set KEY VALUE sz <i>" through
 * MOUNT/control, one write(2) each, and waits for both the record and the
 * event (3 s at most) before the next, GAP_US later. Each thread takes
 * CLOCK_MONOTONIC as soon as its read() returns. t0 = just before write(),
 * t1 = when write() returned.
 * DATAFILE gets one line per change: i write_us ino_from_t1 port_from_t1
 * ino_from_t0 port_from_t0 (microseconds).
 * Prints: RESULT key=value ... */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/inotify.h>

static int pfd, ifd;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int64_t *port_at, ino_at; /* when the record / the event came */
static int nchanges, current = -1;
static atomic_int rerr;

static void *port_reader(void *arg)
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
			atomic_store(&rerr, n < 0 ? errno : -1);
			pthread_cond_broadcast(&cv);
			return NULL;
		}
		size_t len = carry + (size_t)n;
		char *p = buf, *end = buf + len;
		pthread_mutex_lock(&mu);
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			char *q = memmem(p, (size_t)(nl - p), "\"new\":\"", 7);
			if (q) {
				long v = strtol(q + 7, NULL, 10);
				if (v >= 0 && v < nchanges && !port_at[v])
					port_at[v] = ts;
			}
			p = nl + 1;
		}
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		carry = (size_t)(end - p);
		if (carry >= 64 * 1024)
			carry = 0;
		memmove(buf, p, carry);
	}
}

static void *ino_reader(void *arg)
{
	(void)arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(ifd, buf, sizeof(buf));
		int64_t ts = now_ns();
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			atomic_store(&rerr, n < 0 ? errno : -1);
			pthread_cond_broadcast(&cv);
			return NULL;
		}
		bool mod = false;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			mod |= (ev->mask & IN_MODIFY) != 0;
			p += sizeof(*ev) + ev->len;
		}
		if (!mod)
			continue;
		pthread_mutex_lock(&mu);
		/* The first IN_MODIFY after change i's write() began counts. */
		if (current >= 0 && !ino_at)
			ino_at = ts;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
}

int main(int argc, char **argv)
{
	if (argc < 7)
		die("usage: chglat MOUNT KEY VALUE N GAP_US DATAFILE");
	const char *mnt = argv[1], *key = argv[2], *val = argv[3];
	nchanges = atoi(argv[4]);
	int64_t gap = atoll(argv[5]) * 1000;
	FILE *data = fopen(argv[6], "w");
	if (!data)
		die("%s: %s", argv[6], strerror(errno));
	char path[4096];
	snprintf(path, sizeof(path), "%s/ports/clone", mnt);
	if ((pfd = open(path, O_RDWR)) < 0)
		die("open %s: %s", path, strerror(errno));
	if (write_once(pfd, "kind=registry\n", 14) < 0)
		die("filter: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/control", mnt);
	int cfd = open(path, O_WRONLY);
	if (cfd < 0)
		die("open %s: %s", path, strerror(errno));
	if ((ifd = inotify_init1(IN_CLOEXEC)) < 0)
		die("inotify_init1: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/registry/%s/%s", mnt, key, val);
	if (inotify_add_watch(ifd, path, IN_MODIFY) < 0)
		die("watch %s: %s", path, strerror(errno));
	port_at = calloc((size_t)nchanges, sizeof(*port_at));
	int64_t *v[6];
	for (int k = 0; k < 6; k++)
		v[k] = calloc((size_t)nchanges, sizeof(int64_t));
	pthread_t th1, th2;
	pthread_create(&th1, NULL, port_reader, NULL);
	pthread_create(&th2, NULL, ino_reader, NULL);
	sleep_ns(100000000);

	size_t got = 0, lost_port = 0, lost_ino = 0, errs = 0, neg_port = 0, neg_ino = 0;
	char cmd[512];
	for (int i = 0; i < nchanges; i++) {
		int len = snprintf(cmd, sizeof(cmd), "reg-set %s %s sz %d\n", key, val, i);
		pthread_mutex_lock(&mu);
		current = i;
		ino_at = 0;
		pthread_mutex_unlock(&mu);
		int64_t t0 = now_ns();
		int r = write_once(cfd, cmd, (size_t)len);
		int64_t t1 = now_ns();
		if (r < 0) {
			errs++;
			continue;
		}
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 3;
		pthread_mutex_lock(&mu);
		while ((!port_at[i] || !ino_at) && !atomic_load(&rerr))
			if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT)
				break;
		int64_t tp = port_at[i], ti = ino_at;
		current = -1;
		pthread_mutex_unlock(&mu);
		lost_port += !tp;
		lost_ino += !ti;
		if (!tp || !ti) {
			if (atomic_load(&rerr))
				break;
			continue;
		}
		v[0][got] = t1 - t0;
		v[1][got] = ti - t1;
		v[2][got] = tp - t1;
		v[3][got] = ti - t0;
		v[4][got] = tp - t0;
		v[5][got] = ti - tp;
		neg_port += tp < t1;
		neg_ino += ti < t1;
		fprintf(data, "%d %.1f %.1f %.1f %.1f %.1f\n", i, v[0][got] / 1e3, v[1][got] / 1e3,
			v[2][got] / 1e3, v[3][got] / 1e3, v[4][got] / 1e3);
		got++;
		/* Let the replay of this change finish (its log MODIFY) before the
		 * next one, as a watcher's reaction would. */
		sleep_ns(gap);
	}
	fclose(data);
	printf("RESULT n=%d got=%zu lost_port=%zu lost_ino=%zu errors=%zu reader_error=%d "
	       "port_before_return=%zu ino_before_return=%zu",
	       nchanges, got, lost_port, lost_ino, errs, atomic_load(&rerr), neg_port, neg_ino);
	static const char *names[] = {"write", "ino", "port", "ino0", "port0", "gap"};
	for (int k = 0; k < 6; k++)
		print_pcts(names[k], v[k], got);
	printf("\n");
	fflush(stdout);
	_exit(0); /* the readers are still blocked */
}
