"""Node-pressure eviction for memory (pkg/kubelet/eviction: eviction_manager.go, helpers.go).

Every 10 s (``evictionMonitoringPeriod``) the manager computes the signal
``memory.available = capacity - working set`` (the working set being the sum of the running
containers' ``workingSetBytes`` from the runtime's ``ListContainerStats``) and compares it with
the kubelet's default hard threshold ``memory.available<100Mi``. When it is crossed:

- the node reports ``MemoryPressure=True`` (``KubeletHasInsufficientMemory``) and records the
  Warning event ``EvictionThresholdMet`` ``Attempting to reclaim memory``;
- one pod per pass is evicted, ranked as ``rankMemoryPressure`` does: pods whose usage exceeds
  their memory request first, then lower ``priority``, then larger usage above request
  (so BestEffort pods, whose request is 0, go before Burstable and Guaranteed ones using the same);
- the pod's containers are killed at once (grace 0, i.e. the 2 s minimum), its status becomes
  ``phase: Failed``, ``reason: Evicted`` and the message upstream builds::

      The node was low on resource: memory. Threshold quantity: 100Mi, available: 81920Ki.
      Container hog was using 614400Ki, request is 0, has larger consumption of memory.

  with a ``DisruptionTarget`` condition (reason ``TerminationByKubelet``) and the Warning event
  ``Evicted``. The pod object stays (its controller makes a replacement).

Static pods (critical) are never evicted. Not modelled: other signals (nodefs, pids), soft
thresholds, ``--eviction-minimum-reclaim``, node-level reclaim (image GC).
"""

from __future__ import annotations

from typing import Any

from ..api.quantity import parse_quantity
from ..sim.clock import rfc3339

# pkg/kubelet/eviction/defaults_linux.go DefaultEvictionHard: memory.available < 100Mi
MEMORY_AVAILABLE_THRESHOLD = 100 * 1024 * 1024
THRESHOLD_TEXT = "100Mi"
# pkg/kubelet/kubelet.go: evictionMonitoringPeriod
MONITORING_PERIOD = 10.0
# pkg/kubelet/eviction/helpers.go
NODE_LOW_FMT = "The node was low on resource: {}. "
THRESHOLD_MET_FMT = "Threshold quantity: {}, available: {}. "
CONTAINER_FMT = "Container {} was using {}, request is {}, has larger consumption of {}. "
REASON = "Evicted"


def ki(nbytes: int) -> str:
    """resource.Quantity String() of a byte count as the eviction manager prints it."""
    if nbytes % 1024 == 0:
        return f"{nbytes // 1024}Ki"
    return str(nbytes)


def _request(container: dict) -> int:
    raw = ((container.get("resources") or {}).get("requests") or {}).get("memory")
    if raw is None:
        raw = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    return int(parse_quantity(str(raw)).value) if raw is not None else 0


class EvictionManager:
    """``EvictionManager(kubelet)``; :meth:`start` from the kubelet's ``on_start``."""

    def __init__(self, kubelet: Any):
        self.kubelet = kubelet
        self.under_pressure = False

    def start(self) -> None:
        self.kubelet.every(MONITORING_PERIOD, self.synchronize)

    def usage(self) -> dict[str, dict[str, int]]:
        """``{pod uid: {container: working set bytes}}`` of running containers."""
        out: dict[str, dict[str, int]] = {}
        for s in self.kubelet.runtime.list_container_stats():
            labels = (s.get("attributes") or {}).get("labels") or {}
            uid, name = labels.get("io.kubernetes.pod.uid"), labels.get("io.kubernetes.container.name")
            if uid and name:
                used = int(((s.get("memory") or {}).get("workingSetBytes") or {}).get("value") or 0)
                out.setdefault(uid, {})[name] = used
        return out

    def available(self, usage: dict[str, dict[str, int]]) -> int:
        capacity = int(parse_quantity(self.kubelet.capacity.get("memory", "0")).value)
        return capacity - sum(sum(v.values()) for v in usage.values())

    def synchronize(self) -> None:
        usage = self.usage()
        available = self.available(usage)
        pressure = available < MEMORY_AVAILABLE_THRESHOLD
        if pressure != self.under_pressure:
            self.under_pressure = pressure
            self.kubelet.node_pressure_changed()
        if not pressure:
            return
        self.kubelet.recorder.event(self.kubelet._node_ref(), "Warning", "EvictionThresholdMet",
                                    "Attempting to reclaim memory")
        victim = self._rank(usage)
        if victim is not None:
            pod, st = victim
            self._evict(pod, st, usage.get(st.uid, {}), available)

    def _rank(self, usage: dict[str, dict[str, int]]) -> Any:
        candidates = []
        for key, st in sorted(self.kubelet.workers.states.items()):
            pod = self.kubelet.pod(key)
            if pod is None or st.evicted or st.killing or st.terminal or self.kubelet.is_static(pod):
                continue
            used = usage.get(st.uid, {})
            if not used:
                continue
            containers = (pod.get("spec") or {}).get("containers") or []
            request = sum(_request(c) for c in containers)
            total = sum(used.values())
            priority = int((pod.get("spec") or {}).get("priority") or 0)
            candidates.append(((total <= request, priority, -(total - request), key), pod, st))
        if not candidates:
            return None
        candidates.sort(key=lambda c: c[0])
        return candidates[0][1], candidates[0][2]

    def message(self, pod: dict, used: dict[str, int], available: int) -> str:
        msg = NODE_LOW_FMT.format("memory") + THRESHOLD_MET_FMT.format(THRESHOLD_TEXT, ki(max(available, 0)))
        for c in (pod.get("spec") or {}).get("containers") or ():
            u, r = used.get(c["name"], 0), _request(c)
            if u > r:
                msg += CONTAINER_FMT.format(c["name"], ki(u), ki(r) if r else "0", "memory")
        return msg

    def _evict(self, pod: dict, st: Any, used: dict[str, int], available: int) -> None:
        msg = self.message(pod, used, available)
        st.evicted = (REASON, msg)
        st.extra_conditions = [{"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                                "lastTransitionTime": rfc3339(self.kubelet.loop.now),
                                "reason": "TerminationByKubelet", "message": msg}]
        self.kubelet.recorder.event(pod, "Warning", REASON, msg)
        self.kubelet.log("I", "eviction_manager.go:627", "Eviction manager: pod is evicted successfully", pod=st.key)
        self.kubelet.workers.update(st.key)


__all__ = ["EvictionManager", "MEMORY_AVAILABLE_THRESHOLD", "MONITORING_PERIOD", "REASON"]
