/* SPDX-License-Identifier: MIT */
#include "restype.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "value.h"

/* The built-in types' parameters (Windows' private properties of these
 * types; Interface is clusterfs's own: the Linux interface to put the
 * address on). A definition is "CONTENT [required] [default=TEXT]". */
struct builtin_param {
	const char *name;
	const char *def;
};
static const struct builtin_param app_params[] = {
	{"CommandLine", "string required"},
	{"CurrentDirectory", "string default=/"},
	{"InteractWithDesktop", "boolean default=0"},
	{"UseNetworkName", "boolean default=0"},
	{NULL, NULL},
};
static const struct builtin_param script_params[] = {
	{"ScriptFilepath", "string required"},
	{NULL, NULL},
};
static const struct builtin_param ip_params[] = {
	{"Address", "string required"},
	{"EnableNetBIOS", "boolean default=0"},
	{"Interface", "string"},
	{"Network", "string"},
	{"SubnetMask", "string default=255.255.255.255"},
	{NULL, NULL},
};

static const struct {
	const char *type;
	enum cfs_agent_kind kind;
	const char *main_param; /* the job runs once this is set */
	const struct builtin_param *params;
} builtins[] = {
	{"Generic Application", CFS_AGENT_APP, "CommandLine", app_params},
	{"Generic Script", CFS_AGENT_SCRIPT, "ScriptFilepath", script_params},
	{"IP Address", CFS_AGENT_IP, "Address", ip_params},
};

static int builtin_of(const char *type_name)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(builtins); i++)
		if (strcmp(builtins[i].type, type_name) == 0)
			return (int)i;
	return -1;
}

enum cfs_agent_kind cfs_type_agent_kind(const char *type_name)
{
	if (strncmp(type_name, "ocf:", 4) == 0)
		return CFS_AGENT_OCF;
	int b = builtin_of(type_name);
	return b < 0 ? CFS_AGENT_NONE : builtins[b].kind;
}

const char *cfs_res_param(const struct cfs_object *r, const char *name)
{
	struct cfs_key *p = cfs_key_subkey(r->key, CFS_P_PARAMETERS);
	struct cfs_value *v = p ? cfs_key_value(p, name) : NULL;
	if (!v || (v->type != CFS_REG_SZ && v->type != CFS_REG_EXPAND_SZ))
		return NULL;
	return (const char *)v->data;
}

enum cfs_agent_kind cfs_res_agent_kind(const struct cfs_model *m, const struct cfs_object *r)
{
	struct cfs_object *type = cfs_obj_ref(m, r, CFS_P_TYPE);
	if (!type)
		return CFS_AGENT_NONE;
	if (strncmp(type->name, "ocf:", 4) == 0)
		return CFS_AGENT_OCF;
	int b = builtin_of(type->name);
	if (b < 0)
		return CFS_AGENT_NONE;
	const char *v = cfs_res_param(r, builtins[b].main_param);
	return v && *v ? builtins[b].kind : CFS_AGENT_NONE;
}

/* --- parameter definitions --- */

void cfs_param_def_free(struct cfs_param_def *def)
{
	if (!def)
		return;
	free(def->name);
	free(def->content);
	free(def->dflt);
	*def = (struct cfs_param_def){0};
}

int cfs_param_def_parse(const char *name, const char *text, struct cfs_param_def *def)
{
	*def = (struct cfs_param_def){0};
	const char *p = text;
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, " ");
	if (n == 0)
		return -EINVAL;
	def->name = strdup(name);
	def->content = cfs_strndup(p, n);
	if (!def->name || !def->content)
		goto oom;
	p += n;
	while (*p) {
		while (*p == ' ')
			p++;
		if (strncmp(p, "default=", 8) == 0) {
			/* The default is the rest of the text. */
			if (!(def->dflt = strdup(p + 8)))
				goto oom;
			break;
		}
		n = strcspn(p, " ");
		if (n == 8 && strncmp(p, "required", 8) == 0)
			def->required = true;
		else if (n == 6 && strncmp(p, "unique", 6) == 0)
			def->unique = true;
		p += n;
	}
	return 0;
oom:
	cfs_param_def_free(def);
	return -ENOMEM;
}

void cfs_param_list_free(struct cfs_param_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		cfs_param_def_free(&l->v[i]);
	if (l) {
		free(l->v);
		*l = (struct cfs_param_list){0};
	}
}

static int def_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cfs_param_def *)a)->name,
		      ((const struct cfs_param_def *)b)->name);
}

static int list_add(struct cfs_param_list *l, size_t cap, const char *name, const char *text)
{
	if (l->n >= cap)
		return 0;
	int r = cfs_param_def_parse(name, text, &l->v[l->n]);
	if (r == 0)
		l->n++;
	return r == -EINVAL ? 0 : r; /* a definition that does not parse is left out */
}

int cfs_type_params(const struct cfs_model *m, const struct cfs_object *type,
		    struct cfs_param_list *ret)
{
	(void)m;
	*ret = (struct cfs_param_list){0};
	if (!type)
		return 0;
	int b = builtin_of(type->name);
	size_t cap = 0;
	struct cfs_key *pk = NULL;
	if (b >= 0) {
		for (const struct builtin_param *p = builtins[b].params; p->name; p++)
			cap++;
	} else if ((pk = cfs_key_subkey(type->key, CFS_P_PARAMETERS))) {
		cap = pk->values.n;
	} else {
		return 0;
	}
	ret->known = true;
	ret->v = calloc(cap ? cap : 1, sizeof(*ret->v));
	if (!ret->v)
		return -ENOMEM;
	int r = 0;
	if (b >= 0) {
		for (const struct builtin_param *p = builtins[b].params; r == 0 && p->name; p++)
			r = list_add(ret, cap, p->name, p->def);
	} else {
		for (size_t i = 0; r == 0 && i < pk->values.n; i++) {
			struct cfs_value *v = pk->values.v[i];
			if (v->type == CFS_REG_SZ)
				r = list_add(ret, cap, v->name, (const char *)v->data);
		}
	}
	if (r < 0) {
		cfs_param_list_free(ret);
		return r;
	}
	qsort(ret->v, ret->n, sizeof(*ret->v), def_cmp);
	return 0;
}

const struct cfs_param_def *cfs_param_find(const struct cfs_param_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static bool is_boolean(const char *s)
{
	static const char *const words[] = {"0", "1", "true", "false", "yes", "no", "on", "off",
					    "y", "n", NULL};
	for (const char *const *w = words; *w; w++)
		if (strcasecmp(s, *w) == 0)
			return true;
	return false;
}

int cfs_param_check(const struct cfs_param_def *def, const char *value, const char **ret_why)
{
	if (!def || !*value)
		return 0;
	if (strcmp(def->content, "integer") == 0) {
		char *end;
		errno = 0;
		(void)strtoll(value, &end, 0);
		if (errno || *end)
			return cfs_fail(ret_why, "this parameter takes an integer", -EINVAL);
	} else if (strcmp(def->content, "boolean") == 0) {
		if (!is_boolean(value))
			return cfs_fail(ret_why, "this parameter takes a boolean (true or false)",
					-EINVAL);
	}
	return 0;
}

/* --- the restart policy --- */

/* Windows' defaults, but a threshold of 3 restarts in 15 minutes, and a
 * 5 s check when the type says nothing (LooksAlivePollInterval). */
const struct cfs_policy_prop cfs_policy_props[] = {
	{"restart_action", CFS_P_RESTART_ACTION, 0, 2, CFS_RESTART_FAILOVER},
	{"restart_threshold", CFS_P_RESTART_THRESHOLD, 0, 1000000, 3},
	{"restart_period", CFS_P_RESTART_PERIOD, 1, UINT32_MAX, 900000},
	{"pending_timeout", CFS_P_PENDING_TIMEOUT, 100, 86400000, 180000},
	{"monitor_interval", CFS_P_MONITOR_INTERVAL, 0, 86400000, 5000},
	{NULL, NULL, 0, 0, 0},
};

static const char *const action_words[] = {"norestart", "restart", "failover"};

const struct cfs_policy_prop *cfs_policy_find(const char *name)
{
	for (const struct cfs_policy_prop *p = cfs_policy_props; p->file; p++)
		if (strcasecmp(p->file, name) == 0 || strcasecmp(p->value, name) == 0)
			return p;
	return NULL;
}

static int range_fail(const struct cfs_policy_prop *p, const char **why)
{
	if (strcmp(p->file, "pending_timeout") == 0)
		return cfs_fail(why, "pending_timeout takes 100 ms to 24 h", -EINVAL);
	if (strcmp(p->file, "monitor_interval") == 0)
		return cfs_fail(why, "monitor_interval takes 0 (no monitoring) to 24 h", -EINVAL);
	if (strcmp(p->file, "restart_period") == 0)
		return cfs_fail(why, "restart_period takes a positive time", -EINVAL);
	return cfs_fail(why, "restart_threshold takes 0 to 1000000", -EINVAL);
}

int cfs_policy_parse(const struct cfs_policy_prop *p, const char *text, uint32_t *ret,
		     const char **ret_why)
{
	char w[64];
	size_t n = 0;
	while (*text == ' ' || *text == '\t')
		text++;
	while (text[n] && text[n] != '\n' && text[n] != ' ' && text[n] != '\t' && text[n] != '\r')
		n++;
	for (const char *q = text + n; *q; q++)
		if (*q != '\n' && *q != ' ' && *q != '\t' && *q != '\r')
			n = sizeof(w); /* more than one word */
	if (n == 0 || n >= sizeof(w))
		goto bad;
	memcpy(w, text, n);
	w[n] = '\0';
	if (strcmp(p->file, "restart_action") == 0) {
		for (uint32_t i = 0; i < CFS_ARRAY_SIZE(action_words); i++)
			if (strcasecmp(w, action_words[i]) == 0 || (w[0] == '0' + (char)i && !w[1])) {
				*ret = i;
				return 0;
			}
		goto bad;
	}
	char *end;
	errno = 0;
	if (w[0] < '0' || w[0] > '9')
		goto bad;
	unsigned long long v = strtoull(w, &end, 10);
	unsigned long long mult = 1;
	if (strcmp(p->file, "restart_threshold") != 0) {
		if (!*end || strcmp(end, "ms") == 0)
			mult = 1;
		else if (strcmp(end, "s") == 0)
			mult = 1000;
		else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
			mult = 60000;
		else if (strcmp(end, "h") == 0)
			mult = 3600000;
		else
			goto bad;
	} else if (*end) {
		goto bad;
	}
	if (errno || v > UINT32_MAX / mult || v * mult < p->min || v * mult > p->max)
		return range_fail(p, ret_why);
	*ret = (uint32_t)(v * mult);
	return 0;
bad:
	if (strcmp(p->file, "restart_action") == 0)
		return cfs_fail(ret_why, "restart_action takes norestart, restart or failover",
				-EINVAL);
	if (strcmp(p->file, "restart_threshold") == 0)
		return cfs_fail(ret_why, "restart_threshold takes a number", -EINVAL);
	return cfs_fail(ret_why, "a time takes milliseconds, or a number with ms, s, m or h",
			-EINVAL);
}

int cfs_policy_format(const struct cfs_policy_prop *p, uint32_t v, struct cfs_buf *out)
{
	if (strcmp(p->file, "restart_action") == 0 && v < CFS_ARRAY_SIZE(action_words))
		return cfs_buf_printf(out, "%s\n", action_words[v]);
	return cfs_buf_printf(out, "%" PRIu32 "\n", v);
}

static bool dword_of(const struct cfs_key *k, const char *name, uint32_t *ret)
{
	struct cfs_value *v = cfs_key_value(k, name);
	if (!v || v->type != CFS_REG_DWORD || v->len != 4)
		return false;
	*ret = cfs_key_get_dword(k, name, 0);
	return true;
}

bool cfs_res_policy_own(const struct cfs_object *r, const struct cfs_policy_prop *p)
{
	uint32_t v;
	return dword_of(r->key, p->value, &v);
}

uint32_t cfs_res_policy(const struct cfs_model *m, const struct cfs_object *r,
			const struct cfs_policy_prop *p)
{
	uint32_t v;
	if (dword_of(r->key, p->value, &v) && v >= p->min && v <= p->max)
		return v;
	struct cfs_object *type = cfs_obj_ref(m, r, CFS_P_TYPE);
	if (type && dword_of(type->key, p->value, &v) && v >= p->min && v <= p->max)
		return v;
	return p->dflt;
}
