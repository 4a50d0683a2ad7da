/* SPDX-License-Identifier: MIT */
/* Notification ports (README: "Notifications", "Ports"): ports/NAME and
 * ports/clone, filters, the JSON Lines stream, blocking, poll/select/epoll,
 * snapshots, resuming, overflow, and durability across restarts.
 *
 * The readers are tests/port_client (its path in $PORT_CLIENT): it opens
 * an events file or ports/clone, writes filter and start lines, signals
 * that it is registered, and reads with select, epoll or poll, or drains
 * what is queued once told to go. The records are checked by pt.py (below,
 * written to the test's directory): against the records a port with
 * filter `all` got, against a model of the objects, or field by field. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mount_harness.h"

/* pt.py: gen, random, model, filter, seqs (see the tests). */
static const char PT_PY[] =
	"# Helpers for the port tests (written to $D/pt.py by the test).\n"
	"import json, os, random, sys, time\n"
	"\n"
	"M = os.environ.get(\"M\", \"\")\n"
	"\n"
	"\n"
	"def records(path):\n"
	"    out = []\n"
	"    for line in open(path, errors=\"replace\"):\n"
	"        line = line.strip()\n"
	"        if not line or not line.startswith(\"{\"):\n"
	"            continue\n"
	"        out.append(json.loads(line))\n"
	"    return out\n"
	"\n"
	"\n"
	"def gen(n, batch=5000, tag=\"x\", key=\"Load\"):\n"
	"    \"\"\"n registry records: reg-set of 1000 values in turn, big writes.\"\"\"\n"
	"    fd = os.open(M + \"/control\", os.O_WRONLY)\n"
	"    if not os.path.isdir(M + \"/registry/\" + key):\n"
	"        os.write(fd, (\"reg-create-key %s\\n\" % key).encode())\n"
	"        n -= 1\n"
	"    i = 0\n"
	"    while i < n:\n"
	"        k = min(batch, n - i)\n"
	"        text = \"\".join(\"reg-set %s v%d REG_SZ %s%d\\n\" % (key, (i + j) % 1000, tag, i + j)\n"
	"                       for j in range(k))\n"
	"        os.write(fd, text.encode())\n"
	"        i += k\n"
	"    os.close(fd)\n"
	"\n"
	"\n"
	"def rand_ops(seed, ops, delay=0.0):\n"
	"    \"\"\"Random changes to groups and resources; failing ones are ignored.\"\"\"\n"
	"    rnd = random.Random(seed)\n"
	"    groups = [\"g%d\" % i for i in range(8)]\n"
	"    res = [\"r%d\" % i for i in range(16)]\n"
	"    done = 0\n"
	"    for _ in range(ops):\n"
	"        g, g2, r, r2 = rnd.choice(groups), rnd.choice(groups), rnd.choice(res), rnd.choice(res)\n"
	"        op = rnd.choice([\n"
	"            \"group-create %s\" % g, \"group-create %s\" % g,\n"
	"            \"group-delete %s\" % g,\n"
	"            \"group-rename %s %s\" % (g, g2),\n"
	"            \"group-online %s\" % g, \"group-offline %s\" % g,\n"
	"            \"resource-create %s \\\"IP Address\\\" %s\" % (r, g),\n"
	"            \"resource-create %s \\\"IP Address\\\" %s\" % (r, g),\n"
	"            \"resource-delete %s\" % r,\n"
	"            \"resource-rename %s %s\" % (r, r2),\n"
	"            \"resource-online %s\" % r, \"resource-offline %s\" % r,\n"
	"            \"resource-fail %s\" % r,\n"
	"            \"resource-group %s %s\" % (r, g),\n"
	"            \"resource-depend %s %s\" % (r, r2),\n"
	"        ])\n"
	"        try:\n"
	"            with open(M + \"/control\", \"w\") as f:\n"
	"                f.write(op + \"\\n\")\n"
	"            done += 1\n"
	"        except OSError:\n"
	"            pass\n"
	"        if delay:\n"
	"            time.sleep(delay)\n"
	"    print(\"applied %d of %d\" % (done, ops), file=sys.stderr)\n"
	"\n"
	"\n"
	"def model(a_path, b_path):\n"
	"    \"\"\"Snapshot A plus the records after it must give snapshot B.\"\"\"\n"
	"    errs = []\n"
	"    a = records(a_path)\n"
	"    b = records(b_path)\n"
	"\n"
	"    def snap(recs, what):\n"
	"        objs, end, rest = {}, None, []\n"
	"        for i, r in enumerate(recs):\n"
	"            if r.get(\"change\") == \"snapshot_end\":\n"
	"                end = r\n"
	"                rest = recs[i + 1:]\n"
	"                break\n"
	"            if not r.get(\"snapshot\") or r.get(\"change\") != \"added\":\n"
	"                errs.append(\"%s: record before snapshot_end is not a snapshot 'added' record: %s\" % (what, r))\n"
	"                continue\n"
	"            objs[r[\"id\"]] = {\"kind\": r[\"kind\"], \"name\": r[\"name\"], \"state\": r.get(\"new\"),\n"
	"                             \"parent\": r.get(\"parent\")}\n"
	"        if end is None:\n"
	"            errs.append(\"%s: no snapshot_end\" % what)\n"
	"        elif end.get(\"records\") != len(objs):\n"
	"            errs.append(\"%s: snapshot_end says %s records, %d came\" % (what, end.get(\"records\"), len(objs)))\n"
	"        return objs, end, rest\n"
	"\n"
	"    objs, end_a, rest = snap(a, \"A\")\n"
	"    final, end_b, _ = snap(b, \"B\")\n"
	"    if errs:\n"
	"        return errs\n"
	"    seqs = [r[\"seq\"] for r in rest]\n"
	"    if seqs and seqs[0] < end_a[\"seq\"]:\n"
	"        errs.append(\"A: record %d after snapshot_end %d (overlap)\" % (seqs[0], end_a[\"seq\"]))\n"
	"    if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):\n"
	"        errs.append(\"A: records after the snapshot are not in increasing seq order\")\n"
	"    n = 0\n"
	"    for r in rest:\n"
	"        if r[\"seq\"] >= end_b[\"seq\"]:\n"
	"            break\n"
	"        n += 1\n"
	"        i, ch = r.get(\"id\"), r.get(\"change\")\n"
	"        if ch == \"added\":\n"
	"            if i in objs:\n"
	"                errs.append(\"seq %d: added an object that exists: %s\" % (r[\"seq\"], r))\n"
	"            objs[i] = {\"kind\": r[\"kind\"], \"name\": r[\"name\"], \"state\": \"offline\",\n"
	"                       \"parent\": r.get(\"parent\")}\n"
	"            continue\n"
	"        if i not in objs:\n"
	"            if ch not in (\"member_added\", \"member_removed\"):\n"
	"                errs.append(\"seq %d: a record about an unknown object: %s\" % (r[\"seq\"], r))\n"
	"            continue\n"
	"        o = objs[i]\n"
	"        if ch == \"deleted\":\n"
	"            del objs[i]\n"
	"        elif ch == \"renamed\":\n"
	"            if r.get(\"old\") != o[\"name\"]:\n"
	"                errs.append(\"seq %d: renamed from %r, model has %r\" % (r[\"seq\"], r.get(\"old\"), o[\"name\"]))\n"
	"            o[\"name\"] = r[\"new\"]\n"
	"        elif ch == \"state\":\n"
	"            if r.get(\"old\") != o[\"state\"]:\n"
	"                errs.append(\"seq %d: state from %r, model has %r\" % (r[\"seq\"], r.get(\"old\"), o[\"state\"]))\n"
	"            o[\"state\"] = r[\"new\"]\n"
	"        elif ch in (\"group\", \"owner\"):\n"
	"            o[\"parent\"] = r.get(\"parent\")\n"
	"    if objs != final:\n"
	"        for i in sorted(set(objs) | set(final)):\n"
	"            if objs.get(i) != final.get(i):\n"
	"                errs.append(\"%s: A + records gives %s, snapshot B has %s\" % (i, objs.get(i), final.get(i)))\n"
	"    if not errs:\n"
	"        print(\"ok: %d objects in A, %d records applied, %d objects in B\" % (\n"
	"            len(snap(a, \"A\")[0]), n, len(final)), file=sys.stderr)\n"
	"    return errs\n"
	"\n"
	"\n"
	"def match(reg, r):\n"
	"    \"\"\"1: the registration wants the record; 2: it may (the README leaves it\n"
	"    open: records reported on a group about its resources, for object=;\n"
	"    subkeys added, deleted or renamed, for registry= without subtree, as\n"
	"    Windows reports them on the parent key); 0: it does not.\"\"\"\n"
	"    if reg.get(\"all\"):\n"
	"        return 1\n"
	"    if \"kind\" in reg and r.get(\"kind\") not in reg[\"kind\"]:\n"
	"        return 0\n"
	"    if \"change\" in reg and r.get(\"change\") not in reg[\"change\"]:\n"
	"        return 0\n"
	"    if \"v1\" in reg and not (r.get(\"v1\", 0) & reg[\"v1\"]):\n"
	"        return 0\n"
	"    if \"v2\" in reg:\n"
	"        t, m = reg[\"v2\"]\n"
	"        if r.get(\"v2type\") != t or not (r.get(\"v2flags\", 0) & m):\n"
	"            return 0\n"
	"    res = 1\n"
	"    if \"object\" in reg and r.get(\"id\") != reg[\"object\"]:\n"
	"        if r.get(\"parent\") != reg[\"object\"]:\n"
	"            return 0\n"
	"        res = 2\n"
	"    if \"registry\" in reg:\n"
	"        p, sub = reg[\"registry\"]\n"
	"        n = r.get(\"name\", \"\")\n"
	"        if r.get(\"kind\") != \"registry\":\n"
	"            return 0\n"
	"        if not (n == p or (sub and n.startswith(p + \"\\\\\"))):\n"
	"            child = n.startswith(p + \"\\\\\") and \"\\\\\" not in n[len(p) + 1:]\n"
	"            if child and r.get(\"change\") in (\"key_added\", \"key_deleted\", \"key_renamed\"):\n"
	"                res = 2\n"
	"            else:\n"
	"                return 0\n"
	"    return res\n"
	"\n"
	"\n"
	"V2TYPES = {\"cluster\": 1, \"group\": 2, \"resource\": 3, \"resourcetype\": 4, \"resource_type\": 4,\n"
	"           \"netinterface\": 5, \"network_interface\": 5, \"network\": 6, \"node\": 7, \"registry\": 8}\n"
	"\n"
	"\n"
	"def parse_filter(lines):\n"
	"    regs = []\n"
	"    for line in lines:\n"
	"        w = line.split()\n"
	"        if not w:\n"
	"            continue\n"
	"        if w[0] == \"reset\":\n"
	"            regs = []\n"
	"            continue\n"
	"        if w[0] == \"remove\":\n"
	"            k = int(w[1].split(\"=\")[1])\n"
	"            regs = [g for g in regs if g[\"key\"] != k]\n"
	"            continue\n"
	"        g = {\"key\": 0}\n"
	"        i = 0\n"
	"        while i < len(w):\n"
	"            x = w[i]\n"
	"            if x == \"all\":\n"
	"                g[\"all\"] = True\n"
	"            elif x.startswith(\"kind=\"):\n"
	"                g[\"kind\"] = x[5:].split(\",\")\n"
	"            elif x.startswith(\"change=\"):\n"
	"                g[\"change\"] = x[7:].split(\",\")\n"
	"            elif x.startswith(\"v1=\"):\n"
	"                g[\"v1\"] = int(x[3:], 0)\n"
	"            elif x.startswith(\"v2=\"):\n"
	"                t, m = x[3:].split(\":\")\n"
	"                g[\"v2\"] = (V2TYPES.get(t, None) or int(t, 0), int(m, 0))\n"
	"            elif x.startswith(\"object=\"):\n"
	"                g[\"object\"] = x[7:]\n"
	"            elif x.startswith(\"registry=\"):\n"
	"                sub = i + 1 < len(w) and w[i + 1] == \"subtree\"\n"
	"                g[\"registry\"] = (x[9:], sub)\n"
	"                if sub:\n"
	"                    i += 1\n"
	"            elif x.startswith(\"key=\"):\n"
	"                g[\"key\"] = int(x[4:])\n"
	"            i += 1\n"
	"        regs.append(g)\n"
	"    return regs\n"
	"\n"
	"\n"
	"def check_filter(all_path, got_path, filter_path):\n"
	"    \"\"\"What a port with this filter got, against what 'all' got.\"\"\"\n"
	"    everything = [r for r in records(all_path) if \"seq\" in r and \"kind\" in r]\n"
	"    regs = parse_filter(open(filter_path).read().split(\"\\n\"))\n"
	"    first, last = everything[0][\"seq\"], everything[-1][\"seq\"]\n"
	"    want, maybe = [], []\n"
	"    for r in everything:\n"
	"        for g in regs:\n"
	"            m = match(g, r)\n"
	"            if m == 1:\n"
	"                want.append((r[\"seq\"], g[\"key\"]))\n"
	"            elif m == 2:\n"
	"                maybe.append((r[\"seq\"], g[\"key\"]))\n"
	"    got = [(r[\"seq\"], r.get(\"key\")) for r in records(got_path) if first <= r.get(\"seq\", -1) <= last]\n"
	"    errs = []\n"
	"    if [g[0] for g in got] != sorted(g[0] for g in got):\n"
	"        errs.append(\"records out of seq order\")\n"
	"    # one record per matching registration: compare as multisets\n"
	"    from collections import Counter\n"
	"    cg, cw, cm = Counter(got), Counter(want), Counter(maybe)\n"
	"    missing = sorted((cw - cg).elements())[:8]\n"
	"    extra = sorted((cg - cw - cm).elements())[:8]\n"
	"    if missing or extra:\n"
	"        recs_by_seq = {r[\"seq\"]: r for r in everything}\n"
	"        errs.append(\"%d (seq, key) expected, %d got; missing %s; unexpected %s\" % (\n"
	"            len(want), len(got), missing, [(s, k, recs_by_seq.get(s)) for s, k in extra[:3]]))\n"
	"    if not want:\n"
	"        errs.append(\"the scenario gives this filter nothing to match\")\n"
	"    # the records are the same objects as in 'all'\n"
	"    by_seq = {r[\"seq\"]: r for r in everything}\n"
	"    for r in records(got_path):\n"
	"        s = r.get(\"seq\")\n"
	"        if s in by_seq:\n"
	"            a = dict(by_seq[s]); b = dict(r)\n"
	"            a.pop(\"key\", None); b.pop(\"key\", None)\n"
	"            if a != b:\n"
	"                errs.append(\"record %d differs from the one 'all' got: %s\" % (s, r))\n"
	"                break\n"
	"    return errs\n"
	"\n"
	"\n"
	"if __name__ == \"__main__\":\n"
	"    cmd = sys.argv[1]\n"
	"    if cmd == \"gen\":\n"
	"        gen(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 5000,\n"
	"            sys.argv[4] if len(sys.argv) > 4 else \"x\")\n"
	"    elif cmd == \"random\":\n"
	"        rand_ops(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)\n"
	"    elif cmd == \"model\":\n"
	"        e = model(sys.argv[2], sys.argv[3])\n"
	"        print(\"\\n\".join(e[:20]) if e else \"ok\")\n"
	"    elif cmd == \"filter\":\n"
	"        e = check_filter(sys.argv[2], sys.argv[3], sys.argv[4])\n"
	"        print(\"\\n\".join(e[:10]) if e else \"ok\")\n"
	"    elif cmd == \"seqs\":\n"
	"        # seq of every record line, \"-\" for lines without one\n"
	"        try:\n"
	"            for r in records(sys.argv[2]):\n"
	"                print(r.get(\"seq\", \"-\"))\n"
	"            sys.stdout.flush()\n"
	"        except BrokenPipeError:\n"
	"            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n";

/* Bash functions for every script:
 *   C LINE...          control lines, one write (one commit) each
 *   BG                 remember the last background process (for teardown)
 *   DR NAME PATH [VAR=VALUE...]
 *                      a draining reader of PATH, registered when DR
 *                      returns; it reads once GO ran; output in $D/NAME.out
 *   RD NAME PATH N [VAR=VALUE...]
 *                      a select reader of N records (continuous); output in
 *                      $D/NAME.out
 *   GO                 lets the draining readers read
 *   WR NAME...         waits for readers to end
 *   LASTSEQ            the newest record's seq (from the log) */
static const char PRE[] =
	"set -e -o pipefail\n"
	"export LC_ALL=C\n"
	"cd \"$M\"\n"
	"PC=\"$PORT_CLIENT\"\n"
	"[ -x \"$PC\" ] || { echo \"PORT_CLIENT is not set or not executable: '$PC'\" >&2; exit 1; }\n"
	"BG() { echo $! >> \"$D/bg.pids\"; }\n"
	"C() { for l in \"$@\"; do printf '%s\\n' \"$l\" > control; done; }\n"
	"ready() { for i in $(seq 1000); do [ -e \"$D/$1.ready\" ] && return 0; sleep 0.02; done;\n"
	"  echo \"reader $1 did not start\" >&2; cat \"$D/$1.err\" >&2; return 1; }\n"
	"DR() { local n=$1 p=$2; shift 2; rm -f \"$D/$n.ready\" \"$D/go\"\n"
	"  env READY=\"$D/$n.ready\" GO=\"$D/go\" \"$@\" timeout 300 \"$PC\" drain \"$p\" > \"$D/$n.out\" 2> \"$D/$n.err\" &\n"
	"  echo $! > \"$D/$n.pid\"; BG; ready $n; }\n"
	"RD() { local n=$1 p=$2 c=$3; shift 3; rm -f \"$D/$n.ready\"\n"
	"  env READY=\"$D/$n.ready\" \"$@\" timeout 300 \"$PC\" select \"$p\" $c > \"$D/$n.out\" 2> \"$D/$n.err\" &\n"
	"  echo $! > \"$D/$n.pid\"; BG; ready $n; }\n"
	"GO() { touch \"$D/go\"; }\n"
	"WR() { local n; for n in \"$@\"; do wait $(cat \"$D/$n.pid\") || true; done; }\n"
	"LASTSEQ() { tail -n 1 log | cut -d' ' -f2; }\n"
	"PT() { python3 \"$D/pt.py\" \"$@\"; }\n";

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
	snprintf(path, sizeof(path), "%s/pt.py", M.dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(PT_PY, f);
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

static void restart(void)
{
	mnt_stop_daemon(&M);
	mnt_start(&M, NULL);
}

TestSuite(ports, .init = setup, .fini = teardown, .timeout = 120);

/* mkdir ports/NAME: its files, their first content, kept in STATE_DIR/ports;
 * rmdir removes it. */
Test(ports, named_port_files)
{
	char *out = run("mkdir ports/w\n"
			"ls ports | paste -sd' '\n"
			"ls ports/w | paste -sd' '\n"
			"cat ports/w/start\n"
			"wc -c < ports/w/filter\n"
			"head -n 4 ports/w/stats\n"
			"grep -c '^position [0-9][0-9]*$' ports/w/stats\n"
			"[ -n \"$(ls -A \"$S/ports\")\" ] && echo kept\n"
			"mkdir ports/w 2>/dev/null || echo EEXIST\n"
			"rmdir ports/w\n"
			"ls ports | paste -sd' '\n"
			"ls -A \"$S/ports\" | wc -l\n");
	assert_eq(out, "clone w\n"
		       "events filter start stats\n"
		       "now\n"
		       "0\n"
		       "readers 0\nqueued 0\ndelivered 0\ndropped 0\n"
		       "1\n"
		       "kept\n"
		       "EEXIST\n"
		       "clone\n"
		       "0\n",
		  "mkdir ports/w, its files, rmdir");
	free(out);
}

/* Every kind of filter line, each on its own port, against what a port
 * with `all` got for the same scripted changes: a record comes once per
 * matching registration, with that registration's key, in seq order. */
Test(ports, filters)
{
	char *out = run(
		"mkdir groups/web\n"
		"gid=$(cat groups/web/id)\n"
		"port() { local n=$1 l; shift; mkdir ports/$n; : > \"$D/$n.filter\"\n"
		"  for l in \"$@\"; do printf '%%s\\n' \"$l\" > ports/$n/filter; printf '%%s\\n' \"$l\" >> \"$D/$n.filter\"; done; }\n"
		"port pa all\n"
		"port pb 'kind=group change=state key=5'\n"
		"port pc 'kind=group,resource'\n"
		"port pd 'change=renamed,deleted key=4'\n"
		"port pe 'v1=0x1000 key=7'\n"
		"port pf 'v2=group:0x8 key=8'\n"
		"port pg \"object=$gid key=9\"\n"
		"port ph 'registry=K key=10'\n"
		"port pi 'registry=K subtree key=11'\n"
		"port pj 'kind=group key=1' 'change=state key=2'\n"
		"port pk all 'kind=group key=1' reset 'kind=resource key=3'\n"
		"port pl 'kind=group key=1' 'kind=resource key=2' 'v1=0x1000 key=1' 'remove key=1'\n"
		"port pm 'kind=resource change=state key=21' 'kind=group change=state key=22' 'all key=23'\n"
		"for p in pa pb pc pd pe pf pg ph pi pj pk pl pm; do DR $p ports/$p/events FILTER=; done\n"
		"printf 'kind=registry key=12\\nchange=state key=13\\n' > \"$D/clone.filter\"\n"
		"DR clone ports/clone FILTER=\"$(cat \"$D/clone.filter\")\"\n"
		"echo online > groups/web/state\n"
		"C 'resource-create r \"IP Address\" web'\n"
		"mv groups/web groups/www\n"
		"C 'group-online www'\n"
		"C 'reg-create-key K' 'reg-set K v REG_SZ x' 'reg-create-key K\\S' 'reg-set K\\S w REG_SZ y' "
		"  'reg-create-key KK' 'reg-set KK z REG_SZ 1' 'reg-rename K v v2' 'reg-delete K v2'\n"
		"C 'group-offline www' 'resource-rename r r2' 'resource-delete r2'\n"
		"mkdir groups/other; rmdir groups/other\n"
		"GO; WR pa pb pc pd pe pf pg ph pi pj pk pl pm clone\n"
		"for p in pb pc pd pe pf pg ph pi pj pk pl pm clone; do echo \"$p: $(PT filter \"$D/pa.out\" \"$D/$p.out\" \"$D/$p.filter\")\"; done\n"
		/* 'all' got every record, as the log has them */
		"first=$(PT seqs \"$D/pa.out\" | head -n 1); last=$(PT seqs \"$D/pa.out\" | tail -n 1)\n"
		"if [ \"$(PT seqs \"$D/pa.out\")\" = \"$(awk -v a=$first -v b=$last '$2 >= a && $2 <= b { print $2 }' log)\" ] &&\n"
		"   [ \"$(PT seqs \"$D/pa.out\" | wc -l)\" = $((last - first + 1)) ]; then echo 'pa: ok'; else echo 'pa: not every record'; fi\n"
		"wc -l < ports/pk/filter\n"
		"wc -l < ports/pl/filter\n"
		"wc -l < ports/pj/filter\n");
	assert_eq(out, "pb: ok\npc: ok\npd: ok\npe: ok\npf: ok\npg: ok\nph: ok\npi: ok\npj: ok\n"
		       "pk: ok\npl: ok\npm: ok\nclone: ok\npa: ok\n"
		       "1\n1\n2\n",
		  "each port's records against the filter's meaning (then the registrations "
		  "listed by pk, pl and pj)");
	free(out);

	/* the key of every record is the registration's */
	out = run("grep -c '\"key\":5}$' \"$D/pb.out\" | grep -qv '^0$' && grep -vc '\"key\":5}$' \"$D/pb.out\" || true\n");
	assert_eq(out, "0\n", "every record of 'kind=group change=state key=5' ends with \"key\":5");
	free(out);

	/* a record's fields (README example: a group's state change) */
	out = run("grep '\"kind\":\"group\",\"change\":\"state\"' \"$D/pb.out\" | grep '\"name\":\"web\"' | head -n 1 | "
		  "python3 -c 'import json, sys; r = json.loads(sys.stdin.read()); "
		  "print(sorted(r)); print(r[\"old\"], r[\"new\"], r[\"v1\"], r[\"v2type\"], r[\"v2flags\"], r[\"key\"], "
		  "r[\"parent\"] == open(\"nodes/\" + __import__(\"socket\").gethostname() + \"/id\").read().strip(), "
		  "r[\"id\"] == open(\"groups/www/id\").read().strip(), type(r[\"seq\"]).__name__, type(r[\"time\"]).__name__)'\n");
	assert_eq(out, "['change', 'id', 'key', 'kind', 'name', 'new', 'old', 'parent', 'seq', 'time', 'v1', 'v2flags', 'v2type']\n"
		       "offline online 4096 2 8 5 True True int float\n",
		  "the fields of a group state record");
	free(out);
}

/* Filter lines that do not parse are refused and change nothing. */
Test(ports, bad_filter_lines)
{
	char *out = run("mkdir ports/p\n"
			"echo 'kind=group key=1' > ports/p/filter\n"
			"for l in 'kind=bogus' 'change=nothing' 'v2=group:0' 'v1=xyz' 'frobnicate' 'key=abc'; do\n"
			"  printf '%%s\\n' \"$l\" > ports/p/filter 2>/dev/null && echo \"accepted: $l\"\n"
			"done\n"
			"cat ports/p/filter\n"
			"echo sometime > ports/p/start 2>/dev/null && echo 'accepted start sometime'\n"
			"cat ports/p/start\n");
	assert_eq(out, "kind=group key=1\nnow\n", "bad filter and start lines");
	free(out);
}

/* select, epoll and poll clients get every record of a scripted scenario,
 * in seq order, and are never woken for nothing (changes the filter does
 * not want come in between). */
Test(ports, select_epoll_poll_clients)
{
	char *out = run(
		"mkdir groups/t ports/p\n"
		"C 'reg-create-key N'\n"
		"for m in select epoll poll; do\n"
		"  rm -f \"$D/$m.ready\"\n"
		"  READY=\"$D/$m.ready\" FILTER='kind=group change=state' timeout 60 \"$PC\" $m ports/clone 60 > \"$D/$m.out\" 2> \"$D/$m.err\" &\n"
		"  echo $! > \"$D/$m.pid\"; BG; ready $m\n"
		"done\n"
		/* a named port's events with 'all' (every record of the scenario: 150) */
		"echo all > ports/p/filter\n"
		"rm -f \"$D/all.ready\"\n"
		"READY=\"$D/all.ready\" FILTER= timeout 60 \"$PC\" epoll ports/p/events 150 > \"$D/all.out\" 2> \"$D/all.err\" &\n"
		"echo $! > \"$D/all.pid\"; BG; ready all\n"
		"first=$(( $(LASTSEQ) + 1 ))\n"
		"for i in $(seq 30); do\n"
		"  C 'group-online t' \"reg-set N v REG_SZ $i\" 'group-offline t'\n"
		"  sleep 0.01\n"
		"done\n"
		"WR select epoll poll all\n"
		"for m in select epoll poll; do\n"
		"  echo \"$m: $(tail -n 1 \"$D/$m.out\") $(grep -c '\"kind\":\"group\",\"change\":\"state\"' \"$D/$m.out\")\"\n"
		"  grep -o '\"new\":\"[a-z]*\"' \"$D/$m.out\" | uniq | wc -l\n"
		"  PT seqs \"$D/$m.out\" | grep -v '^-$' | sort -n -c && echo sorted\n"
		"done\n"
		"echo \"all: $(tail -n 1 \"$D/all.out\")\"\n"
		"[ \"$(PT seqs \"$D/all.out\" | grep -v '^-$')\" = \"$(seq $first $((first + 149)))\" ] && echo 'all: every seq'\n"
		"true\n");
	assert_eq(out, "select: spurious 0 60\n60\nsorted\n"
		       "epoll: spurious 0 60\n60\nsorted\n"
		       "poll: spurious 0 60\n60\nsorted\n"
		       "all: spurious 0\nall: every seq\n",
		  "per client: its last line, the number of group state records, the number of "
		  "alternating states, seq order; then the 'all' client (150 records: 30 x "
		  "(2 + 1 + 2))");
	free(out);
}

/* O_NONBLOCK on a port with nothing queued: EAGAIN. */
Test(ports, nonblock_gives_eagain)
{
	char *out = run("mkdir ports/p\n"
			"echo all > ports/p/filter\n"
			"\"$PC\" nonblock ports/clone\n"
			"FILTER= \"$PC\" nonblock ports/p/events\n");
	assert_eq(out, "EAGAIN\nEAGAIN\n", "a non-blocking read with nothing there");
	free(out);
}

/* Ctrl-C ends a blocked read at once: cat dies of the signal, and in a
 * program that handles SIGINT, read() fails with EINTR at once and the
 * handler runs (Python's KeyboardInterrupt). */
Test(ports, sigint_ends_blocked_read)
{
	char *out = run(
		"mkdir ports/p\n"
		"echo all > ports/p/filter\n"
		"timeout 30 python3 -c 'import signal,os,sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
		"os.execvp(\"cat\", [\"cat\", sys.argv[1]])' ports/p/events > \"$D/c.out\" 2> \"$D/c.err\" &\n"
		"BG\n"
		"for i in $(seq 500); do grep -q '^readers 1$' ports/p/stats && break; sleep 0.02; done\n"
		"pid=$(pgrep -x cat -P $! || true)\n"
		"[ -n \"$pid\" ] || { echo 'cat did not start' >&2; exit 1; }\n"
		"sleep 0.3\n"
		"t0=$(date +%%s%%N); kill -INT $pid\n"
		"rc=0; wait $! || rc=$?\n"
		"t1=$(date +%%s%%N)\n"
		"echo \"cat: status $rc, $(( (t1 - t0) / 1000000 < 1000 ? 1 : 0 )) (under 1 s: $(( (t1 - t0) / 1000000 )) ms)\"\n"
		/* a program with a SIGINT handler: read() fails with EINTR */
		"rm -f \"$D/py.ready\"\n"
		"timeout 30 python3 -c '\n"
		"import errno, os, signal, sys\n"
		"signal.signal(signal.SIGINT, signal.default_int_handler)\n"
		"fd = os.open(sys.argv[1], os.O_RDONLY)\n"
		"open(sys.argv[2], \"w\").close()\n"
		"try:\n"
		"    os.read(fd, 4096)\n"
		"    print(\"read returned\")\n"
		"except KeyboardInterrupt:\n"
		"    print(\"interrupted\")\n"
		"' ports/p/events \"$D/py.ready\" > \"$D/py.out\" 2>&1 &\n"
		"pp=$!; BG\n"
		"for i in $(seq 500); do [ -e \"$D/py.ready\" ] && break; sleep 0.02; done\n"
		"sleep 0.3\n"
		"t0=$(date +%%s%%N); kill -INT $(pgrep -f \"$D/py.ready\" | grep -v \"^$pp$\" | head -n 1 || echo $pp)\n"
		"rc=0; wait $pp || rc=$?\n"
		"t1=$(date +%%s%%N)\n"
		"echo \"python: status $rc, $(cat \"$D/py.out\"), $(( (t1 - t0) / 1000000 < 1000 ? 1 : 0 )) (under 1 s: $(( (t1 - t0) / 1000000 )) ms)\"\n"
		"grep '^readers' ports/p/stats\n");
	/* strip the millisecond figures */
	char *p;
	while ((p = strstr(out, " (under 1 s: ")) != NULL) {
		char *e = strchr(p, '\n');
		memmove(p, e, strlen(e) + 1);
	}
	assert_eq(out, "cat: status 130, 1\n"
		       "python: status 0, interrupted, 1\n"
		       "readers 0\n",
		  "SIGINT to a blocked cat (dies at once, status 130) and to a python read() "
		  "with a handler (read fails with EINTR, KeyboardInterrupt, at once)");
	free(out);
}

/* Several readers of one port read independently: each gets every record
 * from when it opened. */
Test(ports, readers_are_independent)
{
	char *out = run(
		"mkdir ports/p\n"
		"echo 'kind=group' > ports/p/filter\n"
		"timeout 20 cat ports/p/events > \"$D/c1.out\" & p1=$!; BG\n"
		"timeout 20 cat ports/p/events > \"$D/c2.out\" & p2=$!; BG\n"
		"for i in $(seq 500); do grep -q '^readers 2$' ports/p/stats && break; sleep 0.02; done\n"
		"grep '^readers' ports/p/stats\n"
		"mkdir groups/i1\n"
		"mv groups/i1 groups/i2\n"
		"timeout 20 cat ports/p/events > \"$D/c3.out\" & p3=$!; BG\n"
		"for i in $(seq 500); do grep -q '^readers 3$' ports/p/stats && break; sleep 0.02; done\n"
		"rmdir groups/i2\n"
		"sleep 0.5\n"
		"rmdir ports/p\n"
		"r1=0; wait $p1 || r1=$?; r2=0; wait $p2 || r2=$?; r3=0; wait $p3 || r3=$?\n"
		"echo \"status $r1 $r2 $r3\"\n"
		"cmp -s \"$D/c1.out\" \"$D/c2.out\" && echo same\n"
		"grep -o '\"change\":\"[a-z_]*\",\"id\":\"[^\"]*\",\"name\":\"[^\"]*\"' \"$D/c1.out\" | sed 's/,\"id\":\"[^\"]*\"//'\n"
		"echo ---\n"
		"grep -o '\"change\":\"[a-z_]*\",\"id\":\"[^\"]*\",\"name\":\"[^\"]*\"' \"$D/c3.out\" | sed 's/,\"id\":\"[^\"]*\"//'\n"
		"tail -n 1 \"$D/c3.out\"\n"
		"tail -n 1 \"$D/c1.out\"\n"
		"tail -n 2 \"$D/c1.out\" | head -n 1 | grep -q -F \"$(tail -n 2 \"$D/c3.out\" | head -n 1)\" && echo 'same last record'\n");
	assert_eq(out, "readers 2\n"
		       "status 0 0 0\n"
		       "same\n"
		       "\"change\":\"added\",\"name\":\"i1\"\n"
		       "\"change\":\"renamed\",\"name\":\"i2\"\n"
		       "\"change\":\"deleted\",\"name\":\"i2\"\n"
		       "---\n"
		       "\"change\":\"deleted\",\"name\":\"i2\"\n"
		       "{\"change\":\"closed\",\"port\":\"p\"}\n"
		       "{\"change\":\"closed\",\"port\":\"p\"}\n"
		       "same last record\n",
		  "two readers from the start, a third opened later; the port removed at the end");
	free(out);
}

/* rmdir of a port wakes its blocked reader at once with the closing
 * record, then end-of-file. */
Test(ports, rmdir_wakes_blocked_reader)
{
	char *out = run(
		"mkdir ports/p\n"
		"echo all > ports/p/filter\n"
		"timeout 20 cat ports/p/events > \"$D/c.out\" & pid=$!; BG\n"
		"for i in $(seq 500); do grep -q '^readers 1$' ports/p/stats && break; sleep 0.02; done\n"
		"sleep 0.3\n"
		"t0=$(date +%%s%%N)\n"
		"rmdir ports/p\n"
		"rc=0; wait $pid || rc=$?\n"
		"t1=$(date +%%s%%N)\n"
		"echo \"status $rc $(( (t1 - t0) / 1000000 < 1000 ? 1 : 0 ))\"\n"
		"cat \"$D/c.out\"\n"
		"ls ports | paste -sd' '\n");
	assert_eq(out, "status 0 1\n"
		       "{\"change\":\"closed\",\"port\":\"p\"}\n"
		       "clone\n",
		  "cat ends (status 0, within 1 s) with the closing record");
	free(out);
}

/* A snapshot: one record per object the filter wants, then snapshot_end
 * with the seq the stream goes on from, no gap and no overlap. */
Test(ports, snapshot_then_changes)
{
	free(run("C 'group-create sa' 'group-create sb' 'resource-create r1 \"IP Address\" sa' "
	         "'resource-create r2 \"IP Address\" sb' 'group-online sa'\n"));
	char *out = run(
		"mkdir ports/s ports/a\n"
		"echo 'kind=group,resource' > ports/s/filter\n"
		"echo snapshot > ports/s/start\n"
		"echo all > ports/a/filter\n"
		"echo snapshot > ports/a/start\n"
		"cat ports/s/start\n"
		/* what the snapshot must show */
		"{ for g in groups/*; do echo \"group $(basename \"$g\") $(cat \"$g/state\")\"; done\n"
		"  for r in resources/*; do echo \"resource $(basename \"$r\") $(cat \"$r/state\")\"; done; } | sort > \"$D/expect\"\n"
		"before=$(LASTSEQ)\n"
		"RD s ports/s/events 1000000 FILTER= TIMEOUT=2\n"
		"RD a ports/a/events 1000000 FILTER= TIMEOUT=2\n"
		"for i in $(seq 500); do grep -q snapshot_end \"$D/s.out\" && grep -q snapshot_end \"$D/a.out\" && break; sleep 0.02; done\n"
		"C 'group-create sc' 'resource-rename r1 r9'\n"
		"WR s a\n"
		"python3 - \"$D/s.out\" \"$D/a.out\" \"$D/expect\" $before <<'PY'\n"
		"import json, sys\n"
		"def recs(p):\n"
		"    return [json.loads(l) for l in open(p) if l.startswith('{')]\n"
		"s, a = recs(sys.argv[1]), recs(sys.argv[2])\n"
		"expect = open(sys.argv[3]).read().split('\\n')[:-1]\n"
		"before = int(sys.argv[4])\n"
		"end = [i for i, r in enumerate(s) if r.get('change') == 'snapshot_end']\n"
		"print('snapshot_end records:', len(end))\n"
		"e = s[end[0]]\n"
		"snap = s[:end[0]]\n"
		"print('all snapshot:', all(r.get('snapshot') is True for r in snap))\n"
		"got = sorted('%%s %%s %%s' %% (r['kind'], r['name'], r.get('new')) for r in snap)\n"
		"print('objects match:', got == expect, '' if got == expect else (got, expect))\n"
		"print('count:', e.get('records') == len(snap))\n"
		"print('seq:', e['seq'] == before + 1, e['seq'], before)\n"
		"after = s[end[0] + 1:]\n"
		"print('after:', [(r['kind'], r['change'], r['name'], r.get('snapshot', False)) for r in after])\n"
		"print('after seq:', all(r['seq'] >= e['seq'] for r in after))\n"
		"ea = [i for i, r in enumerate(a) if r.get('change') == 'snapshot_end'][0]\n"
		"seqs = [r['seq'] for r in a[ea + 1:]]\n"
		"print('all: no gap, no overlap:', a[ea]['seq'] == before + 1 and seqs == list(range(before + 1, before + 1 + len(seqs))) and len(seqs) > 0)\n"
		"print('all: registry in snapshot:', any(r['kind'] == 'registry' for r in a[:ea]))\n"
		"PY\n");
	/* drop the numbers from the seq line */
	char *p = strstr(out, "seq: True");
	if (p) {
		char *e = strchr(p, '\n');
		memmove(p + 9, e, strlen(e) + 1);
	}
	assert_eq(out, "snapshot\n"
		       "snapshot_end records: 1\n"
		       "all snapshot: True\n"
		       "objects match: True \n"
		       "count: True\n"
		       "seq: True\n"
		       "after: [('group', 'added', 'sc', False), ('resource', 'renamed', 'r9', False)]\n"
		       "after seq: True\n"
		       "all: no gap, no overlap: True\n"
		       "all: registry in snapshot: True\n",
		  "a snapshot of groups and resources, then two changes");
	free(out);
}

/* Randomized: snapshot A taken while changes are being made, plus the
 * records that follow it, applied to a model (by id: name, state,
 * parent), equal snapshot B taken at the end. */
Test(ports, snapshot_model_randomized, .timeout = 300)
{
	unsigned seed = (unsigned)time(NULL);
	for (int round = 0; round < 2; round++, seed++) {
		char *out = run(
			"PT random %u 150 2> /dev/null\n"
			"PT random %u 400 0.005 2> \"$D/w.err\" & w=$!; BG\n"
			"sleep 0.4\n"
			"RD A ports/clone 100000000 FILTER='kind=group,resource' START=snapshot TIMEOUT=3\n"
			"RD A2 ports/clone 100000000 FILTER=all START=snapshot TIMEOUT=3\n"
			"wait $w\n"
			"RD B ports/clone 100000000 FILTER='kind=group,resource' START=snapshot TIMEOUT=1\n"
			"WR A A2 B\n"
			/* with every record: no gap and no overlap after snapshot_end */
			"python3 -c 'import json, sys\n"
			"r = [json.loads(l) for l in open(sys.argv[1]) if l.startswith(\"{\")]\n"
			"e = [i for i, x in enumerate(r) if x.get(\"change\") == \"snapshot_end\"][0]\n"
			"s = [x[\"seq\"] for x in r[e + 1:]]\n"
			"print(\"contiguous\" if s == list(range(r[e][\"seq\"], r[e][\"seq\"] + len(s))) and s[-1] == int(sys.argv[2]) "
			"else \"gap or overlap after %%d: %%s\" %% (r[e][\"seq\"], s[:10]))' \"$D/A2.out\" $(LASTSEQ)\n"
			"PT model \"$D/A.out\" \"$D/B.out\" 2> \"$D/model.err\"\n"
			"python3 -c 'import sys; l = open(sys.argv[1]).read(); "
			"print(\"mid-stream\" if l.count(\"\\\"snapshot\\\":true\") > 0 and "
			"l.split(\"snapshot_end\")[1].count(\"\\\"seq\\\"\") > 5 else \"not mid-stream\")' \"$D/A.out\"\n",
			seed, seed + 1000);
		char what[128];
		snprintf(what, sizeof(what), "snapshot A + records = snapshot B (seed %u)", seed);
		assert_eq(out, "contiguous\nok\nmid-stream\n", what);
		free(out);
	}
}

/* Resuming from a sequence number across a restart: the same records,
 * then the new ones; sequence numbers go on. */
Test(ports, resume_across_restart)
{
	char *out = run("mkdir ports/p\n"
			"echo all > ports/p/filter\n"
			"s0=$(LASTSEQ)\n"
			"mkdir groups/ra\n"
			"echo online > groups/ra/state\n"
			"C 'reg-create-key RK' 'reg-set RK v REG_SZ \"a b\"'\n"
			"mv groups/ra groups/rb\n"
			"s1=$(LASTSEQ)\n"
			"echo $s0 $s1 > \"$D/range\"\n"
			"DR pre ports/clone FILTER=all START=$((s0 + 1))\n"
			"GO; WR pre\n"
			"PT seqs \"$D/pre.out\" | head -n 1\n"
			"[ \"$(PT seqs \"$D/pre.out\")\" = \"$(seq $((s0 + 1)) $s1)\" ] && echo 'before: every record'\n");
	char *s0 = run("cut -d' ' -f1 \"$D/range\"");
	s0[strcspn(s0, "\n")] = '\0';
	char expect[256];
	snprintf(expect, sizeof(expect), "%lld\nbefore: every record\n", atoll(s0) + 1);
	assert_eq(out, expect, "records from s0+1 before the restart");
	free(out);

	restart();
	out = run("read s0 s1 < \"$D/range\"\n"
		  "echo $((s0 + 1)) > ports/p/start\n"
		  "[ \"$(cat ports/p/start)\" = $((s0 + 1)) ] && echo 'start kept'\n"
		  "DR post ports/p/events FILTER=\n"
		  "mkdir groups/after\n"
		  "s2=$(LASTSEQ)\n"
		  "GO; WR post\n"
		  "[ $s2 -gt $s1 ] && echo 'seq goes on'\n"
		  "[ \"$(PT seqs \"$D/post.out\")\" = \"$(seq $((s0 + 1)) $s2)\" ] && echo 'after: every record'\n"
		  "head -n $((s1 - s0)) \"$D/post.out\" | cmp -s - \"$D/pre.out\" && echo 'same records'\n"
		  "tail -n 1 \"$D/post.out\" | grep -c '\"kind\":\"group\",\"change\":\"added\".*\"name\":\"after\"' || "
		  "grep -c '\"name\":\"after\"' \"$D/post.out\"\n");
	assert_eq(out, "start kept\nseq goes on\nafter: every record\nsame records\n1\n",
		  "resume from s0+1 after a restart");
	free(out);
	free(s0);
}

/* start continue: a new reader goes on where this port's readers stopped,
 * also across a restart. */
Test(ports, continue_across_restart)
{
	char *out = run("mkdir ports/c\n"
			"echo 'kind=group change=added' > ports/c/filter\n"
			"RD r1 ports/c/events 2 FILTER=\n"
			"mkdir groups/c1 groups/c2\n"
			"WR r1\n"
			"grep -o '\"name\":\"c[0-9]\"' \"$D/r1.out\" | paste -sd' '\n"
			"mkdir groups/c3 groups/c4\n");
	assert_eq(out, "\"name\":\"c1\" \"name\":\"c2\"\n", "the first reader's two records");
	free(out);
	restart();
	out = run("echo continue > ports/c/start\n"
		  "cat ports/c/start\n"
		  "RD r2 ports/c/events 3 FILTER=\n"
		  "mkdir groups/c5\n"
		  "WR r2\n"
		  "grep -o '\"name\":\"c[0-9]\"' \"$D/r2.out\" | paste -sd' '\n"
		  "tail -n 1 \"$D/r2.out\"\n");
	assert_eq(out, "continue\n"
		       "\"name\":\"c3\" \"name\":\"c4\" \"name\":\"c5\"\n"
		       "spurious 0\n",
		  "after a restart, start continue: the records made while no reader was open, then new ones");
	free(out);
}

/* Resuming from a seq no longer retained: the error record, then the
 * stream from the oldest retained record. */
Test(ports, resume_not_retained, .timeout = 300)
{
	char *out = run("PT gen 70000\n"
			"last=$(LASTSEQ)\n"
			"DR r ports/clone FILTER=all START=5\n"
			"GO; WR r\n"
			"head -n 1 \"$D/r.out\" | python3 -c 'import json, sys; r = json.loads(sys.stdin.read()); "
			"print(r[\"change\"], r[\"error\"], r[\"requested\"], r[\"first_retained\"] == '$last' - 65535)'\n"
			"f=$(head -n 1 \"$D/r.out\" | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[\"first_retained\"])')\n"
			"sed -n 2p \"$D/r.out\" | grep -q \"^{\\\"seq\\\":$f,\" && echo 'goes on from first_retained'\n"
			"[ $(wc -l < \"$D/r.out\") = $((last - f + 2)) ] && echo 'every retained record'\n"
			"tail -n 1 \"$D/r.out\" | grep -q \"^{\\\"seq\\\":$last,\" && echo 'to the last'\n");
	assert_eq(out, "error not_retained 5 True\n"
		       "goes on from first_retained\n"
		       "every retained record\n"
		       "to the last\n",
		  "start 5 after 70,000 records (the journal keeps 65,536)");
	free(out);
}

/* A reader that does not read while more than 65,536 records come: one
 * overflow record naming what it lost, then the rest, and the counts in
 * stats add up. */
Test(ports, overflow_slow_reader, .timeout = 300)
{
	char *out = run(
		"mkdir ports/o\n"
		"echo all > ports/o/filter\n"
		"DR o ports/o/events FILTER=\n"
		"s0=$(LASTSEQ)\n"
		"PT gen 70000\n"
		"s1=$(LASTSEQ)\n"
		"grep '^readers' ports/o/stats\n"
		"GO; WR o\n"
		"sleep 0.2\n"
		"python3 - \"$D/o.out\" $s0 $s1 <<'PY'\n"
		"import json, sys\n"
		"recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]\n"
		"s0, s1 = int(sys.argv[2]), int(sys.argv[3])\n"
		"ov = [i for i, r in enumerate(recs) if r.get('change') == 'overflow']\n"
		"print('overflow records:', len(ov))\n"
		"o = recs[ov[0]]\n"
		"print('lost_from:', o['lost_from'] == s0 + 1, 'lost_to:', o['lost_to'] == s1 - 65536)\n"
		"print('lost:', o.get('lost') == o['lost_to'] - o['lost_from'] + 1)\n"
		"print('flags:', o.get('v1'), o.get('v2type'), o.get('v2flags'))\n"
		"rest = [r['seq'] for r in recs[ov[0] + 1:]]\n"
		"print('then:', rest == list(range(o['lost_to'] + 1, s1 + 1)), 'seq:', o['seq'] == o['lost_to'] + 1)\n"
		"print('before it:', [r['seq'] for r in recs[:ov[0]]] == list(range(s0 + 1, o['lost_from'])))\n"
		"stats = dict(l.split() for l in open('ports/o/stats'))\n"
		"d, x = int(stats['delivered']), int(stats['dropped'])\n"
		"print('stats:', d + x == s1 - s0, x == o['lost_to'] - o['lost_from'] + 1, d == len(recs) - 1, stats['queued'], stats['readers'])\n"
		"PY\n");
	assert_eq(out, "readers 1\n"
		       "overflow records: 1\n"
		       "lost_from: True lost_to: True\n"
		       "lost: True\n"
		       "flags: 524288 1 512\n"
		       "then: True seq: True\n"
		       "before it: True\n"
		       "stats: True True True 0 0\n",
		  "70,000 records while the reader did not read");
	free(out);
}

/* A named port keeps its filter and start mode across a restart, and
 * works. */
Test(ports, named_port_survives_restart)
{
	char *before = run("mkdir ports/keep\n"
			   "echo 'kind=group change=state key=5' > ports/keep/filter\n"
			   "echo 'registry=K subtree key=6' >> ports/keep/filter\n"
			   "echo snapshot > ports/keep/start\n"
			   "cat ports/keep/filter ports/keep/start\n");
	restart();
	char *after = run("cat ports/keep/filter ports/keep/start\n");
	assert_eq(after, before, "filter and start after a restart");
	free(before);
	free(after);
	char *out = run("ls ports | paste -sd' '\n"
			"echo now > ports/keep/start\n"
			"DR k ports/keep/events FILTER=\n"
			"mkdir groups/kg\n"
			"echo online > groups/kg/state\n"
			"C 'reg-create-key K' 'reg-set K v REG_SZ 1' 'reg-create-key K\\S' 'reg-set K\\S w REG_SZ 2' "
			"'reg-create-key KX'\n"
			"GO; WR k\n"
			"grep -o '\"change\":\"[a-z_]*\".*\"key\":[0-9]*' \"$D/k.out\" | "
			"sed 's/,\"id\".*\"name\":\\(\"[^\"]*\"\\).*\\(\"key\":[0-9]*\\)/ \\1 \\2/'\n");
	assert_eq(out, "clone keep\n"
		       "\"change\":\"state\" \"kg\" \"key\":5\n"
		       "\"change\":\"key_added\" \"K\" \"key\":6\n"
		       "\"change\":\"value_set\" \"K\" \"key\":6\n"
		       "\"change\":\"key_added\" \"K\\\\S\" \"key\":6\n"
		       "\"change\":\"value_set\" \"K\\\\S\" \"key\":6\n",
		  "the restored port's records");
	free(out);
}

/* ports/clone: an anonymous port per open, with its own filter, never
 * listed, gone when closed. */
Test(ports, clone_is_anonymous)
{
	char *out = run("mkdir ports/named\n"
			"DR a ports/clone FILTER='kind=group key=1'\n"
			"DR b ports/clone FILTER='kind=registry change=key_added key=2'\n"
			"ls ports | paste -sd' '\n"
			"ls -A \"$S/ports\" | wc -l\n"
			"mkdir groups/x\n"
			"C 'reg-create-key Y'\n"
			"GO; WR a b\n"
			"grep -c '\"kind\":\"group\".*\"key\":1}$' \"$D/a.out\"; grep -vc '\"kind\":\"group\".*\"key\":1}$' \"$D/a.out\" || true\n"
			"grep -c '\"kind\":\"registry\",\"change\":\"key_added\".*\"key\":2}$' \"$D/b.out\"; "
			"grep -vc '\"kind\":\"registry\",\"change\":\"key_added\".*\"key\":2}$' \"$D/b.out\" || true\n"
			"ls ports | paste -sd' '\n"
			"ls -A \"$S/ports\" | wc -l\n");
	assert_eq(out, "clone named\n1\n"
		       "1\n0\n"
		       "2\n0\n"
		       "clone named\n1\n",
		  "two anonymous ports while open and after closing: the listing, the state "
		  "directory, what each got (a: the group's added record; b: the group's "
		  "registry key and Y)");
	free(out);
}

/* ---- how blocking reads end: "wait MS" and "wake" (README: Ports) ----- */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_clone(const char *filter)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/ports/clone", M.mnt);
	int fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, filter, strlen(filter)), (ssize_t)strlen(filter));
	return fd;
}

static void put_line(int fd, const char *line)
{
	cr_assert_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line), "%s: %s", line,
		     strerror(errno));
}

struct blocked {
	int fd;
	ssize_t n;
	int err;
	char buf[4096];
};

static void *blocked_read(void *arg)
{
	struct blocked *b = arg;
	b->n = read(b->fd, b->buf, sizeof(b->buf) - 1);
	b->err = errno;
	return NULL;
}

Test(ports, wait_and_wake_end_blocked_reads)
{
	int fd = open_clone("kind=group\n");
	char buf[256];
	/* "wait MS": a blocking read with nothing to give ends with EAGAIN. */
	put_line(fd, "wait 300\n");
	int64_t t0 = mono_ms();
	cr_assert_eq(read(fd, buf, sizeof(buf)), -1);
	cr_assert_eq(errno, EAGAIN);
	cr_assert_geq(mono_ms() - t0, 290);
	/* "wake" from another thread ends a blocked read at once... */
	put_line(fd, "wait 0\n");
	struct blocked b = {.fd = fd};
	pthread_t t;
	pthread_create(&t, NULL, blocked_read, &b);
	usleep(200 * 1000);
	/* ...and a thread can write while another is blocked in read(). */
	put_line(fd, "kind=node\n");
	put_line(fd, "wake\n");
	pthread_join(t, NULL);
	cr_assert_eq(b.n, -1);
	cr_assert_eq(b.err, EAGAIN);
	/* With no read parked, "wake" ends the next one that would block. */
	put_line(fd, "wake\n");
	cr_assert_eq(read(fd, buf, sizeof(buf)), -1);
	cr_assert_eq(errno, EAGAIN);
	/* A record still ends a blocked read, under "wait" too. */
	put_line(fd, "wait 10000\n");
	pthread_create(&t, NULL, blocked_read, &b);
	usleep(100 * 1000);
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/groups/w", M.mnt);
	cr_assert_eq(mkdir(dir, 0755), 0, "%s", strerror(errno));
	pthread_join(t, NULL);
	cr_assert_gt(b.n, 0, "%s", strerror(b.err));
	b.buf[b.n] = '\0';
	cr_assert(strstr(b.buf, "\"name\":\"w\""), "%s", b.buf);
	/* Bad lines change nothing. */
	cr_assert_eq(write(fd, "wait x\n", 7), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(write(fd, "wait 86400001\n", 14), -1);
	cr_assert_eq(errno, EINVAL);
	close(fd);
}
