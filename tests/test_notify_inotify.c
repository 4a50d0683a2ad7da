/* SPDX-License-Identifier: MIT */
/* inotify on the mount (README: "Notifications", "inotify"): every change
 * gives the events a local file system would give, whoever made it, and a
 * watcher that reads a file on its event sees the new content.
 *
 * A recursive inotifywait watches the whole mount. Its lines are
 * normalised by norm.py (below): paths relative to the mount, object ids
 * replaced by names given by the test, `log`, `control` and `ports/`
 * dropped, repeated identical lines merged (the kernel merges them too,
 * except when the reader is faster), and move cookies checked (each cookie
 * on one MOVED_FROM followed by one MOVED_TO) and shown as "c". The tests
 * compare the set of lines exactly (nothing missing, nothing duplicated)
 * and check the orders the README gives.
 *
 * The watches of a directory created while inotifywait runs are set up by
 * inotifywait a moment after its CREATE event. So the objects whose files
 * a test watches are made before the watcher starts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mount_harness.h"

static const char NORM_PY[] =
	"import os, sys\n"
	"M = os.environ['M']\n"
	"subs = [a.split('=', 1) for a in sys.argv[2:]]\n"
	"keep_log = os.environ.get('KEEP_LOG') == '1'\n"
	"recs = []\n"
	"for line in open(sys.argv[1], errors='replace'):\n"
	"    line = line.rstrip('\\n')\n"
	"    if not line.startswith(M + '/'):\n"
	"        continue\n"
	"    path, ev, cookie = line[len(M) + 1:].rsplit(' ', 2)\n"
	"    if path == 'control' or path.startswith('ports/') or path == 'log.1':\n"
	"        continue\n"
	"    if path == 'log' and not keep_log:\n"
	"        continue\n"
	"    for k, v in subs:\n"
	"        path = path.replace(k, v)\n"
	"    recs.append([path, ev, cookie])\n"
	"count = {}\n"
	"for p, e, c in recs:\n"
	"    if c != '0':\n"
	"        count.setdefault(c, []).append(e.split(',')[0])\n"
	"out = []\n"
	"for p, e, c in recs:\n"
	"    l = p + ' ' + e\n"
	"    if c != '0':\n"
	"        ok = count[c] == ['MOVED_FROM', 'MOVED_TO']\n"
	"        l += ' c' if ok else ' cookie-unpaired:' + '/'.join(count[c])\n"
	"    if out and out[-1] == l:\n"
	"        continue\n"
	"    out.append(l)\n"
	"print('\\n'.join(out))\n";

/* Bash functions for every script:
 *   W        start the recursive watcher and wait until its watches are set
 *   U ID=NAME...  stop it (after the last events came) and print the
 *            normalised events
 *   C LINE...     write control lines, one write (one commit) each
 *   BG       remember the last background process (killed at teardown) */
static const char PRE[] =
	"set -e -o pipefail\n"
	"export LC_ALL=C\n"
	"cd \"$M\"\n"
	"BG() { echo $! >> \"$D/bg.pids\"; }\n"
	"W() {\n"
	"  : > \"$D/ino.err\"\n"
	"  timeout 200 inotifywait -m -r --format '%w%f %e %c' "
	"-e create,delete,modify,attrib,close_write,moved_to,moved_from \"$M\" "
	"> \"$D/ino.log\" 2> \"$D/ino.err\" &\n"
	"  echo $! > \"$D/ino.pid\"; BG\n"
	"  for i in $(seq 1000); do grep -q 'Watches established' \"$D/ino.err\" && return 0; sleep 0.02; done\n"
	"  echo 'inotifywait did not start' >&2; cat \"$D/ino.err\" >&2; return 1\n"
	"}\n"
	"U() {\n"
	"  sleep 0.7\n"
	"  kill $(cat \"$D/ino.pid\"); wait $(cat \"$D/ino.pid\") 2>/dev/null || true\n"
	"  python3 \"$D/norm.py\" \"$D/ino.log\" \"$@\"\n"
	"}\n"
	"C() { for l in \"$@\"; do printf '%s\\n' \"$l\" > control; done; }\n";

/* Runs PRE + the formatted body; asserts exit 0; returns stdout. */
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted (C locale), as one string. */
/* The lines, sorted. Consecutive identical events are first counted
 * once: inotify merges an event into the identical one before it when the
 * reader has not read that one yet, so whether `echo x > FILE` shows one
 * MODIFY or two (the truncation's and the write's) depends on how fast
 * the reader is, on tmpfs as here. */
static char *sorted(const char *text)
{
	char *copy = strdup(text);
	size_t n = 0, cap = 16;
	char **lines = malloc(cap * sizeof(*lines));
	for (char *save, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (n && strcmp(lines[n - 1], l) == 0)
			continue;
		if (n == cap)
			lines = realloc(lines, (cap *= 2) * sizeof(*lines));
		lines[n++] = l;
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(lines[i]) + 1;
	char *res = malloc(len), *p = res;
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s\n", lines[i]);
	free(lines);
	free(copy);
	return res;
}

/* Index of the first line equal to line (from line number from), or -1. */
static int line_at(const char *text, const char *line, int from)
{
	int no = 0;
	size_t len = strlen(line);
	for (const char *p = text; *p; no++) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (no >= from && l == len && memcmp(p, line, len) == 0)
			return no;
		if (!e)
			break;
		p = e + 1;
	}
	return -1;
}

static void assert_eq(const char *got, const char *expect, const char *what)
{
	cr_assert(strcmp(got, expect) == 0, "%s\ngot:\n%s\nexpected:\n%s", what, got, expect);
}

static void assert_set(const char *got, const char *expect, const char *what)
{
	char *g = sorted(got), *e = sorted(expect);
	cr_assert_str_eq(g, e, "%s: the events differ (sorted).\ngot:\n%s\nexpected:\n%s\nin order:\n%s",
			 what, g, e, got);
	free(g);
	free(e);
}

/* Drops the lines about paths below dir/ (events inside a directory made
 * while the watcher runs depend on when inotifywait adds its watch). */
static void drop_under(char *text, const char *dir)
{
	size_t n = strlen(dir);
	char *w = text;
	for (char *p = text; *p;) {
		char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) + 1 : strlen(p);
		if (!(strncmp(p, dir, n) == 0 && p[n] == '/')) {
			memmove(w, p, l);
			w += l;
		}
		p += l;
	}
	*w = '\0';
}

/* Keeps only the first of the lines equal to line. For `echo x > FILE` the
 * kernel reports a MODIFY for open's truncation and one for the write;
 * they merge into one unless other events come between, and the daemon's
 * own events of the write can: it answers the write, then its changes'
 * events may be queued before the writer runs again and the kernel
 * reports the write. */
static void once(char *text, const char *line)
{
	size_t n = strlen(line);
	bool seen = false;
	char *w = text;
	for (char *p = text; *p;) {
		char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) + 1 : strlen(p);
		bool same = (e ? l == n + 1 : l == n) && memcmp(p, line, n) == 0;
		if (!(same && seen)) {
			memmove(w, p, l);
			w += l;
		}
		seen = seen || same;
		p += l;
	}
	*w = '\0';
}

/* line a comes before line b */
static void assert_before(const char *got, const char *a, const char *b)
{
	int ia = line_at(got, a, 0), ib = line_at(got, b, 0);
	cr_assert(ia >= 0 && ib >= 0 && ia < ib, "'%s' must come before '%s'; events:\n%s", a, b, got);
}

/* Writes text to $D/name, for the scripts to run. */
static void put_script(const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", M.dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void setup(void)
{
	mnt_setup();
	put_script("norm.py", NORM_PY);
}

/* Kills the background processes the scripts started (by pid), stops the
 * daemon (aborting its connection if it hangs) and removes everything. */
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

TestSuite(inotify, .init = setup, .fini = teardown, .timeout = 120);

/* A user's mkdir: the kernel's own CREATE,ISDIR, exactly once (it is not
 * replayed), and the registry key it made. */
Test(inotify, object_added_by_mkdir)
{
	char *out = run("W\n"
			"mkdir groups/web\n"
			"U \"$(cat groups/web/id)=WEB\"\n");
	drop_under(out, "registry/Groups/WEB");
	assert_set(out, "groups/web CREATE,ISDIR\n"
			"registry/Groups/WEB CREATE,ISDIR\n", "mkdir groups/web");
	free(out);
	out = run("W\n"
		  "mkdir resourcetypes/MyType\n"
		  "U \"$(cat resourcetypes/MyType/id)=T\"\n");
	drop_under(out, "registry/ResourceTypes/T");
	assert_set(out, "resourcetypes/MyType CREATE,ISDIR\n"
			"registry/ResourceTypes/T CREATE,ISDIR\n", "mkdir resourcetypes/MyType");
	free(out);
}

/* An object made through control: one CREATE,ISDIR made by the daemon, and
 * a watcher that lists the directory as soon as the event arrives finds
 * every file already there (with its content). */
Test(inotify, object_added_by_control_is_complete)
{
	char *out = run("mkdir groups/g\n"
			"W\n"
			/* one-shot watchers that list what they are told about at once */
			"oneshot() { # DIR OUT\n"
			"  ( timeout 60 inotifywait -e create --format '%%f' \"$1\" 2> \"$2.err\" | "
			"    { read -r f; ls \"$1/$f\" | paste -sd' '; [ -f \"$1/$f/state\" ] && cat \"$1/$f/state\"; true; } "
			"    > \"$2\" ) & BG\n"
			"}\n"
			"ready() { for i in $(seq 500); do grep -q 'Watches established' \"$1.err\" && return 0; sleep 0.02; done; return 1; }\n"
			"oneshot resources \"$D/r.out\"; rp=$!; oneshot registry/Resources \"$D/rr.out\"; rrp=$!\n"
			"ready \"$D/r.out\"; ready \"$D/rr.out\"\n"
			"C 'resource-create r1 \"IP Address\" g'\n"
			"wait $rp; wait $rrp\n"
			"oneshot groups \"$D/g.out\"; gp=$!; oneshot registry/Groups \"$D/rg.out\"; rgp=$!\n"
			"ready \"$D/g.out\"; ready \"$D/rg.out\"\n"
			"C 'group-create cg'\n"
			"wait $gp; wait $rgp\n"
			"cat \"$D/r.out\" \"$D/rr.out\" \"$D/g.out\" \"$D/rg.out\"\n"
			"echo ===\n"
			"U \"$(cat resources/r1/id)=R1\" \"$(cat groups/cg/id)=CG\"\n");
	char *events = strstr(out, "===\n");
	cr_assert_not_null(events, "%s", out);
	*events = '\0';
	events += 4;
	assert_eq(out, "dependencies description group id monitor_interval owner parameters "
		       "pending_timeout possible_owners restart_action restart_period "
		       "restart_threshold state type\n"
		       "offline\n"
		       "Group Name State Type\n"
		       "description id owner preferred_owners resources state type\n"
		       "offline\n"
		       "GroupType Name OwnerNode State\n",
		  "what watchers listed on the CREATE events (resources/r1, its registry key, "
		  "groups/cg, its registry key)");
	drop_under(events, "registry/Resources/R1");
	drop_under(events, "registry/Groups/CG");
	drop_under(events, "resources/r1");
	drop_under(events, "groups/cg");
	assert_set(events, "resources/r1 CREATE,ISDIR\n"
			   "groups/g/resources/r1 CREATE\n"
			   "registry/Resources/R1 CREATE,ISDIR\n"
			   "groups/cg CREATE,ISDIR\n"
			   "registry/Groups/CG CREATE,ISDIR\n",
		   "resource-create and group-create");
	free(out);
}

/* Deletion: DELETE for each file, then DELETE,ISDIR, in both views. */
Test(inotify, object_deleted)
{
	free(run("C 'group-create dg' 'resource-create r1 \"IP Address\" dg'\n"));
	char *out = run("rid=$(cat resources/r1/id)\n"
			"ls -p resources/r1 | awk '{ d = sub(/\\/$/, \"\"); "
			"print \"resources/r1/\" $0 (d ? \" DELETE,ISDIR\" : \" DELETE\") }'\n"
			"ls registry/Resources/$rid | sed 's|^|registry/Resources/R1/|; s|$| DELETE|'\n"
			"echo ===\n"
			"W\n"
			"C 'resource-delete r1'\n"
			"U $rid=R1\n");
	char *events = strstr(out, "===\n");
	cr_assert_not_null(events);
	*events = '\0';
	events += 4;
	/* the files there were */
	cr_assert(strstr(out, "resources/r1/state DELETE\n") &&
		  strstr(out, "registry/Resources/R1/Name DELETE\n"), "%s", out);
	char *expect;
	cr_assert_geq(asprintf(&expect, "%s"
				   "resources/r1 DELETE,ISDIR\n"
				   "registry/Resources/R1 DELETE,ISDIR\n"
				   "groups/dg/resources/r1 DELETE\n", out), 0);
	assert_set(events, expect, "resource-delete r1");
	/* every file before its directory */
	for (char *save, *l = strtok_r(expect, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "resources/r1/", 13) == 0)
			assert_before(events, l, "resources/r1 DELETE,ISDIR");
		if (strncmp(l, "registry/Resources/R1/", 22) == 0)
			assert_before(events, l, "registry/Resources/R1 DELETE,ISDIR");
	}
	free(expect);
	free(out);

	/* a group through control: its files, its resources/ directory, then it */
	out = run("gid=$(cat groups/dg/id)\n"
		  "ls registry/Groups/$gid | sed 's|^|registry/Groups/DG/|; s|$| DELETE|'\n"
		  "echo ===\n"
		  "W\n"
		  "C 'group-delete dg'\n"
		  "U $gid=DG\n");
	events = strstr(out, "===\n");
	cr_assert_not_null(events);
	*events = '\0';
	events += 4;
	cr_assert_geq(asprintf(&expect, "%s"
				   "groups/dg/id DELETE\n"
				   "groups/dg/state DELETE\n"
				   "groups/dg/owner DELETE\n"
				   "groups/dg/preferred_owners DELETE\n"
				   "groups/dg/type DELETE\n"
				   "groups/dg/description DELETE\n"
				   "groups/dg/resources DELETE,ISDIR\n"
				   "groups/dg DELETE,ISDIR\n"
				   "registry/Groups/DG DELETE,ISDIR\n", out), 0);
	assert_set(events, expect, "group-delete dg");
	for (char *save, *l = strtok_r(expect, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "groups/dg/", 10) == 0)
			assert_before(events, l, "groups/dg DELETE,ISDIR");
		if (strncmp(l, "registry/Groups/DG/", 19) == 0)
			assert_before(events, l, "registry/Groups/DG DELETE,ISDIR");
	}
	free(expect);
	free(out);

	/* a user's own rmdir: only the kernel's DELETE,ISDIR in groups/ */
	free(run("mkdir groups/ug\n"));
	out = run("gid=$(cat groups/ug/id)\n"
		  "ls registry/Groups/$gid | sed 's|^|registry/Groups/UG/|; s|$| DELETE|'\n"
		  "echo ===\n"
		  "W\n"
		  "rmdir groups/ug\n"
		  "U $gid=UG\n");
	events = strstr(out, "===\n");
	cr_assert_not_null(events);
	*events = '\0';
	events += 4;
	cr_assert_geq(asprintf(&expect, "%s"
				   "groups/ug DELETE,ISDIR\n"
				   "registry/Groups/UG DELETE,ISDIR\n", out), 0);
	assert_set(events, expect, "rmdir groups/ug");
	free(expect);
	free(out);
}

/* Renames: MOVED_FROM and MOVED_TO with one cookie, also in the group's
 * resources/, and the content that changed with them. */
Test(inotify, object_renamed)
{
	free(run("C 'group-create web' 'resource-create r \"IP Address\" web'\n"));
	char *out = run("W\n"
			"mv groups/web groups/www\n"
			"C 'resource-rename r r2'\n"
			"U \"$(cat groups/www/id)=WEB\" \"$(cat resources/r2/id)=R\"\n");
	assert_set(out, "groups/web MOVED_FROM,ISDIR c\n"
			"groups/www MOVED_TO,ISDIR c\n"
			"registry/Groups/WEB/Name MODIFY\n"
			"registry/Groups/WEB/Name CLOSE_WRITE,CLOSE\n"
			"resources/r/group MODIFY\n"
			"resources/r/group CLOSE_WRITE,CLOSE\n"
			"resources/r MOVED_FROM,ISDIR c\n"
			"resources/r2 MOVED_TO,ISDIR c\n"
			"groups/www/resources/r MOVED_FROM c\n"
			"groups/www/resources/r2 MOVED_TO c\n"
			"registry/Resources/R/Name MODIFY\n"
			"registry/Resources/R/Name CLOSE_WRITE,CLOSE\n",
		   "mv groups/web groups/www; resource-rename r r2");
	assert_before(out, "groups/web MOVED_FROM,ISDIR c", "groups/www MOVED_TO,ISDIR c");
	assert_before(out, "resources/r MOVED_FROM,ISDIR c", "resources/r2 MOVED_TO,ISDIR c");
	assert_before(out, "groups/www/resources/r MOVED_FROM c", "groups/www/resources/r2 MOVED_TO c");
	free(out);
}

/* Bringing a group online: the daemon changes every resource's state, in
 * dependency order (offline: dependents first), and the registry view. */
Test(inotify, daemon_state_changes_in_dependency_order)
{
	free(run("printf '%%s\\n' begin 'group-create g' 'resource-create z \"IP Address\" g' "
	         "'resource-create m \"IP Address\" g' 'resource-create a \"IP Address\" g' "
	         "'resource-depend m z' 'resource-depend a m' commit > control\n"
		 /* the setup's own events come and go before the watcher starts */
		 "sleep 0.5\n"));
	const char *ids = "\"$(cat groups/g/id)=G\" \"$(cat resources/z/id)=Z\" "
			  "\"$(cat resources/m/id)=MM\" \"$(cat resources/a/id)=A\"";
	const char *all = "groups/g/state MODIFY\n"
			  "groups/g/state CLOSE_WRITE,CLOSE\n"
			  "registry/Groups/G/State MODIFY\n"
			  "registry/Groups/G/State CLOSE_WRITE,CLOSE\n"
			  "resources/z/state MODIFY\n"
			  "resources/z/state CLOSE_WRITE,CLOSE\n"
			  "resources/m/state MODIFY\n"
			  "resources/m/state CLOSE_WRITE,CLOSE\n"
			  "resources/a/state MODIFY\n"
			  "resources/a/state CLOSE_WRITE,CLOSE\n"
			  "registry/Resources/Z/State MODIFY\n"
			  "registry/Resources/Z/State CLOSE_WRITE,CLOSE\n"
			  "registry/Resources/MM/State MODIFY\n"
			  "registry/Resources/MM/State CLOSE_WRITE,CLOSE\n"
			  "registry/Resources/A/State MODIFY\n"
			  "registry/Resources/A/State CLOSE_WRITE,CLOSE\n";
	char *out = run("W\necho online > groups/g/state\nU %s\n", ids);
	once(out, "groups/g/state MODIFY");
	assert_set(out, all, "echo online > groups/g/state");
	char *st = run("cat resources/z/state resources/m/state resources/a/state groups/g/state");
	assert_eq(st, "online\nonline\nonline\nonline\n", "the states after online");
	free(st);
	assert_before(out, "resources/z/state MODIFY", "resources/z/state CLOSE_WRITE,CLOSE");
	assert_before(out, "resources/z/state CLOSE_WRITE,CLOSE", "resources/m/state MODIFY");
	assert_before(out, "resources/m/state CLOSE_WRITE,CLOSE", "resources/a/state MODIFY");
	assert_before(out, "resources/a/state MODIFY", "resources/a/state CLOSE_WRITE,CLOSE");
	free(out);

	out = run("W\necho offline > groups/g/state\nU %s\n", ids);
	once(out, "groups/g/state MODIFY");
	assert_set(out, all, "echo offline > groups/g/state");
	assert_before(out, "resources/a/state CLOSE_WRITE,CLOSE", "resources/m/state MODIFY");
	assert_before(out, "resources/m/state CLOSE_WRITE,CLOSE", "resources/z/state MODIFY");

	/* through control, the group's own file comes from the daemon too */
	free(out);
	out = run("W\nC 'group-online g'\nU %s\n", ids);
	assert_set(out, all, "group-online g");
	assert_before(out, "resources/z/state CLOSE_WRITE,CLOSE", "resources/m/state MODIFY");
	assert_before(out, "resources/m/state CLOSE_WRITE,CLOSE", "resources/a/state MODIFY");
	free(out);
}

/* A resource added to / removed from a group: CREATE / DELETE of its link
 * in groups/G/resources/. */
Test(inotify, group_resource_links)
{
	free(run("C 'group-create g1' 'group-create g2' 'resource-create r \"IP Address\" g1'\n"));
	const char *ids = "\"$(cat resources/r/id)=R\"";
	char *out = run("W\n"
			"C 'resource-create n \"IP Address\" g1'\n"
			"sleep 0.5\n"
			"C 'resource-delete n'\n"
			"U | grep '^groups/' || true\n");
	assert_eq(out, "groups/g1/resources/n CREATE\n"
		       "groups/g1/resources/n DELETE\n", "resource-create n; sleep 0.5; resource-delete n");
	free(out);

	out = run("W\nC 'resource-group r g2'\nU %s\n", ids);
	assert_set(out, "groups/g1/resources/r DELETE\n"
			"groups/g2/resources/r CREATE\n"
			"resources/r/group MODIFY\n"
			"resources/r/group CLOSE_WRITE,CLOSE\n"
			"registry/Resources/R/Group MODIFY\n"
			"registry/Resources/R/Group CLOSE_WRITE,CLOSE\n",
		   "resource-group r g2");
	free(out);

	/* the same through the file: the kernel reports the write itself */
	out = run("W\necho g1 > resources/r/group\nU %s\n", ids);
	once(out, "resources/r/group MODIFY");
	assert_set(out, "groups/g2/resources/r DELETE\n"
			"groups/g1/resources/r CREATE\n"
			"resources/r/group MODIFY\n"
			"resources/r/group CLOSE_WRITE,CLOSE\n"
			"registry/Resources/R/Group MODIFY\n"
			"registry/Resources/R/Group CLOSE_WRITE,CLOSE\n",
		   "echo g1 > resources/r/group");
	free(out);
	out = run("ls groups/g1/resources groups/g2/resources");
	assert_eq(out, "groups/g1/resources:\nr\n\ngroups/g2/resources:\n", "the links");
	free(out);
}

/* Changes made one right after the other: each still gets its events, in
 * order (an object created and at once deleted: CREATE, then DELETE). */
Test(inotify, create_then_delete_at_once)
{
	free(run("C 'group-create g1'\n"));
	char *out = run("W\n"
			"C 'resource-create n \"IP Address\" g1'\n"
			"C 'resource-delete n'\n"
			"C 'reg-create-key Q'\n"
			"C 'reg-delete-key Q'\n"
			"C 'group-create g2'\n"
			"C 'group-delete g2'\n"
			"U | grep -v -e '^resources/n/' -e '^registry/Resources/[^/]*/' "
			"-e '^registry/Groups/[^/]*/' -e '^groups/g2/' | sed 's#^registry/\\(Groups\\|Resources\\)/[^ ]*#registry/\\1/ID#'\n");
	assert_eq(out, "registry/Resources/ID CREATE,ISDIR\n"
		       "resources/n CREATE,ISDIR\n"
		       "groups/g1/resources/n CREATE\n"
		       "groups/g1/resources/n DELETE\n"
		       "resources/n DELETE,ISDIR\n"
		       "registry/Resources/ID DELETE,ISDIR\n"
		       "registry/Q CREATE,ISDIR\n"
		       "registry/Q DELETE,ISDIR\n"
		       "registry/Groups/ID CREATE,ISDIR\n"
		       "groups/g2 CREATE,ISDIR\n"
		       "groups/g2 DELETE,ISDIR\n"
		       "registry/Groups/ID DELETE,ISDIR\n",
		  "resource-create n; resource-delete n; reg-create-key Q; reg-delete-key Q; "
		  "group-create g2; group-delete g2 (files inside the new directories left out)");
	free(out);
}

/* Registry values and keys, through control and through the files. */
Test(inotify, registry_changes)
{
	free(run("C 'reg-create-key K' 'reg-set K a REG_SZ x' 'reg-set K b REG_DWORD 5' "
	         "'reg-create-key K\\Sub' 'reg-create-key K\\Gone' 'reg-set K\\Gone v1 REG_SZ 1' "
	         "'reg-set K\\Gone v2 REG_SZ 2'\n"));
	char *out = run("W\n"
			"C 'reg-set K c REG_SZ new'\n"
			"C 'reg-set K a REG_SZ y'\n"
			"C 'reg-delete K b'\n"
			"C 'reg-rename K a a2'\n"
			"C 'reg-create-key K\\New'\n"
			"C 'reg-rename-key K\\Sub Sub2'\n"
			"C 'reg-delete-key K\\Sub2'\n"
			"U\n");
	assert_set(out, "registry/K/c CREATE\n"
			"registry/K/a MODIFY\n"
			"registry/K/a CLOSE_WRITE,CLOSE\n"
			"registry/K/b DELETE\n"
			"registry/K/a MOVED_FROM c\n"
			"registry/K/a2 MOVED_TO c\n"
			"registry/K/New CREATE,ISDIR\n"
			"registry/K/Sub MOVED_FROM,ISDIR c\n"
			"registry/K/Sub2 MOVED_TO,ISDIR c\n"
			"registry/K/Sub2 DELETE,ISDIR\n",
		   "registry values and keys through control");
	free(out);
	out = run("cat registry/K/a2 registry/K/c; ls registry/K | paste -sd' '");
	assert_eq(out, "y\nnew\nGone New a2 c\n", "registry/K after the changes");
	free(out);

	/* a key deleted with its values (reg-delete-key): each value's DELETE,
	 * as rm -r on a local file system, then the key's */
	out = run("W\nC 'reg-delete-key K\\Gone'\nU\n");
	assert_set(out, "registry/K/Gone/v1 DELETE\n"
			"registry/K/Gone/v2 DELETE\n"
			"registry/K/Gone DELETE,ISDIR\n",
		   "reg-delete-key K\\Gone (a key holding values v1 and v2)");
	assert_before(out, "registry/K/Gone/v1 DELETE", "registry/K/Gone DELETE,ISDIR");
	assert_before(out, "registry/K/Gone/v2 DELETE", "registry/K/Gone DELETE,ISDIR");
	free(out);

	/* security: ATTRIB on the key and its value files (not its subkeys) */
	const char *attrib = "registry/K ATTRIB,ISDIR\n"
			     "registry/K/ ATTRIB,ISDIR\n"
			     "registry/K/a2 ATTRIB\n"
			     "registry/K/c ATTRIB\n";
	out = run("W\nC 'reg-security K 0700 0 0'\nU\n");
	assert_set(out, attrib, "reg-security K 0700 0 0");
	free(out);
	out = run("W\nchmod 750 registry/K\nU\n");
	assert_set(out, attrib, "chmod 750 registry/K");
	free(out);
	out = run("stat -c '%%a' registry/K registry/K/a2");
	assert_eq(out, "750\n640\n", "modes of registry/K and a value");
	free(out);

	/* a user's own calls: the kernel's events, none replayed */
	out = run("W\n"
		  "echo hi > registry/K/u\n"
		  "echo ho > registry/K/u\n"
		  "rm registry/K/u\n"
		  "mkdir registry/K/D\n"
		  "rmdir registry/K/D\n"
		  "mv registry/K/c registry/K/c2\n"
		  "U\n");
	assert_eq(out, "registry/K/u CREATE\n"
			      "registry/K/u MODIFY\n"
			      "registry/K/u CLOSE_WRITE,CLOSE\n"
			      "registry/K/u MODIFY\n"
			      "registry/K/u CLOSE_WRITE,CLOSE\n"
			      "registry/K/u DELETE\n"
			      "registry/K/D CREATE,ISDIR\n"
			      "registry/K/D DELETE,ISDIR\n"
			      "registry/K/c MOVED_FROM c\n"
			      "registry/K/c2 MOVED_TO c\n",
			 "a user's echo, rm, mkdir, rmdir, mv in registry/");
	free(out);
}

/* Property changes of the cluster and of a node, and MODIFY on log. */
Test(inotify, property_changes_and_log)
{
	char *out = run("W\n"
			"C 'cluster-rename newname'\n"
			"U\n");
	assert_set(out, "name MODIFY\n"
			"name CLOSE_WRITE,CLOSE\n"
			"registry/ClusterName MODIFY\n"
			"registry/ClusterName CLOSE_WRITE,CLOSE\n",
		   "cluster-rename newname");
	free(out);
	out = run("cat name");
	assert_eq(out, "newname\n", "name");
	free(out);

	out = run("h=$(hostname)\n"
		  "W\n"
		  "C \"node-state $h pause\"\n"
		  "U \"$h=H\" \"$(cat nodes/$h/id)=NID\"\n");
	assert_set(out, "nodes/H/state MODIFY\n"
			"nodes/H/state CLOSE_WRITE,CLOSE\n"
			"registry/Nodes/NID/State MODIFY\n"
			"registry/Nodes/NID/State CLOSE_WRITE,CLOSE\n",
		   "node-state pause");
	free(out);
	/* the resume's MODIFY on log must not count below: it comes within
	 * the same 0.3 s the changes below are apart */
	free(run("C \"node-state $(hostname) resume\"\nsleep 0.3\n"));

	/* every change: MODIFY on log */
	out = run("W\n"
		  "mkdir groups/l1\n"
		  "sleep 0.3\n"
		  "C 'reg-create-key LK'\n"
		  "sleep 0.3\n"
		  "C 'group-online l1'\n"
		  "KEEP_LOG=1 U | grep -c '^log MODIFY$' || true\n");
	assert_eq(out, "3\n", "MODIFY on log for each of three changes, 0.3 s apart");
	free(out);
}

/* ~2000 changes in batches while other processes keep reading the same
 * files: every changed file gets its events (one MODIFY per commit at
 * most), and what a watcher reads after the last event is the final
 * value. */
Test(inotify, many_changes_while_reading, .timeout = 300)
{
	static const char PY[] =
		"import os, subprocess, sys, time\n"
		"M = os.environ['M']; D = os.environ['D']\n"
		"d = M + '/registry/L'\n"
		"w = subprocess.Popen(['timeout', '200', 'inotifywait', '-m', '-e', 'create,modify,close_write', '--format', '%e %f', d],\n"
		"                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)\n"
		"open(D + '/bg.pids', 'a').write('%d\\n' % w.pid)\n"
		"while 'Watches established' not in w.stderr.readline():\n"
		"    pass\n"
		"mods, closes, last = {}, {}, {}\n"
		"pid = os.fork()\n"
		"if pid == 0:\n"
		"    fd = os.open(M + '/control', os.O_WRONLY)\n"
		"    for b in range(20):\n"
		"        text = ''.join('reg-set L v%d REG_SZ b%d-%d\\n' % ((b * 100 + j) % 200, b, j)\n"
		"                       for j in range(100))\n"
		"        os.write(fd, text.encode())\n"
		"    os.write(fd, b'reg-set L zz_done REG_SZ done\\n')\n"
		"    os._exit(0)\n"
		"for line in w.stdout:\n"
		"    ev, _, f = line.rstrip('\\n').partition(' ')\n"
		"    if f == 'zz_done':\n"
		"        break\n"
		"    if 'MODIFY' in ev:\n"
		"        mods[f] = mods.get(f, 0) + 1\n"
		"    if 'CLOSE_WRITE' in ev:\n"
		"        closes[f] = closes.get(f, 0) + 1\n"
		"    if 'MODIFY' in ev or 'CLOSE_WRITE' in ev:\n"
		"        last[f] = open(d + '/' + f).read()\n"
		"os.waitpid(pid, 0)\n"
		"w.terminate()\n"
		"bad = []\n"
		"for i in range(200):\n"
		"    f = 'v%d' % i\n"
		"    b = 18 + (i // 100)\n"
		"    final = 'b%d-%d\\n' % (b, i % 100)\n"
		"    m, c = mods.get(f, 0), closes.get(f, 0)\n"
		"    if not 1 <= m <= 10 or not 1 <= c <= 10:\n"
		"        bad.append('%s: %d MODIFY %d CLOSE_WRITE for 10 commits' % (f, m, c))\n"
		"    if last.get(f) != final:\n"
		"        bad.append('%s: read %r after its last event, final value %r' % (f, last.get(f), final))\n"
		"    if open(d + '/' + f).read() != final:\n"
		"        bad.append('%s: content is not the final value' % f)\n"
		"others = sorted(set(mods) - set('v%d' % i for i in range(200)))\n"
		"if others:\n"
		"    bad.append('events for unchanged files: %s' % others)\n"
		"print('events: %d MODIFY, %d CLOSE_WRITE' % (sum(mods.values()), sum(closes.values())),\n"
		"      file=sys.stderr)\n"
		"print('\\n'.join(bad[:20]) if bad else 'ok')\n";
	put_script("many.py", PY);
	free(run("python3 -c 'import sys; sys.stdout.write(\"reg-create-key L\\n\" + "
	         "\"\".join(\"reg-set L v%%d REG_SZ init%%d\\n\" %% (i, i) for i in range(200)))' > control\n"));
	char *out = run("for r in 1 2; do timeout 200 bash -c 'while :; do cat registry/L/* > /dev/null 2>&1; done' & BG; done\n"
			"timeout 200 python3 \"$D/many.py\"\n");
	assert_eq(out, "ok\n", "2000 changes in 20 commits of 100 values");
	free(out);
}

/* A watcher that reads the file when the event arrives sees the new
 * content: 200 state changes, each waiting for the watcher to read. */
Test(inotify, reader_sees_new_content, .timeout = 300)
{
	char *out = run("mkdir groups/t\n"
			": > \"$D/seen\"\n"
			"mkfifo \"$D/t.fifo\"\n"
			"timeout 250 inotifywait -m -e close_write --format '%%f' groups/t > \"$D/t.fifo\" 2> \"$D/t.err\" & ip=$!; BG\n"
			"( while read -r f; do [ \"$f\" = state ] && cat groups/t/state >> \"$D/seen\"; done < \"$D/t.fifo\" ) & BG\n"
			"for i in $(seq 500); do grep -q 'Watches established' \"$D/t.err\" && break; sleep 0.02; done\n"
			"want=offline; : > \"$D/expect\"\n"
			"for i in $(seq 200); do\n"
			"  if [ $want = offline ]; then want=online; else want=offline; fi\n"
			"  C \"group-$want t\"\n"
			"  echo $want >> \"$D/expect\"\n"
			"  for j in $(seq 500); do [ $(wc -l < \"$D/seen\") -ge $i ] && break; sleep 0.01; done\n"
			"done\n"
			"sleep 0.3\n"
			"kill $ip\n"
			"diff \"$D/expect\" \"$D/seen\" | head -20\n"
			"wc -l < \"$D/seen\"\n");
	assert_eq(out, "200\n", "what the watcher read on each event (diff expected seen, then the count)");
	free(out);
}

/* The replays' backlog is bounded (--replay-backlog): a commit waits for
 * the replays of the ones before it while more than that many wait. With
 * a bound of 1, when a write returns, every event of the write before it
 * is already in the watcher's inotify queue: 5000 IN_CREATE of one
 * write, counted without waiting (a nonblocking read) once the next write
 * returned. With the default bound, the second write returns while the
 * first's replay still runs. */
static const char BACKLOG_PY[] =
	"import ctypes, os, struct, sys\n"
	"M = os.environ['M']; N = int(sys.argv[1])\n"
	"libc = ctypes.CDLL(None, use_errno=True)\n"
	"fd = libc.inotify_init1(os.O_NONBLOCK)\n"
	"assert fd >= 0\n"
	"assert libc.inotify_add_watch(fd, (M + '/registry/B').encode(), 0x100) >= 0\n"
	"c = os.open(M + '/control', os.O_WRONLY)\n"
	"os.write(c, ''.join('reg-set B v%d REG_SZ x\\n' % i for i in range(N)).encode())\n"
	"os.write(c, b'reg-set O w REG_SZ x\\n')\n"
	"n = 0\n"
	"while True:\n"
	"    try:\n"
	"        buf = os.read(fd, 1 << 16)\n"
	"    except BlockingIOError:\n"
	"        break\n"
	"    i = 0\n"
	"    while i < len(buf):\n"
	"        wd, mask, cookie, ln = struct.unpack_from('iIII', buf, i)\n"
	"        name = buf[i + 16:i + 16 + ln].rstrip(b'\\0')\n"
	"        if mask & 0x100 and name.startswith(b'v'):\n"
	"            n += 1\n"
	"        i += 16 + ln\n"
	"print(n)\n";

Test(inotify, replay_backlog_bounds_what_waits, .timeout = 300)
{
	mnt_stop_daemon(&M);
	mnt_start(&M, "--replay-backlog=1");
	put_script("backlog.py", BACKLOG_PY);
	char *out = run("C 'reg-create-key B' 'reg-create-key O'\n"
			"timeout 200 python3 \"$D/backlog.py\" 5000\n");
	assert_eq(out, "5000\n", "IN_CREATE of the first write queued when the second returned");
	free(out);
}
