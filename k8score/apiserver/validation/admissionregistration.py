"""Mutating/ValidatingWebhookConfiguration: defaulting (pkg/apis/admissionregistration/v1/
defaults.go) and validation (pkg/apis/admissionregistration/validation/validation.go,
k8s.io/apiserver/pkg/util/webhook/validation.go).

The validators check the ``webhooks`` list (ObjectMeta is the generic validator's) and
return :class:`~k8score.api.field.FieldError` s with upstream's paths and texts::

    webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun
    webhooks[0].name: Invalid value: "hook": should be a domain with at least three segments separated by dots

>>> cfg = {"webhooks": [{"name": "pod-policy.example.com", "sideEffects": "None",
...        "admissionReviewVersions": ["v1"], "clientConfig": {"service": {"namespace": "default",
...        "name": "pod-policy", "path": "/mutate"}},
...        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
...                   "resources": ["pods"]}]}]}
>>> default_mutating_webhook_configuration(cfg); mutating_webhook_configuration(cfg)
[]
>>> hook = cfg["webhooks"][0]
>>> hook["failurePolicy"], hook["timeoutSeconds"], hook["clientConfig"]["service"]["port"]
('Fail', 10, 443)
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from ...api.field import FieldError, GoValue, duplicate, forbidden, invalid, not_supported, required
from . import meta
from .names import inclusive_range_error, is_dns1035_label, is_dns1123_subdomain, is_label_key, is_label_value

# validation.go sets, in sets.String.List() (sorted) order
FAILURE_POLICIES = ["Fail", "Ignore"]
MATCH_POLICIES = ["Equivalent", "Exact"]
SIDE_EFFECTS = ["None", "NoneOnDryRun", "Some", "Unknown"]      # supportedSideEffectClasses
NO_SIDE_EFFECTS = ["None", "NoneOnDryRun"]                      # noSideEffectClasses
OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
REINVOCATION_POLICIES = ["IfNeeded", "Never"]
SCOPES = ["*", "Cluster", "Namespaced"]
ACCEPTED_REVIEW_VERSIONS = ["v1", "v1beta1"]  # AcceptedAdmissionReviewVersions
# defaults.go (v1)
DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_SERVICE_PORT = 443
_URL_FORM = "; desired format: https://host[/path]"


# -- defaulting --------------------------------------------------------------------------
def _default_webhook(hook: dict, mutating: bool) -> None:
    hook.setdefault("failurePolicy", "Fail")
    hook.setdefault("matchPolicy", "Equivalent")
    hook.setdefault("namespaceSelector", {})
    hook.setdefault("objectSelector", {})
    hook.setdefault("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
    if mutating:
        hook.setdefault("reinvocationPolicy", "Never")
    for rule in hook.get("rules") or ():
        if isinstance(rule, dict):
            rule.setdefault("scope", "*")  # SetDefaults_Rule: AllScopes
    svc = (hook.get("clientConfig") or {}).get("service") if isinstance(hook.get("clientConfig"), dict) else None
    if isinstance(svc, dict):
        svc.setdefault("port", DEFAULT_SERVICE_PORT)  # SetDefaults_ServiceReference


def _default(obj: dict, mutating: bool) -> None:
    hooks = obj.get("webhooks")
    for hook in hooks if isinstance(hooks, list) else ():
        if isinstance(hook, dict):
            _default_webhook(hook, mutating)


def default_mutating_webhook_configuration(obj: dict) -> None:
    """SetDefaults_MutatingWebhook for each webhook (sideEffects is required, not defaulted)."""
    _default(obj, True)


def default_validating_webhook_configuration(obj: dict) -> None:
    """SetDefaults_ValidatingWebhook for each webhook."""
    _default(obj, False)


# -- helpers -----------------------------------------------------------------------------
def _go_strings(values: list, type_name: str = "string") -> GoValue:
    # field.Invalid prints a slice with %#v: []string{"*", "x"}
    return GoValue(f"[]{type_name}{{" + ", ".join(json.dumps(v) for v in values) + "}")


def _strings(value: object) -> list | None:
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def fully_qualified_name(path: str, name: object) -> list[FieldError]:
    """utilvalidation.IsFullyQualifiedName: a DNS subdomain with at least three segments."""
    if not name:
        return [required(path, "")]
    if not isinstance(name, str):
        return [invalid(path, name, "must be a string")]
    errs = is_dns1123_subdomain(name)
    if errs:
        return [invalid(path, name, ",".join(errs))]
    if len(name.split(".")) < 3:
        return [invalid(path, name, "should be a domain with at least three segments separated by dots")]
    return []


def label_selector(sel: object, path: str) -> list[FieldError]:
    """metav1validation.ValidateLabelSelector (invalid label values not allowed)."""
    if sel is None:
        return []
    if not isinstance(sel, dict):
        return [invalid(path, sel, "must be a label selector object")]
    errs = meta.labels(sel.get("matchLabels"), f"{path}.matchLabels")
    exprs = sel.get("matchExpressions") or []
    if not isinstance(exprs, list):
        return errs + [invalid(f"{path}.matchExpressions", exprs, "must be a list")]
    for i, expr in enumerate(exprs):
        p = f"{path}.matchExpressions[{i}]"
        if not isinstance(expr, dict):
            errs.append(invalid(p, expr, "must be a label selector requirement"))
            continue
        op, values = expr.get("operator"), expr.get("values") or []
        if not isinstance(values, list):
            errs.append(invalid(f"{p}.values", values, "must be a list of strings"))
            values = []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(forbidden(f"{p}.values",
                                      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errs.append(invalid(f"{p}.operator", op, "not a valid selector operator"))
        key = expr.get("key")
        for msg in is_label_key(key) if isinstance(key, str) else ["must be a string"]:
            errs.append(invalid(f"{p}.key", key, msg))
        for j, v in enumerate(values):
            for msg in is_label_value(v) if isinstance(v, str) else ["must be a string"]:
                errs.append(invalid(f"{p}.values[{j}]", v, msg))
    return errs


# -- rules ---------------------------------------------------------------------------------
def _resources(resources: list, path: str) -> list[FieldError]:
    """validateResources: ``x``, ``x/y``, ``x/*``, ``*/y``, ``*``, ``*/*`` without overlaps."""
    errs: list[FieldError] = []
    if not resources:
        errs.append(required(path, ""))
    with_wild_sub: set[str] = set()
    with_wild_res: set[str] = set()
    double = single = plain = False
    for i, res_sub in enumerate(resources):
        if res_sub == "":
            errs.append(required(f"{path}[{i}]", ""))
            continue
        double |= res_sub == "*/*"
        single |= res_sub == "*"
        res, slash, sub = res_sub.partition("/")
        if not slash:
            plain = res_sub != "*"  # upstream keeps the last entry's answer
            continue
        if res in with_wild_sub:
            errs.append(invalid(f"{path}[{i}]", res_sub, f"if '{res}/*' is present, must not specify {res_sub}"))
        if sub in with_wild_res:
            errs.append(invalid(f"{path}[{i}]", res_sub, f"if '*/{sub}' is present, must not specify {res_sub}"))
        if sub == "*":
            with_wild_sub.add(res)
        if res == "*":
            with_wild_res.add(sub)
    if len(resources) > 1 and double:
        errs.append(invalid(path, _go_strings(resources), "if '*/*' is present, must not specify other resources"))
    if single and plain:
        errs.append(invalid(path, _go_strings(resources),
                            "if '*' is present, must not specify other resources without subresources"))
    return errs


def _string_list(rule: dict, key: str, path: str, errs: list[FieldError]) -> list[str]:
    value = rule.get(key)
    if value is None:
        return []
    if _strings(value) is None:
        errs.append(invalid(f"{path}.{key}", value, "must be a list of strings"))
        return []
    return value


def rule_with_operations(rule: object, path: str) -> list[FieldError]:
    """validateRuleWithOperations + validateRule (subresources allowed)."""
    if not isinstance(rule, dict):
        return [invalid(path, rule, "must be a rule object")]
    errs: list[FieldError] = []
    ops = _string_list(rule, "operations", path, errs)
    if not ops:
        errs.append(required(f"{path}.operations", ""))
    if len(ops) > 1 and "*" in ops:
        errs.append(invalid(f"{path}.operations", _go_strings(ops, "admissionregistration.OperationType"),
                            "if '*' is present, must not specify other operations"))
    for i, op in enumerate(ops):
        if op not in OPERATIONS:
            errs.append(not_supported(f"{path}.operations[{i}]", op, OPERATIONS))
    groups = _string_list(rule, "apiGroups", path, errs)
    if not groups:
        errs.append(required(f"{path}.apiGroups", ""))
    if len(groups) > 1 and "*" in groups:
        errs.append(invalid(f"{path}.apiGroups", _go_strings(groups),
                            "if '*' is present, must not specify other API groups"))
    versions = _string_list(rule, "apiVersions", path, errs)
    if not versions:
        errs.append(required(f"{path}.apiVersions", ""))
    if len(versions) > 1 and "*" in versions:
        errs.append(invalid(f"{path}.apiVersions", _go_strings(versions),
                            "if '*' is present, must not specify other API versions"))
    for i, v in enumerate(versions):
        if v == "":
            errs.append(required(f"{path}.apiVersions[{i}]", ""))
    errs += _resources(_string_list(rule, "resources", path, errs), f"{path}.resources")
    scope = rule.get("scope")
    if scope is not None and scope not in SCOPES:
        errs.append(not_supported(f"{path}.scope", scope, SCOPES))
    return errs


# -- client config -------------------------------------------------------------------------
def webhook_url(path: str, url: object) -> list[FieldError]:
    """ValidateWebhookURL with forceHttps."""
    if not isinstance(url, str):
        return [invalid(path, url, "must be a string")]
    try:
        u = urlsplit(url)
        u.port  # noqa: B018 - raises on a bad port, as url.Parse does
    except ValueError as err:
        return [required(path, f"url must be a valid URL: {err}{_URL_FORM}")]
    errs: list[FieldError] = []
    if u.scheme != "https":
        errs.append(invalid(path, u.scheme, "'https' is the only allowed URL scheme" + _URL_FORM))
    host = u.netloc.rpartition("@")[2]
    if not host:
        errs.append(invalid(path, host, "host must be provided" + _URL_FORM))
    if "@" in u.netloc:
        errs.append(invalid(path, u.netloc.rpartition("@")[0], "user information is not permitted in the URL"))
    if u.fragment:
        errs.append(invalid(path, u.fragment, "fragments are not permitted in the URL"))
    if u.query:
        errs.append(invalid(path, u.query, "query parameters are not permitted in the URL"))
    return errs


def webhook_service(path: str, svc: dict) -> list[FieldError]:
    """ValidateWebhookService: name, namespace, port 1-65535, path of DNS-subdomain segments."""
    errs: list[FieldError] = []
    if not svc.get("name"):
        errs.append(required(f"{path}.name", "service name is required"))
    if not svc.get("namespace"):
        errs.append(required(f"{path}.namespace", "service namespace is required"))
    port = svc.get("port", DEFAULT_SERVICE_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        errs.append(invalid(f"{path}.port", port, "port is not valid: " + inclusive_range_error(1, 65535)))
    url_path = svc.get("path")
    if url_path is None or url_path in ("", "/"):
        return errs
    if not isinstance(url_path, str):
        return errs + [invalid(f"{path}.path", url_path, "must be a string")]
    if url_path == "//":
        return errs + [invalid(f"{path}.path", url_path, "segment[0] may not be empty")]
    if not url_path.startswith("/"):
        errs.append(invalid(f"{path}.path", url_path, "must start with a '/'"))
    check = url_path[1:]
    if check.endswith("/"):
        check = check[:-1]
    for i, step in enumerate(check.split("/")):
        if not step:
            errs.append(invalid(f"{path}.path", url_path, f"segment[{i}] may not be empty"))
            continue
        for failure in is_dns1123_subdomain(step):
            errs.append(invalid(f"{path}.path", url_path, f"segment[{i}]: {failure}"))
    return errs


def _client_config(cc: object, path: str) -> list[FieldError]:
    cc = cc if isinstance(cc, dict) else {}
    url, svc = cc.get("url"), cc.get("service")
    if (url is None) == (svc is None):
        return [required(path, "exactly one of url or service is required")]
    if url is not None:
        return webhook_url(f"{path}.url", url)
    if not isinstance(svc, dict):
        return [invalid(f"{path}.service", svc, "must be a service reference")]
    return webhook_service(f"{path}.service", svc)


# -- webhooks --------------------------------------------------------------------------------
def _review_versions(versions: object, path: str, require_recognized: bool) -> list[FieldError]:
    """validateAdmissionReviewVersions."""
    if not versions:
        return [required(path, "must specify one of " + ", ".join(ACCEPTED_REVIEW_VERSIONS))]
    if _strings(versions) is None:
        return [invalid(path, versions, "must be a list of strings")]
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, v in enumerate(versions):
        if v in seen:
            errs.append(invalid(f"{path}[{i}]", v, "duplicate version"))
            continue
        seen.add(v)
        errs += [invalid(f"{path}[{i}]", v, msg) for msg in is_dns1035_label(v)]
    if require_recognized and not seen & set(ACCEPTED_REVIEW_VERSIONS):
        errs.append(invalid(path, _go_strings(versions),
                            "must include at least one of " + ", ".join(ACCEPTED_REVIEW_VERSIONS)))
    return errs


def _webhook(hook: dict, path: str, mutating: bool, opts: dict) -> list[FieldError]:
    """validateMutatingWebhook / validateValidatingWebhook (matchConditions' CEL is not compiled)."""
    errs = fully_qualified_name(f"{path}.name", hook.get("name"))
    rules = hook.get("rules") or []
    if not isinstance(rules, list):
        errs.append(invalid(f"{path}.rules", rules, "must be a list of rules"))
        rules = []
    for i, rule in enumerate(rules):
        errs += rule_with_operations(rule, f"{path}.rules[{i}]")
    for key, allowed in (("failurePolicy", FAILURE_POLICIES), ("matchPolicy", MATCH_POLICIES)):
        if hook.get(key) is not None and hook[key] not in allowed:
            errs.append(not_supported(f"{path}.{key}", hook[key], allowed))
    allowed = NO_SIDE_EFFECTS if opts["require_no_side_effects"] else SIDE_EFFECTS
    if hook.get("sideEffects") is None:
        errs.append(required(f"{path}.sideEffects", "must specify one of " + ", ".join(allowed)))
    elif hook["sideEffects"] not in allowed:
        errs.append(not_supported(f"{path}.sideEffects", hook["sideEffects"], allowed))
    timeout = hook.get("timeoutSeconds")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 30):
        errs.append(invalid(f"{path}.timeoutSeconds", timeout, "the timeout value must be between 1 and 30 seconds"))
    for key in ("namespaceSelector", "objectSelector"):
        errs += label_selector(hook.get(key), f"{path}.{key}")
    if mutating and hook.get("reinvocationPolicy") is not None \
            and hook["reinvocationPolicy"] not in REINVOCATION_POLICIES:
        errs.append(not_supported(f"{path}.reinvocationPolicy", hook["reinvocationPolicy"], REINVOCATION_POLICIES))
    errs += _client_config(hook.get("clientConfig"), f"{path}.clientConfig")
    conditions = hook.get("matchConditions")
    if conditions is not None and not isinstance(conditions, list):
        errs.append(invalid(f"{path}.matchConditions", conditions, "must be a list"))
    return errs


def _configuration(obj: dict, mutating: bool, opts: dict) -> list[FieldError]:
    hooks = obj.get("webhooks")
    if hooks is None:
        return []
    if not isinstance(hooks, list):
        return [invalid("webhooks", hooks, "must be a list of webhooks")]
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, hook in enumerate(hooks):
        path = f"webhooks[{i}]"
        if not isinstance(hook, dict):
            errs.append(invalid(path, hook, "must be a webhook object"))
            continue
        errs += _webhook(hook, path, mutating, opts)
        errs += _review_versions(hook.get("admissionReviewVersions"), f"{path}.admissionReviewVersions",
                                 opts["require_recognized_version"])
        name = hook.get("name")
        if opts["require_unique_names"] and isinstance(name, str) and name:
            if name in names:
                errs.append(duplicate(f"{path}.name", name))
            names.add(name)
    return errs


_CREATE_OPTS = {"require_no_side_effects": True, "require_recognized_version": True, "require_unique_names": True}


def _update_opts(old: dict) -> dict:
    """The Validate*Update relaxations: what an old object already broke may stay broken."""
    hooks = [h for h in old.get("webhooks") or () if isinstance(h, dict)] \
        if isinstance(old.get("webhooks"), list) else []
    names = [h.get("name") for h in hooks]
    return {
        "require_no_side_effects": all(h.get("sideEffects") in NO_SIDE_EFFECTS for h in hooks),
        "require_recognized_version": all(
            not h.get("admissionReviewVersions")
            or bool(set(_strings(h["admissionReviewVersions"]) or ()) & set(ACCEPTED_REVIEW_VERSIONS))
            for h in hooks),
        "require_unique_names": len(names) == len(set(map(str, names))),
    }


def mutating_webhook_configuration(obj: dict) -> list[FieldError]:
    """ValidateMutatingWebhookConfiguration (ObjectMeta aside)."""
    return _configuration(obj, True, _CREATE_OPTS)


def validating_webhook_configuration(obj: dict) -> list[FieldError]:
    """ValidateValidatingWebhookConfiguration (ObjectMeta aside)."""
    return _configuration(obj, False, _CREATE_OPTS)


def mutating_webhook_configuration_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateMutatingWebhookConfigurationUpdate."""
    return _configuration(new, True, _update_opts(old))


def validating_webhook_configuration_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateValidatingWebhookConfigurationUpdate."""
    return _configuration(new, False, _update_opts(old))
