"""The API server compacts etcd every 5 minutes (k8score/apiserver/compactor.py).

Upstream: staging/src/k8s.io/apiserver/pkg/storage/etcd3/compact.go (the compact_rev_key
protocol: a compare-and-swap on the key's version; no compaction on the first tick; compaction
at the revision seen one interval earlier), storagebackend/config.go DefaultCompactInterval 5m.
"""

import pytest

from k8score.api.errors import ApiError
from k8score.apiserver import APIServer
from k8score.apiserver.compactor import COMPACT_REV_KEY, COMPACTION_INTERVAL, Compactor
from k8score.etcd import EtcdError, Store
from k8score.sim import Loop
from tests.apihelpers import default_service_accounts


def _cm(api, name, n):
    api.create("configmaps", {"metadata": {"name": name}, "data": {"n": str(n)}}, namespace="default")


def test_the_first_compaction_comes_after_two_intervals_at_the_revision_seen_one_interval_earlier():
    loop, store = Loop(seed=1), Store()
    api = APIServer(loop, store, seed=0)
    api.start()
    default_service_accounts(api)
    assert COMPACTION_INTERVAL == 300
    loop.run(until=299.9)
    assert store.compact_revision == 0 and store.range(COMPACT_REV_KEY).kvs == []
    loop.run(until=300)
    kv = store.range(COMPACT_REV_KEY).kvs[0]
    assert (kv.value, kv.version) == ("0", 1)     # bootstrap: the key is claimed, nothing compacted
    assert store.compact_revision == 0
    seen = store.revision                         # includes the put of compact_rev_key
    _cm(api, "later", 1)
    loop.run(until=599.9)
    assert store.compact_revision == 0
    loop.run(until=600)
    assert store.compact_revision == seen
    kv = store.range(COMPACT_REV_KEY).kvs[0]
    assert (kv.value, kv.version) == (str(seen), 2)
    assert api.compactor.log[-1] == (600.0, f"etcd: compacted rev ({seen})")
    at_600 = store.revision                       # after the key's second put
    _cm(api, "newest", 2)
    loop.run(until=900)
    assert store.compact_revision == at_600


def test_a_list_at_a_compacted_revision_is_410_expired_and_a_newer_one_answers():
    loop, store = Loop(seed=1), Store()
    api = APIServer(loop, store, seed=0)
    api.start()
    default_service_accounts(api)
    _cm(api, "a", 1)
    old = store.revision
    loop.run(until=300)
    _cm(api, "b", 2)
    kept = store.revision
    loop.run(until=600)
    assert store.compact_revision > old
    with pytest.raises(ApiError) as e:
        api.list("configmaps", "default", resource_version=str(old), resourceVersionMatch="Exact")
    assert e.value.code == 410 and e.value.status["reason"] == "Expired"
    names = [o["metadata"]["name"] for o in
             api.list("configmaps", "default", resource_version=str(kept), resourceVersionMatch="Exact")["items"]]
    assert {"a", "b"} <= set(names)


def test_two_servers_on_one_etcd_compact_once_per_interval_and_the_survivor_takes_over():
    loop, store = Loop(seed=1), Store()
    a, b = APIServer(loop, store, seed=0, name="kube-apiserver-a"), APIServer(loop, store, seed=1, name="kube-apiserver-b")
    a.start()
    b.start()
    loop.run(until=900)
    # one compaction per interval (600 s and 900 s), each by the server whose CAS won
    done = [line for srv in (a, b) for line in srv.compactor.log if "compacted" in line[1]]
    assert [t for t, _ in sorted(done)] == [600.0, 900.0]
    assert store.range(COMPACT_REV_KEY).kvs[0].version == 3
    winner = a if any("compacted" in l for _, l in a.compactor.log) else b
    other = b if winner is a else a
    assert not any("compacted" in l for _, l in other.compactor.log)
    winner.stop()
    before = store.compact_revision
    loop.run(until=1200)
    # the survivor adopted the clock (the key's version) at 900 s, after the winner's put, so its
    # own CAS succeeds at the next tick and it compacts at the revision it saw then
    assert store.compact_revision > before
    assert other.compactor.log[-1] == (1200.0, f"etcd: compacted rev ({store.compact_revision})")
    assert store.range(COMPACT_REV_KEY).kvs[0].version == 4


class _Down:
    revision = 5

    def txn(self, *a):
        raise EtcdError("etcdserver: request timed out")


def test_an_unavailable_etcd_is_logged_and_retried_next_tick():
    c = Compactor(_Down())
    c.tick(300.0)
    assert c.log == [(300.0, "etcd: compact failed: etcdserver: request timed out")]
    assert (c.time, c.rev) == (0, 0)


def test_a_cluster_keeps_working_across_compactions():
    from k8score import Cluster
    c = Cluster(nodes=1, seed=3)
    c.run(700)
    assert c.etcd.compact_revision > 0
    c.kubectl("create deployment web --image=nginx --replicas=2")
    assert c.run(until=lambda: len([p for p in c.apiserver.lister.list("pods", "default")
                                    if (p.get("status") or {}).get("phase") == "Running"]) == 2, timeout=60)
    c.kubectl("scale deployment web --replicas=1")
    c.run(650)                                   # through two more compactions
    assert len(c.apiserver.lister.list("pods", "default")) == 1
