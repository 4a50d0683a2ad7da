/* SPDX-License-Identifier: MIT */
/* The daemon's supervisor of resource agents (core/supervisor.h), and the
 * clean stop that takes this node's resources offline first.
 *
 * A clean stop comes two ways. SIGTERM, SIGINT or SIGHUP: the signal is
 * taken over from libfuse's handler, and a thread of ours first drains
 * the node (cfs_supervisor_drain) while the mount still answers, so that
 * every transition reaches inotify, ports and the log; then it puts
 * libfuse's handler back and hands it the signal, which ends the session.
 * fusermount3 -u: the session has already ended when we learn it, and the
 * drain runs after the loop (cfs_fsagents_stop), with the mount gone.
 * kill -9 drains nothing: what runs keeps running, and the next start's
 * probes find it. */
#include "fs_agents.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "supervisor.h"

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP};

struct cfs_fsagents {
	struct cfs_supervisor *sup;
	pthread_t stopper, main_thread;
	bool stopper_started;
	int pipe[2];
	pthread_mutex_t lock;
	bool drained; /* guarded by lock */
	bool handlers_ours;
	struct sigaction saved[CFS_ARRAY_SIZE(stop_signals)];
};

/* The signal handler's one way out (async-signal-safe: a write). */
static int signal_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;
	if (signal_fd >= 0 && write(signal_fd, &c, 1) < 0) {
		/* The pipe is full: a stop is under way already. */
	}
	errno = saved;
}

static void drain_once(struct cfs_fsagents *a)
{
	pthread_mutex_lock(&a->lock);
	bool first = !a->drained;
	a->drained = true;
	pthread_mutex_unlock(&a->lock);
	if (!first)
		return;
	cfs_log(LOG_INFO, "clean stop: taking this node's resources offline");
	if (cfs_supervisor_drain(a->sup) == 0)
		cfs_log(LOG_INFO, "clean stop: nothing of this node runs any more");
}

static void restore_handlers(struct cfs_fsagents *a)
{
	if (!a->handlers_ours)
		return;
	for (size_t i = 0; i < CFS_ARRAY_SIZE(stop_signals); i++)
		sigaction(stop_signals[i], &a->saved[i], NULL);
	a->handlers_ours = false;
}

static void *stopper_main(void *arg)
{
	struct cfs_fsagents *a = arg;
	unsigned char sig;
	while (read(a->pipe[0], &sig, 1) < 0 && errno == EINTR)
		;
	if (sig == 0)
		return NULL; /* cfs_fsagents_stop: the session ended otherwise */
	drain_once(a);
	pthread_mutex_lock(&a->lock);
	restore_handlers(a);
	pthread_mutex_unlock(&a->lock);
	/* libfuse's handler ends the loop that the main thread runs. */
	pthread_kill(a->main_thread, sig);
	return NULL;
}

int cfs_fsagents_start(struct cfs_fs *fs, const char *state_dir, const char *ocf_root)
{
	struct cfs_fsagents *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	a->pipe[0] = a->pipe[1] = -1;
	char *run_dir;
	if (asprintf(&run_dir, "%s/agents", state_dir) < 0) {
		free(a);
		return -ENOMEM;
	}
	if (!ocf_root)
		ocf_root = getenv("OCF_ROOT") && *getenv("OCF_ROOT") ? getenv("OCF_ROOT")
								     : "/usr/lib/ocf";
	struct cfs_supervisor_config cfg = {
		.engine = fs->e, .ocf_root = ocf_root, .run_dir = run_dir, .log = cfs_log};
	const char *why = NULL;
	int r = cfs_supervisor_start(&cfg, &a->sup, &why);
	free(run_dir);
	if (r < 0) {
		cfs_log(LOG_ERR, "resource agents: %s", why ? why : strerror(-r));
		pthread_mutex_destroy(&a->lock);
		free(a);
		return r;
	}
	fs->agents = a;
	cfs_log(LOG_INFO, "resource agents from %s/resource.d", ocf_root);
	/* The signals: ours from now on (libfuse installed its handlers). */
	a->main_thread = pthread_self();
	if (pipe2(a->pipe, O_CLOEXEC) < 0)
		return 0; /* no clean-stop drain on signals; the loop still ends */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	a->stopper_started = pthread_create(&a->stopper, NULL, stopper_main, a) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!a->stopper_started)
		return 0;
	signal_fd = a->pipe[1];
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < CFS_ARRAY_SIZE(stop_signals); i++)
		sigaction(stop_signals[i], &sa, &a->saved[i]);
	a->handlers_ours = true;
	return 0;
}

void cfs_fsagents_stop(struct cfs_fs *fs)
{
	struct cfs_fsagents *a = fs->agents;
	if (!a)
		return;
	drain_once(a);
	pthread_mutex_lock(&a->lock);
	restore_handlers(a);
	pthread_mutex_unlock(&a->lock);
	if (a->stopper_started) {
		unsigned char zero = 0;
		if (write(a->pipe[1], &zero, 1) < 0) {
			/* The stopper has taken a signal and is ending anyway. */
		}
		pthread_join(a->stopper, NULL);
	}
	signal_fd = -1;
	if (a->pipe[0] >= 0) {
		close(a->pipe[0]);
		close(a->pipe[1]);
	}
	cfs_supervisor_free(a->sup);
	pthread_mutex_destroy(&a->lock);
	free(a);
	fs->agents = NULL;
}
