"""``persistentVolumeClaim`` volumes on the node through CSI drivers (pkg/kubelet/volumemanager,
pkg/volume/csi: csi_attacher.go MountDevice, csi_mounter.go SetUp; pkg/kubelet/pluginmanager and
pkg/volume/csi/nodeinfomanager for plugin registration).

**Registration.** A driver's node plugin "runs" on the node from kubelet start
(:meth:`CSIVolumeManager.add_plugin`); once the Node exists the kubelet calls ``NodeGetInfo``,
labels the Node with the driver's topology segments, sets
``volumes.kubernetes.io/controller-managed-attach-detach: "true"`` (upstream sets it at node
registration; the attach/detach controller attaches only for such nodes) and writes the
CSINode ``<node>`` (driver, nodeID, topologyKeys, ``allocatable.count`` = max volumes per node).

**Mounting** (``WaitForAttachAndMount``): a pod's PVC volume is mounted once its claim is
Bound, the PV's volume is in ``node.status.volumesAttached`` and its VolumeAttachment says
``attached``; the volume is then reported in ``node.status.volumesInUse`` (so the controller
will not detach it under the mount), staged (``NodeStageVolume`` at
``/var/lib/kubelet/plugins/kubernetes.io/csi/<driver>/<sha256(handle)>/globalmount``) and
published (``NodePublishVolume`` at
``/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~csi/<pv>/mount``), read-only when the
pod's ``persistentVolumeClaim.readOnly`` says so. The pod worker polls every 300 ms
(``podAttachAndMountRetryInterval``); after 2m3s (``podAttachAndMountTimeout``) without all
of them mounted it records Warning ``FailedMount`` "Unable to attach or mount volumes:
unmounted volumes=[...], unattached volumes=[...], failed to process volumes=[...]: timed
out waiting for the condition" and keeps waiting. A driver error is Warning ``FailedMount``
"MountVolume.MountDevice failed for volume ..." / "MountVolume.SetUp failed for volume ...".

A PV of type ``hostPath`` or ``local`` is the node's directory itself (no attach, no mount).

**Unmounting**: when the pod has stopped (before the kubelet deletes it from the API), each
volume is unpublished, unstaged when no other pod on the node uses it, and dropped from
``volumesInUse`` — which lets the attach/detach controller detach it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..client.errors import ApiError
from ..controllers.attachdetach_state import ANN_CONTROLLER_MANAGED, attachment_name, unique_volume_name
from .volumes import PODS_DIR

# pkg/kubelet/volumemanager/volume_manager.go: podAttachAndMountRetryInterval, podAttachAndMountTimeout
RETRY_INTERVAL = 0.3
ATTACH_AND_MOUNT_TIMEOUT = 123.0
PLUGINS_DIR = "/var/lib/kubelet/plugins/kubernetes.io/csi"
# how soon registration is tried again while the Node object does not exist yet
_REGISTER_RETRY = 0.5
# cloud-provider api well_known_taints.go: TaintExternalCloudProvider
_TAINT_UNINITIALIZED = "node.cloudprovider.kubernetes.io/uninitialized"


def claim_volumes(pod: dict) -> list[dict]:
    return [v for v in (pod.get("spec") or {}).get("volumes") or () if v.get("persistentVolumeClaim")]


class CSIVolumeManager:
    """The kubelet's CSI side; one per kubelet, kept across kubelet restarts (the mounts stay)."""

    def __init__(self, kubelet: Any):
        self.kubelet = kubelet
        #: driver name -> its node plugin (:class:`k8score.csi.driver.NodeService`)
        self.plugins: dict[str, Any] = {}
        self._registered: set[str] = set()
        self._waiting: dict[str, float] = {}              # pod uid -> when the wait window began
        self._mounted: dict[str, dict[str, tuple]] = {}   # pod uid -> volume -> (uvn, driver, handle, target, staging)
        self._in_use: dict[str, set[str]] = {}            # unique volume name -> pod uids
        self._reported: list[str] | None = None

    # -- plugin registration ------------------------------------------------------------
    def add_plugin(self, plugin: Any) -> None:
        """A driver's node plugin starts on this node (its registration socket appears)."""
        self.plugins[plugin.GetPluginInfo()["name"]] = plugin
        self._registered.discard(plugin.GetPluginInfo()["name"])
        if self.kubelet.running:
            self._register()

    def start(self) -> None:
        """Kubelet start: register every plugin once the Node exists."""
        self._registered.clear()
        self._reported = None
        if self.plugins:
            self.kubelet.call_later(0.0, self._register)

    def _register(self) -> None:
        k = self.kubelet
        if not k.running or all(name in self._registered for name in self.plugins):
            return
        node = self._node()
        if not k.registered or node is None or any(
                t.get("key") == _TAINT_UNINITIALIZED for t in (node.get("spec") or {}).get("taints") or ()):
            # the driver's node plugin is a DaemonSet pod: it cannot run on a Node the cloud
            # controller has not initialised yet (NoSchedule taint), so it registers after that
            k.call_later(_REGISTER_RETRY, self._register)
            return
        drivers, labels = [], {}
        for name, plugin in sorted(self.plugins.items()):
            info = plugin.NodeGetInfo({})
            topo = (info.get("accessible_topology") or {}).get("segments") or {}
            labels.update(topo)
            drivers.append({"name": name, "nodeID": info["node_id"], "topologyKeys": sorted(topo),
                            "allocatable": {"count": int(info.get("max_volumes_per_node") or 0)}})
        try:
            k.client.patch("nodes", k.node_name, {"metadata": {"labels": labels,
                                                               "annotations": {ANN_CONTROLLER_MANAGED: "true"}}})
            self._write_csinode(drivers)
        except (ApiError, KeyError, ValueError) as err:
            k.log("E", "nodeinfomanager.go:139", "Failed to register CSI driver", err=str(err))
            k.call_later(_REGISTER_RETRY, self._register)
            return
        self._registered.update(self.plugins)
        for d in drivers:
            k.log("I", "csi_plugin.go:106", "kubernetes.io/csi: Register new plugin with name", name=d["name"])

    def _node(self) -> dict | None:
        inf = getattr(self.kubelet, "_node_informer", None)
        return inf.get(self.kubelet.node_name) if inf is not None else None

    def node_zone(self) -> str:
        """The node's zone for its plugins: label ``topology.kubernetes.io/zone``, else the default."""
        from ..csi.driver import ZONE_LABEL
        from ..csi.disks import DEFAULT_ZONE
        labels = {**self.kubelet.labels, **(((self._node() or {}).get("metadata") or {}).get("labels") or {})}
        return labels.get(ZONE_LABEL) or DEFAULT_ZONE

    def _write_csinode(self, drivers: list[dict]) -> None:
        k = self.kubelet
        owner = {"apiVersion": "v1", "kind": "Node", "name": k.node_name, "uid": getattr(k, "_node_uid", None)}
        body = {"apiVersion": "storage.k8s.io/v1", "kind": "CSINode",
                "metadata": {"name": k.node_name, "ownerReferences": [owner]}, "spec": {"drivers": drivers}}
        try:
            k.client.create("csinodes", body)
        except ApiError as err:
            if err.reason != "AlreadyExists":
                raise
            current = k.client.get("csinodes", k.node_name)
            k.client.update("csinodes", {**current, "spec": {"drivers": drivers}})

    # -- mounting -----------------------------------------------------------------------
    def setup(self, pod: dict) -> dict[str, str] | None:
        """Mount ``pod``'s PVC volumes; ``{volume name: host path}`` once all are, else None
        (the caller polls again after :data:`RETRY_INTERVAL`)."""
        k = self.kubelet
        meta = pod["metadata"]
        uid, ns = meta.get("uid", ""), meta.get("namespace", "default")
        mounted = self._mounted.setdefault(uid, {})
        unprocessed, unattached, paths = [], [], {}
        for vol in claim_volumes(pod):
            name, src = vol["name"], vol["persistentVolumeClaim"]
            if name in mounted:
                paths[name] = mounted[name][3]
                continue
            pvc = k.get_object("persistentvolumeclaims", ns, src.get("claimName", ""))
            pv_name = ((pvc or {}).get("spec") or {}).get("volumeName")
            if pvc is None or meta_deleting(pvc) or not pv_name or (pvc.get("status") or {}).get("phase") != "Bound":
                unprocessed.append(name)
                continue
            try:
                pv = k.client.get("persistentvolumes", pv_name)
            except ApiError:
                unprocessed.append(name)
                continue
            host_dir = ((pv.get("spec") or {}).get("hostPath") or (pv.get("spec") or {}).get("local") or {}).get("path")
            if host_dir:
                # pkg/volume/hostpath, pkg/volume/local: the node's directory itself, no attach
                paths[name] = host_dir
                continue
            csi = (pv.get("spec") or {}).get("csi") or {}
            driver, handle = csi.get("driver", ""), csi.get("volumeHandle", "")
            if not driver or not handle:
                unprocessed.append(name)   # a volume plugin k8score does not model
                continue
            uvn = unique_volume_name(driver, handle)
            va = self._attachment(uvn, driver, handle)
            if va is None:
                unattached.append(name)
                continue
            plugin = self.plugins.get(driver)
            if plugin is None:
                self._failed(pod, f'MountVolume.MountDevice failed for volume "{pv_name}" : kubernetes.io/csi: '
                                  f'attacher.MountDevice failed to create newCsiDriverClient: driver name '
                                  f'{driver} not found in the list of registered CSI drivers')
                unprocessed.append(name)
                continue
            target = self._mount(pod, plugin, pv_name, uvn, handle, va,
                                 bool(src.get("readOnly")) or bool(csi.get("readOnly")))
            if target is None:
                unprocessed.append(name)   # counted as unmounted: the error event is out
                continue
            mounted[name] = (uvn, driver, handle, target, _staging_path(driver, handle))
            paths[name] = target
        pending = [v["name"] for v in claim_volumes(pod) if v["name"] not in paths]
        if not pending:
            self._waiting.pop(uid, None)
            return paths
        began = self._waiting.setdefault(uid, k.loop.now)
        if k.loop.now - began >= ATTACH_AND_MOUNT_TIMEOUT:
            self._waiting[uid] = k.loop.now
            failed = [n for n in unprocessed if n in pending and n not in unattached]
            k.recorder.event(pod, "Warning", "FailedMount",
                             f"Unable to attach or mount volumes: unmounted volumes=[{' '.join(sorted(pending))}], "
                             f"unattached volumes=[{' '.join(sorted(unattached))}], failed to process volumes="
                             f"[{' '.join(sorted(failed))}]: timed out waiting for the condition")
        return None

    def _attachment(self, uvn: str, driver: str, handle: str) -> dict | None:
        """verifyControllerAttachedVolume + WaitForAttach: in volumesAttached, VA attached."""
        k = self.kubelet
        node = self._node()
        if uvn not in {v.get("name") for v in ((node or {}).get("status") or {}).get("volumesAttached") or ()}:
            return None
        try:
            va = k.client.get("volumeattachments", attachment_name(handle, driver, k.node_name))
        except ApiError:
            return None
        return va if (va.get("status") or {}).get("attached") else None

    def _mount(self, pod: dict, plugin: Any, pv_name: str, uvn: str, handle: str, va: dict,
               readonly: bool) -> str | None:
        from ..csi.driver import CSIError
        uid = pod["metadata"].get("uid", "")
        self._in_use.setdefault(uvn, set()).add(uid)
        self._report_in_use()   # reported in use before the device is mounted
        staging = _staging_path(plugin.GetPluginInfo()["name"], handle)
        target = f"{PODS_DIR}/{uid}/volumes/kubernetes.io~csi/{pv_name}/mount"
        publish = dict((va.get("status") or {}).get("attachmentMetadata") or {})
        cap = {"mount": {"fs_type": "ext4"}, "access_mode": {"mode": "SINGLE_NODE_WRITER"}}
        fs = self.kubelet.host.fs
        try:
            if staging not in fs.mounts:
                plugin.NodeStageVolume({"volume_id": handle, "publish_context": publish,
                                        "staging_target_path": staging, "volume_capability": cap})
        except CSIError as err:
            self._failed(pod, f'MountVolume.MountDevice failed for volume "{pv_name}" : {err}')
            return None
        try:
            plugin.NodePublishVolume({"volume_id": handle, "publish_context": publish,
                                      "staging_target_path": staging, "target_path": target,
                                      "volume_capability": cap, "readonly": readonly})
        except CSIError as err:
            self._failed(pod, f'MountVolume.SetUp failed for volume "{pv_name}" : {err}')
            return None
        return target

    def _failed(self, pod: dict, message: str) -> None:
        if self.kubelet.running:
            self.kubelet.recorder.event(pod, "Warning", "FailedMount", message)

    # -- unmounting -----------------------------------------------------------------------
    def teardown(self, pod: dict) -> None:
        """UnmountVolume (NodeUnpublish) for each of the pod's CSI volumes, UnmountDevice
        (NodeUnstage) once no pod on the node uses it; then volumesInUse follows."""
        uid = pod["metadata"].get("uid", "")
        self._waiting.pop(uid, None)
        for _name, (uvn, driver, handle, target, staging) in sorted(self._mounted.pop(uid, {}).items()):
            plugin = self.plugins.get(driver)
            users = self._in_use.get(uvn, set())
            users.discard(uid)
            if plugin is not None:
                plugin.NodeUnpublishVolume({"volume_id": handle, "target_path": target})
                if not users:
                    plugin.NodeUnstageVolume({"volume_id": handle, "staging_target_path": staging})
            if not users:
                self._in_use.pop(uvn, None)
        for uvn in [v for v, users in self._in_use.items() if uid in users]:   # mounts never finished
            self._in_use[uvn].discard(uid)
        self._report_in_use()

    def _report_in_use(self) -> None:
        """nodestatus VolumesInUse: the volumes mounted (or being mounted) here, sorted."""
        k = self.kubelet
        now = sorted(v for v, users in self._in_use.items() if users)
        if now == self._reported or not k.running or not k.registered:
            return
        try:
            k.client.patch("nodes", k.node_name, {"status": {"volumesInUse": now}}, subresource="status")
        except ApiError:
            return   # the next change retries
        self._reported = now

    def in_use(self) -> list[str]:
        return sorted(v for v, users in self._in_use.items() if users)


def meta_deleting(obj: dict) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def _staging_path(driver: str, handle: str) -> str:
    """csi_attacher.go makeDeviceMountPath: ``<plugins>/<driver>/<sha256(volumeHandle)>/globalmount``."""
    return f"{PLUGINS_DIR}/{driver}/{hashlib.sha256(handle.encode()).hexdigest()}/globalmount"


__all__ = ["CSIVolumeManager", "claim_volumes", "RETRY_INTERVAL", "ATTACH_AND_MOUNT_TIMEOUT"]
