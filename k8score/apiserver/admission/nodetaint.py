"""TaintNodesByCondition admission (plugin/pkg/admission/nodetaint/admission.go).

A Node is created with the ``node.kubernetes.io/not-ready:NoSchedule`` taint, so nothing
is scheduled onto it before its kubelet reports Ready; the node lifecycle controller
removes the taint then. A taint with the same key and effect already present is kept.
"""

from __future__ import annotations

from ..request import AdmissionAttributes, PluginContext

# nodetaint/admission.go TaintNodeNotReady, TaintEffectNoSchedule
NOT_READY_TAINT = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}


class TaintNodesByCondition:
    """Mutating, on CREATE of nodes."""

    name = "TaintNodesByCondition"

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx

    def handles(self, operation: str) -> bool:
        return operation == "CREATE"

    def admit(self, a: AdmissionAttributes) -> str | None:
        if a.info.plural != "nodes" or a.info.group or a.subresource or not isinstance(a.obj, dict):
            return None
        spec = a.obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return None
        taints = spec.get("taints")
        if taints is None:
            taints = spec["taints"] = []
        if not isinstance(taints, list):
            return None  # validation will refuse it
        if any(isinstance(t, dict) and t.get("key") == NOT_READY_TAINT["key"]
               and t.get("effect") == NOT_READY_TAINT["effect"] for t in taints):
            return None  # Taint.MatchTaint: same key and effect
        taints.append(dict(NOT_READY_TAINT))
        return "added taint node.kubernetes.io/not-ready:NoSchedule"


__all__ = ["TaintNodesByCondition", "NOT_READY_TAINT"]
