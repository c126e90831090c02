"""VolumeZone: a pod's bound volumes carry zone/region labels; the node must be in one of
them (pkg/scheduler/framework/plugins/volumezone/volume_zone.go).

PreFilter collects the topology labels of the volumes bound to the pod's claims (a claim of a
WaitForFirstConsumer class that is not bound yet is skipped: VolumeBinding handles it) and
skips the plugin when there are none. Filter: a node without any zone/region label passes;
otherwise each volume label's value (``a__b`` is the set {a, b}) must contain the node's
value for that key, else ``node(s) had no available volume zone`` (UnschedulableAndUnresolvable).
"""

from __future__ import annotations

from typing import Any, Callable

from ...api import storagehelpers as h
from ..events import ActionType, ClusterEvent
from ..interface import FilterPlugin, PreFilterPlugin
from ..status import Status

# volume_zone.go ErrReasonConflict, topologyLabels
ERR_ZONE_CONFLICT = "node(s) had no available volume zone"
TOPOLOGY_LABELS = ("failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
                   "topology.kubernetes.io/zone", "topology.kubernetes.io/region")
_STATE_KEY = "PreFilterVolumeZone"


class VolumeZone(PreFilterPlugin, FilterPlugin):
    name = "VolumeZone"

    def __init__(self) -> None:
        self.claims = self.volumes = self.classes = None

    def start_informers(self, factory: Any, move: Callable[[ClusterEvent], None]) -> None:
        self.claims = factory.informer("persistentvolumeclaims")
        self.volumes = factory.informer("persistentvolumes")
        self.classes = factory.informer("storageclasses")

    def events_to_register(self):
        return (ClusterEvent("StorageClass", ActionType.ADD),
                ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL),
                ClusterEvent("PersistentVolumeClaim", ActionType.ADD | ActionType.UPDATE),
                ClusterEvent("PersistentVolume", ActionType.ADD | ActionType.UPDATE))

    def pre_filter(self, state, pod, nodes):
        names = h.pod_claim_names(pod)
        if not names or self.claims is None:
            return None, Status.skip()
        ns = h.meta(pod).get("namespace") or "default"
        topology: list[tuple[str, set[str]]] = []
        for name in names:
            claim = self.claims.get(f"{ns}/{name}")
            if claim is None:
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            pv_name = h.spec(claim).get("volumeName")
            if not pv_name:
                cls = h.claim_class(claim)
                if not cls:
                    return None, Status.unresolvable("PersistentVolumeClaim had no pv name and storageClass name")
                sc = self.classes.get(cls)
                if sc is None:
                    return None, Status.unresolvable(f'StorageClass "{cls}" claimed by PersistentVolumeClaim '
                                                     f'"{name}" not found')
                if sc.get("volumeBindingMode") == "WaitForFirstConsumer":
                    continue
                return None, Status.unresolvable("PersistentVolume had no name")
            pv = self.volumes.get(pv_name)
            if pv is None:
                return None, Status.unresolvable(f'persistentvolume "{pv_name}" not found')
            labels = h.meta(pv).get("labels") or {}
            topology += [(k, set(str(labels[k]).split("__"))) for k in TOPOLOGY_LABELS if k in labels]
        if not topology:
            return None, Status.skip()
        state.write(_STATE_KEY, topology)
        return None, None

    def filter(self, state, pod, node_info):
        topology = state.get(_STATE_KEY) or []
        labels = h.meta(node_info.node or {}).get("labels") or {}
        if not any(k in labels for k in TOPOLOGY_LABELS):
            return None   # a node without zone or region labels fits every volume
        for key, values in topology:
            if labels.get(key) not in values:
                return Status.unresolvable(ERR_ZONE_CONFLICT)
        return None


__all__ = ["VolumeZone", "ERR_ZONE_CONFLICT", "TOPOLOGY_LABELS"]
