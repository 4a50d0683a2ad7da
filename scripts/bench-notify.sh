#!/usr/bin/env bash
# Benchmark (not a test): how fast do changes reach inotify watchers and
# port readers, and what happens under overload?
#
#   scripts/bench-notify.sh
#
# One run (about 1-2 minutes; it stops itself well within 10):
#   builds clusterfs if needed (scripts/build.sh) and runs a copy of it on a
#   fresh state directory and mount point under a mktemp -d, with a tmpfs
#   next to it for reference. The C programs in scripts/bench/ are compiled
#   there with `cc -O2`. Then:
#   1. change -> inotify IN_MODIFY latency, N changes ~1 ms apart, each one
#      write(2) to the control file: a registry value (reg-set), and a
#      resource state toggled (resource-online/offline: the daemon makes the
#      state change); and for reference open(O_TRUNC)+write+close of a file
#      on tmpfs. t0 = before write() (or open()), and t0 = when write()
#      returned (after close() on tmpfs).
#   2. change -> port reader latency: an anonymous port (ports/clone) with
#      filter kind=registry, a reader thread blocked in read() or in
#      select(), reg-set through the control file.
#   3. port throughput: the journal pre-filled (reg-set batches, one write of
#      whole lines < 1 MiB each), a named port with filter `all` and start 1
#      (resume from the first retained record); 1 reader (3 runs) and 100
#      readers read everything with a 64 KiB buffer, each opening the
#      events file read-write (the stream that programs read; read-only it
#      is the tools' mode, one line per read). scripts/bench-commit.sh has
#      the tmpfs reference and the ratios of issue 14.
#   4. peak rate of daemon-side changes with inotify: distinct registry
#      values set through the control file in batches, an inotify watcher
#      on every key directory counting IN_MODIFY per file.
#   5. 10x overload: a slow port reader (4 KiB reads, sleeps between them)
#      during a burst 10x its measured rate; its stream and `stats` must
#      account for every record.
#   6. a check: when the IN_MODIFY arrives, does the file show the new
#      content? (Reads the file at every event; last, as reading files
#      while the notifier works has crashed the daemon.)
#   Then a summary against the targets.
# Needs root (tmpfs, the daemon's inotify replay). If the daemon dies or
# hangs, the run says where and how, aborts its FUSE connection if it has
# to, restarts it and goes on; the measurement shows CRASHED. Exit status:
# 0, or 1 if the daemon had a problem.
#
# Knobs (environment):
#   BENCH_N=1000            changes per latency measurement (1, 2)
#   BENCH_GAP_US=1000       pause after each change's event/record
#   BENCH_PREFILL=60000     records pre-filled into the journal (3)
#   BENCH_READERS=100       readers in the many-readers run (3)
#   BENCH_PEAK_KEYS=20 BENCH_PEAK_PER_KEY=1000 BENCH_PEAK_BATCH=1000   (4)
#   BENCH_OVER_BUF=4096 BENCH_OVER_SLEEP_US=5000 BENCH_OVER_FACTOR=10
#   BENCH_OVER_RECORDS=150000                                          (5)
#   BENCH_CHECK_N=300       changes of the content check (6)
#   BENCH_TMP=DIR           where mktemp -d makes its directory
#   BENCH_DAEMON_OPTS="..." extra daemon options
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

case "${1:-}" in
-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "bench-notify: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

N=${BENCH_N:-1000}
GAP_US=${BENCH_GAP_US:-1000}
PREFILL=${BENCH_PREFILL:-60000}
READERS=${BENCH_READERS:-100}
PEAK_KEYS=${BENCH_PEAK_KEYS:-20}
PEAK_PER_KEY=${BENCH_PEAK_PER_KEY:-1000}
PEAK_BATCH=${BENCH_PEAK_BATCH:-1000}
OVER_BUF=${BENCH_OVER_BUF:-4096}
OVER_SLEEP_US=${BENCH_OVER_SLEEP_US:-5000}
OVER_FACTOR=${BENCH_OVER_FACTOR:-10}
OVER_RECORDS=${BENCH_OVER_RECORDS:-150000}
CHECK_N=${BENCH_CHECK_N:-300}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-notify: needs root (tmpfs mount; the daemon replays inotify events only as root)" >&2
	exit 1
fi

# ---- helpers -----------------------------------------------------------------
calc() { awk -v OFMT=%.6f "BEGIN { print ($1) }"; }
isnum() { [[ ${1:-} =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }
# getv "RESULT ..." KEY: the value of KEY=..., or "n/a".
getv() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); f = 1; exit } } END { if (!f) print "n/a" }' <<<"$1"; }
is_mounted() { awk -v p="$1" '$2 == p { f = 1 } END { exit !f }' /proc/self/mounts; }
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
problem() { echo "   PROBLEM: $*" | tee -a "$TMP/problems"; }
# met VALUE OP TARGET
met() {
	if ! isnum "${1:-}"; then echo "NOT met (no figure: ${1:-none})"
	elif [ "$(calc "($1 $2 $3) ? 1 : 0")" = 1 ]; then echo met
	else echo "NOT met"; fi
}
f1() { if isnum "${1:-}"; then printf '%.1f' "$1"; else printf '%s' "${1:-n/a}"; fi; }
f0() { if isnum "${1:-}"; then printf '%.0f' "$1"; else printf '%s' "${1:-n/a}"; fi; }
ratio() { if isnum "${1:-}" && isnum "${2:-}" && [ "$(calc "$2 > 0")" = 1 ]; then calc "sprintf(\"%.2f\", $1 / $2)"; else echo n/a; fi; }

# The FUSE connection of our mount: /sys/fs/fuse/connections/<minor>.
conn_dir() {
	local minor
	minor=$(awk -v m="$MNT" '$5 == m { split($3, a, ":"); print a[2] }' /proc/self/mountinfo | tail -1)
	[ -n "$minor" ] && [ -d "/sys/fs/fuse/connections/$minor" ] && echo "/sys/fs/fuse/connections/$minor"
}
abort_conn() {
	local c
	c=$(conn_dir) || return 0
	echo 1 >"$c/abort" 2>/dev/null || true
}
coredumping() { [ -n "${DPID:-}" ] && grep -q '^CoreDumping:[[:space:]]*1' "/proc/$DPID/status" 2>/dev/null; }
# The daemon died, or is stuck dumping core.
daemon_broken() { [ -z "${DPID:-}" ] || ! alive "$DPID" || coredumping; }

start_daemon() {
	local t0 rc
	# shellcheck disable=SC2086 # a list of words
	set -- ${BENCH_DAEMON_OPTS:-}
	if is_mounted "$MNT"; then fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"; fi
	echo "--- start $(date '+%T.%N')" >>"$LOG"
	LOG_OFF=$(stat -c %s "$LOG")
	t0=$SECONDS
	"$BIN" -f "$@" --state-dir "$STATE" "$MNT" 2>>"$LOG" &
	DPID=$!
	until cat "$MNT/name" >/dev/null 2>&1; do
		if ! alive "$DPID"; then
			rc=0; wait "$DPID" || rc=$?
			DPID=""
			echo "bench-notify: the daemon exited (status $rc) before answering; its log:" >&2
			tail -n 20 "$LOG" >&2 || true
			exit 1
		fi
		if [ $((SECONDS - t0)) -gt 60 ]; then
			echo "bench-notify: the daemon (pid $DPID) did not answer within 60 s" >&2
			exit 1
		fi
		sleep 0.01
	done
}

# handle_crash PHASE: the daemon died or hangs. Says how, frees the mount
# (aborting the FUSE connection if a thread of the dead daemon waits on its
# own mount, which stops the core dump from finishing), restarts it.
handle_crash() {
	local phase=$1 rc=0 how how_hang stuck="" i
	if [ -n "${DPID:-}" ] && alive "$DPID"; then
		if coredumping; then
			stuck=$(for t in /proc/"$DPID"/task/*; do { cat "$t/wchan" 2>/dev/null; echo; }; done | sort | uniq -c | sort -rn | awk '{ printf "%s%s x%s", s, $2, $1; s = ", " }')
			how_hang="it is dumping core and cannot finish (threads: $stuck)"
		else
			how_hang="it stopped answering"
		fi
		abort_conn
		for ((i = 0; i < 100; i++)); do alive "$DPID" || break; sleep 0.1; done
		if alive "$DPID"; then kill -KILL "$DPID" 2>/dev/null || true; sleep 0.5; fi
	else
		how_hang=""
	fi
	if [ -n "${DPID:-}" ]; then { wait "$DPID"; } 2>/dev/null || rc=$?; fi
	if [ "$rc" -gt 128 ]; then how="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"; else how="exited with status $rc"; fi
	local tail_log
	tail_log=$(tail -c +$((LOG_OFF + 1)) "$LOG" | grep -v ': info: ' | tail -5 || true)
	problem "the daemon (pid ${DPID:-?}) $how during $phase${how_hang:+; before that $how_hang; its FUSE connection was aborted}.$([ -n "$tail_log" ] && echo ' The end of its stderr:' || echo ' Nothing on its stderr.')"
	if [ -n "$tail_log" ]; then printf '%s\n' "$tail_log" | sed 's/^/     /' | tee -a "$TMP/problems"; fi
	DPID=""
	if is_mounted "$MNT"; then fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" || true; fi
	CRASHES=$((CRASHES + 1))
	start_daemon
	echo "   (daemon restarted, pid $DPID)"
}

# run_prog NAME LIMIT_SECS CMD...: runs a measuring program, watching the
# daemon meanwhile; sets R to its RESULT line ("" if none).
run_prog() {
	local name=$1 limit=$2 pid rc=0 t0 i
	shift 2
	"$@" >"$TMP/out.$name" 2>"$TMP/err.$name" &
	pid=$!
	PROG_PID=$pid
	t0=$SECONDS
	while alive "$pid"; do
		if daemon_broken; then
			handle_crash "$name"
			break
		fi
		if [ $((SECONDS - t0)) -gt "$limit" ]; then
			problem "$name gave no result within $limit s; killed"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 30; i++)); do alive "$pid" || break; sleep 0.1; done
			if alive "$pid"; then
				problem "$name is stuck in the mount after SIGKILL: the daemon hangs"
				handle_crash "$name"
			fi
			break
		fi
		sleep 0.05
	done
	for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
	wait "$pid" 2>/dev/null || rc=$?
	PROG_PID=""
	R=$(grep '^RESULT' "$TMP/out.$name" | tail -1 || true)
	if [ -s "$TMP/err.$name" ]; then
		echo "   ($name stderr: $(head -c 300 "$TMP/err.$name" | tr '\n' ' '))"
	fi
	if [ -z "$R" ] && [ "$rc" -ne 0 ]; then echo "   ($name exited with status $rc)"; fi
	# A crash right at the end of the program.
	if daemon_broken; then handle_crash "$name"; R=""; fi
	if [ -z "$R" ]; then R="RESULT crashed=1"; fi
}

# Waits (up to 30 s) until the daemon has been idle for 0.3 s: the
# notifier has replayed everything of the previous phase.
wait_idle() {
	local a b i
	for ((i = 0; i < 100; i++)); do
		daemon_broken && return 0
		a=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null || echo 0)
		sleep 0.3
		b=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null || echo 0)
		[ $((b - a)) -le 1 ] && return 0
	done
}

ctl() { printf '%s\n' "$@" >"$MNT/control"; }

cleanup() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM
	if [ -n "${PROG_PID:-}" ] && alive "$PROG_PID"; then kill -KILL "$PROG_PID" 2>/dev/null; fi
	if [ -n "${DPID:-}" ] && alive "$DPID"; then
		kill -TERM "$DPID"
		for ((i = 0; i < 200; i++)); do alive "$DPID" || break; sleep 0.05; done
		if alive "$DPID"; then
			echo "bench-notify: daemon $DPID still running 10 s after SIGTERM$(coredumping && echo ' (dumping core)'); aborting its FUSE connection" >&2
			abort_conn
			for ((i = 0; i < 100; i++)); do alive "$DPID" || break; sleep 0.1; done
			alive "$DPID" && kill -KILL "$DPID"
		fi
		wait "$DPID" 2>/dev/null
	fi
	if [ -n "${MNT:-}" ] && is_mounted "$MNT"; then
		fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	if [ -n "${TMPFS:-}" ] && is_mounted "$TMPFS"; then
		umount "$TMPFS" 2>/dev/null || umount -l "$TMPFS"
	fi
	if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
		if { [ -n "${MNT:-}" ] && is_mounted "$MNT"; } || { [ -n "${TMPFS:-}" ] && is_mounted "$TMPFS"; }; then
			echo "bench-notify: something is still mounted; leaving $TMP" >&2
		else
			rm -rf --one-file-system "$TMP"
		fi
	fi
	exit "$rc"
}

# ---- build, temp dirs, daemon -------------------------------------------------
bench_t0=$SECONDS
echo "== clusterfs notification benchmark ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo))"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine shows in every figure)"
SRC_BIN=$ROOT/build/daemon/clusterfs
if [ ! -x "$SRC_BIN" ] || ! ninja -C build -n 2>/dev/null | grep -q 'no work to do'; then
	echo "-- building (scripts/build.sh)"
	if ! bash scripts/build.sh; then
		[ -x "$SRC_BIN" ] || { echo "bench-notify: the build failed" >&2; exit 1; }
		echo "   WARNING: the build failed; benchmarking the binary already in build/"
	fi
fi
[ -x "$SRC_BIN" ] || { echo "bench-notify: no $SRC_BIN after the build" >&2; exit 1; }

TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/bench-notify.XXXXXX")
STATE=$TMP/state MNT=$TMP/mnt TMPFS=$TMP/tmpfs LOG=$TMP/daemon.log BINDIR=$TMP/bin
mkdir -p "$STATE" "$MNT" "$TMPFS" "$BINDIR"
: >"$LOG"
: >"$TMP/problems"
DPID="" PROG_PID="" CRASHES=0 LOG_OFF=0
trap cleanup EXIT
trap 'echo "bench-notify: interrupted" >&2; exit 130' INT
trap 'echo "bench-notify: terminated" >&2; exit 143' TERM

BIN=$TMP/clusterfs
cp "$SRC_BIN" "$BIN"
echo "   binary: $SRC_BIN ($("$BIN" -V 2>/dev/null | head -1), built $(date -r "$SRC_BIN" '+%F %T')), run from a copy"
echo "   git: $(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null | cut -c1-70)$(git -C "$ROOT" diff --quiet HEAD -- core fs daemon 2>/dev/null || echo ' + uncommitted changes')"
for p in inolat portlat tput peak overload feed; do
	cc -O2 -Wall -pthread -o "$BINDIR/$p" "$ROOT/scripts/bench/$p.c" ||
		{ echo "bench-notify: cannot compile scripts/bench/$p.c" >&2; exit 1; }
done
mount -t tmpfs -o mode=0755 bench-notify "$TMPFS"
echo "   temp: $TMP (state dir on $(df --output=fstype "$STATE" | tail -1), reference tmpfs $TMPFS)${BENCH_DAEMON_OPTS:+; daemon options: $BENCH_DAEMON_OPTS}"
start_daemon
echo "   daemon pid $DPID"

ctl 'reg-create-key Lat' 'reg-set Lat v sz init' 'group-create bg' \
	'resource-create br "Generic Application" bg'
echo init >"$TMPFS/f"
wait_idle

# ---- 1. change -> inotify ------------------------------------------------------
echo
echo "-- 1. change -> inotify IN_MODIFY latency: $N changes, ${GAP_US} us apart (after each event); microseconds"
printf '   %-44s %-16s %9s %9s %9s %6s %6s\n' "change" "t0" p50 p99 max lost extra
lat_rows() { # LABEL RESULT T0LABEL_BEFORE T0LABEL_AFTER
	local r=$2
	printf '   %-44s %-16s %9s %9s %9s %6s %6s\n' "$1" "$3" "$(f1 "$(getv "$r" before_p50)")" \
		"$(f1 "$(getv "$r" before_p99)")" "$(f1 "$(getv "$r" before_max)")" "$(getv "$r" lost)" "$(getv "$r" extra)"
	printf '   %-44s %-16s %9s %9s %9s %6s %6s\n' "" "$4" "$(f1 "$(getv "$r" after_p50)")" \
		"$(f1 "$(getv "$r" after_p99)")" "$(f1 "$(getv "$r" after_max)")" "" ""
	local x
	for x in errors noisy qoverflow; do
		if isnum "$(getv "$r" $x)" && [ "$(getv "$r" $x)" != 0 ]; then echo "      $x: $(getv "$r" $x) $(getv "$r" first_error)"; fi
	done
	if [ "$(getv "$r" crashed)" = 1 ]; then echo "      CRASHED"; fi
}
run_prog ino-reg 300 "$BINDIR/inolat" ctl "$MNT/registry/Lat" v "$N" "$GAP_US" "$MNT/control" \
	'reg-set Lat v sz %d' 'reg-set Lat v sz %d' - -
R_INO_REG=$R
lat_rows "registry value: control reg-set" "$R" "before write()" "write() returned"
wait_idle
run_prog ino-state 300 "$BINDIR/inolat" ctl "$MNT/resources/br" state "$N" "$GAP_US" "$MNT/control" \
	'resource-online br' 'resource-offline br' - -
R_INO_STATE=$R
lat_rows "resource state: control resource-on/offline" "$R" "before write()" "write() returned"
wait_idle
run_prog ino-tmpfs 120 "$BINDIR/inolat" file "$TMPFS" f "$N" "$GAP_US"
R_INO_TMPFS=$R
lat_rows "tmpfs file: open(O_TRUNC)+write+close" "$R" "before open()" "after close()"
TP50=$(getv "$R_INO_TMPFS" before_p50)
echo "   ratio mount/tmpfs p50 (tmpfs from before open()): registry $(ratio "$(getv "$R_INO_REG" before_p50)" "$TP50")x from before write(), $(ratio "$(getv "$R_INO_REG" after_p50)" "$TP50")x from write() returned; resource state $(ratio "$(getv "$R_INO_STATE" before_p50)" "$TP50")x / $(ratio "$(getv "$R_INO_STATE" after_p50)" "$TP50")x"
echo "   (negative = the event came before write() returned: registry $(getv "$R_INO_REG" after_negative), state $(getv "$R_INO_STATE" after_negative) of $N; tmpfs extra: O_TRUNC and write() each raise IN_MODIFY)"
wait_idle

# ---- 2. change -> port reader ------------------------------------------------
echo
echo "-- 2. change -> port reader latency: anonymous port (ports/clone), filter kind=registry, $N reg-set through control; microseconds"
printf '   %-44s %-16s %9s %9s %9s %6s\n' "reader" "t0" p50 p99 max lost
port_rows() {
	local r=$2
	printf '   %-44s %-16s %9s %9s %9s %6s\n' "$1" "before write()" "$(f1 "$(getv "$r" before_p50)")" \
		"$(f1 "$(getv "$r" before_p99)")" "$(f1 "$(getv "$r" before_max)")" "$(getv "$r" lost)"
	printf '   %-44s %-16s %9s %9s %9s %6s\n' "" "write() returned" "$(f1 "$(getv "$r" after_p50)")" \
		"$(f1 "$(getv "$r" after_p99)")" "$(f1 "$(getv "$r" after_max)")" ""
	echo "      reads $(getv "$r" reads), lines $(getv "$r" lines), record before write() returned: $(getv "$r" after_negative) of $N$([ "$(getv "$r" reader_error)" != 0 ] && echo ", reader error $(getv "$r" reader_error)")$([ "$(getv "$r" crashed)" = 1 ] && echo ', CRASHED')"
}
run_prog port-read 300 "$BINDIR/portlat" read "$MNT/ports/clone" "$MNT/control" "$N" "$GAP_US" kind=registry Lat p
R_PORT_READ=$R
port_rows "blocked in read() (64 KiB)" "$R"
wait_idle
run_prog port-select 300 "$BINDIR/portlat" select "$MNT/ports/clone" "$MNT/control" "$N" "$GAP_US" kind=registry Lat q
R_PORT_SEL=$R
port_rows "blocked in select(), then read()" "$R"
wait_idle

# ---- 3. port throughput --------------------------------------------------------
echo
echo "-- 3. port throughput: journal pre-filled with $PREFILL records, named port (filter all, start 1), 64 KiB reads"
awk -v n="$PREFILL" 'BEGIN { print "reg-create-key Fill"; for (i = 0; i < n; i++) printf "reg-set Fill v%d sz %d\n", i % 1000, i + 1 }' >"$TMP/fill.txt"
run_prog prefill 300 "$BINDIR/feed" "$MNT/control" "$TMP/fill.txt" 400000
R_FILL=$R
ctl 'reg-set Fill end sz 1'
echo "   pre-fill: $(getv "$R_FILL" lines) lines in $(getv "$R_FILL" writes) writes (<= 400000 bytes of whole lines each), $(getv "$R_FILL" secs) s = $(f0 "$(getv "$R_FILL" rps)") changes/s"
wait_idle
mkdir "$MNT/ports/tp"
echo all >"$MNT/ports/tp/filter"
echo 1 >"$MNT/ports/tp/start"
TP1=()
for i in 1 2 3; do
	run_prog "tput1-$i" 120 "$BINDIR/tput" "$MNT/ports/tp/events" 1 65536 '"prop":"end"' rw
	TP1+=("$R")
	[ "$i" = 1 ] && echo "   start 1: first record read $(getv "$R" first_seq)$([ "$(getv "$R" specials)" != 0 ] && echo ", after a not_retained error record"), last $(getv "$R" end_seq)"
	echo "   1 reader, run $i: $(getv "$R" records) records in $(getv "$R" wall_s) s = $(f0 "$(getv "$R" agg_rps)") records/s ($(getv "$R" MBps) MB/s, $(getv "$R" bytes_per_record) bytes/record, $(getv "$R" bytes_per_read) bytes/read); complete $(getv "$R" complete)/1$([ "$(getv "$R" first_incomplete)" != n/a ] && echo " ($(getv "$R" first_incomplete))")"
done
TPUT1=$(for r in "${TP1[@]}"; do getv "$r" agg_rps; done | grep -E '^[0-9.]+$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "n/a" }')
echo "   1 reader: median $(f0 "$TPUT1") records/s"
wait_idle
run_prog "tput$READERS" 300 "$BINDIR/tput" "$MNT/ports/tp/events" "$READERS" 65536 '"prop":"end"' rw
R_TPN=$R
echo "   $READERS readers: $(getv "$R" records) records in $(getv "$R" wall_s) s: aggregate $(f0 "$(getv "$R" agg_rps)") records/s ($(getv "$R" MBps) MB/s); per reader min/median/max $(getv "$R" reader_rps_min) / $(getv "$R" reader_rps_med) / $(getv "$R" reader_rps_max) records/s; complete $(getv "$R" complete)/$READERS$([ "$(getv "$R" first_incomplete)" != n/a ] && echo " ($(getv "$R" first_incomplete))")"
sleep 1 # the readers' releases
echo "   port stats: $(tr '\n' ' ' <"$MNT/ports/tp/stats")"
rmdir "$MNT/ports/tp"
wait_idle

# ---- 4. peak daemon-side change rate with inotify ------------------------------
PEAK_N=$((PEAK_KEYS * PEAK_PER_KEY))
echo
echo "-- 4. peak rate: $PEAK_N distinct registry values ($PEAK_KEYS keys x $PEAK_PER_KEY) set through control, $PEAK_BATCH lines per write, inotify on every key directory"
run_prog peak 300 "$BINDIR/peak" "$MNT" Peak "$PEAK_KEYS" "$PEAK_PER_KEY" "$PEAK_BATCH"
R_PEAK=$R
echo "   setup: $PEAK_N values created in $(getv "$R" setup_commit_s) s, all IN_CREATE events after $(getv "$R" setup_events_s) s ($(getv "$R" setup_create_events) of $PEAK_N)"
echo "   committed: $PEAK_N changes in $(getv "$R" writes) writes, $(getv "$R" commit_s) s = $(f0 "$(getv "$R" commit_rps)") changes/s (write() median $(getv "$R" write_ms_med) ms, max $(getv "$R" write_ms_max) ms)"
echo "   delivered: $(getv "$R" delivered_files) files got IN_MODIFY, the last $(getv "$R" deliver_s) s after the first write = $(f0 "$(getv "$R" deliver_rps)") events/s"
echo "   missing: $(getv "$R" missing)$([ "$(getv "$R" first_missing)" != n/a ] && echo " (first: $(getv "$R" first_missing))"); duplicate IN_MODIFY: $(getv "$R" extra_modify); IN_Q_OVERFLOW: $(getv "$R" qoverflow)$([ "$(getv "$R" crashed)" = 1 ] && echo '; CRASHED')"
wait_idle

# ---- 5. overload -----------------------------------------------------------------
echo
echo "-- 5. overload: a slow reader ($OVER_BUF-byte reads, ${OVER_SLEEP_US} us sleeps) on a named port (filter kind=registry), a burst of ${OVER_FACTOR}x its rate"
mkdir "$MNT/ports/slow"
echo kind=registry >"$MNT/ports/slow/filter"
run_prog overload 300 "$BINDIR/overload" "$MNT" slow "$OVER_BUF" "$OVER_SLEEP_US" "$OVER_FACTOR" "$OVER_RECORDS"
R_OVER=$R
echo "   reader rate (calibrated on 3000 records): $(f0 "$(getv "$R" reader_rps)") records/s; burst: $(getv "$R" burst_records) records in $(getv "$R" burst_s) s = $(f0 "$(getv "$R" burst_rps)")/s, reader meanwhile $(f0 "$(getv "$R" reader_rps_during)")/s: $(getv "$R" overload)x"
echo "   produced for it: $(getv "$R" produced) (seq span seen $(getv "$R" span)); reader got $(getv "$R" delivered) records + $(getv "$R" overflows) overflow records naming $(getv "$R" dropped) lost"
echo "   stream: gaps without an overflow record $(getv "$R" gaps) ($(getv "$R" gap_records) records), bad or repeated overflow records $(getv "$R" bad_overflow), out of order $(getv "$R" dups), other lines $(getv "$R" other_lines)$([ "$(getv "$R" first_problem)" != n/a ] && echo "; first: $(getv "$R" first_problem)")"
echo "   stats: delivered $(getv "$R" stats_delivered) + dropped $(getv "$R" stats_dropped) = $(getv "$R" stats_sum) (produced $(getv "$R" produced)); unexplained by the reader's count: $(getv "$R" unexplained)$([ "$(getv "$R" crashed)" = 1 ] && echo '; CRASHED')"
OVER_OK=n/a
if [ "$(getv "$R" crashed)" != 1 ] && [ "$(getv "$R" finished)" = 1 ]; then
	if [ "$(getv "$R" unexplained)" = 0 ] && [ "$(getv "$R" gaps)" = 0 ] && [ "$(getv "$R" bad_overflow)" = 0 ] &&
		[ "$(getv "$R" dups)" = 0 ] && [ "$(getv "$R" other_lines)" = 0 ] &&
		[ "$(getv "$R" stats_delivered)" = "$(getv "$R" delivered)" ] && [ "$(getv "$R" stats_dropped)" = "$(getv "$R" dropped)" ] &&
		[ "$(getv "$R" stats_sum)" = "$(getv "$R" produced)" ] && [ "$(getv "$R" span)" = "$(getv "$R" produced)" ] &&
		[ "$(getv "$R" overflows)" != 0 ]; then
		OVER_OK=1
	else
		OVER_OK=0
	fi
fi
rmdir "$MNT/ports/slow"
wait_idle

# ---- 6. content at event time --------------------------------------------------
echo
echo "-- 6. check: the file shows the new content when its IN_MODIFY arrives ($CHECK_N changes each, the file read by the watcher at each event)"
run_prog check-reg 120 "$BINDIR/inolat" ctl "$MNT/registry/Lat" v "$CHECK_N" "$GAP_US" "$MNT/control" \
	'reg-set Lat v sz %d' 'reg-set Lat v sz %d' '%d' '%d'
R_CHK_REG=$R
echo "   registry value: events $(getv "$R" got)/$CHECK_N, write errors $(getv "$R" errors), stale content $(getv "$R" mismatch)$([ "$(getv "$R" first_mismatch)" != n/a ] && echo " (first: $(getv "$R" first_mismatch))")$([ "$(getv "$R" crashed)" = 1 ] && echo '; CRASHED')"
wait_idle
run_prog check-state 120 "$BINDIR/inolat" ctl "$MNT/resources/br" state "$CHECK_N" "$GAP_US" "$MNT/control" \
	'resource-online br' 'resource-offline br' online offline
R_CHK_STATE=$R
echo "   resource state: events $(getv "$R" got)/$CHECK_N, write errors $(getv "$R" errors), stale content $(getv "$R" mismatch)$([ "$(getv "$R" first_mismatch)" != n/a ] && echo " (first: $(getv "$R" first_mismatch))")$([ "$(getv "$R" crashed)" = 1 ] && echo '; CRASHED')"

# ---- summary --------------------------------------------------------------------
echo
n_log=$(grep -vc -e ': info: ' -e '^--- start' "$LOG" || true)
if [ "$n_log" -gt 0 ]; then
	echo "-- daemon log: $n_log lines other than info (first 10):"
	grep -v -e ': info: ' -e '^--- start' "$LOG" | sed -n '1,10s/^/   /p'
else
	echo "-- daemon log: info lines only"
fi

echo
echo "================ summary (load average now $(cut -d' ' -f1-3 /proc/loadavg)) ================"
row() { printf '  %-58s %-40s %s\n' "$1" "$2" "$3"; }
both() { # "A and B" of two met/NOT met words
	if [ "$1" = met ] && [ "$2" = met ]; then echo met; else echo "NOT met"; fi
}
ino_target() { # LABEL RESULT VARIANT(before|after) T0TEXT
	local p50 p99 rt
	p50=$(getv "$2" "$3_p50") p99=$(getv "$2" "$3_p99")
	rt=$(ratio "$p50" "$TP50")
	row "inotify $1, from $4" "p50 $(f1 "$p50") us = ${rt}x tmpfs, p99 $(f1 "$p99") us" \
		"$(both "$(met "$rt" "<=" 4)" "$(met "$p99" "<" 1000)")$([ "$(getv "$2" lost)" != 0 ] && echo " ($(getv "$2" lost) events lost)")"
}
echo "  target: inotify p50 within 4x of tmpfs p50 ($(f1 "$TP50") us, before open() to IN_MODIFY), p99 under 1 ms"
ino_target "registry value" "$R_INO_REG" before "before write()"
ino_target "registry value" "$R_INO_REG" after "write() returned"
ino_target "resource state" "$R_INO_STATE" before "before write()"
ino_target "resource state" "$R_INO_STATE" after "write() returned"
echo "  target: port reader p50 under 40 us, p99 under 300 us"
port_target() {
	local p50 p99
	p50=$(getv "$2" "$3_p50") p99=$(getv "$2" "$3_p99")
	row "port $1, from $4" "p50 $(f1 "$p50") us, p99 $(f1 "$p99") us" \
		"$(both "$(met "$p50" "<" 40)" "$(met "$p99" "<" 300)")$([ "$(getv "$2" lost)" != 0 ] && echo " ($(getv "$2" lost) records lost)")"
}
echo "  (from write() returned, negative figures mean the record was read before write() returned: readers are woken before the writer is answered)"
port_target "read()" "$R_PORT_READ" before "before write()"
port_target "read()" "$R_PORT_READ" after "write() returned"
port_target "select()" "$R_PORT_SEL" before "before write()"
port_target "select()" "$R_PORT_SEL" after "write() returned"
echo "  target: >= 8,000,000 records/s to one reader (64 KiB buffer)"
row "1 reader (median of 3)" "$(f0 "$TPUT1") records/s" "$(met "$TPUT1" ">=" 8000000)"
row "$READERS readers (no target)" "aggregate $(f0 "$(getv "$R_TPN" agg_rps)"), each ~$(getv "$R_TPN" reader_rps_med) records/s" ""
echo "  target: >= 10,000 daemon-side changes/s with inotify (every changed file gets its event)"
pc=$(getv "$R_PEAK" commit_rps) pd=$(getv "$R_PEAK" deliver_rps) PEAK_MIN=n/a
if isnum "$pc" && isnum "$pd"; then PEAK_MIN=$(calc "($pc < $pd) ? $pc : $pd"); fi
peak_verdict=$(met "$PEAK_MIN" ">=" 10000)
[ "$(getv "$R_PEAK" missing)" = 0 ] || peak_verdict="NOT met ($(getv "$R_PEAK" missing) files without their event)"
[ "$(getv "$R_PEAK" crashed)" = 1 ] && peak_verdict="NOT met (CRASHED)"
row "peak: committed / events delivered" "$(f0 "$(getv "$R_PEAK" commit_rps)") / $(f0 "$(getv "$R_PEAK" deliver_rps)") changes/s, missing $(getv "$R_PEAK" missing)" "$peak_verdict"
echo "  target: zero unexplained losses under ${OVER_FACTOR}x overload"
case $OVER_OK in
1) over_verdict=met ;;
0) over_verdict="NOT met" ;;
*) over_verdict="NOT met (no result)" ;;
esac
row "overload $(getv "$R_OVER" overload)x: unexplained / overflow records" "$(getv "$R_OVER" unexplained) / $(getv "$R_OVER" overflows) (dropped $(getv "$R_OVER" dropped) of $(getv "$R_OVER" produced))" "$over_verdict"
echo "  check (no target): stale content at event time: registry $(getv "$R_CHK_REG" mismatch)/$(getv "$R_CHK_REG" got), resource state $(getv "$R_CHK_STATE" mismatch)/$(getv "$R_CHK_STATE" got)"
row "whole benchmark" "$((SECONDS - bench_t0)) s" ""
if [ -s "$TMP/problems" ]; then
	echo "  daemon problems:"
	sed 's/^ *//; s/^/    /' "$TMP/problems"
	exit 1
fi
echo "  daemon problems: none"
