"""Kubelet pod lifecycle: exits, restart policies, CrashLoopBackOff, phases and conditions.

Upstream: pkg/kubelet/kuberuntime/kuberuntime_manager.go (computePodActions, doBackOff),
pkg/kubelet/container/helpers.go (ShouldContainerBeRestarted), pkg/kubelet/kubelet.go
(backOffPeriod 10 s, MaxContainerBackOff 300 s), util/flowcontrol/backoff.go (reset after
2 x max), pkg/kubelet/kubelet_pods.go (getPhase, generateAPIPodStatus),
pkg/kubelet/status/generate.go; kubectl's STATUS column (printers.go printPod).
"""

from __future__ import annotations

import kubelet_fakes as kf
from k8score.kubectl.podstatus import pod_status


def _get(api, name):
    return api.get("pods", name, "default")


def test_restart_policy_never_exit_codes_give_completed_and_error_phases():
    loop, api, _ = kf.setup()
    api.create("pods", kf.pod("ok", [kf.shell("echo hi; exit 0")], restartPolicy="Never"), "default")
    api.create("pods", kf.pod("bad", [kf.shell("exit 3")], restartPolicy="Never"), "default")
    loop.run(until=20)
    ok, bad = _get(api, "ok"), _get(api, "bad")
    assert ok["status"]["phase"] == "Succeeded" and bad["status"]["phase"] == "Failed"
    assert pod_status(ok) == ("0/1", "Completed", "0") and pod_status(bad) == ("0/1", "Error", "0")
    term = bad["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["exitCode"] == 3 and term["reason"] == "Error"
    assert term["containerID"].startswith("containerd://")
    assert [(c["type"], c["status"], c.get("reason")) for c in bad["status"]["conditions"]] == [
        ("PodReadyToStartContainers", "False", None), ("Initialized", "True", None),
        ("Ready", "False", "PodFailed"), ("ContainersReady", "False", "PodFailed"),
        ("PodScheduled", "True", None)]
    assert [c.get("reason") for c in ok["status"]["conditions"]] == [None, "PodCompleted", "PodCompleted",
                                                                    "PodCompleted", None]
    loop.run(until=200)   # terminal: never started again
    assert _get(api, "bad")["status"]["containerStatuses"][0]["restartCount"] == 0
    assert [e["reason"] for e in kf.events(api, "bad")].count("Started") == 1


def test_on_failure_restarts_only_failures():
    loop, api, _ = kf.setup()
    api.create("pods", kf.pod("done", [kf.shell("exit 0")], restartPolicy="OnFailure"), "default")
    api.create("pods", kf.pod("fail", [kf.shell("sleep 1; exit 2")], restartPolicy="OnFailure"), "default")
    loop.run(until=30)
    done, fail = _get(api, "done"), _get(api, "fail")
    assert done["status"]["phase"] == "Succeeded" and pod_status(done)[1] == "Completed"
    cs = fail["status"]["containerStatuses"][0]
    assert fail["status"]["phase"] == "Running"     # OnFailure, restarting
    assert cs["restartCount"] >= 2 and cs["lastState"]["terminated"]["exitCode"] == 2
    assert cs["lastState"]["terminated"]["reason"] == "Error"


def test_crash_loop_backoff_doubles_from_10s_to_300s_with_upstream_texts():
    loop, api, kubelet = kf.setup()
    api.create("pods", kf.pod("crash", [kf.shell("exit 1")]), "default")
    loop.run(until=5)
    p = _get(api, "crash")
    uid = p["metadata"]["uid"]
    cs = p["status"]["containerStatuses"][0]
    assert p["status"]["phase"] == "Running"   # Always: all containers restarting
    assert cs["state"] == {"waiting": {"reason": "CrashLoopBackOff", "message":
                                      f"back-off 10s restarting failed container=c pod=crash_default({uid})"}}
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["exitCode"] == 1
    assert pod_status(p, loop.now)[1] == "CrashLoopBackOff"
    backoff = [e for e in kf.events(api, "crash") if e["reason"] == "BackOff"]
    assert backoff[0]["type"] == "Warning"
    assert backoff[0]["message"] == f"Back-off restarting failed container c in pod crash_default({uid})"
    loop.run(until=1300)
    starts = [t for t, reason, _ in kf.log(kubelet, "crash") if reason == "Started"]
    gaps = [round(b - a) for a, b in zip(starts, starts[1:])]
    # first restart at once, then 10 s, 20 s ... (each attempt lives a few ms)
    assert gaps[:8] == [0, 10, 20, 40, 80, 160, 300, 300]
    pulled = [m for _, reason, m in kf.log(kubelet, "crash") if reason == "Pulled"]
    assert pulled[0].startswith('Successfully pulled image "busybox:1.36"')
    assert set(pulled[1:]) == {'Container image "busybox:1.36" already present on machine'}
    assert len(pulled) == len(starts)   # every attempt checks its image
    final = _get(api, "crash")["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    assert final.startswith("back-off 5m0s restarting failed container=c")


def test_backoff_resets_after_ten_minutes_of_running():
    loop, api, kubelet = kf.setup()
    api.create("pods", kf.pod("slow", [kf.shell("sleep 601; exit 1")]), "default")
    api.create("pods", kf.pod("fast", [kf.shell("sleep 599; exit 1")]), "default")
    loop.run(until=3000)
    for name, want in (("slow", [0, 0, 0]), ("fast", [0, 10, 20])):
        starts = [t for t, reason, _ in kf.log(kubelet, name) if reason == "Started"]
        waits = [round(b - a - (601 if name == "slow" else 599)) for a, b in zip(starts, starts[1:])]
        assert waits[:3] == want, name


def test_container_statuses_sorted_by_name_and_ready_counts():
    loop, api, _ = kf.setup()
    containers = [{"name": "zeta", "image": "nginx:1.14.2"}, kf.shell("exit 1", name="alpha")]
    api.create("pods", kf.pod("two", containers), "default")
    loop.run(until=9)
    p = _get(api, "two")
    assert [c["name"] for c in p["status"]["containerStatuses"]] == ["alpha", "zeta"]
    ready, status, restarts = pod_status(p, loop.now)
    assert (ready, status) == ("1/2", "CrashLoopBackOff") and restarts.startswith("1 (")
    ready_cond = next(c for c in p["status"]["conditions"] if c["type"] == "Ready")
    assert ready_cond["message"] == "containers with unready status: [alpha]"


def test_pod_scheduled_condition_for_a_pod_created_with_node_name():
    loop, api, _ = kf.setup()
    api.create("pods", kf.pod("direct", [{"name": "n", "image": "nginx:1.14.2"}]), "default")
    loop.run(until=10)
    conds = _get(api, "direct")["status"]["conditions"]
    assert [c["type"] for c in conds] == ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                         "PodScheduled"]
    assert all(c["status"] == "True" for c in conds)
    first = conds[-1]["lastTransitionTime"]
    loop.run(until=40)
    assert _get(api, "direct")["status"]["conditions"][-1]["lastTransitionTime"] == first


def test_missing_configmap_fails_mount_and_env_with_upstream_messages():
    loop, api, _ = kf.setup()
    vol = kf.pod("vol", [{"name": "c", "image": "nginx:1.14.2", "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}]}],
                 volumes=[{"name": "cfg", "configMap": {"name": "settings"}}])
    env = kf.pod("env", [{"name": "c", "image": "nginx:1.14.2", "env": [
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}}]}])
    api.create("pods", vol, "default")
    api.create("pods", env, "default")
    loop.run(until=8)
    mount = [e["message"] for e in kf.events(api, "vol") if e["reason"] == "FailedMount"]
    assert mount == ['MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found']
    assert pod_status(_get(api, "vol"))[1] == "ContainerCreating"
    waiting = _get(api, "env")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "CreateContainerConfigError", "message": 'configmap "settings" not found'}
    assert pod_status(_get(api, "env"))[1] == "CreateContainerConfigError"
    api.create("configmaps", {"metadata": {"name": "settings"}, "data": {"mode": "fast"}}, "default")
    loop.run(until=30)
    assert pod_status(_get(api, "vol"))[1] == "Running" and pod_status(_get(api, "env"))[1] == "Running"
