"""Traffic policies, terminating endpoints, LoadBalancer paths and partial syncs, traced.

Upstream: pkg/proxy/iptables/proxier.go (syncProxyRules), pkg/proxy/topology.go
(CategorizeEndpoints), pkg/proxy/endpointslicecache.go, and proxier_test.go's
TestInternalTrafficPolicy / TestExternalTrafficPolicy / TestEndpointSliceWithTerminatingEndpoints
/ TestLoadBalancerSourceRanges / TestSyncProxyRulesRepeated (partial syncs) for the behaviours.
"""

from __future__ import annotations

import random

import pytest

from k8score.proxy import NodeTables, endpoint_slices_map, generate, iptables_rules, trace
from k8score.proxy.iptables import install_jumps
from k8score.proxy.servicemap import service_ports

NODE_IP = "192.168.0.11"


def svc(type_="ClusterIP", lb=None, **spec):
    port = {"name": "http", "port": 80, "protocol": "TCP", **({"nodePort": 30080} if type_ != "ClusterIP" else {})}
    out = {"metadata": {"name": "web", "namespace": "default"},
           "spec": {"clusterIP": "10.96.0.20", "type": type_, "ports": [port], **spec}}
    if lb:
        out["status"] = {"loadBalancer": {"ingress": [{"ip": lb}]}}
    return out


def sl(*eps, name="web-abcde"):
    """eps: (ip, node, ready, serving, terminating)"""
    return {"metadata": {"name": name, "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "nodeName": node,
                           "conditions": {"ready": r, "serving": s, "terminating": t}} for ip, node, r, s, t in eps]}


def dests(rules, src, dst, port, n=30, local=(NODE_IP,)):
    return {trace(rules, src, dst, port, local_ips=list(local), rng=random.Random(i)).endpoint for i in range(n)}


def test_terminating_endpoints_are_used_only_when_none_is_ready():
    both = iptables_rules([svc()], [sl(("10.244.1.2", "node-2", True, True, False),
                                       ("10.244.1.3", "node-2", False, True, True))], "node-1")
    assert dests(both, "10.244.3.7", "10.96.0.20", 80) == {"10.244.1.2:8080"}
    only_term = iptables_rules([svc()], [sl(("10.244.1.3", "node-2", False, True, True))], "node-1")
    assert dests(only_term, "10.244.3.7", "10.96.0.20", 80) == {"10.244.1.3:8080"}
    # terminating but no longer serving: nothing usable -> REJECT in the filter table
    gone = iptables_rules([svc()], [sl(("10.244.1.3", "node-2", False, False, True))], "node-1")
    t = trace(gone, "10.244.3.7", "10.96.0.20", 80)
    assert t.verdict == "REJECT" and '"default/web:http has no endpoints"' in t.matched[-1].rule


def test_internal_traffic_policy_local_uses_svl_and_drops_without_local_endpoints():
    s = svc(internalTrafficPolicy="Local")
    eps = [sl(("10.244.0.2", "node-1", True, True, False), ("10.244.1.2", "node-2", True, True, False))]
    on_1 = iptables_rules([s], eps, "node-1")
    assert "-j KUBE-SVL-" in on_1 and "KUBE-SVC-" not in on_1  # no external access: no cluster chain
    assert dests(on_1, "10.244.0.9", "10.96.0.20", 80) == {"10.244.0.2:8080"}
    on_3 = iptables_rules([s], eps, "node-3")
    t = trace(on_3, "10.244.2.9", "10.96.0.20", 80)
    assert t.verdict == "DROP" and '"default/web:http has no local endpoints"' in t.matched[-1].rule


def test_external_traffic_policy_local_health_check_and_short_circuit():
    s = svc("LoadBalancer", externalTrafficPolicy="Local", healthCheckNodePort=32000)
    eps = [sl(("10.244.1.2", "node-2", True, True, False))]
    on_1 = iptables_rules([s], eps, "node-1")
    assert ('-A KUBE-NODEPORTS -m comment --comment "default/web:http health check node port" '
            "-m tcp -p tcp --dport 32000 -j ACCEPT") in on_1
    # from outside: node-1 has no local endpoint -> DROP (the LB's health check steers away)
    t = trace(on_1, "203.0.113.9", NODE_IP, 30080, local_ips=[NODE_IP])
    assert t.verdict == "DROP" and "has no local endpoints" in t.matched[-1].rule
    # a pod on node-1 short-circuits to every endpoint ("pod traffic for ... external destinations")
    t = trace(on_1, "10.244.0.9", NODE_IP, 30080, local_ips=[NODE_IP])
    assert t.endpoint == "10.244.1.2:8080" and any("pod traffic for" in s.rule for s in t.matched)
    on_2 = iptables_rules([s], eps, "node-2")
    t = trace(on_2, "203.0.113.9", "192.168.0.12", 30080, local_ips=["192.168.0.12"])
    assert t.endpoint == "10.244.1.2:8080" and not t.masquerade  # client source IP preserved
    # a Cluster-policy LoadBalancer gets no health check node port rule
    assert "health check node port" not in iptables_rules([svc("LoadBalancer", healthCheckNodePort=32000)], eps,
                                                          "node-1")


def test_load_balancer_ip_and_source_ranges():
    s = svc("LoadBalancer", lb="198.51.100.7", loadBalancerSourceRanges=["203.0.113.0/25"])
    rules = iptables_rules([s], [sl(("10.244.1.2", "node-2", True, True, False))], "node-1")
    ok = trace(rules, "203.0.113.9", "198.51.100.7", 80)
    assert ok.endpoint == "10.244.1.2:8080" and ok.masquerade
    assert [p for p in ok.path if "KUBE-FW-" in p or "KUBE-EXT-" in p][:2][0].startswith("nat/KUBE-FW-")
    no = trace(rules, "203.0.113.200", "198.51.100.7", 80)  # outside the /25
    assert no.verdict == "DROP" and no.path[-1] == "filter/KUBE-PROXY-FIREWALL"
    assert "traffic not accepted by KUBE-FW-" in no.matched[-1].rule


def test_external_ip_and_client_ip_affinity():
    s = svc(externalIPs=["192.0.2.10"], sessionAffinity="ClientIP")
    rules = iptables_rules([s], [sl(*[(f"10.244.1.{i}", "node-2", True, True, False) for i in range(2, 6)])],
                           "node-1")
    recent: dict = {}
    first = trace(rules, "203.0.113.9", "192.0.2.10", 80, rng=random.Random(1), recent=recent, now=0).endpoint
    assert first and {trace(rules, "203.0.113.9", "192.0.2.10", 80, rng=random.Random(s), recent=recent,
                            now=100).endpoint for s in range(10)} == {first}
    assert "--rcheck --seconds 10800 --reap" in rules


def test_endpoint_slice_cache_rules():
    base = sl(("10.244.1.2", "node-1", True, True, False))
    unnamed = {**base, "ports": [{"port": 8080, "protocol": "TCP"}]}  # nil name: ignored
    assert endpoint_slices_map([unnamed], "node-1") == {}
    with pytest.raises(ValueError, match="no kubernetes.io/service-name label set on endpoint slice: x"):
        endpoint_slices_map([{"metadata": {"name": "x", "namespace": "default"}}], "node-1")
    fqdn = {**base, "addressType": "FQDN"}
    assert endpoint_slices_map([fqdn], "node-1") == {}
    # the same ip:port in two slices: the non-terminating one wins, whichever comes first
    a = sl(("10.244.1.2", "node-1", False, True, True), name="web-a")
    b = sl(("10.244.1.2", "node-1", True, True, False), name="web-b")
    for order in ([a, b], [b, a]):
        (ep,) = endpoint_slices_map(order, "node-1")[("default", "web", "http", "TCP")]
        assert ep.ready and not ep.terminating and ep.is_local
    two = sl(("10.244.1.10", "node-2", True, True, False), ("10.244.1.2", None, None, None, None))
    eps = endpoint_slices_map([two], "node-1")[("default", "web", "http", "TCP")]
    assert [str(e) for e in eps] == ["10.244.1.10:8080", "10.244.1.2:8080"]  # sorted as strings
    assert eps[1].ready and eps[1].is_serving  # nil conditions: ready and serving


def _state(services, slices, changed=None, before=None):
    rin = generate(service_ports(services), endpoint_slices_map(slices, "node-1"))
    t = before.copy() if before else NodeTables()
    install_jumps(t)
    stale = [c for c in t.user_chains("nat") if c.startswith("KUBE-S") and c not in rin.active_nat_chains]
    text = rin.text(changed, stale)
    t.restore(text)
    return t, text


def test_partial_sync_writes_only_changed_services_and_ends_like_a_full_sync():
    other = {**svc(), "metadata": {"name": "db", "namespace": "default"}}
    other["spec"] = {**other["spec"], "clusterIP": "10.96.0.30"}
    db = {**sl(("10.244.2.2", "node-2", True, True, False)), "metadata": {
        "name": "db-x", "namespace": "default", "labels": {"kubernetes.io/service-name": "db"}}}
    s1 = [sl(("10.244.1.2", "node-2", True, True, False), ("10.244.1.3", "node-2", True, True, False))]
    s2 = [sl(("10.244.1.2", "node-2", True, True, False))]
    full1, _ = _state([svc(), other], s1 + [db])
    partial, text = _state([svc(), other], s2 + [db], changed={"default/web"}, before=full1)
    full2, _ = _state([svc(), other], s2 + [db])
    assert partial.save() == full2.save()
    assert "10.244.2.2" not in text            # db's chains were left alone
    assert "-X KUBE-SEP-" in text              # the removed endpoint's chain is deleted
    assert text.count("-X ") == 1
