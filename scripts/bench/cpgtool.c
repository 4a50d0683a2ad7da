/* SPDX-License-Identifier: MIT */
/* A raw Corosync CPG client: the reference scripts/bench-cluster.sh
 * measures clusterfs against. Run it in a node's network namespace
 * (scripts/cluster.sh exec I cpgtool ...): it talks to that node's
 * Corosync.
 *
 *   cpgtool flood GROUP MEMBERS MSGS SIZE send|recv [WINDOW]
 *     Joins GROUP and waits for MEMBERS members; each then multicasts
 *     READY (agreed order) and all start when the MEMBERS-th READY is
 *     delivered (t_start, nearly the same moment on every node). A member
 *     that sends multicasts MSGS messages of SIZE bytes with
 *     cpg_mcast_joined(CPG_TYPE_AGREED), retrying CS_ERR_TRY_AGAIN, then
 *     DONE. With WINDOW > 0 a sender keeps at most WINDOW of its messages
 *     in flight (sent and not yet delivered back to it): a closed loop, as
 *     WINDOW writers that each wait for their change would make.
 *     Every member counts what is delivered until every sender's
 *     DONE has come; each data message carries its send time (the shared
 *     CLOCK_MONOTONIC), so one-way latency is measured too.
 *     Prints: RESULT msgs= senders= secs= rps= (deliveries/s at this
 *     member from t_start to the last one) first_s= lat_p50= lat_p99=
 *     (ms) try_again= order_hash=
 *
 *   cpgtool watch GROUP
 *     Joins GROUP and prints every configuration change as it is
 *     delivered, one line each, flushed, prefixed with CLOCK_MONOTONIC in
 *     ns: "NS confchg members=N left=ID:REASON,... joined=ID,...".
 *     Corosync's own detection of a node's failure is the first confchg
 *     whose left= names it (every node runs a watcher, so the group has a
 *     member on the node that fails). Totem's ring changes are printed
 *     too: "NS totem ring=ID.SEQ members=N nodes=ID,...". Runs until
 *     SIGTERM/SIGINT, or until its Corosync goes away.
 *
 * Build: cc -O2 -pthread cpgtool.c -lcpg */
#include "common.h"

#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/uio.h>

#include <corosync/corotypes.h>
#include <corosync/cpg.h>

enum { M_READY = 1, M_DATA = 2, M_DONE = 3 };

struct hdr {
	uint32_t type;
	uint32_t seq;
	int64_t sent_ns;
	uint32_t sender; /* READY: 1 if this member sends */
};

static cpg_handle_t h;
static struct cpg_name group;
static int want_members, nmembers;
static bool watch_mode;

/* flood state */
static int ready_seen, senders, done_seen;
static bool started;
static int64_t t_start, t_first, t_last;
static uint64_t delivered, hash = 0xcbf29ce484222325ull;
static int64_t *lat;
static size_t nlat, cap_lat;
static unsigned int my_nodeid;
static long inflight;

static const char *reason(uint32_t r)
{
	switch (r) {
	case CPG_REASON_JOIN: return "join";
	case CPG_REASON_LEAVE: return "leave";
	case CPG_REASON_NODEDOWN: return "nodedown";
	case CPG_REASON_NODEUP: return "nodeup";
	case CPG_REASON_PROCDOWN: return "procdown";
	default: return "?";
	}
}

static void on_confchg(cpg_handle_t hh, const struct cpg_name *g, const struct cpg_address *m,
		       size_t n, const struct cpg_address *left, size_t nleft,
		       const struct cpg_address *joined, size_t njoined)
{
	(void)hh;
	(void)g;
	(void)m;
	int64_t t = now_ns();
	nmembers = (int)n;
	if (!watch_mode)
		return;
	printf("%lld confchg members=%zu left=", (long long)t, n);
	for (size_t i = 0; i < nleft; i++)
		printf("%s%u:%s", i ? "," : "", left[i].nodeid, reason(left[i].reason));
	printf(" joined=");
	for (size_t i = 0; i < njoined; i++)
		printf("%s%u", i ? "," : "", joined[i].nodeid);
	printf("\n");
	fflush(stdout);
}

static void on_totem(cpg_handle_t hh, struct cpg_ring_id ring, uint32_t n, const uint32_t *ids)
{
	(void)hh;
	int64_t t = now_ns();
	if (!watch_mode)
		return;
	printf("%lld totem ring=%u.%llu members=%u nodes=", (long long)t, ring.nodeid,
	       (unsigned long long)ring.seq, n);
	for (uint32_t i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", ids[i]);
	printf("\n");
	fflush(stdout);
}

static void on_deliver(cpg_handle_t hh, const struct cpg_name *g, uint32_t nodeid, uint32_t pid,
		       void *msg, size_t len)
{
	(void)hh;
	(void)g;
	int64_t t = now_ns();
	if (watch_mode || len < sizeof(struct hdr))
		return;
	struct hdr hd;
	memcpy(&hd, msg, sizeof(hd));
	switch (hd.type) {
	case M_READY:
		ready_seen++;
		senders += hd.sender != 0;
		if (ready_seen == want_members) {
			started = true;
			t_start = t;
		}
		break;
	case M_DATA:
		if (nodeid == my_nodeid && pid == (uint32_t)getpid())
			inflight--;
		if (!delivered)
			t_first = t;
		delivered++;
		t_last = t;
		/* The delivery order, to compare across members. */
		hash = (hash ^ ((uint64_t)nodeid << 32 | pid)) * 0x100000001b3ull;
		hash = (hash ^ hd.seq) * 0x100000001b3ull;
		if (nlat == cap_lat) {
			cap_lat = cap_lat ? cap_lat * 2 : 65536;
			lat = realloc(lat, cap_lat * sizeof(*lat));
			if (!lat)
				die("out of memory");
		}
		lat[nlat++] = t - hd.sent_ns;
		break;
	case M_DONE:
		done_seen++;
		break;
	default:
		break;
	}
}

static void dispatch_ready(int timeout_ms)
{
	int fd;
	cpg_fd_get(h, &fd);
	struct pollfd p = {fd, POLLIN, 0};
	int k = poll(&p, 1, timeout_ms);
	if (k < 0 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if (k > 0) {
		cs_error_t e = cpg_dispatch(h, CS_DISPATCH_ALL);
		if (e != CS_OK && e != CS_ERR_TRY_AGAIN)
			die("cpg_dispatch: error %d", e);
	}
}

static unsigned long try_again;

/* Multicasts one message, dispatching deliveries while Corosync pushes
 * back. */
static void send_msg(const void *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};
	for (;;) {
		cs_error_t e = cpg_mcast_joined(h, CPG_TYPE_AGREED, &iov, 1);
		if (e == CS_OK)
			return;
		if (e != CS_ERR_TRY_AGAIN)
			die("cpg_mcast_joined: error %d", e);
		try_again++;
		dispatch_ready(1);
	}
}

static void connect_and_join(const char *name)
{
	static cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_confchg,
		.cpg_totem_confchg_fn = on_totem,
	};
	cs_error_t e = CS_ERR_LIBRARY;
	for (int tries = 0; tries < 100; tries++) {
		e = cpg_model_initialize(&h, CPG_MODEL_V1, (cpg_model_data_t *)&model, NULL);
		if (e == CS_OK)
			break;
		sleep_ns(50000000);
	}
	if (e != CS_OK)
		die("cpg_model_initialize: error %d (is corosync running here?)", e);
	snprintf(group.value, sizeof(group.value), "%s", name);
	group.length = (uint32_t)strlen(group.value);
	for (int tries = 0; (e = cpg_join(h, &group)) == CS_ERR_TRY_AGAIN && tries < 500; tries++)
		sleep_ns(10000000);
	if (e != CS_OK)
		die("cpg_join: error %d", e);
}

static volatile sig_atomic_t stop;
static void on_signal(int s)
{
	(void)s;
	stop = 1;
}

static int watch(const char *name)
{
	watch_mode = true;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	connect_and_join(name);
	while (!stop)
		dispatch_ready(200);
	cpg_leave(h, &group);
	cpg_finalize(h);
	return 0;
}

static int flood(const char *name, int members, long msgs, size_t size, bool send, long window)
{
	if (size < sizeof(struct hdr))
		size = sizeof(struct hdr);
	want_members = members;
	connect_and_join(name);
	if (cpg_local_get(h, &my_nodeid) != CS_OK)
		die("cpg_local_get failed");
	int64_t deadline = now_ns() + 30 * 1000000000LL;
	while (nmembers < members) {
		if (now_ns() > deadline)
			die("only %d of %d members after 30 s", nmembers, members);
		dispatch_ready(100);
	}
	char *buf = calloc(1, size);
	if (!buf)
		die("out of memory");
	struct hdr hd = {.type = M_READY, .sender = send};
	memcpy(buf, &hd, sizeof(hd));
	send_msg(buf, size);
	while (!started) {
		if (now_ns() > deadline)
			die("only %d of %d READY after 30 s", ready_seen, members);
		dispatch_ready(100);
	}
	if (send) {
		for (long i = 0; i < msgs; i++) {
			while (window > 0 && inflight >= window)
				dispatch_ready(100);
			hd = (struct hdr){.type = M_DATA, .seq = (uint32_t)i, .sent_ns = now_ns()};
			memcpy(buf, &hd, sizeof(hd));
			send_msg(buf, size);
			inflight++;
			if ((i & 15) == 0)
				dispatch_ready(0);
		}
		hd = (struct hdr){.type = M_DONE};
		memcpy(buf, &hd, sizeof(hd));
		send_msg(buf, size);
	}
	deadline = now_ns() + 300 * 1000000000LL;
	while (done_seen < senders) {
		if (now_ns() > deadline)
			die("DONE from %d of %d senders after 300 s", done_seen, senders);
		dispatch_ready(100);
	}
	double secs = (double)(t_last - t_start) / 1e9;
	printf("RESULT msgs=%llu senders=%d size=%zu secs=%.6f rps=%.0f first_s=%.6f",
	       (unsigned long long)delivered, senders, size, secs,
	       secs > 0 ? (double)delivered / secs : 0.0, (double)(t_first - t_start) / 1e9);
	qsort(lat, nlat, sizeof(*lat), cmp_i64);
	printf(" lat_p50=%.3f lat_p99=%.3f try_again=%lu order_hash=%016llx\n",
	       pct(lat, nlat, 50) / 1e6, pct(lat, nlat, 99) / 1e6, try_again,
	       (unsigned long long)hash);
	fflush(stdout);
	cpg_leave(h, &group);
	cpg_finalize(h);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "watch") == 0)
		return watch(argv[2]);
	if (argc >= 7 && strcmp(argv[1], "flood") == 0)
		return flood(argv[2], atoi(argv[3]), atol(argv[4]), (size_t)atol(argv[5]),
			     strcmp(argv[6], "send") == 0, argc > 7 ? atol(argv[7]) : 0);
	die("usage: cpgtool flood GROUP MEMBERS MSGS SIZE send|recv [WINDOW] | cpgtool watch GROUP");
}
