"""Which nodes a DaemonSet's next sync must look at, and its status counts per node.

Upstream's ``syncDaemonSet`` walks every node on every sync (daemon_controller.go
``manage`` and ``updateDaemonSetStatus``), and every pod and node event enqueues the
DaemonSet. In Go that stays cheap because events arriving while a sync runs collapse
into one queued key; here a sync takes no virtual time, so a sync follows nearly every
event and the walk made a cluster's boot quadratic in its nodes (kube-proxy's DaemonSet
syncs ~5 times per node). The controller therefore remembers, per DaemonSet, the nodes
whose pods or node changed since its last sync (:class:`DirtyNodes`), and keeps each
node's contribution to the status counts (:class:`StatusTally`), so a sync costs
O(changed nodes). Decisions are the same as a full walk's: a node not marked has the
same node object, the same pods and therefore the same answer as last time.

Anything that is not a plain pod or node change (the DaemonSet's spec or revision
changed, a retry after an error, a requeue after a backoff, ``minReadySeconds`` > 0,
whose availability moves with the clock) makes the next sync walk every node again.
"""

from __future__ import annotations

from typing import Any, Hashable

#: index of each count in a node's contribution tuple
DESIRED, CURRENT, MISSCHEDULED, READY, AVAILABLE, UPDATED, OLD = range(7)
_ZERO = (0, 0, 0, 0, 0, 0, 0)


class DirtyNodes:
    """Per DaemonSet key: the node names to re-examine, or ``None`` (every node).

    A key never marked answers ``None`` from :meth:`take`: a sync nobody explained walks
    everything, so a forgotten mark can only cost time, never a wrong answer.
    """

    def __init__(self) -> None:
        self._dirty: dict[Hashable, set[str] | None] = {}

    def mark(self, key: Hashable, node: str | None) -> None:
        if not node:
            return
        got = self._dirty.get(key, ())
        if got is None:
            return
        if got == ():
            self._dirty[key] = {node}
        else:
            got.add(node)

    def touch(self, key: Hashable) -> None:
        """The key is queued for a reason that concerns no node (its own status changed)."""
        self._dirty.setdefault(key, set())

    def mark_all(self, key: Hashable) -> None:
        self._dirty[key] = None

    def take(self, key: Hashable) -> set[str] | None:
        return self._dirty.pop(key, None)

    def put_back(self, key: Hashable, nodes: set[str] | None) -> None:
        """A sync that could not act on ``nodes`` (expectations pending) keeps them marked."""
        if nodes is None:
            self.mark_all(key)
            return
        for n in nodes:
            self.mark(key, n)
        self.touch(key)

    def forget(self, key: Hashable) -> None:
        self._dirty.pop(key, None)


class StatusTally:
    """Each node's contribution to a DaemonSet's status counts, and their sums.

    ``sig`` names what every contribution depends on besides the node and its pods (the
    DaemonSet's uid, generation and current revision hash): a different one starts over.
    """

    def __init__(self, sig: Any):
        self.sig = sig
        self._by_node: dict[str, tuple] = {}
        self.totals = [0] * 7

    def set(self, node: str, contribution: tuple) -> None:
        old = self._by_node.get(node, _ZERO)
        if old == contribution:
            return
        totals = self.totals
        for i in range(7):
            totals[i] += contribution[i] - old[i]
        if contribution == _ZERO:
            self._by_node.pop(node, None)
        else:
            self._by_node[node] = contribution

    def drop(self, node: str) -> None:
        self.set(node, _ZERO)

    def __getitem__(self, i: int) -> int:
        return self.totals[i]
