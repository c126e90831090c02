"""The stub resolver in a container's C library: ``getaddrinfo`` with ``/etc/resolv.conf``.

:func:`stub_resolve` is ``Network.resolver``: ``stub_resolve(name, podnet) -> [ip, ...]``. It
follows musl's ``src/network/lookup_name.c`` (``name_from_dns_search`` / ``name_from_dns``),
the libc of alpine and of the busybox images' ``wget``, against the namespace's resolv.conf
(``podnet.search``, ``podnet.nameserver``, ``podnet.ndots``):

1. a name with fewer than ``ndots`` dots (5 in a pod: ``options ndots:5``) and no trailing
   dot is tried under each search domain in order, then as written; a name with ``ndots``
   dots or more, or ending in ``.``, only as written;
2. each try asks A and AAAA together. Any NXDOMAIN answer moves on to the next try;
   addresses end the search; a SERVFAIL or no answer at all (timeout) ends it with
   ``EAI_AGAIN``; an answer with no address records (NODATA: the name exists but has no
   A record, e.g. ``default.svc.cluster.local``) ends it with ``EAI_NONAME`` — musl does
   *not* try the remaining search domains then (glibc would);
3. the addresses are the A records, in answer order (IPv6 answers are ignored: the
   simulated pod network is IPv4).

So from a pod in ``default``, ``web`` is asked as ``web.default.svc.cluster.local`` first;
``web.prod`` as ``web.prod.default.svc.cluster.local`` (NXDOMAIN) then
``web.prod.svc.cluster.local``; ``web.prod.svc.cluster.local`` (4 dots) also goes through
the search list first — the reason for the extra queries "ndots:5" is known for.

Every failure raises ``NetError("bad address '<name>'")`` — busybox ``wget``'s words — with
``seconds`` set to the time the resolver waited (5 s for a server that never answered).
"""

from __future__ import annotations

from typing import Any

from ..container.net import DNS_TIMEOUT, NetError

#: A search domain that would make the name longer than a DNS name may be is skipped
#: (musl: ``if (z-p < 256 - l - 1)``; RFC 1035's 253 characters in text form).
_MAX_NAME = 253


def search_names(name: str, search: list[str], ndots: int) -> list[str]:
    """The names musl asks for ``name``, in order (``name_from_dns_search``).

    >>> search_names("web", ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], 5)
    ['web.default.svc.cluster.local', 'web.svc.cluster.local', 'web.cluster.local', 'web']
    >>> search_names("example.com.", ["default.svc.cluster.local"], 5)
    ['example.com']
    """
    dots = name.count(".")
    absolute = name.endswith(".")
    bare = name[:-1] if absolute else name
    if dots >= ndots or absolute:
        return [bare]
    out = [f"{bare}.{d.rstrip('.')}" for d in search if d and d != "." and len(bare) + 1 + len(d) <= _MAX_NAME]
    return out + [bare]


def stub_resolve(name: str, src: Any) -> list[str]:
    """``getaddrinfo(name)`` in the namespace ``src`` (a :class:`~k8score.container.net.PodNet`)."""
    if not name or name.endswith("..") or name == ".":
        raise NetError(f"bad address '{name}'")            # musl: EAI_NONAME, nothing sent
    waited = 0.0
    for fqdn in search_names(name, list(src.search or ()), int(src.ndots)):
        outcome = _ask(src, fqdn)
        if outcome is None:
            continue                                         # NXDOMAIN: next search domain
        if isinstance(outcome, list):
            return outcome
        waited += outcome
        break                                                # EAI_AGAIN / EAI_NONAME: stop
    raise NetError(f"bad address '{name}'", seconds=waited)


def _ask(src: Any, fqdn: str) -> list[str] | float | None:
    """musl ``name_from_dns``: addresses, None for NXDOMAIN, or the seconds a failure took."""
    replies = []
    for qtype in ("A", "AAAA"):      # sent together; musl waits for both
        try:
            replies.append(src.network.query(src, fqdn, qtype))
        except NetError as e:
            return e.seconds or DNS_TIMEOUT                   # EAI_AGAIN
    for r in replies:
        if r.rcode == "SERVFAIL":
            return 0.0                                       # EAI_AGAIN
        if r.rcode == "NXDOMAIN":
            return None
        if r.rcode != "NOERROR":
            return 0.0                                       # EAI_FAIL
    ips = [rr.data for rr in replies[0].answers if rr.rtype == "A"]
    return ips or 0.0                                        # NODATA: EAI_NONAME


__all__ = ["stub_resolve", "search_names"]
