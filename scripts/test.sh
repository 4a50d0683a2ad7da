#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. Ends with one line
# "N passed, N failed" counting every test case, and exits non-zero on any
# failure.
#   scripts/test.sh [--sanitize] [meson test arguments...]
set -uo pipefail
cd "$(dirname "$0")/.."
builddir=build
setup=()
if [ "${1:-}" = "--sanitize" ]; then
	shift
	builddir=build-sanitize
	setup=(-Db_sanitize=address,undefined -Db_lundef=false)
fi
if ! BUILDDIR=$builddir bash scripts/build.sh "${setup[@]}"; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# A stale log must not be counted if meson test cannot run (a failed rebuild).
rm -f "$builddir/meson-logs/testlog.json"
meson test -C "$builddir" --print-errorlogs "$@"
status=$?
# Safety net: a test that was killed (timeout, crash) cannot clean up after
# itself. Detach and remove what such a test left, and say so.
for d in /tmp/cfs-test.*; do
	[ -d "$d" ] || continue
	if [ -d "$d/mnt" ] && ! pgrep -f "$d/state" >/dev/null 2>&1; then
		echo "warning: leftover test directory $d (a test did not clean up)" >&2
		umount -l "$d/mnt" 2>/dev/null || fusermount3 -u -z "$d/mnt" 2>/dev/null
		rm -rf "$d"
	fi
done
# The same for cluster tests (tests/cluster_harness.c): their guard
# normally tears a cluster down; one that could not is torn down here.
for d in /tmp/cfs-cluster.*; do
	[ -d "$d" ] || continue
	echo "warning: leftover cluster test directory $d (a test did not clean up)" >&2
	bash scripts/cluster.sh down -d "$d" -p "$(ls "$d" 2>/dev/null | sed -n 's/^prefix\.//p')" \
		>/dev/null 2>&1
	rm -rf "$d"
done
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^cfst[0-9]+-'); do
	echo "warning: leftover network namespace $ns" >&2
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$ns" 2>/dev/null
done
if [ ! -s "$builddir/meson-logs/testlog.json" ]; then
	echo "meson test ran no test (exit status $status)"
	echo "0 passed, 1 failed"
	exit 1
fi
python3 scripts/tap_summary.py "$builddir/meson-logs/testlog.json" "$status"
sum=$?
[ $status -eq 0 ] && [ $sum -eq 0 ]
