"""The packet tracer: where a connection to a Service ends up, and why.

Endpoints come as EndpointSlices, what kube-proxy reads (pkg/proxy/endpointslicecache.go).
"""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from k8score.proxy import RuleSet, iptables_rules, service_chain_name, trace

NODE_IP = "192.168.0.11"


def _rules(ready, not_ready=(), node_port=None, affinity=False, cluster_ip="10.96.0.20", target_port=8080):
    spec = {"clusterIP": cluster_ip, "type": "NodePort" if node_port else "ClusterIP",
            "ports": [{"name": "http", "port": 80, "targetPort": target_port, "protocol": "TCP",
                       **({"nodePort": node_port} if node_port else {})}]}
    if affinity:
        spec["sessionAffinity"] = "ClientIP"
    services = [{"metadata": {"name": "web", "namespace": "default"}, "spec": spec}]
    endpoints = [_slice([(ip, True, "node-2") for ip in ready] + [(ip, False, "node-2") for ip in not_ready],
                        target_port, "http")]
    return iptables_rules(services, endpoints, "node-1")


def _slice(eps, port=80, port_name=""):
    return {"metadata": {"name": "web-abcde", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": r}, "nodeName": node} for ip, r, node in eps]}


@settings(max_examples=30, deadline=None)
@given(n_ready=st.integers(1, 6), n_not_ready=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_cluster_ip_lands_on_a_ready_pod(n_ready, n_not_ready, seed):
    ready = [f"10.244.1.{i + 2}" for i in range(n_ready)]
    not_ready = [f"10.244.2.{i + 2}" for i in range(n_not_ready)]
    t = trace(_rules(ready, not_ready), "10.244.3.7", "10.96.0.20", 80, rng=random.Random(seed))
    assert t.verdict == "ACCEPT"
    assert t.endpoint in {f"{ip}:8080" for ip in ready}
    assert t.path[:3] == ["nat/PREROUTING", "nat/KUBE-SERVICES", "nat/" + service_chain_name("default/web:http", "tcp")]
    assert t.path[3].startswith("nat/KUBE-SEP-")


@settings(max_examples=5, deadline=None)
@given(n=st.integers(2, 5), seed=st.integers(0, 1000))
def test_distribution_over_seeded_traces_is_roughly_uniform(n, seed):
    ready = [f"10.244.1.{i + 2}" for i in range(n)]
    rules = RuleSet.parse(_rules(ready))  # parse once, walk many times
    rng = random.Random(seed)
    trials = 400 * n
    counts = Counter(trace(rules, "10.244.3.7", "10.96.0.20", 80, rng=rng).endpoint for _ in range(trials))
    assert set(counts) == {f"{ip}:8080" for ip in ready}
    for ep, count in counts.items():
        assert abs(count - trials / n) < 0.25 * trials / n, (ep, count, counts)


def test_same_seed_same_choice():
    rules = _rules([f"10.244.1.{i}" for i in range(2, 7)])
    a = [trace(rules, "10.244.3.7", "10.96.0.20", 80, rng=random.Random(42)).endpoint for _ in range(3)]
    b = [trace(rules, "10.244.3.7", "10.96.0.20", 80, rng=random.Random(42)).endpoint for _ in range(3)]
    assert a == b
    assert str(trace(rules, "10.244.3.7", "10.96.0.20", 80, rng=random.Random(7))) == \
        str(trace(rules, "10.244.3.7", "10.96.0.20", 80, rng=random.Random(7)))


def test_service_without_ready_endpoints_is_rejected():
    t = trace(_rules([], not_ready=["10.244.1.2"]), "10.244.3.7", "10.96.0.20", 80)
    assert t.verdict == "REJECT" and t.endpoint is None
    assert t.path[-1] == "filter/KUBE-SERVICES"
    assert "has no endpoints" in t.matched[-1].rule
    assert t.reason == "default/web:http has no endpoints"
    assert str(t).endswith("=> REJECT: default/web:http has no endpoints")


def test_wrong_port_or_unknown_ip_is_not_touched():
    rules = _rules(["10.244.1.2"])
    for dst, port in (("10.96.0.20", 81), ("10.96.0.99", 80)):
        t = trace(rules, "10.244.3.7", dst, port)
        assert t.dnat is None and t.verdict == "ACCEPT" and t.destination == f"{dst}:{port}"


def test_nodeport_from_outside_is_dnated_and_masqueraded():
    rules = _rules(["10.244.1.2", "10.244.2.2"], node_port=30080)
    t = trace(rules, "203.0.113.9", NODE_IP, 30080, local_ips=[NODE_IP], rng=random.Random(1))
    assert t.endpoint in {"10.244.1.2:8080", "10.244.2.2:8080"}
    assert t.masquerade  # KUBE-EXT marked it; KUBE-POSTROUTING masqueraded
    assert "nat/KUBE-NODEPORTS" in t.path
    # the NodePort is only a NodePort on the node's own addresses
    assert trace(rules, "203.0.113.9", "192.168.0.99", 30080, local_ips=[NODE_IP]).dnat is None


def test_pod_to_cluster_ip_keeps_its_source():
    t = trace(_rules(["10.244.1.2"]), "10.244.3.7", "10.96.0.20", 80)
    assert t.endpoint == "10.244.1.2:8080" and not t.masquerade
    # from outside the cluster CIDR (e.g. the node itself) the source is masqueraded
    t2 = trace(_rules(["10.244.1.2"]), NODE_IP, "10.96.0.20", 80, local_ips=[NODE_IP])
    assert t2.path[0] == "nat/OUTPUT" and t2.masquerade


def test_client_ip_affinity_sticks_to_the_first_choice():
    rules = _rules([f"10.244.1.{i}" for i in range(2, 7)], affinity=True)
    recent: dict = {}
    first = trace(rules, "10.244.3.7", "10.96.0.20", 80, rng=random.Random(3), recent=recent, now=0.0).endpoint
    later = {trace(rules, "10.244.3.7", "10.96.0.20", 80, rng=random.Random(s), recent=recent, now=60.0).endpoint
             for s in range(20)}
    assert later == {first}
    # after the timeout (10800 s) the client is balanced again
    expired = {trace(rules, "10.244.3.7", "10.96.0.20", 80, rng=random.Random(s), recent={**recent}, now=20000.0).endpoint
               for s in range(40)}
    assert len(expired) > 1


def test_external_traffic_policy_local_only_uses_this_nodes_pods():
    services = [{"metadata": {"name": "web", "namespace": "default"},
                 "spec": {"clusterIP": "10.96.0.20", "type": "NodePort", "externalTrafficPolicy": "Local",
                          "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}}]
    endpoints = [_slice([("10.244.0.2", True, "node-1"), ("10.244.1.2", True, "node-2")])]
    on_1 = iptables_rules(services, endpoints, "node-1")
    hits = {trace(on_1, "203.0.113.9", NODE_IP, 30080, local_ips=[NODE_IP], rng=random.Random(s)).endpoint
            for s in range(20)}
    assert hits == {"10.244.0.2:80"}
    t = trace(on_1, "203.0.113.9", NODE_IP, 30080, local_ips=[NODE_IP])
    assert not t.masquerade  # the client's source IP is preserved
    assert "nat/KUBE-SVL-" + service_chain_name("default/web", "tcp")[9:] in t.path
    # the ClusterIP still balances over every ready pod
    assert {trace(on_1, "10.244.0.9", "10.96.0.20", 80, rng=random.Random(s)).endpoint for s in range(30)} == \
        {"10.244.0.2:80", "10.244.1.2:80"}
    # a node without a local pod drops NodePort traffic instead of forwarding it
    on_3 = iptables_rules(services, endpoints, "node-3")
    assert "has no local endpoints" in on_3
    assert trace(on_3, "203.0.113.9", "192.168.0.13", 30080, local_ips=["192.168.0.13"]).verdict == "DROP"
