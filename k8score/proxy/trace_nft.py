"""Follow one packet through kube-proxy's nftables table (``ip kube-proxy``).

The base chains are visited in netfilter's order for a new connection, each hook's
chains by priority (pkg/proxy/nftables/proxier.go ``nftablesBaseChains``):

- from a pod or another host: ``filter-prerouting-pre-dnat`` (-110, ``firewall-check``)
  -> ``nat-prerouting`` (-100: ``jump services``) -> routing -> ``filter-input`` (a local
  destination) or ``filter-forward`` (0: ``service-endpoints-check``,
  ``cluster-ips-check``) -> ``nat-postrouting`` (100: ``masquerading``) when forwarded;
- from a process on the node: ``filter-output-pre-dnat`` -> ``nat-output`` ->
  ``filter-output`` -> ``nat-postrouting``.

The ``services`` chain dispatches with **verdict maps**: ``daddr . l4proto . dport`` is
looked up in ``service-ips`` (and ``l4proto . dport`` in ``service-nodeports`` for the
node's addresses) and ``goto``\\ es the service's chain in one step; a service chain picks
its endpoint with ``numgen random mod N vmap { 0 : goto …, … }`` — the draw comes from
the ``rng`` passed in, so a seed reproduces the choice. A Service with no endpoints is
in ``no-endpoint-services`` / ``no-endpoint-nodeports`` instead: ``goto reject-chain``
(no endpoints anywhere) or ``drop`` (``externalTrafficPolicy: Local`` and none here).

``jump`` returns to the caller when the chain ends, ``goto`` does not; ``return`` ends
the chain; ``accept`` ends this base chain; ``drop`` / ``reject`` end the packet;
``dnat`` / ``masquerade`` end the nat chain with the rewrite done.
"""

from __future__ import annotations

import random
import re
from .nftables import NftTable
from .nftables_print import render_rule
from .trace import ip_in
from .tracefmt import Step, Trace

_MAX_DEPTH = 32
_TABLE = "kube-proxy"


class _Pkt:
    def __init__(self, src: str, dst: str, dport: int, proto: str) -> None:
        self.src, self.dst, self.dport, self.proto = src, dst, dport, proto
        self.mark, self.dnat = 0, False


def trace_nft(table: NftTable, src_ip: str, dst_ip: str, dst_port: int, protocol: str = "TCP", *,
              node_ips: list[str] | tuple[str, ...] = (), rng: random.Random | None = None,
              affinity: dict | None = None, now: float = 0.0) -> Trace:
    """Walk a new connection through ``table`` (see the module docstring).

    ``node_ips`` are the node's addresses (``fib daddr type local``); ``affinity`` holds
    the dynamic ``affinity-*`` sets (``(set, client) -> time added``) across calls.
    """
    w = _Nft(table, rng or random.Random(0), set(node_ips) | {"127.0.0.1"},
             affinity if affinity is not None else {}, now)
    t = Trace(protocol.upper(), src_ip, dst_ip, int(dst_port), mode="nftables")
    p = _Pkt(src_ip, dst_ip, int(dst_port), protocol.lower())
    from_here = src_ip in w.local
    first = ("filter-output-pre-dnat", "nat-output") if from_here else ("filter-prerouting-pre-dnat", "nat-prerouting")
    for base in first:
        v = w.hook(t, p, base)
        if v in ("drop", "reject"):
            return _end(t, v)
    if from_here:
        second = "filter-output"
    else:
        second = "filter-input" if p.dst in w.local else "filter-forward"
    v = w.hook(t, p, second)
    if v in ("drop", "reject"):
        return _end(t, v)
    if second != "filter-input":
        if w.hook(t, p, "nat-postrouting") == "masquerade":
            t.masquerade = True
    return _end(t, "accept")


def _end(t: Trace, verdict: str) -> Trace:
    t.verdict = verdict.upper()
    return t


class _Nft:
    def __init__(self, table: NftTable, rng: random.Random, local: set[str], affinity: dict, now: float):
        self.t, self.rng, self.local, self.affinity, self.now = table, rng, local, affinity, now
        self.last_vmap: tuple[str, str | None] = ("", None)   # (map, element comment) last hit

    def hook(self, tr: Trace, p: _Pkt, chain: str) -> str | None:
        if chain not in self.t.chains:
            return None
        tr.hooks.append(f"{_TABLE}/{chain}")
        v, _ = self.walk(tr, p, chain, 0)
        return v

    def walk(self, tr: Trace, p: _Pkt, chain: str, depth: int) -> tuple[str | None, bool]:
        """Run ``chain``; returns ``(terminal verdict or None, ended_by_return)``."""
        if depth > _MAX_DEPTH:
            raise RuntimeError(f"nft chain loop through {chain}")
        for rule, comment in self.t.chains[chain].rules:
            shown = render_rule(rule) + (f' comment "{comment}"' if comment else "")
            ok, note, verdict = self.match(rule, p)
            if not ok:
                if note:
                    tr.steps.append(Step(_TABLE, chain, shown, matched=False, note=note))
                continue
            tr.steps.append(Step(_TABLE, chain, shown, note=note))
            if verdict is None:
                continue
            kind, _, target = verdict.partition(" ")
            if kind == "return":
                return None, True
            if kind in ("jump", "goto"):
                v, _ = self.walk(tr, p, target, depth + 1)
                if v is not None:
                    return v, False
                if kind == "goto":
                    return None, False
                continue
            if kind in ("drop", "reject"):
                tr.reason = tr.reason or comment or self._reason(chain, kind, tr)
                return kind, False
            if kind == "dnat":
                tr.dnat = f"[{p.dst}]:{p.dport}" if ":" in p.dst else f"{p.dst}:{p.dport}"
            return kind, False  # accept, dnat, masquerade
        return None, False

    # -- one rule -------------------------------------------------------------------
    def match(self, rule: str, p: _Pkt) -> tuple[bool, str, str | None]:
        """``(matched, note, verdict statement)`` for one rule as kube-proxy writes it."""
        toks = _tokens(rule)
        note = ""
        i = 0
        while i < len(toks):
            tok = toks[i]
            rest = toks[i:]
            if rest[:3] == ["ct", "state", "new"]:
                i += 3
            elif tok in ("ip", "ip6") and rest[1:2] and rest[1] in ("daddr", "saddr"):
                addr = p.dst if rest[1] == "daddr" else p.src
                if rest[2:3] == ["."]:      # daddr . meta l4proto . th dport vmap @map
                    key = f"{addr} . {p.proto} . {p.dport}"
                    return self._vmap(rest[9], key, note)
                op, val, j = ("!=", rest[3], 4) if rest[2] == "!=" else ("==", rest[2], 3)
                if val.startswith("@"):
                    ok, why = self._in_set(val[1:], addr)
                    note = why or note
                elif val == "{":
                    end = rest.index("}")
                    ok = any(ip_in(addr, v.strip(",")) for v in rest[3:end] if v != ",")
                    j = end + 1
                else:
                    ok = ip_in(addr, val)
                if op == "!=":
                    ok = not ok
                if not ok:
                    return False, "", None
                i += j
            elif rest[:3] == ["meta", "l4proto", "."]:   # meta l4proto . th dport vmap @map
                return self._vmap(rest[6], f"{p.proto} . {p.dport}", note)
            elif rest[:2] == ["meta", "l4proto"]:
                if rest[2] != p.proto:
                    return False, "", None
                i += 3
            elif tok in ("tcp", "udp", "sctp") and rest[1:2] == ["dport"]:
                if tok != p.proto or int(rest[2]) != p.dport:
                    return False, "", None
                i += 3
            elif tok == "fib":                           # fib daddr|saddr type local
                addr = p.dst if rest[1] == "daddr" else p.src
                if addr not in self.local:
                    return False, "", None
                i += 4
            elif rest[:2] == ["mark", "and"]:            # mark and M == 0 <verdict>
                if p.mark & int(rest[2], 16) != int(rest[4], 0):
                    return False, "", None
                i += 5
            elif rest[:3] == ["mark", "set", "mark"]:
                val = int(rest[4], 16)
                p.mark = p.mark | val if rest[3] == "or" else p.mark ^ val
                return True, f"mark now {p.mark:#x}", None
            elif rest[:3] == ["numgen", "random", "mod"]:
                n = int(rest[3])
                draw = min(int(self.rng.random() * n), n - 1)
                text = " ".join(rest[6:-1])
                for part in text.split(","):
                    k, _, verdict = part.partition(":")
                    if int(k) == draw:
                        return True, f"numgen random mod {n} = {draw}", verdict.strip()
                return False, f"numgen random mod {n} = {draw}: no element", None
            elif tok == "update":                        # update @affinity-X { ip saddr }
                self.affinity[(rest[1][1:], p.src)] = self.now
                return True, f"remember client {p.src} in {rest[1][1:]}", None
            elif tok == "dnat":                          # dnat to ip:port
                ip, _, port = rest[2].rpartition(":")
                p.dst, p.dport, p.dnat = ip.strip("[]"), int(port), True
                return True, f"destination rewritten to {rest[2]}", "dnat"
            elif tok == "masquerade":
                return True, "source rewritten to the node's address", "masquerade"
            elif tok in ("jump", "goto"):
                return True, note, f"{tok} {rest[1]}"
            elif tok in ("drop", "reject", "accept", "return"):
                return True, note, tok
            else:
                raise ValueError(f"tracer does not understand {tok!r} in nft rule {rule!r}")
        return True, note, None

    def _vmap(self, ref: str, key: str, note: str) -> tuple[bool, str, str | None]:
        name = ref.lstrip("@")
        found = next(((v, c) for k, v, c in self.t.sets[name].elements if k == key), None) \
            if name in self.t.sets else None
        if found is None:
            return False, "", None
        self.last_vmap = (name, found[1])
        who = f" ({found[1]})" if found[1] else ""
        return True, f"{key} in {name}: {found[0]}{who}", found[0]

    def _reason(self, chain: str, kind: str, tr: Trace) -> str:
        name, svc = self.last_vmap
        if name in ("no-endpoint-services", "no-endpoint-nodeports") and svc:
            return f"{svc} has no endpoints" if kind == "reject" else f"{svc} has no local endpoints"
        if chain == "cluster-ips-check":
            return ("no Service serves this port of the ClusterIP" if kind == "reject"
                    else "unallocated ClusterIP")
        return f"{kind} in chain {chain}"

    def _in_set(self, name: str, addr: str) -> tuple[bool, str]:
        s = self.t.sets.get(name)
        if s is None:
            return False, ""
        if "timeout" in s.flags:   # a dynamic affinity set: entries expire
            seen = self.affinity.get((name, addr))
            ok = seen is not None and self.now - seen <= (s.timeout or 0)
            return ok, f"client {addr} seen {self.now - seen:.0f}s ago" if ok else ""
        return any(ip_in(addr, k) for k, _, _ in s.elements), ""


_TOKEN = re.compile(r'"[^"]*"|\{|\}|[^\s{}]+')


def _tokens(rule: str) -> list[str]:
    # strip a trailing comment; keep braces as tokens
    return [t for t in _TOKEN.findall(rule) if not t.startswith('"')]


__all__ = ["trace_nft"]
