"""``k8score serve``: the Kubernetes HTTP API of a running :class:`~k8score.Cluster`.

A thin native-only transport around :func:`k8score.apiserver.rest.handle` — the only
module in k8score with threads, sockets and the wall clock (the simulation stays sans-I/O
and runs unchanged in Pyodide).

Why the stdlib ``http.server.ThreadingHTTPServer`` and not h11 or an ASGI server: it is
always there (no new dependency, nothing to pin), speaks HTTP/1.1 with keep-alive and
chunked responses we write ourselves, and one thread per connection suits a simulation
that serialises every access through one lock anyway; the protocol logic lives in
``rest.handle``, so swapping the transport later costs nothing.

Contracts:

* One :class:`threading.Lock` (``Server.lock``) guards the simulation: the clock thread
  advances ``cluster.loop`` under it, every request is served under it, and watch
  callbacks (run by the loop) only enqueue events for the connection's thread.
* The virtual clock follows the wall clock: ``speed`` virtual seconds per real second,
  advanced every ``tick`` real seconds (``loop.run(until=...)``).
* Watches (``?watch=true``) stream as chunked JSON lines, one event per line; the stream
  ends when the server ends the watch (an ERROR event), after ``timeoutSeconds`` (wall
  seconds; without it ``--min-request-timeout`` 1800 s times [1, 2)), or when the client
  goes away (the watch is stopped). Limits (in-flight budgets, request deadlines: a 504
  ``Timeout``): k8score/serve_limits.py. ``pods/portforward``: k8score/serve_portforward.py.
* ``wall_clock=True``: the cluster's epoch (``Cluster(epoch=...)``) is a little before the
  wall time and the server first runs it up to the present, so timestamps read as real ones.
* HTTPS with a fresh self-signed serving certificate (made by the ``openssl`` command;
  its CA goes into the kubeconfig), because client-go sends credentials only over TLS
  (clientcmd ``getUserIdentificationPartialConfig`` is applied to TLS configs only): over
  plain HTTP kubectl would be ``system:anonymous``. ``tls=False`` serves plain HTTP.
* Authentication: ``Authorization: Bearer <token>`` (and ``Impersonate-*`` headers);
  :meth:`Server.write_kubeconfig` registers a static token for ``kubernetes-admin``
  (``system:masters``), as ``--token-auth-file`` would.

Example (not a doctest: it opens a port)::

    from k8score import Cluster
    s = Server(Cluster(nodes=2), port=0).start()
    s.write_kubeconfig("kubeconfig")     # kubectl --kubeconfig kubeconfig get nodes
    s.stop()
"""

from __future__ import annotations

import base64
import json
import queue
import select
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api.schema.limits import MAX_BODY_BYTES
from . import serve_limits, serve_portforward, serve_streams
from .apiserver import openapi, protobuf, rest
from .kubeversion import server_info
from .apiserver.request import user_from_name
from .apiserver.table import to_table, wants_table
from .apiserver.discovery_v2 import AGGREGATED_V2, aggregated, wants_aggregated

_END = object()  # queue sentinel: the server ended the watch
# the /version object (k8s.io/apimachinery/pkg/version/types.go Info) of the simulated release
_VERSION = server_info()


class Server:
    """Serve ``cluster``'s API on ``host:port`` (``port=0``: any free port; see ``.port``)."""

    def __init__(self, cluster: Any, host: str = "127.0.0.1", port: int = 6443, speed: float = 1.0,
                 tick: float = 0.02, tls: bool = True, max_requests_inflight: int = 400,
                 max_mutating_requests_inflight: int = 200,
                 request_timeout: float = serve_limits.REQUEST_TIMEOUT,
                 min_request_timeout: float = serve_limits.MIN_REQUEST_TIMEOUT,
                 wall_clock: bool = False, apiservers: list | None = None):
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.cluster = cluster
        # k8score/serve_limits.py: the in-flight budgets, request deadlines and watch timeouts
        self.limiter = serve_limits.InflightLimiter(max_requests_inflight, max_mutating_requests_inflight)
        self.request_timeout = request_timeout
        self.min_request_timeout = min_request_timeout
        # the watch timeouts' spread; the transport's own randomness (not the simulation's)
        self._rng = __import__("random").Random()
        #: wall_clock: the virtual clock shows the wall time (the cluster's epoch must not be
        #: later than now): start() first runs the simulation up to the present.
        self.wall_clock = wall_clock
        self.api = cluster.apiserver
        #: the API server replicas requests are balanced over, round robin (k8score/serve_etcd.py:
        #: ``--apiservers N`` over a real etcd); discovery, OpenAPI and streams use ``self.api``
        self.apiservers = list(apiservers) if apiservers else [self.api]
        self._next_backend = 0
        self.speed = speed
        self.tick = tick
        self.lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.k8s = self  # type: ignore[attr-defined]
        self.host, self.port = self._httpd.server_address[:2]
        self.ca_pem: bytes | None = None
        if tls:
            self.ca_pem, ctx = _tls_context(self.host)
            # handshake in the connection's thread (first read), not in the accept loop
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True,
                                                 do_handshake_on_connect=False)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"{'https' if self.ca_pem else 'http'}://{self.host}:{self.port}"

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> "Server":
        for target in (self._clock, self._httpd.serve_forever):
            t = threading.Thread(target=target, daemon=True, name=f"k8score-serve-{target.__name__}")
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._threads:  # shutdown() waits for serve_forever, which only start() runs
            self._httpd.shutdown()
        self._httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def serve_forever(self) -> None:
        """Start and block until interrupted (Ctrl-C)."""
        self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def _clock(self) -> None:
        """Advance virtual time with the wall clock, ``speed`` x as fast (from the present,
        with ``wall_clock``: a timestamp made now reads as the wall time)."""
        wall0 = time.monotonic()
        virt0 = self.cluster.loop.now
        if self.wall_clock:
            from .sim.clock import EPOCH
            virt0 = max(virt0, time.time() - EPOCH.timestamp())
        while not self._stopping.wait(self.tick):
            target = virt0 + (time.monotonic() - wall0) * self.speed
            with self.lock:
                if target > self.cluster.loop.now:
                    self.cluster.loop.run(until=target)

    # -- credentials ----------------------------------------------------------------
    def add_admin_token(self, token: str) -> None:
        """Accept ``Authorization: Bearer <token>`` as ``kubernetes-admin`` (system:masters)."""
        with self.lock:
            for api in self.apiservers:
                api.authenticator.add_token(token, user_from_name("kubernetes-admin"))

    def write_kubeconfig(self, path: str | Path, token: str | None = None) -> Path:
        """Write a kubeconfig for ``kubernetes-admin`` with a bearer token and the server's CA."""
        if token is None:
            # a fresh secret per run; the wall-clock world may use os randomness
            import secrets
            token = secrets.token_hex(16)
        self.add_admin_token(token)
        config = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": "k8score", "cluster": {"server": self.url, **(
                {"certificate-authority-data": base64.b64encode(self.ca_pem).decode()} if self.ca_pem else {})}}],
            "users": [{"name": "kubernetes-admin", "user": {"token": token}}],
            "contexts": [{"name": "kubernetes-admin@k8score",
                          "context": {"cluster": "k8score", "user": "kubernetes-admin",
                                      "namespace": "default"}}],
            "current-context": "kubernetes-admin@k8score",
        }
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(config, indent=2) + "\n")  # JSON is YAML
        p.chmod(0o600)
        return p

    # -- serving --------------------------------------------------------------------
    def handle(self, request: dict, deadline: float | None = None) -> dict:
        """``rest.handle`` under the simulation lock (aggregated discovery answered here);
        ``deadline`` (``time.monotonic()``): a 504 Timeout Status when the lock is not free
        by then or the answer comes later (serve_limits.py)."""
        accept = str((request.get("headers") or {}).get("accept", ""))
        path = request.get("path", "/").rstrip("/") or "/"
        bad = _unsupported_body(request)
        if bad is not None:
            return bad
        try:
            if deadline is None:
                with self.lock:
                    return self._handle(request, accept, path)
            if not self.lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
                return {"code": 504, "body": serve_limits.timeout_status()}
            try:
                out = self._handle(request, accept, path)
            finally:
                self.lock.release()
            if time.monotonic() > deadline and "watch" not in out:
                return {"code": 504, "body": serve_limits.timeout_status()}
            return out
        except Exception as e:  # a bug in the simulation must not drop the connection: a 500 Status
            # (apiserver/pkg/endpoints/handlers/responsewriters: InternalError's message)
            return {"code": 500, "body": _status(500, "InternalError", f"Internal error occurred: {e!r}")}

    def _backend(self) -> Any:
        """The next API server replica, round robin (called with ``self.lock`` held)."""
        api = self.apiservers[self._next_backend % len(self.apiservers)]
        self._next_backend += 1
        return api

    def _handle(self, request: dict, accept: str, path: str) -> dict:
        """Called with ``self.lock`` held."""
        if path in ("/api", "/apis") and wants_aggregated(accept):
            out = rest.handle(self.api, request)  # authn/authz of the path, same answer codes
            if out["code"] == 200:
                return {"code": 200, "body": aggregated(self.api, path == "/api"),
                        "content_type": AGGREGATED_V2}
            return out
        if path in ("/healthz", "/livez", "/readyz"):
            return {"code": 200, "text": "ok"}
        if path == "/openapi/v3" or path.startswith("/openapi/v3/") or path == "/openapi/v2":
            out = rest.handle(self.api, {**request, "path": "/api"})  # system:discovery, like /api
            if out["code"] != 200:
                return out
            doc = openapi.swagger(self.api) if path == "/openapi/v2" else openapi.for_path(self.api, path)
            return {"code": 200, "body": doc} if doc is not None else \
                {"code": 404, "text": "404 page not found\n"}
        api = self._backend()
        out = rest.handle(api, request)
        if "watch" in out:
            # under the same lock as the watch's creation: no close can slip in between
            out["watch"].on_close(lambda: request["on_event"](_END))
            if wants_table(accept):
                out["table_of"] = api.registry.resolve(rest.to_request(api, request).resource)
        if path == "/version" and out["code"] == 200:
            out["body"] = {**_VERSION, **{k: v for k, v in out["body"].items() if k in ("major", "minor")}}
        return out


def tune_gc() -> None:
    """Tune the collector for a long-running server process (``k8score serve`` calls it once
    the cluster has booted): the boot's objects are moved out of the collector's sight
    (``gc.freeze``) and young collections run every 100,000 allocations instead of 700. A list
    of 1,000 pods allocates ~100,000 objects; with the defaults the full collections they
    trigger scan the whole cluster's heap and triple the list's latency."""
    import gc
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


# what rest.handle decodes; other bodies (CBOR, protobuf of kinds protobuf.py does not know) are
# 415 — client-go's typed clients send protobuf and do not retry in JSON
_PROTOBUF = "application/vnd.kubernetes.protobuf"
_BODY_TYPES = ("application/json", "application/merge-patch+json", "application/json-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml")


def _unsupported_body(request: dict) -> dict | None:
    """A 415 Status for a body in a media type rest.handle cannot decode
    (apiserver/pkg/endpoints/handlers/rest.go ``negotiation.NewUnsupportedMediaTypeError``);
    the protobuf bodies kubectl sends for its reviews are turned into JSON in place."""
    if not request.get("body"):
        return None
    headers = request.get("headers") or {}
    ctype = str(headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if ctype in _BODY_TYPES:
        return None
    if ctype == _PROTOBUF:
        try:
            obj = protobuf.decode(request["body"])
        except protobuf.ProtobufError as e:
            return {"code": 400, "body": _status(400, "BadRequest", str(e))}
        if obj is not None:
            request["body"] = json.dumps(obj).encode()
            headers["content-type"] = "application/json"
            return None
    return {"code": 415, "body": _status(
        415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted media "
                                     f"types include: {', '.join(_BODY_TYPES)}")}


def _status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def _lower_headers(message: Any) -> dict:
    out: dict[str, Any] = {}
    for k, v in message.items():
        k = k.lower()
        if k in out:  # a repeated header (Impersonate-Group): a list
            out[k] = (out[k] if isinstance(out[k], list) else [out[k]]) + [v]
        else:
            out[k] = v
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k8score"
    # a connection that sends no (whole) request for this long is closed: slow senders cannot
    # hold a thread (kube-apiserver secure_serving.go ReadHeaderTimeout: 32 s); long-running
    # requests lift it once they are routed
    timeout = 32.0

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK hold each body back ~40 ms (Go sets it on every conn)
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request that is not HTTP (bad request line, header too long): Go net/http's plain
        ``400 Bad Request`` (server.go), not the stdlib's HTML page; the connection ends."""
        self.close_connection = True
        text = f"{code} {message or self.responses.get(code, ('',))[0]}".encode("latin-1", "replace")
        try:
            self.send_response_only(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and CLI stay readable
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # any other method reaches the API, which answers 405 MethodNotAllowed as a Status
        # (the stdlib would answer 501 without one)
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        srv: Server = self.server.k8s  # type: ignore[attr-defined]
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            # refuse before reading: the body is not drained, so this connection ends here
            self.close_connection = True
            if length < 0:
                self._json(400, _status(400, "BadRequest", "invalid Content-Length"))
            else:
                self._json(413, _status(413, "RequestEntityTooLarge",
                                        f"Request entity too large: limit is {MAX_BODY_BYTES}"))
            return
        if "chunked" in str(self.headers.get("Transfer-Encoding") or "").lower():
            body = self._read_chunked()
            if body is None:
                return
        else:
            body = self.rfile.read(length) if length > 0 else None
        url = urlsplit(self.path)
        headers = _lower_headers(self.headers)
        if serve_limits.long_running(self.command, url.path, url.query):
            self.connection.settimeout(None)
        if serve_streams.is_websocket(headers) and url.path.endswith("/exec"):
            serve_streams.serve_exec(self, srv, url.path, url.query, headers)
            return
        if serve_streams.is_websocket(headers) and url.path.endswith("/attach"):
            serve_streams.serve_attach(self, srv, url.path, url.query, headers)
            return
        if url.path.endswith("/portforward") and (serve_streams.is_websocket(headers)
                                                  or serve_portforward.is_spdy_upgrade(headers)):
            serve_portforward.serve(self, srv, url.path, headers, serve_streams.is_websocket(headers))
            return
        events: "queue.Queue[Any]" = queue.Queue()
        request = {"method": self.command, "path": url.path, "query": url.query, "headers": headers,
                   "body": body, "on_event": events.put}
        budget = srv.limiter.admit(self.command, url.path, url.query)
        if budget is False:
            # maxinflight.go tooManyRequests: plain text, "Retry-After: 1"
            self.close_connection = False
            data = serve_limits.TOO_MANY
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        deadline = None
        if budget is not None:   # not long-running: request_deadline.go
            try:
                deadline = time.monotonic() + serve_limits.request_timeout(url.query, srv.request_timeout)
            except ValueError as e:
                budget.release()
                self._json(400, _status(400, "BadRequest", str(e)))
                return
        try:
            out = srv.handle(request, deadline)
        finally:
            if budget is not None:
                budget.release()
        if "watch" in out and out.get("code") == 200:
            self._stream(srv, out["watch"], events, request, out.get("table_of"))
            return
        if "text" in out and out["code"] == 200 and url.path.endswith("/log") \
                and parse_qs(url.query).get("follow", [""])[-1] in ("true", "1"):
            serve_streams.serve_follow(self, srv, request, out["text"])
            return
        if "text" in out:
            self._send(out["code"], out["text"].encode(), "text/plain; charset=utf-8")
            return
        self._json(out["code"], out["body"], out.get("content_type", "application/json"))

    def _read_chunked(self) -> bytes | None:
        """A ``Transfer-Encoding: chunked`` body (at most MAX_BODY_BYTES); None: answered."""
        body = bytearray()
        try:
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"x", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass   # trailers
                    return bytes(body)
                if len(body) + size > MAX_BODY_BYTES:
                    self.close_connection = True
                    self._json(413, _status(413, "RequestEntityTooLarge",
                                            f"Request entity too large: limit is {MAX_BODY_BYTES}"))
                    return None
                body += self.rfile.read(size)
                self.rfile.readline(16)
        except ValueError:
            self.close_connection = True
            self._json(400, _status(400, "BadRequest", "invalid chunked request body"))
            return None

    def _json(self, code: int, body: Any, ctype: str = "application/json") -> None:
        self._send(code, json.dumps(body, separators=(",", ":")).encode(), ctype)

    def _send(self, code: int, data: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _stream(self, srv: Server, watch: Any, events: "queue.Queue[Any]", request: dict,
                 table_of: Any) -> None:
        """Chunked JSON lines until the watch ends, times out, or the client leaves;
        ``table_of``: the ResourceInfo whose Table rows each event becomes (Accept as=Table)."""
        rq = {k: v[0] for k, v in parse_qs(request["query"]).items()}
        info = table_of
        timeout = serve_limits.watch_timeout(request["query"], srv._rng, srv.min_request_timeout)
        deadline = time.monotonic() + timeout
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        first = True
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    ev = events.get(timeout=min(left, 0.5))
                except queue.Empty:
                    if self._client_gone():
                        break
                    continue
                if ev is _END:
                    break
                if info is not None and ev.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                    with srv.lock:
                        obj = to_table(info, ev["object"], srv.cluster.loop.now,
                                       str(rq.get("includeObject") or "Metadata"), api=srv.api)
                    if not first:  # handlers/get.go: "on watch, we only want to print table headers on
                        obj["columnDefinitions"] = None  # the first object" (TableOptions.NoHeaders)
                    first = False
                    ev = {"type": ev["type"], "object": obj}
                line = json.dumps(ev, separators=(",", ":")).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client left (BrokenPipe, ConnectionReset, SSLEOFError)
            self.close_connection = True
        finally:
            with srv.lock:
                if not watch.closed:
                    watch.stop()

    def _client_gone(self) -> bool:
        """A watching client sends nothing more: a readable socket means it closed."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            sock.settimeout(0.0)
            try:
                return sock.recv(1) == b""
            finally:
                sock.settimeout(None)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except (OSError, ValueError):
            return True


def _tls_context(host: str) -> tuple[bytes, ssl.SSLContext]:
    """A fresh self-signed serving certificate for ``host`` (its own CA) and a server context."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("k8score serve needs the openssl command for its HTTPS certificate "
                           "(or use tls=False / --insecure-http)")
    with tempfile.TemporaryDirectory(prefix="k8score-tls-") as d:
        key, crt = Path(d, "apiserver.key"), Path(d, "apiserver.crt")
        # kubeadm's apiserver certificate names the API server "kube-apiserver" with SANs for
        # its addresses (cmd/kubeadm/app/phases/certs); one self-signed cert is CA and leaf here
        subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "365",
                        "-subj", "/CN=kube-apiserver",
                        "-addext", f"subjectAltName=IP:{host},DNS:localhost,DNS:kubernetes",
                        "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
                        "-addext", "extendedKeyUsage=serverAuth"],
                       check=True, capture_output=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(crt), str(key))
        return crt.read_bytes(), ctx


def wall_clock_epoch(margin: float) -> float | None:
    """The epoch that makes the virtual clock show the wall time once the cluster has run
    ``margin`` seconds (None when that is before k8score's fixed epoch). The wall clock is read
    here, in the native transport, never in the simulation."""
    from .sim.clock import EPOCH
    wall = time.time()
    return wall - margin if wall - margin >= EPOCH.timestamp() else None
