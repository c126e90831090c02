"""A cluster sized for thousands of nodes (issue 11, item 5), on small cases.

Upstream: pkg/controller/nodeipam/ipam/range_allocator.go (``AllocateOrOccupyCIDR``: no block
left -> ``RecordNodeStatusChange(node, "CIDRNotAvailable")``, the node keeps no podCIDR),
pkg/kubelet/kubelet_node_status.go (no pod CIDR -> the network plugin is not ready, NodeReady
False), pkg/controller/nodelifecycle (``node.kubernetes.io/not-ready`` taints on a NotReady
node), pkg/controller/daemon (``NodeShouldRunDaemonPod`` per node, computed once per sync).
"""

from __future__ import annotations

import ipaddress

from k8score import Cluster
from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.controllers import KubeControllerManager
from k8score.controllers.daemonset_util import daemon_pod_spec, node_should_run
from k8score.controllers.nodeipam import LARGE_CLUSTER_CIDR, default_cluster_cidr
from k8score.etcd import Store
from k8score.kubelet.kubelet import _default_ip
from k8score.sim import Loop


def test_a_node_beyond_the_pod_network_stays_not_ready_tainted_and_empty():
    c = Cluster(nodes=3, seed=1, pod_cidr="10.244.0.0/23")   # two /24 blocks for three nodes
    nodes = {n["metadata"]["name"]: n for n in c.get("nodes")}
    assert [nodes[n]["spec"].get("podCIDR") for n in ("node-1", "node-2", "node-3")] == \
        ["10.244.0.0/24", "10.244.1.0/24", None]
    cidr_events = [(e["type"], e["reason"], e["message"]) for e in c.events() if e["reason"] == "CIDRNotAvailable"]
    assert cidr_events == [("Normal", "CIDRNotAvailable", "Node node-3 status is now: CIDRNotAvailable")]
    assert {(t["key"], t["effect"]) for t in nodes["node-3"]["spec"].get("taints") or ()} == {
        ("node.kubernetes.io/not-ready", "NoSchedule"), ("node.kubernetes.io/not-ready", "NoExecute")}
    assert "node-3   NotReady" in c.kubectl("get nodes")
    assert "node-1   Ready" in c.kubectl("get nodes")
    c.kubectl("create deployment web --image=nginx --replicas=4")
    c.run(30)
    pods = [p for p in c.get("pods") if p["metadata"]["name"].startswith("web-")]
    assert len(pods) == 4 and all(p["status"]["phase"] == "Running" for p in pods)
    assert sorted({p["spec"]["nodeName"] for p in pods}) == ["node-1", "node-2"]
    assert all(ipaddress.ip_address(p["status"]["podIP"]) in ipaddress.ip_network("10.244.0.0/23") for p in pods)


def test_the_default_pod_network_grows_past_256_nodes_and_node_addresses_stay_unique():
    assert default_cluster_cidr(256) == "10.244.0.0/16"
    assert default_cluster_cidr(257) == LARGE_CLUSTER_CIDR == "10.224.0.0/11"
    assert ipaddress.ip_network("10.244.0.0/16").subnet_of(ipaddress.ip_network(LARGE_CLUSTER_CIDR))
    assert ipaddress.ip_network(LARGE_CLUSTER_CIDR).num_addresses // 256 >= 5000
    assert c_default_cidr() == "10.244.0.0/16"
    ips = [_default_ip(f"node-{i}") for i in range(1, 5001)]
    assert len(set(ips)) == 5000
    assert ips[:3] == ["192.168.0.11", "192.168.0.12", "192.168.0.13"]   # as every page shows
    assert _default_ip("node-239") == "192.168.0.249" and _default_ip("node-240") == "192.168.1.1"
    assert "192.168.0.10" not in ips   # kubeadm's control-plane node


def c_default_cidr() -> str:
    return Cluster(nodes=1, seed=0, metrics_server=False).pod_cidr


def test_nodeipam_hands_out_blocks_of_a_large_network_in_order_and_reuses_a_freed_one_later():
    loop = Loop(0)
    api = APIServer(loop, Store())
    api.start()
    admin = Client(api, user="kubernetes-admin")
    for i in range(3):
        admin.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}"}})
        loop.run(until=loop.now + 1)
    KubeControllerManager(loop, api, controllers=["nodeipam"], cluster_cidr="10.224.0.0/22").start()
    loop.run(until=loop.now + 1)
    cidrs = {n["metadata"]["name"]: n["spec"]["podCIDR"] for n in admin.list("nodes")["items"]}
    assert cidrs == {"n0": "10.224.0.0/24", "n1": "10.224.1.0/24", "n2": "10.224.2.0/24"}
    admin.delete("nodes", "n1")
    loop.run(until=loop.now + 1)
    for name in ("n3", "n4", "n5"):   # round robin: the freed 10.224.1.0/24 comes after the unused block
        admin.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
        loop.run(until=loop.now + 1)
    got = {n["metadata"]["name"]: n["spec"].get("podCIDR") for n in admin.list("nodes")["items"]}
    assert (got["n3"], got["n4"], got["n5"]) == ("10.224.3.0/24", "10.224.1.0/24", None)


def test_daemon_pod_spec_computed_once_answers_as_per_node_copies():
    ds = {"spec": {"template": {"spec": {"nodeSelector": {"disk": "ssd"}, "containers": [{"name": "c"}]}}}}
    ssd = {"metadata": {"name": "a", "labels": {"disk": "ssd"}}, "spec": {}}
    tainted = {"metadata": {"name": "b", "labels": {"disk": "ssd"}},
               "spec": {"taints": [{"key": "x", "effect": "NoSchedule"},
                                   {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]}}
    hdd = {"metadata": {"name": "c", "labels": {"disk": "hdd"}}, "spec": {}}
    tspec = daemon_pod_spec(ds)
    for node, want in ((ssd, (True, True)), (tainted, (False, True)), (hdd, (False, False))):
        assert node_should_run(node, ds, tspec) == node_should_run(node, ds) == want
    assert "tolerations" not in ds["spec"]["template"]["spec"]   # the DaemonSet is never mutated


def test_daemonset_syncs_that_look_at_changed_nodes_only_agree_with_a_full_walk():
    """Steady state, then one node at a time changes: each sync examines that node only
    (daemonset_dirty), and pods and status counts are what a walk over every node gives."""
    import yaml
    from test_controllers_daemonset import FLUENTD, add_node, make_ready, node_of, pods, setup, status
    loop, api, kcm = setup(nodes=4)
    ds = yaml.safe_load(FLUENTD)
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"logging": "on"}
    for i in (1, 2, 3):
        api.patch("nodes", f"node-{i}", {"metadata": {"labels": {"logging": "on"}}})
    api.create("daemonsets", ds, "kube-system")
    loop.run(until=3)
    assert sorted(node_of(p) for p in pods(api)) == ["node-1", "node-2", "node-3"]
    for p in pods(api):
        make_ready(api, loop, p)
    loop.run(until=5)
    st = status(api)
    assert (st["desiredNumberScheduled"], st["currentNumberScheduled"], st["numberReady"],
            st["numberAvailable"], st["updatedNumberScheduled"]) == (3, 3, 3, 3, 3)
    controller = kcm.controllers["daemonset"]
    examined = []
    real = controller._tally_nodes
    controller._tally_nodes = lambda ds, tally, nodes, h, m: (examined.append([n["metadata"]["name"] for n in nodes]),
                                                              real(ds, tally, nodes, h, m))[1]
    api.patch("nodes", "node-4", {"metadata": {"labels": {"logging": "on"}}})   # gains a pod
    api.patch("nodes", "node-2", {"metadata": {"labels": {"logging": None}}})   # loses its pod
    loop.run(until=7)
    alive = [p for p in pods(api) if not p["metadata"].get("deletionTimestamp")]
    assert sorted(node_of(p) for p in alive) == ["node-1", "node-3", "node-4"]
    assert examined and all(set(e) <= {"node-2", "node-4"} for e in examined)
    st = status(api)
    assert (st["desiredNumberScheduled"], st["currentNumberScheduled"], st["numberReady"],
            st["numberMisscheduled"], st["updatedNumberScheduled"]) == (3, 3, 2, 0, 3)
    assert st == full_walk(controller, loop, api)
    api.delete("nodes", "node-3")   # its pod stays (PodGC's job) but no longer counts
    loop.run(until=11)
    st = status(api)
    assert (st["desiredNumberScheduled"], st["currentNumberScheduled"], st["numberReady"]) == (2, 2, 1)
    assert st == full_walk(controller, loop, api)


def full_walk(controller, loop, api):
    """The status after a sync that examines every node."""
    from test_controllers_daemonset import status
    controller._dirty.mark_all("kube-system/fluentd-elasticsearch")
    controller.queue.add("kube-system/fluentd-elasticsearch")
    loop.run(until=loop.now + 1)
    return status(api)
