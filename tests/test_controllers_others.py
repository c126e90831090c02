"""Endpoints, ServiceAccount and node IPAM controllers; the controller manager itself."""

from __future__ import annotations

import ipaddress

from apihelpers import default_service_accounts
import pytest

from k8score.apiserver import APIServer
from k8score.controllers import CONTROLLERS, KubeControllerManager
from k8score.controllers.endpoints import compute_subsets
from k8score.etcd import Store
from k8score.sim import Loop

from test_controllers_deployment import MiniCluster, deployment


def _service(name="web", target_port=80, selector=None, ports=None):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"svc": name}},
            "spec": {"selector": selector or {"app": "nginx"},
                     "ports": ports or [{"name": "http", "port": 80, "targetPort": target_port}]}}


def test_endpoints_list_ready_pod_ips_with_target_refs():
    c = MiniCluster()
    c.api.create("deployments", deployment(replicas=3), "default")
    c.api.create("services", _service(target_port="web"), "default")
    c.run(15)
    assert all(p["status"]["phase"] == "Running" for p in c.pods())
    assert "subsets" not in c.api.get("endpoints", "web", "default")  # no pod declares the port
    # Named target port "web" is not declared by the containers: add it and roll out.
    c.api.patch("deployments", "nginx-deployment",
                {"spec": {"template": {"spec": {"containers": [
                    {"name": "nginx", "image": "nginx:1.14.2",
                     "ports": [{"name": "web", "containerPort": 8080}]}]}}}}, namespace="default")
    c.run(60)
    ep = c.api.get("endpoints", "web", "default")
    assert ep["metadata"]["labels"] == {"svc": "web", "endpointslice.kubernetes.io/skip-mirror": "true"}
    [subset] = ep["subsets"]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    pods = {p["metadata"]["name"]: p for p in c.pods()}
    assert len(subset["addresses"]) == 3 and "notReadyAddresses" not in subset
    for addr in subset["addresses"]:
        pod = pods[addr["targetRef"]["name"]]
        assert addr["ip"] == pod["status"]["podIP"]
        assert addr["nodeName"] == pod["spec"]["nodeName"]
        assert addr["targetRef"] == {"kind": "Pod", "namespace": "default", "name": pod["metadata"]["name"],
                                     "uid": pod["metadata"]["uid"]}
    ips = [a["ip"] for a in subset["addresses"]]
    assert ips == sorted(ips, key=lambda ip: tuple(int(x) for x in ip.split(".")))


def test_not_ready_pods_go_to_not_ready_addresses_and_deleted_service_removes_endpoints():
    c = MiniCluster()
    c.api.create("deployments", deployment(replicas=2, image="nginx:doesnotexist"), "default")
    c.api.create("services", _service(), "default")
    c.run(10)
    [subset] = c.api.get("endpoints", "web", "default")["subsets"]
    assert "addresses" not in subset and len(subset["notReadyAddresses"]) == 2
    c.api.delete("services", "web", namespace="default")
    c.run(1)
    assert [e["metadata"]["name"] for e in c.api.list("endpoints", namespace="default")["items"]] == ["kubernetes"]


def test_compute_subsets_groups_pods_by_resolved_ports():
    svc = _service(target_port="web")
    def pod(name, ip, port):
        return {"metadata": {"name": name, "namespace": "default", "uid": name},
                "spec": {"containers": [{"name": "c", "ports": [{"name": "web", "containerPort": port}]}]},
                "status": {"podIP": ip, "phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    subsets = compute_subsets(svc, [pod("a", "10.244.0.9", 80), pod("b", "10.244.0.10", 8080),
                                    pod("c", "10.244.1.2", 80)])
    assert [[a["ip"] for a in s["addresses"]] for s in subsets] == [["10.244.0.9", "10.244.1.2"], ["10.244.0.10"]]
    assert [s["ports"][0]["port"] for s in subsets] == [80, 8080]


def test_every_namespace_gets_a_default_service_account_again_after_deletion():
    loop = Loop(0)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    KubeControllerManager(loop, api, controllers=["serviceaccount"]).start()
    loop.run(until=1)
    api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    loop.run(until=2)
    namespaces = {n["metadata"]["name"] for n in api.list("namespaces")["items"]}
    sas = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in api.list("serviceaccounts")["items"]}
    assert sas == {(ns, "default") for ns in namespaces} and ("team-a", "default") in sas
    api.delete("serviceaccounts", "default", namespace="team-a")
    loop.run(until=3)
    assert api.get("serviceaccounts", "default", "team-a")["metadata"]["name"] == "default"


def test_node_ipam_assigns_slash_24_blocks_in_creation_order():
    loop = Loop(0)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    for name in ("zeta", "alpha", "mid"):  # creation order differs from name order
        api.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
        loop.run(until=loop.now + 1)
    KubeControllerManager(loop, api, controllers=["nodeipam"]).start()
    loop.run(until=loop.now + 1)
    cidrs = {n["metadata"]["name"]: n["spec"]["podCIDR"] for n in api.list("nodes")["items"]}
    assert cidrs == {"zeta": "10.244.0.0/24", "alpha": "10.244.1.0/24", "mid": "10.244.2.0/24"}
    for cidr in cidrs.values():
        assert ipaddress.ip_network(cidr).subnet_of(ipaddress.ip_network("10.244.0.0/16"))
    api.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "late"}})
    loop.run(until=loop.now + 1)
    assert api.get("nodes", "late")["spec"]["podCIDRs"] == ["10.244.3.0/24"]


def test_controller_manager_hosts_named_controllers_and_restarts_from_scratch():
    assert list(CONTROLLERS) == ["deployment", "replicaset", "endpoints", "endpointslice", "endpointslicemirroring", "serviceaccount",
                                 "garbagecollector", "nodeipam", "nodelifecycle", "taint-eviction-controller",
                                 "resourcequota", "clusterrole-aggregation", "root-ca-cert-publisher",
                                 "daemonset", "statefulset", "job", "cronjob", "ttl-after-finished", "podgc",
                                 "disruption", "namespace", "replicationcontroller", "persistentvolume-binder",
                                 "pvc-protection", "pv-protection", "attachdetach", "horizontalpodautoscaling"]
    for cls in CONTROLLERS.values():
        assert cls.summary and cls.watches and cls.writes and cls.plane == "control-plane"
    with pytest.raises(ValueError):
        KubeControllerManager(Loop(), None, controllers=["nope"])
    c = MiniCluster(nodes=1)
    c.kcm.stop()
    c.api.create("deployments", deployment(replicas=2), "default")
    c.run(5)
    assert c.api.list("replicasets", namespace="default")["items"] == []  # nobody reconciles
    c.kcm.start()
    c.run(20)
    assert len([p for p in c.pods() if p["status"].get("phase") == "Running"]) == 2


def test_controllers_reconnect_after_the_api_server_comes_back():
    c = MiniCluster(nodes=1)
    c.api.create("deployments", deployment(replicas=1), "default")
    c.run(15)
    c.api.stop()
    c.run(60)  # informers back off (up to 30 s, jittered); workers keep their keys
    c.api.start()
    c.api.patch("deployments", "nginx-deployment", {"spec": {"replicas": 2}}, namespace="default")
    c.run(90)
    running = [p for p in c.pods() if p["status"].get("phase") == "Running"]
    assert len(running) == 2
    rs_inf = c.kcm.controller("replicaset").rs_informer
    assert any(what == "backoff" for _t, what, _d in rs_inf.history)
