"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory use stay in step.

``pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go``. Uses
the *actual* requests (no 100m/200Mi defaults) of the node's pods plus this pod,
and skips best-effort pods entirely (PreScore returns Skip: kubernetes#129138 —
otherwise every best-effort pod would chase the same "balanced" node).
See :func:`~.resource_allocation.balanced_resource_scorer` for the formula.
"""

from __future__ import annotations

from ..interface import MAX_NODE_SCORE, PreScorePlugin, ScorePlugin
from ..resources import pod_requests
from ..status import Status
from .fit import _pod_value, _resource_values
from .resource_allocation import DEFAULT_RESOURCES, balanced_resource_scorer

_PRE_SCORE_KEY = "PreScoreNodeResourcesBalancedAllocation"


def _balanced_fn(pc: int, pm: int):
    """The default score (cpu and memory) of a pod requesting ``pc``/``pm`` on one node."""
    def score(ni) -> int:
        ac, am = ni.allocatable_cpu, ni.allocatable_memory
        if not ac or not am:
            return MAX_NODE_SCORE
        fc = (ni.requested_cpu + pc) / ac
        fm = (ni.requested_memory + pm) / am
        return int((1 - abs(((fc if fc < 1.0 else 1.0) - (fm if fm < 1.0 else 1.0)) / 2)) * MAX_NODE_SCORE)
    return score


class BalancedAllocation(PreScorePlugin, ScorePlugin):
    name = "NodeResourcesBalancedAllocation"

    def __init__(self, resources: tuple[tuple[str, int], ...] = DEFAULT_RESOURCES):
        self.resources = tuple(resources)
        self._default = self.resources == DEFAULT_RESOURCES

    def _pod_request_list(self, pod: dict) -> list[int]:
        req = pod_requests(pod)
        return [_pod_value(req, r) for r, _ in self.resources]

    def pre_score(self, state, pod, nodes):
        reqs = self._pod_request_list(pod)
        if all(v == 0 for v in reqs):
            return Status.skip()
        state.write(_PRE_SCORE_KEY, reqs)
        return None

    def score(self, state, pod, node_info):
        reqs = state.get(_PRE_SCORE_KEY)
        if reqs is None:
            reqs = self._pod_request_list(pod)
            if all(v == 0 for v in reqs):
                return 0
        if self._default:
            # the default configuration, inlined (same formula as balanced_resource_scorer)
            return balanced_resource_scorer(
                (node_info.requested_cpu + reqs[0], node_info.requested_memory + reqs[1]),
                (node_info.allocatable_cpu, node_info.allocatable_memory))
        requested, allocatable = [], []
        for (resource, _), p in zip(self.resources, reqs):
            alloc, used = _resource_values(node_info, resource, non_zero=False)
            allocatable.append(alloc)
            requested.append(used + p)
        return balanced_resource_scorer(requested, allocatable)

    def score_nodes(self, state, pod, nodes):
        """:meth:`score` of every node; for cpu and memory the formula is inlined: with both
        allocatable, ``int((1 - |f_cpu - f_mem| / 2) * 100)``; with one or none, 100."""
        reqs = state.get(_PRE_SCORE_KEY)
        if not self._default or reqs is None:
            return super().score_nodes(state, pod, nodes)
        pc, pm = reqs[0], reqs[1]
        rng = state.node_range
        if rng is not None:
            # kept per node in the snapshot across cycles for this pod shape
            snap, start, count = rng
            return snap.column_range((self, "score", pc, pm), _balanced_fn(pc, pm), start, count)
        return [int((1 - abs(((fc if (fc := (ni.requested_cpu + pc) / ac) < 1.0 else 1.0)
                              - (fm if (fm := (ni.requested_memory + pm) / am) < 1.0 else 1.0)) / 2))
                     * MAX_NODE_SCORE)
                if (ac := ni.allocatable_cpu) and (am := ni.allocatable_memory) else MAX_NODE_SCORE
                for ni in nodes]
