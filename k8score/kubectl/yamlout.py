"""``-o yaml`` and ``-o json`` exactly as kubectl prints objects it got from the server.

kubectl decodes server objects as unstructured maps, so both printers sort keys.

- JSON: Go's ``json.MarshalIndent(obj, "", "    ")`` plus a newline; Go escapes ``<``, ``>``
  and ``&`` as ``\\u003c``, ``\\u003e``, ``\\u0026`` (cli-runtime/pkg/printers/json.go).
- YAML: sigs.k8s.io/yaml, i.e. go-yaml v2's emitter: sequences not indented under their
  key, strings that would read back as another type (``"80"``, ``"true"``, ``"y"``, timestamps)
  double-quoted, strings with YAML indicators single-quoted, multi-line strings as literal
  blocks, long strings folded at spaces past column 80 (best_width).

>>> print(to_yaml({"spec": {"containers": [{"name": "web", "ports": [{"containerPort": 80}]}]},
...                "metadata": {"labels": {"app": "web", "tier": "80"}}}), end="")
metadata:
  labels:
    app: web
    tier: "80"
spec:
  containers:
  - name: web
    ports:
    - containerPort: 80
"""

from __future__ import annotations

import json
import re
from typing import Any

#: go-yaml v2 emitter best_width
_WIDTH = 80

# go-yaml v2 resolve.go: plain scalars that resolve to something other than a string
_MAP_WORDS = frozenset(
    "y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF "
    "~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF <<".split())
_GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_FLOAT_DOT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
                        r"(([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))"
                        r"|( [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?))?$")

_ESCAPES = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v",
            "\f": "\\f", "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N",
            "\xa0": "\\_", "\u2028": "\\L", "\u2029": "\\P"}


# -- JSON ------------------------------------------------------------------------
def to_json(obj: Any, sort_keys: bool = True) -> str:
    """``kubectl get -o json``: 4-space indent, sorted keys, Go's HTML-safe escaping.

    ``sort_keys=False`` prints the keys in ``obj``'s order: what Go prints for a typed object
    (a struct's fields in declaration order), e.g. ``kubectl auth whoami -o json``."""
    text = json.dumps(_normalize(obj), indent=4, sort_keys=sort_keys, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def _normalize(obj: Any) -> Any:
    # unstructured decoding turns whole-number JSON floats into int64
    if isinstance(obj, dict):
        return {str(k): _normalize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_normalize(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer() and abs(obj) < 2 ** 63:
        return int(obj)
    return obj


# -- YAML ------------------------------------------------------------------------
def to_yaml(obj: Any) -> str:
    """``kubectl get -o yaml`` for one object (a dict)."""
    obj = _normalize(obj)
    out: list[str] = []
    if isinstance(obj, dict) and obj:
        _mapping(obj, 0, out)
    elif isinstance(obj, list) and obj:
        _sequence(obj, 0, out)
    else:
        out.append(_inline(obj, 0, 0))
    return "\n".join(out) + "\n"


def _mapping(obj: dict, indent: int, out: list[str], first_prefix: str | None = None) -> None:
    pad = " " * indent
    for i, key in enumerate(sorted(obj)):
        prefix = (first_prefix if i == 0 and first_prefix is not None else pad) + _key(key) + ":"
        _value(obj[key], prefix, indent, out, in_mapping=True)


def _sequence(items: list, indent: int, out: list[str], first_prefix: str | None = None) -> None:
    pad = " " * indent
    for i, item in enumerate(items):
        prefix = (first_prefix if i == 0 and first_prefix is not None else pad) + "-"
        _value(item, prefix, indent, out, in_mapping=False)


def _value(value: Any, prefix: str, indent: int, out: list[str], in_mapping: bool) -> None:
    """Emit ``value`` after ``prefix`` (``key:`` or ``-``) whose block is at ``indent``."""
    if isinstance(value, dict) and value:
        if in_mapping:
            out.append(prefix)
            _mapping(value, indent + 2, out)
        else:
            _mapping(value, indent + 2, out, first_prefix=prefix + " ")
    elif isinstance(value, list) and value:
        if in_mapping:
            # go-yaml v2 writes a sequence under a key without indenting it
            out.append(prefix)
            _sequence(value, indent, out)
        else:
            _sequence(value, indent + 2, out, first_prefix=prefix + " ")
    else:
        text = _inline(value, len(prefix) + 1, indent + 2)
        out.append(prefix + " " + text)


def _inline(value: Any, column: int, indent: int) -> str:
    """A scalar (or empty collection) starting at ``column``; continuation lines at ``indent``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, (int, float)):
        return _number(value)
    return _string(str(value), column, indent)


def _number(v: int | float) -> str:
    if isinstance(v, int):
        return str(v)
    if v != v:
        return ".nan"
    if v in (float("inf"), float("-inf")):
        return "+.inf" if v > 0 else "-.inf"
    text = repr(v)
    return text


def _key(key: str) -> str:
    if _resolves_to_non_string(key) or not _plain_allowed(key):
        if _single_allowed(key) and not _resolves_to_non_string(key):
            return "'" + key.replace("'", "''") + "'"
        return _double_quoted(key, 0, 0, fold=False)
    return key


def _string(s: str, column: int, indent: int) -> str:
    if "\n" in s:
        if _block_allowed(s):
            return _literal(s, indent)
        return _double_quoted(s, column, indent)
    if _resolves_to_non_string(s):
        return _double_quoted(s, column, indent)
    if _plain_allowed(s):
        return _fold(s, column, indent, quote="")
    if _single_allowed(s):
        return _fold(s, column, indent, quote="'")
    return _double_quoted(s, column, indent)


def _resolves_to_non_string(s: str) -> bool:
    if s in _MAP_WORDS or s == "":
        return True
    first = s[0]
    if first == ".":
        return bool(_GO_FLOAT_DOT.match(s))
    if first in "+-0123456789":
        if _TIMESTAMP.match(s):
            return True
        plain = s.replace("_", "")
        if _GO_INT.match(plain) or _YAML_FLOAT.match(plain):
            return True
        return bool(_BASE60.match(s))
    return False


def _printable(ch: str) -> bool:
    # libyaml is_printable (yaml_private.go)
    o = ord(ch)
    return (ch == "\n" or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF
            or (0xE000 <= o <= 0xFFFD and o != 0xFEFF))


def _special(s: str) -> bool:
    # non-printable characters, and line breaks other than \n (which YAML would fold away)
    return any(not _printable(c) or c in "\x85\u2028\u2029" for c in s)


def _plain_allowed(s: str) -> bool:
    """libyaml yaml_emitter_analyze_scalar, block context: may ``s`` be written plain?"""
    if not s or "\n" in s or _special(s):
        return False
    if s.startswith(("---", "...")):
        return False
    if s[0] == " " or s[-1] == " ":
        return False
    first = s[0]
    followed_by_space = len(s) == 1 or s[1] == " "
    if first in "#,[]{}&*!|>'\"%@`":
        return False
    if first in "?:-" and followed_by_space:
        return False
    for i in range(1, len(s)):
        c = s[i]
        if c == ":" and (i + 1 == len(s) or s[i + 1] == " "):
            return False
        if c == "#" and s[i - 1] == " ":
            return False
    return True


def _single_allowed(s: str) -> bool:
    return not _special(s) and "\n" not in s


def _block_allowed(s: str) -> bool:
    if _special(s):
        return False
    lines = s.split("\n")
    if any(line.endswith(" ") for line in lines):   # trailing space / space before a break
        return False
    return not s.startswith((" ", "\n"))


def _literal(s: str, indent: int) -> str:
    if s.endswith("\n\n"):
        head, body = "|+", s[:-1]
    elif s.endswith("\n"):
        head, body = "|", s[:-1]
    else:
        head, body = "|-", s
    pad = " " * indent
    return head + "".join("\n" + (pad + line if line else "") for line in body.split("\n"))


def _fold(s: str, column: int, indent: int, quote: str) -> str:
    """Write a plain or single-quoted scalar, breaking at a space once past column 80."""
    parts = [quote]
    col = column + len(quote)
    prev_space = False
    n = len(s)
    for i, ch in enumerate(s):
        if ch == " ":
            can_break = not prev_space and col > _WIDTH and (i + 1 < n and s[i + 1] != " ")
            if quote and not (0 < i < n - 1):
                can_break = False
            if can_break:
                parts.append("\n" + " " * indent)
                col = indent
            else:
                parts.append(" ")
                col += 1
            prev_space = True
        else:
            if ch == "'" and quote:
                parts.append("'")
                col += 1
            parts.append(ch)
            col += 1
            prev_space = False
    parts.append(quote)
    return "".join(parts)


def _double_quoted(s: str, column: int, indent: int, fold: bool = True) -> str:
    parts = ['"']
    col = column + 1
    prev_space = False
    n = len(s)
    for i, ch in enumerate(s):
        if ch == " ":
            if fold and not prev_space and col > _WIDTH and 0 < i < n - 1:
                parts.append("\n" + " " * indent)
                col = indent
                if i + 1 < n and s[i + 1] == " ":
                    parts.append("\\")
                    col += 1
            else:
                parts.append(" ")
                col += 1
            prev_space = True
            continue
        prev_space = False
        if ch in _ESCAPES:
            text = _ESCAPES[ch]
        elif not _printable(ch) or ch == "\ufeff":
            o = ord(ch)
            text = f"\\x{o:02X}" if o <= 0xFF else (f"\\u{o:04X}" if o <= 0xFFFF else f"\\U{o:08X}")
        else:
            text = ch
        parts.append(text)
        col += len(text)
    parts.append('"')
    return "".join(parts)
