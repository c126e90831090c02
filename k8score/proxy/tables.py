"""A node's netfilter tables as ``iptables-restore --noflush`` leaves them and ``iptables-save`` shows them.

kube-proxy never flushes a whole table: it installs its jump rules in the built-in chains
with ``iptables -I`` (``EnsureRule(Prepend, ...)``) and feeds everything else to
``iptables-restore --noflush`` (``NoFlushTables``). In restore input

- ``*filter`` / ``*nat`` select a table and ``COMMIT`` ends it;
- ``:CHAIN - [0:0]`` creates the chain, or **flushes** it if it exists;
- ``-A CHAIN ...`` appends a rule;
- ``-X CHAIN`` deletes the (flushed) chain.

A chain not named in the input keeps its rules — that is how a partial sync leaves the
chains of unchanged Services alone. :meth:`NodeTables.save` prints the result in
``iptables-save`` format: per table ``*table``, the built-in chains with their policy
(``:INPUT ACCEPT [0:0]``), then the user chains by name (iptables-legacy keeps them
sorted), then every chain's rules together in that chain order, then ``COMMIT``.

>>> t = NodeTables()
>>> t.restore("*nat\\n:KUBE-MARK-MASQ - [0:0]\\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\\nCOMMIT\\n")
>>> print(t.save("nat"), end="")
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
COMMIT
"""

from __future__ import annotations

# The built-in chains of each table, in the order iptables-save lists them.
BUILTIN = {"filter": ("INPUT", "FORWARD", "OUTPUT"),
           "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")}
TABLES = ("filter", "nat")


class NodeTables:
    """``table -> chain -> rule lines``; built-in chains always exist (policy ACCEPT)."""

    def __init__(self) -> None:
        self.chains: dict[str, dict[str, list[str]]] = {t: {c: [] for c in BUILTIN[t]} for t in TABLES}

    def copy(self) -> "NodeTables":
        other = NodeTables()
        other.chains = {t: {c: list(r) for c, r in chains.items()} for t, chains in self.chains.items()}
        return other

    def ensure_chain(self, table: str, chain: str) -> None:
        """``iptables -N`` unless it exists (``EnsureChain``)."""
        self.chains[table].setdefault(chain, [])

    def ensure_rule_prepend(self, table: str, chain: str, rule: str) -> bool:
        """``iptables -C`` then ``-I`` (``EnsureRule(Prepend, ...)``); True if it was added."""
        rules = self.chains[table].setdefault(chain, [])
        if rule in rules:
            return False
        rules.insert(0, rule)
        return True

    def restore(self, text: str) -> None:
        """Apply ``iptables-restore --noflush`` input. Raises ValueError on malformed input
        (iptables-restore rejects the whole transaction; nothing is applied)."""
        staged = self.copy()
        table: str | None = None
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("*"):
                table = line[1:]
                if table not in staged.chains:
                    raise ValueError(f"line {n}: unknown table {table!r}")
            elif line == "COMMIT":
                table = None
            elif table is None:
                raise ValueError(f"line {n}: {line!r} outside a table")
            elif line.startswith(":"):
                staged.chains[table][line[1:].split(" ", 1)[0]] = []   # create or flush
            elif line.startswith("-A "):
                chain = line.split(" ", 2)[1]
                if chain not in staged.chains[table]:
                    raise ValueError(f"line {n}: chain {chain} does not exist")
                staged.chains[table][chain].append(line)
            elif line.startswith("-X "):
                chain = line.split(" ", 2)[1]
                if chain in BUILTIN[table]:
                    raise ValueError(f"line {n}: cannot delete built-in chain {chain}")
                staged.chains[table].pop(chain, None)
            else:
                raise ValueError(f"line {n}: cannot parse {line!r}")
        if table is not None:
            raise ValueError(f"table {table!r} without COMMIT")
        self.chains = staged.chains

    def user_chains(self, table: str) -> list[str]:
        return sorted(c for c in self.chains[table] if c not in BUILTIN[table])

    def rule_count(self, table: str | None = None) -> int:
        tables = [table] if table else list(TABLES)
        return sum(len(r) for t in tables for r in self.chains[t].values())

    def save(self, *tables: str) -> str:
        """``iptables-save [-t table]`` (all of filter and nat by default)."""
        out: list[str] = []
        for t in tables or TABLES:
            order = list(BUILTIN[t]) + self.user_chains(t)
            out.append(f"*{t}")
            out.extend(f":{c} ACCEPT [0:0]" for c in BUILTIN[t])
            out.extend(f":{c} - [0:0]" for c in self.user_chains(t))
            for c in order:
                out.extend(self.chains[t][c])
            out.append("COMMIT")
        return "\n".join(out) + "\n"
