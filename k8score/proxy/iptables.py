"""kube-proxy's iptables rules as a pure function of Services and Endpoints.

``iptables_rules(services, endpoints, "node-1")`` returns what ``iptables-save -t filter
-t nat`` would show on that node after kube-proxy's ``syncProxyRules``
(pkg/proxy/iptables/proxier.go): the built-in chains with kube-proxy's jump rules, the
fixed chains (``KUBE-SERVICES``, ``KUBE-NODEPORTS``, ``KUBE-POSTROUTING``,
``KUBE-MARK-MASQ``, ``KUBE-EXTERNAL-SERVICES``, ``KUBE-FORWARD``...), and per service port
``KUBE-SVC-<hash>`` (pick an endpoint at random), ``KUBE-SEP-<hash>`` (DNAT to it),
``KUBE-EXT-<hash>`` (NodePort / external IP traffic), ``KUBE-SVL-<hash>`` (local endpoints,
``externalTrafficPolicy: Local``).

Rules keep the argument order kube-proxy writes (as in upstream's ``proxier_test.go``
golden output, ``-m comment --comment ... -m tcp -p tcp -d IP --dport N``); a real
``iptables-save`` prints the same rules normalised (``-d 10.96.0.1/32 -p tcp -m comment
...``, ``--set-xmark`` for ``--or-mark``). Like iptables-save, chains are listed
built-ins first, then kube chains by name, each chain's rules together.

>>> text = iptables_rules([], [], "node-1")
>>> "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000" in text
True
"""

from __future__ import annotations

import base64
import hashlib
from typing import Iterable, NamedTuple

from .servicemap import Endpoint, ServicePort, categorize, endpoints_map, service_ports

# pkg/proxy/iptables/proxier.go: the fixed chains
KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
# pkg/proxy/iptables/proxier.go: servicePortPolicyClusterChainNamePrefix etc.
SVC_PREFIX, SVL_PREFIX, EXT_PREFIX, SEP_PREFIX = "KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-SEP-"
# pkg/proxy/apis/config/v1alpha1/defaults.go: IPTables.MasqueradeBit = 14 -> mark 0x4000
MASQUERADE_BIT = 14
# pkg/proxy/iptables/proxier.go: largeClusterEndpointsThreshold — above this many endpoints
# kube-proxy drops the per-endpoint comments (they cost ~40% of the restore input).
LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000
# --cluster-cidr (kubeadm podSubnet); the LocalTrafficDetector's "from a pod" test
DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"

# pkg/proxy/iptables/proxier.go: iptablesJumpChains (table, kube chain, built-in chain,
# comment, extra args). Each is installed with EnsureRule(Prepend), so within a built-in
# chain the later entries end up first.
_NEW = "-m conntrack --ctstate NEW "
_JUMPS = [
    ("filter", KUBE_EXTERNAL_SERVICES, "INPUT", "kubernetes externally-visible service portals", _NEW),
    ("filter", KUBE_EXTERNAL_SERVICES, "FORWARD", "kubernetes externally-visible service portals", _NEW),
    ("filter", KUBE_NODEPORTS, "INPUT", "kubernetes health check service ports", ""),
    ("filter", KUBE_SERVICES, "FORWARD", "kubernetes service portals", _NEW),
    ("filter", KUBE_SERVICES, "OUTPUT", "kubernetes service portals", _NEW),
    ("filter", KUBE_FORWARD, "FORWARD", "kubernetes forwarding rules", ""),
    ("filter", KUBE_PROXY_FIREWALL, "INPUT", "kubernetes load balancer firewall", _NEW),
    ("filter", KUBE_PROXY_FIREWALL, "OUTPUT", "kubernetes load balancer firewall", _NEW),
    ("filter", KUBE_PROXY_FIREWALL, "FORWARD", "kubernetes load balancer firewall", _NEW),
    ("nat", KUBE_SERVICES, "OUTPUT", "kubernetes service portals", ""),
    ("nat", KUBE_SERVICES, "PREROUTING", "kubernetes service portals", ""),
    ("nat", KUBE_POSTROUTING, "POSTROUTING", "kubernetes postrouting rules", ""),
]
_BUILTIN = {"filter": ("INPUT", "FORWARD", "OUTPUT"), "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")}
_FIXED = {"filter": (KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL),
          "nat": (KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ)}


def port_proto_hash(service_port_name: str, protocol: str) -> str:
    """``portProtoHash``: base32(sha256(servicePortName + lower(protocol)))[:16].

    >>> port_proto_hash("default/kubernetes:https", "tcp")
    'NPX46M4PTMTKRN6Y'
    """
    digest = hashlib.sha256((service_port_name + protocol).encode()).digest()
    return base64.b32encode(digest).decode()[:16]


def service_chain_name(service_port_name: str, protocol: str) -> str:
    """``servicePortPolicyClusterChain``: ``KUBE-SVC-`` + hash (protocol lower-case)."""
    return SVC_PREFIX + port_proto_hash(service_port_name, protocol.lower())


def endpoint_chain_name(service_port_name: str, protocol: str, endpoint: str) -> str:
    """``servicePortEndpointChainName``: sha256 over servicePortName + protocol + ``ip:port``."""
    digest = hashlib.sha256((service_port_name + protocol.lower() + endpoint).encode()).digest()
    return SEP_PREFIX + base64.b32encode(digest).decode()[:16]


def probability(n: int) -> str:
    """``computeProbability``: ``%0.10f`` of 1/n — endpoint *i* of *n* gets ``probability(n - i)``.

    >>> [probability(n) for n in (3, 2)]
    ['0.3333333333', '0.5000000000']
    """
    return f"{1.0 / n:0.10f}"


def masquerade_mark(bit: int = MASQUERADE_BIT) -> str:
    return hex(1 << bit)


def _q(comment: str) -> str:
    return f'"{comment}"' if " " in comment else comment


class _Tables:
    """Chains (declared in order) and their rules, per table — upstream's LineBuffers."""

    def __init__(self) -> None:
        self.chains: dict[str, dict[str, list[str]]] = {"filter": {}, "nat": {}}

    def chain(self, table: str, name: str) -> list[str]:
        rules = self.chains[table].get(name)
        if rules is None:
            rules = self.chains[table][name] = []
        return rules

    def render(self) -> str:
        out: list[str] = []
        for table in ("filter", "nat"):
            chains = self.chains[table]
            builtin = [c for c in _BUILTIN[table]]
            user = sorted(c for c in chains if c not in _BUILTIN[table])
            out.append(f"*{table}")
            out.extend(f":{c} ACCEPT [0:0]" for c in builtin)
            out.extend(f":{c} - [0:0]" for c in user)
            for c in builtin + user:
                out.extend(chains.get(c, ()))
            out.append("COMMIT")
        return "\n".join(out) + "\n"


def iptables_rules(services: Iterable[dict], endpoints: Iterable[dict], node_name: str, *,
                   cluster_cidr: str | None = DEFAULT_CLUSTER_CIDR, masquerade_all: bool = False,
                   masquerade_bit: int = MASQUERADE_BIT) -> str:
    """The node's filter + nat rules (iptables-save text) for these Services and Endpoints.

    ``services`` / ``endpoints`` are API objects (dicts) as the informers hold them;
    ``node_name`` decides which endpoints are local; ``cluster_cidr`` is kube-proxy's
    ``--cluster-cidr`` (traffic from outside it to a ClusterIP is masqueraded; ``None``
    disables that, like ``--detect-local-mode`` with nothing to detect).
    """
    return generate(service_ports(list(services)), endpoints_map(list(endpoints), node_name),
                    cluster_cidr=cluster_cidr, masquerade_all=masquerade_all,
                    masquerade_bit=masquerade_bit).render()


def generate(sps: list[ServicePort], epmap: dict[tuple, list[Endpoint]], *,
             cluster_cidr: str | None = DEFAULT_CLUSTER_CIDR, masquerade_all: bool = False,
             masquerade_bit: int = MASQUERADE_BIT) -> _Tables:
    """``syncProxyRules`` minus the I/O: fill the filter and nat tables."""
    t = _Tables()
    mark = masquerade_mark(masquerade_bit)
    for table, chain, builtin, comment, extra in _JUMPS:  # EnsureRule(Prepend, ...)
        t.chain(table, builtin).insert(0, f'-A {builtin} {extra}-m comment --comment "{comment}" -j {chain}')
    for table, chains in _FIXED.items():
        for c in chains:
            t.chain(table, c)
    t.chain("nat", KUBE_POSTROUTING).extend([
        f"-A {KUBE_POSTROUTING} -m mark ! --mark {mark}/{mark} -j RETURN",
        # Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
        f"-A {KUBE_POSTROUTING} -j MARK --xor-mark {mark}",
        _r(KUBE_POSTROUTING, _cm("kubernetes service traffic requiring SNAT"), "-j MASQUERADE --random-fully"),
    ])
    t.chain("nat", KUBE_MARK_MASQ).append(f"-A {KUBE_MARK_MASQ} -j MARK --or-mark {mark}")
    total = sum(len(epmap.get(sp.key, ())) for sp in sps)
    opts = _Opts(if_local=f"-s {cluster_cidr}" if cluster_cidr else "",
                 if_not_local=f"! -s {cluster_cidr}" if cluster_cidr else "",
                 masquerade_all=masquerade_all, large=total > LARGE_CLUSTER_ENDPOINTS_THRESHOLD)
    for sp in sps:
        _write_service(t, sp, epmap.get(sp.key, []), opts)
    # Tail-call to the nodeports chain; it must be the last rule in KUBE-SERVICES.
    t.chain("nat", KUBE_SERVICES).append(_r(
        KUBE_SERVICES, _cm("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
        "-m addrtype --dst-type LOCAL -j", KUBE_NODEPORTS))
    t.chain("filter", KUBE_FORWARD).extend([
        f"-A {KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP",  # kubernetes#74839
        _r(KUBE_FORWARD, _cm("kubernetes forwarding rules"), f"-m mark --mark {mark}/{mark} -j ACCEPT"),
        _r(KUBE_FORWARD, _cm("kubernetes forwarding conntrack rule"),
           "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
    ])
    return t


class _Opts(NamedTuple):
    if_local: str          # LocalTrafficDetector.IfLocal(): "-s <cluster CIDR>"
    if_not_local: str
    masquerade_all: bool
    large: bool            # largeClusterMode: drop per-endpoint comments


def _r(chain: str, *parts: str) -> str:
    """One ``-A chain ...`` line from its non-empty parts."""
    return " ".join(["-A", chain, *[p for p in parts if p]])


def _cm(comment: str) -> str:
    return f"-m comment --comment {_q(comment)}"


def _write_service(t: _Tables, sp: ServicePort, all_eps: list[Endpoint], o: _Opts) -> None:
    """The rules of one service port (the body of syncProxyRules' service loop)."""
    name, proto = sp.name_string, sp.protocol.lower()
    h = port_proto_hash(name, proto)
    svc_chain, svl_chain, ext_chain = SVC_PREFIX + h, SVL_PREFIX + h, EXT_PREFIX + h
    cluster_eps, local_eps, has_eps = categorize(sp, all_eps)
    # UsesClusterEndpoints / UsesLocalEndpoints (pkg/proxy/serviceport.go)
    uses_cluster = bool(cluster_eps) and (not sp.internal_policy_local or sp.externally_accessible)
    uses_local = bool(local_eps) and (sp.internal_policy_local or sp.external_policy_local)
    internal_chain = svl_chain if sp.internal_policy_local else svc_chain
    has_internal = bool(local_eps) if sp.internal_policy_local else has_eps
    has_external = bool(local_eps) if sp.external_policy_local else has_eps
    match = f"-m {proto} -p {proto}"
    dst = f"-d {sp.cluster_ip} --dport {sp.port}"
    # No endpoints at all: REJECT (the client gets "connection refused" at once);
    # endpoints, but none usable under a Local policy: DROP.
    target, why = ("REJECT", "has no endpoints") if not has_eps else ("DROP", "has no local endpoints")

    if has_eps and sp.externally_accessible:
        ext = t.chain("nat", ext_chain)
        if not sp.external_policy_local:
            # Endpoints may be on another node: masquerade so the replies come back here.
            ext.append(_r(ext_chain, _cm(f"masquerade traffic for {name} external destinations"),
                          "-j", KUBE_MARK_MASQ))
        else:
            # Keep the client's source IP; only pods and the node itself short-circuit
            # to every endpoint (as if they went out to a load balancer and back).
            if o.if_local:
                ext.append(_r(ext_chain, _cm(f"pod traffic for {name} external destinations"),
                              o.if_local, "-j", svc_chain))
            ext.append(_r(ext_chain, _cm(f"masquerade LOCAL traffic for {name} external destinations"),
                          "-m addrtype --src-type LOCAL -j", KUBE_MARK_MASQ))
            ext.append(_r(ext_chain, _cm(f"route LOCAL traffic for {name} external destinations"),
                          "-m addrtype --src-type LOCAL -j", svc_chain))
        if has_external:
            ext.append(_r(ext_chain, "-j", svl_chain if sp.external_policy_local else svc_chain))

    # Internal (ClusterIP) traffic.
    if has_internal:
        args = f"{_cm(f'{name} cluster IP')} {match} {dst}"
        internal = t.chain("nat", internal_chain)
        if o.masquerade_all:
            internal.append(_r(internal_chain, args, "-j", KUBE_MARK_MASQ))
        elif o.if_not_local:
            # Off-cluster traffic to a VIP (a static route to any node) may bounce
            # off-node again: masquerade it so the reply returns through this node.
            internal.append(_r(internal_chain, args, o.if_not_local, "-j", KUBE_MARK_MASQ))
        t.chain("nat", KUBE_SERVICES).append(_r(KUBE_SERVICES, args, "-j", internal_chain))
    else:
        t.chain("filter", KUBE_SERVICES).append(_r(KUBE_SERVICES, _cm(f"{name} {why}"), match, dst, "-j", target))

    for eip in sp.external_ips:
        if has_eps:
            t.chain("nat", KUBE_SERVICES).append(_r(KUBE_SERVICES, _cm(f"{name} external IP"), match,
                                                    f"-d {eip} --dport {sp.port} -j", ext_chain))
        if not has_external:
            t.chain("filter", KUBE_EXTERNAL_SERVICES).append(_r(
                KUBE_EXTERNAL_SERVICES, _cm(f"{name} {why}"), match, f"-d {eip} --dport {sp.port} -j", target))
    if sp.node_port:
        if has_eps:
            t.chain("nat", KUBE_NODEPORTS).append(_r(KUBE_NODEPORTS, _cm(name), match,
                                                     f"--dport {sp.node_port} -j", ext_chain))
        if not has_external:
            t.chain("filter", KUBE_EXTERNAL_SERVICES).append(_r(
                KUBE_EXTERNAL_SERVICES, _cm(f"{name} {why}"), "-m addrtype --dst-type LOCAL", match,
                f"--dport {sp.node_port} -j", target))

    if uses_cluster:
        _to_endpoints(t.chain("nat", svc_chain), name, sp, svc_chain, cluster_eps, o.large)
    if uses_local:
        _to_endpoints(t.chain("nat", svl_chain), name, sp, svl_chain, local_eps, o.large)

    # Per-endpoint chains: DNAT, plus hairpin masquerade (a pod reaching itself
    # through its Service must see the node as the source, or the reply short-cuts).
    reachable = (cluster_eps if uses_cluster else []) + \
        ([e for e in local_eps if e not in cluster_eps] if uses_local else [])
    comment = "" if o.large else f"{_cm(name)} "
    for e in reachable:
        sep = endpoint_chain_name(name, proto, str(e))
        rules = t.chain("nat", sep)
        rules.append(f"-A {sep} {comment}-s {e.ip} -j {KUBE_MARK_MASQ}")
        recent = f"-m recent --name {sep} --set " if sp.session_affinity else ""
        rules.append(f"-A {sep} {comment}{recent}{match} -j DNAT --to-destination {e}")


def _to_endpoints(rules: list[str], name: str, sp: ServicePort, chain: str, eps: list[Endpoint],
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
            rules.append(f"-A {chain} {comment}-m recent --name {sep} --rcheck "
                         f"--seconds {sp.sticky_seconds} --reap -j {sep}")
    n = len(eps)
    for i, (e, sep) in enumerate(zip(eps, seps)):
        comment = "" if large else f'-m comment --comment "{name} -> {e}" '
        stat = f"-m statistic --mode random --probability {probability(n - i)} " if i < n - 1 else ""
        rules.append(f"-A {chain} {comment}{stat}-j {sep}")
