"""kube-proxy's iptables rules as a pure function of Services and EndpointSlices.

``iptables_rules(services, slices, "node-1")`` returns what ``iptables-save`` shows on that
node after kube-proxy's first ``syncProxyRules`` (pkg/proxy/iptables/proxier.go): the
built-in chains with kube-proxy's jump rules, the fixed chains (``KUBE-SERVICES``,
``KUBE-EXTERNAL-SERVICES``, ``KUBE-FORWARD``, ``KUBE-NODEPORTS``, ``KUBE-PROXY-FIREWALL``,
``KUBE-POSTROUTING``, ``KUBE-MARK-MASQ``, kubelet's ``KUBE-FIREWALL``), and per service port
``KUBE-SVC-<hash>`` (pick an endpoint at random), ``KUBE-SVL-<hash>`` (this node's
endpoints, for a ``Local`` traffic policy), ``KUBE-EXT-<hash>`` (NodePort / external IP /
load-balancer traffic), ``KUBE-FW-<hash>`` (``loadBalancerSourceRanges``) and one
``KUBE-SEP-<hash>`` per endpoint (DNAT to it).

:func:`generate` is ``syncProxyRules`` minus the I/O: it returns the
:class:`RestoreInput` kube-proxy hands to ``iptables-restore --noflush``, tagged by
Service so a partial sync can leave unchanged Services' chains out. Rules keep the
argument order kube-proxy writes (upstream's ``proxier_test.go`` golden output, e.g.
``-m comment --comment ... -m tcp -p tcp -d IP --dport N``); the kernel's own
``iptables-save`` would print them normalised (``-d 10.96.0.1/32 -p tcp -m comment ...``).

>>> text = iptables_rules([], [], "node-1")
>>> "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000" in text
True
"""

from __future__ import annotations

from typing import Iterable

from .endpointslices import endpoint_slices_map
from .iptables_service import Opts, RestoreInput, write_service
from .names import (DEFAULT_CLUSTER_CIDR, EXT_PREFIX, FW_PREFIX, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD,  # noqa: F401
                    KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_PROXY_FIREWALL, KUBE_SERVICES,
                    KUBELET_FIREWALL, LARGE_CLUSTER_ENDPOINTS_THRESHOLD, MASQUERADE_BIT, NFACCT_CT_STATE_INVALID,
                    NFACCT_LOCALHOST_NODEPORTS, SEP_PREFIX, SERVICE_CHAIN_PREFIXES, SVC_PREFIX, SVL_PREFIX,
                    endpoint_chain_name, masquerade_mark, port_proto_hash, probability, service_chain_name)
from .servicemap import Endpoint, ServicePort, endpoints_map, service_ports
from .tables import NodeTables

# pkg/proxy/iptables/proxier.go: iptablesJumpChains then iptablesKubeletJumpChains
# (table, kube chain, built-in chain, comment, extra args). Each is installed with
# EnsureRule(Prepend, ...) in this order, so within a built-in chain later entries end up first.
_NEW = "-m conntrack --ctstate NEW "
JUMPS = [
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
    ("filter", KUBELET_FIREWALL, "INPUT", "", ""),
    ("filter", KUBELET_FIREWALL, "OUTPUT", "", ""),
]


def jump_rule(table: str, chain: str, builtin: str, comment: str, extra: str) -> str:
    """The rule ``EnsureRule`` installs in a built-in chain for one ``JUMPS`` entry."""
    cm = f'-m comment --comment "{comment}" ' if comment else ""
    return f"-A {builtin} {extra}{cm}-j {chain}"


def install_jumps(tables: NodeTables) -> None:
    """A full sync's ``EnsureChain`` + ``EnsureRule(Prepend)`` for every jump (idempotent)."""
    for table, chain, builtin, comment, extra in JUMPS:
        tables.ensure_chain(table, chain)
        tables.ensure_rule_prepend(table, builtin, jump_rule(table, chain, builtin, comment, extra))


def iptables_rules(services: Iterable[dict], slices: Iterable[dict], node_name: str, *,
                   cluster_cidr: str | None = DEFAULT_CLUSTER_CIDR, masquerade_all: bool = False,
                   masquerade_bit: int = MASQUERADE_BIT, localhost_nodeports: bool = True,
                   random_fully: bool = True, nfacct: bool = True, node_ip: str | None = None) -> str:
    """``iptables-save`` (filter + nat) on a fresh node after kube-proxy's first sync.

    ``services`` / ``slices`` are API objects (dicts): Services and ``discovery.k8s.io/v1``
    EndpointSlices (legacy ``Endpoints`` objects — dicts with ``subsets`` — are read the
    old way, see :func:`.servicemap.endpoints_map`). ``node_name`` decides which endpoints
    are local; ``cluster_cidr`` is ``--cluster-cidr`` (``None``: no local-traffic detector);
    ``localhost_nodeports`` is ``--iptables-localhost-nodeports`` (default true);
    ``random_fully`` / ``nfacct`` say whether the node's iptables supports
    ``MASQUERADE --random-fully`` and the nfacct match (a current kernel does).
    """
    services, slices = list(services), list(slices)
    legacy = [o for o in slices if "subsets" in o or o.get("kind") == "Endpoints"]
    epmap = endpoint_slices_map([o for o in slices if o not in legacy], node_name)
    if legacy:
        epmap.update(endpoints_map(legacy, node_name))
    rin = generate(service_ports(services), epmap, cluster_cidr=cluster_cidr, masquerade_all=masquerade_all,
                   masquerade_bit=masquerade_bit, localhost_nodeports=localhost_nodeports,
                   random_fully=random_fully, nfacct=nfacct, node_ip=node_ip)
    tables = NodeTables()
    install_jumps(tables)
    tables.restore(rin.text())
    return tables.save()


def generate(sps: list[ServicePort], epmap: dict[tuple, list[Endpoint]], *,
             cluster_cidr: str | None = DEFAULT_CLUSTER_CIDR, masquerade_all: bool = False,
             masquerade_bit: int = MASQUERADE_BIT, localhost_nodeports: bool = True,
             random_fully: bool = True, nfacct: bool = True, node_ip: str | None = None) -> RestoreInput:
    """``syncProxyRules`` minus the I/O: the full restore input, every line tagged.

    Lines are written in upstream's order: the fixed filter/nat chains, KUBE-POSTROUTING
    and KUBE-MARK-MASQ, kubelet's localnet rule, then each service port (sorted by name,
    upstream walks a map) — its KUBE-SERVICES / KUBE-NODEPORTS / filter rules (always
    written) and its own chains (tagged with the Service for a partial sync) — then the
    KUBE-SERVICES tail call to KUBE-NODEPORTS and the KUBE-FORWARD rules.
    """
    mark = masquerade_mark(masquerade_bit)
    total = sum(len(epmap.get(sp.key, ())) for sp in sps)
    o = Opts(if_local=f"-s {cluster_cidr}" if cluster_cidr else "",
             if_not_local=f"! -s {cluster_cidr}" if cluster_cidr else "",
             masquerade_all=masquerade_all, large=total > LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
             localhost_nodeports=localhost_nodeports, nfacct=nfacct, node_ip=node_ip)
    r = RestoreInput(total_endpoints=total, large=o.large)
    for c in (KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL):
        r.filter_chain(c)
    for c in (KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ):
        r.nat_chain(None, c)
    r.nat(None, f"-A {KUBE_POSTROUTING} -m mark ! --mark {mark}/{mark} -j RETURN")
    # Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
    r.nat(None, f"-A {KUBE_POSTROUTING} -j MARK --xor-mark {mark}")
    r.nat(None, f'-A {KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" '
                f"-j MASQUERADE{' --random-fully' if random_fully else ''}")
    r.nat(None, f"-A {KUBE_MARK_MASQ} -j MARK --or-mark {mark}")
    if localhost_nodeports:
        # route_localnet (needed for NodePorts on 127.0.0.1) opens a hole (kubernetes#90259);
        # this copy of kubelet's rule closes it.
        r.filter_chain(KUBELET_FIREWALL)
        r.filter(f'-A {KUBELET_FIREWALL} -m comment --comment "block incoming localnet connections" '
                 "-d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP")
    for sp in sps:
        write_service(r, sp, epmap.get(sp.key, []), o)
    r.mark_tail()
    # Tail-call to the nodeports chain: it must be the last rule in KUBE-SERVICES.
    not_localhost = "" if localhost_nodeports else " ! -d 127.0.0.0/8"
    r.nat(None, f'-A {KUBE_SERVICES} -m comment --comment "kubernetes service nodeports; NOTE: this must be '
                f'the last rule in this chain" -m addrtype --dst-type LOCAL{not_localhost} -j {KUBE_NODEPORTS}')
    acct = f" -m nfacct --nfacct-name {NFACCT_CT_STATE_INVALID}" if nfacct else ""
    r.filter(f"-A {KUBE_FORWARD} -m conntrack --ctstate INVALID{acct} -j DROP")  # kubernetes#74839
    r.filter(f'-A {KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" '
             f"-m mark --mark {mark}/{mark} -j ACCEPT")
    r.filter(f'-A {KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" '
             "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
    return r


def is_service_chain(name: str) -> bool:
    """``isServiceChainName``: a chain kube-proxy may delete when no longer active."""
    return name.startswith(SERVICE_CHAIN_PREFIXES)
