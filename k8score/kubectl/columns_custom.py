"""``kubectl get -o custom-columns=HEADER:PATH,...``: kubectl pkg/cmd/get/customcolumn.go.

Two stages, as upstream, and the order matters to what a user sees:

* :func:`parse_spec` is ``NewCustomColumnsPrinterFromSpec`` (run when ``get`` builds its
  printer, after the objects were fetched): an empty spec, a part without ``:`` or a path
  ``RelaxedJSONPathExpression`` rejects fail before anything is printed.
* :func:`render` is ``PrintObj`` on the one List ``get`` wraps every object in (one header
  for several kinds): the header goes to the tab writer first, then each JSONPath is
  parsed, so a path that does not parse fails *after* the header; a path that fails while
  executing fails after the rows before it. Whatever reached the tab writer is flushed
  (its deferred Flush), then kubectl prints the error.

>>> cols = parse_spec("NAME:metadata.name,IMAGES:{.spec.containers[*].image}")
>>> cols
[('NAME', '{.metadata.name}'), ('IMAGES', '{.spec.containers[*].image}')]
>>> pod = {"metadata": {"name": "web"}, "spec": {"containers": [{"image": "a"}, {"image": "b"}]}}
>>> print(render(cols, [pod, {"metadata": {"name": "x"}}], False)[0], end="")
NAME   IMAGES
web    a,b
x      <none>
>>> render([("X", "{.a[}")], [pod], False)
('X\\n', 'error: unterminated array')
"""

from __future__ import annotations

import re

from . import jsonpath
from .args import CommandError
from .jsonpath_go import go_v
from .tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite

#: customcolumn.go jsonRegexp
_RELAXED = re.compile(r"\{\.?([^{}]+)\}\Z|\.?([^{}]+)\Z")


def relaxed(path: str) -> str:
    """customcolumn.go RelaxedJSONPathExpression: ``a.b``, ``.a.b``, ``{a.b}`` -> ``{.a.b}``."""
    if not path:
        return path
    m = _RELAXED.match(path)
    if m is None:
        raise CommandError("error: unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                           "'{name1.name2}' or '{.name1.name2}'")
    return "{." + (m.group(1) or m.group(2)) + "}"


def parse_spec(spec: str) -> list[tuple[str, str]]:
    """NewCustomColumnsPrinterFromSpec: ``[(header, template)]`` or the CommandError kubectl prints."""
    if not spec:
        raise CommandError("error: custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise CommandError(f"error: unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append((header, relaxed(path)))
    return columns


def render(columns: list[tuple[str, str]], objs: list[dict], no_headers: bool) -> tuple[str, str | None]:
    """PrintObj on the List of ``objs``: ``(stdout text, error message or None)``."""
    lines = [] if no_headers else ["\t".join(h for h, _ in columns)]

    def flushed(error: str | None) -> tuple[str, str | None]:
        return (tabwrite("\n".join(lines) + "\n", TABLE_MINWIDTH, TABLE_PADDING) if lines else ""), error
    paths = []
    for _, template in columns:
        try:
            jsonpath.parse(template)
        except jsonpath.JSONPathError as e:
            return flushed(f"error: {e}")
        paths.append(template[1:-1] if template else "")
    for obj in objs:
        cells = []
        for path in paths:
            try:
                values = jsonpath.evaluate(path, [obj]) if path else []
            except Exception as e:  # noqa: BLE001 - FindResults' error ends the printing
                return flushed(f"error: {e}")
            # printOneObject: fmt's %v of each value, ``<none>`` for no value
            cells.append(",".join(go_v(v) for v in values) if values else "<none>")
        lines.append("\t".join(cells))
    return flushed(None)


__all__ = ["relaxed", "parse_spec", "render"]
