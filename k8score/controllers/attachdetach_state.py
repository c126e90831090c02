"""The attach/detach controller's pure parts (pkg/controller/volume/attachdetach/cache,
pkg/volume/csi/csi_attacher.go, pkg/volume/util/types): names, which volumes a pod needs
attached, and the desired/actual state of the world.

>>> attachment_name("vol-1", "disk.csi.k8score.io", "node-1")[:4]
'csi-'
>>> unique_volume_name("disk.csi.k8score.io", "vol-1")
'kubernetes.io/csi/disk.csi.k8score.io^vol-1'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

#: pkg/volume/util/volumehelper: the node annotation a kubelet sets when the controller
#: attaches and detaches for it (kubelet --enable-controller-attach-detach, the default)
ANN_CONTROLLER_MANAGED = "volumes.kubernetes.io/controller-managed-attach-detach"
#: pkg/apis/core/v1/helper: the taint that allows a forced detach at once (non-graceful shutdown)
TAINT_OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"


def attachment_name(handle: str, driver: str, node: str) -> str:
    """csi_attacher.go getAttachmentName: ``csi-`` + sha256(volumeHandle + driver + node)."""
    return "csi-" + hashlib.sha256(f"{handle}{driver}{node}".encode()).hexdigest()


def unique_volume_name(driver: str, handle: str) -> str:
    """csi_plugin.go GetVolumeName + util.GetUniqueVolumeName: ``kubernetes.io/csi/<driver>^<handle>``."""
    return f"kubernetes.io/csi/{driver}^{handle}"


def is_pod_terminated(pod: dict) -> bool:
    """volumeutil.IsPodTerminated: Succeeded/Failed, or being deleted with no container running."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return True
    if not (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return not any("running" in (cs.get("state") or {})
                   for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")
                   for cs in status.get(key) or ())


@dataclass(frozen=True)
class VolumeSpec:
    """A volume to attach: ``name`` is the unique volume name; ``pv`` what messages call it."""
    name: str
    pv: str
    driver: str
    handle: str
    multi_attach: bool = False      # ReadWriteMany / ReadOnlyMany


def pod_volumes(pod: dict, get_pvc: Callable[[str, str], dict | None], get_pv: Callable[[str], dict | None],
                attach_required: Callable[[str], bool]) -> list[VolumeSpec]:
    """The attachable CSI volumes ``pod`` uses through bound PVCs (desired_state_of_world_populator
    ``processPodVolumes`` + ``CreateVolumeSpec``). Unbound claims are skipped: the pod cannot run
    yet and the populator retries when the claim binds."""
    ns = pod["metadata"].get("namespace", "default")
    out = []
    for vol in (pod.get("spec") or {}).get("volumes") or ():
        claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
        if not claim:
            continue
        pvc = get_pvc(ns, claim)
        pv_name = ((pvc or {}).get("spec") or {}).get("volumeName")
        if not pv_name or ((pvc or {}).get("status") or {}).get("phase") != "Bound":
            continue
        pv = get_pv(pv_name)
        csi = ((pv or {}).get("spec") or {}).get("csi") or {}
        if not csi.get("driver") or not csi.get("volumeHandle") or not attach_required(csi["driver"]):
            continue
        modes = set(((pv or {}).get("spec") or {}).get("accessModes") or ())
        out.append(VolumeSpec(unique_volume_name(csi["driver"], csi["volumeHandle"]), pv_name, csi["driver"],
                              csi["volumeHandle"], bool(modes & {"ReadWriteMany", "ReadOnlyMany"})))
    return out


@dataclass
class ToAttach:
    """desiredStateOfWorld: one volume wanted on one node, and the pods that want it there."""
    spec: VolumeSpec
    node: str
    pods: dict[str, dict] = field(default_factory=dict)
    multi_attach_reported: bool = False


@dataclass
class Attached:
    """actualStateOfWorld: a volume attached (or being attached/detached) to a node."""
    spec: VolumeSpec
    node: str
    attached: bool = False              # confirmed by the VolumeAttachment's status
    reported: bool = False              # listed in node.status.volumesAttached
    detach_requested_at: float | None = None


class DesiredState:
    """Volumes per node and the pods that need them; a pod's contribution is replaced whole."""

    def __init__(self) -> None:
        self.volumes: dict[tuple[str, str], ToAttach] = {}      # (volume, node) -> ToAttach
        self._by_pod: dict[str, list[tuple[str, str]]] = {}

    def set_pod(self, key: str, pod: dict | None, node: str | None, specs: list[VolumeSpec]) -> None:
        for vk in self._by_pod.pop(key, ()):
            entry = self.volumes.get(vk)
            if entry is not None:
                entry.pods.pop(key, None)
                if not entry.pods:
                    del self.volumes[vk]
        if pod is None or node is None or not specs:
            return
        keys = []
        for spec in specs:
            vk = (spec.name, node)
            entry = self.volumes.get(vk)
            if entry is None:
                entry = self.volumes[vk] = ToAttach(spec, node)
            entry.pods[key] = pod
            keys.append(vk)
        self._by_pod[key] = keys

    def pods_using(self, volume: str) -> list[tuple[str, dict]]:
        """(node, pod) for every pod anywhere that wants ``volume`` (GetVolumePodsOnNodes)."""
        return [(node, pod) for (v, node), e in sorted(self.volumes.items()) if v == volume
                for _k, pod in sorted(e.pods.items())]


__all__ = ["attachment_name", "unique_volume_name", "is_pod_terminated", "pod_volumes", "VolumeSpec",
           "DesiredState", "ToAttach", "Attached", "ANN_CONTROLLER_MANAGED", "TAINT_OUT_OF_SERVICE"]
