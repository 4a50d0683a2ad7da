# shellcheck shell=bash
# Helpers for scripts/bench-tree.sh (sourced). They use its globals:
# BIN STATE MNT TMPFS TMP LOG DPID START_TIMEOUT RUNS COLD_RUNS.

# Seconds since the epoch, with microseconds.
now() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		echo "${EPOCHREALTIME/,/.}"
	else
		date +%s.%N
	fi
}

# calc EXPR: evaluates an awk expression.
calc() { awk -v OFMT=%.6f "BEGIN { print ($1) }"; }
fmt() { printf '%.3f' "$1"; }
fmt_list() {
	local s="" x
	for x in "$@"; do s+="$(fmtx "$x") "; done
	echo "${s% }"
}
median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# median_or_crash TIMES...: sets R to their median, or CRASHED if any is.
median_or_crash() {
	local x
	for x in "$@"; do
		if ! isnum "$x"; then R=CRASHED; return; fi
	done
	R=$(median "$@")
}

is_mounted() { awk -v p="$1" '$2 == p { f = 1 } END { exit !f }' /proc/self/mounts; }

# alive PID: the process exists and is not a zombie.
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

rss_kb() {
	{ [ -n "$DPID" ] && awk -v k="$1:" '$1 == k { print $2 }' "/proc/$DPID/status" 2>/dev/null; } || echo n/a
}
rss_str() {
	{ [ -n "$DPID" ] && awk '$1 == "VmRSS:" { r = $2 } $1 == "VmHWM:" { h = $2 }
	     END { printf "VmRSS %.1f MB, VmHWM %.1f MB", r / 1024, h / 1024 }' "/proc/$DPID/status" 2>/dev/null; } ||
		echo "n/a (no daemon)"
}

isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
# fmt that passes non-numbers ("CRASHED") through.
fmtx() { if isnum "$1"; then fmt "$1"; else echo "$1"; fi; }
# ratio A B: "1.23" or "n/a".
ratio() { if isnum "$1" && isnum "$2"; then calc "sprintf(\"%.2f\", $1 / ($2 > 0 ? $2 : 1e-9))"; else echo n/a; fi; }

# problem TEXT: printed now and repeated in the summary.
problem() { echo "   PROBLEM: $*" | tee -a "$TMP/problems"; }

# daemon_died PHASE: if the daemon is gone, reaps it, records how it died
# (with the last lines of its log), detaches the dead mount and succeeds.
daemon_died() {
	local rc=0 how
	[ -n "$DPID" ] || return 1
	alive "$DPID" && return 1
	wait "$DPID" || rc=$?
	if [ "$rc" -gt 128 ]; then how="killed by SIG$(kill -l $((rc - 128)))"; else how="exited with status $rc"; fi
	problem "the daemon (pid $DPID) $how during $1; the end of its stderr:"
	tail -c +$((LOG_OFF + 1)) "$LOG" | grep -v -e ': info: ' | tail -5 | sed 's/^/     /' | tee -a "$TMP/problems" || true
	DPID=""
	if is_mounted "$MNT"; then fusermount3 -u -z "$MNT" || umount -l "$MNT" || true; fi
	return 0
}

# Starts the daemon in the foreground, in the background; sets DPID and
# START_SECS (exec to `cat $MNT/name` answering).
start_daemon() {
	local t0 t
	# shellcheck disable=SC2086 # BENCH_DAEMON_OPTS is a list of words
	set -- ${BENCH_DAEMON_OPTS:-} "$@"
	if is_mounted "$MNT"; then
		echo "bench-tree: $MNT still mounted before a start; detaching it" >&2
		fusermount3 -u -z "$MNT" || umount -l "$MNT"
	fi
	echo "--- start $(date '+%T.%N') $*" >>"$LOG"
	LOG_OFF=$(stat -c %s "$LOG")
	t0=$(now)
	"$BIN" -f "$@" --state-dir "$STATE" "$MNT" 2>>"$LOG" &
	DPID=$!
	until cat "$MNT/name" >/dev/null 2>&1; do
		if ! alive "$DPID"; then
			local rc=0
			wait "$DPID" || rc=$?
			DPID=""
			echo "bench-tree: the daemon exited (status $rc) before answering; its log:" >&2
			tail -n 20 "$LOG" >&2 || true
			exit 1
		fi
		t=$(now)
		if [ "$(calc "$t - $t0 > $START_TIMEOUT")" = 1 ]; then
			echo "bench-tree: the daemon (pid $DPID) did not answer cat $MNT/name within $START_TIMEOUT s" >&2
			exit 1
		fi
		sleep 0.005
	done
	START_SECS=$(calc "$(now) - $t0")
	FUSE_CONN=$(awk -v m="$MNT" '$5 == m { split($3, d, ":"); c = d[2] } END { print c }' /proc/self/mountinfo)
}

# abort_conn: aborts the FUSE connection of the daemon's mount, which
# fails every request waiting on it (the only way out when a daemon
# thread waits for its own mount). Only while the mount at $MNT still has
# that connection: once it is unmounted, the kernel gives its number to
# the next FUSE mount on the machine, whatever it is, and aborting it
# would kill another file system's session (seen: other test runs' mounts
# failing with ECONNABORTED while a benchmark stopped its daemon).
abort_conn() {
	local cur
	cur=$(awk -v m="$MNT" '$5 == m { split($3, d, ":"); c = d[2] } END { print c }' /proc/self/mountinfo)
	if [ -n "${FUSE_CONN:-}" ] && [ "$cur" = "$FUSE_CONN" ] &&
		[ -e "/sys/fs/fuse/connections/$FUSE_CONN/abort" ]; then
		echo 1 >"/sys/fs/fuse/connections/$FUSE_CONN/abort" 2>/dev/null && echo "     (aborted FUSE connection $FUSE_CONN)"
	fi
}

# thread_report PID: each thread's state and innermost kernel frames.
thread_report() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '     thread %s %s %s: %s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)" \
			"$(awk '{ print $3 }' "$t/stat" 2>/dev/null)" \
			"$(sed -n '1,4{s/^\[<0>\] //; s/+0x.*//; p}' "$t/stack" 2>/dev/null | paste -sd' ' -)"
	done
}

# client_report: the processes (other than the daemon) waiting in FUSE.
client_report() {
	local t pid st
	for t in /proc/[0-9]*/task/[0-9]*; do
		pid=${t#/proc/}; pid=${pid%%/*}
		[ "$pid" = "$DPID" ] && continue
		st=$(sed -n '1,6{s/^\[<0>\] //; s/+0x.*//; p}' "$t/stack" 2>/dev/null | paste -sd' ' -)
		case $st in
		*fuse*) printf '     client %s (%s): %s\n' "${t##*/}" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)" "$st" ;;
		esac
	done
	[ -n "${FUSE_CONN:-}" ] && echo "     requests waiting on the connection: $(cat "/sys/fs/fuse/connections/$FUSE_CONN/waiting" 2>/dev/null)"
}

# CPU time (user + system, clock ticks) of this shell's finished children:
# the measured commands' own CPU, whatever the load of the machine.
CLK_TCK=$(getconf CLK_TCK)
child_ticks() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }

# The daemon's CPU time in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null || echo 0; }

# wait_idle LIMIT: waits until the daemon has used less than 3 ticks of CPU
# in each of 2 consecutive seconds; sets IDLE_SECS (or "> LIMIT").
wait_idle() {
	local t0 a b quiet=0
	t0=$(now)
	a=$(cpu_ticks)
	while [ "$quiet" -lt 2 ]; do
		sleep 1
		b=$(cpu_ticks)
		if [ $((b - a)) -lt 3 ]; then quiet=$((quiet + 1)); else quiet=0; fi
		a=$b
		if [ "$(calc "$(now) - $t0 > $1")" = 1 ]; then IDLE_SECS="> $1"; return; fi
		alive "$DPID" || break
	done
	IDLE_SECS=$(fmt "$(calc "$(now) - $t0 - 2")")
}

# watchdog_start LABEL: in the background, watches the daemon while LABEL
# runs. A daemon that is dying but cannot finish (a thread waiting for its
# own mount) for 5 s, or a LABEL that takes more than HANG_TIMEOUT s, is
# reported with its threads, and its FUSE connection is aborted so that
# the run can go on. watchdog_stop ends it.
watchdog_start() {
	local label=$1
	WATCHDOG=""
	[ -n "$DPID" ] || return 0
	(
		set +e
		dying=0 t=0
		while sleep 1; do
			t=$((t + 1))
			[ -d "/proc/$DPID" ] || exit 0
			if grep -qs vfs_coredump /proc/"$DPID"/task/*/stack ||
				grep -qs do_exit "/proc/$DPID/task/$DPID/stack"; then
				dying=$((dying + 1))
			else
				dying=0
			fi
			if [ "$dying" -ge 5 ]; then
				{
					echo "   PROBLEM: the daemon (pid $DPID) crashed during $label and cannot finish dying (SIGKILL does not help): a thread waits for a request to its own mount. Its threads:"
					thread_report "$DPID"
					client_report
					abort_conn
				} | tee -a "$TMP/problems"
				exit 0
			fi
			if [ "$t" -ge "$HANG_TIMEOUT" ]; then
				{
					echo "   PROBLEM: $label still running after $HANG_TIMEOUT s; the daemon (pid $DPID) threads:"
					thread_report "$DPID"
					client_report
					echo "     user-space stacks (gdb):"
					timeout 60 gdb -q -batch -p "$DPID" -ex 'thread apply all bt 8' 2>/dev/null |
						grep -E '^(Thread|#)' | sed 's/^/       /' | head -80
					abort_conn
				} | tee -a "$TMP/problems"
				kill -KILL "$DPID" 2>/dev/null
				exit 0
			fi
		done
	) &
	WATCHDOG=$!
}
watchdog_stop() {
	if [ -n "${WATCHDOG:-}" ]; then
		kill "$WATCHDOG" 2>/dev/null || true
		wait "$WATCHDOG" 2>/dev/null || true
		WATCHDOG=""
	fi
}

# SIGTERM, wait (up to 60 s), reap; sets STOP_SECS.
stop_daemon() {
	local t0 rc=0 i
	[ -n "$DPID" ] || return 0
	STOP_SECS=0
	daemon_died "${1:-the run}" && return 0
	t0=$(now)
	kill -TERM "$DPID" 2>/dev/null || true
	for ((i = 0; i < 3000; i++)); do
		alive "$DPID" || break
		sleep 0.01
	done
	if alive "$DPID"; then
		{
			echo "   PROBLEM: daemon $DPID still running 30 s after SIGTERM (during the stop after $1); its threads:"
			thread_report "$DPID"
			abort_conn
		} | tee -a "$TMP/problems"
		sleep 1
		kill -KILL "$DPID" 2>/dev/null || true
	fi
	wait "$DPID" || rc=$?
	STOP_SECS=$(calc "$(now) - $t0")
	if [ "$rc" -ne 0 ]; then
		problem "daemon $DPID exited with status $rc after SIGTERM"
	fi
	DPID=""
	if is_mounted "$MNT"; then
		problem "$MNT still mounted after the daemon exited"
		fusermount3 -u -z "$MNT" || umount -l "$MNT" || true
	fi
}

# feed_control FILE CONTROL BATCH_BYTES: writes FILE's lines to CONTROL,
# each write() a run of whole lines of at most BATCH_BYTES (one
# transaction). Prints "lines bytes writes seconds median_write max_write",
# or the failure, and fails.
feed_control() {
	python3 - "$1" "$2" "$3" <<'EOF'
import os, sys, time, errno
path, ctl, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
lines = data.splitlines(keepends=True)
chunks, cur, first, starts = [], [], 1, []
size = 0
for i, l in enumerate(lines, 1):
    if cur and size + len(l) > batch:
        chunks.append(b"".join(cur)); starts.append(first)
        cur, size, first = [], 0, i
    cur.append(l); size += len(l)
if cur:
    chunks.append(b"".join(cur)); starts.append(first)
times = []
t0 = time.perf_counter()
fd = os.open(ctl, os.O_WRONLY)
for k, c in enumerate(chunks):
    t = time.perf_counter()
    try:
        n = os.write(fd, c)
    except OSError as e:
        last = starts[k + 1] - 1 if k + 1 < len(starts) else len(lines)
        print(f"write {k + 1}/{len(chunks)} (lines {starts[k]}-{last}, {len(c)} bytes) after "
              f"{time.perf_counter() - t:.3f} s: {errno.errorcode.get(e.errno, e.errno)}: {e.strerror}")
        sys.exit(1)
    times.append(time.perf_counter() - t)
    if n != len(c):
        print(f"write {k + 1}/{len(chunks)}: short write {n} of {len(c)} bytes")
        sys.exit(1)
try:
    os.close(fd)
except OSError as e:
    print(f"close: {errno.errorcode.get(e.errno, e.errno)}: {e.strerror}")
    sys.exit(1)
secs = time.perf_counter() - t0
times.sort()
print(len(lines), len(data), len(chunks), f"{secs:.6f}", f"{times[len(times) // 2]:.6f}", f"{times[-1]:.6f}")
EOF
}

# timed ls|read DIR: runs the measured command once; sets T to its
# seconds and C to the CPU seconds it took (the command's processes, plus
# the daemon's on the mount), or both to CRASHED if the daemon died
# meanwhile (then it is restarted).
# stderr and failures go to $TMP/errors.
timed() {
	local kind=$1 dir=$2 t0 t1 rc=0 c0 c1 d0=0 d1=0
	[ "$dir" = "$MNT" ] && watchdog_start "$(label "$kind") of $MNT"
	[ "$dir" = "$MNT" ] && d0=$(cpu_ticks)
	c0=$(child_ticks)
	t0=$(now)
	case $kind in
	ls) ls -lR "$dir" >/dev/null 2>"$TMP/err.cur" || rc=$? ;;
	read) { find "$dir" -path "$dir/ports" -prune -o -type f ! -name control -print0 | xargs -0 cat >/dev/null; } 2>"$TMP/err.cur" || rc=$? ;;
	esac
	t1=$(now)
	c1=$(child_ticks)
	[ "$dir" = "$MNT" ] && d1=$(cpu_ticks)
	watchdog_stop
	C=$(calc "($c1 - $c0 + $d1 - $d0) / $CLK_TCK")
	if [ -s "$TMP/err.cur" ] || [ "$rc" -ne 0 ]; then
		{
			echo "$(label "$kind") $dir: exit status $rc, $(wc -l <"$TMP/err.cur") stderr lines"
			sed -n '1,3s/^/  /p' "$TMP/err.cur"
		} >>"$TMP/errors"
	fi
	T=$(calc "$t1 - $t0")
	if [ "$dir" = "$MNT" ] && daemon_died "$(label "$kind") of $MNT (after $(fmt "$T") s)"; then
		T=CRASHED C=CRASHED
		start_daemon
		echo "   (daemon restarted in $(fmt "$START_SECS") s; the kernel cache is cold again)"
	fi
}

label() { case $1 in ls) echo "ls -lR" ;; read) echo "read all" ;; esac; }

cleanup() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM
	watchdog_stop
	if [ -n "${DPID:-}" ] && alive "$DPID"; then
		kill -TERM "$DPID"
		for ((i = 0; i < 3000; i++)); do
			alive "$DPID" || break
			sleep 0.01
		done
		if alive "$DPID"; then
			abort_conn
			kill -KILL "$DPID"
			sleep 1
		fi
		alive "$DPID" && echo "bench-tree: daemon $DPID survives SIGKILL; leaving it" >&2
		alive "$DPID" || wait "$DPID" 2>/dev/null
	fi
	if [ -n "${MNT:-}" ] && is_mounted "$MNT"; then
		fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	if [ -n "${TMPFS:-}" ] && is_mounted "$TMPFS"; then
		umount "$TMPFS" 2>/dev/null || umount -l "$TMPFS"
	fi
	if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
		if is_mounted "$MNT" || is_mounted "$TMPFS"; then
			echo "bench-tree: something is still mounted; leaving $TMP" >&2
		else
			rm -rf --one-file-system "$TMP"
		fi
	fi
	exit "$rc"
}
