"""Validation of a CustomResourceDefinition object itself, with upstream's messages.

Upstream: k8s.io/apiextensions-apiserver pkg/apis/apiextensions/validation/validation.go
(``ValidateCustomResourceDefinition``, ``validateCustomResourceDefinitionSpec``,
``ValidateCustomResourceDefinitionNames``, ``validateCustomResourceDefinitionValidation``,
``ValidateCustomResourceDefinitionStoredVersions``, ``validateAPIApproval``), in its order.

Go prints ``spec.versions`` in "must have exactly one version marked as storage version"
with ``%#v``, including pointer addresses; k8score prints the same shape with the
addresses shown as ``0xc000000000`` (a real cluster's differ on every request).
"""

from __future__ import annotations

import copy
from typing import Any

from ...api.field import FieldError, GoValue, forbidden, invalid, not_supported, required
from ..validation import meta as meta_validation
from ..validation.names import is_dns1035_label, is_dns1123_subdomain
from .prune import prune
from .structural import Structural, validate_schema, validate_structural
from .validate import validate

_SCOPES = ["Cluster", "Namespaced"]
_APPROVAL = "api-approved.kubernetes.io"
_ROOT_FIELDS = ("type", "properties", "required", "description", "x-kubernetes-preserve-unknown-fields",
                "x-kubernetes-validations")  # allowedFieldsAtRootSchema (+ type, checked alone)


def _go_versions(versions: Any) -> GoValue:
    t = "apiextensions.CustomResourceDefinitionVersion"
    if not versions:
        return GoValue(f"[]{t}(nil)")

    def ptr(v: Any, typ: str) -> str:
        return f"(*{typ})(nil)" if v is None else f"(*{typ})(0xc000000000)"

    def one(v: dict) -> str:
        cols = "[]apiextensions.CustomResourceColumnDefinition(nil)"
        if v.get("additionalPrinterColumns"):
            cols = "[]apiextensions.CustomResourceColumnDefinition{{...}}"
        sel = "[]apiextensions.SelectableField(nil)"
        return (f'{t}{{Name:"{v.get("name", "")}", Served:{str(v.get("served") is True).lower()}, '
                f'Storage:{str(v.get("storage") is True).lower()}, '
                f'Deprecated:{str(v.get("deprecated") is True).lower()}, '
                f'DeprecationWarning:{ptr(v.get("deprecationWarning"), "string")}, '
                f'Schema:{ptr(v.get("schema"), "apiextensions.CustomResourceValidation")}, '
                f'Subresources:{ptr(v.get("subresources"), "apiextensions.CustomResourceSubresources")}, '
                f'AdditionalPrinterColumns:{cols}, SelectableFields:{sel}}}')
    return GoValue(f"[]{t}{{" + ", ".join(one(v) for v in versions if isinstance(v, dict)) + "}")


def crd_errors(crd: dict) -> list[FieldError]:
    """ValidateCustomResourceDefinition (create)."""
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    want = f'{names.get("plural", "")}.{spec.get("group", "")}'

    def name_fn(name: str) -> list[str]:
        errs = is_dns1123_subdomain(name)
        return errs + (['must be spec.names.plural+"."+spec.group'] if name != want else [])

    errs = meta_validation.object_meta(crd.get("metadata") or {}, False, name_fn)
    errs += _spec(spec, "spec")
    errs += _names(((crd.get("status") or {}).get("acceptedNames") or {}), "status.acceptedNames")
    errs += _stored_versions(crd)
    errs += _api_approval(crd)
    return errs


def crd_update_errors(new: dict, old: dict, established: bool) -> list[FieldError]:
    """validateCustomResourceDefinitionUpdate without ObjectMeta (the caller adds it)."""
    spec, ospec = new.get("spec") or {}, old.get("spec") or {}
    errs = _spec(spec, "spec")
    immutable = [("group", "spec.group"), ("names.plural", "spec.names.plural")]
    if established:
        immutable = [("scope", "spec.scope"), ("names.kind", "spec.names.kind")] + immutable
    for key, path in immutable:
        a, b = _dig(spec, key), _dig(ospec, key)
        if a != b:
            errs.append(invalid(path, a, "field is immutable"))
    errs += _names(((new.get("status") or {}).get("acceptedNames") or {}), "status.acceptedNames")
    errs += _stored_versions(new)
    errs += _api_approval(new)
    return errs


def _dig(d: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d


def _spec(spec: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    group = spec.get("group")
    if not group:
        errs.append(required(f"{path}.group", ""))
    elif problems := is_dns1123_subdomain(str(group)):
        errs.append(invalid(f"{path}.group", group, ",".join(problems)))
    elif len(str(group).split(".")) < 2:
        errs.append(invalid(f"{path}.group", group, "should be a domain with at least one dot"))
    scope = spec.get("scope")
    if not scope:
        errs.append(required(f"{path}.scope", ""))
    elif scope not in _SCOPES:
        errs.append(not_supported(f"{path}.scope", scope, _SCOPES))
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict)]
    for i, v in enumerate(versions):
        if not isinstance((v.get("schema") or {}).get("openAPIV3Schema"), dict):
            errs.append(required(f"{path}.versions[{i}].schema.openAPIV3Schema", ""))
    seen: set = set()
    unique = True
    for i, v in enumerate(versions):
        vpath = f"{path}.versions[{i}]"
        vname = str(v.get("name", ""))
        unique = unique and vname not in seen
        seen.add(vname)
        if problems := is_dns1035_label(vname):
            errs.append(invalid(f"{vpath}.name", vname, ",".join(problems)))
        status_on = isinstance((v.get("subresources") or {}).get("status"), dict)
        errs += _version_schema((v.get("schema") or {}).get("openAPIV3Schema"), status_on, f"{vpath}.schema")
        errs += _scale((v.get("subresources") or {}).get("scale"), f"{vpath}.subresources")
    if not unique:
        errs.append(invalid(f"{path}.versions", _go_versions(versions), "must contain unique version names"))
    if sum(1 for v in versions if v.get("storage") is True) != 1:
        errs.append(invalid(f"{path}.versions", _go_versions(versions),
                            "must have exactly one version marked as storage version"))
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    for key in ("plural", "singular", "kind", "listKind"):
        if not names.get(key):
            errs.append(required(f"{path}.names.{key}", ""))
    errs += _names(names, f"{path}.names")
    return errs


def _names(names: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for key in ("plural", "singular"):
        v = names.get(key)
        if v and (problems := is_dns1035_label(str(v))):
            errs.append(invalid(f"{path}.{key}", v, ",".join(problems)))
    for key in ("kind", "listKind"):
        v = names.get(key)
        if v and (problems := is_dns1035_label(str(v).lower())):
            errs.append(invalid(f"{path}.{key}", v, "may have mixed case, but should otherwise match: "
                                + ",".join(problems)))
    for i, s in enumerate(names.get("shortNames") or []):
        if problems := is_dns1035_label(str(s)):
            errs.append(invalid(f"{path}.shortNames[{i}]", s, ",".join(problems)))
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        errs.append(invalid(f"{path}.listKind", names["listKind"], "kind and listKind may not be the same"))
    return errs


def _version_schema(raw: Any, status_on: bool, path: str) -> list[FieldError]:
    """validateCustomResourceDefinitionValidation for one version's schema."""
    if not isinstance(raw, dict):
        return []
    errs: list[FieldError] = []
    spath = f"{path}.openAPIV3Schema"
    if status_on:
        if raw.get("type") not in (None, "", "object"):
            errs.append(invalid(f"{spath}.type", raw["type"], 'only "object" is allowed as the type at '
                                "the root of the schema if the status subresource is enabled"))
        elif any(k not in _ROOT_FIELDS for k in raw if raw[k] not in (None, False, "", [], {})):
            errs.append(invalid(spath, GoValue("apiextensions.JSONSchemaProps{...}"),
                                "only [description type properties required x-kubernetes-preserve-unknown-fields "
                                "x-kubernetes-validations] fields are allowed at the root of the schema if the "
                                "status subresource is enabled"))
    if raw.get("nullable") is True:
        errs.append(forbidden(f"{spath}.nullable", "nullable cannot be true at the root"))
    structural = validate_structural(raw, spath)
    errs += structural
    if not structural:
        errs += _defaults(Structural.of(raw), spath, root=True)
    return errs + validate_schema(raw, spath)


def _defaults(s: Structural | None, path: str, root: bool = False) -> list[FieldError]:
    """structuraldefaulting.ValidateDefaults: a default must validate and be pruned."""
    if s is None:
        return []
    errs: list[FieldError] = []
    if s.has_default and not root:
        errs += validate(s.default, s, f"{path}.default") if s.default is not None else []
        if not errs and isinstance(s.default, (dict, list)) and not s.preserve_unknown:
            probe = {"x": copy.deepcopy(s.default)}
            if prune(probe, Structural.of({"type": "object", "properties": {"x": s.raw}})):
                errs.append(invalid(f"{path}.default", s.default, "must not have unknown fields"))
    for name, sub in s.properties.items():
        errs += _defaults(sub, f"{path}.properties[{name}]")
    errs += _defaults(s.items, f"{path}.items")
    return errs


def _scale(scale: Any, path: str) -> list[FieldError]:
    if not isinstance(scale, dict):
        return []
    errs: list[FieldError] = []
    for key, under in (("specReplicasPath", ".spec."), ("statusReplicasPath", ".status.")):
        v = scale.get(key)
        if not v:
            errs.append(required(f"{path}.scale.{key}", ""))
        elif not str(v).startswith(under):
            errs.append(invalid(f"{path}.scale.{key}", v, f"should be a json path under {under[:-1]}"))
    return errs


def _stored_versions(crd: dict) -> list[FieldError]:
    stored = (crd.get("status") or {}).get("storedVersions") or []
    path = "status.storedVersions"
    if not stored:
        return [invalid(path, GoValue("[]string(nil)"), "must have at least one stored version")]
    return []


def _api_approval(crd: dict) -> list[FieldError]:
    """validateAPIApproval: *.k8s.io and *.kubernetes.io groups are Kubernetes' own."""
    group = str((crd.get("spec") or {}).get("group") or "")
    protected = group in ("k8s.io", "kubernetes.io") or group.endswith(".k8s.io") or \
        group.endswith(".kubernetes.io")
    annotations = (crd.get("metadata") or {}).get("annotations") or {}
    if protected and not annotations.get(_APPROVAL):
        return [required(f"metadata.annotations[{_APPROVAL}]",
                         f'protected groups must have approval annotation "{_APPROVAL}", see '
                         "https://github.com/kubernetes/enhancements/pull/1111")]
    return []
