/* SPDX-License-Identifier: MIT */
/* Tests of the supervisor (core/supervisor.h) on a real engine with the
 * embedded back-end, without FUSE: it runs a Generic Application's
 * process when its group comes online and stops it when it goes offline,
 * and it forgets a resource once the resource is deleted and nothing of
 * it is left on this node (its runtime table does not grow with every
 * resource ever made). The mount tests (test_mount_agents.c) cover the
 * rest through the files. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_tmp.h"
#include "backend.h"
#include "engine.h"
#include "model.h"
#include "supervisor.h"

static char dir[64];
static struct cfs_engine *eng;
static struct cfs_supervisor *sup;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cfs-supervisor-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char run_dir[128];
	snprintf(run_dir, sizeof(run_dir), "%s/agents", dir);
	struct cfs_engine_config cfg = {
		.state_dir = dir,
		.cluster_name = "supcl",
		.backend = &cfs_backend_local,
	};
	const char *why = NULL;
	cr_assert_eq(cfs_engine_open(&cfg, &eng, &why), 0, "%s", why ? why : "");
	cr_assert_eq(cfs_engine_start_backend(eng), 0);
	struct cfs_supervisor_config sc = {
		.engine = eng, .ocf_root = "/nonexistent", .run_dir = run_dir};
	cr_assert_eq(cfs_supervisor_start(&sc, &sup, &why), 0, "%s", why ? why : "");
}

static void teardown(void)
{
	cfs_supervisor_free(sup);
	sup = NULL;
	cfs_engine_free(eng);
	eng = NULL;
	if (dir[0])
		cfs_test_rm_rf(dir);
	dir[0] = '\0';
}

TestSuite(supervisor, .init = setup, .fini = teardown, .timeout = 60);

static void run_ok(const char *text)
{
	const char *why = NULL;
	int r = cfs_engine_run_text(eng, text, &why);
	cr_assert_eq(r, 0, "[%s]: %d (%s)", text, r, why ? why : "-");
}

static const char *state_of(const char *res)
{
	cfs_engine_rdlock(eng);
	struct cfs_object *o = cfs_model_by_name(&eng->model, CFS_KIND_RESOURCE, res);
	const char *s = o ? cfs_state_name(CFS_KIND_RESOURCE, cfs_obj_state(o)) : "(none)";
	cfs_engine_unlock(eng);
	return s; /* a static name */
}

/* Polls (every 20 ms, up to 10 s) until res is in state want. */
static void wait_state(const char *res, const char *want)
{
	for (int i = 0; i < 500 && strcmp(state_of(res), want) != 0; i++)
		usleep(20000);
	cr_assert_str_eq(state_of(res), want, "resource %s", res);
}

static void wait_tracked(size_t want)
{
	for (int i = 0; i < 500 && cfs_supervisor_tracked(sup) != want; i++)
		usleep(20000);
	cr_assert_eq(cfs_supervisor_tracked(sup), want);
}

/* How many processes run exactly this command line. */
static int count_procs(const char *cmdline)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "pgrep -c -x -f '%s'", cmdline);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	int n = 0;
	if (fscanf(p, "%d", &n) != 1)
		n = 0;
	pclose(p);
	return n;
}

Test(supervisor, runs_a_process_and_forgets_a_deleted_resource)
{
	run_ok("group-create g\n"
	       "resource-create app \"Generic Application\" g\n"
	       "resource-param app CommandLine \"sleep 317\"\n"
	       "resource-create other \"Generic Application\" g\n"
	       "resource-param other CommandLine \"sleep 318\"");
	run_ok("group-online g");
	wait_state("app", "online");
	wait_state("other", "online");
	cr_assert_eq(count_procs("sleep 317"), 1);
	wait_tracked(2);
	run_ok("group-offline g");
	wait_state("app", "offline");
	wait_state("other", "offline");
	for (int i = 0; i < 250 && count_procs("sleep 317"); i++)
		usleep(20000);
	cr_assert_eq(count_procs("sleep 317"), 0, "the process is stopped with its resource");
	run_ok("resource-delete app");
	/* app is forgotten; other, still in the model, is kept */
	wait_tracked(1);
	run_ok("resource-delete other");
	wait_tracked(0);
}
