/* SPDX-License-Identifier: MIT */
/* libcgha_cmm (include/cmm.h) against a live mount with the simulation
 * back-end: every function and its documented errors, the notification
 * sequences of each scenario, a select() client loop (reference 3.21),
 * CMM_EBADF recovery across a daemon restart, threads, signals, the
 * timeout, and fork. Each test runs in its own process, so the library's
 * process-wide state starts fresh. The host is node 1 (the master). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmm.h"
#include "mount_checks.h"
#include "mount_harness.h"

static void setup(void)
{
	mnt_require_fuse();
	mnt_start(&M, "--backend=sim");
	setenv("CLUSTERFS_MOUNT", M.mnt, 1);
}

TestSuite(cmmlib, .init = setup, .fini = teardown, .timeout = 120);

/* Writes one line (or several) to the control file; returns errno. */
__attribute__((format(printf, 1, 2))) static int ctl(const char *fmt, ...)
{
	char line[1024], path[PATH_MAX + 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	snprintf(path, sizeof(path), "%s/control", M.mnt);
	int fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	int err = write(fd, line, strlen(line)) < 0 ? errno : 0;
	close(fd);
	return err;
}

#define CTL(...) cr_assert_eq(ctl(__VA_ARGS__), 0, "control: " __VA_ARGS__)
#define OK(call) cr_assert_eq((call), CMM_OK, "%s: %s", #call, cmm_strerror(call))
#define RC(call, want)                                                                          \
	do {                                                                                    \
		cmm_error_t rc_ = (call);                                                       \
		cr_assert_eq(rc_, want, "%s: got %s, want %s", #call, cmm_strerror(rc_),        \
			     cmm_strerror(want));                                               \
	} while (0)

/* --- notifications collected by the callback --- */

#define MAXN 64
static cmm_cmc_notification_t got[MAXN];
static int ngot;
static void *got_data;

static void collect(const cmm_cmc_notification_t *n, void *data)
{
	if (ngot < MAXN)
		got[ngot++] = *n;
	got_data = data;
}

static const char *kind_name(cmm_cmchanges_t k)
{
	static const char *const names[] = {
		"MASTER_ELECTED",  "MASTER_DEMOTED", "VICEMASTER_ELECTED", "VICEMASTER_DEMOTED",
		"MEMBER_JOINED",   "MEMBER_LEFT",    "STALE_CLUSTER",	   "INVALID_CLUSTER",
		"VALID_CLUSTER",
	};
	return k >= 250 && k <= 258 ? names[k - 250] : "?";
}

/* The notifications so far as "KIND(node) ..." */
static char *got_text(void)
{
	static char buf[4096];
	buf[0] = '\0';
	for (int i = 0; i < ngot; i++) {
		char one[64];
		snprintf(one, sizeof(one), "%s%s(%d)", i ? " " : "", kind_name(got[i].cmchange),
			 (int)got[i].nodeid);
		strcat(buf, one);
	}
	return buf;
}

/* Polls the fd and dispatches until the text is want (or 5 s). */
static void expect_notes(const char *want)
{
	int fd;
	OK(cmm_notify_getfd(&fd));
	for (int i = 0; i < 50 && strcmp(got_text(), want) != 0; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 100) > 0)
			OK(cmm_notify_dispatch());
	}
	cr_assert_str_eq(got_text(), want);
	ngot = 0;
}

/* Closes the library's port before the daemon stops: a daemon stopped
 * with a port still open cannot free its handle (FUSE sends no release
 * at unmount), which a sanitized build reports as a leak. The kernel
 * sends the release a moment after close() returns: give it that. */
static void finish(void)
{
	cmm_disconnect();
	usleep(500000);
	stop_check(true);
}

static void reg(void)
{
	ngot = 0;
	OK(cmm_cmc_register(collect, &ngot));
}

/* --- connection, ids, information --- */

Test(cmmlib, connect_and_timeouts)
{
	RC(cmm_connect((timespec_t){0, 0}), CMM_EINVAL);
	RC(cmm_connect((timespec_t){-1, 0}), CMM_EINVAL);
	RC(cmm_connect((timespec_t){1, 1000000000L}), CMM_EINVAL);
	RC(cmm_connect((timespec_t){1, -1}), CMM_EINVAL);
	OK(cmm_connect((timespec_t){2, 0}));
	OK(cmm_connect((timespec_t){0, 500000000L}));
	OK(cmm_disconnect());
	/* The next call connects again. */
	cmm_nodeid_t me = 0;
	OK(cmm_node_getid(&me));
	cr_assert_eq(me, 1);
	finish();
}

Test(cmmlib, no_mount_is_econn)
{
	setenv("CLUSTERFS_MOUNT", M.dir, 1); /* a directory, not a clusterfs mount */
	RC(cmm_connect((timespec_t){1, 0}), CMM_ECONN);
	cmm_nodeid_t me = 7;
	RC(cmm_node_getid(&me), CMM_ECONN);
	cr_assert_eq(me, CMM_INVALID_NODE_ID);
	cmm_member_t m;
	RC(cmm_master_getinfo(&m), CMM_ECONN);
	RC(cmm_cmc_register(collect, NULL), CMM_ECONN);
	RC(cmm_mastership_release(), CMM_ECONN);
	finish();
}

Test(cmmlib, node_getid_and_getinfo)
{
	cmm_nodeid_t me = 0;
	RC(cmm_node_getid(NULL), CMM_EINVAL);
	OK(cmm_node_getid(&me));
	cr_assert_eq(me, 1);
	cmm_member_t m;
	memset(&m, 0, sizeof(m));
	RC(cmm_member_getinfo(1, NULL), CMM_EINVAL);
	OK(cmm_member_getinfo(1, &m));
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	cr_assert_str_eq(m.name, host);
	cr_assert_eq(m.nodeid, 1);
	cr_assert_neq(m.addr[0], '\0');
	cr_assert_eq(m.incarnation_number, 1);
	cr_assert_eq(m.sflag, CMM_MASTER | CMM_ELIGIBLE_MEMBER);
	cr_assert(cmm_member_ismaster(&m));
	cr_assert(cmm_member_iseligible(&m));
	cr_assert(cmm_member_isqualified(&m));
	cr_assert_not(cmm_member_isvicemaster(&m));
	cr_assert_not(cmm_member_isoutofcluster(&m));
	cr_assert_not(cmm_member_isdisqualified(&m));
	cr_assert_not(cmm_member_isdesynchronized(&m));
	cr_assert_not(cmm_member_isfrozen(&m));
	cr_assert_not(cmm_member_isexcluded(&m));
	cr_assert_not(cmm_member_ismaster(NULL));
	RC(cmm_member_getinfo(99, &m), CMM_ESRCH);
	/* A configured node out of the cluster: potential only. */
	CTL("sim add n2 2 10.0.0.2 frozen=yes excluded=yes swload=SWL-7 domain=42 synchro=needed");
	RC(cmm_member_getinfo(2, &m), CMM_ESRCH);
	OK(cmm_potential_getinfo(2, &m));
	cr_assert_str_eq(m.name, "n2");
	cr_assert_str_eq(m.addr, "10.0.0.2");
	cr_assert_str_eq(m.software_load_id, "SWL-7");
	cr_assert_eq(m.domainid, 42);
	cr_assert_eq(m.incarnation_number, 0);
	cr_assert(cmm_member_isoutofcluster(&m));
	cr_assert(cmm_member_isfrozen(&m));
	cr_assert(cmm_member_isexcluded(&m));
	cr_assert(cmm_member_isdesynchronized(&m));
	RC(cmm_potential_getinfo(99, &m), CMM_ESRCH);
	RC(cmm_potential_getinfo(2, NULL), CMM_EINVAL);
	finish();
}

Test(cmmlib, master_and_vicemaster)
{
	cmm_member_t m;
	RC(cmm_master_getinfo(NULL), CMM_EINVAL);
	RC(cmm_vicemaster_getinfo(NULL), CMM_EINVAL);
	OK(cmm_master_getinfo(&m));
	cr_assert_eq(m.nodeid, 1);
	RC(cmm_vicemaster_getinfo(&m), CMM_ESRCH); /* no vice-master */
	CTL("sim join n2 2 10.0.0.2");
	OK(cmm_vicemaster_getinfo(&m));
	cr_assert_eq(m.nodeid, 2);
	cr_assert(cmm_member_isvicemaster(&m));
	/* This node leaves: it is in no cluster any more. */
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	CTL("sim fail %s", host);
	RC(cmm_master_getinfo(&m), CMM_ENOCLUSTER);
	RC(cmm_vicemaster_getinfo(&m), CMM_ENOCLUSTER);
	RC(cmm_member_getinfo(2, &m), CMM_ENOCLUSTER);
	uint32_t n;
	RC(cmm_member_getcount(&n), CMM_ENOCLUSTER);
	cmm_nodeid_t me;
	OK(cmm_node_getid(&me)); /* works out of the cluster */
	OK(cmm_potential_getinfo(1, &m));
	cr_assert(cmm_member_isoutofcluster(&m));
	finish();
}

Test(cmmlib, no_master)
{
	CTL("sim join n2 2 10.0.0.2 eligible=no");
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	CTL("cmm-setqualif %s %s disqualified", host, host);
	cmm_member_t m;
	RC(cmm_master_getinfo(&m), CMM_ENOCLUSTER);
	RC(cmm_vicemaster_getinfo(&m), CMM_ENOCLUSTER);
	finish();
}

Test(cmmlib, getcount_and_getall)
{
	CTL("sim join b2 2 10.0.0.2");
	CTL("sim join a3 3 10.0.0.3");
	CTL("sim add c4 4 10.0.0.4"); /* out: not counted */
	uint32_t n = 0;
	RC(cmm_member_getcount(NULL), CMM_EINVAL);
	OK(cmm_member_getcount(&n));
	cr_assert_eq(n, 3);
	cmm_member_t t[4];
	memset(t, 0xab, sizeof(t));
	n = 0;
	RC(cmm_member_getall(2, t, &n), CMM_ERANGE);
	cr_assert_eq(n, 3);
	unsigned char *b = (unsigned char *)t;
	for (size_t i = 0; i < sizeof(t); i++)
		cr_assert_eq(b[i], 0xab, "the table was changed on CMM_ERANGE");
	n = 0;
	OK(cmm_member_getall(0, NULL, &n));
	cr_assert_eq(n, 3);
	RC(cmm_member_getall(4, t, NULL), CMM_EINVAL);
	OK(cmm_member_getall(4, t, &n));
	cr_assert_eq(n, 3);
	/* In node id order, whatever the names. */
	cr_assert_eq(t[0].nodeid, 1);
	cr_assert_eq(t[1].nodeid, 2);
	cr_assert_eq(t[2].nodeid, 3);
	cr_assert_str_eq(t[1].name, "b2");
	cr_assert_str_eq(t[2].name, "a3");
	finish();
}

/* --- actions --- */

Test(cmmlib, mastership_release)
{
	RC(cmm_mastership_release(), CMM_ECANCELED); /* no vice-master */
	CTL("sim join n2 2 10.0.0.2");
	OK(cmm_mastership_release());
	cmm_member_t m;
	OK(cmm_master_getinfo(&m));
	cr_assert_eq(m.nodeid, 2);
	OK(cmm_vicemaster_getinfo(&m));
	cr_assert_eq(m.nodeid, 1);
	RC(cmm_mastership_release(), CMM_EPERM); /* not the master now */
	RC(cmm_config_reload(), CMM_EPERM);
	finish();
}

Test(cmmlib, membership_remove)
{
	RC(cmm_membership_remove(), CMM_ECANCELED); /* the master, alone */
	CTL("sim join n2 2 10.0.0.2");
	OK(cmm_membership_remove()); /* failover to n2 */
	cmm_member_t m;
	OK(cmm_potential_getinfo(1, &m));
	cr_assert(cmm_member_isoutofcluster(&m));
	RC(cmm_membership_remove(), CMM_ENOCLUSTER);
	RC(cmm_mastership_release(), CMM_ENOCLUSTER);
	RC(cmm_member_seizequalif(), CMM_ENOCLUSTER);
	RC(cmm_config_reload(), CMM_ENOCLUSTER);
	finish();
}

Test(cmmlib, setqualif)
{
	CTL("sim join n2 2 10.0.0.2");
	CTL("sim join n3 3 10.0.0.3 eligible=no");
	RC(cmm_member_setqualif(2, (cmm_qualif_t)7), CMM_EINVAL);
	RC(cmm_member_setqualif(99, CMM_DISQUALIFIED_MEMBER), CMM_ESRCH);
	RC(cmm_member_setqualif(3, CMM_DISQUALIFIED_MEMBER), CMM_EINVAL); /* not eligible */
	OK(cmm_member_setqualif(2, CMM_DISQUALIFIED_MEMBER));
	cmm_member_t m;
	OK(cmm_member_getinfo(2, &m));
	cr_assert(cmm_member_isdisqualified(&m));
	cr_assert_not(cmm_member_isqualified(&m));
	cr_assert_not(cmm_member_isvicemaster(&m));
	OK(cmm_member_setqualif(2, CMM_QUALIFIED_MEMBER));
	OK(cmm_member_setqualif(2, CMM_SYNCHRO_NEEDED));
	OK(cmm_member_getinfo(2, &m));
	cr_assert(cmm_member_isdesynchronized(&m));
	OK(cmm_member_setqualif(2, CMM_SYNCHRO_READY));
	OK(cmm_config_reload());
	OK(cmm_mastership_release());
	RC(cmm_member_setqualif(2, CMM_DISQUALIFIED_MEMBER), CMM_EPERM); /* not master */
	finish();
}

Test(cmmlib, seizequalif)
{
	RC(cmm_member_seizequalif(), CMM_EPERM); /* a master runs */
	CTL("sim join n2 2 10.0.0.2");
	OK(cmm_member_setqualif(2, CMM_DISQUALIFIED_MEMBER));
	OK(cmm_member_setqualif(1, CMM_DISQUALIFIED_MEMBER)); /* no master now */
	cmm_member_t m;
	RC(cmm_master_getinfo(&m), CMM_ENOCLUSTER);
	OK(cmm_member_seizequalif());
	OK(cmm_master_getinfo(&m));
	cr_assert_eq(m.nodeid, 1);
	finish();
}

/* --- registration and dispatch --- */

Test(cmmlib, registration_errors)
{
	RC(cmm_notify_dispatch(), CMM_ENOENT);
	int fd;
	RC(cmm_notify_getfd(&fd), CMM_ENOENT);
	RC(cmm_notify_getfd(NULL), CMM_EINVAL);
	RC(cmm_cmc_unregister(), CMM_ENOENT);
	RC(cmm_cmc_filter(CMM_CMC_NOTIFY_ALL, NULL, 0), CMM_ENOENT);
	RC(cmm_cmc_register(NULL, NULL), CMM_EINVAL);
	reg();
	RC(cmm_cmc_register(collect, NULL), CMM_EEXIST);
	cmm_cmchanges_t bad[] = {CMM_MEMBER_JOINED, (cmm_cmchanges_t)42};
	RC(cmm_cmc_filter(CMM_CMC_NOTIFY_ADD, bad, 2), CMM_EINVAL);
	RC(cmm_cmc_filter(CMM_CMC_NOTIFY_SET, NULL, 1), CMM_EINVAL);
	RC(cmm_cmc_filter((cmm_cmcfilter_t)99, NULL, 0), CMM_EINVAL);
	OK(cmm_cmc_filter(CMM_CMC_NOTIFY_SET, NULL, 0));
	OK(cmm_notify_getfd(&fd));
	cr_assert_geq(fd, 0);
	OK(cmm_notify_dispatch()); /* nothing pending: fine */
	OK(cmm_cmc_unregister());
	RC(cmm_notify_dispatch(), CMM_ENOENT);
	RC(cmm_cmc_unregister(), CMM_ENOENT);
	reg(); /* again, after unregistering */
	OK(cmm_disconnect());
	RC(cmm_notify_dispatch(), CMM_ENOENT); /* disconnect drops the registration */
	finish();
}

Test(cmmlib, scenario_vicemaster_and_members)
{
	reg();
	CTL("sim join n2 2 10.0.0.2");
	expect_notes("VICEMASTER_ELECTED(2)");
	cr_assert_eq(got_data, &ngot, "client_data is passed back");
	CTL("sim join n3 3 10.0.0.3");
	expect_notes("MEMBER_JOINED(3)");
	CTL("sim fail n3");
	expect_notes("MEMBER_LEFT(3)");
	CTL("sim leave n2");
	expect_notes("MEMBER_LEFT(2)");
	finish();
}

Test(cmmlib, scenario_switchover)
{
	CTL("sim join n2 2 10.0.0.2");
	CTL("sim join n3 3 10.0.0.3");
	reg();
	OK(cmm_mastership_release());
	expect_notes("MASTER_DEMOTED(1) MASTER_ELECTED(2) VICEMASTER_ELECTED(1)");
	finish();
}

Test(cmmlib, scenario_failover_and_cluster_start)
{
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	CTL("sim join n2 2 10.0.0.2");
	CTL("sim join n3 3 10.0.0.3");
	reg();
	CTL("sim fail %s", host);
	expect_notes("MEMBER_LEFT(1) MASTER_ELECTED(2) VICEMASTER_ELECTED(3)");
	CTL("sim fail n3");
	CTL("sim fail n2");
	expect_notes("MEMBER_LEFT(3) MEMBER_LEFT(2)");
	/* Cluster start: (out,out) -> (master,out) -> (master,vice-master). */
	CTL("sim join n2");
	expect_notes("MASTER_ELECTED(2)");
	CTL("sim join %s", host);
	expect_notes("VICEMASTER_ELECTED(1)");
	finish();
}

Test(cmmlib, scenario_disqualification)
{
	CTL("sim join n2 2 10.0.0.2");
	CTL("sim join n3 3 10.0.0.3");
	reg();
	OK(cmm_member_setqualif(2, CMM_DISQUALIFIED_MEMBER));
	expect_notes("VICEMASTER_DEMOTED(2) VICEMASTER_ELECTED(3)");
	OK(cmm_member_setqualif(1, CMM_DISQUALIFIED_MEMBER));
	expect_notes("MASTER_DEMOTED(1) MASTER_ELECTED(3)");
	finish();
}

Test(cmmlib, scenario_stale_and_split_brain)
{
	reg();
	CTL("sim stale");
	CTL("sim valid");
	CTL("sim splitbrain");
	CTL("sim valid");
	expect_notes("STALE_CLUSTER(0) VALID_CLUSTER(0) INVALID_CLUSTER(0) VALID_CLUSTER(0)");
	finish();
}

Test(cmmlib, filters)
{
	reg();
	cmm_cmchanges_t joined[] = {CMM_MEMBER_JOINED};
	OK(cmm_cmc_filter(CMM_CMC_NOTIFY_SET, joined, 1));
	CTL("sim join n2 2 10.0.0.2"); /* VICEMASTER_ELECTED: filtered out */
	CTL("sim join n3 3 10.0.0.3");
	expect_notes("MEMBER_JOINED(3)");
	cmm_cmchanges_t left[] = {CMM_MEMBER_LEFT};
	OK(cmm_cmc_filter(CMM_CMC_NOTIFY_ADD, left, 1));
	OK(cmm_cmc_filter(CMM_CMC_NOTIFY_REM, joined, 1));
	CTL("sim fail n3");
	CTL("sim join n3");
	CTL("sim fail n3");
	expect_notes("MEMBER_LEFT(3) MEMBER_LEFT(3)");
	OK(cmm_cmc_filter(CMM_CMC_NOTIFY_NONE, NULL, 0));
	CTL("sim join n3");
	usleep(300000);
	OK(cmm_notify_dispatch());
	cr_assert_eq(ngot, 0, "NONE delivers nothing: %s", got_text());
	OK(cmm_cmc_filter(CMM_CMC_NOTIFY_ALL, NULL, 0));
	CTL("sim fail n3");
	expect_notes("MEMBER_LEFT(3)");
	finish();
}

Test(cmmlib, one_dispatch_delivers_everything_pending)
{
	reg();
	CTL("sim join n2 2 10.0.0.2");
	CTL("sim join n3 3 10.0.0.3");
	CTL("sim fail n3");
	int fd;
	OK(cmm_notify_getfd(&fd));
	struct pollfd p = {fd, POLLIN, 0};
	cr_assert_eq(poll(&p, 1, 5000), 1);
	usleep(300000); /* let every record arrive */
	OK(cmm_notify_dispatch());
	cr_assert_str_eq(got_text(), "VICEMASTER_ELECTED(2) MEMBER_JOINED(3) MEMBER_LEFT(3)");
	finish();
}

/* A node that joins and is evicted before the next dispatch is still
 * reported with its own id: its "added" record names its number. */
Test(cmmlib, node_gone_before_dispatch_keeps_its_id)
{
	CTL("sim join n2 2 10.0.0.2");
	reg();
	CTL("sim join n3 3 10.0.0.3");
	CTL("sim fail n3");
	CTL("sim evict n3");
	expect_notes("MEMBER_JOINED(3) MEMBER_LEFT(3)");
	finish();
}

/* The callback sees the cluster as it is now, and may call the API. */
static uint32_t count_in_cb;
static void counting(const cmm_cmc_notification_t *n, void *data)
{
	(void)n;
	(void)data;
	cr_assert_eq(cmm_member_getcount(&count_in_cb), CMM_OK);
}

Test(cmmlib, callback_may_call_the_api)
{
	OK(cmm_cmc_register(counting, NULL));
	CTL("sim join n2 2 10.0.0.2");
	CTL("sim join n3 3 10.0.0.3");
	usleep(300000);
	int fd;
	OK(cmm_notify_getfd(&fd));
	struct pollfd p = {fd, POLLIN, 0};
	cr_assert_eq(poll(&p, 1, 5000), 1);
	OK(cmm_notify_dispatch());
	cr_assert_eq(count_in_cb, 3);
	finish();
}

/* --- the client loop of the reference (3.21), with select() --- */

static void *joiner(void *arg)
{
	(void)arg;
	usleep(200000);
	ctl("sim join n2 2 10.0.0.2");
	ctl("sim join n3 3 10.0.0.3");
	ctl("sim fail n2");
	return NULL;
}

Test(cmmlib, select_client_loop)
{
	OK(cmm_connect((timespec_t){5, 0}));
	reg();
	cmm_cmchanges_t kinds[] = {CMM_MASTER_ELECTED, CMM_VICEMASTER_ELECTED, CMM_MEMBER_JOINED,
				   CMM_MEMBER_LEFT};
	OK(cmm_cmc_filter(CMM_CMC_NOTIFY_SET, kinds, 4));
	int fd;
	OK(cmm_notify_getfd(&fd));
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, joiner, NULL), 0);
	time_t end = time(NULL) + 10;
	while (ngot < 4 && time(NULL) < end) {
		fd_set r;
		FD_ZERO(&r);
		FD_SET(fd, &r);
		struct timeval tv = {1, 0};
		int n = select(fd + 1, &r, NULL, NULL, &tv);
		if (n <= 0)
			continue;
		cmm_error_t e = cmm_notify_dispatch();
		cr_assert_eq(e, CMM_OK, "%s", cmm_strerror(e));
	}
	pthread_join(th, NULL);
	/* n2 left as vice-master: n3 takes the role. */
	cr_assert_str_eq(got_text(), "VICEMASTER_ELECTED(2) MEMBER_JOINED(3) MEMBER_LEFT(2) "
				     "VICEMASTER_ELECTED(3)");
	finish();
}

/* The same fd works with epoll. */
Test(cmmlib, epoll_loop)
{
	reg();
	int fd;
	OK(cmm_notify_getfd(&fd));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	cr_assert_geq(ep, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	struct epoll_event out;
	cr_assert_eq(epoll_wait(ep, &out, 1, 200), 0, "nothing pending yet");
	CTL("sim join n2 2 10.0.0.2");
	for (int i = 0; i < 50 && ngot < 1; i++)
		if (epoll_wait(ep, &out, 1, 100) == 1)
			OK(cmm_notify_dispatch());
	close(ep);
	cr_assert_str_eq(got_text(), "VICEMASTER_ELECTED(2)");
	finish();
}

/* --- CMM_EBADF after a daemon restart, and the documented recovery --- */

Test(cmmlib, ebadf_recovery_across_restart)
{
	reg();
	int fd;
	OK(cmm_notify_getfd(&fd));
	mnt_stop_daemon(&M);
	mnt_start(&M, "--backend=sim");
	/* The old fd is broken: poll reports it and dispatch says so. */
	struct pollfd p = {fd, POLLIN, 0};
	cr_assert_eq(poll(&p, 1, 5000), 1);
	RC(cmm_notify_dispatch(), CMM_EBADF);
	RC(cmm_notify_dispatch(), CMM_EBADF);
	/* Recovery: unregister, register, filter, getfd. */
	OK(cmm_cmc_unregister());
	reg();
	OK(cmm_cmc_filter(CMM_CMC_NOTIFY_ALL, NULL, 0));
	int fd2;
	OK(cmm_notify_getfd(&fd2));
	CTL("sim join n2 2 10.0.0.2");
	expect_notes("VICEMASTER_ELECTED(2)");
	finish();
}

/* --- threads, signals, timeout, fork --- */

static void *reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 30; i++) {
		uint32_t n;
		cmm_member_t m;
		if (cmm_member_getcount(&n) != CMM_OK || n < 1 || cmm_master_getinfo(&m) != CMM_OK ||
		    m.nodeid != 1)
			return (void *)1;
	}
	return NULL;
}

Test(cmmlib, threads_call_at_once)
{
	reg();
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, reader, NULL), 0);
	CTL("sim join n2 2 10.0.0.2");
	CTL("sim join n3 3 10.0.0.3");
	for (int i = 0; i < 10; i++)
		OK(cmm_notify_dispatch());
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		cr_assert_null(r, "a thread's call failed");
	}
	expect_notes("VICEMASTER_ELECTED(2) MEMBER_JOINED(3)");
	finish();
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

Test(cmmlib, signals_do_not_interrupt_calls)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	reg();
	for (int i = 0; i < 100; i++) {
		uint32_t n;
		cmm_member_t m;
		OK(cmm_member_getcount(&n));
		OK(cmm_member_getinfo(1, &m));
		OK(cmm_notify_dispatch());
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	cr_assert_gt(alarms, 10, "the signals came (%d)", (int)alarms);
	finish();
}

Test(cmmlib, timeout_bounds_calls)
{
	OK(cmm_connect((timespec_t){0, 300000000L}));
	kill(M.pid, SIGSTOP);
	/* Wait until it is stopped (the signal takes a moment to stop every
	 * thread): then nothing answers. */
	char path[64], st[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)M.pid);
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(st, 1, sizeof(st) - 1, f) : 0;
		if (f)
			fclose(f);
		st[n] = '\0';
		const char *p = strrchr(st, ')');
		if (p && p[1] == ' ' && p[2] == 'T')
			break;
		usleep(5000);
	}
	usleep(50000);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint32_t n;
	cmm_error_t e = cmm_member_getcount(&n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	kill(M.pid, SIGCONT);
	cr_assert_eq(e, CMM_ETIMEDOUT, "%s", cmm_strerror(e));
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	cr_assert(s >= 0.25 && s < 2.0, "took %.2f s", s);
	usleep(200000);
	OK(cmm_member_getcount(&n));
	finish();
}

Test(cmmlib, fork_child_has_no_registration)
{
	reg();
	int fd;
	OK(cmm_notify_getfd(&fd));
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int cfd;
		int bad = 0;
		bad |= cmm_notify_getfd(&cfd) != CMM_ENOENT;
		bad |= (fcntl(fd, F_GETFD) != -1 || errno != EBADF) << 1; /* closed in the child */
		bad |= cmm_notify_dispatch() != CMM_ENOENT ? 4 : 0;
		cmm_nodeid_t me = 0;
		bad |= (cmm_node_getid(&me) != CMM_OK || me != 1) ? 8 : 0;
		_exit(bad);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child checks failed: %d",
		  WEXITSTATUS(st));
	/* The parent's registration is intact. */
	CTL("sim join n2 2 10.0.0.2");
	expect_notes("VICEMASTER_ELECTED(2)");
	finish();
}

Test(cmmlib, strerror_names_every_code)
{
	const cmm_error_t all[] = {CMM_OK,	 CMM_EBADF,	 CMM_EBUSY,  CMM_ECANCELED,
				   CMM_EEXIST,	 CMM_EINVAL,	 CMM_ENOENT, CMM_ENOMSG,
				   CMM_ENOTSUP,	 CMM_EPERM,	 CMM_ERANGE, CMM_ESRCH,
				   CMM_ENOCLUSTER, CMM_ECONN,	 CMM_ETIMEDOUT, CMM_EAGAIN,
				   CMM_ENOMEM,	 CMM_EOTHER};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *s = cmm_strerror(all[i]);
		cr_assert_not_null(s);
		cr_assert_eq(strncmp(s, "CMM_", 4), 0, "%s", s);
		for (size_t k = 0; k < i; k++)
			cr_assert_str_neq(s, cmm_strerror(all[k]));
	}
	cr_assert_str_eq(cmm_strerror((cmm_error_t)12345), "unknown CMM error");
	finish();
}
