"""ObjectMeta validation (apimachinery/pkg/api/validation/objectmeta.go)."""

from __future__ import annotations

from ...api.field import FieldError, forbidden, invalid, required, too_long
from .names import is_label_key, is_label_value

_TOTAL_ANNOTATION_SIZE = 256 * 1024  # objectmeta.go TotalAnnotationSizeLimitB


def labels(value: object, path: str) -> list[FieldError]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [invalid(path, value, "must be a map of string keys to string values")]
    errs: list[FieldError] = []
    for k, v in value.items():
        if type(v) is str and k in _GOOD_KEYS and v in _GOOD_VALUES:
            continue  # seen and valid before: labels repeat across pods
        for msg in is_label_key(k):
            errs.append(invalid(path, k, msg))
        if not isinstance(v, str):
            errs.append(invalid(f"{path}[{k}]", v, "must be a string"))
            continue
        for msg in is_label_value(v):
            errs.append(invalid(path, v, msg))
        if not errs and len(_GOOD_KEYS) < 4096 and len(_GOOD_VALUES) < 4096:
            _GOOD_KEYS[k] = _GOOD_VALUES[v] = True
    return errs


_GOOD_KEYS: dict = {}
_GOOD_VALUES: dict = {}


def annotations(value: object, path: str) -> list[FieldError]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [invalid(path, value, "must be a map of string keys to string values")]
    errs: list[FieldError] = []
    size = 0
    for k, v in value.items():
        for msg in is_label_key(k.lower()):
            errs.append(invalid(path, k, msg))
        if not isinstance(v, str):
            errs.append(invalid(f"{path}[{k}]", v, "must be a string"))
            continue
        size += len(k) + len(v)
    if size > _TOTAL_ANNOTATION_SIZE:
        errs.append(too_long(path, _TOTAL_ANNOTATION_SIZE))
    return errs


def object_meta(meta: dict, namespaced: bool, name_fn) -> list[FieldError]:
    """ValidateObjectMeta: name (per resource rule), namespace, labels, annotations, finalizers."""
    errs: list[FieldError] = []
    name = meta.get("name")
    if not name:
        errs.append(required("metadata.name", "name or generateName is required"))
    elif not isinstance(name, str):
        errs.append(invalid("metadata.name", name, "must be a string"))
    else:
        for msg in name_fn(name):
            errs.append(invalid("metadata.name", name, msg))
    if namespaced and not meta.get("namespace"):
        errs.append(required("metadata.namespace", ""))
    errs += labels(meta.get("labels"), "metadata.labels")
    errs += annotations(meta.get("annotations"), "metadata.annotations")
    fins = meta.get("finalizers")
    if fins is not None:
        if not isinstance(fins, list):
            errs.append(invalid("metadata.finalizers", fins, "must be a list of strings"))
        else:
            seen: set = set()
            for i, f in enumerate(fins):
                if not isinstance(f, str) or is_label_key(f):
                    errs.append(invalid(f"metadata.finalizers[{i}]", f, "name is neither a standard "
                                        "finalizer name nor is it fully qualified"))
                elif f in seen:
                    errs.append(FieldError("Duplicate", f"metadata.finalizers[{i}]", f))
                seen.add(f)
    return errs


def object_meta_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateObjectMetaUpdate: identity fields are immutable; no new finalizers while deleting."""
    errs: list[FieldError] = []
    for key in ("name", "namespace", "uid"):
        if new.get(key) != old.get(key):
            errs.append(invalid(f"metadata.{key}", new.get(key), "field is immutable"))
    if old.get("deletionTimestamp"):
        before = set(old.get("finalizers") or ())
        if any(f not in before for f in new.get("finalizers") or ()):
            errs.append(forbidden("metadata.finalizers",
                                  "no new finalizers can be added if the object is being deleted"))
    return errs
