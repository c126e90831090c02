"""The CoreDNS *kubernetes* plugin's answers, as a pure function of the cached objects.

Upstream: ``coredns/coredns`` ``plugin/kubernetes/parse.go`` (``parseRequest``),
``kubernetes.go`` (``Records``, ``findServices``, ``findPods``), ``reverse.go`` (PTR),
``plugin/backend_lookup.go`` (``A``/``SRV``: duplicates dropped, SRV weights) and the
Kubernetes DNS specification (``kubernetes/dns`` ``docs/specification.md``). The names it
answers inside the cluster zone (``cluster.local``)::

    <svc>.<ns>.svc.cluster.local                  A     ClusterIP; headless: each ready endpoint IP
    <endpoint>.<svc>.<ns>.svc.cluster.local       A     one endpoint: its hostname or dashed IP
    _<port>._<proto>.<svc>.<ns>.svc.cluster.local SRV   0 <weight> <port> <target>. per named port
    <svc>.<ns>.svc.cluster.local                  SRV   every port (a port without a name too)
    <a-b-c-d>.<ns>.pod.cluster.local              A     a.b.c.d ("pods insecure": not checked;
                                                        "pods verified": a pod with that IP in <ns>)
    <ExternalName svc>.<ns>.svc.cluster.local     CNAME spec.externalName
    <d.c.b.a>.in-addr.arpa                        PTR   the Service/endpoint with that IP

Everything else in the zone is ``NXDOMAIN`` (no such Service, a namespace that does not
exist, a name of the wrong shape), except names that exist without records of the asked
type — the zone apex, ``svc.cluster.local``, ``<ns>.svc.cluster.local`` of an existing
namespace, an AAAA question for an IPv4 Service — which are ``NOERROR`` with no answer
(NODATA). Only ``endpoints.subsets[].addresses`` (ready pods) are served; a headless Service
with no ready endpoint is NXDOMAIN (``findServices`` keeps ``errNoItems`` until it finds one). Not modelled: the SOA/NS records in the authority
section, ``dns-version`` TXT, multicluster, zone-scoped names, ``endpoint_pod_names``.

>>> z = KubernetesZone()
>>> z.parse("_http._tcp.web.default.svc.cluster.local")
('svc', 'default', 'web', '', 'http', 'tcp')
"""

from __future__ import annotations

import ipaddress
from typing import Protocol

from ..container.net import DnsRecord, DnsReply

#: kubeadm's Corefile (cmd/kubeadm/app/phases/addons/dns/manifests.go): ``ttl 30``.
#: (The plugin's own default is 5: plugin/kubernetes/kubernetes.go ``defaultTTL``.)
KUBEADM_TTL = 30
#: plugin/kubernetes/kubernetes.go: podModeDisabled / podModeVerified / podModeInsecure.
POD_MODES = ("disabled", "verified", "insecure")

_INVALID = "invalid"  # parse result for errInvalidRequest


class ClusterView(Protocol):
    """What the plugin reads from its informers (see :class:`.coredns.CoreDNS`)."""

    def service(self, namespace: str, name: str) -> dict | None: ...
    def endpoints_of(self, namespace: str, name: str) -> dict | None: ...
    def namespace_exists(self, namespace: str) -> bool: ...
    def pods_with_ip(self, ip: str) -> list[dict]: ...
    def all_services(self) -> list[dict]: ...
    def all_endpoints(self) -> list[dict]: ...


class KubernetesZone:
    """``kubernetes <zone> in-addr.arpa ip6.arpa { pods <mode>; ttl <ttl> }``."""

    def __init__(self, zone: str = "cluster.local", pod_mode: str = "insecure", ttl: int = KUBEADM_TTL,
                 namespaces: tuple[str, ...] = ()):
        if pod_mode not in POD_MODES:
            raise ValueError(f"pods: invalid value {pod_mode!r}; want one of {', '.join(POD_MODES)}")
        self.zone = zone.strip(".").lower()
        self.pod_mode = pod_mode
        self.ttl = ttl
        #: The ``namespaces`` option: only these are exposed (empty: all).
        self.namespaces = tuple(namespaces)

    # -- which questions are ours -------------------------------------------------------
    def handles(self, name: str) -> bool:
        """Is ``name`` inside the cluster zone (the reverse zones fall through unless matched)?"""
        n = name.rstrip(".").lower()
        return n == self.zone or n.endswith("." + self.zone)

    def parse(self, name: str) -> tuple[str, str, str, str, str, str] | str:
        """parse.go ``parseRequest``: ``(pod|svc, namespace, service, endpoint, port, protocol)``.

        Returns ``"invalid"`` for errInvalidRequest (NXDOMAIN). Missing parts are ``""``:
        the apex and ``svc.<zone>`` give ``("", ...)`` (NODATA).
        """
        n = name.rstrip(".").lower()
        base = n[: -len(self.zone)].rstrip(".") if n != self.zone else ""
        if base in ("", "svc", "pod"):
            return ("", "", "", "", "", "")
        segs = base.split(".")
        kind = segs.pop()
        if kind not in ("svc", "pod"):
            return _INVALID
        parts = [kind, "", "", "", "", ""]
        for i in (1, 2):                     # namespace, then service
            if not segs:
                return tuple(parts)  # type: ignore[return-value]
            parts[i] = segs.pop()
        if len(segs) == 1:                   # endpoint.service.namespace
            parts[3] = segs[0]
        elif len(segs) == 2:                 # _port._protocol.service.namespace
            parts[4], parts[5] = segs[0].removeprefix("_"), segs[1].removeprefix("_")
        elif segs:
            return _INVALID                  # too long: "can safely be delegated to return an nxdomain"
        return tuple(parts)  # type: ignore[return-value]

    # -- answers ---------------------------------------------------------------------------
    def answer(self, view: ClusterView, name: str, qtype: str) -> DnsReply:
        """The reply for one question in the cluster zone."""
        qname = name.rstrip(".")
        qtype = qtype.upper()
        reply = DnsReply(qname, qtype)
        req = self.parse(qname)
        if req == _INVALID:
            reply.rcode = "NXDOMAIN"
            return reply
        kind, ns, svc, endpoint, port, proto = req  # type: ignore[misc]
        if not kind:
            return reply                                        # apex: NODATA
        if not self._exposed(view, ns):
            reply.rcode = "NXDOMAIN"                            # errNsNotExposed
            return reply
        found = self._find_pods(view, ns, svc) if kind == "pod" else \
            self._find_services(view, ns, svc, endpoint, port, proto)
        if found is None:
            reply.rcode = "NXDOMAIN"                            # errNoItems
            return reply
        if qtype in ("A", "AAAA"):
            reply.answers = self._addresses(qname, qtype, found)
        elif qtype == "SRV" and kind == "svc":
            reply.answers, reply.extra = self._srv(qname, [f for f in found if f[0] != "CNAME"])
        return reply

    def reverse(self, view: ClusterView, name: str) -> DnsReply | None:
        """reverse.go: PTR for a Service ClusterIP or an endpoint address; None falls through."""
        ip = _ptr_ip(name)
        if ip is None:
            return None
        for svc in view.all_services():
            spec = svc.get("spec") or {}
            ips = spec.get("clusterIPs") or [spec.get("clusterIP")]
            if ip in ips:
                meta = svc.get("metadata") or {}
                target = f"{meta.get('name')}.{meta.get('namespace')}.svc.{self.zone}."
                return DnsReply(name.rstrip("."), "PTR", answers=[DnsRecord(name.rstrip("."), "PTR", self.ttl, target)])
        for ep in view.all_endpoints():
            meta = ep.get("metadata") or {}
            for subset in ep.get("subsets") or ():
                for addr in subset.get("addresses") or ():
                    if addr.get("ip") == ip:
                        target = (f"{_endpoint_hostname(addr)}.{meta.get('name')}.{meta.get('namespace')}"
                                  f".svc.{self.zone}.")
                        return DnsReply(name.rstrip("."), "PTR",
                                        answers=[DnsRecord(name.rstrip("."), "PTR", self.ttl, target)])
        return None

    # -- kubernetes.go ---------------------------------------------------------------------
    def _exposed(self, view: ClusterView, ns: str) -> bool:
        """namespace.go ``namespaceExposed``: configured and existing (per the informer)."""
        if self.namespaces and ns not in self.namespaces:
            return False
        return view.namespace_exists(ns)

    def _find_pods(self, view: ClusterView, ns: str, podname: str) -> list[tuple] | None:
        """``findPods``: a name of the pod's IP with dashes; insecure mode does not look it up."""
        if self.pod_mode == "disabled":
            return None
        if not podname:
            return []                                           # NODATA
        if podname.count("-") == 3 and "--" not in podname:
            ip = podname.replace("-", ".")
        else:
            ip = podname.replace("-", ":")
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            return None
        if self.pod_mode == "insecure":
            return [("IP", ip, -1, "")]
        for pod in view.pods_with_ip(ip):
            if (pod.get("metadata") or {}).get("namespace", "").lower() == ns:
                return [("IP", ip, -1, "")]
        return None

    def _find_services(self, view: ClusterView, ns: str, name: str, endpoint: str, port: str,
                       proto: str) -> list[tuple] | None:
        """``findServices``: ``[(kind, host, port, target name)]`` or None for errNoItems."""
        if not name:
            return []                                           # <ns>.svc.<zone>: NODATA
        svc = view.service(ns, name)
        if svc is None:
            return None
        spec = svc.get("spec") or {}
        base = f"{name}.{ns}.svc.{self.zone}"
        if spec.get("type") == "ExternalName":
            if endpoint or not spec.get("externalName"):
                return None
            return [("CNAME", str(spec["externalName"]).rstrip("."), -1, base)]
        out: list[tuple] = []
        if spec.get("clusterIP") == "None" or endpoint:         # headless, or one endpoint
            ep = view.endpoints_of(ns, name) or {}
            for subset in ep.get("subsets") or ():
                ports = subset.get("ports") or [{"port": -1}]   # "Add sentinel if there are no ports."
                for addr in subset.get("addresses") or ():
                    host = _endpoint_hostname(addr)
                    if endpoint and endpoint != host.lower():
                        continue
                    for p in ports:
                        if _match_port(port, proto, p):
                            out.append(("IP", addr.get("ip", ""), int(p.get("port", -1)), f"{host}.{base}"))
            return out or None
        ports = spec.get("ports") or [{"port": -1}]
        matched = [p for p in ports if _match_port(port, proto, p)]
        if not matched:
            return None
        ips = spec.get("clusterIPs") or [spec.get("clusterIP")]
        for p in matched:
            for ip in ips:
                if ip:
                    out.append(("IP", ip, int(p.get("port", -1)), base))
        return out

    # -- backend_lookup.go -------------------------------------------------------------------
    def _addresses(self, qname: str, qtype: str, found: list[tuple]) -> list[DnsRecord]:
        """``A``/``AAAA``: one record per distinct address of the asked family (``dup`` map)."""
        out: list[DnsRecord] = []
        seen: set[str] = set()
        for kind, host, _port, _target in found:
            if kind == "CNAME":
                out.append(DnsRecord(qname, "CNAME", self.ttl, host + "."))
                continue
            if (qtype == "A") != (":" not in host) or host in seen:
                continue
            seen.add(host)
            out.append(DnsRecord(qname, qtype, self.ttl, host))
        return out

    def _srv(self, qname: str, found: list[tuple]) -> tuple[list[DnsRecord], list[DnsRecord]]:
        """``SRV``: priority 0, weight ``floor(100 / n)`` for n records, port, target; the
        targets' A records go to the additional section. Port -1 (no ports) is left out."""
        weight = 100 // max(1, len(found))
        answers: list[DnsRecord] = []
        extra: list[DnsRecord] = []
        for _kind, host, port, target in found:
            if port == -1:
                continue
            rr = DnsRecord(qname, "SRV", self.ttl, f"0 {weight} {port} {target}.")
            if rr not in answers:
                answers.append(rr)
            a = DnsRecord(target, "AAAA" if ":" in host else "A", self.ttl, host)
            if a not in extra:
                extra.append(a)
        return answers, extra


def _endpoint_hostname(addr: dict) -> str:
    """kubernetes.go ``endpointHostname``: ``hostname``, else the IP with dashes."""
    if addr.get("hostname"):
        return str(addr["hostname"])
    ip = str(addr.get("ip", ""))
    return ip.replace(".", "-") if "." in ip else ip.replace(":", "-")


def _match_port(port: str, proto: str, p: dict) -> bool:
    """``matchPortAndProtocol``: an empty part of the question matches anything."""
    name = str(p.get("name") or "")
    protocol = str(p.get("protocol") or "TCP")
    return (not port or port == name.lower()) and (not proto or proto == protocol.lower())


def _ptr_ip(name: str) -> str | None:
    n = name.rstrip(".").lower()
    if not n.endswith(".in-addr.arpa"):
        return None
    octets = n[: -len(".in-addr.arpa")].split(".")
    if len(octets) != 4 or not all(o.isdigit() and int(o) < 256 for o in octets):
        return None
    return ".".join(reversed(octets))


def ptr_name(ip: str) -> str:
    """``10.96.0.10`` -> ``10.0.96.10.in-addr.arpa`` (what a reverse lookup asks)."""
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa"


__all__ = ["KubernetesZone", "ClusterView", "ptr_name", "KUBEADM_TTL", "POD_MODES"]
