/* SPDX-License-Identifier: MIT */
/* A user that floods the daemon within its quotas (scripts/bench-flood.sh
 * runs it as nobody, next to an admin's measured changes).
 *
 *   flood readers MNT PORTS READERS ANON LINES   many readers, all reading
 *   flood churn MNT                              mkdir, filter, rmdir, again
 *   flood snapshots MNT                          snapshot readers, opened and closed
 *
 * readers: makes PORTS named ports (flood0...) with LINES registrations
 * each ("all key=K": every record, once per line), opens READERS events
 * files read-write among them and ANON ports/clone with the same lines,
 * and reads every one of them as fast as it can (epoll, 64 KiB reads).
 * Quota refusals (EDQUOT) are counted, not fatal. Runs until killed;
 * prints "READY ..." once set up, then every second the bytes it read. */
#include "common.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/stat.h>

static char *path(const char *mnt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *path(const char *mnt, const char *fmt, ...)
{
	static char buf[4][4096];
	static int i;
	char *b = buf[i++ % 4];
	int n = snprintf(b, 4096, "%s/", mnt);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b + n, 4096 - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

static char *lines_text(int lines)
{
	struct sbuf b = {0};
	for (int k = 0; k < lines; k++)
		sb_printf(&b, "all key=%d\n", k);
	return b.d;
}

static int put_lines(int fd, const char *text)
{
	/* Every line in one write when it fits, else line by line. */
	size_t len = strlen(text);
	if (write(fd, text, len) == (ssize_t)len)
		return 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = (size_t)(nl - p) + 1;
		if (write(fd, p, n) != (ssize_t)n)
			return -errno;
		p += n;
	}
	return 0;
}

static __attribute__((noreturn)) void readers(const char *mnt, int ports, int nreaders, int anon, int lines)
{
	char *text = lines_text(lines);
	int quota = 0, ep = epoll_create1(0), open_fds = 0;
	for (int i = 0; i < ports; i++) {
		if (mkdir(path(mnt, "ports/flood%d", i), 0755) < 0 && errno != EEXIST) {
			quota += errno == EDQUOT;
			ports = i;
			break;
		}
		int fd = open(path(mnt, "ports/flood%d/filter", i), O_WRONLY);
		if (fd < 0 || put_lines(fd, text) < 0)
			quota++;
		if (fd >= 0)
			close(fd);
	}
	for (int i = 0; i < nreaders + anon; i++) {
		bool named = i < nreaders && ports > 0;
		const char *p = named ? path(mnt, "ports/flood%d/events", i % ports)
				      : path(mnt, "ports/clone");
		int fd = open(p, O_RDWR | O_NONBLOCK);
		if (fd < 0) {
			quota += errno == EDQUOT;
			continue;
		}
		if (!named && put_lines(fd, text) < 0)
			quota++;
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		open_fds++;
	}
	printf("READY ports=%d readers=%d refused=%d\n", ports, open_fds, quota);
	fflush(stdout);
	static char buf[64 * 1024];
	unsigned long long bytes = 0;
	int64_t next = now_ns() + 1000000000;
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 1000);
		for (int k = 0; k < n; k++) {
			ssize_t r;
			while ((r = read(evs[k].data.fd, buf, sizeof(buf))) > 0) {
				bytes += (unsigned long long)r;
				if (now_ns() > next)
					break;
			}
		}
		if (now_ns() > next) {
			printf("READ %llu\n", bytes);
			fflush(stdout);
			next = now_ns() + 1000000000;
		}
	}
}

static __attribute__((noreturn)) void churn(const char *mnt)
{
	char *text = lines_text(16);
	printf("READY\n");
	fflush(stdout);
	for (unsigned long i = 0;; i++) {
		const char *d = path(mnt, "ports/churn%lu", i % 8);
		if (mkdir(d, 0755) == 0) {
			int fd = open(path(mnt, "ports/churn%lu/filter", i % 8), O_WRONLY);
			if (fd >= 0) {
				put_lines(fd, text);
				close(fd);
			}
			fd = open(path(mnt, "ports/churn%lu/events", i % 8), O_RDONLY | O_NONBLOCK);
			if (fd >= 0)
				close(fd);
		}
		rmdir(d);
	}
}

static __attribute__((noreturn)) void snapshots(const char *mnt)
{
	mkdir(path(mnt, "ports/snap"), 0755);
	int fd = open(path(mnt, "ports/snap/filter"), O_WRONLY);
	if (fd < 0 || write(fd, "all\n", 4) != 4)
		die("ports/snap/filter: %s", strerror(errno));
	close(fd);
	fd = open(path(mnt, "ports/snap/start"), O_WRONLY);
	if (fd < 0 || write(fd, "snapshot\n", 9) != 9)
		die("ports/snap/start: %s", strerror(errno));
	close(fd);
	printf("READY\n");
	fflush(stdout);
	unsigned long opened = 0, refused = 0;
	int64_t next = now_ns() + 1000000000;
	for (;;) {
		fd = open(path(mnt, "ports/snap/events"), O_RDONLY | O_NONBLOCK);
		if (fd >= 0) {
			opened++;
			close(fd);
		} else {
			refused++;
		}
		if (now_ns() > next) {
			printf("SNAPSHOTS %lu refused %lu\n", opened, refused);
			fflush(stdout);
			next = now_ns() + 1000000000;
		}
	}
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 7 && strcmp(argv[1], "readers") == 0)
		readers(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
	if (argc >= 3 && strcmp(argv[1], "churn") == 0)
		churn(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "snapshots") == 0)
		snapshots(argv[2]);
	die("usage: flood readers MNT PORTS READERS ANON LINES | churn MNT | snapshots MNT");
}
