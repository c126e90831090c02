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

The ``NoSchedule`` taints follow the Ready condition at once (doNoScheduleTaintingPass); the
``NoExecute`` ones — which make the taint-eviction controller evict pods — go through one
rate-limited queue per zone (:mod:`.nodelifecycle_zones`): a node seen not-Ready at a monitor
pass is queued, and the queues are tried every 100 ms, each at its zone's rate: 0.1 node/s
normally, nothing in a small zone (<= 50 nodes) where more than 2 nodes and >= 55 % are
not-Ready (PartialDisruption: more likely a network split than dead machines), and nothing
at all when every zone has lost every node (the controller then also lifts the NoExecute
taints it set, "master disruption mode"). When some node is Ready again everything resumes.
A node labelled ``node.kubernetes.io/exclude-disruption`` does not count for its zone.
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError
from ..lang import Text
from ..sim.clock import rfc3339
from . import nodelifecycle_zones as zones
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
    summary = Text("监视节点心跳（Lease）：超过 50 秒没有续约就把节点标记为 Unknown/NotReady 并打上 unreachable 污点",
                   "Watches node heartbeats (Leases): a node that has not renewed for 50 s is marked Unknown/NotReady and gets the unreachable taint")
    event_component = "node-controller"

    #: --node-eviction-rate, --secondary-node-eviction-rate, --unhealthy-zone-threshold,
    #: --large-cluster-size-threshold (instances may override them, e.g. in tests)
    eviction_rate = zones.NODE_EVICTION_RATE
    secondary_eviction_rate = zones.SECONDARY_NODE_EVICTION_RATE
    unhealthy_zone_threshold = zones.UNHEALTHY_ZONE_THRESHOLD
    large_cluster_threshold = zones.LARGE_CLUSTER_SIZE_THRESHOLD

    def setup(self) -> None:
        self.node_informer = self.informer("nodes")
        self.lease_informer = self.informer("leases", namespace="kube-node-lease")
        self.pod_informer = self.informer("pods")
        self.pod_informer.add_indexer(_NODE_INDEX, _pod_node)
        self._seen: dict[str, float] = {}      # node -> when we first saw it
        self._probe: dict[str, tuple[str, float]] = {}  # node -> (heartbeat stamp, when it changed)
        self._blind = False
        self._generation: tuple = ()
        #: zone key -> state (zoneStates) and its NoExecute tainting queue (zoneNoExecuteTainter)
        self.zone_states: dict[str, str] = {}
        self.tainters: dict[str, zones.RateLimitedTimedQueue] = {}
        self._tainting: Any = None
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
        self.monitor_node_health()

    def monitor_node_health(self) -> None:
        """monitorNodeHealth: each node's health, its taints, then the zones' states."""
        nodes = sorted(self.node_informer.list(), key=lambda n: n["metadata"]["name"])
        for name in [n for n in self._seen if self.node_informer.get(n) is None]:
            self._seen.pop(name, None)
            self._probe.pop(name, None)
        by_zone: dict[str, list[str | None]] = {}
        for node in nodes:
            key = zones.zone_key(node)
            if key not in self.zone_states:    # addPodEvictorForNewZone
                self.zone_states[key] = zones.STATE_INITIAL
                self.tainters[key] = zones.RateLimitedTimedQueue(self.loop, self.eviction_rate)
            try:
                observed, current = self._update_health(node)
                if current is not None:
                    self._process_taint_based_eviction(node, observed)
            except ApiError as err:
                self.errors.handle(f"error updating node {node['metadata']['name']}", err)
                current = _ready_status(node)
            except Exception as err:  # noqa: BLE001 - an object we cannot read breaks only itself
                self.errors.handle(f"error checking node {node['metadata'].get('name')}", err)
                current = _ready_status(node)
            labels = node["metadata"].get("labels") or {}
            if zones.LABEL_DISRUPTION_EXCLUSION not in labels:
                by_zone.setdefault(key, []).append(current)
        self._handle_disruption(by_zone, nodes)

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

    def _update_health(self, node: dict) -> tuple[str | None, str | None]:
        """tryUpdateNodeHealth -> (observed Ready status, current Ready status)."""
        key = node["metadata"]["name"]
        now = self.loop.now
        last = self._last_heartbeat(node)
        ready = _condition(node, "Ready")
        observed = (ready or {}).get("status")
        if last is None:
            grace, since = NODE_STARTUP_GRACE_PERIOD, self._seen.get(key, now)
        else:
            grace, since = NODE_MONITOR_GRACE_PERIOD, last
        if now - since > grace and observed != "Unknown":
            self._mark_unknown(node, never=ready is None)
            return observed, "Unknown"
        self._set_no_schedule_taints(node, observed)
        return observed, observed

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
        # RecordNodeStatusChange, then MarkPodsNotReady (monitorNodeHealth: observed Ready, now not)
        self.recorder.event({"kind": "Node", "metadata": {"name": name, "uid": node["metadata"].get("uid")}},
                            "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")
        self._mark_pods_not_ready(name)
        self._set_no_schedule_taints(node, "Unknown")

    def _mark_pods_not_ready(self, node_name: str) -> None:
        """MarkPodsNotReady: the pods' Ready condition turns False (Endpoints stop routing to them)
        and each pod changed gets a ``NodeNotReady`` Warning event "Node is not ready"."""
        stamp = rfc3339(self.loop.now)
        for pod in sorted(self.pod_informer.by_index(_NODE_INDEX, node_name),
                          key=lambda p: (p["metadata"].get("namespace"), p["metadata"]["name"])):
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

    # -- taints ----------------------------------------------------------------------
    def _set_no_schedule_taints(self, node: dict, ready: str | None) -> None:
        """doNoScheduleTaintingPass: the not-ready / unreachable ``NoSchedule`` taint follows
        the Ready condition (False -> not-ready, Unknown -> unreachable, True -> neither). A
        node that has not reported yet keeps the not-ready:NoSchedule taint
        TaintNodesByCondition admission gave it at creation."""
        key = _READY_TAINT.get(ready) or (TAINT_NOT_READY if ready is None else None)
        want = {(key, "NoSchedule")} if key else set()
        self._change_taints(node, want, {(k, "NoSchedule") for k in _MANAGED})

    def _change_taints(self, node: dict, want: set, managed: set) -> bool:
        """Make the ``managed`` (key, effect) taints on the node exactly ``want`` (new NoExecute
        ones stamped ``timeAdded``); re-read from the API server before writing (upstream's
        AddOrUpdateTaintOnNode / RemoveTaintOffNode do). False: the node is gone."""
        def plan(n: dict) -> list[dict] | None:
            taints = [t for t in (n.get("spec") or {}).get("taints") or () if isinstance(t, dict)]
            have = {(t.get("key"), t.get("effect")) for t in taints} & managed
            if have == want:
                return None
            rest = [t for t in taints if (t.get("key"), t.get("effect")) not in managed
                    or (t.get("key"), t.get("effect")) in want]
            stamp = rfc3339(self.loop.now)
            for k, effect in sorted(want - have):
                rest.append({"key": k, "effect": effect, "timeAdded": stamp} if effect == "NoExecute"
                            else {"key": k, "effect": effect})
            return rest
        if plan(node) is None:
            return True
        try:
            fresh = self.client.get("nodes", node["metadata"]["name"])
        except ApiError as err:
            if err.code == 404:
                return False
            raise
        taints = plan(fresh)
        if taints is None:
            return True
        self.client.patch("nodes", fresh["metadata"]["name"],
                          {"metadata": {"resourceVersion": fresh["metadata"]["resourceVersion"]},
                           "spec": {"taints": taints or None}})
        return True

    def _process_taint_based_eviction(self, node: dict, observed: str | None) -> None:
        """processTaintBaseEviction: swap an existing NoExecute taint for the other one at once,
        else queue the node in its zone's tainter; a Ready node loses both (markNodeAsReachable)."""
        name = node["metadata"]["name"]
        have = {t.get("key") for t in (node.get("spec") or {}).get("taints") or ()
                if isinstance(t, dict) and t.get("effect") == "NoExecute"}
        tainter = self.tainters[zones.zone_key(node)]
        if observed in ("False", "Unknown"):
            key, opposite = _READY_TAINT[observed], _OPPOSITE[observed]
            if opposite in have:
                self._change_taints(node, {(key, "NoExecute")}, _NO_EXECUTE)
                return
            if key not in have:    # markNodeForTainting
                if tainter.add(name, node["metadata"].get("uid", "")):
                    self._schedule_tainting()
        elif observed == "True":
            self._mark_reachable(node)

    def _mark_reachable(self, node: dict) -> None:
        """markNodeAsReachable: no NoExecute not-ready/unreachable taint, out of the queue."""
        self._change_taints(node, set(), _NO_EXECUTE)
        tainter = self.tainters.get(zones.zone_key(node))
        if tainter is not None:
            tainter.remove(node["metadata"]["name"])

    def _schedule_tainting(self) -> None:
        # the queues are tried every nodeEvictionPeriod while one of them may act (a quiet
        # cluster, or one whose queues are all stopped, schedules nothing)
        if self._tainting is None and any(len(q) and q.limiter.qps > 0 for q in self.tainters.values()):
            self._tainting = self.host.call_later(zones.NODE_EVICTION_PERIOD, self._tainting_pass)

    def _tainting_pass(self) -> None:
        """doNoExecuteTaintingPass: each zone's queue, through its rate limiter."""
        self._tainting = None
        for key in sorted(self.tainters):
            self.tainters[key].try_(self._taint_one)
        self._schedule_tainting()

    def _taint_one(self, name: str, uid: str) -> tuple[bool, float]:
        node = self.node_informer.get(name)
        if node is None:
            return True, 0.0
        status = (_condition(node, "Ready") or {}).get("status")
        if status not in ("False", "Unknown"):
            return True, 0.0   # "the Node is ready again, so there's no need to taint it"
        try:
            self._change_taints(node, {(_READY_TAINT[status], "NoExecute")}, _NO_EXECUTE)
        except ApiError as err:
            self.errors.handle(f"failed to taint node {name}", err)
            return False, 0.05
        return True, 0.0

    # -- zones -----------------------------------------------------------------------
    def _handle_disruption(self, by_zone: dict[str, list[str | None]], nodes: list[dict]) -> None:
        """handleDisruption: new zone states and the rate each zone's tainter works at."""
        new_states: dict[str, str] = {}
        all_fully = True
        for key in sorted(by_zone):
            _, state = zones.compute_zone_state(by_zone[key], self.unhealthy_zone_threshold)
            if state != zones.STATE_FULL_DISRUPTION:
                all_fully = False
            new_states[key] = state
        for key in [k for k in self.zone_states if k not in by_zone]:
            del self.zone_states[key]      # a zone without nodes is forgotten
        all_were_fully = all(v == zones.STATE_FULL_DISRUPTION for v in self.zone_states.values())
        if all_fully and all_were_fully:
            return
        if all_fully:
            # "Controller detected that all Nodes are not-Ready. Entering master disruption mode"
            for node in nodes:
                self._mark_reachable(node)
            for key in self.zone_states:
                self.tainters[key].swap_limiter(0.0)
                self.zone_states[key] = zones.STATE_FULL_DISRUPTION
            return
        if all_were_fully and self.zone_states:
            # "Some Nodes are Ready. Exiting master disruption mode": every grace period restarts
            for node in nodes:
                name = node["metadata"]["name"]
                if name in self._probe:
                    self._probe[name] = (self._probe[name][0], self.loop.now)
            for key in sorted(self.zone_states):
                self._set_zone(key, len(by_zone.get(key, ())), new_states.get(key, zones.STATE_NORMAL))
            return
        for key in sorted(self.zone_states):
            state = new_states.get(key, zones.STATE_NORMAL)
            if self.zone_states[key] != state:
                self._set_zone(key, len(by_zone.get(key, ())), state)

    def _set_zone(self, key: str, size: int, state: str) -> None:
        """setLimiterInZone + the state change."""
        self.zone_states[key] = state
        self.tainters[key].swap_limiter(zones.zone_qps(state, size, self.eviction_rate,
                                                       self.secondary_eviction_rate, self.large_cluster_threshold))
        self._schedule_tainting()


_NODE_INDEX = "spec.nodeName"


def _pod_node(pod: dict) -> list[str]:
    node = (pod.get("spec") or {}).get("nodeName")
    return [node] if node else []


_READY_TAINT = {"False": TAINT_NOT_READY, "Unknown": TAINT_UNREACHABLE}
_MANAGED = (TAINT_NOT_READY, TAINT_UNREACHABLE)
_OPPOSITE = {"False": TAINT_UNREACHABLE, "Unknown": TAINT_NOT_READY}
_NO_EXECUTE = {(TAINT_NOT_READY, "NoExecute"), (TAINT_UNREACHABLE, "NoExecute")}


def _ready_status(node: dict) -> str | None:
    """The Ready condition's status, or None when the node's status cannot be read."""
    try:
        return (_condition(node, "Ready") or {}).get("status")
    except (TypeError, AttributeError):
        return None


def _condition(node: dict, ctype: str) -> dict | None:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None

