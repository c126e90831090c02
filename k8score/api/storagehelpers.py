"""Matching claims to volumes: what the PV binder controller and the scheduler's
VolumeBinding plugin share.

Upstream: staging/src/k8s.io/component-helpers/storage/volume/pv_helpers.go
(``FindMatchingVolume``, ``CheckAccessModes``, ``IsVolumeBoundToClaim``,
``GetPersistentVolumeClaimClass``, the annotations), helpers.go (``CheckNodeAffinity``)
and pkg/controller/volume/persistentvolume/index.go (the access-mode index: the claim is
matched first against volumes with the fewest access modes that cover its own).

>>> pv = {"metadata": {"name": "a"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]},
...       "status": {"phase": "Available"}}
>>> claim = {"metadata": {"name": "c", "namespace": "d", "uid": "u"},
...          "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "500Mi"}},
...                   "storageClassName": ""}}
>>> find_best_match(claim, [pv])["metadata"]["name"]
'a'
"""

from __future__ import annotations

from typing import Iterable

from .quantity import QuantityError, parse_quantity
from .selectors import from_label_selector_dict

# pv_helpers.go annotations
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
ANN_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
# v1helper GetAccessModesAsString order and abbreviations
_MODE_ABBREV = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                ("ReadWriteOncePod", "RWOP"))


def meta(obj: dict) -> dict:
    m = obj.get("metadata") if isinstance(obj, dict) else None
    return m if isinstance(m, dict) else {}


def spec(obj: dict) -> dict:
    s = obj.get("spec") if isinstance(obj, dict) else None
    return s if isinstance(s, dict) else {}


def annotations(obj: dict) -> dict:
    a = meta(obj).get("annotations")
    return a if isinstance(a, dict) else {}


def access_modes_string(modes: Iterable[str] | None) -> str:
    """``GetAccessModesAsString``: ``RWO,ROX`` in a fixed order (kubectl's column too)."""
    modes = list(modes or ())
    return ",".join(ab for m, ab in _MODE_ABBREV if m in modes)


def claim_class(claim: dict) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation wins over ``spec.storageClassName``."""
    ann = annotations(claim)
    if ANN_BETA_CLASS in ann:
        return str(ann[ANN_BETA_CLASS])
    return str(spec(claim).get("storageClassName") or "")


def volume_class(pv: dict) -> str:
    ann = annotations(pv)
    if ANN_BETA_CLASS in ann:
        return str(ann[ANN_BETA_CLASS])
    return str(spec(pv).get("storageClassName") or "")


def storage_bytes(raw: object) -> int | None:
    try:
        return int(parse_quantity(raw).value)  # type: ignore[arg-type]
    except (QuantityError, TypeError, ValueError, OverflowError):
        return None


def requested_bytes(claim: dict) -> int:
    req = ((spec(claim).get("resources") or {}).get("requests") or {})
    return storage_bytes(req.get("storage")) or 0


def capacity_bytes(pv: dict) -> int:
    return storage_bytes((spec(pv).get("capacity") or {}).get("storage")) or 0


def is_bound_to_claim(pv: dict, claim: dict) -> bool:
    """IsVolumeBoundToClaim: the claimRef names the claim, and its uid (if any) is the claim's."""
    ref = spec(pv).get("claimRef")
    if not isinstance(ref, dict):
        return False
    m = meta(claim)
    if ref.get("name") != m.get("name") or ref.get("namespace") != m.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == m.get("uid")


def check_access_modes(claim: dict, pv: dict) -> bool:
    """CheckAccessModes: the volume offers every mode the claim asks for."""
    have = set(spec(pv).get("accessModes") or ())
    return all(m in have for m in spec(claim).get("accessModes") or ())


def volume_mode_mismatch(claim: dict, pv: dict) -> bool:
    """CheckVolumeModeMismatches (unset means Filesystem)."""
    return (spec(claim).get("volumeMode") or "Filesystem") != (spec(pv).get("volumeMode") or "Filesystem")


def check_node_affinity(pv: dict, node_labels: dict, node_name: str = "") -> bool:
    """CheckNodeAffinity: a volume without required node affinity fits every node."""
    from ..scheduler.plugins.node_affinity import term_matches
    req = (spec(pv).get("nodeAffinity") or {}).get("required")
    if not isinstance(req, dict):
        return True
    terms = req.get("nodeSelectorTerms") or []
    return any(term_matches(t, node_labels, node_name) for t in terms)


def find_matching_volume(claim: dict, volumes: Iterable[dict], node: dict | None = None,
                         excluded: set[str] | frozenset = frozenset(),
                         delay_binding: bool = False) -> dict | None:
    """FindMatchingVolume: the volume pre-bound to ``claim`` if any, else the smallest
    Available volume that is big enough, of the claim's class and volume mode, matching its
    selector (and, with ``node`` — the scheduler's path — the node and the access modes).
    With ``delay_binding`` and no node only a pre-bound volume is returned: binding a
    WaitForFirstConsumer claim is the scheduler's."""
    wanted = requested_bytes(claim)
    cls = claim_class(claim)
    raw_sel = spec(claim).get("selector")
    try:
        selector = from_label_selector_dict(raw_sel) if isinstance(raw_sel, dict) else None
    except Exception:  # noqa: BLE001 - a selector upstream validation would refuse matches nothing
        return None
    labels = (meta(node).get("labels") or {}) if node is not None else {}
    node_name = meta(node).get("name", "") if node is not None else ""
    best, best_size = None, 0
    for pv in volumes:
        name = meta(pv).get("name")
        if name in excluded:
            continue
        if spec(pv).get("claimRef") is not None and not is_bound_to_claim(pv, claim):
            continue
        size = capacity_bytes(pv)
        if size < wanted or volume_mode_mismatch(claim, pv) or meta(pv).get("deletionTimestamp"):
            continue
        affinity_ok = node is None or check_node_affinity(pv, labels, node_name)
        if is_bound_to_claim(pv, claim):
            return pv if affinity_ok else None
        if node is None and delay_binding:
            continue
        if (pv.get("status") or {}).get("phase") != "Available":
            continue
        if selector is not None and not selector.matches(meta(pv).get("labels") or {}):
            continue
        if volume_class(pv) != cls or not affinity_ok:
            continue
        if node is not None and not check_access_modes(claim, pv):
            continue
        if best is None or best_size > size:
            best, best_size = pv, size
    return best


def covering_mode_groups(claim: dict) -> list[str]:
    """allPossibleMatchingAccessModes: every access-mode string (``RWO,RWX``) that includes
    all the claim's modes, fewest modes first — the keys of the volumes' access-mode index."""
    want = {m for m in spec(claim).get("accessModes") or ()}
    modes = [m for m, _ in _MODE_ABBREV]
    out = []
    for bits in range(1, 1 << len(modes)):
        group = [m for i, m in enumerate(modes) if bits >> i & 1]
        if want <= set(group):
            out.append(access_modes_string(group))
    return sorted(out, key=lambda k: (len(k.split(",")), k))


def find_best_match(claim: dict, volumes_in_group, delay_binding: bool = False) -> dict | None:
    """persistentVolumeOrderedIndex.findByClaim: try the access-mode groups that cover the
    claim's modes, fewest modes first (a RWO claim prefers a RWO volume to a RWO+RWX one).
    ``volumes_in_group(key)`` lists the volumes whose access-mode string is ``key`` (an index),
    or pass a list of volumes to group here."""
    if not callable(volumes_in_group):
        groups: dict[str, list[dict]] = {}
        for pv in volumes_in_group:
            groups.setdefault(access_modes_string(spec(pv).get("accessModes")), []).append(pv)
        volumes_in_group = lambda key: groups.get(key, [])  # noqa: E731
    for key in covering_mode_groups(claim):
        pv = find_matching_volume(claim, volumes_in_group(key), delay_binding=delay_binding)
        if pv is not None:
            return pv
    return None


def claim_ref(claim: dict) -> dict:
    """The ObjectReference a bound volume holds (``ref.GetReference``)."""
    m = meta(claim)
    return {"kind": "PersistentVolumeClaim", "namespace": m.get("namespace"), "name": m.get("name"),
            "uid": m.get("uid"), "apiVersion": "v1", "resourceVersion": m.get("resourceVersion")}


def pod_claim_names(pod: dict) -> list[str]:
    """The claims a pod's volumes name (``persistentVolumeClaim.claimName``; generic
    ephemeral volumes are ``<pod>-<volume>``)."""
    out = []
    for vol in spec(pod).get("volumes") or ():
        if not isinstance(vol, dict):
            continue
        src = vol.get("persistentVolumeClaim")
        if isinstance(src, dict) and src.get("claimName"):
            out.append(str(src["claimName"]))
        elif isinstance(vol.get("ephemeral"), dict):
            out.append(f"{meta(pod).get('name')}-{vol.get('name')}")
    return out


__all__ = ["ANN_BIND_COMPLETED", "ANN_BOUND_BY_CONTROLLER", "ANN_SELECTED_NODE", "ANN_STORAGE_PROVISIONER",
           "ANN_BETA_STORAGE_PROVISIONER", "ANN_DYNAMICALLY_PROVISIONED", "access_modes_string", "claim_class",
           "volume_class", "find_matching_volume", "find_best_match", "check_node_affinity", "check_access_modes",
           "is_bound_to_claim", "claim_ref", "pod_claim_names", "requested_bytes", "capacity_bytes"]
