"""The node lifecycle controller (pkg/controller/nodelifecycle/node_lifecycle_controller.go), simplified.

Every ``--node-monitor-period`` (5 s) it checks each node's heartbeats — the kubelet's
Lease ``kube-node-lease/<node>`` and the Ready condition's ``lastHeartbeatTime``. When
neither moved for ``--node-monitor-grace-period`` (50 s since v1.32; 60 s for a node that
was never Ready, ``--node-startup-grace-period``), it sets the node's conditions to
``Unknown`` ("Kubelet stopped posting node status."), marks the pods on it not ready (so
Endpoints drop them), and taints the node ``node.kubernetes.io/unreachable`` with effects
``NoSchedule`` (the scheduler avoids it) and ``NoExecute`` (the taint-eviction controller
evicts pods that do not tolerate it — by default after 300 s, the toleration the
DefaultTolerationSeconds admission plugin adds). A node whose kubelet reports Ready again
loses the taints. It also records ``RegisteredNode`` when it first sees a node.

A node whose kubelet reports Ready=False gets the ``node.kubernetes.io/not-ready`` taints
instead; a new node starts with ``not-ready:NoSchedule`` (TaintNodesByCondition admission)
until it reports Ready.

Not modelled: zone-aware eviction rate limits (``--node-eviction-rate`` 0.1 node/s, the
"disruption" modes when many nodes fail at once).
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError
from ..sim.clock import rfc3339
from .base import Controller

# cmd/kube-controller-manager: --node-monitor-period=5s
NODE_MONITOR_PERIOD = 5.0
# --node-monitor-grace-period=50s (v1.32+, k/k PR #126287; was 40s)
NODE_MONITOR_GRACE_PERIOD = 50.0
# --node-startup-grace-period=60s
NODE_STARTUP_GRACE_PERIOD = 60.0
# k8s.io/api/core/v1/well_known_taints.go
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
_STOPPED = "Kubelet stopped posting node status."
_NEVER = "Kubelet never posted node status."


class NodeLifecycleController(Controller):
    name = "nodelifecycle"
    kind = "node-lifecycle-controller"
    watches = ("nodes", "leases", "pods")
    writes = ("nodes", "nodes/status", "pods/status", "events")
    summary = "监视节点心跳（Lease）：超过 50 秒没有续约就把节点标记为 Unknown/NotReady 并打上 unreachable 污点"
    event_component = "node-controller"

    def setup(self) -> None:
        self.node_informer = self.informer("nodes")
        self.lease_informer = self.informer("leases", namespace="kube-node-lease")
        self.pod_informer = self.informer("pods")
        self._seen: dict[str, float] = {}      # node -> when we first saw it
        self._probe: dict[str, tuple[str, float]] = {}  # node -> (heartbeat stamp, when it changed)
        self._blind = False
        self._generation: tuple = ()
        self.node_informer.add_event_handler(on_add=self._node_added)
        self.host.every(NODE_MONITOR_PERIOD, self._monitor)

    def _node_added(self, node: dict) -> None:
        name = node["metadata"]["name"]
        if name not in self._seen:
            self._seen[name] = self.loop.now
            self.recorder.event(node, "Normal", "RegisteredNode",
                                f"Node {name} event: Registered Node {name} in Controller")

    def _monitor(self) -> None:
        if not self.node_informer.has_synced:
            return
        # While our watches are down we are blind, not the kubelets. Upstream the
        # controller manager loses its leader lease after 10 s without the API server and
        # restarts with fresh probe times; likewise we restart every node's grace period
        # once our watches are back.
        informers = (self.node_informer, self.lease_informer)
        if not all(inf.watching for inf in informers):
            self._blind = True
            return
        generation = tuple(inf.watches for inf in informers)
        if self._blind or generation != self._generation:
            self._blind, self._generation = False, generation
            self._probe.clear()
            for name in self._seen:
                self._seen[name] = self.loop.now
        for node in self.node_informer.list():
            self.queue.add(node["metadata"]["name"])

    # -- health --------------------------------------------------------------------
    def _last_heartbeat(self, node: dict) -> float | None:
        """When this controller last saw a heartbeat change (its own clock, as upstream's probeTimestamp)."""
        name = node["metadata"]["name"]
        lease = self.lease_informer.get(f"kube-node-lease/{name}")
        ready = _condition(node, "Ready") or {}
        stamp = f"{(lease or {}).get('spec', {}).get('renewTime')}|{ready.get('lastHeartbeatTime')}"
        if lease is None and not ready.get("lastHeartbeatTime"):
            return None
        seen = self._probe.get(name)
        if seen is None or seen[0] != stamp:
            self._probe[name] = (stamp, self.loop.now)
            return self.loop.now
        return seen[1]

    def sync(self, key: Any) -> None:
        node = self.node_informer.get(key)
        if node is None:
            self._seen.pop(key, None)
            self._probe.pop(key, None)
            return
        if self._blind:
            return
        now = self.loop.now
        last = self._last_heartbeat(node)
        ready = _condition(node, "Ready")
        if last is None:
            grace, since = NODE_STARTUP_GRACE_PERIOD, self._seen.get(key, now)
        else:
            grace, since = NODE_MONITOR_GRACE_PERIOD, last
        if now - since > grace and (ready is None or ready.get("status") != "Unknown"):
            self._mark_unknown(node, never=ready is None)
            return
        self._set_taints(node, (ready or {}).get("status"))

    def _mark_unknown(self, node: dict, never: bool) -> None:
        name = node["metadata"]["name"]
        stamp = rfc3339(self.loop.now)
        message = _NEVER if never else _STOPPED
        conditions = []
        for c in (node.get("status") or {}).get("conditions") or []:
            c = dict(c)
            if c.get("status") != "Unknown":
                c["lastTransitionTime"] = stamp
            c.update(status="Unknown", reason="NodeStatusUnknown", message=message)
            conditions.append(c)
        if not any(c["type"] == "Ready" for c in conditions):
            conditions.append({"type": "Ready", "status": "Unknown", "lastHeartbeatTime": stamp,
                               "lastTransitionTime": stamp, "reason": "NodeStatusUnknown", "message": message})
        self.client.patch("nodes", name, {"status": {"conditions": conditions}}, subresource="status")
        self.recorder.event({"kind": "Node", "metadata": {"name": name, "uid": node["metadata"].get("uid")}},
                            "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")
        self._mark_pods_not_ready(name)
        self._set_taints(node, "Unknown")

    def _mark_pods_not_ready(self, node_name: str) -> None:
        """MarkPodsNotReady: the pods' Ready condition turns False (Endpoints stop routing to them)
        and each pod changed gets a ``NodeNotReady`` Warning event "Node is not ready"."""
        stamp = rfc3339(self.loop.now)
        for pod in self.pod_informer.list():
            if (pod.get("spec") or {}).get("nodeName") != node_name:
                continue
            conds = copy.deepcopy((pod.get("status") or {}).get("conditions") or [])
            changed = False
            for c in conds:
                if c.get("type") == "Ready" and c.get("status") != "False":
                    c.update(status="False", lastTransitionTime=stamp)
                    changed = True
            if changed:
                try:
                    self.client.patch("pods", pod["metadata"]["name"], {"status": {"conditions": conds}},
                                      namespace=pod["metadata"]["namespace"], subresource="status")
                except ApiError as err:
                    if err.code != 404:
                        raise
                    continue   # the pod is gone: nothing left to do with it
                # pkg/controller/util/node/controller_utils.go MarkPodsNotReady: the event is
                # recorded after the status update, so the pod still exists
                self.recorder.event(pod, "Warning", "NodeNotReady", "Node is not ready")

    def _set_taints(self, node: dict, ready: str | None) -> None:
        """doNoScheduleTaintingPass + doNoExecuteTaintingPass: the node's not-ready /
        unreachable taints follow its Ready condition (False -> not-ready, Unknown ->
        unreachable, True -> neither). A node that has not reported yet keeps the
        not-ready:NoSchedule taint TaintNodesByCondition admission gave it at creation."""
        taints = [t for t in (node.get("spec") or {}).get("taints") or () if isinstance(t, dict)]
        key = _READY_TAINT.get(ready)
        want = [(key, "NoSchedule"), (key, "NoExecute")] if key else []
        if ready is None:
            want = [(TAINT_NOT_READY, "NoSchedule")]
        have = [(t.get("key"), t.get("effect")) for t in taints if t.get("key") in _MANAGED]
        if sorted(have) == sorted(want):
            return
        rest = [t for t in taints if t.get("key") not in _MANAGED or (t.get("key"), t.get("effect")) in want]
        kept = {(t.get("key"), t.get("effect")) for t in rest}
        stamp = rfc3339(self.loop.now)
        for k, effect in want:
            if (k, effect) not in kept:
                rest.append({"key": k, "effect": effect, "timeAdded": stamp} if effect == "NoExecute"
                            else {"key": k, "effect": effect})
        self.client.patch("nodes", node["metadata"]["name"], {"spec": {"taints": rest or None}})


_READY_TAINT = {"False": TAINT_NOT_READY, "Unknown": TAINT_UNREACHABLE}
_MANAGED = (TAINT_NOT_READY, TAINT_UNREACHABLE)


def _condition(node: dict, ctype: str) -> dict | None:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None

