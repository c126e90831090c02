"""The service controller (k8s.io/cloud-provider/controllers/service/controller.go).

A Service that *wants a load balancer* (``type: LoadBalancer`` and no ``loadBalancerClass``)
is synced through the cloud's LoadBalancer interface:

1. Event ``EnsuringLoadBalancer`` "Ensuring load balancer"; the finalizer
   ``service.kubernetes.io/load-balancer-cleanup`` is added *before* the cloud is asked, so
   the Service cannot vanish while a load balancer exists;
2. ``EnsureLoadBalancer`` with the current node set (a Warning ``UnAvailableLoadBalancer``
   "There are no available nodes for LoadBalancer" when it is empty); Event
   ``EnsuredLoadBalancer`` "Ensured load balancer";
3. ``status.loadBalancer`` is patched when it changed: ``ingress: [{ip, ipMode: VIP}]``.

A Service that no longer wants one but holds the finalizer (deleted, or its type changed) gets
``DeletingLoadBalancer`` / ``DeletedLoadBalancer``, the load balancer deleted, the finalizer
removed and its status cleared. A failure is a Warning ``SyncLoadBalancerFailed`` "Error
syncing load balancer: ..." and a retry after 5 s doubling to 300 s (minRetryDelay,
maxRetryDelay).

**The node set** is KEP-3458's stable set (``StableLoadBalancerNodeSet``, GA in 1.30, the only
behaviour since): every Node not being deleted, not labelled
``node.kubernetes.io/exclude-from-external-load-balancers`` (unless the label parses as false)
and not tainted ``ToBeDeletedByClusterAutoscaler``. Readiness does **not** count — a NotReady
node stays a backend, the cloud's health check on kube-proxy's healthz port is what stops
traffic to it. A node added or deleted, its exclusion label flipped or its providerID set puts
the node key on the queue; that sync compares each load-balanced Service's last synced set
(name -> providerID) with the new one and calls ``UpdateLoadBalancer`` where they differ —
Event ``UpdatedLoadBalancer`` "Updated load balancer with new hosts".
"""

from __future__ import annotations

import copy
from typing import Any

from ..client import Requeue
from ..client.errors import ApiError, is_not_found
from ..client.ratelimit import ItemExponentialFailureRateLimiter
from ..client.workqueue import WorkQueue
from ..controllers.base import Controller
from ..lang import Text

# k8s.io/cloud-provider/service/helpers: LoadBalancerCleanupFinalizer
LB_CLEANUP_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
# controller.go: minRetryDelay, maxRetryDelay
MIN_RETRY_DELAY = 5.0
MAX_RETRY_DELAY = 300.0
# controller.go ToBeDeletedTaint (cluster-autoscaler); well_known_labels.go LabelNodeExcludeBalancers
TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler"
LABEL_EXCLUDE_BALANCERS = "node.kubernetes.io/exclude-from-external-load-balancers"
#: the node queue's one key (upstream has a second queue; one key there too in effect)
NODES_KEY = ("nodes",)


def wants_load_balancer(svc: dict) -> bool:
    spec = svc.get("spec") or {}
    return spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") is None


def has_finalizer(svc: dict) -> bool:
    return LB_CLEANUP_FINALIZER in (svc["metadata"].get("finalizers") or ())


def needs_cleanup(svc: dict) -> bool:
    if not has_finalizer(svc):
        return False
    return svc["metadata"].get("deletionTimestamp") is not None or (svc.get("spec") or {}).get("type") != "LoadBalancer"


def needs_update(old: dict, new: dict) -> bool:
    """needsUpdate: the fields a load balancer is built from changed."""
    if not wants_load_balancer(old) and not wants_load_balancer(new):
        return False
    if wants_load_balancer(old) != wants_load_balancer(new):
        return True
    o, n = old.get("spec") or {}, new.get("spec") or {}
    fields = ("loadBalancerSourceRanges", "sessionAffinity", "sessionAffinityConfig", "loadBalancerIP",
              "externalIPs", "externalTrafficPolicy", "healthCheckNodePort")
    if any(o.get(f) != n.get(f) for f in fields):
        return True
    port = lambda p: (p.get("name"), p.get("protocol"), p.get("port"), p.get("nodePort"),  # noqa: E731
                      p.get("targetPort"), p.get("appProtocol")) if isinstance(p, dict) else p
    if [port(p) for p in o.get("ports") or ()] != [port(p) for p in n.get("ports") or ()]:
        return True
    if old["metadata"].get("annotations") != new["metadata"].get("annotations"):
        return True
    if old["metadata"].get("uid") != new["metadata"].get("uid"):
        return True
    return len(o.get("ipFamilies") or ()) != len(n.get("ipFamilies") or ())


def _included(node: dict) -> bool:
    """nodeIncludedPredicate: the exclusion label, unless it parses as false."""
    labels = node["metadata"].get("labels") or {}
    if LABEL_EXCLUDE_BALANCERS not in labels:
        return True
    return str(labels[LABEL_EXCLUDE_BALANCERS]).lower() in ("0", "f", "false")


def stable_node(node: dict) -> bool:
    """stableNodeSetPredicates: not deleted, not excluded, not tainted for autoscaler deletion."""
    if node["metadata"].get("deletionTimestamp"):
        return False
    if not _included(node):
        return False
    return not any(isinstance(t, dict) and t.get("key") == TO_BE_DELETED_TAINT
                   for t in (node.get("spec") or {}).get("taints") or ())


def _distill(nodes: list[dict]) -> dict[str, str]:
    """nodesSufficientlyEqual compares names and providerIDs only."""
    return {n["metadata"]["name"]: (n.get("spec") or {}).get("providerID", "") for n in nodes}


class ServiceController(Controller):
    name = "service"
    kind = "service-controller"
    watches = ("services", "nodes")
    writes = ("services", "services/status", "events")
    #: the cloud-provider interface methods it calls (drawn by diagrams/cloud_controllers.py)
    cloud_api = ("LoadBalancer.EnsureLoadBalancer", "LoadBalancer.UpdateLoadBalancer", "LoadBalancer.EnsureLoadBalancerDeleted")
    summary = Text("为 type=LoadBalancer 的 Service 在云上创建负载均衡器，把外部 IP 写进 status.loadBalancer，后端节点随节点增删更新",
                   "Creates a cloud load balancer for each Service of type=LoadBalancer, writes its external IP into status.loadBalancer, and updates the backend nodes as nodes come and go")
    event_component = "service-controller"

    def setup(self) -> None:
        self.queue = WorkQueue(self.loop, "service",
                               rate_limiter=ItemExponentialFailureRateLimiter(MIN_RETRY_DELAY, MAX_RETRY_DELAY))
        self.balancer, _ = self.host.cloud.load_balancer()
        self.cluster_name = self.host.cluster_name
        #: serviceCache: Services we (may) hold a load balancer for, by key
        self.cache: dict[str, dict] = {}
        #: lastSyncedNodes: per Service key, the nodes its load balancer was last given
        self.last_synced: dict[str, list[dict]] = {}
        self.services = self.informer("services")
        self.nodes = self.informer("nodes")
        self.services.add_event_handler(
            on_add=lambda s: self.enqueue(s) if wants_load_balancer(s) or needs_cleanup(s) else None,
            on_update=lambda o, n: self.enqueue(n) if needs_update(o, n) or needs_cleanup(n) else None)
        self.nodes.add_event_handler(
            on_add=lambda n: self.queue.add(NODES_KEY),
            on_update=lambda o, n: self.queue.add(NODES_KEY) if self._should_sync_node(o, n) else None,
            on_delete=lambda n: self.queue.add(NODES_KEY))

    @staticmethod
    def _should_sync_node(old: dict, new: dict) -> bool:
        """shouldSyncUpdatedNode: the exclusion predicate or the providerID changed."""
        return (_included(old) != _included(new)
                or (old.get("spec") or {}).get("providerID") != (new.get("spec") or {}).get("providerID"))

    def _node_set(self) -> list[dict]:
        return sorted((n for n in self.nodes.list() if stable_node(n)), key=lambda n: n["metadata"]["name"])

    # -- sync ------------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        if key == NODES_KEY:
            for retry in self._sync_nodes():
                self.queue.add(retry)
            return
        svc = self.services.get(key)
        if svc is None:
            cached = self.cache.get(key)
            if cached is not None:      # processServiceDeletion (a Service without the finalizer)
                self._delete_lb(cached)
                self.cache.pop(key, None)
                self.last_synced.pop(key, None)
            return
        svc = copy.deepcopy(svc)
        cached = self.cache.get(key)
        if cached is not None and cached["metadata"].get("uid") != svc["metadata"].get("uid"):
            self._delete_lb(cached)     # deleted and re-created without the finalizer
        self.cache[key] = svc
        try:
            deleted = self._sync_load_balancer(svc, key)
        except (ApiError, LookupError, RuntimeError) as err:
            self.recorder.event(svc, "Warning", "SyncLoadBalancerFailed", f"Error syncing load balancer: {err}")
            raise Requeue(str(err)) from None
        if deleted:
            self.cache.pop(key, None)
            self.last_synced.pop(key, None)

    def _sync_load_balancer(self, svc: dict, key: str) -> bool:
        """syncLoadBalancerIfNeeded; returns True when the load balancer was deleted."""
        previous = (svc.get("status") or {}).get("loadBalancer") or {}
        if not wants_load_balancer(svc) or needs_cleanup(svc):
            _, exists = self.balancer.get_load_balancer(self.cluster_name, svc)
            if exists:
                self.recorder.event(svc, "Normal", "DeletingLoadBalancer", "Deleting load balancer")
                self.balancer.ensure_load_balancer_deleted(self.cluster_name, svc)
            self._set_finalizer(svc, False)
            self.recorder.event(svc, "Normal", "DeletedLoadBalancer", "Deleted load balancer")
            self._patch_status(svc, previous, {})
            return True
        self.recorder.event(svc, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer")
        self._set_finalizer(svc, True)
        nodes = self._node_set()
        if not nodes:
            self.recorder.event(svc, "Warning", "UnAvailableLoadBalancer", "There are no available nodes for LoadBalancer")
        self.last_synced[key] = nodes
        status = self.balancer.ensure_load_balancer(self.cluster_name, svc, nodes)
        self.recorder.event(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer")
        self._patch_status(svc, previous, status)
        return False

    def _delete_lb(self, svc: dict) -> None:
        """processLoadBalancerDelete."""
        if not wants_load_balancer(svc):
            return
        self.recorder.event(svc, "Normal", "DeletingLoadBalancer", "Deleting load balancer")
        self.balancer.ensure_load_balancer_deleted(self.cluster_name, svc)
        self.recorder.event(svc, "Normal", "DeletedLoadBalancer", "Deleted load balancer")

    def _set_finalizer(self, svc: dict, present: bool) -> None:
        meta = svc["metadata"]
        finalizers = list(meta.get("finalizers") or ())
        if (LB_CLEANUP_FINALIZER in finalizers) == present:
            return
        finalizers = finalizers + [LB_CLEANUP_FINALIZER] if present else \
            [f for f in finalizers if f != LB_CLEANUP_FINALIZER]
        # Upstream patches through services/status (its status strategy keeps metadata); ours
        # resets everything but status there, so the finalizer goes through the object itself.
        updated = self.client.patch("services", meta["name"], {"metadata": {
            "finalizers": finalizers or None, "resourceVersion": meta.get("resourceVersion")}},
            namespace=meta.get("namespace"))
        meta["finalizers"] = finalizers
        meta["resourceVersion"] = updated["metadata"].get("resourceVersion")

    def _patch_status(self, svc: dict, previous: dict, new: dict) -> None:
        if (previous.get("ingress") or []) == (new.get("ingress") or []):
            return
        meta = svc["metadata"]
        try:
            self.client.patch("services", meta["name"],
                              {"status": {"loadBalancer": {"ingress": new.get("ingress") or None}}},
                              namespace=meta.get("namespace"), subresource="status")
        except ApiError as err:
            if not is_not_found(err):   # gone right after the finalizer went: nothing to patch
                raise

    # -- node sync ---------------------------------------------------------------------------
    def _sync_nodes(self) -> list[str]:
        """syncNodes: every cached Service's load balancer gets the new node set; returns retries."""
        retry = []
        for key in sorted(self.cache):
            svc = self.cache[key]
            if not wants_load_balancer(svc):
                continue
            new = self._node_set()
            old = [n for n in self.last_synced.get(key, []) if stable_node(n)]
            self.last_synced[key] = new
            if _distill(old) == _distill(new):
                continue
            if not self._update_hosts(svc, new):
                retry.append(key)
        return retry

    def _update_hosts(self, svc: dict, hosts: list[dict]) -> bool:
        """lockedUpdateLoadBalancerHosts; False when it should be retried."""
        try:
            self.balancer.update_load_balancer(self.cluster_name, svc, hosts)
        except LookupError as err:
            _, exists = self.balancer.get_load_balancer(self.cluster_name, svc)
            if not exists:
                return True
            names = [n["metadata"]["name"] for n in hosts]
            self.recorder.event(svc, "Warning", "UpdateLoadBalancerFailed",
                                f"Error updating load balancer with new hosts {names} [node names limited, "
                                f"total number of nodes: {len(hosts)}], error: {err}")
            return False
        if not hosts:
            self.recorder.event(svc, "Warning", "UnAvailableLoadBalancer", "There are no available nodes for LoadBalancer")
        else:
            self.recorder.event(svc, "Normal", "UpdatedLoadBalancer", "Updated load balancer with new hosts")
        return True

