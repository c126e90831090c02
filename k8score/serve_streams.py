"""Long-lived responses of ``k8score serve``: ``pods/exec`` over WebSocket and ``logs -f``.

Native-only like k8score/serve.py (sockets, the wall clock); the protocol framing is pure
(k8score/apiserver/streaming.py) and the API semantics are ``rest.handle``'s.

Why wsproto (pinned in the test extra; imported only when a client asks for an upgrade): a
sans-I/O WebSocket state machine in pure Python (the h11 family), so this transport keeps
its thread-per-connection sockets and only hands bytes in and out.

Contracts:

* ``exec`` (kubectl >= 1.30 and the Python client's ``kubernetes.stream`` upgrade a GET to a
  WebSocket with ``v5``/``v4.channel.k8s.io``): the request is authorized as ``create
  pods/exec`` (upstream's AuthorizePodWebsocketUpgradeCreatePermission, on by default). Errors
  known before the upgrade (no such pod, container, RBAC) are plain HTTP Status answers, as
  upstream's; with stdin the command starts once stdin is closed (``[255, 0]`` in v5, or the
  connection closing in v4) — k8score's processes read their whole input at start. Then
  stdout (1), stderr (2), the exit Status (3), and a normal close.
* ``logs -f``: chunked ``text/plain``; the log is re-read every ``_FOLLOW_POLL`` wall seconds
  and what is new is sent, until the container has terminated, the pod is gone, or the client
  left.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from .apiserver import streaming
from .apiserver.registry.podconnect import validate_container
from .apiserver.request import APISERVER

_FOLLOW_POLL = 0.2   # wall seconds between reads of a followed log
_EXEC_LIMIT = 300.0  # wall seconds an exec may take before the session is ended


def is_websocket(headers: dict) -> bool:
    return "websocket" in str(headers.get("upgrade", "")).lower()


# -- exec -------------------------------------------------------------------------------------
def serve_exec(handler: Any, srv: Any, path: str, query: str, headers: dict) -> None:
    """Serve one ``pods/<name>/exec`` WebSocket session on ``handler``'s connection."""
    q = parse_qs(query, keep_blank_values=True)
    flag = lambda k: (q.get(k) or ["false"])[-1] in ("true", "1")  # noqa: E731
    options = {"kind": "PodExecOptions", "apiVersion": "v1", "command": q.get("command", []),
               "container": (q.get("container") or [""])[-1], "stdin": flag("stdin"),
               "stdout": flag("stdout"), "stderr": flag("stderr"), "tty": flag("tty")}
    protocol = streaming.negotiate(headers.get("sec-websocket-protocol"))
    if protocol is None:
        handler._json(400, rest_status(400, "BadRequest", "unable to upgrade connection: no supported "
                                       f"subprotocol among {', '.join(streaming.PROTOCOLS)}"))
        return
    base = {"path": path, "headers": headers}
    stream = None
    if not options["stdin"]:
        out = srv.handle({**base, "method": "POST", "body": options, "query": ""})
        if out["code"] >= 300:
            handler._json(out["code"], out["body"])
            return
        stream = out["body"]
        if getattr(stream, "failure", None) and not stream.internal:
            handler._json(500, rest_status(500, "InternalError", stream.failure))
            return
    else:
        err = _precheck(srv, path, headers, options["container"])
        if err is not None:
            handler._json(err["code"], err["body"])
            return
    ws = _WebSocket(handler, protocol)
    if not ws.accept():
        return
    try:
        if stream is None:
            got = streaming.ExecInput(protocol)
            while not got.stdin_closed:
                msg = ws.receive()
                if msg is None:
                    got.close()
                    break
                got.feed(msg)
            out = srv.handle({**base, "method": "POST", "body": {**options, "input": got.stdin}, "query": ""})
            if out["code"] >= 300:
                ws.send(streaming.status_frame(out["body"]))
                ws.close()
                return
            stream = out["body"]
        deadline = time.monotonic() + _EXEC_LIMIT
        while time.monotonic() < deadline:
            with srv.lock:
                if stream.done:
                    break
            time.sleep(0.02)
        with srv.lock:
            done, failure = stream.done, stream.failure
            stdout, stderr, code = stream.stdout, stream.stderr, stream.exit_code
        if not done:
            ws.send(streaming.status_frame(streaming.failure_status("timed out waiting for the command")))
        elif failure:
            ws.send(streaming.status_frame(streaming.failure_status(failure)))
        else:
            if stdout:
                ws.send(streaming.frame(streaming.STDOUT, stdout))
            if stderr:
                ws.send(streaming.frame(streaming.STDERR, stderr))
            ws.send(streaming.status_frame(streaming.exit_status(code, options["command"])))
        ws.close()
    except OSError:
        pass
    finally:
        handler.close_connection = True


def serve_attach(handler: Any, srv: Any, path: str, query: str, headers: dict) -> None:
    """``pods/<name>/attach``: the container's output from now on, on the stdout channel, until
    it terminates (then its exit Status) or the client leaves. k8score's containers write
    their output to the log file the kubelet serves, so this follows that log. Authorized
    as ``create pods/attach`` first (upstream's AuthorizePodWebsocketUpgradeCreatePermission,
    as exec is ``create pods/exec``), then as the pod and log reads it makes."""
    q = parse_qs(query, keep_blank_values=True)
    container = (q.get("container") or [""])[-1]
    protocol = streaming.negotiate(headers.get("sec-websocket-protocol"))
    err = _authorize_attach(srv, path, headers)
    if err is None:
        err = _precheck(srv, path, headers, container)
    if err is None and protocol is None:
        err = {"code": 400, "body": rest_status(400, "BadRequest", "unable to upgrade connection")}
    # once attach is authorized, the server reads the container's output itself (the kubelet
    # connection upstream), not as the caller: attach needs no ``get pods/log``
    log = {"method": "GET", "path": path.rsplit("/", 1)[0] + "/log", "headers": {}, "user": APISERVER,
           "query": f"container={container}" if container else ""}
    out = srv.handle(dict(log)) if err is None else err
    if out["code"] != 200:
        handler._json(out["code"], out["body"])
        return
    sent = out.get("text") or ""
    ws = _WebSocket(handler, protocol or streaming.V5)
    if not ws.accept():
        return
    try:
        while not handler._client_gone():
            time.sleep(_FOLLOW_POLL)
            out = srv.handle(dict(log))
            text = out.get("text") or ""
            if out["code"] != 200:
                ws.send(streaming.status_frame(streaming.failure_status(out["body"].get("message", ""))))
                break
            if len(text) > len(sent):
                ws.send(streaming.frame(streaming.STDOUT, text[len(sent):]))
                sent = text
            code = _exit_code(srv, path, {}, container, APISERVER)
            if code is not None:
                ws.send(streaming.status_frame(streaming.exit_status(code)))
                break
        ws.close()
    except OSError:
        pass
    finally:
        handler.close_connection = True


def _authorize_attach(srv: Any, path: str, headers: dict) -> dict | None:
    """The 401/403 Status of ``create pods/attach`` for the caller (impersonation included), or
    None when allowed. The request runs the API server's whole authn/authz pipeline; k8score
    serves no ``attach`` handler there, so an allowed request ends in its 404, which is ignored."""
    out = srv.handle({"method": "POST", "path": path, "headers": headers, "query": "",
                      "body": {"kind": "PodAttachOptions", "apiVersion": "v1"}})
    return out if out["code"] in (401, 403) else None


def _exit_code(srv: Any, path: str, headers: dict, container: str, user: Any = None) -> int | None:
    out = srv.handle({"method": "GET", "path": path.rsplit("/", 1)[0], "headers": headers, "query": "",
                      "user": user})
    if out["code"] != 200:
        return 0
    for st in (out["body"].get("status") or {}).get("containerStatuses") or []:
        if not container or st.get("name") == container:
            state = st.get("state") or {}
            if "running" in state:
                return None
            # exited (and perhaps waiting to restart): the last termination's code
            term = state.get("terminated") or (st.get("lastState") or {}).get("terminated")
            return int(term.get("exitCode") or 0) if term else None
    return None


def _precheck(srv: Any, path: str, headers: dict, container: str) -> dict | None:
    """Before an interactive upgrade: the pod must exist and have the container (the errors
    ExecREST would answer before the upgrade)."""
    pod_path = path.rsplit("/", 1)[0]
    out = srv.handle({"method": "GET", "path": pod_path, "headers": headers, "query": ""})
    if out["code"] >= 300:
        return out
    try:
        validate_container(container, out["body"])
    except Exception as e:  # ApiError: a 400 Status
        return {"code": getattr(e, "code", 400), "body": getattr(e, "status", rest_status(400, "BadRequest", str(e)))}
    return None


def rest_status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class _WebSocket:
    """A server-side WebSocket on an already-read HTTP request (wsproto state machine)."""

    def __init__(self, handler: Any, protocol: str):
        from wsproto import ConnectionType, WSConnection
        self.h = handler
        self.protocol = protocol
        self.conn = WSConnection(ConnectionType.SERVER)
        self._pending: list[bytes] = []
        self._closed = False

    def accept(self) -> bool:
        from wsproto.events import AcceptConnection, Request
        h = self.h
        raw = h.requestline + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.headers.items()) + "\r\n"
        self.conn.receive_data(raw.encode("latin-1"))
        if not any(isinstance(ev, Request) for ev in self.conn.events()):
            h._json(400, rest_status(400, "BadRequest", "bad WebSocket handshake"))
            return False
        h.wfile.write(self.conn.send(AcceptConnection(subprotocol=self.protocol)))
        h.wfile.flush()
        return True

    def send(self, data: bytes) -> None:
        from wsproto.events import BytesMessage
        self.h.wfile.write(self.conn.send(BytesMessage(data=data)))
        self.h.wfile.flush()

    def receive(self) -> bytes | None:
        """The next whole binary message, or None when the client closed."""
        from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
        buf = bytearray()
        while True:
            if self._closed:
                return None
            for ev in self.conn.events():
                if isinstance(ev, (BytesMessage, TextMessage)):
                    buf += ev.data if isinstance(ev.data, (bytes, bytearray)) else ev.data.encode()
                    if ev.message_finished:
                        return bytes(buf)
                elif isinstance(ev, Ping):
                    self.h.wfile.write(self.conn.send(ev.response()))
                    self.h.wfile.flush()
                elif isinstance(ev, CloseConnection):
                    self._closed = True
                    from wsproto.connection import ConnectionState
                    if self.conn.state == ConnectionState.REMOTE_CLOSING:  # not the reply to our close
                        self.h.wfile.write(self.conn.send(ev.response()))
                        self.h.wfile.flush()
                    return None
            data = self.h.rfile.read1(65536)
            if not data:
                self._closed = True
                return None
            self.conn.receive_data(data)

    def close(self) -> None:
        from wsproto.connection import ConnectionState
        from wsproto.events import CloseConnection
        if self._closed or self.conn.state != ConnectionState.OPEN:
            return
        self.h.wfile.write(self.conn.send(CloseConnection(code=1000)))
        self.h.wfile.flush()
        self.h.connection.settimeout(2.0)  # wait briefly for the client's close frame
        try:
            while self.receive() is not None:
                pass
        except OSError:
            pass


# -- logs -f ----------------------------------------------------------------------------------
def serve_follow(handler: Any, srv: Any, request: dict, first: str) -> None:
    """Stream a followed log: ``first`` (the log so far), then what is appended."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    sent = first
    q = {k: v for k, v in parse_qs(request["query"], keep_blank_values=True).items()
         if k not in ("follow", "tailLines", "limitBytes")}
    again = {**request, "query": "&".join(f"{k}={v[-1]}" for k, v in q.items()), "on_event": None}
    try:
        _chunk(handler, first.encode())
        # where ``first`` (perhaps cut by tailLines/limitBytes) ends in the whole log
        out = srv.handle(dict(again))
        full = out.get("text") or ""
        at = full.rfind(first) if first else len(full)
        if at >= 0 and first:
            sent = full[:at + len(first)]
        elif not first:
            sent = ""
        else:
            sent = full
        while True:
            if handler._client_gone():
                break
            time.sleep(_FOLLOW_POLL)
            out = srv.handle(dict(again))
            if out["code"] != 200 or "text" not in out:
                break
            text = out["text"]
            if text.startswith(sent):
                _chunk(handler, text[len(sent):].encode())
            sent = text if len(text) >= len(sent) else sent
            if _terminated(srv, request):
                break
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True


def _chunk(handler: Any, data: bytes) -> None:
    if data:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.flush()


def _terminated(srv: Any, request: dict) -> bool:
    """Whether the followed container has stopped (the kubelet ends a follow at EOF then)."""
    pod_path = request["path"].rsplit("/", 1)[0]
    out = srv.handle({"method": "GET", "path": pod_path, "headers": request["headers"], "query": ""})
    if out["code"] != 200:
        return True
    q = parse_qs(request["query"])
    name = (q.get("container") or [""])[-1]
    statuses = (out["body"].get("status") or {}).get("containerStatuses") or []
    for st in statuses:
        if not name or st.get("name") == name:
            return "running" not in (st.get("state") or {})  # exited (or restarting): the log ends
    return False
