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

static void expect_fail(const char *errtext, const char *script)
{
	char *pre = NULL;
	cr_assert_geq(asprintf(&pre, PRE, RD_PY), 0);
	expect_err_pre(pre, errtext, script);
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
	/* And through an anonymous port, and a filter naming the key. */
	expect("value_set Open v again\n",
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
