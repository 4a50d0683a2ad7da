#!/usr/bin/env bash
# Benchmark (not a test): does one user's flood, within its quotas, slow
# down an admin's changes?
#
#   scripts/bench-flood.sh [--binary PATH]
#
# One run (about 5 minutes): runs a copy of build/daemon/clusterfs
# (built if needed; --binary takes another, e.g. an older build, to
# compare) on a fresh state directory and mount point under a mktemp -d,
# with default quotas, and a registry of BENCH_VALUES values (so that a
# snapshot costs something). Then, for each flood below, run as nobody by
# scripts/bench/flood.c, and once with no flood, root makes BENCH_N
# registry changes (one write(2) to control each, BENCH_GAP_US apart) and
# reads them from an anonymous port with a blocking read()
# (scripts/bench/portlat.c). It reports, in microseconds:
#   write   the write() itself: the change committed and acknowledged
#   rec     from before the write() to the admin's reader having the record
# BENCH_ROUNDS rounds of (no flood, each flood) in turn, as the machine's
# load changes; the summary gives each figure's median over the rounds.
# Floods (nobody, at its default quotas):
#   readers    64 named ports and 256 anonymous ones, 256 registrations
#              "all" each, 256 readers of the named ports: every record is
#              formatted 131,072 times for this user; it reads them all.
#   churn      mkdir, 16 filter lines, an open and rmdir of named ports in
#              a loop.
#   snapshots  a snapshot reader of everything opened and closed in a loop.
# Needs root (it runs the flood as nobody). Knobs (environment):
#   BENCH_N=300  BENCH_GAP_US=2000  BENCH_VALUES=20000  BENCH_ROUNDS=3  BENCH_TMP=DIR
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN_SRC=$ROOT/build/daemon/clusterfs
case "${1:-}" in
-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
--binary) BIN_SRC=$2 ;;
"") ;;
*) echo "bench-flood: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
N=${BENCH_N:-300}
GAP_US=${BENCH_GAP_US:-2000}
VALUES=${BENCH_VALUES:-20000}
ROUNDS=${BENCH_ROUNDS:-3}
[ "$(id -u)" -eq 0 ] || { echo "bench-flood: needs root" >&2; exit 1; }

if [ "$BIN_SRC" = "$ROOT/build/daemon/clusterfs" ] &&
	{ [ ! -x "$BIN_SRC" ] || ! ninja -C build -n 2>/dev/null | grep -q 'no work to do'; }; then
	echo "-- building (scripts/build.sh)"
	bash scripts/build.sh
fi
TMP=$(mktemp -d "${BENCH_TMP:-/tmp}/cfs-flood.XXXXXX")
chmod 755 "$TMP"
MNT=$TMP/mnt
mkdir "$MNT"
DPID="" FPID=""
cleanup() {
	[ -n "$FPID" ] && kill "$FPID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	fusermount3 -u -z "$MNT" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
cp "$BIN_SRC" "$TMP/clusterfs"
for p in portlat flood; do
	cc -O2 -Wall -pthread -o "$TMP/$p" "$ROOT/scripts/bench/$p.c"
done

"$TMP/clusterfs" -f --state-dir "$TMP/state" "$MNT" 2>"$TMP/daemon.log" &
DPID=$!
for _ in $(seq 500); do cat "$MNT/name" >/dev/null 2>&1 && break; sleep 0.02; done
echo "clusterfs $("$TMP/clusterfs" -V | cut -d' ' -f2), $(nproc) cores, $(uname -r), $(date -u '+%F %T') UTC"
echo "registry: $VALUES values in key Data; admin: $N changes, ${GAP_US} us apart"
python3 - "$MNT" "$VALUES" <<'PY'
import os, sys
m, n = sys.argv[1], int(sys.argv[2])
fd = os.open(m + "/control", os.O_WRONLY)
os.write(fd, b"reg-create-key Data\nreg-create-key Bench\n")
for i in range(0, n, 2000):
    os.write(fd, "".join("reg-set Data v%d REG_SZ %s\n" % (j, "x" * 100) for j in range(i, min(n, i + 2000))).encode())
os.close(fd)
PY

U="setpriv --reuid=65534 --regid=65534 --clear-groups"
COLS="write_p50 write_p90 write_p99 before_p50 before_p90 before_p99"
header() {
	printf '%-10s %-36s %9s %9s %9s %9s %9s %9s\n' "$1" "$2" write_p50 write_p90 write_p99 \
		rec_p50 rec_p90 rec_p99
}
measure() {
	local name=$1 what=$2 r c
	r=$("$TMP/portlat" read "$MNT/ports/clone" "$MNT/control" "$N" "$GAP_US" kind=registry Bench v)
	g() { tr ' ' '\n' <<<"$r" | sed -n "s/^$1=//p"; }
	printf '%-10s %-36s' "$name" "$what"
	for c in $COLS; do printf ' %9s' "$(g "$c")"; done
	echo
	echo "$name $(for c in $COLS; do printf '%s ' "$(g "$c")"; done)" >>"$TMP/rows"
	[ "$(g lost)" = 0 ] || echo "           (records lost: $(g lost), errors: $(g errors))"
}
flood() {
	local name=$1
	shift
	$U "$TMP/flood" "$@" >"$TMP/flood.out" 2>"$TMP/flood.err" &
	FPID=$!
	for _ in $(seq 600); do grep -q READY "$TMP/flood.out" && break; sleep 0.1; done
	sleep 1
	local before after
	before=$(tail -n 1 "$TMP/flood.out")
	measure "$name" "$(grep READY "$TMP/flood.out" | cut -d' ' -f2-)"
	after=$(tail -n 1 "$TMP/flood.out")
	kill "$FPID"; wait "$FPID" 2>/dev/null || true
	FPID=""
	[ "$before" = "$after" ] || echo "           meanwhile: $before -> $after"
	for d in "$MNT"/ports/*/; do rmdir "$d" 2>/dev/null || true; done
}
for round in $(seq "$ROUNDS"); do
	echo
	header "round $round" "the flooding user"
	measure none "-"
	flood readers readers "$MNT" 64 256 256 256
	flood churn churn "$MNT"
	flood snapshots snapshots "$MNT"
done
echo
header "median of $ROUNDS" ""
for name in none readers churn snapshots; do
	printf '%-10s %-36s' "$name" ""
	for i in 2 3 4 5 6 7; do
		printf ' %9s' "$(awk -v n="$name" -v i="$i" '$1 == n { print $i }' "$TMP/rows" | sort -g |
			awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
	done
	echo
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "daemon log (notices):"
grep -v ': info: ' "$TMP/daemon.log" | sort | uniq -c | sort -rn | head -n 8 || true
