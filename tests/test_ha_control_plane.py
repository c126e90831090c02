"""``Cluster(control_planes=3)``: kubeadm's stacked-etcd HA layout — three API servers behind a
load balancer, each over its local etcd member, and clients that fail over.

Upstream: kubeadm docs "Options for Highly Available Topology" / "Creating Highly Available
Clusters with kubeadm" (stacked etcd, --control-plane-endpoint behind a load balancer, the API
server's --etcd-servers=https://127.0.0.1:2379); client-go tools/cache/reflector.go (a watch
that ends is re-established, a failed list retried with backoff); k8s.io/apiserver
storage/etcd3 (etcd's errors reach the client as a 500 ``Error from server: <etcd's text>``).
"""

import pytest

from k8score import Cluster
from k8score.api.errors import ApiError
from k8score.client import Client

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}}


@pytest.fixture(scope="module")
def c():
    return Cluster(nodes=1, seed=0, control_planes=3)


def running_web(c):
    return [p for p in c.apiserver.lister.list("pods", "default")
            if p["metadata"]["name"].startswith("web-") and (p.get("status") or {}).get("phase") == "Running"]


def test_three_control_planes(c):
    assert c.components()[:12] == [
        "kube-apiserver-1", "kube-apiserver-2", "kube-apiserver-3", "etcd-1", "etcd-2", "etcd-3",
        "kube-scheduler-1", "kube-scheduler-2", "kube-scheduler-3",
        "kube-controller-manager-1", "kube-controller-manager-2", "kube-controller-manager-3"]
    assert "kube-apiserver" not in c.components() and "etcd" not in c.components()
    # stacked etcd: each API server's client is pinned to its own member
    assert [s.store.endpoint.name for s in c.apiservers] == ["etcd-1", "etcd-2", "etcd-3"]
    # kubeadm: the scheduler and controller manager of control plane i use its API server
    for comp in ("kube-scheduler", "kube-controller-manager"):
        assert [r.api for r in c.replicas[comp]] == c.apiservers
        assert [r.inner.api for r in c.replicas[comp]] == c.apiservers
    # each serves from its own watch cache, all at etcd's revision
    assert len({id(s.cachers) for s in c.apiservers}) == 3
    assert all(s.open_watches > 0 for s in c.apiservers[:1])
    with pytest.raises(ValueError, match="control_planes must be 1 or 3"):
        Cluster(nodes=0, control_planes=2)


def test_every_api_server_serves_the_same_objects(c):
    c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared"}, "data": {"k": "v"}})
    c.run(0.1)
    seen = [Client(s, user="kubernetes-admin").get("configmaps", "shared", namespace="default")
            for s in c.apiservers]
    assert {s["metadata"]["uid"] for s in seen} == {seen[0]["metadata"]["uid"]}
    assert {s["metadata"]["resourceVersion"] for s in seen} == {seen[0]["metadata"]["resourceVersion"]}
    # uids and ClusterIPs from different servers never collide (one allocation for all)
    ips = []
    for i, s in enumerate(c.apiservers):
        svc = Client(s, user="kubernetes-admin").create("services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{i}"},
            "spec": {"ports": [{"port": 80}], "type": "NodePort"}}, namespace="default")
        ips.append((svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["nodePort"], svc["metadata"]["uid"]))
    assert len({ip for ip, _, _ in ips}) == len({p for _, p, _ in ips}) == len({u for _, _, u in ips}) == 3


def test_kubectl_and_controllers_fail_over_when_an_api_server_stops(c):
    assert c.apiserver.backend.name == "kube-apiserver-1"
    t0 = c.now
    c.stop("kube-apiserver-1")
    assert c.kubectl("get deployments") == "No resources found in default namespace.\n"
    assert c.apiserver.failovers[-1] == (pytest.approx(t0), "kube-apiserver-2")
    assert c.apiservers[0].open_watches == 0
    # created while kube-apiserver-1 is down: the leading scheduler and controller manager
    # talk to kube-apiserver-1 (their local endpoint), cannot renew, and stop within
    # RetryPeriod + RenewDeadline; replicas on the other control planes take over after expiry
    assert c.kubectl("create deployment web --image=nginx:1.27 --replicas=2") == "deployment.apps/web created\n"
    c.run(12.5)
    assert c.leader("kube-controller-manager") is None and c.leader("kube-scheduler") is None
    assert c.get("replicasets") == []                       # nobody reconciles meanwhile
    assert c.run(until=lambda: len(running_web(c)) == 2, timeout=30)
    assert 13 <= c.now - t0 <= 15 + 2 * 4.4 + 6             # + pulling and starting nginx
    assert c.leader("kube-controller-manager") in ("kube-controller-manager-2", "kube-controller-manager-3")
    assert c.leader("kube-scheduler") in ("kube-scheduler-2", "kube-scheduler-3")
    assert c.apiservers[1].open_watches > 0
    # kube-apiserver-1 comes back: its cache relists and it serves the new objects too
    c.start("kube-apiserver-1")
    c.run(0.5)
    got = Client(c.apiservers[0], user="kubernetes-admin").get("deployments", "web", namespace="default")
    assert got["status"]["readyReplicas"] == 2


def test_all_api_servers_down_then_back(c):
    for s in ("kube-apiserver-1", "kube-apiserver-2", "kube-apiserver-3"):
        c.stop(s)
    out = c.kubectl("get pods")
    # kubectl dials the load balancer's address, which has no backend left
    assert out == ("The connection to the server 192.168.0.9:6443 was refused - "
                   "did you specify the right host or port?\n")
    c.run(5)
    c.start("kube-apiserver-3")
    assert c.kubectl("scale deployment web --replicas=3") == "deployment.apps/web scaled\n"
    assert c.run(until=lambda: len(running_web(c)) == 3, timeout=30)
    assert c.apiserver.backend.name == "kube-apiserver-3"
    c.start("kube-apiserver-1")
    c.start("kube-apiserver-2")


CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "widgets.example.com"},
       "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                "versions": [{"name": "v1", "served": True, "storage": True,
                              "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                  "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}}


def test_a_crd_is_served_by_every_api_server():
    c = Cluster(nodes=0, seed=4, control_planes=3)
    c.apply(CRD)                                     # through the balancer: kube-apiserver-1
    c.run(1.5)
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"size": 3, "colour": "red"}}
    for s in c.apiservers[1:]:                       # the others follow their CRD watch cache
        got = Client(s, user="kubernetes-admin").create("widgets", dict(widget, metadata={"name": s.name}),
                                                       namespace="default")
        assert got["spec"] == {"size": 3}           # pruned by the same schema
    c.stop("kube-apiserver-1")
    assert c.kubectl("get widgets -o name") == ("widget.example.com/kube-apiserver-2\n"
                                                "widget.example.com/kube-apiserver-3\n")
    c.delete("customresourcedefinitions", "widgets.example.com", namespace=None)
    c.run(1.5)
    for s in c.apiservers[1:]:
        with pytest.raises(ApiError) as e:
            Client(s, user="kubernetes-admin").list("widgets", namespace="default")
        assert e.value.code == 404


def test_quorum_loss_is_answered_by_every_api_server_with_etcds_error():
    c = Cluster(nodes=0, seed=2, control_planes=3)
    lead = c.etcd_cluster.leader()
    for m in c.etcd_cluster.members:
        if m is not lead:
            c.stop(m.name)
    clients = [Client(s, user="kubernetes-admin") for s in c.apiservers]
    for cl in clients:   # the leader has not noticed yet: its ReadIndex gets no quorum
        with pytest.raises(ApiError) as e:
            cl.list("pods", namespace="default")
        assert (e.value.code, e.value.message) == (500, "etcdserver: request timed out")
    c.run(2.5)           # CheckQuorum: it steps down
    for cl in clients:
        with pytest.raises(ApiError) as e:
            cl.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
                      namespace="default")
        assert (e.value.code, e.value.message) == (500, "etcdserver: no leader")
    assert c.kubectl("get pods") == "Error from server: etcdserver: no leader\n"
    for m in c.etcd_cluster.members:
        if m is not lead:
            c.start(m.name)
    assert c.run(until=lambda: c.etcd_cluster.leader() is not None, timeout=5)
    assert c.kubectl("get pods") == "No resources found in default namespace.\n"


def test_one_control_plane_keeps_its_names_and_runs_without_leases():
    c = Cluster(nodes=0, seed=0)
    assert c.components()[:4] == ["kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager"]
    assert c.apiservers == [c.apiserver] and c.leader("kube-scheduler") is None
    assert c.kubectl("get leases -n kube-system") == "No resources found in kube-system namespace.\n"
