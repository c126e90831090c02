"""Network applets over ``proc.net`` (:class:`~k8score.container.net.PodNet`): ``wget`` and
``nslookup`` as busybox 1.36 prints them.

wget (``networking/wget.c``, ``libbb/xconnect.c``):

- ``wget: bad address 'x'`` when the name does not resolve; ``wget: can't connect to remote host
  (10.0.0.1): Connection refused``; ``wget: server returned error: HTTP/1.1 404 Not Found``;
- ``-T N``/``--timeout=N`` (default 900 s): a connection that times out ends after
  ``min(N, 127)`` virtual seconds (127 s is Linux's SYN retry budget) with ``wget: download timed
  out`` (the alarm) or ``...: Connection timed out`` (the kernel);
- without ``-q``: ``Connecting to host (ip:port)``, ``saving to 'f'``/``writing to stdout``, a
  one-line progress bar and ``'f' saved``/``written to stdout`` on stderr; ``--spider`` prints
  ``remote file exists``. Redirects (301/302/303/307/308) are followed.

nslookup (``networking/nslookup.c``): A and AAAA queries to the first ``nameserver`` of
``/etc/resolv.conf``; a dotless name is tried with each ``search`` domain; each reply prints its
answer then an empty line; ``** server can't find x: NXDOMAIN`` (exit 1). The model has no IPv6,
so the AAAA reply is empty (an empty line, as busybox prints for NODATA). Questions go through
``PodNet.query`` (UDP 53 to the DNS server model) when the network has one; otherwise names are
passed to ``Network.resolver`` fully qualified with a trailing dot (no search-list expansion).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Generator

from ...fs import FSError
from ...net import NetError
from ...process import Sleep
from .common import err, fs, path

#: Linux's default connect() timeout with tcp_syn_retries=6: 1+2+4+8+16+32+64 s
CONNECT_TIMEOUT = 127.0
#: networking/wget.c: G.timeout_seconds = 900
WGET_DEFAULT_TIMEOUT = 900.0
#: networking/nslookup.c INIT_G: default_timeout = 5 (seconds)
NSLOOKUP_TIMEOUT = 5.0


def _parse_url(url: str) -> tuple[str, str, int, str] | None:
    m = re.match(r"^(?:(https?)://)?([^/:?#]+)(?::(\d+))?([^#]*)", url)
    if not m or ("://" in url and not m.group(1)):
        return None
    scheme = m.group(1) or "http"
    port = int(m.group(3)) if m.group(3) else (443 if scheme == "https" else 80)
    return scheme, m.group(2), port, m.group(4) or "/"


class _BadNumber(Exception):
    pass


def _seconds(proc: Any, text: str) -> float:
    """``-T SEC``: wget.c reads it with ``xatou`` semantics (digits only, else "invalid number")."""
    if not text.isdigit():
        err(proc, f"invalid number '{text}'")
        raise _BadNumber(text)
    return float(text)


def wget(proc: Any) -> Generator[Any, Any, int]:
    try:
        return (yield from _wget(proc))
    except _BadNumber:
        return 1


def _wget(proc: Any) -> Generator[Any, Any, int]:
    args = list(proc.argv[1:])
    quiet = spider = False
    out_name: str | None = None
    timeout = WGET_DEFAULT_TIMEOUT
    headers: dict[str, str] = {}
    urls = []
    while args:
        a = args.pop(0)
        if a in ("-q", "--quiet"):
            quiet = True
        elif a == "--spider":
            spider = True
        elif a.startswith("--timeout="):
            timeout = _seconds(proc, a.split("=", 1)[1])
        elif a in ("-T", "--timeout") and args:
            timeout = _seconds(proc, args.pop(0))
        elif a.startswith("-T") and len(a) > 2:
            timeout = _seconds(proc, a[2:])
        elif a in ("-O", "--output-document") and args:
            out_name = args.pop(0)
        elif a.startswith("-O") and len(a) > 2:
            out_name = a[2:]
        elif a.startswith("--output-document="):
            out_name = a.split("=", 1)[1]
        elif a == "-qO-" or a == "-qO":
            quiet, out_name = True, "-" if a == "-qO-" else (args.pop(0) if args else "-")
        elif a in ("--header", "-U", "--user-agent") and args:
            value = args.pop(0)
            if a == "--header" and ":" in value:
                k, v = value.split(":", 1)
                headers[k.strip()] = v.strip()
        elif a.startswith("-") and a != "-":
            continue    # -S, -Y on, --no-check-certificate ...: accepted, no effect in the model
        else:
            urls.append(a)
    if not urls:
        err(proc, "URL is required")   # bb_show_usage in busybox
        return 1
    net = proc.net
    for url in urls:
        parsed = _parse_url(url)
        if parsed is None:
            err(proc, f"not an http or ftp url: {url}")
            return 1
        for _redirect in range(20):
            scheme, host, port, target = parsed
            if net is None:
                err(proc, f"bad address '{host}'")
                return 1
            try:
                ip = net.resolve(host)[0]
            except (NetError, IndexError) as e:
                if getattr(e, "seconds", 0.0):          # the resolver waited for an answer
                    yield Sleep(e.seconds)
                err(proc, f"bad address '{host}'")
                return 1
            if not quiet:
                proc.stderr.write(f"Connecting to {host} ({ip}:{port})\n")
            try:
                resp = net.http(ip, port, method="HEAD" if spider else "GET", path=target,
                                headers={"Host": host, "User-Agent": "Wget", **headers})
            except NetError as e:
                msg = str(e)
                if "timed out" in msg:
                    yield Sleep(min(timeout, CONNECT_TIMEOUT))
                    if timeout < CONNECT_TIMEOUT:
                        err(proc, "download timed out")
                        return 1
                if "reset" in msg:
                    err(proc, f"error getting response: {msg}")
                else:
                    err(proc, f"can't connect to remote host ({ip}): {msg}")
                return 1
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.headers.get("Location") or resp.headers.get("location") or "/"
                parsed = _parse_url(location) if "://" in location else (scheme, host, port, location)
                if parsed is None:
                    err(proc, f"not an http or ftp url: {location}")
                    return 1
                continue
            if not (200 <= resp.status < 300):
                err(proc, f"server returned error: HTTP/1.1 {resp.status} {resp.reason}".rstrip())
                return 1
            break
        else:
            err(proc, "too many redirections")
            return 1
        if spider:
            if not quiet:
                proc.stderr.write("remote file exists\n")
            continue
        status = _save(proc, resp.body, out_name, target, quiet)
        if status:
            return status
    return 0


def _save(proc: Any, body: str, out_name: str | None, target: str, quiet: bool) -> int:
    to_stdout = out_name == "-"
    name = out_name or posixpath.basename(target.split("?", 1)[0]) or "index.html"
    if not to_stdout:                 # xopen() comes before retrieve_file_data's messages
        p = path(proc, name)
        try:
            if out_name is None and fs(proc).exists(p):     # O_EXCL without -O (wget.c o_flags)
                err(proc, f"can't open '{name}': File exists")
                return 1
            fs(proc).write(p, body)
        except FSError as e:
            err(proc, f"can't open '{name}': {e.strerror_text}")
            return 1
    if not quiet:
        proc.stderr.write("writing to stdout\n" if to_stdout else f"saving to '{name}'\n")
    if to_stdout:
        proc.stdout.write(body)
    if not quiet:
        shown = "-" if to_stdout else name
        proc.stderr.write(f"{shown:<20.20s} 100% |{'*' * 32}| {len(body.encode()):>5}  0:00:00 ETA\n")
        proc.stderr.write("written to stdout\n" if to_stdout else f"'{name}' saved\n")
    return 0


def _resolv_conf(proc: Any) -> tuple[str | None, list[str]]:
    server, search = None, []
    try:
        text = fs(proc).read("/etc/resolv.conf")
    except FSError:
        text = ""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver" and server is None:
            server = parts[1]
        elif parts and parts[0] in ("search", "domain"):
            search = parts[1:]
    net = proc.net
    if server is None and net is not None and getattr(net, "nameserver", ""):
        server = net.nameserver
    if not search and net is not None:
        search = list(getattr(net, "search", []) or [])
    return server, search


def nslookup(proc: Any) -> Generator[Any, Any, int]:
    args = [a for a in proc.argv[1:] if not a.startswith("-")]
    if not args:
        err(proc, "usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]")
        return 1
    name = args[0]
    server, search = _resolv_conf(proc)
    if len(args) > 1:
        server = args[1]
    server = server or "127.0.0.1"
    net = proc.net
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        queries, qtypes = [".".join(reversed(name.split("."))) + ".in-addr.arpa"], ("PTR",)
    elif "." in name.rstrip(".") or not search:
        queries, qtypes = [name.rstrip(".")], ("A", "AAAA")
    else:
        queries, qtypes = [f"{name}.{domain}" for domain in search], ("A", "AAAA")
    out = [f"Server:\t\t{server}\n", f"Address:\t{server}:53\n\n"]
    status = 0
    for qtype in qtypes:
        for q in queries:
            try:
                rcode, records = _ask(net, q, qtype, server if len(args) > 1 else None)
            except NetError as e:
                yield Sleep(getattr(e, "seconds", 0.0) or NSLOOKUP_TIMEOUT)
                proc.stdout.write(";; connection timed out; no servers could be reached\n\n")
                return 1
            if rcode != "NOERROR":
                out.append(f"** server can't find {q}: {rcode}\n\n")
                status = 1
                continue
            for rname, rtype, data in records:
                if rtype in ("A", "AAAA"):
                    out.append(f"Name:\t{rname}\nAddress: {data}\n")
                elif rtype == "CNAME":
                    out.append(f"{rname}\tcanonical name = {data.rstrip('.')}\n")
                elif rtype == "PTR":
                    out.append(f"{rname}\tname = {data.rstrip('.')}\n")
            out.append("\n")
    proc.stdout.write("".join(out))
    return status


def nslookup_legacy(proc: Any) -> Generator[Any, Any, int]:
    """busybox 1.28's nslookup (networking/nslookup.c before the 1.28.4/1.29 rewrite): it
    asks the C library (``getaddrinfo``), so the resolv.conf search list and ``ndots`` apply to
    every name, and prints each address with its reverse name::

        Server:    10.96.0.10
        Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local

        Name:      kubernetes.default
        Address 1: 10.96.0.1 kubernetes.default.svc.cluster.local

    A name that does not resolve: ``nslookup: can't resolve 'x'`` on stderr, exit 1. This is the
    version the Kubernetes docs pin (``busybox:1.28``) because newer ones do not search.
    """
    args = [a for a in proc.argv[1:] if not a.startswith("-")]
    if not args:
        err(proc, "BusyBox v1.28.4 (2018-05-22 17:00:17 UTC) multi-call binary.\n\n"
                  "Usage: nslookup [HOST] [SERVER]")
        return 1
    name = args[0]
    server, _search = _resolv_conf(proc)
    server = args[1] if len(args) > 1 else (server or "127.0.0.1")
    net = proc.net
    out = [f"Server:    {server}\n", f"Address 1: {server}{_reverse(net, server)}\n\n"]
    try:
        ips = net.resolve(name) if net is not None else []
    except NetError as e:
        yield Sleep(getattr(e, "seconds", 0.0) or 0.0)
        ips = []
    if not ips:
        proc.stdout.write("".join(out))
        err(proc, f"can't resolve '{name}'")
        return 1
    out.append(f"Name:      {name}\n")
    for i, ip in enumerate(ips, 1):
        out.append(f"Address {i}: {ip}{_reverse(net, ip)}\n")
    proc.stdout.write("".join(out))
    return 0


def _reverse(net: Any, ip: str) -> str:
    """`` <name>`` from a PTR lookup of ``ip`` (what getnameinfo adds), or ``""``."""
    if net is None or not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ip):
        return ""
    try:
        rcode, records = _ask(net, ".".join(reversed(ip.split("."))) + ".in-addr.arpa", "PTR", None)
    except NetError:
        return ""
    names = [data.rstrip(".") for _n, rtype, data in records if rtype == "PTR"]
    return f" {names[0]}" if rcode == "NOERROR" and names else ""


def _ask(net: Any, name: str, qtype: str, server: str | None) -> tuple[str, list[tuple[str, str, str]]]:
    """(rcode, [(name, type, data)]) for one question: ``PodNet.query`` when the network has a
    DNS server model, else ``Network.resolver`` with the absolute name (``name.``)."""
    network = getattr(net, "network", None)
    if hasattr(net, "query") and (getattr(network, "dns", None) is not None
                                  or getattr(network, "resolver", None) is None):
        reply = net.query(name, qtype, server)
        return reply.rcode, [(r.name, r.rtype, r.data) for r in reply.answers]
    resolver = getattr(getattr(net, "network", None), "resolver", None)
    if resolver is None:
        raise NetError("connection timed out; no servers could be reached", NSLOOKUP_TIMEOUT)
    if qtype == "PTR":
        return "NXDOMAIN", []
    try:
        ips = resolver(name + ".", net)
    except NetError:
        return "NXDOMAIN", []
    return "NOERROR", [(name, qtype, ip) for ip in ips if (":" in ip) == (qtype == "AAAA")]


PROGRAMS = {"wget": wget, "nslookup": nslookup, "nslookup-1.28": nslookup_legacy}
