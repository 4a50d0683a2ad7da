#!/usr/bin/env python3
"""Writes raw seed inputs for the fuzz harnesses from the strings the tests
use (every C string literal of the test files each harness's parser is
tested by, adjacent literals joined, escapes decoded), shaped as each
harness reads its input (docs/fuzzing.md), plus record lines captured from
a live port when a file of them is given.

    seeds.py OUTDIR [RECORDS_FILE]

OUTDIR/<harness>/ gets one file per seed; fuzz/make-corpus.sh then keeps
the ones that add coverage (libFuzzer -merge=1) in fuzz/corpus/<harness>/."""
import hashlib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEP = b"\x1e"

# harness: the test files whose strings seed it.
SOURCES = {
    "cmd": ["test_cmd.c", "test_control.c", "test_apply.c", "test_engine.c", "test_cmm.c"],
    "control": ["test_control.c", "test_cmd.c", "test_mount_control.c", "test_mount_cmm.c"],
    "filter": ["test_filter.c", "test_notify_ports.c"],
    "port": ["test_notify_ports.c", "test_filter.c"],
    "value": ["test_value.c", "test_mount_registry.c"],
    "name": ["test_registry.c", "test_mount_registry.c", "test_mount_errors.c"],
    "wstr": ["test_clusapi_registry.c", "test_clusapi_objects.c", "test_value.c"],
    "clusapi_records": ["test_journal.c", "test_notify_ports.c"],
    "cmm_records": ["test_journal.c", "test_cmm_lib.c"],
    "cmm_view": ["test_cmm_lib.c", "test_mount_cmm.c"],
}

LITERAL = re.compile(rb'"((?:[^"\\\n]|\\.)*)"')
BETWEEN = re.compile(rb'^(\s|//[^\n]*\n|/\*.*?\*/)*$', re.S)


def decode(body):
    out, i = bytearray(), 0
    simple = {b"n": 10, b"t": 9, b"r": 13, b"\\": 92, b'"': 34, b"'": 39, b"a": 7,
              b"b": 8, b"f": 12, b"v": 11, b"?": 63, b"e": 27}
    while i < len(body):
        c = body[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        e = body[i + 1:i + 2]
        i += 2
        if e in simple:
            out.append(simple[e])
        elif e == b"x":
            j = i
            while j < len(body) and body[j:j + 1] in b"0123456789abcdefABCDEF" and j < i + 8:
                j += 1
            out.append(int(body[i:j] or b"0", 16) & 0xFF)
            i = j
        elif e in b"01234567":
            j = i - 1
            while j < len(body) and j < i + 2 and body[j:j + 1] in b"01234567":
                j += 1
            out.append(int(body[i - 1:j], 8) & 0xFF)
            i = j
        else:
            out += e
    return bytes(out)


def literals(path):
    src = open(path, "rb").read()
    found, last_end, cur = [], None, None
    for m in LITERAL.finditer(src):
        # Skip #include "x.h" lines.
        line_start = src.rfind(b"\n", 0, m.start()) + 1
        if src[line_start:m.start()].lstrip().startswith(b"#include"):
            continue
        s = decode(m.group(1))
        if cur is not None and BETWEEN.match(src[last_end:m.start()]):
            cur += s
        else:
            if cur is not None:
                found.append(cur)
            cur = s
        last_end = m.end()
    if cur is not None:
        found.append(cur)
    return found


def utf16(b):
    try:
        return b.decode("utf-8").encode("utf-16-le")
    except UnicodeDecodeError:
        return None


def shapes(harness, s, records):
    """The seeds one test string makes for a harness."""
    if harness == "port":
        return [s, SEP + s, SEP + SEP + s, SEP * 3 + s]
    if harness == "value":
        return [bytes([t]) + s for t in (0x01, 0x17, 0x24, 0x43, 0x35, 0x76, 0x51)]
    if harness == "wstr":
        out = [bytes([0x40]) + s, bytes([0x02]) + s]
        w = utf16(s)
        if w is not None:
            out += [bytes([0x41]) + w, bytes([0x03]) + w]
        return out
    if harness == "clusapi_records":
        return [bytes([0, 64]) + s + b"\n", bytes([7, 3]) + s + b"\n"]
    if harness == "cmm_view":
        lines = s.split(b"\n")
        return [s, b"n1\n" + s]
    return [s]


def record_seeds(harness, lines):
    out = []
    for line in lines:
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if harness == "clusapi_records":
            for key in {1, int(r.get("v2type", 0)) + 1}:
                r["key"] = key
                out.append(bytes([0, 64]) + json.dumps(r, separators=(",", ":")).encode() + b"\n")
        elif harness == "cmm_records":
            out.append(line + b"\n")
    return out


def main():
    outdir = sys.argv[1]
    records = []
    if len(sys.argv) > 2:
        records = [l for l in open(sys.argv[2], "rb").read().split(b"\n") if l.startswith(b"{")]
    for harness, files in SOURCES.items():
        d = os.path.join(outdir, harness)
        os.makedirs(d, exist_ok=True)
        seeds = set()
        for f in files:
            p = os.path.join(ROOT, "tests", f)
            if not os.path.exists(p):
                continue
            for s in literals(p):
                if len(s) <= 4096:
                    seeds.update(shapes(harness, s, records))
        seeds.update(record_seeds(harness, records))
        for s in seeds:
            name = hashlib.sha1(s).hexdigest()
            with open(os.path.join(d, name), "wb") as f:
                f.write(s)
        print(f"{harness}: {len(seeds)} raw seeds")


if __name__ == "__main__":
    main()
