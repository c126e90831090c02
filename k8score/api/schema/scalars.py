"""Leaf values as Go decodes them: numbers, base64 bytes, quantities, times.

Each helper returns the value the API server would store or raises :class:`GoError` with
Go's text. ``describe`` names a JSON value the way ``encoding/json`` does in an
``UnmarshalTypeError`` (``"number"``, ``"string"``, ``"object"`` ...).
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from ..quantity import ERR_NUMERIC, QuantityError, canonical as _q_canonical
from . import gotime

INT_RANGE = {"int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1),
             "uint8": (0, 255)}
# Our quantity parser is exact (Fraction); a 10**9-digit exponent would never finish. Values
# this large are never meaningful, so they are refused with the numeric-part error.
_Q_EXP = re.compile(r"[eE][-+]?0*(\d+)\s*$")
_Q_MAX_EXP, _Q_MAX_LEN = 1000, 256


class GoError(Exception):
    """A decode error with Go's message (``abort``: Go returns it at once, not saved)."""

    def __init__(self, message: str, abort: bool = False):
        super().__init__(message)
        self.abort = abort


def describe(v: object) -> str:
    """encoding/json's name for a value's JSON kind."""
    t = type(v)
    if t is str:
        return "string"
    if t is bool:
        return "bool"
    if t is dict:
        return "object"
    if t is list:
        return "array"
    if v is None:
        return "null"
    return "number"


def number_text(v: object) -> str:
    """A number's JSON literal: its source text when parsed by limits.parse_json."""
    text = getattr(v, "text", None)
    if text is not None:
        return text
    return json.dumps(v)


def integer(v: object, fmt: str) -> int:
    """An int32/int64 field; GoError(value description) when Go would refuse it."""
    lo, hi = INT_RANGE[fmt]
    if type(v) is int:
        if lo <= v <= hi:
            return v
        raise GoError("number " + str(v))
    if type(v) is float or (isinstance(v, float) and not isinstance(v, bool)):
        raise GoError("number " + number_text(v))  # strconv.ParseInt refuses "1.0", "1e3"
    raise GoError(describe(v))


def floating(v: object) -> float | int:
    if type(v) is int:
        try:
            float(v)
        except OverflowError:
            raise GoError("number " + str(v)) from None
        return v
    if isinstance(v, float) and type(v) is not bool:
        return v
    raise GoError(describe(v))


def b64(v: str) -> str:
    """A []byte field: standard base64 with padding, re-encoded as Go would store it."""
    try:
        return base64.b64encode(binascii.a2b_base64(v.replace("\r", "").replace("\n", ""),
                                                    strict_mode=True)).decode()
    except (binascii.Error, ValueError):
        raise GoError(f"illegal base64 data at input byte {_b64_offset(v)}") from None


def _b64_offset(s: str) -> int:
    # encoding/base64 CorruptInputError: the bad byte, or the start of an unfinished quantum
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    quantum_start, j, i = 0, 0, 0
    raw = s.encode("utf-8", "surrogatepass")
    while i < len(raw):
        c = chr(raw[i])
        if c in "\r\n":
            i += 1
            continue
        if j == 0:
            quantum_start = i
        if c == "=":
            if j < 2:
                return i
            return i if j == 2 and (i + 1 >= len(raw) or chr(raw[i + 1]) != "=") else i + (2 if j == 2 else 1)
        if c not in alphabet:
            return i
        j = (j + 1) % 4
        i += 1
    return quantum_start if j else len(raw)


def quantity(v: object) -> str:
    """A resource.Quantity: its canonical string (Quantity.UnmarshalJSON, then MarshalJSON)."""
    if type(v) is str:
        text = v
    elif type(v) in (int, float) or (isinstance(v, float) and type(v) is not bool):
        text = number_text(v)
    else:  # true, {...}, [...]: ParseQuantity of the raw JSON text fails the regex
        text = "{" if type(v) is dict else "[" if type(v) is list else "true"
    m = _Q_EXP.search(text)
    if len(text) > _Q_MAX_LEN or (m and len(m.group(1)) > 6) or (m and int(m.group(1)) > _Q_MAX_EXP):
        raise GoError(ERR_NUMERIC, abort=True)
    try:
        return _q_canonical(text.strip())
    except QuantityError as e:
        raise GoError(str(e), abort=True) from None


_TIMES: dict[tuple[str, bool], str] = {}


def time(v: str, micro: bool) -> str:
    """A metav1.Time/MicroTime string, canonical (UTC); GoError(abort) with time.Parse's text."""
    key = (v, micro)
    out = _TIMES.get(key)
    if out is None:
        try:
            out = gotime.canonical(v, micro)
        except ValueError as e:
            raise GoError(str(e), abort=True) from None
        if len(_TIMES) < 4096:
            _TIMES[key] = out
    return out
