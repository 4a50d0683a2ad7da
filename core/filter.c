/* SPDX-License-Identifier: MIT */
#include "filter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Record (kind, change) -> V1 flag, V2 type and V2 flag. */
struct flag_row {
	enum cfs_kind kind;
	enum cfs_change change;
	uint32_t v1;
	uint32_t v2type;
	uint64_t v2flag;
};

enum {
	T_CLUSTER = 1,
	T_GROUP = 2,
	T_RESOURCE = 3,
	T_RESTYPE = 4,
	T_NETIF = 5,
	T_NETWORK = 6,
	T_NODE = 7,
	T_REGISTRY = 8,
};

static const struct flag_row rows[] = {
	{CFS_KIND_NODE, CFS_CH_ADDED, 0x4, T_CLUSTER, 0x20},
	{CFS_KIND_NODE, CFS_CH_DELETED, 0x2, T_NODE, 0x2},
	{CFS_KIND_NODE, CFS_CH_STATE, 0x1, T_NODE, 0x10},
	{CFS_KIND_GROUP, CFS_CH_ADDED, 0x4000, T_CLUSTER, 0x4},
	{CFS_KIND_GROUP, CFS_CH_DELETED, 0x2000, T_GROUP, 0x1},
	{CFS_KIND_GROUP, CFS_CH_STATE, 0x1000, T_GROUP, 0x8},
	{CFS_KIND_GROUP, CFS_CH_OWNER, 0x8000, T_GROUP, 0x10},
	{CFS_KIND_GROUP, CFS_CH_PREFERRED_OWNERS, 0x8000, T_GROUP, 0x20},
	{CFS_KIND_GROUP, CFS_CH_MEMBER_ADDED, 0x8000, T_GROUP, 0x80},
	{CFS_KIND_GROUP, CFS_CH_MEMBER_REMOVED, 0x8000, T_GROUP, 0x100},
	{CFS_KIND_RESOURCE, CFS_CH_ADDED, 0x400, T_GROUP, 0x40},
	{CFS_KIND_RESOURCE, CFS_CH_DELETED, 0x200, T_RESOURCE, 0x80},
	{CFS_KIND_RESOURCE, CFS_CH_STATE, 0x100, T_RESOURCE, 0x4},
	{CFS_KIND_RESOURCE, CFS_CH_GROUP, 0x800, T_RESOURCE, 0x8},
	{CFS_KIND_RESOURCE, CFS_CH_DEPENDENCIES, 0x800, T_RESOURCE, 0x10},
	{CFS_KIND_RESOURCE, CFS_CH_POSSIBLE_OWNERS, 0x800, T_RESOURCE, 0x40},
	{CFS_KIND_RESTYPE, CFS_CH_ADDED, 0x20000, T_CLUSTER, 0x40},
	{CFS_KIND_RESTYPE, CFS_CH_DELETED, 0x10000, T_RESTYPE, 0x1},
	{CFS_KIND_NETWORK, CFS_CH_ADDED, 0x400000, T_CLUSTER, 0x10},
	{CFS_KIND_NETWORK, CFS_CH_DELETED, 0x200000, T_NETWORK, 0x1},
	{CFS_KIND_NETWORK, CFS_CH_STATE, 0x100000, T_NETWORK, 0x8},
	{CFS_KIND_NETINTERFACE, CFS_CH_ADDED, 0x4000000, T_NODE, 0x1},
	{CFS_KIND_NETINTERFACE, CFS_CH_DELETED, 0x2000000, T_NETIF, 0x1},
	{CFS_KIND_NETINTERFACE, CFS_CH_STATE, 0x1000000, T_NETIF, 0x8},
	{CFS_KIND_CLUSTER, CFS_CH_RENAMED, 0x40000000, T_CLUSTER, 0x400},
	{CFS_KIND_REGISTRY, CFS_CH_KEY_ADDED, 0x10, T_REGISTRY, 0x2},
	{CFS_KIND_REGISTRY, CFS_CH_KEY_DELETED, 0x10, T_REGISTRY, 0x2},
	{CFS_KIND_REGISTRY, CFS_CH_KEY_RENAMED, 0x10, T_REGISTRY, 0x2},
	{CFS_KIND_REGISTRY, CFS_CH_VALUE_SET, 0x40, T_REGISTRY, 0x8},
	{CFS_KIND_REGISTRY, CFS_CH_VALUE_DELETED, 0x40, T_REGISTRY, 0x8},
	{CFS_KIND_REGISTRY, CFS_CH_VALUE_RENAMED, 0x40, T_REGISTRY, 0x8},
	{CFS_KIND_REGISTRY, CFS_CH_SECURITY, 0x20, T_REGISTRY, 0x1},
	/* V2 only: V1 reports these on the group and on the dependent. */
	{CFS_KIND_NODE, CFS_CH_GROUP_GAINED, 0, T_NODE, 0x20},
	{CFS_KIND_NODE, CFS_CH_GROUP_LOST, 0, T_NODE, 0x40},
	{CFS_KIND_RESOURCE, CFS_CH_DEPENDENTS, 0, T_RESOURCE, 0x20},
};

/* Any other change of an object kind is a property change. */
static const struct flag_row property_rows[] = {
	{CFS_KIND_NODE, 0, 0x8, T_NODE, 0x4},
	{CFS_KIND_GROUP, 0, 0x8000, T_GROUP, 0x2},
	{CFS_KIND_RESOURCE, 0, 0x800, T_RESOURCE, 0x1},
	{CFS_KIND_RESTYPE, 0, 0x40000, T_RESTYPE, 0x2},
	{CFS_KIND_NETWORK, 0, 0x800000, T_NETWORK, 0x2},
	{CFS_KIND_NETINTERFACE, 0, 0x8000000, T_NETIF, 0x2},
	{CFS_KIND_CLUSTER, 0, 0x40000000, T_CLUSTER, 0x80},
};

struct cfs_rec_flags cfs_record_flags(const struct cfs_record *r)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(rows); i++)
		if (rows[i].kind == r->kind && rows[i].change == r->change)
			return (struct cfs_rec_flags){rows[i].v1, rows[i].v2type, rows[i].v2flag};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(property_rows); i++)
		if (property_rows[i].kind == r->kind)
			return (struct cfs_rec_flags){property_rows[i].v1, property_rows[i].v2type,
						      property_rows[i].v2flag};
	return (struct cfs_rec_flags){0, 0, 0};
}

static const char *const v2types[] = {
	"none", "cluster", "group", "resource", "resourcetype", "netinterface",
	"network", "node", "registry", "quorum", "sharedvolume",
};

int cfs_v2type_parse(const char *s)
{
	for (size_t i = 0; i < CFS_ARRAY_SIZE(v2types); i++)
		if (strcasecmp(s, v2types[i]) == 0)
			return (int)i;
	char *end;
	unsigned long v = strtoul(s, &end, 0);
	if (*s && !*end && v <= 0x11)
		return (int)v;
	return -EINVAL;
}

/* What an object id (a GUID in text form) is made of. */
#define ID_CHARS "0123456789abcdefABCDEF-"

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end || errno)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Parses a comma list of words with parse(); sets bits. */
static int parse_set(const char *s, int (*parse)(const char *), uint64_t *ret)
{
	char buf[512];
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	uint64_t bits = 0;
	for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "*") == 0)
			return *ret = 0, 0;
		int v = parse(w);
		if (v < 0 || v >= 64)
			return -EINVAL;
		bits |= 1ull << v;
	}
	*ret = bits;
	return 0;
}

static void reg_free(struct cfs_reg *g)
{
	free(g->registry);
	g->registry = NULL;
}

void cfs_filter_free(struct cfs_filter *f)
{
	for (size_t i = 0; i < f->n; i++)
		reg_free(&f->regs[i]);
	free(f->regs);
	*f = (struct cfs_filter){0};
}

int cfs_filter_copy(struct cfs_filter *dst, const struct cfs_filter *src)
{
	*dst = (struct cfs_filter){0};
	if (!src->n)
		return 0;
	dst->regs = calloc(src->n, sizeof(*dst->regs));
	if (!dst->regs)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		dst->regs[i] = src->regs[i];
		dst->regs[i].registry = NULL;
		if (src->regs[i].registry && !(dst->regs[i].registry = strdup(src->regs[i].registry))) {
			dst->n = i;
			cfs_filter_free(dst);
			return -ENOMEM;
		}
	}
	dst->n = src->n;
	return 0;
}

/* Splits a line into words: blanks separate, a word may be double-quoted
 * (then \" and \\ escape). Writes NUL-terminated words into buf. */
static int split_words(const char *line, char *buf, size_t bufsz, char **words, int max)
{
	int n = 0;
	size_t o = 0;
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '\n')
			return n;
		if (n == max)
			return -E2BIG;
		words[n++] = buf + o;
		bool q = false;
		while (*p && *p != '\n' && (q || (*p != ' ' && *p != '\t'))) {
			if (*p == '"') {
				q = !q;
				p++;
				continue;
			}
			if (q && *p == '\\' && p[1])
				p++;
			if (o + 2 >= bufsz)
				return -E2BIG;
			buf[o++] = *p++;
		}
		if (q)
			return -EINVAL;
		buf[o++] = '\0';
	}
}

static int parse_kind(const char *s)
{
	return cfs_kind_parse(s);
}

static int parse_change(const char *s)
{
	return cfs_change_parse(s);
}

int cfs_filter_apply_line(struct cfs_filter *f, const char *line, const char **why)
{
	char buf[4096];
	char *w[16];
	int n = split_words(line, buf, sizeof(buf), w, 16);
	if (n < 0) {
		*why = "cannot split the line into words";
		return n;
	}
	if (n == 0)
		return 0;
	if (n == 1 && strcmp(w[0], "reset") == 0) {
		cfs_filter_free(f);
		return 0;
	}
	if (strcmp(w[0], "remove") == 0) {
		uint64_t key;
		if (n != 2 || strncmp(w[1], "key=", 4) != 0 || parse_u64(w[1] + 4, &key) < 0) {
			*why = "remove takes key=N";
			return -EINVAL;
		}
		size_t k = 0;
		for (size_t i = 0; i < f->n; i++) {
			if (f->regs[i].key == key)
				reg_free(&f->regs[i]);
			else
				f->regs[k++] = f->regs[i];
		}
		f->n = k;
		return 0;
	}
	struct cfs_reg g = {0};
	int r = 0;
	bool said = false; /* a kind= or change= word, even "*" (= any) */
	for (int i = 0; i < n && r == 0; i++) {
		char *eq = strchr(w[i], '=');
		const char *v = eq ? eq + 1 : "";
		size_t klen = eq ? (size_t)(eq - w[i]) : strlen(w[i]);
#define IS(word) (klen == strlen(word) && strncmp(w[i], word, klen) == 0)
		uint64_t bits;
		if (!eq && IS("all")) {
			g.all = true;
		} else if (!eq && IS("subtree")) {
			g.subtree = true;
		} else if (eq && IS("kind")) {
			said = true;
			r = parse_set(v, parse_kind, &bits);
			g.kinds = (uint32_t)bits;
			if (r < 0)
				*why = "unknown kind";
		} else if (eq && IS("change")) {
			said = true;
			r = parse_set(v, parse_change, &g.changes);
			if (r < 0)
				*why = "unknown change";
		} else if (eq && IS("v1")) {
			r = parse_u64(v, &bits);
			g.v1 = (uint32_t)bits;
			if (r < 0 || bits > UINT32_MAX || !bits) {
				r = -EINVAL;
				*why = "v1 takes a non-zero CLUSTER_CHANGE_* mask";
			}
		} else if (eq && IS("v2")) {
			char *colon = strchr(v, ':');
			int t = -EINVAL;
			if (colon) {
				*colon = '\0';
				t = cfs_v2type_parse(v);
				r = t < 0 ? t : parse_u64(colon + 1, &g.v2flags);
			}
			if (!colon || t < 0 || r < 0 || !g.v2flags) {
				r = -EINVAL;
				*why = "v2 takes TYPE:FLAGS (a non-zero mask)";
			}
			g.v2type = (uint32_t)(t < 0 ? 0 : t);
		} else if (eq && IS("object")) {
			/* An id's characters only: the line cfs_reg_format
			 * makes of it (a named port's saved filter) must parse
			 * back, and no id has a blank or a quote. */
			if (strlen(v) != CFS_ID_LEN || strspn(v, ID_CHARS) != CFS_ID_LEN) {
				r = -EINVAL;
				*why = "object takes an object id";
			} else {
				memcpy(g.object, v, CFS_ID_LEN + 1);
			}
		} else if (eq && IS("registry")) {
			free(g.registry);
			g.registry = strdup(v);
			/* Both separators name the same key; keep '\'. */
			for (char *c = g.registry; c && *c; c++)
				if (*c == '/')
					*c = '\\';
			while (g.registry && *g.registry && g.registry[strlen(g.registry) - 1] == '\\')
				g.registry[strlen(g.registry) - 1] = '\0';
			if (!g.registry)
				r = -ENOMEM;
		} else if (eq && IS("key")) {
			r = parse_u64(v, &g.key);
			if (r < 0)
				*why = "key takes a number";
		} else {
			r = -EINVAL;
			*why = "unknown word in filter";
		}
#undef IS
	}
	if (r == 0 && said && !g.kinds && !g.changes && !g.v1 && !g.v2flags && !g.object[0] &&
	    !g.registry)
		g.all = true; /* kind=* change=*: everything */
	if (r == 0 && !g.all && !g.kinds && !g.changes && !g.v1 && !g.v2flags && !g.object[0] &&
	    !g.registry) {
		r = -EINVAL;
		*why = "a registration needs all, kind, change, v1, v2, object or registry";
	}
	if (r == 0 && f->n >= CFS_FILTER_MAX) {
		r = -E2BIG;
		*why = "too many registrations";
	}
	if (r == 0) {
		struct cfs_reg *v = realloc(f->regs, (f->n + 1) * sizeof(*v));
		if (!v) {
			r = -ENOMEM;
		} else {
			f->regs = v;
			f->regs[f->n++] = g;
			return 0;
		}
	}
	reg_free(&g);
	return r;
}

bool cfs_reg_match(const struct cfs_reg *g, const struct cfs_record *r)
{
	if (g->all)
		return true;
	if (g->kinds && !(g->kinds & (1u << r->kind)))
		return false;
	if (g->changes && !(g->changes & (1ull << r->change)))
		return false;
	if (g->v1 || g->v2flags) {
		struct cfs_rec_flags fl = cfs_record_flags(r);
		if (g->v1 && !(g->v1 & fl.v1))
			return false;
		if (g->v2flags && (g->v2type != fl.v2type || !(g->v2flags & fl.v2flags)))
			return false;
	}
	if (g->object[0]) {
		/* An object's own records, and for a group those of its
		 * resources' membership and additions (reported on the group). */
		if (!r->obj_id || strcmp(r->obj_id, g->object) != 0) {
			bool via_group = r->kind == CFS_KIND_RESOURCE && r->change == CFS_CH_ADDED &&
					 r->parent_id && strcmp(r->parent_id, g->object) == 0;
			if (!via_group)
				return false;
		}
	}
	if (g->registry) {
		if (r->kind != CFS_KIND_REGISTRY || !r->obj_name)
			return false;
		size_t n = strlen(g->registry);
		const char *path = r->obj_name;
		if (strcmp(path, g->registry) == 0)
			return true;
		/* A subkey created, deleted or renamed changes its parent's
		 * names, as with RegNotifyChangeKeyValue. */
		if (r->change == CFS_CH_KEY_ADDED || r->change == CFS_CH_KEY_DELETED ||
		    r->change == CFS_CH_KEY_RENAMED) {
			const char *last = strrchr(path, '\\');
			size_t plen = last ? (size_t)(last - path) : 0;
			if (plen == n && strncmp(path, g->registry, n) == 0)
				return true;
		}
		/* Below the key: only with subtree ("" is the root). */
		if (!g->subtree)
			return false;
		return n == 0 || (strncmp(path, g->registry, n) == 0 && path[n] == '\\');
	}
	return true;
}

int cfs_reg_format(const struct cfs_reg *g, struct cfs_buf *out)
{
	int r = 0;
	if (g->all)
		r = cfs_buf_puts(out, "all");
	const char *sep = out->len ? " kind=" : "kind=";
	for (int k = 0; r == 0 && g->kinds && k < CFS_KIND_COUNT; k++) {
		if (g->kinds & (1u << k)) {
			r = cfs_buf_printf(out, "%s%s", sep, cfs_kind_name(k));
			sep = ",";
		}
	}
	sep = out->len ? " change=" : "change=";
	for (int c = 0; r == 0 && g->changes && c < CFS_CH_COUNT; c++) {
		if (g->changes & (1ull << c)) {
			r = cfs_buf_printf(out, "%s%s", sep, cfs_change_name(c));
			sep = ",";
		}
	}
	if (r == 0 && g->v1)
		r = cfs_buf_printf(out, "%sv1=0x%x", out->len ? " " : "", g->v1);
	if (r == 0 && g->v2flags)
		r = cfs_buf_printf(out, "%sv2=%u:0x%llx", out->len ? " " : "", g->v2type,
				   (unsigned long long)g->v2flags);
	if (r == 0 && g->object[0])
		r = cfs_buf_printf(out, "%sobject=%s", out->len ? " " : "", g->object);
	if (r == 0 && g->registry) {
		r = cfs_buf_printf(out, "%s\"registry=", out->len ? " " : "");
		for (const char *c = g->registry; r == 0 && *c; c++)
			r = *c == '"' || *c == '\\' ? cfs_buf_printf(out, "\\%c", *c)
						    : cfs_buf_append(out, c, 1);
		if (r == 0)
			r = cfs_buf_append(out, "\"", 1);
		if (r == 0 && g->subtree)
			r = cfs_buf_puts(out, " subtree");
	}
	if (r == 0)
		r = cfs_buf_printf(out, "%skey=%llu", out->len ? " " : "", (unsigned long long)g->key);
	return r;
}
