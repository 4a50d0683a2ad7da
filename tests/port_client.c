/* SPDX-License-Identifier: MIT */
/* A small client of notification ports, for the mount tests.
 *
 *   port_client select PATH N   open PATH O_RDWR|O_NONBLOCK, write the filter,
 *                               then select() + read until N records came
 *   port_client epoll PATH N    the same with epoll
 *   port_client poll PATH N     the same with poll
 *   port_client nonblock PATH   one read on a port with nothing queued:
 *                               prints "EAGAIN" (or what happened instead)
 *   port_client drain PATH      open and register, wait for $GO to exist,
 *                               then read (non-blocking) until nothing is
 *                               left for 1 s; prints the records
 *
 * Environment:
 *   FILTER   text written first (a newline is added when missing); "all"
 *            when unset, nothing when set but empty
 *   START    when set, "start $START" is written after the filter
 *   READY    a file created once the port is open and registered
 *   GO       (drain) the file to wait for
 *   TIMEOUT  seconds without a record before giving up (default 20)
 *
 * Records are printed one per line on stdout as they were read. At the end
 * the select/epoll/poll modes print "spurious K": the wakeups where the fd
 * was reported readable but read() said EAGAIN. On a timeout "timeout" is
 * printed and the exit status is 2. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char pending[1 << 16];
static size_t pending_len;
static long records;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes the filter and start lines, then signals READY. */
static int setup(int fd)
{
	const char *filter = getenv("FILTER");
	if (!filter)
		filter = "all";
	if (*filter) {
		char *text;
		size_t n = strlen(filter);
		if (asprintf(&text, "%s%s", filter, filter[n - 1] == '\n' ? "" : "\n") < 0)
			return -1;
		if (write_all(fd, text, strlen(text)) < 0) {
			fprintf(stderr, "port_client: writing the filter: %s\n", strerror(errno));
			free(text);
			return -1;
		}
		free(text);
	}
	const char *start = getenv("START");
	if (start && *start) {
		char *text;
		if (asprintf(&text, "start %s\n", start) < 0)
			return -1;
		if (write_all(fd, text, strlen(text)) < 0) {
			fprintf(stderr, "port_client: writing start: %s\n", strerror(errno));
			free(text);
			return -1;
		}
		free(text);
	}
	const char *ready = getenv("READY");
	if (ready) {
		int r = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (r >= 0)
			close(r);
	}
	return 0;
}

/* Prints complete lines of what was read; returns the number of lines. */
static long consume(const char *buf, size_t n)
{
	long lines = 0;
	for (size_t i = 0; i < n; i++) {
		if (pending_len < sizeof(pending) - 1)
			pending[pending_len++] = buf[i];
		if (buf[i] == '\n') {
			fwrite(pending, 1, pending_len, stdout);
			pending_len = 0;
			lines++;
		}
	}
	fflush(stdout);
	records += lines;
	return lines;
}

/* Reads once. Returns bytes, 0 at EOF, -1 with EAGAIN, -2 on error. */
static ssize_t read_once(int fd)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n < 0) {
		fprintf(stderr, "port_client: read: %s\n", strerror(errno));
		return -2;
	}
	consume(buf, (size_t)n);
	return n;
}

enum mode { M_SELECT, M_EPOLL, M_POLL };

static int wait_loop(enum mode mode, int fd, long want, double timeout)
{
	long spurious = 0;
	int ep = -1;
	if (mode == M_EPOLL) {
		ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			fprintf(stderr, "port_client: epoll: %s\n", strerror(errno));
			return 1;
		}
	}
	double last = now();
	while (records < want) {
		double left = last + timeout - now();
		if (left <= 0) {
			printf("timeout\nspurious %ld\n", spurious);
			return 2;
		}
		int ready;
		if (mode == M_SELECT) {
			fd_set rs;
			FD_ZERO(&rs);
			FD_SET(fd, &rs);
			struct timeval tv = { .tv_sec = (time_t)left,
					      .tv_usec = (suseconds_t)((left - (long)left) * 1e6) };
			ready = select(fd + 1, &rs, NULL, NULL, &tv);
			if (ready > 0 && !FD_ISSET(fd, &rs))
				ready = 0;
		} else if (mode == M_EPOLL) {
			struct epoll_event ev;
			ready = epoll_wait(ep, &ev, 1, (int)(left * 1000) + 1);
		} else {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ready = poll(&p, 1, (int)(left * 1000) + 1);
			if (ready > 0 && !(p.revents & (POLLIN | POLLHUP | POLLERR)))
				ready = 0;
		}
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0) {
			fprintf(stderr, "port_client: wait: %s\n", strerror(errno));
			return 1;
		}
		if (ready == 0)
			continue;
		ssize_t n = read_once(fd);
		if (n == -1) {
			spurious++;
			continue;
		}
		if (n == -2)
			return 1;
		if (n == 0) {
			printf("eof\nspurious %ld\n", spurious);
			return 3;
		}
		last = now();
	}
	printf("spurious %ld\n", spurious);
	return 0;
}

static int drain(int fd, double timeout)
{
	const char *go = getenv("GO");
	double t0 = now();
	while (go && access(go, F_OK) != 0) {
		if (now() - t0 > 600) {
			printf("timeout\n");
			return 2;
		}
		usleep(10000);
	}
	double last = now();
	while (now() - last < timeout) {
		ssize_t n = read_once(fd);
		if (n == -2)
			return 1;
		if (n == 0) {
			printf("eof\n");
			return 0;
		}
		if (n > 0)
			last = now();
		else
			usleep(20000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: port_client select|epoll|poll PATH N | nonblock PATH | drain PATH\n");
		return 64;
	}
	const char *cmd = argv[1], *path = argv[2];
	double timeout = getenv("TIMEOUT") ? atof(getenv("TIMEOUT")) : 20.0;
	int fd = open(path, O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "port_client: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (setup(fd) < 0)
		return 1;
	if (strcmp(cmd, "nonblock") == 0) {
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0)
			printf("%s\n", errno == EAGAIN ? "EAGAIN" : strerror(errno));
		else
			printf("read %zd bytes\n", n);
		return 0;
	}
	if (strcmp(cmd, "drain") == 0)
		return drain(fd, getenv("TIMEOUT") ? timeout : 1.0);
	if (argc < 4) {
		fprintf(stderr, "port_client: %s needs a record count\n", cmd);
		return 64;
	}
	long want = atol(argv[3]);
	enum mode mode = strcmp(cmd, "select") == 0 ? M_SELECT
		       : strcmp(cmd, "epoll") == 0  ? M_EPOLL
		       : strcmp(cmd, "poll") == 0   ? M_POLL
						    : (enum mode)-1;
	if ((int)mode < 0) {
		fprintf(stderr, "port_client: unknown mode %s\n", cmd);
		return 64;
	}
	return wait_loop(mode, fd, want, timeout);
}
