"""Taint/toleration matching, exactly as ``k8s.io/api/core/v1/toleration.go: ToleratesTaint``.

A toleration tolerates a taint when

1. its ``effect`` is empty (matches every effect) or equals the taint's effect, and
2. its ``key`` is empty (only valid with ``Exists``: matches every key) or equals the taint's key, and
3. ``operator`` ``Exists`` (any value), or ``Equal``/empty with the same value.

>>> taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
>>> tolerates({"key": "dedicated", "operator": "Equal", "value": "gpu"}, taint)
True
>>> tolerates({"operator": "Exists"}, taint)        # empty key + Exists tolerates everything
True
>>> tolerates({"key": "dedicated", "value": "cpu", "effect": "NoSchedule"}, taint)
False
"""

from __future__ import annotations

from typing import Callable, Iterable

# k8s.io/api/core/v1/well_known_taints.go: TaintNodeUnschedulable
TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"


def tolerates(toleration: dict, taint: dict) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False  # unknown operators tolerate nothing


def tolerations_tolerate(tolerations: Iterable[dict], taint: dict) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def find_untolerated(taints: Iterable[dict], tolerations: list[dict],
                     keep: Callable[[dict], bool]) -> dict | None:
    """The first taint (node order) passing ``keep`` that no toleration tolerates.

    As ``pkg/apis/core/v1/helper/helpers.go: FindMatchingUntoleratedTaint``.
    """
    for taint in taints:
        if keep(taint) and not tolerations_tolerate(tolerations, taint):
            return taint
    return None


def do_not_schedule(taint: dict) -> bool:
    """Effects the Filter cares about (``helper.DoNotScheduleTaintsFilterFunc``)."""
    return taint.get("effect") in (NO_SCHEDULE, NO_EXECUTE)
