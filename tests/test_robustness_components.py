"""Components survive any object the API server stored (issue 6, item 6).

An object written straight into etcd (``etcdctl put``) or by an older API server may hold
values no Go component could decode. Upstream a controller's worker recovers from such a
failure (``k8s.io/apimachinery/pkg/util/runtime/runtime.go``: ``HandleCrash``,
``HandleError``; ``sample-controller/controller.go``: "error syncing ..., requeuing"), the
informer's handlers run under ``HandleCrash`` (``client-go/tools/cache/shared_informer.go``),
the scheduler fails one pod's cycle with ``FailedScheduling``
(``pkg/scheduler/schedule_one.go: handleSchedulingFailure``) and the kubelet records
``FailedSync`` and retries after ``backOffPeriod`` (``pkg/kubelet/pod_workers.go``).

Each case here stores one poison object next to a normal Deployment, runs the cluster for
60 virtual seconds and checks: no exception, the Deployment still reaches its 2 ready
replicas, and the failure is visible (a component's ``errors`` log or a Warning Event).
"""

from __future__ import annotations

import copy
import json

import pytest

from k8score import Cluster
from k8score.client import Client, SharedInformerFactory
from k8score.client.worker import ErrorLog, Workers
from k8score.client.workqueue import WorkQueue

WEB = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
       "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                             "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def _svc(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}}


def _pod(name: str, **spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def _stored(c: Cluster, key: str) -> dict:
    return json.loads(c.etcd.range(key).kvs[0].value)


def _rewrite(c: Cluster, key: str, change) -> None:
    """What an older server or ``etcdctl put`` does: the stored JSON, changed, written back."""
    obj = _stored(c, key)
    change(obj)
    c.etcd.put(key, json.dumps(obj))        # json.dumps writes NaN/Infinity as Python does


def _error_lines(c: Cluster) -> list[str]:
    comps = [c.scheduler, c.controller_manager, *c.kubelets.values(), *c.kube_proxies.values(), c.network.dns]
    lines = [line for comp in comps for line in comp.errors.lines()]
    # a value that does not decode never reaches a component: the API server reports it
    lines += [f"{key}: {msg}" for key, msg in c.apiserver.storage.decode_errors]
    lines += [f"{key}: {msg}" for cacher in c.apiserver.cachers.values() for key, msg in cacher.corrupt.items()]
    return lines


def _warnings(c: Cluster) -> list[str]:
    return [f"{e['reason']} {e['involvedObject'].get('name')}: {e['message']}"
            for e in c.events() if e.get("type") == "Warning"]


# -- the poison objects of the issue -----------------------------------------------------------

def node_conditions_5(c):
    _rewrite(c, "/registry/minions/node-2", lambda n: n["status"].__setitem__("conditions", 5))


def node_pod_cidr_x(c):
    _rewrite(c, "/registry/minions/node-2", lambda n: n["spec"].__setitem__("podCIDR", "x"))


def node_label_not_a_string(c):
    _rewrite(c, "/registry/minions/node-2", lambda n: n["metadata"]["labels"].__setitem__("zone", 5))


def node_taints_and_allocatable(c):
    def change(n):
        n["spec"]["taints"] = 5
        n["status"]["allocatable"] = {"cpu": "lots", "pods": float("nan")}
    _rewrite(c, "/registry/minions/node-2", change)


def service_session_affinity_config_5(c):
    c.apply(_svc("affine"))
    _rewrite(c, "/registry/services/specs/default/affine",
             lambda s: s["spec"].update(sessionAffinity="ClientIP", sessionAffinityConfig=5))


def service_external_ips_minus_1(c):
    c.apply(_svc("ext"))
    _rewrite(c, "/registry/services/specs/default/ext", lambda s: s["spec"].__setitem__("externalIPs", -1))


def endpoints_not_a_list(c):
    """CoreDNS reads Endpoints when asked for a name: a query hitting the broken one is SERVFAIL.

    The Service has no selector, so the Endpoints are the user's: the endpoints controller never
    rewrites them and the poison stays for the whole run (the mirroring controller reads it too)."""
    headless = _svc("eps")
    headless["spec"]["clusterIP"] = "None"
    del headless["spec"]["selector"]
    c.apply(headless)
    c.loop.call_later(1.0, c.network.dns.query, "eps.default.svc.cluster.local")
    c.etcd.put("/registry/services/endpoints/default/eps", json.dumps(
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "eps", "namespace": "default", "uid": "u-eps"},
         "subsets": [{"addresses": [{"ip": "not-an-ip"}], "ports": [{"port": "80"}]}, 5]}))


def endpointslice_endpoints_5(c):
    """kube-proxy reads EndpointSlices: one it cannot read is skipped, the rest still sync."""
    c.apply(_svc("eps"))
    c.etcd.put("/registry/endpointslices/default/eps-x", json.dumps(
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
         "metadata": {"name": "eps-x", "namespace": "default", "uid": "u-eps-x",
                      "labels": {"kubernetes.io/service-name": "eps"}},
         "endpoints": 5, "ports": [{"name": "", "port": 80, "protocol": "TCP"}]}))


def pod_toleration_seconds_string(c):
    c.apply(_pod("tol", tolerations=[{"key": "k", "operator": "Exists", "effect": "NoExecute"}]))
    _rewrite(c, "/registry/pods/default/tol",
             lambda p: p["spec"]["tolerations"][0].__setitem__("tolerationSeconds", "30"))


def pod_match_expressions_5(c):
    c.etcd.put("/registry/pods/default/affinity", json.dumps(
        {**_pod("affinity", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [5]}]}}}),
         "metadata": {"name": "affinity", "namespace": "default", "uid": "u-affinity"}}))


def pod_priority_class_name_object(c):
    c.etcd.put("/registry/pods/default/prio", json.dumps(
        {**_pod("prio", priorityClassName={"x": 1}, priority="high"),
         "metadata": {"name": "prio", "namespace": "default", "uid": "u-prio"}}))


def pod_requests_nan_and_labels(c):
    c.etcd.put("/registry/pods/default/nan", json.dumps(
        {**_pod("nan", containers=[{"name": "c", "image": "nginx",
                                    "resources": {"requests": {"cpu": float("nan"), "memory": "lots"}}}]),
         "metadata": {"name": "nan", "namespace": "default", "uid": "u-nan", "labels": {"app": 5}}}))


def bound_pod_container_name_5(c):
    c.etcd.put("/registry/pods/default/bound", json.dumps(
        {**_pod("bound", nodeName="node-2", containers=[{"name": 5, "image": 5}]),
         "metadata": {"name": "bound", "namespace": "default", "uid": "u-bound"}}))


def replicaset_replicas_2_pow_31(c):
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": "huge", "namespace": "default", "uid": "u-huge", "resourceVersion": "1"},
          "spec": {"replicas": 2**31, "selector": {"matchLabels": {"app": "huge"}},
                   "template": {"metadata": {"labels": {"app": "huge"}},
                                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    c.etcd.put("/registry/replicasets/default/huge", json.dumps(rs))


def deployment_max_surge_10_pow_400(c):
    d = copy.deepcopy(WEB)
    d["metadata"] = {"name": "surge", "namespace": "default", "uid": "u-surge"}
    d["spec"]["selector"] = {"matchLabels": {"app": "surge"}}
    d["spec"]["template"]["metadata"]["labels"] = {"app": "surge"}
    d["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 10**400}}
    c.etcd.put("/registry/deployments/default/surge", json.dumps(d))


def deployment_replicas_infinity(c):
    d = copy.deepcopy(WEB)
    d["metadata"] = {"name": "inf", "namespace": "default", "uid": "u-inf"}
    d["spec"]["replicas"] = float("inf")
    d["spec"]["selector"] = {"matchExpressions": [5]}
    c.etcd.put("/registry/deployments/default/inf", json.dumps(d))


def owner_references_garbage(c):
    c.etcd.put("/registry/pods/default/owned", json.dumps(
        {**_pod("owned"), "metadata": {"name": "owned", "namespace": "default", "uid": "u-owned",
                                       "labels": {"app": "web"}, "ownerReferences": [5, {"uid": 5}]}}))


def namespace_spec_5(c):
    c.etcd.put("/registry/namespaces/odd", json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "odd", "uid": "u-odd"}, "spec": 5,
         "status": 5}))


def value_not_json(c):
    c.etcdctl("put /registry/pods/default/evil bar")
    c.etcdctl("put /registry/minions/evil [1,2]")


# (poison, text that must show in an error log line or a Warning Event)
CASES = [
    (node_conditions_5, "status.conditions"),
    (node_pod_cidr_x, "Failed to update pod CIDR to 'x'"),
    (node_taints_and_allocatable, "node-2"),
    (service_session_affinity_config_5, "skipping Service default/affine"),
    (service_external_ips_minus_1, "skipping Service default/ext"),
    (endpoints_not_a_list, "plugin/errors: 2 eps.default.svc.cluster.local. A"),
    (endpointslice_endpoints_5, "skipping EndpointSlice default/eps-x"),
    (pod_match_expressions_5, "FailedScheduling affinity"),
    (pod_priority_class_name_object, "prio"),
    (pod_requests_nan_and_labels, "FailedScheduling nan"),
    (bound_pod_container_name_5, "bound"),
    (replicaset_replicas_2_pow_31,
     "json: cannot unmarshal number 2147483648 into Go struct field ReplicaSet.spec.replicas of type int32"),
    (deployment_max_surge_10_pow_400, "Deployment.spec.strategy.rollingUpdate.maxSurge of type int32"),
    (deployment_replicas_infinity, "json: cannot unmarshal number inf into Go struct field Deployment.spec.replicas"),
    (owner_references_garbage, "owned"),
    (namespace_spec_5, 'error syncing "odd"'),
    (value_not_json, "/registry/pods/default/evil"),
]


@pytest.mark.parametrize("poison,visible", CASES, ids=[f.__name__ for f, _ in CASES])
def test_a_poison_object_breaks_only_itself(poison, visible):
    c = Cluster(nodes=2, seed=3)
    c.apply(WEB)
    poison(c)
    c.run(seconds=60)                        # must not raise
    web = c.get("deployments", "web")
    assert (web.get("status") or {}).get("readyReplicas") == 2
    seen = _error_lines(c) + _warnings(c)
    assert any(visible in line for line in seen), "\n".join(seen[-15:])


def test_every_poison_at_once_and_a_second_deployment_after_them():
    c = Cluster(nodes=2, seed=4)
    c.apply(WEB)
    for poison, _visible in CASES:
        if poison is not node_pod_cidr_x:    # node-2 keeps its range: both nodes take pods
            poison(c)
    c.run(seconds=60)
    late = copy.deepcopy(WEB)
    late["metadata"]["name"] = "late"
    c.apply(late)                             # the second call: the components still converge
    c.run(seconds=30)
    for name in ("web", "late"):
        assert (c.get("deployments", name).get("status") or {}).get("readyReplicas") == 2, name
    assert len(_error_lines(c)) >= 10


def test_the_kubelet_rewrites_conditions_it_cannot_read():
    c = Cluster(nodes=2, seed=5, cloud=False)   # no route controller adding NetworkUnavailable
    node_conditions_5(c)
    c.run(seconds=20)                         # two node-status checks
    conditions = c.get("nodes", "node-2")["status"]["conditions"]
    assert [x["type"] for x in conditions] == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    assert any("unreadable status.conditions on Node node-2" in line
               for line in c.kubelets["node-2"].errors.lines())


def test_the_scheduler_fails_one_pod_and_binds_the_next():
    c = Cluster(nodes=2, seed=6)
    pod_match_expressions_5(c)
    c.apply(_pod("fine"))
    c.run(seconds=10)
    assert c.get("pods", "fine")["spec"].get("nodeName") in ("node-1", "node-2")
    # the test's own pods: namespace default (coredns may have waited for Ready nodes at boot)
    failed = [e for e in c.events("default") if e["reason"] == "FailedScheduling"]
    assert [e["involvedObject"]["name"] for e in failed][:1] == ["affinity"]
    assert "AttributeError: 'int' object has no attribute 'get'" in failed[0]["message"]
    # handleSchedulingFailure with an error: backoffQ, then another attempt (1 s, 2 s, ...)
    assert c.scheduler.explain("affinity").attempt >= 2


def test_kube_proxy_keeps_the_other_services_rules():
    c = Cluster(nodes=2, seed=7)
    c.apply(_svc("good"))
    service_session_affinity_config_5(c)
    c.run(seconds=5)
    rules = c.kube_proxies["node-1"].rules()
    assert "default/good has no endpoints" in rules          # its rules are there
    assert "default/affine" not in rules
    errors = c.kube_proxies["node-1"].errors.lines()
    assert len([e for e in errors if "default/affine" in e]) == 1   # once per change, not per sync


def test_a_crashing_sync_is_logged_requeued_with_backoff_and_the_next_key_runs():
    c = Cluster(nodes=0, seed=8)
    loop = c.loop
    q = WorkQueue(loop, "t")
    log = ErrorLog(loop, "test")
    runs: list[tuple[str, float]] = []

    def sync(key):
        runs.append((key, loop.now))
        if key == "bad":
            raise TypeError("'int' object is not iterable")

    Workers(loop, q, sync, errors=log)
    q.add("bad")
    q.add("good")
    loop.run(until=loop.now + 0.1)
    bad = [t for k, t in runs if k == "bad"]
    assert ("good", bad[0]) in runs
    assert [round(b - a, 6) for a, b in zip(bad, bad[1:])][:3] == [0.005, 0.01, 0.02]
    message = log.entries[0][1]
    assert message.startswith("error syncing \"bad\": TypeError: 'int' object is not iterable "
                              "(test_robustness_components.py:"), message
    assert message.endswith(" in sync)")


def test_an_informer_survives_a_handler_that_raises():
    c = Cluster(nodes=0, seed=9)
    factory = SharedInformerFactory(Client(c.apiserver, user="kubernetes-admin"), c.loop)
    inf = factory.informer("configmaps", namespace="default")
    seen: list[str] = []

    def fragile(cm):
        if cm["metadata"]["name"] not in ("a", "b"):
            return  # kube-root-ca.crt, published by the root-ca-cert-publisher
        if cm["metadata"]["name"] == "a":
            raise KeyError("boom")
        seen.append(cm["metadata"]["name"])

    inf.add_event_handler(on_add=fragile)
    inf.add_event_handler(on_add=lambda cm: seen.append("2nd:" + cm["metadata"]["name"])
                          if cm["metadata"]["name"] in ("a", "b") else None)
    factory.start()
    for name in ("a", "b"):
        c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}})
    c.run(seconds=2)
    assert seen == ["2nd:a", "b", "2nd:b"]
    assert [k for k in inf.keys() if k != "default/kube-root-ca.crt"] == ["default/a", "default/b"]
    assert [what for _t, what, _d in inf.history].count("error") == 1
    assert "add handler failed on default/a: KeyError: 'boom'" in inf.errors.lines()[0]
