"""Creating pods from a template and choosing which pods to delete first.

- :func:`pod_from_template` is pkg/controller/controller_utils.go ``GetPodFromTemplate``:
  labels/annotations/finalizers from the template, ``generateName: <owner>-`` (the API
  server appends 5 random characters), the owner's controller reference, the template's
  spec.
- :func:`deletion_order` ranks pods the way ``ActivePodsWithRanks.Less`` does (the
  pods that hurt least to lose go first): unscheduled before scheduled; Pending before
  Unknown before Running; not ready before ready; lower ``controller.kubernetes.io/
  pod-deletion-cost`` first; pods sharing a node with more of their siblings first;
  more recently ready first; more restarts first; newer first. Given ``now`` (the
  ReplicaSet controller passes it), ready times compare on upstream's logarithmic scale
  (LogarithmicScaleDown, GA: pods ready within the same power-of-two window of nanoseconds
  count as equally new and their UIDs decide, so scale-down does not always kill the very
  newest); without it they compare directly. Remaining ties break by name so runs are
  reproducible (Go's sort.Sort is not stable).
"""

from __future__ import annotations

import copy
import functools
import math
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


def _log_rank(ready_at: float, now: float) -> int:
    """controller_utils.go: floor(log2(nanoseconds since ready)), -1 for not in the past."""
    d = round((now - ready_at) * 1e9)
    return -1 if d <= 0 else int(math.floor(math.log2(d)))


def deletion_order(pods: list[dict], related: list[dict] | None = None, now: float | None = None) -> list[dict]:
    """``pods`` sorted so that the first ones are the best to delete.

    ``related`` (default ``pods``): the pods whose co-location ranks a pod
    (``getPodsRankedByRelatedPodsOnSameNode`` counts the *active* related pods per node).
    ``now``: compare ready times on the logarithmic scale (see the module docstring)."""
    on_node: dict[str, int] = {}
    for p in related if related is not None else pods:
        node = (p.get("spec") or {}).get("nodeName")
        if node and _active(p):
            on_node[node] = on_node.get(node, 0) + 1
    if now is not None:
        return _ranked(pods, on_node, now)

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


def _active(pod: dict) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not (pod.get("metadata") or {}).get("deletionTimestamp")


def _cost(pod: dict) -> int:
    try:
        return int(((pod.get("metadata") or {}).get("annotations") or {}).get(POD_DELETION_COST, "0"))
    except ValueError:
        return 0


def _restarts(pod: dict) -> int:
    return max((c.get("restartCount", 0) for c in (pod.get("status") or {}).get("containerStatuses") or ()),
               default=0)


def _ranked(pods: list[dict], on_node: dict[str, int], now: float) -> list[dict]:
    """``ActivePodsWithRanks.Less`` (pkg/controller/controller_utils.go) as a comparator."""
    info = {}
    for pod in pods:
        spec, status, meta = pod.get("spec") or {}, pod.get("status") or {}, pod.get("metadata") or {}
        node = spec.get("nodeName") or ""
        ready = is_pod_ready(pod)
        since = (condition(pod, "Ready") or {}).get("lastTransitionTime") if ready else None
        info[id(pod)] = (node, _PHASE_ORDER.get(status.get("phase", "Pending"), 3), ready, _cost(pod),
                         on_node.get(node, 0), _stamp(since) if since else None, _restarts(pod),
                         _stamp(meta.get("creationTimestamp")), meta.get("uid", ""), meta.get("name", ""))

    def less(a: tuple, b: tuple) -> bool | None:
        if a[0] != b[0] and (not a[0] or not b[0]):
            return not a[0]                     # 1. unassigned first
        if a[1] != b[1]:
            return a[1] < b[1]                  # 2. Pending < Unknown < Running
        if a[2] != b[2]:
            return not a[2]                     # 3. not ready first
        if a[3] != b[3]:
            return a[3] < b[3]                  # 4. lower pod-deletion-cost first
        if a[4] != b[4]:
            return a[4] > b[4]                  # 5. more co-located related pods first
        if a[2] and b[2] and a[5] != b[5]:      # 6. ready for less time first, log2 buckets
            if a[5] is None or b[5] is None:
                return a[5] is None
            diff = _log_rank(a[5], now) - _log_rank(b[5], now)
            if diff == 0:
                return a[8] < b[8]              #    same bucket: by UID (effectively random)
            return diff < 0
        if a[6] != b[6]:
            return a[6] > b[6]                  # 7. more restarts first
        if a[7] != b[7]:                        # 8. newer first (afterOrZero: no time first)
            return a[7] == float("-inf") or (b[7] != float("-inf") and a[7] > b[7])
        return None

    def cmp(p: dict, q: dict) -> int:
        a, b = info[id(p)], info[id(q)]
        if less(a, b):
            return -1
        if less(b, a):
            return 1
        return (a[9] > b[9]) - (a[9] < b[9])    # equal for upstream: by name, reproducibly

    return sorted(pods, key=functools.cmp_to_key(cmp))


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

