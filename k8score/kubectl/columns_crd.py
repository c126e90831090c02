"""Custom resources' ``kubectl get`` columns: a CRD's ``additionalPrinterColumns``.

Upstream, in order:

* apiextensions-apiserver pkg/apiserver/helpers.go ``getColumnsForVersion`` /
  ``serveDefaultColumnsIfEmpty``: the served version's columns; only when it declares *none*
  is the default ``Age`` column (``.metadata.creationTimestamp``, type date) served. A CRD that
  declares columns without an age gets no AGE.
* pkg/registry/customresource/tableconvertor/tableconvertor.go: ``Name`` first, then one
  column per definition, its JSONPath wrapped in ``{...}`` and run with missing keys allowed.
  A path that fails to parse ends the list there (``New`` returns the columns so far, which
  the handler serves). Per cell: no result or an execution error is a nil cell; a ``string``
  column prints the first result as JSONPath prints it (maps and lists as JSON, null as
  ``<no value>``); other types go through ``cellForJSONValue`` (a value of the wrong type is
  nil; ``integer`` truncates a float; ``date`` is a duration like AGE, ``<invalid>`` when
  not RFC 3339, ``<unknown>`` when empty).
* cli-runtime printers/tableprinter.go ``printRows`` (kubectl): headers upper-cased, a column
  of priority other than 0 only with ``-o wide``, a nil cell empty, a string cut at its first
  ``\\f``, ``\\n`` or ``\\r`` with ``...`` appended, other values printed with Go's ``%v``
  after the Table's JSON round trip (whole numbers arrive as int64).

>>> crd = {"spec": {"versions": [{"name": "v1", "additionalPrinterColumns": [
...     {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
...     {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
...     {"name": "Image", "type": "string", "jsonPath": ".spec.image", "priority": 1}]}]}}
>>> cols = printer_columns(crd, "v1")
>>> obj = {"metadata": {"name": "c"}, "spec": {"cronSpec": "* * * * */5", "replicas": 2.0}}
>>> cells(obj, cols, 0.0)
['c', '* * * * */5', 2, None]
>>> headers, row = crd_table(crd, "v1")
>>> headers, row(obj, 0.0, False), row(obj, 0.0, True)
([('NAME', 0), ('SPEC', 0), ('REPLICAS', 0), ('IMAGE', 1)], ['c', '* * * * */5', '2'], ['c', '* * * * */5', '2', ''])
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Callable

from . import jsonpath
from .timefmt import human_duration, seconds_of

#: apimachinery pkg/apis/meta/v1/types_swagger_doc_generated.go, ObjectMeta "name" and
#: "creationTimestamp": the descriptions of the Name column and of the default Age column
_NAME_DOC = ("Name must be unique within a namespace. Is required when creating resources, although some resources "
             "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
             "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
             "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
_CREATED_DOC = ("CreationTimestamp is a timestamp representing the server time when this object was created. It is "
                "not guaranteed to be set in happens-before order across separate operations. Clients may not set "
                "this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
                "Null for lists. More info: "
                "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")
#: helpers.go serveDefaultColumnsIfEmpty
_DEFAULT = ({"name": "Age", "type": "date", "description": _CREATED_DOC, "jsonPath": ".metadata.creationTimestamp"},)
#: Go's time.RFC3339 layout as time.Parse accepts it (fractional seconds allowed)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")

Column = tuple[str, int]


def crd_of(api: Any, info: Any) -> dict | None:
    """The CRD serving ``info`` as the API server finds it for its Table (the server renders
    the columns: the caller's RBAC does not matter); None for a built-in resource."""
    from ..api.resources import BUILTIN
    if info.plural in BUILTIN and BUILTIN[info.plural].group == info.group:
        return None
    from ..apiserver.table import crd_for
    return crd_for(api, info) if api is not None else None


def printer_columns(crd: dict | None, version: str) -> list[dict]:
    """The columns served for ``version`` (definitions as the CRD spells them), stopping at
    the first path that does not parse (tableconvertor.New)."""
    declared: list = []
    for v in ((crd or {}).get("spec") or {}).get("versions") or ():
        if isinstance(v, dict) and v.get("name") == version:
            declared = [c for c in v.get("additionalPrinterColumns") or () if isinstance(c, dict)]
    out = []
    for col in declared or _DEFAULT:
        path = str(col.get("jsonPath") or "")
        try:
            jsonpath.parse("{" + path + "}")
        except ValueError:   # JSONPathError: "unrecognized column definition"; the rest is dropped
            break
        out.append(col)
    return out


def definitions(columns: list[dict]) -> list[dict]:
    """The Table's ``columnDefinitions``: ``Name`` then each column (its description, else
    ``Custom resource definition column (in JSONPath format): <path>``)."""
    defs = [{"name": "Name", "type": "string", "format": "name", "description": _NAME_DOC, "priority": 0}]
    for col in columns:
        defs.append({"name": col.get("name", ""), "type": col.get("type", ""), "format": col.get("format", ""),
                     "description": col.get("description") or
                     f"Custom resource definition column (in JSONPath format): {col.get('jsonPath', '')}",
                     "priority": int(col.get("priority") or 0)})
    return defs


def cells(obj: dict, columns: list[dict], now: float) -> list[Any]:
    """One Table row's cells (JSON values; ``None`` is a nil cell), as the server sends them."""
    out: list[Any] = [(obj.get("metadata") or {}).get("name", "")]
    for col in columns:
        try:
            found = jsonpath.evaluate(str(col.get("jsonPath") or ""), [obj])
        except Exception:  # noqa: BLE001 - FindResults failed (jsonpath.go): a nil cell
            found = []
        if not found:
            out.append(None)
        elif col.get("type") == "string":
            out.append(_print_result(found[0]))
        else:
            out.append(_typed(col.get("type"), found[0], now))
    return out


def _print_result(value: Any) -> str:
    """jsonpath.go PrintResults of one value: JSON for maps and lists, else fmt.Fprint
    (template.PrintableValue: a nil interface prints ``<no value>``)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def _typed(kind: Any, value: Any, now: float) -> Any:
    """tableconvertor.go cellForJSONValue."""
    if value is None:
        return None
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return int(value)     # int64(float64): truncated toward zero
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        f = float(value)
        # Go's encoding/json writes a whole float64 below 1e21 without a fraction (1e6 ->
        # 1000000): the same JSON as an int, which is what kubectl then decodes
        return int(f) if f.is_integer() and abs(f) < 1e21 else f
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "date":
        if not isinstance(value, str):
            return None
        if value in ("", "null"):     # metav1.Time UnmarshalQueryParameter: the zero time
            return "<unknown>"
        t = seconds_of(value) if _RFC3339.match(value) else None
        return "<invalid>" if t is None else human_duration(now - t)
    return None   # "string" is printed by the caller; an unknown type has no cell


def go_float(f: float) -> str:
    """Go's ``fmt.Sprint(float64)``: ``%g`` with the shortest digits, exponent form when the
    exponent is below -4 or at least 6 (``1e+06``, ``1.5``, ``1e-05``)."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    sign, digits, exp = Decimal(repr(f)).normalize().as_tuple()
    text = "".join(map(str, digits))
    x = len(text) + int(exp) - 1          # decimal exponent of the first digit
    neg = "-" if sign else ""
    if x < -4 or x >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{neg}{mantissa}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if x < 0:
        return f"{neg}0.{'0' * (-x - 1)}{text}"
    whole = text[:x + 1].ljust(x + 1, "0")
    frac = text[x + 1:]
    return f"{neg}{whole}.{frac}" if frac else f"{neg}{whole}"


def cell_text(cell: Any) -> str:
    """How kubectl prints a Table cell it decoded from JSON (tableprinter.go printTable and
    appendCellValue): nil empty, fmt's %v, cut at the first ``\\f``/``\\n``/``\\r`` with
    ``...`` appended, ESC written as ``^[`` (terminal.go WriteEscaped)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        text = "true" if cell else "false"
    elif isinstance(cell, float):
        # the JSON round trip: a whole number below 1e21 arrives as int64
        text = str(int(cell)) if cell.is_integer() and abs(cell) < 1e21 else go_float(cell)
    else:
        text = str(cell)
    cut = min((i for i in (text.find(c) for c in "\f\n\r") if i >= 0), default=-1)
    if cut >= 0:
        return _Cut(text[:cut].replace("\x1b", "^[") + "...", len(text))
    return text.replace("\x1b", "^[")


class _Cut(str):
    """A cell cut at a line break. Real kubectl 1.37 still sizes its column as if the whole
    value were there (observed: ``a\\nbcdefgh`` prints ``a...`` in a column 8 wide; the
    differential test pins it); :func:`table_text` honours ``full_width``."""

    full_width: int

    def __new__(cls, text: str, full_width: int) -> "_Cut":
        cell = super().__new__(cls, text)
        cell.full_width = full_width
        return cell


def crd_table(crd: dict | None, version: str) -> tuple[list[Column], Callable[[dict, float, bool], list]]:
    """``(columns, row function)`` in :data:`k8score.kubectl.columns.TABLES`' shape; the row
    function leaves out columns of priority other than 0 unless ``wide``."""
    columns = printer_columns(crd, version)
    defs = definitions(columns)
    shown = [d["priority"] == 0 for d in defs]

    def row(obj: dict, now: float, wide: bool) -> list[str]:
        return [cell_text(c) for c, show in zip(cells(obj, columns, now), shown) if wide or show]
    return [(d["name"].upper(), d["priority"]) for d in defs], row


def table_text(spec: tuple[list[Column], Callable[[dict, float, bool], list]], objs: list[dict], now: float, *,
               wide: bool = False, with_namespace: bool = False, show_labels: bool = False,
               kind_prefix: str | None = None, no_headers: bool = False) -> str:
    """:func:`k8score.kubectl.printers.table` for a ``(columns, row function)`` of its own
    (a CRD's): the same NAMESPACE, LABELS and ``kind/`` decorations (tableprinter.go
    decorateTable)."""
    from .columns import format_labels
    from .tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite
    columns, row_fn = spec
    shown = [name for name, priority in columns if wide or priority == 0]
    lines = [] if no_headers else \
        ["\t".join((["NAMESPACE"] if with_namespace else []) + shown + (["LABELS"] if show_labels else []))]
    cut: dict[str, str] = {}   # placeholder -> a cut cell, sized by its full width while aligning
    for obj in objs:
        meta = obj.get("metadata") or {}
        row = row_fn(obj, now, wide)
        if kind_prefix:
            row[0] = f"{kind_prefix}/{row[0]}"
        for i, cell in enumerate(row):
            if isinstance(cell, _Cut) and cell.full_width > len(cell):
                key = f"\0{len(cut)}\0"
                cut[key.ljust(cell.full_width, "\0")] = cell
                row[i] = key.ljust(cell.full_width, "\0")
        lines.append("\t".join(([meta.get("namespace", "")] if with_namespace else []) + row +
                               ([format_labels(meta.get("labels"))] if show_labels else [])))
    text = tabwrite("\n".join(lines) + "\n", TABLE_MINWIDTH, TABLE_PADDING) if lines else ""
    for key, cell in cut.items():   # padded like the full value; a line's last cell is never padded
        text = text.replace(key + "\n", cell + "\n").replace(key, cell.ljust(len(key)))
    return text


__all__ = ["crd_of", "printer_columns", "definitions", "cells", "cell_text", "crd_table", "table_text", "go_float"]
