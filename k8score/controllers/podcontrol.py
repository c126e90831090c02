"""Creating pods from a template and choosing which pods to delete first.

- :func:`pod_from_template` is pkg/controller/controller_utils.go ``GetPodFromTemplate``:
  labels/annotations/finalizers from the template, ``generateName: <owner>-`` (the API
  server appends 5 random characters), the owner's controller reference, the template's
  spec.
- :func:`deletion_order` ranks pods the way ``ActivePodsWithRanks.Less`` does (the
  pods that hurt least to lose go first): unscheduled before scheduled; Pending before
  Unknown before Running; not ready before ready; lower ``controller.kubernetes.io/
  pod-deletion-cost`` first; pods sharing a node with more of their siblings first;
  more recently ready first; more restarts first; newer first. Upstream compares ready
  times on a logarithmic scale (LogarithmicScaleDown); we compare them directly, and break
  remaining ties by name so runs are reproducible.
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError, is_not_found
from ..client.meta import condition, is_pod_ready, key_func, owner_reference
from ..sim.clock import parse

# pkg/apis/core/annotation_key_constants.go: PodDeletionCost
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"

_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


def pod_from_template(template: dict, owner: dict) -> dict:
    tmeta = template.get("metadata") or {}
    meta: dict[str, Any] = {}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    meta["generateName"] = f"{owner['metadata']['name']}-"
    meta["namespace"] = owner["metadata"].get("namespace")
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    meta["ownerReferences"] = [owner_reference(owner)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {})}


def _stamp(value: str | None) -> float:
    return parse(value) if value else float("-inf")


def deletion_order(pods: list[dict], related: list[dict] | None = None) -> list[dict]:
    """``pods`` sorted so that the first ones are the best to delete."""
    on_node: dict[str, int] = {}
    for p in related if related is not None else pods:
        node = (p.get("spec") or {}).get("nodeName")
        if node:
            on_node[node] = on_node.get(node, 0) + 1

    def rank(pod: dict) -> tuple:
        spec, status, meta = pod.get("spec") or {}, pod.get("status") or {}, pod.get("metadata") or {}
        node = spec.get("nodeName") or ""
        ready = is_pod_ready(pod)
        try:
            cost = int((meta.get("annotations") or {}).get(POD_DELETION_COST, "0"))
        except ValueError:
            cost = 0
        ready_since = _stamp((condition(pod, "Ready") or {}).get("lastTransitionTime")) if ready else 0.0
        restarts = max((c.get("restartCount", 0) for c in status.get("containerStatuses") or ()), default=0)
        return (
            1 if node else 0,
            _PHASE_ORDER.get(status.get("phase", "Pending"), 3),
            1 if ready else 0,
            cost,
            -on_node.get(node, 0) if node else 0,
            -ready_since,
            -restarts,
            -_stamp(meta.get("creationTimestamp")),
            meta.get("name", ""),
        )

    return sorted(pods, key=rank)


def delete_pods(ctl: Any, owner: dict, key: str, pods: list[dict]) -> ApiError | None:
    """controller_utils.go RealPodControl.DeletePod for each of ``pods``: delete, record
    ``SuccessfulDelete`` (or ``FailedDelete``), and tell ``ctl.expectations`` a deletion that
    failed will never be observed. Returns the first error other than NotFound."""
    first: ApiError | None = None
    for pod in pods:
        name = pod["metadata"]["name"]
        try:
            ctl.client.delete("pods", name, namespace=pod["metadata"]["namespace"])
        except ApiError as err:
            ctl.expectations.deletion_observed(key, key_func(pod))
            if not is_not_found(err):
                ctl.recorder.event(owner, "Warning", "FailedDelete", f"Error deleting: {err.message}")
                first = first or err
            continue
        ctl.recorder.event(owner, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")
    return first

