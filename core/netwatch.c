/* SPDX-License-Identifier: MIT */
/* Networks and network interfaces that follow the host (netwatch.h). */
#include "netwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "engine.h"
#include "ifscan.h"

struct cfs_netwatch {
	struct cfs_engine *e;
	uint32_t number; /* the node this host is */
	int nlfd;	 /* netlink: link and address changes */
	int pipe[2];	 /* 'k': reconcile now, 'x': stop */
	pthread_t thread;
	bool thread_started;
};

static struct cfs_object *netif_for(struct cfs_model *m, struct cfs_object *node,
				    const char *adapter)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NETINTERFACE];
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		struct cfs_object *ni = ((struct cfs_key *)nc->subkeys.v[i])->obj;
		if (ni && cfs_obj_ref(m, ni, CFS_P_NODE) == node &&
		    strcmp(cfs_key_get_sz(ni->key, CFS_P_ADAPTER, NULL), adapter) == 0)
			return ni;
	}
	return NULL;
}

/* The network of a subnet, if the cluster has one. */
static struct cfs_object *network_of(struct cfs_model *m, const char *addr, const char *prefix)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NETWORK];
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		struct cfs_key *k = nc->subkeys.v[i];
		if (k->obj && strcmp(cfs_key_get_sz(k, CFS_P_ADDRESS, NULL), addr) == 0 &&
		    strcmp(cfs_key_get_sz(k, CFS_P_ADDRESS_MASK, NULL), prefix) == 0)
			return k->obj;
	}
	return NULL;
}

/* Whether another node's interface on net is up. */
static bool others_up(struct cfs_model *m, struct cfs_object *net, struct cfs_object *node)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NETINTERFACE];
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		struct cfs_object *ni = ((struct cfs_key *)nc->subkeys.v[i])->obj;
		if (ni && cfs_obj_ref(m, ni, CFS_P_NETWORK) == net &&
		    cfs_obj_ref(m, ni, CFS_P_NODE) != node && cfs_obj_state(ni) == CFS_NETIF_UP)
			return true;
	}
	return false;
}

static void free_network_name(struct cfs_model *m, struct cfs_buf *taken, char *out, size_t n)
{
	for (unsigned i = 1;; i++) {
		snprintf(out, n, "Cluster Network %u", i);
		if (cfs_model_by_name(m, CFS_KIND_NETWORK, out))
			continue;
		/* Not already used by an earlier line of this batch. */
		char probe[300];
		snprintf(probe, sizeof(probe), "\n%s\n", out);
		if (taken->data && strstr(taken->data, probe))
			continue;
		cfs_buf_printf(taken, "%s\n", out);
		return;
	}
}

/* Builds the commands that bring networks and interfaces in line with
 * the host. Reads the model under the read lock. */
static int reconcile_cmds(struct cfs_netwatch *w, const struct cfs_ifinfo *ifs, size_t n,
			  struct cfs_buf *b)
{
	struct cfs_model *m = &w->e->model;
	struct cfs_buf taken = {0};
	cfs_buf_puts(&taken, "\n");
	int r = 0;
	struct cfs_object *node = cfs_model_node_by_number(m, w->number);
	if (!node)
		return 0;
	char mask[16];
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct cfs_ifinfo *f = &ifs[i];
		const char *netstate = f->up ? "up" : "down";
		const char *ifstate = f->up ? "up" : "failed";
		struct cfs_object *ni = netif_for(m, node, f->name);
		if (!ni) {
			char netname[CFS_NAME_MAX + 1], ifname[CFS_NAME_MAX + 1], addr[80];
			snprintf(ifname, sizeof(ifname), "%.200s - %s", node->name, f->name);
			snprintf(addr, sizeof(addr), "%s", f->network[0] ? f->network : "");
			snprintf(mask, sizeof(mask), "%u", f->prefixlen);
			/* Another node's interface on this subnet made its network. */
			struct cfs_object *shared = addr[0] ? network_of(m, addr, mask) : NULL;
			if (shared) {
				snprintf(netname, sizeof(netname), "%s", shared->name);
			} else {
				free_network_name(m, &taken, netname, sizeof(netname));
				const char *net[] = {netname, addr, mask,
						     f->loopback ? "none" : "internalandclient",
						     netstate};
				r = cfs_cmd_append_line(b, CFS_OP_NET_ADD, 5, net);
			}
			const char *nif[] = {ifname, node->name, netname, f->name, f->address, ifstate};
			if (r == 0)
				r = cfs_cmd_append_line(b, CFS_OP_NETIF_ADD, 6, nif);
			continue;
		}
		if (cfs_obj_state(ni) != (uint32_t)cfs_state_parse(CFS_KIND_NETINTERFACE, ifstate)) {
			const char *a[] = {cfs_obj_id(ni), ifstate};
			r = cfs_cmd_append_line(b, CFS_OP_NETIF_STATE, 2, a);
		}
		struct cfs_object *net = cfs_obj_ref(m, ni, CFS_P_NETWORK);
		/* A network other nodes reach is up while any of them does. */
		if (net && !f->up && others_up(m, net, node))
			netstate = "up";
		if (r == 0 && net &&
		    cfs_obj_state(net) != (uint32_t)cfs_state_parse(CFS_KIND_NETWORK, netstate)) {
			const char *a[] = {cfs_obj_id(net), netstate};
			r = cfs_cmd_append_line(b, CFS_OP_NET_STATE, 2, a);
		}
	}
	/* Interfaces of this node that the host no longer has. */
	struct cfs_key *nc = m->coll[CFS_KIND_NETINTERFACE];
	for (size_t i = 0; r == 0 && i < nc->subkeys.n; i++) {
		struct cfs_object *ni = ((struct cfs_key *)nc->subkeys.v[i])->obj;
		if (!ni || cfs_obj_ref(m, ni, CFS_P_NODE) != node)
			continue;
		const char *adapter = cfs_key_get_sz(ni->key, CFS_P_ADAPTER, NULL);
		bool present = false;
		for (size_t k = 0; k < n; k++)
			present |= strcmp(ifs[k].name, adapter) == 0;
		if (present)
			continue;
		if (cfs_obj_state(ni) != CFS_NETIF_UNAVAILABLE) {
			const char *a[] = {cfs_obj_id(ni), "unavailable"};
			r = cfs_cmd_append_line(b, CFS_OP_NETIF_STATE, 2, a);
		}
		struct cfs_object *net = cfs_obj_ref(m, ni, CFS_P_NETWORK);
		if (r == 0 && net && cfs_obj_state(net) != CFS_NET_DOWN &&
		    !others_up(m, net, node)) {
			const char *a[] = {cfs_obj_id(net), "down"};
			r = cfs_cmd_append_line(b, CFS_OP_NET_STATE, 2, a);
		}
	}
	cfs_buf_free(&taken);
	return r;
}

static int reconcile(struct cfs_netwatch *w)
{
	struct cfs_ifinfo *ifs;
	size_t n;
	int r = cfs_ifscan(&ifs, &n);
	if (r < 0)
		return r;
	struct cfs_buf b = {0};
	cfs_engine_rdlock(w->e);
	r = reconcile_cmds(w, ifs, n, &b);
	cfs_engine_unlock(w->e);
	if (r == 0 && b.len) {
		const char *why;
		r = cfs_engine_run_text(w->e, b.data, &why);
	}
	cfs_buf_free(&b);
	free(ifs);
	return r;
}

static void *watch_main(void *arg)
{
	struct cfs_netwatch *w = arg;
	for (;;) {
		struct pollfd p[2] = {{w->pipe[0], POLLIN, 0}, {w->nlfd, POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		bool kicked = false;
		if (p[0].revents) {
			char buf[64];
			ssize_t k = read(w->pipe[0], buf, sizeof(buf));
			if (k > 0 && memchr(buf, 'x', (size_t)k))
				break;
			kicked = true;
		}
		if (p[1].revents && cfs_ifwatch_drain(w->nlfd) != 0) {
			/* Let a burst of netlink messages settle, then rescan once. */
			usleep(20000);
			cfs_ifwatch_drain(w->nlfd);
			kicked = true;
		}
		if (kicked)
			reconcile(w);
	}
	return NULL;
}

void cfs_netwatch_kick(struct cfs_netwatch *w)
{
	if (w && write(w->pipe[1], "k", 1) < 0) {
		/* The pipe is full: a reconcile is coming anyway. */
	}
}

void cfs_netwatch_stop(struct cfs_netwatch *w)
{
	if (!w)
		return;
	if (w->thread_started) {
		if (write(w->pipe[1], "x", 1) < 0) {
			/* Full: the thread is awake and drains it. */
		}
		pthread_join(w->thread, NULL);
	}
	if (w->nlfd >= 0)
		close(w->nlfd);
	if (w->pipe[0] >= 0) {
		close(w->pipe[0]);
		close(w->pipe[1]);
	}
	free(w);
}

int cfs_netwatch_start(struct cfs_engine *e, uint32_t number, bool now,
		       struct cfs_netwatch **ret)
{
	struct cfs_netwatch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->e = e;
	w->number = number;
	w->pipe[0] = w->pipe[1] = -1;
	int r;
	/* Watch before the first reconcile so that no change is missed. */
	if ((w->nlfd = cfs_ifwatch_open()) < 0) {
		r = w->nlfd;
		goto fail;
	}
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	if (now && (r = reconcile(w)) < 0)
		goto fail;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&w->thread, NULL, watch_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		goto fail;
	w->thread_started = true;
	if (!now)
		cfs_netwatch_kick(w);
	*ret = w;
	return 0;
fail:
	cfs_netwatch_stop(w);
	return r;
}
