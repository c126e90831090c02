"""Print a kube-proxy :class:`~.nftables.NftTable` the way the tools do.

- :func:`list_ruleset` — ``nft list ruleset``: tab-indented blocks, sets and maps before
  chains (nft's ``table_print``), each in creation order; rules as nft re-renders them
  from the kernel's bytecode (``mark set mark or 0x4000`` comes back as
  ``meta mark set meta mark | 0x00004000``, a one-element anonymous set as a plain
  value); base-chain priorities by name when nft has one for that hook (``dstnat`` is only
  a prerouting name, so ``nat-output`` shows ``-100``); element lists wrapped like nft's
  ``calculate_delim`` (addresses two per line, concatenations one per line).
- :func:`dump` — the ``add table/chain/set/map/rule/element`` transaction lines that
  knftables writes and upstream's ``proxier_test.go`` compares against.

The kernel keeps hash-set elements in hash order; we print them in the order kube-proxy
added them (service ports sorted by name), which is stable across runs.

>>> from .nftables import nftables_table
>>> print(list_ruleset([nftables_table([], {})]).splitlines()[0])
table ip kube-proxy {
"""

from __future__ import annotations

import re
from typing import Iterable

from .nftables import NftChain, NftSet, NftTable

# nft's standard priority names (src/rule.c std_prios) and the hooks each is valid for.
_PRIO_NAMES = (("raw", -300, None), ("mangle", -150, None), ("dstnat", -100, {"prerouting"}),
               ("filter", 0, None), ("security", 50, None), ("srcnat", 100, {"postrouting"}))
_NEWLINE_DELIM = ",\n\t\t\t     "   # nft calculate_delim(): continuation of an elements list


def dump(table: NftTable) -> str:
    """The table as knftables' transaction text (``add … ip kube-proxy …``), one object a line.

    Order: table, sets/maps, chains, then every chain's rules, then elements — the same
    lines as ``knftables.Fake.Dump``; tests compare them as sets plus per-chain order.
    """
    f = f"{table.family} {table.name}"
    out = [f'add table {f} {{ comment "{table.comment}" ; }}']
    for s in table.sets.values():
        parts = [f"type {s.type}"]
        if s.flags:
            parts.append("flags " + ",".join(s.flags))
        if s.timeout is not None:
            parts.append(f"timeout {s.timeout}s")
        if s.comment:
            parts.append(f'comment "{s.comment}"')
        out.append(f"add {'map' if s.is_map else 'set'} {f} {s.name} {{ {' ; '.join(parts)} ; }}")
    for c in table.chains.values():
        if c.hook:
            out.append(f"add chain {f} {c.name} {{ type {c.type} hook {c.hook} priority {c.priority} ; }}")
        elif c.comment:
            out.append(f'add chain {f} {c.name} {{ comment "{c.comment}" ; }}')
        else:
            out.append(f"add chain {f} {c.name}")
    for c in table.chains.values():
        for rule, comment in c.rules:
            out.append(f"add rule {f} {c.name} {rule}" + (f' comment "{comment}"' if comment else ""))
    for s in table.sets.values():
        for key, value, comment in s.elements:
            left = key + (f' comment "{comment}"' if comment else "")
            out.append(f"add element {f} {s.name} {{ {left}{' : ' + value if value else ''} }}")
    return "\n".join(out) + "\n"


def list_ruleset(tables: Iterable[NftTable]) -> str:
    """``nft list ruleset`` for these tables (kube-proxy's; other tables are not modelled)."""
    return "".join(_table(t) for t in tables)


def _table(t: NftTable) -> str:
    lines = [f"table {t.family} {t.name} {{", f'\tcomment "{t.comment}"']
    blocks = [_set(s) for s in t.sets.values()] + [_chain(c) for c in t.chains.values()]
    for i, b in enumerate(blocks):
        if i:
            lines.append("")
        lines.extend(b)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _set(s: NftSet) -> list[str]:
    out = [f"\t{'map' if s.is_map else 'set'} {s.name} {{", f"\t\ttype {s.type}"]
    if s.flags:
        out.append("\t\tflags " + ",".join(s.flags))
    if s.timeout is not None:
        out.append(f"\t\ttimeout {_duration(s.timeout)}")
    if s.comment:
        out.append(f'\t\tcomment "{s.comment}"')
    if s.elements:
        items = []
        for key, value, comment in s.elements:
            item = key + (f' comment "{comment}"' if comment else "")
            items.append(item + (f" : {value}" if value else ""))
        out.append("\t\telements = { " + _join_elements(items, concat=" . " in s.key_type) + " }")
    out.append("\t}")
    return out


def _join_elements(items: list[str], concat: bool) -> str:
    """nft ``calculate_delim``: IP addresses two to a line, concatenations one to a line."""
    per_line = 1 if concat else 2
    text = ""
    for i, item in enumerate(items):
        if i:
            text += _NEWLINE_DELIM if i % per_line == 0 else ", "
        text += item
    return text


def _chain(c: NftChain) -> list[str]:
    out = [f"\tchain {c.name} {{"]
    if c.comment:
        out.append(f'\t\tcomment "{c.comment}"')
    if c.hook:
        out.append(f"\t\ttype {c.type} hook {c.hook} priority {priority_name(c.priority or 0, c.hook)}; "
                   "policy accept;")
    for rule, comment in c.rules:
        out.append("\t\t" + render_rule(rule) + (f' comment "{comment}"' if comment else ""))
    out.append("\t}")
    return out


def priority_name(prio: int, hook: str) -> str:
    """nft ``prio2str``: a standard name (± up to 10) when valid for the hook, else the number.

    >>> priority_name(-110, "prerouting"), priority_name(-110, "output"), priority_name(100, "postrouting")
    ('dstnat - 10', '-110', 'srcnat')
    """
    for name, value, hooks in _PRIO_NAMES:
        if hooks is not None and hook not in hooks:
            continue
        off = prio - value
        if off == 0:
            return name
        if 0 < off <= 10:
            return f"{name} + {off}"
        if -10 <= off < 0:
            return f"{name} - {-off}"
    return str(prio)


_MARK_OR = re.compile(r"^mark set mark or (0x[0-9a-f]+)$")
_MARK_XOR = re.compile(r"^mark set mark xor (0x[0-9a-f]+)$")
_MARK_AND = re.compile(r"^mark and (0x[0-9a-f]+) == 0 (\w+)$")
_ONE_ELEMENT = re.compile(r"\{ ([^,{}]+) \}")


def render_rule(rule: str) -> str:
    """How ``nft list`` prints a rule kube-proxy added (expressions decoded from bytecode)."""
    m = _MARK_OR.match(rule)
    if m:
        return f"meta mark set meta mark | {_mark32(m.group(1))}"
    m = _MARK_XOR.match(rule)
    if m:
        return f"meta mark set meta mark ^ {_mark32(m.group(1))}"
    m = _MARK_AND.match(rule)
    if m:
        return f"meta mark & {_mark32(m.group(1))} == 0x00000000 {m.group(2)}"
    if "vmap {" in rule:
        return rule.replace(" , ", ", ")
    if " update @" in f" {rule}":
        return rule
    # A one-element anonymous set ("ip daddr { 10.96.0.0/12 } drop") is stored as a
    # plain comparison and listed as one.
    return _ONE_ELEMENT.sub(lambda m: m.group(1), rule)


def _mark32(value: str) -> str:
    return f"0x{int(value, 16):08x}"


def _duration(seconds: int) -> str:
    """nft ``time_print``: ``3h``, ``1h30m``, ``45s``."""
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            out += f"{n}{unit}"
    return out or "0s"
