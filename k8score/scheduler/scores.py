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

    __slots__ = ("names", "totals", "columns", "_rows")

    def __init__(self, names: list[str]):
        self.names = names
        #: sum over plugins of normalized * weight, per node
        self.totals: list[int] = [0] * len(names)
        #: (plugin, weight, raw scores, normalized scores) in plugin order
        self.columns: list[tuple[str, int, list[int], list[int]]] = []
        self._rows: list[NodeScores] | None = None

    def add(self, plugin: str, weight: int, raw: list[int], normalized: list[int]) -> None:
        """One plugin's column; ``normalized`` may be ``raw`` itself (no NormalizeScore)."""
        self.columns.append((plugin, weight, raw, normalized))
        # map() over operator functions: the per-node arithmetic stays in C
        weighted = normalized if weight == 1 else map(mul, normalized, repeat(weight))
        self.totals = list(map(add, self.totals, weighted))
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
