"""The programs inside the images k8score knows — what a container of each image really runs.

:mod:`k8score.container.catalog` maps a reference to an :class:`~k8score.container.catalog.ImageSpec`
(table in :mod:`.specs`) and an executable path to a *program name*; this package turns image
program names into programs (:data:`PROGRAMS`, factories taking the ImageSpec, because a
program may depend on the image's version). Busybox applets and the shell come from
:mod:`k8score.container.shell` (imported lazily).

Modelled images (each module's docstring says exactly what is and is not modelled):

==============================================  =================================================
``nginx`` (all tags)                            :mod:`.nginx` — entrypoint notices, static files on
                                                80, ``main`` access log, SIGQUIT graceful stop
``httpd``, ``registry.k8s.io/hpa-example``      :mod:`.httpd` — "It works!", AH00558/AH00489 lines,
                                                SIGWINCH graceful stop; php-apache answers ``OK!``
``registry.k8s.io/e2e-test-images/agnhost``     :mod:`.agnhost` — liveness, netexec, serve-hostname,
``registry.k8s.io/liveness``                    pause, grpc-health-checking
``busybox``, ``alpine``, ``debian``, ``ubuntu``   the shell package's ``sh`` and applets
``registry.k8s.io/coredns/coredns``             :mod:`.coredns` — DNS on 53 through the cluster's
                                                CoreDNS engine, /health, /ready, /metrics
``registry.k8s.io/pause``, ``goproxy``,         :mod:`.misc`
``polinux/stress``, ``vish/stress``,
control-plane components, the fallback
==============================================  =================================================

**gRPC health** over the model's HTTP (for gRPC probes): ``POST /grpc.health.v1.Health/Check``
with the service name as body; the response's ``grpc-status`` header is ``0`` (body
``SERVING`` or ``NOT_SERVING``), ``5`` (NOT_FOUND, unknown service) or ``12`` (UNIMPLEMENTED).

**Memory**: the first process of a container charges the image's resident size
(``ImageSpec.memory``) with ``proc.alloc`` before it runs (:func:`k8score.container.catalog.program_for`
wraps every program); later processes (``exec``, a shell's children) add only what they allocate.
"""

from __future__ import annotations

from typing import Any, Callable

from . import agnhost as _agnhost
from . import coredns as _coredns
from . import httpd as _httpd
from . import misc as _misc
from . import perl as _perl
from . import nginx as _nginx


def _fixed(program):
    return lambda spec: program


def _httpd_foreground(spec: Any):
    """``httpd-foreground``: ``exec httpd -DFOREGROUND "$@"`` (docker-library/httpd)."""
    inner = _httpd.make_httpd(spec)

    def program(proc):
        proc.argv = ["httpd", "-DFOREGROUND"] + proc.argv[1:]
        return (yield from inner(proc))
    return program


def _apache2_foreground(spec: Any):
    return _httpd.make_httpd(spec, flavour="php")


#: program name (the value in ``ImageSpec.binaries``) -> factory(spec) -> Program
PROGRAMS: dict[str, Callable[[Any], Any]] = {
    "docker-entrypoint.sh": _nginx.make_entrypoint,
    "nginx": _nginx.make_nginx,
    "httpd": _httpd.make_httpd,
    "httpd-foreground": _httpd_foreground,
    "apache2-foreground": _apache2_foreground,
    "agnhost": _fixed(_agnhost.agnhost),
    "liveness-server": _fixed(_agnhost.liveness),
    "pause": _fixed(_misc.pause),
    "goproxy": _fixed(_misc.goproxy),
    "stress": _fixed(_misc.stress),
    "vish-stress": _fixed(_misc.vish_stress),
    "server": _misc.make_server,
    "coredns": _coredns.make_coredns,
    "perl": _perl.perl,
}

__all__ = ["PROGRAMS"]
