#!/usr/bin/env bash
# Rebuilds the seed corpora in fuzz/corpus/ (docs/fuzzing.md): the strings
# of the tests (seeds.py) plus record lines captured from a live port of a
# temporary mount (--backend=sim, so CMM role records come too), kept only
# where they add coverage (libFuzzer -merge=1). Needs root, /dev/fuse, the
# normal build (build/) and the clang fuzz build (build-fuzz/).
#   fuzz/make-corpus.sh [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/daemon/clusterfs
tmp=$(mktemp -d /tmp/cfs-corpus.XXXXXX)
mnt=$tmp/mnt
cleanup() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$mnt" "$tmp/state"
"$bin" --state-dir="$tmp/state" --backend=sim --cluster-name=seeds "$mnt"
for _ in $(seq 50); do [ -e "$mnt/control" ] && break; sleep 0.1; done

# A port that sees everything, then a little of every kind of change.
mkdir "$mnt/ports/seeds"
echo all > "$mnt/ports/seeds/filter"
timeout 20 cat "$mnt/ports/seeds/events" > "$tmp/records" &
reader=$!
sleep 0.5
ctl() { printf '%s\n' "$@" > "$mnt/control" || true; }
ctl "group-create web" "type-create Generic gen.dll" "resource-create ip Generic web" \
	"resource-create disk Generic web"
ctl "resource-depend ip disk" "resource-online disk" "resource-online ip" "group-offline web"
ctl "group-rename web www" "resource-rename disk vol" "resource-owners ip $(hostname)"
ctl "group-preferred www $(hostname)" "set group www Description \"a b\"" \
	"unset group www Description"
ctl "network-add lan 10.0.0.0 255.255.255.0 3 up" "network-state lan down" \
	"network-rename lan wan"
ctl "reg-create-key Soft" "reg-create-key Soft\\Sub 0700" "reg-set Soft v sz hello" \
	"reg-set Soft n dword 42" "reg-set Soft m multi_sz \"a\\nb\"" "reg-type Soft n sz" \
	"reg-rename Soft v w" "reg-delete Soft w" "reg-security Soft\\Sub 0750 0 0" \
	"reg-rename-key Soft\\Sub Sub2" "reg-delete-key Soft\\Sub2"
ctl "sim join n2 2 10.0.0.2" "sim join n3 3 10.0.0.3"
ctl "sim qualif n2 disqualified" "sim stale" "sim valid" "sim leave n3" "sim fail n2"
ctl "sim evict n3" "resource-fail ip" "resource-delete ip" "resource-delete vol" \
	"group-delete www" "cluster-rename seeds2"
sleep 1
rmdir "$mnt/ports/seeds"
wait "$reader" || true
echo "captured $(grep -c '^{' "$tmp/records") records"

python3 fuzz/seeds.py "$tmp/raw" "$tmp/records"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=($(ls "$tmp/raw"))
for h in "${harnesses[@]}"; do
	mkdir -p "fuzz/corpus/$h"
	TMPDIR=$tmp "build-fuzz/fuzz/fuzz_$h" -merge=1 "fuzz/corpus/$h" "$tmp/raw/$h" \
		>"$tmp/merge.log" 2>&1 || { cat "$tmp/merge.log"; exit 1; }
	echo "$h: $(ls "fuzz/corpus/$h" | wc -l) seeds"
done
