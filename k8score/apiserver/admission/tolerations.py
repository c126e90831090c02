"""DefaultTolerationSeconds admission (plugin/pkg/admission/defaulttolerationseconds).

Every pod that does not already tolerate them gets, in this order::

    {key: node.kubernetes.io/not-ready,   operator: Exists, effect: NoExecute, tolerationSeconds: 300}
    {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}

so that when its node fails, the taint-eviction controller evicts it five minutes later
(kube-apiserver ``--default-not-ready-toleration-seconds`` /
``--default-unreachable-toleration-seconds``, both 300). A toleration with an empty key
(tolerates every taint) or an empty effect (every effect) counts as tolerating already.
"""

from __future__ import annotations

from ..request import AdmissionAttributes, PluginContext

NOT_READY = "node.kubernetes.io/not-ready"        # v1.TaintNodeNotReady
UNREACHABLE = "node.kubernetes.io/unreachable"    # v1.TaintNodeUnreachable
DEFAULT_TOLERATION_SECONDS = 300                  # admission.go flag defaults


def _tolerates(tolerations: list, key: str) -> bool:
    for t in tolerations:
        if isinstance(t, dict) and t.get("key") in (key, "", None) and t.get("effect") in ("NoExecute", "", None):
            return True
    return False


def add_default_tolerations(spec: dict) -> None:
    """Append the two NoExecute tolerations a pod spec lacks (idempotent)."""
    tolerations = spec.get("tolerations")
    if tolerations is None:
        tolerations = spec["tolerations"] = []
    if not isinstance(tolerations, list):
        return  # validation will refuse it
    missing = [k for k in (NOT_READY, UNREACHABLE) if not _tolerates(tolerations, k)]
    for key in missing:
        tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                            "tolerationSeconds": DEFAULT_TOLERATION_SECONDS})


class DefaultTolerationSeconds:
    """Mutating, on CREATE and UPDATE of pods."""

    name = "DefaultTolerationSeconds"

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE")

    def admit(self, a: AdmissionAttributes) -> str | None:
        if a.info.plural != "pods" or a.info.group or a.subresource:
            return None
        spec = a.obj.get("spec") if isinstance(a.obj, dict) else None
        if isinstance(spec, dict):
            add_default_tolerations(spec)
        return None


__all__ = ["DefaultTolerationSeconds", "add_default_tolerations", "DEFAULT_TOLERATION_SECONDS"]
