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

Also: a status-only update of an assigned pod (``cache.go: updatePod``) leaves its node's copy
in the snapshot alone, and a pod whose PreFilter names its nodes (NodeAffinity ``matchFields``,
``schedule_one.go: findNodesThatFitPod``) is filtered on those alone, in node order.
"""

import random

import pytest

from k8score.scheduler import SchedulerCache, Snapshot
from k8score.scheduler.plugins.helper import default_normalize_list, default_normalize_score
from k8score.scheduler.testing import make_node, make_pod, taint, toleration

from schedhelpers import place_pods, same_as_plain_path

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

    def before(k, cache, placed):
        if k == 200:
            cache.update_node(_node(40) | {"spec": {"taints": [taint("slow", effect="PreferNoSchedule")]}})
            cache.update_node(make_node("node-041", cpu="4", memory="8Gi", unschedulable=True))
        if k == 300:
            cache.remove_node("node-050")
            cache.add_node(make_node("node-200", cpu="8", memory="16Gi"))
        if k == 400:
            cache.update_node(make_node("node-041", cpu="4", memory="8Gi"))

    def workload():
        for k in range(pods):
            shape = SHAPES[rng.randrange(len(SHAPES))]
            tol = (toleration("slow", effect="PreferNoSchedule"),) if k % 5 == 0 else ()
            yield make_pod(f"pod-{k:04d}", shape, tolerations=tol)

    return place_pods(map(_node, range(nodes)), workload(), use_columns=use_columns, before=before)


def test_columns_place_every_pod_as_the_per_node_path():
    fast, snap, plain_snap = same_as_plain_path(run_workload, PINNED)
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


def test_a_status_only_pod_update_keeps_the_node_copy_a_spec_or_label_change_does_not():
    """``backend/cache/cache.go: updatePod`` re-adds the pod; when only its status changed
    (the kubelet's reports) the numbers are the same, so the node is not copied again."""
    cache = SchedulerCache()
    cache.add_node(make_node("node-0", cpu="4"))
    pod = make_pod("web-1", {"cpu": "1"}, node_name="node-0")
    cache.add_pod(pod)
    snap = Snapshot()
    cache.update_snapshot(snap)
    calls = []

    def used(ni):
        calls.append(ni.name)
        return ni.requested_cpu, tuple(sorted(p.labels.get("app", "") for p in ni.pods.values()))

    assert snap.column_range("used", used, 0, 1) == [(1000, ("",))]
    running = pod | {"status": {"phase": "Running", "startTime": "2024-01-01T00:00:00Z"}}
    cache.update_pod(running)
    cache.update_snapshot(snap)
    assert snap.column_range("used", used, 0, 1) == [(1000, ("",))] and calls == ["node-0"]
    assert cache.get_pod("default/web-1") is running                 # the newest object is kept
    assert snap.get("node-0").pods["default/web-1"].pod is running   # the snapshot sees it too
    labelled = running | {"metadata": running["metadata"] | {"labels": {"app": "web"}}}
    cache.update_pod(labelled)                                         # a label: recomputed
    cache.update_snapshot(snap)
    assert snap.column_range("used", used, 0, 1) == [(1000, ("web",))] and calls == ["node-0"] * 2
    resized = labelled | {"spec": labelled["spec"] | {"containers": [
        {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "2"}}}]}}
    cache.update_pod(resized)                                          # the second change: resized
    cache.update_snapshot(snap)
    assert snap.column_range("used", used, 0, 1) == [(2000, ("web",))] and len(calls) == 3


def test_a_pod_for_named_nodes_looks_at_those_alone_in_node_order():
    """``schedule_one.go: findNodesThatFitPod``: with a PreFilterResult naming nodes (NodeAffinity's
    ``matchFields`` on ``metadata.name``, a DaemonSet pod's own node) only those are filtered, in
    the snapshot's order; the others share one verdict in the FitError."""
    from k8score.scheduler import CycleState, Framework
    from k8score.scheduler.algorithm import Algorithm, FitError
    from k8score.scheduler.plugins import default_profile

    cache = SchedulerCache()
    for i in range(40):
        cache.add_node(make_node(f"node-{i:03d}", cpu="2"))
    snap = Snapshot()
    cache.update_snapshot(snap)
    fw, alg = Framework(default_profile()), Algorithm(random.Random(1))

    def pinned(name, cpu, nodes):
        pod = make_pod(name, {"cpu": cpu})
        pod["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": nodes}]}]}}}
        return pod

    r = alg.schedule(fw, CycleState(), pinned("a", "1", ["node-030", "node-ghost", "node-005"]), snap)
    assert r.diagnosis.evaluated == ["node-005", "node-030"] and r.suggested_host in ("node-005", "node-030")
    cache.add_pod(make_pod("big", {"cpu": "2"}, node_name="node-007"))
    cache.update_snapshot(snap)
    with pytest.raises(FitError) as e:
        alg.schedule(fw, CycleState(), pinned("b", "1", ["node-007"]), snap)
    assert str(e.value) == ("0/40 nodes are available: 1 Insufficient cpu, "
                            "39 node(s) didn't satisfy plugin(s) [NodeAffinity].")
