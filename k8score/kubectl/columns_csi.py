"""``kubectl get volumeattachments|csinodes|csidrivers`` columns (pkg/printers/internalversion/
printers.go: printVolumeAttachment, printCSINode, printCSIDriver).

Registered into :data:`k8score.kubectl.columns.TABLES`.
"""

from __future__ import annotations

from .timefmt import since


def _m(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _bool(v: object) -> str:
    return "true" if v else "false"


def _va_row(va: dict, now: float, wide: bool) -> list[str]:
    spec, st = va.get("spec") or {}, va.get("status") or {}
    pv = (spec.get("source") or {}).get("persistentVolumeName") or ""
    return [_m(va).get("name", ""), spec.get("attacher", ""), pv, spec.get("nodeName", ""), _bool(st.get("attached")), since(_m(va).get("creationTimestamp"), now)]


def _csinode_row(n: dict, now: float, wide: bool) -> list[str]:
    return [_m(n).get("name", ""), str(len((n.get("spec") or {}).get("drivers") or ())),
            since(_m(n).get("creationTimestamp"), now)]


def _csidriver_row(d: dict, now: float, wide: bool) -> list[str]:
    spec = d.get("spec") or {}
    tokens = spec.get("tokenRequests")
    return [_m(d).get("name", ""), _bool(spec.get("attachRequired", True)), _bool(spec.get("podInfoOnMount")),
            _bool(spec.get("storageCapacity")),
            ",".join(t.get("audience", "") for t in tokens) if tokens else "<unset>",
            _bool(spec.get("requiresRepublish")), ",".join(spec.get("volumeLifecycleModes") or ("Persistent",)),
            since(_m(d).get("creationTimestamp"), now)]


CSI_TABLES = {
    "volumeattachments": ([("NAME", 0), ("ATTACHER", 0), ("PV", 0), ("NODE", 0), ("ATTACHED", 0), ("AGE", 0)],
                          _va_row),
    "csinodes": ([("NAME", 0), ("DRIVERS", 0), ("AGE", 0)], _csinode_row),
    "csidrivers": ([("NAME", 0), ("ATTACHREQUIRED", 0), ("PODINFOONMOUNT", 0), ("STORAGECAPACITY", 0),
                    ("TOKENREQUESTS", 0), ("REQUIRESREPUBLISH", 0), ("MODES", 0), ("AGE", 0)], _csidriver_row),
}

__all__ = ["CSI_TABLES"]
