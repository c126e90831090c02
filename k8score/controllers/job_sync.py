"""One ``syncJob`` pass (pkg/controller/job/job_controller.go): the ``syncJobCtx`` and its steps.

:class:`JobSync` is built per sync from the cached Job (a copy) and its pods; ``run()``
decides the finished condition, manages pods (``manageJob``), and tracks the status with the
finalizer protocol (``trackJobStatusAndRemoveFinalizers``, ``flushUncountedAndRemoveFinalizers``,
``enactJobFinished``). See :mod:`.job` for the behaviour in user terms.
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError
from ..client.meta import is_pod_active, is_pod_ready, key_func, owner_reference
from ..sim.clock import parse
from .job_util import (JOB_COMPLETION_INDEX_ANNOTATION, JOB_COMPLETION_INDEX_ENV, JOB_INDEX_LABEL,
                       JOB_TRACKING_FINALIZER, MAX_POD_CREATE_DELETE_PER_SYNC, MAX_UNCOUNTED_PODS,
                       completion_index, condition, ensure_condition, format_intervals,
                       match_pod_failure_policy, new_backoff_record, new_condition, parse_intervals,
                       success_policy_message)
from .podcontrol import deletion_order, pod_from_template

_SUCCESS_TYPES = ("SuccessCriteriaMet", "Complete")


def _terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


class JobSync:
    def __init__(self, ctl: Any, key: str, job: dict, pods: list[dict]):
        self.ctl, self.key, self.job, self.pods = ctl, key, job, pods
        self.spec = job["spec"]
        self.status = job.setdefault("status", {})
        self.now = ctl.loop.now
        self.indexed = self.spec.get("completionMode") == "Indexed"
        self.completions = self.spec.get("completions")
        unc = self.status.get("uncountedTerminatedPods") or {}
        self.status["uncountedTerminatedPods"] = {"succeeded": list(unc.get("succeeded") or ()),
                                                  "failed": list(unc.get("failed") or ())}
        self.unc_s = set(unc.get("succeeded") or ())
        self.unc_f = set(unc.get("failed") or ())
        self.expected_rm = set(ctl.finalizer_expectations.get(key, ()))
        self.active_pods = [p for p in pods if is_pod_active(p)]
        self.ready = sum(1 for p in self.active_pods if is_pod_ready(p))
        self.terminating = sum(1 for p in pods if p["metadata"].get("deletionTimestamp") and not _terminal(p))
        self.finished: dict | None = None

    # -- pod predicates -----------------------------------------------------------------------
    def pod_failed(self, pod: dict) -> bool:
        """isPodFailed: Failed, or (unless only failed pods are replaced) deleted unfinished."""
        phase = (pod.get("status") or {}).get("phase")
        if phase == "Failed":
            return True
        if self.spec.get("podReplacementPolicy") == "Failed" or self.spec.get("podFailurePolicy"):
            return False
        return bool(pod["metadata"].get("deletionTimestamp")) and phase != "Succeeded"

    def _uncounted_new(self, uncounted: set[str], pred) -> list[dict]:
        out = []
        for p in self.pods:
            uid = p["metadata"].get("uid")
            if JOB_TRACKING_FINALIZER not in (p["metadata"].get("finalizers") or ()) or uid in uncounted \
                    or uid in self.expected_rm:
                continue
            if self.indexed:
                ix = completion_index(p)
                if ix is None or ix >= (self.completions or 0):
                    continue
            if pred(p):
                out.append(p)
        return out

    def _stamp(self) -> str:
        return self.ctl.now_stamp()

    def _failure(self, reason: str, message: str) -> dict:
        # newFailureCondition: FailureTarget first (delayTerminalCondition: JobManagedBy and
        # JobPodReplacementPolicy are on), Failed once no pod is terminating
        return new_condition("FailureTarget", reason, message, self._stamp())

    # -- syncJob ---------------------------------------------------------------------------------
    def run(self) -> None:
        spec, status, ctl = self.spec, self.status, self.ctl
        satisfied = ctl.expectations.satisfied(self.key)
        suspended = bool(spec.get("suspend"))
        active = len(self.active_pods)
        new_succ = self._uncounted_new(self.unc_s, lambda p: p["status"].get("phase") == "Succeeded")
        new_fail = self._uncounted_new(self.unc_f, self.pod_failed)
        policy = spec.get("podFailurePolicy")
        counted_fail = [p for p in new_fail if match_pod_failure_policy(policy, p)[1]]
        self.succeeded = status.get("succeeded", 0) + len(new_succ) + len(self.unc_s)
        self.failed = status.get("failed", 0) + len(counted_fail) + len(self.unc_f)
        if not status.get("startTime") and not suspended:
            status["startTime"] = self._stamp()
        self.new_backoff = new_backoff_record(ctl.backoff.get(self.key), new_succ, counted_fail, self.now)

        sc = condition(status, "SuccessCriteriaMet")
        if sc and sc.get("status") == "True":
            self.finished = sc
        if self.finished is None:
            ft = condition(status, "FailureTarget")
            if ft and ft.get("status") == "True":
                self.finished = new_condition("Failed", ft.get("reason", ""), ft.get("message", ""), self._stamp())
            else:
                for p in self.pods:
                    if self.pod_failed(p):
                        msg = match_pod_failure_policy(policy, p)[0]
                        if msg:
                            self.finished = self._failure("PodFailurePolicy", msg)
                            break
        if self.finished is None:
            if self.failed > spec.get("backoffLimit", 6) or self._past_backoff_on_failure():
                self.finished = self._failure("BackoffLimitExceeded", "Job has reached the specified backoff limit")
            elif self._past_deadline():
                self.finished = self._failure("DeadlineExceeded", "Job was active longer than specified deadline")
            elif spec.get("activeDeadlineSeconds") is not None and not suspended:
                left = spec["activeDeadlineSeconds"] - (self.now - parse(status["startTime"]))
                ctl.queue.add_after(self.key, max(left, 0.0))
        if self.indexed:
            self.prev_indexes = parse_intervals(status.get("completedIndexes"), self.completions or 0)
            self.indexes = self.prev_indexes | {
                ix for p in self.pods if p["status"].get("phase") == "Succeeded"
                and (ix := completion_index(p)) is not None and ix < (self.completions or 0)}
            self.succeeded = len(self.indexes)
            if self.finished is None:
                msg = success_policy_message(spec.get("successPolicy"), self.completions or 0, self.indexes)
                if msg:
                    self.finished = new_condition("SuccessCriteriaMet", "SuccessPolicy", msg, self._stamp())
        error: ApiError | None = None
        suspend_changed = False
        if self.finished is not None:
            deleted = 0
            for p in self.active_pods:
                try:
                    ctl.delete_pod(self.job, p)
                    deleted += 1
                    self.ready -= 1 if is_pod_ready(p) else 0
                except ApiError as err:
                    error = error or err
            if deleted != active or not satisfied:
                self.finished = None
            active -= deleted
            self.terminating += deleted
        else:
            called = False
            if satisfied and not self.job["metadata"].get("deletionTimestamp"):
                try:
                    active = self._manage(active)
                except ApiError as err:
                    error = err
                called = True
            if self.completions is None:
                complete = self.succeeded > 0 and active == 0
            else:
                complete = self.succeeded >= self.completions and active == 0
            if complete:
                self.finished = new_condition("SuccessCriteriaMet", "CompletionsReached",
                                              "Reached expected number of succeeded pods", self._stamp())
            elif called:
                if suspended:
                    if ensure_condition(status, "Suspended", "True", "JobSuspended", "Job suspended", self._stamp()):
                        suspend_changed = True
                        ctl.recorder.event(self.job, "Normal", "Suspended", "Job suspended")
                elif ensure_condition(status, "Suspended", "False", "JobResumed", "Job resumed", self._stamp()):
                    suspend_changed = True
                    ctl.recorder.event(self.job, "Normal", "Resumed", "Job resumed")
                    status["startTime"] = self._stamp()
        needs = suspend_changed or active != status.get("active", 0) or self.ready != status.get("ready") \
            or self.terminating != status.get("terminating")
        status["active"], status["ready"], status["terminating"] = active, self.ready, self.terminating
        self._track(needs)
        if error is not None:
            raise error

    def _past_backoff_on_failure(self) -> bool:
        """pastBackoffLimitOnFailure: container restarts of running pods (OnFailure only)."""
        if (self.spec.get("template") or {}).get("spec", {}).get("restartPolicy") != "OnFailure":
            return False
        total = 0
        for p in self.pods:
            if p["status"].get("phase") in ("Running", "Pending"):
                for cs in (p["status"].get("initContainerStatuses") or []) + (p["status"].get("containerStatuses") or []):
                    total += cs.get("restartCount", 0)
        limit = self.spec.get("backoffLimit", 6)
        return total > 0 if limit == 0 else total >= limit

    def _past_deadline(self) -> bool:
        ads, start = self.spec.get("activeDeadlineSeconds"), self.status.get("startTime")
        if ads is None or not start or self.spec.get("suspend"):
            return False
        return self.now - parse(start) >= ads

    # -- manageJob -------------------------------------------------------------------------------
    def _manage(self, active: int) -> int:
        spec, ctl = self.spec, self.ctl
        if spec.get("suspend"):
            victims = deletion_order(self.active_pods)
            return active - self._delete_pods(victims)
        parallelism = spec.get("parallelism", 1)
        if self.completions is None:
            want = active if self.succeeded > 0 else parallelism
        else:
            want = max(0, min(self.completions - self.succeeded, parallelism))
        victims = self._duplicated_index_pods() if self.indexed else []
        if len(victims) < active - want:
            rest = [p for p in self.active_pods if p not in victims]
            victims += deletion_order(rest)[: active - want - len(victims)]
        if victims:
            return active - self._delete_pods(victims[:MAX_POD_CREATE_DELETE_PER_SYNC])
        terminating = self.terminating if spec.get("podReplacementPolicy") == "Failed" else 0
        diff = want - terminating - active
        if diff <= 0:
            return active
        remaining = self.new_backoff.remaining(self.now)
        if remaining > 0:
            ctl.queue.add_after(self.key, remaining)
            return 0
        diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes: list[int] = []
        if self.indexed:
            indexes = self._pending_indexes(diff)
            diff = len(indexes)
        return active + self._create_pods(diff, indexes)

    def _duplicated_index_pods(self) -> list[dict]:
        seen: set[int] = set()
        out = []
        for p in sorted(self.active_pods, key=lambda p: (p["metadata"].get("creationTimestamp", ""), key_func(p))):
            ix = completion_index(p)
            if ix is None or ix >= (self.completions or 0) or ix in seen:
                out.append(p)
            else:
                seen.add(ix)
        return out

    def _pending_indexes(self, count: int) -> list[int]:
        """firstPendingIndexes: lowest indexes neither succeeded nor running."""
        busy = set(self.indexes) | {completion_index(p) for p in self.active_pods}
        return [i for i in range(self.completions or 0) if i not in busy][:count]

    def _delete_pods(self, pods: list[dict]) -> int:
        """deleteJobPods: drop the finalizer (the pod is not counted), then delete."""
        self.ctl.expectations.expect_deletions(self.key, [key_func(p) for p in pods])
        removed, error = 0, None
        for p in pods:
            try:
                if JOB_TRACKING_FINALIZER in (p["metadata"].get("finalizers") or ()):
                    self.ctl.remove_finalizer(p)
                self.ctl.delete_pod(self.job, p)
                removed += 1
                self.ready -= 1 if is_pod_ready(p) else 0
                self.terminating += 1
            except ApiError as err:
                self.ctl.expectations.deletion_observed(self.key, key_func(p))
                error = error or err
        if error is not None:
            raise error
        return removed

    def _template(self, index: int | None) -> dict:
        tpl = copy.deepcopy(self.spec["template"])
        meta = tpl.setdefault("metadata", {})
        fins = list(meta.get("finalizers") or ())
        if JOB_TRACKING_FINALIZER not in fins:
            fins.append(JOB_TRACKING_FINALIZER)
        meta["finalizers"] = fins
        if index is not None:
            env = {"name": JOB_COMPLETION_INDEX_ENV, "valueFrom": {"fieldRef": {
                "apiVersion": "v1", "fieldPath": f"metadata.annotations['{JOB_COMPLETION_INDEX_ANNOTATION}']"}}}
            for c in (tpl["spec"].get("initContainers") or []) + (tpl["spec"].get("containers") or []):
                if not any(e.get("name") == JOB_COMPLETION_INDEX_ENV for e in c.get("env") or ()):
                    c["env"] = list(c.get("env") or []) + [env]
            meta["annotations"] = {**(meta.get("annotations") or {}), JOB_COMPLETION_INDEX_ANNOTATION: str(index)}
            meta["labels"] = {**(meta.get("labels") or {}), JOB_INDEX_LABEL: str(index)}
            tpl["spec"]["hostname"] = f"{self.job['metadata']['name']}-{index}"
        return tpl

    def _create_pods(self, count: int, indexes: list[int]) -> int:
        """Slow-start batches of 1, 2, 4...; stop after a batch with a failure."""
        ctl, job = self.ctl, self.job
        ctl.expectations.expect_creations(self.key, count)
        batch, attempted, created, error = min(count, 1), 0, 0, None
        while batch > 0 and error is None:
            for _ in range(batch):
                index = indexes[attempted] if self.indexed else None
                attempted += 1
                pod = pod_from_template(self._template(index), job)
                if index is not None:
                    pod["metadata"]["generateName"] = f"{job['metadata']['name']}-{index}-"
                pod["metadata"]["ownerReferences"] = [owner_reference(job)]
                try:
                    made = ctl.client.create("pods", pod, namespace=job["metadata"]["namespace"])
                except ApiError as err:
                    ctl.expectations.creation_observed(self.key)
                    ctl.recorder.event(job, "Warning", "FailedCreate", f"Error creating: {err.message}")
                    error = error or err
                    continue
                created += 1
                ctl.recorder.event(job, "Normal", "SuccessfulCreate", f"Created pod: {made['metadata']['name']}")
            batch = min(2 * batch, count - attempted)
        if attempted < count:
            ctl.expectations.lower(self.key, add=count - attempted)
        if error is not None:
            raise error
        return created

    # -- trackJobStatusAndRemoveFinalizers ---------------------------------------------------------
    def _track(self, needs: bool) -> None:
        ctl, status, job = self.ctl, self.status, self.job
        unc = status["uncountedTerminatedPods"]
        with_fin = {p["metadata"]["uid"] for p in self.pods
                    if JOB_TRACKING_FINALIZER in (p["metadata"].get("finalizers") or ())
                    and p["metadata"]["uid"] not in self.expected_rm}
        needs = self._clean_uncounted(with_fin) or needs
        to_remove: list[dict] = []
        new_indexes: set[int] = set()
        failing = self.finished is not None and self.finished["type"] not in _SUCCESS_TYPES
        for p in self.pods:
            uid = p["metadata"]["uid"]
            if uid not in with_fin:
                continue
            failed = self.pod_failed(p)
            phase = p["status"].get("phase")
            if not (job["metadata"].get("deletionTimestamp") or self.finished is not None
                    or phase == "Succeeded" or failed):
                continue
            to_remove.append(p)
            if phase == "Succeeded" and uid not in self.unc_f:
                if self.indexed:
                    ix = completion_index(p)
                    if ix is not None and ix < (self.completions or 0) and ix not in self.prev_indexes:
                        new_indexes.add(ix)
                        needs = True
                elif uid not in self.unc_s:
                    unc["succeeded"].append(uid)
                    needs = True
            elif failed or failing:
                ix = completion_index(p)
                valid = not self.indexed or (ix is not None and ix < (self.completions or 0))
                if uid not in self.unc_f and valid and \
                        match_pod_failure_policy(self.spec.get("podFailurePolicy"), p)[1]:
                    unc["failed"].append(uid)
                    needs = True
            if len(new_indexes) + len(unc["succeeded"]) + len(unc["failed"]) >= MAX_UNCOUNTED_PODS:
                break
        if self.indexed:
            text = format_intervals(self.prev_indexes | new_indexes)
            needs = needs or text != status.get("completedIndexes", "")
            status["completedIndexes"], status["succeeded"] = text, len(self.prev_indexes | new_indexes)
        if self.finished is not None and self.finished["type"] == "FailureTarget":
            status.setdefault("conditions", []).append(self.finished)
            needs = True
            f = self.finished
            self.finished = new_condition("Failed", f["reason"], f["message"], self._stamp())
        if self.finished is not None and self.finished["type"] == "SuccessCriteriaMet":
            if not condition(status, "SuccessCriteriaMet"):
                status.setdefault("conditions", []).append(self.finished)
                needs = True
            f = self.finished
            self.finished = new_condition("Complete", f["reason"], f["message"], self._stamp())
        # flushUncountedAndRemoveFinalizers
        if needs:
            self._write()
            ctl.backoff[self.key] = self.new_backoff
            needs = False
        if to_remove:
            expected = ctl.finalizer_expectations.setdefault(self.key, set())
            for p in to_remove:
                expected.add(p["metadata"]["uid"])
                if ctl.remove_finalizer(p):
                    with_fin.discard(p["metadata"]["uid"])
        needs = self._clean_uncounted(with_fin)
        finished = self._enact_finished()
        if needs or finished:
            self._write()
            if finished:
                if self.finished["type"] == "Complete":
                    ctl.recorder.event(job, "Normal", "Completed", "Job completed")
                else:
                    ctl.recorder.event(job, "Warning", self.finished["reason"], self.finished["message"])

    def _clean_uncounted(self, with_fin: set[str]) -> bool:
        """cleanUncountedPodsWithoutFinalizers: count the pods whose finalizer is gone."""
        unc, changed = self.status["uncountedTerminatedPods"], False
        for kind, counter in (("succeeded", "succeeded"), ("failed", "failed")):
            keep = [u for u in unc[kind] if u in with_fin]
            if len(keep) != len(unc[kind]):
                self.status[counter] = self.status.get(counter, 0) + len(unc[kind]) - len(keep)
                unc[kind] = keep
                changed = True
        return changed

    def _enact_finished(self) -> bool:
        if self.finished is None:
            return False
        unc = self.status["uncountedTerminatedPods"]
        if unc["succeeded"] or unc["failed"] or self.terminating > 0:
            return False
        f = self.finished
        ensure_condition(self.status, f["type"], "True", f["reason"], f["message"], self._stamp())
        if f["type"] == "Complete":
            self.status["completionTime"] = self._stamp()
        return True

    def _write(self) -> None:
        body = copy.deepcopy(self.job)
        st = body["status"]
        for k in ("succeeded", "failed"):
            if not st.get(k):
                st.pop(k, None)
        # omitempty: an empty list is not written (``uncountedTerminatedPods: {}``)
        st["uncountedTerminatedPods"] = {k: v for k, v in st["uncountedTerminatedPods"].items() if v}
        updated = self.ctl.update_status(body)
        self.job["metadata"]["resourceVersion"] = updated["metadata"]["resourceVersion"]
