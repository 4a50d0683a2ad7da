/* SPDX-License-Identifier: MIT */
#include "ifscan.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* The entries being collected, with the family each address came from so
 * that an IPv4 address can replace an IPv6 fallback seen earlier. */
struct scan {
	struct cfs_ifinfo *v;
	unsigned char *fam;
	size_t n, cap;
};

static struct cfs_ifinfo *scan_get(struct scan *s, const char *name, size_t *idx)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, name) == 0) {
			*idx = i;
			return &s->v[i];
		}
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct cfs_ifinfo *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->v = v;
		unsigned char *fam = realloc(s->fam, cap * sizeof(*fam));
		if (!fam)
			return NULL;
		s->fam = fam;
		s->cap = cap;
	}
	struct cfs_ifinfo *e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, strlen(name) + 1);
	s->fam[s->n] = 0;
	*idx = s->n++;
	return e;
}

static unsigned mask_prefixlen(const unsigned char *mask, size_t len)
{
	unsigned bits = 0;
	for (size_t i = 0; i < len; i++)
		bits += (unsigned)__builtin_popcount(mask[i]);
	return bits;
}

static void apply_prefix(unsigned char *addr, size_t len, unsigned prefixlen)
{
	for (size_t i = 0; i < len; i++) {
		unsigned keep = prefixlen >= 8 ? 8 : prefixlen;
		addr[i] &= (unsigned char)(0xff00u >> keep);
		prefixlen -= keep;
	}
}

/* Sets address, prefix and network of e from an AF_INET or AF_INET6 entry. */
static void set_address(struct cfs_ifinfo *e, const struct ifaddrs *ifa)
{
	int family = ifa->ifa_addr->sa_family;
	unsigned char addr[16];
	size_t len;
	const unsigned char *mask = NULL;

	if (family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ifa->ifa_addr;
		const struct sockaddr_in *nm = (const struct sockaddr_in *)ifa->ifa_netmask;
		len = sizeof(sin->sin_addr);
		memcpy(addr, &sin->sin_addr, len);
		if (nm)
			mask = (const unsigned char *)&nm->sin_addr;
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ifa->ifa_addr;
		const struct sockaddr_in6 *nm = (const struct sockaddr_in6 *)ifa->ifa_netmask;
		len = sizeof(sin6->sin6_addr);
		memcpy(addr, &sin6->sin6_addr, len);
		if (nm)
			mask = (const unsigned char *)&nm->sin6_addr;
	}
	/* Without a netmask the address stands for itself alone. */
	unsigned prefixlen = mask ? mask_prefixlen(mask, len) : (unsigned)len * 8;

	if (!inet_ntop(family, addr, e->address, sizeof(e->address))) {
		e->address[0] = '\0';
		e->network[0] = '\0';
		e->prefixlen = 0;
		return;
	}
	apply_prefix(addr, len, prefixlen);
	if (!inet_ntop(family, addr, e->network, sizeof(e->network)))
		e->network[0] = '\0';
	e->prefixlen = prefixlen;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct cfs_ifinfo *)a)->name, ((const struct cfs_ifinfo *)b)->name);
}

int cfs_ifscan(struct cfs_ifinfo **ret, size_t *ret_n)
{
	struct ifaddrs *list;
	if (getifaddrs(&list) < 0)
		return errno ? -errno : -EIO;

	struct scan s = { 0 };
	int r = 0;
	for (const struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_name)
			continue;
		/* IPv4 addresses carry their label as name; "eth0:1" is an alias
		 * of eth0 (interface names never contain ':'). */
		char name[IF_NAMESIZE];
		size_t len = strcspn(ifa->ifa_name, ":");
		if (len == 0 || len >= sizeof(name))
			continue;
		memcpy(name, ifa->ifa_name, len);
		name[len] = '\0';

		size_t idx;
		struct cfs_ifinfo *e = scan_get(&s, name, &idx);
		if (!e) {
			r = -ENOMEM;
			break;
		}
		e->up = (ifa->ifa_flags & IFF_UP) && (ifa->ifa_flags & IFF_RUNNING);
		e->loopback = ifa->ifa_flags & IFF_LOOPBACK;

		if (!ifa->ifa_addr)
			continue;
		int family = ifa->ifa_addr->sa_family;
		if (family == AF_INET && s.fam[idx] != AF_INET) {
			set_address(e, ifa);
			s.fam[idx] = AF_INET;
		} else if (family == AF_INET6 && s.fam[idx] == 0) {
			set_address(e, ifa);
			s.fam[idx] = AF_INET6;
		}
	}
	freeifaddrs(list);
	free(s.fam);
	if (r < 0) {
		free(s.v);
		return r;
	}
	if (s.n > 1)
		qsort(s.v, s.n, sizeof(*s.v), cmp_name);
	*ret = s.v;
	*ret_n = s.n;
	return 0;
}

int cfs_ifwatch_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;

	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int cfs_ifwatch_drain(int fd)
{
	char buf[8192];
	int seen = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0) {
			seen = 1;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return seen;
		/* Overrun: messages were lost, so something changed. */
		if (errno == ENOBUFS) {
			seen = 1;
			continue;
		}
		return -errno;
	}
}
