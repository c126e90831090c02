"""The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go, utils.go).

Each sync reads a CronJob and the Jobs it controls, then:

1. removes finished Jobs from ``status.active`` (``SawCompletedJob`` "Saw completed job: <name>,
   status: Complete"), records ``lastSuccessfulTime``, forgets active Jobs that vanished
   (``MissingJob``);
2. deletes the oldest finished Jobs beyond ``successfulJobsHistoryLimit`` (3) and
   ``failedJobsHistoryLimit`` (1) (``SuccessfulDelete`` "Deleted job <name>");
3. unless suspended, finds the most recent unmet schedule time (``mostRecentScheduleTime``: from
   ``lastScheduleTime`` or the creation time, limited by ``startingDeadlineSeconds``; more than
   100 missed -> Warning ``TooManyMissedTimes`` "too many missed start times. Set or decrease
   .spec.startingDeadlineSeconds or check clock skew"); too late -> ``MissSchedule``; Forbid with
   an active Job -> ``JobAlreadyActive``; Replace deletes the active Jobs first; then creates Job
   ``<cronjob>-<minutes since the Unix epoch>`` (``SuccessfulCreate`` "Created job <name>") with
   the ``batch.kubernetes.io/cronjob-scheduled-timestamp`` annotation;
4. writes status once and requeues itself for the next schedule time + 100 ms
   (``nextScheduleDelta``).

Schedules are parsed by :mod:`.cronjob_schedule` in ``spec.timeZone`` (``TZ=<zone>`` prefix).
Virtual time maps to wall time through :data:`k8score.sim.clock.EPOCH`.
"""

from __future__ import annotations

import copy
import datetime as _dt
from typing import Any

from ..api.errors import status
from ..client.errors import ApiError, is_already_exists, is_not_found
from ..client.meta import controller_ref, key_func, owner_reference
from ..lang import Text
from ..sim.clock import EPOCH, parse, rfc3339
from .base import Controller
from .cronjob_schedule import CronError, load_location, parse_standard
from .job_util import is_finished

# cronjob_controllerv2.go nextScheduleDelta: padding for clock skew on each requeue
NEXT_SCHEDULE_DELTA = 0.1
# utils.go mostRecentScheduleTime: "I've somewhat arbitrarily picked 100"
MANY_MISSED = 100
# k8s.io/api/batch/v1 types.go CronJobScheduledTimestampAnnotation
SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
_UNIX_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def to_datetime(seconds: float) -> _dt.datetime:
    return EPOCH + _dt.timedelta(seconds=seconds)


def to_seconds(t: _dt.datetime) -> float:
    return (t - EPOCH).total_seconds()


def job_name(cronjob: dict, scheduled: _dt.datetime) -> str:
    """getJobName: ``<name>-<scheduled time in minutes since the Unix epoch>``."""
    return f"{cronjob['metadata']['name']}-{int((scheduled - _UNIX_EPOCH).total_seconds()) // 60}"


def format_schedule(cj: dict) -> str:
    """formatSchedule: ``TZ=<spec.timeZone> <schedule>`` unless the schedule has its own TZ."""
    schedule, tz = cj["spec"].get("schedule", ""), cj["spec"].get("timeZone")
    if "TZ" in schedule or tz is None:
        return schedule
    try:
        load_location(tz)
    except CronError:
        return schedule
    return f"TZ={tz} {schedule}"


def most_recent_schedule_time(cj: dict, now: _dt.datetime, sched: Any, with_deadline: bool):
    """utils.go mostRecentScheduleTime -> (earliest, most recent unmet or None, missed count)."""
    status = cj.get("status") or {}
    earliest = to_datetime(parse(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"]))
    sds = cj["spec"].get("startingDeadlineSeconds")
    if with_deadline and sds is not None:
        deadline = now - _dt.timedelta(seconds=sds)
        earliest = max(earliest, deadline)
    t1 = sched.next(earliest)
    if t1 is None or now < t1:
        return earliest, None, 0
    t2 = sched.next(t1)
    if t2 is None or now < t2:
        return earliest, t1, 0
    between = int(round((t2 - t1).total_seconds()))
    if between < 1:
        raise CronError("time difference between two schedules is less than 1 second")
    missed = int((now - t1).total_seconds()) // between + 1
    t = sched.next(t1 + _dt.timedelta(seconds=(missed - 2) * between))
    recent = None
    while t is not None and t <= now:
        recent = t
        t = sched.next(t)
    return earliest, recent, missed


class CronJobController(Controller):
    name = "cronjob"
    kind = "cronjob-controller"
    watches = ("cronjobs", "jobs")
    writes = ("jobs", "cronjobs/status", "events")
    summary = Text("按 Cron 时间表为每个 CronJob 创建 Job，处理并发策略、错过的调度与历史记录清理",
                   "Creates a Job for each CronJob on its cron schedule, handling the concurrency policy, missed schedules and history cleanup")
    event_component = "cronjob-controller"

    def setup(self) -> None:
        self.cronjobs = self.informer("cronjobs")
        self.jobs = self.informer("jobs")
        self.cronjobs.add_event_handler(on_add=self.enqueue, on_update=self._update_cronjob,
                                        on_delete=self.enqueue)
        self.jobs.add_event_handler(on_add=self._job_changed, on_update=lambda o, c: self._job_changed(c, o),
                                    on_delete=self._job_changed)

    def _update_cronjob(self, old: dict, cur: dict) -> None:
        os_, ns = old.get("spec") or {}, cur.get("spec") or {}
        if (os_.get("schedule"), os_.get("timeZone")) != (ns.get("schedule"), ns.get("timeZone")):
            try:
                sched = parse_standard(format_schedule(cur))
            except CronError:
                self.recorder.event(cur, "Warning", "UnParseableCronJobSchedule",
                                    f"unparseable schedule for cronjob: {ns.get('schedule')}")
                return
            self.queue.add_after(key_func(cur), self._next_delay(cur, sched))
            return
        self.enqueue(cur)

    def _job_changed(self, job: dict, old: dict | None = None) -> None:
        for j in (old, job):
            ref = controller_ref(j) if j else None
            if ref and ref.get("kind") == "CronJob":
                cj = self.cronjobs.get(f"{j['metadata'].get('namespace')}/{ref.get('name')}")
                if cj is not None and cj["metadata"].get("uid") == ref.get("uid"):
                    self.enqueue(cj)

    def _now(self) -> _dt.datetime:
        return to_datetime(self.loop.now)

    def _next_delay(self, cj: dict, sched: Any) -> float:
        """nextScheduleTimeDuration: until the next schedule after the most recent one, +100 ms."""
        now = self._now()
        try:
            earliest, recent, missed = most_recent_schedule_time(cj, now, sched, False)
        except CronError:
            recent, missed, earliest = now, 0, now
        if recent is None:
            recent = earliest if missed == 0 else now
        nxt = sched.next(recent)
        if nxt is None:
            return 365 * 86400.0
        return (nxt - now).total_seconds() + NEXT_SCHEDULE_DELTA

    # -- sync -------------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        shared = self.cronjobs.get(key)
        if shared is None:
            return
        cj = copy.deepcopy(shared)
        cj.setdefault("status", {})
        uid = cj["metadata"].get("uid")
        jobs = [j for j in self.jobs.list(cj["metadata"].get("namespace"))
                if (controller_ref(j) or {}).get("name") == cj["metadata"]["name"]
                and (controller_ref(j) or {}).get("kind") == "CronJob"]
        changed = self._cleanup(cj, jobs)
        requeue, changed2, error = self._sync_cronjob(cj, jobs, uid)
        if changed or changed2:
            st = cj["status"]
            if not st.get("active"):
                st.pop("active", None)
            self.client.update("cronjobs", cj, namespace=cj["metadata"]["namespace"], subresource="status")
        if requeue is not None:
            self.queue.add_after(key, requeue)
            return
        if error is not None:
            raise error

    def _cleanup(self, cj: dict, jobs: list[dict]) -> bool:
        """cleanupFinishedJobs + removeOldestJobs (oldest startTime first, then name)."""
        spec = cj["spec"]
        done = {"Complete": [], "Failed": []}
        for j in jobs:
            fin, kind = is_finished(j)
            if fin:
                done[kind].append(j)
        changed = False
        for kind, limit in (("Complete", spec.get("successfulJobsHistoryLimit")),
                            ("Failed", spec.get("failedJobsHistoryLimit"))):
            if limit is None or len(done[kind]) <= limit:
                continue
            ordered = sorted(done[kind], key=lambda j: ((j.get("status") or {}).get("startTime") is None,
                                                        (j.get("status") or {}).get("startTime") or "",
                                                        j["metadata"]["name"]))
            for j in ordered[: len(done[kind]) - limit]:
                changed = self._delete_job(cj, j) or changed
        return changed

    def _delete_job(self, cj: dict, job: dict) -> bool:
        try:
            self.client.delete("jobs", job["metadata"]["name"], namespace=job["metadata"]["namespace"],
                               propagation_policy="Background")
        except ApiError as err:
            if not is_not_found(err):
                self.recorder.event(cj, "Warning", "FailedDelete", f"Deleted job: {err.message}")
                return False
        cj["status"]["active"] = [a for a in cj["status"].get("active") or ()
                                  if a.get("uid") != job["metadata"].get("uid")]
        self.recorder.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {job['metadata']['name']}")
        return True

    def _sync_cronjob(self, cj: dict, jobs: list[dict], uid: str):
        st, spec, rec = cj["status"], cj["spec"], self.recorder
        changed = False
        children = {j["metadata"].get("uid") for j in jobs}
        for j in jobs:
            juid = j["metadata"].get("uid")
            found = any(a.get("uid") == juid for a in st.get("active") or ())
            fin, kind = is_finished(j)
            if not found and not fin:
                rec.event(cj, "Warning", "UnexpectedJob",
                          f"Saw a job that the controller did not create or forgot: {j['metadata']['name']}")
            elif found and fin:
                st["active"] = [a for a in st["active"] if a.get("uid") != juid]
                rec.event(cj, "Normal", "SawCompletedJob", f"Saw completed job: {j['metadata']['name']}, status: {kind}")
                changed = True
            elif kind == "Complete":
                done = (j.get("status") or {}).get("completionTime")
                if done and (not st.get("lastSuccessfulTime") or parse(done) > parse(st["lastSuccessfulTime"])):
                    st["lastSuccessfulTime"] = done
                    changed = True
        for a in list(st.get("active") or ()):
            if a.get("uid") in children:
                continue
            try:
                self.client.get("jobs", a.get("name"), namespace=a.get("namespace"))
            except ApiError as err:
                if not is_not_found(err):
                    return None, changed, err
                rec.event(cj, "Normal", "MissingJob", f"Active job went missing: {a.get('name')}")
                st["active"] = [x for x in st["active"] if x.get("uid") != a.get("uid")]
                changed = True
        if cj["metadata"].get("deletionTimestamp"):
            return None, changed, None
        tz = spec.get("timeZone")
        if tz is not None:
            try:
                load_location(tz)
            except CronError as err:
                rec.event(cj, "Warning", "UnknownTimeZone", f'invalid timeZone: "{tz}": {err}')
                return None, changed, None
        if spec.get("suspend"):
            return None, changed, None
        if "TZ" in spec.get("schedule", ""):
            rec.event(cj, "Warning", "UnsupportedSchedule",
                      f'CRON_TZ or TZ used in schedule "{spec["schedule"]}" is not officially supported, see '
                      "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details")
        try:
            sched = parse_standard(format_schedule(cj))
        except CronError as err:
            rec.event(cj, "Warning", "UnparseableSchedule", f'unparseable schedule: "{spec.get("schedule")}" : {err}')
            return None, changed, None
        now = self._now()
        try:
            _, scheduled, missed = most_recent_schedule_time(cj, now, sched, True)
        except CronError as err:
            rec.event(cj, "Warning", "InvalidSchedule", f"invalid schedule: {spec.get('schedule')} : {err}")
            return None, changed, None
        if scheduled is not None and missed > MANY_MISSED:
            rec.event(cj, "Warning", "TooManyMissedTimes", "too many missed start times. Set or decrease "
                      ".spec.startingDeadlineSeconds or check clock skew")
        if scheduled is None:
            return self._next_delay(cj, sched), changed, None
        sds = spec.get("startingDeadlineSeconds")
        if sds is not None and scheduled + _dt.timedelta(seconds=sds) < now:
            stamp = scheduled.astimezone(_dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
            rec.event(cj, "Warning", "MissSchedule", f"Missed scheduled time to start a job: {stamp}")
            return self._next_delay(cj, sched), changed, None
        name = job_name(cj, scheduled)
        sched_stamp = rfc3339(to_seconds(scheduled))
        if any(a.get("name") == name for a in st.get("active") or ()) or st.get("lastScheduleTime") == sched_stamp:
            return self._next_delay(cj, sched), changed, None
        if spec.get("concurrencyPolicy") == "Forbid" and st.get("active"):
            rec.event(cj, "Normal", "JobAlreadyActive",
                      "Not starting job because prior execution is running and concurrency policy is Forbid")
            return self._next_delay(cj, sched), changed, None
        if spec.get("concurrencyPolicy") == "Replace":
            for a in list(st.get("active") or ()):
                try:
                    job = self.client.get("jobs", a["name"], namespace=a.get("namespace"))
                except ApiError as err:
                    rec.event(cj, "Warning", "FailedGet", f"Get job: {err.message}")
                    return None, changed, err
                if not self._delete_job(cj, job):
                    return None, changed, ApiError(status(500, "InternalError",
                                                         f"could not replace job {a.get('namespace')}/{a['name']}"))
                changed = True
        try:
            made = self.client.create("jobs", self._job_from_template(cj, scheduled, name),
                                      namespace=cj["metadata"]["namespace"])
        except ApiError as err:
            if not is_already_exists(err):
                rec.event(cj, "Warning", "FailedCreate", f"Error creating job: {err.message}")
                return None, changed, err
            made = self.client.get("jobs", name, namespace=cj["metadata"]["namespace"])
            if (controller_ref(made) or {}).get("uid") != uid or \
                    any(a.get("uid") == made["metadata"].get("uid") for a in st.get("active") or ()):
                return None, changed, None
        else:
            rec.event(cj, "Normal", "SuccessfulCreate", f"Created job {made['metadata']['name']}")
        m = made["metadata"]
        st.setdefault("active", []).append({"kind": "Job", "namespace": m["namespace"], "name": m["name"],
                                            "uid": m["uid"], "apiVersion": "batch/v1",
                                            "resourceVersion": m["resourceVersion"]})
        st["lastScheduleTime"] = sched_stamp
        return self._next_delay(cj, sched), True, None

    def _job_from_template(self, cj: dict, scheduled: _dt.datetime, name: str) -> dict:
        """getJobFromTemplate2: the template's labels/annotations, the scheduled-time annotation."""
        tpl = cj["spec"].get("jobTemplate") or {}
        tmeta = tpl.get("metadata") or {}
        annotations = dict(tmeta.get("annotations") or {})
        loc = load_location(cj["spec"].get("timeZone") or "")
        local = scheduled.astimezone(loc)
        annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = local.isoformat().replace("+00:00", "Z") \
            if local.utcoffset() == _dt.timedelta(0) else local.isoformat()
        meta = {"name": name, "namespace": cj["metadata"]["namespace"], "annotations": annotations,
                "ownerReferences": [owner_reference(cj)]}
        if tmeta.get("labels"):
            meta["labels"] = dict(tmeta["labels"])
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                "spec": copy.deepcopy(tpl.get("spec") or {})}
