"""kube-proxy's nftables mode as a pure function: service ports + endpoints -> one nft table.

``nftables_table(sps, epmap)`` returns the :class:`NftTable` kube-proxy's first full
``syncProxyRules`` leaves in the kernel (pkg/proxy/nftables/proxier.go, as pinned by
``proxier_test.go: TestOverallNFTablesRules`` — the v1.36 layout with
``filter-prerouting-pre-dnat`` / ``filter-output-pre-dnat``). One table per IP family,
``ip kube-proxy`` or ``ip6 kube-proxy``; everything kube-proxy owns lives inside it, so
no name needs a ``KUBE-`` prefix:

- dispatch is by **verdict map**, not by a linear rule list: the ``services`` chain looks
  ``daddr . l4proto . dport`` up in ``service-ips`` (and ``l4proto . dport`` in
  ``service-nodeports`` for addresses in ``nodeport-ips``) and ``goto``\\s the service's
  chain in one step;
- a service chain picks an endpoint with ``numgen random mod N vmap { 0 : goto …, … }``;
- services without endpoints are rejected from the filter hooks through
  ``no-endpoint-services`` / ``no-endpoint-nodeports`` (``goto reject-chain``, or ``drop``
  for a Local policy with no local endpoint); ``cluster-ips-check`` rejects a ClusterIP
  on a port it does not serve and drops addresses of the service CIDR nobody holds.

Printing is in :mod:`.nftables_print` (``nft list ruleset`` and the knftables transaction
form upstream's tests compare). Not modelled: LoadBalancer ingress IPs and
``loadBalancerSourceRanges`` (``firewall-ips`` stays empty), topology hints, terminating
endpoints (see :func:`.servicemap.categorize`).

>>> t = nftables_table([], {})
>>> [c.name for c in t.chains.values()][:3]
['filter-prerouting-pre-dnat', 'filter-output-pre-dnat', 'filter-input']
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Iterable

from .servicemap import Endpoint, EndpointsMap, ServicePort, categorize

# pkg/proxy/nftables/proxier.go: kubeProxyTable and the fixed chain/set/map names
TABLE = "kube-proxy"
SERVICES = "services"
SERVICE_IPS, SERVICE_NODEPORTS = "service-ips", "service-nodeports"
NODEPORT_IPS, CLUSTER_IPS = "nodeport-ips", "cluster-ips"
SERVICE_ENDPOINTS_CHECK, NODEPORT_ENDPOINTS_CHECK = "service-endpoints-check", "nodeport-endpoints-check"
NO_ENDPOINT_SERVICES, NO_ENDPOINT_NODEPORTS = "no-endpoint-services", "no-endpoint-nodeports"
REJECT_CHAIN, CLUSTER_IPS_CHECK = "reject-chain", "cluster-ips-check"
FIREWALL_IPS, FIREWALL_CHECK = "firewall-ips", "firewall-check"
MARK_MASQ, MASQUERADING = "mark-for-masquerade", "masquerading"
# pkg/proxy/nftables/proxier.go: servicePort*ChainNamePrefix / servicePortEndpoint*Prefix
SERVICE_PREFIX, LOCAL_PREFIX, EXTERNAL_PREFIX = "service-", "local-", "external-"
ENDPOINT_PREFIX, AFFINITY_PREFIX = "endpoint-", "affinity-"
# pkg/proxy/apis/config/v1alpha1/defaults.go: masqueradeBit 14
MASQUERADE_BIT = 14
# kubeadm's default --service-cidr (ServiceCIDR "kubernetes"): the drop rule's range
DEFAULT_SERVICE_CIDRS = ("10.96.0.0/12",)
DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"

# nftablesBaseChains: name, type, hook, priority (knftables DNATPriority = -100,
# FilterPriority = 0, SNATPriority = 100). Filter rules must see the pre-DNAT destination.
_BASE_CHAINS = (
    ("filter-prerouting-pre-dnat", "filter", "prerouting", -110),
    ("filter-output-pre-dnat", "filter", "output", -110),
    ("filter-input", "filter", "input", 0),
    ("filter-forward", "filter", "forward", 0),
    ("filter-output", "filter", "output", 0),
    ("nat-prerouting", "nat", "prerouting", -100),
    ("nat-output", "nat", "output", -100),
    ("nat-postrouting", "nat", "postrouting", 100),
)
# nftablesJumpChains: (destination, source base chain, extra match). Order fixes the
# order of the jump rules inside each base chain.
_JUMPS = (
    (NODEPORT_ENDPOINTS_CHECK, "filter-input", "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, "filter-input", "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, "filter-forward", "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, "filter-output", "ct state new"),
    (FIREWALL_CHECK, "filter-prerouting-pre-dnat", "ct state new"),
    (FIREWALL_CHECK, "filter-output-pre-dnat", "ct state new"),
    (SERVICES, "nat-output", ""),
    (SERVICES, "nat-prerouting", ""),
    (MASQUERADING, "nat-postrouting", ""),
    (CLUSTER_IPS_CHECK, "filter-forward", "ct state new"),
    (CLUSTER_IPS_CHECK, "filter-output", "ct state new"),
)


@dataclass
class NftSet:
    """A named set, or a map when ``data`` is set (nft keeps both in one namespace)."""

    name: str
    key_type: str
    comment: str | None = None
    data: str | None = None            # "verdict" for the vmaps
    flags: tuple[str, ...] = ()
    timeout: int | None = None         # seconds
    #: ``(key, value, comment)`` in the order kube-proxy added them (value None for sets).
    elements: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def is_map(self) -> bool:
        return self.data is not None

    @property
    def type(self) -> str:
        return f"{self.key_type} : {self.data}" if self.data else self.key_type


@dataclass
class NftChain:
    name: str
    type: str | None = None            # base chains only: "filter" | "nat"
    hook: str | None = None
    priority: int | None = None
    comment: str | None = None
    #: ``(rule text as kube-proxy writes it, comment)``
    rules: list[tuple[str, str | None]] = field(default_factory=list)

    def add(self, rule: str, comment: str | None = None) -> None:
        self.rules.append((rule, comment))


@dataclass
class NftTable:
    """``table <family> kube-proxy``: sets/maps and chains in creation (handle) order."""

    family: str                        # "ip" | "ip6"
    name: str = TABLE
    comment: str = "rules for kube-proxy"
    sets: dict[str, NftSet] = field(default_factory=dict)
    chains: dict[str, NftChain] = field(default_factory=dict)

    def chain(self, name: str) -> NftChain:
        """``ensureChain``: create once; later calls return the same chain."""
        c = self.chains.get(name)
        if c is None:
            c = self.chains[name] = NftChain(name)
        return c

    def element(self, set_name: str, key: str, value: str | None = None, comment: str | None = None) -> None:
        s = self.sets[set_name]
        if not any(k == key for k, _, _ in s.elements):  # nftElementStorage.ensureElem
            s.elements.append((key, value, comment))

    def lookup(self, set_name: str, key: str) -> str | None:
        """The value (verdict) of ``key`` in a map, or None."""
        for k, v, _ in self.sets[set_name].elements:
            if k == key:
                return v
        return None


def hash_and_truncate(name: str) -> str:
    """``hashAndTruncate``: ``base32(sha256(name))[:8] + "-" + name``, cut at 240 chars.

    >>> hash_and_truncate("ns1/svc1/tcp/p80")
    'ULMVA6XW-ns1/svc1/tcp/p80'
    """
    h = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()[:8]
    out = f"{h}-{name}"
    # knftables.NameLengthMax (256) - chainNamePrefixLengthMax (16)
    return out if len(out) <= 240 else out[:237] + "..."


def service_chain_base(sp: ServicePort) -> str:
    """``servicePortChainNameBase``: ``HASH-ns/name/proto/portName``."""
    return hash_and_truncate(f"{sp.namespace}/{sp.name}/{sp.protocol.lower()}/{sp.port_name}")


def endpoint_chain_base(sp: ServicePort, ep: Endpoint) -> str:
    """``servicePortEndpointChainNameBase``: ``…__ip/port`` (IPv6 ``:`` become ``.``)."""
    ip = ep.ip.replace(":", ".")
    return hash_and_truncate(f"{sp.namespace}/{sp.name}/{sp.protocol.lower()}/{sp.port_name}__{ip}/{ep.port}")


def masquerade_mark(bit: int = MASQUERADE_BIT) -> str:
    """NewProxier: ``fmt.Sprintf("%#08x", 1<<bit)`` — ``0x004000`` for bit 14."""
    return "0x" + format(1 << bit, "x").rjust(6, "0")


def nftables_table(sps: Iterable[ServicePort], epmap: EndpointsMap, *, family: str = "ip",
                   cluster_cidr: str | None = DEFAULT_CLUSTER_CIDR,
                   service_cidrs: Iterable[str] = DEFAULT_SERVICE_CIDRS,
                   node_port_addresses: Iterable[str] | None = None, masquerade_all: bool = False,
                   masquerade_mark_value: str | None = None) -> NftTable:
    """``setupNFTables`` + the service loop of ``syncProxyRules``, for one IP family.

    ``sps`` / ``epmap`` come from :mod:`.servicemap`; service ports of the other family are
    skipped (upstream runs one proxier per family). ``node_port_addresses`` are the IPs
    NodePorts answer on (kube-proxy's nftables default is ``primary``: the node's IPs);
    ``None`` means every local address (the ``fib daddr type local`` form).
    ``cluster_cidr`` drives the LocalTrafficDetector (``ip saddr != <cidr>`` masquerade).
    """
    ipx = "ip6" if family == "ip6" else "ip"
    addr = "ipv6_addr" if family == "ip6" else "ipv4_addr"
    no_localhost = "ip6 daddr != ::1" if family == "ip6" else "ip daddr != 127.0.0.0/8"
    mark = masquerade_mark_value or masquerade_mark()
    t = NftTable(family)
    for name, ctype, hook, prio in _BASE_CHAINS:
        t.chains[name] = NftChain(name, ctype, hook, prio)
    for dst, src, extra in _JUMPS:
        t.chain(dst)
        t.chains[src].add(" ".join(p for p in (extra, "jump", dst) if p))
    for name in (SERVICES, CLUSTER_IPS_CHECK, MASQUERADING, MARK_MASQ):
        t.chain(name)
    t.chains[MARK_MASQ].add(f"mark set mark or {mark}")
    t.chains[MASQUERADING].add(f"mark and {mark} == 0 return")
    # Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
    t.chains[MASQUERADING].add(f"mark set mark xor {mark}")
    t.chains[MASQUERADING].add("masquerade fully-random")
    t.sets[CLUSTER_IPS] = NftSet(CLUSTER_IPS, addr, "Active ClusterIPs")
    t.chains[CLUSTER_IPS_CHECK].add(f"{ipx} daddr @{CLUSTER_IPS} reject",
                                    "Reject traffic to invalid ports of ClusterIPs")
    cidrs = [c for c in service_cidrs if _family_of(c) == family]
    if cidrs:
        t.chains[CLUSTER_IPS_CHECK].add(f"{ipx} daddr {{ {','.join(cidrs)} }} drop",
                                        "Drop traffic to unallocated ClusterIPs")
    np_ips = None if node_port_addresses is None else \
        [ip for ip in node_port_addresses if _family_of(ip) == family and not _loopback(ip)]
    if np_ips is not None:
        t.sets[NODEPORT_IPS] = NftSet(NODEPORT_IPS, addr, "IPs that accept NodePort traffic")
        for ip in np_ips:
            t.element(NODEPORT_IPS, ip)
    t.sets[NO_ENDPOINT_SERVICES] = NftSet(NO_ENDPOINT_SERVICES, f"{addr} . inet_proto . inet_service",
                                          "vmap to drop or reject packets to services with no endpoints",
                                          data="verdict")
    t.sets[NO_ENDPOINT_NODEPORTS] = NftSet(
        NO_ENDPOINT_NODEPORTS, "inet_proto . inet_service",
        "vmap to drop or reject packets to service nodeports with no endpoints", data="verdict")
    rej = t.chains[REJECT_CHAIN] = NftChain(REJECT_CHAIN, comment="helper for @no-endpoint-services / "
                                                                  "@no-endpoint-nodeports")
    rej.add("reject")
    t.chains[SERVICE_ENDPOINTS_CHECK].add(f"{ipx} daddr . meta l4proto . th dport vmap @{NO_ENDPOINT_SERVICES}")
    np_match = no_localhost if np_ips is None else f"{ipx} daddr @{NODEPORT_IPS}"
    t.chains[NODEPORT_ENDPOINTS_CHECK].add(f"{np_match} meta l4proto . th dport vmap @{NO_ENDPOINT_NODEPORTS}")
    t.sets[FIREWALL_IPS] = NftSet(FIREWALL_IPS, f"{addr} . inet_proto . inet_service",
                                  "destinations that are subject to LoadBalancerSourceRanges", data="verdict")
    t.chains[FIREWALL_CHECK].add(f"{ipx} daddr . meta l4proto . th dport vmap @{FIREWALL_IPS}")
    t.sets[SERVICE_IPS] = NftSet(SERVICE_IPS, f"{addr} . inet_proto . inet_service",
                                 "ClusterIP, ExternalIP and LoadBalancer IP traffic", data="verdict")
    t.sets[SERVICE_NODEPORTS] = NftSet(SERVICE_NODEPORTS, "inet_proto . inet_service", "NodePort traffic",
                                       data="verdict")
    t.chains[SERVICES].add(f"{ipx} daddr . meta l4proto . th dport vmap @{SERVICE_IPS}")
    np_dispatch = f"fib daddr type local {no_localhost}" if np_ips is None else f"{ipx} daddr @{NODEPORT_IPS}"
    t.chains[SERVICES].add(f"{np_dispatch} meta l4proto . th dport vmap @{SERVICE_NODEPORTS}")

    ctx = _Ctx(t, ipx, addr, cluster_cidr, masquerade_all)
    for sp in sorted(sps, key=lambda s: (s.name_string, s.protocol)):
        if _family_of(sp.cluster_ip) == family:
            _write_service(ctx, sp, epmap.get(sp.key, []))
    return t


@dataclass
class _Ctx:
    t: NftTable
    ipx: str
    addr: str
    cluster_cidr: str | None
    masquerade_all: bool


def _write_service(c: _Ctx, sp: ServicePort, all_eps: list[Endpoint]) -> None:
    """One iteration of syncProxyRules' service loop (chains, map elements, rules)."""
    t, ipx, proto = c.t, c.ipx, sp.protocol.lower()
    base = service_chain_base(sp)
    cluster_chain, local_chain, ext_chain = SERVICE_PREFIX + base, LOCAL_PREFIX + base, EXTERNAL_PREFIX + base
    cluster_eps, local_eps, has_eps = categorize(sp, all_eps)
    reachable = cluster_eps + [e for e in local_eps if e not in cluster_eps]
    ep_chain = {str(e): ENDPOINT_PREFIX + endpoint_chain_base(sp, e) for e in reachable}
    for e in reachable:
        t.chain(ep_chain[str(e)])
    # UsesClusterEndpoints / UsesLocalEndpoints (pkg/proxy/serviceport.go)
    uses_cluster = bool(cluster_eps) and (not sp.internal_policy_local or sp.externally_accessible)
    uses_local = bool(local_eps) and (sp.internal_policy_local or sp.external_policy_local)
    if uses_cluster:
        t.chain(cluster_chain)
    if uses_local:
        t.chain(local_chain)
    internal_chain = local_chain if sp.internal_policy_local else cluster_chain
    has_internal = bool(local_eps) if sp.internal_policy_local else has_eps
    external_policy_chain = local_chain if sp.external_policy_local else cluster_chain
    has_external = bool(local_eps) if sp.external_policy_local else has_eps
    uses_ext = has_eps and sp.externally_accessible
    if uses_ext:
        t.chain(ext_chain)
    # No endpoints at all: reject (connection refused at once); endpoints, but none
    # usable under a Local policy: drop.
    internal_verdict = f"goto {REJECT_CHAIN}" if not has_eps else "drop"
    external_verdict = internal_verdict

    t.element(CLUSTER_IPS, sp.cluster_ip)
    key = f"{sp.cluster_ip} . {proto} . {sp.port}"
    if has_internal:
        t.element(SERVICE_IPS, key, f"goto {internal_chain}")
    else:
        t.element(NO_ENDPOINT_SERVICES, key, internal_verdict, sp.name_string)
    for eip in sp.external_ips:
        ekey = f"{eip} . {proto} . {sp.port}"
        if has_eps:
            t.element(SERVICE_IPS, ekey, f"goto {ext_chain}")
        if not has_external:
            t.element(NO_ENDPOINT_SERVICES, ekey, external_verdict, sp.name_string)
    if sp.node_port:
        nkey = f"{proto} . {sp.node_port}"
        if has_eps:
            t.element(SERVICE_NODEPORTS, nkey, f"goto {ext_chain}")
        if not has_external:
            t.element(NO_ENDPOINT_NODEPORTS, nkey, external_verdict, sp.name_string)

    if has_internal:
        dst = f"{ipx} daddr {sp.cluster_ip} {proto} dport {sp.port}"
        if c.masquerade_all:
            t.chains[internal_chain].add(f"{dst} jump {MARK_MASQ}")
        elif c.cluster_cidr:
            # Off-cluster traffic to a VIP (a static route to any node) may bounce
            # off-node again: masquerade it so the reply comes back through this node.
            t.chains[internal_chain].add(f"{dst} {ipx} saddr != {c.cluster_cidr} jump {MARK_MASQ}")
    if uses_ext:
        ext = t.chains[ext_chain]
        if not sp.external_policy_local:
            ext.add(f"jump {MARK_MASQ}")  # endpoints may be on another node
        else:
            if c.cluster_cidr:
                ext.add(f"{ipx} saddr {c.cluster_cidr} goto {cluster_chain}", "short-circuit pod traffic")
            ext.add(f"fib saddr type local jump {MARK_MASQ}", "masquerade local traffic")
            ext.add(f"fib saddr type local goto {cluster_chain}", "short-circuit local traffic")
        if has_external:
            ext.add(f"goto {external_policy_chain}")
    if sp.session_affinity:
        for e in reachable:  # one dynamic set per endpoint, entries expire after stickiness
            name = AFFINITY_PREFIX + ep_chain[str(e)][len(ENDPOINT_PREFIX):]
            t.sets[name] = NftSet(name, c.addr, flags=("dynamic", "timeout"), timeout=sp.sticky_seconds)
    if uses_cluster:
        _to_endpoints(c, sp, t.chains[cluster_chain], cluster_eps, ep_chain)
    if uses_local:
        _to_endpoints(c, sp, t.chains[local_chain], local_eps, ep_chain)
    for e in reachable:
        ch = t.chains[ep_chain[str(e)]]
        # Hairpin: a pod reaching itself through its Service must see the node as source.
        ch.add(f"{ipx} saddr {e.ip} jump {MARK_MASQ}")
        if sp.session_affinity:
            ch.add(f"update @{AFFINITY_PREFIX}{ep_chain[str(e)][len(ENDPOINT_PREFIX):]} {{ {ipx} saddr }}")
        ch.add(f"meta l4proto {proto} dnat to {e}")


def _to_endpoints(c: _Ctx, sp: ServicePort, chain: NftChain, eps: list[Endpoint], ep_chain: dict) -> None:
    """``writeServiceToEndpointRules``: affinity lookups, then one uniform random pick."""
    if sp.session_affinity:
        for e in eps:
            chain.add(f"{c.ipx} saddr @{AFFINITY_PREFIX}{ep_chain[str(e)][len(ENDPOINT_PREFIX):]} "
                      f"goto {ep_chain[str(e)]}")
    elements = " , ".join(f"{i} : goto {ep_chain[str(e)]}" for i, e in enumerate(eps))
    chain.add(f"numgen random mod {len(eps)} vmap {{ {elements} }}")


def _family_of(ip_or_cidr: str) -> str:
    return "ip6" if ":" in ip_or_cidr else "ip"


def _loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False
