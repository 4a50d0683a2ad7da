/* SPDX-License-Identifier: MIT */
/* A port reader that timestamps every record (scripts/bench-cluster.sh).
 *
 *   portwatch CLONE FILTER...
 *
 * Opens CLONE (a node's ports/clone) read-write, an anonymous port, and
 * writes each FILTER as one line (e.g. "kind=node change=state"). Prints
 * "READY" once the filter is in, then every record as "NS LINE", NS
 * being CLOCK_MONOTONIC in ns when the read() that brought it returned
 * (the clock every network namespace shares). One line per write(2), so
 * the output can be followed while it runs. Runs until killed. */
#include "common.h"

static void out(const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(1, s, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			exit(1);
		}
		s += k;
		n -= (size_t)k;
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: portwatch CLONE FILTER...");
	int fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die("open %s: %s", argv[1], strerror(errno));
	for (int i = 2; i < argc; i++) {
		char line[512];
		int n = snprintf(line, sizeof(line), "%s\n", argv[i]);
		if (write_once(fd, line, (size_t)n) < 0)
			die("filter %s: %s", argv[i], strerror(errno));
	}
	out("READY\n", 6);
	static char buf[64 * 1024];
	size_t carry = 0;
	for (;;) {
		ssize_t n = read(fd, buf + carry, sizeof(buf) - carry);
		int64_t ts = now_ns();
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read: %s", n ? strerror(errno) : "end of file");
		size_t len = carry + (size_t)n;
		char *p = buf, *end = buf + len;
		char *nl;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			char pre[32];
			int k = snprintf(pre, sizeof(pre), "%lld ", (long long)ts);
			struct sbuf b = {0};
			sb_printf(&b, "%.*s%.*s\n", k, pre, (int)(nl - p), p);
			out(b.d, b.len);
			free(b.d);
			p = nl + 1;
		}
		carry = (size_t)(end - p);
		if (carry == sizeof(buf))
			carry = 0; /* a line longer than the buffer: dropped */
		memmove(buf, p, carry);
	}
}
