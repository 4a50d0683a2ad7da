#!/usr/bin/env bash
# Installs the Debian packages clusterfs needs to build, run and test,
# skipping those already installed. Needs root (or sudo) when something is
# missing.
set -euo pipefail

packages=(
	build-essential meson ninja-build pkg-config
	libfuse3-dev fuse3
	libsqlite3-dev
	libcriterion-dev
	libjson-c-dev
	inotify-tools attr jq
	python3 procps iproute2 util-linux
	resource-agents
	corosync libcpg-dev libquorum-dev libvotequorum-dev libcmap-dev libcorosync-common-dev
	clang clang-format libfuzzer-14-dev libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "clusterfs: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
