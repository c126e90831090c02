"""A pod's cost outside the API server and scheduler (issue 11 (c)(d)): what the kubelet
writes, what the node keeps per container, what informers keep per object.

Upstream references:
- pkg/kubelet/status/status_manager.go: a status is written only when it changed — a pod
  going Pending -> Running costs three patches (ContainerCreating, sandbox ready, Running);
- plugins/ipam/host-local (containernetworking/plugins): pods get the pod CIDR's hosts from
  the second on (the first is the bridge), handed out round robin after the last one given;
- staging/src/k8s.io/client-go/tools/cache/shared_informer.go ``SetTransform``: objects pass
  through the transform before they are cached and handed to handlers; only before Run.
"""

from __future__ import annotations

import copy
import ipaddress

import pytest

from k8score import Cluster
from k8score.client import Client, SharedInformer
from k8score.container.fs import File, FileSystem
from k8score.cri.sandbox import _pod_hosts


@pytest.fixture(scope="module")
def running():
    c = Cluster(nodes=2, seed=3)
    c.kubectl("create deployment web --image=nginx --replicas=4")

    def ready() -> int:
        d = c.apiserver.lister.get("deployments", "web", "default") or {}
        return (d.get("status") or {}).get("readyReplicas", 0) or 0

    c.run(until=lambda: ready() >= 4, seconds=60)
    assert ready() == 4
    return c


def _web_pods(c):
    return [p for p in c.apiserver.lister.list("pods", "default") if p["metadata"]["name"].startswith("web-")]


# -- the kubelet's status writes ------------------------------------------------------
def test_three_status_patches_per_pod_from_creation_to_running(running):
    c = running
    pods = _web_pods(c)
    assert len(pods) == 4
    for p in pods:
        kubelet = c.kubelets[p["spec"]["nodeName"]]
        patches = [r for r in kubelet.client.requests
                   if r[1] == "patch" and r[2] == "pods/status" and r[4] == p["metadata"]["name"]]
        assert len(patches) == 3, (p["metadata"]["name"], patches)
        # ContainerCreating (t0), sandbox ready (+0.25 s, the pause container), Running (after the pull)
        assert patches[0][0] < patches[1][0] < patches[2][0]
        assert p["status"]["phase"] == "Running"


def test_a_second_sync_of_a_running_pod_writes_nothing(running):
    c = running
    p = _web_pods(c)[0]
    kubelet = c.kubelets[p["spec"]["nodeName"]]
    key = f"default/{p['metadata']['name']}"
    before = len(kubelet.client.requests)
    rv = p["metadata"]["resourceVersion"]
    kubelet.workers.update(key)
    c.run(seconds=1)
    new = [r for r in kubelet.client.requests[before:] if r[1] == "patch" and r[4] == p["metadata"]["name"]]
    assert new == []
    assert c.apiserver.lister.get("pods", p["metadata"]["name"], "default")["metadata"]["resourceVersion"] == rv


# -- pod IPs -----------------------------------------------------------------------------
@pytest.mark.parametrize("cidr", ["10.244.1.0/24", "10.244.0.0/16", "10.0.0.0/29", "10.0.0.0/30",
                                  "10.0.0.0/31", "10.0.0.0/32", "fd00::/120", "fd00::/126",
                                  "fd00::/127", "fd00::/128"])
def test_pod_hosts_are_the_networks_hosts_but_the_first(cidr):
    net = ipaddress.ip_network(cidr)
    expected = [int(h) for h in net.hosts()][1:]
    got = _pod_hosts(net)
    assert list(got) == expected
    if expected:   # membership and position, as the allocator asks them
        assert expected[-1] in got and got.index(expected[-1]) == len(expected) - 1
        assert int(net.network_address) not in got


def test_pods_on_a_node_get_consecutive_addresses_from_dot_two(running):
    c = running
    by_node: dict[str, list[str]] = {}
    for p in sorted(_web_pods(c), key=lambda p: p["status"]["startTime"]):
        by_node.setdefault(p["spec"]["nodeName"], []).append(p["status"]["podIP"])
    for node, ips in by_node.items():
        cidr = ipaddress.ip_network(c.apiserver.lister.get("nodes", node)["spec"]["podCIDR"])
        assert all(ipaddress.ip_address(ip) in cidr for ip in ips)
        assert len(set(ips)) == len(ips)
        assert min(int(ipaddress.ip_address(ip)) for ip in ips) >= int(cidr.network_address) + 2


# -- informer transforms --------------------------------------------------------------
def test_set_transform_caches_and_hands_out_the_transformed_object(running):
    c = running
    seen = []
    inf = SharedInformer(Client(c.apiserver, user="kubernetes-admin"), c.loop, "pods", namespace="default")
    inf.set_transform(lambda p: {"metadata": {k: p["metadata"][k] for k in ("name", "namespace", "resourceVersion")},
                                 "phase": (p.get("status") or {}).get("phase")})
    inf.add_event_handler(on_add=seen.append)
    inf.start()
    c.run(seconds=1)
    assert len(inf) == len(c.apiserver.lister.list("pods", "default")) >= 4
    assert all(set(o) == {"metadata", "phase"} for o in inf.list())
    assert [f"default/{o['metadata']['name']}" for o in seen] == inf.keys()
    assert all(set(o) == {"metadata", "phase"} for o in seen)
    # the second call: too late once started (client-go: "informer has already started")
    with pytest.raises(RuntimeError, match="informer has already started"):
        inf.set_transform(lambda p: p)
    # other informers of the same events keep the whole object (the shared copy is not mutated)
    p = _web_pods(c)[0]
    c.kubectl(f"label pod {p['metadata']['name']} cost=1")
    c.run(seconds=1)
    name = p["metadata"]["name"]
    assert inf.get(f"default/{name}")["metadata"]["resourceVersion"] != p["metadata"]["resourceVersion"]
    full = c.kubelets[p["spec"]["nodeName"]].pod(f"default/{name}")
    assert full["metadata"]["labels"]["cost"] == "1" and "managedFields" in full["metadata"] and "spec" in full
    inf.stop()


def test_cluster_timeline_keeps_only_what_it_prints(running):
    c = running
    lines = [text for _, _, text in c.timeline()]
    assert any(t.startswith("ScalingReplicaSet: Deployment/web: Scaled up replica set web-") for t in lines)
    assert sum(t.startswith("Started: Pod/web-") for t in lines) == 4
    cached = c._event_watch.list()
    assert len(cached) == len(c.api.list("events")["items"])
    for ev in cached:
        assert set(ev) <= {"metadata", "count", "source", "involvedObject", "reason", "message"}
        assert set(ev["metadata"]) == {"name", "namespace", "resourceVersion"}


# -- the container filesystem -------------------------------------------------------------
def test_file_appends_join_once_and_assignment_resets():
    f = File("a")
    f.append("b")
    f.append("")
    f.append("c")
    assert f.data == "abc" and f.data == "abc"
    f.data = ""
    f.append("x")
    assert f.data == "x"
    assert File().data == ""


def test_containers_of_one_image_share_entry_names():
    files = {"/usr/share/nginx/html/index.html": "hi", "/etc/nginx/nginx.conf": "conf"}
    a, b = FileSystem(dict(files)), FileSystem(dict(files))
    na = next(k for k in a.rootfs.root.entries["usr"].entries if k == "share")
    nb = next(k for k in b.rootfs.root.entries["usr"].entries if k == "share")
    assert na is nb
    a.write("/etc/nginx/nginx.conf", "changed")
    assert b.read("/etc/nginx/nginx.conf") == "conf" and a.read("/etc/nginx/nginx.conf") == "changed"


# -- the Deployment controller works on a copy ----------------------------------------------
def test_deployment_sync_leaves_the_informer_cache_untouched(running, monkeypatch):
    c = running
    dc = c.controller_manager.controller("deployment")
    cached = dc.d_informer.get("default/web")
    before = copy.deepcopy(cached)
    got = []

    def rolling(d, rs_list):   # the rollout step writes into the Deployment it was given
        got.append(d)
        d["status"]["replicas"] = 99
        d["metadata"].setdefault("annotations", {})["x"] = "y"

    monkeypatch.setattr(dc, "_rolling", rolling)
    dc.sync("default/web")
    assert got and got[0] == {**before, "status": {**before["status"], "replicas": 99},
                              "metadata": {**before["metadata"],
                                           "annotations": {**before["metadata"].get("annotations", {}), "x": "y"}}}
    assert dc.d_informer.get("default/web") is cached and cached == before
