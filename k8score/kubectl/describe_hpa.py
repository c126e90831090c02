"""``kubectl describe hpa`` (k8s.io/kubectl/pkg/describe/describe.go
describeHorizontalPodAutoscalerV2, printDirectionBehavior).

>>> print(describe_hpa({"metadata": {"name": "web", "namespace": "default",
...     "creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {"scaleTargetRef": {"kind": "Deployment",
...     "name": "web"}, "minReplicas": 1, "maxReplicas": 3, "metrics": [{"type": "Resource",
...     "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]},
...     "status": {"currentReplicas": 1, "desiredReplicas": 1}}, [], 0.0), end="")
Name:                                                  web
Namespace:                                             default
Labels:                                                <none>
Annotations:                                           <none>
CreationTimestamp:                                     Thu, 01 Jan 2026 00:00:00 +0000
Reference:                                             Deployment/web
Metrics:                                               ( current / target )
  resource cpu on pods  (as a percentage of request):  <unknown> / 50%
Min replicas:                                          1
Max replicas:                                          3
Deployment pods:                                       1 current / 1 desired
Events:                                                <none>
"""

from __future__ import annotations

from .describe_blocks import Writer, meta_of, write_events, write_header
from .timefmt import rfc1123z


def _metric_line(w: Writer, spec: dict, status: dict) -> None:
    typ = spec.get("type")
    if typ not in ("Resource", "ContainerResource"):
        key = {"Pods": "pods", "Object": "object", "External": "external"}.get(typ, "")
        src = spec.get(key) or {}
        name = (src.get("metric") or {}).get("name", "")
        target = src.get("target") or {}
        goal = target.get("averageValue") or target.get("value") or ""
        cur = ((status.get(key) or {}).get("current") or {})
        current = cur.get("averageValue") or cur.get("value") or "<unknown>"
        label = {"Pods": f'"{name}" on pods', "Object": f'"{name}" on {(src.get("describedObject") or {}).get("kind", "")}/'
                 f'{(src.get("describedObject") or {}).get("name", "")}', "External": f'"{name}" (target value)'}.get(typ, typ)
        w.write(1, f"{label}:\t{current} / {goal}\n")
        return
    key = "resource" if typ == "Resource" else "containerResource"
    src, cur = spec.get(key) or {}, ((status.get(key) or {}).get("current") or {}) if status.get(key) else None
    target = src.get("target") or {}
    if typ == "Resource":
        w.write(1, f"resource {src.get('name', '')} on pods")
    else:
        w.write(1, f"resource {src.get('name', '')} of container \"{src.get('container', '')}\" on pods")
    if target.get("averageValue") is not None:
        current = cur.get("averageValue", "<unknown>") if cur else "<unknown>"
        w.write(0, f":\t{current} / {target['averageValue']}\n")
        return
    current = "<unknown>"
    if cur and cur.get("averageUtilization") is not None:
        current = f"{cur['averageUtilization']}% ({cur.get('averageValue', '0')})"
    goal = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
    w.write(1, f"(as a percentage of request):\t{current} / {goal}\n")


def _direction(w: Writer, title: str, rules: dict | None) -> None:
    if rules is None:
        return
    w.write(1, f"{title}:\n")
    if rules.get("stabilizationWindowSeconds") is not None:
        w.write(2, f"Stabilization Window: {rules['stabilizationWindowSeconds']} seconds\n")
    if rules.get("policies"):
        w.write(2, f"Select Policy: {rules.get('selectPolicy') or 'Max'}\n")
        w.write(2, "Policies:\n")
        for p in rules["policies"]:
            w.write(3, f"- Type: {p.get('type')}\tValue: {p.get('value')}\tPeriod: {p.get('periodSeconds')} seconds\n")


def describe_hpa(hpa: dict, events: list[dict] | None, now: float) -> str:
    meta, spec, st = meta_of(hpa), hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    w = Writer()
    write_header(w, meta)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp', ''))}\n")
    w.write(0, f"Reference:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
    w.write(0, "Metrics:\t( current / target )\n")
    current = st.get("currentMetrics") or []
    for i, m in enumerate(spec.get("metrics") or ()):
        _metric_line(w, m, current[i] if i < len(current) and isinstance(current[i], dict) else {})
    lo = spec.get("minReplicas")
    w.write(0, f"Min replicas:\t{'<unset>' if lo is None else lo}\n")
    w.write(0, f"Max replicas:\t{spec.get('maxReplicas', 0)}\n")
    if spec.get("behavior") is not None:
        w.write(0, "Behavior:\n")
        _direction(w, "Scale Up", spec["behavior"].get("scaleUp"))
        _direction(w, "Scale Down", spec["behavior"].get("scaleDown"))
    w.write(0, f"{ref.get('kind', '')} pods:\t{st.get('currentReplicas', 0)} current / "
               f"{st.get('desiredReplicas', 0)} desired\n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\tMessage\n")
        w.write(1, "----\t------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    write_events(w, events, now)
    return w.text()


__all__ = ["describe_hpa"]
