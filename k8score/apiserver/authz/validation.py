"""Validation of Role, ClusterRole, RoleBinding and ClusterRoleBinding.

Upstream: pkg/apis/rbac/validation/validation.go (``ValidateRBACName``,
``ValidatePolicyRule``, ``ValidateRoleBindingSubject``, the ``Validate*`` and
``Validate*Update`` functions). Each returns a list of FieldError (empty: valid); the
registry turns it into the 422 (``Role.rbac.authorization.k8s.io "x" is invalid: ...``).
"""

from __future__ import annotations

from ...api.field import FieldError, GoValue, invalid, not_supported, required
from ..validation.meta import object_meta, object_meta_update
from ..validation.names import is_dns1123_subdomain

RBAC_GROUP = "rbac.authorization.k8s.io"


def rbac_name(name: str) -> list[str]:
    """path.IsValidPathSegmentName: RBAC names may hold ':' (``system:node``) but not
    path separators."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


def _list(obj: dict, key: str) -> list:
    v = obj.get(key)
    return v if isinstance(v, list) else []


def policy_rule(rule: object, namespaced: bool, path: str) -> list[FieldError]:
    if not isinstance(rule, dict):
        return [invalid(path, rule, "must be an object")]
    errs: list[FieldError] = []
    if not _list(rule, "verbs"):
        errs.append(required(f"{path}.verbs", "verbs must contain at least one value"))
    urls = _list(rule, "nonResourceURLs")
    if urls:
        if namespaced:
            errs.append(invalid(f"{path}.nonResourceURLs", urls, "namespaced rules cannot apply to non-resource URLs"))
        if _list(rule, "apiGroups") or _list(rule, "resources") or _list(rule, "resourceNames"):
            errs.append(invalid(f"{path}.nonResourceURLs", urls,
                                "rules cannot apply to both regular resources and non-resource URLs"))
        return errs
    if not _list(rule, "apiGroups"):
        errs.append(required(f"{path}.apiGroups", "resource rules must supply at least one api group"))
    if not _list(rule, "resources"):
        errs.append(required(f"{path}.resources", "resource rules must supply at least one resource"))
    return errs


def _rules(obj: dict, namespaced: bool) -> list[FieldError]:
    return [e for i, r in enumerate(_list(obj, "rules")) for e in policy_rule(r, namespaced, f"rules[{i}]")]


def role(obj: dict) -> list[FieldError]:
    return object_meta(obj.get("metadata") or {}, True, rbac_name) + _rules(obj, True)


def cluster_role(obj: dict) -> list[FieldError]:
    errs = object_meta(obj.get("metadata") or {}, False, rbac_name) + _rules(obj, False)
    agg = obj.get("aggregationRule")
    if agg is not None:
        sels = agg.get("clusterRoleSelectors") if isinstance(agg, dict) else None
        if not sels:
            errs.append(required("aggregationRule.clusterRoleSelectors",
                                 "at least one clusterRoleSelector required if aggregationRule is non-nil"))
    return errs


def subject(s: object, namespaced: bool, path: str) -> list[FieldError]:
    if not isinstance(s, dict):
        return [invalid(path, s, "must be an object")]
    errs: list[FieldError] = []
    name, kind, group = s.get("name") or "", s.get("kind"), s.get("apiGroup") or ""
    if not name:
        errs.append(required(f"{path}.name", ""))
    if kind == "ServiceAccount":
        if name:
            errs += [invalid(f"{path}.name", name, m) for m in is_dns1123_subdomain(str(name))]
        if group:
            errs.append(not_supported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not s.get("namespace"):
            errs.append(required(f"{path}.namespace", ""))
    elif kind in ("User", "Group"):
        if group != RBAC_GROUP:
            errs.append(not_supported(f"{path}.apiGroup", group, [RBAC_GROUP]))
    else:
        errs.append(not_supported(f"{path}.kind", kind, ["ServiceAccount", "User", "Group"]))
    return errs


def _binding(obj: dict, namespaced: bool) -> list[FieldError]:
    errs = object_meta(obj.get("metadata") or {}, namespaced, rbac_name)
    ref = obj.get("roleRef") if isinstance(obj.get("roleRef"), dict) else {}
    if ref.get("apiGroup") != RBAC_GROUP:
        errs.append(not_supported("roleRef.apiGroup", ref.get("apiGroup") or "", [RBAC_GROUP]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in kinds:
        errs.append(not_supported("roleRef.kind", ref.get("kind") or "", kinds))
    name = ref.get("name")
    if not name:
        errs.append(required("roleRef.name", ""))
    else:
        errs += [invalid("roleRef.name", name, m) for m in rbac_name(str(name))]
    errs += [e for i, s in enumerate(_list(obj, "subjects")) for e in subject(s, namespaced, f"subjects[{i}]")]
    return errs


def role_binding(obj: dict) -> list[FieldError]:
    return _binding(obj, True)


def cluster_role_binding(obj: dict) -> list[FieldError]:
    return _binding(obj, False)


def _roleref_update(new: dict, old: dict) -> list[FieldError]:
    nr, orf = new.get("roleRef") or {}, old.get("roleRef") or {}
    key = lambda r: (r.get("apiGroup") or "", r.get("kind") or "", r.get("name") or "")
    if key(nr) != key(orf):
        g, k, n = key(nr)
        shown = GoValue(f'rbac.RoleRef{{APIGroup:"{g}", Kind:"{k}", Name:"{n}"}}')
        return [invalid("roleRef", shown, "cannot change roleRef")]
    return []


def _meta_update(new: dict, old: dict) -> list[FieldError]:
    return object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})


def role_update(new: dict, old: dict) -> list[FieldError]:
    return role(new) + _meta_update(new, old)


def cluster_role_update(new: dict, old: dict) -> list[FieldError]:
    return cluster_role(new) + _meta_update(new, old)


def role_binding_update(new: dict, old: dict) -> list[FieldError]:
    return role_binding(new) + _meta_update(new, old) + _roleref_update(new, old)


def cluster_role_binding_update(new: dict, old: dict) -> list[FieldError]:
    return cluster_role_binding(new) + _meta_update(new, old) + _roleref_update(new, old)
