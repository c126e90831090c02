"""``kubectl describe pvc`` (kubectl/pkg/describe/describe.go PersistentVolumeClaimDescriber,
describePersistentVolumeClaim): class, phase (``Terminating (lasts 5s)`` while being
deleted), volume, finalizers as Go prints a slice, capacity and access modes once bound,
and ``Used By``: the pods of the namespace naming the claim (getPodsForPVC).
"""

from __future__ import annotations

from ..api.quantity import canonical
from ..api.storagehelpers import access_modes_string, claim_class, pod_claim_names
from .describe_blocks import Writer, meta_of, write_events, write_header
from .timefmt import since


def describe_pvc(pvc: dict, pods: list[dict], events: list[dict] | None, now: float) -> str:
    meta = meta_of(pvc)
    spec, st = pvc.get("spec") or {}, pvc.get("status") or {}
    w = Writer()
    status = f"Terminating (lasts {since(meta['deletionTimestamp'], now)})" if meta.get("deletionTimestamp") \
        else st.get("phase", "")
    write_header(w, meta, [("StorageClass", claim_class(pvc)), ("Status", status),
                           ("Volume", spec.get("volumeName", ""))])
    w.write(0, f"Finalizers:\t[{' '.join(meta.get('finalizers') or ())}]\n")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes_string(st.get("accessModes"))
        raw = (st.get("capacity") or {}).get("storage")
        capacity = canonical(raw) if raw is not None else "0"
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    users = sorted((p.get("metadata") or {}).get("name", "") for p in pods
                   if meta.get("name") in pod_claim_names(p))
    w.write(0, f"Used By:\t{users[0] if users else '<none>'}\n")
    for name in users[1:]:
        w.write(0, f"\t{name}\n")
    write_events(w, events, now)
    return w.text()


__all__ = ["describe_pvc"]
