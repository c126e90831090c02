"""kube-proxy nftables mode: the table upstream's proxier writes, and ``nft list ruleset``.

Expected texts are built from pkg/proxy/nftables/proxier_test.go (kubernetes/kubernetes):
``baseRules`` and ``TestOverallNFTablesRules`` (svc1..svc6, same inputs; the
LoadBalancer ingress IPs and loadBalancerSourceRanges lines are dropped because k8score
does not model them). The ``nft list`` form follows nft's printer (src/rule.c
``prio2str``, ``calculate_delim``) as seen on real nodes.
"""

from __future__ import annotations

from k8score.proxy.nftables import hash_and_truncate, masquerade_mark, nftables_table
from k8score.proxy.nftables_print import dump, list_ruleset, priority_name, render_rule
from k8score.proxy.servicemap import Endpoint, service_ports

# proxier_test.go: baseRules (IPv4, nodePortAddresses 192.168.0.2/32, serviceCIDRs 172.30.0.0/16)
BASE = """
add table ip kube-proxy { comment "rules for kube-proxy" ; }
add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }
add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
add chain ip kube-proxy cluster-ips-check
add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }
add chain ip kube-proxy filter-output-pre-dnat { type filter hook output priority -110 ; }
add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }
add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }
add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }
add chain ip kube-proxy firewall-check
add chain ip kube-proxy mark-for-masquerade
add chain ip kube-proxy masquerading
add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ip kube-proxy nodeport-endpoints-check
add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
add chain ip kube-proxy services
add chain ip kube-proxy service-endpoints-check
add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"
add rule ip kube-proxy filter-prerouting-pre-dnat ct state new jump firewall-check
add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output-pre-dnat ct state new jump firewall-check
add rule ip kube-proxy filter-output ct state new jump cluster-ips-check
add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random
add rule ip kube-proxy nat-output jump services
add rule ip kube-proxy nat-postrouting jump masquerading
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
add rule ip kube-proxy reject-chain reject
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
add element ip kube-proxy nodeport-ips { 192.168.0.2 }
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
"""

# TestOverallNFTablesRules: expected per service (LoadBalancer IP / firewall lines removed)
SERVICES = """
add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }
add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80
add element ip kube-proxy cluster-ips { 172.30.0.41 }
add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
add element ip kube-proxy cluster-ips { 172.30.0.42 }
add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }
add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
add element ip kube-proxy cluster-ips { 172.30.0.43 }
add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }
add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
add element ip kube-proxy cluster-ips { 172.30.0.44 }
add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }
add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80
add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
add element ip kube-proxy cluster-ips { 172.30.0.45 }
add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy cluster-ips { 172.30.0.46 }
add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
"""


def svc(ns, name, ip, port, type_="ClusterIP", node_port=None, **spec):
    p = {"name": "p80", "port": port, "protocol": "TCP"}
    if node_port:
        p["nodePort"] = node_port
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"clusterIP": ip, "type": type_, "ports": [p], **spec}}


def ep(ip, local=False, ready=True):
    return Endpoint(ip=ip, port=80, ready=ready, node_name="test-node" if local else None, is_local=local)


def reference():
    """TestOverallNFTablesRules' services (svc2/svc5 keep their NodePort, lose their LB IPs)."""
    sps = service_ports([
        svc("ns1", "svc1", "172.30.0.41", 80),
        svc("ns2", "svc2", "172.30.0.42", 80, "LoadBalancer", 3001, externalTrafficPolicy="Local",
            externalIPs=["192.168.99.22"], healthCheckNodePort=30000),
        svc("ns3", "svc3", "172.30.0.43", 80, "NodePort", 3003),
        svc("ns4", "svc4", "172.30.0.44", 80, "NodePort", externalIPs=["192.168.99.33"]),
        svc("ns5", "svc5", "172.30.0.45", 80, "LoadBalancer", 3002, externalTrafficPolicy="Cluster",
            sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}}),
        svc("ns6", "svc6", "172.30.0.46", 80),
    ])
    k = lambda ns, n: (ns, n, "p80", "TCP")  # noqa: E731
    epmap = {k("ns1", "svc1"): [ep("10.180.0.1")], k("ns2", "svc2"): [ep("10.180.0.2")],
             k("ns3", "svc3"): [ep("10.180.0.3")], k("ns4", "svc4"): [ep("10.180.0.4"), ep("10.180.0.5", True)],
             k("ns5", "svc5"): [ep("10.180.0.3")]}
    return sps, epmap


def upstream_table(sps, epmap, **kw):
    # NewFakeProxier: podCIDR 10.0.0.0/8, serviceCIDRs 172.30.0.0/16, nodeport-addresses
    # 192.168.0.2/32, masqueradeMark "0x4000".
    return nftables_table(sps, epmap, cluster_cidr="10.0.0.0/8", service_cidrs=["172.30.0.0/16"],
                          node_port_addresses=["192.168.0.2"], masquerade_mark_value="0x4000", **kw)


def split(text):
    """Like upstream's assertNFTablesTransactionEqual: objects as a set, rules in order per chain."""
    objects, rules = set(), {}
    for line in text.strip().splitlines():
        if line.startswith("add rule "):
            chain, rule = line.split(" ", 5)[4:6]
            rules.setdefault(chain, []).append(rule)
        elif line.strip():
            objects.add(line)
    return objects, rules


def test_whole_table_matches_upstream_overall_rules():
    got_objects, got_rules = split(dump(upstream_table(*reference())))
    want_objects, want_rules = split(BASE + SERVICES)
    assert got_objects - want_objects == set()
    assert want_objects - got_objects == set()
    assert got_rules == want_rules


def test_chain_names_hash_like_upstream():
    assert hash_and_truncate("ns1/svc1/tcp/p80") == "ULMVA6XW-ns1/svc1/tcp/p80"
    assert hash_and_truncate("ns5/svc5/tcp/p80__10.180.0.3/80") == "GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80"
    # proxier_test.go (IPv6 golden output): colons of an IPv6 endpoint become dots
    assert hash_and_truncate("ns1/svc1/tcp/p80__fd00.10.180..1/80").startswith("ZVRFLKHO-")
    long = "n" * 300
    assert len(hash_and_truncate(long)) == 240 and hash_and_truncate(long).endswith("...")
    assert len(hash_and_truncate("n" * 231)) == 240 and not hash_and_truncate("n" * 231).endswith("...")


def test_readiness_change_moves_service_to_reject_and_back():
    sps, epmap = reference()
    k = ("ns1", "svc1", "p80", "TCP")
    epmap[k] = [ep("10.180.0.1", ready=False)]
    t = upstream_table(sps, epmap)
    assert t.lookup("service-ips", "172.30.0.41 . tcp . 80") is None
    assert t.lookup("no-endpoint-services", "172.30.0.41 . tcp . 80") == "goto reject-chain"
    assert "service-ULMVA6XW-ns1/svc1/tcp/p80" not in t.chains
    epmap[k] = [ep("10.180.0.1"), ep("10.180.0.2", ready=False)]
    t = upstream_table(sps, epmap)  # a second sync: the ready one is back, the unready one is not
    assert t.lookup("service-ips", "172.30.0.41 . tcp . 80") == "goto service-ULMVA6XW-ns1/svc1/tcp/p80"
    assert t.lookup("no-endpoint-services", "172.30.0.41 . tcp . 80") is None
    assert t.chains["service-ULMVA6XW-ns1/svc1/tcp/p80"].rules[-1][0] == \
        "numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }"


def test_local_policy_with_a_local_endpoint_uses_the_local_chain():
    sps, epmap = reference()
    epmap[("ns2", "svc2", "p80", "TCP")] = [ep("10.180.0.2", local=True)]
    t = upstream_table(sps, epmap)
    assert t.lookup("no-endpoint-nodeports", "tcp . 3001") is None
    assert t.chains["external-42NFTM6N-ns2/svc2/tcp/p80"].rules[-1] == ("goto local-42NFTM6N-ns2/svc2/tcp/p80", None)
    assert "local-42NFTM6N-ns2/svc2/tcp/p80" in t.chains


def test_nft_list_ruleset_prints_like_nft():
    t = upstream_table(*reference())
    text = list_ruleset([t])
    assert text.startswith('table ip kube-proxy {\n\tcomment "rules for kube-proxy"\n\tset cluster-ips {\n')
    assert text.endswith("\t}\n}\n")
    assert ('\tset cluster-ips {\n\t\ttype ipv4_addr\n\t\tcomment "Active ClusterIPs"\n'
            "\t\telements = { 172.30.0.41, 172.30.0.42,\n\t\t\t     172.30.0.43, 172.30.0.44,\n"
            "\t\t\t     172.30.0.45, 172.30.0.46 }\n\t}\n") in text
    assert ('\t\telements = { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop,\n'
            '\t\t\t     172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }\n') in text
    assert "\tset affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 {\n\t\ttype ipv4_addr\n" \
           "\t\tflags dynamic,timeout\n\t\ttimeout 3h\n\t}\n" in text
    assert "\tchain nat-output {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tjump services\n\t}\n" in text
    assert "\t\ttype filter hook prerouting priority dstnat - 10; policy accept;\n" in text
    assert "\t\ttype nat hook postrouting priority srcnat; policy accept;\n" in text
    assert "\t\tmeta mark & 0x00004000 == 0x00000000 return\n\t\tmeta mark set meta mark ^ 0x00004000\n" in text
    assert '\t\tip daddr 172.30.0.0/16 drop comment "Drop traffic to unallocated ClusterIPs"\n' in text
    assert ("\t\tnumgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80, "
            "1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }\n") in text
    assert "\t\tupdate @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }\n" in text
    assert text.count("\n\n") == len(t.sets) + len(t.chains) - 1  # one blank line between blocks


def test_priorities_and_rule_rendering_edges():
    assert [priority_name(p, "prerouting") for p in (-100, -90, -110, -111, 0)] == \
        ["dstnat", "dstnat + 10", "dstnat - 10", "-111", "filter"]
    assert priority_name(100, "input") == "100"
    assert render_rule("ip daddr { 10.96.0.0/12,fd00::/108 } drop") == "ip daddr { 10.96.0.0/12,fd00::/108 } drop"
    assert masquerade_mark() == "0x004000" and masquerade_mark(0) == "0x000001"


def test_default_mark_and_all_local_nodeports():
    t = nftables_table(*reference(), node_port_addresses=None)
    text = dump(t)
    assert "add rule ip kube-proxy mark-for-masquerade mark set mark or 0x004000\n" in text
    assert "nodeport-ips" not in text
    assert ("add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 "
            "meta l4proto . th dport vmap @service-nodeports\n") in text
    assert ("add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 tcp dport 80 "
            "ip saddr != 10.244.0.0/16 jump mark-for-masquerade\n") in text
    assert "ip daddr { 10.96.0.0/12 } drop" in text


def test_ip6_table_takes_only_ipv6_services():
    sps = service_ports([svc("ns1", "v6", "fd00:10:96::1", 80), svc("ns1", "v4", "172.30.0.1", 80)])
    epmap = {("ns1", "v6", "p80", "TCP"): [Endpoint("fd00:10:180::1", 80, True, None, False)]}
    t = nftables_table(sps, epmap, family="ip6", cluster_cidr="fd00:10::/64", service_cidrs=["fd00:10:96::/112"],
                       node_port_addresses=["2001:db8::1"])
    text = dump(t)
    assert text.startswith('add table ip6 kube-proxy { comment "rules for kube-proxy" ; }\n')
    assert "add set ip6 kube-proxy cluster-ips { type ipv6_addr ; comment \"Active ClusterIPs\" ; }" in text
    assert "172.30.0.1" not in text
    chain = "endpoint-" + hash_and_truncate("ns1/v6/tcp/p80__fd00.10.180..1/80")
    assert f"add rule ip6 kube-proxy {chain} ip6 saddr fd00:10:180::1 jump mark-for-masquerade" in text
    assert f"add rule ip6 kube-proxy {chain} meta l4proto tcp dnat to [fd00:10:180::1]:80" in text
    assert "ip6 daddr { fd00:10:96::/112 } drop" in text
