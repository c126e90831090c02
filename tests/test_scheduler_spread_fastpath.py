"""PodTopologySpread's per-domain sums kept in the snapshot change no placement.

Upstream references: ``pkg/scheduler/framework/plugins/podtopologyspread/filtering.go``
(``calPreFilterState``: ``TpPairToMatchNum`` counted from every node carrying all the
constraints' keys, ``countPodsMatchSelector``; Filter's ``matchNum + selfMatchNum - minMatchNum
> maxSkew``, ``ErrReasonNodeLabelNotMatch``), ``scoring.go``, ``pkg/scheduler/schedule_one.go``
(``findNodesThatPassFilters``, ``prioritizeNodes``, ``selectHost``), and
``backend/cache/snapshot.go`` (a snapshot brought up to date node by node).

PreFilter reads each constraint's matching-pod count per domain from sums the snapshot keeps
across cycles (only the nodes changed since the last cycle are recounted); Filter reads each
node's topology value from a column; Score plugins read their columns at the positions of the
feasible nodes when Filter rejected some. A workload of pods with DoNotSchedule zone and
hostname constraints, ScheduleAnyway ones, pods in another namespace, a node relabelled into
another zone, a node without a zone, pods deleted and a node removed is placed pod by pod; the
placements must be the plain path's (``use_columns = False``) and the code's before the sums
existed (``PINNED``).
"""

import hashlib
import random

from k8score.scheduler import CycleState, Framework, SchedulerCache, Snapshot
from k8score.scheduler.algorithm import Algorithm, FitError
from k8score.scheduler.plugins import default_profile
from k8score.scheduler.testing import make_node, make_pod

#: sha256 of the placements ``run_workload()`` gave before the sums (git HEAD 1b37b8d)
PINNED = "1533a2faf7c1780fdad265cb1d95e0fb8b374a83ed3761ae7991e1e2d497fd32"
ZONE, HOST = "topology.kubernetes.io/zone", "kubernetes.io/hostname"


def _spread(key: str, skew: int, app: str, when: str = "DoNotSchedule") -> dict:
    return {"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": app}}}


def _pod(k: int) -> dict:
    kind = k % 4
    pod = make_pod(f"pod-{k:04d}", {"cpu": "100m" if k % 3 else "700m", "memory": "500Mi"},
                   namespace="other" if kind == 3 else "default")
    app = "db" if kind == 1 else "web"
    pod["metadata"]["labels"] = {"app": app}
    constraints = {0: [_spread(ZONE, 1, "web")],
                   1: [_spread(HOST, 2, "db"), _spread(ZONE, 3, "db")],
                   2: [_spread(ZONE, 1, "web", "ScheduleAnyway")]}.get(kind)
    if constraints:
        pod["spec"]["topologySpreadConstraints"] = constraints
    return pod


def run_workload(use_columns: bool = True, pods: int = 360, nodes: int = 24) -> tuple[list[str], Snapshot]:
    """Place ``pods`` pods one by one; ``"pod node"`` lines (``-`` when none fits)."""
    cache = SchedulerCache()
    for i in range(nodes):
        cache.add_node(make_node(f"node-{i:03d}", cpu="4" if i % 4 else "2", zone="abc"[i % 3]))
    snap = Snapshot()
    fw = Framework(default_profile())
    alg = Algorithm(random.Random(3))
    alg.use_columns = use_columns
    out, placed = [], []
    for k in range(pods):
        if k == 90:       # a node moves to zone c
            cache.update_node(make_node("node-004", cpu="4", zone="c"))
        if k == 150:      # a node without a zone: left out of zone counts, rejected by zone constraints
            cache.add_node(make_node("node-900", cpu="8"))
        if k == 200:      # pods go: their domains count less
            for p in placed[:60:3]:
                cache.remove_pod(p)
        if k == 260:
            cache.remove_node("node-010")
        pod = _pod(k)
        cache.update_snapshot(snap)
        try:
            host = alg.schedule(fw, CycleState(), pod, snap).suggested_host
        except FitError:
            out.append(f"pod-{k:04d} -")
            continue
        pod["spec"]["nodeName"] = host
        cache.add_pod(pod)
        placed.append(pod)
        out.append(f"pod-{k:04d} {host}")
    return out, snap


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_spread_sums_place_every_pod_as_the_plain_path():
    fast, snap = run_workload(use_columns=True)
    plain, plain_snap = run_workload(use_columns=False)
    assert fast == plain
    assert digest(fast) == PINNED
    # both sides: pods placed, and pods no node could take
    assert sum(line.endswith(" -") for line in fast) > 0
    assert sum(not line.endswith(" -") for line in fast) > 200
    # the sums were really kept (the plain path keeps none)
    assert any(k[1] == "matching" for k in snap._columns if isinstance(k, tuple))
    assert not plain_snap._columns


def test_sums_recount_only_changed_nodes_and_drop_an_emptied_domain():
    cache = SchedulerCache()
    for i in range(6):
        cache.add_node(make_node(f"node-{i}", zone="ab"[i % 2]))
    snap = Snapshot()
    cache.update_snapshot(snap)
    calls = []

    def pods_per_zone(ni):
        calls.append(ni.name)
        return ni.labels.get(ZONE), len(ni.pods)

    assert snap.column_totals("z", pods_per_zone) == {"a": [3, 0], "b": [3, 0]}
    assert len(calls) == 6
    calls.clear()
    cache.add_pod(make_pod("x", node_name="node-1"))
    cache.add_pod(make_pod("y", node_name="node-1"))
    cache.update_snapshot(snap)
    assert snap.column_totals("z", pods_per_zone) == {"a": [3, 0], "b": [3, 2]}
    assert calls == ["node-1"]
    calls.clear()
    assert snap.column_totals("z", pods_per_zone) == {"a": [3, 0], "b": [3, 2]}   # the second call
    assert calls == []
    for i in (1, 3, 5):                                # zone b's nodes leave it: the domain goes
        cache.update_node(make_node(f"node-{i}", zone="a"))
    cache.update_snapshot(snap)
    assert snap.column_totals("z", pods_per_zone) == {"a": [6, 2]}
