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


def host_ports(pod: dict) -> tuple[tuple[str, str, int], ...]:
    """``(hostIP, protocol, hostPort)`` of every container port with a hostPort
    (``nodeports.getContainerPorts``; "" IP is 0.0.0.0, "" protocol is TCP)."""
    out = []
    spec = pod.get("spec") or {}
    for c in list(spec.get("initContainers") or ()) + list(spec.get("containers") or ()):
        for p in c.get("ports") or ():
            hp = int(p.get("hostPort") or 0)
            if hp > 0:
                out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", hp))
    return tuple(out)


def pod_key(pod: dict) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta.get('name', '')}"


class PodInfo:
    """A pod plus its pre-computed requests (``framework.PodInfo``).

    ``affinity`` is the pod's ``podAffinity``/``podAntiAffinity`` part (None when it has
    neither); ``terms`` is filled lazily by InterPodAffinity with the parsed terms, so a
    pod's terms are parsed once however many cycles look at it. ``host_ports`` lists
    ``(ip, protocol, port)`` of containers asking for a hostPort (NodePorts).
    """

    __slots__ = ("pod", "key", "cpu", "memory", "ephemeral", "nz_cpu", "nz_memory", "priority",
                 "namespace", "labels", "terminating", "affinity", "required_anti_affinity",
                 "host_ports", "terms")

    def __init__(self, pod: dict):
        self.pod = pod
        self.key = pod_key(pod)
        self.cpu, self.memory, self.ephemeral = pod_requests(pod)
        self.nz_cpu, self.nz_memory, _ = pod_requests(pod, non_zero=True)
        spec = pod.get("spec") or {}
        self.priority = int(spec.get("priority") or 0)
        meta = pod.get("metadata") or {}
        self.namespace = meta.get("namespace") or "default"
        self.labels = meta.get("labels") or {}
        self.terminating = bool(meta.get("deletionTimestamp"))
        aff = spec.get("affinity") or {}
        pa, paa = aff.get("podAffinity"), aff.get("podAntiAffinity")
        self.affinity = {"podAffinity": pa or {}, "podAntiAffinity": paa or {}} if (pa or paa) else None
        self.required_anti_affinity = bool(paa and paa.get("requiredDuringSchedulingIgnoredDuringExecution"))
        self.host_ports = host_ports(pod)
        self.terms = None

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
                 "allocatable_ephemeral", "allowed_pods", "taints", "unschedulable", "generation",
                 "with_affinity", "with_required_anti_affinity", "used_ports", "images", "labels")

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
        #: pods with pod (anti-)affinity / with required anti-affinity (``PodsWithAffinity``,
        #: ``PodsWithRequiredAntiAffinity``): InterPodAffinity looks only at these
        self.with_affinity: dict[str, PodInfo] = {}
        self.with_required_anti_affinity: dict[str, PodInfo] = {}
        #: hostPorts in use: {(ip, protocol, port): number of pods} (``UsedPorts``)
        self.used_ports: dict[tuple[str, str, int], int] = {}
        #: images on the node: {name: sizeBytes} from node.status.images (``ImageStates``)
        self.images: dict[str, int] = {}
        #: the node's labels (kept here: Filter and Score read them for every node)
        self.labels: dict = {}
        if node is not None:
            self.set_node(node)

    def set_node(self, node: dict) -> None:
        self.node = node
        meta = node.get("metadata") or {}
        self.name = meta.get("name", "")
        self.labels = meta.get("labels") or {}
        (self.allocatable_cpu, self.allocatable_memory,
         self.allocatable_ephemeral, self.allowed_pods) = node_allocatable(node)
        spec = node.get("spec") or {}
        self.taints = list(spec.get("taints") or ())
        self.unschedulable = bool(spec.get("unschedulable"))
        images: dict[str, int] = {}
        for img in (node.get("status") or {}).get("images") or ():
            size = int(img.get("sizeBytes") or 0)
            for n in img.get("names") or ():
                images[normalized_image_name(n)] = size
        self.images = images

    def add_pod(self, info: PodInfo) -> None:
        if info.key in self.pods:
            self.remove_pod(info.key)
        self.pods[info.key] = info
        self.requested_cpu += info.cpu
        self.requested_memory += info.memory
        self.requested_ephemeral += info.ephemeral
        self.non_zero_cpu += info.nz_cpu
        self.non_zero_memory += info.nz_memory
        # an empty map may be shared with a copy (copy_from): replace it, never mutate it
        if info.affinity is not None:
            if not self.with_affinity:
                self.with_affinity = {}
            self.with_affinity[info.key] = info
            if info.required_anti_affinity:
                if not self.with_required_anti_affinity:
                    self.with_required_anti_affinity = {}
                self.with_required_anti_affinity[info.key] = info
        if info.host_ports:
            if not self.used_ports:
                self.used_ports = {}
            used = self.used_ports
            for hp in info.host_ports:
                used[hp] = used.get(hp, 0) + 1

    def remove_pod(self, key: str) -> PodInfo | None:
        info = self.pods.pop(key, None)
        if info is not None:
            self.requested_cpu -= info.cpu
            self.requested_memory -= info.memory
            self.requested_ephemeral -= info.ephemeral
            self.non_zero_cpu -= info.nz_cpu
            self.non_zero_memory -= info.nz_memory
            if info.affinity is not None:
                self.with_affinity.pop(key, None)
                self.with_required_anti_affinity.pop(key, None)
            if info.host_ports:
                used = self.used_ports
                for hp in info.host_ports:
                    n = used.get(hp, 0) - 1
                    if n > 0:
                        used[hp] = n
                    else:
                        used.pop(hp, None)
        return info

    def copy_from(self, other: "NodeInfo") -> None:
        """Become a copy of ``other`` (pods dict copied, pod objects shared: they are immutable here)."""
        for slot in NodeInfo.__slots__:
            setattr(self, slot, getattr(other, slot))
        self.pods = dict(other.pods)
        self.taints = list(other.taints)
        # the rarely non-empty maps are copied only when they hold something
        if other.with_affinity:
            self.with_affinity = dict(other.with_affinity)
            self.with_required_anti_affinity = dict(other.with_required_anti_affinity)
        if other.used_ports:
            self.used_ports = dict(other.used_ports)

    def clone(self) -> "NodeInfo":
        c = NodeInfo()
        c.copy_from(self)
        return c

    def __repr__(self) -> str:
        return (f"<NodeInfo {self.name} pods={len(self.pods)}/{self.allowed_pods} "
                f"cpu={self.requested_cpu}/{self.allocatable_cpu}m "
                f"mem={self.requested_memory}/{self.allocatable_memory}>")


def normalized_image_name(name: str) -> str:
    """``imagelocality.normalizedImageName``: a name without a tag gets ``:latest``."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


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


#: per-node columns a snapshot keeps at most (one per plugin and pod shape, oldest dropped first)
MAX_COLUMNS = 32


class Snapshot:
    """An immutable-for-one-cycle view of the cache (``backend/cache/snapshot.go``).

    ``node_infos`` is in :class:`NodeTree` order; the scheduler examines nodes in
    that order starting from a rotating index.

    Columns (:meth:`column`): a value per node in ``node_infos`` order, computed by a pure
    function of the NodeInfo (a plugin's verdict or score for one pod shape) and kept
    across cycles. Between two cycles a few nodes change (the last pod's node), so a
    column is brought up to date by recomputing just those (:meth:`changed` logs them),
    and a plugin reads the ~500 nodes a cycle looks at as one list slice instead of 500
    attribute walks through scattered objects. Contract: snapshot NodeInfos change only
    through :meth:`set_node_infos` (a new order) or with :meth:`changed` called for them
    (the cache's ``update_snapshot`` does both).
    """

    def __init__(self) -> None:
        self.node_info_map: dict[str, NodeInfo] = {}
        self.node_infos: list[NodeInfo] = []
        #: key -> [position in _changes it is up to date with, values]; see :meth:`column`
        self._columns: dict = {}
        self._changes: list[int] = []        # positions of nodes changed, in order
        self._pos: dict[str, int] = {}       # node name -> position in node_infos
        self._columns_for: list | None = None  # the node_infos list the columns describe
        self.generation = 0
        #: nodes hosting pods with pod (anti-)affinity / required anti-affinity
        #: (``HavePodsWithAffinityList``, ``HavePodsWithRequiredAntiAffinityList``)
        self.have_pods_with_affinity: list[NodeInfo] = []
        self.have_pods_with_required_anti_affinity: list[NodeInfo] = []
        #: {image name: number of nodes that have it} (``ImageStateSummary.NumNodes``)
        self.image_num_nodes: dict[str, int] = {}

    def refresh_lists(self, images: bool = True) -> None:
        """Recompute the affinity node lists and (``images``) the image counts."""
        self.have_pods_with_affinity = [ni for ni in self.node_infos if ni.with_affinity]
        self.have_pods_with_required_anti_affinity = [ni for ni in self.node_infos
                                                      if ni.with_required_anti_affinity]
        if not images:
            return
        counts: dict[str, int] = {}
        for ni in self.node_infos:
            for name in ni.images:
                counts[name] = counts.get(name, 0) + 1
        self.image_num_nodes = counts

    def set_node_infos(self, infos: list[NodeInfo]) -> None:
        """A new node order: every column is dropped (rebuilt when next asked for)."""
        self.node_infos = infos
        self._drop_columns()

    def _drop_columns(self) -> None:
        self._columns = {}
        self._changes = []
        self._pos = {ni.name: i for i, ni in enumerate(self.node_infos)}
        self._columns_for = self.node_infos

    def changed(self, name: str) -> None:
        """Node ``name`` (already in ``node_infos``) was updated in place."""
        if self._columns:
            i = self._pos.get(name)
            if i is None:
                self._drop_columns()
            else:
                self._changes.append(i)

    def column(self, key, fn) -> list:
        """``[fn(ni) for ni in node_infos]``, recomputed only for the nodes changed since the
        last call with ``key``. ``key`` must name everything ``fn`` depends on besides the
        NodeInfo (the plugin instance, the pod's requests)."""
        infos = self.node_infos
        columns = self._columns_now()
        col = columns.get(key)
        changes = self._changes
        if col is None:
            values = list(map(fn, infos))
            self._new_column(key, [len(changes), values])
            return values
        done, values = col
        if done < len(changes):
            for i in changes[done:]:
                values[i] = fn(infos[i])
            col[0] = len(changes)
        return values

    def column_totals(self, key, fn) -> dict:
        """Per group, ``[nodes, total]`` over the nodes for which ``fn(ni)`` gives
        ``(group, count)`` (None leaves a node out), kept up to date like :meth:`column`:
        a changed node's old pair is taken off its group and the new one added, so a cycle
        pays for the nodes changed since the last, not for every node and pod. A group
        goes when its last node does. The dict is the snapshot's: read it, never change it.

        >>> snap = Snapshot.from_objects([{"metadata": {"name": n, "labels": {"zone": z}}}
        ...                               for n, z in (("a", "z1"), ("b", "z2"), ("c", "z1"))])
        >>> snap.column_totals("k", lambda ni: (ni.labels["zone"], len(ni.name)))
        {'z1': [2, 2], 'z2': [1, 1]}
        """
        infos = self.node_infos
        columns = self._columns_now()
        col = columns.get(key)
        changes = self._changes
        if col is None:
            values = list(map(fn, infos))
            totals: dict = {}
            for v in values:
                if v is not None:
                    _add_total(totals, v)
            self._new_column(key, [len(changes), values, totals])
            return totals
        done, values, totals = col
        if done < len(changes):
            for i in changes[done:]:
                new, old = fn(infos[i]), values[i]
                if new == old:
                    continue
                values[i] = new
                if old is not None:
                    t = totals[old[0]]
                    t[0] -= 1
                    t[1] -= old[1]
                    if not t[0]:
                        del totals[old[0]]
                if new is not None:
                    _add_total(totals, new)
            col[0] = len(changes)
        return totals

    def _columns_now(self) -> dict:
        """The column table, started over when :attr:`node_infos` was set from outside or the
        change log grew long (recomputing then costs less than replaying it)."""
        infos = self.node_infos
        if self._columns_for is not infos or len(self._pos) != len(infos) \
                or len(self._changes) > 4 * len(infos) + 64:
            self._drop_columns()
        return self._columns

    def _new_column(self, key, col: list) -> None:
        columns = self._columns
        if len(columns) >= MAX_COLUMNS:
            del columns[next(iter(columns))]     # the oldest column goes
        columns[key] = col

    def column_range(self, key, fn, start: "int | list[int]", count: int) -> list:
        """``count`` values of :meth:`column` from position ``start``, wrapping round; or,
        ``start`` a list of positions (:meth:`positions`), the values at those."""
        values = self.column(key, fn)
        if start.__class__ is list:
            return list(map(values.__getitem__, start))
        end = start + count
        n = len(values)
        if end <= n:
            return values[start:end]
        return values[start:] + values[:end - n]

    def positions(self, infos) -> list[int]:
        """Where each of ``infos`` (NodeInfos of :attr:`node_infos`) lies in it."""
        if self._columns_for is not self.node_infos or len(self._pos) != len(self.node_infos):
            self._drop_columns()
        pos = self._pos
        return [pos[ni.name] for ni in infos]

    def in_order(self, names) -> list[NodeInfo]:
        """The NodeInfos of ``names`` found in :attr:`node_infos`, in its order (``names``
        may be a set: its iteration order does not matter)."""
        if self._columns_for is not self.node_infos or len(self._pos) != len(self.node_infos):
            self._drop_columns()
        pos = self._pos
        found = sorted(p for p in map(pos.get, names) if p is not None)
        return list(map(self.node_infos.__getitem__, found))

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
        snap.set_node_infos(snap.node_infos)
        snap.refresh_lists()
        return snap


def _add_total(totals: dict, value: tuple) -> None:
    """Count ``value`` = ``(group, count)`` into ``totals[group]`` = ``[nodes, total]``."""
    t = totals.get(value[0])
    if t is None:
        totals[value[0]] = [1, value[1]]
    else:
        t[0] += 1
        t[1] += value[1]
