/* SPDX-License-Identifier: MIT */
/* The reference for port throughput: reading a file of the same records.
 *
 *   fread64 FILE BUFSZ MIN_SECS
 *
 * Reads FILE from start to end with BUFSZ read(2)s, again and again until
 * MIN_SECS have passed, counting bytes and lines. Prints: RESULT ... */
#include "common.h"

int main(int argc, char **argv)
{
	if (argc < 4)
		die("usage: fread64 FILE BUFSZ MIN_SECS");
	size_t bufsz = (size_t)atol(argv[2]);
	double min = atof(argv[3]);
	char *buf = malloc(bufsz);
	int fd = open(argv[1], O_RDONLY);
	if (!buf || fd < 0)
		die("%s: %s", argv[1], strerror(errno));
	unsigned long long bytes = 0, lines = 0, passes = 0;
	int64_t t0 = now_ns(), t1;
	do {
		ssize_t n;
		lseek(fd, 0, SEEK_SET);
		while ((n = read(fd, buf, bufsz)) > 0) {
			bytes += (unsigned long long)n;
			for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
				lines++;
		}
		passes++;
		t1 = now_ns();
	} while ((t1 - t0) / 1e9 < min);
	double s = (t1 - t0) / 1e9;
	printf("RESULT passes=%llu bytes=%llu lines=%llu secs=%.3f Bps=%.0f rps=%.0f\n", passes,
	       bytes, lines, s, bytes / s, lines / s);
	return 0;
}
