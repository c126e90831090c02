"""Resource arithmetic as the scheduler does it: integers only.

CPU is counted in milli-CPU, memory and ephemeral storage in bytes, pods as a
count (``pkg/scheduler/framework/types.go``: ``Resource``). Quantities from the
wire (``"500m"``, ``"1Gi"``, ``"2"``) are parsed once, when a pod or node enters
the scheduler cache, never inside a scoring loop.

Two different sums of a pod's requests exist, and the difference matters:

* :func:`pod_requests` — what the pod asked for; a container without a request
  counts 0. ``NodeResourcesFit``'s Filter uses this, so a best-effort pod always
  fits on CPU and memory.
* :func:`pod_requests` with ``non_zero=True`` — each container that is missing a
  cpu or memory request counts as 100m / 200Mi
  (``pkg/scheduler/util/pod_resources.go``: ``DefaultMilliCPURequest``,
  ``DefaultMemoryRequest``). Scoring uses it so that many best-effort pods do not
  all pile onto one node that "looks empty".

>>> parse_cpu("250m"), parse_cpu("2"), parse_memory("1Gi"), parse_memory("128974848")
(250, 2000, 1073741824, 128974848)
>>> pod = {"spec": {"containers": [{"name": "a", "resources": {}}]}}
>>> pod_requests(pod), pod_requests(pod, non_zero=True)
((0, 0, 0), (100, 209715200, 0))
"""

from __future__ import annotations

from typing import Any

from ..api.quantity import parse_quantity

# pkg/scheduler/util/pod_resources.go: DefaultMilliCPURequest = 100 (0.1 core)
DEFAULT_MILLI_CPU_REQUEST = 100
# pkg/scheduler/util/pod_resources.go: DefaultMemoryRequest = 200 * 1024 * 1024 (200 MiB)
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

# parsed values by (type, text): pods repeat the same few quantities, and the exact
# (Fraction) arithmetic of milli_value/int_value costs more than the scheduling around it
_MILLI: dict[tuple[type, Any], int] = {}
_VALUE: dict[tuple[type, Any], int] = {}
_MEMO_LIMIT = 4096


def parse_cpu(value: Any) -> int:
    """milli-CPU, rounded up as ``Quantity.MilliValue`` does."""
    key = (type(value), value)
    try:
        return _MILLI[key]
    except (KeyError, TypeError):
        pass
    v = parse_quantity(value).milli_value()
    if len(_MILLI) < _MEMO_LIMIT:
        _MILLI[key] = v
    return v


def parse_memory(value: Any) -> int:
    """Bytes, rounded up as ``Quantity.Value`` does."""
    key = (type(value), value)
    try:
        return _VALUE[key]
    except (KeyError, TypeError):
        pass
    v = parse_quantity(value).int_value()
    if len(_VALUE) < _MEMO_LIMIT:
        _VALUE[key] = v
    return v


parse_count = parse_memory


def _container_requests(container: dict, non_zero: bool) -> tuple[int, int, int]:
    res = container.get("resources") or {}
    req = res.get("requests") or {}
    lim = res.get("limits") or {}
    # The API server defaults a missing request to the limit (pkg/apis/core/v1/defaults.go:
    # SetDefaults_Pod); applying it here too keeps hand-written pod dicts honest.
    cpu_q = req.get("cpu", lim.get("cpu"))
    mem_q = req.get("memory", lim.get("memory"))
    eph_q = req.get("ephemeral-storage", lim.get("ephemeral-storage"))
    if cpu_q is None:
        cpu = DEFAULT_MILLI_CPU_REQUEST if non_zero else 0
    else:
        cpu = parse_cpu(cpu_q)
    if mem_q is None:
        mem = DEFAULT_MEMORY_REQUEST if non_zero else 0
    else:
        mem = parse_memory(mem_q)
    eph = parse_memory(eph_q) if eph_q is not None else 0
    return cpu, mem, eph


def pod_requests(pod: dict, non_zero: bool = False) -> tuple[int, int, int]:
    """``(milliCPU, memory bytes, ephemeral-storage bytes)`` the pod requests.

    As ``k8s.io/component-helpers/resource/helpers.go: PodRequests``: the sum of
    app containers (and restartable "sidecar" init containers), or the largest
    init container if that is bigger, plus ``spec.overhead``. With ``non_zero``
    a container missing a cpu/memory request counts the defaults above.

    Worked example: containers requesting 1000m/2000 and 2000m/3000 plus an init
    container requesting 4000m -> cpu max(1000+2000, 4000) = 4000m, memory 5000.
    """
    spec = pod.get("spec") or {}
    total = [0, 0, 0]
    for c in spec.get("containers") or ():
        r = _container_requests(c, non_zero)
        for i in range(3):
            total[i] += r[i]
    sidecars = [0, 0, 0]
    init_max = [0, 0, 0]
    for c in spec.get("initContainers") or ():
        r = _container_requests(c, non_zero)
        if c.get("restartPolicy") == "Always":
            # a sidecar keeps running next to the app containers
            for i in range(3):
                total[i] += r[i]
                sidecars[i] += r[i]
            tmp = list(sidecars)
        else:
            tmp = [r[i] + sidecars[i] for i in range(3)]
        for i in range(3):
            init_max[i] = max(init_max[i], tmp[i])
    for i in range(3):
        total[i] = max(total[i], init_max[i])
    overhead = spec.get("overhead") or {}
    if "cpu" in overhead:
        total[0] += parse_cpu(overhead["cpu"])
    if "memory" in overhead:
        total[1] += parse_memory(overhead["memory"])
    if "ephemeral-storage" in overhead:
        total[2] += parse_memory(overhead["ephemeral-storage"])
    return total[0], total[1], total[2]


def node_allocatable(node: dict) -> tuple[int, int, int, int]:
    """``(milliCPU, memory, ephemeral-storage, pods)`` from ``status.allocatable``.

    The kubelet always reports both capacity and allocatable; for a hand-written
    Node without ``allocatable`` we fall back to ``capacity`` (upstream would see 0).
    """
    status = node.get("status") or {}
    alloc = status.get("allocatable") or status.get("capacity") or {}
    cpu = parse_cpu(alloc["cpu"]) if "cpu" in alloc else 0
    mem = parse_memory(alloc["memory"]) if "memory" in alloc else 0
    eph = parse_memory(alloc["ephemeral-storage"]) if "ephemeral-storage" in alloc else 0
    pods = parse_count(alloc["pods"]) if "pods" in alloc else 0
    return cpu, mem, eph, pods


def format_cpu(milli: int) -> str:
    return f"{milli // 1000}" if milli % 1000 == 0 else f"{milli}m"


def format_memory(n: int) -> str:
    for suffix, mult in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n and n % mult == 0:
            return f"{n // mult}{suffix}"
    return str(n)
