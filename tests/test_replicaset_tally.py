"""ReplicaSet controller at scale: tallies kept per pod event equal a recount, and
scale-down ranks as upstream ``ActivePodsWithRanks`` (pkg/controller/controller_utils.go,
pkg/controller/replicaset/replica_set.go ``getPodsRankedByRelatedPodsOnSameNode``,
``getIndirectlyRelatedPods``; LogarithmicScaleDown)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from apihelpers import default_service_accounts
from k8score import Cluster
from k8score.apiserver import APIServer
from k8score.controllers import KubeControllerManager
from k8score.controllers.podcontrol import deletion_order
from k8score.controllers.replicaset_tally import Tally, contribution
from k8score.etcd import Store
from k8score.sim import Loop
from k8score.sim.clock import rfc3339


def _recount(ctl, rs):
    """What upstream's sync would count, from scratch."""
    t = Tally(None)
    for pod in ctl.pod_informer.list():
        t.put(pod["metadata"]["name"], contribution(rs, pod))
    return (t.count, t.fully, t.ready, sorted(t.release))


def _tallied(ctl, rs):
    t = ctl.tallies.for_rs(rs)
    return (t.count, t.fully, t.ready, sorted(k.split("/", 1)[1] for k in t.release))


def _rs(replicas, labels=None):
    labels = labels or {"app": "web", "tier": "fe"}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


_OPS = st.lists(st.one_of(
    st.tuples(st.just("scale"), st.integers(0, 8)),
    st.tuples(st.just("relabel"), st.integers(0, 20)),          # a pod leaves the selector
    st.tuples(st.just("untemplate"), st.integers(0, 20)),       # drops a template-only label
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("orphan"), st.integers(0, 3)),            # a matching pod nobody owns
    st.tuples(st.just("ready"), st.integers(0, 20)),            # the pod turns Ready
    st.tuples(st.just("template"), st.booleans()),              # template labels change
), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None)
@given(_OPS, st.integers(0, 3))
def test_tallies_equal_a_recount_after_every_step(ops, seed):
    loop = Loop(seed)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    kcm = KubeControllerManager(loop, api, controllers=["replicaset"])
    kcm.start()
    ctl = kcm.controller("replicaset")
    api.create("replicasets", _rs(3), "default")
    loop.run(until=2)
    orphans = 0
    for op, arg in ops:
        pods = sorted(p["metadata"]["name"] for p in api.list("pods", namespace="default")["items"])
        pick = pods[arg % len(pods)] if pods else None
        if op == "scale":
            rs = api.get("replicasets", "web", "default")
            rs["spec"]["replicas"] = arg
            api.update("replicasets", rs, "default")
        elif op == "template":
            rs = api.get("replicasets", "web", "default")
            rs["spec"]["template"]["metadata"]["labels"] = ({"app": "web", "tier": "fe"} if arg
                                                            else {"app": "web", "tier": "be"})
            api.update("replicasets", rs, "default")
        elif op == "orphan":
            orphans += 1
            api.create("pods", {"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": f"stray-{orphans}", "labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, "default")
        elif pick and op == "relabel":
            api.patch("pods", pick, {"metadata": {"labels": {"app": "other"}}}, namespace="default")
        elif pick and op == "untemplate":
            api.patch("pods", pick, {"metadata": {"labels": {"tier": None}}}, namespace="default")
        elif pick and op == "delete":
            api.delete("pods", pick, "default")
        elif pick and op == "ready":
            pod = api.get("pods", pick, "default")
            pod["status"] = {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(loop.now)}]}
            api.update("pods", pod, "default", subresource="status")
        loop.run(until=loop.now + 1.5)
        rs = ctl.rs_informer.get("default/web")
        assert _tallied(ctl, rs) == _recount(ctl, rs), (op, arg)
    # and the status written from the tallies is the recount's
    loop.run(until=loop.now + 3)
    rs = ctl.rs_informer.get("default/web")
    count, fully, ready, release = _recount(ctl, rs)
    assert release == []
    status = api.get("replicasets", "web", "default")["status"]
    assert status["replicas"] == count == rs["spec"]["replicas"]
    assert status.get("fullyLabeledReplicas", 0) == fully
    assert status.get("readyReplicas", 0) == ready


def _ready_pod(name, ready_at, uid, node="n1"):
    return {"metadata": {"name": name, "uid": uid, "creationTimestamp": rfc3339(0)},
            "spec": {"nodeName": node},
            "status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(ready_at)}]}}


def test_ready_times_in_one_power_of_two_window_are_equal_and_the_uid_decides():
    now = 100.0
    # 10 s and 12 s ago: both in [2^33, 2^34) ns (8.6 s .. 17.2 s) -> same rank, UID decides
    a, b = _ready_pod("a", 90.0, uid="bbbb"), _ready_pod("b", 88.0, uid="aaaa")
    assert [p["metadata"]["name"] for p in deletion_order([a, b], now=now)] == ["b", "a"]
    # without the log scale (no now), the more recently ready goes first
    assert [p["metadata"]["name"] for p in deletion_order([a, b])] == ["a", "b"]
    # 3 s ago vs 10 s ago: different windows -> the newer goes first whatever the UIDs
    c = _ready_pod("c", 97.0, uid="zzzz")
    assert [p["metadata"]["name"] for p in deletion_order([a, c], now=now)] == ["c", "a"]


def test_colocation_counts_the_related_pods_of_the_other_replicasets():
    # two pods of the new set, on n1 and n2; the old set has two more pods on n2:
    # counted with the related pods, n2 is the crowded node and its pod goes first
    new1, new2 = _ready_pod("new-1", 50.0, "u1", "n1"), _ready_pod("new-2", 50.0, "u2", "n2")
    old = [_ready_pod("old-1", 10.0, "u3", "n2"), _ready_pod("old-2", 10.0, "u4", "n2")]
    assert deletion_order([new1, new2], related=[new1, new2] + old, now=60.0)[0]["metadata"]["name"] == "new-2"
    # a terminating related pod does not count (IsPodActive)
    for p in old:
        p["metadata"]["deletionTimestamp"] = rfc3339(55.0)
    order = deletion_order([new1, new2], related=[new1, new2] + old, now=60.0)
    assert [p["metadata"]["name"] for p in order] == ["new-1", "new-2"]  # equal ranks: by UID


def test_deployment_scale_down_counts_every_replicaset_of_the_deployment():
    c = Cluster(nodes=2, seed=3)
    c.kubectl("create deployment web --image=nginx --replicas=4")
    c.run(20)
    c.kubectl("set image deployment/web nginx=nginx:1.27")
    c.run(1)
    rs_names = sorted(r["metadata"]["name"] for r in c.get("replicasets"))
    assert len(rs_names) == 2
    ctl = c.controller_manager.controller("replicaset")
    new = max(c.get("replicasets"), key=lambda r: int(r["metadata"]["annotations"]
                                                     ["deployment.kubernetes.io/revision"]))
    own = ctl._controlled_pods(ctl.rs_informer.get(f"default/{new['metadata']['name']}"), [])
    related = ctl._related_pods(ctl.rs_informer.get(f"default/{new['metadata']['name']}"), own)
    assert len(related) > len(own)   # the old set's pods are included
    assert {p["metadata"]["name"] for p in own} <= {p["metadata"]["name"] for p in related}
