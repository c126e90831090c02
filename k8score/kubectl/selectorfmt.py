"""How kubectl prints labels and label selectors (apimachinery's pkg/labels FormatLabels and
metav1.LabelSelectorAsSelector(...).String(), metav1.FormatLabelSelector).

Shared by the ``kubectl get`` columns and the describers; :mod:`.columns` re-exports them.

>>> format_labels({"b": "2", "a": "1"}), format_labels(None)
('a=1,b=2', '<none>')
>>> selector_string({"matchLabels": {"app": "web"},
...                  "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]}]})
'app=web,tier in (be,fe)'
>>> format_selector({})
'<none>'
"""

from __future__ import annotations

__all__ = ["format_labels", "selector_string", "format_selector"]


def format_labels(labels: dict | None) -> str:
    """apimachinery labels.FormatLabels: ``k=v,k2=v2`` sorted by key, or ``<none>``."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def selector_string(selector: dict | None) -> str:
    """metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key."""
    reqs: list[tuple[str, str]] = []
    for k, v in (selector or {}).get("matchLabels", {}).items():
        reqs.append((k, f"{k}={v}"))
    for e in (selector or {}).get("matchExpressions") or ():
        key, op, values = e.get("key", ""), e.get("operator"), sorted(e.get("values") or [])
        text = {"In": f"{key} in ({','.join(values)})", "NotIn": f"{key} notin ({','.join(values)})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(op, key)
        reqs.append((key, text))
    return ",".join(t for _, t in sorted(reqs, key=lambda r: r[0]))


def format_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: like :func:`selector_string`, ``<none>`` when empty."""
    return selector_string(selector) or "<none>"
