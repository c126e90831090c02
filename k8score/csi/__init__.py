"""The simulated CSI driver ``disk.csi.k8score.io`` ("cloud disks") and its sidecars.

- :mod:`.disks` — the disk backend a cloud would run (a plain object the Cluster owns);
- :mod:`.driver` — the CSI Identity/Controller/Node services over it, errors as gRPC codes;
- :mod:`.provisioner`, :mod:`.attacher` — external-provisioner and external-attacher;
- :mod:`.component` — the ``csi-controller`` component hosting them, and :func:`install`.

The node side (plugin registration, CSINode, NodeStage/NodePublish) is the kubelet's
:mod:`k8score.kubelet.volumes_csi`; attach/detach decisions are the attach/detach controller's
(:mod:`k8score.controllers.attachdetach`).
"""

from .component import CSIController, install
from .disks import DEFAULT_ZONE, Disk, DiskBackend, DiskError
from .driver import DRIVER_NAME, TOPOLOGY_KEY, ControllerService, CSIError, NodeService

__all__ = ["CSIController", "install", "DiskBackend", "Disk", "DiskError", "DEFAULT_ZONE", "DRIVER_NAME",
           "TOPOLOGY_KEY", "ControllerService", "NodeService", "CSIError"]
