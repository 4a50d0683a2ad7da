/* SPDX-License-Identifier: MIT */
/* IP Address: puts Address on an interface of this node and takes it off,
 * as IPaddr2 does, through iproute2's `ip addr`. Parameters: Address
 * (IPv4 or IPv6), SubnetMask (a dotted mask or a prefix length; default
 * the whole address), Interface (default: the interface whose network
 * holds the address). Monitor: the address is on an interface. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "proc.h"

struct ipaddr {
	int family;
	unsigned char b[16];
	size_t len; /* 4 or 16 */
};

static bool parse_ip(const char *s, struct ipaddr *a)
{
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = AF_INET;
		a->len = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = AF_INET6;
		a->len = 16;
		return true;
	}
	return false;
}

static bool sa_ip(const struct sockaddr *sa, struct ipaddr *a)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		memcpy(a->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		a->family = AF_INET;
		a->len = 4;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(a->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		a->family = AF_INET6;
		a->len = 16;
		return true;
	}
	return false;
}

static int mask_bits(const struct ipaddr *m)
{
	int n = 0;
	for (size_t i = 0; i < m->len; i++)
		for (int b = 7; b >= 0 && (m->b[i] >> b & 1); b--)
			n++;
	return n;
}

static bool same_net(const struct ipaddr *x, const struct ipaddr *y, int bits)
{
	if (x->family != y->family)
		return false;
	for (size_t i = 0; i < x->len && bits > 0; i++, bits -= 8) {
		unsigned char mk = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((x->b[i] & mk) != (y->b[i] & mk))
			return false;
	}
	return true;
}

/* Where the address is now: its interface and prefix; false if nowhere. */
static bool find_addr(const struct ipaddr *a, char ifname[IF_NAMESIZE], int *ret_bits)
{
	struct ifaddrs *ifs, *i;
	bool found = false;
	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i && !found; i = i->ifa_next) {
		struct ipaddr x, mk;
		if (!sa_ip(i->ifa_addr, &x) || x.family != a->family || memcmp(x.b, a->b, a->len))
			continue;
		found = true;
		snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
		*ret_bits = sa_ip(i->ifa_netmask, &mk) ? mask_bits(&mk) : (int)a->len * 8;
	}
	freeifaddrs(ifs);
	return found;
}

/* The interface whose network holds a (the longest prefix wins). */
static bool find_iface(const struct ipaddr *a, char ifname[IF_NAMESIZE])
{
	struct ifaddrs *ifs, *i;
	int best = -1;
	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i; i = i->ifa_next) {
		struct ipaddr x, mk;
		if (!sa_ip(i->ifa_addr, &x) || !sa_ip(i->ifa_netmask, &mk) || x.family != a->family)
			continue;
		int bits = mask_bits(&mk);
		if (bits > best && same_net(&x, a, bits)) {
			best = bits;
			snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
		}
	}
	freeifaddrs(ifs);
	return best >= 0;
}

static const char *ip_tool(void)
{
	static const char *const paths[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

static int run_ip(const struct cfs_agent_ctx *c, const char *verb, const char *addr, int bits,
		  const char *ifname, struct cfs_agent_result *res, volatile pid_t *pgid)
{
	const char *tool = ip_tool();
	if (!tool) {
		res->rc = CFS_OCF_ERR_INSTALLED;
		cfs_agent_reason(res, "iproute2's ip is not installed");
		return 0;
	}
	char cidr[INET6_ADDRSTRLEN + 8];
	snprintf(cidr, sizeof(cidr), "%s/%d", addr, bits);
	char *argv[] = {(char *)tool, "addr", (char *)verb, cidr, "dev", (char *)ifname, NULL};
	char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	int status = 0;
	int r = cfs_proc_run(argv, envp, "/", (int)c->timeout_ms, &res->out, &status, pgid);
	if (r == -ETIME) {
		res->rc = -ETIME;
		cfs_agent_reason(res, "ip addr %s timed out", verb);
		return 0;
	}
	if (r < 0)
		return r;
	if (status) {
		res->rc = CFS_OCF_ERR_GENERIC;
		const char *o = res->out.data ? res->out.data : "";
		cfs_agent_reason(res, "ip addr %s %s dev %s: %.*s", verb, cidr, ifname,
				 (int)strcspn(o, "\n"), o);
	}
	return 0;
}

int cfs_agent_ip_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
		     struct cfs_agent_result *res, volatile pid_t *pgid)
{
	const char *addr = cfs_agent_param(c, "Address");
	struct ipaddr ip;
	if (!addr || !parse_ip(addr, &ip)) {
		res->rc = a == CFS_ACT_STOP	 ? CFS_OCF_SUCCESS
			  : a == CFS_ACT_MONITOR ? CFS_OCF_NOT_RUNNING
						 : CFS_OCF_ERR_CONFIGURED;
		cfs_agent_reason(res, "Address is not an IP address");
		return 0;
	}
	int bits = (int)ip.len * 8;
	const char *mask = cfs_agent_param(c, "SubnetMask");
	struct ipaddr mk;
	if (mask && *mask) {
		const char *m = mask[0] == '/' ? mask + 1 : mask;
		char *end;
		long n = strtol(m, &end, 10);
		if (!*end && end != m && n >= 1 && n <= (long)ip.len * 8)
			bits = (int)n;
		else if (parse_ip(m, &mk) && mk.family == ip.family)
			bits = mask_bits(&mk);
		else if (a == CFS_ACT_START || a == CFS_ACT_VALIDATE) {
			res->rc = CFS_OCF_ERR_CONFIGURED;
			cfs_agent_reason(res, "SubnetMask %s is neither a mask nor a prefix length",
					 mask);
			return 0;
		}
	}
	char where[IF_NAMESIZE];
	int have_bits;
	bool present = find_addr(&ip, where, &have_bits);
	switch (a) {
	case CFS_ACT_MONITOR:
		if (!present) {
			res->rc = CFS_OCF_NOT_RUNNING;
			cfs_agent_reason(res, "%s is on no interface", addr);
		}
		return 0;
	case CFS_ACT_STOP:
		return present ? run_ip(c, "del", addr, have_bits, where, res, pgid) : 0;
	case CFS_ACT_START: {
		if (present)
			return 0;
		char ifname[IF_NAMESIZE];
		const char *want = cfs_agent_param(c, "Interface");
		if (want && *want)
			snprintf(ifname, sizeof(ifname), "%s", want);
		else if (!find_iface(&ip, ifname)) {
			res->rc = CFS_OCF_ERR_CONFIGURED;
			cfs_agent_reason(res, "no interface is on %s's network: set Interface", addr);
			return 0;
		}
		return run_ip(c, "add", addr, bits, ifname, res, pgid);
	}
	default:
		return 0;
	}
}
