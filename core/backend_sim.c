/* SPDX-License-Identifier: MIT */
/* The simulation back-end: the embedded single-node cluster (this host is
 * node 1, exactly as with "local"), plus simulated peer nodes driven by
 * "sim" lines written to the control file. It lets users rehearse scripts
 * and programs against joins, departures, failures and qualification
 * changes on one machine, and lets the tests drive the whole stack.
 *
 * Each line becomes ordinary commands (node-add, node-state, node-cmm,
 * cmm-remove, cmm-status, node-evict): the simulated membership reaches
 * the model through the same interface a real membership back-end feeds,
 * and the lines of one write (or of a begin/commit block) apply
 * atomically with the rest of it. Arguments are separated by blanks.
 *
 *   sim add NAME NUMBER ADDRESS [ATTR=VALUE...]   a configured node, out of the cluster
 *   sim join NAME [NUMBER ADDRESS] [ATTR=VALUE...] the node joins (added first when
 *                                                  NUMBER and ADDRESS are given)
 *   sim leave NAME          leaves as cmm_membership_remove does (a master needs a
 *                           vice-master that can take over: ECANCELED otherwise)
 *   sim fail NAME           fails (down), whatever its role
 *   sim qualif NAME WORD    qualified, disqualified, synchro-ready, synchro-needed
 *   sim set NAME ATTR VALUE eligible, qualification, synchro, frozen, excluded,
 *                           swload, domain (as the node's files take them)
 *   sim evict NAME          removes the node from the configuration
 *   sim stale | sim valid | sim splitbrain   the CMM status of the cluster
 *
 * ATTR=VALUE pairs are node-cmm attributes, applied before the node joins
 * so the election sees them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cmd.h"
#include "util.h"

struct sim {
	void *local; /* the embedded back-end's state */
};

static int sim_start(struct cfs_engine *e, void **ret_state)
{
	struct sim *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int r = cfs_backend_local.start(e, &s->local);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret_state = s;
	return 0;
}

static void sim_stop(void *state)
{
	struct sim *s = state;
	if (!s)
		return;
	cfs_backend_local.stop(s->local);
	free(s);
}

#define SIM_WORDS 16

static int push(struct cfs_vec *cmds, enum cfs_op op, int argc, const char *const *argv)
{
	struct cfs_cmd *c;
	int r = cfs_cmd_new(&c, op, argc, argv);
	if (r < 0)
		return r;
	if ((r = cfs_vec_push(cmds, c)) < 0)
		cfs_cmd_free(c);
	return r;
}

/* node-cmm NAME ATTR VALUE for each ATTR=VALUE word. */
static int push_attrs(struct cfs_vec *cmds, const char *name, char **w, int n, const char **why)
{
	for (int i = 0; i < n; i++) {
		char *eq = strchr(w[i], '=');
		if (!eq || eq == w[i]) {
			*why = "expected ATTR=VALUE";
			return -EINVAL;
		}
		*eq = '\0';
		const char *a[] = {name, w[i], eq + 1};
		int r = push(cmds, CFS_OP_NODE_CMM, 3, a);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_attr(const char *w)
{
	return strchr(w, '=') != NULL;
}

static int translate(char **w, int n, struct cfs_vec *cmds, const char **why)
{
	const char *verb = w[0];
	if (n == 1 && (strcmp(verb, "stale") == 0 || strcmp(verb, "valid") == 0 ||
		       strcmp(verb, "splitbrain") == 0)) {
		const char *a[] = {strcmp(verb, "splitbrain") == 0 ? "invalid" : verb};
		return push(cmds, CFS_OP_CMM_STATUS, 1, a);
	}
	if (n < 2)
		goto usage;
	const char *name = w[1];
	int r;
	if (strcmp(verb, "add") == 0 || strcmp(verb, "join") == 0) {
		bool join = verb[0] == 'j';
		int at = 2;
		if (n >= 4 && !is_attr(w[2])) {
			const char *a[] = {name, w[2], w[3], "down"};
			if ((r = push(cmds, CFS_OP_NODE_ADD, 4, a)) < 0)
				return r;
			at = 4;
		} else if (!join) {
			goto usage;
		}
		if ((r = push_attrs(cmds, name, w + at, n - at, why)) < 0)
			return r;
		if (!join)
			return 0;
		const char *a[] = {name, "up"};
		return push(cmds, CFS_OP_NODE_STATE, 2, a);
	}
	if (n == 2 && strcmp(verb, "leave") == 0) {
		const char *a[] = {name};
		return push(cmds, CFS_OP_CMM_REMOVE, 1, a);
	}
	if (n == 2 && strcmp(verb, "fail") == 0) {
		const char *a[] = {name, "down"};
		return push(cmds, CFS_OP_NODE_STATE, 2, a);
	}
	if (n == 2 && strcmp(verb, "evict") == 0) {
		const char *a[] = {name};
		return push(cmds, CFS_OP_NODE_EVICT, 1, a);
	}
	if (n == 3 && strcmp(verb, "qualif") == 0) {
		static const char *const q[][3] = {
			{"qualified", "qualification", "qualified"},
			{"disqualified", "qualification", "disqualified"},
			{"synchro-ready", "synchro", "ready"},
			{"synchro-needed", "synchro", "needed"},
		};
		for (size_t i = 0; i < CFS_ARRAY_SIZE(q); i++)
			if (strcmp(w[2], q[i][0]) == 0) {
				const char *a[] = {name, q[i][1], q[i][2]};
				return push(cmds, CFS_OP_NODE_CMM, 3, a);
			}
		*why = "sim qualif takes qualified, disqualified, synchro-ready or synchro-needed";
		return -EINVAL;
	}
	if (n == 4 && strcmp(verb, "set") == 0) {
		const char *a[] = {name, w[2], w[3]};
		return push(cmds, CFS_OP_NODE_CMM, 3, a);
	}
usage:
	*why = "sim: add, join, leave, fail, qualif, set, evict, stale, valid or splitbrain "
	       "(with their arguments)";
	return -EINVAL;
}

static int sim_control(void *state, const char *line, size_t len, struct cfs_vec *cmds,
		       const char **why)
{
	(void)state;
	char *copy = cfs_strndup(line, len);
	if (!copy)
		return -ENOMEM;
	char *w[SIM_WORDS + 1];
	int n = 0, r = 0;
	char *save;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == SIM_WORDS + 1) {
			*why = "sim: too many words";
			r = -E2BIG;
			break;
		}
		w[n++] = tok;
	}
	if (r == 0 && (n < 2 || strcmp(w[0], "sim") != 0)) {
		*why = "sim: missing verb";
		r = -EINVAL;
	}
	/* "sim set NAME ATTR VALUE": VALUE is the rest of the line (a
	 * software load id may have blanks). */
	char *rest = NULL;
	if (r == 0 && n > 5 && strcmp(w[1], "set") == 0) {
		size_t off = (size_t)(w[4] - copy);
		rest = cfs_strndup(line + off, len - off);
		if (!rest)
			r = -ENOMEM;
		else
			w[4] = rest, n = 5;
	}
	size_t before = cmds->n;
	if (r == 0)
		r = translate(w + 1, n - 1, cmds, why);
	if (r < 0)
		while (cmds->n > before)
			cfs_cmd_free(cmds->v[--cmds->n]);
	free(rest);
	free(copy);
	return r;
}

const struct cfs_backend_ops cfs_backend_sim = {
	.name = "sim",
	.start = sim_start,
	.stop = sim_stop,
	.control = sim_control,
};
