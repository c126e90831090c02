"""Scoring strategies shared by NodeResourcesFit and NodeResourcesBalancedAllocation.

``pkg/scheduler/framework/plugins/noderesources/{least_allocated,most_allocated,
balanced_allocation,resource_allocation}.go``. ``requested`` and ``allocatable``
are lists aligned with ``resources`` = ``[(name, weight), ...]``; a resource a
node does not have (allocatable 0) is skipped by the balanced scorer and scores
0 in the others, as upstream.
"""

from __future__ import annotations

from ..interface import MAX_NODE_SCORE

#: config/v1/defaults.go: defaultResourceSpec — cpu and memory, weight 1 each
DEFAULT_RESOURCES: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))


def least_requested_score(requested: int, capacity: int) -> int:
    """Unused fraction of ``capacity`` on a 0..100 scale (integer division)."""
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def most_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0:
        return 0
    if requested > capacity:
        # most_allocated.go: more than capacity is clamped (can happen with overhead)
        requested = capacity
    return requested * MAX_NODE_SCORE // capacity


def least_allocated_scorer(requested: list[int], allocatable: list[int], weights: list[int]) -> int:
    """LeastAllocated: weighted mean of per-resource free fractions.

    score = sum_r(least_requested_score(r) * w_r) // sum_r(w_r)

    Worked example (upstream ``least_allocated_test.go``): node 4000m / 10000
    bytes, pod+existing requests 3000m / 5000 ->
    cpu (4000-3000)*100//4000 = 25, memory (10000-5000)*100//10000 = 50,
    (25*1 + 50*1) // 2 = 37.
    """
    node_score = weight_sum = 0
    for req, alloc, w in zip(requested, allocatable, weights):
        node_score += least_requested_score(req, alloc) * w
        weight_sum += w
    return node_score // weight_sum if weight_sum else 0


def most_allocated_scorer(requested: list[int], allocatable: list[int], weights: list[int]) -> int:
    """MostAllocated (bin packing): the same with used fractions; 3000m/4000m, 5000/10000 ->
    (75 + 50) // 2 = 62."""
    node_score = weight_sum = 0
    for req, alloc, w in zip(requested, allocatable, weights):
        node_score += most_requested_score(req, alloc) * w
        weight_sum += w
    return node_score // weight_sum if weight_sum else 0


def balanced_resource_scorer(requested: list[int], allocatable: list[int]) -> int:
    """BalancedAllocation: ``(1 - std(fractions)) * 100``, truncated to an integer.

    fraction_r = min(requested_r / allocatable_r, 1). With two resources the
    standard deviation is |f1 - f2| / 2; with more, the population standard
    deviation. Worked example (upstream ``balanced_allocation_test.go``): cpu
    3000/4000 = 0.75, memory 5000/10000 = 0.5 -> std 0.125 -> int(87.5) = 87.
    """
    fractions = []
    for req, alloc in zip(requested, allocatable):
        if alloc == 0:
            continue
        fractions.append(min(req / alloc, 1.0))
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = (sum((f - mean) ** 2 for f in fractions) / len(fractions)) ** 0.5
    return int((1 - std) * MAX_NODE_SCORE)


#: pkg/scheduler/apis/config/types.go: MaxCustomPriorityScore (shape scores are 0..10)
MAX_CUSTOM_PRIORITY_SCORE = 10
#: requested_to_capacity_ratio.go: maxUtilization
MAX_UTILIZATION = 100


def _go_div(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero; Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def broken_linear(shape: list[tuple[int, int]]):
    """``helper.BuildBrokenLinearFunction``: ``shape`` = [(utilization, score)], increasing."""
    def f(p: int) -> int:
        for i, (u, sc) in enumerate(shape):
            if p <= u:
                if i == 0:
                    return sc
                u0, s0 = shape[i - 1]
                return s0 + _go_div((sc - s0) * (p - u0), u - u0)
        return shape[-1][1]
    return f


def requested_to_capacity_ratio_scorer(shape: tuple[tuple[int, int], ...]):
    """RequestedToCapacityRatio (``requested_to_capacity_ratio.go``): each resource's
    utilization ``requested * 100 // capacity`` goes through the broken-line ``shape``
    (scores 0..10 scaled by 10); resources scoring 0 are left out of the weighted mean,
    which is rounded half away from zero.

    Shape [(0, 10), (100, 0)] (spreading) scales to [(0, 100), (100, 0)]: cpu 3000m/4000m
    = 75% -> 100 + (0 - 100) * 75 / 100 = 25; memory 5000/10000 = 50% -> 50; mean
    (25 + 50) / 2 = 37.5 -> 38."""
    fn = broken_linear([(u, sc * (MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE)) for u, sc in shape])

    def scorer(requested: list[int], allocatable: list[int], weights: list[int]) -> int:
        node_score = weight_sum = 0
        for req, alloc, w in zip(requested, allocatable, weights):
            if alloc == 0:
                continue
            r = fn(MAX_UTILIZATION) if req > alloc else fn(req * MAX_UTILIZATION // alloc)
            if r > 0:
                node_score += r * w
                weight_sum += w
        if weight_sum == 0:
            return 0
        # math.Round: half away from zero (scores are >= 0 here)
        return int(node_score / weight_sum + 0.5)
    return scorer
