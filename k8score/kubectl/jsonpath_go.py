"""The bits of Go's standard library client-go's JSONPath leans on, for :mod:`.jsonpath`.

- :func:`go_unquote`: parser.go ``UnquoteExtend`` (strconv.UnquoteChar, single quotes too);
- :func:`go_quote_rune`: fmt's ``%#U`` (``U+0023 '#'``), in parser.go's error;
- :func:`template_compare`: client-go third_party/forked/golang/template funcs.go ``Equal``,
  ``Less``..., the filter operators, with their errors;
- :func:`go_v`: fmt's ``%v`` (custom-columns cells);
- :func:`go_sharp_v`: fmt's ``%#v`` of an unstructured object (``map[string]interface {}{...}``,
  keys sorted), in kubectl's "error executing jsonpath" report.

>>> go_quote_rune("#"), go_unquote("'a\\\\tb'")
("U+0023 '#'", 'a\\tb')
>>> go_sharp_v({"b": [1, True, None], "a": "x"})
'map[string]interface {}{"a":"x", "b":[]interface {}{1, true, interface {}(nil)}}'
>>> template_compare("<", "a", "b")
True
>>> template_compare("==", 1, 1.5)
Traceback (most recent call last):
...
ValueError: incompatible types for comparison
"""

from __future__ import annotations

import json
from typing import Any

_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ERR_SYNTAX = "invalid syntax"       # strconv.ErrSyntax


def go_unquote(s: str) -> str:
    """``"..."`` or ``'...'`` with Go's escapes; ValueError("invalid syntax") if malformed."""
    if len(s) < 2 or s[0] != s[-1] or s[0] not in "\"'":
        raise ValueError(_ERR_SYNTAX)
    quote, body = s[0], s[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == quote:
            raise ValueError(_ERR_SYNTAX)      # UnquoteChar: an unescaped quote
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError(_ERR_SYNTAX)
        c = body[i + 1]
        i += 2
        if c in _SIMPLE:
            out.append(_SIMPLE[c])
        elif c == quote:
            out.append(c)
        elif c in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[c]
            digits = body[i:i + n]
            if len(digits) != n or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise ValueError(_ERR_SYNTAX)
            code = int(digits, 16)
            if code > 0x10FFFF or (c != "x" and 0xD800 <= code < 0xE000):
                raise ValueError(_ERR_SYNTAX)
            out.append(chr(code))
            i += n
        elif c in "01234567":
            digits = body[i - 1:i + 2]
            if len(digits) != 3 or any(d not in "01234567" for d in digits) or int(digits, 8) > 255:
                raise ValueError(_ERR_SYNTAX)
            out.append(chr(int(digits, 8)))
            i += 2
        else:
            raise ValueError(_ERR_SYNTAX)
    return "".join(out)


def go_quote_rune(r: str) -> str:
    """fmt ``%#U``: ``U+0023 '#'`` (the character only when printable)."""
    code = f"U+{ord(r):04X}"
    return f"{code} '{r}'" if r.isprintable() else code


def _kind(v: Any) -> str:
    # funcs.go basicKind; an unstructured object holds bool, int64, float64 and string
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    raise ValueError("invalid type for comparison")


def _equal(a: Any, b: Any) -> bool:
    if _kind(a) != _kind(b):
        raise ValueError("incompatible types for comparison")
    return a == b


def _less(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        raise ValueError("incompatible types for comparison")
    if ka == "bool":
        raise ValueError("invalid type for comparison")
    return a < b


def template_compare(op: str, a: Any, b: Any) -> bool:
    """A filter's ``a <op> b`` as funcs.go computes it (``<=`` is ``<`` or ``==``, ``>`` is
    not ``<=``, ``>=`` is not ``<``); ValueError with funcs.go's message when the kinds differ."""
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op == "<":
        return _less(a, b)
    if op == ">=":
        return not _less(a, b)
    if op in ("<=", ">"):
        less_equal = _less(a, b) or _equal(a, b)
        return less_equal if op == "<=" else not less_equal
    raise ValueError(f"unrecognized filter operator {op}")


def _go_string(s: str) -> str:
    """strconv.Quote (printable non-ASCII kept)."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\v": "\\v"}[ch])
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out) + '"'


def go_v(v: Any) -> str:
    """fmt ``%v`` of an unstructured value: ``map[k:v ...]`` (keys sorted), ``[a b]``, ``<nil>``."""
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_v(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(go_v(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "<nil>"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return str(v)


def go_sharp_v(v: Any, top: bool = True) -> str:
    """fmt ``%#v`` of an unstructured value (map keys sorted, as fmt prints maps)."""
    if isinstance(v, dict):
        inner = ", ".join(f"{_go_string(str(k))}:{go_sharp_v(v[k], False)}" for k in sorted(v))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(v, list):
        return "[]interface {}{" + ", ".join(go_sharp_v(x, False) for x in v) + "}"
    if isinstance(v, str):
        return _go_string(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "interface {}(nil)" if not top else "<nil>"
    if isinstance(v, float):
        return json.dumps(v) if not v.is_integer() else str(int(v))
    return str(v)


__all__ = ["go_unquote", "go_quote_rune", "template_compare", "go_v", "go_sharp_v"]
