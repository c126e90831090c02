"""The Job controller (pkg/controller/job/job_controller.go ``syncJob``, ``manageJob``,
``trackJobStatusAndRemoveFinalizers``).

Runs pods until ``completions`` succeed, at most ``parallelism`` at a time. Every pod it creates
carries the ``batch.kubernetes.io/job-tracking`` finalizer: a finished pod is first listed in
``status.uncountedTerminatedPods``, then its finalizer is removed, then it is counted in
``succeeded``/``failed`` — so a pod deleted right after finishing is never lost or counted twice.

- A failed pod is replaced after the pod-failure backoff (10 s, 20 s, 40 s... see
  :mod:`.job_util`); more failures than ``backoffLimit`` fail the Job (``BackoffLimitExceeded``,
  "Job has reached the specified backoff limit"); so does running longer than
  ``activeDeadlineSeconds`` (``DeadlineExceeded``, "Job was active longer than specified
  deadline") and a podFailurePolicy FailJob rule (``PodFailurePolicy``). A failing Job first gets
  ``FailureTarget``, its active pods are deleted, and once none is terminating ``Failed``.
- Success: ``SuccessCriteriaMet`` (``CompletionsReached``, "Reached expected number of succeeded
  pods", or ``SuccessPolicy`` "Matched rules at index i"), then ``Complete`` with
  ``completionTime`` and the ``Completed`` event "Job completed".
- Indexed mode: pod ``<job>-<i>-xxxxx`` with hostname ``<job>-<i>``, the completion-index
  annotation and label, and ``JOB_COMPLETION_INDEX`` from the annotation; ``completedIndexes``.
- ``suspend: true`` deletes the active pods (``Suspended`` "Job suspended"); resuming resets
  ``startTime`` (``Resumed`` "Job resumed").
- Pod events are batched: the Job syncs 1 s after a pod change (``syncJobBatchPeriod``).

Not modelled: adopting orphan pods that match a manual selector, backoffLimitPerIndex,
``managedBy``, the ``TooManySucceededPods`` warning.
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError, is_not_found
from ..client.meta import controller_ref, key_func
from ..lang import Text
from ..sim.clock import rfc3339
from .base import Controller
from .expectations import Expectations
from .job_sync import JobSync
from .job_util import (JOB_TRACKING_FINALIZER, SYNC_JOB_BATCH_PERIOD, BackoffRecord, is_finished)

#: Pod index: the uid of the Job controlling it.
_BY_JOB = "job-uid"


def _job_index(pod: dict) -> list[str]:
    ref = controller_ref(pod)
    return [ref.get("uid", "")] if ref and ref.get("kind") == "Job" else []


def has_tracking_finalizer(pod: dict) -> bool:
    return JOB_TRACKING_FINALIZER in ((pod.get("metadata") or {}).get("finalizers") or ())


class JobController(Controller):
    name = "job"
    kind = "job-controller"
    watches = ("jobs", "pods")
    writes = ("pods", "jobs/status", "events")
    summary = Text("为每个 Job 创建 Pod 直到足够多的 Pod 成功完成；失败时按退避重试，超过 backoffLimit 或期限则标记失败",
                   "Creates Pods for each Job until enough of them have succeeded; retries failures with backoff and marks the Job failed past backoffLimit or its deadline")
    event_component = "job-controller"

    def setup(self) -> None:
        self.expectations = Expectations(clock=lambda: self.loop.now)
        #: job key -> pod uids whose finalizer removal is not observed yet (uidTrackingExpectations)
        self.finalizer_expectations: dict[str, set[str]] = {}
        #: job key -> BackoffRecord (backoffStore), lost on restart as upstream's
        self.backoff: dict[str, BackoffRecord] = {}
        self.jobs = self.informer("jobs")
        self.pods = self.informer("pods")
        self.pods.add_indexer(_BY_JOB, _job_index)
        self.jobs.add_event_handler(on_add=self.enqueue, on_update=lambda o, c: self.enqueue(c),
                                    on_delete=self._delete_job)
        self.pods.add_event_handler(on_add=self._add_pod, on_update=self._update_pod,
                                    on_delete=self._delete_pod)

    # -- handlers ---------------------------------------------------------------------------
    def _delete_job(self, job: dict) -> None:
        key = key_func(job)
        self.expectations.delete(key)
        self.backoff.pop(key, None)
        self.finalizer_expectations.pop(key, None)

    def _owner_key(self, pod: dict) -> str | None:
        ref = controller_ref(pod)
        if not ref or ref.get("kind") != "Job":
            return None
        job = self.jobs.get(f"{pod['metadata'].get('namespace')}/{ref.get('name')}")
        if job is None or job["metadata"].get("uid") != ref.get("uid"):
            return None
        return key_func(job)

    def _batched(self, key: str) -> None:
        self.queue.add_after(key, SYNC_JOB_BATCH_PERIOD)

    def _add_pod(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod)
            return
        key = self._owner_key(pod)
        if key:
            self.expectations.creation_observed(key)
            self._batched(key)
        elif has_tracking_finalizer(pod):
            self.queue.add(("orphan", key_func(pod)))

    def _update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        key = self._owner_key(cur)
        if key and not has_tracking_finalizer(cur):
            self.finalizer_expectations.get(key, set()).discard(cur["metadata"].get("uid"))
        if cur["metadata"].get("deletionTimestamp") and not old["metadata"].get("deletionTimestamp"):
            self._delete_pod(cur)
            return
        if key:
            self._batched(key)
        elif has_tracking_finalizer(cur):
            self.queue.add(("orphan", key_func(cur)))

    def _delete_pod(self, pod: dict) -> None:
        key = self._owner_key(pod)
        if key is None:
            if has_tracking_finalizer(pod):
                self.queue.add(("orphan", key_func(pod)))
            return
        if not has_tracking_finalizer(pod):
            self.finalizer_expectations.get(key, set()).discard(pod["metadata"].get("uid"))
        self.expectations.deletion_observed(key, key_func(pod))
        self._batched(key)

    # -- sync ---------------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        if isinstance(key, tuple):
            self._sync_orphan(key[1])
            return
        shared = self.jobs.get(key)
        if shared is None:
            self._delete_job({"metadata": dict(zip(("namespace", "name"), key.split("/", 1)))})
            return
        job = copy.deepcopy(shared)
        if is_finished(job)[0]:
            self.backoff.pop(key, None)
            return
        mode = job["spec"].get("completionMode")
        if mode not in (None, "NonIndexed", "Indexed"):
            self.recorder.event(job, "Warning", "UnknownCompletionMode",
                                "Skipped Job sync because completion mode is unknown")
            return
        JobSync(self, key, job, self.pods_for(job)).run()

    def pods_for(self, job: dict) -> list[dict]:
        """The Job's pods: active, terminating and finished ones still carrying data."""
        return sorted(self.pods.by_index(_BY_JOB, job["metadata"].get("uid", "")), key=key_func)

    def _sync_orphan(self, pod_key: str) -> None:
        """orphanWorker: remove the tracking finalizer from a pod whose Job is gone."""
        pod = self.pods.get(pod_key)
        if pod is None or not has_tracking_finalizer(pod) or self._owner_key(pod) is not None:
            return
        self.remove_finalizer(pod)

    # -- API helpers used by JobSync -----------------------------------------------------------
    def remove_finalizer(self, pod: dict) -> bool:
        """Patch the tracking finalizer away; True if it is gone (also when the pod is)."""
        try:
            self.client.patch("pods", pod["metadata"]["name"],
                              {"metadata": {"$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER]}},
                              patch_type="strategic", namespace=pod["metadata"]["namespace"])
        except ApiError as err:
            if is_not_found(err):
                return True
            raise
        return True

    def delete_pod(self, job: dict, pod: dict) -> bool:
        try:
            self.client.delete("pods", pod["metadata"]["name"], namespace=pod["metadata"]["namespace"])
        except ApiError as err:
            if is_not_found(err):
                return True
            self.recorder.event(job, "Warning", "FailedDelete", f"Error deleting: {err.message}")
            raise
        self.recorder.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
        return True

    def update_status(self, job: dict) -> dict:
        return self.client.update("jobs", job, namespace=job["metadata"]["namespace"], subresource="status")

    def now_stamp(self) -> str:
        return rfc3339(self.loop.now)


__all__ = ["JobController", "has_tracking_finalizer"]
