"""Kubelet as a node agent: registration, Lease heartbeats, node status reports."""

from __future__ import annotations

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer
from k8score.controllers import KubeControllerManager
from k8score.etcd import Store
from k8score.kubelet import Kubelet
from k8score.sim import Loop
from k8score.sim.clock import parse


def _setup(with_ipam=True, seed=0):
    loop = Loop(seed)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api, root_ca=True)
    kcm = KubeControllerManager(loop, api, controllers=["nodeipam"])
    if with_ipam:
        kcm.start()
    kubelet = Kubelet(loop, api, "node-1", capacity={"cpu": "2", "memory": "4Gi"}, labels={"disk": "ssd"})
    kubelet.start()
    return loop, api, kcm, kubelet


def test_kubelet_registers_its_node():
    loop, api, _kcm, _k = _setup()
    loop.run(until=1)
    node = api.get("nodes", "node-1")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "node-1" and labels["kubernetes.io/os"] == "linux"
    assert labels["kubernetes.io/arch"] == "amd64" and labels["disk"] == "ssd"
    st = node["status"]
    assert st["capacity"]["cpu"] == "2" and st["capacity"]["memory"] == "4Gi" and st["capacity"]["pods"] == "110"
    assert st["allocatable"] == st["capacity"]
    assert [c["type"] for c in st["conditions"]] == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    ready = st["conditions"][-1]
    assert (ready["status"], ready["reason"], ready["message"]) == ("True", "KubeletReady",
                                                                     "kubelet is posting ready status")
    assert st["conditions"][0]["reason"] == "KubeletHasSufficientMemory"
    assert {a["type"]: a["address"] for a in st["addresses"]} == {"InternalIP": "192.168.0.11",
                                                                  "Hostname": "node-1"}
    assert st["nodeInfo"]["containerRuntimeVersion"] == "containerd://2.1.4"
    assert st["nodeInfo"]["kubeletVersion"] == "v1.37.1"
    assert node["spec"]["podCIDR"] == "10.244.0.0/24"


def test_node_is_not_ready_until_the_cni_has_a_pod_cidr():
    loop, api, kcm, _k = _setup(with_ipam=False)
    loop.run(until=5)
    ready = api.get("nodes", "node-1")["status"]["conditions"][-1]
    assert ready["status"] == "False" and ready["reason"] == "KubeletNotReady"
    assert "cni plugin not initialized" in ready["message"]
    kcm.start()
    loop.run(until=6)
    ready = api.get("nodes", "node-1")["status"]["conditions"][-1]
    assert ready["status"] == "True" and parse(ready["lastTransitionTime"]) == 5.0
    reasons = [e["reason"] for e in sorted(api.list("events", namespace="default")["items"],
                                           key=lambda e: int(e["metadata"]["resourceVersion"]))]
    assert reasons == ["Starting", "NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID",
                       "NodeAllocatableEnforced", "NodeReady"]


def test_lease_is_renewed_every_10_seconds():
    loop, api, _kcm, kubelet = _setup()
    renewals = []
    for t in range(0, 61):
        loop.run(until=t + 0.5)
        lease = api.get("leases", "node-1", "kube-node-lease")
        renewals.append(parse(lease["spec"]["renewTime"]))
    assert sorted(set(renewals)) == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    assert lease["spec"]["leaseDurationSeconds"] == 40 and lease["spec"]["holderIdentity"] == "node-1"
    node = api.get("nodes", "node-1")
    assert lease["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Node", "name": "node-1",
                                                     "uid": node["metadata"]["uid"]}]
    kubelet.stop()
    loop.run(until=120)
    assert parse(api.get("leases", "node-1", "kube-node-lease")["spec"]["renewTime"]) == 60.0


def test_node_status_is_reported_on_change_or_every_five_minutes():
    loop, api, _kcm, _k = _setup()
    beats = set()
    for t in range(0, 700, 5):
        loop.run(until=t)
        ready = api.get("nodes", "node-1")["status"]["conditions"][-1]
        beats.add(parse(ready["lastHeartbeatTime"]))
    # reported at registration, then nothing changes: the first 10 s tick at least 300 s
    # after the previous report posts again (the last report was a few ms after t=0)
    beats = sorted(beats)
    assert len(beats) == 3 and beats[0] == 0.0
    assert all(300 <= b - a <= 310 for a, b in zip(beats, beats[1:]))


def test_kubelet_restart_keeps_running_containers_and_reregisters():
    loop, api, _kcm, kubelet = _setup()
    loop.run(until=1)
    api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                        "spec": {"nodeName": "node-1", "containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}},
               "default")
    loop.run(until=10)
    assert api.get("pods", "web", "default")["status"]["phase"] == "Running"
    kubelet.stop()
    loop.run(until=30)
    assert [c["state"] for c in kubelet.runtime.list_containers()] == ["CONTAINER_RUNNING"]
    kubelet.start()
    loop.run(until=40)
    pulls = [c for c in kubelet.runtime.calls if c[1] == "PullImage"]
    assert len(pulls) == 1  # nothing restarted or pulled again
    assert api.get("pods", "web", "default")["status"]["phase"] == "Running"
