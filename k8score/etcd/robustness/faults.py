"""Random faults while the traffic runs, one at a time, each healed before the next.

After etcd tests/robustness/failpoint (``KillFailpoint``, ``BlackholePeerNetwork``,
``DelayPeerNetwork``, ``RaftBeforeLeaderSendPanic``...): here the faults the simulated
cluster offers — a member crash and restart (any member, or the leader), a partition that
isolates one member (the leader: the majority must elect anew; a follower: the leader keeps
its quorum), a paused (SIGSTOP) member, a slow clock, and message faults on the peer network
(drop, extra delay, duplicate, reorder). Each lasts 0.3–2.5 virtual s (long enough for an election: 1–2 s); the injector waits
0.1–0.6 s between two. ``log`` holds ``(at, kind, target, seconds)`` per injected fault.
"""

from __future__ import annotations

from typing import Any

KINDS = ("crash", "crash-leader", "partition-leader", "partition-follower", "pause",
         "slow-clock", "drop", "delay", "duplicate", "reorder")
DURATION = (0.3, 2.5)
GAP = (0.1, 0.6)


class FaultInjector:
    """Injects random faults into ``cluster`` from ``begin`` until ``end`` (virtual s)."""

    def __init__(self, cluster: Any, rng: Any, begin: float, end: float, kinds=KINDS):
        self.cluster, self.loop, self.rng = cluster, cluster.loop, rng
        self.begin, self.end, self.kinds = begin, end, tuple(kinds)
        self.log: list[tuple] = []
        self._undo: Any = None

    def start(self) -> None:
        self.loop.call_at(self.begin + self.rng.uniform(*GAP), self._inject)

    def _inject(self) -> None:
        if self.loop.now >= self.end:
            return
        kind = self.rng.choice(self.kinds)
        seconds = self.rng.uniform(*DURATION)
        target, undo = self._apply(kind)
        self.log.append((round(self.loop.now, 3), kind, target, round(seconds, 3)))
        self._undo = undo
        self.loop.call_later(seconds, self._recover)

    def _recover(self) -> None:
        undo, self._undo = self._undo, None
        if undo is not None:
            undo()
        self.loop.call_later(self.rng.uniform(*GAP), self._inject)

    def heal_all(self) -> None:
        """Undo the fault in progress (the run's quiet period follows)."""
        undo, self._undo = self._undo, None
        if undo is not None:
            undo()

    def _apply(self, kind: str) -> tuple[str, Any]:
        ec, rng = self.cluster, self.rng
        members = [m for m in ec.members if m.running]
        lead = ec.leader()
        net = ec.network
        if kind in ("crash-leader", "partition-leader") and lead is not None:
            m = lead
        else:
            m = rng.choice(members or ec.members)
        if kind in ("crash", "crash-leader"):
            m.stop()
            return m.name, lambda: m.running or m.start()
        if kind in ("partition-leader", "partition-follower"):
            if kind == "partition-follower" and lead is not None and m is lead:
                m = rng.choice([x for x in ec.members if x is not lead])
            ec.partition([m.name], [x.name for x in ec.members if x is not m])
            return m.name, net.heal
        if kind == "pause":
            m.pause()
            return m.name, m.resume
        if kind == "slow-clock":
            m.set_clock_skew(rng.choice((3.0, 8.0, 15.0)))
            return m.name, lambda: m.set_clock_skew(1.0)
        if kind == "drop":
            net.set_faults(drop=rng.uniform(0.1, 0.5))
        elif kind == "delay":
            net.set_faults(delay=(0.0, rng.uniform(0.01, 0.3)))
        elif kind == "duplicate":
            net.set_faults(duplicate=rng.uniform(0.1, 0.5))
        else:
            net.set_faults(delay=(0.0, rng.uniform(0.005, 0.05)), reorder=True)
        return "network", net.set_faults
