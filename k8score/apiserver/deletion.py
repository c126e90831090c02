"""DELETE: graceful pod deletion, finalizers, propagation policies, namespaces.

Upstream: k8s.io/apiserver/pkg/registry/generic/registry/store.go (Delete,
updateForGracefulDeletionAndFinalizers), rest/delete.go (BeforeDelete) and the pod
strategy's CheckGracefulDelete. A delete either removes the key at once, or only
*marks* the object (``metadata.deletionTimestamp``) and leaves the rest to others:

- a pod on a node gets ``deletionGracePeriodSeconds`` (its terminationGracePeriodSeconds,
  30 s by default) for the kubelet to stop its containers; the kubelet then deletes it
  with grace 0. A pod never scheduled, or already finished, goes at once;
- an object with ``metadata.finalizers`` stays until updates have removed them all;
  ``propagationPolicy`` Foreground / Orphan add the ``foregroundDeletion`` / ``orphan``
  finalizer the garbage collector acts on;
- a namespace takes everything in it along (simplified: in one etcd transaction,
  where upstream's namespace controller deletes the content first).

Every delete returns the object: as marked, or as it was when removed (its
resourceVersion then is the revision of the deletion).
"""

from __future__ import annotations

from typing import Any

from . import strategy
from ..api.errors import ApiError, status
from .jsonutil import copy_json
from ..api.resources import RESOURCES, ResourceInfo
from .storage import decode

#: plugin/pkg/admission/namespace/lifecycle: namespaces that may never be deleted.
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
#: metav1.FinalizerDeleteDependents / FinalizerOrphanDependents
_GC_FINALIZERS = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}


def delete(api: Any, info: ResourceInfo, name: str, ns: str | None, grace_period_seconds: int | None,
           propagation_policy: str | None) -> dict:
    if info.plural == "namespaces" and name in IMMORTAL_NAMESPACES:
        raise ApiError.forbidden("namespaces", name, "this namespace may not be deleted")
    if propagation_policy not in (None, "Background", "Foreground", "Orphan"):
        raise ApiError(status(422, "Invalid", f'Unsupported value: "{propagation_policy}": supported '
                              'values: "Foreground", "Background", "Orphan"'))
    obj, rev = api._read(info, name, ns)
    meta = obj["metadata"]
    grace = strategy.pod_grace_period(obj, grace_period_seconds) if info.plural == "pods" else 0
    fins = list(meta.get("finalizers") or [])
    gc = _GC_FINALIZERS.get(propagation_policy or "")
    if gc and gc not in fins and not meta.get("deletionTimestamp"):
        fins.append(gc)
    if grace == 0 and not fins:
        if info.plural == "namespaces":
            return _delete_namespace(api, obj)
        return remove(api, info, obj, rev)
    # only mark it (rest.BeforeDelete)
    current = meta.get("deletionGracePeriodSeconds")
    if meta.get("deletionTimestamp") and current is not None and grace >= current:
        return obj  # already terminating at least as fast: nothing to change
    new = copy_json(obj)
    nmeta = new["metadata"]
    # the time by which it should be gone; a shorter grace period moves it earlier
    nmeta["deletionTimestamp"] = api._timestamp(grace)
    nmeta["deletionGracePeriodSeconds"] = grace
    if fins:
        nmeta["finalizers"] = fins
    if "generation" in nmeta:
        nmeta["generation"] += 1
    if info.plural == "namespaces":
        new.setdefault("status", {})["phase"] = "Terminating"
    return api._write_update(info, new, obj, rev)


def remove(api: Any, info: ResourceInfo, obj: dict, rev: int) -> dict:
    """Delete the key if it is still at ``rev``; returns the object as of the deletion."""
    meta = obj["metadata"]
    drev = api.storage.delete(info.key(meta["name"], meta.get("namespace")), rev)
    if drev is None:
        raise ApiError.stale(info.group_resource, meta["name"])
    if info.plural == "services":
        api.services.release(obj)
    meta["resourceVersion"] = str(drev)
    return obj


def _delete_namespace(api: Any, ns_obj: dict) -> dict:
    ns = ns_obj["metadata"]["name"]
    prefixes = []
    for info in RESOURCES.values():
        if info.namespaced:
            prefixes.append(info.prefix(ns))
            if info.plural == "services":
                for kv in api.storage.list(info.prefix(ns))[0]:
                    api.services.release(decode(kv.value, kv.mod_revision))
    drev = api.storage.delete_prefixes(prefixes, [RESOURCES["namespaces"].key(ns)])
    ns_obj["metadata"]["resourceVersion"] = str(drev)
    return ns_obj
