/* SPDX-License-Identifier: MIT */
/* The files of each object directory: what they show and what writing
 * them does. Each file is one line (lists: one name per line). A write is
 * turned into commands; the file never stores what was written. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "cmm.h"
#include "fs_inode.h"
#include "restype.h"
#include "value.h"

static int r_id(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out)
{
	(void)m;
	return cfs_buf_printf(out, "%s\n", cfs_obj_id(o));
}

static int r_state(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out)
{
	(void)m;
	return cfs_buf_printf(out, "%s\n", cfs_state_name(o->kind, cfs_obj_state(o)));
}

static int r_sz(const struct cfs_object *o, const char *prop, struct cfs_buf *out)
{
	size_t len;
	const char *s = cfs_key_get_sz(o->key, prop, &len);
	int r = cfs_buf_append(out, s, len);
	return r < 0 ? r : cfs_buf_append(out, "\n", 1);
}

static int r_ref(const struct cfs_model *m, const struct cfs_object *o, const char *prop,
		 struct cfs_buf *out)
{
	struct cfs_object *x = cfs_obj_ref(m, o, prop);
	return cfs_buf_printf(out, "%s\n", x ? x->name : "");
}

static int r_list(const struct cfs_model *m, const struct cfs_object *o, const char *prop,
		  struct cfs_buf *out)
{
	struct cfs_value *v = cfs_key_value(o->key, prop);
	const char *p = v ? (const char *)v->data : "", *end = p + (v ? v->len : 0);
	int r = 0;
	for (; r == 0 && p < end; p += strlen(p) + 1) {
		struct cfs_object *x = cfs_model_by_id(m, p);
		r = cfs_buf_printf(out, "%s\n", x ? x->name : p);
	}
	return r;
}

#define SZ_RENDER(fn, prop)                                                                       \
	static int fn(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out) \
	{                                                                                         \
		(void)m;                                                                          \
		return r_sz(o, prop, out);                                                        \
	}
SZ_RENDER(r_description, CFS_P_DESCRIPTION)
SZ_RENDER(r_address, CFS_P_ADDRESS)
SZ_RENDER(r_adapter, CFS_P_ADAPTER)
SZ_RENDER(r_dll, CFS_P_DLL_NAME)

static int r_mask(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out)
{
	(void)m;
	return r_sz(o, CFS_P_ADDRESS_MASK, out);
}

#define REF_RENDER(fn, prop)                                                                      \
	static int fn(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out) \
	{                                                                                         \
		return r_ref(m, o, prop, out);                                                    \
	}
REF_RENDER(r_owner_node, CFS_P_OWNER_NODE)
REF_RENDER(r_group, CFS_P_GROUP)
REF_RENDER(r_type, CFS_P_TYPE)
REF_RENDER(r_node, CFS_P_NODE)
REF_RENDER(r_network, CFS_P_NETWORK)

static int r_res_owner(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out)
{
	struct cfs_object *n = cfs_obj_owner(m, o);
	return cfs_buf_printf(out, "%s\n", n ? n->name : "");
}

#define LIST_RENDER(fn, prop)                                                                     \
	static int fn(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out) \
	{                                                                                         \
		return r_list(m, o, prop, out);                                                   \
	}
LIST_RENDER(r_preferred, CFS_P_PREFERRED_OWNERS)
LIST_RENDER(r_possible, CFS_P_POSSIBLE_OWNERS)
LIST_RENDER(r_deps, CFS_P_DEPENDENCIES)

static int r_number(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out)
{
	(void)m;
	return cfs_buf_printf(out, "%u\n", cfs_key_get_dword(o->key, CFS_P_NODE_NUMBER, 0));
}

static int r_group_type(const struct cfs_model *m, const struct cfs_object *o,
			struct cfs_buf *out)
{
	(void)m;
	return cfs_buf_printf(out, "%u\n", cfs_key_get_dword(o->key, CFS_P_GROUP_TYPE, 9999));
}

static int r_role(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out)
{
	(void)m;
	return cfs_buf_printf(out, "%s\n", cfs_role_name(cfs_key_get_dword(o->key, CFS_P_ROLE, 0)));
}

/* The CMM files of a node (cmm.h). */
#define CMM_RENDER(fn, file)                                                                      \
	static int fn(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out) \
	{                                                                                         \
		(void)m;                                                                          \
		return cfs_cmm_render(o, file, out);                                              \
	}
CMM_RENDER(r_cmm_role, "role")
CMM_RENDER(r_cmm_eligible, "eligible")
CMM_RENDER(r_cmm_qualification, "qualification")
CMM_RENDER(r_cmm_synchro, "synchro")
CMM_RENDER(r_cmm_frozen, "frozen")
CMM_RENDER(r_cmm_excluded, "excluded")
CMM_RENDER(r_cmm_incarnation, "incarnation")
CMM_RENDER(r_cmm_swload, "swload")
CMM_RENDER(r_cmm_domain, "domain")

/* --- writes --- */

/* The written text as one trimmed word (first line, no surrounding blanks). */
static int one_word(const char *text, char *out, size_t n)
{
	while (*text == ' ' || *text == '\t')
		text++;
	size_t len = strcspn(text, "\n");
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= n)
		return -EINVAL;
	/* Anything after the first line must be blank. */
	for (const char *p = text + strcspn(text, "\n"); *p; p++)
		if (*p != '\n' && *p != ' ' && *p != '\t' && *p != '\r')
			return -EINVAL;
	memcpy(out, text, len);
	out[len] = '\0';
	return 0;
}

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

static int w_node_state(const struct cfs_model *m, const struct cfs_object *o, const char *text,
			struct cfs_vec *cmds, const char **why)
{
	(void)m;
	char w[64];
	if (one_word(text, w, sizeof(w)) < 0) {
		*why = "expected one state word";
		return -EINVAL;
	}
	const char *a[] = {cfs_obj_id(o), w};
	return push(cmds, CFS_OP_NODE_STATE, 2, a);
}

static int w_group_state(const struct cfs_model *m, const struct cfs_object *o,
			 const char *text, struct cfs_vec *cmds, const char **why)
{
	(void)m;
	char w[64];
	const char *a[] = {cfs_obj_id(o)};
	if (one_word(text, w, sizeof(w)) == 0) {
		if (strcasecmp(w, "online") == 0)
			return push(cmds, CFS_OP_GROUP_ONLINE, 1, a);
		if (strcasecmp(w, "offline") == 0)
			return push(cmds, CFS_OP_GROUP_OFFLINE, 1, a);
	}
	*why = "a group's state takes online or offline";
	return -EINVAL;
}

static int w_res_state(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		       struct cfs_vec *cmds, const char **why)
{
	(void)m;
	char w[64];
	const char *a[] = {cfs_obj_id(o)};
	if (one_word(text, w, sizeof(w)) == 0) {
		if (strcasecmp(w, "online") == 0)
			return push(cmds, CFS_OP_RES_ONLINE, 1, a);
		if (strcasecmp(w, "offline") == 0)
			return push(cmds, CFS_OP_RES_OFFLINE, 1, a);
		if (strcasecmp(w, "failed") == 0 || strcasecmp(w, "fail") == 0)
			return push(cmds, CFS_OP_RES_FAIL, 1, a);
	}
	*why = "a resource's state takes online, offline or failed";
	return -EINVAL;
}

static int w_owner(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		   struct cfs_vec *cmds, const char **why)
{
	(void)m;
	char w[CFS_NAME_MAX + 1];
	if (one_word(text, w, sizeof(w)) < 0) {
		*why = "expected one node name";
		return -EINVAL;
	}
	const char *a[] = {cfs_obj_id(o), w};
	return push(cmds, CFS_OP_GROUP_MOVE, 2, a);
}

static int w_group(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		   struct cfs_vec *cmds, const char **why)
{
	(void)m;
	char w[CFS_NAME_MAX + 1];
	if (one_word(text, w, sizeof(w)) < 0) {
		*why = "expected one group name";
		return -EINVAL;
	}
	const char *a[] = {cfs_obj_id(o), w};
	return push(cmds, CFS_OP_RES_GROUP, 2, a);
}

static int w_description(const struct cfs_model *m, const struct cfs_object *o,
			 const char *text, struct cfs_vec *cmds, const char **why)
{
	(void)m;
	(void)why;
	const char *a[] = {cfs_kind_name(o->kind), cfs_obj_id(o), CFS_P_DESCRIPTION, text};
	return push(cmds, CFS_OP_SET, 4, a);
}

/* A CMM file takes one word (swload: one line) and becomes node-cmm. */
static int w_cmm(const struct cfs_object *o, const char *attr, const char *text,
		 struct cfs_vec *cmds, const char **why)
{
	char w[CFS_NAME_MAX + 1];
	if (one_word(text, w, sizeof(w)) < 0) {
		*why = "expected one line";
		return -EINVAL;
	}
	const char *a[] = {cfs_obj_id(o), attr, w};
	return push(cmds, CFS_OP_NODE_CMM, 3, a);
}

#define CMM_WRITE(fn, attr)                                                                \
	static int fn(const struct cfs_model *m, const struct cfs_object *o, const char *text, \
		      struct cfs_vec *cmds, const char **why)                                \
	{                                                                                  \
		(void)m;                                                                   \
		return w_cmm(o, attr, text, cmds, why);                                    \
	}
CMM_WRITE(w_cmm_eligible, "eligible")
CMM_WRITE(w_cmm_qualification, "qualification")
CMM_WRITE(w_cmm_synchro, "synchro")
CMM_WRITE(w_cmm_frozen, "frozen")
CMM_WRITE(w_cmm_excluded, "excluded")
CMM_WRITE(w_cmm_swload, "swload")
CMM_WRITE(w_cmm_domain, "domain")

static int w_role(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		  struct cfs_vec *cmds, const char **why)
{
	(void)m;
	char w[64];
	if (one_word(text, w, sizeof(w)) < 0) {
		*why = "expected one role word";
		return -EINVAL;
	}
	const char *a[] = {cfs_obj_id(o), w};
	return push(cmds, CFS_OP_NET_ROLE, 2, a);
}

/* List files take either a whole new list (one name per line) or edits:
 * lines "+name" and "-name". The two forms cannot be mixed. */
struct list_edit {
	struct cfs_vec names; /* char * */
	bool edits;
};

static void list_edit_free(struct list_edit *le)
{
	for (size_t i = 0; i < le->names.n; i++)
		free(le->names.v[i]);
	cfs_vec_free(&le->names);
}

static int parse_list(const char *text, struct list_edit *le, const char **why)
{
	bool plain = false;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		const char *s = p;
		p += len + (p[len] ? 1 : 0);
		while (len && (*s == ' ' || *s == '\t'))
			s++, len--;
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
			len--;
		if (!len)
			continue;
		bool edit = *s == '+' || *s == '-';
		if ((edit && plain) || (!edit && le->edits)) {
			*why = "use either a whole list or +name/-name lines";
			return -EINVAL;
		}
		le->edits |= edit;
		plain |= !edit;
		if (le->names.n >= CFS_LIST_MAX) {
			*why = "list too long";
			return -E2BIG;
		}
		char *n = cfs_strndup(s, len);
		if (!n || cfs_vec_push(&le->names, n) < 0) {
			free(n);
			return -ENOMEM;
		}
	}
	return 0;
}

static int list_cmd(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		    const char *prop, enum cfs_op op, struct cfs_vec *cmds, const char **why)
{
	struct list_edit le = {0};
	struct cfs_vec args = {0};
	int r = parse_list(text, &le, why);
	if (r < 0)
		goto out;
	if ((r = cfs_vec_push(&args, (void *)cfs_obj_id(o))) < 0)
		goto out;
	if (le.edits) {
		/* Start from the current list (as ids) and apply the edits. */
		struct cfs_value *v = cfs_key_value(o->key, prop);
		const char *p = v ? (const char *)v->data : "", *end = p + (v ? v->len : 0);
		for (; r == 0 && p < end; p += strlen(p) + 1)
			r = cfs_vec_push(&args, (void *)p);
		for (size_t i = 0; r == 0 && i < le.names.n; i++) {
			const char *e = le.names.v[i];
			struct cfs_object *n = cfs_model_find(m, CFS_KIND_NODE, e + 1);
			if (!n) {
				*why = "no such node";
				r = -ENOENT;
				break;
			}
			for (size_t k = 1; k < args.n; k++)
				if (strcmp(args.v[k], cfs_obj_id(n)) == 0)
					cfs_vec_remove_at(&args, k--);
			if (*e == '+')
				r = cfs_vec_push(&args, (void *)cfs_obj_id(n));
		}
	} else {
		for (size_t i = 0; r == 0 && i < le.names.n; i++)
			r = cfs_vec_push(&args, le.names.v[i]);
	}
	if (r == 0)
		r = push(cmds, op, (int)args.n, (const char *const *)args.v);
out:
	cfs_vec_free(&args);
	list_edit_free(&le);
	return r;
}

static int w_preferred(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		       struct cfs_vec *cmds, const char **why)
{
	return list_cmd(m, o, text, CFS_P_PREFERRED_OWNERS, CFS_OP_GROUP_PREFERRED, cmds, why);
}

static int w_possible(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		      struct cfs_vec *cmds, const char **why)
{
	return list_cmd(m, o, text, CFS_P_POSSIBLE_OWNERS, CFS_OP_RES_OWNERS, cmds, why);
}

/* Dependencies: a whole list becomes undepend/depend commands for the
 * difference; +name/-name lines map one to one. */
static int w_deps(const struct cfs_model *m, const struct cfs_object *o, const char *text,
		  struct cfs_vec *cmds, const char **why)
{
	struct list_edit le = {0};
	int r = parse_list(text, &le, why);
	const char *id = cfs_obj_id(o);
	if (r == 0 && le.edits) {
		for (size_t i = 0; r == 0 && i < le.names.n; i++) {
			const char *e = le.names.v[i];
			const char *a[] = {id, e + 1};
			r = push(cmds, *e == '+' ? CFS_OP_RES_DEPEND : CFS_OP_RES_UNDEPEND, 2, a);
		}
	} else if (r == 0) {
		struct cfs_value *v = cfs_key_value(o->key, CFS_P_DEPENDENCIES);
		const char *p = v ? (const char *)v->data : "", *end = p + (v ? v->len : 0);
		for (; r == 0 && p < end; p += strlen(p) + 1) {
			struct cfs_object *d = cfs_model_by_id(m, p);
			bool keep = false;
			for (size_t i = 0; d && i < le.names.n; i++)
				keep |= cfs_model_find(m, CFS_KIND_RESOURCE, le.names.v[i]) == d;
			const char *a[] = {id, p};
			if (!keep)
				r = push(cmds, CFS_OP_RES_UNDEPEND, 2, a);
		}
		for (size_t i = 0; r == 0 && i < le.names.n; i++) {
			const char *a[] = {id, le.names.v[i]};
			r = push(cmds, CFS_OP_RES_DEPEND, 2, a);
		}
	}
	list_edit_free(&le);
	return r;
}

/* The restart policy's files (restype.h): the value in force (the
 * resource's own, else its type's, else the default); writing sets the
 * resource's own ("default" removes it). */
static int r_policy(const struct cfs_model *m, const struct cfs_object *o, const char *name,
		    struct cfs_buf *out)
{
	const struct cfs_policy_prop *p = cfs_policy_find(name);
	return cfs_policy_format(p, cfs_res_policy(m, o, p), out);
}

static int w_policy(const struct cfs_object *o, const char *name, const char *text,
		    struct cfs_vec *cmds, const char **why)
{
	char w[64];
	if (one_word(text, w, sizeof(w)) < 0) {
		*why = "expected one word or number";
		return -EINVAL;
	}
	uint32_t v;
	const struct cfs_policy_prop *p = cfs_policy_find(name);
	if (strcasecmp(w, "default") != 0 && cfs_policy_parse(p, w, &v, why) < 0)
		return -EINVAL;
	const char *a[] = {cfs_obj_id(o), p->file, w};
	return push(cmds, CFS_OP_RES_POLICY, 3, a);
}

#define POLICY_FILE(rfn, wfn, file)                                                              \
	static int rfn(const struct cfs_model *m, const struct cfs_object *o, struct cfs_buf *out) \
	{                                                                                        \
		return r_policy(m, o, file, out);                                                \
	}                                                                                        \
	static int wfn(const struct cfs_model *m, const struct cfs_object *o, const char *text,    \
		       struct cfs_vec *cmds, const char **why)                                   \
	{                                                                                        \
		(void)m;                                                                         \
		return w_policy(o, file, text, cmds, why);                                       \
	}
POLICY_FILE(r_restart_action, w_restart_action, "restart_action")
POLICY_FILE(r_restart_threshold, w_restart_threshold, "restart_threshold")
POLICY_FILE(r_restart_period, w_restart_period, "restart_period")
POLICY_FILE(r_pending_timeout, w_pending_timeout, "pending_timeout")
POLICY_FILE(r_monitor_interval, w_monitor_interval, "monitor_interval")

static const struct cfs_attr_spec node_specs[] = {
	{"id", false, r_id, NULL},
	{"number", false, r_number, NULL},
	{"state", true, r_state, w_node_state},
	{"address", false, r_address, NULL},
	{"description", true, r_description, w_description, true},
	{"role", false, r_cmm_role, NULL, false, CFS_P_CMM_ROLE},
	{"eligible", true, r_cmm_eligible, w_cmm_eligible, false, CFS_P_CMM_ELIGIBLE},
	{"qualification", true, r_cmm_qualification, w_cmm_qualification, false,
	 CFS_P_CMM_DISQUALIFIED},
	{"synchro", true, r_cmm_synchro, w_cmm_synchro, false, CFS_P_CMM_SYNCHRO_NEEDED},
	{"frozen", true, r_cmm_frozen, w_cmm_frozen, false, CFS_P_CMM_FROZEN},
	{"excluded", true, r_cmm_excluded, w_cmm_excluded, false, CFS_P_CMM_EXCLUDED},
	{"incarnation", false, r_cmm_incarnation, NULL, false, CFS_P_CMM_INCARNATION},
	{"swload", true, r_cmm_swload, w_cmm_swload, false, CFS_P_CMM_SWLOAD},
	{"domain", true, r_cmm_domain, w_cmm_domain, false, CFS_P_CMM_DOMAIN},
	{NULL, false, NULL, NULL},
};
static const struct cfs_attr_spec group_specs[] = {
	{"id", false, r_id, NULL},
	{"state", true, r_state, w_group_state},
	{"owner", true, r_owner_node, w_owner},
	{"preferred_owners", true, r_preferred, w_preferred, true},
	{"type", false, r_group_type, NULL},
	{"description", true, r_description, w_description, true},
	{NULL, false, NULL, NULL},
};
static const struct cfs_attr_spec res_specs[] = {
	{"id", false, r_id, NULL},
	{"type", false, r_type, NULL},
	{"group", true, r_group, w_group},
	{"state", true, r_state, w_res_state},
	{"owner", false, r_res_owner, NULL},
	{"possible_owners", true, r_possible, w_possible, true},
	{"dependencies", true, r_deps, w_deps, true},
	{"description", true, r_description, w_description, true},
	{"restart_action", true, r_restart_action, w_restart_action, false, CFS_P_RESTART_ACTION},
	{"restart_threshold", true, r_restart_threshold, w_restart_threshold, false,
	 CFS_P_RESTART_THRESHOLD},
	{"restart_period", true, r_restart_period, w_restart_period, false, CFS_P_RESTART_PERIOD},
	{"pending_timeout", true, r_pending_timeout, w_pending_timeout, false,
	 CFS_P_PENDING_TIMEOUT},
	{"monitor_interval", true, r_monitor_interval, w_monitor_interval, false,
	 CFS_P_MONITOR_INTERVAL},
	{NULL, false, NULL, NULL},
};
static const struct cfs_attr_spec type_specs[] = {
	{"id", false, r_id, NULL},
	{"dll", false, r_dll, NULL},
	{"description", true, r_description, w_description, true},
	{NULL, false, NULL, NULL},
};
static const struct cfs_attr_spec net_specs[] = {
	{"id", false, r_id, NULL},
	{"state", false, r_state, NULL},
	{"role", true, r_role, w_role},
	{"address", false, r_address, NULL},
	{"prefix", false, r_mask, NULL},
	{"description", true, r_description, w_description, true},
	{NULL, false, NULL, NULL},
};
static const struct cfs_attr_spec netif_specs[] = {
	{"id", false, r_id, NULL},
	{"node", false, r_node, NULL},
	{"network", false, r_network, NULL},
	{"adapter", false, r_adapter, NULL},
	{"address", false, r_address, NULL},
	{"state", false, r_state, NULL},
	{"description", true, r_description, w_description, true},
	{NULL, false, NULL, NULL},
};

const struct cfs_attr_spec *cfs_attr_specs(enum cfs_kind kind)
{
	switch (kind) {
	case CFS_KIND_NODE:
		return node_specs;
	case CFS_KIND_GROUP:
		return group_specs;
	case CFS_KIND_RESOURCE:
		return res_specs;
	case CFS_KIND_RESTYPE:
		return type_specs;
	case CFS_KIND_NETWORK:
		return net_specs;
	case CFS_KIND_NETINTERFACE:
		return netif_specs;
	default:
		return NULL;
	}
}

const struct cfs_attr_spec *cfs_attr_spec(enum cfs_kind kind, unsigned slot)
{
	const struct cfs_attr_spec *s = cfs_attr_specs(kind);
	for (unsigned i = 0; s && s[i].name; i++)
		if (i == slot)
			return &s[i];
	return NULL;
}
