#!/usr/bin/env bash
# Installs what is missing and builds clusterfs into ./build.
# Extra arguments are passed to `meson setup` (e.g. -Db_sanitize=address).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
builddir=${BUILDDIR:-build}
if [ -f "$builddir/build.ninja" ]; then
	meson setup --reconfigure "$builddir" -Dtests=enabled "$@" >/dev/null
else
	meson setup "$builddir" -Dtests=enabled "$@" >/dev/null
fi
ninja -C "$builddir" >/dev/null
