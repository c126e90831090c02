"""``kubectl get --sort-by``: kubectl/pkg/cmd/get/sorter.go TableSorter and RuntimeSort.

Both order the objects with Go's ``sort.Sort`` (unstable: :mod:`k8score.kubectl.gosort`) and
the same ``Less``: an object without the field is "less" than anything (even than another
without it, which is what makes the order of ties depend on the algorithm); otherwise
``isLess`` on the two values as decoded from JSON: numbers by value, strings that both parse
as resource quantities by quantity, other strings byte by byte. (The sorter.go we can read
calls ``sortorder.NaturalLess`` there; the kubectl 1.37 binary carries no such function and
prints ``a10`` before ``a9``, ``x-10`` before ``x-2`` and ``10.106.0.1`` before ``10.96.0.1``:
that is what is repeated here.)

>>> pods = [{"spec": {"nodeName": n}} for n in ("node-2", "node-10", "node-1")]
>>> [p["spec"]["nodeName"] for p in sort_by(pods, ".spec.nodeName")]
['node-1', 'node-10', 'node-2']
>>> [o["data"]["v"] for o in sort_by([{"data": {"v": v}} for v in ("1Gi", "900Mi", "10")], "{.data.v}")]
['10', '900Mi', '1Gi']
"""

from __future__ import annotations

from typing import Any

from ..api.quantity import QuantityError, parse_quantity
from .gosort import go_sort

_MISSING = object()


def sort_by(objs: list[dict], field: str) -> list[dict]:
    """``objs`` in the order ``kubectl get --sort-by=<field>`` prints them (a simple
    ``.a.b.c`` path, with or without ``{}``)."""
    path = [p for p in field.strip().strip("{}").lstrip(".").split(".") if p]

    def value(obj: dict) -> Any:
        cur: Any = obj
        for p in path:
            if not isinstance(cur, dict) or p not in cur:
                return _MISSING
            cur = cur[p]
        return cur

    def less(a: tuple, b: tuple) -> bool:
        if a[1] is _MISSING:     # sorter.go: len(iValues) == 0 -> true, before looking at j
            return True
        if b[1] is _MISSING:
            return False
        return is_less(a[1], b[1])

    return [o for o, _ in go_sort([(o, value(o)) for o in objs], less)]


def is_less(i: Any, j: Any) -> bool:
    """sorter.go isLess for values decoded from JSON (the reflect.Interface case)."""
    if i is None or j is None:      # a JSON null: nil interfaces sort first, two are equal
        return i is None and j is not None
    if isinstance(i, bool) or isinstance(j, bool):
        return str(i) < str(j)      # Go exits with "unsortable type"; keep a total order
    if isinstance(i, (int, float)) and isinstance(j, (int, float)):
        return i < j
    if isinstance(i, str) and isinstance(j, str):
        try:
            return parse_quantity(i) < parse_quantity(j)
        except QuantityError:
            return i < j    # code point order is UTF-8 byte order, as Go compares strings
    return str(i) < str(j)
