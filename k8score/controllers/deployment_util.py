"""Pure helpers of the Deployment controller (pkg/controller/deployment/util/deployment_util.go).

Rolling-update arithmetic, worked for the defaults (``maxSurge`` and ``maxUnavailable``
25 %) and 3 replicas: surge rounds **up** (ceil(0.75) = 1 extra pod allowed), unavailable
rounds **down** (floor(0.75) = 0 pods may be missing), so a 3-replica rollout runs at most
4 pods and never fewer than 3 available.

>>> resolve_fenceposts({"type": "RollingUpdate"}, 3)
(1, 0)
>>> resolve_fenceposts({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}, 3)
(0, 1)
>>> new_rs_new_replicas(3, (1, 0), all_spec_replicas=3, new_rs_replicas=0, recreate=False)
1
"""

from __future__ import annotations

import math
from typing import Any

from ..sim.clock import rfc3339

# pkg/apis/apps/v1/types.go: DefaultDeploymentUniqueLabelKey
POD_TEMPLATE_HASH = "pod-template-hash"
# pkg/controller/deployment/util/deployment_util.go annotations
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
# annotationsToSkip: never copied from a Deployment to its ReplicaSets
_SKIP = ("kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY,
         DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to")

# Condition reasons (deployment_util.go)
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"

# pkg/apis/apps/v1/defaults.go: ProgressDeadlineSeconds 600, RevisionHistoryLimit 10
DEFAULT_PROGRESS_DEADLINE = 600
DEFAULT_REVISION_HISTORY_LIMIT = 10


# Go's int32 (k8s.io/api/apps/v1: Replicas *int32, IntOrString.IntVal int32)
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1


def decode_int32(value: Any, struct: str, field: str) -> Any:
    """``value`` if Go would decode it into an int32 field (None stays None), else ValueError
    with encoding/json's ``UnmarshalTypeError`` text — what a Go controller's informer
    reports for an object it cannot decode, e.g.
    ``json: cannot unmarshal number 2147483648 into Go struct field Deployment.spec.replicas of type int32``.
    """
    if value is None or (type(value) is int and INT32_MIN <= value <= INT32_MAX):
        return value
    if isinstance(value, str) and field.endswith(("maxSurge", "maxUnavailable")):
        return value  # IntOrString: the string form (a percentage) is checked where it is used
    kind = {bool: "bool", str: "string", dict: "object", list: "array"}.get(type(value))
    number = str(value)
    what = kind or f"number {number if len(number) <= 40 else number[:20] + '…'}"  # a short log line
    return _raise(f"json: cannot unmarshal {what} into Go struct field {struct}.{field} of type int32")


def check_int32_fields(obj: dict, struct: str, paths: tuple[tuple[str, ...], ...]) -> None:
    """:func:`decode_int32` on each ``path`` of ``obj`` that is present."""
    for path in paths:
        value: Any = obj
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        decode_int32(value, struct, ".".join(path))


def _raise(message: str) -> Any:
    raise ValueError(message)


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        value = "25%"
    if isinstance(value, int):
        return value
    s = str(value)
    if s.endswith("%"):
        x = int(s[:-1]) * total / 100
        return math.ceil(x) if round_up else math.floor(x)
    return int(s)


def resolve_fenceposts(strategy: dict | None, replicas: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable); both zero is impossible, so unavailable becomes 1."""
    strategy = strategy or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return 0, 0
    ru = strategy.get("rollingUpdate") or {}
    surge = _scaled(ru.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _scaled(ru.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1  # "Validation should never allow the user to explicitly use zero values for both"
    return surge, unavailable


def max_unavailable(d: dict) -> int:
    replicas = d["spec"].get("replicas", 1)
    if (d["spec"].get("strategy") or {}).get("type", "RollingUpdate") != "RollingUpdate" or replicas == 0:
        return 0
    _, unavailable = resolve_fenceposts(d["spec"].get("strategy"), replicas)
    return min(unavailable, replicas)


def max_surge(d: dict) -> int:
    if (d["spec"].get("strategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
        return 0
    surge, _ = resolve_fenceposts(d["spec"].get("strategy"), d["spec"].get("replicas", 1))
    return surge


def new_rs_new_replicas(replicas: int, fenceposts: tuple[int, int], all_spec_replicas: int,
                        new_rs_replicas: int, recreate: bool) -> int:
    """NewRSNewReplicas: how far the new ReplicaSet may grow this step."""
    if recreate:
        return replicas
    max_total = replicas + fenceposts[0]
    if all_spec_replicas >= max_total:
        return new_rs_replicas  # cannot scale up: surge budget used
    scale_up = min(max_total - all_spec_replicas, replicas - new_rs_replicas)
    return new_rs_replicas + scale_up


def template_without_hash(template: dict) -> dict:
    """A shallow copy of ``template`` minus the pod-template-hash label (for comparison only)."""
    template = template or {}
    meta = template.get("metadata") or {}
    labels = meta.get("labels")
    if not labels or POD_TEMPLATE_HASH not in labels:
        return template
    labels = {k: v for k, v in labels.items() if k != POD_TEMPLATE_HASH}
    return {**template, "metadata": {**meta, "labels": labels}}


def equal_ignore_hash(a: dict, b: dict) -> bool:
    """EqualIgnoreHash: templates equal apart from the pod-template-hash label."""
    return template_without_hash(a) == template_without_hash(b)


def revision(obj: dict) -> int:
    try:
        return int(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def rs_annotations(d: dict, rs_annotations_now: dict | None, new_revision: str | None,
                   creating: bool = False) -> dict:
    """Annotations the new ReplicaSet should carry (SetNewReplicaSetAnnotations).

    The desired/max replica annotations are written when the ReplicaSet is created and
    afterwards only when it is scaled — which is how a later ``kubectl scale`` is noticed
    as a scaling event (they differ from ``spec.replicas``)."""
    out = dict(rs_annotations_now or {})
    for k, v in ((d.get("metadata") or {}).get("annotations") or {}).items():
        if k not in _SKIP:
            out[k] = v
    if new_revision is not None and revision({"metadata": {"annotations": out}}) < int(new_revision):
        out[REVISION] = new_revision
    if creating:
        out[DESIRED_REPLICAS] = str(d["spec"].get("replicas", 1))
        out[MAX_REPLICAS] = str(d["spec"].get("replicas", 1) + max_surge(d))
    return out


def new_condition(ctype: str, status: str, reason: str, message: str, now: float) -> dict:
    stamp = rfc3339(now)
    return {"type": ctype, "status": status, "lastUpdateTime": stamp, "lastTransitionTime": stamp,
            "reason": reason, "message": message}


def get_condition(status: dict, ctype: str) -> dict | None:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def set_condition(status: dict, cond: dict) -> None:
    """SetDeploymentCondition: same status+reason is a no-op; same status keeps the transition time."""
    cur = get_condition(status, cond["type"])
    if cur is not None and cur.get("status") == cond["status"] and cur.get("reason") == cond["reason"]:
        return
    if cur is not None and cur.get("status") == cond["status"]:
        cond = dict(cond, lastTransitionTime=cur.get("lastTransitionTime"))
    status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != cond["type"]] + [cond]


def remove_condition(status: dict, ctype: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != ctype]


def deployment_complete(d: dict, new_status: dict) -> bool:
    replicas = d["spec"].get("replicas", 1)
    return (new_status.get("updatedReplicas", 0) == replicas and new_status.get("replicas", 0) == replicas
            and new_status.get("availableReplicas", 0) == replicas
            and new_status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1))


def deployment_progressing(d: dict, new_status: dict) -> bool:
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new_status.get("replicas", 0) - new_status.get("updatedReplicas", 0)
    return (new_status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_old < old_old
            or new_status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or new_status.get("availableReplicas", 0) > old.get("availableReplicas", 0))
