"""The pod garbage collector (pkg/controller/podgc/gc_controller.go).

Every ``gcCheckPeriod`` (20 s; the first pass as soon as the caches have synced, as
``wait.UntilWithContext``) one pass, in upstream's order:

1. **terminated** pods (phase neither Pending, Running nor Unknown) beyond
   ``--terminated-pod-gc-threshold`` (12500; 0 disables this step) are deleted, evicted pods
   first, then oldest ``creationTimestamp`` first, the name breaking ties;
2. **terminating** pods (``deletionTimestamp`` set) on a node that is not Ready and carries the
   ``node.kubernetes.io/out-of-service`` taint (non-graceful node shutdown) are deleted;
3. **orphaned** pods — bound to a node the node informer does not know — put that node in
   quarantine for ``quarantineTime`` (40 s); once it is over, a live GET confirms the Node is
   really gone, and its pods get the ``DisruptionTarget`` condition (reason
   ``DeletionByPodGC``, "PodGC: node no longer exists") and are deleted;
4. **unscheduled terminating** pods (``deletionTimestamp`` set, no ``nodeName``) are deleted.

Every deletion is ``markFailedAndDeletePod``: a pod not yet Succeeded/Failed is first patched to
phase ``Failed`` (no kubelet is left to do it) and then deleted with grace period 0. Upstream
records no Event; failures are only logged (``utilruntime.HandleError``) and the next pass tries
again.
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError, is_not_found
from ..lang import Text
from ..sim.clock import rfc3339
from .base import Controller

# pkg/controller/podgc/gc_controller.go: gcCheckPeriod, quarantineTime
GC_CHECK_PERIOD = 20.0
QUARANTINE_TIME = 40.0
# cmd/kube-controller-manager/app/options (PodGCControllerConfiguration): --terminated-pod-gc-threshold
TERMINATED_POD_GC_THRESHOLD = 12500
# k8s.io/api/core/v1/well_known_taints.go: TaintNodeOutOfService
TAINT_OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
# gc_controller.go gcOrphaned: the condition put on a pod whose node is gone
ORPHAN_CONDITION = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                    "message": "PodGC: node no longer exists"}
_GC_KEY = "gc"


def is_terminated(pod: dict) -> bool:
    """isPodTerminated: the phase is neither Pending, Running nor Unknown."""
    return (pod.get("status") or {}).get("phase") not in ("Pending", "Running", "Unknown", None)


def is_evicted(pod: dict) -> bool:
    """pkg/kubelet/eviction PodIsEvicted: Failed with reason Evicted."""
    status = pod.get("status") or {}
    return status.get("phase") == "Failed" and status.get("reason") == "Evicted"


def _gc_order(pod: dict) -> tuple:
    """byEvictionAndCreationTimestamp: evicted first, then oldest, then by name."""
    meta = pod["metadata"]
    return (not is_evicted(pod), meta.get("creationTimestamp") or "", meta["name"])


def _node_ready(node: dict) -> bool:
    """pkg/util/node IsNodeReady: the Ready condition is True."""
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or ())


class PodGCController(Controller):
    name = "podgc"
    kind = "pod-garbage-collector-controller"
    watches = ("pods", "nodes")
    writes = ("pods", "pods/status")
    summary = Text("回收 Pod：节点已删除（隔离 40 秒后）的 Pod、超过阈值的已结束 Pod、无节点的终止中 Pod",
                   "Garbage-collects Pods: Pods whose node was deleted (after a 40 s quarantine), finished Pods beyond the threshold, terminating Pods on no node")
    event_component = "pod-garbage-collector"

    #: ``--terminated-pod-gc-threshold`` (set on the instance to change it; <= 0 disables).
    terminated_pod_threshold = TERMINATED_POD_GC_THRESHOLD

    def setup(self) -> None:
        self.pods = self.informer("pods")
        self.nodes = self.informer("nodes")
        #: The ``orphaned_pods_nodes`` delaying queue: node name -> when its quarantine ends.
        self.quarantine: dict[str, float] = {}
        self.host.every(GC_CHECK_PERIOD, lambda: self.queue.add(_GC_KEY), first=0.0)

    def sync(self, key: Any) -> None:
        pods = sorted(self.pods.list(), key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"]))
        nodes = {n["metadata"]["name"]: n for n in self.nodes.list()}
        if self.terminated_pod_threshold > 0:
            self._gc_terminated(pods)
        self._gc_terminating(pods, nodes)
        self._gc_orphaned(pods, nodes)
        self._gc_unscheduled_terminating(pods)

    # -- the four passes -----------------------------------------------------------
    def _gc_terminated(self, pods: list[dict]) -> None:
        terminated = [p for p in pods if is_terminated(p)]
        excess = len(terminated) - self.terminated_pod_threshold
        if excess <= 0:
            return
        for pod in sorted(terminated, key=_gc_order)[:excess]:
            self._delete(pod)

    def _gc_terminating(self, pods: list[dict], nodes: dict[str, dict]) -> None:
        doomed = []
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") is None:
                continue
            node = nodes.get((pod.get("spec") or {}).get("nodeName") or "")
            if node is None:
                continue   # upstream logs "Failed to get node" and skips the pod
            taints = (node.get("spec") or {}).get("taints") or ()
            if not _node_ready(node) and any(t.get("key") == TAINT_OUT_OF_SERVICE for t in taints):
                doomed.append(pod)
        for pod in sorted(doomed, key=_gc_order):
            self._delete(pod)

    def _gc_orphaned(self, pods: list[dict], nodes: dict[str, dict]) -> None:
        now = self.loop.now
        for pod in pods:
            node = (pod.get("spec") or {}).get("nodeName")
            if node and node not in nodes:
                # the delaying queue's AddAfter keeps the earlier ready time of a waiting item
                self.quarantine.setdefault(node, now + QUARANTINE_TIME)
        deleted = set()
        for node in sorted(n for n, ready in self.quarantine.items() if ready <= now):
            del self.quarantine[node]
            if node in nodes:
                continue
            try:
                self.client.get("nodes", node)       # checkIfNodeExists: ask the API server itself
            except ApiError as err:
                if is_not_found(err):
                    deleted.add(node)
                else:
                    self.errors.handle(f"Error while getting node {node!r}", err)
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") in deleted:
                self._delete(pod, ORPHAN_CONDITION)

    def _gc_unscheduled_terminating(self, pods: list[dict]) -> None:
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") is not None and not (pod.get("spec") or {}).get("nodeName"):
                self._delete(pod)

    # -- markFailedAndDeletePodWithCondition --------------------------------------------
    def _delete(self, pod: dict, condition: dict | None = None) -> None:
        meta = pod["metadata"]
        name, ns = meta["name"], meta.get("namespace")
        try:
            status = pod.get("status") or {}
            if status.get("phase") not in ("Succeeded", "Failed"):
                conditions = copy.deepcopy(status.get("conditions") or [])
                if condition is not None:
                    _set_condition(conditions, condition, rfc3339(self.loop.now))
                patch: dict = {"phase": "Failed"}
                if conditions:
                    patch["conditions"] = conditions
                self.client.patch("pods", name, {"status": patch}, namespace=ns, subresource="status")
            self.client.delete("pods", name, namespace=ns, grace_period_seconds=0)
        except ApiError as err:
            if not is_not_found(err):   # a pod already gone is what we wanted
                self.errors.handle(f"PodGC failed to delete pod {ns}/{name}", err)


def _set_condition(conditions: list[dict], condition: dict, stamp: str) -> None:
    """apipod.UpdatePodCondition: replace the condition of that type; the transition time only
    moves when the status changes."""
    for c in conditions:
        if c.get("type") == condition["type"]:
            if c.get("status") != condition["status"]:
                c["lastTransitionTime"] = stamp
            c.update(condition)
            return
    conditions.append(dict(condition, lastTransitionTime=stamp))
