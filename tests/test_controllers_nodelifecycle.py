"""Node lifecycle + taint eviction: a node whose kubelet stops goes Unknown, then loses its pods."""

from __future__ import annotations

from k8score import Cluster
from k8score.controllers.tainteviction import eviction_time
from k8score.sim.clock import parse, rfc3339

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2",
                                                         "ports": [{"containerPort": 80}]}]}}}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}


def _ready(c, node):
    return next(x for x in c.get("nodes", node)["status"]["conditions"] if x["type"] == "Ready")


def test_lost_node_goes_unknown_after_grace_period_and_its_pods_are_evicted_after_300s():
    c = Cluster(nodes=2, seed=0)
    c.api.create("deployments", DEPLOY, "default")
    c.api.create("services", SERVICE, "default")
    c.run(seconds=30)
    victim = next(p for p in c.get("pods") if p["spec"]["nodeName"] == "node-2")
    stopped_at = c.now
    c.stop("kubelet/node-2")
    c.run(seconds=45)
    assert _ready(c, "node-2")["status"] == "True"  # within the 50 s grace period
    c.run(seconds=20)
    ready = _ready(c, "node-2")
    assert (ready["status"], ready["reason"], ready["message"]) == ("Unknown", "NodeStatusUnknown",
                                                                     "Kubelet stopped posting node status.")
    went_unknown = parse(ready["lastTransitionTime"])
    assert 50 < went_unknown - stopped_at <= 50 + 10 + 5  # last renew <=10 s before, monitor every 5 s
    taints = {(t["key"], t["effect"]) for t in c.get("nodes", "node-2")["spec"]["taints"]}
    assert taints == {("node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")}
    pod = c.get("pods", victim["metadata"]["name"])
    assert next(x for x in pod["status"]["conditions"] if x["type"] == "Ready")["status"] == "False"
    [subset] = c.get("endpoints", "web")["subsets"]
    assert [a["targetRef"]["name"] for a in subset.get("notReadyAddresses", [])] == [victim["metadata"]["name"]]
    reasons = [e["reason"] for e in c.events()]
    assert "NodeNotReady" in reasons and "RegisteredNode" in reasons
    # DefaultTolerationSeconds gave the pod 300 s of tolerance for the unreachable taint
    c.run(seconds=went_unknown + 295 - c.now)
    assert not c.get("pods", victim["metadata"]["name"])["metadata"].get("deletionTimestamp")
    c.run(seconds=15)
    pod = c.get("pods", victim["metadata"]["name"])
    assert pod["metadata"].get("deletionTimestamp")  # Terminating: no kubelet to finish the job
    # the test's own pods (kube-system's coredns replica on node-2 is evicted too, as upstream)
    evictions = [e for e in c.events("default") if e["reason"] == "TaintManagerEviction"]
    assert [e["message"] for e in evictions] == [f"Marking for deletion Pod default/{victim['metadata']['name']}"]
    assert 300 <= parse(evictions[0]["firstTimestamp"]) - went_unknown <= 306
    c.run(seconds=30)
    running = [p for p in c.get("pods") if p["status"].get("phase") == "Running"
               and not p["metadata"].get("deletionTimestamp")]
    assert len(running) == 2 and {p["spec"]["nodeName"] for p in running} == {"node-1"}
    # The kubelet comes back: the node is Ready again, untainted, and the evicted pod finishes terminating.
    c.start("kubelet/node-2")
    c.run(seconds=15)
    assert _ready(c, "node-2")["status"] == "True"
    assert not c.get("nodes", "node-2")["spec"].get("taints")
    assert victim["metadata"]["name"] not in {p["metadata"]["name"] for p in c.get("pods")}


def test_eviction_time_follows_tolerations():
    taint = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": rfc3339(100)}
    def pod(*tolerations):
        return {"spec": {"tolerations": list(tolerations)}}
    assert eviction_time(pod(), [taint]) == float("-inf")
    assert eviction_time(pod({"key": taint["key"], "operator": "Exists", "effect": "NoExecute",
                              "tolerationSeconds": 300}), [taint]) == 400.0
    assert eviction_time(pod({"operator": "Exists"}), [taint]) is None
    assert eviction_time(pod(), [dict(taint, effect="NoSchedule")]) is None


def test_an_api_server_outage_does_not_make_nodes_unknown():
    c = Cluster(nodes=2, seed=0)
    c.api.create("deployments", DEPLOY, "default")
    c.run(seconds=30)
    c.stop("kube-apiserver")
    c.run(seconds=70)  # longer than the grace period: but the controller was blind, not the kubelets
    c.start("kube-apiserver")
    c.run(seconds=90)
    assert {_ready(c, n)["status"] for n in ("node-1", "node-2")} == {"True"}
    assert not any(e["reason"] in ("NodeNotReady", "TaintManagerEviction") for e in c.events())
