/* SPDX-License-Identifier: MIT */
/* CMM roles and the election; the rule is written down in cmm.h. */
#include "cmm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "value.h"

static const char *const role_names[] = {
	[CFS_CMM_OUT] = "out",
	[CFS_CMM_IN] = "in",
	[CFS_CMM_VICEMASTER] = "vicemaster",
	[CFS_CMM_MASTER] = "master",
};

const char *cfs_cmm_role_name(uint32_t role)
{
	return role < CFS_ARRAY_SIZE(role_names) ? role_names[role] : "unknown";
}

/* How each CMM file shows its value. */
enum attr_form { F_WORDS, F_NUMBER, F_TEXT };

struct cmm_attr {
	const char *file;
	const char *prop;
	enum attr_form form;
	const char *words[2]; /* F_WORDS: the word for 0 and for 1 */
	uint32_t dflt;
	bool settable;	 /* through node-cmm */
	const char *bad; /* reason for a bad word */
};

/* Each prop here is also in model.c's list of managed node values
 * (cfs_prop_is_managed; tests/test_cmm.c checks it). */
static const struct cmm_attr attrs[] = {
	{"role", CFS_P_CMM_ROLE, F_WORDS, {NULL, NULL}, CFS_CMM_OUT, false, NULL},
	{"eligible", CFS_P_CMM_ELIGIBLE, F_WORDS, {"no", "yes"}, 1, true,
	 "eligible takes yes or no"},
	{"qualification", CFS_P_CMM_DISQUALIFIED, F_WORDS, {"qualified", "disqualified"}, 0, true,
	 "qualification takes qualified or disqualified"},
	{"synchro", CFS_P_CMM_SYNCHRO_NEEDED, F_WORDS, {"ready", "needed"}, 0, true,
	 "synchro takes ready or needed"},
	{"frozen", CFS_P_CMM_FROZEN, F_WORDS, {"no", "yes"}, 0, true, "frozen takes yes or no"},
	{"excluded", CFS_P_CMM_EXCLUDED, F_WORDS, {"no", "yes"}, 0, true,
	 "excluded takes yes or no"},
	{"incarnation", CFS_P_CMM_INCARNATION, F_NUMBER, {NULL, NULL}, 0, false, NULL},
	{"swload", CFS_P_CMM_SWLOAD, F_TEXT, {NULL, NULL}, 0, true, NULL},
	{"domain", CFS_P_CMM_DOMAIN, F_NUMBER, {NULL, NULL}, 0, true, NULL},
};

static const struct cmm_attr *attr_by_file(const char *file)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(attrs); i++)
		if (strcmp(attrs[i].file, file) == 0)
			return &attrs[i];
	return NULL;
}

const char *cfs_cmm_file_prop(const char *file)
{
	const struct cmm_attr *a = attr_by_file(file);
	return a ? a->prop : NULL;
}

static uint32_t get(const struct cfs_object *n, const struct cmm_attr *a)
{
	return cfs_key_get_dword(n->key, a->prop, a->dflt);
}

static uint32_t getp(const struct cfs_object *n, const char *prop)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(attrs); i++)
		if (strcmp(attrs[i].prop, prop) == 0)
			return get(n, &attrs[i]);
	return 0;
}

uint32_t cfs_cmm_role(const struct cfs_object *node)
{
	uint32_t r = getp(node, CFS_P_CMM_ROLE);
	return r <= CFS_CMM_MASTER ? r : CFS_CMM_OUT;
}

/* The word of a value as files and records show it. */
static void word_of(const struct cmm_attr *a, uint32_t v, char *out, size_t n)
{
	if (a->form == F_NUMBER)
		snprintf(out, n, "%u", v);
	else if (a->words[0])
		snprintf(out, n, "%s", a->words[v ? 1 : 0]);
	else
		snprintf(out, n, "%s", cfs_cmm_role_name(v));
}

int cfs_cmm_render(const struct cfs_object *node, const char *file, struct cfs_buf *out)
{
	const struct cmm_attr *a = attr_by_file(file);
	if (!a)
		return -ENOENT;
	if (a->form == F_TEXT) {
		size_t len;
		const char *s = cfs_key_get_sz(node->key, a->prop, &len);
		int r = cfs_buf_append(out, s, len);
		return r < 0 ? r : cfs_buf_append(out, "\n", 1);
	}
	char w[32];
	word_of(a, a->form == F_WORDS && !a->words[0] ? cfs_cmm_role(node) : get(node, a), w,
		sizeof(w));
	return cfs_buf_printf(out, "%s\n", w);
}

/* Sets a DWORD attribute and records the change (no-op when equal). The
 * value is written even when it equals the default but is missing, so
 * the registry shows it. */
static int set_attr(struct cfs_txn *t, struct cfs_object *n, const struct cmm_attr *a,
		    uint32_t v)
{
	uint32_t old = get(n, a);
	bool present = cfs_key_value(n->key, a->prop) != NULL;
	if (old == v && present)
		return 0;
	int r = cfs_txn_set_dword(t, n->key, a->prop, v);
	if (r < 0 || old == v)
		return r;
	char ow[32], nw[32];
	word_of(a, old, ow, sizeof(ow));
	word_of(a, v, nw, sizeof(nw));
	return cfs_txn_record(t, CFS_KIND_NODE, CFS_CH_PROPERTY, n, a->prop, ow, nw);
}

static int set_role(struct cfs_txn *t, struct cfs_object *n, uint32_t role)
{
	uint32_t old = cfs_cmm_role(n);
	if (old == role)
		return 0;
	int r;
	if (old == CFS_CMM_OUT) {
		const struct cmm_attr *inc = attr_by_file("incarnation");
		if ((r = set_attr(t, n, inc, get(n, inc) + 1)) < 0)
			return r;
	}
	int e = set_attr(t, n, attr_by_file("role"), role);
	if (e == 0 && role == CFS_CMM_MASTER) {
		/* The last master: it may be elected again while desynchronized
		 * (it held the most recent data). */
		const char *id = cfs_obj_id(n);
		e = cfs_txn_set_value(t, t->m->reg.root, CFS_P_CMM_LAST_MASTER, CFS_REG_SZ, id,
				      strlen(id));
	}
	return e;
}

/* --- the election --- */

static uint32_t number(const struct cfs_object *n)
{
	return cfs_key_get_dword(n->key, CFS_P_NODE_NUMBER, UINT32_MAX);
}

static bool member(const struct cfs_object *n)
{
	uint32_t s = cfs_obj_state(n);
	return (s == CFS_NODE_UP || s == CFS_NODE_PAUSED) && !getp(n, CFS_P_CMM_EXCLUDED);
}

static bool qualified(const struct cfs_object *n)
{
	return member(n) && getp(n, CFS_P_CMM_ELIGIBLE) && !getp(n, CFS_P_CMM_DISQUALIFIED);
}

static bool synchronized(const struct cfs_object *n)
{
	return !getp(n, CFS_P_CMM_SYNCHRO_NEEDED);
}

/* May be elected master by the last step of the rule. */
static bool fresh(struct cfs_model *m, const struct cfs_object *n)
{
	return synchronized(n) ||
	       strcmp(cfs_key_get_sz(m->reg.root, CFS_P_CMM_LAST_MASTER, NULL), cfs_obj_id(n)) == 0;
}

static bool frozen(const struct cfs_object *n)
{
	return getp(n, CFS_P_CMM_FROZEN) != 0;
}

/* The nodes sorted by number (ties, impossible by node-add, by id). */
static int by_number(const void *a, const void *b)
{
	const struct cfs_object *x = *(struct cfs_object *const *)a;
	const struct cfs_object *y = *(struct cfs_object *const *)b;
	uint32_t nx = number(x), ny = number(y);
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(cfs_obj_id(x), cfs_obj_id(y));
}

static int sorted_nodes(struct cfs_model *m, struct cfs_object ***ret, size_t *ret_n)
{
	struct cfs_key *nc = m->coll[CFS_KIND_NODE];
	struct cfs_object **v = calloc(nc->subkeys.n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < nc->subkeys.n; i++) {
		struct cfs_object *o = ((struct cfs_key *)nc->subkeys.v[i])->obj;
		if (o)
			v[n++] = o;
	}
	qsort(v, n, sizeof(*v), by_number);
	*ret = v;
	*ret_n = n;
	return 0;
}

static struct cfs_object *holder(struct cfs_object **v, size_t n, uint32_t role)
{
	for (size_t i = 0; i < n; i++)
		if (cfs_cmm_role(v[i]) == role)
			return v[i];
	return NULL;
}

int cfs_cmm_elect(struct cfs_txn *t)
{
	struct cfs_object **v;
	size_t n;
	int r = sorted_nodes(t->m, &v, &n);
	if (r < 0)
		return r;
	struct cfs_object *cur_m = holder(v, n, CFS_CMM_MASTER);
	struct cfs_object *cur_v = holder(v, n, CFS_CMM_VICEMASTER);
	struct cfs_object *new_m = NULL, *new_v = NULL;
	if (cur_m && qualified(cur_m))
		new_m = cur_m;
	else if (cur_v && qualified(cur_v) && synchronized(cur_v) && !frozen(cur_v))
		new_m = cur_v; /* a frozen node gains no new role */
	for (size_t i = 0; !new_m && i < n; i++)
		if (qualified(v[i]) && fresh(t->m, v[i]) && !frozen(v[i]))
			new_m = v[i];
	if (new_m) {
		if (cur_v && cur_v != new_m && qualified(cur_v))
			new_v = cur_v;
		for (size_t i = 0; !new_v && i < n; i++)
			if (v[i] != new_m && qualified(v[i]) && !frozen(v[i]))
				new_v = v[i];
	}
	uint32_t *want = calloc(n + 1, sizeof(*want));
	if (!want) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		want[i] = v[i] == new_m	  ? CFS_CMM_MASTER
			  : v[i] == new_v ? CFS_CMM_VICEMASTER
			  : member(v[i])  ? CFS_CMM_IN
					  : CFS_CMM_OUT;
	/* 1: leaving. 2: demotions. */
	for (size_t i = 0; r == 0 && i < n; i++)
		if (want[i] == CFS_CMM_OUT)
			r = set_role(t, v[i], CFS_CMM_OUT);
	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t cur = cfs_cmm_role(v[i]);
		if ((cur == CFS_CMM_MASTER && want[i] != CFS_CMM_MASTER) ||
		    (cur == CFS_CMM_VICEMASTER && want[i] == CFS_CMM_IN))
			r = set_role(t, v[i], CFS_CMM_IN);
	}
	/* 3: master. 4: vice-master. 5: joining without a role. */
	if (r == 0 && new_m)
		r = set_role(t, new_m, CFS_CMM_MASTER);
	if (r == 0 && new_v)
		r = set_role(t, new_v, CFS_CMM_VICEMASTER);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (want[i] == CFS_CMM_IN)
			r = set_role(t, v[i], CFS_CMM_IN);
	free(want);
	free(v);
	return r;
}

int cfs_cmm_node_gone(struct cfs_txn *t, struct cfs_object *node)
{
	return set_role(t, node, CFS_CMM_OUT);
}

/* --- commands --- */

static int parse_number(const char *s, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int cfs_cmm_set(struct cfs_txn *t, struct cfs_object *node, const char *attr, const char *value,
		const char **why)
{
	const struct cmm_attr *a = attr_by_file(attr);
	if (!a)
		return cfs_fail(why,
				"unknown CMM attribute (eligible, qualification, synchro, frozen, "
				"excluded, swload, domain)",
				-EINVAL);
	if (!a->settable)
		return cfs_fail(why, "the cluster maintains this attribute", -EPERM);
	int r;
	if (a->form == F_TEXT) {
		size_t len = strlen(value);
		if (len > CFS_CMM_SWLOAD_MAX)
			return cfs_fail(why, "software load id too long (31 bytes at most)",
					-ENAMETOOLONG);
		struct cfs_buf b = {0};
		if (cfs_value_parse(CFS_REG_SZ, value, len, &b) < 0 || memchr(value, '\n', len)) {
			cfs_buf_free(&b);
			return cfs_fail(why, "software load id must be one line of UTF-8", -EINVAL);
		}
		cfs_buf_free(&b);
		size_t oldlen;
		const char *old = cfs_key_get_sz(node->key, a->prop, &oldlen);
		if (oldlen == len && memcmp(old, value, len) == 0 &&
		    cfs_key_value(node->key, a->prop))
			return 0;
		char *oldcopy = cfs_strndup(old, oldlen);
		if (!oldcopy)
			return -ENOMEM;
		r = cfs_txn_set_value(t, node->key, a->prop, CFS_REG_SZ, value, len);
		if (r == 0)
			r = cfs_txn_record(t, CFS_KIND_NODE, CFS_CH_PROPERTY, node, a->prop, oldcopy,
					   value);
		free(oldcopy);
		return r;
	}
	uint32_t v;
	if (a->form == F_NUMBER) {
		if (parse_number(value, &v) < 0)
			return cfs_fail(why, "expected a decimal number", -EINVAL);
	} else if (strcasecmp(value, a->words[1]) == 0) {
		v = 1;
	} else if (strcasecmp(value, a->words[0]) == 0) {
		v = 0;
	} else {
		return cfs_fail(why, a->bad, -EINVAL);
	}
	if ((r = set_attr(t, node, a, v)) < 0)
		return r;
	return cfs_cmm_elect(t);
}

static int must_be_master(struct cfs_object *node, const char **why)
{
	if (!member(node))
		return cfs_fail(why, "the node is not in the cluster", -EHOSTDOWN);
	if (cfs_cmm_role(node) != CFS_CMM_MASTER)
		return cfs_fail(why, "only the master may do this", -EPERM);
	return 0;
}

/* The vice-master when it can take over the mastership, else NULL. */
static struct cfs_object *successor(struct cfs_model *m)
{
	struct cfs_object **v;
	size_t n;
	if (sorted_nodes(m, &v, &n) < 0)
		return NULL;
	struct cfs_object *vm = holder(v, n, CFS_CMM_VICEMASTER);
	free(v);
	return vm && qualified(vm) && synchronized(vm) && !frozen(vm) ? vm : NULL;
}

int cfs_cmm_release(struct cfs_txn *t, struct cfs_object *node, const char **why)
{
	int r = must_be_master(node, why);
	if (r < 0)
		return r;
	struct cfs_object *vm = successor(t->m);
	if (!vm)
		return cfs_fail(why, "no vice-master can take over the mastership", -ECANCELED);
	if ((r = set_role(t, node, CFS_CMM_IN)) < 0 || (r = set_role(t, vm, CFS_CMM_MASTER)) < 0)
		return r;
	if (qualified(node) && !frozen(node) && (r = set_role(t, node, CFS_CMM_VICEMASTER)) < 0)
		return r;
	return cfs_cmm_elect(t);
}

int cfs_cmm_remove(struct cfs_txn *t, struct cfs_object *node, const char **why)
{
	if (!member(node))
		return cfs_fail(why, "the node is not in the cluster", -EHOSTDOWN);
	if (cfs_cmm_role(node) == CFS_CMM_MASTER && !successor(t->m))
		return cfs_fail(why, "no vice-master can take over the mastership", -ECANCELED);
	int r = cfs_txn_set_state(t, node, CFS_NODE_DOWN);
	return r < 0 ? r : cfs_cmm_elect(t);
}

int cfs_cmm_setqualif(struct cfs_txn *t, struct cfs_object *caller, struct cfs_object *target,
		      const char *word, const char **why)
{
	static const struct {
		const char *word;
		const char *file;
		const char *value;
	} q[] = {
		{"qualified", "qualification", "qualified"},
		{"disqualified", "qualification", "disqualified"},
		{"synchro-ready", "synchro", "ready"},
		{"synchro-needed", "synchro", "needed"},
	};
	size_t i = 0;
	while (i < CFS_ARRAY_SIZE(q) && strcasecmp(q[i].word, word) != 0)
		i++;
	if (i == CFS_ARRAY_SIZE(q))
		return cfs_fail(why,
				"qualification takes qualified, disqualified, synchro-ready or "
				"synchro-needed",
				-EINVAL);
	int r = must_be_master(caller, why);
	if (r < 0)
		return r;
	if (member(target) && !getp(target, CFS_P_CMM_ELIGIBLE))
		return cfs_fail(why, "the target node is not master-eligible", -EINVAL);
	return cfs_cmm_set(t, target, q[i].file, q[i].value, why);
}

int cfs_cmm_seize(struct cfs_txn *t, struct cfs_object *node, const char **why)
{
	if (!member(node))
		return cfs_fail(why, "the node is not in the cluster", -EHOSTDOWN);
	if (!getp(node, CFS_P_CMM_ELIGIBLE))
		return cfs_fail(why, "the node is not master-eligible", -EPERM);
	struct cfs_object **v;
	size_t n;
	int r = sorted_nodes(t->m, &v, &n);
	if (r < 0)
		return r;
	bool master = false, someone_qualified = false;
	for (size_t i = 0; i < n; i++) {
		master |= cfs_cmm_role(v[i]) == CFS_CMM_MASTER;
		someone_qualified |= qualified(v[i]);
	}
	free(v);
	if (master)
		return cfs_fail(why, "the cluster has a master", -EPERM);
	if (someone_qualified)
		return cfs_fail(why, "a master-eligible node is qualified", -EPERM);
	if ((r = cfs_cmm_set(t, node, "qualification", "qualified", why)) < 0)
		return r;
	if (cfs_cmm_role(node) != CFS_CMM_MASTER)
		return cfs_fail(why, "the node still cannot be elected master (desynchronized or "
				     "frozen)",
				-ECANCELED);
	return 0;
}

int cfs_cmm_status(struct cfs_txn *t, const char *word, const char **why)
{
	static const char *const words[] = {"valid", "stale", "invalid"};
	size_t i = 0;
	while (i < CFS_ARRAY_SIZE(words) && strcasecmp(words[i], word) != 0)
		i++;
	if (i == CFS_ARRAY_SIZE(words))
		return cfs_fail(why, "CMM status takes valid, stale or invalid", -EINVAL);
	struct cfs_key *root = t->m->reg.root;
	const char *old = cfs_key_get_sz(root, CFS_P_CMM_STATUS, NULL);
	if (!*old)
		old = "valid";
	if (strcmp(old, words[i]) == 0)
		return 0;
	char *oldcopy = strdup(old);
	if (!oldcopy)
		return -ENOMEM;
	int r = cfs_txn_set_value(t, root, CFS_P_CMM_STATUS, CFS_REG_SZ, words[i],
				  strlen(words[i]));
	if (r == 0) {
		struct cfs_record rec = {.kind = CFS_KIND_CLUSTER, .change = CFS_CH_PROPERTY,
					 .obj_id = "", .obj_name = (char *)cfs_model_cluster_name(t->m),
					 .parent_id = "", .prop = CFS_P_CMM_STATUS,
					 .old_value = oldcopy, .new_value = (char *)words[i],
					 .key_id = root->id};
		r = cfs_txn_record_raw(t, &rec);
	}
	free(oldcopy);
	return r;
}
