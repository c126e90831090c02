"""An in-memory network of RawNodes for tests, transcripts and pages.

Mirrors ``etcd-io/raft`` ``rafttest/interaction_env*.go``: each node has a MemoryStorage, a
tiny state machine (the list of applied entries) and a mailbox of messages in flight.
``process_ready`` follows the Ready contract (persist, send, apply, advance); ``deliver``
steps a node's mailbox. Faults: ``isolate``, ``partition``, ``heal``, ``drop`` (one-shot
filter) and ``reorder``/``drop`` decisions a property test may take per message.
Every action appends readable lines to ``self.lines`` in upstream's transcript format.

>>> net = Network([1, 2, 3], seed=1)
>>> net.campaign(1); net.stabilize()
>>> [net.nodes[i].raft.state for i in (1, 2, 3)]
['StateLeader', 'StateFollower', 'StateFollower']
>>> net.propose(1, b"x=1"); net.stabilize()
>>> net.applied[3]
[(2, 1, b'x=1')]
"""

from __future__ import annotations

import json
import random

from .raft import ProposalDroppedError
from .rawnode import Config, RawNode, StepError
from .storage import MemoryStorage
from .types import ConfChange, ConfState, EntryConfChange, Message, MsgSnap


class Network:
    """Nodes ``ids`` (the initial voters) plus ``learners``; ``seed`` seeds every rng."""

    def __init__(self, ids, seed: int = 0, learners=(), log_level: str = "info", **cfg):
        self.seed = seed
        self.cfg = cfg
        self.log_level = log_level
        self.lines: list[str] = []
        self.nodes: dict[int, RawNode] = {}
        self.storages: dict[int, MemoryStorage] = {}
        self.conf_states: dict[int, ConfState] = {}
        self.applied: dict[int, list] = {}      # id -> [(index, term, data)] the state machine
        self.mailbox: dict[int, list] = {}      # id -> [(message, delivered?)] in flight
        self.history: dict[int, list] = {}      # id -> every committed Entry it applied
        self._groups: list[set] | None = None   # partition: messages cross no group border
        self._drops: set[tuple[int, int]] = set()
        for i in list(ids) + list(learners):
            self.add_node(i, voters=ids, learners=learners)

    # -- membership of the simulation ----------------------------------------------------------
    def add_node(self, id_: int, voters=(), learners=(), **cfg) -> RawNode:
        """A node; with no voters it is a new member waiting for the leader to contact it."""
        st = MemoryStorage()
        c = Config(id=id_, peers=list(voters), learners=list(learners),
                   rng=random.Random(self.seed * 1000 + id_), logger=self._logger(id_),
                   **{**self.cfg, **cfg})
        self.storages[id_] = st
        self.applied[id_] = []
        self.history[id_] = []
        self.mailbox[id_] = []
        self.conf_states[id_] = ConfState(tuple(sorted(voters)), tuple(sorted(learners)))
        self.nodes[id_] = RawNode(c, st)
        return self.nodes[id_]

    def _logger(self, id_: int):
        def log(level: str, text: str) -> None:
            if self.log_level != "none":
                self.lines.append(f"{self._indent}{level} {text}")
        return log

    _indent = ""

    # -- faults ----------------------------------------------------------------------------------
    def isolate(self, id_: int) -> None:
        self.partition([id_], [i for i in sorted(self.nodes) if i != id_])

    def partition(self, *groups) -> None:
        self._groups = [set(g) for g in groups]

    def heal(self) -> None:
        self._groups = None
        self._drops = set()

    def drop(self, frm: int, to: int) -> None:
        """Drop every message from ``frm`` to ``to`` until ``heal``."""
        self._drops.add((frm, to))

    def connected(self, a: int, b: int) -> bool:
        if (a, b) in self._drops:
            return False
        if self._groups is None:
            return True
        return any(a in g and b in g for g in self._groups)

    def restart(self, id_: int) -> RawNode:
        """Crash and restart ``id_`` from what it persisted: messages in flight to it are lost,
        its state machine is rebuilt from the snapshot and committed entries re-applied."""
        st, old = self.storages[id_], self.nodes[id_].raft.cfg
        snap = st.snapshot()
        self._restore_state_machine(id_, snap)
        self.history[id_] = []
        self.lose(id_)
        cfg = {k: getattr(old, k) for k in ("peers", "learners", "election_tick", "heartbeat_tick",
                                            "pre_vote", "check_quorum", "max_inflight_msgs")}
        self.nodes[id_] = RawNode(Config(id=id_, applied=snap.metadata.index, logger=old.logger,
                                         rng=random.Random(self.seed * 1000 + id_ + 7919), **cfg), st)
        return self.nodes[id_]

    # -- inputs ----------------------------------------------------------------------------------
    def tick(self, id_: int, n: int = 1) -> None:
        for _ in range(n):
            self.nodes[id_].tick()

    def campaign(self, id_: int) -> None:
        self.nodes[id_].campaign()

    def propose(self, id_: int, data: bytes) -> None:
        self.nodes[id_].propose(data)

    def propose_conf_change(self, id_: int, cc: ConfChange) -> None:
        self.nodes[id_].propose_conf_change(cc)

    # -- the Ready loop --------------------------------------------------------------------------
    def process_ready(self, id_: int) -> bool:
        """Handle one Ready of ``id_`` in the contract's order; False if there was none."""
        rn, st = self.nodes[id_], self.storages[id_]
        if not rn.has_ready():
            return False
        self.lines.append(f"> {id_} handling Ready")
        self._indent = "  "
        rd = rn.ready()
        self.lines += ["  " + line for line in str(rd).split("\n")]
        if not rd.snapshot.is_empty():  # (a) persist
            st.apply_snapshot(rd.snapshot)
            self._restore_state_machine(id_, rd.snapshot)
        st.append(rd.entries)
        if not rd.hard_state.is_empty():
            st.set_hard_state(rd.hard_state)
        for m in rd.messages:  # (b) send: a partition decides now, at send time
            if m.to in self.mailbox:
                self.mailbox[m.to].append((m, self.connected(m.from_, m.to)))
        for e in rd.committed_entries:  # (c) apply
            self.history[id_].append(e)
            if e.type == EntryConfChange:
                self.conf_states[id_] = rn.apply_conf_change(ConfChange.unmarshal(e.data))
            elif e.data:
                self.applied[id_].append((e.index, e.term, e.data))
        rn.advance(rd)  # (d)
        self._indent = ""
        return True

    def deliver(self, id_: int, order=None) -> int:
        """Step ``id_``'s mailbox, in ``order`` (a permutation of positions) if given.
        Messages sent across a partition are shown as dropped here, at their destination."""
        box, self.mailbox[id_] = self.mailbox[id_], []
        if not box:
            return 0
        if order is not None:
            box = [box[i] for i in order]
        self.lines.append(f"> {id_} receiving messages")
        self._indent = "  "
        for m, ok in box:
            if not ok:
                self.lines.append(f"  dropped: {m}")
                self._snapshot_lost(m)
                continue
            self.lines += ["  " + line for line in str(m).split("\n")]
            try:
                self.nodes[id_].step(m)
            except (StepError, ProposalDroppedError) as e:  # rafttest prints, etcd logs them
                self.lines.append(f"  {e}")
            if m.type == MsgSnap and m.from_ in self.nodes:
                # The transport reports a delivered snapshot (etcd rafthttp snapshot sender).
                self.nodes[m.from_].report_snapshot(id_)
        self._indent = ""
        return len(box)

    def stabilize(self, ids=None, max_rounds: int = 1000) -> None:
        """Handle Readies and deliver messages until nothing moves (rafttest stabilize)."""
        ids = sorted(self.nodes) if ids is None else list(ids)
        for _ in range(max_rounds):
            moved = False
            for i in ids:
                moved |= self.process_ready(i)
            for i in ids:
                moved |= self.deliver(i) > 0
            if not moved:
                return
        raise AssertionError("network did not stabilize")

    def lose(self, id_: int) -> None:
        """Every message in flight to ``id_`` is lost."""
        for m, _ in self.mailbox[id_]:
            self._snapshot_lost(m)
        self.mailbox[id_] = []

    def _snapshot_lost(self, m: Message) -> None:
        # The transport owes the leader a report, or the follower stays in StateSnapshot
        # forever (etcd rafthttp: ReportSnapshot(SnapshotFailure) when the send fails).
        if m.type == MsgSnap and m.from_ in self.nodes:
            self.nodes[m.from_].report_snapshot(m.to, failed=True)

    # -- snapshots -------------------------------------------------------------------------------
    def compact(self, id_: int, index: int) -> None:
        """Snapshot ``id_``'s state machine at ``index`` (<= applied) and drop the log up to it."""
        st = self.storages[id_]
        data = json.dumps([[i, t, d.decode("latin-1")] for i, t, d in self.applied[id_] if i <= index])
        st.create_snapshot(index, self.conf_states[id_], data.encode())
        st.compact(index)

    def _restore_state_machine(self, id_: int, snap) -> None:
        self.applied[id_] = [(i, t, d.encode("latin-1")) for i, t, d in json.loads(snap.data or b"[]")]
        if not snap.is_empty():
            self.conf_states[id_] = snap.metadata.conf_state

    def take_lines(self) -> list[str]:
        out, self.lines = self.lines, []
        return out
