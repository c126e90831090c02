"""A pod's view of the network, and the cluster network that connects pods, nodes and Services.

CONTRACT (other modules rely on these names; extend, do not rename):

- :class:`NetError` — a failed connection or lookup; ``str(err)`` is the C library's text
  (``Connection refused``, ``Connection timed out``, ``bad address 'x'``...).
- :class:`HttpRequest` / :class:`HttpResponse` — what an HTTP handler receives and returns.
- :class:`Network` — one per cluster: ``attach(ip, node=..., hostname=...) -> PodNet`` when a
  sandbox gets its IP, ``detach(ip)`` when it is torn down; ``http(...)`` / ``connect(...)`` from
  any source IP (the kubelet probes from the node's IP); ``resolver`` answers DNS names;
  ``service_router(src_podnet, dst_ip, port, proto) -> (ip, port) | None`` is how a packet
  to a Service IP reaches an endpoint (kube-proxy's rules on the source's node; it may raise
  ``NetError("Connection refused")`` for a rule that REJECTs);
  ``query(src, name, qtype)`` sends one DNS question to the source's nameserver (UDP 53).
- :class:`PodNet` — given to programs as ``proc.net``: ``listen(port, handler, tls=False)``,
  ``http(host, port, ..., scheme="http")``, ``connect(host, port)``, ``resolve(name)``, ``query(name, qtype)``;
  it resolves names with the pod's ``/etc/resolv.conf`` rules (search list, ``ndots``).
- :class:`DnsQuery` / :class:`DnsReply` / :class:`DnsRecord` — one DNS question and its answer,
  what a UDP-53 listener's handler receives and returns (``k8score.network.coredns`` serves them).

TLS: a listener opened with ``tls=True`` speaks HTTPS (control-plane components, webhooks).
There are no certificates: an ``https`` client reaching a TLS listener gets the handler's
answer (the kubelet's probes skip verification, as upstream's do); as with Go's ``net/http``,
an ``https`` request to a plain listener fails with ``http: server gave HTTP response to HTTPS
client`` and a plain ``http`` request to a TLS listener gets ``400`` with the body
``Client sent an HTTP request to an HTTPS server.`` (``crypto/tls`` / ``net/http`` server.go).

Timing: calls are synchronous; a program that wants to show latency yields a ``Sleep`` itself.
A failure that took time in reality carries it in ``NetError.seconds`` (a resolver timeout
is 5 s, musl's ``RES_TIMEOUT``) so the program can ``yield Sleep(err.seconds)``.
"""

from __future__ import annotations

from typing import Any, Callable


#: net/http transport.go: an https request answered in plain HTTP
HTTPS_TO_PLAIN = "http: server gave HTTP response to HTTPS client"
#: net/http server.go: what a TLS server answers (400) to a plain HTTP request
HTTP_TO_TLS_BODY = "Client sent an HTTP request to an HTTPS server.\n"


class NetError(Exception):
    """A failed connect/lookup; the message is what libc's ``strerror``/resolver says.

    ``seconds`` is how long the failure took to show in reality (0 for an immediate
    ``Connection refused``; the resolver's timeout when no DNS server answered).
    """

    def __init__(self, message: str = "", seconds: float = 0.0):
        super().__init__(message)
        self.seconds = seconds


#: musl ``src/network/resolvconf.c``: ``conf->timeout = 5`` — a query nobody answers
#: fails after 5 s (retried within that window, ``attempts:2``).
DNS_TIMEOUT = 5.0
#: busybox nslookup's text when no server answered (``networking/nslookup.c``).
NO_SERVERS = "connection timed out; no servers could be reached"


class DnsQuery:
    """One DNS question: ``name`` (absolute, no trailing dot), ``qtype`` (``A``, ``AAAA``,
    ``SRV``, ``PTR``, ``TXT``...), from ``src_ip``."""

    __slots__ = ("name", "qtype", "src_ip")

    def __init__(self, name: str, qtype: str = "A", src_ip: str = ""):
        self.name = name.rstrip(".")
        self.qtype = qtype.upper()
        self.src_ip = src_ip


class DnsRecord:
    """One resource record. ``data`` is written as ``dig`` prints it: an address for A/AAAA,
    ``"0 100 80 web.default.svc.cluster.local."`` for SRV, a name with a dot for CNAME/PTR."""

    __slots__ = ("name", "rtype", "ttl", "data")

    def __init__(self, name: str, rtype: str, ttl: int, data: str):
        self.name, self.rtype, self.ttl, self.data = name, rtype, ttl, data

    def __repr__(self) -> str:
        return f"{self.name}.\t{self.ttl}\tIN\t{self.rtype}\t{self.data}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DnsRecord) and repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))


class DnsReply:
    """The answer to a :class:`DnsQuery`: ``rcode`` (``NOERROR``, ``NXDOMAIN``, ``SERVFAIL``,
    ``REFUSED``), ``answers`` (answer section) and ``extra`` (additional section: the A
    records of SRV targets), ``server`` (``ip:port`` that answered, set by the network)."""

    __slots__ = ("name", "qtype", "rcode", "answers", "extra", "server")

    def __init__(self, name: str, qtype: str, rcode: str = "NOERROR",
                 answers: list[DnsRecord] | None = None, extra: list[DnsRecord] | None = None):
        self.name, self.qtype, self.rcode = name, qtype, rcode
        self.answers = list(answers or [])
        self.extra = list(extra or [])
        self.server = ""

    def addresses(self) -> list[str]:
        """The A/AAAA answers' addresses, in answer order."""
        return [r.data for r in self.answers if r.rtype in ("A", "AAAA")]

    def __repr__(self) -> str:
        return f"<DnsReply {self.name} {self.qtype} {self.rcode} {self.answers!r}>"


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
#: is None (connect succeeds, nothing is exchanged). A UDP port-53 listener's handler takes a
#: :class:`DnsQuery` and returns a :class:`DnsReply`, or None when it does not answer.
Handler = Callable[[Any], Any] | None


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
        self.tls_ports: set[int] = set()                        # TCP ports that speak TLS

    def listen(self, port: int, handler: Handler, proto: str = "TCP", tls: bool = False) -> None:
        self.listeners[(proto, int(port))] = handler
        if tls:
            self.tls_ports.add(int(port))
        else:
            self.tls_ports.discard(int(port))

    def unlisten(self, port: int, proto: str = "TCP") -> None:
        self.listeners.pop((proto, int(port)), None)
        if proto == "TCP":
            self.tls_ports.discard(int(port))

    def resolve(self, name: str) -> list[str]:
        return self.network.resolve(name, self)

    def query(self, name: str, qtype: str = "A", server: str | None = None) -> DnsReply:
        """One DNS question to this namespace's nameserver (no search list): what
        ``nslookup``/``dig`` send. Raises :class:`NetError` when nobody answers."""
        return self.network.query(self, name, qtype, server)

    def http(self, host: str, port: int, method: str = "GET", path: str = "/",
             headers: dict[str, str] | None = None, body: str = "", scheme: str = "http") -> HttpResponse:
        return self.network.http(self, host, port, method=method, path=path, headers=headers, body=body,
                                 scheme=scheme)

    def connect(self, host: str, port: int, proto: str = "TCP") -> None:
        self.network.connect(self, host, port, proto)


class Network:
    """The cluster's flat pod network (every pod reaches every pod, as the CNI promises)."""

    def __init__(self) -> None:
        self.namespaces: dict[str, PodNet] = {}   # ip -> PodNet
        #: resolver(name, podnet) -> list[str] of IPs; raises NetError. Set by the DNS model.
        self.resolver: Callable[[str, PodNet], list[str]] | None = None
        #: service_router(podnet, dst_ip, port, proto) -> (ip, port) | None: a Service IP's DNAT
        #: (may raise NetError, e.g. "Connection refused" for a Service with no endpoints).
        self.service_router: Callable[[PodNet, str, int, str], tuple[str, int] | None] | None = None
        #: The cluster DNS engine (``k8score.network.CoreDNS``, the component ``coredns``), set by
        #: ``build_network``. Nothing listens for it at the ``kube-dns`` IP: the coredns pods' program
        #: (``k8score.container.images.coredns``) answers through it as ``proc.net.network.dns``.
        self.dns: Any = None

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

    def query(self, src: PodNet, name: str, qtype: str = "A", server: str | None = None) -> DnsReply:
        """Send one DNS question from ``src`` to ``server`` (default: its nameserver) on UDP 53.

        The packet is routed like any other (a Service IP through kube-proxy's rules); when
        no one answers — no nameserver, no route, no listener, the server is down — the
        resolver waits its timeout: ``NetError(NO_SERVERS, seconds=DNS_TIMEOUT)``. (A UDP
        socket that is not connected ignores ICMP port-unreachable, so even a REJECT looks
        like silence to the resolver.)
        """
        server = server or src.nameserver
        silence = NetError(NO_SERVERS, seconds=DNS_TIMEOUT)
        if not server:
            raise silence
        try:
            target, port = self._route(src, server, 53, "UDP")
        except NetError:
            raise silence from None
        handler = target.listeners.get(("UDP", int(port)))
        reply = handler(DnsQuery(name, qtype, src.ip)) if handler is not None else None
        if reply is None:
            raise silence
        reply.server = f"{server}:53"
        return reply

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
             headers: dict[str, str] | None = None, body: str = "", scheme: str = "http") -> HttpResponse:
        """One request; ``scheme`` ``https`` needs a TLS listener (see the module doc)."""
        target, port = self._route(src, host, port, "TCP")
        key = ("TCP", int(port))
        if key not in target.listeners:
            raise NetError("Connection refused")
        handler = target.listeners[key]
        if handler is None:
            raise NetError("Connection reset by peer")   # a TCP server that does not speak HTTP
        tls = int(port) in target.tls_ports
        if scheme == "https" and not tls:
            raise NetError(HTTPS_TO_PLAIN)
        if scheme != "https" and tls:
            return HttpResponse(400, HTTP_TO_TLS_BODY)
        return handler(HttpRequest(method, path, headers, body, src_ip=src.ip, host=host))


def _is_ip(s: str) -> bool:
    parts = s.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


__all__ = ["Network", "PodNet", "NetError", "HttpRequest", "HttpResponse", "DnsQuery", "DnsReply",
           "DnsRecord", "DNS_TIMEOUT", "NO_SERVERS", "HTTPS_TO_PLAIN", "HTTP_TO_TLS_BODY"]
