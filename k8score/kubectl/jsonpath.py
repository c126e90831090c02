"""``-o jsonpath=...`` and ``-o custom-columns=...``: client-go's JSONPath, the commonly used part.

Supported (k8s.io/client-go/util/jsonpath): text with ``{...}`` actions; ``.field``,
``['field']``, ``..field`` (recursive), ``[n]``, ``[*]``, ``[a:b]``, filters
``[?(@.path == "x")]`` (``==  !=  <  >  <=  >=`` or bare existence), ``{range ...}...{end}``
and string literals such as ``{"\\n"}``. Missing keys print nothing (kubectl's default
``--allow-missing-template-keys=true``). Several results of one action are separated by a
space; maps and lists print as compact JSON.

>>> render("{.items[*].metadata.name}", {"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]})
'a b'
>>> render('{range .items[*]}{.metadata.name}{"\\\\n"}{end}', {"items": [{"metadata": {"name": "a"}}]})
'a\\n'
"""

from __future__ import annotations

import json
import re
from typing import Any

from .tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite


class JSONPathError(ValueError):
    pass


_ACTION = re.compile(r"\{((?:[^{}\"']|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')*)\}")
_SEGMENT = re.compile(
    r"""\.\.(?P<rec>[^.\[\]]+)"""
    r"""|\.(?P<field>[^.\[\]]*)"""
    r"""|\[\?\((?P<filter>.*?)\)\]"""
    r"""|\[(?P<quoted>'[^']*'|"[^"]*")\]"""
    r"""|\[(?P<index>[^\]]*)\]""")
_FILTER = re.compile(r"^@((?:\.[^.\s=!<>]+)*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$")


def _segments(path: str) -> list[tuple[str, str]]:
    path = path.strip()
    if path in ("", "@", "$"):
        return []
    if path.startswith(("@", "$")):
        path = path[1:]
    out, pos = [], 0
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if not m:
            raise JSONPathError(f"unrecognized character in action: {path[pos:]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _children(v: Any) -> list:
    if isinstance(v, dict):
        return list(v.values())
    if isinstance(v, list):
        return list(v)
    return []


def _recursive(v: Any, name: str) -> list:
    found = []
    if isinstance(v, dict):
        if name in v:
            found.append(v[name])
        for child in v.values():
            found.extend(_recursive(child, name))
    elif isinstance(v, list):
        for child in v:
            found.extend(_recursive(child, name))
    return found


def _literal(text: str) -> Any:
    text = text.strip()
    if text[:1] in "\"'":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _matches(item: Any, expr: str) -> bool:
    m = _FILTER.match(expr.strip())
    if not m:
        raise JSONPathError(f"unrecognized filter: {expr}")
    path, op, raw = m.groups()
    got = evaluate(path or "", [item])
    if op is None:
        return bool(got)
    want = _literal(raw)
    for g in got:
        try:
            ok = {"==": g == want, "!=": g != want, "<": g < want, ">": g > want,
                  "<=": g <= want, ">=": g >= want}[op]
        except TypeError:
            ok = False
        if ok:
            return True
    return False


def evaluate(path: str, values: list) -> list:
    """All values ``path`` selects, starting from each of ``values``."""
    cur = list(values)
    for kind, arg in _segments(path):
        nxt: list = []
        for v in cur:
            if kind == "field":
                if arg == "" or arg == "*":
                    nxt.extend(_children(v) if arg == "*" else [v])
                elif isinstance(v, dict) and arg in v:
                    nxt.append(v[arg])
            elif kind == "quoted":
                if isinstance(v, dict) and arg[1:-1] in v:
                    nxt.append(v[arg[1:-1]])
            elif kind == "rec":
                nxt.extend(_recursive(v, arg))
            elif kind == "filter":
                nxt.extend(item for item in _children(v) if _matches(item, arg))
            elif kind == "index":
                if not isinstance(v, list):
                    continue
                if arg.strip() == "*":
                    nxt.extend(v)
                elif ":" in arg:
                    parts = [int(p) if p.strip() else None for p in arg.split(":")[:2]]
                    nxt.extend(v[parts[0]:parts[1]])
                else:
                    try:
                        i = int(arg)
                    except ValueError:
                        raise JSONPathError(f"invalid array index {arg}") from None
                    if -len(v) <= i < len(v):
                        nxt.append(v[i])
        cur = nxt
    return cur


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), sort_keys=True)
    return str(v)


def _parse(template: str) -> list[tuple[str, str]]:
    nodes, pos = [], 0
    for m in _ACTION.finditer(template):
        if m.start() > pos:
            nodes.append(("text", template[pos:m.start()]))
        nodes.append(("action", m.group(1).strip()))
        pos = m.end()
    if pos < len(template):
        nodes.append(("text", template[pos:]))
    return nodes


def _run(nodes: list[tuple[str, str]], data: Any, out: list[str]) -> None:
    i = 0
    while i < len(nodes):
        kind, body = nodes[i]
        if kind == "text":
            out.append(body)
        elif body.startswith("range "):
            depth, j = 1, i + 1
            while j < len(nodes) and depth:
                if nodes[j][0] == "action" and nodes[j][1].startswith("range "):
                    depth += 1
                elif nodes[j] == ("action", "end"):
                    depth -= 1
                j += 1
            if depth:
                raise JSONPathError("not in range, nothing to end")
            for item in evaluate(body[len("range "):], [data]):
                _run(nodes[i + 1:j - 1], item, out)
            i = j
            continue
        elif body == "end":
            raise JSONPathError("not in range, nothing to end")
        elif body[:1] in "\"'":
            out.append(json.loads(body, strict=False) if body[0] == "\"" else body[1:-1])
        else:
            out.append(" ".join(_text(v) for v in evaluate(body, [data])))
        i += 1


def render(template: str, data: Any) -> str:
    """Execute a kubectl JSONPath template against ``data`` (an object or a List)."""
    out: list[str] = []
    _run(_parse(template), data, out)
    return "".join(out)


def relaxed(path: str) -> str:
    """kubectl RelaxedJSONPathExpression: ``metadata.name`` / ``.metadata.name`` / ``{.metadata.name}``."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    return path if path.startswith((".", "[")) else "." + path


def custom_columns(spec: str, objs: list[dict], no_headers: bool = False) -> str:
    """``-o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName``."""
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise JSONPathError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append((header, relaxed(path)))
    lines = [] if no_headers else ["\t".join(h for h, _ in columns)]
    for obj in objs:
        cells = []
        for _, path in columns:
            values = evaluate(path, [obj])
            cells.append(",".join(_text(v) for v in values) if values else "<none>")
        lines.append("\t".join(cells))
    return tabwrite("\n".join(lines) + "\n", TABLE_MINWIDTH, TABLE_PADDING) if lines else ""
