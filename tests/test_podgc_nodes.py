"""PodGC and nodes that come and go.

Upstream: pkg/controller/podgc/gc_controller.go (gcCheckPeriod 20 s, quarantineTime 40 s,
--terminated-pod-gc-threshold, byEvictionAndCreationTimestamp, the DisruptionTarget condition
``DeletionByPodGC`` "PodGC: node no longer exists"); pkg/controller/util/node/controller_utils.go
MarkPodsNotReady (the per-pod ``NodeNotReady`` Warning "Node is not ready");
pkg/controller/nodelifecycle/node_lifecycle_controller.go (grace period, Unknown). ``add_node`` /
``remove_node`` are ``kubeadm join`` and a machine that disappears with no cloud provider: the Node
object stays NotReady.
"""

from __future__ import annotations

import pytest

from jobhelpers import finish, setup
from k8score import Cluster
from k8score.controllers.podgc import GC_CHECK_PERIOD, QUARANTINE_TIME

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}}}
DAEMONSET = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
             "spec": {"selector": {"matchLabels": {"app": "agent"}},
                      "template": {"metadata": {"labels": {"app": "agent"}},
                                   "spec": {"containers": [{"name": "agent", "image": "nginx:1.14.2"}]}}}}


def _pod(name, node=None, finalizer=False):
    meta = {"name": name}
    if finalizer:   # keeps the deleted pod readable, so the status PodGC wrote can be checked
        meta["finalizers"] = ["example.com/keep"]
    spec = {"containers": [{"name": "main", "image": "busybox"}], "restartPolicy": "Never"}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _names(api):
    return sorted(p["metadata"]["name"] for p in api.list("pods", namespace="default")["items"])


def _node(name):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}


def test_terminated_pods_over_the_threshold_go_evicted_first_then_oldest():
    loop, api, kcm = setup(controllers=("podgc",))
    gc = kcm.controller("podgc")
    assert gc.terminated_pod_threshold == 12500
    gc.terminated_pod_threshold = 2
    for name in ("old", "evicted", "mid", "new", "live"):
        api.create("pods", _pod(name), "default")
        loop.run(until=loop.now + 2)   # distinct creationTimestamps
    pods = {p["metadata"]["name"]: p for p in api.list("pods", namespace="default")["items"]}
    for name in ("old", "mid", "new"):
        finish(api, loop, pods[name])
    p = api.get("pods", "evicted", "default")
    p["status"] = {"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}
    api.update("pods", p, "default", subresource="status")
    loop.run(until=loop.now + GC_CHECK_PERIOD + 1)
    # 4 terminated, threshold 2: the evicted one first, then the oldest; "live" is Pending
    assert _names(api) == ["live", "mid", "new"]
    loop.run(until=loop.now + 2 * GC_CHECK_PERIOD)
    assert _names(api) == ["live", "mid", "new"]   # at the threshold: nothing more


def test_pods_at_the_threshold_stay():
    loop, api, kcm = setup(controllers=("podgc",))
    kcm.controller("podgc").terminated_pod_threshold = 2
    for name in ("a", "b"):
        api.create("pods", _pod(name), "default")
    for p in api.list("pods", namespace="default")["items"]:
        finish(api, loop, p)
    loop.run(until=loop.now + 3 * GC_CHECK_PERIOD)
    assert _names(api) == ["a", "b"]


def test_orphaned_pods_are_marked_failed_and_deleted_only_after_the_quarantine():
    loop, api, kcm = setup(controllers=("podgc",))
    api.create("nodes", _node("gone"))
    api.create("nodes", _node("stays"))
    api.create("pods", _pod("orphan", "gone", finalizer=True), "default")
    api.create("pods", _pod("plain", "gone"), "default")
    api.create("pods", _pod("safe", "stays"), "default")
    p = api.get("pods", "orphan", "default")
    p["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    api.update("pods", p, "default", subresource="status")
    loop.run(until=loop.now + 5)
    deleted_at = loop.now
    api.delete("nodes", "gone")
    loop.run(until=deleted_at + QUARANTINE_TIME - 0.5)
    assert _names(api) == ["orphan", "plain", "safe"]
    assert not api.get("pods", "orphan", "default")["metadata"].get("deletionTimestamp")
    loop.run(until=deleted_at + QUARANTINE_TIME + GC_CHECK_PERIOD + 0.5)
    assert _names(api) == ["orphan", "safe"]     # "orphan" is held by its finalizer
    orphan = api.get("pods", "orphan", "default")
    assert orphan["metadata"]["deletionTimestamp"] and orphan["metadata"]["deletionGracePeriodSeconds"] == 0
    assert orphan["status"]["phase"] == "Failed"
    target = [c for c in orphan["status"]["conditions"] if c["type"] == "DisruptionTarget"]
    assert [(c["status"], c["reason"], c["message"]) for c in target] == [
        ("True", "DeletionByPodGC", "PodGC: node no longer exists")]
    assert api.get("pods", "safe", "default")["status"].get("phase") != "Failed"


def test_a_node_back_within_the_quarantine_keeps_its_pods():
    loop, api, kcm = setup(controllers=("podgc",))
    api.create("nodes", _node("flaky"))
    api.create("pods", _pod("p", "flaky"), "default")
    loop.run(until=loop.now + 1)
    api.delete("nodes", "flaky")
    loop.run(until=loop.now + GC_CHECK_PERIOD + 1)     # seen missing: quarantined
    api.create("nodes", _node("flaky"))
    loop.run(until=loop.now + 3 * GC_CHECK_PERIOD)
    assert _names(api) == ["p"]
    assert kcm.controller("podgc").quarantine == {}


def test_terminating_unscheduled_pods_are_deleted():
    loop, api, kcm = setup(controllers=("podgc",))
    api.create("pods", _pod("stuck", finalizer=True), "default")
    api.create("pods", _pod("pending"), "default")
    loop.run(until=loop.now + 1)
    api.delete("pods", "stuck", "default")    # its finalizer keeps it Terminating
    assert api.get("pods", "stuck", "default")["status"]["phase"] == "Pending"
    loop.run(until=loop.now + GC_CHECK_PERIOD)
    assert api.get("pods", "stuck", "default")["status"]["phase"] == "Failed"   # markFailedAndDeletePod
    assert api.get("pods", "pending", "default")["metadata"].get("deletionTimestamp") is None


def _ready(obj):
    return next(c for c in obj["status"]["conditions"] if c["type"] == "Ready")


@pytest.fixture(scope="module")
def removed():
    """A 2-node bare-metal cluster (no cloud provider) whose node-2 machine disappeared 70 s ago."""
    c = Cluster(nodes=2, seed=0, cloud=False)
    c.api.create("deployments", {**DEPLOY, "spec": {**DEPLOY["spec"], "replicas": 4}}, "default")
    c.run(seconds=30)
    victims = sorted(p["metadata"]["name"] for p in c.get("pods") if p["spec"]["nodeName"] == "node-2")
    assert victims
    c.remove_node("node-2")
    c.run(seconds=70)
    return c, victims


def test_a_removed_node_goes_unknown_and_its_pods_not_ready_with_a_warning_each(removed):
    c, victims = removed
    assert "kubelet/node-2" not in c.components() and "kube-proxy/node-2" not in c.components()
    assert c.ssh("node-2", "hostname").exit_code == 255
    node = c.get("nodes", "node-2", namespace=None)         # no cloud provider: the Node stays
    assert (_ready(node)["status"], _ready(node)["message"]) == ("Unknown", "Kubelet stopped posting node status.")
    for name in victims:
        assert _ready(c.get("pods", name))["status"] == "False"
    events = [e for e in c.events("default") if e["reason"] == "NodeNotReady"]
    warnings = [e for e in events if e["involvedObject"]["kind"] == "Pod"]
    assert sorted(e["involvedObject"]["name"] for e in warnings) == victims
    assert {(e["type"], e["message"], e["count"]) for e in warnings} == {("Warning", "Node is not ready", 1)}
    # and the Node's own status change (RecordNodeStatusChange), a Normal event
    assert [(e["type"], e["message"]) for e in events if e["involvedObject"]["kind"] == "Node"] == [
        ("Normal", "Node node-2 status is now: NodeNotReady")]
    assert all(_ready(c.get("pods", p["metadata"]["name"]))["status"] == "True"
               for p in c.get("pods") if p["spec"]["nodeName"] == "node-1")


def test_deleting_the_lost_node_lets_podgc_remove_its_pods_after_40s(removed):
    c, victims = removed
    c.delete("nodes", "node-2", namespace=None)
    deleted_at = c.now
    c.run(seconds=QUARANTINE_TIME - 1)
    left = {p["metadata"]["name"] for p in c.get("pods")}
    assert set(victims) <= left
    c.run(seconds=GC_CHECK_PERIOD + 2)
    assert not set(victims) & {p["metadata"]["name"] for p in c.get("pods")}
    c.run(seconds=30)
    running = [p for p in c.get("pods") if p["status"].get("phase") == "Running"]
    assert len(running) == 4 and {p["spec"]["nodeName"] for p in running} == {"node-1"}
    assert c.now - deleted_at > QUARANTINE_TIME


def test_an_added_node_gets_a_cidr_turns_ready_and_takes_pods():
    c = Cluster(nodes=1, seed=1)
    c.api.create("daemonsets", DAEMONSET, "default")
    c.api.create("deployments", DEPLOY, "default")
    c.run(seconds=20)
    assert c.add_node() == "node-2"
    with pytest.raises(ValueError):
        c.add_node("node-2")
    assert c.add_node("big", cpu="8", pods=20) == "big"
    assert {"kubelet/node-2", "kube-proxy/node-2", "kubelet/big"} <= set(c.components())
    c.run(seconds=20)
    for name in ("node-2", "big"):
        node = c.get("nodes", name, namespace=None)
        assert _ready(node)["status"] == "True"
        assert node["spec"]["podCIDR"].startswith("10.244.") and node["spec"]["podCIDR"].endswith(".0/24")
    assert c.get("nodes", "big", namespace=None)["status"]["capacity"]["cpu"] == "8"
    assert c.get("nodes", "big", namespace=None)["status"]["capacity"]["pods"] == "20"
    agents = {p["spec"]["nodeName"]: p for p in c.get("pods") if p["metadata"]["name"].startswith("agent-")}
    assert sorted(agents) == ["big", "node-1", "node-2"]
    assert all(p["status"]["phase"] == "Running" for p in agents.values())
    c.api.patch("deployments", "web", {"spec": {"replicas": 9}}, namespace="default")
    c.run(seconds=30)
    web = [p for p in c.get("pods") if p["metadata"]["name"].startswith("web-") and p["status"].get("phase") == "Running"]
    assert len(web) == 9 and {"node-2", "big"} <= {p["spec"]["nodeName"] for p in web}
    c.remove_node("node-2")
    assert c.add_node() == "node-3"          # node-2's Node object stayed behind
