#!/usr/bin/env bash
# A real N-node clusterfs cluster on one machine: one network namespace per
# node, each with its own Corosync (scripts/cluster/cluster-up.sh) and its
# own clusterfs daemon (--backend=corosync), mounted at BASE/n<i>/mnt in
# this machine's mount namespace. Needs root.
#
#   scripts/cluster.sh up [-n N] [-d BASE] [-p PREFIX] [-t udpu|knet] [-T TOKEN_MS]
#                         [-- clusterfs options...]
#   scripts/cluster.sh down [-d BASE] [-p PREFIX]      stop everything, delete the namespaces
#   scripts/cluster.sh daemon start|stop|kill|pid <i>   one node's clusterfs
#   scripts/cluster.sh corosync start|stop|kill|linkdown|linkup|pid <i>
#   scripts/cluster.sh exec <i> CMD...                  run CMD "on" node i (its network)
#
# Defaults: 3 nodes, BASE=${CLUSTER_BASE:-/tmp/clusterfs-cluster}, PREFIX=cfs,
# udpu with a 300 ms token (a killed node is noticed in about 0.65 s).
# State directories are BASE/n<i>/state, daemon logs BASE/n<i>/log/clusterfs.log.
# CLUSTERFS=path picks the daemon binary (default: build/daemon/clusterfs,
# built first when missing).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BASE=${CLUSTER_BASE:-/tmp/clusterfs-cluster}
PREFIX=cfs
N=3
TRANSPORT=udpu
TOKEN=300

usage() { sed -n '2,18p' "$0"; exit 2; }
# Options may come before or after the command; what follows the command's
# own words (or "--") is passed on.
cmd=""
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	-d) BASE=$2; shift 2 ;;
	-p) PREFIX=$2; shift 2 ;;
	-t) TRANSPORT=$2; shift 2 ;;
	-T) TOKEN=$2; shift 2 ;;
	--) shift; break ;;
	-*) usage ;;
	*) if [ -z "$cmd" ]; then cmd=$1; shift; else break; fi ;;
	esac
done
[ -n "$cmd" ] || usage
[ "$(id -u)" = 0 ] || { echo "cluster.sh: needs root (network namespaces)" >&2; exit 1; }

daemon_bin() {
	if [ -n "${CLUSTERFS:-}" ]; then
		echo "$CLUSTERFS"
		return
	fi
	[ -x "$top/build/daemon/clusterfs" ] || bash "$top/scripts/build.sh" >&2 || exit 1
	echo "$top/build/daemon/clusterfs"
}

alive() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]; }

daemon_pid() {
	local f=$BASE/n$1/clusterfs.pid p
	[ -s "$f" ] || return 1
	p=$(tr -dc 0-9 <"$f")
	[ -n "$p" ] && alive "$p" && echo "$p"
}

# Starts node i's daemon in the node's network namespace but this mount
# namespace (nsenter --net), so that its mount is visible here. It runs in
# the foreground (-f) in the background of this script, so that what it
# logs goes to BASE/n<i>/log/clusterfs.log (a daemonized one logs to
# syslog); this returns once the mount is up, as a daemonized start does.
daemon_start() {
	local i=$1 d=$BASE/n$1 bin p from
	shift
	bin=$(daemon_bin) || return 1
	mkdir -p "$d/mnt" "$d/state" "$d/log"
	if daemon_pid "$i" >/dev/null; then
		echo "node $i: clusterfs already running"
		return 0
	fi
	from=$(($(stat -c %s "$d/log/clusterfs.log" 2>/dev/null || echo 0) + 1))
	nsenter --net="/run/netns/$PREFIX-n$i" "$bin" -f --backend=corosync --state-dir="$d/state" \
		"$@" "$d/mnt" >>"$d/log/clusterfs.log" 2>&1 </dev/null &
	p=$!
	echo "$p" >"$d/clusterfs.pid"
	# The first sync may take up to 30 s (backend_corosync.c).
	for _ in $(seq 2000); do
		tail -c +"$from" "$d/log/clusterfs.log" | grep -q "mounted on" && return 0
		alive "$p" || break
		sleep 0.02
	done
	echo "node $i: clusterfs did not start:" >&2
	tail -5 "$d/log/clusterfs.log" >&2
	return 1
}

daemon_stop() {
	local i=$1 sig=$2 d=$BASE/n$1 p
	p=$(daemon_pid "$i") || p=""
	if [ "$sig" = KILL ] && [ -n "$p" ]; then
		kill -KILL "$p"
		for _ in $(seq 250); do alive "$p" || break; sleep 0.02; done
		# A killed daemon leaves its mount behind: detach it.
		umount -l "$d/mnt" 2>/dev/null
		rm -rf /dev/shm/qb-*-"$p"-* 2>/dev/null
		return 0
	fi
	# The unmount is busy only while users have files open on the mount;
	# then the SIGTERM stops the daemon all the same (README "Stopping").
	mountpoint -q "$d/mnt" && fusermount3 -u "$d/mnt" 2>/dev/null
	if [ -n "$p" ]; then
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 250); do alive "$p" || break; sleep 0.02; done
		alive "$p" && kill -KILL "$p"
	fi
	mountpoint -q "$d/mnt" && umount -l "$d/mnt" 2>/dev/null
	return 0
}

all_down() {
	local i
	for d in "$BASE"/n*; do
		[ -d "$d" ] || continue
		i=${d##*/n}
		daemon_stop "$i" TERM
	done
	bash "$here/cluster/cluster-down.sh" -p "$PREFIX" -d "$BASE" -q -f
}

case $cmd in
up)
	all_down
	bash "$here/cluster/cluster-up.sh" -n "$N" -t "$TRANSPORT" -T "$TOKEN" -C 0 \
		-p "$PREFIX" -d "$BASE" >/dev/null || exit 1
	for i in $(seq 1 "$N"); do
		daemon_start "$i" "$@" || { all_down; exit 1; }
	done
	echo "clusterfs: $N nodes up; node i is mounted at $BASE/n<i>/mnt"
	echo "stop with: $0 down -d $BASE -p $PREFIX"
	;;
down) all_down ;;
daemon)
	act=${1:-}
	i=${2:-}
	[ -n "$i" ] || usage
	shift 2
	case $act in
	start) daemon_start "$i" "$@" ;;
	stop) daemon_stop "$i" TERM ;;
	kill) daemon_stop "$i" KILL ;;
	pid) daemon_pid "$i" ;;
	*) usage ;;
	esac
	;;
corosync)
	[ $# -ge 2 ] || usage
	bash "$here/cluster/node-ctl.sh" -p "$PREFIX" -d "$BASE" "$1" "$2"
	;;
exec)
	i=${1:-}
	[ -n "$i" ] || usage
	shift
	exec ip netns exec "$PREFIX-n$i" "$@"
	;;
*) usage ;;
esac
