"""The snapshot's per-node columns change no placement.

Upstream references: ``pkg/scheduler/backend/cache/snapshot.go`` and ``cache.go``
(``UpdateSnapshot``: a snapshot is brought up to date node by node, by generation),
``pkg/scheduler/schedule_one.go`` (``findNodesThatPassFilters`` from
``nextStartNodeIndex`` until ``numFeasibleNodesToFind``; ``prioritizeNodes``;
``selectHost``'s reservoir sampling with the seeded RNG), ``framework/plugins/
noderesources/{fit,least_allocated,balanced_allocation}.go``,
``tainttoleration/taint_toleration.go``, ``nodeunschedulable/node_unschedulable.go``,
``helper/normalize_score.go`` (``DefaultNormalizeScore``).

Plugins on the default profile read verdicts and scores of the nodes a cycle looks at
from columns kept in the snapshot per pod shape (``CycleState.node_range``); between
cycles only the changed nodes are recomputed. A workload mixing pod shapes, best-effort
pods, PreferNoSchedule/NoSchedule taints, cordoned nodes, nodes filling up, node updates,
removals and additions is placed pod by pod through ``SchedulerCache`` and ``Algorithm``;
the placements must be those of the plain per-node path (``use_columns = False``) and of
the code before the columns existed (``PINNED``).
"""

import hashlib
import random

from k8score.scheduler import CycleState, Framework, SchedulerCache, Snapshot
from k8score.scheduler.algorithm import Algorithm, FitError
from k8score.scheduler.plugins import default_profile
from k8score.scheduler.plugins.helper import default_normalize_list, default_normalize_score
from k8score.scheduler.testing import make_node, make_pod, taint, toleration

#: sha256 of the placements ``run_workload()`` gave before the columns (git HEAD d1541f8)
PINNED = "4c2decd8ff8ff84e5bd6c362a8779df7c00a750aebd8a7538422c871c3b48d36"
SHAPES = ({"cpu": "100m", "memory": "500Mi"}, {"cpu": "900m", "memory": "1Gi"},
          {"cpu": "1500m", "memory": "6Gi"}, {})


def _node(i: int) -> dict:
    taints = ()
    if i % 11 == 3:
        taints = (taint("slow", effect="PreferNoSchedule"),)
    elif i % 23 == 5:
        taints = (taint("gpu", "true"),)
    return make_node(f"node-{i:03d}", cpu="4" if i % 3 else "2", memory="8Gi", pods="12" if i % 7 == 0 else "110",
                     taints=taints, unschedulable=i % 37 == 1)


def run_workload(use_columns: bool = True, pods: int = 700, nodes: int = 130) -> tuple[list[str], Snapshot]:
    """Place ``pods`` pods one by one on ``nodes`` nodes; returns ``"pod node"`` lines (``-``
    when none fits) and the snapshot."""
    rng = random.Random(7)
    cache = SchedulerCache()
    for i in range(nodes):
        cache.add_node(_node(i))
    snap = Snapshot()
    fw = Framework(default_profile())
    alg = Algorithm(random.Random(1))
    alg.use_columns = use_columns
    out = []
    for k in range(pods):
        if k == 200:
            cache.update_node(_node(40) | {"spec": {"taints": [taint("slow", effect="PreferNoSchedule")]}})
            cache.update_node(make_node("node-041", cpu="4", memory="8Gi", unschedulable=True))
        if k == 300:
            cache.remove_node("node-050")
            cache.add_node(make_node("node-200", cpu="8", memory="16Gi"))
        if k == 400:
            cache.update_node(make_node("node-041", cpu="4", memory="8Gi"))
        shape = SHAPES[rng.randrange(len(SHAPES))]
        tol = (toleration("slow", effect="PreferNoSchedule"),) if k % 5 == 0 else ()
        pod = make_pod(f"pod-{k:04d}", shape, tolerations=tol)
        cache.update_snapshot(snap)
        try:
            host = alg.schedule(fw, CycleState(), pod, snap).suggested_host
        except FitError:
            out.append(f"pod-{k:04d} -")
            continue
        pod["spec"]["nodeName"] = host
        cache.add_pod(pod)
        out.append(f"pod-{k:04d} {host}")
    return out, snap


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_columns_place_every_pod_as_the_per_node_path():
    fast, snap = run_workload(use_columns=True)
    plain, plain_snap = run_workload(use_columns=False)
    assert fast == plain
    assert digest(fast) == PINNED
    # both sides of the workload happened: pods placed, pods left without a node
    assert sum(line.endswith(" -") for line in fast) > 0
    assert sum(not line.endswith(" -") for line in fast) > 400
    # the columns were really used (the per-node path keeps none)
    assert snap._columns and not plain_snap._columns


def test_a_column_recomputes_only_the_changed_nodes():
    cache = SchedulerCache()
    for i in range(20):
        cache.add_node(make_node(f"node-{i}", cpu="4"))
    snap = Snapshot()
    cache.update_snapshot(snap)
    calls = []

    def free_cpu(ni):
        calls.append(ni.name)
        return ni.allocatable_cpu - ni.requested_cpu

    assert snap.column_range("free", free_cpu, 18, 4) == [4000] * 4       # wraps round
    assert len(calls) == 20
    calls.clear()
    cache.add_pod(make_pod("a", {"cpu": "1"}, node_name="node-3"))
    cache.add_pod(make_pod("b", {"cpu": "500m"}, node_name="node-3"))
    cache.update_snapshot(snap)
    assert snap.column_range("free", free_cpu, 2, 3) == [4000, 2500, 4000]
    assert calls == ["node-3"]
    calls.clear()
    assert snap.column_range("free", free_cpu, 3, 1) == [2500]           # the second call: nothing to do
    assert calls == []
    cache.remove_node("node-0")                                          # a new order: rebuilt
    cache.update_snapshot(snap)
    assert snap.column_range("free", free_cpu, 0, 3) == [4000, 4000, 2500]
    assert len(calls) == 19


def test_list_normalization_equals_the_map_one():
    for raw in ([0, 0, 0], [0, 1, 3], [5, 5, 2], [7]):
        for reverse in (False, True):
            by_name = {f"n{i}": v for i, v in enumerate(raw)}
            default_normalize_score(100, reverse, by_name)
            assert default_normalize_list(100, reverse, raw) == list(by_name.values())
