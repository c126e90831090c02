"""The TTL-after-finished controller (pkg/controller/ttlafterfinished/ttlafterfinished_controller.go).

A finished Job (``Complete`` or ``Failed`` condition True) with ``spec.ttlSecondsAfterFinished``
is deleted that many seconds after the condition's ``lastTransitionTime`` — with
``propagationPolicy: Foreground``, so its pods go first. Before deleting, the controller
re-reads the Job from the API server (the TTL may have been changed or removed since the cache
saw it). An unexpired Job is requeued for the moment it expires. Upstream records no Event here.
"""

from __future__ import annotations

from typing import Any

from ..client.errors import ApiError, is_not_found
from ..client.meta import split_key
from ..lang import Text
from ..sim.clock import parse
from .base import Controller


def finish_time(job: dict) -> float | None:
    """jobFinishTime: when the Complete/Failed condition became True (None: not finished)."""
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            stamp = c.get("lastTransitionTime")
            return parse(stamp) if stamp else None
    return None


def needs_cleanup(job: dict) -> bool:
    return (job.get("spec") or {}).get("ttlSecondsAfterFinished") is not None and finish_time(job) is not None


class TTLAfterFinishedController(Controller):
    name = "ttl-after-finished"
    kind = "ttl-after-finished-controller"
    watches = ("jobs",)
    writes = ("jobs",)
    summary = Text("在 Job 结束 ttlSecondsAfterFinished 秒后删除它（连同它的 Pod）",
                   "Deletes a Job (with its Pods) ttlSecondsAfterFinished seconds after it finished")
    event_component = "ttl-after-finished-controller"

    def setup(self) -> None:
        self.jobs = self.informer("jobs")
        self.jobs.add_event_handler(on_add=self._maybe_enqueue, on_update=lambda o, c: self._maybe_enqueue(c))

    def _maybe_enqueue(self, job: dict) -> None:
        if job["metadata"].get("deletionTimestamp") is None and needs_cleanup(job):
            self.enqueue(job)

    def _expired_in(self, job: dict) -> float | None:
        """processTTL: seconds until expiry (<= 0: expired), None when no cleanup is due."""
        if job["metadata"].get("deletionTimestamp") or not needs_cleanup(job):
            return None
        return finish_time(job) + job["spec"]["ttlSecondsAfterFinished"] - self.loop.now

    def sync(self, key: Any) -> None:
        job = self.jobs.get(key)
        if job is None:
            return
        left = self._expired_in(job)
        if left is None:
            return
        if left > 0:
            self.queue.add_after(key, left)
            return
        ns, name = split_key(key)
        try:
            fresh = self.client.get("jobs", name, namespace=ns)   # the cache may be stale
        except ApiError as err:
            if is_not_found(err):
                return
            raise
        left = self._expired_in(fresh)
        if left is None:
            return
        if left > 0:
            self.queue.add_after(key, left)
            return
        try:
            self.client.delete("jobs", name, namespace=ns, propagation_policy="Foreground")
        except ApiError as err:
            if not is_not_found(err):
                raise
