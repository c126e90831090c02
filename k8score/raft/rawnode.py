"""RawNode: the synchronous wrapper the application drives, and its ``Ready`` contract.

Mirrors ``etcd-io/raft`` ``rawnode.go`` and ``node.go`` (``Ready``). The application loop:

1. Feed inputs: ``tick()`` on every virtual-clock tick, ``step(msg)`` for every message that
   arrives, and ``propose``/``propose_conf_change``/``read_index``/``transfer_leader``/
   ``campaign`` for its own requests.
2. ``if rn.has_ready(): rd = rn.ready()`` and then, **in this order**:
   a. persist: ``storage.apply_snapshot(rd.snapshot)`` if any, ``storage.append(rd.entries)``,
      ``storage.set_hard_state(rd.hard_state)`` if any — durably if ``rd.must_sync``;
   b. send ``rd.messages`` (only after (a): a vote or an ack must never outrun the disk);
      the transport calls ``report_snapshot(to, failed)`` once a MsgSnap is delivered or
      lost, else that follower stays paused in StateSnapshot (etcd rafthttp does so);
   c. apply ``rd.committed_entries`` to the state machine, calling
      ``apply_conf_change(cc)`` for each ``EntryConfChange``; serve ``rd.read_states`` once
      applied >= their index;
   d. ``advance(rd)``. Do not call ``ready()`` again before ``advance``.

>>> from k8score.raft import Config, MemoryStorage, RawNode
>>> import random
>>> s = MemoryStorage()
>>> rn = RawNode(Config(id=1, peers=[1], rng=random.Random(0)), s)
>>> rn.campaign()
>>> rd = rn.ready()
>>> print(rd.soft_state, "|", rd.hard_state, "|", *rd.entries)
Lead:1 State:StateLeader | Term:1 Vote:1 Commit:1 | 1/1 EntryNormal ""
>>> s.append(rd.entries); s.set_hard_state(rd.hard_state); rn.advance(rd)
>>> rn.propose(b"x=1")
>>> print(*rn.ready().committed_entries)
1/2 EntryNormal "x=1"
"""

from __future__ import annotations

from dataclasses import dataclass, field
import random

from .raft import ProposalDroppedError, Raft
from .storage import MemoryStorage
from .types import (ConfChange, ConfState, EMPTY_HARD_STATE, Entry, EntryConfChange,
                    HardState, LOCAL_MSGS, Message, MsgHup, MsgProp, MsgReadIndex,
                    MsgSnapStatus, MsgTransferLeader, MsgUnreachable, RESPONSE_MSGS, Snapshot,
                    SoftState)


class StepError(Exception):
    """rawnode.go ErrStepLocalMsg / ErrStepPeerNotFound."""


@dataclass
class Config:
    """raft.go Config. Ticks are abstract; etcd ticks every 100 ms (``--heartbeat-interval``)
    and its election timeout is 1000 ms (``--election-timeout``), hence 1 and 10 ticks
    (etcd server/embed/config.go DefaultTickMs / DefaultElectionTicks)."""

    id: int
    peers: list = field(default_factory=list)      # voters when storage is empty
    learners: list = field(default_factory=list)
    election_tick: int = 10
    heartbeat_tick: int = 1
    pre_vote: bool = True       # etcd --pre-vote defaults to true since v3.5
    check_quorum: bool = True   # etcd server enables CheckQuorum
    max_inflight_msgs: int = 256  # etcd server/etcdserver/raft.go maxInflightMsgs
    max_entries_per_msg: int | None = None
    applied: int = 0            # last applied index when restarting from storage
    rng: random.Random | None = None  # seeded; draws the randomized election timeouts
    logger: object = None       # callable(level, text) receiving upstream's log lines

    def validate(self) -> None:
        if self.id == 0:
            raise ValueError("cannot use none as id")
        if self.heartbeat_tick <= 0:
            raise ValueError("heartbeat tick must be greater than 0")
        if self.election_tick <= self.heartbeat_tick:
            raise ValueError("election tick must be greater than heartbeat tick")
        if self.max_inflight_msgs <= 0:
            raise ValueError("max inflight messages must be greater than 0")
        if self.rng is None:
            raise ValueError("rng must be a seeded random.Random (no global randomness)")


@dataclass
class Ready:
    """Everything the application must do before ``advance`` (node.go Ready).

    ``soft_state``: set if the leader or role changed; never persisted.
    ``hard_state``: set if term, vote or commit changed; persist before sending messages.
    ``entries``: persist (append, truncating conflicts) before sending messages.
    ``snapshot``: if not empty, persist/apply it before the entries.
    ``committed_entries``: apply in order (they may include this Ready's ``entries``).
    ``messages``: send after persisting; delivery may drop, delay or reorder them.
    ``read_states``: a read with that context is linearizable once applied >= index.
    ``must_sync``: the writes must be fsynced (term, vote or entries changed).
    """

    soft_state: SoftState | None = None
    hard_state: HardState = EMPTY_HARD_STATE
    read_states: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    snapshot: Snapshot = Snapshot()
    committed_entries: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    must_sync: bool = False

    def __str__(self) -> str:  # util.go DescribeReady
        lines = []
        if self.soft_state is not None:
            lines.append(str(self.soft_state))
        if not self.hard_state.is_empty():
            lines.append(f"HardState {self.hard_state}")
        if self.read_states:
            lines.append("ReadStates [" + " ".join(str(r) for r in self.read_states) + "]")
        if self.entries:
            lines += ["Entries:"] + [str(e) for e in self.entries]
        if not self.snapshot.is_empty():
            lines.append(f"Snapshot {self.snapshot}")
        if self.committed_entries:
            lines += ["CommittedEntries:"] + [str(e) for e in self.committed_entries]
        if self.messages:
            lines += ["Messages:"] + [str(m) for m in self.messages]
        if not lines:
            return "<empty Ready>"
        return f"Ready MustSync={'true' if self.must_sync else 'false'}:\n" + "\n".join(lines)


@dataclass(frozen=True)
class Status:
    """status.go Status: enough for ``etcdctl endpoint status`` and the pages."""

    id: int
    term: int
    vote: int
    commit: int
    applied: int
    lead: int
    raft_state: str
    progress: dict  # id -> str(Progress), leader only


class RawNode:
    """A Raft member driven by the caller; every method is synchronous and deterministic."""

    def __init__(self, config: Config, storage: MemoryStorage):
        config.validate()
        self.storage = storage
        self.raft = Raft(config, storage)
        self._prev_soft = self.raft.soft_state()
        self._prev_hard = storage.initial_state()[0]
        self._awaiting_advance = False

    # -- inputs ---------------------------------------------------------------------------------
    def tick(self) -> None:
        """One tick of the virtual clock (etcd: 100 ms)."""
        self.raft.tick()

    def campaign(self) -> None:
        """Start an election now (with PreVote if configured), as if the timeout fired."""
        self.raft.step(Message(MsgHup))

    def propose(self, data: bytes) -> None:
        """Append ``data`` to the log; raises ProposalDroppedError if there is no leader
        (or a leader transfer is in progress). A follower forwards it to the leader."""
        self.raft.step(Message(MsgProp, from_=self.raft.id, entries=(Entry(data=data),)))

    def propose_conf_change(self, cc: ConfChange) -> None:
        """Propose one membership change; it takes effect when applied via
        ``apply_conf_change``. A second one while one is pending becomes an empty entry."""
        e = Entry(type=EntryConfChange, data=cc.marshal())
        self.raft.step(Message(MsgProp, from_=self.raft.id, entries=(e,)))

    def apply_conf_change(self, cc: ConfChange) -> ConfState:
        """Apply a committed conf change; call it while applying committed entries."""
        return self.raft.apply_conf_change(cc)

    def step(self, m: Message) -> None:
        """Deliver a message from a peer (never a local message type)."""
        if m.type in LOCAL_MSGS:
            raise StepError("raft: cannot step raft local message")
        if m.type in RESPONSE_MSGS and m.from_ not in self.raft.trk.progress:
            raise StepError("raft: cannot step as peer not found")
        self.raft.step(m)

    def read_index(self, ctx: bytes) -> None:
        """Ask for a linearizable read point; the answer is a ReadState with ``ctx``."""
        self.raft.step(Message(MsgReadIndex, entries=(Entry(data=ctx),)))

    def transfer_leader(self, transferee: int) -> None:
        """Hand leadership to ``transferee`` once its log is caught up (MsgTimeoutNow)."""
        self.raft.step(Message(MsgTransferLeader, from_=transferee))

    def report_unreachable(self, id_: int) -> None:
        """Sending to ``id_`` failed: stop streaming to it optimistically and probe."""
        self.raft.step(Message(MsgUnreachable, from_=id_))

    def report_snapshot(self, id_: int, failed: bool = False) -> None:
        """The MsgSnap sent to ``id_`` was delivered (or lost): resume probing it."""
        self.raft.step(Message(MsgSnapStatus, from_=id_, reject=failed))

    # -- outputs --------------------------------------------------------------------------------
    def has_ready(self) -> bool:
        r = self.raft
        return bool(r.soft_state() != self._prev_soft
                    or (r.hard_state() != self._prev_hard and not r.hard_state().is_empty())
                    or r.log.unstable.snapshot is not None or r.log.unstable.entries
                    or r.msgs or r.read_states or r.log.has_next_committed_ents())

    def ready(self) -> Ready:
        """What to persist, send and apply now; accepting it clears the outbox."""
        if self._awaiting_advance:
            raise AssertionError("ready() called twice without advance()")
        r = self.raft
        rd = Ready(entries=r.log.unstable_entries(),
                   committed_entries=r.log.next_committed_ents(),
                   messages=r.msgs, read_states=r.read_states)
        soft, hard = r.soft_state(), r.hard_state()
        if soft != self._prev_soft:
            rd.soft_state = soft
            self._prev_soft = soft
        if hard != self._prev_hard:
            rd.hard_state = hard
        if r.log.unstable.snapshot is not None:
            rd.snapshot = r.log.unstable.snapshot
        rd.must_sync = bool(rd.entries) or hard.term != self._prev_hard.term or \
            hard.vote != self._prev_hard.vote or not rd.snapshot.is_empty()
        self._prev_hard = hard
        r.msgs, r.read_states = [], []
        self._awaiting_advance = True
        return rd

    def advance(self, rd: Ready) -> None:
        """The application persisted, sent and applied ``rd``: mark it done."""
        r = self.raft
        if not rd.snapshot.is_empty():
            r.log.stable_snap_to(rd.snapshot.metadata.index)
            r.applied_to(rd.snapshot.metadata.index)
        if rd.entries:
            r.log.stable_to(rd.entries[-1].index, rd.entries[-1].term)
        if rd.committed_entries:
            r.applied_to(rd.committed_entries[-1].index)
        self._awaiting_advance = False

    def status(self) -> Status:
        r = self.raft
        prs = {i: str(r.trk.progress[i]) for i in r.trk.ids()} if r.state == "StateLeader" else {}
        return Status(r.id, r.term, r.vote, r.log.committed, r.log.applied, r.lead, r.state, prs)


__all__ = ["Config", "ProposalDroppedError", "Ready", "RawNode", "Status", "StepError"]
