/* SPDX-License-Identifier: MIT */
/* cfs_ctl_parse (core/control.h): the control file's language, with the
 * simulation back-end's "sim" lines (core/backend_sim.c). One input is a
 * sequence of writes to one open control file, separated by FUZZ_SEP.
 * Properties: a refusal names a line of its text and a reason, leaves the
 * block state as it was and holds nothing new; every command of a batch
 * formats into a line that parses back to it; closing drops what is held. */
#include <errno.h>

#include "backend.h"
#include "cmd.h"
#include "control.h"
#include "fuzz.h"

static int sim_line(void *ud, const char *line, size_t len, struct cfs_vec *cmds,
		    const char **ret_why)
{
	(void)ud;
	return cfs_backend_sim.control(NULL, line, len, cmds, ret_why);
}

static void check_roundtrip(const struct cfs_cmd *c)
{
	struct cfs_buf out = {0};
	FUZZ_CHECK(cfs_cmd_format(c, &out) == 0);
	struct cfs_cmd *again = NULL;
	const char *why = NULL;
	FUZZ_CHECK(cfs_cmd_parse(out.data, out.len, &again, &why) == 0);
	FUZZ_CHECK(again->op == c->op && again->argc == c->argc);
	for (int i = 0; i < c->argc; i++)
		FUZZ_CHECK(again->arglen[i] == c->arglen[i] &&
			   memcmp(again->argv[i], c->argv[i], c->arglen[i]) == 0);
	cfs_cmd_free(again);
	cfs_buf_free(&out);
}

static size_t count_lines(const char *text, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n + (len && text[len - 1] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfs_ctl ctl = {0};
	struct fuzz_split sp = {data ? data : (const uint8_t *)"", size};
	const uint8_t *part;
	size_t len;
	while (fuzz_part(&sp, &part, &len)) {
		char *text = fuzz_bytes(part, len);
		struct cfs_vec batch = {0};
		const char *why = NULL;
		int line = 0;
		size_t held_before = ctl.held.n;
		bool block_before = ctl.in_block;
		int r = cfs_ctl_parse(&ctl, text, len, sim_line, NULL, &batch, &why, &line);
		if (r < 0) {
			FUZZ_CHECK(line >= 1 && (size_t)line <= count_lines(text, len));
			FUZZ_CHECK(ctl.in_block == block_before);
			FUZZ_CHECK(ctl.held.n <= held_before);
			FUZZ_CHECK(why != NULL || r == -ENOMEM);
		} else {
			FUZZ_CHECK(ctl.in_block || ctl.held.n == 0);
			for (size_t i = 0; i < batch.n; i++)
				check_roundtrip(batch.v[i]);
		}
		for (size_t i = 0; i < ctl.held.n; i++)
			check_roundtrip(ctl.held.v[i]);
		for (size_t i = 0; i < batch.n; i++)
			cfs_cmd_free(batch.v[i]);
		cfs_vec_free(&batch);
		free(text);
	}
	bool was_open = ctl.in_block;
	FUZZ_CHECK(cfs_ctl_end(&ctl) == was_open);
	FUZZ_CHECK(ctl.held.n == 0 && !ctl.in_block);
	cfs_ctl_free(&ctl);
	return 0;
}
