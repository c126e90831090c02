"""Validation of PersistentVolume, VolumeAttachment, CSIDriver and CSINode.

Upstream: pkg/apis/core/validation/validation.go (``ValidatePersistentVolume``,
``ValidatePersistentVolumeSpec``, ``ValidatePersistentVolumeUpdate``) and
pkg/apis/storage/validation/validation.go (``ValidateVolumeAttachment``/``Update``,
``ValidateCSIDriver``/``Update``, ``ValidateCSINode``/``Update``). PersistentVolumeClaim and
StorageClass rules live in :mod:`.policy`. Each function returns FieldErrors for what the
object adds beyond ObjectMeta; map keys are taken sorted (upstream iterates Go maps).
"""

from __future__ import annotations

from ...api.field import FieldError, GoValue, duplicate, forbidden, invalid, not_supported, required
from .policy import _ACCESS_MODES, _NOT_POSITIVE, _VOLUME_MODES, _dict, _qualified, parse_quantity_or_none
from .names import is_dns1123_subdomain

_IMMUTABLE = "field is immutable"
# validation.go supportedReclaimPolicy
_RECLAIM = ["Delete", "Recycle", "Retain"]
# the PersistentVolumeSource members k8score knows (validation.go counts every member)
_SOURCES = ("hostPath", "local", "nfs", "csi", "gcePersistentDisk", "awsElasticBlockStore", "iscsi",
            "fc", "rbd", "cephfs", "cinder", "azureDisk", "azureFile", "flexVolume", "glusterfs",
            "vsphereVolume", "portworxVolume", "scaleIO", "storageos", "quobyte", "photonPersistentDisk",
            "flocker")
_LIFECYCLE = ["Ephemeral", "Persistent"]                       # storage.VolumeLifecycleMode
_FSGROUP = ["File", "None", "ReadWriteOnceWithFSType"]         # storage.FSGroupPolicy
_CSI_DRIVER_NAME_MAX = 63                                      # csiDriverNameMaxLength


def persistent_volume_defaults(pv: dict) -> None:
    """SetDefaults_PersistentVolume (pkg/apis/core/v1/defaults.go): reclaim policy Retain,
    volumeMode Filesystem."""
    spec = pv.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        spec.setdefault("volumeMode", "Filesystem")


def _access_modes(modes: object, path: str, what: str = "") -> list[FieldError]:
    modes = modes if isinstance(modes, list) else []
    errs: list[FieldError] = []
    if not modes:
        errs.append(required(path, what))
    errs += [not_supported(path, m, _ACCESS_MODES) for m in modes if m not in _ACCESS_MODES]
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errs.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errs


def _csi_driver_name(name: object, path: str) -> list[FieldError]:
    """ValidateCSIDriverName: required, at most 63 characters, a DNS-1123 subdomain."""
    if not isinstance(name, str) or not name:
        return [required(path, "")]
    errs = []
    if len(name) > _CSI_DRIVER_NAME_MAX:
        errs.append(FieldError("TooLong", path, GoValue(name), f"may not be more than {_CSI_DRIVER_NAME_MAX} bytes"))
    errs += [invalid(path, name, m) for m in is_dns1123_subdomain(name.lower())]
    return errs


def _source(spec: dict) -> list[FieldError]:
    """Exactly one volume source, and what each one requires."""
    present = [s for s in _SOURCES if spec.get(s) is not None]
    errs: list[FieldError] = []
    if not present:
        return [required("spec", "must specify a volume type")]
    errs += [forbidden(f"spec.{s}", "may not specify more than 1 volume type") for s in present[1:]]
    src = _dict(spec, present[0])
    kind = present[0]
    if kind == "hostPath" and not src.get("path"):
        errs.append(required("spec.hostPath.path", ""))
    elif kind == "local":
        if not src.get("path"):
            errs.append(required("spec.local.path", ""))
        if spec.get("nodeAffinity") is None:   # validation.go: local volumes are node-bound
            errs.append(required("spec.nodeAffinity", "Local volume requires node affinity"))
    elif kind == "nfs":
        if not src.get("server"):
            errs.append(required("spec.nfs.server", ""))
        if not src.get("path"):
            errs.append(required("spec.nfs.path", ""))
        elif not str(src["path"]).startswith("/"):
            errs.append(invalid("spec.nfs.path", src["path"], "must be an absolute path"))
    elif kind == "csi":
        errs += _csi_driver_name(src.get("driver"), "spec.csi.driver")
        if not src.get("volumeHandle"):
            errs.append(required("spec.csi.volumeHandle", ""))
    return errs


def persistent_volume(pv: dict) -> list[FieldError]:
    """ValidatePersistentVolumeSpec (after defaulting)."""
    spec = _dict(pv, "spec")
    errs = _access_modes(spec.get("accessModes"), "spec.accessModes")
    cap = spec.get("capacity")
    if not isinstance(cap, dict) or not cap:
        errs.append(required("spec.capacity", ""))
    else:
        if "storage" not in cap or len(cap) > 1:
            errs.append(not_supported("spec.capacity", GoValue("core.ResourceList{" + ", ".join(
                f'"{k}":"{v}"' for k, v in sorted(cap.items())) + "}"), ["storage"]))
        for r in sorted(cap):
            q = parse_quantity_or_none(cap[r])
            if q is None:
                errs.append(invalid(f"spec.capacity[{r}]", cap[r], "must be a valid resource quantity"))
            elif q.value <= 0:
                errs.append(invalid(f"spec.capacity[{r}]", q.canonical(), _NOT_POSITIVE))
    cls = spec.get("storageClassName")
    if isinstance(cls, str) and cls:
        errs += [invalid("spec.storageClassName", cls, m) for m in is_dns1123_subdomain(cls)]
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in _RECLAIM:
        errs.append(not_supported("spec.persistentVolumeReclaimPolicy", policy, _RECLAIM))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in _VOLUME_MODES:
        errs.append(not_supported("spec.volumeMode", mode, _VOLUME_MODES))
    aff = spec.get("nodeAffinity")
    if aff is not None and not _dict(aff, "required"):
        errs.append(required("spec.nodeAffinity.required", "must specify required node constraints"))
    return errs + _source(spec)


def persistent_volume_update(new: dict, old: dict) -> list[FieldError]:
    """ValidatePersistentVolumeUpdate: the volume source is fixed at creation, so is
    volumeMode (upstream's path omits ``spec.``), and a node affinity once set."""
    errs: list[FieldError] = []
    ns, os_ = _dict(new, "spec"), _dict(old, "spec")
    if {k: ns.get(k) for k in _SOURCES if ns.get(k) is not None} != \
            {k: os_.get(k) for k in _SOURCES if os_.get(k) is not None}:
        errs.append(forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"))
    if ns.get("volumeMode") != os_.get("volumeMode"):
        errs.append(invalid("volumeMode", ns.get("volumeMode"), _IMMUTABLE))
    if os_.get("nodeAffinity") is not None and ns.get("nodeAffinity") != os_.get("nodeAffinity"):
        errs.append(invalid("nodeAffinity", GoValue("core.VolumeNodeAffinity{...}"), _IMMUTABLE))
    return errs


# -- storage.k8s.io -------------------------------------------------------------------

def volume_attachment(va: dict) -> list[FieldError]:
    """ValidateVolumeAttachment: attacher, nodeName, and exactly one source."""
    spec = _dict(va, "spec")
    errs = _csi_driver_name(spec.get("attacher"), "spec.attacher")
    if not spec.get("nodeName"):
        errs.append(required("spec.nodeName", ""))
    src = _dict(spec, "source")
    pv, inline = src.get("persistentVolumeName"), src.get("inlineVolumeSpec")
    msg = "must specify exactly one of inlineVolumeSpec and persistentVolumeName"
    if pv is None and inline is None:
        errs.append(required("spec.source", msg))
    elif pv is not None and inline is not None:
        errs.append(forbidden("spec.source", msg))
    elif pv is not None and not pv:
        errs.append(required("spec.source.persistentVolumeName", "must specify non empty persistentVolumeName"))
    return errs


def volume_attachment_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateVolumeAttachmentUpdate: the spec never changes (the status does, via /status)."""
    if new.get("spec") != old.get("spec"):
        return [invalid("spec", GoValue("storage.VolumeAttachmentSpec{...}"), _IMMUTABLE)]
    return []


def csi_driver_defaults(obj: dict) -> None:
    """SetDefaults_CSIDriver (pkg/apis/storage/v1/defaults.go)."""
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("attachRequired", True)
        spec.setdefault("podInfoOnMount", False)
        spec.setdefault("storageCapacity", False)
        spec.setdefault("fsGroupPolicy", "ReadWriteOnceWithFSType")
        spec.setdefault("requiresRepublish", False)
        spec.setdefault("seLinuxMount", False)
        spec.setdefault("volumeLifecycleModes", ["Persistent"])


def csi_driver(obj: dict) -> list[FieldError]:
    spec = _dict(obj, "spec")
    errs: list[FieldError] = []
    for f in ("attachRequired", "podInfoOnMount", "storageCapacity", "requiresRepublish"):
        if spec.get(f) is None:
            errs.append(required(f"spec.{f}", ""))
    if spec.get("fsGroupPolicy") not in _FSGROUP:
        errs.append(not_supported("spec.fsGroupPolicy", spec.get("fsGroupPolicy"), _FSGROUP))
    for m in spec.get("volumeLifecycleModes") or ():
        if m not in _LIFECYCLE:
            errs.append(not_supported("spec.volumeLifecycleModes", m, _LIFECYCLE))
    return errs


def csi_driver_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateCSIDriverUpdate: attachRequired, fsGroupPolicy and volumeLifecycleModes are fixed."""
    ns, os_ = _dict(new, "spec"), _dict(old, "spec")
    return [invalid(f"spec.{f}", ns.get(f), _IMMUTABLE)
            for f in ("attachRequired", "fsGroupPolicy", "volumeLifecycleModes") if ns.get(f) != os_.get(f)]


def csi_node(obj: dict) -> list[FieldError]:
    """ValidateCSINode: each driver named once, with a nodeID; allocatable.count >= 0."""
    drivers = _dict(obj, "spec").get("drivers")
    errs: list[FieldError] = []
    if not isinstance(drivers, list):
        return [required("spec.drivers", "")]
    seen: set[str] = set()
    for i, d in enumerate(drivers):
        p = f"spec.drivers[{i}]"
        d = d if isinstance(d, dict) else {}
        errs += _csi_driver_name(d.get("name"), f"{p}.name")
        if d.get("name") in seen:
            errs.append(duplicate(f"{p}.name", d.get("name")))
        seen.add(str(d.get("name")))
        if not d.get("nodeID"):
            errs.append(required(f"{p}.nodeID", "nodeID must be provided"))
        count = _dict(d, "allocatable").get("count")
        if isinstance(count, int) and count < 0:
            errs.append(invalid(f"{p}.allocatable.count", count, "must be greater than or equal to 0"))
        for key in d.get("topologyKeys") or ():
            errs += _qualified(str(key), f"{p}.topologyKeys")
    return errs


def csi_node_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateCSINodeUpdate: a registered driver's nodeID, topologyKeys and allocatable stay."""
    olds = {d.get("name"): d for d in _dict(old, "spec").get("drivers") or () if isinstance(d, dict)}
    errs: list[FieldError] = []
    for i, d in enumerate(_dict(new, "spec").get("drivers") or ()):
        o = olds.get(d.get("name")) if isinstance(d, dict) else None
        if o is None:
            continue
        for f in ("nodeID", "topologyKeys", "allocatable"):
            if d.get(f) != o.get(f):
                errs.append(invalid(f"spec.drivers[{i}].{f}", GoValue(str(d.get(f))), _IMMUTABLE))
    return errs


__all__ = ["persistent_volume", "persistent_volume_update", "persistent_volume_defaults", "volume_attachment",
           "volume_attachment_update", "csi_driver", "csi_driver_update", "csi_driver_defaults", "csi_node",
           "csi_node_update"]
