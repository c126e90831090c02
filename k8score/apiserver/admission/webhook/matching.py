"""Which webhooks a request calls (webhook/generic/webhook.go ``ShouldCallHook`` and
webhook/predicates/{rules,namespace,object}).

Webhooks come from the stored Mutating/ValidatingWebhookConfigurations, configurations in
name order and each configuration's webhooks in their order (configuration/
mutating_webhook_manager.go sorts by name). A webhook is called when

- its ``namespaceSelector`` matches the labels of the request's namespace (cluster-scoped
  requests other than namespaces always match; a Namespace's own labels on its create/update);
- its ``objectSelector`` matches the labels of the new or the old object;
- one of its ``rules`` matches: operation, API group, version, resource (``pods``,
  ``pods/status``, ``*/status``, ``*``, ``*/*``) and scope (``Namespaced``, ``Cluster``, ``*``).

Not modelled: ``matchConditions`` (CEL) are not evaluated — a webhook with conditions is called
as if they all held; ``matchPolicy: Equivalent`` finds no equivalent resources, since each
resource here is served in one group/version only. Requests on the webhook configurations
themselves are exempt, as upstream (a broken webhook must not lock its own fix out).
"""

from __future__ import annotations

from dataclasses import dataclass

from ....api.errors import ApiError
from ....api.selectors import from_label_selector_dict

MUTATING, VALIDATING = "mutatingwebhookconfigurations", "validatingwebhookconfigurations"
# rules.IsExemptAdmissionConfigurationResource
_EXEMPT_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
                 "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
                 "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")


@dataclass(frozen=True)
class Hook:
    """One webhook of one configuration (webhook.WebhookAccessor)."""

    uid: str            # "<configuration>/<webhook>/<n>", n counts repeated names
    configuration: str
    spec: dict          # the webhook entry as stored (defaulted)

    @property
    def name(self) -> str:
        return str(self.spec.get("name", ""))

    def get(self, key: str, default=None):
        value = self.spec.get(key)
        return default if value is None else value


def hooks(lister, resource: str) -> list[Hook]:
    """Every webhook of every configuration of ``resource``, in call order."""
    configs = [c for c in lister.list(resource) if isinstance(c, dict)]
    configs.sort(key=lambda c: str((c.get("metadata") or {}).get("name", "")))
    out: list[Hook] = []
    for cfg in configs:
        cfg_name = str((cfg.get("metadata") or {}).get("name", ""))
        seen: dict[str, int] = {}
        for spec in cfg.get("webhooks") or ():
            if not isinstance(spec, dict):
                continue
            name = str(spec.get("name", ""))
            n = seen[name] = seen.get(name, -1) + 1
            out.append(Hook(f"{cfg_name}/{name}/{n}", cfg_name, spec))
    return out


def is_exempt(a) -> bool:
    return a.info.group == "admissionregistration.k8s.io" and a.info.kind in _EXEMPT_KINDS


# -- rules (predicates/rules/rules.go) ------------------------------------------------------
def _exact_or_wildcard(items: object, requested: str) -> bool:
    return isinstance(items, list) and any(i == "*" or i == requested for i in items)


def _scope_matches(rule: dict, a) -> bool:
    scope = rule.get("scope") or "*"
    is_namespace = a.info.group == "" and a.info.plural == "namespaces"
    if scope == "*":
        return True
    if scope == "Namespaced":
        return not is_namespace and bool(a.namespace)
    if scope == "Cluster":
        return is_namespace or not a.namespace
    return False


def _resource_matches(rule: dict, a) -> bool:
    sub = a.subresource or ""
    for entry in rule.get("resources") or ():
        if not isinstance(entry, str):
            continue
        res, _, rsub = entry.partition("/")
        if (res == "*" or res == a.info.plural) and (rsub == "*" or rsub == sub):
            return True
    return False


def rule_matches(rule: object, a) -> bool:
    """rules.Matcher.Matches."""
    if not isinstance(rule, dict):
        return False
    ops = rule.get("operations")
    return (_scope_matches(rule, a)
            and isinstance(ops, list) and any(op == "*" or op == a.operation for op in ops)
            and _exact_or_wildcard(rule.get("apiGroups"), a.info.group)
            and _exact_or_wildcard(rule.get("apiVersions"), a.info.version)
            and _resource_matches(rule, a))


# -- selectors (predicates/namespace, predicates/object) ------------------------------------
def _selector(hook: Hook, key: str):
    try:
        return from_label_selector_dict(hook.spec.get(key) or None)
    except (ApiError, AttributeError, TypeError) as err:
        raise ApiError.internal(str(err)) from None


def _labels(obj: object) -> dict:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def namespace_matches(hook: Hook, a, lister) -> bool:
    """MatchNamespaceSelector; raises ApiError (404 for a missing namespace)."""
    is_namespace = a.info.group == "" and a.info.plural == "namespaces"
    if not a.namespace and not is_namespace:
        return True  # cluster-scoped: never exempted
    selector = _selector(hook, "namespaceSelector")
    if not selector.requirements:
        return True
    if is_namespace and not a.subresource and a.operation in ("CREATE", "UPDATE"):
        labels = _labels(a.obj)  # the namespace being written is not in the cache yet
    else:
        ns_name = a.namespace or a.name or ""
        ns = lister.get("namespaces", ns_name)
        if ns is None:
            raise ApiError.not_found("namespaces", ns_name)
        labels = _labels(ns)
    return selector.matches(labels)


def object_matches(hook: Hook, a) -> bool:
    """MatchObjectSelector: the new or the old object's labels."""
    selector = _selector(hook, "objectSelector")
    if not selector.requirements:
        return True
    return any(isinstance(o, dict) and selector.matches(_labels(o)) for o in (a.obj, a.old))


def should_call(hook: Hook, a, lister) -> bool:
    """ShouldCallHook: selectors, then rules; a selector error counts only if a rule matches."""
    ns_err = obj_err = None
    try:
        if not namespace_matches(hook, a, lister):
            return False
    except ApiError as err:
        ns_err = err
    try:
        if not object_matches(hook, a):
            return False
    except ApiError as err:
        obj_err = err
    if not any(rule_matches(r, a) for r in hook.get("rules", [])):
        return False
    if ns_err is not None:
        raise ns_err
    if obj_err is not None:
        raise obj_err
    return True
