"""Zone-aware, rate-limited NoExecute tainting in the node lifecycle controller.

Upstream: pkg/controller/nodelifecycle/node_lifecycle_controller.go (ComputeZoneState,
handleDisruption, setLimiterInZone, ReducedQPSFunc, processTaintBaseEviction,
doNoExecuteTaintingPass, markNodeAsReachable), scheduler/rate_limited_queue.go
(RateLimitedTimedQueue, SwapLimiter, EvictionRateLimiterBurst 1), component-base defaults in
cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go (--node-eviction-rate 0.1,
--secondary-node-eviction-rate 0.01, --unhealthy-zone-threshold 0.55,
--large-cluster-size-threshold 50), pkg/util/node GetZoneKey.
"""

from __future__ import annotations

import pytest

from k8score import Cluster
from k8score.controllers import nodelifecycle_zones as zones
from k8score.sim import Loop
from k8score.sim.clock import parse

ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"


# -- the pure rules ---------------------------------------------------------------------
def test_zone_state_thresholds_on_both_sides():
    T, F, U = "True", "False", "Unknown"
    assert zones.compute_zone_state([U, U]) == (2, "FullDisruption")
    assert zones.compute_zone_state([None]) == (1, "FullDisruption")   # never reported: not Ready
    assert zones.compute_zone_state([]) == (0, "Normal")
    # more than 2 not-Ready AND at least 55 %
    assert zones.compute_zone_state([T, U, U]) == (2, "Normal")            # 67 % but only 2
    assert zones.compute_zone_state([T, U, U, U]) == (3, "PartialDisruption")  # 75 %
    assert zones.compute_zone_state([T, T, T, F, U, U]) == (3, "Normal")        # 50 %
    assert zones.compute_zone_state([T, T, T, F, U, U, U]) == (4, "PartialDisruption")  # 57 %
    assert zones.compute_zone_state([T, T, T, F, U, U, U], threshold=0.6) == (4, "Normal")


def test_zone_rates_small_and_large_clusters():
    assert zones.zone_qps("Normal", 4) == 0.1
    assert zones.zone_qps("FullDisruption", 4) == 0.1     # HealthyQPSFunc: other zones are fine
    assert zones.zone_qps("PartialDisruption", 50) == 0.0  # small: stop
    assert zones.zone_qps("PartialDisruption", 51) == 0.01  # large: secondary rate


def test_zone_key():
    node = {"metadata": {"labels": {ZONE: "a", REGION: "r"}}}
    assert zones.zone_key(node) == "r:\x00:a" and zones.zone_name("r:\x00:a") == "a"
    assert zones.zone_key({"metadata": {}}) == ""
    assert zones.zone_key({"metadata": {"labels": {"failure-domain.beta.kubernetes.io/zone": "b"}}}) == ":\x00:b"


def test_rate_limited_queue_one_node_per_ten_seconds_and_swap():
    loop = Loop()
    q = zones.RateLimitedTimedQueue(loop, 0.1)
    done: list[tuple[float, str]] = []

    def act(name, uid):
        done.append((loop.now, name))
        return True, 0.0
    for n in ("a", "b", "c"):
        assert q.add(n, n)
    assert not q.add("a", "a")                 # unique
    for t in range(0, 250):                    # every 100 ms for 25 s
        loop.run(until=t / 10)
        q.try_(act)
    assert done == [(0.0, "a"), (10.0, "b"), (20.0, "c")]
    q.add("d", "d")
    q.swap_limiter(0.0)                        # PartialDisruption in a small zone
    loop.run(until=100)
    q.try_(act)
    assert len(done) == 3 and "d" in q
    q.swap_limiter(0.1)     # SwapLimiter drains the new bucket when the old one had no token
    q.try_(act)
    assert len(done) == 3
    loop.run(until=110)
    q.try_(act)
    assert done[-1] == (110.0, "d")


# -- in a cluster ------------------------------------------------------------------------
DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
          "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}


def _zoned_cluster(zones_of: dict[str, str], seed: int = 0) -> Cluster:
    c = Cluster(nodes=len(zones_of), seed=seed, cloud=False)   # our labels, not a cloud's
    for name, zone in zones_of.items():
        c.api.patch("nodes", name, {"metadata": {"labels": {ZONE: zone, REGION: "r1"}}})
    c.api.create("deployments", DEPLOY, "default")
    c.run(20)
    return c


def _taints(c, node):
    return {(t["key"], t["effect"]): t for t in c.get("nodes", node)["spec"].get("taints") or ()}


def _evictions(c):
    return [e for e in c.events("default") if e["reason"] == "TaintManagerEviction"]


def _nlc(c):
    return c.component("kube-controller-manager").controller("nodelifecycle")


def test_three_of_four_lost_in_a_small_zone_are_not_evicted_then_recover():
    c = _zoned_cluster({f"node-{i}": "a" for i in range(1, 5)})
    for i in (2, 3, 4):
        c.stop(f"kubelet/node-{i}")
    c.run(70)
    for i in (2, 3, 4):
        ready = next(x for x in c.get("nodes", f"node-{i}")["status"]["conditions"] if x["type"] == "Ready")
        assert ready["status"] == "Unknown"
        # NoSchedule follows at once; NoExecute waits in the zone's stopped queue
        assert set(_taints(c, f"node-{i}")) == {("node.kubernetes.io/unreachable", "NoSchedule")}
    assert _nlc(c).zone_states == {"r1:\x00:a": "PartialDisruption"}
    # the pods still get NodeNotReady and lose Ready
    lost = [p for p in c.get("pods") if p["spec"].get("nodeName") != "node-1"]
    warned = {e["involvedObject"]["name"] for e in c.events("default") if e["reason"] == "NodeNotReady"}
    assert lost and {p["metadata"]["name"] for p in lost} <= warned
    c.run(400)
    assert _evictions(c) == []
    assert all(not p["metadata"].get("deletionTimestamp") for p in c.get("pods"))
    for i in (2, 3, 4):
        c.start(f"kubelet/node-{i}")
    c.run(20)
    assert _nlc(c).zone_states == {"r1:\x00:a": "Normal"}
    assert all(not _taints(c, f"node-{i}") for i in range(1, 5))


def test_one_of_four_lost_is_tainted_then_evicted_after_300s():
    c = _zoned_cluster({f"node-{i}": "a" for i in range(1, 5)}, seed=1)
    victims = [p["metadata"]["name"] for p in c.get("pods") if p["spec"].get("nodeName") == "node-4"]
    c.stop("kubelet/node-4")
    c.run(70)
    ready = next(x for x in c.get("nodes", "node-4")["status"]["conditions"] if x["type"] == "Ready")
    unknown_at = parse(ready["lastTransitionTime"])
    taint = _taints(c, "node-4")[("node.kubernetes.io/unreachable", "NoExecute")]
    # queued at the next monitor pass (5 s), tainted at the next 100 ms tainting pass
    assert 5.0 <= parse(taint["timeAdded"]) - unknown_at <= 5.2
    assert _nlc(c).zone_states == {"r1:\x00:a": "Normal"}
    tainted_at = parse(taint["timeAdded"])
    c.run(tainted_at + 299 - c.now)
    assert _evictions(c) == []
    c.run(2)
    evicted = sorted(e["involvedObject"]["name"] for e in _evictions(c))
    assert evicted == sorted(victims) and victims
    assert all(300 <= parse(e["firstTimestamp"]) - tainted_at <= 301 for e in _evictions(c))


def test_rate_limit_and_full_disruption_of_one_zone_among_healthy_ones():
    # zone a: 2 nodes, both lost (FullDisruption there, but zone b is healthy: evict at the
    # normal rate, one node per 10 s)
    c = _zoned_cluster({"node-1": "a", "node-2": "a", "node-3": "b", "node-4": "b"}, seed=2)
    c.stop("kubelet/node-1")
    c.stop("kubelet/node-2")
    c.run(80)
    states = _nlc(c).zone_states
    assert states == {"r1:\x00:a": "FullDisruption", "r1:\x00:b": "Normal"}
    added = sorted(parse(_taints(c, n)[("node.kubernetes.io/unreachable", "NoExecute")]["timeAdded"])
                   for n in ("node-1", "node-2"))
    assert 9.9 <= added[1] - added[0] <= 10.2     # --node-eviction-rate 0.1: one node per 10 s


def test_every_zone_lost_means_no_tainting_master_disruption_mode():
    c = _zoned_cluster({"node-1": "a", "node-2": "b"}, seed=3)
    c.stop("kubelet/node-1")
    c.stop("kubelet/node-2")
    c.run(400)
    assert set(_nlc(c).zone_states.values()) == {"FullDisruption"}
    for n in ("node-1", "node-2"):
        assert ("node.kubernetes.io/unreachable", "NoExecute") not in _taints(c, n)
    assert _evictions(c) == []


def test_ready_false_gets_not_ready_then_swaps_to_unreachable():
    c = _zoned_cluster({f"node-{i}": "a" for i in range(1, 5)}, seed=4)
    c.stop("kubelet/node-4")
    node = c.get("nodes", "node-4")
    from k8score.sim.clock import rfc3339
    stamp = rfc3339(c.now)
    conds = [dict(x, status="False", reason="KubeletNotReady", message="container runtime is down",
                  lastHeartbeatTime=stamp, lastTransitionTime=stamp) if x["type"] == "Ready" else x
             for x in node["status"]["conditions"]]
    c.api.patch("nodes", "node-4", {"status": {"conditions": conds}}, subresource="status")
    c.run(6)
    taints = _taints(c, "node-4")
    assert set(taints) == {("node.kubernetes.io/not-ready", "NoSchedule"), ("node.kubernetes.io/not-ready", "NoExecute")}
    # no heartbeat for the grace period: Unknown, and the NoExecute taint is swapped at once
    c.run(60)
    taints = _taints(c, "node-4")
    assert set(taints) == {("node.kubernetes.io/unreachable", "NoSchedule"),
                           ("node.kubernetes.io/unreachable", "NoExecute")}


@pytest.mark.parametrize("nodes", [0])
def test_no_nodes_no_zones(nodes):
    c = Cluster(nodes=nodes, seed=0, cloud=False)
    c.run(10)
    assert _nlc(c).zone_states == {}
