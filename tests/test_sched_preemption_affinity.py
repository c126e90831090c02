"""Preemption sees victims that block through pod anti-affinity
(pkg/scheduler/framework/preemption/preemption.go SelectVictimsOnNode: each removal and reprieve
runs RunPreFilterExtensionRemovePod/AddPod on a cloned CycleState)."""

from __future__ import annotations

from k8score import Cluster


def _pod(name, labels, priority_class=None, anti=None):
    spec = {"containers": [{"name": "c", "image": "nginx"}]}
    if priority_class:
        spec["priorityClassName"] = priority_class
    if anti:
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": anti}, "topologyKey": "kubernetes.io/hostname"}]}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": spec}


def test_a_pod_is_preempted_because_of_anti_affinity_not_resources():
    c = Cluster(nodes=1, seed=0)
    c.apply({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"},
             "value": 1000})
    c.apply(_pod("batch", {"app": "batch"}))
    c.run(5)
    assert c.get("pod", "batch")["spec"]["nodeName"] == "node-1"
    # plenty of CPU left: only the anti-affinity rule keeps "web" off node-1
    c.apply(_pod("web", {"app": "web"}, priority_class="high", anti={"app": "batch"}))
    c.run(30)
    reasons = [e["reason"] for e in c.events() if e["involvedObject"]["name"] == "batch"]
    assert "Preempted" in reasons
    assert c.get("pod", "web")["spec"].get("nodeName") == "node-1"


def test_an_equal_priority_blocker_is_not_preempted():
    c = Cluster(nodes=1, seed=0)
    c.apply(_pod("batch", {"app": "batch"}))
    c.run(5)
    c.apply(_pod("web", {"app": "web"}, anti={"app": "batch"}))
    c.run(30)
    assert not c.get("pod", "web")["spec"].get("nodeName")
    msgs = [e["message"] for e in c.events() if e["reason"] == "FailedScheduling"]
    assert msgs and "1 node(s) didn't match pod anti-affinity rules" in msgs[-1]
