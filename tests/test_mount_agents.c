/* SPDX-License-Identifier: MIT */
/* Resources that run (README "Resources that run"), with real agents:
 * Debian's resource-agents (ocf:heartbeat:Dummy, Delay, anything) and the
 * built-in Generic Application and IP Address. Each test gets its own OCF
 * root holding links to a few of the installed agents (so that the daemon
 * reads four meta-data, not 150), and short intervals. Whatever a test
 * started is stopped by the fixture, even when the test fails. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mount_checks.h"
#include "mount_harness.h"

#define AGENTS "/usr/lib/ocf/resource.d/heartbeat"

static char ocf_root[PATH_MAX];
static char daemon_args[PATH_MAX + 32];


/* A script that hangs is killed after 60 s. */
#define WATCHDOG WATCHDOG_AFTER(60)

#define PRE                                                                                   \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M\"\n"                           \
		 "wait_for() { local n=$(( $1 * 20 )); shift; "                               \
		 "while ! eval \"$@\" > /dev/null 2>&1; do n=$((n - 1)); "                    \
		 "[ $n -gt 0 ] || { echo \"timed out: $*\" >&2; return 1; }; sleep 0.05; done; }\n" \
		 "st() { cat resources/$1/state; }\n"                                         \
		 "pid_of() { read -r p _ < \"$S/agents/$(cat resources/$1/id).pid\"; echo $p; }\n"

static void run(const char *script)
{
	free(out_of(script));
}

static void start_daemon(void)
{
	mnt_start(&M, daemon_args);
}

static void setup(void)
{
	mnt_require_fuse();
	if (access(AGENTS "/Dummy", X_OK) != 0)
		cr_skip_test("resource-agents is not installed (scripts/deps.sh installs it)");
	snprintf(ocf_root, sizeof(ocf_root), "/tmp/cfs-ocf.XXXXXX");
	cr_assert_not_null(mkdtemp(ocf_root));
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir -p resource.d/heartbeat; ln -s /usr/lib/ocf/lib lib; "
		 "for a in Dummy Delay anything; do ln -s " AGENTS "/$a resource.d/heartbeat/$a; done",
		 ocf_root);
	cr_assert_eq(system(cmd), 0);
	snprintf(daemon_args, sizeof(daemon_args), "--ocf-root=%s", ocf_root);
	start_daemon();
	/* The agents' types are registered in the background at start. */
	run("wait_for 20 '[ -d resourcetypes/ocf:heartbeat:anything ] && "
	    "[ -d resourcetypes/ocf:heartbeat:Delay ] && [ -d resourcetypes/ocf:heartbeat:Dummy ]'");
}

/* Whatever the test started goes: the daemon's clean stop, then anything
 * left behind (a killed daemon's processes, an address, state files). */
static void fini(void)
{
	if (M.pid > 0)
		mnt_stop_daemon(&M);
	char cmd[PATH_MAX * 4];
	snprintf(cmd, sizeof(cmd),
		 "for f in '%s'/agents/*.pid; do [ -e \"$f\" ] || continue; read -r p _ < \"$f\"; "
		 "kill -KILL -- -\"$p\" 2> /dev/null || true; done; "
		 "ip addr del 127.0.0.77/32 dev lo 2> /dev/null || true; "
		 "for f in '%s'/agents/*.id; do [ -e \"$f\" ] || continue; "
		 "rm -f /run/resource-agents/Dummy-$(cat \"$f\").state; done; rm -rf '%s'",
		 M.state, M.state, ocf_root);
	if (system(cmd) != 0) {
		/* Best effort. */
	}
	teardown();
}

TestSuite(agents, .init = setup, .fini = fini, .timeout = 120);

/* Keeps the ids of Dummy resources for the clean-up of their state files. */
#define NOTE_IDS                                                                         \
	"for r in \"$@\"; do cat resources/$r/id > \"$S/agents/$(cat resources/$r/id).id\"; " \
	"done"

Test(agents, types_come_from_the_agents_and_follow_the_directory)
{
	char *o = out_of("ls resourcetypes | grep '^ocf:'\n"
			 "cat resourcetypes/ocf:heartbeat:Dummy/description\n"
			 "cat resourcetypes/ocf:heartbeat:Dummy/dll");
	char *want;
	cr_assert_geq(asprintf(&want, "ocf:heartbeat:Delay\nocf:heartbeat:Dummy\n"
				      "ocf:heartbeat:anything\nExample stateless resource agent\n"
				      "%s/resource.d/heartbeat/Dummy\n", ocf_root), 0);
	cr_assert_str_eq(o, want);
	free(want);
	free(o);
	/* Parameters and timeouts from the meta-data. */
	o = out_of("t=registry/ResourceTypes/$(cat resourcetypes/ocf:heartbeat:anything/id)\n"
		   "cat $t/Parameters/binfile $t/PendingTimeout $t/LooksAlivePollInterval");
	cr_assert_str_eq(o, "string required\n20000\n10000\n");
	free(o);
	/* An agent added, then removed. */
	char cmd[PATH_MAX * 4];
	snprintf(cmd, sizeof(cmd), "ln -s " AGENTS "/Dummy %s/resource.d/heartbeat/Extra\n"
		 "wait_for 10 '[ -d resourcetypes/ocf:heartbeat:Extra ]'\n"
		 "rm %s/resource.d/heartbeat/Extra\n"
		 "wait_for 10 '[ ! -d resourcetypes/ocf:heartbeat:Extra ]'",
		 ocf_root, ocf_root);
	run(cmd);
}

Test(agents, start_and_stop_in_dependency_order_seen_everywhere)
{
	run("printf '%s\\n' 'group-create web' 'resource-create d ocf:heartbeat:Dummy web' "
	    "'resource-create app \"Generic Application\" web' 'resource-depend app d' > control\n"
	    "set -- d; " NOTE_IDS "\n"
	    "ls resources/d/parameters | tr '\\n' ' '; echo\n"
	    "echo 'sleep 300' > resources/app/parameters/CommandLine\n"
	    "[ \"$(cat resources/app/parameters/CommandLine)\" = 'sleep 300' ]\n"
	    "mkdir ports/p; echo 'kind=resource change=state' > ports/p/filter\n"
	    "cat ports/p/events > \"$D/events\" & echo $! > \"$D/reader\"\n"
	    "inotifywait -q -t 20 -e modify resources/d/state > \"$D/inotify\" & iw=$!\n"
	    "sleep 0.3\n"
	    "echo online > groups/web/state\n"
	    "wait_for 10 '[ \"$(cat groups/web/state)\" = online ]'\n"
	    "wait $iw; grep -q 'state MODIFY' \"$D/inotify\"\n"
	    "kill -0 $(pid_of app)\n"
	    "echo offline > groups/web/state\n"
	    "wait_for 10 '[ \"$(cat groups/web/state)\" = offline ]'\n"
	    "[ ! -e \"$S/agents/$(cat resources/app/id).pid\" ]\n"
	    "kill $(cat \"$D/reader\")");
	/* Starts: d, then app; stops: app, then d (the event log's order). */
	char *o = out_of("grep -E ' resource state (d|app) ' log | "
			 "sed -E 's/^[^ ]+ [0-9]+ resource state //'");
	cr_assert_str_eq(o, "d offline -> onlinepending\n"
			    "app offline -> onlinepending\n"
			    "d onlinepending -> online\n"
			    "app onlinepending -> online\n"
			    "app online -> offlinepending\n"
			    "d online -> offlinepending\n"
			    "app offlinepending -> offline\n"
			    "d offlinepending -> offline\n",
			 "%s", o);
	free(o);
	/* The port has them too, with the Windows flags. */
	o = out_of("grep '\"name\":\"d\"' \"$D/events\" | "
		   "grep -c '\"v1\":256,\"v2type\":3,\"v2flags\":4'");
	cr_assert_str_eq(o, "4\n", "%s", o);
	free(o);
}

Test(agents, a_killed_process_is_restarted_within_its_interval)
{
	run("printf '%s\\n' 'group-create g' 'resource-create app \"Generic Application\" g' "
	    "'resource-param app CommandLine \"sleep 301\"' "
	    "'resource-create any ocf:heartbeat:anything g' "
	    "'resource-param any binfile /bin/sleep' 'resource-param any cmdline_options 302' "
	    "'resource-policy any monitor_interval 1s' "
	    "'resource-create slow ocf:heartbeat:anything g' "
	    "'resource-param slow binfile /bin/sleep' 'resource-param slow cmdline_options 303' "
	    "'resource-policy slow monitor_interval 1h' 'group-online g' > control\n"
	    "wait_for 10 '[ \"$(cat groups/g/state)\" = online ]'\n"
	    /* The supervised process: seen at once. */
	    "p=$(pid_of app); kill -9 $p\n"
	    "wait_for 5 '[ \"$(pid_of app)\" != $p ] && [ \"$(st app)\" = online ]'\n"
	    /* The OCF agents' processes: each seen by its own monitor, at its
	     * own interval. Both are killed; the one checked every second
	     * is restarted, the one checked every hour is not noticed yet
	     * (which is what shows the interval at work, whatever the
	     * machine's speed). */
	    "pid_file() { echo /var/run/anything_$(cat resources/$1/id).pid; }\n"
	    "p=$(cat $(pid_file any)); q=$(cat $(pid_file slow))\n"
	    "kill -9 $p $q\n"
	    "wait_for 30 '[ \"$(cat $(pid_file any))\" != $p ] && [ \"$(st any)\" = online ]'\n"
	    "grep -q 'resource state any online -> failed' log\n"
	    "grep -q 'resource any: monitor' \"$D/daemon.log\"\n"
	    "[ \"$(cat registry/Resources/$(cat resources/any/id)/RestartCount)\" = 1 ]\n"
	    "[ \"$(st slow)\" = online ] && [ \"$(cat $(pid_file slow))\" = $q ]\n"
	    "! grep -q 'resource state slow online -> failed' log\n"
	    /* no restart yet: no count */
	    "[ ! -e registry/Resources/$(cat resources/slow/id)/RestartCount ]");
}

Test(agents, past_the_threshold_the_resource_stays_failed)
{
	run("printf '%s\\n' 'group-create g' 'resource-create app \"Generic Application\" g' "
	    "'resource-param app CommandLine \"sleep 303\"' > control\n"
	    "echo restart > resources/app/restart_action\n"
	    "echo 1 > resources/app/restart_threshold\n"
	    "echo online > groups/g/state\n"
	    "wait_for 10 '[ \"$(st app)\" = online ]'\n"
	    "p=$(pid_of app); kill -9 $p\n"
	    "wait_for 5 '[ \"$(pid_of app)\" != $p ] && [ \"$(st app)\" = online ]'\n"
	    "kill -9 $(pid_of app)\n"
	    "wait_for 5 '[ \"$(st app)\" = failed ]'\n"
	    "sleep 0.5; [ \"$(st app)\" = failed ]; [ \"$(cat groups/g/state)\" = failed ]\n"
	    /* An administrator's online starts it afresh. */
	    "echo online > resources/app/state\n"
	    "wait_for 5 '[ \"$(st app)\" = online ]'");
}

Test(agents, alone_restart_then_failover_ends_the_group_failed)
{
	run("printf '%s\\n' 'group-create g' 'resource-create app \"Generic Application\" g' "
	    "'resource-param app CommandLine \"sleep 304\"' 'resource-create d ocf:heartbeat:Dummy g' "
	    "'resource-policy app restart_threshold 0' 'group-online g' > control\n"
	    "set -- d; " NOTE_IDS "\n"
	    "wait_for 10 '[ \"$(cat groups/g/state)\" = online ]'\n"
	    "kill -9 $(pid_of app)\n"
	    "wait_for 5 '[ \"$(cat groups/g/state)\" = failed ]'\n"
	    "[ \"$(st app)\" = failed ]; [ \"$(st d)\" = offline ]");
}

Test(agents, a_hung_start_times_out_and_leaves_nothing_running)
{
	run("printf '%s\\n' 'group-create g' 'resource-create slow ocf:heartbeat:Delay g' "
	    "'resource-param slow startdelay 37' 'resource-param slow mondelay 0' "
	    "'resource-policy slow pending_timeout 1500ms' "
	    "'resource-policy slow restart_action norestart' > control\n"
	    "t0=$(date +%s%N)\n"
	    "echo online > resources/slow/state\n"
	    "[ \"$(st slow)\" = onlinepending ]\n"
	    "wait_for 3 'pgrep -x -f \"sleep 37\"'\n"
	    "wait_for 10 '[ \"$(st slow)\" = failed ]'\n"
	    "t1=$(date +%s%N); [ $(( (t1 - t0) / 1000000 )) -lt 5000 ]\n"
	    "! pgrep -x -f 'sleep 37'\n"
	    "grep -q 'resource slow: start: start timed out after 1500 ms' \"$D/daemon.log\"");
}

Test(agents, a_crashed_daemon_is_probed_at_its_next_start)
{
	run("printf '%s\\n' 'group-create g' 'resource-create keep \"Generic Application\" g' "
	    "'resource-param keep CommandLine \"sleep 305\"' "
	    "'resource-create lost \"Generic Application\" g' "
	    "'resource-param lost CommandLine \"sleep 306\"' "
	    "'resource-policy lost restart_action norestart' "
	    "'resource-create d ocf:heartbeat:Dummy g' 'group-online g' > control\n"
	    "set -- d; " NOTE_IDS "\n"
	    "wait_for 10 '[ \"$(cat groups/g/state)\" = online ]'\n"
	    "pid_of keep > \"$D/keep\"; pid_of lost > \"$D/lost\"");
	mnt_kill9(&M);
	/* While it is down: one process dies, the others live on. */
	run("cd /; kill -9 $(cat \"$D/lost\"); sleep 0.2; kill -0 $(cat \"$D/keep\")");
	start_daemon();
	run("wait_for 10 '[ \"$(st lost)\" = failed ]'\n"
	    "[ \"$(st keep)\" = online ]; [ \"$(pid_of keep)\" = \"$(cat \"$D/keep\")\" ]\n"
	    "[ \"$(st d)\" = online ]\n"
	    "[ \"$(pgrep -c -x -f 'sleep 305')\" = 1 ]\n"
	    "grep -q 'resource keep: probe: running' \"$D/daemon.log\"\n"
	    "grep -q 'resource lost: monitor: not running when clusterfs started' \"$D/daemon.log\" || "
	    "grep -q 'resource lost: probe: not running' \"$D/daemon.log\"");
}

Test(agents, a_clean_stop_takes_them_offline_and_the_next_start_back)
{
	run("printf '%s\\n' 'type-create Plain' 'group-create g' "
	    "'resource-create app \"Generic Application\" g' "
	    "'resource-param app CommandLine \"sleep 307\"' 'resource-create plain Plain g' "
	    "'group-online g' > control\n"
	    "wait_for 10 '[ \"$(cat groups/g/state)\" = online ]'\n"
	    "pid_of app > \"$D/app\"");
	cr_assert(stop_daemon_or_abort(), "the daemon did not stop within 5 s of SIGTERM");
	run("cd /; ! kill -0 $(cat \"$D/app\") 2> /dev/null\n"
	    "grep -q 'clean stop: nothing of this node runs any more' \"$D/daemon.log\"");
	start_daemon();
	run("wait_for 10 '[ \"$(st app)\" = online ]'\n"
	    "[ \"$(st plain)\" = online ]\n"
	    "grep -E ' resource state app ' log | tail -n 3 | grep -q 'online -> offlinepending' || "
	    "grep -q 'back online after a clean stop' \"$D/daemon.log\"");
}

Test(agents, bad_parameters_and_policy_values_are_refused)
{
	run("printf '%s\\n' 'group-create g' 'resource-create d ocf:heartbeat:Dummy g' "
	    "'resource-create any ocf:heartbeat:anything g' > control\n"
	    "set -- d; " NOTE_IDS);
	expect_err("Invalid argument", "echo sometimes > resources/d/restart_action");
	expect_err("Invalid argument", "echo 10 > resources/d/pending_timeout");
	expect_err("Invalid argument", "echo -1 > resources/d/restart_threshold");
	expect_err("Invalid argument", "echo 2 > resources/d/parameters/nope");
	expect_err("Invalid argument",
		   "r=registry/Resources/$(cat resources/d/id); setfattr -n user.cluster.type "
		   "-v REG_DWORD $r/x 2> /dev/null || true; echo 9 > $r/RestartAction");
	char *o = out_of("cat resources/d/restart_action resources/d/pending_timeout; "
			 "ls registry/Resources/$(cat resources/d/id)");
	cr_assert_str_eq(o, "failover\n20000\nGroup\nName\nState\nType\n", "%s", o);
	free(o);
	/* A required parameter missing: the start fails, and says why. */
	run("echo norestart > resources/any/restart_action\n"
	    "echo online > resources/any/state\n"
	    "wait_for 10 '[ \"$(st any)\" = failed ]'\n"
	    "grep -q 'resource any: start: the required parameter binfile is not set' "
	    "\"$D/daemon.log\"");
}

Test(agents, an_ip_address_is_put_on_and_taken_off)
{
	run("printf '%s\\n' 'group-create g' 'resource-create vip \"IP Address\" g' "
	    "'resource-param vip Address 127.0.0.77' 'resource-param vip SubnetMask 32' "
	    "'resource-param vip Interface lo' 'group-online g' > control\n"
	    "wait_for 10 '[ \"$(st vip)\" = online ]'\n"
	    "ip -o addr show dev lo > \"$D/a\"; grep -q 'inet 127.0.0.77/32' \"$D/a\"\n"
	    /* Taken away behind the cluster's back: the monitor notices. */
	    "echo 500ms > resources/vip/monitor_interval\n"
	    "ip addr del 127.0.0.77/32 dev lo\n"
	    "wait_for 5 'grep -q \"resource state vip online -> failed\" log'\n"
	    "wait_for 5 '[ \"$(st vip)\" = online ]'\n"
	    "ip -o addr show dev lo > \"$D/a\"; grep -q 'inet 127.0.0.77/32' \"$D/a\"\n"
	    "echo offline > groups/g/state\n"
	    "wait_for 10 '[ \"$(st vip)\" = offline ]'\n"
	    "ip -o addr show dev lo > \"$D/a\"; ! grep -q '127.0.0.77' \"$D/a\"");
}
