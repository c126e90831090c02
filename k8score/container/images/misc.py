"""Small images: the sandbox ``pause``, ``goproxy``, ``stress``, control-plane components, fallback.

- ``registry.k8s.io/pause`` (build/pause/linux/pause.c): sleeps in ``pause()``; SIGINT/SIGTERM
  print ``Shutting down, got signal: <name>`` (``psignal``) and exit 0.
- ``registry.k8s.io/goproxy`` (the docs' TCP liveness example): an HTTP proxy on 8080; a direct
  request gets goproxy's 500 ``This is a proxy server. Does not respond to non-proxy requests.``
- ``polinux/stress`` (stress 1.0.4): ``stress --vm N --vm-bytes B [--vm-hang S] [--timeout T]``
  allocates ``N × B`` with ``proc.alloc`` (B with stress's ``b/k/m/g`` suffixes, powers of 1024)
  and holds it; over the container's limit the kernel kills the container: exit 137, OOMKilled
  (cgroup v2 ``memory.oom.group``, set by the kubelet, kills every process of the container).
  stress installs no SIGTERM handler, so as PID 1 it ignores SIGTERM.
- ``vish/stress`` (the CPU-resource task): ``-mem-total`` allocated in ``-mem-alloc-size`` steps
  every ``-mem-alloc-sleep``; CPU burning is not modelled.
- Control-plane components and other servers (``etcd``, ``kube-apiserver``, ``coredns``...):
  :func:`make_server` listens on the image's ports and answers health endpoints (``/healthz``,
  ``/livez``, ``/readyz``, ``/health``, ``/ready``) and the gRPC health check with success.
- The **fallback** for an unknown but plausible image: a long-lived server listening on the
  ports its :class:`ImageSpec` exposes (none for an image the catalog knows nothing about) that
  exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import re
from typing import Any

from ..net import HttpRequest, HttpResponse
from ..process import SIGINT, SIGTERM, Pause, Sleep
from . import _common as c
from .agnhost import GO_NOT_FOUND, GRPC_HEALTH_PATH, go_default_exit, grpc_check

_SIGNAL_TEXT = {SIGINT: "Interrupt", SIGTERM: "Terminated"}   # strsignal(3)
PAUSE_VERSION = "3.10"


def pause(proc):
    if "-v" in proc.argv[1:]:
        proc.stdout.write(f"pause.c v{PAUSE_VERSION}\n")
        return 0

    def down(sig: int) -> None:
        proc.stderr.write(f"Shutting down, got signal: {_SIGNAL_TEXT[sig]}\n")
        proc.exit(0)

    proc.on_signal[SIGINT] = down
    proc.on_signal[SIGTERM] = down
    while True:
        yield Pause()


def goproxy(proc):
    def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse(500, "This is a proxy server. Does not respond to non-proxy requests.\n",
                            {"Content-Type": "text/plain; charset=utf-8"})

    if not c.bind(proc, 8080, handler):
        c.go_log(proc, "listen tcp :8080: bind: address already in use")
        return 1
    try:
        go_default_exit(proc)
        while True:
            yield Pause()
    finally:
        c.release(proc, [(8080, "TCP")], {("TCP", 8080): handler})


STRESS_USAGE = ("`stress' imposes certain types of compute stress on your system\n\n"
                "Usage: stress [OPTION [ARG]] ...\n")
_STRESS_UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def stress_bytes(text: str) -> int | None:
    """stress's ``atoll_b``: a number with an optional ``b``/``k``/``m``/``g`` suffix (any case)."""
    m = re.fullmatch(r"(\d+)([bkmgBKMG]?)", text.strip())
    if not m:
        return None
    return int(m.group(1)) * _STRESS_UNITS[(m.group(2) or "b").lower()]


def stress(proc):
    args = proc.argv[1:]
    opts: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and i + 1 < len(args) and a not in ("--quiet", "--verbose", "--dry-run"):
            opts[a[2:]] = args[i + 1]
            i += 2
            continue
        i += 1
    vm = int(opts.get("vm", "0") or 0)
    size = stress_bytes(opts.get("vm-bytes", "256M"))
    if size is None:
        proc.stderr.write(f"stress: FAIL: [1] (420) invalid number: {opts.get('vm-bytes')}\n")
        return 1
    cpu, io, hdd = (int(opts.get(k, "0") or 0) for k in ("cpu", "io", "hdd"))
    if not args or "--help" in args or "-?" in args:
        proc.stdout.write(STRESS_USAGE)
        return 0
    timeout = opts.get("timeout")
    proc.stdout.write(f"stress: info: [1] dispatching hogs: {cpu} cpu, {io} io, {vm} vm, {hdd} hdd\n")
    started = proc.now()
    # every vm worker mallocs and touches its bytes (and, with --vm-hang, holds them): the
    # container's usage reaches vm × bytes almost at once; the OOM killer acts on the first touch
    yield Sleep(0.01)
    for _ in range(vm):
        proc.alloc(size)
    if timeout is not None:
        seconds = int(re.sub(r"[smhd]$", "", timeout) or 0)
        yield Sleep(max(0.0, seconds - (proc.now() - started)))
        proc.stdout.write(f"stress: info: [1] successful run completed in {seconds}s\n")
        return 0
    while True:
        yield Pause()


def vish_stress(proc):
    total = _quantity(c.flag_value(proc.argv, "mem-total", "0") or "0")
    step = _quantity(c.flag_value(proc.argv, "mem-alloc-size", "4Ki") or "4Ki") or 4096
    pause_s = _go_seconds(c.flag_value(proc.argv, "mem-alloc-sleep", "1ms") or "1ms")
    go_default_exit(proc)
    allocated = 0
    while allocated < total:
        chunk = min(step, total - allocated)
        proc.alloc(chunk)
        allocated += chunk
        yield Sleep(pause_s)
    while True:
        yield Pause()


_QUANTITY = {"": 1, "k": 1000, "M": 10**6, "G": 10**9, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}


def _quantity(text: str) -> int:
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|k|M|G)?", text.strip())
    return int(m.group(1)) * _QUANTITY[m.group(2) or ""] if m else 0


def _go_seconds(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(ms|s|m|h)", text.strip())
    if not m:
        return 0.001
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


_HEALTH_PATHS = ("/healthz", "/livez", "/readyz", "/health", "/ready")


def make_server(spec: Any, *, stop_code: int = 0):
    """A server on ``spec.ports`` answering health checks (components) — also the fallback."""
    ports = list(spec.ports)

    def handler(request: HttpRequest) -> HttpResponse:
        path, _ = c.query(request)
        if path == GRPC_HEALTH_PATH:
            return grpc_check(proc_ref[0], request, request.body.strip(), lambda: False, 0.0, log=False)
        if path == "/health":
            return HttpResponse(200, '{"health":"true","reason":""}', {"Content-Type": "text/plain; charset=utf-8"})
        if path in _HEALTH_PATHS:
            return HttpResponse(200, "ok", {"Content-Type": "text/plain; charset=utf-8"})
        return HttpResponse(404, GO_NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"})

    proc_ref: list[Any] = []

    def server(proc):
        proc_ref[:] = [proc]
        bound = []
        for port in ports:
            if c.bind(proc, port, handler):
                bound.append((port, "TCP"))
        try:
            yield from c.wait_for_signal(proc, (SIGTERM, SIGINT))
            return stop_code
        finally:
            c.release(proc, bound, {("TCP", p): handler for p, _ in bound})

    return server


__all__ = ["pause", "goproxy", "stress", "stress_bytes", "vish_stress", "make_server", "PAUSE_VERSION"]
