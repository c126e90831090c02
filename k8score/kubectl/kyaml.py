"""``-o kyaml`` (kubectl 1.34+): KYAML, the explicit YAML dialect of sigs.k8s.io/yaml/kyaml.

Upstream: staging/src/k8s.io/cli-runtime/pkg/printers/kyaml.go ``KYAMLPrinter`` hands the
object to sigs.k8s.io/yaml kyaml/kyaml.go ``Encoder.FromObject``: the object is marshalled to
JSON (an unstructured object: keys sorted), read back as YAML nodes and rendered as:

- a ``---`` line, then the document, then a newline;
- mappings ``{`` + one ``key: value,`` line per entry (two spaces per level) + ``}``; ``{}``
  when empty. Keys are bare unless :func:`needs_quotes`;
- sequences ``[]`` when empty; "cuddled" ``[{...}, {...}]`` when every item is a mapping or a
  sequence; else one ``item,`` line each inside ``[`` ... ``]``;
- every string value double-quoted (Go's strconv.Quote escapes); a multi-line string is folded:
  ``"\\`` then each line on its own line, indented one level deeper than the key, ending in
  ``\\n\\``; a line that starts with blank space starts with ``\\`` (so YAML keeps it);
- numbers, booleans and null as JSON wrote them.

>>> print(to_kyaml({"kind": "ConfigMap", "data": {"on": "x", "a.b": "1"}, "items": [1, "a"]}), end="")
---
{
  data: {
    a.b: "1",
    "on": "x",
  },
  items: [
    1,
    "a",
  ],
  kind: "ConfigMap",
}
"""

from __future__ import annotations

import json
import re
from typing import Any

from .yamlout import _normalize

_INDENT = "  "
#: kyaml.go kyamlFoldStr: a backslash-newline inside a double-quoted scalar is a line fold
_FOLD = "\\\n"
_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\0": "\\0",
            "\x1b": "\\e", "\x85": "\\N", "\xa0": "\\_", "\u2028": "\\L", "\u2029": "\\P"}
# kyaml.go yamlGuessesWrong: strings a YAML 1.1 reader would take for another type
_GO_BOOL = frozenset("1 t T TRUE true True 0 f F FALSE false False".split())    # strconv.ParseBool
_YAML_WORDS = frozenset("null ~ true y yes on false n no off .inf -.inf +.inf .nan".split())
_GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_GO_FLOAT = re.compile(r"^[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|"
                       r"\.[0-9a-fA-F]+)[pP][-+]?\d+|inf|infinity|nan)$", re.IGNORECASE)
_SEXAGESIMAL = re.compile(r"^[+-]?[1-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}"
                        r"([Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
                        r"| \d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?)?$")


def to_kyaml(obj: Any) -> str:
    """One KYAML document (``---`` first, a newline last) for ``obj`` (a JSON-like value)."""
    out: list[str] = ["---\n"]
    _node(_normalize(obj), 0, out)
    out.append("\n")
    return "".join(out)


def _yaml_guesses_wrong(s: str) -> bool:
    if s.lower() in _YAML_WORDS or s in _GO_BOOL or s == "":
        return True
    bare = s.replace("_", "")
    if _GO_INT.match(bare) or (_GO_FLOAT.match(bare) and bare == bare.strip()):
        return True
    return bool(_SEXAGESIMAL.match(s) or _TIMESTAMP.match(s))


def needs_quotes(s: str) -> bool:
    """kyaml.go needsQuotes (map keys only): letters, digits and ``_`` anywhere, ``- . /``
    inside, nothing YAML would read as another type."""
    if s == "" or _yaml_guesses_wrong(s):
        return True
    for i, ch in enumerate(s):
        if ch.isalpha() or ch.isnumeric() or ch == "_":
            continue
        if 0 < i < len(s) - 1 and ch in "-./":
            continue
        return True
    return False


def _string(value: str, indent: int, *, key: bool = False) -> str:
    """kyaml.go renderString: keys lazily quoted and compact, values always quoted; a
    multi-line value folded at its newlines, one line per source line at ``indent``."""
    multi = "\n" in value
    if key and not multi and not needs_quotes(value):
        return value
    folded = multi and not key
    newline = "\\n" + (_FOLD if folded else "")
    buf = ['"' + (_FOLD if folded else "")]
    after_newline = folded
    for ch in value:
        if after_newline:
            # a line's leading blank is escaped (YAML would drop it), other lines get a space
            # so the text stays aligned
            buf.append(_INDENT * indent + ("\\" + ch if ch.isspace() and ch != "\n" else " "))
            after_newline = False
            if ch.isspace() and ch != "\n":
                continue
        if ch in '"\\':
            buf.append("\\" + ch)
        elif ch == "\n":
            buf.append(newline)
            after_newline = folded
        elif ch.isprintable():
            buf.append(ch)
        elif ch in _ESCAPES:
            buf.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            buf.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            buf.append(f"\\u{ord(ch):04x}")
        else:
            buf.append(f"\\U{ord(ch):08x}")
    if folded:
        if not after_newline:
            buf.append(_FOLD)
        buf.append(_INDENT * indent)
    buf.append('"')
    return "".join(buf)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _node(value: Any, indent: int, out: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{\n")
        for key in sorted(value):    # json.Marshal of a map: keys sorted
            out.append(_INDENT * (indent + 1) + _string(str(key), indent + 1, key=True) + ": ")
            _node(value[key], indent + 1, out)
            out.append(",\n")
        out.append(_INDENT * indent + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[]")
        elif all(isinstance(item, (dict, list)) for item in value):
            out.append("[")        # cuddled: the items' brackets touch
            for i, item in enumerate(value):
                if i:
                    out.append(", ")
                _node(item, indent, out)
            out.append("]")
        else:
            out.append("[\n")
            for item in value:
                out.append(_INDENT * (indent + 1))
                _node(item, indent + 1, out)
                out.append(",\n")
            out.append(_INDENT * indent + "]")
    elif isinstance(value, str):
        out.append(_string(value, indent + 1))   # renderScalar: strings one level in
    else:
        out.append(_scalar(value))


__all__ = ["to_kyaml", "needs_quotes"]
