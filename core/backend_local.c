/* SPDX-License-Identifier: MIT */
/* The embedded back-end: a single-node cluster on this host.
 *
 * On first start it creates this host as node 1 (Up), the standard
 * resource types, the groups "Cluster Group" (with its name and address
 * resources, online) and "Available Storage", all in one batch. On every
 * start, and whenever netlink reports a link or address change, it
 * reconciles the networks and network interfaces with the host's real
 * interfaces: one network and one network interface per interface, whose
 * states follow the interface (a vanished interface becomes unavailable;
 * nothing is deleted, so ids stay stable while an interface is away). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "bootstrap.h"
#include "engine.h"
#include "ifscan.h"

struct local {
	struct cfs_engine *e;
	pthread_t thread;
	int stop_pipe[2];
	int nlfd;
	bool thread_started;
};

/* Appends one command with its arguments quoted as needed. */
static int add_cmd(struct cfs_buf *b, enum cfs_op op, int argc, const char *const *argv)
{
	struct cfs_cmd *c;
	int r = cfs_cmd_new(&c, op, argc, argv);
	if (r < 0)
		return r;
	r = cfs_cmd_format(c, b);
	cfs_cmd_free(c);
	return r < 0 ? r : cfs_buf_append(b, "\n", 1);
}

static void host_name(char *out, size_t n)
{
	if (gethostname(out, n - 1) < 0 || !out[0])
		snprintf(out, n, "localhost");
	out[n - 1] = '\0';
	/* Object names must not contain '/'. */
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '-';
}

static const char *primary_address(const struct cfs_ifinfo *ifs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ifs[i].loopback && ifs[i].up && strchr(ifs[i].address, '.'))
			return ifs[i].address;
	for (size_t i = 0; i < n; i++)
		if (!ifs[i].loopback && ifs[i].address[0])
			return ifs[i].address;
	return "127.0.0.1";
}

static struct cfs_object *local_node(struct cfs_model *m)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		struct cfs_key *k = nc->subkeys.v[i];
		if (k->obj && cfs_key_get_dword(k, CFS_P_NODE_NUMBER, 0) == 1)
			return k->obj;
	}
	return NULL;
}

static int bootstrap(struct local *l, const struct cfs_ifinfo *ifs, size_t n)
{
	struct cfs_engine *e = l->e;
	cfs_engine_rdlock(e);
	struct cfs_object *node = local_node(&e->model);
	bool have_node = node != NULL;
	bool node_down = node && cfs_obj_state(node) != CFS_NODE_UP &&
			 cfs_obj_state(node) != CFS_NODE_PAUSED;
	char nodename[256] = "";
	if (node)
		snprintf(nodename, sizeof(nodename), "%s", node->name);
	cfs_engine_unlock(e);

	struct cfs_buf b = {0};
	int r = 0;
	if (!have_node) {
		char host[256];
		host_name(host, sizeof(host));
		const char *node_args[] = {host, "1", primary_address(ifs, n), "up"};
		r = add_cmd(&b, CFS_OP_NODE_ADD, 4, node_args);
		struct cfs_vec boot = {0};
		if (r == 0)
			r = cfs_bootstrap_cmds(&boot, "");
		for (size_t i = 0; i < boot.n; i++) {
			if (r == 0 && (r = cfs_cmd_format(boot.v[i], &b)) == 0)
				r = cfs_buf_append(&b, "\n", 1);
			cfs_cmd_free(boot.v[i]);
		}
		cfs_vec_free(&boot);
	} else if (node_down) {
		const char *args[] = {nodename, "up"};
		r = add_cmd(&b, CFS_OP_NODE_STATE, 2, args);
	}
	/* A cluster made before the CMM roles existed gets them now (the
	 * election records nothing when the roles are already right). */
	if (r == 0 && have_node)
		r = add_cmd(&b, CFS_OP_CMM_ELECT, 0, NULL);
	if (r == 0 && b.len) {
		const char *why;
		r = cfs_engine_run_text(e, b.data, &why);
	}
	cfs_buf_free(&b);
	return r;
}

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
static int reconcile_cmds(struct local *l, const struct cfs_ifinfo *ifs, size_t n,
			  struct cfs_buf *b)
{
	struct cfs_model *m = &l->e->model;
	struct cfs_buf taken = {0};
	cfs_buf_puts(&taken, "\n");
	int r = 0;
	struct cfs_object *node = local_node(m);
	if (!node)
		return 0;
	char mask[16];
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct cfs_ifinfo *f = &ifs[i];
		const char *netstate = f->up ? "up" : "down";
		const char *ifstate = f->up ? "up" : "failed";
		struct cfs_object *ni = netif_for(m, node, f->name);
		if (!ni) {
			char netname[64], ifname[CFS_NAME_MAX + 1], addr[80];
			free_network_name(m, &taken, netname, sizeof(netname));
			snprintf(ifname, sizeof(ifname), "%.200s - %s", node->name, f->name);
			snprintf(addr, sizeof(addr), "%s", f->network[0] ? f->network : "");
			snprintf(mask, sizeof(mask), "%u", f->prefixlen);
			const char *net[] = {netname, addr, mask, f->loopback ? "none"
									  : "internalandclient",
					     netstate};
			const char *nif[] = {ifname, node->name, netname, f->name, f->address, ifstate};
			if ((r = add_cmd(b, CFS_OP_NET_ADD, 5, net)) == 0)
				r = add_cmd(b, CFS_OP_NETIF_ADD, 6, nif);
			continue;
		}
		if (cfs_obj_state(ni) != (uint32_t)cfs_state_parse(CFS_KIND_NETINTERFACE, ifstate)) {
			const char *a[] = {cfs_obj_id(ni), ifstate};
			r = add_cmd(b, CFS_OP_NETIF_STATE, 2, a);
		}
		struct cfs_object *net = cfs_obj_ref(m, ni, CFS_P_NETWORK);
		if (r == 0 && net &&
		    cfs_obj_state(net) != (uint32_t)cfs_state_parse(CFS_KIND_NETWORK, netstate)) {
			const char *a[] = {cfs_obj_id(net), netstate};
			r = add_cmd(b, CFS_OP_NET_STATE, 2, a);
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
			r = add_cmd(b, CFS_OP_NETIF_STATE, 2, a);
		}
		struct cfs_object *net = cfs_obj_ref(m, ni, CFS_P_NETWORK);
		if (r == 0 && net && cfs_obj_state(net) != CFS_NET_DOWN) {
			const char *a[] = {cfs_obj_id(net), "down"};
			r = add_cmd(b, CFS_OP_NET_STATE, 2, a);
		}
	}
	cfs_buf_free(&taken);
	return r;
}

static int reconcile(struct local *l)
{
	struct cfs_ifinfo *ifs;
	size_t n;
	int r = cfs_ifscan(&ifs, &n);
	if (r < 0)
		return r;
	struct cfs_buf b = {0};
	cfs_engine_rdlock(l->e);
	r = reconcile_cmds(l, ifs, n, &b);
	cfs_engine_unlock(l->e);
	if (r == 0 && b.len) {
		const char *why;
		r = cfs_engine_run_text(l->e, b.data, &why);
	}
	cfs_buf_free(&b);
	free(ifs);
	return r;
}

static void *watch_main(void *arg)
{
	struct local *l = arg;
	for (;;) {
		struct pollfd p[2] = {{l->stop_pipe[0], POLLIN, 0}, {l->nlfd, POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents && cfs_ifwatch_drain(l->nlfd) != 0) {
			/* Let a burst of netlink messages settle, then rescan once. */
			usleep(20000);
			cfs_ifwatch_drain(l->nlfd);
			reconcile(l);
		}
	}
	return NULL;
}

static void local_stop(void *state)
{
	struct local *l = state;
	if (!l)
		return;
	if (l->thread_started) {
		if (write(l->stop_pipe[1], "x", 1) < 0) {
			/* The pipe is ours and empty: a write cannot fail here. */
		}
		pthread_join(l->thread, NULL);
	}
	if (l->nlfd >= 0)
		close(l->nlfd);
	if (l->stop_pipe[0] >= 0) {
		close(l->stop_pipe[0]);
		close(l->stop_pipe[1]);
	}
	free(l);
}

static int local_start(struct cfs_engine *e, void **ret_state)
{
	struct local *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->e = e;
	l->nlfd = -1;
	l->stop_pipe[0] = l->stop_pipe[1] = -1;
	struct cfs_ifinfo *ifs;
	size_t n;
	int r = cfs_ifscan(&ifs, &n);
	if (r < 0)
		goto fail;
	r = bootstrap(l, ifs, n);
	free(ifs);
	if (r < 0)
		goto fail;
	/* Watch before the first reconcile so that no change is missed. */
	l->nlfd = cfs_ifwatch_open();
	if (l->nlfd < 0) {
		r = l->nlfd;
		goto fail;
	}
	if (pipe2(l->stop_pipe, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = reconcile(l)) < 0)
		goto fail;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&l->thread, NULL, watch_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		goto fail;
	l->thread_started = true;
	cfs_engine_rdlock(e);
	struct cfs_object *node = local_node(&e->model);
	e->local_node_id = node ? strdup(cfs_obj_id(node)) : NULL;
	cfs_engine_unlock(e);
	*ret_state = l;
	return 0;
fail:
	local_stop(l);
	return r;
}

const struct cfs_backend_ops cfs_backend_local = {
	.name = "local",
	.start = local_start,
	.stop = local_stop,
};
