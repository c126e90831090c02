"""The Job controller and the TTL-after-finished controller, against upstream's behaviour.

Upstream: pkg/controller/job/job_controller.go (syncJob, manageJob, trackJobStatusAndRemoveFinalizers,
DefaultJobPodFailureBackOff = 10 s doubling), backoff_utils.go, pod_failure_policy.go,
indexed_job_utils.go; pkg/apis/batch/v1/defaults.go; pkg/apis/batch/validation/validation.go;
pkg/registry/batch/job/strategy.go (generateSelectorIfNeeded);
pkg/controller/ttlafterfinished/ttlafterfinished_controller.go; pkg/printers/internalversion/printers.go
(printJob). The docs' ``pi`` Job: https://kubernetes.io/docs/concepts/workloads/controllers/job/.
"""

from __future__ import annotations

import math

import pytest

from jobhelpers import conditions, events, finish, job, pods, running, setup
from k8score import Cluster
from k8score.apiserver import ApiError

PI_JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never
  backoffLimit: 4
"""


def _chudnovsky_pi(digits: int) -> str:
    """Pi by Chudnovsky's series and an integer square root: independent of the image's Machin."""
    scale = 10 ** (digits + 20)
    k, a_k, a_sum, b_sum = 1, scale, scale, 0
    c3_over_24 = 640320 ** 3 // 24
    while a_k:
        a_k *= -(6 * k - 5) * (2 * k - 1) * (6 * k - 1)
        a_k //= k * k * k * c3_over_24
        a_sum += a_k
        b_sum += k * a_k
        k += 1
    total = 13591409 * a_sum + 545140134 * b_sum
    pi = (426880 * math.isqrt(10005 * scale * scale)) * scale // total   # pi * 10**(digits + 20)
    rounded = str((pi // 10 ** 20 + 5) // 10)     # digits + 1 significant digits -> digits, half up
    return rounded[0] + "." + rounded[1:]


def test_the_docs_pi_job_completes_with_2000_digits_of_pi_in_its_log():
    c = Cluster(nodes=1)
    c.apply(PI_JOB)
    c.run(60)
    out = c.kubectl("get jobs").splitlines()
    assert out[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert out[1].split()[:3] == ["pi", "Complete", "1/1"]
    log = c.kubectl("logs job/pi")
    assert log == _chudnovsky_pi(2000) + "\n" and len(log) == 2002
    assert log.startswith("3.14159265358979323846264338327950288419716939937510")
    j = c.get("jobs", "pi")
    assert [t for t, _, _ in conditions(j)] == ["SuccessCriteriaMet", "Complete"]
    assert conditions(j)[1][1:] == ("CompletionsReached", "Reached expected number of succeeded pods")
    assert j["status"]["succeeded"] == 1 and j["status"]["completionTime"]
    # the selector and labels the API server generated (strategy.go generateSelectorIfNeeded)
    uid = j["metadata"]["uid"]
    assert j["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    pod = c.get("pods", namespace="default")
    pod = [p for p in pod if p["metadata"]["name"].startswith("pi-")][0]
    assert pod["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "pi"
    assert pod["metadata"].get("finalizers") in (None, [])          # the tracking finalizer is gone
    reasons = [(e["reason"], e["message"]) for e in c.events() if e["involvedObject"]["kind"] == "Job"]
    assert reasons == [("SuccessfulCreate", f"Created pod: {pod['metadata']['name']}"), ("Completed", "Job completed")]


def test_backoff_limit_2_gives_3_pods_10s_and_20s_apart_then_failed():
    loop, api, _ = setup()
    api.create("jobs", job("fail", backoffLimit=2), "default")
    created = []
    for t in range(1, 90):
        loop.run(until=t)
        for p in running(pods(api, "fail-")):
            if p["metadata"]["name"] not in created:
                created.append(p["metadata"]["name"])
            finish(api, loop, p, "Failed", 1)           # every pod fails one second after it appears
    all_pods = pods(api, "fail-")
    assert len(all_pods) == 3
    starts = [int(p["metadata"]["creationTimestamp"][-3:-1]) for p in all_pods]
    # pod 1 (0 s) fails at 1 s: 10 s backoff -> pod 2 at 11 s, fails at once: 20 s -> pod 3 at 31 s
    assert starts == [0, 11, 31]
    j = api.get("jobs", "fail", "default")
    assert conditions(j) == [("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                             ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
    assert j["status"]["failed"] == 3 and "succeeded" not in j["status"]
    warn = [e for e in events(api, "Job") if e["type"] == "Warning"]
    assert [(e["reason"], e["message"]) for e in warn] == [
        ("BackoffLimitExceeded", "Job has reached the specified backoff limit")]


def test_backoff_limit_is_not_reached_at_exactly_the_limit():
    loop, api, _ = setup()
    api.create("jobs", job("edge", backoffLimit=2), "default")
    failures = 0
    for t in range(1, 90):
        loop.run(until=t)
        for p in running(pods(api, "edge-")):
            if failures < 2:
                finish(api, loop, p, "Failed", 1)
                failures += 1
    j = api.get("jobs", "edge", "default")
    assert j["status"]["failed"] == 2 and conditions(j) == []       # 2 failures, limit 2: still running
    assert len(running(pods(api, "edge-"))) == 1 and j["status"]["active"] == 1


def test_parallelism_2_completions_5_runs_at_most_2_and_completes_5():
    loop, api, _ = setup()
    api.create("jobs", job("par", parallelism=2, completions=5), "default")
    most, born = 0, {}
    for t in range(1, 60):
        loop.run(until=t)
        live = running(pods(api, "par-"))
        most = max(most, len(live))
        for p in live:
            born.setdefault(p["metadata"]["name"], t)
            if t - born[p["metadata"]["name"]] >= 3:
                finish(api, loop, p)
    j = api.get("jobs", "par", "default")
    assert most == 2 and len(pods(api, "par-")) == 5
    assert j["status"]["succeeded"] == 5 and conditions(j)[-1][0] == "Complete"
    created = [e for e in events(api, "Job") if e["reason"] == "SuccessfulCreate"]
    assert len(created) == 5


def test_indexed_job_gives_each_pod_its_index_hostname_and_env():
    loop, api, _ = setup()
    api.create("jobs", job("idx", completions=3, parallelism=3, completionMode="Indexed"), "default")
    loop.run(until=2)
    ps = sorted(pods(api, "idx-"), key=lambda p: p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"])
    assert [p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in ps] == ["0", "1", "2"]
    for i, p in enumerate(ps):
        assert p["metadata"]["name"].startswith(f"idx-{i}-") and p["spec"]["hostname"] == f"idx-{i}"
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == str(i)
        assert {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}} \
            in p["spec"]["containers"][0]["env"]
    finish(api, loop, ps[0])
    finish(api, loop, ps[2])
    loop.run(until=5)
    j = api.get("jobs", "idx", "default")
    assert j["status"]["completedIndexes"] == "0,2" and j["status"]["succeeded"] == 2 and conditions(j) == []
    finish(api, loop, ps[1])
    loop.run(until=8)
    j = api.get("jobs", "idx", "default")
    assert j["status"]["completedIndexes"] == "0-2" and conditions(j)[-1][0] == "Complete"


def test_active_deadline_seconds_fails_the_job_and_deletes_its_pods():
    loop, api, _ = setup()
    api.create("jobs", job("slow", activeDeadlineSeconds=10, parallelism=2, completions=4), "default")
    loop.run(until=9.5)
    assert conditions(api.get("jobs", "slow", "default")) == [] and len(running(pods(api, "slow-"))) == 2
    loop.run(until=12)
    j = api.get("jobs", "slow", "default")
    assert ("Failed", "DeadlineExceeded", "Job was active longer than specified deadline") in conditions(j)
    assert running(pods(api, "slow-")) == []
    assert [e["reason"] for e in events(api, "Job") if e["type"] == "Warning"] == ["DeadlineExceeded"]


def test_pod_failure_policy_fail_job_and_ignore_rules():
    loop, api, _ = setup()
    rules = [{"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
             {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]
    api.create("jobs", job("pfp", backoffLimit=0, podFailurePolicy={"rules": rules}), "default")
    loop.run(until=2)
    finish(api, loop, pods(api, "pfp-")[0], "Failed", 1,
           conditions=[{"type": "DisruptionTarget", "status": "True"}])   # ignored: not counted
    loop.run(until=4)
    j = api.get("jobs", "pfp", "default")
    assert conditions(j) == [] and "failed" not in j["status"] and len(pods(api, "pfp-")) == 2
    victim = running(pods(api, "pfp-"))[0]
    finish(api, loop, victim, "Failed", 42)
    loop.run(until=6)
    msg = f"Container main for pod default/{victim['metadata']['name']} failed with exit code 42 matching FailJob rule at index 0"
    assert conditions(api.get("jobs", "pfp", "default")) == [("FailureTarget", "PodFailurePolicy", msg),
                                                             ("Failed", "PodFailurePolicy", msg)]


def test_suspended_job_has_no_pods_until_resumed():
    loop, api, _ = setup()
    api.create("jobs", job("later", suspend=True), "default")
    loop.run(until=3)
    j = api.get("jobs", "later", "default")
    assert pods(api, "later-") == [] and conditions(j) == [("Suspended", "JobSuspended", "Job suspended")]
    assert "startTime" not in j["status"]
    api.patch("jobs", "later", {"spec": {"suspend": False}}, namespace="default")
    loop.run(until=6)
    j = api.get("jobs", "later", "default")
    assert len(pods(api, "later-")) == 1 and conditions(j) == [("Suspended", "JobResumed", "Job resumed")]
    # manageJob runs before the condition is written: the pod is created first
    assert [e["reason"] for e in events(api, "Job")][-2:] == ["SuccessfulCreate", "Resumed"]


def test_validation_and_defaults_follow_upstream():
    loop, api, _ = setup(controllers=())
    with pytest.raises(ApiError) as err:
        api.create("jobs", job("bad", restart="Always"), "default")
    assert err.value.message == ('Job.batch "bad" is invalid: spec.template.spec.restartPolicy: Unsupported value: '
                                 '"Always": supported values: "OnFailure", "Never"')
    with pytest.raises(ApiError) as err:
        api.create("jobs", job("bad", parallelism=-1, completionMode="Indexed"), "default")
    assert "spec.parallelism: Invalid value: -1: must be greater than or equal to 0" in err.value.message
    assert "spec.completions: Required value: when completion mode is Indexed" in err.value.message
    j = api.create("jobs", job("ok"), "default")
    s = j["spec"]
    assert (s["completions"], s["parallelism"], s["backoffLimit"], s["completionMode"], s["suspend"],
            s["podReplacementPolicy"]) == (1, 1, 6, "NonIndexed", False, "TerminatingOrFailed")
    j["spec"]["completions"] = 3
    with pytest.raises(ApiError) as err:
        api.update("jobs", j, "default")
    assert "spec.completions: Invalid value" in err.value.message and "field is immutable" in err.value.message


def test_ttl_seconds_after_finished_deletes_the_job_and_its_pods():
    loop, api, _ = setup(controllers=("job", "ttl-after-finished", "garbagecollector"))
    api.create("jobs", job("brief", ttlSecondsAfterFinished=5), "default")
    loop.run(until=2)
    finish(api, loop, pods(api, "brief-")[0])
    loop.run(until=4)
    done = api.get("jobs", "brief", "default")
    assert conditions(done)[-1][0] == "Complete"
    finished_at = int(done["status"]["completionTime"][-3:-1])
    loop.run(until=finished_at + 4.5)
    assert api.get("jobs", "brief", "default")                      # not yet: 5 s after finishing
    loop.run(until=finished_at + 8)
    with pytest.raises(ApiError):
        api.get("jobs", "brief", "default")
    assert pods(api, "brief-") == []                                  # Foreground: pods went first
