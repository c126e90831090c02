"""The CronJob controller and robfig/cron schedules, against upstream's behaviour.

Upstream: pkg/controller/cronjob/cronjob_controllerv2.go (syncCronJob, cleanupFinishedJobs,
getJobName), utils.go (mostRecentScheduleTime, nextScheduleTimeDuration, getJobFromTemplate2),
github.com/robfig/cron/v3 parser.go/spec.go (ParseStandard, Next), pkg/apis/batch/validation
(ValidateCronJob), pkg/apis/batch/v1/defaults.go, printers.go printCronJob. The docs' ``hello``
CronJob: https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jobhelpers import events, job, setup
from k8score import Cluster
from k8score.apiserver import ApiError
from k8score.controllers.cronjob_schedule import CronError, parse_standard

HELLO = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: hello
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: hello
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            command:
            - /bin/sh
            - -c
            - date; echo Hello from the Kubernetes cluster
          restartPolicy: OnFailure
"""
# virtual time 0 is 2026-01-01T00:00:00Z: minute m is 29453760 + m minutes after the Unix epoch
MINUTE0 = 29453760


def cronjob(name="tick", schedule="*/1 * * * *", **spec):
    tpl = job(name, command=("sleep", "3600"))["spec"]
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, **spec, "jobTemplate": {"spec": tpl}}}


def test_the_docs_hello_cronjob_runs_each_minute_and_keeps_three_successful_jobs():
    c = Cluster(nodes=1)
    c.apply(HELLO)
    c.run(330 - c.now)                                          # until 00:05:30
    names = sorted(j["metadata"]["name"] for j in c.get("jobs"))
    assert names == [f"hello-{MINUTE0 + m}" for m in (3, 4, 5)]   # history limit 3: minutes 1, 2 deleted
    ev = [(e["reason"], e["message"]) for e in c.events() if e["involvedObject"]["kind"] == "CronJob"]
    created = [m for r, m in ev if r == "SuccessfulCreate"]
    assert created == [f"Created job hello-{MINUTE0 + m}" for m in range(1, 6)]
    assert [m for r, m in ev if r == "SuccessfulDelete"] == [f"Deleted job hello-{MINUTE0 + m}" for m in (1, 2)]
    assert ("SawCompletedJob", f"Saw completed job: hello-{MINUTE0 + 5}, status: Complete") in ev
    out = c.kubectl("get cronjobs").splitlines()
    assert out[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    assert out[1].split()[:7] == ["hello", "*", "*", "*", "*", "*", "<none>"]
    cj = c.get("cronjobs", "hello")
    assert cj["status"]["lastScheduleTime"] == "2026-01-01T00:05:00Z" and "active" not in cj["status"]
    last = c.get("jobs", f"hello-{MINUTE0 + 5}")
    assert last["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2026-01-01T00:05:00Z"
    assert "Hello from the Kubernetes cluster" in c.kubectl(f"logs job/hello-{MINUTE0 + 5}")


def test_forbid_skips_while_a_job_runs():
    loop, api, _ = setup(controllers=("cronjob",))
    api.create("cronjobs", cronjob(concurrencyPolicy="Forbid"), "default")
    loop.run(until=185)                                         # 00:01, 00:02, 00:03 scheduled
    jobs = [j["metadata"]["name"] for j in api.list("jobs", namespace="default")["items"]]
    assert jobs == [f"tick-{MINUTE0 + 1}"]                      # no job controller: it never finishes
    skipped = [e for e in events(api, "CronJob") if e["reason"] == "JobAlreadyActive"]
    assert [e["message"] for e in skipped][:1] == [
        "Not starting job because prior execution is running and concurrency policy is Forbid"]
    assert len(skipped) == 1 and skipped[0]["count"] == 2       # 00:02 and 00:03, one aggregated Event


def test_replace_deletes_the_running_job_and_allow_runs_them_side_by_side():
    loop, api, _ = setup(controllers=("cronjob",))
    api.create("cronjobs", cronjob("rep", concurrencyPolicy="Replace"), "default")
    api.create("cronjobs", cronjob("all"), "default")
    loop.run(until=125)
    names = sorted(j["metadata"]["name"] for j in api.list("jobs", namespace="default")["items"])
    assert names == [f"all-{MINUTE0 + 1}", f"all-{MINUTE0 + 2}", f"rep-{MINUTE0 + 2}"]
    rep = [(e["reason"], e["message"]) for e in events(api, "CronJob") if e["involvedObject"]["name"] == "rep"]
    assert rep == [("SuccessfulCreate", f"Created job rep-{MINUTE0 + 1}"),
                   ("SuccessfulDelete", f"Deleted job rep-{MINUTE0 + 1}"),
                   ("SuccessfulCreate", f"Created job rep-{MINUTE0 + 2}")]
    assert [a["name"] for a in api.get("cronjobs", "all", "default")["status"]["active"]] == \
        [f"all-{MINUTE0 + 1}", f"all-{MINUTE0 + 2}"]


def test_a_controller_down_for_hours_reports_too_many_missed_and_starts_only_the_latest():
    loop, api, kcm = setup(controllers=("cronjob",), start=False)
    api.create("cronjobs", cronjob("late"), "default")
    api.create("cronjobs", cronjob("strict", startingDeadlineSeconds=10), "default")
    loop.run(until=102 * 60 + 30)                                # 102 minutes missed, 30 s late
    kcm.start()
    loop.run(until=102 * 60 + 40)
    names = sorted(j["metadata"]["name"] for j in api.list("jobs", namespace="default")["items"])
    assert names == [f"late-{MINUTE0 + 102}"]
    ev = {(e["involvedObject"]["name"], e["reason"]): e["message"] for e in events(api, "CronJob")}
    assert ev[("late", "TooManyMissedTimes")] == ("too many missed start times. Set or decrease "
                                                  ".spec.startingDeadlineSeconds or check clock skew")
    # startingDeadlineSeconds moves the earliest time to now - 10 s: 01:42:00 is outside the
    # window, so nothing is due and nothing is reported (mostRecentScheduleTime)
    assert [r for n, r in ev if n == "strict"] == []
    loop.run(until=103 * 60 + 5)
    assert f"strict-{MINUTE0 + 103}" in [j["metadata"]["name"] for j in api.list("jobs", namespace="default")["items"]]


def test_suspend_and_time_zone():
    loop, api, _ = setup(controllers=("cronjob",))
    api.create("cronjobs", cronjob("off", suspend=True), "default")
    # 09:00 in Tokyo is 00:00 UTC: the first run is at 2026-01-02T00:00:00Z, not 09:00 UTC
    api.create("cronjobs", cronjob("tokyo", schedule="0 9 * * *", timeZone="Asia/Tokyo"), "default")
    loop.run(until=86400 + 5)
    names = [j["metadata"]["name"] for j in api.list("jobs", namespace="default")["items"]]
    assert names == [f"tokyo-{MINUTE0 + 1440}"]
    tokyo = api.get("jobs", names[0], "default")
    assert tokyo["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2026-01-02T09:00:00+09:00"


def test_cronjob_validation_uses_robfig_messages():
    loop, api, _ = setup(controllers=())
    cases = [("61 * * * *", "end of range (61) above maximum (59): 61"),
             ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
             ("@fortnightly", "unrecognized descriptor: @fortnightly"),
             ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
             ("TZ=UTC 0 0 * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")]
    for schedule, msg in cases:
        with pytest.raises(ApiError) as err:
            api.create("cronjobs", cronjob("c", schedule=schedule), "default")
        assert err.value.message == f'CronJob.batch "c" is invalid: spec.schedule: Invalid value: "{schedule}": {msg}'
    with pytest.raises(ApiError) as err:
        api.create("cronjobs", cronjob("c", timeZone="Mars/Olympus"), "default")
    assert "spec.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus" in err.value.message
    with pytest.raises(ApiError) as err:
        api.create("cronjobs", cronjob("x" * 53), "default")
    assert "must be no more than 52 characters" in err.value.message
    ok = api.create("cronjobs", cronjob("x" * 52, schedule="@hourly"), "default")
    assert (ok["spec"]["concurrencyPolicy"], ok["spec"]["suspend"], ok["spec"]["successfulJobsHistoryLimit"],
            ok["spec"]["failedJobsHistoryLimit"]) == ("Allow", False, 3, 1)


def test_schedule_next_times():
    utc = dt.timezone.utc
    t = dt.datetime(2026, 1, 1, 0, 0, 30, tzinfo=utc)           # a Thursday

    def nxt(spec, at=t):
        return parse_standard(spec).next(at).strftime("%Y-%m-%d %H:%M:%S")
    assert nxt("*/1 * * * *") == "2026-01-01 00:01:00"
    assert nxt("@hourly") == "2026-01-01 01:00:00"
    assert nxt("@weekly") == "2026-01-04 00:00:00"               # Sunday
    assert nxt("@every 1h30m") == "2026-01-01 01:30:30"
    assert nxt("30 6-16/4 * * 1-5") == "2026-01-01 06:30:00"
    assert nxt("0 0 1,15 * mon") == "2026-01-05 00:00:00"        # dom OR dow when both are restricted
    assert parse_standard("0 0 31 2 *").next(t) is None          # never: no 31 February in five years
    with pytest.raises(CronError, match="too many slashes: \\*/2/3"):
        parse_standard("*/2/3 * * * *")
