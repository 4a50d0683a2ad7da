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
 * nothing is deleted, so ids stay stable while an interface is away;
 * netwatch.c). */
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
#include "netwatch.h"

struct local {
	struct cfs_engine *e;
	struct cfs_netwatch *net;
};

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

static int bootstrap(struct local *l, const struct cfs_ifinfo *ifs, size_t n)
{
	struct cfs_engine *e = l->e;
	cfs_engine_rdlock(e);
	struct cfs_object *node = cfs_model_node_by_number(&e->model, 1);
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
		r = cfs_cmd_append_line(&b, CFS_OP_NODE_ADD, 4, node_args);
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
		r = cfs_cmd_append_line(&b, CFS_OP_NODE_STATE, 2, args);
	}
	/* A cluster made before the CMM roles existed gets them now (the
	 * election records nothing when the roles are already right). */
	if (r == 0 && have_node)
		r = cfs_cmd_append_line(&b, CFS_OP_CMM_ELECT, 0, NULL);
	if (r == 0 && b.len) {
		const char *why;
		r = cfs_engine_run_text(e, b.data, &why);
	}
	cfs_buf_free(&b);
	return r;
}

static void local_stop(void *state)
{
	struct local *l = state;
	if (!l)
		return;
	cfs_netwatch_stop(l->net);
	free(l);
}

static int local_start(struct cfs_engine *e, void **ret_state)
{
	struct local *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->e = e;
	struct cfs_ifinfo *ifs;
	size_t n;
	int r = cfs_ifscan(&ifs, &n);
	if (r < 0)
		goto fail;
	r = bootstrap(l, ifs, n);
	free(ifs);
	if (r < 0)
		goto fail;
	if ((r = cfs_netwatch_start(e, 1, true, &l->net)) < 0)
		goto fail;
	cfs_engine_rdlock(e);
	struct cfs_object *node = cfs_model_node_by_number(&e->model, 1);
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
