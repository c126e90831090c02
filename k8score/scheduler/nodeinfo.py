"""What the scheduler knows about one node: the node, its pods, and their summed requests.

As ``pkg/scheduler/framework/types.go: NodeInfo``. Every number is an integer
(milli-CPU, bytes, pod count) computed when a pod is added, so Filter and Score
plugins only compare integers.

>>> node = {"metadata": {"name": "node-1"},
...         "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}
>>> ni = NodeInfo(node)
>>> ni.add_pod(PodInfo({"metadata": {"namespace": "default", "name": "web-1"},
...                     "spec": {"nodeName": "node-1", "containers": [
...                         {"name": "c", "resources": {"requests": {"cpu": "500m"}}}]}}))
>>> ni.requested_cpu, ni.non_zero_cpu, ni.requested_memory, ni.non_zero_memory
(500, 500, 0, 209715200)
"""

from __future__ import annotations

from typing import Iterator

from .resources import node_allocatable, pod_requests


def pod_key(pod: dict) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta.get('name', '')}"


class PodInfo:
    """A pod plus its pre-computed requests (``framework.PodInfo``)."""

    __slots__ = ("pod", "key", "cpu", "memory", "ephemeral", "nz_cpu", "nz_memory", "priority")

    def __init__(self, pod: dict):
        self.pod = pod
        self.key = pod_key(pod)
        self.cpu, self.memory, self.ephemeral = pod_requests(pod)
        self.nz_cpu, self.nz_memory, _ = pod_requests(pod, non_zero=True)
        self.priority = int((pod.get("spec") or {}).get("priority") or 0)

    @property
    def node_name(self) -> str:
        return (self.pod.get("spec") or {}).get("nodeName") or ""

    def __repr__(self) -> str:
        return f"<PodInfo {self.key} cpu={self.cpu}m mem={self.memory}>"


class NodeInfo:
    """Node-level aggregated information.

    ``requested_*`` sums what pods asked for (Filter uses it); ``non_zero_*`` sums
    requests with the 100m / 200Mi defaults for containers that asked for nothing
    (scoring uses it). ``generation`` increases on every change so the snapshot
    can tell which nodes to copy.
    """

    __slots__ = ("node", "name", "pods", "requested_cpu", "requested_memory", "requested_ephemeral",
                 "non_zero_cpu", "non_zero_memory", "allocatable_cpu", "allocatable_memory",
                 "allocatable_ephemeral", "allowed_pods", "taints", "unschedulable", "generation")

    def __init__(self, node: dict | None = None):
        self.node: dict | None = None
        self.name = ""
        self.pods: dict[str, PodInfo] = {}
        self.requested_cpu = self.requested_memory = self.requested_ephemeral = 0
        self.non_zero_cpu = self.non_zero_memory = 0
        self.allocatable_cpu = self.allocatable_memory = self.allocatable_ephemeral = 0
        self.allowed_pods = 0
        self.taints: list[dict] = []
        self.unschedulable = False        # spec.unschedulable: the node is cordoned
        self.generation = 0
        if node is not None:
            self.set_node(node)

    def set_node(self, node: dict) -> None:
        self.node = node
        self.name = (node.get("metadata") or {}).get("name", "")
        (self.allocatable_cpu, self.allocatable_memory,
         self.allocatable_ephemeral, self.allowed_pods) = node_allocatable(node)
        spec = node.get("spec") or {}
        self.taints = list(spec.get("taints") or ())
        self.unschedulable = bool(spec.get("unschedulable"))

    @property
    def labels(self) -> dict:
        return ((self.node or {}).get("metadata") or {}).get("labels") or {}

    def add_pod(self, info: PodInfo) -> None:
        if info.key in self.pods:
            self.remove_pod(info.key)
        self.pods[info.key] = info
        self.requested_cpu += info.cpu
        self.requested_memory += info.memory
        self.requested_ephemeral += info.ephemeral
        self.non_zero_cpu += info.nz_cpu
        self.non_zero_memory += info.nz_memory

    def remove_pod(self, key: str) -> PodInfo | None:
        info = self.pods.pop(key, None)
        if info is not None:
            self.requested_cpu -= info.cpu
            self.requested_memory -= info.memory
            self.requested_ephemeral -= info.ephemeral
            self.non_zero_cpu -= info.nz_cpu
            self.non_zero_memory -= info.nz_memory
        return info

    def copy_from(self, other: "NodeInfo") -> None:
        """Become a copy of ``other`` (pods dict copied, pod objects shared: they are immutable here)."""
        for slot in NodeInfo.__slots__:
            setattr(self, slot, getattr(other, slot))
        self.pods = dict(other.pods)
        self.taints = list(other.taints)

    def clone(self) -> "NodeInfo":
        c = NodeInfo()
        c.copy_from(self)
        return c

    def __repr__(self) -> str:
        return (f"<NodeInfo {self.name} pods={len(self.pods)}/{self.allowed_pods} "
                f"cpu={self.requested_cpu}/{self.allocatable_cpu}m "
                f"mem={self.requested_memory}/{self.allocatable_memory}>")


# -- node ordering -----------------------------------------------------------

def zone_key(node: dict) -> str:
    """``k8s.io/component-helpers/node/topology: GetZoneKey`` — region and zone, or ""."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    zone = labels.get("topology.kubernetes.io/zone") or labels.get("failure-domain.beta.kubernetes.io/zone") or ""
    region = (labels.get("topology.kubernetes.io/region")
              or labels.get("failure-domain.beta.kubernetes.io/region") or "")
    if not zone and not region:
        return ""
    return f"{region}:\x00:{zone}"


class NodeTree:
    """Nodes grouped by zone; :meth:`list` interleaves zones (``backend/cache/node_tree.go``).

    Interleaving means the first nodes the scheduler examines come from
    different zones, which spreads pods when only a percentage of nodes is scored.
    """

    def __init__(self) -> None:
        self._zones: dict[str, list[str]] = {}   # insertion-ordered: zone order as first seen
        self._zone_of: dict[str, str] = {}

    def add(self, node: dict) -> bool:
        """Add or re-zone a node; True when the order changed."""
        name = node["metadata"]["name"]
        zone = zone_key(node)
        old = self._zone_of.get(name)
        if old == zone:
            return False
        if old is not None:
            self.remove(name)
        self._zones.setdefault(zone, []).append(name)
        self._zone_of[name] = zone
        return True

    def remove(self, name: str) -> None:
        zone = self._zone_of.pop(name, None)
        if zone is None:
            return
        names = self._zones[zone]
        names.remove(name)
        if not names:
            del self._zones[zone]

    def __len__(self) -> int:
        return len(self._zone_of)

    def list(self) -> list[str]:
        zones = list(self._zones.values())
        out: list[str] = []
        i = 0
        while len(out) < len(self._zone_of):
            for names in zones:
                if i < len(names):
                    out.append(names[i])
            i += 1
        return out


class Snapshot:
    """An immutable-for-one-cycle view of the cache (``backend/cache/snapshot.go``).

    ``node_infos`` is in :class:`NodeTree` order; the scheduler examines nodes in
    that order starting from a rotating index.
    """

    def __init__(self) -> None:
        self.node_info_map: dict[str, NodeInfo] = {}
        self.node_infos: list[NodeInfo] = []
        self.generation = 0

    def num_nodes(self) -> int:
        return len(self.node_infos)

    def get(self, name: str) -> NodeInfo | None:
        return self.node_info_map.get(name)

    def __iter__(self) -> Iterator[NodeInfo]:
        return iter(self.node_infos)

    @classmethod
    def from_objects(cls, nodes: list[dict], pods: list[dict] = ()) -> "Snapshot":
        """Build a snapshot directly (tests, benchmarks): pods are placed by ``spec.nodeName``."""
        snap = cls()
        for node in nodes:
            ni = NodeInfo(node)
            snap.node_info_map[ni.name] = ni
            snap.node_infos.append(ni)
        for pod in pods:
            ni = snap.node_info_map.get((pod.get("spec") or {}).get("nodeName") or "")
            if ni is not None:
                ni.add_pod(PodInfo(pod))
        return snap
