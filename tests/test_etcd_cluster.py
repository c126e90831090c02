"""etcd as a 3-member Raft cluster: elections, failover, partitions, restarts, catch-up.

Upstream: etcd server/etcdserver/raft.go (the Ready loop), server/embed/config.go (100 ms
heartbeat, 1000 ms election timeout = 10 ticks), server/etcdserver/server.go (snapshot
count, catch-up entries), server/etcdserver/errors (``etcdserver: request timed out``,
``etcdserver: no leader``); etcd-io/raft (PreVote, CheckQuorum: a leader that hears from no
quorum for an election timeout steps down).
"""

import pytest

from k8score.etcd import EtcdError
from k8score.etcd.cluster import ERR_NO_LEADER, ERR_TIMEOUT, ERR_UNAVAILABLE, EtcdCluster
from k8score.raft.types import MsgSnap
from k8score.sim import Loop


def boot(seed=0, n=3, **kw):
    loop = Loop(seed)
    ec = EtcdCluster(loop, members=n, seed=seed, **kw)
    ec.start()
    assert ec.wait_for_leader()
    return loop, ec


def keys(member):
    return [(kv.key, kv.value, kv.mod_revision)
            for kv in member.store.range("a", "\x7f", serializable=True).kvs]


def test_three_members_elect_one_leader_within_the_randomized_election_timeout():
    loop, ec = boot(seed=0)
    leaders = [m.name for m in ec.members if m.is_leader]
    assert len(leaders) == 1
    # randomized timeout in [10, 20) ticks of 100 ms, plus PreVote and vote round trips
    assert 1.0 <= loop.now < 2.1
    lead = ec.leader()
    assert lead.node.raft.term == 1          # PreVote: the pre-election does not bump the term
    assert {m.leader for m in ec.members} == {lead.id}


def test_same_seed_same_history_and_seeds_differ():
    outcomes = {}
    for seed in range(6):
        loop, ec = boot(seed=seed)
        outcomes[seed] = (ec.leader().name, round(loop.now, 6))
        loop2, ec2 = boot(seed=seed)
        assert (ec2.leader().name, round(loop2.now, 6)) == outcomes[seed]
    assert len({o[0] for o in outcomes.values()}) > 1     # different members win
    assert len({o[1] for o in outcomes.values()}) > 1     # at different times


def test_a_write_commits_on_a_quorum_and_every_member_applies_the_same_revision():
    loop, ec = boot()
    cli = ec.client()
    assert cli.put("a", "1").header.revision == 2
    assert cli.put("b", "2").header.revision == 3
    loop.run(until=loop.now + 0.5)
    assert [m.store.revision for m in ec.members] == [3, 3, 3]
    assert keys(ec.members[0]) == keys(ec.members[1]) == keys(ec.members[2]) == [("a", "1", 2), ("b", "2", 3)]
    # a follower endpoint forwards the proposal to the leader and answers once applied
    follower = next(m for m in ec.members if not m.is_leader)
    r = ec.client(follower.name).put("c", "3")
    assert r.header.revision == 4 and follower.store.revision == 4


def test_leader_crash_new_leader_within_election_timeout_and_writes_continue():
    loop, ec = boot(seed=3)
    cli = ec.client()
    cli.put("a", "1")
    old = ec.leader()
    t0 = loop.now
    old.stop()
    survivor = next(m for m in ec.members if m is not old)
    with pytest.raises(EtcdError) as e:      # followers still follow the dead leader
        ec.client(survivor.name).put("b", "2")
    assert e.value.message == ERR_TIMEOUT
    assert loop.run(until=t0 + 3.0, predicate=lambda: ec.leader() is not None)
    assert 1.0 <= loop.now - t0 < 2.2 and ec.leader() is not old
    assert ec.leader().node.raft.term == 2
    assert cli.put("c", "3").header.revision >= 3   # the client failed over from the dead endpoint
    # the timed-out write was forwarded to the dead leader and lost with it
    assert ec.leader().store.range("b", serializable=True).count == 0


def test_minority_refuses_writes_then_heals_and_catches_up():
    loop, ec = boot(seed=1)
    lead = ec.leader()
    others = [m.name for m in ec.members if m is not lead]
    ec.partition([lead.name], others)
    minority = ec.client(lead.name)
    with pytest.raises(EtcdError) as e:
        minority.put("x", "lost?")
    assert e.value.message == ERR_TIMEOUT
    with pytest.raises(EtcdError) as e:
        minority.range("x")                   # a linearizable read needs a quorum too
    assert e.value.message == ERR_TIMEOUT
    assert minority.range("x", serializable=True).count == 0   # a serializable one does not
    loop.run(until=loop.now + 2.5)
    assert not lead.is_leader                 # CheckQuorum: the isolated leader stepped down
    with pytest.raises(EtcdError) as e:
        minority.put("y", "1")
    assert e.value.message == ERR_NO_LEADER
    majority = ec.client(others[0])
    for i in range(5):
        majority.put(f"k{i}", str(i))
    ec.heal()
    loop.run(until=loop.now + 1.0)
    assert len({m.store.revision for m in ec.members}) == 1
    assert keys(ec.members[0]) == keys(ec.members[1]) == keys(ec.members[2])
    assert ("x", "lost?") not in [(k, v) for k, v, _ in keys(lead)]   # its uncommitted entry was replaced


def test_restart_replays_the_wal_and_catches_up():
    loop, ec = boot(seed=2)
    cli = ec.client()
    for i in range(3):
        cli.put(f"a{i}", "v")
    f = next(m for m in ec.members if not m.is_leader)
    f.stop()
    for i in range(3):
        cli.put(f"b{i}", "v")
    assert f.store.revision == 4
    f.start()
    assert f.store.revision == 4              # replayed from its own WAL
    loop.run(until=loop.now + 0.5)
    assert f.store.revision == 7 and keys(f) == keys(ec.leader())


def test_a_lagging_member_catches_up_from_a_snapshot():
    loop, ec = boot(seed=4, snapshot_count=10, catch_up_entries=5)
    cli = ec.client()
    f = next(m for m in ec.members if not m.is_leader and m is not cli.endpoint)
    f.stop()
    for i in range(40):
        cli.put(f"k{i:02}", str(i))
    lead = ec.leader()
    assert lead.disk.first_index() > f.applied + 1    # the leader compacted what f lacks
    snaps = []
    ec.network.on_deliver = lambda m: snaps.append(m) if m.type == MsgSnap else None
    f.start()
    loop.run(until=loop.now + 1.0)
    assert [(m.from_, m.to) for m in snaps] == [(lead.id, f.id)]
    assert f.store.revision == lead.store.revision == 41 and keys(f) == keys(lead)


def test_a_member_restarted_with_its_data_wiped_panics_as_etcd_does():
    # etcd-io/raft log.go commitTo: the leader's heartbeat tells it to commit entries it no
    # longer has. (The remedy is member remove + member add, with a new member id.)
    loop, ec = boot(seed=5)
    cli = ec.client()
    cli.put("a", "1")
    f = next(m for m in ec.members if not m.is_leader and m is not cli.endpoint)
    f.stop()
    f.wipe()
    assert f.store.revision == 1 and f.disk.last_index() == 0
    f.start()
    loop.run(until=loop.now + 1.0)
    assert not f.running
    assert f.panic == ("panic: tocommit(2) is out of range [lastIndex(0)]. "
                       "Was the raft log corrupted, truncated, or lost?")
    assert cli.put("b", "2").header.revision == 3       # the other two still make a quorum


def test_watch_survives_its_member_stopping_and_resumes_from_its_revision():
    loop, ec = boot(seed=0)
    cli = ec.client()
    seen = []
    cli.watch("k", "l", callback=lambda r: seen.extend((e.kv.key, e.kv.mod_revision) for e in r.events))
    cli.put("k1", "a")
    watched = cli.endpoint
    watched.stop()
    loop.run(until=loop.now + 3.0)            # a new leader if the watched member led
    cli.put("k2", "b")
    cli.put("k3", "c")
    watched.start()
    loop.run(until=loop.now + 1.0)
    cli.put("k4", "d")
    assert seen == [("k1", 2), ("k2", 3), ("k3", 4), ("k4", 5)]


def test_lease_expiry_is_decided_by_the_leader_and_replicated():
    loop, ec = boot(seed=0)
    cli = ec.client()
    lease = cli.lease_grant(2)
    cli.put("ephemeral", "x", lease.id)
    loop.run(until=loop.now + 1.5)
    assert all(m.store.range("ephemeral", serializable=True).count == 1 for m in ec.members)
    loop.run(until=loop.now + 1.5)
    assert all(m.store.range("ephemeral", serializable=True).count == 0 for m in ec.members)
    assert len({m.store.revision for m in ec.members}) == 1


def test_a_single_member_stopped_really_stops_etcd_and_keeps_its_data():
    loop = Loop(0)
    ec = EtcdCluster(loop, members=1)
    ec.start()
    cli = ec.client()
    cli.put("a", "1")
    ec.members[0].stop()
    for call in (lambda: cli.put("b", "2"), lambda: cli.range("a")):
        with pytest.raises(EtcdError) as e:
            call()
        assert e.value.message == ERR_UNAVAILABLE
    ec.members[0].start()
    assert cli.range("a").kvs[0].value == "1" and cli.put("b", "2").header.revision == 3


def test_a_slow_leader_clock_lets_followers_elect_another():
    loop, ec = boot(seed=0)
    lead = ec.leader()
    lead.set_clock_skew(5.0)       # heartbeats every 500 ms: still inside the 1 s timeout
    loop.run(until=loop.now + 5.0)
    assert ec.leader() is lead and lead.node.raft.term == 1
    lead.set_clock_skew(15.0)      # every 1.5 s: followers time out between two heartbeats
    loop.run(until=loop.now + 5.0)
    assert ec.leader() is not lead and ec.leader().node.raft.term >= 2


def test_message_faults_never_break_agreement():
    loop, ec = boot(seed=7)
    ec.network.set_faults(drop=0.2, delay=(0.0, 0.05), duplicate=0.2, reorder=True)
    cli = ec.client()
    ok = failed = 0
    for i in range(60):
        loop.run(until=loop.now + 0.2)
        try:
            cli.put(f"k{i:02}", str(i))
            ok += 1
        except EtcdError as e:
            assert e.message in (ERR_TIMEOUT, ERR_NO_LEADER)
            failed += 1
    assert ok > 0 and failed > 0 and ec.network.dropped > 0
    ec.heal()
    loop.run(until=loop.now + 3.0)
    assert len({m.store.revision for m in ec.members}) == 1
    assert keys(ec.members[0]) == keys(ec.members[1]) == keys(ec.members[2])
    # every acknowledged write is there
    assert len(keys(ec.members[0])) >= ok
