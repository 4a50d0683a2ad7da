/* SPDX-License-Identifier: MIT */
/* Group commit under load: W writers, each changing its own registry
 * value one write(2) at a time (the next as soon as the last is
 * acknowledged), for SECS seconds.
 *
 *   gcommit control|value MOUNT KEY W SECS [DATAFILE]
 *
 * control: each writer has its own descriptor of MOUNT/control and writes
 * "reg-set KEY w<k> sz <i>". The kernel runs one write(2) at a time per
 * FUSE inode, so these are serialized before the daemon sees them.
 * value: each writer has the value file MOUNT/registry/KEY/w<k> open and
 * rewrites it whole (pwrite of 9 bytes at offset 0): one inode each, so
 * the writes reach the daemon together. The values must exist.
 *
 * Every write(2) returns only once its change is durable, so the
 * acknowledged writes per second are the durable commits per second seen
 * by the writers. DATAFILE (optional) gets every write's latency
 * (microseconds). Prints: RESULT key=value ... */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>

struct writer {
	pthread_t th;
	int k, fd;
	size_t n, errs;
	int64_t *lat;
	size_t cap;
};

static const char *key;
static int by_value;
static int64_t until;

static void *run(void *arg)
{
	struct writer *w = arg;
	char cmd[256];
	for (int i = 0; now_ns() < until; i++) {
		int len = by_value ? snprintf(cmd, sizeof(cmd), "%08d\n", i % 100000000)
				   : snprintf(cmd, sizeof(cmd), "reg-set %s w%d sz %d\n", key, w->k, i);
		int64_t t0 = now_ns();
		int r = 0;
		if (by_value) {
			ssize_t n = pwrite(w->fd, cmd, (size_t)len, 0);
			r = n == len ? 0 : n < 0 ? -errno : -EIO;
		} else {
			r = write_once(w->fd, cmd, (size_t)len);
		}
		int64_t t1 = now_ns();
		if (r < 0) {
			w->errs++;
			continue;
		}
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 4096;
			w->lat = realloc(w->lat, w->cap * sizeof(*w->lat));
			if (!w->lat)
				die("out of memory");
		}
		w->lat[w->n++] = t1 - t0;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 6)
		die("usage: gcommit control|value MOUNT KEY W SECS [DATAFILE]");
	by_value = strcmp(argv[1], "value") == 0;
	key = argv[3];
	int nw = atoi(argv[4]);
	double secs = atof(argv[5]);
	struct writer *w = calloc((size_t)nw, sizeof(*w));
	for (int k = 0; k < nw; k++) {
		char path[4096];
		w[k].k = k;
		if (by_value)
			snprintf(path, sizeof(path), "%s/registry/%s/w%d", argv[2], key, k);
		else
			snprintf(path, sizeof(path), "%s/control", argv[2]);
		if ((w[k].fd = open(path, O_WRONLY)) < 0)
			die("open %s: %s", path, strerror(errno));
	}
	int64_t t0 = now_ns();
	until = t0 + (int64_t)(secs * 1e9);
	for (int k = 0; k < nw; k++)
		pthread_create(&w[k].th, NULL, run, &w[k]);
	size_t total = 0, errs = 0;
	for (int k = 0; k < nw; k++) {
		pthread_join(w[k].th, NULL);
		total += w[k].n;
		errs += w[k].errs;
	}
	double wall = (now_ns() - t0) / 1e9;
	int64_t *all = calloc(total ? total : 1, sizeof(*all));
	size_t m = 0;
	FILE *data = argc > 6 ? fopen(argv[6], "w") : NULL;
	for (int k = 0; k < nw; k++)
		for (size_t i = 0; i < w[k].n; i++) {
			all[m++] = w[k].lat[i];
			if (data)
				fprintf(data, "%.1f\n", w[k].lat[i] / 1e3);
		}
	if (data)
		fclose(data);
	printf("RESULT mode=%s writers=%d writes=%zu errors=%zu wall_s=%.3f cps=%.1f", argv[1], nw, total, errs, wall,
	       total / wall);
	print_pcts("write", all, m);
	printf("\n");
	return 0;
}
