"""The scheduler cache: node infos kept up to date from informer events, plus assumed pods.

As ``pkg/scheduler/backend/cache/cache.go``. The life of a pod in the cache::

    assume_pod ──► (binding) ──► finish_binding ──► add_pod (watch shows spec.nodeName) = confirmed
        │                                  │
        └────────── forget_pod ◄───────────┘   (Reserve/Permit/Bind failed)

An *assumed* pod already counts against its node's resources the moment the
scheduler picks the node, before the API server has accepted the binding, so the
next scheduling cycle cannot pick the same free space twice. Assumed pods never
expire here (upstream ``durationToExpireAssumedPod`` is 0 since v1.26).

:meth:`update_snapshot` copies only the nodes changed since the previous
snapshot, so a cycle on a 5,000-node cluster does not copy 5,000 node infos.
"""

from __future__ import annotations

from .nodeinfo import NodeInfo, NodeTree, PodInfo, Snapshot, pod_key


class CacheError(Exception):
    pass


class SchedulerCache:
    def __init__(self) -> None:
        self._nodes: dict[str, NodeInfo] = {}
        self._tree = NodeTree()
        self._pods: dict[str, PodInfo] = {}       # every pod the cache accounts for
        self._assumed: dict[str, bool] = {}       # key -> binding finished
        self._dirty: dict[str, None] = {}          # node names changed since the last snapshot
        self._list_changed = True
        # the snapshot's affinity node lists / image counts need recomputing
        self._lists_dirty = False
        self._images_dirty = False
        self._generation = 0
        # the snapshot update_snapshot last brought to _generation_synced (see there)
        self._last_snapshot: Snapshot | None = None
        self._generation_synced = -1

    # -- nodes ---------------------------------------------------------------
    def add_node(self, node: dict) -> None:
        name = node["metadata"]["name"]
        ni = self._nodes.get(name)
        if ni is None:
            ni = self._nodes[name] = NodeInfo()
        was_absent = ni.node is None
        old_images = ni.images
        ni.set_node(node)
        if ni.images != old_images:
            self._images_dirty = True
        moved = self._tree.add(node)  # a zone label change moves the node in the tree
        if was_absent or moved:
            self._list_changed = True
        self._touch(ni)

    update_node = add_node

    def remove_node(self, name: str) -> None:
        ni = self._nodes.get(name)
        if ni is None:
            return
        self._tree.remove(name)
        self._list_changed = True
        self._lists_dirty = self._images_dirty = True
        if ni.pods:
            # pods still reference the node: keep a node-less NodeInfo, as upstream does
            ni.node = None
            ni.labels = {}
            self._touch(ni)
        else:
            del self._nodes[name]
            self._dirty[name] = None

    # -- pods ----------------------------------------------------------------
    def assume_pod(self, pod: dict) -> None:
        """Count ``pod`` (whose ``spec.nodeName`` is set to the chosen node) on its node now."""
        key = pod_key(pod)
        if key in self._pods:
            raise CacheError(f"pod {key} is in the cache, so can't be assumed")
        info = PodInfo(pod)
        self._add(info)
        self._assumed[key] = False

    def finish_binding(self, pod: dict) -> None:
        key = pod_key(pod)
        if key in self._assumed:
            self._assumed[key] = True

    def forget_pod(self, pod: dict) -> None:
        """Undo :meth:`assume_pod` (binding failed)."""
        key = pod_key(pod)
        if key in self._assumed:
            del self._assumed[key]
            self._remove(key)

    def add_pod(self, pod: dict) -> None:
        """An assigned pod appeared in the watch: confirm it if assumed, else account it."""
        key = pod_key(pod)
        if key in self._assumed:
            del self._assumed[key]
            current = self._pods.get(key)
            if current is not None and current.node_name != _node_name(pod):
                self._remove(key)  # bound somewhere else than assumed (another scheduler?)
                self._add(PodInfo(pod))
            elif current is not None:
                if same_accounting(current.pod, pod):
                    current.pod = pod       # as below: confirmed as assumed, numbers unchanged
                else:
                    self._replace(PodInfo(pod))
            return
        current = self._pods.get(key)
        if current is None:
            self._add(PodInfo(pod))
        elif same_accounting(current.pod, pod):
            # a status-only change (the kubelet's reports, several per pod): upstream's
            # updatePod removes and re-adds the pod, but every number, label and term the
            # plugins read is unchanged, so the entry (shared with the snapshot's copy of the
            # node) takes the new object in place and the node needs no new copy
            current.pod = pod
        else:
            self._replace(PodInfo(pod))

    def update_pod(self, pod: dict) -> None:
        self.add_pod(pod)

    def remove_pod(self, pod: dict) -> None:
        key = pod_key(pod)
        self._assumed.pop(key, None)
        self._remove(key)

    def is_assumed(self, key: str) -> bool:
        return key in self._assumed

    def get_pod(self, key: str) -> dict | None:
        info = self._pods.get(key)
        return info.pod if info else None

    def node_info(self, name: str) -> NodeInfo | None:
        return self._nodes.get(name)

    def node_count(self) -> int:
        return len(self._tree)

    def pod_count(self) -> int:
        return len(self._pods)

    # -- snapshot --------------------------------------------------------------
    def update_snapshot(self, snap: Snapshot) -> None:
        """Bring ``snap`` up to date, copying only what changed (``Cache.UpdateSnapshot``).

        Generation-based, as upstream: every change stamps its NodeInfo with the next cache
        generation, and a snapshot at generation ``g`` needs exactly the nodes stamped after
        ``g``. For the snapshot this cache last updated those are the names collected since
        (no scan); any other snapshot (a fresh one, or one another cache filled) is compared
        node by node, and nodes it holds that the cache no longer has are dropped."""
        if snap is not self._last_snapshot or snap.generation != self._generation_synced:
            self._dirty.update((n, None) for n, ni in self._nodes.items() if ni.generation > snap.generation)
            self._dirty.update((n, None) for n in snap.node_info_map if n not in self._nodes)
            self._list_changed = True
            self._last_snapshot = snap
        for name in self._dirty:
            ni = self._nodes.get(name)
            if ni is None or ni.node is None:
                snap.node_info_map.pop(name, None)
                continue
            existing = snap.node_info_map.get(name)
            if existing is None:
                snap.node_info_map[name] = ni.clone()
            else:
                existing.copy_from(ni)   # in place: the ordered list keeps pointing at it
                snap.changed(name)
        self._dirty.clear()
        if self._list_changed:
            snap.set_node_infos([snap.node_info_map[n] for n in self._tree.list()
                                 if n in snap.node_info_map])
            self._list_changed = False
            self._lists_dirty = self._images_dirty = True
        if self._lists_dirty or self._images_dirty:
            # image counts only when some node's images changed: an affinity pod landing on a
            # new node rebuilds the two affinity lists, not the image summary
            snap.refresh_lists(images=self._images_dirty)
            self._lists_dirty = self._images_dirty = False
        snap.generation = self._generation_synced = self._generation

    # -- internals -------------------------------------------------------------
    def _touch(self, ni: NodeInfo) -> None:
        self._generation += 1
        ni.generation = self._generation
        if ni.name:
            self._dirty[ni.name] = None

    def _node_info_for(self, node_name: str) -> NodeInfo:
        ni = self._nodes.get(node_name)
        if ni is None:
            # a pod can arrive before its node: keep the accounting on a node-less NodeInfo
            ni = self._nodes[node_name] = NodeInfo()
            ni.name = node_name
        return ni

    def _add(self, info: PodInfo) -> None:
        self._pods[info.key] = info
        ni = self._node_info_for(info.node_name)
        if info.affinity is not None:
            flags = _affinity_flags(ni)
            ni.add_pod(info)
            self._lists_dirty |= flags != _affinity_flags(ni)
        else:
            ni.add_pod(info)
        self._touch(ni)

    def _remove(self, key: str) -> None:
        info = self._pods.pop(key, None)
        if info is None:
            return
        ni = self._nodes.get(info.node_name)
        if ni is None:
            return
        if info.affinity is not None:
            flags = _affinity_flags(ni)
            ni.remove_pod(key)
            self._lists_dirty |= flags != _affinity_flags(ni)
        else:
            ni.remove_pod(key)
        self._touch(ni)
        if ni.node is None and not ni.pods:
            del self._nodes[ni.name]

    def _replace(self, info: PodInfo) -> None:
        self._remove(info.key)
        self._add(info)


def _affinity_flags(ni: NodeInfo) -> tuple[bool, bool]:
    """Whether ``ni`` is on the snapshot's two affinity node lists. Upstream's UpdateSnapshot
    rebuilds those lists only when a node joins or leaves one of them
    (``updateNodesHavePodsWithAffinity``): a second affinity pod on a listed node changes
    nothing, and the in-place copy of the node keeps the list's entry current."""
    return bool(ni.with_affinity), bool(ni.with_required_anti_affinity)


def same_accounting(old: dict, new: dict) -> bool:
    """Whether ``new`` gives the same :class:`PodInfo` numbers as ``old``: the same spec
    (requests, priority, affinity, ports, node) and the same labels and deletion state."""
    o_spec, n_spec = old.get("spec"), new.get("spec")
    if o_spec is not n_spec and o_spec != n_spec:
        return False
    o_meta, n_meta = old.get("metadata") or {}, new.get("metadata") or {}
    return (o_meta.get("labels") == n_meta.get("labels")
            and o_meta.get("deletionTimestamp") == n_meta.get("deletionTimestamp"))


def _node_name(pod: dict) -> str:
    return (pod.get("spec") or {}).get("nodeName") or ""
