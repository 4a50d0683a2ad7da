#!/usr/bin/env bash
# The long fuzzing run (docs/fuzzing.md): each harness of the clang fuzz
# build in turn, niced, until it has run RUNS inputs or SECONDS passed,
# whichever comes first, from its seed corpus; then one Markdown table row
# per harness: executions, time, speed, coverage (edges, features), corpus
# and crashes. Work corpora and crashing inputs stay in build-fuzz/long/.
#   scripts/fuzz-long.sh [-r RUNS] [-t SECONDS] [-j JOBS] [HARNESS...]
# Defaults: 10,000,000 runs, 3600 s, one harness at a time (-j 2 runs two).
set -uo pipefail
cd "$(dirname "$0")/.."
runs=10000000 secs=3600 jobs=1
while getopts r:t:j: o; do
	case $o in
	r) runs=$OPTARG ;;
	t) secs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
bash scripts/deps.sh
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dtests=disabled -Dfuzz=enabled >/dev/null || exit 1
fi
ninja -C build-fuzz fuzz >/dev/null || exit 1
out=build-fuzz/long
mkdir -p "$out/crashes"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=($(ls fuzz/corpus))

one() {
	local h=$1 work=$out/$1 tmp
	mkdir -p "$work"
	tmp=$(mktemp -d /dev/shm/cfs-fuzz.XXXXXX 2>/dev/null || mktemp -d)
	local start=$SECONDS
	TMPDIR=$tmp nice -n 19 "build-fuzz/fuzz/fuzz_$h" -runs="$runs" -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$h-" "$work" "fuzz/corpus/$h" >"$out/$h.log" 2>&1
	local status=$? took=$((SECONDS - start))
	rm -rf "$tmp"
	local execs speed cov ft corp crashes
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$h.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/$h.log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$out/$h.log" | tail -1 | cut -d' ' -f2)
	corp=$(ls "$work" | wc -l)
	crashes=$(ls "$out/crashes" | grep -c "^$h-" || true)
	printf '| %s | %s | %s s | %s | %s | %s | %s | %s | %s |\n' "$h" "${execs:-?}" "$took" \
		"${speed:-?}" "${cov:-?}" "${ft:-?}" "$corp" "$crashes" \
		"$([ $status -eq 0 ] && echo ok || echo "exit $status")" >"$out/$h.row"
}

echo "| harness | executions | time | execs/s | edges | features | corpus | crashes | result |"
echo "|---|---|---|---|---|---|---|---|---|"
running=0
for h in "${harnesses[@]}"; do
	one "$h" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for h in "${harnesses[@]}"; do cat "$out/$h.row"; done
