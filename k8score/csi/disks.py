"""The "cloud disk" backend behind the simulated CSI driver ``disk.csi.k8score.io``.

A plain object the :class:`~k8score.Cluster` owns (a cloud's block-storage API in miniature,
self-contained so it can later move under ``k8score/cloud/``): disks with an id, a size, a
zone and the node they are attached to. Each disk's data is one
:class:`k8score.container.fs.Volume` that lives as long as the disk — not as long as a pod —
so what a container writes survives the pod and reattaches elsewhere in the same zone.

Rules a real block-storage cloud enforces and this one does too: a disk attaches to at most
one machine at a time (ReadWriteOnce block devices), only to a machine in its own zone, at
most ``max_per_node`` disks per machine; an attached disk cannot be deleted.

>>> b = DiskBackend()
>>> b.register_node("node-1", "zone-a")
>>> d = b.create("pvc-1", 1 << 30, "zone-a")
>>> b.attach(d.id, "node-1"); b.get(d.id).attached_to
'node-1'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..container.fs import Volume

#: The zone of a node without a ``topology.kubernetes.io/zone`` label (one-zone clusters).
DEFAULT_ZONE = "zone-a"
#: Disks one machine takes (our choice: cloud instance types allow 16–128).
MAX_VOLUMES_PER_NODE = 16


class DiskError(Exception):
    """A refused cloud call; ``kind`` is one of NotFound, InUse, WrongZone, LimitExceeded."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class Disk:
    id: str
    name: str
    capacity_bytes: int
    zone: str
    attached_to: str | None = None
    data: Volume = field(default_factory=Volume)


class DiskBackend:
    """Disks by id; machines (nodes) by name with their zone."""

    def __init__(self, max_per_node: int = MAX_VOLUMES_PER_NODE):
        self.max_per_node = max_per_node
        self.disks: dict[str, Disk] = {}
        self.nodes: dict[str, str] = {}      # node -> zone

    def register_node(self, node: str, zone: str) -> None:
        """The cloud learns a machine and its zone (NodeGetInfo reports it)."""
        self.nodes[node] = zone

    def remove_node(self, node: str) -> list[str]:
        """The machine is gone: its disks come off it (a cloud detaches them when the VM is
        deleted) and keep their data. Returns the ids of the disks that were attached."""
        ids = self.attached(node)
        for disk_id in ids:
            self.disks[disk_id].attached_to = None
        self.nodes.pop(node, None)
        return ids

    @staticmethod
    def disk_id(name: str) -> str:
        # the id follows from the create request's name: a retried CreateVolume finds its disk
        return "vol-" + hashlib.sha256(name.encode()).hexdigest()[:17]

    def by_name(self, name: str) -> Disk | None:
        return self.disks.get(self.disk_id(name))

    def get(self, disk_id: str) -> Disk | None:
        return self.disks.get(disk_id)

    def create(self, name: str, capacity_bytes: int, zone: str) -> Disk:
        disk = Disk(self.disk_id(name), name, int(capacity_bytes), zone)
        disk.data = Volume(name=disk.id)
        self.disks[disk.id] = disk
        return disk

    def delete(self, disk_id: str) -> None:
        disk = self.disks.get(disk_id)
        if disk is None:
            return
        if disk.attached_to is not None:
            raise DiskError("InUse", f"disk {disk_id} is attached to {disk.attached_to}")
        del self.disks[disk_id]

    def attached(self, node: str) -> list[str]:
        return sorted(d.id for d in self.disks.values() if d.attached_to == node)

    def attach(self, disk_id: str, node: str) -> None:
        disk = self.disks.get(disk_id)
        if disk is None:
            raise DiskError("NotFound", f"disk {disk_id} not found")
        if node not in self.nodes:
            raise DiskError("NotFound", f"instance {node} not found")
        if disk.attached_to == node:
            return
        if disk.attached_to is not None:
            raise DiskError("InUse", f"disk {disk_id} is attached to {disk.attached_to}")
        if self.nodes[node] != disk.zone:
            raise DiskError("WrongZone", f"disk {disk_id} is in zone {disk.zone}, instance {node} in "
                                         f"zone {self.nodes[node]}")
        if len(self.attached(node)) >= self.max_per_node:
            raise DiskError("LimitExceeded", f"instance {node} has {self.max_per_node} disks attached")
        disk.attached_to = node

    def detach(self, disk_id: str, node: str) -> None:
        disk = self.disks.get(disk_id)
        if disk is not None and disk.attached_to == node:
            disk.attached_to = None


__all__ = ["DiskBackend", "Disk", "DiskError", "DEFAULT_ZONE", "MAX_VOLUMES_PER_NODE"]
