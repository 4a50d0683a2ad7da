/* SPDX-License-Identifier: MIT */
/* cmm_monitor: a cluster membership monitor in the style of the Netra HA
 * Suite examples (cmm_API/notif.c) and tools (nhcmmstat). It prints the
 * current members, then every membership notification as it arrives,
 * with the node's name and role at that moment. It recovers from a broken
 * notification fd (CMM_EBADF, for example after a daemon restart) the way
 * cmm_notify_dispatch(3CMM) describes.
 *
 *   cc cmm_monitor.c $(pkg-config --cflags --libs cgha_cmm) -lrt -o cmm_monitor
 *   ./cmm_monitor [-n COUNT] [-t SECONDS]
 *
 *   -n COUNT    exit after COUNT notifications (default: run until signalled)
 *   -t SECONDS  the CMM call timeout (default 5)
 *
 * The mount is $CLUSTERFS_MOUNT, else /mnt/clusterfs. Exit status: 0, or
 * 1 on an error. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmm.h>

static volatile sig_atomic_t stop;
static long seen;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *role_of(const cmm_member_t *m)
{
	if (cmm_member_ismaster(m))
		return "master";
	if (cmm_member_isvicemaster(m))
		return "vice-master";
	if (cmm_member_isoutofcluster(m))
		return "out";
	return "in";
}

static void print_member(const cmm_member_t *m)
{
	printf("%4u %-20s %-11s %s%s%s%s%s incarnation=%u domain=%u swload=%s\n",
	       (unsigned)m->nodeid, m->name, role_of(m),
	       cmm_member_iseligible(m) ? "eligible" : "ineligible",
	       cmm_member_isdisqualified(m) ? ",disqualified" : "",
	       cmm_member_isdesynchronized(m) ? ",desynchronized" : "",
	       cmm_member_isfrozen(m) ? ",frozen" : "", cmm_member_isexcluded(m) ? ",excluded" : "",
	       (unsigned)m->incarnation_number, (unsigned)m->domainid,
	       m->software_load_id[0] ? m->software_load_id : "-");
}

static int print_members(void)
{
	uint32_t count;
	cmm_error_t res = cmm_member_getcount(&count);
	if (res != CMM_OK) {
		fprintf(stderr, "cmm_member_getcount: %s\n", cmm_strerror(res));
		return res == CMM_ENOCLUSTER ? 0 : -1;
	}
	cmm_member_t *table = calloc(count ? count : 1, sizeof(*table));
	if (!table)
		return -1;
	res = cmm_member_getall(count, table, &count);
	if (res == CMM_OK) {
		printf("members: %u\n", (unsigned)count);
		for (uint32_t i = 0; i < count; i++)
			print_member(&table[i]);
	} else {
		fprintf(stderr, "cmm_member_getall: %s\n", cmm_strerror(res));
	}
	free(table);
	fflush(stdout);
	return res == CMM_OK || res == CMM_ERANGE ? 0 : -1;
}

static const char *change_name(cmm_cmchanges_t c)
{
	switch (c) {
	case CMM_MASTER_ELECTED:
		return "MASTER_ELECTED";
	case CMM_MASTER_DEMOTED:
		return "MASTER_DEMOTED";
	case CMM_VICEMASTER_ELECTED:
		return "VICEMASTER_ELECTED";
	case CMM_VICEMASTER_DEMOTED:
		return "VICEMASTER_DEMOTED";
	case CMM_MEMBER_JOINED:
		return "MEMBER_JOINED";
	case CMM_MEMBER_LEFT:
		return "MEMBER_LEFT";
	case CMM_STALE_CLUSTER:
		return "STALE_CLUSTER";
	case CMM_INVALID_CLUSTER:
		return "INVALID_CLUSTER";
	case CMM_VALID_CLUSTER:
		return "VALID_CLUSTER";
	default:
		return "UNKNOWN";
	}
}

/* Called from cmm_notify_dispatch(), in this thread, once per
 * notification. The cluster may have moved on since: getinfo shows it
 * as it is now. */
static void notified(const cmm_cmc_notification_t *n, void *client_data)
{
	const char *prog = client_data;
	cmm_member_t m;
	if (n->nodeid != 0 && cmm_potential_getinfo(n->nodeid, &m) == CMM_OK)
		printf("%s: %s node %u (%s, now %s)\n", prog, change_name(n->cmchange),
		       (unsigned)n->nodeid, m.name, role_of(&m));
	else
		printf("%s: %s node %u\n", prog, change_name(n->cmchange), (unsigned)n->nodeid);
	fflush(stdout);
	seen++;
}

/* register -> filter -> getfd: also the recovery after CMM_EBADF. */
static int subscribe(char *prog, int *fd)
{
	cmm_error_t res = cmm_cmc_register(notified, prog);
	if (res == CMM_OK)
		res = cmm_cmc_filter(CMM_CMC_NOTIFY_ALL, NULL, 0);
	if (res == CMM_OK)
		res = cmm_notify_getfd(fd);
	if (res != CMM_OK) {
		fprintf(stderr, "%s: cannot subscribe: %s\n", prog, cmm_strerror(res));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *prog = "cmm_monitor";
	long limit = -1;
	timespec_t timeout = {5, 0};
	int opt;
	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		switch (opt) {
		case 'n':
			limit = strtol(optarg, NULL, 10);
			break;
		case 't':
			timeout.tv_sec = strtol(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: %s [-n COUNT] [-t SECONDS]\n", prog);
			return 1;
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	cmm_error_t res = cmm_connect(timeout);
	if (res != CMM_OK) {
		fprintf(stderr, "%s: cmm_connect: %s\n", prog, cmm_strerror(res));
		return 1;
	}
	cmm_nodeid_t me;
	res = cmm_node_getid(&me);
	if (res != CMM_OK) {
		fprintf(stderr, "%s: cmm_node_getid: %s\n", prog, cmm_strerror(res));
		return 1;
	}
	printf("%s: this node is %u\n", prog, (unsigned)me);
	cmm_member_t master;
	res = cmm_master_getinfo(&master);
	if (res == CMM_OK)
		printf("%s: the master is node %u (%s)\n", prog, (unsigned)master.nodeid,
		       master.name);
	else
		printf("%s: no master: %s\n", prog, cmm_strerror(res));
	if (print_members() < 0)
		return 1;

	int fd;
	if (subscribe(prog, &fd) < 0)
		return 1;
	printf("%s: waiting for notifications\n", prog);
	fflush(stdout);
	while (!stop && (limit < 0 || seen < limit)) {
		struct pollfd p = {fd, POLLIN, 0};
		int n = poll(&p, 1, 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		res = cmm_notify_dispatch();
		if (res == CMM_EBADF) {
			/* The fd is broken: redo the whole registration. */
			printf("%s: notification fd broken, subscribing again\n", prog);
			cmm_cmc_unregister();
			while (!stop && subscribe(prog, &fd) < 0)
				sleep(1);
		} else if (res != CMM_OK) {
			fprintf(stderr, "%s: cmm_notify_dispatch: %s\n", prog, cmm_strerror(res));
			break;
		}
	}
	cmm_cmc_unregister();
	cmm_disconnect();
	printf("%s: %ld notifications\n", prog, seen);
	return 0;
}
