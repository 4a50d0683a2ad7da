#!/bin/sh
# Runs one libFuzzer harness for a bounded time from its seed corpus:
#   run-fuzzer.sh HARNESS CORPUS_DIR SECONDS [libFuzzer options...]
# Writes nothing into the source tree: the inputs it finds go to a
# temporary directory (removed at the end, with whatever the harness made
# in $TMPDIR). A crashing input is kept next to the harness, in
# crashes/, and shown in hex so that a CI log alone can reproduce it.
set -u
exe=$1 corpus=$2 secs=${CFS_FUZZ_SECONDS:-$3}
shift 3
tmp=$(mktemp -d /dev/shm/cfs-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
crashes=$(dirname "$exe")/crashes
mkdir -p "$tmp/new" "$crashes"
name=$(basename "$exe")
rm -f "$crashes/$name"-*
TMPDIR=$tmp "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	-print_final_stats=1 -artifact_prefix="$crashes/$name-" "$@" "$tmp/new" "$corpus" 2>&1
status=$?
for f in "$crashes/$name"-*; do
	[ -f "$f" ] || continue
	echo "$name: crashing input $f:"
	od -An -tx1 -v "$f" | head -64
done
exit $status
