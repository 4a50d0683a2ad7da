/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ifscan.h"

#define SKIP_EXIT 77

static const struct cfs_ifinfo *find(const struct cfs_ifinfo *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

Test(ifscan, finds_loopback)
{
	struct cfs_ifinfo *v = NULL;
	size_t n = 0;
	cr_assert_eq(cfs_ifscan(&v, &n), 0);
	cr_assert_gt(n, 0);
	const struct cfs_ifinfo *lo = find(v, n, "lo");
	cr_assert_not_null(lo, "no \"lo\" among %zu interfaces", n);
	cr_expect(lo->loopback);
	cr_expect(lo->up);
	cr_expect_str_eq(lo->address, "127.0.0.1");
	cr_expect_eq(lo->prefixlen, 8);
	cr_expect_str_eq(lo->network, "127.0.0.0");
	free(v);
}

Test(ifscan, sorted_unique_and_complete)
{
	struct cfs_ifinfo *v = NULL;
	size_t n = 0;
	cr_assert_eq(cfs_ifscan(&v, &n), 0);
	for (size_t i = 0; i < n; i++) {
		cr_expect_neq(v[i].name[0], '\0', "entry %zu has no name", i);
		cr_expect_lt(strnlen(v[i].name, sizeof(v[i].name)), sizeof(v[i].name));
		if (i > 0)
			cr_expect_lt(strcmp(v[i - 1].name, v[i].name), 0, "\"%s\" then \"%s\"",
				     v[i - 1].name, v[i].name);
		if (v[i].address[0] == '\0') {
			cr_expect_str_empty(v[i].network, "%s", v[i].name);
			cr_expect_eq(v[i].prefixlen, 0, "%s", v[i].name);
		} else {
			cr_expect_str_not_empty(v[i].network, "%s", v[i].name);
		}
	}
	/* Every interface the kernel knows of is listed. */
	struct if_nameindex *ni = if_nameindex();
	cr_assert_not_null(ni);
	for (struct if_nameindex *p = ni; p->if_index; p++)
		cr_expect_not_null(find(v, n, p->if_name), "%s missing", p->if_name);
	if_freenameindex(ni);
	free(v);
}

Test(ifscan, watch_open_and_drain_idle)
{
	int fd = cfs_ifwatch_open();
	cr_assert_geq(fd, 0, "cfs_ifwatch_open: %s", strerror(-fd));
	int fl = fcntl(fd, F_GETFL);
	cr_expect(fl >= 0 && (fl & O_NONBLOCK), "not non-blocking");
	int fdfl = fcntl(fd, F_GETFD);
	cr_expect(fdfl >= 0 && (fdfl & FD_CLOEXEC), "not close-on-exec");
	/* Other activity on the host may make it 1, but never an error. */
	int r = cfs_ifwatch_drain(fd);
	cr_expect(r == 0 || r == 1, "cfs_ifwatch_drain: %d", r);
	/* Nothing is left pending right after a drain that saw nothing. */
	if (r == 0)
		cr_expect_eq(cfs_ifwatch_drain(fd), 0);
	close(fd);
	cr_expect_lt(cfs_ifwatch_drain(fd), 0, "drain of a closed fd must fail");
}

/* ---- A dummy interface in a private network namespace ---------------------------------------- */

static char failmsg[512];

static const char *fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(failmsg, sizeof(failmsg), fmt, ap);
	va_end(ap);
	return failmsg;
}

static int run(const char *ip, const char *args, bool quiet)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "%s %s%s", ip, args, quiet ? " >/dev/null 2>&1" : "");
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* A dummy interface; kernels built without the dummy driver get one end of a veth pair
 * instead, whose peer is brought up so that the carrier follows this end. (Not ifb: loading
 * that driver creates ifb0 and ifb1 in the host's namespace, which would outlive the test.) */
static unsigned veth_peers; /* peers add_link() had to create (child process only) */

static int add_link(const char *ip, const char *name)
{
	char args[128];
	snprintf(args, sizeof(args), "link add %s type dummy", name);
	if (run(ip, args, true) == 0)
		return 0;
	snprintf(args, sizeof(args), "link add %s type veth peer name %sp", name, name);
	if (run(ip, args, false) < 0)
		return -1;
	veth_peers++;
	snprintf(args, sizeof(args), "link set %sp up", name);
	return run(ip, args, false);
}

static const char *check_addr(const struct cfs_ifinfo *e, const char *address, unsigned prefixlen,
			      const char *network)
{
	if (strcmp(e->address, address) != 0)
		return fail("%s: address \"%s\", expected \"%s\"", e->name, e->address, address);
	if (e->prefixlen != prefixlen)
		return fail("%s: prefix %u, expected %u", e->name, e->prefixlen, prefixlen);
	if (strcmp(e->network, network) != 0)
		return fail("%s: network \"%s\", expected \"%s\"", e->name, e->network, network);
	return NULL;
}

/* Runs in a child that has just entered a fresh network namespace. */
static const char *netns_checks(const char *ip)
{
	struct cfs_ifinfo *v = NULL;
	size_t n = 0;
	int r = cfs_ifscan(&v, &n);
	if (r < 0)
		return fail("cfs_ifscan: %s", strerror(-r));
	if (n != 1 || strcmp(v[0].name, "lo") != 0)
		return fail("fresh netns: %zu interfaces, first \"%s\"", n, n ? v[0].name : "");
	if (!v[0].loopback || v[0].up || v[0].address[0] || v[0].network[0] || v[0].prefixlen)
		return fail("fresh netns: lo loopback=%d up=%d address=\"%s\" prefix=%u",
			    v[0].loopback, v[0].up, v[0].address, v[0].prefixlen);
	free(v);

	int fd = cfs_ifwatch_open();
	if (fd < 0)
		return fail("cfs_ifwatch_open: %s", strerror(-fd));
	r = cfs_ifwatch_drain(fd);
	if (r != 0)
		return fail("drain of an idle fresh netns returned %d", r);

	if (add_link(ip, "cfstest0") < 0)
		return fail("ip link add cfstest0 type dummy (or ifb) failed");
	if (run(ip, "addr add 10.99.0.5/24 dev cfstest0", false) < 0)
		return fail("ip addr add 10.99.0.5/24 failed");
	if (run(ip, "link set cfstest0 up", false) < 0)
		return fail("ip link set cfstest0 up failed");
	/* A prefix that is not a whole number of bytes, on an interface left down. */
	if (add_link(ip, "cfstest1") < 0 ||
	    run(ip, "addr add 172.20.99.200/20 dev cfstest1", false) < 0)
		return fail("setting up cfstest1 failed");
	/* IPv6 only (down, so no link-local address): the fallback. IPv6 may be off. */
	if (add_link(ip, "cfstest2") < 0)
		return fail("ip link add cfstest2 failed");
	bool v6 = run(ip, "-6 addr add fd00:99:0:f::5/61 dev cfstest2", true) == 0;

	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	r = poll(&pfd, 1, 2000);
	if (r != 1 || !(pfd.revents & POLLIN))
		return fail("watch fd not readable after the changes (poll %d)", r);
	r = cfs_ifwatch_drain(fd);
	if (r != 1)
		return fail("drain after the changes returned %d", r);
	close(fd);

	/* The link's operational state may settle a moment after "up". */
	const struct cfs_ifinfo *e;
	const char *err;
	for (int tries = 0;; tries++) {
		r = cfs_ifscan(&v, &n);
		if (r < 0)
			return fail("rescan: %s", strerror(-r));
		e = find(v, n, "cfstest0");
		if (!e)
			return fail("rescan: no cfstest0");
		if (e->up || tries == 20)
			break;
		free(v);
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	}
	if (!e->up || e->loopback)
		return fail("cfstest0: up=%d loopback=%d", e->up, e->loopback);
	if ((err = check_addr(e, "10.99.0.5", 24, "10.99.0.0")))
		return err;

	e = find(v, n, "cfstest1");
	if (!e)
		return fail("rescan: no cfstest1");
	if (e->up)
		return fail("cfstest1 is up");
	if ((err = check_addr(e, "172.20.99.200", 20, "172.20.96.0")))
		return err;

	if (v6) {
		e = find(v, n, "cfstest2");
		if (!e)
			return fail("rescan: no cfstest2");
		if ((err = check_addr(e, "fd00:99:0:f::5", 61, "fd00:99:0:8::")))
			return err;
	}

	if (n != 4 + veth_peers)
		return fail("rescan: %zu interfaces, expected %u", n, 4 + veth_peers);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1].name, v[i].name) >= 0)
			return fail("rescan: \"%s\" before \"%s\"", v[i - 1].name, v[i].name);
	free(v);
	return NULL;
}

static const char *find_ip(void)
{
	static const char *const paths[] = { "/sbin/ip", "/usr/sbin/ip", "/bin/ip" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

Test(ifscan, dummy_interface_in_new_netns)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	const char *ip = find_ip();
	if (!ip)
		cr_skip_test("no ip command");

	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		/* The namespace dies with this process: the host is never touched. */
		if (unshare(CLONE_NEWNET) < 0) {
			if (errno == EPERM)
				_exit(SKIP_EXIT);
			dprintf(pfd[1], "unshare(CLONE_NEWNET): %s", strerror(errno));
			_exit(1);
		}
		const char *err = netns_checks(ip);
		if (err) {
			dprintf(pfd[1], "%s", err);
			_exit(1);
		}
		_exit(0);
	}
	close(pfd[1]);

	char msg[sizeof(failmsg)] = "";
	size_t len = 0;
	ssize_t k;
	while (len < sizeof(msg) - 1) {
		k = read(pfd[0], msg + len, sizeof(msg) - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	msg[len] = '\0';
	close(pfd[0]);

	int st;
	pid_t w;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	cr_assert_eq(w, pid, "waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == SKIP_EXIT)
		cr_skip_test("unshare(CLONE_NEWNET) not permitted");
	cr_assert(WIFEXITED(st), "child died (status 0x%x)", st);
	cr_assert_eq(WEXITSTATUS(st), 0, "%s", msg[0] ? msg : "child failed");
}
