"""Kubelet pod lifecycle over the CRI: start, report, stop; image pulls and their backoff."""

from __future__ import annotations

import ipaddress

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer
from k8score.controllers import KubeControllerManager
from k8score.etcd import Store
from k8score.kubelet import Kubelet
from k8score.kubelet.podworkers import go_duration
from k8score.sim import Loop
from k8score.sim.clock import parse


def _setup(seed=0, nodes=1):
    loop = Loop(seed)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api, root_ca=True)
    KubeControllerManager(loop, api, controllers=["nodeipam"]).start()
    kubelets = [Kubelet(loop, api, f"node-{i}") for i in range(1, nodes + 1)]
    for k in kubelets:
        k.start()
    loop.run(until=1)
    return loop, api, kubelets


def _pod(name="web", image="nginx:1.14.2", node="node-1", containers=None, **spec):
    containers = containers or [{"name": "nginx", "image": image}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": containers, **spec}}


def _events(api, name=None):
    evs = sorted(api.list("events", namespace="default")["items"], key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e for e in evs if e["involvedObject"]["kind"] == "Pod" and (name is None or e["involvedObject"]["name"] == name)]


def test_pod_goes_from_pending_to_running_with_events_in_order():
    loop, api, [kubelet] = _setup()
    api.create("pods", _pod(), "default")
    phases = []
    for _ in range(100):
        loop.run(until=loop.now + 0.1)
        phase = api.get("pods", "web", "default").get("status", {}).get("phase")
        if not phases or phases[-1] != phase:
            phases.append(phase)
    assert phases[-2:] == ["Pending", "Running"]
    evs = _events(api, "web")
    assert [e["reason"] for e in evs] == ["Pulling", "Pulled", "Created", "Started"]
    assert evs[0]["message"] == 'Pulling image "nginx:1.14.2"'
    pulled = evs[1]["message"]
    assert pulled.startswith('Successfully pulled image "nginx:1.14.2" in ')
    assert pulled.endswith("including waiting). Image size: 44710204 bytes.")
    assert evs[2]["message"] == "Created container: nginx" and evs[3]["message"] == "Started container nginx"
    assert all(e["source"] == {"component": "kubelet", "host": "node-1"} for e in evs)
    assert all(e["involvedObject"]["fieldPath"] == "spec.containers{nginx}" for e in evs)

    pod = api.get("pods", "web", "default")
    node = api.get("nodes", "node-1")
    st = pod["status"]
    assert ipaddress.ip_address(st["podIP"]) in ipaddress.ip_network(node["spec"]["podCIDR"])
    assert st["podIP"] == "10.244.0.2" and st["podIPs"] == [{"ip": "10.244.0.2"}]  # .1 is the bridge
    assert st["hostIP"] == "192.168.0.11" and st["qosClass"] == "BestEffort"
    # generateAPIPodStatus always appends PodScheduled, also for a pod created with spec.nodeName
    assert [c["type"] for c in st["conditions"]] == ["PodReadyToStartContainers", "Initialized", "Ready",
                                                     "ContainersReady", "PodScheduled"]
    assert all(c["status"] == "True" for c in st["conditions"])
    [cs] = st["containerStatuses"]
    assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
    assert cs["containerID"].startswith("containerd://") and len(cs["containerID"]) == len("containerd://") + 64
    assert cs["image"] == "docker.io/library/nginx:1.14.2"
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert parse(cs["state"]["running"]["startedAt"]) == int(parse(evs[3]["firstTimestamp"]))
    cri = [c[1] for c in kubelet.runtime.calls]
    for call in ("RunPodSandbox", "PullImage", "CreateContainer", "StartContainer"):
        assert call in cri
    assert cri.index("RunPodSandbox") < cri.index("PullImage") < cri.index("CreateContainer") < cri.index("StartContainer")


def test_second_pod_finds_the_image_present_and_qos_guaranteed():
    loop, api, _ = _setup()
    api.create("pods", _pod("a"), "default")
    loop.run(until=15)
    res = {"limits": {"cpu": "500m", "memory": "128Mi"}}
    api.create("pods", _pod("b", containers=[{"name": "nginx", "image": "nginx:1.14.2", "resources": res}]),
               "default")
    loop.run(until=20)
    evs = _events(api, "b")
    assert [e["reason"] for e in evs] == ["Pulled", "Created", "Started"]
    assert evs[0]["message"] == 'Container image "nginx:1.14.2" already present on machine'
    pod = api.get("pods", "b", "default")
    assert pod["status"]["qosClass"] == "Guaranteed" and pod["status"]["podIP"] == "10.244.0.3"


def test_graceful_deletion_stops_containers_then_removes_the_pod():
    loop, api, [kubelet] = _setup()
    api.create("pods", _pod(), "default")
    loop.run(until=15)
    api.delete("pods", "web", namespace="default")
    pod = api.get("pods", "web", "default")
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    loop.run(until=15.5)
    assert [e["reason"] for e in _events(api, "web")][-1] == "Killing"
    assert _events(api, "web")[-1]["message"] == "Stopping container nginx"
    assert [c["state"] for c in kubelet.runtime.list_containers()] == ["CONTAINER_EXITED"]
    assert api.get("pods", "web", "default")["metadata"]["deletionTimestamp"]  # still terminating
    loop.run(until=17)
    assert api.list("pods", namespace="default")["items"] == []
    assert kubelet.runtime.list_containers() == [] and kubelet.runtime.list_pod_sandbox() == []
    cri = [c[1] for c in kubelet.runtime.calls]
    assert cri.index("StopContainer") < cri.index("StopPodSandbox") < cri.index("RemovePodSandbox")


def test_bad_image_err_image_pull_then_backoff_doubling_to_five_minutes():
    loop, api, [kubelet] = _setup()
    api.create("pods", _pod(image="nginx:doesnotexist"), "default")
    loop.run(until=4)
    waiting = api.get("pods", "web", "default")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ImagePullBackOff"
    assert waiting["message"] == 'Back-off pulling image "nginx:doesnotexist"'
    reasons = [e["reason"] for e in _events(api, "web")]
    assert reasons[:3] == ["Pulling", "Failed", "Failed"]
    failed = [e["message"] for e in _events(api, "web") if e["reason"] == "Failed"]
    assert failed[0].startswith('Failed to pull image "nginx:doesnotexist": rpc error: code = NotFound')
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    loop.run(until=1300)
    log = [(t, reason, msg) for t, _type, reason, obj, msg in kubelet.recorder.log if obj == "pod/web"]
    attempts = [t for t, reason, _ in log if reason == "Pulling"]
    failures = [t for t, reason, msg in log if reason == "Failed" and msg.startswith("Failed to pull")]
    waits = [round(a - f, 6) for f, a in zip(failures, attempts[1:])]
    assert waits[:7] == [10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]
    assert api.get("pods", "web", "default")["status"]["phase"] == "Pending"
    pulling = [e for e in _events(api, "web") if e["reason"] == "Pulling"]
    assert len(pulling) == 1 and pulling[0]["count"] == len(attempts)  # aggregated like the real correlator


def test_invalid_image_name_is_reported_without_pulling():
    loop, api, [kubelet] = _setup()
    api.create("pods", _pod(image="NGINX:Latest"), "default")
    loop.run(until=5)
    waiting = api.get("pods", "web", "default")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "InvalidImageName"
    assert "PullImage" not in [c[1] for c in kubelet.runtime.calls]
    assert [e["reason"] for e in _events(api, "web")] == ["InspectFailed", "Failed"]


def test_serial_pulls_count_waiting_time():
    loop, api, _ = _setup()
    api.create("pods", _pod("two", containers=[{"name": "a", "image": "redis:7"}, {"name": "b", "image": "busybox:1.36"}]),
               "default")
    api.create("pods", _pod("one", image="postgres:16"), "default")
    loop.run(until=60)
    msgs = {e["involvedObject"]["name"] + "/" + e["involvedObject"]["fieldPath"]: e["message"]
            for e in _events(api) if e["reason"] == "Pulled"}
    assert len(msgs) == 3
    waited = [m for m in msgs.values() if "in " in m]
    # at least one pull queued behind another: its "including waiting" time is longer
    durations = []
    for m in waited:
        own, total = m.split(" in ", 1)[1].split(" (", 1)
        durations.append((own, total.split(" including")[0]))
    assert any(own != total for own, total in durations)
    assert all(api.get("pods", n, "default")["status"]["phase"] == "Running" for n in ("one", "two"))


def test_same_seed_same_events_different_seed_different_timing():
    def run(seed):
        loop, api, _ = _setup(seed=seed, nodes=2)
        for i in range(3):
            api.create("pods", _pod(f"p{i}", node=f"node-{1 + i % 2}"), "default")
        loop.run(until=30)
        return [(e["metadata"]["name"], e["reason"], e["message"], e["firstTimestamp"])
                for e in sorted(api.list("events")["items"], key=lambda e: int(e["metadata"]["resourceVersion"]))]
    a, b, c = run(5), run(5), run(6)
    assert a == b
    assert a != c


def test_go_duration_format():
    assert go_duration(0.5771) == "577ms"
    assert go_duration(3.2) == "3.2s"
    assert go_duration(62.5) == "1m2.5s"
    assert go_duration(3.0) == "3s"


def test_pod_deleted_while_kubelet_was_down_is_cleaned_up_after_restart():
    loop, api, [kubelet] = _setup()
    api.create("pods", _pod(), "default")
    loop.run(until=15)
    kubelet.stop()
    api.delete("pods", "web", namespace="default", grace_period_seconds=0)  # force delete
    loop.run(until=30)
    assert [c["state"] for c in kubelet.runtime.list_containers()] == ["CONTAINER_RUNNING"]  # orphaned
    kubelet.start()
    loop.run(until=35)
    assert kubelet.runtime.list_containers() == [] and kubelet.runtime.list_pod_sandbox() == []
