"""etcd membership changes through etcdctl: learners, promotion, removal, move-leader and
replacing a failed member (server/etcdserver/server.go AddMember/RemoveMember/
PromoteMember/MoveLeader, isLearnerReady; etcdctl/ctlv3/command/member_command.go)."""

import re

from k8score.etcd.cluster import EtcdCluster
from k8score.etcd.etcdctl import etcdctl
from k8score.sim import Loop

ALL = "--endpoints=https://192.168.0.10:2379,https://192.168.0.11:2379,https://192.168.0.12:2379 "


def boot(n=3, seed=1, **kw):
    loop = Loop(seed=seed)
    ec = EtcdCluster(loop, members=n, seed=seed, **kw)
    ec.start()
    ec.wait_for_leader()
    return loop, ec, ec.client()


def _added_id(out):
    return re.match(r"Member +([0-9a-f]+) added", out)[1]


def test_learner_catches_up_from_a_snapshot_then_is_promoted():
    loop, ec, cli = boot(snapshot_count=20, catch_up_entries=5)
    for i in range(40):
        cli.put(f"k{i}", "v")
    out = etcdctl(cli, "member add etcd-4 --peer-urls=https://192.168.0.13:2380 --learner")
    new = _added_id(out)
    assert 'ETCD_INITIAL_CLUSTER_STATE="existing"' in out
    assert ", unstarted, , https://192.168.0.13:2380, , true" in etcdctl(cli, "member list")
    # not started: far behind the leader
    assert etcdctl(cli, f"member promote {new}") == (
        "Error: etcdserver: can only promote a learner member which is in sync with leader")
    m4 = ec.add_process("etcd-4")
    m4.start()
    loop.run(until=loop.now + 2.0)
    assert f"{m4.id:x}" == new and m4.store.revision == cli.revision == 41
    assert m4.store.range("k39").kvs[0].value == "v"      # via the leader's snapshot
    assert (f"{int(new, 16):x}, started, etcd-4, https://192.168.0.13:2380, "
            "https://192.168.0.13:2379, true") in etcdctl(cli, "member list")
    assert etcdctl(cli, f"member promote {new}") == (
        f"Member {int(new, 16):16x} promoted in cluster {ec.cluster_id:16x}")
    loop.run(until=loop.now + 0.5)
    assert m4.id in ec.leader().node.raft.trk.voters
    assert etcdctl(cli, f"member promote {new}") == "Error: etcdserver: can only promote a learner member"


def test_one_learner_at_most_and_peer_urls_unique():
    loop, ec, cli = boot()
    etcdctl(cli, "member add etcd-4 --peer-urls=https://192.168.0.13:2380 --learner")
    assert etcdctl(cli, "member add etcd-5 --peer-urls=https://192.168.0.14:2380 --learner") == (
        "Error: etcdserver: too many learner members in cluster")
    assert etcdctl(cli, "member add etcd-5 --peer-urls=https://192.168.0.13:2380") == (
        "Error: etcdserver: Peer URLs already exists")


def test_quorum_math_with_four_and_five_voters():
    loop, ec, cli = boot(n=5)
    # 5 voters: quorum 3; removing two stopped members is allowed, writes go on with 3
    ec.member("etcd-5").stop()
    ec.member("etcd-4").stop()
    assert cli.put("a", "1").header.revision == 2
    out = etcdctl(cli, f"member remove {ec.member('etcd-5').id:x}")
    assert out.startswith(f"Member {ec.member('etcd-5').id:16x} removed from cluster")
    # 4 voters, 3 running: quorum 3 — one more failure and no write commits
    ec.member("etcd-3").stop()
    assert etcdctl(cli, "put b 2") == "Error: etcdserver: request timed out"
    ec.member("etcd-3").start()
    loop.run(until=loop.now + 3.0)
    assert etcdctl(cli, "put c 3") == "OK"
    # mayAddMember: every voter must be connected (etcd-4 is down) ...
    add = "member add etcd-6 --peer-urls=https://192.168.0.15:2380"
    assert etcdctl(cli, add) == "Error: etcdserver: unhealthy cluster"
    ec.member("etcd-4").start()
    loop.run(until=loop.now + 2.0)
    assert "added to cluster" in etcdctl(cli, add)
    # ... and the added voter, never started, is one no further change can reach
    assert etcdctl(cli, "member add etcd-7 --peer-urls=https://192.168.0.16:2380") == (
        "Error: etcdserver: unhealthy cluster")


def test_move_leader_and_its_errors():
    loop, ec, cli = boot()
    lead = ec.leader()
    target = next(m for m in ec.members if m is not lead)
    assert etcdctl(cli, ALL + f"move-leader {target.id:x}") == (
        f"Leadership transferred from {lead.id:x} to {target.id:x}")
    assert ec.leader() is target
    assert etcdctl(cli, ALL + "move-leader 1234") == "Error: etcdserver: bad leader transferee"
    only_follower = next(m for m in ec.members if m is not target)
    assert etcdctl(cli, f"--endpoints={only_follower.client_urls[0]} move-leader {lead.id:x}") == (
        f"Error: no leader endpoint given at [{only_follower.client_urls[0]}]")


def test_replacing_a_failed_member_remove_wipe_add_start():
    loop, ec, cli = boot(seed=4)
    cli.put("x", "1")
    dead = next(m for m in ec.members if not m.is_leader and m is not cli.endpoint)
    old_id = dead.id
    dead.stop()
    assert "removed from cluster" in etcdctl(cli, f"member remove {old_id:x}")
    dead.wipe()
    out = etcdctl(cli, f"member add {dead.name} --peer-urls={dead.peer_urls[0]}")
    new = int(_added_id(out), 16)
    assert new != old_id
    ec.add_process(dead.name).start()
    loop.run(until=loop.now + 2.0)
    assert dead.running and dead.id == new and dead.store.revision == cli.revision
    assert f"{new:x}, started, {dead.name}" in etcdctl(cli, "member list")
    assert f"{old_id:x}" not in etcdctl(cli, "member list")
    status = etcdctl(cli, ALL + "endpoint status")
    assert len(status.split("\n")) == 3 and status.count(", true, false,") == 1


def test_a_removed_member_exits():
    loop, ec, cli = boot()
    f = next(m for m in ec.members if not m.is_leader)
    etcdctl(cli, f"member remove {f.id:x}")
    loop.run(until=loop.now + 0.5)
    assert not f.running and f.panic == "the member has been permanently removed from the cluster"
