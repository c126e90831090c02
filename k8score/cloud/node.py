"""The cloud node and cloud node lifecycle controllers (k8s.io/cloud-provider/controllers/node,
controllers/nodelifecycle).

**cloud-node** initialises a Node a kubelet registered with ``--cloud-provider=external`` —
one carrying the taint ``node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule``.
Each added or updated Node is a key on its queue; ``syncNode`` asks InstancesV2 for the
machine's metadata and, in one update, sets ``spec.providerID``, the labels
``node.kubernetes.io/instance-type`` and ``beta.kubernetes.io/instance-type``,
``topology.kubernetes.io/zone|region`` and the deprecated
``failure-domain.beta.kubernetes.io/zone|region`` (upstream still sets both), and removes the
taint; then the cloud's addresses go into ``status.addresses`` when they differ, and the
Event ``Synced`` "Node synced successfully" is recorded. A machine the cloud does not know is
an error: the key is retried with the controller rate limiter and the taint stays. For an
initialised Node a sync only reconciles the GA labels with the beta ones. Every
``--node-status-update-frequency`` (5 min) initialised nodes' addresses are refreshed.

**cloud-node-lifecycle** runs ``MonitorNodes`` every ``--node-monitor-period`` (5 s): a Ready
node loses the ``node.cloudprovider.kubernetes.io/shutdown`` taint; any other node (NotReady
or Unknown) whose machine no longer exists is deleted — Event ``DeletingNode`` "Deleting node
X because it does not exist in the cloud provider" — and one whose machine is powered off gets
``node.cloudprovider.kubernetes.io/shutdown:NoSchedule``. An uninitialised node without a
providerID is left alone for its first minute (``uninitializedNodeDelay``).
"""

from __future__ import annotations

from typing import Any

from ..apiserver.jsonutil import copy_json
from ..client import Requeue
from ..client.errors import ApiError
from ..controllers.base import Controller
from ..lang import Text
from ..sim.clock import parse
from .provider import InstanceNotFound

# k8s.io/cloud-provider/api/well_known_taints.go
TAINT_EXTERNAL_CLOUD_PROVIDER = "node.cloudprovider.kubernetes.io/uninitialized"
TAINT_NODE_SHUTDOWN = "node.cloudprovider.kubernetes.io/shutdown"
#: the taint the kubelet registers with under --cloud-provider=external (kubelet_node_status.go)
UNINITIALIZED_TAINT = {"key": TAINT_EXTERNAL_CLOUD_PROVIDER, "value": "true", "effect": "NoSchedule"}
SHUTDOWN_TAINT = {"key": TAINT_NODE_SHUTDOWN, "effect": "NoSchedule"}
# k8s.io/api/core/v1/well_known_labels.go
LABEL_INSTANCE_TYPE = "beta.kubernetes.io/instance-type"
LABEL_INSTANCE_TYPE_STABLE = "node.kubernetes.io/instance-type"
LABEL_ZONE_BETA = "failure-domain.beta.kubernetes.io/zone"
LABEL_REGION_BETA = "failure-domain.beta.kubernetes.io/region"
LABEL_ZONE = "topology.kubernetes.io/zone"
LABEL_REGION = "topology.kubernetes.io/region"
# node_controller.go labelReconcileInfo: (primary, secondary) — the beta label is the truth
_LABEL_RECONCILE = ((LABEL_ZONE_BETA, LABEL_ZONE), (LABEL_REGION_BETA, LABEL_REGION),
                    (LABEL_INSTANCE_TYPE, LABEL_INSTANCE_TYPE_STABLE))
# cloud-provider config defaults: --node-status-update-frequency=5m, --node-monitor-period=5s
NODE_STATUS_UPDATE_FREQUENCY = 300.0
NODE_MONITOR_PERIOD = 5.0
# node_lifecycle_controller.go uninitializedNodeDelay
UNINITIALIZED_NODE_DELAY = 60.0
_MONITOR_KEY = "monitor"
_STATUS_KEY = ("update-node-status",)


def has_cloud_taint(node: dict) -> bool:
    return any(isinstance(t, dict) and t.get("key") == TAINT_EXTERNAL_CLOUD_PROVIDER
               for t in (node.get("spec") or {}).get("taints") or ())


def _ready_status(node: dict) -> str:
    for c in (node.get("status") or {}).get("conditions") or ():
        if isinstance(c, dict) and c.get("type") == "Ready":
            return str(c.get("status"))
    return "Unknown"


def _addresses_changed(old: list, new: list) -> bool:
    """nodeAddressesChangeDetected: by type -> address, and the count."""
    if len(old) != len(new):
        return True
    by_type = {a.get("type"): a.get("address") for a in old if isinstance(a, dict)}
    return any(by_type.get(a["type"]) != a["address"] for a in new)


class CloudNodeController(Controller):
    name = "cloud-node"
    kind = "cloud-node-controller"
    watches = ("nodes",)
    writes = ("nodes", "nodes/status", "events")
    #: the cloud-provider interface methods it calls (drawn by diagrams/cloud_controllers.py)
    cloud_api = ("InstancesV2.InstanceMetadata",)
    summary = Text("初始化新节点：从云平台查出 providerID、实例类型、可用区/地域和地址写进 Node，再去掉 uninitialized 污点",
                   "Initializes new nodes: looks up the providerID, instance type, zone/region and addresses in the cloud, writes them into the Node, then removes the uninitialized taint")
    event_component = "cloud-node-controller"

    def setup(self) -> None:
        self.cloud = self.host.cloud
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new))
        self.host.every(NODE_STATUS_UPDATE_FREQUENCY, lambda: self.queue.add(_STATUS_KEY))

    def sync(self, key: Any) -> None:
        if key == _STATUS_KEY:
            self._update_node_status()
            return
        node = self.nodes.get(key)
        if node is None:
            return
        if not has_cloud_taint(node):
            self._reconcile_labels(node)
            return
        instances, _ = self.cloud.instances_v2()
        try:
            meta = instances.instance_metadata(node)
        except InstanceNotFound as err:
            # syncHandler error, the key is requeued rate-limited (HandleError logs it)
            msg = f"error syncing '{key}': failed to get instance metadata for node {key}: {err}, requeuing"
            self.errors.error(msg)
            raise Requeue(msg) from None
        new = copy_json(node)   # the informer's object is shared: a private copy (marshal: C speed)
        spec = new.setdefault("spec", {})
        if not spec.get("providerID"):
            spec["providerID"] = meta["providerID"]
        labels = new["metadata"].setdefault("labels", {})
        labels[LABEL_INSTANCE_TYPE] = labels[LABEL_INSTANCE_TYPE_STABLE] = meta["instanceType"]
        labels[LABEL_ZONE_BETA] = labels[LABEL_ZONE] = meta["zone"]
        labels[LABEL_REGION_BETA] = labels[LABEL_REGION] = meta["region"]
        spec["taints"] = [t for t in spec.get("taints") or () if t.get("key") != TAINT_EXTERNAL_CLOUD_PROVIDER]
        if not spec["taints"]:
            del spec["taints"]
        updated = self.client.update("nodes", new)   # a conflict retries the key from the cache
        self._update_address(updated, meta["nodeAddresses"])
        self.recorder.event(node, "Normal", "Synced", "Node synced successfully")

    def _update_address(self, node: dict, addresses: list[dict]) -> None:
        if not addresses or has_cloud_taint(node):
            return
        addresses = list(addresses)
        if not any(a["type"] == "Hostname" for a in addresses):
            addresses += [a for a in (node.get("status") or {}).get("addresses") or () if a.get("type") == "Hostname"]
        if not _addresses_changed((node.get("status") or {}).get("addresses") or [], addresses):
            return
        try:
            self.client.patch("nodes", node["metadata"]["name"], {"status": {"addresses": addresses}},
                              subresource="status")
        except ApiError as err:
            self.errors.handle(f"Error patching node with cloud ip addresses = [{node['metadata']['name']}]", err)

    def _reconcile_labels(self, node: dict) -> None:
        labels = node["metadata"].get("labels") or {}
        todo = {second: labels[first] for first, second in _LABEL_RECONCILE
                if first in labels and labels.get(second) != labels[first]}
        if todo:
            self.client.patch("nodes", node["metadata"]["name"], {"metadata": {"labels": todo}})

    def _update_node_status(self) -> None:
        instances, _ = self.cloud.instances_v2()
        for node in sorted(self.nodes.list(), key=lambda n: n["metadata"]["name"]):
            if has_cloud_taint(node):
                continue
            try:
                meta = instances.instance_metadata(node)
            except InstanceNotFound as err:
                self.errors.handle("Error getting instance metadata for node addresses", err)
                continue
            self._update_address(node, meta["nodeAddresses"])


class CloudNodeLifecycleController(Controller):
    name = "cloud-node-lifecycle"
    kind = "cloud-node-lifecycle-controller"
    watches = ("nodes",)
    writes = ("nodes", "events")
    #: the cloud-provider interface methods it calls (drawn by diagrams/cloud_controllers.py)
    cloud_api = ("InstancesV2.InstanceExists", "InstancesV2.InstanceShutdown")
    summary = Text("每 5 秒检查未就绪的节点：云上虚拟机已删除就删掉 Node 对象，已关机就打上 shutdown 污点",
                   "Every 5 s checks the nodes that are not Ready: deletes the Node object when its VM is gone from the cloud, adds the shutdown taint when the VM is shut down")
    event_component = "cloud-node-lifecycle-controller"

    def setup(self) -> None:
        self.cloud = self.host.cloud
        self.nodes = self.informer("nodes")
        # wait.UntilWithContext: the first pass at once, then every nodeMonitorPeriod
        self.host.every(NODE_MONITOR_PERIOD, lambda: self.queue.add(_MONITOR_KEY), first=0.0)

    def sync(self, key: Any) -> None:
        instances, _ = self.cloud.instances_v2()
        now = self.loop.now
        for node in sorted(self.nodes.list(), key=lambda n: n["metadata"]["name"]):
            try:
                self._monitor(node, instances, now)
            except ApiError as err:
                self.errors.handle(f"error patching node {node['metadata']['name']}", err)

    def _monitor(self, node: dict, instances: Any, now: float) -> None:
        name = node["metadata"]["name"]
        if _ready_status(node) == "True":
            self._set_shutdown_taint(node, False)
            return
        if not (node.get("spec") or {}).get("providerID") and has_cloud_taint(node):
            created = node["metadata"].get("creationTimestamp")
            if created and now - parse(created) < UNINITIALIZED_NODE_DELAY:
                return      # "wait uninitialized node"
        if not instances.instance_exists(node):
            ref = {"kind": "Node", "metadata": {"name": name, "uid": node["metadata"].get("uid", "")}}
            self.recorder.event(ref, "Normal", "DeletingNode",
                                f"Deleting node {name} because it does not exist in the cloud provider")
            try:
                self.client.delete("nodes", name)
            except ApiError as err:
                self.recorder.event(ref, "Warning", "DeletingNodeFailed", f"Failed deleting node {name}: {err}")
            return
        try:
            shutdown = instances.instance_shutdown(node)
        except InstanceNotFound:
            return
        if shutdown:
            self._set_shutdown_taint(node, True)

    def _set_shutdown_taint(self, node: dict, present: bool) -> None:
        taints = list((node.get("spec") or {}).get("taints") or ())
        has = any(t.get("key") == TAINT_NODE_SHUTDOWN and t.get("effect") == "NoSchedule" for t in taints)
        if has == present:
            return
        if present:
            taints.append(dict(SHUTDOWN_TAINT))
        else:
            taints = [t for t in taints if not (t.get("key") == TAINT_NODE_SHUTDOWN and t.get("effect") == "NoSchedule")]
        new = copy_json(node)   # the informer's object is shared: a private copy (marshal: C speed)
        new.setdefault("spec", {})["taints"] = taints
        self.client.update("nodes", new)
