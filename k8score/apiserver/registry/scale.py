"""The ``scale`` subresource of Deployments, ReplicaSets and StatefulSets
(pkg/registry/apps/{deployment,replicaset,statefulset}/storage/storage.go ScaleREST).

``GET`` answers an ``autoscaling/v1`` Scale built from the object: ``spec.replicas``,
``status.replicas`` and ``status.selector`` (the label selector as a string,
``metav1.FormatLabelSelector``). ``PUT``/``PATCH`` of a Scale sets the parent's
``spec.replicas`` through the parent's own update rules (generation bump, validation) — what
``kubectl scale`` and the HPA controller use. A negative count is 422
``Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or
equal to 0`` (ValidateScale).
"""

from __future__ import annotations

import copy
from typing import Any

from ...api.errors import ApiError
from ...api.field import FieldError
from ..patch import apply_patch
from ...client.meta import selector_string


def format_selector(sel: Any) -> str:
    """metav1.FormatLabelSelector: ``app=web,tier in (a,b)`` (``<none>`` for no requirement)."""
    if not isinstance(sel, dict):
        return ""
    return selector_string(sel) or "<none>"


def scale_of(obj: dict) -> dict:
    meta = obj["metadata"]
    smeta = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta}
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": smeta,
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": status.get("replicas", 0), "selector": format_selector(spec.get("selector"))}}


def scale_subresource(api: Any, rc: Any) -> dict:
    """handler(api, rc) of ``<resource>/scale``."""
    strategy = rc.strategy
    obj, rev = api.objects.read(rc, rc.name, rc.namespace)
    verb = rc.req.verb
    if verb == "get":
        return scale_of(obj)
    if verb not in ("update", "patch"):
        raise ApiError.method_not_allowed(f"{rc.info.group_resource}/scale", verb)
    body = rc.req.body
    if verb == "patch":
        body = apply_patch(scale_of(obj), body, rc.req.patch_type or "merge")
    body = body if isinstance(body, dict) else {}
    replicas = (body.get("spec") or {}).get("replicas")
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ApiError.invalid("Scale.autoscaling", rc.name, [FieldError(
            "Invalid", "spec.replicas", replicas, "must be greater than or equal to 0")])
    new = copy.deepcopy(obj)
    new.setdefault("spec", {})["replicas"] = replicas
    strategy.prepare_for_update(new, obj)
    api.objects.validate(rc, new, strategy.validate_update, new, obj)
    return scale_of(api.objects.write_update(rc, new, obj, rev))


__all__ = ["scale_subresource", "scale_of", "format_selector"]
