/* SPDX-License-Identifier: MIT */
/* System calls the file tests (test_mount_files.c) make exactly, so that
 * a run on the mount and a run on tmpfs can be compared line by line.
 *
 *   files_probe events DIR SETTLE_MS CMD [ARG...]
 *       Watches DIR with inotify, runs CMD, waits SETTLE_MS for events
 *       the daemon raises afterwards, and prints CMD's exit status and
 *       the events in order: "NAME EVENT[,EVENT...]" ("." for DIR itself),
 *       a move's cookie shown as "c".
 *   files_probe unlink-write PATH
 *       Opens PATH read-write, unlinks it, writes "xyz" at offset 0 and
 *       prints what each call returned, what the descriptor reads back and
 *       its link count and size.
 *   files_probe attrib-order DIR MARKER
 *       Watches DIR, chmods it to 0750, creates DIR/MARKER right after
 *       chmod returns, and prints the events in the order they came. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MASK                                                                                  \
	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM |     \
	 IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

static const struct {
	unsigned bit;
	const char *name;
} names[] = {
	{IN_CREATE, "CREATE"},	       {IN_DELETE, "DELETE"},	    {IN_MODIFY, "MODIFY"},
	{IN_ATTRIB, "ATTRIB"},	       {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_MOVED_FROM, "MOVED_FROM"},
	{IN_MOVED_TO, "MOVED_TO"},     {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
	{IN_ISDIR, "ISDIR"},
};

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Prints every event that comes within settle_ms (each new event
 * restarts nothing: the window is fixed). */
static void drain(int fd, int settle_ms)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	long long end = now_ms() + settle_ms;
	for (;;) {
		long long left = end - now_ms();
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, left > 0 ? (int)left : 0) <= 0)
			break;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *q = buf; q < buf + n;) {
			const struct inotify_event *e = (const void *)q;
			q += sizeof(*e) + e->len;
			if (e->mask & IN_IGNORED)
				continue;
			printf("%s ", e->len && e->name[0] ? e->name : ".");
			const char *sep = "";
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
				if (e->mask & names[i].bit) {
					printf("%s%s", sep, names[i].name);
					sep = ",";
				}
			}
			printf("%s\n", e->cookie ? " c" : "");
		}
	}
}

static int watch(const char *dir)
{
	int fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, MASK) < 0) {
		perror("inotify");
		exit(2);
	}
	return fd;
}

static int events(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	int fd = watch(argv[2]);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fd);
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	drain(fd, atoi(argv[3]));
	return 0;
}

static void result(const char *what, long r)
{
	if (r < 0)
		printf("%s -%s\n", what, strerrorname_np(errno));
	else
		printf("%s %ld\n", what, r);
}

static int unlink_write(const char *path)
{
	int fd = open(path, O_RDWR);
	result("open", fd < 0 ? -1 : 0);
	if (fd < 0)
		return 1;
	result("unlink", unlink(path));
	result("write", (long)write(fd, "xyz", 3));
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	result("pread", (long)n);
	if (n > 0) {
		printf("data ");
		for (ssize_t i = 0; i < n; i++)
			printf("%02x", (unsigned char)buf[i]);
		printf("\n");
	}
	struct stat st;
	if (fstat(fd, &st) == 0)
		printf("nlink %lu size %lld\n", (unsigned long)st.st_nlink, (long long)st.st_size);
	else
		result("fstat", -1);
	result("close", close(fd));
	result("stat", stat(path, &st));
	return 0;
}

static int attrib_order(const char *dir, const char *marker)
{
	int fd = watch(dir);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, marker);
	if (chmod(dir, 0750) < 0) {
		perror("chmod");
		return 1;
	}
	/* The next call: every event of the chmod must be queued by now. */
	int m = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
	if (m < 0) {
		perror("create");
		return 1;
	}
	close(m);
	drain(fd, 500);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "events") == 0)
		return events(argc, argv);
	if (argc == 3 && strcmp(argv[1], "unlink-write") == 0)
		return unlink_write(argv[2]);
	if (argc == 4 && strcmp(argv[1], "attrib-order") == 0)
		return attrib_order(argv[2], argv[3]);
	fprintf(stderr, "usage: files_probe events DIR SETTLE_MS CMD... | unlink-write PATH | "
			"attrib-order DIR MARKER\n");
	return 2;
}
