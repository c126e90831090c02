"""Applying one membership change at a time to a ProgressTracker.

Mirrors ``etcd-io/raft`` ``confchange/confchange.go`` ``Changer.Simple`` (and
``confchange/restore.go`` for snapshots). Joint consensus (``EnterJoint``/``LeaveJoint``,
ConfChangeV2) is deliberately not implemented: one voter changes per committed entry, which
is what etcd's ``member add/remove/promote`` issue. The leader enforces "one pending change"
(raft.go stepLeader, ``pendingConfIndex``).
"""

from __future__ import annotations

from .tracker import Progress, ProgressTracker
from .types import (ConfChange, ConfChangeAddLearnerNode, ConfChangeAddNode,
                    ConfChangeRemoveNode, ConfChangeUpdateNode, ConfState)


class ConfChangeError(Exception):
    pass


def apply_simple(trk: ProgressTracker, cc: ConfChange, last_index: int) -> None:
    """Apply ``cc`` in place. New members start probing at ``last_index`` (confchange.go
    initProgress: "the leader will probe them"), recently active so CheckQuorum does not
    immediately count them as lost."""
    before = set(trk.voters)
    nid = cc.node_id
    if nid == 0:
        return  # etcd's "no-op" change (confchange.go: ID zero is ignored)
    if cc.type == ConfChangeAddNode:
        _make_voter(trk, nid, last_index)
    elif cc.type == ConfChangeAddLearnerNode:
        _make_learner(trk, nid, last_index)
    elif cc.type == ConfChangeRemoveNode:
        trk.voters.discard(nid)
        trk.learners.discard(nid)
        trk.progress.pop(nid, None)
    elif cc.type == ConfChangeUpdateNode:
        pass
    else:
        raise ConfChangeError(f"unexpected conf type {cc.type}")
    if len(before ^ trk.voters) > 1:  # cannot happen with one change; kept as upstream's check
        raise ConfChangeError("more than one voter changed without entering joint config")
    if not trk.voters:
        raise ConfChangeError("removed all voters")


def _init_progress(trk: ProgressTracker, nid: int, last_index: int, is_learner: bool) -> None:
    trk.progress[nid] = Progress(next_=max(last_index, 1), max_inflight=trk.max_inflight,
                                 is_learner=is_learner, recent_active=True)


def _make_voter(trk: ProgressTracker, nid: int, last_index: int) -> None:
    pr = trk.progress.get(nid)
    if pr is None:
        _init_progress(trk, nid, last_index, False)
    else:
        pr.is_learner = False  # promotion keeps the learner's progress
    trk.learners.discard(nid)
    trk.voters.add(nid)


def _make_learner(trk: ProgressTracker, nid: int, last_index: int) -> None:
    pr = trk.progress.get(nid)
    if pr is None:
        _init_progress(trk, nid, last_index, True)
    else:
        pr.is_learner = True  # demotion of a voter
    trk.voters.discard(nid)
    trk.learners.add(nid)


def restore(trk: ProgressTracker, cs: ConfState, last_index: int) -> None:
    """restore.go Restore: rebuild the tracker from a snapshot's ConfState."""
    trk.voters, trk.learners, trk.progress = set(), set(), {}
    for v in cs.voters:
        _make_voter(trk, v, last_index)
    for learner in cs.learners:
        _make_learner(trk, learner, last_index)
