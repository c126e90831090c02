"""Text applets: ``echo printf test [ seq expr`` (busybox ``coreutils/echo.c``, ``printf.c``,
``test.c``, ``seq.c``, ``expr.c``)."""

from __future__ import annotations

import re
from typing import Any

from ...fs import FSError
from .common import MAX_TEXT, OUT_OF_MEMORY, applet, err, fs, path

_ESC = {"\\": "\\", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape(s: str, octal0: bool) -> tuple[str, bool]:
    """Backslash escapes; returns (text, stop) where stop means ``\\c`` was seen."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 >= len(s):
            out.append(c)
            i += 1
            continue
        n = s[i + 1]
        if n == "c":
            return "".join(out), True
        if n in _ESC:
            out.append(_ESC[n])
            i += 2
        elif n == "x" and re.match(r"[0-9a-fA-F]", s[i + 2:i + 3]):
            m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2:])
            out.append(chr(int(m.group(0), 16)))
            i += 2 + len(m.group(0))
        elif n.isdigit() and n < "8":
            m = re.match(r"0?[0-7]{0,3}" if octal0 else r"[0-7]{1,3}", s[i + 1:])
            digits = m.group(0)
            out.append(chr(int(digits or "0", 8) & 0xFF))
            i += 1 + max(1, len(digits))
        else:
            out.append(c)
            i += 1
    return "".join(out), False


def echo(proc: Any) -> int:
    """coreutils/echo.c: ``-n`` no newline, ``-e`` escapes, ``-E`` none (the default)."""
    args = proc.argv[1:]
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        for ch in args.pop(0)[1:]:
            newline = newline and ch != "n"
            escapes = {"e": True, "E": False}.get(ch, escapes)
    text = " ".join(args)
    if escapes:
        text, stop = _unescape(text, octal0=True)
        if stop:
            proc.stdout.write(text)
            return 0
    proc.stdout.write(text + ("\n" if newline else ""))
    return 0


_CONV = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXeEfgGcsb%])")


def printf(proc: Any) -> int:
    """coreutils/printf.c: the format is reused until the arguments are consumed."""
    if len(proc.argv) < 2:
        err(proc, "usage: printf FORMAT [ARGUMENT...]")
        return 1
    fmt, args = proc.argv[1], proc.argv[2:]
    status = 0
    out: list[str] = []

    def num(a: str, conv: str):
        nonlocal status
        if a[:1] in "'\"" and len(a) > 1:
            return ord(a[1])
        try:
            return float(a) if conv in "eEfgG" else int(a, 0) if a.strip() else 0
        except ValueError:
            err(proc, f"invalid number '{a}'")
            status = 1
            return 0

    while True:
        used = 0
        pos = 0
        for m in _CONV.finditer(fmt):
            text, stop = _unescape(fmt[pos:m.start()], octal0=False)
            out.append(text)
            if stop:
                proc.stdout.write("".join(out))
                return status
            pos = m.end()
            flags, width, prec, conv = m.groups()
            if conv == "%":
                out.append("%")
                continue
            if width == "*":
                width = str(num(args[used], "d")) if used < len(args) else "0"
                used += 1
            if prec == "*":
                prec = str(num(args[used], "d")) if used < len(args) else "0"
                used += 1
            if width and width.startswith("-"):          # C: a negative * width is the - flag
                flags, width = flags + "-", width[1:]
            if prec is not None and prec.startswith("-"):  # C: a negative precision is omitted
                prec = None
            if int(width or 0) > MAX_TEXT or int(prec or 0) > MAX_TEXT:
                proc.stdout.write("".join(out))
                err(proc, OUT_OF_MEMORY)
                return 1
            arg = args[used] if used < len(args) else ""
            used += 1
            spec = "%" + flags + (width or "") + (("." + prec) if prec is not None else "")
            if conv in "sb":
                value = _unescape(arg, octal0=True)[0] if conv == "b" else arg
                out.append((spec + "s") % value)
            elif conv == "c":
                out.append((spec + "s") % arg[:1])
            else:
                value = num(arg, conv) if arg else 0
                out.append((spec + conv.replace("u", "d").replace("i", "d")) % value)
        text, stop = _unescape(fmt[pos:], octal0=False)
        out.append(text)
        args = args[used:]
        if stop or not args or used == 0:
            break
    proc.stdout.write("".join(out))
    return status


# -- test / [ ----------------------------------------------------------------------------
class _TestError(Exception):
    pass


_UNARY = set("efdsrwxnzLhbcpSgukGOt")
_BINARY = {"=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"}


def test(proc: Any) -> int:
    """coreutils/test.c: exit 0 true, 1 false, 2 on error (``sh: a: bad number``)."""
    args = proc.argv[1:]
    if proc.argv and proc.argv[0].endswith("["):
        if not args or args[-1] != "]":
            err(proc, "missing ]")
            return 2
        args = args[:-1]
    try:
        t = _Test(proc, args)
        result = t.expr() if args else False
        if t.i != len(args):
            raise _TestError(f"{args[t.i]}: unknown operand")
    except _TestError as e:
        err(proc, str(e))
        return 2
    return 0 if result else 1


class _Test:
    def __init__(self, proc: Any, args: list[str]):
        self.proc, self.args, self.i = proc, args, 0

    def _peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.args[j] if j < len(self.args) else None

    def expr(self) -> bool:
        v = self.and_()
        while self._peek() == "-o":
            self.i += 1
            v = self.and_() or v
        return v

    def and_(self) -> bool:
        v = self.not_()
        while self._peek() == "-a":
            self.i += 1
            v = self.not_() and v
        return v

    def not_(self) -> bool:
        if self._peek() == "!" and self._peek(1) is not None:
            self.i += 1
            return not self.not_()
        return self.primary()

    def primary(self) -> bool:
        a = self._peek()
        if a is None:
            raise _TestError("argument expected")
        if a == "(" and self._peek(1) is not None and self._peek(2) not in _BINARY:
            self.i += 1
            v = self.expr()
            if self._peek() != ")":
                raise _TestError("closing paren expected")
            self.i += 1
            return v
        if self._peek(1) in _BINARY and self._peek(2) is not None:
            op, b = self.args[self.i + 1], self.args[self.i + 2]
            self.i += 3
            return self.binary(a, op, b)
        if len(a) == 2 and a[0] == "-" and a[1] in _UNARY and self._peek(1) is not None:
            self.i += 2
            return self.unary(a[1], self.args[self.i - 1])
        self.i += 1
        return a != ""

    def unary(self, op: str, arg: str) -> bool:
        if op == "n":
            return arg != ""
        if op == "z":
            return arg == ""
        if op == "t":
            return False
        f = fs(self.proc)
        p = path(self.proc, arg)
        if op == "d":
            return f.isdir(p)
        if op == "f":
            return f.isfile(p)
        if op == "s":
            return f.isfile(p) and f.stat(p)["size"] > 0
        if op in "erwx":
            return f.exists(p)
        return False

    def binary(self, a: str, op: str, b: str) -> bool:
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        if op in ("<", ">"):
            return a < b if op == "<" else a > b
        if op in ("-nt", "-ot", "-ef"):
            f = fs(self.proc)
            try:
                ta, tb = f.stat(path(self.proc, a))["mtime"], f.stat(path(self.proc, b))["mtime"]
            except FSError:
                return False
            return ta > tb if op == "-nt" else ta < tb if op == "-ot" else a == b
        x, y = _int(a), _int(b)
        return {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y, "-ge": x >= y}[op]


def _int(s: str) -> int:
    if not re.fullmatch(r"\s*[-+]?\d+\s*", s):
        raise _TestError(f"{s}: bad number")
    return int(s)


def seq(proc: Any) -> int:
    """coreutils/seq.c: ``seq [-s SEP] [-w] [FIRST [INC]] LAST``."""
    args = proc.argv[1:]
    sep, width = "\n", False
    while args and args[0] in ("-s", "-w") or (args and args[0].startswith("-s") and len(args[0]) > 2):
        a = args.pop(0)
        if a == "-w":
            width = True
        else:
            sep = a[2:] if len(a) > 2 else (args.pop(0) if args else "\n")
    try:
        nums = [int(a) for a in args]
    except ValueError:
        err(proc, f"invalid number '{next(a for a in args if not a.lstrip('-').isdigit())}'")
        return 1
    if not 1 <= len(nums) <= 3:
        err(proc, "usage: seq [-w] [-s SEP] [FIRST [INC]] LAST")
        return 1
    first, inc, last = (1, 1, nums[0]) if len(nums) == 1 else (nums[0], 1, nums[1]) if len(nums) == 2 else nums
    if inc == 0:
        return 1
    span = range(first, last + (1 if inc > 0 else -1), inc)
    if len(span) * (len(sep) + max(len(str(first)), len(str(last)))) > MAX_TEXT:
        err(proc, OUT_OF_MEMORY)               # the model builds the output in memory
        return 1
    values = list(span)
    w = max((len(str(v)) for v in values), default=0)
    if values:
        proc.stdout.write(sep.join(str(v).zfill(w) if width else str(v) for v in values) + "\n")
    return 0


def expr(proc: Any) -> int:
    """coreutils/expr.c: prints the value; exit 1 when it is ``0`` or empty, 2 on errors."""
    args = proc.argv[1:]
    try:
        p = _Expr(args)
        value = p.or_()
        if p.i != len(args):
            raise _TestError("syntax error")
    except _TestError as e:
        err(proc, str(e))
        return 2
    proc.stdout.write(f"{value}\n")
    return 1 if value in (0, "", "0") else 0


class _Expr:
    _LEVELS = [("|",), ("&",), ("=", ">", ">=", "<", "<=", "!="), ("+", "-"), ("*", "/", "%"), (":",)]

    def __init__(self, args: list[str]):
        self.args, self.i = args, 0

    def or_(self, level: int = 0):
        if level == len(self._LEVELS):
            return self.atom()
        left = self.or_(level + 1)
        while self.i < len(self.args) and self.args[self.i] in self._LEVELS[level]:
            op = self.args[self.i]
            self.i += 1
            left = self._apply(op, left, self.or_(level + 1))
        return left

    def atom(self):
        if self.i >= len(self.args):
            raise _TestError("syntax error")
        tok = self.args[self.i]
        self.i += 1
        if tok == "(":
            v = self.or_()
            if self.i >= len(self.args) or self.args[self.i] != ")":
                raise _TestError("syntax error")
            self.i += 1
            return v
        if tok == "length" and self.i < len(self.args):
            return len(str(self.atom()))
        return int(tok) if re.fullmatch(r"-?\d+", tok) else tok

    @staticmethod
    def _apply(op: str, a, b):
        if op == "|":
            return a if a not in (0, "") else b
        if op == "&":
            return a if a not in (0, "") and b not in (0, "") else 0
        if op == ":":
            m = re.match(str(b).replace("\\(", "(").replace("\\)", ")"), str(a))
            if m is None:
                return "" if "\\(" in str(b) else 0
            return m.group(1) if m.groups() else len(m.group(0))
        if op in ("+", "-", "*", "/", "%"):
            if not isinstance(a, int) or not isinstance(b, int):
                raise _TestError("non-numeric argument")
            if op in "/%" and b == 0:
                raise _TestError("division by zero")
            q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
            return {"+": a + b, "-": a - b, "*": a * b, "/": q, "%": a - b * q}[op]
        if isinstance(a, int) and isinstance(b, int):
            x, y = a, b
        else:
            x, y = str(a), str(b)
        return int({"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op])


PROGRAMS = {"echo": echo, "printf": printf, "test": test, "[": test, "seq": seq, "expr": expr}
_ = applet
