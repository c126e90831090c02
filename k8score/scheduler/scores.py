"""The scores of one scheduling cycle, as columns: one list per plugin, one list of totals.

Upstream's ``prioritizeNodes`` returns ``[]NodePluginScores`` — an object per node holding
a slice with one entry per plugin. In Go those are cheap structs; in Python they are the
cycle's main garbage: 500 feasible nodes x 3 plugins is 2,000 objects per pod, a million
for a 500-pod Deployment, and they keep the cyclic GC busy. :class:`ScoreTable` keeps the
same numbers as flat lists (``raw`` and ``normalized`` per plugin, ``totals`` per node, all
in node order) and builds the per-node view (:class:`NodeScores`, :class:`PluginScore`)
only when someone reads it — the explain table, a test — never on the hot path.

>>> t = ScoreTable(["node-1", "node-2"])
>>> t.add("TaintToleration", 3, [0, 1], [100, 0])
>>> t.add("NodeResourcesFit", 1, [37, 62], [37, 62])
>>> t.totals, t.top()
([337, 62], 337)
>>> u = ScoreTable(["node-1", "node-2"])
>>> u.add("TaintToleration", 3, [0, 0], [100, 100]); u.add("NodeResourcesFit", 1, [37, 62], [37, 62])
>>> u.ranking(), u.totals       # the same order and ties; TaintToleration adds 300 to both
([37, 62], [337, 362])
>>> [(ns.name, ns.total, [(ps.plugin, ps.weighted) for ps in ns.scores]) for ns in t][1]
('node-2', 62, [('TaintToleration', 0), ('NodeResourcesFit', 62)])
"""

from __future__ import annotations

from itertools import repeat
from operator import add, mul
from typing import Iterator


class PluginScore:
    """One plugin's contribution to one node: raw, normalized, weight, weighted."""

    __slots__ = ("plugin", "raw", "normalized", "weight")

    def __init__(self, plugin: str, raw: int, normalized: int, weight: int):
        self.plugin, self.raw, self.normalized, self.weight = plugin, raw, normalized, weight

    @property
    def weighted(self) -> int:
        return self.normalized * self.weight

    def __repr__(self) -> str:
        return f"<{self.plugin} raw={self.raw} norm={self.normalized} x{self.weight}>"


class NodeScores:
    """All plugin scores of one node and their total (``NodePluginScores``)."""

    __slots__ = ("name", "_scores", "total")

    def __init__(self, name: str):
        self.name = name
        # (plugin, raw, normalized, weight) tuples
        self._scores: list[tuple[str, int, int, int]] = []
        self.total = 0

    @property
    def scores(self) -> list[PluginScore]:
        return [PluginScore(*t) for t in self._scores]

    def __repr__(self) -> str:
        return f"<NodeScores {self.name} total={self.total}>"


class ScoreTable:
    """Scores of ``names`` (the feasible nodes, in scan order) by every Score plugin that ran.

    A read-only sequence of :class:`NodeScores` for readers (``len``, iteration, indexing,
    built once on first use); the scheduler itself reads only :attr:`names` and
    :attr:`totals`.
    """

    __slots__ = ("names", "_totals", "columns", "_rows")

    def __init__(self, names: list[str]):
        self.names = names
        self._totals: list[int] | None = None
        #: (plugin, weight, raw scores, normalized scores) in plugin order
        self.columns: list[tuple[str, int, list[int], list[int]]] = []
        self._rows: list[NodeScores] | None = None

    @property
    def totals(self) -> list[int]:
        """Sum over plugins of normalized * weight, per node (summed once, when first read)."""
        t = self._totals
        if t is None:
            t = self._totals = self._sum(self.columns)
        return t

    def ranking(self) -> list[int]:
        """What ``selectHost`` compares: :attr:`totals` less the columns that give every node
        the same score (TaintToleration's 300 on a cluster without taints). Adding the same
        number to every node changes no comparison, so the highest nodes and their ties are
        those of the totals; the totals themselves are summed only if someone reads them."""
        if self._totals is not None:
            return self._totals
        n = len(self.names)
        varying = [c for c in self.columns if c[3].count(c[3][0]) != n] if n else []
        if len(varying) == 1 and varying[0][1] == 1:
            return varying[0][3]
        return self._sum(varying)

    def _sum(self, columns) -> list[int]:
        # one pass over the columns; map() over operator functions keeps the arithmetic in C
        t = None
        for _, weight, _, normalized in columns:
            weighted = normalized if weight == 1 else map(mul, normalized, repeat(weight))
            t = weighted if t is None else map(add, t, weighted)
        return [0] * len(self.names) if t is None else list(t)

    @totals.setter
    def totals(self, value: list[int]) -> None:
        self._totals = value

    def add(self, plugin: str, weight: int, raw: list[int], normalized: list[int]) -> None:
        """One plugin's column; ``normalized`` may be ``raw`` itself (no NormalizeScore)."""
        self.columns.append((plugin, weight, raw, normalized))
        self._totals = None
        self._rows = None

    def top(self) -> int:
        """The highest total."""
        return max(self.totals)

    def rows(self) -> list[NodeScores]:
        if self._rows is None:
            rows = []
            for i, name in enumerate(self.names):
                ns = NodeScores(name)
                ns._scores = [(p, raw[i], norm[i], w) for p, w, raw, norm in self.columns]
                ns.total = self.totals[i]
                rows.append(ns)
            self._rows = rows
        return self._rows

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[NodeScores]:
        return iter(self.rows())

    def __getitem__(self, i):
        return self.rows()[i]

    def __bool__(self) -> bool:
        return bool(self.names)

    def __repr__(self) -> str:
        return f"<ScoreTable {len(self.names)} nodes x {len(self.columns)} plugins>"
