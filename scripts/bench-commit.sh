#!/usr/bin/env bash
# Benchmark (not a test): issue 14's notification and commit rows, each
# against its reference measured in the same run, with the ratio.
#
#   scripts/bench-commit.sh [--small] [--ports] [--plots DIR] [--trace]
#
#   1. change -> inotify IN_MODIFY vs change -> port record, for the SAME
#      changes (reg-set through the control file, one write(2) each): a
#      port reader blocked in read() and an inotify watcher on the value
#      file, both timed when their read() returns; from write() returning
#      and from before write(). Target: inotify <= 1.5x / 3x the port
#      reader at p50 / p99.
#   2. durable write(): one writer, reg-set through the control file, the
#      next write as soon as the last returns; reference: a bare SQLite WAL
#      synchronous=FULL commit of one row, back to back, in a database next
#      to the daemon's state directory (same disk). Target: p50 <= 1.5x.
#   3. group commit: 8 writers against 1 writer, acknowledged writes/s;
#      each writer rewrites its own value file (one inode each). Target:
#      >= 5x. For comparison, the same through the control file, where the
#      kernel lets one write(2) per FUSE inode through at a time.
#   4. port throughput: the journal pre-filled, a named port (filter all,
#      start 1), one reader, 64 KiB reads; reference: the same records in
#      a tmpfs file, read with 64 KiB reads. The events file is opened
#      read-write (a stream, as programs and libclusapi read it; read-only
#      it is the tools' mode, one line per read, also shown). Target:
#      >= 8 M records/s and >= 25% of the tmpfs bytes/s. The ceiling of
#      any FUSE file system here: scripts/bench/fusemin, a FUSE file system
#      that only answers each read with the next whole lines of the same
#      records from memory, with the daemon's FUSE options and open flags,
#      run multi-threaded (fuse_session_loop_mt, as the daemon) and
#      single-threaded (fuse_session_loop); the same reader program.
#      The journal keeps 65536 records (13 MB, some 10 ms of reading), so
#      each of the four runs BENCH_REPS times (default 15; 31 without
#      --small), in turn: medians, and min..max. The port's first pass,
#      which formats each record's JSON (kept with the record for every
#      later reader), is shown apart.
#   Then the summary, and with --plots DIR, the latency distributions as
#   PNG (gnuplot; scripts/bench-deps.sh installs it) with the data files.
#   With --trace, where the time goes: the FUSE requests per change by
#   who sends them (perf, tracepoint fuse:fuse_request_send) and the
#   replayer's system calls per change (strace -c) for 1; the daemon's
#   system calls per durable write (strace -c -f) for 2.
#
# The daemon runs in a network namespace of its own (unshare --net) and
# without resource agents (--ocf-root=/nonexistent): otherwise interfaces
# that other work on the machine makes and removes, and the agents'
# resource types at start, are changes it commits and replays meanwhile.
#
# --ports: part 4 only (with its summary row).
#
# --small: fewer changes and shorter runs (under 2 minutes). Needs root
# (tmpfs; the daemon replays inotify events only as root). Knobs
# (environment): BENCH_N (changes in 1 and writes in 2), BENCH_SECS (each
# run of 3), BENCH_PREFILL (records for 4), BENCH_TMP (where the temp
# directory goes: the state directory and the SQLite reference share its
# disk), BENCH_BIN (the daemon binary; default build/daemon/clusterfs),
# BENCH_DAEMON_OPTS (extra daemon options), BENCH_REPS (runs of each
# measurement of 4).
#
# Back-ends: this runs the local back-end. The Corosync back-end commits
# through the same engine after the ordering round (scripts/cluster.sh
# makes a cluster of network namespaces); its figures are those of
# scripts/bench-cluster.sh, not repeated here.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SMALL=0 PLOTS="" TRACE=0 PORTS_ONLY=0
while [ $# -gt 0 ]; do
	case $1 in
	--small) SMALL=1 ;;
	--plots) PLOTS=$(realpath -m "$2"); shift ;;
	--trace) TRACE=1 ;;
	--ports) PORTS_ONLY=1 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-commit: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ "$SMALL" = 1 ]; then
	N=${BENCH_N:-500} SECS=${BENCH_SECS:-4} PREFILL=${BENCH_PREFILL:-60000} REPS=${BENCH_REPS:-15}
else
	N=${BENCH_N:-2000} SECS=${BENCH_SECS:-10} PREFILL=${BENCH_PREFILL:-200000} REPS=${BENCH_REPS:-31}
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "bench-commit: needs root (tmpfs; the daemon replays inotify events only as root)" >&2
	exit 1
fi

calc() { awk -v OFMT=%.6f "BEGIN { print ($1) }"; }
isnum() { [[ ${1:-} =~ ^-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?$ ]]; }
getv() { awk -v k="$2" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); f = 1; exit } } END { if (!f) print "n/a" }' <<<"$1"; }
ratio() { if isnum "${1:-}" && isnum "${2:-}" && [ "$(calc "$2 > 0")" = 1 ]; then calc "sprintf(\"%.2f\", $1 / $2)"; else echo n/a; fi; }
met() {
	if ! isnum "${1:-}"; then echo "NOT met (no figure)"
	elif [ "$(calc "($1 $2 $3) ? 1 : 0")" = 1 ]; then echo met
	else echo "NOT met"; fi
}
is_mounted() { awk -v p="$1" '$2 == p { f = 1 } END { exit !f }' /proc/self/mounts; }
alive() { [ -n "${1:-}" ] && [ -e "/proc/$1" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
ctl() { printf '%s\n' "$@" >"$MNT/control"; }

cleanup() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM
	if alive "${DPID:-}"; then
		kill -TERM "$DPID"
		for ((i = 0; i < 200; i++)); do alive "$DPID" || break; sleep 0.05; done
		alive "$DPID" && kill -KILL "$DPID"
		wait "$DPID" 2>/dev/null
	fi
	for i in "${FPID:-}" "${FPID1:-}"; do alive "$i" && { kill -TERM "$i"; wait "$i" 2>/dev/null; }; done
	for i in "${FMNT:-}" "${FMNT1:-}"; do
		if [ -n "$i" ] && is_mounted "$i"; then fusermount3 -u -z "$i" 2>/dev/null || umount -l "$i"; fi
	done
	if [ -n "${MNT:-}" ] && is_mounted "$MNT"; then fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"; fi
	if [ -n "${TMPFS:-}" ] && is_mounted "$TMPFS"; then umount "$TMPFS" 2>/dev/null || umount -l "$TMPFS"; fi
	if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
		if { [ -n "${MNT:-}" ] && is_mounted "$MNT"; } || { [ -n "${TMPFS:-}" ] && is_mounted "$TMPFS"; } ||
			{ [ -n "${FMNT:-}" ] && is_mounted "$FMNT"; } ||
			{ [ -n "${FMNT1:-}" ] && is_mounted "$FMNT1"; }; then
			echo "bench-commit: something is still mounted; leaving $TMP" >&2
		else
			rm -rf --one-file-system "$TMP"
		fi
	fi
	exit "$rc"
}

# Waits (up to 30 s) until the daemon has been idle for 0.3 s.
wait_idle() {
	local a b i
	for ((i = 0; i < 100; i++)); do
		a=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null || echo 0)
		sleep 0.3
		b=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null || echo 0)
		[ $((b - a)) -le 1 ] && return 0
	done
}

# run NAME CMD...: runs a measuring program (5 minutes at most); R is its
# RESULT line, or "RESULT failed=1".
run() {
	local name=$1
	shift
	R=$(timeout 300 "$@" 2>"$TMP/err.$name" | grep '^RESULT' | tail -1 || true)
	if [ -s "$TMP/err.$name" ]; then echo "   ($name stderr: $(head -c 300 "$TMP/err.$name" | tr '\n' ' '))"; fi
	if ! alive "$DPID"; then echo "bench-commit: the daemon died during $name; its log:" >&2; tail -5 "$LOG" >&2; exit 1; fi
	[ -n "$R" ] || R="RESULT failed=1"
}

# ---- build, temp dir, daemon ----------------------------------------------------
t_start=$SECONDS
echo "== clusterfs commit and notification benchmark ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo))$([ "$SMALL" = 1 ] && echo ', --small')"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine shows in every figure)"
SRC_BIN=${BENCH_BIN:-$ROOT/build/daemon/clusterfs}
if [ -z "${BENCH_BIN:-}" ] && { [ ! -x "$SRC_BIN" ] || ! ninja -C build -n 2>/dev/null | grep -q 'no work to do'; }; then
	echo "-- building (scripts/build.sh)"
	bash scripts/build.sh >/dev/null || [ -x "$SRC_BIN" ] || { echo "bench-commit: the build failed" >&2; exit 1; }
fi
TMP=$(mktemp -d "${BENCH_TMP:-/var/tmp}/bench-commit.XXXXXX")
STATE=$TMP/state MNT=$TMP/mnt FMNT=$TMP/fmnt FMNT1=$TMP/fmnt1 TMPFS=$TMP/tmpfs LOG=$TMP/daemon.log BINDIR=$TMP/bin DATA=$TMP/data
mkdir -p "$STATE" "$MNT" "$FMNT" "$FMNT1" "$TMPFS" "$BINDIR" "$DATA"
DPID="" FPID="" FPID1=""
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
BIN=$TMP/clusterfs
cp "$SRC_BIN" "$BIN"
echo "   binary: $SRC_BIN; git: $(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null | cut -c1-70)$(git -C "$ROOT" diff --quiet HEAD -- core fs daemon 2>/dev/null || echo ' + uncommitted changes')"
for p in chglat gcommit sqlref tput fread64 feed; do
	extra=""
	[ "$p" = sqlref ] && extra=-lsqlite3
	# shellcheck disable=SC2086 # one word or none
	cc -O2 -Wall -pthread -o "$BINDIR/$p" "$ROOT/scripts/bench/$p.c" $extra ||
		{ echo "bench-commit: cannot compile scripts/bench/$p.c" >&2; exit 1; }
done
# shellcheck disable=SC2046 # pkg-config's words
cc -O2 -Wall -pthread -o "$BINDIR/fusemin" "$ROOT/scripts/bench/fusemin.c" $(pkg-config --cflags --libs fuse3) ||
	{ echo "bench-commit: cannot compile scripts/bench/fusemin.c" >&2; exit 1; }
mount -t tmpfs -o mode=0755 bench-commit "$TMPFS"
echo "   temp: $TMP (state directory on $(df --output=source,fstype "$STATE" | tail -1 | tr -s ' '))"
# shellcheck disable=SC2086 # a list of words
unshare --net "$BIN" -f --ocf-root=/nonexistent ${BENCH_DAEMON_OPTS:-} --state-dir "$STATE" "$MNT" 2>>"$LOG" &
DPID=$!
for ((i = 0; i < 600; i++)); do
	cat "$MNT/name" >/dev/null 2>&1 && break
	alive "$DPID" || { echo "bench-commit: the daemon exited; its log:" >&2; tail -5 "$LOG" >&2; exit 1; }
	sleep 0.1
done
echo "   daemon pid $DPID"
ctl 'reg-create-key Lat' 'reg-set Lat v sz init' 'reg-create-key G' 'reg-create-key GV'
printf 'reg-set GV w%d sz 00000000\n' 0 1 2 3 4 5 6 7 >"$MNT/control"
wait_idle

# Parts 1 to 3 (not with --ports; left unindented).
if [ "$PORTS_ONLY" = 0 ]; then
# ---- 1. inotify vs port reader -------------------------------------------------
echo
echo "-- 1. change -> IN_MODIFY and change -> port record, the same $N changes (1 ms apart); microseconds"
run chglat "$BINDIR/chglat" "$MNT" Lat v "$N" 1000 "$DATA/notify.dat"
R1=$R
printf '   %-36s %9s %9s %9s\n' "" p50 p90 p99
for k in ino:"inotify, from write() returned" port:"port read(), from write() returned" \
	ino0:"inotify, from before write()" port0:"port read(), from before write()" \
	gap:"inotify after the port record"; do
	printf '   %-36s %9s %9s %9s\n' "${k#*:}" "$(getv "$R1" "${k%%:*}_p50")" "$(getv "$R1" "${k%%:*}_p90")" "$(getv "$R1" "${k%%:*}_p99")"
done
echo "   changes $(getv "$R1" got)/$N, lost: events $(getv "$R1" lost_ino), records $(getv "$R1" lost_port); the record came before write() returned for $(getv "$R1" port_before_return), the event for $(getv "$R1" ino_before_return)"
wait_idle
RPID=$(pgrep -P "$DPID" | head -1 || true)
if [ "$TRACE" = 1 ] && [ -n "$RPID" ]; then
	echo "   trace (300 more changes): FUSE requests per change, by who sends them"
	perf record -q -e fuse:fuse_request_send -a -o "$TMP/perf.data" -- \
		"$BINDIR/chglat" "$MNT" Lat v 300 1000 "$TMP/trace.dat" >/dev/null 2>&1 || true
	perf script -i "$TMP/perf.data" -F comm,pid,trace 2>/dev/null >"$TMP/perf.txt" || true
	conn=$(awk -v rp="$RPID" '$2 == rp { for (i = 1; i <= NF; i++) if ($i == "connection") { print $(i + 1); exit } }' "$TMP/perf.txt")
	awk -v c="$conn" -v rp="$RPID" '{ for (i = 1; i <= NF; i++) { if ($i == "connection") cc = $(i + 1); if ($i ~ /^\(FUSE_/) op = $i } }
		cc != c { next } { n[($2 == rp ? "replayer" : $1) " " op]++ }
		END { for (k in n) printf "      %5.2f  %s\n", n[k] / 300, k }' "$TMP/perf.txt" | sort -k2
	strace -c -p "$RPID" -o "$TMP/strace.rp" 2>/dev/null &
	spid=$!
	sleep 0.5
	"$BINDIR/chglat" "$MNT" Lat v 300 1000 "$TMP/trace.dat" >/dev/null 2>&1 || true
	kill -INT "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
	echo "   the replayer's system calls per change (strace -c):"
	awk '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { printf "      %5.2f  %s\n", $4 / 300, $NF }' "$TMP/strace.rp"
	wait_idle
fi

# ---- 2. durable write vs SQLite -------------------------------------------------
echo
echo "-- 2. durable write(): 1 writer back to back ($SECS s) vs a bare SQLite WAL synchronous=FULL one-row commit ($N, same disk); microseconds"
run commit1 "$BINDIR/gcommit" value "$MNT" GV 1 "$SECS" "$DATA/write.dat"
R2=$R
run sqlite "$BINDIR/sqlref" "$TMP/ref.db" "$N" "$DATA/sqlite.dat"
R2S=$R
printf '   %-36s %9s %9s %9s\n' "" p50 p90 p99
printf '   %-36s %9s %9s %9s\n' "clusterfs write() of a value file" "$(getv "$R2" write_p50)" "$(getv "$R2" write_p90)" "$(getv "$R2" write_p99)"
printf '   %-36s %9s %9s %9s\n' "SQLite one-row commit" "$(getv "$R2S" commit_p50)" "$(getv "$R2S" commit_p90)" "$(getv "$R2S" commit_p99)"
wait_idle
if [ "$TRACE" = 1 ]; then
	strace -c -f -p "$DPID" -o "$TMP/strace.d" 2>/dev/null &
	spid=$!
	sleep 0.5
	RT=$("$BINDIR/gcommit" value "$MNT" GV 1 2 | grep '^RESULT' || true)
	kill -INT "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
	nw=$(getv "$RT" writes)
	echo "   trace: the daemon's system calls per durable write (strace -c -f, $nw writes, slowed by strace), the replays included:"
	awk -v n="$nw" '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" { c = ($5 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/) ? $4 : $4; if (c ~ /^[0-9]+$/) printf "      %5.2f  %s\n", c / n, $NF }' "$TMP/strace.d"
	strace -c -f -o "$TMP/strace.s" "$BINDIR/sqlref" "$TMP/ref2.db" 500 /dev/null >/dev/null 2>&1 || true
	echo "   the SQLite reference's system calls per commit:"
	awk '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ { printf "      %5.2f  %s\n", $4 / 500, $NF }' "$TMP/strace.s" | awk '$1 >= 0.5'
	wait_idle
fi

# ---- 3. group commit ------------------------------------------------------------
echo
echo "-- 3. group commit: acknowledged writes/s, 1 writer and 8 writers ($SECS s each)"
C1=$(getv "$R2" cps)
echo "   value files, 1 writer:  $(getv "$R2" writes) writes, $(printf '%.0f' "$C1")/s, write() p50 $(getv "$R2" write_p50) us"
run commit8 "$BINDIR/gcommit" value "$MNT" GV 8 "$SECS" "$DATA/write8.dat"
R3=$R
C8=$(getv "$R3" cps)
echo "   value files, 8 writers: $(getv "$R3" writes) writes, $(printf '%.0f' "$C8")/s, write() p50 $(getv "$R3" write_p50) us, p99 $(getv "$R3" write_p99) us, errors $(getv "$R3" errors)"
wait_idle
run ctl1 "$BINDIR/gcommit" control "$MNT" G 1 "$SECS"
R3C1=$R
run ctl8 "$BINDIR/gcommit" control "$MNT" G 8 "$SECS"
R3C8=$R
echo "   control file, 1 writer: $(printf '%.0f' "$(getv "$R3C1" cps)")/s (write() p50 $(getv "$R3C1" write_p50) us); 8 writers: $(printf '%.0f' "$(getv "$R3C8" cps)")/s (p50 $(getv "$R3C8" write_p50) us): $(ratio "$(getv "$R3C8" cps)" "$(getv "$R3C1" cps)")x"
wait_idle
fi

# ---- 4. port throughput ------------------------------------------------------------
echo
echo "-- 4. port throughput: $PREFILL records, named port (filter all, start 1), 1 reader, 64 KiB reads; reference: the same records in a tmpfs file"
awk -v n="$PREFILL" 'BEGIN { print "reg-create-key Fill"; for (i = 0; i < n; i++) printf "reg-set Fill v%d sz %d\n", i % 1000, i + 1 }' >"$TMP/fill.txt"
run prefill "$BINDIR/feed" "$MNT/control" "$TMP/fill.txt" 400000
ctl 'reg-set Fill end sz 1'
wait_idle
mkdir "$MNT/ports/tp"
echo all >"$MNT/ports/tp/filter"
echo 1 >"$MNT/ports/tp/start"
# med KEY R...: the R whose KEY is the median; spread KEY R...: "min..max".
med() { local k=$1 r m=$(((($# - 1) + 1) / 2)); shift; for r in "$@"; do echo "$(getv "$r" "$k") $r"; done | sort -g | sed -n "${m}p" | cut -d' ' -f2-; }
spread() { local k=$1 r; shift; for r in "$@"; do getv "$r" "$k"; done | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f..%.2f M", v[1] / 1e6, v[NR] / 1e6 }'; }
run tput-first "$BINDIR/tput" "$MNT/ports/tp/events" 1 65536 '"prop":"end"' rw
R4FIRST=$R
RECS=$(getv "$R4FIRST" records)
head -n "$RECS" "$MNT/ports/tp/events" >"$TMPFS/records"
# The ceiling: the same records from fusemin, the same reader (tput),
# multi-threaded (as the daemon) and single-threaded. The four are run in
# turn in each round, so that other work on the machine weighs on them
# alike.
"$BINDIR/fusemin" "$FMNT" "$TMPFS/records" mt 2>>"$TMP/err.fusemin" &
FPID=$!
"$BINDIR/fusemin" "$FMNT1" "$TMPFS/records" st 2>>"$TMP/err.fusemin" &
FPID1=$!
for ((i = 0; i < 100; i++)); do [ -e "$FMNT/events" ] && [ -e "$FMNT1/events" ] && break; sleep 0.05; done
TPS=() CS=() CT=() FR=()
for ((i = 1; i <= REPS; i++)); do
	run "tput$i" "$BINDIR/tput" "$MNT/ports/tp/events" 1 65536 '"prop":"end"' rw
	TPS+=("$R")
	run "fusemin-mt$i" "$BINDIR/tput" "$FMNT/events" 1 65536 '"prop":"end"' rw
	CS+=("$R")
	run "fusemin-st$i" "$BINDIR/tput" "$FMNT1/events" 1 65536 '"prop":"end"' rw
	CT+=("$R")
	run "fread$i" "$BINDIR/fread64" "$TMPFS/records" 65536 0.02
	FR+=("$R")
done
run tput-ro "$BINDIR/tput" "$MNT/ports/tp/events" 1 65536 '"prop":"end"'
R4RO=$R
R4=$(med agg_rps "${TPS[@]}") R4C=$(med agg_rps "${CS[@]}") R4T=$(med agg_rps "${CT[@]}") R4F=$(med rps "${FR[@]}")
R4CS=$(spread agg_rps "${CS[@]}") R4TS=$(spread agg_rps "${CT[@]}")
PORT_BPS=$(calc "$(getv "$R4" MBps) * 1e6")
echo "   port, first pass (formats each record once): $(printf '%.0f' "$(getv "$R4FIRST" agg_rps)") records/s"
echo "   port (median of $REPS, $(spread agg_rps "${TPS[@]}")): $(getv "$R4" records) records in $(getv "$R4" wall_s) s = $(printf '%.0f' "$(getv "$R4" agg_rps)") records/s, $(getv "$R4" MBps) MB/s ($(getv "$R4" bytes_per_record) bytes/record, $(getv "$R4" bytes_per_read) bytes/read); complete $(getv "$R4" complete)/1"
echo "   read-only (tools: one line per read): $(printf '%.0f' "$(getv "$R4RO" agg_rps)") records/s"
echo "   ceiling, fusemin multi-threaded (median of $REPS, $R4CS): $(printf '%.0f' "$(getv "$R4C" agg_rps)") records/s, $(getv "$R4C" MBps) MB/s ($(getv "$R4C" bytes_per_read) bytes/read); port/ceiling $(ratio "$(getv "$R4" agg_rps)" "$(getv "$R4C" agg_rps)")"
echo "   ceiling, fusemin single-threaded (median of $REPS, $R4TS): $(printf '%.0f' "$(getv "$R4T" agg_rps)") records/s, $(getv "$R4T" MBps) MB/s; port/ceiling $(ratio "$(getv "$R4" agg_rps)" "$(getv "$R4T" agg_rps)")"
echo "   tmpfs file (median of $REPS, $(spread rps "${FR[@]}")): $(printf '%.0f' "$(getv "$R4F" rps)") records/s, $(calc "sprintf(\"%.1f\", $(getv "$R4F" Bps) / 1e6)") MB/s; port/tmpfs $(ratio "$(getv "$R4" agg_rps)" "$(getv "$R4F" rps)"), ceiling (mt)/tmpfs $(ratio "$(getv "$R4C" agg_rps)" "$(getv "$R4F" rps)")"
rmdir "$MNT/ports/tp"
fusermount3 -u "$FMNT" && fusermount3 -u "$FMNT1"
wait "$FPID" "$FPID1" 2>/dev/null || true

# ---- summary --------------------------------------------------------------------------
echo
echo "================ summary (load average now $(cut -d' ' -f1-3 /proc/loadavg)) ================"
row() { printf '  %-52s %-36s %s\n' "$1" "$2" "$3"; }
if [ "$PORTS_ONLY" = 0 ]; then
IR50=$(ratio "$(getv "$R1" ino_p50)" "$(getv "$R1" port_p50)")
IR99=$(ratio "$(getv "$R1" ino_p99)" "$(getv "$R1" port_p99)")
I0R50=$(ratio "$(getv "$R1" ino0_p50)" "$(getv "$R1" port0_p50)")
I0R99=$(ratio "$(getv "$R1" ino0_p99)" "$(getv "$R1" port0_p99)")
row "inotify / port reader, from write() returned" "p50 ${IR50}x, p99 ${IR99}x" "$( [ "$(met "$IR50" "<=" 1.5)" = met ] && [ "$(met "$IR99" "<=" 3)" = met ] && echo met || echo "NOT met (target 1.5x / 3x)")"
row "inotify / port reader, from before write()" "p50 ${I0R50}x, p99 ${I0R99}x" "$( [ "$(met "$I0R50" "<=" 1.5)" = met ] && [ "$(met "$I0R99" "<=" 3)" = met ] && echo met || echo "NOT met (target 1.5x / 3x)")"
row "  (absolute: inotify p50 / p99 from write() returned)" "$(getv "$R1" ino_p50) / $(getv "$R1" ino_p99) us" ""
WR=$(ratio "$(getv "$R2" write_p50)" "$(getv "$R2S" commit_p50)")
row "durable write() p50 / SQLite one-row commit p50" "$(getv "$R2" write_p50) / $(getv "$R2S" commit_p50) us = ${WR}x" "$(met "$WR" "<=" 1.5) (target 1.5x)"
GR=$(ratio "$C8" "$C1")
row "group commit: 8 writers / 1 writer" "$(printf '%.0f / %.0f' "$C8" "$C1") writes/s = ${GR}x" "$(met "$GR" ">=" 5) (target 5x)"
fi
TPR=$(getv "$R4" agg_rps)
TB=$(calc "sprintf(\"%.1f\", 100 * $PORT_BPS / $(getv "$R4F" Bps))")
row "port throughput, 1 reader, 64 KiB reads" "$(printf '%.0f' "$TPR") records/s, ${TB}% of tmpfs" "$( [ "$(met "$TPR" ">=" 8000000)" = met ] && [ "$(met "$TB" ">=" 25)" = met ] && echo met || echo "NOT met (target 8 M/s and 25%)")"
CR=$(ratio "$TPR" "$(getv "$R4C" agg_rps)")
row "  (ceiling: a FUSE file system that only replies)" "$(printf '%.0f' "$(getv "$R4C" agg_rps)") records/s; the port ${CR}x of it" ""
row "whole benchmark" "$((SECONDS - t_start)) s" ""

# ---- plots ------------------------------------------------------------------------------
if [ -n "$PLOTS" ] && [ "$PORTS_ONLY" = 0 ]; then
	mkdir -p "$PLOTS"
	cp "$DATA"/*.dat "$PLOTS/"
	if command -v gnuplot >/dev/null; then
		# Cumulative distributions: each data column sorted, against its rank.
		cdf() { awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }'; }
		cdf "$DATA/notify.dat" 3 >"$PLOTS/cdf-ino.dat"
		cdf "$DATA/notify.dat" 4 >"$PLOTS/cdf-port.dat"
		cdf "$DATA/notify.dat" 5 >"$PLOTS/cdf-ino0.dat"
		cdf "$DATA/notify.dat" 6 >"$PLOTS/cdf-port0.dat"
		cdf "$DATA/write.dat" 1 >"$PLOTS/cdf-write.dat"
		cdf "$DATA/write8.dat" 1 >"$PLOTS/cdf-write8.dat"
		cdf "$DATA/sqlite.dat" 1 >"$PLOTS/cdf-sqlite.dat"
		host="$(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1 /proc/loadavg)"
		gnuplot <<-EOF
			set terminal pngcairo size 900,520 font ",10" noenhanced
			set grid
			set key bottom right
			set ylabel "fraction of changes"
			set xlabel "microseconds"
			set output "$PLOTS/bench-notify-latency.png"
			set title "change -> event, the same $N changes ($host)"
			set xrange [-300:2500]
			plot "$PLOTS/cdf-port.dat" u 1:2 w l lw 2 t "port read(), from write() returned", \
			     "$PLOTS/cdf-ino.dat" u 1:2 w l lw 2 t "inotify IN_MODIFY, from write() returned", \
			     "$PLOTS/cdf-port0.dat" u 1:2 w l lw 2 dt 2 t "port read(), from before write()", \
			     "$PLOTS/cdf-ino0.dat" u 1:2 w l lw 2 dt 2 t "inotify IN_MODIFY, from before write()"
			set output "$PLOTS/bench-commit-latency.png"
			set title "durable write() vs a bare SQLite WAL synchronous=FULL commit ($host)"
			set xrange [0:3000]
			plot "$PLOTS/cdf-sqlite.dat" u 1:2 w l lw 2 t "SQLite one-row commit", \
			     "$PLOTS/cdf-write.dat" u 1:2 w l lw 2 t "clusterfs write(), 1 writer", \
			     "$PLOTS/cdf-write8.dat" u 1:2 w l lw 2 t "clusterfs write(), 8 writers (each its own value file)"
		EOF
		rm -f "$PLOTS"/cdf-*.dat
		echo "  plots: $PLOTS/bench-notify-latency.png, $PLOTS/bench-commit-latency.png"
	else
		echo "  no gnuplot (scripts/bench-deps.sh installs it): data only in $PLOTS"
	fi
fi
