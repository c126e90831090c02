"""NodeResourcesFit: does the node have room for the pod's requests? And how much room is left?

``pkg/scheduler/framework/plugins/noderesources/fit.go``.

Filter: for each resource, ``pod request > allocatable - already requested``
fails with ``Insufficient cpu`` / ``Insufficient memory`` /
``Insufficient ephemeral-storage``; more pods than ``allocatable.pods`` fails
with ``Too many pods``. Several reasons can be reported for one node. Pods that
request nothing always fit on cpu/memory (only the pod count matters). If the pod
alone is bigger than the whole node, the status is UnschedulableAndUnresolvable
(no preemption can help).

Score: the scoring strategy (default LeastAllocated over cpu and memory, weight 1
each) applied to the node's non-zero requests plus the pod's non-zero requests —
a container without requests counts as 100m / 200Mi here.
"""

from __future__ import annotations

from ..events import ASSIGNED_POD_DELETE, ActionType, ClusterEvent
from ..interface import FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin
from ..nodeinfo import NodeInfo
from ..resources import pod_requests
from ..status import Code, Status
from .resource_allocation import (DEFAULT_RESOURCES, least_allocated_scorer, least_requested_score,
                                  most_allocated_scorer)

_PRE_FILTER_KEY = "PreFilterNodeResourcesFit"
_PRE_SCORE_KEY = "PreScoreNodeResourcesFit"

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"
_STRATEGIES = {LEAST_ALLOCATED: least_allocated_scorer, MOST_ALLOCATED: most_allocated_scorer}


def _resource_values(ni: NodeInfo, resource: str, non_zero: bool) -> tuple[int, int]:
    """(allocatable, requested on node) for one resource name."""
    if resource == "cpu":
        return ni.allocatable_cpu, (ni.non_zero_cpu if non_zero else ni.requested_cpu)
    if resource == "memory":
        return ni.allocatable_memory, (ni.non_zero_memory if non_zero else ni.requested_memory)
    if resource == "ephemeral-storage":
        return ni.allocatable_ephemeral, ni.requested_ephemeral
    return 0, 0  # extended resources are not modelled yet


def _pod_value(req: tuple[int, int, int], resource: str) -> int:
    return {"cpu": req[0], "memory": req[1], "ephemeral-storage": req[2]}.get(resource, 0)


def insufficient_resources(req: tuple[int, int, int], ni: NodeInfo) -> list[tuple[str, bool]]:
    """``[(reason, unresolvable), ...]`` in upstream's order: pods, cpu, memory, ephemeral-storage."""
    out: list[tuple[str, bool]] = []
    if len(ni.pods) + 1 > ni.allowed_pods:
        out.append(("Too many pods", False))
    cpu, mem, eph = req
    if cpu == 0 and mem == 0 and eph == 0:
        return out
    if cpu > 0 and cpu > ni.allocatable_cpu - ni.requested_cpu:
        out.append(("Insufficient cpu", cpu > ni.allocatable_cpu))
    if mem > 0 and mem > ni.allocatable_memory - ni.requested_memory:
        out.append(("Insufficient memory", mem > ni.allocatable_memory))
    if eph > 0 and eph > ni.allocatable_ephemeral - ni.requested_ephemeral:
        out.append(("Insufficient ephemeral-storage", eph > ni.allocatable_ephemeral))
    return out


class NodeResourcesFit(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "NodeResourcesFit"

    def __init__(self, strategy: str = LEAST_ALLOCATED,
                 resources: tuple[tuple[str, int], ...] = DEFAULT_RESOURCES):
        if strategy not in _STRATEGIES:
            raise ValueError(f"scoring strategy {strategy!r} is not supported "
                             f"(supported: {sorted(_STRATEGIES)})")
        self.strategy = strategy
        self.resources = tuple(resources)
        self._scorer = _STRATEGIES[strategy]
        self._weights = [w for _, w in self.resources]
        self._default = self.resources == DEFAULT_RESOURCES and strategy == LEAST_ALLOCATED

    # -- filter ----------------------------------------------------------------
    def pre_filter(self, state, pod, nodes):
        state.write(_PRE_FILTER_KEY, pod_requests(pod))
        return None, None

    def filter(self, state, pod, node_info):
        req = state.get(_PRE_FILTER_KEY)
        if req is None:
            req = pod_requests(pod)
        found = insufficient_resources(req, node_info)
        if not found:
            return None
        code = Code.UNSCHEDULABLE_AND_UNRESOLVABLE if any(u for _, u in found) else Code.UNSCHEDULABLE
        return Status(code, *(reason for reason, _ in found))

    # -- score -----------------------------------------------------------------
    def pre_score(self, state, pod, nodes):
        req = pod_requests(pod, non_zero=True)
        state.write(_PRE_SCORE_KEY, [_pod_value(req, r) for r, _ in self.resources])
        return None

    def score(self, state, pod, node_info):
        pod_req = state.get(_PRE_SCORE_KEY)
        if pod_req is None:
            req = pod_requests(pod, non_zero=True)
            pod_req = [_pod_value(req, r) for r, _ in self.resources]
        if self._default:
            # the default configuration, inlined: this runs for every feasible node of every pod
            return (least_requested_score(node_info.non_zero_cpu + pod_req[0], node_info.allocatable_cpu)
                    + least_requested_score(node_info.non_zero_memory + pod_req[1],
                                            node_info.allocatable_memory)) // 2
        requested, allocatable = [], []
        for (resource, _), p in zip(self.resources, pod_req):
            alloc, used = _resource_values(node_info, resource, non_zero=True)
            allocatable.append(alloc)
            requested.append(used + p)
        return self._scorer(requested, allocatable, self._weights)

    def events_to_register(self):
        return (ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE
                             | ActionType.UPDATE_NODE_TAINT | ActionType.UPDATE_NODE_LABEL),
                ASSIGNED_POD_DELETE,
                ClusterEvent("Pod", ActionType.UPDATE_POD_SCALE_DOWN))
