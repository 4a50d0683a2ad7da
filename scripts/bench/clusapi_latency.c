/* SPDX-License-Identifier: MIT */
/* Change -> event latency through libclusapi against a plain port reader.
 *
 *   clusapi_latency MOUNT GROUP N BLOCK GAP_US [DRAIN]
 *
 * The change: one write(2) of "group-online GROUP" or "group-offline
 * GROUP" to MOUNT/control (GROUP is an empty group, so each change makes
 * exactly one group state record). t0 = just before write(), t1 = when
 * write() returned. Each change waits for its event, then GAP_US.
 *
 * Readers, one at a time, each in its own thread:
 *   clusapi       GetClusterNotify(INFINITE) on a port from
 *                 CreateClusterNotifyPort(GROUP_STATE) on OpenCluster(NULL)
 *                 (CLUSTERFS_MOUNT=MOUNT); t = when it returned.
 *   clusapi-evfd  poll() on ClusapiEventFd(GetNotifyEventHandle(port)), then
 *                 GetClusterNotify(0).
 *   port-read     MOUNT/ports/clone opened O_RDWR, filter
 *                 "kind=group change=state key=1", blocked in read() (64 KiB);
 *                 t = when read() returned.
 *   port-poll     the same port opened O_NONBLOCK, poll() then read(): what
 *                 the library does underneath (it polls the port, then reads).
 *   paired        a clusapi reader and a port-read reader at the same time,
 *                 on the same changes: the difference of their arrival times
 *                 for each change is what the library adds, without the
 *                 variance of the commit in it.
 * Then a throughput check of the per-event cost without any wake-up: DRAIN
 * changes are made (one write each) while a library port and a
 * plain port (O_NONBLOCK) both hold them; then each is drained, the
 * library's with GetClusterNotify(0) until WAIT_TIMEOUT, the plain one with
 * 64 KiB read()s until EAGAIN: RESULT method=drain clusapi_us= port_us=
 * (per event).
 * N changes per method, in blocks of BLOCK that take turns (the order
 * rotates every round), so that the machine's other load falls on all of
 * them alike; one unrecorded block of each comes first.
 * Prints one line per reader: RESULT method=... n= lost= extra= bad=
 * before_p50= ... after_p50= ... write_p50= ... (microseconds); for paired,
 * method=paired-clusapi, paired-port-read and paired-diff (diff_p50= ...,
 * clusapi minus port-read). */
#include "common.h"

#include <clusapi.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/eventfd.h>

enum method { M_CLUSAPI, M_CLUSAPI_EVFD, M_PORT_READ, M_PORT_POLL, M_PAIRED, M_COUNT };
static const char *const method_names[M_COUNT] = {"clusapi", "clusapi-evfd", "port-read",
						   "port-poll", "paired"};

static const char *mount_dir, *group;
static LPWSTR wgroup;
static size_t wgroup_len;
static int cfd; /* the control file */

/* Arrivals of the current block, per track (0: the library's reader, or
 * the only one; 1: the port reader of the paired method): the readers
 * append, main waits. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int64_t *arrivals[2];
static size_t narrivals[2], arrivals_cap;
static atomic_ulong bad;	 /* events that were not GROUP's state */
static atomic_int reader_error; /* first error of a reader (errno or Win32 code) */
static atomic_int stopping;

static void arrive(int track, int64_t ts)
{
	pthread_mutex_lock(&mu);
	if (narrivals[track] < arrivals_cap)
		arrivals[track][narrivals[track]] = ts;
	narrivals[track]++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void set_error(int e)
{
	int zero = 0;
	atomic_compare_exchange_strong(&reader_error, &zero, e);
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* ---- libclusapi readers ---------------------------------------------- */

static HCLUSTER hcluster;
static HCHANGE hchange;
static int stopfd; /* eventfd: ends the clusapi-evfd reader */

static bool is_our_event(DWORD type, const WCHAR *name, DWORD cch)
{
	return type == CLUSTER_CHANGE_GROUP_STATE && cch == wgroup_len &&
	       memcmp(name, wgroup, cch * sizeof(WCHAR)) == 0;
}

static void *clusapi_reader(void *arg)
{
	(void)arg; /* track 0 */
	WCHAR name[512];
	for (;;) {
		DWORD_PTR key = 0;
		DWORD type = 0, cch = sizeof(name) / sizeof(name[0]);
		DWORD r = GetClusterNotify(hchange, &key, &type, name, &cch, INFINITE);
		int64_t ts = now_ns();
		if (r == ERROR_INVALID_HANDLE && atomic_load(&stopping))
			return NULL; /* the port was closed to stop us */
		if (r != ERROR_SUCCESS) {
			set_error((int)r);
			return NULL;
		}
		if (is_our_event(type, name, cch) && key == 1)
			arrive(0, ts);
		else
			atomic_fetch_add(&bad, 1);
	}
}

static void *clusapi_evfd_reader(void *arg)
{
	(void)arg;
	HANDLE hevent = NULL;
	DWORD r = GetNotifyEventHandle(hchange, &hevent);
	int efd = r == ERROR_SUCCESS ? ClusapiEventFd(hevent) : -1;
	if (efd < 0) {
		set_error(r != ERROR_SUCCESS ? (int)r : (int)GetLastError());
		return NULL;
	}
	WCHAR name[512];
	for (;;) {
		struct pollfd fds[2] = {{.fd = efd, .events = POLLIN},
					{.fd = stopfd, .events = POLLIN}};
		int k = poll(fds, 2, -1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			set_error(errno);
			return NULL;
		}
		if (fds[1].revents & POLLIN)
			return NULL;
		for (;;) {
			DWORD_PTR key = 0;
			DWORD type = 0, cch = sizeof(name) / sizeof(name[0]);
			r = GetClusterNotify(hchange, &key, &type, name, &cch, 0);
			int64_t ts = now_ns();
			if (r == WAIT_TIMEOUT)
				break;
			if (r != ERROR_SUCCESS) {
				set_error((int)r);
				return NULL;
			}
			if (is_our_event(type, name, cch) && key == 1)
				arrive(0, ts);
			else
				atomic_fetch_add(&bad, 1);
		}
	}
}

/* ---- plain port readers ---------------------------------------------- */

static int pfd;
static bool port_poll;

static void on_signal(int sig)
{
	(void)sig; /* only interrupts the blocked read() or poll() */
}

static void *port_reader(void *arg)
{
	int track = (int)(intptr_t)arg;
	static char buf[64 * 1024 + 1];
	size_t carry = 0;
	char want[600];
	int wl = snprintf(want, sizeof(want), "\"name\":\"%s\"", group);
	while (!atomic_load(&stopping)) {
		if (port_poll) {
			struct pollfd f = {.fd = pfd, .events = POLLIN};
			if (poll(&f, 1, -1) < 0) {
				if (errno != EINTR)
					set_error(errno);
				continue;
			}
		}
		ssize_t n = read(pfd, buf + carry, 64 * 1024 - carry);
		int64_t ts = now_ns();
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			set_error(n < 0 ? errno : EPIPE);
			return NULL;
		}
		size_t len = carry + (size_t)n;
		char *p = buf, *end = buf + len;
		for (char *nl; (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
			if (memmem(p, (size_t)(nl - p), "\"change\":\"state\"", 16) &&
			    memmem(p, (size_t)(nl - p), want, (size_t)wl))
				arrive(track, ts);
			else
				atomic_fetch_add(&bad, 1);
		}
		carry = (size_t)(end - p);
		if (carry >= 64 * 1024)
			carry = 0;
		memmove(buf, p, carry);
	}
	return NULL;
}

/* ---- one block -------------------------------------------------------- */

struct stats {
	int64_t *before, *after, *write, *diff; /* NULL: not recorded (warm-up) */
	size_t got, lost, extra, changes, ndiff;
};

static bool online; /* the group's state as we last set it */
static pthread_t threads[2];
static int nthreads;

static void start_clusapi(enum method m)
{
	hchange = CreateClusterNotifyPort((HCHANGE)INVALID_HANDLE_VALUE, hcluster,
					  CLUSTER_CHANGE_GROUP_STATE, 1);
	if (!hchange)
		die("CreateClusterNotifyPort: error %u", (unsigned)GetLastError());
	if (pthread_create(&threads[nthreads++], NULL,
			   m == M_CLUSAPI_EVFD ? clusapi_evfd_reader : clusapi_reader, NULL) != 0)
		die("pthread_create");
}

static void start_port(bool poll_first, int track)
{
	port_poll = poll_first;
	char path[4200];
	snprintf(path, sizeof(path), "%s/ports/clone", mount_dir);
	pfd = open(path, O_RDWR | (port_poll ? O_NONBLOCK : 0) | O_CLOEXEC);
	if (pfd < 0)
		die("open %s: %s", path, strerror(errno));
	static const char filt[] = "kind=group change=state key=1\n";
	if (write_once(pfd, filt, sizeof(filt) - 1) < 0)
		die("writing the filter: %s", strerror(errno));
	if (pthread_create(&threads[nthreads++], NULL, port_reader, (void *)(intptr_t)track) != 0)
		die("pthread_create");
}

static void start_readers(enum method m)
{
	atomic_store(&stopping, 0);
	nthreads = 0;
	if (m == M_CLUSAPI || m == M_CLUSAPI_EVFD || m == M_PAIRED)
		start_clusapi(m);
	if (m == M_PORT_READ || m == M_PORT_POLL || m == M_PAIRED)
		start_port(m == M_PORT_POLL, m == M_PAIRED ? 1 : 0);
	sleep_ns(20000000); /* let them block */
}

static void stop_readers(enum method m)
{
	atomic_store(&stopping, 1);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	int t = 0;
	if (m == M_CLUSAPI || m == M_CLUSAPI_EVFD || m == M_PAIRED) {
		uint64_t one = 1;
		if (m == M_CLUSAPI_EVFD && write(stopfd, &one, sizeof(one)) < 0)
			die("eventfd write");
		/* Closing the port must wake a GetClusterNotify(INFINITE). */
		CloseClusterNotifyPort(hchange);
		if (pthread_timedjoin_np(threads[t++], NULL, &dl) != 0)
			die("CloseClusterNotifyPort did not wake the thread blocked in "
			    "GetClusterNotify within 5 s");
		if (m == M_CLUSAPI_EVFD && read(stopfd, &one, sizeof(one)) < 0)
			die("eventfd read");
	}
	if (t < nthreads) {
		/* A blocked read() or poll() on a port answers a signal with EINTR. */
		while (pthread_timedjoin_np(threads[t], NULL, &(struct timespec){0, 0}) != 0) {
			pthread_kill(threads[t], SIGUSR1);
			sleep_ns(1000000);
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			if (now.tv_sec > dl.tv_sec)
				die("the port reader did not stop");
		}
		close(pfd);
	}
}

/* n changes with method m's readers; adds to s (and to s2, the port
 * reader's, for the paired method). */
static void run_block(enum method m, size_t n, int64_t gap, struct stats *s, struct stats *s2)
{
	int tracks = m == M_PAIRED ? 2 : 1;
	pthread_mutex_lock(&mu);
	narrivals[0] = narrivals[1] = 0;
	pthread_mutex_unlock(&mu);
	start_readers(m);
	size_t lost[2] = {0, 0}, written = 0;
	char cmd[600];
	for (size_t i = 0; i < n && !atomic_load(&reader_error); i++) {
		online = !online;
		int len = snprintf(cmd, sizeof(cmd), "%s %s\n", online ? "group-online" : "group-offline",
				   group);
		size_t base[2];
		pthread_mutex_lock(&mu);
		base[0] = narrivals[0];
		base[1] = narrivals[1];
		pthread_mutex_unlock(&mu);
		int64_t t0 = now_ns();
		int r = write_once(cfd, cmd, (size_t)len);
		int64_t t1 = now_ns();
		if (r < 0)
			die("write %s to control: %s", cmd, strerror(-r));
		written++;
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 3;
		int64_t ts[2] = {0, 0};
		pthread_mutex_lock(&mu);
		for (int k = 0; k < tracks; k++) {
			while (narrivals[k] <= base[k] && !atomic_load(&reader_error))
				if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT)
					break;
			if (narrivals[k] > base[k] && base[k] < arrivals_cap)
				ts[k] = arrivals[k][base[k]];
		}
		pthread_mutex_unlock(&mu);
		for (int k = 0; k < tracks; k++) {
			struct stats *x = k ? s2 : s;
			x->changes++;
			if (!ts[k]) {
				x->lost++;
				lost[k]++;
				continue;
			}
			if (x->before) {
				x->before[x->got] = ts[k] - t0;
				x->after[x->got] = ts[k] - t1;
				x->write[x->got] = t1 - t0;
			}
			x->got++;
		}
		if (tracks == 2 && ts[0] && ts[1] && s->diff)
			s->diff[s->ndiff++] = ts[0] - ts[1];
		sleep_ns(gap);
	}
	sleep_ns(gap + 20000000); /* anything late shows as extra */
	pthread_mutex_lock(&mu);
	for (int k = 0; k < tracks; k++) {
		struct stats *x = k ? s2 : s;
		if (narrivals[k] > written - lost[k])
			x->extra += narrivals[k] - (written - lost[k]);
	}
	pthread_mutex_unlock(&mu);
	stop_readers(m);
}

/* Waits until the daemon (BENCH_DAEMON_PID) has used at most 1 clock tick
 * of CPU in 300 ms (its inotify replay of the changes is over), at most 20
 * s; without BENCH_DAEMON_PID, sleeps 2 s. */
static void wait_daemon_idle(void)
{
	const char *pid = getenv("BENCH_DAEMON_PID");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/stat", pid ? pid : "0");
	for (int i = 0; pid && i < 66; i++) {
		unsigned long long t[2] = {0, 0};
		for (int k = 0; k < 2; k++) {
			FILE *f = fopen(path, "r");
			unsigned long long u = 0, sy = 0;
			if (!f || fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
					 &u, &sy) != 2) {
				if (f)
					fclose(f);
				return;
			}
			fclose(f);
			t[k] = u + sy;
			if (k == 0)
				sleep_ns(300000000);
		}
		if (t[1] - t[0] <= 1)
			return;
	}
	if (!pid)
		sleep_ns(2000000000);
}

/* Per-event cost of draining DRAIN queued events, library vs plain port. */
static void drain_bench(size_t count)
{
	hchange = CreateClusterNotifyPort((HCHANGE)INVALID_HANDLE_VALUE, hcluster,
					  CLUSTER_CHANGE_GROUP_STATE, 1);
	if (!hchange)
		die("CreateClusterNotifyPort: error %u", (unsigned)GetLastError());
	nthreads = 0;
	start_port(true, 0); /* opens pfd non-blocking; its thread is not used */
	atomic_store(&stopping, 1);
	pthread_kill(threads[0], SIGUSR1);
	pthread_join(threads[0], NULL);
	nthreads = 0;
	/* One write per change: a transaction records only its net effect. */
	char cmd[600];
	for (size_t i = 0; i < count; i++) {
		online = !online;
		int len = snprintf(cmd, sizeof(cmd), "%s %s\n", online ? "group-online" : "group-offline",
				   group);
		if (write_once(cfd, cmd, (size_t)len) < 0)
			die("drain: write to control: %s", strerror(errno));
	}
	wait_daemon_idle();
	WCHAR name[512];
	size_t got_cl = 0, got_port = 0;
	int64_t t0 = now_ns();
	for (;;) {
		DWORD_PTR key;
		DWORD type, cch = sizeof(name) / sizeof(name[0]);
		DWORD r = GetClusterNotify(hchange, &key, &type, name, &cch, 0);
		if (r == WAIT_TIMEOUT)
			break;
		if (r != ERROR_SUCCESS)
			die("drain: GetClusterNotify: error %u", (unsigned)r);
		got_cl++;
	}
	int64_t t1 = now_ns();
	static char buf[64 * 1024];
	for (;;) {
		ssize_t n = read(pfd, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			die("drain: read: %s", n < 0 ? strerror(errno) : "end of file");
		for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
			got_port++;
	}
	int64_t t2 = now_ns();
	CloseClusterNotifyPort(hchange);
	close(pfd);
	printf("RESULT method=drain changes=%zu clusapi_events=%zu port_records=%zu clusapi_us=%.2f "
	       "port_us=%.2f\n",
	       count, got_cl, got_port, got_cl ? (double)(t1 - t0) / 1e3 / (double)got_cl : 0.0,
	       got_port ? (double)(t2 - t1) / 1e3 / (double)got_port : 0.0);
}

static void print_stats(const char *name, struct stats *s)
{
	printf("RESULT method=%s n=%zu got=%zu lost=%zu extra=%zu", name, s->changes, s->got,
	       s->lost, s->extra);
	print_pcts("before", s->before, s->got);
	print_pcts("after", s->after, s->got);
	print_pcts("write", s->write, s->got);
	printf("\n");
}

static void stats_alloc(struct stats *s, size_t n, bool diff)
{
	s->before = calloc(n, sizeof(int64_t));
	s->after = calloc(n, sizeof(int64_t));
	s->write = calloc(n, sizeof(int64_t));
	s->diff = diff ? calloc(n, sizeof(int64_t)) : NULL;
	if (!s->before || !s->after || !s->write || (diff && !s->diff))
		die("out of memory");
}

int main(int argc, char **argv)
{
	if (argc < 6)
		die("usage: clusapi_latency MOUNT GROUP N BLOCK GAP_US [DRAIN]");
	mount_dir = argv[1];
	group = argv[2];
	size_t n = (size_t)atol(argv[3]), block = (size_t)atol(argv[4]);
	int64_t gap = atoll(argv[5]) * 1000;
	if (!n || !block)
		die("N and BLOCK must be positive");
	setenv("CLUSTERFS_MOUNT", mount_dir, 1);
	if (!(wgroup = ClusapiUtf8ToWide(group)))
		die("group name is not UTF-8");
	wgroup_len = ClusapiWideLen(wgroup);
	char path[4200];
	snprintf(path, sizeof(path), "%s/control", mount_dir);
	if ((cfd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		die("open %s: %s", path, strerror(errno));
	if (!(hcluster = OpenCluster(NULL)))
		die("OpenCluster: error %u", (unsigned)GetLastError());
	if ((stopfd = eventfd(0, EFD_CLOEXEC)) < 0)
		die("eventfd: %s", strerror(errno));
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	arrivals_cap = block + 16;
	arrivals[0] = calloc(arrivals_cap, sizeof(int64_t));
	arrivals[1] = calloc(arrivals_cap, sizeof(int64_t));

	/* The group starts offline. */
	snprintf(path, sizeof(path), "group-offline %s\n", group);
	if (write_once(cfd, path, strlen(path)) < 0)
		die("group-offline %s: %s", group, strerror(errno));
	online = false;

	struct stats st[M_COUNT] = {0}, paired_port = {0};
	for (int m = 0; m < M_COUNT; m++) {
		struct stats warm[2] = {0};
		run_block((enum method)m, block < 100 ? block : 100, gap, &warm[0], &warm[1]);
		stats_alloc(&st[m], n, m == M_PAIRED);
	}
	stats_alloc(&paired_port, n, false);
	int64_t t_start = now_ns();
	for (size_t done = 0, round = 0; done < n && !atomic_load(&reader_error); round++) {
		size_t k = n - done < block ? n - done : block;
		for (int j = 0; j < M_COUNT && !atomic_load(&reader_error); j++) {
			enum method m = (enum method)((j + round) % M_COUNT);
			run_block(m, k, gap, &st[m], &paired_port);
		}
		done += k;
	}
	double secs = (double)(now_ns() - t_start) / 1e9;
	for (int m = 0; m < M_PAIRED; m++)
		print_stats(method_names[m], &st[m]);
	print_stats("paired-clusapi", &st[M_PAIRED]);
	print_stats("paired-port-read", &paired_port);
	printf("RESULT method=paired-diff n=%zu", st[M_PAIRED].ndiff);
	print_pcts("diff", st[M_PAIRED].diff, st[M_PAIRED].ndiff);
	printf("\n");
	fflush(stdout);
	if (argc > 6 && atol(argv[6]) > 0 && !atomic_load(&reader_error))
		drain_bench((size_t)atol(argv[6]));
	printf("RESULT method=all bad=%lu reader_error=%d secs=%.1f\n", atomic_load(&bad),
	       atomic_load(&reader_error), secs);
	CloseCluster(hcluster);
	ClusapiFree(wgroup);
	return atomic_load(&reader_error) ? 1 : 0;
}
