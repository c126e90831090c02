"""``-o jsonpath=...`` and ``-o custom-columns=...``: client-go's JSONPath.

Upstream: k8s.io/client-go/util/jsonpath — parser.go (:mod:`.jsonpath_parse`: the grammar
and its error texts) and jsonpath.go (``FindResults``:
``{range}``/``{end}`` blocks, fields, ``[i]`` ``[a:b:c]`` ``[*]`` ``[a,b]`` unions, ``..``
recursive descent, ``[?(@.x == "y")]`` filters). kubectl runs it with missing keys allowed
(``--allow-missing-template-keys=true``): a missing field selects nothing. Several results of
one action are separated by a space; maps and lists print as compact JSON.

Errors: :class:`JSONPathError` (kubectl: ``error parsing jsonpath <template>, <err>``) while
parsing; while executing, cli-runtime printers/jsonpath.go's ``error executing jsonpath``
report with Go's ``%#v`` of the object (:class:`JSONPathExecError`, a :class:`CommandError`).

>>> render("{.items[*].metadata.name}", {"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]})
'a b'
>>> render('{range .items[*]}{.metadata.name}{"\\\\n"}{end}', {"items": [{"metadata": {"name": "a"}}]})
'a\\n'
>>> parse("{.items[0.metadata}")
Traceback (most recent call last):
...
k8score.kubectl.jsonpath_parse.JSONPathError: unterminated array
"""

from __future__ import annotations

import json
from typing import Any

from .args import CommandError
from .jsonpath_go import go_sharp_v, template_compare
from .jsonpath_parse import JSONPathError, Node, parse
from .yamlout import _normalize


class JSONPathExecError(CommandError):
    """A template that failed while executing: kubectl's whole error report."""


# -- executing -------------------------------------------------------------------------------
class _Exec:
    """jsonpath.go JSONPath.FindResults with AllowMissingKeys(true).

    ``{range X}`` runs the nodes after it once per value of X (once on nothing when X is
    empty, to find its ``{end}``); ``{end}`` stops that run; the nodes after the ``{end}`` then
    run on the value the range started from. A ``{range}`` without ``{end}`` runs to the end."""

    def __init__(self):
        self.begin_range = self.in_range = self.end_range = 0
        self.last_end: Node | None = None

    def find(self, nodes: list, data: Any) -> list[list]:
        cur = [data]
        full: list[list] = []
        i = 0
        while i < len(nodes):
            results = self.walk(cur, nodes[i])
            if self.end_range > 0 and self.end_range <= self.in_range:   # an {end}: this run is over
                self.end_range -= 1
                self.last_end = nodes[i]
                break
            if self.begin_range > 0:                                       # a {range}
                self.begin_range -= 1
                self.in_range += 1
                for value in results or [None]:
                    found = self.find(nodes[i + 1:], value)
                    if results:
                        full.extend(found)
                self.in_range -= 1
                # resume after the {end} the body stopped at (none: the body ran to the end)
                i = next((k for k in range(i + 1, len(nodes)) if nodes[k] is self.last_end), len(nodes))
                i += 1
                continue
            full.append(results)
            i += 1
        return full

    def walk(self, values: list, node: Node) -> list:
        kind = node[0]
        if kind == "list":
            for child in node[1]:
                values = self.walk(values, child)
            return values
        if kind == "text":
            return [node[1]]
        if kind in ("int", "float", "bool"):
            return [node[1] for _ in values]
        if kind == "field":
            return [v[node[1]] for v in values if isinstance(v, dict) and node[1] in v]
        if kind == "array":
            return self._array(values, node[1])
        if kind == "filter":
            return self._filter(values, node)
        if kind == "wildcard":
            return [child for v in values for child in _children(v)]
        if kind == "recursive":
            return _recursive(values)
        if kind == "union":
            return [r for lst in node[1] for r in self.walk(values, ("list", lst))]
        if kind == "identifier":
            return self._identifier(values, node[1])
        raise JSONPathError(f"unexpected Node {node}")

    def _identifier(self, values: list, name: str) -> list:
        if name == "range":
            self.begin_range += 1
            return values
        if name == "end":
            if self.end_range >= self.in_range:
                raise _Failure("not in range, nothing to end")
            self.end_range += 1
            return []
        raise _Failure(f"unrecognized identifier {name}")

    def _array(self, values: list, params: tuple) -> list:
        out: list = []
        for v in values:
            if v is None:
                continue
            if not isinstance(v, list):
                raise _Failure(f"{_go_type(v)} is not array or slice")
            n = len(v)
            start = params[0][1] if params[0][0] else 0
            start += n if start < 0 else 0
            stop = params[1][1] if params[1][0] else n
            stop += n if stop < 0 else 0
            if params[1][2]:      # [i]: the slice [i:i+1] of the index as adjusted
                stop = start + 1
            if stop != start:
                if start >= n:
                    raise _Failure(f"array index out of bounds: index {start}, length {n}")
                if stop > n:
                    raise _Failure(f"array index out of bounds: index {stop - 1}, length {n}")
            if stop < start:
                raise _Failure(f"starting index {start} is greater than ending index {stop}")
            step = params[2][1] if params[2][0] else 1
            if start < 0 or step <= 0:
                raise _Failure(f"invalid slice [{start}:{stop}:{step}]")
            out.extend(v[start:stop:step])
        return out

    def _filter(self, values: list, node: Node) -> list:
        _, left, right, op = node
        out: list = []
        for v in values:
            if not isinstance(v, list):
                raise _Failure(f"{go_sharp_v(v)} is not array or slice and cannot be filtered")
            for item in v:
                lefts = self.walk([item], ("list", left))
                if op == "exists":
                    if lefts:
                        out.append(item)
                    continue
                if not lefts:      # the field is missing (missing keys allowed): not selected
                    continue
                rights = self.walk([item], ("list", right))
                if len(lefts) != 1 or len(rights) != 1:
                    raise _Failure("can only compare one element at a time")
                try:
                    passed = template_compare(op, lefts[0], rights[0])
                except ValueError as e:
                    raise _Failure(str(e)) from None
                if passed:
                    out.append(item)
        return out


class _Failure(Exception):
    """An execution error (jsonpath.go), before kubectl wraps it."""


def _go_type(v: Any) -> str:
    return {dict: "map[string]interface {}", str: "string", bool: "bool", int: "int64",
            float: "float64"}.get(type(v), "interface {}")


def _children(v: Any) -> list:
    # a map's values (Go: MapKeys, in no set order; here by key), a list's items, a
    # string's bytes (uint8 values, which have no children)
    if isinstance(v, dict):
        return [v[k] for k in sorted(v)]
    if isinstance(v, list):
        return list(v)
    if isinstance(v, str):
        return list(v.encode())
    return []


def _recursive(values: list) -> list:
    out: list = []
    for v in values:
        if v is None:
            continue
        children = _children(v)
        if children:
            out.append(v)
            out.extend(_recursive(children))
    return out


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return str(v)


def render(template: str, data: Any) -> str:
    """Execute a kubectl JSONPath template against ``data`` (an object or a List)."""
    nodes = parse(template)
    data = _normalize(data)     # unstructured decoding: whole-number floats are int64
    try:
        results = _Exec().find(nodes, data)
    except _Failure as e:
        raise JSONPathExecError(
            f'error: error executing jsonpath "{template}": Error executing template: {e}. Printing more '
            f"information for debugging the template:\n\ttemplate was:\n\t\t{template}\n"
            f"\tobject given to jsonpath engine was:\n\t\t{go_sharp_v(data)}\n\n\n") from None
    return "".join(" ".join(_text(v) for v in result) for result in results)


def evaluate(path: str, values: list) -> list:
    """All values the action ``path`` (``.a.b``, no braces) selects from each of ``values``."""
    nodes = parse("{" + path + "}")
    return [r for v in values for result in _Exec().find(nodes, v) for r in result]


def relaxed(path: str) -> str:
    """kubectl RelaxedJSONPathExpression: ``metadata.name`` / ``.metadata.name`` / ``{.metadata.name}``."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    return path if path.startswith((".", "[")) else "." + path


__all__ = ["JSONPathError", "JSONPathExecError", "parse", "render", "evaluate", "relaxed"]
