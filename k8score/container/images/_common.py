"""Shared helpers for image programs: wall-clock formats, serving ports, query strings.

Every server program follows one shape (SimPy processes, ``shared/STYLE.md``): bind its ports
with :func:`bind`, install stop-signal handlers that only record the signal, ``yield Pause()``
until one arrives, then log its shutdown lines and return its exit code. A ``try/finally``
releases the ports, so a ``SIGKILL`` (which closes the generator) frees them as well.
"""

from __future__ import annotations

import datetime as _dt
import posixpath
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from ..net import Handler, HttpRequest
from ..process import Pause

_UTC = _dt.timezone.utc
#: A file's bytes as the model stores them for executables (``cat /bin/sh`` shows an ELF header).
ELF = "\x7fELF\x02\x01\x01"
SIGWINCH = 28   # signal(7) on x86/arm: httpd's STOPSIGNAL (graceful stop)
SIGCHLD = 17


def wall(proc: Any) -> _dt.datetime:
    """The container's wall clock: ``proc.epoch + proc.now()`` in UTC (containers run in UTC)."""
    return _dt.datetime.fromtimestamp(float(proc.epoch) + float(proc.now()), tz=_UTC)


def go_log_time(proc: Any) -> str:
    """Go's ``log`` package default prefix (``log.LstdFlags``): ``2026/11/29 19:00:05``."""
    return wall(proc).strftime("%Y/%m/%d %H:%M:%S")


def go_log(proc: Any, message: str) -> None:
    """``log.Printf`` — Go programs log to stderr with a date-time prefix."""
    proc.stderr.write(f"{go_log_time(proc)} {message.rstrip(chr(10))}\n")


def clf_time(proc: Any) -> str:
    """Common Log Format time (nginx ``$time_local``, httpd ``%t``): ``29/Nov/2026:19:00:05 +0000``."""
    return wall(proc).strftime("%d/%b/%Y:%H:%M:%S +0000")


def go_float(value: float) -> str:
    """Go's ``%v`` of a float64 (shortest representation, no trailing ``.0``)."""
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(float(value))


def go_duration(seconds: float) -> str:
    """``time.Duration.String()``: ``0s``, ``750ms``, ``12.5s``, ``1m2.5s``, ``1h0m0s``."""
    ns = int(round(seconds * 1e9))
    if ns == 0:
        return "0s"
    if ns < 1_000_000_000:
        for unit, div in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= div:
                return _trim(ns / div) + unit
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    secs = _trim(rest / 1e9) + "s"
    if hours:
        return f"{hours}h{minutes}m{secs}"
    if minutes:
        return f"{minutes}m{secs}"
    return secs


def _trim(x: float) -> str:
    return f"{x:.9f}".rstrip("0").rstrip(".")


def query(request: HttpRequest) -> tuple[str, dict[str, str]]:
    """(path, first value of each query parameter) of a request target."""
    parts = urlsplit(request.path or "/")
    params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return parts.path or "/", params


def request_line(request: HttpRequest) -> str:
    return f"{request.method} {request.path or '/'} HTTP/1.1"


def bind(proc: Any, port: int, handler: Handler, proto: str = "TCP") -> bool:
    """``bind(2)`` + ``listen(2)``: False when another process of the pod already holds the port
    (``EADDRINUSE``). Without a network (unit tests) binding always succeeds and does nothing."""
    net = proc.net
    if net is None:
        return True
    if (proto, int(port)) in net.listeners:
        return False
    net.listen(port, handler, proto)
    return True


def release(proc: Any, ports: Iterable[tuple[int, str]], handlers: dict) -> None:
    """Close our listening sockets (only those still ours: a restarted server may own them)."""
    net = proc.net
    if net is None:
        return
    for port, proto in ports:
        key = (proto, int(port))
        if key in net.listeners and net.listeners[key] is handlers.get(key):
            net.unlisten(port, proto)


def wait_for_signal(proc: Any, signals: Iterable[int]):
    """Install handlers for ``signals`` and pause until one arrives; evaluates to its number.

    The handlers only record the signal (``signal.Notify`` in Go, a flag in C servers), so the
    program logs and exits from its own flow, as the real servers do.
    """
    got: list[int] = []
    for sig in signals:
        proc.on_signal[sig] = got.append
    while not got:
        yield Pause()
    return got[0]


def read_file(proc: Any, path: str) -> str | None:
    """A file of the container, or None when missing or a directory (or with no filesystem)."""
    fs = proc.fs
    if fs is None:
        return None
    try:
        if fs.isfile(path):
            return fs.read(path)
    except OSError:
        return None
    return None


def safe_join(root: str, url_path: str) -> str:
    """``root`` + the URL path, normalized so ``..`` cannot leave ``root``."""
    clean = posixpath.normpath("/" + url_path.lstrip("/"))
    return posixpath.join(root, clean.lstrip("/")) if clean != "/" else root.rstrip("/") + "/"


def flag_value(argv: list[str], name: str, default: str | None = None) -> str | None:
    """A Go/cobra-style flag: ``--name=value``, ``--name value`` or ``-name value``."""
    for i, arg in enumerate(argv):
        for prefix in ("--", "-"):
            key = prefix + name
            if arg == key and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(key + "="):
                return arg[len(key) + 1:]
    return default


def bool_flag(argv: list[str], name: str, default: bool) -> bool:
    for arg in argv:
        for prefix in ("--", "-"):
            if arg == prefix + name:
                return True
            if arg.startswith(prefix + name + "="):
                return arg.split("=", 1)[1].lower() in ("1", "t", "true")
    return default


Program = Callable[[Any], Any]
__all__ = ["wall", "go_log", "go_log_time", "clf_time", "go_float", "go_duration", "query", "bind",
           "release", "wait_for_signal", "read_file", "safe_join", "flag_value", "bool_flag", "ELF",
           "SIGWINCH", "SIGCHLD"]
