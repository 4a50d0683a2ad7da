#!/usr/bin/env python3
"""Counts every test case in a meson test log (TAP subtests included) and
prints the failing ones, then one line: "N passed, N failed". Exit 1 if any
failed. A test binary that printed no TAP line counts as one case. The
second argument, if given, is meson test's exit status.

A sanitizer report (AddressSanitizer, LeakSanitizer, UBSan) anywhere in a
binary's output counts as one more failed case for that binary: Criterion
reports a case before its process exits, so a leak found at exit would
otherwise pass unseen."""
import json
import re
import sys

SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ")

passed = failed = skipped = 0
failures = []
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        name = t.get("name", "?")
        out = t.get("stdout", "") or ""
        cases = 0
        for l in out.splitlines():
            m = re.match(r"^(not ok|ok)\b(.*)$", l)
            if not m:
                continue
            cases += 1
            if m.group(1) == "ok":
                if "# SKIP" in l.upper():
                    skipped += 1
                else:
                    passed += 1
            else:
                failed += 1
                failures.append(f"{name}: {l}")
        if cases == 0:
            if t.get("result") in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif t.get("result") == "SKIP":
                skipped += 1
            else:
                failed += 1
                failures.append(f"{name}: {t.get('result')}")
        elif t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP"):
            # A crash after some cases printed: the rest never ran.
            failed += 1
            failures.append(f"{name}: {t.get('result')} (binary did not finish)")
        reports = [l for l in (out + "\n" + (t.get("stderr", "") or "")).splitlines()
                   if SANITIZER.search(l)]
        if reports:
            failed += 1
            failures.append(f"{name}: {len(reports)} sanitizer report(s), first: {reports[0].strip()}")
# meson test's own exit status (optional): a failure it saw that no case
# shows (a rebuild that failed halfway, a killed run) still counts.
if len(sys.argv) > 2 and sys.argv[2] != "0" and failed == 0:
    failed += 1
    failures.append(f"meson test exited with status {sys.argv[2]}")
for f in failures:
    print("FAILED:", f)
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
