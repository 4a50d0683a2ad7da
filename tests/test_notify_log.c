/* SPDX-License-Identifier: MIT */
/* The event log (README: "The event log"): one line per change record,
 * followed live by `tail -f`, in the README's format, its size fresh at
 * once, the same after a restart, and rotated in generations.
 *
 * The records to compare with come from a port with filter `all` (read by
 * tests/port_client, in $PORT_CLIENT); lg.py (below, written to the test's
 * directory) formats each one as the README says and compares with the
 * log's line of the same seq. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mount_harness.h"

/* lg.py: the README line of each record, compared with the log. */
static const char LG_PY[] =
	"# The event log's line for each port record (README: \"The event log\").\n"
	"# lg.py lines RECORDS LOG [plain|backslash]: compares the log's line of\n"
	"#   every record (only those whose name has no backslash, or only those\n"
	"#   whose name has one: registry key paths and the root) with the line the\n"
	"#   README's format gives; prints \"ok\" or the differences.\n"
	"import datetime, json, re, sys\n"
	"\n"
	"\n"
	"def q(s):\n"
	"    if s is None:\n"
	"        return \"-\"\n"
	"    need = s == \"\" or any(c in ' \"' or ord(c) < 0x20 or ord(c) == 0x7f for c in s)\n"
	"    if not need:\n"
	"        return s\n"
	"    out = \"\"\n"
	"    for c in s:\n"
	"        if c == '\"':\n"
	"            out += '\\\\\"'\n"
	"        elif c == \"\\\\\":\n"
	"            out += \"\\\\\\\\\"\n"
	"        elif c == \"\\n\":\n"
	"            out += \"\\\\n\"\n"
	"        elif c == \"\\t\":\n"
	"            out += \"\\\\t\"\n"
	"        elif c == \"\\r\":\n"
	"            out += \"\\\\r\"\n"
	"        elif ord(c) < 0x20 or ord(c) == 0x7f:\n"
	"            out += \"\\\\x%02x\" % ord(c)\n"
	"        else:\n"
	"            out += c\n"
	"    return '\"' + out + '\"'\n"
	"\n"
	"\n"
	"def times(raw):\n"
	"    m = re.search(r'\"time\":(\\d+)\\.(\\d{9})', raw)\n"
	"    secs, ns = int(m.group(1)), int(m.group(2))\n"
	"    base = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)\n"
	"    out = []\n"
	"    for us in (ns // 1000, (ns + 500) // 1000):\n"
	"        t = base + datetime.timedelta(microseconds=us)\n"
	"        out.append(t.strftime(\"%Y-%m-%dT%H:%M:%S.\") + \"%06dZ\" % t.microsecond)\n"
	"    return out\n"
	"\n"
	"\n"
	"def line(r, t):\n"
	"    name = r.get(\"name\")\n"
	"    if r.get(\"kind\") == \"registry\" and name == \"\":\n"
	"        name_f = \"\\\\\"\n"
	"    else:\n"
	"        name_f = q(name)\n"
	"    s = \"%s %d %s %s %s\" % (t, r[\"seq\"], r[\"kind\"], r[\"change\"], name_f)\n"
	"    if \"prop\" in r:\n"
	"        s += \" \" + q(r[\"prop\"])\n"
	"    if \"old\" in r or \"new\" in r:\n"
	"        s += \" %s -> %s\" % (q(r.get(\"old\")), q(r.get(\"new\")))\n"
	"    return s\n"
	"\n"
	"\n"
	"def main():\n"
	"    recs = []\n"
	"    for raw in open(sys.argv[2]):\n"
	"        if raw.startswith(\"{\") and '\"kind\"' in raw:\n"
	"            recs.append((json.loads(raw), raw))\n"
	"    log = {}\n"
	"    for l in open(sys.argv[3], errors=\"replace\"):\n"
	"        f = l.rstrip(\"\\n\").split(\" \")\n"
	"        if len(f) > 1 and f[1].isdigit():\n"
	"            log[int(f[1])] = l.rstrip(\"\\n\")\n"
	"    errs = []\n"
	"    which = sys.argv[4] if len(sys.argv) > 4 else \"all\"\n"
	"    if which != \"all\":\n"
	"        recs = [(r, raw) for r, raw in recs\n"
	"                if (which == \"backslash\") == (r.get(\"kind\") == \"registry\" and\n"
	"                                               (\"\\\\\" in r.get(\"name\", \"\") or r.get(\"name\") == \"\"))]\n"
	"    for r, raw in recs:\n"
	"        got = log.get(r[\"seq\"])\n"
	"        want = [line(r, t) for t in times(raw)]\n"
	"        if got not in want:\n"
	"            errs.append(\"seq %d:\\n  log:    %s\\n  README: %s\" % (r[\"seq\"], got, want[0]))\n"
	"    if not recs:\n"
	"        errs.append(\"no records\")\n"
	"    print(\"\\n\".join(errs[:12]) if errs else \"ok\")\n"
	"\n"
	"\n"
	"if __name__ == \"__main__\":\n"
	"    main()\n";

/* Bash functions for every script:
 *   C LINE...     control lines, one write (one commit) each
 *   BG            remember the last background process (for teardown)
 *   RD NAME       a reader of every record on ports/clone, registered when
 *                 RD returns; it stops 2 s after its last record; its
 *                 records in $D/NAME.out
 *   WR NAME...    waits for readers to end
 *   LASTSEQ       the newest record's seq (from the log) */
static const char PRE[] =
	"set -e -o pipefail\n"
	"export LC_ALL=C\n"
	"cd \"$M\"\n"
	"PC=\"$PORT_CLIENT\"\n"
	"[ -x \"$PC\" ] || { echo \"PORT_CLIENT is not set or not executable: '$PC'\" >&2; exit 1; }\n"
	"BG() { echo $! >> \"$D/bg.pids\"; }\n"
	"C() { for l in \"$@\"; do printf '%s\\n' \"$l\" > control; done; }\n"
	"RD() { rm -f \"$D/$1.ready\"\n"
	"  READY=\"$D/$1.ready\" FILTER=all TIMEOUT=2 timeout 300 \"$PC\" select ports/clone 100000000 "
	"> \"$D/$1.out\" 2> \"$D/$1.err\" &\n"
	"  echo $! > \"$D/$1.pid\"; BG\n"
	"  for i in $(seq 1000); do [ -e \"$D/$1.ready\" ] && return 0; sleep 0.02; done\n"
	"  echo \"reader $1 did not start\" >&2; return 1; }\n"
	"WR() { local n; for n in \"$@\"; do wait $(cat \"$D/$n.pid\") || true; done; }\n"
	"LASTSEQ() { tail -n 1 log | cut -d' ' -f2; }\n"
	"LG() { python3 \"$D/lg.py\" \"$@\"; }\n";

static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2), warn_unused_result));
static char *run(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *body;
	cr_assert_geq(vasprintf(&body, fmt, ap), 0);
	va_end(ap);
	char *script;
	cr_assert_geq(asprintf(&script, "%s%s", PRE, body), 0);
	free(body);
	char *out = shout("%s", script);
	free(script);
	return out;
}

static void assert_eq(const char *got, const char *expect, const char *what)
{
	cr_assert(strcmp(got, expect) == 0, "%s\ngot:\n%s\nexpected:\n%s", what, got, expect);
}

static void setup(void)
{
	mnt_setup();
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/lg.py", M.dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(LG_PY, f);
	fclose(f);
}

/* Kills what the scripts left running (by pid), stops the daemon (aborting
 * its connection if it hangs) and removes everything. */
static void teardown(void)
{
	if (M.dir[0]) {
		char *o = NULL;
		sh(&M, &o, NULL, "[ -f \"$D/bg.pids\" ] && for p in $(cat \"$D/bg.pids\"); do "
				 "kill $p 2>/dev/null; done; true");
		free(o);
	}
	if (M.pid > 0) {
		pid_t pid = M.pid;
		kill(pid, SIGTERM);
		int i;
		for (i = 0; i < 500 && waitpid(pid, NULL, WNOHANG) != pid; i++)
			usleep(10000);
		if (i == 500) {
			char cmd[2 * PATH_MAX + 512];
			snprintf(cmd, sizeof(cmd),
				 ABORT_MOUNT_SH("'%s'"),
				 M.mnt);
			if (system(cmd) != 0) {
				/* Best effort. */
			}
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		M.pid = 0;
	}
	mnt_cleanup(&M);
}

TestSuite(log, .init = setup, .fini = teardown, .timeout = 120);

/* A scenario with every kind of change, some apart and some in a burst. */
static const char SCENARIO[] =
	"mkdir 'groups/my group'\n"
	"sleep 0.2\n"
	"echo online > 'groups/my group/state'\n"
	"echo 'desc text' > 'groups/my group/description'\n"
	"sleep 0.3\n"
	"C 'resource-create ip \"IP Address\" \"my group\"' 'resource-create app \"IP Address\" \"my group\"' "
	"  'resource-depend app ip'\n"
	"mv 'groups/my group' groups/web\n"
	"C 'group-online web' 'group-offline web'\n"
	"sleep 0.2\n"
	"C 'reg-set \"\" RootVal REG_SZ hi' 'reg-create-key LK' 'reg-set LK v REG_SZ \"a b\"' "
	"  'reg-set LK q REG_SZ \"say \\\"hi\\\"\"' 'reg-set LK t REG_SZ \"tab\\there\"' "
	"  'reg-set LK n REG_MULTI_SZ \"l1\\nl2\"' 'reg-create-key LK\\Sub' 'reg-set LK\\Sub d REG_DWORD 7' "
	"  'reg-set-raw LK b REG_BINARY \"\\x00\\x01AB\"' 'reg-rename-key LK\\Sub Sub2' 'reg-delete LK v' "
	"  'reg-security LK 0700 0 0'\n"
	"C 'cluster-rename \"my cluster\"' 'cluster-rename testcluster'\n"
	"C \"node-state $(hostname) pause\" \"node-state $(hostname) resume\"\n"
	"C 'resource-rename app app2' 'resource-delete app2' 'resource-delete ip'\n"
	"mkdir resourcetypes/MyType; rmdir resourcetypes/MyType\n"
	"rmdir groups/web\n";

/* tail -f follows every change, in seq order, as the log has it. */
Test(log, tail_follows_every_change)
{
	char *out = run("s0=$(LASTSEQ)\n"
			"timeout 60 tail -n 0 -f -s 0.1 log > \"$D/tail.out\" 2> \"$D/tail.err\" & t=$!; BG\n"
			"sleep 0.5\n"
			"%s"
			"s1=$(LASTSEQ)\n"
			"sleep 0.8\n"
			"kill $t; wait $t || true\n"
			"awk -v a=$s0 '$2 > a' log > \"$D/expect\"\n"
			"[ $(wc -l < \"$D/expect\") -gt 50 ] && echo 'many records'\n"
			"[ \"$(cut -d' ' -f2 \"$D/expect\")\" = \"$(seq $((s0 + 1)) $s1)\" ] && echo 'log: every seq'\n"
			"cmp \"$D/expect\" \"$D/tail.out\" && echo 'tail: the same lines'\n"
			"diff \"$D/expect\" \"$D/tail.out\" | head -n 10\n",
			SCENARIO);
	assert_eq(out, "many records\nlog: every seq\ntail: the same lines\n",
		  "tail -n 0 -f -s 0.1 log during the scenario, against the log's new lines");
	free(out);
}

/* Every record of the scenario has its line, in the README's format:
 * TIME SEQ KIND CHANGE NAME [PROP] [OLD -> NEW]. */
Test(log, line_format_of_every_record)
{
	char *out = run("RD all\n"
			"%s"
			"WR all\n"
			"[ $(grep -c '\"kind\"' \"$D/all.out\") -gt 50 ] && echo 'many records'\n"
			"echo \"plain: $(LG lines \"$D/all.out\" log plain)\"\n"
			/* UTC with microseconds */
			"grep -cv '^[0-9]\\{4\\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\\.[0-9]\\{6\\}Z [0-9]' log || true\n",
			SCENARIO);
	assert_eq(out, "many records\nplain: ok\n0\n",
		  "the log line of every record (names without a backslash), and the time format");
	free(out);
}

/* Registry key paths and the root in the log: a field is quoted only when
 * it has blanks, quotes or control characters, and the root is `\`. */
Test(log, registry_paths_and_root)
{
	char *out = run("RD all\n"
			"C 'reg-set \"\" RootVal REG_SZ hi' 'reg-create-key LK' 'reg-create-key LK\\Sub' "
			"  'reg-set LK\\Sub d REG_DWORD 7' 'reg-create-key \"LK/With Blank\"'\n"
			"WR all\n"
			"echo \"backslash: $(LG lines \"$D/all.out\" log backslash)\"\n"
			"grep -c ' registry value_set \\\\ RootVal - -> hi$' log || true\n"
			"grep -c ' registry key_added LK\\\\Sub$' log || true\n"
			"grep -c ' registry value_set LK\\\\Sub d - -> 7$' log || true\n"
			"grep -c ' registry key_added \"LK\\\\\\\\With Blank\"$' log || true\n");
	assert_eq(out, "backslash: ok\n1\n1\n1\n1\n",
		  "log lines of registry records on the root (README: the root is \\) and on "
		  "key paths with a backslash (quoted only for blanks, quotes or control "
		  "characters)");
	free(out);
}

/* A few record kinds, field by field (the time left out). */
Test(log, line_format_examples)
{
	char *out = run("s0=$(LASTSEQ)\n"
			"mkdir groups/web\n"
			"echo online > groups/web/state\n"
			"mv groups/web 'groups/my web'\n"
			"echo 'some text' > 'groups/my web/description'\n"
			"C 'reg-create-key LK' 'reg-set LK v REG_SZ \"a b\"' 'reg-set LK q REG_SZ \"say \\\"hi\\\"\"' "
			"  'reg-set LK t REG_SZ \"tab\\there\"' 'reg-set LK n REG_MULTI_SZ \"l1\\nl2\"' "
			"  'reg-set-raw LK b REG_BINARY \"\\x00\\x01AB\"' 'reg-delete LK v' 'reg-security LK 0700 0 0' "
			"  'reg-set LK d REG_DWORD 5' 'reg-set LK d REG_DWORD 6' 'reg-rename LK d e' 'reg-delete LK t'\n"
			"awk -v a=$s0 '$2 > a' log | cut -d' ' -f3- | grep -v '^registry .* \"\\?Groups\\\\'\n");
	assert_eq(out, "group added web - -> offline\n"
		       "group state web offline -> online\n"
		       "group renamed \"my web\" web -> \"my web\"\n"
		       "group property \"my web\" Description - -> \"some text\"\n"
		       "registry key_added LK\n"
		       "registry value_set LK v - -> \"a b\"\n"
		       "registry value_set LK q - -> \"say \\\"hi\\\"\"\n"
		       "registry value_set LK t - -> \"tab\\there\"\n"
		       "registry value_set LK n - -> \"l1\\nl2\"\n"
		       "registry value_set LK b - -> 00014142\n"
		       "registry value_deleted LK v \"a b\" -> -\n"
		       "registry security LK \"0755 0 0\" -> \"0700 0 0\"\n"
		       "registry value_set LK d - -> 5\n"
		       "registry value_set LK d 5 -> 6\n"
		       "registry value_renamed LK e d -> e\n"
		       "registry value_deleted LK t \"tab\\there\" -> -\n",
		  "log lines (from the third field on) of group and registry changes");
	free(out);
}

/* The log's size is fresh at once after every change (no waiting), and so
 * is its modification time. */
Test(log, size_and_time_fresh)
{
	char *out = run("bad=0\n"
			"for i in $(seq 30); do\n"
			"  s=$(stat -c %%s log); t=$(stat -c %%.9Y log)\n"
			"  case $((i %% 3)) in\n"
			"    0) C \"reg-set R v$i REG_SZ x\" 2>/dev/null || C 'reg-create-key R' \"reg-set R v$i REG_SZ x\" ;;\n"
			"    1) mkdir groups/g$i ;;\n"
			"    2) echo online > groups/g$((i - 1))/state ;;\n"
			"  esac\n"
			"  n=$(stat -c %%s log); u=$(stat -c %%.9Y log); w=$(wc -c < log)\n"
			"  if [ $n -le $s ] || [ $n != $w ]; then echo \"change $i: size $s -> $n, content $w bytes\"; bad=1; fi\n"
			"  if ! python3 -c 'import sys; sys.exit(0 if float(sys.argv[2]) > float(sys.argv[1]) else 1)' $t $u; then\n"
			"    echo \"change $i: mtime $t -> $u\"; bad=1; fi\n"
			"done\n"
			"[ $bad = 0 ] && echo fresh\n"
			"[ \"$(stat -c %%s log)\" = \"$(cat log | wc -c)\" ] && echo 'size = content'\n");
	assert_eq(out, "fresh\nsize = content\n", "stat of log right after each of 30 changes");
	free(out);
}

/* The log is the same after a restart (clean, then after kill -9), and
 * goes on with the next sequence numbers. */
Test(log, survives_restart)
{
	free(run("mkdir groups/a; echo online > groups/a/state; C 'reg-create-key K' 'reg-set K v REG_SZ \"x y\"'\n"
	         "cp log \"$D/log.before\"; cp log.1 \"$D/log1.before\"\n"));
	mnt_stop_daemon(&M);
	mnt_start(&M, NULL);
	char *out = run("cmp log \"$D/log.before\" && echo 'log: same'\n"
			"cmp log.1 \"$D/log1.before\" && echo 'log.1: same'\n"
			"s=$(LASTSEQ)\n"
			"mkdir groups/b\n"
			"head -c $(stat -c %%s \"$D/log.before\") log | cmp - \"$D/log.before\" && echo 'old lines kept'\n"
			"[ \"$(awk -v a=$s '$2 > a { print $2 }' log | head -n 1)\" = $((s + 1)) ] && echo 'seq goes on'\n"
			"grep -c ' group added b - -> offline$' log\n"
			"cp log \"$D/log.before\"\n");
	assert_eq(out, "log: same\nlog.1: same\nold lines kept\nseq goes on\n1\n", "after a clean restart");
	free(out);
	mnt_kill9(&M);
	mnt_start(&M, NULL);
	out = run("cmp log \"$D/log.before\" && echo 'log: same'\n"
		  "grep -c ' group added b - -> offline$' log\n");
	assert_eq(out, "log: same\n1\n", "after kill -9 and a start");
	free(out);
}

/* Generations of 32,768 records: log starts again empty, log.1 holds the
 * previous one, and tail -f reports the truncation and follows on. */
Test(log, rotation, .timeout = 300)
{
	char *out = run("timeout 120 tail -n 0 -f -s 0.1 log > \"$D/tail.out\" 2> \"$D/tail.err\" & t=$!; BG\n"
			"sleep 0.5\n"
			"l=$(LASTSEQ)\n"
			"n=$(( 32768 - l %% 32768 + 300 ))\n"
			"python3 - \"$n\" <<'PY'\n"
			"import os, sys\n"
			"n = int(sys.argv[1])\n"
			"fd = os.open('control', os.O_WRONLY)\n"
			"os.write(fd, b'reg-create-key Load\\n')\n"
			"i = 1\n"
			"while i < n:\n"
			"    k = min(2000, n - i)\n"
			"    os.write(fd, ''.join('reg-set Load v%%d REG_SZ x%%d\\n' %% ((i + j) %% 500, i + j) for j in range(k)).encode())\n"
			"    i += k\n"
			"PY\n"
			"last=$(LASTSEQ)\n"
			"g=$(( (last - 1) / 32768 ))\n"
			"[ $last = $((l + n)) ] && echo 'all records'\n"
			"[ \"$(head -n 1 log | cut -d' ' -f2)\" = $((g * 32768 + 1)) ] && echo 'log: starts the generation'\n"
			"[ \"$(cut -d' ' -f2 log)\" = \"$(seq $((g * 32768 + 1)) $last)\" ] && echo 'log: every record of it'\n"
			"[ \"$(cut -d' ' -f2 log.1)\" = \"$(seq $(( (g - 1) * 32768 + 1)) $((g * 32768)))\" ] && echo 'log.1: the previous one'\n"
			"[ \"$(stat -c %%s log)\" = \"$(cat log | wc -c)\" ] && echo 'size'\n"
			/* tail polls: wait (up to 30 s) for it to reach the end */
			"for i in $(seq 300); do\n"
			"  [ \"$(tail -n 1 \"$D/tail.out\")\" = \"$(tail -n 1 log)\" ] && break; sleep 0.1\n"
			"done\n"
			"kill $t; wait $t || true\n"
			"grep -q 'truncated' \"$D/tail.err\" && echo 'tail: truncated'\n"
			"tail -n $(wc -l < log) \"$D/tail.out\" | cmp -s - log && echo 'tail: follows on'\n");
	assert_eq(out, "all records\nlog: starts the generation\nlog: every record of it\n"
		       "log.1: the previous one\nsize\ntail: truncated\ntail: follows on\n",
		  "crossing a generation boundary");
	free(out);
}
