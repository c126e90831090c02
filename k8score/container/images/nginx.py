"""The official ``nginx`` image (github.com/nginxinc/docker-nginx): entrypoint and server.

What runs (``ENTRYPOINT ["/docker-entrypoint.sh"]``, ``CMD ["nginx", "-g", "daemon off;"]``):

- ``/docker-entrypoint.sh`` (docker-nginx ``entrypoint/docker-entrypoint.sh``, images >= 1.19):
  when ``$1`` is ``nginx`` or ``nginx-debug`` it prints its start-up notices — the scripts of
  ``/docker-entrypoint.d/`` it launches (``10-listen-on-ipv6-by-default.sh``,
  ``15-local-resolvers.envsh`` from 1.25.3, ``20-envsubst-on-templates.sh``,
  ``30-tune-worker-processes.sh`` from 1.19.7) and ``Configuration complete; ready for start
  up`` — unless ``NGINX_ENTRYPOINT_QUIET_LOGS`` is set; then it ``exec``\\ s its arguments.
- ``nginx``: reads ``listen`` and ``root`` from ``/etc/nginx/conf.d/*.conf`` (so a ConfigMap
  mounted there changes the port or the document root), binds the ports (``EADDRINUSE`` is
  retried 5 times 500 ms apart as ``ngx_open_listening_sockets`` does, then exit 1), logs its
  ``[notice]`` start lines to stderr (the image's ``error_log ... notice``, from 1.21) and
  serves static files: ``index.html`` for directories, nginx's own 403/404/405 pages, every
  request logged to stdout in the image's ``main`` log format (``nginx.conf``:
  ``$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
  "$http_referer" "$http_user_agent" "$http_x_forwarded_for"``).
- Signals (``STOPSIGNAL SIGQUIT`` from 1.19.7, SIGTERM before): SIGQUIT shuts down gracefully,
  SIGTERM/SIGINT fast — both exit 0 with the master/worker notices; SIGHUP reloads (logged).
  Without ``daemon off;`` nginx forks into the background and the foreground process exits 0
  (the container completes), as it really does.

Not modelled: other directives (``proxy_pass``, ``return``, ``location`` matching beyond the
root), TLS, ``nginx -s``.
"""

from __future__ import annotations

import re
from typing import Any

from ..process import SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGNAL_NAMES, Sleep
from ..net import HttpRequest, HttpResponse
from . import _common as c
from ...node.host import KERNEL_RELEASE

#: nginx's docs/html/index.html as the Debian/Alpine packages install it. From 1.21.1 the page
#: carries ``color-scheme`` (615 bytes); 1.14-1.21.0 had the older style block (612 bytes).
INDEX_HTML = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""
INDEX_HTML_OLD = INDEX_HTML.replace(
    "html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n"
    "font-family: Tahoma, Verdana, Arial, sans-serif; }\n",
    "    body {\n        width: 35em;\n        margin: 0 auto;\n"
    "        font-family: Tahoma, Verdana, Arial, sans-serif;\n    }\n")

#: docker-nginx ``stable/debian/nginx.conf`` (abridged: the parts the model reads or prints).
NGINX_CONF = """
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
""".lstrip("\n")

#: The package's ``/etc/nginx/conf.d/default.conf`` (abridged: the commented PHP examples dropped).
DEFAULT_CONF = """server {
    listen       80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"""

FIFTY_X_HTML = """<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
"""

_ENTRYPOINT = "/docker-entrypoint.sh"
_D = "/docker-entrypoint.d/"
_STATUS_TEXT = {403: "403 Forbidden", 404: "404 Not Found", 405: "405 Not Allowed"}


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3]) or (0,)


def entrypoint_scripts(version: str) -> list[str]:
    """Which ``/docker-entrypoint.d`` scripts an image of ``version`` ships (docker-nginx history)."""
    v = version_tuple(version)
    if v < (1, 19):
        return []
    names = ["10-listen-on-ipv6-by-default.sh"]
    if v >= (1, 25, 3):
        names.append("15-local-resolvers.envsh")
    names.append("20-envsubst-on-templates.sh")
    if v >= (1, 19, 7):
        names.append("30-tune-worker-processes.sh")
    return names


def image_files(version: str, alpine: bool) -> dict[str, str]:
    v = version_tuple(version)
    files = {
        "/usr/share/nginx/html/index.html": INDEX_HTML if v >= (1, 21, 1) else INDEX_HTML_OLD,
        "/usr/share/nginx/html/50x.html": FIFTY_X_HTML,
        "/etc/nginx/nginx.conf": NGINX_CONF if v >= (1, 21) else NGINX_CONF.replace(" notice;", " warn;"),
        "/etc/nginx/conf.d/default.conf": DEFAULT_CONF,
        "/etc/os-release": ('NAME="Alpine Linux"\nID=alpine\n' if alpine
                            else 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n'),
    }
    scripts = entrypoint_scripts(version)
    if scripts:
        files[_ENTRYPOINT] = "#!/bin/sh\n# vim:sw=4:ts=4:et\n\nset -e\n"
        for name in scripts:
            files[_D + name] = "#!/bin/sh\n"
    return files


def make_entrypoint(spec: Any):
    """``/docker-entrypoint.sh``: start-up notices, then ``exec "$@"`` in the same process."""
    from ..catalog import program_for

    scripts = entrypoint_scripts(spec.env.get("NGINX_VERSION", ""))

    def entrypoint(proc):
        argv = proc.argv[1:]
        if argv and argv[0] in ("nginx", "nginx-debug") and not proc.env.get("NGINX_ENTRYPOINT_QUIET_LOGS"):
            out = proc.stdout.write
            me = _ENTRYPOINT
            present = [s for s in scripts if proc.fs is None or proc.fs.exists(_D + s)]
            if present:
                out(f"{me}: {_D} is not empty, will attempt to perform configuration\n")
                out(f"{me}: Looking for shell scripts in {_D}\n")
                for name in present:
                    verb = "Sourcing" if name.endswith(".envsh") else "Launching"
                    out(f"{me}: {verb} {_D}{name}\n")
                    if name.startswith("10-"):
                        _listen_on_ipv6(proc)
                out(f"{me}: Configuration complete; ready for start up\n")
            else:
                out(f"{me}: No files found in {_D}, skipping configuration\n")
        if not argv:
            return 0
        program = program_for(spec, argv, proc.env)
        if program is None:
            proc.stderr.write(f"{_ENTRYPOINT}: exec: line 47: {argv[0]}: not found\n")
            return 127
        proc.argv = argv                      # exec: same process, new argv
        result = program(proc)
        if hasattr(result, "send"):
            return (yield from result)
        return result

    return entrypoint


def _listen_on_ipv6(proc: Any) -> None:
    """10-listen-on-ipv6-by-default.sh: adds ``listen [::]:80;`` to an unmodified default.conf."""
    me = "10-listen-on-ipv6-by-default.sh"
    conf = "/etc/nginx/conf.d/default.conf"
    text = c.read_file(proc, conf)
    if text is None:
        proc.stdout.write(f"{me}: info: {conf} is not a file or does not exist\n")
        return
    try:
        proc.fs.touch(conf)
    except OSError:
        proc.stdout.write(f"{me}: info: can not modify {conf} (read-only file system?)\n")
        return
    if "listen  [::]:80;" in text:
        proc.stdout.write(f"{me}: info: IPv6 listen already enabled\n")
        return
    proc.stdout.write(f"{me}: info: Getting the checksum of {conf}\n")
    if text != DEFAULT_CONF:
        proc.stdout.write(f"{me}: info: {conf} differs from the packaged version\n")
        return
    proc.fs.write(conf, text.replace("listen       80;\n", "listen       80;\n    listen  [::]:80;\n", 1))
    proc.stdout.write(f"{me}: info: Enabled listen on IPv6 in {conf}\n")


def _config(proc: Any) -> tuple[list[int], str]:
    """(ports, document root) from ``/etc/nginx/conf.d/*.conf``; comments ignored."""
    ports: list[int] = []
    root = ""
    fs = proc.fs
    names: list[str] = []
    if fs is not None and fs.isdir("/etc/nginx/conf.d"):
        names = [n for n in fs.listdir("/etc/nginx/conf.d") if n.endswith(".conf")]
    for name in names:
        text = c.read_file(proc, "/etc/nginx/conf.d/" + name) or ""
        text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
        for m in re.finditer(r"\blisten\s+(?:[\d.]+:|\*:)?(\d+)\b[^;]*;", text):
            if int(m.group(1)) not in ports:
                ports.append(int(m.group(1)))
        m = re.search(r"\broot\s+([^;\s]+)\s*;", text)
        if m and not root:
            root = m.group(1)
    if fs is None or not names:
        ports = ports or [80]
    return ports, root or "/usr/share/nginx/html"


def make_nginx(spec: Any):
    version = spec.env.get("NGINX_VERSION", "1.27.5")
    v = version_tuple(version)
    notices = v >= (1, 21)                       # error_log level notice in the image's nginx.conf
    alpine = spec.env.get("_VARIANT") == "alpine"
    first_worker = 30 if alpine else 29          # the master is PID 1 after the entrypoint's children
    workers = [first_worker + i for i in range(4)]   # worker_processes auto = the node's 4 CPUs

    def err(proc, level: str, pid: int, text: str) -> None:
        proc.stderr.write(f"{c.wall(proc).strftime('%Y/%m/%d %H:%M:%S')} [{level}] {pid}#{pid}: {text}\n")

    def nginx(proc):
        args = proc.argv[1:]
        if "-v" in args or "-V" in args:
            proc.stderr.write(f"nginx version: nginx/{version}\n")
            return 0
        if "-t" in args or "-T" in args:
            proc.stderr.write("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
                              "nginx: configuration file /etc/nginx/nginx.conf test is successful\n")
            return 0
        directives = " ".join(args[i + 1] for i, a in enumerate(args[:-1]) if a == "-g")
        ports, root = _config(proc)

        handlers: dict = {}

        def handler(request: HttpRequest) -> HttpResponse:
            response = _serve(proc, root, version, request)
            size = len(response.body.encode()) if request.method != "HEAD" else 0
            if request.method == "HEAD":
                response.body = ""
            ua = request.headers.get("User-Agent", "-") or "-"
            ref = request.headers.get("Referer", "-") or "-"
            xff = request.headers.get("X-Forwarded-For", "-") or "-"
            proc.stdout.write(f'{request.src_ip or "127.0.0.1"} - - [{c.clf_time(proc)}] '
                              f'"{c.request_line(request)}" {response.status} {size} "{ref}" "{ua}" "{xff}"\n')
            return response

        bound: list[tuple[int, str]] = []
        try:
            for port in ports:
                for attempt in range(6):
                    if c.bind(proc, port, handler):
                        handlers[("TCP", port)] = handler
                        bound.append((port, "TCP"))
                        break
                    if attempt == 5:
                        err(proc, "emerg", 1, "still could not bind()")
                        proc.stderr.write("nginx: [emerg] still could not bind()\n")
                        return 1
                    text = f"bind() to 0.0.0.0:{port} failed (98: Address already in use)"
                    err(proc, "emerg", 1, text)
                    proc.stderr.write(f"nginx: [emerg] {text}\n")
                    yield Sleep(0.5)
            if notices:
                err(proc, "notice", 1, 'using the "epoll" event method')
                err(proc, "notice", 1, f"nginx/{version}")
                err(proc, "notice", 1, "built by gcc 14.2.0 (Alpine 14.2.0) " if alpine
                    else "built by gcc 12.2.0 (Debian 12.2.0-14) ")
                err(proc, "notice", 1, f"OS: Linux {KERNEL_RELEASE}")
                err(proc, "notice", 1, "getrlimit(RLIMIT_NOFILE): 1048576:1048576")
            if "daemon off" not in directives:
                return 0            # the master forked into the background; this process is done
            if notices:
                err(proc, "notice", 1, "start worker processes")
                for w in workers:
                    err(proc, "notice", 1, f"start worker process {w}")
            while True:
                sig = yield from c.wait_for_signal(proc, (SIGQUIT, SIGTERM, SIGINT, SIGHUP))
                if sig != SIGHUP:
                    break
                if notices:
                    err(proc, "notice", 1, "signal 1 (SIGHUP) received, reconfiguring")
                _, root = _config(proc)     # a reload re-reads the document root
            if notices:
                graceful = sig == SIGQUIT
                what = "shutting down" if graceful else "exiting"
                err(proc, "notice", 1, f"signal {sig} ({SIGNAL_NAMES[sig]}) received, {what}")
                for w in workers:
                    if graceful:
                        err(proc, "notice", w, "gracefully shutting down")
                    err(proc, "notice", w, "exiting")
                    err(proc, "notice", w, "exit")
                for w in workers:
                    err(proc, "notice", 1, f"signal {c.SIGCHLD} (SIGCHLD) received from {w}")
                    err(proc, "notice", 1, f"worker process {w} exited with code 0")
                err(proc, "notice", 1, "exit")
            return 0
        finally:
            c.release(proc, bound, handlers)

    return nginx


def error_page(status: int, version: str) -> str:
    """ngx_http_special_response.c: the built-in error pages (CRLF line ends, version footer)."""
    text = _STATUS_TEXT[status]
    return (f"<html>\r\n<head><title>{text}</title></head>\r\n<body>\r\n<center><h1>{text}</h1></center>\r\n"
            f"<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n")


def _serve(proc: Any, root: str, version: str, request: HttpRequest) -> HttpResponse:
    headers = {"Server": f"nginx/{version}", "Content-Type": "text/html"}
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(405, error_page(405, version), headers, reason="Not Allowed")
    path, _ = c.query(request)
    target = c.safe_join(root, path)
    fs = proc.fs
    if fs is not None and fs.isdir(target):
        index = target.rstrip("/") + "/index.html"
        if fs.isfile(index):
            target = index
        else:
            return HttpResponse(403, error_page(403, version), headers)
    body = c.read_file(proc, target)
    if body is None:
        return HttpResponse(404, error_page(404, version), headers)
    if not target.endswith((".html", ".htm")):
        headers["Content-Type"] = "application/octet-stream" if "." not in target.rsplit("/", 1)[-1] \
            else _MIME.get(target.rsplit(".", 1)[-1], "application/octet-stream")
    return HttpResponse(200, body, headers)


_MIME = {"txt": "text/plain", "css": "text/css", "js": "application/javascript", "json": "application/json"}

__all__ = ["make_entrypoint", "make_nginx", "image_files", "entrypoint_scripts", "error_page", "INDEX_HTML"]
_ = SIGTERM
