"""How many pods per second the scheduling framework places on a 5,000-node cluster.

Framework only (no API server, no informers): cache -> snapshot -> filter ->
score -> select host -> assume, for each pod, as one scheduling cycle does.
Run: ``.venv/bin/python bench/bench_scheduler.py [nodes] [pods]``.

Wall-clock time is measured here on purpose (this is a benchmark, not
simulation code); the placements themselves are deterministic (seeded).
"""

from __future__ import annotations

import random
import sys
import time

from k8score.scheduler import Algorithm, CycleState, Framework, SchedulerCache, Snapshot, default_profile
from k8score.scheduler.algorithm import num_feasible_nodes_to_find
from k8score.scheduler.testing import make_node, make_pod, taint


def build_cache(n_nodes: int) -> SchedulerCache:
    cache = SchedulerCache()
    for i in range(n_nodes):
        taints = [taint("spot", "true", "PreferNoSchedule")] if i % 10 == 0 else []
        cache.add_node(make_node(f"node-{i:05d}", cpu="16", memory="64Gi", pods="110",
                                 zone=f"zone-{i % 3}", taints=taints, unschedulable=(i % 97 == 0)))
    return cache


def main(n_nodes: int = 5000, n_pods: int = 2000) -> float:
    cache = build_cache(n_nodes)
    snap = Snapshot()
    fw = Framework(default_profile())
    alg = Algorithm(random.Random(42))
    shapes = [{"cpu": "100m", "memory": "128Mi"}, {"cpu": "500m", "memory": "1Gi"}, {"cpu": "2", "memory": "4Gi"}, {}]
    pods = [make_pod(f"web-{i}", shapes[i % len(shapes)]) for i in range(n_pods)]
    start = time.perf_counter()
    for pod in pods:
        cache.update_snapshot(snap)
        host = alg.schedule(fw, CycleState(), pod, snap).suggested_host
        cache.assume_pod(dict(pod, spec=dict(pod["spec"], nodeName=host)))
    elapsed = time.perf_counter() - start
    rate = n_pods / elapsed
    print(f"{n_pods} pods on {n_nodes} nodes ({num_feasible_nodes_to_find(n_nodes)} feasible nodes "
          f"scored per pod): {elapsed:.2f} s, {rate:.0f} pods/s, {1000 * elapsed / n_pods:.2f} ms/pod")
    return rate


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
