"""The driver's controller plugin as deployed: the ``csi-controller`` component (kube-system).

Upstream a CSI driver ships a controller Deployment whose pod runs the driver's controller
service next to the sidecars; here one component hosts the :class:`.driver.ControllerService`
and two sidecars on one informer factory — :class:`.provisioner.ProvisionController`
(running as ServiceAccount ``kube-system/csi-provisioner``) and
:class:`.attacher.AttachController` (``kube-system/csi-attacher``). Like every component it
talks only through the API server. Stopping it is the pod crashing: a restart lists
everything again and converges.

:func:`install` creates what the driver's manifests install (kubernetes-csi/external-provisioner
and external-attacher deploy/kubernetes/rbac.yaml, and the CSIDriver object):

>>> install(admin_client)                                       # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from ..client import Client, SharedInformerFactory
from ..client.errors import ApiError
from ..client.worker import ErrorLog
from ..lang import Text
from ..sim import Component
from .attacher import AttachController
from .disks import DiskBackend
from .driver import DRIVER_NAME, ControllerService
from .provisioner import ProvisionController

NAMESPACE = "kube-system"
PROVISIONER_SA, ATTACHER_SA = "csi-provisioner", "csi-attacher"


def _rule(verbs: tuple, group: str, resources: tuple) -> dict:
    return {"verbs": list(verbs), "apiGroups": [group], "resources": list(resources)}


def install_objects() -> list[tuple[str, str | None, dict]]:
    """(resource, namespace, object) for the driver's RBAC and its CSIDriver."""
    rbac = "rbac.authorization.k8s.io/v1"
    provisioner_rules = [
        _rule(("get", "list", "watch", "create", "patch", "delete"), "", ("persistentvolumes",)),
        _rule(("get", "list", "watch", "update"), "", ("persistentvolumeclaims",)),
        _rule(("get", "list", "watch"), "storage.k8s.io", ("storageclasses",)),
        _rule(("list", "watch", "create", "update", "patch"), "", ("events",)),
        _rule(("get", "list", "watch"), "storage.k8s.io", ("csinodes",)),
        _rule(("get", "list", "watch"), "", ("nodes",)),
        _rule(("get", "list", "watch"), "storage.k8s.io", ("volumeattachments",)),
    ]
    attacher_rules = [
        _rule(("get", "list", "watch", "patch"), "", ("persistentvolumes",)),
        _rule(("get", "list", "watch"), "storage.k8s.io", ("csinodes",)),
        _rule(("get", "list", "watch", "patch"), "storage.k8s.io", ("volumeattachments",)),
        _rule(("patch",), "storage.k8s.io", ("volumeattachments/status",)),
    ]
    out: list[tuple[str, str | None, dict]] = []
    for sa, role, rules in ((PROVISIONER_SA, "external-provisioner-runner", provisioner_rules),
                            (ATTACHER_SA, "external-attacher-runner", attacher_rules)):
        out.append(("serviceaccounts", NAMESPACE, {"apiVersion": "v1", "kind": "ServiceAccount",
                                                   "metadata": {"name": sa, "namespace": NAMESPACE}}))
        out.append(("clusterroles", None, {"apiVersion": rbac, "kind": "ClusterRole", "metadata": {"name": role},
                                           "rules": rules}))
        out.append(("clusterrolebindings", None, {
            "apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": {"name": sa + "-role"},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": NAMESPACE}],
            "roleRef": {"kind": "ClusterRole", "name": role, "apiGroup": "rbac.authorization.k8s.io"}}))
    out.append(("csidrivers", None, {
        "apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": DRIVER_NAME},
        "spec": {"attachRequired": True, "podInfoOnMount": False, "requiresRepublish": False,
                 "storageCapacity": False, "fsGroupPolicy": "ReadWriteOnceWithFSType",
                 "volumeLifecycleModes": ["Persistent"]}}))
    return out


def install(client: Any) -> list[dict]:
    """Create the objects of :func:`install_objects`; existing ones are kept, and a resource
    the API server does not serve yet is skipped."""
    out = []
    for resource, ns, obj in install_objects():
        try:
            out.append(client.create(resource, obj, namespace=ns))
        except ApiError as err:
            if err.reason == "AlreadyExists":
                continue
            if err.code == 404:
                continue
            raise
        except (KeyError, ValueError):   # resource unknown to this API server
            continue
    return out


class CSIController(Component):
    """The controller plugin: ``csi.ControllerService`` + external-provisioner + external-attacher."""

    kind = "csi-controller"
    plane = "addon"
    watches = tuple(dict.fromkeys(ProvisionController.watches + AttachController.watches))
    writes = tuple(dict.fromkeys(ProvisionController.writes + AttachController.writes))
    summary = Text("CSI 云盘驱动的控制器插件：external-provisioner 按 PVC 建盘建 PV，external-attacher 按 VolumeAttachment 挂盘",
                   "The CSI cloud-disk driver's controller plugin: external-provisioner creates disks and PVs for PVCs, external-attacher attaches disks for VolumeAttachments")

    def __init__(self, loop: Any, api: Any, backend: DiskBackend, name: str = "csi-controller"):
        super().__init__(name, loop)
        self.api = api
        self.backend = backend
        self.csi = ControllerService(backend)
        self.errors = ErrorLog(loop, name)
        self.factory: SharedInformerFactory | None = None
        self.provisioner: ProvisionController | None = None
        self.attacher: AttachController | None = None

    def on_start(self) -> None:
        user = "system:serviceaccount:kube-system:"
        self.factory = SharedInformerFactory(Client(self.api, user=user + PROVISIONER_SA), self.loop)
        self.provisioner = ProvisionController(self, Client(self.api, user=user + PROVISIONER_SA), self.factory)
        self.attacher = AttachController(self, Client(self.api, user=user + ATTACHER_SA), self.factory)
        self.factory.start()

    def on_stop(self) -> None:
        if self.factory is not None:
            self.factory.stop()
        for c in (self.provisioner, self.attacher):
            if c is not None:
                c.stop()


__all__ = ["CSIController", "install", "install_objects"]
