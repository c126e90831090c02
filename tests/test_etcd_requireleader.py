"""WithRequireLeader watches (clientv3): a member cut off from its cluster cancels them
with ``etcdserver: no leader`` after 3 election timeouts without a leader
(server/etcdserver/api/v3rpc/interceptor.go monitorLeader, maxNoLeaderCnt; watch.go), refuses
new ones while leaderless (newStreamInterceptor), and the client re-watches on a member that
has a leader from the next revision (k8s.io/apiserver etcd3/watcher.go opens every watch
WithRequireLeader; the reflector re-watches), so the API server's watch cache resumes.
"""

from k8score import Cluster
from k8score.etcd.cluster import ERR_NO_LEADER, Client, EtcdCluster
from k8score.sim import Loop


def boot(seed=4):
    loop = Loop(seed=seed)
    ec = EtcdCluster(loop, members=3, seed=seed)
    ec.start()
    ec.wait_for_leader()
    loop.run(until=loop.now + 1.0)
    return loop, ec


def test_a_cut_off_member_cancels_require_leader_watches_and_the_client_moves():
    loop, ec = boot()
    rl, plain = [], []
    w = ec.client("etcd-1").watch("k", callback=rl.append)           # WithRequireLeader
    p = Client(ec).use("etcd-1").watch("k", callback=plain.append)   # a plain watch
    assert w.require_leader and not p.require_leader
    writer = ec.client("etcd-2")
    writer.put("k", "0")
    t0 = loop.now
    ec.partition(["etcd-1"], ["etcd-2", "etcd-3"])
    revs = []
    for i in range(1, 9):                    # a write every second through the majority
        loop.run(until=t0 + i)
        revs.append(writer.put("k", str(i)).header.revision)
    m1 = ec.member("etcd-1")
    assert m1.leader == 0 and m1.no_leader_count >= 3
    # cancelled once, by etcd-1, at least 3 election timeouts (3 s) after the cut
    assert [(who, why) for _, who, why in w.interruptions] == [("etcd-1", ERR_NO_LEADER)]
    assert 3.0 <= w.interruptions[0][0] - t0 <= 6.0
    canceled = [r for r in rl if r.canceled]
    assert len(canceled) == 1 and canceled[0].cancel_reason == "etcdserver: no leader"
    assert w.member.name in ("etcd-2", "etcd-3") and w.member.leader
    # every revision once, in order: the re-watch started where delivery stopped
    seen = [e.kv.mod_revision for r in rl for e in r.events]
    assert seen == [revs[0] - 1] + revs
    # the plain watch stays on the cut-off member and misses what the majority wrote
    assert p.member is m1 and [e.kv.value for r in plain for e in r.events] == ["0"]
    # a new require-leader watch through etcd-1 is refused there and opens elsewhere
    w2 = ec.client("etcd-1").watch("k", callback=lambda r: None)
    assert w2.member is not m1 and w2.member.leader
    ec.heal()
    loop.run(until=loop.now + 3)
    assert [e.kv.value for r in plain for e in r.events] == [str(i) for i in range(9)]


def test_no_member_with_a_leader_the_watch_waits_then_resumes():
    loop, ec = boot()
    got = []
    w = ec.client("etcd-1").watch("k", callback=got.append)
    ec.partition(["etcd-1"], ["etcd-2"], ["etcd-3"])       # no quorum anywhere
    loop.run(until=loop.now + 8)
    assert w.member is None and len(w.interruptions) == 1
    ec.heal()
    assert ec.wait_for_leader()
    loop.run(until=loop.now + 2)                           # the 1 s retry finds a member
    assert w.member is not None and w.member.leader
    ec.client("etcd-2").put("k", "after")
    assert [e.kv.value for r in got for e in r.events] == ["after"]


def test_the_api_servers_watch_cache_resumes_through_another_member():
    c = Cluster(nodes=0, control_planes=3, seed=1)
    a1, a2 = c.apiservers[0], c.apiservers[1]
    assert a1.store.endpoint.name == "etcd-1"              # kube-apiserver-1 reads etcd-1
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "", "namespace": "default"}}
    from k8score.client import Client as Api
    k1, k2 = Api(a1, user="kubernetes-admin"), Api(a2, user="kubernetes-admin")
    c.partition(["etcd-1"], ["etcd-2", "etcd-3"])
    c.run(1)
    k2.create("configmaps", dict(cm, metadata={"name": "early", "namespace": "default"}))
    # the cache of kube-apiserver-1 still watches through etcd-1: it has not seen it yet
    names = lambda: sorted(o["metadata"]["name"] for o in k1.list("configmaps", namespace="default", resource_version="0")["items"])
    assert "early" not in names()
    c.run(6)                               # etcd-1 cancels the watches; they move
    k2.create("configmaps", dict(cm, metadata={"name": "late", "namespace": "default"}))
    assert {"early", "late"} <= set(names())
    watches = [w for w in a1.store._watches if w.interruptions]
    assert watches and all(w.member.name != "etcd-1" for w in watches)
