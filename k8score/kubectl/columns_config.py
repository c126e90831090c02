"""``kubectl get secrets|resourcequotas|podtemplates`` columns (pkg/printers/internalversion/
printers.go: printSecret, printResourceQuota, printPodTemplate).

Registered into :data:`k8score.kubectl.columns.TABLES`. A quota lists every resource of
``status.hard`` as ``name: used/hard`` (sorted by name; ``limits.*`` in LIMIT, the rest in
REQUEST), quantities in canonical form.

>>> q = {"metadata": {"name": "q"}, "status": {"hard": {"pods": "10", "limits.cpu": "2000m",
...      "requests.memory": "1Gi"}, "used": {"pods": "3", "requests.memory": "512Mi"}}}
>>> _quota_row(q, 0.0, False)[1:3]
['pods: 3/10, requests.memory: 512Mi/1Gi', 'limits.cpu: 0/2']
"""

from __future__ import annotations

from ..api.quantity import canonical
from .timefmt import since


def _m(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _qty(raw: object) -> str:
    """resource.Quantity String(); a missing quantity is the zero Quantity, ``0``."""
    if raw is None:
        return "0"
    try:
        return canonical(raw)
    except Exception:  # noqa: BLE001 - a broken quantity prints as stored
        return str(raw)


def _secret_row(s: dict, now: float, wide: bool) -> list[str]:
    # DATA counts ``data`` only (stringData is merged into data on write)
    return [_m(s).get("name", ""), s.get("type", ""), str(len(s.get("data") or {})),
            since(_m(s).get("creationTimestamp"), now)]


def _quota_row(q: dict, now: float, wide: bool) -> list[str]:
    st = q.get("status") or {}
    hard, used = st.get("hard") or {}, st.get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for name in sorted(hard):   # SortableResourceNames: plain string order
        column = limits if name.split(".")[0] == "limits" and "." in name else requests
        column.append(f"{name}: {_qty(used.get(name))}/{_qty(hard[name])}")
    return [_m(q).get("name", ""), ", ".join(requests), ", ".join(limits), since(_m(q).get("creationTimestamp"), now)]


def _podtemplate_row(pt: dict, now: float, wide: bool) -> list[str]:
    from .columns import format_labels
    template = pt.get("template") or {}
    cs = (template.get("spec") or {}).get("containers") or []
    return [_m(pt).get("name", ""), ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs),
            format_labels((template.get("metadata") or {}).get("labels"))]


CONFIG_TABLES = {
    "secrets": ([("NAME", 0), ("TYPE", 0), ("DATA", 0), ("AGE", 0)], _secret_row),
    # printers.go resourceQuotaColumnDefinitions: AGE last (older releases printed it second)
    "resourcequotas": ([("NAME", 0), ("REQUEST", 0), ("LIMIT", 0), ("AGE", 0)], _quota_row),
    "podtemplates": ([("NAME", 0), ("CONTAINERS", 0), ("IMAGES", 0), ("POD LABELS", 0)], _podtemplate_row),
}

__all__ = ["CONFIG_TABLES"]
