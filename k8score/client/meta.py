"""Small helpers on object metadata that every controller needs.

Cache keys are client-go's ``MetaNamespaceKeyFunc``: ``"namespace/name"``, or ``"name"``
for cluster-scoped objects. Label selectors are ``metav1.LabelSelector`` dicts
(``matchLabels`` + ``matchExpressions``), evaluated as in
apimachinery ``pkg/apis/meta/v1/helpers.go: LabelSelectorAsSelector``.

>>> key_func({"metadata": {"namespace": "default", "name": "web"}})
'default/web'
>>> selector_matches({"matchLabels": {"app": "web"}}, {"app": "web", "tier": "fe"})
True
>>> selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}, {})
True
>>> selector_string({"matchLabels": {"b": "2", "a": "1"}})
'a=1,b=2'
"""

from __future__ import annotations

from typing import Any

from ..api.selectors import cached_label_selector as label_selector


def key_func(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name')}" if ns else str(meta.get("name"))


def split_key(key: str) -> tuple[str | None, str]:
    """``"ns/name"`` -> ``("ns", "name")``; ``"name"`` -> ``(None, "name")``."""
    if "/" in key:
        ns, name = key.split("/", 1)
        return ns, name
    return None, key


def controller_ref(obj: dict) -> dict | None:
    """The ownerReference with ``controller: true`` (at most one exists)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def owner_reference(owner: dict, controller: bool = True) -> dict:
    """An ownerReference pointing at ``owner`` (blockOwnerDeletion as controllers set it)."""
    meta = owner["metadata"]
    return {"apiVersion": owner.get("apiVersion"), "kind": owner.get("kind"), "name": meta["name"],
            "uid": meta["uid"], "controller": controller, "blockOwnerDeletion": True}


def selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """Whether ``labels`` satisfy a LabelSelector. ``None`` selects nothing, ``{}`` everything.

    Evaluated by the one selector implementation, :mod:`k8score.api.selectors`."""
    if selector is None:
        return False
    return label_selector(selector).matches(labels)


def labels_match(selector_labels: dict | None, labels: dict | None) -> bool:
    """A Service-style selector (plain map); an empty or missing map selects nothing."""
    if not selector_labels:
        return False
    return label_selector({"matchLabels": selector_labels}).matches(labels)


def selector_string(selector: dict | None) -> str:
    """The string form (``kubectl get -l``) of a LabelSelector, sorted by key."""
    parts = []
    selector = selector or {}
    for k, v in sorted((selector.get("matchLabels") or {}).items()):
        parts.append(f"{k}={v}")
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), sorted(expr.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def condition(obj: dict, ctype: str) -> dict | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def is_pod_ready(pod: dict) -> bool:
    c = condition(pod, "Ready")
    return bool(c and c.get("status") == "True")


def is_pod_active(pod: dict) -> bool:
    """client-go ``controller.IsPodActive``: not terminal and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not (pod.get("metadata") or {}).get("deletionTimestamp")


def rv_int(obj: dict | None) -> int:
    try:
        return int(((obj or {}).get("metadata") or {}).get("resourceVersion") or 0)
    except (TypeError, ValueError):
        return 0


def deep_get(obj: Any, *path: Any, default: Any = None) -> Any:
    for p in path:
        if isinstance(obj, dict):
            obj = obj.get(p)
        elif isinstance(obj, list) and isinstance(p, int) and -len(obj) <= p < len(obj):
            obj = obj[p]
        else:
            return default
        if obj is None:
            return default
    return obj
