"""``kubectl create role|clusterrole|rolebinding|clusterrolebinding|serviceaccount``.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/create_role.go (verbs, ``resource.group``
and ``resource/subresource`` parsing, the special verbs, one rule per API group in sorted
group order), create_clusterrole.go (``--non-resource-url``, ``--aggregation-rule``),
create_rolebinding.go, create_clusterrolebinding.go, create_serviceaccount.go.

Resource names go through the server's discovery (the RESTMapper): ``deploy`` becomes
``deployments`` in group ``apps``; a name discovery does not know is kept as written, and is
an error only where the verbs need a specific resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..client import ApiError
from .args import Args, CommandError
from .create_common import array_flag, emit, last, meta, name_arg, namespace, slice_flag, usage_error

if TYPE_CHECKING:
    from .kubectl import Kubectl

RBAC_GROUP = "rbac.authorization.k8s.io"
#: create_role.go validResourceVerbs
VALID_RESOURCE_VERBS = ("*", "get", "delete", "list", "create", "update", "patch", "watch", "proxy",
                        "deletecollection", "use", "bind", "escalate", "impersonate")
#: create_clusterrole.go validNonResourceVerbs
VALID_NON_RESOURCE_VERBS = ("*", "get", "post", "put", "delete", "patch", "head", "options")
#: create_role.go specialVerbs: verbs that only make sense on these (group, resource)s
SPECIAL_VERBS = {
    "use": (("policy", "podsecuritypolicies"), ("extensions", "podsecuritypolicies")),
    "bind": ((RBAC_GROUP, "roles"), (RBAC_GROUP, "clusterroles")),
    "escalate": ((RBAC_GROUP, "roles"), (RBAC_GROUP, "clusterroles")),
    "impersonate": (("", "users"), ("", "serviceaccounts"), ("", "groups"),
                    ("authentication.k8s.io", "userextras")),
}


def _unique(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _verbs(args: Args) -> list[str]:
    """Complete: duplicates dropped; ``*`` stands for all."""
    verbs = slice_flag(args, "verb")
    return ["*"] if "*" in verbs else _unique(verbs)


def _resources(args: Args) -> list[tuple[str, str, str]]:
    """Complete: ``(resource, group, subresource)`` from ``resource[.group][/subresource]``; a bare
    ``*`` replaces all the others."""
    out = []
    for spec in slice_flag(args, "resource"):
        base, _, sub = spec.partition("/")
        resource, _, group = base.partition(".")
        if resource == "*" and "." not in base and "/" not in spec:
            return [("*", "", "")]
        out.append((resource, group, sub))
    return out


def _map(k: "Kubectl", resource: str, group: str) -> tuple[str, str, bool]:
    """mapper.ResourceFor: ``(resource, group, found)``, short names expanded by discovery."""
    try:
        info = k.client.resolve(f"{resource}.{group}" if group else resource)
    except ApiError:
        return resource, group, False
    return info.plural, info.group, True


def _validate_resources(k: "Kubectl", verbs: list[str], resources: list[tuple[str, str, str]]) -> None:
    """create_role.go validateResource."""
    for resource, group, _sub in resources:
        if not resource:
            raise CommandError("error: resource must be specified if apiGroup/subresource specified")
        if resource == "*":
            return
        plural, grp, found = _map(k, resource, group)
        for verb in verbs:
            if verb in SPECIAL_VERBS:
                if (grp, plural) not in SPECIAL_VERBS[verb]:
                    raise CommandError(f"error: can not perform '{verb}' on '{plural}' in group '{grp}'")
                found = True
        if not found:
            what = f"{resource}.{group}" if group else resource
            # the RESTMapper's error, which CheckErr prints without "error: "
            raise CommandError(f'the server doesn\'t have a resource type "{what}"')


def _rules(k: "Kubectl", verbs: list[str], resources: list[tuple[str, str, str]], names: list[str],
           urls: list[str]) -> list[dict]:
    """generateResourcePolicyRules: one rule per API group (groups sorted), then the URLs' rule."""
    by_group: dict[str, list[str]] = {}
    for resource, group, sub in resources:
        plural, grp, _ = _map(k, resource, group)
        if sub:
            plural += "/" + sub
        if plural not in by_group.setdefault(grp, []):
            by_group[grp].append(plural)
    rules = []
    for grp in sorted(by_group):
        # rbacv1.PolicyRule field order: verbs, apiGroups, resources, resourceNames, nonResourceURLs
        rule = {"verbs": verbs, "apiGroups": [grp], "resources": by_group[grp]}
        if names:
            rule["resourceNames"] = names
        rules.append(rule)
    if urls:
        rules.append({"verbs": verbs, "nonResourceURLs": urls})
    return rules


def role(k: "Kubectl", args: Args) -> None:
    """``kubectl create role NAME --verb=... --resource=... [--resource-name=...]``."""
    name = name_arg(args, 1, "create role")
    verbs, resources = _verbs(args), _resources(args)
    names = _unique(array_flag(args, "resource-name"))
    if not verbs:
        raise CommandError("error: at least one verb must be specified")
    for verb in verbs:
        if verb not in VALID_RESOURCE_VERBS:
            k.warn(f"Warning: '{verb}' is not a standard resource verb")
    if not resources:
        raise CommandError("error: at least one resource must be specified")
    _validate_resources(k, verbs, resources)
    ns, enforced = namespace(k, args)
    obj = {"kind": "Role", "apiVersion": f"{RBAC_GROUP}/v1", "metadata": meta(name, ns if enforced else ""),
           "rules": _rules(k, verbs, resources, names, [])}
    emit(k, args, k.resource("roles"), obj, ns, None)


def clusterrole(k: "Kubectl", args: Args) -> None:
    """``kubectl create clusterrole NAME (--verb --resource|--non-resource-url | --aggregation-rule)``."""
    urls = _unique(slice_flag(args, "non-resource-url"))
    name = name_arg(args, 1, "create clusterrole")
    verbs, resources = _verbs(args), _resources(args)
    names = _unique(array_flag(args, "resource-name"))
    aggregation = _map_flag(args, "aggregation-rule")
    if aggregation:
        if urls or verbs or resources or names:
            raise CommandError("error: aggregation rule must be specified without nonResourceURLs, verbs, "
                               "resources or resourceNames")
        obj = {"kind": "ClusterRole", "apiVersion": f"{RBAC_GROUP}/v1", "metadata": meta(name),
               "rules": None,   # a nil slice: json.Marshal prints null
               "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": dict(sorted(aggregation.items()))}]}}
        emit(k, args, k.resource("clusterroles"), obj, None, None)
        return
    if not verbs:
        raise CommandError("error: at least one verb must be specified")
    if not resources and not urls:
        raise CommandError("error: one of resource or nonResourceURL must be specified")
    if resources:
        for verb in verbs:
            if verb not in VALID_RESOURCE_VERBS:
                k.warn(f"Warning: '{verb}' is not a standard resource verb")
        _validate_resources(k, verbs, resources)
    if urls:
        for verb in verbs:
            if verb not in VALID_NON_RESOURCE_VERBS:
                raise CommandError(f"error: invalid verb: '{verb}' for nonResourceURL")
        for url in urls:
            if url == "*":
                continue
            if not url.startswith("/"):
                raise CommandError("error: nonResourceURL should start with /")
            if "*" in url[:-1]:
                raise CommandError("error: nonResourceURL only supports wildcard matches when '*' is at the end")
    obj = {"kind": "ClusterRole", "apiVersion": f"{RBAC_GROUP}/v1", "metadata": meta(name),
           "rules": _rules(k, verbs, resources, names, urls)}
    emit(k, args, k.resource("clusterroles"), obj, None, None)


def _map_flag(args: Args, flag: str) -> dict[str, str]:
    """cliflag.MapStringString: ``k=v,k2=v2``, every use merged."""
    out: dict[str, str] = {}
    for value in args.get(flag) or []:
        for pair in value.split(","):
            key, eq, v = pair.partition("=")
            if not eq:
                raise CommandError(f'error: invalid argument "{value}" for "--{flag}" flag: malformed pair, '
                                   f"expect string=string\nSee 'kubectl create clusterrole --help' for usage.")
            out[key.strip()] = v.strip()
    return out


def _subjects(args: Args) -> list[dict]:
    """Users, then groups, then ``namespace:name`` service accounts (rbacv1.Subject field order)."""
    out = [{"kind": "User", "apiGroup": RBAC_GROUP, "name": u} for u in array_flag(args, "user")]
    out += [{"kind": "Group", "apiGroup": RBAC_GROUP, "name": g} for g in array_flag(args, "group")]
    for sa in array_flag(args, "serviceaccount"):
        parts = sa.split(":")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise CommandError("error: serviceaccount must be <namespace>:<name>")
        out.append({"kind": "ServiceAccount", "name": parts[1], "namespace": parts[0]})
    return out


def rolebinding(k: "Kubectl", args: Args) -> None:
    """``kubectl create rolebinding NAME --clusterrole=X|--role=X [--user] [--group] [--serviceaccount]``."""
    name = name_arg(args, 1, "create rolebinding")
    cluster_role, role_name = last(args, "clusterrole"), last(args, "role")
    if bool(cluster_role) == bool(role_name):
        raise CommandError("error: exactly one of clusterrole or role must be specified")
    ns, enforced = namespace(k, args)
    obj = {"kind": "RoleBinding", "apiVersion": f"{RBAC_GROUP}/v1", "metadata": meta(name, ns if enforced else "")}
    subjects = _subjects(args)
    if subjects:
        obj["subjects"] = subjects
    obj["roleRef"] = {"apiGroup": RBAC_GROUP, "kind": "Role" if role_name else "ClusterRole",
                      "name": role_name or cluster_role}
    emit(k, args, k.resource("rolebindings"), obj, ns, "failed to create rolebinding: ")


def clusterrolebinding(k: "Kubectl", args: Args) -> None:
    """``kubectl create clusterrolebinding NAME --clusterrole=X [--user] [--group] [--serviceaccount]``."""
    if args.get("clusterrole") is None:   # cmd.MarkFlagRequired: checked before Run
        raise CommandError('error: required flag(s) "clusterrole" not set')
    name = name_arg(args, 1, "create clusterrolebinding")
    obj = {"kind": "ClusterRoleBinding", "apiVersion": f"{RBAC_GROUP}/v1", "metadata": meta(name)}
    subjects = _subjects(args)
    if subjects:
        obj["subjects"] = subjects
    obj["roleRef"] = {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": last(args, "clusterrole")}
    emit(k, args, k.resource("clusterrolebindings"), obj, None, "failed to create clusterrolebinding: ")


def serviceaccount(k: "Kubectl", args: Args) -> None:
    """``kubectl create serviceaccount NAME``."""
    name = name_arg(args, 1, "create serviceaccount")
    ns, enforced = namespace(k, args)
    obj = {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": meta(name, ns if enforced else "")}
    emit(k, args, k.resource("serviceaccounts"), obj, ns, "failed to create serviceaccount: ")


__all__ = ["RBAC_GROUP", "VALID_RESOURCE_VERBS", "VALID_NON_RESOURCE_VERBS", "SPECIAL_VERBS", "role",
           "clusterrole", "rolebinding", "clusterrolebinding", "serviceaccount", "usage_error"]
