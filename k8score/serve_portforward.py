"""``pods/<name>/portforward`` for real kubectl: SPDY streams to a container model's port.

Native-only like k8score/serve.py (sockets); the SPDY framing is pure
(k8score/serve_portforward_spdy.py). kubectl 1.37 (``kubectl port-forward``,
staging/src/k8s.io/kubectl/pkg/cmd/portforward/portforward.go ``createDialer``) first
tries SPDY tunneled over a WebSocket (client-go tools/portforward/tunneling_dialer.go:
subprotocol ``SPDY/3.1+portforward.k8s.io``, each binary message a run of SPDY bytes) and
falls back to the plain ``Upgrade: SPDY/3.1`` when that upgrade fails
(fallback_dialer.go). Both are served here: after the upgrade the session is the same.

The session (kubelet's pkg/kubelet/cri/streaming/portforward/httpstream.go): for each
local connection kubectl opens two streams with headers ``streamtype`` (``error`` then
``data``), ``port`` and ``requestid``; the server answers each SYN_STREAM with an empty
SYN_REPLY. Bytes on the data stream go to the pod's port; k8score's container models
speak HTTP through a handler (k8score/container/net.py ``PodNet.listen``), so the stream
is read as HTTP/1.1 requests (``Content-Length`` bodies, keep-alive) and each handler's
answer goes back as an HTTP/1.1 response. When kubectl half-closes the data stream (the
local client went away) both streams are closed from here, which ends the pair on
kubectl's side. A port nobody listens on gets kubelet's error text on the error stream
(kubectl prints "an error occurred forwarding ...") and both streams close. PINGs are
echoed; SETTINGS and WINDOW_UPDATE are ignored (spdystream does not enforce windows).

Authorization is upstream's: ``create pods/portforward`` (the WebSocket GET included:
AuthorizePodWebsocketUpgradeCreatePermission), asked as a SelfSubjectAccessReview.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from .serve_portforward_spdy import Framer, SpdyError

PROTOCOL = "portforward.k8s.io"                       # apimachinery util/portforward constants.go
TUNNEL_PROTOCOL = "SPDY/3.1+" + PROTOCOL              # WebsocketsSPDYTunnelingPrefix + protocol
_SESSION_LIMIT = 3600.0                               # wall seconds a session may stay idle


def is_spdy_upgrade(headers: dict) -> bool:
    return "spdy/3.1" in str(headers.get("upgrade", "")).lower()


def serve(handler: Any, srv: Any, path: str, headers: dict, websocket: bool) -> None:
    """Serve one ``pods/<name>/portforward`` upgrade on ``handler``'s connection."""
    from .serve_streams import _WebSocket, rest_status
    err, net, pod = _precheck(srv, path, headers)
    if err is None and websocket and TUNNEL_PROTOCOL not in _offered(headers):
        err = {"code": 400, "body": rest_status(400, "BadRequest", "unable to upgrade connection: "
                                                f"no supported subprotocol, want {TUNNEL_PROTOCOL}")}
    if err is None and not websocket and PROTOCOL not in _offered(headers, "x-stream-protocol-version"):
        err = {"code": 403, "body": rest_status(403, "Forbidden", "unable to upgrade connection: "
                                                f"no supported stream protocol, want {PROTOCOL}")}
    if err is not None:
        handler._json(err["code"], err["body"])
        return
    if websocket:
        ws = _WebSocket(handler, TUNNEL_PROTOCOL)
        if not ws.accept():
            return
        pipe: Any = _WsPipe(ws)
    else:
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Upgrade", "SPDY/3.1")
        handler.send_header("X-Stream-Protocol-Version", PROTOCOL)
        handler.end_headers()
        handler.wfile.flush()
        pipe = _RawPipe(handler)
    try:
        handler.connection.settimeout(_SESSION_LIMIT)
        _Session(srv, pipe, net, pod).run()
    except (OSError, SpdyError):
        pass
    finally:
        handler.close_connection = True


def _offered(headers: dict, name: str = "sec-websocket-protocol") -> list[str]:
    raw = headers.get(name) or ""
    values = raw if isinstance(raw, list) else [raw]
    return [p.strip() for v in values for p in str(v).split(",")]


def _precheck(srv: Any, path: str, headers: dict) -> tuple[dict | None, Any, dict | None]:
    """(error answer, the pod's network namespace, the pod) before the upgrade."""
    from .serve_streams import rest_status
    parts = path.strip("/").split("/")   # api v1 namespaces NS pods NAME portforward
    if len(parts) != 7:
        return {"code": 404, "body": rest_status(404, "NotFound", "the server could not find the requested "
                                                 "resource")}, None, None
    ns, name = parts[3], parts[5]
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": {"namespace": ns, "verb": "create", "resource": "pods",
                                              "subresource": "portforward", "name": name}}}
    base = {"headers": {k: v for k, v in headers.items() if k != "content-type"}, "query": ""}
    out = srv.handle({**base, "method": "POST", "path": "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                      "body": json.dumps(review).encode(), "headers": {**base["headers"],
                                                                        "content-type": "application/json"}})
    if out["code"] >= 300:
        return out, None, None
    if not (out["body"].get("status") or {}).get("allowed"):
        who = _username(srv, headers)
        return {"code": 403, "body": {**rest_status(403, "Forbidden", f'pods "{name}" is forbidden: User "{who}" '
                                                    f'cannot create resource "pods/portforward" in API group "" '
                                                    f'in the namespace "{ns}"'),
                                      "details": {"name": name, "kind": "pods"}}}, None, None
    out = srv.handle({**base, "method": "GET", "path": path.rsplit("/", 1)[0]})
    if out["code"] >= 300:
        return out, None, None
    pod = out["body"]
    ip = (pod.get("status") or {}).get("podIP")
    if (pod.get("status") or {}).get("phase") != "Running" or not ip:
        # kubelet's GetPortForward: the pod has no running sandbox
        return {"code": 400, "body": rest_status(400, "BadRequest", f"pod {name} does not have a host "
                                                 "assigned" if not ip else f"pod {name} is not running")}, None, None
    with srv.lock:
        net = srv.cluster.network.namespaces.get(ip)
    return None, net, pod


def _username(srv: Any, headers: dict) -> str:
    out = srv.handle({"method": "POST", "path": "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                      "headers": {**headers, "content-type": "application/json"}, "query": "",
                      "body": b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'})
    return (((out.get("body") or {}).get("status") or {}).get("userInfo") or {}).get("username", "")


class _RawPipe:
    """SPDY straight on the upgraded connection."""

    def __init__(self, handler: Any):
        self.h = handler

    def recv(self) -> bytes | None:
        data = self.h.rfile.read1(65536)
        return data or None

    def send(self, data: bytes) -> None:
        self.h.wfile.write(data)
        self.h.wfile.flush()

    def close(self) -> None:
        pass


class _WsPipe:
    """SPDY inside WebSocket binary messages (tunneling_connection.go)."""

    def __init__(self, ws: Any):
        self.ws = ws

    def recv(self) -> bytes | None:
        return self.ws.receive()

    def send(self, data: bytes) -> None:
        self.ws.send(data)

    def close(self) -> None:
        self.ws.close()


class _Session:
    """The streams of one port-forward connection (see the module docstring)."""

    def __init__(self, srv: Any, pipe: Any, net: Any, pod: dict):
        self.srv, self.pipe, self.net, self.pod = srv, pipe, net, pod
        self.framer = Framer()
        self.pairs: dict[str, dict] = {}     # requestid -> {"error": sid, "data": sid, "port": int, ...}
        self.streams: dict[int, dict] = {}   # stream id -> its pair

    def run(self) -> None:
        while True:
            data = self.pipe.recv()
            if data is None:
                return
            for frame in self.framer.feed(data):
                if frame.type == "GOAWAY":
                    return
                self._on(frame)

    def _send(self, data: bytes) -> None:
        self.pipe.send(data)

    def _on(self, f: Any) -> None:
        if f.type == "PING":
            self._send(self.framer.ping(f.ping_id))
        elif f.type == "SYN_STREAM":
            self._open(f.stream_id, f.headers or {})
        elif f.type == "DATA":
            pair = self.streams.get(f.stream_id)
            if pair is None or pair.get("closed"):
                return
            if f.stream_id == pair.get("data"):
                pair["buf"] += f.data
                self._serve_http(pair)
            if f.fin and f.stream_id == pair.get("data"):
                self._close(pair)
        elif f.type == "RST_STREAM":
            pair = self.streams.pop(f.stream_id, None)
            if pair is not None:
                pair["closed"] = True

    def _open(self, sid: int, headers: dict) -> None:
        rid = headers.get("requestid", "")
        pair = self.pairs.setdefault(rid, {"buf": b"", "closed": False})
        kind = headers.get("streamtype", "")
        self._send(self.framer.syn_reply(sid))   # connection.go newSpdyStream: an empty reply
        if kind not in ("error", "data"):
            self._send(self.framer.rst_stream(sid))
            return
        pair[kind] = sid
        self.streams[sid] = pair
        try:
            pair["port"] = int(headers.get("port", ""))
        except ValueError:
            pair["port"] = 0
        if "error" in pair and "data" in pair:
            if self._listener(pair["port"]) is _NONE:
                self._fail(pair, self._refused(pair["port"]))

    def _listener(self, port: int) -> Any:
        if self.net is None:
            return _NONE
        with self.srv.lock:
            return self.net.listeners.get(("TCP", port), _NONE)

    def _refused(self, port: int) -> str:
        # kubelet httpstream.go portForward's error wrapping of containerd's dial error
        uid = self.pod["metadata"].get("uid", "")
        sandbox = uid.replace("-", "")
        return (f"error forwarding port {port} to pod {sandbox}, uid : failed to execute portforward in network "
                f"namespace \"/var/run/netns/cni-{uid}\": failed to connect to localhost:{port} inside namespace "
                f"\"{sandbox}\", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 "
                f"[::1]:{port}: connect: connection refused ")

    def _fail(self, pair: dict, message: str) -> None:
        self._send(self.framer.data(pair["error"], message.encode()))
        self._close(pair)

    def _close(self, pair: dict) -> None:
        if pair.get("closed"):
            return
        pair["closed"] = True
        for kind in ("data", "error"):
            if kind in pair:
                self._send(self.framer.data(pair[kind], b"", fin=True))

    def _serve_http(self, pair: dict) -> None:
        """Answer every whole HTTP/1.1 request in the data stream's buffer."""
        handler = self._listener(pair["port"])
        while pair["buf"] and not pair.get("closed"):
            req = _parse_request(pair["buf"])
            if req is None:
                return
            method, target, headers, body, rest = req
            pair["buf"] = rest
            if handler is None or handler is _NONE:   # a TCP listener that is not HTTP: no answer
                continue
            from .container.net import HttpRequest
            with self.srv.lock:
                try:
                    resp = handler(HttpRequest(method, target, headers, body.decode("utf-8", "replace"),
                                               src_ip="127.0.0.1", host=headers.get("Host", "localhost")))
                except Exception as e:   # a container model's bug: a 500, not a dead session
                    resp = None
                    err = repr(e)
                now = self.srv.cluster.loop.now
            data = _response_bytes(resp, method, now) if resp is not None else \
                f"HTTP/1.1 500 Internal Server Error\r\nContent-Length: {len(err)}\r\n\r\n{err}".encode()
            self._send(self.framer.data(pair["data"], data))
            if headers.get("Connection", "").lower() == "close":
                self._close(pair)


_NONE = object()   # no listener on the port


def _parse_request(buf: bytes) -> tuple[str, str, dict, bytes, bytes] | None:
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1").split("\r\n")
    parts = head[0].split(" ")
    method, target = (parts[0], parts[1]) if len(parts) >= 2 else ("GET", "/")
    headers: dict[str, str] = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        headers["-".join(w.capitalize() for w in k.strip().split("-"))] = v.strip()
    try:
        length = int(headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    start = end + 4
    if len(buf) < start + length:
        return None
    return method, target, headers, buf[start:start + length], buf[start + length:]


def _response_bytes(resp: Any, method: str, now: float) -> bytes:
    from .sim.clock import EPOCH
    body = resp.body.encode() if isinstance(resp.body, str) else bytes(resp.body or b"")
    date = (EPOCH + _dt.timedelta(seconds=int(now))).strftime("%a, %d %b %Y %H:%M:%S GMT")
    headers = {"Date": date, **resp.headers, "Content-Length": str(len(body)), "Connection": "keep-alive"}
    head = f"HTTP/1.1 {resp.status} {resp.reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + (b"" if method == "HEAD" else body)
