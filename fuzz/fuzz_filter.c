/* SPDX-License-Identifier: MIT */
/* cfs_filter_apply_line (core/filter.h): port filter lines, one per line
 * of the input, applied to one filter as a port's filter file takes them.
 * Properties: a refusal has a reason; every registration the filter holds
 * formats (cfs_reg_format, what a named port persists) into a line that
 * parses back to the same registration; copying and matching records of
 * every kind and change never fail or crash. */
#include <errno.h>

#include "filter.h"
#include "fuzz.h"

static void same_reg(const struct cfs_reg *a, const struct cfs_reg *b)
{
	FUZZ_CHECK(a->key == b->key);
	FUZZ_CHECK(a->kinds == b->kinds);
	FUZZ_CHECK(a->changes == b->changes);
	FUZZ_CHECK(a->v1 == b->v1);
	FUZZ_CHECK(a->v2flags == b->v2flags && (!a->v2flags || a->v2type == b->v2type));
	FUZZ_CHECK(strcmp(a->object, b->object) == 0);
	FUZZ_CHECK(!a->registry == !b->registry);
	FUZZ_CHECK(!a->registry || strcmp(a->registry, b->registry) == 0);
	FUZZ_CHECK(!a->registry || a->subtree == b->subtree);
	FUZZ_CHECK(a->all == b->all);
}

static void match_all(const struct cfs_reg *g, const char *path)
{
	char id[CFS_ID_LEN + 1];
	memcpy(id, g->object[0] ? g->object : "00000000-0000-0000-0000-000000000000",
	       sizeof(id));
	for (int k = 0; k < CFS_KIND_COUNT; k++) {
		for (int c = 0; c < CFS_CH_COUNT; c++) {
			struct cfs_record r = {
				.kind = k,
				.change = c,
				.obj_id = k == CFS_KIND_REGISTRY ? "" : id,
				.obj_name = k == CFS_KIND_REGISTRY ? (char *)path : "name",
				.parent_id = id,
			};
			(void)cfs_reg_match(g, &r);
			(void)cfs_record_flags(&r);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfs_filter f = {0};
	const char *p = data ? (const char *)data : "", *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = fuzz_str(p, n); /* as a port gets it: one NUL-terminated line */
		const char *why = NULL;
		size_t before = f.n;
		int r = cfs_filter_apply_line(&f, line, &why);
		if (r < 0) {
			FUZZ_CHECK(r == -EINVAL || r == -E2BIG || r == -ENOMEM);
			FUZZ_CHECK(why != NULL || r == -ENOMEM);
			FUZZ_CHECK(f.n == before);
		}
		FUZZ_CHECK(f.n <= CFS_FILTER_MAX);
		free(line);
		p += n + (nl ? 1 : 0);
	}
	for (size_t i = 0; i < f.n; i++) {
		struct cfs_buf out = {0};
		FUZZ_CHECK(cfs_reg_format(&f.regs[i], &out) == 0);
		struct cfs_filter g = {0};
		const char *why = NULL;
		int r = cfs_filter_apply_line(&g, out.data, &why);
		if (r != 0 || g.n != 1)
			fprintf(stderr, "registration %zu formats as [%s]: %d %s\n", i, out.data, r,
				why ? why : "");
		FUZZ_CHECK(r == 0 && g.n == 1);
		same_reg(&f.regs[i], &g.regs[0]);
		match_all(&f.regs[i], f.regs[i].registry ? f.regs[i].registry : "a\\b");
		cfs_filter_free(&g);
		cfs_buf_free(&out);
	}
	struct cfs_filter copy;
	if (cfs_filter_copy(&copy, &f) == 0) {
		FUZZ_CHECK(copy.n == f.n);
		for (size_t i = 0; i < f.n; i++)
			same_reg(&f.regs[i], &copy.regs[i]);
		cfs_filter_free(&copy);
	}
	cfs_filter_free(&f);
	return 0;
}
