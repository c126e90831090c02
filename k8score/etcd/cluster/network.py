"""The peer network between etcd members: per-message latency, partitions and faults.

A message a member sends (after persisting its Ready, the raft contract) is in flight for a
small seeded latency (``LATENCY``), then stepped into its destination. Faults, decided when
the message is sent (drop, duplicate, extra delay) or delivered (partition, stopped member):

* ``partition(*groups)`` / ``heal()``: messages never cross a group border (a message in
  flight when the partition starts is lost at delivery, as a cut TCP stream loses it);
* ``set_faults(drop=p, delay=(lo, hi), duplicate=p, reorder=bool)``: each message is lost
  with probability ``drop``, delayed by an extra uniform ``delay``, sent twice with
  probability ``duplicate``; without ``reorder`` messages between a pair keep their order
  (etcd's rafthttp streams are TCP), with it a later message may overtake an earlier one;
* a stopped destination loses what reaches it; a paused one (SIGSTOP) keeps it queued in
  the kernel until it resumes.

``pump(until)`` delivers everything in flight at once, ignoring latency but honouring every
fault: it is how a synchronous API request runs a raft round trip within one instant.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable

from ...raft.types import Message, MsgSnap

_NEVER = float("inf")

#: One-way latency between members on a LAN (seconds): uniform in this range.
LATENCY = (0.0005, 0.002)


class Network:
    """In-flight messages among ``members`` (id -> member), on ``loop``'s clock, drawing from ``rng``."""

    def __init__(self, loop: Any, rng: Any):
        self.loop = loop
        self.rng = rng
        self.members: dict[int, Any] = {}
        self._inflight: list = []            # heap of (deliver_at, seq, Message)
        self._seq = 0
        self._wake_at = _NEVER
        self._last: dict[tuple[int, int], float] = {}   # FIFO per pair without reorder
        self._groups: list[set] | None = None
        self.drop = 0.0
        self.delay: tuple[float, float] | None = None
        self.duplicate = 0.0
        self.reorder = False
        #: counters for pages and tests
        self.sent = self.delivered = self.dropped = 0
        self.on_deliver: Callable[[Message], Any] | None = None   # an observer (diagrams)

    # -- faults ------------------------------------------------------------------------------
    def partition(self, *groups) -> None:
        self._groups = [set(g) for g in groups]

    def heal(self) -> None:
        self._groups = None

    def set_faults(self, drop: float = 0.0, delay: tuple[float, float] | None = None,
                   duplicate: float = 0.0, reorder: bool = False) -> None:
        for name, p in (("drop", drop), ("duplicate", duplicate)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
        if delay is not None and not 0.0 <= delay[0] <= delay[1]:
            raise ValueError(f"delay must be (low, high) with 0 <= low <= high, got {delay}")
        self.drop, self.delay, self.duplicate, self.reorder = drop, delay, duplicate, reorder

    def connected(self, a: int, b: int) -> bool:
        if self._groups is None:
            return True
        return any(a in g and b in g for g in self._groups)

    @property
    def in_flight(self) -> list[Message]:
        """Messages on the wire now, in delivery order."""
        return [m for _, _, m in sorted(self._inflight)]

    # -- sending -----------------------------------------------------------------------------
    def send(self, m: Message) -> None:
        self.sent += 1
        if not self.connected(m.from_, m.to) or (self.drop and self.rng.random() < self.drop):
            self._lost(m)
            return
        # a forwarded proposal is never duplicated: rafthttp's TCP streams deliver each message
        # once, and raft's own retransmits (MsgApp, heartbeats, votes) are idempotent while a
        # MsgProp is not (the leader would append it twice) — found by k8score.etcd.robustness
        dup = self.duplicate and m.type != "MsgProp" and self.rng.random() < self.duplicate
        copies = 2 if dup else 1
        for _ in range(copies):
            d = self.rng.uniform(*LATENCY)
            if self.delay is not None:
                d += self.rng.uniform(*self.delay)
            at = self.loop.now + d
            if not self.reorder:
                at = max(at, self._last.get((m.from_, m.to), 0.0))
                self._last[(m.from_, m.to)] = at
            self._seq += 1
            heapq.heappush(self._inflight, (at, self._seq, m))
            self._wake(at)

    def _wake(self, at: float) -> None:
        """One loop timer, at the earliest delivery (not one per message)."""
        if at < self._wake_at:
            self._wake_at = at
            self.loop.call_later(at - self.loop.now, self._deliver_due, at)

    def _deliver_due(self, at: float) -> None:
        if at != self._wake_at:
            return                      # superseded by an earlier wake-up
        self._wake_at = _NEVER
        now = self.loop.now
        while self._inflight and self._inflight[0][0] <= now:
            self._deliver(heapq.heappop(self._inflight)[2])
        if self._inflight:
            self._wake(self._inflight[0][0])

    def _deliver(self, m: Message) -> bool:
        dst = self.members.get(m.to)
        if dst is None or not dst.running or not self.connected(m.from_, m.to):
            self._lost(m)
            return False
        if dst.paused:
            dst.held.append(m)     # the socket buffers it; stepped on resume
            return False
        self.delivered += 1
        if self.on_deliver is not None:
            self.on_deliver(m)
        dst.receive(m)
        if m.type == MsgSnap:      # rafthttp reports a sent snapshot to the leader's raft
            src = self.members.get(m.from_)
            if src is not None and src.running:
                src.report_snapshot(m.to, False)
        return True

    def _lost(self, m: Message) -> None:
        self.dropped += 1
        if m.type == MsgSnap:      # rafthttp: ReportSnapshot(SnapshotFailure) on a failed send
            src = self.members.get(m.from_)
            if src is not None and src.running:
                src.report_snapshot(m.to, True)

    def pump(self, until: Callable[[], bool], max_rounds: int = 64) -> bool:
        """Deliver every message in flight, and those the deliveries cause, now — until
        nothing is left in flight (so a request leaves no traffic behind to wake the loop);
        returns ``until()``."""
        for _ in range(max_rounds):
            if not self._inflight:
                break
            batch, self._inflight = sorted(self._inflight), []
            self._last.clear()
            for _, _, m in batch:
                self._deliver(m)
        return until()
