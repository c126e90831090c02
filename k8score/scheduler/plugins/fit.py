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

from ..events import ActionType, ClusterEvent
from ..interface import FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin
from ..nodeinfo import NodeInfo
from ..resources import pod_requests
from ..status import Code, Status
from .resource_allocation import (DEFAULT_RESOURCES, least_allocated_scorer, least_requested_score,
                                  most_allocated_scorer, requested_to_capacity_ratio_scorer)

_PRE_FILTER_KEY = "PreFilterNodeResourcesFit"
_PRE_SCORE_KEY = "PreScoreNodeResourcesFit"

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"
REQUESTED_TO_CAPACITY_RATIO = "RequestedToCapacityRatio"
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


def _empty_like(ni: NodeInfo) -> NodeInfo:
    """``ni`` without pods: what ``isFit`` checks (the pod against the whole node)."""
    ni.pods = {}
    ni.requested_cpu = ni.requested_memory = ni.requested_ephemeral = 0
    return ni


def _fits_fn(cpu: int, mem: int, eph: int):
    """Does a pod requesting ``cpu``/``mem``/``eph`` fit a node (the Filter's "fits" test)?"""
    def fits(ni: NodeInfo) -> bool:
        return (len(ni.pods) < ni.allowed_pods
                and (cpu <= 0 or cpu <= ni.allocatable_cpu - ni.requested_cpu)
                and (mem <= 0 or mem <= ni.allocatable_memory - ni.requested_memory)
                and (eph <= 0 or eph <= ni.allocatable_ephemeral - ni.requested_ephemeral))
    return fits


def _least_allocated_fn(pc: int, pm: int):
    """The default score (LeastAllocated, cpu and memory weight 1) of a pod with non-zero
    requests ``pc``/``pm`` on one node."""
    def score(ni: NodeInfo) -> int:
        ac, am = ni.allocatable_cpu, ni.allocatable_memory
        rc, rm = ni.non_zero_cpu + pc, ni.non_zero_memory + pm
        return ((((ac - rc) * 100 // ac) if ac and rc <= ac else 0)
                + (((am - rm) * 100 // am) if am and rm <= am else 0)) // 2
    return score


class NodeResourcesFit(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "NodeResourcesFit"

    def __init__(self, strategy: str = LEAST_ALLOCATED,
                 resources: tuple[tuple[str, int], ...] = DEFAULT_RESOURCES,
                 shape: tuple[tuple[int, int], ...] = ()):
        """``shape``: RequestedToCapacityRatio's [(utilization, score 0..10)] points."""
        if strategy not in _STRATEGIES and strategy != REQUESTED_TO_CAPACITY_RATIO:
            raise ValueError(f"scoring strategy {strategy!r} is not supported "
                             f"(supported: {sorted([*_STRATEGIES, REQUESTED_TO_CAPACITY_RATIO])})")
        self.strategy = strategy
        self.resources = tuple(resources)
        self.shape = tuple(tuple(p) for p in shape)
        if strategy == REQUESTED_TO_CAPACITY_RATIO:
            if not self.shape:
                raise ValueError("RequestedToCapacityRatio needs a shape")
            self._scorer = requested_to_capacity_ratio_scorer(self.shape)
        else:
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
        cpu, mem, eph = req
        ni = node_info
        # the common verdict, "fits", in plain comparisons (the same rules as below)
        if (len(ni.pods) < ni.allowed_pods
                and (cpu <= 0 or cpu <= ni.allocatable_cpu - ni.requested_cpu)
                and (mem <= 0 or mem <= ni.allocatable_memory - ni.requested_memory)
                and (eph <= 0 or eph <= ni.allocatable_ephemeral - ni.requested_ephemeral)):
            return None
        found = insufficient_resources(req, node_info)
        if not found:
            return None
        code = Code.UNSCHEDULABLE_AND_UNRESOLVABLE if any(u for _, u in found) else Code.UNSCHEDULABLE
        return Status(code, *(reason for reason, _ in found))

    def filter_nodes(self, state, pod, nodes):
        """:meth:`filter` of each node; the "fits" verdict in plain comparisons, the full
        check (with its reasons) only for the nodes that fail them."""
        req = state.get(_PRE_FILTER_KEY)
        if req is None:
            req = pod_requests(pod)
        cpu, mem, eph = req
        filt = self.filter
        rng = state.node_range
        if rng is not None:
            # the "fits" verdicts of this pod shape, kept per node in the snapshot across cycles
            snap, start, count = rng
            fits = snap.column_range((self, "fits", cpu, mem, eph), _fits_fn(cpu, mem, eph), start, count)
            if all(fits):
                return [None] * count
            return [None if ok else filt(state, pod, ni) for ok, ni in zip(fits, nodes)]
        return [None if (len(ni.pods) < ni.allowed_pods
                         and (cpu <= 0 or cpu <= ni.allocatable_cpu - ni.requested_cpu)
                         and (mem <= 0 or mem <= ni.allocatable_memory - ni.requested_memory)
                         and (eph <= 0 or eph <= ni.allocatable_ephemeral - ni.requested_ephemeral))
                else filt(state, pod, ni) for ni in nodes]

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

    def score_nodes(self, state, pod, nodes):
        """:meth:`score` of every node; the default LeastAllocated over cpu and memory is
        inlined (``least_requested_score`` of each, averaged) — the hottest loop of a cycle."""
        pod_req = state.get(_PRE_SCORE_KEY)
        if not self._default or pod_req is None:
            return super().score_nodes(state, pod, nodes)
        pc, pm = pod_req[0], pod_req[1]
        rng = state.node_range
        if rng is not None:
            snap, start, count = rng
            return snap.column_range((self, "score", pc, pm), _least_allocated_fn(pc, pm), start, count)
        return [((((ac - rc) * 100 // ac) if (ac := ni.allocatable_cpu) and (rc := ni.non_zero_cpu + pc) <= ac
                  else 0)
                 + (((am - rm) * 100 // am) if (am := ni.allocatable_memory)
                    and (rm := ni.non_zero_memory + pm) <= am else 0)) // 2
                for ni in nodes]

    def events_to_register(self):
        # fit.go EventsToRegister (with queueing hints): a node label or taint change cannot
        # free resources, so it is not registered at all
        return (ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE,
                             hint=self._after_node_change),
                ClusterEvent("Pod", ActionType.DELETE | ActionType.UPDATE_POD_SCALE_DOWN,
                             hint=self._after_pod_change))

    def _after_node_change(self, pod, old, new):
        """``isSchedulableAfterNodeChange``: the pod fits the new node's allocatable (ignoring
        its pods) and, for an update, some resource the pod requests grew."""
        req = pod_requests(pod)
        alloc = NodeInfo(new)
        if insufficient_resources(req, _empty_like(alloc)):
            return False
        if old is None:
            return True
        before = NodeInfo(old)
        return ((req[0] > 0 and alloc.allocatable_cpu > before.allocatable_cpu)
                or (req[1] > 0 and alloc.allocatable_memory > before.allocatable_memory)
                or (req[2] > 0 and alloc.allocatable_ephemeral > before.allocatable_ephemeral)
                or alloc.allowed_pods > before.allowed_pods)

    def _after_pod_change(self, pod, old, new):
        """``isSchedulableAfterPodEvent``: a bound pod deleted, or scaled down in a resource
        the pod requests."""
        if old is None or not (old.get("spec") or {}).get("nodeName"):
            return False
        if new is None:
            return True
        req, was, now = pod_requests(pod), pod_requests(old), pod_requests(new)
        return any(r > 0 and n < w for r, w, n in zip(req, was, now))
