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
- runs each pod through :mod:`.podworkers` against the CRI runtime (:mod:`.cri`), learning of
  container exits from the runtime's container events (the evented PLEG,
  ``runtime.get_container_events``), probing through the probe manager
  (:mod:`.prober`, when present) and evicting pods under memory pressure (:mod:`.eviction`);
- runs static pods from ``/etc/kubernetes/manifests`` on its ``Host`` (:mod:`.static`, when
  present) next to the API server's pods;
- watches Services, for the service environment variables of containers.

While the API server is unreachable the kubelet keeps running (and restarting) its pods from
its informer cache; status writes are retried and the truth is reported when it returns.

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
from ..cri import Containerd
from ..cri.runtime import RuntimeBase
from ..lang import Text
from ..node.host import Host
from ..node.journal import klog
from ..sim import Component
from ..sim.clock import micro_time, rfc3339
from . import nodestatus
from .backoff import Backoff
from .eviction import EvictionManager
from .logrotation import ContainerLogManager
from .podworkers import PodWorkers
from .prober import ProbeManager
from .server import KubeletServer
from .static import StaticPodSource
from .volumes_csi import CSIVolumeManager

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
    if n < 240:
        return f"192.168.0.{10 + n}"
    # node-240 and beyond: 192.168.1.1, ... 250 a /24 (one address each up to node-63739;
    # they used to wrap round onto node-0's, two machines on one address)
    n -= 240
    return f"192.168.{1 + n // 250 % 255}.{1 + n % 250}"


class Kubelet(Component):
    kind = "kubelet"
    plane = "node"
    watches = ("pods", "nodes", "services")
    writes = ("nodes", "nodes/status", "pods/status", "pods", "leases", "events", "csinodes")
    summary = Text("每个节点上的代理：注册节点、定期续约心跳，只关注调度到本节点的 Pod，通过 CRI 让容器运行时拉镜像、启动容器并上报状态",
                   "The agent on every node: registers the node, renews its heartbeat, watches only the Pods scheduled to this node, has the container runtime pull images and start containers through the CRI, and reports their status")

    def __init__(self, loop: Any, api: Any, node_name: str, capacity: dict | None = None,
                 runtime: RuntimeBase | None = None, labels: dict | None = None,
                 internal_ip: str | None = None, host: Any = None, cloud_provider: str | None = None):
        super().__init__(f"kubelet/{node_name}", loop)
        #: ``--cloud-provider``: ``"external"`` when a cloud-controller-manager initialises the
        #: Node (it registers tainted ``node.cloudprovider.kubernetes.io/uninitialized``), else None.
        self.cloud_provider = cloud_provider
        self.api = api
        self.node_name = node_name
        self.capacity = {**nodestatus.DEFAULT_CAPACITY, **{k: str(v) for k, v in (capacity or {}).items()}}
        self.labels = dict(labels or {})
        self.internal_ip = internal_ip or _default_ip(node_name)
        #: the node's machine (:class:`k8score.node.host.Host`): filesystem, journal, host network
        self.host = host if host is not None else Host(node_name, self.internal_ip, loop)
        self.runtime = runtime if runtime is not None else Containerd(loop, node_name, host=self.host)
        #: Container restart backoff per container (CrashLoopBackOff: 10 s doubling to 300 s).
        self.container_backoff = Backoff()
        #: The probe manager: a new one each time the kubelet starts (see :meth:`_new_prober`);
        #: pod workers only run while the kubelet runs, so they always find one.
        self.prober: ProbeManager = None  # type: ignore[assignment]
        #: Pods from the manifest directory (``staticPodPath``) and their mirror pods.
        self.static_pods = StaticPodSource(self)
        self.static_pods.on_change = self.static_pods_changed
        #: Node-pressure eviction (memory.available < 100Mi).
        self.eviction = EvictionManager(self)
        #: Container log rotation (containerLogMaxSize 10Mi, containerLogMaxFiles 5).
        self.log_manager = ContainerLogManager(self)
        #: The kubelet's own API (:10250): container logs and exec, reached by the API server.
        self.server = KubeletServer(node_name, self.host, self.runtime, get_pod=self._served_pod,
                                    running=lambda: self.running, now=lambda: loop.now)
        self._services: Any = None
        self._subscribed = False
        #: Image pull backoff per ``<pod uid>_<image>`` (10 s doubling to 300 s).
        self.image_backoff = Backoff()
        self.workers = PodWorkers(self)
        #: CSI node plugins on this node and the PVC volumes mounted through them.
        self.csi = CSIVolumeManager(self)
        #: Errors recovered from (a pod or Node it could not read), kept across restarts.
        self.errors = ErrorLog(loop, f"kubelet/{node_name}")
        self.registered = False
        #: When the kubelet process last started or stopped (``systemctl status kubelet`` shows it).
        self.state_since = loop.now
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
        self.state_since = self.loop.now
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
        self.static_pods.start(self.pods)   # mirror pod events arrive through our pod informer
        self._services = self.factory.informer("services")
        self._services.errors = self.errors
        self._subscribe_runtime()
        self._new_prober()
        self.recorder.event(self._node_ref(), "Normal", "Starting", "Starting kubelet.")
        self.log("I", "kubelet.go:2468", "Starting kubelet main sync loop")
        self._register()
        self.factory.start()
        self.every(NODE_STATUS_UPDATE_FREQUENCY, self._update_node_status)
        self.every(LEASE_RENEW_INTERVAL, self._renew_lease, first=0.0)
        self.every(HOUSEKEEPING_PERIOD, self._housekeeping)
        self.eviction.start()
        self.log_manager.start()
        self.csi.start()   # plugin registration: CSINode once the Node exists
        self.workers.resync_all()   # static pods and pods already known run without the API

    def on_stop(self) -> None:
        self.state_since = self.loop.now
        if self.factory is not None:
            self.factory.stop()
        self.registered = False
        self.workers.forget_scheduled()  # their timers died with the component

    def log(self, level: str, where: str, msg: str, **kv: object) -> None:
        """One klog line in the node's journal (``journalctl -u kubelet``): ``level`` I/W/E,
        ``where`` the upstream source file:line the message comes from."""
        self.host.log("kubelet", klog(level, self.loop.now, where, msg, **kv))

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
                                      f"{self.runtime.NAME}://{self.runtime.NODE_VERSION}")
        body["status"]["conditions"] = nodestatus.conditions(self.loop.now, self.network_ready(), None,
                                                             self._network_message())
        body["status"]["images"] = nodestatus.images_status(self.runtime.list_images())
        if self.cloud_provider == "external":
            # kubelet_node_status.go initialNode: externalCloudProvider -> TaintExternalCloudProvider
            body["spec"]["taints"] = [{"key": "node.cloudprovider.kubernetes.io/uninitialized",
                                       "value": "true", "effect": "NoSchedule"}]
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
        if self.eviction is not None and self.eviction.under_pressure:
            # nodestatus.go MemoryPressureCondition under a met threshold
            was = next((c for c in previous or () if c.get("type") == "MemoryPressure"), {})
            since = was.get("lastTransitionTime") if was.get("status") == "True" else rfc3339(now)
            conditions = [dict(c, status="True", reason="KubeletHasInsufficientMemory",
                               message="kubelet has insufficient memory available", lastTransitionTime=since)
                          if c["type"] == "MemoryPressure" else c for c in conditions]
        # conditions the kubelet does not set (the route controller's NetworkUnavailable) stay:
        # upstream's PatchNodeStatus is a strategic merge keyed by type
        own = {c["type"] for c in conditions}
        conditions += [c for c in (previous if isinstance(previous, list) else ())
                       if isinstance(c, dict) and c.get("type") not in own]
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

    def pod(self, key: str) -> dict | None:
        """The pod to run under ``key``: a static pod, else the API server's (never a mirror pod)."""
        static = self.static_pods.get(key)
        if static is not None:
            return static
        pod = self.pods.get(key) if self.pods is not None else None
        if pod is not None and self.is_mirror(pod):
            return None
        return pod

    def _served_pod(self, namespace: str, name: str) -> dict | None:
        """The pod the :10250 API answers for, with the status this kubelet computed last (the
        status manager's cache, as upstream's server reads it — not the API server's copy, which
        the watch delivers a moment later)."""
        key = f"{namespace}/{name}"
        api_pod = self.pods.get(key) if self.pods is not None else None
        pod = api_pod if api_pod is not None else self.pod(key)
        st = self.workers.states.get(key)
        if pod is not None and st is not None and st.last_status is not None:
            pod = {**pod, "status": st.last_status}
        return pod

    def pod_keys(self) -> list[str]:
        keys = list(self.static_pods.keys())
        if self.pods is not None:
            keys += [key_func(p) for p in self.pods.list() if not self.is_mirror(p)]
        return list(dict.fromkeys(keys))

    @staticmethod
    def is_mirror(pod: dict) -> bool:
        return "kubernetes.io/config.mirror" in ((pod.get("metadata") or {}).get("annotations") or {})

    @staticmethod
    def is_static(pod: dict) -> bool:
        return ((pod.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/config.source") == "file"

    def status_target(self, pod: dict) -> dict | None:
        """The API object whose status describes ``pod``: itself, or a static pod's mirror pod."""
        if not self.is_static(pod):
            return pod
        return self.pods.get(key_func(pod)) if self.pods is not None else None

    def static_pods_changed(self, keys: list[str]) -> None:
        """StaticPodSource's ``on_change``: sync the static pods that appeared, changed or went."""
        for key in keys:
            self.workers.update(key)

    def services(self) -> list[dict]:
        return self._services.list() if self._services is not None else []

    def get_object(self, kind: str, namespace: str, name: str) -> dict | None:
        """A ConfigMap or Secret a pod references (the node authorizer allows exactly these)."""
        try:
            return self.client.get(kind, name, namespace=namespace)
        except ApiError as err:
            if err.code == 404:
                return None
            raise

    def node_pressure_changed(self) -> None:
        """The eviction manager saw memory pressure start or end: report it now."""
        self._update_node_status(force=True)

    # -- PLEG -----------------------------------------------------------------------
    def _subscribe_runtime(self) -> None:
        """The evented PLEG: the runtime tells us when a container stops (once per runtime)."""
        if self._subscribed:
            return
        self._subscribed = True
        self.runtime.get_container_events(self._container_event)

    def _container_event(self, event: dict) -> None:
        if event.get("containerEventType") != "CONTAINER_STOPPED_EVENT":
            return
        cid = event.get("containerId", "")
        if cid in self.runtime.sandboxes:
            return   # the sandbox itself (containerd reports it like a container)
        status = self.runtime.container_status(cid) or {}
        # a stopped kubelet misses nothing: it reads the container's state when it syncs again
        self.workers.container_exited(cid, status)

    # -- probes -----------------------------------------------------------------------
    def attach_prober(self, prober: Any) -> None:
        """Wire a :class:`k8score.kubelet.prober.ProbeManager` (the kubelet does at construction)."""
        self.prober = prober
        prober.on_liveness_failure = self._liveness_failed
        prober.on_change = lambda pod_key: self.workers.update(pod_key)

    def _new_prober(self) -> None:
        """A (re)started kubelet builds a new probe manager (fresh first-run jitter, as upstream)
        and hands it the pods and containers it already runs."""
        self.attach_prober(ProbeManager(self))
        for key, st in sorted(self.workers.states.items()):
            pod = self.pod(key)
            if pod is None:
                continue
            self.prober.add_pod(pod)
            for rec in st.all_records():
                if rec.state == "running" and rec.container_id:
                    self.prober.container_started(st.uid, rec.name, rec.container_id, rec.started_at or 0.0,
                                                  pod_ip=st.pod_ip)

    def _liveness_failed(self, pod_key: str, container: str, message: str) -> None:
        """computePodActions: a container that failed liveness (or startup) is killed with the
        prober's message, then restarted per policy."""
        pod, st = self.pod(pod_key), self.workers.states.get(pod_key)
        if pod is None or st is None or st.killing:
            return
        rec = st.containers.get(container) or st.inits.get(container)
        if rec is None or rec.state != "running" or rec.killing:
            return
        spec = self.workers._spec_of(pod, rec)
        probe_grace = None
        for field in ("livenessProbe", "startupProbe"):
            probe_grace = (spec.get(field) or {}).get("terminationGracePeriodSeconds", probe_grace)
        self.workers.kill_container(pod, st, rec, spec, message, grace=probe_grace)

    def _housekeeping(self) -> None:
        """HandlePodCleanups: pods this kubelet still runs but the API no longer has
        (deleted while the kubelet was down) are stopped."""
        if self.pods is None or not self.pods.has_synced:
            return
        for key in self.workers.orphans():
            self.workers.update(key)
