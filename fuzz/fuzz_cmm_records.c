/* SPDX-License-Identifier: MIT */
/* libcgha_cmm's record parser (cmm/cmm_rec.c): each line of the input is
 * one record line as cmm_notify_dispatch cuts them (NUL-terminated, no
 * newline), parsed and turned into notification kinds.
 * Properties: a record that makes notifications makes at most two, each a
 * CMM notification kind; the strings it keeps are terminated. */
#include "cmm_i.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = data ? (const char *)data : "", *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = fuzz_str(p, n);
		struct cmmi_rec r;
		memset(&r, 0x5a, sizeof(r));
		int k = cmmi_rec_parse(line, &r);
		FUZZ_CHECK(k >= -1 && k <= 1);
		if (k == 1) {
			FUZZ_CHECK(memchr(r.id, '\0', sizeof(r.id)));
			FUZZ_CHECK(memchr(r.old, '\0', sizeof(r.old)));
			FUZZ_CHECK(memchr(r.new, '\0', sizeof(r.new)));
			FUZZ_CHECK(!r.learn || (r.number > 0 && r.number < CMM_INVALID_NODE_ID));
			cmm_cmchanges_t kinds[2];
			int nk = cmmi_rec_kinds(&r, kinds);
			FUZZ_CHECK(nk >= 0 && nk <= 2);
			for (int i = 0; i < nk; i++)
				FUZZ_CHECK(kinds[i] >= CMM_MASTER_ELECTED &&
					   kinds[i] <= CMM_NODE_INELIGIBLE);
		}
		free(line);
		p += n + (nl ? 1 : 0);
	}
	return 0;
}
