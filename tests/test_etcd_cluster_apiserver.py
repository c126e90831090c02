"""The API server on a 3-member etcd: it keeps serving through a leader change, its watch
cache follows a member failure, and without quorum requests fail with etcd's errors.

Upstream: k8s.io/apiserver/pkg/storage/etcd3/store.go (etcd errors are passed on),
endpoints/handlers/responsewriters/status.go ErrorToAPIStatus (a plain error is a 500 with
no reason: kubectl prints ``Error from server: <etcd's text>``), storage/cacher (a list
without resourceVersion makes a quorum read first: ConsistentListFromCache, GA in 1.34).
"""

import pytest

from k8score import Cluster
from k8score.api.errors import ApiError

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}}


@pytest.fixture(scope="module")
def ha():
    return Cluster(nodes=1, seed=0, etcd_members=3)


def running(c):
    """Running web pods, read from the API server's cache (no etcd round trip per event)."""
    return [p for p in c.apiserver.lister.list("pods", "default")
            if p["metadata"]["name"].startswith("web-") and p["status"].get("phase") == "Running"]


def test_three_members_replace_the_lone_etcd(ha):
    assert [n for n in ha.components() if n.startswith("etcd")] == ["etcd-1", "etcd-2", "etcd-3"]
    revs = {m.store.revision for m in ha.etcd_cluster.members}
    assert len(revs) <= 2     # followers learn the last commit on the next heartbeat
    ha.run(0.2)
    assert len({m.store.revision for m in ha.etcd_cluster.members}) == 1


def test_api_keeps_serving_through_a_leader_crash(ha):
    lead = ha.etcd_cluster.leader()
    t0 = ha.now
    ha.stop(lead.name)
    # at once: the survivors still follow the dead leader -> etcd's timeout, as a 500
    with pytest.raises(ApiError) as e:
        ha.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "early"}})
    assert (e.value.code, e.value.reason, e.value.message) == (500, "", "etcdserver: request timed out")
    assert ha.kubectl("get pods") == "Error from server: etcdserver: request timed out\n"
    assert ha.run(until=lambda: ha.etcd_cluster.leader() is not None, timeout=3)
    assert 1.0 <= ha.now - t0 < 2.2
    ha.apply(DEPLOY)
    assert ha.run(until=lambda: len(running(ha)) == 2, timeout=30)   # controllers' watches followed
    ha.start(lead.name)
    ha.run(1.0)
    assert len({m.store.revision for m in ha.etcd_cluster.members}) == 1


def test_quorum_lost_then_no_leader_then_back(ha):
    lead = ha.etcd_cluster.leader()
    followers = [m.name for m in ha.etcd_cluster.members if m is not lead]
    ha.etcd.use(lead.name)
    for name in followers:
        ha.stop(name)
    # the leader does not know yet: its ReadIndex heartbeat round gets no quorum
    assert ha.kubectl("get pods") == "Error from server: etcdserver: request timed out\n"
    ha.run(2.5)   # CheckQuorum: after an election timeout without a quorum it steps down
    assert ha.kubectl("get pods") == "Error from server: etcdserver: no leader\n"
    assert "Error from server: etcdserver: no leader" in ha.kubectl("scale deployment web --replicas=3")
    for name in followers:
        ha.start(name)
    assert ha.run(until=lambda: ha.etcd_cluster.leader() is not None, timeout=5)
    assert ha.kubectl("get pods").startswith("NAME ")
    assert ha.kubectl("scale deployment web --replicas=3") == "deployment.apps/web scaled\n"
    assert ha.run(until=lambda: len(running(ha)) == 3, timeout=30)


def test_stopping_the_only_etcd_stops_the_api():
    c = Cluster(nodes=0, seed=1)
    assert c.components()[1] == "etcd"
    c.stop("etcd")
    out = c.kubectl("get pods")
    assert out == ('Error from server: rpc error: code = Unavailable desc = connection error: desc = '
                   '"transport: Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused"\n')
    c.start("etcd")
    assert c.kubectl("get pods") == "No resources found in default namespace.\n"
