/* SPDX-License-Identifier: MIT */
/* cfs_cmd_parse (core/cmd.h): one command line, as the control file and a
 * replicated back-end carry it. Properties: a refusal is -EINVAL or -E2BIG
 * with a reason; an accepted line formats (cfs_cmd_format) into a line
 * that parses back to the same command, byte for byte. */
#include <errno.h>

#include "cmd.h"
#include "fuzz.h"

static void same_command(const struct cfs_cmd *a, const struct cfs_cmd *b)
{
	FUZZ_CHECK(a->op == b->op);
	FUZZ_CHECK(a->argc == b->argc);
	for (int i = 0; i < a->argc; i++) {
		FUZZ_CHECK(a->arglen[i] == b->arglen[i]);
		FUZZ_CHECK(memcmp(a->argv[i], b->argv[i], a->arglen[i]) == 0);
		FUZZ_CHECK(a->argv[i][a->arglen[i]] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_bytes(data, size);
	struct cfs_cmd *c = NULL;
	const char *why = NULL;
	int r = cfs_cmd_parse(line, size, &c, &why);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -E2BIG || r == -ENOMEM);
		FUZZ_CHECK(why != NULL || r == -ENOMEM);
		free(line);
		return 0;
	}
	FUZZ_CHECK(c && (unsigned)c->op < CFS_OP_COUNT);
	FUZZ_CHECK(strcmp(cfs_op_verb(c->op), "unknown") != 0);
	struct cfs_buf out = {0};
	FUZZ_CHECK(cfs_cmd_format(c, &out) == 0);
	FUZZ_CHECK(!memchr(out.data, '\n', out.len) && !memchr(out.data, '\0', out.len));
	struct cfs_cmd *again = NULL;
	r = cfs_cmd_parse(out.data, out.len, &again, &why);
	if (out.len > CFS_CMDLINE_MAX)
		FUZZ_CHECK(r == -E2BIG);
	else
		FUZZ_CHECK(r == 0);
	if (again)
		same_command(c, again);
	cfs_cmd_free(again);
	cfs_buf_free(&out);
	cfs_cmd_free(c);
	free(line);
	return 0;
}
