"""The few iptables rules IPVS mode still writes (pkg/proxy/ipvs/proxier.go ``writeIptablesRules``).

IPVS does the load balancing; iptables is left with what IPVS cannot do — marking traffic
that needs SNAT (off-cluster clients of a ClusterIP, NodePorts, hairpin), masquerading it
on the way out, and keeping the host's own ports from being reached through a VIP. Every
per-service fact lives in an ipset, so the rule count does not grow with the number of
Services: ``-m set --match-set KUBE-CLUSTER-IP dst,dst`` covers all of them.

Like :mod:`.iptables`, rules keep the argument order kube-proxy writes and chains are
listed as ``iptables-save`` lists them (built-ins, then kube chains by name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ipvs import (KUBE_CLUSTER_IP, KUBE_EXTERNAL_IP, KUBE_EXTERNAL_IP_LOCAL, KUBE_HEALTH_CHECK_NODE_PORT,
                   KUBE_IPVS_IPS, KUBE_LOAD_BALANCER, KUBE_LOAD_BALANCER_FW, KUBE_LOAD_BALANCER_LOCAL,
                   KUBE_LOAD_BALANCER_SOURCE_CIDR, KUBE_LOAD_BALANCER_SOURCE_IP, KUBE_LOOP_BACK,
                   KUBE_NODE_PORT_LOCAL_SCTP, KUBE_NODE_PORT_LOCAL_TCP, KUBE_NODE_PORT_LOCAL_UDP,
                   KUBE_NODE_PORT_SCTP, KUBE_NODE_PORT_TCP, KUBE_NODE_PORT_UDP)

if TYPE_CHECKING:
    from .ipvs import IpvsState

# pkg/proxy/ipvs/proxier.go: chain names
KUBE_SERVICES, KUBE_POSTROUTING, KUBE_MARK_MASQ = "KUBE-SERVICES", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"
KUBE_NODE_PORT, KUBE_LOAD_BALANCER_CHAIN, KUBE_FORWARD = "KUBE-NODE-PORT", "KUBE-LOAD-BALANCER", "KUBE-FORWARD"
KUBE_PROXY_FIREWALL, KUBE_SOURCE_RANGES_FIREWALL = "KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL"
KUBE_IPVS_FILTER, KUBE_IPVS_OUT_FILTER = "KUBE-IPVS-FILTER", "KUBE-IPVS-OUT-FILTER"

# iptablesChains (table, chain)
_CHAINS = (("nat", KUBE_SERVICES), ("nat", KUBE_POSTROUTING), ("nat", KUBE_NODE_PORT),
           ("nat", KUBE_LOAD_BALANCER_CHAIN), ("nat", KUBE_MARK_MASQ), ("filter", KUBE_FORWARD),
           ("filter", KUBE_NODE_PORT), ("filter", KUBE_PROXY_FIREWALL), ("filter", KUBE_SOURCE_RANGES_FIREWALL),
           ("filter", KUBE_IPVS_FILTER), ("filter", KUBE_IPVS_OUT_FILTER))
# iptablesJumpChain (table, from, to, comment), each installed with EnsureRule(Prepend):
# within one built-in chain the later entries end up first.
_JUMPS = (("nat", "OUTPUT", KUBE_SERVICES, "kubernetes service portals"),
          ("nat", "PREROUTING", KUBE_SERVICES, "kubernetes service portals"),
          ("nat", "POSTROUTING", KUBE_POSTROUTING, "kubernetes postrouting rules"),
          ("filter", "FORWARD", KUBE_FORWARD, "kubernetes forwarding rules"),
          ("filter", "INPUT", KUBE_NODE_PORT, "kubernetes health check rules"),
          ("filter", "INPUT", KUBE_PROXY_FIREWALL, "kube-proxy firewall rules"),
          ("filter", "FORWARD", KUBE_PROXY_FIREWALL, "kube-proxy firewall rules"),
          ("filter", "INPUT", KUBE_IPVS_FILTER, "kubernetes ipvs access filter"),
          ("filter", "OUTPUT", KUBE_IPVS_OUT_FILTER, "kubernetes ipvs access filter"))
# ipsetWithIptablesChain (set, table, from, to, match type, protocol). The Local sets come
# before their plain twins: a Local NodePort RETURNs before being marked for SNAT.
_SET_RULES = (
    (KUBE_LOOP_BACK, "nat", KUBE_POSTROUTING, "MASQUERADE", "dst,dst,src", ""),
    (KUBE_LOAD_BALANCER, "nat", KUBE_SERVICES, KUBE_LOAD_BALANCER_CHAIN, "dst,dst", ""),
    (KUBE_LOAD_BALANCER_LOCAL, "nat", KUBE_LOAD_BALANCER_CHAIN, "RETURN", "dst,dst", ""),
    (KUBE_NODE_PORT_LOCAL_TCP, "nat", KUBE_NODE_PORT, "RETURN", "dst", "tcp"),
    (KUBE_NODE_PORT_TCP, "nat", KUBE_NODE_PORT, KUBE_MARK_MASQ, "dst", "tcp"),
    (KUBE_NODE_PORT_LOCAL_UDP, "nat", KUBE_NODE_PORT, "RETURN", "dst", "udp"),
    (KUBE_NODE_PORT_UDP, "nat", KUBE_NODE_PORT, KUBE_MARK_MASQ, "dst", "udp"),
    (KUBE_NODE_PORT_LOCAL_SCTP, "nat", KUBE_NODE_PORT, "RETURN", "dst,dst", "sctp"),
    (KUBE_NODE_PORT_SCTP, "nat", KUBE_NODE_PORT, KUBE_MARK_MASQ, "dst,dst", "sctp"),
    (KUBE_LOAD_BALANCER_FW, "filter", KUBE_PROXY_FIREWALL, KUBE_SOURCE_RANGES_FIREWALL, "dst,dst", ""),
    (KUBE_LOAD_BALANCER_SOURCE_CIDR, "filter", KUBE_SOURCE_RANGES_FIREWALL, "RETURN", "dst,dst,src", ""),
    (KUBE_LOAD_BALANCER_SOURCE_IP, "filter", KUBE_SOURCE_RANGES_FIREWALL, "RETURN", "dst,dst,src", ""),
)
_BUILTIN = {"filter": ("INPUT", "FORWARD", "OUTPUT"), "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")}


def masquerade_mark(bit: int) -> str:
    """NewProxier: ``fmt.Sprintf("%#08x", 1<<bit)`` — ``0x004000`` for bit 14."""
    return "0x" + format(1 << bit, "x").rjust(6, "0")


def write_iptables(st: "IpvsState", *, cluster_cidr: str | None, masquerade_all: bool, masquerade_bit: int) -> str:
    """The filter + nat tables in ``iptables-save`` form for this IPVS state."""
    mark = masquerade_mark(masquerade_bit)
    tables: dict[str, dict[str, list[str]]] = {"filter": {}, "nat": {}}

    def add(table: str, chain: str, *parts: str) -> None:
        tables[table].setdefault(chain, []).append(" ".join(["-A", chain, *[p for p in parts if p]]))

    def comment(set_name: str) -> str:
        return f'-m comment --comment "{st.ipsets[set_name].comment}"'

    def has(set_name: str) -> bool:
        return bool(st.ipsets[set_name].entries)

    for table, chain in _CHAINS:
        tables[table].setdefault(chain, [])
    for table, builtin, to, text in _JUMPS:
        tables[table].setdefault(builtin, []).insert(0, f'-A {builtin} -m comment --comment "{text}" -j {to}')

    add("nat", KUBE_SERVICES, "-s 127.0.0.0/8 -j RETURN")  # dismiss connections to localhost early
    for name, table, frm, to, match, proto in _SET_RULES:
        if has(name):
            add(table, frm, f"-p {proto}" if proto else "", comment(name), f"-m set --match-set {name} {match}",
                f"-j {to}")
    if has(KUBE_CLUSTER_IP):
        args = (comment(KUBE_CLUSTER_IP), f"-m set --match-set {KUBE_CLUSTER_IP}")
        if masquerade_all:
            add("nat", KUBE_SERVICES, *args, "dst,dst", f"-j {KUBE_MARK_MASQ}")
        elif cluster_cidr:
            # Off-cluster traffic to a VIP may bounce off-node: masquerade it.
            add("nat", KUBE_SERVICES, *args, "dst,dst", f"! -s {cluster_cidr}", f"-j {KUBE_MARK_MASQ}")
        else:
            # The node picks a VIP on kube-ipvs0 as source: masquerade VIP-sourced traffic.
            add("nat", KUBE_SERVICES, *args, "src,dst", f"-j {KUBE_MARK_MASQ}")
    for name, masq in ((KUBE_EXTERNAL_IP, True), (KUBE_EXTERNAL_IP_LOCAL, False)):
        if has(name):
            args = (comment(name), f"-m set --match-set {name} dst,dst")
            if masq:
                add("nat", KUBE_SERVICES, *args, f"-j {KUBE_MARK_MASQ}")
            # Traffic from off the machine (not a bridge, not a local process), or to an
            # external IP that happens to be local, is let through to IPVS.
            add("nat", KUBE_SERVICES, *args, "-m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT")
            add("nat", KUBE_SERVICES, *args, "-m addrtype --dst-type LOCAL -j ACCEPT")
    add("nat", KUBE_SERVICES, f"-m addrtype --dst-type LOCAL -j {KUBE_NODE_PORT}")
    add("nat", KUBE_LOAD_BALANCER_CHAIN, f"-j {KUBE_MARK_MASQ}")
    add("filter", KUBE_SOURCE_RANGES_FIREWALL, "-j DROP")
    for name in (KUBE_CLUSTER_IP, KUBE_LOAD_BALANCER):  # acceptIPVSTraffic: must end KUBE-SERVICES
        if has(name):
            add("nat", KUBE_SERVICES, f"-m set --match-set {name} dst,dst -j ACCEPT")
    add("filter", KUBE_FORWARD, '-m comment --comment "kubernetes forwarding rules"',
        f"-m mark --mark {mark}/{mark} -j ACCEPT")
    add("filter", KUBE_FORWARD, '-m comment --comment "kubernetes forwarding conntrack rule"',
        "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
    add("filter", KUBE_NODE_PORT, comment(KUBE_HEALTH_CHECK_NODE_PORT),
        f"-m set --match-set {KUBE_HEALTH_CHECK_NODE_PORT} dst -j ACCEPT")
    # kubernetes#72236: a VIP on kube-ipvs0 must not expose the host's own ports.
    for name, match in ((KUBE_LOAD_BALANCER, "dst,dst"), (KUBE_CLUSTER_IP, "dst,dst"), (KUBE_EXTERNAL_IP, "dst,dst"),
                        (KUBE_EXTERNAL_IP_LOCAL, "dst,dst"), (KUBE_HEALTH_CHECK_NODE_PORT, "dst")):
        add("filter", KUBE_IPVS_FILTER, f"-m set --match-set {name} {match} -j RETURN")
    add("filter", KUBE_IPVS_FILTER, f"-m conntrack --ctstate NEW -m set --match-set {KUBE_IPVS_IPS} dst -j REJECT")
    add("nat", KUBE_POSTROUTING, f"-m mark ! --mark {mark}/{mark} -j RETURN")
    # Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
    add("nat", KUBE_POSTROUTING, f"-j MARK --xor-mark {mark}")
    add("nat", KUBE_POSTROUTING, '-m comment --comment "kubernetes service traffic requiring SNAT"',
        "-j MASQUERADE --random-fully")
    add("nat", KUBE_MARK_MASQ, f"-j MARK --or-mark {mark}")
    return _render(tables)


def _render(tables: dict[str, dict[str, list[str]]]) -> str:
    out: list[str] = []
    for table in ("filter", "nat"):
        chains = tables[table]
        user = sorted(c for c in chains if c not in _BUILTIN[table])
        out.append(f"*{table}")
        out.extend(f":{c} ACCEPT [0:0]" for c in _BUILTIN[table])
        out.extend(f":{c} - [0:0]" for c in user)
        for c in (*_BUILTIN[table], *user):
            out.extend(chains.get(c, ()))
        out.append("COMMIT")
    return "\n".join(out) + "\n"


def set_references(iptables_text: str) -> dict[str, int]:
    """How many rules match on each set (what ``ipset list`` shows as References)."""
    refs: dict[str, int] = {}
    for line in iptables_text.splitlines():
        if "--match-set " in line:
            name = line.split("--match-set ", 1)[1].split(" ", 1)[0]
            refs[name] = refs.get(name, 0) + 1
    return refs
