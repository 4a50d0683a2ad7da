#!/usr/bin/env bash
# Benchmark (not a test): how does a large cluster's tree compare with the
# same tree copied to tmpfs?
#
#   scripts/bench-tree.sh [--small] [--keep-log FILE]
#
# One run:
#   1. builds clusterfs if needed (scripts/build.sh),
#   2. starts a daemon on a fresh state directory under a mktemp -d,
#   3. builds a large cluster through the control file, in transactions of
#      whole lines (one write each, under 1 MiB), and reports the rate,
#   4. copies the tree to a tmpfs with cp -a, all but `control` and `ports/`
#      (notification streams: their reads block by design),
#   5. times `ls -lR DIR` and reading every file,
#        find DIR -path DIR/ports -prune -o -type f ! -name control -print0 |
#            xargs -0 cat
#      on both, warm (one warm-up run, then the median of BENCH_RUNS) and
#      cold (FUSE: a restarted daemon, so the kernel has nothing cached;
#      tmpfs: after drop_caches),
#   6. times the same walks on the FUSE floor (below), cold (remounted
#      before each run) and warm,
#   7. measures the daemon's start-up time and its RSS,
#   8. prints a summary against the targets (the issue's): warm ls -lR
#      <= 1.5x tmpfs, cold ls -lR <= 3x tmpfs, warm read of every file
#      <= 2x tmpfs, start-up < 2 s, RSS < 300 MB; cold read has none.
# Needs root (tmpfs mount, drop_caches). If the daemon dies, the run says
# where and how (signal, the end of its log), restarts it and goes on; the
# measurement it died in shows CRASHED. Exit status: 0, or 1 if the daemon
# had a problem.
#
# Sizes (defaults; --small divides each by 10):
#   BENCH_NODES=100 BENCH_GROUPS=10000 BENCH_RES_PER_GROUP=5
#   BENCH_REG_KEYS=2000 BENCH_REG_VALUES=100 (values per key)
# Other knobs:
#   BENCH_RUNS=3          timed runs per warm measurement (median)
#   BENCH_COLD_RUNS=3     timed runs per cold measurement (median), each after
#                         a daemon restart / drop_caches
#   BENCH_BATCH_BYTES=1000000   bytes of whole lines per control write
#   BENCH_TMP=DIR         where mktemp -d makes its directory (default $TMPDIR or /tmp)
#   BENCH_START_TIMEOUT=300     seconds a daemon may take to answer
#   BENCH_HANG_TIMEOUT=600      seconds one command on the mount may take before
#                               the daemon is declared hung (reported, aborted)
#   BENCH_IDLE_TIMEOUT=900      seconds to wait for the daemon to go idle after
#                               the build (it replays inotify events)
#   BENCH_DAEMON_OPTS="..."     extra daemon options for every start (e.g. -s)
#   Targets: BENCH_TARGET_LS=1.5 (warm ls -lR) BENCH_TARGET_COLD_LS=3
#            BENCH_TARGET_READ=2 (warm read) BENCH_TARGET_START=2
#            BENCH_TARGET_RSS_MB=300
# tmpfs and clusterfs runs alternate, so that both see the same load; each
# run's CPU time (the command's processes, plus the daemon's for the mount)
# is shown too, as it depends less on what else the machine does. The
# targets are judged on wall-clock medians; RSS on the peak VmHWM of the
# daemons started on the finished state. A cold tmpfs is about warm
# (drop_caches cannot evict tmpfs pages or its pinned dentries), so the cold
# ratios compare a cold clusterfs with a warm tmpfs.
#
# The FUSE floor: what a FUSE file system with the daemon's caching that
# only passes requests on costs on this machine. scripts/bench/treefloor.c
# (built here with cc against the installed libfuse3) serves the tmpfs
# copy read-only, by path, with the daemon's FUSE setup: fuse_lowlevel,
# default_permissions, a multi-threaded loop (10 idle, 64 threads at
# most), READDIRPLUS and READDIRPLUS_AUTO, CACHE_SYMLINKS,
# AUTO_INVAL_DATA, no writeback cache, entries and attributes cached for
# 3600 s, READDIRPLUS entries with their attributes (ls -l makes no
# LOOKUP), OPENDIR answered ENOSYS (the kernel then caches every listing;
# with cache_readdir and keep_cache if the kernel lacks
# NO_OPENDIR_SUPPORT), files opened with keep_cache and noflush. It
# differs in where its answers come from: every request is a call to tmpfs
# by path from the one descriptor it keeps on the tmpfs copy (LOOKUP and
# GETATTR an fstatat, each READDIRPLUS an openat and getdents plus an
# fstatat per entry, OPEN an openat whose descriptor lives until RELEASE
# closes it, READ a pread), where the daemon answers from memory; so the
# daemon can beat it (a --small run: clusterfs / floor 0.7x to 0.9x), and
# it is a reference, not a lower bound. It has no xattrs (GETXATTR answers
# ENOSYS, after which the kernel asks no more, where the daemon answers
# ls -l's getxattr calls itself), no write side, and ignores FORGET (its
# node table only grows, by one path per entry looked up).
# libfuse's examples cannot be the floor here: passthrough_ll keeps an
# O_PATH descriptor per inode the kernel holds (the whole tree, with long
# timeouts; the hard limit on open files here, 20000, failed every walk),
# and passthrough (high-level API, by path) cannot cache as the daemon
# does: its init sets the entry and attribute timeouts to 0 whatever
# -o entry_timeout= says, libfuse 3.14's high-level opendir passes no
# cache_readdir, and its READDIRPLUS entries carry no attributes (a warm
# ls -lR of 1151 entries made 4800 LOOKUPs, 1353 GETATTRs and an OPENDIR,
# READDIRPLUS, READDIR and RELEASEDIR per directory).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source-path=SCRIPTDIR source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"

small=0
keep_log=""
while [ $# -gt 0 ]; do
	case $1 in
	--small) small=1 ;;
	--keep-log) keep_log=$2; shift ;;
	--keep-log=*) keep_log=${1#*=} ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-tree: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

div=1
[ $small -eq 1 ] && div=10
N_NODES=${BENCH_NODES:-$((100 / div))}
N_GROUPS=${BENCH_GROUPS:-$((10000 / div))}
RES_PER_GROUP=${BENCH_RES_PER_GROUP:-5}
N_KEYS=${BENCH_REG_KEYS:-$((2000 / div))}
VALS_PER_KEY=${BENCH_REG_VALUES:-100}
RUNS=${BENCH_RUNS:-3}
COLD_RUNS=${BENCH_COLD_RUNS:-3}
BATCH_BYTES=${BENCH_BATCH_BYTES:-1000000}
START_TIMEOUT=${BENCH_START_TIMEOUT:-300}
HANG_TIMEOUT=${BENCH_HANG_TIMEOUT:-600}
IDLE_TIMEOUT=${BENCH_IDLE_TIMEOUT:-900}
T_LS=${BENCH_TARGET_LS:-1.5}
T_READ=${BENCH_TARGET_READ:-2}
T_COLD_LS=${BENCH_TARGET_COLD_LS:-3}
T_START=${BENCH_TARGET_START:-2}
T_RSS=${BENCH_TARGET_RSS_MB:-300}
N_RES=$((N_GROUPS * RES_PER_GROUP))
N_VALS=$((N_KEYS * VALS_PER_KEY))

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-tree: needs root (tmpfs mount, drop_caches)" >&2
	exit 1
fi

bench_t0=$(now)
echo "== clusterfs tree benchmark ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo))"
echo "   size: $N_NODES nodes, $N_GROUPS groups, $N_RES resources, $N_KEYS registry keys x $VALS_PER_KEY values = $N_VALS values$([ $small -eq 1 ] && echo ' (--small)')"
echo "   warm: 1 warm-up + median of $RUNS; cold: median of $COLD_RUNS; control writes <= $BATCH_BYTES bytes; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. build ---------------------------------------------------------------
SRC_BIN=$ROOT/build/daemon/clusterfs
if [ ! -x "$SRC_BIN" ] || ! ninja -C build -n 2>/dev/null | grep -q 'no work to do'; then
	echo "-- building (scripts/build.sh)"
	if ! bash scripts/build.sh; then
		[ -x "$SRC_BIN" ] || { echo "bench-tree: the build failed" >&2; exit 1; }
		echo "   WARNING: the build failed; benchmarking the binary already in build/"
	fi
fi
[ -x "$SRC_BIN" ] || { echo "bench-tree: no $SRC_BIN after the build" >&2; exit 1; }

# ---- 2. temp dirs, cleanup, daemon ------------------------------------------
# The FUSE floor's mount (below), if a run ends while it is up.
pt_cleanup() {
	if [ -n "${PT:-}" ] && is_mounted "$PT"; then fusermount3 -u -z "$PT" 2>/dev/null || umount -l "$PT"; fi
	return 0
}
TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/bench-tree.XXXXXX")
STATE=$TMP/state MNT=$TMP/mnt TMPFS=$TMP/tmpfs LOG=$TMP/daemon.log
mkdir -p "$STATE" "$MNT" "$TMPFS"
: >"$LOG"
: >"$TMP/problems"
DPID=""
# set +e first: under set -e the (exit $rc_) that hands cleanup the status
# would end the trap there, and a failed or interrupted run left its
# daemon running and its tmpfs mounted.
trap 'rc_=$?; set +e; pt_cleanup; (exit $rc_); cleanup' EXIT
trap 'echo "bench-tree: interrupted" >&2; exit 130' INT
trap 'echo "bench-tree: terminated" >&2; exit 143' TERM
# Every daemon of this run is the same build, whatever happens to build/.
BIN=$TMP/clusterfs
cp "$SRC_BIN" "$BIN"
echo "   binary: $SRC_BIN ($("$BIN" -V 2>/dev/null | head -1), built $(date -r "$SRC_BIN" '+%F %T'), md5 $(md5sum <"$BIN" | cut -c1-12)), run from a copy"
echo "   git: $(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null | cut -c1-60)$(git -C "$ROOT" diff --quiet HEAD -- core fs daemon include 2>/dev/null || echo ' + uncommitted changes')"
echo "   temp: $TMP (state dir on $(df --output=fstype "$STATE" | tail -1))${BENCH_DAEMON_OPTS:+; daemon options: $BENCH_DAEMON_OPTS}"
MAX_HWM_KB=0
note_hwm() {
	local h
	h=$(rss_kb VmHWM)
	if isnum "$h" && [ "$h" -gt "$MAX_HWM_KB" ]; then MAX_HWM_KB=$h; fi
}

echo
echo "-- daemon start (empty state)"
start_daemon
echo "   up in $(fmt "$START_SECS") s; RSS $(rss_str)"

# ---- 3. build the cluster through the control file --------------------------
echo
echo "-- building the cluster through $MNT/control"
CMDS=$TMP/cmds
mkdir -p "$CMDS"
awk -v n="$N_NODES" 'BEGIN { for (i = 2; i <= n + 1; i++) printf "node-add node%d %d 10.1.%d.%d\n", i, i, int(i / 256), i % 256 }' >"$CMDS/1-nodes"
awk -v n="$N_GROUPS" 'BEGIN { for (i = 1; i <= n; i++) printf "group-create g%d\n", i }' >"$CMDS/2-groups"
awk -v n="$N_RES" -v k="$RES_PER_GROUP" 'BEGIN { for (i = 1; i <= n; i++) printf "resource-create r%d \"Generic Application\" g%d\n", i, int((i - 1) / k) + 1 }' >"$CMDS/3-resources"
awk -v n="$N_KEYS" 'BEGIN { print "reg-create-key Bench"; for (i = 1; i <= n; i++) printf "reg-create-key \"Bench\\\\k%d\"\n", i }' >"$CMDS/4-regkeys"
awk -v n="$N_KEYS" -v m="$VALS_PER_KEY" 'BEGIN { for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) printf "reg-set \"Bench\\\\k%d\" v%d sz value%d\n", i, j, j }' >"$CMDS/5-regvalues"

build_total_cmds=0
build_total_secs=0
printf '   %-11s %9s %9s %6s %9s %11s  %s\n' phase commands bytes writes seconds commands/s "seconds per write: median / max"
for f in "$CMDS"/*; do
	phase=${f##*/}; phase=${phase#*-}
	if ! out=$(feed_control "$f" "$MNT/control" "$BATCH_BYTES"); then
		echo "   $phase: FAILED: $out"
		daemon_died "the $phase phase of the build" || tail -5 "$LOG" | sed 's/^/     /'
		echo "bench-tree: building the cluster failed" >&2
		exit 1
	fi
	read -r lines bytes writes secs wmed wmax <<<"$out"
	build_total_cmds=$((build_total_cmds + lines))
	build_total_secs=$(calc "$build_total_secs + $secs")
	printf '   %-11s %9d %9d %6d %9s %11s  %s / %s\n' "$phase" "$lines" "$bytes" "$writes" "$(fmt "$secs")" \
		"$(calc "int($lines / $secs)")" "$(fmt "$wmed")" "$(fmt "$wmax")"
done
BUILD_SECS=$build_total_secs
BUILD_RATE=$(calc "int($build_total_cmds / $build_total_secs)")
printf '   %-11s %9d %9s %6s %9s %11s\n' total "$build_total_cmds" "" "" "$(fmt "$BUILD_SECS")" "$BUILD_RATE"
BUILD_RSS=$(rss_str)
echo "   daemon after the build: $BUILD_RSS; state dir $(du -sh "$STATE" | cut -f1)"
wait_idle "$IDLE_TIMEOUT"
BUILD_IDLE=$IDLE_SECS
BUILD_RSS_IDLE=$(rss_str)
echo "   the daemon went on working $BUILD_IDLE s after the last write returned (CPU busy); then: $BUILD_RSS_IDLE"

# Is the cluster what was asked for?
count() { find "$1" -mindepth 1 -maxdepth 1 | wc -l; }
got_nodes=$(count "$MNT/nodes")
got_groups=$(count "$MNT/groups")
got_res=$(count "$MNT/resources")
got_keys=$(count "$MNT/registry/Bench")
got_vals=$(count "$MNT/registry/Bench/k$N_KEYS")
echo "   check: nodes $got_nodes (want $((N_NODES + 1))), groups $got_groups (want $N_GROUPS + built-in), resources $got_res (want $N_RES + built-in), Bench keys $got_keys (want $N_KEYS), values in k$N_KEYS $got_vals (want $VALS_PER_KEY)"
if [ "$got_nodes" -ne $((N_NODES + 1)) ] || [ "$got_groups" -lt "$N_GROUPS" ] || [ "$got_res" -lt "$N_RES" ] ||
	[ "$got_keys" -ne "$N_KEYS" ] || [ "$got_vals" -ne "$VALS_PER_KEY" ]; then
	echo "bench-tree: the cluster is not complete" >&2
	exit 1
fi

# ---- 4. the same tree on tmpfs -----------------------------------------------
echo
echo "-- copying the tree to tmpfs (cp -a, all but control and ports/: their reads block by design)"
mount -t tmpfs -o mode=0755 bench-tree "$TMPFS"
copy_tree() {
	local e
	find "$TMPFS" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
	: >"$TMP/cp.err"
	for e in "$MNT"/* "$MNT"/.[!.]*; do
		[ -e "$e" ] || [ -L "$e" ] || continue
		case ${e##*/} in control | ports) continue ;; esac
		cp -a "$e" "$TMPFS/" 2>>"$TMP/cp.err" || true
	done
}
watchdog_start "cp -a of $MNT to tmpfs"
t0=$(now)
copy_tree
COPY_SECS=$(calc "$(now) - $t0")
COPY_NOTE=" (the daemon that built the cluster)"
watchdog_stop
cp_note=""
[ -s "$TMP/cp.err" ] && cp_note=" (cp: $(wc -l <"$TMP/cp.err") error lines, first: $(head -1 "$TMP/cp.err"))"
echo "   copy: $(fmt "$COPY_SECS") s$cp_note"
if daemon_died "cp -a of $MNT to tmpfs (after $(fmt "$COPY_SECS") s)"; then
	echo "   the copy is incomplete: copying again through a single-threaded daemon (-s), for the tmpfs tree only"
	start_daemon -s
	watchdog_start "cp -a of $MNT to tmpfs with -s"
	t0=$(now)
	copy_tree
	COPY_SECS=$(calc "$(now) - $t0")
	COPY_NOTE=" (a fresh single-threaded daemon, -s, after the first copy crashed it)"
	watchdog_stop
	echo "   copy with -s: $(fmt "$COPY_SECS") s$([ -s "$TMP/cp.err" ] && echo " (cp: $(wc -l <"$TMP/cp.err") error lines, first: $(head -1 "$TMP/cp.err"))")"
	if daemon_died "cp -a of $MNT to tmpfs with -s"; then
		echo "bench-tree: cannot copy the tree" >&2
		exit 1
	fi
fi
echo "   daemon after the copy: $(rss_str)"
# Same names, types and sizes on both sides? (Sizes: the st_size the daemon
# reports against the bytes cp read.)
# (A directory's size means nothing here.)
manifest() { find . -path ./ports -prune -o ! -name control \( -type d -printf 'd - %p\n' -o -printf '%y %s %p\n' \) | LC_ALL=C sort; }
watchdog_start "find over $MNT (manifest)"
(cd "$MNT" && manifest) >"$TMP/manifest.fuse"
watchdog_stop
(cd "$TMPFS" && manifest) >"$TMP/manifest.tmpfs"
n_files=$(grep -c '^f ' "$TMP/manifest.tmpfs" || true)
n_dirs=$(grep -c '^d ' "$TMP/manifest.tmpfs" || true)
n_links=$(grep -c '^l ' "$TMP/manifest.tmpfs" || true)
n_bytes=$(awk '$1 == "f" { s += $2 } END { print s + 0 }' "$TMP/manifest.tmpfs")
echo "   tree: $n_files files, $n_dirs directories, $n_links symlinks, $n_bytes bytes of file content"
if cmp -s "$TMP/manifest.fuse" "$TMP/manifest.tmpfs"; then
	echo "   both trees have the same names, types and sizes"
else
	ndiff=$(diff "$TMP/manifest.fuse" "$TMP/manifest.tmpfs" | grep -c '^[<>]' || true)
	problem "the trees differ: $ndiff lines of 'type size path' (< mount, > tmpfs), first ones:"
	{ diff "$TMP/manifest.fuse" "$TMP/manifest.tmpfs" || true; } | grep '^[<>]' | sed -n '1,6s/^/     /p' | tee -a "$TMP/problems"
fi
stop_daemon "the manifest walk"
echo "   daemon stopped (SIGTERM) in $(fmt "$STOP_SECS") s"

# ---- 5/6. timings, start-up, RSS -----------------------------------------
# tmpfs and clusterfs runs alternate, so that both see the same load.
declare -A RES
STARTS=()
# record KEY VALUES...: the median (or CRASHED) into RES[KEY].
record() {
	local k=$1
	shift
	median_or_crash "$@"
	RES[$k]=$R
}
show() { # show LABEL WHAT WALL[] CPU[] (as strings)
	printf '   %-15s %-9s runs %s -> median %s s; CPU %s -> median %s s\n' "$1" "$2" "$3" "$(fmtx "$4")" "$5" "$(fmtx "$6")"
}

echo
echo "-- cold runs (tmpfs: after drop_caches; clusterfs: a daemon restarted before each; alternating)"
RSS_AFTER_COLD="n/a"
for kind in ls read; do
	tw=() tc=() fw=() fc=()
	for ((i = 1; i <= COLD_RUNS; i++)); do
		sync
		echo 3 >/proc/sys/vm/drop_caches
		timed "$kind" "$TMPFS"; tw+=("$T"); tc+=("$C")
		start_daemon; STARTS+=("$START_SECS")
		timed "$kind" "$MNT"; fw+=("$T"); fc+=("$C")
		if [ "$kind" = read ] && isnum "$T"; then RSS_AFTER_COLD=$(rss_str); fi
		note_hwm
		stop_daemon "cold $(label "$kind")"
	done
	record "cold_${kind}_tmpfs" "${tw[@]}"; record "cold_${kind}_tmpfs_cpu" "${tc[@]}"
	record "cold_${kind}_fuse" "${fw[@]}"; record "cold_${kind}_fuse_cpu" "${fc[@]}"
	show "cold $(label "$kind")" tmpfs "$(fmt_list "${tw[@]}")" "${RES[cold_${kind}_tmpfs]}" "$(fmt_list "${tc[@]}")" "${RES[cold_${kind}_tmpfs_cpu]}"
	show "" clusterfs "$(fmt_list "${fw[@]}")" "${RES[cold_${kind}_fuse]}" "$(fmt_list "${fc[@]}")" "${RES[cold_${kind}_fuse_cpu]}"
done

echo
echo "-- warm runs (one warm-up run each, then $RUNS alternating runs; one daemon)"
start_daemon; STARTS+=("$START_SECS")
RSS_START=$(rss_str)
for kind in ls read; do
	tw=() tc=() fw=() fc=()
	timed "$kind" "$TMPFS"; wt=$T
	timed "$kind" "$MNT"; wf=$T
	for ((i = 1; i <= RUNS; i++)); do
		timed "$kind" "$TMPFS"; tw+=("$T"); tc+=("$C")
		# After a crash the cache is cold again: no more warm runs.
		if isnum "$wf" && { [ ${#fw[@]} -eq 0 ] || isnum "${fw[-1]}"; }; then
			timed "$kind" "$MNT"; fw+=("$T"); fc+=("$C")
		fi
	done
	isnum "$wf" || { fw=(CRASHED); fc=(CRASHED); }
	record "warm_${kind}_tmpfs" "${tw[@]}"; record "warm_${kind}_tmpfs_cpu" "${tc[@]}"
	record "warm_${kind}_fuse" "${fw[@]}"; record "warm_${kind}_fuse_cpu" "${fc[@]}"
	show "warm $(label "$kind")" tmpfs "$(fmt_list "${tw[@]}") (warm-up $(fmtx "$wt"))" "${RES[warm_${kind}_tmpfs]}" "$(fmt_list "${tc[@]}")" "${RES[warm_${kind}_tmpfs_cpu]}"
	show "" clusterfs "$(fmt_list "${fw[@]}") (warm-up $(fmtx "$wf"))" "${RES[warm_${kind}_fuse]}" "$(fmt_list "${fc[@]}")" "${RES[warm_${kind}_fuse_cpu]}"
	if [ "$kind" = ls ]; then RSS_AFTER_LS=$(rss_str); else RSS_AFTER_READ=$(rss_str); fi
	note_hwm
done
stop_daemon "the warm runs"
echo "   (clusterfs CPU: the command's processes plus the daemon; tmpfs CPU: the command's processes)"

# ---- the FUSE floor ------------------------------------------------------------
# What FUSE costs on this machine: scripts/bench/treefloor.c (built here
# with cc) serves the tmpfs copy with the daemon's FUSE setup and caching
# and only passes the requests on to tmpfs, by path: its ratio to tmpfs is
# what these walks cost a FUSE passthrough with that caching. It keeps no
# descriptor per inode. (Why not libfuse's examples, and how it differs
# from the daemon: the header.)
PT_SRC=$ROOT/scripts/bench/treefloor.c
PT=$TMP/floor PT_PID=""
PT_FAILED=()
pt_start() {
	"$TMP/treefloor" "$TMPFS" "$PT" 2>>"$TMP/floor.log" &
	PT_PID=$!
	for _ in $(seq 500); do
		is_mounted "$PT" && return 0
		alive "$PT_PID" || break
		sleep 0.01
	done
	PT_FAILED+=("treefloor did not mount: $(tail -n 1 "$TMP/floor.log" 2>/dev/null)")
	kill "$PT_PID" 2>/dev/null
	wait "$PT_PID" 2>/dev/null
	PT_PID=""
	return 1
}
pt_stop() {
	if is_mounted "$PT"; then fusermount3 -u "$PT" || fusermount3 -u -z "$PT" || true; fi
	# Its status means nothing here (a failed walk is told by pt_timed).
	if [ -n "$PT_PID" ]; then wait "$PT_PID" 2>/dev/null || true; fi
	PT_PID=""
}
# What it holds as it runs: open descriptors and VmRSS.
pt_usage() {
	echo "$(find "/proc/$PT_PID/fd" -mindepth 1 2>/dev/null | wc -l) descriptors open," \
		"$(awk '$1 == "VmRSS:" { printf "VmRSS %.1f MB", $2 / 1024 }' "/proc/$PT_PID/status" 2>/dev/null)"
}
# pt_timed KIND: timed on the floor's mount; a walk with any error output
# (EMFILE, a dead treefloor) is FAILED, not a time.
pt_timed() {
	timed "$1" "$PT"
	if [ -s "$TMP/err.cur" ]; then
		PT_FAILED+=("$(label "$1"): $(head -n 1 "$TMP/err.cur")")
		T=FAILED
	fi
}
# pt_record KEY TIMES...: their median into RES[KEY], or FAILED if any
# walk failed or none ran.
pt_record() {
	local k=$1 x
	shift
	RES[$k]=FAILED
	[ $# -gt 0 ] || return 0
	for x in "$@"; do isnum "$x" || return 0; done
	RES[$k]=$(median "$@")
}
# pt_show LABEL KEY NOTE TIMES...
pt_show() { printf '   %-15s runs %s%s -> median %s s\n' "$1" "$(fmt_list "${@:4}")" "$3" "$(fmtx "${RES[$2]}")"; }
echo
# shellcheck disable=SC2046 # pkg-config's words
if mkdir -p "$PT" &&
	cc -O2 -Wall -pthread -o "$TMP/treefloor" "$PT_SRC" $(pkg-config --cflags --libs fuse3) 2>"$TMP/floor.log"; then
	echo "-- the FUSE floor: scripts/bench/treefloor over the tmpfs copy (the daemon's FUSE setup; cold: remounted before each)"
	for kind in ls read; do
		pw=()
		for ((i = 1; i <= COLD_RUNS; i++)); do
			if ! pt_start; then pw+=(FAILED); break; fi
			pt_timed "$kind"; pw+=("$T")
			pt_stop
		done
		pt_record "cold_${kind}_floor" "${pw[@]}"
		pt_show "cold $(label "$kind")" "cold_${kind}_floor" "" "${pw[@]}"
	done
	if pt_start; then
		for kind in ls read; do
			pw=()
			pt_timed "$kind"; wt=$T
			for ((i = 1; i <= RUNS; i++)); do pt_timed "$kind"; pw+=("$T"); done
			pt_record "warm_${kind}_floor" "${pw[@]}"
			isnum "$wt" || RES[warm_${kind}_floor]=FAILED
			pt_show "warm $(label "$kind")" "warm_${kind}_floor" " (warm-up $(fmtx "$wt"))" "${pw[@]}"
		done
		echo "   treefloor after the warm runs: $(pt_usage) (the tree has $((n_files + n_dirs + n_links)) entries)"
		pt_stop
	else
		pt_record warm_ls_floor; pt_record warm_read_floor
	fi
	if [ ${#PT_FAILED[@]} -gt 0 ]; then
		echo "   the FUSE floor FAILED: ${#PT_FAILED[@]} walks or starts failed; their times are not measurements. First ones:"
		printf '     %s\n' "${PT_FAILED[@]:0:4}"
	fi
else
	echo "-- the FUSE floor: skipped ($PT_SRC did not build: $(tail -n 1 "$TMP/floor.log" 2>/dev/null))"
fi

echo
echo "-- daemon start-up and memory"
STARTUP=$(median "${STARTS[@]}")
echo "   start-up (exec -> cat $MNT/name answers): $(fmt_list "${STARTS[@]}") -> median $(fmt "$STARTUP") s"
# An aside: a start with the state directory's pages evicted too.
sync; echo 3 >/proc/sys/vm/drop_caches
start_daemon
START_DROPPED=$START_SECS
stop_daemon "the start after drop_caches"
echo "   start-up after drop_caches (state read from disk): $(fmt "$START_DROPPED") s"
echo "   RSS after start-up:    $RSS_START"
echo "   RSS after warm ls -lR: $RSS_AFTER_LS"
echo "   RSS after warm read:   $RSS_AFTER_READ"
echo "   RSS after a cold read: $RSS_AFTER_COLD (another daemon: one start, one find+cat)"
fuse_warm_ls=${RES[warm_ls_fuse]} tmpfs_warm_ls=${RES[warm_ls_tmpfs]}
fuse_warm_read=${RES[warm_read_fuse]} tmpfs_warm_read=${RES[warm_read_tmpfs]}
fuse_cold_ls=${RES[cold_ls_fuse]} tmpfs_cold_ls=${RES[cold_ls_tmpfs]}
fuse_cold_read=${RES[cold_read_fuse]} tmpfs_cold_read=${RES[cold_read_tmpfs]}

# ---- results -----------------------------------------------------------------
echo
echo "-- results (medians, seconds; ratio = clusterfs / tmpfs)"
printf '   %-12s %10s %10s %7s   %10s %10s %7s\n' measurement clusterfs tmpfs ratio "CPU: cfs" tmpfs ratio
xr() { ratio "$1" "$2" | sed 's/[0-9]$/&x/'; }
row() {
	local f=${RES[${1}_fuse]} t=${RES[${1}_tmpfs]} fcpu=${RES[${1}_fuse_cpu]} tcpu=${RES[${1}_tmpfs_cpu]}
	printf '   %-12s %10s %10s %7s   %10s %10s %7s\n' "$2" "$(fmtx "$f")" "$(fmtx "$t")" "$(xr "$f" "$t")" "$(fmtx "$fcpu")" "$(fmtx "$tcpu")" "$(xr "$fcpu" "$tcpu")"
}
row warm_ls "warm ls -lR"
row warm_read "warm read"
row cold_ls "cold ls -lR"
row cold_read "cold read"
if [ -n "${RES[warm_ls_floor]:-}" ]; then
	echo "-- the FUSE floor (treefloor over tmpfs; ratio = floor / tmpfs, then clusterfs / floor)"
	printf '   %-12s %10s %7s %12s\n' measurement floor "/tmpfs" "cfs/floor"
	for m in warm_ls:"warm ls -lR" warm_read:"warm read" cold_ls:"cold ls -lR" cold_read:"cold read"; do
		k=${m%%:*} f=${RES[${m%%:*}_floor]:-}
		printf '   %-12s %10s %7s %12s\n' "${m#*:}" "$(fmtx "$f")" "$(xr "$f" "${RES[${k}_tmpfs]}")" "$(xr "${RES[${k}_fuse]}" "$f")"
	done
	[ ${#PT_FAILED[@]} -eq 0 ] || echo "   the floor FAILED in ${#PT_FAILED[@]} walks or starts (first: ${PT_FAILED[0]})"
fi
echo "   (tmpfs \"cold\": drop_caches cannot evict tmpfs pages or its pinned dentries, so it stays about warm)"
echo "   aside: cp -a to tmpfs took $(fmt "$COPY_SECS") s$COPY_NOTE"

echo
n_log=$(grep -vc -e ': info: ' -e '^--- start' "$LOG" || true)
if [ "$n_log" -gt 0 ]; then
	echo "-- daemon log: $n_log lines other than info (first 15):"
	grep -v -e ': info: ' -e '^--- start' "$LOG" | sed -n '1,15s/^/   /p'
else
	echo "-- daemon log: info lines only"
fi
if [ -s "$TMP/errors" ]; then
	echo "-- errors from the timed commands (first 12 lines of $(wc -l <"$TMP/errors")):"
	sed -n '1,12s/^/   /p' "$TMP/errors"
fi
if [ -n "$keep_log" ]; then cp "$LOG" "$keep_log" && echo "   daemon log kept in $keep_log"; fi

rss_peak_mb=$(calc "sprintf(\"%.1f\", $MAX_HWM_KB / 1024)")
met() { # met VALUE OP TARGET
	if ! isnum "$1"; then echo "NOT met (the daemon crashed)"
	elif [ "$(calc "($1 $2 $3) ? 1 : 0")" = 1 ]; then echo met
	else echo "NOT met"; fi
}
r_ls=$(ratio "$fuse_warm_ls" "$tmpfs_warm_ls")
r_read=$(ratio "$fuse_warm_read" "$tmpfs_warm_read")
r_cold_ls=$(ratio "$fuse_cold_ls" "$tmpfs_cold_ls")
# "A s / B s = Rx", or "CRASHED".
vs() { if isnum "$1"; then echo "$(fmt "$1") s / $(fmt "$2") s = $(ratio "$1" "$2")x"; else echo "$1"; fi; }
cpux() { if isnum "$1"; then echo " (CPU $(ratio "$1" "$2")x)"; fi; }
echo
echo "================ summary: $N_NODES nodes, $N_GROUPS groups, $N_RES resources, $N_VALS registry values = $n_files files ================"
printf '  %-40s %-30s %s\n' "build through control" "$(fmt "$BUILD_SECS") s" "$BUILD_RATE commands/s; then $BUILD_IDLE s more of daemon work"
printf '  %-40s %-30s %s\n' "warm ls -lR  (target <= ${T_LS}x tmpfs)" "$(vs "$fuse_warm_ls" "$tmpfs_warm_ls")" "$(met "$r_ls" "<=" "$T_LS")$(cpux "${RES[warm_ls_fuse_cpu]}" "${RES[warm_ls_tmpfs_cpu]}")"
printf '  %-40s %-30s %s\n' "warm read    (target <= ${T_READ}x tmpfs)" "$(vs "$fuse_warm_read" "$tmpfs_warm_read")" "$(met "$r_read" "<=" "$T_READ")$(cpux "${RES[warm_read_fuse_cpu]}" "${RES[warm_read_tmpfs_cpu]}")"
printf '  %-40s %-30s %s\n' "start-up     (target < ${T_START} s)" "$(fmt "$STARTUP") s (median of ${#STARTS[@]})" "$(met "$STARTUP" "<" "$T_START")"
printf '  %-40s %-30s %s\n' "RSS          (target < ${T_RSS} MB)" "peak VmHWM $rss_peak_mb MB" "$(met "$rss_peak_mb" "<" "$T_RSS")"
printf '  %-40s %s\n' "  (the daemon that built the cluster)" "$BUILD_RSS; when idle: $BUILD_RSS_IDLE"
printf '  %-40s %-30s %s\n' "cold ls -lR  (target <= ${T_COLD_LS}x tmpfs)" "$(vs "$fuse_cold_ls" "$tmpfs_cold_ls")" "$(met "$r_cold_ls" "<=" "$T_COLD_LS")$(cpux "${RES[cold_ls_fuse_cpu]}" "${RES[cold_ls_tmpfs_cpu]}")"
printf '  %-40s %-30s %s\n' "cold read    (no target)" "$(vs "$fuse_cold_read" "$tmpfs_cold_read")" "$(cpux "${RES[cold_read_fuse_cpu]}" "${RES[cold_read_tmpfs_cpu]}" | sed 's/^ //')"
if [ -n "${RES[warm_ls_floor]:-}" ] && [ ${#PT_FAILED[@]} -eq 0 ]; then
	printf '  %-40s %s\n' "FUSE floor (treefloor / tmpfs)" "warm ls -lR $(xr "${RES[warm_ls_floor]}" "$tmpfs_warm_ls"), warm read $(xr "${RES[warm_read_floor]}" "$tmpfs_warm_read"), cold ls -lR $(xr "${RES[cold_ls_floor]}" "$tmpfs_cold_ls"), cold read $(xr "${RES[cold_read_floor]}" "$tmpfs_cold_read")"
fi
[ ${#PT_FAILED[@]} -eq 0 ] ||
	printf '  %-40s %s\n' "FUSE floor (treefloor)" "FAILED in ${#PT_FAILED[@]} walks or starts, first: ${PT_FAILED[0]}"
printf '  %-40s %s\n' "whole benchmark" "$(fmt "$(calc "$(now) - $bench_t0")") s (load average now $(cut -d' ' -f1-3 /proc/loadavg))${BENCH_DAEMON_OPTS:+, daemon options: $BENCH_DAEMON_OPTS}"
if [ -s "$TMP/problems" ]; then
	echo "  daemon problems:"
	sed 's/^ *//; s/^/    /' "$TMP/problems"
	exit 1
fi
echo "  daemon problems: none"
