"""The cluster's default StorageClass ``standard`` (what kind and minikube install as an addon).

Provisioned by the simulated CSI driver ``disk.csi.k8score.io`` (k8score/csi): reclaim policy
Delete, volumeBindingMode WaitForFirstConsumer (the volume is created on the node the
scheduler picks), expansion allowed. The ``storageclass.kubernetes.io/is-default-class``
annotation makes the DefaultStorageClass admission plugin give it to claims that name no class.
"""

from __future__ import annotations

from typing import Any

from .client.errors import is_already_exists

#: the CSI driver name the simulated driver registers (k8score/csi)
PROVISIONER = "disk.csi.k8score.io"


def default_storage_class() -> dict:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard",
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": PROVISIONER, "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True}


def install_storage_addon(client: Any) -> dict:
    """Create ``standard`` with an admin ``client``; an existing one is left as it is."""
    try:
        return client.create("storageclasses", default_storage_class())
    except Exception as e:  # noqa: BLE001 - only AlreadyExists is expected
        if not is_already_exists(e):
            raise
        return client.get("storageclasses", "standard")


__all__ = ["PROVISIONER", "default_storage_class", "install_storage_addon"]
