"""Test helpers for the storage tests: a small control plane (API server, the storage
controllers of kube-controller-manager, kube-scheduler) over Node objects without kubelets,
and a fake external provisioner doing what external-provisioner does (the CSI helper's real
one lives in k8score/csi).
"""

from __future__ import annotations

from apihelpers import default_service_accounts, ready_nodes

from k8score.api import storagehelpers as h
from k8score.apiserver import APIServer
from k8score.controllers import KubeControllerManager
from k8score.etcd import Store
from k8score.scheduler import Scheduler
from k8score.sim import Loop
from k8score.storage_addon import install_storage_addon

STORAGE_CONTROLLERS = ("persistentvolume-binder", "pvc-protection", "pv-protection")


def node(name, zone=None):
    labels = {"kubernetes.io/hostname": name}
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
    alloc = {"cpu": "4", "memory": "8Gi", "pods": "110"}
    return {"metadata": {"name": name, "labels": labels},
            "status": {"capacity": alloc, "allocatable": alloc,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


class StorageCluster:
    def __init__(self, nodes=("node-1",), zones=None, scheduler=True, default_class=True, seed=0,
                 controllers=STORAGE_CONTROLLERS):
        self.loop = Loop(seed)
        self.api = APIServer(self.loop, Store())
        self.api.start()
        default_service_accounts(self.api)
        for i, n in enumerate(nodes):
            self.api.create("nodes", node(n, (zones or {}).get(n)))
        ready_nodes(self.api, nodes)
        if default_class:
            install_storage_addon(self.api)
        self.kcm = KubeControllerManager(self.loop, self.api, controllers=list(controllers))
        self.kcm.start()
        self.scheduler = Scheduler(self.loop, self.api) if scheduler else None
        if self.scheduler:
            self.scheduler.start()
        self.run(1)

    def run(self, seconds):
        self.loop.run(until=self.loop.now + seconds)

    def create(self, resource, body, namespace="default"):
        ns = None if resource in ("persistentvolumes", "storageclasses", "nodes", "csinodes") else namespace
        return self.api.create(resource, body, ns)

    def get(self, resource, name, namespace="default"):
        ns = None if resource in ("persistentvolumes", "storageclasses", "nodes", "csinodes") else namespace
        return self.api.get(resource, name, ns)

    def events(self, reason=None, name=None):
        evs = sorted(self.api.list("events")["items"], key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [e for e in evs if (reason is None or e["reason"] == reason)
                and (name is None or e["involvedObject"]["name"] == name)]


def pv(name, size="1Gi", modes=("ReadWriteOnce",), cls="", labels=None, policy=None, node_affinity=None):
    spec = {"capacity": {"storage": size}, "accessModes": list(modes), "hostPath": {"path": f"/mnt/{name}"}}
    if cls is not None:
        spec["storageClassName"] = cls
    if policy:
        spec["persistentVolumeReclaimPolicy"] = policy
    if node_affinity:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node_affinity]}]}]}}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": labels or {}},
            "spec": spec}


def pvc(name, size="1Gi", modes=("ReadWriteOnce",), cls="", selector=None):
    spec = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}}
    if cls is not None:
        spec["storageClassName"] = cls
    if selector:
        spec["selector"] = {"matchLabels": selector}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def pod(name, *claims):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}],
                     "volumes": [{"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}}
                                 for i, c in enumerate(claims)]}}


class FakeProvisioner:
    """external-provisioner's contract, polled each second: a claim annotated
    ``volume.kubernetes.io/storage-provisioner: <name>`` (and, for WaitForFirstConsumer,
    ``selected-node``) gets a PV pre-bound to it; a Released PV it provisioned with reclaim
    policy Delete is deleted."""

    def __init__(self, c, name="disk.csi.k8score.io", delay=2.0):
        self.c, self.name, self.delay = c, name, delay
        self.created = []
        c.loop.every(1.0, self._tick)

    def _tick(self):
        api = self.c.api
        for claim in api.list("persistentvolumeclaims")["items"]:
            ann = h.annotations(claim)
            if ann.get(h.ANN_STORAGE_PROVISIONER) != self.name or claim["spec"].get("volumeName"):
                continue
            name = f"pvc-{claim['metadata']['uid']}"
            if name in self.created:
                continue
            sc = api.get("storageclasses", h.claim_class(claim))
            if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and h.ANN_SELECTED_NODE not in ann:
                continue
            self.created.append(name)
            spec = {"capacity": {"storage": claim["spec"]["resources"]["requests"]["storage"]},
                    "accessModes": claim["spec"]["accessModes"], "storageClassName": h.claim_class(claim),
                    "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                    "csi": {"driver": self.name, "volumeHandle": name},
                    "claimRef": h.claim_ref(claim)}
            if h.ANN_SELECTED_NODE in ann:
                spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "kubernetes.io/hostname", "operator": "In", "values": [ann[h.ANN_SELECTED_NODE]]}]}]}}
            self.c.loop.call_later(self.delay, lambda spec=spec, name=name: api.create("persistentvolumes", {
                "metadata": {"name": name, "annotations": {h.ANN_DYNAMICALLY_PROVISIONED: self.name}},
                "spec": spec}))
        for vol in api.list("persistentvolumes")["items"]:
            if (h.annotations(vol).get(h.ANN_DYNAMICALLY_PROVISIONED) == self.name
                    and vol["status"].get("phase") == "Released"
                    and vol["spec"].get("persistentVolumeReclaimPolicy") == "Delete"
                    and not vol["metadata"].get("deletionTimestamp")):
                api.delete("persistentvolumes", vol["metadata"]["name"])
