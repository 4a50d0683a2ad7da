/* SPDX-License-Identifier: MIT */
/* 10x overload of a slow port reader.
 *
 *   overload MNT PORT BUFSZ SLEEP_US FACTOR MIN_RECORDS
 *
 * PORT is a fresh named port (start now, filter kind=registry) made by the
 * caller. One reader opens MNT/ports/PORT/events and reads BUFSZ bytes,
 * then sleeps SLEEP_US, and so on. Calibration: 3,000 records in one
 * control write; the reader's rate R is measured while it works through
 * them. Burst: registry changes through MNT/control, paced every 10 ms to
 * FACTOR x R, until MIN_RECORDS were made. Then an end marker, and the
 * reader reads as fast as it can up to it.
 * The reader checks its stream: records in seq order with no gap except
 * the ranges named by overflow records, exactly one overflow record per
 * gap, each naming exactly that gap. Then MNT/ports/PORT/stats: delivered
 * and dropped must match what the reader saw, and add up to what was
 * produced (every reg-set line is one registry record).
 * Prints: RESULT key=value ... */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

static int pfd;
static size_t bufsz;
static int64_t sleep_ns_v;
static atomic_int fast, done;
static atomic_long delivered; /* ordinary records seen */
static long overflows, dropped, bad_overflow, gaps, gap_records, dups, other_lines;
static long reads;
static unsigned long long s0, next_seq, end_seq;
static bool have_s0, prev_overflow;
static char first_problem[256];

static void problem(const char *fmt, ...)
{
	if (first_problem[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(first_problem, sizeof(first_problem), fmt, ap);
	va_end(ap);
	for (char *c = first_problem; *c; c++)
		if (*c == ' ')
			*c = '_';
}

static void line(const char *p, const char *e)
{
	if (memmem(p, (size_t)(e - p), "\"change\":\"overflow\"", 19)) {
		unsigned long long seq = json_u64(p, e, "seq"), from = json_u64(p, e, "lost_from"),
				   to = json_u64(p, e, "lost_to"), lost = json_u64(p, e, "lost");
		overflows++;
		dropped += (long)lost;
		if (!have_s0) {
			have_s0 = true;
			s0 = next_seq = from;
		}
		if (prev_overflow) {
			bad_overflow++;
			problem("two overflow records in a row (second lost %llu..%llu)", from, to);
		}
		if (from != next_seq || to + 1 != seq || lost != to - from + 1 || to < from) {
			bad_overflow++;
			problem("overflow lost_from %llu lost_to %llu lost %llu seq %llu, expected from %llu",
				from, to, lost, seq, next_seq);
		}
		next_seq = to + 1;
		prev_overflow = true;
		return;
	}
	if (!memmem(p, (size_t)(e - p), "\"kind\":", 7)) {
		other_lines++;
		problem("unexpected line %.80s", p);
		return;
	}
	unsigned long long seq = json_u64(p, e, "seq");
	atomic_fetch_add(&delivered, 1);
	prev_overflow = false;
	if (!have_s0) {
		have_s0 = true;
		s0 = next_seq = seq;
	}
	if (seq > next_seq) {
		gaps++;
		gap_records += (long)(seq - next_seq);
		problem("gap without an overflow record: %llu..%llu", next_seq, seq - 1);
	} else if (seq < next_seq) {
		dups++;
		problem("seq %llu after %llu", seq, next_seq - 1);
	}
	next_seq = seq + 1;
	if (memmem(p, (size_t)(e - p), "\"prop\":\"end\"", 12)) {
		end_seq = seq;
		atomic_store(&done, 1);
	}
}

static void *reader(void *arg)
{
	(void)arg;
	size_t cap = 64 * 1024;
	char *buf = malloc(cap + 1);
	size_t carry = 0;
	while (!atomic_load(&done)) {
		bool f = atomic_load(&fast);
		size_t want = f ? cap : bufsz;
		if (carry >= want)
			want = carry + 1024 <= cap ? carry + 1024 : cap;
		ssize_t n = read(pfd, buf + carry, want - carry);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			problem("read: %s", n < 0 ? strerror(errno) : "end of file");
			break;
		}
		reads++;
		char *p = buf, *end = buf + carry + n;
		for (char *nl; (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
			*nl = '\0';
			line(p, nl);
		}
		carry = (size_t)(end - p);
		memmove(buf, p, carry);
		if (!f)
			sleep_ns(sleep_ns_v);
	}
	return NULL;
}

static long stat_field(const char *txt, const char *name)
{
	const char *p = strstr(txt, name);
	return p ? atol(p + strlen(name) + 1) : -1;
}

int main(int argc, char **argv)
{
	if (argc < 7)
		die("usage: overload MNT PORT BUFSZ SLEEP_US FACTOR MIN_RECORDS");
	const char *mnt = argv[1], *port = argv[2];
	bufsz = (size_t)atol(argv[3]);
	sleep_ns_v = atoll(argv[4]) * 1000;
	double factor = atof(argv[5]);
	long minrec = atol(argv[6]);
	char path[4096];
	snprintf(path, sizeof(path), "%s/control", mnt);
	int cfd = open(path, O_WRONLY);
	if (cfd < 0)
		die("open %s: %s", path, strerror(errno));
	struct sbuf b = {0};
	sb_printf(&b, "reg-create-key Over\n");
	if (write_once(cfd, b.d, b.len) < 0)
		die("reg-create-key Over: %s", strerror(errno));
	b.len = 0;
	snprintf(path, sizeof(path), "%s/ports/%s/events", mnt, port);
	pfd = open(path, O_RDONLY);
	if (pfd < 0)
		die("open %s: %s", path, strerror(errno));
	pthread_t th;
	pthread_create(&th, NULL, reader, NULL);
	sleep_ns(50000000);

	long produced = 0, i = 0;
	/* Calibration. */
	const long cal = 3000;
	for (long k = 0; k < cal; k++, i++)
		sb_printf(&b, "reg-set Over v%ld sz %ld\n", i % 10, i);
	int64_t a0 = now_ns();
	if (write_once(cfd, b.d, b.len) < 0)
		die("control write: %s", strerror(errno));
	produced += cal;
	b.len = 0;
	while (atomic_load(&delivered) < cal && now_ns() - a0 < 30000000000LL)
		sleep_ns(1000000);
	double rate = (double)atomic_load(&delivered) / ((double)(now_ns() - a0) / 1e9);
	double target = rate * factor;

	/* Burst, paced every 10 ms. */
	long d0 = atomic_load(&delivered);
	int64_t t0 = now_ns();
	long burst = 0, writes = 0;
	while (burst < minrec) {
		double el = (double)(now_ns() - t0) / 1e9;
		long due = (long)(target * el) - burst;
		if (due > 5000)
			due = 5000;
		if (due > minrec - burst)
			due = minrec - burst;
		if (due > 0) {
			for (long k = 0; k < due; k++, i++)
				sb_printf(&b, "reg-set Over v%ld sz %ld\n", i % 10, i);
			int r = write_once(cfd, b.d, b.len);
			if (r < 0)
				die("control write: %s", strerror(-r));
			b.len = 0;
			burst += due;
			writes++;
		}
		int64_t next = t0 + (int64_t)((el + 0.010) * 1e9);
		sleep_ns(next - now_ns());
	}
	int64_t t1 = now_ns();
	long d1 = atomic_load(&delivered);
	produced += burst;
	sb_printf(&b, "reg-set Over end sz 1\n");
	if (write_once(cfd, b.d, b.len) < 0)
		die("control write: %s", strerror(errno));
	produced++;
	atomic_store(&fast, 1);
	int64_t e0 = now_ns();
	while (!atomic_load(&done) && now_ns() - e0 < 60000000000LL)
		sleep_ns(1000000);
	bool finished = atomic_load(&done);

	char st[1024] = "";
	snprintf(path, sizeof(path), "%s/ports/%s/stats", mnt, port);
	int sfd = open(path, O_RDONLY);
	ssize_t sn = sfd >= 0 ? read(sfd, st, sizeof(st) - 1) : -1;
	if (sfd >= 0)
		close(sfd);
	st[sn > 0 ? sn : 0] = '\0';
	long sdel = stat_field(st, "delivered"), sdrop = stat_field(st, "dropped");
	double bsecs = (double)(t1 - t0) / 1e9;
	long got = atomic_load(&delivered);
	long span = finished ? (long)(end_seq - s0 + 1) : -1;
	long unexplained = produced - got - dropped;
	printf("RESULT finished=%d reader_rps=%.0f target_rps=%.0f burst_records=%ld burst_s=%.2f "
	       "burst_rps=%.0f reader_rps_during=%.0f overload=%.1f produced=%ld span=%ld "
	       "delivered=%ld dropped=%ld overflows=%ld bad_overflow=%ld gaps=%ld gap_records=%ld "
	       "dups=%ld other_lines=%ld unexplained=%ld stats_delivered=%ld stats_dropped=%ld "
	       "stats_sum=%ld reads=%ld writes=%ld",
	       finished, rate, target, burst, bsecs, (double)burst / bsecs,
	       (double)(d1 - d0) / bsecs, (double)burst / bsecs / ((double)(d1 - d0) / bsecs),
	       produced, span, got, dropped, overflows, bad_overflow, gaps, gap_records, dups,
	       other_lines, unexplained, sdel, sdrop, sdel + sdrop, reads, writes);
	if (first_problem[0])
		printf(" first_problem=%s", first_problem);
	printf("\n");
	fflush(stdout);
	_exit(0);
}
