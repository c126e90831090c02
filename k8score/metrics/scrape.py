"""What metrics-server reads from a kubelet and keeps of it (sigs.k8s.io/metrics-server
pkg/scraper/client/resource/decode.go and pkg/storage).

:func:`decode` parses the kubelet's ``/metrics/resource`` Prometheus text into a
:class:`Batch`: one node point and per pod its container points, each with the cumulative CPU
core-seconds, the memory working set, the sample's time and the container's start time.

:class:`Storage` keeps the last two batches and turns them into usage, as pkg/storage does:
CPU is the cumulative counter's rate between two points of the same container start
(``(cpu2 - cpu1) / (t2 - t1)``, in nanocores), memory the last working set, ``window`` the time
between the points. A container first seen within a scrape period of its start (10 s at least:
``freshContainerMinMetricsResolution``) uses its start time with 0 CPU as the earlier point.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: pkg/storage/pod.go freshContainerMinMetricsResolution
FRESH_CONTAINER_MIN_RESOLUTION = 10.0

_LINE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})?\s+(\S+)(?:\s+(\d+))?$')
_LABEL = re.compile(r'(\w+)="([^"]*)"')


class Point(NamedTuple):
    cpu: float          # cumulative core-seconds
    memory: int         # working set bytes
    timestamp: float    # seconds (epoch)
    start: float        # container start time (epoch seconds; 0 when unknown)


class Batch:
    """One scrape of one or more nodes: ``nodes[name]`` and ``pods[(ns, pod)][container]``."""

    def __init__(self) -> None:
        self.nodes: dict[str, Point] = {}
        self.pods: dict[tuple[str, str], dict[str, Point]] = {}


def decode(node: str, text: str, batch: Batch) -> None:
    """Add one kubelet's ``/metrics/resource`` answer to ``batch`` (decode.go decodeBatch)."""
    node_cpu: float | None = None
    node_mem: int | None = None
    node_ts = 0.0
    cpu: dict[tuple[str, str, str], tuple[float, float]] = {}
    mem: dict[tuple[str, str, str], int] = {}
    start: dict[tuple[str, str, str], float] = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m is None or line.startswith("#"):
            continue
        name, labels, value, ts = m.group(1), dict(_LABEL.findall(m.group(2) or "")), float(m.group(3)), m.group(4)
        when = int(ts) / 1000 if ts else 0.0
        key = (labels.get("namespace", ""), labels.get("pod", ""), labels.get("container", ""))
        if name == "node_cpu_usage_seconds_total":
            node_cpu, node_ts = value, when
        elif name == "node_memory_working_set_bytes":
            node_mem = int(value)
        elif name == "container_cpu_usage_seconds_total":
            cpu[key] = (value, when)
        elif name == "container_memory_working_set_bytes":
            mem[key] = int(value)
        elif name == "container_start_time_seconds":
            start[key] = value
    if node_cpu is not None and node_mem is not None:
        batch.nodes[node] = Point(node_cpu, node_mem, node_ts, 0.0)
    for key in sorted(cpu):
        if key not in mem:
            continue   # decode.go: a container point needs both CPU and memory
        ns, pod, container = key
        used, when = cpu[key]
        batch.pods.setdefault((ns, pod), {})[container] = Point(used, mem[key], when, start.get(key, 0.0))


class Usage(NamedTuple):
    cpu_nanocores: int
    memory: int
    timestamp: float
    window: float


def _usage(last: Point, prev: Point) -> Usage | None:
    window = last.timestamp - prev.timestamp
    if window <= 0 or last.cpu < prev.cpu:
        return None   # resourceUsage: "unexpected decrease in cumulative CPU usage value"
    return Usage(int((last.cpu - prev.cpu) / window * 1e9), last.memory, last.timestamp, window)


class Storage:
    """The last two scrapes (pkg/storage/storage.go); ``resolution`` is --metric-resolution."""

    def __init__(self, resolution: float):
        self.resolution = resolution
        self.ready = False        # storage.Ready: a node has two points
        self._nodes_last: dict[str, Point] = {}
        self._nodes_prev: dict[str, Point] = {}
        self._pods_last: dict[tuple[str, str], dict[str, Point]] = {}
        self._pods_prev: dict[tuple[str, str], dict[str, Point]] = {}

    def store(self, batch: Batch) -> None:
        nodes_prev: dict[str, Point] = {}
        for name, point in batch.nodes.items():
            last = self._nodes_last.get(name)
            if last is not None and point.timestamp > last.timestamp:
                nodes_prev[name] = last
            elif name in self._nodes_prev and self._nodes_prev[name].timestamp < point.timestamp:
                nodes_prev[name] = self._nodes_prev[name]
        pods_prev: dict[tuple[str, str], dict[str, Point]] = {}
        for ref, containers in batch.pods.items():
            prev: dict[str, Point] = {}
            for name, point in containers.items():
                age = point.timestamp - point.start
                if point.start and 0 < age < self.resolution and age >= FRESH_CONTAINER_MIN_RESOLUTION:
                    prev[name] = point._replace(timestamp=point.start, cpu=0.0)
                    continue
                last = (self._pods_last.get(ref) or {}).get(name)
                if last is not None and point.start < last.timestamp:   # no restart in between
                    if point.timestamp > last.timestamp:
                        prev[name] = last
                    else:
                        older = (self._pods_prev.get(ref) or {}).get(name)
                        if older is not None and older.timestamp < point.timestamp:
                            prev[name] = older
            if prev:
                pods_prev[ref] = prev
        self._nodes_last, self._nodes_prev = dict(batch.nodes), nodes_prev
        self._pods_last, self._pods_prev = dict(batch.pods), pods_prev
        if nodes_prev:
            self.ready = True

    def node(self, name: str) -> Usage | None:
        last, prev = self._nodes_last.get(name), self._nodes_prev.get(name)
        return _usage(last, prev) if last is not None and prev is not None else None

    def pod(self, namespace: str, name: str) -> list[tuple[str, Usage]] | None:
        """Per container usage, or None unless every container has two points (GetMetrics)."""
        last, prev = self._pods_last.get((namespace, name)), self._pods_prev.get((namespace, name))
        if last is None or prev is None:
            return None
        out = []
        for container in sorted(last):
            if container not in prev:
                return None
            u = _usage(last[container], prev[container])
            if u is not None:
                out.append((container, u))
        return out


__all__ = ["Batch", "Point", "Storage", "Usage", "decode", "FRESH_CONTAINER_MIN_RESOLUTION"]
