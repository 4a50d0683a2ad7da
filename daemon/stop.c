/* SPDX-License-Identifier: MIT */
/* The stopper (stop.h). Its state is one file-scope struct, as the signal
 * handlers need it. */
#include "stop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs_agents.h"
#include "fs_notify.h"
#include "fs_ports.h"
#include "log.h"

extern char **environ;

static struct {
	/* Set before the handlers can run; read by them and force_exit(). */
	int pipe[2]; /* wakes the stopper (nonblocking) */
	pthread_t main_thread;
	char mnt[PATH_MAX];	   /* the mount point, once attached */
	char fusermount[PATH_MAX]; /* for a daemon that cannot umount2() */
	volatile sig_atomic_t mounted; /* the mount table shows the mount */
	int signals;		       /* how many came (atomic) */

	pthread_t thread;
	bool started;
	/* Guards what follows; the stopper holds it while it acts on the
	 * session, so that main() can wait for an action to finish. */
	pthread_mutex_t lock;
	struct cfs_fs *fs; /* the session, once attached */
	dev_t dev;	   /* the mount's device, once mounted (0: unknown) */
	bool have_mount;   /* cfs_stop_mounted() was called */
	bool loop_returned;
	bool quit;
	pid_t replayer; /* cfs_stop_replayer(); 0: none */
	bool unmounting; /* cfs_stop_unmounting(); atomic */
} S = {.pipe = {-1, -1}, .lock = PTHREAD_MUTEX_INITIALIZER};

/* What the stopper thread keeps between wake-ups. */
struct stopper {
	int mi; /* /proc/self/mountinfo, or -1 */
	bool mi_tried;
	bool acted_signal, acted_unmount;
	bool drained; /* the agents' clean stop ran */
	bool pinging;		 /* SIGURG to the main thread until the loop returns */
	int64_t deadline;	 /* the watchdog (monotonic ms; 0: none) */
	int64_t in_use_note_at; /* when to say that the file system is still in use */
	int64_t release_until;	 /* the bound's extension for the kernel's release (0: none) */
	bool release_over;	 /* the release was waited for and ended */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Async-signal-safe: detaches the mount if the mount table still showed
 * it, and exits. Closing the device (on exit) then ends the session, and
 * the replayer dies with the daemon (PR_SET_PDEATHSIG), its clone of the
 * mount with it. Every acknowledged change is on disk already. */
static void force_exit(int status)
{
	if (S.mounted && S.mnt[0] && umount2(S.mnt, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 &&
	    S.fusermount[0]) {
		char *argv[] = {(char *)"fusermount3", (char *)"-u", (char *)"-q", (char *)"-z", S.mnt,
				NULL};
		pid_t pid = _Fork();
		if (pid == 0) {
			execve(S.fusermount, argv, environ);
			_exit(127);
		}
		for (int i = 0; pid > 0 && i < 100 && waitpid(pid, NULL, WNOHANG) == 0; i++)
			nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	_exit(status);
}

static void wake(char c)
{
	if (write(S.pipe[1], &c, 1) < 0) {
		/* The pipe is full: the stopper is awake anyway. */
	}
}

static void on_signal(int sig)
{
	(void)sig;
	int saved = errno;
	if (__atomic_fetch_add(&S.signals, 1, __ATOMIC_SEQ_CST) > 0) {
		static const char msg[] = "clusterfs: a second signal: exiting at once\n";
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
			/* No stderr: the exit status says it. */
		}
		force_exit(1);
	}
	wake('s');
	errno = saved;
}

/* SIGURG only ends the main thread's wait in the session loop. */
static void on_urg(int sig)
{
	(void)sig;
}

static void find_fusermount(void)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s:/usr/bin:/bin", path ? path : "");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[PATH_MAX];
		if (snprintf(p, sizeof(p), "%s/fusermount3", d) < (int)sizeof(p) &&
		    access(p, X_OK) == 0) {
			snprintf(S.fusermount, sizeof(S.fusermount), "%s", p);
			return;
		}
	}
}

int cfs_stop_init(void)
{
	if (pipe2(S.pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	S.main_thread = pthread_self();
	if (geteuid() != 0)
		find_fusermount();
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the session loop's wait must end. */
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	sa.sa_handler = on_urg;
	if (sigaction(SIGURG, &sa, NULL) < 0)
		return -errno;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	return 0;
}

void cfs_stop_unmounting(bool on)
{
	__atomic_store_n(&S.unmounting, on, __ATOMIC_RELEASE);
}

bool cfs_stop_requested(void)
{
	return __atomic_load_n(&S.signals, __ATOMIC_SEQ_CST) > 0;
}

/* True unless the mount table (fd: /proc/self/mountinfo) surely shows no
 * mount of dev: a table that cannot be read shows it. */
static bool listed(int fd, dev_t dev)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (!buf || lseek(fd, 0, SEEK_SET) < 0) {
		free(buf);
		return true;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return true;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return true;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	bool found = false;
	for (char *line = buf; line && *line && !found;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		unsigned maj, min;
		/* mount id, parent id, major:minor, ... */
		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) == 2 && makedev(maj, min) == dev)
			found = true;
		line = next;
	}
	free(buf);
	return found;
}

/* True while pid is exiting (PF_EXITING set, not yet a zombie): the
 * kernel is then running the process's exit, which releases what it held.
 * /proc/PID/stat: "pid (comm) state ppid pgrp session tty tpgid flags". */
static bool exiting(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	char state;
	unsigned long flags;
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return false;
	return (flags & 0x4 /* PF_EXITING */) && state != 'Z' && state != 'X';
}

/* When the watchdog's bound is reached: true (and the bound moved on) if
 * the stop is not stuck but the kernel is releasing the file system. The
 * kernel drops every entry and inode it cached for the mount when the
 * last reference to the mount goes, and that takes time in proportion to
 * what was cached: 0.85 s of system time for 400,000 entries on the
 * reference machine, more than the bound for the large benchmark tree
 * (1.5 million). The last reference is mostly the replayer's clone of the
 * mount (the release runs in the replayer's exit), or else the mount
 * itself (it runs in main()'s unmount: seen in 2 of 6 stops of the large
 * tree's benchmark). Bounded too, by STOP_RELEASE_MAX_MS; what follows the
 * release gets STOP_BOUND_MS again. */
static bool releasing(struct stopper *st, int64_t now)
{
	pid_t rp = __atomic_load_n(&S.replayer, __ATOMIC_ACQUIRE);
	bool busy = __atomic_load_n(&S.unmounting, __ATOMIC_ACQUIRE) || (rp > 0 && exiting(rp));
	if (!busy) {
		/* The release is over: the rest of the stop (main() reaps the
		 * replayer, closes the device, frees the model) gets the
		 * bound once more. */
		if (st->release_until && !st->release_over) {
			st->release_over = true;
			st->deadline = now + STOP_BOUND_MS;
			return true;
		}
		return false;
	}
	if (!st->release_until) {
		st->release_until = now + STOP_RELEASE_MAX_MS;
		cfs_log(LOG_NOTICE, "the kernel is still releasing the entries it cached for the "
				    "file system: waiting for it (up to %d s more)",
			STOP_RELEASE_MAX_MS / 1000);
	}
	if (now >= st->release_until)
		return false;
	st->deadline = now + 100;
	return true;
}

/* Acts on what happened since the last wake-up. False: quit. */
static bool step(struct stopper *st)
{
	pthread_mutex_lock(&S.lock);
	if (S.quit) {
		pthread_mutex_unlock(&S.lock);
		return false;
	}
	if (S.have_mount && S.dev && !st->mi_tried) {
		st->mi_tried = true;
		st->mi = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
		if (st->mi < 0)
			cfs_log(LOG_WARNING, "cannot watch the mount table (%s): unmounting %s "
					     "will not stop the daemon (SIGTERM will)",
				strerror(errno), S.mnt);
		else if (!listed(st->mi, S.dev))
			S.mounted = 0;
	}
	bool signalled = cfs_stop_requested();
	/* A clean stop takes this node's resources offline first, while the
	 * mount still answers (fs_agents.h); the watchdog's bound counts
	 * from when that is done, as the resources' own timeouts bound it. */
	if (S.fs && !S.loop_returned && (signalled || !S.mounted) && !st->drained) {
		st->drained = true;
		cfs_fsagents_drain(S.fs);
	}
	int64_t now = mono_ms();
	if (signalled && !st->deadline) {
		cfs_log(LOG_INFO, "stopping (signal)");
		st->deadline = now + STOP_BOUND_MS;
	}
	if (S.fs && !S.loop_returned && signalled && !st->acted_signal) {
		st->acted_signal = true;
		if (!cfs_notify_drain(S.fs, STOP_DRAIN_MS))
			cfs_log(LOG_NOTICE, "inotify replays still owed after %d ms are dropped",
				STOP_DRAIN_MS);
		/* While the loop still answers: blocked port readers get
		 * end-of-file, and so do reads from now on. */
		cfs_fsports_shutdown(S.fs);
		fuse_session_exit(S.fs->se);
		st->pinging = true;
	} else if (S.fs && !S.loop_returned && !S.mounted && !st->acted_unmount) {
		st->acted_unmount = true;
		cfs_log(LOG_INFO, "%s was unmounted: stopping", S.mnt);
		if (!st->deadline)
			st->deadline = now + STOP_BOUND_MS;
		if (!cfs_notify_drain(S.fs, STOP_DRAIN_MS))
			cfs_log(LOG_NOTICE, "inotify replays still owed after %d ms are dropped",
				STOP_DRAIN_MS);
		cfs_notify_detach(S.fs);
		st->in_use_note_at = mono_ms() + 1000;
	}
	if (S.loop_returned) {
		st->pinging = false;
		st->in_use_note_at = 0;
		if (!st->deadline)
			st->deadline = now + STOP_BOUND_MS;
	} else if (st->pinging) {
		pthread_kill(S.main_thread, SIGURG);
	}
	if (st->in_use_note_at && now >= st->in_use_note_at) {
		/* Not a stuck stop: somebody still uses the file system. */
		st->in_use_note_at = 0;
		if (!signalled)
			st->deadline = 0;
		cfs_log(LOG_NOTICE, "the file system is still in use (files open on the lazily "
				    "unmounted mount, or a mount in another namespace): the daemon "
				    "serves it until it is not");
	}
	pthread_mutex_unlock(&S.lock);
	if (st->deadline && mono_ms() >= st->deadline && !releasing(st, mono_ms())) {
		cfs_log(LOG_ERR, "the stop did not finish within %d s: exiting now",
			STOP_BOUND_MS / 1000);
		force_exit(1);
	}
	return true;
}

static void *stopper_main(void *arg)
{
	(void)arg;
	struct stopper st = {.mi = -1};
	while (step(&st)) {
		int timeout = -1;
		if (st.deadline) {
			int64_t left = st.deadline - mono_ms();
			timeout = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		if ((st.pinging || st.in_use_note_at) && (timeout < 0 || timeout > 20))
			timeout = 20;
		struct pollfd p[2] = {{S.pipe[0], POLLIN, 0}, {st.mi, POLLPRI, 0}};
		if (poll(p, st.mi >= 0 ? 2 : 1, timeout) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			char buf[64];
			while (read(S.pipe[0], buf, sizeof(buf)) > 0)
				; /* what changed is in S */
		}
		if (st.mi >= 0 && (p[1].revents & (POLLPRI | POLLERR))) {
			pthread_mutex_lock(&S.lock);
			if (S.mounted && !listed(st.mi, S.dev))
				S.mounted = 0;
			pthread_mutex_unlock(&S.lock);
		}
	}
	if (st.mi >= 0)
		close(st.mi);
	return NULL;
}

int cfs_stop_start(void)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&S.thread, NULL, stopper_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	S.started = true;
	return 0;
}

void cfs_stop_mounted(const char *mnt, dev_t dev)
{
	pthread_mutex_lock(&S.lock);
	snprintf(S.mnt, sizeof(S.mnt), "%s", mnt);
	S.dev = dev;
	S.have_mount = true;
	S.mounted = 1;
	pthread_mutex_unlock(&S.lock);
	wake('m');
}

void cfs_stop_replayer(pid_t pid)
{
	__atomic_store_n(&S.replayer, pid, __ATOMIC_RELEASE);
}

void cfs_stop_attach(struct cfs_fs *fs)
{
	pthread_mutex_lock(&S.lock);
	S.fs = fs;
	pthread_mutex_unlock(&S.lock);
	wake('a');
}

void cfs_stop_loop_returned(void)
{
	sigset_t urg;
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	pthread_sigmask(SIG_BLOCK, &urg, NULL);
	pthread_mutex_lock(&S.lock);
	S.loop_returned = true;
	pthread_mutex_unlock(&S.lock);
	wake('l');
}

bool cfs_stop_saw_unmount(void)
{
	pthread_mutex_lock(&S.lock);
	bool r = S.have_mount && !S.mounted;
	pthread_mutex_unlock(&S.lock);
	return r;
}

void cfs_stop_finish(void)
{
	/* main() has unmounted: a forced exit from now on must not. */
	S.mounted = 0;
	if (!S.started)
		return;
	pthread_mutex_lock(&S.lock);
	S.quit = true;
	pthread_mutex_unlock(&S.lock);
	wake('q');
	pthread_join(S.thread, NULL);
	S.started = false;
}
