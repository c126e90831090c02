"""Follow one packet through a node in IPVS mode: the few iptables rules, then IPVS.

The path of a new connection (Linux netfilter + ``net/netfilter/ipvs/ip_vs_core.c``):

- from a pod or another host: nat ``PREROUTING`` (``KUBE-SERVICES``: the ipset matches
  that mark traffic for SNAT) -> routing: a Service address is *local* (it sits on
  ``kube-ipvs0``), so filter ``INPUT`` (``KUBE-IPVS-FILTER`` keeps the host's own ports
  off the VIPs) -> **IPVS** on ``LOCAL_IN`` (``ip_vs_remote_request4``, after the filter
  table): the virtual server ``proto, ip, port`` is looked up, its scheduler picks a real
  server, and the packet is rewritten (``Masq`` forwarding is DNAT) and sent out through
  filter ``OUTPUT`` and nat ``POSTROUTING`` (``KUBE-POSTROUTING`` masquerades marked
  packets);
- from a process on the node: nat ``OUTPUT`` -> **IPVS** on ``LOCAL_OUT``
  (``ip_vs_local_request4``) -> filter ``OUTPUT`` -> nat ``POSTROUTING``.

A virtual server with no real server answers ICMP port unreachable (``ip_vs_leave``:
the client sees "connection refused") — the REJECT of the other modes. A local address
with no virtual server for the port is delivered to the node's own sockets, unless
``KUBE-IPVS-FILTER`` rejects it (a VIP on a port the Service does not serve).

Schedulers (:class:`IpvsScheduler`, the kernel's ``ip_vs_*.c``; state kept per node):
``rr``/``wrr`` walk the real servers in order from where the last pick stopped;
``lc``/``wlc``/``sed``/``nq``/``lblc``/``lblcr`` take the one with fewest connections
(traced connections count; ties: first in list); ``sh`` hashes the source address into
256 buckets dealt round-robin to the servers (``ip_vs_sh.c``: ``hash_32``), ``dh`` the
destination, ``mh`` is treated like ``sh``. ``persistent`` (ClientIP affinity) keeps a
client on its server for the timeout (the kernel's connection template).
"""

from __future__ import annotations

import random
from typing import Any

from .ipvs import IpvsState, RealServer, VirtualServer
from .ruleset import RuleSet
from .trace import _Packet, _Walker
from .tracefmt import Step, Trace

# include/linux/hash.h GOLDEN_RATIO_32; ip_vs_sh.c IP_VS_SH_TAB_BITS = 8
_GOLDEN_RATIO_32 = 0x61C88647
_SH_TAB_BITS = 8
_LEAST_CONN = ("lc", "wlc", "sed", "nq", "lblc", "lblcr")


class IpvsScheduler:
    """The kernel's per-virtual-server scheduling state on one node."""

    def __init__(self) -> None:
        self.last: dict[tuple, str] = {}                    # rr: vs key -> last real server
        self.connections: dict[tuple, int] = {}             # (vs key, rs) -> connections
        self.templates: dict[tuple, tuple[str, float]] = {}  # persistence: (vs key, client) -> rs, time

    def pick(self, vs: VirtualServer, client: str, now: float) -> tuple[RealServer | None, str]:
        """The real server for a new connection from ``client``, and how it was chosen."""
        servers = vs.real_servers
        if not servers:
            return None, "no real server"
        if vs.persistent:
            held = self.templates.get((vs.key, client))
            if held is not None and now - held[1] <= vs.persistent:
                for rs in servers:
                    if str(rs) == held[0]:
                        self.templates[(vs.key, client)] = (held[0], now)
                        return self._count(vs, rs), f"persistent: client {client} stays on {rs}"
        rs, how = self._schedule(vs, client)
        if vs.persistent:
            self.templates[(vs.key, client)] = (str(rs), now)
        return self._count(vs, rs), how

    def _count(self, vs: VirtualServer, rs: RealServer) -> RealServer:
        key = (vs.key, str(rs))
        self.connections[key] = self.connections.get(key, 0) + 1
        return rs

    def _schedule(self, vs: VirtualServer, client: str) -> tuple[RealServer, str]:
        servers, n = vs.real_servers, len(vs.real_servers)
        if vs.scheduler in _LEAST_CONN:
            counts = [self.connections.get((vs.key, str(rs)), 0) for rs in servers]
            i = counts.index(min(counts))
            return servers[i], f"{vs.scheduler}: fewest connections ({counts[i]}) of {n}"
        if vs.scheduler in ("sh", "mh", "dh"):
            addr = client if vs.scheduler != "dh" else vs.address
            bucket = _hash32(_ip_int(addr), _SH_TAB_BITS)
            i = bucket % n
            return servers[i], f"{vs.scheduler}: hash({addr}) -> bucket {bucket} -> server {i + 1} of {n}"
        names = [str(rs) for rs in servers]
        last = self.last.get(vs.key)
        i = (names.index(last) + 1) % n if last in names else 0
        self.last[vs.key] = names[i]
        return servers[i], f"{vs.scheduler}: server {i + 1} of {n}" + (f", after {last}" if last in names else "")


def _hash32(value: int, bits: int) -> int:
    return ((value * _GOLDEN_RATIO_32) & 0xFFFFFFFF) >> (32 - bits)


def _ip_int(ip: str) -> int:
    out = 0
    for part in ip.split("."):
        out = out * 256 + int(part)
    return out


def trace_ipvs(state: IpvsState, src_ip: str, dst_ip: str, dst_port: int, protocol: str = "TCP", *,
               node_ips: list[str] | tuple[str, ...] = (), scheduler: IpvsScheduler | None = None,
               rng: random.Random | None = None, bridged: bool = False, now: float = 0.0,
               rules: RuleSet | None = None) -> Trace:
    """Walk a new connection through ``state`` (see the module docstring)."""
    rs = rules or RuleSet.parse(state.iptables)
    local = set(node_ips) | set(state.dummy_addresses) | {"127.0.0.1"}
    w = _Walker(rs, rng or random.Random(0), local, {}, now, state.ipsets, bridged)
    sched = scheduler or IpvsScheduler()
    t = Trace(protocol.upper(), src_ip, dst_ip, int(dst_port), mode="ipvs")
    pkt = _Packet(src_ip, dst_ip, int(dst_port), protocol.lower())
    from_here = src_ip in set(node_ips) or src_ip == "127.0.0.1"
    v = w._hook(t, pkt, "nat", "OUTPUT" if from_here else "PREROUTING")
    if v in ("DROP", "REJECT"):
        return _end(t, v)
    if not from_here:
        if pkt.dst not in local:   # not a Service address: plain forwarding
            v = w._hook(t, pkt, "filter", "FORWARD")
            if v in ("DROP", "REJECT"):
                return _end(t, v)
            return _postrouting(w, t, pkt)
        v = w._hook(t, pkt, "filter", "INPUT")
        if v in ("DROP", "REJECT"):
            if t.steps and t.steps[-1].chain == "KUBE-IPVS-FILTER":
                # kubernetes#72236: a VIP answers only on the ports its Services serve
                t.reason = (f"{pkt.dst} is a Service address on kube-ipvs0, but no Service serves "
                            f"{pkt.proto}/{pkt.dport} there (KUBE-IPVS-FILTER)")
            return _end(t, v)
    hook = "LOCAL_OUT" if from_here else "LOCAL_IN"
    vs = state.lookup(pkt.proto, pkt.dst, pkt.dport)
    t.hooks.append(f"ipvs/{hook}")
    if vs is None:
        t.steps.append(Step("ipvs", hook, f"{pkt.proto.upper()}  {pkt.dst}:{pkt.dport}", matched=False,
                            note="no virtual server"))
        if from_here:
            return _postrouting(w, t, pkt, walk_filter=True)
        t.reason = "delivered to the node itself"
        return _end(t, "ACCEPT")
    real, how = sched.pick(vs, src_ip, now)
    host = f"[{vs.address}]" if ":" in vs.address else vs.address
    line = f"{vs.protocol}  {host}:{vs.port} {vs.scheduler}" + (f" persistent {vs.persistent}" if vs.persistent else "")
    if real is None:
        t.steps.append(Step("ipvs", hook, line, note="no real server: ICMP port unreachable"))
        t.reason = f"{vs.service} has no endpoints (IPVS virtual server {vs} has no real server)"
        return _end(t, "REJECT")
    t.steps.append(Step("ipvs", hook, line, note=how))
    t.steps.append(Step("ipvs", hook, f"  -> {real}  {real.forward}  {real.weight}",
                        note=f"destination rewritten to {real}"))
    t.dnat = str(real)
    pkt.dst, pkt.dport, pkt.dnat = real.ip, real.port, True
    return _postrouting(w, t, pkt, walk_filter=True)


def _postrouting(w: Any, t: Trace, pkt: _Packet, walk_filter: bool = False) -> Trace:
    if walk_filter:
        v = w._hook(t, pkt, "filter", "OUTPUT")
        if v in ("DROP", "REJECT"):
            return _end(t, v)
    if w._hook(t, pkt, "nat", "POSTROUTING") == "MASQUERADE":
        t.masquerade = True
    return _end(t, "ACCEPT")


def _end(t: Trace, verdict: str) -> Trace:
    t.verdict = verdict
    return t
