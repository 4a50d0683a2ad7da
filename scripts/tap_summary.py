#!/usr/bin/env python3
"""Counts every test case in meson test logs (TAP subtests included) and
prints the failing ones, then one line: "N passed, N failed". Exit 1 if any
failed. A test binary that printed no TAP line counts as one case.

    tap_summary.py [--setup-failures N] LOG [STATUS] [LOG [STATUS] ...]

Each LOG (a testlog.json) may be followed by meson test's exit status for
it. Several logs (scripts/test.sh --all: the plain, sanitized and fuzz
runs) add up, each case of each run counted once; a failure is then named
with its build directory. --setup-failures counts N more failed cases:
runs that did not build or ran no test.

A sanitizer report (AddressSanitizer, LeakSanitizer, UBSan) anywhere in a
binary's output counts as one more failed case for that binary: Criterion
reports a case before its process exits, so a leak found at exit would
otherwise pass unseen."""
import json
import re
import sys

SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ")


class Count:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def fail(self, what):
        self.failed += 1
        self.failures.append(what)


def count_log(c, log, status, prefix):
    failed_before = c.failed
    with open(log) as f:
        for line in f:
            t = json.loads(line)
            name = prefix + t.get("name", "?")
            out = t.get("stdout", "") or ""
            cases = not_ok = 0
            plan = None
            for l in out.splitlines():
                p = re.match(r"^1\.\.(\d+)", l)
                if p:
                    plan = int(p.group(1))
                    continue
                m = re.match(r"^(not ok|ok)\b(.*)$", l)
                if not m:
                    continue
                cases += 1
                if m.group(1) == "ok":
                    if "# SKIP" in l.upper():
                        c.skipped += 1
                    else:
                        c.passed += 1
                else:
                    not_ok += 1
                    c.fail(f"{name}: {l}")
            if cases == 0:
                if t.get("result") in ("OK", "EXPECTEDFAIL"):
                    c.passed += 1
                elif t.get("result") == "SKIP":
                    c.skipped += 1
                else:
                    c.fail(f"{name}: {t.get('result')}")
            elif t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and (
                    not_ok == 0 or (plan is not None and cases < plan)):
                # A crash after some cases printed (the rest never ran), or
                # a failure no case shows. A failed case alone fails the
                # binary too; it is counted once, above.
                c.fail(f"{name}: {t.get('result')} (binary did not finish)")
            reports = [l for l in (out + "\n" + (t.get("stderr", "") or "")).splitlines()
                       if SANITIZER.search(l)]
            if reports:
                c.fail(f"{name}: {len(reports)} sanitizer report(s), first: "
                       f"{reports[0].strip()}")
    # meson test's own exit status: a failure it saw that no case shows (a
    # rebuild that failed halfway, a killed run) still counts.
    if status != "0" and c.failed == failed_before:
        c.fail(f"{prefix}meson test exited with status {status}")


def main():
    args = sys.argv[1:]
    c = Count()
    if args[:1] == ["--setup-failures"]:
        for _ in range(int(args[1])):
            c.fail("a run did not build or ran no test (see above)")
        args = args[2:]
    runs = []
    while args:
        log = args.pop(0)
        status = args.pop(0) if args and re.fullmatch(r"-?\d+", args[0]) else "0"
        runs.append((log, status))
    for log, status in runs:
        prefix = log.split("/meson-logs/")[0] + ": " if len(runs) > 1 else ""
        count_log(c, log, status, prefix)
    for f in c.failures:
        print("FAILED:", f)
    line = f"{c.passed} passed, {c.failed} failed"
    if c.skipped:
        line += f", {c.skipped} skipped"
    print(line)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
