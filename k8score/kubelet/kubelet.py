"""The kubelet: the node agent that turns pods bound to its node into running containers.

``Kubelet(loop, api, "node-1")`` is the component ``kubelet/node-1`` (plane ``node``). On
start it:

- **registers its Node** (labels ``kubernetes.io/hostname``, ``kubernetes.io/os``...,
  capacity, addresses, nodeInfo with the runtime's version) and records the start-up
  events a real ``kubectl describe node`` shows;
- **renews its Lease** ``kube-node-lease/<node>`` every 10 s (``leaseDurationSeconds: 40``,
  pkg/kubelet/kubelet.go: ``nodeLeaseRenewIntervalFraction = 0.25`` of the duration) —
  the cheap heartbeat the node lifecycle controller watches;
- **checks its node status** every 10 s (``nodeStatusUpdateFrequency``) but *posts* it
  only when something changed or 5 minutes passed (``nodeStatusReportFrequency``) — the
  behaviour since leases took over heartbeats (KEP-589);
- **watches only its own pods** (``fieldSelector=spec.nodeName=<node>``) and its own Node
  (to learn the pod CIDR the node IPAM controller assigns; the CNI needs it before any pod
  gets an IP, and the node reports ``Ready`` only from then on);
- runs each pod through :mod:`.podworkers` against the CRI runtime (:mod:`.cri`).

Stopping the kubelet stops heartbeats and pod syncs, not the containers: they keep running
in the runtime, as on a real node whose kubelet crashed.
"""

from __future__ import annotations

import ipaddress
import re
import zlib
from typing import Any

from ..client import Client, EventRecorder, SharedInformerFactory
from ..client.errors import ApiError
from ..client.meta import key_func
from ..client.worker import ErrorLog
from ..sim import Component
from ..sim.clock import micro_time
from . import nodestatus
from .backoff import Backoff
from .cri import RUNTIME_NAME, RUNTIME_VERSION, ContainerRuntime
from .podworkers import PodWorkers

# pkg/kubelet/kubelet.go / nodelease: leaseDurationSeconds 40 (kubelet config nodeLeaseDurationSeconds)
LEASE_DURATION_SECONDS = 40
# pkg/kubelet/kubelet.go: nodeLeaseRenewIntervalFraction = 0.25 -> 10 s
LEASE_RENEW_INTERVAL = LEASE_DURATION_SECONDS * 0.25
# pkg/kubelet/apis/config/v1beta1/defaults.go: NodeStatusUpdateFrequency 10s, NodeStatusReportFrequency 5m
NODE_STATUS_UPDATE_FREQUENCY = 10.0
NODE_STATUS_REPORT_FREQUENCY = 300.0
# pkg/kubelet/kubelet_node_status.go registerWithAPIServer: retry backoff 100ms doubling to 7s
_REGISTER_RETRY_MAX = 7.0
LEASE_NAMESPACE = "kube-node-lease"
# pkg/kubelet/kubelet.go: housekeepingPeriod — clean up pods that vanished from the API
HOUSEKEEPING_PERIOD = 2.0


def _default_ip(node_name: str) -> str:
    m = re.search(r"(\d+)$", node_name)
    n = int(m.group(1)) if m else zlib.crc32(node_name.encode()) % 200
    return f"192.168.0.{10 + n % 240}"


class Kubelet(Component):
    kind = "kubelet"
    plane = "node"
    watches = ("pods", "nodes")
    writes = ("nodes", "nodes/status", "pods/status", "pods", "leases", "events")
    summary = "每个节点上的代理：注册节点、定期续约心跳，只关注调度到本节点的 Pod，通过 CRI 让容器运行时拉镜像、启动容器并上报状态"

    def __init__(self, loop: Any, api: Any, node_name: str, capacity: dict | None = None,
                 runtime: ContainerRuntime | None = None, labels: dict | None = None,
                 internal_ip: str | None = None):
        super().__init__(f"kubelet/{node_name}", loop)
        self.api = api
        self.node_name = node_name
        self.capacity = {**nodestatus.DEFAULT_CAPACITY, **{k: str(v) for k, v in (capacity or {}).items()}}
        self.labels = dict(labels or {})
        self.internal_ip = internal_ip or _default_ip(node_name)
        self.runtime = runtime if runtime is not None else ContainerRuntime(loop, node_name)
        #: Image pull backoff per ``<pod uid>_<image>`` (10 s doubling to 300 s).
        self.image_backoff = Backoff()
        self.workers = PodWorkers(self)
        #: Errors recovered from (a pod or Node it could not read), kept across restarts.
        self.errors = ErrorLog(loop, f"kubelet/{node_name}")
        self.registered = False
        self.client: Client | None = None
        self.recorder: EventRecorder | None = None
        self.factory: SharedInformerFactory | None = None
        self.pods: Any = None
        self._node_uid: str | None = None
        self._lease: dict | None = None
        self._last_status: dict | None = None
        self._last_report = float("-inf")
        self._register_delay = 0.1
        self._pod_cidr: str | None = None
        self._node_informer: Any = None

    # -- lifecycle ----------------------------------------------------------------
    def on_start(self) -> None:
        self.client = Client(self.api, user=f"system:node:{self.node_name}")
        self.recorder = EventRecorder(self.client, component="kubelet", host=self.node_name, loop=self.loop)
        self.factory = SharedInformerFactory(self.client, self.loop)
        self.pods = self.factory.informer("pods", field_selector=f"spec.nodeName={self.node_name}")
        self.pods.add_event_handler(on_add=self._pod_event, on_update=lambda old, new: self._pod_event(new),
                                    on_delete=self._pod_event)
        self._node_informer = self.factory.informer("nodes", field_selector=f"metadata.name={self.node_name}")
        self.pods.errors = self._node_informer.errors = self.errors
        self._node_informer.add_event_handler(on_add=self._node_event,
                                              on_update=lambda old, new: self._node_event(new))
        self._last_status = None
        self._register_delay = 0.1
        self._node_event_sent = False
        self._node_ready_reported: bool | None = None
        self.recorder.event(self._node_ref(), "Normal", "Starting", "Starting kubelet.")
        self._register()
        self.factory.start()
        self.every(NODE_STATUS_UPDATE_FREQUENCY, self._update_node_status)
        self.every(LEASE_RENEW_INTERVAL, self._renew_lease, first=0.0)
        self.every(HOUSEKEEPING_PERIOD, self._housekeeping)

    def on_stop(self) -> None:
        if self.factory is not None:
            self.factory.stop()
        self.registered = False
        self.workers.forget_scheduled()  # their timers died with the component

    def network_ready(self) -> bool:
        return bool(next(c for c in self.runtime.status()["conditions"] if c["type"] == "NetworkReady")["status"])

    def _node_ref(self) -> dict:
        # The kubelet's node reference uses the node name as UID (kubelet.go: nodeRef).
        return {"kind": "Node", "metadata": {"name": self.node_name, "uid": self.node_name}}

    # -- registration and node status -----------------------------------------------
    def _register(self) -> None:
        if not self.running:
            return
        body = nodestatus.node_object(self.node_name, self.labels, self.capacity, self.internal_ip,
                                      f"{RUNTIME_NAME}://{RUNTIME_VERSION}")
        body["status"]["conditions"] = nodestatus.conditions(self.loop.now, self.network_ready(), None,
                                                             self._network_message())
        body["status"]["images"] = nodestatus.images_status(self.runtime.list_images())
        try:
            node = self.client.create("nodes", body)
        except ApiError as err:
            if err.reason == "AlreadyExists":
                node = self.client.get("nodes", self.node_name)  # re-registration after a restart
            else:
                self.call_later(self._register_delay, self._register)
                self._register_delay = min(self._register_delay * 2, _REGISTER_RETRY_MAX)
                return
        self.registered = True
        self._node_uid = node["metadata"].get("uid")
        if not self._node_event_sent:
            self._node_event_sent = True
            for _type, reason, _msg in nodestatus._PRESSURE:
                event = {"KubeletHasSufficientMemory": "NodeHasSufficientMemory",
                         "KubeletHasNoDiskPressure": "NodeHasNoDiskPressure",
                         "KubeletHasSufficientPID": "NodeHasSufficientPID"}[reason]
                self.recorder.event(self._node_ref(), "Normal", event,
                                    f"Node {self.node_name} status is now: {event}")
            self.recorder.event(self._node_ref(), "Normal", "NodeAllocatableEnforced",
                                "Updated Node Allocatable limit across pods")
        self._update_node_status(force=True)

    def _network_message(self) -> str:
        for c in self.runtime.status()["conditions"]:
            if c["type"] == "NetworkReady":
                return c.get("message", "")
        return ""

    def _update_node_status(self, force: bool = False) -> None:
        if not self.registered:
            return
        now = self.loop.now
        # Like tryUpdateNodeStatus, compare with the Node as the API server has it: if
        # someone else changed it (the node lifecycle controller marked it Unknown), the
        # kubelet's next check puts its own view back.
        current = self._node_informer.get(self.node_name) if self._node_informer is not None else None
        seen = (current or {}).get("status") or self._last_status or {}
        previous = seen.get("conditions") or (self._last_status or {}).get("conditions")
        try:
            conditions = nodestatus.conditions(now, self.network_ready(), previous, self._network_message())
        except Exception as exc:  # noqa: BLE001 - someone stored conditions we cannot read: ours replace them
            self.errors.handle(f"unreadable status.conditions on Node {self.node_name}, rewriting them", exc)
            conditions = nodestatus.conditions(now, self.network_ready(), None, self._network_message())
        status = {"capacity": dict(self.capacity), "allocatable": dict(self.capacity),
                  "conditions": conditions,
                  "images": nodestatus.images_status(self.runtime.list_images())}
        try:
            unchanged = bool(seen) and nodestatus.comparable(status) == \
                nodestatus.comparable({k: seen.get(k) for k in status})
        except Exception:  # noqa: BLE001 - the stored status is unreadable: it is not ours, post ours
            unchanged = False
        if unchanged and not force and now - self._last_report < NODE_STATUS_REPORT_FREQUENCY:
            return
        try:
            self.client.patch("nodes", self.node_name, {"status": status}, subresource="status")
        except ApiError:
            return  # next tick retries
        self._last_status = status
        self._last_report = now
        ready = self.network_ready()
        if ready and self._node_ready_reported is not True:
            self.recorder.event(self._node_ref(), "Normal", "NodeReady", f"Node {self.node_name} status is now: NodeReady")
        self._node_ready_reported = ready

    def _node_event(self, node: dict) -> None:
        cidr = (node.get("spec") or {}).get("podCIDR")
        if cidr and cidr != self._pod_cidr:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except (TypeError, ValueError) as exc:
                # kubelet_network.go updatePodCIDR: the runtime refuses it; pods keep waiting
                self.errors.handle(f"Failed to update pod CIDR to {cidr!r}", exc)
                return
            self._pod_cidr = cidr
            self.runtime.update_runtime_config(cidr)  # the CRI call that hands the CNI its range
            self._update_node_status(force=True)
            self.workers.resync_all()

    # -- lease ------------------------------------------------------------------------
    def _renew_lease(self) -> None:
        if not self.registered:
            return
        now = micro_time(self.loop.now)
        try:
            if self._lease is None:
                try:
                    self._lease = self.client.get("leases", self.node_name, namespace=LEASE_NAMESPACE)
                except ApiError as err:
                    if err.code != 404:
                        raise
                    self._lease = self.client.create("leases", self._new_lease(now), namespace=LEASE_NAMESPACE)
                    return
            lease = dict(self._lease)
            lease["spec"] = {**lease.get("spec", {}), "holderIdentity": self.node_name,
                             "leaseDurationSeconds": LEASE_DURATION_SECONDS, "renewTime": now}
            if self._node_uid and not lease["metadata"].get("ownerReferences"):
                lease["metadata"] = {**lease["metadata"], "ownerReferences": [self._owner()]}
            self._lease = self.client.update("leases", lease, namespace=LEASE_NAMESPACE)
        except ApiError:
            self._lease = None  # conflict or API down: read it again next time

    def _owner(self) -> dict:
        return {"apiVersion": "v1", "kind": "Node", "name": self.node_name, "uid": self._node_uid}

    def _new_lease(self, now: str) -> dict:
        meta: dict[str, Any] = {"name": self.node_name, "namespace": LEASE_NAMESPACE}
        if self._node_uid:
            meta["ownerReferences"] = [self._owner()]
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta,
                "spec": {"holderIdentity": self.node_name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                         "renewTime": now}}

    # -- pods -----------------------------------------------------------------------
    def _pod_event(self, pod: dict) -> None:
        self.workers.update(key_func(pod))

    def _housekeeping(self) -> None:
        """HandlePodCleanups: pods this kubelet still runs but the API no longer has
        (deleted while the kubelet was down) are stopped."""
        if self.pods is None or not self.pods.has_synced:
            return
        for key in self.workers.orphans():
            self.workers.update(key)
