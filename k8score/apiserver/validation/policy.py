"""Validation of LimitRange, ResourceQuota, StorageClass and PersistentVolumeClaim.

Upstream: pkg/apis/core/validation/validation.go (``ValidateLimitRange``,
``ValidateResourceQuota``/``Update``/``StatusUpdate``, ``ValidatePersistentVolumeClaim``/
``Update``) and pkg/apis/storage/validation/validation.go (``ValidateStorageClass``/
``Update``). Each function checks what its object adds beyond ObjectMeta (validated by
the registry for every kind) and returns FieldErrors; the update variants add the
immutability rules. Upstream iterates Go maps, so several errors come in varying order;
here map keys are taken sorted. Quantities print as upstream's ``Quantity.String()``.
"""

from __future__ import annotations

from ...api.field import FieldError, GoValue, duplicate, forbidden, invalid, not_supported, required, too_long
from ...api.quantity import Quantity, QuantityError, parse_quantity
from .names import is_dns1123_subdomain, is_label_key

_IMMUTABLE = "field is immutable"                      # apimachinery validation FieldImmutableErrorMsg
_NEGATIVE = "must be greater than or equal to 0"       # IsNegativeErrorMsg
_NOT_POSITIVE = "must be greater than zero"            # isNotPositiveErrorMsg
_NOT_INTEGER = "must be an integer"                    # isNotIntegerErrorMsg
# helper.IsStandardResourceName / IsStandardQuotaResourceName / IsIntegerResourceName
_COMPUTE = ("cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
            "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage")
_COUNTED = ("pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
            "persistentvolumeclaims", "services.nodeports", "services.loadbalancers")
_STANDARD = frozenset(_COMPUTE + _COUNTED + ("storage", "requests.storage"))
_STANDARD_QUOTA = frozenset(_COMPUTE + _COUNTED + ("requests.storage",))
_INTEGER = frozenset(_COUNTED)
_LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")     # IsStandardLimitRangeType
_SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
           "CrossNamespacePodAffinity", "VolumeAttributesClass")  # standardResourceQuotaScopes
_POD_COUNT = frozenset({"pods"})
_POD_COMPUTE = frozenset({"cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"})
_ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
_VOLUME_MODES = ["Block", "Filesystem"]
_RECLAIM = ["Delete", "Retain"]
_BINDING_MODES = ["Immediate", "WaitForFirstConsumer"]
_MAX_PARAMS, _MAX_PARAMS_SIZE = 512, 256 * 1024        # storage validation maxProvisionerParameter*


def _q(value: Quantity) -> GoValue:
    """A Quantity as field.Error prints it (through its String method, unquoted)."""
    return GoValue(value.canonical())


def _go_strings(kind: str, values: list) -> GoValue:
    return GoValue(f"[]{kind}{{" + ", ".join(f'"{v}"' for v in values) + "}")


def _dict(obj: object, key: str) -> dict:
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, dict) else {}


def _qualified(value: str, path: str) -> list[FieldError]:
    """IsQualifiedName, whose messages say "a qualified name" where label keys differ."""
    return [invalid(path, value, m.replace("a valid label key", "a qualified name"))
            for m in is_label_key(value)]


def _resource_name(value: str, path: str) -> list[FieldError]:
    errs = _qualified(value, path)
    if not errs and "/" not in value and value not in _STANDARD and \
            not value.startswith(("hugepages-", "requests.hugepages-")):
        errs.append(invalid(path, value, "must be a standard resource type or fully qualified"))
    return errs


def _container_resource_name(value: str, path: str) -> list[FieldError]:
    errs = _resource_name(value, path)
    if "/" not in value:
        if value not in ("cpu", "memory", "ephemeral-storage") and not value.startswith("hugepages-"):
            errs.append(invalid(path, value, "must be a standard resource for containers"))
    elif "kubernetes.io/" not in value and value.startswith("requests."):
        errs.append(invalid(path, value, "doesn't follow extended resource name standard"))
    return errs


def _quantities(raw: object, path: str, errs: list[FieldError]) -> dict[str, Quantity]:
    out: dict[str, Quantity] = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        errs.append(invalid(path, raw, "must be an object"))
        return out
    for k in sorted(raw, key=str):
        try:
            out[str(k)] = parse_quantity(raw[k])
        except (QuantityError, TypeError, ValueError, OverflowError) as e:
            errs.append(invalid(f"{path}[{k}]", raw[k], str(e)))
    return out


def _quantity_value(resource: str, q: Quantity, path: str) -> list[FieldError]:
    """ValidateResourceQuantityValue: non-negative; whole numbers for counted resources."""
    errs = []
    if q.value < 0:
        errs.append(invalid(path, q.canonical(), _NEGATIVE))
    if resource in _INTEGER and q.milli_value() % 1000 != 0:
        errs.append(invalid(path, _q(q), _NOT_INTEGER))
    return errs


# -- LimitRange ---------------------------------------------------------------------

def limit_range(obj: dict) -> list[FieldError]:
    """ValidateLimitRange (after SetDefaults_LimitRangeItem)."""
    errs: list[FieldError] = []
    limits = _dict(obj, "spec").get("limits")
    if not isinstance(limits, list):
        return [invalid("spec.limits", limits, "must be a list")] if limits is not None else []
    seen: set = set()
    for i, item in enumerate(limits):
        p = f"spec.limits[{i}]"
        if not isinstance(item, dict):
            errs.append(invalid(p, item, "must be an object"))
            continue
        kind = item.get("type")
        kind = kind if isinstance(kind, str) else ""
        type_errs = _qualified(kind, f"{p}.type")
        if not type_errs and "/" not in kind and kind not in _LIMIT_TYPES:
            type_errs.append(invalid(f"{p}.type", kind, "must be a standard limit type or fully qualified"))
        errs += type_errs
        if kind in seen:
            errs.append(duplicate(f"{p}.type", kind))
        seen.add(kind)
        fields = ["max", "min"] + (["default", "defaultRequest"] if kind != "Pod" else []) + ["maxLimitRequestRatio"]
        if kind == "Pod":
            for f in ("default", "defaultRequest"):
                if item.get(f):
                    errs.append(forbidden(f"{p}.{f}", "may not be specified when `type` is 'Pod'"))
        vals: dict[str, dict[str, Quantity]] = {}
        for f in fields:
            vals[f] = _quantities(item.get(f), f"{p}.{f}", errs)
            name_rule = _container_resource_name if kind in ("Pod", "Container") else _resource_name
            for k in vals[f]:
                errs += name_rule(k, f"{p}.{f}[{k}]")
        if kind == "PersistentVolumeClaim" and "storage" not in vals["min"] and "storage" not in vals["max"]:
            errs.append(required(f"{p}.limits", "either minimum or maximum storage value is required, "
                                                "but neither was provided"))
        errs += _limit_relations(p, vals)
    return errs


def _limit_relations(p: str, vals: dict[str, dict[str, Quantity]]) -> list[FieldError]:
    errs: list[FieldError] = []
    mn, mx, df = vals["min"], vals["max"], vals.get("default", {})
    dr, ratio = vals.get("defaultRequest", {}), vals["maxLimitRequestRatio"]
    for k in sorted(set().union(*vals.values())):
        lo, hi, d, r, rt = mn.get(k), mx.get(k), df.get(k), dr.get(k), ratio.get(k)
        if lo is not None and hi is not None and lo.value > hi.value:
            errs.append(invalid(f"{p}.min[{k}]", _q(lo), f"min value {lo} is greater than max value {hi}"))
        if r is not None and lo is not None and lo.value > r.value:
            errs.append(invalid(f"{p}.defaultRequest[{k}]", _q(r),
                                f"min value {lo} is greater than default request value {r}"))
        if r is not None and hi is not None and r.value > hi.value:
            errs.append(invalid(f"{p}.defaultRequest[{k}]", _q(r),
                                f"default request value {r} is greater than max value {hi}"))
        if r is not None and d is not None and r.value > d.value:
            errs.append(invalid(f"{p}.defaultRequest[{k}]", _q(r),
                                f"default request value {r} is greater than default limit value {d}"))
        if d is not None and lo is not None and lo.value > d.value:
            errs.append(invalid(f"{p}.default[{k}]", _q(lo), f"min value {lo} is greater than default value {d}"))
        if d is not None and hi is not None and d.value > hi.value:
            errs.append(invalid(f"{p}.default[{k}]", _q(hi), f"default value {d} is greater than max value {hi}"))
        if rt is not None and rt.value < 1:
            errs.append(invalid(f"{p}.maxLimitRequestRatio[{k}]", _q(rt), f"ratio {rt} is less than 1"))
        if rt is not None and lo is not None and hi is not None and lo.value > 0:
            bound = hi.value / lo.value
            if rt.value > bound:
                errs.append(invalid(f"{p}.maxLimitRequestRatio[{k}]", _q(rt),
                                    f"ratio {rt} is greater than max/min = {float(bound):f}"))
        overcommit = ("/" not in k or "kubernetes.io/" in k) and not k.startswith("hugepages-")
        if not overcommit and d is not None and r is not None and d.value != r.value:
            errs.append(invalid(f"{p}.defaultRequest[{k}]", _q(r),
                                f"default value {d} must equal to defaultRequest value {r} in {k}"))
    return errs


# -- ResourceQuota ------------------------------------------------------------------

def _quota_list(raw: object, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for k, q in _quantities(raw, path, errs).items():
        p = f"{path}[{k}]"
        name_errs = _resource_name(k, p)
        if not name_errs and "/" not in k and k not in _STANDARD_QUOTA and \
                not k.startswith(("hugepages-", "requests.hugepages-")):
            name_errs.append(invalid(p, k, "must be a standard resource for quota"))
        errs += name_errs + _quantity_value(k, q, p)
    return errs


def _scope_valid_for(scope: str, resource: str) -> bool:
    """IsResourceQuotaScopeValidForResource."""
    if scope in ("Terminating", "NotTerminating", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"):
        return resource in _POD_COUNT or resource in _POD_COMPUTE
    if scope == "BestEffort":
        return resource in _POD_COUNT
    if scope == "VolumeAttributesClass":
        return resource in ("persistentvolumeclaims", "requests.storage")
    return True


def _standard_hard(spec: dict) -> list[str]:
    hard = spec.get("hard") if isinstance(spec.get("hard"), dict) else {}
    return sorted(k for k in hard if isinstance(k, str) and (k in _STANDARD_QUOTA or
                                                             k.startswith(("hugepages-", "requests.hugepages-"))))


def _conflicting(names: set) -> bool:
    return {"BestEffort", "NotBestEffort"} <= names or {"Terminating", "NotTerminating"} <= names


def resource_quota(obj: dict) -> list[FieldError]:
    """ValidateResourceQuota: spec.hard, spec.scopes, spec.scopeSelector and status."""
    spec = _dict(obj, "spec")
    errs = _quota_list(spec.get("hard"), "spec.hard")
    scopes = [s for s in spec.get("scopes") or () if isinstance(s, str)] if isinstance(spec.get("scopes"), list) else []
    shown = _go_strings("core.ResourceQuotaScope", scopes)
    hard = _standard_hard(spec)
    for s in scopes:
        if s not in _SCOPES:
            errs.append(invalid("spec.scopes", shown, "unsupported scope"))
        errs += [invalid("spec.scopes", shown, "unsupported scope applied to resource")
                 for k in hard if not _scope_valid_for(s, k)]
    if _conflicting(set(scopes)):
        errs.append(invalid("spec.scopes", shown, "conflicting scopes"))
    errs += _scope_selector(spec, hard, shown)
    status = _dict(obj, "status")
    errs += _quota_list(status.get("hard"), "status.hard") + _quota_list(status.get("used"), "status.used")
    return errs


def _scope_selector(spec: dict, hard: list[str], scopes_shown: GoValue) -> list[FieldError]:
    sel = spec.get("scopeSelector")
    if not isinstance(sel, dict):
        return []
    p = "spec.scopeSelector.matchExpressions"
    exprs = [e for e in sel.get("matchExpressions") or () if isinstance(e, dict)]
    errs: list[FieldError] = []
    names = set()
    for e in exprs:
        name, op = e.get("scopeName"), e.get("operator")
        values = e.get("values") if isinstance(e.get("values"), list) else []
        if name not in _SCOPES:
            errs.append(invalid(f"{p}.scopeName", name, "unsupported scope"))
        errs += [invalid(p, GoValue("&core.ScopeSelector{...}"), "unsupported scope applied to resource")
                 for k in hard if not _scope_valid_for(str(name), k)]
        if name in ("BestEffort", "NotBestEffort", "Terminating", "NotTerminating") and op != "Exists":
            errs.append(invalid(f"{p}.operator", op, "must be 'Exist' only operator when scope is any of "
                                "ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, "
                                "ResourceQuotaScopeBestEffort and ResourceQuotaScopeNotBestEffort"))
        if op in ("In", "NotIn"):
            if not values:
                errs.append(required(f"{p}.values", "must be at least one value when `operator` is 'In' or "
                                                    "'NotIn' for scope selector"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(invalid(f"{p}.values", _go_strings("string", values),
                                    "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"))
        else:
            errs.append(invalid(f"{p}.operator", op, "not a valid selector operator"))
        names.add(name)
    if _conflicting(names):
        errs.append(invalid(p, scopes_shown, "conflicting scopes"))
    return errs


def resource_quota_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateResourceQuotaUpdate: the spec is revalidated; ``spec.scopes`` is immutable."""
    errs = resource_quota({"spec": _dict(new, "spec")})
    new_scopes = _dict(new, "spec").get("scopes") or []
    old_scopes = _dict(old, "spec").get("scopes") or []
    if isinstance(new_scopes, list) and isinstance(old_scopes, list) and \
            set(map(str, new_scopes)) != set(map(str, old_scopes)):
        errs.append(invalid("spec.scopes", _go_strings("core.ResourceQuotaScope", new_scopes), _IMMUTABLE))
    return errs


def resource_quota_status_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateResourceQuotaStatusUpdate: a resourceVersion is required (it is a
    compare-and-swap), and status.hard/used must be valid quota lists."""
    errs: list[FieldError] = []
    if not (new.get("metadata") or {}).get("resourceVersion"):
        errs.append(required("resourceVersion", ""))
    status = _dict(new, "status")
    return errs + _quota_list(status.get("hard"), "status.hard") + _quota_list(status.get("used"), "status.used")


# -- StorageClass (pkg/apis/storage/validation/validation.go) -------------------------

def storage_class(obj: dict) -> list[FieldError]:
    """ValidateStorageClass (after SetDefaults_StorageClass)."""
    errs: list[FieldError] = []
    prov = obj.get("provisioner")
    if not isinstance(prov, str) or not prov:
        errs.append(required("provisioner", ""))
    else:
        errs += _qualified(prov.lower(), "provisioner")
    params = obj.get("parameters")
    if isinstance(params, dict):
        if len(params) > _MAX_PARAMS:
            errs.append(too_long("parameters", _MAX_PARAMS))
        else:
            errs += [invalid("parameters", k, "field can not be empty.") for k in params if k == ""]
            if sum(len(str(k)) + len(str(v)) for k, v in params.items()) > _MAX_PARAMS_SIZE:
                errs.append(too_long("parameters", _MAX_PARAMS_SIZE))
    policy = obj.get("reclaimPolicy")
    if policy and policy not in _RECLAIM:
        errs.append(not_supported("reclaimPolicy", policy, _RECLAIM))
    mode = obj.get("volumeBindingMode")
    if mode is None:
        errs.append(required("volumeBindingMode", ""))
    elif mode not in _BINDING_MODES:
        errs.append(not_supported("volumeBindingMode", mode, _BINDING_MODES))
    return errs


def storage_class_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateStorageClassUpdate: parameters, provisioner, reclaimPolicy and
    volumeBindingMode are fixed at creation."""
    errs = storage_class(new)
    if (new.get("parameters") or {}) != (old.get("parameters") or {}):
        errs.append(forbidden("parameters", "updates to parameters are forbidden."))
    if new.get("provisioner") != old.get("provisioner"):
        errs.append(forbidden("provisioner", "updates to provisioner are forbidden."))
    if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
        errs.append(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    if new.get("volumeBindingMode") != old.get("volumeBindingMode"):
        errs.append(invalid("volumeBindingMode", new.get("volumeBindingMode"), _IMMUTABLE))
    return errs


# -- PersistentVolumeClaim ------------------------------------------------------------

def persistent_volume_claim(obj: dict) -> list[FieldError]:
    """ValidatePersistentVolumeClaimSpec (access modes, storage request, class name,
    volume mode). Selectors and data sources are not checked here."""
    spec = _dict(obj, "spec")
    errs: list[FieldError] = []
    modes = spec.get("accessModes") if isinstance(spec.get("accessModes"), list) else []
    if not modes:
        errs.append(required("spec.accessModes", "at least 1 access mode is required"))
    errs += [not_supported("spec.accessModes", m, _ACCESS_MODES) for m in modes if m not in _ACCESS_MODES]
    if "ReadWriteOncePod" in modes and any(m != "ReadWriteOncePod" and m in _ACCESS_MODES for m in modes):
        errs.append(forbidden("spec.accessModes", "may not use ReadWriteOncePod with other access modes"))
    requests = _dict(_dict(spec, "resources"), "requests")
    if "storage" not in requests:
        errs.append(required("spec.resources[storage]", ""))
    else:
        storage = _quantities({"storage": requests["storage"]}, "spec.resources", errs).get("storage")
        if storage is not None and storage.value <= 0:
            errs.append(invalid("spec.resources[storage]", storage.canonical(), _NOT_POSITIVE))
    cls = spec.get("storageClassName")
    if isinstance(cls, str) and cls:
        errs += [invalid("spec.storageClassName", cls, m) for m in is_dns1123_subdomain(cls)]
    mode = spec.get("volumeMode")
    if mode is not None and mode not in _VOLUME_MODES:
        errs.append(not_supported("spec.volumeMode", mode, _VOLUME_MODES))
    return errs


def persistent_volume_claim_update(new: dict, old: dict) -> list[FieldError]:
    """ValidatePersistentVolumeClaimUpdate: only ``resources.requests`` of a bound claim
    (and a first ``volumeName``) may change, and storage may not shrink to or below
    ``status.capacity``. Upstream appends a Go ``cmp.Diff`` of the specs to the message;
    here the changed top-level fields are listed instead."""
    errs = persistent_volume_claim(new)
    ns, os_ = dict(_dict(new, "spec")), dict(_dict(old, "spec"))
    if not os_.get("volumeName"):
        os_["volumeName"] = ns.get("volumeName")
    bound = _dict(new, "status").get("phase") == "Bound"
    if bound:
        for spec in (ns, os_):
            spec["resources"] = {k: v for k, v in _dict(spec, "resources").items() if k != "requests"}
    changed = sorted(k for k in set(ns) | set(os_) if ns.get(k) != os_.get(k))
    if changed:
        errs.append(forbidden("spec", "spec is immutable after creation except resources.requests and "
                                      "volumeAttributesClassName for bound claims\n  changed: " + ", ".join(changed)))
    new_size = _storage(new)
    if new_size is not None and new_size < (_storage(old) or new_size):
        capacity = parse_quantity_or_none(_dict(_dict(old, "status"), "capacity").get("storage"))
        if new_size <= (capacity.value if capacity is not None else 0):
            errs.append(forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"))
    return errs


def parse_quantity_or_none(raw: object) -> Quantity | None:
    try:
        return parse_quantity(raw)  # type: ignore[arg-type]
    except (QuantityError, TypeError, ValueError, OverflowError):
        return None


def _storage(pvc: dict) -> object:
    q = parse_quantity_or_none(_dict(_dict(_dict(pvc, "spec"), "resources"), "requests").get("storage"))
    return None if q is None else q.value


__all__ = ["limit_range", "resource_quota", "resource_quota_update", "resource_quota_status_update",
           "storage_class", "storage_class_update", "persistent_volume_claim", "persistent_volume_claim_update"]
