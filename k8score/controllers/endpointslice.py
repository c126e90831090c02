"""The EndpointSlice controller (pkg/controller/endpointslice/endpointslice_controller.go).

For every Service with a selector it keeps EndpointSlices (discovery.k8s.io/v1) listing the
selected pods: each pod with an IP is one endpoint with ``conditions`` ready / serving /
terminating, its ``nodeName``, ``zone`` (its Node's ``topology.kubernetes.io/zone``) and a
``targetRef``; at most 100 endpoints per slice; ports by name, resolved per pod. Slices are
named ``<service>-<random>`` (generateName), owned by the Service (the garbage collector
deletes them with it) and labelled ``kubernetes.io/service-name: <service>`` and
``endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`` — how
kube-proxy and CoreDNS find them. What to write is :mod:`.endpointslice_reconciler`'s job.

Services without a selector get none from here (their slices come from the mirroring
controller, :mod:`.endpointslicemirroring`, or are written by hand); nor do ExternalName
Services.

>>> c = Cluster(nodes=1)                                            # doctest: +SKIP
>>> c.kubectl("get endpointslices")                                  # doctest: +SKIP
NAME               ADDRESSTYPE   PORTS   ENDPOINTS    AGE
web-7x2kq          IPv4          8080    10.244.1.5   12s
"""

from __future__ import annotations

from typing import Any

from ..client import Requeue, WorkQueue
from ..client.errors import ApiError
from ..client.meta import is_pod_ready, key_func, labels_match, split_key
from ..client.ratelimit import BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter
from ..lang import Text
from . import endpointslice_util as u
from .base import Controller
from .endpointslice_reconciler import Reconciler, ReconcileError
from .endpointslice_tracker import EndpointSliceTracker

#: endpointslice_controller.go controllerQualifiedName (the managed-by label's value)
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
#: endpointslice_controller.go endpointSliceChangeMinSyncDelay: a slice changed by someone
#: else queues its Service after 1s (batching changes to several slices)
SLICE_CHANGE_DELAY = 1.0


def service_queue(loop: Any, name: str) -> WorkQueue:
    """The serviceQueue: per-item backoff 1s..1000s ("significantly higher default backoff
    (1s vs 5ms)") and an overall 10 qps / 100 burst bucket."""
    limiter = MaxOfRateLimiter(ItemExponentialFailureRateLimiter(1.0, 1000.0), BucketRateLimiter(loop, 10, 100))
    return WorkQueue(loop, name, rate_limiter=limiter)


class EndpointSliceController(Controller):
    name = "endpointslice"
    kind = "endpointslice-controller"
    watches = ("services", "pods", "nodes", "endpointslices")
    writes = ("endpointslices",)
    summary = Text("为每个带选择器的 Service 维护 EndpointSlice：每片最多 100 个端点，记录 ready/serving/terminating 条件",
                   "Keeps the EndpointSlices of each Service with a selector: at most 100 endpoints per slice, with ready/serving/terminating conditions")
    event_component = "endpoint-slice-controller"

    def setup(self) -> None:
        self.queue = service_queue(self.loop, self.name)
        self.tracker = EndpointSliceTracker()
        self.svc_informer = self.informer("services")
        self.pod_informer = self.informer("pods")
        self.node_informer = self.informer("nodes")
        self.slice_informer = self.informer("endpointslices")
        self.reconciler = Reconciler(self.client, self.node_informer.get, CONTROLLER_NAME, self.tracker)
        self.svc_informer.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new),
                                            on_delete=self.enqueue)
        self.pod_informer.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                                            on_delete=self._pod_added)
        self.slice_informer.add_event_handler(on_add=self._slice_added, on_update=self._slice_updated,
                                              on_delete=self._slice_deleted)

    # -- pods -> Services (util.GetPodServiceMemberships / GetServicesToUpdateOnPodChange) ---------
    def _services_for(self, namespace: str | None, labels: dict | None) -> list[str]:
        # a nil selector selects nothing ("selectors match nothing, not everything")
        return [key_func(s) for s in self.svc_informer.list(namespace)
                if (s.get("spec") or {}).get("selector") and labels_match(s["spec"]["selector"], labels)]

    def _pod_added(self, pod: dict) -> None:
        meta = pod.get("metadata") or {}
        for key in self._services_for(meta.get("namespace"), meta.get("labels")):
            self.queue.add(key)

    def _pod_updated(self, old: dict, cur: dict) -> None:
        om, cm = old.get("metadata") or {}, cur.get("metadata") or {}
        if om.get("resourceVersion") == cm.get("resourceVersion"):
            return   # a resync: the Service informer resyncs the Services themselves
        ospec, cspec = old.get("spec") or {}, cur.get("spec") or {}
        labels_changed = om.get("labels") != cm.get("labels") or \
            (ospec.get("hostname"), ospec.get("subdomain")) != (cspec.get("hostname"), cspec.get("subdomain"))
        old_ips = [p.get("ip") for p in (old.get("status") or {}).get("podIPs") or ()]
        cur_ips = [p.get("ip") for p in (cur.get("status") or {}).get("podIPs") or ()]
        pod_changed = (om.get("deletionTimestamp") != cm.get("deletionTimestamp")
                       or is_pod_ready(old) != is_pod_ready(cur) or old_ips != cur_ips)
        if not pod_changed and not labels_changed:
            return
        keys = self._services_for(cm.get("namespace"), cm.get("labels"))
        if labels_changed:
            before = self._services_for(om.get("namespace"), om.get("labels"))
            if pod_changed:   # every Service of either label set
                keys = list(dict.fromkeys(keys + before))
            else:             # only the Services the pod joined or left
                keys = [k for k in keys if k not in before] + [k for k in before if k not in keys]
        for key in keys:
            self.queue.add(key)

    # -- slices -> their Service --------------------------------------------------------------
    def _mine(self, slice_: dict) -> bool:
        return ((slice_.get("metadata") or {}).get("labels") or {}).get(u.LABEL_MANAGED_BY) == CONTROLLER_NAME

    def _queue_for_slice(self, slice_: dict) -> None:
        meta = slice_.get("metadata") or {}
        service = (meta.get("labels") or {}).get(u.LABEL_SERVICE_NAME)
        if service:   # ServiceControllerKey: "EndpointSlice missing kubernetes.io/service-name label"
            self.queue.add_after(f"{meta.get('namespace')}/{service}", SLICE_CHANGE_DELAY)

    def _slice_added(self, slice_: dict) -> None:
        if self._mine(slice_) and self.tracker.should_sync(slice_):
            self._queue_for_slice(slice_)

    def _slice_updated(self, old: dict, cur: dict) -> None:
        old_svc = ((old.get("metadata") or {}).get("labels") or {}).get(u.LABEL_SERVICE_NAME)
        cur_svc = ((cur.get("metadata") or {}).get("labels") or {}).get(u.LABEL_SERVICE_NAME)
        if old_svc != cur_svc:   # someone relabelled it: both Services need a look
            self._queue_for_slice(cur)
            self._queue_for_slice(old)
            return
        if self._mine(old) != self._mine(cur) or (self._mine(cur) and self.tracker.should_sync(cur)):
            self._queue_for_slice(cur)

    def _slice_deleted(self, slice_: dict) -> None:
        if self._mine(slice_) and self.tracker.has(slice_) and not self.tracker.handle_deletion(slice_):
            self._queue_for_slice(slice_)   # not our deletion: put it back

    # -- the sync -------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        ns, name = split_key(key)
        svc = self.svc_informer.get(key)
        if svc is None:
            self.tracker.delete_service(ns, name)
            return   # the garbage collector deletes the slices the Service owned
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName" or not spec.get("selector"):
            return
        pods = [p for p in self.pod_informer.list(ns)
                if labels_match(spec["selector"], (p.get("metadata") or {}).get("labels"))]
        slices = [s for s in self.slice_informer.list(ns)
                  if (s["metadata"].get("labels") or {}).get(u.LABEL_SERVICE_NAME) == name and self._mine(s)
                  and not s["metadata"].get("deletionTimestamp")]
        if self.tracker.stale(ns, name, slices):
            raise Requeue("EndpointSlice informer cache is out of date")
        try:
            self.reconciler.reconcile(svc, pods, slices)
        except (ReconcileError, ApiError) as err:
            self.recorder.event(svc, "Warning", "FailedToUpdateEndpointSlices",
                                f"Error updating Endpoint Slices for Service {ns}/{name}: {err}")
            raise Requeue(str(err)) from err
