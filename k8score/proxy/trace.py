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
from dataclasses import dataclass, field
from typing import Any

from .ruleset import Rule, RuleSet

#: Loops in user chains would hang the walk; netfilter refuses them, we bound the depth.
_MAX_DEPTH = 32


@dataclass
class Step:
    table: str
    chain: str
    rule: str
    matched: bool = True
    note: str = ""


@dataclass
class Trace:
    """The result of :func:`trace`: the rules a packet met and where it ended up."""

    protocol: str
    source: str
    destination_ip: str
    destination_port: int
    steps: list[Step] = field(default_factory=list)
    verdict: str = "ACCEPT"            # ACCEPT | DROP | REJECT
    dnat: str | None = None            # "ip:port" the packet was rewritten to
    masquerade: bool = False           # source NATed to the node's address on the way out
    hooks: list[str] = field(default_factory=list)

    @property
    def destination(self) -> str:
        """Where the packet goes: the DNAT target, or the original ``ip:port``."""
        return self.dnat or f"{self.destination_ip}:{self.destination_port}"

    @property
    def endpoint(self) -> str | None:
        """The backend chosen by kube-proxy's rules (None if no DNAT happened)."""
        return self.dnat if self.verdict == "ACCEPT" else None

    @property
    def matched(self) -> list[Step]:
        return [s for s in self.steps if s.matched]

    @property
    def path(self) -> list[str]:
        """``table/chain`` entered, in order (a chain entered twice appears twice)."""
        out: list[str] = []
        last = None
        for s in self.steps:
            here = f"{s.table}/{s.chain}"
            if here != last:
                out.append(here)
                last = here
        return out

    def __str__(self) -> str:
        lines = [f"{self.protocol} {self.source} -> {self.destination_ip}:{self.destination_port}"]
        width = max((len(f"{s.table}/{s.chain}") for s in self.steps), default=0)
        for s in self.steps:
            where = f"{s.table}/{s.chain}".ljust(width)
            mark = "  " if s.matched else "x "
            note = f"   # {s.note}" if s.note else ""
            lines.append(f"  {mark}{where}  {s.rule}{note}")
        lines.append("path: " + " -> ".join(self.path))
        if self.verdict != "ACCEPT":
            lines.append(f"=> {self.verdict}")
        elif self.dnat:
            lines.append(f"=> DNAT to {self.dnat}" + (" (source masqueraded)" if self.masquerade else ""))
        else:
            lines.append("=> no service rule matched: delivered to "
                         f"{self.destination_ip}:{self.destination_port} unchanged")
        return "\n".join(lines)


class _Packet:
    __slots__ = ("src", "dst", "dport", "proto", "mark", "dnat")

    def __init__(self, src: str, dst: str, dport: int, proto: str) -> None:
        self.src, self.dst, self.dport, self.proto, self.mark = src, dst, dport, proto, 0
        self.dnat = False   # conntrack state DNAT: the connection's destination was rewritten


def trace(rules_or_proxier: Any, src_ip: str, dst_ip: str, dst_port: int, protocol: str = "TCP",
          rng: random.Random | None = None, *, local_ips: tuple[str, ...] | list[str] | None = None,
          recent: dict | None = None, now: float = 0.0) -> Trace:
    """Walk a new connection ``src_ip -> dst_ip:dst_port`` through the rules.

    ``rules_or_proxier`` is iptables-save text, a :class:`RuleSet`, or a ``KubeProxy``
    (its current rules, node addresses and affinity table are used). ``local_ips`` are the
    node's own addresses (``-m addrtype --dst-type LOCAL``: NodePorts); ``rng`` defaults to
    ``random.Random(0)`` so a call without one is still reproducible.
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
                recent if recent is not None else {}, now)
    return w.run(_Packet(src_ip, dst_ip, int(dst_port), protocol.lower()))


class _Walker:
    def __init__(self, rs: RuleSet, rng: random.Random, local: set[str], recent: dict, now: float):
        self.rs, self.rng, self.local, self.recent, self.now = rs, rng, local, recent, now

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
            if target in ("ACCEPT", "DROP", "REJECT"):
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
                ok = _in(pkt.src, value)
            elif opt == "-d":
                ok = _in(pkt.dst, value)
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


def _in(ip: str, spec: str | None) -> bool:
    if not spec:
        return False
    if "/" not in spec:
        return ip == spec
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(spec, strict=False)
    except ValueError:
        return False
