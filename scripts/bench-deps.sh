#!/usr/bin/env bash
# Installs what the benchmarks need beyond scripts/deps.sh: gnuplot for the
# latency plots in docs/, strace and perf for "where the time goes". Not
# part of CI (the tests never plot or profile). Needs root (or sudo) when
# something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
packages=(gnuplot-nox strace linux-perf sqlite3)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "clusterfs benchmarks: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# linux-perf may not match the running kernel's version; the rest is needed
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	$sudo apt-get install -y -qq --no-install-recommends gnuplot-nox strace sqlite3 >/dev/null
