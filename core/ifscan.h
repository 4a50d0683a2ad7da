/* SPDX-License-Identifier: MIT */
/* The host's real network interfaces, as the embedded back-end maps them
 * onto cluster networks and network interfaces: one entry per interface
 * (loopback included), with its first IPv4 address and prefix (or, when it
 * has none, its first IPv6 address), and whether it is up and running. */
#ifndef CFS_IFSCAN_H
#define CFS_IFSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include <net/if.h>

struct cfs_ifinfo {
	char name[IF_NAMESIZE];
	char address[64];  /* "192.168.1.5", "fe80::1" or "" */
	char network[64];  /* address with host bits cleared: "192.168.1.0", or "" */
	unsigned prefixlen; /* 24, 64, ...; 0 when there is no address */
	bool up;	    /* IFF_UP and IFF_RUNNING */
	bool loopback;	    /* IFF_LOOPBACK */
};

/* Fills *ret with a malloc'd array sorted by interface name. 0 or -errno. */
int cfs_ifscan(struct cfs_ifinfo **ret, size_t *ret_n);

/* A netlink socket (NETLINK_ROUTE, link and address groups, non-blocking,
 * close-on-exec) that becomes readable whenever an interface or address
 * changes. Returns the fd or -errno. */
int cfs_ifwatch_open(void);
/* Reads and discards every pending message. Returns 1 if any change was
 * seen, 0 if none, -errno on error. */
int cfs_ifwatch_drain(int fd);

#endif
