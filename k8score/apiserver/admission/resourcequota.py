"""ResourceQuota admission: refuse what would exceed a quota, and charge what is admitted.

Upstream: plugin/pkg/admission/resourcequota/admission.go and
k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go (``CheckRequest``,
``checkQuotas``). A validating plugin, last in the chain, on CREATE and UPDATE of
namespaced objects (never subresources, never the creation of a Namespace):

1. measure the object (:mod:`.quota_eval`); on UPDATE charge only the growth over the
   stored object;
2. for every quota in the namespace that matches (it lists one of the object's resources
   in ``status.hard`` and every scope matches): refuse when the pod lacks a value the quota
   tracks (``failed quota: q: must specify limits.cpu for: nginx``), when the controller has
   not measured the quota yet (``status unknown for quota: ...``), or when
   ``used + requested > hard`` (``exceeded quota: q, requested: ..., used: ..., limited: ...``);
3. unless the request is a dry run, write the new ``status.used`` of each quota that
   changed, as a compare-and-swap on its resourceVersion (an ``update`` of
   ``resourcequotas/status`` through the loopback), retrying up to three times on a
   conflict with the quotas re-read.

The charge is made *before* the object is stored. If the store then fails (the name
already exists, a later validation refuses), the quota stays over-charged; upstream
accepts that race and relies on the resourcequota controller's recalculation
(:mod:`k8score.controllers.resourcequota`) to correct ``status.used``.
"""

from __future__ import annotations

import copy

from ...api.errors import ApiError
from ..request import AdmissionAttributes, PluginContext, Request
from .namespacelifecycle import new_forbidden
from .quota_eval import (Evaluator, add, equals, evaluator_for, hard_of, less_than_or_equal, mask,
                         pretty, remove_zeros, subtract_non_negative, to_wire, used_of)

#: checkQuotas is called with remainingRetries=3 (quota/controller.go checkAttributes)
_RETRIES = 3


def check_request(quotas: list[dict], a: AdmissionAttributes, ev: Evaluator, now: float) -> list[dict]:
    """CheckRequest: the quotas as they would be if ``a`` is admitted (copies of those
    that change), or ApiError 403. ``quotas`` are not modified."""
    if not ev.handles(a.operation):
        return quotas
    obj = a.obj
    interesting: list[int] = []
    for i, q in enumerate(quotas):
        if not ev.matches(q, obj):
            continue
        name = q["metadata"].get("name", "")
        restricted = ev.matching_resources(hard_of(q))
        why = ev.constraints(restricted, obj)
        if why:
            raise new_forbidden(a, f"failed quota: {name}: {why}")
        used = used_of(q)
        if any(r not in used for r in restricted):
            raise new_forbidden(a, f"status unknown for quota: {name}, resources: {','.join(restricted)}")
        interesting.append(i)
    usage = ev.usage(obj, now)
    negative = sorted(k for k, v in usage.items() if v.value < 0)
    if negative:
        raise new_forbidden(a, f"quota usage is negative for resource(s): {','.join(negative)}")
    deltas = {i: usage for i in interesting}
    if a.operation == "UPDATE":
        prev = a.old
        if not isinstance(prev, dict):
            raise new_forbidden(a, "unable to get previous usage since prior version of object was not found")
        if (prev.get("metadata") or {}).get("resourceVersion"):
            # charge the growth only, and only to quotas the old object also counted in
            delta = subtract_non_negative(usage, ev.usage(prev, now))
            for i in interesting:
                if ev.matches(quotas[i], prev):
                    deltas[i] = delta
    deltas = {i: d for i, d in ((i, remove_zeros(d)) for i, d in deltas.items()) if d}
    if not interesting or not deltas:
        return quotas
    out = list(quotas)
    for i in interesting:
        if i not in deltas:
            continue
        q = quotas[i]
        hard, used = hard_of(q), used_of(q)
        requested = mask(deltas[i], hard)
        new_used = add(used, requested)
        exceeded = less_than_or_equal(mask(new_used, requested), hard)
        if exceeded:
            raise new_forbidden(a, f"exceeded quota: {q['metadata'].get('name', '')}, "
                                   f"requested: {pretty(mask(requested, exceeded))}, "
                                   f"used: {pretty(mask(used, exceeded))}, "
                                   f"limited: {pretty(mask(hard, exceeded))}")
        changed = copy.deepcopy(q)
        changed.setdefault("status", {})["used"] = to_wire(new_used)
        out[i] = changed
    return out


def _rv(obj: dict) -> int:
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion") or 0)
    except (TypeError, ValueError):
        return 0


class ResourceQuota:
    """The ``ResourceQuota`` validating admission plugin."""

    name = "ResourceQuota"

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx
        # resource_access.go updatedQuotas: the quotas this plugin wrote last, used when
        # they are newer than what the lister shows (back-to-back requests, no conflicts)
        self._written: dict[tuple[str, str], dict] = {}

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE")

    def validate(self, a: AdmissionAttributes) -> str | None:
        if a.subresource or not a.namespace:
            return None
        if a.operation == "CREATE" and a.info.kind == "Namespace" and a.info.group == "":
            return None
        ev = evaluator_for(a.info.plural, a.info.group)
        if ev is None or not ev.handles(a.operation):
            return None
        quotas = self._quotas(a.namespace)
        if not quotas:
            return None
        return self._check(quotas, a, ev, _RETRIES)

    def _quotas(self, namespace: str) -> list[dict]:
        """GetQuotas: the namespace's quotas (sorted by name), each the newer of the
        lister's copy and the one this plugin wrote last."""
        out = []
        for q in sorted(self.ctx.lister.list("resourcequotas", namespace),
                        key=lambda q: str((q.get("metadata") or {}).get("name", ""))):
            key = (namespace, str(q["metadata"].get("name", "")))
            mine = self._written.get(key)
            if mine is not None and _rv(mine) > _rv(q):
                q = mine
            else:
                self._written.pop(key, None)
            out.append(q)
        return out

    def _check(self, quotas: list[dict], a: AdmissionAttributes, ev: Evaluator, retries: int) -> str | None:
        """checkQuotas: evaluate, then persist every changed quota; on failures re-read
        just those quotas and try again while retries remain."""
        new = check_request(quotas, a, ev, self.ctx.now())
        if a.dry_run:
            return "dry run: quota not charged"
        changed = [q for q, old in zip(new, quotas) if not equals(used_of(q), used_of(old))]
        if not changed:
            return None
        failed: list[str] = []
        last: ApiError | None = None
        for q in changed:
            meta = q["metadata"]
            try:
                stored = self.ctx.loopback(Request(
                    verb="update", resource="resourcequotas", namespace=a.namespace, name=meta.get("name"),
                    subresource="status", body=q))
            except ApiError as err:
                failed.append(meta.get("name"))
                last = err
                continue
            if isinstance(stored, dict):
                self._written[(a.namespace, meta.get("name"))] = stored
        if not failed:
            return "charged " + ", ".join(q["metadata"].get("name", "") for q in changed)
        if retries <= 0:
            raise last  # type: ignore[misc]
        fresh = [q for q in self._quotas(a.namespace) if q["metadata"].get("name") in failed]
        return self._check(fresh, a, ev, retries - 1)


__all__ = ["ResourceQuota", "check_request"]
