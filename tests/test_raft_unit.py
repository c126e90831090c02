"""Unit behaviour of k8score.raft's parts, each against its etcd-io/raft counterpart:
``storage.go`` (MemoryStorage), ``log.go`` (findConflict, maybeAppend, commit rules),
``tracker/inflights.go`` + ``progress.go`` (flow control), ``quorum/majority.go``,
``raft.go`` (Config validation, randomized election timeout, Figure 8 commit rule) and
``rawnode.go`` (Ready contents, restart from storage, step errors).
"""

from __future__ import annotations

import random

import pytest

from k8score.raft import (CompactedError, Config, ConfState, Entry, HardState, MemoryStorage,
                          Message, ProposalDroppedError, RawNode, SnapOutOfDateError,
                          StepError)
from k8score.raft.log import RaftLog
from k8score.raft.quorum import committed_index
from k8score.raft.testing import Network
from k8score.raft.tracker import Inflights


def _storage(*terms):
    s = MemoryStorage()
    s.append([Entry(t, i + 1) for i, t in enumerate(terms)])
    return s


def test_storage_compaction_and_snapshot_limits():
    s = _storage(1, 1, 2, 2)
    snap = s.create_snapshot(3, ConfState(voters=(1, 2, 3)), b"img")
    assert (snap.metadata.index, snap.metadata.term) == (3, 2)
    s.compact(3)
    assert (s.first_index(), s.last_index(), s.term(3)) == (4, 4, 2)
    with pytest.raises(CompactedError):
        s.entries(3, 5)
    with pytest.raises(CompactedError):
        s.compact(3)  # the second compaction to the same index
    with pytest.raises(SnapOutOfDateError):
        s.create_snapshot(3, ConfState(), b"")
    assert [e.index for e in s.entries(4, 5)] == [4]


def test_storage_append_truncates_conflicting_suffix():
    s = _storage(1, 1, 1)
    s.append([Entry(2, 2)])
    assert [(e.term, e.index) for e in s.entries(1, 3)] == [(1, 1), (2, 2)]
    assert s.last_index() == 2


def test_log_find_conflict_and_maybe_append():
    log = RaftLog(_storage(1, 1, 2))
    assert log.find_conflict([Entry(1, 1), Entry(1, 2)]) == 0          # all present
    assert log.find_conflict([Entry(2, 3), Entry(2, 4)]) == 4          # first new
    assert log.find_conflict([Entry(1, 2), Entry(3, 3)]) == 3          # term differs
    assert log.maybe_append(2, 2, 0, [Entry(2, 3)]) is None            # prev term mismatch
    assert log.maybe_append(2, 1, 3, [Entry(3, 3), Entry(3, 4)]) == 4  # replaces index 3
    assert [log.term(i) for i in (1, 2, 3, 4)] == [1, 1, 3, 3]
    assert log.committed == 3  # min(leader commit, last new index)
    with pytest.raises(AssertionError, match="conflict with committed entry"):
        log.maybe_append(1, 1, 3, [Entry(4, 2)])


def test_log_find_conflict_by_term_skips_a_whole_term():
    log = RaftLog(_storage(1, 2, 2, 2, 5))
    assert log.find_conflict_by_term(5, 3) == (4, 2)
    assert log.find_conflict_by_term(5, 1) == (1, 1)
    assert log.find_conflict_by_term(5, 5) == (5, 5)


def test_quorum_committed_index():
    assert committed_index([1, 2, 3], {1: 9, 2: 7, 3: 2}) == 7
    assert committed_index([1, 2, 3, 4], {1: 9, 2: 7, 3: 2, 4: 1}) == 2  # 2 of 4 is no quorum
    assert committed_index([1, 2, 3, 4, 5], {1: 9, 2: 9, 3: 9}) == 9      # 3 of 5 is


def test_inflights_bound_and_free():
    f = Inflights(2)
    f.add(5)
    f.add(9)
    assert f.full()
    with pytest.raises(AssertionError):
        f.add(10)
    f.free_le(5)
    assert (f.full(), f.count()) == (False, 1)


def test_leader_stops_at_max_inflight_msgs_until_acked():
    net = Network([1, 2], seed=0, log_level="none", max_inflight_msgs=2)
    net.campaign(1)
    net.stabilize()
    for i in range(4):
        net.propose(1, b"p%d" % i)
        net.process_ready(1)
    apps = [m for m, _ in net.mailbox[2] if m.type == "MsgApp" and m.entries]
    assert len(apps) == 2  # the third and fourth proposals wait for an ack
    assert "inflight=2[full]" in net.nodes[1].status().progress[2]
    net.stabilize()
    assert net.nodes[2].raft.log.committed == 5  # all four proposals plus the empty entry


def test_leader_commits_old_term_entries_only_with_its_own():
    # Raft Figure 8: an entry of an older term is not committed by counting replicas.
    net = Network([1, 2, 3], seed=0, log_level="none")
    net.campaign(1)
    net.stabilize()
    net.isolate(1)
    net.propose(1, b"old")           # index 2, term 1: only on 1
    net.stabilize()
    # 1 loses term 2 to another member (which never saw "old"), then wins term 3 back.
    r1 = net.nodes[1].raft
    r1.become_follower(2, 0)
    r1.become_candidate()
    r1.become_leader()               # term 3; appends its empty entry at index 3
    # Only the term-1 entry is replicated to 2, not yet the term-3 one:
    pr = r1.trk.progress[2]
    pr.match, pr.next = 1, 2
    net.nodes[2].raft.step(Message("MsgApp", from_=1, to=2, term=3, log_term=1, index=1,
                                   entries=(r1.log.slice(2, 3)[0],), commit=1))
    r1.step(Message("MsgAppResp", from_=2, to=1, term=3, index=2))
    assert r1.trk.committed() == 2 and r1.log.committed == 1  # a quorum has it: not enough
    r1.step(Message("MsgAppResp", from_=2, to=1, term=3, index=3))
    assert r1.log.committed == 3  # its own term's entry commits both


def test_config_defaults_and_validation():
    c = Config(id=1, peers=[1], rng=random.Random(0))
    assert (c.election_tick, c.heartbeat_tick, c.pre_vote, c.check_quorum,
            c.max_inflight_msgs) == (10, 1, True, True, 256)
    with pytest.raises(ValueError, match="election tick must be greater than heartbeat tick"):
        Config(id=1, election_tick=1, rng=random.Random(0)).validate()
    with pytest.raises(ValueError, match="cannot use none as id"):
        Config(id=0, rng=random.Random(0)).validate()
    with pytest.raises(ValueError, match="no global randomness"):
        Config(id=1).validate()


def test_randomized_election_timeout_range_and_determinism():
    def timeouts(seed):
        rn = RawNode(Config(id=1, peers=[1, 2, 3], rng=random.Random(seed)), MemoryStorage())
        out = []
        for _ in range(200):
            rn.raft.become_follower(rn.raft.term + 1, 0)
            out.append(rn.raft.randomized_election_timeout)
        return out
    a = timeouts(7)
    assert min(a) == 10 and max(a) == 19  # [election_tick, 2*election_tick)
    assert a == timeouts(7) and a != timeouts(8)


def test_ready_must_sync_and_restart_from_storage():
    s = MemoryStorage()
    rn = RawNode(Config(id=1, peers=[1], rng=random.Random(0)), s)
    rn.campaign()
    rd = rn.ready()
    assert rd.must_sync and rd.hard_state == HardState(term=1, vote=1, commit=1)
    with pytest.raises(AssertionError, match="without advance"):
        rn.ready()
    s.append(rd.entries)
    s.set_hard_state(rd.hard_state)
    rn.advance(rd)
    rn.propose(b"a")
    rd = rn.ready()
    s.append(rd.entries)
    s.set_hard_state(rd.hard_state)
    rn.advance(rd)
    assert not rn.has_ready()
    # A restart reads term, vote, commit and log back; it re-applies from `applied`.
    again = RawNode(Config(id=1, peers=[1], applied=1, rng=random.Random(1)), s)
    st = again.status()
    assert (st.term, st.vote, st.commit, st.raft_state) == (1, 1, 2, "StateFollower")
    assert [e.data for e in again.ready().committed_entries] == [b"a"]


def test_step_rejects_local_and_unknown_peer_messages():
    rn = RawNode(Config(id=1, peers=[1, 2, 3], rng=random.Random(0)), MemoryStorage())
    with pytest.raises(StepError, match="cannot step raft local message"):
        rn.step(Message("MsgHup", from_=2, to=1))
    with pytest.raises(StepError, match="cannot step as peer not found"):
        rn.step(Message("MsgAppResp", from_=9, to=1, term=1))
    with pytest.raises(ProposalDroppedError, match="raft proposal dropped"):
        rn.propose(b"no leader yet")


def test_learner_does_not_campaign_and_removed_leader_steps_down():
    net = Network([1, 2, 3], learners=[4], seed=0, log_level="none")
    net.tick(4, 100)
    assert net.nodes[4].raft.state == "StateFollower" and not net.nodes[4].has_ready()
    net.campaign(1)
    net.stabilize()
    from k8score.raft import ConfChange
    net.propose_conf_change(1, ConfChange.parse("r1"))
    net.stabilize()
    assert net.nodes[1].raft.state == "StateFollower"
    assert sorted(net.conf_states[2].voters) == [2, 3]
