"""``/coredns`` — the program in ``registry.k8s.io/coredns/coredns`` (kubeadm's DNS Deployment).

What a container of the image runs (``ENTRYPOINT ["/coredns"]``; kubeadm passes
``-conf /etc/coredns/Corefile``, the ConfigMap volume):

- reads the Corefile (``-conf``, default ``Corefile`` in the working directory); a missing
  file ends the process with Go's ``open <path>: no such file or directory`` and status 1
  (coremain/run.go ``mustLogFatal``);
- binds the ports kubeadm's Deployment names: DNS on ``:53`` UDP and TCP, ``:8080``
  ``/health`` (plugin/health), ``:8181`` ``/ready`` (plugin/ready), ``:9153`` ``/metrics``
  (plugin/metrics);
- prints the start-up banner (coremain/run.go ``showVersion``: the server block ``.:53``,
  plugin/reload's ``Running configuration SHA512 = <sha512 of the Corefile>``,
  ``CoreDNS-<version>``). The ``linux/amd64, go…, <commit>`` line is not printed: the model
  does not know the release's Go version and commit;
- answers every question through the **CoreDNS engine**: ``proc.net.network.dns``, the
  component ``coredns`` (:class:`k8score.network.coredns.CoreDNS`: its informers and the
  ``kubernetes`` plugin). All pods share that engine's caches and its query log (and so
  ``/metrics``); each pod only adds its own sockets;
- ``/health`` answers ``200 OK`` while the process runs (plugin/health); ``/ready`` answers
  ``200 OK`` while the engine serves (running and synced), else ``503`` with the body
  ``kubernetes`` and logs ``[INFO] plugin/ready: Still waiting on: "kubernetes"``
  (plugin/ready/ready.go). With the component stopped DNS questions get no answer (the
  client times out) and the pods go unready: their endpoints leave the ``kube-dns`` Service;
- ``SIGTERM``: ``[INFO] SIGTERM: Shutting down servers then terminating`` (coredns/caddy
  sigtrap_posix.go), then plugin/health's lameduck (``lameduck 5s`` in kubeadm's Corefile):
  ``[INFO] plugin/health: Going into lameduck mode for 5s``, still answering for 5 s, exit 0.
  ``SIGQUIT``: ``[INFO] SIGQUIT: Quitting process immediately``, exit 0.

CoreDNS logs to stdout without timestamps (plugin/pkg/log).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..fs import FSError
from ..net import HttpRequest, HttpResponse
from ..process import SIGQUIT, SIGTERM, Sleep
from . import _common as c

#: coremain/version.go ``CoreVersion`` of the tag kubeadm v1.35 deploys (see network/addon.py).
CORE_VERSION = "1.13.1"
#: kubeadm's Corefile: ``health { lameduck 5s }``.
LAMEDUCK = 5.0
DNS_PORT, HEALTH_PORT, READY_PORT, METRICS_PORT = 53, 8080, 8181, 9153
_NOT_FOUND = "404 page not found\n"    # net/http NotFound
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def _engine(proc: Any) -> Any:
    net = proc.net
    return getattr(getattr(net, "network", None), "dns", None) if net is not None else None


def make_coredns(spec: Any):
    def coredns(proc):
        argv = proc.argv[1:]
        conf = "Corefile"
        if "-conf" in argv and argv.index("-conf") + 1 < len(argv):
            conf = argv[argv.index("-conf") + 1]
        path = conf if conf.startswith("/") else f"{proc.cwd.rstrip('/')}/{conf}"
        try:
            corefile = proc.fs.read(path) if proc.fs is not None else ""
        except FSError as e:
            c.go_log(proc, f"open {conf}: {e.strerror_text.lower()}")
            return 1

        def dns(query):
            engine = _engine(proc)
            return engine.handle(query) if engine is not None else None

        def health(req: HttpRequest) -> HttpResponse:
            # plugin/health: "OK" while the process lives (also during lameduck)
            if c.query(req)[0] != "/health":
                return HttpResponse(404, _NOT_FOUND, dict(_TEXT))
            return HttpResponse(200, "OK", dict(_TEXT))

        def ready(req: HttpRequest) -> HttpResponse:
            if c.query(req)[0] != "/ready":
                return HttpResponse(404, _NOT_FOUND, dict(_TEXT))
            engine = _engine(proc)
            if engine is not None and engine.ready:
                return HttpResponse(200, "OK", dict(_TEXT))
            proc.stdout.write('[INFO] plugin/ready: Still waiting on: "kubernetes"\n')
            return HttpResponse(503, "kubernetes", dict(_TEXT))

        def metrics(req: HttpRequest) -> HttpResponse:
            if c.query(req)[0] != "/metrics":
                return HttpResponse(404, _NOT_FOUND, dict(_TEXT))
            engine = _engine(proc)
            body = engine.metrics_text() if engine is not None else ""
            return HttpResponse(200, body, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

        listeners = [(DNS_PORT, "UDP", dns), (DNS_PORT, "TCP", dns), (HEALTH_PORT, "TCP", health),
                     (READY_PORT, "TCP", ready), (METRICS_PORT, "TCP", metrics)]
        bound: list[tuple[int, str]] = []
        handlers: dict = {}
        for port, proto, handler in listeners:
            if not c.bind(proc, port, handler, proto):
                c.go_log(proc, f"listen {proto.lower()} :{port}: bind: address already in use")
                c.release(proc, bound, handlers)
                return 1
            bound.append((port, proto))
            handlers[(proto, port)] = handler
        try:
            sha = hashlib.sha512(corefile.encode()).hexdigest()
            proc.stdout.write(f".:{DNS_PORT}\n[INFO] plugin/reload: Running configuration SHA512 = {sha}\n"
                              f"CoreDNS-{CORE_VERSION}\n")
            sig = yield from c.wait_for_signal(proc, (SIGTERM, SIGQUIT))
            if sig == SIGQUIT:
                proc.stdout.write("[INFO] SIGQUIT: Quitting process immediately\n")
                return 0
            proc.stdout.write("[INFO] SIGTERM: Shutting down servers then terminating\n")
            proc.stdout.write(f"[INFO] plugin/health: Going into lameduck mode for {c.go_duration(LAMEDUCK)}\n")
            yield Sleep(LAMEDUCK)
            return 0
        finally:
            c.release(proc, bound, handlers)

    return coredns


__all__ = ["make_coredns", "CORE_VERSION"]
