/* SPDX-License-Identifier: MIT */
/* The control file (README: "The control file"): atomic batches, begin /
 * commit / abort blocks, quoting and escapes, comments, unterminated last
 * lines, lines split across writes, and what it refuses. */
#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mount_checks.h"
#include "mount_harness.h"

TestSuite(control, .init = mnt_setup, .fini = teardown, .timeout = 60);

/* A script that hangs (a request the daemon never answers) is killed
 * after 20 s, so that the test fails instead of timing out. */
#define WATCHDOG WATCHDOG_AFTER(20)

/* "put TEXT" writes printf's expansion of TEXT to control in one write().
 * "py" runs python3 in the mount with W(text) writing one chunk to an
 * open control fd f, and ex(name) telling whether groups/name exists. */
#define PRE \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M\"; h=$(hostname)\n" \
	"put() { printf -- \"$1\" > \"$D/.put\"; cat \"$D/.put\" > control; }\n" \
	"py() { python3 -c \"import os, sys, errno\n" \
	"f = os.open('control', os.O_WRONLY)\n" \
	"def W(t):\n" \
	"    return os.write(f, t.encode() if isinstance(t, str) else t)\n" \
	"def ex(n):\n" \
	"    return 'y' if os.path.isdir('groups/' + n) else 'n'\n" \
	"def C():\n" \
	"    try:\n" \
	"        os.close(f)\n" \
	"        return 'ok'\n" \
	"    except OSError as e:\n" \
	"        return errno.errorcode[e.errno]\n" \
	"def T(t):\n" \
	"    try:\n" \
	"        W(t)\n" \
	"        return 'ok'\n" \
	"    except OSError as e:\n" \
	"        return errno.errorcode[e.errno]\n" \
	"$1\"; }\n"

static void run(const char *script)
{
	free(out_of(script));
}

#define GROUPS_ONLY "ls groups | { grep -v -e '^Available Storage$' -e '^Cluster Group$' || true; } | paste -sd ' '"

/* --- atomic batches --- */

Test(control, batch_applies_in_order)
{
	/* Later lines see what earlier lines of the same batch made. */
	run("put 'type-create T\\ngroup-create web\\nresource-create a T web\\nresource-create b T web\\n"
	    "resource-depend b a\\ngroup-online web\\ngroup-rename web www\\n'");
	expect_out("online\nonline\na\nwww\n", "cat groups/www/state resources/b/state resources/b/dependencies "
					       "resources/a/group");
	stop_check(true);
}

Test(control, failing_line_fails_the_whole_batch)
{
	run("mkdir groups/web");
	/* Each batch fails at its last line: nothing of it is applied. */
	expect_err("No such file or directory", "put 'group-create a\\ngroup-create b\\ngroup-online nosuch\\n'");
	expect_err("File exists", "put 'group-create a\\ngroup-create web\\ngroup-create b\\n'");
	expect_err("Invalid argument", "put 'group-create a\\ngroup-create b\\nfrobnicate\\n'");
	expect_err("Invalid argument", "put 'group-create a\\ngroup-create \"b\\n'");
	expect_err("Too many levels of symbolic links",
		   "put 'type-create T\\nresource-create x T web\\nresource-create y T web\\n"
		   "resource-depend x y\\nresource-depend y x\\n'");
	expect_err("Device or resource busy",
		   "put 'type-create T\\nresource-create x T web\\nresource-online x\\ntype-delete T\\n'");
	expect_out("web\n", GROUPS_ONLY);
	expect_out("7\n", "ls resourcetypes | wc -l");
	expect_out("0\n", "ls resources | grep -c -e '^x$' -e '^y$' || true; ls groups/web/resources");
	/* State changes in a refused batch are undone too. */
	expect_err("No such file or directory", "put 'group-online web\\ngroup-offline \"Cluster Group\"\\n"
						"group-online nosuch\\n'");
	expect_out("offline\nonline\n", "cat groups/web/state 'groups/Cluster Group/state'");
	/* The same batch without its bad line applies whole. */
	run("put 'group-create a\\ngroup-create b\\n'");
	expect_out("a b web\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, errno_of_the_first_failing_line)
{
	run("mkdir groups/web");
	/* A line that does not parse fails the whole write before anything
	 * is applied (README): EINVAL, though line 2 would fail too. */
	expect_err("Invalid argument", "put 'group-create a\\ngroup-create web\\nfrobnicate\\n'");
	/* Line 2 fails (ENOENT) before line 3 would (EEXIST). */
	expect_err("No such file or directory", "put 'group-create a\\ngroup-online nosuch\\ngroup-create web\\n'");
	expect_out("web\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, thousand_line_batch)
{
	run("seq -f 'group-create g%g' 1 1000 > $D/b; cat $D/b > control");
	expect_out("1002\nyes\n", "ls groups | wc -l; [ -d groups/g1 ] && [ -d groups/g1000 ] && echo yes");
	/* 1,000 lines whose last fails: none of them. */
	expect_err("File exists", "seq -f 'group-create h%g' 1 999 > $D/b; echo 'group-create g1' >> $D/b; "
				  "cat $D/b > control");
	expect_out("0\n", "ls groups | grep -c '^h' || true");
	/* 1,000 state changes in one batch. */
	run("seq -f 'group-online g%g' 1 1000 > $D/b; cat $D/b > control");
	expect_out("1000\n", "cat groups/g*/state | grep -c online");
	stop_check(true);
}

/* --- begin / commit / abort --- */

Test(control, begin_commit_from_the_shell)
{
	/* Shell builtins write line by line: a block groups them. */
	run("printf '%s\\n' begin 'type-create T' 'group-create web' 'resource-create ip \"IP Address\" web' "
	    "'resource-create app T web' 'resource-depend app ip' 'group-online web' commit > control");
	expect_out("online\nonline\nip\n", "cat groups/web/state resources/app/state resources/app/dependencies");
	/* A failing line inside a block: the commit fails, nothing applies. */
	expect_err("File exists", "printf '%s\\n' begin 'group-create a' 'group-create web' 'group-create b' "
				  "commit > control");
	expect_out("web\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, held_lines_wait_for_commit)
{
	expect_out("ok n ok n ok y y\n",
		   "py \"r = [T('begin\\\\n'), ex('a'), T('group-create a\\\\ngroup-create b\\\\n'), ex('a'), "
		   "T('commit\\\\n'), ex('a'), ex('b')]\n"
		   "print(*r)\"");
	/* Lines after commit in the same write belong to the batch too. */
	expect_out("ok n ok y y\n",
		   "py \"r = [T('begin\\\\ngroup-create c\\\\n'), ex('c'), T('commit\\\\ngroup-create d\\\\n'), "
		   "ex('c'), ex('d')]\n"
		   "print(*r)\"");
	stop_check(true);
}

Test(control, failing_block_applies_nothing)
{
	run("mkdir groups/web");
	expect_out("ok ok EEXIST n n\n",
		   "py \"r = [T('begin\\\\n'), T('group-create a\\\\ngroup-create web\\\\n'), T('commit\\\\n'), "
		   "ex('a'), ex('web2')]\n"
		   "print(*r)\"");
	/* Also when the failing line cannot even be parsed. */
	expect_out("n n\n", "printf '%s\\n' begin 'group-create a' frobnicate 'group-create b' commit "
			    "> control 2>/dev/null || true\n"
			    "[ -d groups/a ] && echo -n 'y ' || echo -n 'n '; [ -d groups/b ] && echo y || echo n");
	expect_out("web\n", GROUPS_ONLY);
	/* The file works normally afterwards. */
	run("echo 'group-create after' > control");
	expect_out("after web\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, abort_drops_held_lines)
{
	run("printf '%s\\n' begin 'group-create a' 'group-create b' abort > control");
	expect_out("\n", GROUPS_ONLY);
	expect_out("ok ok ok n ok y\n",
		   "py \"r = [T('begin\\\\ngroup-create a\\\\n'), T('abort\\\\n'), T('group-create c\\\\n'), ex('a'), "
		   "T('begin\\\\ngroup-create d\\\\ncommit\\\\n'), ex('d')]\n"
		   "print(*r)\"");
	expect_out("c d\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, open_begin_at_close_is_dropped)
{
	expect_out("ok ok EINVAL n\n",
		   "py \"r = [T('begin\\\\n'), T('group-create a\\\\n'), C(), ex('a')]\n"
		   "print(*r)\"");
	/* The same from the shell: nothing applied. */
	run("printf '%s\\n' begin 'group-create b' > control || true");
	expect_out("\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, block_words_out_of_place)
{
	expect_err("Invalid argument", "echo commit > control");
	expect_err("Invalid argument", "echo abort > control");
	expect_out("ok EINVAL ok y\n",
		   "py \"r = [T('begin\\\\n'), T('begin\\\\n'), T('group-create a\\\\ncommit\\\\n'), ex('a')]\n"
		   "print(*r)\"");
	stop_check(true);
}

/* --- the text of a line --- */

Test(control, quoting_and_escapes)
{
	run("echo 'group-create \"web tier\"' > control");
	expect_out("offline\n", "cat 'groups/web tier/state'");
	/* \\\" \\\\ \\t inside quotes. */
	run("echo 'set group \"web tier\" Description \"say \\\"hi\\\"\\tthere \\\\ now\"' > control");
	expect_out("say \"hi\"\tthere \\ now\n", "cat 'groups/web tier/description'");
	/* \\xHH: UTF-8 bytes of a name. */
	run("echo 'group-create \"caf\\xc3\\xa9\"' > control");
	expect_out("offline\n", "cat groups/caf\xc3\xa9/state");
	/* \\n and \\r in a value. */
	run("mkdir registry/K; echo 'reg-set K m REG_MULTI_SZ \"one\\ntwo\"' > control; "
	    "echo 'reg-set K r REG_SZ \"a\\rb\"' > control");
	expect_out("one\ntwo\na\rb\n", "cat registry/K/m registry/K/r");
	/* \\x00 through reg-set-raw. */
	run("echo 'reg-set-raw K b REG_BINARY \"\\x00\\x7f\\x80\"' > control");
	expect_out(" 00 7f 80\n", "od -An -tx1 registry/K/b");
	/* An empty quoted argument; # inside quotes is no comment. */
	run("echo 'group-create \"#hash\"' > control; echo 'set group \"#hash\" Description \"\"' > control");
	expect_out("\n", "cat 'groups/#hash/description'");
	/* Blanks and tabs between arguments. */
	run("printf 'group-create  \\t  spaced \\t\\n' > $D/l; cat $D/l > control");
	expect_out("offline\n", "cat groups/spaced/state");
	/* Bad quoting changes nothing. */
	expect_err("Invalid argument", "echo 'group-create \"unterminated' > control");
	expect_err("Invalid argument", "echo 'group-create \"bad\\qescape\"' > control");
	expect_err("Invalid argument", "echo 'group-create \"bad\\xZZ\"' > control");
	expect_err("Invalid argument", "echo 'group-create \"a\"b' > control");
	expect_err("Invalid argument", "echo 'group-create a\"b' > control");
	expect_err("Invalid argument", "echo 'group-create \"ends in backslash\\' > control");
	expect_out("#hash caf\xc3\xa9 spaced web tier\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, objects_by_name_or_id)
{
	run("mkdir groups/web; mkdir resourcetypes/T");
	run("echo \"resource-create r $(cat resourcetypes/T/id) $(cat groups/web/id)\" > control");
	expect_out("T\nweb\n", "cat resources/r/type resources/r/group");
	run("echo \"group-online $(cat groups/web/id)\" > control; "
	    "echo \"resource-rename $(cat resources/r/id) r2\" > control");
	expect_out("online\nonline\n", "cat groups/web/state resources/r2/state");
	run("echo \"node-add n2 2 10.0.0.2\" > control; echo \"group-move web $(cat nodes/n2/id)\" > control");
	expect_out("n2\n", "cat groups/web/owner");
	stop_check(true);
}

Test(control, comments_and_blank_lines)
{
	run("put '# a comment\\n\\n   \\n\\t\\ngroup-create a\\n   # an indented comment\\n#group-create x\\n"
	    "group-create b\\n\\n'");
	expect_out("a b\n", GROUPS_ONLY);
	/* A write of only comments and blank lines succeeds and does nothing. */
	run("put '# nothing\\n\\n'");
	run("echo '# also nothing' > control; echo > control");
	expect_out("a b\n", GROUPS_ONLY);
	stop_check(true);
}

/* --- lines and writes --- */

Test(control, unterminated_last_line_runs_at_close)
{
	/* Not before close; at close. */
	expect_out("ok n ok y\n", "py \"r = [T('group-create a'), ex('a'), C(), ex('a')]\n"
				  "print(*r)\"");
	/* From the shell. */
	run("printf 'group-create b' > control");
	expect_out("a b\n", GROUPS_ONLY);
	/* Its error is close's. */
	expect_out("ok EEXIST\n", "py \"r = [T('group-create a'), C()]\n"
				  "print(*r)\"");
	expect_out("ok EINVAL\n", "py \"r = [T('frobnicate'), C()]\n"
				  "print(*r)\"");
	expect_out("a b\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, line_split_across_writes)
{
	/* python writes chunks that cut lines anywhere. */
	expect_out("ok y n ok y y n ok y\n",
		   "py \"r = [T('group-create a\\\\ngroup-cr'), ex('a'), ex('b'), T('eate b\\\\ngrou'), ex('b'), "
		   "ex('b'), ex('c'), T('p-create c\\\\n'), ex('c')]\n"
		   "print(*r)\"");
	/* One byte at a time. */
	expect_out("ok\n", "py \"for ch in 'group-create d\\\\ngroup-create e\\\\n':\n"
			   "    W(ch)\n"
			   "print(C())\"");
	expect_out("a b c d e\n", GROUPS_ONLY);
	/* A split batch: only the complete lines of each write form it. */
	expect_out("ok EEXIST y n\n",
		   "py \"r = [T('group-create f\\\\ngroup-create g'), T('\\\\ngroup-create a\\\\n'), ex('f'), ex('g')]\n"
		   "print(*r)\"");
	stop_check(true);
}

Test(control, writers_have_their_own_lines)
{
	/* Two open control files: their partial lines do not mix. */
	expect_out("y y\n",
		   "python3 -c \"import os\n"
		   "a = os.open('control', os.O_WRONLY)\n"
		   "b = os.open('control', os.O_WRONLY)\n"
		   "os.write(a, b'group-cr')\n"
		   "os.write(b, b'group-create x\\\\ngroup-')\n"
		   "os.write(a, b'eate y\\\\n')\n"
		   "os.write(b, b'create z\\\\n')\n"
		   "os.close(a)\n"
		   "os.close(b)\n"
		   "print('y' if os.path.isdir('groups/y') else 'n', 'y' if os.path.isdir('groups/z') else 'n')\"");
	expect_out("x y z\n", GROUPS_ONLY);
	stop_check(true);
}

Test(control, reading_is_refused)
{
	expect_err("Permission denied", "cat control");
	expect_err("Permission denied", "exec 3<>control");
	expect_out("EBADF\n", "py \"try:\n"
			      "    os.read(f, 10)\n"
			      "    print('read')\n"
			      "except OSError as e:\n"
			      "    print(errno.errorcode[e.errno])\"");
	expect_out("220\n", "stat -c %a control");
	stop_check(true);
}
