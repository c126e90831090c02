"""The resourcequota controller (pkg/controller/resourcequota/resource_quota_controller.go).

Keeps each ResourceQuota's ``status`` true: ``status.hard`` is a copy of ``spec.hard``
and ``status.used`` the sum, over the objects in the quota's namespace that match its
scopes, of what each costs (:mod:`k8score.apiserver.admission.quota_eval`). ResourceQuota
admission charges creations as they happen; this controller is what gives back: it
recalculates

- when a quota is added, when its ``spec.hard`` changes, and on deletion (a no-op);
- when a tracked object is deleted, a pod turns terminal (Succeeded/Failed), a service
  changes type, or a claim's allocated size changes (upstream's QuotaMonitor
  replenishment);
- every 5 minutes for every quota (``--resource-quota-sync-period``, default 5m0s), which
  also corrects any over-charge left by a request admitted but then not stored.

Objects are read from informers, created on demand for the resources some quota
tracks (upstream monitors every quotable resource from discovery).
"""

from __future__ import annotations

from typing import Any

from ..api.resources import RESOURCES
from ..api.quantity import Quantity
from ..apiserver.admission.quota_eval import (Evaluator, add, equals, hard_of, mask, parse_list,
                                              quota_v1_pod, registry, scope_selectors, to_wire, used_of)
from ..client import Requeue, split_key
from ..lang import Text
from .base import Controller

# cmd/kube-controller-manager/app/options: ResourceQuotaSyncPeriod 5m
RESOURCE_QUOTA_SYNC_PERIOD = 300.0
#: How long a sync waits for a newly started monitor informer (virtual seconds).
_MONITOR_WAIT = 0.1


class ResourceQuotaController(Controller):
    name = "resourcequota"
    kind = "resourcequota-controller"
    watches = ("resourcequotas", "pods", "services", "persistentvolumeclaims", "configmaps", "secrets")
    writes = ("resourcequotas",)
    summary = Text("重新计算每个 ResourceQuota 的 status.used（对象删除、Pod 结束时归还配额，每 5 分钟全量校正）",
                   "Recomputes each ResourceQuota's status.used (quota comes back when objects are deleted or Pods finish; a full recount every 5 minutes)")
    event_component = "resourcequota-controller"

    def setup(self) -> None:
        self.evaluators: list[Evaluator] = registry(
            (info.plural, info.group) for info in RESOURCES.values() if info.namespaced)
        self.rq_informer = self.informer("resourcequotas")
        self.rq_informer.add_event_handler(on_add=self.enqueue, on_update=self._quota_updated,
                                           on_delete=self.enqueue)
        self._monitors: dict[tuple[str, str], Any] = {}
        self.resync = self.host.every(RESOURCE_QUOTA_SYNC_PERIOD, self._enqueue_all)

    # -- event handlers ------------------------------------------------------------
    def _quota_updated(self, old: dict, new: dict) -> None:
        # status changes are this controller's own writes: only spec.hard matters
        old_hard = parse_list((old.get("spec") or {}).get("hard"))
        if not equals(old_hard, parse_list((new.get("spec") or {}).get("hard"))):
            self.enqueue(new)

    def _enqueue_all(self) -> None:
        for q in self.rq_informer.list():
            self.enqueue(q)

    def _replenish(self, ev: Evaluator, obj: dict) -> None:
        """replenishQuota: requeue the namespace's quotas that track this kind."""
        ns = (obj.get("metadata") or {}).get("namespace")
        for q in self.rq_informer.list(ns):
            if ev.matching_resources(hard_of(q)):
                self.enqueue(q)

    def _monitor(self, ev: Evaluator) -> Any:
        key = (ev.resource, ev.group)
        inf = self._monitors.get(key)
        if inf is None:
            inf = self._monitors[key] = self.informer(ev.resource)

            def updated(old: dict, new: dict, ev: Evaluator = ev) -> None:
                if _needs_replenish(ev.resource, old, new, self.loop.now):
                    self._replenish(ev, new)

            inf.add_event_handler(on_update=updated, on_delete=lambda o, ev=ev: self._replenish(ev, o))
        return inf

    # -- sync ----------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        quota = self.rq_informer.get(key)
        if quota is None:
            return  # deleted
        ns, _ = split_key(key)
        spec = quota.get("spec") if isinstance(quota.get("spec"), dict) else {}
        hard = parse_list(spec.get("hard"))
        used = used_of(quota)
        for ev in self.evaluators:
            tracked = ev.matching_resources(hard)
            if not tracked or (ev.resource, ev.group) not in _served():
                continue  # upstream: a resource it cannot list keeps its last usage
            inf = self._monitor(ev)
            if not inf.has_synced:
                raise Requeue(f"{ev.resource} not synced", after=_MONITOR_WAIT)
            total = {r: Quantity(0) for r in tracked}
            selectors = scope_selectors({"spec": spec})
            for obj in inf.list(ns):
                if ev.matches_scopes(selectors, obj):
                    total = add(total, mask(ev.usage(obj, self.loop.now), tracked))
            used.update(total)
        used = mask(used, hard)
        status = quota.get("status") if isinstance(quota.get("status"), dict) else {}
        dirty = not equals(hard, hard_of(quota)) or "hard" not in status or "used" not in status \
            or not equals(used, used_of(quota))
        if not dirty:
            return
        body = dict(quota)
        body["status"] = {"hard": to_wire(hard), "used": to_wire(used)}
        self.client.update("resourcequotas", body, namespace=ns, subresource="status")


def _served() -> set[tuple[str, str]]:
    return {(i.plural, i.group) for i in RESOURCES.values() if i.namespaced}


def _needs_replenish(resource: str, old: dict, new: dict, now: float) -> bool:
    """resource_quota_monitor.go UpdateFunc: the updates that can lower usage."""
    if resource == "pods":
        return quota_v1_pod(old, now) and not quota_v1_pod(new, now)
    if resource == "services":
        def kind(s: dict) -> str:
            t = (s.get("spec") or {}).get("type")
            return t if t in ("NodePort", "LoadBalancer") else ""
        return kind(old) != kind(new)
    if resource == "persistentvolumeclaims":
        def alloc(c: dict) -> Any:
            return parse_list(((c.get("status") or {}).get("allocatedResources"))).get("storage")
        a, b = alloc(old), alloc(new)
        return (a is None) != (b is None) or (a is not None and a.value != b.value)
    return False


__all__ = ["ResourceQuotaController", "RESOURCE_QUOTA_SYNC_PERIOD"]
