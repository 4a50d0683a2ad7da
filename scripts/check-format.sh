#!/usr/bin/env bash
# Checks that the C sources follow .clang-format (the project's style, see
# ../shared/STYLE.md: tabs of 8, 100 columns, Linux braces).
#   scripts/check-format.sh          every C file of the tree; prints a
#                                    diff for each that differs, exit 1
#   scripts/check-format.sh --fix    rewrites them in place
#   scripts/check-format.sh [--fix] FILE...   only those files
# Needs clang-format (Debian: clang-format; scripts/deps.sh installs it).
set -uo pipefail
cd "$(dirname "$0")/.."
fix=0
if [ "${1:-}" = --fix ]; then
	fix=1
	shift
fi
cf=$(command -v clang-format || command -v clang-format-14) || {
	echo "check-format: clang-format is not installed" >&2
	exit 2
}
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	mapfile -t files < <(git ls-files -- '*.c' '*.h' 2>/dev/null ||
		find core fs daemon clusapi cmm include tests fuzz examples -name '*.[ch]')
fi
bad=0
for f in "${files[@]}"; do
	if [ $fix -eq 1 ]; then
		"$cf" -i --style=file "$f" || bad=$((bad + 1))
	elif ! "$cf" --style=file "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" -; then
		bad=$((bad + 1))
	fi
done
if [ $fix -eq 0 ] && [ $bad -gt 0 ]; then
	echo "check-format: $bad of ${#files[@]} files differ from .clang-format" \
		"(scripts/check-format.sh --fix rewrites them)" >&2
	exit 1
fi
exit 0
