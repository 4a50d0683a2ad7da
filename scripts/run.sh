#!/usr/bin/env bash
# Builds clusterfs and mounts the embedded single-node cluster.
#   scripts/run.sh [MOUNTPOINT] [clusterfs options...]
# Default mount point: /mnt/clusterfs for root, ~/clusterfs otherwise.
# The daemon runs in the background; stop it with `fusermount3 -u MOUNTPOINT`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
	mnt=$1
	shift
elif [ "$(id -u)" -eq 0 ]; then
	mnt=/mnt/clusterfs
else
	mnt=$HOME/clusterfs
fi
mkdir -p "$mnt"
if mountpoint -q "$mnt" 2>/dev/null; then
	echo "clusterfs: $mnt is already mounted" >&2
	exit 1
fi
./build/daemon/clusterfs "$@" "$mnt"
echo "clusterfs: cluster mounted on $mnt (try: ls $mnt/nodes)"
