"""Request deadlines and watch timeouts of ``k8score serve`` (k8score/serve_limits.py).

Upstream: staging/src/k8s.io/apiserver/pkg/endpoints/filters/request_deadline.go (the
``timeout`` query parameter, at most ``--request-timeout``; a bad one is 400 "invalid
timeout specified in the request URL - ..."), pkg/server/filters/timeout.go (past the
deadline: 504 ``Timeout``, "Timeout: request did not complete within requested timeout -
context deadline exceeded"), pkg/endpoints/handlers/get.go (a watch without
``timeoutSeconds`` lasts ``--min-request-timeout`` times [1, 2)). Plain HTTP; wall seconds
scaled down through the Server's options so the module stays fast.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time

import pytest

from k8score import Cluster
from k8score.serve import Server
from k8score.serve_limits import parse_go_duration, request_timeout, watch_timeout

TOKEN = "limits-token"


@pytest.fixture(scope="module")
def server():
    s = Server(Cluster(nodes=1, seed=2), port=0, tls=False, request_timeout=0.6,
               min_request_timeout=0.4).start()
    s.add_admin_token(TOKEN)
    yield s
    s.stop()


def get(server, path: str):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def _while_busy(server, seconds: float, path: str):
    """GET ``path`` while the simulation is busy for ``seconds``: (status, body, wall seconds)."""
    got = {}

    def call():
        t = time.monotonic()
        got["r"] = get(server, path) + (time.monotonic() - t,)
    with server.lock:
        t = threading.Thread(target=call)
        t.start()
        time.sleep(seconds)
    t.join(10)
    return got["r"]


def test_a_request_not_answered_by_its_deadline_is_a_504_timeout_status(server):
    status, body, took = _while_busy(server, 1.0, "/api/v1/namespaces")
    assert status == 504 and 0.5 < took < 1.0
    assert json.loads(body) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "Timeout: request did not complete within requested timeout - "
                                           "context deadline exceeded",
                                "reason": "Timeout", "details": {}, "code": 504}
    # inside the deadline the same request waits for the simulation and is answered
    status, _, took = _while_busy(server, 0.3, "/api/v1/namespaces")
    assert status == 200 and took >= 0.3


def test_the_timeout_parameter_shortens_the_deadline_never_lengthens_it(server):
    status, _, took = _while_busy(server, 0.5, "/api/v1/namespaces?timeout=100ms")
    assert status == 504 and took < 0.4
    status, _, took = _while_busy(server, 0.9, "/api/v1/namespaces?timeout=1h")   # capped at 0.6 s
    assert status == 504 and took < 0.85
    status, body = get(server, "/api/v1/namespaces?timeout=soon")
    assert (status, json.loads(body)["message"]) == (
        400, 'invalid timeout specified in the request URL - time: invalid duration "soon"')
    assert get(server, "/api/v1/namespaces?timeout=0s")[0] == 200   # 0: the server's own deadline


def test_a_watch_without_timeout_seconds_ends_after_min_request_timeout_times_1_to_2(server):
    t = time.monotonic()
    status, body = get(server, "/api/v1/namespaces?watch=true")
    took = time.monotonic() - t
    assert status == 200 and 0.4 <= took < 0.8 + 0.6   # [0.4, 0.8) plus one poll interval
    assert b'"type":"ADDED"' in body
    # watches are long-running: no request deadline applies, timeoutSeconds is the watch's own
    t = time.monotonic()
    assert get(server, "/api/v1/namespaces?watch=true&timeoutSeconds=1")[0] == 200
    assert 1.0 <= time.monotonic() - t < 1.7


def test_go_durations_and_the_pure_rules():
    assert [parse_go_duration(s) for s in ("1h2m3s", "1.5s", "300ms", "-2s", "250us", "0")] == \
        [3723.0, 1.5, 0.3, -2.0, 0.00025, 0.0]
    for bad, msg in (("", 'time: invalid duration ""'), ("3", 'time: missing unit in duration "3"'),
                     ("3d", 'time: unknown unit "d" in duration "3d"'), (".s", 'time: invalid duration ".s"')):
        with pytest.raises(ValueError) as e:
            parse_go_duration(bad)
        assert str(e.value) == msg
    assert request_timeout("") == 60.0 and request_timeout("timeout=30s") == 30.0
    assert request_timeout("timeout=2m") == 60.0 and request_timeout("timeout=-1s") == 60.0
    rng = random.Random(0)
    spread = [watch_timeout("", rng) for _ in range(200)]
    assert 1800 <= min(spread) and max(spread) < 3600 and max(spread) - min(spread) > 1000
    assert watch_timeout("timeoutSeconds=5", rng) == 5.0
    assert watch_timeout("timeoutSeconds=-5&timeoutSeconds=9", rng) == 0.0   # the first; negative: at once
