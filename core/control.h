/* SPDX-License-Identifier: MIT */
/* The control file's language, without FUSE (fs/fs_control.c feeds it
 * what is written to the mount's `control` file).
 *
 * The complete lines of one write() form one batch: all of them apply or
 * none does, and the write returns the first failing line's errno. Lines
 * written by separate writes (shell builtins write line by line) are
 * grouped by a "begin" line and a "commit" line: the lines in between are
 * held, and the write that carries "commit" submits them, with any other
 * lines of that write, as one batch. "abort" drops held lines.
 *
 * Each line is trimmed of leading blanks and of trailing blanks and CRs.
 * An empty line or one starting with '#' is skipped. A line starting with
 * "sim" and a blank is a back-end line: the back-end callback turns it
 * into commands. Any other line is a command (cfs_cmd_parse, cmd.h).
 *
 * A struct cfs_ctl is one open control file's state between writes; it is
 * not locked (the caller serializes). Zero-initialized is empty. */
#ifndef CFS_CONTROL_H
#define CFS_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct cfs_ctl {
	struct cfs_vec held; /* commands between "begin" and "commit" */
	bool in_block;	     /* after a "begin" */
};

/* Turns a back-end line (trimmed, no newline) into commands appended to
 * cmds. 0 or -errno with a static reason in *why. */
typedef int (*cfs_ctl_backend_fn)(void *ud, const char *line, size_t len, struct cfs_vec *cmds,
				  const char **why);

/* Parses the lines of text (len bytes; a last line without newline counts
 * as complete) into *batch (owned struct cfs_cmd pointers; outside a
 * block) or ctl->held (inside one). backend (not NULL) takes the back-end
 * lines, with ud.
 * Returns 0, or -errno with a static reason in *why (may stay NULL:
 * then strerror says it) and the failing line's number in *ret_line
 * (1-based, counted in text). On failure nothing this text added to
 * ctl->held is kept and ctl->in_block is as before; *batch may hold
 * commands (those of this text, and those a "commit" moved out of
 * ctl->held) that the caller frees. */
int cfs_ctl_parse(struct cfs_ctl *ctl, const char *text, size_t len, cfs_ctl_backend_fn backend,
		  void *ud, struct cfs_vec *batch, const char **why, int *ret_line);

/* Drops the held commands and ends an open block (at close). Returns true
 * when a block was open. */
bool cfs_ctl_end(struct cfs_ctl *ctl);

/* Frees the held commands. NULL is a no-op. */
void cfs_ctl_free(struct cfs_ctl *ctl);

#endif
