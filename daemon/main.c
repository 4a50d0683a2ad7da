/* SPDX-License-Identifier: MIT */
/* clusterfs: mounts a live cluster as a file system. */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "fs.h"
#include "fs_agents.h"
#include "fs_notify.h"
#include "fs_ports.h"
#include "fs_replay.h"
#include "log.h"
#include "stop.h"

struct options {
	char *state_dir;
	char *cluster_name;
	char *backend;
	char *admin_group;
	char *timeout;
	char *ocf_root;
	char *replay_backlog;
	char *limit[7]; /* --limit-ports, -anon, -readers, -filter, -watch, -pending,
			 * --port-expiry */
	int show_help;
	int show_version;
};

#define OPT(t, p) {t, offsetof(struct options, p), 1}
static const struct fuse_opt option_spec[] = {
	OPT("--state-dir=%s", state_dir),
	OPT("--cluster-name=%s", cluster_name),
	OPT("--backend=%s", backend),
	OPT("--admin-group=%s", admin_group),
	OPT("--cache-timeout=%s", timeout),
	OPT("--ocf-root=%s", ocf_root),
	OPT("--replay-backlog=%s", replay_backlog),
	OPT("--limit-ports=%s", limit[0]),
	OPT("--limit-anon=%s", limit[1]),
	OPT("--limit-readers=%s", limit[2]),
	OPT("--limit-filter=%s", limit[3]),
	OPT("--limit-watch=%s", limit[4]),
	OPT("--limit-pending=%s", limit[5]),
	OPT("--port-expiry=%s", limit[6]),
	OPT("-h", show_help),
	OPT("--help", show_help),
	OPT("-V", show_version),
	OPT("--version", show_version),
	FUSE_OPT_END,
};

/* "--state-dir DIR" (with a space) is accepted too: rewrite it to the
 * "=" form that fuse_opt understands. */
static int join_long_options(int argc, char **argv, char ***ret)
{
	static const char *const with_arg[] = {
		"--state-dir",	   "--cluster-name",   "--backend",	  "--admin-group",
		"--cache-timeout", "--ocf-root",       "--limit-ports",	  "--limit-anon",
		"--limit-readers", "--limit-filter",   "--limit-watch",	  "--limit-pending",
		"--port-expiry",   "--replay-backlog",
	};
	char **out = calloc((size_t)argc + 1, sizeof(*out));
	if (!out)
		return -1;
	int n = 0;
	for (int i = 0; i < argc; i++) {
		bool joined = false;
		for (size_t k = 0; k < sizeof(with_arg) / sizeof(with_arg[0]); k++) {
			if (strcmp(argv[i], with_arg[k]) == 0 && i + 1 < argc) {
				if (asprintf(&out[n++], "%s=%s", argv[i], argv[i + 1]) < 0)
					return -1;
				i++;
				joined = true;
				break;
			}
		}
		if (!joined)
			out[n++] = strdup(argv[i]);
	}
	*ret = out;
	return n;
}

static void usage(const char *prog)
{
	struct cfs_buf backends = {0};
	for (size_t i = 0; cfs_backend_at(i); i++)
		cfs_buf_printf(&backends, "%s%s", i ? ", " : "", cfs_backend_at(i)->name);
	printf("usage: %s [options] MOUNTPOINT\n\n"
	       "Mounts a live cluster: nodes, groups, resources, resource types, networks,\n"
	       "network interfaces and the cluster registry as directories and files.\n\n"
	       "clusterfs options:\n"
	       "    --state-dir=DIR        where the cluster is kept (default: /var/lib/clusterfs\n"
	       "                           for root, $XDG_STATE_HOME/clusterfs otherwise)\n"
	       "    --cluster-name=NAME    name of a new cluster (default: the host name)\n"
	       "    --backend=NAME         membership back-end (default local): %s\n"
	       "    --admin-group=GROUP    group that may change the cluster (default: root)\n"
	       "    --cache-timeout=SECS   kernel cache timeout (default 3600; every change is\n"
	       "                           invalidated explicitly)\n"
	       "    --ocf-root=DIR         OCF resource agents under DIR/resource.d (default:\n"
	       "                           $OCF_ROOT, else /usr/lib/ocf)\n"
	       "    --replay-backlog=N     at most N inotify replays (the system calls that\n"
	       "                           raise the events of committed changes) may wait\n"
	       "                           before the next commit waits for them (default\n"
	       "                           65536; bounds the daemon's memory in a burst)\n"
	       "  Quotas of each user other than root and the admin group (0: none; over\n"
	       "  one: EDQUOT). Root and the admin group have 256 of the 4096 named ports\n"
	       "  to themselves.\n"
	       "    --limit-ports=N        named ports it owns (default 64)\n"
	       "    --limit-anon=N         anonymous ports: open ports/clone (default 256)\n"
	       "    --limit-readers=N      open events files of named ports (default 256)\n"
	       "    --limit-filter=N       registration lines it may leave in one port\n"
	       "                           (default 256)\n"
	       "    --limit-watch=N        registration lines of all its open readers together,\n"
	       "                           each counting its port's: what one change can make\n"
	       "                           the daemon do for it (default 1024)\n"
	       "    --limit-pending=BYTES  records formatted for its readers and not yet read,\n"
	       "                           with K, M or G (default 64M)\n"
	       "    --port-expiry=SECS     its named ports that no reader has opened for this\n"
	       "                           long are removed (default 604800, a week; 0 never)\n"
	       "    -h, --help             this help\n"
	       "    -V, --version          version\n\n",
	       prog, backends.data ? backends.data : "");
	cfs_buf_free(&backends);
	printf("FUSE options:\n");
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* A number for a limit option: decimal, with K, M or G when suffixes is
 * set. 0 or -1. */
static int parse_limit(const char *s, bool suffixes, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || errno)
		return -1;
	unsigned shift = 0;
	if (suffixes && *end && !end[1])
		shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 64;
	if (shift == 64 || (*end && !shift) || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*ret = v << shift;
	return 0;
}

/* Fills lim from the --limit-* and --port-expiry options. 0 or -1. */
static int parse_limits(char *const opt[7], struct cfs_port_limits *lim)
{
	static const char *const names[7] = {"--limit-ports",  "--limit-anon",   "--limit-readers",
					     "--limit-filter", "--limit-watch",  "--limit-pending",
					     "--port-expiry"};
	uint32_t *counts[5] = {&lim->ports, &lim->anon, &lim->readers, &lim->filter, &lim->watch};
	for (int i = 0; i < 7; i++) {
		uint64_t v;
		if (!opt[i])
			continue;
		if (parse_limit(opt[i], i == 5, &v) < 0 || (i < 5 && v > UINT32_MAX) ||
		    (i == 6 && v > INT64_MAX / 1000000000)) {
			fprintf(stderr, "clusterfs: bad %s (a number%s)\n", names[i],
				i == 5 ? ", with K, M or G" : "");
			return -1;
		}
		if (i < 5)
			*counts[i] = (uint32_t)v;
		else if (i == 5)
			lim->pending = v;
		else
			lim->expiry_ns = (int64_t)v * 1000000000;
	}
	return 0;
}

/* Finds a clusterfs mount on mnt in /proc/self/mountinfo (the last one
 * mounted there); fills its device (its minor is the FUSE connection
 * number). */
static bool find_mount(const char *mnt, dev_t *ret_dev)
{
	char abs[PATH_MAX * 2 + 2];
	if (mnt[0] == '/') {
		snprintf(abs, sizeof(abs), "%s", mnt);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return false;
		snprintf(abs, sizeof(abs), "%s/%s", cwd, mnt);
	}
	size_t n = strlen(abs);
	while (n > 1 && abs[n - 1] == '/')
		abs[--n] = '\0';
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096];
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char point[PATH_MAX];
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, point) != 3)
			continue;
		/* Unescape \ooo (spaces and the like). */
		char un[PATH_MAX];
		size_t o = 0;
		for (const char *p = point; *p && o + 1 < sizeof(un); p++) {
			if (p[0] == '\\' && p[1] && p[2] && p[3]) {
				un[o++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
				p += 3;
			} else {
				un[o++] = *p;
			}
		}
		un[o] = '\0';
		const char *type = strstr(line, " - ");
		if (strcmp(un, abs) == 0 && type && strncmp(type + 3, "fuse.clusterfs ", 15) == 0) {
			*ret_dev = makedev(maj, min);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* Asks the mount something the kernel cannot answer from its caches.
 * Returns 0 if a daemon answered, 1 if the connection is dead, 2 if the
 * request hung (a daemon that died while one of its own requests was in
 * flight leaves the connection like that). */
static int probe_mount(const char *mnt)
{
	pid_t pid = fork();
	if (pid == 0) {
		char probe[PATH_MAX];
		snprintf(probe, sizeof(probe), "%s/.clusterfs-probe-%d", mnt, (int)getpid());
		struct stat st;
		_exit(stat(probe, &st) < 0 && errno == ENOENT ? 0 : 1);
	}
	if (pid < 0)
		return 1;
	for (int i = 0; i < 200; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	return 2; /* the child is reaped once the connection is aborted */
}

static void abort_connection(unsigned minor)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort", minor);
	/* fusectl is mounted for this when it is not, and unmounted again. */
	bool mounted = false;
	if (access(path, W_OK) != 0) {
		if (mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL) != 0)
			return;
		mounted = true;
	}
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			/* Already gone. */
		}
		close(fd);
	}
	if (mounted)
		umount2("/sys/fs/fuse/connections", MNT_DETACH);
}

/* Whether this session's connection still lives (its mount's superblock
 * does). Once it ended, its number in /sys/fs/fuse/connections is free
 * and the kernel gives it to the next FUSE mount on the machine, whose
 * session an abort by that number would kill. */
static bool session_connected(struct fuse_session *se)
{
	struct pollfd p = {.fd = fuse_session_fd(se), .events = 0};
	if (p.fd < 0 || poll(&p, 1, 0) < 0)
		return false;
	return !(p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* A mount left behind by a daemon that died (kill -9, a crash) is
 * detached so that this start can mount again; one that a live daemon
 * serves is refused. Returns 0 or -EBUSY. */
static int clean_stale_mount(const char *mnt)
{
	dev_t dev;
	if (!find_mount(mnt, &dev))
		return 0;
	int p = probe_mount(mnt);
	if (p == 0)
		return -EBUSY;
	cfs_log(LOG_WARNING, "%s: the mount of a dead daemon is still there; detaching it", mnt);
	abort_connection(minor(dev));
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (geteuid() == 0 && umount2(mnt, MNT_DETACH) == 0)
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", mnt, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return 0;
}

static bool allow_other_permitted(void)
{
	if (geteuid() == 0)
		return true;
	FILE *f = fopen("/etc/fuse.conf", "r");
	if (!f)
		return false;
	char line[256];
	bool ok = false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "user_allow_other", 16) == 0)
			ok = true;
	fclose(f);
	return ok;
}

/* Forks into the background. The parent waits until the child reports
 * that the file system is mounted (0) or that it failed (1), and exits
 * with that status, so that scripts can rely on the exit code. */
static int daemonize_start(int *ret_fd)
{
	int p[2];
	if (pipe(p) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		char c = 1;
		if (read(p[0], &c, 1) != 1)
			c = 1;
		_exit(c);
	}
	close(p[0]);
	setsid();
	*ret_fd = p[1];
	return 0;
}

static void daemonize_finish(int fd, int status)
{
	if (fd < 0)
		return;
	char c = (char)status;
	if (write(fd, &c, 1) < 0) {
		/* The parent is gone: nobody to tell. */
	}
	close(fd);
	if (status == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
		if (chdir("/") < 0) {
			/* Cannot happen for "/"; the daemon keeps no cwd on the mount. */
		}
	}
}

int main(int argc, char **argv)
{
	struct options opts = {0};
	struct fuse_cmdline_opts cl = {0};
	struct cfs_engine *engine = NULL;
	struct fuse_session *se = NULL;
	struct cfs_fs fs = {.timeout = 3600.0};
	struct cfs_port_limits limits = CFS_PORT_LIMITS_DEFAULT;
	int ready_fd = -1, ret = 1, r;
	char *state_dir = NULL, *mnt = NULL;
	dev_t dev = 0;
	struct cfs_replayer replayer = {0};
	char **jargv = NULL;
	/* Big short-lived buffers (a commit's records and their event log
	 * text, a control write, a hash table being grown) are mapped pages,
	 * given back when freed. glibc's default threshold follows the
	 * largest buffer freed (up to 32 MiB): they would then come from the
	 * heap, between the model's small long-lived allocations, and leave
	 * holes that keep the daemon at its peak size. A read's reply buffer
	 * (128 KiB for cat's and tail's reads) stays below the threshold:
	 * mapping and unmapping one per read cost the ports 60% of their
	 * throughput (2.0 against 5.1 M records/s). 512 KiB left the daemon
	 * that built the large tree 7 MB bigger at rest. Setting the
	 * threshold also fixes the heap's trim threshold, 128 KiB unless set:
	 * the free top of the heap is given back beyond 4 MiB only (and all
	 * of it after a burst, fs_notify.c), not after every read. */
	mallopt(M_MMAP_THRESHOLD, 132 * 1024);
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
	int jargc = join_long_options(argc, argv, &jargv);
	if (jargc < 0)
		return 1;
	struct fuse_args args = FUSE_ARGS_INIT(jargc, jargv);

	if (fuse_opt_parse(&args, &opts, option_spec, NULL) < 0)
		return 1;
	if (opts.show_help) {
		usage(argv[0]);
		return 0;
	}
	if (opts.show_version) {
		printf("clusterfs %s (libfuse %s)\n", CFS_VERSION, fuse_pkgversion());
		return 0;
	}
	if (fuse_parse_cmdline(&args, &cl) != 0)
		return 1;
	if (!cl.mountpoint) {
		fprintf(stderr, "clusterfs: no mount point given (see --help)\n");
		goto out;
	}
	cfs_log_init(!cl.foreground, cl.debug);

	if (opts.admin_group) {
		struct group *g = getgrnam(opts.admin_group);
		char *end;
		unsigned long gid = strtoul(opts.admin_group, &end, 10);
		if (g)
			fs.admin_gid = g->gr_gid;
		else if (*opts.admin_group && !*end)
			fs.admin_gid = (uint32_t)gid;
		else {
			fprintf(stderr, "clusterfs: unknown group %s\n", opts.admin_group);
			goto out;
		}
	}
	if (opts.timeout) {
		char *end;
		fs.timeout = strtod(opts.timeout, &end);
		if (*end || fs.timeout < 0) {
			fprintf(stderr, "clusterfs: bad --cache-timeout\n");
			goto out;
		}
	}
	if (opts.replay_backlog) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(opts.replay_backlog, &end, 10);
		if (errno || end == opts.replay_backlog || *end || n == 0 || n > SIZE_MAX ||
		    opts.replay_backlog[0] == '-') {
			fprintf(stderr, "clusterfs: bad --replay-backlog (a number of changes, 1 or "
					"more)\n");
			goto out;
		}
		fs.replay_backlog = (size_t)n;
	}
	if (parse_limits(opts.limit, &limits) < 0)
		goto out;
	const char *backend = opts.backend ? opts.backend : "local";
	const struct cfs_backend_ops *backend_ops = cfs_backend_find(backend);
	if (!backend_ops) {
		fprintf(stderr, "clusterfs: unknown back-end %s (see --help)\n", backend);
		goto out;
	}
	state_dir = opts.state_dir ? strdup(opts.state_dir) : cfs_default_state_dir();
	if (!state_dir)
		goto out;
	/* The state directory's parents are created for the default only. */
	if (!opts.state_dir) {
		char *p = state_dir;
		while ((p = strchr(p + 1, '/'))) {
			*p = '\0';
			mkdir(state_dir, 0755);
			*p = '/';
		}
	}

	if (clean_stale_mount(cl.mountpoint) < 0) {
		fprintf(stderr, "clusterfs: %s is already mounted by a running clusterfs\n",
			cl.mountpoint);
		goto out;
	}
	/* The mount point's absolute path, for the stop (stop.h) and the
	 * replayer, taken before the mount covers it. */
	mnt = realpath(cl.mountpoint, NULL);
	if (!mnt) {
		fprintf(stderr, "clusterfs: %s: %m\n", cl.mountpoint);
		goto out;
	}
	if (!cl.foreground && daemonize_start(&ready_fd) < 0) {
		fprintf(stderr, "clusterfs: cannot fork: %m\n");
		goto out;
	}
	/* From here on a signal stops the daemon (stop.h). */
	if (cfs_stop_init() < 0) {
		fprintf(stderr, "clusterfs: signals: %m\n");
		goto out;
	}

	/* Before any thread exists: the process that replays changes on the
	 * mount for inotify (fs_replay.h). */
	if (cfs_replayer_spawn(&replayer) < 0) {
		fprintf(stderr, "clusterfs: cannot fork: %m\n");
		goto out;
	}
	cfs_stop_replayer(replayer.pid);
	if ((r = cfs_stop_start()) < 0) {
		fprintf(stderr, "clusterfs: cannot start a thread: %s\n", strerror(-r));
		goto out;
	}
	const char *why = NULL;
	char default_name[256];
	const char *cluster_name = opts.cluster_name;
	if (!cluster_name && backend_ops->default_cluster_name &&
	    backend_ops->default_cluster_name(default_name, sizeof(default_name)) == 0)
		cluster_name = default_name;
	struct cfs_engine_config cfg = {
		.state_dir = state_dir,
		.cluster_name = cluster_name,
		.backend = backend_ops,
		.log = cfs_log,
	};
	r = cfs_engine_open(&cfg, &engine, &why);
	if (r < 0) {
		cfs_log(LOG_ERR, "%s: %s", state_dir, why);
		if (!cl.foreground)
			fprintf(stderr, "clusterfs: %s: %s\n", state_dir, why);
		goto out;
	}
	if ((r = cfs_engine_start_backend(engine)) < 0) {
		cfs_log(LOG_ERR, "back-end %s: %s", backend, strerror(-r));
		goto out;
	}
	cfs_log(LOG_INFO, "cluster %s loaded from %s", cfs_model_cluster_name(&engine->model),
		state_dir);
	fs.e = engine;
	if (cfs_stop_requested()) {
		ret = 0; /* asked to stop while starting: nothing mounted yet */
		goto out;
	}

	fuse_opt_add_arg(&args, "-odefault_permissions");
	fuse_opt_add_arg(&args, "-ofsname=clusterfs");
	fuse_opt_add_arg(&args, "-osubtype=clusterfs");
	if (allow_other_permitted())
		fuse_opt_add_arg(&args, "-oallow_other");
	se = fuse_session_new(&args, &cfs_fs_ops, sizeof(cfs_fs_ops), &fs);
	if (!se)
		goto out;
	fs.se = se;
	if (fuse_session_mount(se, mnt) != 0) {
		cfs_log(LOG_ERR, "cannot mount on %s", cl.mountpoint);
		goto out;
	}
	/* The mount's device, which the stopper looks for in the mount table
	 * (the mount just made is the last one on mnt). */
	if (!find_mount(mnt, &dev))
		cfs_log(LOG_WARNING, "%s: the new mount is not in the mount table", mnt);
	cfs_stop_mounted(mnt, dev);
	if ((r = cfs_fsports_start(&fs, state_dir, &limits)) < 0) {
		cfs_log(LOG_ERR, "ports: %s", strerror(-r));
		goto out_unmount;
	}
	if ((r = cfs_notify_start(&fs, mnt, dev, &replayer)) < 0)
		goto out_unmount;
	/* Resource agents, and the clean stop's drain (fs_agents.h). */
	if ((r = cfs_fsagents_start(&fs, state_dir, opts.ocf_root)) < 0)
		goto out_unmount;
	cfs_stop_attach(&fs);
	cfs_log(LOG_INFO, "mounted on %s", cl.mountpoint);
	daemonize_finish(ready_fd, 0);
	ready_fd = -1;

	if (cfs_stop_requested()) {
		ret = 0; /* asked to stop before the loop started */
	} else if (cl.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();
		if (!lc)
			goto out_loop;
		fuse_loop_cfg_set_clone_fd(lc, cl.clone_fd);
		fuse_loop_cfg_set_idle_threads(lc, 10);
		fuse_loop_cfg_set_max_threads(lc, 64);
		ret = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	if (!cfs_stop_requested() && !cfs_stop_saw_unmount())
		/* Neither a signal nor an unmount seen: the kernel ended the
		 * session (the mount was detached by someone, or its
		 * connection aborted), or reading requests failed. */
		cfs_log(LOG_WARNING, "the FUSE session ended by itself (%s): stopping",
			ret < 0 ? strerror(-ret) : "the mount went away");
	ret = ret < 0 ? 1 : 0;
out_loop:
	/* Shutdown (stop.h; fuse-notify.md §5.5): a clean stop takes this
	 * node's resources offline first (fs_agents.h: after an unmount,
	 * now); the notifier keeps nobody waiting and the stopper lets go of
	 * the session; blocked readers get EOF; the queued commits are made
	 * and answered; unmount, which fails any self-op still in flight;
	 * then the notifier stops and drops its queue. */
	cfs_fsagents_stop(&fs);
	cfs_notify_quiesce(&fs);
	cfs_stop_loop_returned();
	cfs_fsports_shutdown(&fs);
	cfs_engine_stop(engine);
out_unmount:
	/* After the mount point was unmounted, libfuse must not unmount
	 * whatever is on it now: with the connection aborted first, it only
	 * closes the device. */
	if (dev && cfs_stop_saw_unmount() && geteuid() == 0 && session_connected(se))
		abort_connection(minor(dev));
	cfs_stop_unmounting(true);
	fuse_session_unmount(se);
	cfs_stop_unmounting(false);
	cfs_notify_stop(&fs);
	cfs_replayer_stop(&replayer);
	cfs_stop_replayer(0);
out:
	daemonize_finish(ready_fd, 1);
	if (se)
		fuse_session_destroy(se);
	cfs_fsports_free(&fs);
	cfs_engine_free(engine);
	cfs_replayer_stop(&replayer);
	cfs_stop_finish();
	free(mnt);
	free(state_dir);
	free(cl.mountpoint);
	fuse_opt_free_args(&args);
	free(opts.state_dir);
	free(opts.cluster_name);
	free(opts.backend);
	free(opts.admin_group);
	free(opts.timeout);
	free(opts.replay_backlog);
	free(opts.ocf_root);
	for (size_t i = 0; i < CFS_ARRAY_SIZE(opts.limit); i++)
		free(opts.limit[i]);
	for (int i = 0; i < jargc; i++)
		free(jargv[i]);
	free(jargv);
	if (ret == 0)
		cfs_log(LOG_INFO, "stopped");
	return ret;
}
