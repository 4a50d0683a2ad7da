#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. Ends with one line
# "N passed, N failed" counting every test case of every run once, and
# exits non-zero on any failure.
#   scripts/test.sh [--sanitize | --fuzz | --all] [meson test arguments...]
#     (none)      the build in build/ and every test; then, when clang is
#                 there, the fuzz harnesses (build-fuzz/, suite fuzz), each
#                 for fuzz_seconds (10 s)
#     --sanitize  every test, built with ASan + UBSan (build-sanitize/)
#     --fuzz      only the fuzz harnesses
#     --all       all of the above, one after the other (what CI runs)
# Meson test arguments (test or suite names...) go to the gcc builds' runs;
# with them, the fuzz harnesses run only under --fuzz or --all.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=default
case "${1:-}" in
--sanitize | --fuzz | --all)
	mode=${1#--}
	shift
	;;
esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
summary=() # meson test log, exit status, pairwise
failed_setup=0

# Every test of this run makes its temporary directories in a directory of
# the run's own (tests/test_tmp.h), so the clean-up below touches only what
# this run's tests left, never the tests of another run on the machine.
CFS_TEST_TMP=$(mktemp -d /tmp/cfs-run.XXXXXX) || exit 1
chmod 0755 "$CFS_TEST_TMP" # tests run tools as nobody below it
export CFS_TEST_TMP
trap 'sweep; rmdir "$CFS_TEST_TMP" 2>/dev/null || rm -rf "$CFS_TEST_TMP"' EXIT

# Safety net: a test that was killed (timeout, crash) cannot clean up after
# itself. Detach and remove what such a test left, and say so.
sweep() {
	for d in "$CFS_TEST_TMP"/cfs-test.*; do
		[ -d "$d" ] || continue
		if [ -d "$d/mnt" ] && ! pgrep -f "$d/state" >/dev/null 2>&1; then
			echo "warning: leftover test directory $d (a test did not clean up)" >&2
			umount -l "$d/mnt" 2>/dev/null || fusermount3 -u -z "$d/mnt" 2>/dev/null
			rm -rf "$d"
		fi
	done
	# The same for cluster tests (tests/cluster_harness.c): their guard
	# normally tears a cluster down; one that could not is torn down here.
	for d in "$CFS_TEST_TMP"/cfs-cluster.*; do
		[ -d "$d" ] || continue
		echo "warning: leftover cluster test directory $d (a test did not clean up)" >&2
		bash scripts/cluster.sh down -d "$d" -p "$(ls "$d" 2>/dev/null | sed -n 's/^prefix\.//p')" \
			>/dev/null 2>&1
		rm -rf "$d"
	done
	# A cluster test's namespaces are named cfst<its pid>-...: those of a
	# test process that is gone are left over.
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^cfst[0-9]+-'); do
		pid=${ns#cfst}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		echo "warning: leftover network namespace $ns" >&2
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}

# run_suite BUILDDIR [meson test arguments...]: runs meson test there and
# records its log for the summary.
run_suite() {
	local builddir=$1
	shift
	local start=$SECONDS
	# A stale log must not be counted if meson test cannot run.
	rm -f "$builddir/meson-logs/testlog.json"
	meson test -C "$builddir" --print-errorlogs "$@"
	local status=$?
	sweep
	echo "== $builddir: meson test exited $status after $((SECONDS - start)) s"
	if [ ! -s "$builddir/meson-logs/testlog.json" ]; then
		echo "meson test ran no test in $builddir (exit status $status)"
		failed_setup=$((failed_setup + 1))
		return
	fi
	summary+=("$builddir/meson-logs/testlog.json" "$status")
}

# gcc_run BUILDDIR [meson setup arguments...] -- [meson test arguments...]
gcc_run() {
	local builddir=$1
	shift
	local setup=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		setup+=("$1")
		shift
	done
	shift
	local start=$SECONDS
	if ! BUILDDIR=$builddir bash scripts/build.sh "${setup[@]}"; then
		echo "build failed: $builddir"
		failed_setup=$((failed_setup + 1))
		return
	fi
	echo "== $builddir: built in $((SECONDS - start)) s"
	run_suite "$builddir" "$@"
}

fuzz_run() {
	local start=$SECONDS
	bash scripts/deps.sh || true
	if ! command -v clang >/dev/null; then
		echo "clang is not installed: the fuzz harnesses do not run"
		return
	fi
	if [ -f build-fuzz/build.ninja ]; then
		meson setup --reconfigure build-fuzz -Dtests=disabled -Dfuzz=enabled >/dev/null
	else
		CC=clang meson setup build-fuzz -Dtests=disabled -Dfuzz=enabled >/dev/null
	fi
	if [ $? -ne 0 ] || ! ninja -C build-fuzz fuzz >/dev/null; then
		echo "build failed: build-fuzz"
		failed_setup=$((failed_setup + 1))
		return
	fi
	echo "== build-fuzz: built in $((SECONDS - start)) s"
	run_suite build-fuzz --no-rebuild --suite fuzz
}

case $mode in
default)
	gcc_run build -- "$@"
	[ $# -eq 0 ] && fuzz_run
	;;
sanitize)
	gcc_run build-sanitize -Db_sanitize=address,undefined -Db_lundef=false -- "$@"
	;;
fuzz)
	fuzz_run
	;;
all)
	gcc_run build -- "$@"
	gcc_run build-sanitize -Db_sanitize=address,undefined -Db_lundef=false -- "$@"
	fuzz_run
	;;
esac

python3 scripts/tap_summary.py --setup-failures "$failed_setup" "${summary[@]}"
