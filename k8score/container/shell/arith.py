"""``$(( ))`` arithmetic: integers, variables, ``+ - * / %``, comparisons, ``&& || !``,
parentheses, ``?:`` and assignments (``=``, ``+=``, ``-=``) as in ``shell/math.c``.

``evaluate(text, get, set)`` returns an int; a bad expression raises :class:`ArithError`
with ash's message (``arithmetic syntax error``, ``divide by zero``).
"""

from __future__ import annotations

import re
from typing import Callable

_TOKEN = re.compile(r"\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z_0-9]*|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||"
                    r"\+=|-=|\*=|/=|%=|[-+*/%()<>!=?:~^&|])")

# binary operators by precedence (lowest first), C's table as shell/math.c uses
_BINARY = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", ">", "<=", ">="),
           ("<<", ">>"), ("+", "-"), ("*", "/", "%")]


class ArithError(Exception):
    pass


def evaluate(text: str, get: Callable[[str], str], set_: Callable[[str, str], None]) -> int:
    toks: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ArithError("arithmetic syntax error")
        toks.append(m.group(1))
        pos = m.end()
    if not toks:
        return 0
    p = _P(toks, get, set_)
    value = p.assign()
    if p.i != len(toks):
        raise ArithError("arithmetic syntax error")
    return value


class _P:
    def __init__(self, toks: list[str], get, set_):
        self.toks, self.i, self.get, self.set = toks, 0, get, set_

    def _peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def assign(self) -> int:
        if self.i + 1 < len(self.toks) and _is_name(self.toks[self.i]) and \
                self.toks[self.i + 1] in ("=", "+=", "-=", "*=", "/=", "%="):
            name, op = self.toks[self.i], self.toks[self.i + 1]
            self.i += 2
            rhs = self.assign()
            value = rhs if op == "=" else _apply(op[0], self._var(name), rhs)
            self.set(name, str(value))
            return value
        return self.ternary()

    def ternary(self) -> int:
        cond = self.binary(0)
        if self._peek() == "?":
            self.i += 1
            a = self.assign()
            if self._peek() != ":":
                raise ArithError("arithmetic syntax error")
            self.i += 1
            b = self.assign()
            return a if cond else b
        return cond

    def binary(self, level: int) -> int:
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self._peek() in _BINARY[level]:
            op = self.toks[self.i]
            self.i += 1
            left = _apply(op, left, self.binary(level + 1))
        return left

    def unary(self) -> int:
        tok = self._peek()
        if tok in ("-", "+", "!", "~"):
            self.i += 1
            v = self.unary()
            return {"-": -v, "+": v, "!": int(not v), "~": ~v}[tok]
        if tok == "(":
            self.i += 1
            v = self.assign()
            if self._peek() != ")":
                raise ArithError("arithmetic syntax error")
            self.i += 1
            return v
        if tok is None:
            raise ArithError("arithmetic syntax error")
        self.i += 1
        if tok[0].isdigit():
            return int(tok, 0) if not (len(tok) > 1 and tok[0] == "0" and tok[1].isdigit()) else int(tok, 8)
        if _is_name(tok):
            return self._var(tok)
        raise ArithError("arithmetic syntax error")

    def _var(self, name: str) -> int:
        raw = self.get(name).strip()
        if not raw:
            return 0
        try:
            return int(raw, 0)
        except ValueError:
            raise ArithError("arithmetic syntax error") from None


def _is_name(tok: str) -> bool:
    return tok[0].isalpha() or tok[0] == "_"


def _apply(op: str, a: int, b: int) -> int:
    if op in ("/", "%") and b == 0:
        raise ArithError("divide by zero")
    if op == "/":
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q      # C truncates toward zero
    if op == "%":
        return a - b * _apply("/", a, b)
    return {"+": a + b, "-": a - b, "*": a * b, "<": int(a < b), ">": int(a > b), "<=": int(a <= b),
            ">=": int(a >= b), "==": int(a == b), "!=": int(a != b), "&&": int(bool(a and b)),
            "||": int(bool(a or b)), "&": a & b, "|": a | b, "^": a ^ b, "<<": a << b, ">>": a >> b}[op]
