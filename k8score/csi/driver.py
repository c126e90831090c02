"""The CSI driver ``disk.csi.k8score.io``: the Controller and Node services of the CSI spec
(container-storage-interface/spec spec.md, csi.proto) over :class:`.disks.DiskBackend`.

Requests and responses are dicts with the proto's field names (``volume_id``,
``capacity_range.required_bytes``, ``accessibility_requirements.preferred[].segments``...).
A refused call raises :class:`CSIError` carrying the gRPC status code the spec assigns
(``NOT_FOUND``, ``FAILED_PRECONDITION``, ``RESOURCE_EXHAUSTED``...); its text is what grpc-go
prints and what the sidecars copy into Events and ``VolumeAttachment.status.attachError``:
``rpc error: code = NotFound desc = Volume "vol-1" not found``.

The node service mounts a disk's data (:class:`k8score.container.fs.Volume`) on the node's
filesystem: ``NodeStageVolume`` at the staging path (the global mount), ``NodePublishVolume``
at the pod's target path (read-only publishes are enforced by the container's mount).
"""

from __future__ import annotations

import posixpath
from typing import Any, Callable

from .disks import DEFAULT_ZONE, DiskBackend, DiskError

DRIVER_NAME = "disk.csi.k8score.io"
VENDOR_VERSION = "v1.0.0"
#: The topology key of the driver's zones (each CSI driver names its own, e.g.
#: ``topology.ebs.csi.aws.com/zone``); the kubelet copies NodeGetInfo's segments onto the Node
#: as labels (pkg/volume/csi/nodeinfomanager), so PV node affinity matches every node.
TOPOLOGY_KEY = "topology.disk.csi.k8score.io/zone"
#: The well-known label a node's zone is read from when it has one.
ZONE_LABEL = "topology.kubernetes.io/zone"
GIB = 1 << 30
#: Size of a volume whose request names no capacity (our choice, as drivers pick their own).
DEFAULT_CAPACITY = GIB

#: google.golang.org/grpc/codes: code -> the name grpc-go prints.
CODES = {0: "OK", 3: "InvalidArgument", 5: "NotFound", 6: "AlreadyExists", 8: "ResourceExhausted",
         9: "FailedPrecondition", 10: "Aborted", 11: "OutOfRange", 12: "Unimplemented", 13: "Internal",
         14: "Unavailable"}
INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, RESOURCE_EXHAUSTED = 3, 5, 6, 8
FAILED_PRECONDITION, INTERNAL = 9, 13


class CSIError(Exception):
    """A gRPC error status: ``rpc error: code = <Name> desc = <message>``."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"rpc error: code = {CODES[self.code]} desc = {self.message}"


def _need(req: dict, *fields: str) -> None:
    for f in fields:
        if not req.get(f):
            raise CSIError(INVALID_ARGUMENT, f"{f} missing in request")


class IdentityService:
    def GetPluginInfo(self, req: dict | None = None) -> dict:
        return {"name": DRIVER_NAME, "vendor_version": VENDOR_VERSION}

    def GetPluginCapabilities(self, req: dict | None = None) -> dict:
        return {"capabilities": [{"service": {"type": "CONTROLLER_SERVICE"}},
                                 {"service": {"type": "VOLUME_ACCESSIBILITY_CONSTRAINTS"}}]}


class ControllerService(IdentityService):
    """The controller plugin (runs next to the external-provisioner and external-attacher)."""

    def __init__(self, backend: DiskBackend):
        self.backend = backend

    def ControllerGetCapabilities(self, req: dict | None = None) -> dict:
        return {"capabilities": [{"rpc": {"type": t}} for t in
                                 ("CREATE_DELETE_VOLUME", "PUBLISH_UNPUBLISH_VOLUME")]}

    def CreateVolume(self, req: dict) -> dict:
        """Idempotent by ``name``: the same request again returns the disk made the first time."""
        _need(req, "name")
        rng = req.get("capacity_range") or {}
        size = int(rng.get("required_bytes") or 0) or DEFAULT_CAPACITY
        limit = int(rng.get("limit_bytes") or 0)
        if limit and limit < size:
            raise CSIError(INVALID_ARGUMENT, "limit_bytes is smaller than required_bytes")
        zone = self._zone(req.get("accessibility_requirements") or {})
        disk = self.backend.by_name(req["name"])
        if disk is not None:
            if disk.capacity_bytes < size or (limit and disk.capacity_bytes > limit):
                raise CSIError(ALREADY_EXISTS, f"Volume {req['name']!r} exists with a different size")
        else:
            disk = self.backend.create(req["name"], size, zone)
        return {"volume": {"volume_id": disk.id, "capacity_bytes": disk.capacity_bytes,
                           "volume_context": {}, "accessible_topology": [{"segments": {TOPOLOGY_KEY: disk.zone}}]}}

    @staticmethod
    def _zone(requirements: dict) -> str:
        # spec.md CreateVolume: honour preferred first, then requisite (the provisioner puts
        # the selected node's topology first for WaitForFirstConsumer)
        for key in ("preferred", "requisite"):
            for topo in requirements.get(key) or ():
                zone = (topo.get("segments") or {}).get(TOPOLOGY_KEY)
                if zone:
                    return zone
        return DEFAULT_ZONE

    def DeleteVolume(self, req: dict) -> dict:
        _need(req, "volume_id")
        try:
            self.backend.delete(req["volume_id"])   # a missing volume is already deleted: OK
        except DiskError as err:
            raise CSIError(FAILED_PRECONDITION, f"Volume {req['volume_id']!r} is still attached: {err}") from None
        return {}

    def ControllerPublishVolume(self, req: dict) -> dict:
        _need(req, "volume_id", "node_id")
        vid, node = req["volume_id"], req["node_id"]
        try:
            self.backend.attach(vid, node)
        except DiskError as err:
            code = {"NotFound": NOT_FOUND, "InUse": FAILED_PRECONDITION, "WrongZone": FAILED_PRECONDITION,
                    "LimitExceeded": RESOURCE_EXHAUSTED}[err.kind]
            raise CSIError(code, str(err)) from None
        return {"publish_context": {"devicePath": f"/dev/disk/by-id/{vid}"}}

    def ControllerUnpublishVolume(self, req: dict) -> dict:
        _need(req, "volume_id", "node_id")
        self.backend.detach(req["volume_id"], req["node_id"])   # not found: safely unpublished
        return {}


class NodeService(IdentityService):
    """The node plugin on one node: mounts attached disks into the node's filesystem ``fs``.

    ``zone()`` is the node's zone as its labels say (``topology.kubernetes.io/zone``), read
    when NodeGetInfo is called.
    """

    def __init__(self, backend: DiskBackend, node_id: str, fs: Any, zone: Callable[[], str] | None = None):
        self.backend = backend
        self.node_id = node_id
        self.fs = fs
        self.zone = zone or (lambda: DEFAULT_ZONE)
        #: target path -> whether it was published read-only
        self.published_read_only: dict[str, bool] = {}

    def NodeGetCapabilities(self, req: dict | None = None) -> dict:
        return {"capabilities": [{"rpc": {"type": "STAGE_UNSTAGE_VOLUME"}}]}

    def NodeGetInfo(self, req: dict | None = None) -> dict:
        zone = self.zone() or DEFAULT_ZONE
        self.backend.register_node(self.node_id, zone)
        return {"node_id": self.node_id, "max_volumes_per_node": self.backend.max_per_node,
                "accessible_topology": {"segments": {TOPOLOGY_KEY: zone}}}

    def _attached_disk(self, vid: str) -> Any:
        disk = self.backend.get(vid)
        if disk is None:
            raise CSIError(NOT_FOUND, f"Volume {vid!r} not found")
        if disk.attached_to != self.node_id:
            raise CSIError(FAILED_PRECONDITION, f"Volume {vid!r} is not attached to node {self.node_id}")
        return disk

    def NodeStageVolume(self, req: dict) -> dict:
        _need(req, "volume_id", "staging_target_path")
        disk = self._attached_disk(req["volume_id"])
        self.fs.mount(req["staging_target_path"], disk.data)   # format-and-mount of the device
        return {}

    def NodeUnstageVolume(self, req: dict) -> dict:
        _need(req, "volume_id", "staging_target_path")
        _unmount(self.fs, req["staging_target_path"])
        return {}

    def NodePublishVolume(self, req: dict) -> dict:
        _need(req, "volume_id", "staging_target_path", "target_path")
        disk = self._attached_disk(req["volume_id"])
        staged = self.fs.mounts.get(posixpath.normpath(req["staging_target_path"]))
        if staged is None or staged[0] is not disk.data:
            raise CSIError(FAILED_PRECONDITION, f"Volume {req['volume_id']!r} is not staged at "
                                                f"{req['staging_target_path']}")
        # the bind mount; a read-only publish is enforced where the container mounts it (the
        # runtime's mount is ``readonly``): the node's own view stays writable because the
        # runtime creates the mount point through it
        self.fs.mount(req["target_path"], disk.data)
        self.published_read_only[posixpath.normpath(req["target_path"])] = bool(req.get("readonly"))
        return {}

    def NodeUnpublishVolume(self, req: dict) -> dict:
        _need(req, "volume_id", "target_path")
        _unmount(self.fs, req["target_path"])
        self.published_read_only.pop(posixpath.normpath(req["target_path"]), None)
        return {}


def _unmount(fs: Any, path: str) -> None:
    """umount(2) of a mount point the driver made (idempotent, as the spec asks)."""
    fs.mounts.pop(posixpath.normpath("/" + path.lstrip("/")), None)


__all__ = ["CSIError", "ControllerService", "NodeService", "IdentityService", "DRIVER_NAME", "TOPOLOGY_KEY",
           "ZONE_LABEL", "CODES", "GIB"]
