"""kube-proxy's iptables output compared line by line with upstream's golden test.

Upstream: pkg/proxy/iptables/proxier_test.go ``TestOverallIPTablesRules`` builds six
Services (ClusterIP; LoadBalancer with ``externalTrafficPolicy: Local``, an external IP
and health check node port 30000; NodePort; NodePort with an external IP; LoadBalancer
with ``loadBalancerSourceRanges`` and ClientIP affinity; ClusterIP without endpoints) and
their EndpointSlices, runs ``syncProxyRules`` on ``NewFakeProxier`` (node "test-node",
local-traffic detector ``10.0.0.0/8``, localhost NodePorts on, nfacct counters present, an
iptables without ``--random-fully``) and compares the restore input, canonicalised by
``sortIPTablesRules``, with ``expected`` — copied below verbatim as ``UPSTREAM``.

A second test checks the full ``iptables-save`` of a node after that sync: the same rules
in iptables-save's order (built-in chains first, then user chains by name, each chain's
rules together) plus the jump rules kube-proxy installs with ``EnsureRule(Prepend)``
(``iptablesJumpChains``, ``iptablesKubeletJumpChains``).
"""

from __future__ import annotations

import difflib
import re

from k8score.proxy import NodeTables, endpoint_slices_map, generate, iptables_rules
from k8score.proxy.iptables import install_jumps
from k8score.proxy.servicemap import service_ports

UPSTREAM = """\
*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
:KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3002 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
"""

# The jump rules (EnsureRule(Prepend) in iptablesJumpChains then iptablesKubeletJumpChains
# order: the last ensured comes first) and the built-in chains iptables-save lists first.
BUILTIN_FILTER = """\
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j KUBE-FIREWALL
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
"""
BUILTIN_NAT = """\
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
"""


def _svc(ns, name, ip, type_="ClusterIP", node_port=None, status=None, **spec):
    port = {"name": "p80", "port": 80, "protocol": "TCP", **({"nodePort": node_port} if node_port else {})}
    out = {"metadata": {"name": name, "namespace": ns}, "spec": {"clusterIP": ip, "type": type_, "ports": [port], **spec}}
    if status:
        out["status"] = {"loadBalancer": {"ingress": [{"ip": status}]}}
    return out


def _slice(ns, name, *eps):
    """makeTestEndpointSlice(ns, name, 1, ...): ``<name>-1``, no conditions (nil = ready)."""
    return {"metadata": {"name": f"{name}-1", "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4", "ports": [{"name": "p80", "port": 80, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], **({"nodeName": node} if node else {})} for ip, node in eps]}


SERVICES = [
    _svc("ns1", "svc1", "172.30.0.41"),
    _svc("ns2", "svc2", "172.30.0.42", "LoadBalancer", 3001, "1.2.3.4", externalTrafficPolicy="Local",
         externalIPs=["192.168.99.22"], healthCheckNodePort=30000),
    _svc("ns3", "svc3", "172.30.0.43", "NodePort", 3003),
    _svc("ns4", "svc4", "172.30.0.44", "NodePort", externalIPs=["192.168.99.33"]),
    _svc("ns5", "svc5", "172.30.0.45", "LoadBalancer", 3002, "5.6.7.8", externalTrafficPolicy="Cluster",
         healthCheckNodePort=30000, loadBalancerSourceRanges=[" 203.0.113.0/25"], sessionAffinity="ClientIP",
         sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}}),
    _svc("ns6", "svc6", "172.30.0.46"),
]
SLICES = [_slice("ns1", "svc1", ("10.180.0.1", None)), _slice("ns2", "svc2", ("10.180.0.2", None)),
          _slice("ns3", "svc3", ("10.180.0.3", None)),
          _slice("ns4", "svc4", ("10.180.0.4", None), ("10.180.0.5", "test-node")),
          _slice("ns5", "svc5", ("10.180.0.3", None))]
FAKE = {"cluster_cidr": "10.0.0.0/8", "random_fully": False, "nfacct": True, "localhost_nodeports": True}


def sort_like_upstream(text: str) -> str:
    """``sortIPTablesRules`` (proxier_test.go): tables by name; chains KUBE-NODEPORTS,
    KUBE-SERVICES, then KUBE-* by name, then the rest; rules grouped by chain in order; the
    KUBE-SERVICES rules stably by the service name in their comment (the nat "must be the
    last rule" rule last)."""
    tables: dict[str, tuple[list[str], dict[str, list[str]]]] = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("*"):
            cur = tables.setdefault(line[1:], ([], {}))
        elif line.startswith(":"):
            cur[0].append(line[1:].split()[0])
        elif line.startswith("-A "):
            cur[1].setdefault(line.split()[1], []).append(line)

    def chain_key(c):
        return (0, "") if c == "KUBE-NODEPORTS" else (1, "") if c == "KUBE-SERVICES" else \
            (2, c) if c.startswith("KUBE-") else (3, c)

    def svc_key(rule):
        if "must be the last rule" in rule:
            return "\uffff"
        m = re.search(r'--comment (?:"([^"]*)"|(\S+))', rule)
        return re.split(r"[ :]", (m.group(1) or m.group(2)) if m else "")[0] if m else ""

    out = []
    for name in sorted(tables):
        chains, rules = tables[name]
        order = sorted(chains, key=chain_key)
        out.append(f"*{name}")
        out.extend(f":{c} - [0:0]" for c in order)
        for c in order:
            rs = rules.get(c, [])
            out.extend(sorted(rs, key=svc_key) if c == "KUBE-SERVICES" else rs)
        out.append("COMMIT")
    return "\n".join(out) + "\n"


def _assert_lines_equal(got: str, want: str) -> None:
    diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(), "expected", "got", lineterm=""))
    assert got == want, "\n".join(diff)


def _restore_input() -> str:
    epmap = endpoint_slices_map(SLICES, "test-node")
    return generate(service_ports(SERVICES), epmap, **FAKE).text()


def test_restore_input_equals_upstream_TestOverallIPTablesRules_line_by_line():
    _assert_lines_equal(sort_like_upstream(_restore_input()), UPSTREAM)


def test_second_sync_of_the_same_input_is_identical():
    assert _restore_input() == _restore_input()


def _saved_from_upstream() -> str:
    """UPSTREAM in iptables-save order, with the built-in chains and jump rules added."""
    out = []
    for table, builtin in (("filter", BUILTIN_FILTER), ("nat", BUILTIN_NAT)):
        body = UPSTREAM.split(f"*{table}\n", 1)[1].split("COMMIT\n", 1)[0].splitlines()
        chains = sorted(line[1:].split()[0] for line in body if line.startswith(":"))
        head, jumps = builtin.splitlines()[:len(builtin.splitlines())], []
        decl = [h for h in head if h.startswith((":", "*"))]
        jumps = [h for h in head if h.startswith("-A")]
        out.extend(decl + [f":{c} - [0:0]" for c in chains] + jumps)
        for c in chains:
            out.extend(line for line in body if line.startswith(f"-A {c} "))
        out.append("COMMIT")
    return "\n".join(out) + "\n"


def test_full_iptables_save_after_the_sync_line_by_line():
    got = iptables_rules(SERVICES, SLICES, "test-node", **FAKE)
    want = _saved_from_upstream()
    _assert_lines_equal(got, want)
    assert got.startswith("*filter\n:INPUT ACCEPT [0:0]\n") and got.count("COMMIT\n") == 2
    # user chains appear after the built-ins, sorted: as iptables-legacy's iptables-save lists them
    nat_decls = [line for line in got.split("*nat\n")[1].splitlines() if line.startswith(":")]
    assert nat_decls[:4] == [":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
                             ":POSTROUTING ACCEPT [0:0]"]
    assert nat_decls[4:] == sorted(nat_decls[4:])


def test_restoring_the_input_twice_changes_nothing_and_jumps_are_not_duplicated():
    t = NodeTables()
    install_jumps(t)
    t.restore(_restore_input())
    once = t.save()
    install_jumps(t)
    t.restore(_restore_input())
    assert t.save() == once
    assert once.count("-A PREROUTING ") == 1
