"""kube-proxy's IPVS mode as a pure function: service ports + endpoints -> a node's IPVS state.

``ipvs_state(sps, epmap, node_ips=["192.168.0.2"])`` returns what ``syncProxyRules``
(pkg/proxy/ipvs/proxier.go) leaves on a node:

- **virtual servers** — one per ClusterIP:port, per external IP:port, and per node IP for
  a NodePort, each with the ``--ipvs-scheduler`` (default ``rr``) and, for
  ``sessionAffinity: ClientIP``, the persistent flag with the affinity timeout (10800 s by
  default); **real servers** are the endpoints, weight 1, forwarded by masquerading;
- the **kube-ipvs0** dummy interface holding every ClusterIP / external IP as a /32, so
  the kernel accepts packets for them locally and IPVS (on INPUT) can take them over;
- the **ipsets** (pkg/proxy/ipvs/ipset.go) the few remaining iptables rules match on —
  one ``-m set --match-set KUBE-CLUSTER-IP dst,dst`` rule instead of a rule per service;
- those **iptables rules** (``writeIptablesRules``), see :func:`ipvs_iptables_save`.

Printing as ``ipvsadm -Ln``, ``ipset list`` and ``ip addr show kube-ipvs0`` lives in
:mod:`.ipvs_print`. IPVS mode is deprecated upstream (1.35): it never gained parity with
iptables/nftables (no Local-policy drop — with no local endpoint it falls back to all
endpoints, kubernetes#97081; LoadBalancer source ranges need extra iptables) and IPVS
itself is little maintained; nftables mode is the recommended replacement.

Not modelled: ``loadBalancerSourceRanges`` (the FW / SOURCE sets stay empty),
health-check node ports, graceful termination of removed real servers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Iterable

from .servicemap import Endpoint, EndpointsMap, ServicePort, categorize

# pkg/proxy/ipvs/proxier.go: defaultScheduler, defaultDummyDevice
DEFAULT_SCHEDULER = "rr"
DUMMY_DEVICE = "kube-ipvs0"
# The schedulers kube-proxy documents for --ipvs-scheduler (kernel ip_vs_* modules).
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh")
MASQUERADE_BIT = 14
DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"

# pkg/proxy/ipvs/ipset.go: names and comments; proxier.go ipsetInfo: types, in order.
KUBE_LOOP_BACK = "KUBE-LOOP-BACK"
KUBE_CLUSTER_IP = "KUBE-CLUSTER-IP"
KUBE_EXTERNAL_IP = "KUBE-EXTERNAL-IP"
KUBE_EXTERNAL_IP_LOCAL = "KUBE-EXTERNAL-IP-LOCAL"
KUBE_LOAD_BALANCER = "KUBE-LOAD-BALANCER"
KUBE_LOAD_BALANCER_FW = "KUBE-LOAD-BALANCER-FW"
KUBE_LOAD_BALANCER_LOCAL = "KUBE-LOAD-BALANCER-LOCAL"
KUBE_LOAD_BALANCER_SOURCE_IP = "KUBE-LOAD-BALANCER-SOURCE-IP"
KUBE_LOAD_BALANCER_SOURCE_CIDR = "KUBE-LOAD-BALANCER-SOURCE-CIDR"
KUBE_NODE_PORT_TCP, KUBE_NODE_PORT_LOCAL_TCP = "KUBE-NODE-PORT-TCP", "KUBE-NODE-PORT-LOCAL-TCP"
KUBE_NODE_PORT_UDP, KUBE_NODE_PORT_LOCAL_UDP = "KUBE-NODE-PORT-UDP", "KUBE-NODE-PORT-LOCAL-UDP"
KUBE_NODE_PORT_SCTP, KUBE_NODE_PORT_LOCAL_SCTP = "KUBE-NODE-PORT-SCTP-HASH", "KUBE-NODE-PORT-LOCAL-SCTP-HASH"
KUBE_HEALTH_CHECK_NODE_PORT = "KUBE-HEALTH-CHECK-NODE-PORT"
KUBE_IPVS_IPS = "KUBE-IPVS-IPS"
IPSETS = (
    (KUBE_LOOP_BACK, "hash:ip,port,ip", "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"),
    (KUBE_CLUSTER_IP, "hash:ip,port", "Kubernetes service cluster ip + port for masquerade purpose"),
    (KUBE_EXTERNAL_IP, "hash:ip,port", "Kubernetes service external ip + port for masquerade and filter purpose"),
    (KUBE_EXTERNAL_IP_LOCAL, "hash:ip,port", "Kubernetes service external ip + port with externalTrafficPolicy=local"),
    (KUBE_LOAD_BALANCER, "hash:ip,port", "Kubernetes service lb portal"),
    (KUBE_LOAD_BALANCER_FW, "hash:ip,port",
     "Kubernetes service load balancer ip + port for load balancer with sourceRange"),
    (KUBE_LOAD_BALANCER_LOCAL, "hash:ip,port",
     "Kubernetes service load balancer ip + port with externalTrafficPolicy=local"),
    (KUBE_LOAD_BALANCER_SOURCE_IP, "hash:ip,port,ip",
     "Kubernetes service load balancer ip + port + source IP for packet filter purpose"),
    (KUBE_LOAD_BALANCER_SOURCE_CIDR, "hash:ip,port,net",
     "Kubernetes service load balancer ip + port + source cidr for packet filter purpose"),
    (KUBE_NODE_PORT_TCP, "bitmap:port", "Kubernetes nodeport TCP port for masquerade purpose"),
    (KUBE_NODE_PORT_LOCAL_TCP, "bitmap:port", "Kubernetes nodeport TCP port with externalTrafficPolicy=local"),
    (KUBE_NODE_PORT_UDP, "bitmap:port", "Kubernetes nodeport UDP port for masquerade purpose"),
    (KUBE_NODE_PORT_LOCAL_UDP, "bitmap:port", "Kubernetes nodeport UDP port with externalTrafficPolicy=local"),
    (KUBE_NODE_PORT_SCTP, "hash:ip,port",
     "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'"),
    (KUBE_NODE_PORT_LOCAL_SCTP, "hash:ip,port",
     "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'"),
    (KUBE_HEALTH_CHECK_NODE_PORT, "bitmap:port", "Kubernetes health check node port"),
    (KUBE_IPVS_IPS, "hash:ip", "Addresses on the ipvs interface"),
)
_NODE_PORT_SETS = {"tcp": (KUBE_NODE_PORT_TCP, KUBE_NODE_PORT_LOCAL_TCP),
                   "udp": (KUBE_NODE_PORT_UDP, KUBE_NODE_PORT_LOCAL_UDP),
                   "sctp": (KUBE_NODE_PORT_SCTP, KUBE_NODE_PORT_LOCAL_SCTP)}


@dataclass(frozen=True)
class RealServer:
    ip: str
    port: int
    weight: int = 1                    # syncEndpoint: every destination gets weight 1
    forward: str = "Masq"              # kube-proxy only uses NAT (masquerading) forwarding

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


@dataclass
class VirtualServer:
    protocol: str                      # "TCP" | "UDP" | "SCTP"
    address: str
    port: int
    scheduler: str = DEFAULT_SCHEDULER
    persistent: int = 0                # FlagPersistent timeout (ClientIP affinity), 0 = off
    service: str = ""                  # ServicePortName string, for traces and pages
    kind: str = "ClusterIP"            # ClusterIP | ExternalIP | LoadBalancer | NodePort
    real_servers: list[RealServer] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.protocol, self.address, self.port)

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}/{self.protocol}"


@dataclass
class IPSet:
    name: str
    type: str
    comment: str
    entries: list[str] = field(default_factory=list)   # Entry.String() forms, as added

    def add(self, entry: str) -> None:
        if entry not in self.entries:
            self.entries.append(entry)


@dataclass
class IpvsState:
    """Everything IPVS mode programs on one node (see the module docstring)."""

    virtual_servers: dict[tuple[str, str, int], VirtualServer] = field(default_factory=dict)
    dummy_addresses: list[str] = field(default_factory=list)    # on kube-ipvs0, in bind order
    ipsets: dict[str, IPSet] = field(default_factory=dict)
    iptables: str = ""                                          # iptables-save (filter + nat)

    def lookup(self, protocol: str, address: str, port: int) -> VirtualServer | None:
        return self.virtual_servers.get((protocol.upper(), address, int(port)))


def ipvs_state(sps: Iterable[ServicePort], epmap: EndpointsMap, *, node_ips: Iterable[str] = (),
               scheduler: str = DEFAULT_SCHEDULER, cluster_cidr: str | None = DEFAULT_CLUSTER_CIDR,
               masquerade_all: bool = False, masquerade_bit: int = MASQUERADE_BIT) -> IpvsState:
    """``syncProxyRules`` minus the netlink calls, for the node owning ``node_ips``.

    ``node_ips`` are the addresses NodePorts listen on (upstream: every local address not on
    kube-ipvs0, or ``--nodeport-addresses``); loopback is left out here.
    """
    if scheduler not in SCHEDULERS:
        raise ValueError(f'unsupported IPVS scheduler "{scheduler}": one of {", ".join(SCHEDULERS)}')
    st = IpvsState(ipsets={n: IPSet(n, t, c) for n, t, c in IPSETS})
    nodes = [ip for ip in node_ips if not ipaddress.ip_address(ip).is_loopback]
    for sp in sorted(sps, key=lambda s: (s.name_string, s.protocol)):
        _sync_service(st, sp, epmap.get(sp.key, []), nodes, scheduler)
    # The KUBE-IPVS-IPS set mirrors kube-ipvs0's addresses (KUBE-IPVS-FILTER uses it).
    for a in st.dummy_addresses:
        st.ipsets[KUBE_IPVS_IPS].add(a)
    from .ipvs_iptables import write_iptables  # the rules read the sets just filled
    st.iptables = write_iptables(st, cluster_cidr=cluster_cidr, masquerade_all=masquerade_all,
                                 masquerade_bit=masquerade_bit)
    return st


def _sync_service(st: IpvsState, sp: ServicePort, all_eps: list[Endpoint], nodes: list[str],
                  scheduler: str) -> None:
    proto = sp.protocol.lower()
    # Hairpin: a local endpoint reaching its own service is masqueraded (KUBE-LOOP-BACK).
    for e in all_eps:
        if e.is_local:
            st.ipsets[KUBE_LOOP_BACK].add(f"{e.ip},{proto}:{e.port},{e.ip}")
    cluster_eps, local_eps, _ = categorize(sp, all_eps)

    def endpoints(only_local: bool) -> list[Endpoint]:
        # kubernetes#97081: with no local endpoint, Local policy still uses every endpoint
        # (a pod on this node can reach the service; external replies get lost).
        return local_eps if only_local and local_eps else cluster_eps

    st.ipsets[KUBE_CLUSTER_IP].add(f"{sp.cluster_ip},{proto}:{sp.port}")
    _virtual(st, sp, sp.cluster_ip, sp.port, scheduler, "ClusterIP", endpoints(sp.internal_policy_local), bind=True)
    for eip in sp.external_ips:
        st.ipsets[KUBE_EXTERNAL_IP_LOCAL if sp.external_policy_local else KUBE_EXTERNAL_IP].add(
            f"{eip},{proto}:{sp.port}")
        # An external IP that is also a node address must not go on the dummy device.
        _virtual(st, sp, eip, sp.port, scheduler, "ExternalIP", endpoints(sp.external_policy_local),
                 bind=eip not in nodes)
    # status.loadBalancer.ingress IPs: a virtual server each, bound to kube-ipvs0, and the
    # KUBE-LOAD-BALANCER set whose chain marks the traffic for SNAT (Local: RETURN first).
    for lb in sp.load_balancer_ips:
        entry = f"{lb},{proto}:{sp.port}"
        st.ipsets[KUBE_LOAD_BALANCER].add(entry)
        if sp.external_policy_local:
            st.ipsets[KUBE_LOAD_BALANCER_LOCAL].add(entry)
        _virtual(st, sp, lb, sp.port, scheduler, "LoadBalancer", endpoints(sp.external_policy_local), bind=True)
    if sp.node_port and nodes:
        plain, local = _NODE_PORT_SETS[proto]
        entries = [f"{ip},{proto}:{sp.node_port}" for ip in nodes] if proto == "sctp" else [str(sp.node_port)]
        for entry in entries:
            st.ipsets[plain].add(entry)
            if sp.external_policy_local:
                st.ipsets[local].add(entry)
        for ip in nodes:  # node IPs are never bound to kube-ipvs0
            _virtual(st, sp, ip, sp.node_port, scheduler, "NodePort", endpoints(sp.external_policy_local),
                     bind=False)


def _virtual(st: IpvsState, sp: ServicePort, address: str, port: int, scheduler: str, kind: str,
             eps: list[Endpoint], bind: bool) -> None:
    vs = VirtualServer(sp.protocol, address, port, scheduler,
                       persistent=sp.sticky_seconds if sp.session_affinity else 0,
                       service=sp.name_string, kind=kind,
                       real_servers=[RealServer(e.ip, e.port) for e in eps])
    st.virtual_servers[vs.key] = vs
    if bind and address not in st.dummy_addresses:
        st.dummy_addresses.append(address)
