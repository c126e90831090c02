"""The rules of one service port — the body of ``syncProxyRules``' service loop.

pkg/proxy/iptables/proxier.go, for each service port, in this order:

1. ``CategorizeEndpoints`` (:func:`.servicemap.categorize_endpoints`);
2. rules that are always written: ``KUBE-SERVICES`` (cluster IP, external IPs,
   load-balancer IPs), ``KUBE-NODEPORTS``, and in the filter table the REJECT (no
   endpoints at all) / DROP (none usable under a ``Local`` policy) rules, the
   ``KUBE-PROXY-FIREWALL`` drop for ``loadBalancerSourceRanges``, and the health check
   node port ACCEPT;
3. the service's own chains — skipped in a partial sync when the Service and its
   endpoints did not change: the masquerade rule of the internal chain, ``KUBE-EXT-*``,
   ``KUBE-FW-*``, ``KUBE-SVC-*``, ``KUBE-SVL-*`` and one ``KUBE-SEP-*`` per reachable endpoint.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import NamedTuple

from .names import (EXT_PREFIX, FW_PREFIX, KUBE_EXTERNAL_SERVICES, KUBE_MARK_MASQ, KUBE_NODEPORTS,
                    KUBE_PROXY_FIREWALL, KUBE_SERVICES, NFACCT_LOCALHOST_NODEPORTS, SVC_PREFIX, SVL_PREFIX,
                    endpoint_chain_name, port_proto_hash, probability)
from .servicemap import Endpoint, ServicePort, categorize_endpoints


class Opts(NamedTuple):
    if_local: str          # LocalTrafficDetector.IfLocal(): "-s <cluster CIDR>" ("" = not implemented)
    if_not_local: str
    masquerade_all: bool
    large: bool            # largeClusterMode: drop per-endpoint comments
    localhost_nodeports: bool = True
    nfacct: bool = True
    node_ip: str | None = None   # for KUBE-FW "allowFromNode"


@dataclass
class RestoreInput:
    """What one sync hands to ``iptables-restore --noflush``, each nat line tagged with the
    Service (``ns/name``) that owns it, or ``None`` for lines every sync writes."""

    total_endpoints: int = 0
    large: bool = False
    filter_chains: list[str] = field(default_factory=list)
    filter_rules: list[str] = field(default_factory=list)
    nat_chains: list[tuple[str | None, str]] = field(default_factory=list)
    nat_rules: list[tuple[str | None, str]] = field(default_factory=list)
    #: every nat chain this sync wants to exist (written or skipped): ``activeNATChains``
    active_nat_chains: set[str] = field(default_factory=set)
    #: ``sync_proxy_rules_no_endpoints_total`` {internal, external}
    no_local_internal: int = 0
    no_local_external: int = 0
    _tail: int = -1

    def filter_chain(self, name: str) -> None:
        self.filter_chains.append(name)

    def filter(self, line: str) -> None:
        self.filter_rules.append(line)

    def nat_chain(self, owner: str | None, name: str) -> None:
        self.nat_chains.append((owner, name))
        self.active_nat_chains.add(name)

    def nat(self, owner: str | None, line: str) -> None:
        self.nat_rules.append((owner, line))

    def mark_tail(self) -> None:
        """Where stale-chain deletions go: after the services, before the tail call."""
        self._tail = len(self.nat_rules)

    def text(self, changed: set[str] | None = None, stale: list[str] = ()) -> str:
        """The restore input; ``changed`` limits service chains to those Services (a
        partial sync), ``stale`` are chains to flush and delete (``-X``)."""
        keep = (lambda o: True) if changed is None else (lambda o: o is None or o in changed)
        tail = self._tail if self._tail >= 0 else len(self.nat_rules)
        nat_rules = [line for o, line in self.nat_rules[:tail] if keep(o)] + \
            [f"-X {c}" for c in stale] + [line for o, line in self.nat_rules[tail:] if keep(o)]
        out = ["*filter", *(f":{c} - [0:0]" for c in self.filter_chains), *self.filter_rules, "COMMIT",
               "*nat", *(f":{c} - [0:0]" for o, c in self.nat_chains if keep(o)),
               *(f":{c} - [0:0]" for c in stale), *nat_rules, "COMMIT"]
        return "\n".join(out) + "\n"

    def services(self) -> set[str]:
        return {o for o, _ in self.nat_chains if o is not None}


def _cm(comment: str) -> str:
    return f'-m comment --comment "{comment}"' if " " in comment else f"-m comment --comment {comment}"


def write_service(r: RestoreInput, sp: ServicePort, all_eps: list[Endpoint], o: Opts) -> None:
    name, proto = sp.name_string, sp.protocol.lower()
    h = port_proto_hash(name, proto)
    cluster_chain, local_chain, ext_chain, fw_chain = SVC_PREFIX + h, SVL_PREFIX + h, EXT_PREFIX + h, FW_PREFIX + h
    cluster_eps, local_eps, reachable, has_eps = categorize_endpoints(sp, all_eps)
    uses_cluster_chain = bool(cluster_eps) and sp.uses_cluster_endpoints
    uses_local_chain = bool(local_eps) and sp.uses_local_endpoints
    internal_chain, has_internal = cluster_chain, has_eps
    if sp.internal_policy_local:
        internal_chain, has_internal = local_chain, has_eps and bool(local_eps)
    external_policy_chain, has_external = cluster_chain, has_eps
    if sp.external_policy_local:
        external_policy_chain, has_external = local_chain, has_eps and bool(local_eps)
    # The local-traffic short-circuit rules are needed even without external endpoints.
    uses_ext_chain = has_eps and sp.externally_accessible
    uses_fw_chain = has_eps and bool(sp.load_balancer_ips) and bool(sp.load_balancer_source_ranges)
    lb_chain = fw_chain if uses_fw_chain else ext_chain
    int_target = int_comment = ext_target = ext_comment = ""
    if not has_eps:  # no endpoints anywhere: REJECT (the client sees "connection refused")
        int_target = ext_target = "REJECT"
        int_comment = ext_comment = f'"{name} has no endpoints"'
    else:            # endpoints, but none on this node for a Local policy: DROP
        if not has_internal:
            int_target, int_comment = "DROP", f'"{name} has no local endpoints"'
            r.no_local_internal += 1
        if not has_external:
            ext_target, ext_comment = "DROP", f'"{name} has no local endpoints"'
            r.no_local_external += 1
    match = f"-m {proto} -p {proto}"
    port = f"--dport {sp.port}"

    # -- always written ------------------------------------------------------------------
    if has_internal:
        r.nat(None, f"-A {KUBE_SERVICES} {_cm(f'{name} cluster IP')} {match} -d {sp.cluster_ip} {port} "
                    f"-j {internal_chain}")
    else:
        r.filter(f"-A {KUBE_SERVICES} -m comment --comment {int_comment} {match} -d {sp.cluster_ip} {port} "
                 f"-j {int_target}")
    for eip in sp.external_ips:
        if has_eps:
            r.nat(None, f"-A {KUBE_SERVICES} {_cm(f'{name} external IP')} {match} -d {eip} {port} -j {ext_chain}")
        if not has_external:
            r.filter(f"-A {KUBE_EXTERNAL_SERVICES} -m comment --comment {ext_comment} {match} -d {eip} {port} "
                     f"-j {ext_target}")
    for lbip in sp.load_balancer_ips:
        if has_eps:
            r.nat(None, f"-A {KUBE_SERVICES} {_cm(f'{name} loadbalancer IP')} {match} -d {lbip} {port} "
                        f"-j {lb_chain}")
        if uses_fw_chain:
            r.filter(f"-A {KUBE_PROXY_FIREWALL} {_cm(f'{name} traffic not accepted by {fw_chain}')} {match} "
                     f"-d {lbip} {port} -j DROP")
    if not has_external:
        for lbip in sp.load_balancer_ips:
            r.filter(f"-A {KUBE_EXTERNAL_SERVICES} -m comment --comment {ext_comment} {match} -d {lbip} {port} "
                     f"-j {ext_target}")
    if sp.node_port:
        if has_eps:
            if o.localhost_nodeports and o.nfacct:
                r.nat(None, f"-A {KUBE_NODEPORTS} {_cm(name)} {match} -d 127.0.0.0/8 --dport {sp.node_port} "
                            f"-m nfacct --nfacct-name {NFACCT_LOCALHOST_NODEPORTS} -j {ext_chain}")
            r.nat(None, f"-A {KUBE_NODEPORTS} {_cm(name)} {match} --dport {sp.node_port} -j {ext_chain}")
        if not has_external:
            r.filter(f"-A {KUBE_EXTERNAL_SERVICES} -m comment --comment {ext_comment} -m addrtype --dst-type LOCAL "
                     f"{match} --dport {sp.node_port} -j {ext_target}")
    if sp.health_check_node_port:
        # Accepted whether or not this node has local endpoints: the load balancer asks.
        r.filter(f"-A {KUBE_NODEPORTS} {_cm(f'{name} health check node port')} -m tcp -p tcp "
                 f"--dport {sp.health_check_node_port} -j ACCEPT")

    # -- the service's own chains (skipped by a partial sync when unchanged) ------------
    owner = sp.service_name
    if has_internal:
        args = f"{_cm(f'{name} cluster IP')} {match} -d {sp.cluster_ip} {port}"
        if o.masquerade_all:
            r.nat(owner, f"-A {internal_chain} {args} -j {KUBE_MARK_MASQ}")
        elif o.if_not_local:
            # Off-cluster traffic to a VIP (a static route to any node) may bounce off-node
            # again: masquerade it so the reply comes back through this node.
            r.nat(owner, f"-A {internal_chain} {args} {o.if_not_local} -j {KUBE_MARK_MASQ}")
    if uses_ext_chain:
        r.nat_chain(owner, ext_chain)
        if not sp.external_policy_local:
            # Endpoints may be on another node: masquerade so the replies come back here.
            r.nat(owner, f"-A {ext_chain} {_cm(f'masquerade traffic for {name} external destinations')} "
                         f"-j {KUBE_MARK_MASQ}")
        else:
            # Keep the client's source IP. Pods and the node itself short-circuit to every
            # endpoint, as if they went out to a load balancer and came back in.
            if o.if_local:
                r.nat(owner, f"-A {ext_chain} {_cm(f'pod traffic for {name} external destinations')} "
                             f"{o.if_local} -j {cluster_chain}")
            r.nat(owner, f"-A {ext_chain} {_cm(f'masquerade LOCAL traffic for {name} external destinations')} "
                         f"-m addrtype --src-type LOCAL -j {KUBE_MARK_MASQ}")
            r.nat(owner, f"-A {ext_chain} {_cm(f'route LOCAL traffic for {name} external destinations')} "
                         f"-m addrtype --src-type LOCAL -j {cluster_chain}")
        if has_external:
            r.nat(owner, f"-A {ext_chain} -j {external_policy_chain}")
    if uses_fw_chain:
        r.nat_chain(owner, fw_chain)
        args = f"-A {fw_chain} {_cm(f'{name} loadbalancer IP')}"
        allow_from_node = False
        for cidr in sp.load_balancer_source_ranges:
            r.nat(owner, f"{args} -s {cidr} -j {ext_chain}")
            if o.node_ip and ipaddress.ip_address(o.node_ip) in ipaddress.ip_network(cidr):
                allow_from_node = True
        if allow_from_node:
            # A VIP-like LB's address is often local: node -> VIP loops back with the VIP as source.
            for lbip in sp.load_balancer_ips:
                r.nat(owner, f"{args} -s {lbip} -j {ext_chain}")
        # Not DNATed by now: KUBE-PROXY-FIREWALL drops it in the filter table.
        r.nat(owner, f"-A {fw_chain} {_cm(f'other traffic to {name} will be dropped by KUBE-PROXY-FIREWALL')}")
    if uses_cluster_chain:
        r.nat_chain(owner, cluster_chain)
        _to_endpoints(r, owner, name, sp, cluster_chain, cluster_eps, o.large)
    if uses_local_chain:
        r.nat_chain(owner, local_chain)
        _to_endpoints(r, owner, name, sp, local_chain, local_eps, o.large)
    # Per-endpoint chains: hairpin masquerade (a pod reaching itself through its Service
    # must see the node as the source, or the reply short-cuts), then DNAT.
    comment = "" if o.large else f"{_cm(name)} "
    for e in reachable:
        sep = endpoint_chain_name(name, proto, str(e))
        r.nat_chain(owner, sep)
        r.nat(owner, f"-A {sep} {comment}-s {e.ip} -j {KUBE_MARK_MASQ}")
        recent = f"-m recent --name {sep} --set " if sp.session_affinity else ""
        r.nat(owner, f"-A {sep} {comment}{recent}{match} -j DNAT --to-destination {e}")


def _to_endpoints(r: RestoreInput, owner: str, name: str, sp: ServicePort, chain: str, eps: list[Endpoint],
                  large: bool) -> None:
    """``writeServiceToEndpointRules``: affinity checks, then one random pick per endpoint.

    Endpoint *i* of *n* is taken with probability 1/(n-i) *given that the earlier rules did
    not match*, so each ends up with 1/n overall; the last rule always matches.
    """
    proto = sp.protocol.lower()
    seps = [endpoint_chain_name(name, proto, str(e)) for e in eps]
    if sp.session_affinity:
        for e, sep in zip(eps, seps):
            comment = "" if large else f'-m comment --comment "{name} -> {e}" '
            r.nat(owner, f"-A {chain} {comment}-m recent --name {sep} --rcheck "
                         f"--seconds {sp.sticky_seconds} --reap -j {sep}")
    n = len(eps)
    for i, (e, sep) in enumerate(zip(eps, seps)):
        comment = "" if large else f'-m comment --comment "{name} -> {e}" '
        stat = f"-m statistic --mode random --probability {probability(n - i)} " if i < n - 1 else ""
        r.nat(owner, f"-A {chain} {comment}{stat}-j {sep}")
