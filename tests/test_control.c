/* SPDX-License-Identifier: MIT */
/* Tests of control.h, the control file's language, without a mount: one
 * case is a sequence of writes to one open control file, each checked for
 * its result, its reason and bad line, the batch it makes and what stays
 * held. Back-end ("sim") lines go to a fake back-end. Parameters hold
 * their bytes inline because Criterion runs each parameterized test in a
 * new process. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cmd.h"
#include "control.h"

/* The fake back-end: "sim fail" is refused after it added one command
 * (so a refusal must drop what it added); "sim CMD..." gives CMD. */
static int fake_backend(void *ud, const char *line, size_t len, struct cfs_vec *cmds,
			const char **ret_why)
{
	int *calls = ud;
	(*calls)++;
	cr_assert(len > 4 && memcmp(line, "sim", 3) == 0, "back-end got [%.*s]", (int)len, line);
	cr_assert(line[len - 1] != ' ' && line[len - 1] != '\t' && line[len - 1] != '\r',
		  "back-end line not trimmed: [%.*s]", (int)len, line);
	const char *s = line + 3;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t k = len - (size_t)(s - line);
	struct cfs_cmd *c;
	if (k == 4 && memcmp(s, "fail", 4) == 0) {
		const char *a[] = {"from-fail"};
		cr_assert_eq(cfs_cmd_new(&c, CFS_OP_GROUP_CREATE, 1, a), 0);
		cr_assert_eq(cfs_vec_push(cmds, c), 0);
		*ret_why = "fake back-end refused";
		return -EOPNOTSUPP;
	}
	int r = cfs_cmd_parse(s, k, &c, ret_why);
	if (r == 0 && (r = cfs_vec_push(cmds, c)) < 0)
		cfs_cmd_free(c);
	return r;
}

/* One write and what it must give. */
struct step {
	char text[112];
	int ret;	 /* 0 or -errno */
	char batch[128]; /* the batch in line form, one command a line (ret 0 only) */
	char why[48];	 /* the exact reason (ret < 0) */
	int line;	 /* the bad line (ret < 0) */
	int held;	 /* commands held afterwards */
	bool in_block;	 /* afterwards */
	int backend;	 /* back-end calls it makes */
};

struct ctl_case {
	char name[64];
	struct step steps[4]; /* up to the first with an empty text */
};

static const struct ctl_case cases[] = {
	/* One batch per write. */
	{"single line", {{"group-create a\n", 0, "group-create a"}}},
	{"single line without newline", {{"group-create a", 0, "group-create a"}}},
	{"several lines are one batch",
	 {{"group-create a\ngroup-create b\nresource-create r t a\n", 0,
	   "group-create a\ngroup-create b\nresource-create r t a"}}},
	{"each write is its own batch",
	 {{"group-create a\n", 0, "group-create a"}, {"group-create b\n", 0, "group-create b"}}},
	{"blank and comment lines are skipped",
	 {{"\n   \n# a comment\n  \t# indented\ngroup-create a\n\t\n#\n", 0, "group-create a"}}},
	{"only comments make an empty batch", {{"# nothing\n\n  \n", 0, ""}}},
	{"trailing CR and blanks are trimmed",
	 {{"group-create a\r\n  group-create b \t\r\n\tgroup-create c\r", 0,
	   "group-create a\ngroup-create b\ngroup-create c"}}},
	{"a quoted # is no comment", {{"group-create \"# x\"\n", 0, "group-create \"# x\""}}},

	/* Blocks. */
	{"begin and commit across writes",
	 {{"begin\ngroup-create a\n", 0, "", "", 0, 1, true},
	  {"group-create b\n", 0, "", "", 0, 2, true},
	  {"commit\n", 0, "group-create a\ngroup-create b"}}},
	{"the commit write's other lines join the batch",
	 {{"begin\ngroup-create a\n", 0, "", "", 0, 1, true},
	  {"group-create b\ncommit\ngroup-create c\n", 0,
	   "group-create a\ngroup-create b\ngroup-create c"}}},
	{"a block inside one write keeps line order",
	 {{"group-create x\nbegin\ngroup-create a\ncommit\ngroup-create y\n", 0,
	   "group-create x\ngroup-create a\ngroup-create y"}}},
	{"block words are trimmed too",
	 {{"  begin \r\ngroup-create a\n", 0, "", "", 0, 1, true},
	  {"\tcommit\t\r\n", 0, "group-create a"}}},
	{"an empty block commits nothing",
	 {{"begin\n", 0, "", "", 0, 0, true}, {"commit\n", 0, ""}}},
	{"abort drops the held lines",
	 {{"begin\ngroup-create a\ngroup-create b\n", 0, "", "", 0, 2, true},
	  {"abort\n", 0, ""},
	  {"group-create c\n", 0, "group-create c"}}},
	{"begin inside begin, across writes",
	 {{"begin\ngroup-create a\n", 0, "", "", 0, 1, true},
	  {"group-create b\nbegin\n", -EINVAL, "", "begin inside begin", 2, 1, true},
	  {"commit\n", 0, "group-create a"}}},
	{"begin inside begin, in one write",
	 {{"begin\nbegin\n", -EINVAL, "", "begin inside begin", 2, 0, false}}},
	{"commit without begin",
	 {{"group-create a\ncommit\n", -EINVAL, "", "commit or abort without begin", 2, 0,
	   false}}},
	{"abort without begin",
	 {{"abort\n", -EINVAL, "", "commit or abort without begin", 1, 0, false}}},

	/* A bad line: nothing of its write is held, the block state is as before. */
	{"a bad line outside a block",
	 {{"group-create a\ngroup-create\n", -EINVAL, "", "wrong number of arguments", 2, 0,
	   false}}},
	{"a bad line inside a block keeps the earlier writes' lines",
	 {{"begin\ngroup-create a\n", 0, "", "", 0, 1, true},
	  {"group-create b\nfrobnicate x\ngroup-create c\n", -EINVAL, "", "unknown command", 2,
	   1, true},
	  {"commit\n", 0, "group-create a"}}},
	{"a bad line after begin in the same write",
	 {{"begin\ngroup-create a\nfrobnicate\n", -EINVAL, "", "unknown command", 3, 0, false},
	  {"group-create b\n", 0, "group-create b"}}},
	{"the bad line counts blank and comment lines",
	 {{"\n# c\ngroup-create a\n\nfrobnicate\n", -EINVAL, "", "unknown command", 5, 0,
	   false}}},

	/* Back-end lines. */
	{"a back-end line joins the batch",
	 {{"group-create a\nsim group-create b\n", 0, "group-create a\ngroup-create b", "", 0, 0,
	   false, 1}}},
	{"a back-end line is trimmed, blank or tab after sim",
	 {{"  sim  group-create a \r\nsim\tgroup-create b\n", 0,
	   "group-create a\ngroup-create b", "", 0, 0, false, 2}}},
	{"a back-end line inside a block is held",
	 {{"begin\nsim group-create a\n", 0, "", "", 0, 1, true, 1},
	  {"commit\n", 0, "group-create a"}}},
	{"a refused back-end line",
	 {{"group-create a\nsim fail\n", -EOPNOTSUPP, "", "fake back-end refused", 2, 0, false,
	   1}}},
	{"a refused back-end line inside a block holds nothing",
	 {{"begin\ngroup-create a\n", 0, "", "", 0, 1, true},
	  {"group-create b\nsim fail\n", -EOPNOTSUPP, "", "fake back-end refused", 2, 1, true,
	   1},
	  {"commit\n", 0, "group-create a"}}},
	{"sim alone or glued is a command",
	 {{"sim\n", -EINVAL, "", "unknown command", 1}, {"simgroup-create a\n", -EINVAL, "",
							 "unknown command", 1}}},

	/* Quoting is cmd.h's. */
	{"a quoted argument",
	 {{"reg-set K v REG_SZ \"two words\"\n", 0, "reg-set K v REG_SZ \"two words\""}}},
	{"a quoted name with an escape",
	 {{"group-create \"a\\tb\"\n", 0, "group-create \"a\\tb\""}}},
	{"an unterminated quote",
	 {{"group-create a\ngroup-create \"b\n", -EINVAL, "", "unterminated quote", 2}}},
};

ParameterizedTestParameters(control, steps)
{
	return cr_make_param_array(struct ctl_case, (void *)cases, CFS_ARRAY_SIZE(cases));
}

static void free_batch(struct cfs_vec *batch)
{
	for (size_t i = 0; i < batch->n; i++)
		cfs_cmd_free(batch->v[i]);
	cfs_vec_free(batch);
}

ParameterizedTest(struct ctl_case *tc, control, steps)
{
	struct cfs_ctl ctl = {0};
	for (size_t i = 0; i < CFS_ARRAY_SIZE(tc->steps) && tc->steps[i].text[0]; i++) {
		const struct step *s = &tc->steps[i];
		struct cfs_vec batch = {0};
		const char *why = NULL;
		int line = 0, calls = 0;
		int r = cfs_ctl_parse(&ctl, s->text, strlen(s->text), fake_backend, &calls, &batch,
				      &why, &line);
		cr_assert_eq(r, s->ret, "%s, write %zu: got %d (%s), want %d", tc->name, i + 1, r,
			     why ? why : "-", s->ret);
		if (r < 0) {
			cr_assert_str_eq(why ? why : "", s->why, "%s, write %zu: reason", tc->name,
					 i + 1);
			cr_assert_eq(line, s->line, "%s, write %zu: bad line %d, want %d", tc->name,
				     i + 1, line, s->line);
		} else {
			struct cfs_buf got = {0};
			for (size_t j = 0; j < batch.n; j++) {
				if (j)
					cfs_buf_puts(&got, "\n");
				cfs_cmd_format(batch.v[j], &got);
			}
			cr_assert_str_eq(got.data ? got.data : "", s->batch,
					 "%s, write %zu: batch [%s]", tc->name, i + 1,
					 got.data ? got.data : "");
			cfs_buf_free(&got);
		}
		free_batch(&batch);
		cr_assert_eq(ctl.held.n, (size_t)s->held, "%s, write %zu: %zu held, want %d",
			     tc->name, i + 1, ctl.held.n, s->held);
		cr_assert_eq(ctl.in_block, s->in_block, "%s, write %zu: in_block", tc->name, i + 1);
		cr_assert_eq(calls, s->backend, "%s, write %zu: %d back-end calls, want %d",
			     tc->name, i + 1, calls, s->backend);
	}
	cfs_ctl_free(&ctl);
}

/* What close does: an open block is reported and dropped. */
Test(control, end_drops_an_open_block)
{
	struct cfs_ctl ctl = {0};
	struct cfs_vec batch = {0};
	const char *why = NULL;
	int line = 0, calls = 0;
	cr_assert_eq(cfs_ctl_parse(&ctl, "begin\ngroup-create a\n", 20, fake_backend, &calls,
				   &batch, &why, &line),
		     0);
	cr_assert_eq(ctl.held.n, 1);
	cr_assert(cfs_ctl_end(&ctl));
	cr_assert_eq(ctl.held.n, 0);
	cr_assert_not(ctl.in_block);
	cr_assert_not(cfs_ctl_end(&ctl), "no block is open any more");
	cr_assert_eq(batch.n, 0);
	cfs_ctl_free(&ctl);
	cfs_ctl_free(NULL);
}

/* Only len bytes are read: a caller passes the complete lines of its buffer. */
Test(control, len_bounds_the_text)
{
	struct cfs_ctl ctl = {0};
	struct cfs_vec batch = {0};
	const char *why = NULL;
	int line = 0, calls = 0;
	const char *text = "group-create a\ngroup-create b\nfrobnicate";
	cr_assert_eq(cfs_ctl_parse(&ctl, text, 15, fake_backend, &calls, &batch, &why, &line), 0);
	cr_assert_eq(batch.n, 1);
	cr_assert_str_eq(((struct cfs_cmd *)batch.v[0])->argv[0], "a");
	free_batch(&batch);
	cr_assert_eq(cfs_ctl_parse(&ctl, text, 0, fake_backend, &calls, &batch, &why, &line), 0);
	cr_assert_eq(batch.n, 0);
	cfs_ctl_free(&ctl);
}
