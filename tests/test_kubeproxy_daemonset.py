"""kube-proxy as kubeadm deploys it: the DaemonSet ``kube-system/kube-proxy``.

Upstream: cmd/kubeadm/app/phases/addons/proxy/proxy.go and manifests.go (KubeProxyConfigMap19,
KubeProxyDaemonSet19); pkg/controller/daemon (a pod per node, nodes added later); the pod's
process is the node's kube-proxy (k8score.network.kubeproxy_addon.KubeProxyProcess).
"""

from __future__ import annotations

import pytest

from k8score import Cluster


def _proxy_pods(c):
    return sorted((p for p in c.get("pods", namespace="kube-system") if p["metadata"]["name"].startswith("kube-proxy-")),
                  key=lambda p: p["spec"].get("nodeName") or "")


@pytest.fixture(scope="module")
def cluster():
    return Cluster(nodes=2, seed=0)


def test_a_daemonset_pod_per_node_runs_each_nodes_kube_proxy(cluster):
    c = cluster
    ds = c.get("daemonsets", "kube-proxy", namespace="kube-system")
    assert ds["status"]["desiredNumberScheduled"] == 2 and ds["status"]["numberReady"] == 2
    pods = _proxy_pods(c)
    assert [p["spec"]["nodeName"] for p in pods] == ["node-1", "node-2"]
    for p in pods:
        spec = p["spec"]
        assert spec["hostNetwork"] is True and spec["priorityClassName"] == "system-node-critical"
        assert spec["priority"] == 2000001000
        assert {"operator": "Exists"} in spec["tolerations"]
        assert p["status"]["phase"] == "Running"
        assert p["status"]["podIP"] == next(a["address"] for a in c.get("nodes", spec["nodeName"])["status"]["addresses"]
                                            if a["type"] == "InternalIP")
        [ref] = p["metadata"]["ownerReferences"]
        assert (ref["kind"], ref["name"]) == ("DaemonSet", "kube-proxy")
    assert all(kp.running and kp.initialized for kp in c.kube_proxies.values())
    cm = c.get("configmaps", "kube-proxy", namespace="kube-system")
    assert 'mode: "iptables"' in cm["data"]["config.conf"] and "kind: KubeProxyConfiguration" in cm["data"]["config.conf"]
    out = c.kubectl("get ds -n kube-system").splitlines()
    assert out[1].split()[:6] == ["kube-proxy", "2", "2", "2", "2", "2"]


def test_deleting_the_pod_stops_kube_proxy_until_the_daemonset_replaces_it(cluster):
    c = cluster
    old = next(p for p in _proxy_pods(c) if p["spec"]["nodeName"] == "node-1")
    c.kubectl(f"delete pod -n kube-system {old['metadata']['name']}")
    c.run(0.5)
    # the container was killed: the node's kube-proxy with it (its rules stay in the kernel)
    assert not c.kube_proxies["node-1"].running
    c.run(10)
    new = next(p for p in _proxy_pods(c) if p["spec"]["nodeName"] == "node-1")
    assert new["metadata"]["name"] != old["metadata"]["name"] and new["status"]["phase"] == "Running"
    assert c.kube_proxies["node-1"].running and c.kube_proxies["node-2"].running
    created = [e for e in c.events("kube-system") if e["reason"] == "SuccessfulCreate"
               and e["involvedObject"].get("name") == "kube-proxy"]
    assert created[-1]["message"] == f"Created pod: {new['metadata']['name']}"


def test_cluster_stop_makes_the_pod_crash_until_start(cluster):
    c = cluster
    c.stop("kube-proxy/node-2")
    c.run(15)
    pod = next(p for p in _proxy_pods(c) if p["spec"]["nodeName"] == "node-2")
    assert pod["status"]["containerStatuses"][0]["restartCount"] >= 1
    assert not c.kube_proxies["node-2"].running
    c.start("kube-proxy/node-2")
    c.run(1)
    assert c.kube_proxies["node-2"].running


def test_a_new_node_gets_its_pod_and_kube_proxy(cluster):
    c = cluster
    name = c.add_node()
    assert not c.kube_proxies[name].running     # nothing runs it before its pod does
    c.run(15)
    assert [p["spec"]["nodeName"] for p in _proxy_pods(c)] == ["node-1", "node-2", name]
    assert c.kube_proxies[name].running and c.kube_proxies[name].initialized


@pytest.mark.parametrize("mode", ["ipvs", "nftables"])
def test_every_proxy_mode(mode):
    c = Cluster(nodes=1, seed=0, proxy_mode=mode)
    assert f'mode: "{mode}"' in c.get("configmaps", "kube-proxy", namespace="kube-system")["data"]["config.conf"]
    assert c.kube_proxies["node-1"].running and c.kube_proxies["node-1"].mode == mode


def test_no_nodes_no_pods_and_kubeadm_runs_one_on_the_control_plane():
    c = Cluster(nodes=0, seed=0)
    assert _proxy_pods(c) == [] and c.get("daemonsets", "kube-proxy", namespace="kube-system")
    k = Cluster(nodes=1, seed=0, kubeadm=True)
    assert [p["spec"]["nodeName"] for p in _proxy_pods(k)] == ["control-plane", "node-1"]
    assert all(kp.running for kp in k.kube_proxies.values())
