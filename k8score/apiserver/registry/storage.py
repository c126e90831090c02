"""Strategies of the storage resources: PersistentVolume (core, cluster-scoped),
VolumeAttachment, CSIDriver and CSINode (storage.k8s.io/v1).

Upstream: pkg/registry/core/persistentvolume/strategy.go (a new volume starts ``Pending``
with ``lastPhaseTransitionTime`` now; the status is written through /status),
pkg/registry/storage/volumeattachment/strategy.go (status through /status, the spec is
immutable), pkg/registry/storage/csidriver and csinode. PersistentVolumeClaim and
StorageClass strategies are in :mod:`.policy`.
"""

from __future__ import annotations

from typing import Any

from ...api.resources import BUILTIN
from ..validation import storage as v
from .strategy import Strategy


class PersistentVolumeStrategy(Strategy):
    info = BUILTIN["persistentvolumes"]
    status_subresource = True
    initial_status = {"phase": "Pending"}
    # pkg/registry/core/persistentvolume/strategy.go GetAttrs: name and status.phase
    field_labels = ("status.phase",)

    def default(self, obj: dict) -> Any:
        v.persistent_volume_defaults(obj)

    rules = staticmethod(v.persistent_volume)
    update_rules = staticmethod(v.persistent_volume_update)

    def on_create(self, api: Any, obj: dict) -> None:
        # PrepareForCreate: the phase transition time of the initial Pending phase
        obj["status"]["lastPhaseTransitionTime"] = api.timestamp()
        return None


class VolumeAttachmentStrategy(Strategy):
    info = BUILTIN["volumeattachments"]
    status_subresource = True
    initial_status = {"attached": False}
    rules = staticmethod(v.volume_attachment)
    update_rules = staticmethod(v.volume_attachment_update)


class CSIDriverStrategy(Strategy):
    info = BUILTIN["csidrivers"]

    def default(self, obj: dict) -> Any:
        v.csi_driver_defaults(obj)

    rules = staticmethod(v.csi_driver)
    update_rules = staticmethod(v.csi_driver_update)


class CSINodeStrategy(Strategy):
    info = BUILTIN["csinodes"]
    rules = staticmethod(v.csi_node)
    update_rules = staticmethod(v.csi_node_update)


STRATEGIES = (PersistentVolumeStrategy, VolumeAttachmentStrategy, CSIDriverStrategy, CSINodeStrategy)

__all__ = ["STRATEGIES", "PersistentVolumeStrategy", "VolumeAttachmentStrategy", "CSIDriverStrategy",
           "CSINodeStrategy"]
