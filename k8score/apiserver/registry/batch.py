"""Strategies of batch/v1: Job and CronJob (pkg/registry/batch/job, cronjob strategy.go).

- Defaulting is pkg/apis/batch/v1/defaults.go (``SetDefaults_Job``, ``SetDefaults_CronJob``).
- Validation is pkg/apis/batch/validation/validation.go, the rules a user meets: counts are
  non-negative, ``restartPolicy`` is OnFailure or Never, the selector matches the template,
  Indexed mode needs completions, podFailurePolicy needs ``restartPolicy: Never``, a schedule
  robfig/cron parses, a known ``timeZone``, no ``TZ=`` in a new schedule, CronJob names of at most
  52 characters; on update completions, selector, template and completionMode are immutable.
- Selector generation: the Job strategy's ``Validate`` calls ``generateSelectorIfNeeded`` (the UID
  exists only then — upstream's own TODO) and so do we: the template gets
  ``batch.kubernetes.io/controller-uid``/``batch.kubernetes.io/job-name`` plus the legacy
  ``controller-uid``/``job-name`` labels, the selector matches the controller UID. A Job without
  labels shows its template's (defaults.go: "labels := obj.Spec.Template.Labels").
"""

from __future__ import annotations

from typing import Any

from ...api.field import FieldError, invalid, not_supported, required
from ...api.resources import BUILTIN
from ...api.selectors import from_label_selector_dict
from .. import defaults
from ..validation.pod import pod_spec
from ..validation.workloads import _go_map
from .strategy import Strategy


def _cron():
    # robfig/cron's model lives with the CronJob controller; imported late (controllers import the client)
    from ...controllers import cronjob_schedule
    return cronjob_schedule

# k8s.io/api/batch/v1 types.go: label and annotation keys
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
# pkg/apis/batch/v1/defaults.go
DEFAULT_BACKOFF_LIMIT = 6
MAX_INT32 = 2**31 - 1
DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3
DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1
# validation.go ValidateCronJobCreate: DNS1035LabelMaxLength - 11 (room for "-<minutes>")
CRONJOB_NAME_MAX = 52
_MIN = "must be greater than or equal to 0"    # apivalidation.ValidateNonnegativeField
_IMMUTABLE = "field is immutable"
_ACTIONS = ["Count", "FailIndex", "FailJob", "Ignore"]
_CONCURRENCY = ["Allow", "Forbid", "Replace"]


def default_job_spec(spec: dict) -> None:
    """SetDefaults_Job on a JobSpec (also a CronJob's jobTemplate.spec)."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("completionMode") is None:
        spec["completionMode"] = "NonIndexed"
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else DEFAULT_BACKOFF_LIMIT
    spec.setdefault("suspend", False)
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    for rule in (spec.get("podFailurePolicy") or {}).get("rules") or ():
        for pattern in (rule or {}).get("onPodConditions") or ():
            if isinstance(pattern, dict):
                pattern.setdefault("status", "True")
    if spec.get("manualSelector") is None:
        spec.pop("manualSelector", None)
    tpl = spec.setdefault("template", {})
    tpl.setdefault("metadata", {})
    defaults.pod_spec(tpl.setdefault("spec", {}))


def _nonneg(spec: dict, key: str, path: str) -> list[FieldError]:
    v = spec.get(key)
    if v is None:
        return []
    if not isinstance(v, int) or isinstance(v, bool):
        return [invalid(f"{path}.{key}", v, "must be an integer")]
    return [invalid(f"{path}.{key}", v, _MIN)] if v < 0 else []


def _pod_failure_policy(policy: Any, spec: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    restart = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if restart != "Never":
        errs.append(invalid(f"{path}.template.spec.restartPolicy", restart,
                            'only "Never" is supported when podFailurePolicy is specified'))
    for i, rule in enumerate((policy or {}).get("rules") or ()):
        rp = f"{path}.podFailurePolicy.rules[{i}]"
        action = (rule or {}).get("action")
        if action not in _ACTIONS:
            errs.append(not_supported(f"{rp}.action", action, _ACTIONS))
        codes, conds = rule.get("onExitCodes"), rule.get("onPodConditions")
        if codes is not None and conds:
            errs.append(invalid(rp, "", "specifying both OnExitCodes and OnPodConditions is not supported"))
        elif codes is None and not conds:
            errs.append(invalid(rp, "", "specifying one of OnExitCodes and OnPodConditions is required"))
        if codes is not None:
            op = codes.get("operator")
            if op not in ("In", "NotIn"):
                errs.append(not_supported(f"{rp}.onExitCodes.operator", op, ["In", "NotIn"]))
            vals = codes.get("values") or []
            if not vals:
                errs.append(required(f"{rp}.onExitCodes.values", "at least one value is required"))
            if op == "In" and 0 in vals:
                errs.append(invalid(f"{rp}.onExitCodes.values[{vals.index(0)}]", 0,
                                    "must not be 0 for the In operator"))
    return errs


def validate_job_spec(spec: Any, path: str, template_only: bool = False) -> list[FieldError]:
    """validateJobSpec (+ ValidateJobSpec's selector rules unless ``template_only``)."""
    if not isinstance(spec, dict):
        return [required(path, "")]
    errs: list[FieldError] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"):
        errs += _nonneg(spec, key, path)
    ads = spec.get("activeDeadlineSeconds")
    if isinstance(ads, int) and ads == 0:
        errs.append(invalid(f"{path}.activeDeadlineSeconds", 0, "must be greater than 0"))
    tpl = spec.get("template") or {}
    tspec = tpl.get("spec")
    errs += pod_spec(tspec, f"{path}.template.spec")
    restart = (tspec or {}).get("restartPolicy") if isinstance(tspec, dict) else None
    if restart not in ("OnFailure", "Never"):
        errs.append(not_supported(f"{path}.template.spec.restartPolicy", restart, ["OnFailure", "Never"]))
    mode = spec.get("completionMode")
    if mode not in (None, "NonIndexed", "Indexed"):
        errs.append(not_supported(f"{path}.completionMode", mode, ["NonIndexed", "Indexed"]))
    if mode == "Indexed" and spec.get("completions") is None:
        errs.append(required(f"{path}.completions", "when completion mode is Indexed"))
    if spec.get("successPolicy") is not None and mode != "Indexed":
        errs.append(invalid(f"{path}.successPolicy", "", "requires indexed completion mode"))
    if spec.get("podFailurePolicy") is not None:
        errs += _pod_failure_policy(spec["podFailurePolicy"], spec, path)
    if template_only:
        if spec.get("selector") is not None:
            errs.append(invalid(f"{path}.selector", "", "`selector` will be auto-generated"))
        return errs
    sel = spec.get("selector")
    if sel is None:
        errs.append(required(f"{path}.selector", ""))
    else:
        tlabels = (tpl.get("metadata") or {}).get("labels") or {}
        try:
            matches = from_label_selector_dict(sel).matches(tlabels)
        except Exception:  # noqa: BLE001 - malformed selectors are reported, not raised
            errs.append(invalid(f"{path}.selector", "", "invalid label selector"))
        else:
            if not matches:
                errs.append(invalid(f"{path}.template.metadata.labels", _go_map(tlabels),
                                    "`selector` does not match template `labels`"))
    return errs


def generate_selector(job: dict) -> None:
    """generateSelectorIfNeeded (pkg/registry/batch/job/strategy.go)."""
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector"):
        return
    meta = job["metadata"]
    uid, name = meta.get("uid", ""), meta.get("name", "")
    tmeta = spec.setdefault("template", {}).setdefault("metadata", {})
    labels = dict(tmeta.get("labels") or {})
    for key, value in ((LEGACY_CONTROLLER_UID_LABEL, uid), (LEGACY_JOB_NAME_LABEL, name),
                       (CONTROLLER_UID_LABEL, uid), (JOB_NAME_LABEL, name)):
        labels.setdefault(key, value)
    tmeta["labels"] = labels
    if spec.get("selector") is None:
        spec["selector"] = {"matchLabels": {CONTROLLER_UID_LABEL: uid}}
    if not meta.get("labels"):
        meta["labels"] = dict(labels)


class JobStrategy(Strategy):
    info = BUILTIN["jobs"]
    status_subresource = True
    tracks_generation = True
    initial_status: dict = {}

    def default(self, obj: dict) -> Any:
        default_job_spec(obj.setdefault("spec", {}))

    def validate(self, obj: dict) -> list[FieldError]:
        if obj["metadata"].get("uid"):
            generate_selector(obj)
        errs = self._meta_errors(obj)
        spec = obj.get("spec") or {}
        errs += validate_job_spec(spec, "spec")
        if not spec.get("manualSelector") and isinstance(spec.get("selector"), dict):
            ml = spec["selector"].get("matchLabels") or {}
            if ml.get(CONTROLLER_UID_LABEL, ml.get(LEGACY_CONTROLLER_UID_LABEL)) != obj["metadata"].get("uid"):
                errs.append(invalid("spec.selector", "", "`selector` not auto-generated"))
        return errs

    def validate_update(self, new: dict, old: dict) -> list[FieldError]:
        errs = super().validate_update(new, old)
        ns, os_ = new.get("spec") or {}, old.get("spec") or {}
        for key in ("completions", "selector", "template", "completionMode"):
            if key == "completions" and ns.get("completions") == ns.get("parallelism") and \
                    ns.get("completionMode") == "Indexed":
                continue   # elastic Indexed Jobs scale completions with parallelism
            if ns.get(key) != os_.get(key):
                errs.append(invalid(f"spec.{key}", "", _IMMUTABLE))
        return errs


class CronJobStrategy(Strategy):
    info = BUILTIN["cronjobs"]
    status_subresource = True
    tracks_generation = True
    initial_status: dict = {}

    def default(self, obj: dict) -> Any:
        spec = obj.setdefault("spec", {})
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT)
        spec.setdefault("failedJobsHistoryLimit", DEFAULT_FAILED_JOBS_HISTORY_LIMIT)
        default_job_spec(spec.setdefault("jobTemplate", {}).setdefault("spec", {}))

    def validate(self, obj: dict) -> list[FieldError]:
        return self._validate(obj, creating=True)

    def validate_update(self, new: dict, old: dict) -> list[FieldError]:
        from ..validation import meta as meta_validation
        errs = meta_validation.object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
        # an existing TZ= schedule stays acceptable (ValidateCronJobUpdate allows what was stored)
        old_tz = "TZ" in ((old.get("spec") or {}).get("schedule") or "")
        return errs + self._validate(new, creating=not old_tz)

    def _validate(self, obj: dict, creating: bool) -> list[FieldError]:
        errs = self._meta_errors(obj)
        name = obj["metadata"].get("name") or ""
        if len(name) > CRONJOB_NAME_MAX:
            errs.append(invalid("metadata.name", name, f"must be no more than {CRONJOB_NAME_MAX} characters"))
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return errs + [required("spec", "")]
        schedule = spec.get("schedule")
        if not schedule:
            errs.append(required("spec.schedule", ""))
        else:
            try:
                _cron().parse_standard(schedule)
            except _cron().CronError as err:
                errs.append(invalid("spec.schedule", schedule, str(err)))
            else:
                if creating and "TZ" in schedule:
                    errs.append(invalid("spec.schedule", schedule,
                                        "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
        tz = spec.get("timeZone")
        if tz is not None:
            if "TZ" in (schedule or ""):
                errs.append(invalid("spec.timeZone", spec.get("timeZone"),
                                    "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
            try:
                _cron().load_location(tz)
            except _cron().CronError as err:
                errs.append(invalid("spec.timeZone", tz, str(err)))
        for key in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            errs += _nonneg(spec, key, "spec")
        cp = spec.get("concurrencyPolicy")
        if not cp:
            errs.append(required("spec.concurrencyPolicy", ""))
        elif cp not in _CONCURRENCY:
            errs.append(not_supported("spec.concurrencyPolicy", cp, _CONCURRENCY))
        jt = spec.get("jobTemplate") or {}
        errs += validate_job_spec(jt.get("spec"), "spec.jobTemplate.spec", template_only=True)
        if (jt.get("spec") or {}).get("manualSelector"):
            errs.append(not_supported("spec.jobTemplate.spec.manualSelector", True, ["nil", "false"]))
        return errs


STRATEGIES = (JobStrategy, CronJobStrategy)

__all__ = ["JobStrategy", "CronJobStrategy", "STRATEGIES", "generate_selector", "default_job_spec"]
