/* SPDX-License-Identifier: MIT */
/* Security (README: "Security"): nobody learns through a port, a snapshot,
 * a resume or the log what it could not read directly; the per-user
 * quotas of ports, readers, registrations and unread bytes, the admins'
 * reserve of named ports, and the idle expiry of users' named ports.
 *
 * Users: root makes the registry keys; $U runs a command as nobody
 * (65534, no groups), $UG as nobody with the supplementary group 4242,
 * $V as another user (65533). rd.py (written to $D by PRE) reads what a
 * port has for its caller without blocking and prints one line per
 * registry record: "change name [prop] [new]". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mount_checks.h"
#include "mount_harness.h"

#define WATCHDOG WATCHDOG_AFTER(60)

/* rd.py PATH [READY GO]: opens PATH (ports/clone read-write), optionally
 * creates READY and waits for GO, then reads until nothing is left and
 * prints "change name [prop] [new]" for each registry record, leaving
 * out the registry root's values, the keys of objects, and the empty
 * values a shell's "echo x > FILE" creates before it writes. With ALL=1 it
 * prints "kind change name [prop] [new]" for every record. */
static const char RD_PY[] =
	"import json, os, sys, time\n"
	"path = sys.argv[1]\n"
	"fd = os.open(path, (os.O_RDWR if path.endswith('clone') else os.O_RDONLY) | os.O_NONBLOCK)\n"
	"if len(sys.argv) > 3:\n"
	"    open(sys.argv[2], 'w').close()\n"
	"    while not os.path.exists(sys.argv[3]):\n"
	"        time.sleep(0.01)\n"
	"data = b''\n"
	"while True:\n"
	"    try:\n"
	"        b = os.read(fd, 65536)\n"
	"    except BlockingIOError:\n"
	"        break\n"
	"    if not b:\n"
	"        break\n"
	"    data += b\n"
	"COLL = ('Nodes', 'Groups', 'Resources', 'ResourceTypes', 'Networks', 'NetworkInterfaces')\n"
	"every = os.environ.get('ALL') == '1'\n"
	"for line in data.decode().splitlines():\n"
	"    r = json.loads(line)\n"
	"    if every:\n"
	"        w = [r.get('kind', '-'), r['change'], r.get('name', '-')]\n"
	"    elif r.get('kind') != 'registry' or not r['name'] or r['name'].split('\\\\')[0] in COLL:\n"
	"        continue\n"
	"    else:\n"
	"        w = [r['change'], r['name']]\n"
	"    if r['change'] == 'value_set' and r.get('new') == '':\n"
	"        continue\n"
	"    w += [r[k] for k in ('prop', 'new') if k in r]\n"
	"    print(' '.join(w))\n";

/* PRE: in the mount, stop at the first failure. "C LINE..." writes
 * control lines in one write. "rd PATH..." and "urd USER PATH..." run
 * rd.py as root or as USER ($U, $UG, $V). NEXT: the seq the next record
 * will get (from the log). */
#define PRE \
	WATCHDOG "set -e -o pipefail; export LC_ALL=C; cd \"$M\"; chmod 755 \"$D\"\n" \
	"U='setpriv --reuid=65534 --regid=65534 --clear-groups'\n" \
	"UG='setpriv --reuid=65534 --regid=65534 --groups=4242'\n" \
	"V='setpriv --reuid=65533 --regid=65533 --clear-groups'\n" \
	"[ -f \"$D/rd.py\" ] || { cat > \"$D/rd.py\" <<'PY'\n%sPY\n}\n" \
	"C() { printf '%%s\\n' \"$@\" > control; }\n" \
	"PY=/usr/bin/python3; [ -x $PY ] || PY=python3\n" \
	"rd() { $PY \"$D/rd.py\" \"$@\"; }\n" \
	"urd() { u=$1; shift; $u $PY \"$D/rd.py\" \"$@\"; }\n" \
	"NEXT() { echo $(( $(tail -n 1 log | cut -d' ' -f2) + 1 )); }\n" \
	"mkdir -p \"$D/u\"; chmod 1777 \"$D/u\"\n"

static char *run(const char *script)
{
	char *pre = NULL;
	cr_assert_geq(asprintf(&pre, PRE, RD_PY), 0);
	char *o = out_of_pre(pre, script);
	free(pre);
	return o;
}

static void expect(const char *want, const char *script)
{
	char *pre = NULL;
	cr_assert_geq(asprintf(&pre, PRE, RD_PY), 0);
	expect_out_pre(pre, want, script);
	free(pre);
}

/* Vault (0700, root) holds a password; Open (0755) a harmless value. */
#define KEYS                                                                                 \
	"mkdir registry/Vault registry/Open; chmod 700 registry/Vault\n"                    \
	"$U cat registry/Vault/nothing 2>&1 | grep -o 'Permission denied' || true\n"

TestSuite(security, .init = mnt_setup, .fini = teardown, .timeout = 120);

/* A live reader of a port that nobody made: the records of the key it
 * cannot read never reach it; root's reader of the same port gets them. */
Test(security, live_records_follow_key_permissions)
{
	expect("Permission denied\n"
	       "nobody: value_set Open v hello\n"
	       "root: value_set Vault password s3cret\n"
	       "root: key_added Vault\\Sub\n"
	       "root: value_set Open v hello\n",
	       KEYS "$U mkdir ports/spy; $U sh -c 'echo all > ports/spy/filter'\n"
	       "urd \"$U\" ports/spy/events \"$D/u/r1\" \"$D/u/go\" > \"$D/nobody.out\" & a=$!\n"
	       "rd ports/spy/events \"$D/u/r2\" \"$D/u/go\" > \"$D/root.out\" & b=$!\n"
	       "while [ ! -e \"$D/u/r1\" ] || [ ! -e \"$D/u/r2\" ]; do sleep 0.01; done\n"
	       "echo s3cret > registry/Vault/password; mkdir registry/Vault/Sub\n"
	       "echo hello > registry/Open/v\n"
	       "touch \"$D/u/go\"; wait $a $b\n"
	       "sed 's/^/nobody: /' \"$D/nobody.out\"; sed 's/^/root: /' \"$D/root.out\"\n");
	/* And through an anonymous port, and a filter naming the key. The
	 * shell's O_TRUNC empties the value at open, as on a local file
	 * system, then the write sets it: two changes. */
	expect("value_set Open v \nvalue_set Open v again\n",
	       "$U $PY -c '\n"
	       "import os, subprocess, sys, time\n"
	       "fd = os.open(\"ports/clone\", os.O_RDWR)\n"
	       "os.write(fd, b\"registry=Vault subtree\\nregistry=Open\\n\")\n"
	       "open(sys.argv[1], \"w\").close()\n"
	       "while not os.path.exists(sys.argv[2]): time.sleep(0.01)\n"
	       "os.set_blocking(fd, False)\n"
	       "out = b\"\"\n"
	       "try:\n"
	       "    while True: out += os.read(fd, 65536)\n"
	       "except BlockingIOError: pass\n"
	       "sys.stdout.write(out.decode())' \"$D/u/r3\" \"$D/u/go3\" > \"$D/anon.out\" & a=$!\n"
	       "while [ ! -e \"$D/u/r3\" ]; do sleep 0.01; done\n"
	       "echo hunter2 > registry/Vault/password; echo again > registry/Open/v\n"
	       "touch \"$D/u/go3\"; wait $a\n"
	       "$PY -c 'import json, sys\n"
	       "for l in open(sys.argv[1]): r = json.loads(l); print(r[\"change\"], r[\"name\"], "
	       "r[\"prop\"], r[\"new\"])' \"$D/anon.out\"\n");
}

/* A value made unreadable by a chmod of its own file (not of its key):
 * records about it follow the value's security, its neighbours' the key's. */
Test(security, a_value_of_its_own_security_hides_its_records)
{
	expect("Permission denied\n"
	       "nobody: value_set Open v visible\n"
	       "root: value_set Open secret s3cret\n"
	       "root: value_set Open v visible\n",
	       KEYS "echo x > registry/Open/secret; chmod 600 registry/Open/secret\n"
	       "! $U cat registry/Open/secret 2> /dev/null\n"
	       "$U mkdir ports/spy; $U sh -c 'echo all > ports/spy/filter'\n"
	       "urd \"$U\" ports/spy/events \"$D/u/r1\" \"$D/u/go\" > \"$D/nobody.out\" & a=$!\n"
	       "rd ports/spy/events \"$D/u/r2\" \"$D/u/go\" > \"$D/root.out\" & b=$!\n"
	       "while [ ! -e \"$D/u/r1\" ] || [ ! -e \"$D/u/r2\" ]; do sleep 0.01; done\n"
	       "printf s3cret > registry/Open/secret; echo visible > registry/Open/v\n"
	       "touch \"$D/u/go\"; wait $a $b\n"
	       "grep -v ' $' \"$D/nobody.out\" | sed 's/^/nobody: /'\n"
	       "grep -v ' $' \"$D/root.out\" | sed 's/^/root: /'\n");
}

/* Snapshots and resumes follow the same rule. */
Test(security, snapshot_and_resume_follow_key_permissions)
{
	expect("snapshot nobody: key_added Open|key_added Vault\\Pub|value_set Open v hello|"
	       "value_set Vault\\Pub w world\n"
	       "snapshot root: key_added Open|key_added Vault|key_added Vault\\Pub|"
	       "value_set Open v hello|value_set Vault password s3cret|value_set Vault\\Pub w world\n"
	       "resume nobody: key_added Open|value_set Open v hello|key_added Vault\\Pub|"
	       "value_set Vault\\Pub w world\n"
	       "resume root: key_added Vault|key_added Open|security Vault 0711 0 0|"
	       "value_set Vault password s3cret|value_set Open v hello|key_added Vault\\Pub|"
	       "value_set Vault\\Pub w world\n",
	       "s=$(NEXT)\n"
	       "mkdir registry/Vault registry/Open; chmod 711 registry/Vault\n"
	       "echo s3cret > registry/Vault/password; echo hello > registry/Open/v\n"
	       "mkdir registry/Vault/Pub; echo world > registry/Vault/Pub/w\n"
	       "$U mkdir ports/snap ports/seq\n"
	       "$U sh -c \"echo all > ports/snap/filter; echo snapshot > ports/snap/start\"\n"
	       "$U sh -c \"echo all > ports/seq/filter; echo $s > ports/seq/start\"\n"
	       "echo \"snapshot nobody: $(urd \"$U\" ports/snap/events | sort | paste -sd'|')\"\n"
	       "echo \"snapshot root: $(rd ports/snap/events | sort | paste -sd'|')\"\n"
	       "echo \"resume nobody: $(urd \"$U\" ports/seq/events | paste -sd'|')\"\n"
	       "echo \"resume root: $(rd ports/seq/events | paste -sd'|')\"\n");
}

/* A change of a key's security counts from that moment for the records
 * not yet delivered, in both directions: while the key is 0700 the
 * reader gets nothing of it, once it is 0755 again it does. */
Test(security, security_change_takes_effect_at_delivery)
{
	expect("1: key_added K|value_set K v one\n"
	       "2: \n"
	       "3: security K 0755 0 0|value_set K v three\n"
	       "late: key_added K|value_set K v one|security K 0700 0 0|value_set K v two|"
	       "security K 0755 0 0|value_set K v three\n",
	       "s=$(NEXT)\n"
	       "$U mkdir ports/k ports/late\n"
	       "$U sh -c \"echo 'registry=K' > ports/k/filter; echo continue > ports/k/start\"\n"
	       "$U sh -c \"echo 'registry=K' > ports/late/filter; echo $s > ports/late/start\"\n"
	       "urd \"$U\" ports/k/events > /dev/null\n"
	       "mkdir registry/K; echo one > registry/K/v\n"
	       "echo \"1: $(urd \"$U\" ports/k/events | paste -sd'|')\"\n"
	       "chmod 700 registry/K; echo two > registry/K/v\n"
	       "echo \"2: $(urd \"$U\" ports/k/events | paste -sd'|')\"\n"
	       "chmod 755 registry/K; echo three > registry/K/v\n"
	       "echo \"3: $(urd \"$U\" ports/k/events | paste -sd'|')\"\n"
	       /* A reader that comes later gets what the key shows now. */
	       "echo \"late: $(urd \"$U\" ports/late/events | paste -sd'|')\"\n");
}

/* Owner, group and other bits as the kernel picks them, search permission
 * on every key above, and read permission on the key itself. */
Test(security, owner_group_and_search_rules)
{
	char *setup = run("mkdir registry/G registry/O registry/P registry/P/C registry/X "
			  "registry/X/Y registry/N\n"
			  "chown 0:4242 registry/G; chmod 750 registry/G\n"
			  "chown 65534:0 registry/O; chmod 700 registry/O\n"
			  "chmod 700 registry/P; chmod 711 registry/X; chmod 077 registry/N\n"
			  "chown 65534:65534 registry/N\n"
			  "for k in G O P/C X X/Y N; do echo x > registry/$k/v; done\n"
			  "for u in U UG V; do mkdir ports/$u; echo 'registry=\\ subtree' > ports/$u/filter;"
			  " echo snapshot > ports/$u/start; done\n");
	free(setup);
	/* nobody owns N but its owner bits are 0: the kernel gives the owner
	 * the owner's bits only, and others the others' (V reads it). */
	expect("U: O X\\Y\n"
	       "UG: G O X\\Y\n"
	       "V: N X\\Y\n"
	       "root: G N O P\\C X X\\Y\n",
	       "for u in U UG V; do echo \"$u: $(urd \"${!u}\" ports/$u/events | "
	       "grep ^value_set | cut -d' ' -f2 | sort | paste -sd' ')\"; done\n"
	       "echo \"root: $(rd ports/U/events | grep ^value_set | cut -d' ' -f2 | sort | "
	       "paste -sd' ')\"\n");
}

/* A record about a key that is gone follows the security the key had when
 * the record was made. */
Test(security, deleted_keys_follow_their_last_security)
{
	expect("key_added D1|key_added D2|value_set D1 v a|value_deleted D1 v|key_deleted D1\n",
	       "$U mkdir ports/d; $U sh -c \"echo all > ports/d/filter; echo $(NEXT) > ports/d/start\"\n"
	       "mkdir registry/D1 registry/D2; echo a > registry/D1/v\n"
	       "chmod 700 registry/D2; echo b > registry/D2/v\n"
	       "C 'reg-delete-key D1' 'reg-delete-key D2'\n"
	       "urd \"$U\" ports/d/events | paste -sd'|'\n");
}

/* Records about objects go to everyone; a property record carries a value
 * of the object's key and follows that key. */
Test(security, object_records_for_everyone)
{
	expect("1: group added web offline|group property web Secret one\n"
	       "2: group state web online\n",
	       "$U mkdir ports/o; $U sh -c \"echo 'kind=group' > ports/o/filter; "
	       "echo continue > ports/o/start\"\n"
	       "urd \"$U\" ports/o/events\n"
	       "mkdir groups/web; C 'set group web Secret one'\n"
	       "echo \"1: $(ALL=1 urd \"$U\" ports/o/events | paste -sd'|')\"\n"
	       "C \"reg-security Groups\\\\$(cat groups/web/id) 0700 0 0\"\n"
	       "C 'set group web Secret two'; echo online > groups/web/state\n"
	       "echo \"2: $(ALL=1 urd \"$U\" ports/o/events | paste -sd'|')\"\n");
}

/* The log is root's and the admin group's: it shows every change. */
Test(security, log_is_for_admins)
{
	expect("440 0\n"
	       "cat: log: Permission denied\n"
	       "head: cannot open 'log.1' for reading: Permission denied\n"
	       "root: 1\n",
	       "mkdir registry/Vault; chmod 700 registry/Vault; echo s3cret > registry/Vault/pw\n"
	       "stat -c '%a %g' log\n"
	       "$U cat log 2>&1 | grep -v s3cret || true\n"
	       "$U head log.1 2>&1 || true\n"
	       "echo \"root: $(grep -c 's3cret' log)\"\n");
}

/* libclusapi inherits the rule (test_clusapi_notify.c: the same as a
 * legacy client run as nobody). */

/* --- with an admin group --- */

static void admin_setup(void)
{
	mnt_require_fuse();
	mnt_start(&M, "--admin-group=4242");
}

TestSuite(admins, .init = admin_setup, .fini = teardown, .timeout = 120);

/* Root and the admin group see everything, through ports and the log. */
Test(admins, admin_group_sees_everything)
{
	expect("UG: value_set Vault pw s3cret\n"
	       "U: \n"
	       "log UG: 1\n"
	       "log U: Permission denied\n",
	       "mkdir registry/Vault; chmod 700 registry/Vault\n"
	       "for u in U UG; do $U mkdir ports/$u; done\n"
	       "for u in U UG; do $U sh -c \"echo all > ports/$u/filter; "
	       "echo $(NEXT) > ports/$u/start\"; done\n"
	       "echo s3cret > registry/Vault/pw\n"
	       "for u in UG U; do echo \"$u: $(urd \"${!u}\" ports/$u/events | grep Vault | "
	       "paste -sd'|')\"; done\n"
	       "echo \"log UG: $($UG grep -c s3cret log)\"\n"
	       "echo \"log U: $($U grep -c s3cret log 2>&1 | grep -o 'Permission denied')\"\n");
}

/* --- quotas --- */

static void limits_setup(void)
{
	mnt_require_fuse();
	mnt_start(&M, "--limit-ports=3 --limit-anon=2 --limit-readers=2 --limit-filter=3 "
		      "--limit-watch=5 --limit-pending=4K");
}

TestSuite(limits, .init = limits_setup, .fini = teardown, .timeout = 120);

/* A user's named ports: EDQUOT past its quota, which is its own (another
 * user, root) and comes back when it removes one. */
Test(limits, named_ports)
{
	expect("mkdir: cannot create directory 'ports/n4': Disk quota exceeded\n"
	       "n1 n2 n3 r1 r2 r3 r4 r5 v1\n"
	       "n2 n3 n4 r1 r2 r3 r4 r5 v1\n",
	       "$U mkdir ports/n1 ports/n2 ports/n3\n"
	       "$U mkdir ports/n4 2>&1 || true\n"
	       "$V mkdir ports/v1; mkdir ports/r1 ports/r2 ports/r3 ports/r4 ports/r5\n"
	       "ls ports | grep -v clone | paste -sd' '\n"
	       "$U rmdir ports/n1; $U mkdir ports/n4\n"
	       "ls ports | grep -v clone | paste -sd' '\n");
}

/* Anonymous ports (open ports/clone) and readers of named ports: each a
 * quota of its own. */
Test(limits, anonymous_ports_and_readers)
{
	expect("Disk quota exceeded\n"
	       "two anonymous ports\n"
	       "Disk quota exceeded\n"
	       "two readers and two anonymous ports\n"
	       "root: 4 and 4\n",
	       "{ $U bash -c 'exec 3<>ports/clone 4<>ports/clone; exec 5<>ports/clone' 2>&1 || "
	       "true; } | grep -o 'Disk quota exceeded'\n"
	       "$U bash -c 'exec 3<>ports/clone 4<>ports/clone; echo two anonymous ports'\n"
	       "$U mkdir ports/p\n"
	       "{ $U bash -c 'exec 3<ports/p/events 4<ports/p/events; exec 5<ports/p/events' 2>&1 || "
	       "true; } | grep -o 'Disk quota exceeded'\n"
	       "$U bash -c 'exec 3<ports/p/events 4<ports/p/events 5<>ports/clone 6<>ports/clone; "
	       "echo two readers and two anonymous ports'\n"
	       "bash -c 'exec 3<ports/p/events 4<ports/p/events 5<ports/p/events 6<ports/p/events "
	       "7<>ports/clone 8<>ports/clone 9<>ports/clone 10<>ports/clone; echo root: 4 and 4'\n");
}

/* Registration lines: a user may leave 3 in one port; reset and remove
 * always work; root may add more, also to the user's port. */
Test(limits, registrations_per_port)
{
	expect("Disk quota exceeded\n"
	       "3\n"
	       "5\n"
	       "clone: Disk quota exceeded\n"
	       "clone: 3 then 1\n",
	       "$U mkdir ports/f\n"
	       "$U sh -c 'printf \"kind=group\\nkind=node\\nkind=resource\\n\" > ports/f/filter'\n"
	       "{ $U bash -c 'echo kind=network >> ports/f/filter' 2>&1 || true; } | "
	       "grep -o 'Disk quota exceeded'\n"
	       "wc -l < ports/f/filter\n"
	       "printf 'kind=network\\nkind=netinterface\\n' >> ports/f/filter; wc -l < ports/f/filter\n"
	       "$U $PY -c '\n"
	       "import errno, os\n"
	       "fd = os.open(\"ports/clone\", os.O_RDWR)\n"
	       "try:\n"
	       "    os.write(fd, b\"all key=1\\nall key=2\\nall key=3\\nall key=4\\n\")\n"
	       "except OSError as e:\n"
	       "    print(\"clone:\", os.strerror(e.errno))\n"
	       "os.write(fd, b\"all key=1\\nall key=2\\nall key=3\\n\")\n"
	       "os.write(fd, b\"reset\\nall key=5\\n\")\n"
	       "print(\"clone: 3 then 1\")'\n");
}

/* Registrations of all a user's readers together (5 here): what one
 * record can cost it. A reader counts its port's lines, at open and when
 * lines are added. */
Test(limits, registrations_of_all_readers)
{
	expect("second reader: Disk quota exceeded\n"
	       "3 + 2\n"
	       "third line: Disk quota exceeded\n"
	       "root: 3 readers\n",
	       "$U mkdir ports/w\n"
	       "$U sh -c 'printf \"kind=group\\nkind=node\\nkind=resource\\n\" > ports/w/filter'\n"
	       "{ $U bash -c 'exec 3<ports/w/events; exec 4<ports/w/events' 2>&1 || true; } | "
	       "grep -o 'Disk quota exceeded' | sed 's/^/second reader: /'\n"
	       "$U bash -c 'exec 3<ports/w/events 4<>ports/clone; echo kind=group >&4; "
	       "echo kind=node >&4; echo 3 + 2; echo kind=network >&4 || true' 2>&1 | "
	       "sed 's/.*Disk quota exceeded/third line: Disk quota exceeded/'\n"
	       "bash -c 'exec 3<ports/w/events 4<ports/w/events 5<ports/w/events; echo root: 3 readers'\n");
}

/* Formatted unread bytes: a snapshot bigger than the user's quota is
 * refused at open (and on a "start snapshot" line); a small one is not;
 * root is not limited. */
Test(limits, pending_bytes)
{
	expect("head: cannot open 'ports/big/events' for reading: Disk quota exceeded\n"
	       "start snapshot: Disk quota exceeded\n"
	       "small: snapshot_end\n"
	       "root: snapshot_end\n",
	       "mkdir registry/Big registry/Small; echo x > registry/Small/v\n"
	       "for i in $(seq 40); do printf '%0200d\\n' $i > registry/Big/v$i; done\n"
	       "$U mkdir ports/big ports/small\n"
	       "$U sh -c 'echo all > ports/big/filter; echo snapshot > ports/big/start'\n"
	       "$U sh -c 'echo registry=Small > ports/small/filter; echo snapshot > ports/small/start'\n"
	       "$U head -n 1 ports/big/events 2>&1 || true\n"
	       "$U $PY -c '\n"
	       "import os\n"
	       "fd = os.open(\"ports/clone\", os.O_RDWR)\n"
	       "try:\n"
	       "    os.write(fd, b\"all\\nstart snapshot\\n\")\n"
	       "except OSError as e:\n"
	       "    print(\"start snapshot:\", os.strerror(e.errno))'\n"
	       "echo \"small: $($U grep -m1 -o snapshot_end ports/small/events)\"\n"
	       "echo \"root: $(grep -m1 -o snapshot_end ports/big/events)\"\n");
}

static void no_port_quota_setup(void)
{
	mnt_require_fuse();
	mnt_start(&M, "--limit-ports=0");
}

TestSuite(reserve, .init = no_port_quota_setup, .fini = teardown, .timeout = 300);

/* Without a per-user quota, users other than root and the admin group can
 * have 3,840 of the 4,096 named ports between them: the last 256 are
 * root's and the admin group's. */
Test(reserve, admins_keep_their_share_of_named_ports)
{
	expect("No space left on device\n"
	       "3840\n"
	       "root made 256\n"
	       "No space left on device\n",
	       "{ $U mkdir $(seq -f 'ports/u%g' 3841) 2>&1 || true; } | "
	       "grep -o 'No space left on device'\n"
	       "ls ports | grep -c '^u'\n"
	       "mkdir $(seq -f 'ports/r%g' 256) && echo 'root made 256'\n"
	       "{ mkdir ports/r257 2>&1 || true; } | grep -o 'No space left on device'\n");
}

static void expiry_setup(void)
{
	mnt_require_fuse();
	mnt_start(&M, "--port-expiry=2");
}

TestSuite(expiry, .init = expiry_setup, .fini = teardown, .timeout = 120);

/* A user's named port with no reader for the expiry time goes (listed,
 * made or looked up after that); root's ports and ports with a reader
 * stay; the idle time counts from the last reader's close, across a
 * restart too. */
Test(expiry, idle_user_ports_go)
{
	expect("after 3 s: kept r\n"
	       "after the reader: gone\n",
	       "$U mkdir ports/idle ports/kept; mkdir ports/r\n"
	       "$U sh -c 'sleep 3.5 < ports/kept/events' & p=$!\n"
	       "sleep 3\n"
	       "echo \"after 3 s: $(ls ports | grep -v clone | paste -sd' ')\"\n"
	       "wait $p; sleep 2.5\n"
	       "[ -e ports/kept ] && echo 'after the reader: kept' || echo 'after the reader: gone'\n"
	       "$U mkdir ports/later\n");
	mnt_stop_daemon(&M);
	sleep(3);
	mnt_start(&M, "--port-expiry=2");
	expect("after a restart: gone\n",
	       "[ -e ports/later ] && echo 'after a restart: kept' || echo 'after a restart: gone'\n");
}
