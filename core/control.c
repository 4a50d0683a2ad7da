/* SPDX-License-Identifier: MIT */
#include "control.h"

#include <errno.h>
#include <string.h>

#include "cmd.h"

enum ctl_word { CTL_CMD, CTL_BEGIN, CTL_COMMIT, CTL_ABORT, CTL_SKIP };

static enum ctl_word ctl_word(const char *s, size_t k)
{
	if (k == 0 || *s == '#')
		return CTL_SKIP;
	if (k == 5 && memcmp(s, "begin", 5) == 0)
		return CTL_BEGIN;
	if (k == 6 && memcmp(s, "commit", 6) == 0)
		return CTL_COMMIT;
	if (k == 5 && memcmp(s, "abort", 5) == 0)
		return CTL_ABORT;
	return CTL_CMD;
}

int cfs_ctl_parse(struct cfs_ctl *ctl, const char *text, size_t len, cfs_ctl_backend_fn backend,
		  void *ud, struct cfs_vec *batch, const char **why, int *ret_line)
{
	const char *p = text, *end = text + len;
	size_t held_before = ctl->held.n;
	bool in_block_before = ctl->in_block;
	int line = 0, r = 0;
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		const char *s = p;
		size_t k = n;
		while (k && (*s == ' ' || *s == '\t'))
			s++, k--;
		while (k && (s[k - 1] == '\r' || s[k - 1] == ' ' || s[k - 1] == '\t'))
			k--;
		p += n + (nl ? 1 : 0);
		switch (ctl_word(s, k)) {
		case CTL_SKIP:
			continue;
		case CTL_BEGIN:
			if (ctl->in_block) {
				*why = "begin inside begin";
				r = -EINVAL;
			}
			ctl->in_block = true;
			continue;
		case CTL_COMMIT:
		case CTL_ABORT:
			if (!ctl->in_block) {
				*why = "commit or abort without begin";
				r = -EINVAL;
				break;
			}
			ctl->in_block = false;
			for (size_t i = 0; i < ctl->held.n; i++) {
				/* After a failed push the rest is freed, not kept. */
				if (r < 0 || ctl_word(s, k) == CTL_ABORT)
					cfs_cmd_free(ctl->held.v[i]);
				else if ((r = cfs_vec_push(batch, ctl->held.v[i])) < 0)
					cfs_cmd_free(ctl->held.v[i]);
			}
			ctl->held.n = 0;
			held_before = 0;
			continue;
		case CTL_CMD:
			break;
		}
		if (r < 0)
			break;
		struct cfs_vec *to = ctl->in_block ? &ctl->held : batch;
		if (k > 4 && memcmp(s, "sim", 3) == 0 && (s[3] == ' ' || s[3] == '\t')) {
			/* A back-end line: its commands join the batch. */
			r = backend(ud, s, k, to, why);
			continue;
		}
		struct cfs_cmd *c;
		r = cfs_cmd_parse(s, k, &c, why);
		if (r == 0 && (r = cfs_vec_push(to, c)) < 0)
			cfs_cmd_free(c);
	}
	if (r < 0) {
		*ret_line = line;
		while (ctl->held.n > held_before)
			cfs_cmd_free(ctl->held.v[--ctl->held.n]);
		ctl->in_block = in_block_before;
	}
	return r;
}

bool cfs_ctl_end(struct cfs_ctl *ctl)
{
	bool open_block = ctl->in_block;
	while (ctl->held.n)
		cfs_cmd_free(ctl->held.v[--ctl->held.n]);
	ctl->in_block = false;
	return open_block;
}

void cfs_ctl_free(struct cfs_ctl *ctl)
{
	if (!ctl)
		return;
	cfs_ctl_end(ctl);
	cfs_vec_free(&ctl->held);
}
