"""ReplicaSet controller: pod creation/deletion, expectations under watch lag, deletion order."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer, ApiError
from k8score.controllers import KubeControllerManager
from k8score.controllers.podcontrol import deletion_order
from k8score.etcd import Store
from k8score.sim import Loop
from k8score.sim.clock import rfc3339


def replicaset(replicas=3, name="frontend"):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"tier": name}},
                     "template": {"metadata": {"labels": {"tier": name}},
                                  "spec": {"containers": [{"name": "php", "image": "php:8"}]}}}}


def _setup(latency=None, seed=0):
    loop = Loop(seed)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    kcm = KubeControllerManager(loop, api, controllers=["replicaset"], watch_latency=latency)
    kcm.start()
    return loop, api, kcm


def _created(api):
    return [e for e in api.list("events", namespace="default")["items"] if e["reason"] == "SuccessfulCreate"]


def test_replicaset_creates_pods_from_its_template_and_reports_status():
    loop, api, _ = _setup()
    rs = api.create("replicasets", replicaset(), "default")
    loop.run(until=2)
    pods = api.list("pods", namespace="default")["items"]
    assert len(pods) == 3
    for p in pods:
        assert p["metadata"]["generateName"] == "frontend-"
        assert p["metadata"]["name"].startswith("frontend-") and len(p["metadata"]["name"]) == len("frontend-") + 5
        assert p["metadata"]["labels"] == {"tier": "frontend"}
        assert p["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                     "name": "frontend", "uid": rs["metadata"]["uid"],
                                                     "controller": True, "blockOwnerDeletion": True}]
    status = api.get("replicasets", "frontend", "default")["status"]
    assert status["replicas"] == 3 and status["fullyLabeledReplicas"] == 3 and status["observedGeneration"] == 1
    assert "readyReplicas" not in status  # nobody runs these pods: none ready
    assert sorted(e["message"] for e in _created(api)) == sorted(f"Created pod: {p['metadata']['name']}"
                                                                  for p in pods)


def test_replacement_pod_when_one_is_deleted():
    loop, api, _ = _setup()
    api.create("replicasets", replicaset(replicas=2), "default")
    loop.run(until=2)
    victim = api.list("pods", namespace="default")["items"][0]["metadata"]["name"]
    api.delete("pods", victim, namespace="default", grace_period_seconds=0)
    loop.run(until=4)
    names = [p["metadata"]["name"] for p in api.list("pods", namespace="default")["items"]]
    assert len(names) == 2 and victim not in names


def _scenario(disable_expectations: bool) -> int:
    # The controller's watches lag 5 s. The user touches the ReplicaSet at t=1: that event
    # reaches the controller at t=6, before the pods it created at t=5 show up (t=10).
    loop, api, kcm = _setup(latency=5.0)
    if disable_expectations:
        kcm.controller("replicaset").expectations.satisfied = lambda key: True
    api.create("replicasets", replicaset(), "default")
    loop.run(until=1)
    api.patch("replicasets", "frontend", {"metadata": {"annotations": {"touched": "yes"}}}, namespace="default")
    loop.run(until=30)
    assert len(api.list("pods", namespace="default")["items"]) == 3  # converges either way...
    return len(_created(api))  # ...but how many pods were created on the way?


def test_expectations_prevent_double_creation_while_the_watch_lags():
    assert _scenario(disable_expectations=False) == 3
    # ...and the scenario really is dangerous without them:
    assert _scenario(disable_expectations=True) > 3


def test_slow_start_stops_after_a_failing_batch_and_retries_with_backoff():
    loop, api, kcm = _setup()
    client = kcm.controllers["replicaset"].client  # each controller writes as its ServiceAccount
    real_create = client.create
    calls: list[float] = []

    def flaky_create(resource, body, namespace=None, subresource=None):
        if resource == "pods":
            calls.append(loop.now)
            if len(calls) <= 2:
                raise ApiError.forbidden("pods", "", "exceeded quota: compute-resources")
        return real_create(resource, body, namespace=namespace, subresource=subresource)

    client.create = flaky_create
    api.create("replicasets", replicaset(replicas=10), "default")
    loop.run(until=2)
    # A sync whose first batch (of 1) fails tries nothing else; two syncs fail that way,
    # the next one creates batches of 1, 2, 4 and 3 pods.
    assert len(calls) == 12
    assert calls[0] < calls[1] < calls[2]
    events = api.list("events", namespace="default")["items"]
    failed = [e for e in events if e["reason"] == "FailedCreate"]
    assert len(failed) == 1 and failed[0]["count"] == 2 and failed[0]["type"] == "Warning"  # aggregated
    assert failed[0]["message"].startswith("Error creating: ")
    assert len(_created(api)) == 10 and len(api.list("pods", namespace="default")["items"]) == 10


def _pod(name, node="", phase="Running", ready=True, created=0.0, ready_since=0.0):
    conds = [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": rfc3339(ready_since)}]
    return {"metadata": {"name": name, "creationTimestamp": rfc3339(created)},
            "spec": {"nodeName": node} if node else {},
            "status": {"phase": phase, "conditions": conds}}


def test_deletion_prefers_unscheduled_then_pending_then_not_ready_then_newest():
    pods = [
        _pod("ready-old", "n1", created=1, ready_since=5),
        _pod("ready-new", "n2", created=50, ready_since=60),
        _pod("not-ready", "n1", ready=False, created=2),
        _pod("pending", "n2", phase="Pending", ready=False, created=3),
        _pod("unscheduled", phase="Pending", ready=False, created=4),
    ]
    order = [p["metadata"]["name"] for p in deletion_order(pods)]
    assert order == ["unscheduled", "pending", "not-ready", "ready-new", "ready-old"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["Pending", "Running"]), st.booleans(),
                          st.integers(0, 100)), min_size=1, max_size=8))
def test_deletion_order_is_a_total_order_independent_of_input_order(specs):
    pods = [_pod(f"p{i}", "n1" if sched else "", phase, ready and phase == "Running", created)
            for i, (sched, phase, ready, created) in enumerate(specs)]
    forward = [p["metadata"]["name"] for p in deletion_order(pods)]
    backward = [p["metadata"]["name"] for p in deletion_order(list(reversed(pods)))]
    assert forward == backward
    first = next(p for p in pods if p["metadata"]["name"] == forward[0])
    if any(not p["spec"].get("nodeName") for p in pods):
        assert not first["spec"].get("nodeName")


def test_relabelled_pod_is_released_and_replaced_and_orphans_are_adopted():
    loop, api, _ = _setup()
    orphan = api.create("pods", {"apiVersion": "v1", "kind": "Pod",
                                 "metadata": {"name": "handmade", "labels": {"tier": "frontend"}},
                                 "spec": {"containers": [{"name": "php", "image": "php:8"}]}}, "default")
    rs = api.create("replicasets", replicaset(replicas=2), "default")
    loop.run(until=2)
    pods = {p["metadata"]["name"]: p for p in api.list("pods", namespace="default")["items"]}
    assert len(pods) == 2 and "handmade" in pods  # adopted: only one pod was created
    assert pods["handmade"]["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    assert pods["handmade"]["metadata"]["uid"] == orphan["metadata"]["uid"]
    # Quarantine a pod by changing its labels: the ReplicaSet lets go of it and replaces it.
    api.patch("pods", "handmade", {"metadata": {"labels": {"tier": "debug"}}}, namespace="default")
    loop.run(until=4)
    pods = {p["metadata"]["name"]: p for p in api.list("pods", namespace="default")["items"]}
    assert len(pods) == 3
    assert not pods["handmade"]["metadata"].get("ownerReferences")
    owned = [p for p in pods.values() if p["metadata"].get("ownerReferences")]
    assert len(owned) == 2
    assert api.get("replicasets", "frontend", "default")["status"]["replicas"] == 2
