/* SPDX-License-Identifier: MIT */
#include "batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int cfs_batch_new(struct cfs_cmd **cmds, size_t n, cfs_done_fn done, void *ud,
		  const void *origin, struct cfs_batch **ret)
{
	struct cfs_batch *b = calloc(1, sizeof(*b));
	if (!b) {
		for (size_t i = 0; i < n; i++)
			cfs_cmd_free(cmds[i]);
		free(cmds);
		return -ENOMEM;
	}
	*b = (struct cfs_batch){.cmds = cmds, .n = n, .done = done, .ud = ud, .origin = origin,
				.line = -1};
	*ret = b;
	return 0;
}

void cfs_batch_free(struct cfs_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		cfs_cmd_free(b->cmds[i]);
	free(b->cmds);
	free(b);
}

/* Format version 1: u8 version, u32 count, then per command: u32 op,
 * u64 time_ns, u32 uid, u32 gid, str id, u32 argc, argc x bytes. */
#define BATCH_WIRE_VERSION 1

int cfs_batch_encode(const struct cfs_batch *b, struct cfs_buf *out)
{
	int r = cfs_wire_u8(out, BATCH_WIRE_VERSION);
	if (r == 0)
		r = cfs_wire_u32(out, (uint32_t)b->n);
	for (size_t i = 0; r == 0 && i < b->n; i++) {
		const struct cfs_cmd *c = b->cmds[i];
		if ((r = cfs_wire_u32(out, (uint32_t)c->op)) < 0 ||
		    (r = cfs_wire_u64(out, (uint64_t)c->time_ns)) < 0 ||
		    (r = cfs_wire_u32(out, c->uid)) < 0 || (r = cfs_wire_u32(out, c->gid)) < 0 ||
		    (r = cfs_wire_str(out, c->id)) < 0 ||
		    (r = cfs_wire_u32(out, (uint32_t)c->argc)) < 0)
			break;
		for (int k = 0; r == 0 && k < c->argc; k++)
			r = cfs_wire_bytes(out, c->argv[k], c->arglen[k]);
	}
	return r;
}

/* One command; NULL on a malformed one (reader marked bad or *why set). */
static struct cfs_cmd *decode_cmd(struct cfs_wire_reader *rd, int *err, const char **why)
{
	uint32_t op = cfs_wire_get_u32(rd);
	int64_t time_ns = (int64_t)cfs_wire_get_u64(rd);
	uint32_t uid = cfs_wire_get_u32(rd), gid = cfs_wire_get_u32(rd);
	const void *id;
	size_t idlen = cfs_wire_get_bytes(rd, CFS_ID_LEN, &id);
	uint32_t argc = cfs_wire_get_u32(rd);
	if (!cfs_wire_ok(rd, false) || op >= CFS_OP_COUNT || argc > CFS_LIST_MAX + 16) {
		*why = "a malformed command";
		*err = -EINVAL;
		return NULL;
	}
	const char **argv = calloc(argc + 1, sizeof(*argv));
	size_t *lens = calloc(argc + 1, sizeof(*lens));
	struct cfs_cmd *c = NULL;
	*err = -ENOMEM;
	if (!argv || !lens)
		goto out;
	for (uint32_t k = 0; k < argc; k++)
		lens[k] = cfs_wire_get_bytes(rd, CFS_CMDLINE_MAX, (const void **)&argv[k]);
	*err = -EINVAL;
	if (!cfs_wire_ok(rd, false)) {
		*why = "a command's arguments run past the end";
		goto out;
	}
	if ((*err = cfs_cmd_newv(&c, (enum cfs_op)op, (int)argc, argv, lens)) < 0) {
		*why = "a command with a wrong argument count";
		goto out;
	}
	c->time_ns = time_ns;
	c->uid = uid;
	c->gid = gid;
	memcpy(c->id, id, idlen);
	c->id[idlen] = '\0';
out:
	free(argv);
	free(lens);
	return c;
}

int cfs_batch_decode(const void *p, size_t len, struct cfs_batch **ret, const char **why)
{
	struct cfs_wire_reader rd = cfs_wire_reader(p, len);
	const char *reason = "a malformed batch";
	int r = -EINVAL;
	if (cfs_wire_get_u8(&rd) != BATCH_WIRE_VERSION) {
		reason = "an unknown batch format";
		goto fail;
	}
	uint32_t n = cfs_wire_get_u32(&rd);
	/* Each command takes at least 29 bytes: a count beyond that is a lie. */
	if (!cfs_wire_ok(&rd, false) || n > len / 29)
		goto fail;
	struct cfs_cmd **cmds = calloc(n ? n : 1, sizeof(*cmds));
	if (!cmds) {
		r = -ENOMEM;
		goto fail;
	}
	size_t got = 0;
	for (; got < n; got++)
		if (!(cmds[got] = decode_cmd(&rd, &r, &reason)))
			break;
	if (got == n && !cfs_wire_ok(&rd, true)) {
		reason = "trailing bytes after a batch";
		r = -EINVAL;
	} else if (got == n) {
		return cfs_batch_new(cmds, n, NULL, NULL, NULL, ret);
	}
	for (size_t i = 0; i < got; i++)
		cfs_cmd_free(cmds[i]);
	free(cmds);
fail:
	if (why)
		*why = reason;
	return r;
}
