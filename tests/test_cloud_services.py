"""cloud-controller-manager: the service controller
(k8s.io/cloud-provider/controllers/service/controller.go; the default load balancer name:
k8s.io/cloud-provider/cloud.go DefaultLoadBalancerName; KEP-3458 stable node set).

The docs' "Create an External Load Balancer" Service gets an IP from the simulated cloud
(TEST-NET-1, ``192.0.2.10`` first), the ``EnsuringLoadBalancer``/``EnsuredLoadBalancer``
events and the ``service.kubernetes.io/load-balancer-cleanup`` finalizer; deleting it or
changing its type deletes the load balancer first. The load balancer's hosts follow the node
set (nodes added, deleted or excluded — not readiness). Without a cloud it stays ``<pending>``.
"""

import pytest

from k8score import Cluster
from k8score.cloud.provider import default_load_balancer_name
from k8score.cloud.service import LB_CLEANUP_FINALIZER

# https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/
EXAMPLE_SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: example-service
spec:
  selector:
    app: example
  ports:
    - port: 8765
      targetPort: 9376
  type: LoadBalancer
"""


def _events(c, reason, since=0.0):
    return [text for _, comp, text in c.timeline(since) if text.startswith(reason + ":")]


def _svc_events(c, name, since=0.0):
    return [(comp, text.split(":", 1)[0]) for _, comp, text in c.timeline(since) if f"Service/{name}:" in text]


def _ip(c, name):
    ingress = (c.get("services", name)["status"].get("loadBalancer") or {}).get("ingress") or []
    return [i["ip"] for i in ingress]


def _lb(c, name):
    return next(lb for lb in c.cloud.list_load_balancers() if lb.service == f"default/{name}")


@pytest.fixture()
def c():
    return Cluster(nodes=2, seed=0)


def test_docs_example_gets_an_external_ip(c):
    c.kubectl("create deployment example --image=nginx --replicas=2")
    t0 = c.now
    assert c.kubectl("apply -f -", stdin=EXAMPLE_SERVICE) == "service/example-service created\n"
    c.run(1)
    svc = c.get("services", "example-service")
    assert svc["status"]["loadBalancer"] == {"ingress": [{"ip": "192.0.2.10", "ipMode": "VIP"}]}
    assert svc["metadata"]["finalizers"] == [LB_CLEANUP_FINALIZER]
    assert _svc_events(c, "example-service", t0) == [("service-controller", "EnsuringLoadBalancer"),
                                                     ("service-controller", "EnsuredLoadBalancer")]
    assert _events(c, "EnsuredLoadBalancer", t0) == [
        "EnsuredLoadBalancer: Service/example-service: Ensured load balancer"]
    out = c.kubectl("get svc example-service")
    header, row = out.splitlines()
    assert row.split()[:5] == ["example-service", "LoadBalancer", svc["spec"]["clusterIP"], "192.0.2.10",
                               f"8765:{svc['spec']['ports'][0]['nodePort']}/TCP"]
    lb = _lb(c, "example-service")
    assert lb.name == default_load_balancer_name(svc) == ("a" + svc["metadata"]["uid"].replace("-", ""))[:32]
    assert lb.hosts == ["node-1", "node-2"]
    assert lb.ports == [{"protocol": "TCP", "port": 8765, "nodePort": svc["spec"]["ports"][0]["nodePort"]}]
    # a second one takes the next free address; kube-proxy already routes the first one's IP
    second = EXAMPLE_SERVICE.replace("example-service", "second")
    c.kubectl("apply -f -", stdin=second)
    c.run(1)
    assert _ip(c, "second") == ["192.0.2.11"]
    c.run(until=lambda: len(c.get("endpoints", "example-service").get("subsets") or ()) > 0, timeout=60)
    c.run(2)
    t = c.trace("external", "192.0.2.10", 8765)
    assert t.verdict == "ACCEPT" and t.endpoint.endswith(":9376")


def test_bare_metal_stays_pending():
    c = Cluster(nodes=2, seed=0, cloud=False)
    c.kubectl("apply -f -", stdin=EXAMPLE_SERVICE)
    c.run(60)
    svc = c.get("services", "example-service")
    assert svc["status"] == {"loadBalancer": {}} and not svc["metadata"].get("finalizers")
    assert "<pending>" in c.kubectl("get svc example-service").splitlines()[1].split()
    assert _svc_events(c, "example-service") == []


def test_delete_and_type_change_release_the_load_balancer(c):
    c.kubectl("apply -f -", stdin=EXAMPLE_SERVICE)
    c.kubectl("apply -f -", stdin=EXAMPLE_SERVICE.replace("example-service", "other"))
    c.run(1)
    assert _ip(c, "example-service") == ["192.0.2.10"] and _ip(c, "other") == ["192.0.2.11"]
    t0 = c.now
    c.kubectl("delete svc example-service")
    c.run(1)
    assert [lb.service for lb in c.cloud.list_load_balancers()] == ["default/other"]
    assert "example-service" not in c.kubectl("get svc")
    assert _svc_events(c, "example-service", t0) == [("service-controller", "DeletingLoadBalancer"),
                                                     ("service-controller", "DeletedLoadBalancer")]
    # the freed address is handed out again (lowest free first)
    c.kubectl("apply -f -", stdin=EXAMPLE_SERVICE.replace("example-service", "third"))
    c.run(1)
    assert _ip(c, "third") == ["192.0.2.10"]
    # type LoadBalancer -> NodePort: the load balancer goes, the finalizer and the status too
    t1 = c.now
    c.kubectl("""patch svc other -p '{"spec":{"type":"NodePort"}}'""")
    c.run(1)
    other = c.get("services", "other")
    assert not other["metadata"].get("finalizers") and not other["status"]["loadBalancer"].get("ingress")
    assert [lb.service for lb in c.cloud.list_load_balancers()] == ["default/third"]
    assert _svc_events(c, "other", t1) == [("service-controller", "DeletingLoadBalancer"),
                                           ("service-controller", "DeletedLoadBalancer")]


def test_load_balancer_class_is_someone_elses(c):
    c.apply(EXAMPLE_SERVICE.replace("type: LoadBalancer", "type: LoadBalancer\n  loadBalancerClass: example.com/lb"))
    c.run(5)
    assert _ip(c, "example-service") == [] and c.cloud.list_load_balancers() == []
    assert _svc_events(c, "example-service") == []


def test_hosts_follow_the_node_set_not_readiness(c):
    c.kubectl("apply -f -", stdin=EXAMPLE_SERVICE)
    c.run(1)
    assert _lb(c, "example-service").hosts == ["node-1", "node-2"]
    # NotReady (kubelet stopped): still a backend — KEP-3458, the LB health check handles it
    t0 = c.now
    c.stop("kubelet/node-2")
    c.run(70)
    assert c.get("nodes", "node-2", namespace=None)["status"]["conditions"][-2:] and \
        any(x["type"] == "Ready" and x["status"] == "Unknown"
            for x in c.get("nodes", "node-2", namespace=None)["status"]["conditions"])
    assert _lb(c, "example-service").hosts == ["node-1", "node-2"]
    assert _events(c, "UpdatedLoadBalancer", t0) == []
    # a node added joins once it is in the cluster
    t1 = c.now
    c.add_node("node-3")
    c.run(5)
    assert _lb(c, "example-service").hosts == ["node-1", "node-2", "node-3"]
    # twice: the Node added, then its providerID set (nodesSufficientlyEqual compares both)
    msg = "UpdatedLoadBalancer: Service/example-service: Updated load balancer with new hosts"
    assert _events(c, "UpdatedLoadBalancer", t1) == [msg, msg + " (x2)"]
    # excluded by label: out; the label set to false: back in
    c.kubectl("label node node-1 node.kubernetes.io/exclude-from-external-load-balancers=true")
    c.run(1)
    assert _lb(c, "example-service").hosts == ["node-2", "node-3"]
    c.kubectl("label node node-1 node.kubernetes.io/exclude-from-external-load-balancers=false --overwrite")
    c.run(1)
    assert _lb(c, "example-service").hosts == ["node-1", "node-2", "node-3"]
    # a machine removed from the cloud: out once its Node is deleted
    c.remove_node("node-3")
    assert c.run(until=lambda: _lb(c, "example-service").hosts == ["node-1", "node-2"], timeout=70)


def test_no_nodes_for_the_load_balancer_warns(c):
    for n in ("node-1", "node-2"):
        c.kubectl(f"label node {n} node.kubernetes.io/exclude-from-external-load-balancers=")
    c.run(1)
    c.kubectl("apply -f -", stdin=EXAMPLE_SERVICE)
    c.run(1)
    assert _svc_events(c, "example-service") == [("service-controller", "EnsuringLoadBalancer"),
                                                 ("service-controller", "UnAvailableLoadBalancer"),
                                                 ("service-controller", "EnsuredLoadBalancer")]
    assert _lb(c, "example-service").hosts == [] and _ip(c, "example-service") == ["192.0.2.10"]
    assert "UnAvailableLoadBalancer" in c.kubectl("describe svc example-service")


def test_finalizer_keeps_a_deleted_service_until_a_restarted_ccm_cleans_up(c):
    c.kubectl("apply -f -", stdin=EXAMPLE_SERVICE)
    c.run(1)
    c.stop("cloud-controller-manager")
    c.kubectl("delete svc example-service --wait=false")
    c.run(30)
    svc = c.get("services", "example-service")          # Terminating: the finalizer holds it
    assert svc["metadata"].get("deletionTimestamp") and svc["metadata"]["finalizers"] == [LB_CLEANUP_FINALIZER]
    assert [lb.service for lb in c.cloud.list_load_balancers()] == ["default/example-service"]
    t0 = c.now
    c.start("cloud-controller-manager")                # lists everything again, sees needsCleanup
    c.run(1)
    assert c.cloud.list_load_balancers() == []
    assert "example-service" not in c.kubectl("get svc")
    assert _svc_events(c, "example-service", t0) == [("service-controller", "DeletingLoadBalancer"),
                                                     ("service-controller", "DeletedLoadBalancer")]
