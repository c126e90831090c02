"""A DaemonSet's rolling update: which old pods to delete, on which nodes to surge (pure).

Upstream pkg/controller/daemon/update.go ``rollingUpdate``. Nodes are visited in name order
(upstream ranges over a Go map: any order).

maxSurge 0 (the default, maxUnavailable 1): a node whose new pod is not yet available, or
that has no pod, counts as unavailable; an old pod that is not available is replaced at
once; the other old pods are deleted while fewer than ``maxUnavailable`` nodes are
unavailable. The node's new pod is then created by the manage loop once the old one is gone.

maxSurge > 0 (maxUnavailable 0): a new pod is created next to an old one on up to
``maxSurge`` nodes (at once where the old pod is unavailable); an old pod is deleted once
the new pod beside it is available.

>>> plan_rolling_update({"n1": (None, "old-1"), "n2": (None, "old-2")}, {"old-1", "old-2"}, 1, 0)
(['old-1'], [])
"""

from __future__ import annotations

from typing import Callable

#: node -> (new pod name | None, old pod name | None); ``None`` value: several pods (excess)
NodePods = dict[str, "tuple[str | None, str | None] | None"]


def plan_rolling_update(nodes: NodePods, available: set[str], max_unavailable: int, max_surge: int,
                        should_run: Callable[[str], bool] = lambda n: True) -> tuple[list[str], list[str]]:
    """-> (old pod names to delete, nodes to create a new pod on); ``available``: pod names."""
    if max_surge == 0:
        return _without_surge(nodes, available, max_unavailable), []
    return _with_surge(nodes, available, max_surge, should_run)


def _without_surge(nodes: NodePods, available: set[str], max_unavailable: int) -> list[str]:
    unavailable = 0
    replace: list[str] = []
    candidates: list[str] = []
    for node in sorted(nodes):
        pair = nodes[node]
        if pair is None:
            unavailable += 1       # excess pods: the manage loop cleans up, treat as unavailable
            continue
        new, old = pair
        if (new is None) == (old is None):
            unavailable += 1       # no pod, or both: the manage loop creates / deletes
        elif new is not None:
            if new not in available:
                unavailable += 1
        elif old not in available:
            replace.append(old)    # an old pod that is down anyway is replaced at once
            unavailable += 1
        elif unavailable < max_unavailable:
            candidates.append(old)
    room = min(max(max_unavailable - unavailable, 0), len(candidates))
    return replace + candidates[:room]


def _with_surge(nodes: NodePods, available: set[str], max_surge: int,
                should_run: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    delete: list[str] = []
    allowed: list[str] = []
    candidates: list[str] = []
    surging = 0
    for node in sorted(nodes):
        pair = nodes[node]
        if pair is None:
            surging += 1
            continue
        new, old = pair
        if old is None:
            continue               # up to date (or empty): the manage loop handles it
        if new is None:
            if old not in available:
                if not should_run(node):
                    delete.append(old)
                    continue
                allowed.append(node)
            elif surging < max_surge:
                candidates.append(node)
            continue
        if new not in available:
            surging += 1           # waiting for the surge pod to become available
            continue
        delete.append(old)         # the new pod is available: the old one goes
    room = min(max(max_surge - surging, 0), len(candidates))
    return delete, allowed + candidates[:room]
