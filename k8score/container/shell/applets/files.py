"""File applets: ``cat touch rm ls mkdir head tail grep wc tee`` over the container's
:class:`~k8score.container.fs.FileSystem`, with busybox's messages (``coreutils/cat.c``,
``touch.c``, ``libbb/remove_file.c``, ``libbb/make_directory.c``, ``coreutils/ls.c``,
``head.c``, ``tail.c``, ``findutils/grep.c``, ``coreutils/wc.c``, ``tee.c``).

``tail -f``/``-F`` polls the file once a virtual second (busybox sleeps 1 s between reads)
and never returns, like the sidecar-logging example of the Kubernetes docs.
"""

from __future__ import annotations

import posixpath
import re
import time
from typing import Any, Generator

from ...fs import FSError
from ...process import Sleep
from .common import BadOption, bad_option, err, fs, path, read_input, split_opts


def cat(proc: Any) -> int:
    status = 0
    for name in proc.argv[1:] or ["-"]:
        try:
            proc.stdout.write(read_input(proc, name))
        except FSError as e:
            if e.errno_name == "EISDIR":
                err(proc, "read error: Is a directory")
            else:
                err(proc, f"can't open '{name}': {e.strerror_text}")
            status = 1
    return status


def touch(proc: Any) -> int:
    opts, names = split_opts(proc.argv[1:], "cam")
    status = 0
    for name in names:
        p = path(proc, name)
        try:
            if not (opts.get("c") and not fs(proc).exists(p)):
                fs(proc).touch(p)
        except FSError as e:
            err(proc, f"{name}: {e.strerror_text}")
            status = 1
    return status


def rm(proc: Any) -> int:
    opts, names = split_opts(proc.argv[1:], "fRrvi")
    force, recursive = bool(opts.get("f")), bool(opts.get("r") or opts.get("R"))
    status = 0
    for name in names:
        p = path(proc, name)
        f = fs(proc)
        if not f.exists(p):
            if not force:
                err(proc, f"can't remove '{name}': No such file or directory")
                status = 1
            continue
        if f.isdir(p) and not recursive:
            err(proc, f"'{name}' is a directory")
            status = 1
            continue
        try:
            f.remove(p, recursive=recursive)
        except FSError as e:
            err(proc, f"can't remove '{name}': {e.strerror_text}")
            status = 1
    return status


def mkdir(proc: Any) -> int:
    opts, names = split_opts(proc.argv[1:], "pv", with_value="m")
    status = 0
    for name in names:
        try:
            fs(proc).mkdir(path(proc, name), parents=bool(opts.get("p")))
        except FSError as e:
            err(proc, f"can't create directory '{name}': {e.strerror_text}")
            status = 1
    return status


def _mode(st: dict) -> str:
    kind = "d" if st["type"] == "directory" else "-"
    m = st["mode"]
    bits = "".join(ch if m & (1 << (8 - k)) else "-" for k, ch in enumerate("rwxrwxrwx"))
    return kind + bits


def ls(proc: Any) -> int:
    """Non-tty output (one name per line), ``-l`` as ``coreutils/ls.c`` ``display_single``."""
    try:
        opts, names = split_opts(proc.argv[1:], "1aAldFhrt")
    except BadOption as e:
        return bad_option(proc, str(e))
    f = fs(proc)
    status = 0
    files, dirs = [], []
    for name in names or ["."]:
        p = path(proc, name)
        if not f.exists(p):
            err(proc, f"{name}: No such file or directory")
            status = 1
        elif f.isdir(p) and not opts.get("d"):
            dirs.append((name, p))
        else:
            files.append((name, p))
    out: list[str] = []
    for name, p in sorted(files):
        out.append(_entry(proc, name, p, opts))
    for k, (name, p) in enumerate(sorted(dirs)):
        if len(dirs) + len(files) > 1:
            out.append(("\n" if out else "") + f"{name}:")
        entries = f.listdir(p)
        if opts.get("a"):
            entries = [".", ".."] + entries
        elif not opts.get("A"):
            entries = [e for e in entries if not e.startswith(".")]
        if opts.get("l"):
            out.append(f"total {len(entries) * 4 if entries else 0}")
        for e in (reversed(entries) if opts.get("r") else entries):
            out.append(_entry(proc, e, posixpath.normpath(posixpath.join(p, e)), opts))
    if out:
        proc.stdout.write("\n".join(out) + "\n")
    return status


def _entry(proc: Any, name: str, p: str, opts: dict) -> str:
    if not opts.get("l"):
        return name
    st = fs(proc).stat(p)
    when = time.strftime("%b %e %H:%M", time.gmtime(proc.epoch + st["mtime"]))
    return f"{_mode(st):<10} {1:>4} {'root':<8} {'root':<8} {st['size']:>9} {when} {name}"


def _count_opt(proc: Any, args: list[str]) -> tuple[str | None, list[str]]:
    rest, n = [], None
    k = 0
    while k < len(args):
        a = args[k]
        if a == "-n" and k + 1 < len(args):
            n, k = args[k + 1], k + 2
            continue
        if a.startswith("-n") and len(a) > 2:
            n = a[2:]
        elif re.fullmatch(r"-\d+", a):
            n = a[1:]
        elif a in ("-f", "-F", "-q", "-s", "-v"):
            rest.append(a)
        else:
            rest.append(a)
        k += 1
    return n, rest


def head(proc: Any) -> int:
    n, names = _count_opt(proc, proc.argv[1:])
    return _head_tail(proc, n or "10", [a for a in names if not a.startswith("-") or a == "-"], tail=False)


def tail(proc: Any) -> Generator[Any, Any, int] | int:
    n, args = _count_opt(proc, proc.argv[1:])
    follow = "-f" in args or "-F" in args
    names = [a for a in args if not a.startswith("-") or a == "-"]
    status = _head_tail(proc, n or "10", names, tail=True)
    if not follow or not names:
        return status
    return _follow(proc, names)


def _follow(proc: Any, names: list[str]) -> Generator[Any, Any, int]:
    seen = {}
    for name in names:
        try:
            seen[name] = len(read_input(proc, name))
        except FSError:
            seen[name] = 0
    while True:
        yield Sleep(1.0)
        for name in names:
            try:
                data = read_input(proc, name)
            except FSError:
                continue
            if len(data) < seen[name]:
                seen[name] = 0                       # truncated: start again
            proc.stdout.write(data[seen[name]:])
            seen[name] = len(data)


def _head_tail(proc: Any, n: str, names: list[str], tail: bool) -> int:
    status = 0
    names = names or ["-"]
    from_start = n.startswith("+")
    try:
        count = int(n.lstrip("+"))
    except ValueError:
        err(proc, f"invalid number '{n}'")
        return 1
    for k, name in enumerate(names):
        try:
            data = read_input(proc, name)
        except FSError as e:
            err(proc, f"{name}: {e.strerror_text}" if not tail else f"can't open '{name}': {e.strerror_text}")
            status = 1
            continue
        if len(names) > 1:
            proc.stdout.write(("\n" if k else "") + f"==> {name} <==\n")
        lines = data.splitlines(keepends=True)
        if not tail:
            part = lines[:count]
        elif from_start:
            part = lines[max(count - 1, 0):]
        else:
            part = lines[-count:] if count else []
        proc.stdout.write("".join(part))
    return status


def _bre_to_re(pat: str) -> str:
    """POSIX basic regex -> Python: ``\\( \\) \\{ \\} \\| \\+ \\?`` are the operators."""
    out, i = [], 0
    while i < len(pat):
        c = pat[i]
        if c == "\\" and i + 1 < len(pat):
            n = pat[i + 1]
            out.append(n if n in "(){}|+?" else "\\" + n)
            i += 2
            continue
        out.append("\\" + c if c in "(){}|+?" else c)
        i += 1
    return "".join(out)


def grep(proc: Any) -> int:
    """findutils/grep.c subset: ``-q -v -i -c -n -l -s -w -x -o -E -F -e PAT``; exit 0/1/2."""
    try:
        opts, rest = split_opts(proc.argv[1:], "qvicnlswxoEFrRhH", with_value="e")
    except BadOption as e:
        bad_option(proc, str(e))
        return 2                                  # grep's usage errors exit 2 (grep.c)
    if "e" in opts:
        pattern = opts["e"]
    elif rest:
        pattern = rest.pop(0)
    else:
        err(proc, "usage: grep [-vicnlqsEFwxo] PATTERN [FILE]...")
        return 2
    if opts.get("F"):
        rx = re.escape(pattern)
    else:
        rx = pattern if opts.get("E") or proc.argv[0].endswith("egrep") else _bre_to_re(pattern)
    if opts.get("w"):
        rx = rf"\b(?:{rx})\b"
    if opts.get("x"):
        rx = rf"^(?:{rx})$"
    try:
        cre = re.compile(rx, re.I if opts.get("i") else 0)
    except re.error:
        err(proc, f"bad regex '{pattern}'")
        return 2
    names = rest or ["-"]
    matched_any, status = False, 0
    for name in names:
        try:
            data = read_input(proc, name)
        except FSError as e:
            if not opts.get("s"):
                err(proc, f"{name}: {e.strerror_text}")
            status = 2
            continue
        prefix = f"{name}:" if len(names) > 1 and not opts.get("h") else ""
        count = 0
        for lineno, line in enumerate(data.splitlines(), 1):
            hit = bool(cre.search(line)) != bool(opts.get("v"))
            if not hit:
                continue
            count += 1
            matched_any = True
            if opts.get("q"):
                return 0
            if opts.get("c") or opts.get("l"):
                continue
            num = f"{lineno}:" if opts.get("n") else ""
            if opts.get("o") and not opts.get("v"):
                for m in cre.finditer(line):
                    proc.stdout.write(f"{prefix}{num}{m.group(0)}\n")
            else:
                proc.stdout.write(f"{prefix}{num}{line}\n")
        if opts.get("c"):
            proc.stdout.write(f"{prefix}{count}\n")
        elif opts.get("l") and count:
            proc.stdout.write(f"{name}\n")
    if status and not matched_any:
        return 2
    return 0 if matched_any else 1


def wc(proc: Any) -> int:
    """coreutils/wc.c: columns lines, words, chars, bytes; one column -> no padding."""
    try:
        opts, names = split_opts(proc.argv[1:], "lwmcL")
    except BadOption as e:
        return bad_option(proc, str(e))
    cols = [c for c in "lwmcL" if opts.get(c)] or ["l", "w", "c"]
    status = 0
    rows = []
    for name in names or ["-"]:
        try:
            data = read_input(proc, name)
        except FSError as e:
            err(proc, f"{name}: {e.strerror_text}")
            status = 1
            continue
        vals = {"l": data.count("\n"), "w": len(data.split()), "m": len(data), "c": len(data.encode()),
                "L": max((len(x) for x in data.split("\n")), default=0)}
        rows.append(([vals[c] for c in cols], "" if name == "-" else name))
    if len(rows) > 1:
        rows.append(([sum(r[0][k] for r in rows) for k in range(len(cols))], "total"))
    for values, name in rows:
        if len(cols) == 1:
            text = str(values[0])
        else:
            text = " ".join(f"{v:9d}" for v in values)
        proc.stdout.write(text + (f" {name}\n" if name else "\n"))
    return status


def tee(proc: Any) -> int:
    opts, names = split_opts(proc.argv[1:], "ai")
    data = proc.stdin
    status = 0
    for name in names:
        try:
            fs(proc).write(path(proc, name), data, append=bool(opts.get("a")) and fs(proc).exists(path(proc, name)))
        except FSError as e:
            err(proc, f"can't open '{name}': {e.strerror_text}")
            status = 1
    proc.stdout.write(data)
    return status


PROGRAMS = {"cat": cat, "touch": touch, "rm": rm, "mkdir": mkdir, "ls": ls, "head": head, "tail": tail,
            "grep": grep, "egrep": grep, "wc": wc, "tee": tee}
