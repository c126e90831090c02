"""HTTP robustness of ``k8score serve``: a CI sample of ``bench/fuzz_serve.py`` (2,000 requests).

The bench (``python bench/fuzz_serve.py 100000``) sends generated requests — wrong methods,
paths, query strings and content types, malformed JSON/YAML/protobuf, huge and deeply nested
bodies, bad selectors and patches, half-closed connections, slow senders — to a served
cluster holding 1,000 extra pods, and checks what kube-apiserver guarantees: no 5xx but the
documented 504 (pkg/server/filters/timeout.go), every error a Status
(pkg/endpoints/handlers/responsewriters/status.go) but the documented plain-text ones
(maxinflight.go's 429, Go net/http's answers to bytes that are not HTTP), the server keeps
answering, and every stored object is JSON that decodes against its kind's schema.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "fuzz_serve", Path(__file__).resolve().parent.parent / "bench" / "fuzz_serve.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)


def test_two_thousand_generated_requests_break_no_rule():
    out = fuzz.run(2000, seed=7, workers=8, pods=1000, latency_samples=5, gc_tuning=False)
    assert out["findings"] == {}
    assert out["requests"] == 2000 and out["pods_listed"] >= 1000
    print(f"\n{out['requests']} requests, {out['rps']:.0f}/s; GET /api/v1/pods p99 {out['pods_p99'] * 1000:.0f} ms")


def test_the_generator_covers_every_kind_of_bad_input():
    reqs = [fuzz.gen_request(random.Random(f"7/{i}")) for i in range(2000)]
    modes = {r["mode"] for r in reqs}
    assert modes == {"http", "raw", "half", "slow"}
    assert {r["method"] for r in reqs} >= {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "BREW", "get"}
    bodies = [r["body"] for r in reqs if r["body"]]
    assert any(len(b) > 2_000_000 for b in bodies) and any(b.startswith(b"[[[[") for b in bodies)
    assert any(b.startswith(b"k8s\x00") for b in bodies) and any(b"NaN" in b for b in bodies)
    assert any("labelSelector=!!!" in r["target"] for r in reqs)
    assert any(r["headers"].get("Content-Type") == "application/json-patch+json" for r in reqs)


def test_the_checks_catch_what_they_should():
    req = {"method": "GET", "target": "/api/v1/pods", "mode": "http"}
    status = b'{"kind":"Status","apiVersion":"v1","code":404}'
    assert fuzz._check(req, 404, "application/json", status) is None
    assert fuzz._check(req, 500, "application/json", b'{"kind":"Status","code":500}') == "500 answer"
    assert fuzz._check(req, 504, "application/json", b'{"kind":"Status","code":504}') is None
    assert fuzz._check(req, 404, "application/json", b'{"kind":"Status","code":400}') is not None
    assert fuzz._check(req, 400, "text/html", b"<html>") is not None
    assert fuzz._check(req, 429, "text/plain", b"Too many requests, please try again later.\n") is None
    assert fuzz._check({**req, "mode": "raw"}, 400, "text/plain", b"400 Bad Request") is None
