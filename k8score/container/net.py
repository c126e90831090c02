"""A pod's view of the network, and the cluster network that connects pods, nodes and Services.

CONTRACT (other modules rely on these names; extend, do not rename):

- :class:`NetError` — a failed connection or lookup; ``str(err)`` is the C library's text
  (``Connection refused``, ``Connection timed out``, ``bad address 'x'``...).
- :class:`HttpRequest` / :class:`HttpResponse` — what an HTTP handler receives and returns.
- :class:`Network` — one per cluster: ``attach(ip, node=..., hostname=...) -> PodNet`` when a
  sandbox gets its IP, ``detach(ip)`` when it is torn down; ``http(...)`` / ``connect(...)`` from
  any source IP (the kubelet probes from the node's IP); ``resolver`` answers DNS names;
  ``service_router(node, src_ip, dst_ip, port, proto) -> (ip, port) | None`` is how a packet
  to a Service IP reaches an endpoint (kube-proxy's rules on the source's node).
- :class:`PodNet` — given to programs as ``proc.net``: ``listen(port, handler)``,
  ``http(host, port, ...)``, ``connect(host, port)``, ``resolve(name)``; it resolves names with
  the pod's ``/etc/resolv.conf`` rules (search list, ``ndots``).

Timing: calls are synchronous; a program that wants to show latency yields a ``Sleep`` itself.
"""

from __future__ import annotations

from typing import Any, Callable


class NetError(Exception):
    """A failed connect/lookup; the message is what libc's ``strerror``/resolver says."""


class HttpRequest:
    __slots__ = ("method", "path", "headers", "body", "src_ip", "host")

    def __init__(self, method: str = "GET", path: str = "/", headers: dict[str, str] | None = None,
                 body: str = "", src_ip: str = "", host: str = ""):
        self.method = method
        self.path = path
        self.headers = dict(headers or {})
        self.body = body
        self.src_ip = src_ip
        self.host = host


class HttpResponse:
    __slots__ = ("status", "reason", "headers", "body")

    def __init__(self, status: int = 200, body: str = "", headers: dict[str, str] | None = None,
                 reason: str | None = None):
        self.status = status
        self.reason = reason or _REASONS.get(status, "")
        self.headers = dict(headers or {})
        self.body = body


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found",
            400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
            503: "Service Unavailable"}

#: handler(request) -> HttpResponse for HTTP listeners; for plain TCP listeners the handler
#: is None (connect succeeds, nothing is exchanged).
Handler = Callable[[HttpRequest], HttpResponse] | None


class PodNet:
    """One network namespace (a pod's sandbox, or a node's host network)."""

    def __init__(self, network: "Network", ip: str, node: str = "", hostname: str = "",
                 search: list[str] | None = None, nameserver: str = "", ndots: int = 5):
        self.network = network
        self.ip = ip
        self.node = node
        self.hostname = hostname
        self.search = list(search or [])
        self.nameserver = nameserver
        self.ndots = ndots
        self.listeners: dict[tuple[str, int], Handler] = {}   # (proto, port) -> handler

    def listen(self, port: int, handler: Handler, proto: str = "TCP") -> None:
        self.listeners[(proto, int(port))] = handler

    def unlisten(self, port: int, proto: str = "TCP") -> None:
        self.listeners.pop((proto, int(port)), None)

    def resolve(self, name: str) -> list[str]:
        return self.network.resolve(name, self)

    def http(self, host: str, port: int, method: str = "GET", path: str = "/",
             headers: dict[str, str] | None = None, body: str = "") -> HttpResponse:
        return self.network.http(self, host, port, method=method, path=path, headers=headers, body=body)

    def connect(self, host: str, port: int, proto: str = "TCP") -> None:
        self.network.connect(self, host, port, proto)


class Network:
    """The cluster's flat pod network (every pod reaches every pod, as the CNI promises)."""

    def __init__(self) -> None:
        self.namespaces: dict[str, PodNet] = {}   # ip -> PodNet
        #: resolver(name, podnet) -> list[str] of IPs; raises NetError. Set by the DNS model.
        self.resolver: Callable[[str, PodNet], list[str]] | None = None
        #: service_router(podnet, dst_ip, port, proto) -> (ip, port) | None: a Service IP's DNAT.
        self.service_router: Callable[[PodNet, str, int, str], tuple[str, int] | None] | None = None

    def attach(self, ip: str, *, node: str = "", hostname: str = "", **resolv: Any) -> PodNet:
        ns = PodNet(self, ip, node=node, hostname=hostname, **resolv)
        self.namespaces[ip] = ns
        return ns

    def detach(self, ip: str) -> None:
        self.namespaces.pop(ip, None)

    # -- name resolution ------------------------------------------------------------
    def resolve(self, name: str, src: PodNet) -> list[str]:
        if _is_ip(name):
            return [name]
        if name in ("localhost", src.hostname):
            return ["127.0.0.1"] if name == "localhost" else [src.ip]
        if self.resolver is None:
            raise NetError(f"bad address '{name}'")
        return self.resolver(name, src)

    # -- connections ------------------------------------------------------------------
    def _route(self, src: PodNet, host: str, port: int, proto: str) -> tuple[PodNet, int]:
        ips = self.resolve(host, src)
        if not ips:
            raise NetError(f"bad address '{host}'")
        ip = ips[0]
        if ip in ("127.0.0.1", "::1"):
            return src, port
        target = self.namespaces.get(ip)
        if target is None and self.service_router is not None:
            routed = self.service_router(src, ip, port, proto)
            if routed is not None:
                ip, port = routed
                target = self.namespaces.get(ip)
        if target is None:
            raise NetError("Connection timed out")
        return target, port

    def connect(self, src: PodNet, host: str, port: int, proto: str = "TCP") -> PodNet:
        target, port = self._route(src, host, port, proto)
        if (proto, int(port)) not in target.listeners:
            raise NetError("Connection refused")
        return target

    def http(self, src: PodNet, host: str, port: int, *, method: str = "GET", path: str = "/",
             headers: dict[str, str] | None = None, body: str = "") -> HttpResponse:
        target, port = self._route(src, host, port, "TCP")
        key = ("TCP", int(port))
        if key not in target.listeners:
            raise NetError("Connection refused")
        handler = target.listeners[key]
        if handler is None:
            raise NetError("Connection reset by peer")   # a TCP server that does not speak HTTP
        return handler(HttpRequest(method, path, headers, body, src_ip=src.ip, host=host))


def _is_ip(s: str) -> bool:
    parts = s.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


__all__ = ["Network", "PodNet", "NetError", "HttpRequest", "HttpResponse"]
