"""Pure helpers of the Job controller: pod failure backoff, podFailurePolicy, completion indexes.

- Backoff (pkg/controller/job/backoff_utils.go): a Job remembers how many pods failed since its
  last success and when the last one failed; a replacement pod waits
  ``10 s × 2^(failures-1)``, capped (``getRemainingTime``): 10 s, 20 s, 40 s...
- podFailurePolicy (pkg/controller/job/pod_failure_policy.go ``matchPodFailurePolicy``): the
  first rule whose ``onExitCodes`` (a non-zero exit code of a terminated container, In/NotIn)
  or ``onPodConditions`` matches decides: FailJob (with upstream's message), Ignore (not
  counted), Count, FailIndex.
- Indexes (pkg/controller/job/indexed_job_utils.go): the ``batch.kubernetes.io/job-completion-index``
  annotation, ``completedIndexes`` written as intervals ``"0-2,4"``.
"""

from __future__ import annotations

from typing import Any

from ..sim.clock import parse

# pkg/controller/job/job_controller.go
DEFAULT_JOB_POD_FAILURE_BACKOFF = 10.0      # DefaultJobPodFailureBackOff = 10 * time.Second
MAX_JOB_POD_FAILURE_BACKOFF = 600.0         # MaxJobPodFailureBackOff = 10 * time.Minute (6 min before v1.29)
SYNC_JOB_BATCH_PERIOD = 1.0                 # syncJobBatchPeriod = time.Second
MAX_POD_CREATE_DELETE_PER_SYNC = 500        # MaxPodCreateDeletePerSync
MAX_UNCOUNTED_PODS = 500                    # MaxUncountedPods
# k8s.io/api/batch/v1 types.go
JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
JOB_COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
JOB_INDEX_LABEL = "batch.kubernetes.io/job-completion-index"   # PodIndexLabel (GA 1.32)
JOB_COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"


class BackoffRecord:
    """backoffRecord: failures since the last success and the time of the last failure."""

    __slots__ = ("failures_after_last_success", "last_failure_time")

    def __init__(self, failures: int = 0, last_failure: float | None = None):
        self.failures_after_last_success = failures
        self.last_failure_time = last_failure

    def remaining(self, now: float, base: float = DEFAULT_JOB_POD_FAILURE_BACKOFF,
                  cap: float = MAX_JOB_POD_FAILURE_BACKOFF) -> float:
        """getRemainingTime: seconds until a replacement pod may be created (0: now)."""
        if self.failures_after_last_success == 0 or self.last_failure_time is None:
            return 0.0
        backoff = base
        for _ in range(1, self.failures_after_last_success):
            backoff = min(backoff * 2, cap)
        elapsed = now - self.last_failure_time
        if elapsed < 0:
            return backoff
        return max(0.0, backoff - elapsed)


def finish_time(pod: dict, now: float) -> float:
    """getFinishedTime: the latest container finishedAt, else deletion time, else now."""
    latest = None
    for cs in (pod.get("status") or {}).get("containerStatuses") or ():
        done = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if done:
            t = parse(done)
            latest = t if latest is None or t > latest else latest
    if latest is not None:
        return latest
    deleted = (pod.get("metadata") or {}).get("deletionTimestamp")
    return parse(deleted) if deleted else now


def new_backoff_record(old: BackoffRecord | None, succeeded: list[dict], failed: list[dict],
                       now: float) -> BackoffRecord:
    """backoffStore.newBackoffRecord: fold this sync's newly finished pods into the record."""
    rec = BackoffRecord(old.failures_after_last_success, old.last_failure_time) if old else BackoffRecord()
    if not succeeded and not failed:
        return rec
    fail_times = sorted(finish_time(p, now) for p in failed)
    if succeeded:
        last_success = max(finish_time(p, now) for p in succeeded)
        rec.failures_after_last_success = sum(1 for t in fail_times if t > last_success)
    else:
        rec.failures_after_last_success += len(fail_times)
    if fail_times and (rec.last_failure_time is None or fail_times[-1] > rec.last_failure_time):
        rec.last_failure_time = fail_times[-1]
    return rec


# -- podFailurePolicy ---------------------------------------------------------------------------
def _matching_exit_code(req: dict, pod: dict) -> tuple[dict, int] | None:
    status = pod.get("status") or {}
    name = req.get("containerName")
    values = set(req.get("values") or ())
    for cs in list(status.get("initContainerStatuses") or ()) + list(status.get("containerStatuses") or ()):
        term = (cs.get("state") or {}).get("terminated")
        if not term or (name and cs.get("name") != name):
            continue
        code = term.get("exitCode", 0)
        if code == 0:
            continue   # a container that succeeded never matches
        if (req.get("operator") == "In") == (code in values):
            return cs, code
    return None


def _matching_condition(patterns: list[dict], pod: dict) -> dict | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        for pat in patterns:
            if cond.get("type") == pat.get("type") and cond.get("status") == pat.get("status", "True"):
                return cond
    return None


def match_pod_failure_policy(policy: dict | None, pod: dict) -> tuple[str | None, bool, str | None]:
    """matchPodFailurePolicy: (FailJob message | None, count the failure?, matched action)."""
    if not policy:
        return None, True, None
    meta = pod.get("metadata") or {}
    who = f"{meta.get('namespace')}/{meta.get('name')}"
    for i, rule in enumerate(policy.get("rules") or ()):
        action = rule.get("action")
        hit: str | None = None
        if rule.get("onExitCodes") is not None:
            m = _matching_exit_code(rule["onExitCodes"], pod)
            if m is not None:
                cs, code = m
                hit = (f"Container {cs.get('name')} for pod {who} failed with exit code {code} "
                       f"matching {action} rule at index {i}")
        elif rule.get("onPodConditions"):
            c = _matching_condition(rule["onPodConditions"], pod)
            if c is not None:
                hit = f"Pod {who} has condition {c.get('type')} matching {action} rule at index {i}"
        if hit is None:
            continue
        if action == "FailJob":
            return hit, True, action
        if action == "Ignore":
            return None, False, action
        return None, True, action   # Count, FailIndex
    return None, True, None


# -- completion indexes -----------------------------------------------------------------------
def completion_index(pod: dict) -> int | None:
    """getCompletionIndex: the annotation as a non-negative int, else None."""
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(JOB_COMPLETION_INDEX_ANNOTATION)
    if text is None or not text.isdigit():
        return None
    return int(text)


def format_intervals(indexes: set[int]) -> str:
    """orderedIntervals.String: ``"1,3-5,7"``."""
    out: list[str] = []
    run: list[int] = []
    for ix in sorted(indexes):
        if run and ix == run[-1] + 1:
            run.append(ix)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [ix]
    if run:
        out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(out)


def parse_intervals(text: str | None, limit: int) -> set[int]:
    """parseIndexesFromString: indexes below ``limit`` (completions) from ``"0-2,4"``."""
    out: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            continue
        out.update(i for i in range(a, b + 1) if i < limit)
    return out


def success_policy_message(policy: dict | None, completions: int, succeeded: set[int]) -> str | None:
    """matchSuccessPolicy: "Matched rules at index <i>" for the first satisfied rule."""
    for i, rule in enumerate((policy or {}).get("rules") or ()):
        wanted = parse_intervals(rule.get("succeededIndexes"), completions) if rule.get("succeededIndexes") \
            else set(range(completions))
        hits = len(wanted & succeeded)
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") and count is None and wanted <= succeeded:
            return f"Matched rules at index {i}"
        if count is not None and hits >= count:
            return f"Matched rules at index {i}"
    return None


def condition(status: dict, ctype: str) -> dict | None:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def is_finished(job: dict) -> tuple[bool, str | None]:
    """util.IsJobFinished + the condition type (Complete | Failed)."""
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return True, c["type"]
    return False, None


def new_condition(ctype: str, reason: str, message: str, stamp: str, status: str = "True") -> dict:
    return {"type": ctype, "status": status, "lastProbeTime": stamp, "lastTransitionTime": stamp,
            "reason": reason, "message": message}


def ensure_condition(status: dict, ctype: str, cstatus: str, reason: str, message: str, stamp: str) -> bool:
    """ensureJobConditionStatus: set or add; never adds a False condition. True if changed."""
    conds: list[Any] = status.setdefault("conditions", [])
    for i, c in enumerate(conds):
        if c.get("type") == ctype:
            if (c.get("status"), c.get("reason"), c.get("message")) != (cstatus, reason, message):
                conds[i] = new_condition(ctype, reason, message, stamp, cstatus)
                return True
            return False
    if cstatus != "False":
        conds.append(new_condition(ctype, reason, message, stamp, cstatus))
        return True
    if not conds:
        status.pop("conditions", None)
    return False
