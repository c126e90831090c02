"""Deployment -> ReplicaSet -> Pods, scaling, rolling updates and cascading deletion."""

from __future__ import annotations

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer
from k8score.controllers import KubeControllerManager, compute_hash
from k8score.controllers.deployment_util import resolve_fenceposts
from k8score.controllers.hashing import ALPHANUMS
from k8score.etcd import Store
from k8score.kubelet import Kubelet
from k8score.sim import Loop


class MiniCluster:
    """API server + controller manager + kubelets + a trivial round-robin binder (no scheduler)."""

    def __init__(self, nodes: int = 2, seed: int = 0, controllers=None, watch_latency=None, bind=True):
        self.loop = Loop(seed)
        self.api = APIServer(self.loop, Store())
        self.api.start()
        default_service_accounts(self.api, root_ca=True)
        self.kcm = KubeControllerManager(self.loop, self.api, controllers=controllers, watch_latency=watch_latency)
        self.kcm.start()
        self.kubelets = [Kubelet(self.loop, self.api, f"node-{i}") for i in range(1, nodes + 1)]
        for k in self.kubelets:
            k.start()
        self._next = 0
        if bind and nodes:
            self.loop.every(0.2, self._bind)
        self.loop.run(until=1)

    def _bind(self):
        if not self.api.running:
            return
        for p in self.api.list("pods")["items"]:
            if not p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp"):
                node = self.kubelets[self._next % len(self.kubelets)].node_name
                self._next += 1
                self.api.create("pods", {"apiVersion": "v1", "kind": "Binding",
                                         "metadata": {"name": p["metadata"]["name"]},
                                         "target": {"kind": "Node", "name": node}},
                                p["metadata"]["namespace"], subresource="binding")

    def run(self, seconds):
        self.loop.run(until=self.loop.now + seconds)

    def pods(self):
        return self.api.list("pods", namespace="default")["items"]

    def events(self, reason=None):
        evs = sorted(self.api.list("events")["items"], key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [e for e in evs if reason is None or e["reason"] == reason]


def deployment(name="nginx-deployment", replicas=3, image="nginx:1.14.2", strategy=None):
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": "nginx"}},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
                  "template": {"metadata": {"labels": {"app": "nginx"}},
                               "spec": {"containers": [{"name": "nginx", "image": image,
                                                        "ports": [{"containerPort": 80}]}]}}}}
    if strategy:
        d["spec"]["strategy"] = strategy
    return d


def test_deployment_creates_replicaset_with_hash_and_pods_with_owner_references():
    c = MiniCluster()
    d = c.api.create("deployments", deployment(), "default")
    c.run(30)
    [rs] = c.api.list("replicasets", namespace="default")["items"]
    stored = c.api.get("deployments", "nginx-deployment", "default")
    h = compute_hash(stored["spec"]["template"])
    assert rs["metadata"]["name"] == f"nginx-deployment-{h}"
    assert set(h) <= set(ALPHANUMS)
    assert rs["metadata"]["labels"]["pod-template-hash"] == h
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "nginx", "pod-template-hash": h}
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    [ref] = rs["metadata"]["ownerReferences"]
    assert ref == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx-deployment",
                   "uid": d["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    pods = c.pods()
    assert len(pods) == 3
    for p in pods:
        assert p["metadata"]["name"].startswith(rs["metadata"]["name"] + "-")
        assert p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        assert p["metadata"]["labels"]["pod-template-hash"] == h
        assert p["status"]["phase"] == "Running"
    st = stored["status"]
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (3, 3, 3, 3)
    conds = {c_["type"]: c_ for c_ in st["conditions"]}
    assert conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert conds["Progressing"]["message"] == f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.'
    [scaled] = c.events("ScalingReplicaSet")
    assert scaled["message"] == f"Scaled up replica set {rs['metadata']['name']} from 0 to 3"
    assert scaled["source"]["component"] == "deployment-controller"
    created = c.events("SuccessfulCreate")
    assert sorted(e["message"] for e in created) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)


def test_scale_up_and_down_resizes_the_replicaset():
    c = MiniCluster()
    c.api.create("deployments", deployment(), "default")
    c.run(20)
    c.api.patch("deployments", "nginx-deployment", {"spec": {"replicas": 5}}, namespace="default")
    c.run(20)
    [rs] = c.api.list("replicasets", namespace="default")["items"]
    assert rs["spec"]["replicas"] == 5 and len(c.pods()) == 5
    c.api.patch("deployments", "nginx-deployment", {"spec": {"replicas": 2}}, namespace="default")
    c.run(40)
    alive = [p for p in c.pods() if not p["metadata"].get("deletionTimestamp")]
    assert len(alive) == 2 and len(c.pods()) == 2  # the kubelets finished the graceful deletions
    msgs = [e["message"] for e in c.events("ScalingReplicaSet")]
    name = rs["metadata"]["name"]
    assert msgs == [f"Scaled up replica set {name} from 0 to 3", f"Scaled up replica set {name} from 3 to 5",
                    f"Scaled down replica set {name} from 5 to 2"]
    assert len(c.events("SuccessfulDelete")) == 3


def test_rolling_update_respects_max_surge_and_max_unavailable():
    c = MiniCluster(nodes=3)
    c.api.create("deployments", deployment(replicas=4), "default")
    c.run(30)
    surge, unavailable = resolve_fenceposts({"type": "RollingUpdate"}, 4)
    assert (surge, unavailable) == (1, 1)
    c.api.patch("deployments", "nginx-deployment",
                {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.16.1",
                                                                "ports": [{"containerPort": 80}]}]}}}},
                namespace="default")
    worst_total, worst_available = 0, 99
    for _ in range(600):
        c.run(0.1)
        rss = c.api.list("replicasets", namespace="default")["items"]
        worst_total = max(worst_total, sum(r["spec"]["replicas"] for r in rss))
        worst_available = min(worst_available, sum(r["status"].get("availableReplicas", 0) for r in rss))
    assert worst_total <= 4 + surge
    assert worst_available >= 4 - unavailable
    rss = sorted(c.api.list("replicasets", namespace="default")["items"],
                 key=lambda r: r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
    assert [r["spec"]["replicas"] for r in rss] == [0, 4]
    images = {p["spec"]["containers"][0]["image"] for p in c.pods() if not p["metadata"].get("deletionTimestamp")}
    assert images == {"nginx:1.16.1"}
    d = c.api.get("deployments", "nginx-deployment", "default")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert d["status"]["updatedReplicas"] == 4
    msgs = [e["message"] for e in c.events("ScalingReplicaSet")]
    new = rss[1]["metadata"]["name"]
    assert msgs[1] == f"Scaled up replica set {new} from 0 to 1"
    assert any(m.startswith(f"Scaled down replica set {rss[0]['metadata']['name']}") for m in msgs)


def test_recreate_scales_old_to_zero_before_new_pods_start():
    c = MiniCluster()
    c.api.create("deployments", deployment(replicas=2, strategy={"type": "Recreate"}), "default")
    c.run(20)
    c.api.patch("deployments", "nginx-deployment",
                {"spec": {"template": {"metadata": {"labels": {"app": "nginx", "v": "2"}}}}}, namespace="default")
    overlap = False
    for _ in range(300):
        c.run(0.1)
        pods = c.pods()
        hashes = {p["metadata"]["labels"]["pod-template-hash"] for p in pods}
        if len(hashes) > 1:
            overlap = True
    assert not overlap
    assert len({p["metadata"]["labels"]["pod-template-hash"] for p in c.pods()}) == 1
    assert all(p["metadata"]["labels"].get("v") == "2" for p in c.pods())


def test_deleting_a_deployment_cascades_through_the_garbage_collector():
    c = MiniCluster()
    c.api.create("deployments", deployment(), "default")
    c.run(20)
    assert len(c.pods()) == 3
    c.api.delete("deployments", "nginx-deployment", namespace="default")
    c.run(1)
    assert c.api.list("replicasets", namespace="default")["items"] == []
    assert all(p["metadata"].get("deletionTimestamp") for p in c.pods())  # graceful deletion under way
    c.run(10)
    assert c.pods() == []
    assert len(c.events("Killing")) == 3


def test_foreground_deletion_removes_dependents_before_the_owner():
    c = MiniCluster()
    c.api.create("deployments", deployment(replicas=2), "default")
    c.run(20)
    c.api.delete("deployments", "nginx-deployment", namespace="default", propagation_policy="Foreground")
    d = c.api.get("deployments", "nginx-deployment", "default")  # still there, waiting
    assert "foregroundDeletion" in d["metadata"]["finalizers"]
    gone_at = pods_gone_at = None
    for _ in range(400):
        c.run(0.05)
        if pods_gone_at is None and not c.pods():
            pods_gone_at = c.loop.now
        if gone_at is None and not c.api.list("deployments", namespace="default")["items"]:
            gone_at = c.loop.now
    assert pods_gone_at is not None and gone_at is not None
    assert pods_gone_at <= gone_at  # the owner went last
    assert c.api.list("replicasets", namespace="default")["items"] == []


def test_stuck_rollout_reports_progress_deadline_exceeded_and_scales_proportionally():
    c = MiniCluster(nodes=2)
    d = deployment(replicas=4)
    d["spec"]["progressDeadlineSeconds"] = 30
    c.api.create("deployments", d, "default")
    c.run(20)
    c.api.patch("deployments", "nginx-deployment",
                {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:doesnotexist"}]}}}},
                namespace="default")
    c.run(60)
    st = c.api.get("deployments", "nginx-deployment", "default")["status"]
    progressing = next(x for x in st["conditions"] if x["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert progressing["message"].endswith("has timed out progressing.")
    available = next(x for x in st["conditions"] if x["type"] == "Available")
    assert available["status"] == "True"  # the old pods still serve: 3 of 4 >= 4 - maxUnavailable
    old, new = sorted(c.api.list("replicasets", namespace="default")["items"],
                      key=lambda r: r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (3, 2)  # 5 = 4 + maxSurge, stuck
    # kubectl scale during the stuck rollout: both ReplicaSets grow in proportion
    c.api.patch("deployments", "nginx-deployment", {"spec": {"replicas": 8}}, namespace="default")
    c.run(5)
    old, new = (c.api.get("replicasets", r["metadata"]["name"], "default") for r in (old, new))
    assert old["spec"]["replicas"] + new["spec"]["replicas"] == 8 + 2  # 8 + maxSurge(25% of 8)
    assert old["spec"]["replicas"] > 3 and new["spec"]["replicas"] > 2
    assert old["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "8"
