"""Request body limits: size, nesting depth, JSON-only values (no NaN/Infinity).

- Size: kube-apiserver reads at most ``MaxRequestBodyBytes`` = 3 MiB of a body
  (k8s.io/apiserver pkg/server/config.go) and answers 413 ``Request entity too large:
  limit is 3145728`` past it (pkg/endpoints/handlers/rest.go ``limitedReadBody``).
- Depth: Go's JSON scanner stops at 10000 levels (encoding/json scanner.go
  ``maxNestingDepth``; apimachinery pkg/util/json ``maxDepth``) with ``exceeded max depth``.
  Python recurses on nested values (and Pyodide has a small stack), so k8score stops at
  ``MAX_DEPTH`` = 100 levels with the same wording — no built-in object comes near it.
- NaN/Infinity are not JSON: a body holding one is answered as Go's parser answers it,
  ``invalid character 'N' looking for beginning of value``.

>>> check_body(b"x" * MAX_BODY_BYTES) is None
True
>>> try: check_body(b"x" * (MAX_BODY_BYTES + 1))
... except ApiError as e: print(e.code, e.message)
413 Request entity too large: limit is 3145728
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import ApiError, status

MAX_BODY_BYTES = 3 * 1024 * 1024  # apiserver pkg/server/config.go MaxRequestBodyBytes
MAX_DEPTH = 100  # ours; upstream 10000 (see module docstring)


class JSONSyntaxError(ValueError):
    """A body Go's parser would refuse; the message is Go's SyntaxError text."""


def check_body(raw: bytes | str) -> None:
    """Raise 413 RequestEntityTooLarge when a body is over 3 MiB (bytes as sent)."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_BODY_BYTES:
        raise ApiError(status(413, "RequestEntityTooLarge",
                              f"Request entity too large: limit is {MAX_BODY_BYTES}"))


class Float(float):
    """A float that remembers its JSON literal, so errors quote it as Go does (``1e3``)."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> "Float":
        f = super().__new__(cls, text)
        f.text = text
        return f


class DupDict(dict):
    """An object with a repeated key; ``pairs`` keeps every (key, value) in order."""

    __slots__ = ("pairs",)


def _pairs(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) == len(pairs):
        return d
    out = DupDict(d)
    out.pairs = pairs
    return out


def _constant(name: str) -> Any:
    raise JSONSyntaxError(_bad_char(name))


def _bad_char(name: str) -> str:
    if name.startswith("-"):  # "-Infinity": the scanner is inside a number after '-'
        return "invalid character 'I' in numeric literal"
    return f"invalid character '{name[0]}' looking for beginning of value"


def parse_json(raw: bytes | str) -> Any:
    """Parse a request body: size-checked, NaN/Infinity refused, depth bounded.

    Floats are :class:`Float` (keeping their text), objects with a duplicated key are a
    :class:`DupDict`. Raises ApiError 413, or JSONSyntaxError with Go's message.
    """
    check_body(raw)
    try:
        value = json.loads(raw, parse_float=Float, parse_constant=_constant,
                           object_pairs_hook=_pairs)
    except RecursionError:
        raise JSONSyntaxError(f"invalid character '{_first_open(raw)}' exceeded max depth") from None
    except JSONSyntaxError:
        raise
    except ValueError as e:  # json.JSONDecodeError; Go words it differently, keep it short
        raise JSONSyntaxError(f"invalid character looking for beginning of value: {e}") from None
    check_value(value)
    return value


def _first_open(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    for ch in text:
        if ch in "[{":
            return ch
    return "["


def check_value(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise JSONSyntaxError if a value is deeper than ``max_depth`` or holds NaN/Infinity.

    Iterative, so it is safe on any nesting; types other than JSON's raise TypeError.
    """
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        t = type(v)
        if t is dict or t is list or isinstance(v, (dict, list)):
            if depth > max_depth:
                raise JSONSyntaxError(f"invalid character '{'{' if isinstance(v, dict) else '['}' "
                                      "exceeded max depth")
            children = v.values() if isinstance(v, dict) else v
            for c in children:
                if type(c) in (dict, list) or isinstance(c, (dict, list, float)):
                    stack.append((c, depth + 1))
        elif isinstance(v, float) and not math.isfinite(v):
            raise JSONSyntaxError(_bad_char("NaN" if v != v else ("-Infinity" if v < 0 else "Infinity")))
