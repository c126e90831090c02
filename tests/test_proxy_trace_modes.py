"""The packet tracer in IPVS and nftables mode, and the rule parser for IPVS mode's rules.

Upstream: pkg/proxy/ipvs/proxier.go (writeIptablesRules: ``-m set --match-set NAME dst,dst``,
``-m physdev ! --physdev-is-in``), net/netfilter/ipvs/ip_vs_core.c (IPVS on LOCAL_IN after
the filter table; ``ip_vs_leave``: ICMP port unreachable without a destination),
ip_vs_rr.c / ip_vs_sh.c (schedulers), pkg/proxy/nftables/proxier.go (``services`` vmap
dispatch, ``numgen random mod N vmap``, ``no-endpoint-services``, ``reject-chain``).
"""

from __future__ import annotations

import random
from collections import Counter

from k8score.proxy import Rule
from k8score.proxy.ipvs import ipvs_state
from k8score.proxy.nftables import nftables_table
from k8score.proxy.servicemap import Endpoint, service_ports
from k8score.proxy.trace_ipvs import IpvsScheduler, trace_ipvs
from k8score.proxy.trace_nft import trace_nft
from k8score.proxy.tracefmt import WIDTH

NODE = "192.168.0.11"


def svc(name="web", ip="10.96.0.20", node_port=None, local=False, affinity=False):
    spec = {"clusterIP": ip, "type": "NodePort" if node_port else "ClusterIP",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", **({"nodePort": node_port} if node_port else {})}]}
    if local:
        spec["externalTrafficPolicy"] = "Local"
    if affinity:
        spec["sessionAffinity"] = "ClientIP"
    return service_ports([{"metadata": {"name": name, "namespace": "default"}, "spec": spec}])


def eps(*ips, local=()):
    return {("default", "web", "http", "TCP"): [Endpoint(ip, 8080, True, "node-1" if ip in local else "node-2",
                                                         ip in local) for ip in ips]}


def test_parser_reads_ipvs_mode_set_and_physdev_matches():
    r = Rule.parse('-A KUBE-SERVICES -m comment --comment "Kubernetes service external ip + port" '
                   "-m set --match-set KUBE-EXTERNAL-IP dst,dst -m physdev ! --physdev-is-in "
                   "-m addrtype ! --src-type LOCAL -j ACCEPT")
    assert r.matches == [("--match-set", "KUBE-EXTERNAL-IP dst,dst", False), ("--physdev-is-in", None, True),
                         ("--src-type", "LOCAL", True)]
    assert r.target == "ACCEPT" and r.comment == "Kubernetes service external ip + port"


def test_ipvs_cluster_ip_round_robin_in_order_then_wraps():
    st = ipvs_state(svc(), eps("10.244.1.2", "10.244.2.2", "10.244.3.2"), node_ips=[NODE])
    sched = IpvsScheduler()
    picks = [trace_ipvs(st, "10.244.1.9", "10.96.0.20", 80, node_ips=[NODE], scheduler=sched, bridged=True)
             for _ in range(4)]
    assert [t.endpoint for t in picks] == ["10.244.1.2:8080", "10.244.2.2:8080", "10.244.3.2:8080",
                                           "10.244.1.2:8080"]
    t = picks[1]
    assert t.path == ["nat/PREROUTING", "nat/KUBE-SERVICES", "filter/INPUT", "filter/KUBE-IPVS-FILTER",
                      "filter/INPUT", "ipvs/LOCAL_IN", "filter/OUTPUT", "nat/POSTROUTING", "nat/KUBE-POSTROUTING"]
    ipvs = [s for s in t.steps if s.table == "ipvs"]
    assert ipvs[0].rule == "TCP  10.96.0.20:80 rr" and ipvs[0].note == "rr: server 2 of 3, after 10.244.1.2:8080"
    assert ipvs[1].rule.strip() == "-> 10.244.2.2:8080  Masq  1"
    assert any(s.note == "in ipset KUBE-CLUSTER-IP" for s in t.steps)
    assert not t.masquerade   # a pod's traffic to a ClusterIP keeps its source


def test_ipvs_source_hash_is_sticky_per_client_and_spreads_clients():
    st = ipvs_state(svc(), eps("10.244.1.2", "10.244.2.2", "10.244.3.2"), node_ips=[NODE], scheduler="sh")
    sched = IpvsScheduler()
    first = {c: trace_ipvs(st, f"10.244.1.{c}", "10.96.0.20", 80, node_ips=[NODE], scheduler=sched).endpoint
             for c in range(2, 40)}
    again = {c: trace_ipvs(st, f"10.244.1.{c}", "10.96.0.20", 80, node_ips=[NODE], scheduler=sched).endpoint
             for c in range(2, 40)}
    assert first == again
    assert len(set(first.values())) == 3


def test_ipvs_without_real_servers_and_wrong_port_are_refused():
    st = ipvs_state(svc(), {}, node_ips=[NODE])
    t = trace_ipvs(st, "10.244.1.9", "10.96.0.20", 80, node_ips=[NODE])
    assert t.verdict == "REJECT" and t.endpoint is None
    assert t.reason == "default/web:http has no endpoints (IPVS virtual server 10.96.0.20:80/TCP has no real server)"
    t = trace_ipvs(st, "10.244.1.9", "10.96.0.20", 81, node_ips=[NODE])
    assert t.verdict == "REJECT" and "KUBE-IPVS-FILTER" in t.reason and "tcp/81" in t.reason


def test_ipvs_nodeport_from_outside_is_masqueraded():
    st = ipvs_state(svc(node_port=30080), eps("10.244.2.2"), node_ips=[NODE])
    t = trace_ipvs(st, "203.0.113.10", NODE, 30080, node_ips=[NODE])
    assert t.endpoint == "10.244.2.2:8080" and t.masquerade
    assert "nat/KUBE-NODE-PORT" in t.path and "nat/KUBE-MARK-MASQ" in t.path


def test_nftables_vmap_dispatch_and_numgen_follow_the_seed():
    table = nftables_table(svc(), eps("10.244.1.2", "10.244.2.2"), node_port_addresses=[NODE])
    t = trace_nft(table, "10.244.1.9", "10.96.0.20", 80, node_ips=[NODE], rng=random.Random(1))
    assert t.verdict == "ACCEPT" and t.endpoint in ("10.244.1.2:8080", "10.244.2.2:8080")
    assert t.path[:3] == ["kube-proxy/filter-prerouting-pre-dnat", "kube-proxy/nat-prerouting", "kube-proxy/services"]
    vmap = [s for s in t.steps if s.chain == "services"][0]
    assert vmap.note.startswith("10.96.0.20 . tcp . 80 in service-ips: goto service-")
    pick = [s for s in t.steps if s.rule.startswith("numgen")][0]
    assert pick.note in ("numgen random mod 2 = 0", "numgen random mod 2 = 1")
    again = trace_nft(table, "10.244.1.9", "10.96.0.20", 80, node_ips=[NODE], rng=random.Random(1))
    assert str(again) == str(t)
    counts = Counter(trace_nft(table, "10.244.1.9", "10.96.0.20", 80, node_ips=[NODE], rng=random.Random(s)).endpoint
                     for s in range(400))
    assert set(counts) == {"10.244.1.2:8080", "10.244.2.2:8080"} and min(counts.values()) > 150


def test_nftables_no_endpoints_rejects_and_local_policy_drops():
    t = trace_nft(nftables_table(svc(), {}), "10.244.1.9", "10.96.0.20", 80, node_ips=[NODE])
    assert t.verdict == "REJECT" and t.reason == "default/web:http has no endpoints"
    assert t.path[-2:] == ["kube-proxy/service-endpoints-check", "kube-proxy/reject-chain"]
    table = nftables_table(svc(node_port=30080, local=True), eps("10.244.2.2"), node_port_addresses=[NODE])
    t = trace_nft(table, "203.0.113.10", NODE, 30080, node_ips=[NODE])
    assert t.verdict == "DROP" and t.reason == "default/web:http has no local endpoints"
    t = trace_nft(table, "10.244.1.9", "10.96.0.20", 81, node_ips=[NODE])
    assert t.verdict == "REJECT" and t.reason == "Reject traffic to invalid ports of ClusterIPs"


def test_nftables_masquerades_external_nodeport_traffic():
    table = nftables_table(svc(node_port=30080), eps("10.244.2.2"), node_port_addresses=[NODE])
    t = trace_nft(table, "203.0.113.10", NODE, 30080, node_ips=[NODE])
    assert t.endpoint == "10.244.2.2:8080" and t.masquerade
    assert "kube-proxy/mark-for-masquerade" in t.path and t.path[-1] == "kube-proxy/masquerading"


def test_nftables_affinity_keeps_a_client_until_the_timeout():
    table = nftables_table(svc(affinity=True), eps("10.244.1.2", "10.244.2.2", "10.244.3.2"))
    aff: dict = {}
    first = trace_nft(table, "10.244.1.9", "10.96.0.20", 80, affinity=aff, now=0.0, rng=random.Random(3)).endpoint
    for s in range(10):
        assert trace_nft(table, "10.244.1.9", "10.96.0.20", 80, affinity=aff, now=100.0,
                         rng=random.Random(s)).endpoint == first
    later = {trace_nft(table, "10.244.1.9", "10.96.0.20", 80, affinity={k: 0.0 for k in aff}, now=10801.0,
                       rng=random.Random(s)).endpoint for s in range(20)}
    assert len(later) > 1   # 10800 s (3h) later the set entry has expired


def test_printed_trace_is_narrow_and_keeps_whole_rules():
    table = nftables_table(svc(), eps("10.244.1.2", "10.244.2.2", "10.244.3.2"))
    text = str(trace_nft(table, "10.244.1.9", "10.96.0.20", 80))
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert "numgen random mod 3 vmap { \\" in text and text.count(": goto endpoint-") == 3
