#!/usr/bin/env bash
# Benchmark (not a test): what libclusapi adds to the latency from a change
# to its notification, against a plain port reader, in one run.
#
#   scripts/bench-clusapi.sh
#
# It builds what it needs (scripts/build.sh when there is no build/, else
# ninja), runs a copy of the daemon and of libclusapi on a fresh state
# directory and mount point under a mktemp -d, and compiles
# scripts/bench/clusapi_latency.c with `cc -O2` and
# `pkg-config --cflags --libs clusapi` (build/meson-uninstalled). The change
# is one write(2) of `group-online G` / `group-offline G` to the control file
# (G is an empty group: one group state record per change); t0 is taken just
# before write(), and again when write() returned. Readers, one at a time,
# in blocks of BENCH_BLOCK changes that take turns:
#   clusapi       GetClusterNotify(INFINITE) on CreateClusterNotifyPort(
#                 CLUSTER_CHANGE_GROUP_STATE), until it returns the event
#   clusapi-evfd  poll() on ClusapiEventFd(GetNotifyEventHandle()), then
#                 GetClusterNotify(0)
#   port-read     ports/clone opened O_RDWR, filter
#                 `kind=group change=state key=1`, blocked in read() of JSON lines
#   port-poll     the same, O_NONBLOCK, poll() then read() (how the library
#                 reads its port)
#   paired        clusapi and port-read at the same time on the same changes;
#                 the per-change difference of their arrival times
# and then the CPU cost per event of draining queued events (library vs
# plain read()). The issue's target: the shim adds under 20 us at p50.
# The report is printed and written to docs/bench-clusapi.txt (BENCH_OUT).
#
# Knobs (environment):
#   BENCH_N=2000        changes per reader
#   BENCH_BLOCK=250     changes per block
#   BENCH_GAP_US=1000   pause after each change's event
#   BENCH_DRAIN=3000    queued events for the drain measurement (0: skip)
#   BENCH_TMP=DIR       where mktemp -d makes its directory
#   BENCH_OUT=FILE      report file (default docs/bench-clusapi.txt; "-": none)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

case "${1:-}" in
-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "bench-clusapi: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

N=${BENCH_N:-2000}
BLOCK=${BENCH_BLOCK:-250}
GAP_US=${BENCH_GAP_US:-1000}
DRAIN=${BENCH_DRAIN:-3000}
OUT=${BENCH_OUT:-$ROOT/docs/bench-clusapi.txt}
GROUP=BenchGroup

# ---- helpers -----------------------------------------------------------------
calc() { awk -v OFMT=%.6f "BEGIN { print ($1) }"; }
isnum() { [[ ${1:-} =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }
# getv "RESULT ..." KEY: the value of KEY=..., or "n/a".
getv() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); f = 1; exit } } END { if (!f) print "n/a" }' <<<"$1"; }
# result METHOD: its RESULT line.
result() { grep "^RESULT method=$1 " "$TMP/out" | tail -1 || true; }
f1() { if isnum "${1:-}"; then printf '%.1f' "$1"; else printf '%s' "${1:-n/a}"; fi; }
sub() { if isnum "${1:-}" && isnum "${2:-}"; then calc "sprintf(\"%+.1f\", $1 - $2)"; else echo n/a; fi; }
ratio() { if isnum "${1:-}" && isnum "${2:-}" && [ "$(calc "$2 > 0")" = 1 ]; then calc "sprintf(\"%.2f\", $1 / $2)"; else echo n/a; fi; }
is_mounted() { awk -v p="$1" '$2 == p { f = 1 } END { exit !f }' /proc/self/mounts; }
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
say() { printf '%s\n' "$*" | tee -a "$TMP/report"; }
problem() { say "   PROBLEM: $*"; PROBLEMS=$((PROBLEMS + 1)); }

# Waits (up to 30 s) until the daemon has been idle for 0.3 s.
wait_idle() {
	local a b i
	for ((i = 0; i < 100; i++)); do
		alive "$DPID" || return 0
		a=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null || echo 0)
		sleep 0.3
		b=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null || echo 0)
		[ $((b - a)) -le 1 ] && return 0
	done
}

cleanup() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM
	if [ -n "${PROG_PID:-}" ] && alive "$PROG_PID"; then kill -KILL "$PROG_PID" 2>/dev/null; fi
	if [ -n "${DPID:-}" ] && alive "$DPID"; then
		kill -TERM "$DPID"
		for ((i = 0; i < 200; i++)); do alive "$DPID" || break; sleep 0.05; done
		if alive "$DPID"; then
			echo "bench-clusapi: daemon $DPID still running 10 s after SIGTERM; killing it" >&2
			kill -KILL "$DPID"
		fi
		wait "$DPID" 2>/dev/null
	fi
	if [ -n "${MNT:-}" ] && is_mounted "$MNT"; then
		fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
		if [ -n "${MNT:-}" ] && is_mounted "$MNT"; then
			echo "bench-clusapi: $MNT is still mounted; leaving $TMP" >&2
		else
			rm -rf --one-file-system "$TMP"
		fi
	fi
	exit "$rc"
}

# ---- build, temp dirs, daemon -------------------------------------------------
if [ ! -d build ]; then
	echo "-- building (scripts/build.sh)"
	bash scripts/build.sh
elif ! ninja -C build >/dev/null; then
	echo "   WARNING: ninja -C build failed; benchmarking what is already in build/" >&2
fi
SRC_BIN=$ROOT/build/daemon/clusterfs
SRC_LIB=$ROOT/build/clusapi
[ -x "$SRC_BIN" ] || { echo "bench-clusapi: no $SRC_BIN" >&2; exit 1; }
[ -e "$SRC_LIB/libclusapi.so" ] || { echo "bench-clusapi: no libclusapi in $SRC_LIB" >&2; exit 1; }

TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/bench-clusapi.XXXXXX")
STATE=$TMP/state MNT=$TMP/mnt LOG=$TMP/daemon.log BINDIR=$TMP/bin LIBDIR=$TMP/lib
mkdir -p "$STATE" "$MNT" "$BINDIR" "$LIBDIR"
: >"$LOG"
: >"$TMP/report"
DPID="" PROG_PID="" PROBLEMS=0
trap cleanup EXIT
trap 'echo "bench-clusapi: interrupted" >&2; exit 130' INT
trap 'echo "bench-clusapi: terminated" >&2; exit 143' TERM

say "== libclusapi notification latency benchmark ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs)"
say "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine shows in every figure)"
say "   git: $(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null | cut -c1-70)$(git -C "$ROOT" diff --quiet HEAD -- core fs daemon clusapi include 2>/dev/null || echo ' + uncommitted changes')"
# Copies, so that a rebuild meanwhile does not change what is measured.
BIN=$TMP/clusterfs
cp "$SRC_BIN" "$BIN"
find "$SRC_LIB" -maxdepth 1 -name 'libclusapi.so*' ! -type d -exec cp -P {} "$LIBDIR"/ \;
export PKG_CONFIG_PATH=$ROOT/build/meson-uninstalled
# shellcheck disable=SC2046 # pkg-config's output is a list of words
cc -O2 -Wall -pthread $(pkg-config --cflags clusapi) -o "$BINDIR/clusapi_latency" \
	"$ROOT/scripts/bench/clusapi_latency.c" $(pkg-config --libs clusapi) ||
	{ echo "bench-clusapi: cannot compile scripts/bench/clusapi_latency.c" >&2; exit 1; }
"$BIN" -f --state-dir "$STATE" "$MNT" 2>>"$LOG" &
DPID=$!
for ((i = 0; i < 600; i++)); do
	cat "$MNT/name" >/dev/null 2>&1 && break
	alive "$DPID" || { echo "bench-clusapi: the daemon exited before mounting:" >&2; tail -n 20 "$LOG" >&2; exit 1; }
	sleep 0.05
done
cat "$MNT/name" >/dev/null 2>&1 || { echo "bench-clusapi: the daemon did not mount within 30 s" >&2; exit 1; }
say "   daemon: a copy of $SRC_BIN (pid $DPID); libclusapi: a copy of $SRC_LIB; temp: $TMP"
printf '%s\n' "group-create $GROUP" >"$MNT/control"
wait_idle

# ---- the run -------------------------------------------------------------------
say ""
say "-- change -> event latency: $N changes per reader (group-online/offline of an empty group, one write(2) each), blocks of $BLOCK taking turns, ${GAP_US} us after each event; microseconds"
t0=$SECONDS
LD_LIBRARY_PATH=$LIBDIR BENCH_DAEMON_PID=$DPID timeout -k 10 1200 \
	"$BINDIR/clusapi_latency" "$MNT" "$GROUP" "$N" "$BLOCK" "$GAP_US" "$DRAIN" \
	>"$TMP/out" 2>"$TMP/err" &
PROG_PID=$!
rc=0
wait "$PROG_PID" || rc=$?
PROG_PID=""
if [ "$rc" -ne 0 ]; then
	problem "clusapi_latency exited with status $rc$([ -s "$TMP/err" ] && echo ": $(head -c 400 "$TMP/err" | tr '\n' ' ')")"
fi
if ! alive "$DPID"; then
	problem "the daemon died during the run; the end of its log:"
	tail -n 5 "$LOG" | sed 's/^/     /' | tee -a "$TMP/report"
fi
say "   ($((SECONDS - t0)) s)"

row() { # LABEL METHOD
	local r
	r=$(result "$2")
	printf '   %-52s %8s %8s %8s   %8s %8s   %5s %5s\n' "$1" "$(f1 "$(getv "$r" before_p50)")" \
		"$(f1 "$(getv "$r" before_p99)")" "$(f1 "$(getv "$r" before_max)")" \
		"$(f1 "$(getv "$r" after_p50)")" "$(f1 "$(getv "$r" after_p99)")" \
		"$(getv "$r" lost)" "$(getv "$r" extra)" | tee -a "$TMP/report"
}
say "$(printf '   %-52s %-26s   %-17s' "" "---- from before write() --" "- from write() ret")"
say "$(printf '   %-52s %8s %8s %8s   %8s %8s   %5s %5s' "reader" p50 p99 max p50 p99 lost extra)"
row "clusapi: GetClusterNotify(INFINITE)" clusapi
row "clusapi: poll(ClusapiEventFd) + GetClusterNotify(0)" clusapi-evfd
row "port: blocking read() of JSON lines" port-read
row "port: poll() + read() (the library's way)" port-poll
row "paired: clusapi, on the same changes as" paired-clusapi
row "paired: port read()" paired-port-read
R_CL=$(result clusapi) R_PR=$(result port-read) R_PP=$(result port-poll) R_DIFF=$(result paired-diff)
say "   write() itself (the durable commit), p50: $(f1 "$(getv "$R_CL" write_p50)") us; p99 $(f1 "$(getv "$R_CL" write_p99)") us"
say "   events that were not the awaited one: $(getv "$(result all)" bad)$([ "$(getv "$(result all)" reader_error)" != 0 ] && echo "; reader error $(getv "$(result all)" reader_error)")"

R_DRAIN=$(result drain)
if [ -n "$R_DRAIN" ]; then
	say ""
	say "-- CPU cost per event, no wake-up: $(getv "$R_DRAIN" changes) changes queued on a library port and a plain port, then drained"
	say "   GetClusterNotify(0) until WAIT_TIMEOUT: $(getv "$R_DRAIN" clusapi_us) us/event ($(getv "$R_DRAIN" clusapi_events) events)"
	say "   read() 64 KiB until EAGAIN:            $(getv "$R_DRAIN" port_us) us/record ($(getv "$R_DRAIN" port_records) records)"
fi

# ---- summary ---------------------------------------------------------------------
CL50=$(getv "$R_CL" before_p50) PR50=$(getv "$R_PR" before_p50) PP50=$(getv "$R_PP" before_p50)
ADD50=$(sub "$CL50" "$PR50")
DIFF50=$(getv "$R_DIFF" diff_p50)
met() {
	if ! isnum "${1:-}"; then echo "NOT met (no figure)"
	elif [ "$(calc "($1 < 20) ? 1 : 0")" = 1 ]; then echo met
	else echo "NOT met"; fi
}
say ""
say "-- summary (target: the shim adds under 20 us at p50)"
say "   change -> event p50, from before write(): clusapi $(f1 "$CL50") us, port reader $(f1 "$PR50") us:"
say "     the shim adds $ADD50 us ($(ratio "$CL50" "$PR50")x)   $(met "${ADD50#+}")"
say "   from write() returned, p50: clusapi $(f1 "$(getv "$R_CL" after_p50)") us, port reader $(f1 "$(getv "$R_PR" after_p50)") us: $(sub "$(getv "$R_CL" after_p50)" "$(getv "$R_PR" after_p50)") us"
say "   paired on the same changes (clusapi minus port reader), p50 $(f1 "$DIFF50") us, p99 $(f1 "$(getv "$R_DIFF" diff_p99)") us   $(met "$DIFF50")"
say "   where it goes (p50, from before write()): poll()+read() instead of a blocking read() $(sub "$PP50" "$PR50") us;"
say "     the library on top of poll()+read() $(sub "$CL50" "$PP50") us$([ -n "$R_DRAIN" ] && echo "; its CPU per event $(getv "$R_DRAIN" clusapi_us) us against $(getv "$R_DRAIN" port_us) us for read() alone")"
say "   (likely: a blocked read() is answered by the daemon as it commits the record; a poll() is woken by the"
say "   daemon's poll notification and then needs a second FUSE request, the read(), served while the"
say "   daemon is still busy with that commit and its inotify replay; then the library parses the JSON"
say "   line and builds the event: the CPU figure above)"
[ "$PROBLEMS" -eq 0 ] || say "   $PROBLEMS problem(s) above"

if [ "$OUT" != - ]; then
	cp "$TMP/report" "$OUT"
	echo "(written to ${OUT#"$ROOT"/})"
fi
[ "$PROBLEMS" -eq 0 ]
