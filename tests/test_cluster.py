"""Acceptance: the Deployment flow of the source document, end to end, through the public API."""

import json

import pytest

from k8score import ApiError, Cluster
from k8score.cli import NGINX_DEPLOYMENT, main

FLOW_ORDER = ["ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Pulling", "Pulled", "Created", "Started"]


@pytest.fixture(scope="module")
def flow():
    c = Cluster(nodes=3, seed=0)
    applied_at = c.now
    c.apply(NGINX_DEPLOYMENT)
    c.run(until=lambda: sum(p["status"].get("phase") == "Running" for p in c.get("pods")) == 3,
          seconds=30)
    return c, applied_at


def test_nginx_deployment_gives_three_running_pods_on_nodes_within_30s(flow):
    c, applied_at = flow
    pods = c.get("pods")
    assert len(pods) == 3
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert c.now - applied_at <= 30
    assert {p["spec"]["nodeName"] for p in pods} <= {"node-1", "node-2", "node-3"}
    # each pod is owned by the ReplicaSet the Deployment created, with the template hash label
    rs = c.get("replicasets")
    assert len(rs) == 1
    h = rs[0]["metadata"]["labels"]["pod-template-hash"]
    assert rs[0]["metadata"]["name"] == f"nginx-deployment-{h}"
    for p in pods:
        assert p["metadata"]["ownerReferences"][0]["name"] == rs[0]["metadata"]["name"]
        assert p["status"]["podIP"]


def test_events_appear_in_the_real_order(flow):
    c, _ = flow
    reasons = [e["reason"] for e in c.events()]
    firsts = [reasons.index(r) for r in FLOW_ORDER]
    assert firsts == sorted(firsts), reasons
    # and every pod went through the kubelet steps in order
    for pod in c.get("pods"):
        name = pod["metadata"]["name"]
        mine = [e["reason"] for e in c.events() if e["involvedObject"]["name"] == name]
        steps = [r for r in mine if r in FLOW_ORDER]
        assert steps == ["Scheduled", "Pulling", "Pulled", "Created", "Started"] or \
            steps == ["Scheduled", "Pulled", "Created", "Started"], mine


def test_components_listed(flow):
    c, _ = flow
    assert c.components()[:5] == ["kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager",
                                  "cloud-controller-manager"]
    assert c.components()[5:] == ["kubelet/node-1", "kube-proxy/node-1", "kubelet/node-2", "kube-proxy/node-2",
                                  "kubelet/node-3", "kube-proxy/node-3", "coredns", "csi-controller", "metrics-server"]


def _fingerprint(seed):
    c = Cluster(nodes=3, seed=seed)
    c.apply(NGINX_DEPLOYMENT)
    c.run(seconds=30)
    events = [(e["reason"], e["involvedObject"]["name"], e["message"]) for e in c.events()]
    pods = sorted((p["metadata"]["name"], p["metadata"]["uid"], p["spec"]["nodeName"], p["status"]["podIP"])
                  for p in c.get("pods"))
    return json.dumps([events, pods, c.timeline()])


def test_same_seed_same_run_and_different_seed_differs():
    a, b = _fingerprint(0), _fingerprint(0)
    assert a == b
    assert _fingerprint(1) != a


def test_stopped_scheduler_leaves_pods_pending_until_restarted():
    c = Cluster(nodes=2, seed=0)
    c.stop("kube-scheduler")
    c.kubectl("create deployment web --image=nginx:1.14.2 --replicas=2")
    c.run(seconds=20)
    pods = c.get("pods")
    assert len(pods) == 2 and all(p["status"]["phase"] == "Pending" and not p["spec"].get("nodeName")
                                  for p in pods)
    c.start("kube-scheduler")
    assert c.run(until=lambda: all(p["status"].get("phase") == "Running" for p in c.get("pods")), seconds=30)


def test_api_server_down_gives_503_and_running_pods_keep_running():
    c = Cluster(nodes=2, seed=0)
    c.apply(NGINX_DEPLOYMENT)
    c.run(seconds=30)
    c.stop("kube-apiserver")
    with pytest.raises(ApiError) as e:
        c.get("pods")
    assert e.value.code == 503
    c.run(seconds=30)
    c.start("kube-apiserver")
    c.run(seconds=5)
    assert all(p["status"]["phase"] == "Running" for p in c.get("pods"))


def test_delete_deployment_removes_its_pods():
    c = Cluster(nodes=2, seed=0)
    c.apply(NGINX_DEPLOYMENT)
    c.run(seconds=30)
    c.delete("deployment", "nginx-deployment")
    assert c.run(until=lambda: not c.get("pods") and not c.get("replicasets"), seconds=60)


def test_scale_through_kubectl():
    c = Cluster(nodes=3, seed=0)
    c.apply(NGINX_DEPLOYMENT)
    c.run(seconds=30)
    assert "scaled" in c.kubectl("scale deployment/nginx-deployment --replicas=5")
    assert c.run(until=lambda: sum(p["status"].get("phase") == "Running" for p in c.get("pods")) == 5,
                 seconds=30)


def test_bad_manifest_is_a_kubernetes_error_and_changes_nothing():
    c = Cluster(nodes=1, seed=0)
    rev = c.etcd.revision
    with pytest.raises(ApiError) as e:
        c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad_Name"},
                 "spec": {"containers": [{"name": "x", "image": "nginx"}]}})
    assert e.value.code == 422 and e.value.reason == "Invalid"
    assert e.value.status["details"]["causes"][0]["field"] == "metadata.name"
    assert c.etcd.revision == rev


def test_etcdctl_sees_what_the_api_server_wrote(flow):
    c, _ = flow
    keys = c.etcdctl("get /registry/deployments --prefix --keys-only")
    assert "/registry/deployments/default/nginx-deployment" in keys


def test_diagram_shows_pods_on_nodes(flow):
    c, _ = flow
    dot = c.diagram()
    assert dot.startswith("digraph")
    for p in c.get("pods"):
        assert p["metadata"]["name"] in dot
    for n in ("node-1", "node-2", "node-3"):
        assert f"cluster_node_{n}" in dot


def test_cli_demo_prints_the_timeline(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for reason in FLOW_ORDER:
        assert reason in out
    assert "Running" in out
