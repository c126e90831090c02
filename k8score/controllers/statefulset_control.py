"""One sync of a StatefulSet's pods (pkg/controller/statefulset/stateful_set_control.go
``updateStatefulSet``, ``processReplica``, ``processCondemned``, ``runForAll``).

Ordinals inside ``[start, start+replicas)`` are replicas, the rest are condemned. With
``OrderedReady`` (monotonic) the replicas are visited in ascending ordinal and the sync
stops at the first pod it had to create, or that is terminating, not Running and Ready, or
not yet available: ``web-1`` is created only once ``web-0`` is Running and Ready. Condemned
pods then go highest ordinal first, one at a time, each only when all others are healthy.
``Parallel`` visits everything without waiting.

Failed or Succeeded replicas are deleted and recreated on a later sync. A missing pod is
created at the current revision when its ordinal is below the partition, else at the update
revision. ``RollingUpdate`` then deletes, from the highest ordinal down to the partition, the
first pod not at the update revision — one per sync, and only while the pods above it are
healthy; ``OnDelete`` leaves pods alone until someone deletes them.
"""

from __future__ import annotations

from typing import Any, Protocol

from .statefulset_util import (identity_matches, is_healthy, is_running_and_available, is_running_and_ready,
                               is_terminating, new_pod, ordinal_of, pod_revision, revision_template,
                               start_ordinal)


class PodControl(Protocol):
    """What the control loop does through the API server (stateful_pod_control.go)."""

    def create_pod(self, sts: dict, pod: dict) -> None: ...
    def delete_pod(self, sts: dict, pod: dict) -> None: ...
    def update_pod(self, sts: dict, pod: dict) -> None: ...
    def claims_match_retention(self, sts: dict, pod: dict) -> bool: ...
    def update_claims_for_retention(self, sts: dict, pod: dict) -> None: ...


def update_stateful_set(control: PodControl, sts: dict, pods: list[dict], current: dict, update: dict,
                        now: float) -> None:
    """Converge ``pods`` (the set's, any order) one step toward ``sts``; raises ApiError."""
    spec = sts["spec"]
    start, count = start_ordinal(sts), int(spec.get("replicas", 1))
    min_ready = spec.get("minReadySeconds") or 0
    replicas: list[dict | None] = [None] * count
    condemned = []
    for pod in pods:
        o = ordinal_of(pod)
        if start <= o < start + count:
            replicas[o - start] = pod
        elif o >= 0:
            condemned.append(pod)
    partition = int(((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition") or 0)
    rolling = (spec.get("updateStrategy") or {}).get("type") == "RollingUpdate"
    current_replicas = int((sts.get("status") or {}).get("currentReplicas") or 0)
    for i in range(count):
        if replicas[i] is None:
            ordinal = start + i
            below = ordinal < start + partition if rolling else ordinal < start + current_replicas
            rev = current if rolling and below else update
            pod = new_pod(sts, revision_template(rev), ordinal, rev["metadata"]["name"])
            pod["_placeholder"] = True
            replicas[i] = pod
    condemned.sort(key=ordinal_of, reverse=True)
    first_unhealthy = next((p for p in replicas if not is_healthy(p)), None) or \
        next((p for p in reversed(condemned) if not is_healthy(p)), None)
    if sts["metadata"].get("deletionTimestamp"):
        return
    monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"

    def process_replica(pod: dict) -> bool:
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Failed", "Succeeded") and not pod.get("_placeholder"):
            if not is_terminating(pod):
                control.delete_pod(sts, pod)
            return True            # recreated on a later sync, once it is gone
        if pod.get("_placeholder"):
            pod.pop("_placeholder")
            control.create_pod(sts, pod)
            return monotonic
        if is_terminating(pod) and monotonic:
            return True
        if monotonic and not is_running_and_ready(pod):
            return True            # "waiting for Pod to be Running and Ready"
        if monotonic and not is_running_and_available(pod, min_ready, now):
            return True
        if not identity_matches(sts, pod):
            control.update_pod(sts, pod)
        if not control.claims_match_retention(sts, pod):
            control.update_claims_for_retention(sts, pod)
        return False

    def process_condemned(pod: dict) -> bool:
        if is_terminating(pod):
            return monotonic
        if monotonic and pod is not first_unhealthy and (
                not is_running_and_ready(pod) or not is_running_and_available(pod, min_ready, now)):
            return True
        control.delete_pod(sts, pod)
        return monotonic

    def fix_pod_claim(pod: dict) -> bool:
        # updateStatefulSet: condemned pods' claims get their scale-down owner first
        if not control.claims_match_retention(sts, pod):
            control.update_claims_for_retention(sts, pod)
        return False

    if _run_for_all(condemned, fix_pod_claim, monotonic):
        return
    if _run_for_all([p for p in replicas if p is not None], process_replica, monotonic):
        return
    if _run_for_all(condemned, process_condemned, monotonic):
        return
    if not rolling:
        return                     # OnDelete: pods are replaced when someone deletes them
    update_name = update["metadata"]["name"]
    for target in range(count - 1, partition - 1, -1):
        pod = replicas[target]
        if pod_revision(pod) != update_name and not is_terminating(pod):
            control.delete_pod(sts, pod)   # "Pod of StatefulSet is terminating for update"
            return
        if not is_healthy(pod):
            return                 # "StatefulSet is waiting for Pod to update"


def _run_for_all(pods: list[dict], fn: Any, monotonic: bool) -> bool:
    """``runForAll``: in order, stopping at the first that says so (monotonic), or all of them;
    the first error is raised after the others ran (Parallel)."""
    if monotonic:
        return any(fn(p) for p in pods)   # any() stops at the first True
    error = None
    for p in pods:
        try:
            fn(p)
        except Exception as err:  # noqa: BLE001 - upstream's slowStartBatch collects errors
            error = error or err
    if error is not None:
        raise error
    return False
