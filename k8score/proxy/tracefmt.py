"""What a packet trace records, and how it prints — one shape for every proxy mode.

A :class:`Trace` is a list of :class:`Step`\\ s: one per rule met (an iptables rule, an nft
rule, an IPVS virtual server), each with the ``table`` and ``chain`` it lives in, whether
it matched, and a note (the random draw, the set lookup, the scheduler's pick). The
verdict says where the packet ended: ``ACCEPT`` (possibly DNATed to an endpoint),
``DROP`` or ``REJECT``, with the ``reason`` a reader would want (the rule's comment:
``default/web has no endpoints``).

Printing keeps lines narrow: steps are grouped under their ``table/chain`` heading and
rules longer than :data:`WIDTH` columns are wrapped at spaces (never inside a quoted
comment) with a shell-style ``\\`` continuation marker, so a page shows the whole rule —
the probability and the DNAT target included — without a horizontal scroll bar.

>>> print(wrap('-A KUBE-SVC-X -m comment --comment "default/web -> 10.244.1.3:8080" '
...            '-m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-ABCDEFGHIJKLMNOP', 72))
-A KUBE-SVC-X -m comment --comment "default/web -> 10.244.1.3:8080" \\
    -m statistic --mode random --probability 0.3333333333 \\
    -j KUBE-SEP-ABCDEFGHIJKLMNOP
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Column at which printed rules wrap (the continuation marker stays within it).
WIDTH = 88
_INDENT = "    "
_TOKEN = re.compile(r'(?:"[^"]*"|\S)+')
_BRACES = re.compile(r"\{ ([^{}]*) \}")


@dataclass
class Step:
    table: str
    chain: str
    rule: str
    matched: bool = True
    note: str = ""


@dataclass
class Trace:
    """The result of a trace: the rules a packet met and where it ended up.

    ``steps`` in the order met; ``hooks`` the netfilter hooks (``table/CHAIN`` for
    iptables, ``kube-proxy/<base chain>`` for nftables, ``ipvs/LOCAL_IN`` for IPVS) in
    order; ``verdict`` ``ACCEPT`` | ``DROP`` | ``REJECT`` with its ``reason``; ``dnat``
    the ``ip:port`` the destination was rewritten to; ``masquerade`` whether the source
    was rewritten to the node's address (``snat`` names it when known). ``notes`` are
    lines printed before the steps (where the packet comes from, how a name resolved);
    ``mode`` and ``node`` say whose rules were walked.
    """

    protocol: str
    source: str
    destination_ip: str
    destination_port: int
    steps: list[Step] = field(default_factory=list)
    verdict: str = "ACCEPT"            # ACCEPT | DROP | REJECT
    dnat: str | None = None            # "ip:port" the packet was rewritten to
    masquerade: bool = False           # source NATed to the node's address on the way out
    hooks: list[str] = field(default_factory=list)
    reason: str = ""                   # why the verdict (a rule comment, "no real server", ...)
    mode: str = "iptables"             # iptables | ipvs | nftables
    node: str = ""                     # the node whose rules were walked
    snat: str | None = None            # the address the source was masqueraded to
    notes: list[str] = field(default_factory=list)
    source_port: int = 0               # the client's ephemeral port (0: not chosen)
    endpoint_name: str | None = None   # "ns/pod" behind the endpoint, when known

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

    def summary(self) -> str:
        """The last line of the printout: the verdict and why."""
        if self.verdict != "ACCEPT":
            return f"=> {self.verdict}" + (f": {self.reason}" if self.reason else "")
        if self.dnat:
            who = f" ({self.endpoint_name})" if self.endpoint_name else ""
            snat = ""
            if self.masquerade:
                snat = f", source masqueraded to {self.snat}" if self.snat else " (source masqueraded)"
            return f"=> DNAT to {self.dnat}{who}{snat}"
        return ("=> no service rule matched: delivered to "
                f"{self.destination_ip}:{self.destination_port} unchanged")

    def __str__(self) -> str:
        where = f" on {self.node}" if self.node else ""
        head = f"{self.protocol} {self.source} -> {self.destination_ip}:{self.destination_port}"
        if self.node:
            head += f"  ({self.mode} mode{where})"
        lines = [head]
        for n in self.notes:
            lines.extend(f"  {part}" for part in wrap(n, WIDTH - 2).split("\n"))
        last = None
        for s in self.steps:
            here = f"{s.table}/{s.chain}"
            if here != last:
                lines.append(f"  {here}")
                last = here
            mark = "x " if not s.matched else "  "
            body = wrap(s.rule, WIDTH - 6).split("\n")
            lines.append(f"  {mark}{body[0]}")
            lines.extend(f"    {b}" for b in body[1:])
            if s.note:
                note = wrap(s.note, WIDTH - 10).split("\n")
                lines.append(f"        # {note[0]}")
                lines.extend(f"          {n}" for n in note[1:])
        lines.extend(_wrap_path(self.path))
        lines.append(self.summary())
        return "\n".join(lines)


def _wrap_path(path: list[str]) -> list[str]:
    """``path: a -> b -> c`` over as many lines as it takes (continuations indented)."""
    lines, cur = [], "path:"
    for i, hop in enumerate(path):
        piece = f" {hop}" if i == 0 else f" -> {hop}"
        if len(cur) + len(piece) > WIDTH and cur.strip() != "path:":
            lines.append(cur)
            cur = "     " + piece.removeprefix(" ")
        else:
            cur += piece
    lines.append(cur)
    return lines


def wrap(text: str, width: int = WIDTH) -> str:
    """Break ``text`` at spaces so no line exceeds ``width``; a broken line ends with ``\\``.

    An iptables option stays with its values (``--probability 0.3333333333``, ``!`` with
    the option it negates); quoted strings and ``{ ... }`` element lists stay whole; a
    piece longer than the width gets a line of its own.
    """
    if len(text) <= width:
        return text
    # an nft element list breaks between elements: "{ 0 : goto a," "1 : goto b }"
    text = _BRACES.sub(lambda m: "{ " + m.group(1).replace(" ", "\0").replace(",\0", ", ") + " }", text)
    groups: list[str] = []
    for tok in (t.replace("\0", " ") for t in _TOKEN.findall(text)):
        starts = tok.startswith("-") and not tok[1:2].isdigit()
        if groups and not starts and not groups[-1].endswith(" !") and groups[-1] != "!" \
                and groups[-1].startswith(("-", "!")):
            groups[-1] += " " + tok
        elif groups and groups[-1] == "!":
            groups[-1] += " " + tok
        else:
            groups.append(tok)
    # "-m statistic" belongs with the options that follow it
    merged: list[str] = []
    for g in groups:
        if merged and merged[-1].startswith("-m ") and merged[-1].count(" ") == 1:
            merged[-1] += " " + g
        else:
            merged.append(g)
    lines: list[str] = []
    cur = ""
    for g in merged:
        cand = f"{cur} {g}" if cur else g
        prefix = _INDENT if lines else ""
        if cur and len(prefix) + len(cand) + 2 > width:
            lines.append(cur)
            cur = g
        else:
            cur = cand
    lines.append(cur)
    return " \\\n".join((_INDENT if i else "") + line for i, line in enumerate(lines))
