"""Emptying a namespace being deleted (pkg/controller/namespace/deletion/
namespaced_resources_deleter.go, status_condition_utils.go).

:func:`delete_namespace` is one pass of upstream's ``namespacedResourcesDeleter.Delete``:

1. the namespace is gone or not being deleted: nothing to do; ``status.phase`` is set to
   ``Terminating`` if it is not yet (``updateNamespaceStatusFunc``);
2. already finalized (no ``spec.finalizers``): nothing to do;
3. every namespaced resource discovery lists that can be listed and deleted is emptied
   (``deleteAllContent``): each item is deleted with ``propagationPolicy: Background``, then
   the resource is listed again to count what remains. Pods are deleted gracefully: the
   estimate is the longest ``terminationGracePeriodSeconds`` of the non-terminal pods;
   items held by finalizers count 15 s (``finalizerEstimateSeconds``);
4. the five deletion conditions are written to ``status.conditions`` when they change;
5. something remains: :class:`ResourcesRemaining` (the controller looks again after
   ``estimate/2 + 1`` seconds); else the ``kubernetes`` token is removed through
   ``namespaces/finalize``, which removes the namespace when no other finalizer is left.

Upstream tries ``deletecollection`` first and falls back to listing and deleting each item
when the server answers 405/404 (``deleteEachItem``). k8score's API server does not serve
``deletecollection`` yet, so this deleter always takes that fallback path; both end in the
same state. A resource whose ``list`` answers 405/404 (a create-only review) is remembered and
skipped, as upstream's ``operationNotSupportedCache`` does.
"""

from __future__ import annotations

from typing import Any

from ..client.errors import ApiError, is_conflict, is_not_found
from ..sim.clock import rfc3339

#: v1.FinalizerKubernetes
FINALIZER_TOKEN = "kubernetes"
#: namespaced_resources_deleter.go finalizerEstimateSeconds
FINALIZER_ESTIMATE_SECONDS = 15

# status_condition_utils.go conditionTypes (in this order) with okReasons / okMessages
CONDITION_TYPES = ("NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
                   "NamespaceDeletionContentFailure", "NamespaceContentRemaining",
                   "NamespaceFinalizersRemaining")
_OK = {
    "NamespaceDeletionDiscoveryFailure": ("ResourcesDiscovered", "All resources successfully discovered"),
    "NamespaceDeletionGroupVersionParsingFailure": ("ParsedGroupVersions",
                                                    "All legacy kube types successfully parsed"),
    "NamespaceDeletionContentFailure": ("ContentDeleted",
                                        "All content successfully deleted, may be waiting on finalization"),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


class ResourcesRemaining(Exception):
    """deletion.ResourcesRemainingError: content is still going away."""

    def __init__(self, estimate: int):
        super().__init__(f"some content remains in the namespace, estimate {estimate} seconds before it is removed")
        self.estimate = estimate


class DeletionFailed(Exception):
    """utilerrors.NewAggregate of the per-resource failures."""


class NamespaceDeleter:
    """One per controller; remembers which resources refused ``deletecollection`` / ``list``
    (upstream's ``operationNotSupportedCache``)."""

    def __init__(self, client: Any, loop: Any, finalizer_token: str = FINALIZER_TOKEN):
        self.client = client
        self.loop = loop
        self.finalizer_token = finalizer_token
        self._unsupported: set[tuple[str, str]] = set()

    # -- Delete --------------------------------------------------------------------------
    def delete(self, name: str) -> None:
        """One pass; raises :class:`ResourcesRemaining` or ``ApiError`` to be retried."""
        try:
            ns = self.client.get("namespaces", name)
        except ApiError as err:
            if is_not_found(err):
                return
            raise
        if not ns["metadata"].get("deletionTimestamp"):
            return
        if (ns.get("status") or {}).get("phase") != "Terminating":
            ns = self._retry_on_conflict(ns, self._mark_terminating)
            if ns is None:
                return
        if not (ns.get("spec") or {}).get("finalizers"):
            return  # finalized: the namespace goes when its metadata.finalizers do
        estimate = self._delete_all_content(ns)
        if estimate > 0:
            raise ResourcesRemaining(estimate)
        self._retry_on_conflict(ns, self._finalize)

    def _retry_on_conflict(self, ns: dict, fn: Any) -> dict | None:
        """retryOnConflictError: re-read and retry on 409; None once the namespace is gone."""
        uid = ns["metadata"].get("uid")
        while True:
            try:
                return fn(ns)
            except ApiError as err:
                if is_not_found(err):
                    return None
                if not is_conflict(err):
                    raise
            try:
                ns = self.client.get("namespaces", ns["metadata"]["name"])
            except ApiError as err:
                if is_not_found(err):
                    return None
                raise
            if ns["metadata"].get("uid") != uid:
                raise RuntimeError("namespace uid has changed across retries")

    def _mark_terminating(self, ns: dict) -> dict:
        new = dict(ns, status=dict(ns.get("status") or {}, phase="Terminating"))
        return self.client.update("namespaces", new, subresource="status")

    def _finalize(self, ns: dict) -> dict:
        """finalizeNamespace: every spec finalizer but ours, sorted (sets.List)."""
        keep = sorted({f for f in (ns.get("spec") or {}).get("finalizers") or () if f != self.finalizer_token})
        body = dict(ns, spec=dict(ns.get("spec") or {}, finalizers=keep))
        return self.client.update("namespaces", body, subresource="finalize")

    # -- deleteAllContent -------------------------------------------------------------------
    def _delete_all_content(self, ns: dict) -> int:
        name = ns["metadata"]["name"]
        estimate = 0
        errors: list[str] = []
        remaining: dict[str, int] = {}       # "<resource>.<group>" -> items left
        by_finalizer: dict[str, int] = {}
        for info in self._deletable_resources():
            try:
                left, fins, est = self._delete_resource(info, name)
            except ApiError as err:
                errors.append(err.message)
                continue
            except _Remaining as r:
                errors.append(str(r))
                left, fins, est = r.left, {}, r.estimate
            estimate = max(estimate, est)
            if left:
                remaining[f"{info.plural}.{info.group}"] = left
                for f, n in fins.items():
                    by_finalizer[f] = by_finalizer.get(f, 0) + n
        self._update_conditions(ns, errors, remaining, by_finalizer)
        if errors:
            # the aggregate error: logged and retried rate-limited (HandleError + AddRateLimited)
            raise DeletionFailed(f"[{', '.join(sorted(errors))}]" if len(errors) > 1 else errors[0])
        return estimate

    def _deletable_resources(self) -> list[Any]:
        """Discovery: namespaced resources (custom resources included); those that cannot be
        listed or deleted drop out at their first 405."""
        return [i for i in self.client.resources() if i.namespaced]

    def _delete_resource(self, info: Any, ns: str) -> tuple[int, dict[str, int], int]:
        """deleteAllContentForGroupVersionResource -> (items left, finalizer counts, estimate)."""
        resource = info.group_resource
        if (resource, "list") in self._unsupported:
            return 0, {}, 0
        estimate = self._estimate_pods(ns) if info.plural == "pods" and info.group == "" else 0
        items = self._list(resource, ns)
        if items is None:
            return 0, {}, estimate
        for item in items:
            try:
                self.client.delete(resource, item["metadata"]["name"], namespace=ns,
                                   propagation_policy="Background")
            except ApiError as err:
                if is_not_found(err):
                    continue
                if err.code == 405:
                    self._unsupported.add((resource, "list"))
                    return 0, {}, estimate
                raise
        items = self._list(resource, ns) or []
        fins: dict[str, int] = {}
        for item in items:
            for f in item["metadata"].get("finalizers") or ():
                fins[f] = fins.get(f, 0) + 1
        if not items or estimate:
            return len(items), fins, estimate
        if fins:
            return len(items), fins, FINALIZER_ESTIMATE_SECONDS
        raise _Remaining(len(items), estimate, f"unexpected items still remain in namespace: {ns} for gvr: "
                         f"{info.group}/{info.version}, Resource={info.plural}")

    def _list(self, resource: str, ns: str) -> list[dict] | None:
        try:
            return self.client.list(resource, namespace=ns)["items"]
        except ApiError as err:
            if err.code in (404, 405):  # listCollection: MethodNotSupported / NotFound
                self._unsupported.add((resource, "list"))
                return None
            raise

    def _estimate_pods(self, ns: str) -> int:
        """estimateGracefulTerminationForPods: the longest grace period of a non-terminal pod."""
        estimate = 0
        for pod in self.client.list("pods", namespace=ns)["items"]:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
            if isinstance(grace, int) and grace > estimate:
                estimate = grace
        return estimate

    # -- conditions -------------------------------------------------------------------------
    def _update_conditions(self, ns: dict, errors: list[str], remaining: dict[str, int],
                           by_finalizer: dict[str, int]) -> None:
        """namespaceConditionUpdater.Update + UpdateStatus when a condition changed."""
        failing: dict[str, tuple[str, str]] = {}
        if errors:
            failing["NamespaceDeletionContentFailure"] = (
                "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(errors)} remaining: {', '.join(sorted(errors))}")
        if remaining:
            parts = sorted(f"{r} has {n} resource instances" for r, n in remaining.items() if n)
            failing["NamespaceContentRemaining"] = ("SomeResourcesRemain",
                                                    f"Some resources are remaining: {', '.join(parts)}")
        if by_finalizer:
            parts = sorted(f"{f} in {n} resource instances" for f, n in by_finalizer.items() if n)
            failing["NamespaceFinalizersRemaining"] = (
                "SomeFinalizersRemain", f"Some content in the namespace has finalizers remaining: {', '.join(parts)}")
        now = rfc3339(self.loop.now)
        conditions = [dict(c) for c in (ns.get("status") or {}).get("conditions") or ()]
        changed = False
        for ctype in CONDITION_TYPES:
            status = "True" if ctype in failing else "False"
            reason, message = failing.get(ctype) or _OK[ctype]
            old = next((c for c in conditions if c.get("type") == ctype), None)
            if old is None:
                conditions.append({"type": ctype, "status": status, "lastTransitionTime": now,
                                   "reason": reason, "message": message})
                changed = True
            elif (old.get("status"), old.get("reason"), old.get("message")) != (status, reason, message):
                if old.get("status") != status:
                    old["lastTransitionTime"] = now
                old.update(status=status, reason=reason, message=message)
                changed = True
        if not changed:
            return
        body = dict(ns, status=dict(ns.get("status") or {}, conditions=conditions))
        try:
            updated = self.client.update("namespaces", body, subresource="status")
        except ApiError:
            return  # utilruntime.HandleError: the next pass writes them again
        ns["metadata"] = updated["metadata"]
        ns["status"] = updated["status"]


class _Remaining(Exception):
    """An item left without a finalizer nor a grace period: an error for the conditions."""

    def __init__(self, left: int, estimate: int, message: str):
        super().__init__(message)
        self.left = left
        self.estimate = estimate
