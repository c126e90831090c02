"""The scheduler's fast paths give the same answers as the plain ones.

Upstream references: ``pkg/scheduler/backend/cache/cache.go`` (``UpdateSnapshot``: only
nodes whose generation is newer than the snapshot's are cloned; the affinity node lists
are rebuilt only when a node joins or leaves them), ``pkg/scheduler/schedule_one.go``
(``findNodesThatPassFilters`` stops at ``numFeasibleNodesToFind``; ``selectHost`` draws
among tied nodes), ``framework/runtime/framework.go`` (``RunFilterPlugins``: a node keeps
the first rejecting plugin's verdict), ``noderesources/{fit,least_allocated,
balanced_allocation}.go``, ``tainttoleration/taint_toleration.go``.
"""

import random

import pytest

from k8score.scheduler import CycleState, Framework, SchedulerCache, Snapshot
from k8score.scheduler.algorithm import Algorithm, Diagnosis, SchedulingError, _Rotated
from k8score.scheduler.interface import FilterPlugin
from k8score.scheduler.nodeinfo import NodeInfo
from k8score.scheduler.plugins import build_profile, default_profile
from k8score.scheduler.plugins.balanced_allocation import BalancedAllocation
from k8score.scheduler.plugins.fit import NodeResourcesFit
from k8score.scheduler.plugins.taint_toleration import TaintToleration
from k8score.scheduler.scores import NodeScores, ScoreTable
from k8score.scheduler.status import Code, Status
from k8score.scheduler.testing import make_node, make_pod, taint, toleration


def bound(name, node, cpu="500m", anti=False):
    pod = make_pod(name, {"cpu": cpu, "memory": "256Mi"}, node_name=node)
    if anti:
        pod["metadata"]["labels"] = {"app": "db"}
        pod["spec"]["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    return pod


def cache_of(n):
    cache = SchedulerCache()
    for i in range(n):
        cache.add_node(make_node(f"node-{i}", cpu="4", memory="8Gi"))
    return cache


# -- incremental snapshot ------------------------------------------------------------------

def test_only_the_nodes_changed_since_the_last_snapshot_are_copied(monkeypatch):
    cache = cache_of(50)
    snap = Snapshot()
    cache.update_snapshot(snap)
    before = {ni.name: ni for ni in snap.node_infos}
    copies = []
    real = NodeInfo.copy_from
    monkeypatch.setattr(NodeInfo, "copy_from", lambda self, other: (copies.append(other.name), real(self, other)))
    cache.assume_pod(bound("web-1", "node-7"))
    cache.add_pod(bound("web-2", "node-9"))
    cache.update_snapshot(snap)
    assert sorted(copies) == ["node-7", "node-9"]
    assert snap.get("node-7").requested_cpu == 500 and snap.get("node-9").requested_cpu == 500
    # the other 48 are the very same objects, untouched; the list order holds the same objects
    assert all(snap.get(n) is ni for n, ni in before.items())
    assert [ni.name for ni in snap.node_infos] == list(before)
    copies.clear()
    cache.update_snapshot(snap)            # nothing changed: nothing copied
    assert copies == []


def test_a_fresh_snapshot_gets_every_node_and_a_removed_node_leaves_every_snapshot():
    cache = cache_of(5)
    first = Snapshot()
    cache.update_snapshot(first)
    cache.add_pod(bound("web-1", "node-2"))
    cache.remove_node("node-4")
    fresh = Snapshot()                     # generation 0: everything is newer than it
    cache.update_snapshot(fresh)
    assert [ni.name for ni in fresh.node_infos] == ["node-0", "node-1", "node-2", "node-3"]
    assert fresh.get("node-2").requested_cpu == 500
    cache.update_snapshot(first)           # the older snapshot catches up by comparison
    assert [ni.name for ni in first.node_infos] == ["node-0", "node-1", "node-2", "node-3"]
    assert first.get("node-2").requested_cpu == 500 and first.get("node-4") is None
    assert fresh.get("node-2") is not cache.node_info("node-2")   # copies, not the cache's own


def test_affinity_lists_are_rebuilt_only_when_a_node_joins_or_leaves_them(monkeypatch):
    cache = cache_of(4)
    snap = Snapshot()
    cache.update_snapshot(snap)
    rebuilt = []
    real = Snapshot.refresh_lists
    monkeypatch.setattr(Snapshot, "refresh_lists",
                        lambda self, images=True: (rebuilt.append(images), real(self, images)))
    cache.add_pod(bound("db-1", "node-1", anti=True))
    cache.update_snapshot(snap)
    assert rebuilt == [False]              # the image summary is not recounted for it
    assert [ni.name for ni in snap.have_pods_with_required_anti_affinity] == ["node-1"]
    # a second such pod on a listed node, and a plain pod: the lists stay, their entry is current
    cache.add_pod(bound("db-2", "node-1", anti=True))
    cache.add_pod(bound("web-1", "node-2"))
    cache.update_snapshot(snap)
    assert len(rebuilt) == 1
    assert sorted(snap.have_pods_with_affinity[0].with_affinity) == ["default/db-1", "default/db-2"]
    cache.remove_pod(bound("db-1", "node-1", anti=True))
    cache.update_snapshot(snap)
    assert len(rebuilt) == 1
    cache.remove_pod(bound("db-2", "node-1", anti=True))   # node-1 leaves both lists
    cache.update_snapshot(snap)
    assert len(rebuilt) == 2
    assert snap.have_pods_with_affinity == [] and snap.have_pods_with_required_anti_affinity == []


# -- filtering in chunks ---------------------------------------------------------------------

def random_nodes(rng, n):
    nodes, pods = [], []
    for i in range(n):
        kind = rng.random()
        taints = [taint("dedicated", "db", rng.choice(["NoSchedule", "PreferNoSchedule"]))] if kind < 0.15 else []
        nodes.append(make_node(f"n{i:03d}", cpu=rng.choice(["1", "2", "4"]), memory="4Gi",
                               pods=rng.choice(["3", "110"]), taints=taints, unschedulable=0.15 <= kind < 0.2))
        for j in range(rng.randrange(4)):
            pods.append(make_pod(f"p{i}-{j}", {"cpu": rng.choice(["500m", "1"]), "memory": "1Gi"},
                                 node_name=f"n{i:03d}"))
    return Snapshot.from_objects(nodes, pods)


def run_both(fw, snap, pod, start, to_find):
    alg = Algorithm(random.Random(0))
    out = []
    for chunked in (False, True):
        state = CycleState()
        fw.run_pre_filter(state, pod, snap.node_infos)
        d = Diagnosis()
        order = snap.node_infos[start:] + snap.node_infos[:start]
        try:
            if chunked:
                feasible = alg._filter_in_chunks(fw, state, pod, d, _Rotated(snap.node_infos, start), to_find,
                                                 state.filter_plugins)
            else:
                feasible = alg._filter_one_by_one(fw, state, pod, d, order, to_find)
        except SchedulingError as e:
            out.append(("error", e.status.plugin, e.status.message))
            continue
        out.append(([ni.name for ni in feasible], d.evaluated,
                    [(n, s.plugin, s.code, s.reasons) for n, s in d.node_to_status.items()],
                    sorted(d.unschedulable_plugins)))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_filtering_in_chunks_gives_the_node_by_node_verdicts_and_stops_at_the_same_node(seed):
    rng = random.Random(seed)
    snap = random_nodes(rng, 150)
    fw = Framework(default_profile())
    pods = [make_pod("plain", {"cpu": "1", "memory": "1Gi"}),
            make_pod("big", {"cpu": "3"}),
            make_pod("tolerant", {"cpu": "500m"}, tolerations=[toleration("dedicated", "Equal", "db")]),
            make_pod("pinned", {"cpu": "100m"}, node_name="n042")]
    for pod in pods:
        for to_find in (1, 7, 64, 65, 100, 150):
            slow, fast = run_both(fw, snap, pod, rng.randrange(150), to_find)
            assert fast == slow, (pod["metadata"]["name"], to_find)
            assert len(slow[0]) <= to_find


def test_nodes_with_nominated_pods_count_them_in_chunks_too():
    from k8score.scheduler.nominator import Nominator
    rng = random.Random(11)
    snap = random_nodes(rng, 120)
    fw = Framework(default_profile())
    pod = make_pod("mid", {"cpu": "500m"}, priority=10)
    before = {n: r for n, _, _, r in run_both(fw, snap, pod, 0, 120)[0][2]}
    vips = ("n003", "n010", "n011", "n070", "n119")
    spare = next(ni.name for ni in snap.node_infos if ni.name not in before and ni.name not in vips)
    fw.nominator = Nominator()
    # higher-priority pods nominated to a few nodes take their room; a lower-priority one does not
    for i, node in enumerate(vips):
        fw.nominator.add(make_pod(f"vip-{i}", {"cpu": "3500m"}, priority=100), node)
    fw.nominator.add(make_pod("low", {"cpu": "3500m"}, priority=-5), spare)
    for start, to_find in ((0, 120), (2, 5), (60, 64), (100, 30)):
        slow, fast = run_both(fw, snap, pod, start, to_find)
        assert fast == slow
    after = {n: r for n, _, _, r in run_both(fw, snap, pod, 0, 120)[1][2]}
    assert "n003" not in before and after["n003"] == ("Insufficient cpu",)       # 1 cpu, empty
    assert before["n119"] == ("Insufficient cpu",) and after["n119"] == ("Too many pods", "Insufficient cpu")
    assert spare not in after


class Flaky(FilterPlugin):
    """Errs on some nodes, rejects others: the first verdict in scan order must win."""
    name = "Flaky"

    def filter(self, state, pod, node_info):
        i = int(node_info.name[1:])
        if i % 7 == 3:
            return Status(Code.ERROR, f"broken on {node_info.name}")
        if i % 5 == 0:
            return Status(Code.UNSCHEDULABLE, "nope")
        return None


def test_the_first_error_in_scan_order_is_raised_as_node_by_node():
    rng = random.Random(7)
    snap = random_nodes(rng, 80)
    fw = Framework(build_profile(plugins=[("NodeUnschedulable", 0), ("TaintToleration", 3),
                                          ("NodeResourcesFit", 1), ("DefaultBinder", 0)]))
    fw._points["Filter"].append(Flaky())     # after the others: it sees only what they let through
    for start in (0, 4, 11, 40):
        slow, fast = run_both(fw, snap, make_pod("x", {"cpu": "100m"}), start, 80)
        assert fast == slow
        assert slow[0] == "error"


# -- scoring ---------------------------------------------------------------------------------

def test_batch_scores_equal_per_node_scores():
    rng = random.Random(3)
    snap = random_nodes(rng, 120)
    zero = NodeInfo(make_node("zero", cpu="0", memory="0"))        # nothing allocatable
    nocpu = NodeInfo(make_node("nocpu", cpu="0", memory="2Gi"))
    nodes = snap.node_infos + [zero, nocpu]
    for pod in (make_pod("a", {"cpu": "300m", "memory": "100Mi"}), make_pod("b", {"cpu": "5", "memory": "9Gi"}),
                make_pod("c", {"memory": "1Gi"}), make_pod("t", {"cpu": "1"},
                                                          tolerations=[toleration("dedicated", "Exists")])):
        for plugin in (NodeResourcesFit(), BalancedAllocation(), TaintToleration()):
            state = CycleState()
            s = plugin.pre_score(state, pod, nodes)
            if s is not None and s.is_skip():
                continue
            assert plugin.score_nodes(state, pod, nodes) == [plugin.score(state, pod, ni) for ni in nodes]


def test_topology_spread_batch_filter_equals_per_node_filter():
    from k8score.scheduler.plugins.pod_topology_spread import PodTopologySpread
    rng = random.Random(5)
    nodes = [make_node(f"z{i:02d}", zone=f"zone-{i % 3}" if i % 11 else None) for i in range(40)]
    pods = []
    for i in range(60):
        p = make_pod(f"w{i}", {"cpu": "10m"}, node_name=f"z{rng.randrange(40):02d}")
        p["metadata"]["labels"] = {"app": "web"} if rng.random() < 0.7 else {"app": "db"}
        pods.append(p)
    snap = Snapshot.from_objects(nodes, pods)
    for skew, labels in ((1, {"app": "web"}), (3, {"app": "web"}), (1, {"app": "other"})):
        pod = make_pod("new", {"cpu": "10m"})
        pod["metadata"]["labels"] = labels
        pod["spec"]["topologySpreadConstraints"] = [
            {"maxSkew": skew, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": {"matchLabels": {"app": "web"}}},
            {"maxSkew": skew + 4, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": {"matchLabels": {"app": "web"}}}]
        pl = PodTopologySpread()
        state = CycleState()
        _, s = pl.pre_filter(state, pod, snap.node_infos)
        assert s is None
        fast = pl.filter_nodes(state, pod, snap.node_infos)
        slow = [pl.filter(state, pod, ni) for ni in snap.node_infos]
        assert [(v.code, v.reasons) if v else None for v in fast] == [(v.code, v.reasons) if v else None for v in slow]
        assert any(v is None for v in slow) and any(v is not None for v in slow)


def test_the_score_table_reads_as_node_scores_and_select_host_draws_the_same_host():
    t = ScoreTable(["a", "b", "c", "d"])
    t.add("TaintToleration", 3, [0, 0, 1, 0], [100, 100, 0, 100])
    t.add("NodeResourcesFit", 1, [40, 55, 90, 55], [40, 55, 90, 55])
    assert t.totals == [340, 355, 90, 355]
    rows = list(t)
    assert [(ns.name, ns.total) for ns in rows] == [("a", 340), ("b", 355), ("c", 90), ("d", 355)]
    assert [(ps.plugin, ps.raw, ps.normalized, ps.weighted) for ps in rows[2].scores] == \
        [("TaintToleration", 1, 0, 0), ("NodeResourcesFit", 90, 90, 90)]
    as_list = []
    for name, total in zip(t.names, t.totals):
        ns = NodeScores(name)
        ns.total = total
        as_list.append(ns)
    for seed in range(20):
        assert Algorithm(random.Random(seed)).select_host(t) == Algorithm(random.Random(seed)).select_host(as_list)
    picks = {Algorithm(random.Random(seed)).select_host(t)[0] for seed in range(40)}
    assert picks == {"b", "d"}
    assert Algorithm(random.Random(1)).select_host(t)[1] == ["b", "d"]
