"""HTTP robustness of ``k8score serve`` (k8score/serve.py): in-flight limits and bad requests.

Limits as kube-apiserver's: pkg/server/filters/maxinflight.go (``--max-requests-inflight``
400 / ``--max-mutating-requests-inflight`` 200 by default: past them a 429 with
``Retry-After: 1`` and "Too many requests, please try again later."; watches and other
long-running requests do not count). Malformed requests get a 4xx (a Status where the API
answers) and the server keeps answering. Plain HTTP here (``tls=False``): the transport is
the same.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from k8score import Cluster
from k8score.serve import Server

TOKEN = "robust-token"


@pytest.fixture(scope="module")
def server():
    s = Server(Cluster(nodes=1, seed=1), port=0, speed=4.0, tls=False,
               max_requests_inflight=1, max_mutating_requests_inflight=1).start()
    s.add_admin_token(TOKEN)
    yield s
    s.stop()


def request(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request(method, path, body=body, headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict(r.getheaders()), data


def test_past_the_inflight_limit_is_429_with_retry_after(server):
    results = {}
    with server.lock:  # the simulation is busy: the first read stays in flight
        t = threading.Thread(target=lambda: results.setdefault("first", request(server, "GET", "/api/v1/nodes")))
        t.start()
        time.sleep(0.3)
        code, headers, body = request(server, "GET", "/api/v1/namespaces")
        assert (code, headers["Retry-After"], body) == (429, "1", b"Too many requests, please try again later.\n")
        # writes have their own budget (1 here): one write still gets in ...
        w = threading.Thread(target=lambda: results.setdefault("write", request(
            server, "POST", "/api/v1/namespaces/default/configmaps", b'{"metadata":{"name":"c1"}}',
            {"Content-Type": "application/json"})))
        w.start()
        time.sleep(0.3)
        # ... a second is refused
        code, _, _ = request(server, "DELETE", "/api/v1/namespaces/default/configmaps/c1")
        assert code == 429
        # a watch is long-running: not counted, not refused
        conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        conn.request("GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1",
                     headers={"Authorization": f"Bearer {TOKEN}"})
    t.join(5)
    w.join(5)
    assert results["first"][0] == 200 and results["write"][0] == 201
    watch = conn.getresponse()
    assert watch.status == 200 and b'"name":"c1"' in watch.read()
    conn.close()
    # the budget is free again
    assert request(server, "GET", "/api/v1/namespaces")[0] == 200


def test_malformed_requests_are_4xx_and_the_server_keeps_answering(server):
    cm = "/api/v1/namespaces/default/configmaps"
    for body, ctype, code in ((b"{not json", "application/json", 400), (b"[" * 5000, "application/json", 400),
                              (b'{"metadata":{"name":"x"}}', "text/csv", 415),
                              (b'{"metadata":{"name":"Bad_Name"}}', "application/json", 422)):
        got, _, data = request(server, "POST", cm, body, {"Content-Type": ctype})
        assert got == code, data
        assert json.loads(data)["kind"] == "Status"
    assert request(server, "GET", cm + "?labelSelector=a%3D%3D%3Db")[0] == 400
    assert request(server, "PATCH", cm + "/nope", b"{}", {"Content-Type": "application/json-patch+json"})[0] == 404
    code, _, data = request(server, "BREW", "/api/v1/namespaces")
    assert (code, json.loads(data)["message"]) == (405, "method BREW is not allowed")
    # a request line that is not HTTP: 400 from the HTTP layer
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET /version HTTP/1.1 extra\r\n\r\n")
        assert b"400" in sock.recv(1000)
    # half-closed: fewer body bytes than Content-Length, then the client stops writing
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(f"POST {cm} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":".encode())
        sock.shutdown(socket.SHUT_WR)
        reply = sock.recv(200)
        assert reply.startswith(b"HTTP/1.1 400")
    # a client that connects and goes away without a byte
    socket.create_connection((server.host, server.port), timeout=5).close()
    assert request(server, "GET", "/version")[0] == 200


def test_protobuf_bodies_decode_or_fail_cleanly():
    """k8score/apiserver/protobuf.py on arbitrary bytes: a dict, None (kind unknown) or a
    ProtobufError (the transport's 400) — never another exception."""
    from hypothesis import given, settings, strategies as st

    from k8score.apiserver import protobuf

    tm = bytes([0x0a, 2]) + b"v1" + bytes([0x12, 3]) + b"Pod"
    prefix = b"k8s\x00" + bytes([0x0a, len(tm)]) + tm

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=64))
    def check(raw):
        for body in (prefix + bytes([0x12, len(raw)]) + raw, b"k8s\x00" + raw):
            try:
                out = protobuf.decode(body)
            except protobuf.ProtobufError:
                continue
            assert out is None or isinstance(out, dict)

    check()
    # a field of the wrong wire type is an error, not a crash: metadata (a message) as a varint
    with pytest.raises(protobuf.ProtobufError):
        protobuf.decode(prefix + bytes([0x12, 2, 0x08, 0x01]))
    # negative integers arrive sign-extended in ten bytes: terminationGracePeriodSeconds (field 4) = -1
    spec = bytes([0x20]) + b"\xff" * 9 + b"\x01"
    pod = protobuf.decode(prefix + bytes([0x12, len(spec) + 2, 0x12, len(spec)]) + spec)
    assert pod == {"apiVersion": "v1", "kind": "Pod", "spec": {"terminationGracePeriodSeconds": -1}}


def test_protobuf_embedded_structs_are_inline_in_json():
    """Go structs embedded with ``json:",inline"`` (Volume's VolumeSource, ConfigMapVolumeSource's
    LocalObjectReference) are nested messages in protobuf (generated.proto: ``volumeSource = 2``,
    ``localObjectReference = 1``) but their fields sit in the parent in JSON: a typed client's
    Pod with a configMap volume must arrive as ``{"name": "cfg", "configMap": {"name": "app"}}``."""
    from k8score.apiserver import protobuf

    def field(num: int, payload: bytes) -> bytes:   # a length-delimited field (wire type 2)
        return bytes([num << 3 | 2, len(payload)]) + payload

    tm = field(1, b"v1") + field(2, b"Pod")
    ref = field(1, field(1, b"app"))                 # ConfigMapVolumeSource.localObjectReference.name
    volume = field(1, b"cfg") + field(2, bytes([0x9a, 0x01, len(ref)]) + ref)   # VolumeSource.configMap = 19 (tag varint 154)
    body = b"k8s\x00" + field(1, tm) + field(2, field(2, field(1, volume)))   # Unknown.raw = Pod{spec = 2{volumes = 1}}
    pod = protobuf.decode(body)
    assert pod["spec"] == {"volumes": [{"name": "cfg", "configMap": {"name": "app"}}]}
