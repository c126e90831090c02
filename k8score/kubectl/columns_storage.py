"""``kubectl get pv|pvc|sc`` columns (pkg/printers/internalversion/printers.go:
printPersistentVolume, printPersistentVolumeClaim, printStorageClass).

Registered into :data:`k8score.kubectl.columns.TABLES`. A volume or claim being deleted
shows ``Terminating``; a claim shows capacity and access modes only once it names a
volume; the default StorageClass's name gets `` (default)``.
"""

from __future__ import annotations

from ..api.quantity import canonical
from ..api.storagehelpers import access_modes_string, claim_class, volume_class
from .timefmt import since


def _m(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _capacity(raw: object) -> str:
    try:
        return canonical(raw) if raw is not None else "0"   # resource.Quantity String(); zero is "0"
    except Exception:  # noqa: BLE001 - a broken quantity prints as stored
        return str(raw)


def _pv_row(pv: dict, now: float, wide: bool) -> list[str]:
    spec, st = pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace')}/{ref.get('name')}" if ref else ""
    phase = "Terminating" if _m(pv).get("deletionTimestamp") else st.get("phase", "")
    row = [_m(pv).get("name", ""), _capacity((spec.get("capacity") or {}).get("storage")),
           access_modes_string(spec.get("accessModes")), spec.get("persistentVolumeReclaimPolicy", ""), phase,
           claim, volume_class(pv), spec.get("volumeAttributesClassName") or "<unset>", st.get("reason", ""),
           since(_m(pv).get("creationTimestamp"), now)]
    return row + [spec.get("volumeMode") or "<unset>"] if wide else row


def _pvc_row(pvc: dict, now: float, wide: bool) -> list[str]:
    spec, st = pvc.get("spec") or {}, pvc.get("status") or {}
    phase = "Terminating" if _m(pvc).get("deletionTimestamp") else st.get("phase", "")
    modes = capacity = ""
    if spec.get("volumeName"):
        modes = access_modes_string(st.get("accessModes"))
        capacity = _capacity((st.get("capacity") or {}).get("storage"))
    row = [_m(pvc).get("name", ""), phase, spec.get("volumeName", ""), capacity, modes, claim_class(pvc),
           spec.get("volumeAttributesClassName") or "<unset>", since(_m(pvc).get("creationTimestamp"), now)]
    return row + [spec.get("volumeMode") or "<unset>"] if wide else row


def _sc_row(sc: dict, now: float, wide: bool) -> list[str]:
    from ..apiserver.admission.storageclass import is_default
    name = _m(sc).get("name", "") + (" (default)" if is_default(sc) else "")
    return [name, sc.get("provisioner", ""), sc.get("reclaimPolicy") or "Delete",
            sc.get("volumeBindingMode") or "Immediate", "true" if sc.get("allowVolumeExpansion") else "false",
            since(_m(sc).get("creationTimestamp"), now)]


STORAGE_TABLES = {
    "persistentvolumes": ([("NAME", 0), ("CAPACITY", 0), ("ACCESS MODES", 0), ("RECLAIM POLICY", 0), ("STATUS", 0),
                           ("CLAIM", 0), ("STORAGECLASS", 0), ("VOLUMEATTRIBUTESCLASS", 0), ("REASON", 0),
                           ("AGE", 0), ("VOLUMEMODE", 1)], _pv_row),
    "persistentvolumeclaims": ([("NAME", 0), ("STATUS", 0), ("VOLUME", 0), ("CAPACITY", 0), ("ACCESS MODES", 0),
                                ("STORAGECLASS", 0), ("VOLUMEATTRIBUTESCLASS", 0), ("AGE", 0), ("VOLUMEMODE", 1)],
                               _pvc_row),
    "storageclasses": ([("NAME", 0), ("PROVISIONER", 0), ("RECLAIMPOLICY", 0), ("VOLUMEBINDINGMODE", 0),
                        ("ALLOWVOLUMEEXPANSION", 0), ("AGE", 0)], _sc_row),
}

__all__ = ["STORAGE_TABLES"]
