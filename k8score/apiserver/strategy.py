"""Per-resource rules for create, update and delete — upstream's registry "strategies"
(pkg/registry/*/strategy.go) and the generic rest.BeforeCreate/BeforeUpdate/BeforeDelete.

They decide what a request may change: a main-resource update cannot change status,
a status update can change nothing else, generation counts spec changes, and a delete
may only mark the object (graceful pod deletion, finalizers).
"""

from __future__ import annotations

import copy

from . import defaults
from ..api.resources import ResourceInfo

#: Resources with a ``/status`` subresource: their main endpoint ignores status changes.
STATUS_RESOURCES = frozenset({"pods", "nodes", "deployments", "replicasets", "services", "namespaces"})
#: Resources whose metadata.generation counts spec changes (pods: PodObservedGenerationTracking).
GENERATION_RESOURCES = frozenset({"pods", "deployments", "replicasets"})
# Fields only the server sets; an update keeps the stored values (rest.BeforeUpdate).
_SYSTEM_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                "generation")


def prepare_create(info: ResourceInfo, obj: dict) -> None:
    """Reset what a client may not set on create, then apply defaults (mutates ``obj``)."""
    plural = info.plural
    fn = defaults.BY_RESOURCE.get(plural)
    extra = fn(obj) if fn is not None else None
    meta = obj["metadata"]
    for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
        meta.pop(key, None)
    if plural in GENERATION_RESOURCES:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    if plural == "pods":
        # pod strategy PrepareForCreate: status starts over (Pending) with its QoS class
        obj["status"] = {"phase": "Pending", "qosClass": extra}
    elif plural in ("deployments", "replicasets"):
        obj["status"] = {}
    elif plural == "services":
        obj["status"] = {"loadBalancer": {}}
    elif plural == "namespaces":
        obj["status"] = {"phase": "Active"}


def prepare_update(info: ResourceInfo, new: dict, old: dict, subresource: str | None) -> dict:
    """The object to store for an update of ``old`` with ``new`` (both full objects)."""
    plural = info.plural
    if subresource == "status":
        out = copy.deepcopy(old)
        if "status" in new:
            out["status"] = new["status"]
        else:
            out.pop("status", None)
        out["metadata"]["resourceVersion"] = new["metadata"].get("resourceVersion")
        return out
    fn = defaults.BY_RESOURCE.get(plural)
    if fn is not None:
        fn(new)
    meta, old_meta = new["metadata"], old["metadata"]
    for key in _SYSTEM_META:
        if key == "uid" and meta.get("uid"):
            continue  # a different uid is reported by validation (field is immutable)
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    if plural in STATUS_RESOURCES:
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
        else:
            new.pop("status", None)
    if plural == "services":
        _keep_allocated(new, old)
    if plural in GENERATION_RESOURCES and new.get("spec") != old.get("spec"):
        meta["generation"] = old_meta.get("generation", 0) + 1
    return new


def _keep_allocated(new: dict, old: dict) -> None:
    """Service update (pkg/registry/core/service/storage patchAllocatedValues): a body
    without clusterIP / nodePorts keeps the allocated ones instead of releasing them."""
    spec, old_spec = new.get("spec"), old.get("spec") or {}
    if not isinstance(spec, dict):
        return
    if not spec.get("clusterIP") and old_spec.get("clusterIP"):
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if key in old_spec:
                spec[key] = old_spec[key]
    old_ports = {(p.get("port"), p.get("protocol")): p.get("nodePort")
                 for p in old_spec.get("ports") or () if isinstance(p, dict)}
    for p in spec.get("ports") or ():
        if isinstance(p, dict) and not p.get("nodePort") and old_ports.get((p.get("port"), p.get("protocol"))):
            p["nodePort"] = old_ports[(p.get("port"), p.get("protocol"))]


def pod_grace_period(pod: dict, requested: int | None) -> int:
    """pod strategy CheckGracefulDelete: how long the kubelet gets to stop the pod."""
    spec = pod.get("spec") or {}
    if requested is not None:
        period = requested
    else:
        period = spec.get("terminationGracePeriodSeconds", defaults.DEFAULT_TERMINATION_GRACE_PERIOD)
    if not spec.get("nodeName"):
        period = 0  # never scheduled: no kubelet to wait for
    if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
        period = 0  # already terminated
    if period < 0:
        period = 1
    return period


def should_delete_on_update(obj: dict) -> bool:
    """registry store.go: an update that empties finalizers of a deleted object removes it."""
    meta = obj["metadata"]
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers") \
        and meta.get("deletionGracePeriodSeconds", 0) == 0
