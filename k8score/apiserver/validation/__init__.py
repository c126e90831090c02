"""Validation: what makes the API server answer 422 Invalid.

``validate_create(info, obj)`` and ``validate_update(info, new, old)`` return a list of
:class:`~k8score.api.field.FieldError` (empty when the object is fine). They run
after defaulting, on exactly what would be stored, as upstream's strategies do.
"""

from __future__ import annotations

from ...api.field import FieldError
from ..memo import ResultMemo
from ...api.resources import ResourceInfo
from . import meta, pod, scheduling, workloads
from .names import is_dns1035_label, is_dns1123_label, is_dns1123_subdomain

# ValidateNameFunc per resource (pkg/apis/core/validation: ValidatePodName, ValidateServiceName...)
_NAME_RULES = {
    "namespaces": is_dns1123_label,
    "services": is_dns1035_label,
}

# a pod spec's validity depends on the spec alone: memoised for pods sharing a template
_POD_SPEC = ResultMemo(lambda spec: tuple(pod.pod_spec(spec)))

_SPEC_RULES = {
    "pods": lambda obj: list(_POD_SPEC.call(obj.get("spec"))),
    "deployments": workloads.deployment,
    "replicasets": workloads.replicaset,
    "services": workloads.service,
    "configmaps": workloads.configmap,
    "events": workloads.event,
    "nodes": workloads.node,
    "endpoints": workloads.endpoints,
    "priorityclasses": scheduling.priority_class,
}


def validate_create(info: ResourceInfo, obj: dict) -> list[FieldError]:
    errs = meta.object_meta(obj.get("metadata") or {}, info.namespaced,
                            _NAME_RULES.get(info.plural, is_dns1123_subdomain))
    rule = _SPEC_RULES.get(info.plural)
    if rule is not None:
        errs += rule(obj)
    return errs


def validate_update(info: ResourceInfo, new: dict, old: dict) -> list[FieldError]:
    errs = meta.object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    errs += validate_create(info, new)
    plural = info.plural
    if plural == "pods":
        errs += pod.pod_update(new.get("spec") or {}, old.get("spec") or {})
    elif plural in ("deployments", "replicasets"):
        errs += workloads.selector_update(new, old)
    elif plural == "services":
        errs += workloads.service_update(new, old)
    elif plural == "priorityclasses":
        errs += scheduling.priority_class_update(new, old)
    return errs


__all__ = ["validate_create", "validate_update", "is_dns1123_label", "is_dns1123_subdomain",
           "is_dns1035_label"]
