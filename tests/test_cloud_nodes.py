"""cloud-controller-manager: nodes (k8s.io/cloud-provider/controllers/node/node_controller.go,
controllers/nodelifecycle/node_lifecycle_controller.go, controllers/route/route_controller.go;
the kubelet's uninitialized taint: pkg/kubelet/kubelet_node_status.go initialNode).

A cluster on the simulated cloud (the default) registers every Node tainted
``node.cloudprovider.kubernetes.io/uninitialized`` and the cloud node controller initialises
it (providerID, zone/region/instance-type labels, taint removed, ``Synced``); the route
controller gives each podCIDR a route and sets ``NetworkUnavailable=False``; a machine
removed from the cloud makes the cloud node lifecycle controller delete its Node once it is
NotReady, and PodGC then removes its pods. ``Cluster(cloud=False)`` has none of this.
"""

import re

import pytest

from k8score import Cluster
from k8score.cloud.node import TAINT_EXTERNAL_CLOUD_PROVIDER, TAINT_NODE_SHUTDOWN

PROVIDER_ID = re.compile(r"^k8score://k8score-1/(k8score-1[abc])/i-[0-9a-f]{17}$")


def _node(c, name):
    return c.get("nodes", name, namespace=None)


def _taint_keys(node):
    return [t["key"] for t in (node.get("spec") or {}).get("taints") or ()]


def _condition(node, ctype):
    return next((x for x in node["status"]["conditions"] if x["type"] == ctype), None)


def _events(c, reason):
    return [(t, comp, text) for t, comp, text in c.timeline() if text.startswith(reason + ":")]


@pytest.fixture(scope="module")
def cloud3():
    return Cluster(nodes=3, seed=0)


def test_nodes_initialised_from_the_cloud_with_zones_round_robin(cloud3):
    c = cloud3
    zones = []
    for name in ("node-1", "node-2", "node-3"):
        node = _node(c, name)
        labels = node["metadata"]["labels"]
        m = PROVIDER_ID.match(node["spec"]["providerID"])
        assert m, node["spec"]["providerID"]
        zones.append(labels["topology.kubernetes.io/zone"])
        assert m.group(1) == labels["topology.kubernetes.io/zone"] == labels["failure-domain.beta.kubernetes.io/zone"]
        assert labels["topology.kubernetes.io/region"] == labels["failure-domain.beta.kubernetes.io/region"] == "k8score-1"
        assert labels["node.kubernetes.io/instance-type"] == labels["beta.kubernetes.io/instance-type"] == "k8score.4cpu-8gi"
        assert TAINT_EXTERNAL_CLOUD_PROVIDER not in _taint_keys(node)
        assert node["status"]["addresses"] == [{"type": "InternalIP", "address": c.hosts[name].ip},
                                               {"type": "Hostname", "address": name}]
    assert zones == ["k8score-1a", "k8score-1b", "k8score-1c"]
    # one Synced per node, from the cloud node controller, during boot (well before the DNS pods run)
    synced = _events(c, "Synced")
    assert sorted(text for _, _, text in synced) == [
        f"Synced: Node/node-{i}: Node synced successfully" for i in (1, 2, 3)]
    assert {comp for _, comp, _ in synced} == {"cloud-node-controller"}
    assert all(t < 2.0 for t, _, _ in synced)
    machines = c.cloud.list_machines()
    assert [(m.name, m.zone, m.provider_id) for m in machines] == [
        (n, _node(c, n)["metadata"]["labels"]["topology.kubernetes.io/zone"], _node(c, n)["spec"]["providerID"])
        for n in ("node-1", "node-2", "node-3")]
    assert "cloud-controller-manager" in c.components()


def test_routes_per_pod_cidr_and_network_condition(cloud3):
    c = cloud3
    routes = {(r.target_node, r.destination_cidr) for r in c.cloud.list_routes()}
    assert routes == {(n, _node(c, n)["spec"]["podCIDR"]) for n in ("node-1", "node-2", "node-3")}
    for name in ("node-1", "node-2", "node-3"):
        cond = _condition(_node(c, name), "NetworkUnavailable")
        assert (cond["status"], cond["reason"], cond["message"]) == ("False", "RouteCreated",
                                                                     "RouteController created a route")
    # the kubelet's later status reports keep the route controller's condition (a merge by type)
    c.run(30)
    assert _condition(_node(c, "node-1"), "NetworkUnavailable")["status"] == "False"
    assert c.kubectl("get nodes").count(" Ready ") == 3


def test_same_seed_same_cloud():
    a, b = Cluster(nodes=2, seed=7), Cluster(nodes=2, seed=7)
    assert [m.provider_id for m in a.cloud.list_machines()] == [m.provider_id for m in b.cloud.list_machines()]
    assert a.cloud.list_machines()[0].instance_id != Cluster(nodes=1, seed=8).cloud.list_machines()[0].instance_id


def test_bare_metal_has_no_cloud():
    c = Cluster(nodes=2, seed=0, cloud=False)
    assert c.cloud is None and "cloud-controller-manager" not in c.components()
    node = _node(c, "node-1")
    assert "providerID" not in node["spec"]
    assert TAINT_EXTERNAL_CLOUD_PROVIDER not in _taint_keys(node)
    assert not any(k.startswith("topology.kubernetes.io/") for k in node["metadata"]["labels"])
    assert _condition(node, "NetworkUnavailable") is None
    assert _events(c, "Synced") == []


def test_added_node_waits_for_the_ccm_then_gets_the_next_zone():
    c = Cluster(nodes=1, seed=0)
    c.stop("cloud-controller-manager")
    c.add_node("node-2")
    c.run(5)
    node = _node(c, "node-2")
    assert TAINT_EXTERNAL_CLOUD_PROVIDER in _taint_keys(node)     # registered by the kubelet, tainted
    assert "providerID" not in node["spec"]
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pinned"},
             "spec": {"nodeName": None, "nodeSelector": {"kubernetes.io/hostname": "node-2"},
                      "containers": [{"name": "c", "image": "nginx"}]}})
    c.run(5)
    assert not c.get("pods", "pinned")["spec"].get("nodeName")   # the taint keeps it off
    start = c.now
    c.start("cloud-controller-manager")
    assert c.run(until=lambda: TAINT_EXTERNAL_CLOUD_PROVIDER not in _taint_keys(_node(c, "node-2")), timeout=5)
    assert c.now - start < 0.5
    node = _node(c, "node-2")
    assert node["metadata"]["labels"]["topology.kubernetes.io/zone"] == "k8score-1b"
    assert c.run(until=lambda: c.get("pods", "pinned")["spec"].get("nodeName") == "node-2", timeout=30)


def test_node_the_cloud_does_not_know_stays_uninitialized():
    c = Cluster(nodes=1, seed=0)
    created = c.now
    c.apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "ghost"},
             "spec": {"taints": [{"key": TAINT_EXTERNAL_CLOUD_PROVIDER, "value": "true", "effect": "NoSchedule"}]}})
    c.run(30)
    ghost = _node(c, "ghost")
    assert TAINT_EXTERNAL_CLOUD_PROVIDER in _taint_keys(ghost) and "providerID" not in ghost["spec"]
    errors = c.cloud_controller_manager.errors.lines()
    assert any("failed to get instance metadata for node ghost: instance not found" in e for e in errors)
    # within its first minute an uninitialised node is left alone; after that the lifecycle
    # controller finds no machine for it and deletes it
    assert c.run(until=lambda: not any(n["metadata"]["name"] == "ghost" for n in c.get("nodes")), timeout=60)
    c.run(1)
    t = [t for t, _, text in _events(c, "DeletingNode") if "ghost" in text]
    assert t and 60 <= t[0] - created <= 66


DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
          "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}


def _running_on(c):
    return sorted((p["spec"].get("nodeName") or "", p["status"].get("phase")) for p in c.get("pods", label_selector="app=web")
                  if not p["metadata"].get("deletionTimestamp"))


def test_removed_machine_deletes_its_node_and_pods_move():
    c = Cluster(nodes=3, seed=0)
    c.apply(DEPLOY)
    assert c.run(until=lambda: [n for n, ph in _running_on(c) if ph == "Running"] == ["node-1", "node-2", "node-3"],
                 timeout=60)
    gone = c.now
    c.remove_node("node-2")
    assert [m.name for m in c.cloud.list_machines()] == ["node-1", "node-3"]
    c.run(45)
    assert _node(c, "node-2")                     # still there: not yet NotReady (50 s grace)
    assert c.run(until=lambda: all(n["metadata"]["name"] != "node-2" for n in c.get("nodes")), timeout=30)
    c.run(0.5)
    [t_unready] = [t for t, comp, text in _events(c, "NodeNotReady") if text.startswith("NodeNotReady: Node/")]
    [(t, comp, text)] = _events(c, "DeletingNode")
    assert t_unready - gone >= 50                 # --node-monitor-grace-period: 50 s without heartbeats
    assert 0 < t - t_unready <= 5                 # then within one 5 s monitor pass
    assert comp == "cloud-node-lifecycle-controller"
    assert text == "DeletingNode: Node/node-2: Deleting node node-2 because it does not exist in the cloud provider"
    # PodGC: 40 s quarantine for the orphaned pod, then the ReplicaSet replaces it
    assert c.run(until=lambda: len(_running_on(c)) == 3 and "node-2" not in {n for n, _ in _running_on(c)}
                 and all(ph == "Running" for _, ph in _running_on(c)), timeout=120)
    assert c.now - t >= 40
    c.run(11)
    assert "node-2" not in {r.target_node for r in c.cloud.list_routes()}   # its route went too


def test_removed_machine_without_cloud_leaves_node():
    c = Cluster(nodes=2, seed=0, cloud=False)
    c.remove_node("node-2")
    c.run(120)
    node = _node(c, "node-2")
    assert _condition(node, "Ready")["status"] == "Unknown"
    assert _events(c, "DeletingNode") == []


def test_shutdown_machine_is_tainted_until_it_runs_again():
    c = Cluster(nodes=2, seed=0)
    c.stop("kubelet/node-2")
    c.cloud.shutdown("node-2")
    c.run(45)
    assert TAINT_NODE_SHUTDOWN not in _taint_keys(_node(c, "node-2"))
    assert c.run(until=lambda: TAINT_NODE_SHUTDOWN in _taint_keys(_node(c, "node-2")), timeout=20)
    assert _node(c, "node-2")                     # shut down is not gone: the Node stays
    assert [t for t in _node(c, "node-2")["spec"]["taints"] if t["key"] == TAINT_NODE_SHUTDOWN] == [
        {"key": TAINT_NODE_SHUTDOWN, "effect": "NoSchedule"}]
    c.cloud.power_on("node-2")
    c.start("kubelet/node-2")
    assert c.run(until=lambda: TAINT_NODE_SHUTDOWN not in _taint_keys(_node(c, "node-2")), timeout=30)
    assert _condition(_node(c, "node-2"), "Ready")["status"] == "True"
