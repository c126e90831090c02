"""kube-proxy IPVS mode: virtual/real servers, kube-ipvs0, ipsets, and their iptables rules.

Expected values come from pkg/proxy/ipvs/proxier_test.go (kubernetes/kubernetes):
``TestNodePortIPv4`` ("1 service with node port, has 2 endpoints": 10.20.30.41:80 and
100.101.102.103:3001, rr, real server 10.180.0.1:80 weight 1; the UDP case's
KUBE-SERVICES / KUBE-NODE-PORT rule order), ``TestSessionAffinity`` (persistent timeout
10800), ``TestClusterIPNoEndpoint`` (a virtual server with no real servers); the ipset
names, types and comments from pkg/proxy/ipvs/ipset.go and ``ipsetInfo``; the printed
forms from ipvsadm's ``print_service_entry`` and ipset/iproute2 output on real nodes.
"""

from __future__ import annotations

import pytest

from k8score.proxy.ipvs import ipvs_state
from k8score.proxy.ipvs_print import ip_addr_show, ipset_list, ipvsadm_ln
from k8score.proxy.servicemap import Endpoint, service_ports


def svc(name, ip, port=80, type_="ClusterIP", node_port=None, proto="TCP", **spec):
    p = {"name": "p80", "port": port, "protocol": proto}
    if node_port:
        p["nodePort"] = node_port
    return {"metadata": {"name": name, "namespace": "ns1"}, "spec": {"clusterIP": ip, "type": type_, "ports": [p], **spec}}


def ep(ip, local=False, ready=True, port=80):
    return Endpoint(ip=ip, port=port, ready=ready, node_name="test-node" if local else "node2", is_local=local)


def rules(text, table, chain):
    """``-A chain`` lines of one table in iptables-save text."""
    out, current = [], None
    for line in text.splitlines():
        if line.startswith("*"):
            current = line[1:]
        elif current == table and line.startswith(f"-A {chain} "):
            out.append(line)
    return out


def targets(text, table, chain):
    return [line.split(" -j ", 1)[1].split(" ")[0] for line in rules(text, table, chain)]


def reference():
    """ClusterIP with 2 endpoints, NodePort, ClientIP affinity, and no endpoints at all."""
    sps = service_ports([
        svc("svc1", "10.20.30.41", 80, "NodePort", 3001),
        svc("svc2", "10.20.30.42"),
        svc("svc3", "10.20.30.43", sessionAffinity="ClientIP",
            sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}}),
        svc("svc4", "10.20.30.44"),
    ])
    k = lambda n: ("ns1", n, "p80", "TCP")  # noqa: E731
    epmap = {k("svc1"): [ep("10.180.0.1")], k("svc2"): [ep("10.180.0.2", local=True), ep("10.180.1.2")],
             k("svc3"): [ep("10.180.0.3")]}
    return sps, epmap


IPVSADM = """\
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.20.30.41:80 rr
  -> 10.180.0.1:80                Masq    1      0          0         
TCP  10.20.30.42:80 rr
  -> 10.180.0.2:80                Masq    1      0          0         
  -> 10.180.1.2:80                Masq    1      0          0         
TCP  10.20.30.43:80 rr persistent 10800
  -> 10.180.0.3:80                Masq    1      0          0         
TCP  10.20.30.44:80 rr
TCP  100.101.102.103:3001 rr
  -> 10.180.0.1:80                Masq    1      0          0         
"""


def test_ipvsadm_ln_for_the_reference_services():
    st = ipvs_state(*reference(), node_ips=["100.101.102.103", "127.0.0.1"])
    assert ipvsadm_ln(st) == IPVSADM


def test_scheduler_flag_and_unknown_scheduler():
    st = ipvs_state(*reference(), node_ips=["100.101.102.103"], scheduler="lc")
    assert "TCP  10.20.30.43:80 lc persistent 10800\n" in ipvsadm_ln(st)
    with pytest.raises(ValueError, match='unsupported IPVS scheduler "lcx"'):
        ipvs_state(*reference(), scheduler="lcx")


def test_kube_ipvs0_holds_cluster_ips_not_node_ips():
    sps, epmap = reference()
    sps += service_ports([svc("ext", "10.20.30.45", externalIPs=["50.60.70.81", "100.101.102.103"])])
    st = ipvs_state(sps, epmap, node_ips=["100.101.102.103"])
    assert ip_addr_show(st, node_name="test-node", ifindex=13) == (
        "13: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default \n"
        f"    link/ether {ip_addr_show(st, node_name='test-node').splitlines()[1].split()[1]} brd ff:ff:ff:ff:ff:ff\n"
        + "".join(f"    inet {a}/32 scope global kube-ipvs0\n       valid_lft forever preferred_lft forever\n"
                  for a in ("10.20.30.45", "50.60.70.81", "10.20.30.41", "10.20.30.42", "10.20.30.43",
                            "10.20.30.44")))
    mac = ip_addr_show(st, node_name="test-node").splitlines()[1].split()[1]
    assert int(mac[:2], 16) & 0b11 == 0b10          # locally administered, unicast
    assert mac != ip_addr_show(st, node_name="other").splitlines()[1].split()[1]
    # the external IP that is a node address still gets a virtual server
    assert st.lookup("TCP", "100.101.102.103", 80).kind == "ExternalIP"


def test_ipsets_members_types_and_references():
    st = ipvs_state(*reference(), node_ips=["100.101.102.103"])
    text = ipset_list(st)
    assert ipset_list(st, "KUBE-CLUSTER-IP") == (
        "Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 5\n"
        "Header: family inet hashsize 1024 maxelem 65536\nSize in memory: 264\n"
        "References: 3\nNumber of entries: 4\nMembers:\n"
        "10.20.30.41,tcp:80\n10.20.30.42,tcp:80\n10.20.30.43,tcp:80\n10.20.30.44,tcp:80\n")
    assert ("Name: KUBE-NODE-PORT-TCP\nType: bitmap:port\nRevision: 3\nHeader: range 0-65535\n"
            "Size in memory: 8268\nReferences: 1\nNumber of entries: 1\nMembers:\n3001\n") in text
    assert "Name: KUBE-LOOP-BACK\nType: hash:ip,port,ip\n" in text
    assert "Members:\n10.180.0.2,tcp:80,10.180.0.2\n" in text       # only the local endpoint
    assert "Name: KUBE-NODE-PORT-LOCAL-TCP\n" in text and "Name: KUBE-IPVS-IPS\nType: hash:ip\n" in text
    assert text.count("Name: ") == 17
    assert ipset_list(st, "NOPE") == "ipset v7.1: The set with the given name does not exist\n"


def test_iptables_rules_match_upstream_order():
    st = ipvs_state(*reference(), node_ips=["100.101.102.103"])
    assert rules(st.iptables, "nat", "KUBE-SERVICES") == [
        "-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN",
        '-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" '
        "-m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ",
        "-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT",
        "-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT"]
    assert rules(st.iptables, "nat", "KUBE-NODE-PORT") == [
        '-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" '
        "-m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ"]
    assert rules(st.iptables, "nat", "KUBE-POSTROUTING") == [
        '-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin '
        'purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE',
        "-A KUBE-POSTROUTING -m mark ! --mark 0x004000/0x004000 -j RETURN",
        "-A KUBE-POSTROUTING -j MARK --xor-mark 0x004000",
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" '
        "-j MASQUERADE --random-fully"]
    assert targets(st.iptables, "filter", "INPUT") == ["KUBE-IPVS-FILTER", "KUBE-PROXY-FIREWALL",
                                                               "KUBE-NODE-PORT"]
    assert targets(st.iptables, "filter", "KUBE-IPVS-FILTER") == ["RETURN"] * 5 + ["REJECT"]
    assert targets(st.iptables, "nat", "PREROUTING") == ["KUBE-SERVICES"]


def test_local_nodeport_returns_before_masquerade_and_falls_back_without_local_endpoints():
    sps = service_ports([svc("loc", "10.20.30.50", 80, "NodePort", 3005, externalTrafficPolicy="Local")])
    k = ("ns1", "loc", "p80", "TCP")
    st = ipvs_state(sps, {k: [ep("10.180.0.7", local=True), ep("10.180.1.7")]}, node_ips=["100.101.102.103"])
    assert [str(r) for r in st.lookup("TCP", "100.101.102.103", 3005).real_servers] == ["10.180.0.7:80"]
    assert [str(r) for r in st.lookup("TCP", "10.20.30.50", 80).real_servers] == ["10.180.0.7:80", "10.180.1.7:80"]
    nodeport = targets(st.iptables, "nat", "KUBE-NODE-PORT")
    assert nodeport == ["RETURN", "KUBE-MARK-MASQ"]
    # kubernetes#97081: no local endpoint -> IPVS still sends NodePort traffic to every endpoint
    st = ipvs_state(sps, {k: [ep("10.180.1.7")]}, node_ips=["100.101.102.103"])
    assert [str(r) for r in st.lookup("TCP", "100.101.102.103", 3005).real_servers] == ["10.180.1.7:80"]


def test_readiness_removes_real_server_on_next_sync():
    sps, epmap = reference()
    k = ("ns1", "svc2", "p80", "TCP")
    epmap[k] = [ep("10.180.0.2", local=True, ready=False), ep("10.180.1.2")]
    st = ipvs_state(sps, epmap, node_ips=["100.101.102.103"])
    assert [str(r) for r in st.lookup("TCP", "10.20.30.42", 80).real_servers] == ["10.180.1.2:80"]
    # the hairpin entry stays: upstream adds every local endpoint, ready or not
    assert "10.180.0.2,tcp:80,10.180.0.2" in st.ipsets["KUBE-LOOP-BACK"].entries
    epmap[k] = []
    st = ipvs_state(sps, epmap, node_ips=["100.101.102.103"])
    assert st.lookup("TCP", "10.20.30.42", 80).real_servers == []
    assert "TCP  10.20.30.42:80 rr\nTCP  10.20.30.43:80" in ipvsadm_ln(st)


def test_udp_and_sctp_nodeports_use_their_sets():
    sps = service_ports([svc("u", "10.20.30.60", 53, "NodePort", 3053, proto="UDP"),
                         svc("s", "10.20.30.61", 80, "NodePort", 3061, proto="SCTP")])
    st = ipvs_state(sps, {}, node_ips=["100.101.102.103", "100.101.102.104"])
    assert st.ipsets["KUBE-NODE-PORT-UDP"].entries == ["3053"]
    assert st.ipsets["KUBE-NODE-PORT-SCTP-HASH"].entries == ["100.101.102.103,sctp:3061", "100.101.102.104,sctp:3061"]
    assert "UDP  10.20.30.60:53 rr\n" in ipvsadm_ln(st)
    assert ipvsadm_ln(st).index("UDP  10.20.30.60") < ipvsadm_ln(st).index("SCTP  10.20.30.61")
