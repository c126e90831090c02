"""external-attacher for ``disk.csi.k8score.io`` (kubernetes-csi/external-attacher
pkg/controller/csi_handler.go).

For each VolumeAttachment whose ``spec.attacher`` is the driver:

- not being deleted and not attached: add the finalizer ``external-attacher/disk-csi-k8score-io``
  (``SanitizeDriverName``), call ``ControllerPublishVolume`` with the PV's ``volumeHandle`` and
  the node's CSI node ID (from its CSINode), then set ``status.attached: true`` and
  ``attachmentMetadata`` (the publish context) — or ``status.attachError`` with the gRPC
  error's text, retried 1 s doubling to 5 min (``--retry-interval-start/max``);
- being deleted: ``ControllerUnpublishVolume``, then the finalizer goes and the API server
  removes the object (``status.detachError`` on failure, retried the same way).

Not modelled: the PV finalizer the attacher also adds, ``--timeout``, ListVolumes reconciliation.
"""

from __future__ import annotations

import re
from typing import Any, Hashable

from ..client.errors import ApiError, is_not_found
from ..client.worker import Requeue
from ..controllers.base import Controller
from ..lang import Text
from ..sim.clock import rfc3339
from .driver import DRIVER_NAME, CSIError

RETRY_START, RETRY_MAX = 1.0, 300.0


def finalizer_name(driver: str = DRIVER_NAME) -> str:
    """GetFinalizerName: ``external-attacher/`` + the driver name with non-alphanumerics as ``-``."""
    return "external-attacher/" + re.sub(r"[^a-zA-Z0-9-]", "-", driver)


FINALIZER = finalizer_name()


class _NodeIDError(Exception):
    pass


class AttachController(Controller):
    name = "external-attacher"
    kind = "csi-attacher"
    watches = ("volumeattachments", "persistentvolumes", "csinodes")
    writes = ("volumeattachments", "volumeattachments/status")
    summary = Text("按 VolumeAttachment 调用驱动把云盘挂到节点上（ControllerPublishVolume），删除时卸下",
                   "Calls the driver to attach a cloud disk to a node for each VolumeAttachment (ControllerPublishVolume), and detaches it on deletion")
    event_component = f"csi-attacher {DRIVER_NAME}"

    def setup(self) -> None:
        self.csi = self.host.csi
        self._fails: dict[Hashable, int] = {}
        self.attachments = self.informer("volumeattachments")
        self.attachments.add_event_handler(on_add=self._va, on_update=lambda o, n: self._va(n))
        self.volumes = self.informer("persistentvolumes")
        self.csinodes = self.informer("csinodes")

    def _va(self, va: dict) -> None:
        if (va.get("spec") or {}).get("attacher") == DRIVER_NAME:
            self.enqueue(va)

    def sync(self, key: Any) -> None:
        va = self.attachments.get(key)
        if va is None:
            self._fails.pop(key, None)
            return
        try:
            if va["metadata"].get("deletionTimestamp"):
                self._detach(va)
            elif not (va.get("status") or {}).get("attached"):
                self._attach(va)
        except (CSIError, _NodeIDError) as err:
            n = self._fails.get(key, 0)
            self._fails[key] = n + 1
            raise Requeue(str(err), after=min(RETRY_START * 2 ** n, RETRY_MAX)) from None
        self._fails.pop(key, None)

    def _node_id(self, node: str) -> str:
        csinode = self.csinodes.get(node)
        for d in ((csinode or {}).get("spec") or {}).get("drivers") or ():
            if d.get("name") == DRIVER_NAME and d.get("nodeID"):
                return d["nodeID"]
        raise _NodeIDError(f'node "{node}" has no NodeID annotation')

    def _handle(self, va: dict) -> tuple[str, bool]:
        src = (va.get("spec") or {}).get("source") or {}
        if src.get("inlineVolumeSpec"):
            csi = (src["inlineVolumeSpec"].get("csi") or {})
            return csi.get("volumeHandle", ""), bool(csi.get("readOnly"))
        pv = self.volumes.get(src.get("persistentVolumeName") or "")
        if pv is None:
            raise CSIError(5, f'persistentvolume "{src.get("persistentVolumeName")}" not found')
        csi = (pv.get("spec") or {}).get("csi") or {}
        return csi.get("volumeHandle", ""), bool(csi.get("readOnly"))

    def _attach(self, va: dict) -> None:
        if FINALIZER not in (va["metadata"].get("finalizers") or ()):
            va = self._update(va, finalizers=[*(va["metadata"].get("finalizers") or ()), FINALIZER])
            if va is None:
                return
        node = va["spec"]["nodeName"]
        try:
            handle, readonly = self._handle(va)
            resp = self.csi.ControllerPublishVolume({
                "volume_id": handle, "node_id": self._node_id(node), "readonly": readonly,
                "volume_capability": {"mount": {}, "access_mode": {"mode": "SINGLE_NODE_WRITER"}}})
        except (CSIError, _NodeIDError) as err:
            self._status(va, {"attached": False, "attachError": {"time": rfc3339(self.loop.now), "message": str(err)}})
            raise
        self._status(va, {"attached": True, "attachmentMetadata": dict(resp.get("publish_context") or {}),
                          "attachError": None})

    def _detach(self, va: dict) -> None:
        if FINALIZER not in (va["metadata"].get("finalizers") or ()):
            return
        node = va["spec"]["nodeName"]
        try:
            handle, _ = self._handle(va)
            node_id = self._node_id(node)
        except (CSIError, _NodeIDError):
            handle = node_id = ""   # nothing to unpublish from: the volume or node is gone
        if handle and node_id:
            try:
                self.csi.ControllerUnpublishVolume({"volume_id": handle, "node_id": node_id})
            except CSIError as err:
                self._status(va, {"detachError": {"time": rfc3339(self.loop.now), "message": str(err)}})
                raise
        fins = [f for f in va["metadata"].get("finalizers") or () if f != FINALIZER]
        self._update(va, finalizers=fins)

    def _update(self, va: dict, finalizers: list[str]) -> dict | None:
        try:
            return self.client.patch("volumeattachments", va["metadata"]["name"],
                                     {"metadata": {"finalizers": finalizers,
                                                   "resourceVersion": va["metadata"].get("resourceVersion")}})
        except ApiError as err:
            if is_not_found(err):
                return None
            raise

    def _status(self, va: dict, status: dict) -> None:
        try:
            self.client.patch("volumeattachments", va["metadata"]["name"], {"status": status}, subresource="status")
        except ApiError as err:
            if not is_not_found(err):
                raise


__all__ = ["AttachController", "FINALIZER", "finalizer_name"]
