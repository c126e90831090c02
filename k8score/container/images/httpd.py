"""The official ``httpd`` image (github.com/docker-library/httpd ``2.4/``) and ``php:apache``.

``CMD ["httpd-foreground"]`` (``exec httpd -DFOREGROUND "$@"``) runs Apache with the event MPM
on port 80, serving ``/usr/local/apache2/htdocs`` (``index.html`` is
``<html><body><h1>It works!</h1></body></html>``). Start-up lines go to stderr as the image
prints them: ``AH00558`` twice (no ``ServerName``; the pod IP is used), then ``AH00489 ...
configured -- resuming normal operations`` and ``AH00094: Command line: 'httpd -D
FOREGROUND'``. Requests are logged to stdout in the Common Log Format (``CustomLog
/proc/self/fd/1 common``).

Signals (https://httpd.apache.org/docs/2.4/stopping.html): the image's ``STOPSIGNAL SIGWINCH``
is a graceful stop (``AH00492: caught SIGWINCH, shutting down gracefully``), SIGTERM an
immediate one (``AH00491: caught SIGTERM, shutting down``) — both exit 0; SIGHUP restarts
(``AH00493``). The Debian ``php:apache`` flavour (``apache2-foreground``, prefork MPM) backs the
HPA walkthrough's ``hpa-example`` image, whose ``index.php`` answers ``OK!``.

Not modelled: modules, ``.htaccess``, CGI, directory listings (a directory without an index
gives 403 here).
"""

from __future__ import annotations

from typing import Any

from ..net import HttpRequest, HttpResponse
from ..process import SIGHUP, SIGTERM
from . import _common as c

IT_WORKS = "<html><body><h1>It works!</h1></body></html>\n"
HTDOCS = "/usr/local/apache2/htdocs"

_NOT_FOUND = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
              '</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n'
              '</body></html>\n')
_FORBIDDEN = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>403 Forbidden</title>\n'
              '</head><body>\n<h1>Forbidden</h1>\n<p>You don\'t have permission to access this resource.</p>\n'
              '</body></html>\n')


def apache_time(proc: Any) -> str:
    """Apache's error-log time: ``Sun Nov 29 19:00:05.000000 2026`` (microseconds)."""
    t = c.wall(proc)
    return t.strftime("%a %b %d %H:%M:%S.") + f"{t.microsecond:06d}" + t.strftime(" %Y")


def make_httpd(spec: Any, *, flavour: str = "httpd"):
    """``flavour`` ``httpd`` (official image) or ``php`` (Debian apache2 + mod_php, prefork)."""
    version = spec.env.get("HTTPD_VERSION", "2.4.65")
    php = flavour == "php"
    name = "apache2" if php else "httpd"
    mpm = "mpm_prefork" if php else "mpm_event"
    banner = f"Apache/{version} (Debian) PHP/{spec.env.get('PHP_VERSION', '5.6.40')}" if php \
        else f"Apache/{version} (Unix)"
    root = "/var/www/html" if php else HTDOCS

    def log(proc, module: str, text: str) -> None:
        who = "[pid 1]" if php else "[pid 1:tid 1]"
        proc.stderr.write(f"[{apache_time(proc)}] [{module}:notice] {who} {text}\n")

    def handler_for(proc):
        def handler(request: HttpRequest) -> HttpResponse:
            response = _serve(proc, root, php, request)
            size = len(response.body.encode())
            if request.method == "HEAD":
                response.body = ""
            line = f'{request.src_ip or "127.0.0.1"} - - [{c.clf_time(proc)}] "{c.request_line(request)}" ' \
                   f'{response.status} {size if size else "-"}'
            if php:   # Debian's apache2.conf logs vhost requests in the combined format
                line += f' "{request.headers.get("Referer", "-")}" "{request.headers.get("User-Agent", "-")}"'
            proc.stdout.write(line + "\n")
            return response
        return handler

    def httpd(proc):
        ip = proc.net.ip if proc.net is not None else "127.0.1.1"
        for _ in range(2):   # the configuration is read twice (pre-config, then the real start)
            proc.stderr.write(f"AH00558: {name}: Could not reliably determine the server's fully qualified "
                              f"domain name, using {ip}. Set the 'ServerName' directive globally to suppress "
                              f"this message\n")
        args = proc.argv[1:]
        if not php and "-DFOREGROUND" not in args and "FOREGROUND" not in args:
            return 0        # without -DFOREGROUND httpd detaches: this process ends at once
        handler = handler_for(proc)
        if not c.bind(proc, 80, handler):
            proc.stderr.write("(98)Address in use: AH00072: make_sock: could not bind to address 0.0.0.0:80\n"
                              "no listening sockets available, shutting down\nAH00015: Unable to open logs\n")
            return 1
        try:
            log(proc, mpm, f"{'AH00163' if php else 'AH00489'}: {banner} configured -- resuming normal operations")
            log(proc, "core", f"AH00094: Command line: '{name} -D FOREGROUND'")
            while True:
                sig = yield from c.wait_for_signal(proc, (c.SIGWINCH, SIGTERM, SIGHUP))
                if sig != SIGHUP:
                    break
                log(proc, mpm, "AH00493: SIGHUP received.  Attempting to restart")
            if sig == c.SIGWINCH:
                log(proc, mpm, "AH00492: caught SIGWINCH, shutting down gracefully")
            else:
                log(proc, mpm, "AH00491: caught SIGTERM, shutting down")
            return 0
        finally:
            c.release(proc, [(80, "TCP")], {("TCP", 80): handler})

    return httpd


def _serve(proc: Any, root: str, php: bool, request: HttpRequest) -> HttpResponse:
    headers = {"Server": "Apache", "Content-Type": "text/html"}
    path, _ = c.query(request)
    target = c.safe_join(root, path)
    fs = proc.fs
    if fs is not None and fs.isdir(target):
        for index in (("index.php", "index.html") if php else ("index.html",)):
            if fs.isfile(target.rstrip("/") + "/" + index):
                target = target.rstrip("/") + "/" + index
                break
        else:
            return HttpResponse(403, _FORBIDDEN, headers)
    body = c.read_file(proc, target)
    if body is None:
        return HttpResponse(404, _NOT_FOUND, headers)
    if php and target.endswith(".php"):
        # hpa-example's index.php: a CPU-burning loop and then `echo "OK!"` (hpa_example.py)
        from .hpa_example import index_php
        return HttpResponse(200, index_php(proc), {"Server": headers["Server"], "Content-Type": "text/html; charset=UTF-8"})
    return HttpResponse(200, body, headers)


__all__ = ["make_httpd", "IT_WORKS", "HTDOCS", "apache_time"]
