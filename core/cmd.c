/* SPDX-License-Identifier: MIT */
#include "cmd.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "model.h"

static const struct {
	const char *verb;
	int min, max; /* argument counts; max -1: up to CFS_LIST_MAX + min */
	int creates;  /* stamps a new object id */
} ops[CFS_OP_COUNT] = {
	[CFS_OP_CLUSTER_RENAME] = {"cluster-rename", 1, 1, 1},
	[CFS_OP_NODE_ADD] = {"node-add", 3, 4, 1},
	[CFS_OP_NODE_EVICT] = {"node-evict", 1, 1, 0},
	[CFS_OP_NODE_STATE] = {"node-state", 2, 2, 0},
	[CFS_OP_GROUP_CREATE] = {"group-create", 1, 3, 1},
	[CFS_OP_GROUP_DELETE] = {"group-delete", 1, 1, 0},
	[CFS_OP_GROUP_RENAME] = {"group-rename", 2, 2, 0},
	[CFS_OP_GROUP_ONLINE] = {"group-online", 1, 1, 0},
	[CFS_OP_GROUP_OFFLINE] = {"group-offline", 1, 1, 0},
	[CFS_OP_GROUP_MOVE] = {"group-move", 2, 2, 0},
	[CFS_OP_GROUP_PREFERRED] = {"group-preferred", 1, -1, 0},
	[CFS_OP_RES_CREATE] = {"resource-create", 3, 3, 1},
	[CFS_OP_RES_DELETE] = {"resource-delete", 1, 1, 0},
	[CFS_OP_RES_RENAME] = {"resource-rename", 2, 2, 0},
	[CFS_OP_RES_ONLINE] = {"resource-online", 1, 1, 0},
	[CFS_OP_RES_OFFLINE] = {"resource-offline", 1, 1, 0},
	[CFS_OP_RES_FAIL] = {"resource-fail", 1, 1, 0},
	[CFS_OP_RES_GROUP] = {"resource-group", 2, 2, 0},
	[CFS_OP_RES_OWNERS] = {"resource-owners", 1, -1, 0},
	[CFS_OP_RES_OWNER_ADD] = {"resource-owner-add", 2, 2, 0},
	[CFS_OP_RES_OWNER_REMOVE] = {"resource-owner-remove", 2, 2, 0},
	[CFS_OP_RES_DEPEND] = {"resource-depend", 2, 2, 0},
	[CFS_OP_RES_UNDEPEND] = {"resource-undepend", 2, 2, 0},
	[CFS_OP_TYPE_CREATE] = {"type-create", 1, 2, 1},
	[CFS_OP_TYPE_DELETE] = {"type-delete", 1, 1, 0},
	[CFS_OP_NET_ADD] = {"network-add", 5, 5, 1},
	[CFS_OP_NET_DELETE] = {"network-delete", 1, 1, 0},
	[CFS_OP_NET_RENAME] = {"network-rename", 2, 2, 0},
	[CFS_OP_NET_STATE] = {"network-state", 2, 2, 0},
	[CFS_OP_NET_ROLE] = {"network-role", 2, 2, 0},
	[CFS_OP_NETIF_ADD] = {"netif-add", 6, 6, 1},
	[CFS_OP_NETIF_DELETE] = {"netif-delete", 1, 1, 0},
	[CFS_OP_NETIF_STATE] = {"netif-state", 2, 2, 0},
	[CFS_OP_SET] = {"set", 4, 4, 0},
	[CFS_OP_UNSET] = {"unset", 3, 3, 0},
	[CFS_OP_REG_CREATE_KEY] = {"reg-create-key", 1, 2, 0},
	[CFS_OP_REG_DELETE_KEY] = {"reg-delete-key", 1, 1, 0},
	[CFS_OP_REG_RENAME_KEY] = {"reg-rename-key", 2, 3, 0},
	[CFS_OP_REG_SET] = {"reg-set", 4, 4, 0},
	[CFS_OP_REG_SET_RAW] = {"reg-set-raw", 4, 4, 0},
	[CFS_OP_REG_DELETE] = {"reg-delete", 2, 2, 0},
	[CFS_OP_REG_RENAME] = {"reg-rename", 3, 4, 0},
	[CFS_OP_REG_TYPE] = {"reg-type", 3, 3, 0},
	[CFS_OP_REG_SECURITY] = {"reg-security", 4, 4, 0},
	[CFS_OP_NODE_CMM] = {"node-cmm", 3, 3, 0},
	[CFS_OP_CMM_ELECT] = {"cmm-elect", 0, 0, 0},
	[CFS_OP_CMM_RELEASE] = {"cmm-release", 1, 1, 0},
	[CFS_OP_CMM_REMOVE] = {"cmm-remove", 1, 1, 0},
	[CFS_OP_CMM_SETQUALIF] = {"cmm-setqualif", 3, 3, 0},
	[CFS_OP_CMM_SEIZE] = {"cmm-seize", 1, 1, 0},
	[CFS_OP_CMM_STATUS] = {"cmm-status", 1, 1, 0},
	[CFS_OP_CLUSTER_QUORUM] = {"cluster-quorum", 1, 1, 0},
	[CFS_OP_GROUP_FAILOVER] = {"group-failover", 1, 1, 0},
	[CFS_OP_REG_CREATE] = {"reg-create", 2, 2, 0},
	[CFS_OP_REG_WRITE] = {"reg-write", 3, 3, 0},
	[CFS_OP_REG_TRUNCATE] = {"reg-truncate", 3, 3, 0},
	[CFS_OP_REG_LINK] = {"reg-link", 3, 3, 0},
	[CFS_OP_REG_VALUE_SECURITY] = {"reg-value-security", 5, 5, 0},
	[CFS_OP_RES_STARTED] = {"resource-started", 3, 4, 0},
	[CFS_OP_RES_STOPPED] = {"resource-stopped", 3, 4, 0},
	[CFS_OP_RES_MONITOR] = {"resource-monitor", 3, 4, 0},
	[CFS_OP_RES_PARAM] = {"resource-param", 3, 3, 0},
	[CFS_OP_RES_PARAM_UNSET] = {"resource-param-unset", 2, 2, 0},
	[CFS_OP_RES_POLICY] = {"resource-policy", 3, 3, 0},
	[CFS_OP_GROUP_EVACUATE] = {"group-evacuate", 1, 1, 0},
	[CFS_OP_TYPE_AGENT] = {"type-agent", 6, -1, 1},
};

const char *cfs_op_verb(enum cfs_op op)
{
	return (unsigned)op < CFS_OP_COUNT ? ops[op].verb : "unknown";
}

void cfs_cmd_free(struct cfs_cmd *cmd)
{
	if (!cmd)
		return;
	for (int i = 0; i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	free(cmd->arglen);
	free(cmd);
}

static int count_ok(enum cfs_op op, int argc)
{
	int max = ops[op].max < 0 ? ops[op].min + CFS_LIST_MAX : ops[op].max;
	return argc >= ops[op].min && argc <= max;
}

int cfs_cmd_newv(struct cfs_cmd **ret, enum cfs_op op, int argc, const char *const *argv,
		 const size_t *arglen)
{
	if ((unsigned)op >= CFS_OP_COUNT)
		return -EINVAL;
	if (!count_ok(op, argc))
		return ops[op].max < 0 && argc > ops[op].min ? -E2BIG : -EINVAL;
	struct cfs_cmd *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->op = op;
	c->argv = calloc((size_t)argc + 1, sizeof(*c->argv));
	c->arglen = calloc((size_t)argc + 1, sizeof(*c->arglen));
	if (!c->argv || !c->arglen)
		goto oom;
	for (int i = 0; i < argc; i++) {
		size_t n = arglen ? arglen[i] : strlen(argv[i]);
		c->argv[i] = cfs_strndup(argv[i], n);
		if (!c->argv[i])
			goto oom;
		c->arglen[i] = n;
		c->argc = i + 1;
	}
	*ret = c;
	return 0;
oom:
	cfs_cmd_free(c);
	return -ENOMEM;
}

int cfs_cmd_new(struct cfs_cmd **ret, enum cfs_op op, int argc, const char *const *argv)
{
	return cfs_cmd_newv(ret, op, argc, argv, NULL);
}

void cfs_cmd_stamp(struct cfs_cmd *cmd, uint32_t uid, uint32_t gid)
{
	cmd->time_ns = cfs_now_ns();
	cmd->uid = uid;
	cmd->gid = gid;
	if (ops[cmd->op].creates && !cmd->id[0])
		cfs_guid_new(cmd->id);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Splits a line into arguments. */
static int tokenize(const char *p, const char *end, struct cfs_buf *tok, struct cfs_vec *args,
		    struct cfs_vec *lens, const char **why)
{
	int r;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			return 0;
		cfs_buf_reset(tok);
		if (*p == '"') {
			p++;
			for (;;) {
				if (p >= end) {
					*why = "unterminated quote";
					return -EINVAL;
				}
				char c = *p++;
				if (c == '"')
					break;
				if (c != '\\') {
					if ((r = cfs_buf_append(tok, &c, 1)) < 0)
						return r;
					continue;
				}
				if (p >= end) {
					*why = "backslash at end of line";
					return -EINVAL;
				}
				c = *p++;
				switch (c) {
				case 'n':
					c = '\n';
					break;
				case 't':
					c = '\t';
					break;
				case 'r':
					c = '\r';
					break;
				case 'x': {
					int h = p + 1 < end ? hexval(p[0]) : -1;
					int l = h >= 0 ? hexval(p[1]) : -1;
					if (l < 0) {
						*why = "bad \\x escape";
						return -EINVAL;
					}
					c = (char)(h * 16 + l);
					p += 2;
					break;
				}
				case '"':
				case '\\':
					break;
				default:
					*why = "unknown escape";
					return -EINVAL;
				}
				if ((r = cfs_buf_append(tok, &c, 1)) < 0)
					return r;
			}
			if (p < end && *p != ' ' && *p != '\t') {
				*why = "text right after a closing quote";
				return -EINVAL;
			}
		} else {
			const char *s = p;
			while (p < end && *p != ' ' && *p != '\t')
				p++;
			if (memchr(s, '"', (size_t)(p - s))) {
				*why = "quote inside an unquoted argument";
				return -EINVAL;
			}
			if ((r = cfs_buf_append(tok, s, (size_t)(p - s))) < 0)
				return r;
		}
		if (args->n >= CFS_LIST_MAX + 8) {
			*why = "too many arguments";
			return -E2BIG;
		}
		char *a = cfs_strndup(tok->data ? tok->data : "", tok->len);
		if (!a || cfs_vec_push(args, a) < 0) {
			free(a);
			return -ENOMEM;
		}
		if (cfs_vec_push(lens, (void *)(uintptr_t)tok->len) < 0)
			return -ENOMEM;
	}
}

int cfs_cmd_parse(const char *line, size_t len, struct cfs_cmd **ret, const char **why)
{
	const char *reason = NULL;
	struct cfs_buf tok = {0};
	struct cfs_vec args = {0}, lens = {0};
	int r;
	if (len > CFS_CMDLINE_MAX) {
		reason = "line too long";
		r = -E2BIG;
		goto out;
	}
	if (memchr(line, '\0', len)) {
		reason = "NUL byte in line (use \\x00 inside quotes)";
		r = -EINVAL;
		goto out;
	}
	r = tokenize(line, line + len, &tok, &args, &lens, &reason);
	if (r < 0)
		goto out;
	if (args.n == 0) {
		reason = "empty command";
		r = -EINVAL;
		goto out;
	}
	int op = -1;
	for (int i = 0; i < CFS_OP_COUNT; i++)
		if (strcmp(ops[i].verb, args.v[0]) == 0 &&
		    (size_t)(uintptr_t)lens.v[0] == strlen(ops[i].verb))
			op = i;
	if (op < 0) {
		reason = "unknown command";
		r = -EINVAL;
		goto out;
	}
	size_t *l = calloc(args.n, sizeof(*l));
	if (!l) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < args.n; i++)
		l[i] = (size_t)(uintptr_t)lens.v[i];
	r = cfs_cmd_newv(ret, op, (int)args.n - 1, (const char *const *)args.v + 1, l + 1);
	free(l);
	if (r == -EINVAL || r == -E2BIG)
		reason = "wrong number of arguments";
out:
	for (size_t i = 0; i < args.n; i++)
		free(args.v[i]);
	cfs_vec_free(&args);
	cfs_vec_free(&lens);
	cfs_buf_free(&tok);
	if (why)
		*why = reason;
	return r;
}

static int needs_quotes(const char *s, size_t n)
{
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f)
			return 1;
	}
	return 0;
}

int cfs_cmd_format(const struct cfs_cmd *cmd, struct cfs_buf *out)
{
	int r = cfs_buf_puts(out, cfs_op_verb(cmd->op));
	for (int i = 0; r == 0 && i < cmd->argc; i++) {
		const char *s = cmd->argv[i];
		size_t n = cmd->arglen[i];
		if ((r = cfs_buf_append(out, " ", 1)) < 0)
			break;
		if (!needs_quotes(s, n)) {
			r = cfs_buf_append(out, s, n);
			continue;
		}
		r = cfs_buf_append(out, "\"", 1);
		for (size_t k = 0; r == 0 && k < n; k++) {
			unsigned char c = (unsigned char)s[k];
			if (c == '"' || c == '\\')
				r = cfs_buf_printf(out, "\\%c", c);
			else if (c == '\n')
				r = cfs_buf_puts(out, "\\n");
			else if (c == '\t')
				r = cfs_buf_puts(out, "\\t");
			else if (c < 0x20 || c == 0x7f)
				r = cfs_buf_printf(out, "\\x%02x", c);
			else
				r = cfs_buf_append(out, &s[k], 1);
		}
		if (r == 0)
			r = cfs_buf_append(out, "\"", 1);
	}
	return r;
}

int cfs_cmd_append_line(struct cfs_buf *out, enum cfs_op op, int argc, const char *const *argv)
{
	struct cfs_cmd *c;
	int r = cfs_cmd_new(&c, op, argc, argv);
	if (r < 0)
		return r;
	r = cfs_cmd_format(c, out);
	cfs_cmd_free(c);
	return r < 0 ? r : cfs_buf_append(out, "\n", 1);
}
