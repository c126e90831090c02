"""HTTP robustness of ``k8score serve``: N generated requests against a running server.

    python bench/fuzz_serve.py 100000 [--seed 0] [--workers 8]

Starts a served 1-node cluster (plain HTTP, in this process) holding 1,000 extra pods,
then sends N requests from ``--workers`` threads: wrong methods, paths and query strings,
odd content types, malformed JSON/YAML/protobuf, huge and deeply nested bodies, bad
selectors, bad patches, half-closed connections, slow senders, and valid writes for churn.
Checks, as kube-apiserver behaves (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/
responsewriters/status.go: every API error is a Status; pkg/server/filters/maxinflight.go,
timeout.go; Go net/http server.go for requests that are not HTTP):

* no 5xx but the documented 504 ``Timeout`` (a request past ``--request-timeout``);
* every error (>= 400) is a JSON ``Status`` whose ``code`` is the HTTP status, except the
  documented plain-text answers: 429 from the in-flight limit, ``404 page not found`` of a
  non-API path under ``/openapi``, and ``400 Bad Request`` to bytes that are not an HTTP
  request (Go's server answers those in plain text too);
* the server keeps answering (``/readyz`` and a list every 500 requests) and its threads live;
* store invariants at the end: every value under ``/registry/`` is JSON without NaN or
  Infinity, and every built-in object decodes against its kind's schema.

Prints the request count, requests/s, the findings by kind (at most a few examples each),
and the p50/p99 latency of ``GET /api/v1/pods`` (1,000+ pods). Exit status 1 on findings.
``run(n, seed)`` is what tests/test_serve_fuzz.py calls.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from k8score import Cluster  # noqa: E402
from k8score.api.schema.decode import decode  # noqa: E402
from k8score.api.schema.model import schema_for  # noqa: E402
from k8score.serve import Server, tune_gc  # noqa: E402

TOKEN = "fuzz-token"
NS = "fuzz"
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "BREW", "get")
_PATHS = ("/api/v1/namespaces/fuzz/configmaps", "/api/v1/namespaces/fuzz/configmaps/cm{n}",
          "/api/v1/namespaces/fuzz/pods", "/api/v1/namespaces/fuzz/pods/p{n}",
          "/apis/apps/v1/namespaces/fuzz/deployments", "/apis/apps/v1/namespaces/fuzz/deployments/d{n}",
          "/apis/apps/v1/namespaces/fuzz/deployments/d{n}/scale", "/api/v1/namespaces/fuzz/pods/p{n}/status",
          "/api/v1/namespaces/fuzz/pods/p{n}/log", "/api/v1/nodes", "/api/v1/namespaces/bulk/pods/bulk-x{n}",
          "/api/v1/namespaces", "/api", "/apis",
          "/apis/apps/v1", "/version", "/openapi/v3", "/openapi/v3/apis/apps/v1", "/openapi/v3/apis/nope/v9",
          "/openapi/v2", "/readyz", "/livez", "/apis/nope.example.com/v1/things", "/api/v2/pods",
          "/api/v1/namespaces/fuzz/bogus", "/api/v1/namespaces/%00/pods", "/api/v1/namespaces/../../etc",
          "//api//v1//namespaces//fuzz//configmaps", "/api/v1/namespaces/fuzz/pods/p/x/y/z", "/" + "a" * 3000,
          "/api/v1/%C3%A9t%C3%A9/x",
          "/apis/apps/v1/namespaces/fuzz/deployments/d{n}/rollback", "/api/v1/watch/namespaces/fuzz/configmaps",
          "/metrics", "/")
_QUERY = ("labelSelector=app%3Dfz", "labelSelector=a%20in%20(b", "labelSelector=!!!", "labelSelector=" + "a" * 400,
          "fieldSelector=metadata.name%3Dx", "fieldSelector=spec.bogus%3D1", "fieldSelector=%3D%3D",
          "limit=-1", "limit=abc", "limit=2", "continue=garbage", "continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ",
          "resourceVersion=abc", "resourceVersion=0", "resourceVersion=999999999", "resourceVersionMatch=Bogus",
          "resourceVersionMatch=NotOlderThan", "watch=maybe", "watch=true&timeoutSeconds=0.2",
          "timeoutSeconds=-5", "timeout=xyz", "timeout=1ms", "timeout=5", "dryRun=Nope", "dryRun=All",
          "fieldManager=" + "m" * 200, "fieldValidation=Bad", "fieldValidation=Strict", "pretty=2",
          "propagationPolicy=bad", "gracePeriodSeconds=-1", "gracePeriodSeconds=x", "force=maybe",
          "sendInitialEvents=true", "allowWatchBookmarks=yes", "%zz=1", "a=%ff%fe", "")
_CTYPES = ("application/json", "application/yaml", "text/plain", "application/xml", "application/cbor",
           "application/vnd.kubernetes.protobuf", "multipart/form-data; boundary=x", "",
           "application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json",
           "application/apply-patch+yaml", "application/json; charset=utf-16")
_BILLION_LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


def _cm(n: int) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm{n}", "namespace": NS,
                                                                  "labels": {"app": "fz"}}, "data": {"k": str(n)}}


def _deployment(n: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": f"d{n}", "namespace": NS},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": f"d{n}"}},
                     "template": {"metadata": {"labels": {"app": f"d{n}"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _body(rng: random.Random, n: int) -> bytes:
    """A body: valid, malformed, huge or deep."""
    k = rng.randrange(14)
    if k == 0:
        return json.dumps(_cm(n)).encode()
    if k == 1:
        return json.dumps(_deployment(n)).encode()
    if k == 2:
        return json.dumps(_cm(n))[:rng.randrange(1, 40)].encode()          # truncated JSON
    if k == 3:
        return b'{"metadata": {"name": "x"}, "data": {"k": NaN}}'
    if k == 4:
        return _BILLION_LAUGHS.encode()
    if k == 5:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    if k == 6:
        return b"k8s\x00" + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))  # protobuf magic
    if k == 7:
        return _nested(rng.choice((50, 101, 1000, 20000))).encode()
    if k == 8:
        return json.dumps({**_cm(n), "data": {"k": "x" * rng.choice((1000, 1_000_000, 2_900_000))}}).encode()
    if k == 9:
        return b'[{"op": "replace", "path": "/data/k", "value": 1}, {"op": "bogus"}]'
    if k == 10:
        return b'{"spec": {"replicas": "two", "$patch": "bogus", "template": {"spec": {"containers": 7}}}}'
    if k == 11:
        return b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm%d, namespace: fuzz}\ndata: {k: [1]}\n" % n
    if k == 12:
        return b'{"kind": "Status", "apiVersion": "v1", "metadata": {"name": 7}}'
    return b""


def gen_request(rng: random.Random) -> dict:
    """One generated request: ``{"method", "target", "headers", "body", "mode"}``."""
    n = rng.randrange(20)
    path = rng.choice(_PATHS).replace("{n}", str(n))
    q = "&".join(rng.choice(_QUERY) for _ in range(rng.randrange(3)))
    if "/watch/" in path or "watch=true" in q:   # a watch ends soon (the listing of 1,000 pods is timed apart)
        q += "&timeoutSeconds=0.2"
    method = rng.choice(_METHODS) if rng.random() < 0.6 else rng.choice(("GET", "POST", "PATCH", "PUT"))
    body = _body(rng, n) if method in ("POST", "PUT", "PATCH") or rng.random() < 0.05 else b""
    headers = {"Authorization": f"Bearer {TOKEN}" if rng.random() < 0.95 else "Bearer wrong"}
    if body or rng.random() < 0.1:
        headers["Content-Type"] = rng.choice(_CTYPES)
    if rng.random() < 0.1:
        headers["Accept"] = rng.choice(("application/json;as=Table;v=v1;g=meta.k8s.io", "application/yaml",
                                        "application/vnd.kubernetes.protobuf", "text/html", "*/*"))
    r = rng.random()
    mode = "half" if r < 0.01 else "slow" if r < 0.015 else "raw" if r < 0.03 else "http"
    return {"method": method, "target": path + ("?" + q if q else ""), "headers": headers, "body": body,
            "mode": mode}


#: bytes that are not (quite) an HTTP request
_JUNK = (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /api HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
         b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET " + b"/a" * 40000 + b" HTTP/1.1\r\n\r\n",
         b"POST /api/v1/namespaces/fuzz/configmaps HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
         b"POST /api HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")


def _check(req: dict, status: int, ctype: str, data: bytes) -> str | None:
    """The rule an answer breaks, or None."""
    if status >= 500 and status != 504:
        return f"{status} answer"
    if status < 400 or req["method"] == "HEAD":
        return None
    if "json" in ctype:
        try:
            obj = json.loads(data)
        except ValueError:
            return f"{status} with a body that is not JSON"
        if not isinstance(obj, dict) or obj.get("kind") != "Status" or obj.get("code") != status:
            return f"{status} JSON that is not a Status of that code"
        return None
    if status == 429 or (status == 404 and req["target"].startswith("/openapi")):
        return None
    if req["mode"] == "raw" and status in (400, 414, 431):   # not HTTP: Go's plain-text answers
        return None
    return f"{status} error that is not a Status ({ctype or 'no content type'})"


def _send_http(host: str, port: int, req: dict) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=70)
    try:
        conn.putrequest(req["method"], req["target"], skip_accept_encoding=True)
        for k, v in req["headers"].items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(req["body"])))
        conn.endheaders(req["body"] or None)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type") or "", r.read()
    finally:
        conn.close()


def _send_raw(host: str, port: int, req: dict, rng: random.Random) -> tuple[int, str, bytes] | None:
    """Bytes that are not quite HTTP, a half-closed connection, or a slow sender."""
    s = socket.create_connection((host, port), timeout=40)
    try:
        if req["mode"] == "half":
            head = f"{req['method']} {req['target']} HTTP/1.1\r\nContent-Length: 1000\r\n\r\n".encode()
            s.sendall(head[:rng.randrange(1, len(head) + 1)] + b"{\"partial\":")
            s.shutdown(socket.SHUT_WR)
        elif req["mode"] == "slow":
            wire = (f"GET /api/v1/namespaces/{NS}/configmaps HTTP/1.1\r\nHost: x\r\n"
                    f"Authorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n").encode()
            for i in range(0, len(wire), 16):
                s.sendall(wire[i:i + 16])
                time.sleep(0.01)
        else:
            junk = rng.choice(_JUNK)
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)   # else a request line never ends: the server waits its 32 s
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            length = next((int(ln.split(b":", 1)[1]) for ln in head.split(b"\r\n")[1:]
                           if ln.lower().startswith(b"content-length:")), None)
            if sep and length is not None and len(body) >= length:
                break
    except OSError:
        return None
    finally:
        s.close()
    if not data.startswith(b"HTTP/1."):
        return None    # closed without an answer: allowed for bytes that are not a request
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    ctype = next((ln.split(":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith("content-type:")), "")
    return int(lines[0].split(" ")[1]), ctype, body


def store_findings(cluster: Cluster) -> list[str]:
    """Every stored value is JSON without NaN/Infinity; built-in objects decode by schema."""
    out = []

    def refuse(const: str) -> None:
        raise ValueError(f"{const} stored")
    for kv in cluster.etcd.range("/registry/", "/registry0", revision=0).kvs:
        try:
            obj = json.loads(kv.value, parse_constant=refuse)
        except ValueError as e:
            out.append(f"{kv.key}: {e}")
            continue
        if isinstance(obj, dict) and schema_for(str(obj.get("apiVersion")), str(obj.get("kind"))) is not None:
            try:
                decode(obj["apiVersion"], obj["kind"], obj, "Ignore")
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                out.append(f"{kv.key}: {e}")
    return out


def _latency(host: str, port: int, count: int) -> tuple[float, float, int]:
    times, items = [], 0
    conn = http.client.HTTPConnection(host, port, timeout=60)
    for _ in range(count):
        t = time.perf_counter()
        conn.request("GET", "/api/v1/pods", headers={"Authorization": f"Bearer {TOKEN}"})
        r = conn.getresponse()
        items = len(json.loads(r.read())["items"])
        times.append(time.perf_counter() - t)
    conn.close()
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))], items


def run(n: int, seed: int = 0, workers: int = 8, pods: int = 1000, latency_samples: int = 100,
        gc_tuning: bool = True, progress: bool = False) -> dict:
    """Fuzz a fresh served cluster with ``n`` requests; the figures and findings.
    ``gc_tuning``: the collector settings of ``k8score serve`` (process-wide; tests leave them)."""
    cluster = Cluster(nodes=1, seed=seed)
    for ns in (NS, "bulk"):
        cluster.api.create("namespaces", {"metadata": {"name": ns}})
        cluster.run(until=lambda: cluster.apiserver.lister.get("serviceaccounts", "default", ns) is not None)
    for i in range(pods):   # gated: stored, never scheduled (no churn from 1,000 pending pods)
        cluster.api.create("pods", {"metadata": {"name": f"bulk-{i}", "labels": {"app": "bulk"}},
                                    "spec": {"schedulingGates": [{"name": "fuzz"}],
                                             "containers": [{"name": "c", "image": "nginx"}]}}, namespace="bulk")
    if gc_tuning:
        tune_gc()   # as `k8score serve` does
    server = Server(cluster, port=0, tls=False, speed=1.0).start()
    server.add_admin_token(TOKEN)
    findings: dict[str, list[str]] = {}
    lock = threading.Lock()
    counts = {"sent": 0, "no_answer": 0}

    def one(i: int) -> None:
        rng = random.Random(f"{seed}/{i}")
        req = gen_request(rng)
        try:
            got = _send_raw(server.host, server.port, req, rng) if req["mode"] != "http" else \
                _send_http(server.host, server.port, req)
        except (OSError, http.client.HTTPException) as e:
            got, err = None, f"{type(e).__name__}"
            if req["mode"] == "http":
                with lock:
                    findings.setdefault(f"no answer to an HTTP request ({err})", []).append(
                        f"{req['method']} {req['target'][:80]}")
        with lock:
            counts["sent"] += 1
            if got is None:
                counts["no_answer"] += 1
                return
            bad = _check(req, *got)
            if bad is not None:
                findings.setdefault(bad, []).append(f"[{req['mode']}] {req['method']} {req['target'][:80]} "
                                                    f"{req['headers'].get('Content-Type', '')} {got[2][:120]!r}")

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for base in range(0, n, 500):
            list(pool.map(one, range(base, min(n, base + 500))))
            alive = _alive(server)
            if progress and (base + 500) % 10_000 == 0:
                print(f"... {base + 500} requests, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
            if alive is not None:
                findings.setdefault(alive, []).append(f"after {base + 500} requests")
                break
    elapsed = time.perf_counter() - start
    p50, p99, items = _latency(server.host, server.port, latency_samples)
    server.stop()
    with server.lock:
        for f in store_findings(cluster):
            findings.setdefault("store invariant", []).append(f)
    return {"requests": counts["sent"], "seconds": elapsed, "rps": counts["sent"] / elapsed,
            "closed_without_answer": counts["no_answer"], "findings": findings,
            "pods_p50": p50, "pods_p99": p99, "pods_listed": items}


def _alive(server: Server) -> str | None:
    if not all(t.is_alive() for t in server._threads):
        return "a server thread died"
    for path in ("/readyz", "/api/v1/namespaces/default"):
        try:
            status, _, _ = _send_http(server.host, server.port, {"method": "GET", "target": path, "body": b"",
                                                                 "headers": {"Authorization": f"Bearer {TOKEN}"}})
        except OSError as e:
            return f"the server stopped answering ({e})"
        if status != 200:
            return f"the server answers {status} to GET {path}"
    return None


def main(argv: list[str]) -> int:
    import faulthandler
    import signal
    faulthandler.register(signal.SIGUSR1, all_threads=True)   # kill -USR1 <pid>: every thread's stack
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=8)
    args = p.parse_args(argv)
    out = run(args.n, args.seed, args.workers, progress=True)
    print(f"requests: {out['requests']} in {out['seconds']:.1f} s = {out['rps']:.0f} requests/s "
          f"({out['closed_without_answer']} raw/half-closed connections closed without an answer)")
    print(f"GET /api/v1/pods ({out['pods_listed']} pods): p50 {out['pods_p50'] * 1000:.1f} ms, "
          f"p99 {out['pods_p99'] * 1000:.1f} ms")
    for what, examples in sorted(out["findings"].items()):
        print(f"FINDING {what}: {len(examples)}x, e.g. {examples[:3]}")
    print("findings:", sum(len(v) for v in out["findings"].values()))
    return 1 if out["findings"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
