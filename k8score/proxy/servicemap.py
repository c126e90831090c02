"""What kube-proxy distils from Services and Endpoints before it writes a single rule.

Upstream keeps two maps, built by ``pkg/proxy/servicechangetracker.go``
(``ServicePortName -> ServicePort``) and ``pkg/proxy/endpointschangetracker.go`` +
``endpointslicecache.go`` (``ServicePortName -> []Endpoint``). Rule generation only ever
reads those maps, so here they are plain functions of the API objects:

- :func:`service_ports` — one :class:`ServicePort` per (Service, port), skipping what
  kube-proxy never proxies (``pkg/proxy/util/utils.go: ShouldSkipService``: ExternalName
  Services and headless ones, ``clusterIP: None``);
- :func:`endpoint_slices_map` (:mod:`.endpointslices`) — the endpoints of each service
  port from **EndpointSlices**, what kube-proxy reads since 1.21
  (``pkg/proxy/endpointslicecache.go``): ready / serving / terminating conditions;
- :func:`endpoints_map` — the same from legacy **Endpoints** objects (``addresses`` ready,
  ``notReadyAddresses`` not; no "terminating"), kept for callers that still hold them;
- :func:`categorize_endpoints` — ``pkg/proxy/topology.go: CategorizeEndpoints``.

Both take ``on_error(obj, exc)``: an object kube-proxy cannot read (a wrong type or an
address that is not an IP, stored by something that skipped validation) is left out and
reported there, and the other objects still get their rules. Without it the error raises.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable

ErrorHandler = Callable[[dict, Exception], Any]
# pkg/apis/core/validation/validation.go: ports are 1..65535; ClientIP timeoutSeconds 1..86400
_MAX_PORT = 65535
_MAX_STICKY_SECONDS = 86400
_PROTOCOLS = ("TCP", "UDP", "SCTP")

# pkg/apis/core/v1/defaults.go / pkg/apis/core/types.go: DefaultClientIPServiceAffinitySeconds
DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800


@dataclass(frozen=True)
class ServicePort:
    """One port of one Service (upstream ``BaseServicePortInfo``)."""

    namespace: str
    name: str
    port_name: str
    protocol: str              # "TCP" | "UDP" | "SCTP"
    cluster_ip: str
    port: int
    node_port: int = 0
    external_ips: tuple[str, ...] = ()
    session_affinity: bool = False
    sticky_seconds: int = DEFAULT_CLIENT_IP_AFFINITY_SECONDS
    external_policy_local: bool = False   # ExternalPolicyLocal(): only if externally accessible
    internal_policy_local: bool = False
    #: status.loadBalancer.ingress[].ip (not ipMode Proxy): ``LoadBalancerVIPs()``
    load_balancer_ips: tuple[str, ...] = ()
    #: spec.loadBalancerSourceRanges, whitespace trimmed (``LoadBalancerSourceRanges()``)
    load_balancer_source_ranges: tuple[str, ...] = ()
    #: spec.healthCheckNodePort when ``NeedsHealthCheck`` (LoadBalancer + Local policy), else 0
    health_check_node_port: int = 0

    @property
    def name_string(self) -> str:
        """``ServicePortName.String()``: ``ns/name`` plus ``:port`` when the port is named."""
        base = f"{self.namespace}/{self.name}"
        return f"{base}:{self.port_name}" if self.port_name else base

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.namespace, self.name, self.port_name, self.protocol)

    @property
    def service_name(self) -> str:
        """The Service's ``namespace/name`` (what a partial sync tracks as changed)."""
        return f"{self.namespace}/{self.name}"

    @property
    def externally_accessible(self) -> bool:
        """``ExternallyAccessible()``: a NodePort, a LoadBalancer IP or an external IP."""
        return self.node_port != 0 or bool(self.external_ips) or bool(self.load_balancer_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        """``UsesClusterEndpoints()`` (pkg/proxy/serviceport.go): internal policy Cluster, or
        any external access (even Local external policy short-circuits pods to Cluster)."""
        return not self.internal_policy_local or self.externally_accessible

    @property
    def uses_local_endpoints(self) -> bool:
        """``UsesLocalEndpoints()``: internal policy Local, or external policy Local."""
        return self.internal_policy_local or (self.external_policy_local and self.externally_accessible)


@dataclass(frozen=True)
class Endpoint:
    """One backend of a service port (upstream ``BaseEndpointInfo``)."""

    ip: str
    port: int
    ready: bool
    node_name: str | None
    is_local: bool
    #: EndpointSlice ``conditions.serving`` (defaults to ready, as upstream) and
    #: ``conditions.terminating``; Endpoints objects cannot say either.
    serving: bool | None = None
    terminating: bool = False

    @property
    def is_serving(self) -> bool:
        return self.ready if self.serving is None else self.serving

    def __str__(self) -> str:  # net.JoinHostPort(ip, port)
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


def should_skip_service(svc: dict) -> bool:
    """``pkg/proxy/util/utils.go: ShouldSkipService``."""
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return True
    ip = spec.get("clusterIP")
    return not ip or ip == "None"


def service_ports(services: list[dict], on_error: ErrorHandler | None = None) -> list[ServicePort]:
    """Every proxied service port, sorted by ``ServicePortName`` string then protocol.

    Upstream iterates a Go map (random order); sorting keeps the generated rules stable.
    """
    out: list[ServicePort] = []
    for svc in services:
        try:
            out.extend(_ports_of(svc))
        except Exception as exc:  # noqa: BLE001 - one unreadable Service loses only its own rules
            if on_error is None:
                raise
            on_error(svc, exc)
    out.sort(key=lambda sp: (sp.name_string, sp.protocol))
    return out


def _ports_of(svc: dict) -> list[ServicePort]:
    if should_skip_service(svc):
        return []
    meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    affinity = spec.get("sessionAffinity") == "ClientIP"
    sticky = (((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {})
              .get("timeoutSeconds") or DEFAULT_CLIENT_IP_AFFINITY_SECONDS)
    external_ips = tuple(_ip(ip, "spec.externalIPs") for ip in spec.get("externalIPs") or ())
    cluster_ip = _ip(spec["clusterIP"], "spec.clusterIP")
    is_lb = spec.get("type") == "LoadBalancer"
    # pkg/proxy/serviceport.go newBaseServiceInfo: ingress IPs in ipMode "Proxy" are the load
    # balancer's own business (it proxies to the NodePort); source ranges are trimmed.
    lb_ips = tuple(_ip(i["ip"], "status.loadBalancer.ingress[].ip")
                   for i in (((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ())
                   if isinstance(i, dict) and i.get("ip") and i.get("ipMode") != "Proxy")
    ranges = tuple(_cidr(r) for r in spec.get("loadBalancerSourceRanges") or ())
    external_local = spec.get("externalTrafficPolicy") == "Local"
    out = []
    for p in spec.get("ports") or ():
        node_port = p.get("nodePort") or 0 if spec.get("type") in ("NodePort", "LoadBalancer") else 0
        accessible = bool(node_port or external_ips or lb_ips)
        # pkg/api/v1/service/util.go NeedsHealthCheck: LoadBalancer with Local external policy
        hc = spec.get("healthCheckNodePort") or 0 if is_lb and external_local else 0
        out.append(ServicePort(
            namespace=_str(meta.get("namespace") or "default"), name=_str(meta.get("name", "")),
            port_name=_str(p.get("name") or ""), protocol=_protocol(p.get("protocol") or "TCP"),
            cluster_ip=cluster_ip, port=_int(p["port"], 1, _MAX_PORT, "port"),
            node_port=_int(node_port, 0, _MAX_PORT, "nodePort"),
            external_ips=external_ips, session_affinity=affinity,
            sticky_seconds=_int(sticky, 1, _MAX_STICKY_SECONDS, "timeoutSeconds"),
            external_policy_local=external_local and accessible,
            internal_policy_local=spec.get("internalTrafficPolicy") == "Local",
            load_balancer_ips=lb_ips, load_balancer_source_ranges=ranges,
            health_check_node_port=_int(hc, 0, _MAX_PORT, "healthCheckNodePort"),
        ))
    return out


def _ip(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{field}: {value!r:.60} is not a string")
    ipaddress.ip_address(value)  # ValueError: "... does not appear to be an IPv4 or IPv6 address"
    return value


def _cidr(value: Any) -> str:
    """One source range, whitespace trimmed like upstream (``" 203.0.113.0/25"`` is accepted)."""
    text = _str(value).strip()
    return str(ipaddress.ip_network(text, strict=False))


def _int(value: Any, low: int, high: int, field: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"{field}: {value!r:.60} is not an integer in {low}..{high}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r:.60} is not a string")
    return value


def _protocol(value: Any) -> str:
    if value not in _PROTOCOLS:
        raise ValueError(f"protocol: {value!r:.60} is not one of {', '.join(_PROTOCOLS)}")
    return value


EndpointsMap = dict[tuple[str, str, str, str], list[Endpoint]]


def endpoints_map(endpoints: list[dict], node_name: str, on_error: ErrorHandler | None = None) -> EndpointsMap:
    """``(namespace, name, portName, protocol) -> endpoints``, each list sorted like upstream.

    ``endpointslicecache.go`` sorts each service port's endpoints by their ``ip:port``
    string ("to simplify diffing"), so ``10.244.1.10:80`` comes before ``10.244.1.2:80``;
    the SEP chains and their probabilities follow that order. Duplicates (the same
    ``ip:port`` in two subsets) collapse, ready winning over not ready.
    """
    out: dict[tuple[str, str, str, str], dict[str, Endpoint]] = {}
    for ep in endpoints:
        try:
            found = _endpoints_of(ep, node_name)
        except Exception as exc:  # noqa: BLE001 - one unreadable Endpoints loses only its own rules
            if on_error is None:
                raise
            on_error(ep, exc)
            continue
        for key, e in found:
            bucket = out.setdefault(key, {})
            prev = bucket.get(str(e))
            if prev is None or (e.ready and not prev.ready):
                bucket[str(e)] = e
    return {k: [v[s] for s in sorted(v)] for k, v in out.items()}


def _endpoints_of(ep: dict, node_name: str) -> list[tuple[tuple[str, str, str, str], Endpoint]]:
    meta = ep.get("metadata") or {}
    ns, name = _str(meta.get("namespace") or "default"), _str(meta.get("name", ""))
    found = []
    for subset in ep.get("subsets") or ():
        groups = [(a, True) for a in subset.get("addresses") or ()] + \
                 [(a, False) for a in subset.get("notReadyAddresses") or ()]
        for port in subset.get("ports") or ():
            key = (ns, name, _str(port.get("name") or ""), _protocol(port.get("protocol") or "TCP"))
            num = port.get("port") or 0
            for addr, ready in groups:
                ip = addr.get("ip")
                if not ip or type(num) is not int or num <= 0:  # isValidEndpoint
                    continue
                _ip(ip, "ip")
                node = addr.get("nodeName")
                found.append((key, Endpoint(ip=ip, port=_int(num, 1, _MAX_PORT, "port"), ready=ready,
                                            node_name=node, is_local=node == node_name)))
    return found


def categorize_endpoints(sp: ServicePort, eps: list[Endpoint]
                         ) -> tuple[list[Endpoint], list[Endpoint], list[Endpoint], bool]:
    """``pkg/proxy/topology.go: CategorizeEndpoints`` (without topology hints).

    Returns ``(cluster, local, all reachable, has any endpoints)``:

    - *cluster*: ready endpoints anywhere, or — if none is ready anywhere — the serving
      terminating ones (a rolling update keeps working); empty unless the service port
      :attr:`~ServicePort.uses_cluster_endpoints`;
    - *local*: this node's ready endpoints, else this node's serving terminating ones;
      empty unless it :attr:`~ServicePort.uses_local_endpoints`;
    - *all reachable*: the union — the endpoints that get a ``KUBE-SEP`` chain here,
      sorted by ``ip:port`` (upstream builds it from a map);
    - *has any*: usable endpoints exist somewhere in the cluster (decides REJECT vs DROP).
    """
    cluster: list[Endpoint] = []
    has_any = False
    fallback_local = False
    if sp.uses_cluster_endpoints:
        cluster = [e for e in eps if e.ready]
        if not cluster:
            cluster = [e for e in eps if e.is_serving and e.terminating]
        has_any = bool(cluster)
    if not sp.uses_local_endpoints:
        return cluster, [], cluster, has_any
    local_ready = local_term = False
    for e in eps:
        if e.ready:
            has_any = True
            local_ready = local_ready or e.is_local
        elif e.is_serving and e.terminating:
            has_any = True
            local_term = local_term or e.is_local
    local: list[Endpoint] = []
    if local_ready:
        local = [e for e in eps if e.is_local and e.ready]
    elif local_term:
        fallback_local = True
        local = [e for e in eps if e.is_local and e.is_serving and e.terminating]
    if not sp.uses_cluster_endpoints:
        return [], local, local, has_any
    if not fallback_local:
        return cluster, local, cluster, has_any  # cluster holds every ready endpoint
    merged = {str(e): e for e in cluster}
    merged.update((str(e), e) for e in local)
    return cluster, local, [merged[k] for k in sorted(merged)], has_any


def categorize(sp: ServicePort, eps: list[Endpoint]) -> tuple[list[Endpoint], list[Endpoint], bool]:
    """``(cluster endpoints, local endpoints, has any endpoints)`` — :func:`categorize_endpoints`
    without the union (kept for callers of the earlier 3-tuple)."""
    cluster, local, _, has_any = categorize_endpoints(sp, eps)
    return cluster, local, has_any
