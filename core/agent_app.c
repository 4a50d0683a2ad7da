/* SPDX-License-Identifier: MIT */
/* Generic Application and Generic Script.
 *
 * A Generic Application is a process this node supervises: CommandLine run
 * by /bin/sh in CurrentDirectory, in a session of its own, its output
 * appended to RUN_DIR/<resource id>.log. Its pid and start time are kept
 * in RUN_DIR/<resource id>.pid, so that a daemon restarted after a crash
 * finds the process it left (and never starts a second one). Online: the
 * process runs. Offline: SIGTERM to its process group, then SIGKILL after
 * half the pending timeout (5 s at most). Monitor: that very process still
 * runs.
 *
 * A Generic Script is a program run as SCRIPT start, stop or monitor (an
 * init script's interface): exit 0 is success, and for monitor, running. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "proc.h"

static char *run_file(const struct cfs_agent_ctx *c, const char *ext)
{
	char *p;
	return asprintf(&p, "%s/%s.%s", c->run_dir, c->res_id, ext) < 0 ? NULL : p;
}

pid_t cfs_agent_app_pid(const struct cfs_agent_ctx *c)
{
	char *path = run_file(c, "pid");
	FILE *f = path ? fopen(path, "re") : NULL;
	free(path);
	if (!f)
		return 0;
	int pid = 0;
	unsigned long long start = 0;
	if (fscanf(f, "%d %llu", &pid, &start) != 2)
		pid = 0;
	fclose(f);
	if (pid <= 1)
		return 0;
	/* Our own child that exited is a zombie until reaped: reap it. */
	waitpid(pid, NULL, WNOHANG);
	return cfs_proc_start_time(pid) == start ? pid : 0;
}

static int write_pid(const struct cfs_agent_ctx *c, pid_t pid)
{
	char *path = run_file(c, "pid"), *tmp = run_file(c, "pid.new");
	int r = -ENOMEM;
	if (path && tmp) {
		FILE *f = fopen(tmp, "we");
		r = f ? 0 : -errno;
		if (f) {
			fprintf(f, "%d %llu\n", (int)pid,
				(unsigned long long)cfs_proc_start_time(pid));
			if (fclose(f) != 0 || rename(tmp, path) < 0)
				r = -errno;
		}
	}
	free(path);
	free(tmp);
	return r;
}

static void remove_pid(const struct cfs_agent_ctx *c)
{
	char *path = run_file(c, "pid");
	if (path)
		unlink(path);
	free(path);
}

static int app_start(const struct cfs_agent_ctx *c, struct cfs_agent_result *res)
{
	if (cfs_agent_app_pid(c))
		return 0; /* it runs: nothing to do, as OCF's start */
	const char *cmd = cfs_agent_param(c, "CommandLine");
	const char *cwd = cfs_agent_param(c, "CurrentDirectory");
	if (!cmd || !*cmd) {
		res->rc = CFS_OCF_ERR_CONFIGURED;
		cfs_agent_reason(res, "CommandLine is not set");
		return 0;
	}
	char *line, *log = run_file(c, "log");
	if (!log || asprintf(&line, "exec %s", cmd) < 0) {
		free(log);
		return -ENOMEM;
	}
	char *argv[] = {"/bin/sh", "-c", line, NULL};
	char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"HOME=/", NULL};
	pid_t pid;
	int r = cfs_proc_spawn(argv, envp, cwd && *cwd ? cwd : "/", log, &pid);
	free(line);
	free(log);
	if (r < 0) {
		res->rc = CFS_OCF_ERR_GENERIC;
		cfs_agent_reason(res, "cannot run %s: %s", cmd, strerror(-r));
		return 0;
	}
	if ((r = write_pid(c, pid)) < 0) {
		cfs_proc_kill_group(pid);
		waitpid(pid, NULL, 0);
		res->rc = CFS_OCF_ERR_GENERIC;
		cfs_agent_reason(res, "cannot keep its pid: %s", strerror(-r));
	}
	return 0;
}

static int app_stop(const struct cfs_agent_ctx *c, struct cfs_agent_result *res)
{
	pid_t pid = cfs_agent_app_pid(c);
	if (pid) {
		int64_t start = cfs_mono_ns();
		int64_t grace = (int64_t)c->timeout_ms * 1000000 / 2;
		if (grace > 5000000000LL)
			grace = 5000000000LL;
		kill(-pid, SIGTERM);
		kill(pid, SIGTERM);
		while (cfs_proc_group_alive(pid) && cfs_mono_ns() - start < grace) {
			waitpid(pid, NULL, WNOHANG);
			usleep(10000);
		}
		while (cfs_proc_group_alive(pid) &&
		       cfs_mono_ns() - start < (int64_t)c->timeout_ms * 1000000) {
			cfs_proc_kill_group(pid);
			waitpid(pid, NULL, WNOHANG);
			usleep(10000);
		}
		waitpid(pid, NULL, WNOHANG);
		if (cfs_proc_group_alive(pid) && cfs_proc_start_time(pid)) {
			res->rc = -ETIME;
			cfs_agent_reason(res, "process %d survives SIGKILL", (int)pid);
			return 0;
		}
	}
	remove_pid(c);
	return 0;
}

int cfs_agent_app_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
		      struct cfs_agent_result *res, volatile pid_t *pgid)
{
	(void)pgid;
	switch (a) {
	case CFS_ACT_START:
		return app_start(c, res);
	case CFS_ACT_STOP:
		return app_stop(c, res);
	case CFS_ACT_MONITOR:
		if (!cfs_agent_app_pid(c)) {
			res->rc = CFS_OCF_NOT_RUNNING;
			cfs_agent_reason(res, "its process is not running");
		}
		return 0;
	default:
		return 0;
	}
}

int cfs_agent_script_run(const struct cfs_agent_ctx *c, enum cfs_agent_action a,
			 struct cfs_agent_result *res, volatile pid_t *pgid)
{
	const char *script = cfs_agent_param(c, "ScriptFilepath");
	if (a == CFS_ACT_VALIDATE)
		return 0;
	if (!script || access(script, X_OK) < 0) {
		res->rc = a == CFS_ACT_STOP	 ? CFS_OCF_SUCCESS
			  : a == CFS_ACT_MONITOR ? CFS_OCF_NOT_RUNNING
						 : CFS_OCF_ERR_INSTALLED;
		cfs_agent_reason(res, "%s is not an executable script", script ? script : "(none)");
		return 0;
	}
	char *env_name, *env_id;
	if (asprintf(&env_name, "CLUSTERFS_RESOURCE=%s", c->res_name) < 0)
		return -ENOMEM;
	if (asprintf(&env_id, "CLUSTERFS_RESOURCE_ID=%s", c->res_id) < 0) {
		free(env_name);
		return -ENOMEM;
	}
	char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			env_name, env_id, NULL};
	char *argv[] = {(char *)script, (char *)cfs_agent_action_name(a), NULL};
	int status = 0;
	int r = cfs_proc_run(argv, envp, "/", (int)c->timeout_ms, &res->out, &status, pgid);
	free(env_name);
	free(env_id);
	if (r == -ETIME) {
		res->rc = -ETIME;
		cfs_agent_reason(res, "%s timed out after %u ms: its processes were killed",
				 cfs_agent_action_name(a), c->timeout_ms);
		return 0;
	}
	if (r < 0)
		return r;
	res->rc = status == 0 ? 0 : a == CFS_ACT_MONITOR ? CFS_OCF_NOT_RUNNING : status;
	if (status) {
		const char *out = res->out.data ? res->out.data : "";
		size_t n = res->out.len;
		while (n && out[n - 1] == '\n')
			n--;
		size_t s = n;
		while (s && out[s - 1] != '\n')
			s--;
		if (n > s)
			cfs_agent_reason(res, "%.*s", (int)(n - s), out + s);
		else
			cfs_agent_reason(res, "%s exited with %d", script, status);
	}
	return 0;
}
