#!/usr/bin/env bash
# Abuse, measured (docs/abuse.md): mounts a fresh cluster in a temporary
# directory, gives it bad input of every kind, as root and as a non-admin
# user (nobody), and reports for each case the errno (OK when the call
# succeeded), whether the daemon is alive and answering, and whether the
# tree is unchanged: a snapshot of the whole tree (types, modes, owners,
# sizes, contents and registry types; ports/ only by name, without the log)
# is compared after every case with the one taken before. Ends with a
# restart on the same state, which must come back with the same tree.
#   scripts/abuse.sh [--out FILE]   (FILE: the Markdown report, default stdout)
# Needs root and /dev/fuse; builds the daemon when build/ has none
# (CLUSTERFS_BIN overrides). Exits 1 when a case crashed the daemon or
# changed the tree.
set -uo pipefail
cd "$(dirname "$0")/.."
out=/dev/stdout
[ "${1:-}" = --out ] && out=$2
bin=${CLUSTERFS_BIN:-build/daemon/clusterfs}
[ -x "$bin" ] || bash scripts/build.sh || exit 1
bin=$(realpath "$bin")

tmp=$(mktemp -d /tmp/cfs-abuse.XXXXXX)
chmod 755 "$tmp"
mnt=$tmp/mnt
state=$tmp/state
mkdir -p "$mnt" "$state"
cp scripts/abuse_op.py "$tmp/op.py"
# The system's python: one a user installed under /root is not for nobody.
py=/usr/bin/python3
[ -x $py ] || py=$(command -v python3)
chmod 755 "$tmp/op.py"
pid=
stop_daemon() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
	fi
	if [ -n "$pid" ]; then
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	pid=
}
cleanup() {
	stop_daemon
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_daemon() {
	"$bin" -f --state-dir="$state" --cluster-name=abuse "$mnt" 2>>"$tmp/daemon.log" &
	pid=$!
	for _ in $(seq 100); do
		[ -e "$mnt/control" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "abuse: the daemon did not mount" >&2
	cat "$tmp/daemon.log" >&2
	return 1
}

# The tree, for comparison: every entry but the log and the ports' own
# files, with its type, mode, owner, size and content digest, and the
# registry values' types.
snapshot() {
	(
		cd "$mnt" || exit 1
		find . \( -path ./ports -o -path ./log -o -path ./log.1 \) -prune -o \
			-printf '%y %m %U %G %s %p\n' | LC_ALL=C sort
		find ./ports -mindepth 1 -maxdepth 1 -printf '%y %p\n' | LC_ALL=C sort
		find . \( -path ./ports -o -path ./log -o -path ./log.1 -o -path ./control \) \
			-prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum 2>&1
		getfattr -R -d -m - --absolute-names registry 2>&1
	)
}

start_daemon || exit 1
host=$(cat "$mnt/local_node")
ctl() { printf '%s\n' "$@" >"$mnt/control"; }

# Fixtures, before the first snapshot: a group with a resource, a
# registry key with a value of each kind and a protected key below it,
# the same owned by nobody (Mine), a chain of keys at the depth limit, and
# a named port for root and one for nobody.
deep=Abuse
for _ in $(seq 31); do deep="$deep\\d"; done
ctl begin "type-create Generic gen.dll" "group-create web" "resource-create ip Generic web" \
	"reg-create-key Abuse" "reg-set Abuse sz sz hello" "reg-set Abuse dw dword 42" \
	"reg-set Abuse multi multi_sz \"a\\nb\"" "reg-set-raw Abuse bin binary \"\\x00\\x01\\xff\"" \
	"reg-create-key Abuse\\Secret 0700" "reg-set Abuse\\Secret pw sz s3cret" commit || exit 1
d=Abuse
for _ in $(seq 31); do
	d="$d\\d"
	ctl "reg-create-key $d" || exit 1
done
ctl begin "reg-create-key Mine" "reg-set Mine sz sz hello" "reg-set Mine dw dword 42" \
	"reg-set Mine multi multi_sz \"a\\nb\"" "reg-set-raw Mine bin binary \"\\x00\\x01\\xff\"" \
	"reg-create-key Mine\\Secret 0700" "reg-set Mine\\Secret pw sz s3cret" \
	"reg-security Mine 0755 65534 65534" "reg-security Mine\\Secret 0700 0 0" commit || exit 1
mkdir "$mnt/ports/abuse" && echo all >"$mnt/ports/abuse/filter" || exit 1
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
	"mkdir '$mnt/ports/mine' && echo all > '$mnt/ports/mine/filter'" || exit 1
webid=$(cat "$mnt/groups/web/id")
deepdir=$mnt/registry/$(printf '%s' "$deep" | tr '\\' /)
[ -d "$deepdir" ] || { echo "abuse: no deep chain" >&2; exit 1; }
sleep 0.5
snapshot >"$tmp/base"

long=$(printf 'n%.0s' $(seq 256))
list=$(for i in $(seq 2000); do printf 'n%d\\n' "$i"; done)
args=$(for i in $(seq 2000); do printf ' n%d' "$i"; done)
R=$mnt/registry
G=$mnt/groups/web

# One case per line: DESCRIPTION <TAB> OP ARGS (scripts/abuse_op.py),
# words separated by tabs so that paths keep their blanks.
cases() {
	local T=$'\t'
	cat <<EOF
control: 4 KiB of random bytes${T}write${T}$mnt/control${T}random:4096${T}n
control: a 5 MiB line${T}write${T}$mnt/control${T}repeat:5242880:a${T}n
control: 17 MiB without a newline${T}write${T}$mnt/control${T}repeat:17825792:a${T}n
control: a name in invalid UTF-8${T}write${T}$mnt/control${T}text:group-create \\xff\\xfe\\n${T}n
control: a NUL byte${T}write${T}$mnt/control${T}text:group-create a\\x00b\\n${T}n
control: a name with a newline${T}write${T}$mnt/control${T}text:group-create "a\\\\nb"\\n${T}n
control: a name with a control character${T}write${T}$mnt/control${T}text:group-create "a\\\\x01b"\\n${T}n
control: a name with /${T}write${T}$mnt/control${T}text:group-create a/b\\n${T}n
control: a 256-byte name${T}write${T}$mnt/control${T}text:group-create $long\\n${T}n
control: unknown verb, unterminated quote${T}write${T}$mnt/control${T}text:frobnicate "x\\n${T}n
control: a batch whose last line fails${T}write${T}$mnt/control${T}text:group-create ok1\\ngroup-create ok2\\ngroup-create \\xff\\n${T}n
control: begin ... commit whose last line fails${T}writes${T}$mnt/control${T}text:begin\\ngroup-create ok1\\n${T}text:group-create ok1\\ncommit\\n
control: begin left open at close${T}write${T}$mnt/control${T}text:begin\\ngroup-create ok1\\n${T}n
control: a key below the depth limit${T}write${T}$mnt/control${T}text:reg-create-key $(printf '%s' "$deep" | sed 's/\\/\\\\/g')\\\\x\\n${T}n
control: a list of 2000 nodes${T}write${T}$mnt/control${T}text:group-preferred web$args\\n${T}n
control: a DWORD out of range${T}write${T}$mnt/control${T}text:reg-set Abuse dw dword 99999999999\\n${T}n
control: invalid UTF-8 as REG_SZ bytes${T}write${T}$mnt/control${T}text:reg-set-raw Abuse sz sz "\\\\xff\\\\xfe"\\n${T}n
control: a sim line without the sim back-end${T}write${T}$mnt/control${T}text:sim join n2 2 10.0.0.2\\n${T}n
control: a managed value${T}write${T}$mnt/control${T}text:reg-set Groups\\\\$webid Name sz x\\n${T}n
name: random bytes${T}write${T}$mnt/name${T}random:512
name: invalid UTF-8${T}write${T}$mnt/name${T}text:\\xff\\xfe\\n
name: a NUL byte${T}write${T}$mnt/name${T}text:a\\x00b\\n
name: two lines${T}write${T}$mnt/name${T}text:a\\nb\\n
name: 256 bytes${T}write${T}$mnt/name${T}text:$long\\n
name: 2 MiB${T}write${T}$mnt/name${T}repeat:2097152:a
group state: random bytes${T}write${T}$G/state${T}random:256
group state: an unknown word${T}write${T}$G/state${T}text:onlinex\\n
group owner: no such node${T}write${T}$G/owner${T}text:nosuchnode\\n
group preferred_owners: 2000 lines${T}write${T}$G/preferred_owners${T}text:$list
group description: invalid UTF-8${T}write${T}$G/description${T}text:\\xff\\xfe\\n
group description: a NUL byte${T}write${T}$G/description${T}text:a\\x00b\\n
resource dependencies: itself${T}write${T}$mnt/resources/ip/dependencies${T}text:+ip\\n
node state: garbage${T}write${T}$mnt/nodes/$host/state${T}text:sideways\\n
read-only: id${T}write${T}$mnt/id${T}text:x\\n
read-only: quorum${T}write${T}$mnt/quorum${T}text:lost\\n
read-only: local_node${T}write${T}$mnt/local_node${T}text:x\\n
read-only: node number${T}write${T}$mnt/nodes/$host/number${T}text:7\\n
read-only: group type${T}write${T}$G/type${T}text:1\\n
read-only: the log${T}write${T}$mnt/log${T}text:forged line\\n${T}a
REG_DWORD: a word${T}write${T}$V/dw${T}text:abc\\n
REG_DWORD: out of range${T}write${T}$V/dw${T}text:99999999999\\n
REG_DWORD: a NUL byte${T}write${T}$V/dw${T}text:4\\x002\\n
REG_SZ: invalid UTF-8${T}write${T}$V/sz${T}text:\\xc3\\x28\\n
REG_SZ: a NUL byte${T}write${T}$V/sz${T}text:a\\x00b\\n
REG_SZ: 100 bytes at 1 MiB - 50${T}write${T}$V/sz${T}repeat:100:a${T}s1048526
REG_MULTI_SZ: invalid UTF-8${T}write${T}$V/multi${T}text:a\\n\\xff\\n
REG_BINARY: a write at 2 MiB${T}write${T}$V/bin${T}text:x${T}s2097152
a managed value${T}write${T}$R/Groups/$webid/Name${T}text:x\\n
@nobody a protected value (0700 key)${T}read${T}$V/Secret/pw
truncate REG_SZ to 1 TiB${T}truncate${T}$V/sz${T}1099511627776
truncate REG_DWORD to 0${T}truncate${T}$V/dw${T}0
truncate REG_DWORD to 2 MiB${T}truncate${T}$V/dw${T}2097152
truncate id${T}truncate${T}$mnt/id${T}0
truncate name to 1 TiB${T}truncate${T}$mnt/name${T}1099511627776
fallocate a value${T}fallocate${T}$V/bin${T}1048576
fallocate control${T}fallocate${T}$mnt/control${T}4096
mknod a FIFO in a key${T}mknod${T}$V/fifo${T}p
mknod a device in a key${T}mknod${T}$V/null${T}c
mknod a FIFO in groups/${T}mknod${T}$mnt/groups/fifo${T}p
ln: a hard link to a value${T}link${T}$V/sz${T}$V/sz2
ln: a hard link across keys${T}link${T}$V/sz${T}$R/sz2
ln -s: a symlink in a key${T}symlink${T}/etc/passwd${T}$V/link
ln -s: a symlink in groups/${T}symlink${T}web${T}$mnt/groups/alias
mkdir: a key name with a newline${T}mkdir${T}$V/a
b
mkdir: a key name with a control character${T}mkdir${T}$V/a$(printf '\001')b
mkdir: a key name in invalid UTF-8${T}mkdir${T}$V/$(printf '\377\376')
mkdir: a key name with a backslash${T}mkdir${T}$V/a\\b
mkdir: a 256-byte key name${T}mkdir${T}$V/$long
mkdir: a key at depth 33${T}mkdir${T}$deepdir/x
mkdir: 300 levels at once${T}mkdir${T}$V/$(printf 'a/%.0s' $(seq 299))a
stat: a 5000-byte path${T}stat${T}$R/$(printf 'abcdefghi/%.0s' $(seq 500))
create: a value name with a newline${T}create${T}$V/v
x
create: a value name in invalid UTF-8${T}create${T}$V/$(printf '\300\257')
create: a value name with a control character${T}create${T}$V/v$(printf '\033')[0m
mkdir: a group name with a newline${T}mkdir${T}$mnt/groups/new
line
mkdir: a group name in invalid UTF-8${T}mkdir${T}$mnt/groups/$(printf '\377')
mkdir: a 256-byte group name${T}mkdir${T}$mnt/groups/$long
mkdir: a node${T}mkdir${T}$mnt/nodes/n9
mkdir: a port name with a control character${T}mkdir${T}$mnt/ports/p$(printf '\001')
mkdir: a port name in invalid UTF-8${T}mkdir${T}$mnt/ports/$(printf '\377')
xattr: an unknown type${T}setxattr${T}$V/sz${T}user.cluster.type${T}text:REG_BOGUS
xattr: a type the value does not parse as${T}setxattr${T}$V/sz${T}user.cluster.type${T}text:REG_DWORD
xattr: a 64 KiB type${T}setxattr${T}$V/sz${T}user.cluster.type${T}repeat:65536:A
xattr: a type with a NUL inside${T}setxattr${T}$V/dw${T}user.cluster.type${T}hex:5245475f535a006a756e6b
xattr: a 300-byte name${T}setxattr${T}$V/sz${T}user.$(printf 'x%.0s' $(seq 295))${T}text:1
xattr: another user. name${T}setxattr${T}$V/sz${T}user.other${T}text:1
xattr: trusted.${T}setxattr${T}$V/sz${T}trusted.x${T}text:1
xattr: security.${T}setxattr${T}$V/sz${T}security.x${T}text:1
xattr: a type on a key${T}setxattr${T}$V${T}user.cluster.type${T}text:REG_SZ
xattr: a type on control${T}setxattr${T}$mnt/control${T}user.cluster.type${T}text:REG_SZ
xattr: remove the type${T}removexattr${T}$V/dw${T}user.cluster.type
@nobody chmod: setuid on a key${T}chmod${T}$R/Abuse${T}6777
chmod: a value file${T}chmod${T}$V/sz${T}777
chmod: a group directory${T}chmod${T}$G${T}777
@nobody chown: a key to nobody${T}chown${T}$R/Abuse${T}65534${T}65534
@nobody chown: the registry root${T}chown${T}$R${T}65534${T}65534
mv: a value to another key${T}rename${T}$V/sz${T}$R/sz
mv: a group into nodes/${T}rename${T}$G${T}$mnt/nodes/web
mv: a group to a 256-byte name${T}rename${T}$G${T}$mnt/groups/$long
mv: a value to a name with a newline${T}rename${T}$V/sz${T}$V/s
z
mv: a collection key${T}rename${T}$R/Groups${T}$R/Gruppen
rm: a read-only file${T}unlink${T}$mnt/id
rm: a managed value${T}unlink${T}$R/Groups/$webid/Name
rmdir: a group with resources${T}rmdir${T}$G
rmdir: a collection key${T}rmdir${T}$R/Groups
rmdir: a node${T}rmdir${T}$mnt/nodes/$host
ports/clone: random bytes${T}write${T}$mnt/ports/clone${T}random:4096${T}n
port filter: object= with a blank${T}write${T}$P/filter${T}text:"object=11111111 1111-4111-8111-111111111111"\\n${T}n
port filter: 2000 registrations${T}write${T}$P/filter${T}repeat:2000:all\\n${T}n
port filter: a 1 MiB line${T}write${T}$P/filter${T}repeat:1048576:k${T}n
port start: random bytes${T}write${T}$P/start${T}random:64${T}n
~group description: 2 MiB in one write()${T}write${T}$G/description${T}repeat:2097152:a
~REG_SZ: 2 MiB in one write()${T}write${T}$V/sz${T}repeat:2097152:a
EOF
}

# The cases for one user, in list_cases: the shell reads one case a line;
# the few names with a newline span two lines, joined back here.
load_cases() {
	local raw line i
	mapfile -t raw < <(cases)
	list_cases=()
	for ((i = 0; i < ${#raw[@]}; i++)); do
		line=${raw[i]}
		while [ $((i + 1)) -lt ${#raw[@]} ] && [[ "${raw[i + 1]}" != *$'\t'* ]]; do
			i=$((i + 1))
			line+=$'\n'${raw[i]}
		done
		list_cases+=("$line")
	done
}

# A Markdown cell: printable ASCII as it is, any other byte (and '|', '`')
# as \xHH, at most 90 characters.
cell() {
	"$py" -c 'import sys
b = sys.argv[1].encode("utf-8", "surrogateescape")
s = "".join(chr(c) if 32 <= c < 127 and c not in (124, 96) else "\\x%02x" % c for c in b)
print(s if len(s) <= 90 else s[:87] + "...", end="")' "$1"
}

n=0 bad=0 refused=0 accepted=0 documented_changes=0
report=$tmp/report
{
	echo "| # | case | user | call | result | daemon | tree |"
	echo "|---|---|---|---|---|---|---|"
} >"$report"
for user in root nobody; do
	# Each user abuses what it may write: root the key Abuse and port
	# abuse, nobody its own key Mine and port mine; the other cases
	# (control, object files, the rest of the registry) are the same.
	as=() V=$R/Abuse P=$mnt/ports/abuse
	if [ $user = nobody ]; then
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		V=$R/Mine P=$mnt/ports/mine
	fi
	load_cases
	for c in "${list_cases[@]}"; do
		IFS=$'\t' read -r -d '' -a f < <(printf '%s\0' "$c")
		desc=${f[0]}
		# "@nobody ": what root may do (a key's owner); "~": a
		# documented change (a short write: the pieces that fit).
		if [[ $desc == "@nobody "* ]]; then
			[ $user = nobody ] || continue
			desc=${desc#@nobody }
		fi
		documented=
		if [[ $desc == "~"* ]]; then
			documented=1
			desc=${desc#"~"}
		fi
		n=$((n + 1))
		res=$(timeout 60 "${as[@]}" "$py" "$tmp/op.py" "${f[@]:1}" 2>&1 | tail -1)
		[ -n "$res" ] || res="no answer (exit ${PIPESTATUS[0]})"
		case $res in
		OK) accepted=$((accepted + 1)) ;;
		"short write"*) ;;
		*) refused=$((refused + 1)) ;;
		esac
		alive=alive
		if ! kill -0 "$pid" 2>/dev/null || ! timeout 10 stat "$mnt/name" >/dev/null 2>&1; then
			alive=DEAD
		fi
		tree=unchanged
		if [ $alive = alive ]; then
			snapshot >"$tmp/after"
			if ! cmp -s "$tmp/base" "$tmp/after"; then
				if [ -n "$documented" ]; then
					tree="changed (documented)"
					documented_changes=$((documented_changes + 1))
				else
					tree=CHANGED
					diff "$tmp/base" "$tmp/after" | head -20 | sed "s/^/  case $n: /" >&2
				fi
				cp "$tmp/after" "$tmp/base" # judge the next cases on their own
			fi
		else
			tree="?"
		fi
		[ $alive = alive ] && [ "$tree" != CHANGED ] && [ "$tree" != "?" ] || bad=$((bad + 1))
		rest=("${f[@]:2}")
		call=$(cell "${f[1]} ${rest[*]//"$mnt/"/}")
		printf '| %d | %s | %s | `%s` | %s | %s | %s |\n' "$n" "$(cell "$desc")" "$user" \
			"$call" "$res" "$alive" "$tree" >>"$report"
		if [ $alive = DEAD ]; then
			echo "abuse: the daemon died at case $n ($desc, $user)" >&2
			tail -20 "$tmp/daemon.log" >&2
			stop_daemon
			start_daemon || break
			snapshot >"$tmp/base"
		fi
	done
done

# The state the abuse left must load again, unchanged; with it what root
# may change on the registry root, which is kept apart from other keys.
n=$((n + 1))
chmod 0751 "$R" && chown 0:65534 "$R" || bad=$((bad + 1))
snapshot >"$tmp/before-restart"
stop_daemon
restart=alive tree=unchanged
if start_daemon; then
	sleep 0.5
	snapshot >"$tmp/after"
	if ! cmp -s "$tmp/before-restart" "$tmp/after"; then
		tree=CHANGED
		diff "$tmp/before-restart" "$tmp/after" | head -20 | sed "s/^/  restart: /" >&2
	fi
else
	restart=DEAD tree="?"
fi
[ $restart = alive ] && [ $tree = unchanged ] || bad=$((bad + 1))
printf '| %d | restart on the abused state (after a chmod and chown of registry/) | root | `clusterfs --state-dir=...` | %s | %s | %s |\n' \
	"$n" "$([ $restart = alive ] && echo OK || echo failed)" "$restart" "$tree" >>"$report"

{
	echo "$n cases (bad input as root and as nobody, then a restart):"
	echo "$refused refused with an errno, $accepted accepted (OK) without a change;"
	echo "$documented_changes documented changes (short writes: the pieces that fit);"
	echo "$bad with the daemon dead or the tree changed otherwise."
	echo
	cat "$report"
} >"$out"
[ $bad -eq 0 ]
