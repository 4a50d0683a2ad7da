#!/usr/bin/env bash
# Benchmark (not a test): a resource's process is killed -> the resource is
# online again (detection + restart), against the monitor interval.
#
#   scripts/bench-agents.sh
#
# It runs the daemon built in build/ on a fresh state directory and mount
# point under a mktemp -d, with an OCF root that links Debian's
# resource-agents' ocf:heartbeat:anything. For each case, BENCH_N times:
# t0 just before `kill -9` of the resource's process, t1 when the resource
# is online again with a new process (the state file read every 5 ms).
#   Dummy/I      ocf:heartbeat:Dummy, monitor_interval I, "killed" by
#                removing its state file (its monitor checks nothing else):
#                found by its monitor, then stop and start (Pacemaker's
#                recovery); expected about I/2 + a monitor, a stop, a start
#   anything/I   ocf:heartbeat:anything running `sleep`, killed: the same,
#                plus how long the killed process stays a zombie (anything's
#                monitor is `kill -0`, which a zombie passes): an orphan is
#                reaped by PID 1, which on some machines takes a while;
#                anything's start also runs `su -`
#   app          Generic Application running `sleep`: its exit is seen at
#                once (a pidfd), whatever the interval
# Kills are spread over the interval (a random pause before each), so the
# detection time is uniform in [0, I]. The restart threshold is set high
# enough for every kill. The report is printed and written to
# docs/bench-agents.txt (BENCH_OUT).
#
# Knobs (environment):
#   BENCH_N=20               kills per case
#   BENCH_INTERVALS="500ms 1s 2s"
#   BENCH_TMP=DIR            where mktemp -d makes its directory
#   BENCH_OUT=FILE           report file ("-": none)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${BENCH_N:-20}
INTERVALS=${BENCH_INTERVALS:-"500ms 1s 2s"}
OUT=${BENCH_OUT:-$ROOT/docs/bench-agents.txt}
BIN=$ROOT/build/daemon/clusterfs
AGENT=/usr/lib/ocf/resource.d/heartbeat/anything
[ -x "$BIN" ] || { echo "build first: ninja -C build" >&2; exit 1; }
[ -x "$AGENT" ] || { echo "resource-agents is not installed (scripts/deps.sh)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (the daemon's mount and agents)" >&2; exit 1; }

TMP=$(mktemp -d "${BENCH_TMP:-/tmp}/cfs-bench-agents.XXXXXX")
MNT=$TMP/mnt
mkdir -p "$MNT" "$TMP/ocf/resource.d/heartbeat"
ln -s /usr/lib/ocf/lib "$TMP/ocf/lib"
ln -s "$AGENT" "$TMP/ocf/resource.d/heartbeat/anything"
ln -s "$(dirname "$AGENT")/Dummy" "$TMP/ocf/resource.d/heartbeat/Dummy"
DPID=""
cleanup() {
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	grep -qs " $MNT " /proc/mounts && { fusermount3 -u -z "$MNT" || umount -l "$MNT" || true; }
	rm -rf "$TMP"
}
trap cleanup EXIT

"$BIN" -f --state-dir "$TMP/state" --ocf-root="$TMP/ocf" "$MNT" 2>"$TMP/daemon.log" &
DPID=$!
for _ in $(seq 1 500); do [ -r "$MNT/name" ] && break; sleep 0.02; done
for _ in $(seq 1 500); do [ -d "$MNT/resourcetypes/ocf:heartbeat:anything" ] && [ -d "$MNT/resourcetypes/ocf:heartbeat:Dummy" ] && break; sleep 0.02; done
cd "$MNT"

now_ns() { date +%s%N; }
st() { cat "resources/$1/state"; }
# What identifies a resource's running instance, and how it is killed:
# anything and app, their process; Dummy, its state file (removing it is
# its death: its monitor looks for nothing else).
dummy_state() { echo "/run/resource-agents/Dummy-$(cat resources/$1/id).state"; }
pid_dummy() { stat -c '%i %z' "$(dummy_state "$1")" 2>/dev/null || echo 0; }
kill_dummy() { rm -f "$(dummy_state "$1")"; }
kill_pid() { kill -9 "$2"; }
pid_any() { cat "/var/run/anything_$(cat resources/$1/id).pid" 2>/dev/null || echo 0; }
pid_app() { { read -r p _ < "$TMP/state/agents/$(cat resources/$1/id).pid" && echo "$p"; } 2>/dev/null || echo 0; }

# measure RES PIDFN KILLFN INTERVAL_MS NAME: N kills; one line (ms):
# detection (kill -> the resource leaves online) and the whole (kill ->
# online again with a new process).
measure() {
	local r=$1 pidfn=$2 killfn=$3 iv=$4 det=() all=() i p q t0 td t1
	for i in $(seq 1 "$N"); do
		for _ in $(seq 1 1000); do [ "$(st "$r")" = online ] && [ "$($pidfn "$r")" != 0 ] && break; sleep 0.005; done
		# A pause uniform in [0, interval): the kill lands anywhere in it.
		sleep "$(awk -v s="$RANDOM" -v iv="$iv" 'BEGIN { srand(s); printf "%.3f", rand() * iv / 1000 }')"
		p=$($pidfn "$r")
		t0=$(now_ns)
		$killfn "$r" "$p"
		td=""
		for _ in $(seq 1 4000); do
			if [ -z "$td" ] && [ "$(st "$r")" != online ]; then td=$(now_ns); fi
			# (A restart faster than this loop is never seen leave online.)
			q=$($pidfn "$r")
			if [ "$q" != "$p" ] && [ "$q" != 0 ] && [ "$(st "$r")" = online ]; then break; fi
			sleep 0.005
		done
		t1=$(now_ns)
		det+=("$(( (${td:-$t1} - t0) / 1000 ))")
		all+=("$(( (t1 - t0) / 1000 ))")
	done
	stats() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 / 1000; s += $1 / 1000 }
		END { printf "%6.0f %6.0f %6.0f %6.0f", a[int((NR + 1) / 2)], s / NR, a[int(NR * 0.9 + 0.5)], a[NR] }'; }
	printf '%-16s %8s   %s   %s\n' "$5" "$iv" "$(stats "${det[@]}")" "$(stats "${all[@]}")"
}

ms_of() { awk -v t="$1" 'BEGIN { if (t ~ /ms$/) print t + 0; else if (t ~ /s$/) print t * 1000; else print t }'; }

printf '%s\n' 'group-create bench' \
	'resource-create dummy ocf:heartbeat:Dummy bench' 'resource-policy dummy restart_threshold 1000000' \
	'resource-create any ocf:heartbeat:anything bench' 'resource-param any binfile /bin/sleep' \
	'resource-param any cmdline_options 3600' 'resource-policy any restart_threshold 1000000' \
	'resource-create app "Generic Application" bench' 'resource-param app CommandLine "sleep 3601"' \
	'resource-policy app restart_threshold 1000000' 'group-online bench' > control

{
	echo "bench-agents: process killed -> resource online again (ms), $N kills per case"
	echo "machine: $(nproc) cores, $(uname -r); $(date -u +%Y-%m-%d)"
	printf '%-16s %8s   %-27s   %s\n' "" "" "detection (ms)" "online again (ms)"
	printf '%-16s %8s   %6s %6s %6s %6s   %6s %6s %6s %6s\n' case interval p50 mean p90 max p50 mean p90 max
	for iv in $INTERVALS; do
		echo "$iv" > resources/dummy/monitor_interval
		measure dummy pid_dummy kill_dummy "$(ms_of "$iv")" "Dummy"
	done
	for iv in $INTERVALS; do
		echo "$iv" > resources/any/monitor_interval
		measure any pid_any kill_pid "$(ms_of "$iv")" "anything"
	done
	echo 5s > resources/app/monitor_interval
	measure app pid_app kill_pid 0 "app (exit seen)"
	echo "restarts counted: dummy $(cat "registry/Resources/$(cat resources/dummy/id)/RestartCount"), any $(cat "registry/Resources/$(cat resources/any/id)/RestartCount"), app $(cat "registry/Resources/$(cat resources/app/id)/RestartCount")"
} | tee "$TMP/report"
echo offline > groups/bench/state
for _ in $(seq 1 500); do [ "$(cat groups/bench/state)" = offline ] && break; sleep 0.02; done
cd /
[ "$OUT" = - ] || cp "$TMP/report" "$OUT"
