"""The kubelet's network probes: ``httpGet``, ``tcpSocket`` and ``grpc``, from the node's network.

Each function returns ``(result, output, error)`` as upstream's probers do: ``result`` is one of
:mod:`.probe_spec`'s ``success``/``warning``/``failure``/``unknown``; ``output`` is the text the
``Unhealthy`` / ``ProbeWarning`` event shows; ``error`` (a string) means the probe could not even
be attempted (a bad port) and the worker throws the result away.

The kubelet connects from ``src`` (``kubelet.host.net``, the node's network namespace) to the pod
IP through :class:`k8score.container.net.Network`; its ``NetError`` texts become the texts Go's
``net/http`` and ``net`` packages print:

- ``pkg/probe/http/http.go`` ``DoHTTPProbe``: status 200–299 success (the body, at most 10 KiB,
  is the output), 300–399 after redirects stop ``warning`` with ``Probe terminated redirects,
  Response body: <body>``, anything else ``HTTP probe failed with statuscode: N`` (never the
  body: issue 99425); a failed request is a failure whose output is Go's error, e.g.
  ``Get "http://10.244.1.5:8080/healthz": dial tcp 10.244.1.5:8080: connect: connection refused``.
  Redirects are followed (at most 10) only while they stay on the same host
  (``RedirectChecker(followNonLocalRedirects=false)``). Requests carry
  ``User-Agent: kube-probe/1.37`` and ``Accept: */*`` unless the probe sets them
  (``pkg/probe/http/request.go``); a ``Host`` header sets the request's host.
- ``pkg/probe/tcp/tcp.go`` ``DoTCPProbe``: connect and close; output empty on success, else
  ``dial tcp 10.244.1.5:8080: connect: connection refused`` or ``... i/o timeout``.
- ``pkg/probe/grpc/grpc.go``: the simulated network has no HTTP/2, so a gRPC health server is an
  HTTP listener that answers ``POST /grpc.health.v1.Health/Check`` (body: the service name)
  with a ``grpc-status`` header (``0`` OK, ``12`` Unimplemented, ``5`` NotFound...) and, for
  ``0``, the serving status as the body (``SERVING``, ``NOT_SERVING``...). A listener that does
  not answer that way never completes the gRPC handshake, so the probe times out, as a real
  blocking dial does: ``timeout: failed to connect service "10.244.1.5:9090" within 1s:
  context deadline exceeded``.

Every request is synchronous: the simulated network has no latency, so a probe never reaches
its ``timeoutSeconds`` except when no one routes the packet (``Connection timed out``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from ..container.net import HTTPS_TO_PLAIN, NetError
from . import probe_spec as ps
from .nodestatus import KUBELET_VERSION

#: pkg/probe/http/http.go maxRespBodyLength = 10 * 1 << 10
MAX_RESP_BODY_LENGTH = 10 * 1024
#: net/http client.go: the default CheckRedirect stops after 10 redirects
MAX_REDIRECTS = 10
#: pkg/probe/http/request.go userAgent: "kube-probe/<major>.<minor>"
USER_AGENT = "kube-probe/" + ".".join(KUBELET_VERSION.lstrip("v").split(".")[:2])
GRPC_HEALTH_PATH = "/grpc.health.v1.Health/Check"
# google.golang.org/grpc/codes: the names Go's status errors print
_GRPC_CODES = {"1": "Canceled", "2": "Unknown", "3": "InvalidArgument", "4": "DeadlineExceeded",
               "5": "NotFound", "7": "PermissionDenied", "12": "Unimplemented", "13": "Internal",
               "14": "Unavailable", "16": "Unauthenticated"}

Result = tuple[str, str, "str | None"]


# -- HTTP ------------------------------------------------------------------------------
def http_probe(src: Any, action: dict, container: dict, pod_ip: str, timeout: float,
               ephemeral_port: int = 40000) -> Result:
    """One ``httpGet`` probe from ``src`` (a PodNet). ``ephemeral_port`` is the client port
    a "connection reset" message shows (the caller draws it from its seeded RNG)."""
    scheme = str(action.get("scheme") or "HTTP").lower()
    host = action.get("host") or pod_ip or ""
    port, err = ps.resolve_port(action.get("port"), container)
    if err:
        return ps.UNKNOWN, "", err
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for h in action.get("httpHeaders") or ():
        headers[_canonical(str(h.get("name", "")))] = str(h.get("value", ""))
    url = format_url(scheme, host, port, str(action.get("path") or "/"))
    original_host = host
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        target = parts.hostname or ""
        tport = parts.port or (443 if parts.scheme == "https" else 80)
        req_path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            if src is None:
                raise NetError("Network is unreachable")
            # HTTPS: the prober skips certificate verification (InsecureSkipVerify, http.go)
            resp = src.http(target, tport, method="GET", path=req_path, scheme=parts.scheme,
                            headers={**headers, "Host": headers.get("Host", _join(target, tport))})
        except NetError as exc:
            return ps.FAILURE, f'Get "{url}": {_go_dial_error(src, str(exc), target, tport, ephemeral_port)}', None
        status = int(resp.status)
        location = (resp.headers or {}).get("Location") or (resp.headers or {}).get("location")
        if 300 <= status < 400 and location:
            nxt = urljoin(url, location)
            if (urlsplit(nxt).hostname or "") != original_host:
                break  # http.ErrUseLastResponse: the 3xx itself is the answer
            url = nxt
            continue
        break
    else:
        return ps.FAILURE, f'Get "{url}": stopped after {MAX_REDIRECTS} redirects', None
    body = _truncate(resp.body or "")
    if 200 <= status < 400:
        if status >= 300:
            return ps.WARNING, f"Probe terminated redirects, Response body: {body}", None
        return ps.SUCCESS, body, None
    return ps.FAILURE, f"HTTP probe failed with statuscode: {status}", None


def format_url(scheme: str, host: str, port: int, path: str) -> str:
    """pkg/probe/http/request.go formatURL: ``url.Parse(path)`` with scheme and host set."""
    if path and not path.startswith("/"):
        path = "/" + path  # url.URL.String adds the slash when a host is present
    return f"{scheme}://{_join(host, port)}{path}"


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _canonical(name: str) -> str:
    """textproto.CanonicalMIMEHeaderKey: ``x-custom-header`` -> ``X-Custom-Header``."""
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def _truncate(body: str) -> str:
    data = body.encode()
    if len(data) <= MAX_RESP_BODY_LENGTH:
        return body
    return data[:MAX_RESP_BODY_LENGTH].decode(errors="ignore")


def _go_dial_error(src: Any, text: str, host: str, port: int, ephemeral: int) -> str:
    """A NetError's libc text as Go's net/http client reports it."""
    if text == HTTPS_TO_PLAIN:
        return text
    if text.startswith("bad address"):
        return f"dial tcp: lookup {host}: no such host"
    ip = _resolved(src, host)
    if text == "Connection refused":
        return f"dial tcp {_join(ip, port)}: connect: connection refused"
    if text == "Connection timed out":
        return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    if text == "Connection reset by peer":
        src_ip = src.ip
        return f"read tcp {_join(src_ip, ephemeral)}->{_join(ip, port)}: read: connection reset by peer"
    if text == "Network is unreachable":
        return f"dial tcp {_join(ip, port)}: connect: network is unreachable"
    return f"dial tcp {_join(ip, port)}: {text[:1].lower()}{text[1:]}"


def _resolved(src: Any, host: str) -> str:
    try:
        ips = src.resolve(host) if src is not None else []
    except NetError:
        ips = []
    return ips[0] if ips else host


# -- TCP -------------------------------------------------------------------------------
def tcp_probe(src: Any, action: dict, container: dict, pod_ip: str, timeout: float) -> Result:
    """One ``tcpSocket`` probe: success when something listens on the port."""
    port, err = ps.resolve_port(action.get("port"), container)
    if err:
        return ps.UNKNOWN, "", err
    host = action.get("host") or pod_ip or ""
    try:
        if src is None:
            raise NetError("Network is unreachable")
        src.connect(host, port)
    except NetError as exc:
        text = str(exc)
        if text.startswith("bad address"):
            return ps.FAILURE, f"dial tcp: lookup {host}: no such host", None
        ip = _resolved(src, host)
        if text == "Connection timed out":
            return ps.FAILURE, f"dial tcp {_join(ip, port)}: i/o timeout", None
        return ps.FAILURE, _go_dial_error(src, text, host, port, 0), None
    return ps.SUCCESS, "", None


# -- gRPC ------------------------------------------------------------------------------
def grpc_probe(src: Any, action: dict, pod_ip: str, timeout: float) -> Result:
    """One ``grpc`` probe (grpc.health.v1 ``Check``) under the convention in the module docstring."""
    port = int(action.get("port") or 0)
    service = action.get("service") or ""
    addr = _join(pod_ip or "", port)
    dial_timeout = (ps.FAILURE, f'timeout: failed to connect service "{addr}" within '
                    f"{ps.go_duration(timeout)}: context deadline exceeded", None)
    try:
        if src is None:
            raise NetError("Network is unreachable")
        resp = src.http(pod_ip, port, method="POST", path=GRPC_HEALTH_PATH,
                        headers={"Content-Type": "application/grpc", "User-Agent": USER_AGENT}, body=service)
    except NetError:
        return dial_timeout  # WithBlock: a refused or reset dial is retried until the deadline
    headers = {k.lower(): v for k, v in (resp.headers or {}).items()}
    code = headers.get("grpc-status")
    if code is None:
        return dial_timeout  # not an HTTP/2 gRPC server: the handshake never completes
    message = headers.get("grpc-message", "")
    if code == "12":
        return (ps.FAILURE, "error: this server does not implement the grpc health protocol "
                f"(grpc.health.v1.Health): {message}", None)
    if code == "4":
        return ps.FAILURE, f"timeout: health rpc did not complete within {ps.go_duration(timeout)}", None
    if code != "0":
        name = _GRPC_CODES.get(code, f"Code({code})")
        return ps.FAILURE, f"error: health rpc probe failed: rpc error: code = {name} desc = {message}", None
    status = (resp.body or "").strip() or "UNKNOWN"
    if status != "SERVING":
        return ps.FAILURE, f'service unhealthy (responded with "{status}")', None
    return ps.SUCCESS, "service healthy", None


__all__ = ["http_probe", "tcp_probe", "grpc_probe", "format_url", "USER_AGENT", "MAX_RESP_BODY_LENGTH",
           "GRPC_HEALTH_PATH"]
