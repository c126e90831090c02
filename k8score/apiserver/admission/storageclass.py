"""DefaultStorageClass admission: a claim that names no class gets the default one.

Upstream: plugin/pkg/admission/storage/storageclass/setdefault/admission.go with
``GetDefaultClass`` (pkg/apis/storage/util/helpers.go, 1.26+). A PersistentVolumeClaim
created without ``spec.storageClassName`` (and without the beta
``volume.beta.kubernetes.io/storage-class`` annotation) gets the StorageClass annotated
``storageclass.kubernetes.io/is-default-class: "true"`` (or the beta annotation). With
several defaults the newest ``creationTimestamp`` wins, ties broken by name; with none the
claim is left alone. ``storageClassName: ""`` asks for no class and is kept.
"""

from __future__ import annotations

from ...sim.clock import parse as _parse_time
from ..request import AdmissionAttributes, PluginContext

# storage/util/helpers.go IsDefaultStorageClassAnnotation / BetaIsDefaultStorageClassAnnotation
IS_DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_IS_DEFAULT_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
# core/helper PersistentVolumeClaimHasClass: the beta annotation still names a class
BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def _annotations(obj: dict) -> dict:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ann = meta.get("annotations")
    return ann if isinstance(ann, dict) else {}


def is_default(sc: dict) -> bool:
    ann = _annotations(sc)
    return ann.get(IS_DEFAULT_ANNOTATION) == "true" or ann.get(BETA_IS_DEFAULT_ANNOTATION) == "true"


def _created(sc: dict) -> float:
    try:
        return _parse_time(str((sc.get("metadata") or {}).get("creationTimestamp") or ""))
    except ValueError:
        return float("-inf")


def default_class(classes: list[dict]) -> dict | None:
    """GetDefaultClass: the newest default class (then by name), or None."""
    defaults = [sc for sc in classes if isinstance(sc, dict) and is_default(sc)]
    if not defaults:
        return None
    return min(defaults, key=lambda sc: (-_created(sc), str((sc.get("metadata") or {}).get("name", ""))))


def storage_class_defaults(obj: dict) -> dict:
    """SetDefaults_StorageClass (pkg/apis/storage/v1/defaults.go): reclaimPolicy Delete,
    volumeBindingMode Immediate. Registry defaulting; listed here for the lead to wire."""
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")
    return obj


class DefaultStorageClass:
    """Mutating, on CREATE of persistentvolumeclaims."""

    name = "DefaultStorageClass"

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx

    def handles(self, operation: str) -> bool:
        return operation == "CREATE"

    def admit(self, a: AdmissionAttributes) -> str | None:
        if a.info.plural != "persistentvolumeclaims" or a.info.group or a.subresource:
            return None
        if not isinstance(a.obj, dict):
            return None
        spec = a.obj.get("spec")
        if not isinstance(spec, dict) or spec.get("storageClassName") is not None \
                or BETA_CLASS_ANNOTATION in _annotations(a.obj):
            return None  # the user asked for a class (maybe "", meaning none)
        chosen = default_class(self.ctx.lister.list("storageclasses"))
        if chosen is None:
            return None
        spec["storageClassName"] = chosen["metadata"]["name"]
        return f"storageClassName={spec['storageClassName']}"


__all__ = ["DefaultStorageClass", "default_class", "is_default", "storage_class_defaults"]
