"""What a leader knows about each follower: progress, flow control and votes.

Mirrors ``etcd-io/raft`` ``tracker/progress.go``, ``tracker/inflights.go`` and
``tracker/tracker.go``. A follower's ``Progress`` is in one of three states:

- ``StateProbe``: the leader does not know the follower's last index; it sends one MsgApp per
  heartbeat interval and waits for the answer (``msg_app_flow_paused``).
- ``StateReplicate``: the follower is matched; the leader streams entries optimistically,
  at most ``max_inflight_msgs`` unacknowledged MsgApps (``Inflights``).
- ``StateSnapshot``: the entries it needs were compacted; the leader sent a snapshot and
  sends nothing else until the follower acknowledges it.
"""

from __future__ import annotations

from . import quorum

StateProbe = "StateProbe"
StateReplicate = "StateReplicate"
StateSnapshot = "StateSnapshot"


class Inflights:
    """inflights.go: a bounded FIFO of the last index of each MsgApp still in flight
    (the byte limit, MaxInflightBytes, is not implemented)."""

    def __init__(self, size: int):
        self.size = size
        self._q: list[int] = []

    def add(self, index: int) -> None:
        if self.full():
            raise AssertionError("cannot add into a Full inflights")
        self._q.append(index)

    def free_le(self, to: int) -> None:
        """An ack for ``to`` frees every message up to it."""
        while self._q and self._q[0] <= to:
            self._q.pop(0)

    def full(self) -> bool:
        return len(self._q) >= self.size

    def count(self) -> int:
        return len(self._q)

    def reset(self) -> None:
        self._q = []


class Progress:
    """progress.go Progress. Invariant: ``match < next``."""

    def __init__(self, next_: int, max_inflight: int, match: int = 0, is_learner: bool = False,
                 recent_active: bool = False):
        self.match = match
        self.next = next_
        self.sent_commit = 0
        self.state = StateProbe
        self.pending_snapshot = 0
        self.recent_active = recent_active
        self.msg_app_flow_paused = False
        self.inflights = Inflights(max_inflight)
        self.is_learner = is_learner

    def _reset_state(self, state: str) -> None:
        self.msg_app_flow_paused = False
        self.pending_snapshot = 0
        self.state = state
        self.inflights.reset()

    def become_probe(self) -> None:
        if self.state == StateSnapshot:
            pending = self.pending_snapshot
            self._reset_state(StateProbe)
            self.next = max(self.match + 1, pending + 1)
        else:
            self._reset_state(StateProbe)
            self.next = self.match + 1
        self.sent_commit = min(self.sent_commit, self.next - 1)

    def become_replicate(self) -> None:
        self._reset_state(StateReplicate)
        self.next = self.match + 1

    def become_snapshot(self, snapshot_index: int) -> None:
        self._reset_state(StateSnapshot)
        self.pending_snapshot = snapshot_index
        self.next = snapshot_index + 1
        self.sent_commit = snapshot_index

    def sent_entries(self, n: int) -> None:
        """A MsgApp carrying ``n`` entries left: advance optimistically or pause probing."""
        if self.state == StateReplicate:
            if n > 0:
                self.next += n
                self.inflights.add(self.next - 1)
            self.msg_app_flow_paused = self.inflights.full()
        elif self.state == StateProbe:
            if n > 0:
                self.msg_app_flow_paused = True
        else:
            raise AssertionError(f"sending append in unhandled state {self.state}")

    def can_bump_commit(self, index: int) -> bool:
        return index > self.sent_commit and self.sent_commit < self.next - 1

    def maybe_update(self, n: int) -> bool:
        """An ack for ``n``: returns False if it was stale."""
        if n <= self.match:
            return False
        self.match = n
        self.next = max(self.next, n + 1)
        self.msg_app_flow_paused = False
        return True

    def maybe_decr_to(self, rejected: int, match_hint: int) -> bool:
        """A rejection of the MsgApp at ``rejected``: move ``next`` back (False if stale)."""
        if self.state == StateReplicate:
            if rejected <= self.match:
                return False
            self.next = self.match + 1
            self.sent_commit = min(self.sent_commit, self.next - 1)
            return True
        if self.next - 1 != rejected:
            return False
        self.next = max(min(rejected, match_hint + 1), self.match + 1)
        self.sent_commit = min(self.sent_commit, self.next - 1)
        self.msg_app_flow_paused = False
        return True

    def is_paused(self) -> bool:
        if self.state == StateSnapshot:
            return True
        return self.msg_app_flow_paused

    def __str__(self) -> str:  # progress.go String
        s = f"{self.state} match={self.match} next={self.next}"
        if self.is_learner:
            s += " learner"
        if self.is_paused():
            s += " paused"
        if self.pending_snapshot:
            s += f" pendingSnap={self.pending_snapshot}"
        if not self.recent_active:
            s += " inactive"
        if self.inflights.count():
            s += f" inflight={self.inflights.count()}"
            if self.inflights.full():
                s += "[full]"
        return s


class ProgressTracker:
    """tracker.go ProgressTracker for a majority (non-joint) configuration."""

    def __init__(self, max_inflight: int):
        self.max_inflight = max_inflight
        self.voters: set[int] = set()
        self.learners: set[int] = set()
        self.progress: dict[int, Progress] = {}
        self.votes: dict[int, bool] = {}

    def ids(self) -> list[int]:
        """Every tracked id, sorted: iteration order never depends on hashing."""
        return sorted(self.progress)

    def conf_state(self):
        from .types import ConfState
        return ConfState(voters=tuple(sorted(self.voters)), learners=tuple(sorted(self.learners)))

    def config_str(self) -> str:  # tracker.go Config.String
        s = "voters=(" + " ".join(str(v) for v in sorted(self.voters)) + ")"
        if self.learners:
            s += " learners=(" + " ".join(str(v) for v in sorted(self.learners)) + ")"
        return s

    def is_singleton(self) -> bool:
        return len(self.voters) == 1

    def committed(self) -> int:
        return quorum.committed_index(self.voters, {i: p.match for i, p in self.progress.items()})

    def quorum_active(self) -> bool:
        """CheckQuorum: has a majority of voters been heard from this election timeout?"""
        votes = {i: p.recent_active for i, p in self.progress.items() if not p.is_learner}
        return quorum.vote_result(self.voters, votes) == quorum.VoteWon

    def reset_votes(self) -> None:
        self.votes = {}

    def record_vote(self, id_: int, granted: bool) -> None:
        self.votes.setdefault(id_, granted)

    def tally_votes(self) -> tuple[int, int, str]:
        granted = sum(1 for i in self.voters if self.votes.get(i) is True)
        rejected = sum(1 for i in self.voters if self.votes.get(i) is False)
        return granted, rejected, quorum.vote_result(self.voters, self.votes)
