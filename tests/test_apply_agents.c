/* SPDX-License-Identifier: MIT */
/* Tests of the state machine's part for resources that run agents
 * (apply_agents.c, restype.c): OnlinePending until the node reports, the
 * order of starts and stops around state-only resources, the restart
 * policy with stamped times, failover and moves that wait for stops, a
 * clean stop's evacuation, parameters and policy values. Every decision is
 * deterministic: the commands carry the time they were made at. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "restype.h"
#include "value.h"

static struct cfs_model m;
static struct cfs_txn t;
static const char *last_why;
static int64_t now_s = 1000; /* the time the next command is stamped with */

static void setup(void)
{
	cr_assert_eq(cfs_model_init(&m), 0);
	cfs_txn_init(&t, &m, 1);
	now_s = 1000;
}

static void teardown(void)
{
	cfs_txn_free(&t);
	cfs_model_free(&m);
}

TestSuite(apply_agents, .init = setup, .fini = teardown);

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	struct cfs_cmd *c;
	const char *why = NULL;
	cr_assert_eq(cfs_cmd_parse(line, strlen(line), &c, &why), 0, "cannot parse [%s]", line);
	cfs_cmd_stamp(c, 0, 0);
	c->time_ns = now_s * 1000000000LL;
	last_why = NULL;
	int r = cfs_apply(&t, c, &last_why);
	cfs_cmd_free(c);
	return r;
}

#define OK(...)                                                                            \
	do {                                                                               \
		int r_ = run(__VA_ARGS__);                                                 \
		cr_assert_eq(r_, 0, "[" #__VA_ARGS__ "] failed: %d (%s)", r_,             \
			     last_why ? last_why : "-");                                  \
	} while (0)

/* A failing command fails with err and leaves no record. */
#define FAILS(err, ...)                                                                    \
	do {                                                                               \
		size_t n_ = t.nrecs;                                                       \
		int r_ = run(__VA_ARGS__);                                                 \
		cr_assert_eq(r_, err, "[" #__VA_ARGS__ "] gave %d (%s), not %d", r_,       \
			     last_why ? last_why : "-", err);                              \
		cr_assert_eq(t.nrecs, n_, "a failed command left records");                \
	} while (0)

static struct cfs_object *res(const char *name)
{
	struct cfs_object *o = cfs_model_by_name(&m, CFS_KIND_RESOURCE, name);
	cr_assert_not_null(o, "no resource %s", name);
	return o;
}

static const char *rst(const char *name)
{
	return cfs_state_name(CFS_KIND_RESOURCE, cfs_obj_state(res(name)));
}

static const char *gst(const char *name)
{
	struct cfs_object *g = cfs_model_by_name(&m, CFS_KIND_GROUP, name);
	cr_assert_not_null(g);
	return cfs_state_name(CFS_KIND_GROUP, cfs_obj_state(g));
}

static const char *owner(const char *group)
{
	struct cfs_object *g = cfs_model_by_name(&m, CFS_KIND_GROUP, group);
	struct cfs_object *n = cfs_obj_ref(&m, g, CFS_P_OWNER_NODE);
	return n ? n->name : "";
}

#define RST(r, want) cr_assert_str_eq(rst(r), want, "resource " r)
#define GST(g, want) cr_assert_str_eq(gst(g), want, "group " g)

/* Two nodes; group web on n1 with d (an OCF agent) and app (state-only)
 * depending on it. */
static void web(void)
{
	OK("node-add n1 1 10.0.0.1");
	OK("node-add n2 2 10.0.0.2");
	OK("type-create ocf:heartbeat:Dummy");
	OK("type-create Plain");
	OK("group-create web n1");
	OK("resource-create d ocf:heartbeat:Dummy web");
	OK("resource-create app Plain web");
	OK("resource-depend app d");
}

Test(apply_agents, online_waits_for_the_start_and_state_only_dependents_follow)
{
	web();
	OK("group-online web");
	RST("d", "onlinepending");
	RST("app", "onlinepending"); /* waits for d */
	GST("web", "pending");
	OK("resource-started d n1 ok");
	RST("d", "online");
	RST("app", "online");
	GST("web", "online");
}

Test(apply_agents, reports_from_elsewhere_or_too_late_change_nothing)
{
	web();
	OK("group-online web");
	size_t n = t.nrecs;
	OK("resource-started d n2 ok"); /* d is on n1 */
	OK("resource-stopped d n1 ok"); /* d is not stopping */
	OK("resource-monitor d n1 failed"); /* d is not online yet */
	cr_assert_eq(t.nrecs, n);
	RST("d", "onlinepending");
	FAILS(-EINVAL, "resource-started d n1 maybe");
	FAILS(-ENOENT, "resource-started nope n1 ok");
}

Test(apply_agents, stops_go_dependents_first_and_providers_wait)
{
	OK("node-add n1 1 10.0.0.1");
	OK("type-create ocf:heartbeat:Dummy");
	OK("type-create Plain");
	OK("group-create g n1");
	OK("resource-create base Plain g");
	OK("resource-create top ocf:heartbeat:Dummy g");
	OK("resource-depend top base");
	OK("group-online g");
	RST("base", "online");
	RST("top", "onlinepending");
	OK("resource-started top n1 ok");
	GST("g", "online");
	OK("group-offline g");
	RST("top", "offlinepending");
	RST("base", "offlinepending"); /* waits for top's stop */
	OK("resource-stopped top n1 ok");
	RST("top", "offline");
	RST("base", "offline");
	GST("g", "offline");
}

Test(apply_agents, a_failed_start_restarts_within_the_threshold)
{
	web();
	OK("resource-policy d restart_threshold 2");
	OK("group-online web");
	OK("resource-started d n1 failed");
	RST("d", "onlinepending"); /* failed, then restarted */
	cr_assert_eq(cfs_key_get_dword(res("d")->key, CFS_P_RESTART_COUNT, 0), 1);
	now_s += 10;
	OK("resource-started d n1 failed");
	RST("d", "onlinepending");
	now_s += 10;
	/* The third within the period: past the threshold, and restart_action
	 * is failover by default; n2 may take the group, and nothing runs on
	 * n1 any more, so it moves at once. */
	OK("resource-started d n1 failed");
	cr_assert_str_eq(owner("web"), "n2");
	RST("d", "onlinepending");
	RST("app", "onlinepending");
	cr_assert_null(cfs_key_value(res("d")->key, CFS_P_RESTART_COUNT));
}

Test(apply_agents, past_the_threshold_restart_action_restart_leaves_it_failed)
{
	web();
	OK("resource-policy d restart_action restart");
	OK("resource-policy d restart_threshold 1");
	OK("group-online web");
	OK("resource-started d n1 ok");
	OK("resource-monitor d n1 failed");
	RST("d", "onlinepending");
	RST("app", "onlinepending"); /* restarts with it */
	OK("resource-started d n1 ok");
	RST("app", "online");
	now_s += 60;
	OK("resource-monitor d n1 failed");
	RST("d", "failed");
	RST("app", "offline");
	cr_assert_str_eq(owner("web"), "n1");
	GST("web", "failed");
	/* A new period: the counter starts again. */
	OK("resource-online d");
	OK("resource-started d n1 ok");
	now_s += 60;
	OK("resource-monitor d n1 failed");
	RST("d", "onlinepending");
}

Test(apply_agents, the_period_is_counted_with_the_commands_time)
{
	web();
	OK("resource-policy d restart_action restart");
	OK("resource-policy d restart_threshold 1");
	OK("resource-policy d restart_period 60s");
	OK("group-online web");
	OK("resource-started d n1 ok");
	OK("resource-monitor d n1 failed");
	OK("resource-started d n1 ok");
	now_s += 61; /* past the period: a fresh count */
	OK("resource-monitor d n1 failed");
	RST("d", "onlinepending");
	now_s += 1;
	OK("resource-started d n1 ok");
	OK("resource-monitor d n1 failed");
	RST("d", "failed");
}

Test(apply_agents, norestart_fails_at_once)
{
	web();
	OK("resource-policy d restart_action norestart");
	OK("group-online web");
	OK("resource-started d n1 ok");
	OK("resource-monitor d n1 failed");
	RST("d", "failed");
	RST("app", "offline");
	cr_assert_null(cfs_key_value(res("d")->key, CFS_P_RESTART_COUNT));
}

Test(apply_agents, past_the_threshold_the_group_fails_over_after_its_stops)
{
	web();
	OK("type-create ocf:heartbeat:Other");
	OK("resource-create o ocf:heartbeat:Other web");
	OK("resource-policy d restart_threshold 0");
	OK("group-online web");
	OK("resource-started d n1 ok");
	OK("resource-started o n1 ok");
	OK("resource-monitor d n1 failed");
	/* No restart allowed: the group moves to n2 once o is stopped. */
	RST("d", "failed");
	RST("o", "offlinepending");
	cr_assert_str_eq(owner("web"), "n1");
	FAILS(-EBUSY, "group-online web");
	FAILS(-EBUSY, "resource-offline o");
	FAILS(-EBUSY, "group-move web n1");
	OK("resource-stopped o n1 ok");
	cr_assert_str_eq(owner("web"), "n2");
	RST("d", "onlinepending");
	RST("o", "onlinepending");
	RST("app", "onlinepending");
	cr_assert_null(cfs_key_value(res("d")->key, CFS_P_RESTART_COUNT));
	OK("resource-started d n1 ok"); /* from the old node: late */
	RST("d", "onlinepending");
	OK("resource-started d n2 ok");
	OK("resource-started o n2 ok");
	GST("web", "online");
}

Test(apply_agents, alone_past_the_threshold_the_group_ends_failed)
{
	OK("node-add n1 1 10.0.0.1");
	OK("type-create ocf:heartbeat:Dummy");
	OK("group-create web n1");
	OK("resource-create d ocf:heartbeat:Dummy web");
	OK("resource-create e ocf:heartbeat:Dummy web");
	OK("resource-policy d restart_threshold 0");
	OK("group-online web");
	OK("resource-started d n1 ok");
	OK("resource-started e n1 ok");
	OK("resource-monitor d n1 failed");
	RST("d", "failed");
	RST("e", "offlinepending");
	OK("resource-stopped e n1 ok");
	GST("web", "failed");
}

Test(apply_agents, a_move_waits_for_the_stops_and_a_failover_ends_it)
{
	web();
	OK("group-online web");
	OK("resource-started d n1 ok");
	OK("group-move web n2");
	cr_assert_str_eq(owner("web"), "n1");
	RST("app", "offline");
	RST("d", "offlinepending");
	/* n1 dies before d's stop is reported: the failover takes over. */
	OK("node-state n1 down");
	OK("group-failover web");
	cr_assert_str_eq(owner("web"), "n2");
	RST("d", "onlinepending");
	RST("app", "onlinepending");
	cr_assert_null(cfs_key_value(cfs_model_by_name(&m, CFS_KIND_GROUP, "web")->key,
				     CFS_P_MOVE_TARGET));
	OK("resource-started d n2 ok");
	GST("web", "online");
}

Test(apply_agents, a_stop_that_fails_leaves_it_failed_and_the_move_goes_on)
{
	web();
	OK("group-online web");
	OK("resource-started d n1 ok");
	OK("group-move web n2");
	OK("resource-stopped d n1 failed");
	cr_assert_str_eq(owner("web"), "n2");
	RST("d", "onlinepending");
}

Test(apply_agents, a_clean_stop_evacuates_or_marks_what_ran)
{
	OK("node-add n1 1 10.0.0.1");
	OK("type-create ocf:heartbeat:Dummy");
	OK("type-create Plain");
	OK("group-create web n1");
	OK("group-create quiet n1");
	OK("resource-create d ocf:heartbeat:Dummy web");
	OK("resource-create app Plain web");
	OK("resource-create lone Plain web");
	OK("resource-create q Plain quiet");
	OK("resource-depend app d");
	OK("group-online web");
	OK("group-online quiet");
	OK("resource-started d n1 ok");
	OK("group-evacuate web");
	OK("group-evacuate quiet"); /* nothing runs there: unchanged */
	RST("q", "online");
	RST("lone", "online");
	RST("app", "offline");
	RST("d", "offlinepending");
	OK("resource-stopped d n1 ok");
	cr_assert_eq(cfs_key_get_dword(res("d")->key, CFS_P_PERSISTENT_STATE, 0), 1);
	cr_assert_eq(cfs_key_get_dword(res("app")->key, CFS_P_PERSISTENT_STATE, 0), 1);
	cr_assert_null(cfs_key_value(res("lone")->key, CFS_P_PERSISTENT_STATE));
	OK("resource-online d");
	cr_assert_null(cfs_key_value(res("d")->key, CFS_P_PERSISTENT_STATE));
	/* With another node up, the group moves there instead. */
	OK("node-add n2 2 10.0.0.2");
	OK("resource-started d n1 ok");
	OK("group-evacuate web");
	OK("resource-stopped d n1 ok");
	cr_assert_str_eq(owner("web"), "n2");
	RST("d", "onlinepending");
}

Test(apply_agents, fail_goes_through_the_policy_for_what_runs_only)
{
	web();
	OK("group-online web");
	OK("resource-started d n1 ok");
	OK("resource-fail app");
	RST("app", "failed"); /* state-only: nothing to restart */
	OK("resource-fail d");
	RST("d", "onlinepending"); /* restarted by the policy */
}

Test(apply_agents, policy_values_are_validated)
{
	web();
	struct cfs_object *d = res("d");
	char path[128];
	snprintf(path, sizeof(path), "Resources\\%s", cfs_obj_id(d));
	FAILS(-EINVAL, "resource-policy d restart_action sometimes");
	FAILS(-EINVAL, "resource-policy d restart_threshold -1");
	FAILS(-EINVAL, "resource-policy d pending_timeout 10");
	FAILS(-EINVAL, "resource-policy d pending_timeout 3d");
	FAILS(-EINVAL, "resource-policy d monitor_interval 25h");
	FAILS(-EINVAL, "resource-policy d restart_period 0");
	FAILS(-EINVAL, "resource-policy d color blue");
	FAILS(-EINVAL, "reg-set %s RestartAction dword 7", path);
	FAILS(-EINVAL, "reg-set %s PendingTimeout sz 5000", path);
	FAILS(-EINVAL, "set resource d RestartAction sometimes");
	FAILS(-EPERM, "reg-set %s RestartCount dword 0", path);
	cr_assert_null(cfs_key_value(d->key, CFS_P_RESTART_ACTION));
	size_t n = t.nrecs;
	OK("resource-policy d monitor_interval 2s");
	cr_assert_eq(cfs_key_get_dword(d->key, CFS_P_MONITOR_INTERVAL, 0), 2000);
	/* A value record and the resource's property record. */
	cr_assert_eq(t.nrecs, n + 2);
	cr_assert_eq(t.recs[n + 1].change, CFS_CH_PROPERTY);
	cr_assert_str_eq(t.recs[n + 1].prop, CFS_P_MONITOR_INTERVAL);
	cr_assert_str_eq(t.recs[n + 1].new_value, "2000");
	OK("reg-set %s RestartAction dword 1", path);
	const struct cfs_policy_prop *ra = cfs_policy_find("restart_action");
	cr_assert_eq(cfs_res_policy(&m, d, ra), CFS_RESTART_LOCAL);
	OK("resource-policy d restart_action default");
	cr_assert_eq(cfs_res_policy(&m, d, ra), CFS_RESTART_FAILOVER);
	/* A free property of that name is kept as its DWORD
	 * (CreateClusterResourceType sets them so). */
	OK("set resourcetype ocf:heartbeat:Dummy LooksAlivePollInterval 5000");
	struct cfs_object *ty = cfs_model_by_name(&m, CFS_KIND_RESTYPE, "ocf:heartbeat:Dummy");
	cr_assert_eq(cfs_key_get_dword(ty->key, CFS_P_MONITOR_INTERVAL, 0), 5000);
	/* The type's value comes before the default. */
	OK("type-agent ocf:heartbeat:Dummy /x Dummy \"1 2\" 20s 10s");
	cr_assert_eq(cfs_res_policy(&m, d, cfs_policy_find("pending_timeout")), 20000);
	cr_assert_eq(cfs_res_policy(&m, d, cfs_policy_find("monitor_interval")), 2000);
}

Test(apply_agents, parameters_follow_the_types_list)
{
	web();
	OK("type-agent ocf:heartbeat:Dummy /usr/lib/ocf/resource.d/heartbeat/Dummy "
	   "\"Example stateless resource agent\" \"1 2\" 20s 10s "
	   "state \"string unique default=/run/x.state\" fake \"string\" count integer");
	struct cfs_object *type = cfs_model_by_name(&m, CFS_KIND_RESTYPE, "ocf:heartbeat:Dummy");
	cr_assert_str_eq(cfs_key_get_sz(type->key, CFS_P_DESCRIPTION, NULL),
			 "Example stateless resource agent");
	FAILS(-EINVAL, "resource-param d nope 1");
	FAILS(-EINVAL, "resource-param d count many");
	FAILS(-ENOENT, "resource-param-unset d fake");
	OK("resource-param d fake hello");
	OK("resource-param d count 3");
	cr_assert_str_eq(cfs_res_param(res("d"), "fake"), "hello");
	char path[160];
	snprintf(path, sizeof(path), "Resources\\%s\\Parameters", cfs_obj_id(res("d")));
	FAILS(-EINVAL, "reg-set %s nope sz 1", path);
	FAILS(-EINVAL, "reg-set %s count sz x", path);
	OK("reg-set %s count dword 4", path);
	OK("resource-param-unset d fake");
	cr_assert_null(cfs_res_param(res("d"), "fake"));
	/* A new meta-data drops a parameter. */
	OK("type-agent ocf:heartbeat:Dummy /x Dummy \"1 3\" 20s 10s state string");
	FAILS(-EINVAL, "resource-param d count 3");
	/* Built-in types have their own list; state-only ones take any. */
	OK("resource-param app anything 1");
	OK("type-create \"Generic Application\"");
	OK("resource-create ga \"Generic Application\" web");
	FAILS(-EINVAL, "resource-param ga Command x");
	FAILS(-EINVAL, "resource-param ga InteractWithDesktop maybe");
	FAILS(-EINVAL, "type-agent Plain2 /x y z 1s 1s");
}

Test(apply_agents, a_builtin_type_runs_once_its_main_parameter_is_set)
{
	OK("node-add n1 1 10.0.0.1");
	OK("type-create \"IP Address\"");
	OK("group-create g n1");
	OK("resource-create placeholder \"IP Address\" g");
	OK("resource-create ip \"IP Address\" g");
	OK("resource-param ip Address 127.0.0.42");
	cr_assert_eq(cfs_res_agent_kind(&m, res("placeholder")), CFS_AGENT_NONE);
	cr_assert_eq(cfs_res_agent_kind(&m, res("ip")), CFS_AGENT_IP);
	OK("group-online g");
	RST("placeholder", "online");
	RST("ip", "onlinepending");
	GST("g", "pending");
}
