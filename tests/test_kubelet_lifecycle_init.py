"""Init containers, sidecars and graceful termination.

Upstream: pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (init containers
in order; restartable init containers), kuberuntime_container.go killContainer /
executePreStopHook (grace period, minimumGracePeriodInSeconds = 2), startContainer (postStart,
``PostStartHook failed``), pkg/kubelet/status/generate.go (Initialized), kubectl printPod
(``Init:0/2``, ``Init:Error``, ``Init:CrashLoopBackOff``, ``PodInitializing``, ``Terminating``).
"""

from __future__ import annotations

import kubelet_fakes as kf
from k8score.kubectl.podstatus import pod_status


def _get(api, name):
    return api.get("pods", name, "default")


def test_init_containers_run_in_order_before_the_app():
    loop, api, kubelet = kf.setup()
    inits = [kf.shell("sleep 5", name="first"), kf.shell("sleep 5", name="second")]
    api.create("pods", kf.pod("init", [{"name": "app", "image": "nginx:1.14.2"}], initContainers=inits), "default")
    loop.run(until=5)
    p = _get(api, "init")
    assert pod_status(p) == ("0/1", "Init:0/2", "0")
    assert p["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    init_cond = next(c for c in p["status"]["conditions"] if c["type"] == "Initialized")
    assert init_cond["reason"] == "ContainersNotInitialized"
    assert init_cond["message"] == "containers with incomplete status: [first second]"
    loop.run(until=10.5)
    assert pod_status(_get(api, "init"))[1] == "Init:1/2"
    loop.run(until=20)
    p = _get(api, "init")
    assert pod_status(p) == ("1/1", "Running", "0") and p["status"]["phase"] == "Running"
    assert [s["state"]["terminated"]["reason"] for s in p["status"]["initContainerStatuses"]] == ["Completed"] * 2
    fields = [e["involvedObject"]["fieldPath"] for e in kf.events(api, "init") if e["reason"] == "Started"]
    assert fields == ["spec.initContainers{first}", "spec.initContainers{second}", "spec.containers{app}"]


def test_failing_init_container_blocks_and_crash_loops_or_fails_the_pod():
    loop, api, _ = kf.setup()
    inits = [kf.shell("exit 1", name="wait"), kf.shell("exit 0", name="never")]
    api.create("pods", kf.pod("loop", [{"name": "app", "image": "nginx:1.14.2"}], initContainers=inits), "default")
    api.create("pods", kf.pod("once", [{"name": "app", "image": "nginx:1.14.2"}], initContainers=inits,
                              restartPolicy="Never"), "default")
    loop.run(until=8)
    p = _get(api, "loop")
    assert pod_status(p)[1] == "Init:CrashLoopBackOff" and p["status"]["phase"] == "Pending"
    assert p["status"]["initContainerStatuses"][1]["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert p["status"]["initContainerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 1
    once = _get(api, "once")
    assert once["status"]["phase"] == "Failed" and pod_status(once)[1] == "Init:Error"
    loop.run(until=60)
    assert not any(e["reason"] == "Started" and "never" in e["involvedObject"]["fieldPath"]
                   for e in kf.events(api, "loop"))


def test_sidecar_starts_first_and_keeps_running():
    loop, api, _ = kf.setup()
    sidecar = {"name": "proxy", "image": "nginx:1.14.2", "restartPolicy": "Always"}
    api.create("pods", kf.pod("side", [kf.shell("sleep 3600", name="app")], initContainers=[sidecar]), "default")
    loop.run(until=15)
    p = _get(api, "side")
    assert pod_status(p) == ("2/2", "Running", "0")
    [side] = p["status"]["initContainerStatuses"]
    assert "running" in side["state"] and side["started"] and side["ready"]


def test_deleting_a_sleep_pod_waits_the_grace_period_then_sigkill_137():
    loop, api, kubelet = kf.setup()
    api.create("pods", kf.pod("sleeper", [kf.shell("sleep 3600")]), "default")
    loop.run(until=10)
    api.delete("pods", "sleeper", namespace="default")
    loop.run(until=11)
    assert pod_status(_get(api, "sleeper"))[1] == "Terminating"
    killing = [e for e in kf.events(api, "sleeper") if e["reason"] == "Killing"]
    assert killing[0]["message"] == "Stopping container c"
    loop.run(until=39.5)   # sh as PID 1 ignores SIGTERM: still there before 30 s
    assert api.list("pods", namespace="default")["items"]
    states = [c["state"] for c in kubelet.runtime.list_containers()]
    assert states == ["CONTAINER_RUNNING"]
    loop.run(until=45)
    assert api.list("pods", namespace="default")["items"] == []
    stop = [c for c in kubelet.runtime.calls if c[1] == "StopContainer"]
    assert stop[0][2].endswith("timeout=30")


def test_termination_grace_and_prestop_share_the_budget():
    loop, api, kubelet = kf.setup()
    c = kf.shell("sleep 3600", lifecycle={"preStop": {"sleep": {"seconds": 4}}})
    api.create("pods", kf.pod("pre", [c], terminationGracePeriodSeconds=10), "default")
    api.create("pods", kf.pod("quick", [{"name": "n", "image": "nginx:1.14.2"}]), "default")
    loop.run(until=10)
    api.delete("pods", "pre", namespace="default")
    api.delete("pods", "quick", namespace="default")
    loop.run(until=13)
    assert [p["metadata"]["name"] for p in api.list("pods", namespace="default")["items"]] == ["pre"]
    stops = {c[2].split()[1] for c in kubelet.runtime.calls if c[1] == "StopContainer"}
    assert "timeout=30" in stops   # nginx: default grace, exits at once on SIGTERM
    loop.run(until=30)
    assert api.list("pods", namespace="default")["items"] == []
    assert "timeout=6" in {c[2].split()[1] for c in kubelet.runtime.calls if c[1] == "StopContainer"}


def test_failed_post_start_hook_kills_and_restarts_the_container():
    loop, api, kubelet = kf.setup()
    c = {"name": "web", "image": "nginx:1.14.2", "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "exit 7"]}}}}
    api.create("pods", kf.pod("hook", [c]), "default")
    loop.run(until=30)
    reasons = [(r, m) for _, r, m in kf.log(kubelet, "hook")]
    assert ("FailedPostStartHook", "PostStartHook failed") in reasons
    assert ("Killing", "FailedPostStartHook") in reasons
    assert _get(api, "hook")["status"]["containerStatuses"][0]["restartCount"] >= 1
