#!/usr/bin/env bash
# Benchmark (not a test): clusterfs on a 3-node Corosync cluster against
# its references, side by side in one run (issue 12, section 5).
#
#   scripts/bench-cluster.sh [--small] [--no-pacemaker]
#
# Needs root, corosync (scripts/deps.sh installs it) and, for the
# Pacemaker reference, `apt-get install -y pacemaker resource-agents` and
# the harness in shared/scripts/pacemaker-netns (PCMK_NETNS=DIR, else it
# is looked for next to the repository). It builds clusterfs if needed,
# compiles scripts/bench/*.c into a mktemp -d with `cc -O2` (cpgtool with
# -lcpg), and runs, in this order:
#   0. a single node (--backend=local) on a state directory on the same
#      file system: write latency (5) and the same writers' rate (1).
#   Then one 3-node cluster (scripts/cluster.sh up: a network namespace,
#   a Corosync and a clusterfs daemon per node; udpu, token 300 ms):
#   1. replicated changes/s: 3 x BENCH_WRITERS writer threads, each
#      write(2) to control one `reg-set` (a batch, a CPG message), counted
#      by a port reader on node 2; against raw CPG agreed order on the same
#      Corosyncs (cpgtool flood: one sender per node, 128-byte messages,
#      receivers on every node; run while the clusterfs daemons are up and
#      idle, so it is the same cluster at the same time). The runs take
#      turns (CPG, clusterfs, CPG, ...). Then, as diagnosis: the same with
#      20 changes per write(), raw CPG as a closed loop (BENCH_WRITERS
#      messages in flight per node, as the writers), and where the CPU
#      went (schedstat).
#   4. a change on node 1 -> its record read on node 3 (port reader
#      blocked in read()), p50/p99.
#   5. durable write() latency, one writer on node 1, against (0).
#   2+3. BENCH_KILLS crashes: kill -9 of a node's Corosync and daemon
#      (victims take turns: n3, n1, n2, ...; the group `web` is moved to the
#      victim first). On each survivor, a port reader timestamps the node's
#      `down` record and the group's `online` record on its new owner, and
#      a CPG member (cpgtool watch, on every node) the confchg that tells
#      the node left: Corosync's own detection, on the same kill. The node
#      is restarted and synced before the next kill.
#   Then the cluster is torn down, and Pacemaker 2.1 runs on a new 3-node
#   namespace cluster with the same Corosync settings (its harness's
#   bench.py): `crash BENCH_PCMK_CRASHES any` (a node crash -> the whole
#   group started on a survivor) and `cib BENCH_PCMK_CIB` (a CIB change on
#   node 1 -> visible on node 3).
# All clusterfs and Corosync times are CLOCK_MONOTONIC (shared by every
# network namespace), taken in the C helpers; Pacemaker's are its
# bench.py's (wall clock, and Corosync's log for its membership time).
# A summary prints each figure next to its reference, the ratio and the
# target. The full run's report goes to docs/bench-cluster.txt
# (BENCH_OUT=FILE to change, "-" for none; --small writes none unless
# BENCH_OUT is set).
#
# --small: fewer repetitions (well under two minutes, Pacemaker included).
# --no-pacemaker: skip Pacemaker (its figures show the README's).
# Everything it starts is torn down on exit, error or Ctrl-C: daemons,
# mounts, Corosyncs, Pacemaker, network namespaces, /dev/shm leftovers.
# The machine is shared: the load average is printed at the start and end.
#
# Knobs (environment; full / --small):
#   BENCH_RUNS=3/1          CPG and clusterfs throughput runs each
#   BENCH_CPG_MSGS=50000/20000   messages per CPG sender
#   BENCH_WRITERS=4         writer threads per node (1)
#   BENCH_WRITES=400/150    writes per writer thread (1)
#   BENCH_LAT_N=1000/300    changes for the latency measurements (4, 5)
#   BENCH_KILLS=10/3        node crashes (2, 3)
#   BENCH_PCMK_CRASHES=10/2 BENCH_PCMK_CIB=10/5   Pacemaker's runs
#   BENCH_TMP=DIR           where mktemp -d makes its directory
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SMALL=0 PCMK=1
for a in "$@"; do
	case $a in
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--small) SMALL=1 ;;
	--no-pacemaker) PCMK=0 ;;
	*) echo "bench-cluster: unknown argument $a (see --help)" >&2; exit 2 ;;
	esac
done
if [ "$SMALL" = 1 ]; then
	d_runs=1 d_msgs=20000 d_writes=150 d_lat=300 d_kills=3 d_pcrash=2 d_pcib=5
	OUT=${BENCH_OUT:--}
else
	d_runs=3 d_msgs=50000 d_writes=400 d_lat=1000 d_kills=10 d_pcrash=10 d_pcib=10
	OUT=${BENCH_OUT:-$ROOT/docs/bench-cluster.txt}
fi
RUNS=${BENCH_RUNS:-$d_runs}
CPG_MSGS=${BENCH_CPG_MSGS:-$d_msgs}
CPG_SIZE=128
WRITERS=${BENCH_WRITERS:-4}
WRITES=${BENCH_WRITES:-$d_writes}
LAT_N=${BENCH_LAT_N:-$d_lat}
KILLS=${BENCH_KILLS:-$d_kills}
PCRASH=${BENCH_PCMK_CRASHES:-$d_pcrash}
PCIB=${BENCH_PCMK_CIB:-$d_pcib}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-cluster: needs root (network namespaces, mounts)" >&2
	exit 1
fi
command -v corosync >/dev/null || [ -x /usr/sbin/corosync ] ||
	{ echo "bench-cluster: corosync is not installed (scripts/deps.sh)" >&2; exit 1; }

# ---- helpers -----------------------------------------------------------------
calc() { awk -v OFMT=%.6f "BEGIN { print ($1) }"; }
isnum() { [[ ${1:-} =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }
# getv "RESULT ..." KEY: the value of KEY=..., or "n/a".
getv() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); f = 1; exit } } END { if (!f) print "n/a" }' <<<"$1"; }
f0() { if isnum "${1:-}"; then printf '%.0f' "$1"; else printf '%s' "${1:-n/a}"; fi; }
f1() { if isnum "${1:-}"; then printf '%.1f' "$1"; else printf '%s' "${1:-n/a}"; fi; }
f2() { if isnum "${1:-}"; then printf '%.2f' "$1"; else printf '%s' "${1:-n/a}"; fi; }
ratio() { if isnum "${1:-}" && isnum "${2:-}" && [ "$(calc "$2 != 0")" = 1 ]; then calc "sprintf(\"%.3f\", $1 / $2)"; else echo n/a; fi; }
# met VALUE OP TARGET
met() {
	if ! isnum "${1:-}" || ! isnum "${3:-}"; then echo "n/a"
	elif [ "$(calc "($1 $2 $3) ? 1 : 0")" = 1 ]; then echo met
	else echo "NOT met"; fi
}
# stats V...: "median min max n" of the numbers among them ("n/a" if none).
stats() {
	printf '%s\n' "$@" | awk '/^-?[0-9]+(\.[0-9]+)?$/ { print }' | sort -g |
		awk '{ a[NR] = $1 } END { if (!NR) { print "n/a n/a n/a 0"; exit }
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "%.6f %.6f %.6f %d\n", m, a[1], a[NR], NR }'
}
nth() { awk -v k="$1" '{ print $k }' <<<"$2"; }
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
is_mounted() { awk -v p="$1" '$2 == p { f = 1 } END { exit !f }' /proc/self/mounts; }
# waitfor SECS CMD...: polls CMD every 20 ms until it succeeds.
waitfor() {
	local lim=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -le "$lim" ] || return 1
		sleep 0.02
	done
}
problem() { echo "   PROBLEM: $*" | tee -a "$TMP/problems"; }
# bg_start NAME CMD...: runs CMD in the background, output to $TMP/NAME;
# remembers its pid for the clean-up. CMD must be a program (not a
# function), so that the pid is its own: `ip netns exec` execs its command.
bg_start() {
	local name=$1
	shift
	"$@" >"$TMP/$name" 2>&1 &
	BG_PIDS+=("$!")
	LAST_BG=$!
}
bg_stop() {
	local p
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null || true
	done
}

# run_job LOG CMD...: runs CMD in a session of its own and waits for it, so
# that Ctrl-C or SIGTERM reaches this script at once (the trap ends the
# whole job by its process group; a shell script that handles SIGINT
# itself would otherwise keep this one waiting).
run_job() {
	local log=$1 rc=0
	shift
	setsid "$@" >"$log" 2>&1 &
	JOB=$!
	wait "$JOB" || rc=$?
	JOB=""
	return "$rc"
}

CL() { bash "$ROOT/scripts/cluster.sh" -d "$CLB" -p "$PREFIX" "$@"; }
mnt() { echo "$CLB/n$1/mnt"; }
ctl() { local i=$1; shift; printf '%s\n' "$@" >"$(mnt "$i")/control"; }

# Per-thread CPU accounting (/proc/PID/task/TID/schedstat: ns on the CPU,
# ns waiting on the run queue, time slices).
sched_snap() {
	local p t
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			echo "$p ${t##*/} $(cat "$t/schedstat" 2>/dev/null || echo '0 0 0')"
		done
	done
}
# sched_diff BEFORE AFTER SECS COUNT UNIT LABEL:PID...: per process, CPU% on
# the CPU and waiting for it, its busiest thread, and CPU per UNIT (COUNT
# of them in SECS).
sched_diff() {
	local a=$1 b=$2 secs=$3 count=$4 unit=$5
	shift 5
	local lp
	for lp in "$@"; do
		awk -v pid="${lp#*:}" -v label="${lp%%:*}" -v secs="$secs" -v count="$count" -v unit="$unit" '
			FNR == NR { if ($1 == pid) { on[$2] = $3; rq[$2] = $4; sl[$2] = $5 } next }
			$1 == pid { d = $3 - on[$2]; r = $4 - rq[$2]; s = $5 - sl[$2]
				ton += d; trq += r; tsl += s
				if (d > bon) { bon = d; brq = r } }
			END { printf "      %-20s on CPU %5.1f%% = %5.1f us per %s, waiting for a CPU %6.1f%%; busiest thread %4.1f%% / %5.1f%%; %5d wake-ups/s\n",
				label, ton / secs / 1e7, count ? ton / count / 1e3 : 0, unit, trq / secs / 1e7, bon / secs / 1e7, brq / secs / 1e7, tsl / secs }' "$a" "$b"
	done
}
# The daemon's children (its inotify replayer).
children() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$' || true; }

# ---- clean-up ------------------------------------------------------------------
cleanup() {
	local rc=$? p
	set +e
	trap - EXIT INT TERM
	for p in "${BG_PIDS[@]}"; do
		alive "$p" && kill -KILL "$p" 2>/dev/null
	done
	if [ -n "${JOB:-}" ]; then
		kill -TERM -- -"$JOB" 2>/dev/null
		for _ in $(seq 50); do alive "$JOB" || break; sleep 0.1; done
		kill -KILL -- -"$JOB" 2>/dev/null
	fi
	if [ -n "${LOCAL_PID:-}" ] && alive "$LOCAL_PID"; then
		kill -TERM "$LOCAL_PID"
		for _ in $(seq 200); do alive "$LOCAL_PID" || break; sleep 0.05; done
		alive "$LOCAL_PID" && kill -KILL "$LOCAL_PID"
		wait "$LOCAL_PID" 2>/dev/null
	fi
	if [ -n "${LMNT:-}" ] && is_mounted "$LMNT"; then
		fusermount3 -u -z "$LMNT" 2>/dev/null || umount -l "$LMNT"
	fi
	[ -n "${CL_NS:-}" ] || [ -z "${PREFIX:-}" ] || CL_NS=$(ns_inodes "$PREFIX")
	[ -n "${PC_NS:-}" ] || [ "${PCMK_UP:-0}" = 0 ] || PC_NS=$(ns_inodes "bp$$")
	if [ "${CLUSTER_UP:-0}" = 1 ]; then
		CL down >/dev/null 2>&1
	fi
	if [ "${PCMK_UP:-0}" = 1 ]; then
		(export PCMK_BASE; bash "$PCMK_BASE/pcmk-down.sh") >/dev/null 2>&1
	fi
	# shellcheck disable=SC2086 # lists of numbers
	sweep ${CL_NS:-} ${PC_NS:-}
	shm_cleanup
	if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
		if grep -q " $TMP/" /proc/self/mounts; then
			echo "bench-cluster: something is still mounted under $TMP; leaving it" >&2
		else
			rm -rf --one-file-system "$TMP"
		fi
	fi
	exit "$rc"
}

# The network namespaces a cluster of this run made (their nsfs inodes).
ns_inodes() {
	local f
	for f in /run/netns/"$1"-*; do
		[ -e "$f" ] && stat -L -c %i "$f"
	done
	return 0
}
# sweep INODE...: SIGKILLs what is still running in these namespaces (all
# ours) after a tear-down: Pacemaker respawns a daemon while the harness
# kills the others, and a process forked meanwhile escapes its list.
sweep() {
	[ $# -gt 0 ] || return 0
	local set=" $* " p ino n
	for _ in 1 2 3 4 5 6; do
		n=0
		for p in /proc/[0-9]*; do
			ino=$(stat -L -c %i "$p/ns/net" 2>/dev/null) || continue
			case $set in *" $ino "*) ;; *) continue ;; esac
			alive "${p#/proc/}" || continue
			kill -KILL "${p#/proc/}" 2>/dev/null && n=$((n + 1))
		done
		[ "$n" = 0 ] && return 0
		sleep 0.3
	done
}

# libqb's shared-memory rings of the processes this run killed (or that
# died with a namespace): /dev/shm/qb-SERVERPID-CLIENTPID-* and
# qb-corosync-PID-blackbox-*, made during this run by a server that is gone.
shm_cleanup() {
	local f s
	[ -n "${TMP:-}" ] && [ -e "$TMP/started" ] || return 0
	for f in /dev/shm/qb-*; do
		[ -e "$f" ] && [ "$f" -nt "$TMP/started" ] || continue
		s=${f#/dev/shm/qb-}
		s=${s#corosync-}
		s=${s%%-*}
		[[ $s =~ ^[0-9]+$ ]] || continue
		alive "$s" || rm -rf "$f"
	done
}

# ---- set-up -------------------------------------------------------------------
bench_t0=$SECONDS
PREFIX="" BG_PIDS=() LOCAL_PID="" CLUSTER_UP=0 PCMK_UP=0 JOB="" CL_NS="" PC_NS=""
TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/bench-cluster.XXXXXX")
touch "$TMP/started"
: >"$TMP/problems"
trap cleanup EXIT
trap 'echo "bench-cluster: interrupted" >&2; exit 130' INT
trap 'echo "bench-cluster: terminated" >&2; exit 143' TERM
exec 3>&1 4>&2
exec > >(tee "$TMP/report") 2>&1
TEE_PID=$!

echo "== clusterfs on 3 nodes against its references ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo))$([ "$SMALL" = 1 ] && echo ', --small')"
echo "   machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine shows in every figure)"
SRC_BIN=$ROOT/build/daemon/clusterfs
if [ ! -x "$SRC_BIN" ] || ! ninja -C build -n 2>/dev/null | grep -q 'no work to do'; then
	echo "-- building (scripts/build.sh)"
	bash scripts/build.sh || { [ -x "$SRC_BIN" ] || exit 1; echo "   WARNING: the build failed; using the binary in build/"; }
fi
BIN=$TMP/clusterfs
cp "$SRC_BIN" "$BIN"
echo "   clusterfs: $("$BIN" -V 2>/dev/null | head -1), git $(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null | cut -c1-70)$(git -C "$ROOT" diff --quiet HEAD -- core fs daemon 2>/dev/null || echo ' + uncommitted changes')"
echo "   corosync $(corosync -v 2>/dev/null | sed -n "s/.*version '\([^']*\)'.*/\1/p" | head -1)$(command -v pacemakerd >/dev/null && echo ", pacemaker $(pacemakerd --version 2>/dev/null | head -1 | awk '{print $2}')")"
BINDIR=$TMP/bin
mkdir -p "$BINDIR"
for p in wflood portwatch killts portlat; do
	cc -O2 -Wall -pthread -o "$BINDIR/$p" "$ROOT/scripts/bench/$p.c" ||
		{ echo "bench-cluster: cannot compile scripts/bench/$p.c" >&2; exit 1; }
done
cc -O2 -Wall -pthread -o "$BINDIR/cpgtool" "$ROOT/scripts/bench/cpgtool.c" -lcpg ||
	{ echo "bench-cluster: cannot compile scripts/bench/cpgtool.c (libcpg-dev?)" >&2; exit 1; }
echo "   temp: $TMP (state directories on $(df --output=fstype "$TMP" | tail -1))"

# ---- 0. one node ----------------------------------------------------------------
echo
echo "-- 0. one node (--backend=local), the reference for 5 (and for 1's writers)"
LMNT=$TMP/local/mnt
mkdir -p "$TMP/local/state" "$LMNT"
"$BIN" -f --backend=local --state-dir="$TMP/local/state" "$LMNT" 2>"$TMP/local/log" &
LOCAL_PID=$!
waitfor 30 cat "$LMNT/name" >/dev/null || { echo "bench-cluster: the local daemon did not start" >&2; cat "$TMP/local/log" >&2; exit 1; }
printf '%s\n' 'reg-create-key Lat' 'reg-create-key Tput' >"$LMNT/control"
R_LOCAL_LAT=$("$BINDIR/wflood" "$LMNT/ports/clone" Lat 1 "$LAT_N" 1 1000 "$LMNT/control" | grep '^RESULT' || true)
echo "   write latency, 1 writer, 1 change per write, 1 ms apart: p50 $(f0 "$(getv "$R_LOCAL_LAT" write_p50)") us, p99 $(f0 "$(getv "$R_LOCAL_LAT" write_p99)") us, max $(f0 "$(getv "$R_LOCAL_LAT" write_max)") us ($(getv "$R_LOCAL_LAT" changes) writes, errors $(getv "$R_LOCAL_LAT" errors))"
LRP=$(children "$LOCAL_PID" | head -1)
sched_snap "$LOCAL_PID" "$LRP" >"$TMP/s.local.a"
tl=$("$BINDIR/killts")
R_LOCAL_TPUT=$("$BINDIR/wflood" "$LMNT/ports/clone" Tput $((3 * WRITERS)) "$WRITES" 1 0 "$LMNT/control" | grep '^RESULT' || true)
tl=$(calc "($("$BINDIR/killts") - $tl) / 1e9")
sched_snap "$LOCAL_PID" "$LRP" >"$TMP/s.local.b"
echo "   $((3 * WRITERS)) writers x $WRITES writes, 1 change each: $(f0 "$(getv "$R_LOCAL_TPUT" rps)") changes/s (write p50 $(f0 "$(getv "$R_LOCAL_TPUT" write_p50)") us, p99 $(f0 "$(getv "$R_LOCAL_TPUT" write_p99)") us)"
sched_diff "$TMP/s.local.a" "$TMP/s.local.b" "$tl" "$(getv "$R_LOCAL_TPUT" seen)" change "clusterfs:$LOCAL_PID" "its replayer:$LRP"
fusermount3 -u "$LMNT" 2>/dev/null || fusermount3 -u -z "$LMNT"
for _ in $(seq 200); do alive "$LOCAL_PID" || break; sleep 0.05; done
alive "$LOCAL_PID" && kill -TERM "$LOCAL_PID"
wait "$LOCAL_PID" 2>/dev/null || true
LOCAL_PID=""

# ---- the cluster ------------------------------------------------------------------
echo
PREFIX=bc$$
CLB=$TMP/cl
export CLUSTERFS=$BIN
CLUSTER_UP=1
t=$SECONDS
CL up >"$TMP/up.log" 2>&1 || { CL_NS=$(ns_inodes "$PREFIX"); cat "$TMP/up.log"; echo "bench-cluster: the cluster did not come up" >&2; exit 1; }
CL_NS=$(ns_inodes "$PREFIX")
echo "-- the cluster: 3 nodes up in $((SECONDS - t)) s (network namespaces $PREFIX-n1..3, udpu, token 300 ms, state under $CLB)"
cpids() { local i; for i in 1 2 3; do CL corosync pid "$i"; done; }
dpids() { local i; for i in 1 2 3; do CL daemon pid "$i"; done; }
waitfor 30 test "$(cat "$(mnt 3)/quorum")" = quorate || { problem "no quorum on node 3"; exit 1; }
ctl 1 'reg-create-key Tput' 'reg-create-key Lat' 'reg-create-key Lat2'
waitfor 10 test -d "$(mnt 3)/registry/Lat2"

# ---- 1. throughput ------------------------------------------------------------------
echo
echo "-- 1. replicated changes/s against raw CPG agreed order, the same Corosyncs (clusterfs daemons up and idle during the CPG runs)"
echo "   CPG: cpgtool flood, 1 sender per node x $CPG_MSGS messages of $CPG_SIZE bytes, every node receives; msgs/s delivered on node 2"
echo "   clusterfs: $WRITERS writer threads per node x $WRITES writes, each write() one reg-set (one batch, one CPG message); committed changes/s read on node 2"
CPG_RPS=() CFS_RPS=() LAST_CPG="" LAST_CFS=""
# cpg_run K [MSGS WINDOW]: one raw CPG run (WINDOW > 0: a closed loop).
cpg_run() {
	local k=$1 msgs=${2:-$CPG_MSGS} window=${3:-0} i pids=() r label
	for i in 1 2 3; do
		bg_start "cpg.$k.$i" ip netns exec "$PREFIX-n$i" "$BINDIR/cpgtool" flood "${PREFIX}flood$k" 3 "$msgs" "$CPG_SIZE" send "$window"
		pids+=("$LAST_BG")
	done
	for i in "${pids[@]}"; do wait "$i" 2>/dev/null || true; done
	r=$(grep '^RESULT' "$TMP/cpg.$k.2" || true)
	local h1 h2 h3
	h1=$(getv "$(grep '^RESULT' "$TMP/cpg.$k.1" || true)" order_hash)
	h2=$(getv "$r" order_hash)
	h3=$(getv "$(grep '^RESULT' "$TMP/cpg.$k.3" || true)" order_hash)
	[ -n "$r" ] || { problem "cpgtool flood run $k gave no result: $(head -c 300 "$TMP/cpg.$k.2")"; return; }
	if [ "$window" = 0 ]; then
		CPG_RPS+=("$(getv "$r" rps)")
		label="CPG run $k:"
	else
		label="$window in flight:"
	fi
	LAST_CPG=$r
	echo "   $(printf '%-17s' "$label") $(getv "$r" msgs) msgs in $(f2 "$(getv "$r" secs)") s = $(f0 "$(getv "$r" rps)") msgs/s (one-way latency p50 $(getv "$r" lat_p50) ms, p99 $(getv "$r" lat_p99) ms; TRY_AGAIN $(getv "$r" try_again); same order on the 3 nodes: $([ "$h1" = "$h2" ] && [ "$h2" = "$h3" ] && echo yes || echo NO))"
}
cfs_run() {
	local k=$1 lines=${2:-1} writes=${3:-$WRITES} r label
	r=$("$BINDIR/wflood" "$(mnt 2)/ports/clone" Tput "$WRITERS" "$writes" "$lines" 0 "$(mnt 1)/control" "$(mnt 2)/control" "$(mnt 3)/control" | grep '^RESULT' || true)
	[ -n "$r" ] || { problem "wflood run $k gave no result"; return; }
	label="clusterfs run $k:"
	[ "$lines" = 1 ] && CFS_RPS+=("$(getv "$r" rps)") || label="$lines per write:"
	echo "   $(printf '%-17s' "$label") $(getv "$r" seen) changes in $(f2 "$(getv "$r" secs)") s = $(f0 "$(getv "$r" rps)") changes/s (write() p50 $(f0 "$(getv "$r" write_p50)") us, p99 $(f0 "$(getv "$r" write_p99)") us; errors $(getv "$r" errors)$([ "$(getv "$r" overflow_lost)" != 0 ] && echo ", $(getv "$r" overflow_lost) lost to overflow"))"
	LAST_CFS=$r
}
mapfile -t CPIDS < <(cpids)
mapfile -t DPIDS < <(dpids)
RPIDS=()
for p in "${DPIDS[@]}"; do RPIDS+=("$(children "$p" | head -1)"); done
for k in $(seq 1 "$RUNS"); do
	if [ "$k" = 1 ]; then
		sched_snap "${CPIDS[@]}" >"$TMP/s.cpg.a"
		tc=$("$BINDIR/killts")
	fi
	cpg_run "$k"
	if [ "$k" = 1 ]; then
		tc=$(calc "($("$BINDIR/killts") - $tc) / 1e9")
		nc=$(getv "$(grep '^RESULT' "$TMP/cpg.1.2" || true)" msgs)
		sched_snap "${CPIDS[@]}" >"$TMP/s.cpg.b"
		sched_snap "${CPIDS[@]}" "${DPIDS[@]}" "${RPIDS[@]}" >"$TMP/s.cfs.a"
		tf=$("$BINDIR/killts")
	fi
	cfs_run "$k"
	if [ "$k" = 1 ]; then
		tf=$(calc "($("$BINDIR/killts") - $tf) / 1e9")
		sched_snap "${CPIDS[@]}" "${DPIDS[@]}" "${RPIDS[@]}" >"$TMP/s.cfs.b"
		nf=$(getv "$LAST_CFS" seen)
	fi
done
cpg_run $((RUNS + 1))
S_CPG=$(stats "${CPG_RPS[@]}")
S_CFS=$(stats "${CFS_RPS[@]}")
echo "   median: CPG $(f0 "$(nth 1 "$S_CPG")") msgs/s, clusterfs $(f0 "$(nth 1 "$S_CFS")") changes/s = $(ratio "$(nth 1 "$S_CFS")" "$(nth 1 "$S_CPG")") of CPG"
echo "   where the time goes (schedstat of the first runs; 100% = one CPU; this machine has $(nproc)):"
echo "    during CPG run 1 ($(f1 "$tc") s):"
sched_diff "$TMP/s.cpg.a" "$TMP/s.cpg.b" "$tc" "$nc" msg "corosync n1:${CPIDS[0]}" "corosync n2:${CPIDS[1]}" "corosync n3:${CPIDS[2]}"
echo "    during clusterfs run 1 ($(f1 "$tf") s):"
sched_diff "$TMP/s.cfs.a" "$TMP/s.cfs.b" "$tf" "$nf" change "corosync n1:${CPIDS[0]}" "corosync n2:${CPIDS[1]}" "corosync n3:${CPIDS[2]}" \
	"clusterfs n1:${DPIDS[0]}" "clusterfs n2:${DPIDS[1]}" "clusterfs n3:${DPIDS[2]}" \
	"its replayer n1:${RPIDS[0]}" "its replayer n2:${RPIDS[1]}" "its replayer n3:${RPIDS[2]}"
echo "   diagnosis: raw CPG as a closed loop like the writers ($WRITERS messages in flight per node), and clusterfs with 20 changes per write():"
cpg_run w $((WRITERS * WRITES)) "$WRITERS"
R_CPGW=$LAST_CPG
cfs_run x 20 $(((WRITES + 9) / 10))
R_CFS20=$LAST_CFS

# ---- 4. change -> another node -------------------------------------------------------
echo
echo "-- 4. a change on node 1 -> its record read on node 3: $LAT_N reg-set through node 1's control, 1 ms apart; port reader on node 3 blocked in read()"
R_REMOTE=$("$BINDIR/portlat" read "$(mnt 3)/ports/clone" "$(mnt 1)/control" "$LAT_N" 1000 kind=registry Lat p | grep '^RESULT' || true)
echo "   from before write(): p50 $(f0 "$(getv "$R_REMOTE" before_p50)") us, p99 $(f0 "$(getv "$R_REMOTE" before_p99)") us, max $(f0 "$(getv "$R_REMOTE" before_max)") us; lost $(getv "$R_REMOTE" lost), errors $(getv "$R_REMOTE" errors)"
echo "   from write() returned on node 1: p50 $(f0 "$(getv "$R_REMOTE" after_p50)") us, p99 $(f0 "$(getv "$R_REMOTE" after_p99)") us (negative: node 3 had it first)"

# ---- 5. write latency -----------------------------------------------------------------
echo
echo "-- 5. durable write() latency on the 3-node cluster: 1 writer on node 1, $LAT_N reg-set, 1 ms apart"
R_CL_LAT=$("$BINDIR/wflood" "$(mnt 3)/ports/clone" Lat2 1 "$LAT_N" 1 1000 "$(mnt 1)/control" | grep '^RESULT' || true)
echo "   p50 $(f0 "$(getv "$R_CL_LAT" write_p50)") us, p99 $(f0 "$(getv "$R_CL_LAT" write_p99)") us, max $(f0 "$(getv "$R_CL_LAT" write_max)") us (one node: p50 $(f0 "$(getv "$R_LOCAL_LAT" write_p50)") us, p99 $(f0 "$(getv "$R_LOCAL_LAT" write_p99)") us)"

# ---- 2 + 3. node crashes ---------------------------------------------------------------
echo
echo "-- 2+3. $KILLS node crashes: kill -9 of a node's Corosync and daemon; times in ms after the kill, on the two survivors"
ctl 1 'group-create web' 'resource-create ip "IP Address" web' 'group-online web'
# node_ok I: every mount shows node I up, quorum, and the group online on
# the same owner.
group_is() { # OWNER: every node sees the group online on OWNER
	local i
	for i in 1 2 3; do
		[ "$(cat "$(mnt "$i")/groups/web/owner" 2>/dev/null)" = "$1" ] || return 1
		[ "$(cat "$(mnt "$i")/groups/web/state" 2>/dev/null)" = online ] || return 1
	done
}
all_up() {
	local i j
	for i in 1 2 3; do
		[ "$(cat "$(mnt "$i")/quorum" 2>/dev/null)" = quorate ] || return 1
		for j in 1 2 3; do
			[ "$(cat "$(mnt "$i")/nodes/n$j/state" 2>/dev/null)" = up ] || return 1
		done
	done
}
# first_ms FILE T0 AWK-CONDITION: ms from T0 to the first line matching.
first_ms() {
	awk -v t0="$2" "\$1 ~ /^[0-9]+\$/ && ($3) { printf \"%.1f\\n\", (\$1 - t0) / 1e6; f = 1; exit } END { if (!f) print \"n/a\" }" "$1"
}
DET=() DOWN=() ONL=() TOT=() DDOWN=() DONL=() LATE_DOWN=0 LATE_ONL=0 NK=0
printf '   %-4s %-6s %-21s %-21s %-21s %-8s %-8s %s\n' "kill" victim "Corosync confchg" "clusterfs down rec." "group online rec." "down-cc" "onl-cc" "new owner"
for k in $(seq 1 "$KILLS"); do
	v=$(( (k + 1) % 3 + 1 ))
	mapfile -t surv < <(for i in 1 2 3; do [ "$i" = "$v" ] || echo "$i"; done)
	if ! waitfor 30 all_up; then problem "kill $k: the cluster is not all up before it"; break; fi
	ctl "${surv[0]}" "group-move web n$v"
	if ! waitfor 10 group_is "n$v"; then problem "kill $k: the group did not move to n$v"; break; fi
	wpids=()
	for i in 1 2 3; do
		bg_start "watch.$k.$i" ip netns exec "$PREFIX-n$i" "$BINDIR/cpgtool" watch "${PREFIX}watch"
		wpids+=("$LAST_BG")
	done
	for i in "${surv[@]}"; do
		bg_start "port.$k.$i" "$BINDIR/portwatch" "$(mnt "$i")/ports/clone" 'kind=node change=state' 'kind=group change=state,owner'
		wpids+=("$LAST_BG")
	done
	# Every watcher sees the 3 members; the port readers are blocked.
	ready() {
		local i
		for i in 1 2 3; do
			awk '$2 == "confchg" { m = $3 } END { exit m != "members=3" }' "$TMP/watch.$k.$i" || return 1
		done
		for i in "${surv[@]}"; do grep -q '^READY' "$TMP/port.$k.$i" || return 1; done
	}
	if ! waitfor 15 ready; then
		problem "kill $k: the watchers did not start; their last lines:"
		for i in 1 2 3; do echo "     cpgtool watch on n$i: $(tail -n 2 "$TMP/watch.$k.$i" | tr '\n' '|')"; done | tee -a "$TMP/problems"
		for i in "${surv[@]}"; do echo "     portwatch on n$i: $(tail -n 2 "$TMP/port.$k.$i" | cut -c1-200 | tr '\n' '|')"; done | tee -a "$TMP/problems"
		bg_stop "${wpids[@]}"
		break
	fi
	sleep 0.3
	cp=$(CL corosync pid "$v") dp=$(CL daemon pid "$v")
	T0=$("$BINDIR/killts" "$cp" "$dp")
	done_on() { grep -q '"kind":"group","change":"state".*"name":"web".*"new":"online"' "$TMP/port.$k.$1"; }
	waitfor 15 done_on "${surv[0]}" || true
	waitfor 5 done_on "${surv[1]}" || true
	sleep 0.1
	bg_stop "${wpids[@]}"
	det=() down=() onl=() tot=() own=""
	for i in "${surv[@]}"; do
		det+=("$(first_ms "$TMP/watch.$k.$i" "$T0" "\$2 == \"confchg\" && \$4 ~ /[=,]$v:/")")
		tot+=("$(first_ms "$TMP/watch.$k.$i" "$T0" "\$2 == \"totem\" && \$4 == \"members=2\"")")
		down+=("$(first_ms "$TMP/port.$k.$i" "$T0" "/\"kind\":\"node\",\"change\":\"state\"/ && /\"name\":\"n$v\"/ && /\"new\":\"down\"/")")
		onl+=("$(first_ms "$TMP/port.$k.$i" "$T0" "/\"kind\":\"group\",\"change\":\"state\"/ && /\"name\":\"web\"/ && /\"new\":\"online\"/")")
	done
	own=$(grep -h '"change":"owner".*"name":"web"' "$TMP/port.$k.${surv[0]}" | tail -1 | sed -n 's/.*"new":"\([^"]*\)".*/\1/p')
	# The later survivor counts ("on the survivors").
	mx() { if isnum "$1" && isnum "$2"; then calc "($1 > $2) ? $1 : $2"; else echo n/a; fi; }
	d=$(mx "${det[0]}" "${det[1]}") dn=$(mx "${down[0]}" "${down[1]}") on=$(mx "${onl[0]}" "${onl[1]}")
	DET+=("$d") DOWN+=("$dn") ONL+=("$on") TOT+=("$(mx "${tot[0]}" "${tot[1]}")")
	dd=n/a dn_on=n/a
	if isnum "$d" && isnum "$dn"; then
		dd=$(calc "$dn - $d")
		DDOWN+=("$dd")
		if [ "$(calc "$dd > 50")" = 1 ]; then LATE_DOWN=$((LATE_DOWN + 1)); fi
	fi
	if isnum "$d" && isnum "$on"; then
		dn_on=$(calc "$on - $d")
		DONL+=("$dn_on")
		if [ "$(calc "$dn_on > 100")" = 1 ]; then LATE_ONL=$((LATE_ONL + 1)); fi
	fi
	NK=$((NK + 1))
	printf '   %-4s %-6s %-21s %-21s %-21s %-8s %-8s %s\n' "$k" "n$v" "${det[0]} / ${det[1]}" "${down[0]} / ${down[1]}" "${onl[0]} / ${onl[1]}" "$(f1 "$dd")" "$(f1 "$dn_on")" "${own:-?}"
	# Restart the victim: its mount is detached, its shm rings removed,
	# then Corosync and the daemon start again (the daemon syncs first).
	CL daemon kill "$v" >/dev/null 2>&1 || true
	gone() { ! alive "$cp" && ! alive "$dp"; }
	waitfor 5 gone || true
	rm -rf /dev/shm/qb-"$cp"-* /dev/shm/qb-*-"$cp"-* /dev/shm/qb-corosync-"$cp"-* /dev/shm/qb-*-"$dp"-* 2>/dev/null
	CL corosync start "$v" >/dev/null 2>>"$TMP/restart.log" || { problem "kill $k: corosync of n$v did not start again"; break; }
	CL daemon start "$v" >/dev/null 2>>"$TMP/restart.log" || { problem "kill $k: clusterfs of n$v did not start again"; break; }
done
echo "   (ms after the kill on the later of the two survivors; shown as survivor A / survivor B; down-cc and onl-cc: the record's time minus Corosync's confchg)"
S_DET=$(stats "${DET[@]}") S_TOT=$(stats "${TOT[@]}") S_DOWN=$(stats "${DOWN[@]}") S_ONL=$(stats "${ONL[@]}")
S_DDOWN=$(stats "${DDOWN[@]}") S_DONL=$(stats "${DONL[@]}")
row3() { echo "   $(printf '%-44s' "$1") median $(f1 "$(nth 1 "$2")"), min $(f1 "$(nth 2 "$2")"), max $(f1 "$(nth 3 "$2")") ms (n=$(nth 4 "$2"))"; }
row3 "Corosync: CPG confchg (node left)" "$S_DET"
row3 "Corosync: totem ring of 2" "$S_TOT"
row3 "clusterfs: node down record" "$S_DOWN"
row3 "clusterfs: group online on the new owner" "$S_ONL"
row3 "down record - confchg" "$S_DDOWN"
row3 "group online - confchg" "$S_DONL"
echo "   kills with the down record more than 50 ms after the confchg: $LATE_DOWN of $NK; group online more than 100 ms after: $LATE_ONL of $NK"

# ---- the cluster goes, Pacemaker comes ---------------------------------------------------------
echo
t=$SECONDS
CL down >/dev/null 2>&1
# shellcheck disable=SC2086 # a list of numbers
sweep $CL_NS
CLUSTER_UP=0
echo "-- the clusterfs cluster is down ($((SECONDS - t)) s)"

PC_CRASH="" PC_MEMB="" PC_CIB="" PC_NOTE=""
# bench.py crash's JSON rows, one line each.
PCMK_ROWS='
import json, sys
for k, line in enumerate(sys.stdin, 1):
    r = json.loads(line)
    dc = " (DC)" if r.get("victim_was_dc") else ""
    print("     %3d victim n%s%-5s Corosync membership %s, group started on n%s %s"
          % (k, r["victim"], dc, r.get("corosync_membership_formed"), r.get("target"),
             r.get("d2_started")))
'
find_pcmk() {
	local d
	for d in "${PCMK_NETNS:-}" "$ROOT/../shared/scripts/pacemaker-netns" "$ROOT/../../shared/scripts/pacemaker-netns" /work/shared/scripts/pacemaker-netns; do
		[ -n "$d" ] && [ -x "$d/pcmk-up.sh" ] && [ -d "$d/../corosync-netns" ] && { echo "$d"; return; }
	done
	return 1
}
if [ "$PCMK" = 0 ]; then
	PC_NOTE="skipped (--no-pacemaker)"
elif ! command -v pacemakerd >/dev/null; then
	PC_NOTE="skipped: Pacemaker is not installed (apt-get install -y pacemaker resource-agents)"
elif ! PCMK_SRC=$(find_pcmk); then
	PC_NOTE="skipped: no shared/scripts/pacemaker-netns (set PCMK_NETNS)"
fi
echo
if [ -n "$PC_NOTE" ]; then
	echo "-- Pacemaker: $PC_NOTE; the summary shows the README's reference figures"
else
	echo "-- Pacemaker 2.1 on a new 3-node namespace cluster, same Corosync settings (udpu, token 300 ms), $PCMK_SRC"
	PCMK_BASE=$TMP/pcmk
	mkdir -p "$PCMK_BASE"
	cp "$PCMK_SRC"/* "$PCMK_BASE"/
	cp -r "$PCMK_SRC/../corosync-netns" "$PCMK_BASE/harness"
	# Our own namespace names (bench.py and env.sh say "pc").
	sed -i "s/^export PREFIX=pc\$/export PREFIX=bp$$/" "$PCMK_BASE/env.sh"
	sed -i "s/^PREFIX = \"pc\"\$/PREFIX = \"bp$$\"/" "$PCMK_BASE/bench.py"
	export PCMK_BASE
	PCMK_UP=1
	t=$SECONDS
	pc_rc=0
	run_job "$TMP/pcmk-up.log" bash -c 'cd "$PCMK_BASE" && ./pcmk-up.sh && ./configure.sh' || pc_rc=$?
	PC_NS=$(ns_inodes "bp$$")
	if [ "$pc_rc" = 0 ]; then
		echo "   up and configured in $((SECONDS - t)) s ($(grep -h '^pacemaker:' "$TMP/pcmk-up.log"))"
		run_job "$TMP/pcmk-crash.log" bash -c 'cd "$PCMK_BASE" && exec timeout 900 ./bench.py crash "$1" any' - "$PCRASH" ||
			problem "bench.py crash failed: $(tail -3 "$TMP/pcmk-crash.log" | tr '\n' ' ')"
		run_job "$TMP/pcmk-cib.log" bash -c 'cd "$PCMK_BASE" && exec timeout 300 ./bench.py cib "$1"' - "$PCIB" ||
			problem "bench.py cib failed: $(tail -3 "$TMP/pcmk-cib.log" | tr '\n' ' ')"
		pline() { grep -h "^$1: " "$2" | tail -1; }
		pget() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
		echo "   crash (bench.py crash $PCRASH any), ms after the kill:"
		grep -h '^{' "$TMP/pcmk-crash.log" | python3 -c "$PCMK_ROWS" || true
		PL_CRASH=$(pline d2_started "$TMP/pcmk-crash.log")
		PL_MEMB=$(pline corosync_membership_formed "$TMP/pcmk-crash.log")
		PL_CIB=$(pline visible_on_n3 "$TMP/pcmk-cib.log")
		echo "     $PL_CRASH   (whole group running on a survivor)"
		echo "     $PL_MEMB"
		echo "   CIB change on node 1 -> visible on node 3 (bench.py cib $PCIB): $PL_CIB"
		PC_CRASH="$(pget median "$PL_CRASH") $(pget min "$PL_CRASH") $(pget max "$PL_CRASH") $(pget n "$PL_CRASH")"
		PC_MEMB="$(pget median "$PL_MEMB") $(pget min "$PL_MEMB") $(pget max "$PL_MEMB")"
		PC_CIB="$(pget median "$PL_CIB") $(pget min "$PL_CIB") $(pget max "$PL_CIB")"
	else
		problem "Pacemaker did not come up: $(tail -3 "$TMP/pcmk-up.log" | tr '\n' ' ')"
	fi
	t=$SECONDS
	run_job /dev/null bash -c 'cd "$PCMK_BASE" && exec ./pcmk-down.sh' || true
	# shellcheck disable=SC2086 # a list of numbers
	sweep $PC_NS
	PCMK_UP=0
	echo "   Pacemaker is down ($((SECONDS - t)) s)"
fi
PC_SRC="this run"
if [ -z "$PC_CRASH" ] || ! isnum "$(nth 1 "$PC_CRASH")"; then
	PC_CRASH="1314 1072 2351 20" PC_MEMB="639 618 691" PC_CIB="95 72 143" PC_SRC="README of pacemaker-netns"
fi

# ---- summary --------------------------------------------------------------------------
echo
echo "================ summary (load average now $(cut -d' ' -f1-3 /proc/loadavg)) ================"
row() { printf '  %-50s %-26s %-34s %-8s %s\n' "$1" "$2" "$3" "$4" "$5"; }
row "measure" "clusterfs" "reference" "ratio" "target"
c=$(nth 1 "$S_CFS") r=$(nth 1 "$S_CPG") rt=$(ratio "$(nth 1 "$S_CFS")" "$(nth 1 "$S_CPG")")
row "1. changes/s, 3 nodes x $WRITERS writers, 1 per write" "$(f0 "$c")" "raw CPG $(f0 "$r") msgs/s" "$rt" ">= 0.5 of CPG: $(met "$rt" ">=" 0.5)"
row "   raw CPG, $WRITERS msgs in flight per node (diagnosis)" "" "$(f0 "$(getv "$R_CPGW" rps)") msgs/s" "$(ratio "$c" "$(getv "$R_CPGW" rps)")" ""
row "   same, 20 changes per write (diagnosis)" "$(f0 "$(getv "$R_CFS20" rps)")" "raw CPG $(f0 "$r") msgs/s" "$(ratio "$(getv "$R_CFS20" rps)" "$r")" ""
row "   one node, the same $((3 * WRITERS)) writers (diagnosis)" "$(f0 "$(getv "$R_LOCAL_TPUT" rps)")" "" "" ""
d=$(nth 1 "$S_DET") dn=$(nth 1 "$S_DOWN") dd=$(nth 1 "$S_DDOWN")
row "2. kill -> node down record, median (ms)" "$(f1 "$dn") (max $(f1 "$(nth 3 "$S_DOWN")"))" "Corosync confchg $(f1 "$d")" "$(ratio "$dn" "$d")" "confchg + 50: $(met "$dd" "<=" 50) (median +$(f1 "$dd"), max +$(f1 "$(nth 3 "$S_DDOWN")"); $LATE_DOWN/$NK late)"
on=$(nth 1 "$S_ONL") don=$(nth 1 "$S_DONL")
row "3. kill -> group online elsewhere, median (ms)" "$(f1 "$on") ($(f1 "$(nth 2 "$S_ONL")")-$(f1 "$(nth 3 "$S_ONL")"))" "Pacemaker $(f0 "$(nth 1 "$PC_CRASH")") ($(f0 "$(nth 2 "$PC_CRASH")")-$(f0 "$(nth 3 "$PC_CRASH")"))" "$(ratio "$on" "$(nth 1 "$PC_CRASH")")" "confchg + 100: $(met "$don" "<=" 100) (median +$(f1 "$don"), max +$(f1 "$(nth 3 "$S_DONL")"); $LATE_ONL/$NK late)"
row "   Corosync's membership, same runs (ms)" "$(f1 "$d")" "Pacemaker's $(f0 "$(nth 1 "$PC_MEMB")")" "" "(reference: $PC_SRC)"
rp50=$(calc "$(getv "$R_REMOTE" before_p50) / 1000") rp99=$(calc "$(getv "$R_REMOTE" before_p99) / 1000")
row "4. change on n1 -> read on n3, p50 / p99 (ms)" "$(f2 "$rp50") / $(f2 "$rp99")" "Pacemaker CIB $(f0 "$(nth 1 "$PC_CIB")") (p50)" "$(ratio "$rp50" "$(nth 1 "$PC_CIB")")" "< 5 ms: $(met "$rp50" "<" 5) (p99: $(met "$rp99" "<" 5))"
cp50=$(getv "$R_CL_LAT" write_p50) lp50=$(getv "$R_LOCAL_LAT" write_p50)
row "5. durable write(), p50 / p99 (us)" "$(f0 "$cp50") / $(f0 "$(getv "$R_CL_LAT" write_p99)")" "one node $(f0 "$lp50") / $(f0 "$(getv "$R_LOCAL_LAT" write_p99)")" "$(ratio "$cp50" "$lp50")" "(no target)"
row "whole benchmark" "$((SECONDS - bench_t0)) s" "" "" ""
if [ -s "$TMP/problems" ]; then
	echo "  problems:"
	sed 's/^ *//; s/^/    /' "$TMP/problems"
	RC=1
else
	echo "  problems: none"
	RC=0
fi

exec 1>&3 2>&4
wait "$TEE_PID" 2>/dev/null || true
if [ "$OUT" != - ]; then
	cp "$TMP/report" "$OUT"
	echo "(written to ${OUT#"$ROOT"/})"
fi
exit "$RC"
