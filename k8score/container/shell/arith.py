"""``$(( ))`` arithmetic: integers, variables, ``+ - * / % **``, comparisons, ``&& || !``,
parentheses, ``?:`` and assignments (``=``, ``+=``, ``-=``) as in ``shell/math.c``.

Values are ash's ``arith_t`` (``long long``, ``ENABLE_FEATURE_SH_MATH_64``): every result wraps
to a signed 64-bit integer as on the CPU, and a shift count is taken modulo 64 (x86's ``shl``),
so ``$((1 << 100000))`` or ``$((2 ** 99999999))`` cost no more than ``$((1 + 1))``.

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
_POWER = "**"                      # binds tighter than * and is right-associative


class ArithError(Exception):
    pass


_BITS = 64


def _wrap(v: int) -> int:
    """Two's-complement wrap to a signed 64-bit value (what ``long long`` arithmetic does)."""
    v &= (1 << _BITS) - 1
    return v - (1 << _BITS) if v >> (_BITS - 1) else v


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
            return self.power()
        left = self.binary(level + 1)
        while self._peek() in _BINARY[level]:
            op = self.toks[self.i]
            self.i += 1
            left = _apply(op, left, self.binary(level + 1))
        return left

    def power(self) -> int:
        base = self.unary()
        if self._peek() == _POWER:
            self.i += 1
            return _apply(_POWER, base, self.power())
        return base

    def unary(self) -> int:
        tok = self._peek()
        if tok in ("-", "+", "!", "~"):
            self.i += 1
            v = self.unary()
            return _wrap({"-": -v, "+": v, "!": int(not v), "~": ~v}[tok])
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
            return _number(tok)
        if _is_name(tok):
            return self._var(tok)
        raise ArithError("arithmetic syntax error")

    def _var(self, name: str) -> int:
        raw = self.get(name).strip()
        if not raw:
            return 0
        return _number(raw)


def _number(text: str) -> int:
    """A literal as ``strtoll(text, &end, 0)`` reads it: ``0x`` hex, leading ``0`` octal; any
    character left over (``08``, ``1a``) is a syntax error. Too large values wrap."""
    try:
        sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
        if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xX":
            value = int(digits, 8)
        else:
            value = int(digits, 0)
    except ValueError:
        raise ArithError("arithmetic syntax error") from None
    return _wrap(sign * value)


def _is_name(tok: str) -> bool:
    return tok[0].isalpha() or tok[0] == "_"


def _apply(op: str, a: int, b: int) -> int:
    return _wrap(_apply_exact(op, a, b))


def _apply_exact(op: str, a: int, b: int) -> int:
    if op == "**":
        if b < 0:
            raise ArithError("exponent less than 0")          # shell/math.c
        return pow(a, b, 1 << _BITS)
    if op in ("<<", ">>"):
        return a << (b & (_BITS - 1)) if op == "<<" else a >> (b & (_BITS - 1))
    if op in ("/", "%") and b == 0:
        raise ArithError("divide by zero")
    if op == "/":
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q      # C truncates toward zero
    if op == "%":
        return a - b * _apply_exact("/", a, b)
    return {"+": a + b, "-": a - b, "*": a * b, "<": int(a < b), ">": int(a > b), "<=": int(a <= b),
            ">=": int(a >= b), "==": int(a == b), "!=": int(a != b), "&&": int(bool(a and b)),
            "||": int(bool(a or b)), "&": a & b, "|": a | b, "^": a ^ b, "<<": a << b, ">>": a >> b}[op]
