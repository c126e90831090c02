"""System applets: ``sleep date env hostname id uname true false pwd kill`` (busybox
``coreutils/sleep.c``, ``date.c``, ``env.c``, ``networking/hostname.c``, ``coreutils/id.c``,
``uname.c``, ``procps/kill.c``).

The kernel facts ``uname`` and ``id`` print are model constants: a Linux 6.8 x86_64 node and the
``root`` user of the busybox image (``/etc/group`` has ``root:x:0:`` and ``wheel:x:10:root``).
"""

from __future__ import annotations

import posixpath
import re
import time
from typing import Any, Generator

from ...process import Pause, Sleep, Wait
from .common import err, split_opts

from ....node.host import KERNEL_RELEASE, KERNEL_VERSION
MACHINE = "x86_64"

# coreutils/sleep.c (FEATURE_FANCY_SLEEP): suffixes multiply, several arguments add up
_SUFFIX = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def sleep(proc: Any) -> Generator[Any, Any, int]:
    args = proc.argv[1:]
    if not args:
        err(proc, "missing operand")
        return 1
    total = 0.0
    for a in args:
        if a in ("inf", "infinity"):
            while True:          # only a signal ends it (the process's default action)
                yield Pause()
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", a)
        if not m:
            err(proc, f"invalid number '{a}'")
            return 1
        total += float(m.group(1)) * _SUFFIX[m.group(2)]
    deadline = proc.now() + total
    for _ in range(10000):
        left = deadline - proc.now()
        if left <= 1e-9:
            break
        # a signal handled by the caller's process may resume us early: sleep the rest,
        # as the real sleep(1) is another process the signal never reached
        yield Sleep(left)
    return 0


def strftime(fmt: str, t: float) -> str:
    """strftime(3) in UTC with glibc's ``%e``, ``%s``, ``%N``, ``%z``, ``%Z`` (deterministic)."""
    tm = time.gmtime(int(t))
    frac = int(round((t - int(t)) * 1e9)) % 1_000_000_000

    def one(m: re.Match) -> str:
        c = m.group(1)
        if c == "%":
            return "%"
        if c == "e":
            return f"{tm.tm_mday:2d}"
        if c == "s":
            return str(int(t))
        if c == "N":
            return f"{frac:09d}"
        if c == "z":
            return "+0000"
        if c == "Z":
            return "UTC"
        if c == "k":
            return f"{tm.tm_hour:2d}"
        if c == "P":
            return time.strftime("%p", tm).lower()
        return time.strftime("%" + c, tm)
    return re.sub(r"%(.)", one, fmt)


def _representable(t: float) -> bool:
    try:
        time.gmtime(int(t))
    except (OverflowError, OSError, ValueError):
        return False
    return True


def date(proc: Any) -> int:
    """coreutils/date.c: default ``%a %b %e %H:%M:%S %Z %Y``; ``-R``, ``-I``, ``-u``, ``-d @N``,
    ``+FORMAT``. The container's clock is UTC (no TZ database in the model)."""
    args = proc.argv[1:]
    t = proc.epoch + proc.now()
    fmt = "%a %b %e %H:%M:%S %Z %Y"
    while args:
        a = args.pop(0)
        if a == "-u" or a == "--utc":
            continue
        if a == "-R":
            fmt = "%a, %d %b %Y %H:%M:%S %z"
        elif a.startswith("-I"):
            fmt = {"": "%Y-%m-%d", "date": "%Y-%m-%d", "hours": "%Y-%m-%dT%H%z", "minutes": "%Y-%m-%dT%H:%M%z",
                   "seconds": "%Y-%m-%dT%H:%M:%S%z"}.get(a[2:].lstrip("="), "%Y-%m-%d")
            if "%z" in fmt:
                fmt = fmt.replace("%z", "+00:00")
        elif a == "-d" and args:
            spec = args.pop(0)
            if not re.fullmatch(r"@-?\d+", spec):
                err(proc, f"invalid date '{spec}'")
                return 1
            t = float(spec[1:])
            if not _representable(t):          # beyond glibc's time_t/tm_year range
                err(proc, f"invalid date '{spec}'")
                return 1
        elif a.startswith("+"):
            fmt = a[1:]
        else:
            err(proc, f"invalid date '{a}'")
            return 1
    proc.stdout.write(strftime(fmt, t) + "\n")
    return 0


def env(proc: Any) -> Generator[Any, Any, int]:
    args = proc.argv[1:]
    environ = dict(proc.env)
    if args and args[0] in ("-i", "-"):
        environ = {}
        args = args[1:]
    while args and "=" in args[0] and not args[0].startswith("="):
        k, _, v = args.pop(0).partition("=")
        environ[k] = v
    if not args:
        proc.stdout.write("".join(f"{k}={v}\n" for k, v in environ.items()))
        return 0
    child_proc = proc.child(args, env=environ)
    if proc.spawn is not None:
        child = proc.spawn(args, child_proc)
        if child is not None:
            while child.exit_code is None:
                yield Wait(child)
            return child.exit_code
    else:
        from .. import PROGRAMS
        from ..interp import run_inline
        prog = PROGRAMS.get(posixpath.basename(args[0]))
        if prog is not None:
            return (yield from run_inline(prog, child_proc))
    err(proc, f"can't execute '{args[0]}': No such file or directory")
    return 127


def hostname(proc: Any) -> int:
    opts, _ = split_opts(proc.argv[1:], "isfdF")
    if opts.get("i"):
        proc.stdout.write((proc.net.ip if proc.net is not None else "127.0.0.1") + "\n")
    else:
        proc.stdout.write(proc.hostname + "\n")
    return 0


def id_(proc: Any) -> int:
    opts, _ = split_opts(proc.argv[1:], "ugGnr")
    if opts.get("u") or opts.get("g"):
        proc.stdout.write(("root" if opts.get("n") else "0") + "\n")
    elif opts.get("G"):
        proc.stdout.write(("root wheel" if opts.get("n") else "0 10") + "\n")
    else:
        proc.stdout.write("uid=0(root) gid=0(root) groups=0(root),10(wheel)\n")
    return 0


def uname(proc: Any) -> int:
    opts, _ = split_opts(proc.argv[1:], "asnrvmpio")
    fields = {"s": "Linux", "n": proc.hostname, "r": KERNEL_RELEASE, "v": KERNEL_VERSION,
              "m": MACHINE, "o": "GNU/Linux"}
    keys = "snrvmo" if opts.get("a") else [k for k in "snrvmo" if opts.get(k)] or ["s"]
    proc.stdout.write(" ".join(fields[k] for k in keys) + "\n")
    return 0


def true(proc: Any) -> int:
    return 0


def false(proc: Any) -> int:
    return 1


def pwd(proc: Any) -> int:
    proc.stdout.write((proc.cwd or "/") + "\n")
    return 0


def kill(proc: Any) -> int:
    """/bin/kill outside a shell sees no process table in the model: every pid is unknown."""
    pids = [a for a in proc.argv[1:] if not a.startswith("-")]
    if not pids:
        err(proc, "you need to specify whom to kill")
        return 1
    for pid in pids:
        if not pid.isdigit():
            err(proc, f"invalid number '{pid}'")
        else:
            err(proc, f"can't kill pid {pid}: No such process")
    return 1


PROGRAMS = {"sleep": sleep, "date": date, "env": env, "hostname": hostname, "id": id_, "uname": uname,
            "true": true, "false": false, "pwd": pwd, "kill": kill}
