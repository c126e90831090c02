"""``kubectl get horizontalpodautoscalers`` columns (pkg/printers/internalversion/printers.go:
printHorizontalPodAutoscaler with formatHPAMetrics).

Registered into :data:`k8score.kubectl.columns.TABLES`; :func:`hpa_metrics` is re-exported
there.

>>> hpa = {"metadata": {"name": "web"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"},
...        "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {"name": "cpu",
...        "target": {"type": "Utilization", "averageUtilization": 50}}}]}}
>>> _hpa_row(hpa, 0.0, False)[:6]
['web', 'Deployment/web', 'cpu: <unknown>/50%', '<unset>', '5', '0']
"""

from __future__ import annotations

from ..api.quantity import canonical
from .timefmt import since


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _age(obj: dict, now: float) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


def _q(raw: object) -> str:
    """(*resource.Quantity).String(): canonical form, ``<nil>`` for a missing pointer."""
    if raw is None:
        return "<nil>"
    try:
        return canonical(raw)
    except Exception:  # noqa: BLE001 - a broken quantity prints as stored
        return str(raw)


def hpa_metrics(specs: list | None, statuses: list | None, wide: bool = True) -> str:
    """printers.go formatHPAMetrics: ``cpu: 250%/50%`` per metric (``<unknown>`` before the
    controller measured it), at most two, then ``+ N more...`` (``wide`` changes nothing:
    formatHPAMetrics has no wide form)."""
    if not specs:
        return "<none>"
    statuses = statuses or []
    out = []
    for i, spec in enumerate(specs):
        typ = spec.get("type")
        key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
               "Object": "object", "External": "external"}.get(typ)
        if key is None:
            out.append("<unknown type>")
            continue
        st = statuses[i] if i < len(statuses) and isinstance(statuses[i], dict) else {}
        measured = st.get(key) is not None   # statuses[i].<Type> != nil
        cur = (st.get(key) or {}).get("current") or {}
        src = spec.get(key) or {}
        target = src.get("target") or {}
        if typ in ("Resource", "ContainerResource"):
            name = src.get("name", "")
            if target.get("averageValue") is not None:
                current = _q(cur.get("averageValue")) if measured else "<unknown>"
                out.append(f"{name}: {current}/{_q(target['averageValue'])}")
            else:
                util = cur.get("averageUtilization") if measured else None
                current = f"{util}%" if util is not None else "<unknown>"
                goal = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
                out.append(f"{name}: {current}/{goal}")
        elif typ == "Pods":
            current = _q(cur.get("averageValue")) if measured else "<unknown>"
            out.append(f"{current}/{_q(target.get('averageValue'))}")
        elif target.get("averageValue") is not None:   # Object or External, per-pod average
            current = _q(cur["averageValue"]) if measured and cur.get("averageValue") is not None else "<unknown>"
            out.append(f"{current}/{_q(target['averageValue'])} (avg)")
        else:
            current = _q(cur.get("value")) if measured else "<unknown>"
            out.append(f"{current}/{_q(target.get('value'))}")
    if len(out) > 2:
        return f"{', '.join(out[:2])} + {len(out) - 2} more..."
    return ", ".join(out)


def _hpa_row(hpa: dict, now: float, wide: bool) -> list[str]:
    """printers.go printHorizontalPodAutoscaler."""
    spec, st = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    lo = spec.get("minReplicas")
    return [_meta(hpa).get("name", ""), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            hpa_metrics(spec.get("metrics"), st.get("currentMetrics"), wide),
            "<unset>" if lo is None else str(lo), str(spec.get("maxReplicas", 0)),
            str(st.get("currentReplicas", 0)), _age(hpa, now)]


AUTOSCALING_TABLES = {
    "horizontalpodautoscalers": ([("NAME", 0), ("REFERENCE", 0), ("TARGETS", 0), ("MINPODS", 0), ("MAXPODS", 0),
                                  ("REPLICAS", 0), ("AGE", 0)], _hpa_row),
}

__all__ = ["AUTOSCALING_TABLES", "hpa_metrics"]
