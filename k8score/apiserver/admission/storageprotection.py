"""StorageObjectInUseProtection and PersistentVolumeClaimResize admission.

Upstream: plugin/pkg/admission/storage/storageobjectinuseprotection/admission.go — every
PersistentVolumeClaim and PersistentVolume created gets the finalizer
``kubernetes.io/pvc-protection`` / ``kubernetes.io/pv-protection``, so deleting one that a
pod (or a claim) still uses only marks it Terminating; the pvc-protection and pv-protection
controllers remove the finalizer once nothing uses it.

plugin/pkg/admission/storage/persistentvolume/resize/admission.go — a claim's storage
request may grow only when it is Bound and its StorageClass says ``allowVolumeExpansion``.
"""

from __future__ import annotations

from ..request import AdmissionAttributes, PluginContext
from .namespacelifecycle import new_forbidden

# pkg/util/protectionutil/... volumeutil.PVCProtectionFinalizer / PVProtectionFinalizer
PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection"
PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection"
_FINALIZERS = {"persistentvolumeclaims": PVC_PROTECTION_FINALIZER, "persistentvolumes": PV_PROTECTION_FINALIZER}


class StorageObjectInUseProtection:
    """Mutating, on CREATE of persistentvolumeclaims and persistentvolumes."""

    name = "StorageObjectInUseProtection"

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx

    def handles(self, operation: str) -> bool:
        return operation == "CREATE"

    def admit(self, a: AdmissionAttributes) -> str | None:
        finalizer = _FINALIZERS.get(a.info.plural)
        if finalizer is None or a.info.group or a.subresource or not isinstance(a.obj, dict):
            return None
        meta = a.obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            return None
        finalizers = meta.get("finalizers")
        if finalizers is None:
            finalizers = meta["finalizers"] = []
        if not isinstance(finalizers, list) or finalizer in finalizers:
            return None
        finalizers.append(finalizer)
        return f"added finalizer {finalizer}"


def _storage(pvc: object):
    from ..validation.policy import parse_quantity_or_none
    spec = pvc.get("spec") if isinstance(pvc, dict) else None
    req = ((spec or {}).get("resources") or {}).get("requests") or {}
    q = parse_quantity_or_none(req.get("storage")) if isinstance(req, dict) else None
    return None if q is None else q.value


class PersistentVolumeClaimResize:
    """Validating, on UPDATE of persistentvolumeclaims (the main resource)."""

    name = "PersistentVolumeClaimResize"

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx

    def handles(self, operation: str) -> bool:
        return operation == "UPDATE"

    def validate(self, a: AdmissionAttributes) -> str | None:
        if a.info.plural != "persistentvolumeclaims" or a.info.group or a.subresource:
            return None
        new, old = _storage(a.obj), _storage(a.old)
        if new is None or old is None or new <= old:
            return None
        if ((a.old or {}).get("status") or {}).get("phase") != "Bound":
            raise new_forbidden(a, "Only bound persistent volume claims can be expanded")
        cls_name = ((a.old or {}).get("spec") or {}).get("storageClassName") or ""
        cls = self.ctx.lister.get("storageclasses", cls_name) if cls_name else None
        if cls is None or cls.get("allowVolumeExpansion") is not True:
            raise new_forbidden(a, "only dynamically provisioned pvc can be resized and the storageclass "
                                   "that provisions the pvc must support resize")
        return None


__all__ = ["StorageObjectInUseProtection", "PersistentVolumeClaimResize", "PVC_PROTECTION_FINALIZER",
           "PV_PROTECTION_FINALIZER"]
