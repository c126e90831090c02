"""Ingress and IngressClass validation (networking.k8s.io/v1).

Upstream: pkg/apis/networking/validation/validation.go (``ValidateIngressCreate`` ->
``validateIngressSpec``, ``validateIngressRules``, ``validateHTTPIngressPath``,
``validateIngressBackend``, ``validateIngressTLS``; ``ValidateIngressClass``,
``validateIngressClassSpec``, ``validateIngressClassParametersReference``,
``validateIngressClassSpecUpdate``) and apimachinery/pkg/util/validation
(``IsWildcardDNS1123Subdomain``, ``IsDomainPrefixedPath``, ``IsValidPortNum``).

>>> [str(e) for e in ingress_spec({"rules": [{"host": "1.2.3.4", "http": {"paths": [
...     {"path": "/a//b", "pathType": "Prefix", "backend": {"service": {"name": "web"}}}]}}]})]
... # doctest: +NORMALIZE_WHITESPACE
['spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
 'spec.rules[0].http.paths[0].path: Invalid value: "/a//b": must not contain \\'//\\'',
 'spec.rules[0].http.paths[0].backend: Required value: port name or number is required']
"""

from __future__ import annotations

import ipaddress
import re

from ...api.field import FieldError, GoValue, forbidden, invalid, not_supported, required, too_long
from .names import (DNS1123_SUBDOMAIN_FMT, inclusive_range_error, is_dns1035_label, is_dns1123_subdomain,
                    is_valid_port_name, max_len_error, regex_error)

#: validation.go supportedPathTypes (sets.List: sorted)
PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]
#: validation.go invalidPathSequences / invalidPathSuffixes (Exact and Prefix paths)
_BAD_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_BAD_SUFFIXES = ("/..", "/.")
#: validation.go maxLenIngressClassController
MAX_CONTROLLER = 250
#: supportedIngressClassParametersReferenceScopes
SCOPES = ["Cluster", "Namespace"]

# util/validation IsWildcardDNS1123Subdomain
_WILDCARD_FMT = r"\*\." + DNS1123_SUBDOMAIN_FMT
_WILDCARD = re.compile(f"^{_WILDCARD_FMT}$")
_WILDCARD_MSG = ("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
                 "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
                 "alphanumeric character")
# util/validation IsDomainPrefixedPath: httpPathFmt
_HTTP_PATH_FMT = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"
_HTTP_PATH = re.compile(f"^{_HTTP_PATH_FMT}$")
# apimachinery/pkg/api/validation/path IsValidPathSegmentName
_BAD_SEGMENTS = (".", "..")
_BAD_SEGMENT_PARTS = ("/", "%")


def _wildcard_subdomain(value: str) -> list[str]:
    errs = [max_len_error(253)] if len(value) > 253 else []
    if not _WILDCARD.match(value):
        errs.append(regex_error(_WILDCARD_MSG, _WILDCARD_FMT, "*.example.com"))
    return errs


def _host_errors(host: str) -> list[str]:
    return _wildcard_subdomain(host) if "*" in host else is_dns1123_subdomain(host)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def _d(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: object) -> list:
    return value if isinstance(value, list) else []


# -- Ingress ----------------------------------------------------------------------------------
def ingress(obj: dict) -> list[FieldError]:
    return ingress_spec(_d(obj.get("spec")))


def ingress_spec(spec: dict, path: str = "spec") -> list[FieldError]:
    errs: list[FieldError] = []
    rules = spec.get("rules")
    if not rules and spec.get("defaultBackend") is None:
        shown = GoValue("[]networking.IngressRule(nil)" if rules is None else "[]networking.IngressRule{}")
        errs.append(invalid(path, shown, "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        errs += backend(_d(spec["defaultBackend"]), f"{path}.defaultBackend")
    for i, rule in enumerate(_l(rules)):
        errs += _rule(_d(rule), f"{path}.rules[{i}]")
    for t, tls in enumerate(_l(spec.get("tls"))):
        tls = _d(tls)
        for i, host in enumerate(_l(tls.get("hosts"))):
            errs += [invalid(f"{path}.tls[{t}].hosts[{i}]", host, m) for m in _host_errors(str(host))]
        secret = tls.get("secretName") or ""
        if secret:   # validateTLSSecretName: ValidateSecretName (a DNS subdomain)
            errs += [invalid(f"{path}.tls[{t}].secretName", secret, m) for m in is_dns1123_subdomain(secret)]
    if spec.get("ingressClassName") is not None:
        name = str(spec["ingressClassName"])
        errs += [invalid(f"{path}.ingressClassName", name, m) for m in is_dns1123_subdomain(name)]
    return errs


def _rule(rule: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    host = rule.get("host") or ""
    if host:
        if _is_ip(host):
            errs.append(invalid(f"{path}.host", host, "must be a DNS name, not an IP address"))
        errs += [invalid(f"{path}.host", host, m) for m in _host_errors(host)]
    http = rule.get("http")
    if http is not None:
        paths = _l(_d(http).get("paths"))
        if not paths:
            errs.append(required(f"{path}.http.paths"))
        for i, p in enumerate(paths):
            errs += http_path(_d(p), f"{path}.http.paths[{i}]")
    return errs


def http_path(p: dict, path: str) -> list[FieldError]:
    """validateHTTPIngressPath: networking.k8s.io/v1 requires ``pathType`` (no default)."""
    kind = p.get("pathType")
    if kind is None:
        return [required(f"{path}.pathType", "pathType must be specified")]
    errs: list[FieldError] = []
    value = p.get("path") or ""
    if kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errs.append(invalid(f"{path}.path", value, "must be an absolute path"))
        if value:
            errs += [invalid(f"{path}.path", value, f"must not contain '{s}'") for s in _BAD_SEQUENCES if s in value]
            errs += [invalid(f"{path}.path", value, f"cannot end with '{s}'") for s in _BAD_SUFFIXES
                     if value.endswith(s)]
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errs.append(invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        errs.append(not_supported(f"{path}.pathType", kind, PATH_TYPES))
    return errs + backend(_d(p.get("backend")), f"{path}.backend")


def backend(b: dict, path: str) -> list[FieldError]:
    """validateIngressBackend: a service (name + port name or number) or a resource, not both."""
    service, resource = b.get("service"), b.get("resource")
    if service is not None and resource is not None:
        return [invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        return _typed_reference(_d(resource), f"{path}.resource")
    if service is None:
        return [invalid(path, "", "resource or service backend is required")]
    service = _d(service)
    errs: list[FieldError] = []
    name = service.get("name") or ""
    if not name:
        errs.append(required(f"{path}.service.name"))
    else:   # ValidateServiceName: a DNS-1035 label
        errs += [invalid(f"{path}.service.name", name, m) for m in is_dns1035_label(name)]
    port = _d(service.get("port"))
    port_name, number = port.get("name") or "", port.get("number") or 0
    if port_name and number:
        errs.append(invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        errs += [invalid(f"{path}.service.port.name", port_name, m) for m in is_valid_port_name(port_name)]
    elif number:
        if not 1 <= number <= 65535:
            errs.append(invalid(f"{path}.service.port.number", number, inclusive_range_error(1, 65535)))
    else:
        errs.append(required(path, "port name or number is required"))
    return errs


def _segment(value: str) -> list[str]:
    """path.IsValidPathSegmentName."""
    if value in _BAD_SEGMENTS:
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in _BAD_SEGMENT_PARTS if c in value]


def _typed_reference(ref: dict, path: str) -> list[FieldError]:
    """validateIngressTypedLocalObjectReference."""
    errs: list[FieldError] = []
    if ref.get("apiGroup") is not None:
        errs += [invalid(f"{path}.apiGroup", ref["apiGroup"], m) for m in is_dns1123_subdomain(str(ref["apiGroup"]))]
    for key in ("kind", "name"):
        value = ref.get(key) or ""
        if not value:
            errs.append(required(f"{path}.{key}", f"{key} is required"))
        else:
            errs += [invalid(f"{path}.{key}", value, m) for m in _segment(value)]
    return errs


# -- IngressClass -----------------------------------------------------------------------------
def ingress_class(obj: dict) -> list[FieldError]:
    spec = _d(obj.get("spec"))
    errs: list[FieldError] = []
    controller = spec.get("controller") or ""
    if len(controller) > MAX_CONTROLLER:
        errs.append(too_long("spec.controller", MAX_CONTROLLER))
    errs += _domain_prefixed_path("spec.controller", controller)
    params = spec.get("parameters")
    if params is not None:
        params = _d(params)
        errs += _typed_reference(params, "spec.parameters")
        scope = params.get("scope")
        if scope is None:
            errs.append(required("spec.parameters.scope"))
        elif scope not in SCOPES:
            errs.append(not_supported("spec.parameters.scope", scope, SCOPES))
        elif scope == "Namespace" and params.get("namespace") is None:
            errs.append(required("spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'"))
        elif scope == "Namespace":
            from .names import is_dns1123_label   # ValidateNamespaceName
            errs += [invalid("spec.parameters.namespace", params["namespace"], m)
                     for m in is_dns1123_label(str(params["namespace"]))]
        elif scope == "Cluster" and params.get("namespace") is not None:
            errs.append(forbidden("spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'"))
    return errs


def ingress_class_update(new: dict, old: dict) -> list[FieldError]:
    """validateIngressClassSpecUpdate: the controller is immutable."""
    a, b = _d(new.get("spec")).get("controller"), _d(old.get("spec")).get("controller")
    return [] if a == b else [invalid("spec.controller", a if a is not None else "", "field is immutable")]


def _domain_prefixed_path(path: str, value: str) -> list[FieldError]:
    if not value:
        return [required(path)]
    host, sep, rest = value.partition("/")
    if not sep or not host or not rest:
        return [invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    errs = [invalid(path, host, m) for m in is_dns1123_subdomain(host)]
    if not _HTTP_PATH.match(rest):
        errs.append(invalid(path, rest, regex_error("Invalid path", _HTTP_PATH_FMT)))
    return errs


def ingress_class_defaults(obj: dict) -> None:
    """networking/v1 defaults.go SetDefaults_IngressClass: parameters.scope defaults to Cluster."""
    params = _d(obj.get("spec")).get("parameters")
    if isinstance(params, dict) and params.get("scope") is None:
        params["scope"] = "Cluster"
