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

Score (``scoring.go``: ``initPreScoreState``, ``processAllNode``, ``Score``, ``NormalizeScore``;
``plugin.go``: ``systemDefaultConstraints``) reads the same kept sums for its zone domains and
columns for each node's topology value and matching pods: Deployment-like pods under the system
default constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway), some with a
nodeSelector or with ScheduleAnyway constraints of their own, on nodes partly without a zone and
partly holding the pods' image, must be placed as before (``PINNED_DEFAULTS``).
"""

from k8score.scheduler import SchedulerCache, Snapshot
from k8score.scheduler.testing import make_node, make_pod

from schedhelpers import digest, place_pods, same_as_plain_path

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
    def before(k, cache, placed):
        if k == 90:       # a node moves to zone c
            cache.update_node(make_node("node-004", cpu="4", zone="c"))
        if k == 150:      # a node without a zone: left out of zone counts, rejected by zone constraints
            cache.add_node(make_node("node-900", cpu="8"))
        if k == 200:      # pods go: their domains count less
            for p in placed[:60:3]:
                cache.remove_pod(p)
        if k == 260:
            cache.remove_node("node-010")

    nodes_ = [make_node(f"node-{i:03d}", cpu="4" if i % 4 else "2", zone="abc"[i % 3]) for i in range(nodes)]
    return place_pods(nodes_, map(_pod, range(pods)), use_columns=use_columns, seed=3, before=before)


def test_spread_sums_place_every_pod_as_the_plain_path():
    fast, snap, plain_snap = same_as_plain_path(run_workload, PINNED)
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


#: sha256 of the placements ``run_default_workload()`` gave while ScheduleAnyway scoring still
#: scanned every node's pods each cycle (git HEAD ede2607)
PINNED_DEFAULTS = "891ff43aa3248e85f1b92c77d8dd3cffaf0bbbb6fb7c57721ecaa3438af4850b"


def _owned_pod(k: int) -> dict:
    """Pods of two ReplicaSets in two namespaces: no constraints of their own, so they get the
    system defaults (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway, plugin.go); some with
    a nodeSelector (nodeAffinityPolicy Honor: the domains are counted node by node), some with
    ScheduleAnyway constraints of their own (every key required: nodes without a zone score 0)."""
    app = "web" if k % 5 < 3 else "api"
    pod = make_pod(f"pod-{k:04d}", ({"cpu": "100m"}, {"cpu": "300m", "memory": "1Gi"}, {})[k % 3],
                   namespace="other" if k % 5 == 4 else "default")
    pod["metadata"]["labels"] = {"app": app}
    pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": app,
                                           "uid": f"rs-{app}", "controller": True}]
    if k % 7 == 3:
        pod["spec"]["nodeSelector"] = {"disk": "ssd"}
    if k % 11 == 5:
        pod["spec"]["topologySpreadConstraints"] = [_spread(HOST, 1, app, "ScheduleAnyway"),
                                                    _spread(ZONE, 2, app, "ScheduleAnyway")]
    return pod


def run_default_workload(use_columns: bool = True, pods: int = 400, nodes: int = 30) -> list[str]:
    from schedhelpers import FakeFactory
    rs = [{"metadata": {"name": app, "namespace": ns}, "spec": {"selector": {"matchLabels": {"app": app}}}}
          for app in ("web", "api") for ns in ("default", "other")]

    def node(i: int, zone: str | None) -> dict:
        n = make_node(f"node-{i:03d}", cpu="8", zone=zone, labels={"disk": "ssd"} if i % 4 == 0 else None)
        if i % 3 == 0:      # the pods' image (ImageLocality) on some nodes, at two sizes
            n["status"]["images"] = [{"names": ["docker.io/library/nginx:1.27", "nginx"],
                                      "sizeBytes": (300 if i % 2 else 900) * 2**20}]
        return n

    def before(k, cache, placed):
        if k == 100:      # a node moves to zone c
            cache.update_node(node(4, "c"))
        if k == 180:      # pods go: their nodes and domains count less
            for p in placed[:90:4]:
                cache.remove_pod(p)
        if k == 250:
            cache.remove_node("node-010")
            cache.add_node(node(40, "b"))

    # the last six nodes carry no zone label: a domain "" for the defaults, ignored by own constraints
    nodes_ = [node(i, "abc"[i % 3] if i < nodes - 6 else None) for i in range(nodes)]
    return place_pods(nodes_, map(_owned_pod, range(pods)), use_columns=use_columns, seed=5,
                      before=before, factory=FakeFactory(replicasets=rs))[0]


def test_default_constraints_scored_from_kept_sums_place_pods_as_before():
    fast = run_default_workload(use_columns=True)
    assert fast == run_default_workload(use_columns=False)
    assert digest(fast) == PINNED_DEFAULTS
    assert all(not line.endswith(" -") for line in fast)
    # upstream's scoring: a node without a zone label adds nothing for the zone constraint
    # (its domain "" never scores), so the six zone-less nodes draw the replicas; among the
    # zoned nodes the hostname and zone counts keep the spread even
    per_node: dict[str, int] = {}
    for line in fast:
        host = line.split()[1]
        per_node[host] = per_node.get(host, 0) + 1
    bare = [per_node[f"node-{i:03d}"] for i in range(24, 30)]
    zoned = [n for h, n in per_node.items() if h < "node-024" or h > "node-029"]
    assert min(bare) > 2 * max(zoned) and max(zoned) <= 12 and min(zoned) >= 5
