"""``registry.k8s.io/e2e-test-images/agnhost`` — the subcommands the docs use (test/images/agnhost).

``ENTRYPOINT ["/agnhost"]``, ``CMD ["pause"]`` (test/images/agnhost/Dockerfile). Modelled:

- ``liveness`` (``liveness/server.go``): HTTP on 8080; ``/healthz`` answers 200 ``ok`` while
  the server has run 10 s or less, then 500 ``error: <seconds>``; ``/started`` the uptime
  (Go ``Duration``); ``/redirect?loc=`` a 302. The old ``registry.k8s.io/liveness`` image runs
  the same server as ``/server``.
- ``netexec`` (``netexec/netexec.go``): HTTP on ``--http-port`` (8080) with ``/``,
  ``/clientip``, ``/echo``, ``/exit``, ``/healthz`` (200 once the UDP server runs, 412 with
  ``--udp-port=-1``), ``/hostname``, ``/hostName``, ``/redirect``, ``/shell`` (runs ``/bin/sh -c``
  to completion at once; sleeps take no time there), ``/shutdown``, ``/dial`` (HTTP only);
  a UDP listener on ``--udp-port`` (8081). ``/exit`` and ``/shutdown`` end the process within
  1 s of virtual time (the server checks for them once a second).
- ``serve-hostname`` (``serve-hostname/serve_hostname.go``): the hostname over HTTP on
  ``--port`` (9376); on SIGTERM it logs and sleeps 60 s before exiting 0 ("Awaiting pod
  deletion"), so a shorter grace period ends it with SIGKILL.
- ``pause`` (``pause/pause.go``): prints ``Paused``; SIGINT exits 1, SIGTERM exits 2.
- ``grpc-health-checking``: the gRPC health service on ``--port`` (5000) — SERVING, NOT_SERVING
  after ``--delay-unhealthy-sec``, ``/make-not-serving`` / ``/make-serving`` on ``--http-port``.

Go programs that install no handler for a signal get the Go runtime's default: the process
exits with status 2 (the runtime re-raises the signal, which PID 1 ignores, then exits 2).
"""

from __future__ import annotations

import json
from typing import Any

from ..net import HttpRequest, HttpResponse, NetError
from ..process import SIGHUP, SIGINT, SIGQUIT, SIGTERM, ExitProcess, Pause, Sleep, Wait
from . import _common as c

GO_NOT_FOUND = "404 page not found\n"
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
GRPC_HEALTH_PATH = "/grpc.health.v1.Health/Check"


def go_json(value: Any) -> str:
    """``encoding/json.Marshal``: sorted map keys, no spaces, ``<>&`` escaped as Go does."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def go_default_exit(proc: Any) -> None:
    """Signals a Go program does not ``signal.Notify``: the runtime ends it with status 2."""
    def die(sig: int) -> None:
        if sig == SIGQUIT:
            proc.stderr.write("SIGQUIT: quit\n")
        proc.exit(2)
    for sig in (SIGHUP, SIGINT, SIGQUIT, SIGTERM):
        proc.on_signal.setdefault(sig, die)


def go_now(proc: Any, started: float) -> str:
    """``time.Now()`` printed with ``%v``: wall time plus the monotonic reading ``m=+...``."""
    t = c.wall(proc)
    frac = f"{t.microsecond:06d}000".rstrip("0")
    stamp = t.strftime("%Y-%m-%d %H:%M:%S") + (f".{frac}" if frac else "")
    return f"{stamp} +0000 UTC m=+{proc.now() - started:.9f}"


def http(proc: Any, port: int, handler, extra_ports=()):
    """Serve ``handler`` on ``port`` until a signal ends the Go program (``ListenAndServe``)."""
    if not c.bind(proc, port, handler):
        c.go_log(proc, f"listen tcp :{port}: bind: address already in use")
        return 1
    try:
        go_default_exit(proc)
        while True:
            yield Pause()
    finally:
        c.release(proc, [(port, "TCP"), *extra_ports], {("TCP", port): handler})


# -- liveness ------------------------------------------------------------------------------
def liveness(proc):
    started = proc.now()

    def handler(request: HttpRequest) -> HttpResponse:
        path, params = c.query(request)
        age = proc.now() - started
        if path == "/healthz":
            if age > 10:     # server.go: duration.Seconds() > 10
                return HttpResponse(500, f"error: {c.go_float(age)}", dict(_TEXT))
            return HttpResponse(200, "ok", dict(_TEXT))
        if path == "/started":
            return HttpResponse(200, c.go_duration(age), dict(_TEXT))
        if path == "/redirect":
            return HttpResponse(302, "", {"Location": params.get("loc", "")})
        return HttpResponse(404, GO_NOT_FOUND, dict(_TEXT))

    return (yield from http(proc, 8080, handler))


# -- netexec -------------------------------------------------------------------------------
def run_sync(program, proc, limit: int = 100_000) -> int | None:
    """Run a program to its end at once (for ``/shell``): sleeps are skipped; a program that
    pauses or waits on a child never finishes this way and yields None."""
    gen = program(proc)
    if not hasattr(gen, "send"):
        return int(gen or 0)
    for _ in range(limit):
        try:
            call = gen.send(None)
        except StopIteration as stop:
            return int(stop.value or 0)
        except ExitProcess as e:
            return e.code
        if isinstance(call, (Pause, Wait)):
            gen.close()
            return None
    gen.close()
    return None


def _go_dial_error(url: str, host: str, port: int, err: NetError) -> str:
    text = str(err)
    if text == "Connection refused":
        text = f"dial tcp {host}:{port}: connect: connection refused"
    elif text == "Connection timed out":
        text = f"dial tcp {host}:{port}: i/o timeout"
    return f'Get "{url}": {text}'


def netexec(proc):
    argv = proc.argv
    port = int(c.flag_value(argv, "http-port", "8080"))
    udp_port = int(c.flag_value(argv, "udp-port", "8081"))
    started = proc.now()
    state: dict[str, Any] = {}

    def handler(request: HttpRequest) -> HttpResponse:
        path, params = c.query(request)
        log = lambda text: c.go_log(proc, text)  # noqa: E731
        if path == "/echo":
            msg, code = params.get("msg", ""), params.get("code", "")
            log(f"GET /echo?msg={msg}&code={code}")
            if code:
                if not code.lstrip("-").isdigit():
                    return HttpResponse(200, f"argument 'code' must be an integer or empty, got {json.dumps(code)}\n")
                return HttpResponse(int(code), msg)
            return HttpResponse(200, msg)
        if path in ("/hostname", "/hostName"):
            log(f"GET {path}")
            return HttpResponse(200, proc.hostname)
        if path == "/clientip":
            log("GET /clientip")
            return HttpResponse(200, f"{request.src_ip}:{40000 + (sum(map(ord, request.src_ip)) % 20000)}")
        if path == "/healthz":
            log("GET /healthz")
            return HttpResponse(200 if udp_port != -1 else 412, "")
        if path in ("/exit", "/shutdown"):
            code = params.get("code", "") if path == "/exit" else "0"
            log(f"GET /exit?code={code}&timeout={params.get('timeout', '')}&wait={params.get('wait', '')}"
                if path == "/exit" else "GET /shutdown")
            if code and not code.isdigit():
                return HttpResponse(200, f"argument 'code' must be an integer [0-127] or empty, got {json.dumps(code)}\n")
            state["exit"] = int(code or 0)
            return HttpResponse(200, "")
        if path == "/redirect":
            return HttpResponse(int(params.get("code") or 302), "", {"Location": params.get("location", "")})
        if path == "/shell":
            return _shell(proc, params.get("shellCommand") or params.get("cmd", ""))
        if path == "/dial":
            return _dial(proc, params)
        log("GET /")
        return HttpResponse(200, f"NOW: {go_now(proc, started)}")

    if not c.bind(proc, port, handler):
        c.go_log(proc, f"listen tcp :{port}: bind: address already in use")
        return 1
    extra = []
    c.go_log(proc, f"Started HTTP server on port {port}")
    if udp_port != -1 and c.bind(proc, udp_port, None, "UDP"):
        extra.append((udp_port, "UDP"))
        c.go_log(proc, f"Started UDP server on port  {udp_port}")
    try:
        go_default_exit(proc)
        while "exit" not in state:
            yield Sleep(1.0)       # checks for /exit once a second (see the module docstring)
        return state["exit"]
    finally:
        c.release(proc, [(port, "TCP"), *extra], {("TCP", port): handler, ("UDP", udp_port): None})


def _shell(proc: Any, cmd: str) -> HttpResponse:
    from ..process import Stream
    c.go_log(proc, f"GET /shell?cmd={cmd}")
    out = Stream()
    # exec.Command("/bin/sh", "-c", cmd): the image's busybox shell, its applets run in-process
    child = proc.child(["/bin/sh", "-c", cmd], stdout=out, stderr=out, spawn=None)
    from ..shell import PROGRAMS   # lazily: the shell imports the catalog
    program = PROGRAMS.get("sh")
    result: dict[str, str] = {}
    code = run_sync(program, child) if program is not None else 127
    if out.getvalue():
        result["output"] = out.getvalue()
    if code != 0:
        result["error"] = "signal: killed" if code is None else f"exit status {code}"
    c.go_log(proc, f"Output: map[{' '.join(f'{k}:{v}' for k, v in sorted(result.items()))}]")
    return HttpResponse(200, go_json(result))


def _dial(proc: Any, params: dict[str, str]) -> HttpResponse:
    host, port, request = params.get("host", ""), params.get("port", ""), params.get("request", "")
    protocol, tries = params.get("protocol", ""), params.get("tries", "")
    c.go_log(proc, f"GET /dial?host={host}&protocol={protocol}&port={port}&request={request}&tries={tries}")
    if tries and not tries.isdigit():
        return HttpResponse(400, f'tries parameter is invalid. strconv.Atoi: parsing "{tries}": invalid syntax\n')
    if not request:
        return HttpResponse(400, "request parameter not specified. <nil>\n")
    if protocol.lower() not in ("", "http"):
        return HttpResponse(400, f"unsupported protocol. {protocol}\n")
    if not port.isdigit():
        return HttpResponse(400, f"host and/or port param are invalid. address {host}:{port}: invalid port\n")
    responses, errors = [], []
    path = "/" + request.lstrip("/")
    url = f"http://{host}:{port}/{request.lstrip('/')}"
    for _ in range(int(tries or 1)):
        try:
            if proc.net is None:
                raise NetError("Connection refused")
            responses.append(proc.net.http(host, int(port), path=path).body)
        except NetError as err:
            errors.append(_go_dial_error(url, host, int(port), err))
    out: dict[str, list[str]] = {}
    if responses:
        out["responses"] = responses
    if errors:
        out["errors"] = errors
    return HttpResponse(200, go_json(out))


# -- serve-hostname, pause, grpc-health-checking -----------------------------------------------
def serve_hostname(proc):
    argv = proc.argv
    port = int(c.flag_value(argv, "port", "9376"))
    do_http = c.bool_flag(argv, "http", True)
    do_tcp, do_udp = c.bool_flag(argv, "tcp", False), c.bool_flag(argv, "udp", False)
    if do_http and (do_tcp or do_udp):
        c.go_log(proc, "Can't server TCP/UDP mode and HTTP mode at the same time")
        return 1

    def handler(request: HttpRequest) -> HttpResponse:
        c.go_log(proc, f"HTTP request from {request.src_ip}:{40000 + (sum(map(ord, request.src_ip)) % 20000)}")
        return HttpResponse(200, proc.hostname)

    bound = []
    for proto, on, h in (("TCP", do_http, handler), ("TCP", do_tcp, None), ("UDP", do_udp, None)):
        if on and c.bind(proc, port, h, proto):
            bound.append((port, proto))
    try:
        c.go_log(proc, f"Serving on port {port}.")
        go_default_exit(proc)
        got: list[int] = []
        proc.on_signal[SIGTERM] = got.append     # signal.Notify(signals, syscall.SIGTERM)
        while not got:
            yield Pause()
        c.go_log(proc, "Shutting down after receiving signal: terminated.")
        c.go_log(proc, "Awaiting pod deletion.")
        proc.on_signal[SIGTERM] = lambda sig: None   # the channel is not read again
        deadline = proc.now() + 60
        while proc.now() < deadline:
            yield Sleep(deadline - proc.now())
        return 0
    finally:
        c.release(proc, bound, {("TCP", port): handler, ("UDP", port): None})


def agnhost_pause(proc):
    proc.stdout.write("Paused\n")
    proc.on_signal[SIGINT] = lambda sig: proc.exit(1)
    proc.on_signal[SIGTERM] = lambda sig: proc.exit(2)
    while True:
        yield Pause()


def grpc_health_checking(proc):
    argv = proc.argv
    port = int(c.flag_value(argv, "port", "5000"))
    http_port = int(c.flag_value(argv, "http-port", "8080"))
    delay = int(c.flag_value(argv, "delay-unhealthy-sec", "-1"))
    service = c.flag_value(argv, "service", "") or ""
    started = proc.now()
    forced: dict[str, bool] = {}

    def control(request: HttpRequest) -> HttpResponse:
        path, _ = c.query(request)
        if path in ("/make-not-serving", "/make-serving"):
            c.go_log(proc, "Mark as unhealthy" if path == "/make-not-serving" else "Mark as healthy")
            forced["unhealthy"] = path == "/make-not-serving"
            return HttpResponse(200, c.go_duration(proc.now() - started))
        return HttpResponse(404, GO_NOT_FOUND, dict(_TEXT))

    def grpc(request: HttpRequest) -> HttpResponse:
        return grpc_check(proc, request, service, lambda: forced.get("unhealthy", False) or
                          (delay >= 0 and proc.now() - started >= delay), started)

    if not c.bind(proc, http_port, control):
        return 1
    c.go_log(proc, f"Http server starting to listen on :{http_port}")
    c.go_log(proc, f"gRPC server starting to listen on :{port}")
    return (yield from http(proc, port, grpc, extra_ports=[(http_port, "TCP")]))


def grpc_check(proc: Any, request: HttpRequest, service: str, unhealthy, started: float,
               log: bool = True) -> HttpResponse:
    """grpc.health.v1.Health/Check over the model's HTTP: POST ``GRPC_HEALTH_PATH`` with the
    service name as body; the answer carries ``grpc-status`` (0 OK, 5 NOT_FOUND, 12 UNIMPLEMENTED)
    and the status (``SERVING`` / ``NOT_SERVING``) as body."""
    path, _ = c.query(request)
    if path != GRPC_HEALTH_PATH:
        return HttpResponse(200, "", {"grpc-status": "12", "grpc-message": f"unknown method {path.rsplit('/', 1)[-1]}"})
    if log:
        c.go_log(proc, f"Serving the Check request for health check, started at {go_now(proc, started)}")
    if request.body.strip() != service:
        return HttpResponse(200, "", {"grpc-status": "5", "grpc-message": "unknown service"})
    return HttpResponse(200, "NOT_SERVING" if unhealthy() else "SERVING", {"grpc-status": "0"})


SUBCOMMANDS = {"liveness": liveness, "netexec": netexec, "serve-hostname": serve_hostname,
               "pause": agnhost_pause, "grpc-health-checking": grpc_health_checking}


def agnhost(proc):
    """``/agnhost <subcommand> [flags]`` (cobra dispatch)."""
    if len(proc.argv) < 2:
        proc.stdout.write("Usage:\n  agnhost [command]\n\nAvailable Commands:\n" +
                          "".join(f"  {name}\n" for name in sorted(SUBCOMMANDS)))
        return 0
    sub = SUBCOMMANDS.get(proc.argv[1])
    if sub is None:
        proc.stderr.write(f'Error: unknown command "{proc.argv[1]}" for "agnhost"\n'
                          "Run 'agnhost --help' for usage.\n")
        return 1
    proc.argv = [proc.argv[0]] + proc.argv[2:]
    return (yield from sub(proc))


__all__ = ["agnhost", "liveness", "netexec", "serve_hostname", "agnhost_pause", "grpc_health_checking",
           "grpc_check", "go_json", "go_default_exit", "run_sync", "GRPC_HEALTH_PATH", "SUBCOMMANDS"]
