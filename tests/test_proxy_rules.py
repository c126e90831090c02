"""kube-proxy rule generation: names, probabilities, REJECT, NodePort, readiness, speed.

Endpoints are given as EndpointSlices (discovery.k8s.io/v1): upstream kube-proxy reads only
slices since 1.21 (pkg/proxy/endpointslicecache.go); not-ready addresses are endpoints
with ``conditions.ready: false``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time

import pytest

from k8score.proxy import (RuleSet, endpoint_chain_name, iptables_rules, port_proto_hash, probability,
                           service_chain_name)


def svc(name, ip, ports, type_="ClusterIP", ns="default", **spec):
    return {"metadata": {"name": name, "namespace": ns},
            "spec": {"clusterIP": ip, "type": type_, "ports": ports, **spec}}


def eps(name, ready, not_ready=(), port=80, port_name=None, ns="default", node="node-2"):
    """One EndpointSlice of Service ``name`` (the endpointslice controller's shape)."""
    return {"metadata": {"name": f"{name}-abcde", "namespace": ns,
                         "labels": {"kubernetes.io/service-name": name,
                                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
            "addressType": "IPv4", "ports": [{"name": port_name or "", "port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": r, "serving": r, "terminating": False},
                           "nodeName": node} for ip, r in [(i, True) for i in ready] + [(i, False) for i in not_ready]]}


def chain_rules(text, table, chain):
    return [r for r in RuleSet.parse(text).rules(table, chain)]


def test_service_chain_name_matches_upstream_example():
    assert service_chain_name("default/kubernetes:https", "TCP") == "KUBE-SVC-NPX46M4PTMTKRN6Y"
    assert port_proto_hash("default/kubernetes:https", "tcp") == "NPX46M4PTMTKRN6Y"
    text = iptables_rules([svc("kubernetes", "10.96.0.1", [{"name": "https", "port": 443, "protocol": "TCP"}])],
                          [eps("kubernetes", ["172.18.0.2"], port=6443, port_name="https")], "node-1")
    assert ("-A KUBE-SERVICES -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp -p tcp "
            "-d 10.96.0.1 --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y") in text


def test_endpoint_chain_hashes_service_port_protocol_and_ip_port():
    digest = hashlib.sha256(b"default/webtcp10.244.1.2:80").digest()
    assert endpoint_chain_name("default/web", "TCP", "10.244.1.2:80") == \
        "KUBE-SEP-" + base64.b32encode(digest).decode()[:16]
    # an unnamed port is just ns/name; named ports add ":name" — different chains
    assert service_chain_name("default/web", "tcp") != service_chain_name("default/web:http", "tcp")
    assert service_chain_name("default/web", "tcp") != service_chain_name("default/web", "udp")


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_probabilities_for_n_endpoints(n):
    ips = [f"10.244.1.{i + 2}" for i in range(n)]
    text = iptables_rules([svc("web", "10.96.0.20", [{"port": 80, "protocol": "TCP"}])], [eps("web", ips)], "node-1")
    svc_chain = service_chain_name("default/web", "tcp")
    jumps = [r for r in chain_rules(text, "nat", svc_chain) if r.target.startswith("KUBE-SEP-")]
    assert len(jumps) == n
    probs = []
    for i, rule in enumerate(jumps):
        m = re.search(r"--probability (\S+)", rule.text)
        if i < n - 1:
            assert m and m.group(1) == f"{1 / (n - i):0.10f}" == probability(n - i)
            probs.append(float(m.group(1)))
        else:
            assert m is None  # the last rule always matches
            probs.append(1.0)
    # overall each endpoint gets 1/n
    left = 1.0
    for p in probs:
        assert abs(left * p - 1 / n) < 1e-9
        left *= 1 - p


def test_no_endpoints_reject_in_filter_table_and_no_nat_chain():
    text = iptables_rules([svc("web", "10.96.0.20", [{"name": "http", "port": 80, "protocol": "TCP"}])],
                          [eps("web", [], not_ready=["10.244.1.9"], port_name="http")], "node-1")
    assert ('-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp '
            "-d 10.96.0.20 --dport 80 -j REJECT") in text.split("COMMIT")[0]  # filter table
    assert service_chain_name("default/web:http", "tcp") not in text
    assert "10.244.1.9" not in text  # not-ready pods are never DNAT targets


def test_not_ready_addresses_are_not_targets():
    text = iptables_rules([svc("web", "10.96.0.20", [{"port": 80, "protocol": "TCP"}])],
                          [eps("web", ["10.244.1.2", "10.244.2.2"], not_ready=["10.244.1.3"])], "node-1")
    targets = re.findall(r"--to-destination (\S+)", text)
    assert sorted(targets) == ["10.244.1.2:80", "10.244.2.2:80"]


def test_nodeport_rules_and_masquerade():
    text = iptables_rules([svc("web", "10.96.0.20", [{"port": 80, "nodePort": 30080, "protocol": "TCP"}],
                               type_="NodePort")], [eps("web", ["10.244.1.2"])], "node-1")
    h = port_proto_hash("default/web", "tcp")
    assert f"-A KUBE-NODEPORTS -m comment --comment default/web -m tcp -p tcp --dport 30080 -j KUBE-EXT-{h}" in text
    assert (f'-A KUBE-EXT-{h} -m comment --comment "masquerade traffic for default/web external destinations" '
            "-j KUBE-MARK-MASQ") in text
    assert f"-A KUBE-EXT-{h} -j KUBE-SVC-{h}" in text
    assert text.index("kubernetes service nodeports; NOTE") > text.index("default/web cluster IP")


def test_nodeport_without_endpoints_rejected_on_local_addresses():
    text = iptables_rules([svc("web", "10.96.0.20", [{"port": 80, "nodePort": 30080, "protocol": "TCP"}],
                               type_="NodePort")], [], "node-1")
    assert ('-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web has no endpoints" '
            "-m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT") in text
    assert "KUBE-NODEPORTS -m comment --comment default/web" not in text


def test_off_cluster_traffic_to_cluster_ip_is_marked_for_masquerade():
    text = iptables_rules([svc("web", "10.96.0.20", [{"port": 80, "protocol": "TCP"}])],
                          [eps("web", ["10.244.1.2"])], "node-1", cluster_cidr="10.244.0.0/16")
    assert "--dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ" in text
    sep = endpoint_chain_name("default/web", "tcp", "10.244.1.2:80")
    assert f"-A {sep} -m comment --comment default/web -s 10.244.1.2 -j KUBE-MARK-MASQ" in text  # hairpin


def test_headless_and_external_name_services_are_skipped():
    text = iptables_rules([svc("db", "None", [{"port": 5432, "protocol": "TCP"}]),
                           {"metadata": {"name": "ext", "namespace": "default"},
                            "spec": {"type": "ExternalName", "externalName": "example.com"}}],
                          [eps("db", ["10.244.1.2"], port=5432)], "node-1")
    assert "default/db" not in text and "default/ext" not in text


def test_session_affinity_uses_recent_module():
    text = iptables_rules([svc("web", "10.96.0.20", [{"port": 80, "protocol": "TCP"}], sessionAffinity="ClientIP")],
                          [eps("web", ["10.244.1.2", "10.244.2.2"])], "node-1")
    sep = endpoint_chain_name("default/web", "tcp", "10.244.1.2:80")
    assert f"-m recent --name {sep} --rcheck --seconds 10800 --reap -j {sep}" in text
    assert f"-m recent --name {sep} --set -m tcp -p tcp -j DNAT --to-destination 10.244.1.2:80" in text


def test_endpoints_sorted_by_ip_port_string_and_output_independent_of_input_order():
    services = [svc(f"s{i}", f"10.96.0.{i + 10}", [{"port": 80, "protocol": "TCP"}]) for i in range(5)]
    endpoints = [eps(f"s{i}", ["10.244.1.10", "10.244.1.2", "10.244.2.3"]) for i in range(5)]
    a = iptables_rules(services, endpoints, "node-1")
    b = iptables_rules(list(reversed(services)), list(reversed(endpoints)), "node-1")
    assert a == b
    targets = re.findall(r'"default/s0 -> (\S+)" -m statistic|"default/s0 -> (\S+)" -j', a)
    assert [x or y for x, y in targets] == ["10.244.1.10:80", "10.244.1.2:80", "10.244.2.3:80"]


def test_builtin_chains_jump_to_kube_chains():
    text = iptables_rules([], [], "node-1")
    assert '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' in text
    assert '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' in text
    assert '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING' in text
    assert "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN" in text
    assert text.startswith("*filter\n") and text.rstrip().endswith("COMMIT")


def test_large_cluster_drops_endpoint_comments_and_is_fast():
    services, endpoints = [], []
    for i in range(1000):
        services.append(svc(f"s{i}", f"10.96.{i // 250}.{i % 250 + 2}", [{"name": "http", "port": 80, "protocol": "TCP"}],
                            type_="NodePort" if i % 2 else "ClusterIP"))
        if i % 2:
            services[-1]["spec"]["ports"][0]["nodePort"] = 30000 + i
        endpoints.append(eps(f"s{i}", [f"10.244.{j}.{i % 250 + 2}" for j in range(10)], port_name="http"))
    start = time.perf_counter()
    text = iptables_rules(services, endpoints, "node-1")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.5, f"rule generation took {elapsed:.2f}s"
    assert text.count("-j DNAT") == 10_000
    assert "-> 10.244." not in text  # > 1000 endpoints: per-endpoint comments dropped
    assert '"default/s1:http cluster IP"' in text
