"""Turning objects into kubectl's output: tables, ``-o name``, ``-o json|yaml|kyaml``.

Pure functions over Kubernetes JSON dicts and ``now`` (virtual seconds).

>>> pod = {"kind": "Pod", "metadata": {"name": "web-1", "namespace": "default",
...        "creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {"containers": [{"name": "c"}]},
...        "status": {"phase": "Pending"}}
>>> print(table("pods", [pod], now=65.0), end="")
NAME    READY   STATUS    RESTARTS   AGE
web-1   0/1     Pending   0          65s
"""

from __future__ import annotations

from .columns import format_labels, table_for
from .tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite
from .kyaml import to_kyaml
from .yamlout import to_json, to_yaml


def kind_name(kind: str, group: str) -> str:
    """``pod`` or ``deployment.apps``: how kubectl names a kind in ``-o name`` and messages."""
    return f"{kind.lower()}.{group}" if group else kind.lower()


def table(plural: str, objs: list[dict], now: float, *, wide: bool = False, with_namespace: bool = False,
          show_labels: bool = False, kind_prefix: str | None = None, no_headers: bool = False) -> str:
    """A ``kubectl get`` table. ``kind_prefix`` (``pod``) names rows ``pod/web-1``, as kubectl
    does when several resource types are listed at once."""
    columns, row_fn = table_for(plural)
    shown = [name for name, priority in columns if wide or priority == 0]
    header = (["NAMESPACE"] if with_namespace else []) + shown + (["LABELS"] if show_labels else [])
    lines = [] if no_headers else ["\t".join(header)]
    for obj in objs:
        meta = obj.get("metadata") or {}
        cells = [str(c) for c in row_fn(obj, now, wide)]
        if kind_prefix and "NAME" in shown:
            i = shown.index("NAME")
            cells[i] = f"{kind_prefix}/{cells[i]}"
        if with_namespace:
            cells.insert(0, meta.get("namespace", ""))
        if show_labels:
            cells.append(format_labels(meta.get("labels")))
        lines.append("\t".join(cells))
    return tabwrite("\n".join(lines) + "\n", TABLE_MINWIDTH, TABLE_PADDING) if lines else ""


def names(objs: list[dict], kind: str, group: str) -> str:
    """``-o name``: ``pod/web-1`` per line."""
    prefix = kind_name(kind, group)
    return "".join(f"{prefix}/{(o.get('metadata') or {}).get('name', '')}\n" for o in objs)


def as_list(items: list[dict]) -> dict:
    """The ``v1 List`` kubectl wraps several objects in for ``-o json|yaml``."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def serialize(obj: dict, fmt: str) -> str:
    """``json``, ``yaml`` or ``kyaml``."""
    if fmt == "kyaml":
        return to_kyaml(obj)
    return to_json(obj) if fmt == "json" else to_yaml(obj)


def no_resources(namespace: str | None) -> str:
    """get.go: ``No resources found in <ns> namespace.`` (``No resources found`` with -A)."""
    return f"No resources found in {namespace} namespace." if namespace else "No resources found"
