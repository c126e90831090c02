"""Follow one packet through a node's iptables rules, chain by chain.

The walk is netfilter's for a new connection (conntrack state NEW): a packet arriving
from elsewhere (a pod on this node, another node) goes nat ``PREROUTING`` -> routing ->
filter ``INPUT`` (for this node) or filter ``FORWARD`` -> nat ``POSTROUTING``; a packet
the node itself sends goes nat ``OUTPUT`` -> filter ``OUTPUT`` -> nat ``POSTROUTING``.
Inside a table, rules are tried in order; ``-j CHAIN`` descends, ``RETURN`` or the end of
a kube chain goes back up, ``DNAT``/``MASQUERADE``/``ACCEPT`` end the table, ``DROP`` and
``REJECT`` end the packet. ``-m statistic --mode random`` draws from the ``rng`` you pass,
so a seed reproduces the endpoint choice; ``-m recent`` (session affinity) reads and
writes the ``recent`` table you pass, keyed by source IP like the kernel's.

>>> t = trace(rules, "10.244.1.5", "10.96.0.20", 80, rng=random.Random(1))   # doctest: +SKIP
>>> t.destination, t.verdict                                                # doctest: +SKIP
('10.244.2.3:80', 'ACCEPT')
>>> print(t)                                                                # doctest: +SKIP
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from .ruleset import Rule, RuleSet
from .tracefmt import Step, Trace

#: Loops in user chains would hang the walk; netfilter refuses them, we bound the depth.
_MAX_DEPTH = 32


class _Packet:
    __slots__ = ("src", "dst", "dport", "proto", "mark", "dnat", "sport")

    def __init__(self, src: str, dst: str, dport: int, proto: str, sport: int = 0) -> None:
        self.src, self.dst, self.dport, self.proto, self.mark = src, dst, dport, proto, 0
        self.sport = sport
        self.dnat = False   # conntrack state DNAT: the connection's destination was rewritten


def trace(rules_or_proxier: Any, src_ip: str, dst_ip: str, dst_port: int, protocol: str = "TCP",
          rng: random.Random | None = None, *, local_ips: tuple[str, ...] | list[str] | None = None,
          recent: dict | None = None, now: float = 0.0, ipsets: dict | None = None,
          bridged: bool = False) -> Trace:
    """Walk a new connection ``src_ip -> dst_ip:dst_port`` through the rules.

    ``rules_or_proxier`` is iptables-save text, a :class:`RuleSet`, or a ``KubeProxy``
    (its current rules, node addresses and affinity table are used). ``local_ips`` are the
    node's own addresses (``-m addrtype --dst-type LOCAL``: NodePorts); ``rng`` defaults to
    ``random.Random(0)`` so a call without one is still reproducible. ``ipsets``
    (name -> :class:`~.ipvs.IPSet`) answer ``-m set --match-set`` (IPVS mode's rules);
    ``bridged`` says the packet came in through a bridge port (a pod on this node:
    ``-m physdev --physdev-is-in``).
    """
    if hasattr(rules_or_proxier, "ruleset") and callable(rules_or_proxier.ruleset):
        proxier = rules_or_proxier
        rs = proxier.ruleset()
        if local_ips is None:
            local_ips = proxier.local_ips()
        if recent is None:
            recent = proxier.recent
            now = proxier.loop.now
    elif isinstance(rules_or_proxier, RuleSet):
        rs = rules_or_proxier
    else:
        rs = RuleSet.parse(str(rules_or_proxier))
    w = _Walker(rs, rng or random.Random(0), set(local_ips or ()) | {"127.0.0.1"},
                recent if recent is not None else {}, now, ipsets or {}, bridged)
    return w.run(_Packet(src_ip, dst_ip, int(dst_port), protocol.lower()))


class _Walker:
    """netfilter's walk through iptables rules (also the iptables half of IPVS mode)."""

    def __init__(self, rs: RuleSet, rng: random.Random, local: set[str], recent: dict, now: float,
                 ipsets: dict | None = None, bridged: bool = False):
        self.rs, self.rng, self.local, self.recent, self.now = rs, rng, local, recent, now
        self.ipsets, self.bridged = ipsets or {}, bridged

    def run(self, pkt: _Packet) -> Trace:
        t = Trace(pkt.proto.upper(), pkt.src, pkt.dst, pkt.dport)
        from_here = pkt.src in self.local
        first = ("nat", "OUTPUT") if from_here else ("nat", "PREROUTING")
        verdict = self._hook(t, pkt, *first)
        if verdict in ("DROP", "REJECT"):
            return self._end(t, verdict)
        # Routing decision on the (possibly DNATed) destination.
        if from_here:
            second = ("filter", "OUTPUT")
        else:
            second = ("filter", "INPUT") if pkt.dst in self.local else ("filter", "FORWARD")
        verdict = self._hook(t, pkt, *second)
        if verdict in ("DROP", "REJECT"):
            return self._end(t, verdict)
        if from_here or second[1] == "FORWARD":
            if self._hook(t, pkt, "nat", "POSTROUTING") == "MASQUERADE":
                t.masquerade = True
        return self._end(t, "ACCEPT")

    @staticmethod
    def _end(t: Trace, verdict: str) -> Trace:
        t.verdict = verdict
        return t

    def _hook(self, t: Trace, pkt: _Packet, table: str, chain: str) -> str | None:
        t.hooks.append(f"{table}/{chain}")
        return self._walk(t, pkt, table, chain, 0)

    def _walk(self, t: Trace, pkt: _Packet, table: str, chain: str, depth: int) -> str | None:
        if depth > _MAX_DEPTH:
            raise RuntimeError(f"iptables chain loop through {table}/{chain}")
        for rule in self.rs.rules(table, chain):
            ok, note = self._match(rule, pkt)
            if not ok:
                if note:  # a random draw that lost: worth showing
                    t.steps.append(Step(table, chain, rule.text, matched=False, note=note))
                continue
            t.steps.append(Step(table, chain, rule.text, note=note))
            target = rule.target
            if target is None:
                continue
            if target == "RETURN":
                return None
            if target == "MARK":
                args = rule.target_args
                if "--or-mark" in args:
                    pkt.mark |= int(args["--or-mark"] or "0", 0)
                elif "--xor-mark" in args:
                    pkt.mark ^= int(args["--xor-mark"] or "0", 0)
                continue
            if target == "DNAT":
                ip, _, port = (rule.target_args.get("--to-destination") or "").rpartition(":")
                t.dnat = f"{ip}:{port}"
                pkt.dst, pkt.dport = ip.strip("[]"), int(port)
                pkt.dnat = True
                t.steps[-1].note = f"destination rewritten to {t.dnat}"
                return "DNAT"
            if target == "MASQUERADE":
                t.steps[-1].note = "source rewritten to the node's address"
                return "MASQUERADE"
            if target in ("DROP", "REJECT"):
                t.reason = rule.comment or f"{table}/{chain}: {rule.text}"
                return target
            if target == "ACCEPT":
                return target
            if self.rs.has_chain(table, target):
                verdict = self._walk(t, pkt, table, target, depth + 1)
                if verdict is not None:
                    return verdict
                continue
            raise ValueError(f"unknown target {target!r} in {rule.text!r}")
        return None

    def _match(self, rule: Rule, pkt: _Packet) -> tuple[bool, str]:
        note = ""
        recent_set: str | None = None
        name = None
        seconds = None
        for opt, value, neg in rule.matches:
            if opt == "-p":
                ok = value == pkt.proto
            elif opt == "-s":
                ok = ip_in(pkt.src, value)
            elif opt == "-d":
                ok = ip_in(pkt.dst, value)
            elif opt == "--dport":
                ok = int(value or 0) == pkt.dport
            elif opt == "--dst-type":
                ok = value == "LOCAL" and pkt.dst in self.local
            elif opt == "--src-type":
                ok = value == "LOCAL" and pkt.src in self.local
            elif opt == "--ctstate":
                # The tracer follows a new connection: NEW, plus DNAT once it was rewritten.
                states = (value or "").split(",")
                ok = "NEW" in states or (pkt.dnat and "DNAT" in states)
            elif opt == "--nfacct-name":
                ok = True   # an accounting counter: counts, never filters
            elif opt == "--mark":
                val, _, mask = (value or "0").partition("/")
                ok = pkt.mark & int(mask or "0xffffffff", 0) == int(val, 0)
            elif opt == "--mode":
                ok = True
            elif opt == "--probability":
                p = float(value or 0)
                draw = self.rng.random()
                ok = draw < p
                note = f"random {draw:.4f} {'<' if ok else '>='} {value}"
            elif opt == "--name":
                name, ok = value, True
            elif opt == "--seconds":
                seconds, ok = float(value or 0), True
            elif opt == "--set":
                recent_set, ok = name, True
            elif opt == "--rcheck":
                seen = self.recent.get((name, pkt.src))
                # --seconds is checked after all options are read; see below
                ok = seen is not None
                if ok:
                    note = f"client {pkt.src} seen {self.now - seen:.0f}s ago"
            elif opt == "--reap":
                ok = True
            elif opt == "--match-set":
                set_name, _, flags = (value or "").partition(" ")
                ok = set_match(self.ipsets.get(set_name), flags, pkt)
                if ok and not neg:
                    note = f"in ipset {set_name}"
            elif opt == "--physdev-is-in":
                ok = self.bridged
            else:
                raise ValueError(f"tracer does not understand {opt!r} in {rule.text!r}")
            if neg:
                ok = not ok
            if not ok:
                return False, note if opt == "--probability" else ""
        if seconds is not None and name is not None and recent_set is None:
            seen = self.recent.get((name, pkt.src))
            if seen is None or self.now - seen > seconds:
                return False, ""
        if recent_set is not None:
            self.recent[(recent_set, pkt.src)] = self.now
            note = f"remember client {pkt.src} for {recent_set}"
        return True, note


def set_match(s: Any, flags: str, pkt: _Packet) -> bool:
    """``-m set --match-set NAME flags``: is the packet's (dst/src ip, port, ...) in the set?

    ``s`` has ``type`` (``hash:ip,port``, ``bitmap:port``, ...) and ``entries`` as ipset
    prints them (``10.96.0.1,tcp:443``, ``30080``). Each flag picks the packet field for
    one dimension of the set type, in order (ipset's ``dst,dst``: destination IP, then
    destination port). A set that does not exist matches nothing.
    """
    if s is None:
        return False
    kind, _, dims_text = s.type.partition(":")
    dims, picks = dims_text.split(","), flags.split(",")
    for entry in s.entries:
        parts = [entry] if kind == "bitmap" else entry.split(",")
        if all(_dim_match(d, f, part, pkt) for d, f, part in zip(dims, picks, parts)):
            return True
    return False


def _dim_match(dim: str, pick: str, part: str, pkt: _Packet) -> bool:
    ip = pkt.dst if pick == "dst" else pkt.src
    if dim == "ip":
        return part == ip
    if dim == "net":
        return ip_in(ip, part)
    if dim == "port":
        proto, _, port = part.rpartition(":")
        if proto and proto != pkt.proto:
            return False
        return int(port) == (pkt.dport if pick == "dst" else pkt.sport)
    return False


def ip_in(ip: str, spec: str | None) -> bool:
    """``ip`` matches an iptables/nft address spec (an address or a CIDR)."""
    if not spec:
        return False
    if "/" not in spec:
        return ip == spec
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(spec, strict=False)
    except ValueError:
        return False
