"""Read iptables-save text back into tables, chains and rules (for the packet tracer).

Splitting the text into chains is cheap; a rule's arguments are tokenised (``shlex``)
only when the tracer first walks its chain, so a 30,000-line ruleset costs nothing until
a packet needs it.

>>> rs = RuleSet.parse("*nat\\n:KUBE-MARK-MASQ - [0:0]\\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\\nCOMMIT\\n")
>>> rs.rules("nat", "KUBE-MARK-MASQ")[0].target, rs.rules("nat", "KUBE-MARK-MASQ")[0].target_args
('MARK', {'--or-mark': '0x4000'})
>>> Rule.parse("-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT").matches
[('--match-set', 'KUBE-CLUSTER-IP dst,dst', False)]
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

# Options that take no value (everything else in the subset kube-proxy writes takes one):
# ``-m recent`` verbs, ``MASQUERADE --random-fully`` and, in IPVS mode, ``-m physdev
# ! --physdev-is-in`` (pkg/proxy/ipvs/proxier.go writeIptablesRules, external IPs).
_FLAGS = {"--rcheck", "--set", "--reap", "--random-fully", "--update", "--physdev-is-in",
          "--physdev-is-out", "--physdev-is-bridged"}
# Options that take two values: ``-m set --match-set NAME dst,dst`` (IPVS mode's ipset
# matches), kept as one value ``"NAME dst,dst"``.
_TWO_VALUES = {"--match-set"}


@dataclass
class Rule:
    """One ``-A CHAIN ...`` line: its matches in order and its target."""

    text: str
    chain: str
    #: ``(option, value, negated)`` in the order written, e.g. ``("-d", "10.96.0.1", False)``.
    matches: list[tuple[str, str | None, bool]] = field(default_factory=list)
    comment: str | None = None
    target: str | None = None
    target_args: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def parse(cls, line: str) -> "Rule":
        tokens = shlex.split(line)
        if len(tokens) < 2 or tokens[0] != "-A":
            raise ValueError(f"not an iptables rule: {line!r}")
        rule = cls(text=line, chain=tokens[1])
        i, negate = 2, False
        while i < len(tokens):
            tok = tokens[i]
            if tok == "!":
                negate = True
                i += 1
                continue
            if tok == "-m":  # loading a match module; its options follow
                i += 2
                continue
            if tok == "-j":
                rule.target = tokens[i + 1]
                i += 2
                while i < len(tokens):  # target options
                    opt = tokens[i]
                    if opt in _FLAGS or i + 1 >= len(tokens):
                        rule.target_args[opt] = None
                        i += 1
                    else:
                        rule.target_args[opt] = tokens[i + 1]
                        i += 2
                break
            if tok in _FLAGS:
                rule.matches.append((tok, None, negate))
                i += 1
            elif tok in _TWO_VALUES:
                if i + 2 >= len(tokens):
                    raise ValueError(f"{tok} needs a set name and flags: {line!r}")
                rule.matches.append((tok, f"{tokens[i + 1]} {tokens[i + 2]}", negate))
                i += 3
            elif tok == "--comment":
                rule.comment = tokens[i + 1]
                i += 2
            else:
                rule.matches.append((tok, tokens[i + 1], negate))
                i += 2
            negate = False
        return rule


class RuleSet:
    """``table -> chain -> rules`` from iptables-save text; built-in chain policies kept."""

    def __init__(self) -> None:
        self.lines: dict[str, dict[str, list[str]]] = {}
        self.policies: dict[str, dict[str, str]] = {}
        self._parsed: dict[tuple[str, str], list[Rule]] = {}

    @classmethod
    def parse(cls, text: str) -> "RuleSet":
        rs = cls()
        table: dict[str, list[str]] | None = None
        tname = ""
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("*"):
                tname = line[1:]
                table = rs.lines.setdefault(tname, {})
                rs.policies.setdefault(tname, {})
            elif line == "COMMIT":
                table = None
            elif table is None:
                raise ValueError(f"rule outside a table: {line!r}")
            elif line.startswith(":"):
                name, policy = line[1:].split(" ", 2)[:2]
                table.setdefault(name, [])
                if policy != "-":
                    rs.policies[tname][name] = policy
            elif line.startswith("-A "):
                chain = line.split(" ", 2)[1]
                table.setdefault(chain, []).append(line)
        return rs

    def chains(self, table: str) -> list[str]:
        return list(self.lines.get(table, {}))

    def has_chain(self, table: str, chain: str) -> bool:
        return chain in self.lines.get(table, {})

    def is_builtin(self, table: str, chain: str) -> bool:
        return chain in self.policies.get(table, {})

    def rules(self, table: str, chain: str) -> list[Rule]:
        key = (table, chain)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = self._parsed[key] = [Rule.parse(line) for line in self.lines.get(table, {}).get(chain, ())]
        return parsed

    def count(self, table: str | None = None) -> int:
        """How many rules (``-A`` lines), in one table or all."""
        tables = [table] if table else list(self.lines)
        return sum(len(r) for t in tables for r in self.lines.get(t, {}).values())
