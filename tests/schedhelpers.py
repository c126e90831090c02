"""Shared driver of the scheduler fast-path tests: place pods one by one, as the scheduler's
cycle does (``pkg/scheduler/schedule_one.go``: ``UpdateSnapshot``, ``schedulePod``, then the
assumed pod joins the cache), and fingerprint the placements.

The fast-path modules (``test_scheduler_fastpath.py``, ``test_scheduler_spread_fastpath.py``)
run one workload twice, with the snapshot's columns and without (``use_columns = False``, the
plain per-node path), and pin the placements' digest from before the columns existed.
"""

from __future__ import annotations

import hashlib
import random
from typing import Callable, Iterable

from k8score.scheduler import CycleState, Framework, SchedulerCache, Snapshot
from k8score.scheduler.algorithm import Algorithm, FitError
from k8score.scheduler.plugins import default_profile


class FakeInformer:
    """What the scheduler's plugins read of an informer: ``list(namespace)`` and ``get(key)``."""

    def __init__(self, objs: list[dict]):
        self.objs = objs

    def list(self, namespace: str | None = None) -> list[dict]:
        return [o for o in self.objs if namespace is None or o["metadata"].get("namespace") == namespace]

    def get(self, key: str) -> dict | None:
        return next((o for o in self.objs
                     if f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}" == key), None)


class FakeFactory:
    """Informers by resource (``replicasets=[...]``, ``services=[...]``): PodTopologySpread's
    system default constraints read them (``helper.DefaultSelector``)."""

    def __init__(self, **objs: list[dict]):
        self.objs = objs

    def informer(self, resource: str) -> FakeInformer:
        return FakeInformer(self.objs.get(resource, []))


def place_pods(nodes: Iterable[dict], pods: Iterable[dict], *, use_columns: bool = True, seed: int = 1,
               before: Callable[[int, SchedulerCache, list[dict]], None] | None = None,
               factory: FakeFactory | None = None) -> tuple[list[str], Snapshot]:
    """Schedule ``pods`` in order on a cache holding ``nodes`` with the default profile.

    ``before(k, cache, placed)`` runs ahead of the k-th pod (node updates, pod deletions).
    Returns ``"pod node"`` lines (``"pod -"`` when no node fits) and the snapshot."""
    cache = SchedulerCache()
    for node in nodes:
        cache.add_node(node)
    snap = Snapshot()
    fw = Framework(default_profile(), informer_factory=factory)
    alg = Algorithm(random.Random(seed))
    alg.use_columns = use_columns
    out: list[str] = []
    placed: list[dict] = []
    for k, pod in enumerate(pods):
        if before is not None:
            before(k, cache, placed)
        name = pod["metadata"]["name"]
        cache.update_snapshot(snap)
        try:
            host = alg.schedule(fw, CycleState(), pod, snap).suggested_host
        except FitError:
            out.append(f"{name} -")
            continue
        pod["spec"]["nodeName"] = host
        cache.add_pod(pod)
        placed.append(pod)
        out.append(f"{name} {host}")
    return out, snap


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def same_as_plain_path(run_workload: Callable[..., tuple], pinned: str) -> tuple[list[str], Snapshot, Snapshot]:
    """Run a workload with the snapshot's columns and without; assert both place every pod
    alike and that the placements hash to ``pinned`` (what they were before the fast path).
    Returns ``(placements, snapshot with columns, plain snapshot)``."""
    fast, snap = run_workload(use_columns=True)
    plain, plain_snap = run_workload(use_columns=False)
    assert fast == plain
    assert digest(fast) == pinned
    return fast, snap, plain_snap
