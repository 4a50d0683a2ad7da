/* SPDX-License-Identifier: MIT */
/* Feeds a file of control lines to the control file.
 *
 *   feed CONTROL FILE MAXBYTES
 *
 * Each write(2) carries as many whole lines as fit in MAXBYTES (so each is
 * one transaction). Prints: RESULT lines= bytes= writes= secs= rps= */
#include "common.h"

#include <sys/stat.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		die("usage: feed CONTROL FILE MAXBYTES");
	size_t max = (size_t)atol(argv[3]);
	int in = open(argv[2], O_RDONLY);
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0)
		die("%s: %s", argv[2], strerror(errno));
	size_t len = (size_t)st.st_size;
	char *d = malloc(len + 1);
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(in, d + got, len - got);
		if (n <= 0)
			die("read %s", argv[2]);
		got += (size_t)n;
	}
	int cfd = open(argv[1], O_WRONLY);
	if (cfd < 0)
		die("open %s: %s", argv[1], strerror(errno));
	long lines = 0, writes = 0;
	int64_t t0 = now_ns();
	for (size_t off = 0; off < len;) {
		size_t end = off + max < len ? off + max : len;
		if (end < len) {
			char *nl = memrchr(d + off, '\n', end - off);
			if (!nl)
				die("a line longer than %zu bytes", max);
			end = (size_t)(nl - d) + 1;
		}
		for (size_t i = off; i < end; i++)
			lines += d[i] == '\n';
		int r = write_once(cfd, d + off, end - off);
		if (r < 0)
			die("write %ld (%zu bytes): %s", writes + 1, end - off, strerror(-r));
		writes++;
		off = end;
	}
	if (close(cfd) < 0)
		die("close %s: %s", argv[1], strerror(errno));
	double secs = (double)(now_ns() - t0) / 1e9;
	printf("RESULT lines=%ld bytes=%zu writes=%ld secs=%.3f rps=%.0f\n", lines, len, writes, secs,
	       (double)lines / secs);
	return 0;
}
