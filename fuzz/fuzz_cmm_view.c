/* SPDX-License-Identifier: MIT */
/* libcgha_cmm's view parsing (cmm/cmm_mount.c): the files of nodes/N/ as
 * they read (each its first line, at most CMM_MAX_NAME_SIZE - 1 bytes)
 * turned into cmm_member_t, and the lookups of a view. The input is one
 * node after another, separated by FUZZ_SEP; a node is its name, then the
 * lines of its files in cmmi_node_files order, one per line.
 * Properties: every string of a member is terminated within its field;
 * only the documented flag bits are set, and at most one role; a view
 * finds its nodes by number and by role. */
#include "cmm_i.h"
#include "fuzz.h"

#define FLAGS                                                                               \
	(CMM_ROLE_MASK | CMM_FROZEN_MEMBER | CMM_EXCLUDED_MEMBER | CMM_ELIGIBLE_MEMBER |    \
	 CMM_FLAG_DISQUALIFIED | CMM_FLAG_SYNCHRO_NEEDED)

/* The next line of [*p, end) as read_line() gives a file's content. */
static void next_line(const char **p, const char *end, char out[CMM_MAX_NAME_SIZE])
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	size_t k = n < CMM_MAX_NAME_SIZE - 1 ? n : CMM_MAX_NAME_SIZE - 1;
	memcpy(out, *p, k);
	out[k] = '\0';
	*p += n + (nl ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmmi_view v = {0};
	struct fuzz_split sp = {data ? data : (const uint8_t *)"", size};
	const uint8_t *part;
	size_t len;
	while (fuzz_part(&sp, &part, &len) && v.n < 64) {
		const char *p = (const char *)part, *end = p + len;
		char name[CMM_MAX_NAME_SIZE], f[CMMI_NODE_FILES][CMM_MAX_NAME_SIZE];
		const char *fp[CMMI_NODE_FILES];
		next_line(&p, end, name);
		for (int i = 0; i < CMMI_NODE_FILES; i++) {
			next_line(&p, end, f[i]);
			fp[i] = f[i];
		}
		struct cmmi_node *nn = realloc(v.nodes, (v.n + 1) * sizeof(*nn));
		FUZZ_CHECK(nn);
		v.nodes = nn;
		struct cmmi_node *node = &v.nodes[v.n++];
		cmmi_node_parse(name, fp, node);
		const cmm_member_t *m = &node->m;
		FUZZ_CHECK(memchr(node->id, '\0', sizeof(node->id)));
		FUZZ_CHECK(memchr(m->name, '\0', sizeof(m->name)));
		FUZZ_CHECK(memchr(m->addr, '\0', sizeof(m->addr)));
		FUZZ_CHECK(memchr(m->software_load_id, '\0', sizeof(m->software_load_id)));
		FUZZ_CHECK((m->sflag & ~(uint32_t)FLAGS) == 0);
		uint32_t role = m->sflag & CMM_ROLE_MASK;
		FUZZ_CHECK(role == 0 || role == CMM_MASTER || role == CMM_VICEMASTER ||
			   role == CMM_OUT_OF_CLUSTER);
	}
	v.local = v.n ? 0 : -1;
	for (size_t i = 0; i < v.n; i++) {
		struct cmmi_node *n = cmmi_view_by_id(&v, v.nodes[i].m.nodeid);
		FUZZ_CHECK(n && n->m.nodeid == v.nodes[i].m.nodeid && n <= &v.nodes[i]);
	}
	struct cmmi_node *master = cmmi_view_role(&v, CMM_MASTER);
	FUZZ_CHECK(!master || (master->m.sflag & CMM_MASTER));
	cmmi_view_free(&v);
	return 0;
}
