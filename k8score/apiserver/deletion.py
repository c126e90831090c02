"""DELETE: graceful deletion, finalizers, propagation policies (generic for every resource).

Upstream: k8s.io/apiserver/pkg/registry/generic/registry/store.go (Delete,
updateForGracefulDeletionAndFinalizers) and rest/delete.go (BeforeDelete). A delete
either removes the key at once, or only *marks* the object (``metadata.deletionTimestamp``)
and leaves the rest to others:

- ``strategy.grace_period`` > 0 (a pod on a node: its terminationGracePeriodSeconds, 30 s
  by default) gives the kubelet time to stop it; the kubelet then deletes it with grace 0.
  A second delete with a shorter grace period moves the deadline earlier, never later;
- an object with ``metadata.finalizers`` stays until updates have removed them all;
  ``propagationPolicy`` Foreground / Orphan add the ``foregroundDeletion`` / ``orphan``
  finalizer the garbage collector acts on.

Every delete returns the object: as marked, or as it was when removed (its
resourceVersion then is the revision of the deletion).
"""

from __future__ import annotations

from typing import Any

from ..api.errors import ApiError, status
from .jsonutil import copy_json

#: metav1.FinalizerDeleteDependents / FinalizerOrphanDependents
_GC_FINALIZERS = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}
_POLICIES = (None, "Background", "Foreground", "Orphan")


def delete(api: Any, rc: Any) -> dict:
    strategy, opts = rc.strategy, rc.req.options
    policy = opts.get("propagationPolicy")
    if policy not in _POLICIES:
        raise ApiError(status(422, "Invalid", f'Unsupported value: "{policy}": supported '
                              'values: "Foreground", "Background", "Orphan"'))
    grace_req = _grace(opts.get("gracePeriodSeconds"))
    obj, rev = api.objects.read(rc, rc.name, rc.namespace)
    strategy.check_delete(obj)
    check_preconditions(rc, obj, rev)
    # handlers/delete.go: mutating admission's Admit, then the store's deleteValidation
    api.admission.mutate(rc, "DELETE", None, obj)
    api.admission.validate(rc, "DELETE", None, obj)
    meta = obj["metadata"]
    grace = strategy.grace_period(obj, grace_req)
    fins = list(meta.get("finalizers") or [])
    gc = _GC_FINALIZERS.get(policy or "")
    if gc and gc not in fins and not meta.get("deletionTimestamp"):
        fins.append(gc)
    if grace == 0 and not fins:
        return api.objects.remove(rc, obj, rev)
    # only mark it (rest.BeforeDelete)
    current = meta.get("deletionGracePeriodSeconds")
    if meta.get("deletionTimestamp") and current is not None and grace >= current:
        rc.trace.step("storage", "unchanged", "already terminating at least as fast")
        return obj
    new = copy_json(obj)
    nmeta = new["metadata"]
    # the time by which it should be gone; a shorter grace period moves it earlier
    nmeta["deletionTimestamp"] = api.timestamp(grace)
    nmeta["deletionGracePeriodSeconds"] = grace
    if fins:
        nmeta["finalizers"] = fins
    if "generation" in nmeta:
        nmeta["generation"] += 1
    strategy.mark_deleting(new)
    return api.objects.write_update(rc, new, obj, rev)


def _grace(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ApiError.bad_request(f"invalid gracePeriodSeconds: {value}")
    try:
        n = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ApiError.bad_request(f'invalid gracePeriodSeconds: "{value}"') from None
    if not -(2 ** 63) <= n < 2 ** 63:
        raise ApiError.bad_request(f'invalid gracePeriodSeconds: "{value}"')
    return n


# rest/delete.go BeforeDelete: a Conflict on the Kind ("ConfigMap", "Deployment.apps"), checked
# before admission; the namespace REST's own Delete words it differently, on "namespaces"
# (pkg/registry/core/namespace/storage/storage.go)
_PRECONDITION_FAILED = {
    "uid": "the UID in the precondition ({want}) does not match the UID in record ({have}). "
           "The object might have been deleted and then recreated",
    "resourceVersion": "the ResourceVersion in the precondition ({want}) does not match the "
                       "ResourceVersion in record ({have}). The object might have been modified",
}
_NAMESPACE_PRECONDITION_FAILED = "Precondition failed: {field} in precondition: {want}, {field} in object meta: {have}"


def check_preconditions(rc: Any, obj: dict, rev: int) -> None:
    """``DeleteOptions.preconditions`` (``uid``, ``resourceVersion``): each one given must equal
    the stored object's, else 409 Conflict and nothing is deleted (a client deleting what it
    read, not a same-named successor or a newer version)."""
    body = rc.req.body if isinstance(rc.req.body, dict) else {}
    pre = rc.req.options.get("preconditions", body.get("preconditions"))
    if not isinstance(pre, dict):
        return
    meta = obj["metadata"]
    have = {"uid": meta.get("uid") or "", "resourceVersion": meta.get("resourceVersion") or str(rev)}
    for field in ("uid", "resourceVersion"):
        want = pre.get(field)
        if want is None or str(want) == have[field]:
            continue
        if rc.info.group_resource == "namespaces":
            why = _NAMESPACE_PRECONDITION_FAILED.format(field="UID" if field == "uid" else "ResourceVersion",
                                                        want=want, have=have[field])
            raise ApiError.conflict("namespaces", meta["name"], why)
        raise ApiError.conflict(rc.info.qualified_kind, meta["name"],
                                _PRECONDITION_FAILED[field].format(want=want, have=have[field]))
