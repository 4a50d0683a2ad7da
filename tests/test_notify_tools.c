/* SPDX-License-Identifier: MIT */
/* The special files with the tools that read a stream and stop (README:
 * "Ports", "Reading with tools"): head -n, head -c, sed, grep -m1 and awk
 * on ports/P/events print nothing on stderr, and what a tool did not
 * read comes again at the next open (start continue). The log, control
 * and ports/clone with the same tools. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mount_checks.h"
#include "mount_harness.h"

#define WATCHDOG WATCHDOG_AFTER(30)

/* PRE: port t wants groups added and starts where its readers stopped
 * (it is opened once first, so that it stands at now). NAMES prints the
 * group names of the records on stdin; every tool's stderr goes to
 * $D/err, which must stay empty. */
#define PRE \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M\"\n" \
	"NAMES() { grep -o '\"name\":\"[^\"]*\"' | cut -d'\"' -f4 | paste -sd' '; }\n" \
	"if [ ! -d ports/t ]; then mkdir ports/t; echo 'kind=group change=added' > ports/t/filter;" \
	" echo continue > ports/t/start; exec 3< ports/t/events; exec 3<&-; fi\n" \
	"E=\"$D/err\"; touch \"$E\"\n"

TestSuite(tools, .init = mnt_setup, .fini = teardown, .timeout = 120);

/* head -n 1 three times: one record each, in order, none lost; head
 * seeks back over what it read ahead, without a word on stderr. */
Test(tools, head_lines_one_after_another)
{
	expect_out("g1\ng2\ng3\ng4 g5\nstderr: \n",
		   "mkdir groups/g1 groups/g2 groups/g3 groups/g4 groups/g5\n"
		   "for i in 1 2 3; do head -n 1 ports/t/events 2>> \"$E\" | NAMES; done\n"
		   "head -n 2 ports/t/events 2>> \"$E\" | NAMES\n"
		   "echo \"stderr: $(cat \"$E\")\"\n");
}

/* head -c N stops inside a record: the record was not consumed, and the
 * next reader gets it whole (its first N bytes are what head printed). */
Test(tools, head_bytes_leaves_the_partial_record)
{
	expect_out("same start\ng1\nposition at g1\ng2\nstderr: \n",
		   "mkdir groups/g1 groups/g2\n"
		   "head -c 30 ports/t/events > \"$D/part\" 2>> \"$E\"\n"
		   "head -n 1 ports/t/events > \"$D/whole\" 2>> \"$E\"\n"
		   "[ \"$(head -c 30 \"$D/whole\")\" = \"$(cat \"$D/part\")\" ] && echo 'same start'\n"
		   "NAMES < \"$D/whole\"\n"
		   "s=$(grep -o '\"seq\":[0-9]*' \"$D/whole\" | cut -d: -f2)\n"
		   "[ \"$(grep position ports/t/stats)\" = \"position $((s + 1))\" ] && "
		   "echo 'position at g1'\n"
		   "head -n 1 ports/t/events 2>> \"$E\" | NAMES\n"
		   "echo \"stderr: $(cat \"$E\")\"\n");
}

/* grep -m1, awk that exits at its first line, sed 1q: each takes what it
 * printed and no more; sed -n 1p reads to the end of the stream (here: the
 * port is removed, then end-of-file) and prints the first record. mawk
 * fills its whole buffer before it looks at a line (as on a pipe), so it
 * runs with -W interactive; gawk needs nothing. */
Test(tools, grep_awk_sed)
{
	expect_out("grep: g2\nhead: g3\nawk: g4\nsed 1q: g5\nsed -n 1p: g6\nstderr: \n",
		   "mkdir groups/g1 groups/g2 groups/g3 groups/g4 groups/g5 groups/g6 groups/g7\n"
		   "echo \"grep: $(grep -m1 '\"g2\"' ports/t/events 2>> \"$E\" | NAMES)\"\n"
		   "echo \"head: $(head -n 1 ports/t/events 2>> \"$E\" | NAMES)\"\n"
		   "AWK=awk; awk -W version 2>&1 | grep -q mawk && AWK='awk -W interactive'\n"
		   "echo \"awk: $($AWK 'NR == 1 { print; exit }' ports/t/events 2>> \"$E\" | NAMES)\"\n"
		   "echo \"sed 1q: $(sed 1q ports/t/events 2>> \"$E\" | NAMES)\"\n"
		   "sed -n 1p ports/t/events > \"$D/sed\" 2>> \"$E\" & p=$!\n"
		   "sleep 0.3; rmdir ports/t; wait $p\n"
		   "echo \"sed -n 1p: $(NAMES < \"$D/sed\")\"\n"
		   "echo \"stderr: $(cat \"$E\")\"\n");
}

/* A tool may seek back over what it was last given and read it again;
 * not before, and not past what it was given (EINVAL). A read-write
 * reader (a program) still gets as many whole lines as fit per read. */
Test(tools, seek_back_and_stream_readers)
{
	expect_out("one line per read: True\n"
		   "again: True\n"
		   "from the start of the line: True\n"
		   "next: g2\n"
		   "before it: EINVAL\n"
		   "past it: EINVAL\n"
		   "read-write: 2 lines in one read\n",
		   "mkdir groups/g1 groups/g2 groups/g3 groups/g4\n"
		   "python3 - <<'PY'\n"
		   "import errno, json, os\n"
		   "fd = os.open('ports/t/events', os.O_RDONLY)\n"
		   "a = os.read(fd, 65536)\n"
		   "print('one line per read:', a.count(b'\\n') == 1 and a.endswith(b'\\n'))\n"
		   "os.lseek(fd, -10, os.SEEK_CUR)\n"
		   "print('again:', os.read(fd, 65536) == a[-10:])\n"
		   "os.lseek(fd, 0, os.SEEK_SET)\n"
		   "print('from the start of the line:', os.read(fd, 65536) == a)\n"
		   "b = os.read(fd, 65536)\n"
		   "print('next:', json.loads(b)['name'])\n"
		   "for what, pos in (('before it', 0), ('past it', len(a) + len(b) + 10)):\n"
		   "    os.lseek(fd, pos, os.SEEK_SET)\n"
		   "    try:\n"
		   "        os.read(fd, 100)\n"
		   "        print(what + ': read')\n"
		   "    except OSError as e:\n"
		   "        print(what + ':', errno.errorcode[e.errno])\n"
		   "os.close(fd)\n"
		   "fd = os.open('ports/t/events', os.O_RDWR)\n"
		   "print('read-write: %d lines in one read' % os.read(fd, 65536).count(b'\\n'))\n"
		   "PY\n");
}

/* The log, the control file and ports/clone with the same tools: the log
 * reads like a file; the others fail at once with a clear error. */
Test(tools, log_control_and_clone)
{
	expect_out("log: same first line from head -n 1, sed -n 1p, grep -m1, awk\n"
		   "log: head -c 10 ok\n"
		   "control: Permission denied x5\n"
		   "ports/clone: Invalid argument x5\n"
		   "stderr: \n",
		   "mkdir groups/g1\n"
		   "a=$(head -n 1 log 2>> \"$E\"); b=$(sed -n 1p log 2>> \"$E\")\n"
		   "c=$(grep -m1 . log 2>> \"$E\"); d=$(awk 'NR == 1 { print; exit }' log 2>> \"$E\")\n"
		   "[ -n \"$a\" ] && [ \"$a\" = \"$b\" ] && [ \"$a\" = \"$c\" ] && [ \"$a\" = \"$d\" ] && "
		   "echo 'log: same first line from head -n 1, sed -n 1p, grep -m1, awk'\n"
		   "[ \"$(head -c 10 log 2>> \"$E\")\" = \"${a:0:10}\" ] && echo 'log: head -c 10 ok'\n"
		   "for f in control ports/clone; do n=0\n"
		   "  for t in 'head -n 1' 'head -c 10' 'sed -n 1p' 'grep -m1 .' 'awk {exit}'; do\n"
		   "    ! timeout 5 $t $f > /dev/null 2> \"$D/e1\" && n=$((n + 1)) && cat \"$D/e1\"\n"
		   "  done | grep -o 'Permission denied\\|Invalid argument' | uniq -c | "
		   "awk -v f=$f '{ print f \": \" $2 \" \" $3 \" x\" $1 }'\n"
		   "done\n"
		   "echo \"stderr: $(cat \"$E\")\"\n");
}
