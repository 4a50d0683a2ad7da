#!/usr/bin/env python3
"""One file-system operation for scripts/abuse.sh, made with the system
calls themselves, so that the errno is exact: prints OK or the errno's
name (EINVAL, ...), prefixed with the call that failed when it is not the
main one ("close: EINVAL"); a write() that wrote less than it was given
says so ("short write: N of M bytes"). Exit status 0 either way; 2 for a bad use.

    abuse_op.py OP PATH [ARGS...]

OP: write PATH DATA [FLAGS]   one open(), one write() per DATA, one close()
                              FLAGS: t (O_TRUNC, the default), a (O_APPEND),
                              n (neither), s<N> (pwrite at offset N)
    writes PATH DATA DATA...  one open, one write() per DATA, close
    read PATH | stat PATH | mkdir PATH | rmdir PATH | unlink PATH
    create PATH               open(O_CREAT|O_EXCL|O_WRONLY), close
    truncate PATH SIZE | fallocate PATH SIZE
    mknod PATH p|c|b | link SRC PATH | symlink TARGET PATH | rename SRC PATH
    chmod PATH OCTAL | chown PATH UID GID
    setxattr PATH NAME DATA | getxattr PATH NAME | removexattr PATH NAME
DATA: hex:HEX, text:TEXT (with \\n \\t \\xHH escapes), random:N (N bytes
from a fixed seed), repeat:N:TEXT (TEXT N times), file:PATH."""
import errno
import os
import random
import stat
import sys


def data(spec):
    kind, _, rest = spec.partition(":")
    if kind == "hex":
        return bytes.fromhex(rest)
    if kind == "text":
        return rest.encode("utf-8", "surrogateescape").decode("unicode_escape").encode("latin-1")
    if kind == "random":
        return random.Random(int(rest)).randbytes(int(rest))
    if kind == "repeat":
        n, _, text = rest.partition(":")
        return data("text:" + text) * int(n)
    if kind == "file":
        return open(rest, "rb").read()
    raise SystemExit(f"bad data spec {spec}")


def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def op_write(path, specs, flags="t"):
    mode = os.O_WRONLY | (os.O_TRUNC if flags == "t" else 0) | (os.O_APPEND if flags == "a" else 0)
    fd = os.open(path, mode)
    short = None
    try:
        for spec in specs:
            buf = data(spec)
            if flags.startswith("s"):
                n = os.pwrite(fd, buf, int(flags[1:]))
            else:
                n = os.write(fd, buf)
            if n < len(buf) and short is None:
                short = f"short write: {n} of {len(buf)} bytes"
    except OSError as e:
        try:
            os.close(fd)
        except OSError:
            pass
        raise e
    try:
        os.close(fd)
    except OSError as e:
        return f"close: {name(e)}"
    return short or "OK"


def run(op, a):
    if op == "write":
        return op_write(a[0], [a[1]], a[2] if len(a) > 2 else "t")
    if op == "writes":
        return op_write(a[0], a[1:], "t")
    if op == "read":
        fd = os.open(a[0], os.O_RDONLY)
        os.read(fd, 1 << 20)
        os.close(fd)
    elif op == "stat":
        os.lstat(a[0])
    elif op == "mkdir":
        os.mkdir(a[0])
    elif op == "rmdir":
        os.rmdir(a[0])
    elif op == "unlink":
        os.unlink(a[0])
    elif op == "create":
        os.close(os.open(a[0], os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    elif op == "truncate":
        os.truncate(a[0], int(a[1]))
    elif op == "fallocate":
        # fallocate(2) itself, as fallocate(1) calls it: glibc's
        # posix_fallocate would write zeros where the call is refused.
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        fd = os.open(a[0], os.O_WRONLY)
        try:
            if libc.fallocate(fd, 0, 0, int(a[1])) != 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
        finally:
            os.close(fd)
    elif op == "mknod":
        kind = {"p": stat.S_IFIFO, "c": stat.S_IFCHR, "b": stat.S_IFBLK}[a[1]]
        os.mknod(a[0], kind | 0o644, os.makedev(1, 3) if a[1] != "p" else 0)
    elif op == "link":
        os.link(a[0], a[1])
    elif op == "symlink":
        os.symlink(a[0], a[1])
    elif op == "rename":
        os.rename(a[0], a[1])
    elif op == "chmod":
        os.chmod(a[0], int(a[1], 8))
    elif op == "chown":
        os.chown(a[0], int(a[1]), int(a[2]))
    elif op == "setxattr":
        os.setxattr(a[0], a[1], data(a[2]))
    elif op == "getxattr":
        os.getxattr(a[0], a[1])
    elif op == "removexattr":
        os.removexattr(a[0], a[1])
    else:
        raise SystemExit(2)
    return "OK"


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(run(sys.argv[1], sys.argv[2:]))
    except OSError as e:
        print(name(e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
