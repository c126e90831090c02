"""external-provisioner for ``disk.csi.k8score.io`` (kubernetes-csi/external-provisioner
pkg/controller/controller.go over sig-storage-lib-external-provisioner controller/controller.go).

Provisioning: a PVC whose ``volume.kubernetes.io/storage-provisioner`` (or the beta)
annotation names this driver, with no ``spec.volumeName``, of a StorageClass whose
provisioner is the driver — and, for ``WaitForFirstConsumer`` classes, once the scheduler set
``volume.kubernetes.io/selected-node`` — gets a disk (``CreateVolume`` named ``pvc-<uid>``,
the requested size, the class parameters, the selected node's zone as topology requirement)
and a PersistentVolume ``pvc-<uid>`` pre-bound to it (``claimRef`` with the claim's uid),
``pv.kubernetes.io/provisioned-by``, the class's reclaim policy, node affinity on the disk's
zone. Events on the claim: ``Provisioning`` then ``ProvisioningSucceeded`` or, Warning,
``ProvisioningFailed`` (retried 1 s doubling to 5 min: ``--retry-interval-start/max``).

Deletion: a PV it provisioned that is ``Released`` with reclaim policy ``Delete`` has its disk
deleted (``DeleteVolume``), its finalizer ``external-provisioner.volume.kubernetes.io/finalizer``
removed and is deleted. A disk still attached fails with Warning ``VolumeFailedDelete``.
"""

from __future__ import annotations

from typing import Any, Hashable

from ..api.quantity import BINARY_SI, Quantity, parse_quantity
from ..client.errors import ApiError, is_not_found
from ..client.worker import Requeue
from ..controllers.base import Controller
from ..lang import Text
from .driver import DRIVER_NAME, TOPOLOGY_KEY, CSIError

ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
# external-provisioner controller.go: the finalizer on PVs it provisions (HonorPVReclaimPolicy)
PV_FINALIZER = "external-provisioner.volume.kubernetes.io/finalizer"
# --retry-interval-start 1s, --retry-interval-max 5m
RETRY_START, RETRY_MAX = 1.0, 300.0
# external-provisioner --default-fstype is empty; the driver formats ext4
FS_TYPE = "ext4"


def _ann(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def wants_provisioning(pvc: dict, driver: str = DRIVER_NAME) -> bool:
    """shouldProvision, the claim's side: unbound, addressed to ``driver``, not being deleted."""
    ann = _ann(pvc)
    named = ann.get(ANN_STORAGE_PROVISIONER) or ann.get(ANN_BETA_STORAGE_PROVISIONER)
    return (named == driver and not (pvc.get("spec") or {}).get("volumeName")
            and not pvc["metadata"].get("deletionTimestamp"))


def pv_name(pvc: dict) -> str:
    """``--volume-name-prefix pvc`` + the claim's uid."""
    return f"pvc-{pvc['metadata'].get('uid', '')}"


def build_pv(pvc: dict, sc: dict, volume: dict) -> dict:
    """The PersistentVolume for a created volume (controller.go Provision)."""
    meta, spec = pvc["metadata"], pvc.get("spec") or {}
    zone_terms = [{"matchExpressions": [{"key": k, "operator": "In", "values": [v]}]}
                  for topo in volume.get("accessible_topology") or () for k, v in sorted(topo["segments"].items())]
    pv_spec: dict[str, Any] = {
        "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
        "capacity": {"storage": Quantity(int(volume["capacity_bytes"]), BINARY_SI).canonical()},
        "claimRef": {"kind": "PersistentVolumeClaim", "namespace": meta["namespace"], "name": meta["name"],
                     "uid": meta.get("uid"), "apiVersion": "v1", "resourceVersion": meta.get("resourceVersion")},
        "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
        "storageClassName": sc["metadata"]["name"],
        "volumeMode": spec.get("volumeMode") or "Filesystem",
        "csi": {"driver": DRIVER_NAME, "volumeHandle": volume["volume_id"], "fsType": FS_TYPE,
                "volumeAttributes": dict(volume.get("volume_context") or {})},
    }
    if sc.get("mountOptions"):
        pv_spec["mountOptions"] = list(sc["mountOptions"])
    if zone_terms:
        pv_spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": zone_terms}}
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": pv_name(pvc), "annotations": {ANN_DYNAMICALLY_PROVISIONED: DRIVER_NAME},
                         "finalizers": [PV_FINALIZER]},
            "spec": pv_spec}


class ProvisionController(Controller):
    name = "external-provisioner"
    kind = "csi-provisioner"
    watches = ("persistentvolumeclaims", "persistentvolumes", "storageclasses", "nodes")
    writes = ("persistentvolumes", "events")
    summary = Text("为指向本驱动的 PVC 创建云盘和 PV，并在 PV 被释放后删除云盘",
                   "Creates a cloud disk and a PV for each PVC that names this driver, and deletes the disk once the PV is released")
    event_component = f"{DRIVER_NAME}_csi-controller"

    def setup(self) -> None:
        self.csi = self.host.csi
        self._fails: dict[Hashable, int] = {}
        self.claims = self.informer("persistentvolumeclaims")
        self.claims.add_event_handler(on_add=self._claim, on_update=lambda o, n: self._claim(n))
        self.volumes = self.informer("persistentvolumes")
        self.volumes.add_event_handler(on_add=self._volume, on_update=lambda o, n: self._volume(n))
        self.classes = self.informer("storageclasses")
        self.nodes = self.informer("nodes")

    def _claim(self, pvc: dict) -> None:
        if wants_provisioning(pvc):
            self.queue.add(("claim", f"{pvc['metadata']['namespace']}/{pvc['metadata']['name']}"))

    def _volume(self, pv: dict) -> None:
        if _ann(pv).get(ANN_DYNAMICALLY_PROVISIONED) == DRIVER_NAME:
            self.queue.add(("volume", pv["metadata"]["name"]))

    def sync(self, key: Any) -> None:
        kind, name = key
        try:
            if kind == "claim":
                self._provision(name)
            else:
                self._delete(name)
        except (CSIError, _Failed):
            n = self._fails.get(key, 0)
            self._fails[key] = n + 1
            raise Requeue("provisioning failed", after=min(RETRY_START * 2 ** n, RETRY_MAX)) from None
        self._fails.pop(key, None)

    # -- provisioning -------------------------------------------------------------------
    def _provision(self, key: str) -> None:
        pvc = self.claims.get(key)
        if pvc is None or not wants_provisioning(pvc):
            return
        cls_name = (pvc.get("spec") or {}).get("storageClassName") or ""
        sc = self.classes.get(cls_name)
        if sc is None:
            self._failed(pvc, cls_name, f'storageclass.storage.k8s.io "{cls_name}" not found')
        if sc.get("provisioner") != DRIVER_NAME:
            return
        selected = _ann(pvc).get(ANN_SELECTED_NODE)
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and not selected:
            return   # the scheduler picks the node first
        if self.volumes.get(pv_name(pvc)) is not None:
            return   # provisioned already; the binder completes the binding
        self.recorder.event(pvc, "Normal", "Provisioning",
                            f'External provisioner is provisioning volume for claim "{key}"')
        requirements = self._topology(pvc, sc, selected)
        request = ((pvc.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")
        try:
            size = int(parse_quantity(str(request)).value) if request is not None else 0
            resp = self.csi.CreateVolume({"name": pv_name(pvc), "capacity_range": {"required_bytes": size},
                                          "parameters": dict(sc.get("parameters") or {}),
                                          "accessibility_requirements": requirements})
        except (CSIError, ValueError) as err:
            self._failed(pvc, cls_name, str(err))
        pv = build_pv(pvc, sc, resp["volume"])
        try:
            self.client.create("persistentvolumes", pv)
        except ApiError as err:
            if err.reason != "AlreadyExists":
                raise
        self.recorder.event(pvc, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name(pvc)}")

    def _topology(self, pvc: dict, sc: dict, selected: str | None) -> dict:
        """GenerateAccessibilityRequirements: the selected node's zone first, else any zone the
        class allows (``allowedTopologies``)."""
        if selected:
            node = self.nodes.get(selected)
            zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(TOPOLOGY_KEY)
            if zone is None:
                self._failed(pvc, sc["metadata"]["name"],
                             f'error generating accessibility requirements: no topology key found on '
                             f'CSINode {selected}' if node is not None else
                             f'error generating accessibility requirements: node "{selected}" not found')
            seg = {"segments": {TOPOLOGY_KEY: zone}}
            return {"requisite": [seg], "preferred": [seg]}
        allowed = [{"segments": {e["key"]: v}} for t in sc.get("allowedTopologies") or ()
                   for e in t.get("matchLabelExpressions") or () if e.get("key") == TOPOLOGY_KEY
                   for v in e.get("values") or ()]
        return {"requisite": allowed, "preferred": allowed} if allowed else {}

    def _failed(self, pvc: dict, cls_name: str, err: str) -> None:
        self.recorder.event(pvc, "Warning", "ProvisioningFailed",
                            f'failed to provision volume with StorageClass "{cls_name}": {err}')
        raise _Failed(err)

    # -- deletion -------------------------------------------------------------------------
    def _delete(self, name: str) -> None:
        pv = self.volumes.get(name)
        if pv is None or _ann(pv).get(ANN_DYNAMICALLY_PROVISIONED) != DRIVER_NAME:
            return
        spec, phase = pv.get("spec") or {}, (pv.get("status") or {}).get("phase")
        deleting = bool(pv["metadata"].get("deletionTimestamp"))
        if spec.get("persistentVolumeReclaimPolicy", "Delete") != "Delete":
            if deleting:
                self._drop_finalizer(pv)   # Retain: the disk stays, the object may go
            return
        if phase != "Released" and not (deleting and phase != "Bound"):
            return
        handle = (spec.get("csi") or {}).get("volumeHandle")
        if handle:
            try:
                self.csi.DeleteVolume({"volume_id": handle})
            except CSIError as err:
                self.recorder.event(pv, "Warning", "VolumeFailedDelete", str(err))
                raise
        pv = self._drop_finalizer(pv)
        if pv is not None and not deleting:
            try:
                self.client.delete("persistentvolumes", name)
            except ApiError as err:
                if not is_not_found(err):
                    raise

    def _drop_finalizer(self, pv: dict) -> dict | None:
        fins = list(pv["metadata"].get("finalizers") or ())
        if PV_FINALIZER not in fins:
            return pv
        fins.remove(PV_FINALIZER)
        try:
            return self.client.patch("persistentvolumes", pv["metadata"]["name"],
                                     {"metadata": {"finalizers": fins,
                                                   "resourceVersion": pv["metadata"].get("resourceVersion")}})
        except ApiError as err:
            if is_not_found(err):
                return None
            raise


class _Failed(Exception):
    """A provisioning attempt failed (its event is recorded): retry with backoff."""


__all__ = ["ProvisionController", "build_pv", "wants_provisioning", "pv_name", "ANN_STORAGE_PROVISIONER",
           "ANN_SELECTED_NODE", "ANN_DYNAMICALLY_PROVISIONED", "PV_FINALIZER"]
