/* SPDX-License-Identifier: MIT */
/* Peak rate of daemon-side changes with inotify delivery.
 *
 *   peak MNT KEY NKEYS NPER BATCH
 *
 * Setup (not timed as the result): creates registry key KEY with NKEYS
 * subkeys k0.. and NPER values v0.. in each, through MNT/control, and
 * watches (inotify, like inotifywait -r) KEY and every subkey; it waits
 * for the IN_CREATE of every value, so the daemon's notifier is idle.
 * Timed: sets every value once (NKEYS*NPER distinct files) through
 * MNT/control, BATCH lines per write(2), as fast as it can, while the
 * reader thread counts IN_MODIFY per file.
 *   commit rate  = changes / (last write returned - first write started)
 *   deliver rate = changes / (the last file's first IN_MODIFY - first write started)
 * Every changed file must get at least one IN_MODIFY.
 * Prints: RESULT key=value ... */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/inotify.h>
#include <sys/stat.h>

static int ifd, nkeys, nper;
static int *wd_key; /* wd -> key index (-1: KEY itself) */
static int maxwd;
static unsigned char *created, *modified;
static atomic_long ncreated, nmodified, nkeydirs, extra_mod, qoverflow, unknown;
static atomic_llong last_mod_ts;
static atomic_int phase; /* 1 setup, 2 timed */

static void *reader(void *arg)
{
	(void)arg;
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	for (;;) {
		ssize_t n = read(ifd, buf, cap);
		int64_t ts = now_ns();
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return NULL;
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				atomic_fetch_add(&qoverflow, 1);
				continue;
			}
			int k = ev->wd >= 0 && ev->wd <= maxwd ? wd_key[ev->wd] : -2;
			if (k == -1) {
				if ((ev->mask & IN_CREATE) && (ev->mask & IN_ISDIR))
					atomic_fetch_add(&nkeydirs, 1);
				continue;
			}
			int j;
			if (k < 0 || !ev->len || sscanf(ev->name, "v%d", &j) != 1 || j < 0 ||
			    j >= nper) {
				atomic_fetch_add(&unknown, 1);
				continue;
			}
			size_t idx = (size_t)k * (size_t)nper + (size_t)j;
			if (ev->mask & IN_CREATE) {
				if (!created[idx]) {
					created[idx] = 1;
					atomic_fetch_add(&ncreated, 1);
				}
			}
			if ((ev->mask & IN_MODIFY) && atomic_load(&phase) == 2) {
				if (modified[idx]) {
					atomic_fetch_add(&extra_mod, 1);
				} else {
					modified[idx] = 1;
					atomic_store(&last_mod_ts, ts);
					atomic_fetch_add(&nmodified, 1);
				}
			}
		}
	}
}

static void ctl_write(int cfd, struct sbuf *b)
{
	int r = write_once(cfd, b->d, b->len);
	if (r < 0)
		die("control write of %zu bytes: %s", b->len, strerror(-r));
	b->len = 0;
}

/* Waits until *counter reaches want, or no progress for idle_s. */
static bool wait_count(atomic_long *counter, long want, int idle_s)
{
	long last = -1;
	int64_t since = now_ns();
	for (;;) {
		long c = atomic_load(counter);
		if (c >= want)
			return true;
		if (c != last) {
			last = c;
			since = now_ns();
		} else if (now_ns() - since > (int64_t)idle_s * 1000000000) {
			return false;
		}
		sleep_ns(1000000);
	}
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 6)
		die("usage: peak MNT KEY NKEYS NPER BATCH");
	const char *mnt = argv[1], *key = argv[2];
	nkeys = atoi(argv[3]);
	nper = atoi(argv[4]);
	int batch = atoi(argv[5]);
	long total = (long)nkeys * nper;
	char path[4096];
	snprintf(path, sizeof(path), "%s/control", mnt);
	int cfd = open(path, O_WRONLY);
	if (cfd < 0)
		die("open %s: %s", path, strerror(errno));
	created = calloc((size_t)total, 1);
	modified = calloc((size_t)total, 1);
	ifd = inotify_init1(IN_CLOEXEC);
	maxwd = nkeys + 16;
	wd_key = malloc(sizeof(int) * (size_t)(maxwd + 1));
	for (int i = 0; i <= maxwd; i++)
		wd_key[i] = -2;
	atomic_store(&phase, 1);

	struct sbuf b = {0};
	sb_printf(&b, "reg-create-key %s\n", key);
	ctl_write(cfd, &b);
	snprintf(path, sizeof(path), "%s/registry/%s", mnt, key);
	int wd = inotify_add_watch(ifd, path, IN_CREATE | IN_MODIFY);
	if (wd < 0 || wd > maxwd)
		die("inotify_add_watch %s: %s", path, strerror(errno));
	wd_key[wd] = -1;
	pthread_t th;
	pthread_create(&th, NULL, reader, NULL);

	int64_t c0 = now_ns();
	for (int k = 0; k < nkeys; k++)
		sb_printf(&b, "reg-create-key %s/k%d\n", key, k);
	ctl_write(cfd, &b);
	bool keys_ok = wait_count(&nkeydirs, nkeys, 10);
	for (int k = 0; k < nkeys; k++) {
		snprintf(path, sizeof(path), "%s/registry/%s/k%d", mnt, key, k);
		wd = inotify_add_watch(ifd, path, IN_CREATE | IN_MODIFY);
		if (wd < 0 || wd > maxwd)
			die("inotify_add_watch %s: %s", path, strerror(errno));
		wd_key[wd] = k;
	}
	int lines = 0;
	for (int k = 0; k < nkeys; k++)
		for (int j = 0; j < nper; j++) {
			sb_printf(&b, "reg-set %s/k%d v%d sz 0\n", key, k, j);
			if (++lines == batch) {
				ctl_write(cfd, &b);
				lines = 0;
			}
		}
	if (b.len)
		ctl_write(cfd, &b);
	int64_t c1 = now_ns();
	bool creates_ok = wait_count(&ncreated, total, 15);
	int64_t c2 = now_ns();
	sleep_ns(200000000); /* stragglers */

	/* Timed: every value once, BATCH lines per write. */
	atomic_store(&phase, 2);
	size_t nw = (size_t)(total + batch - 1) / (size_t)batch, w = 0;
	double *wlat = calloc(nw + 1, sizeof(double));
	/* Build all batches first, so the timed loop only writes. */
	struct sbuf *bs = calloc(nw + 1, sizeof(*bs));
	lines = 0;
	for (int k = 0; k < nkeys; k++)
		for (int j = 0; j < nper; j++) {
			sb_printf(&bs[w], "reg-set %s/k%d v%d sz %d\n", key, k, j, k * nper + j + 1);
			if (++lines == batch) {
				w++;
				lines = 0;
			}
		}
	if (lines)
		w++;
	nw = w;
	int64_t t0 = now_ns();
	for (size_t i = 0; i < nw; i++) {
		int64_t a = now_ns();
		ctl_write(cfd, &bs[i]);
		wlat[i] = (double)(now_ns() - a) / 1e6;
	}
	int64_t t1 = now_ns();
	bool all = wait_count(&nmodified, total, 15);
	int64_t tl = atomic_load(&last_mod_ts);
	sleep_ns(300000000); /* duplicates and stragglers */
	qsort(wlat, nw, sizeof(double), cmp_dbl);
	long got = atomic_load(&nmodified);
	double cs = (double)(t1 - t0) / 1e9, ds = (double)(tl - t0) / 1e9;
	printf("RESULT changes=%ld writes=%zu batch=%d commit_s=%.3f commit_rps=%.0f "
	       "deliver_s=%.3f deliver_rps=%.0f delivered_files=%ld missing=%ld all=%d "
	       "extra_modify=%ld qoverflow=%ld unknown_events=%ld write_ms_med=%.2f "
	       "write_ms_max=%.2f setup_keys_ok=%d setup_create_events=%ld setup_creates_ok=%d "
	       "setup_commit_s=%.3f setup_events_s=%.3f",
	       total, nw, batch, cs, (double)total / cs, got ? ds : 0.0,
	       got ? (double)got / ds : 0.0, got, total - got, all, atomic_load(&extra_mod),
	       atomic_load(&qoverflow), atomic_load(&unknown), wlat[nw / 2], wlat[nw - 1],
	       keys_ok, atomic_load(&ncreated), creates_ok, (double)(c1 - c0) / 1e9,
	       (double)(c2 - c0) / 1e9);
	if (got < total) {
		printf(" first_missing=");
		for (long i = 0; i < total; i++)
			if (!modified[i]) {
				printf("%s/k%ld/v%ld", key, i / nper, i % nper);
				break;
			}
	}
	printf("\n");
	fflush(stdout);
	_exit(0);
}
